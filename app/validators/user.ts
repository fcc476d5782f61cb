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

/**
 * Django's UnicodeUsernameValidator (letters, digits and @ . + - _), in the
 * NFKC form Django normalises usernames to: no control characters, no
 * full-width or other compatibility look-alikes. Every path that creates or
 * imports a user applies it (UserService, drf:import).
 */
const USERNAME = /^[\p{L}\p{N}_.@+-]{1,150}$/u

export const USERNAME_RULE = '1-150 letters, digits and @ . + - _, in Unicode normal form NFKC'

export function isValidUsername(username: string) {
  return USERNAME.test(username) && username === username.normalize('NFKC')
}
