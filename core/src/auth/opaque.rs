//! Opaque secrets (refresh tokens, API keys): 32 random bytes shown once, stored as a
//! SHA-256 digest (the secret's entropy makes a slow hash pointless), compared in time
//! independent of where the digests differ.

use sha2::{Digest, Sha256};

/// 32 random bytes, in hex.
pub(crate) fn secret() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `s` has the shape of [`secret`]: 64 hex digits.
pub(crate) fn is_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The digest stored for a secret.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` is the one whose digest is `stored`, in time independent of where the
/// digests differ.
pub(crate) fn matches(stored: &str, secret: &str) -> bool {
    let presented = digest(secret);
    stored.len() == presented.len() && same_bytes(stored.as_bytes(), presented.as_bytes(), |_| {})
}

/// Whether two slices of one length hold the same bytes, looking at every byte pair
/// whatever the first difference (`look` sees each pair's index, for the tests).
fn same_bytes(a: &[u8], b: &[u8], mut look: impl FnMut(usize)) -> bool {
    let mut diff = 0u8;
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        look(i);
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_digest_only() {
        let s = secret();
        assert!(is_secret(&s));
        let d = digest(&s);
        assert!(matches(&d, &s));
        assert!(!matches(&d, &secret()));
        assert!(!matches(&d[..63], &s), "a shorter digest");
        assert!(!matches("", &s));
        assert!(!is_secret(&s[1..]) && !is_secret(&format!("{}g", &s[1..])));
    }

    /// Constant time: a difference in the first byte, in the last, or none, costs the same
    /// walk over every byte pair (no early exit for a timing attack to measure).
    #[test]
    fn the_comparison_looks_at_every_byte_wherever_they_differ() {
        let stored = digest(&secret());
        for at in [None, Some(0), Some(31), Some(63)] {
            let mut presented = stored.clone().into_bytes();
            if let Some(i) = at {
                presented[i] = if presented[i] == b'0' { b'1' } else { b'0' };
            }
            let mut seen = Vec::new();
            let same = same_bytes(stored.as_bytes(), &presented, |i| seen.push(i));
            assert_eq!(same, at.is_none());
            assert_eq!(seen, (0..64).collect::<Vec<_>>(), "difference at {at:?}");
        }
    }
}
