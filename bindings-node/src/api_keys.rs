//! Tenant API keys (the core's `api_keys`): a key made for machine clients, shown once, and
//! the keys as an admin lists them (never a secret). Conversions only; the methods are
//! `TenantManager`'s (`manager.rs`).
//!
//! The core's `ApiKey` and `ApiKeyInfo` cannot be rebuilt from the JavaScript objects, so
//! each call also hands `index.js` the core's own, opaque, for their HTTP bodies (`http.rs`),
//! as the sessions and the signing keys do.

use chrono::{DateTime, Utc};
use napi_derive::napi;

use crate::types::{given, DateValue, Nullable};

/// A key to make (`createApiKey`): checked by the core.
#[napi(object)]
pub struct NewApiKey {
    /// For people: 1 to 100 characters, without control characters (trimmed).
    pub name: String,
    /// What the key may do, for the application to check (`claims.hasScope`): 1 to 32
    /// scopes, each 1 to 64 of `A-Z a-z 0-9 : . _ -` (kept sorted, without repeats).
    pub scopes: Vec<String>,
    /// When the key stops verifying (in the future); never when left out or `null`.
    #[napi(ts_type = "Date | null")]
    pub expires_at: Option<Nullable<DateValue>>,
}

impl TryFrom<NewApiKey> for tenantry::NewApiKey {
    type Error = tenantry::Error;

    fn try_from(k: NewApiKey) -> tenantry::Result<Self> {
        let key = tenantry::NewApiKey::new(k.name, k.scopes);
        Ok(match given(k.expires_at) {
            Some(at) => key.expires_at(at.to_utc("expires_at")?),
            None => key,
        })
    }
}

/// A tenant's API key as an admin lists it (`apiKeys`, and `ApiKey.info`): everything but
/// its secret.
#[napi(object, use_nullable = true)]
pub struct ApiKeyInfo {
    /// The key's id (24 hex digits), for `revokeApiKey`.
    pub id: String,
    /// `tnk_<id>`: how the key begins, naming it in listings and logs without revealing it.
    pub prefix: String,
    /// Its name, for people.
    pub name: String,
    /// Its scopes, sorted, without repeats.
    pub scopes: Vec<String>,
    /// The id of the admin who made it (24 hex digits).
    pub created_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops verifying (`null` if never).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last verified, to the minute (`null` if never).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&tenantry::ApiKeyInfo> for ApiKeyInfo {
    fn from(k: &tenantry::ApiKeyInfo) -> Self {
        ApiKeyInfo {
            id: k.id.to_hex(),
            prefix: k.prefix.clone(),
            name: k.name.clone(),
            scopes: k.scopes.clone(),
            created_by: k.created_by.to_hex(),
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// An API key just made (`createApiKey`): the key, shown this once, and what will be listed
/// of it.
#[napi(object, object_from_js = false)]
pub struct ApiKey {
    /// The key, `tnk_<id>_<secret>`, for `Authorization: Bearer <key>`: only its digest is
    /// stored, it cannot be shown again.
    pub key: String,
    /// The key as `apiKeys` will list it.
    pub info: ApiKeyInfo,
}

/// The core's key just made, opaque, for its HTTP body (`httpCreatedApiKeyBody`). Not part
/// of the public API: `index.js` keeps it beside the `ApiKey` `createApiKey` returns.
#[napi]
pub struct CoreApiKey {
    pub(crate) inner: tenantry::ApiKey,
}

/// The core's listed key, opaque, for its HTTP body (`httpApiKeyBody`). Not part of the
/// public API: `index.js` keeps it beside each `ApiKeyInfo` returned.
#[napi]
pub struct CoreApiKeyInfo {
    pub(crate) inner: tenantry::ApiKeyInfo,
}

/// A key just made and the core's own, as `createApiKey` settles.
#[napi(object, object_from_js = false)]
pub struct ApiKeyOutcome {
    /// The key.
    pub key: ApiKey,
    /// The core's key, for its HTTP body.
    pub core: CoreApiKey,
    /// The core's listed key, for the body of `key.info`.
    pub info: CoreApiKeyInfo,
}

impl From<tenantry::ApiKey> for ApiKeyOutcome {
    fn from(k: tenantry::ApiKey) -> Self {
        ApiKeyOutcome {
            key: ApiKey {
                key: k.key.clone(),
                info: ApiKeyInfo::from(&k.info),
            },
            info: CoreApiKeyInfo {
                inner: k.info.clone(),
            },
            core: CoreApiKey { inner: k },
        }
    }
}

/// The core's listing of keys, opaque, for its HTTP body (`httpApiKeysBody`). Not part of
/// the public API: `index.js` keeps it beside the array `apiKeys` returns.
#[napi]
pub struct CoreApiKeys {
    pub(crate) inner: Vec<tenantry::ApiKeyInfo>,
}

/// The keys and the core's own, as `apiKeys` settles.
#[napi(object, object_from_js = false)]
pub struct ApiKeysOutcome {
    /// The keys, oldest first.
    pub keys: Vec<ApiKeyInfo>,
    /// The core's keys, for their HTTP body.
    pub core: CoreApiKeys,
    /// The core's key of each, in the same order, for its own body.
    pub each: Vec<CoreApiKeyInfo>,
}

impl From<Vec<tenantry::ApiKeyInfo>> for ApiKeysOutcome {
    fn from(list: Vec<tenantry::ApiKeyInfo>) -> Self {
        ApiKeysOutcome {
            keys: list.iter().map(ApiKeyInfo::from).collect(),
            each: list
                .iter()
                .map(|k| CoreApiKeyInfo { inner: k.clone() })
                .collect(),
            core: CoreApiKeys { inner: list },
        }
    }
}
