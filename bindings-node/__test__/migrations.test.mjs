// @ts-check
// The per-tenant schema through the binding: `setSchema` declares indexes and migrations
// (the core's declarative kinds, with the JSON schema file's keys, and functions written in
// JavaScript), `migrate` applies to each active tenant, once, what it lacks, in each
// layout, touching neither a softly deleted tenant nor a collection no tenant owns; a
// tenant created afterwards is born migrated. A function's promise is waited for, and its
// failure fails its tenant only (with its code for one of the package's errors, `INTERNAL`
// naming any other), or stops the run with `stopOnFailure`; a dry run writes nothing;
// `onProgress` hears every tenant; a migration changed after it was applied is a
// `CONFLICT`; bad declarations and options are `InvalidInputError`s; `schemaFile`
// declares a schema at connect; the Express glue's parser and body are the core's.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { ObjectId } from 'mongodb'

import { RequestValidationError, migrateOptions, migrateReportBody } from '../express.js'
import { ConfigError, ConflictError, InvalidInputError } from '../index.js'
import {
  PASSWORD,
  closeDriver,
  driver,
  freshManager,
  rejection,
  thrown,
  uniqueDb,
  uniqueEmail,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

/** @typedef {import('../index.js').TenantManager} TenantManager */
/** @typedef {import('../index.js').Layout} Layout */
/** @typedef {import('../index.js').MigrationTenant} MigrationTenant */
/** @typedef {import('../index.js').Migration} Migration */

const LAYOUTS = /** @type {const} */ (['collection', 'database', 'shared'])
const HOUR = 3600
/** The owner the `update` migration's filter names: an ObjectId crosses as one. */
const OWNER = new ObjectId()
/** The default the `set_default` migration gives: a Date crosses as a BSON date. */
const SINCE = new Date('2026-01-01T00:00:00Z')

/** A tenant's documents before any migration (a fresh copy each time: inserts add `_id`). */
function oldShape() {
  return [
    { k: 1, mail: 'a@x.io', status: 'ACTIVE', owner: OWNER },
    { k: 2, email: 'b@x.io', plan: 'pro', status: 'active' },
  ]
}

/**
 * The documents after every migration of `declarative()` and `touch`.
 *
 * @param {string} name the tenant's name, which `touch` writes
 */
function newShape(name) {
  return [
    { k: 1, status: 'active', owner: OWNER, email: 'a@x.io', plan: 'free', since: SINCE, touched: name },
    { k: 2, email: 'b@x.io', plan: 'pro', status: 'active', since: SINCE, touched: name },
  ]
}

/**
 * Every declarative kind, as the schema file spells them.
 *
 * @returns {Migration[]}
 */
function declarative() {
  return [
    { id: '001', create_index: { collection: 'data', keys: { k: 1 }, options: { name: 'k_1' } } },
    { id: '002', create_index: { collection: 'data', keys: { plan: 1 }, options: { name: 'plan_1' } } },
    { id: '003', rename_field: { collection: 'data', from: 'mail', to: 'email' } },
    { id: '004', set_default: { collection: 'data', field: 'plan', value: 'free' } },
    { id: '005', set_default: { collection: 'data', field: 'since', value: SINCE } },
    {
      id: '006',
      update: { collection: 'data', filter: { status: 'ACTIVE', owner: OWNER }, update: { $set: { status: 'active' } } },
    },
    { id: '007', drop_index: { collection: 'data', name: 'plan_1' } },
  ]
}

/**
 * An async migration writing each document's `touched` after a pause: done only once its
 * promise has settled.
 *
 * @param {string[]} [calls] where each call leaves the tenant's id
 * @returns {(tenant: MigrationTenant) => Promise<void>}
 */
function touch(calls = []) {
  return async (tenant) => {
    await sleep(30)
    await tenant.collection(driver).updateMany({}, { $set: { touched: tenant.name } })
    calls.push(tenant.tenantId)
  }
}

/**
 * Drop database `name` when the test ends.
 *
 * @param {import('node:test').TestContext} t
 * @param {string} name
 */
function dropAfter(t, name) {
  t.after(() => driver.db(name).dropDatabase())
}

/**
 * A tenant in `layout` holding `oldShape()` documents, and its collection (through the
 * binding: confined in the `shared` layout).
 *
 * @param {import('node:test').TestContext} t
 * @param {TenantManager} manager
 * @param {Layout} layout
 * @param {string} [prefix]
 */
async function tenantWithDocs(t, manager, layout, prefix = 'Migrated') {
  const tenant = await manager.createTenant(uniqueName(prefix), uniqueEmail(), PASSWORD, { layout })
  if (layout === 'database') dropAfter(t, tenant.database)
  const collection = await manager.adminCollection(tenant.name, driver)
  await collection.insertMany(oldShape())
  return { tenant, collection }
}

/**
 * The documents of a tenant's collection, by `k`, without `_id`.
 *
 * @param {import('../index.js').TenantDataCollection} collection
 */
function documents(collection) {
  return collection.find({}, { projection: { _id: 0 } }).sort({ k: 1 }).toArray()
}

/**
 * The names of the indexes of a tenant's physical collection.
 *
 * @param {import('../index.js').Tenant} tenant
 */
async function indexNames(tenant) {
  const indexes = await driver.db(tenant.database).collection(tenant.collectionName).indexes()
  return indexes.map((i) => i.name)
}

for (const layout of LAYOUTS) {
  test(`every kind applies once, in order, in the ${layout} layout; bystanders are untouched`, async (t) => {
    const { manager } = await freshManager(t, { deletedRetentionSeconds: HOUR })
    const a = await tenantWithDocs(t, manager, layout)
    const b = await tenantWithDocs(t, manager, layout)
    // A softly deleted tenant (not active: not migrated) and a collection no tenant owns,
    // beside the tenants' data, holding the old shape too.
    const gone = await tenantWithDocs(t, manager, layout, 'Deleted')
    await manager.adminDeleteTenant(gone.tenant.name)
    const foreign = driver.db(a.tenant.database).collection(`foreign_${layout}`)
    await foreign.insertMany(oldShape())

    /** @type {string[]} */
    const asyncCalls = []
    /** @type {MigrationTenant[]} */
    const syncCalls = []
    manager.setSchema({
      indexes: [{ collection: 'data', keys: { email: 1 }, options: { unique: true, name: 'email_1' } }],
      migrations: [
        ...declarative(),
        { id: '008', function: touch(asyncCalls), version: '1' },
        // Synchronous: its return value is not a promise.
        {
          id: '009',
          function: (tenant) => {
            syncCalls.push(tenant)
          },
          version: '1',
        },
      ],
    })
    const report = await manager.migrate({ parallelism: 2 })
    assert.deepEqual(report, { tenants: 2, applied: 18, upToDate: 0, notStarted: 0, failed: [] })

    for (const { tenant, collection } of [a, b]) {
      assert.deepEqual(await documents(collection), newShape(tenant.name), tenant.name)
      const names = await indexNames(tenant)
      assert.ok(names.includes('k_1') && !names.includes('plan_1'), names.join())
    }
    assert.deepEqual(asyncCalls.sort(), [a.tenant.id, b.tenant.id].sort())
    // The tenant a function is called with: its id, name, cluster and collections.
    const seen = syncCalls.map((tenant) => [tenant.tenantId, tenant.name, tenant.cluster])
    assert.deepEqual(
      seen.sort(),
      [
        [a.tenant.id, a.tenant.name, 'home'],
        [b.tenant.id, b.tenant.name, 'home'],
      ].sort(),
    )
    const called = /** @type {MigrationTenant} */ (syncCalls.find((tenant) => tenant.tenantId === a.tenant.id))
    assert.ok(Object.isFrozen(called))
    assert.equal(called.collection(driver).collectionName, a.tenant.collectionName)
    assert.deepEqual(await documents(gone.collection), oldShape(), 'a deleted tenant is not migrated')
    assert.deepEqual(await foreign.find({}, { projection: { _id: 0 } }).sort({ k: 1 }).toArray(), oldShape())
    // The schema's own indexes are made at create: not by migrate.
    if (layout !== 'shared') assert.ok(!(await indexNames(a.tenant)).includes('email_1'))

    // A second run applies nothing and calls no function.
    const again = await manager.migrate()
    assert.deepEqual(again, { tenants: 2, applied: 0, upToDate: 2, notStarted: 0, failed: [] })
    assert.equal(asyncCalls.length + syncCalls.length, 4)

    // A tenant created now is born migrated: its indexes made, no function called.
    const born = await tenantWithDocs(t, manager, layout, 'Born')
    assert.ok((await indexNames(born.tenant)).includes('email_1'))
    assert.deepEqual(await documents(born.collection), oldShape(), 'born with the schema: nothing to migrate')
    const third = await manager.migrate()
    assert.deepEqual(third, { tenants: 3, applied: 0, upToDate: 3, notStarted: 0, failed: [] })
    assert.equal(asyncCalls.length + syncCalls.length, 4)
  })
}

test('a failing function fails its tenant only; the next run takes it up at that migration', async (t) => {
  const { manager } = await freshManager(t)
  const tenants = []
  for (let i = 0; i < 3; i++) tenants.push(await tenantWithDocs(t, manager, 'collection'))
  const [bad, ...good] = tenants
  let failing = true
  /** @type {string[]} */
  const before = []
  manager.setSchema({
    migrations: [
      { id: '001', function: touch(before), version: '1' },
      {
        id: '002',
        function: async (tenant) => {
          await sleep(10)
          if (failing && tenant.name === bad.tenant.name) throw new TypeError('no plan for this one')
        },
        version: '1',
      },
      { id: '003', set_default: { collection: 'data', field: 'since', value: SINCE } },
    ],
  })
  const report = await manager.migrate()
  assert.equal(report.applied, 3 + 3 + 1)
  assert.equal(report.notStarted, 0)
  assert.deepEqual(report.failed, [
    {
      tenantId: bad.tenant.id,
      name: bad.tenant.name,
      migration: '002',
      code: 'INTERNAL',
      message: 'internal error: TypeError: no plan for this one',
    },
  ])
  // Its first migration stays applied, the one after the failure is not; the others are
  // whole.
  const [first] = await documents(bad.collection)
  assert.equal(/** @type {any} */ (first).touched, bad.tenant.name)
  assert.ok(!('since' in first))
  for (const { tenant, collection } of good) {
    assert.ok((await documents(collection)).every((d) => /** @type {any} */ (d).since instanceof Date), tenant.name)
  }

  failing = false
  const retry = await manager.migrate()
  assert.deepEqual(retry, { tenants: 3, applied: 2, upToDate: 2, notStarted: 0, failed: [] })
  assert.equal(before.length, 3, 'the migration applied before the failure is not run again')
  assert.ok((await documents(bad.collection)).every((d) => /** @type {any} */ (d).since instanceof Date))
})

test('stopOnFailure starts no tenant after a failure', async (t) => {
  const { manager } = await freshManager(t)
  const tenants = []
  for (let i = 0; i < 3; i++) tenants.push(await tenantWithDocs(t, manager, 'collection'))
  /** @type {string[]} */
  const called = []
  manager.setSchema({
    migrations: [
      { id: '001', set_default: { collection: 'data', field: 'since', value: SINCE } },
      {
        id: '002',
        function: (tenant) => {
          called.push(tenant.name)
          return Promise.reject(new RangeError('out of range'))
        },
        version: '1',
      },
    ],
  })
  // One tenant at a time, in creation order: the first fails, the others do not start.
  const report = await manager.migrate({ parallelism: 1, stopOnFailure: true })
  assert.equal(report.tenants, 3)
  assert.equal(report.applied, 1)
  assert.equal(report.notStarted, 2)
  assert.deepEqual(
    report.failed.map((f) => [f.name, f.migration, f.code, f.message]),
    [[tenants[0].tenant.name, '002', 'INTERNAL', 'internal error: RangeError: out of range']],
  )
  assert.deepEqual(called, [tenants[0].tenant.name])
  for (const { collection } of tenants.slice(1)) assert.deepEqual(await documents(collection), oldShape())

  // Without it, every tenant is tried.
  const all = await manager.migrate({ parallelism: 1 })
  assert.equal(all.failed.length, 3)
  assert.equal(all.applied, 2)
})

test("a tenantry error thrown in a function keeps its code; any other is INTERNAL naming it", async (t) => {
  const { manager } = await freshManager(t)
  const conflict = await tenantWithDocs(t, manager, 'collection', 'Conflict')
  const invalid = await tenantWithDocs(t, manager, 'collection', 'Invalid')
  const thrower = await tenantWithDocs(t, manager, 'collection', 'Thrower')
  /** @type {string[]} */
  const messages = []
  manager.setSchema({
    migrations: [
      {
        id: 'fn',
        function: async (tenant) => {
          if (tenant.name === conflict.tenant.name) throw new ConflictError('the catalog is being rebuilt')
          if (tenant.name === invalid.tenant.name) {
            try {
              // A collection the `collection` layout does not have: the core's refusal.
              tenant.collection(driver, 'other')
            } catch (err) {
              messages.push(/** @type {Error} */ (err).message)
              throw err
            }
          }
          // Not an Error at all.
          throw 'plain string'
        },
        version: '1',
      },
    ],
  })
  const { failed } = await manager.migrate()
  const byName = Object.fromEntries(failed.map((f) => [f.name, [f.code, f.message]]))
  assert.deepEqual(byName[conflict.tenant.name], ['CONFLICT', 'the catalog is being rebuilt'])
  assert.equal(messages.length, 1)
  assert.match(messages[0], /^invalid collection/)
  assert.deepEqual(byName[invalid.tenant.name], ['INVALID_INPUT', messages[0]])
  assert.deepEqual(byName[thrower.tenant.name], ['INTERNAL', "internal error: a migration function threw 'plain string'"])
})

test('a dry run says what would run and writes nothing', async (t) => {
  const { manager, db } = await freshManager(t)
  const a = await tenantWithDocs(t, manager, 'shared')
  const b = await tenantWithDocs(t, manager, 'collection')
  /** @type {string[]} */
  const calls = []
  manager.setSchema({ migrations: [...declarative(), { id: '008', function: touch(calls), version: '1' }] })
  const dry = await manager.migrate({ dryRun: true })
  assert.deepEqual(dry, { tenants: 2, applied: 16, upToDate: 0, notStarted: 0, failed: [] })
  assert.deepEqual(calls, [])
  assert.equal(await db.collection('tenant_migrations').countDocuments(), 0)
  for (const { tenant, collection } of [a, b]) {
    assert.deepEqual(await documents(collection), oldShape())
    assert.ok(!(await indexNames(tenant)).includes('k_1'))
  }
  const real = await manager.migrate()
  assert.equal(real.applied, 16)
  assert.deepEqual(await documents(a.collection), newShape(a.tenant.name))
})

test('onProgress hears each tenant once, before the promise settles; its failures do not stop the run', async (t) => {
  const { manager } = await freshManager(t)
  for (let i = 0; i < 4; i++) await tenantWithDocs(t, manager, 'collection')
  manager.setSchema({ migrations: [{ id: '001', function: touch(), version: '1' }] })
  /** @type {[number, number][]} */
  const heard = []
  const report = await manager.migrate({ parallelism: 3, onProgress: (done, total) => heard.push([done, total]) })
  assert.equal(report.applied, 4)
  assert.deepEqual(
    heard.sort((x, y) => x[0] - y[0]),
    [
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ],
  )

  // A callback that throws becomes a warning; the run goes on.
  /** @type {string[]} */
  const warnings = []
  const onWarning = (/** @type {Error} */ w) => {
    if (w.name === 'TenantryWarning') warnings.push(w.message)
  }
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  const again = await manager.migrate({
    onProgress: () => {
      throw new Error('listener bug')
    },
  })
  assert.equal(again.upToDate, 4)
  await sleep(10)
  assert.equal(warnings.length, 4)
  assert.match(warnings[0], /a migration's progress callback failed \(the migration goes on\).*listener bug/s)
  const notAFunction = await rejection(manager.migrate({ onProgress: /** @type {any} */ ('often') }))
  assert.ok(notAFunction instanceof TypeError)
})

test('a migration changed after it was applied fails with CONFLICT', async (t) => {
  const { manager } = await freshManager(t)
  const a = await tenantWithDocs(t, manager, 'database')
  manager.setSchema({
    migrations: [
      { id: '001', set_default: { collection: 'data', field: 'plan', value: 'free' } },
      { id: '002', function: () => {}, version: '1' },
    ],
  })
  assert.equal((await manager.migrate()).applied, 2)

  // Another default for 001, then another version of 002's function.
  for (const [changed, migrations] of /** @type {[string, Migration[]][]} */ ([
    [
      '001',
      [
        { id: '001', set_default: { collection: 'data', field: 'plan', value: 'paid' } },
        { id: '002', function: () => {}, version: '1' },
      ],
    ],
    [
      '002',
      [
        { id: '001', set_default: { collection: 'data', field: 'plan', value: 'free' } },
        { id: '002', function: () => {}, version: '2' },
      ],
    ],
  ])) {
    manager.setSchema({ migrations })
    const { failed } = await manager.migrate()
    assert.equal(failed.length, 1)
    const [f] = failed
    assert.deepEqual([f.tenantId, f.migration, f.code], [a.tenant.id, changed, 'CONFLICT'])
    assert.match(f.message, /was changed after it was applied/)
  }
  // The same function under a new body but the same version is the same migration.
  manager.setSchema({
    migrations: [
      { id: '001', set_default: { collection: 'data', field: 'plan', value: 'free' } },
      { id: '002', function: async () => {}, version: '1' },
    ],
  })
  assert.deepEqual((await manager.migrate()).failed, [])
})

test('bad declarations throw InvalidInputError (field schema) and leave the schema in force', async (t) => {
  const { manager } = await freshManager(t)
  await tenantWithDocs(t, manager, 'collection')
  manager.setSchema({ migrations: [{ id: '001', set_default: { collection: 'data', field: 'plan', value: 'free' } }] })
  const fn = () => {}
  /** @type {[unknown, RegExp][]} */
  const cases = [
    [null, /must be an object/],
    ['{"migrations":[]}', /must be an object/],
    [{ migrations: [{ id: '1', function: 'run me', version: '1' }] }, /'function' must be a function/],
    [{ migrations: [{ id: '1', function: fn }] }, /'version' must be a string/],
    [{ migrations: [{ id: '1', function: fn, version: 1 }] }, /'version' must be a string/],
    [{ migrations: [{ id: '1', explode: { collection: 'data' } }] }, /unknown kind 'explode'/],
    [{ migrations: [{ id: '1', rename_field: { collection: 'data', from: 'a' } }] }, /'to' must be a string/],
    [{ migrations: [{ create_index: { collection: 'data', keys: { a: 1 } } }] }, /'id' must be a string/],
    [
      {
        migrations: [
          { id: '1', drop_index: { collection: 'data', name: 'a_1' } },
          { id: '1', drop_index: { collection: 'data', name: 'b_1' } },
        ],
      },
      /'1' is declared twice/,
    ],
    [
      {
        migrations: [
          { id: '1', function: fn, version: '1' },
          { id: '1', function: fn, version: '1' },
        ],
      },
      /'1' is declared twice/,
    ],
    [{ migrations: { id: '1' } }, /'migrations' must be an array/],
    [{ migration: [] }, /unknown member 'migration'/],
    [{ indexes: [{ collection: 'data' }] }, /'keys' must be an object/],
  ]
  for (const [schema, why] of cases) {
    const err = thrown(() => manager.setSchema(/** @type {any} */ (schema)))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(schema)}: ${err}`)
    assert.equal(err.field, 'schema', JSON.stringify(schema))
    assert.match(err.message, why)
    assert.match(err.message, /^invalid schema: /)
    assert.match(String(err.stack).split('\n')[1], /migrations\.test\.mjs/, "the caller's stack")
  }
  // The schema declared before the bad ones is still the one in force.
  assert.equal((await manager.migrate()).applied, 1)
  // Any id works, `__proto__` too.
  manager.setSchema({ migrations: [{ id: '__proto__', function: () => {}, version: '1' }] })
  assert.deepEqual(await manager.migrate(), { tenants: 1, applied: 1, upToDate: 0, notStarted: 0, failed: [] })
})

test('migrate without a schema, or with a bad parallelism, rejects with InvalidInputError', async (t) => {
  const { manager } = await freshManager(t)
  const none = await rejection(manager.migrate())
  assert.ok(none instanceof InvalidInputError)
  assert.equal(none.field, 'schema')
  manager.setSchema({})
  assert.deepEqual(await manager.migrate(), { tenants: 0, applied: 0, upToDate: 0, notStarted: 0, failed: [] })
  for (const parallelism of [0, 257, -1, 1.5]) {
    const err = await rejection(manager.migrate({ parallelism }))
    assert.ok(err instanceof InvalidInputError, String(parallelism))
    assert.equal(err.field, 'parallelism')
  }
  const notAnObject = await rejection(manager.migrate(/** @type {any} */ ('dry_run=true')))
  assert.ok(notAnObject instanceof TypeError)
})

test('schemaFile declares the schema at connect', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantry-schema-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'schema.json')
  fs.writeFileSync(
    file,
    JSON.stringify({
      migrations: [
        { id: '001', rename_field: { collection: 'data', from: 'mail', to: 'email' } },
        { id: '002', set_default: { collection: 'data', field: 'since', value: { $date: SINCE.toISOString() } } },
      ],
    }),
  )
  const masterDb = uniqueDb()
  const first = await freshManager(t, { masterDb })
  const old = await tenantWithDocs(t, first.manager, 'collection')
  const { manager } = await freshManager(t, { masterDb, schemaFile: file })
  assert.equal(manager.settings.schemaFile, file)
  assert.equal((await manager.migrate()).applied, 2)
  const [migrated] = await documents(old.collection)
  assert.equal(/** @type {any} */ (migrated).email, 'a@x.io')
  assert.deepEqual(/** @type {any} */ (migrated).since, SINCE)

  fs.writeFileSync(file, '{ "migrations": [ { "id": "1", "explode": {} } ] }')
  const bad = await rejection(freshManager(t, { schemaFile: file }))
  assert.ok(bad instanceof ConfigError)
  assert.match(bad.message, /schemaFile/)
  const missing = await rejection(freshManager(t, { schemaFile: path.join(dir, 'nowhere.json') }))
  assert.ok(missing instanceof ConfigError)
})

test('the Express glue parses the migrate query and answers the report as the core does', async (t) => {
  assert.deepEqual(migrateOptions('dry_run=true&parallelism=8'), { parallelism: 8, dryRun: true, stopOnFailure: false })
  assert.deepEqual(migrateOptions(''), { dryRun: false, stopOnFailure: false })
  const bad = /** @type {RequestValidationError} */ (
    /** @type {unknown} */ (thrown(() => migrateOptions('stop_on_failure=yes&parallelism=-1&dry_run=1')))
  )
  assert.ok(bad instanceof RequestValidationError)
  assert.deepEqual(
    bad.problems.map((p) => [p.field, p.kind]),
    [
      ['dry_run', 'value_error'],
      ['parallelism', 'value_error'],
      ['stop_on_failure', 'value_error'],
    ],
  )

  const { manager } = await freshManager(t)
  const a = await tenantWithDocs(t, manager, 'collection')
  await tenantWithDocs(t, manager, 'collection')
  manager.setSchema({
    migrations: [
      {
        id: 'only-a',
        function: (tenant) => {
          if (tenant.name === a.tenant.name) throw new Error('not this one')
        },
        version: '1',
      },
    ],
  })
  const report = await manager.migrate(migrateOptions('parallelism=2'))
  assert.deepEqual(migrateReportBody(report), {
    tenants: 2,
    applied: 1,
    up_to_date: 0,
    not_started: 0,
    failed: [
      {
        organization_id: a.tenant.id,
        organization_name: a.tenant.name,
        migration: 'only-a',
        code: 'INTERNAL',
        message: 'internal error: Error: not this one',
      },
    ],
  })
  // The body is the core's, kept with the report `migrate` returned: a copy has none.
  const copy = thrown(() => migrateReportBody({ ...report }))
  assert.ok(copy instanceof InvalidInputError)
  assert.equal(copy.field, 'report')
})
