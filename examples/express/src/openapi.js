// @ts-check
// The OpenAPI document of the contract, served at /openapi.json.

const string = { type: 'string' }
const dateTime = { type: 'string', format: 'date-time' }
/** @param {string} name */
const ref = (name) => ({ $ref: `#/components/schemas/${name}` })
/** @param {string} description @param {string} schema */
const json = (description, schema) => ({ description, content: { 'application/json': { schema: ref(schema) } } })

const orgNameQuery = {
  name: 'organization_name',
  in: 'query',
  required: true,
  description: "the organization's name",
  schema: string,
}

/** @param {string} name @param {string} description @param {Record<string, unknown>} [schema] */
const optionalQuery = (name, description, schema = string) => ({ name, in: 'query', required: false, description, schema })

/** The filters of `GET /admin/tenants` and its count. */
const listingFilters = [
  optionalQuery('state', '`active` or `deleted`'),
  optionalQuery('layout', '`collection`, `database` or `shared`'),
  optionalQuery('cluster', "a configured cluster's name"),
  optionalQuery('name_prefix', 'names starting with this (case and spacing folded)'),
  optionalQuery('created_after', 'RFC 3339: created at or after', dateTime),
  optionalQuery('created_before', 'RFC 3339: created before', dateTime),
]

/** The answers every operator call may give besides its own. */
const operatorErrors = {
  401: json('missing or invalid operator token', 'ErrorBody'),
  403: json('operator calls are off', 'ErrorBody'),
}

const errors = {
  400: json('invalid input, or a name or email already taken', 'ErrorBody'),
  401: json('missing, invalid, expired or revoked token', 'ErrorBody'),
  403: json('the token belongs to another organization, or its organization is suspended', 'ErrorBody'),
  409: json('another operation on this organization is in progress', 'ErrorBody'),
}

/** The fields of an API key as listed (`GET /admin/api-keys`), its secret never among them. */
function apiKeyProperties() {
  return {
    id: { ...string, description: 'The key\'s id, for `DELETE /admin/api-keys/{key_id}`.' },
    prefix: { ...string, description: '`tnk_<id>`: how the key begins, naming it without revealing it.' },
    name: string,
    scopes: { type: 'array', items: string, description: 'Sorted, without repeats.' },
    created_by: { ...string, description: 'The id of the admin who made it.' },
    created_at: dateTime,
    expires_at: { type: ['string', 'null'], format: 'date-time', description: 'When it stops verifying; `null` if never.' },
    last_used_at: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'When it was last used, to the minute; `null` if never.',
    },
  }
}

/** A member's role. */
const role = { type: 'string', enum: ['owner', 'admin', 'member'] }

/** The fields of a pending invitation as listed (`GET /admin/invitations`), its token never among them. */
function invitationProperties() {
  return {
    id: { ...string, description: "The invitation's id, for `DELETE /admin/invitations/{invitation_id}`." },
    prefix: { ...string, description: '`tni_<id>`: how its token begins.' },
    email: { ...string, description: 'The email invited.' },
    role: { ...role, description: 'The role the member will have.' },
    invited_by: { ...string, description: 'The id of the member who invited.' },
    created_at: dateTime,
    expires_at: { ...dateTime, description: 'When it stops working.' },
  }
}

/** The answers every member and invitation call may give besides its own. */
const memberErrors = {
  401: errors[401],
  403: json('a role below the one it takes, an API key, or the organization is suspended', 'ErrorBody'),
}

/** @param {string} name @param {string} description */
const idPath = (name, description) => ({ name, in: 'path', required: true, description, schema: string })

