import vine, { SimpleMessagesProvider } from '@vinejs/vine'

/** `node ace user:create` input that UserService does not check itself. */
export const cliCreateUserValidator = vine.compile(
  vine.object({
    email: vine.string().trim().email().maxLength(254).optional(),
  })
)

export const cliUserMessages = new SimpleMessagesProvider({
  'email.email': '--email must be a valid email address.',
  'email.maxLength': '--email must have at most {{ max }} characters.',
})
