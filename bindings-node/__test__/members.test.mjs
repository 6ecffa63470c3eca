// @ts-check
// Members, roles and invitations through the binding: `inviteMember` shows the token once
// (the database holds its digest only, `console.log` and `JSON.stringify` its prefix
// only), `acceptInvitation` joins the invitee with its role, `members` lists everyone,
// `setMemberRole` and `removeMember` change the membership as the roles allow
// (`ForbiddenError` below them, `LastOwnerError` for the last owner, also when two owners
// demote each other at once), an invitation works once (of two racing accepts, one joins);
// `Claims.role` is the member's role; a login names the tenant when the email is a member
// of several. The HTTP bodies are the core's, the request bodies read by the core, and the
// Express glue's `requireRole` admits a role and those above it.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'

import express from 'express'

import {
  RequestValidationError,
  acceptedInvitation,
  claimsBody,
  createdInvitationBody,
  errorHandler,
  invitationBody,
  invitationsBody,
  memberBody,
  memberRole,
  membersBody,
  newInvitation,
  notFound,
  requireClaims,
  requireCredential,
  requireRole,
  responseFor,
} from '../express.js'
import {
  ForbiddenError,
  InvalidCredentialsError,
  InvalidInputError,
  LastOwnerError,
  TenantAlreadyExistsError,
  UnauthorizedError,
  errorClasses,
  httpAcceptedInvitation,
  httpCreatedInvitationBody,
  httpInvitationBody,
  httpInvitationsBody,
  httpMemberBody,
  httpMemberRole,
  httpMembersBody,
  httpNewInvitation,
} from '../index.js'
import {
  PASSWORD,
  binding,
  closeDriver,
  freshManager,
  rejection,
  tenantWithAdmin,
  thrown,
  uniqueEmail,
  uniqueName,
} from './helpers.mjs'

after(closeDriver)

const HEX_ID = /^[0-9a-f]{24}$/
const MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const TOKEN = /^tni_[0-9a-f]{24}_\S+$/
const MEMBER_FIELDS = ['createdAt', 'email', 'firstAdmin', 'id', 'role']
const INFO_FIELDS = ['createdAt', 'email', 'expiresAt', 'id', 'invitedBy', 'prefix', 'role']
const INFO_BODY_FIELDS = ['created_at', 'email', 'expires_at', 'id', 'invited_by', 'prefix', 'role']
const DAY = 86_400_000

/**
 * @param {unknown} err
 * @param {typeof import('../index.js').TenantryError} cls
 */
function assertKind(err, cls) {
  assert.ok(err instanceof cls, `not a ${cls.name}: ${String(err)}`)
  assert.equal(/** @type {any} */ (err).code, cls.code)
}

/**
 * The secret part of an invitation's token (after its prefix).
 *
 * @param {import('../index.js').Invitation} invitation
 */
function secretOf(invitation) {
  assert.ok(invitation.token.startsWith(`${invitation.info.prefix}_`), invitation.token)
  return invitation.token.slice(invitation.info.prefix.length + 1)
}

/**
 * `email` joins the tenant of `by` as `role` (invited and accepted) and logs in, naming
 * the tenant.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {import('../index.js').Claims} by
 * @param {import('../index.js').Role} role
 * @param {string} [email]
 */
async function join(manager, by, role, email = uniqueEmail()) {
  const invitation = await manager.inviteMember(by, { email, role })
  const member = await manager.acceptInvitation(invitation.token, PASSWORD)
  assert.deepEqual([member.email, member.role, member.firstAdmin], [email, role, false])
  const token = await manager.authenticate(email, PASSWORD, null, by.tenantName)
  const claims = await manager.verifyToken(token.accessToken)
  assert.equal(claims.adminId, member.id)
  return { member, claims, email, token }
}

/**
 * Poll `verifyToken(token)` until its claims have `role` (a role change reaches the hot
 * path's cache through the change stream).
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {string} token
 * @param {string} role
 */
