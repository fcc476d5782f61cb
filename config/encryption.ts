/*
|--------------------------------------------------------------------------
| Encryption
|--------------------------------------------------------------------------
|
| AES-256-GCM keyed by APP_KEY. Used for cookies and for the get-or-create
| token secrets (a copy of the database without the APP_KEY decrypts nothing).
|
*/

import env from '#start/env'
import { defineConfig, drivers } from '@adonisjs/core/encryption'

export default defineConfig({
  default: 'gcm',
  list: {
    gcm: drivers.aes256gcm({
      id: 'gcm',
      keys: [env.get('APP_KEY')],
    }),
  },
})
