import { test } from '@japa/runner'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ensureDotEnv } from '#start/dotenv'

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-env-'))
  return { dir, root: pathToFileURL(`${dir}/`), cleanup: () => rmSync(dir, { recursive: true }) }
}

function appKeyOf(contents: string) {
  return /^APP_KEY=(.*)$/m.exec(contents)?.[1]
}

test.group('.env bootstrap', (group) => {
  const savedKey = process.env.APP_KEY
  group.each.setup(() => {
    delete process.env.APP_KEY
    return () => {
      process.env.APP_KEY = savedKey
    }
  })

  test('a missing .env is copied from .env.example with a fresh APP_KEY', ({ assert }) => {
    const { dir, root, cleanup } = workspace()
    writeFileSync(join(dir, '.env.example'), 'PORT=3333\nAPP_KEY=\n')
    ensureDotEnv(root)
    const contents = readFileSync(join(dir, '.env'), 'utf8')
    assert.include(contents, 'PORT=3333')
    assert.match(appKeyOf(contents) ?? '', /^[A-Za-z0-9_-]{43}$/)
    cleanup()
  })

  test('an existing APP_KEY is never overwritten', ({ assert }) => {
    const { dir, root, cleanup } = workspace()
    writeFileSync(join(dir, '.env'), 'APP_KEY=keep-me-please\nPORT=1\n')
    ensureDotEnv(root)
    assert.equal(readFileSync(join(dir, '.env'), 'utf8'), 'APP_KEY=keep-me-please\nPORT=1\n')
    cleanup()
  })

  test('a .env without a key gets one appended, the rest kept', ({ assert }) => {
    const { dir, root, cleanup } = workspace()
    writeFileSync(join(dir, '.env'), 'PORT=4000')
    ensureDotEnv(root)
    const contents = readFileSync(join(dir, '.env'), 'utf8')
    assert.match(contents, /^PORT=4000\nAPP_KEY=[A-Za-z0-9_-]{43}\n$/)
    cleanup()
  })

  test('two fresh checkouts get different keys', ({ assert }) => {
    const a = workspace()
    const b = workspace()
    ensureDotEnv(a.root)
    ensureDotEnv(b.root)
    assert.notEqual(
      appKeyOf(readFileSync(join(a.dir, '.env'), 'utf8')),
      appKeyOf(readFileSync(join(b.dir, '.env'), 'utf8'))
    )
    a.cleanup()
    b.cleanup()
  })
})
