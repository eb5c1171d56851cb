//! The `provena` binary run as a user runs it, against the embedded Provena double.
//!
//! Every service URL, the issuer and the S3 endpoint point at the double on 127.0.0.1. The
//! child process gets a cleared environment with its home and configuration folders in a
//! temporary directory, so no command can reach anything else or touch the real token
//! store. Every run checks that no token the test handed out or found in the token store
//! appears in the output.
//!
//! Set `PROVENA_CLI_TEST_ECHO=1` and pass `--nocapture` to see every command and its output.

use std::cell::RefCell;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use provena::Service;
use provena_testkit::{ProvenaDouble, prov_fixture, users};
use serde_json::{Value, json};

/// The exit codes the CLI documents.
mod code {
    pub const LOCAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const SIGN_IN: i32 = 3;
    pub const SERVER: i32 = 4;
    pub const NETWORK: i32 = 5;
}

/// How the child process signs in.
enum Auth {
    /// `PROVENA_TOKEN` with a fresh access token of the user.
    Token(&'static str),
    /// `PROVENA_OFFLINE_TOKEN` with an offline token of the user.
    Offline(&'static str),
    /// These variables exactly, such as a broken token.
    Vars(Vec<(&'static str, String)>),
    /// No sign-in variable: the stored device-flow sign-in, if any.
    Stored,
}

/// A double, a scratch folder and the secrets that must never be printed.
struct Fixture {
    double: ProvenaDouble,
    scratch: tempfile::TempDir,
    secrets: RefCell<Vec<String>>,
    /// Replacements for single variables, such as a service URL aimed at a closed port.
    overrides: Vec<(&'static str, String)>,
    // Dropped last: the double's tasks run on it.
    runtime: tokio::runtime::Runtime,
}

/// The result of one run of the binary.
struct Run {
    args: String,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Fixture {
    fn start() -> Self {
        Self::start_with(ProvenaDouble::builder())
    }

    fn start_with(builder: provena_testkit::DoubleBuilder) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let double = runtime.block_on(builder.start()).unwrap();
        Self {
            double,
            scratch: tempfile::tempdir().unwrap(),
            secrets: RefCell::new(Vec::new()),
            overrides: Vec::new(),
            runtime,
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.scratch.path().join(relative)
    }

    fn write_json(&self, relative: &str, body: &Value) -> PathBuf {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_vec_pretty(body).unwrap()).unwrap();
        path
    }

    fn remember(&self, secret: &str) {
        self.secrets.borrow_mut().push(secret.to_owned());
    }

    fn access_token(&self, user: &str) -> String {
        let token = self.double.access_token(user).expose().to_owned();
        self.remember(&token);
        token
    }

    fn offline_token(&self, user: &str) -> String {
        let token = self.double.offline_token(user).expose().to_owned();
        self.remember(&token);
        token
    }

    /// Builds the command with a cleared environment aimed only at the double.
    fn command(&self, auth: Auth, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_provena"));
        command.env_clear().args(args);
        let home = self.path("home");
        std::fs::create_dir_all(&home).unwrap();
        command
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("PROVENA_TOKEN_STORE_DIR", self.path("token-store"))
            .env("PROVENA_CLIENT_ID", self.double.oidc_client_id())
            .env("PROVENA_S3_ENDPOINT", self.double.s3_endpoint().as_str());
        let endpoints = self.double.endpoints();
        for service in [
            Service::Registry,
            Service::Datastore,
            Service::Prov,
            Service::Search,
            Service::Jobs,
            Service::IdService,
            Service::Auth,
        ] {
            let url = endpoints.url(service).unwrap();
            command.env(service.env_var().unwrap(), url.as_str());
        }
        command.env("PROVENA_ISSUER_URL", endpoints.issuer().as_str());
        match auth {
            Auth::Token(user) => {
                command.env("PROVENA_TOKEN", self.access_token(user));
            }
            Auth::Offline(user) => {
                command.env("PROVENA_OFFLINE_TOKEN", self.offline_token(user));
            }
            Auth::Vars(vars) => {
                for (name, value) in vars {
                    command.env(name, value);
                }
            }
            Auth::Stored => {}
        }
        for (name, value) in &self.overrides {
            command.env(name, value);
        }
        command
    }

    /// Runs the binary and checks that its output contains no known secret.
    fn run(&self, auth: Auth, args: &[&str]) -> Run {
        self.execute(self.command(auth, args), args)
    }

    /// Runs a prepared command and checks that its output contains no known secret.
    fn execute(&self, mut command: Command, args: &[&str]) -> Run {
        let output = command.output().unwrap();
        self.finish(args, &output)
    }

    fn finish(&self, args: &[&str], output: &std::process::Output) -> Run {
        let run = Run {
            args: args.join(" "),
            code: output.status.code().expect("the binary exits normally"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.assert_no_secrets(&run);
        if std::env::var_os("PROVENA_CLI_TEST_ECHO").is_some() {
            eprintln!(
                "$ provena {}  => {}\n{}{}",
                run.args, run.code, run.stdout, run.stderr
            );
        }
        run
    }

    fn assert_no_secrets(&self, run: &Run) {
        for secret in self.secrets.borrow().iter() {
            // The whole token, and its last part alone (a JWT's signature), in case a
            // message cut or wrapped it.
            let tail = &secret[secret.len().saturating_sub(24)..];
            for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    !text.contains(secret.as_str()) && !text.contains(tail),
                    "`provena {}` printed a token on {stream}:\n{text}",
                    run.args
                );
            }
        }
    }

    /// Registers a model run through the SDK, linking the fixture's input and output
    /// datasets, and returns the registration job's session id.
    fn register_model_run(&self) -> String {
        let provena = provena::Provena::builder()
            .endpoints(self.double.endpoints())
            .static_token(self.double.access_token(users::ADMIN))
            .build()
            .unwrap();
        let record: provena::models::ModelRunRecord = serde_json::from_value(json!({
            "workflow_template_id": prov_fixture::WORKFLOW_TEMPLATE,
            "model_version": "1.4",
            "inputs": [{
                "dataset_template_id": prov_fixture::INPUT_TEMPLATE,
                "dataset_id": prov_fixture::INPUT_DATASET,
                "dataset_type": "DATA_STORE",
                "resources": {"forcing_file": "forcing/sst.nc"}
            }],
            "outputs": [{
                "dataset_template_id": prov_fixture::OUTPUT_TEMPLATE,
                "dataset_id": prov_fixture::OUTPUT_DATASET,
                "dataset_type": "DATA_STORE",
                "resources": {}
            }],
            "annotations": {"scenario": "warming 1.5C"},
            "display_name": "Coral growth under 1.5C warming",
            "description": "Projected coral cover for the warming scenario",
            "associations": {"modeller_id": prov_fixture::PERSON},
            "start_time": 1709251200,
            "end_time": 1709254800
        }))
        .unwrap();
        self.runtime
            .block_on(provena.prov().register_model_run(&record))
            .unwrap()
    }
}

impl Run {
    /// Asserts success and returns the run.
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "`provena {}` failed with {}\nstdout:\n{}\nstderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts that the run failed with `code` and printed advice on what to do next.
    fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "`provena {}` exited {} instead of {code}\nstdout:\n{}\nstderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        // The device-flow prompt may come before the error line.
        assert!(
            self.stderr.starts_with("error: ") || self.stderr.contains("\nerror: "),
            "`provena {}` has no error line:\n{}",
            self.args,
            self.stderr
        );
        let advice = self.stderr.contains("\nhint: ") || self.stderr.contains("try '--help'");
        assert!(
            advice,
            "`provena {}` does not say what to do next:\n{}",
            self.args, self.stderr
        );
        assert!(
            self.stdout.trim().is_empty(),
            "`provena {}` failed but printed a result:\n{}",
            self.args,
            self.stdout
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!(
                "`provena {}` did not print JSON ({err}):\n{}",
                self.args, self.stdout
            )
        })
    }

    fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "`provena {}` stderr lacks `{text}`:\n{}",
            self.args,
            self.stderr
        );
        self
    }
}

/// Returns a port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

fn organisation(name: &str) -> Value {
    json!({ "display_name": name, "name": name, "ror": "https://ror.org/00example99" })
}

fn dataset_metadata(name: &str) -> Value {
    json!({
        "associations": {"organisation_id": prov_fixture::ORGANISATION},
        "approvals": {
            "ethics_registration": {"relevant": false, "obtained": false},
            "ethics_access": {"relevant": false, "obtained": false},
            "indigenous_knowledge": {"relevant": false, "obtained": false},
            "export_controls": {"relevant": false, "obtained": false}
        },
        "dataset_info": {
            "name": name,
            "description": format!("{name}, three reef sites"),
            "access_info": {"reposited": true},
            "publisher_id": prov_fixture::ORGANISATION,
            "created_date": {"relevant": true, "value": "2024-03-01"},
            "published_date": {"relevant": true, "value": "2024-03-02"},
            "license": "https://example.org/licenses/by/4.0/",
            "keywords": ["turbidity", "reef"]
        }
    })
}

fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (relative, contents) in files {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

// --- Sign-in ---------------------------------------------------------------------------

#[test]
fn whoami_offline_token() {
    let fx = Fixture::start();
    let run = fx.run(Auth::Offline(users::WRITER), &["whoami"]).ok();
    assert!(run.stdout.contains("username: writer"), "{}", run.stdout);
    assert!(
        run.stdout.contains("email: writer@example.org"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("entity-registry-write"),
        "{}",
        run.stdout
    );

    let json = fx
        .run(Auth::Offline(users::READER), &["whoami", "--json"])
        .ok()
        .json();
    assert_eq!(json["username"], "reader");
    assert_eq!(json["email"], "reader@example.org");
    let roles = json["roles"].as_array().unwrap();
    assert!(roles.iter().any(|role| role == "entity-registry-read"));
    assert!(!roles.iter().any(|role| role == "entity-registry-write"));
}

#[test]
fn whoami_static_token() {
    let fx = Fixture::start();
    let json = fx
        .run(Auth::Token(users::ADMIN), &["whoami", "--json"])
        .ok()
        .json();
    assert_eq!(json["username"], "admin");
    assert_eq!(json["email"], "admin@example.org");
}

#[test]
fn login_offline_token_file() {
    let fx = Fixture::start();
    let file = fx.path("offline-token");
    std::fs::write(&file, format!("{}\n", fx.offline_token(users::WRITER))).unwrap();
    let file_arg = file.to_str().unwrap();

    let run = fx
        .run(Auth::Stored, &["login", "--offline-token-file", file_arg])
        .ok();
    assert!(run.stdout.contains("Signed in as writer"), "{}", run.stdout);
    // The token is not copied into the token store, so later commands need the file.
    run.stderr_has("PROVENA_OFFLINE_TOKEN_FILE");
    assert!(
        !fx.path("token-store").exists(),
        "login --offline-token-file wrote a token store"
    );

    let json = fx
        .run(
            Auth::Stored,
            &["login", "--offline-token-file", file_arg, "--json"],
        )
        .ok()
        .json();
    assert_eq!(json["signed_in"], true);
    assert_eq!(json["username"], "writer");

    // The same file through the environment, for every later command.
    let run = fx
        .run(
            Auth::Vars(vec![("PROVENA_OFFLINE_TOKEN_FILE", file_arg.to_owned())]),
            &["whoami"],
        )
        .ok();
    assert!(run.stdout.contains("username: writer"), "{}", run.stdout);
}

#[test]
fn login_unusable_offline_token_file() {
    let fx = Fixture::start();
    let missing = fx.path("no-such-token");
    fx.run(
        Auth::Stored,
        &["login", "--offline-token-file", missing.to_str().unwrap()],
    )
    .fails(code::USAGE)
    .stderr_has("no-such-token");

    let file = fx.path("rejected-token");
    let rejected = "eyJhbGciOiJub25lIn0.rejected-offline-token-value";
    fx.remember(rejected);
    std::fs::write(&file, rejected).unwrap();
    fx.run(
        Auth::Stored,
        &["login", "--offline-token-file", file.to_str().unwrap()],
    )
    .fails(code::SIGN_IN);
}

#[test]
fn device_login_stored_until_logout() {
    let fx = Fixture::start();
    let store = fx.path("token-store");

    let login = fx.run(Auth::Stored, &["login"]).ok();
    assert!(
        login.stdout.contains("Signed in as writer"),
        "{}",
        login.stdout
    );
    // The device prompt goes to standard error, never to the results.
    assert!(
        !login.stdout.contains("/device"),
        "the device prompt went to stdout: {}",
        login.stdout
    );

    // The store now contains the tokens, and no command may print them.
    let entries: Vec<_> = std::fs::read_dir(&store).unwrap().collect();
    assert_eq!(entries.len(), 1, "one stored sign-in expected in {store:?}");
    let stored: Value =
        serde_json::from_slice(&std::fs::read(entries[0].as_ref().unwrap().path()).unwrap())
            .unwrap();
    for key in ["access_token", "refresh_token"] {
        let token = stored[key].as_str().unwrap();
        fx.remember(token);
    }
    fx.assert_no_secrets(&login);

    let whoami = fx.run(Auth::Stored, &["whoami", "--json"]).ok().json();
    assert_eq!(whoami["username"], "writer");

    // A later command uses the stored sign-in without prompting.
    let list = fx
        .run(Auth::Stored, &["registry", "list", "model", "--limit", "1"])
        .ok();
    assert_eq!(list.stdout.lines().count(), 1, "{}", list.stdout);

    let logout = fx.run(Auth::Stored, &["logout"]).ok();
    assert!(logout.stdout.contains("Signed out"), "{}", logout.stdout);
    assert_eq!(std::fs::read_dir(&store).unwrap().count(), 0);

    // Without a stored sign-in and without a terminal, commands print how to sign in.
    fx.run(Auth::Stored, &["whoami"])
        .fails(code::SIGN_IN)
        .stderr_has("provena login");
}

/// Starts `provena login` against a double that leaves device sign-ins pending, reads the
/// user code from the prompt on standard error, settles it with `settle` and returns the
/// finished run.
fn login_settled_by(fx: &Fixture, settle: impl FnOnce(&str)) -> Run {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let mut child = fx
        .command(Auth::Stored, &["login"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let code = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "login ended without showing a code:\n{seen}"
        );
        seen.push_str(&line);
        if let Some(start) = line.find("user_code=") {
            let rest = &line[start + "user_code=".len()..];
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    settle(&code);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let mut output = child.wait_with_output().unwrap();
    output.stderr = format!("{seen}{rest}").into_bytes();
    fx.finish(&["login"], &output)
}

#[test]
fn device_login_approval_and_denial() {
    let fx = Fixture::start_with(
        ProvenaDouble::builder()
            .device_flow(provena_testkit::DeviceApproval::Manual)
            .device_poll_interval(std::time::Duration::from_millis(200)),
    );
    let approved = login_settled_by(&fx, |code| {
        fx.double.approve_device(code, users::READER).unwrap();
    })
    .ok();
    assert!(
        approved.stdout.contains("Signed in as reader"),
        "{}",
        approved.stdout
    );

    let denied =
        login_settled_by(&fx, |code| fx.double.deny_device(code).unwrap()).fails(code::SIGN_IN);
    assert!(denied.stderr.contains("denied"), "{}", denied.stderr);
    denied.stderr_has("approve");
    // The earlier sign-in is still stored and works.
    let whoami = fx.run(Auth::Stored, &["whoami", "--json"]).ok().json();
    assert_eq!(whoami["username"], "reader");
}

#[test]
fn logout_without_stored_sign_in() {
    let fx = Fixture::start();
    let run = fx.run(Auth::Stored, &["logout", "--json"]).ok();
    assert_eq!(run.json()["signed_out"], true);
    // A token in the environment still signs in, and logout prints a note about it.
    fx.run(Auth::Token(users::READER), &["logout"])
        .ok()
        .stderr_has("PROVENA_TOKEN is still set");
}

#[test]
fn rejected_tokens_exit_3() {
    let fx = Fixture::start();
    let garbage = "not-a-jwt-but-a-long-enough-secret-value";
    fx.remember(garbage);
    fx.run(
        Auth::Vars(vec![("PROVENA_TOKEN", garbage.to_owned())]),
        &["registry", "list", "model"],
    )
    .fails(code::SIGN_IN)
    .stderr_has("PROVENA_TOKEN");

    let expired = fx
        .double
        .expired_access_token(users::WRITER)
        .expose()
        .to_owned();
    fx.remember(&expired);
    fx.run(
        Auth::Vars(vec![("PROVENA_TOKEN", expired)]),
        &["registry", "fetch", "model", prov_fixture::MODEL],
    )
    .fails(code::SIGN_IN)
    .stderr_has("PROVENA_TOKEN");

    // A revoked offline token fails at the issuer.
    let offline = fx.offline_token(users::READER);
    fx.double.revoke_tokens(users::READER);
    fx.run(
        Auth::Vars(vec![("PROVENA_OFFLINE_TOKEN", offline)]),
        &["whoami"],
    )
    .fails(code::SIGN_IN);
}

// --- Registry --------------------------------------------------------------------------

#[test]
fn registry_list_text_and_json() {
    let fx = Fixture::start();
    let text = fx
        .run(
            Auth::Token(users::READER),
            &["registry", "list", "model", "--limit", "3"],
        )
        .ok();
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", text.stdout);
    let text_ids: Vec<&str> = lines
        .iter()
        .map(|line| line.split('\t').next().unwrap())
        .collect();
    assert!(
        text_ids.iter().all(|id| id.starts_with("10378.1/")),
        "{text_ids:?}"
    );
    assert!(
        text.stdout.contains("Coral cover model") || text.stdout.contains("Coral growth model"),
        "{}",
        text.stdout
    );

    let json = fx
        .run(
            Auth::Token(users::READER),
            &["registry", "list", "model", "--limit", "3", "--json"],
        )
        .ok()
        .json();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 3);
    let json_ids: Vec<&str> = items
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(json_ids, text_ids);
    assert!(items.iter().all(|item| item["item_subtype"] == "MODEL"));
}

#[test]
fn registry_fetch_item() {
    let fx = Fixture::start();
    let run = fx
        .run(
            Auth::Token(users::READER),
            &["registry", "fetch", "model", prov_fixture::MODEL],
        )
        .ok();
    assert!(
        run.stdout
            .starts_with(&format!("Coral growth model ({})", prov_fixture::MODEL)),
        "{}",
        run.stdout
    );
    let json = fx
        .run(
            Auth::Token(users::READER),
            &["registry", "fetch", "model", prov_fixture::MODEL, "--json"],
        )
        .ok()
        .json();
    assert_eq!(json["id"], prov_fixture::MODEL);
    assert_eq!(json["name"], "Coral growth model");
}

#[test]
fn registry_create_fetch_update_organisation() {
    let fx = Fixture::start();
    let body = fx.write_json("org.json", &organisation("Lagoon Monitoring Group"));
    let created = fx
        .run(
            Auth::Token(users::ADMIN),
            &[
                "registry",
                "create",
                "organisation",
                "--file",
                body.to_str().unwrap(),
                "--json",
            ],
        )
        .ok()
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("10378.1/"), "{created}");
    assert_eq!(created["item"]["name"], "Lagoon Monitoring Group");

    let fetched = fx
        .run(
            Auth::Token(users::READER),
            &["registry", "fetch", "organisation", &id, "--json"],
        )
        .ok()
        .json();
    assert_eq!(fetched["id"], id.as_str());
    assert_eq!(fetched["display_name"], "Lagoon Monitoring Group");
    assert_eq!(fetched["ror"], "https://ror.org/00example99");

    let text = fx
        .run(
            Auth::Token(users::ADMIN),
            &[
                "registry",
                "create",
                "organisation",
                "--file",
                body.to_str().unwrap(),
            ],
        )
        .ok();
    assert!(
        text.stdout.starts_with("created 10378.1/")
            && text.stdout.contains("Lagoon Monitoring Group"),
        "{}",
        text.stdout
    );

    let changed = fx.write_json("org2.json", &organisation("Lagoon and Estuary Group"));
    let updated = fx
        .run(
            Auth::Token(users::ADMIN),
            &[
                "registry",
                "update",
                "organisation",
                &id,
                "--file",
                changed.to_str().unwrap(),
                "--reason",
                "renamed after the merger",
            ],
        )
        .ok();
    assert_eq!(updated.stdout.trim(), format!("updated {id}"));

    let fetched = fx
        .run(
            Auth::Token(users::READER),
            &["registry", "fetch", "organisation", &id, "--json"],
        )
        .ok()
        .json();
    assert_eq!(fetched["display_name"], "Lagoon and Estuary Group");
    let history = fetched["history"].as_array().unwrap();
    assert!(
        history
            .iter()
            .any(|entry| entry["reason"] == "renamed after the merger"),
        "the reason is missing from the history: {history:?}"
    );
}

#[test]
fn registry_usage_errors_exit_2() {
    let fx = Fixture::start();
    // clap: a missing subtype, an unknown subtype, an unknown flag.
    fx.run(Auth::Token(users::READER), &["registry", "list"])
        .fails(code::USAGE);
    fx.run(Auth::Token(users::READER), &["registry", "list", "widget"])
        .fails(code::USAGE)
        .stderr_has("widget");
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "model", "1", "--colour"],
    )
    .fails(code::USAGE);
    fx.run(
        Auth::Token(users::READER),
        &["registry", "update", "model", "1", "--file", "x.json"],
    )
    .fails(code::USAGE)
    .stderr_has("--reason");

    // A body file that does not exist.
    let missing = fx.path("missing.json");
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "registry",
            "create",
            "model",
            "--file",
            missing.to_str().unwrap(),
        ],
    )
    .fails(code::USAGE)
    .stderr_has("missing.json");

    // A body that is not JSON, and one whose field has the wrong type.
    let broken = fx.path("broken.json");
    std::fs::write(&broken, "{\"display_name\": ").unwrap();
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "registry",
            "create",
            "organisation",
            "--file",
            broken.to_str().unwrap(),
        ],
    )
    .fails(code::USAGE)
    .stderr_has("broken.json");
    let wrong = fx.write_json(
        "wrong.json",
        &json!({"display_name": "Dunes", "name": "Dunes", "ror": ["not", "a", "string"]}),
    );
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "registry",
            "create",
            "organisation",
            "--file",
            wrong.to_str().unwrap(),
        ],
    )
    .fails(code::USAGE)
    .stderr_has("`ror`");
    let nested = fx.write_json(
        "nested.json",
        &json!({
            "display_name": "Forcing", "description": "x",
            "defined_resources": [{"path": "a.nc", "description": "a", "usage_type": 7}],
            "deferred_resources": []
        }),
    );
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "registry",
            "create",
            "dataset-template",
            "--file",
            nested.to_str().unwrap(),
        ],
    )
    .fails(code::USAGE)
    .stderr_has("defined_resources[0].usage_type");

    // Subtypes another service creates.
    let body = fx.write_json("org.json", &organisation("Tide Watch"));
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "registry",
            "create",
            "dataset",
            "--file",
            body.to_str().unwrap(),
        ],
    )
    .fails(code::USAGE)
    .stderr_has("provena datastore mint");
}

