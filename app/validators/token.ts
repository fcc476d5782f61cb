import vine from '@vinejs/vine'
import { EXPIRES_IN_PATTERN } from '#services/token_service'
import { tokenNameRule } from '#validators/auth'

/** An ability: "*" or a word with optional ":" / "." / "-" / "_" parts, e.g. tokens:read. */
export const ABILITY_PATTERN = /^(\*|[a-z0-9][a-z0-9_.:-]{0,63})$/i

export const createTokenValidator = vine.compile(
  vine.object({
    name: tokenNameRule(),
    abilities: vine
      .array(vine.string().regex(ABILITY_PATTERN))
      .minLength(1)
      .maxLength(32)
      .distinct()
      .optional(),
    expiresIn: vine.string().trim().regex(EXPIRES_IN_PATTERN).optional(),
  })
)

export const tokenIdValidator = vine.compile(
  vine.object({
    id: vine.number().withoutDecimals().positive().max(2147483647),
  })
)
