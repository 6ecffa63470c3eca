//! The core's per-tenant schema (`TenantManager::set_schema`, `migrate`): the declaration
//! read into a [`tenantry::Schema`], migrations written in JavaScript run through
//! threadsafe functions ([`MigrationCallback`]), and a run's options and report.
//!
//! The declaration crosses as one BSON document (the `mongodb` package's `BSON.serialize`,
//! as `ConfinedCollection`'s arguments do), shaped as the core's JSON schema file is, each
//! migration written in JavaScript reduced to `{ id, function: { version } }`; its function
//! crosses beside it, by id. Reading it is the core's (`Schema::from_document`).
//!
//! A migration function is called on the JS thread with a [`MigrationScope`] (the package's
//! `index.js` hands the application's function a plain object built on it), and the core's
//! future waits for the promise it returns: `index.js` wraps every function so that its
//! promise fulfils with `null` once the function's work has settled, or with the
//! [`MigrationError`] it failed with, which becomes the core error of its code (see
//! `error::core_error`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use napi::bindgen_prelude::{Either, FnArgs, Promise};
use napi::Env;
use napi_derive::napi;
use tenantry::mongodb::bson::{Bson, Document};

use crate::error::{core_error, to_js_error};
use crate::moves::{JsCallback, Listener, ProgressCallback};
use crate::scope::Location;
use crate::types::{given, whole, Nullable};

/// The tenant a migration function runs for, as the core's threads hand it to JavaScript.
/// Not built by hand: the package's `index.js` gives the application's function a plain
/// object made from it (`tenantId`, `name`, `cluster`, `collection(client, name)`).
#[napi]
pub struct MigrationScope {
    inner: tenantry::TenantScope,
}

#[napi]
impl MigrationScope {
    /// The tenant's id (24 hex digits).
    #[napi(getter)]
    pub fn tenant_id(&self) -> String {
        self.inner.tenant_id().to_hex()
    }

    /// The tenant's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// The cluster of the tenant's data (`home` unless placed on another).
    #[napi(getter)]
    pub fn cluster(&self) -> String {
        self.inner.cluster().to_owned()
    }

    /// Where the tenant's logical collection `name` (`data` by default) is, as `locate`
    /// says for claims.
    #[napi]
    pub fn locate(&self, env: &Env, name: Option<String>) -> napi::Result<Location> {
        let name = name.as_deref().unwrap_or(tenantry::DEFAULT_COLLECTION);
        self.inner
            .locate(name)
            .map(Location::from)
            .map_err(|err| to_js_error(env, err))
    }
}

/// How a migration function failed, as `index.js` reports it: the details of one of the
/// package's errors, or `INTERNAL` with the error's name and message for any other.
#[napi(object)]
pub struct MigrationError {
    /// The error's code.
    pub code: String,
    /// The input it is about (camelCase).
    #[napi(ts_type = "string | null")]
    pub field: Option<Nullable<String>>,
    /// The explanation alone.
    #[napi(ts_type = "string | null")]
    pub reason: Option<Nullable<String>>,
    /// Seconds to wait (`TOO_MANY_ATTEMPTS`).
    #[napi(ts_type = "number | null")]
    pub retry_after: Option<Nullable<f64>>,
    /// The error's message.
    pub message: String,
}

impl From<MigrationError> for tenantry::Error {
    fn from(e: MigrationError) -> Self {
        let field = given(e.field);
        core_error(
            &e.code,
            field.as_deref(),
            given(e.reason),
            given(e.retry_after),
            e.message,
        )
    }
}

/// A migration written in JavaScript, as `index.js` wraps it: called with the tenant, it
/// returns a promise of `null` (done) or of how it failed; it never throws or rejects.
pub type MigrationCallback = JsCallback<MigrationScope, Promise<Option<MigrationError>>>;

/// The core's migration functions running `callbacks` (by migration id) on the JS thread.
pub(crate) fn migration_fns(
    callbacks: HashMap<String, MigrationCallback>,
) -> HashMap<String, tenantry::MigrationFn> {
    callbacks
        .into_iter()
        .map(|(id, callback)| (id, migration_fn(callback)))
        .collect()
}

