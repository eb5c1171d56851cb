//! The rule that decides which fields the generated `Debug` impls hide.
//!
//! The rule looks only at the field's wire name, lower-cased, so a new schema that adds a
//! field such as `refresh_token` is covered without a change here. The crate
//! documentation of provena-models describes the same rule for users; keep the two in
//! step.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Name fragments of fields whose whole value is a secret. A field whose wire name
/// contains one of them prints as `<redacted>`.
pub(crate) const SECRET_FRAGMENTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passphrase",
    "signature",
    "private_key",
    "api_key",
    "access_key",
];

/// Name fragments of fields that hold a signed URL, such as an S3 presigned URL or an
/// AWS console sign-in URL. Their query string carries the signature or a sign-in token,
/// so they print with the query replaced by `?<redacted>`.
pub(crate) const SIGNED_URL_FRAGMENTS: &[&str] = &["presigned", "signed_url", "session_url"];

/// Redaction applied to a sensitive field in `Debug` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sensitivity {
    /// Printed as `<redacted>`.
    Secret,
    /// Printed without its query, user info or fragment.
    SignedUrl,
}

/// Returns how the field with wire name `wire` must be hidden, or `None` when it prints
/// normally. The signed-URL rule is checked first, so a field that matches both keeps its
/// scheme, host and path visible. `is_text` is true when the field is a string or an
/// optional string. A signed-URL field of any other type is hidden whole, because the
/// URL-aware printer only reads strings.
pub(crate) fn classify(wire: &str, is_text: bool) -> Option<Sensitivity> {
    let name = wire.to_ascii_lowercase();
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

/// Helper types the generated impls use, defined by hand in provena-models' `redact`
/// module.
pub(crate) const HELPERS: &[&str] = &["Redacted", "UrlWithoutQuery"];

/// A struct field with what [`write_debug_impl`] needs to print it.
pub(crate) struct DebugField {
    /// Rust name of the field, which `Debug` prints as the label.
    pub(crate) name: String,
    /// Whether the field is an `Option`.
    pub(crate) optional: bool,
    pub(crate) sensitivity: Option<Sensitivity>,
}

/// Writes an `impl fmt::Debug` for the struct `type_name` that prints every field in
/// order, with sensitive ones hidden, and adds the helper types it uses to `helpers`.
///
/// A hidden optional field still shows whether it is set: `None`, or `Some(<redacted>)`.
pub(crate) fn write_debug_impl(
    out: &mut String,
    type_name: &str,
    fields: &[DebugField],
    helpers: &mut BTreeSet<&'static str>,
) {
    let _ = writeln!(out, "impl fmt::Debug for {type_name} {{");
    out.push_str(
        "fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
",
    );
    let _ = writeln!(out, "f.debug_struct({type_name:?})");
    for field in fields {
        let name = &field.name;
        let value = match (field.sensitivity, field.optional) {
            (None, _) => format!("&self.{name}"),
            (Some(Sensitivity::Secret), false) => "&Redacted".to_owned(),
            (Some(Sensitivity::Secret), true) => format!("&self.{name}.as_ref().map(|_| Redacted)"),
            (Some(Sensitivity::SignedUrl), false) => format!("&UrlWithoutQuery(&self.{name})"),
            (Some(Sensitivity::SignedUrl), true) => {
                format!("&self.{name}.as_deref().map(UrlWithoutQuery)")
            }
        };
        match field.sensitivity {
            Some(Sensitivity::Secret) => helpers.insert("Redacted"),
            Some(Sensitivity::SignedUrl) => helpers.insert("UrlWithoutQuery"),
            None => false,
        };
        let _ = writeln!(out, ".field({name:?}, {value})");
    }
    out.push_str(".finish()\n}\n}\n");
}

/// Describes for the type's documentation how its `Debug` output hides fields, or returns
/// `None` when nothing is hidden.
pub(crate) fn debug_doc(fields: &[DebugField]) -> Option<String> {
    let names = |wanted: Sensitivity| {
        let names: Vec<String> = fields
            .iter()
            .filter(|field| field.sensitivity == Some(wanted))
            .map(|field| format!("`{}`", field.name))
            .collect();
        match names.as_slice() {
            [] => None,
            [single] => Some(single.clone()),
            [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
        }
    };
    let mut sentences = Vec::new();
    if let Some(secrets) = names(Sensitivity::Secret) {
        sentences.push(format!("`Debug` prints {secrets} as `<redacted>`."));
    }
    if let Some(urls) = names(Sensitivity::SignedUrl) {
        sentences.push(format!(
            "`Debug` prints {urls} with the query replaced by `<redacted>`, because the query holds the signature or sign-in token."
        ));
    }
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_secret() {
        for wire in [
            "access_token",
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "refresh_token",
            "client_secret",
            "password",
            "Api_Key",
            "X-Amz-Signature",
        ] {
            assert_eq!(classify(wire, true), Some(Sensitivity::Secret), "{wire}");
        }
    }

    #[test]
    fn signed_urls_keep_path() {
        assert_eq!(
            classify("presigned_url", true),
            Some(Sensitivity::SignedUrl)
        );
        assert_eq!(
            classify("console_session_url", true),
            Some(Sensitivity::SignedUrl)
        );
    }

    #[test]
    fn signed_url_of_other_type_is_secret() {
        assert_eq!(classify("presigned_url", false), Some(Sensitivity::Secret));
    }

    fn field(name: &str, optional: bool, sensitivity: Option<Sensitivity>) -> DebugField {
        DebugField {
            name: name.to_owned(),
            optional,
            sensitivity,
        }
    }

    #[test]
    fn debug_impl_hides_each_kind() {
        let fields = [
            field("access_token", false, Some(Sensitivity::Secret)),
            field("refresh_token", true, Some(Sensitivity::Secret)),
            field("presigned_url", false, Some(Sensitivity::SignedUrl)),
            field("console_session_url", true, Some(Sensitivity::SignedUrl)),
            field("username", false, None),
        ];
        let mut out = String::new();
        let mut helpers = BTreeSet::new();
        write_debug_impl(&mut out, "Login", &fields, &mut helpers);

        syn::parse_file(&out).unwrap();
        assert!(out.contains("impl fmt::Debug for Login {"), "{out}");
        assert!(out.contains(".field(\"access_token\", &Redacted)"), "{out}");
        assert!(
            out.contains(
                ".field(\"refresh_token\", &self.refresh_token.as_ref().map(|_| Redacted))"
            ),
            "{out}"
        );
        assert!(
            out.contains(".field(\"presigned_url\", &UrlWithoutQuery(&self.presigned_url))"),
            "{out}"
        );
        assert!(
            out.contains(
                ".field(\"console_session_url\", &self.console_session_url.as_deref().map(UrlWithoutQuery))"
            ),
            "{out}"
        );
        assert!(
            out.contains(".field(\"username\", &self.username)"),
            "{out}"
        );
        assert!(!out.contains("self.access_token"), "{out}");
        assert_eq!(
            helpers.into_iter().collect::<Vec<_>>(),
            ["Redacted", "UrlWithoutQuery"]
        );
    }

    #[test]
    fn debug_doc_names_hidden_fields() {
        let fields = [
            field("aws_access_key_id", false, Some(Sensitivity::Secret)),
            field("aws_secret_access_key", false, Some(Sensitivity::Secret)),
            field("aws_session_token", false, Some(Sensitivity::Secret)),
            field("expiry", false, None),
        ];
        assert_eq!(
            debug_doc(&fields).unwrap(),
            "`Debug` prints `aws_access_key_id`, `aws_secret_access_key` and `aws_session_token` as `<redacted>`."
        );
        assert_eq!(debug_doc(&[field("expiry", false, None)]), None);
    }

    #[test]
    fn ordinary_names_print_normally() {
        for wire in [
            "session_id",
            "version_job_session_id",
            "register_create_activity_session_id",
            "key",
            "pagination_key",
            "auth_payload",
            "credentials",
            "documentation_url",
            "source_url",
            "release_url",
            "s3_uri",
            "username",
            "expiry",
        ] {
            assert_eq!(classify(wire, true), None, "{wire}");
        }
    }
}
