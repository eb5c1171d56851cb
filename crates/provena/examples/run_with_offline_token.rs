//! Runs unattended with an offline token and counts the registry's items per subtype.
//!
//! Reads `PROVENA_DOMAIN`, `PROVENA_REALM` and the offline token from the file named by
//! `PROVENA_OFFLINE_TOKEN_FILE` (or the token itself from `PROVENA_OFFLINE_TOKEN`). The
//! token is exchanged for short-lived access tokens and never written anywhere.
//!
//! ```sh
//! PROVENA_DOMAIN=provena.example.org PROVENA_REALM=provena \
//! PROVENA_OFFLINE_TOKEN_FILE=/run/secrets/provena-offline-token \
//!     cargo run -p provena --example run_with_offline_token
//! ```

use provena::Provena;

#[tokio::main]
async fn main() -> Result<(), provena::Error> {
    let provena = Provena::from_env()?;
    let counts = provena.registry().count_by_subtype().await?;
    for (subtype, count) in counts.iter() {
        println!("{subtype:?}: {count}");
    }
    println!("total: {}", counts.total());
    Ok(())
}
