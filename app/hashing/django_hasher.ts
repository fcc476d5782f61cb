import { argon2, createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import type { HashDriverContract } from '@adonisjs/core/types/hash'
import gatehouse from '#config/gatehouse'

export type DjangoCeiling = typeof gatehouse.passwords.djangoCeiling

const pbkdf2Async = promisify(pbkdf2)
const argon2Async = promisify(argon2)
const scryptAsync = promisify(scrypt) as (
  password: string | Buffer,
  salt: string | Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number }
) => Promise<Buffer>

/** Formats Django can still verify but that are too cheap to brute-force. */
const WEAK = new Set(['md5', 'sha1', 'unsalted_md5', 'unsalted_sha1', 'crypt'])
const ALGORITHMS = new Set([
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'argon2',
  'bcrypt_sha256',
  'bcrypt',
  'scrypt',
  ...WEAK,
])
const UNSALTED_MD5 = /^[0-9a-f]{32}$/

/** Django's own make_password() default (Django 5.2). */
const MAKE_ITERATIONS = 1_000_000

export function isWeakDjangoAlgorithm(algorithm: string) {
  return WEAK.has(algorithm)
}

export interface DjangoHashInfo {
  /** Django's hasher name, "unusable" for `!…`, "unknown" when not a Django hash. */
  algorithm: string
  weak: boolean
  unusable: boolean
}

/** Names a stored Django password the way django.contrib.auth.hashers.identify_hasher does. */
export function identifyDjangoHash(encoded: string): DjangoHashInfo {
  if (encoded === '' || encoded.startsWith('!')) {
    return { algorithm: 'unusable', weak: false, unusable: true }
  }
  let algorithm = encoded.split('$', 1)[0]
  if (encoded.length === 32 && UNSALTED_MD5.test(encoded)) algorithm = 'unsalted_md5'
  else if (encoded.startsWith('md5$$')) algorithm = 'unsalted_md5'
  else if (encoded.startsWith('sha1$$')) algorithm = 'unsalted_sha1'
  if (!encoded.includes('$') && algorithm !== 'unsalted_md5') algorithm = 'unknown'
  if (!ALGORITHMS.has(algorithm)) algorithm = 'unknown'
  return { algorithm, weak: WEAK.has(algorithm), unusable: false }
}

/**
 * True when checking this Django hash would cost more than the ceiling allows
 * (an unreadable cost counts as too high). Cheap and unusable formats never do.
 */
export function exceedsCostCeiling(
  encoded: string,
  ceiling: DjangoCeiling = gatehouse.passwords.djangoCeiling
): boolean {
  const parts = encoded.split('$')
  const over = (value: string | undefined, max: number) => {
    const number = positiveInt(value)
    return number === null || number > max
  }
  switch (identifyDjangoHash(encoded).algorithm) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return over(parts[1], ceiling.pbkdf2Iterations)
    case 'bcrypt':
    case 'bcrypt_sha256':
      // `bcrypt$$2b$12$…`: parts[2] is the variant, parts[3] the cost
      return over(parts[3]?.replace(/^0+/, ''), ceiling.bcryptCost)
    case 'argon2': {
      const params = Object.fromEntries(
        (parts[3] ?? '').split(',').map((pair) => pair.split('='))
      ) as Record<string, string | undefined>
      return (
        over(params.m, ceiling.argon2MemoryKiB) ||
        over(params.t, ceiling.argon2Passes) ||
        over(params.p, ceiling.argon2Parallelism)
      )
    }
    case 'scrypt':
      return (
        over(parts[1], ceiling.scryptN) ||
        over(parts[3], ceiling.scryptR) ||
        over(parts[4], ceiling.scryptP)
      )
    default:
      return false
  }
}

function equal(a: Buffer, b: Buffer) {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b)
}

function digest(algorithm: 'md5' | 'sha1' | 'sha256', value: string) {
  return createHash(algorithm).update(value, 'utf8').digest('hex')
}

function positiveInt(value: string | undefined): number | null {
  return value !== undefined && /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : null
}

/**
 * The bcrypt binding is an optional peer of @adonisjs/hash and is not
 * installed with Gatehouse; without it bcrypt hashes cannot be verified.
 */
let bcryptDriver: Promise<HashDriverContract | null> | undefined
export function loadBcrypt(): Promise<HashDriverContract | null> {
  bcryptDriver ??= (async () => {
    try {
      await import('bcrypt' as string)
      const { Bcrypt } = await import('@adonisjs/core/hash/drivers/bcrypt')
      return new Bcrypt({})
    } catch {
      return null
    }
  })()
  return bcryptDriver
}

/**
 * A hash driver for passwords imported from Django. It verifies Django's
 * stored formats as they are, so users keep their passwords; needsReHash is
 * always true so the first successful sign-in moves them to Gatehouse's own
 * hasher. Unusable (`!…`) and unknown values never verify.
 */
export class DjangoHasher implements HashDriverContract {
  constructor(private ceiling: DjangoCeiling = gatehouse.passwords.djangoCeiling) {}

  isValidHash(value: string): boolean {
    return identifyDjangoHash(value).algorithm !== 'unknown'
  }

