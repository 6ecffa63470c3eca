//! Typed configuration of a [`TenantManager`](crate::TenantManager), with a builder and an
//! environment reader that all example servers share.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::naming::validate_database_name;
use crate::placement::{Layout, Naming};

/// Signing algorithm for access tokens. Pinned: a token signed otherwise is refused, and
/// `none` does not exist here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC with SHA-256 (the original service's default).
    #[default]
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// Ed25519 signatures (RFC 8037) with rotating keys kept in MongoDB, their private
    /// halves encrypted with [`Config::signing_key_secret`]; the public keys are published
    /// as a JWKS document ([`TenantManager::jwks`](crate::TenantManager::jwks)), so other
    /// services verify tokens without holding a secret.
    EdDSA,
}

impl JwtAlgorithm {
    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            JwtAlgorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            JwtAlgorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            JwtAlgorithm::HS512 => jsonwebtoken::Algorithm::HS512,
            JwtAlgorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// Whether tokens are signed by a private key (published as JWKS) rather than a secret.
    pub fn is_asymmetric(self) -> bool {
        matches!(self, JwtAlgorithm::EdDSA)
    }

    /// The name used in JWT headers and in `JWT_ALGO`.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
            JwtAlgorithm::EdDSA => "EdDSA",
        }
    }
}

impl FromStr for JwtAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HS256" => Ok(JwtAlgorithm::HS256),
            "HS384" => Ok(JwtAlgorithm::HS384),
            "HS512" => Ok(JwtAlgorithm::HS512),
            "EDDSA" => Ok(JwtAlgorithm::EdDSA),
            other => Err(Error::Config(format!(
                "jwt_algorithm: '{other}' is not supported (use HS256, HS384, HS512 or EdDSA)"
            ))),
        }
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest accepted token lifetime (10 years): beyond it, timestamps stop being sane.
const MAX_JWT_EXPIRY: Duration = Duration::from_secs(10 * 366 * 24 * 3600);
/// Shortest accepted operation lease: below it, a live owner could lose its operation to a
/// recoverer over one slow round trip.
pub const MIN_OPERATION_LEASE: Duration = Duration::from_secs(5);

/// How lifecycle writes are acknowledged by MongoDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `w: "majority", j: true`: an acknowledged operation survives the loss of a node and
    /// a crash of the server (the default).
    #[default]
    Majority,
    /// `w: 1, j: true`: survives a crash of the primary, not its loss.
    Journaled,
    /// The server's default write concern.
    ServerDefault,
}

impl Durability {
    pub(crate) fn write_concern(self) -> Option<mongodb::options::WriteConcern> {
        use mongodb::options::{Acknowledgment, WriteConcern};
        match self {
            Durability::Majority => Some(
                WriteConcern::builder()
                    .w(Acknowledgment::Majority)
                    .journal(true)
                    .build(),
            ),
            Durability::Journaled => Some(
                WriteConcern::builder()
                    .w(Acknowledgment::Nodes(1))
                    .journal(true)
                    .build(),
            ),
            Durability::ServerDefault => None,
        }
    }

    /// The name used in `WRITE_CONCERN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Majority => "majority",
            Durability::Journaled => "journaled",
            Durability::ServerDefault => "server-default",
        }
    }
}

impl FromStr for Durability {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "majority" => Ok(Durability::Majority),
            "journaled" => Ok(Durability::Journaled),
            "server-default" => Ok(Durability::ServerDefault),
            other => Err(Error::Config(format!(
                "write_concern: '{other}' is not supported (use majority, journaled or server-default)"
            ))),
        }
    }
}

/// How new password hashes are made. Every stored hash of either kind verifies; one not
/// made as the configured scheme says (another scheme, another cost) is replaced at its
/// admin's next successful login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PasswordHashing {
    /// bcrypt at [`Config::bcrypt_cost`] (the original service's; the default).
    #[default]
    Bcrypt,
    /// argon2id with OWASP's first choice of parameters: 19 MiB of memory, 2 iterations,
    /// one lane.
    Argon2id,
}

impl PasswordHashing {
    /// The name used in `PASSWORD_HASH`.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordHashing::Bcrypt => "bcrypt",
            PasswordHashing::Argon2id => "argon2id",
        }
    }
}

impl FromStr for PasswordHashing {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bcrypt" => Ok(PasswordHashing::Bcrypt),
            "argon2id" => Ok(PasswordHashing::Argon2id),
            other => Err(Error::Config(format!(
                "password_hash: '{other}' is not supported (use bcrypt or argon2id)"
            ))),
        }
    }
}

/// A proxy (an address or a CIDR network) whose `X-Forwarded-For` header is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: std::net::IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Whether `addr` is this proxy (or inside this network).
    pub fn contains(&self, addr: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.network, addr.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

impl FromStr for TrustedProxy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::Config(format!(
                "trusted_proxies: '{s}' is not an IP address or CIDR network"
            ))
        };
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let network: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(TrustedProxy { network, prefix })
    }
}

/// A secret that never shows in `Debug` or `Display` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where the manager gets its MongoDB connection.
#[derive(Clone)]
#[non_exhaustive]
pub enum Connection {
    /// A connection string (`mongodb://...`, `mongodb+srv://...`).
    Uri(Secret),
    /// An existing client, shared with the application.
    Client(mongodb::Client),
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The URI may embed a password: show its scheme and host part only.
            Connection::Uri(uri) => {
                let shown = uri
                    .expose()
                    .rsplit_once('@')
                    .map(|(_, host)| format!("mongodb://***@{host}"))
                    .unwrap_or_else(|| uri.expose().to_owned());
                f.debug_tuple("Uri").field(&shown).finish()
            }
            Connection::Client(_) => f.write_str("Client(..)"),
        }
    }
}

/// A cluster besides the home one (which holds the catalog), where tenants' data may be
/// placed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Cluster {
    /// Its name, as recorded in the tenants placed on it.
    pub name: String,
    /// Its connection.
    pub connection: Connection,
    /// Tags a placement may ask for (a region, a tier).
    pub tags: Vec<String>,
}

impl Cluster {
    /// The cluster `name` at `uri`.
    pub fn new(name: impl Into<String>, uri: impl Into<String>) -> Self {
        Cluster {
            name: name.into(),
            connection: Connection::Uri(Secret::new(uri)),
            tags: Vec::new(),
        }
    }

    /// The cluster `name` reached through the application's own client.
    pub fn with_client(name: impl Into<String>, client: mongodb::Client) -> Self {
        Cluster {
            name: name.into(),
            connection: Connection::Client(client),
            tags: Vec::new(),
        }
    }

