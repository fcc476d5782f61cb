import { BaseCommand } from '@adonisjs/core/ace'
import userService from '#services/user_service'
import { printable } from '#services/terminal_text'
import { readPassword, type PasswordSource } from '#services/password_input'

const BAR_WIDTH = 30

/**
 * What Gatehouse's commands share: a failure is one terminal-safe line on
 * stderr and exit code 1. (The leading "_" keeps ace from loading this file
 * as a command.)
 */
export class GatehouseCommand extends BaseCommand {
  /** One line on stderr (control characters escaped); exit code 1. */
  protected fail(message: string) {
    this.logger.error(printable(message))
    this.exitCode = 1
  }

  /** Validated flags, or undefined once the first problem has been said. */
  protected async validFlags<Output>(
    attempt: Promise<[{ messages: Array<{ message: string }> }, null] | [null, Output]>
  ): Promise<Output | undefined> {
    const [invalid, output] = await attempt
    if (invalid) {
      this.fail(invalid.messages[0].message)
      return undefined
    }
    return output!
  }

  /** The user of that username, or null once "No user named …" has been said. */
  protected async userNamed(username: string) {
    const user = await userService.findByUsername(username)
    if (!user) this.fail(`No user named "${username}".`)
    return user
  }

  /**
   * Runs a batched delete of `total` rows, with a progress bar on a terminal;
   * returns what `prune` removed.
   */
  protected async withProgress(
    total: number,
    prune: (onBatch?: (done: number) => void) => Promise<number>
  ) {
    const showProgress = process.stdout.isTTY === true
    const removed = await prune(
      showProgress ? (done) => this.logger.logUpdate(progressBar(done, total)) : undefined
    )
    if (showProgress) this.logger.logUpdatePersist()
    return removed
  }
}

/** user:create and user:password: the password never travels as a flag. */
export class PasswordCommand extends GatehouseCommand {
  /** Where the password comes from without a prompt; replaceable in tests. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin

  /** The password, or undefined once the reason there is none has been said. */
  protected async typedPassword(
    source: Pick<PasswordSource, 'fromStdin' | 'fallback' | 'label' | 'noInput'>
  ) {
    const typed = await readPassword({ ...source, stdin: this.stdin, prompt: this.prompt })
    if ('error' in typed) {
      this.fail(typed.error)
      return undefined
    }
    return typed.password
  }
}

function progressBar(done: number, total: number) {
  const ratio = Math.min(done / total, 1)
  const filled = Math.round(ratio * BAR_WIDTH)
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled)
  return `${bar} ${Math.floor(ratio * 100)}% ${done}/${total}`
}
