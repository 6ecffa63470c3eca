// Types of the package's entry point (index.js). The result types are generated from the
// Rust sources into native.d.ts and re-exported from here. A tenant's collection is typed
// with the `mongodb` driver's own types.

import type { Collection, Document } from 'mongodb'

import type {
  AccessToken,
  ApiKey,
  ApiKeyInfo,
  ArchiveManifest,
  ArchiveProgress,
  AuditPage,
  AuditQuery,
  AuditVerification,
  CheckedAcceptedInvitation,
  CheckedMemberRole,
  CheckedNewInvitation,
  Claims,
  HttpResponse,
  ImportedTenant,
  ImportOptions,
  Invitation,
  InvitationInfo,
  Location,
  Member,
  MigrateOptions as NativeMigrateOptions,
  MigrateReport,
  MoveProgress,
  MoveTarget,
  NewApiKey,
  NewInvitation,
  RecoveryReport,
  Session,
  SessionInfo,
  SigningKeyInfo,
  Tenant,
  TenantCollection,
  TenantOptions,
  TenantPage,
  TenantQuery,
  TenantUpdate,
} from './native'

export { Claims } from './native'
export type {
  AcceptedInvitation,
  AccessToken,
  ApiKey,
  ApiKeyInfo,
  ArchivedCollection,
  ArchiveManifest,
  ArchiveProgress,
  AuditBreak,
  AuditEntry,
  AuditPage,
  AuditQuery,
  AuditRequest,
  AuditVerification,
  BodyField,
  CheckedAcceptedInvitation,
  CheckedAuditQuery,
  CheckedBody,
  CheckedImportOptions,
  CheckedMemberRole,
  CheckedMigrateOptions,
  CheckedNewApiKey,
  CheckedNewInvitation,
  CheckedParam,
  CheckedTenantId,
  CheckedTenantQuery,
  ClaimsObject,
  Confinement,
  HttpProblem,
  HttpResponse,
  ImportedTenant,
  ImportOptions,
  Invitation,
  InvitationInfo,
  Location,
  Member,
  MigrateReport,
  MigrationFailure,
  MoveProgress,
  MoveTarget,
  NewApiKey,
  NewInvitation,
  RecoveryFailure,
  RecoveryReport,
  Session,
  SessionInfo,
  SigningKeyInfo,
  Tenant,
  TenantCollection,
  TenantOptions,
  TenantPage,
  TenantQuery,
  TenantUpdate,
} from './native'
export {
  httpAuditPageBody,
  httpAuditQuery,
  httpAuditTenant,
  httpImportOptions,
  httpJsonObject,
  httpMethodNotAllowed,
  httpMigrateOptions,
  httpNewApiKey,
  httpPageBody,
  httpQueryParam,
  httpResponse,
  httpTenantBody,
  httpTenantQuery,
  httpValidationResponse,
  httpVerificationBody,
} from './native'

/**
 * The options of `TenantManager.connect` and `TenantManager.fromEnv`: the core's settings,
 * camelCase. Only `mongoUri` and `jwtSecret` are required (from `fromEnv`, the
 * environment may give them); the rest default to the original service's values. An
 * unknown option or a value of the wrong kind rejects with `ConfigError`.
 */
export interface ConnectOptions {
  /** `mongodb://...` or `mongodb+srv://...` (env `MONGO_URI`, then `MONGODB_URI`). */
  mongoUri?: string
  /** HMAC key of the access tokens, at least 16 bytes (env `JWT_SECRET`). */
  jwtSecret?: string
  /** Database of the records, admins and tenant collections; `master_db` (env `MASTER_DB`). */
  masterDb?: string
  /**
   * Database of the tenants' data in the `collection` and `shared` layouts, apart from the
   * catalog; the master database (env `TENANTS_DB`).
   */
  tenantsDb?: string
  /** Layout of new tenants: `collection` (default), `database` or `shared` (env `TENANT_LAYOUT`). */
  tenantLayout?: Layout
  /** Physical names in the `collection` layout: `slug` (default) or `stable` (env `TENANT_NAMING`). */
  tenantNaming?: Naming
  /**
   * Clusters besides the home one, space-separated `name=uri` or `name@tag+tag=uri`
   * (env `CLUSTERS`).
   */
  clusters?: string
  /** Placement of new tenants: `home` (default) or `fewest`, the emptiest cluster (env `PLACEMENT`). */
  placement?: 'home' | 'fewest'
  /**
   * `HS256` (default), `HS384`, `HS512` or `EdDSA`: rotating Ed25519 keys kept in MongoDB
   * and published as JWKS (`jwks()`), which needs `signingKeySecret` (env `JWT_ALGO`).
   */
  jwtAlgorithm?: string
  /** Token lifetime in minutes; 1440 (env `JWT_EXPIRE_MINUTES`). */
  jwtExpireMinutes?: number
  /**
   * Key encrypting the private signing keys stored in MongoDB (`EdDSA`; at least 32 bytes,
   * the same in every process; env `SIGNING_KEY_SECRET`). A secret: `settings` never shows it.
   */
  signingKeySecret?: string
  /** Seconds between scheduled signing-key rotations; 2592000 (30 days), 0: only on demand (env `SIGNING_KEY_ROTATION_SECONDS`). */
  signingKeyRotationSeconds?: number
  /** Seconds a new signing key is published before it signs; 300, at least 1 (env `SIGNING_KEY_LEAD_SECONDS`). */
  signingKeyLeadSeconds?: number
  /** `iss` set in tokens and required of them (env `JWT_ISSUER`). */
  jwtIssuer?: string
  /** `aud` set in tokens and required of them (env `JWT_AUDIENCE`). */
  jwtAudience?: string
  /** Clock skew allowed on `exp`, seconds; 30, at most 300 (env `JWT_LEEWAY_SECONDS`). */
  jwtLeewaySeconds?: number
  /** bcrypt cost of new hashes, 4 to 31; 12 (env `BCRYPT_COST`). */
  bcryptCost?: number
  /**
   * Scheme of new password hashes: `bcrypt` (default, at `bcryptCost`) or `argon2id`
   * (env `PASSWORD_HASH`). Stored hashes of either scheme verify; one made otherwise is
   * replaced at its admin's next successful login.
   */
  passwordHash?: 'bcrypt' | 'argon2id'
  /** Shortest new password, in characters; 8 (env `MIN_PASSWORD_CHARS`). */
  minPasswordChars?: number
  /** Seconds an operation stays its owner's before recovery may take it over; 30, at least 5. */
  operationLeaseSeconds?: number
  /** Failed logins of one (email, client) pair before a lock-out; 10, 0 for none. */
  loginMaxFailures?: number
  /** Seconds failed logins are remembered; 900. */
  loginWindowSeconds?: number
  /** Seconds a counter stays at its limit; 300. */
  loginLockoutSeconds?: number
  /** Failed logins of one email, from every client, per hour; 100. */
  loginAccountMaxFailures?: number
  /** Failed logins of one client, over every email, per window; 100. */
  loginClientMaxFailures?: number
  /** Seconds a database call waits for a reachable server; 5. */
  databaseTimeoutSeconds?: number
  /** `majority` (default), `journaled` or `server-default`. */
  writeConcern?: string
  /** Seconds a renamed tenant's old name keeps its tombstone; 86400. */
  tombstoneRetentionSeconds?: number
  /** Seconds a deleted tenant stays restorable before it is purged; 0 (deletes are immediate). */
  deletedRetentionSeconds?: number
  /**
   * A JSON file declaring the schema every tenant's data follows (declarative migrations
   * only; the shape `setSchema` takes, values in MongoDB Extended JSON), read at connect as
   * `setSchema` would take it (env `TENANT_SCHEMA_FILE`). A file that cannot be read or
   * does not hold a schema rejects with `ConfigError`.
   */
  schemaFile?: string
  /** Addresses or CIDR networks whose `X-Forwarded-For` is believed. */
  trustedProxies?: string | string[]
  /** Entries the hot path's cache may hold; 100000, 0 turns the cache off. */
  cacheCapacity?: number
  /** Lifetime of a session's access token (`loginSession`), seconds; 900, at least 1 (env `SESSION_ACCESS_SECONDS`). */
  sessionAccessSeconds?: number
  /**
   * How long a session lasts from its login, whatever its refreshes, seconds; 2592000 (30
   * days), at least 1 (env `SESSION_REFRESH_SECONDS`).
   */
  sessionRefreshSeconds?: number
  /** Bearer token of the operator calls (moves), at least 16 bytes; unset turns them off. */
  operatorToken?: string
}

