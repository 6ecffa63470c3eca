//! Results crossing the boundary: plain JS objects (and the opaque `Claims` class),
//! camelCase, ids as 24-digit hex strings, timestamps as `Date`. Conversions only.

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{Either, Null};
use napi_derive::napi;

/// A tenant.
#[napi(object)]
pub struct Tenant {
    /// Stable id of the tenant record (24 hex digits).
    pub id: String,
    /// The tenant's name, as given at creation or last rename.
    pub name: String,
    /// The tenant's default collection: `org_<slug>` (or `org_<id>` with stable names) in
    /// the `collection` layout, `data` in the `database` layout, `shared_data` in the
    /// `shared` layout.
    pub collection_name: String,
    /// The database holding the collection.
    pub database: String,
    /// `database.collection`.
    pub namespace: String,
    /// How the tenant's data is laid out.
    #[napi(ts_type = "'collection' | 'database' | 'shared'")]
    pub layout: String,
    /// The cluster holding the tenant's data (`home` unless placed on another).
    pub cluster: String,
    /// The admin's email.
    pub admin_email: String,
    /// The admin's stable id (24 hex digits).
    pub admin_id: String,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
    /// When the tenant was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<tenantry::Tenant> for Tenant {
    fn from(t: tenantry::Tenant) -> Self {
        Tenant {
            id: t.id.to_hex(),
            namespace: t.namespace(),
            name: t.name,
            collection_name: t.collection_name,
            database: t.database,
            layout: t.layout.as_str().to_owned(),
            cluster: t.cluster,
            admin_email: t.admin_email,
            admin_id: t.admin_id.to_hex(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// What `updateTenant` changes; absent (or `null`) fields stay as they are.
#[napi(object)]
pub struct TenantUpdate {
    /// New email of the acting admin.
    #[napi(ts_type = "string | null")]
    pub email: Option<Nullable<String>>,
    /// The acting admin's password. Only a password different from the current one is a
    /// change (and revokes the admin's earlier tokens).
    #[napi(ts_type = "string | null")]
    pub password: Option<Nullable<String>>,
    /// New tenant name: the tenant's collection is renamed with all its data.
    #[napi(ts_type = "string | null")]
    pub new_name: Option<Nullable<String>>,
}

/// A value that may also be `null`: JSON bodies say "no change" with `null` as often as by
/// leaving a field out, and both mean the same here.
type Nullable<T> = Either<T, Null>;

fn given(value: Option<Nullable<String>>) -> Option<String> {
    match value {
        Some(Either::A(value)) => Some(value),
        Some(Either::B(Null)) | None => None,
    }
}

impl From<TenantUpdate> for tenantry::TenantUpdate {
    fn from(u: TenantUpdate) -> Self {
        let mut update = tenantry::TenantUpdate::new();
        if let Some(email) = given(u.email) {
            update = update.admin_email(email);
        }
        if let Some(password) = given(u.password) {
            update = update.admin_password(password);
        }
        if let Some(name) = given(u.new_name) {
            update = update.new_name(name);
        }
        update
    }
}

/// Where a new tenant's data goes (`createTenant`'s options); those left out take the
/// configured defaults (`tenantLayout`, `tenantNaming`, `placement`). The core parses and
/// checks every value.
#[napi(object)]
pub struct TenantOptions {
    /// The tenant's layout.
    #[napi(ts_type = "'collection' | 'database' | 'shared'")]
    pub layout: Option<String>,
    /// How its physical names are made (the `collection` layout only; the others always use
    /// stable names).
    #[napi(ts_type = "'slug' | 'stable'")]
    pub naming: Option<String>,
    /// The cluster to place it on, by name (`home`, or one of `clusters`).
    pub cluster: Option<String>,
    /// Place it on the cluster with this tag that holds the fewest tenants.
    pub tag: Option<String>,
}

impl TryFrom<TenantOptions> for tenantry::TenantOptions {
    type Error = tenantry::Error;

    fn try_from(o: TenantOptions) -> tenantry::Result<Self> {
        let mut options = tenantry::TenantOptions::new();
        if let Some(layout) = o.layout {
            options = options.layout(layout.parse()?);
        }
        if let Some(naming) = o.naming {
            options = options.naming(naming.parse()?);
        }
        if let Some(cluster) = o.cluster {
            options = options.cluster(cluster);
        }
        if let Some(tag) = o.tag {
            options = options.tag(tag);
        }
        Ok(options)
    }
}

/// A freshly issued access token and the ids it carries.
#[napi(object)]
pub struct AccessToken {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
    /// The admin user's id (24 hex digits).
    pub admin_id: String,
    /// The tenant's id (24 hex digits).
    pub tenant_id: String,
    /// The tenant's current name.
    pub tenant_name: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

impl From<tenantry::AccessToken> for AccessToken {
    fn from(t: tenantry::AccessToken) -> Self {
        AccessToken {
            access_token: t.access_token,
            token_type: t.token_type,
            admin_id: t.admin_id.to_hex(),
            tenant_id: t.tenant_id.to_hex(),
            tenant_name: t.tenant_name,
            expires_at: t.expires_at,
        }
    }
}

/// What a token says: who the admin is and which tenant they administer.
///
/// Obtained from `verifyToken` (or `decodeToken`) only, never built by hand: the methods
/// that act on a tenant take it as proof of who is acting.
#[napi]
pub struct Claims {
    pub(crate) inner: tenantry::Claims,
}

#[napi]
impl Claims {
    /// The admin user's id (24 hex digits; stable across email changes).
    #[napi(getter)]
    pub fn admin_id(&self) -> String {
        self.inner.admin_id().to_hex()
    }

    /// The tenant's id (24 hex digits; stable across renames).
    #[napi(getter)]
    pub fn tenant_id(&self) -> String {
        self.inner.tenant_id().to_hex()
    }

    /// The tenant's name: current after `verifyToken`, as issued after `decodeToken`.
    #[napi(getter)]
    pub fn tenant_name(&self) -> String {
        self.inner.tenant_name().to_owned()
    }

    /// The admin's token version when the token was issued.
    #[napi(getter)]
    pub fn token_version(&self) -> i64 {
        self.inner.token_version()
    }

    /// When the token was issued.
    #[napi(getter)]
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.inner.issued_at()
    }

    /// When the token expires.
    #[napi(getter)]
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.inner.expires_at()
    }

    /// The tenant's collection when `verifyToken` checked the claims (`null` after
    /// `decodeToken`).
    #[napi(getter)]
    pub fn collection_name(&self) -> Option<String> {
        self.inner.collection_name().map(str::to_owned)
    }

    /// The database of the tenant's data when `verifyToken` checked the claims (`null` after
    /// `decodeToken`).
    #[napi(getter)]
    pub fn database(&self) -> Option<String> {
        self.inner.database().map(str::to_owned)
    }

    /// The tenant's layout when `verifyToken` checked the claims (`null` after
    /// `decodeToken`).
    #[napi(getter, ts_return_type = "'collection' | 'database' | 'shared' | null")]
    pub fn layout(&self) -> Option<String> {
        self.inner.layout().map(|l| l.as_str().to_owned())
    }

    /// The cluster of the tenant's data when `verifyToken` checked the claims (`null` after
    /// `decodeToken`): an application's own client must be connected to it.
    #[napi(getter)]
    pub fn cluster(&self) -> Option<String> {
        self.inner.cluster().map(str::to_owned)
    }

    /// The claims as a plain object (used by `JSON.stringify` and `console.log`).
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> ClaimsObject {
        ClaimsObject {
            admin_id: self.admin_id(),
            tenant_id: self.tenant_id(),
            tenant_name: self.tenant_name(),
            token_version: self.token_version(),
            issued_at: self.issued_at(),
            expires_at: self.expires_at(),
            collection_name: self.collection_name(),
            database: self.database(),
            layout: self.layout(),
            cluster: self.cluster(),
        }
    }
}

impl From<tenantry::Claims> for Claims {
    fn from(inner: tenantry::Claims) -> Self {
        Claims { inner }
    }
}

/// The fields of `Claims` as a plain object.
#[napi(object)]
pub struct ClaimsObject {
    /// The admin user's id.
    pub admin_id: String,
    /// The tenant's id.
    pub tenant_id: String,
    /// The tenant's name.
    pub tenant_name: String,
    /// The admin's token version when the token was issued.
    pub token_version: i64,
    /// When the token was issued.
    pub issued_at: DateTime<Utc>,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// The tenant's collection when the claims were verified.
    pub collection_name: Option<String>,
    /// The database of the tenant's data when the claims were verified.
    pub database: Option<String>,
    /// The tenant's layout when the claims were verified.
    #[napi(ts_type = "'collection' | 'database' | 'shared' | null")]
    pub layout: Option<String>,
    /// The cluster of the tenant's data when the claims were verified.
    pub cluster: Option<String>,
}

/// Where a tenant's own data lives, for use with the `mongodb` driver:
/// `client.db(c.database).collection(c.collectionName)`.
#[napi(object)]
pub struct TenantCollection {
    /// The database holding the collection.
    pub database: String,
    /// The tenant's default collection (in the `shared` layout, every tenant's: reach it
    /// through `collection(claims, client)`, which confines each operation to the tenant).
    pub collection_name: String,
    /// `database.collection`.
    pub namespace: String,
}

/// What `recover` found and did.
#[napi(object)]
pub struct RecoveryReport {
    /// Interrupted operations carried to their end (renames, updates, deletes).
    pub completed: u32,
    /// Interrupted operations undone (creates, updates that had not written yet).
    pub rolled_back: u32,
    /// Records of the original service given their normalized keys.
    pub adopted: u32,
    /// Records of the original service that could not be adopted, with the reason.
    pub not_adopted: Vec<String>,
    /// Keys no tenant or admin refers to any more, removed.
    pub swept_keys: u32,
    /// Tombstones older than the retention, dropped.
    pub swept_tombstones: u32,
    /// Fences of tenants in shared collections they left, older than the retention, lifted.
    pub swept_fences: u32,
    /// Documents found in tombstones, moved to their tenant's collection.
    pub moved_documents: f64,
    /// `org_*` collections that no tenant record claims (never dropped automatically).
    pub orphan_collections: Vec<String>,
    /// Tenants that could not be recovered; the others were recovered all the same.
    pub failed: Vec<RecoveryFailure>,
}

/// One tenant `recover()` could not fix.
#[napi(object)]
pub struct RecoveryFailure {
    /// The tenant's id (absent for a failed sweep).
    pub tenant_id: Option<String>,
    /// The tenant's name, or what failed.
    pub name: String,
    /// The stable code of the error.
    pub code: String,
    /// The error's message.
    pub message: String,
}

impl From<tenantry::RecoveryReport> for RecoveryReport {
    fn from(r: tenantry::RecoveryReport) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        RecoveryReport {
            completed: count(r.completed),
            rolled_back: count(r.rolled_back),
            adopted: count(r.adopted),
            not_adopted: r.not_adopted,
            swept_keys: count(r.swept_keys),
            swept_tombstones: count(r.swept_tombstones),
            swept_fences: count(r.swept_fences),
            moved_documents: r.moved_documents as f64,
            orphan_collections: r.orphan_collections,
            failed: r
                .failed
                .into_iter()
                .map(|f| RecoveryFailure {
                    tenant_id: f.tenant_id.map(|id| id.to_hex()),
                    name: f.name,
                    code: f.code,
                    message: f.message,
                })
                .collect(),
        }
    }
}

/// The field names of a core type (camelCase), for the tests that check each mirror
/// against it. Not part of the public API.
#[napi(skip_typescript, js_name = "__coreFields")]
pub fn core_fields(kind: String) -> Vec<String> {
    let names = match kind.as_str() {
        "Tenant" => tenantry::Tenant::field_names(),
        "Claims" => tenantry::Claims::field_names(),
        "AccessToken" => tenantry::AccessToken::field_names(),
        "RecoveryReport" => tenantry::RecoveryReport::field_names(),
        "RecoveryFailure" => tenantry::RecoveryFailure::field_names(),
        _ => Vec::new(),
    };
    names.iter().map(|n| crate::config::camel(n)).collect()
}

/// The core's layouts (`Layout::ALL`), for the test that checks the type declarations
/// against them. Not part of the public API.
#[napi(skip_typescript, js_name = "__layouts")]
pub fn layouts() -> Vec<&'static str> {
    tenantry::Layout::ALL.iter().map(|l| l.as_str()).collect()
}
