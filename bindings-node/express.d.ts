// Types of the Express glue (express.js). They ask for the few request and response members
// the glue uses, so `@types/express` is not needed; Express's own `Request` gains `token`
// and `claims` below.

import type { IncomingHttpHeaders } from 'node:http'

import type {
  ApiKey,
  ApiKeyBody,
  ApiKeyInfo,
  AuditPage,
  AuditRequest,
  AuditVerification,
  Claims,
  ClaimsBody,
  CreatedApiKeyBody,
  CreatedInvitationBody,
  HttpResponse,
  ImportOptions,
  Invitation,
  InvitationBody,
  InvitationInfo,
  Layout,
  Member,
  MemberBody,
  MigrateOptions,
  MigrateReport,
  NewApiKey,
  NewInvitation,
  Role,
  Session,
  SessionBody,
  SessionInfo,
  SessionInfoBody,
  SigningKeyBody,
  SigningKeyInfo,
  Tenant,
  TenantManager,
  TenantPage,
  TenantQuery,
  TenantState,
} from './index'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The bearer token (set by `requireToken`). */
      token?: string
      /** The verified claims of the bearer credential (set by `requireClaims` or `requireCredential`). */
      claims?: Claims
    }
  }
}

/** What the glue reads of a request. */
export interface GlueRequest {
  headers: IncomingHttpHeaders
  socket: { remoteAddress?: string }
  token?: string
  claims?: Claims
}

/** What the glue calls on a response. */
export interface GlueResponse {
  headersSent: boolean
  status(code: number): GlueResponse
  set(headers: Record<string, string>): GlueResponse
  json(body: unknown): unknown
}

/** Express's `next`. */
export type Next = (err?: unknown) => void

/** Logs a server-side failure (`DATABASE`, `INTERNAL`, an unexpected exception). */
export type ErrorLog = (message: string, err: unknown) => void

/** The request carries no `Authorization: Bearer <token>` header (answered 401). */
export declare class NotAuthenticatedError extends Error {}

/** One way a request does not match its schema. */
export interface Problem {
  field: string
  message: string
  kind: 'missing' | 'type_error' | 'json_invalid' | 'value_error'
}

/** The request does not match its schema (answered 400 with each problem). */
export declare class RequestValidationError extends Error {
  constructor(problems: Problem[])
  readonly problems: Problem[]
}

/** The request body is over the limit of `jsonBody` or `rawBody` (answered 413). */
export declare class PayloadTooLargeError extends Error {}

/**
 * Middleware reading a JSON body of string fields into `req.body`, checked by the core as
 * every server of the contract checks it (every problem at once; 413 over `limit` bytes,
 * 64 KiB by default).
 */
export declare function jsonBody(
  fields: (string | { name: string; optional?: boolean })[],
  options?: { limit?: number },
): (req: import('node:http').IncomingMessage & { body?: any }, res: unknown, next: Next) => void

/**
 * Middleware reading a request's body as it is, whatever its `Content-Type`, into
 * `req.body` as a `Buffer` (an archive for `importTenantBuffer`); 413 over `limit` bytes,
 * 16 MiB by default.
 */
export declare function rawBody(options?: {
  limit?: number
}): (req: import('node:http').IncomingMessage & { body?: any }, res: unknown, next: Next) => void

/** The query string of a request as sent (without `?`; empty without one). */
export declare function rawQuery(req: { originalUrl?: string; url?: string }): string

/** The required query parameter `name`, given exactly once; throws `RequestValidationError`. */
export declare function queryParam(req: { originalUrl?: string; url?: string }, name: string): string

/**
 * The listing query of a query string (`rawQuery(req)`), parsed by the core as every
 * server of the contract parses it, for `manager.listTenants` and `manager.countTenants`;
 * throws `RequestValidationError` with every problem (a parameter given twice, or a value
 * that does not parse).
 */
export declare function tenantQuery(query: string): TenantQuery

