//! Stand-ins that the generated `Debug` impls print in place of sensitive field values.
//!
//! The generator decides which fields are sensitive from the field name, with the rule in
//! `sensitive_names`. Fields that hold open JSON print through [`RedactedJson`], which
//! applies the same rule to the keys inside the value. The crate documentation describes
//! both under "Sensitive fields".

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::sensitive_names::{Sensitivity, classify};

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

/// Prints an open JSON value, or an `Option`, `Vec`, map or pair holding one, with the
/// secrets inside it hidden.
///
/// The output is JSON-shaped text written with `Debug`'s map and list builders, so `{:?}`
/// prints it on one line and `{:#?}` indents it: objects as `{"key": value}`, arrays as
/// `[a, b]`, strings quoted with Rust escapes, numbers, `true`, `false` and `null` as in
/// JSON. Inside it:
///
/// - the value of an object key whose name is sensitive prints as `<redacted>`, or, when
///   the name marks a signed URL and the value is a string, as that URL without its query.
/// - every URL in a string, whether the string is the URL or the URL is a word in a longer
///   text, prints without its query, fragment and user info when it has any of them.
///
/// The wrapped value itself is untouched; only its `Debug` output changes.
pub(crate) struct RedactedJson<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: RedactJson + ?Sized> fmt::Debug for RedactedJson<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_redacted(f)
    }
}

/// Types that [`RedactedJson`] can print: open JSON values and the containers the
/// generated models put them in.
pub(crate) trait RedactJson {
    /// Writes `self` as `Debug` would, with secrets inside JSON values hidden.
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl RedactJson for Value {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&JsonView(self), f)
    }
}

/// A typed string next to a JSON value, as in a `(String, JsonObject)` pair, prints as
/// its derived `Debug` would.
impl RedactJson for String {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl<T: RedactJson> RedactJson for Option<T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(value) => f.debug_tuple("Some").field(&RedactedJson(value)).finish(),
            None => f.write_str("None"),
        }
    }
}

impl<T: RedactJson> RedactJson for Vec<T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(RedactedJson))
            .finish()
    }
}

impl<K: fmt::Debug, T: RedactJson> RedactJson for BTreeMap<K, T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(key, value)| (key, RedactedJson(value))))
            .finish()
    }
}

impl<A: RedactJson, B: RedactJson> RedactJson for (A, B) {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("")
            .field(&RedactedJson(&self.0))
            .field(&RedactedJson(&self.1))
            .finish()
    }
}

/// One node of a JSON tree, printed with secrets hidden.
struct JsonView<'a>(&'a Value);

impl fmt::Debug for JsonView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Bool(flag) => fmt::Display::fmt(flag, f),
            Value::Number(number) => fmt::Display::fmt(number, f),
            Value::String(text) => fmt::Debug::fmt(&Text(text), f),
            Value::Array(items) => f.debug_list().entries(items.iter().map(JsonView)).finish(),
            Value::Object(members) => f
                .debug_map()
                .entries(
                    members
                        .iter()
                        .map(|(key, value)| (Text(key), Member { key, value })),
                )
                .finish(),
        }
    }
}

/// The value of an object member, hidden when the key's name is sensitive.
struct Member<'a> {
    key: &'a str,
    value: &'a Value,
}

impl fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (classify(self.key, self.value.is_string()), self.value) {
            (Some(Sensitivity::SignedUrl), Value::String(url)) => {
                fmt::Debug::fmt(&UrlWithoutQuery(url), f)
            }
            (Some(_), _) => fmt::Debug::fmt(&Redacted, f),
            (None, value) => fmt::Debug::fmt(&JsonView(value), f),
        }
    }
}

/// A JSON string or object key, quoted, with the URLs in it redacted.
struct Text<'a>(&'a str);

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*redact_urls_in_text(self.0), f)
    }
}

/// Returns `text` with every URL that carries a query, fragment or user info redacted as
/// [`redact_url`] does. A URL is found as a whitespace-separated word, or the end of one,
/// that starts with a scheme and `://`, so `see https://host/x?sig=1` and
/// `url=https://host/x?sig=1` are both caught. Text without such a URL is returned as is.
fn redact_urls_in_text(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let spacing = &piece[word.len()..];
        match url_start(word) {
            Some(start) if carries_secret_parts(&word[start..]) => {
                out.push_str(&word[..start]);
                out.push_str(&redact_url(&word[start..]));
                changed = true;
            }
            _ => out.push_str(word),
        }
        out.push_str(spacing);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Returns where the first absolute URL in `word` starts: the first letter of a scheme
/// (a letter, then letters, digits, `+`, `-` or `.`) that is followed by `://`.
fn url_start(word: &str) -> Option<usize> {
    let separator = word.find("://")?;
    let is_scheme_char = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '.');
    let mut start = separator;
    for (index, ch) in word[..separator].char_indices().rev() {
        if !is_scheme_char(ch) {
            break;
        }
        start = index;
    }
    // A scheme starts with a letter, so leading digits or signs are not part of it.
    let offset = word[start..separator].find(|ch: char| ch.is_ascii_alphabetic())?;
    Some(start + offset)
}

