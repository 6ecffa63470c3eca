// @ts-check
// Sessions through the binding: `loginSession` gives a short access token and a refresh
// token; `refreshSession` rotates them, and a refresh token presented twice ends its whole
// session; `sessions`, `endSession` and `endAllSessions` list and end an admin's sessions
// (a text that is not a session id is `InvalidInputError` on `sessionId`); a suspended
// tenant refuses both the login and the refresh; inspecting a session shows neither token;
// `sessionAccessSeconds` and `sessionRefreshSeconds` set the lifetimes. The HTTP bodies
// are the core's (`sessionBody`, `sessionsBody`).

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'

import { responseFor, sessionBody, sessionsBody } from '../express.js'
import {
  ConfigError,
  InvalidCredentialsError,
  InvalidInputError,
  TenantSuspendedError,
  UnauthorizedError,
  httpSessionBody,
  httpSessionsBody,
} from '../index.js'
import { PASSWORD, closeDriver, freshManager, rejection, tenantWithAdmin, thrown, uniqueName } from './helpers.mjs'

after(closeDriver)

const HEX_ID = /^[0-9a-f]{24}$/
const MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/**
 * Seconds from now to `date`.
 *
 * @param {Date} date
 */
function secondsUntil(date) {
  return (date.getTime() - Date.now()) / 1000
}

/** @param {unknown} err */
function assertUnauthorized(err) {
  assert.ok(err instanceof UnauthorizedError, `not an UnauthorizedError: ${String(err)}`)
  assert.equal(err.code, 'UNAUTHORIZED')
}

/**
 * Wait until `token` no longer verifies (a revocation reaches the hot path's cache through
 * the change stream); the last error.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {string} token
 */
async function refused(manager, token) {
  const started = Date.now()
  for (;;) {
    const err = await manager.verifyToken(token).then(
      () => undefined,
      (/** @type {unknown} */ e) => e,
    )
    if (err !== undefined) return err
    assert.ok(Date.now() - started < 5000, 'the token is still accepted after 5 s')
    await sleep(20)
  }
}

test('loginSession gives an access token, a refresh token and the session, with the core\'s body', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, email } = await tenantWithAdmin(manager)
  const session = await manager.loginSession(email, PASSWORD, '203.0.113.7')

  assert.deepEqual(Object.keys(session).sort(), ['access', 'expiresAt', 'refreshToken', 'sessionId'])
  assert.match(session.sessionId, HEX_ID)
  assert.equal(typeof session.refreshToken, 'string')
  assert.ok(session.refreshToken.length > 64, session.refreshToken)
  assert.ok(session.expiresAt instanceof Date)
  // The defaults: 15 minutes for the access token, 30 days for the session.
  assert.ok(Math.abs(secondsUntil(session.access.expiresAt) - 900) < 60, String(session.access.expiresAt))
  assert.ok(Math.abs(secondsUntil(session.expiresAt) - 30 * 86400) < 60, String(session.expiresAt))
  assert.equal(session.access.tokenType, 'bearer')
  assert.equal(session.access.tenantId, tenant.id)
  assert.equal(session.access.adminId, tenant.adminId)
  assert.equal(session.access.tenantName, tenant.name)

  // The access token is a token like any other.
  const claims = await manager.verifyToken(session.access.accessToken)
  assert.equal(claims.adminId, tenant.adminId)
  assert.equal(claims.tenantId, tenant.id)

  // As `POST /auth/login` answers it.
  const body = sessionBody(session)
  assert.deepEqual(Object.keys(body).sort(), [
    'access_token',
    'admin_id',
    'expires_in',
    'organization_id',
    'organization_name',
    'refresh_token',
    'session_expires_at',
    'session_id',
    'token_type',
  ])
  assert.equal(body.access_token, session.access.accessToken)
  assert.equal(body.refresh_token, session.refreshToken)
  assert.equal(body.session_id, session.sessionId)
  assert.equal(body.token_type, 'bearer')
  assert.equal(body.admin_id, tenant.adminId)
  assert.equal(body.organization_id, tenant.id)
  assert.equal(body.organization_name, tenant.name)
  assert.equal(body.session_expires_at, session.expiresAt.toISOString())
  assert.match(body.session_expires_at, MILLIS)
  assert.ok(Number.isInteger(body.expires_in) && body.expires_in > 840 && body.expires_in <= 900, String(body.expires_in))
  assert.deepEqual(httpSessionBody(session), { ...body, expires_in: httpSessionBody(session).expires_in })

  // Only sessions this library returned have a body.
  const copy = { ...session, access: { ...session.access } }
  const err = thrown(() => sessionBody(copy))
  assert.ok(err instanceof InvalidInputError, String(err))
  assert.equal(err.field, 'session')

  // A wrong password is refused as `authenticate` refuses it.
  const wrong = await rejection(manager.loginSession(email, 'not-the-password'))
  assert.ok(wrong instanceof InvalidCredentialsError, String(wrong))
})

