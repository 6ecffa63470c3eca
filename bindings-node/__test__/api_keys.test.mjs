// @ts-check
// Tenant API keys through the binding: `createApiKey` shows the key once (the database
// holds its digest only, `console.log` its prefix only), `apiKeys` lists the keys without
// it; `verifyApiKey` and `verifyCredential` give claims carrying `apiKeyId` and `scopes`
// (`hasScope`), which reach the tenant's data and never manage the tenant
// (`ForbiddenError`); revoked, expired, forged and malformed keys are `UnauthorizedError`,
// a suspended tenant's `TenantSuspendedError`; bad input is `InvalidInputError` naming its
// field. The HTTP bodies are the core's (`createdApiKeyBody`, `apiKeysBody`, `claimsBody`,
// the request's `newApiKey`), and the Express glue's `requireCredential` and
// `requireScope` admit keys and tokens as a route needs.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'

import express from 'express'

import {
  RequestValidationError,
  apiKeyBody,
  apiKeysBody,
  claimsBody,
  createdApiKeyBody,
  errorHandler,
  newApiKey,
  newApiKeyBody,
  notFound,
  requireClaims,
  requireCredential,
  requireScope,
  requireToken,
  responseFor,
} from '../express.js'
import {
  Claims,
  ForbiddenError,
  InvalidInputError,
  TenantSuspendedError,
  UnauthorizedError,
  httpApiKeyBody,
  httpApiKeysBody,
  httpClaimsBody,
  httpCreatedApiKeyBody,
  httpNewApiKey,
} from '../index.js'
import { closeDriver, driver, freshManager, rejection, tenantWithAdmin, thrown, uniqueName } from './helpers.mjs'

after(closeDriver)