#[test]
fn registry_server_errors_exit_4() {
    let fx = Fixture::start();
    // A reader may not edit.
    let body = fx.write_json("org.json", &organisation("Reader's Own Group"));
    let refused = fx
        .run(
            Auth::Token(users::READER),
            &[
                "registry",
                "update",
                "organisation",
                prov_fixture::ORGANISATION,
                "--file",
                body.to_str().unwrap(),
                "--reason",
                "trying",
            ],
        )
        .fails(code::SERVER);
    assert!(
        refused.stderr.contains("401") || refused.stderr.to_lowercase().contains("role"),
        "{}",
        refused.stderr
    );

    // No item has this id.
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "model", "10378.1/9999999"],
    )
    .fails(code::SERVER)
    .stderr_has("10378.1/9999999");

    // The id exists but is another subtype.
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "person", prov_fixture::MODEL],
    )
    .fails(code::SERVER)
    .stderr_has(prov_fixture::MODEL);
}

#[test]
fn unreachable_service_exits_5() {
    let mut fx = Fixture::start();
    let url = format!("http://127.0.0.1:{}/", closed_port());
    fx.overrides.push(("PROVENA_REGISTRY_URL", url));
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "model", prov_fixture::MODEL],
    )
    .fails(code::NETWORK)
    .stderr_has("registry");
}

