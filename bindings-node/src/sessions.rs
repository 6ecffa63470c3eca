//! Sessions (the core's `sessions` module): a login's short access token and the refresh
//! token that renews it, and the open sessions an admin lists. Conversions only; the
//! methods are `TenantManager`'s (`manager.rs`).
//!
//! The core's `Session` and `SessionInfo` cannot be rebuilt from the JavaScript objects, so
//! each call also hands `index.js` the core's own, opaque, for their HTTP bodies (`http.rs`
//! makes them when asked: a session's `expires_in` counts from then).

use chrono::{DateTime, Utc};
use napi_derive::napi;

use crate::types::AccessToken;

/// A login's tokens (`loginSession`, `refreshSession`).
#[napi(object)]
pub struct Session {
    /// The access token (lifetime `sessionAccessSeconds`, 15 minutes by default).
    pub access: AccessToken,
    /// The refresh token: opaque, works once; `refreshSession` returns the next one.
    pub refresh_token: String,
    /// The session's id (24 hex digits), for `endSession`.
    pub session_id: String,
    /// When the session ends whatever its refreshes (the login's time plus
    /// `sessionRefreshSeconds`).
    pub expires_at: DateTime<Utc>,
}

impl From<&tenantry::Session> for Session {
    fn from(s: &tenantry::Session) -> Self {
        Session {
            access: s.access.clone().into(),
            refresh_token: s.refresh_token.clone(),
            session_id: s.session_id.to_hex(),
            expires_at: s.expires_at,
        }
    }
}

/// An open session as its admin lists it (`sessions`).
#[napi(object, use_nullable = true)]
pub struct SessionInfo {
    /// The session's id (24 hex digits), for `endSession`.
    pub id: String,
    /// When its login was.
    pub created_at: DateTime<Utc>,
    /// When it was last refreshed (its login's time if never).
    pub refreshed_at: DateTime<Utc>,
    /// When it ends whatever its refreshes.
    pub expires_at: DateTime<Utc>,
    /// The client of its login, when one was given.
    pub client: Option<String>,
}

impl From<&tenantry::SessionInfo> for SessionInfo {
    fn from(s: &tenantry::SessionInfo) -> Self {
        SessionInfo {
            id: s.id.to_hex(),
            created_at: s.created_at,
            refreshed_at: s.refreshed_at,
            expires_at: s.expires_at,
            client: s.client.clone(),
        }
    }
}

/// The core's session, opaque, for its HTTP body (`httpSessionBody`). Not part of the
/// public API: `index.js` keeps it beside the `Session` it returns.
#[napi]
pub struct CoreSession {
    pub(crate) inner: tenantry::Session,
}

/// A session and the core's own, as `loginSession` and `refreshSession` settle.
#[napi(object, object_from_js = false)]
pub struct SessionOutcome {
    /// The session.
    pub session: Session,
    /// The core's session, for its HTTP body.
    pub core: CoreSession,
}

impl From<tenantry::Session> for SessionOutcome {
    fn from(s: tenantry::Session) -> Self {
        SessionOutcome {
            session: Session::from(&s),
            core: CoreSession { inner: s },
        }
    }
}

/// The core's listing of sessions, opaque, for its HTTP body (`httpSessionsBody`). Not
/// part of the public API: `index.js` keeps it beside the array `sessions` returns.
#[napi]
pub struct CoreSessions {
    pub(crate) inner: Vec<tenantry::SessionInfo>,
}

/// The open sessions and the core's own, as `sessions` settles.
#[napi(object, object_from_js = false)]
pub struct SessionsOutcome {
    /// The sessions, newest first.
    pub sessions: Vec<SessionInfo>,
    /// The core's sessions, for their HTTP body.
    pub core: CoreSessions,
}

impl From<Vec<tenantry::SessionInfo>> for SessionsOutcome {
    fn from(list: Vec<tenantry::SessionInfo>) -> Self {
        SessionsOutcome {
            sessions: list.iter().map(SessionInfo::from).collect(),
            core: CoreSessions { inner: list },
        }
    }
}
