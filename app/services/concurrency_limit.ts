export interface ConcurrencyLimitOptions {
  /** Most tasks waiting for a slot; one more is refused at once. Default: no bound. */
  maxWaiting?: number
  /** Once aborted (shutdown), waiting tasks are refused, and so is any task that would wait. */
  signal?: AbortSignal
  /** The error a refused task rejects with. */
  refuse?: (reason: 'full' | 'closed') => Error
}

/**
 * Runs at most `limit` tasks at once; the rest wait in order, up to
 * `maxWaiting` of them. Used to keep password hashing (CPU-heavy, in libuv's
 * thread pool) from taking every core and every pool thread away from the
 * event loop and the database driver, and a flood from queueing without end.
 */
export class ConcurrencyLimit {
  #running = 0
  #waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = []

  constructor(
    public readonly limit: number,
    private options: ConcurrencyLimitOptions = {}
  ) {
    options.signal?.addEventListener('abort', () => this.#refuseWaiting(), { once: true })
  }

  /** Most tasks that may wait for a slot. */
  get maxWaiting() {
    return this.options.maxWaiting ?? Infinity
  }

  /** Tasks waiting for a slot. */
  get waiting() {
    return this.#waiting.length
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      if (this.options.signal?.aborted) throw this.#refusal('closed')
      if (this.#waiting.length >= (this.options.maxWaiting ?? Infinity)) {
        throw this.#refusal('full')
      }
      await new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }))
    } else {
      this.#running++
    }
    try {
      return await task()
    } finally {
      // The slot passes straight to the next waiter, if any.
      const next = this.#waiting.shift()
      if (next) next.resolve()
      else this.#running--
    }
  }

  #refuseWaiting() {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#refusal('closed'))
  }

  #refusal(reason: 'full' | 'closed') {
    return this.options.refuse?.(reason) ?? new Error(`concurrency limit: queue ${reason}`)
  }
}
