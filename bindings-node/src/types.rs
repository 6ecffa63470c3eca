//! Results crossing the boundary: plain JS objects (and the opaque `Claims` class),
//! camelCase, ids as 24-digit hex strings, timestamps as `Date`; and the listing query
//! going the other way. Conversions only.

use std::ptr;

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{
    Either, FromNapiValue, Null, ToNapiValue, TypeName, ValidateNapiValue,
};
use napi::{check_status, sys, Status, ValueType};
use napi_derive::napi;

/// A tenant.
#[napi(object, use_nullable = true)]
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
    /// `active`, or `deleted` (softly: restorable until `purgeAfter`).
    #[napi(ts_type = "'active' | 'deleted'")]
    pub state: String,
    /// When a soft delete made the tenant `deleted` (`null` while active).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Until when a softly deleted tenant can be restored; it is purged after (`null` while
    /// active).
    pub purge_after: Option<DateTime<Utc>>,
    /// When the tenant was suspended (`null` unless it is): while it is, its admins'
    /// logins and tokens are refused with `TENANT_SUSPENDED`.
    pub suspended_at: Option<DateTime<Utc>>,
    /// Why, as the operator said (`null` when not suspended, or suspended without one).
    pub suspended_reason: Option<String>,
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
            state: t.state.as_str().to_owned(),
            deleted_at: t.deleted_at,
            purge_after: t.purge_after,
            suspended_at: t.suspended_at,
            suspended_reason: t.suspended_reason,
        }
    }
}

impl TryFrom<Tenant> for tenantry::Tenant {
    type Error = tenantry::Error;

    /// The core's tenant again, for the core's HTTP bodies. The core builds its `Tenant`
    /// itself (the type is not constructible outside it), so the way back in is its serde
    /// form: a field the core adds and this mirror lacks fails here, not silently.
    fn try_from(t: Tenant) -> tenantry::Result<Self> {
        let value = serde_json::json!({
            "id": t.id,
            "name": t.name,
            "collection_name": t.collection_name,
            "database": t.database,
            "layout": t.layout,
            "cluster": t.cluster,
            "admin_email": t.admin_email,
            "admin_id": t.admin_id,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "state": t.state,
            "deleted_at": t.deleted_at,
            "purge_after": t.purge_after,
            "suspended_at": t.suspended_at,
            "suspended_reason": t.suspended_reason,
        });
        serde_json::from_value(value).map_err(|err| tenantry::Error::InvalidInput {
            field: "tenant",
            message: format!("is not a tenant this library returned ({err})"),
        })
    }
}

/// One page of tenants, in creation order (`listTenants`).
#[napi(object, use_nullable = true)]
pub struct TenantPage {
    /// The tenants of this page.
    pub tenants: Vec<Tenant>,
    /// The `after` of the next page; `null` on the last one.
    pub next: Option<String>,
}

impl From<tenantry::TenantPage> for TenantPage {
    fn from(page: tenantry::TenantPage) -> Self {
        TenantPage {
            tenants: page.tenants.into_iter().map(Tenant::from).collect(),
            next: page.next,
        }
    }
}

/// Which tenants `listTenants` lists and `countTenants` counts; every condition given must
/// hold, and an absent (or `null`) one does not filter. The core parses and checks every
/// value.
#[napi(object)]
pub struct TenantQuery {
    /// Only tenants in this state (both when unset).
    #[napi(ts_type = "'active' | 'deleted' | null")]
    pub state: Option<Nullable<String>>,
    /// Only tenants of this layout.
    #[napi(ts_type = "'collection' | 'database' | 'shared' | null")]
    pub layout: Option<Nullable<String>>,
    /// Only tenants whose data is on this cluster.
    #[napi(ts_type = "string | null")]
    pub cluster: Option<Nullable<String>>,
    /// Only tenants whose name starts with this (compared as names are: case and spacing
    /// folded).
    #[napi(ts_type = "string | null")]
    pub name_prefix: Option<Nullable<String>>,
    /// Only tenants created at or after this time.
    #[napi(ts_type = "Date | null")]
    pub created_after: Option<Nullable<DateValue>>,
    /// Only tenants created before this time.
    #[napi(ts_type = "Date | null")]
    pub created_before: Option<Nullable<DateValue>>,
    /// Tenants per page, 1 to 1000 (100 when unset; `countTenants` reads no page).
    #[napi(ts_type = "number | null")]
    pub limit: Option<Nullable<f64>>,
    /// The page to read: the `next` of the page before.
    #[napi(ts_type = "string | null")]
    pub after: Option<Nullable<String>>,
}

