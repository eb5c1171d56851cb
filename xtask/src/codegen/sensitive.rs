//! Generation of the `Debug` impls that hide sensitive fields.
//!
//! The name rule itself lives in provena-models (`src/sensitive_names.rs`) and is compiled
//! into this crate from there, so the generator and the runtime JSON printer in
//! provena-models apply the same rule.

use std::collections::BTreeSet;
use std::fmt::Write as _;

#[path = "../../../crates/provena-models/src/sensitive_names.rs"]
mod names;

pub(crate) use names::{Sensitivity, classify};

/// Helper types the generated impls use, defined by hand in provena-models' `redact`
/// module.
pub(crate) const HELPERS: &[&str] = &["Redacted", "RedactedJson", "UrlWithoutQuery"];

/// A struct field with what [`write_debug_impl`] needs to print it.
pub(crate) struct DebugField {
    /// Rust name of the field, which `Debug` prints as the label.
    pub(crate) name: String,
    /// Whether the field is an `Option`.
    pub(crate) optional: bool,
    pub(crate) sensitivity: Option<Sensitivity>,
    /// Whether the field's type is an open JSON value (`serde_json::Value` or an alias
    /// of it), alone or inside an `Option`, `Vec`, map or tuple. Such a field prints
    /// through `RedactedJson`, which hides secrets found inside the value.
    pub(crate) open_json: bool,
}

/// Writes an `impl fmt::Debug` for the struct `type_name` that prints every field in
/// order, with sensitive ones hidden, and adds the helper types it uses to `helpers`.
///
/// A hidden optional field still shows whether it is set: `None`, or `Some(<redacted>)`.
/// A field with a sensitive name is hidden by its name even when its type is open JSON.
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
            (None, _) if field.open_json => {
                helpers.insert("RedactedJson");
                format!("&RedactedJson(&self.{name})")
            }
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
    let open_json: Vec<String> = fields
        .iter()
        .filter(|field| field.open_json && field.sensitivity.is_none())
        .map(|field| format!("`{}`", field.name))
        .collect();
    if !open_json.is_empty() {
        let names = match open_json.as_slice() {
            [single] => single.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => String::new(),
        };
        sentences.push(format!(
            "`Debug` prints the JSON in {names} with secrets hidden: keys with sensitive names print as `<redacted>`, and URLs print without their query or user info."
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
            open_json: false,
        }
    }

    #[test]
    fn open_json_fields_print_through_walker() {
        let fields = [
            DebugField {
                open_json: true,
                ..field("payload", false, None)
            },
            DebugField {
                open_json: true,
                ..field("result", true, None)
            },
            DebugField {
                open_json: true,
                ..field("user_info", true, Some(Sensitivity::Secret))
            },
            field("status", false, None),
        ];
        let mut out = String::new();
        let mut helpers = BTreeSet::new();
        write_debug_impl(&mut out, "Job", &fields, &mut helpers);

        syn::parse_file(&out).unwrap();
        assert!(
            out.contains(".field(\"payload\", &RedactedJson(&self.payload))"),
            "{out}"
        );
        assert!(
            out.contains(".field(\"result\", &RedactedJson(&self.result))"),
            "{out}"
        );
        assert!(
            out.contains(".field(\"user_info\", &self.user_info.as_ref().map(|_| Redacted))"),
            "{out}"
        );
        assert!(out.contains(".field(\"status\", &self.status)"), "{out}");
        assert_eq!(
            helpers.into_iter().collect::<Vec<_>>(),
            ["Redacted", "RedactedJson"]
        );
        assert_eq!(
            debug_doc(&fields).unwrap(),
            "`Debug` prints `user_info` as `<redacted>`. `Debug` prints the JSON in `payload` and `result` with secrets hidden: keys with sensitive names print as `<redacted>`, and URLs print without their query or user info."
        );
    }

    #[test]
    fn user_info_is_secret() {
        assert_eq!(classify("user_info", false), Some(Sensitivity::Secret));
        assert_eq!(
            classify("encrypted_user_info", true),
            Some(Sensitivity::Secret)
        );
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
