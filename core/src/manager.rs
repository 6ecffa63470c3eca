//! [`TenantManager`]: the public entry point. Methods here are thin; the journaled steps
//! live in `lifecycle/`, recovery in `recover.rs`.

use std::sync::Arc;

use mongodb::bson::doc;
use mongodb::{Client, Collection};
use tokio::sync::OnceCell;

use crate::auth::password;
use crate::auth::throttle::{self, Throttle, LOGIN_ATTEMPTS};
use crate::auth::token::TokenCodec;
use crate::auth::{AccessToken, Claims};
use crate::config::{Config, Connection};
use crate::error::{Error, Result};
use crate::naming::{Email, TenantName, MAX_PASSWORD_BYTES};
use crate::store::{OrgDoc, OrgState, Store};
use crate::tenant::{RecoveryReport, Tenant, TenantUpdate};

/// Creates, finds, updates, renames and deletes tenants, and authenticates their admins.
///
/// Cheap to clone (an `Arc` inside); share one per process.
#[derive(Clone)]
pub struct TenantManager {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: Config,
    pub client: Client,
    pub store: Store,
    pub tokens: TokenCodec,
    pub throttle: Option<Throttle>,
    /// A hash verified against when the email is unknown, so that both failures cost one
    /// bcrypt verification.
    dummy_hash: OnceCell<String>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<TenantManager>();
};

impl std::fmt::Debug for TenantManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantManager")
            .field("master_db", &self.inner.config.master_db)
            .finish_non_exhaustive()
    }
}

impl TenantManager {
    /// Connect, create the indexes the invariants rest on, and adopt records written by the
    /// original service.
    pub async fn connect(config: Config) -> Result<Self> {
        let client = match &config.connection {
            Connection::Uri(uri) => Client::with_uri_str(uri.expose())
                .await
                .map_err(|e| Error::Config(format!("invalid MongoDB URI: {e}")))?,
            Connection::Client(client) => client.clone(),
        };
        let store = Store::new(client.database(&config.master_db));
        store.ensure_indexes().await?;
        let throttle = config
            .login_throttle
            .map(|limits| Throttle::new(store.raw(LOGIN_ATTEMPTS), limits));
        if let Some(throttle) = &throttle {
            throttle.ensure_indexes().await?;
        }
        let manager = TenantManager {
            inner: Arc::new(Inner {
                tokens: TokenCodec::new(&config)?,
                throttle,
                config,
                client,
                store,
                dummy_hash: OnceCell::new(),
            }),
        };
        manager.inner.ensure_key_indexes().await?;
        manager
            .inner
            .adopt_legacy(&mut RecoveryReport::default())
            .await?;
        Ok(manager)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The underlying MongoDB client.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Create a tenant: its record, its admin user and its own collection, all or nothing.
    ///
    /// Errors: `INVALID_INPUT` (name, email or password), `TENANT_ALREADY_EXISTS` (the
    /// normalized name or the email is taken).
    pub async fn create_tenant(
        &self,
        name: &str,
        admin_email: &str,
        admin_password: &str,
    ) -> Result<Tenant> {
        self.inner.create(name, admin_email, admin_password).await
    }

    /// Find a tenant by name (any spelling with the same normalized key).
    pub async fn get_tenant(&self, name: &str) -> Result<Tenant> {
        let target = TenantName::parse(name, &self.inner.config.master_db)?;
        match self.inner.store.visible_org_by_key(target.key()).await? {
            Some(org) => Ok(self.inner.tenant(org)),
            None => Err(Error::org_not_found(target.display())),
        }
    }

    /// Change the acting admin's email and/or password, and/or rename the tenant.
    ///
    /// A rename moves the tenant's collection with the server's `renameCollection`: same
    /// documents, same `_id`s, same indexes, in time independent of the data size. The
    /// admin records follow the new name. `claims` must come from
    /// [`verify_token`](Self::verify_token) and belong to this tenant (`FORBIDDEN`
    /// otherwise).
    pub async fn update_tenant(
        &self,
        claims: &Claims,
        name: &str,
        update: TenantUpdate,
    ) -> Result<Tenant> {
        self.inner.update(claims, name, update).await
    }

    /// Rename a tenant (a shorthand for [`update_tenant`](Self::update_tenant)).
    pub async fn rename_tenant(
        &self,
        claims: &Claims,
        name: &str,
        new_name: &str,
    ) -> Result<Tenant> {
        self.inner
            .update(claims, name, TenantUpdate::new().new_name(new_name))
            .await
    }

    /// Delete a tenant: its collection, its admin users and its record. Earlier tokens of
    /// its admins stop verifying.
    pub async fn delete_tenant(&self, claims: &Claims, name: &str) -> Result<()> {
        self.inner.delete(claims, name).await
    }

    /// Log an admin in. Unknown email and wrong password cost the same bcrypt work and give
    /// the same `INVALID_CREDENTIALS` error. Past the configured number of failures for the
    /// email, logins are refused with `TOO_MANY_ATTEMPTS` for a while.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<AccessToken> {
        self.authenticate_from(email, password, None).await
    }

