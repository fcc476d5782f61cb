import net from 'node:net'
import env from '#start/env'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** The whole answer as received, for assertion messages. */
  raw: string
}

/** Where the test HTTP server listens (HOST/PORT, like the API client). */
export function serverAddress() {
  return { host: env.get('HOST', '127.0.0.1'), port: env.get('PORT', 3333) }
}

function decodeChunked(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset)
    if (lineEnd === -1) break
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16)
    if (!size) break
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

/**
 * Sends bytes as they are over a TCP socket and reads the answer until the
 * server closes the connection. For requests Node's HTTP client refuses to
 * send (null bytes or control characters in headers, invalid UTF-8…).
 */
export function rawRequest(request: Buffer | string): Promise<RawResponse> {
  const { host, port } = serverAddress()
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect({ host, port })
    socket.on('data', (chunk) => chunks.push(chunk))
    // The server may answer (413, 400) and close before reading everything.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (chunks.length === 0 && error.code !== 'EPIPE' && error.code !== 'ECONNRESET') {
        reject(error)
      }
    })
    socket.on('close', () => {
      const data = Buffer.concat(chunks)
      const headerEnd = data.indexOf('\r\n\r\n')
      const head = data.subarray(0, headerEnd === -1 ? data.length : headerEnd).toString('latin1')
      const [statusLine, ...lines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0)
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      let body: Buffer = headerEnd === -1 ? Buffer.alloc(0) : data.subarray(headerEnd + 4)
      if (headers['transfer-encoding']?.includes('chunked')) body = decodeChunked(body)
      resolve({
        status: Number(statusLine?.split(' ')[1] ?? 0),
        headers,
        body: body.toString('utf8'),
        raw: data.toString('latin1').slice(0, 2000),
      })
    })
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request)
  })
}

/** An HTTP/1.1 request with "Connection: close" and a correct Content-Length. */
export function buildRequest(options: {
  method: string
  path: string
  headers?: (string | Buffer)[]
  body?: Buffer | string
}): Buffer {
  const { host, port } = serverAddress()
  const body = options.body === undefined ? undefined : Buffer.from(options.body as any)
  const lines: Buffer[] = [
    Buffer.from(`${options.method} ${options.path} HTTP/1.1\r\nHost: ${host}:${port}\r\n`),
    Buffer.from('Connection: close\r\n'),
  ]
  for (const header of options.headers ?? []) {
    lines.push(Buffer.concat([Buffer.from(header as any), Buffer.from('\r\n')]))
  }
  if (body) lines.push(Buffer.from(`Content-Length: ${body.length}\r\n`))
  lines.push(Buffer.from('\r\n'))
  if (body) lines.push(body)
  return Buffer.concat(lines)
}
