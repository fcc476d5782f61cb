import { Authenticator } from '@adonisjs/auth'

/**
 * Counts the calls of @adonisjs/auth's `ctx.auth.checkUsing` (the async
 * path the `api` middleware avoids when the guard answers without I/O)
 * until the test ends.
 */
export function countCheckUsing(cleanup: (task: () => void) => void) {
  const checkUsing = Authenticator.prototype.checkUsing
  const counted = { calls: 0 }
  Authenticator.prototype.checkUsing = function (this: Authenticator<any>, ...args) {
    counted.calls++
    return checkUsing.apply(this, args)
  }
  cleanup(() => {
    Authenticator.prototype.checkUsing = checkUsing
  })
  return counted
}
