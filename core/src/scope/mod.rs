//! [`TenantScope`]: the way application code reaches one tenant's data, whatever its
//! layout; [`ScopedCollection`]: one of the tenant's collections, by logical name, and
//! [`ScopedWrite`]: one write of its [`bulk_write`](ScopedCollection::bulk_write).
//!
//! A scope comes from verified claims ([`TenantManager::scope`]) or from an explicit admin
//! call ([`TenantManager::admin_scope`]). In the `collection` and `database` layouts the
//! tenant's collections are its own and the scope only names them; in the `shared` layout
//! every operation goes through the tenant's [`Confinement`].
//!
//! [`TenantManager::scope`]: crate::TenantManager::scope
//! [`TenantManager::admin_scope`]: crate::TenantManager::admin_scope

pub(crate) mod confine;

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::change_stream::{event::ChangeStreamEvent, ChangeStream};
use mongodb::error::{
    BulkWriteError, ErrorKind, IndexedWriteError, PartialBulkWriteResult, WriteConcernError,
    WriteError, WriteFailure,
};
use mongodb::options::{FindOptions, FullDocumentType, UpdateModifications};
use mongodb::results::{
    DeleteResult, InsertManyResult, InsertOneResult, SummaryBulkWriteResult, UpdateResult,
};
use mongodb::{Collection, IndexModel};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

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

    /// The tenant's name, as its record held it when the scope was opened.
    pub fn name(&self) -> &str {
        &self.org.organization_name
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
    /// ([`DEFAULT_COLLECTION`](crate::DEFAULT_COLLECTION) is the tenant's default one).
    /// `INVALID_INPUT` for a name MongoDB cannot hold, and for any other than the default in
    /// the `collection` layout.
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

    /// An update of a bulk as an `update` command's statement. The driver's own check of
    /// an update document (operators only) is repeated: the statement does not go through
    /// the driver's `update_one`, and the server would take a document without operators
    /// for a replacement.
    fn update_statement(
        &self,
        filter: Document,
        update: UpdateModifications,
        upsert: bool,
        multi: bool,
    ) -> Result<Document> {
        let u = match self.update(update)? {
            UpdateModifications::Document(ops) => {
                if !ops.keys().next().is_some_and(|k| k.starts_with('$')) {
                    return Err(Error::invalid(
                        "update",
                        "must use update operators ($set, ...); replace a document with ReplaceOne",
                    ));
                }
                Bson::Document(ops)
            }
            UpdateModifications::Pipeline(stages) => {
                Bson::Array(stages.into_iter().map(Bson::Document).collect())
            }
            _ => {
                return Err(Error::invalid(
                    "update",
                    "must be an update document or a pipeline",
                ))
            }
        };
        Ok(doc! { "q": self.filter(filter), "u": u, "upsert": upsert, "multi": multi })
    }

    /// One batch of a bulk sent as one command through the tenant's collection handle, so
    /// that a tenant renamed or moved meanwhile is followed as by the single writes. The
    /// handle sends a write again when the place it went to refused it (error 121, a
    /// tombstone or a move's fence); here only the statements refused are sent again
    /// (ordered: from the first one refused), never those already applied. The single
    /// updates and deletes also look again when they matched nothing (a tombstone is
    /// empty): a batch of them that matched nothing is sent again, whole, if the tenant's
    /// collection is another (see [`matched_nothing`]).
    async fn send(&self, batch: &[Statement], ordered: bool) -> Result<BatchOutcome> {
        let progress = Mutex::new(BatchOutcome::new(batch.len()));
        let sent = self
            .inner
            .write_checked(
                |c| {
                    let progress = &progress;
                    async move { send_batch(c, batch, ordered, progress).await }
                },
                matched_nothing,
            )
            .await;
        let mut outcome = progress
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match sent {
            Ok(_) => {}
            // The handle found the tenant where the batch went: the refusals stand.
            Err(Error::Database(e))
                if crate::store::is_validation_failure(&e) && !outcome.refused.is_empty() =>
            {
                let refused = std::mem::take(&mut outcome.refused);
                outcome.write_errors.extend(refused);
            }
            Err(e) => return Err(e),
        }
        Ok(outcome)
    }

    /// `createIndex`: in the `shared` layout the keys start with the tenant's stamp, so a
    /// unique index is unique per tenant. The index serves every tenant of the collection.
    pub async fn create_index(&self, mut index: IndexModel) -> Result<String> {
        if let Some(c) = &self.confine {
            index.keys = c.index_keys(std::mem::take(&mut index.keys))?;
        }
        Ok(self.raw().create_index(index).await?.index_name)
    }

    /// Drop the index named `name`. In the `shared` layout the index is the shared
    /// collection's: it goes for every tenant in it. An index that is not there is fine.
    pub async fn drop_index(&self, name: &str) -> Result<()> {
        match self.raw().drop_index(name).await {
            Ok(()) => Ok(()),
            Err(e) if crate::error::command_code(&e) == Some(27) => Ok(()),
            Err(e) => Err(e.into()),
        }
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

    /// Several writes at once, each confined as the operation of its name (see
    /// [`ScopedWrite`]). Every write is confined before anything is sent: one that is
    /// refused (a forged stamp, an update touching it, an update document without
    /// operators) fails the call with `INVALID_INPUT` naming its index among `writes`, and
    /// nothing is written.
    ///
    /// Consecutive writes of one kind go to the server as one command: inserts as one
    /// `insert`, updates and replacements as one `update`, deletes as one `delete` (split
    /// only at MongoDB's batch limits). `ordered` as in MongoDB: in order, stopping at the
    /// first write the server refuses; or unordered, every write tried, grouped by kind
    /// (the inserts, then the updates and replacements, then the deletes). A document
    /// inserted without an `_id` is given an `ObjectId` before it is sent, returned in
    /// [`ScopedBulkResult::inserted_ids`].
    ///
    /// Writes the server refuses (a duplicate key, ...) fail the call with `DATABASE`,
    /// after the others were written (ordered: those before the first refused one); its
    /// [`source`](std::error::Error::source) is a driver error of kind
    /// [`ErrorKind::BulkWrite`] holding each refusal by its index among `writes`, and the
    /// counts of what was written. A tenant renamed or moved meanwhile is followed as by
    /// the single operations: writes refused by the old place are sent again to the new one.
    pub async fn bulk_write(
        &self,
        writes: impl IntoIterator<Item = ScopedWrite<T>>,
        ordered: bool,
    ) -> Result<ScopedBulkResult> {
        let mut statements = writes
            .into_iter()
            .enumerate()
            .map(|(index, write)| self.statement(index, write))
            .collect::<Result<Vec<_>>>()?;
        if statements.is_empty() {
            return Err(Error::invalid("writes", "must hold at least one write"));
        }
        if !ordered {
            // A stable sort: each kind keeps its writes in the caller's order.
            statements.sort_by_key(|s| s.kind);
        }
        let mut tally = Tally::default();
        for batch in batches(&statements) {
            let outcome = self.send(batch, ordered).await?;
            tally.add(batch, outcome);
            if ordered && !tally.write_errors.is_empty() {
                break;
            }
        }
        tally.finish()
    }

    /// One write of a bulk, confined as its single operation, as a server statement.
    fn statement(&self, index: usize, write: ScopedWrite<T>) -> Result<Statement> {
        let (kind, body) = match write {
            ScopedWrite::InsertOne(value) => {
                let doc = self.encode(&value).map_err(|e| at_write(e, index))?;
                let doc = match doc.contains_key("_id") {
                    true => doc,
                    false => {
                        let mut with_id = doc! { "_id": ObjectId::new() };
                        with_id.extend(doc);
                        with_id
                    }
                };
                (StatementKind::Insert, doc)
            }
            ScopedWrite::UpdateOne {
                filter,
                update,
                upsert,
            } => (
                StatementKind::Update,
                self.update_statement(filter, update, upsert, false)
                    .map_err(|e| at_write(e, index))?,
            ),
            ScopedWrite::UpdateMany {
                filter,
                update,
                upsert,
            } => (
                StatementKind::Update,
                self.update_statement(filter, update, upsert, true)
                    .map_err(|e| at_write(e, index))?,
            ),
            ScopedWrite::ReplaceOne {
                filter,
                replacement,
                upsert,
            } => {
                let doc = self.encode(&replacement).map_err(|e| at_write(e, index))?;
                if doc.keys().next().is_some_and(|k| k.starts_with('$')) {
                    return Err(at_write(
                        Error::invalid(
                            "document",
                            "a replacement must not hold update operators; use UpdateOne",
                        ),
                        index,
                    ));
                }
                let q = self.filter(filter);
                let statement = doc! { "q": q, "u": doc, "upsert": upsert, "multi": false };
                (StatementKind::Update, statement)
            }
            ScopedWrite::DeleteOne { filter } => (
                StatementKind::Delete,
                doc! { "q": self.filter(filter), "limit": 1 },
            ),
            ScopedWrite::DeleteMany { filter } => (
                StatementKind::Delete,
                doc! { "q": self.filter(filter), "limit": 0 },
            ),
        };
        let bytes = bson::to_vec(&body)
            .map_err(|e| {
                let e = Error::invalid("document", format_args!("cannot be stored as BSON: {e}"));
                at_write(e, index)
            })?
            .len();
        Ok(Statement {
            index,
            kind,
            body,
            bytes,
        })
    }
}

/// One write of [`ScopedCollection::bulk_write`], confined in the `shared` layout as the
/// single operation of its name: filters conjoined with the tenant's stamp, inserted and
/// replacing documents stamped (a foreign stamp refused), updates kept off the stamp (an
/// upsert stamps what it inserts).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ScopedWrite<T = Document> {
    /// `insertOne`, as [`ScopedCollection::insert_one`].
    InsertOne(T),
    /// `updateOne`, as [`ScopedCollection::update_one`] (or
    /// [`upsert_one`](ScopedCollection::upsert_one) with `upsert`).
    UpdateOne {
        /// Which document.
        filter: Document,
        /// Update operators or a pipeline.
        update: UpdateModifications,
        /// Insert a document when none matches.
        upsert: bool,
    },
    /// `updateMany`, as [`ScopedCollection::update_many`].
    UpdateMany {
        /// Which documents.
        filter: Document,
        /// Update operators or a pipeline.
        update: UpdateModifications,
        /// Insert a document when none matches.
        upsert: bool,
    },
    /// `replaceOne`, as [`ScopedCollection::replace_one`].
    ReplaceOne {
        /// Which document.
        filter: Document,
        /// The new document.
        replacement: T,
        /// Insert it when none matches.
        upsert: bool,
    },
    /// `deleteOne`, as [`ScopedCollection::delete_one`].
    DeleteOne {
        /// Which document.
        filter: Document,
    },
    /// `deleteMany`, as [`ScopedCollection::delete_many`].
    DeleteMany {
        /// Which documents.
        filter: Document,
    },
}

