import vine, { SimpleMessagesProvider } from '@vinejs/vine'

/** The password form of /account. Length rules are UserService.checkPassword's. */
export const changePasswordValidator = vine.compile(
  vine.object({
    currentPassword: vine.string().minLength(1),
    newPassword: vine
      .string()
      .minLength(1)
      .confirmed({ confirmationField: 'newPasswordConfirmation' }),
    revokeTokens: vine.boolean().optional(),
  })
)

changePasswordValidator.messagesProvider = new SimpleMessagesProvider({
  'currentPassword.required': 'Enter your current password.',
  'currentPassword.minLength': 'Enter your current password.',
  'newPassword.required': 'Enter a new password.',
  'newPassword.minLength': 'Enter a new password.',
  'newPasswordConfirmation.confirmed': 'The two new passwords do not match.',
})

/** "Sign out of other browsers" / "Sign out of every browser". */
export const endSessionsValidator = vine.compile(
  vine.object({
    scope: vine.enum(['others', 'all']),
  })
)
