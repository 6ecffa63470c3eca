//! [`TenantCollection`]: a tenant's own collection that follows the tenant across renames.
//!
//! A rename leaves a tombstone at the old collection name that refuses every write (error
//! 121). A write through this handle that meets it resolves the tenant's current collection
//! again and is retried there; while the rename is still running, it waits for it (up to the
//! configured database timeout). A write the tombstone refused was not applied, so the retry
//! applies it once.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mongodb::bson::{oid::ObjectId, Document};
use mongodb::options::{DeleteOptions, UpdateModifications};
use mongodb::results::{DeleteResult, InsertManyResult, InsertOneResult, UpdateResult};
use mongodb::Collection;
use serde::Serialize;

use crate::context::Cx;
use crate::error::{Error, Result};
use crate::store::{is_validation_failure, Detail};

/// How long a write waits between two looks at a tenant being renamed.
const RENAME_POLL: Duration = Duration::from_millis(20);

/// A tenant's own collection (see the module docs).
pub struct TenantCollection<T: Send + Sync> {
    cx: Arc<Cx>,
    tenant: ObjectId,
    current: Mutex<Collection<T>>,
    /// Whether the collection moves when the tenant is renamed (the default collection of
    /// a `slug`-named tenant); a write refused in another is not retried elsewhere.
    follows: bool,
}

impl<T: Send + Sync> std::fmt::Debug for TenantCollection<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCollection")
            .field("tenant", &self.tenant)
            .field("name", &self.name())
            .finish()
    }
}

impl<T: Send + Sync> TenantCollection<T> {
    pub(crate) fn new(cx: Arc<Cx>, tenant: ObjectId, collection: Collection<T>) -> Self {
        TenantCollection {
            cx,
            tenant,
            current: Mutex::new(collection),
            follows: true,
        }
    }

    /// Whether writes refused by a tombstone are retried on the tenant's current
    /// collection (by default they are).
    pub(crate) fn following_renames(mut self, follows: bool) -> Self {
        self.follows = follows;
        self
    }

    /// The collection as last resolved: for reads, and for anything the handle does not
    /// wrap (its writes are refused by a tombstone after a rename, never lost).
    pub fn collection(&self) -> Collection<T> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `database.collection` as last resolved.
    pub fn namespace(&self) -> mongodb::Namespace {
        self.collection().namespace()
    }

    /// The collection's name as last resolved.
    pub fn name(&self) -> String {
        self.collection().name().to_owned()
    }

    /// The tenant's collection now, waiting out a rename in flight; `None` once the tenant
    /// is gone.
    async fn resolve(&self, stale: &str) -> Result<Option<Collection<T>>> {
        if !self.follows {
            return Ok(None);
        }
        let deadline = Instant::now() + self.cx.config.database_timeout;
        loop {
            let Some(org) = self.cx.store.org(self.tenant).await? else {
                return Ok(None);
            };
            let name = org.data_collection();
            if name != stale {
                let fresh: Collection<T> = self.cx.data(&org)?.db.collection(name);
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) = fresh.clone();
                return Ok(Some(fresh));
            }
            let renaming = match &org.op {
                Some(journal) => match &journal.detail {
                    Detail::Update(update) => update.moving(&org).is_some(),
                    _ => false,
                },
                None => false,
            };
            if !renaming || Instant::now() > deadline {
                return Ok(None);
            }
            tokio::time::sleep(RENAME_POLL).await;
        }
    }

    /// Run a write on the tenant's collection; retried on its current collection when a
    /// tombstone refuses it. `retry_if` also asks for a retry after a successful outcome
    /// (an update that matched nothing through a stale name).
    pub async fn write<R, F, Fut>(&self, op: F) -> Result<R>
    where
        F: Fn(Collection<T>) -> Fut,
        Fut: Future<Output = mongodb::error::Result<R>>,
    {
        self.write_checked(op, |_| false).await
    }

    async fn write_checked<R, F, Fut>(&self, op: F, retry_if: impl Fn(&R) -> bool) -> Result<R>
    where
        F: Fn(Collection<T>) -> Fut,
        Fut: Future<Output = mongodb::error::Result<R>>,
    {
        let mut collection = self.collection();
        loop {
            let stale = collection.name().to_owned();
            match op(collection).await {
                Ok(r) if !retry_if(&r) => return Ok(r),
                Ok(r) => match self.resolve(&stale).await? {
                    Some(fresh) => collection = fresh,
                    None => return Ok(r),
                },
                Err(e) if is_validation_failure(&e) => match self.resolve(&stale).await? {
                    Some(fresh) => collection = fresh,
                    None => return Err(Error::from(e)),
                },
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl<T: Serialize + Send + Sync> TenantCollection<T> {
    /// `insertOne`.
    pub async fn insert_one(&self, doc: &T) -> Result<InsertOneResult> {
        self.write(|c| async move { c.insert_one(doc).await }).await
    }

    /// `insertMany` (ordered: after a refusal, nothing past the refused document was
    /// written, and the retry writes it all).
    pub async fn insert_many(&self, docs: &[T]) -> Result<InsertManyResult> {
        self.write(|c| async move { c.insert_many(docs).await })
            .await
    }

    /// `replaceOne`.
    pub async fn replace_one(&self, filter: Document, replacement: &T) -> Result<UpdateResult> {
        self.write_checked(
            |c| {
                let filter = filter.clone();
                async move { c.replace_one(filter, replacement).await }
            },
            |r| r.matched_count == 0,
        )
        .await
    }

    /// `updateOne`.
    pub async fn update_one(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications> + Clone,
    ) -> Result<UpdateResult> {
        self.write_checked(
            |c| {
                let (filter, update) = (filter.clone(), update.clone());
                async move { c.update_one(filter, update).await }
            },
            |r| r.matched_count == 0,
        )
        .await
    }

    /// `updateMany`.
    pub async fn update_many(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications> + Clone,
    ) -> Result<UpdateResult> {
        self.write_checked(
            |c| {
                let (filter, update) = (filter.clone(), update.clone());
                async move { c.update_many(filter, update).await }
            },
            |r| r.matched_count == 0,
        )
        .await
    }

    /// `deleteOne`.
    pub async fn delete_one(&self, filter: Document) -> Result<DeleteResult> {
        self.write_checked(
            |c| {
                let filter = filter.clone();
                async move {
                    c.delete_one(filter)
                        .with_options(DeleteOptions::default())
                        .await
                }
            },
            |r| r.deleted_count == 0,
        )
        .await
    }

    /// `deleteMany`.
    pub async fn delete_many(&self, filter: Document) -> Result<DeleteResult> {
        self.write_checked(
            |c| {
                let filter = filter.clone();
                async move { c.delete_many(filter).await }
            },
            |r| r.deleted_count == 0,
        )
        .await
    }
}
