//! The extension's one tokio runtime (pyo3-async-runtimes' own) and the bridge from a core
//! future to an `asyncio.Future`.
//!
//! Every async method goes through [`future_into_py`]: the core future is polled once on
//! the calling thread (an answer from memory resolves the `asyncio.Future` there and then);
//! otherwise it runs on the runtime's worker threads without the GIL; the GIL is taken once at the end, on the
//! blocking pool (waiting for it must not stall a worker), to convert the result (or the
//! core error) and hand it to the event loop with `call_soon_threadsafe`.
//!
//! That last step is ours rather than `pyo3_async_runtimes::tokio::future_into_py`'s for
//! one reason: a runtime thread that attaches to the interpreter while it finalizes
//! aborts the process ("PyGILState_Release: thread state must be current"; upstream
//! pyo3-async-runtimes issue #40). Short scripts hit it after their last `await`, in a few
//! runs out of a hundred here. So completions pass a [`Gate`] that an `atexit` hook closes,
//! waiting for those already inside: once Python starts finalizing, no runtime thread
//! touches it again. A task that hands Python something before its end (a move's progress
//! reports) takes the GIL through [`attached`], past the same gate.

use std::future::Future;
use std::sync::{Condvar, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::IntoPyObjectExt;

/// Configure the shared runtime and the exit hook. Runs at import, before anything can
/// start the runtime.
pub(crate) fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_name("tenantry-tokio");
    pyo3_async_runtimes::tokio::init(builder);
    let close = wrap_pyfunction!(close_gate_at_exit, module)?;
    module
        .py()
        .import("atexit")?
        .call_method1("register", (close,))?;
    Ok(())
}

/// Run a core future on the runtime and return an `asyncio.Future` of its result, bound to
/// the running event loop.
///
/// Cancelling the asyncio future aborts the core future; the core's journaled lifecycle
/// makes that safe (the next operation or `recover()` finishes or undoes the step). A
/// panic in the core arrives as `InternalError`.
pub(crate) fn future_into_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = tenantry::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
    let future = event_loop.call_method0("create_future")?;
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    // One poll here first: an answer the core has in memory (a cached tenant, a token
    // checked against cached versions) resolves the future at once, with no trip through
    // the runtime's threads, the GIL hand-over and the event loop's wake-up.
    let mut fut = Box::pin(fut);
    let first = {
        let _runtime = runtime.enter();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)))
    };
    match first {
        Ok(std::task::Poll::Pending) => {}
        Ok(std::task::Poll::Ready(result)) => return resolved(py, future, result),
        Err(panic) => {
            let err = tenantry::Error::Internal(panic_message(panic));
            return resolved::<T>(py, future, Err(err));
        }
    }
    let target = Target {
        event_loop: event_loop.unbind(),
        future: future.clone().unbind(),
    };
    let task = runtime.spawn(fut);
    let abort = task.abort_handle();
    runtime.spawn(async move {
        let result = match task.await {
            Ok(result) => result,
            // Aborted because the asyncio future was cancelled: nothing to deliver.
            Err(join) if join.is_cancelled() => return,
            // A bug in the core must not leave the awaiting coroutine hanging.
            Err(join) => Err(tenantry::Error::Internal(panic_message(join.into_panic()))),
        };
        tokio::task::spawn_blocking(move || target.complete(result));
    });
    // The completion needs the GIL this thread holds, so it cannot run before this.
    future.call_method1("add_done_callback", (AbortOnCancel(abort),))?;
    Ok(future)
}

/// `future` with `result` set on it, now.
fn resolved<'py, T>(
    py: Python<'py>,
    future: Bound<'py, PyAny>,
    result: tenantry::Result<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a>,
{
    let (value, failed) = outcome(py, result);
    resolve(&future, value.bind(py), failed)?;
    Ok(future)
}

