import UserActivate from '#commands/user_activate'

/** Sets is_active to false: the user's tokens and sessions are refused from the next request. */
export default class UserDeactivate extends UserActivate {
  static commandName = 'user:deactivate'
  static description = 'Deactivate a user: their tokens are refused from the next request'

  protected active = false
}
