//! Token stores, which keep signed-in tokens between runs.

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use provena_http::{Error, Secret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Identifies one sign-in: the issuer URL and the client id. Two deployments, or two clients
/// of one deployment, never share an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKey {
    /// The issuer URL, without a trailing slash.
    pub issuer: String,
    /// The client id.
    pub client_id: String,
}

impl StoreKey {
    /// Builds the key for `client_id` at `issuer`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
        }
    }

    /// Returns a file name unique to this key: a SHA-256 digest of issuer and client id.
    fn file_name(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(self.issuer.as_bytes());
        digest.update([0]);
        digest.update(self.client_id.as_bytes());
        let hex: String = digest
            .finalize()
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("tokens-{hex}.json")
    }
}

/// The tokens of one sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredTokens {
    /// The newest refresh token.
    pub refresh_token: Option<Secret>,
    /// The newest access token.
    pub access_token: Option<Secret>,
    /// When the access token expires.
    pub access_token_expires_at: Option<SystemTime>,
}

impl StoredTokens {
    /// Builds an entry from its parts.
    pub fn new(
        refresh_token: Option<Secret>,
        access_token: Option<Secret>,
        access_token_expires_at: Option<SystemTime>,
    ) -> Self {
        Self {
            refresh_token,
            access_token,
            access_token_expires_at,
        }
    }
}

/// Storage for signed-in tokens, keyed by issuer and client id.
///
/// Loading returns no error: implementations report an unreadable or corrupt entry through
/// `tracing` and treat it as absent, so a damaged store costs a new sign-in, not a crash.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// Returns the entry for `key`, or `None` when there is no usable entry.
    fn load(&self, key: &StoreKey) -> Option<StoredTokens>;

    /// Replaces the entry for `key`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the entry cannot be written.
    fn save(&self, key: &StoreKey, tokens: &StoredTokens) -> Result<(), Error>;

    /// Removes the entry for `key`; removing a missing entry succeeds.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the entry exists but cannot be removed.
    fn remove(&self, key: &StoreKey) -> Result<(), Error>;
}

/// Keeps tokens in memory only, for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    entries: Mutex<HashMap<StoreKey, StoredTokens>>,
}

impl MemoryTokenStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<StoreKey, StoredTokens>> {
        // A panic while the lock was held cannot leave a half-written entry: inserts and
        // removes are single calls.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &StoreKey) -> Option<StoredTokens> {
        self.entries().get(key).cloned()
    }

    fn save(&self, key: &StoreKey, tokens: &StoredTokens) -> Result<(), Error> {
        self.entries().insert(key.clone(), tokens.clone());
        Ok(())
    }

    fn remove(&self, key: &StoreKey) -> Result<(), Error> {
        self.entries().remove(key);
        Ok(())
    }
}

/// Keeps tokens in files, one per issuer and client id, in one folder.
///
/// Files are written to a temporary file in the same folder and then renamed over the old
/// one, so a reader sees either the old or the new entry, never a partial one. On Unix the
/// folder is created with mode 0700 and the files with mode 0600.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    issuer: String,
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token_expires_at: Option<u64>,
}

impl FileTokenStore {
    /// Uses `dir` for the token files. It is created on the first save.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Uses `<config dir>/provena/sign-in`, where the config dir is the user's configuration
    /// folder (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support`
    /// on macOS, `%APPDATA%` on Windows).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the system reports no configuration folder for the user.
    pub fn default_location() -> Result<Self, Error> {
        let base = dirs::config_dir().ok_or_else(|| {
            Error::config(
                "token store",
                "default location",
                "no configuration folder is known for this user; choose a folder with `FileTokenStore::new`",
            )
        })?;
        Ok(Self::new(base.join("provena").join("sign-in")))
    }

    /// Returns the folder holding the token files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the file holding the entry for `key`.
    pub fn path_for(&self, key: &StoreKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    fn read(&self, key: &StoreKey) -> Result<Option<StoredTokens>, String> {
        let path = self.path_for(key);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(format!("cannot be read: {err}")),
        };
        let entry: FileEntry =
            serde_json::from_slice(&bytes).map_err(|err| format!("is not a token file: {err}"))?;
        if entry.issuer != key.issuer || entry.client_id != key.client_id {
            return Err(format!(
                "belongs to client `{}` at `{}`",
                entry.client_id, entry.issuer
            ));
        }
        Ok(Some(StoredTokens {
            refresh_token: entry.refresh_token.map(Secret::new),
            access_token: entry.access_token.map(Secret::new),
            access_token_expires_at: entry
                .access_token_expires_at
                .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds)),
        }))
    }

    fn create_dir(&self) -> Result<(), Error> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&self.dir).map_err(|source| Error::Io {
            action: "create token folder",
            path: self.dir.display().to_string(),
            source,
        })
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &StoreKey) -> Option<StoredTokens> {
        match self.read(key) {
            Ok(entry) => entry,
            Err(reason) => {
                tracing::warn!(
                    target: "provena_oidc",
                    path = %self.path_for(key).display(),
                    "ignoring the stored sign-in because the file {reason}"
                );
                None
            }
        }
    }

    fn save(&self, key: &StoreKey, tokens: &StoredTokens) -> Result<(), Error> {
        self.create_dir()?;
        let path = self.path_for(key);
        let io_error = |action: &'static str| {
            let path = path.display().to_string();
            move |source: std::io::Error| Error::Io {
                action,
                path,
                source,
            }
        };
        let entry = FileEntry {
            issuer: key.issuer.clone(),
            client_id: key.client_id.clone(),
            refresh_token: tokens.refresh_token.as_ref().map(|t| t.expose().to_owned()),
            access_token: tokens.access_token.as_ref().map(|t| t.expose().to_owned()),
            access_token_expires_at: tokens
                .access_token_expires_at
                .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map(|since| since.as_secs()),
        };

        let json = serde_json::to_vec_pretty(&entry).map_err(|err| Error::Io {
            action: "encode token file",
            path: path.display().to_string(),
            source: std::io::Error::other(err),
        })?;

        // tempfile creates the file with mode 0600 on Unix; set it again in case the
        // process umask or a future tempfile release differs.
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(io_error("create temporary token file"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io_error("restrict temporary token file"))?;
        }
        file.write_all(&json)
            .map_err(io_error("write temporary token file"))?;
        file.as_file()
            .sync_all()
            .map_err(io_error("flush temporary token file"))?;
        file.persist(&path)
            .map_err(|err| io_error("replace token file")(err.error))?;
        tracing::debug!(target: "provena_oidc", path = %path.display(), "sign-in stored");
        Ok(())
    }

    fn remove(&self, key: &StoreKey) -> Result<(), Error> {
        let path = self.path_for(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Io {
                action: "remove token file",
                path: path.display().to_string(),
                source,
            }),
        }
    }
}
