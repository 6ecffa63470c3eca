// @ts-check
// The routes of the contract, each a thin call into the binding; authentication, the
// error responses and the 404/405 answers are the package's glue (`tenantry/express`).

import express from 'express'
import {
  apiKeysBody,
  auditPageBody,
  auditQuery,
  auditTenant,
  claimsBody,
  clientAddress,
  createdApiKeyBody,
  createdInvitationBody,
  errorHandler,
  importOptions,
  invitationsBody,
  memberBody,
  membersBody,
  migrateOptions,
  migrateReportBody,
  notFound,
  pageBody,
  queryParam,
  rawBody,
  rawQuery,
  requireClaims,
  requireCredential,
  requireOperator,
  requireToken,
  sessionBody,
  sessionsBody,
  signingKeyBody,
  signingKeysBody,
  tenantBody,
  tenantQuery,
  verificationBody,
} from 'tenantry/express'

import { docsRouter } from './docs.js'
import { openapi } from './openapi.js'
import {
  IMPORT_LIMIT,
  acceptInvitationRequest,
  apiKeyRequest,
  createBody,
  invitationRequest,
  loginBody,
  memberRoleRequest,
  logoutBody,
  moveBody,
  orgNameBody,
  refreshBody,
  suspendBody,
  updateBody,
} from './request.js'

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
 * Where an organization's data is (the operator calls' answer).
 *
 * @param {import('tenantry').Tenant} tenant
 */
function placement(tenant) {
  return {
    organization_name: tenant.name,
    collection_name: tenant.collectionName,
    database: tenant.database,
    layout: tenant.layout,
    cluster: tenant.cluster,
  }
}

/**
 * Middleware reading the listing query of `GET /admin/tenants` (and its count) from the
 * raw query string into `res.locals.query`, parsed by the core as by every server.
 *
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 * @param {import('express').NextFunction} next
 */
function listingQuery(req, res, next) {
  res.locals.query = tenantQuery(rawQuery(req))
  next()
}

/**
 * Middleware reading a request's parameters with `read` (through the glue's parsers,
 * which throw the request's problems) into `res.locals.params`.
 *
 * @param {(req: import('express').Request) => unknown} read
 * @returns {import('express').RequestHandler}
 */
function params(read) {
  return (req, res, next) => {
    res.locals.params = read(req)
    next()
  }
}

/**
 * The claims `requireClaims` (or `requireCredential`) left on the request.
 *
 * @param {import('express').Request} req
 */
function claimsOf(req) {
  return /** @type {import('tenantry').Claims} */ (req.claims)
}

/** Where the key id of `DELETE /admin/api-keys/{key_id}` starts in its path. */
const API_KEY_PATH = '/admin/api-keys/'

/** Where the member id of `PATCH` and `DELETE /admin/members/{member_id}` starts. */
const MEMBER_PATH = '/admin/members/'

/** Where the invitation id of `DELETE /admin/invitations/{invitation_id}` starts. */
const INVITATION_PATH = '/admin/invitations/'

/**
 * The last segment of a request's path after `prefix`, read from the path as sent and
 * decoded here: one that does not decode (`%zz`) is no id either (the core says so, after
 * the credential is checked, as on the other servers), where Express would refuse the
 * request before any middleware ran.
 *
 * @param {import('express').Request} req
 * @param {string} prefix
 */
function idOf(req, prefix) {
  try {
    return decodeURIComponent(req.path.slice(prefix.length))
  } catch {
    return ''
  }
}

/**
 * The key id of `DELETE /admin/api-keys/{key_id}` (see `idOf`).
 *
 * @param {import('express').Request} req
 */
function keyIdOf(req) {
  return idOf(req, API_KEY_PATH)
}

/**
 * One log line per request, when the response is sent.
 *
 * @param {Log} log
 * @returns {import('express').RequestHandler}
 */
