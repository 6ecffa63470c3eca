// @ts-check
// What makes the package feel like a Node library: `close()` and `Symbol.asyncDispose`
// release the connections, the tenant's collection comes on the application's own
// `mongodb` client, claims print as what they say, settings are readable, and the type
// declarations and result objects agree with the core's lists field by field.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, test } from 'node:test'
import { inspect } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'

import { ManagerClosedError, TenantManager } from '../index.js'
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
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

v8.setFlagsFromString('--expose-gc')
const gc = /** @type {() => void} */ (vm.runInNewContext('gc'))

const serverPort = Number(new URL(MONGODB_URI.replace(/^mongodb(\+srv)?:/, 'http:')).port || 27017)

/** Established TCP connections of this process to the test server (Linux /proc). */
function connectionsToServer() {
  const mine = new Set()
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))
      if (match) mine.add(match[1])
    } catch {
      // closed while listing
    }
  }
  let count = 0
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10) continue
      const remotePort = parseInt(cols[2].split(':')[1], 16)
      if (remotePort === serverPort && cols[3] === '01' && mine.has(cols[9])) count++
    }
  }
  return count
}

/**
 * Poll until `check()` holds or `ms` pass; the last value.
 *
 * @param {() => number} read
 * @param {(n: number) => boolean} check
 */
async function eventually(read, check, ms = 5_000) {
  const deadline = Date.now() + ms
  let value = read()
  while (!check(value) && Date.now() < deadline) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = read()
  }
  return value
}

/** @param {string} masterDb */
function options(masterDb) {
  return { mongoUri: MONGODB_URI, jwtSecret: JWT_SECRET, masterDb, bcryptCost: 4 }
}

test('close() releases every connection; later calls reject with ManagerClosedError', async (t) => {
  const masterDb = uniqueDb()
  t.after(() => driver.db(masterDb).dropDatabase())
  await driver.db(masterDb).command({ ping: 1 })
  const baseline = connectionsToServer()
  const managers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => TenantManager.connect(options(masterDb))))
  await Promise.all(managers.flatMap((m) => [1, 2, 3].map(() => m.getTenant('Nobody').catch(() => null))))
  const open = connectionsToServer()
  assert.ok(open >= baseline + managers.length, `${open} open, ${baseline} before`)

  // An operation running when close() is called ends first, with its own answer.
  const running = managers[0].createTenant(uniqueName(), `running-${Date.now()}@example.com`, PASSWORD)
  await Promise.all(managers.map((m) => m.close()))
  assert.equal((await running).adminEmail.startsWith('running-'), true)
  assert.equal(connectionsToServer(), baseline, 'close() resolves once the connections are closed')
  for (const manager of managers) {
    assert.equal(manager.closed, true)
    const err = await rejection(manager.getTenant('Anyone'))
    assert.ok(err instanceof ManagerClosedError)
    assert.equal(err.code, 'CLOSED')
  }
  await managers[0].close() // idempotent
})

test('Symbol.asyncDispose closes (what `await using` calls)', async (t) => {
  const { manager } = await freshManager(t)
  const dispose = /** @type {() => Promise<void>} */ (/** @type {any} */ (manager)[Symbol.asyncDispose])
  assert.equal(typeof dispose, 'function')
  await dispose.call(manager)
  assert.equal(manager.closed, true)
})

test('a manager dropped without close() releases its connections once collected', async (t) => {
  const masterDb = uniqueDb()
  t.after(() => driver.db(masterDb).dropDatabase())
  await driver.db(masterDb).command({ ping: 1 })
  const baseline = connectionsToServer()
  await (async () => {
    for (let i = 0; i < 4; i++) {
      const dropped = await TenantManager.connect(options(masterDb))
      await Promise.all([1, 2, 3].map(() => dropped.getTenant('Nobody').catch(() => null)))
    }
  })()
  assert.ok(connectionsToServer() > baseline)
  const left = await eventually(connectionsToServer, (n) => n <= baseline)
  assert.equal(left, baseline, `${left - baseline} connections outlived their dropped managers`)
})

test('collection(claims, client) is the tenant\'s collection on the app\'s own driver, no round trip', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, claims, token } = await tenantWithAdmin(manager)
  const notes = manager.collection(claims, driver)
  assert.equal(notes.collectionName, tenant.collectionName)
  assert.equal(notes.dbName, manager.masterDb)
  await notes.insertOne({ text: 'first' })
  assert.equal(await db.collection(tenant.collectionName).countDocuments({ text: 'first' }), 1)

  // After a rename, claims verified again name the moved collection, notes included.
  await manager.renameTenant(claims, uniqueName('Moved'))
  const again = await manager.verifyToken(token.accessToken)
  const moved = manager.collection(again, driver)
  assert.notEqual(moved.collectionName, notes.collectionName)
  assert.equal(await moved.countDocuments({ text: 'first' }), 1)

  // Claims of decodeToken name no collection: refused, not guessed.
  const decoded = manager.decodeToken(token.accessToken)
  assert.equal(decoded.collectionName, null)
  const err = thrown(() => manager.collection(decoded, driver))
  assert.equal(err.code, 'INVALID_INPUT')
  assert.equal(err.field, 'claims')
})

