//! [`TenantManager`]: the public entry point. Each method delegates: the lifecycle to
//! `lifecycle/`, authentication to `auth/`, storage to `store/`.
//!
//! Operations that write run as tasks of their own on the runtime the call was made on: once
//! started, they run to their end or to a clean undo whether or not the caller still
//! awaits them (a dropped future, a cancelled asyncio task, a timed-out request). `close()`
//! waits for them before it lets the connections go.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Client;

use crate::api_keys::{self, ApiKey, ApiKeyInfo, NewApiKey};
use crate::archive::{self, ArchiveManifest, ImportOptions};
use crate::audit::{self, AuditPage, AuditQuery, AuditVerification};
use crate::auth::{login, AccessToken, Claims, SigningKeyInfo};
use crate::cache::CacheStats;
use crate::collection::TenantCollection;
use crate::config::Config;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::lifecycle::{create, delete, recover, update};
use crate::listing::{TenantPage, TenantQuery};
use crate::members::{self, Action, Invitation, InvitationInfo, Member, NewInvitation, Role};
use crate::naming::TenantName;
use crate::schema::{self, MigrateOptions, MigrateReport, Schema};
use crate::scope::{Location, TenantScope};
use crate::sessions::{self, Session, SessionInfo};
use crate::tenant::{
    MoveProgress, MoveTarget, RecoveryReport, Tenant, TenantOptions, TenantUpdate,
};

/// Creates, finds, updates, renames and deletes tenants, and authenticates their admins.
///
/// Cheap to clone (an `Arc` inside); share one per process.
#[derive(Clone)]
pub struct TenantManager {
    cx: Arc<Cx>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<TenantManager>();
};

impl std::fmt::Debug for TenantManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantManager")
            .field("master_db", &self.cx.config.master_db)
            .finish_non_exhaustive()
    }
}

impl TenantManager {
    /// Connect, create the indexes the invariants rest on, and adopt records written by the
    /// original service.
    pub async fn connect(config: Config) -> Result<Self> {
        let cx = Arc::new(Cx::connect(config).await?);
        recover::adopt_legacy(&cx, &mut RecoveryReport::default()).await?;
        Ok(TenantManager { cx })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cx.config
    }

    /// The underlying MongoDB client.
    pub fn client(&self) -> &Client {
        &self.cx.store.client
    }

