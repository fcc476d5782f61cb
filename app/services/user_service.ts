import User from '#models/user'
import gatehouse from '#config/gatehouse'

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
    if (!/^[\w.@+-]{1,150}$/.test(username)) {
      throw new UserInputError(
        'Username must be 1-150 characters: letters, digits and @ . + - _ only.'
      )
    }
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