    /// Add a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
}

impl FromStr for Cluster {
    type Err = Error;

    /// `name=uri` or `name@tag+tag=uri` (the form of one `CLUSTERS` entry).
    fn from_str(s: &str) -> Result<Self> {
        let bad =
            || Error::Config("clusters: each entry must be name=uri or name@tag+tag=uri".into());
        let (head, uri) = s.trim().split_once('=').ok_or_else(bad)?;
        let (name, tags) = match head.split_once('@') {
            Some((name, tags)) => (name, tags.split('+').map(str::to_owned).collect()),
            None => (head, Vec::new()),
        };
        if uri.is_empty() {
            return Err(bad());
        }
        Ok(Cluster {
            tags,
            ..Cluster::new(name, uri)
        })
    }
}

/// How a tenant created without a cluster is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PlacementPolicy {
    /// On the home cluster (the default).
    #[default]
    Home,
    /// On the cluster (home included) holding the fewest tenants.
    FewestTenants,
}

impl PlacementPolicy {
    /// The name used in `PLACEMENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementPolicy::Home => "home",
            PlacementPolicy::FewestTenants => "fewest",
        }
    }
}

impl FromStr for PlacementPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "home" => Ok(PlacementPolicy::Home),
            "fewest" => Ok(PlacementPolicy::FewestTenants),
            other => Err(Error::Config(format!(
                "placement: '{other}' is not supported (use home or fewest)"
            ))),
        }
    }
}

/// Everything a [`TenantManager`](crate::TenantManager) needs. Build one with
/// [`Config::builder`] or [`Config::from_env`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The MongoDB connection.
    pub connection: Connection,
    /// The catalog: database holding `organizations`, `admin_users` and the other
    /// collections of the library (and the tenants' data unless `tenants_db` is set).
    pub master_db: String,
    /// Database of the tenants' data in the `collection` and `shared` layouts; `None`
    /// keeps it in `master_db` (the original service's layout). Set it so that an
    /// application's connection can be given the tenants' data without the catalog's
    /// credentials.
    pub tenants_db: Option<String>,
    /// The layout of a tenant created without one.
    pub layout: Layout,
    /// How physical names are made in the `collection` layout.
    pub naming: Naming,
    /// Clusters besides the home one, where tenants' data may be placed.
    pub clusters: Vec<Cluster>,
    /// How a tenant created without a cluster is placed.
    pub placement: PlacementPolicy,
    /// HMAC secret for access tokens.
    pub jwt_secret: Secret,
    /// Token signing algorithm (pinned).
    pub jwt_algorithm: JwtAlgorithm,
    /// Lifetime of an access token.
    pub jwt_expiry: Duration,
    /// The key that encrypts the private signing keys kept in MongoDB (`EdDSA` only; at
    /// least 32 bytes; every process of a deployment needs the same one).
    pub signing_key_secret: Option<Secret>,
    /// How often a new signing key is made (30 days); zero: only on demand
    /// ([`TenantManager::rotate_signing_key`](crate::TenantManager::rotate_signing_key)).
    pub signing_key_rotation: Duration,
    /// How long a new signing key is published before it signs (5 minutes), so that every
    /// process and every JWKS reader knows it first. At least a second.
    pub signing_key_lead: Duration,
    /// `iss` claim to set and require, if any.
    pub jwt_issuer: Option<String>,
    /// `aud` claim to set and require, if any.
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated when checking `exp`.
    pub jwt_leeway: Duration,
    /// bcrypt cost factor for new password hashes (4..=31).
    pub bcrypt_cost: u32,
    /// How new password hashes are made (bcrypt by default).
    pub password_hashing: PasswordHashing,
    /// Lifetime of a session's access token ([`TenantManager::login_session`]: 15 minutes).
    ///
    /// [`TenantManager::login_session`]: crate::TenantManager::login_session
    pub session_access_ttl: Duration,
    /// How long a session lasts from its login, whatever its refreshes (30 days).
    pub session_refresh_ttl: Duration,
    /// Shortest accepted new password, in characters.
    pub min_password_chars: usize,
    /// How long a lifecycle operation's owner may go without renewing its lease before
    /// `recover()` (or the next operation on the tenant) finishes or undoes it. Live owners
    /// renew it while they run. At least [`MIN_OPERATION_LEASE`].
    pub operation_lease: Duration,
    /// Brute-force protection of logins; `None` turns it off.
    pub login_throttle: Option<LoginThrottle>,
    /// How long a database call waits for a reachable server before failing with
    /// `DATABASE` (server selection and connection timeouts of a client built from a URI,
    /// unless the URI sets `serverSelectionTimeoutMS` / `connectTimeoutMS` itself; a
    /// client passed in keeps its own settings).
    pub database_timeout: Duration,
    /// Write concern of every lifecycle write.
    pub durability: Durability,
    /// How long the write-refusing tombstone left at a renamed tenant's old collection
    /// name is kept before `recover()` may drop it (a tenant taking the name sooner
    /// replaces it).
    pub tombstone_retention: Duration,
    /// How long a softly deleted tenant can be restored before it is purged; zero (the
    /// default, as the original service) makes a delete remove the tenant at once.
    pub deleted_retention: Duration,
    /// The schema every tenant's data follows (see [`Schema`](crate::Schema)), applied
    /// at connect as [`TenantManager::set_schema`](crate::TenantManager::set_schema)
    /// would.
    pub schema: Option<crate::Schema>,
    /// The file the schema was read from (`TENANT_SCHEMA_FILE`), when it was.
    pub schema_file: Option<String>,
    /// Proxies whose `X-Forwarded-For` header names the client (see
    /// [`TenantManager::client_address`](crate::TenantManager::client_address)).
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Entries (tenant records and admins) the hot path's cache may hold; 0 turns it off
    /// (see [`TenantManager::cache_stats`](crate::TenantManager::cache_stats)).
    pub cache_capacity: usize,
    /// The bearer token of operator calls (see
    /// [`TenantManager::check_operator`](crate::TenantManager::check_operator)); `None`
    /// turns them off.
    pub operator_token: Option<Secret>,
    /// Failpoints armed by tests.
    #[cfg(feature = "failpoints")]
    #[doc(hidden)]
    pub failpoints: Option<std::sync::Arc<crate::failpoints::Failpoints>>,
}

