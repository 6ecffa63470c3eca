'use strict'
// Express glue for tenantry (Express itself is the application's dependency, not ours):
//
//   const { requireClaims, errorHandler, notFound } = require('tenantry/express')
//   app.get('/notes', requireClaims(manager), async (req, res) => {
//     const notes = manager.collection(req.claims, client)   // on the app's `mongodb` client
//   })
//   app.use(notFound(), errorHandler())
//
// Machine clients send a tenant's API key (`tnk_...`) as their bearer credential:
//
//   app.get('/orders', requireCredential(manager), requireScope('orders:read'), handler)
//
// A tenant's members have roles (`owner`, `admin`, `member`):
//
//   app.post('/reports', requireClaims(manager), requireRole('admin'), handler)
//
// Every error answers from the core's HTTP error table (`httpResponse`), as the Rust and
// FastAPI servers do.

const {
  Claims,
  ForbiddenError,
  TenantryError,
  httpApiKeyBody,
  httpApiKeysBody,
  httpAuditPageBody,
  httpAuditQuery,
  httpAuditTenant,
  httpAcceptedInvitation,
  httpClaimsBody,
  httpCreatedApiKeyBody,
  httpCreatedInvitationBody,
  httpImportOptions,
  httpInvitationBody,
  httpInvitationsBody,
  httpJsonObject,
  httpMemberBody,
  httpMemberRole,
  httpMembersBody,
  httpMethodNotAllowed,
  httpMigrateOptions,
  httpMigrateReportBody,
  httpNewApiKey,
  httpNewInvitation,
  httpPageBody,
  httpQueryParam,
  httpResponse,
  httpSessionBody,
  httpSessionsBody,
  httpSigningKeyBody,
  httpSigningKeysBody,
  httpTenantBody,
  httpTenantQuery,
  httpValidationResponse,
  httpVerificationBody,
} = require('./index.js')

/** The request carries no `Authorization: Bearer <token>` header. */
class NotAuthenticatedError extends Error {
  constructor() {
    super('Not authenticated')
    this.name = 'NotAuthenticatedError'
  }
}

/**
 * The request does not match its schema; `problems` are `{ field, message, kind }` with
 * `kind` one of `missing`, `type_error`, `json_invalid`, `value_error`.
 */
class RequestValidationError extends Error {
  /** @param {{ field: string, message: string, kind: string }[]} problems */
  constructor(problems) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '))
    this.name = 'RequestValidationError'
    this.problems = problems
  }
}

/** The request body is over the limit of `jsonBody` or `rawBody`. */
class PayloadTooLargeError extends Error {
  constructor() {
    super('Request body too large')
    this.name = 'PayloadTooLargeError'
  }
}

/**
 * The bytes of a request's body, at most `limit` of them.
 *
 * @param {import('node:http').IncomingMessage & { body?: unknown }} req
 * @param {number} limit
 * @returns {Promise<Buffer>}
 */
function readBody(req, limit) {
  // Another body parser may have read it already.
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body)
  if (req.body !== undefined && req.readableEnded) return Promise.resolve(Buffer.from(JSON.stringify(req.body)))
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (/** @type {() => void} */ settle) => {
      if (!done) {
        done = true
        settle()
      }
    }
    if (Number(req.headers['content-length']) > limit) {
      req.resume() // drain, so that the answer goes out on a usable connection
      finish(() => reject(new PayloadTooLargeError()))
      return
    }
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length
      if (size > limit) finish(() => reject(new PayloadTooLargeError()))
      else if (!done) chunks.push(chunk)
    })
    req.on('end', () => finish(() => resolve(Buffer.concat(chunks))))
    req.on('error', (err) => finish(() => reject(err)))
  })
}

/**
 * Middleware reading a JSON body of string fields and leaving it in `req.body`, checked by
 * the core as every server of the contract checks it: every problem at once (a missing
 * field, a value that is not a string), malformed JSON, a body that is not an object, and
 * more than `limit` bytes (413), whatever the `Content-Type`.
 *
 * @param {({ name: string, optional?: boolean } | string)[]} fields
 * @param {{ limit?: number }} [options]
 */
