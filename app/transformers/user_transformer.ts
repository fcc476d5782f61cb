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

/** A user's JSON and the attributes it was written from. */
interface Written {
  from: UserAttributes
  json: string
}

/**
 * Users already written, by their `createdAt` DateTime: the token cache
 * parses each entry's dates once and shares them with every model it
 * revives, so that instance tells which entry a model came from (and the
 * memo goes when the entry's dates do). Only a hint: every attribute is
 * compared before the JSON is reused.
 */
const written = new WeakMap<DateTime, Written>()

function unchanged(now: UserAttributes, then: UserAttributes) {
  return (
    now.id === then.id &&
    now.username === then.username &&
    now.email === then.email &&
    now.isActive === then.isActive &&
    now.isStaff === then.isStaff &&
    now.isSuperuser === then.isSuperuser &&
    now.lastLoginAt === then.lastLoginAt &&
    now.updatedAt === then.updatedAt &&
    now.passwordMustChange === then.passwordMustChange
  )
}

/**
 * `JSON.stringify(serializeUser(user))`, written once per cached user:
 * every authenticated `/me` and `/protected` answers the same user from
 * the token cache, and serializing it was ~5k instructions of each such
 * request (callgrind). Reused only while every attribute it was written
 * from is the same value (dates are immutable Luxon objects, compared by
 * identity): a model changed in memory, reloaded or revived from a newer
 * cache entry is written afresh.
 */
export function userJson(user: User): string {
  const attributes = user.$attributes as UserAttributes
  const createdAt = attributes.createdAt
  const memo = createdAt && written.get(createdAt)
  if (memo && unchanged(attributes, memo.from)) return memo.json
  const json = JSON.stringify(publicShape(attributes))
  if (createdAt) written.set(createdAt, { from: compared(attributes), json })
  return json
}

/** What unchanged() compares, copied (not the whole bag: a model Lucid loaded has the password hash). */
function compared(attributes: UserAttributes): UserAttributes {
  return {
    id: attributes.id,
    username: attributes.username,
    email: attributes.email,
    isActive: attributes.isActive,
    isStaff: attributes.isStaff,
    isSuperuser: attributes.isSuperuser,
    lastLoginAt: attributes.lastLoginAt,
    createdAt: attributes.createdAt,
    updatedAt: attributes.updatedAt,
    passwordMustChange: attributes.passwordMustChange,
  }
}