/// The core's migration function running `callback` on the JS thread, its future settled
/// with the callback's promise.
fn migration_fn(callback: MigrationCallback) -> tenantry::MigrationFn {
    let callback = Arc::new(callback);
    Arc::new(move |scope| {
        let callback = Arc::clone(&callback);
        Box::pin(async move {
            let failed = |e: napi::Error| {
                tenantry::Error::Internal(format!("the migration function could not run: {e}"))
            };
            let promise = callback
                .call_async_catch(MigrationScope { inner: scope })
                .await
                .map_err(failed)?;
            match promise.await.map_err(failed)? {
                None => Ok(()),
                Some(error) => Err(error.into()),
            }
        })
    })
}

fn invalid(why: impl std::fmt::Display) -> tenantry::Error {
    tenantry::Error::InvalidInput {
        field: "schema",
        message: why.to_string(),
    }
}

/// The schema a declaration (BSON, see the module docs) and its functions make. Besides
/// what the core refuses, `INVALID_INPUT` (field `schema`) for a member other than
/// `indexes` and `migrations`, one that is not an array, and an id declared twice.
pub(crate) fn schema(
    declaration: &[u8],
    functions: HashMap<String, tenantry::MigrationFn>,
) -> tenantry::Result<tenantry::Schema> {
    let root = Document::from_reader(declaration).map_err(|_| invalid("is not a BSON document"))?;
    let mut ids = HashSet::new();
    for (key, value) in &root {
        if !matches!(key.as_str(), "indexes" | "migrations") {
            return Err(invalid(format_args!(
                "unknown member '{key}' (indexes, migrations)"
            )));
        }
        let Bson::Array(items) = value else {
            return Err(invalid(format_args!("'{key}' must be an array")));
        };
        if key != "migrations" {
            continue;
        }
        for (i, item) in items.iter().enumerate() {
            let id = item.as_document().and_then(|d| d.get_str("id").ok());
            if let Some(id) = id.filter(|id| !ids.insert(*id)) {
                return Err(invalid(format_args!(
                    "migrations[{i}]: '{id}' is declared twice"
                )));
            }
        }
    }
    tenantry::Schema::from_document(&root, functions)
}

/// How `migrate` runs; a field left out (or `null`) takes the core's default. The core
/// checks the range of `parallelism`.
#[napi(object)]
pub struct MigrateOptions {
    /// Tenants migrated at once, 1 to 256 (4 when unset).
    #[napi(ts_type = "number | null")]
    pub parallelism: Option<Nullable<f64>>,
    /// Say what would run, write nothing (`false` when unset).
    #[napi(ts_type = "boolean | null")]
    pub dry_run: Option<Nullable<bool>>,
    /// After a tenant's failure, start no other tenant (`false` when unset).
    #[napi(ts_type = "boolean | null")]
    pub stop_on_failure: Option<Nullable<bool>>,
}

impl TryFrom<MigrateOptions> for tenantry::MigrateOptions {
    type Error = tenantry::Error;

    fn try_from(o: MigrateOptions) -> tenantry::Result<Self> {
        let mut options = tenantry::MigrateOptions::new();
        if let Some(n) = given(o.parallelism) {
            // A negative number becomes 0 and a huge one saturates: the core refuses both
            // with its own range.
            options = options.parallelism(whole(n, "parallelism")?.max(0) as usize);
        }
        if given(o.dry_run) == Some(true) {
            options = options.dry_run();
        }
        if given(o.stop_on_failure) == Some(true) {
            options = options.stop_on_failure();
        }
        Ok(options)
    }
}

impl From<tenantry::MigrateOptions> for MigrateOptions {
    fn from(o: tenantry::MigrateOptions) -> Self {
        MigrateOptions {
            parallelism: o.parallelism.map(|n| Either::A(n as f64)),
            dry_run: Some(Either::A(o.dry_run)),
            stop_on_failure: Some(Either::A(o.stop_on_failure)),
        }
    }
}

/// A migration run's progress callback: `(tenants done, tenants in all)`, after each
/// tenant.
pub type MigrateProgressCallback = ProgressCallback<FnArgs<(f64, f64)>>;