#[test]
fn service_faults_exit_4_or_5() {
    use provena::http::http::StatusCode;
    use provena_testkit::Fault;

    let fx = Fixture::start();
    fx.double.faults().inject(
        Fault::status(StatusCode::INTERNAL_SERVER_ERROR)
            .on(Service::Registry)
            .times(10),
    );
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "model", prov_fixture::MODEL],
    )
    .fails(code::SERVER)
    .stderr_has("500");
    fx.double.faults().clear();

    fx.double
        .faults()
        .inject(Fault::drop_connection().on(Service::Registry).times(10));
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "model", prov_fixture::MODEL],
    )
    .fails(code::NETWORK)
    .stderr_has("PROVENA_REGISTRY_URL");
}

#[test]
fn partial_service_urls_exit_2() {
    let fx = Fixture::start();
    let mut command = fx.command(Auth::Token(users::READER), &["registry", "list", "model"]);
    command
        .env_remove("PROVENA_JOBS_URL")
        .env_remove("PROVENA_AUTH_URL");
    fx.execute(command, &["registry", "list", "model"])
        .fails(code::USAGE)
        .stderr_has("PROVENA_JOBS_URL, PROVENA_AUTH_URL are not");
}

#[test]
fn help_lists_settings_and_exit_codes() {
    let fx = Fixture::start();
    let run = fx.run(Auth::Stored, &["--help"]).ok();
    for text in [
        "PROVENA_DOMAIN",
        "PROVENA_OFFLINE_TOKEN_FILE",
        "PROVENA_TOKEN_STORE_DIR",
        "PROVENA_S3_ENDPOINT",
        "Exit codes: 0 success",
        "3 sign-in failure",
    ] {
        assert!(
            run.stdout.contains(text),
            "--help lacks `{text}`:\n{}",
            run.stdout
        );
    }
}

