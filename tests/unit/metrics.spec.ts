import { test } from '@japa/runner'
import { authentications, countTokenCacheLookup, observeRequest, registry } from '#services/metrics'

/** The lines of one metric in the registry's Prometheus text. */
async function lines(prefix: string) {
  const text = await registry.metrics()
  return text.split('\n').filter((line) => line.startsWith(prefix))
}

/**
 * The request path counts in plain numbers (app/services/metrics.ts); what a
 * scrape shows must be what prom-client's own Counter and Histogram would show.
 */
test.group('Metrics: what a scrape shows', () => {
  test('the request histogram: cumulative le buckets, +Inf, sum and count per series', async ({
    assert,
  }) => {
    // Exactly on a bound counts in it (le is <=); above the last bound only in +Inf.
    for (const seconds of [0.0005, 0.001, 0.003, 0.2, 30]) {
      observeRequest('GET', '/test/histogram/:id', 200, seconds)
    }
    observeRequest('DELETE', '/test/histogram/:id', 401, 0.002)

    const series = 'method="GET",route="/test/histogram/:id",status="200"'
    const bucket = (le: string) =>
      `gatehouse_http_request_duration_seconds_bucket{le="${le}",${series}}`
    assert.deepEqual(
      await lines(`gatehouse_http_request_duration_seconds_bucket{le=`).then((all) =>
        all.filter((line) => line.includes(series))
      ),
      [
        `${bucket('0.001')} 2`,
        `${bucket('0.0025')} 2`,
        `${bucket('0.005')} 3`,
        `${bucket('0.01')} 3`,
        `${bucket('0.025')} 3`,
        `${bucket('0.05')} 3`,
        `${bucket('0.1')} 3`,
        `${bucket('0.25')} 4`,
        `${bucket('0.5')} 4`,
        `${bucket('1')} 4`,
        `${bucket('2.5')} 4`,
        `${bucket('5')} 4`,
        `${bucket('10')} 4`,
        `${bucket('+Inf')} 5`,
      ]
    )
    const counts = await lines('gatehouse_http_request_duration_seconds_count')
    assert.deepEqual(
      counts.filter((line) => line.includes('route="/test/histogram/:id"')),
      [
        `gatehouse_http_request_duration_seconds_count{${series}} 5`,
        'gatehouse_http_request_duration_seconds_count{method="DELETE",route="/test/histogram/:id",status="401"} 1',
      ]
    )
    const [sum] = await lines(`gatehouse_http_request_duration_seconds_sum{${series}}`)
    assert.closeTo(Number(sum.split(' ').at(-1)), 30.2045, 1e-9)
  })

  test('counters: increments since the last scrape are added, never lost or counted twice', async ({
    assert,
  }) => {
    const values = async () => {
      const scraped = await lines('gatehouse_token_')
      return new Map(
        scraped.map((line) => {
          const at = line.lastIndexOf(' ')
          return [line.slice(0, at), Number(line.slice(at + 1))]
        })
      )
    }
    const moved = (before: Map<string, number>, after: Map<string, number>, name: string) =>
      after.get(name)! - (before.get(name) ?? 0)
    const ok = 'gatehouse_token_authentications_total{outcome="ok"}'
    const invalid = 'gatehouse_token_authentications_total{outcome="invalid"}'
    const hits = 'gatehouse_token_cache_hits_total'
    const misses = 'gatehouse_token_cache_misses_total'

    const first = await values()
    authentications.ok.inc()
    authentications.ok.inc()
    authentications.invalid.inc()
    countTokenCacheLookup(true)
    countTokenCacheLookup(false)
    countTokenCacheLookup(true)
    const second = await values()
    assert.deepEqual(
      [ok, invalid, hits, misses].map((name) => moved(first, second, name)),
      [2, 1, 2, 1]
    )
    authentications.ok.inc()
    const third = await values()
    assert.deepEqual(
      [ok, invalid, hits, misses].map((name) => moved(second, third, name)),
      [1, 0, 0, 0]
    )
    // Every outcome is exported, at 0 until counted (alerts need the series to exist).
    assert.isTrue(third.has('gatehouse_token_authentications_total{outcome="expired"}'))
  })
})
