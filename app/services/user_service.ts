import User from '#models/user'
import gatehouse from '#config/gatehouse'
import tokenService from '#services/token_service'
import userSessionService from '#services/user_session_service'

export class UserInputError extends Error {}

/** Why sign-ins that would hand out an API token refuse a user with a temporary password. */
export const MUST_CHANGE_PASSWORD =
  'Your password must be changed before you can get an API token: sign in at /account to choose a new one.'

export interface PasswordChange {
  /** Staff's temporary password: the user must choose a new one at the next sign-in. */
  temporary?: boolean
  /** The browser session (record id) that made the change stays signed in. */
  keepSession?: string | null
  /** Also revoke every API token of the user. */
  revokeTokens?: boolean
}

export interface NewUser {
  username: string
  password: string
  email?: string | null
  isActive?: boolean
  isStaff?: boolean
  isSuperuser?: boolean
}

/** Creating and finding users; shared by the CLI, the pages and the API. */
export class UserService {
  constructor(private passwords = gatehouse.passwords) {}

  async create(input: NewUser): Promise<User> {
    const username = input.username.trim()
    const email = input.email?.trim().toLowerCase() || null
    if (!/^[\w.@+-]{1,150}$/.test(username)) {
      throw new UserInputError(
        'Username must be 1-150 characters: letters, digits and @ . + - _ only.'
      )
    }
    this.checkPassword(input.password)
    if (await User.findBy('username', username)) {
      throw new UserInputError(`A user named "${username}" already exists.`)
    }
    if (email && (await User.findBy('email', email))) {
      throw new UserInputError(`A user with the email "${email}" already exists.`)
    }
    return User.create({
      username,
      email,
      password: input.password,
      isActive: input.isActive ?? true,
      isStaff: input.isStaff ?? false,
      isSuperuser: input.isSuperuser ?? false,
    })
  }

  findByUsername(username: string) {
    return User.findBy('username', username)
  }

  /** Deactivating also ends every browser session of the user. */
  async setActive(user: User, isActive: boolean) {
    user.isActive = isActive
    await user.save()
    if (!isActive) await userSessionService.endAll(user)
    return user
  }

  /** The password rules of every path that sets one (user:create, user:password, /account). */
  checkPassword(password: string) {
    if (password.length < this.passwords.minLength) {
      throw new UserInputError(
        `Password must be at least ${this.passwords.minLength} characters long.`
      )
    }
    if (password.length > this.passwords.maxLength) {
      throw new UserInputError(
        `Password must be at most ${this.passwords.maxLength} characters long.`
      )
    }
  }

  /**
   * Django's set_password + save, plus what a leaked password calls for:
   * every browser session of the user ends (except `keepSession`), and with
   * `revokeTokens` every API token too.
   */
  async setPassword(user: User, password: string, options: PasswordChange = {}) {
    this.checkPassword(password)
    user.password = password
    user.passwordMustChange = options.temporary ?? false
    await user.save()
    const sessionsEnded = await userSessionService.endAll(user, { except: options.keepSession })
    const tokensRevoked = options.revokeTokens ? await tokenService.revokeAll(user) : 0
    return { sessionsEnded, tokensRevoked }
  }

  /** Staff (console, `user:password --temporary`): a password to be changed at the next sign-in. */
  setTemporaryPassword(user: User, password: string, options: { revokeTokens?: boolean } = {}) {
    return this.setPassword(user, password, { ...options, temporary: true })
  }

  list() {
    return User.query().orderBy('id', 'asc')
  }
}

export default new UserService()
