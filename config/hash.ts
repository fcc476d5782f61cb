/*
|--------------------------------------------------------------------------
| Password hashing
|--------------------------------------------------------------------------
|
| scrypt hashes every password Gatehouse sets. The django driver only
| verifies passwords imported from Django (`node ace drf:import`): they are
| re-hashed with scrypt on the user's first successful sign-in.
|
*/

import app from '@adonisjs/core/services/app'
import { defineConfig, drivers } from '@adonisjs/core/hash'
import { DjangoHasher } from '#hashing/django_hasher'

const hashConfig = defineConfig({
  default: 'scrypt',
  list: {
    scrypt: drivers.scrypt({
      // Tests hash hundreds of passwords: a cheap cost there, same algorithm and format.
      cost: app.inTest ? 1024 : 16384,
      blockSize: 8,
      parallelization: 1,
      maxMemory: 33554432,
    }),
    django: () => new DjangoHasher(),
  },
})

export default hashConfig

declare module '@adonisjs/core/types' {
  export interface HashersList extends InferHashers<typeof hashConfig> {}
}