const HEX_ID = /^[0-9a-f]{24}$/
const MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const KEY = /^tnk_[0-9a-f]{24}_\S+$/
const INFO_FIELDS = ['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'scopes']
const BODY_FIELDS = ['created_at', 'created_by', 'expires_at', 'id', 'last_used_at', 'name', 'prefix', 'scopes']

/** @param {unknown} err */
function assertUnauthorized(err) {
  assert.ok(err instanceof UnauthorizedError, `not an UnauthorizedError: ${String(err)}`)
  assert.equal(err.code, 'UNAUTHORIZED')
}

/** @param {unknown} err */
function assertForbidden(err) {
  assert.ok(err instanceof ForbiddenError, `not a ForbiddenError: ${String(err)}`)
  assert.equal(err.code, 'FORBIDDEN')
}

/**
 * The secret part of a key (after its prefix).
 *
 * @param {import('../index.js').ApiKey} key
 */
function secretOf(key) {
  assert.ok(key.key.startsWith(`${key.info.prefix}_`), key.key)
  return key.key.slice(key.info.prefix.length + 1)
}

/**
 * Poll `verifyApiKey(key)` until it settles as `accepted` says (a suspension reaches the
 * hot path's cache through the change stream); the claims, or the last error.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {string} key
 * @param {boolean} accepted
 */
async function until(manager, key, accepted) {
  const started = Date.now()
  for (;;) {
    const outcome = await manager.verifyApiKey(key).then(
      (claims) => ({ claims }),
      (/** @type {unknown} */ error) => ({ error }),
    )
    if ('claims' in outcome === accepted) return 'claims' in outcome ? outcome.claims : outcome.error
    assert.ok(Date.now() - started < 5000, `the key is still ${accepted ? 'refused' : 'accepted'} after 5 s`)
    await sleep(20)
  }
}

test('a key is shown once: stored as a digest, listed and inspected without its secret', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, claims } = await tenantWithAdmin(manager)
  const made = await manager.createApiKey(claims, { name: '  billing sync ', scopes: ['orders:write', 'orders:read', 'orders:read'] })

  assert.deepEqual(Object.keys(made).sort(), ['info', 'key'])
  assert.match(made.key, KEY)
  const { info } = made
  assert.deepEqual(Object.keys(info).sort(), INFO_FIELDS)
  assert.match(info.id, HEX_ID)
  assert.equal(info.prefix, `tnk_${info.id}`)
  assert.equal(info.name, 'billing sync', 'trimmed')
  assert.deepEqual(info.scopes, ['orders:read', 'orders:write'], 'sorted, without repeats')
  assert.equal(info.createdBy, tenant.adminId)
  assert.ok(info.createdAt instanceof Date && Math.abs(info.createdAt.getTime() - Date.now()) < 60_000)
  assert.equal(info.expiresAt, null)
  assert.equal(info.lastUsedAt, null)

  // The secret is in the answer only: not in the database, not when inspected.
  const secret = secretOf(made)
  assert.ok(secret.length >= 32, secret)
  const stored = await db.collection('tenant_api_keys').find().toArray()
  assert.equal(stored.length, 1)
  assert.ok(!JSON.stringify(stored).includes(secret), 'the database holds the secret')
  assert.equal(String(stored[0]._id), info.id)
  const shown = inspect(made, { depth: 5 })
  assert.match(shown, /^ApiKey \{/)
  assert.ok(shown.includes(`${info.prefix}_***`), shown)
  assert.ok(shown.includes('billing sync'), shown)
  assert.ok(!shown.includes(secret), shown)

  // Listed without it, oldest first.
  const second = await manager.createApiKey(claims, { name: 'second', scopes: ['x'] })
  const listed = await manager.apiKeys(claims)
  assert.deepEqual(listed, [info, second.info])
  assert.ok(!JSON.stringify(listed).includes(secret))

  // As `POST /admin/api-keys` and `GET /admin/api-keys` answer them: the core's bodies.
  const created = createdApiKeyBody(made)
  assert.deepEqual(Object.keys(created).sort(), [...BODY_FIELDS, 'key'].sort())
  assert.equal(created.key, made.key)
  assert.equal(created.id, info.id)
  assert.equal(created.prefix, info.prefix)
  assert.equal(created.created_by, tenant.adminId)
  assert.equal(created.created_at, info.createdAt.toISOString())
  assert.match(created.created_at, MILLIS)
  assert.equal(created.expires_at, null)
  assert.equal(created.last_used_at, null)
  assert.deepEqual(httpCreatedApiKeyBody(made), created)
  const { key: _shownOnce, ...listedBody } = created
  assert.deepEqual(apiKeyBody(made.info), listedBody)
  assert.deepEqual(apiKeysBody(listed), { api_keys: [listedBody, apiKeyBody(second.info)] })
  assert.deepEqual(httpApiKeysBody(listed), apiKeysBody(listed))
  assert.deepEqual(httpApiKeyBody(listed[1]), apiKeyBody(second.info))
  assert.ok(!JSON.stringify(apiKeysBody(listed)).includes(secret))

  // Only objects this library returned have a body, each as what it was returned as.
  for (const [call, value, field] of /** @type {const} */ ([
    [createdApiKeyBody, { ...made }, 'key'],
    [createdApiKeyBody, made.info, 'key'],
    [apiKeyBody, { ...made.info }, 'key'],
    [apiKeyBody, made, 'key'],
    [apiKeysBody, [...listed], 'keys'],
    [apiKeysBody, listed[0], 'keys'],
  ])) {
    const err = thrown(() => /** @type {(v: any) => unknown} */ (call)(value))
    assert.ok(err instanceof InvalidInputError, String(err))
    assert.equal(err.field, field)
  }
})

