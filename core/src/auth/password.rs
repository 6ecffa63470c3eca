//! Password hashing and verification: bcrypt (the default) or argon2id, run on the
//! process's hashing threads, off the async executor, leaving it a core (see
//! [`HashingPool`]). Hashes of both schemes verify whatever the configured one; a hash
//! not made as the configuration says ([`Policy::is_current`]) is replaced at the next
//! successful login.
//!
//! bcrypt reads at most 72 bytes. Rather than truncate silently, a password longer than
//! that is hashed in the seed's `$bcrypt-sha256$` form: bcrypt over the raw SHA-256 digest
//! of the password. Hashes in that form written by the original service verify too.
//!
//! Every verification costs exactly one hash at the parameters of the hash it checks,
//! whatever the password's length and the hash's form, and a login with no account to
//! check verifies against a dummy hash made as the configuration says: the time of a
//! failed login says nothing about the account (beyond, while hashes are being upgraded,
//! which scheme its hash still is).

use std::sync::{mpsc, Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::config::PasswordHashing;
use crate::error::{Error, Result};

/// Prefix of pre-hashed (SHA-256, then bcrypt) password hashes.
pub(crate) const BCRYPT_SHA256_PREFIX: &str = "$bcrypt-sha256$";
/// The most password bytes bcrypt reads: 72 including the NUL terminator it appends.
const BCRYPT_MAX_BYTES: usize = 71;

/// How new hashes are made: the configured scheme, and bcrypt's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub scheme: PasswordHashing,
    pub bcrypt_cost: u32,
}

impl Policy {
    pub(crate) fn of(config: &crate::Config) -> Self {
        Policy {
            scheme: config.password_hashing,
            bcrypt_cost: config.bcrypt_cost,
        }
    }

    /// Whether `stored` was made as this policy makes hashes.
    pub(crate) fn is_current(&self, stored: &str) -> bool {
        match self.scheme {
            PasswordHashing::Bcrypt => cost_of(stored) == Some(self.bcrypt_cost),
            PasswordHashing::Argon2id => {
                // Parameters, version (0x13) and output length as this policy makes them:
                // an older version or a shorter output is replaced like weaker parameters.
                let made_here = argon2::PasswordHash::new(stored).is_ok_and(|h| {
                    h.version == Some(argon2::Version::V0x13.into())
                        && h.hash
                            .is_some_and(|o| o.len() == argon2::Params::DEFAULT_OUTPUT_LEN)
                });
                made_here
                    && argon2_params(stored).is_some_and(|p| {
                        (p.m_cost(), p.t_cost(), p.p_cost())
                            == (ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES)
                    })
            }
        }
    }
}

/// argon2id's memory (19 MiB), iterations and lanes: OWASP's first choice.
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_ITERATIONS: u32 = 2;
const ARGON2_LANES: u32 = 1;

fn argon2() -> Result<argon2::Argon2<'static>> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, None)
        .map_err(|e| Error::internal(format_args!("argon2 parameters: {e}")))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

/// The parameters of a well-formed argon2id hash (PHC string) within sane bounds (a
/// stored hash asking for gigabytes would be a denial of service, not a password).
fn argon2_params(stored: &str) -> Option<argon2::Params> {
    let parsed = argon2::PasswordHash::new(stored).ok()?;
    if parsed.algorithm != argon2::Algorithm::Argon2id.ident() || parsed.hash.is_none() {
        return None;
    }
    let params = argon2::Params::try_from(&parsed).ok()?;
    let sane = params.m_cost() <= 256 * 1024 && params.t_cost() <= 10 && params.p_cost() <= 8;
    sane.then_some(params)
}

fn hash_blocking(password: &str, policy: Policy) -> Result<String> {
    match policy.scheme {
        PasswordHashing::Bcrypt => bcrypt_hash(password, policy.bcrypt_cost),
        PasswordHashing::Argon2id => {
            use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
            let salt = SaltString::generate(&mut OsRng);
            Ok(argon2()?
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| Error::internal(format_args!("argon2 failed: {e}")))?
                .to_string())
        }
    }
}

fn bcrypt_hash(password: &str, cost: u32) -> Result<String> {
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
    cost_of(stored).is_some() || argon2_params(stored).is_some()
}

