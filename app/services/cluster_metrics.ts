import cluster, { type Worker } from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'

/**
 * Metrics under node:cluster (npm run start:cluster). Workers share one port,
 * so Prometheus cannot scrape them one by one: the worker that gets a scrape
 * asks the primary, which collects every worker's registry over IPC
 * (prom-client's AggregatorRegistry) and answers with the sums. Workers of
 * another cluster manager never hear from our primary and answer alone.
 */
const PRIMARY_HELLO = 'gatehouse:metrics:primary'
const REQUEST = 'gatehouse:metrics:request'
const RESPONSE = 'gatehouse:metrics:response'
const TIMEOUT_MS = 5000

interface Message {
  type?: string
  id?: number
  text?: string
  error?: string
}

/** Primary side: aggregates for any worker that asks, and tells each worker it does. */
export function serveClusterMetrics() {
  const aggregator = new AggregatorRegistry()
  cluster.on('listening', (worker: Worker) => worker.send({ type: PRIMARY_HELLO }))
  cluster.on('message', (worker: Worker, message: Message) => {
    if (message?.type !== REQUEST) return
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, text }),
      (error: Error) =>
        worker.isConnected() &&
        worker.send({ type: RESPONSE, id: message.id, error: error.message })
    )
  })
}

let aggregated = false
let nextId = 0
const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>()

/** Worker side: answers the primary's collection with `registry`. True in a cluster worker. */
export function joinClusterMetrics(registry: Registry): boolean {
  if (!cluster.isWorker) return false
  AggregatorRegistry.setRegistries([registry])
  // Constructing one adds prom-client's listener that answers the primary's collection.
  new AggregatorRegistry()
  process.on('message', (message: Message) => {
    if (message?.type === PRIMARY_HELLO) aggregated = true
    if (message?.type !== RESPONSE || message.id === undefined) return
    const request = pending.get(message.id)
    pending.delete(message.id)
    if (message.error !== undefined) request?.reject(new Error(message.error))
    else request?.resolve(message.text ?? '')
  })
  return true
}

/** True in a worker whose primary aggregates (scripts/cluster.ts). */
export function clusterAggregates() {
  return aggregated
}

/** Every worker's metrics, summed by the primary. */
export function clusterMetrics(): Promise<string> {
  const id = nextId++
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id)
      reject(new Error('the cluster primary did not answer with the metrics in time'))
    }, TIMEOUT_MS)
    pending.set(id, {
      resolve: (text) => (clearTimeout(timer), resolve(text)),
      reject: (error) => (clearTimeout(timer), reject(error)),
    })
    process.send!({ type: REQUEST, id })
  })
}
