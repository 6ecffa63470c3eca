//! The core's online move (`TenantManager::move_tenant_with_progress`): where it goes
//! ([`MoveTarget`]), how it is going ([`MoveProgress`]), and the listener that hands each
//! report to a JavaScript callback on the JS thread (for moves, for exports and imports,
//! which report with the core's same `MoveProgress`, and for migration runs, which report
//! `(done, total)`). [`JsCallback`] is the kind of threadsafe function every callback the
//! core's threads call is (a migration written in JavaScript too, see `schema.rs`).
//!
//! The core reports from the runtime's threads, in the middle of the operation, so a report
//! is only queued on a threadsafe function (non-blocking, unbounded): a slow callback never
//! stalls the operation, and an exception it throws is caught on the JS thread and dropped,
//! so it never reaches the operation either. Every queued report is acknowledged once the
//! callback has returned, and the operation's promise waits for the last acknowledgement:
//! when it settles, the callback has seen every report. The package's `index.js` builds the
//! async iterator form on the callback.

use std::sync::Arc;

use napi::bindgen_prelude::{Either, JsValuesTupleIntoVec, Null};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::Status;
use napi_derive::napi;
use tokio::sync::watch;

/// Where `moveTenant` takes a tenant's data; a field left out stays as it is. The core
/// parses and checks every value.
#[napi(object)]
pub struct MoveTarget {
    /// The layout to move to.
    #[napi(ts_type = "'collection' | 'database' | 'shared'")]
    pub layout: Option<String>,
    /// The cluster to move to, by name (`home`, or one of `clusters`).
    pub cluster: Option<String>,
}

impl TryFrom<MoveTarget> for tenantry::MoveTarget {
    type Error = tenantry::Error;

    fn try_from(t: MoveTarget) -> tenantry::Result<Self> {
        let mut target = tenantry::MoveTarget::new();
        if let Some(layout) = t.layout {
            target = target.layout(layout.parse()?);
        }
        if let Some(cluster) = t.cluster {
            target = target.cluster(cluster);
        }
        Ok(target)
    }
}

/// How a move is going, as its progress callback hears it.
#[napi(object)]
pub struct MoveProgress {
    /// `copy` (as the copy starts, then after each batch), `catch-up` (the copy done, the
    /// changes made meanwhile applied) or `done` (the move's last report, repeating the last `copied`
    /// and `total`).
    #[napi(ts_type = "'copy' | 'catch-up' | 'done'")]
    pub phase: String,
    /// Documents copied so far.
    pub copied: f64,
    /// Documents to copy (as counted when the copy started; raised to `copied` when writes
    /// added more meanwhile).
    pub total: f64,
    /// Documents copied per second since the move started.
    pub rate: f64,
    /// Seconds left at that rate, or `null` while there is no rate to go by.
    #[napi(ts_type = "number | null")]
    pub eta: Either<f64, Null>,
}

impl From<&tenantry::MoveProgress> for MoveProgress {
    fn from(p: &tenantry::MoveProgress) -> Self {
        MoveProgress {
            phase: p.phase.to_owned(),
            // Counts fit a JS number exactly far beyond any collection's size.
            copied: p.copied as f64,
            total: p.total as f64,
            rate: p.rate,
            eta: p
                .eta
                .map_or(Either::B(Null), |d| Either::A(d.as_secs_f64())),
        }
    }
}

/// A JavaScript function as the core's threads call it: with `A` as its arguments (no
/// error-first argument), its return value read as `Ret`, and without keeping the event
/// loop alive (the promise of the operation calling it does that).
pub type JsCallback<A, Ret = UnknownReturnValue> =
    ThreadsafeFunction<A, Ret, A, Status, false, true>;

/// A JavaScript progress callback: called with the report alone, its return value ignored.
/// `R` is the report as JavaScript sees it: [`MoveProgress`] for a move, `ArchiveProgress`
/// for an export or import, `FnArgs<(f64, f64)>` (two arguments) for a migration run.
pub type ProgressCallback<R = MoveProgress> = JsCallback<R>;

/// Hands an operation's reports to its callback and knows when the callback has seen them
/// all.
pub(crate) struct Listener<R: JsValuesTupleIntoVec + 'static> {
    callback: Arc<ProgressCallback<R>>,
    /// Reports queued and not yet returned from the callback.
    pending: Arc<watch::Sender<usize>>,
}

impl<R: JsValuesTupleIntoVec + 'static> Clone for Listener<R> {
    fn clone(&self) -> Self {
        Listener {
            callback: Arc::clone(&self.callback),
            pending: Arc::clone(&self.pending),
        }
    }
}

impl<R> Listener<R>
where
    R: JsValuesTupleIntoVec + Send + 'static,
{
    pub(crate) fn new(callback: ProgressCallback<R>) -> Self {
        Listener {
            callback: Arc::new(callback),
            pending: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Queue one report for the JS thread; never waits.
    pub(crate) fn send(&self, report: R) {
        self.pending.send_modify(|n| *n += 1);
        let pending = Arc::clone(&self.pending);
        let status = self.callback.call_with_return_value(
            report,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |_returned, _env| {
                // A throw arrives here as `Err`, taken off the JS thread's pending
                // exception: the operation goes on, and the next report is still delivered.
                pending.send_modify(|n| *n -= 1);
                Ok(())
            },
        );
        if status != Status::Ok {
            // Not queued (the environment is shutting down): nothing will acknowledge it.
            self.pending.send_modify(|n| *n -= 1);
        }
    }

    /// Resolves once the callback has returned from every report queued so far.
    pub(crate) async fn delivered(&self) {
        let mut pending = self.pending.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        pending.wait_for(|n| *n == 0).await.ok();
    }
}

impl<R> Listener<R>
where
    R: for<'a> From<&'a tenantry::MoveProgress> + JsValuesTupleIntoVec + Send + 'static,
{
    /// Queue one of the core's move (or archive) reports for the JS thread; never waits.
    pub(crate) fn report(&self, progress: &tenantry::MoveProgress) {
        self.send(R::from(progress));
    }
}