function jsonBody(fields, options = {}) {
  const schema = fields.map((f) => (typeof f === 'string' ? { name: f } : f))
  const limit = options.limit ?? 64 * 1024
  return (req, _res, next) => {
    readBody(req, limit).then((raw) => {
      const checked = httpJsonObject(raw, schema)
      if (checked.value == null) {
        next(new RequestValidationError(checked.problems))
        return
      }
      req.body = checked.value
      next()
    }, next)
  }
}

/**
 * Middleware reading a request's body as it is (whatever its `Content-Type`: an archive
 * for `manager.importTenantBuffer`) into `req.body`, a `Buffer` (empty without a body);
 * over `limit` bytes (16 MiB by default), `PayloadTooLargeError` (413).
 *
 * @param {{ limit?: number }} [options]
 */
function rawBody(options = {}) {
  const limit = options.limit ?? 16 * 1024 * 1024
  return (req, _res, next) => {
    readBody(req, limit).then((raw) => {
      req.body = raw
      next()
    }, next)
  }
}

/**
 * The query string of a request as it was sent (without `?`; empty without one), for the
 * core to parse: Express's own `req.query` parses it another way.
 *
 * @param {{ originalUrl?: string, url?: string }} req
 */
function rawQuery(req) {
  const url = req.originalUrl ?? req.url ?? ''
  const at = url.indexOf('?')
  return at < 0 ? '' : url.slice(at + 1)
}

/**
 * The required query parameter `name`, given exactly once; throws
 * `RequestValidationError` otherwise. Bracketed keys (`name[$ne]=`) are other parameters.
 *
 * @param {{ originalUrl?: string, url?: string }} req
 * @param {string} name
 */
function queryParam(req, name) {
  const checked = httpQueryParam(rawQuery(req), name)
  if (checked.value == null) {
    throw new RequestValidationError([/** @type {any} */ (checked.problem)])
  }
  return checked.value
}

/**
 * The listing query of a query string (`rawQuery(req)`: `state=deleted&limit=50`),
 * parsed by the core as every server of the contract parses it (each of `state`,
 * `layout`, `cluster`, `name_prefix`, `created_after`, `created_before`, `limit`, `after`
 * optional and given at most once), for `manager.listTenants` and `manager.countTenants`;
 * throws `RequestValidationError` with every problem otherwise.
 *
 * @param {string} query
 */
