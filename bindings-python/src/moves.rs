//! Progress reports of the core's long operations, as Python takes them: a move
//! (`TenantManager::move_tenant_with_progress`), an export or an import (`export_tenant_*`,
//! `import_tenant_*` `_with_progress`), each reporting `MoveProgress` to a callback called
//! on the event loop's thread; a move also as an async iterator. A migration run
//! (`TenantManager::migrate`) reports `(done, total)` the same way ([`counting`]).
//!
//! The core reports from the runtime's threads, in the middle of the operation, so a report
//! there only goes into a channel: no GIL, no waiting. The operation runs as a task of its
//! own and ends the channel with its result. For a callback, the awaited future takes the
//! reports out in batches and schedules each batch on the loop with
//! `call_soon_threadsafe` (the GIL taken on the blocking pool, as `runtime.rs` completes
//! futures); the result comes last, so every report has been handed to the callback when
//! the operation's future is done. For the iterator, each `__anext__` is an awaitable of
//! the next item of the channel.
//!
//! Either way the operation goes on to its end when the caller stops listening (a cancelled
//! future, a loop left early), as every operation of the core does.

use std::future::Future;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyException, PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use tenantry::{MoveProgress, MoveTarget, Tenant, TenantManager};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::runtime;
use crate::types::{PyMoveProgress, PyTenant};

/// Where the core sends an operation's progress: what its `*_with_progress` methods take.
pub(crate) type Reporter = Box<dyn Fn(&MoveProgress) + Send + Sync>;

/// Where the core sends a migration run's progress: `(tenants done, tenants in all)`, what
/// `MigrateOptions::progress` takes.
pub(crate) type Counter = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A progress report as a callback is called with it.
pub(crate) trait Progress: Send + 'static {
    /// The callback's arguments.
    fn arguments<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>>;
}

impl Progress for MoveProgress {
    fn arguments<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, [Bound::new(py, PyMoveProgress(self))?])
    }
}

/// A migration run's `(tenants done, tenants in all)`.
struct Count(u64, u64);

impl Progress for Count {
    fn arguments<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, [self.0, self.1])
    }
}

/// Where an operation's reports go, whatever their type.
type Sink<P> = Box<dyn Fn(P) + Send + Sync>;

/// The core's reporter of a move, an export or an import, sending to `sink`.
fn reporter(sink: Sink<MoveProgress>) -> Reporter {
    Box::new(move |p: &MoveProgress| sink(p.clone()))
}

/// What an operation tells its listener, in order.
enum Report<P, T> {
    Progress(P),
    /// The operation's result: nothing follows.
    Ended(tenantry::Result<T>),
}

/// Run `operation` as a task of the runtime, its progress and then its result sent to
/// `reports`.
fn spawn<P, T, F, Fut>(reports: UnboundedSender<Report<P, T>>, operation: F)
where
    P: Send + 'static,
    T: Send + 'static,
    F: FnOnce(Sink<P>) -> Fut + Send + 'static,
    Fut: Future<Output = tenantry::Result<T>> + Send + 'static,
{
    pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
        let progress = reports.clone();
        let sink: Sink<P> = Box::new(move |p: P| {
            // Nobody listens any more: the operation goes on all the same.
            progress.send(Report::Progress(p)).ok();
        });
        let result = operation(sink).await;
        reports.send(Report::Ended(result)).ok();
    });
}

/// A move not started yet, and where it reports.
struct Start {
    manager: TenantManager,
    name: String,
    /// A target the core could not parse fails the move when it starts.
    target: tenantry::Result<MoveTarget>,
    reports: UnboundedSender<Report<MoveProgress, Tenant>>,
}

impl Start {
    /// Run the move as a task of the runtime, reporting to the channel.
    fn spawn(self) {
        let Start {
            manager,
            name,
            target,
            reports,
        } = self;
        spawn(reports, move |sink| async move {
            manager
                .move_tenant_with_progress(&name, target?, reporter(sink))
                .await
        });
    }
}

