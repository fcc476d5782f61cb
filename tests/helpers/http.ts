import env from '#start/env'

/** Base URL of the HTTP server the functional suite starts. */
export function baseUrl() {
  return `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`
}

/** A raw fetch against the test server, for bodies the API client cannot send as-is. */
export function rawRequest(path: string, init: RequestInit = {}) {
  return fetch(`${baseUrl()}${path}`, init)
}
