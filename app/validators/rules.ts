import vine from '@vinejs/vine'

/*
| The patterns and field rules that input must match, in one place: validators
| build on them, and services re-check with the same ones (never the reverse).
*/

/** A duration: a number and a unit (s, m, h, d, w), e.g. 30d. */
const AMOUNT = '[1-9][0-9]{0,5}[smhdw]'

/** Token expiry accepted everywhere: a duration, or "never". */
export const EXPIRES_IN_PATTERN = new RegExp(`^(never|${AMOUNT})$`)

/** A duration that may be zero (`token:prune --expired-for`, `audit:list --since`). */
export const DURATION_PATTERN = new RegExp(`^(0|${AMOUNT})$`)

/** A duration that must be positive (AUDIT_RETENTION, `audit:prune --older-than`). */
export const RETENTION_PATTERN = new RegExp(`^${AMOUNT}$`)

/** A zero duration in the framework's syntax ("0", "0s", "00h"): string.seconds.parse rejects some. */
export const ZERO_DURATION_PATTERN = /^0+[smhdw]?$/

const ABILITY = '(\\*|[a-z0-9][a-z0-9_.:-]{0,63})'

/** An ability: "*" or a word with optional ":" / "." / "-" / "_" parts, e.g. tokens:read. */
export const ABILITY_PATTERN = new RegExp(`^${ABILITY}$`, 'i')

/** One to 32 abilities, separated by spaces or commas: "tokens:read tokens:write". */
export const ABILITY_LIST_PATTERN = new RegExp(`^${ABILITY}([\\s,]+${ABILITY}){0,31}$`, 'i')

/** Most abilities one token may carry. */
export const MAX_ABILITIES = 32

/** A token's name (unique per user). */
export const tokenNameRule = () => vine.string().trim().minLength(1).maxLength(100)

/** A list of abilities, as JSON or CLI flags give it. */
export const abilitiesRule = () =>
  vine.array(vine.string().regex(ABILITY_PATTERN)).minLength(1).maxLength(MAX_ABILITIES).distinct()

/**
 * Django's UnicodeUsernameValidator (letters, digits and @ . + - _), in the
 * NFKC form Django normalises usernames to: no control characters, no
 * full-width or other compatibility look-alikes. Every path that creates or
 * imports a user applies it (UserService, drf:import).
 */
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]{1,150}$/u

export const USERNAME_RULE = '1-150 letters, digits and @ . + - _, in Unicode normal form NFKC'

export function isValidUsername(username: string) {
  return USERNAME_PATTERN.test(username) && username === username.normalize('NFKC')
}
