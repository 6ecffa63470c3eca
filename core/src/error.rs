//! The one error type of the crate, with a stable machine-readable code per kind.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a [`TenantManager`](crate::TenantManager) call.
///
/// Match on the variant in Rust, or on [`Error::code`] across languages: the codes are
/// stable and the bindings pass them on unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No tenant answers to that name.
    #[error("tenant not found: {name}")]
    NotFound {
        /// The name that was asked for.
        name: String,
    },
    /// A unique key is already taken: a tenant name (after normalization), or an admin
    /// email (case-insensitively); or the name's collection holds data no tenant owns.
    #[error("{message}")]
    AlreadyExists {
        /// The input whose value is taken (`"name"`, `"new_name"`, `"email"`).
        field: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// The input was rejected before anything was written.
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The offending input field.
        field: &'static str,
        /// Why it was rejected.
        message: String,
    },
    /// Login failed: unknown email or wrong password (deliberately indistinguishable).
    #[error("Invalid email or password")]
    InvalidCredentials,
    /// The access token is missing, malformed, expired, revoked or signed with another key.
    #[error("invalid token: {reason}")]
    Unauthorized {
        /// Why the token was refused.
        reason: String,
    },
    /// The token is valid but its holder may not act on the tenant named.
    #[error("{message}")]
    Forbidden {
        /// Human-readable explanation.
        message: String,
    },
    /// Another lifecycle operation on the same tenant is in progress, or this one was taken
    /// over by recovery; retry.
    #[error("{message}")]
    Conflict {
        /// Human-readable explanation.
        message: String,
    },
    /// The tenant is suspended: its logins, tokens and keys are refused until it is
    /// resumed (its data is untouched).
    #[error("tenant suspended: {name}")]
    Suspended {
        /// The tenant's name.
        name: String,
    },
    /// The change would leave the tenant without an owner: its last owner cannot be
    /// removed or demoted (promote another member first).
    #[error("the last owner of a tenant cannot be removed or demoted")]
    LastOwner,
    /// Too many failed logins; retry after the given number of seconds.
    #[error("too many failed login attempts; retry in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds until logins for this account are accepted again.
        retry_after_secs: u64,
    },
    /// The configuration is unusable (bad URI, weak secret, unsupported algorithm...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The manager was closed; make another.
    #[error("the tenant manager is closed")]
    Closed,
    /// The database failed or could not be reached. The message says which way, without
    /// the driver's own text (server addresses, topology, names of collections); the
    /// driver's error stays available as [`std::error::Error::source`] for logs.
    #[error("database error: {}", database_summary(.0))]
    Database(#[source] mongodb::error::Error),
    /// An invariant of the library itself broke (a bug, or a corrupted document).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable, machine-readable code of this error kind.
    ///
    /// | code | meaning |
    /// |---|---|
    /// | `TENANT_NOT_FOUND` | no such tenant or admin |
    /// | `TENANT_ALREADY_EXISTS` | name or email taken |
    /// | `INVALID_INPUT` | rejected input; nothing written |
    /// | `INVALID_CREDENTIALS` | wrong email or password |
    /// | `UNAUTHORIZED` | bad, expired or revoked token |
    /// | `FORBIDDEN` | token of another tenant |
    /// | `CONFLICT` | concurrent lifecycle operation |
    /// | `TOO_MANY_ATTEMPTS` | login throttled |
    /// | `CONFIG` | unusable configuration |
    /// | `CLOSED` | the manager was closed |
    /// | `DATABASE` | MongoDB failed |
    /// | `INTERNAL` | a bug |
    /// | `TENANT_SUSPENDED` | the tenant is suspended |
    /// | `LAST_OWNER` | the tenant's last owner cannot be removed or demoted |
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "TENANT_NOT_FOUND",
            Error::AlreadyExists { .. } => "TENANT_ALREADY_EXISTS",
            Error::InvalidInput { .. } => "INVALID_INPUT",
            Error::InvalidCredentials => "INVALID_CREDENTIALS",
            Error::Unauthorized { .. } => "UNAUTHORIZED",
            Error::Forbidden { .. } => "FORBIDDEN",
            Error::Conflict { .. } => "CONFLICT",
            Error::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            Error::Config(_) => "CONFIG",
            Error::Closed => "CLOSED",
            Error::Database(_) => "DATABASE",
            Error::Internal(_) => "INTERNAL",
            Error::Suspended { .. } => "TENANT_SUSPENDED",
            Error::LastOwner => "LAST_OWNER",
        }
    }

    /// Every code [`Error::code`] can return.
    pub const CODES: &'static [&'static str] = &[
        "TENANT_NOT_FOUND",
        "TENANT_ALREADY_EXISTS",
        "INVALID_INPUT",
        "INVALID_CREDENTIALS",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "CONFLICT",
        "TOO_MANY_ATTEMPTS",
        "CONFIG",
        "CLOSED",
        "DATABASE",
        "INTERNAL",
        "TENANT_SUSPENDED",
        "LAST_OWNER",
    ];

    /// A representative error of the given code, or `None` for a code not in
    /// [`Error::CODES`].
    ///
    /// For testing the mapping of errors to responses (or to another language's
    /// exceptions), including the kinds a healthy server never produces on demand
    /// (`TOO_MANY_ATTEMPTS`, `DATABASE`, `INTERNAL`).
    ///
    /// ```
    /// let err = tenantry::Error::sample("TOO_MANY_ATTEMPTS").unwrap();
    /// assert_eq!(err.code(), "TOO_MANY_ATTEMPTS");
    /// assert!(tenantry::Error::sample("NO_SUCH_CODE").is_none());
    /// ```
    pub fn sample(code: &str) -> Option<Self> {
        Some(match code {
            "TENANT_NOT_FOUND" => Error::not_found("Sample Corp"),
            "TENANT_ALREADY_EXISTS" => Error::email_taken(),
            "INVALID_INPUT" => Error::invalid("password", "is too short"),
            "INVALID_CREDENTIALS" => Error::InvalidCredentials,
            "UNAUTHORIZED" => Error::unauthorized("token has expired"),
            "FORBIDDEN" => Error::forbidden(),
            "CONFLICT" => Error::busy(),
            "TOO_MANY_ATTEMPTS" => Error::TooManyAttempts {
                retry_after_secs: 42,
            },
            "CONFIG" => Error::Config("jwt_secret: must be set".into()),
            "CLOSED" => Error::Closed,
            "DATABASE" => Error::Database(mongodb::error::Error::from(std::io::Error::other(
                "connection reset",
            ))),
            "INTERNAL" => Error::internal("sample internal error"),
            "TENANT_SUSPENDED" => Error::Suspended {
                name: "Sample Corp".into(),
            },
            "LAST_OWNER" => Error::LastOwner,
            _ => return None,
        })
    }

    /// The input an error is about (`name`, `new_name`, `email`, `password`, ...), when
    /// there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::AlreadyExists { field, .. } | Error::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The explanation alone, without the field or the kind of error in front: what a
    /// caller shows beside [`field`](Self::field).
    pub fn reason(&self) -> String {
        match self {
            Error::NotFound { .. } => "no tenant has this name".into(),
            Error::Suspended { .. } => "the tenant is suspended".into(),
            Error::LastOwner => "the tenant's last owner cannot be removed or demoted".into(),
            Error::AlreadyExists { message, .. }
            | Error::InvalidInput { message, .. }
            | Error::Forbidden { message }
            | Error::Conflict { message } => message.clone(),
            Error::Unauthorized { reason } => reason.clone(),
            Error::InvalidCredentials => "invalid email or password".into(),
            Error::TooManyAttempts { retry_after_secs } => {
                format!("too many failed login attempts; retry in {retry_after_secs} s")
            }
            Error::Config(message) | Error::Internal(message) => message.clone(),
            Error::Closed => "the tenant manager is closed".into(),
            Error::Database(e) => database_summary(e),
        }
    }

    /// How long to wait before trying again, for `TOO_MANY_ATTEMPTS`.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::TooManyAttempts { retry_after_secs } => {
                Some(std::time::Duration::from_secs(*retry_after_secs))
            }
            _ => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl fmt::Display) -> Self {
        Error::InvalidInput {
            field,
            message: message.to_string(),
        }
    }

    pub(crate) fn unauthorized(reason: impl fmt::Display) -> Self {
        Error::Unauthorized {
            reason: reason.to_string(),
        }
    }

    pub(crate) fn internal(message: impl fmt::Display) -> Self {
        Error::Internal(message.to_string())
    }

    pub(crate) fn not_found(name: &str) -> Self {
        Error::NotFound {
            name: name.to_owned(),
        }
    }

    pub(crate) fn forbidden() -> Self {
        Error::Forbidden {
            message: "these claims are not the named tenant's".into(),
        }
    }

    pub(crate) fn busy() -> Self {
        Error::Conflict {
            message: "another operation on this tenant is in progress; retry shortly".into(),
        }
    }

    /// The running process lost its operation to a recoverer (its lease ran out).
    pub(crate) fn lost() -> Self {
        Error::Conflict {
            message: "the operation was taken over by recovery after its lease ran out; \
                      it has been finished or undone there: read the tenant again"
                .into(),
        }
    }

    /// A name whose storage holds data no tenant owns.
    pub(crate) fn storage_taken(field: &'static str) -> Self {
        Error::AlreadyExists {
            field,
            message: "this name is not available: its storage holds data no tenant owns".into(),
        }
    }

    /// A name a tenant holds.
    pub(crate) fn name_taken(field: &'static str) -> Self {
        Error::AlreadyExists {
            field,
            message: "a tenant with this name already exists".into(),
        }
    }

    /// An email an admin holds.
    pub(crate) fn email_taken() -> Self {
        Error::AlreadyExists {
            field: "email",
            message: "this email is already registered".into(),
        }
    }

    pub(crate) fn revoked() -> Self {
        Error::unauthorized("token has been revoked")
    }
}