  /** A pbkdf2_sha256 hash in Django's format (Gatehouse itself never stores these). */
  async make(value: string): Promise<string> {
    const salt = randomBytes(16).toString('base64url').slice(0, 22)
    const hash = await pbkdf2Async(value, salt, MAKE_ITERATIONS, 32, 'sha256')
    return `pbkdf2_sha256$${MAKE_ITERATIONS}$${salt}$${hash.toString('base64')}`
  }

  needsReHash(_value: string): boolean {
    return true
  }

  async verify(hashedValue: string, plainValue: string): Promise<boolean> {
    const { algorithm, unusable } = identifyDjangoHash(hashedValue)
    // Above the ceiling a single check could stall every sign-in: never run it.
    if (unusable || exceedsCostCeiling(hashedValue, this.ceiling)) return false
    try {
      switch (algorithm) {
        case 'pbkdf2_sha256':
          return await this.verifyPbkdf2(hashedValue, plainValue, 'sha256', 32)
        case 'pbkdf2_sha1':
          return await this.verifyPbkdf2(hashedValue, plainValue, 'sha1', 20)
        case 'argon2':
          return await this.verifyArgon2(hashedValue, plainValue)
        case 'scrypt':
          return await this.verifyScrypt(hashedValue, plainValue)
        case 'bcrypt_sha256':
          return await this.verifyBcrypt(hashedValue, digest('sha256', plainValue))
        case 'bcrypt':
          return await this.verifyBcrypt(hashedValue, plainValue)
        case 'md5':
        case 'sha1': {
          const [, salt, expected] = hashedValue.split('$')
          if (!salt || !expected) return false
          return equal(Buffer.from(digest(algorithm, salt + plainValue)), Buffer.from(expected))
        }
        case 'unsalted_md5': {
          const expected = hashedValue.startsWith('md5$$') ? hashedValue.slice(5) : hashedValue
          return equal(Buffer.from(digest('md5', plainValue)), Buffer.from(expected))
        }
        case 'unsalted_sha1':
          return equal(Buffer.from(digest('sha1', plainValue)), Buffer.from(hashedValue.slice(6)))
        default:
          // crypt (Unix crypt(3), removed from Django 5) and unknown formats
          return false
      }
    } catch {
      return false
    }
  }

  /** Whether this process can check a hash of the given Django algorithm. */
  async canVerify(algorithm: string): Promise<boolean> {
    if (algorithm === 'bcrypt' || algorithm === 'bcrypt_sha256')
      return (await loadBcrypt()) !== null
    return ALGORITHMS.has(algorithm) && algorithm !== 'crypt'
  }

  /** `pbkdf2_<digest>$<iterations>$<salt>$<base64 hash>` */
  private async verifyPbkdf2(encoded: string, plain: string, algo: string, keyLength: number) {
    const [, rawIterations, salt, hash] = encoded.split('$')
    const iterations = positiveInt(rawIterations)
    if (!iterations || !salt || !hash) return false
    const computed = await pbkdf2Async(plain, salt, iterations, keyLength, algo)
    return equal(computed, Buffer.from(hash, 'base64'))
  }

  /** `argon2$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<b64 salt>$<b64 hash>` (argon2-cffi's PHC string) */
  private async verifyArgon2(encoded: string, plain: string) {
    const parts = encoded.split('$')
    if (parts.length !== 6 || parts[2] !== 'v=19') return false
    const [, variant, , rawParams, salt, hash] = parts
    if (!['argon2id', 'argon2i', 'argon2d'].includes(variant)) return false
    const params = Object.fromEntries(rawParams.split(',').map((pair) => pair.split('=')))
    const memory = positiveInt(params.m)
    const passes = positiveInt(params.t)
    const parallelism = positiveInt(params.p)
    const expected = Buffer.from(hash, 'base64')
    if (!memory || !passes || !parallelism || expected.length < 4) return false
    const computed = await argon2Async(variant as 'argon2id', {
      message: Buffer.from(plain, 'utf8'),
      nonce: Buffer.from(salt, 'base64'),
      memory,
      passes,
      parallelism,
      tagLength: expected.length,
    })
    return equal(computed, expected)
  }

  /** `scrypt$<N>$<salt>$<r>$<p>$<b64 hash>` (Django 4.2+) */
  private async verifyScrypt(encoded: string, plain: string) {
    const [, rawN, salt, rawR, rawP, hash] = encoded.split('$')
    const [N, r, p] = [positiveInt(rawN), positiveInt(rawR), positiveInt(rawP)]
    if (!N || !r || !p || !salt || !hash) return false
    const maxmem = 128 * N * r + 128 * r * p + 1024 * 1024
    const computed = await scryptAsync(plain, salt, 64, { N, r, p, maxmem })
    return equal(computed, Buffer.from(hash, 'base64'))
  }

  /** `bcrypt_sha256$$2b$12$…` / `bcrypt$$2b$12$…`: the part after the first `$` is a plain bcrypt string. */
  private async verifyBcrypt(encoded: string, plain: string) {
    const bcrypt = await loadBcrypt()
    if (!bcrypt) return false
    return bcrypt.verify(encoded.slice(encoded.indexOf('$') + 1), plain)
  }
}
