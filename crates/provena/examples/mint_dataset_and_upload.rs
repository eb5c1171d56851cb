//! Mints a dataset from a metadata file and uploads a folder of files into it.
//!
//! Usage: `mint_dataset_and_upload METADATA.json FOLDER`. The metadata is the data store's
//! collection format. Reads the deployment and sign-in from `PROVENA_*` variables (see
//! `Provena::from_env`) and the S3 endpoint from `PROVENA_S3_ENDPOINT`.

use provena::Provena;
use provena::models::CollectionFormat;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let (Some(metadata_path), Some(folder)) = (arguments.next(), arguments.next()) else {
        return Err("usage: mint_dataset_and_upload METADATA.json FOLDER".into());
    };
    let metadata: CollectionFormat =
        serde_json::from_str(&std::fs::read_to_string(&metadata_path)?)?;

    let provena = Provena::from_env()?;
    let datastore = provena.datastore();
    let minted = datastore.mint(&metadata).await?;
    let id = minted
        .handle
        .ok_or("the data store returned no dataset id")?;
    println!("minted {id}");

    let summary = datastore.dataset(id.as_str()).upload_from(&folder).await?;
    println!(
        "uploaded {} files ({} bytes)",
        summary.files.len(),
        summary.bytes
    );
    Ok(())
}