/**
 * How a tenant's data is laid out: `collection` (its own collection in the tenants'
 * database), `database` (its own database) or `shared` (collections shared by every tenant,
 * each document stamped with its tenant's id).
 */
export type Layout = 'collection' | 'database' | 'shared'

/** How physical names are made in the `collection` layout: `org_<slug>` or `org_<id>`. */
export type Naming = 'slug' | 'stable'

/**
 * Whether a tenant is in use (`active`) or softly deleted (`deleted`: hidden from every
 * call but `listTenants`, `restoreTenant` and `purgeTenant`, its data, admins and name kept
 * until purged).
 */
export type TenantState = 'active' | 'deleted'

/**
 * A member's role in its tenant: `owner` (everything, renaming and deleting the tenant and
 * managing owners included), `admin` (members and API keys, but no owner), `member` (the
 * tenant's data and its own sessions). A text that is not one is refused with
 * `InvalidInputError` (`field`: `role`).
 */
export type Role = 'owner' | 'admin' | 'member'

/**
 * The options of `exportTenant` and `exportTenantBuffer`: `onProgress`, when given, is
 * called on the JS thread with each report (`export` as the export starts and every
 * thousand documents, then `done`), as `moveTenant`'s: never waited for, what it throws
 * becomes a process warning, and it has seen every report when the promise settles.
 */
export interface ExportOptions {
  onProgress?: ((progress: ArchiveProgress) => unknown) | null
}

/**
 * The options of `importTenant` and `importTenantBuffer`: the name, admin email, layout and
 * cluster to import under (the archive's own, or the placement policy's cluster, where
 * left out), and `onProgress` as in `ExportOptions` (`import` every thousand documents,
 * `verify`, then `done`).
 */
export interface ImportTenantOptions extends ImportOptions {
  onProgress?: ((progress: ArchiveProgress) => unknown) | null
}

/**
 * The schema every tenant's data follows (`setSchema`): the indexes each tenant's
 * collections have (made at every create), and the migrations, in the order they apply.
 * The same declaration as the core's JSON schema file (`schemaFile`), snake_case keys
 * included, with values as the `mongodb` driver writes them (an `ObjectId`, a `Date`, a
 * `Long`) and migrations written in JavaScript besides.
 */
export interface Schema {
  indexes?: SchemaIndex[] | null
  migrations?: Migration[] | null
}

/** An index every tenant has on its logical collection `collection`. */
export interface SchemaIndex {
  collection: string
  /** The index's keys, as `createIndex` takes them (`{ email: 1 }`). */
  keys: Document
  /** The `createIndexes` options: `unique`, `name`, `sparse`, `expireAfterSeconds`, ... */
  options?: Document | null
}

/**
 * One migration: an `id` unique in the schema and never reused (an applied migration is
 * never run again for a tenant, and one changed since is refused), and one step. Every
 * migration must be idempotent: a run that dies is taken over by the next, which runs the
 * migration again.
 */
export type Migration =
  | CreateIndexMigration
  | DropIndexMigration
  | RenameFieldMigration
  | SetDefaultMigration
  | UpdateMigration
  | FunctionMigration

/** Make an index (compound with the tenant's stamp in the `shared` layout). */
export interface CreateIndexMigration {
  id: string
  create_index: SchemaIndex
}

/** Drop the index named `name` (in the `shared` layout, the shared collection's). */
export interface DropIndexMigration {
  id: string
  drop_index: { collection: string; name: string }
}

/** Rename a field in every document that has it under `from` and not under `to`. */
export interface RenameFieldMigration {
  id: string
  rename_field: { collection: string; from: string; to: string }
}

/** Set `field` to `value` in every document where it is missing. */
export interface SetDefaultMigration {
  id: string
  set_default: { collection: string; field: string; value: unknown }
}

/**
 * Update the documents matching `filter` (every document without one) with an update
 * document or a pipeline; it must be idempotent (filter on the shape it changes).
 */
export interface UpdateMigration {
  id: string
  update: { collection: string; filter?: Document | null; update: Document | Document[] }
}

/**
 * A migration written in JavaScript: `function` is called with the tenant being migrated
 * (on the JS thread, up to `parallelism` tenants at once); the promise it returns, if any,
 * is waited for. A throw or a rejection fails that tenant's migration: with the error's
 * code for one of this package's errors, `INTERNAL` naming the error otherwise. `version`
 * stands for the function's content in the migration's checksum: change it when the
 * function changes meaning (better: declare a new migration).
 */
export interface FunctionMigration {
  id: string
  function: (tenant: MigrationTenant) => unknown
  version: string
}

/** The tenant a migration function is called with. */
export interface MigrationTenant {
  /** The tenant's id (24 hex digits). */
  readonly tenantId: string
  /** The tenant's name. */
  readonly name: string
  /** The cluster of its data: `client` must be connected to it (`home` is the manager's own). */
  readonly cluster: string
  /**
   * The tenant's logical collection `name` (`data` unless given) on the application's own
   * `mongodb` client, as `collection` gives it for claims: the driver's collection, or in
   * the `shared` layout a `ConfinedCollection`. Throws `InvalidInputError` for a name the
   * tenant cannot have.
   */
  collection<TSchema extends Document = Document>(client: DriverClient, name?: string | null): TenantDataCollection<TSchema>
}

/**
 * The options of `migrate`: `parallelism` (tenants migrated at once, 1 to 256; 4),
 * `dryRun` (say what would run, write nothing), `stopOnFailure` (start no tenant after a
 * failure), and `onProgress`, called on the JS thread with `(done, total)` after each
 * tenant, as `moveTenant`'s: never waited for, what it throws becomes a process warning,
 * and it has been called for every tenant when the promise settles.
 */
