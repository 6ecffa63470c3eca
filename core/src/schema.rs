//! Per-tenant schema: the indexes every tenant's data has and an ordered list of
//! migrations, applied to every tenant with a ledger.
//!
//! The application declares a [`Schema`] once ([`TenantManager::set_schema`]). A new tenant
//! gets its indexes at create, and every migration is recorded as applied to it (it was
//! born with the current schema). [`TenantManager::migrate`] applies to each existing
//! tenant, in order, the migrations its ledger lacks, with bounded parallelism; a
//! tenant's failure is reported and stops that tenant only (or every tenant not started
//! yet, when asked); a dry run says what would run and writes nothing.
//!
//! The ledger (`tenant_migrations` in the catalog) has one entry per tenant and migration:
//! its checksum, and `running` (with an owner and a lease) or `applied`. An applied
//! migration is never run again for that tenant, and one whose checksum changed since is an
//! error (`CONFLICT`): the declared history must not be rewritten. A run that dies leaves
//! `running` entries whose lease expires; the next run takes them over and runs that
//! migration again: every migration must be idempotent (running it twice leaves what
//! running it once does). The declarative kinds are: an index made or dropped again is
//! the same, a rename moves only fields still under the old name, a default fills only
//! missing fields; an update or a function must be written so (filter on the shape it
//! changes).
//!
//! [`TenantManager::set_schema`]: crate::TenantManager::set_schema
//! [`TenantManager::migrate`]: crate::TenantManager::migrate

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::options::UpdateModifications;
use mongodb::IndexModel;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::context::Cx;
use crate::error::{duplicate_key, Error, Result};
use crate::scope::TenantScope;
use crate::store::{OrgDoc, State};

/// The catalog's collection of the migration ledger.
pub(crate) const TENANT_MIGRATIONS: &str = "tenant_migrations";
/// How long a running migration's claim holds before another run may take it over.
const LEASE: Duration = Duration::from_secs(60);

/// A migration written in the host language: called with the tenant's scope.
pub type MigrationFn =
    Arc<dyn Fn(TenantScope) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> + Send + Sync>;

/// What a migration does.
#[derive(Clone)]
#[non_exhaustive]
pub enum MigrationStep {
    /// Make an index on the logical collection (compound with the tenant stamp in the
    /// `shared` layout).
    CreateIndex {
        /// The logical collection.
        collection: String,
        /// The index.
        index: Box<IndexModel>,
    },
    /// Drop the index named `name` (in the `shared` layout, the shared collection's, for
    /// every tenant in it).
    DropIndex {
        /// The logical collection.
        collection: String,
        /// The index's name.
        name: String,
    },
    /// Rename a field in every document that has it under `from` and not under `to`.
    RenameField {
        /// The logical collection.
        collection: String,
        /// The field's name now.
        from: String,
        /// Its new name.
        to: String,
    },
    /// Set `field` to `value` in every document where it is missing.
    SetDefault {
        /// The logical collection.
        collection: String,
        /// The field.
        field: String,
        /// Its default.
        value: Bson,
    },
    /// An update of the documents matching `filter` (an update document or a pipeline),
    /// which must be idempotent.
    Update {
        /// The logical collection.
        collection: String,
        /// Which documents.
        filter: Document,
        /// What to change.
        update: UpdateModifications,
    },
    /// A function of the host language; `version` stands for its content in the checksum
    /// (change it when the function changes meaning).
    Function {
        /// What the checksum covers.
        version: String,
        /// The function.
        run: MigrationFn,
    },
}

impl std::fmt::Debug for MigrationStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.canonical() {
            Ok(d) => write!(f, "{d}"),
            Err(_) => f.write_str("MigrationStep"),
        }
    }
}

impl MigrationStep {
    /// The step as a document, for its checksum.
    fn canonical(&self) -> Result<Document> {
        let index = |i: &IndexModel| bson::to_document(i).map_err(Error::internal);
        Ok(match self {
            MigrationStep::CreateIndex {
                collection,
                index: i,
            } => {
                doc! { "kind": "create_index", "collection": collection, "index": index(i)? }
            }
            MigrationStep::DropIndex { collection, name } => {
                doc! { "kind": "drop_index", "collection": collection, "name": name }
            }
            MigrationStep::RenameField {
                collection,
                from,
                to,
            } => {
                doc! { "kind": "rename_field", "collection": collection, "from": from, "to": to }
            }
            MigrationStep::SetDefault {
                collection,
                field,
                value,
            } => {
                doc! { "kind": "set_default", "collection": collection, "field": field, "value": value.clone() }
            }
            MigrationStep::Update {
                collection,
                filter,
                update,
            } => {
                let update = match update {
                    UpdateModifications::Document(d) => Bson::Document(d.clone()),
                    UpdateModifications::Pipeline(p) => {
                        Bson::Array(p.iter().cloned().map(Bson::Document).collect())
                    }
                    _ => return Err(Error::invalid("update", "must be a document or a pipeline")),
                };
                doc! { "kind": "update", "collection": collection, "filter": filter, "update": update }
            }
            MigrationStep::Function { version, .. } => {
                doc! { "kind": "function", "version": version }
            }
        })
    }
}

/// One migration: an id (unique in the schema, never reused) and its step.
#[derive(Clone, Debug)]
pub struct Migration {
    /// The migration's id.
    pub id: String,
    /// What it does.
    pub step: MigrationStep,
}