/** The JSON body of a tenant under the operator endpoints (the core's). */
export interface TenantBody {
  organization_id: string
  organization_name: string
  admin_email: string
  collection_name: string
  database: string
  layout: Layout
  cluster: string
  state: TenantState
  /** RFC 3339, UTC, to the millisecond (as `Date.prototype.toISOString` writes it). */
  created_at: string
  updated_at: string
  deleted_at: string | null
  purge_after: string | null
  /** Set while the tenant is suspended (`suspendTenant`). */
  suspended_at: string | null
  suspended_reason: string | null
}

/** A tenant as the operator endpoints show it (the core's body); throws `InvalidInputError` for another object. */
export declare function tenantBody(tenant: Tenant): TenantBody

/** A page of `listTenants` as `GET /admin/tenants` answers it. */
export declare function pageBody(page: TenantPage): { tenants: TenantBody[]; next: string | null }

/**
 * The tenant and query of `GET /admin/audit` from a query string (`rawQuery(req)`), parsed
 * by the core (`organization_id` required; `op`, `since`, `until`, `limit`, `after`
 * optional; each at most once), for `manager.auditLog(tenantId, query)`; throws
 * `RequestValidationError` with every problem.
 */
export declare function auditQuery(query: string): AuditRequest

/**
 * The `organization_id` of `GET /admin/audit/verify` from a query string, for
 * `manager.verifyAudit`; throws `RequestValidationError`.
 */
export declare function auditTenant(query: string): string

/** One audit entry as `GET /admin/audit` shows it (the core's body). */
export interface AuditEntryBody {
  seq: number
  /** RFC 3339, UTC, to the millisecond. */
  at: string
  actor: string
  op: string
  outcome: string
  /** Relaxed Extended JSON. */
  detail: Record<string, unknown>
  prev: string
  hash: string
}

/** A page of `auditLog` as `GET /admin/audit` answers it; throws `InvalidInputError` for another object. */
export declare function auditPageBody(page: AuditPage): { entries: AuditEntryBody[]; next: number | null }

/** What `verifyAudit` found as `GET /admin/audit/verify` answers it. */
export declare function verificationBody(verification: AuditVerification): {
  entries: number
  intact: boolean
  broken: { seq: number; reason: string } | null
}

/**
 * The options of `POST /admin/import` from a query string (`organization_name`, `email`,
 * `layout`, `cluster`, each optional, at most once), parsed by the core, for
 * `manager.importTenantBuffer`; throws `RequestValidationError` with every problem.
 */
export declare function importOptions(query: string): ImportOptions

/**
 * The options of `POST /admin/migrate` from a query string (`dry_run`, `parallelism`,
 * `stop_on_failure`, each optional, at most once), parsed by the core, for
 * `manager.migrate`; throws `RequestValidationError` with every problem.
 */
export declare function migrateOptions(query: string): MigrateOptions

/** A failed organization of a migration run, as `POST /admin/migrate` shows it. */
export interface MigrationFailureBody {
  organization_id: string
  organization_name: string
  /** The migration that failed. */
  migration: string
  /** The error's code. */
  code: string
  message: string
}

/**
 * A report of `migrate` as `POST /admin/migrate` answers it (the core's body); throws
 * `InvalidInputError` for an object `migrate` did not return.
 */
export declare function migrateReportBody(report: MigrateReport): {
  tenants: number
  applied: number
  up_to_date: number
  not_started: number
  failed: MigrationFailureBody[]
}

/**
 * A session of `loginSession` or `refreshSession` as `POST /auth/login` and
 * `POST /auth/refresh` answer it (the core's body; `expires_in` counted now); throws
 * `InvalidInputError` for another object.
 */
export declare function sessionBody(session: Session): SessionBody

/**
 * The array `sessions` returned as `GET /auth/sessions` answers it (the core's body,
 * newest first); throws `InvalidInputError` for another array.
 */
export declare function sessionsBody(sessions: SessionInfo[]): { sessions: SessionInfoBody[] }

/**
 * A key of `rotateSigningKey` as `POST /admin/keys/rotate` answers it (the core's body);
 * throws `InvalidInputError` for another object.
 */
export declare function signingKeyBody(key: SigningKeyInfo): SigningKeyBody

/**
 * The array `signingKeys` returned as `GET /admin/keys` answers it (the core's body, oldest
 * first); throws `InvalidInputError` for another array.
 */
export declare function signingKeysBody(keys: SigningKeyInfo[]): { keys: SigningKeyBody[] }

