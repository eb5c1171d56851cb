//! Searches the registry and loads the items behind the hits.
//!
//! Usage: `search_and_load WORDS...`. Reads the deployment and sign-in from `PROVENA_*`
//! variables (see `Provena::from_env`).

use provena::Provena;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let query = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if query.is_empty() {
        return Err("usage: search_and_load WORDS...".into());
    }
    let provena = Provena::from_env()?;
    let loaded = provena
        .search()
        .search(query)
        .record_limit(10)
        .send_and_load()
        .await?;
    for item in &loaded.items {
        println!("{}", item.id);
    }
    for missing in &loaded.missing {
        println!("{} no longer resolves", missing.id);
    }
    Ok(())
}
