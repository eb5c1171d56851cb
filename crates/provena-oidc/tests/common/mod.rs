//! Test support: the oidc-provider server under `tools/oidc-provider/`, a client for it, and a
//! small browser that fills in the provider's own sign-in forms.

#![allow(
    dead_code,
    reason = "each test file uses a different part of this module"
)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use provena_http::{Config, HttpClient, Secret, Service};
use provena_oidc::{DeviceCodePrompt, SignInError};
use tokio::sync::mpsc;
use url::Url;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn provider_dir() -> PathBuf {
    workspace_root().join("tools/oidc-provider")
}

/// A running oidc-provider: one the test started (killed on drop), or the shared one named
/// by `PROVENA_TEST_OIDC_URL`.
pub struct Provider {
    pub issuer: Url,
    child: Option<Child>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn skip_or_fail(reason: &str) -> Option<Provider> {
    if std::env::var("PROVENA_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!("{reason}; run `cargo xtask test`, which installs and starts the OpenID provider");
    }
    eprintln!("skipping: {reason}; run `cargo xtask test` to include this test");
    None
}

impl Provider {
    /// Returns the shared provider, or starts one, or returns `None` after printing a skip
    /// notice when neither is possible.
    pub fn get() -> Option<Provider> {
        if let Ok(url) = std::env::var("PROVENA_TEST_OIDC_URL") {
            let issuer = Url::parse(&url).expect("PROVENA_TEST_OIDC_URL is a URL");
            return Some(Provider {
                issuer,
                child: None,
            });
        }
        Self::spawn(&[])
    }

    /// Starts a provider of this test's own, with extra command-line arguments.
    pub fn spawn(args: &[&str]) -> Option<Provider> {
        let dir = provider_dir();
        if !dir.join("node_modules").exists() {
            return skip_or_fail(
                "PROVENA_TEST_OIDC_URL is unset and tools/oidc-provider/node_modules is missing",
            );
        }
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("PROVENA_TEST_OIDC_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("node starts; install Node.js 20.19 or later");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("server prints its issuer");
        // Keep reading so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let issuer = Url::parse(line.trim()).unwrap_or_else(|err| {
            let _ = child.kill();
            panic!("server printed `{line}` instead of its issuer URL: {err}")
        });
        Some(Provider {
            issuer,
            child: Some(child),
        })
    }

    pub fn port(&self) -> u16 {
        self.issuer.port().expect("issuer has a port")
    }

    /// Builds an HTTP client whose issuer endpoint is this provider.
    pub fn http(&self) -> HttpClient {
        let origin = format!("http://127.0.0.1:{}", self.port());
        let config = Config::builder()
            .single_base(origin)
            .endpoint(Service::Issuer, self.issuer.as_str())
            .build()
            .expect("loopback config is valid");
        HttpClient::anonymous(config).expect("client builds")
    }

    pub fn endpoint(&self, path: &str) -> Url {
        Url::parse(&format!(
            "{}{path}",
            self.issuer.as_str().trim_end_matches('/')
        ))
        .expect("endpoint URL")
    }

    /// Returns the number of token requests for `client_id` with `grant_type` so far.
    pub async fn token_requests(&self, client_id: &str, grant_type: &str) -> u64 {
        let url = format!("http://127.0.0.1:{}/test/counters", self.port());
        let body = send(&self.http(), http::Method::GET, &url, None, &[])
            .await
            .1;
        let counters: serde_json::Value = serde_json::from_slice(&body).expect("counters JSON");
        counters["token"][format!("{client_id} {grant_type}")]
            .as_u64()
            .unwrap_or(0)
    }

    /// Returns the number of requests to `path` below the issuer so far.
    pub async fn path_requests(&self, path: &str) -> u64 {
        let url = format!("http://127.0.0.1:{}/test/counters", self.port());
        let body = send(&self.http(), http::Method::GET, &url, None, &[])
            .await
            .1;
        let counters: serde_json::Value = serde_json::from_slice(&body).expect("counters JSON");
        counters["paths"][path].as_u64().unwrap_or(0)
    }

