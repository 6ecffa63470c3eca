//! The core's per-tenant schema ([`tenantry::Schema`]) and its migrations, as Python
//! declares and runs them; the report of a run ([`tenantry::MigrateReport`]) as classes.
//!
//! `set_schema` takes a dict shaped as the core's `Schema::from_json` reads its JSON, its
//! values converted to BSON by pymongo's `bson.encode` (as `ConfinedCollection` converts
//! documents: datetimes, `ObjectId`s, ...). A migration written in Python, `{"id": "006",
//! "function": f, "version": "1"}`, is handed to the core as `{"id": "006", "function":
//! {"version": "1"}}` with `f` as its run ([`tenantry::Schema::from_document`]). Every
//! rule is the core's; what it refuses, and what the binding finds (a function that is
//! not callable, without a version, given twice), is `InvalidInput` about `schema`.
//!
//! The core calls a function's run from its runtime's threads, in the middle of
//! `migrate`. The run schedules `f(tenant)` on the event loop that awaits `migrate` with
//! `call_soon_threadsafe` (the GIL taken on the blocking pool, as `runtime.rs` completes
//! futures); an awaitable result becomes a task of that loop; the outcome comes back
//! through a channel the core's future awaits. An exception fails the tenant's migration:
//! a tenantry exception as the core error of its code, any other as `INTERNAL` naming it.
//!
//! Which loop: the core runs `migrate` as a task of its own and calls a run with the
//! tenant only, so the loop cannot travel with the call. A manager's [`Runs`] holds the
//! loop of its runs going on instead, for the functions of its schemas; a run from another
//! loop is refused (`CONFLICT`) while those go on. A run holds its place until the core's
//! run ends, whether or not its caller still awaits it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyCFunction, PyDict, PyList, PyTuple};
use tenantry::mongodb::bson::Document;
use tenantry::{Error, MigrationFn, Schema, TenantScope, DEFAULT_COLLECTION};
use tokio::sync::oneshot;

use crate::error::{from_py_err, to_py_err};
use crate::runtime;
use crate::scope::{self, PyLocation};
use crate::types::quoted;

/// The event loop of a manager's migration runs going on, and how many there are: where
/// the functions of its schemas run.
#[derive(Default)]
pub(crate) struct Runs(Mutex<Option<(Arc<Py<PyAny>>, usize)>>);

/// A run's place in its manager's [`Runs`], given back when dropped.
pub(crate) struct Running(Arc<Runs>);

impl Runs {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Arc<Py<PyAny>>, usize)>> {
        // Nothing panics while holding the lock; a poisoned value is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A run from `event_loop`; `CONFLICT` while runs from another loop go on.
    pub(crate) fn enter(self: &Arc<Self>, event_loop: Py<PyAny>) -> tenantry::Result<Running> {
        let mut slot = self.lock();
        match &mut *slot {
            Some((running, n)) if running.as_ptr() == event_loop.as_ptr() => *n += 1,
            Some(_) => {
                return Err(Error::Conflict {
                    message: "migrate() is running from another event loop, where the \
                              migrations written in Python run; retry when it ends"
                        .into(),
                })
            }
            None => *slot = Some((Arc::new(event_loop), 1)),
        }
        Ok(Running(Arc::clone(self)))
    }

    /// The loop of the runs going on.
    fn event_loop(&self) -> Option<Arc<Py<PyAny>>> {
        self.lock()
            .as_ref()
            .map(|(event_loop, _)| Arc::clone(event_loop))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut slot = self.0.lock();
        if let Some((_, n)) = &mut *slot {
            *n -= 1;
            if *n == 0 {
                // Dropped without the GIL: pyo3 defers the reference counting.
                *slot = None;
            }
        }
    }
}

/// The keys of a declaration.
const KEYS: [&str; 2] = ["indexes", "migrations"];

/// The core's input error about the declaration.
fn bad(message: impl std::fmt::Display) -> Error {
    Error::InvalidInput {
        field: "schema",
        message: message.to_string(),
    }
}

