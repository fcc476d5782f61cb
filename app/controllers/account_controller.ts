import type { HttpContext } from '@adonisjs/core/http'
import { errors as limiterErrors } from '@adonisjs/limiter'
import loginThrottle from '#services/login_throttle'
import userService, { UserInputError } from '#services/user_service'
import userSessionService from '#services/user_session_service'
import audit, { byUser } from '#services/audit_service'
import { changePasswordValidator, endSessionsValidator } from '#validators/account'
import { ServiceUnavailableException } from '#exceptions/api_exceptions'
import { revocations } from '#services/metrics'

/** /account: change my password, see and end my browser sessions. */
export default class AccountController {
  async show({ auth, response, view }: HttpContext) {
    const guard = auth.use('web')
    const sessions = await userSessionService.list(guard.getUserOrFail(), guard.recordId)
    response.header('Cache-Control', 'no-store')
    return view.render('pages/account', { sessions })
  }

  /**
   * Django's PasswordChangeView: the current password is checked through the
   * sign-in throttle (same limits, same counters); on success every other
   * session of mine ends and this one gets a new session id.
   */
  async updatePassword({ auth, request, response, session }: HttpContext) {
    const guard = auth.use('web')
    const user = guard.getUserOrFail()
    // Not validateUsing: its error path would flash every field, passwords included, into the session.
    const [invalid, input] = await changePasswordValidator.tryValidate(request.all())
    if (invalid) {
      const errors: Record<string, string[]> = {}
      for (const { field, message } of invalid.messages as { field: string; message: string }[]) {
        ;(errors[field] ??= []).push(message)
      }
      return this.backWithFieldError(response, session, errors)
    }
    const { currentPassword, newPassword, revokeTokens } = input

    let verified
    try {
      await loginThrottle.hit(request.ip())
      verified = await loginThrottle.attempt(user.username, currentPassword, request.ip())
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        // Password checks busy (or shutting down): nothing changed, say so on the page.
        session.flashErrors({ E_TOO_MANY_REQUESTS: error.message })
        return response.redirect().toPath('/account')
      }
      if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
      session.flashErrors({ E_TOO_MANY_REQUESTS: `Too many attempts. ${error.message}` })
      return response.redirect().toPath('/account')
    }
    if (verified?.id !== user.id) {
      return this.backWithFieldError(response, session, {
        currentPassword: ['Your current password is not correct.'],
      })
    }

    const wasTemporary = user.passwordMustChange
    let result
    try {
      result = await userService.setPassword(user, newPassword, {
        keepSession: guard.recordId,
        revokeTokens: revokeTokens === true,
      })
    } catch (error) {
      if (!(error instanceof UserInputError)) throw error
      return this.backWithFieldError(response, session, { newPassword: [error.message] })
    }

    revocations.web.inc(result.tokensRevoked)
    await audit.record({
      event: 'user.password_changed',
      ...byUser(user, request),
      data: { ...result },
    })
    session.regenerate()
    const ended = result.sessionsEnded
    const parts = [
      `Your password has been changed. ${ended} other ${ended === 1 ? 'session' : 'sessions'} signed out.`,
    ]
    if (revokeTokens) {
      const count = result.tokensRevoked
      parts.push(`${count} API ${count === 1 ? 'token' : 'tokens'} revoked.`)
    }
    session.flash('success', parts.join(' '))
    return wasTemporary
      ? response.redirect().toIntended('/dashboard')
      : response.redirect().toPath('/account')
  }

  /** "Sign out of other browsers" keeps this one; "of every browser" ends this one too. */
  async endSessions({ auth, request, response, session }: HttpContext) {
    const guard = auth.use('web')
    const { scope } = await request.validateUsing(endSessionsValidator)
    if (scope === 'others') {
      const count = await userSessionService.endAll(guard.getUserOrFail(), {
        except: guard.recordId,
      })
      session.flash('success', `${count} other ${count === 1 ? 'session' : 'sessions'} signed out.`)
      return response.redirect().toPath('/account')
    }

    await userSessionService.endAll(guard.getUserOrFail())
    await guard.logout()
    session.clear()
    session.regenerate()
    session.flash('success', 'You are signed out of every browser.')
    return response.redirect().toPath('/login')
  }

  private backWithFieldError(
    response: HttpContext['response'],
    session: HttpContext['session'],
    errors: Record<string, string[]>
  ) {
    session.flash('inputErrorsBag', errors)
    return response.redirect().toPath('/account')
  }
}
