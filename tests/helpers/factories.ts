import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import gatehouse from '#config/gatehouse'
import { generateKey } from '#services/token_key'
import User from '#models/user'
import tokenService from '#services/token_service'

export const PASSWORD = 'correct horse battery'

let counter = 0

/** A saved user with the shared test password. */
export async function makeUser(
  overrides: Partial<Pick<User, 'username' | 'email' | 'isActive'>> = {}
) {
  counter++
  return User.create({
    username: overrides.username ?? `user${counter}`,
    email: overrides.email === undefined ? `user${counter}@example.com` : overrides.email,
    password: PASSWORD,
    isActive: overrides.isActive ?? true,
  })
}

/** A user and a fresh (non get-or-create) token with the given abilities. */
export async function makeToken(user?: User, abilities: string[] = ['*']) {
  const owner = user ?? (await makeUser())
  const { token, value } = await tokenService.create(owner, { name: 'test', abilities })
  return { user: owner, token, value }
}

/** Moves a token's expiry into the past. */
export async function expireToken(id: number) {
  const past = DateTime.now().minus({ minutes: 5 })
  await db
    .from('auth_access_tokens')
    .where('id', id)
    .update({ expires_at: past.toFormat(db.connection().dialect.dateTimeFormat) })
}

/** Inserts `count` tokens for a user in one statement (live unless expiresAt is past; no key kept). */
export async function insertTokens(user: User, count: number, expiresAt: DateTime | null = null) {
  const format = db.connection().dialect.dateTimeFormat
  const now = DateTime.now().toFormat(format)
  const rows = Array.from({ length: count }, (_, index) => {
    const key = generateKey(gatehouse.tokens.prefix)
    return {
      tokenable_id: user.id,
      type: gatehouse.tokens.type,
      name: `filler ${index}`,
      hash: key.hash,
      hint: key.hint,
      abilities: JSON.stringify(['*']),
      created_at: now,
      updated_at: now,
      expires_at: expiresAt?.toFormat(format) ?? null,
    }
  })
  await db.table('auth_access_tokens').multiInsert(rows)
}
