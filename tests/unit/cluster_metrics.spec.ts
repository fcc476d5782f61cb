import { test } from '@japa/runner'
import { spawnSync } from 'node:child_process'
import app from '@adonisjs/core/services/app'
import { TS_HOOKS } from '#tests/helpers/app_process'

test.group('Metrics under node:cluster', () => {
  test('a worker answers a scrape with the sum over every worker', ({ assert }) => {
    const result = spawnSync(process.execPath, [TS_HOOKS, 'tests/helpers/metrics_cluster.ts'], {
      cwd: app.makePath(),
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(result.status, 0, result.stderr)
    // Each of the two workers counted one.
    assert.include(result.stdout, 'gatehouse_token_authentications_total{outcome="ok"} 2\n')
    assert.include(result.stdout, 'gatehouse_token_authentications_total{outcome="invalid"} 0\n')
    const series = 'method="GET",route="/api/v1/me",status="200"'
    assert.include(result.stdout, `gatehouse_http_request_duration_seconds_count{${series}} 2\n`)
    assert.include(
      result.stdout,
      `gatehouse_http_request_duration_seconds_bucket{le="0.025",${series}} 2\n`
    )
    assert.include(
      result.stdout,
      `gatehouse_http_request_duration_seconds_bucket{le="0.01",${series}} 0\n`
    )
  }).timeout(60_000)
})
