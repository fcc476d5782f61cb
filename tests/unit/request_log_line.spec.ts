import { test } from '@japa/runner'
import logger from '@adonisjs/core/services/logger'
import { Logger } from '@adonisjs/core/logger'
import { durationText, logRequest } from '#middleware/request_observer_middleware'
import { captureLogs } from '#tests/helpers/logs'

/** A line without its time (the one field two calls cannot share). */
function withoutTime(line: string) {
  return line.replace(/,"time":\d+/, '')
}

/** What the app's logger writes for the request line, through logRequest and through pino itself. */
function bothWays(method: string, path: string, status: number, durationMs: number) {
  const child = logger.child({ request_id: 'req-"1"' })
  const capture = captureLogs()
  try {
    logRequest(child, method, path, status, durationMs)
    child.info({ method, path, status, duration_ms: durationMs }, 'http request')
  } finally {
    capture.restore()
  }
  return capture.lines
}

test.group('Request log line (request observer)', () => {
  test("is byte for byte what pino writes for the same fields, the request id's bindings included", ({
    assert,
  }) => {
    for (const [method, path, status, ms] of [
      ['GET', '/health/live', 200, 0.123456],
      ['GET', '/health/live', 200, 0.104],
      ['GET', '/api/v1/protected', 401, 0.05],
      ['PATCH', '/api/v1/tokens/1', 200, 1000.001],
      ['OPTIONS', '/', 204, 0],
      ['POST', '/api-token-auth/', 400, 12.5],
      ['PURGE', '/tab\there', 405, -1],
      ['GET', '/a "quoted"\\path/\u00e9\u2028', 404, 3],
      ['DELETE', '/api/v1/tokens/7', 204, Number.NaN],
      // statuses outside the table made once (0-599)
      ['GET', '/x', 600, 1],
      ['GET', '/x', 99.5, 1],
    ] as const) {
      const [fast, pino] = bothWays(method, path, status, ms)
      assert.equal(withoutTime(fast), withoutTime(pino))
      assert.deepInclude(JSON.parse(fast), { method, path, status, request_id: 'req-"1"' })
    }
  })

  test('the duration is printed as JavaScript prints the number', ({ assert }) => {
    // Whole microseconds (what the observer logs) take the integer path; the rest pino's own.
    const samples = [0, 1, 9, 10, 100, 999, 1000, 1001, 104, 50, 123456, 999_999_999_999]
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 10 ** (1 + (i % 12))))
    for (const micros of samples) {
      const ms = micros / 1000
      assert.equal(durationText(ms), `${ms}`, `${micros} µs`)
    }
    for (const ms of [0.1234567, 1 / 3, 1e21, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(durationText(ms), Number.isFinite(ms) ? `${ms}` : 'null')
    }
  })

  test('below the configured level it writes nothing, as pino would', ({ assert }) => {
    const capture = captureLogs()
    logger.level = 'warn'
    try {
      logRequest(logger, 'GET', '/health/live', 200, 1)
    } finally {
      capture.restore()
    }
    assert.deepEqual(capture.lines, [])
  })

  test('a logger configured to change its lines gets the line through pino', ({ assert }) => {
    const lines: string[] = []
    const custom = new Logger({
      enabled: true,
      name: 'custom',
      level: 'info',
      mixin: () => ({ region: 'eu' }),
      destination: { write: (line: string) => void lines.push(line) },
    })
    logRequest(custom, 'GET', '/health/live', 200, 1)

    assert.lengthOf(lines, 1)
    assert.deepInclude(JSON.parse(lines[0]), { region: 'eu', path: '/health/live', status: 200 })
  })
  test('a serializer or redaction on a field is honoured whichever logger wrote before', ({
    assert,
  }) => {
    const lines: string[] = []
    const destination = { write: (line: string) => void lines.push(line) }
    const serialized = new Logger({
      enabled: true,
      name: 'serialized',
      level: 'info',
      serializers: { path: () => '/hidden' },
      destination,
    })
    const redacted = new Logger({
      enabled: true,
      name: 'redacted',
      level: 'info',
      redact: { paths: ['status'], censor: 'gone' },
      destination,
    })
    const plain = new Logger({ enabled: true, name: 'plain', level: 'info', destination })
    // Each logger twice, in turns: an answer kept for one must not be used for another.
    for (let round = 0; round < 2; round++) {
      logRequest(plain.child({ request_id: 'a' }), 'GET', '/shown', 200, 1)
      logRequest(serialized.child({ request_id: 'b' }), 'GET', '/shown', 200, 1)
      logRequest(redacted.child({ request_id: 'c' }), 'GET', '/shown', 200, 1)
    }

    const parsed = lines.map((line) => JSON.parse(line))
    assert.lengthOf(parsed, 6)
    for (const round of [0, 3]) {
      assert.deepInclude(parsed[round], { name: 'plain', path: '/shown', status: 200 })
      assert.deepInclude(parsed[round + 1], { name: 'serialized', path: '/hidden', status: 200 })
      assert.deepInclude(parsed[round + 2], { name: 'redacted', path: '/shown', status: 'gone' })
    }
  })
})