/** @type {Record<string, unknown>} */
export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Organization Management Service',
    description: 'Multi-tenant organization management on tenantry (Express on the Node binding).',
    version: '0.1.0',
  },
  paths: {
    '/org/create': {
      post: {
        tags: ['organizations'],
        summary: 'Create an organization with its admin and its own collection',
        requestBody: { required: true, content: { 'application/json': { schema: ref('CreateOrg') } } },
        responses: { 201: json('created', 'Org'), 400: errors[400], 413: json('body over 64 KiB', 'ErrorBody') },
      },
    },
    '/org/get': {
      get: {
        tags: ['organizations'],
        summary: 'Get an organization by name',
        parameters: [orgNameQuery],
        responses: {
          200: json('the organization', 'Org'),
          400: json('missing or invalid name', 'ValidationError'),
          404: json('no such organization', 'ErrorBody'),
        },
      },
    },
    '/admin/login': {
      post: {
        tags: ['auth'],
        summary: 'Log an admin in',
        requestBody: { required: true, content: { 'application/json': { schema: ref('Login') } } },
        responses: {
          200: json('an access token', 'LoginOut'),
          401: json('invalid email or password', 'ErrorBody'),
          403: json('the organization is suspended (`TENANT_SUSPENDED`)', 'ErrorBody'),
        },
      },
    },
    '/auth/login': {
      post: {
        tags: ['sessions'],
        summary: 'Log in and open a session',
        description:
          'Log in (as `POST /admin/login`: throttled per email and client) and open a session: a short access token and a refresh token that renews it.',
        requestBody: { required: true, content: { 'application/json': { schema: ref('Login') } } },
        responses: {
          200: json('the session: an access token and a refresh token', 'SessionOut'),
          400: json('a bad body', 'ValidationError'),
          401: json('invalid email or password', 'ErrorBody'),
          403: json('the organization is suspended (`TENANT_SUSPENDED`)', 'ErrorBody'),
          429: json('too many failed logins (`Retry-After`)', 'ErrorBody'),
        },
      },
    },
    '/auth/refresh': {
      post: {
        tags: ['sessions'],
        summary: 'Renew a session',
        description:
          'Renew a session: a new access token and refresh token; the one presented is used up. Presenting a used one ends its whole session.',
        requestBody: { required: true, content: { 'application/json': { schema: ref('Refresh') } } },
        responses: {
          200: json('the next access token and refresh token', 'SessionOut'),
          400: json('a bad body', 'ValidationError'),
          401: json('a used, unknown, expired or ended refresh token', 'ErrorBody'),
          403: json('the organization is suspended (`TENANT_SUSPENDED`)', 'ErrorBody'),
        },
      },
    },
    '/auth/sessions': {
      get: {
        tags: ['sessions'],
        summary: "The token's admin's open sessions",
        description: 'The open sessions of the token\'s admin, newest first.',
        security: [{ bearer: [] }],
        responses: { 200: json('the open sessions', 'SessionList'), 401: errors[401], 403: errors[403] },
      },
    },
    '/auth/logout': {
      post: {
        tags: ['sessions'],
        summary: 'End one session',
        description:
          "End one session of the token's admin: its refresh token stops working (access tokens already issued expire on their own).",
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('Logout') } } },
        responses: {
          200: json('whether an open session of the admin had the id', 'Ended'),
          400: json('not a session id, or a bad body', 'ValidationError'),
          401: errors[401],
          403: errors[403],
        },
      },
    },
    '/auth/logout-all': {
      post: {
        tags: ['sessions'],
        summary: 'Log out everywhere',
        description:
          "Log out everywhere: end every session of the token's admin and revoke every access token it holds, this one included.",
        security: [{ bearer: [] }],
        responses: { 200: json('how many sessions were open', 'EndedCount'), 401: errors[401], 403: errors[403] },
      },
    },
    '/.well-known/jwks.json': {
      get: {
        tags: ['keys'],
        summary: 'The keys that verify access tokens (JWKS)',
        description:
          'The keys that verify access tokens, a JWKS document (RFC 7517): with `JWT_ALGO=EdDSA` every key that signs, will sign, or still verifies tokens it signed; `{"keys": []}` with an HMAC algorithm. No authorization; `Cache-Control: public, max-age=60`.',
        responses: {
          200: {
            ...json('the published keys', 'Jwks'),
            headers: { 'Cache-Control': { description: 'public, max-age=60', schema: string } },
          },
          503: json('the database cannot be reached', 'ErrorBody'),
        },
      },
    },
    '/admin/keys': {
      get: {
        tags: ['keys'],
        summary: "The signing keys' timeline",
        description:
          "The signing keys' timeline (`JWT_ALGO=EdDSA`), oldest first: when each activates, retires and stops verifying. Authorized by the operator token.",
        security: [{ bearer: [] }],
        responses: {
          200: json('the signing keys, oldest first', 'SigningKeyList'),
          400: json('an HMAC algorithm: no keys to list', 'ErrorBody'),
          ...operatorErrors,
        },
      },
    },
    '/admin/keys/rotate': {
      post: {
        tags: ['keys'],
        summary: 'Rotate the signing keys now',
        description:
          'Rotate the signing keys now (`JWT_ALGO=EdDSA`; no body): the new key is published at once and signs from `SIGNING_KEY_LEAD_SECONDS` later; the key it replaces verifies its tokens until they have all expired. Authorized by the operator token.',
        security: [{ bearer: [] }],
        responses: {
          200: json('the new key', 'SigningKey'),
          400: json('an HMAC algorithm: no keys to rotate', 'ErrorBody'),
          ...operatorErrors,
        },
      },
    },
    '/admin/api-keys': {
      post: {
        tags: ['api-keys'],
        summary: "Make an API key for the token's organization",
        description:
          "Make an API key for the token's organization, for machine clients: the key (`tnk_...`, for `Authorization: Bearer`) is in this answer only; its digest is stored. An admin's token only: an API key cannot make keys (403 `FORBIDDEN`). 400 for a bad body, name, scope or expiry; 409 when the organization holds 100 live keys.",
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('NewApiKey') } } },
        responses: {
          201: json('the key, shown this once, and what will be listed of it', 'CreatedApiKey'),
          400: json('a bad body, name, scope or expiry', 'ValidationError'),
          401: errors[401],
          403: json('an API key, or the organization is suspended', 'ErrorBody'),
          409: json('the organization holds the most keys it may', 'ErrorBody'),
          413: json('body over 64 KiB', 'ErrorBody'),
        },
      },
      get: {
        tags: ['api-keys'],
        summary: "The organization's API keys",
        description:
          "The organization's API keys that are not revoked (expired ones included), oldest first, without their secrets. An admin's token only (403 `FORBIDDEN` for an API key).",
        security: [{ bearer: [] }],
        responses: {
          200: json('the keys, oldest first', 'ApiKeyList'),
          401: errors[401],
          403: json('an API key, or the organization is suspended', 'ErrorBody'),
        },
      },
    },
    '/admin/api-keys/{key_id}': {
      delete: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        description:
          "Revoke one of the organization's API keys: it stops verifying at once. `revoked` is false when it is no live key of the organization (another organization's key is left alone). 400 `INVALID_INPUT` on `key_id` for an id that is not one. An admin's token only (403 `FORBIDDEN` for an API key).",
        security: [{ bearer: [] }],
        parameters: [
          { name: 'key_id', in: 'path', required: true, description: "the key's `id` (24 hexadecimal digits)", schema: string },
        ],
        responses: {
          200: json('whether it was a live key of the organization', 'Revoked'),
          400: json('not a key id', 'ValidationError'),
          401: errors[401],
          403: json('an API key, or the organization is suspended', 'ErrorBody'),
        },
      },
    },
    '/auth/whoami': {
      get: {
        tags: ['api-keys'],
        summary: 'Who a credential speaks for',
        description:
          'Who a bearer credential, an access token or an API key, speaks for: its admin and organization, and for an API key its id and scopes. 401 for a bad, revoked or expired one; 403 `TENANT_SUSPENDED` while the organization is suspended.',
        security: [{ bearer: [] }],
        responses: {
          200: json('who the credential speaks for', 'WhoAmI'),
          401: json('a missing, bad, revoked or expired token or API key', 'ErrorBody'),
          403: json('the organization is suspended (`TENANT_SUSPENDED`)', 'ErrorBody'),
        },
      },
    },
    '/admin/members': {
      get: {
        tags: ['members'],
        summary: "The organization's members",
        description:
          "The organization's members with their roles: its first admin first, then the others as they joined. Any member's token (403 `FORBIDDEN` for an API key).",
        security: [{ bearer: [] }],
        responses: { 200: json('the members, the first admin first', 'MemberList'), ...memberErrors },
      },
    },
    '/admin/members/{member_id}': {
      patch: {
        tags: ['members'],
        summary: "Change a member's role",
        description:
          "Change a member's role: an owner's or admin's token, and only an owner makes an owner or changes an owner's role (403 `FORBIDDEN`). 404 when the organization has no such member; 409 `LAST_OWNER` when it would leave the organization without an owner. 400 for a bad body or a `member_id` that is not one.",
        security: [{ bearer: [] }],
        parameters: [idPath('member_id', "the member's `id` (24 hexadecimal digits)")],
        requestBody: { required: true, content: { 'application/json': { schema: ref('MemberRole') } } },
        responses: {
          200: json('the member, as it is now', 'Member'),
          400: json('a bad body, or not a member id', 'ValidationError'),
          ...memberErrors,
          404: json('the organization has no such member', 'ErrorBody'),
          409: json("the organization's last owner (`LAST_OWNER`)", 'ErrorBody'),
          413: json('body over 64 KiB', 'ErrorBody'),
        },
      },
      delete: {
        tags: ['members'],
        summary: 'Remove a member',
        description:
          "Remove a member: its sessions end and its tokens stop verifying. `removed` is false when the organization has no such member. An owner's or admin's token (only an owner removes an owner); the first admin cannot be removed (403 `FORBIDDEN`; it may be demoted), nor the last owner (409 `LAST_OWNER`). 400 `INVALID_INPUT` on `member_id` for an id that is not one.",
        security: [{ bearer: [] }],
        parameters: [idPath('member_id', "the member's `id` (24 hexadecimal digits)")],
        responses: {
          200: json('whether it was a member of the organization', 'Removed'),
          400: json('not a member id', 'ValidationError'),
          ...memberErrors,
          409: json("the organization's last owner (`LAST_OWNER`)", 'ErrorBody'),
        },
      },
    },
    '/admin/invitations': {
      post: {
        tags: ['members'],
        summary: 'Invite an email into the organization',
        description:
          "Invite an email into the token's organization with a role (an owner's or admin's token; only an owner invites an owner): the token (`tni_...`, for `POST /auth/accept-invitation`) is in this answer only; its digest is stored. It works once, until it expires (7 days unless `expires_at` says otherwise, at most 30) or is revoked. 400 for a bad body, email, role or expiry, or an email that is a member already; 409 when the organization holds 100 pending invitations.",
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('NewInvitation') } } },
        responses: {
          201: json('the invitation: its token, shown this once, and what will be listed of it', 'CreatedInvitation'),
          400: json('a bad body, email, role or expiry, or an email that is a member already', 'ValidationError'),
          ...memberErrors,
          409: json('the organization holds the most pending invitations it may', 'ErrorBody'),
          413: json('body over 64 KiB', 'ErrorBody'),
        },
      },
      get: {
        tags: ['members'],
        summary: "The organization's pending invitations",
        description:
          "The organization's pending invitations (neither accepted, revoked nor expired), oldest first, without their tokens. An owner's or admin's token.",
        security: [{ bearer: [] }],
        responses: { 200: json('the pending invitations, oldest first', 'InvitationList'), ...memberErrors },
      },
    },
    '/admin/invitations/{invitation_id}': {
      delete: {
        tags: ['members'],
        summary: 'Revoke an invitation',
        description:
          "Revoke one of the organization's pending invitations: its token stops working. `revoked` is false when it is no pending invitation of the organization. 400 `INVALID_INPUT` on `invitation_id` for an id that is not one. An owner's or admin's token.",
        security: [{ bearer: [] }],
        parameters: [idPath('invitation_id', "the invitation's `id` (24 hexadecimal digits)")],
        responses: {
          200: json('whether it was a pending invitation of the organization', 'Revoked'),
          400: json('not an invitation id', 'ValidationError'),
          ...memberErrors,
        },
      },
    },
    '/auth/accept-invitation': {
      post: {
        tags: ['members'],
        summary: 'Accept an invitation',
        description:
          "Accept an invitation (no credential: the invitee has no account yet): its email joins the organization with its role and the password given, and logs in like any member (naming the organization in `organization_name` when the email is a member of several). Works once. 401 for an unknown, used, expired or revoked invitation; 400 for a bad body or a weak password; 403 `TENANT_SUSPENDED` while the organization is suspended.",
        requestBody: { required: true, content: { 'application/json': { schema: ref('AcceptInvitation') } } },
        responses: {
          201: json('the new member', 'Member'),
          400: json('a bad body, or a weak password', 'ValidationError'),
          401: json('an unknown, used, expired or revoked invitation', 'ErrorBody'),
          403: json('the organization is suspended (`TENANT_SUSPENDED`)', 'ErrorBody'),
          413: json('body over 64 KiB', 'ErrorBody'),
        },
      },
    },
    '/org/update': {
      put: {
        tags: ['organizations'],
        summary: "Change the admin's email and password, and optionally rename the organization",
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('UpdateOrg') } } },
        responses: { 200: json('the updated organization', 'Org'), ...errors },
      },
    },
    '/org/delete': {
      delete: {
        tags: ['organizations'],
        summary: 'Delete an organization, its collection and its admins',
        security: [{ bearer: [] }],
        parameters: [orgNameQuery],
        responses: { 200: json('deleted', 'Message'), 401: errors[401], 403: errors[403], 409: errors[409] },
      },
    },
    '/admin/move': {
      post: {
        tags: ['operators'],
        summary: "Move an organization's data to another layout and/or cluster, online",
        description:
          'Authorized by the operator token (`OPERATOR_TOKEN`); off without one. The data is copied while in use, then writes are fenced for a short cut-over.',
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('MoveOrg') } } },
        responses: {
          200: json('where the organization is now', 'Placement'),
          400: json('invalid input: no layout or cluster named, or the data is there already', 'ErrorBody'),
          401: json('missing or invalid operator token', 'ErrorBody'),
          403: json('operator calls are off', 'ErrorBody'),
          404: json('no such organization', 'ErrorBody'),
          409: errors[409],
        },
      },
    },
    '/admin/tenants': {
      get: {
        tags: ['operators'],
        summary: 'List organizations, active and softly deleted, a page at a time in creation order',
        description:
          'Authorized by the operator token (`OPERATOR_TOKEN`); off without one. Each parameter is optional and given at most once; read the next page with `after` set to the `next` of this one.',
        security: [{ bearer: [] }],
        parameters: [
          ...listingFilters,
          optionalQuery('limit', 'organizations per page, 1 to 1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 }),
          optionalQuery('after', 'the `next` of the page before'),
        ],
        responses: {
          200: json('one page', 'OrgPage'),
          400: json('a parameter given twice or that does not parse, a bad page size or cursor', 'ValidationError'),
          ...operatorErrors,
        },
      },
    },
    '/admin/tenants/count': {
      get: {
        tags: ['operators'],
        summary: 'Count the organizations matching the listing filters',
        description: 'Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        parameters: listingFilters,
        responses: {
          200: json('how many', 'OrgCount'),
          400: json('a parameter given twice or that does not parse', 'ValidationError'),
          ...operatorErrors,
        },
      },
    },
    '/admin/restore': {
      post: {
        tags: ['operators'],
        summary: 'Bring back a softly deleted organization within its retention',
        description:
          'Deletes are soft while `DELETED_RETENTION_SECONDS` is set: the organization is hidden, its data, admins and name kept until purged. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('OrgName') } } },
        responses: {
          200: json('the organization, active again', 'ListedOrg'),
          400: json('its retention has passed, or a bad body', 'ValidationError'),
          ...operatorErrors,
          404: json('no deleted organization has the name', 'ErrorBody'),
          409: errors[409],
        },
      },
    },
    '/admin/purge': {
      post: {
        tags: ['operators'],
        summary: 'Remove a softly deleted organization now: its data, admins and record',
        description: 'Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('OrgName') } } },
        responses: {
          200: json('purged', 'Message'),
          400: json('a bad body', 'ValidationError'),
          ...operatorErrors,
          404: json('no deleted organization has the name', 'ErrorBody'),
          409: errors[409],
        },
      },
    },
    '/admin/suspend': {
      post: {
        tags: ['operators'],
        summary: 'Suspend an organization',
        description:
          "Suspend an organization: its admins' logins, earlier tokens and token-authorized calls are refused with 403 `TENANT_SUSPENDED` until it is resumed; its data is untouched. Suspending it again records the new reason. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.",
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('SuspendOrg') } } },
        responses: {
          200: json('the organization, suspended', 'ListedOrg'),
          400: json('a bad reason, or a bad body', 'ValidationError'),
          ...operatorErrors,
          404: json('no organization has the name', 'ErrorBody'),
        },
      },
    },
    '/admin/resume': {
      post: {
        tags: ['operators'],
        summary: 'Resume a suspended organization',
        description:
          'Resume a suspended organization: its credentials are accepted again, tokens issued before the suspension too. Resuming one that is not suspended changes nothing. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('OrgName') } } },
        responses: {
          200: json('the organization, resumed', 'ListedOrg'),
          400: json('a bad body', 'ValidationError'),
          ...operatorErrors,
          404: json('no organization has the name', 'ErrorBody'),
        },
      },
    },
    '/admin/audit': {
      get: {
        tags: ['operators'],
        summary: "An organization's audit log, in order",
        description:
          'Every lifecycle and credential event (who, when, what, with which outcome), hash-chained. Authorized by the operator token (`OPERATOR_TOKEN`); off without one. Each parameter is given at most once; read the next page with `after` set to the `next` of this one.',
        security: [{ bearer: [] }],
        parameters: [
          {
            name: 'organization_id',
            in: 'query',
            required: true,
            description: "the organization's id (a purged one's log stays)",
            schema: string,
          },
          optionalQuery('op', 'only entries of this operation'),
          optionalQuery('since', 'RFC 3339: at or after', dateTime),
          optionalQuery('until', 'RFC 3339: before', dateTime),
          optionalQuery('limit', 'entries per page, 1 to 1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 }),
          optionalQuery('after', 'the `next` of the page before', { type: 'integer' }),
        ],
        responses: {
          200: json('one page', 'AuditPageBody'),
          400: json('a parameter missing, given twice or that does not parse, a bad page size', 'ValidationError'),
          ...operatorErrors,
        },
      },
    },
    '/admin/audit/verify': {
      get: {
        tags: ['operators'],
        summary: "Check an organization's audit hash chain",
        description: 'Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        parameters: [
          { name: 'organization_id', in: 'query', required: true, description: "the organization's id", schema: string },
        ],
        responses: {
          200: json('whether the chain is whole, and where it breaks', 'VerificationBody'),
          400: json('a missing or malformed id', 'ValidationError'),
          ...operatorErrors,
        },
      },
    },
    '/admin/export': {
      get: {
        tags: ['operators'],
        summary: 'An organization as one archive',
        description:
          'A stream of BSON records (the record, its admins with their password hashes, every collection with its options, indexes and documents, the audit log) ending with a manifest of counts and checksums. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        parameters: [orgNameQuery],
        responses: {
          200: {
            description: 'the archive',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          400: json('a missing or invalid name', 'ValidationError'),
          ...operatorErrors,
          404: json('no such organization', 'ErrorBody'),
        },
      },
    },
    '/admin/import': {
      post: {
        tags: ['operators'],
        summary: 'Import an organization from an archive of `GET /admin/export`',
        description:
          "The organization stays hidden until its data matches the archive's manifest; a failure leaves nothing behind. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.",
        security: [{ bearer: [] }],
        parameters: [
          optionalQuery('organization_name', "import under this name (the archive's otherwise)"),
          optionalQuery('email', "the admin's email (the archive's otherwise)"),
          optionalQuery('layout', "`collection`, `database` or `shared` (the archive's otherwise)"),
          optionalQuery('cluster', 'a configured cluster'),
        ],
        requestBody: {
          required: true,
          description: 'an archive of `GET /admin/export`',
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          201: json('the imported organization', 'ListedOrg'),
          400: json('a damaged or foreign archive, a bad parameter, a name or email taken', 'ErrorBody'),
          ...operatorErrors,
          413: json('the archive is over 16 MiB (import it with the command line)', 'ErrorBody'),
        },
      },
    },
    '/admin/migrate': {
      post: {
        tags: ['operators'],
        summary: "Apply the declared schema's migrations to every organization",
        description:
          'Apply the migrations of the declared schema (`TENANT_SCHEMA_FILE`) that each active organization lacks, with a ledger per organization: resumable, a failure isolated to its organization. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.',
        security: [{ bearer: [] }],
        parameters: [
          optionalQuery('dry_run', 'say what would run, write nothing', { type: 'boolean' }),
          optionalQuery('parallelism', 'organizations migrated at once (1 to 256; 4)', { type: 'integer', minimum: 1, maximum: 256 }),
          optionalQuery('stop_on_failure', 'start no organization after a failure', { type: 'boolean' }),
        ],
        responses: {
          200: json('what the run did (or would do)', 'MigrateReport'),
          400: json('no schema is declared, or a bad parameter', 'ErrorBody'),
          ...operatorErrors,
        },
      },
    },
    '/health': {
      get: {
        tags: ['health'],
        summary: 'Healthy when the database answers',
        responses: { 200: json('the database answers', 'Health'), 503: json('the database cannot be reached', 'ErrorBody') },
      },
    },
  },
  components: {
    schemas: {
      CreateOrg: {
        type: 'object',
        required: ['organization_name', 'email', 'password'],
        properties: {
          organization_name: { ...string, example: 'Acme Corp' },
          email: { ...string, example: 'admin@acme.com' },
          password: { ...string, example: 'securepassword123' },
          layout: {
            type: ['string', 'null'],
            description: "Extension: the tenant's layout, `collection` (the default), `database` or `shared`.",
            example: 'shared',
          },
          cluster: {
            type: ['string', 'null'],
            description: 'Extension: the cluster to place the tenant on (one of the configured `CLUSTERS`).',
          },
        },
      },
      MoveOrg: {
        type: 'object',
        description: '`POST /admin/move` body (an operator call).',
        required: ['organization_name'],
        properties: {
          organization_name: { ...string, example: 'Acme Corp' },
          layout: {
            type: ['string', 'null'],
            description: 'The layout to move to: `collection`, `database` or `shared`.',
            example: 'database',
          },
          cluster: { type: ['string', 'null'], description: 'The cluster to move to.' },
        },
      },
      Placement: {
        type: 'object',
        description: "Where an organization's data is (the operator calls' answer).",
        required: ['organization_name', 'collection_name', 'database', 'layout', 'cluster'],
        properties: {
          organization_name: string,
          collection_name: string,
          database: string,
          layout: { ...string, example: 'database' },
          cluster: { ...string, example: 'home' },
        },
      },
      OrgName: {
        type: 'object',
        description: '`POST /admin/restore`, `POST /admin/purge` and `POST /admin/resume` body (operator calls).',
        required: ['organization_name'],
        properties: { organization_name: { ...string, example: 'Acme Corp' } },
      },
      SuspendOrg: {
        type: 'object',
        description: '`POST /admin/suspend` body (an operator call).',
        required: ['organization_name'],
        properties: {
          organization_name: { ...string, example: 'Acme Corp' },
          reason: {
            type: ['string', 'null'],
            description: 'Why (one line, at most 500 characters), kept on the record and in the audit log.',
            example: 'unpaid invoice',
          },
        },
      },
      ListedOrg: {
        type: 'object',
        description: 'An organization as the operator calls show it.',
        required: [
          'organization_id',
          'organization_name',
          'admin_email',
          'collection_name',
          'database',
          'layout',
          'cluster',
          'state',
          'created_at',
          'updated_at',
          'deleted_at',
          'purge_after',
          'suspended_at',
          'suspended_reason',
        ],
        properties: {
          organization_id: string,
          organization_name: string,
          admin_email: string,
          collection_name: string,
          database: string,
          layout: { ...string, example: 'collection' },
          cluster: { ...string, example: 'home' },
          state: { ...string, description: '`active` or `deleted` (softly: restorable until `purge_after`).', example: 'active' },
          created_at: dateTime,
          updated_at: dateTime,
          deleted_at: { type: ['string', 'null'], format: 'date-time' },
          purge_after: { type: ['string', 'null'], format: 'date-time' },
          suspended_at: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'Set while the organization is suspended (`POST /admin/suspend`).',
          },
          suspended_reason: { type: ['string', 'null'], description: 'Why, as the operator said.' },
        },
      },
      OrgPage: {
        type: 'object',
        description: '`GET /admin/tenants` answer: one page, in creation order.',
        required: ['tenants', 'next'],
        properties: {
          tenants: { type: 'array', items: ref('ListedOrg') },
          next: { type: ['string', 'null'], description: 'The `after` of the next page; `null` on the last one.' },
        },
      },
      OrgCount: {
        type: 'object',
        description: '`GET /admin/tenants/count` answer.',
        required: ['count'],
        properties: { count: { type: 'integer', minimum: 0 } },
      },
      AuditEntryBody: {
        type: 'object',
        description: 'One audit entry, hash-chained to the one before.',
        required: ['seq', 'at', 'actor', 'op', 'outcome', 'detail', 'prev', 'hash'],
        properties: {
          seq: { type: 'integer', minimum: 1 },
          at: dateTime,
          actor: { ...string, example: 'operator' },
          op: { ...string, example: 'rename' },
          outcome: { ...string, example: 'ok' },
          detail: { type: 'object', description: 'What else is kept, as relaxed Extended JSON.' },
          prev: { ...string, description: 'The hash of the entry before (64 zeros for the first).' },
          hash: string,
        },
      },
      AuditPageBody: {
        type: 'object',
        description: '`GET /admin/audit` answer: entries in order, hash-chained.',
        required: ['entries', 'next'],
        properties: {
          entries: { type: 'array', items: ref('AuditEntryBody') },
          next: { type: ['integer', 'null'], description: 'The `after` of the next page; `null` on the last one.' },
        },
      },
      VerificationBody: {
        type: 'object',
        description: '`GET /admin/audit/verify` answer.',
        required: ['entries', 'intact', 'broken'],
        properties: {
          entries: { type: 'integer', minimum: 0 },
          intact: { type: 'boolean' },
          broken: {
            type: ['object', 'null'],
            description: 'Where the chain breaks, and how; `null` when whole.',
            required: ['seq', 'reason'],
            properties: { seq: { type: 'integer' }, reason: string },
          },
        },
      },
      MigrationFailure: {
        type: 'object',
        description: 'A failed organization of a migration run.',
        required: ['organization_id', 'organization_name', 'migration', 'code', 'message'],
        properties: {
          organization_id: string,
          organization_name: string,
          migration: { ...string, description: 'The migration that failed.' },
          code: { ...string, description: "The error's code." },
          message: string,
        },
      },
      MigrateReport: {
        type: 'object',
        description: '`POST /admin/migrate` answer: what a migration run did.',
        required: ['tenants', 'applied', 'up_to_date', 'not_started', 'failed'],
        properties: {
          tenants: { type: 'integer', minimum: 0, description: 'Organizations looked at.' },
          applied: {
            type: 'integer',
            minimum: 0,
            description: 'Migrations applied (in a dry run: that would be), over every organization.',
          },
          up_to_date: { type: 'integer', minimum: 0, description: 'Organizations that had nothing to apply.' },
          not_started: {
            type: 'integer',
            minimum: 0,
            description: 'Organizations not started (after a failure, with `stop_on_failure`).',
          },
          failed: { type: 'array', items: ref('MigrationFailure') },
        },
      },
      Login: {
        type: 'object',
        required: ['email', 'password'],
        properties: {
          email: { ...string, example: 'admin@acme.com' },
          password: { ...string, example: 'securepassword123' },
          organization_name: {
            type: ['string', 'null'],
            description:
              'Extension: the organization to log into, for an email that is a member of several (without it, such an email logs into the one its password opens, and is refused with 400 on `organization_name` when it opens several).',
            example: 'Acme Corp',
          },
        },
      },
      UpdateOrg: {
        type: 'object',
        required: ['organization_name', 'email', 'password'],
        properties: {
          organization_name: { ...string, example: 'Acme Corp' },
          email: { ...string, example: 'newadmin@acme.com' },
          password: { ...string, example: 'newpassword123' },
          new_organization_name: { type: ['string', 'null'], example: 'Updated Corp Name' },
        },
      },
      Org: {
        type: 'object',
        required: ['organization_name', 'collection_name', 'admin_email', 'created_at', 'updated_at'],
        properties: {
          organization_name: string,
          collection_name: string,
          admin_email: string,
          created_at: dateTime,
          updated_at: dateTime,
        },
      },
      LoginOut: {
        type: 'object',
        required: ['access_token', 'token_type', 'admin_id', 'organization_id', 'organization_name'],
        properties: {
          access_token: string,
          token_type: { ...string, example: 'bearer' },
          admin_id: string,
          organization_id: string,
          organization_name: string,
        },
      },
      Refresh: {
        type: 'object',
        description: '`POST /auth/refresh` body.',
        required: ['refresh_token'],
        properties: {
          refresh_token: {
            ...string,
            description: 'The refresh token of the last answer of `POST /auth/login` or `POST /auth/refresh`.',
          },
        },
      },
      Logout: {
        type: 'object',
        description: '`POST /auth/logout` body.',
        required: ['session_id'],
        properties: {
          session_id: {
            ...string,
            description: "A `session_id` of `GET /auth/sessions` (or of a login's answer).",
            example: '6650f1c2a4b5c6d7e8f90123',
          },
        },
      },
      SessionOut: {
        type: 'object',
        description: '`POST /auth/login` and `POST /auth/refresh` answer.',
        required: [
          'access_token',
          'token_type',
          'expires_in',
          'refresh_token',
          'session_id',
          'session_expires_at',
          'admin_id',
          'organization_id',
          'organization_name',
        ],
        properties: {
          access_token: { ...string, description: 'A short access token, for `Authorization: Bearer`.' },
          token_type: { ...string, example: 'bearer' },
          expires_in: { type: 'integer', description: 'Seconds until the access token expires.', example: 900 },
          refresh_token: { ...string, description: 'Renews the access token at `POST /auth/refresh`; works once.' },
          session_id: string,
          session_expires_at: { ...dateTime, description: 'When the session ends, whatever its refreshes.' },
          admin_id: string,
          organization_id: string,
          organization_name: string,
        },
      },
      SessionItem: {
        type: 'object',
        description: 'One open session.',
        required: ['session_id', 'created_at', 'refreshed_at', 'expires_at', 'client'],
        properties: {
          session_id: string,
          created_at: { ...dateTime, description: 'When its login was.' },
          refreshed_at: { ...dateTime, description: 'When it was last refreshed (its login\'s time if never).' },
          expires_at: { ...dateTime, description: 'When it ends, whatever its refreshes.' },
          client: { type: ['string', 'null'], description: 'The client address of its login.' },
        },
      },
      SessionList: {
        type: 'object',
        description: "`GET /auth/sessions` answer: the admin's open sessions, newest first.",
        required: ['sessions'],
        properties: { sessions: { type: 'array', items: ref('SessionItem') } },
      },
      Ended: {
        type: 'object',
        description: '`POST /auth/logout` answer: whether an open session of the admin had the id.',
        required: ['ended'],
        properties: { ended: { type: 'boolean' } },
      },
      EndedCount: {
        type: 'object',
        description: '`POST /auth/logout-all` answer: how many sessions were open.',
        required: ['ended'],
        properties: { ended: { type: 'integer', minimum: 0 } },
      },
      Jwk: {
        type: 'object',
        description: 'One published key (RFC 7517, an Ed25519 public key).',
        required: ['kty', 'crv', 'x', 'kid', 'alg', 'use'],
        properties: {
          kty: { ...string, example: 'OKP' },
          crv: { ...string, example: 'Ed25519' },
          x: { ...string, description: 'The public key, base64url.' },
          kid: { ...string, description: 'The `kid` of the tokens it verifies.' },
          alg: { ...string, example: 'EdDSA' },
          use: { ...string, example: 'sig' },
        },
      },
      Jwks: {
        type: 'object',
        description: '`GET /.well-known/jwks.json` answer: empty with an HMAC algorithm.',
        required: ['keys'],
        properties: { keys: { type: 'array', items: ref('Jwk') } },
      },
      SigningKey: {
        type: 'object',
        description: 'A signing key as an operator sees it.',
        required: ['kid', 'alg', 'created_at', 'activates_at', 'retires_at', 'verifies_until'],
        properties: {
          kid: string,
          alg: { ...string, example: 'EdDSA' },
          created_at: { ...dateTime, description: 'When it was made and published.' },
          activates_at: { ...dateTime, description: 'When it starts signing.' },
          retires_at: {
            type: ['string', 'null'],
            format: 'date-time',
            description: "When it stops signing (the next key's activation); `null` while it is the newest.",
          },
          verifies_until: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'When its tokens stop verifying and it is unpublished; `null` while it is the newest.',
          },
        },
      },
      SigningKeyList: {
        type: 'object',
        description: '`GET /admin/keys` answer: the timeline, oldest first.',
        required: ['keys'],
        properties: { keys: { type: 'array', items: ref('SigningKey') } },
      },
      NewApiKey: {
        type: 'object',
        description: '`POST /admin/api-keys` body (read by the core, as by every server).',
        required: ['name', 'scopes'],
        properties: {
          name: { ...string, description: 'For people: 1 to 100 characters.', example: 'ci deploys' },
          scopes: {
            type: 'array',
            items: string,
            description: "1 to 32 scopes, each 1 to 64 of `A-Z a-z 0-9 : . _ -`; what they allow is the application's.",
            example: ['orders:read', 'orders:write'],
          },
          expires_at: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'When the key stops verifying (RFC 3339, in the future); never when left out or null.',
            example: '2030-01-01T00:00:00Z',
          },
        },
      },
      ApiKeyEntry: {
        type: 'object',
        description: "An organization's API key as listed: never its secret.",
        required: ['id', 'prefix', 'name', 'scopes', 'created_by', 'created_at', 'expires_at', 'last_used_at'],
        properties: apiKeyProperties(),
      },
      CreatedApiKey: {
        type: 'object',
        description: '`POST /admin/api-keys` answer: the key as it will be listed, and the key itself, shown this once.',
        required: ['key', 'id', 'prefix', 'name', 'scopes', 'created_by', 'created_at', 'expires_at', 'last_used_at'],
        properties: {
          key: {
            ...string,
            description: 'The key, `tnk_<id>_<secret>`, for `Authorization: Bearer <key>`: only its digest is stored, it cannot be shown again.',
          },
          ...apiKeyProperties(),
        },
      },
      ApiKeyList: {
        type: 'object',
        description: "`GET /admin/api-keys` answer: the organization's keys that are not revoked (expired ones included), oldest first.",
        required: ['api_keys'],
        properties: { api_keys: { type: 'array', items: ref('ApiKeyEntry') } },
      },
      Revoked: {
        type: 'object',
        description:
          '`DELETE /admin/api-keys/{key_id}` and `DELETE /admin/invitations/{invitation_id}` answer: whether it was a live key (a pending invitation) of the organization.',
        required: ['revoked'],
        properties: { revoked: { type: 'boolean' } },
      },
      WhoAmI: {
        type: 'object',
        description: '`GET /auth/whoami` answer: who a credential speaks for.',
        required: ['admin_id', 'organization_id', 'organization_name', 'api_key_id', 'scopes', 'role', 'expires_at'],
        properties: {
          admin_id: { ...string, description: 'The admin (for an API key: the admin who made it).' },
          organization_id: string,
          organization_name: string,
          api_key_id: { type: ['string', 'null'], description: "The API key's id; `null` for an access token." },
          scopes: {
            type: ['array', 'null'],
            items: string,
            description: "The API key's scopes; `null` for an access token (which may do all its admin may).",
          },
          role: {
            type: ['string', 'null'],
            enum: ['owner', 'admin', 'member', null],
            description: "The member's role; `null` for an API key.",
          },
          expires_at: {
            ...dateTime,
            description: 'When the credential expires (far in the future for an API key that never does).',
          },
        },
      },
      Member: {
        type: 'object',
        description: 'A member of the organization.',
        required: ['id', 'email', 'role', 'first_admin', 'created_at'],
        properties: {
          id: { ...string, description: "The member's id, for `PATCH` and `DELETE /admin/members/{member_id}`." },
          email: string,
          role,
          first_admin: {
            type: 'boolean',
            description: "Whether it is the organization's first admin (it cannot be removed, only demoted).",
          },
          created_at: { ...dateTime, description: 'When it joined.' },
        },
      },
      MemberList: {
        type: 'object',
        description: "`GET /admin/members` answer: the organization's members, the first admin first.",
        required: ['members'],
        properties: { members: { type: 'array', items: ref('Member') } },
      },
      MemberRole: {
        type: 'object',
        description: '`PATCH /admin/members/{member_id}` body (read by the core, as by every server).',
        required: ['role'],
        properties: { role: { ...role, example: 'admin' } },
      },
      Removed: {
        type: 'object',
        description: '`DELETE /admin/members/{member_id}` answer: whether it was a member of the organization.',
        required: ['removed'],
        properties: { removed: { type: 'boolean' } },
      },
      NewInvitation: {
        type: 'object',
        description: '`POST /admin/invitations` body (read by the core, as by every server).',
        required: ['email', 'role'],
        properties: {
          email: { ...string, example: 'colleague@acme.com' },
          role: { ...role, example: 'member' },
          expires_at: {
            type: ['string', 'null'],
            format: 'date-time',
            description:
              'When the invitation stops working (RFC 3339, in the future, at most 30 days away); 7 days from now when left out or null.',
            example: '2030-01-01T00:00:00Z',
          },
        },
      },
      Invitation: {
        type: 'object',
        description: 'A pending invitation as listed: never its token.',
        required: ['id', 'prefix', 'email', 'role', 'invited_by', 'created_at', 'expires_at'],
        properties: invitationProperties(),
      },
      CreatedInvitation: {
        type: 'object',
        description:
          '`POST /admin/invitations` answer: the invitation as it will be listed, and its token, shown this once.',
        required: ['token', 'id', 'prefix', 'email', 'role', 'invited_by', 'created_at', 'expires_at'],
        properties: {
          token: {
            ...string,
            description:
              'The token, `tni_<id>_<secret>`, for `POST /auth/accept-invitation`: only its digest is stored, it cannot be shown again.',
          },
          ...invitationProperties(),
        },
      },
      InvitationList: {
        type: 'object',
        description: "`GET /admin/invitations` answer: the organization's pending invitations, oldest first.",
        required: ['invitations'],
        properties: { invitations: { type: 'array', items: ref('Invitation') } },
      },
      AcceptInvitation: {
        type: 'object',
        description: '`POST /auth/accept-invitation` body (read by the core, as by every server).',
        required: ['token', 'password'],
        properties: {
          token: { ...string, description: 'The invitation\'s token, `tni_<id>_<secret>`.' },
          password: { ...string, description: "The new member's password.", example: 'securepassword123' },
        },
      },
      Message: { type: 'object', required: ['message'], properties: { message: string } },
      Health: { type: 'object', required: ['status'], properties: { status: { ...string, example: 'healthy' } } },
      ErrorBody: {
        type: 'object',
        description: 'Every error: `detail` for people, `code` (stable) for programs.',
        required: ['detail', 'code'],
        properties: { detail: string, code: string, field: string },
      },
      ValidationError: {
        type: 'object',
        required: ['detail', 'code', 'message', 'errors'],
        properties: {
          detail: { ...string, example: 'Validation error' },
          code: { ...string, example: 'INVALID_INPUT' },
          message: string,
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['field', 'message', 'type'],
              properties: { field: string, message: string, type: string },
            },
          },
        },
      },
    },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
}
