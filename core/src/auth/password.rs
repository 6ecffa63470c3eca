//! Password hashing and verification: bcrypt, run on tokio's blocking pool.
//!
//! bcrypt reads at most 72 bytes. Rather than truncate silently, a password longer than
//! that is hashed in the seed's `$bcrypt-sha256$` form: bcrypt over the raw SHA-256 digest
//! of the password. Hashes in that form written by the original service verify too.

use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Prefix of pre-hashed (SHA-256, then bcrypt) password hashes.
pub(crate) const BCRYPT_SHA256_PREFIX: &str = "$bcrypt-sha256$";
/// The most password bytes bcrypt reads: 72 including the NUL terminator it appends.
const BCRYPT_MAX_BYTES: usize = 71;

fn hash_blocking(password: &str, cost: u32) -> Result<String> {
    let hashed = if password.len() <= BCRYPT_MAX_BYTES {
        bcrypt::non_truncating_hash(password, cost)
    } else {
        bcrypt::hash(Sha256::digest(password.as_bytes()), cost)
            .map(|h| format!("{BCRYPT_SHA256_PREFIX}{h}"))
    };
    hashed.map_err(|e| Error::internal(format_args!("bcrypt failed: {e}")))
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    match stored.strip_prefix(BCRYPT_SHA256_PREFIX) {
        Some(inner) => bcrypt::verify(Sha256::digest(password.as_bytes()), inner),
        // A plain bcrypt hash only ever saw 72 bytes: a longer password must not match it
        // through truncation, so the non-truncating check refuses it.
        None => bcrypt::non_truncating_verify(password, stored),
    }
    .unwrap_or(false)
}

/// At most one hash per core at a time. More threads cannot hash faster, and a crowd of
/// CPU-bound blocking threads starves the async workers that serve everything else.
fn hashing_slots() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Arc::new(Semaphore::new(cores))
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let slot = hashing_slots()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::internal("hashing slots closed"))?;
    // The permit moves into the task, so a cancelled caller cannot over-admit.
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        f()
    })
    .await
    .map_err(|e| Error::internal(format_args!("hashing task failed: {e}")))
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
    blocking(move || verify_blocking(&password, &stored)).await
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

    #[test]
    fn garbage_hashes_never_match() {
        for stored in ["", "plain", "$2b$04$short", "$bcrypt-sha256$nope"] {
            assert!(!verify_blocking("anything", stored));
        }
    }
}