impl Migration {
    /// A migration `id` doing `step`.
    pub fn new(id: impl Into<String>, step: MigrationStep) -> Self {
        Migration {
            id: id.into(),
            step,
        }
    }

    /// The SHA-256 (hex) of the migration's id and declared content.
    pub fn checksum(&self) -> Result<String> {
        let bytes = bson::to_vec(&doc! { "id": &self.id, "step": self.step.canonical()? })
            .map_err(Error::internal)?;
        Ok(hex::encode(Sha256::digest(&bytes)))
    }
}

/// The schema every tenant's data follows: its indexes and its migrations, in order.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Schema {
    /// `(logical collection, index)`: made at every create.
    pub indexes: Vec<(String, IndexModel)>,
    /// In the order they apply.
    pub migrations: Vec<Migration>,
}

impl Schema {
    /// No index, no migration.
    pub fn new() -> Self {
        Self::default()
    }

    /// With an index on `collection` that every tenant has.
    pub fn index(mut self, collection: impl Into<String>, index: IndexModel) -> Self {
        self.indexes.push((collection.into(), index));
        self
    }

    /// With a migration, after the ones declared before it.
    pub fn migration(mut self, migration: Migration) -> Self {
        self.migrations.push(migration);
        self
    }

    /// A schema of declarative migrations, from JSON (MongoDB Extended JSON for values):
    ///
    /// ```json
    /// { "indexes": [ { "collection": "data", "keys": { "email": 1 }, "options": { "unique": true } } ],
    ///   "migrations": [
    ///     { "id": "001", "create_index": { "collection": "data", "keys": { "plan": 1 } } },
    ///     { "id": "002", "rename_field": { "collection": "data", "from": "mail", "to": "email" } },
    ///     { "id": "003", "set_default": { "collection": "data", "field": "plan", "value": "free" } },
    ///     { "id": "004", "update": { "collection": "data", "filter": { "status": "ACTIVE" },
    ///                                "update": { "$set": { "status": "active" } } } },
    ///     { "id": "005", "drop_index": { "collection": "data", "name": "plan_1" } } ] }
    /// ```
    ///
    /// `INVALID_INPUT` (field `schema`) says what does not read.
    pub fn from_json(text: &str) -> Result<Schema> {
        let bad = |why: String| Error::invalid("schema", why);
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("is not JSON: {e}")))?;
        let bson = Bson::try_from(value).map_err(|e| bad(format!("is not Extended JSON: {e}")))?;
        let Bson::Document(root) = bson else {
            return Err(bad("must be an object".into()));
        };
        Self::from_document(&root, std::collections::HashMap::new())
    }

    /// A schema from its document, shaped as [`Schema::from_json`] reads it, where a
    /// migration may also be `{ "id": "006", "function": { "version": "1" } }`: a
    /// [`MigrationStep::Function`] running `functions[id]` (how the bindings declare
    /// migrations written in Python or JavaScript). `INVALID_INPUT` (field `schema`) says
    /// what does not read, and names a function declared but not given, or given but not
    /// declared.
    pub fn from_document(
        root: &Document,
        mut functions: std::collections::HashMap<String, MigrationFn>,
    ) -> Result<Schema> {
        let bad = |why: String| Error::invalid("schema", why);
        let str_of = |d: &Document, key: &str, at: &str| {
            d.get_str(key)
                .map(str::to_owned)
                .map_err(|_| bad(format!("{at}: '{key}' must be a string")))
        };
        let index_of = |d: &Document, at: &str| -> Result<IndexModel> {
            let keys = d
                .get_document("keys")
                .map_err(|_| bad(format!("{at}: 'keys' must be an object")))?
                .clone();
            let mut index = doc! { "key": keys };
            if let Ok(options) = d.get_document("options") {
                index.extend(options.clone());
            }
            bson::from_document(index).map_err(|e| bad(format!("{at}: {e}")))
        };
        let mut schema = Schema::new();
        for (i, item) in root
            .get_array("indexes")
            .map(|a| a.to_vec())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let at = format!("indexes[{i}]");
            let d = item
                .as_document()
                .ok_or_else(|| bad(format!("{at} must be an object")))?;
            schema
                .indexes
                .push((str_of(d, "collection", &at)?, index_of(d, &at)?));
        }
        for (i, item) in root
            .get_array("migrations")
            .map(|a| a.to_vec())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let at = format!("migrations[{i}]");
            let d = item
                .as_document()
                .ok_or_else(|| bad(format!("{at} must be an object")))?;
            let id = str_of(d, "id", &at)?;
            let kinds: Vec<&String> = d.keys().filter(|k| k.as_str() != "id").collect();
            let [kind] = kinds.as_slice() else {
                return Err(bad(format!("{at}: one kind of step besides 'id'")));
            };
            let body = d
                .get_document(kind.as_str())
                .map_err(|_| bad(format!("{at}: '{kind}' must be an object")))?;
            if kind.as_str() == "function" {
                let version = str_of(body, "version", &at)?;
                let run = functions
                    .remove(&id)
                    .ok_or_else(|| bad(format!("{at}: no function is given for '{id}'")))?;
                schema
                    .migrations
                    .push(Migration::new(id, MigrationStep::Function { version, run }));
                continue;
            }
            let collection = str_of(body, "collection", &at)?;
            let step = match kind.as_str() {
                "create_index" => MigrationStep::CreateIndex {
                    collection,
                    index: Box::new(index_of(body, &at)?),
                },
                "drop_index" => MigrationStep::DropIndex {
                    collection,
                    name: str_of(body, "name", &at)?,
                },
                "rename_field" => MigrationStep::RenameField {
                    collection,
                    from: str_of(body, "from", &at)?,
                    to: str_of(body, "to", &at)?,
                },
                "set_default" => MigrationStep::SetDefault {
                    collection,
                    field: str_of(body, "field", &at)?,
                    value: body
                        .get("value")
                        .cloned()
                        .ok_or_else(|| bad(format!("{at}: 'value' is missing")))?,
                },
                "update" => MigrationStep::Update {
                    collection,
                    filter: body.get_document("filter").cloned().unwrap_or_default(),
                    update: match body.get("update") {
                        Some(Bson::Document(u)) => UpdateModifications::Document(u.clone()),
                        Some(Bson::Array(stages)) => UpdateModifications::Pipeline(
                            stages
                                .iter()
                                .map(|s| s.as_document().cloned().ok_or_else(|| bad(format!("{at}: a stage must be an object"))))
                                .collect::<Result<_>>()?,
                        ),
                        _ => return Err(bad(format!("{at}: 'update' must be an object or a pipeline"))),
                    },
                },
                other => {
                    return Err(bad(format!(
                        "{at}: unknown kind '{other}' (create_index, drop_index, rename_field, set_default, update, function)"
                    )))
                }
            };
            schema.migrations.push(Migration::new(id, step));
        }
        if let Some(id) = functions.keys().min() {
            return Err(bad(format!(
                "a function is given for '{id}', which no migration declares"
            )));
        }
        schema.check()?;
        Ok(schema)
    }

    /// `INVALID_INPUT` for an empty or repeated migration id.
    pub(crate) fn check(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for m in &self.migrations {
            if m.id.trim().is_empty() {
                return Err(Error::invalid("migration", "an id must not be empty"));
            }
            if !seen.insert(m.id.as_str()) {
                return Err(Error::invalid(
                    "migration",
                    format_args!("'{}' is declared twice", m.id),
                ));
            }
            m.checksum()?;
        }
        Ok(())
    }
}

