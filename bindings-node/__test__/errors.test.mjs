// @ts-check
// Every error code: each is an instance of its class (and of `TenantryError` and `Error`)
// with the core's stable `code` (plus `field`, `reason` or `retryAfter` where the core has
// them) and the caller's stack, rejected by promises and thrown by the synchronous
// methods, and nothing is written when input is refused.

import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'

import { ObjectId } from 'mongodb'

import { createRequire } from 'node:module'

import { responseFor } from '../express.js'
import { TenantManager, TenantryError, errorClasses } from '../index.js'
import {
  ERROR_CODES,
  JWT_SECRET,
  MONGODB_URI,
  PASSWORD,
  binding,
  closeDriver,
  driver,
  freshManager,
  rejection,
  tenantWithAdmin,
  thrown,
  uniqueDb,
  uniqueEmail,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

/**
 * @param {import('../index.js').TenantryError} err
 * @param {string} code
 */
function assertCoded(err, code) {
  assert.ok(err instanceof TenantryError, `not a TenantryError: ${String(err)}`)
  assert.ok(err instanceof errorClasses[/** @type {import('../index.js').ErrorCode} */ (code)], `${err.name} for ${code}`)
  assert.equal(err.code, code, `${err.code}: ${err.message}`)
  assert.ok(err.message.length > 0)
}

/** The package's exports, hidden test hook included. */
const tenantry = /** @type {Record<string, unknown> & { __sampleError(code: string): import('../index.js').TenantryError }} */ (
  createRequire(import.meta.url)('../index.js')
)

/** The core's sample error of `code` as the package rejects with it. */
const sample = (/** @type {string} */ code) => tenantry.__sampleError(code)

/** @param {import('mongodb').Db} db */
async function counts(db) {
  const collections = await db.listCollections().toArray()
  return {
    organizations: await db.collection('organizations').countDocuments(),
    admins: await db.collection('admin_users').countDocuments(),
    collections: collections.length,
  }
}

test('the codes listed here are the core\'s codes, each with its class', () => {
  assert.deepEqual([...binding.__errorCodes()].sort(), [...ERROR_CODES].sort())
  assert.deepEqual(Object.keys(errorClasses).sort(), [...ERROR_CODES].sort())
  assert.throws(() => binding.__throwSampleError('NOT_A_CODE'), /NOT_A_CODE/)
  for (const [code, cls] of Object.entries(errorClasses)) {
    assert.equal(cls.code, code)
    assert.ok(cls.prototype instanceof TenantryError && TenantryError.prototype instanceof Error)
    assert.equal(cls.prototype.name, cls.name)
    assert.match(cls.name, /Error$/)
    // Exported under its own name.
    assert.equal(tenantry[cls.name], cls)
  }
  const made = new errorClasses.CONFLICT('busy')
  assert.equal(made.code, 'CONFLICT')
  assert.equal(made.name, 'ConflictError')
  assert.equal(made.field, null)
})

test('every core code converts to its class, with its extra fields (a sample of each kind)', () => {
  for (const code of ERROR_CODES) {
    const err = sample(code)
    assertCoded(err, code)
    assert.equal(err.name, errorClasses[code].name)
    assert.ok(String(err.stack).startsWith(`${err.name}: `), String(err.stack))
  }
  assert.equal(sample('TENANT_ALREADY_EXISTS').field, 'email')
  const invalid = sample('INVALID_INPUT')
  assert.equal(invalid.field, 'password')
  assert.equal(invalid.reason, 'is too short')
  assert.equal(sample('UNAUTHORIZED').reason, 'token has expired')
  assert.equal(sample('TOO_MANY_ATTEMPTS').retryAfter, 42)
  assert.equal(sample('CONFLICT').field, null)
  assert.equal(sample('CONFLICT').retryAfter, null)
  const suspended = sample('TENANT_SUSPENDED')
  assert.equal(suspended.name, 'TenantSuspendedError')
  assert.equal(suspended.message, 'tenant suspended: Sample Corp')
  assert.equal(suspended.field, null)
  const lastOwner = sample('LAST_OWNER')
  assert.equal(lastOwner.name, 'LastOwnerError')
  assert.equal(lastOwner.field, null)
  assert.equal(responseFor(lastOwner).status, 409)
})

test('a rejection carries the stack of the call that started it', async (t) => {
  const { manager } = await freshManager(t)
  async function callerOfGetTenant() {
    return manager.getTenant('Nobody Here')
  }
  const err = await rejection(callerOfGetTenant())
  assertCoded(err, 'TENANT_NOT_FOUND')
  const stack = String(err.stack)
  assert.ok(stack.startsWith('TenantNotFoundError: '), stack)
  assert.match(stack, /callerOfGetTenant/)
  assert.match(stack, /errors\.test\.mjs/)
  // ...even when the promise is not awaited where it was made.
  function startsWithoutAwaiting() {
    return manager.getTenant('Nobody There')
  }
  const later = rejection(startsWithoutAwaiting())
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.match(String((await later).stack), /startsWithoutAwaiting/)
  // Synchronous methods throw from where they were called.
  function decodesGarbage() {
    return manager.decodeToken('garbage')
  }
  const sync = thrown(decodesGarbage)
  assertCoded(sync, 'UNAUTHORIZED')
  assert.match(String(sync.stack), /decodesGarbage/)
})

describe('TENANT_NOT_FOUND', () => {
  test('getTenant of an unknown name', async (t) => {
    const { manager } = await freshManager(t)
    const err = await rejection(manager.getTenant('Ghost Corp'))
    assertCoded(err, 'TENANT_NOT_FOUND')
    assert.match(err.message, /Ghost Corp/)
  })
})

describe('TENANT_ALREADY_EXISTS', () => {
  test('a taken name (any spelling) or email, with the field', async (t) => {
    const { manager, db } = await freshManager(t)
    const name = uniqueName('Acme Corp')
    const email = uniqueEmail()
    await manager.createTenant(name, email, PASSWORD)
    const before = await counts(db)
    for (const spelling of [name, name.toUpperCase(), name.replaceAll(' ', '-')]) {
      const err = await rejection(manager.createTenant(spelling, uniqueEmail(), PASSWORD))
      assertCoded(err, 'TENANT_ALREADY_EXISTS')
      assert.equal(err.field, 'name')
    }
    const err = await rejection(manager.createTenant(uniqueName(), email.toUpperCase(), PASSWORD))
    assertCoded(err, 'TENANT_ALREADY_EXISTS')
    assert.equal(err.field, 'email')
    assert.deepEqual(await counts(db), before)
  })

  test('a rename to a taken name or an update to a taken email', async (t) => {
    const { manager } = await freshManager(t)
    const mine = await tenantWithAdmin(manager)
    const other = await tenantWithAdmin(manager)
    assertCoded(await rejection(manager.renameTenant(mine.claims, other.tenant.name)), 'TENANT_ALREADY_EXISTS')
    const err = await rejection(manager.updateTenant(mine.claims, { email: other.email }))
    assertCoded(err, 'TENANT_ALREADY_EXISTS')
    assert.equal(err.field, 'email')
    assert.equal((await manager.getTenant(mine.tenant.name)).adminEmail, mine.email)
  })
})

describe('INVALID_INPUT', () => {
  const cases = [
    { name: '', email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: '   ', email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: 'pay$day', email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: 'nul\0byte', email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: 'system.users', email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: 'x'.repeat(300), email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: '!!!', email: 'a@b.co', password: PASSWORD, field: 'name' },
    { name: 'Valid Name', email: 'not-an-email', password: PASSWORD, field: 'email' },
    { name: 'Valid Name', email: 'a@b.co', password: 'short', field: 'password' },
  ]
  test('createTenant refuses bad input, names the field, and writes nothing', async (t) => {
    const { manager, db } = await freshManager(t)
    const before = await counts(db)
    for (const { name, email, password, field } of cases) {
      const err = await rejection(manager.createTenant(name, email, password))
      assertCoded(err, 'INVALID_INPUT')
      assert.equal(err.field, field, JSON.stringify(name))
      assert.ok(err.reason && err.message.includes(err.reason))
    }
    assert.deepEqual(await counts(db), before)
  })

  test('getTenant and updateTenant refuse impossible names', async (t) => {
    const { manager } = await freshManager(t)
    const { tenant, claims } = await tenantWithAdmin(manager)
    assertCoded(await rejection(manager.getTenant('$where')), 'INVALID_INPUT')
    const err = await rejection(manager.renameTenant(claims, 'a$b'))
    assertCoded(err, 'INVALID_INPUT')
    assert.equal(err.field, 'newName')
    assertCoded(await rejection(manager.updateTenant(claims, { email: 'nope' })), 'INVALID_INPUT')
  })
})

describe('INVALID_CREDENTIALS', () => {
  test('wrong password and unknown email are indistinguishable', async (t) => {
    const { manager } = await freshManager(t)
    const { email } = await tenantWithAdmin(manager)
    const wrong = await rejection(manager.authenticate(email, 'not-the-password'))
    const unknown = await rejection(manager.authenticate('nobody@nowhere.example', PASSWORD))
    const malformed = await rejection(manager.authenticate('not an email', PASSWORD))
    for (const err of [wrong, unknown, malformed]) {
      assertCoded(err, 'INVALID_CREDENTIALS')
      assert.equal(err.message, wrong.message)
    }
  })
})

describe('TOO_MANY_ATTEMPTS', () => {
  test('repeated failed logins lock the email, with a retry time', async (t) => {
    const { manager } = await freshManager(t, { loginMaxFailures: 3, loginLockoutSeconds: 120 })
    const { email } = await tenantWithAdmin(manager)
    const other = await tenantWithAdmin(manager)
    for (let i = 0; i < 3; i++) {
      assertCoded(await rejection(manager.authenticate(email, 'wrong-password')), 'INVALID_CREDENTIALS')
    }
    // Locked out: even the right password is refused, with the time to wait.
    const err = await rejection(manager.authenticate(email, PASSWORD))
    assertCoded(err, 'TOO_MANY_ATTEMPTS')
    assert.ok(err.retryAfter && err.retryAfter > 0 && err.retryAfter <= 120, `${err.retryAfter}`)
    // Other accounts are unaffected.
    await manager.authenticate(other.email, PASSWORD)
  })

  test('failures count per (email, client): one client locks only itself out', async (t) => {
    const { manager } = await freshManager(t, { loginMaxFailures: 2 })
    const { email } = await tenantWithAdmin(manager)
    for (let i = 0; i < 2; i++) {
      assertCoded(await rejection(manager.authenticate(email, 'guess', '203.0.113.7')), 'INVALID_CREDENTIALS')
    }
    assertCoded(await rejection(manager.authenticate(email, PASSWORD, '203.0.113.7')), 'TOO_MANY_ATTEMPTS')
    await manager.authenticate(email, PASSWORD, '198.51.100.1')
    await manager.authenticate(email, PASSWORD)
  })

  test('loginMaxFailures 0 turns throttling off', async (t) => {
    const { manager } = await freshManager(t, { loginMaxFailures: 0 })
    const { email } = await tenantWithAdmin(manager)
    for (let i = 0; i < 12; i++) {
      assertCoded(await rejection(manager.authenticate(email, 'wrong-password')), 'INVALID_CREDENTIALS')
    }
    await manager.authenticate(email, PASSWORD)
  })
})

describe('UNAUTHORIZED', () => {
  test('garbage, foreign and revoked tokens, rejected and thrown', async (t) => {
    const { manager } = await freshManager(t)
    for (const token of ['', 'garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.']) {
      const err = await rejection(manager.verifyToken(token))
      assertCoded(err, 'UNAUTHORIZED')
      assert.ok(err.reason)
      assertCoded(thrown(() => manager.decodeToken(token)), 'UNAUTHORIZED')
    }
    const { tenant, token, claims } = await tenantWithAdmin(manager)
    await manager.updateTenant(claims, { password: 'a-different-password' })
    const revoked = await rejection(manager.verifyToken(token.accessToken))
    assertCoded(revoked, 'UNAUTHORIZED')
    assert.match(String(revoked.reason), /revoked/)
    // Claims held from before the password change are refused too.
    assertCoded(await rejection(manager.updateTenant(claims, { email: uniqueEmail() })), 'UNAUTHORIZED')
    assertCoded(await rejection(manager.tenantCollection(claims)), 'UNAUTHORIZED')
  })
})

describe('FORBIDDEN', () => {
  test('claims act on their own tenant only; naming another is refused', async (t) => {
    const { manager } = await freshManager(t)
    const mine = await tenantWithAdmin(manager)
    const theirs = await tenantWithAdmin(manager)
    assertCoded(thrown(() => manager.checkTenantName(mine.claims, theirs.tenant.name)), 'FORBIDDEN')
    manager.checkTenantName(mine.claims, mine.tenant.name.toUpperCase())
    assertCoded(thrown(() => manager.checkTenantName(mine.claims, 'a$b')), 'INVALID_INPUT')
    // Every claims-only operation reaches the claims' tenant, never the other one.
    await manager.updateTenant(mine.claims, { email: uniqueEmail() })
    await manager.renameTenant(mine.claims, uniqueName('Moved'))
    await manager.deleteTenant(mine.claims)
    assert.deepEqual(await manager.getTenant(theirs.tenant.name), theirs.tenant)
    await manager.authenticate(theirs.email, PASSWORD)
  })
})

describe('CONFLICT', () => {
  test('an operation in flight elsewhere holds the tenant', async (t) => {
    const { manager, db } = await freshManager(t)
    const { tenant, claims } = await tenantWithAdmin(manager)
    const orgs = db.collection('organizations')
    // What another process's update looks like while it runs: state and a live lease.
    const journal = {
      id: new ObjectId(),
      owner: new ObjectId(),
      renewed_at: new Date(),
      lease_ms: 60_000,
      step: 0,
      detail: { kind: 'update', admin_id: ObjectId.createFromHexString(tenant.adminId), token_version: 0, admin_email: 'x@y.io' },
    }
    await orgs.updateOne({ organization_name: tenant.name }, { $set: { state: 'updating', op: journal } })
    const err = await rejection(manager.updateTenant(claims, { email: uniqueEmail() }))
    assertCoded(err, 'CONFLICT')
    assert.match(err.message, /retry/)
    assertCoded(await rejection(manager.deleteTenant(claims)), 'CONFLICT')
    // The other process finishes: the tenant is usable again.
    await orgs.updateOne({ organization_name: tenant.name }, { $set: { state: 'active' }, $unset: { op: '' } })
    await manager.deleteTenant(claims)
  })
})

describe('CONFIG', () => {
  const base = { mongoUri: MONGODB_URI, jwtSecret: JWT_SECRET }
  const cases = [
    { jwtSecret: 'short' },
    { jwtAlgorithm: 'none' },
    { jwtAlgorithm: 'RS256' },
    { bcryptCost: 3 },
    { bcryptCost: 32 },
    { bcryptCost: 4.5 },
    { bcryptCost: -1 },
    { jwtExpireMinutes: 0 },
    { jwtExpireMinutes: Number.NaN },
    { jwtLeewaySeconds: 3600 },
    { masterDb: 'a.b' },
    { masterDb: '' },
    { minPasswordChars: 0 },
    { loginMaxFailures: -1 },
    { loginLockoutSeconds: 1.5 },
    { mongoUri: 'not-a-uri' },
    { mongoUri: 42 },
    { bcryptCost: 2 ** 40 },
    { trustedProxies: [1] },
    { trustedProxies: 'not an address' },
    { writeConcern: 'sometimes' },
    { bcryptCots: 10 },
    { jwt_secret: JWT_SECRET },
  ]
  for (const options of cases) {
    test(`connect refuses ${JSON.stringify(options)}`, async () => {
      const err = await rejection(TenantManager.connect(/** @type {any} */ ({ ...base, ...options })))
      assertCoded(err, 'CONFIG')
      // The message names the option as it was written.
      assert.ok(err.message.includes(Object.keys(options)[0]), err.message)
    })
  }

  test('options that are not an object are a CONFIG error too', async () => {
    for (const options of ['mongodb://x', 42, [base]]) {
      assertCoded(await rejection(TenantManager.connect(/** @type {any} */ (options))), 'CONFIG')
    }
  })

  test('fromEnv takes overrides over the environment', async (t) => {
    const masterDb = uniqueDb()
    t.after(() => driver.db(masterDb).dropDatabase())
    const saved = { ...process.env }
    t.after(() => {
      for (const key of ['MONGO_URI', 'JWT_SECRET', 'MASTER_DB', 'BCRYPT_COST']) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    })
    Object.assign(process.env, { MONGO_URI: MONGODB_URI, JWT_SECRET, MASTER_DB: 'not_this_one', BCRYPT_COST: '5' })
    const manager = await TenantManager.fromEnv({ masterDb, jwtExpireMinutes: 7 })
    t.after(() => manager.close())
    assert.equal(manager.masterDb, masterDb)
    assert.equal(manager.settings.masterDb, masterDb)
    assert.equal(manager.settings.bcryptCost, 5)
    assert.equal(manager.settings.jwtExpireMinutes, 7)
    assert.ok(!('jwtSecret' in manager.settings), 'the secret is never shown')
    assertCoded(await rejection(TenantManager.fromEnv({ bcryptCost: 99 })), 'CONFIG')
  })

  test('fromEnv without JWT_SECRET', async (t) => {
    const saved = process.env.JWT_SECRET
    t.after(() => {
      if (saved === undefined) delete process.env.JWT_SECRET
      else process.env.JWT_SECRET = saved
    })
    delete process.env.JWT_SECRET
    const err = await rejection(TenantManager.fromEnv())
    assertCoded(err, 'CONFIG')
    assert.match(err.message, /JWT_SECRET/)
  })
})

describe('DATABASE', () => {
  test('an unreachable server', async (t) => {
    const masterDb = uniqueDb()
    t.after(() => driver.db(masterDb).dropDatabase())
    const err = await rejection(
      TenantManager.connect({
        mongoUri: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300',
        jwtSecret: JWT_SECRET,
        masterDb,
      }),
    )
    assertCoded(err, 'DATABASE')
  })
})

test('arguments of the wrong type reject with a TypeError, before anything runs', async (t) => {
  const { manager, db } = await freshManager(t)
  const untyped = /** @type {any} */ (manager)
  const before = await counts(db)
  await assert.rejects(untyped.getTenant(42), TypeError)
  await assert.rejects(untyped.createTenant('Valid Name', 42, PASSWORD), TypeError)
  await assert.rejects(untyped.updateTenant({ adminId: 'forged', tenantId: 'x' }, {}), TypeError)
  await assert.rejects(untyped.deleteTenant({ adminId: 'forged' }), TypeError)
  assert.throws(() => untyped.checkTenantName({ tenantId: 'forged' }, 'x'), TypeError)
  assert.throws(() => untyped.collection({ collectionName: 'org_x' }, driver), TypeError)
  assert.deepEqual(await counts(db), before)
})
