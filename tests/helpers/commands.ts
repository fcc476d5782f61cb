import ace from '@adonisjs/core/services/ace'
import type { BaseCommand } from '@adonisjs/core/ace'

/**
 * The command registered under `name`, created as `node ace <name> ...argv`
 * would create it, with its output captured in memory (raw mode, fresh for
 * every command).
 */
export async function makeCommand(name: string, argv: string[] = []) {
  await ace.boot()
  ace.ui.switchMode('raw')
  return ace.create(await ace.find(name), argv)
}

/** Creates and runs a command; assert on the returned instance. */
export async function runCommand(name: string, argv: string[] = []) {
  const command = await makeCommand(name, argv)
  await command.exec()
  return command
}

/** Lines the command wrote to one stream, as written (raw mode names colors: "red(error)"). */
export function output(command: BaseCommand, stream: 'stdout' | 'stderr' = 'stdout') {
  return command.logger
    .getLogs()
    .filter((log) => log.stream === stream)
    .map((log) => log.message)
}

/** The one error line a failing command must print on stderr. */
export function assertError(command: BaseCommand, message: string) {
  command.assertFailed()
  command.assertLog(`[ red(error) ] ${message}`, 'stderr')
}
