// @ts-check
// Many calls in flight at once through one manager: racing creates of one name or one
// email give exactly one success; concurrent reads all answer; a rename racing a delete
// ends consistent.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'

import { ObjectId } from 'mongodb'

import { PASSWORD, closeDriver, freshManager, tenantWithAdmin, uniqueEmail, uniqueName } from './helpers.mjs'

after(closeDriver)

const RACERS = 20

/**
 * @template T
 * @param {Promise<T>[]} promises
 */
async function settle(promises) {
  const results = await Promise.allSettled(promises)
  const won = results.filter((r) => r.status === 'fulfilled')
  const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
  return { won, lost }
}

test(`${RACERS} racing creates of one name: exactly one succeeds`, async (t) => {
  const { manager, db } = await freshManager(t)
  const name = uniqueName('Race')
  // Different spellings of one name: uniqueness is on the normalized key.
  const spellings = Array.from({ length: RACERS }, (_, i) => (i % 2 ? name.toUpperCase() : name.replaceAll(' ', '-')))
  const { won, lost } = await settle(spellings.map((s) => manager.createTenant(s, uniqueEmail(), PASSWORD)))
  assert.equal(won.length, 1)
  assert.equal(lost.length, RACERS - 1)
  for (const err of lost) assert.equal(err.code, 'TENANT_ALREADY_EXISTS', err.message)
  assert.equal(await db.collection('organizations').countDocuments(), 1)
  assert.equal(await db.collection('admin_users').countDocuments(), 1)
  const orgCollections = (await db.listCollections().toArray()).filter((c) => c.name.startsWith('org_'))
  assert.equal(orgCollections.length, 1, 'no orphan collection')
})

test(`${RACERS} racing creates with one email: exactly one succeeds`, async (t) => {
  const { manager, db } = await freshManager(t)
  const email = uniqueEmail()
  const emails = Array.from({ length: RACERS }, (_, i) => (i % 2 ? email.toUpperCase() : email))
  const { won, lost } = await settle(emails.map((e) => manager.createTenant(uniqueName(), e, PASSWORD)))
  assert.equal(won.length, 1)
  for (const err of lost) assert.equal(err.code, 'TENANT_ALREADY_EXISTS', err.message)
  assert.equal(await db.collection('organizations').countDocuments({ state: { $ne: 'creating' } }), 1)
  const orgCollections = (await db.listCollections().toArray()).filter((c) => c.name.startsWith('org_'))
  assert.equal(orgCollections.length, 1, 'no orphan collection')
})

test('hundreds of concurrent reads and logins all answer correctly', async (t) => {
  const { manager } = await freshManager(t)
  const tenants = await Promise.all(Array.from({ length: 10 }, () => tenantWithAdmin(manager)))
  const reads = Array.from({ length: 300 }, (_, i) => {
    const { tenant } = tenants[i % tenants.length]
    return manager.getTenant(tenant.name).then((got) => assert.equal(got.id, tenant.id))
  })
  const logins = tenants.map(({ email, tenant }) =>
    manager.authenticate(email, PASSWORD).then((token) => assert.equal(token.tenantId, tenant.id)),
  )
  const misses = Array.from({ length: 50 }, () =>
    manager.getTenant(uniqueName('Ghost')).then(
      () => assert.fail('found a ghost'),
      (err) => assert.equal(err.code, 'TENANT_NOT_FOUND'),
    ),
  )
  await Promise.all([...reads, ...logins, ...misses])
})

// Claims are pinned to the record that was authorized, so a rename or delete that raced
// another one is refused instead of acting on a stale read.

/**
 * The tenant collections left in `db` (tombstones left by renames aside: they must be
 * empty), and the record of tenant `id` if it remains.
 *
 * @param {import('mongodb').Db} db
 * @param {string} id
 */
async function leftovers(db, id) {
  const org = await db.collection('organizations').findOne({ _id: ObjectId.createFromHexString(id) })
  const tombstones = (await db.collection('tenant_tombstones').find().toArray()).map((t) => String(t._id))
  for (const name of tombstones) assert.equal(await db.collection(name).countDocuments(), 0, `tombstone ${name}`)
  const collections = (await db.listCollections().toArray())
    .map((c) => c.name)
    .filter((n) => n.startsWith('org_') && !tombstones.includes(n))
  return { org, collections }
}

test('a rename racing a delete ends consistent', async (t) => {
  const { manager, db } = await freshManager(t)
  for (let round = 0; round < 10; round++) {
    const { tenant, claims } = await tenantWithAdmin(manager)
    const [renamed, deleted] = await Promise.allSettled([
      manager.renameTenant(claims, uniqueName('Renamed')),
      manager.deleteTenant(claims),
    ])
    // Exactly one wins; the other is refused as stale or busy.
    assert.equal([renamed, deleted].filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`)
    for (const r of [renamed, deleted]) {
      if (r.status === 'rejected') assert.ok(['CONFLICT', 'FORBIDDEN', 'UNAUTHORIZED'].includes(r.reason.code), r.reason.message)
    }
    const { org, collections } = await leftovers(db, tenant.id)
    // Either gone with its collection, or there under its new name with its collection only.
    assert.equal(Boolean(org), renamed.status === 'fulfilled', `round ${round}`)
    assert.deepEqual(collections, org ? [org.collection_name] : [], `round ${round}`)
    if (org) {
      assert.equal(org.state, 'active')
      const again = await manager.verifyToken((await manager.authenticate(org.admin_email, PASSWORD)).accessToken)
      await manager.deleteTenant(again)
    }
  }
})

test('racing renames of one tenant keep its data', async (t) => {
  const { manager, db } = await freshManager(t)
  for (let round = 0; round < 10; round++) {
    const { tenant, claims } = await tenantWithAdmin(manager)
    await db.collection(tenant.collectionName).insertMany([{ n: 1 }, { n: 2 }])
    const { won, lost } = await settle(['A', 'B', 'C'].map((p) => manager.renameTenant(claims, uniqueName(p))))
    assert.equal(won.length, 1, `round ${round}: one rename wins`)
    for (const err of lost) assert.ok(['CONFLICT', 'FORBIDDEN'].includes(err.code), err.message)
    const { org, collections } = await leftovers(db, tenant.id)
    assert.ok(org)
    assert.deepEqual(collections, [org.collection_name], `round ${round}: one collection`)
    assert.equal(await db.collection(org.collection_name).countDocuments(), 2, `round ${round}: data kept`)
    await manager.deleteTenant(claims)
  }
})
