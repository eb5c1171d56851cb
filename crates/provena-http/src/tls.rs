//! The rustls client configuration: which root certificates to trust, extra roots given by
//! the user, the crypto provider, and the wording of certificate failures.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, TrustAnchor};
use rustls::{CertificateError, ClientConfig, RootCertStore};

use crate::config::{Config, RootCertificates};
use crate::error::Error;

/// CA certificates trusted on top of the chosen root set, as rustls trust anchors and as
/// the DER they came from. `Debug` shows only the count.
#[derive(Clone, Default)]
pub(crate) struct ExtraRoots {
    anchors: Vec<TrustAnchor<'static>>,
    der: Vec<CertificateDer<'static>>,
}

impl ExtraRoots {
    /// Adds the certificates of `other`.
    pub(crate) fn extend(&mut self, other: ExtraRoots) {
        self.anchors.extend(other.anchors);
        self.der.extend(other.der);
    }

    /// Returns the number of certificates.
    pub(crate) fn len(&self) -> usize {
        self.der.len()
    }

    /// Returns each certificate's DER encoding.
    pub(crate) fn der(&self) -> impl Iterator<Item = &[u8]> {
        self.der.iter().map(|der| der.as_ref())
    }
}

impl fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraRoots")
            .field("count", &self.len())
            .finish()
    }
}

