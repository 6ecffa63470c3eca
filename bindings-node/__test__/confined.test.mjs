// @ts-check
// The shared layout on the application's own `mongodb` driver: two tenants share one
// collection through `ConfinedCollection`, and neither sees nor changes the other's
// documents, whatever its filters, updates, pipelines, cursors, bulk writes and indexes
// say; documents read back carry no stamp; what cannot be confined is not there.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'

import { Long, ObjectId } from 'mongodb'

import { ConfinedCollection, InvalidInputError } from '../index.js'
import { closeDriver, driver, freshManager, rejection, tenantWithAdmin, thrown, uniqueName } from './helpers.mjs'

after(closeDriver)

/**
 * Two tenants of the shared layout, each with a few documents written through its own
 * confined collection, and the raw shared collection to check what is stored.
 *
 * @param {import('node:test').TestContext} t
 */
async function twoTenants(t) {
  const { manager, db } = await freshManager(t)
  const a = await tenantWithAdmin(manager, uniqueName('Alpha'), { layout: 'shared' })
  const b = await tenantWithAdmin(manager, uniqueName('Beta'), { layout: 'shared' })
  const A = manager.collection(a.claims, driver)
  const B = manager.collection(b.claims, driver)
  assert.ok(A instanceof ConfinedCollection && B instanceof ConfinedCollection)
  await A.insertMany([
    { owner: 'a', n: 1 },
    { owner: 'a', n: 2 },
  ])
  await B.insertMany([
    { owner: 'b', n: 1 },
    { owner: 'b', n: 2 },
    { owner: 'b', n: 3 },
  ])
  const raw = db.collection('shared_data')
  const aId = ObjectId.createFromHexString(a.tenant.id)
  const bId = ObjectId.createFromHexString(b.tenant.id)
  const bDoc = await raw.findOne({ _tenant: bId })
  assert.ok(bDoc)
  return { manager, db, a, b, A, B, raw, aId, bId, bDoc }
}

/**
 * Filters that try to reach the other tenant's documents.
 *
 * @param {ObjectId} other
 * @param {unknown} otherDoc
 * @returns {import('mongodb').Filter<any>[]}
 */
const hostile = (other, otherDoc) => [
  { _tenant: other },
  { _id: otherDoc },
  { $or: [{ _tenant: other }, { owner: 'b' }, {}] },
  { $nor: [{ owner: 'a' }] },
  { $expr: { $eq: ['$_tenant', other] } },
  { _tenant: { $exists: true } },
]

/** @param {unknown} doc */
function assertUnstamped(doc) {
  assert.ok(doc && typeof doc === 'object' && !('_tenant' in doc), `stamp read back: ${JSON.stringify(doc)}`)
}

test('reads see the tenant\'s documents only, whatever the filter says', async (t) => {
  const { A, bId, bDoc } = await twoTenants(t)
  assert.deepEqual((await A.find().toArray()).map((d) => d.owner), ['a', 'a'])
  assert.equal(await A.countDocuments(), 2)
  for (const filter of hostile(bId, bDoc._id)) {
    const seen = await A.find(filter).toArray()
    assert.ok(seen.every((d) => d.owner === 'a'), JSON.stringify(filter))
    assert.ok((await A.countDocuments(filter)) <= 2, JSON.stringify(filter))
    const one = await A.findOne(filter)
    assert.ok(one === null || one.owner === 'a', JSON.stringify(filter))
  }
  assert.equal(await A.findOne({ _id: bDoc._id }), null)
  assert.deepEqual((await A.distinct('owner', {})).sort(), ['a'])
  assert.deepEqual(await A.distinct('_tenant', { _tenant: bId }), [])
  // A cursor's later filter (and a clone's) is confined too.
  assert.deepEqual(await A.find().filter({ _tenant: bId }).toArray(), [])
  assert.deepEqual(await A.find().clone().filter({ owner: 'b' }).toArray(), [])
  assert.deepEqual(await A.find().addQueryModifier('$query', { owner: 'b' }).toArray(), [])
})

test('documents read back carry no stamp, whatever the projection asks', async (t) => {
  const { A } = await twoTenants(t)
  for (const doc of await A.find().toArray()) assertUnstamped(doc)
  for (const projection of [{ owner: 1, _tenant: 1 }, { _tenant: 1 }, { n: 0 }, { _id: 0, owner: true }]) {
    for (const doc of await A.find({}, { projection }).toArray()) assertUnstamped(doc)
    for (const doc of await A.find().project(projection).toArray()) assertUnstamped(doc)
    assertUnstamped(await A.findOne({}, { projection }))
  }
  assertUnstamped(await A.findOne({ n: 1 }))
  for (const doc of await A.aggregate([{ $sort: { n: 1 } }]).toArray()) assertUnstamped(doc)
  assertUnstamped(await A.findOneAndUpdate({ n: 1 }, { $set: { seen: true } }, { returnDocument: 'after' }))
  assertUnstamped(await A.findOneAndReplace({ n: 1 }, { owner: 'a', n: 1 }, { returnDocument: 'before' }))
  assertUnstamped(await A.findOneAndDelete({ n: 2 }))
})

