//! Deployment endpoints and client settings.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::tls::{self, ExtraRoots};

/// The environment variable naming a PEM file of extra CA certificates to trust.
const EXTRA_CA_CERTS: &str = "PROVENA_EXTRA_CA_CERTS";

/// One of the Provena services, or a host outside the deployment.
///
/// The service decides which base URL a request goes to and whether it carries the bearer
/// token: only the seven API services do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// The entity registry (`registry-api.<domain>`).
    Registry,
    /// The data store (`data-api.<domain>`).
    Datastore,
    /// The provenance graph (`prov-api.<domain>`).
    Prov,
    /// Search over registry items (`search.<domain>`).
    Search,
    /// Asynchronous jobs (`job-api.<domain>`).
    Jobs,
    /// The handle service (`handle.<domain>`).
    IdService,
    /// The auth API: groups, access requests and user links (`auth-api.<domain>`).
    Auth,
    /// The OpenID Connect issuer (Keycloak realm). Requests to it never carry a bearer token.
    Issuer,
    /// A host outside the deployment, such as a presigned S3 URL. Never carries a token.
    External,
}

impl Service {
    /// The seven API services, in a fixed order.
    pub const API_SERVICES: [Service; 7] = [
        Service::Registry,
        Service::Datastore,
        Service::Prov,
        Service::Search,
        Service::Jobs,
        Service::IdService,
        Service::Auth,
    ];

    /// Returns the short lower-case name used in logs and errors, such as `registry`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Registry => "registry",
            Service::Datastore => "datastore",
            Service::Prov => "prov",
            Service::Search => "search",
            Service::Jobs => "jobs",
            Service::IdService => "id-service",
            Service::Auth => "auth",
            Service::Issuer => "issuer",
            Service::External => "external",
        }
    }

    /// Returns the host prefix Provena deploys this service under, such as `registry-api`.
    fn host_prefix(self) -> Option<&'static str> {
        Some(match self {
            Service::Registry => "registry-api",
            Service::Datastore => "data-api",
            Service::Prov => "prov-api",
            Service::Search => "search",
            Service::Jobs => "job-api",
            Service::IdService => "handle",
            Service::Auth => "auth-api",
            Service::Issuer | Service::External => return None,
        })
    }

    /// Returns the environment variable that overrides this service's base URL.
    pub fn env_var(self) -> Option<&'static str> {
        Some(match self {
            Service::Registry => "PROVENA_REGISTRY_URL",
            Service::Datastore => "PROVENA_DATASTORE_URL",
            Service::Prov => "PROVENA_PROV_URL",
            Service::Search => "PROVENA_SEARCH_URL",
            Service::Jobs => "PROVENA_JOBS_URL",
            Service::IdService => "PROVENA_ID_SERVICE_URL",
            Service::Auth => "PROVENA_AUTH_URL",
            Service::Issuer => "PROVENA_ISSUER_URL",
            Service::External => return None,
        })
    }

    /// Reports whether requests to this service carry the bearer token.
    pub fn carries_token(self) -> bool {
        !matches!(self, Service::Issuer | Service::External)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The base URLs of one Provena deployment.
///
/// Built from a domain and a Keycloak realm, the way Provena deploys its services, with any
/// URL overridden one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    urls: [Url; 7],
    issuer: Url,
}

