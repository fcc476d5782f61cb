import { test } from '@japa/runner'
import {
  generateKey,
  hashKey,
  isDrfKey,
  isToken68,
  isWellFormedKey,
  parseAuthorization,
  sameKey,
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

  test('every generated key passes, whatever its checksum (leading zeros included)', ({
    assert,
  }) => {
    // About a fifth of CRC32 values are below 62^5: their checksum starts with '0'.
    let leadingZero = 0
    for (let i = 0; i < 2000; i++) {
      const { value } = generateKey('gth_')
      if (value.at(-6) === '0') leadingZero++
      assert.isTrue(isWellFormedKey('gth_', value), value.slice(0, 8))
    }
    assert.isAbove(leadingZero, 0)
  })

  test('a checksum with characters outside base62 is refused', ({ assert }) => {
    const { value } = generateKey('gth_')
    for (const bad of ['-', '_', '.', '~', '+', '/', '=', '\u00e9', '\u{1F600}'.slice(0, 1)]) {
      const typo = value.slice(0, -1) + bad
      assert.isFalse(isWellFormedKey('gth_', typo), JSON.stringify(bad))
    }
    // Not read modulo 128: each checksum character moved up by 128 is no longer its digit.
    for (let i = value.length - 6; i < value.length; i++) {
      const shifted = String.fromCharCode(value.charCodeAt(i) + 128)
      assert.isFalse(isWellFormedKey('gth_', value.slice(0, i) + shifted + value.slice(i + 1)))
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

  test('sameKey: equal keys only, whichever character differs', ({ assert }) => {
    const key = generateKey('gth_').value
    assert.isTrue(sameKey(key, `${key}`))
    for (const at of [0, 4, 20, key.length - 1]) {
      const other = key.slice(0, at) + (key[at] === 'x' ? 'y' : 'x') + key.slice(at + 1)
      assert.isFalse(sameKey(key, other), `differs at ${at}`)
    }
    assert.isFalse(sameKey(key, key.slice(0, -1)))
    assert.isFalse(sameKey(key, `${key}x`))
    assert.isTrue(sameKey('', ''))
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

  test('every header is read as DRF reads it (split on whitespace), shortcut or not', ({
    assert,
  }) => {
    // DRF: `auth = header.split()`; keyword is auth[0], lowercased; exactly two parts.
    const reference = (header: string) => {
      const parts = header.split(/[ \t\n\r\v\f]+/).filter((part) => part !== '')
      const keyword = parts[0]?.toLowerCase()
      if (keyword !== 'token' && keyword !== 'bearer') return 'absent'
      if (parts.length !== 2) return 'invalid'
      return /^[A-Za-z0-9\-._~+/]+=*$/.test(parts[1]) ? `key ${keyword} ${parts[1]}` : 'invalid'
    }
    const keywords = ['Token', 'token', 'TOKEN', 'Bearer', 'bearer', 'Basic', 'Tokens', 'Toke']
    const gaps = ['', ' ', '  ', '\t', ' \t', '\n']
    const keys = ['abc', 'gth_AbC09', 'a b', 'abc ', ' abc', 'ab\tc', 'abc"', 'ab==', '=ab', '']
    for (const lead of ['', ' ']) {
      for (const keyword of keywords) {
        for (const gap of gaps) {
          for (const key of keys) {
            const header = lead + keyword + gap + key
            const parsed = parseAuthorization(header)
            const got = parsed.kind === 'key' ? `key ${parsed.scheme} ${parsed.key}` : parsed.kind
            assert.equal(got, reference(header), JSON.stringify(header))
          }
        }
      }
    }
  })

  test('isToken68 accepts exactly what RFC 7235 token68 allows', ({ assert }) => {
    const token68 = /^[A-Za-z0-9\-._~+/]+=*$/
    const samples = ['a', 'A9', 'gth_AbC09', 'a.b-c~d+e/f', 'ab=', 'ab==', 'a=b', '=', '=ab', '']
    for (const code of [0, 9, 32, 33, 34, 44, 58, 61, 64, 91, 96, 123, 127, 128, 233, 8364]) {
      samples.push(`ab${String.fromCharCode(code)}`, `${String.fromCharCode(code)}ab`)
    }
    for (let i = 0; i < 2000; i++) {
      let value = ''
      for (let j = 0; j < 1 + (i % 7); j++) value += String.fromCharCode((i * 31 + j * 97) % 130)
      samples.push(value, `${value}==`)
    }
    for (const value of samples) {
      assert.equal(isToken68(value), token68.test(value), JSON.stringify(value))
      assert.equal(
        isToken68(`x ${value}`, 2),
        token68.test(value),
        `from 2: ${JSON.stringify(value)}`
      )
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