/// A core result as what the future is given: the converted value, or the exception of
/// the core error (or of a failed conversion) and `true`.
fn outcome<T>(py: Python<'_>, result: tenantry::Result<T>) -> (Py<PyAny>, bool)
where
    T: for<'a> IntoPyObject<'a>,
{
    let converted = result
        .map_err(|e| crate::error::to_py_err(py, e))
        .and_then(|value| value.into_py_any(py));
    match converted {
        Ok(value) => (value, false),
        Err(err) => (err.into_value(py).into_any(), true),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown cause");
    format!("the operation panicked: {message}")
}

/// Where a result goes. Dropped without the GIL when its task is aborted: pyo3 then defers
/// the reference counting to the next thread that holds the GIL.
struct Target {
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
}

impl Target {
    fn complete<T>(self, result: tenantry::Result<T>)
    where
        T: for<'a> IntoPyObject<'a>,
    {
        let Some(_inside) = GATE.enter() else {
            return; // The interpreter is exiting: nothing awaits the result any more.
        };
        Python::attach(|py| {
            let (value, failed) = outcome(py, result);
            let resolve =
                RESOLVE.get_or_try_init(py, || wrap_pyfunction!(resolve, py).map(Bound::unbind));
            let scheduled = resolve.and_then(|resolve| {
                self.event_loop.bind(py).call_method1(
                    "call_soon_threadsafe",
                    (resolve, self.future, value, failed),
                )
            });
            // Fails only when the loop is closed, i.e. when nobody can await the future.
            scheduled.ok();
        });
    }
}

static RESOLVE: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();

/// Run `f` holding the GIL, on the blocking pool as [`Target::complete`] does, unless the
/// interpreter is exiting (`None` then): for runtime tasks that hand Python something
/// before their end (a move's progress reports).
pub(crate) async fn attached<F, R>(f: F) -> Option<R>
where
    F: for<'py> FnOnce(Python<'py>) -> R + Send + 'static,
    R: Send + 'static,
{
    let call = tokio::task::spawn_blocking(move || {
        let _inside = GATE.enter()?;
        Some(Python::attach(f))
    });
    call.await.ok().flatten()
}

/// Set the future's result or exception, on the loop's thread, unless it was cancelled
/// (or otherwise finished) meanwhile.
#[pyfunction]
fn resolve(future: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, failed: bool) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    let method = if failed {
        "set_exception"
    } else {
        "set_result"
    };
    future.call_method1(method, (value,))?;
    Ok(())
}

/// Done-callback of the asyncio future: a cancelled future aborts its core task.
#[pyclass(frozen)]
struct AbortOnCancel(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            self.0.abort();
        }
        Ok(())
    }
}

/// Admits runtime threads into the interpreter until it is closed, and closing waits for
/// those inside to leave.
struct Gate {
    state: Mutex<GateState>,
    left: Condvar,
}

struct GateState {
    inside: usize,
    closed: bool,
}

static GATE: Gate = Gate {
    state: Mutex::new(GateState {
        inside: 0,
        closed: false,
    }),
    left: Condvar::new(),
};

/// A runtime thread's pass through the [`Gate`]; leaving is dropping it.
struct Inside;

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        // Nothing panics while holding the lock; a poisoned state is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn enter(&self) -> Option<Inside> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.inside += 1;
        Some(Inside)
    }

    fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        while state.inside > 0 {
            state = self.left.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let mut state = GATE.lock();
        state.inside -= 1;
        if state.inside == 0 {
            GATE.left.notify_all();
        }
    }
}

/// `atexit` hook: runs before the interpreter starts finalizing. The GIL is released while
/// waiting, so that threads inside can finish.
#[pyfunction]
fn close_gate_at_exit(py: Python<'_>) {
    py.detach(|| GATE.close());
}

/// A future that panics on the runtime. A testing aid, like `_raise_sample_error`: the
/// core has no panic to provoke on purpose, yet a panic must arrive as `InternalError`
/// rather than leave the awaiting coroutine hanging.
#[pyfunction]
#[pyo3(name = "_sample_panic")]
pub(crate) fn sample_panic(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    fn fails() -> tenantry::Result<()> {
        panic!("sample panic")
    }
    future_into_py(py, async { fails() })
}
