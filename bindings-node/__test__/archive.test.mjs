// @ts-check
// Export, import and the audit log through the binding: an archive written to a file (or a
// Buffer) imports as an exact copy under another name, email or layout, with its progress
// reported; a damaged archive, an unknown tenant and a file that cannot be read or written
// are typed errors that leave nothing behind; `auditLog` pages and filters a tenant's
// events, `verifyAudit` finds an edited entry; the operator's rename and delete are
// audited as the operator's. The Express glue's audit and import parsers and bodies are the
// core's.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'

import { ObjectId } from 'mongodb'

import {
  RequestValidationError,
  auditPageBody,
  auditQuery,
  auditTenant,
  importOptions,
  verificationBody,
} from '../express.js'
import { InvalidInputError, TenantAlreadyExistsError, TenantNotFoundError } from '../index.js'
import {
  PASSWORD,
  binding,
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

/** @typedef {import('../index.js').ArchiveProgress} ArchiveProgress */
/** @typedef {import('../index.js').TenantManager} TenantManager */

/**
 * A directory of its own for the test's files, removed when it ends.
 *
 * @param {import('node:test').TestContext} t
 */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantry-archive-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A tenant holding `count` documents in its default collection.
 *
 * @param {TenantManager} manager
 * @param {number} count
 * @param {import('../index.js').TenantOptions} [options]
 */
async function tenantWithData(manager, count, options = undefined) {
  const admin = await tenantWithAdmin(manager, uniqueName('Archived'), options)
  const docs = Array.from({ length: count }, (_, n) => ({ _id: n, n, text: `document ${n}`, at: new Date(n) }))
  await manager.collection(admin.claims, driver).insertMany(/** @type {any[]} */ (docs))
  return { ...admin, docs }
}

/**
 * The documents of the tenant named `name`, in `_id` order, through its admin's claims.
 *
 * @param {TenantManager} manager
 * @param {string} email
 */
async function documentsOf(manager, email) {
  const claims = await manager.verifyToken((await manager.authenticate(email, PASSWORD)).accessToken)
  return manager.collection(claims, driver).find({}).sort({ _id: 1 }).toArray()
}

/**
 * Check the shape of each report and that the phases come in `expected` order (each
 * phase once or more, `done` exactly once and last).
 *
 * @param {ArchiveProgress[]} reports
 * @param {string[]} expected
 * @param {number} total
 */
function checkReports(reports, expected, total) {
  const phases = reports.map((r) => r.phase)
  const runs = phases.filter((p, i) => p !== phases[i - 1])
  assert.deepEqual(runs, expected, phases.join())
  for (const r of reports) {
    assert.deepEqual(Object.keys(r).sort(), ['copied', 'eta', 'phase', 'rate', 'total'])
    assert.ok(r.copied <= r.total && r.rate >= 0, JSON.stringify(r))
    assert.ok(r.eta === null || r.eta >= 0, JSON.stringify(r))
  }
  const copied = reports.map((r) => r.copied)
  assert.deepEqual(copied, [...copied].sort((a, b) => a - b), 'copied only grows')
  const done = /** @type {ArchiveProgress} */ (reports.at(-1))
  assert.deepEqual([done.copied, done.total], [total, total], 'done says how many')
}

test('an export to a file imports as an exact copy, its progress reported', async (t) => {
  const { manager } = await freshManager(t)
  const dir = tempDir(t)
  const source = await tenantWithData(manager, 2500)
  const file = path.join(dir, 'tenant.archive')

  /** @type {ArchiveProgress[]} */
  const exportReports = []
  const manifest = await manager.exportTenant(source.tenant.name, file, {
    onProgress: (p) => exportReports.push(p),
  })
  assert.deepEqual(Object.keys(manifest.collections), ['data'])
  assert.equal(manifest.collections.data.count, 2500)
  assert.match(manifest.collections.data.sha256, /^[0-9a-f]{64}$/)
  // The tenant's create and its admin's login.
  assert.equal(manifest.auditEntries, 2)
  // The promise settles after the callback has had every report.
  checkReports(exportReports, ['export', 'done'], 2500)
  assert.equal(exportReports.filter((r) => r.phase === 'export').length, 3, 'at the start, then every thousand')
  // Only the archive is left in the directory: no partial file.
  assert.deepEqual(fs.readdirSync(dir), ['tenant.archive'])

  const name = uniqueName('Copy')
  const email = uniqueEmail()
  /** @type {ArchiveProgress[]} */
  const importReports = []
  const imported = await manager.importTenant(file, {
    name,
    adminEmail: email,
    onProgress: (p) => importReports.push(p),
  })
  assert.deepEqual(imported.manifest, manifest)
  const { tenant } = imported
  assert.equal(tenant.name, name)
  assert.equal(tenant.adminEmail, email)
  assert.equal(tenant.state, 'active')
  assert.equal(tenant.layout, source.tenant.layout)
  assert.notEqual(tenant.id, source.tenant.id)
  assert.deepEqual(await manager.getTenant(name), tenant)
  checkReports(importReports, ['import', 'verify', 'done'], 2500)

  // The copy's admin logs in with the original's password, and has the same documents.
  assert.deepEqual(await documentsOf(manager, email), source.docs)
  // The copy's own log begins with its import; the archive's entries stay under the
  // original's id.
  const log = await manager.auditLog(tenant.id)
  assert.deepEqual(
    log.entries.map((e) => [e.op, e.actor, e.outcome]),
    [
      ['import', 'operator', 'ok'],
      ['login', `admin:${tenant.adminId}`, 'ok'],
    ],
  )
  assert.deepEqual(log.entries[0].detail, { from: { $oid: source.tenant.id }, name: source.tenant.name })
})

test('an export to a Buffer imports in another layout', async (t) => {
  const { manager } = await freshManager(t)
  const source = await tenantWithData(manager, 30)
  const archive = await manager.exportTenantBuffer(source.tenant.name)
  assert.ok(Buffer.isBuffer(archive))
  // A BSON document (the header) leads: its length, little-endian.
  assert.ok(archive.readInt32LE(0) > 5 && archive.readInt32LE(0) < archive.length)

  const name = uniqueName('Shared copy')
  const email = uniqueEmail()
  const { tenant, manifest } = await manager.importTenantBuffer(archive, { name, adminEmail: email, layout: 'shared' })
  assert.equal(tenant.layout, 'shared')
  assert.equal(manifest.collections.data.count, 30)
  assert.deepEqual(await documentsOf(manager, email), source.docs)
  // A Uint8Array is an archive too; the same names again are taken.
  const again = await rejection(manager.importTenantBuffer(new Uint8Array(archive), { name, adminEmail: uniqueEmail() }))
  assert.ok(again instanceof TenantAlreadyExistsError)
  assert.equal(again.field, 'name')
})

test('typed errors: an unknown tenant, a damaged archive, files that cannot be used', async (t) => {
  const { manager } = await freshManager(t)
  const dir = tempDir(t)
  const ghost = path.join(dir, 'ghost.archive')
  const missing = await rejection(manager.exportTenant(uniqueName('Ghost'), ghost))
  assert.ok(missing instanceof TenantNotFoundError)
  assert.deepEqual(fs.readdirSync(dir), [], 'a failed export leaves no file')
  assert.ok((await rejection(manager.exportTenantBuffer(uniqueName('Ghost')))) instanceof TenantNotFoundError)

  // An earlier archive at the path stays as it was when an export fails.
  fs.writeFileSync(ghost, 'earlier')
  assert.ok((await rejection(manager.exportTenant(uniqueName('Ghost'), ghost))) instanceof TenantNotFoundError)
  assert.equal(fs.readFileSync(ghost, 'utf8'), 'earlier')

  const source = await tenantWithData(manager, 50)
  const nowhere = await rejection(manager.exportTenant(source.tenant.name, path.join(dir, 'no', 'such', 'dir.archive')))
  assert.ok(nowhere instanceof InvalidInputError)
  assert.equal(nowhere.field, 'path')
  const unread = await rejection(manager.importTenant(path.join(dir, 'absent.archive')))
  assert.ok(unread instanceof InvalidInputError)
  assert.equal(unread.field, 'path')

  // A byte flipped anywhere, the archive cut short, or no archive at all: refused, and
  // nothing is left under the name.
  const archive = await manager.exportTenantBuffer(source.tenant.name)
  const flipped = Buffer.from(archive)
  flipped[Math.floor(flipped.length / 2)] ^= 0xff
  const file = path.join(dir, 'damaged.archive')
  fs.writeFileSync(file, flipped)
  for (const [what, attempt] of /** @type {const} */ ([
    ['flipped (file)', (/** @type {object} */ o) => manager.importTenant(file, o)],
    ['flipped', (/** @type {object} */ o) => manager.importTenantBuffer(flipped, o)],
    ['cut short', (/** @type {object} */ o) => manager.importTenantBuffer(archive.subarray(0, archive.length - 100), o)],
    ['empty', (/** @type {object} */ o) => manager.importTenantBuffer(Buffer.alloc(0), o)],
    ['not an archive', (/** @type {object} */ o) => manager.importTenantBuffer(Buffer.from('{"kind": "header"}'), o)],
  ])) {
    const name = uniqueName('Damaged')
    const err = await rejection(attempt({ name, adminEmail: uniqueEmail() }))
    assert.ok(err instanceof InvalidInputError, `${what}: ${err}`)
    assert.equal(err.field, 'archive', what)
    assert.equal(await manager.countTenants({ namePrefix: name }), 0, what)
  }
  const layout = await rejection(manager.importTenantBuffer(archive, { name: uniqueName(), layout: /** @type {any} */ ('flat') }))
  assert.ok(layout instanceof InvalidInputError)
  assert.equal(layout.field, 'layout')
  // The options must be an object.
  await assert.rejects(manager.importTenantBuffer(archive, /** @type {any} */ ('name')), TypeError)
  await assert.rejects(manager.exportTenant(source.tenant.name, file, { onProgress: /** @type {any} */ (7) }), TypeError)
})

test('a progress callback that throws warns, and the export and import go on', async (t) => {
  const { manager } = await freshManager(t)
  /** @type {string[]} */
  const warnings = []
  const onWarning = (/** @type {Error} */ w) => {
    if (w.name === 'TenantryWarning') warnings.push(w.message)
  }
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  const source = await tenantWithData(manager, 10)
  const archive = await manager.exportTenantBuffer(source.tenant.name, {
    onProgress: () => {
      throw new Error('thrown from an export report')
    },
  })
  const { tenant } = await manager.importTenantBuffer(archive, {
    name: uniqueName('Copy'),
    adminEmail: uniqueEmail(),
    onProgress: () => Promise.reject(new Error('rejected from an import report')),
  })
  assert.equal(tenant.state, 'active')
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve))
  assert.match(warnings[0], /an export's progress callback failed \(the export goes on\).*thrown from an export report/s)
  assert.ok(warnings.some((w) => /an import's progress callback failed.*rejected from an import report/s.test(w)))
})

test('auditLog pages and filters a tenant\'s events; verifyAudit finds an edited entry', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, email } = await tenantWithAdmin(manager)
  await rejection(manager.authenticate(email, 'not-the-password'))
  const page = await manager.auditLog(tenant.id)
  assert.deepEqual(
    page.entries.map((e) => [e.seq, e.op, e.outcome]),
    [
      [1, 'create', 'ok'],
      [2, 'login', 'ok'],
      [3, 'login', 'INVALID_CREDENTIALS'],
    ],
  )
  assert.equal(page.next, null)
  const [first, second] = page.entries
  assert.deepEqual(Object.keys(first).sort(), ['actor', 'at', 'detail', 'hash', 'op', 'outcome', 'prev', 'seq'])
  assert.ok(first.at instanceof Date)
  assert.equal(first.prev, '0'.repeat(64))
  assert.equal(second.prev, first.hash)
  assert.equal(first.detail.name, tenant.name)

  // Filters and pages.
  const logins = await manager.auditLog(tenant.id, { op: 'login', limit: 1 })
  assert.deepEqual([logins.entries.map((e) => e.seq), logins.next], [[2], 2])
  const rest = await manager.auditLog(tenant.id, { op: 'login', limit: 1, after: logins.next })
  assert.deepEqual([rest.entries.map((e) => e.seq), rest.next], [[3], null])
  const later = await manager.auditLog(tenant.id, { since: new Date(Date.now() + 60_000) })
  assert.deepEqual(later.entries, [])
  const before = await manager.auditLog(tenant.id, { until: new Date(Date.now() + 60_000), op: null })
  assert.equal(before.entries.length, 3)
  assert.deepEqual(await manager.verifyAudit(tenant.id), { entries: 3, intact: true, broken: null })

  // An entry edited behind the library's back: the chain breaks there.
  await db.collection('tenant_audit').updateOne({ tenant: new ObjectId(tenant.id), seq: 2 }, { $set: { actor: 'someone else' } })
  const verified = await manager.verifyAudit(tenant.id)
  assert.equal(verified.intact, false)
  assert.equal(verified.broken?.seq, 2)
  assert.match(verified.broken?.reason ?? '', /does not match its hash/)

  // Typed errors for what the core refuses.
  for (const [call, field] of /** @type {const} */ ([
    [() => manager.auditLog('not-an-id'), 'tenantId'],
    [() => manager.verifyAudit('12'), 'tenantId'],
    [() => manager.auditLog(tenant.id, { limit: 0 }), 'limit'],
    [() => manager.auditLog(tenant.id, { limit: 1.5 }), 'limit'],
    [() => manager.auditLog(tenant.id, { after: Number.NaN }), 'after'],
    [() => manager.auditLog(tenant.id, { since: new Date(Number.NaN) }), 'since'],
  ])) {
    const err = await rejection(call())
    assert.ok(err instanceof InvalidInputError, String(err))
    assert.equal(err.field, field)
  }
  await assert.rejects(manager.auditLog(tenant.id, /** @type {any} */ ('op=login')), TypeError)
  // An unknown (or purged) tenant's log is empty, and whole.
  const nobody = new ObjectId().toHexString()
  assert.deepEqual(await manager.auditLog(nobody), { entries: [], next: null })
  assert.deepEqual(await manager.verifyAudit(nobody), { entries: 0, intact: true, broken: null })
})

