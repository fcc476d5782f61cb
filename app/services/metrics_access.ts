import { BlockList, isIP } from 'node:net'
import { safeEqual } from '@adonisjs/core/helpers'
import metricsConfig, { type MetricsConfig } from '#config/metrics'

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

/** Decides who may read /metrics: an allowed address, or the bearer secret. */
export class MetricsAccess {
  #allowed = new BlockList()
  #token?: string

  constructor(config: MetricsConfig = metricsConfig) {
    this.configure(config)
  }

  /** (Re)reads the settings; tests use it to try other allow lists. */
  configure(config: MetricsConfig) {
    this.#allowed = new BlockList()
    this.#token = config.token
    for (const entry of config.allow) {
      const [address, bits] = entry.split('/')
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) this.#allowed.addAddress(address, type)
      else this.#allowed.addSubnet(address, Number(bits), type)
    }
  }

  /** `ip` as the app sees it; `authorization` is the raw header, if any. */
  allows(ip: string, authorization: string | undefined): boolean {
    const presented = this.#token && authorization ? BEARER.exec(authorization)?.[1] : undefined
    // safeEqual: constant time (always compares as many bytes as the secret has).
    if (presented && safeEqual(this.#token!, presented)) return true
    const type = isIP(ip)
    return type !== 0 && this.#allowed.check(ip, type === 6 ? 'ipv6' : 'ipv4')
  }
}

export default new MetricsAccess()
