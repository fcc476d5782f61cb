import { test } from '@japa/runner'
import { ConcurrencyLimit } from '#services/concurrency_limit'

test.group('ConcurrencyLimit', () => {
  test('runs at most `limit` tasks at once, the rest in order', async ({ assert }) => {
    const limit = new ConcurrencyLimit(2)
    let running = 0
    let peak = 0
    const started: number[] = []
    const releases: Array<() => void> = []

    const tasks = [0, 1, 2, 3, 4].map((i) =>
      limit.run(async () => {
        started.push(i)
        running++
        peak = Math.max(peak, running)
        await new Promise<void>((resolve) => releases.push(resolve))
        running--
        return i
      })
    )

    while (started.length < 5) {
      await new Promise((resolve) => setImmediate(resolve))
      assert.isAtMost(running, 2)
      releases.shift()?.()
    }
    releases.forEach((release) => release())

    assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3, 4])
    assert.deepEqual(started, [0, 1, 2, 3, 4])
    assert.equal(peak, 2)
  })

  test('a failing task frees its slot', async ({ assert }) => {
    const limit = new ConcurrencyLimit(1)
    await assert.rejects(() => limit.run(() => Promise.reject(new Error('boom'))), 'boom')
    assert.equal(await limit.run(async () => 'next'), 'next')
  })
})
