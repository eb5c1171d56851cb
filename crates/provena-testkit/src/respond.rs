//! Response helpers and request extractors that respond the way Provena's FastAPI services
//! do: `{"detail": "..."}` for errors, a `status: {success, details}` wrapper for results,
//! and pydantic-v1-style HTTP 422 bodies for invalid requests.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A result whose error is sent as `{"detail": ...}`.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// An error response: a status and a `detail`, which is a text for most errors and a list of
/// field errors for HTTP 422.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    detail: Value,
    bearer_challenge: bool,
    retry_after: Option<u64>,
}

impl ApiError {
    /// Creates an error with a text detail.
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: Value::String(detail.into()),
            bearer_challenge: false,
            retry_after: None,
        }
    }

    /// Creates an error whose detail is any JSON value.
    pub(crate) fn with_value(status: StatusCode, detail: Value) -> Self {
        Self {
            status,
            detail,
            bearer_challenge: false,
            retry_after: None,
        }
    }

    /// HTTP 400 with a text detail.
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// HTTP 404 with a text detail.
    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// HTTP 500 with a text detail.
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    /// HTTP 401 with a text detail and the `WWW-Authenticate: Bearer` header, as every
    /// authentication and authorisation failure of Provena returns.
    pub(crate) fn unauthorized(detail: impl Into<String>) -> Self {
        Self {
            bearer_challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, detail)
        }
    }

    /// HTTP 422 with pydantic-style field errors.
    pub(crate) fn unprocessable(errors: Vec<FieldError>) -> Self {
        let list = errors.into_iter().map(FieldError::into_json).collect();
        Self::with_value(StatusCode::UNPROCESSABLE_ENTITY, Value::Array(list))
    }

    /// Adds a `Retry-After` header, in seconds.
    pub(crate) fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Returns the status.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// Returns the detail.
    pub(crate) fn detail(&self) -> &Value {
        &self.detail
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "detail": self.detail }))).into_response();
        if self.bearer_challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Builds `{"detail": detail}` with `status` as a response.
pub(crate) fn detail(status: StatusCode, detail: impl Into<String>) -> Response {
    ApiError::new(status, detail).into_response()
}

/// Builds the `{"success": .., "details": ..}` object Provena nests under `status`.
pub(crate) fn status_value(success: bool, details: impl Into<String>) -> Value {
    json!({ "success": success, "details": details.into() })
}

/// Builds `{"status": {"success": true, "details": details}}`.
pub(crate) fn ok_status(details: impl Into<String>) -> Json<Value> {
    Json(json!({ "status": status_value(true, details) }))
}

/// Builds `{"status": {"success": false, "details": details}}` with HTTP 200, the way
/// Provena reports many failures.
pub(crate) fn failed_status(details: impl Into<String>) -> Json<Value> {
    Json(json!({ "status": status_value(false, details) }))
}

/// Responds to an unknown path like FastAPI: HTTP 404 `{"detail": "Not Found"}`.
pub(crate) async fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

/// Responds to a known path with the wrong method like FastAPI: HTTP 405
/// `{"detail": "Method Not Allowed"}`.
pub(crate) async fn method_not_allowed() -> Response {
    detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// One pydantic v1 validation error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    /// The location of the error, such as `["body", "field", 0]` or `["query", "name"]`.
    pub(crate) loc: Vec<Value>,
    /// The message, such as `field required`.
    pub(crate) msg: String,
    /// The pydantic error type, such as `value_error.missing`.
    pub(crate) kind: String,
}

impl FieldError {
    /// Creates an error at `loc`.
    pub(crate) fn new(loc: Vec<Value>, msg: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }

    /// Creates the error for a missing required field at `loc`.
    pub(crate) fn missing(loc: Vec<Value>) -> Self {
        Self::new(loc, "field required", "value_error.missing")
    }

    fn into_json(self) -> Value {
        json!({ "loc": self.loc, "msg": self.msg, "type": self.kind })
    }
}

