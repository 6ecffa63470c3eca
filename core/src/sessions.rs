//! Sessions: a login that returns a short access token and an opaque refresh token, and
//! refreshes that rotate it.
//!
//! A refresh token is `<id>.<secret>`: the id of its entry in `tenant_sessions` (catalog)
//! and 32 random bytes, stored only as their SHA-256 and compared in constant time. Each
//! works once: a refresh marks it used (one conditional write) and issues the next token of
//! the same *family*, which keeps the absolute expiry of the login. Presenting a token
//! that was already used, also when two presentations race, ends the whole family (OWASP
//! ASVS 3.5 / 10.4.5: a stolen refresh token used by both thief and owner ends both). A
//! password change (the admin's token version) ends the admin's sessions at their next
//! refresh; `end_session` and `end_all_sessions` end them at once, and the latter also
//! revokes every access token of the admin. Entries go when they expire (a TTL index).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;

use crate::auth::opaque::{digest, is_secret, matches, secret};
use crate::auth::{login, AccessToken, Claims};
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::store::Store;

/// The catalog's collection of sessions.
pub(crate) const TENANT_SESSIONS: &str = "tenant_sessions";

/// A login's tokens: a short access token and the refresh token that renews it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// The access token (expires after [`Config::session_access_ttl`](crate::Config)).
    pub access: AccessToken,
    /// The refresh token: opaque, works once, shown only here.
    pub refresh_token: String,
    /// The session (the refresh token's family).
    pub session_id: ObjectId,
    /// When the session ends whatever its refreshes (the login's time plus
    /// [`Config::session_refresh_ttl`](crate::Config)).
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access", &self.access)
            .field("refresh_token", &"***")
            .field("session_id", &self.session_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A session as its admin lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session's id (for [`TenantManager::end_session`](crate::TenantManager::end_session)).
    pub id: ObjectId,
    /// When its login was.
    pub created_at: DateTime<Utc>,
    /// When it was last refreshed (its login's time if never).
    pub refreshed_at: DateTime<Utc>,
    /// When it ends whatever its refreshes.
    pub expires_at: DateTime<Utc>,
    /// The client address of its login, when the caller gave one.
    pub client: Option<String>,
}

fn sessions(store: &Store) -> mongodb::Collection<Document> {
    store.catalog(TENANT_SESSIONS)
}

pub(crate) async fn ensure_indexes(store: &Store) -> Result<()> {
    let named = |name: &str| IndexOptions::builder().name(name.to_owned());
    sessions(store)
        .create_indexes([
            IndexModel::builder()
                .keys(doc! { "family": 1 })
                .options(named("family").build())
                .build(),
            IndexModel::builder()
                .keys(doc! { "admin": 1 })
                .options(named("admin").build())
                .build(),
            IndexModel::builder()
                .keys(doc! { "expires_at": 1 })
                .options(
                    named("expiry")
                        .expire_after(std::time::Duration::ZERO)
                        .build(),
                )
                .build(),
        ])
        .await?;
    Ok(())
}

fn refused(reason: &str) -> Error {
    Error::unauthorized(reason)
}

/// Write a token of `family` and return it with its access token.
#[allow(clippy::too_many_arguments)]
async fn issue(
    cx: &Cx,
    family: ObjectId,
    parent: Option<ObjectId>,
    started_at: Option<bson::DateTime>,
    admin: ObjectId,
    tenant: ObjectId,
    tenant_name: &str,
    version: i64,
    expires_at: bson::DateTime,
    client: Option<&str>,
) -> Result<Session> {
    let id = ObjectId::new();
    let secret = secret();
    let now = bson::DateTime::now();
    let mut entry = doc! {
        "_id": id,
        "family": family,
        "admin": admin,
        "tenant": tenant,
        "ver": version,
        "hash": digest(&secret),
        "created_at": now,
        "started_at": started_at.unwrap_or(now),
        "expires_at": expires_at,
    };
    if let Some(parent) = parent {
        entry.insert("parent", parent);
    }
    if let Some(client) = client {
        entry.insert("client", client);
    }
    sessions(&cx.store).insert_one(entry).await?;
    let access = cx
        .tokens
        .issue_for(
            &cx.store,
            admin,
            tenant,
            tenant_name,
            version,
            cx.config.session_access_ttl,
            family,
        )
        .await?;
    Ok(Session {
        access,
        refresh_token: format!("{}.{secret}", id.to_hex()),
        session_id: family,
        expires_at: expires_at.to_chrono(),
    })
}

