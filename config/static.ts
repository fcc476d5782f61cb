/*
|--------------------------------------------------------------------------
| Static files (STATIC_ROOT)
|--------------------------------------------------------------------------
|
| Serves public/ (the stylesheet of the pages). Dot files are never served.
|
*/

import { defineConfig } from '@adonisjs/static'

const staticServerConfig = defineConfig({
  enabled: true,
  etag: true,
  lastModified: true,
  dotFiles: 'ignore',
})

export default staticServerConfig
