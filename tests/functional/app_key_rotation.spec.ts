import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { AES256GCM } from '@adonisjs/core/encryption/drivers/aes_256_gcm'
import AccessToken from '#models/access_token'
import tokenService, { ENCRYPTION_PURPOSE, KEY_ID_PURPOSE } from '#services/token_service'
import appKeySweep from '#services/app_key_sweep_service'
import { AppProcess } from '#tests/helpers/app_process'
import { holdEarlyProcesses, releaseEarlyProcesses } from '#tests/helpers/early_processes'
import { truncateEachTest } from '#tests/helpers/database'
import { makeUser } from '#tests/helpers/factories'
import { rawRequest } from '#tests/helpers/http'
import type User from '#models/user'
import { captureLogs } from '#tests/helpers/logs'

/** The APP_KEY of an earlier deployment: what sealed the tokens before a rotation. */
const previousKey = new AES256GCM({ id: 'gcm', key: randomBytes(32).toString('base64url') })

/** Seals a token's secret as the previous APP_KEY did (what a restart with a new key finds). */
async function sealWithPreviousKey(token: AccessToken, value: string, withKeyId = true) {
  await db
    .from(AccessToken.table)
    .where('id', token.id)
    .update({
      encrypted_secret: previousKey.encrypt(value, { purpose: ENCRYPTION_PURPOSE }),
      secret_key_id: withKeyId ? previousKey.blindIndex('app-key', KEY_ID_PURPOSE) : null,
    })
}

/** Status and body of GET /api/v1/me with a key. */
async function me(key: string) {
  const response = await rawRequest(urlFor('api.v1.me'), {
    headers: { authorization: `Token ${key}` },
  })
  return { status: response.status, body: await response.json() }
}

async function statusWith(key: string) {
  const { status } = await me(key)
  return status
}

async function liveDefaults(user: User) {
  const tokens = await tokenService.list(user)
  return tokens.filter((token) => token.name === 'default' && !token.isExpired)
}

test.group('APP_KEY rotation: get-or-create keys sealed with another key', (group) => {
  // Servers booting in the background sweep too: not while these tests seal tokens.
  group.setup(async () => {
    await holdEarlyProcesses()
    return releaseEarlyProcesses
  })
  truncateEachTest(group)

  test('the boot sweep expires them (one log line), keeps the others, and the next get-or-create issues a fresh key', async ({
    assert,
  }) => {
    const alice = await makeUser()
    const bob = await makeUser()
    const carol = await makeUser()
    const dave = await makeUser()
    const stale = await tokenService.getOrCreate(alice)
    await sealWithPreviousKey(stale.token, stale.value)
    // Sealed before key ids existed (or by the DRF importer): decrypted once, at the sweep.
    const legacyStale = await tokenService.getOrCreate(carol)
    await sealWithPreviousKey(legacyStale.token, legacyStale.value, false)
    const legacyCurrent = await tokenService.getOrCreate(dave)
    await db
      .from(AccessToken.table)
      .where('id', legacyCurrent.token.id)
      .update({ secret_key_id: null })
    const current = await tokenService.getOrCreate(bob)

    // Before the sweep the stale key still authenticates: that is the hole.
    assert.equal(await statusWith(stale.value), 200)

    const capture = captureLogs()
    let result
    try {
      result = await appKeySweep.run()
    } finally {
      capture.restore()
    }
    assert.deepEqual(result, { expired: 2, adopted: 1 })
    assert.lengthOf(capture.lines, 1)
    assert.include(
      JSON.parse(capture.lines[0]).msg,
      'APP_KEY changed: 2 get-or-create token(s) sealed with another key were expired'
    )
    for (const secret of [stale.value, legacyStale.value, current.value]) {
      assert.notInclude(capture.lines[0], secret)
    }

    for (const key of [stale.value, legacyStale.value]) {
      assert.deepEqual(await me(key), { status: 401, body: { detail: 'Token has expired.' } })
    }
    assert.equal(await statusWith(current.value), 200)
    assert.equal(await statusWith(legacyCurrent.value), 200)
    const adopted = await AccessToken.findOrFail(legacyCurrent.token.id)
    assert.isNotNull(adopted.secretKeyId)
    assert.isTrue(adopted.isRetrievable)

    // A second sweep has nothing to do.
    assert.deepEqual(await appKeySweep.run(), { expired: 0, adopted: 0 })

    const fresh = await tokenService.getOrCreate(alice)
    assert.isTrue(fresh.created)
    assert.notEqual(fresh.value, stale.value)
    assert.equal(await statusWith(fresh.value), 200)
    assert.lengthOf(await liveDefaults(alice), 1)
    const bobAgain = await tokenService.getOrCreate(bob)
    assert.equal(bobAgain.value, current.value)
  })

  test('without a sweep, get-or-create expires the undecryptable token (one log line) and issues one fresh key', async ({
    assert,
  }) => {
    const alice = await makeUser()
    const stale = await tokenService.getOrCreate(alice)
    await sealWithPreviousKey(stale.token, stale.value)

    const capture = captureLogs()
    let fresh
    try {
      fresh = await tokenService.getOrCreate(alice)
    } finally {
      capture.restore()
    }
    assert.isTrue(fresh.created)
    assert.notEqual(fresh.value, stale.value)
    assert.lengthOf(capture.lines, 1)
    assert.include(
      JSON.parse(capture.lines[0]).msg,
      'could not be decrypted with the current APP_KEY'
    )
    assert.notInclude(capture.lines[0], stale.value)

    assert.equal(await statusWith(stale.value), 401)
    assert.equal(await statusWith(fresh.value), 200)
    assert.lengthOf(await liveDefaults(alice), 1)
  })

  test('restart with another APP_KEY: the server sweeps at boot and the old default key is refused', async ({
    assert,
  }) => {
    const alice = await makeUser()
    const old = await tokenService.getOrCreate(alice)
    // The test environment's database, with an APP_KEY of its own.
    const server = await AppProcess.start({
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', DB_AUTO_MIGRATE: 'false' },
    })
    try {
      const response = await fetch(`${server.url}/api/v1/me`, {
        headers: { authorization: `Token ${old.value}` },
      })
      assert.equal(response.status, 401)
      assert.include(
        server.output,
        'APP_KEY changed: 1 get-or-create token(s) sealed with another key'
      )
      assert.notInclude(server.output, old.value)
    } finally {
      await server.stop()
    }
    assert.lengthOf(await liveDefaults(alice), 0)
  })
})