/// What [`ScopedCollection::bulk_write`] wrote. Indexes are those of the writes passed.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ScopedBulkResult {
    /// The `_id` of each document inserted, by the index of its `InsertOne`.
    pub inserted_ids: HashMap<usize, Bson>,
    /// How many documents were inserted (by `InsertOne`; upserts are counted apart).
    pub inserted_count: u64,
    /// How many documents the updates and replacements matched.
    pub matched_count: u64,
    /// How many of them they changed.
    pub modified_count: u64,
    /// How many documents the deletes removed.
    pub deleted_count: u64,
    /// How many documents upserts inserted.
    pub upserted_count: u64,
    /// The `_id` of each document an upsert inserted, by the index of its write.
    pub upserted_ids: HashMap<usize, Bson>,
}

/// The server command a write of a bulk belongs to. The order is that of an unordered
/// bulk's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StatementKind {
    Insert,
    Update,
    Delete,
}

impl StatementKind {
    /// The command's name and the field holding its statements.
    fn command(self) -> (&'static str, &'static str) {
        match self {
            StatementKind::Insert => ("insert", "documents"),
            StatementKind::Update => ("update", "updates"),
            StatementKind::Delete => ("delete", "deletes"),
        }
    }
}

/// A confined write of a bulk: a document to insert, or an `update` or `delete` statement.
struct Statement {
    /// Its index among the caller's writes.
    index: usize,
    kind: StatementKind,
    body: Document,
    /// The size of `body` as BSON.
    bytes: usize,
}

