//! Tenant records (`organizations`) and admin users (`admin_users`): their document shapes,
//! the journal embedded in a record while an operation runs, and every filter and update
//! written against them.
//!
//! Field names are the original service's (`organization_name`, `collection_name`,
//! `admin_email`, `admin_id`, `created_at`, `updated_at`; `email`, `hashed_password`,
//! `organization_name`, `organization_id`) so that an existing database can be adopted.
//! Added fields: `name_key`, `state`, `op` on records; `email_key`, `token_version`,
//! `last_op` on admins.
//!
//! Every write made on behalf of a running operation is *fenced*: its filter names the
//! operation's id and the owner token of the process running it, so a process that lost
//! the operation to a recoverer matches nothing and learns it (`Ok(false)`).

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde::{Deserialize, Deserializer, Serialize};

use super::Store;
use crate::error::{duplicate_key, Error, Result};
use crate::placement::{Layout, Naming};

/// Lifecycle state of a tenant record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// Being created: invisible until active.
    Creating,
    /// Usable.
    #[default]
    Active,
    /// An admin update or a rename is in flight; still visible.
    Updating,
    /// Being deleted: invisible.
    Deleting,
    /// Deleted softly: invisible, its data and keys kept until restored or purged.
    Deleted,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Creating => "creating",
            State::Active => "active",
            State::Updating => "updating",
            State::Deleting => "deleting",
            State::Deleted => "deleted",
        }
    }

    /// Whether an operation is in flight in this state (its journal says which).
    pub(crate) fn in_flight(self) -> bool {
        matches!(self, State::Creating | State::Updating | State::Deleting)
    }

    /// Whether callers see a tenant in this state.
    pub(crate) fn is_visible(self) -> bool {
        matches!(self, State::Active | State::Updating)
    }
}

/// The journal of an operation in flight, embedded in the tenant record as `op`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Journal {
    /// The operation.
    pub id: ObjectId,
    /// The process running it now: a fresh token at start and at every take-over, so the
    /// process that lost it is fenced off.
    pub owner: ObjectId,
    /// Server time of the owner's last renewal (`$currentDate`).
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub renewed_at: DateTime<Utc>,
    /// How long after `renewed_at` the lease runs, in milliseconds.
    pub lease_ms: i64,
    /// How many of the operation's steps are done.
    #[serde(default)]
    pub step: u32,
    /// What the operation changes.
    pub detail: Detail,
}

/// The part of a journal specific to each kind of operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Detail {
    /// A create: the rest is in the record itself.
    Create {
        /// The admin's password hash, until the admin exists.
        hashed_password: String,
    },
    /// An update or rename.
    Update(UpdateDetail),
    /// A delete.
    Delete(DeleteDetail),
    /// A move of the tenant's data to another layout or cluster.
    Move(MoveDetail),
}

/// Where a tenant's data is: the fields of its record that say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Place {
    pub cluster: String,
    pub database: String,
    pub layout: Layout,
    pub naming: Naming,
    /// The default collection's physical name.
    pub collection: String,
}

/// What a move does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MoveDetail {
    pub source: Place,
    pub target: Place,
    /// The tenant's logical collections, as found when the move started.
    pub collections: Vec<String>,
    /// Each source collection's validation options before the move (restored if it is
    /// undone, given to its copy), by logical name.
    #[serde(default)]
    pub options: Document,
}

/// What an update changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UpdateDetail {
    /// The acting admin.
    pub admin_id: ObjectId,
    /// The acting admin's token version when the update was authorized.
    pub token_version: i64,
    /// The admin's email after the update (display form).
    pub admin_email: String,
    /// The new email key, when the email changes to another key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_key: Option<String>,
    /// The admin's email key before the update (given back after a change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_email_key: Option<String>,
    /// The new password hash, when the password changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_hash: Option<String>,
    /// Where a rename goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename: Option<RenameTarget>,
}

impl UpdateDetail {
    /// The rename target when the collection moves.
    pub(crate) fn moving<'a>(&'a self, org: &OrgDoc) -> Option<&'a RenameTarget> {
        self.rename
            .as_ref()
            .filter(|r| r.collection != org.collection_name)
    }
}

/// Where a rename goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RenameTarget {
    pub name: String,
    pub key: String,
    pub collection: String,
}

