// @ts-check
// The routes of the contract, each a thin call into the binding, plus request logging,
// the OpenAPI document and the docs page.

import express from 'express'

import { docsRouter } from './docs.js'
import { sendError } from './errors.js'
import { openapi } from './openapi.js'
import { bearerToken, bodyOf, bodyReadError, jsonBody, orgNameParam, requireBearer } from './request.js'

/** @typedef {(level: 'info' | 'error', message: string, fields?: Record<string, unknown>) => void} Log */

/**
 * An organization as the contract shows it.
 *
 * @param {import('tenantry').Tenant} tenant
 */
function org(tenant) {
  return {
    organization_name: tenant.name,
    collection_name: tenant.collectionName,
    admin_email: tenant.adminEmail,
    created_at: tenant.createdAt.toISOString(),
    updated_at: tenant.updatedAt.toISOString(),
  }
}

/**
 * A string field `jsonBody` has checked to be present.
 *
 * @param {import('./request.js').Body} body
 * @param {string} name
 */
function required(body, name) {
  return /** @type {string} */ (body[name])
}

/**
 * One log line per request, when the response is sent.
 *
 * @param {Log} log
 * @returns {import('express').RequestHandler}
 */
function requestLog(log) {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      log('info', `${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`, {
        method: req.method,
        uri: req.originalUrl,
        status: res.statusCode,
        latency_ms: Number(ms.toFixed(3)),
      })
    })
    next()
  }
}

/**
 * The whole application over `manager`.
 *
 * @param {import('tenantry').TenantManager} manager
 * @param {Log} log
 */
export function createApp(manager, log) {
  const app = express()
  app.disable('x-powered-by')
  // Flat query strings only: `?organization_name[$ne]=x` stays a string key, never an object.
  app.set('query parser', 'simple')
  app.use(requestLog(log))

  app.post(
    '/org/create',
    ...jsonBody([{ name: 'organization_name' }, { name: 'email' }, { name: 'password' }]),
    async (_req, res) => {
      const body = bodyOf(res)
      const tenant = await manager.createTenant(
        required(body, 'organization_name'),
        required(body, 'email'),
        required(body, 'password'),
      )
      res.status(201).json(org(tenant))
    },
  )

  app.get('/org/get', async (req, res) => {
    res.json(org(await manager.getTenant(orgNameParam(req))))
  })

  app.post('/admin/login', ...jsonBody([{ name: 'email' }, { name: 'password' }]), async (req, res) => {
    const body = bodyOf(res)
    // Failures are counted per (email, client): X-Forwarded-For only from trusted proxies.
    const forwarded = req.get('x-forwarded-for')
    const client = manager.clientAddress(req.socket.remoteAddress ?? '0.0.0.0', forwarded)
    const token = await manager.authenticate(required(body, 'email'), required(body, 'password'), client)
    res.json({
      access_token: token.accessToken,
      token_type: token.tokenType,
      admin_id: token.adminId,
      organization_id: token.organizationId,
      organization_name: token.organizationName,
    })
  })

  // As in the reference server: the header's presence first, then the body, then the
  // token itself (by the core, which also checks it was not revoked).
  app.put(
    '/org/update',
    requireBearer,
    ...jsonBody([
      { name: 'organization_name' },
      { name: 'email' },
      { name: 'password' },
      { name: 'new_organization_name', optional: true },
    ]),
    async (_req, res) => {
      const body = bodyOf(res)
      const claims = await manager.verifyToken(res.locals.token)
      const tenant = await manager.updateTenant(claims, required(body, 'organization_name'), {
        email: body.email,
        password: body.password,
        newName: body.new_organization_name,
      })
      res.json(org(tenant))
    },
  )

  app.delete('/org/delete', async (req, res) => {
    const token = bearerToken(req)
    const name = orgNameParam(req)
    const claims = await manager.verifyToken(token)
    await manager.deleteTenant(claims, name)
    res.json({ message: 'Organization deleted successfully' })
  })

  app.get('/health', async (_req, res) => {
    await manager.ping()
    res.json({ status: 'healthy' })
  })

  app.get('/openapi.json', (_req, res) => {
    res.json(openapi)
  })
  app.use(docsRouter())

  // A known path with another method, then anything else.
  const routes = new Map([
    ['/org/create', 'POST'],
    ['/org/get', 'GET, HEAD'],
    ['/admin/login', 'POST'],
    ['/org/update', 'PUT'],
    ['/org/delete', 'DELETE'],
    ['/health', 'GET, HEAD'],
    ['/openapi.json', 'GET, HEAD'],
  ])
  app.use((req, res) => {
    const allow = routes.get(req.path)
    if (allow) {
      res.status(405).set('Allow', allow).json({ detail: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' })
    } else {
      res.status(404).json({ detail: 'Not Found', code: 'NOT_FOUND' })
    }
  })

  /** @type {import('express').ErrorRequestHandler} */
  const onError = (err, _req, res, next) => {
    if (res.headersSent) return next(err)
    sendError(res, bodyReadError(err) ?? err, log)
  }
  app.use(onError)
  return app
}