/// A refusal of the declaration, about `schema` whatever the core named (the core checks
/// the migrations' ids under `migration`): set_schema has one argument.
pub(crate) fn declaration_error(err: Error) -> Error {
    match err {
        Error::InvalidInput { field, message } if field != "schema" => {
            bad(format_args!("{field}: {message}"))
        }
        other => other,
    }
}

/// The core's schema of a Python declaration (see the module docs), its functions run on
/// the loop of `runs`.
pub(crate) fn declared(schema: &Bound<'_, PyAny>, runs: &Arc<Runs>) -> PyResult<Schema> {
    let py = schema.py();
    let refused = |message: String| to_py_err(py, bad(message));
    let Ok(given) = schema.cast::<PyDict>() else {
        return Err(refused(
            "must be a dict: {\"indexes\": [...], \"migrations\": [...]}".to_owned(),
        ));
    };
    let root = PyDict::new(py);
    for (key, value) in given.iter() {
        let known = key
            .extract::<String>()
            .ok()
            .filter(|k| KEYS.contains(&k.as_str()));
        let Some(key) = known else {
            return Err(refused(format!(
                "unknown key {} (indexes, migrations)",
                key.repr()?
            )));
        };
        if !(value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>()) {
            return Err(refused(format!("'{key}' must be a list")));
        }
        root.set_item(&key, value)?;
    }
    let mut functions = HashMap::new();
    if let Some(migrations) = root.get_item("migrations")? {
        let handed = PyList::empty(py);
        for (i, item) in migrations.try_iter()?.enumerate() {
            handed.append(step(i, &item?, runs, &mut functions)?)?;
        }
        root.set_item("migrations", handed)?;
    }
    // pymongo's bson, imported here: tenantry itself needs no driver installed.
    let encoded = py
        .import("bson")?
        .call_method1("encode", (root,))
        .map_err(|e| refused(format!("cannot be converted to BSON: {}", e.value(py))))?;
    let document = Document::from_reader(encoded.cast::<PyBytes>()?.as_bytes())
        .map_err(|e| refused(format!("cannot be converted to BSON: {e}")))?;
    Schema::from_document(&document, functions).map_err(|e| to_py_err(py, declaration_error(e)))
}

/// The migration `item` (the `i`th) as the core reads it: a function's taken out into
/// `functions` under its id, its version under `function`. Anything else goes as it is,
/// for the core to read.
fn step<'py>(
    i: usize,
    item: &Bound<'py, PyAny>,
    runs: &Arc<Runs>,
    functions: &mut HashMap<String, MigrationFn>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = item.py();
    let refused = |message: String| to_py_err(py, bad(format_args!("migrations[{i}]: {message}")));
    let Ok(given) = item.cast::<PyDict>() else {
        return Ok(item.clone());
    };
    let Some(function) = given.get_item("function")? else {
        return Ok(item.clone());
    };
    if !function.is_callable() {
        return Err(refused(
            "'function' must be callable: a function of the tenant, plain or async".to_owned(),
        ));
    }
    let Some(version) = given.get_item("version")? else {
        return Err(refused(
            "'version' is missing: it stands for the function in the checksum \
             (change it when the function changes meaning)"
                .to_owned(),
        ));
    };
    let handed = PyDict::new(py);
    for (key, value) in given.iter() {
        match key.extract::<String>().ok().as_deref() {
            Some("function") => {
                let body = PyDict::new(py);
                body.set_item("version", &version)?;
                handed.set_item(key, body)?;
            }
            Some("version") => {}
            _ => handed.set_item(key, value)?,
        }
    }
    // Without a string id, the core refuses the migration for it.
    if let Some(id) = given
        .get_item("id")?
        .and_then(|id| id.extract::<String>().ok())
    {
        if functions.contains_key(&id) {
            return Err(refused(format!("'{id}' is declared twice")));
        }
        functions.insert(id, run_of(function.unbind(), Arc::clone(runs)));
    }
    Ok(handed.into_any())
}