impl From<mongodb::error::Error> for Error {
    fn from(e: mongodb::error::Error) -> Self {
        Error::Database(e)
    }
}

/// What went wrong with the database, in words that name no server, collection or
/// document.
fn database_summary(err: &mongodb::error::Error) -> String {
    use mongodb::error::{ErrorKind, WriteFailure};
    match err.kind.as_ref() {
        ErrorKind::ServerSelection { .. } => "no MongoDB server could be reached in time".into(),
        ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. } => {
            "the connection to MongoDB failed".into()
        }
        ErrorKind::Authentication { .. } => "MongoDB refused the credentials".into(),
        ErrorKind::Command(e) => format!("a command failed ({}, code {})", e.code_name, e.code),
        ErrorKind::Write(WriteFailure::WriteError(e)) => {
            format!("a write failed (code {})", e.code)
        }
        ErrorKind::Write(WriteFailure::WriteConcernError(e)) => {
            format!(
                "a write was not acknowledged as configured (code {})",
                e.code
            )
        }
        ErrorKind::InsertMany(_) | ErrorKind::BulkWrite(_) => "a batch of writes failed".into(),
        ErrorKind::Transaction { .. } => "a transaction failed".into(),
        _ => "the operation failed".into(),
    }
}

/// MongoDB's duplicate-key error code.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// Whether a driver error is a unique-index violation, and if so on which index key.
pub(crate) fn duplicate_key(err: &mongodb::error::Error) -> Option<String> {
    use mongodb::error::{ErrorKind, WriteFailure};
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == DUPLICATE_KEY => {
            Some(e.message.clone())
        }
        ErrorKind::Command(e) if e.code == DUPLICATE_KEY => Some(e.message.clone()),
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .and_then(|errs| errs.iter().find(|e| e.code == DUPLICATE_KEY))
            .map(|e| e.message.clone()),
        _ => None,
    }
}

/// The server's numeric code of a command error, if the error is one.
pub(crate) fn command_code(err: &mongodb::error::Error) -> Option<i32> {
    match err.kind.as_ref() {
        mongodb::error::ErrorKind::Command(e) => Some(e.code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn every_code_has_a_sample_of_its_kind() {
        for code in Error::CODES {
            let sample = Error::sample(code).unwrap_or_else(|| panic!("no sample for {code}"));
            assert_eq!(sample.code(), *code);
            assert!(!sample.to_string().is_empty());
        }
        assert!(Error::sample("tenant_not_found").is_none());
        assert!(Error::sample("").is_none());
    }
}
