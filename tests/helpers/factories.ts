import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
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
