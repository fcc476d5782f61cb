import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { whenEmpty } from '#validators/messages'
import { abilitiesRule, tokenNameRule } from '#validators/rules'

/** POST /api/v1/device/authorize: the token a tool asks for (abilities: a list, or one string). */
export const deviceAuthorizeValidator = vine.compile(
  vine.object({
    name: tokenNameRule().optional(),
    abilities: abilitiesRule().optional(),
  })
)

deviceAuthorizeValidator.messagesProvider = new SimpleMessagesProvider({
  'name.string': 'name must be a string.',
  'name.minLength': 'name must not be blank.',
  'name.maxLength': 'name must have at most {{ max }} characters.',
  'abilities.array': 'abilities must be a list of abilities, e.g. ["tokens:read"].',
  'abilities.minLength': 'abilities must list at least one ability.',
  'abilities.maxLength': 'abilities may list at most {{ max }} abilities.',
  'abilities.distinct': 'abilities must not repeat an ability.',
  'abilities.*.string': 'Each ability must be a string.',
  'abilities.*.regex':
    'Each ability must be "*" or a word such as tokens:read (letters, digits, ":", ".", "_", "-").',
})

/** The code typed (or confirmed) on /device; its format is checked by the service. */
export const userCodeValidator = vine.compile(
  vine.object({
    code: vine.string().trim().minLength(1).maxLength(32),
  })
)

export const deviceDecisionValidator = vine.compile(
  vine.object({
    code: vine.string().trim().minLength(1).maxLength(32),
    decision: vine.enum(['approve', 'deny']),
  })
)

const codeMessages = {
  ...whenEmpty('code', 'Enter the code shown by your tool.'),
  'code.maxLength': 'That is not a code from Gatehouse: codes look like BCDF-GHJK.',
}
userCodeValidator.messagesProvider = new SimpleMessagesProvider(codeMessages)
deviceDecisionValidator.messagesProvider = new SimpleMessagesProvider({
  ...codeMessages,
  'decision.required': 'Choose Approve or Deny.',
  'decision.enum': 'Choose Approve or Deny.',
})