impl TryFrom<TenantQuery> for tenantry::TenantQuery {
    type Error = tenantry::Error;

    fn try_from(q: TenantQuery) -> tenantry::Result<Self> {
        let mut query = tenantry::TenantQuery::new();
        if let Some(state) = given(q.state) {
            query = query.state(state.parse()?);
        }
        if let Some(layout) = given(q.layout) {
            query = query.layout(layout.parse()?);
        }
        if let Some(cluster) = given(q.cluster) {
            query = query.cluster(cluster);
        }
        if let Some(prefix) = given(q.name_prefix) {
            query = query.name_prefix(prefix);
        }
        if let Some(time) = given(q.created_after) {
            query = query.created_after(time.to_utc("created_after")?);
        }
        if let Some(time) = given(q.created_before) {
            query = query.created_before(time.to_utc("created_before")?);
        }
        if let Some(limit) = given(q.limit) {
            if !limit.is_finite() || limit.fract() != 0.0 {
                return Err(tenantry::Error::InvalidInput {
                    field: "limit",
                    message: "must be a whole number".into(),
                });
            }
            // A negative limit becomes 0 and a huge one saturates: the core refuses both
            // with its own range.
            query = query.limit(limit.max(0.0) as usize);
        }
        if let Some(cursor) = given(q.after) {
            query = query.after(cursor);
        }
        Ok(query)
    }
}

impl From<tenantry::TenantQuery> for TenantQuery {
    fn from(q: tenantry::TenantQuery) -> Self {
        TenantQuery {
            state: q.state.map(|s| Either::A(s.as_str().to_owned())),
            layout: q.layout.map(|l| Either::A(l.as_str().to_owned())),
            cluster: q.cluster.map(Either::A),
            name_prefix: q.name_prefix.map(Either::A),
            created_after: q.created_after.map(|t| Either::A(t.into())),
            created_before: q.created_before.map(|t| Either::A(t.into())),
            // A limit past 2^53 loses precision as a JS number; the core refuses it all
            // the same (past its largest page).
            limit: q.limit.map(|n| Either::A(n as f64)),
            after: q.after.map(Either::A),
        }
    }
}

/// A JS `Date` as its time value (milliseconds since the epoch), an invalid `Date` (NaN)
/// included: napi's own `DateTime` conversion reads an invalid `Date` as the epoch, which
/// would turn a mistake into a filter. [`DateValue::to_utc`] refuses it instead.
pub struct DateValue(f64);

impl DateValue {
    /// The time, or `INVALID_INPUT` naming `field` for an invalid `Date` (or one beyond
    /// the core's range).
    pub(crate) fn to_utc(&self, field: &'static str) -> tenantry::Result<DateTime<Utc>> {
        Some(self.0)
            .filter(|ms| ms.is_finite())
            .and_then(|ms| DateTime::from_timestamp_millis(ms as i64))
            .ok_or_else(|| tenantry::Error::InvalidInput {
                field,
                message: "must be a valid Date".into(),
            })
    }
}

impl From<DateTime<Utc>> for DateValue {
    fn from(t: DateTime<Utc>) -> Self {
        DateValue(t.timestamp_millis() as f64)
    }
}

impl TypeName for DateValue {
    fn type_name() -> &'static str {
        "Date"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for DateValue {
    unsafe fn validate(
        env: sys::napi_env,
        napi_val: sys::napi_value,
    ) -> napi::Result<sys::napi_value> {
        let mut is_date = false;
        check_status!(unsafe { sys::napi_is_date(env, napi_val, &mut is_date) })?;
        if is_date {
            Ok(ptr::null_mut())
        } else {
            Err(napi::Error::new(Status::DateExpected, "Expected a Date"))
        }
    }
}

impl FromNapiValue for DateValue {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> napi::Result<Self> {
        unsafe { Self::validate(env, napi_val) }?;
        let mut ms = 0.0;
        check_status!(unsafe { sys::napi_get_date_value(env, napi_val, &mut ms) })?;
        Ok(DateValue(ms))
    }
}

impl ToNapiValue for DateValue {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let mut date = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_date(env, value.0, &mut date) })?;
        Ok(date)
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
pub(crate) type Nullable<T> = Either<T, Null>;