function requestLog(log) {
  return (req, res, next) => {
    const started = performance.now()
    res.once('finish', () => {
      const ms = performance.now() - started
      log('info', `${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`, {
        method: req.method,
        uri: req.originalUrl,
        status: res.statusCode,
        latency_ms: Math.round(ms * 1000) / 1000,
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
 * @param {{ requestLog?: boolean }} [options] `requestLog: false` drops the line per request
 */
export function createApp(manager, log, { requestLog: logRequests = true } = {}) {
  const app = express()
  app.disable('x-powered-by')
  // No ETag: the other servers send none, and hashing every body costs 3% of a GET.
  app.set('etag', false)
  // Paths are matched exactly, as by the other servers: `/org/get/` and `/ORG/GET` are 404.
  app.set('strict routing', true)
  app.set('case sensitive routing', true)
  if (logRequests) app.use(requestLog(log))

  app.post('/org/create', createBody, async (req, res) => {
    const { organization_name: name, email, password, layout, cluster } = req.body
    const options = { layout: layout ?? undefined, cluster: cluster ?? undefined }
    res.status(201).json(org(await manager.createTenant(name, email, password, options)))
  })

  app.get('/org/get', async (req, res) => {
    res.json(org(await manager.getTenant(queryParam(req, 'organization_name'))))
  })

  app.post('/admin/login', loginBody, async (req, res) => {
    const { email, password, organization_name: organization } = req.body
    const client = clientAddress(manager, req)
    const token = await manager.authenticate(email, password, client, organization)
    res.json({
      access_token: token.accessToken,
      token_type: token.tokenType,
      admin_id: token.adminId,
      organization_id: token.tenantId,
      organization_name: token.tenantName,
    })
  })

  // Sessions: a login answering a short access token and a refresh token that renews it
  // (the same body, throttle and answers as /admin/login), its refresh, and an admin's
  // sessions, listed and ended with its access token (in the order of the other bearer
  // routes: the header's presence, the body, then the token). The bodies are the core's.
  app.post('/auth/login', loginBody, async (req, res) => {
    const { email, password, organization_name: organization } = req.body
    const client = clientAddress(manager, req)
    res.json(sessionBody(await manager.loginSession(email, password, client, organization)))
  })

  app.post('/auth/refresh', refreshBody, async (req, res) => {
    res.json(sessionBody(await manager.refreshSession(req.body.refresh_token)))
  })

  app.get('/auth/sessions', requireClaims(manager), async (req, res) => {
    res.json(sessionsBody(await manager.sessions(claimsOf(req))))
  })

  app.post('/auth/logout', requireToken(), logoutBody, requireClaims(manager), async (req, res) => {
    res.json({ ended: await manager.endSession(claimsOf(req), req.body.session_id) })
  })

  app.post('/auth/logout-all', requireClaims(manager), async (req, res) => {
    res.json({ ended: await manager.endAllSessions(claimsOf(req)) })
  })

  // Signing keys: the published keys that verify access tokens (no authorization; with an
  // HMAC algorithm, none), and the operator's view of the keys and their rotation (no
  // body; 400 on jwt_algorithm with an HMAC algorithm). The bodies are the core's.
  app.get('/.well-known/jwks.json', async (_req, res) => {
    const document = await manager.jwks()
    res.set('cache-control', 'public, max-age=60').json(document)
  })

  app.get('/admin/keys', requireOperator(manager), async (_req, res) => {
    res.json(signingKeysBody(await manager.signingKeys()))
  })

  app.post('/admin/keys/rotate', requireOperator(manager), async (_req, res) => {
    res.json(signingKeyBody(await manager.rotateSigningKey()))
  })

  // The organizations' API keys, for machine clients: made, listed and revoked with an
  // admin's token (the bearer credential is verified as either kind, so that an API key's
  // claims reach the core, which refuses them: 403 FORBIDDEN); `GET /auth/whoami` takes
  // either kind. The body is read by the core, the bodies answered are the core's. The key
  // id's route is a pattern without parameters: see `keyIdOf`.
  app.post('/admin/api-keys', requireToken(), apiKeyRequest, requireCredential(manager), async (req, res) => {
    res.status(201).json(createdApiKeyBody(await manager.createApiKey(claimsOf(req), req.body)))
  })

  app.get('/admin/api-keys', requireCredential(manager), async (req, res) => {
    res.json(apiKeysBody(await manager.apiKeys(claimsOf(req))))
  })

  app.delete(/^\/admin\/api-keys\/[^/]+$/, requireCredential(manager), async (req, res) => {
    res.json({ revoked: await manager.revokeApiKey(claimsOf(req), keyIdOf(req)) })
  })

  app.get('/auth/whoami', requireCredential(manager), (req, res) => {
    res.json(claimsBody(claimsOf(req)))
  })

  // Members, their roles and invitations, as the API keys' routes: the bearer credential
  // verified as either kind (an API key's claims reach the core, which refuses them: 403
  // FORBIDDEN), the roles checked by the core (403 below the role, 409 LAST_OWNER), the
  // bodies read by the core (the header's presence, the body, then the credential, then
  // the path's id) and answered with the core's. The id routes are patterns without
  // parameters: see `idOf`. An invitation is accepted without a credential: the invitee
  // has no account yet.
  app.get('/admin/members', requireCredential(manager), async (req, res) => {
    res.json(membersBody(await manager.members(claimsOf(req))))
  })

  app.patch(
    /^\/admin\/members\/[^/]+$/,
    requireToken(),
    memberRoleRequest,
    requireCredential(manager),
    async (req, res, next) => {
      const member = await manager.setMemberRole(claimsOf(req), idOf(req, MEMBER_PATH), req.body)
      // No such member of the organization: passed on, a 404.
      if (member === null) next()
      else res.json(memberBody(member))
    },
  )

  app.delete(/^\/admin\/members\/[^/]+$/, requireCredential(manager), async (req, res) => {
    res.json({ removed: await manager.removeMember(claimsOf(req), idOf(req, MEMBER_PATH)) })
  })

  app.post('/admin/invitations', requireToken(), invitationRequest, requireCredential(manager), async (req, res) => {
    res.status(201).json(createdInvitationBody(await manager.inviteMember(claimsOf(req), req.body)))
  })

  app.get('/admin/invitations', requireCredential(manager), async (req, res) => {
    res.json(invitationsBody(await manager.invitations(claimsOf(req))))
  })

  app.delete(/^\/admin\/invitations\/[^/]+$/, requireCredential(manager), async (req, res) => {
    res.json({ revoked: await manager.revokeInvitation(claimsOf(req), idOf(req, INVITATION_PATH)) })
  })

  app.post('/auth/accept-invitation', acceptInvitationRequest, async (req, res) => {
    res.status(201).json(memberBody(await manager.acceptInvitation(req.body.token, req.body.password)))
  })

  // As in the reference server: the header's presence first, then the body, then the
  // token itself (checked by the core, which also checks it was not revoked).
  app.put('/org/update', requireToken(), updateBody, requireClaims(manager), async (req, res) => {
    const body = req.body
    manager.checkTenantName(claimsOf(req), body.organization_name)
    const tenant = await manager.updateTenant(claimsOf(req), {
      email: body.email,
      password: body.password,
      newName: body.new_organization_name,
    })
    res.json(org(tenant))
  })

  app.delete(
    '/org/delete',
    requireToken(),
    (req, res, next) => {
      res.locals.name = queryParam(req, 'organization_name')
      next()
    },
    requireClaims(manager),
    async (req, res) => {
      manager.checkTenantName(claimsOf(req), res.locals.name)
      await manager.deleteTenant(claimsOf(req))
      res.json({ message: 'Organization deleted successfully' })
    },
  )

  // An operator call, as in the reference server: the header's presence, the body, then
  // the operator token itself.
  app.post('/admin/move', requireToken(), moveBody, requireOperator(manager), async (req, res) => {
    const { organization_name: name, layout, cluster } = req.body
    const moved = await manager.moveTenant(name, { layout: layout ?? undefined, cluster: cluster ?? undefined })
    res.json(placement(moved))
  })

  // The other operator calls, in the same order: listing and counting organizations
  // (active and softly deleted), restoring and purging softly deleted ones.
  app.get('/admin/tenants', requireToken(), listingQuery, requireOperator(manager), async (_req, res) => {
    res.json(pageBody(await manager.listTenants(res.locals.query)))
  })

  app.get('/admin/tenants/count', requireToken(), listingQuery, requireOperator(manager), async (_req, res) => {
    res.json({ count: await manager.countTenants(res.locals.query) })
  })

  app.post('/admin/restore', requireToken(), orgNameBody, requireOperator(manager), async (req, res) => {
    res.json(tenantBody(await manager.restoreTenant(req.body.organization_name)))
  })

  app.post('/admin/purge', requireToken(), orgNameBody, requireOperator(manager), async (req, res) => {
    await manager.purgeTenant(req.body.organization_name)
    res.json({ message: 'Organization purged successfully' })
  })

  // Suspending and resuming an organization, in the same order: while suspended, its
  // admins' logins, earlier tokens and token-authorized calls answer 403
  // TENANT_SUSPENDED (the reason is checked by the core: one line, at most 500 characters).
  app.post('/admin/suspend', requireToken(), suspendBody, requireOperator(manager), async (req, res) => {
    const { organization_name: name, reason } = req.body
    res.json(tenantBody(await manager.suspendTenant(name, reason ?? undefined)))
  })

  app.post('/admin/resume', requireToken(), orgNameBody, requireOperator(manager), async (req, res) => {
    res.json(tenantBody(await manager.resumeTenant(req.body.organization_name)))
  })

  // The audit log, export and import, in the same order: the header's presence, the
  // query (and the import's body, up to IMPORT_LIMIT), then the operator token.
  app.get(
    '/admin/audit',
    requireToken(),
    params((req) => auditQuery(rawQuery(req))),
    requireOperator(manager),
    async (_req, res) => {
      const { tenantId, query } = res.locals.params
      res.json(auditPageBody(await manager.auditLog(tenantId, query)))
    },
  )

  app.get(
    '/admin/audit/verify',
    requireToken(),
    params((req) => auditTenant(rawQuery(req))),
    requireOperator(manager),
    async (_req, res) => {
      res.json(verificationBody(await manager.verifyAudit(res.locals.params)))
    },
  )

  app.get(
    '/admin/export',
    requireToken(),
    params((req) => queryParam(req, 'organization_name')),
    requireOperator(manager),
    async (_req, res) => {
      // Built in memory before anything is sent: a missing organization is a 404.
      const archive = await manager.exportTenantBuffer(res.locals.params)
      res.status(200).set('content-type', 'application/octet-stream').send(archive)
    },
  )

  app.post(
    '/admin/import',
    requireToken(),
    params((req) => importOptions(rawQuery(req))),
    rawBody({ limit: IMPORT_LIMIT }),
    requireOperator(manager),
    async (req, res) => {
      const { tenant } = await manager.importTenantBuffer(req.body, res.locals.params)
      res.status(201).json(tenantBody(tenant))
    },
  )

  // Apply the declared schema's migrations (TENANT_SCHEMA_FILE, read by the core at
  // start) that each organization lacks; without a schema, the core's 400. The query is
  // the core's to parse, as by every server.
  app.post(
    '/admin/migrate',
    requireToken(),
    params((req) => migrateOptions(rawQuery(req))),
    requireOperator(manager),
    async (_req, res) => {
      res.json(migrateReportBody(await manager.migrate(res.locals.params)))
    },
  )

  app.get('/health', async (_req, res) => {
    await manager.ping()
    res.json({ status: 'healthy' })
  })

  app.get('/openapi.json', (_req, res) => {
    res.json(openapi)
  })
  app.use(docsRouter())

  app.use(notFound())
  const logError = (/** @type {string} */ message, /** @type {unknown} */ err) =>
    log('error', `${message}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  app.use(errorHandler({ log: logError }))
  return app
}
