/**
 * Runs at most `limit` tasks at once; the rest wait in order. Used to keep
 * password hashing (CPU-heavy, in libuv's thread pool) from taking every core
 * and every pool thread away from the event loop and the database driver.
 */
export class ConcurrencyLimit {
  #running = 0
  #waiting: Array<() => void> = []

  constructor(public readonly limit: number) {}

  /** Tasks waiting for a slot. */
  get waiting() {
    return this.#waiting.length
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#running++
    }
    try {
      return await task()
    } finally {
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }
}