async function untilRole(manager, token, role) {
  const started = Date.now()
  for (;;) {
    const claims = await manager.verifyToken(token)
    if (claims.role === role) return claims
    assert.ok(Date.now() - started < 5000, `the role is still ${claims.role} after 5 s`)
    await sleep(20)
  }
}

test('a member joins by invitation: the token shown once, listed with its role, bodies from the core', async (t) => {
  const { manager, db } = await freshManager(t)
  const { tenant, email: ownerEmail, claims: owner } = await tenantWithAdmin(manager)
  assert.equal(owner.role, 'owner', 'the first admin is an owner')
  assert.equal(owner.toJSON().role, 'owner')
  assert.equal(claimsBody(owner).role, 'owner')

  const email = uniqueEmail()
  const expiresAt = new Date(Date.now() + 2 * DAY)
  const made = await manager.inviteMember(owner, { email, role: 'admin', expiresAt })
  assert.deepEqual(Object.keys(made).sort(), ['info', 'token'])
  assert.match(made.token, TOKEN)
  const { info } = made
  assert.deepEqual(Object.keys(info).sort(), INFO_FIELDS)
  assert.match(info.id, HEX_ID)
  assert.equal(info.prefix, `tni_${info.id}`)
  assert.deepEqual([info.email, info.role, info.invitedBy], [email, 'admin', tenant.adminId])
  assert.ok(info.createdAt instanceof Date && Math.abs(info.createdAt.getTime() - Date.now()) < 60_000)
  assert.equal(info.expiresAt.getTime(), expiresAt.getTime())

  // The secret is in the answer only: not in the database, not when inspected or stringified.
  const secret = secretOf(made)
  assert.ok(secret.length >= 32, secret)
  const stored = await db.collection('tenant_invitations').find().toArray()
  assert.equal(stored.length, 1)
  assert.ok(!JSON.stringify(stored).includes(secret), 'the database holds the secret')
  const shown = inspect(made, { depth: 5 })
  assert.match(shown, /^Invitation \{/)
  assert.ok(shown.includes(`${info.prefix}_***`) && shown.includes(email), shown)
  assert.ok(!shown.includes(secret), shown)
  const json = JSON.stringify(made)
  assert.ok(!json.includes(secret), json)
  assert.deepEqual(JSON.parse(json).token, `${info.prefix}_***`)

  // Listed without it; its bodies are the core's.
  const pending = await manager.invitations(owner)
  assert.deepEqual(pending, [info])
  const created = createdInvitationBody(made)
  assert.deepEqual(Object.keys(created).sort(), [...INFO_BODY_FIELDS, 'token'].sort())
  assert.equal(created.token, made.token)
  assert.equal(created.invited_by, tenant.adminId)
  assert.equal(created.expires_at, expiresAt.toISOString())
  assert.match(created.created_at, MILLIS)
  assert.deepEqual(httpCreatedInvitationBody(made), created)
  const { token: _once, ...listedBody } = created
  assert.deepEqual(invitationBody(made.info), listedBody)
  assert.deepEqual(httpInvitationBody(pending[0]), listedBody)
  assert.deepEqual(invitationsBody(pending), { invitations: [listedBody] })
  assert.deepEqual(httpInvitationsBody(pending), invitationsBody(pending))

  // Accepted: the invitee is a member, the invitation used up.
  const member = await manager.acceptInvitation(made.token, PASSWORD)
  assert.deepEqual(Object.keys(member).sort(), MEMBER_FIELDS)
  assert.match(member.id, HEX_ID)
  assert.deepEqual([member.email, member.role, member.firstAdmin], [email, 'admin', false])
  assert.ok(member.createdAt instanceof Date)
  assert.deepEqual(memberBody(member), {
    id: member.id,
    email,
    role: 'admin',
    first_admin: false,
    created_at: member.createdAt.toISOString(),
  })
  assert.deepEqual(httpMemberBody(member), memberBody(member))
  assert.deepEqual(await manager.invitations(owner), [])
  assertKind(await rejection(manager.acceptInvitation(made.token, PASSWORD)), UnauthorizedError)

  // The new member logs in (its email belongs to one tenant: no name needed).
  const token = await manager.authenticate(email, PASSWORD)
  const claims = await manager.verifyToken(token.accessToken)
  assert.deepEqual([claims.adminId, claims.tenantId, claims.role], [member.id, tenant.id, 'admin'])
  assert.equal(claimsBody(claims).role, 'admin')

  // Listed with everyone, the first admin first.
  const members = await manager.members(claims)
  assert.deepEqual(
    members.map((m) => [m.id, m.email, m.role, m.firstAdmin]),
    [
      [tenant.adminId, ownerEmail, 'owner', true],
      [member.id, email, 'admin', false],
    ],
  )
  assert.deepEqual(members[1], member)
  assert.deepEqual(membersBody(members), { members: members.map((m) => memberBody(m)) })
  assert.deepEqual(httpMembersBody(members), membersBody(members))

  // Only objects this library returned have a body, each as what it was returned as.
  for (const [call, value, field] of /** @type {const} */ ([
    [memberBody, { ...member }, 'member'],
    [memberBody, made.info, 'member'],
    [membersBody, [...members], 'members'],
    [membersBody, members[0], 'members'],
    [invitationBody, { ...made.info }, 'invitation'],
    [invitationBody, member, 'invitation'],
    [createdInvitationBody, { ...made }, 'invitation'],
    [createdInvitationBody, made.info, 'invitation'],
    [invitationsBody, [...pending], 'invitations'],
  ])) {
    const err = thrown(() => /** @type {(v: any) => unknown} */ (call)(value))
    assert.ok(err instanceof InvalidInputError, String(err))
    assert.equal(err.field, field)
  }
})

test('roles change and members leave as the roles allow', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, claims: owner } = await tenantWithAdmin(manager)
  const admin = await join(manager, owner, 'admin')
  const plain = await join(manager, admin.claims, 'member')
  assert.equal(plain.claims.role, 'member')

  // A member manages nobody; an admin manages members and admins, never owners.
  assertKind(await rejection(manager.inviteMember(plain.claims, { email: uniqueEmail(), role: 'member' })), ForbiddenError)
  assertKind(await rejection(manager.invitations(plain.claims)), ForbiddenError)
  assertKind(await rejection(manager.setMemberRole(plain.claims, admin.member.id, 'member')), ForbiddenError)
  assertKind(await rejection(manager.removeMember(plain.claims, admin.member.id)), ForbiddenError)
  assertKind(await rejection(manager.inviteMember(admin.claims, { email: uniqueEmail(), role: 'owner' })), ForbiddenError)
  assertKind(await rejection(manager.setMemberRole(admin.claims, plain.member.id, 'owner')), ForbiddenError)
  assertKind(await rejection(manager.setMemberRole(admin.claims, tenant.adminId, 'member')), ForbiddenError)
  assertKind(await rejection(manager.removeMember(admin.claims, tenant.adminId)), ForbiddenError)
  assertKind(await rejection(manager.renameTenant(admin.claims, uniqueName('Mine'))), ForbiddenError)
  assertKind(await rejection(manager.deleteTenant(admin.claims)), ForbiddenError)
  // Any member lists the members.
  assert.equal((await manager.members(plain.claims)).length, 3)

  // Promoted: the member's next verification says so.
  const promoted = await manager.setMemberRole(admin.claims, plain.member.id, 'admin')
  assert.ok(promoted)
  assert.deepEqual([promoted.id, promoted.role], [plain.member.id, 'admin'])
  assert.deepEqual(memberBody(promoted), { ...memberBody(plain.member), role: 'admin' })
  await untilRole(manager, plain.token.accessToken, 'admin')
  // The same role again changes nothing.
  assert.equal((await manager.setMemberRole(owner, plain.member.id, 'admin'))?.role, 'admin')

  // No such member: null; not an id or not a role: InvalidInputError naming it.
  assert.equal(await manager.setMemberRole(owner, '0123456789abcdef01234567', 'member'), null)
  const other = await tenantWithAdmin(manager)
  assert.equal(await manager.setMemberRole(other.claims, plain.member.id, 'member'), null, "another tenant's member")
  assert.equal(await manager.removeMember(other.claims, plain.member.id), false)
  for (const bad of ['', 'nope', `${plain.member.id}0`, 'z'.repeat(24)]) {
    for (const call of [() => manager.setMemberRole(owner, bad, 'member'), () => manager.removeMember(owner, bad)]) {
      const err = await rejection(call())
      assertKind(err, InvalidInputError)
      assert.equal(err.field, 'memberId')
      assert.equal(responseFor(err).body.errors[0].field, 'member_id')
    }
  }
  for (const bad of ['Owner', 'root', '', ' admin']) {
    const err = await rejection(manager.setMemberRole(owner, plain.member.id, /** @type {any} */ (bad)))
    assertKind(err, InvalidInputError)
    assert.equal(err.field, 'role')
    const invited = await rejection(manager.inviteMember(owner, { email: uniqueEmail(), role: /** @type {any} */ (bad) }))
    assertKind(invited, InvalidInputError)
    assert.equal(invited.field, 'role')
  }
  const late = await rejection(manager.inviteMember(owner, { email: uniqueEmail(), role: 'member', expiresAt: new Date(Date.now() - 1000) }))
  assert.equal(late.field, 'expiresAt')
  const far = await rejection(manager.inviteMember(owner, { email: uniqueEmail(), role: 'member', expiresAt: new Date(Date.now() + 31 * DAY) }))
  assert.equal(far.field, 'expiresAt')
  const invalid = await rejection(manager.inviteMember(owner, { email: uniqueEmail(), role: 'member', expiresAt: new Date(NaN) }))
  assert.equal(invalid.field, 'expiresAt')
  assert.equal((await rejection(manager.inviteMember(owner, { email: 'not-an-email', role: 'member' }))).field, 'email')
  const taken = await rejection(manager.inviteMember(owner, { email: admin.email.toUpperCase(), role: 'member' }))
  assertKind(taken, TenantAlreadyExistsError)
  assert.equal(taken.field, 'email')

  // Removed: its sessions end and its claims stop working; once.
  assert.equal(await manager.removeMember(admin.claims, plain.member.id), true)
  assert.equal(await manager.removeMember(admin.claims, plain.member.id), false)
  assertKind(await rejection(manager.members(plain.claims)), UnauthorizedError)
  assertKind(await rejection(manager.authenticate(plain.email, PASSWORD)), InvalidCredentialsError)
  assert.deepEqual(
    (await manager.members(owner)).map((m) => m.id),
    [tenant.adminId, admin.member.id],
  )

  // An API key's claims manage no member.
  const key = await manager.createApiKey(owner, { name: 'bot', scopes: ['x'] })
  const bot = await manager.verifyApiKey(key.key)
  assert.equal(bot.role, null)
  assert.equal(claimsBody(bot).role, null)
  assertKind(await rejection(manager.members(bot)), ForbiddenError)
  assertKind(await rejection(manager.inviteMember(bot, { email: uniqueEmail(), role: 'member' })), ForbiddenError)
  assertKind(await rejection(manager.invitations(bot)), ForbiddenError)
  assertKind(await rejection(manager.setMemberRole(bot, admin.member.id, 'member')), ForbiddenError)
  assertKind(await rejection(manager.removeMember(bot, admin.member.id)), ForbiddenError)
  // Claims of decodeToken have no role.
  assert.equal(manager.decodeToken(admin.token.accessToken).role, null)
})

