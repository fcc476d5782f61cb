import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import env from '#start/env'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Base URL of the HTTP server the browser suite starts. */
export function baseUrl() {
  return `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`
}

let shared: Promise<Browser> | undefined

/**
 * Debian's Chromium, headless, one for the whole browser suite (a launch costs
 * about a second): each test opens its own context (cookies, storage), closed
 * by closeContexts; tests/bootstrap.ts closes the browser after the suite.
 * Never a browser download: when it is not installed the test fails and says
 * how to install it.
 */
export function sharedChromium(): Promise<Browser> {
  shared ??= launchChromium()
  shared.catch(() => (shared = undefined))
  return shared
}

/** Closes what the group's tests opened in the shared browser. */
export async function closeContexts(browser: Browser | undefined) {
  for (const context of browser?.contexts() ?? []) await context.close()
}

/** After the browser suite (tests/bootstrap.ts). */
export async function closeSharedChromium() {
  const browser = await shared?.catch(() => undefined)
  shared = undefined
  await browser?.close()
}

async function launchChromium(): Promise<Browser> {
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
