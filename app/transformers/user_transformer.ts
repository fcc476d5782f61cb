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
 * The public shape of a user in API answers (`/me`, `/protected`, sign-in):
 * what Lucid's serialization of the model gives, written out, so a column
 * added to the model is not published by accident. Never the password hash
 * or bookkeeping flags. Read from the attributes in one go: ~5× cheaper than
 * the model's serialize(), which runs on every authenticated `/protected`.
 */
export function serializeUser(user: User) {
  const attributes = user.$attributes as UserAttributes
  return {
    id: attributes.id,
    username: attributes.username,
    email: attributes.email ?? null,
    isActive: attributes.isActive,
    isStaff: attributes.isStaff,
    isSuperuser: attributes.isSuperuser,
    lastLoginAt: attributes.lastLoginAt?.toISO() ?? null,
    createdAt: attributes.createdAt?.toISO() ?? null,
    updatedAt: attributes.updatedAt?.toISO() ?? null,
    passwordMustChange: attributes.passwordMustChange,
  }
}