/**
 * The body of `POST /admin/api-keys` read by the core as every server reads it (`name`,
 * `scopes`, optional `expires_at` in RFC 3339), as the key for `createApiKey`; throws
 * `RequestValidationError` with every problem.
 */
export declare function newApiKey(body: Uint8Array | string): NewApiKey

/**
 * Middleware reading the body of `POST /admin/api-keys` (`newApiKey`) into `req.body`: the
 * key for `createApiKey`; 413 over `limit` bytes, 64 KiB by default.
 */
export declare function newApiKeyBody(options?: {
  limit?: number
}): (req: import('node:http').IncomingMessage & { body?: any }, res: unknown, next: Next) => void

/**
 * The `info` of a key of `createApiKey` (or a key of `apiKeys`) as `GET /admin/api-keys`
 * lists it (the core's body, never the secret); throws `InvalidInputError` for another
 * object.
 */
export declare function apiKeyBody(key: ApiKeyInfo): ApiKeyBody

/**
 * A key of `createApiKey` as `POST /admin/api-keys` answers it (the core's body: the key,
 * this once); throws `InvalidInputError` for another object.
 */
export declare function createdApiKeyBody(key: ApiKey): CreatedApiKeyBody

/**
 * The array `apiKeys` returned as `GET /admin/api-keys` answers it (the core's body,
 * oldest first); throws `InvalidInputError` for another array.
 */
export declare function apiKeysBody(keys: ApiKeyInfo[]): { api_keys: ApiKeyBody[] }

/** Who verified claims speak for, as `GET /auth/whoami` answers it (the core's body). */
export declare function claimsBody(claims: Claims): ClaimsBody

/**
 * The body of `PATCH /admin/members/{member_id}` read by the core as every server reads it
 * (`{"role": "owner" | "admin" | "member"}`), as the role for `setMemberRole`; throws
 * `RequestValidationError` with every problem.
 */
export declare function memberRole(body: Uint8Array | string): Role

/**
 * Middleware reading the body of `PATCH /admin/members/{member_id}` (`memberRole`) into
 * `req.body`: the role for `setMemberRole`; 413 over `limit` bytes, 64 KiB by default.
 */
export declare function memberRoleBody(options?: {
  limit?: number
}): (req: import('node:http').IncomingMessage & { body?: any }, res: unknown, next: Next) => void

/**
 * The body of `POST /admin/invitations` read by the core as every server reads it
 * (`email`, `role`, optional `expires_at` in RFC 3339), as the invitation for
 * `inviteMember`; throws `RequestValidationError` with every problem.
 */
export declare function newInvitation(body: Uint8Array | string): NewInvitation

/**
 * Middleware reading the body of `POST /admin/invitations` (`newInvitation`) into
 * `req.body`: the invitation for `inviteMember`; 413 over `limit` bytes, 64 KiB by default.
 */
export declare function newInvitationBody(options?: {
  limit?: number
}): (req: import('node:http').IncomingMessage & { body?: any }, res: unknown, next: Next) => void

/**
 * The body of `POST /auth/accept-invitation` read by the core as every server reads it
 * (`token`, `password`), for `acceptInvitation`; throws `RequestValidationError` with every
 * problem.
 */
export declare function acceptedInvitation(body: Uint8Array | string): { token: string; password: string }

/**
 * Middleware reading the body of `POST /auth/accept-invitation` (`acceptedInvitation`)
 * into `req.body`: `{ token, password }`; 413 over `limit` bytes, 64 KiB by default.
 */
export declare function acceptInvitationBody(options?: {
  limit?: number
}): (req: import('node:http').IncomingMessage & { body?: any }, res: unknown, next: Next) => void

/**
 * A member of `members`, `setMemberRole` or `acceptInvitation` as `GET /admin/members`
 * lists it (the core's body); throws `InvalidInputError` for another object.
 */
export declare function memberBody(member: Member): MemberBody

/**
 * The array `members` returned as `GET /admin/members` answers it (the core's body, the
 * first admin first); throws `InvalidInputError` for another array.
 */
export declare function membersBody(members: Member[]): { members: MemberBody[] }