/// Builds the rustls client configuration for `config`: the chosen roots plus the extra
/// ones, with the ring provider and the safe default protocol versions.
///
/// The ALPN list stays empty here. hyper-rustls panics when it is handed a preset list, and
/// it writes `h2` then `http/1.1` itself when the connector enables both HTTP versions.
///
/// # Errors
///
/// [`Error::Config`] when the chosen root set is not compiled in or cannot be loaded.
pub(crate) fn client_config(config: &Config) -> Result<ClientConfig, Error> {
    let mut roots = chosen_roots(config.roots)?;
    roots.extend(config.extra_roots.anchors.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::config("tls", "ring", format!("TLS setup failed: {err}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tls)
}

/// Loads the root set chosen with [`RootCertificates`].
fn chosen_roots(choice: RootCertificates) -> Result<RootCertStore, Error> {
    match choice {
        RootCertificates::Webpki => webpki_roots(),
        RootCertificates::Native => native_roots(),
    }
}

#[cfg(feature = "webpki-roots")]
fn webpki_roots() -> Result<RootCertStore, Error> {
    Ok(RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
}

#[cfg(not(feature = "webpki-roots"))]
fn webpki_roots() -> Result<RootCertStore, Error> {
    Err(Error::config(
        "root_certificates",
        "webpki",
        "enable the `webpki-roots` feature of provena-http, or choose native roots",
    ))
}

#[cfg(feature = "native-roots")]
fn native_roots() -> Result<RootCertStore, Error> {
    let loaded = rustls_native_certs::load_native_certs();
    let problems: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    if !problems.is_empty() {
        tracing::warn!(
            target: "provena_http",
            problems = %problems.join("; "),
            "some native root certificates could not be loaded"
        );
    }
    let mut roots = RootCertStore::empty();
    let (valid, invalid) = roots.add_parsable_certificates(loaded.certs);
    tracing::debug!(
        target: "provena_http",
        valid,
        invalid,
        "loaded native root certificates"
    );
    if roots.is_empty() {
        let mut fix = String::from(
            "TLS setup failed because the operating system's store has no usable root certificate",
        );
        if invalid > 0 {
            fix.push_str(&format!(" ({invalid} could not be parsed)"));
        }
        if !problems.is_empty() {
            fix.push_str(&format!(" ({})", problems.join("; ")));
        }
        fix.push_str(
            ". Install the system CA certificates, point SSL_CERT_FILE at a PEM bundle, or use the default webpki roots",
        );
        return Err(Error::config("tls", "native roots", fix));
    }
    Ok(roots)
}

#[cfg(not(feature = "native-roots"))]
fn native_roots() -> Result<RootCertStore, Error> {
    Err(Error::config(
        "root_certificates",
        "native",
        "enable the `native-roots` feature of provena-http",
    ))
}

/// Parses the CA certificates in `pem`, naming `field` and `value` in any error.
///
/// Sections other than certificates, such as private keys, are skipped.
///
/// # Errors
///
/// [`Error::Config`] when the PEM is malformed, contains no certificate, or contains a
/// certificate that rustls cannot use as a trust anchor.
pub(crate) fn parse_pem_roots(pem: &[u8], field: &str, value: &str) -> Result<ExtraRoots, Error> {
    let mut store = RootCertStore::empty();
    let mut certificates = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let der = item.map_err(|err| {
            Error::config(
                field,
                value,
                format!(
                    "not valid PEM ({err}); give CA certificates as `-----BEGIN CERTIFICATE-----` blocks"
                ),
            )
        })?;
        store.add(der.clone()).map_err(|err| {
            Error::config(
                field,
                value,
                format!(
                    "certificate {} cannot be used as a root certificate ({err}); give the CA certificate itself in PEM form",
                    index + 1
                ),
            )
        })?;
        certificates.push(der);
    }
    if store.is_empty() {
        return Err(Error::config(
            field,
            value,
            "contains no `-----BEGIN CERTIFICATE-----` block; give the CA certificate in PEM form",
        ));
    }
    Ok(ExtraRoots {
        anchors: store.roots,
        der: certificates,
    })
}

/// Finds a rustls certificate rejection in `error`'s source chain and describes it with
/// the fix, or returns `None` when the failure is not about the server's certificate.
pub(crate) fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let rejected = find_certificate_error(error)?;
    let fix_trust = "Trust the deployment's CA with `ConfigBuilder::add_root_certificate_pem` or PROVENA_EXTRA_CA_CERTS, or build with the `native-roots` feature and choose `RootCertificates::Native` to use the operating system's store";
    Some(match rejected {
        CertificateError::UnknownIssuer => format!(
            "the server's TLS certificate was rejected because of an unknown issuer (no trusted CA signed it). {fix_trust}"
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "the server's TLS certificate was rejected because it is not valid for this host name ({rejected}). Check that the service URL uses a host name the certificate names"
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => format!(
            "the server's TLS certificate was rejected because it has expired ({rejected}). The server's operator must renew it. If the date looks wrong, check this machine's clock"
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
            "the server's TLS certificate was rejected because it is not valid yet ({rejected}). Check this machine's clock"
        ),
        other => format!("the server's TLS certificate was rejected ({other}). {fix_trust}"),
    })
}

/// Walks the source chain. An I/O error is followed into the error it wraps, because
/// `std::io::Error::source` skips that error. tokio-rustls wraps the rustls error in an
/// I/O error, and hyper-rustls wraps that in another I/O error.
fn find_certificate_error(error: &(dyn std::error::Error + 'static)) -> Option<CertificateError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(rustls::Error::InvalidCertificate(rejected)) =
            cause.downcast_ref::<rustls::Error>()
        {
            return Some(rejected.clone());
        }
        current = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner),
                None => cause.source(),
            },
            None => cause.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificate_is_rejected() {
        let error = parse_pem_roots(b"just text", "PROVENA_EXTRA_CA_CERTS", "/tmp/ca.pem")
            .unwrap_err()
            .to_string();
        assert!(error.contains("PROVENA_EXTRA_CA_CERTS"), "{error}");
        assert!(error.contains("/tmp/ca.pem"), "{error}");
        assert!(error.contains("contains no"), "{error}");
    }

    #[test]
    fn certificate_error_is_found_inside_io_error() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let outer = std::io::Error::other(io);
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(outer);
        let text = certificate_problem(boxed.as_ref()).unwrap();
        assert!(text.contains("unknown issuer"), "{text}");
        assert!(text.contains("PROVENA_EXTRA_CA_CERTS"), "{text}");

        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(certificate_problem(&refused), None);
    }
}
