// @ts-check
// Layouts, names and clusters through the binding: a tenant created in each layout says
// where its data is (`Tenant`, `Claims`), `collection(claims, client, name)` is that
// namespace on the application's own driver (the `tenantsDb` setting honoured), bad
// options reject with the core's `InvalidInputError` and write nothing, and a tenant on
// another cluster is reached with that cluster's client.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, test } from 'node:test'

import { Collection, MongoClient } from 'mongodb'

import { ConfinedCollection, InvalidInputError, TenantManager } from '../index.js'
import {
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

/** The second server of the multi-cluster tests, or the first one under another name. */
const EAST_URI = process.env.MONGODB_URI_2 || MONGODB_URI

/**
 * Drop database `name` when the test ends.
 *
 * @param {import('node:test').TestContext} t
 * @param {string} name
 */
function dropAfter(t, name) {
  t.after(() => driver.db(name).dropDatabase())
}

/** @param {import('mongodb').Db} db */
async function collectionNames(db) {
  return (await db.listCollections().toArray()).map((c) => c.name)
}

test('a tenant in each layout says where its data is, and collection() is that namespace', async (t) => {
  const tenantsDb = uniqueDb()
  dropAfter(t, tenantsDb)
  const { manager } = await freshManager(t, { tenantsDb })
  const expected = {
    collection: (/** @type {import('../index.js').Tenant} */ tenant) => [tenantsDb, tenant.collectionName],
    database: (/** @type {import('../index.js').Tenant} */ tenant) => [`tenant_${tenant.id}`, 'data'],
    shared: () => [tenantsDb, 'shared_data'],
  }
  for (const layout of /** @type {const} */ (['collection', 'database', 'shared'])) {
    const { tenant, claims } = await tenantWithAdmin(manager, uniqueName(layout), { layout })
    if (layout === 'database') dropAfter(t, tenant.database)
    const [database, collection] = expected[layout](tenant)
    assert.equal(tenant.layout, layout)
    assert.equal(tenant.cluster, 'home')
    assert.deepEqual([tenant.database, tenant.collectionName], [database, collection], layout)
    assert.equal(tenant.namespace, `${database}.${collection}`)
    assert.deepEqual([claims.database, claims.collectionName, claims.layout, claims.cluster], [database, collection, layout, 'home'])
    assert.deepEqual(await manager.getTenant(tenant.name), tenant)

    const location = manager.locate(claims)
    assert.deepEqual([location.cluster, location.database, location.collection], ['home', database, collection])
    assert.equal(location.confinement === null, layout !== 'shared', `${layout}: confined only in the shared layout`)

    const data = manager.collection(claims, driver)
    if (layout === 'shared') assert.ok(data instanceof ConfinedCollection)
    else assert.ok(data instanceof Collection, `${layout}: the driver's own collection`)
    assert.deepEqual([data.dbName, data.collectionName], [database, collection])
    await data.insertOne({ layout })
    assert.equal(await driver.db(database).collection(collection).countDocuments({ layout }), 1, layout)
  }
  // The catalog stays in the master database, the data out of it.
  const master = await collectionNames(driver.db(manager.masterDb))
  assert.ok(master.includes('organizations'))
  assert.ok(!master.some((name) => name.startsWith('org_') || name.startsWith('shared_')), master.join())
})

test('collection(claims, client, name): more collections in the database and shared layouts only', async (t) => {
  const { manager } = await freshManager(t)
  const own = await tenantWithAdmin(manager, uniqueName('Own'), { layout: 'database' })
  dropAfter(t, own.tenant.database)
  const notes = manager.collection(own.claims, driver, 'notes')
  assert.deepEqual([notes.dbName, notes.collectionName], [own.tenant.database, 'notes'])

  const shared = await tenantWithAdmin(manager, uniqueName('Shared'), { layout: 'shared' })
  const sharedNotes = manager.collection(shared.claims, driver, 'notes')
  assert.ok(sharedNotes instanceof ConfinedCollection)
  assert.deepEqual([sharedNotes.dbName, sharedNotes.collectionName], [manager.masterDb, 'shared_notes'])
  assert.equal(manager.locate(shared.claims, 'notes').collection, 'shared_notes')

  const single = await tenantWithAdmin(manager, uniqueName('Single'))
  assert.equal(manager.collection(single.claims, driver, 'data').collectionName, single.tenant.collectionName)
  for (const [claims, name] of [
    [single.claims, 'notes'],
    [own.claims, 'system.views'],
    [shared.claims, 'a$b'],
    [own.claims, ''],
  ]) {
    const err = thrown(() => manager.collection(/** @type {import('../index.js').Claims} */ (claims), driver, /** @type {string} */ (name)))
    assert.ok(err instanceof InvalidInputError, `${name}: ${err}`)
    assert.equal(err.field, 'collection')
  }
})

test('naming: stable names carry the tenant id, and a rename moves nothing', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, claims } = await tenantWithAdmin(manager, uniqueName('Stable'), { naming: 'stable' })
  assert.equal(tenant.collectionName, `org_${tenant.id}`)
  await manager.collection(claims, driver).insertOne({ kept: true })
  const renamed = await manager.renameTenant(claims, uniqueName('Renamed'))
  assert.equal(renamed.collectionName, tenant.collectionName)
  assert.equal(await db.collection(tenant.collectionName).countDocuments({ kept: true }), 1)
})

