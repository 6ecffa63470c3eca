//! Tenant API keys, for machine clients: `tnk_<id>_<secret>`, shown once at creation and
//! stored as the secret's digest in `tenant_api_keys` (catalog), with the key's tenant,
//! name, scopes, maker, optional expiry, last use and revocation. `tnk_<id>` is the key's
//! prefix: it names the key in listings, logs and secret scanners without revealing it.
//! A key verifies into the same [`Claims`] as a token, with its scopes; it may reach its
//! tenant's data, never manage the tenant.

use chrono::{DateTime, TimeZone, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Document};

use crate::auth::opaque::{digest, is_secret, matches, secret};
use crate::auth::{login, Claims};
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::members::Action;
use crate::store::Store;

pub(crate) const TENANT_API_KEYS: &str = "tenant_api_keys";

/// What every key starts with.
pub const API_KEY_PREFIX: &str = "tnk_";
/// Most scopes a key may hold.
pub const MAX_SCOPES: usize = 32;
/// Most keys a tenant may hold (revoked ones do not count).
pub const MAX_KEYS: u64 = 100;
/// A last use is written at most this often per key (seconds), so that busy keys do not
/// turn every request into a write.
const LAST_USED_EVERY: i64 = 60;

/// A key to make: a name for people, scopes for the application, an optional expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    name: String,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
}

impl NewApiKey {
    /// A key named `name` (1 to 100 characters) with `scopes` (1 to 32, each 1 to 64 of
    /// `A-Z a-z 0-9 : . _ -`), which does not expire. A bad name is `INVALID_INPUT` on
    /// `api_key_name` (`name` in the HTTP contract; a tenant's `name` is another field).
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        NewApiKey {
            name: name.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            expires_at: None,
        }
    }

    /// The key stops verifying at `at` (which must be in the future).
    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }

    fn validate(mut self) -> Result<Self> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "api_key_name",
                "must be 1 to 100 characters, without control characters",
            ));
        }
        self.name = name.to_owned();
        if self.scopes.is_empty() || self.scopes.len() > MAX_SCOPES {
            return Err(Error::invalid("scopes", "must hold 1 to 32 scopes"));
        }
        for scope in &self.scopes {
            let allowed = |c: char| c.is_ascii_alphanumeric() || ":._-".contains(c);
            if scope.is_empty() || scope.len() > 64 || !scope.chars().all(allowed) {
                return Err(Error::invalid(
                    "scopes",
                    "each scope is 1 to 64 characters of A-Z a-z 0-9 : . _ -",
                ));
            }
        }
        self.scopes.sort();
        self.scopes.dedup();
        if self.expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(Error::invalid("expires_at", "must be in the future"));
        }
        Ok(self)
    }
}

/// A key as listed: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiKeyInfo {
    /// Its id (what [`revoke_api_key`](crate::TenantManager::revoke_api_key) takes).
    pub id: ObjectId,
    /// `tnk_<id>`: how the key begins.
    pub prefix: String,
    /// Its name.
    pub name: String,
    /// Its scopes, sorted.
    pub scopes: Vec<String>,
    /// The admin who made it.
    pub created_by: ObjectId,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops verifying, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key just made: the key itself, shown this once, and what will be listed of it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiKey {
    /// The key, `tnk_<id>_<secret>`, to send as `Authorization: Bearer <key>`. Only its
    /// digest is stored: it cannot be shown again.
    pub key: String,
    /// The key as it will be listed.
    pub info: ApiKeyInfo,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &format_args!("{}_***", self.info.prefix))
            .field("info", &self.info)
            .finish()
    }
}

fn keys(store: &Store) -> mongodb::Collection<Document> {
    store.catalog(TENANT_API_KEYS)
}

pub(crate) async fn ensure_indexes(store: &Store) -> Result<()> {
    let by_tenant = crate::store::index(doc! { "tenant": 1, "created_at": 1 }, "tenant");
    keys(store).create_index(by_tenant).await?;
    Ok(())
}

/// "Never" in [`Claims::expires_at`] of a key without an expiry.
fn never() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
}

fn info(e: &Document) -> Result<ApiKeyInfo> {
    let id = e.get_object_id("_id").map_err(Error::internal)?;
    let time = |field: &str| e.get_datetime(field).ok().map(|d| d.to_chrono());
    Ok(ApiKeyInfo {
        id,
        prefix: format!("{API_KEY_PREFIX}{}", id.to_hex()),
        name: e.get_str("name").map_err(Error::internal)?.to_owned(),
        scopes: e
            .get_array("scopes")
            .map_err(Error::internal)?
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        created_by: e.get_object_id("created_by").map_err(Error::internal)?,
        created_at: time("created_at")
            .ok_or_else(|| Error::internal("a key without created_at"))?,
        expires_at: time("expires_at"),
        last_used_at: time("last_used_at"),
    })
}

fn live(tenant: ObjectId) -> Document {
    doc! { "tenant": tenant, "revoked_at": { "$exists": false } }
}

