//! Issuer discovery and access-token validation against the issuer's key set.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, DeviceAuthorizationUrl, DiscoveryError, IssuerUrl, JsonWebKey,
    ProviderMetadata, RevocationUrl,
};
use provena_http::{Error, HttpClient};
use serde::{Deserialize, Serialize};

use crate::error::SignInError;
use crate::transport::IssuerTransport;

/// Discovery fields Keycloak publishes beyond OpenID Connect Discovery 1.0.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct ExtraMetadata {
    pub(crate) device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
    pub(crate) revocation_endpoint: Option<RevocationUrl>,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

pub(crate) type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The claims of a validated access token that Provena's services read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// `sub`: the user or service account id.
    pub subject: Option<String>,
    /// `preferred_username`: the Keycloak user name.
    pub username: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `realm_access.roles`: the user's realm roles, such as `entity-registry-read`.
    pub roles: Vec<String>,
    /// `azp`: the client the token was issued to.
    pub authorized_party: Option<String>,
    /// `exp`: when the token expires.
    pub expires_at: SystemTime,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    exp: Option<f64>,
    sub: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
    azp: Option<String>,
    realm_access: Option<RealmAccess>,
}

#[derive(Deserialize)]
struct RealmAccess {
    #[serde(default)]
    roles: Vec<String>,
}

/// A discovered issuer: its endpoints and a cached copy of its key set.
///
/// Access tokens are checked for an asymmetric signature by a key of the issuer's key set,
/// for `exp` in the future and for `iss` equal to the issuer. A token whose `kid` is not in
/// the cached set makes the verifier fetch the key set again, once per token, because the
/// issuer may have rotated its keys. The audience is not checked, as Provena's services do
/// not check it either.
#[derive(Debug)]
pub struct Issuer {
    pub(crate) metadata: Metadata,
    pub(crate) transport: IssuerTransport,
    keys: tokio::sync::Mutex<CoreJsonWebKeySet>,
}

impl Issuer {
    /// Reads the issuer's discovery document and key set.
    ///
    /// `issuer` is the realm URL, such as `https://auth.example.org/auth/realms/provena`; the
    /// document is read from `<issuer>/.well-known/openid-configuration`, and its `issuer`
    /// field must equal `issuer`.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] with [`SignInError::Discovery`] when the document or key set cannot
    /// be fetched or read.
    pub async fn discover(http: &HttpClient, issuer: &url::Url) -> Result<Self, Error> {
        let issuer_text = issuer.as_str().trim_end_matches('/').to_owned();
        let issuer_url = IssuerUrl::new(issuer_text.clone()).map_err(|err| {
            Error::config(
                "issuer",
                issuer_text.clone(),
                format!("not a valid URL: {err}"),
            )
        })?;
        let transport = IssuerTransport::new(http.clone());
        tracing::debug!(target: "provena_oidc", issuer = %issuer_text, "discovering issuer");
        let metadata = Metadata::discover_async(issuer_url, &transport)
            .await
            .map_err(|err| discovery_error(&issuer_text, err))?;
        let keys = metadata.jwks().clone();
        tracing::debug!(
            target: "provena_oidc",
            issuer = %issuer_text,
            keys = keys.keys().len(),
            device_flow = metadata.additional_metadata().device_authorization_endpoint.is_some(),
            "issuer discovered"
        );
        Ok(Self {
            metadata,
            transport,
            keys: tokio::sync::Mutex::new(keys),
        })
    }

    /// Returns the issuer URL from the discovery document.
    pub fn url(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    /// Validates `token` as an access token from this issuer and returns its claims.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] with [`SignInError::InvalidAccessToken`] naming the failed check, or
    /// [`SignInError::Discovery`] when the key set has to be fetched again and cannot be.
    pub async fn validate(&self, token: &provena_http::Secret) -> Result<AccessTokenClaims, Error> {
        let invalid = |reason: String| Error::from(SignInError::InvalidAccessToken { reason });
        let mut parts = token.expose().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("it is not a signed JWT with three parts".into()));
        };
        let header: Header = decode_part(header)
            .map_err(|reason| invalid(format!("its header is unreadable: {reason}")))?;
        let algorithm = signing_algorithm(&header.alg).map_err(invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|err| invalid(format!("its signature is not base64url: {err}")))?;
        let message = &token.expose()[..header_and_payload_len(token.expose())];

        self.verify_signature(
            header.kid.as_deref(),
            &algorithm,
            message.as_bytes(),
            &signature,
        )
        .await?;