export interface MigrateOptions extends NativeMigrateOptions {
  onProgress?: ((done: number, total: number) => unknown) | null
}

/**
 * A report of `migrate` as `POST /admin/migrate` answers it (the core's body, as every
 * server of the contract answers it). Throws `InvalidInputError` (`field`: `report`) for an
 * object `migrate` did not return.
 */
export declare function httpMigrateReportBody(report: MigrateReport): {
  tenants: number
  applied: number
  up_to_date: number
  not_started: number
  failed: {
    organization_id: string
    organization_name: string
    migration: string
    code: string
    message: string
  }[]
}

/**
 * A session as `POST /auth/login` and `POST /auth/refresh` answer it (the core's body, as
 * every server of the contract answers it).
 */
export interface SessionBody {
  access_token: string
  token_type: 'bearer'
  /** Seconds until the access token expires, counted when the body is made. */
  expires_in: number
  refresh_token: string
  session_id: string
  /** RFC 3339, UTC, to the millisecond: when the session ends whatever its refreshes. */
  session_expires_at: string
  admin_id: string
  organization_id: string
  organization_name: string
}

/** One open session as `GET /auth/sessions` shows it (the core's body). */
export interface SessionInfoBody {
  session_id: string
  /** RFC 3339, UTC, to the millisecond. */
  created_at: string
  refreshed_at: string
  expires_at: string
  client: string | null
}

/**
 * A session of `loginSession` or `refreshSession` as `POST /auth/login` and
 * `POST /auth/refresh` answer it (the core's body; `expires_in` counted now). Throws
 * `InvalidInputError` (`field`: `session`) for an object those calls did not return.
 */
export declare function httpSessionBody(session: Session): SessionBody

/**
 * The array `sessions` returned, as `GET /auth/sessions` answers it (the core's body).
 * Throws `InvalidInputError` (`field`: `sessions`) for an array `sessions` did not return.
 */
export declare function httpSessionsBody(sessions: SessionInfo[]): { sessions: SessionInfoBody[] }

/**
 * A published public key of `jwks()` (RFC 7517; an Ed25519 key as RFC 8037 writes it):
 * what a service needs to verify access tokens without tenantry.
 */