test('refreshSession rotates both tokens; a refresh token used twice ends the session', async (t) => {
  const { manager } = await freshManager(t)
  const { email } = await tenantWithAdmin(manager)
  const first = await manager.loginSession(email, PASSWORD)

  const second = await manager.refreshSession(first.refreshToken)
  assert.equal(second.sessionId, first.sessionId)
  assert.notEqual(second.refreshToken, first.refreshToken)
  // (The access token may be the same text as the last one within the same second: it
  // carries no nonce.)
  assert.equal(second.access.adminId, first.access.adminId)
  assert.deepEqual(second.expiresAt, first.expiresAt, 'a refresh keeps the session\'s end')
  await manager.verifyToken(second.access.accessToken)
  assert.equal(sessionBody(second).refresh_token, second.refreshToken)

  // The used token again: refused, and the whole session ends with it.
  assertUnauthorized(await rejection(manager.refreshSession(first.refreshToken)))
  assertUnauthorized(await rejection(manager.refreshSession(second.refreshToken)))

  // Malformed and unknown tokens.
  assertUnauthorized(await rejection(manager.refreshSession('not-a-refresh-token')))
  const [id] = second.refreshToken.split('.')
  assertUnauthorized(await rejection(manager.refreshSession(`${id}.${'0'.repeat(64)}`)))
})

test('sessions lists the open sessions newest first; endSession and endAllSessions end them', async (t) => {
  const { manager } = await freshManager(t)
  const { email, claims } = await tenantWithAdmin(manager)
  const older = await manager.loginSession(email, PASSWORD, '203.0.113.7')
  await sleep(5)
  const newer = await manager.loginSession(email, PASSWORD)

  const listed = await manager.sessions(claims)
  assert.deepEqual(
    listed.map((s) => s.id),
    [newer.sessionId, older.sessionId],
  )
  const [latest, earliest] = listed
  assert.deepEqual(Object.keys(latest).sort(), ['client', 'createdAt', 'expiresAt', 'id', 'refreshedAt'])
  assert.equal(latest.client, null)
  assert.equal(earliest.client, '203.0.113.7')
  assert.deepEqual(earliest.expiresAt, older.expiresAt)
  assert.ok(earliest.createdAt instanceof Date && earliest.refreshedAt instanceof Date)

  // As `GET /auth/sessions` answers it.
  const body = sessionsBody(listed)
  assert.deepEqual(body, httpSessionsBody(listed))
  assert.deepEqual(
    body.sessions.map((s) => s.session_id),
    [newer.sessionId, older.sessionId],
  )
  assert.deepEqual(Object.keys(body.sessions[1]).sort(), ['client', 'created_at', 'expires_at', 'refreshed_at', 'session_id'])
  assert.equal(body.sessions[1].client, '203.0.113.7')
  assert.equal(body.sessions[0].client, null)
  assert.equal(body.sessions[1].created_at, earliest.createdAt.toISOString())
  assert.match(body.sessions[1].expires_at, MILLIS)
  const notListed = thrown(() => sessionsBody([...listed]))
  assert.ok(notListed instanceof InvalidInputError, String(notListed))
  assert.equal(notListed.field, 'sessions')

  // A refresh keeps the session's id: listed once, refreshed since its login.
  const renewed = await manager.refreshSession(older.refreshToken)
  const again = await manager.sessions(claims)
  assert.equal(again.length, 2)
  const refreshedOne = again.find((s) => s.id === older.sessionId)
  assert.ok(refreshedOne)
  assert.ok(refreshedOne.refreshedAt.getTime() >= refreshedOne.createdAt.getTime())
  assert.equal(refreshedOne.client, '203.0.113.7', 'the login\'s client stays')

  // End one: its refresh token stops working; ending it again ends nothing.
  assert.equal(await manager.endSession(claims, older.sessionId), true)
  assert.equal(await manager.endSession(claims, older.sessionId), false)
  assertUnauthorized(await rejection(manager.refreshSession(renewed.refreshToken)))
  assert.deepEqual(
    (await manager.sessions(claims)).map((s) => s.id),
    [newer.sessionId],
  )
  // A well-formed id no open session of the admin has.
  assert.equal(await manager.endSession(claims, '0123456789abcdef01234567'), false)

  // Log out everywhere: the sessions end, and every access token of the admin is revoked.
  const third = await manager.loginSession(email, PASSWORD)
  assert.equal(await manager.endAllSessions(claims), 2)
  assertUnauthorized(await rejection(manager.refreshSession(newer.refreshToken)))
  assertUnauthorized(await rejection(manager.refreshSession(third.refreshToken)))
  assertUnauthorized(await refused(manager, third.access.accessToken))
  assertUnauthorized(await rejection(manager.sessions(claims)))
  const fresh = await manager.verifyToken((await manager.authenticate(email, PASSWORD)).accessToken)
  assert.deepEqual(await manager.sessions(fresh), [])
  assert.equal(await manager.endAllSessions(fresh), 0)
})

