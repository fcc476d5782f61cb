import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { sqlTimestamp } from '#services/sql'
import gatehouse from '#config/gatehouse'
import AccessToken from '#models/access_token'
import User from '#models/user'
import tokenMaintenance from '#services/token_maintenance_service'
import tokenService from '#services/token_service'
import userService, { type NewUser } from '#services/user_service'

/** A staff action the rules refuse; the message is shown to the staff member as is. */
export class StaffActionError extends Error {}

export const USERS_PER_PAGE = 50
export const TOKENS_PER_PAGE = 50

export interface UserFilters {
  q?: string
  status?: 'active' | 'inactive' | 'staff'
  sort?: 'username' | 'last_login' | '-last_login' | '-joined'
  page?: number
}

export interface TokenFilters {
  user?: string
  source?: 'native' | 'drf'
  /** Live tokens that expire within this many days. */
  expiring?: number
  /** Live tokens not used for this many days (never used counts from creation). */
  unused?: number
  page?: number
}

/** LIKE pattern that matches `text` literally, anywhere. */
function contains(text: string) {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/**
 * What staff can see and do in the console (/admin), and the rules:
 * only a superuser grants or removes staff and superuser, only a superuser
 * acts on a superuser's account, and nobody deactivates or demotes
 * themselves. Keys are never exposed: tokens come with their hint only.
 */
export class StaffService {
  constructor(private config = gatehouse.tokens) {}

  listUsers({ q, status, sort = 'username', page = 1 }: UserFilters) {
    const query = User.query()
      .withCount('tokens', (tokens) => this.live(tokens.where('type', this.config.type)))
      .if(q, (builder) =>
        builder.where((where) =>
          where
            .whereRaw(`lower(username) like ? escape '\\'`, [contains(q!)])
            .orWhereRaw(`lower(email) like ? escape '\\'`, [contains(q!)])
        )
      )
      .if(status === 'active', (builder) => builder.where('is_active', true))
      .if(status === 'inactive', (builder) => builder.where('is_active', false))
      .if(status === 'staff', (builder) => builder.where('is_staff', true))

    if (sort === 'last_login' || sort === '-last_login') {
      // Never signed in sorts last either way, on SQLite and PostgreSQL alike.
      query
        .orderByRaw('case when last_login_at is null then 1 else 0 end')
        .orderBy('last_login_at', sort === 'last_login' ? 'asc' : 'desc')
    } else if (sort === '-joined') {
      query.orderBy('created_at', 'desc')
    } else {
      query.orderBy('username', 'asc')
    }
    return query.orderBy('id', 'asc').paginate(page, USERS_PER_PAGE)
  }

  findUser(id: number) {
    return User.find(id)
  }

  /** id → username of the given users (who acted, in a list of events). */
  async usernames(ids: (number | null)[]) {
    const wanted = [...new Set(ids.filter((id): id is number => id !== null))]
    if (wanted.length === 0) return {}
    const users = await User.query().whereIn('id', wanted).select('id', 'username')
    return Object.fromEntries(users.map((user) => [user.id, user.username]))
  }

  /** Every token of a user, live and expired, newest first. */
  tokensOf(user: User) {
    return tokenService.list(user)
  }

  /** Live tokens across users, filtered, oldest expiry first, with their user loaded. */
  async listTokens({ user, source, expiring, unused, page = 1 }: TokenFilters) {
    const now = DateTime.now()
    const query = this.live(AccessToken.query().where('type', this.config.type))
      .preload('user')
      .if(user, (builder) =>
        builder.whereIn(
          'tokenable_id',
          db.from('users').select('id').where('username', user!).orWhere('email', user!)
        )
      )
      .if(source === 'drf', (builder) => builder.where('source', 'drf'))
      .if(source === 'native', (builder) => builder.whereNull('source'))
      .if(expiring, (builder) =>
        builder
          .whereNotNull('expires_at')
          .where('expires_at', '<=', sqlTimestamp(now.plus({ days: expiring })))
      )
      .if(unused, (builder) => {
        const before = sqlTimestamp(now.minus({ days: unused }))
        builder.where((where) =>
          where
            .where('last_used_at', '<', before)
            .orWhere((never) => never.whereNull('last_used_at').where('created_at', '<', before))
        )
      })
      .orderByRaw('case when expires_at is null then 1 else 0 end')
      .orderBy('expires_at', 'asc')
      .orderBy('id', 'asc')
    return query.paginate(page, TOKENS_PER_PAGE)
  }

  /** A user created by staff, through the same service as the CLI. Staff flags: superusers only. */
  async createUser(staff: User, input: NewUser) {
    if ((input.isStaff || input.isSuperuser) && !staff.isSuperuser) {
      throw new StaffActionError('Only a superuser can create staff members or superusers.')
    }
    return userService.create({ ...input, isStaff: input.isStaff || input.isSuperuser })
  }

  /** Activates or deactivates; false when it already was. */
  async setActive(staff: User, target: User, isActive: boolean): Promise<boolean> {
    if (!isActive && staff.id === target.id) {
      throw new StaffActionError('You cannot deactivate your own account.')
    }
    this.assertCanManage(staff, target)
    if (target.isActive === isActive) return false
    await userService.setActive(target, isActive)
    return true
  }

  /** A password the user must change at their next sign-in (ends their sessions). Not for oneself. */
  async setTemporaryPassword(
    staff: User,
    target: User,
    password: string,
    options: { revokeTokens?: boolean } = {}
  ) {
    if (staff.id === target.id) {
      throw new StaffActionError('Change your own password on your account page.')
    }
    this.assertCanManage(staff, target)
    return userService.setTemporaryPassword(target, password, options)
  }

  /** Grants or removes staff and superuser (a superuser is always staff); false when unchanged. */
  async setRoles(staff: User, target: User, roles: { isStaff: boolean; isSuperuser: boolean }) {
    if (!staff.isSuperuser) {
      throw new StaffActionError('Only a superuser can grant or remove staff status.')
    }
    const isStaff = roles.isStaff || roles.isSuperuser
    if (staff.id === target.id && (!isStaff || !roles.isSuperuser)) {
      throw new StaffActionError('You cannot remove your own staff or superuser status.')
    }
    const before = { isStaff: target.isStaff, isSuperuser: target.isSuperuser }
    if (before.isStaff === isStaff && before.isSuperuser === roles.isSuperuser) return null
    target.merge({ isStaff, isSuperuser: roles.isSuperuser })
    await target.save()
    return { before, after: { isStaff, isSuperuser: roles.isSuperuser } }
  }

  /** Revokes one token, whoever owns it; null when there is no such token. */
  async revokeToken(staff: User, tokenId: number) {
    const token = await tokenMaintenance.findById(tokenId)
    if (!token) return null
    this.assertCanManage(staff, token.user)
    return (await tokenMaintenance.revokeById(token.id)) ? token : null
  }

  async revokeAll(staff: User, target: User) {
    this.assertCanManage(staff, target)
    return tokenService.revokeAll(target)
  }

  /** A superuser's account and tokens are managed by superusers only. */
  assertCanManage(staff: User, target: User) {
    if (target.isSuperuser && !staff.isSuperuser && staff.id !== target.id) {
      throw new StaffActionError('Only a superuser can change a superuser’s account or tokens.')
    }
  }

  private live<Query extends { where: any }>(query: Query): Query {
    const now = sqlTimestamp(DateTime.now())
    return query.where((where: any) =>
      where.whereNull('expires_at').orWhere('expires_at', '>', now)
    ) as Query
  }
}

export default new StaffService()
