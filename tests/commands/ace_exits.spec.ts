import { spawn } from 'node:child_process'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'

/** Far above a normal run (a few seconds): only a process that never ends reaches it. */
const HANG_BOUND_MS = 45_000

/**
 * Runs `node ace …` in a child process and waits for it to end by itself;
 * past the bound it is killed and reported as hung.
 */
function aceExit(argv: string[]) {
  const child = spawn(process.execPath, ['ace', ...argv, '--no-ansi'], {
    cwd: app.makePath(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  let hung = false
  const timer = setTimeout(() => {
    hung = true
    child.kill('SIGKILL')
  }, HANG_BOUND_MS)
  return new Promise<{ code: number | null; hung: boolean; output: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, hung, output })
    })
  })
}

/** Started when this file is imported: the suite's other work overlaps the boot. */
const codegenRun = aceExit(['codegen'])
codegenRun.catch(() => {}) // a failure to spawn is reported by the test that awaits it

test.group('node ace exits by itself', () => {
  // codegen boots the app as the web server does (providers started, preloads
  // imported) without serving: no provider may leave a connection open then.
  test('codegen writes the route types and exits with code 0', async ({ assert }) => {
    const result = await codegenRun

    assert.isFalse(result.hung, `still running after ${HANG_BOUND_MS} ms:\n${result.output}`)
    assert.equal(result.code, 0, result.output)
    assert.include(result.output, 'Codegen files generated')
  }).timeout(HANG_BOUND_MS + 45_000)
})