/// The awaitable of `operation`, given a [`Reporter`]: with `progress`, a callback called
/// on the running loop's thread with each report (see [`with_callback`]); without, a
/// reporter that drops them.
pub(crate) fn reporting<'py, T, F, Fut>(
    py: Python<'py>,
    progress: Option<Bound<'py, PyAny>>,
    operation: F,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: FnOnce(Reporter) -> Fut + Send + 'static,
    Fut: Future<Output = tenantry::Result<T>> + Send + 'static,
{
    match progress {
        Some(callback) => with_callback(callback, move |sink| operation(reporter(sink))),
        None => runtime::future_into_py(py, operation(Box::new(|_: &MoveProgress| {}))),
    }
}

/// The awaitable of a migration run, given its [`Counter`]: with `progress`, a callback
/// called on the running loop's thread with `(done, total)` after each tenant, as
/// [`reporting`] calls its own; without, no counter.
pub(crate) fn counting<'py, T, F, Fut>(
    py: Python<'py>,
    progress: Option<Bound<'py, PyAny>>,
    operation: F,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: FnOnce(Option<Counter>) -> Fut + Send + 'static,
    Fut: Future<Output = tenantry::Result<T>> + Send + 'static,
{
    match progress {
        Some(callback) => with_callback(callback, move |sink: Sink<Count>| {
            let counter: Counter = std::sync::Arc::new(move |done, total| sink(Count(done, total)));
            operation(Some(counter))
        }),
        None => runtime::future_into_py(py, operation(None)),
    }
}

/// The awaitable of `operation`, whose reports go to `callback`, called on the running
/// loop's thread with one report at a time. An exception the callback raises goes to the
/// loop's exception handler; the operation goes on.
fn with_callback<'py, P, T, F, Fut>(
    callback: Bound<'py, PyAny>,
    operation: F,
) -> PyResult<Bound<'py, PyAny>>
where
    P: Progress,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: FnOnce(Sink<P>) -> Fut + Send + 'static,
    Fut: Future<Output = tenantry::Result<T>> + Send + 'static,
{
    let py = callback.py();
    if !callback.is_callable() {
        return Err(PyTypeError::new_err("progress must be callable"));
    }
    let inspect = py.import("inspect")?;
    if inspect
        .call_method1("iscoroutinefunction", (&callback,))?
        .is_truthy()?
    {
        return Err(PyTypeError::new_err(
            "progress must be a plain function: it is called on the event loop, not awaited",
        ));
    }
    let listener = Arc::new(Listener {
        event_loop: pyo3_async_runtimes::get_running_loop(py)?.unbind(),
        callback: callback.unbind(),
    });
    let (sender, mut reports) = unbounded_channel();
    spawn(sender, operation);
    runtime::future_into_py(py, async move {
        let mut batch = Vec::new();
        loop {
            if reports.recv_many(&mut batch, 64).await == 0 {
                return Err(ended_without_result());
            }
            let mut ended = None;
            let mut progress = Vec::with_capacity(batch.len());
            for report in batch.drain(..) {
                match report {
                    Report::Progress(p) => progress.push(p),
                    Report::Ended(result) => ended = Some(result),
                }
            }
            if !progress.is_empty() {
                let listener = Arc::clone(&listener);
                runtime::attached(move |py| listener.schedule(py, progress)).await;
            }
            if let Some(result) = ended {
                return result;
            }
        }
    })
}

fn ended_without_result() -> tenantry::Error {
    tenantry::Error::Internal("the operation ended without a result".into())
}

/// Where a callback's reports go.
struct Listener {
    event_loop: Py<PyAny>,
    callback: Py<PyAny>,
}

static CALL: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();

impl Listener {
    fn schedule<P: Progress>(&self, py: Python<'_>, progress: Vec<P>) {
        let scheduled = CALL
            .get_or_try_init(py, || {
                wrap_pyfunction!(call_listener, py).map(Bound::unbind)
            })
            .and_then(|call| {
                let progress = progress
                    .into_iter()
                    .map(|p| p.arguments(py))
                    .collect::<PyResult<Vec<_>>>()?;
                self.event_loop.bind(py).call_method1(
                    "call_soon_threadsafe",
                    (call, &self.callback, &self.event_loop, progress),
                )
            });
        // Fails only when the loop is closed, i.e. when nobody is listening.
        scheduled.ok();
    }
}