/// Brute-force protection of logins, counted in MongoDB so every process shares it.
///
/// Each attempt is reserved before its password is checked, on three counters:
/// - the (email, client) pair: `max_failures` within `window`, then `lockout`: one client
///   address locks only itself out of an account, never its owner elsewhere;
/// - the email alone: `account_max_failures` within `account_window` (OWASP ASVS 2.2.1:
///   at most 100 failures per hour on one account, from all addresses together);
/// - the client alone: `client_max_failures` within `window` (one address spraying many
///   emails).
///
/// A successful login gives its reservations back and clears its pair counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginThrottle {
    /// Failures of one (email, client) pair that trigger its lock-out.
    pub max_failures: u32,
    /// How long failures are remembered.
    pub window: Duration,
    /// How long a counter stays at its limit once reached.
    pub lockout: Duration,
    /// Failures of one email, from every client, within `account_window`.
    pub account_max_failures: u32,
    /// How long an email's failures are remembered.
    pub account_window: Duration,
    /// Failures of one client, over every email, within `window`.
    pub client_max_failures: u32,
}

impl LoginThrottle {
    /// A throttle with the given pair limits and the default account and client ceilings.
    pub fn new(max_failures: u32, window: Duration, lockout: Duration) -> Self {
        let default = LoginThrottle::default();
        LoginThrottle {
            max_failures,
            window,
            lockout,
            ..default
        }
    }

    /// Set the per-email ceiling.
    pub fn account_limit(mut self, max_failures: u32, window: Duration) -> Self {
        self.account_max_failures = max_failures;
        self.account_window = window;
        self
    }

    /// Set the per-client ceiling.
    pub fn client_limit(mut self, max_failures: u32) -> Self {
        self.client_max_failures = max_failures;
        self
    }
}

impl Default for LoginThrottle {
    /// 10 failures of a pair within 15 minutes lock it for 5 minutes; 100 failures of an
    /// email within an hour, or of a client within 15 minutes, lock that too.
    fn default() -> Self {
        LoginThrottle {
            max_failures: 10,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(5 * 60),
            account_max_failures: 100,
            account_window: Duration::from_secs(3600),
            client_max_failures: 100,
        }
    }
}

impl Config {
    /// Start a configuration from a connection string and a JWT secret; everything else
    /// takes the defaults of the original service.
    pub fn builder(mongo_uri: impl Into<String>, jwt_secret: impl Into<String>) -> ConfigBuilder {
        ConfigBuilder::new(Connection::Uri(Secret::new(mongo_uri)), jwt_secret)
    }

    /// Start a configuration from an existing client (shared connection pool).
    pub fn builder_with_client(
        client: mongodb::Client,
        jwt_secret: impl Into<String>,
    ) -> ConfigBuilder {
        ConfigBuilder::new(Connection::Client(client), jwt_secret)
    }

    /// Read the environment: every [`Settings`] field from its variable
    /// ([`Settings::FIELDS`]: `MONGO_URI` (or `MONGODB_URI`, default
    /// `mongodb://localhost:27017`), `MASTER_DB`, `JWT_SECRET` (required), `JWT_ALGO`,
    /// `JWT_EXPIRE_MINUTES`, `BCRYPT_COST`, ...).
    pub fn from_env() -> Result<Config> {
        Self::from_env_with(Settings::default())
    }

    /// [`Config::from_env`], with `overrides` taking precedence over the environment.
    pub fn from_env_with(overrides: Settings) -> Result<Config> {
        let given = overrides.to_map();
        Settings::from_lookup(|key| std::env::var(key).ok())?
            .overridden_by(overrides)
            .into_config()
            .map_err(|e| Settings::named_by_env(e, |name| !given.contains_key(name)))
    }

    /// The database of the tenants' data in the `collection` and `shared` layouts.
    pub fn tenants_db(&self) -> &str {
        self.tenants_db.as_deref().unwrap_or(&self.master_db)
    }