/**
 * The `info` of an invitation of `inviteMember` (or one of `invitations`) as
 * `GET /admin/invitations` lists it (the core's body, never the token); throws
 * `InvalidInputError` for another object.
 */
export declare function invitationBody(invitation: InvitationInfo): InvitationBody

/**
 * An invitation of `inviteMember` as `POST /admin/invitations` answers it (the core's
 * body: the token, this once); throws `InvalidInputError` for another object.
 */
export declare function createdInvitationBody(invitation: Invitation): CreatedInvitationBody

/**
 * The array `invitations` returned as `GET /admin/invitations` answers it (the core's
 * body, oldest first); throws `InvalidInputError` for another array.
 */
export declare function invitationsBody(invitations: InvitationInfo[]): { invitations: InvitationBody[] }

/** The token of the `Authorization: Bearer <token>` header; throws `NotAuthenticatedError`. */
export declare function bearerToken(req: Pick<GlueRequest, 'headers'>): string

/** Middleware requiring a bearer token (presence only), left in `req.token`. */
export declare function requireToken(): (req: GlueRequest, res: unknown, next: Next) => void

/**
 * Middleware verifying the bearer token (an access token only: an API key is refused),
 * leaving its claims in `req.claims`.
 */
export declare function requireClaims(manager: TenantManager): (req: GlueRequest, res: unknown, next: Next) => void

/**
 * Middleware verifying the bearer credential of either kind (`verifyCredential`: a tenant's
 * API key, `tnk_...`, or an access token), leaving its claims in `req.claims`: 401 without
 * one or for a bad, revoked or expired one, 403 `TENANT_SUSPENDED` while its tenant is
 * suspended. An API key's claims reach the tenant's data and never manage the tenant.
 */
export declare function requireCredential(manager: TenantManager): (req: GlueRequest, res: unknown, next: Next) => void

/**
 * Middleware admitting only requests whose verified claims (`req.claims`, from
 * `requireCredential` or `requireClaims` before it) allow `scope` and every one of `more`
 * (`claims.hasScope`: an API key made with them, an admin's token always); otherwise
 * `ForbiddenError` (403 `FORBIDDEN`). Without verified claims on the request, an error
 * (500): never a pass. Throws `TypeError` for a scope that is not a non-empty string.
 */
export declare function requireScope(
  scope: string,
  ...more: string[]
): (req: Pick<GlueRequest, 'claims'>, res: unknown, next: Next) => void

/**
 * Middleware admitting only requests whose verified claims (`req.claims`, from
 * `requireClaims` or `requireCredential` before it) are a member's of `role` or above
 * (`owner` > `admin` > `member`: `claims.role`); otherwise `ForbiddenError` (403
 * `FORBIDDEN`), an API key's claims (no role) included. Without verified claims on the
 * request, an error (500): never a pass. Throws `TypeError` for a role that is not one.
 */
export declare function requireRole(role: Role): (req: Pick<GlueRequest, 'claims'>, res: unknown, next: Next) => void

/**
 * Middleware requiring the operator's bearer token (`manager.checkOperator`; the one
 * `requireToken` left, if any): 401 without it or with another token, 403 when operator
 * calls are off.
 */
export declare function requireOperator(manager: TenantManager): (req: GlueRequest, res: unknown, next: Next) => void

/** The request's client for `authenticate` (`X-Forwarded-For` only from trusted proxies). */
export declare function clientAddress(manager: TenantManager, req: Pick<GlueRequest, 'headers' | 'socket'>): string

/** The table's response to an error. */
export declare function responseFor(err: unknown): HttpResponse

/** Send the table's response to an error. */
export declare function sendError(res: GlueResponse, err: unknown, log?: ErrorLog): void

/** Error-handling middleware answering every error from the table. */
export declare function errorHandler(options?: {
  log?: ErrorLog
}): (err: unknown, req: unknown, res: GlueResponse, next: Next) => void

/**
 * The last middleware: 405 with `Allow` for a known path and another method, else 404.
 * `routes` maps paths to methods; by default they are read from the app's router.
 */
export declare function notFound(
  routes?: Record<string, string[]>,
): (req: { path: string; app?: unknown }, res: GlueResponse) => void
