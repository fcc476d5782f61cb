import { test } from '@japa/runner'
import {
  generateKey,
  hashKey,
  isDrfKey,
  isWellFormedKey,
  parseAuthorization,
} from '#services/token_key'

test.group('Token keys', () => {
  test('a key has the prefix, 40 random characters and a 6-character checksum', ({ assert }) => {
    const key = generateKey('gth_')
    assert.match(key.value, /^gth_[0-9A-Za-z]{46}$/)
    assert.isTrue(isWellFormedKey('gth_', key.value))
    assert.equal(key.hash, hashKey(key.value))
    assert.lengthOf(key.hash, 64)
    assert.notInclude(key.hash, key.value)
    assert.equal(key.hint, key.value.slice(0, 8))
  })

  test('keys are unique', ({ assert }) => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateKey('gth_').value))
    assert.equal(keys.size, 1000)
  })

  test('any single mistyped character breaks the checksum', ({ assert }) => {
    const { value } = generateKey('gth_')
    for (let i = 4; i < value.length; i++) {
      const replacement = value[i] === 'a' ? 'b' : 'a'
      const typo = value.slice(0, i) + replacement + value.slice(i + 1)
      assert.isFalse(isWellFormedKey('gth_', typo), `typo at ${i} passed the checksum`)
    }
  })

  test('wrong prefix, length or shape is not well formed', ({ assert }) => {
    const { value } = generateKey('gth_')
    assert.isFalse(isWellFormedKey('gth_', value.replace('gth_', 'xyz_')))
    assert.isFalse(isWellFormedKey('gth_', value.slice(0, -1)))
    assert.isFalse(isWellFormedKey('gth_', `${value}0`))
    assert.isFalse(isWellFormedKey('gth_', ''))
  })

  test('DRF keys are 40 lowercase hex characters', ({ assert }) => {
    assert.isTrue(isDrfKey('9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'))
    assert.isFalse(isDrfKey('9944B09199C62BCF9418AD846DD0E4BBDFC6EE4B'))
    assert.isFalse(isDrfKey('9944b09199c62bcf9418ad846dd0e4bbdfc6ee4'))
  })
})

test.group('Authorization header parsing (DRF rules)', () => {
  test('{header} → {expected}')
    .with([
      { header: undefined, expected: 'absent' },
      { header: '', expected: 'absent' },
      { header: 'Basic dXNlcjpwYXNz', expected: 'absent' },
      { header: 'Tokenabc', expected: 'absent' },
      { header: 'Token', expected: 'Invalid token header. No credentials provided.' },
      { header: 'Bearer   ', expected: 'Invalid token header. No credentials provided.' },
      {
        header: 'Token a b',
        expected: 'Invalid token header. Token string should not contain spaces.',
      },
      {
        header: 'Token gth_ab\u00e9',
        expected: 'Invalid token header. Token string should not contain invalid characters.',
      },
      {
        header: 'Token abc"def',
        expected: 'Invalid token header. Token string should not contain invalid characters.',
      },
    ])
    .run(({ assert }, { header, expected }) => {
      const parsed = parseAuthorization(header)
      if (expected === 'absent') {
        assert.equal(parsed.kind, 'absent')
      } else {
        assert.deepEqual(parsed, { kind: 'invalid', detail: expected })
      }
    })

  test('keyword is case-insensitive and separated by any whitespace', ({ assert }) => {
    assert.deepEqual(parseAuthorization('token abc'), { kind: 'key', scheme: 'token', key: 'abc' })
    assert.deepEqual(parseAuthorization('BEARER\tabc'), {
      kind: 'key',
      scheme: 'bearer',
      key: 'abc',
    })
    assert.deepEqual(parseAuthorization('  Token   abc  '), {
      kind: 'key',
      scheme: 'token',
      key: 'abc',
    })
  })
})
