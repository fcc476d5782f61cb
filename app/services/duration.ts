import string from '@adonisjs/core/helpers/string'
import { DURATION_PATTERN, ZERO_DURATION_PATTERN } from '#validators/rules'

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** Seconds in a DURATION_PATTERN value ("24h" → 86400, "0" → 0). */
export function durationSeconds(value: string): number {
  if (!DURATION_PATTERN.test(value)) throw new Error(`Invalid duration "${value}"`)
  if (value === '0') return 0
  return Number(value.slice(0, -1)) * UNIT_SECONDS[value.at(-1)!]
}

/** Seconds in a configured duration ("60s", "1 hour"); zero in any spelling is 0, not an error. */
export function configuredSeconds(value: string): number {
  return ZERO_DURATION_PATTERN.test(value.trim()) ? 0 : string.seconds.parse(value)
}
