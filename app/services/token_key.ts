import { hash, randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const SECRET_LENGTH = 40
const CHECKSUM_LENGTH = 6
const HINT_LENGTH = 4

/** RFC 7235 token68's characters (before its trailing `=`s), by char code. */
const TOKEN68_CHARS = new Uint8Array(128)
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/') {
  TOKEN68_CHARS[char.charCodeAt(0)] = 1
}

/**
 * RFC 7235 token68 (`^[A-Za-z0-9\-._~+/]+=*$`), the characters an
 * Authorization credential may contain, of `value` from `start` on: checked
 * by char code, a third of what the regular expression cost on every
 * authenticated request (callgrind); from an offset so that a header is
 * checked before its key is cut out (a cut-out string reads each character
 * through its parent: ~30% slower).
 */
export function isToken68(value: string, start = 0): boolean {
  const length = value.length
  let at = start
  while (at < length) {
    const code = value.charCodeAt(at)
    if (code >= 128 || TOKEN68_CHARS[code] === 0) break
    at++
  }
  if (at === start) return false
  while (at < length && value.charCodeAt(at) === 61) at++
  return at === length
}
/** A Django REST Framework key: 40 lowercase hex characters. */
const DRF_KEY = /^[0-9a-f]{40}$/

function base62(value: number, length: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 62] + out
    rest = Math.floor(rest / 62)
  }
  return out
}

function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62]
    }
  }
  return out
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH)
}

/** Each character's base62 digit (-1: not in the alphabet), by char code. */
const DIGITS = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) DIGITS[ALPHABET.charCodeAt(i)] = i

/** The number that `length` base62 characters of `value` from `start` spell; -1 if any is not base62. */
function fromBase62(value: string, start: number, length: number): number {
  let out = 0
  for (let i = start; i < start + length; i++) {
    const code = value.charCodeAt(i)
    const digit = code < 128 ? DIGITS[code] : -1
    if (digit < 0) return -1
    out = out * 62 + digit
  }
  return out
}

/**
 * Gatehouse keys: `<prefix><40 random base62><6 base62 CRC32 of the rest>`.
 * The checksum lets a mistyped or random key be refused without a database
 * round trip, and lets secret scanners recognise leaked keys.
 */
export function generateKey(prefix: string) {
  const body = prefix + randomBase62(SECRET_LENGTH)
  const value = body + checksum(body)
  return { value, hash: hashKey(value), hint: value.slice(0, prefix.length + HINT_LENGTH) }
}

/**
 * True when the key has Gatehouse's shape and its checksum matches. A plain
 * comparison: the checksum is no secret (anyone holding a key body can
 * compute it), so timing reveals nothing a caller could not compute.
 */
export function isWellFormedKey(prefix: string, value: string): boolean {
  if (value.length !== prefix.length + SECRET_LENGTH + CHECKSUM_LENGTH) return false
  if (!value.startsWith(prefix)) return false
  // Compared as numbers: the checksum decoded, not the CRC encoded (no strings built).
  const end = value.length - CHECKSUM_LENGTH
  return fromBase62(value, end, CHECKSUM_LENGTH) === crc32(value.slice(0, end))
}

export function isDrfKey(value: string): boolean {
  return DRF_KEY.test(value)
}

/**
 * Whether two keys are the same, in a time that depends on their length
 * only (every character is compared, no early exit): a key presented is
 * compared with the one its connection presented before, which on a
 * connection shared by several clients (a proxy) may be someone else's.
 * String `===` stops at the first difference, which would tell a caller
 * how much of its guess is right.
 */
export function sameKey(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let at = 0; at < a.length; at++) difference |= a.charCodeAt(at) ^ b.charCodeAt(at)
  return difference === 0
}

/** What is stored and looked up: SHA-256 of the whole key, hex. */
export function hashKey(value: string): string {
  return hash('sha256', value, 'hex')
}

export type ParsedAuthorization =
  | { kind: 'absent' }
  | { kind: 'invalid'; detail: string }
  | { kind: 'key'; scheme: 'token' | 'bearer'; key: string }

export const KEYWORDS = ['Token', 'Bearer'] as const

/**
 * `token` or `bearer` when the header starts with the keyword spelled as
 * clients send it (`Token `, `Bearer `), without lower-casing a copy:
 * String#toLowerCase goes through ICU's locale lookup (~800 instructions
 * per request, callgrind). Any other spelling is lower-cased as before.
 */
function exactKeyword(header: string, space: number): 'token' | 'bearer' | undefined {
  if (space === 5 && header.startsWith('Token')) return 'token'
  if (space === 6 && header.startsWith('Bearer')) return 'bearer'
  return undefined
}

/**
 * Reads an Authorization header the way DRF's TokenAuthentication does
 * (keyword case-insensitive, parts split on whitespace), accepting both
 * `Token` and `Bearer`. Returns DRF's messages for malformed headers.
 */
export function parseAuthorization(header: string | undefined | null): ParsedAuthorization {
  if (!header) return { kind: 'absent' }
  // The usual shape, `<keyword> <key>`, without splitting: a key that is all token68
  // holds no whitespace, so DRF's split would give exactly these two parts.
  const space = header.indexOf(' ')
  if (space === 5 || space === 6) {
    const keyword = exactKeyword(header, space) ?? header.slice(0, space).toLowerCase()
    if ((keyword === 'token' || keyword === 'bearer') && isToken68(header, space + 1)) {
      return { kind: 'key', scheme: keyword, key: header.slice(space + 1) }
    }
  }
  const parts = header.split(/[ \t\n\r\v\f]+/).filter((part) => part !== '')
  const keyword = parts[0]?.toLowerCase()
  if (keyword !== 'token' && keyword !== 'bearer') return { kind: 'absent' }

  if (parts.length === 1) {
    return { kind: 'invalid', detail: 'Invalid token header. No credentials provided.' }
  }
  if (parts.length > 2) {
    return {
      kind: 'invalid',
      detail: 'Invalid token header. Token string should not contain spaces.',
    }
  }
  if (!isToken68(parts[1])) {
    return {
      kind: 'invalid',
      detail: 'Invalid token header. Token string should not contain invalid characters.',
    }
  }
  return { kind: 'key', scheme: keyword, key: parts[1] }
}
