//! Response decoding: JSON with field paths, Provena's status wrapper, and error details.

use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Service;
use crate::error::{Error, FieldError};

/// Where a response came from, for error messages.
#[derive(Debug, Clone)]
pub struct ResponseContext {
    /// The service called.
    pub service: Service,
    /// The request method.
    pub method: Method,
    /// The request path, without the query string.
    pub path: String,
}

/// Decodes `body` as JSON into `T`, reporting the JSON path of the first field that fails.
///
/// # Errors
///
/// [`Error::Decode`] with the field path and a short, secret-free snippet of the body.
pub fn decode_json<T: DeserializeOwned>(
    context: &ResponseContext,
    body: &[u8],
) -> Result<T, Error> {
    let decode_error = |json_path: String, message: String| Error::Decode {
        service: context.service,
        method: context.method.clone(),
        path: context.path.clone(),
        json_path,
        message,
        snippet: snippet(body),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| decode_error(err.path().to_string(), err.inner().to_string()))?;
    deserializer
        .end()
        .map_err(|err| decode_error(String::from("."), err.to_string()))?;
    Ok(value)
}

#[derive(Deserialize)]
struct StatusProbe {
    status: Option<StatusField>,
}

#[derive(Deserialize)]
struct StatusField {
    success: Option<bool>,
    #[serde(default)]
    details: Option<serde_json::Value>,
}

/// Checks Provena's `status: {success, details}` wrapper, when the body has one.
///
/// Returns `Some(details)` when `status.success` is `false`, `None` otherwise (including
/// bodies that are not JSON objects or have no wrapper).
pub fn unsuccessful_details(body: &[u8]) -> Option<String> {
    let probe: StatusProbe = serde_json::from_slice(body).ok()?;
    let status = probe.status?;
    if status.success == Some(false) {
        Some(match status.details {
            Some(serde_json::Value::String(text)) => text,
            Some(serde_json::Value::Null) | None => String::from("the service reported failure"),
            Some(other) => other.to_string(),
        })
    } else {
        None
    }
}

/// Extracts a readable detail from an error body: FastAPI's `detail` (a string, or a list of
/// field errors), Provena's `status.details`, or the start of the body.
pub(crate) fn parse_detail(body: &[u8]) -> (String, Vec<FieldError>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (snippet(body), Vec::new());
    };
    match value.get("detail") {
        Some(serde_json::Value::String(text)) => return (text.clone(), Vec::new()),
        Some(serde_json::Value::Array(entries)) => {
            let fields: Vec<FieldError> = entries.iter().map(field_error).collect();
            let summary = fields
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return (summary, fields);
        }
        Some(other) => return (other.to_string(), Vec::new()),
        None => {}
    }
    if let Some(details) = unsuccessful_details(body) {
        return (details, Vec::new());
    }
    (snippet(body), Vec::new())
}

fn field_error(entry: &serde_json::Value) -> FieldError {
    let location = entry
        .get("loc")
        .and_then(|loc| loc.as_array())
        .map(|parts| {
            parts
                .iter()
                .map(|part| match part {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default();
    let text = |key: &str| {
        entry
            .get(key)
            .and_then(|value| value.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    FieldError {
        location,
        message: text("msg"),
        kind: text("type"),
    }
}

const SNIPPET_CHARS: usize = 200;

/// Returns the start of `body` for error messages: at most 200 characters, on one line, with
/// secrets replaced by `<redacted>`. A secret is the value after a key that names a token,
/// secret, password, signature or credential, or any word that looks like a JWT or a long
/// opaque string.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut value_is_secret = false;
    for word in text.split_whitespace() {
        if out.chars().count() >= SNIPPET_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if std::mem::take(&mut value_is_secret) || looks_secret(word) {
            out.push_str("<redacted>");
            continue;
        }
        match secret_key(word) {
            // `"token": value`: keep the key, redact the value that follows.
            Some((key, "")) => {
                out.push_str(key);
                out.push(':');
                value_is_secret = true;
            }
            // `"token":value` in one word.
            Some((key, _)) => {
                out.push_str(key);
                out.push_str(":<redacted>");
            }
            None => out.push_str(word),
        }
    }
    if out.chars().count() > SNIPPET_CHARS {
        out = out.chars().take(SNIPPET_CHARS).collect();
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("<empty>");
    }
    out
}

/// Splits `word` at its first `:` when the part before it names a secret, such as
/// `"access_token":`. Returns the key and the rest of the word.
fn secret_key(word: &str) -> Option<(&str, &str)> {
    let (key, rest) = word.split_once(':')?;
    let lower = key.to_ascii_lowercase();
    ["token", "secret", "password", "signature", "credential"]
        .iter()
        .any(|name| lower.contains(name))
        .then_some((key, rest))
}

fn looks_secret(word: &str) -> bool {
    let jwt_like = word.trim_start_matches(['"', '\'']).starts_with("eyJ");
    let long_opaque = word.len() > 60 && !word.contains('/');
    jwt_like || long_opaque
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ResponseContext {
        ResponseContext {
            service: Service::Registry,
            method: Method::GET,
            path: "/registry/entity/model/fetch".into(),
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        history: Vec<Entry>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Entry {
        timestamp: i64,
    }

    #[test]
    fn decode_error_names_json_path() {
        let body = br#"{"id": "10378.1/1", "history": [{"timestamp": 1}, {"timestamp": "soon"}]}"#;
        let error = decode_json::<Item>(&context(), body).unwrap_err();
        match error {
            Error::Decode { json_path, .. } => assert_eq!(json_path, "history[1].timestamp"),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn trailing_garbage_is_a_decode_error() {
        let body = br#"{"id": "a", "history": []} trailing"#;
        assert!(matches!(
            decode_json::<Item>(&context(), body),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn unsuccessful_status_gives_details() {
        let body = br#"{"status": {"success": false, "details": "Could not find Author Organisation ID"}}"#;
        assert_eq!(
            unsuccessful_details(body).as_deref(),
            Some("Could not find Author Organisation ID")
        );
        assert_eq!(
            unsuccessful_details(br#"{"status": {"success": true}}"#),
            None
        );
        assert_eq!(unsuccessful_details(b"[1, 2]"), None);
    }

    #[test]
    fn fastapi_422_becomes_field_errors() {
        let body = br#"{"detail": [{"loc": ["body", "display_name"], "msg": "field required", "type": "value_error.missing"}]}"#;
        let (summary, fields) = parse_detail(body);
        assert_eq!(summary, "body.display_name: field required");
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].kind, "value_error.missing");
    }

    #[test]
    fn snippet_redacts_tokens() {
        let body = br#"{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"}"#;
        let text = snippet(body);
        assert!(!text.contains("eyJhbGci"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }

    #[test]
    fn snippet_redacts_values_of_secret_keys() {
        let body = br#"{"access_token": "short-1", "client_secret":"s3", "name": "kept"}"#;
        let text = snippet(body);
        assert!(!text.contains("short-1"), "{text}");
        assert!(!text.contains("s3"), "{text}");
        assert!(text.contains("\"access_token\": <redacted>"), "{text}");
        assert!(text.contains("\"kept\""), "{text}");
    }

    #[test]
    fn html_page_detail_is_a_snippet() {
        let (detail, fields) = parse_detail(b"<html><body>502 Bad Gateway</body></html>");
        assert!(detail.contains("502 Bad Gateway"), "{detail}");
        assert!(fields.is_empty());
    }
}
