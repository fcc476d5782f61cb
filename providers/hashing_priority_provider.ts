import { randomFill } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { setPriority } from 'node:os'
import { promisify } from 'node:util'
import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Password hashing (scrypt) runs in libuv's thread pool. On Linux each of
 * those threads has its own nice value: web processes lower theirs
 * (PASSWORD_HASH_NICE, default 10), so under a login flood the CPU goes to
 * the event loop first and signed-in requests keep their latency. Elsewhere,
 * or when the threads cannot be found, nothing changes.
 */
export default class HashingPriorityProvider {
  constructor(protected app: ApplicationService) {}

  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    const { default: gatehouse } = await import('#config/gatehouse')
    const nice = gatehouse.passwords.hashNice
    if (nice === 0 || process.platform !== 'linux') return

    // The pool starts its threads on first use: use it once so they exist.
    await promisify(randomFill)(Buffer.alloc(1))
    const logger = await this.app.container.make('logger')
    try {
      const threads = readdirSync('/proc/self/task').filter(
        (tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'libuv-worker'
      )
      for (const tid of threads) setPriority(Number(tid), nice)
      logger.debug('thread pool: %d threads at nice %d', threads.length, nice)
    } catch (error) {
      logger.warn({ err: error }, 'could not lower the thread pool priority')
    }
  }
}
