//! What an online move needs of the data side: a collection's options and indexes (so the
//! copy has the same), idempotent copies of documents, and the fence of a tenant in a
//! shared collection.
//!
//! **Shared fences.** A tenant leaving a shared collection is fenced there by the
//! collection's validator: `{ _tenant: { $type: "objectId", $nin: [<fenced ids>] } }`
//! refuses every write for a fenced tenant (error 121) and lets the others' through. The
//! list is kept in the catalog (`tenant_fences`, one document per shared collection, the
//! truth), and the validator is rewritten from it under that document's lock, so two moves
//! fencing two tenants of one collection never undo each other's fence. Each fence records
//! when it was set; `recover()` lifts those older than the tombstone retention (the same
//! promise as a tombstone's: a handle older than that is no longer protected), so the
//! list stays as long as the moves of the last retention period, not of all time.

use std::time::Duration;

use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document, RawDocumentBuf};
use mongodb::error::ErrorKind;
use mongodb::options::{IndexOptions, InsertManyOptions, ReplaceOptions};
use mongodb::IndexModel;

use super::Store;
use crate::error::{command_code, duplicate_key, Error, Result, DUPLICATE_KEY};
use crate::placement::TENANT_FIELD;

/// How long a shared fence's lock is held at most (a holder that dies frees it then).
const FENCE_LOCK: Duration = Duration::from_secs(10);
/// How long to wait for a shared fence's lock before giving up.
const FENCE_WAIT: Duration = Duration::from_secs(30);
const NAMESPACE_NOT_FOUND: i32 = 26;

/// A tenant fenced in a shared collection it left.
#[derive(Debug, Clone)]
pub(crate) struct SharedFence {
    pub cluster: String,
    pub database: String,
    pub collection: String,
    pub tenant: ObjectId,
    /// When the fence was set.
    pub since: bson::DateTime,
}

/// The validator of a shared collection fencing `fenced`.
pub(crate) fn shared_validator(fenced: &[ObjectId]) -> Document {
    let mut condition = doc! { "$type": "objectId" };
    if !fenced.is_empty() {
        condition.insert(
            "$nin",
            fenced
                .iter()
                .map(|id| Bson::ObjectId(*id))
                .collect::<Vec<_>>(),
        );
    }
    doc! { TENANT_FIELD: condition }
}

impl Store {
    /// A collection's validation options (`validator`, `validationLevel`,
    /// `validationAction`), `None` when it does not exist.
    pub(crate) async fn collection_options(&self, name: &str) -> Result<Option<Document>> {
        let Some(spec) = self.collection_spec(name).await? else {
            return Ok(None);
        };
        let options = bson::to_document(&spec.options).map_err(Error::internal)?;
        let mut kept = Document::new();
        for field in ["validator", "validationLevel", "validationAction"] {
            if let Some(v) = options.get(field) {
                kept.insert(field, v.clone());
            }
        }
        Ok(Some(kept))
    }

