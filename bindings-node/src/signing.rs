//! Signing keys (the core's `auth::signing`): the keys that sign access tokens, as an
//! operator sees them (never a private half). Conversions only; the methods are
//! `TenantManager`'s (`manager.rs`).
//!
//! The core's `SigningKeyInfo` cannot be rebuilt from the JavaScript object, so each call
//! also hands `index.js` the core's own, opaque, for their HTTP bodies (`http.rs`), as the
//! sessions do.

use chrono::{DateTime, Utc};
use napi_derive::napi;

/// A signing key as an operator sees it (`signingKeys`, `rotateSigningKey`).
#[napi(object, use_nullable = true)]
pub struct SigningKeyInfo {
    /// The `kid` its tokens carry in their header.
    pub kid: String,
    /// Its algorithm (`EdDSA`).
    pub algorithm: String,
    /// When it was made, and published.
    pub created_at: DateTime<Utc>,
    /// When it starts signing (`signingKeyLeadSeconds` after it was made).
    pub activates_at: DateTime<Utc>,
    /// When it stops signing: the next key's activation (`null` while there is no next key).
    pub retires_at: Option<DateTime<Utc>>,
    /// When the tokens it signed stop verifying and it is unpublished (`null` while there
    /// is no next key).
    pub verifies_until: Option<DateTime<Utc>>,
}

impl From<&tenantry::SigningKeyInfo> for SigningKeyInfo {
    fn from(k: &tenantry::SigningKeyInfo) -> Self {
        SigningKeyInfo {
            kid: k.kid.clone(),
            algorithm: k.algorithm.clone(),
            created_at: k.created_at,
            activates_at: k.activates_at,
            retires_at: k.retires_at,
            verifies_until: k.verifies_until,
        }
    }
}

/// The core's signing key, opaque, for its HTTP body (`httpSigningKeyBody`). Not part of
/// the public API: `index.js` keeps it beside the `SigningKeyInfo` it returns.
#[napi]
pub struct CoreSigningKey {
    pub(crate) inner: tenantry::SigningKeyInfo,
}

/// A signing key and the core's own, as `rotateSigningKey` settles.
#[napi(object, object_from_js = false)]
pub struct SigningKeyOutcome {
    /// The key.
    pub key: SigningKeyInfo,
    /// The core's key, for its HTTP body.
    pub core: CoreSigningKey,
}

impl From<tenantry::SigningKeyInfo> for SigningKeyOutcome {
    fn from(k: tenantry::SigningKeyInfo) -> Self {
        SigningKeyOutcome {
            key: SigningKeyInfo::from(&k),
            core: CoreSigningKey { inner: k },
        }
    }
}

/// The core's timeline of signing keys, opaque, for its HTTP body (`httpSigningKeysBody`).
/// Not part of the public API: `index.js` keeps it beside the array `signingKeys` returns.
#[napi]
pub struct CoreSigningKeys {
    pub(crate) inner: Vec<tenantry::SigningKeyInfo>,
}

/// The signing keys and the core's own, as `signingKeys` settles.
#[napi(object, object_from_js = false)]
pub struct SigningKeysOutcome {
    /// The keys, oldest first.
    pub keys: Vec<SigningKeyInfo>,
    /// The core's keys, for their HTTP body.
    pub core: CoreSigningKeys,
}

impl From<Vec<tenantry::SigningKeyInfo>> for SigningKeysOutcome {
    fn from(list: Vec<tenantry::SigningKeyInfo>) -> Self {
        SigningKeysOutcome {
            keys: list.iter().map(SigningKeyInfo::from).collect(),
            core: CoreSigningKeys { inner: list },
        }
    }
}
