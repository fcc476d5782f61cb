import { test } from '@japa/runner'
import logger from '@adonisjs/core/services/logger'
import { captureLogs } from '#tests/helpers/logs'

/** Values that must never reach a log line, wherever config/logger.ts promises to hide them. */
const SECRETS = {
  top: { password: 'pw-top-1', token: 'tok-top-2', key: 'key-top-3' },
  headers: { authorization: 'Token hdr-auth-4', cookie: 'hdr-cookie-5' },
  req: { headers: { authorization: 'Bearer req-auth-6', cookie: 'req-cookie-7' } },
  err: { message: 'kept', body: 'err-body-8' },
  nested: {
    user: { username: 'alice', password: 'pw-nested-9' },
    reply: { token: 'tok-nested-10' },
    request: { headers: { authorization: 'Token nested-auth-11', cookie: 'nested-cookie-12' } },
  },
}

function logged(entry: Record<string, unknown>) {
  const capture = captureLogs()
  try {
    logger.info(entry, 'redaction check')
  } finally {
    capture.restore()
  }
  return capture.lines.join('')
}

test.group('Logger redaction (config/logger.ts)', () => {
  test('credentials at the top level, in headers and in err.body are redacted', ({ assert }) => {
    const line = logged({
      ...SECRETS.top,
      headers: SECRETS.headers,
      req: SECRETS.req,
      err: SECRETS.err,
    })
    for (const secret of [
      'pw-top-1',
      'tok-top-2',
      'key-top-3',
      'hdr-auth-4',
      'hdr-cookie-5',
      'req-auth-6',
      'req-cookie-7',
      'err-body-8',
    ]) {
      assert.notInclude(line, secret)
    }
    assert.include(line, '[redacted]')
    assert.include(line, 'kept', 'what is not a credential stays')
  })

  test('credentials one object down (password, token, headers) are redacted', ({ assert }) => {
    const line = logged(SECRETS.nested)
    for (const secret of ['pw-nested-9', 'tok-nested-10', 'nested-auth-11', 'nested-cookie-12']) {
      assert.notInclude(line, secret)
    }
    assert.include(line, 'alice', 'other fields of the same object stay')
  })

  test('the objects logged are not changed by redaction', ({ assert }) => {
    const user = { username: 'alice', password: 'pw-kept-13' }
    logged({ user })
    assert.equal(user.password, 'pw-kept-13')
  })

  test('an access line (primitives only) is written as it is', ({ assert }) => {
    const line = JSON.parse(logged({ method: 'GET', path: '/health/live', status: 200 }))
    assert.include(line, {
      method: 'GET',
      path: '/health/live',
      status: 200,
      msg: 'redaction check',
    })
  })
})
