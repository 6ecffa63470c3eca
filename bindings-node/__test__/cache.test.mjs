// @ts-check
// A call the core answers from its cache comes back at once: the native layer returns
// the value (or throws) on the JS thread, and the package makes it a promise again.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'

import { TenantNotFoundError } from '../index.js'
import { JWT_SECRET, MONGODB_URI, PASSWORD, binding, closeDriver, freshManager, uniqueEmail, uniqueName } from './helpers.mjs'

after(closeDriver)

/** @typedef {{ getTenant(name: string): unknown, close(): Promise<void> }} NativeManager */

/**
 * @param {string} masterDb
 * @param {Record<string, unknown>} [options]
 * @returns {Promise<NativeManager>}
 */
async function nativeManager(masterDb, options = {}) {
  const native = /** @type {any} */ (binding).TenantManager
  return native.connect({ mongoUri: MONGODB_URI, jwtSecret: JWT_SECRET, bcryptCost: 4, masterDb, ...options })
}

test('a cached tenant comes back from the native layer at once, without a promise', async (t) => {
  const { manager } = await freshManager(t)
  t.after(() => manager.close())
  const name = uniqueName()
  const created = await manager.createTenant(name, uniqueEmail(), PASSWORD)
  const native = await nativeManager(manager.masterDb)
  t.after(() => native.close())
  // The cache answers once its change stream is live; the first reads fill it.
  let answer = native.getTenant(name)
  const deadline = Date.now() + 5000
  while (answer instanceof Promise && Date.now() < deadline) {
    await answer
    await new Promise((resolve) => setTimeout(resolve, 50))
    answer = native.getTenant(name)
  }
  assert.ok(!(answer instanceof Promise), 'a cached tenant must come back at once')
  assert.equal(/** @type {any} */ (answer).id, created.id)
  // The package still gives a promise, of the same tenant.
  const viaPackage = manager.getTenant(name)
  assert.ok(viaPackage instanceof Promise)
  assert.deepEqual(await viaPackage, await manager.getTenant(name))
  // A miss goes to the database, and its error keeps its class and the caller's stack.
  async function lookUpNobody() {
    return manager.getTenant(uniqueName('Absent'))
  }
  await assert.rejects(lookUpNobody(), (err) => err instanceof TenantNotFoundError && /lookUpNobody/.test(String(err.stack)))
})

test('with the cache off, every call is a promise', async (t) => {
  const { manager } = await freshManager(t, { cacheCapacity: 0 })
  t.after(() => manager.close())
  const name = uniqueName()
  await manager.createTenant(name, uniqueEmail(), PASSWORD)
  const native = await nativeManager(manager.masterDb, { cacheCapacity: 0 })
  t.after(() => native.close())
  await native.getTenant(name)
  const again = native.getTenant(name)
  assert.ok(again instanceof Promise)
  assert.equal(/** @type {any} */ (await again).name, name)
})