    /// Like [`Config::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        Settings::from_lookup(lookup)?
            .into_config()
            .map_err(|e| Settings::named_by_env(e, |_| true))
    }

    /// The configuration in force as [`Settings`]: what an application building its own
    /// driver client needs (the connection string, the master database), and every other
    /// value after defaults. The JWT secret is left out; the connection string is there
    /// only when the manager made its client from one.
    pub fn settings(&self) -> Settings {
        let secs = |d: Duration| Some(d.as_secs());
        let throttle = self.login_throttle;
        Settings {
            mongo_uri: match &self.connection {
                Connection::Uri(uri) => Some(uri.expose().to_owned()),
                Connection::Client(_) => None,
            },
            jwt_secret: None,
            master_db: Some(self.master_db.clone()),
            tenants_db: Some(self.tenants_db().to_owned()),
            tenant_layout: Some(self.layout.as_str().to_owned()),
            tenant_naming: Some(self.naming.as_str().to_owned()),
            // Their connection strings may hold passwords: names and tags only.
            clusters: (!self.clusters.is_empty()).then(|| {
                self.clusters
                    .iter()
                    .map(|c| match c.tags.is_empty() {
                        true => c.name.clone(),
                        false => format!("{}@{}", c.name, c.tags.join("+")),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            placement: Some(self.placement.as_str().to_owned()),
            jwt_algorithm: Some(self.jwt_algorithm.as_str().to_owned()),
            jwt_expire_minutes: Some(self.jwt_expiry.as_secs() / 60),
            // A secret: never given back.
            signing_key_secret: None,
            signing_key_rotation_seconds: Some(self.signing_key_rotation.as_secs()),
            signing_key_lead_seconds: secs(self.signing_key_lead),
            jwt_issuer: self.jwt_issuer.clone(),
            jwt_audience: self.jwt_audience.clone(),
            jwt_leeway_seconds: secs(self.jwt_leeway),
            bcrypt_cost: Some(self.bcrypt_cost),
            password_hash: Some(self.password_hashing.as_str().to_owned()),
            min_password_chars: Some(self.min_password_chars as u64),
            operation_lease_seconds: secs(self.operation_lease),
            login_max_failures: Some(throttle.map_or(0, |t| t.max_failures)),
            login_window_seconds: throttle.and_then(|t| secs(t.window)),
            login_lockout_seconds: throttle.and_then(|t| secs(t.lockout)),
            login_account_max_failures: throttle.map(|t| t.account_max_failures),
            login_client_max_failures: throttle.map(|t| t.client_max_failures),
            database_timeout_seconds: secs(self.database_timeout),
            write_concern: Some(self.durability.as_str().to_owned()),
            tombstone_retention_seconds: secs(self.tombstone_retention),
            deleted_retention_seconds: secs(self.deleted_retention),
            schema_file: self.schema_file.clone(),
            trusted_proxies: Some(
                self.trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            cache_capacity: Some(self.cache_capacity as u64),
            session_access_seconds: secs(self.session_access_ttl),
            session_refresh_seconds: secs(self.session_refresh_ttl),
            // A secret, like the JWT secret: never given back.
            operator_token: None,
        }
    }
}

/// One setting: its name (a keyword argument in Python; camelCase in a Node options
/// object), its environment variable, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Setting {
    /// The field of [`Settings`].
    pub name: &'static str,
    /// The environment variable `Config::from_env` reads it from.
    pub env: &'static str,
    /// What it means.
    pub doc: &'static str,
}

/// A value as a setting takes it, from an environment variable (a string), a Python
/// keyword argument or a JS option (a string, a number, a list).
trait FromSetting: Sized {
    fn from_setting(value: serde_json::Value) -> std::result::Result<Self, String>;
    fn to_setting(&self) -> serde_json::Value;
}

impl FromSetting for String {
    fn from_setting(value: serde_json::Value) -> std::result::Result<Self, String> {
        match value {
            serde_json::Value::String(s) => Ok(s),
            other => Err(format!("must be a string, not {other}")),
        }
    }

    fn to_setting(&self) -> serde_json::Value {
        self.clone().into()
    }
}

macro_rules! whole_number_setting {
    ($($t:ty),*) => {$(
        impl FromSetting for $t {
            fn from_setting(value: serde_json::Value) -> std::result::Result<Self, String> {
                let parsed = match &value {
                    serde_json::Value::Number(n) => n
                        .as_u64()
                        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64).map(|f| f as u64)),
                    serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                    _ => None,
                };
                parsed
                    .and_then(|n| <$t>::try_from(n).ok())
                    .ok_or_else(|| format!("must be a whole number from 0 to {}, not {value}", <$t>::MAX))
            }

            fn to_setting(&self) -> serde_json::Value {
                (*self as u64).into()
            }
        }
    )*};
}
whole_number_setting!(u32, u64);

impl FromSetting for Vec<String> {
    fn from_setting(value: serde_json::Value) -> std::result::Result<Self, String> {
        match value {
            serde_json::Value::String(s) => Ok(s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()),
            serde_json::Value::Array(items) => {
                items.into_iter().map(String::from_setting).collect()
            }
            other => Err(format!(
                "must be a list of strings (or one comma-separated string), not {other}"
            )),
        }
    }

    fn to_setting(&self) -> serde_json::Value {
        self.clone().into()
    }
}

/// Declares [`Settings`] and its table [`Settings::FIELDS`] from one list, so that the
/// fields, their environment variables and their parsing cannot drift apart.
macro_rules! settings {
    ($( $(#[doc = $doc:literal])+ $field:ident: $ty:ty => $env:literal, )*) => {
        /// The configuration as plain values (names, whole minutes and seconds, lists), the
        /// way an environment, a config file or a binding gives it. A field left `None`
        /// keeps the default; [`Settings::into_config`] parses and validates everything, so
        /// bindings and servers apply one policy. Deserializes from any mapping (serde),
        /// refusing unknown keys.
        #[derive(Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Settings {
            $( $(#[doc = $doc])+ pub $field: Option<$ty>, )*
        }

        impl Settings {
            /// Every setting, in order: the one list the bindings' options and the
            /// environment follow (tests check the bindings' stubs against it).
            pub const FIELDS: &'static [Setting] = &[
                $( Setting { name: stringify!($field), env: $env, doc: concat!($($doc),+) }, )*
            ];

            /// Settings from a mapping of names to values (strings, numbers, lists; null
            /// means unset). An unknown name or a value of the wrong kind is `CONFIG`.
            pub fn from_map(map: serde_json::Map<String, serde_json::Value>) -> Result<Self> {
                let mut settings = Settings::default();
                for (key, value) in map {
                    if value.is_null() {
                        continue;
                    }
                    match key.as_str() {
                        $( stringify!($field) => {
                            let parsed = <$ty as FromSetting>::from_setting(value)
                                .map_err(|e| Error::Config(format!("{}: {e}", stringify!($field))))?;
                            settings.$field = Some(parsed);
                        } )*
                        other => return Err(Error::Config(format!("unknown setting '{other}'"))),
                    }
                }
                Ok(settings)
            }

            /// The settings that are set, as a mapping (the inverse of [`from_map`](Self::from_map)).
            pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
                let mut map = serde_json::Map::new();
                $( if let Some(v) = &self.$field {
                    map.insert(stringify!($field).to_owned(), FromSetting::to_setting(v));
                } )*
                map
            }

            /// These settings, with every field `other` sets taken from `other`.
            pub fn overridden_by(mut self, other: Settings) -> Self {
                $( if other.$field.is_some() { self.$field = other.$field; } )*
                self
            }
        }
    };
}

settings! {
    /// Connection string (`mongodb://...`, `mongodb+srv://...`); `MONGODB_URI` is read when
    /// `MONGO_URI` is unset.
    mongo_uri: String => "MONGO_URI",
    /// HMAC secret of access tokens (required, at least 16 bytes).
    jwt_secret: String => "JWT_SECRET",
    /// Database of the tenant records, admins and tenant collections (`master_db`).
    master_db: String => "MASTER_DB",
    /// Database of the tenants' data, apart from the catalog (the master database).
    tenants_db: String => "TENANTS_DB",
    /// Layout of new tenants: `collection` (default), `database` or `shared`.
    tenant_layout: String => "TENANT_LAYOUT",
    /// Physical names in the `collection` layout: `slug` (default) or `stable`.
    tenant_naming: String => "TENANT_NAMING",
    /// Clusters besides the home one, space-separated `name=uri` or `name@tag+tag=uri`.
    clusters: String => "CLUSTERS",
    /// Placement of new tenants: `home` (default) or `fewest` (the emptiest cluster).
    placement: String => "PLACEMENT",
    /// `HS256` (default), `HS384` or `HS512`.
    jwt_algorithm: String => "JWT_ALGO",
    /// Token lifetime in minutes (1440).
    jwt_expire_minutes: u64 => "JWT_EXPIRE_MINUTES",
    /// Key encrypting the private signing keys (`EdDSA`; at least 32 bytes).
    signing_key_secret: String => "SIGNING_KEY_SECRET",
    /// Seconds between scheduled signing-key rotations (2592000); 0: only on demand.
    signing_key_rotation_seconds: u64 => "SIGNING_KEY_ROTATION_SECONDS",
    /// Seconds a new signing key is published before it signs (300; at least 1).
    signing_key_lead_seconds: u64 => "SIGNING_KEY_LEAD_SECONDS",
    /// `iss` to set and require.
    jwt_issuer: String => "JWT_ISSUER",
    /// `aud` to set and require.
    jwt_audience: String => "JWT_AUDIENCE",
    /// Clock skew tolerated on `exp`, in seconds (30, at most 300).
    jwt_leeway_seconds: u64 => "JWT_LEEWAY_SECONDS",
    /// bcrypt cost of new hashes (12; 4 to 31).
    bcrypt_cost: u32 => "BCRYPT_COST",
    /// Scheme of new password hashes: `bcrypt` (default) or `argon2id`.
    password_hash: String => "PASSWORD_HASH",
    /// Shortest accepted new password, in characters (8).
    min_password_chars: u64 => "MIN_PASSWORD_CHARS",
    /// Lease of a lifecycle operation, in seconds (30; at least 5).
    operation_lease_seconds: u64 => "OPERATION_LEASE_SECONDS",
    /// Failed logins of one (email, client) pair before a lock-out (10); 0 turns throttling off.
    login_max_failures: u32 => "LOGIN_MAX_FAILURES",
    /// How long failed logins are remembered, in seconds (900).
    login_window_seconds: u64 => "LOGIN_WINDOW_SECONDS",
    /// How long a counter stays at its limit, in seconds (300).
    login_lockout_seconds: u64 => "LOGIN_LOCKOUT_SECONDS",
    /// Failed logins of one email, from every client, within an hour (100).
    login_account_max_failures: u32 => "LOGIN_ACCOUNT_MAX_FAILURES",
    /// Failed logins of one client, over every email, within the window (100).
    login_client_max_failures: u32 => "LOGIN_CLIENT_MAX_FAILURES",
    /// How long a database call waits for a reachable server, in seconds (5).
    database_timeout_seconds: u64 => "DATABASE_TIMEOUT_SECONDS",
    /// `majority` (default), `journaled` or `server-default`.
    write_concern: String => "WRITE_CONCERN",
    /// How long a renamed tenant's old collection name keeps its tombstone, in seconds (86400).
    tombstone_retention_seconds: u64 => "TOMBSTONE_RETENTION_SECONDS",
    /// How long a deleted tenant stays restorable, in seconds (0: deletes are immediate).
    deleted_retention_seconds: u64 => "DELETED_RETENTION_SECONDS",
    /// A declarative schema every tenant's data follows (JSON, see `Schema::from_json`),
    /// read at start; `POST /admin/migrate` applies its migrations.
    schema_file: String => "TENANT_SCHEMA_FILE",
    /// Addresses or CIDR networks of trusted proxies (a list, or one comma-separated string).
    trusted_proxies: Vec<String> => "TRUSTED_PROXIES",
    /// Entries the hot path's cache may hold (100000); 0 turns the cache off.
    cache_capacity: u64 => "CACHE_CAPACITY",
    /// Lifetime of a session's access token, in seconds (900; at least 1).
    session_access_seconds: u64 => "SESSION_ACCESS_SECONDS",
    /// How long a session lasts from its login, whatever its refreshes, in seconds (2592000).
    session_refresh_seconds: u64 => "SESSION_REFRESH_SECONDS",
    /// Bearer token of the operator endpoints (moves); unset turns them off.
    operator_token: String => "OPERATOR_TOKEN",
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = self.to_map();
        for secret in ["jwt_secret", "operator_token", "signing_key_secret"] {
            if map.contains_key(secret) {
                map.insert(secret.into(), "***".into());
            }
        }
        if let Some(uri) = self.mongo_uri.as_deref() {
            map.insert(
                "mongo_uri".into(),
                format!("{:?}", Connection::Uri(Secret::new(uri))).into(),
            );
        }
        f.debug_tuple("Settings").field(&map).finish()
    }
}

impl<'de> serde::Deserialize<'de> for Settings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        Settings::from_map(map).map_err(serde::de::Error::custom)
    }
}