impl Endpoints {
    /// Derives every base URL from a deployment domain and Keycloak realm.
    ///
    /// `https://registry-api.<domain>`, `https://data-api.<domain>` and so on, and the issuer
    /// `https://auth.<domain>/auth/realms/<realm>`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the domain or realm is empty or not a valid host name or path
    /// segment.
    pub fn from_domain(domain: &str, realm: &str) -> Result<Self, Error> {
        let domain = domain.trim().trim_end_matches('/');
        if domain.is_empty() {
            return Err(Error::config(
                "domain",
                domain,
                "set the deployment's domain, such as `provena.example.org`",
            ));
        }
        if domain.contains("://") || domain.contains('/') || domain.contains(char::is_whitespace) {
            return Err(Error::config(
                "domain",
                domain,
                "give the bare domain without scheme or path, such as `provena.example.org`",
            ));
        }
        let domain_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if let Some(bad) = domain.chars().find(|c| !domain_char(*c)) {
            return Err(Error::config(
                "domain",
                domain,
                format!(
                    "`{bad}` is not allowed in a domain; use only letters, digits, dots and hyphens, such as `provena.example.org`"
                ),
            ));
        }
        let realm = realm.trim();
        let realm_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if realm.is_empty() || !realm.chars().all(realm_char) {
            return Err(Error::config(
                "realm",
                realm,
                "set the Keycloak realm name (letters, digits, `.`, `-`, `_`), such as `provena`",
            ));
        }
        let service_url = |service: Service| -> Result<Url, Error> {
            let prefix = service.host_prefix().unwrap_or("unknown");
            let text = format!("https://{prefix}.{domain}");
            Url::parse(&text).map_err(|err| {
                Error::config(
                    "domain",
                    domain,
                    format!("`{text}` is not a valid URL: {err}"),
                )
            })
        };
        let urls = [
            service_url(Service::Registry)?,
            service_url(Service::Datastore)?,
            service_url(Service::Prov)?,
            service_url(Service::Search)?,
            service_url(Service::Jobs)?,
            service_url(Service::IdService)?,
            service_url(Service::Auth)?,
        ];
        let issuer_text = format!("https://auth.{domain}/auth/realms/{realm}");
        let issuer = Url::parse(&issuer_text).map_err(|err| {
            Error::config(
                "domain",
                domain,
                format!("`{issuer_text}` is not a valid URL: {err}"),
            )
        })?;
        Ok(Self { urls, issuer })
    }

    /// Builds endpoints where every service and the issuer share one base URL, each service
    /// under its own path prefix (`<base>/registry`, `<base>/datastore`, ...) and the issuer
    /// at `<base>/issuer`. Useful for a gateway or a local double.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `base` is not a valid absolute http(s) URL.
    pub fn single_base(base: &str) -> Result<Self, Error> {
        let base = parse_base_url("base URL", base)?;
        let join = |segment: &str| -> Url {
            let mut url = base.clone();
            let path = format!("{}/{segment}", url.path().trim_end_matches('/'));
            url.set_path(&path);
            url
        };
        Ok(Self {
            urls: Service::API_SERVICES.map(|service| join(service.name())),
            issuer: join("issuer"),
        })
    }

    /// Builds endpoints from one URL per API service and the issuer, with no domain.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variables of the services that have no URL, or the
    /// first URL that is invalid.
    fn from_overrides(overrides: &[(Service, String)]) -> Result<Self, Error> {
        let find = |service: Service| {
            overrides
                .iter()
                .rev()
                .find(|(candidate, _)| *candidate == service)
                .map(|(_, url)| url.as_str())
        };
        let required = Service::API_SERVICES
            .into_iter()
            .chain(std::iter::once(Service::Issuer));
        let missing: Vec<&str> = required
            .filter(|service| find(*service).is_none())
            .filter_map(Service::env_var)
            .collect();
        if missing.len() == Service::API_SERVICES.len() + 1 {
            return Err(Error::config(
                "domain",
                "",
                "set the deployment with `domain(..)` or PROVENA_DOMAIN, or give a base URL",
            ));
        }
        if !missing.is_empty() {
            return Err(Error::config(
                "service URLs",
                missing.join(", "),
                "without a domain every service URL and the issuer must be given; set these too, or set PROVENA_DOMAIN",
            ));
        }
        let parse = |service: Service| -> Result<Url, Error> {
            let field = service.env_var().unwrap_or("url");
            parse_base_url(field, find(service).unwrap_or_default())
        };
        let mut urls = Vec::with_capacity(Service::API_SERVICES.len());
        for service in Service::API_SERVICES {
            urls.push(parse(service)?);
        }
        let urls: [Url; 7] = urls
            .try_into()
            .map_err(|_| Error::config("service URLs", "", "expected one URL per API service"))?;
        Ok(Self {
            urls,
            issuer: parse(Service::Issuer)?,
        })
    }

