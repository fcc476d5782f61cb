import { test } from '@japa/runner'
import { MetricsAccess } from '#services/metrics_access'

test.group('MetricsAccess', () => {
  test('the default loopback list admits 127.0.0.1, ::1 and IPv4-mapped loopback only', ({
    assert,
  }) => {
    const access = new MetricsAccess({ allow: ['127.0.0.1', '::1'], token: undefined })
    assert.isTrue(access.allows('127.0.0.1', undefined))
    assert.isTrue(access.allows('::1', undefined))
    assert.isTrue(access.allows('::ffff:127.0.0.1', undefined))
    assert.isFalse(access.allows('127.0.0.2', undefined))
    assert.isFalse(access.allows('10.1.2.3', undefined))
    assert.isFalse(access.allows('', undefined))
    assert.isFalse(access.allows('not an address', undefined))
  })

  test('CIDR ranges, IPv4 and IPv6', ({ assert }) => {
    const access = new MetricsAccess({ allow: ['10.0.0.0/8', 'fd00::/8'], token: undefined })
    assert.isTrue(access.allows('10.200.3.4', undefined))
    assert.isTrue(access.allows('fd12:3456::1', undefined))
    assert.isFalse(access.allows('11.0.0.1', undefined))
    assert.isFalse(access.allows('127.0.0.1', undefined))
  })

  test('the bearer secret opens it from any address; nothing else does', ({ assert }) => {
    const access = new MetricsAccess({ allow: [], token: 'sixteen-chars-secret' })
    assert.isTrue(access.allows('203.0.113.9', 'Bearer sixteen-chars-secret'))
    assert.isFalse(access.allows('203.0.113.9', 'Bearer sixteen-chars-secreT'))
    assert.isFalse(access.allows('203.0.113.9', 'Bearer sixteen-chars-secret extra'))
    assert.isFalse(access.allows('203.0.113.9', 'Basic sixteen-chars-secret'))
    assert.isFalse(access.allows('127.0.0.1', undefined))
  })

  test('without a configured secret, no bearer value opens it', ({ assert }) => {
    const access = new MetricsAccess({ allow: [], token: undefined })
    assert.isFalse(access.allows('203.0.113.9', 'Bearer '))
    assert.isFalse(access.allows('203.0.113.9', 'Bearer undefined'))
  })
})
