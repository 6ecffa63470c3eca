//! Password hashing and verification: bcrypt, run on the process's hashing threads, off
//! the async executor and below it in priority.
//!
//! bcrypt reads at most 72 bytes. Rather than truncate silently, a password longer than
//! that is hashed in the seed's `$bcrypt-sha256$` form: bcrypt over the raw SHA-256 digest
//! of the password. Hashes in that form written by the original service verify too.
//!
//! Every verification costs exactly one bcrypt at the cost of the hash it checks, whatever
//! the password's length and the hash's form, and a login with no account to check
//! verifies against a dummy hash at the configured cost: the time of a failed login says
//! nothing about the account.

use std::sync::{mpsc, Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// Prefix of pre-hashed (SHA-256, then bcrypt) password hashes.
pub(crate) const BCRYPT_SHA256_PREFIX: &str = "$bcrypt-sha256$";
/// The most password bytes bcrypt reads: 72 including the NUL terminator it appends.
const BCRYPT_MAX_BYTES: usize = 71;

fn hash_blocking(password: &str, cost: u32) -> Result<String> {
    count_work(cost);
    let hashed = if password.len() <= BCRYPT_MAX_BYTES {
        bcrypt::non_truncating_hash(password, cost)
    } else {
        bcrypt::hash(Sha256::digest(password.as_bytes()), cost)
            .map(|h| format!("{BCRYPT_SHA256_PREFIX}{h}"))
    };
    hashed.map_err(|e| Error::internal(format_args!("bcrypt failed: {e}")))
}

/// The cost of a well-formed bcrypt hash (`$2b$12$...`).
fn cost_of(hash: &str) -> Option<u32> {
    let cost = hash.strip_prefix(BCRYPT_SHA256_PREFIX).unwrap_or(hash);
    let mut parts = cost.split('$');
    let (Some(""), Some(version), Some(cost), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let cost: u32 = cost.parse().ok()?;
    let known = matches!(version, "2a" | "2b" | "2x" | "2y");
    (known && (4..=31).contains(&cost) && rest.len() == 53).then_some(cost)
}

/// Whether `stored` is a hash this module can check.
fn well_formed(stored: &str) -> bool {
    cost_of(stored).is_some()
}

/// One bcrypt verification of `password` against a well-formed `stored` hash.
fn verify_blocking(password: &str, stored: &str) -> bool {
    match stored.strip_prefix(BCRYPT_SHA256_PREFIX) {
        Some(inner) => bcrypt_verify(Sha256::digest(password.as_bytes()), inner),
        // A plain bcrypt hash only ever saw 72 bytes: a longer password must not match it
        // through truncation. It is refused, after the same bcrypt work as any other.
        None if password.len() > BCRYPT_MAX_BYTES => {
            bcrypt_verify(Sha256::digest(password.as_bytes()), stored);
            false
        }
        None => bcrypt_verify(password, stored),
    }
}

/// `bcrypt::verify`, counted.
fn bcrypt_verify(password: impl AsRef<[u8]>, hash: &str) -> bool {
    if let Some(cost) = cost_of(hash) {
        count_work(cost);
    }
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// bcrypt work done by this process, in units of one bcrypt at cost 4 (a test measure of
/// "every failed login costs the same").
static WORK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_work(cost: u32) {
    WORK.fetch_add(
        1 << cost.saturating_sub(4).min(40),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The bcrypt work done so far (see [`count_work`]).
#[cfg(feature = "failpoints")]
pub(crate) fn work_done() -> u64 {
    WORK.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether a stored hash should be replaced by one at `cost` (after a successful login).
pub(crate) fn needs_rehash(stored: &str, cost: u32) -> bool {
    cost_of(stored) != Some(cost)
}

/// A job for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// The process's hashing threads: one per core (more cannot hash faster), started on first
/// use, each at a lower scheduling priority than the threads that serve requests.
///
/// bcrypt is CPU-bound by design. On tokio's blocking pool a login storm puts a crowd of
/// hashing threads at the same priority as the async workers, and every request waits for
/// its turn on a core behind them (GET p99 ×3.4 during a storm, BENCHMARKS.md). Here the
/// hashes still use every idle cycle, but the kernel runs a ready request first.
struct HashingPool {
    /// The process that started the threads: a forked child has none of them.
    pid: u32,
    jobs: mpsc::Sender<Job>,
}

/// Niceness of the hashing threads (Linux, where it applies per thread). 19, the lowest,
/// is what lets a woken event loop (Node's, Python's) take the core back promptly: GET p99
/// during a login storm was ×1.5–2.0 of rest at nice 10, ×0.8–1.1 at 19 and ×0.55–0.9 as
/// `SCHED_IDLE` (Express, BENCHMARKS.md). 19 rather than `SCHED_IDLE` because a saturated
/// server still gives a nice-19 thread about 1.5% of a core, so logins slow down under
/// overload but do not stop.
#[cfg(target_os = "linux")]
const HASHING_NICENESS: libc::c_int = 19;

impl HashingPool {
    /// One thread per core this process may run on (a process pinned to one cpu gets one).
    fn size() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    fn start(pid: u32) -> Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = HashingPool::size();
        let mut started = 0;
        for i in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("tenantry-hash-{i}"))
                .spawn(move || Self::work(&queue));
            match spawned {
                Ok(_) => started += 1,
                Err(e) if started == 0 => {
                    return Err(Error::internal(format_args!(
                        "cannot start a hashing thread: {e}"
                    )))
                }
                // Fewer threads than cores still hash everything, only more slowly.
                Err(_) => break,
            }
        }
        Ok(Self { pid, jobs })
    }

    fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
        lower_priority();
        loop {
            // The lock is held while waiting: one idle thread waits for a job, the others
            // wait for the lock. It is released before the job runs.
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok(job) = next else { return };
            // A panicking job loses its result (its caller gets an error), not the thread.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    }

    /// Queue `job` on the process's hashing threads, starting them if needed.
    fn submit(job: Job) -> Result<()> {
        static POOL: Mutex<Option<HashingPool>> = Mutex::new(None);
        let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        let pid = std::process::id();
        let pool = match &mut *pool {
            Some(p) if p.pid == pid => p,
            slot => slot.insert(Self::start(pid)?),
        };
        pool.jobs
            .send(job)
            .map_err(|_| Error::internal("the hashing threads are gone"))
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux, PRIO_PROCESS with `who` = 0 sets the niceness of the calling thread only.
    // Raising one's own niceness needs no privilege; if it fails the thread simply keeps
    // the default priority.
    // SAFETY: setpriority reads no memory; the arguments are plain integers.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// Run `f` on a hashing thread and wait for its result without blocking the executor.
/// A job whose caller has gone (a cancelled request) is skipped, not hashed.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (done, result) = oneshot::channel();
    HashingPool::submit(Box::new(move || {
        if !done.is_closed() {
            let _ = done.send(f());
        }
    }))?;
    result
        .await
        .map_err(|_| Error::internal("a hashing job failed"))
}

/// Hash a password at `cost`, off the async executor.
pub(crate) async fn hash(password: &str, cost: u32) -> Result<String> {
    let password = password.to_owned();
    blocking(move || hash_blocking(&password, cost)).await?
}

/// Check a password against a stored hash, off the async executor. A malformed hash
/// never matches.
pub(crate) async fn verify(password: &str, stored: &str) -> Result<bool> {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    blocking(move || well_formed(&stored) && verify_blocking(&password, &stored)).await
}

/// Check a login's password against its account's hash, or, with no account (or a hash
/// that cannot be checked), against `dummy`: one bcrypt either way, and only a real
/// account's hash can match.
pub(crate) async fn verify_login(
    password: &str,
    stored: Option<&str>,
    dummy: &str,
) -> Result<bool> {
    let password = password.to_owned();
    let checked = stored.filter(|s| well_formed(s)).map(str::to_owned);
    let dummy = dummy.to_owned();
    blocking(move || match checked {
        Some(stored) => verify_blocking(&password, &stored),
        None => {
            verify_blocking(&password, &dummy);
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_use_plain_bcrypt() {
        let h = hash_blocking("securepassword123", 4).unwrap();
        assert!(h.starts_with("$2b$04$"), "{h}");
        assert!(verify_blocking("securepassword123", &h));
        assert!(!verify_blocking("securepassword124", &h));
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let base = "x".repeat(BCRYPT_MAX_BYTES);
        let long_a = format!("{base}A");
        let long_b = format!("{base}B");
        let h = hash_blocking(&long_a, 4).unwrap();
        assert!(h.starts_with(BCRYPT_SHA256_PREFIX));
        assert!(verify_blocking(&long_a, &h));
        assert!(
            !verify_blocking(&long_b, &h),
            "differs only after bcrypt's limit"
        );
        assert!(!verify_blocking(&base, &h));
        // And a plain hash at the limit does not accept a longer password sharing its prefix.
        let h72 = hash_blocking(&base, 4).unwrap();
        assert!(verify_blocking(&base, &h72));
        assert!(!verify_blocking(&long_a, &h72));
    }

    #[test]
    fn seed_format_hashes_verify() {
        // The seed stored `$bcrypt-sha256$` + bcrypt(raw SHA-256 digest of the password).
        let digest = Sha256::digest(b"securepassword123");
        let seed = format!("$bcrypt-sha256${}", bcrypt::hash(digest, 4).unwrap());
        assert!(verify_blocking("securepassword123", &seed));
        assert!(!verify_blocking("securepassword12", &seed));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_below_request_priority() {
        // SAFETY: getpriority reads no memory.
        let niceness = blocking(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })
            .await
            .unwrap();
        assert!(niceness >= HASHING_NICENESS, "niceness {niceness}");
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_not_the_threads() {
        let threads = HashingPool::size();
        // More panics than threads: a thread lost to a panic would leave the last call hanging.
        for _ in 0..=threads {
            let failed = blocking(|| -> u8 { panic!("bcrypt blew up") }).await;
            assert!(matches!(failed, Err(Error::Internal(_))), "{failed:?}");
        }
        assert_eq!(blocking(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_job_whose_caller_left_is_skipped() {
        use futures_util::FutureExt;
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Barrier;

        let threads = HashingPool::size();
        // Occupy every hashing thread until released.
        let (release, gate) = mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let (started, busy) = mpsc::channel();
        for _ in 0..threads {
            let (gate, started) = (Arc::clone(&gate), started.clone());
            HashingPool::submit(Box::new(move || {
                started.send(()).unwrap();
                gate.lock().unwrap().recv().unwrap();
            }))
            .unwrap();
        }
        for _ in 0..threads {
            busy.recv().unwrap();
        }
        // Queue a job, then drop its caller before any thread is free to run it.
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        assert!(blocking(move || flag.store(true, Ordering::SeqCst))
            .now_or_never()
            .is_none());
        for _ in 0..threads {
            release.send(()).unwrap();
        }
        // Once every thread sits in one of these together, the queue ahead of them is done.
        let all = Arc::new(Barrier::new(threads));
        let markers = (0..threads).map(|_| {
            let all = Arc::clone(&all);
            blocking(move || {
                all.wait();
            })
        });
        for marker in futures_util::future::join_all(markers).await {
            marker.unwrap();
        }
        assert!(!ran.load(Ordering::SeqCst), "a cancelled hash ran");
    }

    #[test]
    fn garbage_hashes_never_match() {
        for stored in [
            "",
            "plain",
            "$2b$04$short",
            "$bcrypt-sha256$nope",
            "$2b$99$x",
        ] {
            assert!(!well_formed(stored), "{stored}");
            assert!(!verify_blocking("anything", stored));
        }
    }

    #[test]
    fn costs_are_read_from_both_forms() {
        let plain = hash_blocking("securepassword123", 5).unwrap();
        let long = hash_blocking(&"y".repeat(100), 6).unwrap();
        assert_eq!(cost_of(&plain), Some(5));
        assert_eq!(cost_of(&long), Some(6));
        assert!(needs_rehash(&plain, 4) && !needs_rehash(&plain, 5));
    }
}
