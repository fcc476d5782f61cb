import User from '#models/user'
import gatehouse from '#config/gatehouse'
import tokenService from '#services/token_service'
import userSessionService from '#services/user_session_service'
import { isValidUsername } from '#validators/rules'

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
    this.assertValidUsername(username)
    this.checkPassword(input.password)
    await this.assertAvailable(username, email)
    return User.create({
      username,
      email,
      password: input.password,
      isActive: input.isActive ?? true,
      isStaff: input.isStaff ?? false,
      isSuperuser: input.isSuperuser ?? false,
    })
  }

  /** Changes a user's username and/or email under the same rules as create(). */
  async update(user: User, changes: { username?: string; email?: string | null }) {
    const username = changes.username === undefined ? user.username : changes.username.trim()
    const email =
      changes.email === undefined ? user.email : changes.email?.trim().toLowerCase() || null
    if (username !== user.username) this.assertValidUsername(username)
    await this.assertAvailable(username, email, user.id)
    user.merge({ username, email })
    await user.save()
    return user
  }

  private assertValidUsername(username: string) {
    if (!isValidUsername(username)) {
      throw new UserInputError(
        'Username must be 1-150 characters: letters, digits and @ . + - _ only.'
      )
    }
  }

  /** Unique username, unique email, and neither is another user's other sign-in name. */
  private async assertAvailable(username: string, email: string | null, exceptId?: number) {
    const others = () =>
      exceptId === undefined ? User.query() : User.query().whereNot('id', exceptId)
    if (await others().where('username', username).first()) {
      throw new UserInputError(`A user named "${username}" already exists.`)
    }
    if (email && (await others().where('email', email).first())) {
      throw new UserInputError(`A user with the email "${email}" already exists.`)
    }
    await this.assertNoCrossMatch(username, email, exceptId)
  }

  /**
   * A sign-in name (username or email) must lead to one account: refuses a
   * username that is another user's email and an email that is another
   * user's username, case-insensitively. exceptId: the user being changed.
   */
  async assertNoCrossMatch(username: string, email: string | null, exceptId?: number) {
    const others = () =>
      exceptId === undefined ? User.query() : User.query().whereNot('id', exceptId)
    if (await others().where('email', username.toLowerCase()).first()) {
      throw new UserInputError('That username is the email address of another user.')
    }
    if (email && (await others().whereRaw('lower(username) = ?', [email.toLowerCase()]).first())) {
      throw new UserInputError('That email address is the username of another user.')
    }
  }

  findByUsername(username: string) {
    return User.findBy('username', username)
  }

  /**
   * The account a sign-in name designates: the exact username first, then the
   * email (stored lower-cased), so no one can take over another's sign-in name.
   */
  async findForSignIn(uid: string): Promise<User | null> {
    return (
      (await User.findBy('username', uid)) ??
      (await User.query().where('email', uid.toLowerCase()).orderBy('id', 'asc').first())
    )
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
