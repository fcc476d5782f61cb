import User from '#models/user'
import gatehouse from '#config/gatehouse'
import { isValidUsername } from '#validators/user'

export class UserInputError extends Error {}

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
    if (input.password.length < this.passwords.minLength) {
      throw new UserInputError(
        `Password must be at least ${this.passwords.minLength} characters long.`
      )
    }
    if (input.password.length > this.passwords.maxLength) {
      throw new UserInputError(
        `Password must be at most ${this.passwords.maxLength} characters long.`
      )
    }
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

  async setActive(user: User, isActive: boolean) {
    user.isActive = isActive
    await user.save()
    return user
  }

  list() {
    return User.query().orderBy('id', 'asc')
  }
}

export default new UserService()
