import { Authenticator } from '@adonisjs/auth'
import type { GuardFactory } from '@adonisjs/auth/types'

/**
 * `ctx.auth` (providers/request_auth_provider.ts): @adonisjs/auth's
 * Authenticator, plus `accepted(name)`, which records at once that the
 * guard `name` has authenticated the request. The `api` middleware calls it
 * when the token guard accepted a key without I/O (a cached key), in place of
 * `await ctx.auth.checkUsing([name])`: that asks the guard again and takes
 * two turns of the microtask queue and two async layers per request, ~5% of
 * a protected request's time under load (docs/performance.md, Session 17).
 *
 * What the Authenticator answers about the request (`authenticatedViaGuard`,
 * `isAuthenticated`, `user`, `getUserOrFail()`, `authenticationAttempted`)
 * comes from that guard, as checkUsing would have made it; any later
 * attempt (check, checkUsing, authenticate, authenticateUsing) goes back to
 * the framework's own bookkeeping, so the last attempt wins as before.
 */
export class RequestAuthenticator<
  KnownGuards extends Record<string, GuardFactory>,
> extends Authenticator<KnownGuards> {
  #accepted?: keyof KnownGuards

  /** The guard `name` has authenticated this request (its attempt answered true). */
  accepted(name: keyof KnownGuards) {
    this.#accepted = name
  }

  get authenticatedViaGuard() {
    return this.#accepted ?? super.authenticatedViaGuard
  }

  get authenticationAttempted() {
    return this.#accepted === undefined ? super.authenticationAttempted : true
  }

  get isAuthenticated() {
    return this.#accepted === undefined
      ? super.isAuthenticated
      : this.use(this.#accepted).isAuthenticated
  }

  get user(): Authenticator<KnownGuards>['user'] {
    return this.#accepted === undefined ? super.user : this.use(this.#accepted).user
  }

  getUserOrFail(): ReturnType<Authenticator<KnownGuards>['getUserOrFail']> {
    if (this.#accepted === undefined) return super.getUserOrFail()
    // One of the guards' users: the same union the base class answers.
    return this.use(this.#accepted).getUserOrFail() as ReturnType<
      Authenticator<KnownGuards>['getUserOrFail']
    >
  }

  check() {
    this.#accepted = undefined
    return super.check()
  }

  checkUsing(...args: Parameters<Authenticator<KnownGuards>['checkUsing']>) {
    this.#accepted = undefined
    return super.checkUsing(...args)
  }

  authenticateUsing(...args: Parameters<Authenticator<KnownGuards>['authenticateUsing']>) {
    this.#accepted = undefined
    return super.authenticateUsing(...args)
  }
}
