import {
  createServer,
  type IncomingMessage,
  type Server,
  ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http'

/**
 * Response headers that never change (the security headers of every API
 * answer), checked once: their names and values are validated when the set
 * is made, with Node's own checks, and kept as the text they are written as
 * (`name: value\r\n` each).
 *
 * Node validates every header of every response again when it writes them
 * (two regular expressions per header, the value's scanned character by
 * character), and AdonisJS's response lower-cases and stores each one before
 * that: for the four security headers, ~5k instructions of a `/health/live`
 * request (~4%, callgrind), more than any other part of what Gatehouse adds to
 * the framework. A GatehouseResponse writes a set's text as it is.
 */
export class FixedHeaders {
  /** The header lines, in order, as written. */
  readonly text: string
  readonly #entries: ReadonlyArray<readonly [string, string]>
  /** This set without some of its names (see without()), by those names. */
  readonly #narrowed = new Map<string, FixedHeaders>()
  /** This set with one more header (see with()), by its name (as given), then its value. */
  readonly #widened = new Map<string, Map<string, FixedHeaders>>()
  /** The lengths of the names, to pass over most of an application's headers at once. */
  readonly #lengths: Set<number>

  /** Throws Node's own error (ERR_INVALID_HTTP_TOKEN, ERR_INVALID_CHAR) for an invalid name or value. */
  constructor(entries: Iterable<readonly [string, string]>) {
    const kept: Array<readonly [string, string]> = []
    for (const [name, value] of entries) {
      validateHeaderName(name)
      validateHeaderValue(name, value)
      kept.push([name.toLowerCase(), value])
    }
    this.#entries = kept
    this.#lengths = new Set(kept.map(([name]) => name.length))
    this.text = kept.map(([name, value]) => `${name}: ${value}\r\n`).join('')
  }

  get names(): string[] {
    return this.#entries.map(([name]) => name)
  }

  /** The value of `name` in this set (any case), or undefined. */
  get(name: string): string | undefined {
    const wanted = name.toLowerCase()
    return this.#entries.find(([entry]) => entry === wanted)?.[1]
  }

  /** This set without `names` (any case); made once per list of names. */
  without(...names: string[]): FixedHeaders {
    const dropped = [...new Set(names.map((name) => name.toLowerCase()))].sort()
    const key = dropped.join('\n')
    let narrowed = this.#narrowed.get(key)
    if (narrowed === undefined) {
      narrowed = new FixedHeaders(this.#entries.filter(([name]) => !dropped.includes(name)))
      this.#narrowed.set(key, narrowed)
    }
    return narrowed
  }

  /**
   * This set with `name: value` added (any case; replacing a header of the
   * same name), validated and made once per name (as given) and value: for headers
   * that are the same on every answer of a route (an API route's Allow, a
   * refusal's WWW-Authenticate). Throws Node's own error for an invalid one.
   */
  with(name: string, value: string): FixedHeaders {
    // Two lookups by the strings given (no key built: their hashes are kept on them).
    let byValue = this.#widened.get(name)
    if (byValue === undefined) this.#widened.set(name, (byValue = new Map()))
    let widened = byValue.get(value)
    if (widened === undefined) {
      const lower = name.toLowerCase()
      widened = new FixedHeaders([
        ...this.#entries.filter(([entry]) => entry !== lower),
        [lower, value] as const,
      ])
      byValue.set(value, widened)
    }
    return widened
  }

  /**
   * The lines to write beside `headers` (what the response's writeHead got):
   * all of them, unless the application set one of the same names itself;
   * that one is then left out (the application's value is sent, once, as
   * when both went through AdonisJS's response and the later one won).
   * One pass over the application's headers, names compared by length
   * first (none of AdonisJS's usual ones has a security header's length).
   */
  linesFor(headers: unknown): string {
    if (headers === null || typeof headers !== 'object') return this.text
    let replaced: string[] | undefined
    const names = Array.isArray(headers) ? listedNames(headers) : headers
    for (const name in names) {
      if (!this.#lengths.has(name.length)) continue
      const lower = name.toLowerCase()
      if (this.#entries.some(([entry]) => entry === lower)) (replaced ??= []).push(lower)
    }
    return replaced === undefined ? this.text : this.without(...replaced).text
  }
}

/**
 * The names of writeHead's headers given as a list (flat names and values,
 * or pairs), as the keys of an object: what writeHead's headers are
 * otherwise (AdonisJS's object; Node's own table after a setHeader).
 */
function listedNames(headers: unknown[]): Record<string, true> {
  const names: Record<string, true> = {}
  if (Array.isArray(headers[0])) {
    for (const [name] of headers as unknown[][]) names[String(name)] = true
  } else {
    for (let at = 0; at < headers.length; at += 2) names[String(headers[at])] = true
  }
  return names
}

/** The one method of Node's response used here that its type declarations leave out. */
type StoreHeader = (this: ServerResponse, firstLine: string, headers: unknown) => void
const storeHeader = (ServerResponse.prototype as unknown as { _storeHeader?: StoreHeader })
  ._storeHeader

/**
 * Node's response, able to carry a FixedHeaders set: its lines are written
 * right after the status line, before the headers given to writeHead (Node
 * builds the head from the status line on: `_storeHeader`, the one internal
 * method this relies on; on a Node without it the set's headers go through
 * setHeader instead, validated as any other).
 */
export class GatehouseResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  /** Written with the head when set (by #middleware/security_headers_middleware). */
  declare fixedHeaders: FixedHeaders | undefined

  _storeHeader(firstLine: string, headers: unknown) {
    const fixed = this.fixedHeaders
    storeHeader!.call(
      this,
      fixed === undefined ? firstLine : firstLine + fixed.linesFor(headers),
      headers
    )
  }
}
GatehouseResponse.prototype.fixedHeaders = undefined

/** Whether this Node can write a FixedHeaders set as text (see GatehouseResponse). */
export const writesFixedHeaders = typeof storeHeader === 'function'

/**
 * The HTTP server bin/server.ts and the test suites run: Node's, with
 * GatehouseResponse for its responses.
 */
export function createHttpServer(
  handler?: (request: IncomingMessage, response: ServerResponse) => unknown
): Server {
  return writesFixedHeaders
    ? createServer({ ServerResponse: GatehouseResponse }, handler)
    : createServer(handler)
}

/**
 * Adds `name: value` to the response's fixed set when it has one (see
 * FixedHeaders.with(): the set with it is made once), else sets it through
 * `setHeader` (AdonisJS's `response.header`). For a header that is the same
 * on every answer that gets it; one the application sets itself later still
 * replaces it.
 */
export function addFixedHeader(
  response: ServerResponse,
  name: string,
  value: string,
  setHeader: (name: string, value: string) => void
) {
  if (writesFixedHeaders && response instanceof GatehouseResponse && response.fixedHeaders) {
    response.fixedHeaders = response.fixedHeaders.with(name, value)
    return
  }
  setHeader(name, value)
}

/**
 * Gives `response` the set: as text when it is a GatehouseResponse, else
 * each header through `setHeader` (a response from another server: a test's
 * HttpContextFactory, a Node without `_storeHeader`).
 */
export function setFixedHeaders(
  response: ServerResponse,
  headers: FixedHeaders | undefined,
  setHeader: (name: string, value: string) => void
) {
  if (writesFixedHeaders && response instanceof GatehouseResponse) {
    response.fixedHeaders = headers
    return
  }
  if (headers) for (const name of headers.names) setHeader(name, headers.get(name)!)
}
