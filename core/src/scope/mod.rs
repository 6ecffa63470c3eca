//! [`TenantScope`]: the way application code reaches one tenant's data, whatever its
//! layout; [`ScopedCollection`]: one of the tenant's collections, by logical name.
//!
//! A scope comes from verified claims ([`TenantManager::scope`]) or from an explicit admin
//! call ([`TenantManager::admin_scope`]). In the `collection` and `database` layouts the
//! tenant's collections are its own and the scope only names them; in the `shared` layout
//! every operation goes through the tenant's [`Confinement`].
//!
//! [`TenantManager::scope`]: crate::TenantManager::scope
//! [`TenantManager::admin_scope`]: crate::TenantManager::admin_scope

pub(crate) mod confine;

use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use mongodb::bson::{self, oid::ObjectId, Bson, Document};
use mongodb::change_stream::{event::ChangeStreamEvent, ChangeStream};
use mongodb::options::{FindOptions, FullDocumentType, UpdateModifications};
use mongodb::results::{DeleteResult, InsertManyResult, InsertOneResult, UpdateResult};
use mongodb::{Collection, IndexModel};
use serde::{de::DeserializeOwned, Serialize};

pub use confine::Confinement;

use crate::collection::TenantCollection;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::placement::{self, Layout};
use crate::store::OrgDoc;

/// Where one of a tenant's logical collections is, for an application's own driver: the
/// database, the physical collection, and in the `shared` layout the confinement every
/// operation on it must go through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// The cluster ([`HOME_CLUSTER`](crate::HOME_CLUSTER) unless the tenant was placed on
    /// another: an application's own driver must then be connected to that cluster).
    pub cluster: String,
    /// The database.
    pub database: String,
    /// The physical collection.
    pub collection: String,
    /// `Some` in the `shared` layout.
    pub confinement: Option<Confinement>,
}

/// The location of the logical collection `logical` of the tenant of verified claims.
pub(crate) fn locate(claims: &crate::Claims, logical: &str) -> Result<Location> {
    let (Some(layout), Some(database), Some(default)) =
        (claims.layout(), claims.database(), claims.collection_name())
    else {
        return Err(Error::invalid(
            "claims",
            "carry no collection; use verify_token, not decode_token",
        ));
    };
    Ok(Location {
        collection: placement::physical_collection(layout, database, default, logical)?,
        cluster: claims.cluster().unwrap_or(crate::HOME_CLUSTER).to_owned(),
        database: database.to_owned(),
        confinement: (layout == Layout::Shared).then(|| Confinement::new(claims.tenant_id())),
    })
}

/// One tenant's data (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct TenantScope {
    cx: Arc<Cx>,
    /// The tenant's record as the scope was opened: everything else is read from it.
    org: OrgDoc,
}

impl std::fmt::Debug for TenantScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantScope")
            .field("tenant", &self.org.id)
            .field("layout", &self.org.layout)
            .field("cluster", &self.cluster())
            .field("database", &self.database())
            .finish()
    }
}

impl TenantScope {
    pub(crate) fn new(cx: Arc<Cx>, org: &OrgDoc) -> Self {
        TenantScope {
            org: org.clone(),
            cx,
        }
    }

    /// The tenant's id.
    pub fn tenant_id(&self) -> ObjectId {
        self.org.id
    }

    /// The tenant's layout.
    pub fn layout(&self) -> Layout {
        self.org.layout
    }

    /// The cluster of the tenant's data.
    pub fn cluster(&self) -> &str {
        self.org.cluster()
    }

    /// The database of the tenant's data.
    pub fn database(&self) -> &str {
        self.org.database(&self.cx.config.master_db)
    }

    /// The physical name of the tenant's logical collection `logical`
    /// ([`DEFAULT_COLLECTION`] is the tenant's default one). `INVALID_INPUT` for a name
    /// MongoDB cannot hold, and for any other than the default in the `collection` layout.
    pub fn collection_name(&self, logical: &str) -> Result<String> {
        let (layout, default) = (self.org.layout, self.org.data_collection());
        placement::physical_collection(layout, self.database(), default, logical)
    }

