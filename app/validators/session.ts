import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { whenEmpty } from '#validators/messages'

/** The sign-in form. Credentials are checked by AuthService, with its own bounds. */
export const signInValidator = vine.compile(
  vine.object({
    username: vine.string().trim().minLength(1).maxLength(254),
    password: vine.string().minLength(1),
  })
)

signInValidator.messagesProvider = new SimpleMessagesProvider({
  ...whenEmpty('username', 'Enter your username or email.'),
  'username.maxLength': 'That username is too long.',
  ...whenEmpty('password', 'Enter your password.'),
})
