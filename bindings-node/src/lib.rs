//! Node.js binding of `tenantry`: a Promise/TypeScript API over the Rust core, built with
//! napi-rs.
//!
//! Each file mirrors a core module and only converts types: `manager.rs` (the
//! `TenantManager` class), `types.rs` (results, and the listing query), `scope.rs` (a collection's location and
//! the shared layout's confinement), `moves.rs` (a move's target and its progress reports,
//! handed to a JS callback), `audit.rs` (the audit log's entries, query and verification),
//! `archive.rs` (export and import: manifest, options, progress, archive files),
//! `sessions.rs` (a login's access and refresh tokens, an admin's open sessions),
//! `signing.rs` (the keys that sign access tokens, as an operator sees them),
//! `api_keys.rs` (a tenant's API keys for machine clients: made, listed, never a secret),
//! `members.rs` (a tenant's members and their roles, invitations: made, listed, accepted),
//! `config.rs` (options to the core's `Settings`), `schema.rs` (the per-tenant schema's
//! declaration, migrations written in JavaScript, a migration run's options and report),
//! `error.rs` (core errors to JS `Error`s with the core's details), `http.rs` (the core's
//! HTTP error table and bodies). Parsing, validation and policy stay in core; the
//! package's JavaScript layer (`index.js`, `confined.js`, `express.js`) adds the error
//! classes, the caller's stack, `Symbol.asyncDispose`, the shared layout's collection
//! wrapper and the Express glue.
//!
//! Futures run on napi's tokio runtime; bcrypt runs on the core's hashing threads,
//! so no call ever blocks the Node event loop.

#![deny(clippy::all)]

mod api_keys;
mod archive;
mod audit;
mod config;
mod error;
mod http;
mod manager;
mod members;
mod moves;
mod schema;
mod scope;
mod sessions;
mod signing;
mod types;

// What JavaScript sees (the `#[napi]` items register themselves with the addon).
pub use api_keys::{
    ApiKey, ApiKeyInfo, ApiKeyOutcome, ApiKeysOutcome, CoreApiKey, CoreApiKeyInfo, CoreApiKeys,
    NewApiKey,
};
pub use archive::{
    ArchiveManifest, ArchiveProgress, ArchiveProgressCallback, ArchivedCollection, ImportOptions,
    ImportedTenant,
};
pub use audit::{AuditBreak, AuditEntry, AuditPage, AuditQuery, AuditVerification};
pub use config::settings_fields;
pub use error::{error_codes, error_sample};
pub use http::{
    accepted_invitation, api_key_body, api_keys_body, audit_page_body, audit_query, audit_tenant,
    claims_body, created_api_key_body, created_invitation_body, import_options, invitation_body,
    invitations_body, json_object, member_body, member_role, members_body, method_not_allowed,
    migrate_options, new_api_key, new_invitation, page_body, query_param, response, session_body,
    sessions_body, signing_key_body, signing_keys_body, tenant_body, tenant_query,
    validation_response, verification_body, AcceptedInvitation, AuditRequest, BodyField,
    CheckedAcceptedInvitation, CheckedAuditQuery, CheckedBody, CheckedImportOptions,
    CheckedMemberRole, CheckedMigrateOptions, CheckedNewApiKey, CheckedNewInvitation, CheckedParam,
    CheckedTenantId, CheckedTenantQuery, HttpProblem, HttpResponse,
};
pub use manager::TenantManager;
pub use members::{
    roles, CoreInvitation, CoreInvitationInfo, CoreInvitations, CoreMember, CoreMembers,
    Invitation, InvitationInfo, InvitationOutcome, InvitationsOutcome, Member, MemberOutcome,
    MembersOutcome, NewInvitation,
};
pub use moves::{JsCallback, MoveProgress, MoveTarget, ProgressCallback};
pub use schema::{
    MigrateOptions, MigrateOutcome, MigrateProgressCallback, MigrateReport, MigrationCallback,
    MigrationError, MigrationFailure, MigrationScope,
};
pub use scope::{Confinement, Location};
pub use sessions::{
    CoreSession, CoreSessions, Session, SessionInfo, SessionOutcome, SessionsOutcome,
};
pub use signing::{
    CoreSigningKey, CoreSigningKeys, SigningKeyInfo, SigningKeyOutcome, SigningKeysOutcome,
};
pub use types::{
    core_fields, layouts, tenant_states, AccessToken, Claims, ClaimsObject, DateValue,
    RecoveryFailure, RecoveryReport, Tenant, TenantCollection, TenantOptions, TenantPage,
    TenantQuery, TenantUpdate,
};