/// One verification of `password` against a well-formed `stored` hash (bcrypt or
/// argon2id, each at its own parameters).
fn verify_blocking(password: &str, stored: &str) -> bool {
    if stored.starts_with("$argon2") {
        use argon2::PasswordVerifier;
        return match (argon2_params(stored), argon2::PasswordHash::new(stored)) {
            (Some(_), Ok(parsed)) => argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            _ => false,
        };
    }
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

/// Whether a stored hash should be replaced by one of `policy` (after a successful login).
pub(crate) fn needs_rehash(stored: &str, policy: Policy) -> bool {
    !policy.is_current(stored)
}

/// A job for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// The process's hashing threads: one fewer than the cores (at least one), started on
/// first use, at normal priority with a short scheduling slice.
///
/// bcrypt is CPU-bound by design, and a login storm must neither stall the requests that
/// do not hash nor be starved by them. The choice, measured under a closed-loop GET flood
/// beside 8 login connections (BENCHMARKS.md, "The hot path"):
///
/// - **Reserved core**: never more hashing threads than cores − 1, so the threads that
///   serve requests (an event loop, the async workers) always have a core that no hash
///   holds. That is what keeps GET p99 in a storm within 2× of rest. It costs login
///   throughput when logins are all there is: on 2 cores, half the machine's bcrypt rate.
/// - **Normal priority**: the hashes get their fair share when requests saturate the rest,
///   so logins keep at least 40% of their rate alone. At nice 19 (this pool's former
///   setting) a GET flood starved them: 0–24% of their rate alone.
/// - **Short slice** (Linux ≥ 6.12, `sched_setattr` with a 100 µs runtime; ignored
///   elsewhere): a woken request thread that lands on a hashing thread's core waits at most
///   about that long instead of the default slice (3 ms), the difference between GET p99
///   ×1.7 and ×4 of rest in the same runs.
/// - **One core**: a process confined to one core has no core to leave; its one hashing
///   thread runs at the lowest priority instead (see [`set_scheduling`]).
struct HashingPool {
    /// The process that started the threads: a forked child has none of them.
    pid: u32,
    jobs: mpsc::Sender<Job>,
}

/// The scheduling slice requested for the hashing threads, in nanoseconds.
#[cfg(target_os = "linux")]
const HASHING_SLICE_NS: u64 = 100_000;

impl HashingPool {
    /// The cores this process may run on.
    fn cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    /// One thread fewer than the cores this process may run on, at least one (a process
    /// pinned to one or two cpus gets one).
    fn size() -> usize {
        Self::cores().saturating_sub(1).max(1)
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
        set_scheduling(HashingPool::cores());
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

/// `struct sched_attr` of sched_setattr(2), in its first (48-byte) version.
#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Default)]
struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

/// How the calling hashing thread is scheduled, given the process's `cores`: with a core
/// left for the requests, at normal priority (nice 0) with a [`HASHING_SLICE_NS`] slice;
/// confined to one core, with no core to leave, at the lowest priority (nice 19) and the
/// default slice, so that a request always goes first and logins use the idle time (a
/// saturated one-core server delays them; at nice 0 the hashes held the one core and GET
/// p99 during a storm rose ×8–14 there, BENCHMARKS.md).
///
/// Kernels before 6.12 ignore the runtime of a `SCHED_OTHER` thread; one without
/// sched_setattr refuses the call. Either way the thread hashes as before.
#[cfg(target_os = "linux")]
fn set_scheduling(cores: usize) {
    let (nice, runtime) = scheduling(cores);
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: libc::SCHED_OTHER as u32,
        nice,
        runtime,
        ..SchedAttr::default()
    };
    // SAFETY: sched_setattr(pid 0 = the calling thread, attr, flags 0) only reads `attr`,
    // whose `size` field says how many bytes it may read.
    let rc = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) };
    if rc != 0 {
        // SAFETY: setpriority reads no memory; PRIO_PROCESS with `who` 0 is this thread.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, nice);
        }
    }
}

/// (niceness, slice in ns; 0 = the kernel's default) of the hashing threads.
#[cfg(target_os = "linux")]
fn scheduling(cores: usize) -> (i32, u64) {
    if cores > 1 {
        (0, HASHING_SLICE_NS)
    } else {
        (19, 0)
    }
}

/// The slice the calling thread runs with (`sched_getattr`), in nanoseconds.
#[cfg(all(test, target_os = "linux"))]
fn current_slice() -> Option<u64> {
    let mut attr = SchedAttr::default();
    let size = std::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: sched_getattr writes at most `size` bytes into `attr`, which holds that many.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_sched_getattr,
            0,
            &mut attr as *mut SchedAttr,
            size,
            0,
        )
    };
    (rc == 0).then_some(attr.runtime)
}

#[cfg(not(target_os = "linux"))]
fn set_scheduling(_cores: usize) {}

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

