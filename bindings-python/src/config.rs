//! Keyword arguments of `TenantManager.connect` to the core's [`tenantry::Config`].
//!
//! Only conversion happens here: an argument left at `None` is not passed to the builder,
//! so the defaults are the core's, and every check is `ConfigBuilder::build`'s.

use std::time::Duration;

use tenantry::{Config, JwtAlgorithm, LoginThrottle};

/// The arguments of `connect`, as Python gave them.
pub(crate) struct ConnectArgs {
    pub mongo_uri: String,
    pub jwt_secret: String,
    pub master_db: Option<String>,
    pub jwt_algorithm: Option<String>,
    pub jwt_expire_minutes: Option<u64>,
    pub bcrypt_cost: Option<u32>,
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Option<String>,
    pub jwt_leeway_seconds: Option<u64>,
    pub min_password_chars: Option<usize>,
    pub operation_lease_seconds: Option<u64>,
    pub login_max_failures: Option<u32>,
    pub login_window_seconds: Option<u64>,
    pub login_lockout_seconds: Option<u64>,
}

impl ConnectArgs {
    /// Build and validate the core configuration.
    pub(crate) fn into_config(self) -> tenantry::Result<Config> {
        let mut builder = Config::builder(self.mongo_uri, self.jwt_secret);
        if let Some(db) = self.master_db {
            builder = builder.master_db(db);
        }
        if let Some(algorithm) = self.jwt_algorithm {
            builder = builder.jwt_algorithm(algorithm.parse::<JwtAlgorithm>()?);
        }
        if let Some(minutes) = self.jwt_expire_minutes {
            // Saturating: an absurd lifetime is still refused, by the core, as CONFIG.
            builder = builder.jwt_expiry(Duration::from_secs(minutes.saturating_mul(60)));
        }
        if let Some(cost) = self.bcrypt_cost {
            builder = builder.bcrypt_cost(cost);
        }
        if let Some(issuer) = self.jwt_issuer {
            builder = builder.jwt_issuer(issuer);
        }
        if let Some(audience) = self.jwt_audience {
            builder = builder.jwt_audience(audience);
        }
        if let Some(secs) = self.jwt_leeway_seconds {
            builder = builder.jwt_leeway(Duration::from_secs(secs));
        }
        if let Some(chars) = self.min_password_chars {
            builder = builder.min_password_chars(chars);
        }
        if let Some(secs) = self.operation_lease_seconds {
            builder = builder.operation_lease(Duration::from_secs(secs));
        }
        if self.login_max_failures.is_some()
            || self.login_window_seconds.is_some()
            || self.login_lockout_seconds.is_some()
        {
            let default = LoginThrottle::default();
            let max = self.login_max_failures.unwrap_or(default.max_failures);
            let seconds = |given: Option<u64>, default| given.map_or(default, Duration::from_secs);
            // 0 failures turns the throttle off, as LOGIN_MAX_FAILURES=0 does in the core.
            builder = builder.login_throttle((max > 0).then(|| {
                LoginThrottle::new(
                    max,
                    seconds(self.login_window_seconds, default.window),
                    seconds(self.login_lockout_seconds, default.lockout),
                )
            }));
        }
        builder.build()
    }
}