export interface Jwk {
  kty: 'OKP'
  crv: 'Ed25519'
  /** The public key, base64url. */
  x: string
  /** The `kid` of the tokens it verifies. */
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

/** The JWKS document of `jwks()`, as `GET /.well-known/jwks.json` serves it. */
export interface Jwks {
  /** Every key that signs, will sign, or still verifies tokens it signed; empty with HMAC. */
  keys: Jwk[]
}

/** A signing key as `GET /admin/keys` and `POST /admin/keys/rotate` show it (the core's body). */
export interface SigningKeyBody {
  kid: string
  alg: string
  /** RFC 3339, UTC, to the millisecond. */
  created_at: string
  activates_at: string
  /** `null` until a next key exists. */
  retires_at: string | null
  verifies_until: string | null
}

/**
 * A key of `rotateSigningKey` as `POST /admin/keys/rotate` answers it (the core's body).
 * Throws `InvalidInputError` (`field`: `key`) for an object `rotateSigningKey` did not
 * return.
 */
export declare function httpSigningKeyBody(key: SigningKeyInfo): SigningKeyBody

/**
 * The array `signingKeys` returned, as `GET /admin/keys` answers it (the core's body, oldest
 * first). Throws `InvalidInputError` (`field`: `keys`) for an array `signingKeys` did not
 * return.
 */
export declare function httpSigningKeysBody(keys: SigningKeyInfo[]): { keys: SigningKeyBody[] }

/** A tenant's API key as `GET /admin/api-keys` lists it (the core's body): never its secret. */
export interface ApiKeyBody {
  id: string
  /** `tnk_<id>`: how the key begins. */
  prefix: string
  name: string
  /** Sorted, without repeats. */
  scopes: string[]
  /** The id of the admin who made it. */
  created_by: string
  /** RFC 3339, UTC, to the millisecond. */
  created_at: string
  /** `null` if it never expires. */
  expires_at: string | null
  /** To the minute; `null` if never used. */
  last_used_at: string | null
}

/** A key just made as `POST /admin/api-keys` answers it (the core's body): the key, this once. */
export interface CreatedApiKeyBody extends ApiKeyBody {
  /** `tnk_<id>_<secret>`, for `Authorization: Bearer`: it cannot be shown again. */
  key: string
}

/** Who a credential speaks for, as `GET /auth/whoami` answers it (the core's body). */
export interface ClaimsBody {
  admin_id: string
  organization_id: string
  organization_name: string
  /** The API key's id; `null` for an access token. */
  api_key_id: string | null
  /** The API key's scopes; `null` for an access token (which may do all its admin may). */
  scopes: string[] | null
  /** The member's role; `null` for an API key. */
  role: Role | null
  /** RFC 3339, UTC, to the millisecond (far in the future for a key that never expires). */
  expires_at: string
}

/**
 * The `info` of a key of `createApiKey` (or a key of `apiKeys`) as `GET /admin/api-keys`
 * lists it (the core's body, never the secret). Throws `InvalidInputError` (`field`:
 * `key`) for an object this library did not return as an API key.
 */
export declare function httpApiKeyBody(key: ApiKeyInfo): ApiKeyBody

/**
 * A key of `createApiKey` as `POST /admin/api-keys` answers it (the core's body: the key,
 * this once, beside what is listed of it). Throws `InvalidInputError` (`field`: `key`) for
 * an object `createApiKey` did not return.
 */
export declare function httpCreatedApiKeyBody(key: ApiKey): CreatedApiKeyBody

/**
 * The array `apiKeys` returned, as `GET /admin/api-keys` answers it (the core's body,
 * oldest first). Throws `InvalidInputError` (`field`: `keys`) for an array `apiKeys` did
 * not return.
 */
export declare function httpApiKeysBody(keys: ApiKeyInfo[]): { api_keys: ApiKeyBody[] }

/** Who verified claims speak for, as `GET /auth/whoami` answers it (the core's body). */
export declare function httpClaimsBody(claims: Claims): ClaimsBody

/** A member as `GET /admin/members` lists it (the core's body). */
export interface MemberBody {
  /** The member's id, for `PATCH` and `DELETE /admin/members/{member_id}`. */
  id: string
  email: string
  role: Role
  /** Whether it is the organization's first admin (it cannot be removed, only demoted). */
  first_admin: boolean
  /** RFC 3339, UTC, to the millisecond: when it joined. */
  created_at: string
}

/** A pending invitation as `GET /admin/invitations` lists it (the core's body): never its token. */
export interface InvitationBody {
  /** The invitation's id, for `DELETE /admin/invitations/{invitation_id}`. */
  id: string
  /** `tni_<id>`: how its token begins. */
  prefix: string
  email: string
  /** The role the member will have. */
  role: Role
  /** The id of the member who invited. */
  invited_by: string
  /** RFC 3339, UTC, to the millisecond. */
  created_at: string
  expires_at: string
}

/** An invitation just made as `POST /admin/invitations` answers it (the core's body): the token, this once. */
export interface CreatedInvitationBody extends InvitationBody {
  /** `tni_<id>_<secret>`, for `POST /auth/accept-invitation`: it cannot be shown again. */
  token: string
}

/**
 * A member of `members`, `setMemberRole` or `acceptInvitation` as `GET /admin/members`
 * lists it and `PATCH /admin/members/{member_id}` and `POST /auth/accept-invitation`
 * answer it (the core's body). Throws `InvalidInputError` (`field`: `member`) for an
 * object this library did not return as a member.
 */
export declare function httpMemberBody(member: Member): MemberBody

/**
 * The array `members` returned, as `GET /admin/members` answers it (the core's body, the
 * first admin first). Throws `InvalidInputError` (`field`: `members`) for an array
 * `members` did not return.
 */
export declare function httpMembersBody(members: Member[]): { members: MemberBody[] }

/**
 * The `info` of an invitation of `inviteMember` (or one of `invitations`) as
 * `GET /admin/invitations` lists it (the core's body, never the token). Throws
 * `InvalidInputError` (`field`: `invitation`) for an object this library did not return as
 * an invitation.
 */
export declare function httpInvitationBody(invitation: InvitationInfo): InvitationBody

/**
 * An invitation of `inviteMember` as `POST /admin/invitations` answers it (the core's
 * body: the token, this once, beside what is listed of it). Throws `InvalidInputError`
 * (`field`: `invitation`) for an object `inviteMember` did not return.
 */
export declare function httpCreatedInvitationBody(invitation: Invitation): CreatedInvitationBody

/**
 * The array `invitations` returned, as `GET /admin/invitations` answers it (the core's
 * body, oldest first). Throws `InvalidInputError` (`field`: `invitations`) for an array
 * `invitations` did not return.
 */
export declare function httpInvitationsBody(invitations: InvitationInfo[]): { invitations: InvitationBody[] }

/**
 * The body of `PATCH /admin/members/{member_id}` read by the core as every server reads it
 * (`role`: `owner`, `admin` or `member`): the role, or every problem.
 */
export declare function httpMemberRole(body: Uint8Array): CheckedMemberRole

/**
 * The body of `POST /admin/invitations` read by the core as every server reads it
 * (`email`, `role`, optional `expires_at` in RFC 3339): the invitation for
 * `inviteMember`, or every problem.
 */
export declare function httpNewInvitation(body: Uint8Array): CheckedNewInvitation

/**
 * The body of `POST /auth/accept-invitation` read by the core as every server reads it
 * (`token`, `password`): what `acceptInvitation` takes, or every problem.
 */
export declare function httpAcceptedInvitation(body: Uint8Array): CheckedAcceptedInvitation

/** The stable code of each kind of error (the core's `Error::code()`). */
export type ErrorCode =
  | 'TENANT_NOT_FOUND'
  | 'TENANT_ALREADY_EXISTS'
  | 'INVALID_INPUT'
  | 'INVALID_CREDENTIALS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'TOO_MANY_ATTEMPTS'
  | 'CONFIG'
  | 'CLOSED'
  | 'DATABASE'
  | 'INTERNAL'
  | 'TENANT_SUSPENDED'
  | 'LAST_OWNER'

/**
 * What every method rejects (or throws) with: `err instanceof TenantryError`, and
 * `instanceof` the class of its kind; the stack is the caller's.
 */
export declare class TenantryError extends Error {
  /** The code of the class's kind. */
  static readonly code: ErrorCode | ''
  constructor(
    message: string,
    details?: { code?: ErrorCode; field?: string | null; reason?: string | null; retryAfter?: number | null },
  )
  /** The stable, machine-readable kind. */
  readonly code: ErrorCode
  /** The input the error is about (`name`, `newName`, `email`, `password`, ...), or `null`. */
  readonly field: string | null
  /** The explanation alone, without the field or the kind in front, or `null`. */
  readonly reason: string | null
  /** Seconds to wait before trying again (`TOO_MANY_ATTEMPTS`), or `null`. */
  readonly retryAfter: number | null
}

/** No tenant has that name. */
export declare class TenantNotFoundError extends TenantryError {
  static readonly code: 'TENANT_NOT_FOUND'
  readonly code: 'TENANT_NOT_FOUND'
}
/** The name (normalized) or the email is taken; `field` says which. */
export declare class TenantAlreadyExistsError extends TenantryError {
  static readonly code: 'TENANT_ALREADY_EXISTS'
  readonly code: 'TENANT_ALREADY_EXISTS'
}
/** Refused input, nothing written; `field` and `reason` say why. */
export declare class InvalidInputError extends TenantryError {
  static readonly code: 'INVALID_INPUT'
  readonly code: 'INVALID_INPUT'
}
/** Unknown email or wrong password (deliberately indistinguishable). */
export declare class InvalidCredentialsError extends TenantryError {
  static readonly code: 'INVALID_CREDENTIALS'
  readonly code: 'INVALID_CREDENTIALS'
}
/** A malformed, expired, revoked or foreign token; `reason` says which. */
export declare class UnauthorizedError extends TenantryError {
  static readonly code: 'UNAUTHORIZED'
  readonly code: 'UNAUTHORIZED'
}
/** The claims are not the named tenant's. */
export declare class ForbiddenError extends TenantryError {
  static readonly code: 'FORBIDDEN'
  readonly code: 'FORBIDDEN'
}
/** Another operation on the tenant is in flight, or this one was taken over; retry. */
export declare class ConflictError extends TenantryError {
  static readonly code: 'CONFLICT'
  readonly code: 'CONFLICT'
}
/** Too many failed logins; retry after `retryAfter` seconds. */
export declare class TooManyAttemptsError extends TenantryError {
  static readonly code: 'TOO_MANY_ATTEMPTS'
  readonly code: 'TOO_MANY_ATTEMPTS'
  readonly retryAfter: number
}
/** Unusable configuration: a bad value, a weak secret, an unknown option. */
export declare class ConfigError extends TenantryError {
  static readonly code: 'CONFIG'
  readonly code: 'CONFIG'
}
/** The manager was closed. */
export declare class ManagerClosedError extends TenantryError {
  static readonly code: 'CLOSED'
  readonly code: 'CLOSED'
}
/** MongoDB failed or could not be reached. */
export declare class DatabaseError extends TenantryError {
  static readonly code: 'DATABASE'
  readonly code: 'DATABASE'
}
/** An invariant of the library broke (a bug, or a corrupted document). */
export declare class InternalError extends TenantryError {
  static readonly code: 'INTERNAL'
  readonly code: 'INTERNAL'
}
/**
 * The tenant is suspended (`suspendTenant`): its admins' logins (with the right password),
 * its tokens and its scopes are refused until it is resumed.
 */
export declare class TenantSuspendedError extends TenantryError {
  static readonly code: 'TENANT_SUSPENDED'
  readonly code: 'TENANT_SUSPENDED'
}
/**
 * The change would leave the tenant without an owner: its last owner cannot be removed or
 * demoted (promote another member first). Of two owners demoting each other at once, one
 * is refused with it.
 */
export declare class LastOwnerError extends TenantryError {
  static readonly code: 'LAST_OWNER'
  readonly code: 'LAST_OWNER'
}

/** Each code's class. */
export declare const errorClasses: Readonly<Record<ErrorCode, typeof TenantryError>>

/** The part of a `mongodb` client that `collection` uses. */
export interface DriverClient {
  db(name: string): { collection(name: string): unknown }
}

/** The members of the driver's `Collection` that a `ConfinedCollection` has. */
export type ConfinedMember =
  | 'collectionName'
  | 'dbName'
  | 'namespace'
  | 'find'
  | 'findOne'
  | 'countDocuments'
  | 'distinct'
  | 'aggregate'
  | 'watch'
  | 'insertOne'
  | 'insertMany'
  | 'updateOne'
  | 'updateMany'
  | 'replaceOne'
  | 'deleteOne'
  | 'deleteMany'
  | 'findOneAndUpdate'
  | 'findOneAndReplace'
  | 'findOneAndDelete'
  | 'bulkWrite'
  | 'createIndex'

/**
 * A tenant's collection in the `shared` layout: the driver's collection, shared by every
 * tenant, behind the methods that can be confined to one. Each passes its arguments through
 * the core's confinement and returns what the driver returns (promises, cursors):
 *
 * - filters (and a cursor's later `filter`) match the tenant's documents only, whatever
 *   they say;
 * - inserted and replacing documents are stamped with the tenant's id (`_tenant`); one
 *   stamped for another tenant is refused;
 * - updates may not change or remove the stamp; an upsert inserts a stamped document;
 * - aggregation pipelines start by matching the tenant's documents and may use only stages
 *   that read the documents flowing through them (`$lookup`, `$unionWith`, `$out`,
 *   `$merge`, ... are refused, in `$facet` too, and so are later `addStage` calls);
 * - documents read back carry no stamp;
 * - index keys start with the stamp, so a unique index is unique per tenant;
 * - change streams deliver the events whose full document is the tenant's (deletes carry
 *   none and are not delivered).
 *
 * Refusals reject (or throw, for `aggregate` and `watch`) with `InvalidInputError`.
 * Every other member of the driver's collection (`drop`, `rename`,
 * `estimatedDocumentCount`, `createIndexes`, ...) would act on every tenant's documents:
 * reading one throws a `TypeError`.
 */
export declare class ConfinedCollection<TSchema extends Document = Document> {
  private constructor()
}
export interface ConfinedCollection<TSchema extends Document = Document>
  extends Pick<Collection<TSchema>, ConfinedMember> {}

/** A tenant's collection: the driver's own, or in the `shared` layout a confined one. */
export type TenantDataCollection<TSchema extends Document = Document> =
  | Collection<TSchema>
  | ConfinedCollection<TSchema>

/**
 * Creates, finds, updates, renames and deletes tenants, and authenticates their admins.
 *
 * Make one per process with `TenantManager.connect(options)` or `TenantManager.fromEnv()`
 * and share it: it holds a MongoDB connection pool. `await manager.close()` (or
 * `await using manager = ...`) releases it.
 */
export declare class TenantManager {
  private constructor()
  /**
   * Connect, create the indexes the invariants rest on and adopt records of the original
   * service. Rejects with `ConfigError` or `DatabaseError`.
   */
  static connect(options: ConnectOptions): Promise<TenantManager>
  /** Like `connect`, the environment giving every option `overrides` leaves out. */
  static fromEnv(overrides?: ConnectOptions): Promise<TenantManager>
  /** The options in force, defaults included (the secrets left out). */
  get settings(): Readonly<Omit<ConnectOptions, 'jwtSecret' | 'operatorToken' | 'signingKeySecret'>>
  /** The database of the records, admins and tenant collections. */
  get masterDb(): string
  /** Whether `close()` was called. */
  get closed(): boolean