test('console.log(claims) shows what they say; JSON too', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, claims } = await tenantWithAdmin(manager)
  const shown = inspect(claims)
  assert.match(shown, /^Claims \{/)
  for (const value of [tenant.id, tenant.adminId, tenant.name, tenant.collectionName]) {
    assert.ok(shown.includes(value), `${value} not in ${shown}`)
  }
  const json = JSON.parse(JSON.stringify(claims))
  assert.equal(json.tenantName, tenant.name)
  assert.match(inspect(manager), /^TenantManager \{ masterDb: '/)
  assert.ok(!inspect(manager).includes(JWT_SECRET))
})

test('settings are the options in force, defaults included, the secret never', async (t) => {
  const { manager } = await freshManager(t, { jwtExpireMinutes: 9, trustedProxies: '10.0.0.0/8, 127.0.0.1' })
  const { settings } = manager
  assert.equal(settings.mongoUri, MONGODB_URI)
  assert.equal(settings.masterDb, manager.masterDb)
  assert.equal(settings.jwtExpireMinutes, 9)
  assert.equal(settings.bcryptCost, 4)
  assert.equal(settings.jwtAlgorithm, 'HS256', 'a default')
  assert.deepEqual(settings.trustedProxies, ['10.0.0.0/8', '127.0.0.1'])
  assert.ok(!('jwtSecret' in settings))
  const names = binding.__settingsFields().map(([name]) => name)
  for (const key of Object.keys(settings)) assert.ok(names.includes(key), key)
})

test('the constructor is not the way in', () => {
  assert.throws(() => new (/** @type {any} */ (TenantManager))(), /TenantManager\.connect/)
})

// --- declarations and mirrors against the core --------------------------------------

/**
 * The member names of `interface <name>` (or `class`) in a declaration file.
 *
 * @param {string} file
 * @param {string} name
 */
function declared(file, name) {
  const text = fs.readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
  const start = text.search(new RegExp(`(interface|class) ${name} (extends \\w+ )?\\{`))
  assert.ok(start >= 0, `${name} is not declared in ${file}`)
  const body = text.slice(text.indexOf('{', start) + 1, text.indexOf('\n}', start))
  return [...body.matchAll(/^ {2}(?:get |readonly )?(\w+)\??[:(]/gm)].map((m) => m[1])
}

test('ConnectOptions in index.d.ts is the core\'s settings list, name for name', () => {
  const core = binding.__settingsFields().map(([name]) => name)
  assert.deepEqual(declared('index.d.ts', 'ConnectOptions'), core)
})

test('every result type mirrors its core type field by field', async (t) => {
  /** Fields the binding adds for convenience, derived from core fields. */
  const derived = { Tenant: ['namespace'] }
  const mirrors = [
    ['Tenant', 'Tenant'],
    ['AccessToken', 'AccessToken'],
    ['Claims', 'ClaimsObject'],
    ['RecoveryReport', 'RecoveryReport'],
    ['RecoveryFailure', 'RecoveryFailure'],
  ]
  for (const [core, mirror] of mirrors) {
    const fields = binding.__coreFields(core)
    assert.ok(fields.length > 0, core)
    const extra = /** @type {Record<string, string[]>} */ (derived)[core] ?? []
    assert.deepEqual(declared('native.d.ts', mirror).sort(), [...fields, ...extra].sort(), mirror)
  }
  // The class `Claims` has a getter for each field (besides its methods).
  assert.deepEqual(
    declared('native.d.ts', 'Claims')
      .filter((n) => !['toJSON', 'hasScope'].includes(n))
      .sort(),
    [...binding.__coreFields('Claims')].sort(),
  )
  // ...and the objects a call returns have exactly those fields.
  const { manager } = await freshManager(t)
  const { tenant, token, claims } = await tenantWithAdmin(manager)
  assert.deepEqual(Object.keys(tenant).sort(), [...binding.__coreFields('Tenant'), 'namespace'].sort())
  assert.deepEqual(Object.keys(token).sort(), [...binding.__coreFields('AccessToken')].sort())
  assert.deepEqual(Object.keys(claims.toJSON()).sort(), [...binding.__coreFields('Claims')].sort())
  const report = await manager.recover()
  assert.deepEqual(Object.keys(report).sort(), [...binding.__coreFields('RecoveryReport')].sort())
})

test('TenantQuery has a field for each parameter of the core\'s listing query', () => {
  const params = binding.__coreFields('TenantQuery')
  assert.equal(params.length, 8)
  assert.deepEqual(declared('native.d.ts', 'TenantQuery'), params)
})

test('the TenantState type and the state fields are the core\'s states', () => {
  const union = binding.__tenantStates().map((s) => `'${s}'`).join(' | ')
  const index = fs.readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  assert.ok(index.includes(`export type TenantState = ${union}\n`), `index.d.ts: TenantState is not ${union}`)
  const native = fs.readFileSync(new URL('../native.d.ts', import.meta.url), 'utf8')
  const fields = [...native.matchAll(/^ {2}state\??: (.*)$/gm)].map((m) => m[1])
  assert.deepEqual(fields.sort(), [union, `${union} | null`], 'Tenant.state, TenantQuery.state')
})
