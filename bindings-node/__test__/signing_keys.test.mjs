// @ts-check
// Signing keys through the binding: tokens name their key in a `kid` header. With an HMAC
// algorithm the key is the secret: nothing is published (`jwks()` is `{ keys: [] }`) and
// `signingKeys`/`rotateSigningKey` are `InvalidInputError` on `jwtAlgorithm`. With `EdDSA`
// tokens verify with `jose` from the `jwks()` document alone; a rotated key is published at
// once, signs only after `signingKeyLeadSeconds`, and the key it replaces keeps verifying
// its tokens. The HTTP bodies are the core's (`signingKeyBody`, `signingKeysBody`); the
// sealing secret never shows in `settings`.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'

import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'

import { responseFor, signingKeyBody, signingKeysBody } from '../express.js'
import {
  ConfigError,
  InvalidInputError,
  UnauthorizedError,
  httpSigningKeyBody,
  httpSigningKeysBody,
} from '../index.js'
import { JWT_SECRET, PASSWORD, closeDriver, freshManager, rejection, tenantWithAdmin, thrown, uniqueName } from './helpers.mjs'

after(closeDriver)

const SEAL = 'node-binding-signing-key-seal-0123456789'
const MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const KEY_FIELDS = ['activatesAt', 'algorithm', 'createdAt', 'kid', 'retiresAt', 'verifiesUntil']
const BODY_FIELDS = ['activates_at', 'alg', 'created_at', 'kid', 'retires_at', 'verifies_until']

/**
 * A manager signing with rotating Ed25519 keys, a new key signing one second after it is
 * made.
 *
 * @param {import('node:test').TestContext} t
 */
function eddsaManager(t) {
  return freshManager(t, { jwtAlgorithm: 'EdDSA', signingKeySecret: SEAL, signingKeyLeadSeconds: 1 })
}

/** @param {string} token */
function kidOf(token) {
  const { kid } = decodeProtectedHeader(token)
  assert.ok(typeof kid === 'string' && kid.length > 0, `no kid in ${token}`)
  return kid
}

/**
 * The token's payload, verified by `jose` with nothing but the JWKS document.
 *
 * @param {import('../index.js').Jwks} jwks
 * @param {string} token
 */
async function verifyWithJwks(jwks, token) {
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] })
  assert.equal(protectedHeader.alg, 'EdDSA')
  return payload
}

/**
 * The token with its payload changed and its signature kept.
 *
 * @param {string} token
 * @param {Record<string, unknown>} changes
 */
function tampered(token, changes) {
  const [header, payload, signature] = token.split('.')
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...changes }
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.')
}

/** @param {unknown} err */
function assertUnauthorized(err) {
  assert.ok(err instanceof UnauthorizedError, `not an UnauthorizedError: ${String(err)}`)
  assert.equal(err.code, 'UNAUTHORIZED')
}

/** @param {import('../index.js').Jwks} jwks */
function kids(jwks) {
  return jwks.keys.map((k) => k.kid)
}

test('with an HMAC algorithm nothing is published, and there are no keys to list or rotate', async (t) => {
  const { manager, db } = await freshManager(t)
  assert.deepEqual(await manager.jwks(), { keys: [] })

  for (const call of [() => manager.signingKeys(), () => manager.rotateSigningKey()]) {
    const err = await rejection(call())
    assert.ok(err instanceof InvalidInputError, String(err))
    assert.equal(err.code, 'INVALID_INPUT')
    assert.equal(err.field, 'jwtAlgorithm')
    assert.ok(err.stack?.includes('signing_keys.test.mjs'), 'the caller\'s stack')
    // Answered as `GET /admin/keys` and `POST /admin/keys/rotate` answer it: 400 on
    // `jwt_algorithm`.
    const answer = responseFor(err)
    assert.equal(answer.status, 400)
    assert.ok(JSON.stringify(answer.body).includes('jwt_algorithm'), JSON.stringify(answer.body))
  }
  assert.equal(await db.collection('signing_keys').countDocuments(), 0)
  assert.deepEqual(await manager.jwks(), { keys: [] })
})

test('HMAC tokens name their key, the secret, in a kid header', async (t) => {
  const { manager } = await freshManager(t)
  const { email, token } = await tenantWithAdmin(manager)
  const header = decodeProtectedHeader(token.accessToken)
  assert.equal(header.alg, 'HS256')
  const kid = kidOf(token.accessToken)
  assert.match(kid, /^hs-[0-9a-f]{16}$/)
  assert.ok(!kid.includes(JWT_SECRET))
  // One key: every token names it, a session's too.
  const session = await manager.loginSession(email, PASSWORD)
  assert.equal(kidOf(session.access.accessToken), kid)
  assert.equal(kidOf((await manager.authenticate(email, PASSWORD)).accessToken), kid)
  await manager.verifyToken(token.accessToken)
})