test('the last owner is never removed or demoted: LastOwnerError, 409 from the table', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, email, claims: first } = await tenantWithAdmin(manager)
  const alone = await rejection(manager.setMemberRole(first, tenant.adminId, 'admin'))
  assertKind(alone, LastOwnerError)
  assert.equal(alone.name, 'LastOwnerError')
  assert.equal(errorClasses.LAST_OWNER, LastOwnerError)
  const answer = responseFor(alone)
  assert.deepEqual([answer.status, answer.body], [
    409,
    { detail: "The organization's last owner cannot be removed or demoted", code: 'LAST_OWNER' },
  ])

  const second = await join(manager, first, 'owner')
  // The first admin is demoted, never removed.
  assertKind(await rejection(manager.removeMember(second.claims, tenant.adminId)), ForbiddenError)
  assert.equal((await manager.setMemberRole(second.claims, tenant.adminId, 'member'))?.role, 'member')
  const demoted = await untilRole(manager, (await manager.authenticate(email, PASSWORD)).accessToken, 'member')
  assertKind(await rejection(manager.renameTenant(demoted, uniqueName('Mine'))), ForbiddenError)
  assertKind(await rejection(manager.setMemberRole(second.claims, second.member.id, 'admin')), LastOwnerError)
  assertKind(await rejection(manager.removeMember(second.claims, second.member.id)), LastOwnerError)
  const owners = (await manager.members(second.claims)).filter((m) => m.role === 'owner')
  assert.deepEqual(
    owners.map((m) => m.id),
    [second.member.id],
  )
})

