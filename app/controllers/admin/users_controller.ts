import type { HttpContext } from '@adonisjs/core/http'
import { errors } from '@adonisjs/core/http'
import audit, { aboutToken, byStaff } from '#services/audit_service'
import * as presenters from '#transformers/audit_event_transformer'
import staffService, { StaffActionError } from '#services/staff_service'
import { UserInputError } from '#services/user_service'
import {
  createUserFormValidator,
  rolesValidator,
  temporaryPasswordValidator,
  returnToValidator,
  validateUserFilters,
  withoutPage,
} from '#validators/admin'
import { revokeAllTokensValidator, idParam } from '#validators/token'
import { revocations } from '#services/metrics'

/** The console's users: list, add, a user's page, (de)activation, staff status, their tokens. */
export default class UsersController {
  async index({ request, response, view }: HttpContext) {
    const [error, filters] = await validateUserFilters(request.qs())
    if (error) {
      response.status(400)
      return view.render('pages/admin/users', {
        filters: {},
        users: null,
        filterError: error.messages,
      })
    }
    const users = await staffService.listUsers(filters)
    users.baseUrl('/admin/users').queryString(withoutPage(filters))
    return view.render('pages/admin/users', { filters, users })
  }

  async create({ view }: HttpContext) {
    return view.render('pages/admin/user_new')
  }

  async store({ auth, request, response, session }: HttpContext) {
    const staff = auth.use('web').getUserOrFail()
    const input = await request.validateUsing(createUserFormValidator, {
      data: { ...request.all(), email: request.input('email') || undefined },
    })
    let user
    try {
      user = await staffService.createUser(staff, {
        username: input.username,
        email: input.email,
        password: input.password,
        isStaff: input.isStaff ?? false,
        isSuperuser: input.isSuperuser ?? false,
      })
    } catch (error) {
      if (!(error instanceof UserInputError || error instanceof StaffActionError)) throw error
      session.flashExcept(['password', 'passwordConfirmation'])
      session.flash('error', error.message)
      return response.redirect().toPath('/admin/users/new')
    }
    const { isStaff, isSuperuser, isActive, username } = user
    await audit.record({
      event: 'user.created',
      ...byStaff(staff, request),
      userId: user.id,
      data: { username, isStaff, isSuperuser, isActive },
    })
    session.flash('success', `User “${user.username}” created.`)
    return response.redirect().toPath(`/admin/users/${user.id}`)
  }

  async show({ params, response, view }: HttpContext) {
    const user = await this.findOr404(params.id)
    const [tokens, events] = await Promise.all([
      staffService.tokensOf(user),
      audit.recentForUser(user.id, 50),
    ])
    const actors = await staffService.usernames(events.map((event) => event.actorId))
    response.header('Cache-Control', 'no-store')
    return view.render('pages/admin/user', { user, tokens, events, actors, ...presenters })
  }

  async activate(ctx: HttpContext) {
    return this.setActive(ctx, true)
  }

  async deactivate(ctx: HttpContext) {
    return this.setActive(ctx, false)
  }

  async roles({ auth, params, request, response, session }: HttpContext) {
    const staff = auth.use('web').getUserOrFail()
    const user = await this.findOr404(params.id)
    const roles = await request.validateUsing(rolesValidator)
    try {
      const change = await staffService.setRoles(staff, user, {
        isStaff: roles.isStaff ?? false,
        isSuperuser: roles.isSuperuser ?? false,
      })
      if (change) {
        await audit.record({
          event: 'user.staff_changed',
          ...byStaff(staff, request),
          userId: user.id,
          data: { ...change.after, before: change.before },
        })
      }
      session.flash(
        'success',
        change ? `Staff status of “${user.username}” updated.` : 'Nothing changed.'
      )
    } catch (error) {
      if (!(error instanceof StaffActionError)) throw error
      session.flash('error', error.message)
    }
    return response.redirect().toPath(`/admin/users/${user.id}`)
  }