/// The core's run of a migration written in Python: `function(tenant)` on the event loop
/// of the runs going on, its outcome awaited.
fn run_of(function: Py<PyAny>, runs: Arc<Runs>) -> MigrationFn {
    let function = Arc::new(function);
    Arc::new(move |tenant: TenantScope| {
        let function = Arc::clone(&function);
        let event_loop = runs.event_loop();
        Box::pin(async move {
            let event_loop = event_loop.ok_or_else(|| {
                Error::Internal("a migration written in Python runs only within migrate()".into())
            })?;
            let (sender, outcome) = oneshot::channel();
            let scheduled =
                runtime::attached(move |py| schedule(py, &event_loop, &function, tenant, sender))
                    .await;
            match scheduled {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(Error::Internal("the interpreter is exiting".into())),
            }
            outcome.await.unwrap_or_else(|_| {
                Err(Error::Internal(
                    "the migration's function ended without an outcome".into(),
                ))
            })
        })
    })
}

static START: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();

/// Schedule `function(tenant)` on `event_loop`, its outcome to go to `sender`.
fn schedule(
    py: Python<'_>,
    event_loop: &Py<PyAny>,
    function: &Py<PyAny>,
    tenant: TenantScope,
    sender: oneshot::Sender<tenantry::Result<()>>,
) -> tenantry::Result<()> {
    let scheduled = START
        .get_or_try_init(py, || wrap_pyfunction!(start, py).map(Bound::unbind))
        .and_then(|start| {
            let tenant = Bound::new(py, PyMigrationTenant(tenant))?;
            let done = Bound::new(py, Done(Mutex::new(Some(sender))))?;
            event_loop
                .bind(py)
                .call_method1("call_soon_threadsafe", (start, function, tenant, done))
        });
    match scheduled {
        Ok(_) => Ok(()),
        // The loop is closed: nobody awaits the run any more.
        Err(e) => Err(Error::Internal(format!(
            "the migration's function could not be scheduled on the event loop: {}",
            e.value(py)
        ))),
    }
}

/// Call `function(tenant)`, on the loop's thread: an awaitable result becomes a task of the
/// loop, whose end `done` reports; otherwise `done` reports at once. `KeyboardInterrupt`
/// and `SystemExit` fail the migration and go on to the loop, as from any of its callbacks.
#[pyfunction]
fn start(
    function: &Bound<'_, PyAny>,
    tenant: &Bound<'_, PyMigrationTenant>,
    done: &Bound<'_, Done>,
) -> PyResult<()> {
    let py = function.py();
    let awaited = function.call1((tenant,)).and_then(|result| {
        let inspect = py.import("inspect")?;
        if !inspect
            .call_method1("isawaitable", (&result,))?
            .is_truthy()?
        {
            return Ok(false);
        }
        let task = py
            .import("asyncio")?
            .call_method1("ensure_future", (result,))?;
        task.call_method1("add_done_callback", (done,))?;
        Ok(true)
    });
    match awaited {
        Ok(true) => Ok(()),
        Ok(false) => {
            done.get().send(Ok(()));
            Ok(())
        }
        Err(err) => {
            done.get().send(Err(from_py_err(err.value(py))));
            if err.is_instance_of::<PyException>(py) {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// Where a function's outcome goes: called with its task when the task is done.
#[pyclass(frozen)]
struct Done(Mutex<Option<oneshot::Sender<tenantry::Result<()>>>>);

impl Done {
    fn send(&self, outcome: tenantry::Result<()>) {
        let sender = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(sender) = sender {
            // The run no longer waits (the interpreter exiting): nothing to report to.
            sender.send(outcome).ok();
        }
    }
}

#[pymethods]
impl Done {
    fn __call__(&self, task: &Bound<'_, PyAny>) -> PyResult<()> {
        let outcome = if task.call_method0("cancelled")?.is_truthy()? {
            Err(Error::Internal(
                "the migration's function was cancelled".into(),
            ))
        } else {
            // Retrieved here, so that the loop does not log it as never retrieved.
            let exception = task.call_method0("exception")?;
            if exception.is_none() {
                Ok(())
            } else {
                Err(from_py_err(&exception))
            }
        };
        self.send(outcome);
        Ok(())
    }
}

/// The tenant a migration written in Python is called with.
#[pyclass(frozen, module = "tenantry._native", name = "MigrationTenant")]
pub(crate) struct PyMigrationTenant(TenantScope);

#[pymethods]
impl PyMigrationTenant {
    /// The tenant's id (24 hex digits).
    #[getter]
    fn tenant_id(&self) -> String {
        self.0.tenant_id().to_hex()
    }
    #[getter]
    fn name(&self) -> &str {
        self.0.name()
    }
    #[getter]
    fn layout(&self) -> &'static str {
        self.0.layout().as_str()
    }
    #[getter]
    fn cluster(&self) -> &str {
        self.0.cluster()
    }
    #[getter]
    fn database(&self) -> &str {
        self.0.database()
    }

    /// Where the tenant's logical collection `name` is.
    #[pyo3(signature = (name = DEFAULT_COLLECTION))]
    fn locate(&self, py: Python<'_>, name: &str) -> PyResult<PyLocation> {
        self.0
            .locate(name)
            .map(PyLocation)
            .map_err(|e| to_py_err(py, e))
    }

    /// The tenant's logical collection `name` on the application's own driver `client`,
    /// as `TenantManager.collection` gives it.
    #[pyo3(signature = (client, name = DEFAULT_COLLECTION))]
    fn collection<'py>(
        &self,
        client: &Bound<'py, PyAny>,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let location = self.0.locate(name).map_err(|e| to_py_err(client.py(), e))?;
        scope::collection_on(client, &location)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "MigrationTenant(name={}, tenant_id={}, layout={})",
            quoted(py, self.0.name())?,
            quoted(py, &self.tenant_id())?,
            quoted(py, self.layout())?,
        ))
    }
}

