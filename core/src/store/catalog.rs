//! The tenants' collections: creating, renaming and dropping them, and the proofs of
//! ownership each of those needs before it touches a collection.
//!
//! **Markers.** `create` with options succeeds when the collection is absent or already has
//! exactly those options (MongoDB 7+, and the test server), and fails with code 48
//! otherwise. A collection created with options unique to one operation (its *marker*: a
//! validator on a field no document has, with validation off, so writes are unaffected) is
//! therefore created only if the name was free, atomically, and the same `create` again
//! proves in O(1) that the collection is the one that operation made (a `listCollections`
//! by name costs O(collections) on some servers). The marker is cleared when the operation
//! commits.
//!
//! **Tombstones.** A rename leaves, at the name it vacated, an empty collection whose
//! validator refuses every document: a write through the old name, by a handle or a name
//! given out before the rename, fails with error 121 instead of silently creating a new
//! collection under a name nobody owns. Tombstones are registered (`tenant_tombstones`),
//! replaced when a tenant takes the name again and swept by `recover()` after a retention.
//!
//! **Strays.** Between a rename and its tombstone, a write through the old name creates a
//! collection there: a *stray*. The rename turns it into the tombstone where it stands
//! (`collMod`: the name is never vacant, so no later write escapes), copies its documents
//! into the tenant's collection and only then removes them, so no acknowledged write is
//! lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Binary, Bson, Document};
use mongodb::error::ErrorKind;
use mongodb::options::InsertManyOptions;
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::{command_code, Result, DUPLICATE_KEY};
use crate::placement::{SHARED_PREFIX, TENANT_FIELD};

/// Server error codes.
const NAMESPACE_NOT_FOUND: i32 = 26;
const NAMESPACE_EXISTS: i32 = 48;
/// A document refused by a collection's validator (a tombstone's, among others).
pub(crate) const DOCUMENT_VALIDATION_FAILURE: i32 = 121;

/// Field of the tombstone validator; it names what happened, for whoever reads the error.
pub(crate) const TOMBSTONE_FIELD: &str = "__tenantry_moved";
/// Field of the marker validator.
const MARKER_FIELD: &str = "__tenantry_op";
/// Documents copied per batch when strays are merged.
const MERGE_BATCH: usize = 1000;

/// What a rename did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Renamed {
    Done,
    /// Another collection holds the target name (and `drop_target` was false).
    TargetExists,
    /// No collection holds the source name.
    SourceMissing,
}

/// A registered tombstone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TombstoneDoc {
    /// Its key: the collection name in the master database of the home cluster (as the
    /// registry always had it), `<cluster>/<database>/<collection>` elsewhere.
    #[serde(rename = "_id")]
    pub name: String,
    /// The collection name, when the key is not it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// The tenant whose rename left it.
    pub tenant: ObjectId,
    /// The database holding it (absent: the master database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The cluster holding it (absent: the home cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
}

impl TombstoneDoc {
    /// The tombstone's collection.
    pub(crate) fn collection(&self) -> &str {
        self.collection.as_deref().unwrap_or(&self.name)
    }
}

/// What merging a stray did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Merged {
    /// Documents copied into the tenant's collection.
    pub moved: u64,
    /// Documents whose `_id` the tenant's collection already held with other content: kept
    /// in `tenant_conflicts`, never dropped.
    pub parked: u64,
}

/// The options that mark a collection as created by operation `op`.
fn marker(op: ObjectId) -> Document {
    doc! { "validator": { MARKER_FIELD: op.to_hex() }, "validationLevel": "off" }
}

/// The options of a tombstone: every document fails (each has an `_id`).
fn tombstone() -> Document {
    doc! {
        "validator": {
            "_id": { "$exists": false },
            TOMBSTONE_FIELD: "this tenant's data was renamed; resolve its collection again",
        },
        "validationLevel": "strict",
        "validationAction": "error",
    }
}

/// The options of a shared collection of the `shared` layout: every document carries its
/// tenant's id (a write without one is refused, whoever makes it). Also what proves, in
/// O(1), that a collection is one of the library's shared collections.
fn shared_options() -> Document {
    doc! {
        "validator": { TENANT_FIELD: { "$type": "objectId" } },
        "validationLevel": "strict",
        "validationAction": "error",
    }
}

