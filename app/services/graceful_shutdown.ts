import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { requestArrived } from '#services/poll_phase'

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * Draining one web process before it stops: no new connections, idle
 * keep-alive connections closed at once, `Connection: close` on every answer
 * still to be sent, and a count of the requests not yet finished (handler
 * done and response closed). /health reads `draining` (503 for the load
 * balancer); `signal` tells the password-hash queue to refuse its waiters.
 */
export class GracefulShutdown {
  #controller = new AbortController()
  #server?: Server
  /**
   * Responses in flight, each in a slot of its own; freed slots are kept on
   * a stack (its own top: arrays are trimmed by pop()) and reused. Not a
   * Set: a Set that fills and empties with every burst of requests is
   * reallocated as it does (V8 shrinks its table on delete), ~1% of a
   * request's CPU under load.
   */
  #slots: Array<ServerResponse | undefined> = []
  #freeSlots: number[] = []
  #freeTop = 0
  #inFlight = 0
  #onSettled: Array<() => void> = []

  /** Aborted when the drain begins. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get draining() {
    return this.#controller.signal.aborted
  }

  /** Requests received and not finished yet. */
  get inFlight() {
    return this.#inFlight
  }

  /** The Node server to drain, its request handler wrapped to count requests. */
  serve(server: Server, handler: RequestHandler) {
    this.#server = server
    server.on('request', (req, res) => this.#handle(handler, req, res))
    return server
  }

  /** Starts the drain (idempotent): the server stops listening and idle connections close. */
  begin() {
    if (this.draining) return
    this.#controller.abort()
    for (const res of this.#slots) if (res) this.#closeAfter(res)
    this.#server?.close()
    this.#server?.closeIdleConnections()
    this.#checkSettled()
  }

  /** Resolves once every request received has been answered and its handler has returned. */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#onSettled.push(resolve))
  }

  #handle(handler: RequestHandler, req: IncomingMessage, res: ServerResponse) {
    // For the token cache's freshness check (app/services/poll_phase.ts).
    requestArrived()
    if (this.draining) this.#closeAfter(res)
    const slot = this.#freeTop > 0 ? this.#freeSlots[--this.#freeTop] : this.#slots.length
    this.#slots[slot] = res
    this.#inFlight++
    let pending = 2
    const done = () => {
      if (--pending > 0) return
      this.#slots[slot] = undefined
      this.#freeSlots[this.#freeTop++] = slot
      this.#inFlight--
      if (!this.draining) return
      // A response begun before the drain may have left its connection open and idle.
      this.#server?.closeIdleConnections()
      this.#checkSettled()
    }
    // on(), not once(): a response closes once, and once() wraps each listener in a bound function.
    res.on('close', done)
    let result: unknown
    try {
      result = handler(req, res)
    } catch (error) {
      done()
      throw error
    }
    Promise.resolve(result).then(done, (error) => {
      done()
      throw error
    })
  }

  #closeAfter(res: ServerResponse) {
    if (!res.headersSent) res.setHeader('connection', 'close')
  }

  #checkSettled() {
    if (this.#inFlight > 0) return
    for (const resolve of this.#onSettled.splice(0)) resolve()
  }
}

export default new GracefulShutdown()
