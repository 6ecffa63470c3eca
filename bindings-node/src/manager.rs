//! The native `TenantManager` class: the core's `TenantManager`, method for method,
//! camelCase. The package's `index.js` wraps it (error classes, the caller's stack,
//! `Symbol.asyncDispose`) and `index.d.ts` documents that API; the comments here are short.
//!
//! Every asynchronous method returns a `Promise` settled on napi's tokio runtime (see
//! `error::promise` for why these are not plain `#[napi] async fn`s). Arguments are copied
//! into the future before it starts, so the caller may reuse or drop them at once.

use napi::bindgen_prelude::Buffer;
use napi::Env;
use napi_derive::napi;
use tenantry::mongodb::bson::Document;

use serde_json::{Map, Value};

use crate::api_keys::{ApiKeyOutcome, ApiKeysOutcome, NewApiKey};
use crate::archive::{
    self, ArchiveFile, ArchiveManifest, ArchiveProgressCallback, ImportOptions, ImportedTenant,
    Reports,
};
use crate::audit::{self, AuditPage, AuditQuery, AuditVerification};
use crate::config::{camel_error, settings, to_object};
use crate::error::{promise, to_js_error, Later};
use crate::members::{
    InvitationOutcome, InvitationsOutcome, MemberOutcome, MembersOutcome, NewInvitation,
};
use crate::moves::{Listener, MoveTarget, ProgressCallback};
use crate::schema::{
    self, MigrateOptions, MigrateOutcome, MigrateProgressCallback, MigrationCallback,
};
use crate::scope::Location;
use crate::sessions::{SessionOutcome, SessionsOutcome};
use crate::signing::{SigningKeyOutcome, SigningKeysOutcome};
use crate::types::{
    AccessToken, Claims, RecoveryReport, Tenant, TenantCollection, TenantOptions, TenantPage,
    TenantQuery, TenantUpdate,
};

/// Creates, finds, updates, renames and deletes tenants, and authenticates their admins.
///
/// Get one with `TenantManager.connect(options)` or `TenantManager.fromEnv()` and share it:
/// it holds the MongoDB connection pool.
#[napi]
pub struct TenantManager {
    inner: tenantry::TenantManager,
}