  /**
   * Create a tenant: its record, its admin and its data's home, all or nothing, in the
   * layout, naming and cluster `options` give (the configured defaults otherwise). Rejects
   * with `InvalidInputError` (`field`: `name`, `email`, `password`, `layout`, `naming`,
   * `cluster` or `tag`) or `TenantAlreadyExistsError` (`field`: `name` or `email`).
   */
  createTenant(name: string, email: string, password: string, options?: TenantOptions | null): Promise<Tenant>
  /**
   * The tenant of that name (any spelling with the same normalized key). Rejects with
   * `TenantNotFoundError`, or `InvalidInputError` for a name no tenant can have.
   */
  getTenant(name: string): Promise<Tenant>
  /**
   * Change the claims' admin's email and/or password, and/or rename the claims' tenant
   * (its collection moves with all its data). Rejects with `InvalidInputError`,
   * `TenantAlreadyExistsError`, `UnauthorizedError` (revoked claims) or `ConflictError`.
   */
  updateTenant(claims: Claims, update: TenantUpdate): Promise<Tenant>
  /** Rename the claims' tenant; its collection moves with all its data. */
  renameTenant(claims: Claims, newName: string): Promise<Tenant>
  /**
   * Delete the claims' tenant: its data, its admins, its record; its tokens stop
   * verifying. With `deletedRetentionSeconds` set, the delete is soft: the tenant
   * disappears from every call but `listTenants`, `restoreTenant` and `purgeTenant`, and
   * its data, admins and name are kept (a create under its name is refused with
   * `TenantAlreadyExistsError`) until it is purged: by `purgeTenant`, or by `recover()` or
   * `purgeExpired()` once the retention has passed.
   */
  deleteTenant(claims: Claims): Promise<void>
  /**
   * Bring back the softly deleted tenant named `name` (any spelling) as it was, within its
   * retention: its admins log in again, and tokens issued before the delete verify again.
   * Rejects with `TenantNotFoundError` (no deleted tenant has the name) or
   * `InvalidInputError` (its retention has passed). An administration call: no token is
   * checked, so only trusted code may call it.
   */
  restoreTenant(name: string): Promise<Tenant>
  /**
   * Suspend the tenant named `name` (any spelling): until `resumeTenant`, its admins'
   * logins with the right password, the tokens issued before and the scopes opened with
   * them are refused with `TenantSuspendedError` (a wrong password is still
   * `InvalidCredentialsError`); its data, admins and name are untouched. Suspending a
   * suspended tenant records the new `reason` (one line of at most 500 characters, kept on
   * the record as `suspendedReason` and in the audit log). Resolves to the tenant, its
   * `suspendedAt` set. Rejects with `TenantNotFoundError`, or `InvalidInputError`
   * (`field`: `reason`). An administration call: no token is checked, so only trusted
   * code may call it.
   */
  suspendTenant(name: string, reason?: string | null): Promise<Tenant>
  /**
   * Lift the suspension of the tenant named `name` (any spelling): its logins and tokens
   * are accepted again, those issued before the suspension too (unless revoked
   * otherwise). Resuming a tenant that is not suspended changes nothing. Resolves to the
   * tenant, `suspendedAt` and `suspendedReason` null. Rejects with `TenantNotFoundError`.
   * An administration call: no token is checked, so only trusted code may call it.
   */
  resumeTenant(name: string): Promise<Tenant>
  /**
   * Remove the softly deleted tenant named `name` now, whatever its retention: its data,
   * its admins, its record, then its name (journaled like any delete). Rejects with
   * `TenantNotFoundError` when no deleted tenant has the name (an active one is not
   * purged). An administration call: no token is checked.
   */
  purgeTenant(name: string): Promise<void>
  /**
   * Purge every softly deleted tenant whose retention has passed (`recover()` does it
   * too); resolves to how many.
   */
  purgeExpired(): Promise<number>
  /**
   * One page of the tenants matching `query` (active and softly deleted ones; all of them
   * when no query is given), in creation order, at most `limit` (100 by default, 1 to
   * 1000). Read the next page with `after` set to the page's `next` (`null` on the last
   * page): pages never repeat or skip a tenant that exists throughout, whatever is created
   * or deleted meanwhile. Rejects with `InvalidInputError` (`field`: `state`, `layout`,
   * `cluster`, `namePrefix`, `createdAfter` or `createdBefore` for an invalid `Date`,
   * `limit`, `after` for a cursor this library did not return). An administration call:
   * no token is checked, so only trusted code may call it.
   */
  listTenants(query?: TenantQuery | null): Promise<TenantPage>
  /**
   * How many tenants match `query` (its `limit` and `after` aside). Rejects as
   * `listTenants`.
   */
  countTenants(query?: TenantQuery | null): Promise<number>
  /**
   * Throws `ForbiddenError` unless `name` (any spelling) is the claims' tenant's: for
   * APIs whose requests name the tenant they act on.
   */
  checkTenantName(claims: Claims, name: string): void
  /**
   * Log an admin in. Unknown email and wrong password cost the same bcrypt work and
   * reject alike (`InvalidCredentialsError`); past the failure limits of the (email,
   * `client`) pair, the email or the client, `TooManyAttemptsError`. The right password
   * of a suspended tenant's admin rejects with `TenantSuspendedError`.
   *
   * One email may be a member of several tenants (`acceptInvitation`):
   * `organizationName`, when given, logs into that tenant's member of the email (any
   * spelling of its name; another tenant's is `InvalidCredentialsError`). Without it, the
   * email logs into the one tenant its password opens, and is refused with
   * `InvalidInputError` (`field`: `organizationName`) when it opens several.
   */
  authenticate(
    email: string,
    password: string,
    client?: string | null,
    organizationName?: string | null,
  ): Promise<AccessToken>
  /**
   * The claims of a token whose signature, algorithm and expiry hold and that was not
   * revoked (password changed, admin or tenant deleted). Rejects with `UnauthorizedError`,
   * or `TenantSuspendedError` while its tenant is suspended (as do the calls taking its
   * claims).
   */
  verifyToken(token: string): Promise<Claims>
  /**
   * The claims of a token whose signature, algorithm and expiry hold, synchronously and
   * without the database: a revoked token passes. Throws `UnauthorizedError`.
   */
  decodeToken(token: string): Claims
  /**
   * Log an admin in as `authenticate` does (into the tenant named `organizationName` when
   * given; throttled per (email, `client`), audited, the same rejections) and open a session: a short access token (`sessionAccessSeconds`, 15
   * minutes by default) and an opaque refresh token that renews it until the session ends
   * (`sessionRefreshSeconds` after the login, 30 days by default). `console.log` of a
   * session masks both tokens.
   */
  loginSession(
    email: string,
    password: string,
    client?: string | null,
    organizationName?: string | null,
  ): Promise<Session>
  /**
   * Renew a session: the next access and refresh tokens. The refresh token presented is
   * used up: presenting it again (also in a race) ends its whole session, and that call
   * rejects with `UnauthorizedError`, as does an unknown, malformed, expired or ended token.
   * A password change ends the admin's sessions at their next refresh. Rejects with
   * `TenantSuspendedError` while the tenant is suspended (the token is kept).
   */
  refreshSession(refreshToken: string): Promise<Session>
  /** The open sessions of the claims' admin, newest first. Rejects as `verifyToken`. */
  sessions(claims: Claims): Promise<SessionInfo[]>
  /**
   * End the session `sessionId` (an `id` of `sessions`, or a `Session`'s `sessionId`) of
   * the claims' admin: its refresh token stops working; the access tokens it issued expire
   * on their own. Resolves to whether an open session of the admin had that id. Rejects
   * with `InvalidInputError` (`field`: `sessionId`) for a text that is not a session id.
   */
  endSession(claims: Claims, sessionId: string): Promise<boolean>
  /**
   * Log out everywhere: end every session of the claims' admin and revoke every access
   * token it holds (these claims' included). Resolves to how many sessions were open.
   */
  endAllSessions(claims: Claims): Promise<number>
  /**
   * Make an API key for the claims' tenant, for machine clients: `key.name` (1 to 100
   * characters, trimmed), `key.scopes` (1 to 32, each 1 to 64 of `A-Z a-z 0-9 : . _ -`;
   * kept sorted, without repeats; what they allow is the application's, see
   * `Claims.hasScope`), `key.expiresAt` (a `Date` in the future; never when left out or
   * `null`). Resolves to the key, `tnk_<id>_<secret>`, in this answer only (only its
   * digest is stored; `console.log` shows its prefix alone), and `info`, as `apiKeys`
   * will list it. An admin's token only: rejects with `ForbiddenError` for an API key's
   * claims. Rejects with `InvalidInputError` (`field`: `apiKeyName`, shown as `name` by
   * `httpResponse`; `scopes`; `expiresAt`, an invalid `Date` included) and `ConflictError`
   * when the tenant holds its most keys (100). Audited.
   */
  createApiKey(claims: Claims, key: NewApiKey): Promise<ApiKey>
  /**
   * The claims' tenant's API keys that are not revoked (expired ones included), oldest
   * first, without their secrets. Rejects with `ForbiddenError` for an API key's claims.
   */
  apiKeys(claims: Claims): Promise<ApiKeyInfo[]>
  /**
   * Revoke the claims' tenant's API key `keyId` (an `id` of `apiKeys`): it stops verifying
   * at once, and claims verified from it stop reaching the data. Resolves to whether it
   * was one of the tenant's live keys (another tenant's key is left alone: `false`).
   * Rejects with `InvalidInputError` (`field`: `keyId`) for a text that is not a key id,
   * `ForbiddenError` for an API key's claims. Audited.
   */
  revokeApiKey(claims: Claims, keyId: string): Promise<boolean>
  /**
   * The members of the claims' tenant: its first admin first, then the others as they
   * joined (any member's token; an API key's claims are refused with `ForbiddenError`).
   */
  members(claims: Claims): Promise<Member[]>
  /**
   * Change the role of the claims' tenant's member `memberId` (an `id` of `members`): an
   * owner's or admin's token, and only an owner makes an owner or changes an owner's role
   * (else `ForbiddenError`). Resolves to the member as it is now, or `null` when the tenant
   * has no such member. Rejects with `LastOwnerError` when it would leave the tenant
   * without an owner (of two owners demoting each other at once, one is refused), and
   * `InvalidInputError` (`field`: `memberId` for a text that is not a member id, `role`
   * for a role that is not one). Audited.
   */
  setMemberRole(claims: Claims, memberId: string, role: Role): Promise<Member | null>
  /**
   * Remove the claims' tenant's member `memberId`: its sessions end and its tokens stop
   * verifying. Resolves to whether the tenant had such a member. An owner's or admin's
   * token (only an owner removes an owner); the tenant's first admin cannot be removed
   * (`ForbiddenError`; it may be demoted), nor its last owner (`LastOwnerError`). Rejects
   * with `InvalidInputError` (`field`: `memberId`) for a text that is not a member id.
   * Audited.
   */
  removeMember(claims: Claims, memberId: string): Promise<boolean>
  /**
   * Invite `invitation.email` into the claims' tenant as `invitation.role` (an owner's or
   * admin's token; only an owner invites an owner), until `invitation.expiresAt` (a `Date`
   * in the future, at most 30 days away; 7 days when left out or `null`). Resolves to the
   * token, `tni_<id>_<secret>`, in this answer only (only its digest is stored;
   * `console.log` and `JSON.stringify` show its prefix alone), and `info`, as
   * `invitations` will list it. Rejects with `InvalidInputError` (`field`: `email`,
   * `role`, `expiresAt`), `TenantAlreadyExistsError` (`field`: `email`) for an email that
   * is a member already, `ConflictError` when the tenant holds its most pending
   * invitations (100). Audited.
   */
  inviteMember(claims: Claims, invitation: NewInvitation): Promise<Invitation>
  /**
   * The claims' tenant's pending invitations (neither accepted, revoked nor expired),
   * oldest first, without their tokens. An owner's or admin's token.
   */
  invitations(claims: Claims): Promise<InvitationInfo[]>
  /**
   * Revoke the claims' tenant's pending invitation `invitationId` (an `id` of
   * `invitations`): its token stops working. Resolves to whether there was one. Rejects
   * with `InvalidInputError` (`field`: `invitationId`) for a text that is not an
   * invitation id. An owner's or admin's token. Audited.
   */
  revokeInvitation(claims: Claims, invitationId: string): Promise<boolean>
  /**
   * Accept an invitation (no claims: the invitee has no account yet): its email joins its
   * tenant with its role and `password`, and logs in like any member (`authenticate`,
   * naming the tenant when the email is a member of several). Works once: of two racing
   * accepts, exactly one joins. Rejects with `UnauthorizedError` for an unknown, used,
   * expired or revoked invitation, `InvalidInputError` (`field`: `password`) for a weak
   * password, `TenantSuspendedError` while the tenant is suspended.
   */
  acceptInvitation(token: string, password: string): Promise<Member>
  /**
   * The claims of an API key (`tnk_...`): its secret compared in constant time, the key
   * neither revoked nor expired (else `UnauthorizedError`, as for a malformed or forged
   * key), its tenant there and not suspended (else `TenantSuspendedError`). The claims
   * carry `apiKeyId` and `scopes`; they reach the tenant's data (`collection(claims,
   * client)`) and are refused by every call that manages the tenant (`ForbiddenError`).
   * The key's last use is recorded (at most once a minute).
   */
  verifyApiKey(key: string): Promise<Claims>
  /**
   * The claims of a bearer credential of either kind: `verifyApiKey` for one that begins
   * with `tnk_`, `verifyToken` otherwise.
   */
  verifyCredential(credential: string): Promise<Claims>
  /**
   * The published token-verification keys, a JWKS document (RFC 7517) to serve at
   * `/.well-known/jwks.json`: with `jwtAlgorithm: 'EdDSA'`, every key that signs, will
   * sign, or still verifies tokens it signed, so that any JWT library verifies this
   * deployment's tokens with it alone; `{ keys: [] }` with an HMAC algorithm (a secret is
   * never published).
   */
  jwks(): Promise<Jwks>
  /**
   * The signing keys' timeline (`EdDSA`), read now, oldest first: when each activates,
   * retires and stops verifying. Rejects with `InvalidInputError` (`field`:
   * `jwtAlgorithm`) with an HMAC algorithm.
   */
  signingKeys(): Promise<SigningKeyInfo[]>
  /**
   * Rotate the signing keys now (`EdDSA`; an administration call: no token is checked):
   * the new key is published at once (`jwks()`) and signs from `signingKeyLeadSeconds`
   * later; the key it replaces keeps verifying its tokens until they have all expired.
   * Resolves to the new key. Rejects with `InvalidInputError` (`field`: `jwtAlgorithm`)
   * with an HMAC algorithm (its secret is rotated by configuration).
   */
  rotateSigningKey(): Promise<SigningKeyInfo>
  /**
   * Move the data of the tenant named `name` (any spelling) to another layout and/or
   * cluster, online: copied in batches, caught up with a change stream, then writes fenced
   * for a short cut-over while the copy is verified and the record switched; the source is
   * emptied only then. A crash at any step is finished or undone by `recover()`. Resolves
   * to the tenant where it is now.
   *
   * `onProgress`, when given, is called on the JS thread with each report: `copy` as the
   * copy starts and after each batch, `catch-up`, then `done`. The move never waits for
   * it; what it throws (or a promise it returns rejects with) becomes a process warning
   * and the move goes on. When the promise settles, it has seen every report.
   *
   * An administration call: no token is checked, so only trusted code may call it (a
   * server checks its caller with `checkOperator` first). Rejects with
   * `InvalidInputError` (`field`: `target` when the data is there already or nothing is
   * named, `layout`, `cluster`), `TenantNotFoundError` or `ConflictError` (another
   * operation on the tenant is in flight).
   */
  moveTenant(
    name: string,
    target: MoveTarget | null | undefined,
    onProgress?: ((progress: MoveProgress) => unknown) | null,
  ): Promise<Tenant>
  /**
   * `moveTenant` as an async iterator of its progress reports:
   * `for await (const progress of manager.moveTenantProgress(name, target))`. The move
   * starts with the first step of the iteration and goes on to its end if the loop is left
   * early; the iteration ends when the move has (its return value is the moved tenant), or
   * throws the move's error.
   */
  moveTenantProgress(name: string, target: MoveTarget | null | undefined): AsyncGenerator<MoveProgress, Tenant, undefined>
  /**
   * Rename the tenant named `name` (any spelling) to `newName` as its admin could: the same
   * journaled rename, its data moving with it, audited as the operator's. Rejects as
   * `renameTenant` does, and with `TenantNotFoundError`. An administration call: no token
   * is checked, so only trusted code may call it.
   */
  adminRenameTenant(name: string, newName: string): Promise<Tenant>
  /**
   * Delete the tenant named `name` (any spelling) as its admin could (softly when
   * `deletedRetentionSeconds` is set), audited as the operator's. Rejects with
   * `TenantNotFoundError` or `ConflictError`. An administration call: no token is checked.
   */
  adminDeleteTenant(name: string): Promise<void>
  /**
   * One page of the audit log of the tenant with id `tenantId` (24 hex digits; a purged
   * tenant's log stays, under its id), in order: every lifecycle and credential event, with
   * its actor, time, operation and outcome. At most `limit` entries (100 by default, 1 to
   * 1000); read the next page with `after` set to the page's `next` (`null` on the last).
   * Rejects with `InvalidInputError` (`field`: `tenantId`, `since` or `until` for an
   * invalid `Date`, `limit`, `after`). An administration call: no token is checked.
   */
  auditLog(tenantId: string, query?: AuditQuery | null): Promise<AuditPage>
  /**
   * Walk the whole audit log of the tenant with id `tenantId` and say whether its hash
   * chain is whole, and where it first breaks if not (an entry edited, removed, or put out
   * of order). Rejects with `InvalidInputError` (`field`: `tenantId`). An administration
   * call: no token is checked.
   */
  verifyAudit(tenantId: string): Promise<AuditVerification>
  /**
   * Write the tenant named `name` (any spelling) to the file `path` as one archive: its
   * record, its admins with their password hashes (an archive is as sensitive as the
   * database), every logical collection with its options, indexes and documents, its audit
   * log, and a manifest of counts and checksums, which it resolves to. Streamed: memory does
   * not grow with the data. The archive is written beside `path` and takes its place only
   * when whole; a failed export leaves no file. Rejects with `TenantNotFoundError`, or
   * `InvalidInputError` (`field`: `path` for a file that cannot be written). An
   * administration call: no token is checked, so only trusted code may call it.
   */
  exportTenant(name: string, path: string, options?: ExportOptions | null): Promise<ArchiveManifest>
  /** `exportTenant` into memory: the archive's bytes (for an HTTP response). */
  exportTenantBuffer(name: string, options?: ExportOptions | null): Promise<Buffer>
  /**
   * Import a tenant from the archive file `path` (on any deployment: an archive is
   * self-contained), under the archive's name, admin email and layout unless `options`
   * give others. The tenant stays hidden until its documents are in and match the
   * archive's manifest; a failure at any point leaves nothing behind. Resolves to the
   * tenant and the manifest. Rejects with `InvalidInputError` (`field`: `archive` for a
   * damaged or foreign archive, `path` for a file that cannot be read, `name`, `email`,
   * `layout`, `cluster`) or `TenantAlreadyExistsError` (`field`: `name` or `email`). An
   * administration call: no token is checked, so only trusted code may call it.
   */
  importTenant(path: string, options?: ImportTenantOptions | null): Promise<ImportedTenant>
  /** `importTenant` from the archive's bytes (copied when called). */
  importTenantBuffer(archive: Uint8Array, options?: ImportTenantOptions | null): Promise<ImportedTenant>
  /**
   * Declare the schema every tenant's data follows (replacing any declared before, or
   * read from `schemaFile`): from now on a new tenant gets its indexes and is recorded as
   * having every migration applied (it is born with the current schema), and `migrate`
   * applies to the other tenants the migrations each lacks. Throws `InvalidInputError`
   * (`field`: `schema`) for a declaration that does not read: a member or kind it does not
   * know, a missing or mistyped field, a `function` that is not one or has no `version`, an
   * id declared twice. Values cross as BSON, with the `mongodb` package (which must be
   * installed).
   */
  setSchema(schema: Schema): void
  /**
   * Apply the migrations of the declared schema that each active tenant lacks, in order,
   * `parallelism` tenants at a time, with a ledger per tenant: a second run applies
   * nothing, an interrupted one is taken up by the next. A tenant's failure stops that
   * tenant only (every tenant not started yet, with `stopOnFailure`) and is reported in
   * `failed` (`CONFLICT` for a migration changed after it was applied); a dry run says
   * what would run and writes nothing. Rejects with `InvalidInputError` (`field`:
   * `schema` when none is declared, `parallelism`). An administration call: no token is
   * checked, so only trusted code may call it.
   */
  migrate(options?: MigrateOptions | null): Promise<MigrateReport>
  /**
   * Throws `UnauthorizedError` unless `token` is the configured operator token
   * (`operatorToken`, compared in constant time), `ForbiddenError` when none is configured
   * (operator calls are off). For servers that expose `moveTenant`.
   */
  checkOperator(token: string): void
  /**
   * Where the claims' tenant keeps its default collection now (a round trip). In the
   * `shared` layout that collection is every tenant's: reach it through `collection`.
   */
  tenantCollection(claims: Claims): Promise<TenantCollection>
  /**
   * Where the claims' tenant's logical collection `name` (`data`, its default one, unless
   * given) is, with no round trip: the cluster, the database, the physical collection and,
   * in the `shared` layout, the confinement. Throws `InvalidInputError` for claims of
   * `decodeToken` (they name no collection) and for a name the tenant cannot have (any
   * but `data` in the `collection` layout).
   */
  locate(claims: Claims, name?: string | null): Location
  /**
   * The claims' tenant's logical collection `name` (`data` unless given) on the
   * application's own `mongodb` client, with no round trip: the driver's collection in the
   * `collection` and `database` layouts, a `ConfinedCollection` in the `shared` layout.
   * `client` must be connected to the tenant's cluster (`claims.cluster`; `home` is the
   * manager's own). Throws as `locate`.
   */
  collection<TSchema extends Document = Document>(
    claims: Claims,
    client: DriverClient,
    name?: string | null,
  ): TenantDataCollection<TSchema>
  /**
   * The logical collection `collection` (`data` unless given) of the tenant named `name`,
   * as `collection` gives it, for administration code (migrations, support, exports): no
   * token is checked, so only trusted code may call it. Rejects with `TenantNotFoundError`
   * or `InvalidInputError`.
   */
  adminCollection<TSchema extends Document = Document>(
    name: string,
    client: DriverClient,
    collection?: string | null,
  ): Promise<TenantDataCollection<TSchema>>
  /**
   * The client a request comes from, for `authenticate`: `peer`, or what `forwardedFor`
   * (an `X-Forwarded-For` header) says when `peer` is a trusted proxy. Throws
   * `InvalidInputError` for a `peer` that is not an IP address.
   */
  clientAddress(peer: string, forwardedFor?: string | null): string
  /** Resolves when the database answers; rejects with `DatabaseError` if it does not. */
  ping(): Promise<void>
  /**
   * Finish or undo the operations stopped halfway (a crash) whose lease has run out, adopt
   * records of the original service, heal tombstones, list unclaimed `org_*` collections.
   */
  recover(): Promise<RecoveryReport>
  /**
   * Refuse new calls (`ManagerClosedError`), let running ones end, close the connections.
   * Idempotent.
   */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}
