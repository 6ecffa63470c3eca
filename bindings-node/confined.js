'use strict'
// `ConfinedCollection`: a tenant's collection in the `shared` layout, on the application's
// own `mongodb` driver. The collection holds every tenant's documents, so each method
// passes its arguments through the tenant's native `Confinement` (the core's policy:
// filters conjoined with the tenant's stamp, documents stamped, updates kept off the stamp,
// pipelines allow-listed, index keys led by the stamp, projections leaving it out) and
// returns what the driver returns. The driver's other members cannot be confined: reading
// one throws.
//
// Arguments cross to the native layer as BSON, serialized by the `mongodb` package's own
// `BSON` with the collection's options and read back with every value keeping its BSON
// type (an Int64 stays one, a regular expression keeps its flags).

const { inspect } = require('node:util')

const token = Symbol('tenantry.ConfinedCollection')

/** @type {typeof import('mongodb').BSON | undefined} */
let loaded

/**
 * The `mongodb` package's `BSON`, loaded with the first confined collection (or the first
 * schema declared).
 *
 * @param {string} [what] what needs it, for the error without the package
 */
function BSON(what = 'a tenant in the shared layout is reached') {
  if (!loaded) {
    try {
      loaded = require('mongodb').BSON
    } catch (err) {
      throw new Error(`${what} through the 'mongodb' package: install it`, {
        cause: err,
      })
    }
  }
  return loaded
}

/** What BSON gives back: each value as the BSON type it went in as. */
const DECODE = Object.freeze({ promoteValues: false, bsonRegExp: true })

/** Directions the driver takes as the second member of an index key tuple. */
const INDEX_TYPES = ['2d', '2dsphere', 'text', 'geoHaystack']