    /// Posts a form to the issuer's token endpoint and returns status and JSON body.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let url = self.endpoint("/protocol/openid-connect/token");
        let (status, body, _) = send(
            &self.http(),
            http::Method::POST,
            url.as_str(),
            Some(form),
            &[],
        )
        .await;
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Revokes `token` through the issuer's revocation endpoint (RFC 7009).
    pub async fn revoke(&self, client_id: &str, token: &Secret) {
        let url = self.endpoint("/protocol/openid-connect/revoke");
        let form = [
            ("client_id", client_id),
            ("token", token.expose()),
            ("token_type_hint", "refresh_token"),
        ];
        let (status, body, _) = send(
            &self.http(),
            http::Method::POST,
            url.as_str(),
            Some(&form),
            &[],
        )
        .await;
        assert_eq!(
            status,
            200,
            "revocation failed: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

fn encode_form(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

async fn send(
    http: &HttpClient,
    method: http::Method,
    url: &str,
    form: Option<&[(&str, &str)]>,
    headers: &[(http::HeaderName, String)],
) -> (u16, Bytes, http::HeaderMap) {
    let mut builder = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let body = match form {
        Some(form) => {
            builder = builder.header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
            Bytes::from(encode_form(form))
        }
        None => Bytes::new(),
    };
    let response = http
        .send_raw(builder.body(body).expect("request builds"))
        .await
        .expect("provider answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.into_body(), headers)
}

/// Builds a prompt that sends each device code to the returned receiver.
pub fn channel_prompt() -> (
    impl Fn(&DeviceCodePrompt) + Send + Sync + 'static,
    mpsc::UnboundedReceiver<DeviceCodePrompt>,
) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let prompt = move |prompt: &DeviceCodePrompt| {
        let _ = sender.send(prompt.clone());
    };
    (prompt, receiver)
}

/// What the person at the browser does with a device code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    /// Presses "Abort" on the provider's device confirmation page.
    AbortAtConfirmation,
    /// Signs in, then presses "No" on the consent page.
    DenyAtConsent,
}

/// Drives the provider's pages like a person in a browser: cookies, forms and redirects.
pub struct Browser {
    http: HttpClient,
    cookies: Mutex<BTreeMap<String, String>>,
}

pub struct Page {
    pub url: Url,
    pub status: u16,
    pub body: String,
}

impl Browser {
    pub fn new(provider: &Provider) -> Self {
        Self {
            http: provider.http(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    fn cookie_header(&self) -> Vec<(http::HeaderName, String)> {
        let cookies = self.cookies.lock().unwrap();
        if cookies.is_empty() {
            return Vec::new();
        }
        let value = cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        vec![(http::header::COOKIE, value)]
    }

    fn keep_cookies(&self, headers: &http::HeaderMap) {
        let mut cookies = self.cookies.lock().unwrap();
        for value in headers.get_all(http::header::SET_COOKIE) {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    cookies.remove(name.trim());
                } else {
                    cookies.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
    }

    /// Sends a request and follows redirects with GET, as a browser does after a form post.
    pub async fn open(
        &self,
        method: http::Method,
        url: Url,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let (mut method, mut url) = (method, url);
        let mut form = form.map(|form| form.to_vec());
        for _ in 0..20 {
            let headers = self.cookie_header();
            let (status, body, response_headers) = send(
                &self.http,
                method.clone(),
                url.as_str(),
                form.as_deref(),
                &headers,
            )
            .await;
            self.keep_cookies(&response_headers);
            if (300..400).contains(&status) {
                let location = response_headers
                    .get(http::header::LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .expect("redirect has a Location");
                url = url.join(location).expect("Location is a URL");
                method = http::Method::GET;
                form = None;
                continue;
            }
            return Page {
                url,
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            };
        }
        panic!("too many redirects");
    }

    /// Submits the form with id `form_id` on `page`, adding `extra` fields to its own.
    pub async fn submit(&self, page: &Page, form_id: &str, extra: &[(&str, &str)]) -> Page {
        let form = find_form(&page.body, form_id)
            .unwrap_or_else(|| panic!("no form `{form_id}` on {}:\n{}", page.url, page.body));
        let mut fields: Vec<(&str, &str)> = form
            .fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        fields.extend_from_slice(extra);
        let action = page.url.join(&form.action).expect("form action is a URL");
        self.open(http::Method::POST, action, Some(&fields)).await
    }

    /// Acts on a device code the way a person would: enters the code, confirms it, signs in
    /// and submits the consent page.
    pub async fn handle_device_code(
        &self,
        prompt: &DeviceCodePrompt,
        user: &str,
        decision: Decision,
    ) -> Page {
        let start = Url::parse(&prompt.verification_uri).expect("verification URI");
        let page = self.open(http::Method::GET, start, None).await;
        let page = self
            .submit(
                &page,
                "op.deviceInputForm",
                &[("user_code", prompt.user_code.expose())],
            )
            .await;
        if decision == Decision::AbortAtConfirmation {
            return self
                .submit(&page, "op.deviceConfirmForm", &[("abort", "yes")])
                .await;
        }
        let mut page = self.submit(&page, "op.deviceConfirmForm", &[]).await;
        // A browser that signed in before skips the login page, and one that consented
        // before may skip the consent page too.
        let password = format!("{user}-password");
        if find_form(&page.body, "kc-form-login").is_some() {
            page = self
                .submit(
                    &page,
                    "kc-form-login",
                    &[("username", user), ("password", &password)],
                )
                .await;
        }
        if find_form(&page.body, "kc-form-consent").is_some() {
            let form = if decision == Decision::DenyAtConsent {
                "kc-form-deny"
            } else {
                "kc-form-consent"
            };
            page = self.submit(&page, form, &[]).await;
        }
        page
    }
}

pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// Finds `<form id="form_id">` and its named inputs' values.
pub fn find_form(html: &str, form_id: &str) -> Option<Form> {
    let marker = format!("id=\"{form_id}\"");
    let at = html.find(&marker)?;
    let form_start = html[..at].rfind("<form")?;
    let tag_end = html[form_start..].find('>')? + form_start;
    let action = attribute(&html[form_start..tag_end], "action")?;
    let form_end = html[form_start..]
        .find("</form>")
        .map_or(html.len(), |end| end + form_start);
    let mut fields = Vec::new();
    let mut rest = &html[tag_end..form_end];
    while let Some(input) = rest.find("<input") {
        let close = rest[input..]
            .find('>')
            .map_or(rest.len(), |end| end + input);
        let tag = &rest[input..close];
        if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
            fields.push((name, value));
        }
        rest = &rest[close..];
    }
    Some(Form { action, fields })
}

/// Spawns a task that acts on every device code the session shows, as `user`.
pub fn answer_prompts(
    provider: &Provider,
    mut prompts: mpsc::UnboundedReceiver<DeviceCodePrompt>,
    user: &'static str,
    decision: Decision,
    delay: Duration,
) -> tokio::task::JoinHandle<Vec<Page>> {
    let browser = Arc::new(Browser::new(provider));
    tokio::spawn(async move {
        let mut pages = Vec::new();
        while let Some(prompt) = prompts.recv().await {
            tokio::time::sleep(delay).await;
            pages.push(browser.handle_device_code(&prompt, user, decision).await);
        }
        pages
    })
}

/// Returns the sign-in failure inside `error`, failing the test when there is none.
pub fn sign_in_error(error: &provena_http::Error) -> &SignInError {
    SignInError::find(error).unwrap_or_else(|| panic!("not a sign-in failure: {error:?}"))
}