test('a key verifies into claims with its id and scopes; verifyCredential takes keys and tokens', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, token, claims: admin } = await tenantWithAdmin(manager)
  const made = await manager.createApiKey(admin, { name: 'reader', scopes: ['orders:read', 'reports'] })

  const claims = await manager.verifyApiKey(made.key)
  assert.ok(claims instanceof Claims)
  assert.equal(claims.apiKeyId, made.info.id)
  assert.deepEqual(claims.scopes, ['orders:read', 'reports'])
  assert.equal(claims.tenantId, tenant.id)
  assert.equal(claims.tenantName, tenant.name)
  assert.equal(claims.adminId, tenant.adminId, 'the admin who made it')
  assert.equal(claims.collectionName, tenant.collectionName)
  assert.ok(claims.hasScope('orders:read') && claims.hasScope('reports'))
  assert.ok(!claims.hasScope('orders:write') && !claims.hasScope('orders') && !claims.hasScope(''))
  // A key that never expires: "never" is far away.
  assert.ok(claims.expiresAt.getUTCFullYear() >= 9999, String(claims.expiresAt))
  const json = claims.toJSON()
  assert.equal(json.apiKeyId, made.info.id)
  assert.deepEqual(json.scopes, ['orders:read', 'reports'])
  assert.ok(inspect(claims).includes(made.info.id))
  assert.ok(!inspect(claims).includes(secretOf(made)))

  // An admin's token has no key and every scope.
  assert.equal(admin.apiKeyId, null)
  assert.equal(admin.scopes, null)
  assert.ok(admin.hasScope('orders:read') && admin.hasScope('anything:at-all'))

  // One entry point for both kinds.
  const viaCredential = await manager.verifyCredential(made.key)
  assert.deepEqual(viaCredential.toJSON(), claims.toJSON())
  const tokenClaims = await manager.verifyCredential(token.accessToken)
  assert.equal(tokenClaims.apiKeyId, null)
  assert.deepEqual(tokenClaims.toJSON(), admin.toJSON())
  // verifyToken takes tokens only.
  assertUnauthorized(await rejection(manager.verifyToken(made.key)))

  // Its last use is recorded.
  const [listed] = await manager.apiKeys(admin)
  assert.ok(listed.lastUsedAt instanceof Date && Date.now() - listed.lastUsedAt.getTime() < 60_000, String(listed.lastUsedAt))
  assert.equal(apiKeyBody(listed).last_used_at, listed.lastUsedAt.toISOString())

  // As `GET /auth/whoami` answers them.
  assert.deepEqual(claimsBody(claims), {
    admin_id: tenant.adminId,
    organization_id: tenant.id,
    organization_name: tenant.name,
    api_key_id: made.info.id,
    scopes: ['orders:read', 'reports'],
    role: null,
    expires_at: claims.expiresAt.toISOString(),
  })
  assert.deepEqual(httpClaimsBody(admin), {
    admin_id: tenant.adminId,
    organization_id: tenant.id,
    organization_name: tenant.name,
    api_key_id: null,
    scopes: null,
    role: 'owner',
    expires_at: admin.expiresAt.toISOString(),
  })
  const err = thrown(() => claimsBody(/** @type {any} */ ({ ...claims.toJSON() })))
  assert.ok(err instanceof TypeError, String(err))
})

test("a key reaches its tenant's data and never manages the tenant", async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, email, claims: admin } = await tenantWithAdmin(manager)
  const made = await manager.createApiKey(admin, { name: 'ci', scopes: ['deploy'] })
  const claims = await manager.verifyCredential(made.key)

  // The tenant's data, on the application's own driver and through the core.
  await manager.collection(claims, driver).insertOne({ by: 'key' })
  assert.equal(await db.collection(tenant.collectionName).countDocuments({ by: 'key' }), 1)
  assert.deepEqual(await manager.tenantCollection(claims), {
    database: tenant.database,
    collectionName: tenant.collectionName,
    namespace: tenant.namespace,
  })

  const before = await db.collection('organizations').find().toArray()
  assertForbidden(await rejection(manager.renameTenant(claims, uniqueName('Taken'))))
  assertForbidden(await rejection(manager.updateTenant(claims, { email: 'thief@evil.example' })))
  assertForbidden(await rejection(manager.updateTenant(claims, { password: 'stolen-password-1' })))
  assertForbidden(await rejection(manager.deleteTenant(claims)))
  assertForbidden(await rejection(manager.createApiKey(claims, { name: 'more', scopes: ['deploy'] })))
  assertForbidden(await rejection(manager.apiKeys(claims)))
  assertForbidden(await rejection(manager.revokeApiKey(claims, made.info.id)))
  assertForbidden(await rejection(manager.sessions(claims)))
  assertForbidden(await rejection(manager.endAllSessions(claims)))
  assert.deepEqual(await db.collection('organizations').find().toArray(), before, 'nothing changed')
  assert.equal((await manager.getTenant(tenant.name)).adminEmail, email)
  assert.equal(await db.collection('tenant_api_keys').countDocuments(), 1)
  await manager.verifyApiKey(made.key)
})

