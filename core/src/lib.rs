#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]

mod auth;
mod config;
mod error;
#[cfg(feature = "failpoints")]
pub mod failpoints;
mod keys;
mod lifecycle;
mod manager;
mod naming;
mod recover;
mod store;
mod tenant;

pub use auth::{AccessToken, Claims};
pub use config::{
    Config, ConfigBuilder, Connection, JwtAlgorithm, LoginThrottle, Secret, Settings,
};
pub use error::{Error, Result};
pub use manager::TenantManager;
pub use naming::{
    name_key, Email, TenantName, COLLECTION_PREFIX, MAX_NAMESPACE_BYTES, MAX_NAME_BYTES,
    MAX_PASSWORD_BYTES,
};
pub use tenant::{RecoveryReport, Tenant, TenantUpdate};

/// Entry points for the fuzz targets in `core/fuzz` (feature `fuzzing` only).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// Decode (signature, algorithm, expiry; no database) a token under `config`.
    pub fn decode_token(config: &crate::Config, token: &str) -> crate::Result<crate::Claims> {
        crate::auth::token::TokenCodec::new(config)?.decode(token)
    }
}

/// Re-exported so callers use the same BSON and driver versions as the library.
pub use mongodb;

/// A named crash point: with the `failpoints` feature, aborts the process when the
/// `TENANTRY_FAILPOINT` environment variable names it; without, nothing at all.
#[macro_export]
#[doc(hidden)]
macro_rules! failpoint {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        $crate::failpoints::hit($name);
    };
}
