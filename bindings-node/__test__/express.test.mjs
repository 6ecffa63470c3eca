// @ts-check
// The Express glue (`tenantry/express`) in a real Express app: the verified claims on the
// request, the operator's token, bodies and query parameters checked by the core (every problem at once, 413
// over the limit), 404/405 with `Allow` read from the router, and every error answered
// from the core's HTTP table.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'

import express from 'express'

import {
  errorHandler,
  jsonBody,
  notFound,
  queryParam,
  requireClaims,
  requireOperator,
  requireToken,
  responseFor,
} from '../express.js'
import { TenantSuspendedError, TenantryError } from '../index.js'
import { closeDriver, driver, freshManager, tenantWithAdmin } from './helpers.mjs'

after(closeDriver)

/**
 * An app over `manager`, listening on a free port; closed when the test ends.
 *
 * @param {import('node:test').TestContext} t
 * @param {import('../index.js').TenantManager} manager
 */
async function serve(t, manager) {
  const app = express()
  app.set('strict routing', true)
  const logged = /** @type {string[]} */ ([])
  app.get('/me', requireClaims(manager), (req, res) => {
    res.json({ tenant: req.claims?.tenantName, notes: manager.collection(/** @type {any} */ (req.claims), driver).collectionName })
  })
  app.post('/echo', requireToken(), jsonBody(['a', { name: 'b', optional: true }], { limit: 1024 }), requireClaims(manager), (req, res) => {
    res.json(req.body)
  })
  app.post('/operate', requireOperator(manager), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/q', (req, res) => {
    res.json({ name: queryParam(req, 'name') })
  })
  app.delete('/items/:id', (req, res, next) => {
    // An item that is not there is passed on: the fallback's 404, not a 405.
    if (req.params.id === 'missing') next()
    else res.json({ id: req.params.id })
  })
  app.delete(/^\/raw\/[^/]+$/, (_req, res) => {
    res.json({})
  })
  app.get('/boom', () => {
    throw new Error('a bug in the app')
  })
  const nested = express.Router()
  nested.get('/nested', (_req, res) => {
    res.json({})
  })
  app.use(nested)
  app.use(notFound(), errorHandler({ log: (message) => logged.push(message) }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  const base = `http://127.0.0.1:${port}`
  /** @param {string} path @param {RequestInit} [init] */
  const call = async (path, init) => {
    const res = await fetch(base + path, init)
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
  }
  return { call, logged }
}

test('requireClaims: the verified claims on the request, 401s from the table', async (t) => {
  const { manager } = await freshManager(t)
  const { tenant, token } = await tenantWithAdmin(manager)
  const { call } = await serve(t, manager)
  const auth = { authorization: `Bearer ${token.accessToken}` }
  assert.deepEqual((await call('/me', { headers: auth })).body, { tenant: tenant.name, notes: tenant.collectionName })
  const none = await call('/me')
  assert.equal(none.status, 401)
  assert.equal(none.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(none.body, { detail: 'Not authenticated', code: 'UNAUTHORIZED' })
  const bad = await call('/me', { headers: { authorization: 'Bearer garbage' } })
  assert.deepEqual(bad.body, { detail: 'Could not validate credentials', code: 'UNAUTHORIZED' })
})

test('requireOperator: the operator token only; 401 otherwise, 403 while operator calls are off', async (t) => {
  const operatorToken = 'express-operator-token-0123456789'
  const { manager } = await freshManager(t, { operatorToken })
  const { call } = await serve(t, manager)
  /** @param {Record<string, string>} headers */
  const post = (headers) => call('/operate', { method: 'POST', headers })
  assert.deepEqual((await post({ authorization: `Bearer ${operatorToken}` })).body, { ok: true })
  const none = await post({})
  assert.deepEqual([none.status, none.headers.get('www-authenticate')], [401, 'Bearer'])
  assert.deepEqual(none.body, { detail: 'Not authenticated', code: 'UNAUTHORIZED' })
  // Another token, a tenant admin's included, is not the operator's.
  const { token } = await tenantWithAdmin(manager)
  for (const other of ['not-the-operator-token', token.accessToken]) {
    const refused = await post({ authorization: `Bearer ${other}` })
    assert.deepEqual([refused.status, refused.headers.get('www-authenticate')], [401, 'Bearer'])
    assert.deepEqual(refused.body, { detail: 'Could not validate credentials', code: 'UNAUTHORIZED' })
  }
  const { manager: off } = await freshManager(t)
  const { call: callOff } = await serve(t, off)
  const forbidden = await callOff('/operate', { method: 'POST', headers: { authorization: `Bearer ${operatorToken}` } })
  assert.deepEqual([forbidden.status, forbidden.body.code], [403, 'FORBIDDEN'])
})

test('jsonBody: checked by the core, every problem at once, 413 over the limit', async (t) => {
  const { manager } = await freshManager(t)
  const { token } = await tenantWithAdmin(manager)
  const { call } = await serve(t, manager)
  /** @param {string | Buffer} body @param {Record<string, string>} [headers] */
  const post = (body, headers = {}) =>
    call('/echo', { method: 'POST', body, headers: { authorization: `Bearer ${token.accessToken}`, ...headers } })
  assert.deepEqual((await post('{"a": "x", "b": null, "c": 1}')).body, { a: 'x', b: null, c: 1 })
  const problems = await post('{"b": 5}')
  assert.equal(problems.status, 400)
  assert.deepEqual(
    problems.body.errors.map((/** @type {any} */ e) => [e.field, e.type]),
    [['a', 'missing'], ['b', 'type_error']],
  )
  assert.equal((await post('{"a": ')).body.errors[0].type, 'json_invalid')
  assert.equal((await post('[1]')).body.errors[0].type, 'type_error')
  assert.equal((await post(Buffer.from([0x7b, 0xff, 0x7d]))).body.errors[0].type, 'json_invalid')
  const big = await post(JSON.stringify({ a: 'x'.repeat(2000) }))
  assert.deepEqual([big.status, big.body.code], [413, 'INVALID_INPUT'])
  // The token's presence is checked before the body, the token itself after it.
  const order = await call('/echo', { method: 'POST', body: '{', headers: { authorization: 'Bearer garbage' } })
  assert.equal(order.status, 400)
  assert.equal((await call('/echo', { method: 'POST', body: '{' })).status, 401)
})

test('queryParam: required once, bracketed keys are other parameters', async (t) => {
  const { manager } = await freshManager(t)
  const { call } = await serve(t, manager)
  assert.deepEqual((await call('/q?name=a%20b')).body, { name: 'a b' })
  assert.equal((await call('/q')).body.errors[0].type, 'missing')
  assert.equal((await call('/q?name=a&name=b')).body.errors[0].type, 'value_error')
  assert.equal((await call('/q?name[$ne]=x')).body.errors[0].type, 'missing')
})

test('notFound: 405 with Allow from the router (nested routers too), 404 otherwise', async (t) => {
  const { manager } = await freshManager(t)
  const { call } = await serve(t, manager)
  const wrong = await call('/me', { method: 'DELETE' })
  assert.deepEqual([wrong.status, wrong.headers.get('allow'), wrong.body.code], [405, 'GET, HEAD', 'METHOD_NOT_ALLOWED'])
  assert.equal((await call('/nested', { method: 'POST' })).headers.get('allow'), 'GET, HEAD')
  assert.equal((await call('/echo', { method: 'GET' })).headers.get('allow'), 'POST')
  // Routes with parameters and regular expressions too, a parameter that does not decode
  // included; their 404s stay 404s.
  assert.deepEqual((await call('/items/7', { method: 'DELETE' })).body, { id: '7' })
  for (const path of ['/items/7', '/raw/7', '/raw/%zz']) {
    const other = await call(path, { method: 'GET' })
    assert.deepEqual([other.status, other.headers.get('allow')], [405, 'DELETE'], path)
  }
  // A parameter that does not decode is refused by Express's router before any route: a
  // 400 on the path, not a 500 (a route that must answer such a path itself matches it with
  // a regular expression without groups, as `/raw` does).
  for (const method of ['GET', 'DELETE']) {
    const undecodable = await call('/items/%zz', { method })
    assert.deepEqual([undecodable.status, undecodable.body.code, undecodable.body.errors[0].field], [400, 'INVALID_INPUT', 'path'])
  }
  const missing = await call('/items/missing', { method: 'DELETE' })
  assert.deepEqual([missing.status, missing.body.code], [404, 'NOT_FOUND'], 'a route of the method passed it on')
  assert.equal((await call('/items/7/more', { method: 'GET' })).status, 404)
  assert.equal((await call('/items/', { method: 'GET' })).status, 404)
  assert.deepEqual((await call('/nowhere')).body, { detail: 'Not Found', code: 'NOT_FOUND' })
  assert.equal((await call('/me/')).status, 404)
})

test('errorHandler: an unexpected error is a 500 from the table, logged, its text not shown', async (t) => {
  const { manager } = await freshManager(t)
  const { call, logged } = await serve(t, manager)
  const boom = await call('/boom')
  assert.deepEqual(boom.body, { detail: 'Internal server error', code: 'INTERNAL' })
  assert.equal(logged.length, 1)
  assert.ok(!JSON.stringify(boom.body).includes('a bug in the app'))
})

test('responseFor: each error class answered by its code', () => {
  for (const [code, status] of /** @type {const} */ ([
    ['TENANT_NOT_FOUND', 404],
    ['FORBIDDEN', 403],
    ['CONFLICT', 409],
    ['DATABASE', 503],
    ['TENANT_SUSPENDED', 403],
  ])) {
    const answer = responseFor(new TenantryError('x', { code }))
    assert.equal(answer.status, status)
    assert.equal(answer.body.code, code)
  }
  assert.deepEqual(responseFor(new TenantSuspendedError('tenant suspended: Acme')).body, {
    detail: 'Organization suspended',
    code: 'TENANT_SUSPENDED',
  })
  const throttled = responseFor(new TenantryError('slow down', { code: 'TOO_MANY_ATTEMPTS', retryAfter: 9 }))
  assert.deepEqual([throttled.status, throttled.headers['retry-after']], [429, '9'])
})