pub(crate) fn given<T>(value: Option<Nullable<T>>) -> Option<T> {
    match value {
        Some(Either::A(value)) => Some(value),
        Some(Either::B(Null)) | None => None,
    }
}

/// A JS number that must be whole, as an `i64` (saturating past its range, which the
/// core's own checks then refuse), or `INVALID_INPUT` naming `field`.
pub(crate) fn whole(n: f64, field: &'static str) -> tenantry::Result<i64> {
    if n.is_finite() && n.fract() == 0.0 {
        Ok(n as i64)
    } else {
        Err(tenantry::Error::InvalidInput {
            field,
            message: "must be a whole number".into(),
        })
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

/// What a token (or a tenant's API key) says: who the admin is and which tenant they
/// administer; for an API key, its id and scopes.
///
/// Obtained from `verifyToken` (or `decodeToken`, `verifyApiKey`, `verifyCredential`) only,
/// never built by hand: the methods that act on a tenant take it as proof of who is acting.
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

    /// The API key the claims were verified from (its id, 24 hex digits: `verifyApiKey`,
    /// `verifyCredential`); `null` for a token.
    #[napi(getter)]
    pub fn api_key_id(&self) -> Option<String> {
        self.inner.api_key_id().map(|id| id.to_hex())
    }

    /// The scopes of the API key the claims come from, sorted; `null` for a token (which
    /// may do all its admin may).
    #[napi(getter)]
    pub fn scopes(&self) -> Option<Vec<String>> {
        self.inner.scopes().map(<[String]>::to_vec)
    }

    /// The member's role when `verifyToken` checked the claims (`owner`, `admin` or
    /// `member`: as fresh as the revocation check); `null` after `decodeToken` and for an
    /// API key's claims.
    #[napi(getter, ts_return_type = "'owner' | 'admin' | 'member' | null")]
    pub fn role(&self) -> Option<String> {
        self.inner.role().map(|r| r.as_str().to_owned())
    }

    /// Whether the claims allow `scope`: an API key's when it was made with it, an admin's
    /// token always (it may do all its admin may).
    #[napi]
    pub fn has_scope(&self, scope: String) -> bool {
        self.inner.has_scope(&scope)
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
            api_key_id: self.api_key_id(),
            scopes: self.scopes(),
            role: self.role(),
        }
    }
}

impl From<tenantry::Claims> for Claims {
    fn from(inner: tenantry::Claims) -> Self {
        Claims { inner }
    }
}

/// The fields of `Claims` as a plain object (each of them: `null` where not set).
#[napi(object, use_nullable = true)]
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
    #[napi(ts_type = "'collection' | 'database' | 'shared'")]
    pub layout: Option<String>,
    /// The cluster of the tenant's data when the claims were verified.
    pub cluster: Option<String>,
    /// The API key the claims were verified from; `null` for a token.
    pub api_key_id: Option<String>,
    /// The API key's scopes; `null` for a token.
    pub scopes: Option<Vec<String>>,
    /// The member's role when the claims were verified; `null` after a decode and for an
    /// API key.
    #[napi(ts_type = "'owner' | 'admin' | 'member'")]
    pub role: Option<String>,
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
    /// Softly deleted tenants whose retention had passed, purged.
    pub purged: u32,
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
            purged: count(r.purged),
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
        "TenantQuery" => tenantry::http::TENANT_QUERY_PARAMS
            .iter()
            .map(|&p| p.to_owned())
            .collect(),
        "AuditEntry" => crate::audit::core_entry_fields(),
        // The query's own parameters (the tenant is an argument of its own).
        "AuditQuery" => tenantry::http::AUDIT_QUERY_PARAMS
            .iter()
            .filter(|&&p| p != "organization_id")
            .map(|&p| p.to_owned())
            .collect(),
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

/// The core's tenant states (`TenantState::ALL`), for the test that checks the type
/// declarations against them. Not part of the public API.
#[napi(skip_typescript, js_name = "__tenantStates")]
pub fn tenant_states() -> Vec<&'static str> {
    tenantry::TenantState::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}
