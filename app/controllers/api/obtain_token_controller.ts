import type { HttpContext } from '@adonisjs/core/http'
import { type errors as vineErrors } from '@vinejs/vine'
import loginThrottle from '#services/login_throttle'
import tokenService from '#services/token_service'
import { MUST_CHANGE_PASSWORD } from '#services/user_service'
import audit, { aboutToken, byUser } from '#services/audit_service'
import { drfMessages, obtainTokenValidator } from '#validators/auth'
import { FieldErrorsException } from '#exceptions/api_exceptions'

const CREDENTIALS_ERROR = 'Unable to log in with provided credentials.'

/** rest_framework.authtoken.views.obtain_auth_token, answer for answer. */
export default class ObtainTokenController {
  async store({ request, response }: HttpContext) {
    const data = request.body()
    if (Array.isArray(data)) {
      throw new FieldErrorsException({
        non_field_errors: ['Invalid data. Expected a dictionary, but got list.'],
      })
    }

    const [error, credentials] = await obtainTokenValidator.tryValidate(data, {
      messagesProvider: drfMessages,
    })
    if (error) throw this.toFieldErrors(error, data)

    const user = await loginThrottle.attempt(
      credentials.username,
      credentials.password,
      request.ip(),
      request.header('user-agent')
    )
    if (!user) throw new FieldErrorsException({ non_field_errors: [CREDENTIALS_ERROR] })
    if (user.passwordMustChange) {
      throw new FieldErrorsException({ non_field_errors: [MUST_CHANGE_PASSWORD] })
    }

    const { value, token, created } = await tokenService.getOrCreate(user)
    await audit.record({
      event: 'token.obtained',
      ...byUser(user, request),
      ...aboutToken(token, { created }),
    })
    response.header('Cache-Control', 'no-store')
    return { token: value }
  }

  /** DRF reports field errors as { field: [message] }, with its own text for null. */
  private toFieldErrors(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>, data: any) {
    const fields: Record<string, string[]> = {}
    for (const { field, message } of error.messages as { field: string; message: string }[]) {
      const text = data?.[field] === null ? 'This field may not be null.' : message
      fields[field] = [text]
    }
    return new FieldErrorsException(fields)
  }
}