    /// Set a collection's validation options (an empty validator when `options` has none).
    pub(crate) async fn set_options(&self, name: &str, options: &Document) -> Result<()> {
        let mut command = doc! { "collMod": name };
        command.insert(
            "validator",
            options
                .get("validator")
                .cloned()
                .unwrap_or(Bson::Document(Document::new())),
        );
        command.insert(
            "validationLevel",
            options
                .get("validationLevel")
                .cloned()
                .unwrap_or(Bson::String("strict".into())),
        );
        command.insert(
            "validationAction",
            options
                .get("validationAction")
                .cloned()
                .unwrap_or(Bson::String("error".into())),
        );
        match self.db.run_command(command).await {
            Err(e) if command_code(&e) == Some(NAMESPACE_NOT_FOUND) => Ok(()),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// The secondary indexes of a collection (none when it does not exist).
    pub(crate) async fn indexes(&self, name: &str) -> Result<Vec<IndexModel>> {
        let listed = self.db.collection::<Document>(name).list_indexes().await;
        let indexes: Vec<IndexModel> = match listed {
            Ok(cursor) => cursor.try_collect().await?,
            Err(e) if command_code(&e) == Some(NAMESPACE_NOT_FOUND) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        Ok(indexes
            .into_iter()
            .filter(|i| i.keys != doc! { "_id": 1 })
            .collect())
    }

    /// Create an index (an equal one already there is fine).
    pub(crate) async fn ensure_index(&self, name: &str, index: IndexModel) -> Result<()> {
        self.db
            .collection::<Document>(name)
            .create_index(index)
            .await?;
        Ok(())
    }

    /// Write `docs` into `name` as they are: inserted, or replacing the document with the
    /// same `_id` (a copy made again after a crash) if it is `stamp`'s (in a shared
    /// collection, where another tenant may hold the `_id`: that refuses the copy).
    pub(crate) async fn put_documents(
        &self,
        name: &str,
        docs: &[RawDocumentBuf],
        stamp: Option<ObjectId>,
    ) -> Result<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let target = self.db.collection::<RawDocumentBuf>(name);
        let options = InsertManyOptions::builder()
            .ordered(false)
            .bypass_document_validation(true)
            .write_concern(self.write_concern.clone())
            .build();
        let again = match target.insert_many(docs).with_options(options).await {
            Ok(_) => return Ok(()),
            Err(e) => match e.kind.as_ref() {
                ErrorKind::InsertMany(m) if m.write_concern_error.is_none() => {
                    let errors = m.write_errors.clone().unwrap_or_default();
                    if errors.iter().any(|w| w.code != DUPLICATE_KEY) {
                        return Err(e.into());
                    }
                    errors.into_iter().map(|w| w.index).collect::<Vec<_>>()
                }
                _ => return Err(e.into()),
            },
        };
        for index in again {
            let doc = docs[index].to_document().map_err(Error::internal)?;
            self.put_document(name, &doc, stamp).await?;
        }
        Ok(())
    }

    /// Insert `doc` into `name`, or replace the document with its `_id` if it is
    /// `stamp`'s (see [`put_documents`](Self::put_documents)).
    pub(crate) async fn put_document(
        &self,
        name: &str,
        doc: &Document,
        stamp: Option<ObjectId>,
    ) -> Result<()> {
        let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
        let mut filter = doc! { "_id": id };
        if let Some(tenant) = stamp {
            // Never another tenant's document: with the stamp in the filter, an `_id` held
            // by another makes the upsert insert, which its unique index refuses.
            filter.insert(TENANT_FIELD, tenant);
        }
        let options = ReplaceOptions::builder()
            .upsert(true)
            .bypass_document_validation(true)
            .write_concern(self.write_concern.clone())
            .build();
        let replaced = self
            .db
            .collection::<Document>(name)
            .replace_one(filter, doc)
            .with_options(options)
            .await;
        match replaced {
            // The `_id` is another tenant's in a shared collection: the move cannot go on.
            Err(e) if duplicate_key(&e).is_some() => Err(Error::invalid(
                "target",
                "a document's _id is taken by another tenant in the target shared collection",
            )),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// Delete the document of `filter` (an `_id`, and a stamp in a shared collection).
    pub(crate) async fn delete_document(&self, name: &str, filter: Document) -> Result<()> {
        let options = mongodb::options::DeleteOptions::builder()
            .write_concern(self.write_concern.clone())
            .build();
        self.db
            .collection::<Document>(name)
            .delete_one(filter)
            .with_options(options)
            .await?;
        Ok(())
    }

    /// Remove every document of `name` (it stays, with its options).
    pub(crate) async fn empty(&self, name: &str) -> Result<()> {
        let options = mongodb::options::DeleteOptions::builder()
            .write_concern(self.write_concern.clone())
            .build();
        self.db
            .collection::<Document>(name)
            .delete_many(doc! {})
            .with_options(options)
            .await?;
        Ok(())
    }

    /// Fence (or unfence) `tenant` in the shared collection `name` of this store's database
    /// on `cluster` (see the module docs). A fence records when it was set.
    pub(crate) async fn set_shared_fence(
        &self,
        cluster: &str,
        name: &str,
        tenant: ObjectId,
        fenced: bool,
    ) -> Result<()> {
        let since = format!("since.{}", tenant.to_hex());
        let change = if fenced {
            doc! {
                "$addToSet": { "tenants": tenant },
                "$set": {
                    since: bson::DateTime::now(),
                    "cluster": cluster,
                    "database": self.db.name(),
                    "collection": name,
                },
            }
        } else {
            doc! { "$pull": { "tenants": tenant }, "$unset": { since: "" } }
        };
        self.change_fences(cluster, name, doc! {}, change).await?;
        Ok(())
    }

    /// Lift `tenant`'s fence in the shared collection `name` if it is still the one set at
    /// `since` (a fence set again meanwhile, by another move, stays); whether it was.
    pub(crate) async fn lift_fence_set_at(
        &self,
        cluster: &str,
        name: &str,
        tenant: ObjectId,
        since: bson::DateTime,
    ) -> Result<bool> {
        let field = format!("since.{}", tenant.to_hex());
        let change = doc! { "$pull": { "tenants": tenant }, "$unset": { &field: "" } };
        self.change_fences(cluster, name, doc! { field: since }, change)
            .await
    }

    /// Apply `change` to the fences of the shared collection `name` (if they also match
    /// `condition`) and rewrite its validator from them, under their lock; whether the
    /// change applied.
    async fn change_fences(
        &self,
        cluster: &str,
        name: &str,
        condition: Document,
        change: Document,
    ) -> Result<bool> {
        let key = format!("{cluster}/{}/{name}", self.db.name());
        let me = ObjectId::new();
        let deadline = std::time::Instant::now() + FENCE_WAIT;
        loop {
            let now = bson::DateTime::now();
            let until =
                bson::DateTime::from_millis(now.timestamp_millis() + FENCE_LOCK.as_millis() as i64);
            let free = doc! { "_id": &key, "$or": [
                { "lock": { "$exists": false } },
                { "lock.until": { "$lt": now } },
            ] };
            let take = doc! { "$set": { "lock": { "owner": me, "until": until } } };
            match self.fences.update_one(free, take).upsert(true).await {
                Ok(_) => break,
                Err(e) if duplicate_key(&e).is_some() => {}
                Err(e) => return Err(e.into()),
            }
            if std::time::Instant::now() > deadline {
                return Err(Error::busy());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let held = doc! { "_id": &key, "lock.owner": me };
        let mut filter = held.clone();
        filter.extend(condition);
        let changed = self.fences.update_one(filter, change).await?.matched_count == 1;
        let current = self.fences.find_one(held.clone()).await?;
        let result = match current {
            Some(doc) => {
                let ids: Vec<ObjectId> = doc
                    .get_array("tenants")
                    .map(|a| a.iter().filter_map(Bson::as_object_id).collect())
                    .unwrap_or_default();
                let options = doc! {
                    "validator": shared_validator(&ids),
                    "validationLevel": "strict",
                    "validationAction": "error",
                };
                self.set_options(name, &options).await
            }
            None => Err(Error::lost()),
        };
        self.fences
            .update_one(held, doc! { "$unset": { "lock": "" } })
            .await?;
        result.map(|()| changed)
    }

    /// Every fence of a tenant in a shared collection, with when it was set. A fence
    /// recorded without its time (by an earlier version) is given the present one.
    pub(crate) async fn shared_fences(&self) -> Result<Vec<SharedFence>> {
        let mut fences = Vec::new();
        let mut cursor = self.fences.find(doc! {}).await?;
        while let Some(doc) = cursor.try_next().await? {
            let Ok(key) = doc.get_str("_id") else {
                continue;
            };
            let mut parts = key.splitn(3, '/');
            let (Some(cluster), Some(database), Some(collection)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let since = doc.get_document("since").ok();
            for tenant in doc
                .get_array("tenants")
                .map(|a| a.iter().filter_map(Bson::as_object_id).collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let field = format!("since.{}", tenant.to_hex());
                let at = match since.and_then(|s| s.get_datetime(tenant.to_hex()).ok()) {
                    Some(at) => *at,
                    None => {
                        let now = bson::DateTime::now();
                        let untimed =
                            doc! { "_id": key, "tenants": tenant, &field: { "$exists": false } };
                        self.fences
                            .update_one(untimed, doc! { "$set": { &field: now } })
                            .await?;
                        now
                    }
                };
                fences.push(SharedFence {
                    cluster: cluster.to_owned(),
                    database: database.to_owned(),
                    collection: collection.to_owned(),
                    tenant,
                    since: at,
                });
            }
        }
        Ok(fences)
    }

    /// Whether `name` is one of the library's shared collections (its validator requires
    /// the stamp; tenants may be fenced in it).
    pub(crate) async fn is_shared(&self, name: &str) -> Result<bool> {
        let Some(options) = self.collection_options(name).await? else {
            return Ok(false);
        };
        let stamp = options
            .get_document("validator")
            .ok()
            .and_then(|v| v.get_document(TENANT_FIELD).ok())
            .and_then(|c| c.get_str("$type").ok());
        Ok(stamp == Some("objectId")
            && options.get_str("validationLevel") == Ok("strict")
            && options.get_str("validationAction") == Ok("error"))
    }

    /// The documents of `name` matching `filter`, in `_id` order, from after `after`, at
    /// most `limit`.
    pub(crate) async fn batch_after(
        &self,
        name: &str,
        filter: &Document,
        after: Option<&Bson>,
        limit: i64,
    ) -> Result<Vec<Document>> {
        let mut filter = filter.clone();
        if let Some(after) = after {
            filter = doc! { "$and": [filter, { "_id": { "$gt": after.clone() } }] };
        }
        Ok(self
            .db
            .collection::<Document>(name)
            .find(filter)
            .sort(doc! { "_id": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many documents of `name` match `filter`.
    pub(crate) async fn count(&self, name: &str, filter: Document) -> Result<u64> {
        Ok(self
            .db
            .collection::<Document>(name)
            .count_documents(filter)
            .await?)
    }
}

/// Index options as they can be given to a create (the listed ones carry the namespace
/// version fields, which a create on another collection must not repeat).
pub(crate) fn portable(index: IndexModel) -> IndexModel {
    let options = index.options.map(|o| {
        IndexOptions::builder()
            .name(o.name)
            .unique(o.unique)
            .sparse(o.sparse)
            .expire_after(o.expire_after)
            .partial_filter_expression(o.partial_filter_expression)
            .collation(o.collation)
            .weights(o.weights)
            .default_language(o.default_language)
            .language_override(o.language_override)
            .hidden(o.hidden)
            .wildcard_projection(o.wildcard_projection)
            .build()
    });
    IndexModel::builder()
        .keys(index.keys)
        .options(options)
        .build()
}
