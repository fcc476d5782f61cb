import { test } from '@japa/runner'
import hash from '@adonisjs/core/services/hash'
import {
  DjangoHasher,
  exceedsCostCeiling,
  identifyDjangoHash,
  isWeakDjangoAlgorithm,
  loadBcrypt,
} from '#hashing/django_hasher'
import { manifest } from '#tests/helpers/drf_fixtures'

/** Made with Python's hashlib the way Django's hashers encode them (password "pässwörd 1"). */
const PASSWORD = 'pässwörd 1'
const VECTORS: Record<string, string> = {
  scrypt:
    'scrypt$4096$s4ltS4ltS4lt$8$2$QeZhR6wEv79IL1MNKydnOOn0trBH7wVgXWelQyvVBIkqfahrtmjhyPkEmaF3eE4puYIvMqXZvOronjpJzOVvRw==',
  pbkdf2_sha256: 'pbkdf2_sha256$1000$s4ltS4ltS4lt$6Y7z2KKC+0p1TjObVqhjg2LdYZ+dxrOkZiTCARTfzqk=',
  pbkdf2_sha1: 'pbkdf2_sha1$12345$s4ltS4ltS4lt$fJFR9FlnY8OOmxvahpBhl3EAIWI=',
  sha1: 'sha1$s4ltS4ltS4lt$b46f52a3a21e63da9348bc7be5bfd05a67068f49',
  unsalted_sha1: 'sha1$$fc7ae7d3c804a20720bc38e8e5835048689b6551',
  unsalted_md5: 'ce74b892da441b00f4b61523872bc6b4',
}

test.group('DjangoHasher', () => {
  test('verifies every hash of the fixture with its manifest password', async ({ assert }) => {
    const hasher = new DjangoHasher()
    assert.isNotNull(await loadBcrypt(), 'the bcrypt package is not installed')
    // Side by side: each hash is computed on libuv's thread pool, so both cores work.
    const users = await manifest('manifest.json')
    await Promise.all(
      users.map(async (user) => {
        if (user.password === null) {
          assert.isFalse(await hasher.verify(user.password_hash, ''))
          assert.isFalse(await hasher.verify(user.password_hash, user.password_hash))
          return
        }
        assert.isTrue(await hasher.verify(user.password_hash, user.password), user.username)
        assert.isFalse(await hasher.verify(user.password_hash, `${user.password}x`), user.username)
      })
    )
  })
    // argon2 with Django's 100 MiB, pbkdf2 with 260,000 iterations: slow on purpose
    .timeout(30000)

  test('verifies {$self}')
    .with(Object.keys(VECTORS))
    .run(async ({ assert }, algorithm) => {
      const hasher = new DjangoHasher()
      const encoded = VECTORS[algorithm]
      assert.equal(identifyDjangoHash(encoded).algorithm, algorithm)
      assert.isTrue(await hasher.verify(encoded, PASSWORD))
      assert.isFalse(await hasher.verify(encoded, 'pässwörd 2'))
      assert.isFalse(await hasher.verify(encoded, ''))
    })

  test('flags weak formats, refuses unusable and malformed values', async ({ assert }) => {
    const hasher = new DjangoHasher()
    for (const weak of ['md5', 'sha1', 'unsalted_md5', 'unsalted_sha1', 'crypt']) {
      assert.isTrue(isWeakDjangoAlgorithm(weak), weak)
    }
    for (const strong of ['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt_sha256', 'scrypt']) {
      assert.isFalse(isWeakDjangoAlgorithm(strong), strong)
    }
    assert.deepEqual(identifyDjangoHash('!abc'), {
      algorithm: 'unusable',
      weak: false,
      unusable: true,
    })
    assert.isTrue(hasher.isValidHash('!'))
    assert.isFalse(await hasher.verify('!', ''))
    assert.isFalse(await hasher.verify('', ''))

    for (const malformed of [
      'pbkdf2_sha256$0$salt$hash',
      'pbkdf2_sha256$abc$salt$aGFzaA==',
      'pbkdf2_sha256$1000$$',
      'argon2$argon2id$v=16$m=512,t=2,p=2$c2FsdHNhbHQ$aGFzaGhhc2g',
      'argon2$argon2x$v=19$m=512,t=2,p=2$c2FsdHNhbHQ$aGFzaGhhc2g',
      'crypt$$abN0/Ks3ejT1c',
      'sha1$salt$',
    ]) {
      assert.isFalse(await hasher.verify(malformed, ''), malformed)
    }
    assert.isFalse(hasher.isValidHash('$scrypt$n=16384,r=8,p=1$c2FsdA$aGFzaA'))
    assert.isFalse(hasher.isValidHash('plain text'))
  })

  test('is registered as the "django" hasher; scrypt stays the default', async ({ assert }) => {
    const encoded = VECTORS.pbkdf2_sha256
    assert.isTrue(await hash.use('django').verify(encoded, PASSWORD))
    assert.isTrue(hash.use('django').needsReHash(encoded))
    assert.match(await hash.make(PASSWORD), /^\$scrypt\$/)
  })

  test('make() writes a pbkdf2_sha256 hash it can verify', async ({ assert }) => {
    const hasher = new DjangoHasher()
    const encoded = await hasher.make('s3cret')
    assert.match(encoded, /^pbkdf2_sha256\$1000000\$[A-Za-z0-9_-]{22}\$/)
    assert.isTrue(await hasher.verify(encoded, 's3cret'))
  })
})