#[napi]
impl TenantManager {
    /// Connect with the given options (the core's settings, camelCase; those left out take the
    /// core's defaults), create the indexes the invariants rest on, and adopt records written
    /// by the original service.
    #[napi(ts_return_type = "TenantManager | Promise<TenantManager>")]
    pub fn connect(
        env: &Env,
        options: Option<Map<String, Value>>,
    ) -> napi::Result<Later<'_, TenantManager>> {
        let config = settings(options).and_then(|s| s.into_config().map_err(camel_error));
        promise(
            env,
            async move {
                let connected = tenantry::TenantManager::connect(config?).await;
                connected.map_err(camel_error)
            },
            |inner| TenantManager { inner },
        )
    }

    /// Like `connect`, configured from the environment (`MONGO_URI`, `JWT_SECRET`, ...), the
    /// given options taking precedence.
    #[napi(ts_return_type = "TenantManager | Promise<TenantManager>")]
    pub fn from_env(
        env: &Env,
        overrides: Option<Map<String, Value>>,
    ) -> napi::Result<Later<'_, TenantManager>> {
        // Read now, on the JS thread: `process.env` changes made by JS before this call are
        // visible to the process environment, and later ones must not race the read.
        let config = settings(overrides)
            .and_then(|s| tenantry::Config::from_env_with(s).map_err(camel_error));
        promise(
            env,
            async move {
                let connected = tenantry::TenantManager::connect(config?).await;
                connected.map_err(camel_error)
            },
            |inner| TenantManager { inner },
        )
    }

    /// The options in force after defaults (the JWT secret left out): what an application
    /// building its own driver client needs (`mongoUri`, `masterDb`).
    #[napi(getter)]
    pub fn settings(&self) -> Map<String, Value> {
        to_object(&self.inner.config().settings())
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The master database in use.
    #[napi(getter)]
    pub fn master_db(&self) -> String {
        self.inner.config().master_db.clone()
    }

    /// Create a tenant: its record, its admin user and its own collection, all or nothing;
    /// `options` choose its layout, naming and cluster (the configured defaults otherwise).
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn create_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
        email: String,
        password: String,
        options: Option<TenantOptions>,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        let options = options.map_or_else(|| Ok(tenantry::TenantOptions::new()), TryInto::try_into);
        promise(
            env,
            async move {
                manager
                    .create_tenant_with(&name, &email, &password, options?)
                    .await
            },
            Tenant::from,
        )
    }

    /// Find a tenant by name (any spelling with the same normalized key).
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn get_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.get_tenant(&name).await },
            Tenant::from,
        )
    }

    /// Change the claims' admin's email and/or password, and/or rename the claims' tenant (its
    /// collection moves with all its data).
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn update_tenant<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        update: TenantUpdate,
    ) -> napi::Result<Later<'env, Tenant>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let update = tenantry::TenantUpdate::from(update);
        promise(
            env,
            async move { manager.update_tenant(&claims, update).await },
            Tenant::from,
        )
    }

    /// Rename the claims' tenant, moving its collection with all its data.
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn rename_tenant<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        new_name: String,
    ) -> napi::Result<Later<'env, Tenant>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.rename_tenant(&claims, &new_name).await },
            Tenant::from,
        )
    }

    /// Delete the claims' tenant: its collection, its admin users and its record; softly
    /// (hidden, kept until purged) when `deletedRetentionSeconds` is set.
    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn delete_tenant<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, ()>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.delete_tenant(&claims).await },
            |()| (),
        )
    }

    /// Bring back the softly deleted tenant named `name` within its retention. An
    /// administration call: no token is checked, so only trusted code may call it.
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn restore_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.restore_tenant(&name).await },
            Tenant::from,
        )
    }

    /// Suspend the tenant named `name`: its admins' logins, earlier tokens and scopes are
    /// refused with `TENANT_SUSPENDED` until it is resumed; its data is untouched. An
    /// administration call: no token is checked, so only trusted code may call it.
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn suspend_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
        reason: Option<String>,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.suspend_tenant(&name, reason.as_deref()).await },
            Tenant::from,
        )
    }

    /// Lift the suspension of the tenant named `name` (nothing changes if it is not
    /// suspended). An administration call: no token is checked, so only trusted code may
    /// call it.
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn resume_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.resume_tenant(&name).await },
            Tenant::from,
        )
    }

    /// Remove the softly deleted tenant named `name` now, whatever its retention. An
    /// administration call: no token is checked, so only trusted code may call it.
    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn purge_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<Later<'env, ()>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.purge_tenant(&name).await },
            |()| (),
        )
    }

    /// Purge every softly deleted tenant whose retention has passed; how many.
    #[napi(ts_return_type = "number | Promise<number>")]
    pub fn purge_expired<'env>(&self, env: &'env Env) -> napi::Result<Later<'env, u32>> {
        let manager = self.inner.clone();
        promise(env, async move { manager.purge_expired().await }, |n| {
            u32::try_from(n).unwrap_or(u32::MAX)
        })
    }

    /// One page of the tenants matching `query` (active and softly deleted ones), in
    /// creation order. An administration call: no token is checked.
    #[napi(ts_return_type = "TenantPage | Promise<TenantPage>")]
    pub fn list_tenants<'env>(
        &self,
        env: &'env Env,
        query: Option<TenantQuery>,
    ) -> napi::Result<Later<'env, TenantPage>> {
        let manager = self.inner.clone();
        let query = query.map_or_else(|| Ok(tenantry::TenantQuery::new()), TryInto::try_into);
        promise(
            env,
            async move { manager.list_tenants(&query?).await },
            TenantPage::from,
        )
    }

    /// How many tenants match `query` (its `limit` and `after` aside). An administration
    /// call: no token is checked.
    #[napi(ts_return_type = "number | Promise<number>")]
    pub fn count_tenants<'env>(
        &self,
        env: &'env Env,
        query: Option<TenantQuery>,
    ) -> napi::Result<Later<'env, f64>> {
        let manager = self.inner.clone();
        let query = query.map_or_else(|| Ok(tenantry::TenantQuery::new()), TryInto::try_into);
        promise(
            env,
            async move { manager.count_tenants(&query?).await },
            // Exact as a JS number up to 2^53 tenants.
            |n| n as f64,
        )
    }

    /// Throws `FORBIDDEN` unless `name` (any spelling) is the claims' tenant's: for APIs that
    /// name the tenant they act on.
    #[napi]
    pub fn check_tenant_name(&self, env: &Env, claims: &Claims, name: String) -> napi::Result<()> {
        self.inner
            .check_tenant_name(&claims.inner, &name)
            .map_err(|err| to_js_error(env, err))
    }

    /// Log an admin in and issue an access token; into the tenant named
    /// `organizationName` when given (an email may be a member of several tenants).
    #[napi(ts_return_type = "AccessToken | Promise<AccessToken>")]
    pub fn authenticate<'env>(
        &self,
        env: &'env Env,
        email: String,
        password: String,
        client: Option<String>,
        organization_name: Option<String>,
    ) -> napi::Result<Later<'env, AccessToken>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move {
                let client = client.as_deref();
                match organization_name {
                    Some(tenant) => {
                        manager
                            .authenticate_in(&tenant, &email, &password, client)
                            .await
                    }
                    None => manager.authenticate_from(&email, &password, client).await,
                }
            },
            AccessToken::from,
        )
    }

    /// Check a token's signature, algorithm and expiry, then that it has not been revoked
    /// (password changed, admin or tenant deleted).
    #[napi(ts_return_type = "Claims | Promise<Claims>")]
    pub fn verify_token<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> napi::Result<Later<'env, Claims>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.verify_token(&token).await },
            Claims::from,
        )
    }

    /// Log an admin in as `authenticate` does (throttled, audited; into the tenant named
    /// `organizationName` when given) and open a session: a short access token and a
    /// refresh token that renews it.
    #[napi(ts_return_type = "SessionOutcome | Promise<SessionOutcome>")]
    pub fn login_session<'env>(
        &self,
        env: &'env Env,
        email: String,
        password: String,
        client: Option<String>,
        organization_name: Option<String>,
    ) -> napi::Result<Later<'env, SessionOutcome>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move {
                let client = client.as_deref();
                match organization_name {
                    Some(tenant) => {
                        manager
                            .login_session_in(&tenant, &email, &password, client)
                            .await
                    }
                    None => manager.login_session(&email, &password, client).await,
                }
            },
            SessionOutcome::from,
        )
    }

    /// Renew a session: the next access and refresh tokens; the one presented is used up,
    /// and presenting it again ends the session.
    #[napi(ts_return_type = "SessionOutcome | Promise<SessionOutcome>")]
    pub fn refresh_session<'env>(
        &self,
        env: &'env Env,
        refresh_token: String,
    ) -> napi::Result<Later<'env, SessionOutcome>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.refresh_session(&refresh_token).await },
            SessionOutcome::from,
        )
    }

    /// The open sessions of the claims' admin, newest first.
    #[napi(ts_return_type = "SessionsOutcome | Promise<SessionsOutcome>")]
    pub fn sessions<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, SessionsOutcome>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.sessions(&claims).await },
            SessionsOutcome::from,
        )
    }

    /// End the session with id `sessionId` of the claims' admin; whether it was open.
    /// `INVALID_INPUT` (`sessionId`) for a text that is not a session id.
    #[napi(ts_return_type = "boolean | Promise<boolean>")]
    pub fn end_session<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        session_id: String,
    ) -> napi::Result<Later<'env, bool>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let session = tenantry::http::session_id(&session_id);
        promise(
            env,
            async move { manager.end_session(&claims, session?).await },
            |ended| ended,
        )
    }

    /// Log out everywhere: end every session of the claims' admin and revoke its access
    /// tokens; how many sessions were open.
    #[napi(ts_return_type = "number | Promise<number>")]
    pub fn end_all_sessions<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, f64>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.end_all_sessions(&claims).await },
            |n| n as f64,
        )
    }

    /// Make an API key for the claims' tenant (an admin's token only: `FORBIDDEN` for an
    /// API key's claims); checked by the core (`INVALID_INPUT` on `apiKeyName`, `scopes`,
    /// `expiresAt`; `CONFLICT` past the most keys a tenant holds).
    #[napi(ts_return_type = "ApiKeyOutcome | Promise<ApiKeyOutcome>")]
    pub fn create_api_key<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        key: NewApiKey,
    ) -> napi::Result<Later<'env, ApiKeyOutcome>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let key = tenantry::NewApiKey::try_from(key);
        promise(
            env,
            async move { manager.create_api_key(&claims, key?).await },
            ApiKeyOutcome::from,
        )
    }

    /// The claims' tenant's API keys that are not revoked (expired ones included), oldest
    /// first, without their secrets.
    #[napi(ts_return_type = "ApiKeysOutcome | Promise<ApiKeysOutcome>")]
    pub fn api_keys<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, ApiKeysOutcome>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.api_keys(&claims).await },
            ApiKeysOutcome::from,
        )
    }

    /// Revoke the claims' tenant's API key `keyId`; whether it was one of its live keys.
    /// `INVALID_INPUT` (`keyId`) for a text that is not a key id.
    #[napi(ts_return_type = "boolean | Promise<boolean>")]
    pub fn revoke_api_key<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        key_id: String,
    ) -> napi::Result<Later<'env, bool>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let key = tenantry::http::api_key_id(&key_id);
        promise(
            env,
            async move { manager.revoke_api_key(&claims, key?).await },
            |revoked| revoked,
        )
    }

    /// The members of the claims' tenant (any member's token), the first admin first.
    #[napi(ts_return_type = "MembersOutcome | Promise<MembersOutcome>")]
    pub fn members<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, MembersOutcome>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.members(&claims).await },
            MembersOutcome::from,
        )
    }

    /// Change the role of the claims' tenant's member `memberId`; `null` when the tenant
    /// has no such member. `INVALID_INPUT` (`memberId`) for a text that is not a member id,
    /// (`role`) for a role that is not one; `LAST_OWNER` for the last owner's demotion.
    #[napi(
        ts_args_type = "claims: Claims, memberId: string, role: 'owner' | 'admin' | 'member'",
        ts_return_type = "MemberOutcome | null | Promise<MemberOutcome | null>"
    )]
    pub fn set_member_role<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        member_id: String,
        role: String,
    ) -> napi::Result<Later<'env, Option<MemberOutcome>>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let member = tenantry::http::member_id(&member_id);
        let role = role.parse::<tenantry::Role>();
        promise(
            env,
            async move { manager.set_member_role(&claims, member?, role?).await },
            |member| member.map(MemberOutcome::from),
        )
    }

    /// Remove the claims' tenant's member `memberId`; whether it was one. `INVALID_INPUT`
    /// (`memberId`) for a text that is not a member id.
    #[napi(ts_return_type = "boolean | Promise<boolean>")]
    pub fn remove_member<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        member_id: String,
    ) -> napi::Result<Later<'env, bool>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let member = tenantry::http::member_id(&member_id);
        promise(
            env,
            async move { manager.remove_member(&claims, member?).await },
            |removed| removed,
        )
    }

    /// Invite an email into the claims' tenant with a role; checked by the core
    /// (`INVALID_INPUT` on `email`, `role`, `expiresAt`).
    #[napi(ts_return_type = "InvitationOutcome | Promise<InvitationOutcome>")]
    pub fn invite_member<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        invitation: NewInvitation,
    ) -> napi::Result<Later<'env, InvitationOutcome>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let invitation = tenantry::NewInvitation::try_from(invitation);
        promise(
            env,
            async move { manager.invite_member(&claims, invitation?).await },
            InvitationOutcome::from,
        )
    }

    /// The claims' tenant's pending invitations, oldest first, without their tokens.
    #[napi(ts_return_type = "InvitationsOutcome | Promise<InvitationsOutcome>")]
    pub fn invitations<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, InvitationsOutcome>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.invitations(&claims).await },
            InvitationsOutcome::from,
        )
    }

    /// Revoke the claims' tenant's pending invitation `invitationId`; whether there was
    /// one. `INVALID_INPUT` (`invitationId`) for a text that is not an invitation id.
    #[napi(ts_return_type = "boolean | Promise<boolean>")]
    pub fn revoke_invitation<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        invitation_id: String,
    ) -> napi::Result<Later<'env, bool>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let invitation = tenantry::http::invitation_id(&invitation_id);
        promise(
            env,
            async move { manager.revoke_invitation(&claims, invitation?).await },
            |revoked| revoked,
        )
    }

    /// Accept an invitation: its email joins its tenant with its role and `password`.
    /// `UNAUTHORIZED` for an unknown, used, expired or revoked invitation.
    #[napi(ts_return_type = "MemberOutcome | Promise<MemberOutcome>")]
    pub fn accept_invitation<'env>(
        &self,
        env: &'env Env,
        token: String,
        password: String,
    ) -> napi::Result<Later<'env, MemberOutcome>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.accept_invitation(&token, &password).await },
            MemberOutcome::from,
        )
    }

    /// The claims of an API key (`tnk_...`), with its id and scopes: its secret checked,
    /// the key live, its tenant there and not suspended.
    #[napi(ts_return_type = "Claims | Promise<Claims>")]
    pub fn verify_api_key<'env>(
        &self,
        env: &'env Env,
        key: String,
    ) -> napi::Result<Later<'env, Claims>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.verify_api_key(&key).await },
            Claims::from,
        )
    }

    /// The claims of a bearer credential of either kind: an API key (it begins with
    /// `tnk_`) or an access token.
    #[napi(ts_return_type = "Claims | Promise<Claims>")]
    pub fn verify_credential<'env>(
        &self,
        env: &'env Env,
        credential: String,
    ) -> napi::Result<Later<'env, Claims>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.verify_credential(&credential).await },
            Claims::from,
        )
    }

    /// The published token-verification keys, a JWKS document (RFC 7517): with `EdDSA`,
    /// every key that signs, will sign, or still verifies its tokens; `{ keys: [] }` with an
    /// HMAC algorithm.
    #[napi(
        ts_return_type = "{ keys: Array<Record<string, string>> } | Promise<{ keys: Array<Record<string, string>> }>"
    )]
    pub fn jwks<'env>(&self, env: &'env Env) -> napi::Result<Later<'env, Value>> {
        let manager = self.inner.clone();
        promise(env, async move { manager.jwks().await }, |jwks| jwks)
    }

    /// The signing keys' timeline (`EdDSA`), oldest first. `INVALID_INPUT` with an HMAC
    /// algorithm.
    #[napi(ts_return_type = "SigningKeysOutcome | Promise<SigningKeysOutcome>")]
    pub fn signing_keys<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Later<'env, SigningKeysOutcome>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.signing_keys().await },
            SigningKeysOutcome::from,
        )
    }

    /// Rotate the signing keys now (`EdDSA`; an operator call): the new key, published at
    /// once, signs from `signingKeyLeadSeconds` later. `INVALID_INPUT` with an HMAC
    /// algorithm.
    #[napi(ts_return_type = "SigningKeyOutcome | Promise<SigningKeyOutcome>")]
    pub fn rotate_signing_key<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Later<'env, SigningKeyOutcome>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.rotate_signing_key().await },
            SigningKeyOutcome::from,
        )
    }

    /// Check a token's signature, algorithm and expiry only, synchronously and without the
    /// database: a revoked token passes.
    #[napi]
    pub fn decode_token(&self, env: &Env, token: String) -> napi::Result<Claims> {
        self.inner
            .decode_token(&token)
            .map(Claims::from)
            .map_err(|err| to_js_error(env, err))
    }

    /// Move the data of the tenant named `name` (any spelling) to another layout and/or
    /// cluster, online; `onProgress`, when given, is called on the JS thread with each
    /// `MoveProgress`, and has seen them all when the promise settles. An administration
    /// call: no token is checked, so only trusted code may call it.
    #[napi(
        ts_args_type = "name: string, target?: MoveTarget | null, onProgress?: ((progress: MoveProgress) => unknown) | null",
        ts_return_type = "Tenant | Promise<Tenant>"
    )]
    pub fn move_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
        target: Option<MoveTarget>,
        on_progress: Option<ProgressCallback>,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        let target = target.map_or_else(|| Ok(tenantry::MoveTarget::new()), TryInto::try_into);
        promise(
            env,
            async move {
                let target = target?;
                let Some(callback) = on_progress else {
                    return manager.move_tenant(&name, target).await;
                };
                let listener = Listener::new(callback);
                let reporter = listener.clone();
                let moved = manager
                    .move_tenant_with_progress(&name, target, move |p| reporter.report(p))
                    .await;
                listener.delivered().await;
                moved
            },
            Tenant::from,
        )
    }

    /// Rename the tenant named `name` as its admin could (the same journaled rename), audited
    /// as the operator's. An administration call: no token is checked.
    #[napi(ts_return_type = "Tenant | Promise<Tenant>")]
    pub fn admin_rename_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
        new_name: String,
    ) -> napi::Result<Later<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.admin_rename_tenant(&name, &new_name).await },
            Tenant::from,
        )
    }

    /// Delete the tenant named `name` as its admin could (softly with a deleted retention),
    /// audited as the operator's. An administration call: no token is checked.
    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn admin_delete_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<Later<'env, ()>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.admin_delete_tenant(&name).await },
            |()| (),
        )
    }

    /// One page of the audit log of the tenant with id `tenantId` (a purged tenant's log
    /// stays), in order. An administration call: no token is checked.
    #[napi(ts_return_type = "AuditPage | Promise<AuditPage>")]
    pub fn audit_log<'env>(
        &self,
        env: &'env Env,
        tenant_id: String,
        query: Option<AuditQuery>,
    ) -> napi::Result<Later<'env, AuditPage>> {
        let manager = self.inner.clone();
        let tenant = audit::tenant_id(&tenant_id);
        let query = query.map_or_else(|| Ok(tenantry::AuditQuery::new()), TryInto::try_into);
        promise(
            env,
            async move { manager.audit_log(tenant?, &query?).await },
            AuditPage::from,
        )
    }

    /// Walk the audit log of the tenant with id `tenantId`: whether its hash chain is whole,
    /// and where it breaks if not. An administration call: no token is checked.
    #[napi(ts_return_type = "AuditVerification | Promise<AuditVerification>")]
    pub fn verify_audit<'env>(
        &self,
        env: &'env Env,
        tenant_id: String,
    ) -> napi::Result<Later<'env, AuditVerification>> {
        let manager = self.inner.clone();
        let tenant = audit::tenant_id(&tenant_id);
        promise(
            env,
            async move { manager.verify_audit(tenant?).await },
            AuditVerification::from,
        )
    }

    /// Write the tenant named `name` as one archive to the file `path` (replaced only once
    /// the archive is whole); `onProgress` as `moveTenant`'s. An administration call: no
    /// token is checked.
    #[napi(
        ts_args_type = "name: string, path: string, onProgress?: ((progress: ArchiveProgress) => unknown) | null",
        ts_return_type = "ArchiveManifest | Promise<ArchiveManifest>"
    )]
    pub fn export_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
        path: String,
        on_progress: Option<ArchiveProgressCallback>,
    ) -> napi::Result<Later<'env, ArchiveManifest>> {
        let manager = self.inner.clone();
        let reports = Reports::new(on_progress);
        promise(
            env,
            async move {
                let mut file = ArchiveFile::create(&path).await?;
                let exported = manager
                    .export_tenant_with_progress(&name, file.writer(), |p| reports.report(p))
                    .await;
                reports.delivered().await;
                file.finish(exported).await
            },
            ArchiveManifest::from,
        )
    }

    /// `exportTenant` into memory: the archive's bytes.
    #[napi(
        ts_args_type = "name: string, onProgress?: ((progress: ArchiveProgress) => unknown) | null",
        ts_return_type = "Buffer | Promise<Buffer>"
    )]
    pub fn export_tenant_buffer<'env>(
        &self,
        env: &'env Env,
        name: String,
        on_progress: Option<ArchiveProgressCallback>,
    ) -> napi::Result<Later<'env, Buffer>> {
        let manager = self.inner.clone();
        let reports = Reports::new(on_progress);
        promise(
            env,
            async move {
                let mut out = Vec::new();
                let exported = manager
                    .export_tenant_with_progress(&name, &mut out, |p| reports.report(p))
                    .await;
                reports.delivered().await;
                exported.map(|_| out)
            },
            Buffer::from,
        )
    }

    /// Import a tenant from the archive file `path`, under the archive's name, email and
    /// layout unless `options` says otherwise; hidden until its data matches the archive's
    /// manifest, nothing left on failure. An administration call: no token is checked.
    #[napi(
        ts_args_type = "path: string, options?: ImportOptions | null, onProgress?: ((progress: ArchiveProgress) => unknown) | null",
        ts_return_type = "ImportedTenant | Promise<ImportedTenant>"
    )]
    pub fn import_tenant<'env>(
        &self,
        env: &'env Env,
        path: String,
        options: Option<ImportOptions>,
        on_progress: Option<ArchiveProgressCallback>,
    ) -> napi::Result<Later<'env, ImportedTenant>> {
        let manager = self.inner.clone();
        let options = options.map_or_else(|| Ok(tenantry::ImportOptions::new()), TryInto::try_into);
        let reports = Reports::new(on_progress);
        promise(
            env,
            async move {
                let options = options?;
                let mut input = archive::open(&path).await?;
                let imported = manager
                    .import_tenant_with_progress(&mut input, options, |p| reports.report(p))
                    .await;
                reports.delivered().await;
                imported
            },
            ImportedTenant::from,
        )
    }

    /// `importTenant` from the archive's bytes (copied before the call returns).
    #[napi(
        ts_args_type = "archive: Uint8Array, options?: ImportOptions | null, onProgress?: ((progress: ArchiveProgress) => unknown) | null",
        ts_return_type = "ImportedTenant | Promise<ImportedTenant>"
    )]
    pub fn import_tenant_buffer<'env>(
        &self,
        env: &'env Env,
        archive: &[u8],
        options: Option<ImportOptions>,
        on_progress: Option<ArchiveProgressCallback>,
    ) -> napi::Result<Later<'env, ImportedTenant>> {
        let manager = self.inner.clone();
        let bytes = archive.to_vec();
        let options = options.map_or_else(|| Ok(tenantry::ImportOptions::new()), TryInto::try_into);
        let reports = Reports::new(on_progress);
        promise(
            env,
            async move {
                let imported = manager
                    .import_tenant_with_progress(&mut bytes.as_slice(), options?, |p| {
                        reports.report(p)
                    })
                    .await;
                reports.delivered().await;
                imported
            },
            ImportedTenant::from,
        )
    }

    /// Declare the schema every tenant's data follows, from its declaration (one BSON
    /// document, see `schema.rs`) and the functions of the migrations written in JavaScript
    /// by id: a new tenant gets its indexes and is born migrated; `migrate` applies the
    /// migrations the others lack. Throws `INVALID_INPUT` (field `schema`).
    #[napi(
        ts_args_type = "declaration: Uint8Array, functions: Record<string, (tenant: MigrationScope) => Promise<MigrationError | null>>"
    )]
    pub fn set_schema(
        &self,
        env: &Env,
        declaration: &[u8],
        functions: std::collections::HashMap<String, MigrationCallback>,
    ) -> napi::Result<()> {
        schema::schema(declaration, schema::migration_fns(functions))
            .and_then(|schema| self.inner.set_schema(schema))
            .map_err(|err| to_js_error(env, err))
    }

    /// Apply the declared schema's migrations that each active tenant lacks (see the core's
    /// `schema` module); `onProgress`, when given, is called on the JS thread with
    /// `(done, total)` after each tenant, and has seen every report when the promise
    /// settles. An administration call: no token is checked.
    #[napi(
        ts_args_type = "options?: MigrateOptions | null, onProgress?: ((done: number, total: number) => unknown) | null",
        ts_return_type = "MigrateOutcome | Promise<MigrateOutcome>"
    )]
    pub fn migrate<'env>(
        &self,
        env: &'env Env,
        options: Option<MigrateOptions>,
        on_progress: Option<MigrateProgressCallback>,
    ) -> napi::Result<Later<'env, MigrateOutcome>> {
        let manager = self.inner.clone();
        let options =
            options.map_or_else(|| Ok(tenantry::MigrateOptions::new()), TryInto::try_into);
        let listener = on_progress.map(Listener::new);
        promise(
            env,
            async move {
                let mut options = options?;
                if let Some(listener) = &listener {
                    options = options.progress(schema::progress(listener));
                }
                let report = manager.migrate(options).await;
                if let Some(listener) = &listener {
                    listener.delivered().await;
                }
                report
            },
            MigrateOutcome::from,
        )
    }

    /// Throws `UNAUTHORIZED` unless `token` is the configured operator token (compared in
    /// constant time), `FORBIDDEN` when none is configured (operator calls are off).
    #[napi]
    pub fn check_operator(&self, env: &Env, token: String) -> napi::Result<()> {
        self.inner
            .check_operator(&token)
            .map_err(|err| to_js_error(env, err))
    }

    /// Where the claims' tenant keeps its own data, so application code reaches its own
    /// tenant's collection only.
    #[napi(ts_return_type = "TenantCollection | Promise<TenantCollection>")]
    pub fn tenant_collection<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<Later<'env, TenantCollection>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.tenant_collection::<Document>(&claims).await },
            |collection| {
                let namespace = collection.namespace();
                TenantCollection {
                    namespace: namespace.to_string(),
                    database: namespace.db,
                    collection_name: namespace.coll,
                }
            },
        )
    }

    /// Where the claims' tenant's logical collection `name` (`data` by default) is, for the
    /// application's own driver, with no round trip; in the `shared` layout with the
    /// confinement every operation must go through.
    #[napi]
    pub fn locate(
        &self,
        env: &Env,
        claims: &Claims,
        name: Option<String>,
    ) -> napi::Result<Location> {
        let name = name.as_deref().unwrap_or(tenantry::DEFAULT_COLLECTION);
        self.inner
            .locate(&claims.inner, name)
            .map(Location::from)
            .map_err(|err| to_js_error(env, err))
    }

    /// Where the logical collection `collection` (`data` by default) of the tenant named `name`
    /// is, for administration code: no token is checked, so only trusted code may call it.
    #[napi(ts_return_type = "Location | Promise<Location>")]
    pub fn admin_locate<'env>(
        &self,
        env: &'env Env,
        name: String,
        collection: Option<String>,
    ) -> napi::Result<Later<'env, Location>> {
        let manager = self.inner.clone();
        let collection = collection.unwrap_or_else(|| tenantry::DEFAULT_COLLECTION.to_owned());
        promise(
            env,
            async move { manager.admin_scope(&name).await?.locate(&collection) },
            Location::from,
        )
    }

    /// The client a request comes from, for `authenticate(email, password, client)`: `peer`
    /// (the connection's address), or the address `forwardedFor` (an `X-Forwarded-For` header)
    /// gives when `peer` is one of `TRUSTED_PROXIES`.
    #[napi]
    pub fn client_address(
        &self,
        env: &Env,
        peer: String,
        forwarded_for: Option<String>,
    ) -> napi::Result<String> {
        match peer.trim().parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(self
                .inner
                .client_address(ip, forwarded_for.as_deref())
                .to_string()),
            Err(_) => Err(to_js_error(
                env,
                tenantry::Error::InvalidInput {
                    field: "peer",
                    message: "is not an IP address".into(),
                },
            )),
        }
    }

    /// Close: later calls reject with `CLOSED`; operations already running end first; the
    /// connections of the client made from `mongoUri` are closed.
    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<Later<'env, ()>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move {
                manager.close().await;
                Ok(())
            },
            |()| (),
        )
    }

    /// Resolves when the database answers; rejects with `DATABASE` if it does not.
    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn ping<'env>(&self, env: &'env Env) -> napi::Result<Later<'env, ()>> {
        let manager = self.inner.clone();
        promise(env, async move { manager.ping().await }, |()| ())
    }

    /// Finish or undo every lifecycle operation whose owner stopped before the end (a crash, a
    /// killed process) and whose lease has run out; adopt records written by the original
    /// service; list unclaimed `org_*` collections.
    #[napi(ts_return_type = "RecoveryReport | Promise<RecoveryReport>")]
    pub fn recover<'env>(&self, env: &'env Env) -> napi::Result<Later<'env, RecoveryReport>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.recover().await },
            RecoveryReport::from,
        )
    }
}