    /// [`authenticate`](Self::authenticate), also counting failures per `client` (an IP
    /// address or any key the application trusts), so one client cannot try many emails.
    pub async fn authenticate_from(
        &self,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<AccessToken> {
        let Some(throttle) = &self.inner.throttle else {
            return self.login(email, password).await;
        };
        let keys = throttle::keys(email, client);
        throttle.check(&keys).await?;
        match self.login(email, password).await {
            Err(Error::InvalidCredentials) => {
                throttle.record_failure(&keys).await?;
                Err(Error::InvalidCredentials)
            }
            Ok(token) => {
                throttle.reset(&keys[..1]).await?;
                Ok(token)
            }
            Err(other) => Err(other),
        }
    }

    async fn login(&self, email: &str, password: &str) -> Result<AccessToken> {
        let inner = &self.inner;
        let admin = match Email::parse(email) {
            Ok(email) if password.len() <= MAX_PASSWORD_BYTES => {
                inner.store.admin_by_email_key(email.key()).await?
            }
            _ => None,
        };
        let Some(admin) = admin else {
            let dummy = inner.dummy_hash().await?;
            password::verify(password, dummy).await?;
            return Err(Error::InvalidCredentials);
        };
        if !password::verify(password, &admin.hashed_password).await? {
            return Err(Error::InvalidCredentials);
        }
        let org = match inner.store.org_by_id(admin.organization_id).await? {
            Some(org) if matches!(org.state, OrgState::Active | OrgState::Updating) => org,
            _ => return Err(Error::InvalidCredentials),
        };
        inner.tokens.issue(
            admin.id,
            org.id,
            &org.organization_name,
            admin.token_version,
        )
    }

    /// Check a token's signature, algorithm and expiry, then that it has not been revoked
    /// (password changed, admin or tenant deleted). The returned claims carry the tenant's
    /// current name.
    pub async fn verify_token(&self, token: &str) -> Result<Claims> {
        let mut claims = self.inner.tokens.decode(token)?;
        let org = self.inner.check_not_revoked(&claims).await?;
        claims.organization_name = org.organization_name;
        Ok(claims)
    }

    /// Check a token's signature, algorithm and expiry only, without the database: faster,
    /// but a revoked token passes. Use [`verify_token`](Self::verify_token) to authorize.
    pub fn decode_token(&self, token: &str) -> Result<Claims> {
        self.inner.tokens.decode(token)
    }

    /// The tenant's own collection, for the tenant the claims belong to, so application
    /// code reaches its own tenant's data only.
    ///
    /// A rename moves the collection: take a fresh handle per request rather than keeping
    /// one, or writes after a rename would land in a new collection under the old name.
    pub async fn tenant_collection<T: Send + Sync>(
        &self,
        claims: &Claims,
    ) -> Result<Collection<T>> {
        let org = self.inner.check_not_revoked(claims).await?;
        Ok(self.inner.store.db.collection(&org.collection_name))
    }

    /// Finish or undo every lifecycle operation whose owner stopped before the end (a
    /// crash, a killed process) and whose lease has run out; adopt records written by the
    /// original service; list unclaimed `org_*` collections.
    pub async fn recover(&self) -> Result<RecoveryReport> {
        self.inner.recover_all().await
    }
}

impl Inner {
    pub(crate) fn tenant(&self, org: OrgDoc) -> Tenant {
        Tenant::from_doc(org, &self.config.master_db)
    }

    async fn dummy_hash(&self) -> Result<&String> {
        self.dummy_hash
            .get_or_try_init(|| password::hash("tenantry-dummy-password", self.config.bcrypt_cost))
            .await
    }

    /// The tenant record of valid, unrevoked claims.
    pub(crate) async fn check_not_revoked(&self, claims: &Claims) -> Result<OrgDoc> {
        let revoked = || Error::unauthorized("token has been revoked");
        let admin = self
            .store
            .admin_by_id(claims.admin_id)
            .await?
            .ok_or_else(revoked)?;
        if admin.organization_id != claims.organization_id
            || admin.token_version != claims.token_version
        {
            return Err(revoked());
        }
        match self.store.org_by_id(claims.organization_id).await? {
            Some(org) if matches!(org.state, OrgState::Active | OrgState::Updating) => Ok(org),
            _ => Err(revoked()),
        }
    }

    /// The tenant named `name`, if the claims' holder administers it and no other operation
    /// holds it (an abandoned one is recovered first).
    pub(crate) async fn authorize(&self, claims: &Claims, name: &str) -> Result<OrgDoc> {
        let target = TenantName::parse(name, &self.config.master_db)?;
        self.check_not_revoked(claims).await?;
        let org = self
            .store
            .org_by_id_and_key(claims.organization_id, target.key())
            .await?
            .ok_or_else(Error::forbidden)?;
        if org.state == OrgState::Active {
            return Ok(org);
        }
        if self.recover_if_stale(&org).await? {
            // The name led to this tenant when the call was made; an interrupted rename
            // that recovery just finished does not make it another tenant.
            return match self.store.org_by_id(org.id).await? {
                Some(org) if org.state == OrgState::Active => Ok(org),
                _ => Err(Error::org_not_found(target.display())),
            };
        }
        Err(Error::busy())
    }
}

/// `{ "_id": id }` as a filter.
pub(crate) fn by_id(id: mongodb::bson::oid::ObjectId) -> mongodb::bson::Document {
    doc! { "_id": id }
}