/** The models `bulkWrite` takes; each is confined as the method of its name. */
const BULK_MODELS = ['insertOne', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany']

/**
 * A promise of `run()`: rejected with what it throws (confinement refuses before the driver
 * is called; the caller still gets a promise, as from the driver).
 *
 * @template T
 * @param {() => Promise<T>} run
 * @returns {Promise<T>}
 */
function later(run) {
  try {
    return run()
  } catch (err) {
    return Promise.reject(err)
  }
}

/** @param {unknown} value */
function own(value) {
  return { value, writable: true, configurable: true }
}

/**
 * The keys of an index specification in any of the driver's forms (`'a'`, `{ a: 1 }`,
 * `['a', -1]`, `[['a', 1], 'b']`, a `Map`), in order.
 *
 * @param {unknown} spec
 * @returns {Map<string, unknown>}
 */
function indexKeys(spec) {
  const tuple = (/** @type {unknown} */ t) =>
    Array.isArray(t) && t.length === 2 && (typeof t[1] === 'number' || INDEX_TYPES.includes(t[1]))
  const keys = new Map()
  for (const part of Array.isArray(spec) && !tuple(spec) ? spec : [spec]) {
    if (typeof part === 'string') keys.set(part, 1)
    else if (Array.isArray(part)) keys.set(part[0], part[1] ?? 1)
    else if (part instanceof Map) for (const [k, v] of part) keys.set(k, v)
    else if (part !== null && typeof part === 'object') for (const [k, v] of Object.entries(part)) keys.set(k, v)
  }
  return keys
}

/**
 * A tenant's collection in the `shared` layout: the driver's methods that can be confined
 * to the tenant, each confined. Get one from `manager.collection(claims, client, name)` or
 * `manager.adminCollection(name, client, collection)`.
 */
class ConfinedCollection {
  /** @type {import('mongodb').Collection} */
  #collection
  /** @type {import('./native').Confinement} */
  #confinement
  /** @type {<T>(run: () => T) => T} the package's conversion of native errors */
  #now

  /** @private Use `manager.collection(claims, client, name)`. */
  constructor(key, collection, confinement, now) {
    if (key !== token) {
      throw new TypeError('use manager.collection(claims, client, name) or manager.adminCollection(name, client)')
    }
    this.#collection = collection
    this.#confinement = confinement
    this.#now = now
  }

  static {
    // Members of the driver's collection that this class does not define cannot be
    // confined (they would act on every tenant's documents): reading one throws.
    Object.setPrototypeOf(
      this.prototype,
      new Proxy(Object.prototype, {
        get(target, name, receiver) {
          if (typeof name === 'string' && !(name in target) && #collection in receiver && name in receiver.#collection) {
            throw new TypeError(
              `ConfinedCollection.${name} is not available: the collection holds every tenant's documents ` +
                `(the shared layout) and ${name} cannot be confined to one tenant's`,
            )
          }
          return Reflect.get(target, name, receiver)
        },
      }),
    )
  }

  /** The physical collection (every tenant's). */
  get collectionName() {
    return this.#collection.collectionName
  }

  /** Its database. */
  get dbName() {
    return this.#collection.dbName
  }

  /** `database.collection`. */
  get namespace() {
    return this.#collection.namespace
  }

  // --- reads ----------------------------------------------------------------------------

  find(filter = {}, options = {}) {
    const cursor = this.#collection.find(this.#filter(filter), this.#projected(options))
    return this.#findCursor(cursor)
  }

  findOne(filter = {}, options = {}) {
    return later(() => this.#collection.findOne(this.#filter(filter), this.#projected(options)))
  }

  countDocuments(filter = {}, options) {
    return later(() => this.#collection.countDocuments(this.#filter(filter), options))
  }

  distinct(key, filter = {}, options) {
    return later(() => this.#collection.distinct(key, this.#filter(filter), options))
  }

  aggregate(pipeline = [], options) {
    return this.#aggregationCursor(this.#collection.aggregate(this.#pipeline(pipeline), options))
  }

  watch(pipeline = [], options = {}) {
    // The confined stream matches on the full document: updates must carry theirs.
    const confined = this.#stages('changeStream', pipeline)
    return this.#collection.watch(confined, { ...options, fullDocument: 'updateLookup' })
  }

  // --- writes ---------------------------------------------------------------------------

  insertOne(doc, options) {
    return later(() => {
      const stamped = this.#document(doc)
      const result = this.#collection.insertOne(stamped, options)
      idOf(doc, stamped)
      return result
    })
  }

  insertMany(docs, options) {
    return later(() => {
      const stamped = Array.isArray(docs) ? docs.map((doc) => this.#document(doc)) : docs
      const result = this.#collection.insertMany(stamped, options)
      if (Array.isArray(docs)) docs.forEach((doc, i) => idOf(doc, stamped[i]))
      return result
    })
  }

  updateOne(filter, update, options) {
    return later(() => this.#collection.updateOne(this.#filter(filter), this.#update(update), options))
  }

  updateMany(filter, update, options) {
    return later(() => this.#collection.updateMany(this.#filter(filter), this.#update(update), options))
  }

  replaceOne(filter, replacement, options) {
    return later(() => this.#collection.replaceOne(this.#filter(filter), this.#document(replacement), options))
  }

  deleteOne(filter = {}, options) {
    return later(() => this.#collection.deleteOne(this.#filter(filter), options))
  }

  deleteMany(filter = {}, options) {
    return later(() => this.#collection.deleteMany(this.#filter(filter), options))
  }

  findOneAndUpdate(filter, update, options = {}) {
    return later(() =>
      this.#collection.findOneAndUpdate(this.#filter(filter), this.#update(update), this.#projected(options)),
    )
  }

  findOneAndReplace(filter, replacement, options = {}) {
    return later(() =>
      this.#collection.findOneAndReplace(this.#filter(filter), this.#document(replacement), this.#projected(options)),
    )
  }

  findOneAndDelete(filter, options = {}) {
    return later(() => this.#collection.findOneAndDelete(this.#filter(filter), this.#projected(options)))
  }

  bulkWrite(operations, options) {
    return later(() => {
      if (!Array.isArray(operations)) {
        throw new TypeError('bulkWrite: operations must be an array')
      }
      const stamped = /** @type {Map<unknown, unknown>} */ (new Map())
      const models = operations.map((model) => this.#model(model, stamped))
      const result = this.#collection.bulkWrite(models, options)
      for (const [doc, copy] of stamped) idOf(doc, copy)
      return result
    })
  }

  // --- indexes --------------------------------------------------------------------------

  createIndex(indexSpec, options) {
    return later(() => {
      const keys = this.#decode(this.#now(() => this.#confinement.indexKeys(this.#encode(indexKeys(indexSpec)))))
      return this.#collection.createIndex(keys, options)
    })
  }

  [inspect.custom](_depth, options, show) {
    const state = { namespace: this.namespace, tenantId: this.#confinement.tenantId }
    return `ConfinedCollection ${(show ?? inspect)(state, options)}`
  }

  // --- the confinement, through BSON ----------------------------------------------------

  /** @param {unknown} value */
  #encode(value) {
    const { ignoreUndefined, serializeFunctions } = this.#collection.bsonOptions ?? {}
    return BSON().serialize(/** @type {import('mongodb').Document} */ (value), { ignoreUndefined, serializeFunctions })
  }

  /** @param {Uint8Array} bytes */
  #decode(bytes) {
    return BSON().deserialize(bytes, DECODE)
  }

  /** @param {unknown} filter */
  #filter(filter) {
    return this.#decode(this.#now(() => this.#confinement.filter(this.#encode(filter))))
  }

  /** A copy of `doc` stamped with the tenant, its `_id` the caller's own value. */
  #document(doc) {
    const stamped = this.#decode(this.#now(() => this.#confinement.document(this.#encode(doc))))
    if (doc !== null && typeof doc === 'object' && doc._id !== undefined) stamped._id = doc._id
    return stamped
  }

  /** @param {unknown} update operators, or a pipeline */
  #update(update) {
    return this.#decode(this.#now(() => this.#confinement.update(this.#encode({ u: update })))).u
  }

  /** @param {unknown} pipeline */
  #pipeline(pipeline) {
    return this.#stages('pipeline', pipeline)
  }

  /**
   * @param {'pipeline' | 'changeStream'} kind
   * @param {unknown} stages
   */
  #stages(kind, stages) {
    return this.#decode(this.#now(() => this.#confinement[kind](this.#encode({ p: stages })))).p
  }

  /** `options` with the core's projection (the stamp left out of what is read). */
  #projected(options) {
    const given = options?.projection
    const projection = this.#now(() => this.#confinement.projection(given == null ? undefined : this.#encode(given)))
    return { ...options, projection: this.#decode(projection) }
  }

  /**
   * One `bulkWrite` model, confined as the method of its name; inserted documents are
   * recorded in `stamped` (the caller's document to its stamped copy).
   *
   * @param {any} model
   * @param {Map<unknown, unknown>} stamped
   */
  #model(model, stamped) {
    const kinds = model !== null && typeof model === 'object' ? Object.keys(model) : []
    const kind = kinds.length === 1 ? kinds[0] : undefined
    const op = kind && model[kind]
    if (!kind || !BULK_MODELS.includes(kind) || op === null || typeof op !== 'object') {
      throw new TypeError(`bulkWrite: each operation must be one of ${BULK_MODELS.join(', ')}`)
    }
    switch (kind) {
      case 'insertOne': {
        const doc = op.document
        const copy = this.#document(doc)
        stamped.set(doc, copy)
        return { insertOne: { document: copy } }
      }
      case 'updateOne':
      case 'updateMany':
        return { [kind]: { ...op, filter: this.#filter(op.filter), update: this.#update(op.update) } }
      case 'replaceOne':
        return { replaceOne: { ...op, filter: this.#filter(op.filter), replacement: this.#document(op.replacement) } }
      default:
        return { [kind]: { ...op, filter: this.#filter(op.filter) } }
    }
  }

  /**
   * A find cursor whose later changes (`filter`, `project`, the `$query` modifier, `clone`)
   * are confined too.
   *
   * @param {import('mongodb').FindCursor} cursor
   */
  #findCursor(cursor) {
    const { filter, project, addQueryModifier, clone } = cursor
    Object.defineProperties(cursor, {
      filter: own((/** @type {unknown} */ f) => filter.call(cursor, this.#filter(f))),
      project: own((/** @type {unknown} */ p) => project.call(cursor, this.#projected({ projection: p }).projection)),
      addQueryModifier: own((/** @type {string} */ name, /** @type {unknown} */ value) =>
        addQueryModifier.call(cursor, name, name === '$query' ? this.#filter(value) : value),
      ),
      clone: own(() => this.#findCursor(clone.call(cursor))),
    })
    return cursor
  }

  /**
   * An aggregation cursor whose later stages (`addStage` and the helpers built on it:
   * `lookup`, `out`, ...) pass the core's allow-list too, and whose `clone` does.
   *
   * @param {import('mongodb').AggregationCursor} cursor
   */
  #aggregationCursor(cursor) {
    const { addStage, clone } = cursor
    Object.defineProperties(cursor, {
      addStage: own((/** @type {import('mongodb').Document} */ stage) => {
        // Refused unless allowed; an allowed stage reads the tenant's documents only.
        this.#pipeline([stage])
        return addStage.call(cursor, stage)
      }),
      clone: own(() => this.#aggregationCursor(clone.call(cursor))),
    })
    return cursor
  }
}

/**
 * The `_id` the driver gave the stamped copy of `doc`, given to `doc` as the driver gives
 * it to the documents it inserts.
 *
 * @param {any} doc
 * @param {any} copy
 */
function idOf(doc, copy) {
  if (doc !== null && typeof doc === 'object' && doc._id == null && copy && copy._id != null) {
    doc._id = copy._id
  }
}

/**
 * `collection` confined by `confinement`.
 *
 * @param {import('mongodb').Collection} collection
 * @param {import('./native').Confinement} confinement
 * @param {<T>(run: () => T) => T} now the package's conversion of native errors
 */
function confine(collection, confinement, now) {
  return new ConfinedCollection(token, collection, confinement, now)
}

module.exports = { BSON, ConfinedCollection, confine }