test("revoked keys stop verifying; another tenant's admin revokes nothing; ids are checked", async (t) => {
  const { manager } = await freshManager(t)
  const a = await tenantWithAdmin(manager)
  const b = await tenantWithAdmin(manager)
  const ka = await manager.createApiKey(a.claims, { name: 'a', scopes: ['x'] })
  const kb = await manager.createApiKey(b.claims, { name: 'b', scopes: ['x'] })
  const aClaims = await manager.verifyApiKey(ka.key)

  assert.equal(await manager.revokeApiKey(b.claims, ka.info.id), false, "another tenant's key")
  await manager.verifyApiKey(ka.key)
  assert.equal(await manager.revokeApiKey(a.claims, ka.info.id), true)
  assert.equal(await manager.revokeApiKey(a.claims, ka.info.id), false, 'once')
  assert.equal(await manager.revokeApiKey(a.claims, '0123456789abcdef01234567'), false, 'no such key')
  assertUnauthorized(await rejection(manager.verifyApiKey(ka.key)))
  assertUnauthorized(await rejection(manager.verifyCredential(ka.key)))
  // Claims verified before the revocation stop reaching the data.
  assertUnauthorized(await rejection(manager.tenantCollection(aClaims)))
  assert.deepEqual(await manager.apiKeys(a.claims), [])
  // The bystander's key is untouched.
  await manager.verifyApiKey(kb.key)
  assert.deepEqual(
    (await manager.apiKeys(b.claims)).map((k) => k.id),
    [kb.info.id],
  )

  // A text that is not a key id.
  for (const bad of ['', 'nope', ka.info.prefix, `${ka.info.id}0`, 'z'.repeat(24)]) {
    const err = await rejection(manager.revokeApiKey(a.claims, bad))
    assert.ok(err instanceof InvalidInputError, `${bad}: ${String(err)}`)
    assert.equal(err.field, 'keyId')
    // Shown as the path parameter it is.
    assert.equal(responseFor(err).body.errors[0].field, 'key_id')
  }
})

test('forged, malformed and whitespace-wrapped keys are refused alike', async (t) => {
  const { manager } = await freshManager(t)
  const a = await tenantWithAdmin(manager)
  const b = await tenantWithAdmin(manager)
  const ka = await manager.createApiKey(a.claims, { name: 'a', scopes: ['x'] })
  const kb = await manager.createApiKey(b.claims, { name: 'b', scopes: ['x'] })
  const secret = secretOf(ka)
  for (const bad of [
    `${ka.info.prefix}_${'0'.repeat(secret.length)}`,
    `${kb.info.prefix}_${secret}`,
    ` ${ka.key}`,
    `${ka.key} `,
    `${ka.key}\n`,
    ka.key.slice(0, -1),
    `${ka.key}0`,
    ka.info.prefix,
    'tnk_',
    'tnk_zz_zz',
    '',
  ]) {
    assertUnauthorized(await rejection(manager.verifyApiKey(bad)))
    if (bad.startsWith('tnk_')) assertUnauthorized(await rejection(manager.verifyCredential(bad)))
  }
  assertUnauthorized(await rejection(manager.verifyCredential('not-a-token')))
  const refused = responseFor(await rejection(manager.verifyApiKey(`${kb.info.prefix}_${secret}`)))
  assert.deepEqual([refused.status, refused.headers['www-authenticate']], [401, 'Bearer'])
  assert.deepEqual(refused.body, { detail: 'Could not validate credentials', code: 'UNAUTHORIZED' })
  await manager.verifyApiKey(ka.key)
})

