//! Typed configuration of a [`TenantManager`](crate::TenantManager), with a builder and an
//! environment reader that all example servers share.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::naming::validate_database_name;

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
}

impl JwtAlgorithm {
    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            JwtAlgorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            JwtAlgorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            JwtAlgorithm::HS512 => jsonwebtoken::Algorithm::HS512,
        }
    }

    /// The name used in JWT headers and in `JWT_ALGO`.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
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
            other => Err(Error::Config(format!(
                "unsupported JWT algorithm '{other}' (use HS256, HS384 or HS512)"
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

/// Everything a [`TenantManager`](crate::TenantManager) needs. Build one with
/// [`Config::builder`] or [`Config::from_env`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The MongoDB connection.
    pub connection: Connection,
    /// Database holding `organizations`, `admin_users` and the tenant collections.
    pub master_db: String,
    /// HMAC secret for access tokens.
    pub jwt_secret: Secret,
    /// Token signing algorithm (pinned).
    pub jwt_algorithm: JwtAlgorithm,
    /// Lifetime of an access token.
    pub jwt_expiry: Duration,
    /// `iss` claim to set and require, if any.
    pub jwt_issuer: Option<String>,
    /// `aud` claim to set and require, if any.
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated when checking `exp`.
    pub jwt_leeway: Duration,
    /// bcrypt cost factor for new password hashes (4..=31).
    pub bcrypt_cost: u32,
    /// Shortest accepted new password, in characters.
    pub min_password_chars: usize,
    /// How long an interrupted lifecycle operation is left to its owner before
    /// `recover()` (or the next operation on the tenant) finishes or undoes it.
    pub operation_lease: Duration,
    /// Brute-force protection of logins; `None` turns it off.
    pub login_throttle: Option<LoginThrottle>,
}

/// Failed logins are counted per email (and per client key, when the caller passes one)
/// in MongoDB, so every process shares the count. `max_failures` failures within `window`
/// lock logins for that key for `lockout`; a successful login resets the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginThrottle {
    /// Failures that trigger the lock-out.
    pub max_failures: u32,
    /// How long failures are remembered.
    pub window: Duration,
    /// How long logins are refused once the limit is reached.
    pub lockout: Duration,
}

impl LoginThrottle {
    /// A throttle with the given limits.
    pub fn new(max_failures: u32, window: Duration, lockout: Duration) -> Self {
        LoginThrottle {
            max_failures,
            window,
            lockout,
        }
    }
}

impl Default for LoginThrottle {
    /// 10 failures within 15 minutes lock the key for 5 minutes.
    fn default() -> Self {
        LoginThrottle::new(
            10,
            Duration::from_secs(15 * 60),
            Duration::from_secs(5 * 60),
        )
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

    /// Read the original service's environment: `MONGO_URI` (or `MONGODB_URI`, default
    /// `mongodb://localhost:27017`), `MASTER_DB`, `JWT_SECRET` (required), `JWT_ALGO`,
    /// `JWT_EXPIRE_MINUTES`, plus `BCRYPT_COST`, `JWT_ISSUER`, `JWT_AUDIENCE` and
    /// `LOGIN_MAX_FAILURES` (`0` turns login throttling off).
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        fn number<T: FromStr>(key: &str, value: Option<String>, what: &str) -> Result<Option<T>> {
            value
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|_| Error::Config(format!("{key} must be {what}")))
                })
                .transpose()
        }
        let uri = get("MONGO_URI")
            .or_else(|| get("MONGODB_URI"))
            .unwrap_or_else(|| "mongodb://localhost:27017".into());
        let secret =
            get("JWT_SECRET").ok_or_else(|| Error::Config("JWT_SECRET must be set".into()))?;
        let mut settings = Settings::new(uri, secret);
        settings.master_db = get("MASTER_DB");
        settings.jwt_algorithm = get("JWT_ALGO");
        settings.jwt_expire_minutes = number(
            "JWT_EXPIRE_MINUTES",
            get("JWT_EXPIRE_MINUTES"),
            "a whole number of minutes",
        )?;
        settings.bcrypt_cost = number("BCRYPT_COST", get("BCRYPT_COST"), "a number from 4 to 31")?;
        settings.login_max_failures = number(
            "LOGIN_MAX_FAILURES",
            get("LOGIN_MAX_FAILURES"),
            "a whole number (0 turns it off)",
        )?;
        settings.jwt_issuer = get("JWT_ISSUER");
        settings.jwt_audience = get("JWT_AUDIENCE");
        settings.into_config()
    }
}

/// The configuration as plain values (names, whole minutes and seconds), the way an
/// environment, a config file or a binding gives it. A field left `None` keeps the
/// default; [`Settings::into_config`] parses and validates everything, so bindings and
/// servers apply one policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Connection string.
    pub mongo_uri: Secret,
    /// HMAC secret for tokens.
    pub jwt_secret: Secret,
    /// Master database name.
    pub master_db: Option<String>,
    /// `HS256`, `HS384` or `HS512`.
    pub jwt_algorithm: Option<String>,
    /// Token lifetime in minutes.
    pub jwt_expire_minutes: Option<u64>,
    /// `iss` to set and require.
    pub jwt_issuer: Option<String>,
    /// `aud` to set and require.
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated on `exp`, in seconds.
    pub jwt_leeway_seconds: Option<u64>,
    /// bcrypt cost of new hashes.
    pub bcrypt_cost: Option<u32>,
    /// Shortest accepted new password, in characters.
    pub min_password_chars: Option<usize>,
    /// Lease of a lifecycle operation, in seconds.
    pub operation_lease_seconds: Option<u64>,
    /// Failed logins before a lock-out; `0` turns throttling off.
    pub login_max_failures: Option<u32>,
    /// How long failed logins are remembered, in seconds.
    pub login_window_seconds: Option<u64>,
    /// How long a lock-out lasts, in seconds.
    pub login_lockout_seconds: Option<u64>,
}