test.group('DjangoHasher | cost ceiling', () => {
  /** Far below every hash of the fixture and of VECTORS. */
  const tiny = {
    pbkdf2Iterations: 999,
    bcryptCost: 4,
    argon2MemoryKiB: 1024,
    argon2Passes: 1,
    argon2Parallelism: 1,
    scryptN: 1024,
    scryptR: 8,
    scryptP: 1,
  }

  test('a hash above the ceiling never verifies, even with the right password', async ({
    assert,
  }) => {
    const hasher = new DjangoHasher(tiny)
    const users = await manifest('manifest.json')
    const hashes = users
      .filter((user) => user.password !== null && user.hasher !== 'md5')
      .map((user) => [user.password_hash, user.password!] as const)
    hashes.push([VECTORS.scrypt, PASSWORD], [VECTORS.pbkdf2_sha1, PASSWORD])
    for (const [stored, password] of hashes) {
      assert.isTrue(exceedsCostCeiling(stored, tiny), stored.split('$')[0])
      assert.isFalse(await hasher.verify(stored, password), stored.split('$')[0])
    }
  })

  test('the default ceiling: {name}')
    .with([
      {
        name: 'pbkdf2 at 25,000,000 iterations is refused',
        stored: 'pbkdf2_sha256$25000000$s$aGFzaA==',
        over: true,
      },
      {
        name: 'pbkdf2 at Django 6.0’s 1,200,000 is accepted',
        stored: 'pbkdf2_sha256$1200000$s$aGFzaA==',
        over: false,
      },
      {
        name: 'bcrypt cost 15 is refused',
        stored: 'bcrypt_sha256$$2b$15$abcdefghijklmnopqrstuv',
        over: true,
      },
      {
        name: 'bcrypt cost 12 is accepted',
        stored: 'bcrypt$$2b$12$abcdefghijklmnopqrstuv',
        over: false,
      },
      {
        name: 'argon2 with 4 GiB is refused',
        stored: 'argon2$argon2id$v=19$m=4194304,t=2,p=8$c2FsdA$aGFzaA',
        over: true,
      },
      {
        name: 'argon2 with 1,000 passes is refused',
        stored: 'argon2$argon2id$v=19$m=102400,t=1000,p=8$c2FsdA$aGFzaA',
        over: true,
      },
      {
        name: 'scrypt with N=2^20 is refused',
        stored: 'scrypt$1048576$salt$8$1$aGFzaA==',
        over: true,
      },
      {
        name: 'scrypt with p=64 is refused',
        stored: 'scrypt$16384$salt$8$64$aGFzaA==',
        over: true,
      },
      {
        name: 'scrypt as Django makes it is accepted',
        stored: 'scrypt$16384$salt$8$1$aGFzaA==',
        over: false,
      },
      {
        name: 'md5 is accepted (cheap)',
        stored: 'md5$salt$0123456789abcdef0123456789abcdef',
        over: false,
      },
    ])
    .run(async ({ assert }, { stored, over }) => {
      assert.equal(exceedsCostCeiling(stored), over)
    })
})