test('expiry: a past one is refused at creation, a key past its expiry stops verifying', async (t) => {
  const { manager, db } = await freshManager(t)
  const { claims: admin } = await tenantWithAdmin(manager)
  const past = new Date(Date.now() - 1000)
  const late = await rejection(manager.createApiKey(admin, { name: 'late', scopes: ['x'], expiresAt: past }))
  assert.ok(late instanceof InvalidInputError, String(late))
  assert.equal(late.field, 'expiresAt')
  const invalid = await rejection(manager.createApiKey(admin, { name: 'nan', scopes: ['x'], expiresAt: new Date(NaN) }))
  assert.ok(invalid instanceof InvalidInputError, String(invalid))
  assert.equal(invalid.field, 'expiresAt')

  const soon = new Date(Date.now() + 3_600_000)
  const expiring = await manager.createApiKey(admin, { name: 'soon', scopes: ['x'], expiresAt: soon })
  assert.deepEqual(expiring.info.expiresAt, soon)
  assert.equal(createdApiKeyBody(expiring).expires_at, soon.toISOString())
  const claims = await manager.verifyApiKey(expiring.key)
  assert.equal(claims.expiresAt.getTime(), soon.getTime())
  // `null` is no expiry.
  const never = await manager.createApiKey(admin, { name: 'never', scopes: ['x'], expiresAt: null })
  assert.equal(never.info.expiresAt, null)

  await db.collection('tenant_api_keys').updateOne({ name: 'soon' }, { $set: { expires_at: past } })
  assertUnauthorized(await rejection(manager.verifyApiKey(expiring.key)))
  assertUnauthorized(await rejection(manager.tenantCollection(claims)))
  // Still listed (expired keys are, until revoked).
  assert.deepEqual(
    (await manager.apiKeys(admin)).map((k) => k.name),
    ['soon', 'never'],
  )
  await manager.verifyApiKey(never.key)
})

test("a suspended tenant's keys are refused with TenantSuspendedError until it is resumed", async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, claims: admin } = await tenantWithAdmin(manager)
  const bystander = await tenantWithAdmin(manager)
  const made = await manager.createApiKey(admin, { name: 'k', scopes: ['x'] })
  const other = await manager.createApiKey(bystander.claims, { name: 'k', scopes: ['x'] })
  const claims = await manager.verifyApiKey(made.key)

  await manager.suspendTenant(tenant.name, 'unpaid')
  const err = await until(manager, made.key, false)
  assert.ok(err instanceof TenantSuspendedError, String(err))
  assert.ok((await rejection(manager.verifyCredential(made.key))) instanceof TenantSuspendedError)
  assert.ok((await rejection(manager.tenantCollection(claims))) instanceof TenantSuspendedError)
  assert.deepEqual(responseFor(err).body, { detail: 'Organization suspended', code: 'TENANT_SUSPENDED' })
  await manager.verifyApiKey(other.key)

  await manager.resumeTenant(tenant.name)
  const back = /** @type {import('../index.js').Claims} */ (await until(manager, made.key, true))
  assert.equal(back.apiKeyId, made.info.id)
})