impl Settings {
    /// Settings with a connection string and a secret, everything else default.
    pub fn new(mongo_uri: impl Into<String>, jwt_secret: impl Into<String>) -> Self {
        Settings {
            mongo_uri: Some(mongo_uri.into()),
            jwt_secret: Some(jwt_secret.into()),
            ..Settings::default()
        }
    }

    /// Every setting whose variable `lookup` gives (an empty value counts as unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let mut map = serde_json::Map::new();
        for setting in Settings::FIELDS {
            let value = match setting.name {
                "mongo_uri" => get(setting.env).or_else(|| get("MONGODB_URI")),
                _ => get(setting.env),
            };
            if let Some(v) = value {
                map.insert(setting.name.to_owned(), v.into());
            }
        }
        Settings::from_map(map).map_err(|e| Settings::named_by_env(e, |_| true))
    }

    /// A `CONFIG` error about a setting (`name: problem`) with the setting named as the
    /// environment knows it, when `from_env(name)` says its value came from there.
    fn named_by_env(err: Error, from_env: impl Fn(&str) -> bool) -> Error {
        match err {
            Error::Config(message) => {
                let named = Settings::FIELDS
                    .iter()
                    .find(|s| message.starts_with(&format!("{}:", s.name)) && from_env(s.name))
                    .map(|s| message.replacen(s.name, s.env, 1));
                Error::Config(named.unwrap_or(message))
            }
            other => other,
        }
    }

    /// Parse and validate into a [`Config`].
    pub fn into_config(self) -> Result<Config> {
        let uri = self
            .mongo_uri
            .unwrap_or_else(|| "mongodb://localhost:27017".into());
        let secret = self
            .jwt_secret
            .ok_or_else(|| Error::Config("jwt_secret: must be set".into()))?;
        let mut b = Config::builder(uri, secret);
        if let Some(db) = self.master_db {
            b = b.master_db(db);
        }
        if let Some(db) = self.tenants_db {
            b = b.tenants_db(db);
        }
        if let Some(layout) = self.tenant_layout {
            b = b.layout(layout.parse().map_err(config_field("tenant_layout"))?);
        }
        if let Some(naming) = self.tenant_naming {
            b = b.naming(naming.parse().map_err(config_field("tenant_naming"))?);
        }
        if let Some(clusters) = self.clusters {
            for entry in clusters.split_whitespace() {
                b = b.cluster(entry.parse()?);
            }
        }
        if let Some(policy) = self.placement {
            b = b.placement(policy.parse()?);
        }
        if let Some(algorithm) = self.jwt_algorithm {
            b = b.jwt_algorithm(algorithm.parse()?);
        }
        if let Some(minutes) = self.jwt_expire_minutes {
            let secs = minutes
                .checked_mul(60)
                .ok_or_else(|| Error::Config("jwt_expire_minutes: is too large".into()))?;
            b = b.jwt_expiry(Duration::from_secs(secs));
        }
        if let Some(secret) = self.signing_key_secret {
            b = b.signing_key_secret(secret);
        }
        if let Some(secs) = self.signing_key_rotation_seconds {
            b = b.signing_key_rotation(Duration::from_secs(secs));
        }
        if let Some(secs) = self.signing_key_lead_seconds {
            b = b.signing_key_lead(Duration::from_secs(secs));
        }
        if let Some(issuer) = self.jwt_issuer {
            b = b.jwt_issuer(issuer);
        }
        if let Some(audience) = self.jwt_audience {
            b = b.jwt_audience(audience);
        }
        if let Some(secs) = self.jwt_leeway_seconds {
            b = b.jwt_leeway(Duration::from_secs(secs));
        }
        if let Some(cost) = self.bcrypt_cost {
            b = b.bcrypt_cost(cost);
        }
        if let Some(scheme) = self.password_hash {
            b = b.password_hashing(scheme.parse()?);
        }
        if let Some(chars) = self.min_password_chars {
            b = b.min_password_chars(usize::try_from(chars).unwrap_or(usize::MAX));
        }
        if let Some(secs) = self.operation_lease_seconds {
            b = b.operation_lease(Duration::from_secs(secs));
        }
        if let Some(secs) = self.database_timeout_seconds {
            b = b.database_timeout(Duration::from_secs(secs));
        }
        if let Some(concern) = self.write_concern {
            b = b.durability(concern.parse()?);
        }
        if let Some(secs) = self.tombstone_retention_seconds {
            b = b.tombstone_retention(Duration::from_secs(secs));
        }
        if let Some(secs) = self.deleted_retention_seconds {
            b = b.deleted_retention(Duration::from_secs(secs));
        }
        if let Some(path) = self.schema_file {
            b = b.schema_file(path)?;
        }
        if let Some(proxies) = self.trusted_proxies {
            let parsed = proxies
                .iter()
                .map(|p| p.parse())
                .collect::<Result<Vec<TrustedProxy>>>()?;
            b = b.trusted_proxies(parsed);
        }
        if let Some(entries) = self.cache_capacity {
            b = b.cache_capacity(usize::try_from(entries).unwrap_or(usize::MAX));
        }
        if let Some(secs) = self.session_access_seconds {
            b = b.session_access_ttl(Duration::from_secs(secs));
        }
        if let Some(secs) = self.session_refresh_seconds {
            b = b.session_refresh_ttl(Duration::from_secs(secs));
        }
        if let Some(token) = self.operator_token {
            b = b.operator_token(token);
        }
        let default = LoginThrottle::default();
        let throttle = LoginThrottle {
            max_failures: self.login_max_failures.unwrap_or(default.max_failures),
            window: self
                .login_window_seconds
                .map_or(default.window, Duration::from_secs),
            lockout: self
                .login_lockout_seconds
                .map_or(default.lockout, Duration::from_secs),
            account_max_failures: self
                .login_account_max_failures
                .unwrap_or(default.account_max_failures),
            account_window: default.account_window,
            client_max_failures: self
                .login_client_max_failures
                .unwrap_or(default.client_max_failures),
        };
        b = b.login_throttle((throttle.max_failures > 0).then_some(throttle));
        b.build()
    }
}