/// How [`TenantManager::migrate`](crate::TenantManager::migrate) runs.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct MigrateOptions {
    /// Tenants migrated at once (4 when unset).
    pub parallelism: Option<usize>,
    /// Say what would run; write nothing.
    pub dry_run: bool,
    /// After a tenant's failure, start no other tenant.
    pub stop_on_failure: bool,
    /// Called after each tenant: `(tenants done, tenants in all)`.
    pub progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
}

impl std::fmt::Debug for MigrateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrateOptions")
            .field("parallelism", &self.parallelism)
            .field("dry_run", &self.dry_run)
            .field("stop_on_failure", &self.stop_on_failure)
            .field(
                "progress",
                &self.progress.as_ref().map(|_| "Fn(done, total)"),
            )
            .finish()
    }
}

impl MigrateOptions {
    /// Four tenants at once, applying, going on after failures.
    pub fn new() -> Self {
        Self::default()
    }

    /// `n` tenants at once.
    pub fn parallelism(mut self, n: usize) -> Self {
        self.parallelism = Some(n);
        self
    }

    /// Say what would run, write nothing.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Start no tenant after a failure.
    pub fn stop_on_failure(mut self) -> Self {
        self.stop_on_failure = true;
        self
    }

    /// Report progress to `f`.
    pub fn progress(mut self, f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// What a migration run did (or would do, in a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrateReport {
    /// Tenants looked at.
    pub tenants: u64,
    /// Migrations applied (in a dry run: that would be), over every tenant.
    pub applied: u64,
    /// Tenants that had nothing to apply.
    pub up_to_date: u64,
    /// Tenants not started (after a failure, with `stop_on_failure`).
    pub not_started: u64,
    /// Each failed tenant: its id, name, the migration and the error's code and message.
    pub failed: Vec<MigrationFailure>,
}

/// A tenant whose migration failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationFailure {
    /// The tenant.
    pub tenant_id: ObjectId,
    /// Its name.
    pub name: String,
    /// The migration that failed.
    pub migration: String,
    /// The error's code.
    pub code: String,
    /// The error's message.
    pub message: String,
}

fn ledger(cx: &Cx) -> mongodb::Collection<Document> {
    cx.store.db.collection_with_options(
        TENANT_MIGRATIONS,
        mongodb::options::CollectionOptions::builder()
            .write_concern(cx.store.write_concern.clone())
            .build(),
    )
}

/// A ledger entry's `_id`: the tenant's id and the migration's, in one string (an
/// index lookup by a plain value on every server).
fn entry_id(tenant: ObjectId, migration: &str) -> String {
    format!("{}/{migration}", tenant.to_hex())
}

/// A new ledger entry of `tenant` and `migration`, with `fields`.
fn entry(tenant: ObjectId, migration: &str, fields: Document) -> Document {
    let mut d = doc! { "_id": entry_id(tenant, migration), "t": tenant, "m": migration };
    d.extend(fields);
    d
}

