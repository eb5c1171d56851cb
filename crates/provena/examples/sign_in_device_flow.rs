//! Signs in with the device flow and shows who signed in.
//!
//! Reads `PROVENA_DOMAIN` and `PROVENA_REALM` (and optionally `PROVENA_CLIENT_ID`). The link
//! and code to approve appear on standard error; the tokens are kept in your token store, so
//! a second run signs in without asking.
//!
//! ```sh
//! PROVENA_DOMAIN=provena.example.org PROVENA_REALM=provena \
//!     cargo run -p provena --example sign_in_device_flow
//! ```

use provena::Provena;

#[tokio::main]
async fn main() -> Result<(), provena::Error> {
    let provena = Provena::builder()
        .env(|name| std::env::var(name).ok())
        .device_flow()
        .build()?;
    let session = provena
        .session()
        .ok_or_else(|| provena::Error::sign_in("the device flow needs the sign-in feature"))?;
    let claims = session.sign_in().await?;
    match claims.and_then(|claims| claims.username) {
        Some(username) => println!("signed in as {username}"),
        None => println!("signed in"),
    }
    Ok(())
}
