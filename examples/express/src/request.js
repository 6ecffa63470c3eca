// @ts-check
// The request bodies of the contract: their string fields, checked by the core (through
// `jsonBody` of `tenantry/express`) as the Rust and FastAPI servers have them checked.

import { acceptInvitationBody, jsonBody, memberRoleBody, newApiKeyBody, newInvitationBody } from 'tenantry/express'

/** Largest accepted request body. */
export const BODY_LIMIT = 64 * 1024

/** Largest archive `POST /admin/import` takes (larger ones: the command line). */
export const IMPORT_LIMIT = 16 * 1024 * 1024

/** `POST /org/create` (`layout` and `cluster`: extensions, optional). */
export const createBody = jsonBody(
  ['organization_name', 'email', 'password', { name: 'layout', optional: true }, { name: 'cluster', optional: true }],
  { limit: BODY_LIMIT },
)

/**
 * `POST /admin/login` and `POST /auth/login` (`organization_name`: an extension, optional,
 * for an email that is a member of several organizations).
 */
export const loginBody = jsonBody(['email', 'password', { name: 'organization_name', optional: true }], {
  limit: BODY_LIMIT,
})

/** `POST /auth/refresh`. */
export const refreshBody = jsonBody(['refresh_token'], { limit: BODY_LIMIT })

/** `POST /auth/logout` (`session_id` is read by the core). */
export const logoutBody = jsonBody(['session_id'], { limit: BODY_LIMIT })

/** `PUT /org/update`. */
export const updateBody = jsonBody(
  ['organization_name', 'email', 'password', { name: 'new_organization_name', optional: true }],
  { limit: BODY_LIMIT },
)

/** `POST /admin/move` (an operator call). */
export const moveBody = jsonBody(
  ['organization_name', { name: 'layout', optional: true }, { name: 'cluster', optional: true }],
  { limit: BODY_LIMIT },
)

/** `POST /admin/restore`, `POST /admin/purge` and `POST /admin/resume` (operator calls). */
export const orgNameBody = jsonBody(['organization_name'], { limit: BODY_LIMIT })

/** `POST /admin/suspend` (an operator call; `reason` is checked by the core). */
export const suspendBody = jsonBody(['organization_name', { name: 'reason', optional: true }], { limit: BODY_LIMIT })

/**
 * `POST /admin/api-keys`: `name`, `scopes` (an array of strings) and an optional
 * `expires_at` (RFC 3339), read by the core into the key for `createApiKey`.
 */
export const apiKeyRequest = newApiKeyBody({ limit: BODY_LIMIT })

/** `PATCH /admin/members/{member_id}`: `role`, read by the core into the role for `setMemberRole`. */
export const memberRoleRequest = memberRoleBody({ limit: BODY_LIMIT })

/**
 * `POST /admin/invitations`: `email`, `role` and an optional `expires_at` (RFC 3339), read
 * by the core into the invitation for `inviteMember`.
 */
export const invitationRequest = newInvitationBody({ limit: BODY_LIMIT })

/** `POST /auth/accept-invitation`: `token` and `password`, read by the core. */
export const acceptInvitationRequest = acceptInvitationBody({ limit: BODY_LIMIT })
