// @ts-check
// Data safety through the binding: notes written with the application's own `mongodb`
// driver to the collection name the library gave out all survive renames (a write to the
// old name is refused, then re-resolved, never left in an orphan collection); operations
// whose promises the caller stopped waiting for still complete; recovery reports each
// failure; the client address behind proxies.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { PASSWORD, closeDriver, driver, freshManager, rejection, tenantWithAdmin, thrown, uniqueName } from './helpers.mjs'

after(closeDriver)

test('notes written by name during renames all land in the final collection', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, claims } = await tenantWithAdmin(manager)
  let stop = false
  /** @type {string[]} */
  const acknowledged = []
  let refused = 0
  const writer = (async () => {
    let { collectionName } = await manager.tenantCollection(claims)
    for (let i = 0; !stop; i++) {
      try {
        await driver.db(db.databaseName).collection(collectionName).insertOne({ _id: /** @type {any} */ (`note-${i}`) })
        acknowledged.push(`note-${i}`)
      } catch (err) {
        assert.equal(/** @type {any} */ (err).code, 121, String(err)) // the tombstone at the old name
        refused++
        ;({ collectionName } = await manager.tenantCollection(claims))
        i--
      }
    }
  })()
  let name = tenant.name
  for (let round = 0; round < 10; round++) {
    await sleep(10)
    const next = uniqueName(`Notes ${round}`)
    await manager.renameTenant(claims, next)
    name = next
  }
  await sleep(20)
  stop = true
  await writer
  // As in core/tests/online_rename.rs: a write the test server let into a tombstone while
  // its validator was being put in place (it is not atomic there) is moved by recovery.
  const report = await manager.recover()
  const final = (await manager.getTenant(name)).collectionName
  const stored = new Set((await db.collection(final).find().toArray()).map((d) => String(d._id)))
  const lost = acknowledged.filter((id) => !stored.has(id))
  assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged notes lost`)
  assert.ok(acknowledged.length > 0 && refused > 0, `${acknowledged.length} written, ${refused} refused`)
  assert.deepEqual(report.orphanCollections, [], 'no collection nobody owns')
})

/**
 * Until no operation is in flight and no key is garbage, twice in a row.
 *
 * @param {import('mongodb').Db} db
 */
async function settled(db) {
  let quiet = 0
  for (let i = 0; i < 300; i++) {
    const busy = await db.collection('organizations').countDocuments({ op: { $exists: true } })
    const keys = await db.collection('tenant_keys').countDocuments()
    const expected =
      2 * (await db.collection('organizations').countDocuments()) + (await db.collection('admin_users').countDocuments())
    quiet = busy === 0 && keys === expected ? quiet + 1 : 0
    if (quiet === 2) return
    await sleep(100)
  }
  assert.fail('operations still in flight after 30 s')
}

test('operations whose caller stopped waiting still complete', async (t) => {
  const { manager, db } = await freshManager(t)
  const email = 'patient@safety.io'
  let name = uniqueName('Patient')
  await manager.createTenant(name, email, PASSWORD)
  let gaveUp = 0
  for (let round = 0; round < 15; round++) {
    const claims = await manager.verifyToken((await manager.authenticate(email, PASSWORD)).accessToken)
    const next = uniqueName(`Patient ${round}`)
    const op =
      round % 3 === 2
        ? manager.deleteTenant(claims)
        : round % 3 === 1
          ? manager.createTenant(uniqueName('Other'), `other${round}@safety.io`, PASSWORD)
          : manager.renameTenant(claims, next)
    op.catch(() => {})
    const timedOut = await Promise.race([op.then(() => false, () => false), sleep(round % 4).then(() => true)])
    if (timedOut) gaveUp++
    await settled(db)
    const records = await db.collection('organizations').find().toArray()
    for (const r of records) assert.equal(r.state, 'active')
    const current = records.find((r) => r.admin_email === email)
    if (current) {
      name = current.organization_name
    } else {
      // Deleted: bring it back for the next rounds.
      name = next
      await manager.createTenant(name, email, PASSWORD)
    }
  }
  assert.ok(gaveUp > 3, `${gaveUp}`)
})

test('recover reports each tenant it could not fix and recovers the rest', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant } = await tenantWithAdmin(manager)
  await db
    .collection('organizations')
    .updateOne({ organization_name: tenant.name }, { $set: { state: 'updating', op: { unreadable: true } } })
  const report = await manager.recover()
  assert.deepEqual(
    report.failed.map((f) => [f.tenantId, f.code]),
    [[tenant.id, 'INTERNAL']],
  )
  assert.equal(report.sweptKeys, 0)
  assert.equal(report.sweptTombstones, 0)
  await manager.ping()
})

test('clientAddress believes X-Forwarded-For only from trusted proxies', async (t) => {
  const { manager } = await freshManager(t)
  assert.equal(manager.clientAddress('10.0.0.5', '203.0.113.9'), '10.0.0.5')
  assert.equal(manager.clientAddress('::ffff:10.0.0.5'), '10.0.0.5')
  assert.equal(thrown(() => manager.clientAddress('nope')).code, 'INVALID_INPUT')
})

test('a database that cannot be reached fails fast and shows nothing of itself', async () => {
  const { TenantManager } = await import('../index.js')
  const err = await rejection(
    TenantManager.connect({
      mongoUri: 'mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=500',
      jwtSecret: 'node-binding-tests-secret-0123456789',
    }),
  )
  assert.equal(err.code, 'DATABASE')
  for (const leak of ['127.0.0.1', 'Topology', 'directConnection']) assert.ok(!err.message.includes(leak), err.message)
})