impl Settings {
    /// Settings with a connection string and a secret, everything else default.
    pub fn new(mongo_uri: impl Into<String>, jwt_secret: impl Into<String>) -> Self {
        Settings {
            mongo_uri: Secret::new(mongo_uri),
            jwt_secret: Secret::new(jwt_secret),
            master_db: None,
            jwt_algorithm: None,
            jwt_expire_minutes: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_leeway_seconds: None,
            bcrypt_cost: None,
            min_password_chars: None,
            operation_lease_seconds: None,
            login_max_failures: None,
            login_window_seconds: None,
            login_lockout_seconds: None,
        }
    }

    /// Parse and validate into a [`Config`].
    pub fn into_config(self) -> Result<Config> {
        let mut b = Config::builder(self.mongo_uri.0, self.jwt_secret.0);
        if let Some(db) = self.master_db {
            b = b.master_db(db);
        }
        if let Some(algorithm) = self.jwt_algorithm {
            b = b.jwt_algorithm(algorithm.parse()?);
        }
        if let Some(minutes) = self.jwt_expire_minutes {
            let secs = minutes
                .checked_mul(60)
                .ok_or_else(|| Error::Config("JWT expiry is too large".into()))?;
            b = b.jwt_expiry(Duration::from_secs(secs));
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
        if let Some(chars) = self.min_password_chars {
            b = b.min_password_chars(chars);
        }
        if let Some(secs) = self.operation_lease_seconds {
            b = b.operation_lease(Duration::from_secs(secs));
        }
        let (max, window, lockout) = (
            self.login_max_failures,
            self.login_window_seconds,
            self.login_lockout_seconds,
        );
        if max.is_some() || window.is_some() || lockout.is_some() {
            let default = LoginThrottle::default();
            let max = max.unwrap_or(default.max_failures);
            let window = window.map_or(default.window, Duration::from_secs);
            let lockout = lockout.map_or(default.lockout, Duration::from_secs);
            b = b.login_throttle((max > 0).then(|| LoginThrottle::new(max, window, lockout)));
        }
        b.build()
    }
}

/// Builder for [`Config`]; [`ConfigBuilder::build`] validates everything at once.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl ConfigBuilder {
    fn new(connection: Connection, jwt_secret: impl Into<String>) -> Self {
        ConfigBuilder {
            config: Config {
                connection,
                master_db: "master_db".into(),
                jwt_secret: Secret::new(jwt_secret),
                jwt_algorithm: JwtAlgorithm::HS256,
                jwt_expiry: Duration::from_secs(1440 * 60),
                jwt_issuer: None,
                jwt_audience: None,
                jwt_leeway: Duration::from_secs(30),
                bcrypt_cost: bcrypt::DEFAULT_COST,
                min_password_chars: 8,
                operation_lease: Duration::from_secs(30),
                login_throttle: Some(LoginThrottle::default()),
            },
        }
    }

    /// Master database name (default `master_db`).
    pub fn master_db(mut self, name: impl Into<String>) -> Self {
        self.config.master_db = name.into();
        self
    }

    /// Token algorithm (default HS256).
    pub fn jwt_algorithm(mut self, algorithm: JwtAlgorithm) -> Self {
        self.config.jwt_algorithm = algorithm;
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

    /// Shortest accepted new password, in characters (default 8).
    pub fn min_password_chars(mut self, chars: usize) -> Self {
        self.config.min_password_chars = chars;
        self
    }

    /// Lease of a lifecycle operation before others may recover it (default 30 s).
    pub fn operation_lease(mut self, lease: Duration) -> Self {
        self.config.operation_lease = lease;
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
        if c.jwt_secret.expose().len() < 16 {
            return Err(Error::Config("JWT secret must be at least 16 bytes".into()));
        }
        if !(4..=31).contains(&c.bcrypt_cost) {
            return Err(Error::Config("bcrypt cost must be from 4 to 31".into()));
        }
        if c.jwt_expiry.is_zero() || c.jwt_expiry > MAX_JWT_EXPIRY {
            return Err(Error::Config(
                "JWT expiry must be positive and at most 10 years".into(),
            ));
        }
        if c.jwt_leeway > Duration::from_secs(300) {
            return Err(Error::Config("JWT leeway must be at most 5 minutes".into()));
        }
        if let Some(t) = &c.login_throttle {
            if t.max_failures == 0 || t.window.is_zero() || t.lockout.is_zero() {
                return Err(Error::Config(
                    "login throttle needs at least 1 failure, a window and a lock-out".into(),
                ));
            }
        }
        if c.min_password_chars == 0 {
            return Err(Error::Config(
                "minimum password length must be at least 1".into(),
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