/// Log in (as [`login::authenticate`]: throttled, audited) and open a session.
pub(crate) async fn login(
    cx: &Cx,
    email: &str,
    password: &str,
    tenant: Option<&str>,
    client: Option<&str>,
) -> Result<Session> {
    let token = login::authenticate(cx, email, password, tenant, client).await?;
    // The version the password was checked under: a password changed meanwhile ends this
    // session at its first refresh.
    let version = cx
        .tokens
        .decode_fresh(&cx.store, &token.access_token)
        .await?
        .token_version();
    let ttl = chrono::Duration::from_std(cx.config.session_refresh_ttl)
        .map_err(|_| Error::Config("session_refresh_ttl: is too long".into()))?;
    let expires_at = bson::DateTime::from_chrono(Utc::now() + ttl);
    let family = ObjectId::new();
    issue(
        cx,
        family,
        None,
        None,
        token.admin_id,
        token.tenant_id,
        &token.tenant_name,
        version,
        expires_at,
        client,
    )
    .await
}

/// End every session of `family` (all its tokens).
async fn end_family(cx: &Cx, family: ObjectId, why: &str) -> Result<u64> {
    let open = doc! { "family": family, "revoked_at": { "$exists": false } };
    let end = doc! { "$set": { "revoked_at": bson::DateTime::now(), "revoked_for": why } };
    Ok(sessions(&cx.store)
        .update_many(open, end)
        .await?
        .modified_count)
}

/// Refresh: the next token of the family, the presented one used up.
pub(crate) async fn refresh(cx: &Cx, presented: &str) -> Result<Session> {
    let malformed = || refused("refresh token is malformed");
    let (id, secret) = presented.split_once('.').ok_or_else(malformed)?;
    if !is_secret(secret) {
        return Err(malformed());
    }
    let id = ObjectId::parse_str(id).map_err(|_| malformed())?;
    let store = &cx.store;
    let unknown = || refused("refresh token is unknown, expired or ended");
    let entry = sessions(store)
        .find_one(doc! { "_id": id })
        .await?
        .ok_or_else(unknown)?;
    // Only the holder of the secret may use, or burn, a token.
    if !matches(entry.get_str("hash").unwrap_or_default(), secret) {
        return Err(unknown());
    }
    let family = entry.get_object_id("family").map_err(Error::internal)?;
    let expires_at = *entry.get_datetime("expires_at").map_err(Error::internal)?;
    if entry.contains_key("revoked_at") || expires_at <= bson::DateTime::now() {
        return Err(unknown());
    }
    let admin_id = entry.get_object_id("admin").map_err(Error::internal)?;
    let tenant_id = entry.get_object_id("tenant").map_err(Error::internal)?;
    // The admin's password unchanged and the tenant there: otherwise the session is over.
    let version = entry.get_i64("ver").map_err(Error::internal)?;
    let admin = store.admin(admin_id).await?;
    let current = admin
        .as_ref()
        .is_some_and(|a| a.organization_id == tenant_id && a.token_version == version);
    let org = match (current, store.org(tenant_id).await?) {
        (true, Some(org)) if org.is_visible() => org,
        _ => {
            end_family(cx, family, "revoked").await?;
            return Err(Error::revoked());
        }
    };
    // Suspended: refused, the token kept for after the suspension.
    login::not_suspended(&org)?;
    // Used once: the first presentation wins, any other ends the family.
    let fresh =
        doc! { "_id": id, "used_at": { "$exists": false }, "revoked_at": { "$exists": false } };
    let used = sessions(store)
        .update_one(fresh, doc! { "$set": { "used_at": bson::DateTime::now() } })
        .await?;
    if used.modified_count != 1 {
        end_family(cx, family, "reuse").await?;
        let actor = format!("admin:{}", admin_id.to_hex());
        let detail = doc! { "session": family };
        crate::audit::record(store, tenant_id, &actor, "refresh", "REUSED", detail).await;
        return Err(refused(
            "refresh token was already used: its session is ended",
        ));
    }
    // The session began when its family did (entries older than this field: at their own
    // creation).
    let started_at = entry
        .get_datetime("started_at")
        .or_else(|_| entry.get_datetime("created_at"))
        .copied()
        .map_err(Error::internal)?;
    let next = issue(
        cx,
        family,
        Some(id),
        Some(started_at),
        admin_id,
        tenant_id,
        &org.organization_name,
        version,
        expires_at,
        entry.get_str("client").ok(),
    )
    .await?;
    // A reuse that raced this refresh ended the family meanwhile: the new token with it.
    let ended = doc! { "family": family, "revoked_at": { "$exists": true } };
    if sessions(store).find_one(ended).await?.is_some() {
        end_family(cx, family, "reuse").await?;
        return Err(refused(
            "refresh token was already used: its session is ended",
        ));
    }
    Ok(next)
}

