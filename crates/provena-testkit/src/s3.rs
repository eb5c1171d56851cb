//! The S3 endpoint that stores dataset files.
//!
//! A real S3-protocol server (the `s3s` crate over the `s3s-fs` file-system backend) keeps
//! its buckets under the double's data directory. It checks every request's SigV4
//! signature, and accepts only credentials the datastore issued: each set only under its
//! dataset's prefix, read-only sets only for reads, and none after its expiry.

use std::fmt::Write as _;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::BodyExt;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3Result, s3_error};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::datastore::BUCKET;
use crate::state::AppState;

/// Operations that change objects; read-only credentials may not send them.
const WRITE_OPERATIONS: &[&str] = &[
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "DeleteObject",
    "DeleteObjects",
];

/// Operations on a bucket that stay inside a prefix given in the query string.
const PREFIXED_BUCKET_OPERATIONS: &[&str] = &[
    "ListObjects",
    "ListObjectsV2",
    "ListMultipartUploads",
    "ListObjectVersions",
];

/// Looks up secret keys of datastore-issued credentials.
struct IssuedKeys(AppState);

#[async_trait::async_trait]
impl S3Auth for IssuedKeys {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let datastore = self.0.datastore();
        match datastore.credentials(access_key) {
            Some(issued) => Ok(SecretKey::from(issued.secret_access_key.clone())),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The access key was not issued by the datastore."
            )),
        }
    }
}

/// Confines each credential set to its dataset prefix, its access level and its lifetime.
struct DatasetScope(AppState);

#[async_trait::async_trait]
impl S3Access for DatasetScope {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed."));
        };
        let Some(issued) = self
            .0
            .datastore()
            .credentials(&credentials.access_key)
            .cloned()
        else {
            return Err(s3_error!(InvalidAccessKeyId));
        };
        if OffsetDateTime::now_utc() >= issued.expiry {
            return Err(s3_error!(ExpiredToken, "The provided token has expired."));
        }
        // Presigned URLs carry the token in the query string, other requests in a header.
        let token_header = cx
            .headers()
            .get("x-amz-security-token")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let token_query = query_value(cx.uri().query().unwrap_or_default(), "X-Amz-Security-Token");
        if token_header.or(token_query).as_deref() != Some(issued.session_token.as_str()) {
            return Err(s3_error!(
                InvalidToken,
                "The session token is missing or wrong."
            ));
        }

        let operation = cx.s3_op().name().to_owned();
        if WRITE_OPERATIONS.contains(&operation.as_str()) && !issued.write {
            return Err(s3_error!(AccessDenied, "These credentials are read-only."));
        }
        let in_scope = match cx.s3_path() {
            S3Path::Object { bucket, key } => {
                bucket.as_ref() == BUCKET && key.starts_with(issued.prefix.as_str())
            }
            S3Path::Bucket { bucket } => {
                let prefix =
                    query_value(cx.uri().query().unwrap_or_default(), "prefix").unwrap_or_default();
                bucket.as_ref() == BUCKET
                    && PREFIXED_BUCKET_OPERATIONS.contains(&operation.as_str())
                    && prefix.starts_with(issued.prefix.as_str())
            }
            S3Path::Root => false,
        };
        if in_scope {
            Ok(())
        } else {
            Err(s3_error!(
                AccessDenied,
                "The credentials do not grant access outside their dataset prefix."
            ))
        }
    }
}

/// Returns the decoded value of `name` in a query string.
fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Builds the S3 endpoint's routes: every path and method goes to the S3 service.
pub(crate) fn router(state: AppState) -> Router {
    let service = build_service(&state);
    Router::<AppState>::new()
        .route("/", any(handle))
        .route("/{*key}", any(handle))
        .with_state(state)
        .layer(axum::Extension(service))
}

fn build_service(state: &AppState) -> Option<S3Service> {
    let bucket_dir = state.data_dir().join(BUCKET);
    if let Err(error) = std::fs::create_dir_all(&bucket_dir) {
        tracing::warn!(%error, path = %bucket_dir.display(), "the double cannot create its S3 bucket");
        return None;
    }
    let backend = match s3s_fs::FileSystem::new(state.data_dir()) {
        Ok(backend) => backend,
        Err(error) => {
            tracing::warn!(?error, "the double cannot open its S3 data directory");
            return None;
        }
    };
    let mut builder = S3ServiceBuilder::new(backend);
    builder.set_auth(IssuedKeys(state.clone()));
    builder.set_access(DatasetScope(state.clone()));
    Some(builder.build())
}

async fn handle(
    State(_state): State<AppState>,
    axum::Extension(service): axum::Extension<Option<S3Service>>,
    request: Request,
) -> Response {
    let Some(service) = service else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the double's S3 data directory could not be opened",
        )
            .into_response();
    };
    let request = request.map(|body| {
        s3s::Body::http_body_unsync(body.map_err(|error| -> s3s::StdError { Box::new(error) }))
    });
    match service.call(request).await {
        Ok(response) => response.map(Body::new),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("S3 request failed: {error:?}"),
        )
            .into_response(),
    }
}

/// Creates a SigV4 presigned GET URL for `key` in the double's bucket, valid for
/// `expires_in` seconds, signed with read-only credentials issued for the key's dataset.
pub(crate) fn presign_get(state: &AppState, key: &str, expires_in: i64) -> Result<String, String> {
    let prefix = key
        .match_indices('/')
        .nth(1)
        .map(|(index, _)| &key[..=index])
        .ok_or_else(|| format!("`{key}` is not inside a dataset prefix"))?;
    let (access_key_id, issued) = state.datastore().issue_for_presign(prefix, expires_in);

    let endpoint = state.s3_endpoint();
    let host = match (endpoint.host_str(), endpoint.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => return Err("the S3 endpoint has no host".into()),
    };
    let now = OffsetDateTime::now_utc();
    let date = format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let amz_date = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let region = "us-east-1";
    let scope = format!("{date}/{region}/s3/aws4_request");
    let path = format!("/{BUCKET}/{}", encode(key, false));

    let mut query = [
        ("X-Amz-Algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned()),
        (
            "X-Amz-Credential".to_owned(),
            format!("{access_key_id}/{scope}"),
        ),
        ("X-Amz-Date".to_owned(), amz_date.clone()),
        ("X-Amz-Expires".to_owned(), expires_in.to_string()),
        (
            "X-Amz-Security-Token".to_owned(),
            issued.session_token.clone(),
        ),
        ("X-Amz-SignedHeaders".to_owned(), "host".to_owned()),
    ];
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name, true), encode(value, true)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request =
        format!("GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key_material = format!("AWS4{}", issued.secret_access_key).into_bytes();
    for part in [date.as_str(), region, "s3", "aws4_request"] {
        key_material = hmac_sha256(&key_material, part.as_bytes()).to_vec();
    }
    let signature = hex(&hmac_sha256(&key_material, string_to_sign.as_bytes()));
    Ok(format!(
        "{}{}?{canonical_query}&X-Amz-Signature={signature}",
        endpoint.as_str().trim_end_matches('/'),
        path
    ))
}

/// Percent-encodes as SigV4 requires: unreserved characters stay, `/` only when asked.
fn encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'~' | b'.' => {
                out.push(char::from(byte));
            }
            b'/' if !encode_slash => out.push('/'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// HMAC-SHA256 (RFC 2104) over SHA-256's 64-byte block.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|byte| byte ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|byte| byte ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn encode_keeps_unreserved_characters() {
        assert_eq!(encode("a b/c~d", false), "a%20b/c~d");
        assert_eq!(encode("a/b", true), "a%2Fb");
    }
}
