//! The error type of the double itself.

use std::io;

/// A failure to start the double.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// A listener could not be bound on 127.0.0.1.
    #[error(
        "failed to bind a listener on 127.0.0.1 for {target}: {source}; check that loopback networking is available"
    )]
    Bind {
        /// The service whose listener failed.
        target: &'static str,
        /// The operating system error.
        #[source]
        source: io::Error,
    },
    /// The RSA signing key could not be created or encoded.
    #[error("failed to create the issuer's RSA signing key: {0}")]
    SigningKey(String),
    /// The temporary data directory could not be created.
    #[error("failed to create the data directory {path}: {source}")]
    DataDir {
        /// The directory that could not be created.
        path: String,
        /// The operating system error.
        #[source]
        source: io::Error,
    },
    /// The client configuration for the double's endpoints was rejected.
    #[error("failed to build the client configuration for the double: {0}")]
    Config(Box<provena_http::Error>),
    /// A user name is not one of the built-in users.
    #[error(
        "`{0}` is not a built-in user of the double; use users::ADMIN, users::WRITER or users::READER"
    )]
    UnknownUser(String),
    /// A device authorization could not be approved or denied.
    #[error("{0}")]
    DeviceCode(String),
}

impl From<provena_http::Error> for TestkitError {
    fn from(error: provena_http::Error) -> Self {
        TestkitError::Config(Box::new(error))
    }
}
