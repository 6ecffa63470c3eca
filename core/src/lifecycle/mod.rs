//! The journaled lifecycle: create, update (rename) and delete as lists of named steps, run
//! by one runner that journals, fences, hits failpoints and recovers.
//!
//! An operation claims its tenant record with a journal (`op`: id, owner token, lease,
//! steps done) and runs its steps in order, writing the count of steps done after each.
//! Steps before the operation's *commit* point may refuse (a name is taken, a collection
//! is not ours); the runner then undoes the steps in reverse and gives the record back. From
//! the commit point on, the operation only goes forward. Every step is idempotent, so a
//! crashed operation is resumed from its journal by whoever takes it over (`recover.rs`):
//! forward past the commit point, undone before it.
//!
//! **Fencing.** Every write to the record names the operation and its owner token; a
//! take-over changes the token, so the previous owner's next write matches nothing and it
//! stops with [`Error::lost`](crate::Error). Writes elsewhere (keys, admins, collections)
//! cannot name the token, so the runner checks its lease first ([`Run::guard`]): the owner
//! renews it in the background while it runs, and never acts on a lease with less than half
//! of its length left. A recoverer takes an operation over only once its lease has run out
//! on the server's clock.
//!
//! The steps themselves live in `create.rs`, `update.rs` and `delete.rs`; `keys.rs` holds
//! the policy of the key documents, `recover.rs` the take-over and the sweeps.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod keys;
pub(crate) mod recover;
pub(crate) mod relocate;
pub(crate) mod update;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mongodb::bson::oid::ObjectId;

use crate::auth::login::check_not_revoked_fresh;
use crate::auth::Claims;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::store::{Detail, Fence, Journal, OrgDoc, State, Store};

/// How a step (or an undo) fails.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The operation cannot go on and must be undone (before its commit point only).
    Refused(Error),
    /// The runner stops where it is; whoever takes the operation over resumes it from its
    /// journal (a database error, a lost lease, a crash in a test).
    Stop(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Stop(e)
    }
}

impl From<mongodb::error::Error> for Fail {
    fn from(e: mongodb::error::Error) -> Self {
        Fail::Stop(e.into())
    }
}

impl Fail {
    fn into_error(self) -> Error {
        match self {
            Fail::Refused(e) | Fail::Stop(e) => e,
        }
    }
}

pub(crate) type StepResult = std::result::Result<(), Fail>;