/// The ledger's index by tenant (a deleted tenant's entries are removed by it).
pub(crate) async fn ensure_indexes(store: &crate::store::Store) -> Result<()> {
    let options = mongodb::options::IndexOptions::builder()
        .name("tenant".to_owned())
        .build();
    store
        .db
        .collection::<Document>(TENANT_MIGRATIONS)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "t": 1 })
                .options(options)
                .build(),
        )
        .await?;
    Ok(())
}

/// Entries of the first ledger format (`_id: { t, m }`), rewritten in today's unless
/// `dry_run` (then only returned, by today's `_id`): the new entry first, then the old one
/// goes, so that a crash between leaves both, and the next run finishes. Run before a
/// migration run reads the ledger.
async fn upgrade_ledger(
    cx: &Cx,
    dry_run: bool,
) -> Result<std::collections::HashMap<String, Document>> {
    let old: Vec<Document> = ledger(cx)
        .find(doc! { "_id.t": { "$exists": true } })
        .await?
        .try_collect()
        .await?;
    let mut legacy = std::collections::HashMap::new();
    for mut e in old {
        let id = e.get_document("_id").map_err(Error::internal)?.clone();
        let (Ok(t), Ok(m)) = (id.get_object_id("t"), id.get_str("m")) else {
            continue;
        };
        e.remove("_id");
        let today = entry(t, m, e);
        if dry_run {
            legacy.insert(entry_id(t, m), today);
            continue;
        }
        match ledger(cx).insert_one(today).await {
            Err(e) if duplicate_key(&e).is_none() => return Err(e.into()),
            _ => {}
        }
        ledger(cx).delete_one(doc! { "_id": id }).await?;
    }
    Ok(legacy)
}

/// Remove a deleted tenant's ledger entries, of either format (entries of the first one
/// stay until a migration run rewrites them, which a tenant deleted before never meets).
pub(crate) async fn forget(cx: &Cx, tenant: ObjectId) -> Result<()> {
    let of_tenant = doc! { "$or": [ { "t": tenant }, { "_id.t": tenant } ] };
    ledger(cx).delete_many(of_tenant).await?;
    Ok(())
}