    /// Returns the base URL of `service`. [`Service::External`] has none.
    pub fn url(&self, service: Service) -> Option<&Url> {
        match service {
            Service::Issuer => Some(&self.issuer),
            Service::External => None,
            other => Service::API_SERVICES
                .iter()
                .position(|candidate| *candidate == other)
                .map(|index| &self.urls[index]),
        }
    }

    /// Returns the issuer URL (the Keycloak realm).
    pub fn issuer(&self) -> &Url {
        &self.issuer
    }

    /// Replaces the base URL of one service, or the issuer.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `url` is not a valid absolute http(s) URL, or when `service`
    /// is [`Service::External`], which has no base URL.
    pub fn set(&mut self, service: Service, url: &str) -> Result<(), Error> {
        let field = service.env_var().unwrap_or("external");
        let url = parse_base_url(field, url)?;
        match service {
            Service::Issuer => self.issuer = url,
            Service::External => {
                return Err(Error::config(
                    "service",
                    "external",
                    "external hosts have no base URL; pass full URLs to `HttpClient::request_url`",
                ));
            }
            other => {
                if let Some(index) = Service::API_SERVICES.iter().position(|s| *s == other) {
                    self.urls[index] = url;
                }
            }
        }
        Ok(())
    }

    /// Returns this set with one URL replaced; see [`Endpoints::set`].
    ///
    /// # Errors
    ///
    /// As [`Endpoints::set`].
    pub fn with(mut self, service: Service, url: &str) -> Result<Self, Error> {
        self.set(service, url)?;
        Ok(self)
    }

    /// Finds the service whose base URL has the same origin as `url` and whose path is
    /// `url`'s path or one of its parent paths (`/registry` matches `/registry/x` but not
    /// `/registry-copy`).
    pub fn service_for(&self, url: &Url) -> Option<Service> {
        Service::API_SERVICES
            .iter()
            .copied()
            .chain(std::iter::once(Service::Issuer))
            .find(|service| {
                self.url(*service).is_some_and(|base| {
                    let prefix = base.path().trim_end_matches('/');
                    let below = url
                        .path()
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
                    base.origin() == url.origin() && below
                })
            })
    }

    /// Checks that every URL is https, or http to a loopback host. Plain http elsewhere
    /// would send bearer tokens in the clear.
    fn check_transport_security(&self) -> Result<(), Error> {
        let services = Service::API_SERVICES
            .into_iter()
            .chain(std::iter::once(Service::Issuer));
        for service in services {
            if let Some(url) = self.url(service) {
                let field = service.env_var().unwrap_or("url");
                check_plain_http(field, url)?;
            }
        }
        Ok(())
    }
}

/// Rejects plain http to a host other than loopback, naming `field`.
fn check_plain_http(field: &str, url: &Url) -> Result<(), Error> {
    if url.scheme() == "http" && !is_loopback(url) {
        return Err(Error::config(
            field,
            url.as_str(),
            "use https; plain http is allowed only to 127.0.0.1 or localhost unless you opt in with `allow_insecure_http(true)` or PROVENA_ALLOW_INSECURE_HTTP=1",
        ));
    }
    Ok(())
}