/// A setting's parse error as a `CONFIG` error naming the setting.
fn config_field(name: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::InvalidInput { message, .. } => Error::Config(format!("{name}: {message}")),
        other => other,
    }
}

/// Builder for [`Config`]; [`ConfigBuilder::build`] validates everything at once.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
    /// Tests may use leases below [`MIN_OPERATION_LEASE`].
    unchecked_lease: bool,
}

impl ConfigBuilder {
    fn new(connection: Connection, jwt_secret: impl Into<String>) -> Self {
        ConfigBuilder {
            config: Config {
                connection,
                master_db: "master_db".into(),
                tenants_db: None,
                layout: Layout::Collection,
                naming: Naming::Slug,
                clusters: Vec::new(),
                placement: PlacementPolicy::Home,
                jwt_secret: Secret::new(jwt_secret),
                jwt_algorithm: JwtAlgorithm::HS256,
                jwt_expiry: Duration::from_secs(1440 * 60),
                signing_key_secret: None,
                signing_key_rotation: Duration::from_secs(30 * 24 * 3600),
                signing_key_lead: Duration::from_secs(300),
                jwt_issuer: None,
                jwt_audience: None,
                jwt_leeway: Duration::from_secs(30),
                bcrypt_cost: bcrypt::DEFAULT_COST,
                password_hashing: PasswordHashing::Bcrypt,
                session_access_ttl: Duration::from_secs(15 * 60),
                session_refresh_ttl: Duration::from_secs(30 * 24 * 3600),
                min_password_chars: 8,
                operation_lease: Duration::from_secs(30),
                login_throttle: Some(LoginThrottle::default()),
                database_timeout: Duration::from_secs(5),
                durability: Durability::Majority,
                tombstone_retention: Duration::from_secs(24 * 3600),
                deleted_retention: Duration::ZERO,
                schema: None,
                schema_file: None,
                trusted_proxies: Vec::new(),
                cache_capacity: 100_000,
                operator_token: None,
                #[cfg(feature = "failpoints")]
                failpoints: None,
            },
            unchecked_lease: false,
        }
    }

    /// Master database name (default `master_db`).
    pub fn master_db(mut self, name: impl Into<String>) -> Self {
        self.config.master_db = name.into();
        self
    }

    /// Database of the tenants' data, apart from the catalog (default: the master
    /// database).
    pub fn tenants_db(mut self, name: impl Into<String>) -> Self {
        self.config.tenants_db = Some(name.into());
        self
    }

    /// Layout of a tenant created without one (default `collection`).
    pub fn layout(mut self, layout: Layout) -> Self {
        self.config.layout = layout;
        self
    }