/// One kind of journaled operation: its steps, its commit point, and how each step is done
/// and undone.
pub(crate) trait Operation: Sync {
    /// The kind's name: the prefix of its failpoints.
    const KIND: &'static str;
    /// The steps, in order. The last one releases the record (the journal ends with it).
    const STEPS: &'static [&'static str];
    /// Steps before this index may refuse and be undone; from it on, only forward.
    const COMMIT: u32;

    /// Do step `i`. Idempotent: it may be repeated after a crash.
    fn step(&self, run: &Run<'_>, i: u32) -> impl Future<Output = StepResult> + Send;

    /// Undo step `i` (before the commit point), whether it ran entirely, in part, or not at
    /// all. Idempotent.
    fn undo(&self, run: &Run<'_>, i: u32) -> impl Future<Output = StepResult> + Send;

    /// After every step is undone: give the record back as it was.
    fn abandon(&self, run: &Run<'_>) -> impl Future<Output = StepResult> + Send;

    /// After the last step has released the record (never after an undo): give back what
    /// the operation made garbage. Not journaled: a crash leaves garbage that claimants and
    /// `recover()` remove.
    fn after(&self, cx: &Cx) -> impl Future<Output = Result<()>> + Send;
}

/// The failpoint names of an operation kind, in the order they can be hit.
#[cfg(feature = "failpoints")]
pub(crate) fn failpoint_names<O: Operation>() -> Vec<String> {
    let mut names: Vec<String> = O::STEPS
        .iter()
        .map(|s| format!("{}.{s}", O::KIND))
        .collect();
    names.extend(
        O::STEPS[..O::COMMIT as usize]
            .iter()
            .rev()
            .map(|s| format!("{}.undo.{s}", O::KIND)),
    );
    names
}

/// A running operation: its fence and lease, seen by its steps.
pub(crate) struct Run<'a> {
    pub cx: &'a Cx,
    pub fence: Fence,
    lease: Lease,
}

impl<'a> Run<'a> {
    /// A run of an operation just claimed (or taken over) by this process, its lease
    /// renewed at `renewed`.
    pub(crate) fn start(cx: &'a Cx, fence: Fence, renewed: Instant) -> Self {
        let lease = Lease::start(cx.store.clone(), fence, cx.config.operation_lease, renewed);
        Run { cx, fence, lease }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.cx.store
    }

    /// Check, before a write the record's fence cannot cover, that this process still owns
    /// the operation with at least half its lease ahead (renewing it if needed).
    pub(crate) async fn guard(&self) -> StepResult {
        self.lease.guard().await
    }

    /// Record that `step` steps are done (a fenced write; renews the lease).
    async fn journal(&self, step: u32) -> StepResult {
        let sent = Instant::now();
        if self.store().journal_step(&self.fence, step).await? {
            self.lease.renewed(sent);
            Ok(())
        } else {
            Err(self.lease.lose())
        }
    }

    /// A fenced write's outcome: `false` means the operation was taken over.
    pub(crate) fn fenced(&self, matched: bool) -> StepResult {
        if matched {
            Ok(())
        } else {
            Err(self.lease.lose())
        }
    }

    /// A named crash point of the tests (nothing without the `failpoints` feature).
    pub(crate) async fn hit(&self, name: &str) -> StepResult {
        self.cx.failpoints.hit(name, &self.lease).await
    }
}

/// The tenant of valid, unrevoked claims, free for an operation: an abandoned operation on
/// it is recovered first; one still running makes this `CONFLICT`.
pub(crate) async fn tenant_of(cx: &Cx, claims: &Claims) -> Result<OrgDoc> {
    let org = check_not_revoked_fresh(cx, claims).await?;
    if org.state == State::Active {
        return Ok(org);
    }
    if recover::recover_if_stale(cx, &org).await? {
        if let Some(org) = cx.store.org(org.id).await? {
            if org.state == State::Active {
                return Ok(org);
            }
        }
        return Err(Error::revoked());
    }
    Err(Error::busy())
}

/// Run a freshly claimed operation from its first step to its end, or to a clean undo if a
/// step refuses.
pub(crate) async fn execute<O: Operation>(op: &O, run: &Run<'_>) -> Result<()> {
    forward(op, run, 0).await.map_err(Fail::into_error)
}

/// Resume an operation taken over from its journal: forward past the commit point, undone
/// before it.
pub(crate) async fn resume<O: Operation>(op: &O, run: &Run<'_>, journal: &Journal) -> Result<bool> {
    let steps = O::STEPS.len() as u32;
    if journal.step >= O::COMMIT {
        forward(op, run, journal.step.min(steps - 1))
            .await
            .map_err(Fail::into_error)?;
        Ok(true)
    } else {
        undo_from(op, run, journal.step)
            .await
            .map_err(Fail::into_error)?;
        Ok(false)
    }
}

async fn forward<O: Operation>(op: &O, run: &Run<'_>, from: u32) -> StepResult {
    let steps = O::STEPS.len() as u32;
    for i in from..steps {
        match op.step(run, i).await {
            Ok(()) => {}
            Err(Fail::Refused(err)) if i < O::COMMIT => {
                undo_from(op, run, i).await?;
                return Err(Fail::Refused(err));
            }
            Err(Fail::Refused(err)) => {
                // A step past the commit point cannot refuse: a bug, left for recovery.
                return Err(Fail::Stop(Error::internal(format_args!(
                    "{}.{} refused after the commit point: {err}",
                    O::KIND,
                    O::STEPS[i as usize]
                ))));
            }
            Err(stop) => return Err(stop),
        }
        run.hit(&format!("{}.{}", O::KIND, O::STEPS[i as usize]))
            .await?;
        if i + 1 < steps {
            run.journal(i + 1).await?;
        }
    }
    op.after(run.cx).await?;
    Ok(())
}

/// Undo steps `last` down to 0 (the step in progress at `last` may have run in part), then
/// give the record back.
async fn undo_from<O: Operation>(op: &O, run: &Run<'_>, last: u32) -> StepResult {
    for i in (0..=last.min(O::COMMIT.saturating_sub(1))).rev() {
        op.undo(run, i).await?;
        run.hit(&format!("{}.undo.{}", O::KIND, O::STEPS[i as usize]))
            .await?;
    }
    op.abandon(run).await?;
    Ok(())
}

/// A lease on an operation, renewed in the background while its owner runs it.
pub(crate) struct Lease {
    shared: Arc<LeaseShared>,
    renewer: tokio::task::JoinHandle<()>,
}

struct LeaseShared {
    store: Store,
    fence: Fence,
    length: Duration,
    state: Mutex<LeaseState>,
}

struct LeaseState {
    /// Until when (on this process's monotonic clock) the lease is surely held: the send
    /// time of the last successful renewal plus the lease length. The server starts the
    /// lease later than that, so this errs on the safe side.
    valid_until: Instant,
    lost: bool,
    /// Test only: the renewer stops renewing, as in a process stopped by a debugger.
    frozen: bool,
}

impl LeaseShared {
    fn state(&self) -> std::sync::MutexGuard<'_, LeaseState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn renew(&self) -> Result<bool> {
        let sent = Instant::now();
        let held = self.store.renew(&self.fence).await?;
        let mut state = self.state();
        if held {
            state.valid_until = state.valid_until.max(sent + self.length);
        } else {
            state.lost = true;
        }
        Ok(held)
    }
}

