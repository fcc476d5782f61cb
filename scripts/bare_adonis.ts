/*
|--------------------------------------------------------------------------
| A bare AdonisJS v7 HTTP server (used by `npm run bench`)
|--------------------------------------------------------------------------
|
| The framework's own HTTP server and router (same @adonisjs/core as the
| app), one route answering what Gatehouse's /health/live answers, and no
| middleware: what the framework costs before any app adds to it.
| Usage: node --import=@poppinss/ts-exec scripts/bare_adonis.ts <port>
|
*/

import { createServer } from 'node:http'
import { ServerFactory } from '@adonisjs/core/factories/http'
import { AppFactory } from '@adonisjs/core/factories/app'

const app = new AppFactory().create(new URL('../', import.meta.url))
await app.init()
const server = new ServerFactory().merge({ app }).create()
server.getRouter().get('/health/live', () => ({ status: 'ok' }))
await server.boot()
createServer((req, res) => server.handle(req, res)).listen(Number(process.argv[2]), '127.0.0.1')