/// Parses an endpoint URL outside the seven services, such as the S3 endpoint for dataset
/// files, with the same rules as the service URLs: absolute http(s), no user name or
/// password, no query, and https unless the host is loopback or `allow_insecure_http` is set.
///
/// # Errors
///
/// [`Error::Config`] naming `field` and the value.
pub fn parse_endpoint_url(
    field: &str,
    text: &str,
    allow_insecure_http: bool,
) -> Result<Url, Error> {
    let url = parse_base_url(field, text)?;
    if !allow_insecure_http {
        check_plain_http(field, &url)?;
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

fn parse_base_url(field: &str, text: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim()).map_err(|err| {
        Error::config(
            field,
            text,
            format!("give an absolute URL such as `https://registry-api.example.org` ({err})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(
            field,
            text,
            "the scheme must be http or https",
        ));
    }
    if url.host().is_none() {
        return Err(Error::config(field, text, "the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url;
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(Error::config(
            field,
            shown.as_str(),
            "remove the user name and password from the URL; sign-in goes through the token provider",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            field,
            text,
            "remove the query string and fragment",
        ));
    }
    Ok(url)
}

/// Timeouts applied to each request.
///
/// Provena's gateway cuts requests at 30 seconds, so a single attempt rarely needs longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed to open a TCP connection and finish the TLS handshake. Default 10 s.
    pub connect: Duration,
    /// Time allowed for one attempt, from sending the request to reading the whole body.
    /// For streaming downloads it covers the wait for the response head and then each wait
    /// for the next chunk. Default 35 s, a little over the gateway's 30 s cut-off.
    pub attempt: Duration,
    /// Time allowed for the whole operation, all retries and backoff included. Default 120 s.
    pub overall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            attempt: Duration::from_secs(35),
            overall: Duration::from_secs(120),
        }
    }
}

/// How failed attempts are retried.
///
/// Only idempotent requests are retried (GET, PUT, DELETE, and POSTs marked safe), after a
/// connection error, an attempt timeout, or HTTP 429, 502, 503 and 504. A connection that
/// failed to open is retried for any method, because the request never left. The delay
/// before retry `n` (counting from 1) is drawn uniformly from
/// `0..=min(max_backoff, initial_backoff * 2^(n-1))` (full jitter), unless the server sent
/// `Retry-After`, which is honoured up to `max_backoff`. Each retry is logged at info level
/// with its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included. `1` disables retries. Default 4.
    pub max_attempts: u32,
    /// Upper bound of the first backoff. Default 200 ms.
    pub initial_backoff: Duration,
    /// Upper bound of any backoff, `Retry-After` included. Default 10 s.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Returns a policy that never retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }
}

/// The root certificates that TLS connections trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RootCertificates {
    /// The Mozilla roots bundled with `webpki-roots` (feature `webpki-roots`, on by default).
    #[default]
    Webpki,
    /// The operating system's certificate store (feature `native-roots`).
    Native,
}

/// Settings for an [`HttpClient`](crate::HttpClient): endpoints, timeouts, retries and limits.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) endpoints: Endpoints,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) user_agent: String,
    pub(crate) roots: RootCertificates,
    pub(crate) extra_roots: ExtraRoots,
    pub(crate) allow_insecure_http: bool,
}

impl Config {
    /// Starts a builder for the deployment at `domain` with Keycloak realm `realm`.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the configuration from the environment.
    ///
    /// `PROVENA_DOMAIN` and `PROVENA_REALM` give the deployment; `PROVENA_REGISTRY_URL`,
    /// `PROVENA_DATASTORE_URL`, `PROVENA_PROV_URL`, `PROVENA_SEARCH_URL`, `PROVENA_JOBS_URL`,
    /// `PROVENA_ID_SERVICE_URL`, `PROVENA_AUTH_URL` and `PROVENA_ISSUER_URL` override single
    /// URLs. `PROVENA_ALLOW_INSECURE_HTTP=1` permits plain http to non-loopback hosts.
    /// `PROVENA_EXTRA_CA_CERTS` names a PEM file of CA certificates to trust in addition to
    /// the chosen root set, for a deployment whose certificates come from a private CA; see
    /// [`ConfigBuilder::add_root_certificate_pem`].
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable when a value is missing or invalid, including a
    /// `PROVENA_EXTRA_CA_CERTS` file that cannot be read (the message has the path and the
    /// operating system's error), contains no certificate, or contains one rustls rejects.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().env(|name| std::env::var(name).ok()).build()
    }

    /// Returns the endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Returns the timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Returns the retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Reports whether plain http to hosts other than loopback is allowed.
    pub fn allows_insecure_http(&self) -> bool {
        self.allow_insecure_http
    }

    /// Returns the largest response body accepted, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// Returns the root certificate set that TLS connections trust.
    pub fn root_certificates(&self) -> RootCertificates {
        self.roots
    }

    /// Returns how many CA certificates are trusted in addition to the root set, from
    /// [`ConfigBuilder::add_root_certificate_pem`] and `PROVENA_EXTRA_CA_CERTS`.
    pub fn extra_root_count(&self) -> usize {
        self.extra_roots.len()
    }

    /// Returns the DER encoding of each CA certificate trusted in addition to the root set,
    /// for HTTP clients outside this crate (such as an S3 client) that should trust the same
    /// private CA.
    pub fn extra_root_certificates_der(&self) -> impl Iterator<Item = &[u8]> {
        self.extra_roots.der()
    }
}

