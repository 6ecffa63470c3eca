//! Document shapes of the master database, its indexes, and the queries on them.
//!
//! Field names are the original service's (`organization_name`, `collection_name`,
//! `admin_email`, `admin_id`, `created_at`, `updated_at`; `email`, `hashed_password`,
//! `organization_name`, `organization_id`) so that an existing database can be adopted.
//! Added fields: `name_key`, `state`, `op` on organizations; `email_key`, `token_version`,
//! `last_op` on admins. Uniqueness of names, collections and emails lives in the key
//! documents of `tenant_keys` (see `keys.rs`).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Result;

/// Collection of tenant records.
pub(crate) const ORGANIZATIONS: &str = "organizations";
/// Collection of admin users.
pub(crate) const ADMIN_USERS: &str = "admin_users";

/// Lifecycle state of a tenant record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OrgState {
    /// Being created: invisible until active.
    Creating,
    /// Usable.
    #[default]
    Active,
    /// An admin update or a rename is in flight.
    Updating,
    /// Being deleted: invisible.
    Deleting,
}

/// The journal entry of an operation in flight, embedded in the tenant record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Operation {
    pub id: ObjectId,
    /// After this instant anyone may finish or undo the operation.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub lease_until: DateTime<Utc>,
    /// For updates: the admin whose record the operation changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<ObjectId>,
    /// For updates: the admin email after the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_email: Option<String>,
    /// For updates changing the email: its new key, taken by the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_key: Option<String>,
    /// For updates changing the email: the key given back when the operation ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_email_key: Option<String>,
    /// For renames: the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename: Option<RenameTarget>,
}

/// Where a rename goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RenameTarget {
    pub name: String,
    pub key: String,
    pub collection: String,
}

/// A tenant record in `organizations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OrgDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub organization_name: String,
    pub collection_name: String,
    pub admin_email: String,
    #[serde(deserialize_with = "object_id_or_hex")]
    pub admin_id: ObjectId,
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub updated_at: DateTime<Utc>,
    /// Absent on records written by the original service until adopted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_key: Option<String>,
    #[serde(default)]
    pub state: OrgState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Operation>,
}

impl OrgDoc {
    /// Whether callers see the tenant (not being created or deleted).
    pub(crate) fn is_visible(&self) -> bool {
        matches!(self.state, OrgState::Active | OrgState::Updating)
    }
}

/// An admin user in `admin_users`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AdminDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_key: Option<String>,
    pub hashed_password: String,
    pub organization_name: String,
    #[serde(deserialize_with = "object_id_or_hex")]
    pub organization_id: ObjectId,
    #[serde(default)]
    pub token_version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_op: Option<ObjectId>,
    #[serde(
        default = "Utc::now",
        with = "bson::serde_helpers::chrono_datetime_as_bson_datetime"
    )]
    pub created_at: DateTime<Utc>,
}

/// The original service may have stored ids as hex strings.
fn object_id_or_hex<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<ObjectId, D::Error> {
    match Bson::deserialize(d)? {
        Bson::ObjectId(id) => Ok(id),
        Bson::String(s) => ObjectId::parse_str(&s).map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected an ObjectId, found {other}"
        ))),
    }
}

/// Handles on the master database's collections.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pub db: Database,
    pub orgs: Collection<OrgDoc>,
    pub admins: Collection<AdminDoc>,
}

impl Store {
    pub(crate) fn new(db: Database) -> Self {
        Store {
            orgs: db.collection(ORGANIZATIONS),
            admins: db.collection(ADMIN_USERS),
            db,
        }
    }

    /// Create the lookup indexes (idempotent). Uniqueness is in `tenant_keys`.
    pub(crate) async fn ensure_indexes(&self) -> Result<()> {
        let named = |name: &str| IndexOptions::builder().name(name.to_owned()).build();
        self.orgs
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "name_key": 1 })
                    .options(named("name_key"))
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "state": 1 })
                    .options(named("state"))
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "admin_id": 1 })
                    .options(named("admin_id"))
                    .build(),
            ])
            .await?;
        self.admins
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "email_key": 1 })
                    .options(named("email_key"))
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "organization_id": 1 })
                    .options(named("organization_id"))
                    .build(),
            ])
            .await?;
        Ok(())
    }

    /// The visible (active or updating) tenant whose current name has this key.
    pub(crate) async fn visible_org_by_key(&self, key: &str) -> Result<Option<OrgDoc>> {
        let filter = doc! { "name_key": key, "state": { "$in": ["active", "updating"] } };
        // Checked again in code: an index must not be trusted to have forgotten old values.
        Ok(self
            .orgs
            .find_one(filter)
            .await?
            .filter(|o| o.name_key.as_deref() == Some(key) && o.is_visible()))
    }

    /// The tenant `id`, if its current name has this key (whatever its state).
    pub(crate) async fn org_by_id_and_key(
        &self,
        id: ObjectId,
        key: &str,
    ) -> Result<Option<OrgDoc>> {
        Ok(self
            .orgs
            .find_one(doc! { "_id": id, "name_key": key })
            .await?
            .filter(|o| o.name_key.as_deref() == Some(key)))
    }

    pub(crate) async fn org_by_id(&self, id: ObjectId) -> Result<Option<OrgDoc>> {
        Ok(self.orgs.find_one(doc! { "_id": id }).await?)
    }

    pub(crate) async fn admin_by_id(&self, id: ObjectId) -> Result<Option<AdminDoc>> {
        Ok(self.admins.find_one(doc! { "_id": id }).await?)
    }

    pub(crate) async fn admin_by_email_key(&self, key: &str) -> Result<Option<AdminDoc>> {
        Ok(self
            .admins
            .find_one(doc! { "email_key": key })
            .await?
            .filter(|a| a.email_key.as_deref() == Some(key)))
    }

    /// A raw handle on a collection of the master database.
    pub(crate) fn raw(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }
}

/// The current instant at BSON's millisecond precision, so that what a call returns equals
/// what a later read gives.
pub(crate) fn now() -> DateTime<Utc> {
    bson::DateTime::now().to_chrono()
}

/// `chrono` instant as BSON.
pub(crate) fn bson_time(t: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(t)
}
