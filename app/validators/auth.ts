import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { tokenNameRule } from '#validators/rules'

/** DRF's serializer messages, so a DRF client sees the text it expects. */
export const drfMessages = new SimpleMessagesProvider({
  required: 'This field is required.',
  string: 'Not a valid string.',
  minLength: 'This field may not be blank.',
})

/** rest_framework.authtoken.serializers.AuthTokenSerializer */
export const obtainTokenValidator = vine.compile(
  vine.object({
    username: vine.string().trim().minLength(1),
    password: vine.string().minLength(1),
  })
)

export const loginValidator = vine.compile(
  vine.object({
    username: vine.string().trim().minLength(1).maxLength(254),
    password: vine.string().minLength(1),
    name: tokenNameRule().optional(),
  })
)