/// Make a key for the claims' tenant (an admin's token only).
pub(crate) async fn create(cx: &Cx, claims: &Claims, new: NewApiKey) -> Result<ApiKey> {
    let new = new.validate()?;
    let (org, _) = crate::members::acting(cx, claims, Action::ManageKeys).await?;
    let store = &cx.store;
    if keys(store).count_documents(live(org.id)).await? >= MAX_KEYS {
        return Err(Error::Conflict {
            message: format!("a tenant holds at most {MAX_KEYS} API keys: revoke one first"),
        });
    }
    let id = ObjectId::new();
    let secret = secret();
    let now = Utc::now();
    let mut entry = doc! {
        "_id": id,
        "tenant": org.id,
        "name": &new.name,
        "scopes": &new.scopes,
        "hash": digest(&secret),
        "created_by": claims.admin_id(),
        "created_at": bson::DateTime::from_chrono(now),
    };
    if let Some(at) = new.expires_at {
        entry.insert("expires_at", bson::DateTime::from_chrono(at));
    }
    keys(store).insert_one(&entry).await?;
    let info = info(&entry)?;
    let actor = format!("admin:{}", claims.admin_id().to_hex());
    let detail = doc! { "key": &info.prefix, "name": &info.name, "scopes": &info.scopes };
    crate::audit::record(store, org.id, &actor, "api_key.create", "ok", detail).await;
    Ok(ApiKey {
        key: format!("{}_{secret}", info.prefix),
        info,
    })
}

/// The claims' tenant's keys that are not revoked (expired ones too), oldest first.
pub(crate) async fn list(cx: &Cx, claims: &Claims) -> Result<Vec<ApiKeyInfo>> {
    use futures_util::TryStreamExt;
    let (org, _) = crate::members::acting(cx, claims, Action::ManageKeys).await?;
    let found: Vec<Document> = keys(&cx.store)
        .find(live(org.id))
        .sort(doc! { "created_at": 1 })
        .await?
        .try_collect()
        .await?;
    found.iter().map(info).collect()
}

/// Revoke one of the claims' tenant's keys: `false` when it is not one of its live keys.
pub(crate) async fn revoke(cx: &Cx, claims: &Claims, id: ObjectId) -> Result<bool> {
    let (org, _) = crate::members::acting(cx, claims, Action::ManageKeys).await?;
    let mut filter = live(org.id);
    filter.insert("_id", id);
    let now = bson::DateTime::now();
    let by = claims.admin_id();
    let done = keys(&cx.store)
        .update_one(
            filter,
            doc! { "$set": { "revoked_at": now, "revoked_by": by } },
        )
        .await?;
    let revoked = done.modified_count == 1;
    if revoked {
        let actor = format!("admin:{}", by.to_hex());
        let detail = doc! { "key": format!("{API_KEY_PREFIX}{}", id.to_hex()) };
        crate::audit::record(&cx.store, org.id, &actor, "api_key.revoke", "ok", detail).await;
    }
    Ok(revoked)
}

fn refused() -> Error {
    Error::unauthorized("API key is unknown, expired or revoked")
}

/// Whether `credential` has the shape of an API key (rather than a token).
pub(crate) fn is_api_key(credential: &str) -> bool {
    credential.starts_with(API_KEY_PREFIX)
}

/// The claims of a presented key: its secret checked in constant time, the key live, its
/// tenant there and not suspended; its last use recorded.
pub(crate) async fn verify(cx: &Cx, presented: &str) -> Result<Claims> {
    let malformed = || Error::unauthorized("API key is malformed");
    let rest = presented
        .strip_prefix(API_KEY_PREFIX)
        .ok_or_else(malformed)?;
    let (id, secret) = rest.split_once('_').ok_or_else(malformed)?;
    if !is_secret(secret) || id.len() != 24 {
        return Err(malformed());
    }
    let id = ObjectId::parse_str(id).map_err(|_| malformed())?;
    let entry = keys(&cx.store)
        .find_one(doc! { "_id": id })
        .await?
        .ok_or_else(refused)?;
    if !matches(entry.get_str("hash").unwrap_or_default(), secret) {
        return Err(refused());
    }
    let now = Utc::now();
    let expires_at = entry.get_datetime("expires_at").ok().map(|d| d.to_chrono());
    if entry.contains_key("revoked_at") || expires_at.is_some_and(|at| at <= now) {
        return Err(refused());
    }
    let info = info(&entry)?;
    let tenant = entry.get_object_id("tenant").map_err(Error::internal)?;
    let claims = Claims::of_api_key(
        id,
        info.created_by,
        tenant,
        info.scopes,
        info.created_at,
        expires_at.unwrap_or_else(never),
    );
    let org = login::check_not_revoked_org(cx, tenant).await?;
    // At most one write a minute per key, and no round trip at all while the entry just
    // read says the last use is recent; a failed write costs the caller nothing.
    let every = chrono::Duration::seconds(LAST_USED_EVERY);
    if info.last_used_at.is_none_or(|at| at < now - every) {
        let stale = bson::DateTime::from_chrono(now - every);
        let filter = doc! {
            "_id": id,
            "$or": [ { "last_used_at": { "$exists": false } }, { "last_used_at": { "$lt": stale } } ],
        };
        let used = doc! { "$set": { "last_used_at": bson::DateTime::from_chrono(now) } };
        if let Err(e) = keys(&cx.store).update_one(filter, used).await {
            tracing::warn!(key = %info.prefix, error = %e, "an API key's last use could not be recorded");
        }
    }
    Ok(claims.with_tenant(&org, &cx.config.master_db))
}

/// `Ok` while the key `id` of `tenant` is live (for claims verified earlier).
pub(crate) async fn check_live(cx: &Cx, id: ObjectId, tenant: ObjectId) -> Result<()> {
    let filter = doc! { "_id": id, "tenant": tenant, "revoked_at": { "$exists": false } };
    let entry = keys(&cx.store)
        .find_one(filter)
        .await?
        .ok_or_else(refused)?;
    match entry.get_datetime("expires_at") {
        Ok(at) if at.to_chrono() <= Utc::now() => Err(refused()),
        _ => Ok(()),
    }
}

/// Remove every key of a tenant (its purge).
pub(crate) async fn delete_of(store: &Store, tenant: ObjectId) -> Result<()> {
    keys(store).delete_many(doc! { "tenant": tenant }).await?;
    Ok(())
}
