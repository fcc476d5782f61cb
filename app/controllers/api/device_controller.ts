import type { HttpContext } from '@adonisjs/core/http'
import gatehouse from '#config/gatehouse'
import deviceService, { DEVICE_CODE_GRANT } from '#services/device_authorization_service'
import { serializeToken } from '#transformers/token_transformer'
import { serializeUser } from '#transformers/user_transformer'
import audit, { aboutToken, byUser } from '#services/audit_service'
import { deviceAuthorizeValidator } from '#validators/device'

/**
 * RFC 8628's two endpoints for command-line tools. Errors use OAuth's shape
 * ({"error", "error_description"}, 400) so device-flow clients understand
 * them; every answer is no-store (it may carry a secret).
 */
export default class DeviceController {
  async authorize({ request, response }: HttpContext) {
    response.header('Cache-Control', 'no-store')
    await deviceService.throttleAuthorize(request.ip())

    const body = request.body()
    const input = {
      ...body,
      // OAuth-style "tokens:read tokens:write" (e.g. from a form) as well as a JSON list.
      abilities:
        typeof body.abilities === 'string'
          ? body.abilities.split(/[\s,]+/).filter(Boolean)
          : body.abilities,
    }
    const [error, data] = await deviceAuthorizeValidator.tryValidate(input)
    if (error) return this.invalidRequest(response, error.messages[0].message)

    const started = await deviceService.start(data)
    const base = (gatehouse.device.baseUrl ?? `${request.protocol()}://${request.host()}`).replace(
      /\/+$/,
      ''
    )
    return {
      device_code: started.deviceCode,
      user_code: started.userCode,
      verification_uri: `${base}/device`,
      verification_uri_complete: `${base}/device?code=${started.userCode}`,
      expires_in: started.expiresIn,
      interval: started.interval,
    }
  }

  async token({ request, response }: HttpContext) {
    response.header('Cache-Control', 'no-store')
    const grantType = request.input('grant_type')
    const deviceCode = request.input('device_code')
    if (grantType !== undefined && grantType !== DEVICE_CODE_GRANT) {
      return response.badRequest({
        error: 'unsupported_grant_type',
        error_description: `grant_type must be "${DEVICE_CODE_GRANT}" (or left out).`,
      })
    }
    if (typeof deviceCode !== 'string' || deviceCode === '') {
      return this.invalidRequest(response, 'device_code is required.')
    }

    const result = await deviceService.poll(deviceCode)
    if (!result.ok) {
      return response.badRequest({ error: result.error, error_description: result.description })
    }
    await audit.record({
      event: 'token.created',
      ...byUser(result.user, request),
      ...aboutToken(result.issued.token, { via: 'device' }),
    })
    return {
      token: serializeToken(result.issued.token, result.issued.value),
      user: serializeUser(result.user),
    }
  }

  private invalidRequest(response: HttpContext['response'], description: string) {
    return response.badRequest({ error: 'invalid_request', error_description: description })
  }
}
