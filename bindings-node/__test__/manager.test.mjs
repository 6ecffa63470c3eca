// @ts-check
// Every method of TenantManager against the real server: shapes, ids, Dates, and that
// what the binding reports is what the database holds.

import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'

import { Claims, TenantManager } from '../index.js'
import {
  JWT_SECRET,
  MONGODB_URI,
  PASSWORD,
  closeDriver,
  driver,
  freshManager,
  rejection,
  tenantWithAdmin,
  uniqueDb,
  uniqueEmail,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

const HEX_ID = /^[0-9a-f]{24}$/

/** @param {unknown} value */
function assertDate(value) {
  assert.ok(value instanceof Date, `expected a Date, got ${String(value)}`)
  assert.ok(!Number.isNaN(value.getTime()))
}

describe('connect', () => {
  test('connect returns a manager over the given master database', async (t) => {
    const { manager } = await freshManager(t)
    assert.ok(manager instanceof TenantManager)
    assert.match(manager.masterDb, /^node_test_/)
  })

  test('fromEnv reads the original service environment through core', async (t) => {
    const masterDb = uniqueDb()
    t.after(() => driver.db(masterDb).dropDatabase())
    const saved = { ...process.env }
    t.after(() => {
      for (const key of ['MONGO_URI', 'MASTER_DB', 'JWT_SECRET', 'BCRYPT_COST', 'JWT_EXPIRE_MINUTES']) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    })
    Object.assign(process.env, {
      MONGO_URI: MONGODB_URI,
      MASTER_DB: masterDb,
      JWT_SECRET,
      BCRYPT_COST: '4',
      JWT_EXPIRE_MINUTES: '5',
    })
    const manager = await TenantManager.fromEnv()
    assert.equal(manager.masterDb, masterDb)
    const email = uniqueEmail()
    await manager.createTenant(uniqueName(), email, PASSWORD)
    const token = await manager.authenticate(email, PASSWORD)
    const lifetime = token.expiresAt.getTime() - Date.now()
    assert.ok(lifetime > 4 * 60_000 && lifetime <= 5 * 60_000, `token lifetime ${lifetime} ms`)
    const admin = await driver.db(masterDb).collection('admin_users').findOne({ email })
    assert.match(String(admin?.hashed_password), /^\$2[aby]\$04\$/, 'BCRYPT_COST=4 was applied')
  })

  test('options are passed to core: algorithm, expiry, bcrypt cost', async (t) => {
    const { manager, db } = await freshManager(t, { jwtAlgorithm: 'hs512', jwtExpireMinutes: 2, bcryptCost: 5 })
    const { token, email } = await tenantWithAdmin(manager)
    const header = JSON.parse(Buffer.from(token.accessToken.split('.')[0], 'base64url').toString())
    assert.equal(header.alg, 'HS512')
    const lifetime = token.expiresAt.getTime() - Date.now()
    assert.ok(lifetime > 60_000 && lifetime <= 120_000, `token lifetime ${lifetime} ms`)
    const admin = await db.collection('admin_users').findOne({ email })
    assert.match(String(admin?.hashed_password), /^\$2[aby]\$05\$/)
  })
})

describe('tenants', () => {
  test('createTenant returns the tenant with hex ids and Dates, and writes it', async (t) => {
    const { manager, db } = await freshManager(t)
    const name = uniqueName('Acme Corp')
    const email = uniqueEmail()
    const before = Date.now()
    const tenant = await manager.createTenant(name, email, PASSWORD)
    assert.equal(tenant.name, name)
    assert.equal(tenant.adminEmail, email)
    assert.match(tenant.id, HEX_ID)
    assert.match(tenant.adminId, HEX_ID)
    assert.equal(tenant.collectionName, `org_${name.toLowerCase().replaceAll(' ', '_').replaceAll('-', '_')}`)
    assert.equal(tenant.database, manager.masterDb)
    assert.equal(tenant.namespace, `${manager.masterDb}.${tenant.collectionName}`)
    assertDate(tenant.createdAt)
    assertDate(tenant.updatedAt)
    assert.equal(tenant.createdAt.getTime(), tenant.updatedAt.getTime())
    assert.ok(Math.abs(tenant.createdAt.getTime() - before) < 60_000)

    const org = await db.collection('organizations').findOne({ organization_name: name })
    assert.ok(org)
    assert.equal(org._id.toHexString(), tenant.id)
    assert.equal(org.created_at.getTime(), tenant.createdAt.getTime())
    const collections = (await db.listCollections().toArray()).map((c) => c.name)
    assert.ok(collections.includes(tenant.collectionName))
    const admin = await db.collection('admin_users').findOne({ email })
    assert.ok(admin && admin.hashed_password !== PASSWORD)
  })

  test('getTenant finds a tenant by any spelling of its name', async (t) => {
    const { manager } = await freshManager(t)
    const name = uniqueName('Acme Corp')
    const created = await manager.createTenant(name, uniqueEmail(), PASSWORD)
    for (const spelling of [name, name.toUpperCase().replaceAll(' ', '-'), `  ${name}  `]) {
      assert.deepEqual(await manager.getTenant(spelling), created, spelling)
    }
  })

  test('non-Latin names get distinct, valid collections', async (t) => {
    const { manager } = await freshManager(t)
    const a = await manager.createTenant('東京', uniqueEmail(), PASSWORD)
    const b = await manager.createTenant('大阪', uniqueEmail(), PASSWORD)
    assert.notEqual(a.collectionName, b.collectionName)
    for (const tenant of [a, b]) {
      assert.match(tenant.collectionName, /^org_[\x21-\x7e]+$/)
      assert.equal((await manager.getTenant(tenant.name)).id, tenant.id)
    }
  })

  test('updateTenant changes the email and password and revokes earlier tokens', async (t) => {
    const { manager } = await freshManager(t)
    const { tenant, email, token, claims } = await tenantWithAdmin(manager)
    const newEmail = uniqueEmail()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const updated = await manager.updateTenant(claims, { email: newEmail, password: 'brand-new-password' })
    assert.equal(updated.adminEmail, newEmail)
    assert.equal(updated.id, tenant.id)
    assert.equal(updated.createdAt.getTime(), tenant.createdAt.getTime())
    assert.ok(updated.updatedAt > tenant.updatedAt)
    assert.equal((await rejection(manager.authenticate(email, PASSWORD))).code, 'INVALID_CREDENTIALS')
    assert.equal((await rejection(manager.verifyToken(token.accessToken))).code, 'UNAUTHORIZED')
    const fresh = await manager.authenticate(newEmail, 'brand-new-password')
    assert.equal(fresh.adminId, token.adminId, 'the admin keeps its id')
  })

  test('updateTenant treats absent and null fields as no change, and the same password as no change', async (t) => {
    const { manager } = await freshManager(t)
    const { tenant, email, token, claims } = await tenantWithAdmin(manager)
    const same = await manager.updateTenant(claims, { email: null, password: PASSWORD, newName: null })
    assert.equal(same.adminEmail, email)
    assert.equal(same.name, tenant.name)
    await manager.updateTenant(claims, {})
    // The password did not change, so the token still verifies.
    assert.equal((await manager.verifyToken(token.accessToken)).adminId, token.adminId)
  })

  test('renameTenant moves the data and keeps tokens valid', async (t) => {
    const { manager, db } = await freshManager(t)
    const { tenant, token, claims } = await tenantWithAdmin(manager)
    const docs = Array.from({ length: 500 }, (_, n) => ({ n, sku: `sku-${n}` }))
    await db.collection(tenant.collectionName).insertMany(docs)
    await db.collection(tenant.collectionName).createIndex({ sku: 1 }, { unique: true, name: 'sku_unique' })
    const before = await db.collection(tenant.collectionName).find().sort({ n: 1 }).toArray()

    const newName = uniqueName('Renamed')
    const renamed = await manager.renameTenant(claims, newName)
    assert.equal(renamed.name, newName)
    assert.equal(renamed.id, tenant.id)
    assert.notEqual(renamed.collectionName, tenant.collectionName)
    const moved = await db.collection(renamed.collectionName).find().sort({ n: 1 }).toArray()
    assert.deepEqual(moved, before, 'same documents, same _ids')
    const indexes = await db.collection(renamed.collectionName).indexes()
    assert.ok(indexes.some((i) => i.name === 'sku_unique' && i.unique === true))
    // The old name holds an empty tombstone (refusing writes) until swept.
    assert.equal(await db.collection(tenant.collectionName).countDocuments(), 0)
    assert.ok(await db.collection('tenant_tombstones').findOne({ _id: /** @type {any} */ (tenant.collectionName) }))
    assert.equal((await rejection(manager.getTenant(tenant.name))).code, 'TENANT_NOT_FOUND')

    // The token carries stable ids: it still verifies, and now names the new tenant name.
    const again = await manager.verifyToken(token.accessToken)
    assert.equal(again.tenantName, newName)
    assert.equal(manager.decodeToken(token.accessToken).tenantName, tenant.name, 'decode shows the issued name')
    const viaUpdate = await manager.updateTenant(again, { newName: tenant.name })
    assert.equal(viaUpdate.name, tenant.name)
  })

  test('deleteTenant removes everything and revokes the token', async (t) => {
    const { manager, db } = await freshManager(t)
    const { tenant, email, token, claims } = await tenantWithAdmin(manager)
    await db.collection(tenant.collectionName).insertOne({ some: 'data' })
    assert.equal(await manager.deleteTenant(claims), undefined)
    assert.equal((await rejection(manager.getTenant(tenant.name))).code, 'TENANT_NOT_FOUND')
    const collections = (await db.listCollections().toArray()).map((c) => c.name)
    assert.ok(!collections.includes(tenant.collectionName))
    assert.equal(await db.collection('admin_users').countDocuments({ email }), 0)
    assert.equal((await rejection(manager.verifyToken(token.accessToken))).code, 'UNAUTHORIZED')
    assert.equal((await rejection(manager.authenticate(email, PASSWORD))).code, 'INVALID_CREDENTIALS')
    // The name is free again.
    await manager.createTenant(tenant.name, uniqueEmail(), PASSWORD)
  })

  test('tenantCollection names the claims tenant collection, following renames', async (t) => {
    const { manager } = await freshManager(t)
    const { tenant, claims } = await tenantWithAdmin(manager)
    assert.deepEqual(await manager.tenantCollection(claims), {
      database: manager.masterDb,
      collectionName: tenant.collectionName,
      namespace: tenant.namespace,
    })
    const renamed = await manager.renameTenant(claims, uniqueName('Moved'))
    assert.equal((await manager.tenantCollection(claims)).collectionName, renamed.collectionName)
  })

  test('recover rolls back an abandoned update and lists orphan collections', async (t) => {
    const { manager, db } = await freshManager(t)
    const { tenant, claims } = await tenantWithAdmin(manager)
    assert.deepEqual(await manager.recover(), {
      completed: 0,
      rolledBack: 0,
      adopted: 0,
      notAdopted: [],
      sweptKeys: 0,
      sweptTombstones: 0,
      purged: 0,
      sweptFences: 0,
      movedDocuments: 0,
      orphanCollections: [],
      failed: [],
    })
    // An update whose process died before writing anything, lease run out.
    const orgs = db.collection('organizations')
    const { ObjectId } = await import('mongodb')
    const journal = {
      id: new ObjectId(),
      owner: new ObjectId(),
      renewed_at: new Date(Date.now() - 120_000),
      lease_ms: 30_000,
      step: 0,
      detail: { kind: 'update', admin_id: ObjectId.createFromHexString(tenant.adminId), token_version: 0, admin_email: 'x@y.io' },
    }
    await orgs.updateOne({ organization_name: tenant.name }, { $set: { state: 'updating', op: journal } })
    await db.createCollection('org_nobody_claims_this')
    const report = await manager.recover()
    assert.equal(report.rolledBack, 1)
    assert.deepEqual(report.orphanCollections, ['org_nobody_claims_this'])
    const org = await orgs.findOne({ organization_name: tenant.name })
    assert.equal(org?.state, 'active')
    await manager.updateTenant(claims, { email: uniqueEmail() })
  })
})

describe('auth', () => {
  test('authenticate issues a bearer token with the ids and its expiry as a Date', async (t) => {
    const { manager } = await freshManager(t)
    const name = uniqueName()
    const email = uniqueEmail()
    const tenant = await manager.createTenant(name, email, PASSWORD)
    const token = await manager.authenticate(email.toUpperCase(), PASSWORD)
    assert.equal(token.tokenType, 'bearer')
    assert.equal(token.adminId, tenant.adminId)
    assert.equal(token.tenantId, tenant.id)
    assert.equal(token.tenantName, name)
    assert.equal(token.accessToken.split('.').length, 3)
    assertDate(token.expiresAt)
    const lifetime = token.expiresAt.getTime() - Date.now()
    assert.ok(lifetime > 1430 * 60_000 && lifetime <= 1440 * 60_000, 'default lifetime: 1440 minutes')
  })

  test('verifyToken and decodeToken return Claims with getters, Dates and toJSON', async (t) => {
    const { manager } = await freshManager(t)
    const { tenant, token } = await tenantWithAdmin(manager)
    const verified = await manager.verifyToken(token.accessToken)
    const decoded = manager.decodeToken(token.accessToken)
    for (const claims of [verified, decoded]) {
      assert.ok(claims instanceof Claims)
      assert.equal(claims.adminId, tenant.adminId)
      assert.equal(claims.tenantId, tenant.id)
      assert.equal(claims.tenantName, tenant.name)
      assert.equal(claims.tokenVersion, 0)
      assertDate(claims.issuedAt)
      assertDate(claims.expiresAt)
      assert.equal(claims.expiresAt.getTime(), token.expiresAt.getTime())
      assert.ok(claims.issuedAt < claims.expiresAt)
    }
    assert.deepEqual(JSON.parse(JSON.stringify(verified)), {
      adminId: tenant.adminId,
      tenantId: tenant.id,
      tenantName: tenant.name,
      tokenVersion: 0,
      issuedAt: verified.issuedAt.toISOString(),
      expiresAt: verified.expiresAt.toISOString(),
      collectionName: tenant.collectionName,
      database: tenant.database,
      layout: 'collection',
      cluster: 'home',
      apiKeyId: null,
      scopes: null,
      role: 'owner',
    })
    for (const field of /** @type {const} */ (['collectionName', 'database', 'layout', 'cluster', 'role'])) {
      assert.equal(decoded[field], null, `decoded claims were not checked against the database: ${field}`)
    }
  })

  test('Claims cannot be forged from JavaScript', () => {
    assert.throws(() => new /** @type {any} */ (Claims)())
  })

  test('a token of another secret does not verify', async (t) => {
    const a = await freshManager(t)
    const b = await freshManager(t, { jwtSecret: 'a-completely-different-secret' })
    const { token } = await tenantWithAdmin(a.manager)
    assert.equal((await rejection(b.manager.verifyToken(token.accessToken))).code, 'UNAUTHORIZED')
  })
})