  /** Sets a temporary password: the user may sign in only to change it, and gets no API token. */
  async temporaryPassword({ auth, params, request, response, session }: HttpContext) {
    const staff = auth.use('web').getUserOrFail()
    const user = await this.findOr404(params.id)
    const input = await request.validateUsing(temporaryPasswordValidator)
    try {
      const { sessionsEnded, tokensRevoked } = await staffService.setTemporaryPassword(
        staff,
        user,
        input.password,
        { revokeTokens: input.revokeTokens ?? false }
      )
      if (tokensRevoked) revocations.staff.inc(tokensRevoked)
      await audit.record({
        event: 'user.password_changed',
        ...byStaff(staff, request),
        userId: user.id,
        data: { temporary: true, sessionsEnded, tokensRevoked },
      })
      session.flash(
        'success',
        `Temporary password set for “${user.username}”: they must change it at their next sign-in.`
      )
    } catch (error) {
      if (!(error instanceof UserInputError || error instanceof StaffActionError)) throw error
      session.flash('error', error.message)
    }
    return response.redirect().toPath(`/admin/users/${user.id}`)
  }

  async revokeAll({ auth, params, request, response, session }: HttpContext) {
    const staff = auth.use('web').getUserOrFail()
    const user = await this.findOr404(params.id)
    await request.validateUsing(revokeAllTokensValidator)
    try {
      const count = await staffService.revokeAll(staff, user)
      revocations.staff.inc(count)
      await audit.record({
        event: 'token.revoked',
        ...byStaff(staff, request),
        userId: user.id,
        data: { all: true, count },
      })
      session.flash(
        'success',
        `${count} ${count === 1 ? 'token' : 'tokens'} of “${user.username}” revoked.`
      )
    } catch (error) {
      if (!(error instanceof StaffActionError)) throw error
      session.flash('error', error.message)
    }
    return response.redirect().toPath(`/admin/users/${user.id}`)
  }

  /** Revokes one token from the user's page or the tokens list, then goes back there. */
  async revokeToken({ auth, params, request, response, session }: HttpContext) {
    const staff = auth.use('web').getUserOrFail()
    const [, back] = await returnToValidator.tryValidate(request.only(['returnTo']))
    const id = await idParam(params.id)
    try {
      const token = id === null ? null : await staffService.revokeToken(staff, id)
      if (token) {
        revocations.staff.inc()
        await audit.record({
          event: 'token.revoked',
          ...byStaff(staff, request),
          userId: token.tokenableId,
          ...aboutToken(token),
        })
        session.flash(
          'success',
          `Token “${token.name}” of “${token.user.username}” revoked. Requests using it are now refused.`
        )
      } else {
        session.flash('error', 'That token does not exist or was already revoked.')
      }
    } catch (error) {
      if (!(error instanceof StaffActionError)) throw error
      session.flash('error', error.message)
    }
    return response.redirect().toPath(back?.returnTo ?? '/admin/tokens')
  }

  private async setActive(
    { auth, params, request, response, session }: HttpContext,
    active: boolean
  ) {
    const staff = auth.use('web').getUserOrFail()
    const user = await this.findOr404(params.id)
    try {
      if (await staffService.setActive(staff, user, active)) {
        await audit.record({
          event: active ? 'user.activated' : 'user.deactivated',
          ...byStaff(staff, request),
          userId: user.id,
        })
      }
      session.flash('success', `User “${user.username}” is ${active ? 'active' : 'inactive'}.`)
    } catch (error) {
      if (!(error instanceof StaffActionError)) throw error
      session.flash('error', error.message)
    }
    return response.redirect().toPath(`/admin/users/${user.id}`)
  }

  private async findOr404(id: unknown) {
    const userId = await idParam(id)
    const user = userId === null ? null : await staffService.findUser(userId)
    if (!user) throw new errors.E_ROUTE_NOT_FOUND(['GET', `/admin/users/${userId ?? ''}`])
    return user
  }
}
