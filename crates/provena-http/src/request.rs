//! Request building helpers: operations, query strings, JSON and multipart bodies.

use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::config::Service;
use crate::error::Error;

/// One API operation: the service, method and path it is sent to, and the operation id the
/// API document gives it.
///
/// Each service crate declares one constant per operation and sends requests through it, so
/// the set of constants is the crate's coverage of the API document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId` in the service's API document.
    pub id: &'static str,
    /// The service that serves it.
    pub service: Service,
    /// The HTTP method.
    pub method: Method,
    /// The path below the service's base URL, starting with `/`.
    pub path: &'static str,
    /// Whether sending it twice has the same effect as once, so that it may be retried. True
    /// for GET, PUT and DELETE; POSTs that only read or validate set it too.
    pub idempotent: bool,
}

impl Operation {
    /// Declares a GET operation (idempotent).
    pub const fn get(service: Service, id: &'static str, path: &'static str) -> Self {
        Self {
            id,
            service,
            method: Method::GET,
            path,
            idempotent: true,
        }
    }

    /// Declares a PUT operation (idempotent).
    pub const fn put(service: Service, id: &'static str, path: &'static str) -> Self {
        Self {
            id,
            service,
            method: Method::PUT,
            path,
            idempotent: true,
        }
    }

    /// Declares a DELETE operation (idempotent).
    pub const fn delete(service: Service, id: &'static str, path: &'static str) -> Self {
        Self {
            id,
            service,
            method: Method::DELETE,
            path,
            idempotent: true,
        }
    }

    /// Declares a POST operation that changes state and is never retried.
    pub const fn post(service: Service, id: &'static str, path: &'static str) -> Self {
        Self {
            id,
            service,
            method: Method::POST,
            path,
            idempotent: false,
        }
    }

    /// Declares a POST operation that only reads or validates, so it may be retried.
    pub const fn post_safe(service: Service, id: &'static str, path: &'static str) -> Self {
        Self {
            id,
            service,
            method: Method::POST,
            path,
            idempotent: true,
        }
    }
}

/// Query string parameters in order. `None` values are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    /// Adds one parameter.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "taking the value lets callers pass numbers and strings alike, without `&`"
    )]
    pub fn push(&mut self, key: impl Into<String>, value: impl ToString) {
        self.0.push((key.into(), value.to_string()));
    }

    /// Adds every field of a serializable struct or map. `null` fields are skipped, arrays
    /// repeat the key, and nested objects are sent as JSON text.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `value` does not serialize to a JSON object.
    pub fn extend_from<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let json = serde_json::to_value(value).map_err(|err| {
            Error::config(
                "query",
                "<parameters>",
                format!("cannot be serialized: {err}"),
            )
        })?;
        let serde_json::Value::Object(map) = json else {
            return Err(Error::config(
                "query",
                json.to_string(),
                "query parameters must serialize to an object",
            ));
        };
        for (key, value) in map {
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::Array(items) => {
                    for item in items {
                        self.0.push((key.clone(), scalar_text(item)));
                    }
                }
                other => self.0.push((key, scalar_text(other))),
            }
        }
        Ok(())
    }

    /// Returns the parameters as `(key, value)` pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub(crate) fn encode(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &self.0 {
            serializer.append_pair(key, value);
        }
        Some(serializer.finish())
    }
}

fn scalar_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}

/// A `multipart/form-data` body, for file uploads such as the prov service's CSV conversion.
#[derive(Debug, Clone)]
pub struct Multipart {
    boundary: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Default for Multipart {
    fn default() -> Self {
        Self::new()
    }
}

impl Multipart {
    /// Starts an empty form with a random boundary.
    pub fn new() -> Self {
        let boundary = format!(
            "provena-rs-{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        Self {
            boundary,
            parts: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file field.
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// Returns the `Content-Type` header value, boundary included.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// Encodes the form.
    pub fn into_bytes(self) -> Bytes {
        let mut out = Vec::new();
        for part in self.parts {
            out.extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
            let name = escape_quoted(&part.name);
            match &part.file_name {
                Some(file_name) => out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\n",
                        escape_quoted(file_name)
                    )
                    .as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
                ),
            }
            if let Some(content_type) = &part.content_type {
                out.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&part.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        Bytes::from(out)
    }
}

fn escape_quoted(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Params {
        id: &'static str,
        page: Option<u32>,
        subtypes: Vec<&'static str>,
    }

    #[test]
    fn query_skips_none_and_repeats_arrays() {
        let mut query = Query::default();
        query
            .extend_from(&Params {
                id: "10378.1/1690000",
                page: None,
                subtypes: vec!["MODEL", "PERSON"],
            })
            .unwrap();
        assert_eq!(
            query.encode().as_deref(),
            Some("id=10378.1%2F1690000&subtypes=MODEL&subtypes=PERSON")
        );
    }

    #[test]
    fn multipart_has_file_part() {
        let form = Multipart::new().file("csv_file", "runs.csv", "text/csv", "a,b\n1,2\n");
        let content_type = form.content_type();
        let boundary = content_type.split("boundary=").nth(1).unwrap().to_owned();
        let text = String::from_utf8(form.into_bytes().to_vec()).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"csv_file\"; filename=\"runs.csv\""));
        assert!(text.contains("\r\n\r\na,b\n1,2\n\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