test('the operator\'s rename and delete act as the admin\'s would, audited as the operator\'s', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant } = await tenantWithAdmin(manager)
  const newName = uniqueName('Renamed')
  const renamed = await manager.adminRenameTenant(tenant.name, newName)
  assert.deepEqual([renamed.id, renamed.name], [tenant.id, newName])
  assert.ok((await rejection(manager.getTenant(tenant.name))) instanceof TenantNotFoundError)
  await manager.adminDeleteTenant(newName)
  assert.ok((await rejection(manager.getTenant(newName))) instanceof TenantNotFoundError)
  assert.ok((await rejection(manager.adminDeleteTenant(newName))) instanceof TenantNotFoundError)
  assert.ok((await rejection(manager.adminRenameTenant(uniqueName('Ghost'), uniqueName()))) instanceof TenantNotFoundError)

  // The log outlives the tenant.
  const log = await manager.auditLog(tenant.id)
  assert.deepEqual(
    log.entries.slice(-2).map((e) => [e.op, e.actor, e.outcome, e.detail]),
    [
      ['rename', 'operator', 'ok', { from: tenant.name, to: newName }],
      ['delete', 'operator', 'ok', { soft: false }],
    ],
  )
  assert.equal((await manager.verifyAudit(tenant.id)).intact, true)
})

