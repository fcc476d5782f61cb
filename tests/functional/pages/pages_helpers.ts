import userService from '#services/user_service'

export const PASSWORD = 'correct horse battery'

let counter = 0

/** A saved user who can sign in with PASSWORD. */
export function makePageUser(overrides: { username?: string; isActive?: boolean } = {}) {
  counter++
  return userService.create({
    username: overrides.username ?? `page-user${counter}`,
    email: `page-user${counter}@example.com`,
    password: PASSWORD,
    isActive: overrides.isActive ?? true,
  })
}
