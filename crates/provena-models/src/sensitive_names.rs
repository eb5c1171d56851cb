//! The name rule that decides which values `Debug` hides.
//!
//! The rule looks only at a name, lower-cased: the wire name of a struct field, or a key
//! inside an open JSON value. A new schema that adds a field such as `refresh_token` is
//! covered without a change here. This file is compiled into provena-models and into the
//! models generator in xtask, so both apply the same rule. The crate documentation of
//! provena-models describes the rule for users and lists the same fragments.

/// Name fragments of values that are secret as a whole. A name that contains one of them
/// prints as `<redacted>`.
pub(crate) const SECRET_FRAGMENTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passphrase",
    "signature",
    "private_key",
    "api_key",
    "access_key",
    "user_info",
];

/// Name fragments of values that hold a signed URL, such as an S3 presigned URL or an
/// AWS console sign-in URL. Their query string carries the signature or a sign-in token,
/// so they print with the query replaced by `?<redacted>`.
pub(crate) const SIGNED_URL_FRAGMENTS: &[&str] = &["presigned", "signed_url", "session_url"];

/// Redaction applied to a value with a sensitive name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sensitivity {
    /// Printed as `<redacted>`.
    Secret,
    /// Printed without its query, user info or fragment.
    SignedUrl,
}

/// Returns how the value named `name` must be hidden, or `None` when it prints normally.
///
/// The signed-URL rule is checked first, so a name that matches both keeps the URL's
/// scheme, host and path visible. `is_text` is true when the value is a string (or an
/// optional string). A signed-URL value of any other type is hidden whole, because the
/// URL-aware printer only reads strings.
pub(crate) fn classify(name: &str, is_text: bool) -> Option<Sensitivity> {
    let name = name.to_ascii_lowercase();
    let matches = |fragments: &[&str]| fragments.iter().any(|fragment| name.contains(fragment));
    if matches(SIGNED_URL_FRAGMENTS) {
        return Some(if is_text {
            Sensitivity::SignedUrl
        } else {
            Sensitivity::Secret
        });
    }
    matches(SECRET_FRAGMENTS).then_some(Sensitivity::Secret)
}
