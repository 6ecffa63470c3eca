#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod api_keys;
mod archive;
mod audit;
mod auth;
mod cache;
mod collection;
mod config;
mod context;
mod error;
#[cfg(feature = "failpoints")]
pub mod failpoints;
pub mod http;
mod lifecycle;
mod listing;
mod manager;
mod members;
mod naming;
mod placement;
mod schema;
mod scope;
mod sessions;
mod store;
mod tenant;

pub use api_keys::{ApiKey, ApiKeyInfo, NewApiKey, API_KEY_PREFIX, MAX_KEYS, MAX_SCOPES};
pub use archive::{ArchiveManifest, ImportOptions, ARCHIVE_FORMAT, ARCHIVE_VERSION};
pub use audit::{AuditEntry, AuditPage, AuditQuery, AuditVerification};
pub use auth::{AccessToken, Claims, SigningKeyInfo};
pub use cache::{CacheStats, STALE_AFTER};
pub use collection::TenantCollection;
pub use config::{
    Cluster, Config, ConfigBuilder, Connection, Durability, JwtAlgorithm, LoginThrottle,
    PasswordHashing, PlacementPolicy, Secret, Setting, Settings, TrustedProxy, MIN_OPERATION_LEASE,
};
pub use error::{Error, Result};
pub use listing::{TenantPage, TenantQuery, DEFAULT_PAGE, MAX_PAGE};
pub use manager::TenantManager;
pub use members::{
    Action, Invitation, InvitationInfo, Member, NewInvitation, Role, DEFAULT_INVITATION_TTL,
    INVITATION_PREFIX, MAX_INVITATION_TTL, MAX_PENDING_INVITATIONS,
};
pub use naming::{
    name_key, Email, TenantName, COLLECTION_PREFIX, MAX_NAMESPACE_BYTES, MAX_NAME_BYTES,
    MAX_PASSWORD_BYTES,
};
pub use placement::{
    Layout, Naming, DATABASE_PREFIX, DEFAULT_COLLECTION, HOME_CLUSTER, SHARED_PREFIX, TENANT_FIELD,
};
pub use schema::{
    MigrateOptions, MigrateReport, Migration, MigrationFailure, MigrationFn, MigrationStep, Schema,
};
pub use scope::{
    Confinement, Location, ScopedBulkResult, ScopedCollection, ScopedWrite, TenantScope,
};
pub use sessions::{Session, SessionInfo};
pub use tenant::{
    MoveProgress, MoveTarget, RecoveryFailure, RecoveryReport, Tenant, TenantOptions, TenantState,
    TenantUpdate,
};

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