/// MongoDB's `maxWriteBatchSize`: the most statements one write command may hold.
const MAX_BATCH_LEN: usize = 100_000;

/// The most bytes of statements put in one command (a command may be 16 MiB, with 16 KiB
/// more allowed for its other fields).
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// What an element of a BSON array costs beside its value: type, index as a key, `NUL`.
const ARRAY_ELEMENT_BYTES: usize = 8;

/// The statements in batches of one command each: runs of one kind, cut at the limits.
fn batches(statements: &[Statement]) -> Vec<&[Statement]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, s) in statements.iter().enumerate() {
        let cost = s.bytes + ARRAY_ELEMENT_BYTES;
        let full = i - start == MAX_BATCH_LEN || bytes + cost > MAX_BATCH_BYTES;
        if i > start && (s.kind != statements[start].kind || full) {
            batches.push(&statements[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += cost;
    }
    if start < statements.len() {
        batches.push(&statements[start..]);
    }
    batches
}

/// What a write command answers (`insert`, `update`, `delete`).
#[derive(Deserialize)]
struct WriteReply {
    #[serde(default)]
    n: u64,
    #[serde(rename = "nModified", default)]
    n_modified: u64,
    #[serde(default)]
    upserted: Vec<Upserted>,
    #[serde(rename = "writeErrors", default)]
    write_errors: Vec<IndexedWriteError>,
    #[serde(rename = "writeConcernError")]
    write_concern_error: Option<WriteConcernError>,
}

#[derive(Deserialize)]
struct Upserted {
    index: usize,
    #[serde(rename = "_id")]
    id: Bson,
}

/// One batch of a bulk so far; indexes are positions in the batch.
#[derive(Default)]
struct BatchOutcome {
    /// The statements to send next.
    pending: Vec<usize>,
    /// The statements applied.
    applied: Vec<bool>,
    n: u64,
    n_modified: u64,
    upserted: Vec<(usize, Bson)>,
    write_errors: Vec<(usize, WriteError)>,
    write_concern_errors: Vec<WriteConcernError>,
    /// Statements refused with error 121, pending: sent again if the tenant has moved,
    /// write errors if not.
    refused: Vec<(usize, WriteError)>,
}

impl BatchOutcome {
    fn new(len: usize) -> Self {
        BatchOutcome {
            pending: (0..len).collect(),
            applied: vec![false; len],
            ..BatchOutcome::default()
        }
    }
}

/// What one command of a batch did, as read by [`matched_nothing`].
struct Sent {
    kind: StatementKind,
    /// The documents the statements inserted, matched (upserts included) or deleted.
    n: u64,
    /// How many documents upserts inserted.
    upserted: usize,
    /// Whether the server refused a statement.
    failed: bool,
}

/// Whether a command of a batch should make the tenant's collection handle look for the
/// tenant's collection again, as the single operations do after the same outcome:
/// updates and replacements that matched nothing (`matched_count == 0`, as `updateOne`,
/// `updateMany` and `replaceOne`) and deletes that deleted nothing (`deleted_count == 0`,
/// as `deleteOne` and `deleteMany`); never inserts, nor a command in which an upsert
/// inserted (`upsert_one` does not look again) or the server refused a statement (a
/// single operation fails then). Such a command applied nothing: it is sent again whole.
fn matched_nothing(sent: &Sent) -> bool {
    match sent.kind {
        StatementKind::Insert => false,
        StatementKind::Update | StatementKind::Delete => {
            sent.n == 0 && sent.upserted == 0 && !sent.failed
        }
    }
}

/// Send what is pending of `batch` to `collection`. An error when a statement was refused
/// with error 121, for the handle to look for the tenant's collection again (see
/// [`ScopedCollection::send`]).
async fn send_batch(
    collection: Collection<Document>,
    batch: &[Statement],
    ordered: bool,
    progress: &Mutex<BatchOutcome>,
) -> mongodb::error::Result<Sent> {
    let sent = {
        let mut p = progress.lock().unwrap_or_else(PoisonError::into_inner);
        p.refused.clear();
        std::mem::take(&mut p.pending)
    };
    let kind = batch[0].kind;
    let (name, field) = kind.command();
    let statements: Vec<Document> = sent.iter().map(|&i| batch[i].body.clone()).collect();
    let mut command = doc! { name: collection.name(), field: statements, "ordered": ordered };
    if let Some(wc) = collection.write_concern() {
        command.insert("writeConcern", bson::to_bson(wc)?);
    }
    let reply = collection
        .client()
        .database(&collection.namespace().db)
        .run_command(command)
        .await?;
    let reply: WriteReply = bson::from_document(reply)?;

    let mut p = progress.lock().unwrap_or_else(PoisonError::into_inner);
    p.n += reply.n;
    p.n_modified += reply.n_modified;
    let upserted = reply.upserted.len();
    p.upserted
        .extend(reply.upserted.into_iter().map(|u| (sent[u.index], u.id)));
    p.write_concern_errors.extend(reply.write_concern_error);
    let mut errors = reply.write_errors;
    errors.sort_by_key(|e| e.index);
    let failed: Vec<usize> = errors.iter().map(|e| e.index).collect();
    let stopped_at = if ordered {
        failed.first().copied()
    } else {
        None
    };
    for (position, &statement) in sent.iter().enumerate() {
        let unsent = stopped_at.is_some_and(|stop| position > stop);
        if !unsent && failed.binary_search(&position).is_err() {
            p.applied[statement] = true;
        }
    }
    let any_failed = !errors.is_empty();
    for error in errors {
        let statement = sent[error.index];
        let error = WriteError::from(error);
        if refused_by_fence(&error) {
            p.refused.push((statement, error));
            match stopped_at {
                Some(stop) => p.pending.extend(&sent[stop..]),
                None => p.pending.push(statement),
            }
        } else {
            p.write_errors.push((statement, error));
        }
    }
    if let Some((_, refusal)) = p.refused.first() {
        return Err(ErrorKind::Write(WriteFailure::WriteError(refusal.clone())).into());
    }
    let outcome = Sent {
        kind,
        n: reply.n,
        upserted,
        failed: any_failed,
    };
    if matched_nothing(&outcome) {
        p.pending = sent;
    }
    Ok(outcome)
}

/// Whether a write error is the refusal of a tombstone or a fence (or of a validator).
fn refused_by_fence(error: &WriteError) -> bool {
    let error = ErrorKind::Write(WriteFailure::WriteError(error.clone())).into();
    crate::store::is_validation_failure(&error)
}

/// The batches of a bulk added up, by the indexes of the caller's writes.
#[derive(Default)]
struct Tally {
    result: ScopedBulkResult,
    write_errors: HashMap<usize, WriteError>,
    write_concern_errors: Vec<WriteConcernError>,
}

impl Tally {
    fn add(&mut self, batch: &[Statement], outcome: BatchOutcome) {
        let r = &mut self.result;
        let upserted = outcome.upserted.len() as u64;
        match batch[0].kind {
            StatementKind::Insert => {
                r.inserted_count += outcome.n;
                for (s, _) in batch.iter().zip(&outcome.applied).filter(|(_, a)| **a) {
                    if let Some(id) = s.body.get("_id") {
                        r.inserted_ids.insert(s.index, id.clone());
                    }
                }
            }
            StatementKind::Update => {
                r.matched_count += outcome.n.saturating_sub(upserted);
                r.modified_count += outcome.n_modified;
                r.upserted_count += upserted;
                for (i, id) in outcome.upserted {
                    r.upserted_ids.insert(batch[i].index, id);
                }
            }
            StatementKind::Delete => r.deleted_count += outcome.n,
        }
        for (i, e) in outcome.write_errors {
            self.write_errors.insert(batch[i].index, e);
        }
        self.write_concern_errors
            .extend(outcome.write_concern_errors);
    }

    /// The result, or the writes refused (with the counts of those applied) as an error.
    fn finish(self) -> Result<ScopedBulkResult> {
        if self.write_errors.is_empty() && self.write_concern_errors.is_empty() {
            return Ok(self.result);
        }
        let r = &self.result;
        let mut summary = SummaryBulkWriteResult::default();
        summary.inserted_count = r.inserted_count as i64;
        summary.matched_count = r.matched_count as i64;
        summary.modified_count = r.modified_count as i64;
        summary.upserted_count = r.upserted_count as i64;
        summary.deleted_count = r.deleted_count as i64;
        let mut error = BulkWriteError::default();
        error.write_errors = self.write_errors;
        error.write_concern_errors = self.write_concern_errors;
        error.partial_result = Some(PartialBulkWriteResult::Summary(summary));
        Err(Error::Database(ErrorKind::BulkWrite(error).into()))
    }
}

/// A write of a bulk refused as input, the refusal naming the write.
fn at_write(e: Error, index: usize) -> Error {
    match e {
        Error::InvalidInput { field, message } => Error::InvalidInput {
            field,
            message: format!("{message} (write {index} of the bulk)"),
        },
        e => e,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(kinds: &[StatementKind], bytes: usize) -> Vec<Statement> {
        kinds
            .iter()
            .enumerate()
            .map(|(index, &kind)| Statement {
                index,
                kind,
                body: Document::new(),
                bytes,
            })
            .collect()
    }

    fn lengths(statements: &[Statement]) -> Vec<usize> {
        batches(statements).iter().map(|b| b.len()).collect()
    }

    #[test]
    fn batches_are_runs_of_one_kind_cut_at_the_limits() {
        use StatementKind::{Delete, Insert, Update};
        let mixed = statements(
            &[Insert, Insert, Update, Update, Update, Delete, Insert],
            10,
        );
        assert_eq!(lengths(&mixed), [2, 3, 1, 1]);
        assert_eq!(lengths(&statements(&[Update], 10)), [1]);
        // Each statement a third of the limit: two fit in a command, a third does not.
        let big = statements(&[Insert; 5], MAX_BATCH_BYTES / 3);
        assert_eq!(lengths(&big), [2, 2, 1]);
        // A statement over the limit goes alone (and the server refuses it).
        let huge = statements(&[Delete; 2], MAX_BATCH_BYTES + 1);
        assert_eq!(lengths(&huge), [1, 1]);
        let many = statements(&vec![Update; MAX_BATCH_LEN + 1], 1);
        assert_eq!(lengths(&many), [MAX_BATCH_LEN, 1]);
    }

    #[test]
    fn only_updates_and_deletes_that_matched_nothing_look_again() {
        use StatementKind::{Delete, Insert, Update};
        let sent = |kind, n, upserted, failed| Sent {
            kind,
            n,
            upserted,
            failed,
        };
        assert!(matched_nothing(&sent(Update, 0, 0, false)));
        assert!(matched_nothing(&sent(Delete, 0, 0, false)));
        assert!(!matched_nothing(&sent(Insert, 0, 0, false)));
        assert!(!matched_nothing(&sent(Update, 1, 0, false)));
        assert!(!matched_nothing(&sent(Delete, 1, 0, false)));
        assert!(!matched_nothing(&sent(Update, 1, 1, false)));
        assert!(!matched_nothing(&sent(Update, 0, 0, true)));
        assert!(!matched_nothing(&sent(Delete, 0, 0, true)));
    }

    #[test]
    fn a_refusal_by_a_fence_is_told_from_other_write_errors() {
        let refusal = bson::from_document::<WriteError>(doc! { "code": 121 }).unwrap();
        assert!(refused_by_fence(&refusal));
        let duplicate = bson::from_document::<WriteError>(doc! { "code": 11000 }).unwrap();
        assert!(!refused_by_fence(&duplicate));
    }
}
