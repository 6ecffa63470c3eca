// @ts-check
// Suspension through the binding: while a tenant is suspended, its admin's login with the
// right password rejects with `TenantSuspendedError` (a wrong one still with
// `InvalidCredentialsError`), its earlier token's `verifyToken` and the calls taking its
// claims reject with it too; its data and other tenants are untouched. `resumeTenant`
// brings every credential back, the earlier token too. Reasons are checked by the core;
// unknown names are `TenantNotFoundError`. And `passwordHash: 'argon2id'` makes argon2id
// hashes that log in.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { tenantBody } from '../express.js'
import {
  InvalidCredentialsError,
  InvalidInputError,
  TenantNotFoundError,
  TenantSuspendedError,
  TenantryError,
  errorClasses,
} from '../index.js'
import {
  PASSWORD,
  closeDriver,
  freshManager,
  rejection,
  tenantWithAdmin,
  uniqueEmail,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

/**
 * Wait until `token` verifies again (`true`) or is refused (`false`): a suspension reaches
 * the hot path's cache through the change stream, as a revocation does.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {string} token
 * @param {boolean} accepted
 * @returns {Promise<unknown>} the last error (refused), or the claims (accepted)
 */
async function until(manager, token, accepted) {
  const started = Date.now()
  for (;;) {
    let outcome
    try {
      outcome = { ok: true, value: await manager.verifyToken(token) }
    } catch (err) {
      outcome = { ok: false, value: err }
    }
    if (outcome.ok === accepted) return outcome.value
    assert.ok(Date.now() - started < 5000, `the token is still ${accepted ? 'refused' : 'accepted'} after 5 s`)
    await sleep(20)
  }
}

/** @param {unknown} err */
function assertSuspended(err) {
  assert.ok(err instanceof TenantSuspendedError, `not a TenantSuspendedError: ${String(err)}`)
  assert.ok(err instanceof TenantryError)
  assert.equal(err.code, 'TENANT_SUSPENDED')
  assert.equal(err.name, 'TenantSuspendedError')
}

test('TENANT_SUSPENDED has its class, exported under its name', () => {
  assert.equal(errorClasses.TENANT_SUSPENDED, TenantSuspendedError)
  assert.equal(TenantSuspendedError.code, 'TENANT_SUSPENDED')
  const made = new TenantSuspendedError('tenant suspended: Acme')
  assertSuspended(made)
})

test('a suspended tenant refuses its credentials and keeps its data; resume brings them back', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, email, token, claims } = await tenantWithAdmin(manager, uniqueName('Paused'))
  const bystander = await tenantWithAdmin(manager, uniqueName('Bystander'))
  const data = db.collection(tenant.collectionName)
  await data.insertMany([{ n: 1, note: 'one' }, { n: 2, note: 'two' }])
  const before = await data.find().sort({ n: 1 }).toArray()
  assert.equal(tenant.suspendedAt, null)
  assert.equal(tenant.suspendedReason, null)

  const suspended = await manager.suspendTenant(tenant.name.toUpperCase(), 'unpaid invoice')
  assert.equal(suspended.id, tenant.id)
  assert.equal(suspended.name, tenant.name)
  assert.ok(suspended.suspendedAt instanceof Date, String(suspended.suspendedAt))
  assert.ok(Math.abs(suspended.suspendedAt.getTime() - Date.now()) < 60_000)
  assert.equal(suspended.suspendedReason, 'unpaid invoice')
  assert.equal(suspended.state, 'active')
  // The core's body (as `POST /admin/suspend` answers) carries both.
  const body = tenantBody(suspended)
  assert.equal(body.suspended_at, suspended.suspendedAt.toISOString())
  assert.equal(body.suspended_reason, 'unpaid invoice')

  // The right password: TENANT_SUSPENDED; a wrong one says nothing of it.
  assertSuspended(await rejection(manager.authenticate(email, PASSWORD)))
  const wrong = await rejection(manager.authenticate(email, 'not-the-password'))
  assert.ok(wrong instanceof InvalidCredentialsError, String(wrong))
  // The token issued before, and the calls taking its claims.
  assertSuspended(await until(manager, token.accessToken, false))
  assertSuspended(await rejection(manager.tenantCollection(claims)))
  assertSuspended(await rejection(manager.updateTenant(claims, { email: uniqueEmail() })))
  assertSuspended(await rejection(manager.deleteTenant(claims)))

  // Its record, admin and data are there; the record says it is suspended.
  const got = await manager.getTenant(tenant.name)
  assert.deepEqual(got.suspendedAt, suspended.suspendedAt)
  assert.equal(got.suspendedReason, 'unpaid invoice')
  assert.equal(got.adminEmail, email)
  assert.deepEqual(await data.find().sort({ n: 1 }).toArray(), before)
  const listed = (await manager.listTenants()).tenants.find((x) => x.id === tenant.id)
  assert.equal(listed?.suspendedReason, 'unpaid invoice')
  // Another tenant is not affected.
  await manager.authenticate(bystander.email, PASSWORD)
  await manager.verifyToken(bystander.token.accessToken)
  assert.equal((await manager.getTenant(bystander.tenant.name)).suspendedAt, null)

  // Suspending again records the new reason (none).
  const again = await manager.suspendTenant(tenant.name, null)
  assert.ok(again.suspendedAt instanceof Date)
  assert.equal(again.suspendedReason, null)

  // Resumed: everything is back, the earlier token too.
  const resumed = await manager.resumeTenant(tenant.name)
  assert.equal(resumed.id, tenant.id)
  assert.equal(resumed.suspendedAt, null)
  assert.equal(resumed.suspendedReason, null)
  const back = /** @type {import('../index.js').Claims} */ (await until(manager, token.accessToken, true))
  assert.equal(back.tenantId, tenant.id)
  const fresh = await manager.authenticate(email, PASSWORD)
  await manager.verifyToken(fresh.accessToken)
  assert.deepEqual(await manager.tenantCollection(claims), {
    database: tenant.database,
    collectionName: tenant.collectionName,
    namespace: tenant.namespace,
  })
  assert.deepEqual(await data.find().sort({ n: 1 }).toArray(), before)
  // Resuming a tenant that is not suspended changes nothing.
  const twice = await manager.resumeTenant(tenant.name)
  assert.equal(twice.suspendedAt, null)
  assert.deepEqual(twice.updatedAt, resumed.updatedAt)

  // Both are in the audit log, the reason with the suspension.
  const log = await manager.auditLog(tenant.id)
  const ops = log.entries.filter((e) => ['suspend', 'resume'].includes(e.op))
  assert.deepEqual(
    ops.map((e) => [e.op, e.actor, e.outcome, e.detail]),
    [
      ['suspend', 'operator', 'ok', { reason: 'unpaid invoice' }],
      ['suspend', 'operator', 'ok', {}],
      ['resume', 'operator', 'ok', {}],
    ],
  )
  assert.ok(
    log.entries.some((e) => e.op === 'login' && e.outcome === 'TENANT_SUSPENDED'),
    'the refused login is audited',
  )
})