/// A JSON body extractor that rejects with HTTP 422 in pydantic v1 form when it is missing, is not JSON,
/// or does not fit `T`.
#[derive(Debug, Clone)]
pub(crate) struct ValidJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().unwrap_or("invalid").to_owned());
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;

        // FastAPI decodes the body as JSON only without a content type or with a JSON one.
        // Any other body reaches pydantic as raw bytes, which are not a valid object.
        if let Some(content_type) = content_type
            && !bytes.is_empty()
            && !is_json_content_type(&content_type)
        {
            let error = FieldError::new(
                vec![json!("body")],
                "value is not a valid dict",
                "type_error.dict",
            );
            return Err(ApiError::unprocessable(vec![error]).into_response());
        }
        parse_json_body(&bytes)
            .map(ValidJson)
            .map_err(IntoResponse::into_response)
    }
}

/// Reports whether `content_type` is `application/json` or `application/<name>+json`.
fn is_json_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|subtype| subtype == "json" || subtype.ends_with("+json"))
}

/// Parses a request body into `T`, with pydantic-style errors located under `body`.
pub(crate) fn parse_json_body<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.is_empty() {
        return Err(ApiError::unprocessable(vec![FieldError::missing(vec![
            json!("body"),
        ])]));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    match result {
        Ok(value) => {
            if let Err(error) = deserializer.end() {
                return Err(json_syntax_error(bytes, &error));
            }
            Ok(value)
        }
        Err(error) => {
            let inner = error.inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(json_syntax_error(bytes, inner));
            }
            let path = path_segments(error.path());
            let message = inner.to_string();
            Err(ApiError::unprocessable(vec![field_error(
                "body", path, &message,
            )]))
        }
    }
}

fn json_syntax_error(body: &[u8], error: &serde_json::Error) -> ApiError {
    // FastAPI reports the character offset of a decode error as the second loc segment.
    let offset = char_offset(body, error.line(), error.column());
    ApiError::unprocessable(vec![FieldError::new(
        vec![json!("body"), json!(offset)],
        format!(
            "Expecting value: line {} column {}",
            error.line(),
            error.column()
        ),
        "value_error.jsondecode",
    )])
}

/// Converts serde_json's one-based line and column into a zero-based character offset.
fn char_offset(body: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(body);
    let before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(|line| line.chars().count())
        .sum();
    before + column.saturating_sub(1)
}

/// A query string extractor that rejects with HTTP 422 in pydantic v1 form when it does not fit `T`.
#[derive(Debug, Clone)]
pub(crate) struct ValidQuery<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        parse_query(query)
            .map(ValidQuery)
            .map_err(IntoResponse::into_response)
    }
}

/// Parses a query string into `T`, with pydantic-style errors located under `query`.
pub(crate) fn parse_query<T: DeserializeOwned>(query: &str) -> ApiResult<T> {
    let pairs = url::form_urlencoded::parse(query.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = path_segments(error.path());
        let message = error.inner().to_string();
        ApiError::unprocessable(vec![field_error("query", path, &message)])
    })
}

fn path_segments(path: &serde_path_to_error::Path) -> Vec<Value> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(json!(index)),
            Segment::Map { key } => Some(json!(key)),
            Segment::Enum { variant } => Some(json!(variant)),
            Segment::Unknown => None,
        })
        .collect()
}

