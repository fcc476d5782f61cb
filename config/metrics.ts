/*
|--------------------------------------------------------------------------
| Operator metrics (GET /metrics, Prometheus text format)
|--------------------------------------------------------------------------
|
| Who may scrape: a caller from one of the allowed addresses, or one that
| sends `Authorization: Bearer <METRICS_TOKEN>`. Everyone else gets 404.
| Addresses are the ones the app sees (request.ip(); see trustProxy in
| config/app.ts): a reverse proxy on the same host makes every request
| look local, so block /metrics there or leave METRICS_ALLOW empty.
|
*/

import env from '#start/env'

const metricsConfig = {
  /** Addresses and CIDR ranges, comma-separated (METRICS_ALLOW=""): none. Default: loopback. */
  allow: env.get('METRICS_ALLOW', ['127.0.0.1', '::1']),
  /** Bearer secret that opens /metrics from anywhere; unset = addresses only. */
  token: env.get('METRICS_TOKEN')?.release(),
}

export type MetricsConfig = typeof metricsConfig

export default metricsConfig
