import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client'
import { clusterAggregates, clusterMetrics, joinClusterMetrics } from '#services/cluster_metrics'

/**
 * Every metric Gatehouse exports (GET /metrics), in one registry of its own.
 * Call sites get pre-bound children, created once here: an increment on the
 * authenticated path is a plain method call, with no labels object per request.
 * No Adonis imports: this module must load anywhere (commands, the cluster primary).
 */
export const registry = new Registry()

/**
 * A labelled counter, one child per value, each exported from the start at 0.
 * An increment only adds to a plain number; prom-client gets the sum when
 * scraped (its collect()). prom-client's own inc() builds and hashes a label
 * key on every call, ~0.5 µs on each authenticated request.
 */
function labelled<const V extends string>(name: string, help: string, label: string, values: V[]) {
  const pending = new Map<V, number>(values.map((value) => [value, 0]))
  const counter: Counter<string> = new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, count] of pending) {
        if (count === 0) continue
        counter.labels(value).inc(count)
        pending.set(value, 0)
      }
    },
  })
  const children = {} as Record<V, { inc(value?: number): void }>
  for (const value of values) {
    counter.inc({ [label]: value }, 0)
    children[value] = { inc: (count = 1) => void pending.set(value, pending.get(value)! + count) }
  }
  return children
}

/** Token authentications (Authorization: Token/Bearer …) by outcome. */
export const authentications = labelled(
  'gatehouse_token_authentications_total',
  'Token authentications by outcome (ok, invalid, expired, inactive).',
  'outcome',
  ['ok', 'invalid', 'expired', 'inactive']
)

let cacheHits = 0
let cacheMisses = 0

new Counter({
  name: 'gatehouse_token_cache_hits_total',
  help: 'Well-formed keys answered from the token cache, without a query.',
  registers: [registry],
  collect() {
    this.inc(cacheHits)
    cacheHits = 0
  },
})
new Counter({
  name: 'gatehouse_token_cache_misses_total',
  help: 'Well-formed keys looked up in the database (cache miss, or cache off).',
  registers: [registry],
  collect() {
    this.inc(cacheMisses)
    cacheMisses = 0
  },
})

/** One token cache lookup: answered from the cache, or from the database (counted when scraped). */
export function countTokenCacheLookup(hit: boolean) {
  if (hit) cacheHits++
  else cacheMisses++
}

let passwordHashQueueSource: () => number = () => 0

/** Read at scrape time: nothing is counted per sign-in. */
export const passwordHashQueueDepth = new Gauge({
  name: 'gatehouse_password_hash_queue_depth',
  help: 'Password checks waiting for a hashing slot.',
  registers: [registry],
  collect() {
    this.set(passwordHashQueueSource())
  },
})

/** Where the queue depth is read from (the sign-in service's hashing limit). */
export function measurePasswordHashQueue(source: () => number) {
  passwordHashQueueSource = source
}

export const passwordHashRefusals = new Counter({
  name: 'gatehouse_password_hash_refusals_total',
  help: 'Password checks refused (503): the hashing queue was full, or the process was stopping.',
  registers: [registry],
})

/** Sign-ins (API, DRF endpoint, pages) by outcome; throttled = refused by the login throttle. */
export const signIns = labelled(
  'gatehouse_sign_ins_total',
  'Sign-in attempts by outcome (ok, failed, throttled).',
  'outcome',
  ['ok', 'failed', 'throttled']
)

/** Tokens revoked by this process, by where the revocation came from. */
export const revocations = labelled(
  'gatehouse_token_revocations_total',
  'Tokens revoked, by source (api, web, staff, leaked).',
  'source',
  ['api', 'web', 'staff', 'leaked']
)

const REQUEST_DURATION = 'gatehouse_http_request_duration_seconds'
const REQUEST_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** One series of the request histogram: counts per bucket (not cumulative), sum, count. */
interface DurationSeries {
  labels: { method: string; route: string; status: string }
  buckets: Float64Array
  sum: number
  count: number
}

/** route pattern → method → status → series: lookups without building a key string per request. */
const requestSeries = new Map<string, Map<string, Map<number, DurationSeries>>>()

/**
 * One finished request. `route` is the matched pattern (/api/v1/tokens/:id),
 * never the URL, so the number of series stays bounded. A few additions on
 * plain numbers: prom-client's Histogram#observe hashes the labels and
 * indexes its buckets by their bound as a string on every call (~2.5 µs per
 * request under load, every request pays it).
 */
export function observeRequest(method: string, route: string, status: number, seconds: number) {
  let byMethod = requestSeries.get(route)
  if (!byMethod) requestSeries.set(route, (byMethod = new Map()))
  let byStatus = byMethod.get(method)
  if (!byStatus) byMethod.set(method, (byStatus = new Map()))
  let series = byStatus.get(status)
  if (!series) {
    series = {
      labels: { method, route, status: String(status) },
      buckets: new Float64Array(REQUEST_DURATION_BUCKETS.length),
      sum: 0,
      count: 0,
    }
    byStatus.set(status, series)
  }
  let bucket = 0
  while (bucket < REQUEST_DURATION_BUCKETS.length && seconds > REQUEST_DURATION_BUCKETS[bucket]) {
    bucket++
  }
  // Slower than the last bound: only in +Inf (the count).
  if (bucket < REQUEST_DURATION_BUCKETS.length) series.buckets[bucket]++
  series.sum += seconds
  series.count++
}

/**
 * gatehouse_http_request_duration_seconds for prom-client's registry: what
 * its Histogram#get() returns (cumulative `le` buckets, +Inf, _sum, _count
 * per series, summed across cluster workers), from the series above.
 */
const requestDurationMetric = {
  name: REQUEST_DURATION,
  help: 'HTTP requests by method, route pattern and status, and how long they took.',
  type: 'histogram',
  aggregator: 'sum',
  async get() {
    const values: Array<{ labels: object; value: number; metricName: string }> = []
    for (const byMethod of requestSeries.values()) {
      for (const byStatus of byMethod.values()) {
        for (const { labels, buckets, sum, count } of byStatus.values()) {
          let cumulative = 0
          REQUEST_DURATION_BUCKETS.forEach((le, index) => {
            cumulative += buckets[index]
            values.push({
              labels: { le, ...labels },
              value: cumulative,
              metricName: `${REQUEST_DURATION}_bucket`,
            })
          })
          values.push(
            {
              labels: { le: '+Inf', ...labels },
              value: count,
              metricName: `${REQUEST_DURATION}_bucket`,
            },
            { labels, value: sum, metricName: `${REQUEST_DURATION}_sum` },
            { labels, value: count, metricName: `${REQUEST_DURATION}_count` }
          )
        }
      }
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    }
  },
  reset() {
    requestSeries.clear()
  },
}
registry.registerMetric(requestDurationMetric as unknown as Metric)

let processMetricsStarted = false

/** Process metrics (CPU, memory, event loop), from the first scrape on: not in commands. */
function startProcessMetrics() {
  if (processMetricsStarted) return
  processMetricsStarted = true
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' })
}

/**
 * The text Prometheus scrapes. A worker of scripts/cluster.ts answers with
 * the sum over every worker (the primary aggregates); otherwise this process's own.
 */
export async function scrape() {
  startProcessMetrics()
  if (clusterAggregates())
    return { contentType: registry.contentType, text: await clusterMetrics() }
  return { contentType: registry.contentType, text: await registry.metrics() }
}

// A cluster worker reports to the primary's aggregation from the start.
if (joinClusterMetrics(registry)) startProcessMetrics()
