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
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::options::UpdateModifications;
use mongodb::IndexModel;
use sha2::{Digest, Sha256};

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
                        "{at}: unknown kind '{other}' (create_index, drop_index, rename_field, set_default, update)"
                    )))
                }
            };
            schema.migrations.push(Migration::new(id, step));
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

fn entry_id(tenant: ObjectId, migration: &str) -> Document {
    doc! { "t": tenant, "m": migration }
}

/// Remove a deleted tenant's ledger entries.
pub(crate) async fn forget(cx: &Cx, tenant: ObjectId) -> Result<()> {
    ledger(cx).delete_many(doc! { "_id.t": tenant }).await?;
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
        let entry = doc! {
            "_id": entry_id(org.id, &m.id),
            "checksum": m.checksum()?,
            "state": "applied",
            "applied_at": now,
            "baseline": true,
        };
        match ledger(cx).insert_one(entry).await {
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

/// A tenant's ledger entries, by migration id.
async fn entries_of(
    cx: &Cx,
    tenant: ObjectId,
) -> Result<std::collections::HashMap<String, Document>> {
    let entries: Vec<Document> = ledger(cx)
        .find(doc! { "_id.t": tenant })
        .await?
        .try_collect()
        .await?;
    Ok(entries
        .into_iter()
        .filter_map(|e| {
            let m = e.get_document("_id").ok()?.get_str("m").ok()?.to_owned();
            Some((m, e))
        })
        .collect())
}

/// What `entry` (a migration's ledger entry, if any) says, for a migration of `checksum`.
fn state_of(entry: Option<&Document>, checksum: &str) -> Ledger {
    let Some(entry) = entry else {
        return Ledger::Pending;
    };
    if entry.get_str("checksum") != Ok(checksum) {
        return Ledger::Changed;
    }
    if entry.get_str("state") == Ok("applied") {
        return Ledger::Applied;
    }
    let until = entry
        .get_datetime("lease_until")
        .map(|d| d.timestamp_millis())
        .unwrap_or(0);
    if until > bson::DateTime::now().timestamp_millis() {
        Ledger::Busy
    } else {
        Ledger::Pending
    }
}

/// Claim a migration for `owner`: a new entry, or one whose lease ran out.
async fn claim(
    cx: &Cx,
    tenant: ObjectId,
    m: &Migration,
    checksum: &str,
    owner: ObjectId,
) -> Result<bool> {
    let until = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() + LEASE.as_millis() as i64,
    );
    let id = entry_id(tenant, &m.id);
    let fresh = doc! {
        "_id": id.clone(),
        "checksum": checksum,
        "state": "running",
        "owner": owner,
        "lease_until": until,
        "started_at": bson::DateTime::now(),
    };
    match ledger(cx).insert_one(fresh).await {
        Ok(_) => return Ok(true),
        Err(e) if duplicate_key(&e).is_some() => {}
        Err(e) => return Err(e.into()),
    }
    let expired = doc! {
        "_id": id,
        "state": "running",
        "checksum": checksum,
        "lease_until": { "$lte": bson::DateTime::now() },
    };
    let take = doc! { "$set": { "owner": owner, "lease_until": until } };
    Ok(ledger(cx).update_one(expired, take).await?.matched_count == 1)
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
        MigrationStep::Function { run, .. } => run(scope.clone()).await?,
    }
    Ok(())
}

/// What one tenant's run did: migrations applied, and the failure that stopped it.
enum Outcome {
    Applied(u64),
    Failed(u64, MigrationFailure),
}

async fn migrate_tenant(
    cx: &Arc<Cx>,
    schema: &Schema,
    org: &OrgDoc,
    dry_run: bool,
) -> Result<Outcome> {
    let owner = ObjectId::new();
    let mut applied = 0;
    let fail = |applied: u64, m: &Migration, e: &Error| {
        Outcome::Failed(
            applied,
            MigrationFailure {
                tenant_id: org.id,
                name: org.organization_name.clone(),
                migration: m.id.clone(),
                code: e.code().to_owned(),
                message: e.to_string(),
            },
        )
    };
    let scope = TenantScope::new(Arc::clone(cx), org);
    let entries = entries_of(cx, org.id).await?;
    for m in &schema.migrations {
        let checksum = m.checksum()?;
        let changed = || {
            Error::Conflict {
                message: format!(
                    "migration '{}' was changed after it was applied to this tenant; declare a new one instead",
                    m.id
                ),
            }
        };
        match state_of(entries.get(&m.id), &checksum) {
            Ledger::Applied => continue,
            Ledger::Changed => return Ok(fail(applied, m, &changed())),
            Ledger::Busy => return Ok(fail(applied, m, &Error::busy())),
            Ledger::Pending if dry_run => {
                applied += 1;
                continue;
            }
            Ledger::Pending => {}
        }
        if !claim(cx, org.id, m, &checksum, owner).await? {
            return Ok(fail(applied, m, &Error::busy()));
        }
        let started = Instant::now();
        if let Err(e) = run_step(&scope, &m.step).await {
            // The claim goes, so that the next run tries again.
            ledger(cx)
                .delete_one(
                    doc! { "_id": entry_id(org.id, &m.id), "owner": owner, "state": "running" },
                )
                .await?;
            return Ok(fail(applied, m, &e));
        }
        let done = doc! {
            "$set": {
                "state": "applied",
                "applied_at": bson::DateTime::now(),
                "millis": started.elapsed().as_millis() as i64,
            },
            "$unset": { "lease_until": "", "owner": "" },
        };
        let mine = doc! { "_id": entry_id(org.id, &m.id), "owner": owner };
        ledger(cx).update_one(mine, done).await?;
        applied += 1;
    }
    Ok(Outcome::Applied(applied))
}

/// Apply the schema's migrations to every active tenant (see the module docs).
pub(crate) async fn migrate(
    cx: &Arc<Cx>,
    schema: &Schema,
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
    let stop = std::sync::atomic::AtomicBool::new(false);
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut outcomes: Vec<(usize, Option<Result<Outcome>>)> = stream::iter(orgs.iter().enumerate())
        .map(|(i, org)| {
            let stop = &stop;
            let done = &done;
            async move {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return (i, None);
                }
                let outcome = migrate_tenant(cx, schema, org, options.dry_run).await;
                let failed = matches!(outcome, Ok(Outcome::Failed(..)) | Err(_));
                if failed && options.stop_on_failure {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if let Some(progress) = &options.progress {
                    progress(n, total);
                }
                (i, Some(outcome))
            }
        })
        .buffer_unordered(parallelism)
        .collect()
        .await;
    let mut report = MigrateReport {
        tenants: total,
        ..Default::default()
    };
    outcomes.sort_by_key(|(i, _)| *i);
    for ((_, outcome), org) in outcomes.into_iter().zip(orgs.iter()) {
        match outcome {
            None => report.not_started += 1,
            Some(Ok(Outcome::Applied(0))) => report.up_to_date += 1,
            Some(Ok(Outcome::Applied(n))) => report.applied += n,
            Some(Ok(Outcome::Failed(n, f))) => {
                report.applied += n;
                report.failed.push(f);
            }
            Some(Err(e)) => report.failed.push(MigrationFailure {
                tenant_id: org.id,
                name: org.organization_name.clone(),
                migration: String::new(),
                code: e.code().to_owned(),
                message: e.to_string(),
            }),
        }
    }
    report.failed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report)
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