/// Reports whether the absolute URL `url` has a query, fragment or user info, the parts that
/// carry a signature, sign-in token or password. A URL with an empty host does not count.
fn carries_secret_parts(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    !authority.is_empty() && (authority.contains('@') || rest[authority_end..].contains(['?', '#']))
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
    use serde_json::json;

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

    fn show(value: &Value) -> String {
        format!("{:?}", RedactedJson(value))
    }

    #[test]
    fn scalars_print_as_json() {
        assert_eq!(show(&json!(null)), "null");
        assert_eq!(show(&json!(true)), "true");
        assert_eq!(show(&json!(-4)), "-4");
        assert_eq!(show(&json!(2.5)), "2.5");
        assert_eq!(show(&json!("plain \"text\"")), "\"plain \\\"text\\\"\"");
    }

    #[test]
    fn non_url_strings_are_untouched() {
        for text in [
            "10378.1/1700042",
            "a?b=c",
            "ftp:/not-absolute?x=1",
            "://no-scheme/x?y=1",
            "https:///empty-host?x=1",
            "mailto:someone@example.org?subject=hi",
            "https://example.org/reports/public.docx",
            "see https://example.org/a and https://example.org/b",
        ] {
            assert_eq!(show(&json!(text)), format!("{text:?}"), "{text}");
        }
    }

    #[test]
    fn secret_url_parts_redacted_anywhere() {
        let value = json!({
            "link": "https://host/a?sig=1",
            "login": "postgres://admin:hunter2@db:5432/prov",
            "list": ["x", ["https://host/b#frag"]],
            "text": "fetch (https://host/c?sig=2) then https://host/d"
        });
        assert_eq!(
            show(&value),
            "{\"link\": \"https://host/a?<redacted>\", \
             \"login\": \"postgres://<redacted>@db:5432/prov\", \
             \"list\": [\"x\", [\"https://host/b?<redacted>\"]], \
             \"text\": \"fetch (https://host/c?<redacted> then https://host/d\"}"
        );
    }

    #[test]
    fn sensitive_keys_are_hidden_at_any_depth() {
        let value = json!([
            {"user_info": {"name": "writer", "roles": ["admin"]}},
            [[{"Access_Token": "abc", "refresh_token": null, "kept": [1, {"password": 7}]}]],
            {"presigned_url": "https://host/o?sig=3", "presigned": ["https://host/p"]}
        ]);
        assert_eq!(
            show(&value),
            "[{\"user_info\": <redacted>}, \
             [[{\"Access_Token\": <redacted>, \"refresh_token\": <redacted>, \"kept\": [1, {\"password\": <redacted>}]}]], \
             {\"presigned_url\": \"https://host/o?<redacted>\", \"presigned\": <redacted>}]"
        );
    }

    #[test]
    fn ordinary_keys_and_values_print_in_full() {
        let value = json!({"session_id": "s-1", "pagination_key": {"id": 3}, "items": []});
        assert_eq!(
            show(&value),
            "{\"session_id\": \"s-1\", \"pagination_key\": {\"id\": 3}, \"items\": []}"
        );
    }

    #[test]
    fn url_keys_are_redacted() {
        assert_eq!(
            show(&json!({"https://host/k?sig=4": 1})),
            "{\"https://host/k?<redacted>\": 1}"
        );
    }

    #[test]
    fn alternate_form_indents() {
        let printed = format!("{:#?}", RedactedJson(&json!({"a": [1], "token": "t"})));
        assert_eq!(
            printed,
            "{\n    \"a\": [\n        1,\n    ],\n    \"token\": <redacted>,\n}"
        );
    }

    #[test]
    fn containers_print_like_their_derive() {
        let some: Option<Value> = Some(json!({"secret": 1}));
        assert_eq!(
            format!("{:?}", RedactedJson(&some)),
            "Some({\"secret\": <redacted>})"
        );
        let none: Option<Value> = None;
        assert_eq!(format!("{:?}", RedactedJson(&none)), "None");
        let pairs = vec![("id-1".to_owned(), json!({"api_key": "k", "error": "bad"}))];
        assert_eq!(
            format!("{:?}", RedactedJson(&pairs)),
            "[(\"id-1\", {\"api_key\": <redacted>, \"error\": \"bad\"})]"
        );
        let map = BTreeMap::from([("b".to_owned(), json!("https://h/x?y=1"))]);
        assert_eq!(
            format!("{:?}", RedactedJson(&map)),
            "{\"b\": \"https://h/x?<redacted>\"}"
        );
    }

    #[test]
    fn debug_output_is_quoted() {
        let printed = format!("{:?}", UrlWithoutQuery("http://127.0.0.1:9000/x?sig=1"));
        assert_eq!(printed, "\"http://127.0.0.1:9000/x?<redacted>\"");
        assert_eq!(format!("{Redacted:?}"), "<redacted>");
    }
}