test('the configured layout is the default; createTenant without options keeps it', async (t) => {
  const { manager } = await freshManager(t, { tenantLayout: 'shared' })
  assert.equal(manager.settings.tenantLayout, 'shared')
  const { tenant, claims } = await tenantWithAdmin(manager)
  assert.equal(tenant.layout, 'shared')
  assert.ok(manager.collection(claims, driver) instanceof ConfinedCollection)
  const { tenant: chosen } = await tenantWithAdmin(manager, uniqueName(), { layout: 'collection' })
  assert.equal(chosen.layout, 'collection')
})

test('bad options reject with InvalidInputError naming the option, and nothing is written', async (t) => {
  const { manager, db } = await freshManager(t, { clusters: `east@eu=${EAST_URI}` })
  const before = await db.collection('organizations').countDocuments()
  for (const [options, field] of /** @type {const} */ ([
    [{ layout: 'tables' }, 'layout'],
    [{ layout: 'Shared ' }, 'layout'],
    [{ naming: 'pretty' }, 'naming'],
    [{ cluster: 'west' }, 'cluster'],
    [{ tag: 'us' }, 'tag'],
  ])) {
    const err = await rejection(manager.createTenant(uniqueName(), uniqueEmail(), PASSWORD, /** @type {any} */ (options)))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(options)}: ${err}`)
    assert.equal(err.code, 'INVALID_INPUT')
    assert.equal(err.field, field, JSON.stringify(options))
  }
  const err = await rejection(manager.createTenant(uniqueName(), uniqueEmail(), PASSWORD, /** @type {any} */ ({ layout: 3 })))
  assert.ok(err instanceof TypeError, 'a value of the wrong type')
  assert.equal(await db.collection('organizations').countDocuments(), before)
})

test('a tenant on another cluster: its fields name it, and its data is on that cluster', async (t) => {
  const east = new MongoClient(EAST_URI, { serverSelectionTimeoutMS: 5000 })
  const databases = /** @type {string[]} */ ([])
  t.after(async () => {
    for (const name of databases) await east.db(name).dropDatabase()
    await east.close()
  })
  const { manager } = await freshManager(t, { clusters: `east@eu=${EAST_URI}` })
  for (const options of [{ cluster: 'east' }, { tag: 'eu' }]) {
    const { tenant, claims } = await tenantWithAdmin(manager, uniqueName('East'), { ...options, layout: 'database' })
    databases.push(tenant.database)
    assert.equal(tenant.cluster, 'east', JSON.stringify(options))
    assert.equal(claims.cluster, 'east')
    assert.equal(manager.locate(claims).cluster, 'east')
    await manager.collection(claims, east).insertOne({ on: 'east' })
    assert.equal(await east.db(tenant.database).collection('data').countDocuments({ on: 'east' }), 1)
    if (EAST_URI !== MONGODB_URI) {
      assert.equal(await driver.db(tenant.database).collection('data').countDocuments(), 0, 'nothing on home')
    }
  }
})

test('adminCollection(name, client, collection) reaches a named tenant\'s data, as collection() does', async (t) => {
  const { manager } = await freshManager(t)
  const shared = await tenantWithAdmin(manager, uniqueName('Shared'), { layout: 'shared' })
  await manager.collection(shared.claims, driver).insertOne({ mine: true })
  const admin = await manager.adminCollection(shared.tenant.name.toUpperCase(), driver)
  assert.ok(admin instanceof ConfinedCollection)
  assert.equal(await admin.countDocuments({}), 1)
  const own = await tenantWithAdmin(manager, uniqueName('Own'), { layout: 'database' })
  dropAfter(t, own.tenant.database)
  const notes = await manager.adminCollection(own.tenant.name, driver, 'notes')
  assert.ok(notes instanceof Collection)
  assert.equal(notes.namespace, `${own.tenant.database}.notes`)
  const missing = await rejection(manager.adminCollection('Nobody Here', driver))
  assert.equal(missing.code, 'TENANT_NOT_FOUND')
  const bad = await rejection(manager.adminCollection(own.tenant.name, driver, 'a$b'))
  assert.ok(bad instanceof InvalidInputError)
  assert.equal(bad.field, 'collection')
})

test('the Layout type of index.d.ts and the layout fields of native.d.ts are the core\'s layouts', () => {
  const union = binding.__layouts().map((l) => `'${l}'`).join(' | ')
  const index = fs.readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  assert.ok(index.includes(`export type Layout = ${union}\n`), `index.d.ts: Layout is not ${union}`)
  const native = fs.readFileSync(new URL('../native.d.ts', import.meta.url), 'utf8')
  const fields = [...native.matchAll(/^ {2}(?:get )?layout\??(?:\(\))?: (.*)$/gm)].map((m) => m[1])
  assert.ok(fields.length >= 4, fields.join('\n'))
  for (const type of fields) assert.ok(type === union || type === `${union} | null`, type)
})

test('connect refuses a bad layout setting with ConfigError', async () => {
  const err = await rejection(
    TenantManager.connect({ mongoUri: MONGODB_URI, jwtSecret: JWT_SECRET, masterDb: uniqueDb(), tenantLayout: /** @type {any} */ ('tables') }),
  )
  assert.equal(err.code, 'CONFIG')
  assert.match(err.message, /tenantLayout/)
})