test('writes change the tenant\'s documents only', async (t) => {
  const { A, raw, aId, bId, bDoc } = await twoTenants(t)
  const bBefore = await raw.find({ _tenant: bId }).sort({ _id: 1 }).toArray()
  for (const filter of hostile(bId, bDoc._id)) {
    await A.updateMany(filter, { $set: { touched: true } })
    await A.updateOne(filter, { $inc: { n: 100 } })
    await A.replaceOne({ $and: [filter, { owner: 'b' }] }, { owner: 'mine now' })
  }
  assert.equal((await A.updateOne({ _id: bDoc._id }, { $set: { x: 1 } })).matchedCount, 0)
  assert.equal((await A.replaceOne({ _id: bDoc._id }, { x: 1 })).matchedCount, 0)
  assert.equal(await A.findOneAndUpdate({ _id: bDoc._id }, { $set: { x: 1 } }), null)
  assert.equal(await A.findOneAndReplace({ _id: bDoc._id }, { x: 1 }), null)
  assert.equal(await A.findOneAndDelete({ _id: bDoc._id }), null)
  assert.equal((await A.deleteOne({ _id: bDoc._id })).deletedCount, 0)
  assert.equal((await A.deleteMany({ _tenant: bId })).deletedCount, 0)
  assert.equal((await A.deleteMany({ $or: [{ owner: 'b' }, {}] })).deletedCount, 2)
  assert.deepEqual(await raw.find({ _tenant: bId }).sort({ _id: 1 }).toArray(), bBefore, "B's documents are as they were")
  assert.equal(await raw.countDocuments({ _tenant: aId }), 0)
})

test('the stamp cannot be set, changed or removed: InvalidInputError, nothing written', async (t) => {
  const { A, raw, aId, bId } = await twoTenants(t)
  const before = await raw.find().sort({ _id: 1 }).toArray()
  for (const update of /** @type {any[]} */ ([
    { $set: { _tenant: bId } },
    { $set: { '_tenant.x': 1 } },
    { $unset: { _tenant: '' } },
    { $rename: { owner: '_tenant' } },
    { $rename: { _tenant: 'was' } },
    { $setOnInsert: { _tenant: bId } },
    { owner: 'replacement, not operators' },
  ])) {
    for (const write of [
      () => A.updateOne({}, update),
      () => A.updateMany({}, update),
      () => A.updateOne({ owner: 'new' }, update, { upsert: true }),
      () => A.findOneAndUpdate({}, update),
      () => A.bulkWrite([{ updateOne: { filter: {}, update } }]),
    ]) {
      const err = await rejection(write())
      assert.ok(err instanceof InvalidInputError, `${JSON.stringify(update)}: ${err}`)
      assert.equal(err.field, 'update')
    }
  }
  for (const write of [
    () => A.insertOne({ owner: 'a', _tenant: bId }),
    () => A.insertMany([{ owner: 'a' }, { owner: 'a', _tenant: bId }]),
    () => A.replaceOne({}, { owner: 'a', _tenant: bId }),
    () => A.findOneAndReplace({}, { _tenant: 'someone' }),
    () => A.bulkWrite([{ insertOne: { document: { owner: 'a' } } }, { insertOne: { document: { _tenant: bId } } }]),
  ]) {
    const err = await rejection(write())
    assert.ok(err instanceof InvalidInputError, String(err))
    assert.equal(err.field, 'document')
  }
  assert.deepEqual(await raw.find().sort({ _id: 1 }).toArray(), before, 'nothing was written')

  // A pipeline update may set `_tenant` in passing: the stamp is set again after it.
  await A.updateMany({}, [{ $set: { _tenant: bId, piped: true } }])
  assert.equal(await raw.countDocuments({ piped: true, _tenant: aId }), 2)
  assert.equal(await raw.countDocuments({ piped: true, _tenant: bId }), 0)
  // The stamp of one's own tenant is accepted, and an upsert inserts a stamped document.
  await A.insertOne({ owner: 'a', _tenant: aId, own: true })
  const up = await A.updateOne({ owner: 'upserted' }, { $set: { n: 9 } }, { upsert: true })
  assert.equal(up.upsertedCount, 1)
  assert.equal(await raw.countDocuments({ _tenant: aId, owner: { $in: ['upserted', 'a'] } }), 4)
})