test('bad input is InvalidInputError naming its field (the contract shows the name as `name`); nothing written', async (t) => {
  const { manager, db } = await freshManager(t)
  const { claims: admin } = await tenantWithAdmin(manager)
  const many = Array.from({ length: 33 }, (_, i) => `s${i}`)
  /** @type {[import('../index.js').NewApiKey, string][]} */
  const cases = [
    [{ name: '', scopes: ['x'] }, 'apiKeyName'],
    [{ name: '   ', scopes: ['x'] }, 'apiKeyName'],
    [{ name: 'a'.repeat(101), scopes: ['x'] }, 'apiKeyName'],
    [{ name: 'bell\u0007', scopes: ['x'] }, 'apiKeyName'],
    [{ name: 'ok', scopes: [] }, 'scopes'],
    [{ name: 'ok', scopes: [''] }, 'scopes'],
    [{ name: 'ok', scopes: ['has space'] }, 'scopes'],
    [{ name: 'ok', scopes: ['a'.repeat(65)] }, 'scopes'],
    [{ name: 'ok', scopes: ['ü'] }, 'scopes'],
    [{ name: 'ok', scopes: many }, 'scopes'],
  ]
  for (const [key, field] of cases) {
    const err = await rejection(manager.createApiKey(admin, key))
    assert.ok(err instanceof InvalidInputError, `${inspect(key)}: ${String(err)}`)
    assert.equal(err.field, field, inspect(key))
  }
  // The contract's names: a key's name is `name` (a tenant's is `organization_name`).
  const named = responseFor(await rejection(manager.createApiKey(admin, { name: '', scopes: ['x'] })))
  assert.equal(named.status, 400)
  assert.equal(named.body.code, 'INVALID_INPUT')
  assert.equal(named.body.errors[0].field, 'name')
  assert.match(named.body.message, /^name: /)
  // Values of the wrong type are the caller's TypeError.
  for (const key of [{ name: 'ok', scopes: 'x' }, { name: 1, scopes: ['x'] }, { name: 'ok', scopes: ['x'], expiresAt: '2030-01-01' }, null]) {
    const err = await rejection(manager.createApiKey(admin, /** @type {any} */ (key)))
    assert.ok(err instanceof TypeError, `${inspect(key)}: ${String(err)}`)
  }
  assert.equal(await db.collection('tenant_api_keys').countDocuments(), 0)
})

test('newApiKey reads a POST /admin/api-keys body as every server does, every problem at once', () => {
  const body = (/** @type {unknown} */ value) => Buffer.from(JSON.stringify(value))
  assert.deepEqual(newApiKey(body({ name: 'ci', scopes: ['a', 'b'] })), { name: 'ci', scopes: ['a', 'b'], expiresAt: null })
  assert.deepEqual(newApiKey('{"name": "ci", "scopes": ["a"], "expires_at": null, "other": 1}'), {
    name: 'ci',
    scopes: ['a'],
    expiresAt: null,
  })
  const dated = newApiKey(body({ name: 'ci', scopes: ['a'], expires_at: '2031-02-03T04:05:06.789+01:00' }))
  assert.deepEqual(dated.expiresAt, new Date('2031-02-03T03:05:06.789Z'))
  // What the core judges later passes here: an empty name, no scopes.
  assert.deepEqual(newApiKey(body({ name: '', scopes: [] })), { name: '', scopes: [], expiresAt: null })
  assert.deepEqual(httpNewApiKey(body({ name: 'x', scopes: [] })).value, { name: 'x', scopes: [], expiresAt: null })

  /** @param {string | Buffer} raw */
  const problems = (raw) => {
    const err = thrown(() => newApiKey(raw))
    assert.ok(err instanceof RequestValidationError, String(err))
    return /** @type {RequestValidationError} */ (/** @type {unknown} */ (err)).problems.map((p) => [p.field, p.kind])
  }
  assert.deepEqual(problems('{}'), [
    ['name', 'missing'],
    ['scopes', 'missing'],
  ])
  assert.deepEqual(problems(body({ name: 5, scopes: 'x', expires_at: 'tomorrow' })), [
    ['name', 'type_error'],
    ['scopes', 'type_error'],
    ['expires_at', 'value_error'],
  ])
  assert.deepEqual(problems(body({ name: 'ci', scopes: ['a', 1] })), [['scopes', 'type_error']])
  assert.deepEqual(problems(body({ name: 'ci', scopes: ['a'], expires_at: 'tomorrow' })), [['expires_at', 'value_error']])
  assert.deepEqual(problems(body({ name: 'ci', scopes: ['a'], expires_at: 5 })), [['expires_at', 'type_error']])
  assert.deepEqual(problems('{"name": '), [['body', 'json_invalid']])
  assert.deepEqual(problems(''), [['body', 'json_invalid']])
  assert.deepEqual(problems('[1]'), [['body', 'type_error']])
  assert.deepEqual(problems(Buffer.from([0x7b, 0xff, 0x7d])), [['body', 'json_invalid']])
  // Answered with the request's own names.
  const answer = responseFor(thrown(() => newApiKey('{}')))
  assert.equal(answer.status, 400)
  assert.deepEqual(
    answer.body.errors.map((/** @type {any} */ e) => e.field),
    ['name', 'scopes'],
  )
  assert.equal(answer.body.message, 'name: field required')
})