/// What a delete removes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeleteDetail {
    /// The admin who asked, and their token version then (checked again after the claim).
    pub acting_admin: ObjectId,
    pub token_version: i64,
    /// The tenant's admins when the delete was claimed.
    pub admins: Vec<ObjectId>,
    /// The identity of the tenant's collection when the delete was claimed; only a
    /// collection with this UUID is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_uuid: Option<bson::Binary>,
    /// A purge of a softly deleted tenant (no admin asked; undone, it stays deleted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub purge: bool,
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
    pub state: State,
    /// The tenant's layout (absent on records of the original service: `collection`).
    #[serde(default)]
    pub layout: Layout,
    /// How the tenant's physical names are made (absent: `slug`).
    #[serde(default)]
    pub naming: Naming,
    /// The database of the tenant's data (absent on records of the original service: the
    /// master database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The cluster of the tenant's data (absent: the home cluster, the catalog's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The journal of the operation in flight. One that cannot be read (written by another
    /// version, or damaged) reads as none: the record stays in its state, invisible unless
    /// active, and `recover()` reports it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "readable_journal"
    )]
    pub op: Option<Journal>,
    /// When a soft delete made the tenant `deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<bson::DateTime>,
    /// When a softly deleted tenant may be purged (restorable until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_after: Option<bson::DateTime>,
    /// When an import began that has not finished: the tenant stays hidden (`deleted`)
    /// until its data is in and verified, and cannot be restored, only purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importing: Option<bson::DateTime>,
    /// When the tenant was suspended (its credentials refused until resumed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<bson::DateTime>,
    /// Why, as the operator said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_reason: Option<String>,
}

fn readable_journal<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Journal>, D::Error> {
    let raw = Option::<Bson>::deserialize(d)?;
    Ok(raw.and_then(|b| bson::from_bson(b).ok()))
}

impl OrgDoc {
    /// A record with every field set, for the field lists of the public types.
    pub(crate) fn sample() -> Self {
        OrgDoc {
            id: ObjectId::new(),
            organization_name: String::new(),
            collection_name: String::new(),
            admin_email: String::new(),
            admin_id: ObjectId::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            name_key: None,
            state: State::Active,
            layout: Layout::Collection,
            naming: Naming::Slug,
            database: None,
            cluster: None,
            op: None,
            deleted_at: Some(bson::DateTime::now()),
            purge_after: Some(bson::DateTime::now()),
            importing: None,
            suspended_at: Some(bson::DateTime::now()),
            suspended_reason: Some(String::new()),
        }
    }

    /// The cluster of the tenant's data.
    pub(crate) fn cluster(&self) -> &str {
        self.cluster
            .as_deref()
            .unwrap_or(crate::placement::HOME_CLUSTER)
    }

    /// Where the tenant's data is.
    pub(crate) fn place(&self, master: &str) -> Place {
        Place {
            cluster: self.cluster().to_owned(),
            database: self.database(master).to_owned(),
            layout: self.layout,
            naming: self.naming,
            collection: self.collection_name.clone(),
        }
    }

    /// The database of the tenant's data; `master` for records of the original service.
    pub(crate) fn database<'a>(&'a self, master: &'a str) -> &'a str {
        self.database.as_deref().unwrap_or(master)
    }

    /// Whether callers see the tenant (not being created or deleted).
    pub(crate) fn is_visible(&self) -> bool {
        self.state.is_visible()
    }

