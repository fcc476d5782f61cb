import { test } from '@japa/runner'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { destination } from '@adonisjs/core/logger'
import { joiningLines } from '#config/logger'

/** The production stream's options (config/logger.ts), writing to a file instead of stdout. */
function fileStream() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-log-'))
  const path = join(dir, 'out.log')
  const stream = joiningLines(
    destination({ dest: path, sync: true, contentMode: 'buffer', minLength: 4096 })
  )
  return {
    stream,
    written: () => readFileSync(path, 'utf8'),
    cleanup: () => {
      stream.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const line = (n: number) => `{"n":${n},"path":"/caf\u00e9/${'x'.repeat(80)}"}\n`

test.group('Log destination (joined lines)', () => {
  test('keeps lines until ~4 KiB is pending, then writes them all, in order', ({
    assert,
    cleanup,
  }) => {
    const file = fileStream()
    cleanup(file.cleanup)
    file.stream.write(line(0))
    file.stream.write(line(1))
    assert.equal(file.written(), '', 'two short lines stay pending')

    let expected = line(0) + line(1)
    for (let n = 2; expected.length < 4096; n++) {
      file.stream.write(line(n))
      expected += line(n)
    }
    assert.equal(file.written(), expected)
  })

  test('flushSync and flush write what is pending (the exit hook and the periodic flush)', async ({
    assert,
    cleanup,
  }) => {
    const file = fileStream()
    cleanup(file.cleanup)
    file.stream.write(line(1))
    file.stream.flushSync()
    assert.equal(file.written(), line(1))

    file.stream.write(line(2))
    await new Promise<void>((resolve, reject) =>
      file.stream.flush((error) => (error ? reject(error) : resolve()))
    )
    assert.equal(file.written(), line(1) + line(2))
  })

  test('bytes written directly come after the lines before them', ({ assert, cleanup }) => {
    const file = fileStream()
    cleanup(file.cleanup)
    file.stream.write(line(1))
    ;(file.stream.write as (data: string | Buffer) => boolean)(Buffer.from('raw\n'))
    file.stream.write(line(2))
    file.stream.flushSync()
    assert.equal(file.written(), line(1) + 'raw\n' + line(2))
  })
})