    /// Physical names in the `collection` layout (default `slug`).
    pub fn naming(mut self, naming: Naming) -> Self {
        self.config.naming = naming;
        self
    }

    /// The bearer token of operator calls (at least 16 bytes).
    pub fn operator_token(mut self, token: impl Into<String>) -> Self {
        self.config.operator_token = Some(Secret::new(token));
        self
    }

    /// Add a cluster where tenants' data may be placed.
    pub fn cluster(mut self, cluster: Cluster) -> Self {
        self.config.clusters.push(cluster);
        self
    }

    /// How a tenant created without a cluster is placed (default: home).
    pub fn placement(mut self, policy: PlacementPolicy) -> Self {
        self.config.placement = policy;
        self
    }

    /// Token algorithm (default HS256).
    pub fn jwt_algorithm(mut self, algorithm: JwtAlgorithm) -> Self {
        self.config.jwt_algorithm = algorithm;
        self
    }

    /// The key that encrypts the private signing keys (`EdDSA`; at least 32 bytes).
    pub fn signing_key_secret(mut self, secret: impl Into<String>) -> Self {
        self.config.signing_key_secret = Some(Secret::new(secret));
        self
    }

    /// How often a new signing key is made; zero: only on demand.
    pub fn signing_key_rotation(mut self, every: Duration) -> Self {
        self.config.signing_key_rotation = every;
        self
    }

    /// How long a new signing key is published before it signs (at least a second).
    pub fn signing_key_lead(mut self, lead: Duration) -> Self {
        self.config.signing_key_lead = lead;
        self
    }

    /// Token lifetime (default 1440 minutes).
    pub fn jwt_expiry(mut self, expiry: Duration) -> Self {
        self.config.jwt_expiry = expiry;
        self
    }

