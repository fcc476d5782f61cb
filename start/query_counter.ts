/*
|--------------------------------------------------------------------------
| SQL query counter (benchmark only)
|--------------------------------------------------------------------------
|
| Loaded by start/routes.ts only when BENCH_COUNT_QUERIES=1, which also turns
| on Lucid's query events (config/database.ts). `npm run bench` reads
| GET /__bench/queries to count, not assume, the queries and writes behind
| each authenticated request (Lucid's queries plus the token lookups that
| run on a prepared SQLite statement outside Lucid). Reading resets them.
|
*/

import router from '@adonisjs/core/services/router'
import emitter from '@adonisjs/core/services/emitter'
import tokenAuthenticator from '#services/token_authenticator'

const WRITE = /^\s*(insert|update|delete|replace|upsert|create|alter|drop)\b/i
const counts = { queries: 0, writes: 0 }
let prepared = tokenAuthenticator.preparedLookups

emitter.on('db:query', (query) => {
  counts.queries++
  if (WRITE.test(query.sql)) counts.writes++
})

router
  .get('/__bench/queries', () => {
    const snapshot = { ...counts }
    snapshot.queries += tokenAuthenticator.preparedLookups - prepared
    prepared = tokenAuthenticator.preparedLookups
    counts.queries = 0
    counts.writes = 0
    return snapshot
  })
  .as('bench.queries')