test('two owners demoting each other at once: exactly one is refused, one owner left', async (t) => {
  const { manager } = await freshManager(t)
  // Each demoting itself at once: both pass the role check, the owner count lets one
  // through, the other is LastOwnerError, every time.
  for (let round = 0; round < 3; round++) {
    const { tenant, claims: a } = await tenantWithAdmin(manager)
    const b = await join(manager, a, 'owner')
    const outcomes = await Promise.allSettled([
      manager.setMemberRole(a, tenant.adminId, 'member'),
      manager.setMemberRole(b.claims, b.member.id, 'member'),
    ])
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, inspect(outcomes))
    const [refused] = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []))
    assertKind(refused, LastOwnerError)
  }
  // Each demoting the other at once: one succeeds; the other is LastOwnerError, or, when
  // the first demotion was through before the other's role was read, ForbiddenError (an
  // admin by then, it may not change an owner): never both, never neither.
  const seen = new Set()
  for (let round = 0; round < 4; round++) {
    const { tenant, claims: a } = await tenantWithAdmin(manager)
    const b = await join(manager, a, 'owner')
    const outcomes = await Promise.allSettled([
      manager.setMemberRole(a, b.member.id, 'admin'),
      manager.setMemberRole(b.claims, tenant.adminId, 'admin'),
    ])
    const done = outcomes.filter((o) => o.status === 'fulfilled')
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []))
    assert.equal(done.length, 1, `round ${round}: ${inspect(outcomes)}`)
    assert.equal(refused.length, 1)
    assert.ok(refused[0] instanceof LastOwnerError || refused[0] instanceof ForbiddenError, String(refused[0]))
    seen.add(refused[0].name)
    const members = await manager.members(done[0] === outcomes[0] ? a : b.claims)
    assert.equal(members.filter((m) => m.role === 'owner').length, 1, `round ${round}`)
  }
  assert.ok(seen.size > 0)
})

