//! Public value types: a tenant as returned to callers, an update request, a recovery report.

use std::fmt;

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;

use crate::error::Error;
use crate::placement::{Layout, Naming};
use crate::store::OrgDoc;

/// A tenant (organization) as seen by callers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Tenant {
    /// Stable id of the tenant record.
    pub id: ObjectId,
    /// The tenant's name, as given at creation or last rename.
    pub name: String,
    /// The tenant's default collection: `org_<slug>` (or `org_<id>` with stable names) in
    /// the `collection` layout, `data` in the `database` layout, `shared_data` in the
    /// `shared` layout.
    pub collection_name: String,
    /// The database holding the collection.
    pub database: String,
    /// How the tenant's data is laid out.
    pub layout: Layout,
    /// The cluster holding the tenant's data ([`HOME_CLUSTER`](crate::HOME_CLUSTER) unless
    /// placed on another).
    pub cluster: String,
    /// The admin's email.
    pub admin_email: String,
    /// The admin's stable id.
    pub admin_id: ObjectId,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
    /// When the tenant was last changed.
    pub updated_at: DateTime<Utc>,
    /// `active`, or `deleted` (softly: restorable until `purge_after`).
    pub state: TenantState,
    /// When a soft delete made the tenant `deleted`.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Until when a softly deleted tenant can be restored; it is purged after.
    pub purge_after: Option<DateTime<Utc>>,
    /// When the tenant was suspended; while it is, its logins and tokens are refused
    /// (`TENANT_SUSPENDED`).
    pub suspended_at: Option<DateTime<Utc>>,
    /// Why, as the operator said.
    pub suspended_reason: Option<String>,
}

/// Whether a tenant is in use or softly deleted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TenantState {
    /// In use (an operation may be in flight on it).
    #[default]
    Active,
    /// Deleted softly: hidden from every call but listing, restore and purge; its data,
    /// name and admins kept until purged.
    Deleted,
}

impl TenantState {
    /// Every state.
    pub const ALL: [TenantState; 2] = [TenantState::Active, TenantState::Deleted];

    /// `active` or `deleted`.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::Active => "active",
            TenantState::Deleted => "deleted",
        }
    }
}

impl std::str::FromStr for TenantState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        TenantState::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("state", "must be 'active' or 'deleted'"))
    }
}

impl fmt::Display for TenantState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Tenant {
    /// The tenant of a record; `database` is the master database (where the original
    /// service kept every tenant's data).
    pub(crate) fn from_doc(doc: OrgDoc, database: &str) -> Self {
        let database = doc.database(database).to_owned();
        let cluster = doc.cluster().to_owned();
        let state = match doc.state {
            crate::store::State::Deleted => TenantState::Deleted,
            _ => TenantState::Active,
        };
        Tenant {
            id: doc.id,
            name: doc.organization_name,
            database,
            collection_name: doc.collection_name,
            layout: doc.layout,
            cluster,
            admin_email: doc.admin_email,
            admin_id: doc.admin_id,
            created_at: doc.created_at,
            updated_at: doc.updated_at,
            state,
            deleted_at: doc.deleted_at.map(|t| t.to_chrono()),
            purge_after: doc.purge_after.map(|t| t.to_chrono()),
            suspended_at: doc.suspended_at.map(|t| t.to_chrono()),
            suspended_reason: doc.suspended_reason,
        }
    }

    /// `database.collection`, for drivers that address collections by namespace.
    pub fn namespace(&self) -> String {
        format!("{}.{}", self.database, self.collection_name)
    }

    /// The field names, in order (for bindings to check their mirrors against).
    pub fn field_names() -> Vec<String> {
        field_names(&Tenant::from_doc(crate::store::OrgDoc::sample(), "db"))
    }
}

impl RecoveryReport {
    /// The field names, in order (for bindings to check their mirrors against).
    pub fn field_names() -> Vec<String> {
        field_names(&RecoveryReport::default())
    }
}

impl RecoveryFailure {
    /// The field names, in order (for bindings to check their mirrors against).
    pub fn field_names() -> Vec<String> {
        field_names(&RecoveryFailure::of(None, "x", &Error::Closed))
    }
}

/// The serialized field names of a value.
pub(crate) fn field_names<T: serde::Serialize>(value: &T) -> Vec<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// What [`update_tenant`](crate::TenantManager::update_tenant) changes; unset fields stay.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TenantUpdate {
    /// New email of the acting admin.
    pub admin_email: Option<String>,
    /// The acting admin's password. Only a password different from the current one is a
    /// change (and revokes earlier tokens).
    pub admin_password: Option<String>,
    /// New tenant name: the tenant's collection is renamed with all its data.
    pub new_name: Option<String>,
}