#[test]
fn out_of_range_numbers_exit_2() {
    let fx = Fixture::start();
    for args in [
        &["registry", "list", "model", "--limit", "0"][..],
        &["registry", "list", "model", "--page-size", "0"],
        &["search", "reef", "--limit", "0"],
        &["prov", "upstream", prov_fixture::MODEL, "--depth", "0"],
        &["jobs", "wait", "x", "--timeout", "-1"],
    ] {
        fx.run(Auth::Token(users::READER), args).fails(code::USAGE);
    }
}

#[test]
fn output_to_closed_pipe_succeeds() {
    use std::process::Stdio;

    let fx = Fixture::start();
    let args = ["registry", "list", "model", "--json"];
    let mut child = fx
        .command(Auth::Token(users::READER), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the result is written, as `| head -0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let run = fx.finish(&args, &output);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn verbose_logs_contain_no_tokens() {
    let fx = Fixture::start();
    let offline = fx.offline_token(users::WRITER);
    let run = fx
        .run(
            Auth::Vars(vec![("PROVENA_OFFLINE_TOKEN", offline.clone())]),
            &["-vv", "registry", "list", "model", "--limit", "1"],
        )
        .ok();
    assert!(
        run.stderr.contains("DEBUG"),
        "-vv logged nothing:\n{}",
        run.stderr
    );
    // Every crate at its most detailed level.
    let run = fx
        .run(
            Auth::Vars(vec![
                ("PROVENA_OFFLINE_TOKEN", offline),
                ("RUST_LOG", "trace".to_owned()),
            ]),
            &["whoami"],
        )
        .ok();
    assert!(
        run.stderr.contains("TRACE"),
        "RUST_LOG=trace logged nothing"
    );
}

#[test]
#[should_panic(expected = "printed a token on stderr")]
fn secret_check_catches_printed_token() {
    let fx = Fixture::start();
    let token = fx.access_token(users::READER);
    let run = Run {
        args: String::from("whoami"),
        code: 0,
        stdout: String::new(),
        stderr: format!("debug: sending Bearer {token}\n"),
    };
    fx.assert_no_secrets(&run);
}

#[test]
fn missing_deployment_settings_exit_2() {
    let fx = Fixture::start();
    let mut command = Command::new(env!("CARGO_BIN_EXE_provena"));
    let home = fx.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let output = command
        .env_clear()
        .env("HOME", &home)
        .args(["registry", "list", "model"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code::USAGE), "{stderr}");
    assert!(stderr.contains("PROVENA_DOMAIN"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
}

// --- Datastore and search --------------------------------------------------------------

#[test]
fn datastore_round_trip_and_search() {
    let fx = Fixture::start();
    let metadata = fx.write_json(
        "dataset.json",
        &dataset_metadata("Turbidity transects 2023"),
    );
    let minted = fx
        .run(
            Auth::Token(users::ADMIN),
            &[
                "datastore",
                "mint",
                "--file",
                metadata.to_str().unwrap(),
                "--json",
            ],
        )
        .ok()
        .json();
    let id = minted["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("10378.1/"), "{minted}");

    let upload = fx.path("upload");
    let files: [(&str, &[u8]); 3] = [
        ("README.md", b"# Turbidity\n\nNTU along three transects.\n"),
        ("data/transect_a.csv", b"km,ntu\n0,1.2\n1,3.4\n"),
        ("data/raw/sensor.bin", &[0, 159, 146, 150, 255, 1, 2, 3]),
    ];
    write_tree(&upload, &files);
    let uploaded = fx
        .run(
            Auth::Token(users::ADMIN),
            &[
                "datastore",
                "upload",
                &id,
                upload.to_str().unwrap(),
                "--json",
            ],
        )
        .ok()
        .json();
    assert_eq!(uploaded["files"].as_array().unwrap().len(), 3, "{uploaded}");
    let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    assert_eq!(uploaded["bytes"], total);

    let download = fx.path("download");
    let text = fx
        .run(
            Auth::Token(users::ADMIN),
            &["datastore", "download", &id, download.to_str().unwrap()],
        )
        .ok();
    // Minting put the metadata into the dataset as metadata.json, beside the three files.
    let metadata_json: Value =
        serde_json::from_slice(&std::fs::read(download.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(
        metadata_json["dataset_info"]["name"],
        "Turbidity transects 2023"
    );
    let metadata_len = std::fs::metadata(download.join("metadata.json"))
        .unwrap()
        .len() as usize;
    assert!(
        text.stdout.starts_with(&format!(
            "downloaded 4 files ({} bytes)",
            total + metadata_len
        )),
        "{}",
        text.stdout
    );
    for (relative, bytes) in files {
        let got = std::fs::read(download.join(relative)).unwrap();
        assert_eq!(got, bytes, "{relative} differs after the round trip");
    }

    // A target that cannot be a folder is a local failure.
    let blocker = fx.path("blocker");
    std::fs::write(&blocker, "a file, not a folder").unwrap();
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "datastore",
            "download",
            &id,
            blocker.join("inside").to_str().unwrap(),
        ],
    )
    .fails(code::LOCAL)
    .stderr_has("blocker");

    // One path only.
    let single = fx.path("single");
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "datastore",
            "download",
            &id,
            single.to_str().unwrap(),
            "--path",
            "data/transect_a.csv",
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read(single.join("data/transect_a.csv")).unwrap(),
        files[1].1
    );
    assert!(!single.join("README.md").exists());

    // Search finds the new dataset, in text and JSON.
    let hits = fx
        .run(Auth::Token(users::READER), &["search", "turbidity"])
        .ok();
    assert!(hits.stdout.contains(&id), "{}", hits.stdout);
    let json = fx
        .run(
            Auth::Token(users::READER),
            &["search", "turbidity", "--subtype", "dataset", "--json"],
        )
        .ok()
        .json();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|hit| hit["id"] == id.as_str()),
        "{json}"
    );
    let none = fx
        .run(Auth::Token(users::READER), &["search", "zzyzxquux"])
        .ok();
    assert!(none.stdout.contains("no results"), "{}", none.stdout);
    fx.run(Auth::Token(users::READER), &["search", "  "])
        .fails(code::USAGE);
}

#[test]
fn datastore_usage_and_server_errors() {
    let fx = Fixture::start();
    // A metadata field of the wrong type is named by its path.
    let mut body = dataset_metadata("Bad dates");
    body["dataset_info"]["created_date"]["relevant"] = json!("yes");
    let file = fx.write_json("bad.json", &body);
    fx.run(
        Auth::Token(users::ADMIN),
        &["datastore", "mint", "--file", file.to_str().unwrap()],
    )
    .fails(code::USAGE)
    .stderr_has("dataset_info.created_date.relevant");

    // Uploading from a folder that does not exist.
    let missing = fx.path("nothing-here");
    fx.run(
        Auth::Token(users::ADMIN),
        &[
            "datastore",
            "upload",
            prov_fixture::INPUT_DATASET,
            missing.to_str().unwrap(),
        ],
    )
    .fails(code::USAGE)
    .stderr_has("nothing-here");

    // A reader may not write into a dataset.
    let upload = fx.path("upload");
    write_tree(&upload, &[("a.txt", b"a")]);
    fx.run(
        Auth::Token(users::READER),
        &[
            "datastore",
            "upload",
            prov_fixture::INPUT_DATASET,
            upload.to_str().unwrap(),
        ],
    )
    .fails(code::SERVER);

    // Downloading a dataset that does not exist.
    fx.run(
        Auth::Token(users::READER),
        &[
            "datastore",
            "download",
            "10378.1/9999998",
            fx.path("dl").to_str().unwrap(),
        ],
    )
    .fails(code::SERVER)
    .stderr_has("10378.1/9999998");
}

// --- Provenance and jobs ---------------------------------------------------------------

#[test]
fn jobs_wait_and_lineage() {
    let fx = Fixture::start();
    let session_id = fx.register_model_run();

    let waited = fx
        .run(
            Auth::Token(users::ADMIN),
            &["jobs", "wait", &session_id, "--json"],
        )
        .ok()
        .json();
    assert_eq!(waited["session_id"], session_id.as_str());
    assert_eq!(waited["status"], "SUCCEEDED");
    let model_run_id = waited["result"]["record"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = fx
        .run(Auth::Token(users::ADMIN), &["jobs", "wait", &session_id])
        .ok();
    assert!(
        text.stdout.contains(&session_id) && text.stdout.contains("succeeded"),
        "{}",
        text.stdout
    );

    // Upstream of the output: the model run, and through it the input.
    let upstream = fx
        .run(
            Auth::Token(users::READER),
            &[
                "prov",
                "upstream",
                prov_fixture::OUTPUT_DATASET,
                "--depth",
                "2",
                "--format",
                "json",
            ],
        )
        .ok()
        .json();
    let nodes = upstream.to_string();
    assert!(nodes.contains(&model_run_id), "{upstream}");
    assert!(nodes.contains(prov_fixture::INPUT_DATASET), "{upstream}");
    // `--json` prints the same graph.
    let same = fx
        .run(
            Auth::Token(users::READER),
            &[
                "prov",
                "upstream",
                prov_fixture::OUTPUT_DATASET,
                "--depth",
                "2",
                "--json",
            ],
        )
        .ok()
        .json();
    assert_eq!(same, upstream);

    let dot = fx
        .run(
            Auth::Token(users::READER),
            &[
                "prov",
                "downstream",
                prov_fixture::INPUT_DATASET,
                "--depth",
                "2",
                "--format",
                "dot",
            ],
        )
        .ok();
    assert!(
        dot.stdout.trim_start().starts_with("digraph"),
        "{}",
        dot.stdout
    );
    assert!(dot.stdout.contains(&model_run_id), "{}", dot.stdout);
    assert!(
        dot.stdout.contains(prov_fixture::OUTPUT_DATASET),
        "{}",
        dot.stdout
    );
    assert!(dot.stdout.trim_end().ends_with('}'), "{}", dot.stdout);

    let text = fx
        .run(
            Auth::Token(users::READER),
            &["prov", "downstream", prov_fixture::INPUT_DATASET],
        )
        .ok();
    assert!(
        text.stdout
            .contains(&format!("{} -[", prov_fixture::INPUT_DATASET))
            || text
                .stdout
                .contains(&format!("-> {}", prov_fixture::INPUT_DATASET)),
        "{}",
        text.stdout
    );

    fx.run(
        Auth::Token(users::READER),
        &[
            "prov",
            "upstream",
            prov_fixture::OUTPUT_DATASET,
            "--depth",
            "0",
        ],
    )
    .fails(code::USAGE);
    fx.run(
        Auth::Token(users::READER),
        &[
            "prov",
            "upstream",
            prov_fixture::OUTPUT_DATASET,
            "--format",
            "svg",
        ],
    )
    .fails(code::USAGE);
}

#[test]
fn jobs_wait_unknown_session_exits_4() {
    let fx = Fixture::start();
    fx.run(
        Auth::Token(users::WRITER),
        &["jobs", "wait", "00000000-0000-4000-8000-000000000000"],
    )
    .fails(code::SERVER)
    .stderr_has("00000000-0000-4000-8000-000000000000");
}

#[test]
fn lineage_of_unknown_id_hints_at_search() {
    let fx = Fixture::start();
    // The prov service returns HTTP 500 for an unknown starting id.
    let run = fx
        .run(
            Auth::Token(users::READER),
            &["prov", "upstream", "10378.1/9999999"],
        )
        .fails(code::SERVER);
    run.stderr_has("not a valid registry item")
        .stderr_has("check the id; `provena search WORDS` finds items by name");
    assert!(
        !run.stderr.contains("busy"),
        "an unknown id is not a busy service:\n{}",
        run.stderr
    );
}

#[test]
fn blank_ids_exit_2_without_a_request() {
    let fx = Fixture::start();
    let before = registry_calls(&fx);
    fx.run(
        Auth::Token(users::READER),
        &["registry", "fetch", "model", "  "],
    )
    .fails(code::USAGE)
    .stderr_has("id")
    .stderr_has("handle id");
    fx.run(Auth::Token(users::READER), &["prov", "upstream", ""])
        .fails(code::USAGE)
        .stderr_has("starting_id");
    assert_eq!(registry_calls(&fx), before, "nothing reached the registry");
}

/// The double registry's request counts, without its own counting route.
fn registry_calls(fx: &Fixture) -> Value {
    let provena = provena::Provena::builder()
        .endpoints(fx.double.endpoints())
        .static_token(fx.double.access_token(users::ADMIN))
        .build()
        .unwrap();
    let mut calls: serde_json::Map<String, Value> = fx
        .runtime
        .block_on(
            provena
                .http()
                .request(
                    Service::Registry,
                    provena::http::http::Method::GET,
                    "/_double/calls",
                )
                .send_json(),
        )
        .unwrap();
    calls.retain(|route, _| !route.contains("/_double/"));
    Value::Object(calls)
}

#[test]
fn login_with_unusable_token_store_fails_before_the_device_flow() {
    let fx = Fixture::start();
    let file = fx.path("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let store = file.join("token-store");
    let mut command = fx.command(Auth::Stored, &["login"]);
    command.env("PROVENA_TOKEN_STORE_DIR", &store);
    let run = fx.execute(command, &["login"]).fails(code::LOCAL);
    run.stderr_has("PROVENA_TOKEN_STORE_DIR")
        .stderr_has(store.to_str().unwrap());
    assert!(
        !run.stderr.contains("/device"),
        "the device flow started before the store was checked:\n{}",
        run.stderr
    );
}