test('an invitation works once: of two racing accepts one joins, the other is refused', async (t) => {
  const { manager, db } = await freshManager(t)
  const { claims: owner } = await tenantWithAdmin(manager)
  for (let round = 0; round < 4; round++) {
    const email = uniqueEmail()
    const made = await manager.inviteMember(owner, { email, role: 'member' })
    const outcomes = await Promise.allSettled([
      manager.acceptInvitation(made.token, 'first-password-123'),
      manager.acceptInvitation(made.token, 'second-password-123'),
    ])
    const joined = outcomes.filter((o) => o.status === 'fulfilled')
    assert.equal(joined.length, 1, `round ${round}: ${inspect(outcomes)}`)
    const [refused] = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []))
    // UnauthorizedError (the invitation is used); rarely TenantAlreadyExistsError, when the
    // loser checked the email after the winner had joined (the core's own test allows it).
    assert.ok(refused instanceof UnauthorizedError || refused instanceof TenantAlreadyExistsError, String(refused))
    assert.equal(await db.collection('admin_users').countDocuments({ email }), 1)
    // Used up: a later accept is unauthorized.
    assertKind(await rejection(manager.acceptInvitation(made.token, PASSWORD)), UnauthorizedError)
    // The winner's password is the member's.
    const password = joined[0] === outcomes[0] ? 'first-password-123' : 'second-password-123'
    await manager.authenticate(email, password)
  }

  // Revoked, expired, forged and malformed tokens are refused alike; a weak password is
  // the caller's to fix (the invitation stays usable).
  const revoked = await manager.inviteMember(owner, { email: uniqueEmail(), role: 'member' })
  assert.equal(await manager.revokeInvitation(owner, revoked.info.id), true)
  assert.equal(await manager.revokeInvitation(owner, revoked.info.id), false)
  assert.equal(await manager.revokeInvitation(owner, '0123456789abcdef01234567'), false)
  const bad = await rejection(manager.revokeInvitation(owner, 'nope'))
  assertKind(bad, InvalidInputError)
  assert.equal(bad.field, 'invitationId')
  assert.equal(responseFor(bad).body.errors[0].field, 'invitation_id')
  const live = await manager.inviteMember(owner, { email: uniqueEmail(), role: 'member' })
  const weak = await rejection(manager.acceptInvitation(live.token, 'short'))
  assertKind(weak, InvalidInputError)
  assert.equal(weak.field, 'password')
  const secret = secretOf(live)
  for (const token of [
    revoked.token,
    `${live.info.prefix}_${'0'.repeat(secret.length)}`,
    `${revoked.info.prefix}_${secret}`,
    live.token.slice(0, -1),
    live.info.prefix,
    'tni_',
    'tnk_nope',
    '',
  ]) {
    assertKind(await rejection(manager.acceptInvitation(token, PASSWORD)), UnauthorizedError)
  }
  assert.equal((await manager.acceptInvitation(live.token, PASSWORD)).email, live.info.email)
})

