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
    stored.len() == presented.len()
        && stored
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
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
}
