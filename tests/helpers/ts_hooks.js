/*
| TypeScript for the app processes the tests start (`node --import=./tests/helpers/ts_hooks.js
| bin/server.ts`): the SWC transform @poppinss/ts-exec applies, with the options it derives from
| @adonisjs/tsconfig, but as in-thread hooks (module.registerHooks). ts-exec's hooks run on a
| loader thread that every import waits for, which doubles the boot of a process here (~2.2 s →
| ~1.1 s). What SWC wrote is kept in tmp/ by the hash of the source, and Node's compile cache
| is on: a process that starts again compiles nothing again.
| Plain JavaScript on purpose: it is what loads the TypeScript.
*/

import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { enableCompileCache, registerHooks } from 'node:module'
import { fileURLToPath } from 'node:url'
import { transformSync, version as swcVersion } from '@swc/core'

const SWC_OPTIONS = {
  sourceMaps: 'inline',
  module: { type: 'es6' },
  jsc: {
    target: 'esnext',
    externalHelpers: false,
    parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
    transform: { decoratorMetadata: true, legacyDecorator: true, useDefineForClassFields: true },
    experimental: { keepImportAttributes: true },
    keepClassNames: true,
  },
}

const TMP = new URL('../../tmp/', import.meta.url)
const CACHE = fileURLToPath(new URL('ts-hooks-cache/', TMP))
const OPTIONS_HASH = `${swcVersion} ${JSON.stringify(SWC_OPTIONS)}`
mkdirSync(CACHE, { recursive: true })
enableCompileCache(fileURLToPath(new URL('node-compile-cache', TMP)))
process.setSourceMapsEnabled(true)

registerHooks({
  // `#models/user` maps to ./app/models/user.js: in the sources, that file is user.ts.
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      const url = error.code === 'ERR_MODULE_NOT_FOUND' ? error.url : undefined
      if (url?.startsWith('file:') && url.endsWith('.js')) {
        return nextResolve(`${url.slice(0, -3)}.ts`, context)
      }
      throw error
    }
  },
  load(url, context, nextLoad) {
    if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context)
    const filename = fileURLToPath(url)
    const source = readFileSync(filename, 'utf8')
    const key = createHash('sha1').update(`${OPTIONS_HASH}\0${filename}\0${source}`).digest('hex')
    const cached = `${CACHE}${key}.js`
    try {
      return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true }
    } catch {}
    const { code } = transformSync(source, { ...SWC_OPTIONS, filename })
    // Written aside, then renamed: processes starting side by side never read half a file.
    writeFileSync(`${cached}.${process.pid}`, code)
    renameSync(`${cached}.${process.pid}`, cached)
    return { format: 'module', source: code, shortCircuit: true }
  },
})