test('a login names the tenant when the email is a member of several', async (t) => {
  const { manager } = await freshManager(t)
  const a = await tenantWithAdmin(manager)
  const b = await tenantWithAdmin(manager)
  const email = uniqueEmail()
  const inA = await join(manager, a.claims, 'admin', email)
  const inB = await join(manager, b.claims, 'member', email)
  assert.notEqual(inA.member.id, inB.member.id, 'one membership per tenant')

  // Without a name, the password opens both: the caller is asked to name one.
  for (const login of [() => manager.authenticate(email, PASSWORD), () => manager.loginSession(email, PASSWORD)]) {
    const err = await rejection(login())
    assertKind(err, InvalidInputError)
    assert.equal(err.field, 'organizationName')
    assert.equal(responseFor(err).body.errors[0].field, 'organization_name')
  }
  // Named (any spelling), each login is that tenant's member.
  const intoB = await manager.authenticate(email, PASSWORD, undefined, b.tenant.name.toUpperCase())
  assert.deepEqual([intoB.adminId, intoB.tenantId], [inB.member.id, b.tenant.id])
  const session = await manager.loginSession(email, PASSWORD, '10.0.0.1', a.tenant.name)
  assert.deepEqual([session.access.adminId, session.access.tenantId], [inA.member.id, a.tenant.id])
  assert.equal((await manager.verifyToken(session.access.accessToken)).role, 'admin')
  // A tenant the email is no member of, or none at all: bad credentials.
  const c = await tenantWithAdmin(manager)
  for (const name of [c.tenant.name, uniqueName('Nobody'), '']) {
    assertKind(await rejection(manager.authenticate(email, PASSWORD, null, name)), InvalidCredentialsError)
    assertKind(await rejection(manager.loginSession(email, PASSWORD, null, name)), InvalidCredentialsError)
  }
  // The first admin's own login is unchanged, named or not.
  assert.equal((await manager.authenticate(a.email, PASSWORD)).adminId, a.tenant.adminId)
  assert.equal((await manager.authenticate(a.email, PASSWORD, null, a.tenant.name)).adminId, a.tenant.adminId)
  assertKind(await rejection(manager.authenticate(a.email, PASSWORD, null, b.tenant.name)), InvalidCredentialsError)
})