    /// The collection that holds the tenant's data right now: during a rename, the target
    /// once the data has moved there.
    pub(crate) fn data_collection(&self) -> &str {
        if let Some(Journal {
            detail: Detail::Update(update),
            step,
            ..
        }) = &self.op
        {
            if let Some(target) = update.moving(self) {
                if *step >= crate::lifecycle::update::MOVED {
                    return &target.collection;
                }
            }
        }
        &self.collection_name
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
    /// A joined member's email key (joined members hold no email key document: one email
    /// may be a member of several tenants). `None` for a tenant's first admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_email_key: Option<String>,
    /// The member's role; `None` for a first admin never demoted (an owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::members::Role>,
    pub hashed_password: String,
    pub organization_name: String,
    #[serde(deserialize_with = "object_id_or_hex")]
    pub organization_id: ObjectId,
    #[serde(default)]
    pub token_version: i64,
    /// The last update applied to this admin (so that a repeated step applies it once).
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

/// Who runs an operation: the record, the operation and the owner token. The filter of
/// every fenced write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fence {
    pub org: ObjectId,
    pub op: ObjectId,
    pub owner: ObjectId,
}

impl Fence {
    fn filter(&self) -> Document {
        doc! { "_id": self.org, "op.id": self.op, "op.owner": self.owner }
    }
}

/// `$currentDate` of the journal's renewal time: leases run on the server's clock.
fn renewed_now() -> Document {
    doc! { "op.renewed_at": true }
}

/// A journal as `op.<field>` paths, without its renewal time (set by `$currentDate`).
fn journal_fields(journal: &Journal) -> Result<Document> {
    let mut fields = Document::new();
    for (k, v) in bson::to_document(journal).map_err(Error::internal)? {
        if k != "renewed_at" {
            fields.insert(format!("op.{k}"), v);
        }
    }
    Ok(fields)
}

/// Reads.
impl Store {
    pub(crate) async fn org(&self, id: ObjectId) -> Result<Option<OrgDoc>> {
        Ok(self.orgs.find_one(doc! { "_id": id }).await?)
    }

    /// The visible tenant whose current name has this key.
    pub(crate) async fn visible_org_by_key(&self, key: &str) -> Result<Option<OrgDoc>> {
        let visible = [State::Active.as_str(), State::Updating.as_str()];
        let filter = doc! { "name_key": key, "state": { "$in": visible.to_vec() } };
        // Checked again in code: an index must not be trusted to have forgotten old values.
        Ok(self
            .orgs
            .find_one(filter)
            .await?
            .filter(|o| o.name_key.as_deref() == Some(key) && o.is_visible()))
    }

    /// The record whose (future) admin has this id.
    pub(crate) async fn org_by_admin(&self, admin_id: ObjectId) -> Result<Option<OrgDoc>> {
        Ok(self.orgs.find_one(doc! { "admin_id": admin_id }).await?)
    }

    /// Records with an operation in flight, optionally only those under one name key.
    pub(crate) async fn orgs_in_flight(&self, key: Option<&str>) -> Result<Vec<OrgDoc>> {
        let states = [State::Creating, State::Updating, State::Deleting].map(State::as_str);
        let mut filter = doc! { "state": { "$in": states.to_vec() } };
        if let Some(key) = key {
            filter.insert("name_key", key);
        }
        let orgs: Vec<OrgDoc> = self.orgs.find(filter).await?.try_collect().await?;
        Ok(orgs
            .into_iter()
            .filter(|o| o.state.in_flight() && key.is_none_or(|k| o.name_key.as_deref() == Some(k)))
            .collect())
    }

    /// How many tenants (in any state) have their data on `cluster`.
    pub(crate) async fn tenants_on(&self, cluster: &str) -> Result<u64> {
        let filter = if cluster == crate::placement::HOME_CLUSTER {
            doc! { "cluster": { "$exists": false } }
        } else {
            doc! { "cluster": cluster }
        };
        Ok(self.orgs.count_documents(filter).await?)
    }

    pub(crate) async fn all_orgs(&self) -> Result<Vec<OrgDoc>> {
        Ok(self.orgs.find(doc! {}).await?.try_collect().await?)
    }

    /// Records of the original service not adopted yet.
    pub(crate) async fn unadopted_orgs(&self) -> Result<Vec<OrgDoc>> {
        Ok(self
            .orgs
            .find(doc! { "name_key": { "$exists": false } })
            .await?
            .try_collect()
            .await?)
    }

    pub(crate) async fn admin(&self, id: ObjectId) -> Result<Option<AdminDoc>> {
        Ok(self.admins.find_one(doc! { "_id": id }).await?)
    }