        let claims: RawClaims = decode_part(payload)
            .map_err(|reason| invalid(format!("its claims are unreadable: {reason}")))?;
        let issuer = claims.iss.unwrap_or_default();
        if issuer.trim_end_matches('/') != self.url().trim_end_matches('/') {
            return Err(invalid(format!(
                "it was issued by `{issuer}`, not by `{}`",
                self.url()
            )));
        }
        let exp = claims
            .exp
            .filter(|exp| exp.is_finite() && *exp >= 0.0)
            .ok_or_else(|| invalid("it has no valid `exp` claim".into()))?;
        let expires_at = UNIX_EPOCH + Duration::from_secs_f64(exp);
        if expires_at <= SystemTime::now() {
            return Err(invalid("it has expired".into()));
        }
        Ok(AccessTokenClaims {
            subject: claims.sub,
            username: claims.preferred_username,
            email: claims.email,
            roles: claims
                .realm_access
                .map(|access| access.roles)
                .unwrap_or_default(),
            authorized_party: claims.azp,
            expires_at,
        })
    }

    async fn verify_signature(
        &self,
        kid: Option<&str>,
        algorithm: &CoreJwsSigningAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let mut keys = self.keys.lock().await;
        if !has_key(&keys, kid) {
            tracing::debug!(
                target: "provena_oidc",
                kid = kid.unwrap_or("none"),
                "token signed by an unknown key, fetching the key set again"
            );
            *keys = CoreJsonWebKeySet::fetch_async(self.metadata.jwks_uri(), &self.transport)
                .await
                .map_err(|err| discovery_error(self.url(), err))?;
        }
        let candidates = keys
            .keys()
            .iter()
            .filter(|key| kid.is_none() || key.key_id().map(|id| id.as_str()) == kid);
        let mut last_failure = None;
        for key in candidates {
            match key.verify_signature(algorithm, message, signature) {
                Ok(()) => return Ok(()),
                Err(err) => last_failure = Some(err.to_string()),
            }
        }
        let reason = match last_failure {
            Some(failure) => format!("its signature does not verify: {failure}"),
            None => format!(
                "it is signed by key `{}`, which the issuer does not publish",
                kid.unwrap_or("(no kid)")
            ),
        };
        Err(SignInError::InvalidAccessToken { reason }.into())
    }
}

fn has_key(keys: &CoreJsonWebKeySet, kid: Option<&str>) -> bool {
    match kid {
        Some(kid) => keys
            .keys()
            .iter()
            .any(|key| key.key_id().map(|id| id.as_str()) == Some(kid)),
        None => !keys.keys().is_empty(),
    }
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_part<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|err| format!("not base64url: {err}"))?;
    serde_json::from_slice(&bytes).map_err(|err| err.to_string())
}

/// Maps a JWS `alg` to openidconnect's algorithm and accepts only asymmetric ones, because
/// `none` accepts unsigned tokens and HMAC lets anyone holding the shared secret mint tokens.
fn signing_algorithm(alg: &str) -> Result<CoreJwsSigningAlgorithm, String> {
    let algorithm: CoreJwsSigningAlgorithm =
        serde_json::from_value(serde_json::Value::String(alg.to_owned()))
            .map_err(|_| format!("its algorithm `{alg}` is not supported"))?;
    match algorithm {
        CoreJwsSigningAlgorithm::None
        | CoreJwsSigningAlgorithm::HmacSha256
        | CoreJwsSigningAlgorithm::HmacSha384
        | CoreJwsSigningAlgorithm::HmacSha512 => Err(format!(
            "its algorithm `{alg}` is not an asymmetric signature"
        )),
        other => Ok(other),
    }
}

pub(crate) fn discovery_error(issuer: &str, error: DiscoveryError<Error>) -> Error {
    let reason = match error {
        DiscoveryError::Request(inner) => {
            return Error::SignIn {
                message: "issuer discovery failed".into(),
                source: Some(Box::new(SignInError::Discovery {
                    issuer: issuer.to_owned(),
                    reason: provena_http::display_chain(&inner),
                })),
            };
        }
        DiscoveryError::Response(status, _, message) => {
            format!("HTTP {}: {message}", status.as_u16())
        }
        DiscoveryError::Parse(err) => format!("unreadable document at `{}`: {err}", err.path()),
        DiscoveryError::Validation(message) | DiscoveryError::Other(message) => message,
        DiscoveryError::UrlParse(err) => format!("invalid URL: {err}"),
        other => other.to_string(),
    };
    SignInError::Discovery {
        issuer: issuer.to_owned(),
        reason,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_algorithm_rejects_symmetric_and_none() {
        assert!(signing_algorithm("RS256").is_ok());
        assert!(signing_algorithm("ES256").is_ok());
        assert!(signing_algorithm("none").is_err());
        assert!(signing_algorithm("HS256").is_err());
        assert!(signing_algorithm("XX999").is_err());
    }

    #[test]
    fn header_and_payload_exclude_signature() {
        assert_eq!(header_and_payload_len("aaa.bbb.ccc"), 7);
    }
}
