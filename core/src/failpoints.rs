//! Crash points for the fault-injection tests (feature `failpoints` only).
//!
//! Every step of every journaled operation is a failpoint, named `<kind>.<step>` (hit after
//! the step's work, before its journal entry) and `<kind>.undo.<step>`; a few steps have
//! inner ones. A failpoint fires when the process environment names it
//! (`TENANTRY_FAILPOINT`: the process aborts, as a crash would) or when a test arms it on a
//! manager's [`Failpoints`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::watch;

use crate::lifecycle::{Fail, Lease, StepResult};

/// Failpoints inside steps, beside the ones every step has.
pub const INNER: &[&str] = &[
    "create.started",
    "update.claimed",
    "update.tombstone.stray_fenced",
    "update.tombstone.stray_merged",
    "delete.claimed",
    "move.claimed",
    "recover.taken_over",
];

/// Crash points of the single-write operations and of the import, outside any journaled
/// run: each only aborts the process (from the environment, or armed with
/// [`Action::Abort`]).
pub const CRASH_POINTS: &[&str] = &[
    "delete.soft.hidden",
    "restore.revealed",
    "import.created",
    "import.loaded",
    "import.revealed",
];

/// Every failpoint, in the order the operations can reach them.
pub fn all() -> Vec<String> {
    use crate::lifecycle::relocate::Move;
    use crate::lifecycle::{create::Create, delete::Delete, failpoint_names, update::Update};
    let mut names = failpoint_names::<Create>();
    names.extend(failpoint_names::<Update>());
    names.extend(failpoint_names::<Delete>());
    names.extend(failpoint_names::<Move>());
    names.extend(INNER.iter().map(|s| s.to_string()));
    names.extend(CRASH_POINTS.iter().map(|s| s.to_string()));
    names
}

/// What an armed failpoint does when an operation reaches it.
#[derive(Clone, Debug)]
pub enum Action {
    /// Abort the process, with no cleanup.
    Abort,
    /// Stop the operation there, as if its process had died: no further write, no undo,
    /// no lease renewal. It returns an `INTERNAL` error.
    Halt,
    /// Wait at the failpoint until released; the lease is still renewed (a slow owner).
    Pause(Arc<Gate>),
    /// Wait at the failpoint until released, with lease renewal stopped meanwhile (a
    /// process stopped by a debugger or the kernel).
    Freeze(Arc<Gate>),
}

/// Where a paused operation waits.
#[derive(Debug)]
pub struct Gate(watch::Sender<u8>);

const IDLE: u8 = 0;
const REACHED: u8 = 1;
const RELEASED: u8 = 2;

impl Gate {
    /// A closed gate.
    pub fn new() -> Arc<Self> {
        Arc::new(Gate(watch::channel(IDLE).0))
    }

    /// Wait until an operation stands at the gate.
    pub async fn reached(&self) {
        let mut seen = self.0.subscribe();
        let _ = seen.wait_for(|s| *s >= REACHED).await;
    }

    /// Let the operation go on.
    pub fn release(&self) {
        self.0.send_replace(RELEASED);
    }

    async fn pass(&self) {
        let mut seen = self.0.subscribe();
        self.0.send_if_modified(|s| {
            let first = *s == IDLE;
            if first {
                *s = REACHED;
            }
            first
        });
        let _ = seen.wait_for(|s| *s == RELEASED).await;
    }
}

/// The failpoints armed on one manager (each fires once).
#[derive(Debug, Default)]
pub struct Failpoints {
    armed: Mutex<HashMap<String, Action>>,
}

impl Failpoints {
    /// No failpoint armed.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Arm `name` (see [`all`]) for the next operation that reaches it.
    pub fn arm(&self, name: &str, action: Action) {
        assert!(all().iter().any(|n| n == name), "no failpoint named {name}");
        self.armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), action);
    }

    /// Disarm everything.
    pub fn clear(&self) {
        self.armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    pub(crate) async fn hit(&self, name: &str, lease: &Lease) -> StepResult {
        let action = self
            .armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        // An armed action first, then the environment's abort: a test can pause at a
        // failpoint, act, and have the process die there when it goes on.
        let outcome = self.act(name, action, lease).await;
        if from_env().as_deref() == Some(name) {
            std::process::abort();
        }
        outcome
    }

    /// A crash point ([`CRASH_POINTS`]): abort here if the environment names it or it is
    /// armed to abort (other actions armed there are ignored).
    pub(crate) fn crash_point(&self, name: &str) {
        let action = self
            .armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        if matches!(action, Some(Action::Abort)) || from_env().as_deref() == Some(name) {
            std::process::abort();
        }
    }

    async fn act(&self, name: &str, action: Option<Action>, lease: &Lease) -> StepResult {
        match action {
            None => Ok(()),
            Some(Action::Abort) => std::process::abort(),
            Some(Action::Halt) => Err(Fail::Stop(crate::Error::internal(format_args!(
                "halted at failpoint {name}"
            )))),
            Some(Action::Pause(gate)) => {
                gate.pass().await;
                Ok(())
            }
            Some(Action::Freeze(gate)) => {
                lease.freeze();
                gate.pass().await;
                lease.thaw();
                Ok(())
            }
        }
    }
}

/// The failpoint the environment names (`TENANTRY_FAILPOINT`).
fn from_env() -> &'static Option<String> {
    static FROM_ENV: OnceLock<Option<String>> = OnceLock::new();
    FROM_ENV.get_or_init(|| std::env::var("TENANTRY_FAILPOINT").ok())
}

/// bcrypt work this process has done, in units of one bcrypt at cost 4: every failed login
/// must add the same amount.
pub fn bcrypt_work() -> u64 {
    crate::auth::password::work_done()
}