/// The open sessions of the claims' admin, newest first.
pub(crate) async fn list(cx: &Cx, claims: &Claims) -> Result<Vec<SessionInfo>> {
    use futures_util::TryStreamExt;
    login::require_admin(claims)?;
    login::check_not_revoked(cx, claims).await?;
    let open = doc! {
        "admin": claims.admin_id(),
        "used_at": { "$exists": false },
        "revoked_at": { "$exists": false },
        "expires_at": { "$gt": bson::DateTime::now() },
    };
    let live: Vec<Document> = sessions(&cx.store)
        .find(open)
        .sort(doc! { "created_at": -1 })
        .await?
        .try_collect()
        .await?;
    let mut out = Vec::with_capacity(live.len());
    for e in live {
        let family = e.get_object_id("family").map_err(Error::internal)?;
        let refreshed_at = e
            .get_datetime("created_at")
            .map_err(Error::internal)?
            .to_chrono();
        out.push(SessionInfo {
            id: family,
            created_at: e
                .get_datetime("started_at")
                .map_or(refreshed_at, |d| d.to_chrono()),
            refreshed_at,
            expires_at: e
                .get_datetime("expires_at")
                .map_err(Error::internal)?
                .to_chrono(),
            client: e.get_str("client").ok().map(str::to_owned),
        });
    }
    Ok(out)
}

/// End one session of the claims' admin; `TENANT_NOT_FOUND`-free: ending a session that is
/// not theirs or not open changes nothing and says so (`false`).
pub(crate) async fn end(cx: &Cx, claims: &Claims, session: ObjectId) -> Result<bool> {
    login::require_admin(claims)?;
    login::check_not_revoked(cx, claims).await?;
    let theirs =
        doc! { "family": session, "admin": claims.admin_id(), "revoked_at": { "$exists": false } };
    let end = doc! { "$set": { "revoked_at": bson::DateTime::now(), "revoked_for": "ended" } };
    Ok(sessions(&cx.store)
        .update_many(theirs, end)
        .await?
        .modified_count
        > 0)
}

/// After a password change made with a session's token: that session goes on (its live
/// refresh token moves to the admin's new token version, so its next refresh works), the
/// admin's other sessions end now. Nothing when the claims are no session's, or the
/// password did not change.
pub(crate) async fn keep_current(cx: &Cx, claims: &Claims) -> Result<()> {
    let Some(family) = claims.session_id() else {
        return Ok(());
    };
    let Some(admin) = cx.store.admin(claims.admin_id()).await? else {
        return Ok(());
    };
    if admin.token_version == claims.token_version() {
        return Ok(());
    }
    let now = bson::DateTime::now();
    let others = doc! {
        "admin": admin.id,
        "family": { "$ne": family },
        "revoked_at": { "$exists": false },
    };
    let end = doc! { "$set": { "revoked_at": now, "revoked_for": "password changed" } };
    sessions(&cx.store).update_many(others, end).await?;
    let mine = doc! {
        "admin": admin.id,
        "family": family,
        "ver": claims.token_version(),
        "used_at": { "$exists": false },
        "revoked_at": { "$exists": false },
    };
    let moved = doc! { "$set": { "ver": admin.token_version } };
    sessions(&cx.store).update_many(mine, moved).await?;
    Ok(())
}

/// End every session of admin `admin` (a member removed), for `why`.
pub(crate) async fn end_all_of(cx: &Cx, admin: ObjectId, why: &str) -> Result<u64> {
    let theirs = doc! { "admin": admin, "revoked_at": { "$exists": false } };
    let end = doc! { "$set": { "revoked_at": bson::DateTime::now(), "revoked_for": why } };
    Ok(sessions(&cx.store)
        .update_many(theirs, end)
        .await?
        .modified_count)
}

/// End every session of the claims' admin and revoke its access tokens (its token version
/// moves on); how many sessions were open.
pub(crate) async fn end_all(cx: &Cx, claims: &Claims) -> Result<u64> {
    login::require_admin(claims)?;
    login::check_not_revoked(cx, claims).await?;
    let admin = claims.admin_id();
    let open = doc! { "admin": admin, "revoked_at": { "$exists": false }, "used_at": { "$exists": false } };
    let count = sessions(&cx.store).count_documents(open).await?;
    let theirs = doc! { "admin": admin, "revoked_at": { "$exists": false } };
    let end = doc! { "$set": { "revoked_at": bson::DateTime::now(), "revoked_for": "ended" } };
    sessions(&cx.store).update_many(theirs, end).await?;
    cx.store
        .admins
        .update_one(
            doc! { "_id": admin },
            doc! { "$inc": { "token_version": 1 } },
        )
        .await?;
    // This process refuses the admin's tokens at once; the others when the change stream
    // tells them.
    cx.cache.forget_all();
    Ok(count)
}
