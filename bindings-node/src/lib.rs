//! Node.js binding of `tenantry`: a Promise/TypeScript API over the Rust core, built with
//! napi-rs.
//!
//! Each file mirrors a core module and only converts types: `manager.rs` (the
//! `TenantManager` class), `types.rs` (options and results), `error.rs` (core errors to JS
//! `Error`s with the core's stable `code`). Parsing, validation and policy stay in core.
//!
//! Futures run on napi's tokio runtime; bcrypt runs on the core's hashing threads,
//! so no call ever blocks the Node event loop.

#![deny(clippy::all)]

mod error;
mod manager;
mod types;

// What JavaScript sees (the `#[napi]` items register themselves with the addon).
pub use error::{error_codes, error_sample};
pub use manager::TenantManager;
pub use types::{
    AccessToken, Claims, ClaimsObject, ConnectOptions, RecoveryReport, Tenant, TenantCollection,
    TenantUpdate,
};
