//! [`TenantCollection`]: a tenant's own collection that follows the tenant across renames
//! and moves.
//!
//! A rename leaves a tombstone at the old collection name that refuses every write (error
//! 121); a move fences its source the same way for its cut-over, and leaves it fenced. A
//! write through this handle that meets a refusal resolves the tenant's current collection
//! again and is retried there; while the rename or move is still running, it waits for it
//! (up to the configured database timeout, then `CONFLICT`: retry). A refused write was not
//! applied, so the retry applies it once.

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
use crate::placement::{self, Layout};
use crate::store::{is_validation_failure, Detail, OrgDoc};

/// How long a write waits between two looks at a tenant being renamed.
const RENAME_POLL: Duration = Duration::from_millis(20);

/// A tenant's own collection (see the module docs).
pub struct TenantCollection<T: Send + Sync> {
    cx: Arc<Cx>,
    tenant: ObjectId,
    /// The tenant's logical collection this handle is.
    logical: String,
    /// Whether it was opened in the `shared` layout (its writes are confined).
    shared: bool,
    /// The cluster and collection as last resolved.
    current: Mutex<(String, Collection<T>)>,
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
    pub(crate) fn new(cx: Arc<Cx>, org: &OrgDoc, logical: &str, collection: Collection<T>) -> Self {
        TenantCollection {
            cx,
            tenant: org.id,
            logical: logical.to_owned(),
            shared: org.layout == Layout::Shared,
            current: Mutex::new((org.cluster().to_owned(), collection)),
        }
    }

    /// The collection as last resolved: for reads, and for anything the handle does not
    /// wrap (its writes are refused by a tombstone after a rename, never lost).
    pub fn collection(&self) -> Collection<T> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clone()
    }

    fn current(&self) -> (String, Collection<T>) {
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

    /// The tenant's collection now, waiting out a rename or a move in flight; `None` once
    /// the tenant is gone, or when it is where `stale` is and nothing is in flight.
    async fn resolve(&self, stale: &(String, Collection<T>)) -> Result<Option<Collection<T>>> {
        let deadline = Instant::now() + self.cx.config.database_timeout;
        loop {
            let Some(org) = self.cx.store.org(self.tenant).await? else {
                return Ok(None);
            };
            if (org.layout == Layout::Shared) != self.shared {
                return Err(Error::Conflict {
                    message: "the tenant's data moved to another layout; open its scope again"
                        .into(),
                });
            }
            let name = placement::physical_collection(
                org.layout,
                org.database(&self.cx.config.master_db),
                org.data_collection(),
                &self.logical,
            )?;
            let fresh: Collection<T> = self.cx.data(&org)?.db.collection(&name);
            let cluster = org.cluster().to_owned();
            if cluster != stale.0 || fresh.namespace() != stale.1.namespace() {
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
                    (cluster, fresh.clone());
                return Ok(Some(fresh));
            }
            let in_flight = match &org.op {
                Some(journal) => match &journal.detail {
                    Detail::Update(update) => update.moving(&org).is_some(),
                    Detail::Move(_) => true,
                    _ => false,
                },
                None => false,
            };
            if !in_flight {
                return Ok(None);
            }
            if Instant::now() > deadline {
                // Still being renamed or moved: the write was not applied; retry it.
                return Err(Error::busy());
            }
            tokio::time::sleep(RENAME_POLL).await;
        }
    }

    /// Run a write on the tenant's collection; retried on its current collection when a
    /// tombstone or a move's fence refuses it (error 121).
    pub async fn write<R, F, Fut>(&self, op: F) -> Result<R>
    where
        F: Fn(Collection<T>) -> Fut,
        Fut: Future<Output = mongodb::error::Result<R>>,
    {
        self.write_checked(op, |_| false).await
    }

    /// [`write`](Self::write), also retried after a successful outcome `retry_if` is true
    /// of: one that may come from a collection the tenant has left (a tombstone is empty,
    /// so an update or a delete sent to it matches nothing). The tenant's collection is
    /// then looked up again (waiting for a rename or move in flight): `op` runs again on
    /// it if it is another, and the outcome is returned if not. `op` must be safe to run
    /// again after such an outcome.
    pub(crate) async fn write_checked<R, F, Fut>(
        &self,
        op: F,
        retry_if: impl Fn(&R) -> bool,
    ) -> Result<R>
    where
        F: Fn(Collection<T>) -> Fut,
        Fut: Future<Output = mongodb::error::Result<R>>,
    {
        loop {
            let stale = self.current();
            match op(stale.1.clone()).await {
                Ok(r) if !retry_if(&r) => return Ok(r),
                Ok(r) => match self.resolve(&stale).await? {
                    Some(_) => {}
                    None => return Ok(r),
                },
                Err(e) if is_validation_failure(&e) => match self.resolve(&stale).await? {
                    Some(_) => {}
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