    /// Where the tenant's logical collection `logical` is, for an application's own driver
    /// (see [`Location`]).
    pub fn locate(&self, logical: &str) -> Result<Location> {
        Ok(Location {
            collection: self.collection_name(logical)?,
            database: self.database().to_owned(),
            cluster: self.cluster().to_owned(),
            confinement: self.confinement(),
        })
    }

    /// What confines operations to the tenant: `Some` in the `shared` layout only. For
    /// bindings that wrap their language's own driver.
    pub fn confinement(&self) -> Option<Confinement> {
        (self.layout() == Layout::Shared).then(|| Confinement::new(self.org.id))
    }

    /// The tenant's logical collection `logical`, holding documents of type `T`.
    pub fn collection<T>(&self, logical: &str) -> Result<ScopedCollection<T>> {
        let physical = self.collection_name(logical)?;
        let client = self.cx.client_of(self.cluster())?;
        let collection = client.database(self.database()).collection(&physical);
        Ok(ScopedCollection {
            inner: TenantCollection::new(Arc::clone(&self.cx), &self.org, logical, collection),
            confine: self.confinement(),
            _type: PhantomData,
        })
    }
}

/// One of a tenant's collections, reached through its [`TenantScope`]. In the `shared`
/// layout every operation is confined to the tenant (see [`Confinement`]): documents are
/// stamped on the way in and unstamped on the way out, so they look alike in every layout.
pub struct ScopedCollection<T> {
    inner: TenantCollection<Document>,
    confine: Option<Confinement>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ScopedCollection<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedCollection")
            .field("namespace", &self.inner.namespace())
            .field("confined", &self.confine.is_some())
            .finish()
    }
}

impl<T> ScopedCollection<T> {
    /// `database.collection` of the physical collection (shared with other tenants in the
    /// `shared` layout).
    pub fn namespace(&self) -> mongodb::Namespace {
        self.inner.namespace()
    }

    fn raw(&self) -> Collection<Document> {
        self.inner.collection()
    }

    fn filter(&self, filter: Document) -> Document {
        match &self.confine {
            Some(c) => c.filter(filter),
            None => filter,
        }
    }

    fn unstamp(&self, doc: Document) -> Document {
        match &self.confine {
            Some(c) => c.unstamp(doc),
            None => doc,
        }
    }

    /// `countDocuments`.
    pub async fn count_documents(&self, filter: Document) -> Result<u64> {
        Ok(self.raw().count_documents(self.filter(filter)).await?)
    }

    /// `distinct`.
    pub async fn distinct(&self, field: &str, filter: Document) -> Result<Vec<Bson>> {
        Ok(self.raw().distinct(field, self.filter(filter)).await?)
    }

