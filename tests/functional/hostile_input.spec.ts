import { test } from '@japa/runner'
import fc from 'fast-check'
import type { Assert } from '@japa/assert'
import { isolateEachTest } from '#tests/helpers/database'
import { resetThrottle } from '#tests/helpers/throttle'
import { buildRequest, rawRequest, type RawResponse } from '#tests/helpers/raw_http'

/**
 * Property-based tests: whatever bytes a client sends in the Authorization
 * header or as a sign-in body, the answer is a 4xx with a JSON body (DRF's
 * field errors on /api-token-auth/, {"detail": …} elsewhere), never a 5xx,
 * never an HTML page or a stack trace. Requests go out as raw bytes over a
 * socket, since Node's HTTP client refuses to send some of them.
 *
 * A request so malformed that Node's HTTP parser rejects it (e.g. a NUL or a
 * bare CR in a header) never reaches the app: Node answers a bare
 * "400 Bad Request" (or 431 for oversized headers) with no body and closes
 * the socket. That is accepted here, and checked to carry no body at all.
 */

const STACK_OR_HTML = /<html|<!doctype|\bat [^\s]+ \(|\bat file:|node_modules/i

function assertClientError(assert: Assert, response: RawResponse, drfFields = false) {
  const context = `answer was: ${response.raw}`
  assert.isAtLeast(response.status, 400, context)
  assert.isBelow(response.status, 500, context)
  assert.notMatch(response.body, STACK_OR_HTML, context)

  if (response.body === '') {
    // Node's own parser answer: the app never saw the request.
    assert.oneOf(response.status, [400, 413, 431], context)
    assert.isUndefined(response.headers['content-type'], context)
    return
  }
  assert.match(response.headers['content-type'] ?? '', /^application\/json/, context)
  const body = JSON.parse(response.body)
  if (typeof body.detail === 'string') return
  assert.isTrue(drfFields, `a {"detail"} body was expected; ${context}`)
  // DRF serializer errors: { field: ["message", …], … }
  assert.isNotEmpty(Object.keys(body), context)
  for (const messages of Object.values(body)) {
    assert.isArray(messages, context)
    for (const message of messages as unknown[]) assert.isString(message, context)
  }
}

const keywords = fc.constantFrom(
  'Token',
  'Bearer',
  'token',
  'BEARER',
  'Basic',
  'Digest',
  '',
  'Token Token',
  'Bearer Token Bearer'
)
const spaces = fc.stringMatching(/^[ \t]{0,40}$/)
const keyish = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.stringMatching(/^[A-Za-z0-9]{0,60}$/),
  fc.stringMatching(/^gth_[A-Za-z0-9]{40,46}$/),
  fc.stringMatching(/^[0-9a-f]{40}$/),
  fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,80}=*$/),
  fc.constant('a'.repeat(8192)),
  fc.constant(`gth_${'A'.repeat(8188)}`),
  fc.constant(' '.repeat(4000)),
  fc.constant('x'.repeat(20_000))
)
const authorizationHeader = fc.oneof(
  fc
    .tuple(keywords, spaces, keyish, spaces, fc.option(keyish, { nil: '' }))
    .map((parts) => Buffer.from(parts.join(''))),
  fc.array(keywords, { maxLength: 60 }).map((words) => Buffer.from(words.join(' '))),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(keywords, fc.uint8Array({ minLength: 1, maxLength: 80 }))
    .map(([word, bytes]) => Buffer.concat([Buffer.from(`${word} `), Buffer.from(bytes)]))
)

const anyJson = fc.jsonValue({ maxDepth: 4 })
const credentialsLike = fc.record(
  {
    username: fc.oneof(fc.string(), anyJson),
    password: fc.oneof(fc.string(), anyJson),
    name: anyJson,
  },
  { requiredKeys: [] }
)
const jsonBody = fc.oneof(anyJson, credentialsLike, fc.dictionary(fc.string(), anyJson))
const J = (value: unknown) => JSON.stringify(value) ?? 'null'