    /// The admins of a tenant.
    pub(crate) async fn admins_of(&self, org: ObjectId) -> Result<Vec<AdminDoc>> {
        Ok(self
            .admins
            .find(doc! { "organization_id": org })
            .sort(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }

    pub(crate) async fn admin_ids_of(&self, org: ObjectId) -> Result<Vec<ObjectId>> {
        let admins: Vec<AdminDoc> = self
            .admins
            .find(doc! { "organization_id": org })
            .await?
            .try_collect()
            .await?;
        Ok(admins.into_iter().map(|a| a.id).collect())
    }

    /// Admin documents of the original service not adopted yet, raw (their ids may be hex
    /// strings).
    pub(crate) async fn unadopted_admins(&self) -> Result<Vec<Document>> {
        Ok(self
            .admins
            .clone_with_type::<Document>()
            .find(doc! {
                "email_key": { "$exists": false },
                "member_email_key": { "$exists": false },
            })
            .await?
            .try_collect()
            .await?)
    }
}

/// Journaled writes on tenant records.
impl Store {
    /// Start a create: the record, state `creating`, with its journal. The lease starts on
    /// the server's clock.
    pub(crate) async fn insert_creating(&self, org: &OrgDoc) -> Result<()> {
        let mut record = bson::to_document(org).map_err(Error::internal)?;
        record.remove("_id");
        // `op` field by field: its renewal time comes from `$currentDate`, and one update
        // may not set a document and a field inside it.
        if let Some(journal) = &org.op {
            record.remove("op");
            record.extend(journal_fields(journal)?);
        }
        self.orgs
            .update_one(
                doc! { "_id": org.id },
                doc! { "$setOnInsert": record, "$currentDate": renewed_now() },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Claim `org` for an operation, if it is still active under the name and collection
    /// it was read with (a claim made on a stale read fails).
    pub(crate) async fn claim(
        &self,
        org: &OrgDoc,
        state: State,
        journal: &Journal,
    ) -> Result<bool> {
        self.claim_from(org, State::Active, state, journal).await
    }

    /// Claim a record in state `from` (as `org` holds it) for an operation that leaves it
    /// in `state`.
    pub(crate) async fn claim_from(
        &self,
        org: &OrgDoc,
        from: State,
        state: State,
        journal: &Journal,
    ) -> Result<bool> {
        let mut filter = doc! {
            "_id": org.id,
            "state": from.as_str(),
            "collection_name": &org.collection_name,
        };
        match &org.name_key {
            Some(key) => filter.insert("name_key", key),
            None => filter.insert("name_key", doc! { "$exists": false }),
        };
        let mut set = journal_fields(journal)?;
        set.insert("state", state.as_str());
        let change = doc! { "$set": set, "$currentDate": renewed_now() };
        Ok(self.orgs.update_one(filter, change).await?.matched_count == 1)
    }

    /// Record that `step` steps are done; renews the lease.
    pub(crate) async fn journal_step(&self, fence: &Fence, step: u32) -> Result<bool> {
        let change = doc! { "$set": { "op.step": step }, "$currentDate": renewed_now() };
        self.fenced_update(fence, change).await
    }

    /// Renew the lease.
    pub(crate) async fn renew(&self, fence: &Fence) -> Result<bool> {
        let change = doc! { "$currentDate": renewed_now() };
        self.fenced_update(fence, change).await
    }

    /// Take an abandoned operation over: only if nobody renewed it since `seen` was read.
    pub(crate) async fn take_over(
        &self,
        org: ObjectId,
        seen: &Journal,
        owner: ObjectId,
        lease_ms: i64,
    ) -> Result<bool> {
        let filter = doc! {
            "_id": org,
            "op.id": seen.id,
            "op.owner": seen.owner,
            "op.renewed_at": bson::DateTime::from_chrono(seen.renewed_at),
        };
        let change = doc! {
            "$set": { "op.owner": owner, "op.lease_ms": lease_ms },
            "$currentDate": renewed_now(),
        };
        Ok(self.orgs.update_one(filter, change).await?.matched_count == 1)
    }

    /// End an operation, leaving the record active as it was.
    pub(crate) async fn release_unchanged(&self, fence: &Fence) -> Result<bool> {
        self.release(fence, doc! {}).await
    }

    /// End an update, leaving the record active as `org` says (name, key, collection,
    /// admin email, time of the change).
    pub(crate) async fn release_as(&self, fence: &Fence, org: &OrgDoc) -> Result<bool> {
        let set = doc! {
            "organization_name": &org.organization_name,
            "name_key": org.name_key.as_deref(),
            "collection_name": &org.collection_name,
            "admin_email": &org.admin_email,
            "updated_at": bson_time(org.updated_at),
        };
        self.release(fence, set).await
    }

    /// End the create of an import: the record stays hidden (`deleted`, restorable never,
    /// purged after `purge_after` if the import does not finish).
    pub(crate) async fn release_importing(
        &self,
        fence: &Fence,
        purge_after: bson::DateTime,
    ) -> Result<bool> {
        let change = doc! {
            "$set": {
                "state": State::Deleted.as_str(),
                "deleted_at": bson::DateTime::now(),
                "purge_after": purge_after,
            },
            "$unset": { "op": "" },
        };
        self.fenced_update(fence, change).await
    }

    /// Push back the purge of a tenant being imported (the import `since` is alive).
    pub(crate) async fn renew_import(
        &self,
        id: ObjectId,
        since: bson::DateTime,
        until: bson::DateTime,
    ) -> Result<bool> {
        let filter = doc! { "_id": id, "state": State::Deleted.as_str(), "importing": since };
        let change = doc! { "$set": { "purge_after": until } };
        Ok(self.orgs.update_one(filter, change).await?.matched_count == 1)
    }

    /// Suspend the visible tenant `id` (again: with this reason); the record after, or
    /// `None` when no visible tenant has the id.
    pub(crate) async fn suspend(
        &self,
        id: ObjectId,
        reason: Option<&str>,
    ) -> Result<Option<OrgDoc>> {
        let visible = [State::Active.as_str(), State::Updating.as_str()];
        let filter = doc! { "_id": id, "state": { "$in": visible.to_vec() } };
        let mut change = doc! { "$set": { "suspended_at": bson::DateTime::now() } };
        match reason {
            Some(r) => change
                .get_document_mut("$set")
                .map_err(crate::error::Error::internal)?
                .insert("suspended_reason", r),
            None => change.insert("$unset", doc! { "suspended_reason": "" }),
        };
        Ok(self
            .orgs
            .find_one_and_update(filter, change)
            .return_document(mongodb::options::ReturnDocument::After)
            .await?)
    }

    /// Resume the visible tenant `id`; the record after, or `None` when no visible tenant
    /// has the id.
    pub(crate) async fn resume(&self, id: ObjectId) -> Result<Option<OrgDoc>> {
        let visible = [State::Active.as_str(), State::Updating.as_str()];
        let filter = doc! { "_id": id, "state": { "$in": visible.to_vec() } };
        let change = doc! { "$unset": { "suspended_at": "", "suspended_reason": "" } };
        Ok(self
            .orgs
            .find_one_and_update(filter, change)
            .return_document(mongodb::options::ReturnDocument::After)
            .await?)
    }

    /// Reveal an imported tenant whose data is in and verified; whether it was still the
    /// import begun at `since`.
    pub(crate) async fn finish_import(&self, id: ObjectId, since: bson::DateTime) -> Result<bool> {
        let filter = doc! { "_id": id, "state": State::Deleted.as_str(), "importing": since };
        let change = doc! {
            "$set": { "state": State::Active.as_str(), "updated_at": bson::DateTime::now() },
            "$unset": { "deleted_at": "", "purge_after": "", "importing": "" },
        };
        Ok(self.orgs.update_one(filter, change).await?.matched_count == 1)
    }

    /// End an operation on a softly deleted record without a change: deleted again.
    pub(crate) async fn release_deleted(&self, fence: &Fence) -> Result<bool> {
        let change = doc! { "$set": { "state": State::Deleted.as_str() }, "$unset": { "op": "" } };
        self.fenced_update(fence, change).await
    }

    async fn release(&self, fence: &Fence, mut set: Document) -> Result<bool> {
        set.insert("state", State::Active.as_str());
        let change = doc! { "$set": set, "$unset": { "op": "" } };
        self.fenced_update(fence, change).await
    }

    /// Point the record of a move at its data's new place (the move's commit).
    pub(crate) async fn switch_place(&self, fence: &Fence, place: &Place) -> Result<bool> {
        let mut set = doc! {
            "database": &place.database,
            "layout": place.layout.as_str(),
            "naming": place.naming.as_str(),
            "collection_name": &place.collection,
            "updated_at": bson::DateTime::now(),
        };
        let mut change = doc! {};
        if place.cluster == crate::placement::HOME_CLUSTER {
            change.insert("$unset", doc! { "cluster": "" });
        } else {
            set.insert("cluster", &place.cluster);
        }
        change.insert("$set", set);
        self.fenced_update(fence, change).await
    }

    /// Apply `change` to the record if the fence still holds it; whether it did.
    async fn fenced_update(&self, fence: &Fence, change: Document) -> Result<bool> {
        Ok(self
            .orgs
            .update_one(fence.filter(), change)
            .await?
            .matched_count
            == 1)
    }

    /// Delete `org` softly: from active (with no operation in flight, as `org` holds it)
    /// to `deleted`, restorable until `purge_after`; whether it was.
    pub(crate) async fn soft_delete(
        &self,
        org: &OrgDoc,
        purge_after: bson::DateTime,
    ) -> Result<bool> {
        let filter = doc! {
            "_id": org.id,
            "state": State::Active.as_str(),
            "op": { "$exists": false },
            "name_key": org.name_key.as_deref(),
            "collection_name": &org.collection_name,
        };
        let change = doc! {
            "$set": {
                "state": State::Deleted.as_str(),
                "deleted_at": bson::DateTime::now(),
                "purge_after": purge_after,
            },
        };
        Ok(self.orgs.update_one(filter, change).await?.matched_count == 1)
    }

    /// Bring a softly deleted record back (if still the deletion `deleted_at` made);
    /// whether it was.
    pub(crate) async fn restore(&self, id: ObjectId, deleted_at: bson::DateTime) -> Result<bool> {
        let filter = doc! {
            "_id": id,
            "state": State::Deleted.as_str(),
            "deleted_at": deleted_at,
            "importing": { "$exists": false },
        };
        let change = doc! {
            "$set": { "state": State::Active.as_str(), "updated_at": bson::DateTime::now() },
            "$unset": { "deleted_at": "", "purge_after": "" },
        };
        Ok(self.orgs.update_one(filter, change).await?.matched_count == 1)
    }

    /// The softly deleted record holding this name key.
    pub(crate) async fn deleted_org_by_key(&self, key: &str) -> Result<Option<OrgDoc>> {
        let filter = doc! { "name_key": key, "state": State::Deleted.as_str() };
        Ok(self
            .orgs
            .find_one(filter)
            .await?
            .filter(|o| o.name_key.as_deref() == Some(key) && o.state == State::Deleted))
    }

    /// Softly deleted records whose retention has passed by `now`.
    pub(crate) async fn expired_deleted(&self, now: bson::DateTime) -> Result<Vec<OrgDoc>> {
        let filter = doc! { "state": State::Deleted.as_str(), "purge_after": { "$lte": now } };
        Ok(self.orgs.find(filter).await?.try_collect().await?)
    }

    /// Records matching `filter`, in creation order (`created_at`, then `_id`), after the
    /// record `after` (its creation time and id), at most `limit`.
    pub(crate) async fn orgs_page(
        &self,
        filter: Document,
        after: Option<(bson::DateTime, ObjectId)>,
        limit: i64,
    ) -> Result<Vec<OrgDoc>> {
        let filter = match after {
            Some((at, id)) => doc! { "$and": [filter, { "$or": [
                { "created_at": { "$gt": at } },
                { "created_at": at, "_id": { "$gt": id } },
            ] }] },
            None => filter,
        };
        Ok(self
            .orgs
            .find(filter)
            .sort(doc! { "created_at": 1, "_id": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many records match `filter`.
    pub(crate) async fn count_orgs(&self, filter: Document) -> Result<u64> {
        Ok(self.orgs.count_documents(filter).await?)
    }

    /// Remove the record of a finished delete or an undone create.
    pub(crate) async fn delete_org(&self, fence: &Fence) -> Result<bool> {
        Ok(self.orgs.delete_one(fence.filter()).await?.deleted_count == 1)
    }

    /// Adopt a record of the original service: give it its name key, and an admin id
    /// stored as an ObjectId.
    pub(crate) async fn adopt_org(&self, org: &OrgDoc, key: &str) -> Result<()> {
        self.orgs
            .update_one(
                doc! { "_id": org.id, "name_key": { "$exists": false } },
                doc! { "$set": {
                    "name_key": key,
                    "admin_id": org.admin_id,
                    "state": State::Active.as_str(),
                } },
            )
            .await?;
        Ok(())
    }

    /// Undo [`adopt_org`](Self::adopt_org) for a record whose keys are held by another.
    pub(crate) async fn unadopt_org(&self, id: ObjectId) -> Result<()> {
        self.orgs
            .update_one(doc! { "_id": id }, doc! { "$unset": { "name_key": "" } })
            .await?;
        Ok(())
    }
}

/// The change an update makes to its admin.
pub(crate) struct AdminChange<'a> {
    /// The email as displayed.
    pub email: Option<&'a str>,
    /// The new email key, when it changes.
    pub email_key: Option<&'a str>,
    /// The new password hash (revokes earlier tokens).
    pub new_hash: Option<&'a str>,
}

/// Writes on admin users.
impl Store {
    /// Insert a tenant's admin; already there (a repeated step) is fine.
    pub(crate) async fn insert_admin(&self, admin: &AdminDoc) -> Result<()> {
        match self.admins.insert_one(admin).await {
            Err(e) if duplicate_key(&e).is_some() => match self.admin(admin.id).await? {
                Some(a) if a.organization_id == admin.organization_id => Ok(()),
                _ => Err(Error::internal("admin id taken by another tenant")),
            },
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// Apply an update's change to its admin, once: the admin records the operation.
    pub(crate) async fn update_admin_once(
        &self,
        admin: ObjectId,
        op: ObjectId,
        change: AdminChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut set = doc! { "last_op": op, "updated_at": bson::DateTime::from_chrono(now) };
        if let Some(email) = change.email {
            set.insert("email", email);
        }
        if let Some(key) = change.email_key {
            set.insert("email_key", key);
        }
        let mut update = doc! {};
        if let Some(hash) = change.new_hash {
            set.insert("hashed_password", hash);
            update.insert("$inc", doc! { "token_version": 1_i64 });
        }
        update.insert("$set", set);
        self.admins
            .update_one(doc! { "_id": admin, "last_op": { "$ne": op } }, update)
            .await?;
        Ok(())
    }

    /// Replace an admin's hash by an equivalent one at another cost, unless it changed.
    pub(crate) async fn replace_hash(&self, admin: ObjectId, old: &str, new: &str) -> Result<()> {
        self.admins
            .update_one(
                doc! { "_id": admin, "hashed_password": old },
                doc! { "$set": { "hashed_password": new } },
            )
            .await?;
        Ok(())
    }

    /// Every admin of a tenant follows its new name.
    pub(crate) async fn rename_admins(&self, org: ObjectId, name: &str) -> Result<()> {
        self.admins
            .update_many(
                doc! { "organization_id": org },
                doc! { "$set": { "organization_name": name } },
            )
            .await?;
        Ok(())
    }

    /// Remove every admin of a tenant.
    pub(crate) async fn delete_admins_of(&self, org: ObjectId) -> Result<()> {
        self.admins
            .delete_many(doc! { "organization_id": org })
            .await?;
        Ok(())
    }

    /// Admins of the original service start at token version 0 (updates count from it).
    pub(crate) async fn default_token_versions(&self) -> Result<()> {
        self.admins
            .update_many(
                doc! { "token_version": { "$exists": false } },
                doc! { "$set": { "token_version": 0_i64 } },
            )
            .await?;
        Ok(())
    }

    /// Adopt an admin of the original service: its email key, and its tenant's id as an
    /// ObjectId.
    pub(crate) async fn adopt_admin(
        &self,
        id: &Bson,
        key: &str,
        org: Option<ObjectId>,
    ) -> Result<()> {
        let mut set = doc! { "email_key": key };
        if let Some(org) = org {
            set.insert("organization_id", org);
        }
        self.admins
            .update_one(doc! { "_id": id.clone() }, doc! { "$set": set })
            .await?;
        Ok(())
    }

    /// Undo [`adopt_admin`](Self::adopt_admin) for an admin whose email key is held.
    pub(crate) async fn unadopt_admin(&self, id: &Bson) -> Result<()> {
        self.admins
            .update_one(
                doc! { "_id": id.clone() },
                doc! { "$unset": { "email_key": "" } },
            )
            .await?;
        Ok(())
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
