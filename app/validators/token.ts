import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { whenEmpty } from '#validators/messages'
import {
  ABILITY_LIST_PATTERN,
  DURATION_PATTERN,
  EXPIRES_IN_PATTERN,
  abilitiesRule,
  tokenNameRule,
} from '#validators/rules'

export const createTokenValidator = vine.compile(
  vine.object({
    name: tokenNameRule(),
    abilities: abilitiesRule().optional(),
    expiresIn: vine.string().trim().regex(EXPIRES_IN_PATTERN).optional(),
  })
)

/** A row id: a positive whole number the database's integer column can hold. */
export const tokenIdValidator = vine.compile(
  vine.object({
    id: vine.number().withoutDecimals().positive().max(2147483647),
  })
)

/** A route's :id param, or null when it is not a row id (callers answer 404). */
export async function idParam(value: unknown): Promise<number | null> {
  const [invalid, data] = await tokenIdValidator.tryValidate({ id: Number(value) })
  return invalid ? null : data.id
}

/** The "Create token" form of the pages: abilities typed as one line of text. */
export const createTokenFormValidator = vine.compile(
  vine.object({
    name: tokenNameRule(),
    abilities: vine
      .string()
      .trim()
      .regex(ABILITY_LIST_PATTERN)
      .transform((value) => [...new Set(value.split(/[\s,]+/))]),
    expiresIn: vine.string().trim().regex(EXPIRES_IN_PATTERN),
  })
)

createTokenFormValidator.messagesProvider = new SimpleMessagesProvider({
  ...whenEmpty('name', 'Give the token a name, e.g. "CI deploy".'),
  'name.maxLength': 'The name may be at most {{ max }} characters long.',
  'abilities.required': 'List at least one ability, or * for full access.',
  'abilities.regex':
    'Abilities are words such as tokens:read, separated by spaces or commas (at most 32), or * for full access.',
  'expiresIn.required': 'Choose when the token expires.',
  'expiresIn.regex': 'Choose when the token expires.',
})

/** "Revoke all tokens" needs its confirmation box ticked. */
export const revokeAllTokensValidator = vine.compile(
  vine.object({
    confirm: vine.accepted(),
  })
)

revokeAllTokensValidator.messagesProvider = new SimpleMessagesProvider({
  'confirm.accepted': 'Tick the box to confirm that every token should be revoked.',
  'confirm.required': 'Tick the box to confirm that every token should be revoked.',
})

/** `node ace token:prune --expired-for`: 0, or a number and a unit (s, m, h, d, w). */
export const pruneTokensValidator = vine.compile(
  vine.object({
    expiredFor: vine.string().trim().regex(DURATION_PATTERN),
  })
)

/** The same rules, worded for the command line: fields are named by their flags. */
export const cliTokenMessages = new SimpleMessagesProvider({
  'required': 'The {{ field }} value is required.',
  'name.minLength': '--name must not be blank.',
  'name.maxLength': '--name must have at most {{ max }} characters.',
  'abilities.minLength': '--abilities must list at least one ability.',
  'abilities.maxLength': '--abilities may list at most {{ max }} abilities.',
  'abilities.distinct': '--abilities must not repeat an ability.',
  'abilities.*.regex':
    '--abilities must be a comma-separated list of "*" or words such as tokens:read (letters, digits, ":", ".", "_", "-").',
  'expiresIn.regex':
    '--expires-in must be a number and a unit (s, m, h, d, w), e.g. 30d, or "never".',
  'expiredFor.regex': '--expired-for must be 0 or a number and a unit (s, m, h, d, w), e.g. 24h.',
  'id.number': 'The token id must be a positive whole number, e.g. 42.',
  'id.withoutDecimals': 'The token id must be a positive whole number, e.g. 42.',
  'id.positive': 'The token id must be a positive whole number, e.g. 42.',
  'id.max': 'The token id must be a positive whole number, e.g. 42.',
})

/** GET /api/v1/events: page through the caller's events. */
export const eventsPageValidator = vine.compile(
  vine.object({
    page: vine.number().withoutDecimals().min(1).max(1_000_000).optional(),
    perPage: vine.number().withoutDecimals().min(1).max(100).optional(),
  })
)

/** Most keys one POST /api/v1/tokens/revoke-leaked may report. */
export const MAX_LEAKED_KEYS = 100

/** A report of leaked keys: strings, any of which may be garbage (that is not an error). */
export const revokeLeakedValidator = vine.compile(
  vine.object({
    keys: vine.array(vine.string().trim().maxLength(1000)).minLength(1).maxLength(MAX_LEAKED_KEYS),
  })
)

revokeLeakedValidator.messagesProvider = new SimpleMessagesProvider({
  'keys.required': 'Send the leaked keys as {"keys": ["gth_…", …]} or as a JSON list.',
  'keys.array': 'Send the leaked keys as {"keys": ["gth_…", …]} or as a JSON list.',
  'keys.array.minLength': 'Send at least one key.',
  'keys.array.maxLength': `Send at most ${MAX_LEAKED_KEYS} keys per request; split longer lists.`,
  'keys.*.string': 'Each key must be a string.',
  'keys.*.maxLength': 'A key is at most {{ max }} characters long.',
})