test('aggregations are confined: stages that reach other collections are refused, later ones too', async (t) => {
  const { A, raw } = await twoTenants(t)
  const [count] = await A.aggregate([{ $group: { _id: null, n: { $sum: 1 } } }]).toArray()
  assert.equal(count.n, 2)
  const byOwner = await A.aggregate([{ $match: { $or: [{ owner: 'b' }, {}] } }, { $sortByCount: '$owner' }]).toArray()
  assert.deepEqual(byOwner, [{ _id: 'a', count: 2 }])
  for (const stage of [
    { $lookup: { from: 'shared_data', localField: 'n', foreignField: 'n', as: 'all' } },
    { $unionWith: 'shared_data' },
    { $unionWith: { coll: 'shared_data', pipeline: [] } },
    { $graphLookup: { from: 'shared_data', startWith: '$n', connectFromField: 'n', connectToField: 'n', as: 'g' } },
    { $out: 'stolen' },
    { $merge: { into: 'stolen' } },
    { $collStats: {} },
    { $facet: { all: [{ $unionWith: 'shared_data' }] } },
    { $match: {}, $limit: 1 },
  ]) {
    const err = thrown(() => A.aggregate([stage]))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(stage)}: ${err}`)
    assert.equal(err.field, 'pipeline')
    const later = thrown(() => A.aggregate([{ $match: {} }]).addStage(stage))
    assert.ok(later instanceof InvalidInputError, `addStage ${JSON.stringify(stage)}`)
  }
  assert.ok(thrown(() => A.aggregate().lookup({ from: 'shared_data', as: 'x' })) instanceof InvalidInputError)
  assert.ok(thrown(() => A.aggregate().clone().out('stolen')) instanceof InvalidInputError)
  // An allowed later stage sees the tenant's documents only.
  assert.deepEqual(await A.aggregate().match({ owner: 'b' }).toArray(), [])
  assert.deepEqual(await A.aggregate().clone().project({ owner: 1, _id: 0 }).toArray(), [{ owner: 'a' }, { owner: 'a' }])
  assert.ok(!(await driver.db(raw.dbName).listCollections({ name: 'stolen' }).toArray()).length)
})

test('indexes lead with the stamp: a unique index is unique per tenant', async (t) => {
  const { manager, a, b, db } = await twoTenants(t)
  const A = manager.collection(a.claims, driver, 'people')
  const B = manager.collection(b.claims, driver, 'people')
  const raw = db.collection('shared_people')
  const name = await A.createIndex({ email: 1 }, { unique: true })
  const index = (await raw.indexes()).find((i) => i.name === name)
  assert.deepEqual(index?.key, { _tenant: 1, email: 1 })
  await A.insertOne({ email: 'x@example.com' })
  await B.insertOne({ email: 'x@example.com' })
  await assert.rejects(A.insertOne({ email: 'x@example.com' }), (/** @type {any} */ err) => err.code === 11000)
  await B.updateOne({ email: 'nobody' }, { $set: { n: 1 } }, { upsert: true })
  // The driver's other key forms.
  assert.equal(await A.createIndex('n'), '_tenant_1_n_1')
  assert.equal(await A.createIndex([['owner', -1], 'n']), '_tenant_1_owner_-1_n_1')
  assert.equal(await A.createIndex(new Map([['b', 1], ['a', -1]])), '_tenant_1_b_1_a_-1')
  for (const keys of /** @type {any[]} */ ([{ _tenant: 1 }, { '_tenant.x': 1, a: 1 }, {}])) {
    const err = await rejection(A.createIndex(keys))
    assert.ok(err instanceof InvalidInputError, JSON.stringify(keys))
    assert.equal(err.field, 'keys')
  }
})

test('bulkWrite confines each model', async (t) => {
  const { A, raw, aId, bId, bDoc } = await twoTenants(t)
  const doc = /** @type {import('mongodb').Document} */ ({ owner: 'a', bulk: true })
  const result = await A.bulkWrite([
    { insertOne: { document: doc } },
    { updateMany: { filter: { _tenant: bId }, update: { $set: { hit: true } } } },
    { updateOne: { filter: { owner: 'b' }, update: { $set: { hit: true } }, upsert: true } },
    { replaceOne: { filter: { _id: bDoc._id }, replacement: { hit: true } } },
    { deleteOne: { filter: { _id: bDoc._id } } },
    { deleteMany: { filter: { owner: 'b' } } },
  ])
  assert.equal(result.insertedCount, 1)
  assert.ok(doc._id instanceof ObjectId, 'the inserted document gets its _id, as from the driver')
  assert.equal(result.matchedCount, 0)
  assert.equal(result.upsertedCount, 1)
  assert.equal(await raw.countDocuments({ _tenant: bId }), 3)
  assert.equal(await raw.countDocuments({ _tenant: bId, hit: true }), 0)
  assert.equal(await raw.countDocuments({ _tenant: aId, owner: 'b' }), 0, 'the upsert was deleted by deleteMany, as A\'s')
  assert.equal(await raw.countDocuments({ _tenant: aId, bulk: true }), 1)
  for (const model of [{ insertOne: { document: {} }, deleteMany: { filter: {} } }, { dropIndexes: {} }, null]) {
    const err = await rejection(A.bulkWrite([/** @type {any} */ (model)]))
    assert.ok(err instanceof TypeError, JSON.stringify(model))
  }
})

test('change streams deliver the tenant\'s events only', async (t) => {
  const { A, B } = await twoTenants(t)
  const stream = A.watch([{ $match: { operationType: { $in: ['insert', 'update'] } } }])
  t.after(() => stream.close())
  // The stream starts once its first `next` is sent: wait for that before writing.
  const first = stream.tryNext()
  await first
  await B.insertOne({ owner: 'b', event: 1 })
  await A.insertOne({ owner: 'a', event: 2 })
  await B.updateOne({ event: 1 }, { $set: { changed: true } })
  await A.updateOne({ event: 2 }, { $set: { changed: true } })
  const events = []
  const deadline = Date.now() + 10_000
  while (events.length < 2 && Date.now() < deadline) {
    const event = await stream.tryNext()
    if (event) events.push(event)
  }
  assert.deepEqual(
    events.map((e) => [e.operationType, /** @type {any} */ (e).fullDocument?.owner]),
    [
      ['insert', 'a'],
      ['update', 'a'],
    ],
  )
  assert.ok(thrown(() => A.watch([{ $lookup: { from: 'x', as: 'y' } }])) instanceof InvalidInputError)
})

test('what cannot be confined is not there: reading it throws', async (t) => {
  const { A, raw } = await twoTenants(t)
  for (const name of ['drop', 'rename', 'estimatedDocumentCount', 'createIndexes', 'dropIndex', 'dropIndexes', 'indexes', 'initializeOrderedBulkOp', 'listSearchIndexes', 's']) {
    const err = thrown(() => /** @type {any} */ (A)[name])
    assert.ok(err instanceof TypeError, name)
    assert.match(err.message, new RegExp(`ConfinedCollection\\.${name} is not available.*cannot be confined`))
    assert.ok(!(name in A), `'${name}' in a confined collection`)
  }
  // What no collection has is simply absent (so a confined collection can be awaited, logged, serialized).
  assert.equal(/** @type {any} */ (A).then, undefined)
  assert.equal(await Promise.resolve(A), A)
  assert.equal(A.namespace, `${raw.dbName}.shared_data`)
  assert.throws(() => new /** @type {any} */ (ConfinedCollection)(), /manager\.collection/)
  assert.equal(await raw.countDocuments(), 5, 'the shared collection is still there')
})

test('values keep their BSON types through the confinement; inserted documents get their _id', async (t) => {
  const { A, raw } = await twoTenants(t)
  const doc = { big: Long.fromString('9007199254740993'), small: 7, ratio: 1.5, at: new Date(0), re: /^a/i }
  const { insertedId } = await A.insertOne(doc)
  assert.ok(/** @type {any} */ (doc)._id instanceof ObjectId)
  assert.ok(insertedId.equals(/** @type {any} */ (doc)._id))
  const stored = await raw.findOne({ _id: insertedId }, { promoteLongs: false })
  assert.ok(stored)
  assert.ok(Long.isLong(stored.big) && stored.big.toString() === '9007199254740993', String(stored.big))
  assert.equal(await raw.countDocuments({ _id: insertedId, small: { $type: 'int' }, ratio: { $type: 'double' }, at: { $type: 'date' } }), 1)
  assert.equal(await A.countDocuments({ big: Long.fromString('9007199254740993'), re: { $type: 'regex' } }), 1)
  const many = /** @type {any[]} */ ([{ n: 10 }, { n: 11, _id: 'chosen' }])
  const result = await A.insertMany(many)
  assert.ok(/** @type {any} */ (many[0])._id instanceof ObjectId)
  assert.deepEqual(Object.values(result.insertedIds)[1], 'chosen', 'the caller\'s own _id, as given')
})
