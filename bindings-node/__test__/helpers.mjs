// @ts-check
// Shared test setup: the MongoDB-wire server from MONGODB_URI (required: the suite fails
// without it, it never skips), a fresh master database per test, dropped afterwards, and
// the `mongodb` driver to look at what the binding wrote.

import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'

import { MongoClient } from 'mongodb'

import { TenantManager } from '../index.js'

const require = createRequire(import.meta.url)

/** The native module under the package, for the hidden test hooks it exports. */
export const binding = /** @type {{
  __throwSampleError(code: string): never,
  __errorCodes(): string[],
  __settingsFields(): [string, string][],
  __coreFields(kind: string): string[],
  __layouts(): string[],
  __tenantStates(): string[],
  __roles(): string[],
}} */ (/** @type {unknown} */ (require('../native.js')))

export const MONGODB_URI = process.env.MONGODB_URI || process.env.MONGO_URI || ''
if (!MONGODB_URI) {
  throw new Error('MONGODB_URI must point at a MongoDB-wire server (scripts/mongo.sh start DIR prints one)')
}

export const JWT_SECRET = 'node-binding-tests-secret-0123456789'
export const PASSWORD = 'securepassword123'

/** Every code the core's `Error::code()` can return. */
export const ERROR_CODES = /** @type {const} */ ([
  'TENANT_NOT_FOUND',
  'TENANT_ALREADY_EXISTS',
  'INVALID_INPUT',
  'INVALID_CREDENTIALS',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CONFLICT',
  'TOO_MANY_ATTEMPTS',
  'CONFIG',
  'CLOSED',
  'DATABASE',
  'INTERNAL',
  'TENANT_SUSPENDED',
  'LAST_OWNER',
])

/** One driver client per test file; closed by `closeDriver`. */
export const driver = new MongoClient(MONGODB_URI, { serverSelectionTimeoutMS: 5000 })

export async function closeDriver() {
  await driver.close()
}

/** A database name no other test uses. */
export function uniqueDb() {
  return `node_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
}

/** A fresh organization name. */
export function uniqueName(prefix = 'Org') {
  return `${prefix} ${randomUUID().slice(0, 8)}`
}

/** A fresh admin email. */
export function uniqueEmail() {
  return `admin-${randomUUID().slice(0, 8)}@example.com`
}

/**
 * A manager over a fresh master database, dropped when the test ends.
 *
 * @param {import('node:test').TestContext} t
 * @param {Partial<import('../index.js').ConnectOptions>} [options]
 */
export async function freshManager(t, options = {}) {
  const masterDb = options.masterDb ?? uniqueDb()
  t.after(() => driver.db(masterDb).dropDatabase())
  const manager = await TenantManager.connect({
    mongoUri: MONGODB_URI,
    jwtSecret: JWT_SECRET,
    bcryptCost: 4,
    ...options,
    masterDb,
  })
  return { manager, db: driver.db(masterDb) }
}

/**
 * A tenant with a logged-in admin.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {string} [name]
 * @param {import('../index.js').TenantOptions} [options] its layout, naming, cluster
 */
export async function tenantWithAdmin(manager, name = uniqueName(), options = undefined) {
  const email = uniqueEmail()
  const tenant = await manager.createTenant(name, email, PASSWORD, options)
  const token = await manager.authenticate(email, PASSWORD)
  const claims = await manager.verifyToken(token.accessToken)
  return { tenant, email, token, claims }
}

/**
 * The error a promise rejects with (fails if it fulfils).
 *
 * @param {Promise<unknown>} promise
 * @returns {Promise<import('../index.js').TenantryError>}
 */
export async function rejection(promise) {
  try {
    await promise
  } catch (err) {
    return /** @type {import('../index.js').TenantryError} */ (err)
  }
  throw new Error('expected the promise to reject, but it fulfilled')
}

/**
 * The error a function throws (fails if it returns).
 *
 * @param {() => unknown} fn
 * @returns {import('../index.js').TenantryError}
 */
export function thrown(fn) {
  try {
    fn()
  } catch (err) {
    return /** @type {import('../index.js').TenantryError} */ (err)
  }
  throw new Error('expected the call to throw, but it returned')
}
