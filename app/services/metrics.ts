import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { clusterAggregates, clusterMetrics, joinClusterMetrics } from '#services/cluster_metrics'

/**
 * Every metric Gatehouse exports (GET /metrics), in one registry of its own.
 * Call sites get pre-bound children, created once here: an increment on the
 * authenticated path is a plain method call, with no labels object per request.
 * No Adonis imports: this module must load anywhere (commands, the cluster primary).
 */
export const registry = new Registry()

/** A labelled counter and one pre-bound child per value, each exported from the start at 0. */
function labelled<const V extends string>(name: string, help: string, label: string, values: V[]) {
  const counter = new Counter({ name, help, labelNames: [label], registers: [registry] })
  const children = {} as Record<V, { inc(value?: number): void }>
  for (const value of values) {
    counter.inc({ [label]: value }, 0)
    children[value] = counter.labels(value)
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

const tokenCacheHits = new Counter({
  name: 'gatehouse_token_cache_hits_total',
  help: 'Well-formed keys answered from the token cache, without a query.',
  registers: [registry],
})
const tokenCacheMisses = new Counter({
  name: 'gatehouse_token_cache_misses_total',
  help: 'Well-formed keys looked up in the database (cache miss, or cache off).',
  registers: [registry],
})

/** One token cache lookup: answered from the cache, or from the database. */
export function countTokenCacheLookup(hit: boolean) {
  if (hit) tokenCacheHits.inc()
  else tokenCacheMisses.inc()
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

const httpRequestDuration = new Histogram({
  name: 'gatehouse_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status, and how long they took.',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
})

type Observer = ReturnType<typeof httpRequestDuration.labels>
/** route pattern → method → status → child: lookups without building a key string per request. */
const requestObservers = new Map<string, Map<string, Map<number, Observer>>>()

/**
 * One finished request. `route` is the matched pattern (/api/v1/tokens/:id),
 * never the URL, so the number of series stays bounded.
 */
export function observeRequest(method: string, route: string, status: number, seconds: number) {
  let byMethod = requestObservers.get(route)
  if (!byMethod) requestObservers.set(route, (byMethod = new Map()))
  let byStatus = byMethod.get(method)
  if (!byStatus) byMethod.set(method, (byStatus = new Map()))
  let observer = byStatus.get(status)
  if (!observer) {
    observer = httpRequestDuration.labels(method, route, String(status))
    byStatus.set(status, observer)
  }
  observer.observe(seconds)
}

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
