//! The response of the check-access operations.

use serde::Deserialize;

/// The signed-in user as a check-access operation returns it.
///
/// The service also echoes the caller's access token; it is dropped while decoding so that
/// it cannot end up in logs through `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccessCheck {
    /// The username from the token's `preferred_username`.
    pub username: String,
    /// The e-mail address, when the token has one.
    #[serde(default)]
    pub email: Option<String>,
    /// The realm roles the service saw in the token.
    #[serde(default)]
    pub roles: Vec<String>,
}
