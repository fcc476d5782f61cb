import type { DateTime } from 'luxon'
import type User from '#models/user'

/** The model's attributes as they are stored on it (read once: each property read goes through Lucid's proxy). */
interface UserAttributes {
  id: number
  username: string
  email: string | null
  isActive: boolean
  isStaff: boolean
  isSuperuser: boolean
  lastLoginAt: DateTime | null
  createdAt: DateTime
  updatedAt: DateTime | null
  passwordMustChange: boolean
}

/**
 * ISO strings of dates already formatted: Luxon's DateTime is immutable, and
 * the token cache shares one instance of each user's dates between requests,
 * so formatting (~1 µs each) happens once per cached user, not per answer.
 */
const isoStrings = new WeakMap<DateTime, string | null>()

function iso(date: DateTime | null | undefined): string | null {
  if (!date) return null
  let formatted = isoStrings.get(date)
  if (formatted === undefined) {
    formatted = date.toISO()
    isoStrings.set(date, formatted)
  }
  return formatted
}

/**
 * The public shape of a user in API answers (`/me`, `/protected`, sign-in):
 * what Lucid's serialization of the model gives, written out, so a column
 * added to the model is not published by accident. Never the password hash
 * or bookkeeping flags. Read from the attributes in one go: ~5× cheaper than
 * the model's serialize(), which runs on every authenticated `/protected`.
 */
export function serializeUser(user: User) {
  return publicShape(user.$attributes as UserAttributes)
}

function publicShape(attributes: UserAttributes) {
  return {
    id: attributes.id,
    username: attributes.username,
    email: attributes.email ?? null,
    isActive: attributes.isActive,
    isStaff: attributes.isStaff,
    isSuperuser: attributes.isSuperuser,
    lastLoginAt: iso(attributes.lastLoginAt),
    createdAt: iso(attributes.createdAt),
    updatedAt: iso(attributes.updatedAt),
    passwordMustChange: attributes.passwordMustChange,
  }
}

/**
 * `JSON.stringify(serializeUser(user))` from the attributes themselves:
 * what the token cache writes once per cached user (see Verification in
 * app/services/token_authenticator.ts), so an authenticated `/me` or
 * `/protected` neither builds the user's model nor serializes it again.
 */
export function attributesJson(attributes: Record<string, unknown>): string {
  return JSON.stringify(publicShape(attributes as unknown as UserAttributes))
}

/** A user model's public JSON (the same text as returning serializeUser(user)). */
export function userJson(user: User): string {
  return attributesJson(user.$attributes)
}