/**
 * An app over `manager` with the routes a machine client calls, listening on a free port;
 * closed when the test ends.
 *
 * @param {import('node:test').TestContext} t
 * @param {import('../index.js').TenantManager} manager
 */
async function serve(t, manager) {
  const app = express()
  app.set('strict routing', true)
  const logged = /** @type {string[]} */ ([])
  app.get('/orders', requireCredential(manager), requireScope('orders:read'), (req, res) => {
    const claims = /** @type {import('../index.js').Claims} */ (req.claims)
    res.json({ tenant: claims.tenantName, key: claims.apiKeyId, notes: manager.collection(claims, driver).collectionName })
  })
  app.post('/orders', requireCredential(manager), requireScope('orders:read', 'orders:write'), (_req, res) => {
    res.status(201).json({ ok: true })
  })
  app.get('/whoami', requireCredential(manager), (req, res) => {
    res.json(claimsBody(/** @type {import('../index.js').Claims} */ (req.claims)))
  })
  app.get('/tokens-only', requireClaims(manager), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/forgot-the-credential', requireScope('orders:read'), (_req, res) => {
    res.json({ ok: true })
  })
  app.post('/keys', requireToken(), newApiKeyBody({ limit: 1024 }), requireCredential(manager), async (req, res) => {
    const key = await manager.createApiKey(/** @type {import('../index.js').Claims} */ (req.claims), req.body)
    res.status(201).json(createdApiKeyBody(key))
  })
  app.use(notFound(), errorHandler({ log: (message) => logged.push(message) }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  const base = `http://127.0.0.1:${port}`
  /** @param {string} path @param {RequestInit} [init] */
  const call = async (path, init) => {
    const res = await fetch(base + path, init)
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
  }
  return { call, logged }
}

test('requireCredential and requireScope: keys with the scope, admins always, 401 and 403 from the table', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, token, claims: admin } = await tenantWithAdmin(manager)
  const reader = await manager.createApiKey(admin, { name: 'reader', scopes: ['orders:read'] })
  const writer = await manager.createApiKey(admin, { name: 'writer', scopes: ['orders:read', 'orders:write'] })
  const other = await manager.createApiKey(admin, { name: 'other', scopes: ['reports'] })
  const { call, logged } = await serve(t, manager)
  const bearer = (/** @type {string} */ credential) => ({ authorization: `Bearer ${credential}` })

  const read = await call('/orders', { headers: bearer(reader.key) })
  assert.deepEqual([read.status, read.body], [200, { tenant: tenant.name, key: reader.info.id, notes: tenant.collectionName }])
  const asAdmin = await call('/orders', { headers: bearer(token.accessToken) })
  assert.deepEqual([asAdmin.status, asAdmin.body.key], [200, null])
  // Lacking the scope (or one of several): 403 FORBIDDEN.
  for (const [path, method, credential] of /** @type {const} */ ([
    ['/orders', 'GET', other.key],
    ['/orders', 'POST', reader.key],
  ])) {
    const refused = await call(path, { method, headers: bearer(credential) })
    assert.deepEqual([refused.status, refused.body], [403, { detail: 'Not authorized to act on this organization', code: 'FORBIDDEN' }])
  }
  assert.equal((await call('/orders', { method: 'POST', headers: bearer(writer.key) })).status, 201)
  assert.equal((await call('/orders', { method: 'POST', headers: bearer(token.accessToken) })).status, 201)

  // No credential, or a bad one: 401 with the challenge.
  for (const headers of [{}, bearer('tnk_nope'), bearer(`${reader.info.prefix}_${'0'.repeat(43)}`), bearer('garbage')]) {
    const refused = await call('/orders', { headers })
    assert.deepEqual([refused.status, refused.headers.get('www-authenticate'), refused.body.code], [401, 'Bearer', 'UNAUTHORIZED'])
  }
  // The claims of either kind, as `GET /auth/whoami` answers them.
  assert.deepEqual((await call('/whoami', { headers: bearer(reader.key) })).body, claimsBody(await manager.verifyApiKey(reader.key)))
  assert.equal((await call('/whoami', { headers: bearer(token.accessToken) })).body.api_key_id, null)
  // requireClaims takes tokens only.
  assert.equal((await call('/tokens-only', { headers: bearer(token.accessToken) })).status, 200)
  assert.equal((await call('/tokens-only', { headers: bearer(reader.key) })).status, 401)
  // requireScope without verified claims before it never lets a request through.
  const forgot = await call('/forgot-the-credential', { headers: bearer(reader.key) })
  assert.deepEqual([forgot.status, forgot.body.code], [500, 'INTERNAL'])
  assert.equal(logged.length, 1)
  assert.throws(() => requireScope(''), TypeError)
  assert.throws(() => requireScope('a', /** @type {any} */ (5)), TypeError)

  // Revoked: 401 at once.
  await manager.revokeApiKey(admin, reader.info.id)
  assert.equal((await call('/orders', { headers: bearer(reader.key) })).status, 401)
  // Suspended: 403 TENANT_SUSPENDED.
  await manager.suspendTenant(tenant.name)
  await until(manager, writer.key, false)
  const suspended = await call('/orders', { headers: bearer(writer.key) })
  assert.deepEqual([suspended.status, suspended.body.code], [403, 'TENANT_SUSPENDED'])
})

