//! The file and memory token stores, and a session picking up a stored sign-in.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Decision, Provider, answer_prompts, channel_prompt, sign_in_error};
use provena_http::{Secret, TokenProvider};
use provena_oidc::{
    DeviceCodePrompt, FileTokenStore, MemoryTokenStore, SignIn, SignInError, StoreKey,
    StoredTokens, TokenStore,
};

fn tokens(refresh: &str, access: &str) -> StoredTokens {
    StoredTokens::new(
        Some(Secret::new(refresh)),
        Some(Secret::new(access)),
        Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000)),
    )
}

fn key() -> StoreKey {
    StoreKey::new(
        "https://auth.example.org/auth/realms/provena",
        "client-tools",
    )
}

#[cfg(unix)]
#[test]
fn file_store_creates_owner_only_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("sign-in"));

    store
        .save(&key(), &tokens("refresh-1", "access-1"))
        .unwrap();

    let file_mode = std::fs::metadata(store.path_for(&key()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(file_mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(store.dir()).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700);
}

#[test]
fn file_store_replaces_entry_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path());
    store
        .save(&key(), &tokens("refresh-1", "access-1"))
        .unwrap();
    let path = store.path_for(&key());
    let before = std::fs::metadata(&path).unwrap();

    store
        .save(&key(), &tokens("refresh-2", "access-2"))
        .unwrap();

    assert_eq!(store.load(&key()), Some(tokens("refresh-2", "access-2")));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file is left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let after = std::fs::metadata(&path).unwrap();
        assert_ne!(
            before.ino(),
            after.ino(),
            "the entry is a new file renamed into place"
        );
    }
}

#[test]
fn file_store_treats_corrupt_file_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path());
    std::fs::write(store.path_for(&key()), b"{ not json").unwrap();

    assert_eq!(store.load(&key()), None);
    store
        .save(&key(), &tokens("refresh-1", "access-1"))
        .unwrap();
    assert_eq!(store.load(&key()), Some(tokens("refresh-1", "access-1")));
}

#[test]
fn file_store_treats_unreadable_entry_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path());
    // A folder where the file should be cannot be read as a file.
    std::fs::create_dir(store.path_for(&key())).unwrap();

    assert_eq!(store.load(&key()), None);
}

#[test]
fn file_store_keeps_two_issuers_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path());
    let first = StoreKey::new(
        "https://auth.one.example/auth/realms/provena",
        "client-tools",
    );
    let second = StoreKey::new(
        "https://auth.two.example/auth/realms/provena",
        "client-tools",
    );
    let other_client = StoreKey::new("https://auth.one.example/auth/realms/provena", "other");

    store
        .save(&first, &tokens("refresh-one", "access-one"))
        .unwrap();
    store
        .save(&second, &tokens("refresh-two", "access-two"))
        .unwrap();

    assert_ne!(store.path_for(&first), store.path_for(&second));
    assert_eq!(
        store.load(&first),
        Some(tokens("refresh-one", "access-one"))
    );
    assert_eq!(
        store.load(&second),
        Some(tokens("refresh-two", "access-two"))
    );
    assert_eq!(store.load(&other_client), None);
    store.remove(&first).unwrap();
    assert_eq!(store.load(&first), None);
    assert_eq!(
        store.load(&second),
        Some(tokens("refresh-two", "access-two"))
    );
}

#[test]
fn file_store_rejects_entry_of_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path());
    let first = StoreKey::new(
        "https://auth.one.example/auth/realms/provena",
        "client-tools",
    );
    let second = StoreKey::new(
        "https://auth.two.example/auth/realms/provena",
        "client-tools",
    );
    store
        .save(&first, &tokens("refresh-one", "access-one"))
        .unwrap();
    std::fs::copy(store.path_for(&first), store.path_for(&second)).unwrap();

    assert_eq!(store.load(&second), None);
}

#[test]
fn store_key_ignores_trailing_slash() {
    assert_eq!(
        StoreKey::new(
            "https://auth.example.org/auth/realms/provena/",
            "client-tools"
        ),
        key()
    );
}

#[test]
fn stored_tokens_debug_is_redacted() {
    let text = format!("{:?}", tokens("refresh-secret", "access-secret"));

    assert!(!text.contains("refresh-secret"), "{text}");
    assert!(!text.contains("access-secret"), "{text}");
}

#[test]
fn memory_store_round_trips() {
    let store = MemoryTokenStore::new();

    store
        .save(&key(), &tokens("refresh-1", "access-1"))
        .unwrap();
    assert_eq!(store.load(&key()), Some(tokens("refresh-1", "access-1")));
    store.remove(&key()).unwrap();
    assert_eq!(store.load(&key()), None);
}

#[tokio::test]
async fn second_session_reuses_stored_sign_in() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileTokenStore::new(dir.path()));
    let (prompt, prompts) = channel_prompt();
    let first = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .store(store.clone())
        .prompt(prompt)
        .build()
        .unwrap();
    let _browser = answer_prompts(
        &provider,
        prompts,
        "writer",
        Decision::Approve,
        Duration::ZERO,
    );
    let token = first.access_token().await.unwrap();

    // A later run: same store, no interaction allowed, no prompt expected.
    let second = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .store(store.clone())
        .allow_interaction(false)
        .prompt(|_: &DeviceCodePrompt| panic!("no prompt expected"))
        .build()
        .unwrap();
    assert_eq!(second.access_token().await.unwrap(), token);
    let claims = second.claims().expect("the stored token was validated");
    assert_eq!(claims.username.as_deref(), Some("writer"));

    // Once the stored access token is inside the refresh window, the stored refresh token
    // gets a new one.
    let third = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .store(store.clone())
        .allow_interaction(false)
        .refresh_window(Duration::from_secs(3600))
        .prompt(|_: &DeviceCodePrompt| panic!("no prompt expected"))
        .build()
        .unwrap();
    let refreshed = third.access_token().await.unwrap();
    assert_ne!(refreshed, token);
    let stored = store.load(&third.store_key()).unwrap();
    assert_eq!(stored.access_token, Some(refreshed));
    assert!(stored.access_token_expires_at.unwrap() > SystemTime::now());

    let last_refresh = stored.refresh_token.unwrap();

    third.sign_out().await.unwrap();

    assert_eq!(store.load(&third.store_key()), None);
    let (status, body) = provider
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", "client-tools"),
            ("refresh_token", last_refresh.expose()),
        ])
        .await;
    assert_eq!(status, 400, "signing out revokes the refresh token");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn corrupt_store_means_signed_out() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileTokenStore::new(dir.path()));
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .store(store.clone())
        .allow_interaction(false)
        .build()
        .unwrap();
    std::fs::write(store.path_for(&session.store_key()), b"\x00\x01garbage").unwrap();

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(
            sign_in_error(&error),
            SignInError::InteractionRequired { .. }
        ),
        "{error:?}"
    );
}
