//! `BrowserPrompt` opens the verification page through the `BROWSER` variable.
//!
//! Each case runs in a child process of this test binary with an environment built for it.
//! There `BROWSER` names a script that appends the page it is given to a file, or a program
//! that does not exist, and `PATH` is an empty folder. No real browser or desktop opener can
//! start, and nothing leaks into other tests. The `child_*` tests are the child halves: they
//! are ignored in a normal run and started by the tests above them with `--ignored`.
//!
//! macOS ignores `BROWSER` and would start the real default browser, so these tests run on
//! the other Unix systems only.
#![cfg(all(
    unix,
    not(target_vendor = "apple"),
    not(target_os = "android"),
    feature = "open-browser"
))]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provena_http::{HttpClient, Secret, TokenProvider};
use provena_oidc::{BrowserPrompt, DeviceCodePrompt, DevicePrompt, SignIn};
use provena_testkit::ProvenaDouble;

const PAGE: &str = "http://127.0.0.1:9/device";
const USER_CODE: &str = "WDJB-MJHT";
const COMPLETE: &str = "http://127.0.0.1:9/device?user_code=WDJB-MJHT";

/// Writing a script while another test starts a process can leave the script open for
/// writing in that process ("text file busy" when run), so the cases run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("empty-path")).unwrap();
        Self { dir }
    }

    fn record(&self) -> PathBuf {
        self.dir.path().join("opened.txt")
    }

    /// Writes the recording browser and returns its path.
    fn recording_browser(&self) -> PathBuf {
        let script = self.dir.path().join("record-browser");
        let text = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            self.record().display()
        );
        std::fs::write(&script, text).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    /// Runs the child test `name` with `BROWSER` set to `browser` and nothing else inherited.
    fn run_child(&self, name: &str, browser: &Path) -> Output {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                name,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env_clear()
            .env("BROWSER", browser)
            .env("PATH", self.dir.path().join("empty-path"))
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "child test {name} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("1 passed"),
            "child test {name} did not run:\n{stdout}"
        );
        output
    }

    /// Waits for the browser script to record a page and returns the recorded lines. The
    /// script runs in the background, so it may finish after the child has exited.
    fn opened_pages(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(self.record())
                && text.ends_with('\n')
            {
                return text.lines().map(str::to_owned).collect();
            }
            assert!(
                Instant::now() < deadline,
                "the browser script recorded nothing in {}",
                self.record().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn prompt(complete: bool) -> DeviceCodePrompt {
    let prompt = DeviceCodePrompt::new(
        PAGE,
        Secret::new(USER_CODE.to_owned()),
        Duration::from_secs(600),
    );
    if complete {
        prompt.with_complete_uri(Secret::new(COMPLETE.to_owned()))
    } else {
        prompt
    }
}

#[test]
fn complete_link_opened_and_printed() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let case = Case::new();
    let browser = case.recording_browser();

    let output = case.run_child("child_show_complete", &browser);

    assert_eq!(case.opened_pages(), [COMPLETE]);
    let printed = stderr(&output);
    assert!(
        printed.contains(&format!(
            "To sign in, open {PAGE} and enter the code {USER_CODE} (valid for 10 min)."
        )),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "Or open this link, which includes the code: {COMPLETE}"
        )),
        "{printed}"
    );
}

#[test]
fn plain_page_opened_without_complete_link() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let case = Case::new();
    let browser = case.recording_browser();

    let output = case.run_child("child_show_plain", &browser);

    assert_eq!(case.opened_pages(), [PAGE]);
    let printed = stderr(&output);
    assert!(printed.contains(USER_CODE), "{printed}");
    assert!(!printed.contains("Or open this link"), "{printed}");
}

#[test]
fn sign_in_opens_page_by_default() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let case = Case::new();
    let browser = case.recording_browser();

    let output = case.run_child("child_sign_in_default_prompt", &browser);

    let pages = case.opened_pages();
    assert_eq!(pages.len(), 1, "{pages:?}");
    let page = url::Url::parse(&pages[0]).unwrap();
    assert_eq!(page.host_str(), Some("127.0.0.1"));
    let user_code = page
        .query_pairs()
        .find(|(name, _)| name == "user_code")
        .map(|(_, value)| value.into_owned())
        .expect("the opened page carries the user code");
    let printed = stderr(&output);
    assert!(
        printed.contains(&format!("enter the code {user_code} ")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "Or open this link, which includes the code: {}",
            pages[0]
        )),
        "{printed}"
    );
}

#[test]
fn missing_browser_logged_without_link() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let case = Case::new();
    let missing = case.dir.path().join("no-such-browser");

    let output = case.run_child("child_show_without_browser", &missing);

    assert!(!case.record().exists());
    let printed = stderr(&output);
    assert!(
        printed.contains(&format!(
            "Or open this link, which includes the code: {COMPLETE}"
        )),
        "{printed}"
    );
}

// The child halves. Each expects the environment its parent test sets.

#[test]
#[ignore = "started by complete_link_opened_and_printed"]
fn child_show_complete() {
    BrowserPrompt.show(&prompt(true));
}

#[test]
#[ignore = "started by plain_page_opened_without_complete_link"]
fn child_show_plain() {
    BrowserPrompt.show(&prompt(false));
}

#[tokio::test]
#[ignore = "started by sign_in_opens_page_by_default"]
async fn child_sign_in_default_prompt() {
    // The double approves device codes for the writer at once.
    let double = ProvenaDouble::start().await.unwrap();
    let issuer_client = HttpClient::anonymous(double.config()).unwrap();
    let session = SignIn::new(&issuer_client)
        .device_flow()
        .no_store()
        .build()
        .unwrap();

    session.access_token().await.unwrap();

    assert_eq!(
        session.claims().unwrap().username.as_deref(),
        Some("writer")
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
#[ignore = "started by missing_browser_logged_without_link"]
fn child_show_without_browser() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("provena_oidc=debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();

    tracing::subscriber::with_default(subscriber, || BrowserPrompt.show(&prompt(true)));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("DEBUG"), "{logs}");
    assert!(logs.contains("provena_oidc"), "{logs}");
    assert!(logs.contains("could not open a browser"), "{logs}");
    assert!(logs.contains("with_code=true"), "{logs}");
    assert!(!logs.contains(USER_CODE), "{logs}");
    assert!(!logs.contains("user_code"), "{logs}");
}