/// Call `callback` with each report's arguments, on the loop's thread. An `Exception` it
/// raises goes to the loop's exception handler (logged by the default one) and the next
/// report is still delivered; `KeyboardInterrupt` and `SystemExit` propagate, as from any
/// callback of the loop.
#[pyfunction]
fn call_listener(
    callback: &Bound<'_, PyAny>,
    event_loop: &Bound<'_, PyAny>,
    progress: Vec<Bound<'_, PyTuple>>,
) -> PyResult<()> {
    let py = callback.py();
    for arguments in progress {
        let Err(err) = callback.call1(arguments) else {
            continue;
        };
        if !err.is_instance_of::<PyException>(py) {
            return Err(err);
        }
        let context = PyDict::new(py);
        context.set_item(
            "message",
            "a progress callback raised an exception (the operation goes on)",
        )?;
        context.set_item("exception", err.value(py))?;
        context.set_item("callback", callback)?;
        event_loop.call_method1("call_exception_handler", (context,))?;
    }
    Ok(())
}

/// An async iterator of a move's progress: `async for progress in
/// manager.move_tenant_progress(...)`. The move starts with the first `__anext__` and the
/// iteration ends with it, raising its error if it failed; `tenant` is then the tenant
/// where it is now.
#[pyclass(frozen, module = "tenantry._native", name = "MoveProgressIterator")]
pub(crate) struct PyMoveProgressIterator {
    start: Mutex<Option<Start>>,
    feed: Arc<tokio::sync::Mutex<Feed>>,
    moved: Arc<Mutex<Option<Tenant>>>,
}

struct Feed {
    reports: UnboundedReceiver<Report<MoveProgress, Tenant>>,
    ended: bool,
}

impl PyMoveProgressIterator {
    pub(crate) fn new(
        manager: TenantManager,
        name: String,
        target: tenantry::Result<MoveTarget>,
    ) -> Self {
        let (sender, reports) = unbounded_channel();
        let start = Start {
            manager,
            name,
            target,
            reports: sender,
        };
        PyMoveProgressIterator {
            start: Mutex::new(Some(start)),
            feed: Arc::new(tokio::sync::Mutex::new(Feed {
                reports,
                ended: false,
            })),
            moved: Arc::new(Mutex::new(None)),
        }
    }
}

/// The next item of the iteration, as the awaitable of `__anext__` delivers it.
enum Next {
    Progress(MoveProgress),
    /// Raised as `StopAsyncIteration`, which ends `async for`.
    Finished,
}

impl<'py> IntoPyObject<'py> for Next {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Next::Progress(p) => Ok(Bound::new(py, PyMoveProgress(p))?.into_any()),
            Next::Finished => Err(PyStopAsyncIteration::new_err(())),
        }
    }
}

/// Nothing here panics while holding the lock; a poisoned value is still consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[pymethods]
impl PyMoveProgressIterator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Outside a running loop nothing can await the reports: nothing starts.
        pyo3_async_runtimes::get_running_loop(py)?;
        if let Some(start) = lock(&self.start).take() {
            start.spawn();
        }
        let (feed, moved) = (Arc::clone(&self.feed), Arc::clone(&self.moved));
        runtime::future_into_py(py, async move {
            let mut feed = feed.lock().await;
            if feed.ended {
                return Ok(Next::Finished);
            }
            let report = feed.reports.recv().await;
            if !matches!(report, Some(Report::Progress(_))) {
                feed.ended = true;
            }
            match report {
                Some(Report::Progress(p)) => Ok(Next::Progress(p)),
                Some(Report::Ended(result)) => {
                    *lock(&moved) = Some(result?);
                    Ok(Next::Finished)
                }
                None => Err(ended_without_result()),
            }
        })
    }

    /// The tenant where the move left it, once the iteration has ended without an error.
    #[getter]
    fn tenant(&self) -> Option<PyTenant> {
        lock(&self.moved).clone().map(PyTenant)
    }

    fn __repr__(&self) -> String {
        let state = if lock(&self.start).is_some() {
            "not started"
        } else if lock(&self.moved).is_some() {
            "done"
        } else {
            "started"
        };
        format!("MoveProgressIterator({state})")
    }
}
