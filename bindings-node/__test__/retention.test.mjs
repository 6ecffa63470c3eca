// @ts-check
// Soft delete, restore and purge, and listing tenants, through the binding: with
// `deletedRetentionSeconds`, a delete hides the tenant but keeps its data, admins and name;
// `restoreTenant` brings it back whole; `purgeTenant` (or `purgeExpired` and `recover()`
// past the retention) removes it and only it. `listTenants` pages through every tenant
// once, its filters hold and `countTenants` agrees; bad filters are typed errors. The
// Express glue's `tenantQuery`, `tenantBody` and `pageBody` read and write what the core
// does.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { RequestValidationError, pageBody, responseFor, tenantBody, tenantQuery } from '../express.js'
import {
  InvalidCredentialsError,
  InvalidInputError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
  UnauthorizedError,
} from '../index.js'
import {
  PASSWORD,
  closeDriver,
  driver,
  freshManager,
  rejection,
  tenantWithAdmin,
  thrown,
  uniqueEmail,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

const HOUR = 3600

/**
 * The names of a page's tenants.
 *
 * @param {{ tenants: import('../index.js').Tenant[] }} page
 */
const names = (page) => page.tenants.map((t) => t.name)

test('deletedRetentionSeconds reaches the core; without it a delete is immediate', async (t) => {
  const { manager, db } = await freshManager(t)
  assert.equal(manager.settings.deletedRetentionSeconds, 0)
  const { tenant, claims } = await tenantWithAdmin(manager)
  await manager.deleteTenant(claims)
  assert.deepEqual((await manager.listTenants()).tenants, [])
  assert.ok((await rejection(manager.restoreTenant(tenant.name))) instanceof TenantNotFoundError)
  assert.equal((await db.listCollections({ name: tenant.collectionName }).toArray()).length, 0)

  const kept = await freshManager(t, { deletedRetentionSeconds: HOUR })
  assert.equal(kept.manager.settings.deletedRetentionSeconds, HOUR)
})

test('a soft delete hides the tenant and keeps its data, admins and name; restore brings it back whole', async (t) => {
  const { manager, db } = await freshManager(t, { deletedRetentionSeconds: HOUR })
  const { tenant, email, token, claims } = await tenantWithAdmin(manager)
  assert.equal(tenant.state, 'active')
  assert.equal(tenant.deletedAt, null)
  assert.equal(tenant.purgeAfter, null)
  await manager.collection(claims, driver).insertMany([{ n: 1 }, { n: 2 }, { n: 3 }])
  await manager.deleteTenant(claims)

  // Hidden from every call...
  assert.ok((await rejection(manager.getTenant(tenant.name))) instanceof TenantNotFoundError)
  assert.ok((await rejection(manager.authenticate(email, PASSWORD))) instanceof InvalidCredentialsError)
  assert.ok((await rejection(manager.verifyToken(token.accessToken))) instanceof UnauthorizedError)
  // ...but its data is kept and its name and email stay taken.
  assert.equal(await db.collection(tenant.collectionName).countDocuments(), 3)
  const name = await rejection(manager.createTenant(tenant.name, uniqueEmail(), PASSWORD))
  assert.ok(name instanceof TenantAlreadyExistsError)
  assert.equal(name.field, 'name')
  const mail = await rejection(manager.createTenant(uniqueName(), email, PASSWORD))
  assert.ok(mail instanceof TenantAlreadyExistsError)
  assert.equal(mail.field, 'email')

  // Listed as deleted, with its retention.
  const page = await manager.listTenants({ state: 'deleted' })
  assert.equal(page.next, null)
  assert.equal(page.tenants.length, 1)
  const [listed] = page.tenants
  assert.equal(listed.id, tenant.id)
  assert.equal(listed.state, 'deleted')
  assert.ok(listed.deletedAt instanceof Date && listed.purgeAfter instanceof Date)
  assert.equal(listed.purgeAfter.getTime() - listed.deletedAt.getTime(), HOUR * 1000)
  assert.equal(await manager.countTenants({ state: 'active' }), 0)

  // Back (by any spelling of its name), whole: data, login, the token issued before.
  const back = await manager.restoreTenant(tenant.name.toUpperCase())
  assert.equal(back.id, tenant.id)
  assert.equal(back.state, 'active')
  assert.equal(back.deletedAt, null)
  assert.equal(back.purgeAfter, null)
  assert.equal((await manager.getTenant(tenant.name)).id, tenant.id)
  assert.equal(await db.collection(tenant.collectionName).countDocuments(), 3)
  await manager.authenticate(email, PASSWORD)
  assert.equal((await manager.verifyToken(token.accessToken)).tenantId, tenant.id)
  assert.ok((await rejection(manager.restoreTenant(tenant.name))) instanceof TenantNotFoundError)
  assert.equal(await manager.countTenants({ state: 'deleted' }), 0)
})

test('purgeTenant removes a deleted tenant and only it; its name is free again', async (t) => {
  const { manager, db } = await freshManager(t, { deletedRetentionSeconds: HOUR })
  const gone = await tenantWithAdmin(manager)
  const neighbour = await tenantWithAdmin(manager)
  await manager.collection(gone.claims, driver).insertMany([{ n: 1 }, { n: 2 }])
  await manager.collection(neighbour.claims, driver).insertMany([{ n: 1 }, { n: 2 }])

  // An active tenant is not purged.
  assert.ok((await rejection(manager.purgeTenant(gone.tenant.name))) instanceof TenantNotFoundError)
  await manager.deleteTenant(gone.claims)
  assert.equal(await manager.purgeTenant(gone.tenant.name), undefined)

  assert.equal((await db.listCollections({ name: gone.tenant.collectionName }).toArray()).length, 0)
  assert.equal(await db.collection(neighbour.tenant.collectionName).countDocuments(), 2)
  assert.ok((await rejection(manager.restoreTenant(gone.tenant.name))) instanceof TenantNotFoundError)
  assert.ok((await rejection(manager.purgeTenant(gone.tenant.name))) instanceof TenantNotFoundError)
  assert.deepEqual(names(await manager.listTenants()), [neighbour.tenant.name])
  await manager.createTenant(gone.tenant.name, gone.email, PASSWORD)
})

test('past a short retention, restore is refused and purgeExpired and recover() purge', async (t) => {
  const { manager, db } = await freshManager(t, { deletedRetentionSeconds: 1 })
  const [a, b, c, kept] = await Promise.all([1, 2, 3, 4].map(() => tenantWithAdmin(manager)))
  await manager.deleteTenant(a.claims)
  await manager.deleteTenant(b.claims)
  // Within the retention, nothing is purged.
  assert.equal(await manager.purgeExpired(), 0)
  assert.equal((await manager.recover()).purged, 0)
  await sleep(1200)
  const late = await rejection(manager.restoreTenant(a.tenant.name))
  assert.ok(late instanceof InvalidInputError, String(late))
  assert.equal(await manager.purgeExpired(), 2)
  assert.equal(await manager.purgeExpired(), 0)
  for (const { tenant } of [a, b]) {
    assert.equal((await db.listCollections({ name: tenant.collectionName }).toArray()).length, 0)
  }

  await manager.deleteTenant(c.claims)
  await sleep(1200)
  const report = await manager.recover()
  assert.equal(report.purged, 1)
  assert.deepEqual(report.failed, [])
  assert.deepEqual(names(await manager.listTenants()), [kept.tenant.name])
})

test('listTenants pages through every tenant once, in creation order; filters hold and countTenants agrees', async (t) => {
  const { manager } = await freshManager(t, { deletedRetentionSeconds: HOUR })
  /** @type {import('../index.js').Tenant[]} */
  const made = []
  /** @type {import('../index.js').Claims[]} */
  const claims = []
  for (let i = 0; i < 7; i++) {
    const name = `${i % 2 ? 'Beta' : 'Alpha'} ${i}`
    const own = await tenantWithAdmin(manager, name, { layout: i % 2 ? 'shared' : 'collection' })
    made.push(own.tenant)
    claims.push(own.claims)
    // Creation times a few milliseconds apart, for the range filter.
    await sleep(5)
  }
  await manager.deleteTenant(claims[3])

  // Two at a time: every tenant once, deleted ones too, in creation order.
  /** @type {string[]} */
  const seen = []
  /** @type {(string | null)[]} */
  const cursors = []
  /** @type {import('../index.js').TenantQuery} */
  const query = { limit: 2 }
  for (;;) {
    const page = await manager.listTenants(query)
    assert.ok(page.tenants.length <= 2)
    seen.push(...page.tenants.map((t) => t.id))
    cursors.push(page.next)
    if (page.next === null) break
    query.after = page.next
  }
  assert.deepEqual(seen, made.map((t) => t.id))
  assert.equal(cursors.length, 4)
  assert.ok(cursors.slice(0, 3).every((c) => typeof c === 'string'))

  /**
   * The tenants matching `filters` (one page of them all), checked against their count.
   *
   * @param {import('../index.js').TenantQuery} filters
   */
  const matching = async (filters) => {
    const page = await manager.listTenants({ ...filters, limit: 1000 })
    assert.equal(page.next, null)
    assert.equal(await manager.countTenants(filters), page.tenants.length, JSON.stringify(filters))
    return names(page)
  }
  assert.deepEqual(await matching({}), made.map((t) => t.name))
  assert.deepEqual(await matching({ state: 'deleted' }), ['Beta 3'])
  assert.deepEqual(await matching({ state: 'active' }), ['Alpha 0', 'Beta 1', 'Alpha 2', 'Alpha 4', 'Beta 5', 'Alpha 6'])
  assert.deepEqual(await matching({ layout: 'shared' }), ['Beta 1', 'Beta 3', 'Beta 5'])
  assert.deepEqual(await matching({ layout: 'database' }), [])
  assert.deepEqual(await matching({ namePrefix: 'ALPHA' }), ['Alpha 0', 'Alpha 2', 'Alpha 4', 'Alpha 6'])
  assert.deepEqual(await matching({ namePrefix: 'beta', state: 'active' }), ['Beta 1', 'Beta 5'])
  assert.deepEqual(await matching({ cluster: 'home', layout: 'collection', state: null }), [
    'Alpha 0',
    'Alpha 2',
    'Alpha 4',
    'Alpha 6',
  ])
  assert.deepEqual(await matching({ cluster: 'elsewhere' }), [])
  assert.deepEqual(await matching({ createdAfter: made[2].createdAt, createdBefore: made[5].createdAt }), [
    'Alpha 2',
    'Beta 3',
    'Alpha 4',
  ])
  assert.equal(await manager.countTenants(), 7)
  assert.equal(await manager.countTenants(null), 7)
})

test('bad filters reject with InvalidInputError naming the field; a value of the wrong type with TypeError', async (t) => {
  const { manager } = await freshManager(t)
  /** @type {[import('../index.js').TenantQuery, string][]} */
  const filters = [
    [{ state: /** @type {any} */ ('gone') }, 'state'],
    [{ layout: /** @type {any} */ ('tables') }, 'layout'],
    [{ createdAfter: new Date('not a date') }, 'createdAfter'],
    [{ createdBefore: new Date(Number.NaN) }, 'createdBefore'],
    [{ namePrefix: ' - ' }, 'namePrefix'],
    [{ cluster: '  ' }, 'cluster'],
  ]
  const paging = /** @type {[import('../index.js').TenantQuery, string][]} */ ([
    [{ limit: -1 }, 'limit'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 1001 }, 'limit'],
    [{ limit: 1.5 }, 'limit'],
    [{ limit: Number.NaN }, 'limit'],
    [{ limit: Number.POSITIVE_INFINITY }, 'limit'],
    [{ after: 'not-a-cursor' }, 'after'],
  ])
  for (const [query, field] of [...filters, ...paging]) {
    const err = await rejection(manager.listTenants(query))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(query)}: ${err}`)
    assert.equal(err.field, field, JSON.stringify(query))
  }
  for (const [query, field] of filters) {
    const err = await rejection(manager.countTenants(query))
    assert.ok(err instanceof InvalidInputError, `${JSON.stringify(query)}: ${err}`)
    assert.equal(err.field, field)
  }
  for (const query of [{ createdAfter: '2026-01-01T00:00:00Z' }, { limit: '5' }, { state: 7 }, 'state=deleted']) {
    const err = await rejection(manager.listTenants(/** @type {any} */ (query)))
    assert.ok(err instanceof TypeError, `${JSON.stringify(query)}: ${err}`)
  }
  // `null` and `undefined` filter nothing.
  assert.deepEqual(await manager.listTenants({ state: null, limit: undefined, after: null }), { tenants: [], next: null })
})

test('tenantQuery parses a query string as the core does; pageBody and tenantBody write the core\'s bodies', async (t) => {
  const { manager } = await freshManager(t, { deletedRetentionSeconds: HOUR })
  const prefix = uniqueName('Listed')
  const own = []
  for (let i = 0; i < 3; i++) own.push(await tenantWithAdmin(manager, `${prefix} ${i}`))
  await manager.deleteTenant(own[1].claims)

  const query = tenantQuery(`name_prefix=${encodeURIComponent(prefix)}&limit=2&unknown=1`)
  assert.deepEqual(query, { namePrefix: prefix, limit: 2 })
  const first = await manager.listTenants(query)
  const body = pageBody(first)
  assert.deepEqual(Object.keys(body), ['tenants', 'next'])
  assert.equal(body.next, first.next)
  assert.equal(typeof body.next, 'string')
  const rest = await manager.listTenants(
    tenantQuery(`name_prefix=${encodeURIComponent(prefix)}&limit=2&after=${encodeURIComponent(String(first.next))}`),
  )
  assert.equal(pageBody(rest).next, null)
  const tenants = [...first.tenants, ...rest.tenants]
  assert.deepEqual(
    tenants.map((t) => t.name),
    own.map((o) => o.tenant.name),
  )
  const bodies = [...body.tenants, ...pageBody(rest).tenants]
  for (const [i, tenant] of tenants.entries()) {
    const expected = {
      organization_id: tenant.id,
      organization_name: tenant.name,
      admin_email: tenant.adminEmail,
      collection_name: tenant.collectionName,
      database: tenant.database,
      layout: tenant.layout,
      cluster: tenant.cluster,
      state: tenant.state,
      created_at: tenant.createdAt.toISOString(),
      updated_at: tenant.updatedAt.toISOString(),
      deleted_at: tenant.deletedAt?.toISOString() ?? null,
      purge_after: tenant.purgeAfter?.toISOString() ?? null,
      suspended_at: tenant.suspendedAt?.toISOString() ?? null,
      suspended_reason: tenant.suspendedReason,
    }
    // Field for field, in the core's order.
    assert.equal(JSON.stringify(bodies[i]), JSON.stringify(expected))
    assert.equal(JSON.stringify(tenantBody(tenant)), JSON.stringify(expected))
  }
  assert.equal(bodies[1].state, 'deleted')
  assert.match(String(bodies[1].deleted_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

  // Times in any RFC 3339 offset; every problem at once, in the core's order.
  assert.deepEqual(tenantQuery('created_after=2026-01-31T12:00:00%2B01:00&state=deleted&layout=shared'), {
    state: 'deleted',
    layout: 'shared',
    createdAfter: new Date('2026-01-31T11:00:00Z'),
  })
  assert.deepEqual(tenantQuery(''), {})
  const err = thrown(() => tenantQuery('limit=x&state=gone&state=active&created_after=yesterday&layout=flat'))
  assert.ok(err instanceof RequestValidationError)
  assert.deepEqual(
    err.problems.map((p) => [p.field, p.kind]),
    [
      ['state', 'value_error'],
      ['layout', 'value_error'],
      ['created_after', 'value_error'],
      ['limit', 'value_error'],
    ],
  )
  const answer = responseFor(err)
  assert.equal(answer.status, 400)
  assert.equal(answer.body.code, 'INVALID_INPUT')
  assert.equal(answer.body.errors[0].field, 'state')

  // Only a tenant this library returned has a body.
  assert.ok(thrown(() => tenantBody(/** @type {any} */ ({}))) instanceof TypeError)
  const forged = thrown(() => tenantBody({ ...tenants[0], id: 'not-an-id' }))
  assert.ok(forged instanceof InvalidInputError)
  assert.equal(forged.field, 'tenant')
})