    /// Issuer to set and require.
    pub fn jwt_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.config.jwt_issuer = Some(issuer.into());
        self
    }

    /// Audience to set and require.
    pub fn jwt_audience(mut self, audience: impl Into<String>) -> Self {
        self.config.jwt_audience = Some(audience.into());
        self
    }

    /// Tolerated clock skew (default 30 s, at most 5 minutes).
    pub fn jwt_leeway(mut self, leeway: Duration) -> Self {
        self.config.jwt_leeway = leeway;
        self
    }

    /// bcrypt cost (default 12).
    pub fn bcrypt_cost(mut self, cost: u32) -> Self {
        self.config.bcrypt_cost = cost;
        self
    }

    /// How new password hashes are made.
    pub fn password_hashing(mut self, scheme: PasswordHashing) -> Self {
        self.config.password_hashing = scheme;
        self
    }

    /// Lifetime of a session's access token (at least a second).
    pub fn session_access_ttl(mut self, ttl: Duration) -> Self {
        self.config.session_access_ttl = ttl;
        self
    }

    /// How long a session lasts from its login (at least a second).
    pub fn session_refresh_ttl(mut self, ttl: Duration) -> Self {
        self.config.session_refresh_ttl = ttl;
        self
    }

    /// Shortest accepted new password, in characters (default 8).
    pub fn min_password_chars(mut self, chars: usize) -> Self {
        self.config.min_password_chars = chars;
        self
    }

    /// Lease of a lifecycle operation before others may recover it (default 30 s, at
    /// least [`MIN_OPERATION_LEASE`]).
    pub fn operation_lease(mut self, lease: Duration) -> Self {
        self.config.operation_lease = lease;
        self
    }

    /// A lease of any length, below the minimum too: for tests of recovery only.
    #[cfg(feature = "failpoints")]
    #[doc(hidden)]
    pub fn operation_lease_for_tests(mut self, lease: Duration) -> Self {
        self.config.operation_lease = lease;
        self.unchecked_lease = true;
        self
    }

    /// Failpoints a test arms on this manager.
    #[cfg(feature = "failpoints")]
    #[doc(hidden)]
    pub fn failpoints(mut self, failpoints: std::sync::Arc<crate::failpoints::Failpoints>) -> Self {
        self.config.failpoints = Some(failpoints);
        self
    }

    /// How long a database call waits for a reachable server (default 5 s).
    pub fn database_timeout(mut self, timeout: Duration) -> Self {
        self.config.database_timeout = timeout;
        self
    }

    /// Write concern of lifecycle writes (default [`Durability::Majority`]).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.config.durability = durability;
        self
    }

    /// How long a renamed tenant's old collection name keeps its tombstone (default 24 h).
    pub fn tombstone_retention(mut self, retention: Duration) -> Self {
        self.config.tombstone_retention = retention;
        self
    }

    /// How long a deleted tenant stays restorable before it is purged (default zero: a
    /// delete removes the tenant at once, as the original service did).
    pub fn deleted_retention(mut self, retention: Duration) -> Self {
        self.config.deleted_retention = retention;
        self
    }

    /// The schema every tenant's data follows.
    pub fn schema(mut self, schema: crate::Schema) -> Self {
        self.config.schema = Some(schema);
        self
    }

    /// The schema, read from a JSON file (see [`Schema::from_json`](crate::Schema::from_json)).
    /// `CONFIG` when the file cannot be read or does not hold a schema.
    pub fn schema_file(mut self, path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("schema_file: cannot read '{path}': {e}")))?;
        let schema = crate::Schema::from_json(&text)
            .map_err(|e| Error::Config(format!("schema_file: '{path}': {e}")))?;
        self.config.schema = Some(schema);
        self.config.schema_file = Some(path);
        Ok(self)
    }

    /// Proxies whose `X-Forwarded-For` header is believed (default none).
    pub fn trusted_proxies(mut self, proxies: Vec<TrustedProxy>) -> Self {
        self.config.trusted_proxies = proxies;
        self
    }

    /// Entries the hot path's cache may hold (default 100,000); 0 turns it off.
    pub fn cache_capacity(mut self, entries: usize) -> Self {
        self.config.cache_capacity = entries;
        self
    }

    /// Brute-force protection (default [`LoginThrottle::default`]); `None` turns it off.
    pub fn login_throttle(mut self, throttle: Option<LoginThrottle>) -> Self {
        self.config.login_throttle = throttle;
        self
    }

    /// Validate and finish.
    pub fn build(self) -> Result<Config> {
        let c = &self.config;
        validate_database_name(&c.master_db)?;
        if let Some(db) = &c.tenants_db {
            validate_database_name(db).map_err(|e| match e {
                Error::Config(m) => Error::Config(m.replacen("master_db", "tenants_db", 1)),
                other => other,
            })?;
        }
        let mut names = vec![crate::placement::HOME_CLUSTER];
        for cluster in &c.clusters {
            let n = cluster.name.as_str();
            let valid = |s: &str| {
                !s.is_empty()
                    && s.len() <= 64
                    && s.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            };
            if !valid(n) || !cluster.tags.iter().all(|t| valid(t)) {
                return Err(Error::Config(format!(
                    "clusters: '{n}': names and tags are 1 to 64 letters, digits, '-' or '_'"
                )));
            }
            if names.contains(&n) {
                return Err(Error::Config(format!(
                    "clusters: '{n}' is named twice (or is the home cluster's name)"
                )));
            }
            names.push(n);
        }
        if c.operator_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            return Err(Error::Config(
                "operator_token: must be at least 16 bytes".into(),
            ));
        }
        if c.jwt_secret.expose().len() < 16 {
            return Err(Error::Config(
                "jwt_secret: must be at least 16 bytes".into(),
            ));
        }
        match (&c.signing_key_secret, c.jwt_algorithm.is_asymmetric()) {
            (Some(k), _) if k.expose().len() < 32 => {
                return Err(Error::Config(
                    "signing_key_secret: must be at least 32 bytes".into(),
                ))
            }
            (None, true) => {
                return Err(Error::Config(format!(
                    "signing_key_secret: is required with jwt_algorithm {}",
                    c.jwt_algorithm
                )))
            }
            _ => {}
        }
        if c.signing_key_lead < Duration::from_secs(1) {
            return Err(Error::Config(
                "signing_key_lead_seconds: must be at least 1".into(),
            ));
        }
        if c.session_access_ttl < Duration::from_secs(1)
            || c.session_refresh_ttl < Duration::from_secs(1)
        {
            return Err(Error::Config(
                "session_access_ttl and session_refresh_ttl: must be at least a second".into(),
            ));
        }
        if !(4..=31).contains(&c.bcrypt_cost) {
            return Err(Error::Config("bcrypt_cost: must be from 4 to 31".into()));
        }
        if c.jwt_expiry.is_zero() || c.jwt_expiry > MAX_JWT_EXPIRY {
            return Err(Error::Config(
                "jwt_expire_minutes: must be positive and at most 10 years".into(),
            ));
        }
        if c.jwt_leeway > Duration::from_secs(300) {
            return Err(Error::Config(
                "jwt_leeway_seconds: must be at most 300".into(),
            ));
        }
        if let Some(t) = &c.login_throttle {
            let limits = [
                ("login_max_failures", t.max_failures),
                ("login_account_max_failures", t.account_max_failures),
                ("login_client_max_failures", t.client_max_failures),
            ];
            if let Some((name, _)) = limits.iter().find(|(_, n)| *n == 0) {
                return Err(Error::Config(format!("{name}: must be at least 1")));
            }
            let spans = [
                ("login_window_seconds", t.window),
                ("login_lockout_seconds", t.lockout),
                ("login account window", t.account_window),
            ];
            if let Some((name, _)) = spans.iter().find(|(_, d)| d.is_zero()) {
                return Err(Error::Config(format!("{name}: must be at least 1")));
            }
        }
        if c.operation_lease < MIN_OPERATION_LEASE && !self.unchecked_lease {
            return Err(Error::Config(format!(
                "operation_lease_seconds: must be at least {}",
                MIN_OPERATION_LEASE.as_secs()
            )));
        }
        if c.operation_lease > Duration::from_secs(24 * 3600) {
            return Err(Error::Config(
                "operation_lease_seconds: must be at most 86400".into(),
            ));
        }
        if c.database_timeout.is_zero() || c.database_timeout > Duration::from_secs(300) {
            return Err(Error::Config(
                "database_timeout_seconds: must be from 1 to 300".into(),
            ));
        }
        if c.min_password_chars == 0 {
            return Err(Error::Config(
                "min_password_chars: must be at least 1".into(),
            ));
        }
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let config = Config::builder(
            "mongodb://user:hunter2hunter2@db.example:27017",
            "super-secret-signing-key",
        )
        .build()
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(shown.contains("db.example:27017"), "{shown}");
    }

    #[test]
    fn env_defaults_match_the_original() {
        let c = Config::from_lookup(|k| (k == "JWT_SECRET").then(|| "0123456789abcdef".into()))
            .unwrap();
        assert_eq!(c.master_db, "master_db");
        assert_eq!(c.jwt_algorithm, JwtAlgorithm::HS256);
        assert_eq!(c.jwt_expiry, Duration::from_secs(86_400));
        assert_eq!(c.bcrypt_cost, 12);
    }

    #[test]
    fn settings_apply_one_policy() {
        let mut s = Settings::new("mongodb://x", "0123456789abcdef");
        s.login_max_failures = Some(0);
        assert_eq!(s.into_config().unwrap().login_throttle, None);
        let mut s = Settings::new("mongodb://x", "0123456789abcdef");
        s.login_lockout_seconds = Some(7);
        let throttle = s.into_config().unwrap().login_throttle.unwrap();
        assert_eq!(throttle.lockout, Duration::from_secs(7));
        assert_eq!(throttle.max_failures, LoginThrottle::default().max_failures);
        let mut s = Settings::new("mongodb://x", "0123456789abcdef");
        s.jwt_expire_minutes = Some(u64::MAX);
        assert_eq!(s.into_config().unwrap_err().code(), "CONFIG");
        assert!(!format!(
            "{:?}",
            Settings::new("mongodb://u:pw@h", "0123456789abcdef")
        )
        .contains("pw"));
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let base = |k: &str, v: &str| {
            let (k, v) = (k.to_owned(), v.to_owned());
            Config::from_lookup(move |key| match key {
                "JWT_SECRET" => Some("0123456789abcdef".into()),
                _ if key == k => Some(v.clone()),
                _ => None,
            })
        };
        for (k, v) in [
            ("JWT_ALGO", "none"),
            ("JWT_ALGO", "RS256"),
            ("JWT_EXPIRE_MINUTES", "soon"),
            ("BCRYPT_COST", "3"),
            ("JWT_EXPIRE_MINUTES", "1000000000000"),
            ("JWT_EXPIRE_MINUTES", "18446744073709551615"),
            ("MASTER_DB", "a.b"),
        ] {
            assert_eq!(base(k, v).unwrap_err().code(), "CONFIG", "{k}={v}");
        }
        assert!(Config::from_lookup(|_| None).is_err());
        assert!(Config::builder("mongodb://x", "short").build().is_err());
    }
}
