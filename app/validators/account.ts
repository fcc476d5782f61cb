import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { whenEmpty } from '#validators/messages'
import { passwordTypedTwice, passwordTypedTwiceMessages } from '#validators/password'

/** The password form of /account. Length rules are UserService.checkPassword's. */
export const changePasswordValidator = vine.compile(
  vine.object({
    currentPassword: vine.string().minLength(1),
    newPassword: passwordTypedTwice('newPasswordConfirmation'),
    revokeTokens: vine.boolean().optional(),
  })
)

changePasswordValidator.messagesProvider = new SimpleMessagesProvider({
  ...whenEmpty('currentPassword', 'Enter your current password.'),
  ...passwordTypedTwiceMessages('newPassword', 'newPasswordConfirmation', {
    enter: 'Enter a new password.',
    mismatch: 'The two new passwords do not match.',
  }),
})

/** "Sign out of other browsers" / "Sign out of every browser". */
export const endSessionsValidator = vine.compile(
  vine.object({
    scope: vine.enum(['others', 'all']),
  })
)