/// Whether an error is a tombstone (or any validator) refusing a write.
pub(crate) fn is_validation_failure(err: &mongodb::error::Error) -> bool {
    use mongodb::error::WriteFailure;
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DOCUMENT_VALIDATION_FAILURE,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .iter()
            .flatten()
            .any(|e| e.code == DOCUMENT_VALIDATION_FAILURE),
        _ => command_code(err) == Some(DOCUMENT_VALIDATION_FAILURE),
    }
}

impl Store {
    /// Run a command on the master database with the configured write concern.
    async fn catalog_command(&self, mut command: Document) -> mongodb::error::Result<Document> {
        if let Some(wc) = &self.write_concern {
            command.insert(
                "writeConcern",
                bson::to_bson(wc).map_err(|e| mongodb::error::Error::custom(e.to_string()))?,
            );
        }
        self.db.run_command(command).await
    }

    /// `create` with options: `true` when the collection now exists with exactly these
    /// options, `false` when another collection (or a view) holds the name.
    async fn create_with(&self, name: &str, options: Document) -> Result<bool> {
        let mut command = doc! { "create": name };
        command.extend(options);
        match self.catalog_command(command).await {
            Ok(_) => Ok(true),
            Err(e) if command_code(&e) == Some(NAMESPACE_EXISTS) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Create `name` as a plain collection (`false` when one is there already).
    pub(crate) async fn create_plain(&self, name: &str) -> Result<bool> {
        self.create_with(name, Document::new()).await
    }

    /// Create `name` marked as operation `op`'s, or prove it already is: `false` when
    /// another collection holds the name.
    pub(crate) async fn create_marked(&self, name: &str, op: ObjectId) -> Result<bool> {
        self.create_with(name, marker(op)).await
    }

    /// Clear an operation's marker: the collection becomes a plain one.
    pub(crate) async fn clear_marker(&self, name: &str) -> Result<()> {
        let command = doc! { "collMod": name, "validator": {}, "validationLevel": "strict" };
        match self.catalog_command(command).await {
            Err(e) if command_code(&e) != Some(NAMESPACE_NOT_FOUND) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Drop `name` if it is operation `op`'s marked collection; whether it was.
    pub(crate) async fn drop_marked(&self, name: &str, op: ObjectId) -> Result<bool> {
        if self.create_marked(name, op).await? {
            self.drop_collection(name).await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Make `name` a shared collection of the `shared` layout with its tenant index, or
    /// prove it is one: `false` when another collection holds the name.
    pub(crate) async fn ensure_shared(&self, name: &str) -> Result<bool> {
        // Created now, or proven ours in O(1); or ours with tenants fenced in it.
        if !self.create_with(name, shared_options()).await? && !self.is_shared(name).await? {
            return Ok(false);
        }
        let options = mongodb::options::IndexOptions::builder()
            .name(TENANT_FIELD.to_owned())
            .build();
        let index = mongodb::IndexModel::builder()
            .keys(doc! { TENANT_FIELD: 1 })
            .options(options)
            .build();
        self.db
            .collection::<Document>(name)
            .create_index(index)
            .await?;
        Ok(true)
    }

    /// The shared collections of the `shared` layout in this database (proven by their
    /// options, not by their names alone).
    pub(crate) async fn shared_collections(&self) -> Result<Vec<String>> {
        let mut shared = Vec::new();
        for name in self.collection_names().await? {
            if name.starts_with(SHARED_PREFIX) && self.is_shared(&name).await? {
                shared.push(name);
            }
        }
        Ok(shared)
    }

    /// Remove every document stamped with `tenant` from a shared collection.
    pub(crate) async fn delete_stamped(&self, name: &str, tenant: ObjectId) -> Result<u64> {
        let options = mongodb::options::DeleteOptions::builder()
            .write_concern(self.write_concern.clone())
            .build();
        let deleted = self
            .db
            .collection::<Document>(name)
            .delete_many(doc! { TENANT_FIELD: tenant })
            .with_options(options)
            .await?;
        Ok(deleted.deleted_count)
    }

    /// Drop this database if its collection `anchor` is the one with this UUID (the
    /// database a create made); whether it was dropped.
    pub(crate) async fn drop_database_if(&self, anchor: &str, uuid: &Binary) -> Result<bool> {
        if self.collection_uuid(anchor).await?.as_ref() != Some(uuid) {
            return Ok(false);
        }
        let mut command = doc! { "dropDatabase": 1 };
        if let Some(wc) = &self.write_concern {
            command.insert(
                "writeConcern",
                bson::to_bson(wc).map_err(crate::Error::internal)?,
            );
        }
        self.db.run_command(command).await?;
        Ok(true)
    }

    /// Make `name` a tombstone, or prove it is one: `false` when another collection holds
    /// the name (a stray, or data that is not ours).
    pub(crate) async fn ensure_tombstone(&self, name: &str) -> Result<bool> {
        self.create_with(name, tombstone()).await
    }

    /// Turn the collection at `name` (a stray) into a tombstone where it stands: from now
    /// on it refuses writes; its documents stay until moved out.
    pub(crate) async fn make_tombstone(&self, name: &str) -> Result<()> {
        let mut command = doc! { "collMod": name };
        command.extend(tombstone());
        self.catalog_command(command).await?;
        Ok(())
    }

    /// Free `name` if a tombstone holds it: whether the name is free now. A collection
    /// with tombstone options that holds documents anyway is left alone.
    pub(crate) async fn remove_tombstone(&self, name: &str) -> Result<bool> {
        if !self.ensure_tombstone(name).await? || !self.is_empty(name).await? {
            return Ok(false);
        }
        self.drop_collection(name).await?;
        self.tombstones
            .delete_one(doc! { "_id": self.tombstone_key(name) })
            .await?;
        Ok(true)
    }

    /// The registry key of a tombstone at `name` in this store's database and cluster.
    fn tombstone_key(&self, name: &str) -> String {
        let master = self.orgs.namespace().db;
        if self.cluster == crate::placement::HOME_CLUSTER && self.db.name() == master {
            name.to_owned()
        } else {
            format!("{}/{}/{name}", self.cluster, self.db.name())
        }
    }

    /// Record a tombstone left by `tenant`'s rename or move (in this store's database and
    /// cluster).
    pub(crate) async fn register_tombstone(&self, name: &str, tenant: ObjectId) -> Result<()> {
        self.tombstones
            .update_one(
                doc! { "_id": self.tombstone_key(name) },
                doc! { "$setOnInsert": {
                    "tenant": tenant,
                    "collection": name,
                    "database": self.db.name(),
                    "cluster": &self.cluster,
                    "created_at": bson::DateTime::now(),
                } },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    pub(crate) async fn tombstones(&self) -> Result<Vec<TombstoneDoc>> {
        Ok(self.tombstones.find(doc! {}).await?.try_collect().await?)
    }

    /// Drop a registered tombstone older than `retention`; whether it was dropped. A name
    /// that no longer holds a tombstone is only unregistered.
    pub(crate) async fn sweep_tombstone(
        &self,
        entry: &TombstoneDoc,
        retention: Duration,
    ) -> Result<bool> {
        let age = Utc::now() - entry.created_at;
        if age.to_std().unwrap_or_default() < retention {
            return Ok(false);
        }
        let dropped = self.remove_tombstone(entry.collection()).await?;
        self.tombstones
            .delete_one(doc! { "_id": &entry.name, "created_at": bson::DateTime::from_chrono(entry.created_at) })
            .await?;
        Ok(dropped)
    }

    /// `renameCollection` within the master database.
    pub(crate) async fn rename_collection(
        &self,
        from: &str,
        to: &str,
        drop_target: bool,
    ) -> Result<Renamed> {
        let db = self.db.name();
        let mut command = doc! {
            "renameCollection": format!("{db}.{from}"),
            "to": format!("{db}.{to}"),
            "dropTarget": drop_target,
        };
        if let Some(wc) = &self.write_concern {
            command.insert(
                "writeConcern",
                bson::to_bson(wc).map_err(crate::Error::internal)?,
            );
        }
        match self.client.database("admin").run_command(command).await {
            Ok(_) => Ok(Renamed::Done),
            Err(e) => match command_code(&e) {
                Some(NAMESPACE_EXISTS) => Ok(Renamed::TargetExists),
                Some(NAMESPACE_NOT_FOUND) => Ok(Renamed::SourceMissing),
                _ => Err(e.into()),
            },
        }
    }

    /// Drop a collection; a missing one is fine.
    pub(crate) async fn drop_collection(&self, name: &str) -> Result<()> {
        match self.catalog_command(doc! { "drop": name }).await {
            Err(e) if command_code(&e) != Some(NAMESPACE_NOT_FOUND) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Whether a collection holds no document (a missing one holds none).
    pub(crate) async fn is_empty(&self, name: &str) -> Result<bool> {
        let any = self
            .db
            .collection::<Document>(name)
            .find_one(doc! {})
            .projection(doc! { "_id": 1 })
            .await?;
        Ok(any.is_none())
    }

    /// The UUID of a collection, if it exists. `listCollections`: O(collections) on some
    /// servers, so only deletes use it.
    pub(crate) async fn collection_uuid(&self, name: &str) -> Result<Option<Binary>> {
        Ok(self
            .collection_spec(name)
            .await?
            .and_then(|spec| spec.info.uuid))
    }

    /// What `listCollections` says of the collection `name`, if it exists.
    pub(crate) async fn collection_spec(
        &self,
        name: &str,
    ) -> Result<Option<mongodb::results::CollectionSpecification>> {
        let found: Vec<_> = self
            .db
            .list_collections()
            .filter(doc! { "name": name })
            .await?
            .try_collect()
            .await?;
        Ok(found.into_iter().find(|spec| spec.name == name))
    }

    /// Drop `name` only if it is the collection with this UUID; whether it was dropped.
    pub(crate) async fn drop_if_uuid(&self, name: &str, uuid: &Binary) -> Result<bool> {
        if self.collection_uuid(name).await?.as_ref() == Some(uuid) {
            self.drop_collection(name).await?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(crate) async fn collection_names(&self) -> Result<Vec<String>> {
        Ok(self.db.list_collection_names().await?)
    }

    /// Move every document of the tombstone `from` into `to`, the tenant's collection, for
    /// `tenant`: each batch is copied, then removed from `from` by `_id` (never wholesale,
    /// so a document that reaches the tombstone meanwhile stays to be moved by the next
    /// call). Idempotent: a document already copied is skipped; one whose `_id` `to` holds
    /// with other content is parked in `tenant_conflicts`.
    pub(crate) async fn move_documents(
        &self,
        from: &str,
        to: &str,
        tenant: ObjectId,
    ) -> Result<Merged> {
        let source = self.db.collection::<Document>(from);
        let target = self.db.collection::<Document>(to);
        let mut merged = Merged::default();
        loop {
            let batch: Vec<Document> = source
                .find(doc! {})
                .limit(MERGE_BATCH as i64)
                .await?
                .try_collect()
                .await?;
            if batch.is_empty() {
                return Ok(merged);
            }
            let ids: Vec<Bson> = batch.iter().filter_map(|d| d.get("_id").cloned()).collect();
            self.insert_merging(&target, batch, tenant, &mut merged)
                .await?;
            source.delete_many(doc! { "_id": { "$in": ids } }).await?;
        }
    }

    async fn insert_merging(
        &self,
        target: &mongodb::Collection<Document>,
        docs: Vec<Document>,
        tenant: ObjectId,
        merged: &mut Merged,
    ) -> Result<()> {
        let options = InsertManyOptions::builder()
            .ordered(false)
            .bypass_document_validation(true)
            .write_concern(self.write_concern.clone())
            .build();
        let count = docs.len() as u64;
        let failures = match target.insert_many(&docs).with_options(options).await {
            Ok(_) => Vec::new(),
            Err(e) => match e.kind.as_ref() {
                ErrorKind::InsertMany(m) if m.write_concern_error.is_none() => {
                    let errors = m.write_errors.clone().unwrap_or_default();
                    if errors.iter().any(|w| w.code != DUPLICATE_KEY) {
                        return Err(e.into());
                    }
                    errors.into_iter().map(|w| w.index).collect()
                }
                _ => return Err(e.into()),
            },
        };
        merged.moved += count - failures.len() as u64;
        for index in failures {
            let doc = &docs[index];
            let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
            let existing = target.find_one(doc! { "_id": id.clone() }).await?;
            if existing.as_ref() == Some(doc) {
                merged.moved += 1; // Copied by an earlier, interrupted merge.
                continue;
            }
            let entry = doc! {
                "_id": { "tenant": tenant, "collection": target.name(), "id": id },
                "doc": doc,
                "at": bson::DateTime::now(),
            };
            match self.conflicts.insert_one(entry).await {
                // Parked by an earlier, interrupted merge.
                Err(e) if crate::error::duplicate_key(&e).is_some() => {}
                other => {
                    other?;
                }
            }
            merged.parked += 1;
        }
        Ok(())
    }
}