function tenantQuery(query) {
  const checked = httpTenantQuery(query)
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * A tenant as the operator endpoints show it (the core's body: `organization_id`,
 * `organization_name`, ..., `state`, times in RFC 3339 to the millisecond).
 *
 * @param {import('./index').Tenant} tenant
 */
function tenantBody(tenant) {
  return httpTenantBody(tenant)
}

/**
 * A page of `manager.listTenants` as `GET /admin/tenants` answers it:
 * `{ tenants: [tenantBody...], next }`.
 *
 * @param {import('./index').TenantPage} page
 */
function pageBody(page) {
  return httpPageBody(page)
}

/**
 * The tenant and the query of `GET /admin/audit` from a query string (`rawQuery(req)`),
 * parsed by the core as every server of the contract parses it (`organization_id`
 * required; `op`, `since`, `until`, `limit`, `after` optional; each at most once), for
 * `manager.auditLog(tenantId, query)`; throws `RequestValidationError` with every problem
 * otherwise.
 *
 * @param {string} query
 */
function auditQuery(query) {
  const checked = httpAuditQuery(query)
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * The tenant id (`organization_id`, required, once) of `GET /admin/audit/verify` from a
 * query string (`rawQuery(req)`), for `manager.verifyAudit`; throws
 * `RequestValidationError` otherwise.
 *
 * @param {string} query
 */
function auditTenant(query) {
  const checked = httpAuditTenant(query)
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * A page of `manager.auditLog` as `GET /admin/audit` answers it (the core's body:
 * `{ entries: [{ seq, at, actor, op, outcome, detail, prev, hash }], next }`).
 *
 * @param {import('./index').AuditPage} page
 */
function auditPageBody(page) {
  return httpAuditPageBody(page)
}

/**
 * What `manager.verifyAudit` found as `GET /admin/audit/verify` answers it (the core's
 * body: `{ entries, intact, broken }`).
 *
 * @param {import('./index').AuditVerification} verification
 */
function verificationBody(verification) {
  return httpVerificationBody(verification)
}

/**
 * The options of `POST /admin/import` from a query string (`rawQuery(req)`), parsed by the
 * core as every server of the contract parses them (`organization_name`, `email`,
 * `layout`, `cluster`, each optional and at most once), for `manager.importTenantBuffer`;
 * throws `RequestValidationError` with every problem otherwise.
 *
 * @param {string} query
 */
function importOptions(query) {
  const checked = httpImportOptions(query)
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * The options of `POST /admin/migrate` from a query string (`rawQuery(req)`), parsed by
 * the core as every server of the contract parses them (`dry_run`, `parallelism`,
 * `stop_on_failure`, each optional and at most once), for `manager.migrate`; throws
 * `RequestValidationError` with every problem otherwise.
 *
 * @param {string} query
 */
function migrateOptions(query) {
  const checked = httpMigrateOptions(query)
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * A report of `manager.migrate` as `POST /admin/migrate` answers it (the core's body:
 * `{ tenants, applied, up_to_date, not_started, failed: [{ organization_id,
 * organization_name, migration, code, message }] }`); throws `InvalidInputError` for an
 * object `migrate` did not return.
 *
 * @param {import('./index').MigrateReport} report
 */
function migrateReportBody(report) {
  return httpMigrateReportBody(report)
}

/**
 * A session of `manager.loginSession` or `manager.refreshSession` as `POST /auth/login`
 * and `POST /auth/refresh` answer it (the core's body: `{ access_token, token_type,
 * expires_in, refresh_token, session_id, session_expires_at, admin_id, organization_id,
 * organization_name }`, `expires_in` counted now); throws `InvalidInputError` for an
 * object those calls did not return.
 *
 * @param {import('./index').Session} session
 */
function sessionBody(session) {
  return httpSessionBody(session)
}

/**
 * The array `manager.sessions` returned as `GET /auth/sessions` answers it (the core's
 * body: `{ sessions: [{ session_id, created_at, refreshed_at, expires_at, client }] }`,
 * newest first); throws `InvalidInputError` for another array.
 *
 * @param {import('./index').SessionInfo[]} sessions
 */
function sessionsBody(sessions) {
  return httpSessionsBody(sessions)
}

/**
 * A key of `manager.rotateSigningKey` as `POST /admin/keys/rotate` answers it (the core's
 * body: `{ kid, alg, created_at, activates_at, retires_at, verifies_until }`, times in
 * RFC 3339 to the millisecond or `null`); throws `InvalidInputError` for an object
 * `rotateSigningKey` did not return.
 *
 * @param {import('./index').SigningKeyInfo} key
 */
function signingKeyBody(key) {
  return httpSigningKeyBody(key)
}

/**
 * The array `manager.signingKeys` returned as `GET /admin/keys` answers it (the core's
 * body: `{ keys: [signingKeyBody...] }`, oldest first); throws `InvalidInputError` for
 * another array.
 *
 * @param {import('./index').SigningKeyInfo[]} keys
 */
function signingKeysBody(keys) {
  return httpSigningKeysBody(keys)
}

/**
 * The body of `POST /admin/api-keys` (the raw bytes, or text) read by the core as every
 * server of the contract reads it: `name` (a string), `scopes` (an array of strings) and
 * `expires_at` (RFC 3339, optional), as the key for `manager.createApiKey(claims, key)`
 * (`{ name, scopes, expiresAt }`, `expiresAt` `null` when not given). A body that does not
 * read (not JSON, not an object, a field missing or of the wrong type, a date that does not
 * parse) throws `RequestValidationError` with every problem; what the core judges then (an
 * empty name, a bad scope, a past expiry) is `createApiKey`'s `InvalidInputError`.
 *
 * @param {Uint8Array | string} body
 */
function newApiKey(body) {
  const checked = httpNewApiKey(typeof body === 'string' ? Buffer.from(body) : body)
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * Middleware reading the body of `POST /admin/api-keys` (`newApiKey`, whatever the
 * `Content-Type`) into `req.body`: the key for `manager.createApiKey(claims, req.body)`;
 * every problem at once, and more than `limit` bytes (64 KiB by default) 413, as `jsonBody`.
 *
 * @param {{ limit?: number }} [options]
 */
function newApiKeyBody(options = {}) {
  const limit = options.limit ?? 64 * 1024
  return (req, _res, next) => {
    readBody(req, limit).then((raw) => {
      try {
        req.body = newApiKey(raw)
      } catch (err) {
        next(err)
        return
      }
      next()
    }, next)
  }
}

/**
 * The `info` of a key of `manager.createApiKey` (or a key of `manager.apiKeys`) as
 * `GET /admin/api-keys` lists it (the core's body: `{ id, prefix, name, scopes, created_by,
 * created_at, expires_at, last_used_at }`, never the secret); throws `InvalidInputError`
 * for an object those calls did not return.
 *
 * @param {import('./index').ApiKeyInfo} key
 */
function apiKeyBody(key) {
  return httpApiKeyBody(key)
}

/**
 * A key of `manager.createApiKey` as `POST /admin/api-keys` answers it (the core's body:
 * `apiKeyBody` of the key and its `key`, shown this once); throws `InvalidInputError` for
 * an object `createApiKey` did not return.
 *
 * @param {import('./index').ApiKey} key
 */
function createdApiKeyBody(key) {
  return httpCreatedApiKeyBody(key)
}

/**
 * The array `manager.apiKeys` returned as `GET /admin/api-keys` answers it (the core's
 * body: `{ api_keys: [apiKeyBody...] }`, oldest first); throws `InvalidInputError` for
 * another array.
 *
 * @param {import('./index').ApiKeyInfo[]} keys
 */
function apiKeysBody(keys) {
  return httpApiKeysBody(keys)
}

/**
 * Who verified claims speak for, as `GET /auth/whoami` answers it (the core's body:
 * `{ admin_id, organization_id, organization_name, api_key_id, scopes, role, expires_at }`,
 * `api_key_id` and `scopes` `null` for an access token, `role` `null` for an API key).
 *
 * @param {import('./index').Claims} claims
 */
function claimsBody(claims) {
  return httpClaimsBody(claims)
}

/**
 * Middleware reading a request's body with `read` (the core's reader of that body, which
 * throws `RequestValidationError` with every problem) into `req.body`; more than `limit`
 * bytes (64 KiB by default) 413, as `jsonBody`.
 *
 * @param {(raw: Buffer) => unknown} read
 * @param {{ limit?: number }} options
 */
function readerBody(read, options) {
  const limit = options.limit ?? 64 * 1024
  return (req, _res, next) => {
    readBody(req, limit).then((raw) => {
      try {
        req.body = read(raw)
      } catch (err) {
        next(err)
        return
      }
      next()
    }, next)
  }
}

/**
 * `body` as bytes.
 *
 * @param {Uint8Array | string} body
 */
function bytes(body) {
  return typeof body === 'string' ? Buffer.from(body) : body
}

/**
 * The body of `PATCH /admin/members/{member_id}` (the raw bytes, or text) read by the core
 * as every server of the contract reads it: `{"role": "owner" | "admin" | "member"}`, as the
 * role for `manager.setMemberRole(claims, memberId, role)`. Otherwise (not JSON, not an
 * object, `role` missing or not a role) throws `RequestValidationError` with every problem.
 *
 * @param {Uint8Array | string} body
 */
function memberRole(body) {
  const checked = httpMemberRole(bytes(body))
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * Middleware reading the body of `PATCH /admin/members/{member_id}` (`memberRole`,
 * whatever the `Content-Type`) into `req.body`: the role for `manager.setMemberRole`;
 * every problem at once, and more than `limit` bytes (64 KiB by default) 413.
 *
 * @param {{ limit?: number }} [options]
 */
function memberRoleBody(options = {}) {
  return readerBody(memberRole, options)
}

/**
 * The body of `POST /admin/invitations` (the raw bytes, or text) read by the core as every
 * server of the contract reads it: `email` (a string), `role` (`owner`, `admin` or
 * `member`) and `expires_at` (RFC 3339, optional), as the invitation for
 * `manager.inviteMember(claims, invitation)` (`{ email, role, expiresAt }`, `expiresAt`
 * `null` when not given). A body that does not read throws `RequestValidationError` with
 * every problem; what the core judges then (the email, an expiry in the past or too far)
 * is `inviteMember`'s `InvalidInputError`.
 *
 * @param {Uint8Array | string} body
 */
function newInvitation(body) {
  const checked = httpNewInvitation(bytes(body))
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * Middleware reading the body of `POST /admin/invitations` (`newInvitation`, whatever the
 * `Content-Type`) into `req.body`: the invitation for `manager.inviteMember(claims,
 * req.body)`; every problem at once, and more than `limit` bytes (64 KiB by default) 413.
 *
 * @param {{ limit?: number }} [options]
 */
function newInvitationBody(options = {}) {
  return readerBody(newInvitation, options)
}

/**
 * The body of `POST /auth/accept-invitation` (the raw bytes, or text) read by the core as
 * every server of the contract reads it: `token` and `password` (strings), as
 * `{ token, password }` for `manager.acceptInvitation(token, password)`. Otherwise throws
 * `RequestValidationError` with every problem.
 *
 * @param {Uint8Array | string} body
 */
function acceptedInvitation(body) {
  const checked = httpAcceptedInvitation(bytes(body))
  if (checked.value == null) throw new RequestValidationError(/** @type {any} */ (checked.problems))
  return checked.value
}

/**
 * Middleware reading the body of `POST /auth/accept-invitation` (`acceptedInvitation`,
 * whatever the `Content-Type`) into `req.body`: `{ token, password }`; every problem at
 * once, and more than `limit` bytes (64 KiB by default) 413.
 *
 * @param {{ limit?: number }} [options]
 */
function acceptInvitationBody(options = {}) {
  return readerBody(acceptedInvitation, options)
}

/**
 * A member of `manager.members`, `manager.setMemberRole` or `manager.acceptInvitation` as
 * `GET /admin/members` lists it and `PATCH /admin/members/{member_id}` and
 * `POST /auth/accept-invitation` answer it (the core's body: `{ id, email, role,
 * first_admin, created_at }`); throws `InvalidInputError` for an object those calls did
 * not return.
 *
 * @param {import('./index').Member} member
 */
function memberBody(member) {
  return httpMemberBody(member)
}

/**
 * The array `manager.members` returned as `GET /admin/members` answers it (the core's
 * body: `{ members: [memberBody...] }`, the first admin first); throws `InvalidInputError`
 * for another array.
 *
 * @param {import('./index').Member[]} members
 */
function membersBody(members) {
  return httpMembersBody(members)
}

/**
 * The `info` of an invitation of `manager.inviteMember` (or one of `manager.invitations`)
 * as `GET /admin/invitations` lists it (the core's body: `{ id, prefix, email, role,
 * invited_by, created_at, expires_at }`, never the token); throws `InvalidInputError` for
 * an object those calls did not return.
 *
 * @param {import('./index').InvitationInfo} invitation
 */
function invitationBody(invitation) {
  return httpInvitationBody(invitation)
}

/**
 * An invitation of `manager.inviteMember` as `POST /admin/invitations` answers it (the
 * core's body: `invitationBody` of the invitation and its `token`, shown this once);
 * throws `InvalidInputError` for an object `inviteMember` did not return.
 *
 * @param {import('./index').Invitation} invitation
 */
function createdInvitationBody(invitation) {
  return httpCreatedInvitationBody(invitation)
}

/**
 * The array `manager.invitations` returned as `GET /admin/invitations` answers it (the
 * core's body: `{ invitations: [invitationBody...] }`, oldest first); throws
 * `InvalidInputError` for another array.
 *
 * @param {import('./index').InvitationInfo[]} invitations
 */
function invitationsBody(invitations) {
  return httpInvitationsBody(invitations)
}

/**
 * The token of the request's `Authorization: Bearer <token>` header; throws
 * `NotAuthenticatedError` without one.
 *
 * @param {{ headers: Record<string, string | string[] | undefined> }} req
 */
function bearerToken(req) {
  const header = req.headers.authorization
  const value = (typeof header === 'string' ? header : '').trim()
  const space = value.indexOf(' ')
  if (space < 0 || value.slice(0, space).toLowerCase() !== 'bearer') throw new NotAuthenticatedError()
  const token = value.slice(space + 1).trim()
  if (!token) throw new NotAuthenticatedError()
  return token
}

/**
 * Middleware requiring a bearer token (its presence only), left in `req.token`: for
 * routes that read the body before checking the token itself.
 */
function requireToken() {
  return (req, _res, next) => {
    try {
      req.token = bearerToken(req)
      next()
    } catch (err) {
      next(err)
    }
  }
}

/**
 * Middleware verifying the request's bearer token (`manager.verifyToken`: an access token
 * only, an API key is refused with 401; `requireCredential` takes both) and leaving its
 * claims in `req.claims`; their tenant's collection is then
 * `manager.collection(req.claims, client)`.
 *
 * @param {import('./index').TenantManager} manager
 */
function requireClaims(manager) {
  return (req, _res, next) => {
    let token
    try {
      token = req.token ?? bearerToken(req)
    } catch (err) {
      next(err)
      return
    }
    manager.verifyToken(token).then((claims) => {
      req.claims = claims
      next()
    }, next)
  }
}

/**
 * Middleware verifying the request's bearer credential of either kind
 * (`manager.verifyCredential`): a tenant's API key (`tnk_...`), whose claims carry its
 * `apiKeyId` and `scopes`, or an access token; its claims are left in `req.claims`. 401
 * without one or for a bad, revoked or expired one, 403 `TENANT_SUSPENDED` while its
 * tenant is suspended. An API key's claims reach the tenant's data
 * (`manager.collection(req.claims, client)`) and are refused by the calls that manage the
 * tenant (`ForbiddenError`, 403); `requireScope` checks what the key was made for.
 *
 * @param {import('./index').TenantManager} manager
 */
function requireCredential(manager) {
  return (req, _res, next) => {
    let credential
    try {
      credential = req.token ?? bearerToken(req)
    } catch (err) {
      next(err)
      return
    }
    manager.verifyCredential(credential).then((claims) => {
      req.claims = claims
      next()
    }, next)
  }
}

/**
 * Middleware admitting only requests whose verified claims (`req.claims`, left by
 * `requireCredential` or `requireClaims` before it) allow `scope` and every one of `more`
 * (`claims.hasScope`): an API key made with them, an admin's token always (it may do all
 * its admin may). Otherwise `ForbiddenError`, answered 403 `FORBIDDEN` by `errorHandler`.
 * Without verified claims on the request (a middleware missing before it), an error
 * answered 500 and logged: never a pass.
 *
 * @param {string} scope
 * @param {...string} more
 */
function requireScope(scope, ...more) {
  const needed = [scope, ...more]
  for (const one of needed) {
    if (typeof one !== 'string' || one === '') {
      throw new TypeError(`requireScope: a scope is a non-empty string, not ${JSON.stringify(one)}`)
    }
  }
  return (req, _res, next) => {
    const claims = req.claims
    if (!(claims instanceof Claims)) {
      next(new Error('requireScope: no verified claims on the request (put requireCredential(manager) before it)'))
      return
    }
    const lacking = needed.find((one) => !claims.hasScope(one))
    if (lacking !== undefined) {
      const reason = `the credential lacks the scope '${lacking}'`
      next(new ForbiddenError(reason, { reason }))
      return
    }
    next()
  }
}

/** Each role's rank: a role may do all the roles below it may. */
const RANKS = Object.freeze(/** @type {Record<string, number>} */ ({ member: 0, admin: 1, owner: 2 }))

/**
 * Middleware admitting only requests whose verified claims (`req.claims`, left by
 * `requireClaims` or `requireCredential` before it) are a member's of `role` or above
 * (`owner` > `admin` > `member`; `claims.role`, as fresh as `verifyToken`'s revocation
 * check). Otherwise `ForbiddenError`, answered 403 `FORBIDDEN` by `errorHandler`: a member
 * below the role, and an API key's claims (which have no role). Without verified claims
 * on the request (a middleware missing before it), an error answered 500 and logged: never
 * a pass. The core checks roles itself, afresh, on every call that needs one (members,
 * invitations, API keys, rename, delete): this is for the application's own routes.
 *
 * @param {'owner' | 'admin' | 'member'} role
 */
function requireRole(role) {
  if (typeof role !== 'string' || !Object.hasOwn(RANKS, role)) {
    throw new TypeError(`requireRole: a role is 'owner', 'admin' or 'member', not ${JSON.stringify(role)}`)
  }
  const needed = RANKS[role]
  return (req, _res, next) => {
    const claims = req.claims
    if (!(claims instanceof Claims)) {
      next(new Error('requireRole: no verified claims on the request (put requireClaims(manager) before it)'))
      return
    }
    const held = claims.role
    if (held == null || !Object.hasOwn(RANKS, held) || RANKS[held] < needed) {
      const reason =
        held == null
          ? `the credential has no role (an API key): that takes ${role}`
          : `a member with role ${held} may not do this: that takes ${role}`
      next(new ForbiddenError(reason, { reason }))
      return
    }
    next()
  }
}

/**
 * Middleware requiring the operator's bearer token (`manager.checkOperator`): 401 with
 * `WWW-Authenticate: Bearer` without a token or with another one, 403 when the manager has
 * no operator token (operator calls are off). For the routes of administration calls such
 * as `manager.moveTenant`.
 *
 * @param {import('./index').TenantManager} manager
 */
function requireOperator(manager) {
  return (req, _res, next) => {
    try {
      manager.checkOperator(req.token ?? bearerToken(req))
      next()
    } catch (err) {
      next(err)
    }
  }
}

/**
 * The client of the request, for `manager.authenticate(email, password, client)`:
 * `X-Forwarded-For` is believed only from the manager's trusted proxies.
 *
 * @param {import('./index').TenantManager} manager
 * @param {{ headers: Record<string, string | string[] | undefined>, socket: { remoteAddress?: string } }} req
 */
function clientAddress(manager, req) {
  const forwarded = req.headers['x-forwarded-for']
  return manager.clientAddress(
    req.socket.remoteAddress ?? '0.0.0.0',
    Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
  )
}

/**
 * The table's response to an error: tenantry's errors by code, `NotAuthenticatedError`,
 * `RequestValidationError`, body-parser's refusals (413 over the limit, 400 otherwise), the
 * router's refusal of a path parameter that does not decode (400 on `path`), anything else
 * a 500.
 *
 * @param {unknown} err
 * @returns {import('./index').HttpResponse}
 */
function responseFor(err) {
  if (err instanceof TenantryError) {
    return (
      httpResponse(err.code, err.field, err.reason, err.retryAfter) ?? /** @type {any} */ (httpResponse('INTERNAL'))
    )
  }
  if (err instanceof NotAuthenticatedError) return /** @type {any} */ (httpResponse('NOT_AUTHENTICATED'))
  if (err instanceof PayloadTooLargeError) return /** @type {any} */ (httpResponse('PAYLOAD_TOO_LARGE'))
  if (err instanceof RequestValidationError) {
    return httpValidationResponse(err.problems.map((p) => [p.field, p.message, p.kind]))
  }
  // body-parser's errors carry an HTTP `status` and a `type` such as `entity.too.large`.
  const { status, type } = /** @type {{ status?: unknown, type?: unknown }} */ (err ?? {})
  if (err instanceof Error && typeof status === 'number' && typeof type === 'string') {
    if (type === 'entity.too.large') return /** @type {any} */ (httpResponse('PAYLOAD_TOO_LARGE'))
    return httpValidationResponse([['body', err.message, 'json_invalid']])
  }
  // Express's router refuses a path parameter that does not decode (`/items/%zz`) with a
  // `URIError` of status 400: the client's mistake, not the server's.
  if (err instanceof URIError && status === 400) {
    return httpValidationResponse([['path', err.message, 'value_error']])
  }
  return /** @type {any} */ (httpResponse('INTERNAL'))
}

/** The kinds whose cause the client never sees: they go to the log instead. */
const LOGGED = new Set(['DATABASE', 'INTERNAL', 'CONFIG', 'CLOSED'])

/**
 * Send the table's response to `err`.
 *
 * @param {{ status(code: number): any, set(headers: Record<string, string>): any, json(body: unknown): any }} res
 * @param {unknown} err
 * @param {(message: string, err: unknown) => void} [log]
 */
function sendError(res, err, log = defaultLog) {
  const answer = responseFor(err)
  if (answer.status >= 500 && (!(err instanceof TenantryError) || LOGGED.has(err.code))) {
    log(err instanceof TenantryError ? `${err.code}: ${err.message}` : 'unhandled error', err)
  }
  res.status(answer.status).set(answer.headers).json(answer.body)
}

/** @param {string} message @param {unknown} err */
function defaultLog(message, err) {
  console.error(`tenantry: ${message}`, err instanceof TenantryError ? '' : err)
}

/**
 * Error-handling middleware answering every error from the table.
 *
 * @param {{ log?: (message: string, err: unknown) => void }} [options]
 */
function errorHandler(options = {}) {
  return (err, _req, res, next) => {
    if (res.headersSent) {
      next(err)
      return
    }
    sendError(res, err, options.log)
  }
}

/**
 * The last middleware: 405 with `Allow` for a known path asked with another method, 404
 * otherwise (also for a path whose route of the request's method passed it on: no such
 * item). `routes` maps each path to its methods; without it, they are read from the
 * application's router.
 *
 * @param {Record<string, string[]>} [routes]
 */
function notFound(routes) {
  return (req, res) => {
    const allowed = routes ? routes[req.path] : routerMethods(req.app, req.path)
    // A route of this method that passed the request on (`next()`: no such item) is a 404;
    // a path served under other methods only, a 405.
    const method = req.method === 'HEAD' ? 'GET' : req.method
    const served = allowed && allowed.some((m) => m.toUpperCase() === method)
    const answer = allowed && allowed.length > 0 && !served ? httpMethodNotAllowed(allowed) : httpResponse('NOT_FOUND')
    const { status, headers, body } = /** @type {import('./index').HttpResponse} */ (answer)
    res.status(status).set(headers).json(body)
  }
}

/**
 * Whether a route's layer matches `path` (a pattern such as `/keys/:id` or a `RegExp`,
 * under the router's strict and case-sensitive options): a path that matches but whose
 * parameters do not decode (`%zz`) matches too, as on the other servers.
 *
 * @param {any} layer
 * @param {string} path
 */
function layerMatches(layer, path) {
  if (typeof layer.match !== 'function') return false
  try {
    return Boolean(layer.match(path))
  } catch {
    return true
  }
}

/**
 * The methods an Express application's router serves at `path`: its routes (their paths
 * as strings, patterns or regular expressions), and those of routers mounted without a
 * path.
 *
 * @param {any} app
 * @param {string} path
 * @returns {string[]}
 */
function routerMethods(app, path) {
  /** @type {string[]} */
  const methods = []
  /** @param {any[]} stack */
  const visit = (stack) => {
    for (const layer of stack) {
      const route = layer.route
      if (route && (route.path === path || layerMatches(layer, path))) {
        for (const [method, on] of Object.entries(route.methods ?? {})) {
          if (on && method !== '_all') methods.push(method)
        }
      } else if (!route && Array.isArray(layer.handle?.stack) && (layer.path === undefined || layer.path === '')) {
        visit(layer.handle.stack)
      }
    }
  }
  visit(app?.router?.stack ?? app?._router?.stack ?? [])
  return methods
}

module.exports = {
  NotAuthenticatedError,
  PayloadTooLargeError,
  RequestValidationError,
  acceptInvitationBody,
  acceptedInvitation,
  apiKeyBody,
  apiKeysBody,
  auditPageBody,
  auditQuery,
  auditTenant,
  bearerToken,
  claimsBody,
  clientAddress,
  createdApiKeyBody,
  createdInvitationBody,
  errorHandler,
  importOptions,
  invitationBody,
  invitationsBody,
  jsonBody,
  memberBody,
  memberRole,
  memberRoleBody,
  membersBody,
  migrateOptions,
  migrateReportBody,
  newApiKey,
  newApiKeyBody,
  newInvitation,
  newInvitationBody,
  notFound,
  pageBody,
  queryParam,
  rawBody,
  rawQuery,
  requireClaims,
  requireCredential,
  requireOperator,
  requireRole,
  requireScope,
  requireToken,
  responseFor,
  sendError,
  sessionBody,
  sessionsBody,
  signingKeyBody,
  signingKeysBody,
  tenantBody,
  tenantQuery,
  verificationBody,
}
