import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import env from '#start/env'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Base URL of the HTTP server the browser suite starts. */
export function baseUrl() {
  return `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`
}

/**
 * Debian's Chromium, headless. Never a browser download: when it is not
 * installed the test fails and says how to install it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Install it with ` +
        '`apt-get update && apt-get install -y chromium` to run the browser tests.'
    )
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
