/*
| A small node:cluster run for tests/unit/cluster_metrics.spec.ts: the primary
| serves aggregation as scripts/cluster.ts does and forks two workers; each
| counts one authentication; the first asks for the cluster's metrics and
| the primary prints what it got.
*/
import cluster from 'node:cluster'
import { createServer } from 'node:net'
import { serveClusterMetrics } from '#services/cluster_metrics'

if (cluster.isPrimary) {
  serveClusterMetrics()
  let ready = 0
  cluster.on('message', (_worker, message) => {
    if (message?.type === 'test:ready' && ++ready === 2) {
      cluster.workers?.[1]?.send({ type: 'test:scrape' })
    }
    if (message?.type === 'test:result') {
      process.stdout.write(message.text)
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    }
  })
  cluster.fork()
  cluster.fork()
} else {
  const { authentications, observeRequest, scrape } = await import('#services/metrics')
  const { clusterAggregates } = await import('#services/cluster_metrics')
  authentications.ok.inc()
  observeRequest('GET', '/api/v1/me', 200, 0.02)
  const server = createServer().listen(0, '127.0.0.1')
  const waitForPrimary = setInterval(() => {
    if (!clusterAggregates()) return
    clearInterval(waitForPrimary)
    process.send!({ type: 'test:ready' })
  }, 10)
  process.on('message', async (message: { type?: string }) => {
    if (message?.type !== 'test:scrape') return
    const { text } = await scrape()
    process.send!({ type: 'test:result', text })
    server.close()
  })
}
