import net from 'node:net'

/**
 * A TCP proxy the test starts and stops, standing in for a database server
 * that goes away ("down": connections refused), hangs ("blackhole":
 * connections accepted, nothing answered) and comes back ("up").
 */
export class TcpProxy {
  #server?: net.Server
  #sockets = new Set<net.Socket>()
  port = 0

  constructor(private target: { host: string; port: number }) {}

  /** Forwards (or, with blackhole, swallows) connections on this.port. */
  async start(mode: 'forward' | 'blackhole' = 'forward') {
    await this.stop()
    const server = net.createServer((client) => {
      this.#track(client)
      if (mode === 'blackhole') return
      const upstream = net.connect(this.target)
      this.#track(upstream)
      client.pipe(upstream).pipe(client)
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as net.AddressInfo).port
    this.#server = server
  }

  /** Refuses new connections and cuts the open ones. */
  async stop() {
    const server = this.#server
    this.#server = undefined
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    if (server) await new Promise((resolve) => server.close(resolve))
  }

  #track(socket: net.Socket) {
    this.#sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => this.#sockets.delete(socket))
  }
}