/// Builder for [`Config`].
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    domain: Option<String>,
    realm: Option<String>,
    base: Option<String>,
    explicit: Option<Endpoints>,
    overrides: Vec<(Service, String)>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    max_response_bytes: usize,
    user_agent: Option<String>,
    allow_insecure_http: bool,
    roots: RootCertificates,
    extra_roots: Vec<RootSource>,
    env_error: Option<(String, String, String)>,
}

/// A source of extra CA certificates, read and checked in [`ConfigBuilder::build`].
#[derive(Clone)]
enum RootSource {
    /// PEM given in code; the number counts `add_root_certificate_pem` calls from 1.
    Pem(u32, Vec<u8>),
    /// The path in `PROVENA_EXTRA_CA_CERTS`.
    File(String),
}

impl fmt::Debug for RootSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootSource::Pem(number, pem) => write!(f, "Pem(#{number}, {} bytes)", pem.len()),
            RootSource::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl RootSource {
    /// Reads and parses the certificates.
    fn load(&self) -> Result<ExtraRoots, Error> {
        match self {
            RootSource::Pem(number, pem) => {
                let value = format!("PEM input #{number} ({} bytes)", pem.len());
                tls::parse_pem_roots(pem, "add_root_certificate_pem", &value)
            }
            RootSource::File(path) => {
                let pem = std::fs::read(path).map_err(|err| {
                    Error::config(
                        EXTRA_CA_CERTS,
                        path.as_str(),
                        format!(
                            "cannot read the file ({err}); give the path of a PEM file holding the CA certificates to trust"
                        ),
                    )
                })?;
                tls::parse_pem_roots(&pem, EXTRA_CA_CERTS, path)
            }
        }
    }
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self {
            domain: None,
            realm: None,
            base: None,
            explicit: None,
            overrides: Vec::new(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            max_response_bytes: 64 * 1024 * 1024,
            user_agent: None,
            allow_insecure_http: false,
            roots: RootCertificates::default(),
            extra_roots: Vec::new(),
            env_error: None,
        }
    }
}

impl ConfigBuilder {
    /// Sets the deployment domain, such as `provena.example.org`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Sets the Keycloak realm, such as `provena`.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Serves every service from one base URL, each under its own path prefix; see
    /// [`Endpoints::single_base`]. Takes the place of a domain.
    pub fn single_base(mut self, base: impl Into<String>) -> Self {
        self.base = Some(base.into());
        self
    }

    /// Overrides the base URL of one service or of the issuer.
    pub fn endpoint(mut self, service: Service, url: impl Into<String>) -> Self {
        self.overrides.push((service, url.into()));
        self
    }

    /// Uses every URL of `endpoints`, in place of a domain or base URL. Overrides from
    /// [`endpoint`](Self::endpoint) and the environment still apply on top.
    pub fn endpoints(mut self, endpoints: &Endpoints) -> Self {
        self.explicit = Some(endpoints.clone());
        self
    }

