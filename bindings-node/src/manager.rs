//! The `TenantManager` class: the core's `TenantManager`, method for method, camelCase.
//!
//! Every asynchronous method returns a `Promise` settled on napi's tokio runtime (see
//! `error::promise` for why these are not plain `#[napi] async fn`s). Arguments are copied
//! into the future before it starts, so the caller may reuse or drop them at once.

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use tenantry::mongodb::bson::Document;

use crate::error::{promise, to_js_error};
use crate::types::{
    AccessToken, Claims, ConnectOptions, RecoveryReport, Tenant, TenantCollection, TenantUpdate,
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
    /// Connect, create the indexes the invariants rest on, and adopt records written by the
    /// original service.
    ///
    /// Rejects with `CONFIG` for unusable options (short secret, unknown algorithm, bad
    /// database name, bad URI...) and `DATABASE` when the server cannot be reached.
    #[napi(ts_return_type = "Promise<TenantManager>")]
    pub fn connect(
        env: &Env,
        options: ConnectOptions,
    ) -> napi::Result<PromiseRaw<'_, TenantManager>> {
        promise(
            env,
            async move { tenantry::TenantManager::connect(options.into_config()?).await },
            |inner| TenantManager { inner },
        )
    }

    /// Like `connect`, configured from the environment as the original service was:
    /// `MONGO_URI` (or `MONGODB_URI`), `MASTER_DB`, `JWT_SECRET` (required), `JWT_ALGO`,
    /// `JWT_EXPIRE_MINUTES`, `BCRYPT_COST`, `LOGIN_MAX_FAILURES`, `JWT_ISSUER`,
    /// `JWT_AUDIENCE`.
    #[napi(ts_return_type = "Promise<TenantManager>")]
    pub fn from_env(env: &Env) -> napi::Result<PromiseRaw<'_, TenantManager>> {
        // Read now, on the JS thread: `process.env` changes made by JS before this call are
        // visible to the process environment, and later ones must not race the read.
        let config = tenantry::Config::from_env();
        promise(
            env,
            async move { tenantry::TenantManager::connect(config?).await },
            |inner| TenantManager { inner },
        )
    }

    /// The master database in use.
    #[napi(getter)]
    pub fn master_db(&self) -> String {
        self.inner.config().master_db.clone()
    }

    /// Create a tenant: its record, its admin user and its own collection, all or nothing.
    ///
    /// Rejects with `INVALID_INPUT` (name, email or password; `err.field` says which) or
    /// `TENANT_ALREADY_EXISTS` (the normalized name or the email is taken).
    #[napi(ts_return_type = "Promise<Tenant>")]
    pub fn create_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
        email: String,
        password: String,
    ) -> napi::Result<PromiseRaw<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.create_tenant(&name, &email, &password).await },
            Tenant::from,
        )
    }

    /// Find a tenant by name (any spelling with the same normalized key).
    ///
    /// Rejects with `TENANT_NOT_FOUND`, or `INVALID_INPUT` for a name no tenant can have.
    #[napi(ts_return_type = "Promise<Tenant>")]
    pub fn get_tenant<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, Tenant>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.get_tenant(&name).await },
            Tenant::from,
        )
    }

    /// Change the acting admin's email and/or password, and/or rename the tenant.
    ///
    /// A rename moves the tenant's collection with the server's `renameCollection`: same
    /// documents, same `_id`s, same indexes. `claims` must come from `verifyToken` and
    /// belong to this tenant (`FORBIDDEN` otherwise). Rejects with `INVALID_INPUT`,
    /// `TENANT_ALREADY_EXISTS` (new name or email taken), `UNAUTHORIZED` (revoked token) or
    /// `CONFLICT` (another operation on the tenant is in flight; retry).
    #[napi(ts_return_type = "Promise<Tenant>")]
    pub fn update_tenant<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        name: String,
        update: TenantUpdate,
    ) -> napi::Result<PromiseRaw<'env, Tenant>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        let update = tenantry::TenantUpdate::from(update);
        promise(
            env,
            async move { manager.update_tenant(&claims, &name, update).await },
            Tenant::from,
        )
    }

    /// Rename a tenant, moving its collection with all its data (a shorthand for
    /// `updateTenant(claims, name, { newName })`).
    #[napi(ts_return_type = "Promise<Tenant>")]
    pub fn rename_tenant<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        name: String,
        new_name: String,
    ) -> napi::Result<PromiseRaw<'env, Tenant>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.rename_tenant(&claims, &name, &new_name).await },
            Tenant::from,
        )
    }

    /// Delete a tenant: its collection, its admin users and its record. Earlier tokens of
    /// its admins stop verifying.
    ///
    /// Rejects with `FORBIDDEN` (not the claims' tenant), `UNAUTHORIZED` or `CONFLICT`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_tenant<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let (manager, claims) = (self.inner.clone(), claims.inner.clone());
        promise(
            env,
            async move { manager.delete_tenant(&claims, &name).await },
            |()| (),
        )
    }

    /// Log an admin in and issue an access token.
    ///
    /// Unknown email and wrong password cost the same bcrypt work (off the event loop) and
    /// reject alike, with `INVALID_CREDENTIALS`. Past the configured number of failures
    /// for the email (or for `client`, when given: an IP address or any key the application
    /// trusts), logins are refused for a while with `TOO_MANY_ATTEMPTS` (see
    /// `err.retryAfterSecs`).
    #[napi(ts_return_type = "Promise<AccessToken>")]
    pub fn authenticate<'env>(
        &self,
        env: &'env Env,
        email: String,
        password: String,
        client: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, AccessToken>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move {
                manager
                    .authenticate_from(&email, &password, client.as_deref())
                    .await
            },
            AccessToken::from,
        )
    }

    /// Check a token's signature, algorithm and expiry, then that it has not been revoked
    /// (password changed, admin or tenant deleted). The claims carry the tenant's current
    /// name. Rejects with `UNAUTHORIZED`.
    #[napi(ts_return_type = "Promise<Claims>")]
    pub fn verify_token<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> napi::Result<PromiseRaw<'env, Claims>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.verify_token(&token).await },
            Claims::from,
        )
    }

    /// Check a token's signature, algorithm and expiry only, synchronously and without the
    /// database: a revoked token passes. Use `verifyToken` to authorize. Throws
    /// `UNAUTHORIZED`.
    #[napi]
    pub fn decode_token(&self, env: &Env, token: String) -> napi::Result<Claims> {
        self.inner
            .decode_token(&token)
            .map(Claims::from)
            .map_err(|err| to_js_error(env, err))
    }

    /// Where the claims' tenant keeps its own data, so application code reaches its own
    /// tenant's collection only. Rejects with `UNAUTHORIZED` for revoked claims.
    ///
    /// A rename moves the collection: ask again per request rather than keeping the
    /// answer, or writes after a rename would land in a new collection under the old name.
    #[napi(ts_return_type = "Promise<TenantCollection>")]
    pub fn tenant_collection<'env>(
        &self,
        env: &'env Env,
        claims: &Claims,
    ) -> napi::Result<PromiseRaw<'env, TenantCollection>> {
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

    /// The client a request comes from, for `authenticate(email, password, client)`:
    /// `peer` (the connection's address), or the address `forwardedFor` (an
    /// `X-Forwarded-For` header) gives when `peer` is one of `TRUSTED_PROXIES`. Throws
    /// `INVALID_INPUT` for a `peer` that is not an IP address.
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

    /// Resolves when the database answers; rejects with `DATABASE` if it does not.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn ping<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let manager = self.inner.clone();
        promise(env, async move { manager.ping().await }, |()| ())
    }

    /// Finish or undo every lifecycle operation whose owner stopped before the end (a
    /// crash, a killed process) and whose lease has run out; adopt records written by the
    /// original service; list unclaimed `org_*` collections.
    #[napi(ts_return_type = "Promise<RecoveryReport>")]
    pub fn recover<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, RecoveryReport>> {
        let manager = self.inner.clone();
        promise(
            env,
            async move { manager.recover().await },
            RecoveryReport::from,
        )
    }
}
