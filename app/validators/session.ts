import vine, { SimpleMessagesProvider } from '@vinejs/vine'

/** The sign-in form. Credentials are checked by AuthService, with its own bounds. */
export const signInValidator = vine.compile(
  vine.object({
    username: vine.string().trim().minLength(1).maxLength(254),
    password: vine.string().minLength(1),
  })
)

signInValidator.messagesProvider = new SimpleMessagesProvider({
  'username.required': 'Enter your username or email.',
  'username.minLength': 'Enter your username or email.',
  'username.maxLength': 'That username is too long.',
  'password.required': 'Enter your password.',
  'password.minLength': 'Enter your password.',
})
