//! Registers a model run from a record file, waits for it, and prints its lineage as DOT.
//!
//! Usage: `register_model_run_and_lineage RECORD.json`. The record names the workflow
//! template, the input and output datasets and the modeller by their ids. Reads the
//! deployment and sign-in from `PROVENA_*` variables (see `Provena::from_env`).

use provena::Provena;
use provena::models::ModelRunRecord;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: register_model_run_and_lineage RECORD.json")?;
    let record: ModelRunRecord = serde_json::from_str(&std::fs::read_to_string(&path)?)?;

    let provena = Provena::from_env()?;
    let session_id = provena.prov().register_model_run(&record).await?;
    let job = provena.jobs().await_completion(&session_id).await?;
    let model_run_id = job
        .result
        .as_ref()
        .and_then(|result| result.get("record"))
        .and_then(|record| record.get("id"))
        .and_then(|id| id.as_str())
        .ok_or("the registration job has no record id")?
        .to_owned();
    println!("registered model run {model_run_id}");

    let upstream = provena
        .prov()
        .explore_upstream(&model_run_id, Some(2))
        .await?;
    println!("{}", upstream.to_dot());
    Ok(())
}
