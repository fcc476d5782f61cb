import { test } from '@japa/runner'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { GracefulShutdown } from '#services/graceful_shutdown'

/** GET on a keep-alive agent: the answer, and the socket it came on. */
function get(port: number, path: string, agent: http.Agent) {
  return new Promise<{ status: number; connection?: string; body: string; socket: Socket }>(
    (resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (body += chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            connection: res.headers.connection,
            body,
            socket: req.socket!,
          })
        )
      })
      req.on('error', reject)
    }
  )
}

test.group('GracefulShutdown', (group) => {
  let shutdown: GracefulShutdown
  let server: http.Server
  let port: number
  let release: () => void
  const agents: http.Agent[] = []

  group.each.setup(async () => {
    shutdown = new GracefulShutdown()
    const gate = new Promise<void>((resolve) => (release = resolve))
    server = shutdown.serve(http.createServer(), async (req, res) => {
      if (req.url === '/slow') await gate
      res.end(req.url)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
    return () => {
      release()
      server.close()
      server.closeAllConnections()
      for (const one of agents.splice(0)) one.destroy()
    }
  })

  function keepAliveAgent() {
    const one = new http.Agent({ keepAlive: true })
    agents.push(one)
    return one
  }

  test('idle keep-alive connections close at once; requests in progress finish with Connection: close', async ({
    assert,
  }) => {
    const idle = await get(port, '/fast', keepAliveAgent())
    assert.equal(idle.connection, 'keep-alive')
    const idleClosed = new Promise((resolve) => idle.socket.once('close', resolve))

    const slow = get(port, '/slow', keepAliveAgent())
    while (shutdown.inFlight < 1) await new Promise((resolve) => setImmediate(resolve))

    shutdown.begin()
    assert.isTrue(shutdown.draining)
    assert.isTrue(shutdown.signal.aborted)
    await idleClosed

    let settled = false
    const allDone = shutdown.settled().then(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    assert.isFalse(settled)
    assert.equal(shutdown.inFlight, 1)

    release()
    const answer = await slow
    assert.equal(answer.body, '/slow')
    assert.equal(answer.connection, 'close')
    await allDone
    assert.equal(shutdown.inFlight, 0)
  })

  test('new connections are refused once the drain begins', async ({ assert }) => {
    shutdown.begin()
    await assert.rejects(() => get(port, '/fast', keepAliveAgent()), /ECONNREFUSED/)
  })

  test('settled() resolves at once when nothing is in progress', async ({ assert }) => {
    await get(port, '/fast', keepAliveAgent())
    shutdown.begin()
    await shutdown.settled()
    assert.equal(shutdown.inFlight, 0)
  })
})
