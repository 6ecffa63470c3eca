//! Key documents (`tenant_keys`): one per taken organization name key, collection name and
//! admin email, `_id` = `<kind>:<value>`, with its `owner` (the tenant's or the admin's id)
//! and `op`, the operation that last asserted it.
//!
//! Taking a key is an insert under the `_id` unique index, so of N racing claims exactly
//! one succeeds. Key documents are inserted and deleted; the only update re-stamps `op`,
//! a field no index covers, so the unique index stays exact even on servers whose index
//! maintenance on updates is imperfect. Every delete names the `op` it read: a key its
//! owner re-asserted meanwhile is not removed.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::{duplicate_key, Result};

/// What a key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Name,
    Collection,
    Email,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Name => "name:",
            Kind::Collection => "collection:",
            Kind::Email => "email:",
        }
    }
}

/// One key: kind and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub kind: Kind,
    pub value: String,
}

impl Key {
    pub(crate) fn new(kind: Kind, value: impl Into<String>) -> Self {
        Key {
            kind,
            value: value.into(),
        }
    }

    pub(crate) fn id(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.value)
    }

    pub(crate) fn parse(id: &str) -> Option<Key> {
        [Kind::Name, Kind::Collection, Kind::Email]
            .into_iter()
            .find_map(|kind| id.strip_prefix(kind.prefix()).map(|v| Key::new(kind, v)))
    }
}

/// A key document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub owner: ObjectId,
    /// The operation that took or last re-asserted the key (absent on keys written before
    /// this field existed).
    #[serde(default)]
    pub op: Option<ObjectId>,
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Insert a key; `false` when it is taken (by anyone, ourselves included).
    pub(crate) async fn insert_key(
        &self,
        key: &Key,
        owner: ObjectId,
        op: ObjectId,
    ) -> Result<bool> {
        let entry = KeyDoc {
            id: key.id(),
            owner,
            op: Some(op),
            created_at: Utc::now(),
        };
        match self.keys.insert_one(&entry).await {
            Ok(_) => Ok(true),
            Err(e) if duplicate_key(&e).is_some() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn key(&self, key: &Key) -> Result<Option<KeyDoc>> {
        Ok(self.keys.find_one(doc! { "_id": key.id() }).await?)
    }

    /// The key of an admin's email, with its holder.
    pub(crate) async fn email_key_holder(&self, email_key: &str) -> Result<Option<KeyDoc>> {
        self.key(&Key::new(Kind::Email, email_key)).await
    }

    /// Re-stamp a key its owner holds with a new operation, if nobody changed it since it
    /// was read as `seen`.
    pub(crate) async fn restamp_key(&self, seen: &KeyDoc, op: ObjectId) -> Result<bool> {
        let filter = doc! { "_id": &seen.id, "owner": seen.owner, "op": seen.op };
        let change = doc! { "$set": { "op": op } };
        Ok(self.keys.update_one(filter, change).await?.matched_count == 1)
    }

    /// Remove a key exactly as it was read (same owner, same operation stamp).
    pub(crate) async fn delete_key_as_seen(&self, seen: &KeyDoc) -> Result<bool> {
        let filter = doc! { "_id": &seen.id, "owner": seen.owner, "op": seen.op };
        Ok(self.keys.delete_one(filter).await?.deleted_count == 1)
    }

    /// Remove the keys an operation took (an undo).
    pub(crate) async fn delete_keys_of_op(&self, keys: &[Key], op: ObjectId) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = keys.iter().map(Key::id).collect();
        self.keys
            .delete_many(doc! { "_id": { "$in": ids }, "op": op })
            .await?;
        Ok(())
    }

    /// Remove every key of owners that no longer exist.
    pub(crate) async fn delete_keys_of_owners(&self, owners: &[ObjectId]) -> Result<()> {
        self.keys
            .delete_many(doc! { "owner": { "$in": owners } })
            .await?;
        Ok(())
    }

    pub(crate) async fn all_keys(&self) -> Result<Vec<KeyDoc>> {
        Ok(self.keys.find(doc! {}).await?.try_collect().await?)
    }
}
