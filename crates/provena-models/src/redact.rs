//! Stand-ins that the generated `Debug` impls print in place of sensitive field values.
//!
//! The generator decides which fields are sensitive from the field name. The crate
//! documentation describes the rule under "Sensitive fields".

use std::fmt;

/// Text printed in place of a secret, and in place of a URL's query.
const REDACTED: &str = "<redacted>";

/// Prints `<redacted>` in place of a secret value such as an access token.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Prints a signed URL as a quoted string without the parts that carry the signature:
/// the query and fragment become `?<redacted>`, and any user info before the host becomes
/// `<redacted>@`. The scheme, host and path stay, so the printed value still shows which
/// object or endpoint the URL points at.
pub(crate) struct UrlWithoutQuery<'a>(pub(crate) &'a str);

impl fmt::Debug for UrlWithoutQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(self.0), f)
    }
}

/// Returns `url` with its query, fragment and user info replaced by `<redacted>`.
fn redact_url(url: &str) -> String {
    let (before_query, has_query) = match url.find(['?', '#']) {
        Some(end) => (&url[..end], true),
        None => (url, false),
    };

    let mut out = String::with_capacity(before_query.len() + 2 * REDACTED.len());
    let (scheme, rest) = match before_query.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, before_query),
    };
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push_str("://");
    }

    // The authority runs up to the first `/`. Only a URL with a scheme has one, so a bare
    // path that happens to contain `@` keeps it.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((_, host)) if scheme.is_some() => {
            out.push_str(REDACTED);
            out.push('@');
            out.push_str(host);
        }
        _ => out.push_str(authority),
    }
    out.push_str(path);

    if has_query {
        out.push('?');
        out.push_str(REDACTED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_replaced() {
        let url = "https://bucket.s3.amazonaws.com/data/file.csv?X-Amz-Signature=abc&X-Amz-Credential=key";
        assert_eq!(
            redact_url(url),
            "https://bucket.s3.amazonaws.com/data/file.csv?<redacted>"
        );
    }

    #[test]
    fn fragment_is_replaced() {
        assert_eq!(
            redact_url("https://host/path#token=abc"),
            "https://host/path?<redacted>"
        );
    }

    #[test]
    fn url_without_query_is_unchanged() {
        assert_eq!(redact_url("https://host/a/b"), "https://host/a/b");
        assert_eq!(redact_url("https://host"), "https://host");
    }

    #[test]
    fn user_info_is_replaced() {
        assert_eq!(
            redact_url("https://user:pass@host:9000/a?b=c"),
            "https://<redacted>@host:9000/a?<redacted>"
        );
    }

    #[test]
    fn relative_path_keeps_at_sign() {
        assert_eq!(redact_url("a@b/c?d"), "a@b/c?<redacted>");
    }

    #[test]
    fn debug_output_is_quoted() {
        let printed = format!("{:?}", UrlWithoutQuery("http://127.0.0.1:9000/x?sig=1"));
        assert_eq!(printed, "\"http://127.0.0.1:9000/x?<redacted>\"");
        assert_eq!(format!("{Redacted:?}"), "<redacted>");
    }
}
