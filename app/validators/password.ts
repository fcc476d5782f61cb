import vine from '@vinejs/vine'
import { whenEmpty } from '#validators/messages'

/**
 * A new password typed twice on a form: not empty, at most `maxLength`
 * characters when given, and equal to `confirmationField`. The length rules
 * are UserService.checkPassword's.
 */
export function passwordTypedTwice(confirmationField: string, maxLength?: number) {
  const password = vine.string().minLength(1)
  return (maxLength ? password.maxLength(maxLength) : password).confirmed({ confirmationField })
}

/**
 * The messages of `passwordTypedTwice(confirmationField)` on `field`: `enter`
 * when it is empty. Vine reports a mismatch on the confirmation field.
 */
export function passwordTypedTwiceMessages(
  field: string,
  confirmationField: string,
  texts: { enter: string; mismatch: string }
) {
  return {
    ...whenEmpty(field, texts.enter),
    [`${field}.maxLength`]: 'A password has at most {{ max }} characters.',
    [`${confirmationField}.confirmed`]: texts.mismatch,
  }
}
