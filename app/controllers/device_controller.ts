import type { HttpContext } from '@adonisjs/core/http'
import deviceService, {
  formatUserCode,
  normalizeUserCode,
} from '#services/device_authorization_service'
import { deviceDecisionValidator, userCodeValidator } from '#validators/device'

/**
 * /device: the person approves or denies a command-line tool's sign-in
 * (RFC 8628). They type the code their tool shows, or arrive with it in the
 * link (verification_uri_complete) and confirm it.
 */
export default class DeviceController {
  async show(ctx: HttpContext) {
    const code = ctx.request.qs().code
    ctx.response.header('Cache-Control', 'no-store')
    if (typeof code !== 'string' || code === '') return ctx.view.render('pages/device')
    return this.confirm(ctx, code.slice(0, 32))
  }

  async lookup(ctx: HttpContext) {
    const { code } = await ctx.request.validateUsing(userCodeValidator)
    ctx.response.header('Cache-Control', 'no-store')
    return this.confirm(ctx, code)
  }

  async decide({ auth, request, response, session }: HttpContext) {
    const { code, decision } = await request.validateUsing(deviceDecisionValidator)
    const user = auth.getUserOrFail()
    const found = await deviceService.lookup(code, user, request.ip())
    const decided =
      found.ok && (await deviceService.decide(found.request, user, decision === 'approve'))

    if (!found.ok && found.reason === 'throttled') {
      session.flash('error', this.throttledMessage(found.retryAfter))
    } else if (!decided) {
      session.flash(
        'error',
        'That code has expired or was already used. Start the sign-in again in your tool.'
      )
    } else if (decision === 'approve') {
      session.flash(
        'success',
        'Device approved. You can close this page and go back to your terminal.'
      )
    } else {
      session.flash('success', 'Request denied: the tool gets no access.')
    }
    return response.redirect().toPath('/device')
  }

  /** The confirmation page for a pending code, or the form again with an error. */
  private async confirm({ auth, request, view }: HttpContext, input: string) {
    const found = await deviceService.lookup(input, auth.getUserOrFail(), request.ip())
    if (found.ok) {
      return view.render('pages/device_confirm', {
        pending: found.request,
        code: formatUserCode(normalizeUserCode(input)!),
      })
    }
    const error =
      found.reason === 'throttled'
        ? this.throttledMessage(found.retryAfter)
        : 'That code is not valid: check it against your terminal. Codes expire after 15 minutes and work once.'
    return view.render('pages/device', { error, code: input })
  }

  private throttledMessage(seconds = 60) {
    const minutes = Math.max(1, Math.ceil(seconds / 60))
    return `Too many wrong codes. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
  }
}