/// What a migration run did (or would do, in a dry run).
#[pyclass(frozen, eq, module = "tenantry._native", name = "MigrateReport")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyMigrateReport(pub(crate) tenantry::MigrateReport);

#[pymethods]
impl PyMigrateReport {
    #[getter]
    fn tenants(&self) -> u64 {
        self.0.tenants
    }
    #[getter]
    fn applied(&self) -> u64 {
        self.0.applied
    }
    #[getter]
    fn up_to_date(&self) -> u64 {
        self.0.up_to_date
    }
    #[getter]
    fn not_started(&self) -> u64 {
        self.0.not_started
    }
    #[getter]
    fn failed(&self) -> Vec<PyMigrationFailure> {
        self.0
            .failed
            .iter()
            .cloned()
            .map(PyMigrationFailure)
            .collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("tenants", self.tenants())?;
        d.set_item("applied", self.applied())?;
        d.set_item("up_to_date", self.up_to_date())?;
        d.set_item("not_started", self.not_started())?;
        let failed: PyResult<Vec<_>> = self
            .0
            .failed
            .iter()
            .map(|f| PyMigrationFailure(f.clone()).to_dict(py))
            .collect();
        d.set_item("failed", failed?)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        let r = &self.0;
        format!(
            "MigrateReport(tenants={}, applied={}, up_to_date={}, not_started={}, failed={})",
            r.tenants,
            r.applied,
            r.up_to_date,
            r.not_started,
            r.failed.len()
        )
    }
}

/// A tenant whose migration failed: the migration and the error's code and message.
#[pyclass(frozen, eq, module = "tenantry._native", name = "MigrationFailure")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyMigrationFailure(tenantry::MigrationFailure);

#[pymethods]
impl PyMigrationFailure {
    #[getter]
    fn tenant_id(&self) -> String {
        self.0.tenant_id.to_hex()
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn migration(&self) -> &str {
        &self.0.migration
    }
    #[getter]
    fn code(&self) -> &str {
        &self.0.code
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("tenant_id", self.tenant_id())?;
        d.set_item("name", self.name())?;
        d.set_item("migration", self.migration())?;
        d.set_item("code", self.code())?;
        d.set_item("message", self.message())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "MigrationFailure(name={}, migration={}, code={})",
            quoted(py, &self.0.name)?,
            quoted(py, &self.0.migration)?,
            quoted(py, &self.0.code)?
        ))
    }
}
