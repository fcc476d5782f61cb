import { SessionLucidUserProvider } from '@adonisjs/auth/session'
import type User from '#models/user'

/**
 * The session guard's Lucid user provider, refusing inactive users the way
 * the token guard does: deactivating an account ends its sessions at their
 * next request.
 */
export class ActiveSessionUserProvider extends SessionLucidUserProvider<typeof User> {
  async findById(identifier: string | number | BigInt) {
    const found = await super.findById(identifier)
    return found?.getOriginal().isActive ? found : null
  }
}