/// Translates a serde message into pydantic v1's message and error type.
fn field_error(source: &str, path: Vec<Value>, message: &str) -> FieldError {
    let mut loc = vec![json!(source)];
    loc.extend(path);
    // serde_json appends the position, which pydantic does not report.
    let message = match message.rfind(" at line ") {
        Some(position) => &message[..position],
        None => message,
    };

    if let Some(field) = between(message, "missing field `", "`") {
        loc.push(json!(field));
        return FieldError::missing(loc);
    }
    if message.starts_with("unknown variant") {
        let permitted = message
            .split_once("expected ")
            .map(|(_, rest)| rest.trim_start_matches("one of "))
            .unwrap_or_default()
            .replace("` or `", "`, `")
            .replace('`', "'");
        return FieldError::new(
            loc,
            format!("value is not a valid enumeration member; permitted: {permitted}"),
            "type_error.enum",
        );
    }
    // Query strings fail in `str::parse`, whose messages name the failure but not the type.
    if message.contains("invalid digit")
        || message.contains("cannot parse integer")
        || message.contains("too large to fit")
        || message.contains("too small to fit")
    {
        return FieldError::new(loc, "value is not a valid integer", "type_error.integer");
    }
    if message.contains("invalid float literal") {
        return FieldError::new(loc, "value is not a valid float", "type_error.float");
    }
    if message.contains("`true` or `false`") {
        return FieldError::new(
            loc,
            "value could not be parsed to a boolean",
            "type_error.bool",
        );
    }
    let expected = message
        .split_once(", expected ")
        .map(|(_, rest)| rest)
        .unwrap_or("");
    let (msg, kind) =
        if expected.contains("integer") || expected.starts_with("i") || expected.starts_with("u") {
            ("value is not a valid integer", "type_error.integer")
        } else if expected.contains("string") || expected.contains("char") {
            ("str type expected", "type_error.str")
        } else if expected.contains("bool") {
            ("value could not be parsed to a boolean", "type_error.bool")
        } else if expected.contains("sequence") || expected.contains("tuple") {
            ("value is not a valid list", "type_error.list")
        } else if expected.contains("map") || expected.contains("struct") {
            ("value is not a valid dict", "type_error.dict")
        } else if expected.contains("float") || expected.starts_with("f") {
            ("value is not a valid float", "type_error.float")
        } else {
            return FieldError::new(loc, message.to_owned(), "value_error");
        };
    FieldError::new(loc, msg, kind)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
        tags: Vec<String>,
    }

    fn errors(error: &ApiError) -> Vec<Value> {
        error.detail().as_array().cloned().unwrap_or_default()
    }

    #[test]
    fn missing_field_is_located() {
        let error = parse_json_body::<Body>(br#"{"name": "x", "tags": []}"#).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let list = errors(&error);
        assert_eq!(list[0]["loc"], json!(["body", "count"]));
        assert_eq!(list[0]["msg"], "field required");
        assert_eq!(list[0]["type"], "value_error.missing");
    }

    #[test]
    fn wrong_type_in_list_is_located() {
        let error =
            parse_json_body::<Body>(br#"{"name": "x", "count": 1, "tags": ["a", 2]}"#).unwrap_err();
        let list = errors(&error);
        assert_eq!(list[0]["loc"], json!(["body", "tags", 1]));
        assert_eq!(list[0]["type"], "type_error.str");
    }

    #[test]
    fn integer_for_string_is_str_error() {
        let error = parse_json_body::<Body>(br#"{"name": 5, "count": 1, "tags": []}"#).unwrap_err();
        let list = errors(&error);
        assert_eq!(list[0]["loc"], json!(["body", "name"]));
        assert_eq!(list[0]["msg"], "str type expected");
        assert_eq!(list[0]["type"], "type_error.str");
    }

    #[test]
    fn unknown_variant_is_enum_error() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            #[serde(rename = "MODEL")]
            Model,
            #[serde(rename = "DATASET")]
            Dataset,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Typed {
            kind: Kind,
        }
        let error = parse_json_body::<Typed>(br#"{"kind": "PERSON"}"#).unwrap_err();
        let list = errors(&error);
        assert_eq!(list[0]["loc"], json!(["body", "kind"]));
        assert_eq!(list[0]["type"], "type_error.enum");
        assert_eq!(
            list[0]["msg"],
            "value is not a valid enumeration member; permitted: 'MODEL', 'DATASET'"
        );
    }

    #[test]
    fn empty_body_is_missing() {
        let error = parse_json_body::<Body>(b"").unwrap_err();
        assert_eq!(errors(&error)[0]["loc"], json!(["body"]));
    }

    #[test]
    fn invalid_json_is_decode_error() {
        let error = parse_json_body::<Body>(b"{not json").unwrap_err();
        assert_eq!(errors(&error)[0]["type"], "value_error.jsondecode");
        assert_eq!(errors(&error)[0]["loc"], json!(["body", 1]));

        let error = parse_json_body::<Body>(b"{\n  \"name\": x}").unwrap_err();
        assert_eq!(errors(&error)[0]["loc"], json!(["body", 12]));
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }

    #[test]
    fn query_integer_error() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Query {
            id: String,
            depth: u32,
        }
        let error = parse_query::<Query>("id=a&depth=deep").unwrap_err();
        let list = errors(&error);
        assert_eq!(list[0]["loc"], json!(["query", "depth"]));
        assert_eq!(list[0]["type"], "type_error.integer");

        let error = parse_query::<Query>("depth=1").unwrap_err();
        assert_eq!(errors(&error)[0]["loc"], json!(["query", "id"]));
    }
}