    /// `aggregate`: the results as documents (without the stamp: the confined pipeline
    /// ends by removing it).
    pub async fn aggregate(
        &self,
        pipeline: Vec<Document>,
    ) -> Result<BoxStream<'static, Result<Document>>> {
        let pipeline = match &self.confine {
            Some(c) => c.pipeline(pipeline)?,
            None => pipeline,
        };
        let cursor = self.raw().aggregate(pipeline).await?;
        Ok(cursor.map_err(Error::from).boxed())
    }

    /// `deleteOne`.
    pub async fn delete_one(&self, filter: Document) -> Result<DeleteResult> {
        self.inner.delete_one(self.filter(filter)).await
    }

    /// `deleteMany`.
    pub async fn delete_many(&self, filter: Document) -> Result<DeleteResult> {
        self.inner.delete_many(self.filter(filter)).await
    }

    /// `updateOne` (operators or a pipeline).
    pub async fn update_one(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> Result<UpdateResult> {
        let update = self.update(update.into())?;
        self.inner
            .update_one(self.filter(filter), update)
            .await
            .map_err(unique_violation)
    }

    /// `updateMany` (operators or a pipeline).
    pub async fn update_many(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> Result<UpdateResult> {
        let update = self.update(update.into())?;
        self.inner.update_many(self.filter(filter), update).await
    }

    /// `updateOne` with `upsert`: a document inserted is the tenant's.
    pub async fn upsert_one(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> Result<UpdateResult> {
        let (filter, update) = (self.filter(filter), self.update(update.into())?);
        self.inner
            .write(|c| {
                let (filter, update) = (filter.clone(), update.clone());
                async move { c.update_one(filter, update).upsert(true).await }
            })
            .await
            .map_err(unique_violation)
    }

    fn update(&self, update: UpdateModifications) -> Result<UpdateModifications> {
        match &self.confine {
            Some(c) => c.update(update),
            None => Ok(update),
        }
    }

    /// `createIndex`: in the `shared` layout the keys start with the tenant's stamp, so a
    /// unique index is unique per tenant. The index serves every tenant of the collection.
    pub async fn create_index(&self, mut index: IndexModel) -> Result<String> {
        if let Some(c) = &self.confine {
            index.keys = c.index_keys(std::mem::take(&mut index.keys))?;
        }
        Ok(self.raw().create_index(index).await?.index_name)
    }

    /// A change stream of the collection: in the `shared` layout, the events whose full
    /// document is the tenant's (updates carry theirs: the stream looks it up; deletes
    /// carry none and are not delivered).
    pub async fn watch(
        &self,
        pipeline: Vec<Document>,
    ) -> Result<ChangeStream<ChangeStreamEvent<Document>>> {
        Ok(match &self.confine {
            Some(c) => {
                self.raw()
                    .watch()
                    .pipeline(c.change_stream(pipeline)?)
                    .full_document(FullDocumentType::UpdateLookup)
                    .await?
            }
            None => self.raw().watch().pipeline(pipeline).await?,
        })
    }
}

impl<T: DeserializeOwned + Send + 'static> ScopedCollection<T> {
    /// `find`.
    pub async fn find(
        &self,
        filter: Document,
        options: impl Into<Option<FindOptions>>,
    ) -> Result<BoxStream<'static, Result<T>>> {
        let confine = self.confine;
        let cursor = self
            .raw()
            .find(self.filter(filter))
            .with_options(options)
            .await?;
        Ok(cursor
            .map_err(Error::from)
            .and_then(move |doc| {
                let doc = match &confine {
                    Some(c) => c.unstamp(doc),
                    None => doc,
                };
                futures_util::future::ready(decode(doc))
            })
            .boxed())
    }

    /// `findOne`.
    pub async fn find_one(&self, filter: Document) -> Result<Option<T>> {
        match self.raw().find_one(self.filter(filter)).await? {
            Some(doc) => Ok(Some(decode(self.unstamp(doc))?)),
            None => Ok(None),
        }
    }
}

impl<T: Serialize> ScopedCollection<T> {
    fn encode(&self, value: &T) -> Result<Document> {
        let doc = bson::to_document(value).map_err(|e| {
            Error::invalid("document", format_args!("cannot be stored as BSON: {e}"))
        })?;
        match &self.confine {
            Some(c) => c.document(doc),
            None => Ok(doc),
        }
    }

    /// `insertOne`.
    pub async fn insert_one(&self, value: &T) -> Result<InsertOneResult> {
        let doc = self.encode(value)?;
        self.inner.insert_one(&doc).await.map_err(unique_violation)
    }

    /// `insertMany` (ordered: after a refused document, none of the rest is written).
    pub async fn insert_many(&self, values: &[T]) -> Result<InsertManyResult> {
        let docs = values
            .iter()
            .map(|v| self.encode(v))
            .collect::<Result<Vec<_>>>()?;
        self.inner.insert_many(&docs).await
    }

    /// `replaceOne`: the replacement is the tenant's.
    pub async fn replace_one(&self, filter: Document, replacement: &T) -> Result<UpdateResult> {
        let doc = self.encode(replacement)?;
        self.inner
            .replace_one(self.filter(filter), &doc)
            .await
            .map_err(unique_violation)
    }
}

/// A single-document write refused by a unique index (`_id`, or one of the collection's)
/// as the caller's input error: nothing was written.
fn unique_violation(e: Error) -> Error {
    match &e {
        Error::Database(source) if crate::error::duplicate_key(source).is_some() => Error::invalid(
            "document",
            "a unique index of the collection already holds this value",
        ),
        _ => e,
    }
}

/// A stored document as the caller's type.
fn decode<T: DeserializeOwned>(doc: Document) -> Result<T> {
    bson::from_document(doc).map_err(|e| {
        Error::invalid(
            "document",
            format_args!("a stored document does not match the requested type: {e}"),
        )
    })
}