    /// Sets the timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// Sets the per-attempt timeout.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = timeout;
        self
    }

    /// Sets the timeout for a whole operation, retries included.
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.overall = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the largest response body accepted, in bytes (default 64 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Appends a product token to the `User-Agent` header, after `provena-rs/<version>`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent = Some(suffix.into());
        self
    }

    /// Permits plain http to hosts other than loopback. Off by default, because bearer tokens
    /// would travel unencrypted.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Chooses the root certificates that TLS trusts.
    pub fn root_certificates(mut self, roots: RootCertificates) -> Self {
        self.roots = roots;
        self
    }

    /// Trusts the CA certificates in `pem` in addition to the chosen root set, for a
    /// deployment whose certificates come from a private CA. May be called more than once;
    /// every call adds to the set. Sections other than certificates, such as keys, are
    /// skipped.
    ///
    /// The PEM is checked by [`build`](Self::build), which fails with [`Error::Config`] when
    /// it is malformed, contains no certificate, or contains one rustls cannot use as a root.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), provena_http::Error> {
    /// let pem = std::fs::read("/etc/provena/ca.pem").expect("the CA file");
    /// let config = provena_http::Config::builder()
    ///     .domain("provena.example.org")
    ///     .realm("provena")
    ///     .add_root_certificate_pem(pem)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        let number = self
            .extra_roots
            .iter()
            .filter(|source| matches!(source, RootSource::Pem(..)))
            .count();
        let number = u32::try_from(number).unwrap_or(u32::MAX).saturating_add(1);
        self.extra_roots
            .push(RootSource::Pem(number, pem.as_ref().to_vec()));
        self
    }

    /// Reads settings through `lookup`, which maps an environment variable name to its value.
    /// See [`Config::from_env`] for the variables. Values already set on the builder win over
    /// the environment for domain and realm; URL overrides from the environment are applied
    /// after those set in code.
    pub fn env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if self.domain.is_none() && self.base.is_none() {
            self.domain = read("PROVENA_DOMAIN");
        }
        if self.realm.is_none() {
            self.realm = read("PROVENA_REALM");
        }
        let services = Service::API_SERVICES
            .into_iter()
            .chain(std::iter::once(Service::Issuer));
        for service in services {
            if let Some(value) = service.env_var().and_then(&read) {
                self.overrides.push((service, value));
            }
        }
        if let Some(path) = read(EXTRA_CA_CERTS) {
            self.extra_roots.push(RootSource::File(path));
        }
        if let Some(value) = read("PROVENA_ALLOW_INSECURE_HTTP") {
            match value.trim() {
                "1" | "true" | "yes" => self.allow_insecure_http = true,
                "0" | "false" | "no" => self.allow_insecure_http = false,
                other => {
                    self.env_error = Some((
                        "PROVENA_ALLOW_INSECURE_HTTP".into(),
                        other.into(),
                        "use 1 or 0".into(),
                    ));
                }
            }
        }
        self
    }

    /// Validates the settings and builds the [`Config`].
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the setting and value when the domain, realm or a URL is
    /// missing or invalid, or a URL uses plain http to a non-loopback host without
    /// [`allow_insecure_http`](Self::allow_insecure_http), or extra CA certificates cannot
    /// be read or used (see [`add_root_certificate_pem`](Self::add_root_certificate_pem)).
    pub fn build(self) -> Result<Config, Error> {
        if let Some((field, value, fix)) = self.env_error {
            return Err(Error::config(field, value, fix));
        }
        let mut endpoints = match (self.explicit, &self.base, &self.domain) {
            (Some(explicit), _, _) => explicit,
            (None, Some(base), _) => Endpoints::single_base(base)?,
            (None, None, Some(domain)) => {
                let realm = self.realm.as_deref().ok_or_else(|| {
                    Error::config(
                        "realm",
                        "",
                        "set the Keycloak realm with `realm(..)` or PROVENA_REALM",
                    )
                })?;
                Endpoints::from_domain(domain, realm)?
            }
            (None, None, None) => Endpoints::from_overrides(&self.overrides)?,
        };
        for (service, url) in &self.overrides {
            endpoints.set(*service, url)?;
        }
        if !self.allow_insecure_http {
            endpoints.check_transport_security()?;
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::config(
                "retry.max_attempts",
                "0",
                "use 1 to disable retries; 0 would never send the request",
            ));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::config(
                "max_response_bytes",
                "0",
                "set a positive limit in bytes",
            ));
        }
        let mut extra_roots = ExtraRoots::default();
        for source in &self.extra_roots {
            extra_roots.extend(source.load()?);
        }
        let mut user_agent = format!("provena-rs/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = &self.user_agent {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }
        Ok(Config {
            endpoints,
            timeouts: self.timeouts,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            user_agent,
            roots: self.roots,
            extra_roots,
            allow_insecure_http: self.allow_insecure_http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_derives_every_url() {
        let endpoints = Endpoints::from_domain("provena.example.org", "provena").unwrap();
        let url = |service| endpoints.url(service).unwrap().as_str().to_owned();
        assert_eq!(
            url(Service::Registry),
            "https://registry-api.provena.example.org/"
        );
        assert_eq!(
            url(Service::Datastore),
            "https://data-api.provena.example.org/"
        );
        assert_eq!(url(Service::Prov), "https://prov-api.provena.example.org/");
        assert_eq!(url(Service::Auth), "https://auth-api.provena.example.org/");
        assert_eq!(url(Service::Search), "https://search.provena.example.org/");
        assert_eq!(url(Service::Jobs), "https://job-api.provena.example.org/");
        assert_eq!(
            url(Service::IdService),
            "https://handle.provena.example.org/"
        );
        assert_eq!(
            endpoints.issuer().as_str(),
            "https://auth.provena.example.org/auth/realms/provena"
        );
    }

    #[test]
    fn empty_domain_is_rejected_by_name() {
        let error = Endpoints::from_domain("  ", "provena").unwrap_err();
        assert!(error.to_string().contains("domain"), "{error}");
    }

    #[test]
    fn plain_http_needs_loopback_or_opt_in() {
        let error = Config::builder()
            .domain("example.org")
            .realm("r")
            .endpoint(Service::Registry, "http://registry.example.org")
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("http://registry.example.org"),
            "{error}"
        );

        let config = Config::builder()
            .domain("example.org")
            .realm("r")
            .endpoint(Service::Registry, "http://127.0.0.1:8080")
            .build()
            .unwrap();
        assert_eq!(
            config.endpoints().url(Service::Registry).unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );

        let allowed = Config::builder()
            .domain("example.org")
            .realm("r")
            .endpoint(Service::Registry, "http://registry.example.org")
            .allow_insecure_http(true)
            .build();
        assert!(allowed.is_ok());
    }

    #[test]
    fn env_overrides_one_service() {
        let config = Config::builder()
            .env(|name| match name {
                "PROVENA_DOMAIN" => Some("example.org".into()),
                "PROVENA_REALM" => Some("test".into()),
                "PROVENA_SEARCH_URL" => Some("https://find.example.net/api".into()),
                _ => None,
            })
            .build()
            .unwrap();
        let endpoints = config.endpoints();
        assert_eq!(
            endpoints.url(Service::Search).unwrap().as_str(),
            "https://find.example.net/api"
        );
        assert_eq!(
            endpoints.url(Service::Jobs).unwrap().as_str(),
            "https://job-api.example.org/"
        );
    }

    #[test]
    fn bad_override_names_the_variable() {
        let error = Config::builder()
            .env(|name| match name {
                "PROVENA_DOMAIN" => Some("example.org".into()),
                "PROVENA_REALM" => Some("test".into()),
                "PROVENA_PROV_URL" => Some("not a url".into()),
                _ => None,
            })
            .build()
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("PROVENA_PROV_URL"), "{message}");
        assert!(message.contains("not a url"), "{message}");
    }

    #[test]
    fn explicit_endpoints_need_no_domain() {
        let endpoints = Endpoints::single_base("http://127.0.0.1:9000").unwrap();
        let config = Config::builder()
            .endpoints(&endpoints)
            .endpoint(Service::Search, "http://127.0.0.1:9100")
            .build()
            .unwrap();
        let built = config.endpoints();
        assert_eq!(
            built.url(Service::Registry).unwrap().as_str(),
            "http://127.0.0.1:9000/registry"
        );
        assert_eq!(
            built.url(Service::Search).unwrap().as_str(),
            "http://127.0.0.1:9100/"
        );
        assert_eq!(built.issuer().as_str(), "http://127.0.0.1:9000/issuer");
    }

    #[test]
    fn all_urls_without_domain_build() {
        let mut builder = Config::builder();
        for (index, service) in Service::API_SERVICES.into_iter().enumerate() {
            builder = builder.endpoint(service, format!("http://127.0.0.1:{}", 9000 + index));
        }
        let config = builder
            .endpoint(Service::Issuer, "http://127.0.0.1:9100/auth/realms/provena")
            .build()
            .unwrap();
        let endpoints = config.endpoints();
        assert_eq!(
            endpoints.url(Service::Prov).unwrap().as_str(),
            "http://127.0.0.1:9002/"
        );
        assert_eq!(
            endpoints.issuer().as_str(),
            "http://127.0.0.1:9100/auth/realms/provena"
        );
    }

    #[test]
    fn partial_urls_without_domain_name_the_missing() {
        let error = Config::builder()
            .endpoint(Service::Registry, "http://127.0.0.1:9000")
            .build()
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("PROVENA_DATASTORE_URL"), "{message}");
        assert!(message.contains("PROVENA_ISSUER_URL"), "{message}");
        assert!(!message.contains("PROVENA_REGISTRY_URL"), "{message}");
    }

    #[test]
    fn domain_with_user_info_is_rejected() {
        for domain in [
            "user:pw@provena.example.org",
            "provena.example.org?x",
            "a#b.org",
        ] {
            let error = Endpoints::from_domain(domain, "provena").unwrap_err();
            assert!(error.to_string().contains(domain), "{error}");
        }
    }

    #[test]
    fn url_with_password_is_rejected_without_echoing_it() {
        let error = Config::builder()
            .domain("example.org")
            .realm("r")
            .endpoint(
                Service::Registry,
                "https://user:secretpw@registry.example.org",
            )
            .build()
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("PROVENA_REGISTRY_URL"), "{message}");
        assert!(!message.contains("secretpw"), "{message}");
    }

    #[test]
    fn endpoint_url_follows_transport_rules() {
        assert!(parse_endpoint_url("s3", "http://127.0.0.1:9000", false).is_ok());
        let error = parse_endpoint_url("s3", "http://10.0.0.5:9000", false).unwrap_err();
        assert!(
            error.to_string().contains("PROVENA_ALLOW_INSECURE_HTTP"),
            "{error}"
        );
        assert!(parse_endpoint_url("s3", "http://10.0.0.5:9000", true).is_ok());
        assert!(parse_endpoint_url("s3", "ftp://files.example.org", true).is_err());
    }

    #[test]
    fn single_base_gives_path_prefixes() {
        let endpoints = Endpoints::single_base("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            endpoints.url(Service::IdService).unwrap().as_str(),
            "http://127.0.0.1:9000/id-service"
        );
        let url = Url::parse("http://127.0.0.1:9000/registry/x").unwrap();
        assert_eq!(endpoints.service_for(&url), Some(Service::Registry));
        let other = Url::parse("http://127.0.0.1:9001/registry/x").unwrap();
        assert_eq!(endpoints.service_for(&other), None);
        let sibling = Url::parse("http://127.0.0.1:9000/registry-copy/x").unwrap();
        assert_eq!(endpoints.service_for(&sibling), None);
    }
}
