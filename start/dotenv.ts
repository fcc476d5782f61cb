import { randomBytes } from 'node:crypto'
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Makes sure a development/test checkout has a .env with an APP_KEY: copies
 * .env.example when .env is missing and adds a random key when none is set.
 * Never replaces a key that is already there.
 */
export function ensureDotEnv(appRoot: URL) {
  const envPath = fileURLToPath(new URL('.env', appRoot))
  const examplePath = fileURLToPath(new URL('.env.example', appRoot))

  if (!existsSync(envPath)) {
    if (existsSync(examplePath)) {
      copyFileSync(examplePath, envPath)
    } else {
      writeFileSync(envPath, '')
    }
  }

  const contents = readFileSync(envPath, 'utf8')
  const keyLine = contents.split(/\r?\n/).find((line) => /^\s*APP_KEY\s*=/.test(line))
  const hasKey = keyLine !== undefined && keyLine.split('=').slice(1).join('=').trim() !== ''
  if (hasKey || process.env.APP_KEY) {
    return
  }

  const key = randomBytes(32).toString('base64url')
  if (keyLine !== undefined) {
    writeFileSync(envPath, contents.replace(/^\s*APP_KEY\s*=.*$/m, `APP_KEY=${key}`))
  } else {
    appendFileSync(
      envPath,
      `${contents.endsWith('\n') || contents === '' ? '' : '\n'}APP_KEY=${key}\n`
    )
  }
}