test('EdDSA tokens verify with jose from the jwks() document alone; a tampered one fails everywhere', async (t) => {
  const { manager } = await eddsaManager(t)
  const { tenant, email, token } = await tenantWithAdmin(manager, uniqueName('Edge'))
  const session = await manager.loginSession(email, PASSWORD)

  const jwks = await manager.jwks()
  assert.deepEqual(Object.keys(jwks), ['keys'])
  assert.equal(jwks.keys.length, 1)
  const [key] = jwks.keys
  assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'])
  assert.deepEqual([key.kty, key.crv, key.alg, key.use], ['OKP', 'Ed25519', 'EdDSA', 'sig'])
  assert.equal(Buffer.from(key.x, 'base64url').length, 32)

  for (const access of [token.accessToken, session.access.accessToken]) {
    assert.equal(decodeProtectedHeader(access).alg, 'EdDSA')
    assert.equal(kidOf(access), key.kid)
    const payload = await verifyWithJwks(jwks, access)
    assert.equal(payload.sub, tenant.adminId)
    assert.equal(payload.org, tenant.id)
    assert.equal(payload.org_name, tenant.name)
    const claims = await manager.verifyToken(access)
    assert.equal(claims.tenantName, tenant.name)
  }

  // The payload changed, the signature kept: refused by jose and by the manager.
  const exp = Number(JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url').toString()).exp)
  for (const forged of [tampered(token.accessToken, { org_name: 'Victim Co' }), tampered(token.accessToken, { exp: exp + 3600 })]) {
    await assert.rejects(verifyWithJwks(jwks, forged), joseErrors.JWSSignatureVerificationFailed)
    assertUnauthorized(await rejection(manager.verifyToken(forged)))
    assertUnauthorized(thrown(() => manager.decodeToken(forged)))
  }
  // The signature changed.
  const [head, payload, signature] = token.accessToken.split('.')
  const raw = Buffer.from(signature, 'base64url')
  raw[raw.length - 1] ^= 1
  const flipped = [head, payload, raw.toString('base64url')].join('.')
  await assert.rejects(verifyWithJwks(jwks, flipped), joseErrors.JWSSignatureVerificationFailed)
  assertUnauthorized(await rejection(manager.verifyToken(flipped)))
  // The genuine token still works.
  await manager.verifyToken(token.accessToken)

  // The first key signs from when it is made; it is the newest, so it neither retires nor
  // expires yet.
  const [listed] = await manager.signingKeys()
  assert.equal(listed.kid, key.kid)
  assert.equal(listed.algorithm, 'EdDSA')
  assert.equal(listed.retiresAt, null)
  assert.equal(listed.verifiesUntil, null)
  assert.ok(listed.activatesAt.getTime() <= Date.now())
})

test('a rotated key is published at once, signs after the lead, and the old key keeps verifying', async (t) => {
  const { manager } = await eddsaManager(t)
  const { email, token: before } = await tenantWithAdmin(manager, uniqueName('Rotate'))
  const old = kidOf(before.accessToken)
  assert.deepEqual(kids(await manager.jwks()), [old])

  const rotated = await manager.rotateSigningKey()
  assert.deepEqual(Object.keys(rotated).sort(), KEY_FIELDS)
  assert.notEqual(rotated.kid, old)
  assert.equal(rotated.algorithm, 'EdDSA')
  assert.ok(rotated.createdAt instanceof Date && rotated.activatesAt instanceof Date)
  assert.equal(rotated.retiresAt, null)
  assert.equal(rotated.verifiesUntil, null)
  const lead = rotated.activatesAt.getTime() - rotated.createdAt.getTime()
  assert.ok(lead >= 900 && lead <= 1100, `lead ${lead} ms`)

  // Published at once, beside the key that still signs.
  assert.deepEqual(new Set(kids(await manager.jwks())), new Set([old, rotated.kid]))
  // Tokens issued within the lead are the old key's.
  const during = await manager.authenticate(email, PASSWORD)
  const duringSession = await manager.loginSession(email, PASSWORD)
  assert.ok(Date.now() < rotated.activatesAt.getTime(), 'the lead passed before the logins answered')
  assert.equal(kidOf(during.accessToken), old)
  assert.equal(kidOf(duringSession.access.accessToken), old)

  await sleep(Math.max(0, rotated.activatesAt.getTime() - Date.now()) + 300)
  const later = await manager.authenticate(email, PASSWORD)
  const laterSession = await manager.loginSession(email, PASSWORD)
  assert.equal(kidOf(later.accessToken), rotated.kid)
  assert.equal(kidOf(laterSession.access.accessToken), rotated.kid)

  // The overlap: both keys published, every token verifying, by the manager and by jose
  // from the JWKS alone.
  const jwks = await manager.jwks()
  assert.deepEqual(new Set(kids(jwks)), new Set([old, rotated.kid]))
  for (const access of [before.accessToken, during.accessToken, duringSession.access.accessToken, later.accessToken, laterSession.access.accessToken]) {
    await verifyWithJwks(jwks, access)
    await manager.verifyToken(access)
  }
  // The old key's token is not the new key's: a JWKS of the new key alone refuses it.
  const newOnly = { keys: jwks.keys.filter((k) => k.kid === rotated.kid) }
  await assert.rejects(verifyWithJwks(newOnly, before.accessToken), joseErrors.JWKSNoMatchingKey)

  // The timeline, oldest first: the old key retires when the new one activates and
  // verifies its tokens beyond.
  const keys = await manager.signingKeys()
  assert.deepEqual(
    keys.map((k) => k.kid),
    [old, rotated.kid],
  )
  const [first, second] = keys
  for (const k of keys) assert.deepEqual(Object.keys(k).sort(), KEY_FIELDS)
  assert.ok(first.retiresAt instanceof Date)
  assert.equal(first.retiresAt.getTime(), rotated.activatesAt.getTime())
  assert.ok(first.verifiesUntil instanceof Date && first.verifiesUntil.getTime() > first.retiresAt.getTime())
  assert.equal(second.retiresAt, null)
  assert.equal(second.verifiesUntil, null)
  assert.deepEqual(second.createdAt, rotated.createdAt)
  assert.deepEqual(second.activatesAt, rotated.activatesAt)

  // As `POST /admin/keys/rotate` and `GET /admin/keys` answer them.
  const body = signingKeyBody(rotated)
  assert.deepEqual(body, httpSigningKeyBody(rotated))
  assert.deepEqual(Object.keys(body).sort(), BODY_FIELDS)
  assert.deepEqual(body, {
    kid: rotated.kid,
    alg: 'EdDSA',
    created_at: rotated.createdAt.toISOString(),
    activates_at: rotated.activatesAt.toISOString(),
    retires_at: null,
    verifies_until: null,
  })
  const list = signingKeysBody(keys)
  assert.deepEqual(list, httpSigningKeysBody(keys))
  assert.deepEqual(Object.keys(list), ['keys'])
  assert.deepEqual(
    list.keys.map((k) => k.kid),
    [old, rotated.kid],
  )
  assert.equal(list.keys[0].retires_at, rotated.activatesAt.toISOString())
  assert.match(/** @type {string} */ (list.keys[0].verifies_until), MILLIS)
  assert.equal(list.keys[0].verifies_until, first.verifiesUntil.toISOString())
  assert.deepEqual(list.keys[1], { ...body })

  // Only keys this library returned have a body.
  const notKey = thrown(() => signingKeyBody({ ...rotated }))
  assert.ok(notKey instanceof InvalidInputError, String(notKey))
  assert.equal(notKey.field, 'key')
  const notListed = thrown(() => signingKeysBody([...keys]))
  assert.ok(notListed instanceof InvalidInputError, String(notListed))
  assert.equal(notListed.field, 'keys')
})

test('each rotation adds a key; another manager of the deployment sees them', async (t) => {
  const { manager } = await eddsaManager(t)
  const first = kids(await manager.jwks())
  assert.equal(first.length, 1)
  const made = [(await manager.rotateSigningKey()).kid, (await manager.rotateSigningKey()).kid]
  assert.equal(new Set(made).size, 2)
  assert.deepEqual(
    (await manager.signingKeys()).map((k) => k.kid),
    [...first, ...made],
  )
  assert.deepEqual(new Set(kids(await manager.jwks())), new Set([...first, ...made]))

  // A second process of the same deployment (same database, same seal) lists the same.
  const other = await freshManager(t, {
    masterDb: manager.masterDb,
    jwtAlgorithm: 'EdDSA',
    signingKeySecret: SEAL,
    signingKeyLeadSeconds: 1,
  })
  assert.deepEqual(
    (await other.manager.signingKeys()).map((k) => k.kid),
    [...first, ...made],
  )
})

test('settings show the signing-key options but never the sealing secret', async (t) => {
  const { manager } = await eddsaManager(t)
  const { settings } = manager
  assert.equal(settings.jwtAlgorithm, 'EdDSA')
  assert.equal(settings.signingKeyLeadSeconds, 1)
  assert.equal(typeof settings.signingKeyRotationSeconds, 'number')
  assert.ok(!('signingKeySecret' in settings), Object.keys(settings).join(', '))
  assert.ok(!('jwtSecret' in settings))
  for (const shown of [JSON.stringify(settings), inspect(settings, { depth: Infinity }), inspect(manager)]) {
    assert.ok(!shown.includes(SEAL), shown)
  }
  await tenantWithAdmin(manager)
  assert.ok(!JSON.stringify(await manager.jwks()).includes(SEAL))

  // EdDSA needs the sealing secret, of at least 32 bytes.
  for (const options of [{ jwtAlgorithm: 'EdDSA' }, { jwtAlgorithm: 'EdDSA', signingKeySecret: 'too-short' }]) {
    const err = await rejection(freshManager(t, options))
    assert.ok(err instanceof ConfigError, `${JSON.stringify(options)}: ${String(err)}`)
    assert.ok(!err.message.includes('too-short'), err.message)
  }
})
