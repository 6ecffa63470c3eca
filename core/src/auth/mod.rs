//! Admin authentication: password hashing and access tokens.

pub(crate) mod password;
pub(crate) mod throttle;
pub(crate) mod token;

pub use token::{AccessToken, Claims};
