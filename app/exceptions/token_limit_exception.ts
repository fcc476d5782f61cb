import { Exception } from '@adonisjs/core/exceptions'

/**
 * A new token would take a user past tokens.maxPerUser live tokens. The API
 * answers 409 {"detail": …}; pages and the CLI show the message. An answer,
 * not a fault: never logged.
 */
export class TokenLimitException extends Exception {
  static status = 409
  static code = 'E_TOKEN_LIMIT'

  constructor(public max: number) {
    super(
      `You already have ${max} live tokens, the most one user may hold. Revoke a token you no longer use, then try again.`
    )
  }

  report() {}
}
