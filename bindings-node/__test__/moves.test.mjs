// @ts-check
// Online moves through the binding: `moveTenant` between every pair of layouts on the home
// server (and to another cluster), its progress reports (a callback on the JS thread that
// can neither stall nor break the move, or an async iterator), its typed errors, and
// `checkOperator`.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'

import { MongoClient, ObjectId } from 'mongodb'

import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  TenantNotFoundError,
  UnauthorizedError,
} from '../index.js'
import {
  JWT_SECRET,
  MONGODB_URI,
  binding,
  closeDriver,
  driver,
  freshManager,
  rejection,
  tenantWithAdmin,
  thrown,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

/** The second server of the multi-cluster tests, or the first one under another name. */
const EAST_URI = process.env.MONGODB_URI_2 || MONGODB_URI

const OPERATOR_TOKEN = 'node-operator-token-0123456789'

const LAYOUTS = /** @type {const} */ (['collection', 'database', 'shared'])

/** @typedef {import('../index.js').MoveProgress} MoveProgress */
/** @typedef {import('../index.js').Tenant} Tenant */
/** @typedef {(typeof LAYOUTS)[number]} Layout */

/**
 * A tenant in `layout` holding `count` documents in its default collection, with its admin
 * and the documents; its own database (if it gets one, now or after a move) is dropped
 * when the test ends.
 *
 * @param {import('node:test').TestContext} t
 * @param {import('../index.js').TenantManager} manager
 * @param {Layout} layout
 * @param {number} count
 */
async function tenantWithData(t, manager, layout, count) {
  const admin = await tenantWithAdmin(manager, uniqueName(layout), { layout })
  t.after(() => driver.db(`tenant_${admin.tenant.id}`).dropDatabase())
  const docs = Array.from({ length: count }, (_, n) => ({ _id: new ObjectId(), n, layout }))
  if (docs.length > 0) await manager.collection(admin.claims, driver).insertMany(docs)
  return { ...admin, docs }
}

/**
 * The tenant's documents still where `tenant` (as it was before the move) had them.
 *
 * @param {Tenant} tenant
 */
function leftInSource(tenant) {
  const source = driver.db(tenant.database).collection(tenant.collectionName)
  return source.countDocuments(tenant.layout === 'shared' ? { _tenant: new ObjectId(tenant.id) } : {})
}

/**
 * What a move reports: the copy from nothing to everything, its catch-up, then done.
 *
 * @param {MoveProgress[]} reports
 * @param {number} total
 */
function checkReports(reports, total) {
  const phases = reports.map((r) => r.phase)
  assert.equal(phases[0], 'copy', phases.join())
  assert.equal(phases.at(-1), 'done', phases.join())
  assert.equal(phases.filter((p) => p === 'done').length, 1, phases.join())
  assert.deepEqual(new Set(phases), new Set(['copy', 'catch-up', 'done']), phases.join())
  const working = reports.slice(0, -1)
  assert.deepEqual([working[0].copied, working[0].total], [0, total])
  const copied = working.map((r) => r.copied)
  assert.deepEqual(copied, [...copied].sort((a, b) => a - b), 'copied only grows')
  const last = /** @type {MoveProgress} */ (working.at(-1))
  assert.equal(last.phase, 'catch-up')
  assert.deepEqual([last.copied, last.total], [total, total], 'copied reaches total')
  for (const r of reports) {
    assert.deepEqual(Object.keys(r).sort(), ['copied', 'eta', 'phase', 'rate', 'total'])
    assert.ok(r.copied <= r.total && r.rate >= 0, JSON.stringify(r))
    assert.ok(r.eta === null || r.eta >= 0, JSON.stringify(r))
  }
  const done = /** @type {MoveProgress} */ (reports.at(-1))
  assert.deepEqual([done.phase, done.copied, done.total], ['done', total, total], 'done repeats the counts')
}

/**
 * Check that `moved` is `before` in `layout` with the same documents, none left behind.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {{ tenant: Tenant, email: string, docs: object[] }} before
 * @param {Tenant} moved
 * @param {Layout} layout
 * @param {import('mongodb').MongoClient} [client] the target cluster's client
 */
async function checkMoved(manager, before, moved, layout, client = driver) {
  const { tenant } = before
  assert.deepEqual([moved.id, moved.name, moved.adminId, moved.layout], [tenant.id, tenant.name, tenant.adminId, layout])
  assert.deepEqual(await manager.getTenant(tenant.name), moved)
  // The admin's token still verifies, and its claims say where the data is now.
  const claims = await manager.verifyToken((await manager.authenticate(before.email, 'securepassword123')).accessToken)
  assert.deepEqual([claims.layout, claims.database, claims.collectionName], [layout, moved.database, moved.collectionName])
  const data = manager.collection(claims, client)
  assert.deepEqual(await data.find({}).sort({ _id: 1 }).toArray(), before.docs)
  assert.equal(await leftInSource(tenant), 0, 'the source is emptied')
}

for (const source of LAYOUTS) {
  for (const target of LAYOUTS) {
    if (source === target) continue
    test(`moveTenant: ${source} -> ${target}, every report handed to the callback`, async (t) => {
      const { manager } = await freshManager(t)
      const before = await tenantWithData(t, manager, source, 2500)
      /** @type {MoveProgress[]} */
      const reports = []
      // Any spelling of the name, as getTenant.
      const moved = await manager.moveTenant(before.tenant.name.toUpperCase(), { layout: target }, (p) => {
        reports.push(p)
      })
      // The promise settles after the callback has had every report.
      checkReports(reports, before.docs.length)
      await checkMoved(manager, before, moved, target)
      assert.equal(moved.cluster, 'home')
    })
  }
}

test('moveTenant without a callback, and a tenant with no documents', async (t) => {
  const { manager } = await freshManager(t)
  const empty = await tenantWithData(t, manager, 'collection', 0)
  const moved = await manager.moveTenant(empty.tenant.name, { layout: 'shared' })
  await checkMoved(manager, empty, moved, 'shared')
  /** @type {MoveProgress[]} */
  const reports = []
  const back = await manager.moveTenant(empty.tenant.name, { layout: 'database' }, (p) => reports.push(p))
  assert.equal(back.layout, 'database')
  checkReports(reports, 0)
})

test('moveTenantProgress: an async iterator of the reports, ending with the move', async (t) => {
  const { manager } = await freshManager(t)
  const before = await tenantWithData(t, manager, 'collection', 2500)
  /** @type {MoveProgress[]} */
  const reports = []
  for await (const progress of manager.moveTenantProgress(before.tenant.name, { layout: 'database' })) {
    reports.push(progress)
  }
  checkReports(reports, before.docs.length)
  const moved = await manager.getTenant(before.tenant.name)
  await checkMoved(manager, before, moved, 'database')

  // Stepped by hand, the iteration's return value is the moved tenant.
  const steps = manager.moveTenantProgress(before.tenant.name, { layout: 'shared' })
  /** @type {IteratorResult<MoveProgress, Tenant>} */
  let step
  let count = 0
  while (!(step = await steps.next()).done) count += 1
  assert.ok(count >= 3, `${count} reports`)
  assert.deepEqual(step.value, await manager.getTenant(before.tenant.name))
  assert.equal(step.value.layout, 'shared')
  assert.deepEqual(await steps.next(), { done: true, value: undefined })
})

test('moveTenantProgress: nothing starts before the first step; a loop left early leaves the move going', async (t) => {
  const { manager } = await freshManager(t)
  const before = await tenantWithData(t, manager, 'shared', 2500)
  const unused = manager.moveTenantProgress(before.tenant.name, { layout: 'database' })
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal((await manager.getTenant(before.tenant.name)).layout, 'shared', 'not started')
  await unused.return(/** @type {any} */ (undefined))

  for await (const progress of manager.moveTenantProgress(before.tenant.name, { layout: 'database' })) {
    assert.equal(progress.phase, 'copy')
    break
  }
  const deadline = Date.now() + 30_000
  while ((await manager.getTenant(before.tenant.name)).layout !== 'database') {
    assert.ok(Date.now() < deadline, 'the move did not end')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // The record switches before the source is emptied: let the move finish its last steps.
  while ((await leftInSource(before.tenant)) > 0) {
    assert.ok(Date.now() < deadline, 'the source was not emptied')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await checkMoved(manager, before, await manager.getTenant(before.tenant.name), 'database')
})

test('moveTenantProgress throws the move\'s error, with the caller\'s stack', async (t) => {
  const { manager } = await freshManager(t)
  const iteration = manager.moveTenantProgress(uniqueName('Nobody'), { layout: 'shared' })
  const err = await rejection(
    (async () => {
      for await (const _ of iteration) assert.fail('no report from a move that cannot start')
    })(),
  )
  assert.ok(err instanceof TenantNotFoundError, String(err))
  assert.match(String(err.stack), /moves\.test\.mjs/)
  const { tenant } = await tenantWithAdmin(manager)
  const bad = await rejection(manager.moveTenantProgress(tenant.name, { layout: /** @type {any} */ ('tables') }).next())
  assert.ok(bad instanceof InvalidInputError)
  assert.equal(bad.field, 'layout')
})

test('a callback that throws, or returns a rejected promise, never breaks the move', async (t) => {
  const { manager } = await freshManager(t)
  /** @type {string[]} */
  const warnings = []
  const onWarning = (/** @type {Error} */ w) => {
    if (w.name === 'TenantryWarning') warnings.push(w.message)
  }
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))

  const before = await tenantWithData(t, manager, 'collection', 1500)
  let calls = 0
  const moved = await manager.moveTenant(before.tenant.name, { layout: 'database' }, () => {
    calls += 1
    throw new Error(`thrown from report ${calls}`)
  })
  await checkMoved(manager, before, moved, 'database')
  let rejected = 0
  const back = await manager.moveTenant(before.tenant.name, { layout: 'shared' }, async () => {
    rejected += 1
    throw new Error('rejected')
  })
  assert.equal(back.layout, 'shared')
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(calls >= 4 && rejected >= 4, `${calls}, ${rejected}`)
  assert.equal(warnings.length, calls + rejected)
  assert.match(warnings[0], /the move goes on.*thrown from report 1/s)

  // The native layer itself survives a throwing callback (the package's wrapper aside).
  const native = /** @type {any} */ (binding).TenantManager
  const inner = await native.connect({ mongoUri: MONGODB_URI, jwtSecret: JWT_SECRET, masterDb: manager.masterDb })
  t.after(() => inner.close())
  let nativeCalls = 0
  const again = await inner.moveTenant(before.tenant.name, { layout: 'collection' }, () => {
    nativeCalls += 1
    throw new Error('thrown past the wrapper')
  })
  assert.equal(again.layout, 'collection')
  assert.ok(nativeCalls >= 4, String(nativeCalls))
  assert.deepEqual(await manager.getTenant(before.tenant.name), again)
})

test('a slow callback never stalls the move', async (t) => {
  const { manager } = await freshManager(t)
  const before = await tenantWithData(t, manager, 'collection', 2500)
  const blockMs = 3000
  /** @type {MoveProgress[]} */
  const reports = []
  const moved = await manager.moveTenant(before.tenant.name, { layout: 'database' }, (p) => {
    // The first report holds the JS thread; the move goes on on the runtime's threads.
    if (reports.length === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs)
    reports.push(p)
  })
  checkReports(reports, before.docs.length)
  // The catch-up report's rate says how long after its start the move got there.
  const catchUp = /** @type {MoveProgress} */ (reports.find((r) => r.phase === 'catch-up'))
  const reachedAfterMs = (catchUp.copied / catchUp.rate) * 1000
  assert.ok(reachedAfterMs < blockMs, `the copy ended ${reachedAfterMs.toFixed(0)} ms after the move started`)
  await checkMoved(manager, before, moved, 'database')
})

test('moveTenant to another cluster', async (t) => {
  const east = new MongoClient(EAST_URI, { serverSelectionTimeoutMS: 5000 })
  const { manager } = await freshManager(t, { clusters: `east=${EAST_URI}` })
  const before = await tenantWithData(t, manager, 'collection', 1200)
  t.after(async () => {
    await east.db(`tenant_${before.tenant.id}`).dropDatabase()
    await east.close()
  })
  /** @type {MoveProgress[]} */
  const reports = []
  const moved = await manager.moveTenant(before.tenant.name, { cluster: 'east', layout: 'database' }, (p) => reports.push(p))
  assert.equal(moved.cluster, 'east')
  checkReports(reports, before.docs.length)
  await checkMoved(manager, before, moved, 'database', east)
})

test('moveTenant rejects with the core\'s typed errors, and moves nothing', async (t) => {
  const { manager } = await freshManager(t, { clusters: `east=${EAST_URI}` })
  const missing = await rejection(manager.moveTenant(uniqueName('Nobody'), { layout: 'shared' }))
  assert.ok(missing instanceof TenantNotFoundError, String(missing))
  assert.equal(missing.code, 'TENANT_NOT_FOUND')

  const before = await tenantWithData(t, manager, 'collection', 10)
  for (const [target, field] of /** @type {const} */ ([
    [{}, 'target'],
    [null, 'target'],
    [{ layout: 'collection' }, 'target'],
    [{ cluster: 'home' }, 'target'],
    [{ layout: 'tables' }, 'layout'],
    [{ cluster: 'mars' }, 'cluster'],
  ])) {
    const err = await rejection(manager.moveTenant(before.tenant.name, /** @type {any} */ (target), () => assert.fail('a report')))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(target)}: ${err}`)
    assert.equal(err.field, field, JSON.stringify(target))
    assert.match(String(err.stack), /moves\.test\.mjs/)
  }
  assert.deepEqual(await manager.getTenant(before.tenant.name), before.tenant)

  const notAFunction = await rejection(manager.moveTenant(before.tenant.name, { layout: 'shared' }, /** @type {any} */ (3)))
  assert.ok(notAFunction instanceof TypeError, String(notAFunction))
  const wrongType = await rejection(manager.moveTenant(before.tenant.name, /** @type {any} */ ({ layout: 3 })))
  assert.ok(wrongType instanceof TypeError, String(wrongType))
  assert.deepEqual(await manager.getTenant(before.tenant.name), before.tenant)

  // Two moves of one tenant at once: one of them is refused, and the tenant ends where the
  // other took it.
  const bigger = await tenantWithData(t, manager, 'collection', 2500)
  const results = await Promise.allSettled([
    manager.moveTenant(bigger.tenant.name, { layout: 'database' }),
    manager.moveTenant(bigger.tenant.name, { layout: 'shared' }),
  ])
  const refused = results.filter((r) => r.status === 'rejected')
  const done = results.filter((r) => r.status === 'fulfilled')
  assert.equal(refused.length, 1, JSON.stringify(results))
  assert.ok(/** @type {PromiseRejectedResult} */ (refused[0]).reason instanceof ConflictError)
  const winner = /** @type {PromiseFulfilledResult<Tenant>} */ (done[0]).value
  await checkMoved(manager, bigger, winner, /** @type {Layout} */ (winner.layout))
})

test('checkOperator: the configured token passes; another is UnauthorizedError; none configured, ForbiddenError', async (t) => {
  const { manager } = await freshManager(t, { operatorToken: OPERATOR_TOKEN })
  assert.equal(manager.checkOperator(OPERATOR_TOKEN), undefined)
  for (const token of ['', 'nope', `${OPERATOR_TOKEN}x`, OPERATOR_TOKEN.slice(1)]) {
    const err = thrown(() => manager.checkOperator(token))
    assert.ok(err instanceof UnauthorizedError, `${token}: ${err}`)
    assert.equal(err.code, 'UNAUTHORIZED')
    assert.match(String(err.stack), /moves\.test\.mjs/)
  }
  assert.ok(thrown(() => manager.checkOperator(/** @type {any} */ (3))) instanceof TypeError)
  assert.ok(!('operatorToken' in manager.settings), 'the token is not shown')

  const { manager: off } = await freshManager(t)
  const err = thrown(() => off.checkOperator(OPERATOR_TOKEN))
  assert.ok(err instanceof ForbiddenError, String(err))
  assert.equal(err.code, 'FORBIDDEN')
})