test('endSession refuses a text that is not a session id, on field sessionId', async (t) => {
  const { manager } = await freshManager(t)
  const { email, claims } = await tenantWithAdmin(manager)
  const session = await manager.loginSession(email, PASSWORD)
  for (const bad of ['not-an-id', '', `${session.sessionId}0`, 'zzzzzzzzzzzzzzzzzzzzzzzz']) {
    const err = await rejection(manager.endSession(claims, bad))
    assert.ok(err instanceof InvalidInputError, `${bad}: ${String(err)}`)
    assert.equal(err.code, 'INVALID_INPUT')
    assert.equal(err.field, 'sessionId')
    // Answered as `POST /auth/logout` answers it: 400 on `session_id`.
    const answer = responseFor(err)
    assert.equal(answer.status, 400)
    assert.ok(JSON.stringify(answer.body).includes('session_id'), JSON.stringify(answer.body))
  }
  // Nothing was ended.
  assert.deepEqual(
    (await manager.sessions(claims)).map((s) => s.id),
    [session.sessionId],
  )
})

test('a suspended tenant refuses loginSession and refreshSession; resumed, the refresh token works', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, email } = await tenantWithAdmin(manager, uniqueName('Paused'))
  const session = await manager.loginSession(email, PASSWORD)
  await manager.suspendTenant(tenant.name, 'unpaid invoice')

  const login = await rejection(manager.loginSession(email, PASSWORD))
  assert.ok(login instanceof TenantSuspendedError, String(login))
  assert.equal(login.code, 'TENANT_SUSPENDED')
  const refresh = await rejection(manager.refreshSession(session.refreshToken))
  assert.ok(refresh instanceof TenantSuspendedError, String(refresh))
  // A wrong password still says nothing of the suspension.
  const wrong = await rejection(manager.loginSession(email, 'not-the-password'))
  assert.ok(wrong instanceof InvalidCredentialsError, String(wrong))

  // The refresh token was kept for after the suspension.
  await manager.resumeTenant(tenant.name)
  const renewed = await manager.refreshSession(session.refreshToken)
  assert.equal(renewed.sessionId, session.sessionId)
})

test('inspecting a session shows neither token', async (t) => {
  const { manager } = await freshManager(t)
  const { email } = await tenantWithAdmin(manager)
  const session = await manager.loginSession(email, PASSWORD)
  const [, secret] = session.refreshToken.split('.')
  for (const shown of [inspect(session), inspect(session, { depth: Infinity }), inspect({ session })]) {
    assert.ok(!shown.includes(session.refreshToken) && !shown.includes(secret), `refresh token in ${shown}`)
    assert.ok(!shown.includes(session.access.accessToken), `access token in ${shown}`)
    assert.ok(shown.includes(session.sessionId), shown)
    assert.ok(shown.includes(session.access.tenantName), shown)
  }
  assert.match(inspect(session), /^Session \{/)
  // The tokens are there to use all the same.
  assert.deepEqual(Object.keys(session).sort(), ['access', 'expiresAt', 'refreshToken', 'sessionId'])
  const refreshed = await manager.refreshSession(session.refreshToken)
  assert.ok(!inspect(refreshed).includes(refreshed.refreshToken))
  assert.ok(!inspect(refreshed).includes(refreshed.access.accessToken))
})

test('sessionAccessSeconds and sessionRefreshSeconds set the lifetimes', async (t) => {
  const { manager } = await freshManager(t, { sessionAccessSeconds: 120, sessionRefreshSeconds: 3600 })
  assert.equal(manager.settings.sessionAccessSeconds, 120)
  assert.equal(manager.settings.sessionRefreshSeconds, 3600)
  const { email } = await tenantWithAdmin(manager)
  const session = await manager.loginSession(email, PASSWORD)
  assert.ok(Math.abs(secondsUntil(session.access.expiresAt) - 120) < 30, String(session.access.expiresAt))
  assert.ok(Math.abs(secondsUntil(session.expiresAt) - 3600) < 30, String(session.expiresAt))
  // In the token itself, and in the body.
  const decoded = manager.decodeToken(session.access.accessToken)
  assert.ok(Math.abs(secondsUntil(decoded.expiresAt) - 120) < 30, String(decoded.expiresAt))
  const body = sessionBody(session)
  assert.ok(body.expires_in > 90 && body.expires_in <= 120, String(body.expires_in))
  // `authenticate` keeps its own lifetime (`jwtExpireMinutes`).
  const token = await manager.authenticate(email, PASSWORD)
  assert.ok(secondsUntil(token.expiresAt) > 3600, String(token.expiresAt))

  // The defaults, in force when not given.
  const defaults = await freshManager(t)
  assert.equal(defaults.manager.settings.sessionAccessSeconds, 900)
  assert.equal(defaults.manager.settings.sessionRefreshSeconds, 2592000)

  // Checked by the core.
  for (const bad of [{ sessionAccessSeconds: 0 }, { sessionRefreshSeconds: 0 }, { sessionAccessSeconds: -5 }]) {
    const err = await rejection(freshManager(t, bad))
    assert.ok(err instanceof ConfigError, `${JSON.stringify(bad)}: ${String(err)}`)
  }
  const typo = await rejection(freshManager(t, /** @type {any} */ ({ session_access_seconds: 60 })))
  assert.ok(typo instanceof ConfigError && typo.message.includes('camelCase'), String(typo))
})
