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

test.group('ConcurrencyLimit: bounded queue and shutdown', () => {
  const refuse = (reason: 'full' | 'closed') => new Error(`refused: ${reason}`)

  /** Occupies `count` places (slots first, then the queue) until the returned function is called. */
  function occupy(limit: ConcurrencyLimit, count: number) {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const tasks = Array.from({ length: count }, () => limit.run(() => gate))
    return { tasks, release }
  }

  test('a task that would wait beyond maxWaiting is refused at once', async ({ assert }) => {
    const limit = new ConcurrencyLimit(1, { maxWaiting: 2, refuse })
    const { tasks, release } = occupy(limit, 3)
    await assert.rejects(() => limit.run(async () => 'late'), 'refused: full')
    assert.equal(limit.waiting, 2)
    release()
    await Promise.all(tasks)
    assert.equal(await limit.run(async () => 'next'), 'next')
  })

  test('maxWaiting 0 refuses whenever every slot is busy', async ({ assert }) => {
    const limit = new ConcurrencyLimit(2, { maxWaiting: 0, refuse })
    const { tasks, release } = occupy(limit, 2)
    await assert.rejects(() => limit.run(async () => 'third'), 'refused: full')
    release()
    await Promise.all(tasks)
  })

  test('on abort, waiting tasks are refused; running ones finish', async ({ assert }) => {
    const controller = new AbortController()
    const limit = new ConcurrencyLimit(1, { signal: controller.signal, refuse })
    let release!: () => void
    const running = limit.run(
      () => new Promise<string>((resolve) => (release = () => resolve('done')))
    )
    const waiting = [limit.run(async () => 'a'), limit.run(async () => 'b')]
    await new Promise((resolve) => setImmediate(resolve))

    controller.abort()
    for (const task of waiting) await assert.rejects(() => task, 'refused: closed')
    assert.equal(limit.waiting, 0)
    // Would wait: refused at once. Running: finishes.
    await assert.rejects(() => limit.run(async () => 'c'), 'refused: closed')
    release()
    assert.equal(await running, 'done')
    // A free slot still runs after the abort (a request already received).
    assert.equal(await limit.run(async () => 'free'), 'free')
  })
})