impl TenantUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the admin's email.
    pub fn admin_email(mut self, email: impl Into<String>) -> Self {
        self.admin_email = Some(email.into());
        self
    }

    /// Set the admin's password.
    pub fn admin_password(mut self, password: impl Into<String>) -> Self {
        self.admin_password = Some(password.into());
        self
    }

    /// Rename the tenant.
    pub fn new_name(mut self, name: impl Into<String>) -> Self {
        self.new_name = Some(name.into());
        self
    }
}

impl fmt::Debug for TenantUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantUpdate")
            .field("admin_email", &self.admin_email)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "***"),
            )
            .field("new_name", &self.new_name)
            .finish()
    }
}

/// Where a new tenant's data goes (see [`create_tenant_with`]); unset fields take the
/// configured defaults.
///
/// [`create_tenant_with`]: crate::TenantManager::create_tenant_with
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantOptions {
    /// The tenant's layout.
    pub layout: Option<Layout>,
    /// How its physical names are made (the `collection` layout only; the others always
    /// use stable names).
    pub naming: Option<Naming>,
    /// The cluster to place it on, by name.
    pub cluster: Option<String>,
    /// Place it on the configured cluster with this tag that holds the fewest tenants.
    pub tag: Option<String>,
}

impl TenantOptions {
    /// The configured defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the layout.
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// Set the naming.
    pub fn naming(mut self, naming: Naming) -> Self {
        self.naming = Some(naming);
        self
    }

    /// Place the tenant on the cluster named `cluster`.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// Place the tenant on the cluster with this tag that holds the fewest tenants.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }
}

/// Where [`move_tenant`](crate::TenantManager::move_tenant) takes a tenant's data; unset
/// fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MoveTarget {
    /// The layout to move to.
    pub layout: Option<Layout>,
    /// The cluster to move to.
    pub cluster: Option<String>,
}

impl MoveTarget {
    /// Nowhere yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move to this layout.
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// Move to this cluster.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }
}

/// How a move is going, as reported to its progress callback.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MoveProgress {
    /// `copy` (as the copy starts, then after each batch), `catch-up` (the changes made
    /// meanwhile being applied) or `done` (the last report, repeating the last counts).
    pub phase: &'static str,
    /// Documents copied so far.
    pub copied: u64,
    /// Documents to copy (as counted when the copy started).
    pub total: u64,
    /// Documents copied per second since the move started.
    pub rate: f64,
    /// Time left at that rate.
    pub eta: Option<std::time::Duration>,
}

/// What [`recover`](crate::TenantManager::recover) found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// Interrupted operations carried to their end (renames, updates, deletes, creates
    /// past their commit point).
    pub completed: usize,
    /// Interrupted operations undone (creates and updates before their commit point).
    pub rolled_back: usize,
    /// Records of the original service given their normalized keys.
    pub adopted: usize,
    /// Records of the original service that could not be adopted, with the reason (for
    /// example two names that normalize to one key).
    pub not_adopted: Vec<String>,
    /// Keys (names, collections, emails) no tenant or admin refers to any more, removed.
    pub swept_keys: usize,
    /// Tombstones older than the configured retention, dropped.
    pub swept_tombstones: usize,
    /// Softly deleted tenants whose retention had passed, purged (data, admins, record,
    /// then keys).
    pub purged: usize,
    /// Fences of tenants in shared collections they left, older than the same retention,
    /// lifted.
    pub swept_fences: usize,
    /// Documents found in tombstones (writes the server let through as a rename ended),
    /// moved to their tenant's collection.
    pub moved_documents: u64,
    /// Collections no tenant owns: `org_*` collections that no record claims (tombstones
    /// excepted). Never dropped automatically: they may hold data written outside this
    /// library.
    pub orphan_collections: Vec<String>,
    /// Tenants (or sweeps) that could not be recovered, each with its error. The others
    /// were recovered all the same.
    pub failed: Vec<RecoveryFailure>,
}

/// One tenant that [`recover`](crate::TenantManager::recover) could not fix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RecoveryFailure {
    /// The tenant's id (none for a failed sweep).
    pub tenant_id: Option<ObjectId>,
    /// The tenant's name, or what failed.
    pub name: String,
    /// The stable code of the error.
    pub code: String,
    /// The error's message.
    pub message: String,
}

impl RecoveryFailure {
    pub(crate) fn of(tenant_id: Option<ObjectId>, name: &str, err: &Error) -> Self {
        RecoveryFailure {
            tenant_id,
            name: name.to_owned(),
            code: err.code().to_owned(),
            message: err.to_string(),
        }
    }
}