test('the role type and the LAST_OWNER code are the core\'s', async () => {
  const { readFile } = await import('node:fs/promises')
  const union = [...binding.__roles()]
    .reverse()
    .map((r) => `'${r}'`)
    .join(' | ')
  const index = await readFile(new URL('../index.d.ts', import.meta.url), 'utf8')
  assert.ok(index.includes(`export type Role = ${union}\n`), `index.d.ts: Role is not ${union}`)
  const native = await readFile(new URL('../native.d.ts', import.meta.url), 'utf8')
  const roles = [...native.matchAll(/^ {2}role\??: (.*)$/gm)].map((m) => m[1])
  assert.ok(roles.length >= 4, String(roles))
  for (const type of roles) assert.ok([union, `${union} | null`].includes(type), type)
  assert.ok(native.includes(`get role(): ${union} | null`))
})

test('the request bodies are read by the core as every server reads them', () => {
  const body = (/** @type {unknown} */ value) => Buffer.from(JSON.stringify(value))
  /** @param {() => unknown} read */
  const problems = (read) => {
    const err = thrown(read)
    assert.ok(err instanceof RequestValidationError, String(err))
    return /** @type {RequestValidationError} */ (/** @type {unknown} */ (err)).problems.map((p) => [p.field, p.kind])
  }

  assert.equal(memberRole(body({ role: 'admin' })), 'admin')
  assert.equal(memberRole('{"role": "owner", "other": 1}'), 'owner')
  assert.deepEqual(httpMemberRole(body({ role: 'member' })), { value: 'member', problems: [] })
  assert.deepEqual(problems(() => memberRole('{}')), [['role', 'missing']])
  assert.deepEqual(problems(() => memberRole(body({ role: 'Owner' }))), [['role', 'value_error']])
  assert.deepEqual(problems(() => memberRole(body({ role: 1 }))), [['role', 'type_error']])
  assert.deepEqual(problems(() => memberRole('{')), [['body', 'json_invalid']])

  assert.deepEqual(newInvitation(body({ email: 'a@b.co', role: 'member' })), { email: 'a@b.co', role: 'member', expiresAt: null })
  const dated = newInvitation(body({ email: 'a@b.co', role: 'owner', expires_at: '2031-02-03T04:05:06.789+01:00' }))
  assert.deepEqual(dated, { email: 'a@b.co', role: 'owner', expiresAt: new Date('2031-02-03T03:05:06.789Z') })
  // The email is the core's to judge, later.
  assert.deepEqual(httpNewInvitation(body({ email: '', role: 'admin', expires_at: null })).value, {
    email: '',
    role: 'admin',
    expiresAt: null,
  })
  assert.deepEqual(problems(() => newInvitation('{}')), [
    ['email', 'missing'],
    ['role', 'missing'],
  ])
  // The types first (every field's), then the values (every one).
  assert.deepEqual(problems(() => newInvitation(body({ email: 5, role: 1, expires_at: 2 }))), [
    ['email', 'type_error'],
    ['role', 'type_error'],
    ['expires_at', 'type_error'],
  ])
  assert.deepEqual(problems(() => newInvitation(body({ email: 'a@b.co', role: 'boss', expires_at: 'soon' }))), [
    ['role', 'value_error'],
    ['expires_at', 'value_error'],
  ])
  assert.deepEqual(problems(() => newInvitation('[1]')), [['body', 'type_error']])

  assert.deepEqual(acceptedInvitation(body({ token: 'tni_x', password: 'p' })), { token: 'tni_x', password: 'p' })
  assert.deepEqual(httpAcceptedInvitation(body({ token: 't', password: 'p' })).value, { token: 't', password: 'p' })
  assert.deepEqual(problems(() => acceptedInvitation(body({ token: 1 }))), [
    ['token', 'type_error'],
    ['password', 'missing'],
  ])
  const answer = responseFor(thrown(() => newInvitation('{}')))
  assert.equal(answer.status, 400)
  assert.equal(answer.body.message, 'email: field required')
})

