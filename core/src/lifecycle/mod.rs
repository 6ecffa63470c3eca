//! The journaled lifecycle operations. Each claims the tenant record first (a conditional
//! write under unique indexes, so races have one winner), writes its steps in an order
//! that `recover` can finish or undo from any point, and releases the record last.

mod create;
mod delete;
mod update;

use chrono::Utc;
use mongodb::bson::{doc, oid::ObjectId};

use crate::error::{command_code, Error, Result};
use crate::manager::Inner;
use crate::store::{bson_time, Operation, OrgDoc};

/// Server error codes used below.
pub(crate) const NAMESPACE_NOT_FOUND: i32 = 26;
pub(crate) const NAMESPACE_EXISTS: i32 = 48;

impl Inner {
    /// A fresh journal entry, leased to this process for the configured time.
    pub(crate) fn new_operation(&self) -> Operation {
        Operation {
            id: ObjectId::new(),
            lease_until: self.lease_deadline(),
            admin_id: None,
            admin_email: None,
            email_key: None,
            from_email_key: None,
            rename: None,
        }
    }

    pub(crate) fn lease_deadline(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.config.operation_lease).unwrap_or_default()
    }

    /// Create a tenant collection; an existing one is fine (the name is claimed by us).
    pub(crate) async fn create_collection(&self, name: &str) -> Result<()> {
        match self.store.db.create_collection(name).await {
            Err(e) if command_code(&e) != Some(NAMESPACE_EXISTS) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Drop a tenant collection; a missing one is fine.
    pub(crate) async fn drop_collection(&self, name: &str) -> Result<()> {
        match self.store.raw(name).drop().await {
            Err(e) if command_code(&e) != Some(NAMESPACE_NOT_FOUND) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Move a tenant collection within the master database: `renameCollection`, metadata
    /// only. Idempotent, so an interrupted rename can be repeated.
    pub(crate) async fn move_collection(&self, from: &str, to: &str) -> Result<()> {
        let db = &self.config.master_db;
        let command = doc! {
            "renameCollection": format!("{db}.{from}"),
            "to": format!("{db}.{to}"),
            "dropTarget": false,
        };
        let admin = self.client.database("admin");
        match admin.run_command(command.clone()).await {
            Ok(_) => Ok(()),
            Err(e) => match command_code(&e) {
                // Already moved by an earlier attempt, or a tenant of the original service
                // whose collection was never materialized: make sure the target exists.
                Some(NAMESPACE_NOT_FOUND) => self.create_collection(to).await,
                // An empty leftover at the target (checked before the claim) is replaced.
                Some(NAMESPACE_EXISTS)
                    if self.store.raw(to).estimated_document_count().await? == 0 =>
                {
                    self.drop_collection(to).await?;
                    admin.run_command(command).await?;
                    Ok(())
                }
                Some(NAMESPACE_EXISTS) => Err(Error::Conflict {
                    message: format!("collection '{to}' already exists and holds data"),
                }),
                _ => Err(e.into()),
            },
        }
    }

    /// Refuse a target collection that holds data not ours. A missing collection reads as
    /// empty; one `find_one` asks exactly that (a `listCollections`, even filtered by name,
    /// costs O(collections) on some servers).
    pub(crate) async fn check_free_collection(&self, name: &str) -> Result<()> {
        let holds_data = self
            .store
            .raw(name)
            .find_one(doc! {})
            .projection(doc! { "_id": 1 })
            .await?
            .is_some();
        if holds_data {
            return Err(Error::Conflict {
                message: format!(
                    "collection '{name}' already exists and holds data not owned by any tenant"
                ),
            });
        }
        Ok(())
    }

    /// Release a record after its operation: back to active, journal entry removed.
    pub(crate) fn release_update(now: chrono::DateTime<Utc>) -> mongodb::bson::Document {
        doc! { "state": "active", "updated_at": bson_time(now) }
    }
}

/// A filter matching `org` only while it is active under the name and collection it was
/// read with: a claim made on a stale read (another rename or a delete in between) fails.
pub(crate) fn pinned(org: &OrgDoc) -> mongodb::bson::Document {
    let mut filter =
        doc! { "_id": org.id, "state": "active", "collection_name": &org.collection_name };
    match &org.name_key {
        Some(key) => filter.insert("name_key", key),
        None => filter.insert("name_key", doc! { "$exists": false }),
    };
    filter
}