test('reasons are checked and unknown names are TenantNotFoundError; nothing changes', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, email } = await tenantWithAdmin(manager)
  const orgs = db.collection('organizations')
  const record = await orgs.findOne({ organization_name: tenant.name })
  for (const reason of ['x'.repeat(501), 'two\nlines', 'a\ttab']) {
    const err = await rejection(manager.suspendTenant(tenant.name, reason))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(reason)}: ${err}`)
    assert.equal(err.field, 'reason')
    assert.ok(err.reason && err.message.includes(err.reason), err.message)
  }
  assert.deepEqual(await orgs.findOne({ _id: record?._id }), record)
  // 500 characters is a reason.
  const long = 'y'.repeat(500)
  assert.equal((await manager.suspendTenant(tenant.name, long)).suspendedReason, long)
  await manager.resumeTenant(tenant.name)
  await manager.authenticate(email, PASSWORD)

  for (const call of [
    () => manager.suspendTenant(uniqueName('Ghost')),
    () => manager.suspendTenant(uniqueName('Ghost'), 'why not'),
    () => manager.resumeTenant(uniqueName('Ghost')),
  ]) {
    const err = await rejection(call())
    assert.ok(err instanceof TenantNotFoundError, String(err))
    assert.equal(err.code, 'TENANT_NOT_FOUND')
  }
  // An impossible name is refused as such; arguments of the wrong type are TypeErrors.
  assert.ok((await rejection(manager.suspendTenant('a$b'))) instanceof InvalidInputError)
  const untyped = /** @type {any} */ (manager)
  await assert.rejects(untyped.suspendTenant(42), TypeError)
  await assert.rejects(untyped.suspendTenant(tenant.name, 42), TypeError)
  await assert.rejects(untyped.resumeTenant({ name: tenant.name }), TypeError)
  assert.equal((await manager.getTenant(tenant.name)).suspendedAt, null)
})

test('a softly deleted tenant cannot be suspended or resumed', async (t) => {
  const { manager } = await freshManager(t, { deletedRetentionSeconds: 3600 })
  const { tenant, claims } = await tenantWithAdmin(manager)
  await manager.deleteTenant(claims)
  assert.ok((await rejection(manager.suspendTenant(tenant.name))) instanceof TenantNotFoundError)
  assert.ok((await rejection(manager.resumeTenant(tenant.name))) instanceof TenantNotFoundError)
  const restored = await manager.restoreTenant(tenant.name)
  assert.equal(restored.suspendedAt, null)
})

test('passwordHash: argon2id hashes new passwords with argon2id, and they log in', async (t) => {
  const { manager, db } = await freshManager(t, { passwordHash: 'argon2id' })
  assert.equal(manager.settings.passwordHash, 'argon2id')
  const { email, token } = await tenantWithAdmin(manager)
  const admin = await db.collection('admin_users').findOne({ email })
  assert.match(String(admin?.hashed_password), /^\$argon2id\$/)
  await manager.verifyToken(token.accessToken)
  assert.ok((await rejection(manager.authenticate(email, 'not-the-password'))) instanceof InvalidCredentialsError)

  // The default is bcrypt, and an unknown scheme is a ConfigError naming the option.
  const plain = await freshManager(t)
  assert.equal(plain.manager.settings.passwordHash, 'bcrypt')
  const other = await tenantWithAdmin(plain.manager)
  const bcrypt = await plain.db.collection('admin_users').findOne({ email: other.email })
  assert.match(String(bcrypt?.hashed_password), /^\$2[aby]\$/)
  const err = await rejection(freshManager(t, /** @type {any} */ ({ passwordHash: 'md5' })))
  assert.equal(err.code, 'CONFIG')
  assert.match(err.message, /passwordHash/)
})

test('a bcrypt hash is replaced by an argon2id one at the next login under passwordHash: argon2id', async (t) => {
  const { manager, db } = await freshManager(t)
  const { email } = await tenantWithAdmin(manager)
  const admins = db.collection('admin_users')
  assert.match(String((await admins.findOne({ email }))?.hashed_password), /^\$2[aby]\$/)
  const argon = await freshManager(t, { masterDb: manager.masterDb, passwordHash: 'argon2id' })
  await argon.manager.authenticate(email, PASSWORD)
  assert.match(String((await admins.findOne({ email }))?.hashed_password), /^\$argon2id\$/)
  // ...and still logs in, under either setting.
  await argon.manager.authenticate(email, PASSWORD)
  await manager.authenticate(email, PASSWORD)
})