/// The core's progress function handing each report to `callback`'s listener.
pub(crate) fn progress(
    listener: &Listener<FnArgs<(f64, f64)>>,
) -> impl Fn(u64, u64) + Send + Sync + 'static {
    let listener = listener.clone();
    // Counts fit a JS number exactly far beyond any number of tenants.
    move |done, total| listener.send(FnArgs::from((done as f64, total as f64)))
}

/// What a migration run did (or would do, in a dry run).
#[napi(object)]
pub struct MigrateReport {
    /// Tenants looked at (the active ones).
    pub tenants: f64,
    /// Migrations applied (in a dry run: that would be), over every tenant.
    pub applied: f64,
    /// Tenants that had nothing to apply.
    pub up_to_date: f64,
    /// Tenants not started (after a failure, with `stopOnFailure`).
    pub not_started: f64,
    /// Each failed tenant, in name order.
    pub failed: Vec<MigrationFailure>,
}

/// A tenant whose migration failed (its earlier migrations stay applied; the next run
/// starts again at this one).
#[napi(object)]
pub struct MigrationFailure {
    /// The tenant's id (24 hex digits).
    pub tenant_id: String,
    /// Its name.
    pub name: String,
    /// The id of the migration that failed (empty when the tenant failed before any).
    pub migration: String,
    /// The error's code.
    pub code: String,
    /// The error's message.
    pub message: String,
}

impl From<&tenantry::MigrateReport> for MigrateReport {
    fn from(r: &tenantry::MigrateReport) -> Self {
        MigrateReport {
            tenants: r.tenants as f64,
            applied: r.applied as f64,
            up_to_date: r.up_to_date as f64,
            not_started: r.not_started as f64,
            failed: r
                .failed
                .iter()
                .map(|f| MigrationFailure {
                    tenant_id: f.tenant_id.to_hex(),
                    name: f.name.clone(),
                    migration: f.migration.clone(),
                    code: f.code.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        }
    }
}

/// A migration run's report, and its body as `POST /admin/migrate` answers it
/// ([`tenantry::http::migrate_report_body`]): the core's report cannot be rebuilt from
/// the JavaScript one, so `index.js` keeps the body beside the report it returns.
#[napi(object, object_from_js = false)]
pub struct MigrateOutcome {
    /// The report.
    pub report: MigrateReport,
    /// The report's HTTP body.
    pub body: serde_json::Value,
}

impl From<tenantry::MigrateReport> for MigrateOutcome {
    fn from(r: tenantry::MigrateReport) -> Self {
        MigrateOutcome {
            report: MigrateReport::from(&r),
            body: tenantry::http::migrate_report_body(&r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry::mongodb::bson::doc;

    fn read(declaration: Document) -> tenantry::Result<tenantry::Schema> {
        let mut bytes = Vec::new();
        declaration.to_writer(&mut bytes).unwrap();
        schema(&bytes, HashMap::new())
    }

    #[test]
    fn a_declaration_reads_as_the_core_reads_it_and_says_what_does_not() {
        let s = read(doc! {
            "indexes": [{ "collection": "data", "keys": { "email": 1 }, "options": { "unique": true } }],
            "migrations": [
                { "id": "001", "create_index": { "collection": "data", "keys": { "plan": 1 } } },
                { "id": "002", "set_default": { "collection": "data", "field": "plan", "value": "free" } },
            ],
        })
        .unwrap();
        assert_eq!((s.indexes.len(), s.migrations.len()), (1, 2));
        for (bad, why) in [
            (doc! { "migrations": {} }, "'migrations' must be an array"),
            (doc! { "indexes": 1 }, "'indexes' must be an array"),
            (doc! { "migration": [] }, "unknown member 'migration'"),
            (doc! { "version": 1 }, "unknown member 'version'"),
            (
                doc! { "migrations": [
                    { "id": "1", "drop_index": { "collection": "d", "name": "x" } },
                    { "id": "1", "function": { "version": "1" } },
                ] },
                "migrations[1]: '1' is declared twice",
            ),
            (
                doc! { "migrations": [{ "id": "1", "function": { "version": "1" } }] },
                "no function is given for '1'",
            ),
        ] {
            let err = read(bad.clone()).unwrap_err();
            assert_eq!(err.field(), Some("schema"), "{bad}: {err}");
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
        assert_eq!(
            schema(b"nope", HashMap::new()).unwrap_err().field(),
            Some("schema")
        );
    }
}
