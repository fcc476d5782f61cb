import env from '#start/env'

/** Base URL of the HTTP server the functional suite starts. */
export function baseUrl() {
  return `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`
}

/** A raw fetch against the test server, for bodies the API client cannot send as-is. */
export function rawRequest(path: string, init: RequestInit = {}) {
  return fetch(`${baseUrl()}${path}`, init)
}

/** Sends a request (Japa API client) and returns its status code. */
export async function statusOf(request: PromiseLike<{ status(): number }>) {
  const response = await request
  return response.status()
}