/// Give a new tenant the schema: its indexes, and every migration recorded as applied.
pub(crate) async fn adopt(cx: &Arc<Cx>, schema: &Schema, org: &OrgDoc) -> Result<()> {
    let scope = TenantScope::new(Arc::clone(cx), org);
    for (collection, index) in &schema.indexes {
        scope
            .collection::<Document>(collection)?
            .create_index(index.clone())
            .await?;
    }
    let now = bson::DateTime::now();
    for m in &schema.migrations {
        let fields = doc! {
            "checksum": m.checksum()?,
            "state": "applied",
            "applied_at": now,
            "baseline": true,
        };
        match ledger(cx).insert_one(entry(org.id, &m.id, fields)).await {
            Err(e) if duplicate_key(&e).is_none() => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// What a tenant's ledger says of one migration.
enum Ledger {
    Pending,
    Applied,
    Changed,
    /// Another run holds it (its lease not expired).
    Busy,
}

/// What `entry` (a migration's ledger entry, if any) says, for a migration of `checksum`,
/// at `now` (the server's time).
fn state_of(entry: Option<&Document>, checksum: &str, now: bson::DateTime) -> Ledger {
    let Some(entry) = entry else {
        return Ledger::Pending;
    };
    if entry.get_str("state") == Ok("applied") {
        return match entry.get_str("checksum") == Ok(checksum) {
            true => Ledger::Applied,
            false => Ledger::Changed,
        };
    }
    // Running: another run's while its lease holds (whatever version it runs); once the
    // lease ran out, a dead run's, never finished: taken over, by today's version of the
    // migration if it was changed meanwhile (a fix of the one that died, say).
    let until = entry
        .get_datetime("lease_until")
        .map(|d| d.timestamp_millis())
        .unwrap_or(0);
    if until > now.timestamp_millis() {
        Ledger::Busy
    } else {
        Ledger::Pending
    }
}

/// When a claim made at `now` runs out.
fn lease_end(now: bson::DateTime) -> bson::DateTime {
    bson::DateTime::from_millis(now.timestamp_millis() + LEASE.as_millis() as i64)
}

/// A failure's code and message (errors are reported, not passed on).
type Why = (String, String);

fn why(e: &Error) -> Why {
    (e.code().to_owned(), e.to_string())
}

/// How a tenant's part of a run ends, after the migrations it claimed.
enum End {
    /// Everything it lacked was claimed.
    Done,
    /// Started after a failure stopped the run: its claims are given back.
    NotStarted,
    /// It stops at this migration (none: before any), for this reason.
    Fail(Option<usize>, Why),
}

/// A tenant as the run plans it: the migrations it claimed (indexes into the schema, in
/// order), then how it ends.
struct Plan {
    index: usize,
    org: OrgDoc,
    todo: Vec<usize>,
    end: End,
}

/// One tenant's result.
enum Outcome {
    NotStarted,
    Applied(u64),
    Failed(u64, MigrationFailure),
}

/// A tenant whose migrations ran and were recorded.
struct Ran {
    tenant_id: ObjectId,
    name: String,
    /// Migrations applied and recorded (in a dry run: that would be).
    applied: u64,
    /// The migration it stopped at (empty: before any), and why.
    failed: Option<(String, Why)>,
    not_started: bool,
}

impl Ran {
    /// The tenant's outcome.
    fn outcome(self) -> Outcome {
        if self.not_started {
            return Outcome::NotStarted;
        }
        match self.failed {
            None => Outcome::Applied(self.applied),
            Some((migration, (code, message))) => Outcome::Failed(
                self.applied,
                MigrationFailure {
                    tenant_id: self.tenant_id,
                    name: self.name,
                    migration,
                    code,
                    message,
                },
            ),
        }
    }
}

/// What a run shares between its tenants.
struct Run {
    cx: Arc<Cx>,
    schema: Arc<Schema>,
    checksums: Vec<String>,
    /// The claims of this run.
    owner: ObjectId,
    /// A dry run's view of entries of the first ledger format.
    legacy: std::collections::HashMap<String, Document>,
    dry_run: bool,
    stop_on_failure: bool,
    stop: AtomicBool,
    /// The server's clock minus this process's, read at the run's start: claims run out on
    /// the server's clock, so runs on machines whose clocks disagree judge them alike.
    skew: chrono::Duration,
}

/// A migration that ran, for the ledger to record, and who waits for the record.
type Mark = (String, oneshot::Sender<std::result::Result<(), Why>>);

impl Run {
    /// The server's time now, as this run reckons it.
    fn now(&self) -> bson::DateTime {
        bson::DateTime::from_chrono(chrono::Utc::now() + self.skew)
    }

    fn changed(&self, k: usize) -> Why {
        why(&Error::Conflict {
            message: format!(
                "migration '{}' was changed after it was applied to this tenant; declare a new one instead",
                self.schema.migrations[k].id
            ),
        })
    }

    /// Give back claims of this run (a tenant that failed or did not start).
    async fn release(&self, tenant: ObjectId, ks: &[usize]) -> Result<()> {
        if ks.is_empty() || self.dry_run {
            return Ok(());
        }
        let ids: Vec<String> = ks
            .iter()
            .map(|&k| entry_id(tenant, &self.schema.migrations[k].id))
            .collect();
        let mine = doc! { "_id": { "$in": ids }, "owner": self.owner, "state": "running" };
        ledger(&self.cx).delete_many(mine).await?;
        Ok(())
    }

    /// Plan a chunk of tenants (see [`Run::claim`]); when that fails, the claims it made
    /// are given back at once rather than left to run out.
    async fn plan(&self, chunk: &[(usize, OrgDoc)]) -> Result<Vec<Plan>> {
        let planned = self.claim(chunk).await;
        if planned.is_err() && !self.dry_run {
            let ids: Vec<String> = chunk
                .iter()
                .flat_map(|(_, o)| {
                    let ms = &self.schema.migrations;
                    ms.iter().map(move |m| entry_id(o.id, &m.id))
                })
                .collect();
            let mine = doc! { "_id": { "$in": ids }, "owner": self.owner, "state": "running" };
            if let Err(e) = ledger(&self.cx).delete_many(mine).await {
                tracing::warn!(error = %e, "migration claims not given back: they run out");
            }
        }
        planned
    }

    /// Plan a chunk of tenants with one read of their ledger entries, and claim what they
    /// lack with one write (a claim of a run that died is taken over on its own).
    async fn claim(&self, chunk: &[(usize, OrgDoc)]) -> Result<Vec<Plan>> {
        let ms = &self.schema.migrations;
        let ids: Vec<String> = chunk
            .iter()
            .flat_map(|(_, o)| ms.iter().map(move |m| entry_id(o.id, &m.id)))
            .collect();
        let mut entries = std::collections::HashMap::new();
        if !ids.is_empty() {
            let mut cursor = ledger(&self.cx)
                .find(doc! { "_id": { "$in": ids } })
                .await?;
            while let Some(e) = cursor.try_next().await? {
                if let Ok(id) = e.get_str("_id") {
                    entries.insert(id.to_owned(), e);
                }
            }
        }
        let now = self.now();
        let until = lease_end(now);
        let mut plans = Vec::with_capacity(chunk.len());
        let mut fresh = Vec::new();
        // Of each fresh claim: its plan and its place in the plan's `todo`.
        let mut fresh_of = Vec::new();
        for (index, org) in chunk {
            let mut plan = Plan {
                index: *index,
                org: org.clone(),
                todo: Vec::new(),
                end: End::Done,
            };
            for (k, m) in ms.iter().enumerate() {
                let found = entries
                    .get(&entry_id(org.id, &m.id))
                    .or_else(|| self.legacy.get(&entry_id(org.id, &m.id)));
                match state_of(found, &self.checksums[k], now) {
                    Ledger::Applied => continue,
                    Ledger::Changed => {
                        plan.end = End::Fail(Some(k), self.changed(k));
                        break;
                    }
                    Ledger::Busy => {
                        plan.end = End::Fail(Some(k), why(&Error::busy()));
                        break;
                    }
                    Ledger::Pending if self.dry_run => {}
                    Ledger::Pending if found.is_some() => {
                        // A dead run's claim, its lease run out: take it over.
                        let expired = doc! {
                            "_id": entry_id(org.id, &m.id),
                            "state": "running",
                            "lease_until": { "$lte": now },
                        };
                        let take = doc! { "$set": {
                            "owner": self.owner,
                            "lease_until": until,
                            "checksum": &self.checksums[k],
                        } };
                        if ledger(&self.cx)
                            .update_one(expired, take)
                            .await?
                            .matched_count
                            != 1
                        {
                            plan.end = End::Fail(Some(k), why(&Error::busy()));
                            break;
                        }
                    }
                    Ledger::Pending => {
                        fresh_of.push((plans.len(), plan.todo.len()));
                        let fields = doc! {
                            "checksum": &self.checksums[k],
                            "state": "running",
                            "owner": self.owner,
                            "lease_until": until,
                            "started_at": now,
                        };
                        fresh.push(entry(org.id, &m.id, fields));
                    }
                }
                plan.todo.push(k);
            }
            plans.push(plan);
        }
        if fresh.is_empty() {
            return Ok(plans);
        }
        // Claims another run made first (between the read and this write).
        let lost: Vec<usize> = match ledger(&self.cx).insert_many(fresh).ordered(false).await {
            Ok(_) => Vec::new(),
            Err(e) => match e.kind.as_ref() {
                mongodb::error::ErrorKind::InsertMany(f)
                    if f.write_concern_error.is_none()
                        && f.write_errors
                            .as_ref()
                            .is_some_and(|w| w.iter().all(|w| w.code == 11000)) =>
                {
                    f.write_errors.iter().flatten().map(|w| w.index).collect()
                }
                _ => return Err(e.into()),
            },
        };
        // A tenant stops at its first lost claim and gives back the claims after it.
        let mut cut: std::collections::BTreeMap<usize, usize> = Default::default();
        for i in lost {
            let (p, pos) = fresh_of[i];
            let at = cut.entry(p).or_insert(pos);
            *at = (*at).min(pos);
        }
        for (p, pos) in cut {
            let plan = &mut plans[p];
            let dropped = plan.todo.split_off(pos);
            self.release(plan.org.id, &dropped[1..]).await?;
            plan.end = End::Fail(Some(dropped[0]), why(&Error::busy()));
        }
        Ok(plans)
    }

    /// Run a tenant's plan: its migrations in order, each recorded (in the ledger's group
    /// writes, shared with the other tenants) before the next one starts.
    async fn tenant(&self, plan: Plan, marks: mpsc::UnboundedSender<Mark>) -> Ran {
        let ms = &self.schema.migrations;
        let id = plan.org.id;
        let mut ran = Ran {
            tenant_id: id,
            name: plan.org.organization_name.clone(),
            applied: 0,
            failed: None,
            not_started: false,
        };
        let id_of = |k: Option<usize>| k.map(|k| ms[k].id.clone()).unwrap_or_default();
        let stopped = self.stop.load(Ordering::Relaxed);
        if stopped || matches!(plan.end, End::NotStarted) {
            match self.release(id, &plan.todo).await {
                Ok(()) => ran.not_started = true,
                Err(e) => ran.failed = Some((String::new(), why(&e))),
            }
            return ran;
        }
        if self.dry_run {
            ran.applied = plan.todo.len() as u64;
        } else {
            let scope = TenantScope::new(Arc::clone(&self.cx), &plan.org);
            for (pos, &k) in plan.todo.iter().enumerate() {
                if let Err(e) = run_step(&scope, &ms[k].step).await {
                    // The claims go, so that the next run tries again.
                    if let Err(e) = self.release(id, &plan.todo[pos..]).await {
                        tracing::warn!(error = %e, "a failed migration's claim stays until its lease runs out");
                    }
                    ran.failed = Some((id_of(Some(k)), why(&e)));
                    break;
                }
                let (tx, rx) = oneshot::channel();
                let _ = marks.send((entry_id(id, &ms[k].id), tx));
                // The next migration waits for this one's record: the ledger never holds a
                // later migration applied while an earlier one is not (a run that resumes
                // would run the earlier one after it).
                let recorded = match rx.await {
                    Ok(result) => result,
                    Err(_) => Err(why(&Error::Internal("the ledger stopped".into()))),
                };
                if let Err(reason) = recorded {
                    if let Err(e) = self.release(id, &plan.todo[pos + 1..]).await {
                        tracing::warn!(error = %e, "a failed migration's claims stay until their lease runs out");
                    }
                    ran.failed = Some((id_of(Some(k)), reason));
                    break;
                }
                ran.applied += 1;
            }
        }
        if ran.failed.is_none() {
            if let End::Fail(k, reason) = plan.end {
                ran.failed = Some((id_of(k), reason));
            }
        }
        ran
    }

    /// Record migrations that ran as applied, every mark waiting at the time in one write.
    async fn record(&self, mut marks: mpsc::UnboundedReceiver<Mark>) {
        while let Some(first) = marks.recv().await {
            let mut batch = vec![first];
            while batch.len() < 1000 {
                match marks.try_recv() {
                    Ok(mark) => batch.push(mark),
                    Err(_) => break,
                }
            }
            let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            let done = doc! {
                "$set": { "state": "applied", "applied_at": bson::DateTime::now() },
                "$unset": { "lease_until": "", "owner": "" },
            };
            let mine =
                doc! { "_id": { "$in": ids.clone() }, "owner": self.owner, "state": "running" };
            let result = match ledger(&self.cx).update_many(mine, done).await {
                Ok(r) if r.matched_count == batch.len() as u64 => Ok(None),
                // Some claim was taken over (its lease ran out): what is applied is.
                Ok(_) => self.applied_of(ids).await.map(Some),
                Err(e) => Err(why(&e.into())),
            };
            for (id, tx) in batch {
                let _ = tx.send(match &result {
                    Ok(None) => Ok(()),
                    Ok(Some(applied)) if applied.contains(&id) => Ok(()),
                    Ok(Some(_)) => Err(why(&Error::lost())),
                    Err(reason) => Err(reason.clone()),
                });
            }
        }
    }

    /// Which of `ids` the ledger holds as applied.
    async fn applied_of(&self, ids: Vec<String>) -> std::result::Result<Vec<String>, Why> {
        let found: Vec<Document> = async {
            ledger(&self.cx)
                .find(doc! { "_id": { "$in": ids }, "state": "applied" })
                .projection(doc! { "_id": 1 })
                .await?
                .try_collect()
                .await
        }
        .await
        .map_err(|e: mongodb::error::Error| why(&e.into()))?;
        Ok(found
            .into_iter()
            .filter_map(|d| d.get_str("_id").ok().map(str::to_owned))
            .collect())
    }

    /// Keep this run's claims from running out while it lasts.
    async fn renew(&self) {
        loop {
            tokio::time::sleep(LEASE / 3).await;
            let mine = doc! { "owner": self.owner, "state": "running" };
            let renew = doc! { "$set": { "lease_until": lease_end(self.now()) } };
            if let Err(e) = ledger(&self.cx).update_many(mine, renew).await {
                tracing::warn!(error = %e, "migration claims not renewed");
            }
        }
    }
}

async fn run_step(scope: &TenantScope, step: &MigrationStep) -> Result<()> {
    match step {
        MigrationStep::CreateIndex { collection, index } => {
            scope
                .collection::<Document>(collection)?
                .create_index(index.as_ref().clone())
                .await?;
        }
        MigrationStep::DropIndex { collection, name } => {
            scope
                .collection::<Document>(collection)?
                .drop_index(name)
                .await?;
        }
        MigrationStep::RenameField {
            collection,
            from,
            to,
        } => {
            let c = scope.collection::<Document>(collection)?;
            let filter =
                doc! { from.as_str(): { "$exists": true }, to.as_str(): { "$exists": false } };
            c.update_many(filter, doc! { "$rename": { from.as_str(): to.as_str() } })
                .await?;
        }
        MigrationStep::SetDefault {
            collection,
            field,
            value,
        } => {
            let c = scope.collection::<Document>(collection)?;
            let filter = doc! { field.as_str(): { "$exists": false } };
            c.update_many(filter, doc! { "$set": { field.as_str(): value.clone() } })
                .await?;
        }
        MigrationStep::Update {
            collection,
            filter,
            update,
        } => {
            let c = scope.collection::<Document>(collection)?;
            c.update_many(filter.clone(), update.clone()).await?;
        }
        MigrationStep::Function { run, .. } => {
            // A function that panics fails its tenant's migration like one that errs; the
            // run and the other tenants go on.
            use futures_util::FutureExt;
            use std::panic::AssertUnwindSafe;
            let panicked = |_| Error::internal("the migration function panicked");
            let future = std::panic::catch_unwind(AssertUnwindSafe(|| run(scope.clone())))
                .map_err(panicked)?;
            AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .map_err(panicked)??
        }
    }
    Ok(())
}

/// Tenants planned (read and claimed) at once.
const CHUNK: usize = 128;

/// Apply the schema's migrations to every active tenant (see the module docs).
///
/// Tenants go `parallelism` at a time, each through its migrations in order. The ledger
/// is read and claimed a chunk of tenants at a time, ahead of the tenants' runs, and the
/// migrations that ran are recorded together: a tenant costs its steps and a small share
/// of a few ledger writes.
pub(crate) async fn migrate(
    cx: &Arc<Cx>,
    schema: &Arc<Schema>,
    options: &MigrateOptions,
) -> Result<MigrateReport> {
    schema.check()?;
    let parallelism = match options.parallelism {
        None => 4,
        Some(n) if (1..=256).contains(&n) => n,
        Some(_) => return Err(Error::invalid("parallelism", "must be between 1 and 256")),
    };
    let visible = [State::Active.as_str(), State::Updating.as_str()];
    let orgs: Vec<OrgDoc> = cx
        .store
        .orgs
        .find(doc! { "state": { "$in": visible.to_vec() } })
        .sort(doc! { "created_at": 1, "_id": 1 })
        .await?
        .try_collect()
        .await?;
    let total = orgs.len() as u64;
    let legacy = upgrade_ledger(cx, options.dry_run).await?;
    let run = Arc::new(Run {
        legacy,
        cx: Arc::clone(cx),
        schema: Arc::clone(schema),
        checksums: schema
            .migrations
            .iter()
            .map(Migration::checksum)
            .collect::<Result<_>>()?,
        owner: ObjectId::new(),
        dry_run: options.dry_run,
        stop_on_failure: options.stop_on_failure,
        stop: AtomicBool::new(false),
        skew: cx.store.server_time().await? - chrono::Utc::now(),
    });
    let (marks, recorded) = mpsc::unbounded_channel();
    let done = AtomicU64::new(0);
    let chunks: Vec<Vec<(usize, OrgDoc)>> = orgs
        .into_iter()
        .enumerate()
        .collect::<Vec<_>>()
        .chunks(CHUNK)
        .map(<[_]>::to_vec)
        .collect();
    let tenants = {
        let run = Arc::clone(&run);
        async move {
            stream::iter(chunks)
                .map(|chunk| {
                    let run = Arc::clone(&run);
                    async move {
                        if run.stop.load(Ordering::Relaxed) {
                            return plans_ending(chunk, || End::NotStarted);
                        }
                        match run.plan(&chunk).await {
                            Ok(plans) => plans,
                            Err(e) => plans_ending(chunk, || End::Fail(None, why(&e))),
                        }
                    }
                })
                .buffered(2)
                .flat_map(stream::iter)
                .map(|plan| {
                    let (run, marks, done) = (Arc::clone(&run), marks.clone(), &done);
                    let progress = options.progress.clone();
                    async move {
                        let index = plan.index;
                        let ran = run.tenant(plan, marks).await;
                        if ran.failed.is_some() && run.stop_on_failure {
                            run.stop.store(true, Ordering::Relaxed);
                        }
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if let Some(progress) = &progress {
                            progress(n, total);
                        }
                        (index, ran.outcome())
                    }
                })
                .buffer_unordered(parallelism)
                .collect::<Vec<_>>()
                .await
        }
    };
    let work = async { futures_util::join!(tenants, run.record(recorded)).0 };
    let mut outcomes = tokio::select! {
        outcomes = work => outcomes,
        () = async {
            // A dry run claims nothing: nothing to renew.
            if run.dry_run {
                std::future::pending::<()>().await
            }
            run.renew().await
        } => unreachable!("renewing never ends"),
    };
    let mut report = MigrateReport {
        tenants: total,
        ..Default::default()
    };
    outcomes.sort_by_key(|(i, _)| *i);
    for (_, outcome) in outcomes {
        match outcome {
            Outcome::NotStarted => report.not_started += 1,
            Outcome::Applied(0) => report.up_to_date += 1,
            Outcome::Applied(n) => report.applied += n,
            Outcome::Failed(n, f) => {
                report.applied += n;
                report.failed.push(f);
            }
        }
    }
    report.failed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report)
}

/// A chunk's tenants, planned to nothing and ending as `end` says.
fn plans_ending(chunk: Vec<(usize, OrgDoc)>, end: impl Fn() -> End) -> Vec<Plan> {
    chunk
        .into_iter()
        .map(|(index, org)| Plan {
            index,
            org,
            todo: Vec::new(),
            end: end(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_reads_from_json_and_says_what_does_not() {
        let schema = Schema::from_json(
            r#"{ "indexes": [ { "collection": "data", "keys": { "email": 1 }, "options": { "unique": true } } ],
                 "migrations": [
                   { "id": "001", "create_index": { "collection": "data", "keys": { "plan": 1 } } },
                   { "id": "002", "rename_field": { "collection": "data", "from": "mail", "to": "email" } },
                   { "id": "003", "set_default": { "collection": "data", "field": "since", "value": { "$date": "2026-01-01T00:00:00Z" } } },
                   { "id": "004", "update": { "collection": "data", "filter": {}, "update": [ { "$set": { "n": 1 } } ] } },
                   { "id": "005", "drop_index": { "collection": "data", "name": "plan_1" } } ] }"#,
        )
        .unwrap();
        assert_eq!(schema.indexes.len(), 1);
        assert_eq!(
            schema.indexes[0].1.options.as_ref().and_then(|o| o.unique),
            Some(true)
        );
        assert_eq!(schema.migrations.len(), 5);
        assert!(matches!(
            &schema.migrations[2].step,
            MigrationStep::SetDefault {
                value: Bson::DateTime(_),
                ..
            }
        ));
        // Checksums are stable and differ by content.
        let again = Schema::from_json(r#"{ "migrations": [ { "id": "001", "create_index": { "collection": "data", "keys": { "plan": 1 } } } ] }"#).unwrap();
        assert_eq!(
            again.migrations[0].checksum().unwrap(),
            schema.migrations[0].checksum().unwrap()
        );
        assert_ne!(
            schema.migrations[0].checksum().unwrap(),
            schema.migrations[1].checksum().unwrap()
        );
        for bad in [
            "not json",
            "[]",
            r#"{ "migrations": [ { "create_index": { "collection": "data", "keys": {} } } ] }"#,
            r#"{ "migrations": [ { "id": "1", "explode": { "collection": "data" } } ] }"#,
            r#"{ "migrations": [ { "id": "1", "rename_field": { "collection": "data", "from": "a" } } ] }"#,
            r#"{ "migrations": [ { "id": "1", "update": { "collection": "data", "update": 3 } } ] }"#,
            r#"{ "migrations": [ { "id": "1", "drop_index": { "collection": "d", "name": "x" } }, { "id": "1", "drop_index": { "collection": "d", "name": "y" } } ] }"#,
        ] {
            let e = Schema::from_json(bad).unwrap_err();
            assert_eq!(e.code(), "INVALID_INPUT", "{bad}: {e}");
        }
    }
}