test('newApiKeyBody: the body read by the core before the credential is checked; keys cannot make keys', async (t) => {
  const { manager } = await freshManager(t)
  const { token, claims: admin } = await tenantWithAdmin(manager)
  const made = await manager.createApiKey(admin, { name: 'k', scopes: ['x'] })
  const { call } = await serve(t, manager)
  /** @param {string} body @param {Record<string, string>} [headers] */
  const post = (body, headers = { authorization: `Bearer ${token.accessToken}` }) => call('/keys', { method: 'POST', body, headers })

  const created = await post('{"name": "deploys", "scopes": ["deploy"], "expires_at": "2099-01-01T00:00:00Z"}')
  assert.equal(created.status, 201)
  assert.match(created.body.key, KEY)
  assert.equal(created.body.expires_at, '2099-01-01T00:00:00.000Z')
  assert.equal((await manager.verifyApiKey(created.body.key)).apiKeyId, created.body.id)

  const invalid = await post('{"scopes": "deploy"}')
  assert.equal(invalid.status, 400)
  assert.deepEqual(
    invalid.body.errors.map((/** @type {any} */ e) => [e.field, e.type]),
    [
      ['name', 'missing'],
      ['scopes', 'type_error'],
    ],
  )
  const judged = await post('{"name": " ", "scopes": ["deploy"]}')
  assert.deepEqual([judged.status, judged.body.errors[0].field], [400, 'name'])
  assert.equal((await post(JSON.stringify({ name: 'x'.repeat(2000), scopes: ['a'] }))).status, 413)
  // The header's presence first, the body, then the credential.
  assert.equal((await post('{', {})).status, 401)
  assert.equal((await post('{', { authorization: 'Bearer garbage' })).status, 400)
  assert.equal((await post('{"name": "k", "scopes": ["x"]}', { authorization: 'Bearer garbage' })).status, 401)
  // An API key's claims reach the core, which refuses them.
  const byKey = await post('{"name": "more", "scopes": ["x"]}', { authorization: `Bearer ${made.key}` })
  assert.deepEqual([byKey.status, byKey.body.code], [403, 'FORBIDDEN'])
})