type Body = { contentType?: string; body: Buffer }
const bodies: fc.Arbitrary<Body> = fc.oneof(
  jsonBody.map((value) => ({ contentType: 'application/json', body: Buffer.from(J(value)) })),
  // Duplicate keys: the last one wins in JSON.parse; still no 5xx.
  fc.tuple(fc.string(), fc.string(), anyJson).map(([a, b, c]) => ({
    contentType: 'application/json',
    body: Buffer.from(`{"username":${J(a)},"username":${J(b)},"password":${J(c)}}`),
  })),
  // Invalid UTF-8 inside and outside JSON strings.
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
    contentType: 'application/json',
    body: Buffer.concat([
      Buffer.from('{"username":"'),
      Buffer.from(bytes),
      Buffer.from('","password":"x"}'),
    ]),
  })),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({
    contentType: 'application/json; charset=utf-8',
    body: Buffer.from(bytes),
  })),
  // Form bodies, with arrays and nested objects in the qs syntax.
  fc
    .array(
      fc.tuple(
        fc.constantFrom('username', 'password', 'username[]', 'password[a][b]', 'name', 'x'),
        fc.string()
      ),
      { maxLength: 8 }
    )
    .map((pairs) => ({
      contentType: 'application/x-www-form-urlencoded',
      body: Buffer.from(
        pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
      ),
    })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
    contentType: 'application/x-www-form-urlencoded',
    body: Buffer.from(bytes),
  })),
  // Other and missing content types, multipart without a boundary.
  fc
    .tuple(
      fc.constantFrom(
        undefined,
        'text/plain',
        'application/xml',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        '*/*',
        'application/json, text/html'
      ),
      fc.string({ unit: 'binary', maxLength: 200 })
    )
    .map(([contentType, text]) => ({ contentType, body: Buffer.from(text) })),
  // Deep nesting and big strings (over the 64 KB limit: 413).
  fc.integer({ min: 1, max: 5000 }).map((depth) => ({
    contentType: 'application/json',
    body: Buffer.from('['.repeat(depth) + ']'.repeat(depth)),
  })),
  fc.constantFrom(70_000, 1_048_576).map((size) => ({
    contentType: 'application/json',
    body: Buffer.from(J({ username: 'u'.repeat(size), password: 'p' })),
  }))
)

function send(path: string, { contentType, body }: Body) {
  return rawRequest(
    buildRequest({
      method: 'POST',
      path,
      headers: contentType === undefined ? [] : [`Content-Type: ${contentType}`],
      body,
    })
  )
}

test.group('Hostile input', (group) => {
  isolateEachTest(group)

  test('deeply nested JSON is a 4xx at every depth, a clear 400 when too deep', async ({
    assert,
  }) => {
    // Runs first, while the code is cold: around 2000 levels the JSON parser
    // still copes but the body parser's deep copy of the body overflows the
    // stack (how deep exactly depends on JIT state); past ~5000 the parser does.
    for (let depth = 1500; depth <= 3500; depth += 10) {
      for (const path of ['/api-token-auth/', '/api/v1/auth/login']) {
        const body = Buffer.from('['.repeat(depth) + ']'.repeat(depth))
        assertClientError(assert, await send(path, { contentType: 'application/json', body }), true)
      }
    }
    const response = await send('/api/v1/auth/login', {
      contentType: 'application/json',
      body: Buffer.from('['.repeat(10_000) + ']'.repeat(10_000)),
    })
    assert.equal(response.status, 400)
    assert.deepEqual(JSON.parse(response.body), {
      detail: 'JSON parse error - the body is nested too deeply.',
    })
  })

  test('any Authorization header gets a 4xx, never a 5xx', async ({ assert }) => {
    await fc.assert(
      fc.asyncProperty(authorizationHeader, async (value) => {
        const response = await rawRequest(
          buildRequest({
            method: 'GET',
            path: '/api/v1/me',
            headers: [Buffer.concat([Buffer.from('Authorization: '), value])],
          })
        )
        assertClientError(assert, response)
      }),
      { numRuns: 300 }
    )
  })

  test('headers Node refuses to send (NUL, CR, 20 KB) get a bare 4xx from the parser', async ({
    assert,
  }) => {
    const cases = [
      Buffer.from('Authorization: Token gth_\u0000abc'),
      Buffer.from('Authorization: Token abc\rdef'),
      Buffer.from(`Authorization: Token ${'x'.repeat(20_000)}`),
      Buffer.from('Authorization: Token \u00ff\u00fe'),
      Buffer.from([0x41, 0x3a, 0x20, 0x00, 0xff]),
    ]
    for (const header of cases) {
      const response = await rawRequest(
        buildRequest({ method: 'GET', path: '/api/v1/me', headers: [header] })
      )
      assertClientError(assert, response)
    }
  })

  test('any body at POST /api-token-auth/ gets a 4xx with DRF-shaped JSON', async ({ assert }) => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        await resetThrottle()
        assertClientError(assert, await send('/api-token-auth/', body), true)
      }),
      { numRuns: 200 }
    )
  })

  test('any body at POST /api/v1/auth/login gets a 4xx with a JSON detail', async ({ assert }) => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        await resetThrottle()
        assertClientError(assert, await send('/api/v1/auth/login', body))
      }),
      { numRuns: 200 }
    )
  })

  test('bodies over the limit are refused with 413 and a JSON detail', async ({ client }) => {
    for (const path of ['/api-token-auth/', '/api/v1/auth/login']) {
      const json = await client.post(path).json({ username: 'u'.repeat(70_000), password: 'p' })
      json.assertStatus(413)
      json.assertBody({ detail: 'Request body is too large.' })

      const form = await client.post(path).form({ username: 'u'.repeat(70_000), password: 'p' })
      form.assertStatus(413)
      form.assertBody({ detail: 'Request body is too large.' })
    }
  })
})