/// Hash a password as `policy` says, off the async executor.
pub(crate) async fn hash(password: &str, policy: Policy) -> Result<String> {
    let password = password.to_owned();
    blocking(move || hash_blocking(&password, policy)).await?
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

    const ARGON2: Policy = Policy {
        scheme: PasswordHashing::Argon2id,
        bcrypt_cost: 4,
    };
    const BCRYPT: Policy = Policy {
        scheme: PasswordHashing::Bcrypt,
        bcrypt_cost: 4,
    };

    #[test]
    fn argon2id_hashes_verify_and_are_current_only_under_their_policy() {
        let h = hash_blocking("securepassword123", ARGON2).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(well_formed(&h));
        assert!(verify_blocking("securepassword123", &h));
        assert!(!verify_blocking("securepassword124", &h));
        let long = "y".repeat(300);
        let hl = hash_blocking(&long, ARGON2).unwrap();
        assert!(verify_blocking(&long, &hl) && !verify_blocking(&long[..299], &hl));
        assert!(ARGON2.is_current(&h) && !BCRYPT.is_current(&h));
        let b = bcrypt_hash("securepassword123", 4).unwrap();
        assert!(BCRYPT.is_current(&b) && !ARGON2.is_current(&b));
        assert!(needs_rehash(&b, ARGON2) && needs_rehash(&h, BCRYPT));
        // Other parameters, or a hash that asks for too much, or another variant.
        let weaker = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        let w = weaker
            .hash_password(b"pw-of-another-age", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify_blocking("pw-of-another-age", &w),
            "verified at its own parameters"
        );
        assert!(needs_rehash(&w, ARGON2));
        let greedy = w.replace("m=8192", "m=4194304");
        assert!(!well_formed(&greedy));
        let argon2i = w.replace("$argon2id$", "$argon2i$");
        assert!(!well_formed(&argon2i) && !verify_blocking("pw-of-another-age", &argon2i));
        // Our parameters, but the older version or another output length: verified, and
        // not current (replaced at the next login).
        for (version, output) in [
            (argon2::Version::V0x10, None),
            (argon2::Version::V0x13, Some(64)),
        ] {
            let other = argon2::Argon2::new(
                argon2::Algorithm::Argon2id,
                version,
                argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, output)
                    .unwrap(),
            );
            let o = other
                .hash_password(b"pw-of-another-age", &SaltString::generate(&mut OsRng))
                .unwrap()
                .to_string();
            assert!(verify_blocking("pw-of-another-age", &o), "{o}");
            assert!(!ARGON2.is_current(&o) && needs_rehash(&o, ARGON2), "{o}");
        }
    }

    #[test]
    fn short_passwords_use_plain_bcrypt() {
        let h = bcrypt_hash("securepassword123", 4).unwrap();
        assert!(h.starts_with("$2b$04$"), "{h}");
        assert!(verify_blocking("securepassword123", &h));
        assert!(!verify_blocking("securepassword124", &h));
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let base = "x".repeat(BCRYPT_MAX_BYTES);
        let long_a = format!("{base}A");
        let long_b = format!("{base}B");
        let h = bcrypt_hash(&long_a, 4).unwrap();
        assert!(h.starts_with(BCRYPT_SHA256_PREFIX));
        assert!(verify_blocking(&long_a, &h));
        assert!(
            !verify_blocking(&long_b, &h),
            "differs only after bcrypt's limit"
        );
        assert!(!verify_blocking(&base, &h));
        // And a plain hash at the limit does not accept a longer password sharing its prefix.
        let h72 = bcrypt_hash(&base, 4).unwrap();
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
    async fn hashing_threads_leave_a_core_and_take_short_slices() {
        let cores = HashingPool::cores();
        assert_eq!(HashingPool::size(), cores.saturating_sub(1).max(1));
        let (slice, niceness) = blocking(|| {
            // SAFETY: getpriority reads no memory.
            (current_slice(), unsafe {
                libc::getpriority(libc::PRIO_PROCESS, 0)
            })
        })
        .await
        .unwrap();
        let (nice, runtime) = scheduling(cores);
        assert_eq!(niceness, nice);
        // Kernels with custom slices (6.12+) report what was asked; older ones their default.
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut version = kernel
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|p| p.parse::<u32>().ok());
        let custom = (version.next().unwrap_or(0), version.next().unwrap_or(0)) >= (6, 12);
        if custom && runtime > 0 {
            assert_eq!(slice, Some(runtime));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn normal_priority_with_a_core_to_spare_lowest_on_one_core() {
        assert_eq!(scheduling(2), (0, HASHING_SLICE_NS));
        assert_eq!(scheduling(16), (0, HASHING_SLICE_NS));
        assert_eq!(scheduling(1), (19, 0));
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
        let plain = bcrypt_hash("securepassword123", 5).unwrap();
        let long = bcrypt_hash(&"y".repeat(100), 6).unwrap();
        assert_eq!(cost_of(&plain), Some(5));
        assert_eq!(cost_of(&long), Some(6));
        let at = |bcrypt_cost| Policy {
            scheme: PasswordHashing::Bcrypt,
            bcrypt_cost,
        };
        assert!(needs_rehash(&plain, at(4)) && !needs_rehash(&plain, at(5)));
    }
}
