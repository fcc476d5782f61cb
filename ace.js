/*
|--------------------------------------------------------------------------
| JavaScript entrypoint for running ace commands
|--------------------------------------------------------------------------
|
| `node ace …` is often typed in a shell whose `node` is older than the
| Node 24 that AdonisJS v7 needs. The project pins Node 24 as an npm
| devDependency, so when the running Node is too old we re-run this file
| with node_modules/.bin/node instead (the same thing `npm run` does).
|
*/

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const REQUIRED_MAJOR = 24
const major = Number(process.versions.node.split('.')[0])

if (major < REQUIRED_MAJOR) {
  const pinned = fileURLToPath(new URL('./node_modules/.bin/node', import.meta.url))
  if (!existsSync(pinned)) {
    console.error(
      `Gatehouse needs Node.js ${REQUIRED_MAJOR}+, this is ${process.version}. ` +
        'Run "npm install" first: it installs a Node 24 binary under node_modules/.bin.'
    )
    process.exit(1)
  }
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  process.exit(result.status ?? 1)
}

await import('@poppinss/ts-exec')
await import('./bin/console.js')