impl Lease {
    fn start(store: Store, fence: Fence, length: Duration, renewed: Instant) -> Self {
        let shared = Arc::new(LeaseShared {
            store,
            fence,
            length,
            state: Mutex::new(LeaseState {
                valid_until: renewed + length,
                lost: false,
                frozen: false,
            }),
        });
        let background = Arc::clone(&shared);
        let renewer = tokio::spawn(async move {
            let period = (background.length / 4).max(Duration::from_millis(10));
            loop {
                tokio::time::sleep(period).await;
                if background.state().frozen {
                    continue;
                }
                match background.renew().await {
                    Ok(true) => {}
                    Ok(false) => return,
                    // A failed renewal is retried; the owner's guard sees the deadline.
                    Err(_) => {}
                }
            }
        });
        Lease { shared, renewer }
    }

    async fn guard(&self) -> StepResult {
        let (lost, left) = {
            let state = self.shared.state();
            let left = state.valid_until.saturating_duration_since(Instant::now());
            (state.lost, left)
        };
        if lost {
            return Err(self.lose());
        }
        if left < self.shared.length / 2 && !self.shared.renew().await? {
            return Err(self.lose());
        }
        Ok(())
    }

    fn renewed(&self, sent: Instant) {
        let mut state = self.shared.state();
        state.valid_until = state.valid_until.max(sent + self.shared.length);
    }

    fn lose(&self) -> Fail {
        self.shared.state().lost = true;
        Fail::Stop(Error::lost())
    }

    /// Stop renewing (tests: a paused process).
    #[cfg(feature = "failpoints")]
    pub(crate) fn freeze(&self) {
        self.shared.state().frozen = true;
    }

    /// Renew again.
    #[cfg(feature = "failpoints")]
    pub(crate) fn thaw(&self) {
        self.shared.state().frozen = false;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

/// A fresh owner token.
pub(crate) fn new_owner() -> ObjectId {
    ObjectId::new()
}

/// The configured lease, in the journal's unit.
pub(crate) fn lease_ms(cx: &Cx) -> i64 {
    i64::try_from(cx.config.operation_lease.as_millis()).unwrap_or(i64::MAX)
}

/// The journal of a new operation of `detail`, owned by this process, at its first step.
pub(crate) fn new_journal(cx: &Cx, detail: Detail) -> Journal {
    Journal {
        id: ObjectId::new(),
        owner: new_owner(),
        renewed_at: crate::store::now(),
        lease_ms: lease_ms(cx),
        step: 0,
        detail,
    }
}

/// Run the operation of `journal` on `org`, which this process claimed (or took over) with
/// a write sent at `sent`: its lease starts then. `point` is the crash point right after.
pub(crate) async fn started<'a>(
    cx: &'a Cx,
    org: ObjectId,
    journal: &Journal,
    owner: ObjectId,
    sent: Instant,
    point: &str,
) -> Result<Run<'a>> {
    let fence = Fence {
        org,
        op: journal.id,
        owner,
    };
    let run = Run::start(cx, fence, sent);
    run.hit(point).await.map_err(fail_error)?;
    Ok(run)
}

/// The error a failed run ends with.
pub(crate) fn fail_error(f: Fail) -> Error {
    match f {
        Fail::Refused(e) | Fail::Stop(e) => e,
    }
}
