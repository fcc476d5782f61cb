import { test } from '@japa/runner'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  FixedHeaders,
  GatehouseResponse,
  createHttpServer,
  setFixedHeaders,
  writesFixedHeaders,
} from '#services/server_response'

const SET = new FixedHeaders([
  ['X-Frame-Options', 'DENY'],
  ['x-content-type-options', 'nosniff'],
])

/** The head (status line and headers, as sent) of one answer of `handler`, read off the socket. */
async function headOf(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createHttpServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as AddressInfo
    const socket = connect(port, '127.0.0.1')
    socket.write('GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n')
    let raw = ''
    for await (const chunk of socket) raw += chunk
    return raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n')
  } finally {
    server.close()
  }
}

test.group('Fixed response headers (app/services/server_response.ts)', () => {
  test('a set is validated once, with Node checks, and kept as the text it is sent as', ({
    assert,
  }) => {
    assert.equal(SET.text, 'x-frame-options: DENY\r\nx-content-type-options: nosniff\r\n')
    assert.equal(SET.get('X-FRAME-OPTIONS'), 'DENY')
    assert.throws(
      () => new FixedHeaders([['bad name', 'x']]),
      /Header name must be a valid HTTP token/
    )
    assert.throws(
      () => new FixedHeaders([['x-injected', 'a\r\nset-cookie: b=c']]),
      /Invalid character in header content/
    )
  })

  test('the app server writes a set right after the status line, each header once', async ({
    assert,
  }) => {
    assert.isTrue(writesFixedHeaders, 'this Node has the method GatehouseResponse relies on')
    const head = await headOf((_req, res) => {
      assert.instanceOf(res, GatehouseResponse)
      setFixedHeaders(res, SET, () => assert.fail('no setHeader on the fast path'))
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })

    assert.deepEqual(head.slice(0, 4), [
      'HTTP/1.1 200 OK',
      'x-frame-options: DENY',
      'x-content-type-options: nosniff',
      'content-type: text/plain',
    ])
  })

  test("a header the application sets of the same name is sent instead of the set's, once", async ({
    assert,
  }) => {
    const ways: Array<(res: ServerResponse) => void> = [
      (res) => res.writeHead(200, { 'x-frame-options': 'SAMEORIGIN' }),
      (res) => res.setHeader('X-Frame-Options', 'SAMEORIGIN'),
      (res) => res.writeHead(200, ['X-Frame-Options', 'SAMEORIGIN']),
    ]
    for (const setOwn of ways) {
      const head = await headOf((_req, res) => {
        setFixedHeaders(res, SET, () => {})
        setOwn(res)
        res.end()
      })
      const frames = head.filter((line) => /^x-frame-options:/i.test(line))
      assert.deepEqual(frames, [frames[0]])
      assert.match(frames[0], /: SAMEORIGIN$/)
      assert.include(head, 'x-content-type-options: nosniff')
    }
  })

  test("a response from another server gets the set through the caller's setHeader", ({
    assert,
  }) => {
    const set: string[] = []
    const plain = { headersSent: false } as unknown as ServerResponse
    setFixedHeaders(plain, SET, (name, value) => set.push(`${name}=${value}`))
    assert.deepEqual(set, ['x-frame-options=DENY', 'x-content-type-options=nosniff'])
  })

  test('without() drops names, keeps the rest, and is made once per list', ({ assert }) => {
    const narrowed = SET.without('X-Frame-Options')
    assert.equal(narrowed.text, 'x-content-type-options: nosniff\r\n')
    assert.strictEqual(SET.without('x-frame-options'), narrowed)
    assert.deepEqual(SET.names, ['x-frame-options', 'x-content-type-options'])
  })
})
