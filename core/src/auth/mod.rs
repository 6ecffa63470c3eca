//! Admin authentication: password hashing, access tokens, the login throttle, and the
//! policy that ties them to tenants (`login.rs`).

pub(crate) mod login;
pub(crate) mod opaque;
pub(crate) mod password;
pub(crate) mod signing;
pub(crate) mod throttle;
pub(crate) mod token;

pub use signing::SigningKeyInfo;
pub use token::{AccessToken, Claims};