test('requireRole: the role or above, 403 below it and for API keys, never a pass without claims', async (t) => {
  const { manager } = await freshManager(t)
  const { token, claims: owner } = await tenantWithAdmin(manager)
  const admin = await join(manager, owner, 'admin')
  const plain = await join(manager, owner, 'member')
  const key = await manager.createApiKey(owner, { name: 'bot', scopes: ['x'] })

  const app = express()
  const logged = /** @type {string[]} */ ([])
  for (const role of /** @type {const} */ (['owner', 'admin', 'member'])) {
    app.get(`/${role}`, requireCredential(manager), requireRole(role), (req, res) => {
      res.json({ role: req.claims?.role })
    })
  }
  app.get('/forgot', requireRole('member'), (_req, res) => {
    res.json({})
  })
  app.get('/tokens', requireClaims(manager), requireRole('admin'), (_req, res) => {
    res.json({})
  })
  app.use(notFound(), errorHandler({ log: (message) => logged.push(message) }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  /** @param {string} path @param {string} credential */
  const call = async (path, credential) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${credential}` } })
    return { status: res.status, body: /** @type {any} */ (await res.json()) }
  }

  const forbidden = { detail: 'Not authorized to act on this organization', code: 'FORBIDDEN' }
  /** @type {[string, string[]][]} */
  const cases = [
    [token.accessToken, ['owner', 'admin', 'member']],
    [admin.token.accessToken, ['admin', 'member']],
    [plain.token.accessToken, ['member']],
    [key.key, []],
  ]
  for (const [credential, admitted] of cases) {
    for (const route of ['owner', 'admin', 'member']) {
      const answer = await call(`/${route}`, credential)
      if (admitted.includes(route)) assert.equal(answer.status, 200, `${route}: ${inspect(answer)}`)
      else assert.deepEqual([answer.status, answer.body], [403, forbidden], route)
    }
  }
  assert.equal((await call('/tokens', admin.token.accessToken)).status, 200)
  assert.equal((await call('/tokens', plain.token.accessToken)).status, 403)
  assert.equal((await call('/tokens', 'garbage')).status, 401)
  const forgot = await call('/forgot', token.accessToken)
  assert.deepEqual([forgot.status, forgot.body.code], [500, 'INTERNAL'])
  assert.equal(logged.length, 1)
  // A demotion reaches the route with the claims.
  await manager.setMemberRole(owner, admin.member.id, 'member')
  await untilRole(manager, admin.token.accessToken, 'member')
  assert.equal((await call('/admin', admin.token.accessToken)).status, 403)

  for (const bad of ['Owner', '', 'root', 5, null]) {
    assert.throws(() => requireRole(/** @type {any} */ (bad)), TypeError)
  }
  const direct = thrown(() => {
    requireRole('admin')({ claims: plain.claims }, null, (/** @type {unknown} */ err) => {
      throw err
    })
  })
  assertKind(direct, ForbiddenError)
})