test('the Express glue parses and answers the audit and import requests as the core does', async (t) => {
  const id = new ObjectId().toHexString()
  const parsed = auditQuery(`organization_id=${id}&op=login&limit=3&after=7&since=2026-01-31T12:00:00Z`)
  assert.equal(parsed.tenantId, id)
  assert.equal(parsed.query.op, 'login')
  assert.deepEqual([parsed.query.limit, parsed.query.after], [3, 7])
  assert.deepEqual(parsed.query.since, new Date('2026-01-31T12:00:00Z'))
  assert.equal(parsed.query.until, undefined)
  const bad = thrown(() => auditQuery('limit=x&since=then&op=a&op=b'))
  assert.ok(bad instanceof RequestValidationError)
  assert.deepEqual(
    /** @type {RequestValidationError} */ (/** @type {unknown} */ (bad)).problems.map((p) => [p.field, p.kind]),
    [
      ['organization_id', 'missing'],
      ['op', 'value_error'],
      ['since', 'value_error'],
      ['limit', 'value_error'],
    ],
  )
  assert.equal(auditTenant(`organization_id=${id}`), id)
  const badId = /** @type {RequestValidationError} */ (/** @type {unknown} */ (thrown(() => auditTenant('organization_id=12'))))
  assert.deepEqual(badId.problems.map((p) => p.field), ['organization_id'])
  assert.deepEqual(importOptions('organization_name=Copy&email=a%40b.example&layout=shared&cluster=home'), {
    name: 'Copy',
    adminEmail: 'a@b.example',
    layout: 'shared',
    cluster: 'home',
  })
  assert.deepEqual(importOptions(''), {})
  const badLayout = /** @type {RequestValidationError} */ (/** @type {unknown} */ (thrown(() => importOptions('layout=flat'))))
  assert.deepEqual(badLayout.problems.map((p) => p.field), ['layout'])

  // The bodies: the core's, from what the binding returned.
  const { manager } = await freshManager(t)
  const source = await tenantWithData(manager, 3)
  const email = uniqueEmail()
  const { tenant } = await manager.importTenantBuffer(await manager.exportTenantBuffer(source.tenant.name), {
    name: uniqueName('Copy'),
    adminEmail: email,
  })
  await manager.authenticate(email, PASSWORD)
  const page = await manager.auditLog(tenant.id, { limit: 1 })
  const [entry] = page.entries
  assert.deepEqual(auditPageBody(page), {
    entries: [
      {
        seq: 1,
        at: entry.at.toISOString(),
        actor: 'operator',
        op: 'import',
        outcome: 'ok',
        detail: { from: { $oid: source.tenant.id }, name: source.tenant.name },
        prev: '0'.repeat(64),
        hash: entry.hash,
      },
    ],
    next: 1,
  })
  assert.deepEqual(verificationBody(await manager.verifyAudit(tenant.id)), { entries: 2, intact: true, broken: null })
  assert.deepEqual(verificationBody({ entries: 4, intact: false, broken: { seq: 2, reason: 'edited' } }), {
    entries: 4,
    intact: false,
    broken: { seq: 2, reason: 'edited' },
  })
  const notOurs = thrown(() => auditPageBody({ entries: [{ ...entry, detail: /** @type {any} */ ([1]) }], next: null }))
  assert.ok(notOurs instanceof InvalidInputError)
})

test('AuditEntry and AuditQuery mirror the core field by field', () => {
  const text = fs.readFileSync(new URL('../native.d.ts', import.meta.url), 'utf8')
  /** @param {string} name */
  const declared = (name) => {
    const start = text.indexOf(`export interface ${name} {`)
    assert.ok(start >= 0, name)
    const body = text.slice(text.indexOf('{', start) + 1, text.indexOf('\n}', start))
    return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1])
  }
  // The tenant is the call's argument, not a field of its entries.
  const entry = binding.__coreFields('AuditEntry').filter((f) => f !== 'tenant')
  assert.equal(entry.length, 8)
  assert.deepEqual(declared('AuditEntry').sort(), entry.sort())
  assert.deepEqual(declared('AuditQuery'), binding.__coreFields('AuditQuery'))
})
