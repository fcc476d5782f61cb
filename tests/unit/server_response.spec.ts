import { test } from '@japa/runner'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  FixedHeaders,
  GatehouseResponse,
  addFixedHeader,
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

  test('with() adds a header once per name and value, replacing one of the same name', ({
    assert,
  }) => {
    const widened = SET.with('Allow', 'GET, HEAD, OPTIONS')
    assert.equal(
      widened.text,
      'x-frame-options: DENY\r\nx-content-type-options: nosniff\r\nallow: GET, HEAD, OPTIONS\r\n'
    )
    assert.strictEqual(SET.with('Allow', 'GET, HEAD, OPTIONS'), widened, 'made once')
    assert.equal(SET.with('allow', 'GET, HEAD, OPTIONS').text, widened.text)
    assert.notStrictEqual(SET.with('allow', 'POST'), widened)
    assert.equal(
      SET.with('X-Frame-Options', 'SAMEORIGIN').text,
      'x-content-type-options: nosniff\r\nx-frame-options: SAMEORIGIN\r\n'
    )
    assert.equal(SET.text, 'x-frame-options: DENY\r\nx-content-type-options: nosniff\r\n')
    assert.throws(() => SET.with('x-injected', 'a\r\nset-cookie: b=c'), /Invalid character/)
  })

  test('addFixedHeader() writes the header with the set; the app setting it later wins, once', async ({
    assert,
  }) => {
    const head = await headOf((_req, res) => {
      setFixedHeaders(res, SET, () => assert.fail('no setHeader on the fast path'))
      addFixedHeader(res, 'www-authenticate', 'Token realm="api"', () =>
        assert.fail('no setHeader on the fast path')
      )
      addFixedHeader(res, 'allow', 'GET', () => assert.fail('no setHeader on the fast path'))
      res.setHeader('Allow', 'POST')
      res.writeHead(401, { 'content-type': 'application/json' }).end('{}')
    })
    assert.include(head, 'www-authenticate: Token realm="api"')
    assert.include(head, 'x-frame-options: DENY')
    assert.include(head, 'Allow: POST')
    assert.lengthOf(
      head.filter((line) => line.toLowerCase().startsWith('allow:')),
      1
    )

    // Without a set (a response another server made, or none given yet): through setHeader.
    const set: Array<[string, string]> = []
    const other = { fixedHeaders: undefined } as unknown as ServerResponse
    addFixedHeader(other, 'allow', 'GET', (name, value) => set.push([name, value]))
    assert.deepEqual(set, [['allow', 'GET']])
  })
})