    /// Run an operation as a task of its own: it goes on if the caller stops waiting.
    async fn detached<T, F>(&self, op: impl FnOnce(Arc<Cx>) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        match self.cx.running.spawn(op(Arc::clone(&self.cx))).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(Error::internal("the operation panicked")),
            Err(_) => Err(Error::internal(
                "the runtime shut down during the operation",
            )),
        }
    }

    /// [`detached`](Self::detached), for an operation that changes tenant records or admins:
    /// this process's cache forgets what it held once the operation ends, so that its next
    /// reads see the change without waiting for the change stream.
    async fn changing<T, F>(&self, op: impl FnOnce(Arc<Cx>) -> F + Send + 'static) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        self.detached(|cx| async move {
            let result = op(Arc::clone(&cx)).await;
            cx.cache.forget_all();
            result
        })
        .await
    }

    /// Create a tenant: its record, its admin user and its own collection, all or nothing.
    ///
    /// Errors: `INVALID_INPUT` (name, email or password), `TENANT_ALREADY_EXISTS` (the
    /// normalized name or the email is taken, or the tenant's collection name holds data
    /// that no tenant owns).
    pub async fn create_tenant(
        &self,
        name: &str,
        admin_email: &str,
        admin_password: &str,
    ) -> Result<Tenant> {
        self.create_tenant_with(name, admin_email, admin_password, TenantOptions::new())
            .await
    }

    /// [`create_tenant`](Self::create_tenant), with the tenant's layout and naming chosen
    /// here rather than by the configuration.
    pub async fn create_tenant_with(
        &self,
        name: &str,
        admin_email: &str,
        admin_password: &str,
        options: TenantOptions,
    ) -> Result<Tenant> {
        self.open()?;
        let (name, email, password) = (
            name.to_owned(),
            admin_email.to_owned(),
            admin_password.to_owned(),
        );
        self.changing(move |cx| async move {
            let tenant = create::create(&cx, &name, &email, &password, options).await?;
            let detail = doc! {
                "name": &tenant.name,
                "admin_email": &tenant.admin_email,
                "layout": tenant.layout.as_str(),
                "cluster": &tenant.cluster,
            };
            audit::record(&cx.store, tenant.id, "anonymous", "create", "ok", detail).await;
            let declared = cx
                .schema
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            if let Some(schema) = declared {
                // Born with the current schema. Should this fail, the next `migrate` applies
                // the migrations (idempotent) and the indexes are made again at the next
                // create of an index: the tenant exists either way.
                if let Some(org) = cx.store.org(tenant.id).await? {
                    schema::adopt(&cx, &schema, &org).await?;
                }
            }
            Ok(tenant)
        })
        .await
    }

    /// Find a tenant by name (any spelling with the same normalized key).
    pub async fn get_tenant(&self, name: &str) -> Result<Tenant> {
        let org = self.visible(name).await?;
        Ok(Tenant::from_doc(org, &self.cx.config.master_db))
    }

    /// `FORBIDDEN` unless `name` (any spelling) is the name of the claims' tenant, as
    /// [`verify_token`](Self::verify_token) found it. For APIs that name the tenant they
    /// act on (the HTTP contract's `organization_name`); the operations themselves act on
    /// the claims' tenant.
    pub fn check_tenant_name(&self, claims: &Claims, name: &str) -> Result<()> {
        let target = TenantName::parse(name, self.cx.config.tenants_db())?;
        if target.key() == crate::naming::name_key(claims.tenant_name()) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    /// Change the acting admin's email and/or password, and/or rename the claims' tenant.
    ///
    /// A rename moves the tenant's collection with the server's `renameCollection`: same
    /// documents, same `_id`s, same indexes, in time independent of the data size. Writes
    /// through the old name afterwards are refused by a tombstone left there (see
    /// [`tenant_collection`](Self::tenant_collection)). The admin records follow the new
    /// name. `claims` come from [`verify_token`](Self::verify_token); revoked claims get
    /// `UNAUTHORIZED`.
    pub async fn update_tenant(&self, claims: &Claims, update: TenantUpdate) -> Result<Tenant> {
        let claims = claims.clone();
        self.changing(|cx| async move {
            let before = claims.tenant_name().to_owned();
            let events = update_events(&update, &before);
            let result = match members::authorize_update(&cx, &claims, &update).await {
                Ok(()) => update::update(&cx, &claims, update).await,
                Err(e) => Err(e),
            };
            // A password changed through a session: the other sessions end, this one goes
            // on (had this failed, it ends at its next refresh with the others).
            if result.is_ok() {
                if let Err(e) = sessions::keep_current(&cx, &claims).await {
                    tracing::warn!(error = %e, "the sessions could not follow a password change");
                }
            }
            let outcome = outcome_of(&result);
            for (op, detail) in events {
                let actor = admin_actor(&claims);
                audit::record(&cx.store, claims.tenant_id(), &actor, op, outcome, detail).await;
            }
            result
        })
        .await
    }

    /// Rename the claims' tenant (a shorthand for [`update_tenant`](Self::update_tenant)).
    pub async fn rename_tenant(&self, claims: &Claims, new_name: &str) -> Result<Tenant> {
        self.update_tenant(claims, TenantUpdate::new().new_name(new_name))
            .await
    }

    /// Delete the claims' tenant: its collection, its admin users and its record. Earlier
    /// tokens of its admins stop verifying.
    ///
    /// With a deleted retention configured ([`Config::deleted_retention`]), the delete is
    /// soft: the tenant disappears from every call (get, login, tokens, scopes) but
    /// [`list_tenants`](Self::list_tenants), [`restore_tenant`](Self::restore_tenant) and
    /// [`purge_tenant`](Self::purge_tenant); its data, admins and name are kept (a create
    /// under its name gets `TENANT_ALREADY_EXISTS`) until [`recover`](Self::recover)
    /// purges it after the retention.
    pub async fn delete_tenant(&self, claims: &Claims) -> Result<()> {
        let claims = claims.clone();
        self.changing(|cx| async move {
            let result = match members::acting(&cx, &claims, Action::Delete).await {
                Ok(_) => delete::delete(&cx, &claims).await,
                Err(e) => Err(e),
            };
            let detail = doc! { "soft": !cx.config.deleted_retention.is_zero() };
            let actor = admin_actor(&claims);
            let outcome = outcome_of(&result);
            audit::record(
                &cx.store,
                claims.tenant_id(),
                &actor,
                "delete",
                outcome,
                detail,
            )
            .await;
            result
        })
        .await
    }

    /// Rename the tenant named `name` as its admin could (the same journaled rename), for
    /// an operator: no token is checked, so only trusted code may call it.
    pub async fn admin_rename_tenant(&self, name: &str, new_name: &str) -> Result<Tenant> {
        self.open()?;
        let (name, new_name) = (name.to_owned(), new_name.to_owned());
        self.changing(move |cx| async move {
            let claims = login::operator_claims(&cx, &name).await?;
            let update = TenantUpdate::new().new_name(&new_name);
            let result = update::update(&cx, &claims, update).await;
            let detail = doc! { "from": claims.tenant_name(), "to": &new_name };
            let outcome = outcome_of(&result);
            audit::record(
                &cx.store,
                claims.tenant_id(),
                "operator",
                "rename",
                outcome,
                detail,
            )
            .await;
            result
        })
        .await
    }

    /// Delete the tenant named `name` as its admin could (softly, with a deleted retention
    /// configured), for an operator: no token is checked, so only trusted code may call
    /// it.
    pub async fn admin_delete_tenant(&self, name: &str) -> Result<()> {
        self.open()?;
        let name = name.to_owned();
        self.changing(move |cx| async move {
            let claims = login::operator_claims(&cx, &name).await?;
            let result = delete::delete(&cx, &claims).await;
            let detail = doc! { "soft": !cx.config.deleted_retention.is_zero() };
            let outcome = outcome_of(&result);
            audit::record(
                &cx.store,
                claims.tenant_id(),
                "operator",
                "delete",
                outcome,
                detail,
            )
            .await;
            result
        })
        .await
    }

    /// Suspend the tenant named `name`: until [`resume_tenant`](Self::resume_tenant),
    /// its admins' logins, the tokens issued before and scopes opened with them are
    /// refused with `TENANT_SUSPENDED` (as fast as a revocation: see the cache); its data,
    /// admins and name are untouched; listing, audit, export, moves and migrations still
    /// reach it (the operator's rename and delete, which act as its admin, refuse it too:
    /// resume first). Suspending a
    /// suspended tenant records the new reason. `reason` (at most 500 characters, one
    /// line) is kept on the record and in the audit log. `TENANT_NOT_FOUND` if no tenant
    /// has the name.
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn suspend_tenant(&self, name: &str, reason: Option<&str>) -> Result<Tenant> {
        self.open()?;
        if let Some(r) = reason {
            if r.chars().count() > 500 || r.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "reason",
                    "must be one line of at most 500 characters",
                ));
            }
        }
        let org = self.visible_named(name).await?;
        let after = self
            .cx
            .store
            .suspend(org.id, reason)
            .await?
            .ok_or_else(|| Error::not_found(name))?;
        // This process refuses at once; the others when the change stream tells them.
        self.cx.cache.forget_all();
        let detail = match reason {
            Some(r) => doc! { "reason": r },
            None => doc! {},
        };
        audit::record(&self.cx.store, org.id, "operator", "suspend", "ok", detail).await;
        Ok(Tenant::from_doc(after, &self.cx.config.master_db))
    }

    /// Lift a suspension: the tenant's logins and tokens are accepted again (tokens
    /// issued before the suspension too, unless revoked otherwise). Resuming a tenant that
    /// is not suspended changes nothing. `TENANT_NOT_FOUND` if no tenant has the name.
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn resume_tenant(&self, name: &str) -> Result<Tenant> {
        self.open()?;
        let org = self.visible_named(name).await?;
        let after = self
            .cx
            .store
            .resume(org.id)
            .await?
            .ok_or_else(|| Error::not_found(name))?;
        self.cx.cache.forget_all();
        if org.suspended_at.is_some() {
            audit::record(&self.cx.store, org.id, "operator", "resume", "ok", doc! {}).await;
        }
        Ok(Tenant::from_doc(after, &self.cx.config.master_db))
    }

    /// The visible tenant named `name`, read from the database.
    async fn visible_named(&self, name: &str) -> Result<crate::store::OrgDoc> {
        let key = TenantName::parse(name, self.cx.config.tenants_db())?;
        self.cx
            .store
            .visible_org_by_key(key.key())
            .await?
            .ok_or_else(|| Error::not_found(key.display()))
    }

    /// Bring back the softly deleted tenant named `name`, as it was, within its retention
    /// (`TENANT_NOT_FOUND` if no deleted tenant has the name; `INVALID_INPUT` once its
    /// retention has passed). Its admins log in again; tokens issued before the delete
    /// verify again too, unless revoked otherwise.
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn restore_tenant(&self, name: &str) -> Result<Tenant> {
        self.open()?;
        let name = name.to_owned();
        let org = self
            .changing(move |cx| async move { delete::restore(&cx, &name).await })
            .await?;
        Ok(Tenant::from_doc(org, &self.cx.config.master_db))
    }

    /// Remove the softly deleted tenant named `name` now, whatever its retention: its
    /// data, its admins, its record, then its keys (journaled and recovered as any
    /// delete; interrupted before its data goes, the tenant stays deleted).
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn purge_tenant(&self, name: &str) -> Result<()> {
        self.open()?;
        let name = name.to_owned();
        self.changing(move |cx| async move { delete::purge(&cx, &name).await })
            .await
    }

    /// Purge every softly deleted tenant whose retention has passed; how many
    /// ([`recover`](Self::recover) does it too).
    pub async fn purge_expired(&self) -> Result<usize> {
        self.open()?;
        self.changing(|cx| async move { delete::purge_expired(&cx).await })
            .await
    }

    /// One page of the tenants matching `query`, in creation order (active and softly
    /// deleted ones; never one being created or deleted). Read the next page with
    /// [`TenantQuery::after`] set to [`TenantPage::next`]: pages never repeat or skip a
    /// tenant that exists throughout, whatever is created or deleted meanwhile.
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn list_tenants(&self, query: &TenantQuery) -> Result<TenantPage> {
        self.open()?;
        let (filter, size, start) = (query.filter()?, query.page_size()?, query.start()?);
        let records = self
            .cx
            .store
            .orgs_page(filter, start, size as i64 + 1)
            .await?;
        let master = &self.cx.config.master_db;
        let tenants = records
            .into_iter()
            .map(|org| Tenant::from_doc(org, master))
            .collect();
        Ok(TenantPage::of(tenants, size))
    }

    /// How many tenants match `query` (its page and cursor aside).
    pub async fn count_tenants(&self, query: &TenantQuery) -> Result<u64> {
        self.open()?;
        self.cx.store.count_orgs(query.filter()?).await
    }

    /// Log an admin in. Unknown email, wrong password, any password length and any stored
    /// hash form cost the same bcrypt work and give the same `INVALID_CREDENTIALS` error.
    /// Past the configured number of failures, logins are refused with
    /// `TOO_MANY_ATTEMPTS` for a while.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<AccessToken> {
        self.authenticate_from(email, password, None).await
    }

    /// [`authenticate`](Self::authenticate), counting failures per (email, `client`) pair
    /// (an IP address, see [`client_address`](Self::client_address), or any key the
    /// application trusts), so failures from one client do not lock the account out for
    /// the others.
    pub async fn authenticate_from(
        &self,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<AccessToken> {
        self.login_to(None, email, password, client).await
    }

    /// [`authenticate_from`](Self::authenticate_from) into the tenant named `tenant`: for
    /// an email that is a member of several tenants. Without a tenant, such an email logs
    /// into the one its password opens, and is refused with `INVALID_INPUT` on
    /// `organization_name` when it opens several.
    pub async fn authenticate_in(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<AccessToken> {
        self.login_to(Some(tenant), email, password, client).await
    }

    async fn login_to(
        &self,
        tenant: Option<&str>,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<AccessToken> {
        self.open()?;
        let (email, password) = (email.to_owned(), password.to_owned());
        let (tenant, client) = (tenant.map(str::to_owned), client.map(str::to_owned));
        self.detached(|cx| async move {
            let (tenant, client) = (tenant.as_deref(), client.as_deref());
            login::authenticate(&cx, &email, &password, tenant, client).await
        })
        .await
    }

    /// The client a request comes from: `peer` (the connection's address), or, when `peer`
    /// is one of the configured trusted proxies, the last address in `forwarded_for` (an
    /// `X-Forwarded-For` header) that is not a trusted proxy itself.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let proxies = &self.cx.config.trusted_proxies;
        let trusted = |a: IpAddr| proxies.iter().any(|p| p.contains(a));
        if !trusted(peer) {
            return peer.to_canonical();
        }
        let hops = forwarded_for.unwrap_or_default().split(',').rev();
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(addr) if trusted(addr) => continue,
                Ok(addr) => return addr.to_canonical(),
                // A malformed hop: nothing before it can be believed.
                Err(_) => break,
            }
        }
        peer.to_canonical()
    }

    /// Check a token's signature, algorithm and expiry, then that it has not been revoked
    /// (password changed, admin or tenant deleted). The returned claims carry the tenant's
    /// current name.
    pub async fn verify_token(&self, token: &str) -> Result<Claims> {
        self.open()?;
        login::verify_token(&self.cx, token).await
    }

    /// Log in as [`authenticate_from`](Self::authenticate_from) does (throttled, audited)
    /// and open a session: a short access token ([`Config::session_access_ttl`], 15
    /// minutes) and a refresh token that renews it until the session ends
    /// ([`Config::session_refresh_ttl`], 30 days from the login). The original
    /// [`authenticate`](Self::authenticate) is unchanged.
    pub async fn login_session(
        &self,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<Session> {
        self.session_to(None, email, password, client).await
    }

    /// [`login_session`](Self::login_session) into the tenant named `tenant` (see
    /// [`authenticate_in`](Self::authenticate_in)).
    pub async fn login_session_in(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<Session> {
        self.session_to(Some(tenant), email, password, client).await
    }

    async fn session_to(
        &self,
        tenant: Option<&str>,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<Session> {
        self.open()?;
        let (email, password) = (email.to_owned(), password.to_owned());
        let (tenant, client) = (tenant.map(str::to_owned), client.map(str::to_owned));
        self.detached(|cx| async move {
            let (tenant, client) = (tenant.as_deref(), client.as_deref());
            sessions::login(&cx, &email, &password, tenant, client).await
        })
        .await
    }

    /// Renew a session: a new access token and a new refresh token; the one presented is
    /// used up. A refresh token presented a second time (by its owner after a thief, or
    /// the other way round, also when both race) ends its whole session: `UNAUTHORIZED`
    /// for both. A password change ends the admin's other sessions (every one, when made with
    /// a token of no session);
    /// `TENANT_SUSPENDED` while the tenant is suspended.
    pub async fn refresh_session(&self, refresh_token: &str) -> Result<Session> {
        self.open()?;
        let token = refresh_token.to_owned();
        self.detached(|cx| async move { sessions::refresh(&cx, &token).await })
            .await
    }

    /// The open sessions of the claims' admin, newest first.
    pub async fn sessions(&self, claims: &Claims) -> Result<Vec<SessionInfo>> {
        self.open()?;
        sessions::list(&self.cx, claims).await
    }

    /// End one session of the claims' admin (its refresh token stops working; access
    /// tokens already issued expire on their own, within minutes); whether it was open.
    pub async fn end_session(&self, claims: &Claims, session: ObjectId) -> Result<bool> {
        self.open()?;
        sessions::end(&self.cx, claims, session).await
    }

    /// Log out everywhere: end every session of the claims' admin and revoke every access
    /// token it holds (these claims included); how many sessions were open.
    pub async fn end_all_sessions(&self, claims: &Claims) -> Result<u64> {
        self.open()?;
        sessions::end_all(&self.cx, claims).await
    }

    /// Make an API key for the claims' tenant (an admin's token; `FORBIDDEN` for an API
    /// key's claims): the key is in the answer this once, only its digest is stored.
    /// `INVALID_INPUT` for a bad name, scope or expiry; `CONFLICT` when the tenant holds
    /// [`MAX_KEYS`](crate::MAX_KEYS) live keys. Audited.
    pub async fn create_api_key(&self, claims: &Claims, key: NewApiKey) -> Result<ApiKey> {
        self.open()?;
        let claims = claims.clone();
        self.detached(|cx| async move { api_keys::create(&cx, &claims, key).await })
            .await
    }

    /// The claims' tenant's API keys that are not revoked (expired ones included), oldest
    /// first, without their secrets.
    pub async fn api_keys(&self, claims: &Claims) -> Result<Vec<ApiKeyInfo>> {
        self.open()?;
        api_keys::list(&self.cx, claims).await
    }

    /// Revoke one of the claims' tenant's API keys; whether it was a live key of the
    /// tenant (another tenant's key is left alone: `false`). Audited.
    pub async fn revoke_api_key(&self, claims: &Claims, key_id: ObjectId) -> Result<bool> {
        self.open()?;
        api_keys::revoke(&self.cx, claims, key_id).await
    }

    /// The members of the claims' tenant (any member's token): its first admin, then the
    /// others as they joined.
    pub async fn members(&self, claims: &Claims) -> Result<Vec<Member>> {
        self.open()?;
        members::list(&self.cx, claims).await
    }

    /// Change a member's role (an owner's or admin's token; only an owner makes an owner
    /// or changes one); `None` when the tenant has no member `member`. `LAST_OWNER` when it
    /// would leave the tenant without an owner (also when two owners demote each other at
    /// once: one of them is refused). Audited.
    pub async fn set_member_role(
        &self,
        claims: &Claims,
        member: ObjectId,
        role: Role,
    ) -> Result<Option<Member>> {
        self.open()?;
        let claims = claims.clone();
        self.detached(move |cx| async move { members::set_role(&cx, &claims, member, role).await })
            .await
    }

    /// Remove a member (an owner's or admin's token; only an owner removes an owner): its
    /// sessions end and its tokens stop verifying. `false` when the tenant has no member
    /// `member`; `FORBIDDEN` for the tenant's first admin (it may be demoted);
    /// `LAST_OWNER` for the last owner. Audited.
    pub async fn remove_member(&self, claims: &Claims, member: ObjectId) -> Result<bool> {
        self.open()?;
        let claims = claims.clone();
        self.detached(move |cx| async move { members::remove(&cx, &claims, member).await })
            .await
    }

    /// Invite an email into the claims' tenant with a role (an owner's or admin's token;
    /// only an owner invites an owner). The token is in the answer this once, only its
    /// digest is stored; it works once, until it expires or is revoked.
    /// `TENANT_ALREADY_EXISTS` on `email` for a member's email. Audited.
    pub async fn invite_member(
        &self,
        claims: &Claims,
        invitation: NewInvitation,
    ) -> Result<Invitation> {
        self.open()?;
        let claims = claims.clone();
        self.detached(|cx| async move { members::invite(&cx, &claims, invitation).await })
            .await
    }

    /// The claims' tenant's pending invitations (an owner's or admin's token), oldest
    /// first, without their tokens.
    pub async fn invitations(&self, claims: &Claims) -> Result<Vec<InvitationInfo>> {
        self.open()?;
        members::list_invitations(&self.cx, claims).await
    }

    /// Revoke a pending invitation of the claims' tenant; whether there was one by this id.
    pub async fn revoke_invitation(&self, claims: &Claims, invitation: ObjectId) -> Result<bool> {
        self.open()?;
        let claims = claims.clone();
        self.detached(move |cx| async move {
            members::revoke_invitation(&cx, &claims, invitation).await
        })
        .await
    }

    /// Accept an invitation: its email joins its tenant with its role and `password`, and
    /// logs in like any member. `UNAUTHORIZED` for an unknown, used, expired or revoked
    /// invitation (of two racing accepts, exactly one joins); `INVALID_INPUT` for a weak
    /// password; `TENANT_SUSPENDED` while the tenant is suspended.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> Result<Member> {
        self.open()?;
        let (token, password) = (token.to_owned(), password.to_owned());
        self.detached(|cx| async move { members::accept(&cx, &token, &password).await })
            .await
    }

    /// The claims of an API key (`tnk_...`): its secret compared in constant time, the key
    /// neither revoked nor expired (`UNAUTHORIZED`), its tenant there and not suspended
    /// (`TENANT_SUSPENDED`). The claims carry the key's id and scopes
    /// ([`Claims::has_scope`]); they reach the tenant's data, never manage the tenant.
    pub async fn verify_api_key(&self, key: &str) -> Result<Claims> {
        self.open()?;
        api_keys::verify(&self.cx, key).await
    }

    /// A bearer credential of either kind: an API key (it begins with
    /// [`API_KEY_PREFIX`](crate::API_KEY_PREFIX)) or an access token.
    pub async fn verify_credential(&self, credential: &str) -> Result<Claims> {
        match api_keys::is_api_key(credential) {
            true => self.verify_api_key(credential).await,
            false => self.verify_token(credential).await,
        }
    }

    /// Check a token's signature, algorithm and expiry only, without the database: faster,
    /// but a revoked token passes. Use [`verify_token`](Self::verify_token) to authorize.
    /// With `EdDSA`, the keys are those this process has read (a key made by another
    /// process within the last moments may be unknown here; `verify_token` reads it).
    pub fn decode_token(&self, token: &str) -> Result<Claims> {
        self.cx.tokens.decode(token)
    }

    /// The published token-verification keys, a JWKS document (RFC 7517) to serve at
    /// `/.well-known/jwks.json`: with `EdDSA`, every key that signs, will sign, or still
    /// verifies tokens it signed; `{"keys": []}` with an HMAC algorithm (a secret is never
    /// published).
    pub async fn jwks(&self) -> Result<serde_json::Value> {
        self.open()?;
        self.cx.tokens.jwks(&self.cx.store).await
    }

    /// The signing keys' timeline (`EdDSA`), read now: when each activates, retires and
    /// stops verifying. `INVALID_INPUT` with an HMAC algorithm.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyInfo>> {
        self.open()?;
        self.cx.tokens.signing_keys(&self.cx.store).await
    }

    /// Rotate the signing keys now (`EdDSA`; an operator call): a new key is published at
    /// once and signs from [`Config::signing_key_lead`] later; the key it replaces keeps
    /// verifying its tokens until they have all expired. `INVALID_INPUT` with an HMAC
    /// algorithm.
    pub async fn rotate_signing_key(&self) -> Result<SigningKeyInfo> {
        self.open()?;
        let key = self.cx.tokens.rotate(&self.cx.store).await?;
        tracing::info!(kid = %key.kid, activates_at = %key.activates_at, "signing key rotated");
        Ok(key)
    }

    /// The tenant's own collection, for the tenant the claims belong to, so application
    /// code reaches its own tenant's data only.
    ///
    /// Writes through the handle survive a rename: a write refused by the tombstone at the
    /// old name is retried on the tenant's current collection. A raw `Collection` (or a
    /// name) kept across a rename gets its writes refused (error 121) instead of losing
    /// them.
    pub async fn tenant_collection<T: Send + Sync>(
        &self,
        claims: &Claims,
    ) -> Result<TenantCollection<T>> {
        self.open()?;
        let org = login::check_not_revoked(&self.cx, claims).await?;
        let collection = self.cx.data(&org)?.db.collection(org.data_collection());
        Ok(TenantCollection::new(
            Arc::clone(&self.cx),
            &org,
            crate::placement::DEFAULT_COLLECTION,
            collection,
        ))
    }

    /// `Ok` if `token` is the configured operator token (compared in constant time):
    /// `FORBIDDEN` when operator calls are off (no token configured), `UNAUTHORIZED` for
    /// another token. For servers that expose operator calls such as
    /// [`move_tenant`](Self::move_tenant).
    pub fn check_operator(&self, token: &str) -> Result<()> {
        use sha2::{Digest, Sha256};
        let Some(expected) = &self.cx.config.operator_token else {
            return Err(Error::Forbidden {
                message: "operator calls are off (no operator token is configured)".into(),
            });
        };
        let (a, b) = (
            Sha256::digest(token.as_bytes()),
            Sha256::digest(expected.expose().as_bytes()),
        );
        let differ = a
            .iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        if differ == 0 {
            Ok(())
        } else {
            Err(Error::unauthorized("the operator token is not valid"))
        }
    }

    /// Move the data of the tenant named `name` to another layout and/or cluster, online:
    /// copied in batches, caught up with a change stream, then writes fenced for a short
    /// cut-over while the copy is verified (counts and a content checksum) and the record
    /// switched; the source is emptied only then. Writes through a scope during the
    /// cut-over wait for it (up to the database timeout) and land in the new place; a
    /// handle of the application's own driver kept across the move gets its writes refused
    /// (error 121), never lost. A crash at any step is finished or undone by
    /// [`recover`](Self::recover).
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn move_tenant(&self, name: &str, target: MoveTarget) -> Result<Tenant> {
        self.relocate(name, target, None).await
    }

    /// [`move_tenant`](Self::move_tenant), reporting progress to `progress` (after each
    /// batch copied, and when done).
    pub async fn move_tenant_with_progress(
        &self,
        name: &str,
        target: MoveTarget,
        progress: impl Fn(&MoveProgress) + Send + Sync + 'static,
    ) -> Result<Tenant> {
        self.relocate(name, target, Some(Arc::new(progress))).await
    }

    async fn relocate(
        &self,
        name: &str,
        target: MoveTarget,
        progress: Option<crate::lifecycle::relocate::Progress>,
    ) -> Result<Tenant> {
        self.open()?;
        let name = name.to_owned();
        self.changing(move |cx| async move {
            let detail = doc! {
                "layout": target.layout.map(|l| l.as_str()),
                "cluster": target.cluster.clone(),
            };
            let moved = crate::lifecycle::relocate::relocate(&cx, &name, target, progress).await?;
            audit::record(&cx.store, moved.id, "operator", "move", "ok", detail).await;
            Ok(moved)
        })
        .await
    }

    /// The claims' tenant's data, whatever its layout (see [`TenantScope`]).
    pub async fn scope(&self, claims: &Claims) -> Result<TenantScope> {
        self.open()?;
        let org = login::check_not_revoked(&self.cx, claims).await?;
        Ok(TenantScope::new(Arc::clone(&self.cx), &org))
    }

    /// Where the logical collection `logical` of the claims' tenant is, for the
    /// application's own driver ([`DEFAULT_COLLECTION`](crate::DEFAULT_COLLECTION) is the
    /// tenant's default one). No round trip: verified claims carry the tenant's placement
    /// (`INVALID_INPUT` for claims from [`decode_token`](Self::decode_token)). In the
    /// `shared` layout, every operation must go through the returned confinement.
    pub fn locate(&self, claims: &Claims, logical: &str) -> Result<Location> {
        crate::scope::locate(claims, logical)
    }

    /// The data of the tenant named `name`, for administration (migrations, support,
    /// exports): no token is checked, so only trusted code may call it.
    pub async fn admin_scope(&self, name: &str) -> Result<TenantScope> {
        let org = self.visible(name).await?;
        Ok(TenantScope::new(Arc::clone(&self.cx), &org))
    }

    /// Write the tenant named `name` to `out` as one archive (see [`ArchiveManifest`] and
    /// the format in the crate's README): its record, admins (with their password
    /// hashes: an archive is as sensitive as the database), every logical collection with
    /// its options, indexes and documents, its audit log, and a manifest of counts and
    /// checksums. Streamed: memory does not grow with the data. A live export: writes made
    /// meanwhile may or may not be in it.
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn export_tenant<W>(&self, name: &str, out: &mut W) -> Result<ArchiveManifest>
    where
        W: tokio::io::AsyncWrite + Unpin + Send,
    {
        self.export_tenant_with_progress(name, out, |_| {}).await
    }

    /// [`export_tenant`](Self::export_tenant), reporting progress (documents written of
    /// the total) to `progress`.
    pub async fn export_tenant_with_progress<W>(
        &self,
        name: &str,
        out: &mut W,
        progress: impl Fn(&MoveProgress) + Send + Sync,
    ) -> Result<ArchiveManifest>
    where
        W: tokio::io::AsyncWrite + Unpin + Send,
    {
        self.open()?;
        let org = self.visible(name).await?;
        archive::export(&self.cx, &org, out, Some(&progress)).await
    }

    /// Import a tenant from an archive read from `input`, under its name or
    /// `options.name`, on this deployment (any deployment: the archive is self-contained).
    /// The tenant stays hidden until its documents are in and match the archive's manifest;
    /// a failure at any point (a damaged archive, a taken name) leaves nothing behind, and
    /// an import whose process dies is purged by [`recover`](Self::recover) two minutes
    /// after its last batch (its name and email are held until then).
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn import_tenant<R>(
        &self,
        input: &mut R,
        options: ImportOptions,
    ) -> Result<(Tenant, ArchiveManifest)>
    where
        R: tokio::io::AsyncRead + Unpin + Send,
    {
        self.import_tenant_with_progress(input, options, |_| {})
            .await
    }

    /// [`import_tenant`](Self::import_tenant), reporting progress to `progress`.
    pub async fn import_tenant_with_progress<R>(
        &self,
        input: &mut R,
        options: ImportOptions,
        progress: impl Fn(&MoveProgress) + Send + Sync,
    ) -> Result<(Tenant, ArchiveManifest)>
    where
        R: tokio::io::AsyncRead + Unpin + Send,
    {
        self.open()?;
        let result = archive::import(&self.cx, input, options, Some(&progress)).await;
        self.cx.cache.forget_all();
        result
    }

    /// Declare the schema every tenant's data follows (see [`Schema`]): from now on a new
    /// tenant gets its indexes and is recorded as having every migration;
    /// [`migrate`](Self::migrate) brings the others there. `INVALID_INPUT` for an empty or
    /// repeated migration id.
    pub fn set_schema(&self, schema: Schema) -> Result<()> {
        schema.check()?;
        *self
            .cx
            .schema
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(schema));
        Ok(())
    }

    /// Apply the declared schema's migrations that each active tenant lacks, in order,
    /// `options.parallelism` tenants at a time (see the `schema` module docs: the ledger,
    /// resumption after a crash, idempotence, a changed migration). A tenant's failure is
    /// reported in [`MigrateReport::failed`] and stops that tenant only, unless
    /// `stop_on_failure`. `INVALID_INPUT` when no schema was declared.
    ///
    /// The run goes on to its end if the caller stops waiting.
    ///
    /// An administration call: no token is checked, so only trusted code may call it.
    pub async fn migrate(&self, options: MigrateOptions) -> Result<MigrateReport> {
        self.open()?;
        let declared = self
            .cx
            .schema
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(schema) = declared else {
            return Err(Error::invalid(
                "schema",
                "no schema is declared (set_schema)",
            ));
        };
        // A run whose caller stops waiting goes on to its end (its claims would otherwise
        // hold the tenants until their lease ran out).
        self.detached(move |cx| async move { schema::migrate(&cx, &schema, &options).await })
            .await
    }

    /// One page of the audit log of the tenant `tenant` (by id: a purged tenant's log
    /// stays), in order. An administration call: only trusted code may call it.
    pub async fn audit_log(&self, tenant: ObjectId, query: &AuditQuery) -> Result<AuditPage> {
        self.open()?;
        audit::list(&self.cx.store, tenant, query).await
    }

    /// Walk the audit log of `tenant` and say whether its hash chain is whole, and where
    /// it breaks if not (an entry edited, removed, or put out of order).
    pub async fn verify_audit(&self, tenant: ObjectId) -> Result<AuditVerification> {
        self.open()?;
        audit::verify(&self.cx.store, tenant).await
    }

    /// The counters of the hot path's cache (tenant records and token versions, kept
    /// coherent by a change stream; `cache_capacity` bounds it, 0 turns it off).
    pub fn cache_stats(&self) -> CacheStats {
        self.cx.cache.stats()
    }

    /// Finish or undo every lifecycle operation whose owner stopped before the end (a
    /// crash, a killed process) and whose lease has run out; adopt records written by the
    /// original service; sweep garbage keys and old tombstones; list collections no tenant
    /// owns. A tenant that cannot be recovered is reported in
    /// [`RecoveryReport::failed`]; the others are recovered all the same.
    pub async fn recover(&self) -> Result<RecoveryReport> {
        self.open()?;
        self.changing(|cx| async move { recover::recover_all(&cx).await })
            .await
    }

    /// Whether the database answers (within the configured timeout): `DATABASE` if not.
    pub async fn ping(&self) -> Result<()> {
        self.open()?;
        self.cx.store.ping().await
    }

    /// Close the manager: refuse new calls (`CLOSED`), wait for the operations already
    /// running to end, then close the connections of a client the manager made from a URI
    /// (a client passed in stays the application's). Every clone is closed with it.
    /// Idempotent.
    pub async fn close(&self) {
        self.cx.running.close();
        self.cx.running.wait().await;
        self.cx.cache.stop();
        if matches!(self.cx.config.connection, crate::config::Connection::Uri(_)) {
            self.cx
                .store
                .client
                .clone()
                .shutdown()
                .immediate(true)
                .await;
        }
        for cluster in &self.cx.config.clusters {
            if matches!(cluster.connection, crate::config::Connection::Uri(_)) {
                if let Ok(client) = self.cx.client_of(&cluster.name) {
                    client.clone().shutdown().immediate(true).await;
                }
            }
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.cx.running.is_closed()
    }

    /// The visible tenant named `name` (any spelling of it).
    async fn visible(&self, name: &str) -> Result<crate::store::OrgDoc> {
        self.open()?;
        let target = TenantName::parse(name, self.cx.config.tenants_db())?;
        let found = self
            .cx
            .cache
            .visible_org_by_key(&self.cx.store, target.key())
            .await?;
        found.ok_or_else(|| Error::not_found(target.display()))
    }

    fn open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }
}

/// The audit actor of an admin's claims.
fn admin_actor(claims: &Claims) -> String {
    format!("admin:{}", claims.admin_id().to_hex())
}

/// `ok`, or the error's code.
fn outcome_of<T>(result: &Result<T>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// The audit events of an update: one per change asked (never a password itself).
fn update_events(update: &TenantUpdate, name: &str) -> Vec<(&'static str, Document)> {
    let mut events = Vec::new();
    if let Some(to) = &update.new_name {
        events.push(("rename", doc! { "from": name, "to": to }));
    }
    if let Some(to) = &update.admin_email {
        events.push(("email_change", doc! { "to": to }));
    }
    if update.admin_password.is_some() {
        events.push(("password_change", Document::new()));
    }
    events
}
