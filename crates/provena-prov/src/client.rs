//! The user-facing prov client.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use provena_http::{Error, HttpClient, Operation, Service};
use provena_jobs::{AccessCheck, JobsClient, PollPolicy, WaitError};
use provena_models::{
    AddStudyLinkResponse, ConvertModelRunsResponse, ItemModelRun, ItemSubType, ModelRunRecord,
    PostDeleteGraphRequest, PostUpdateModelRunInput, RegisterBatchModelRunRequest, StatusResponse,
    SyncRegisterModelRunResponse,
};

use crate::lineage::LineageGraph;
use crate::operations;
use crate::report::{self, ReportFile};

/// The registry operation that deletes a model run item, used by
/// [`DeleteModelRun::including_registry_item`]. It belongs to the registry's API document.
const REGISTRY_DELETE_MODEL_RUN: Operation = Operation::delete(
    Service::Registry,
    "delete_activity_model_run",
    "/registry/activity/model_run/delete",
);

/// Client for the Provena prov service: model run registration, lineage, bulk CSV tools,
/// reports and graph administration.
///
/// Cloning is cheap and shares the connection pool of the [`HttpClient`], so build one and
/// reuse it.
///
/// ```no_run
/// # async fn run(http: provena_http::HttpClient) -> Result<(), provena_prov::Error> {
/// use provena_prov::ProvClient;
///
/// let prov = ProvClient::new(http);
/// let graph = prov.explore_upstream("10378.1/1690000", Some(2)).await?;
/// println!("{}", graph.to_dot());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ProvClient {
    http: HttpClient,
    jobs: JobsClient,
}

impl ProvClient {
    /// Builds a client that sends its requests through `http`.
    pub fn new(http: HttpClient) -> Self {
        let jobs = JobsClient::new(http.clone());
        Self { http, jobs }
    }

    /// Returns the HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Returns a jobs client sharing this client's connection pool, to follow the jobs the
    /// prov service starts.
    pub fn jobs(&self) -> &JobsClient {
        &self.jobs
    }

    /// Starts a job that validates, registers and lodges a model run, and returns the job's
    /// session id. Wait for it with [`JobsClient::await_completion`]; the succeeded job's
    /// `result.record.id` is the new model run's id.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when an id in the record is invalid, [`Error::Decode`] when
    /// the response has no session id, or any other request [`Error`].
    pub async fn register_model_run(&self, record: &ModelRunRecord) -> Result<String, Error> {
        let response = operations::register_model_run(&self.http, record).await?;
        require_session_id(&operations::REGISTER_MODEL_RUN, response.session_id)
            .map_err(|error| *error)
    }

    /// Starts a job that registers every record as its own model run, and returns the
    /// job's session id. The succeeded job's `result.batch_id` names the batch of per-record
    /// jobs; list them with [`JobsClient::list_batch`].
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `records` is empty, or any request [`Error`].
    pub async fn register_batch(&self, records: Vec<ModelRunRecord>) -> Result<String, Error> {
        if records.is_empty() {
            return Err(Error::config(
                "records",
                "[]",
                "give at least one model run record to register",
            ));
        }
        let request = RegisterBatchModelRunRequest { records };
        let response = operations::register_batch(&self.http, &request).await?;
        require_session_id(&operations::REGISTER_BATCH, response.session_id).map_err(|error| *error)
    }

    /// Registers and lodges a model run before returning. Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, [`Error::BadRequest`] when an id in the
    /// record is invalid, or any other request [`Error`].
    pub async fn register_model_run_sync(
        &self,
        record: &ModelRunRecord,
    ) -> Result<SyncRegisterModelRunResponse, Error> {
        operations::register_model_run_sync(&self.http, record).await
    }

    /// Starts a job that replaces a model run's record and its provenance, recording
    /// `reason` in the item's history, and returns the job's session id.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `model_run_id` or `reason` is blank, or any request
    /// [`Error`].
    pub async fn update_model_run(
        &self,
        model_run_id: &str,
        reason: &str,
        record: ModelRunRecord,
    ) -> Result<String, Error> {
        require_id("model_run_id", model_run_id)?;
        if reason.trim().is_empty() {
            return Err(Error::config(
                "reason",
                reason,
                "give a reason for the update; it is kept in the model run's history",
            ));
        }
        let request = PostUpdateModelRunInput {
            model_run_id: model_run_id.to_owned(),
            reason: reason.to_owned(),
            record,
        };
        Ok(operations::update_model_run(&self.http, &request)
            .await?
            .session_id)
    }

    /// Links a model run to a study, and starts a job that adds the link to the graph.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when either id is blank, [`Error::BadRequest`] when either id is
    /// unknown, or any other request [`Error`].
    pub async fn link_to_study(
        &self,
        model_run_id: &str,
        study_id: &str,
    ) -> Result<AddStudyLinkResponse, Error> {
        require_id("model_run_id", model_run_id)?;
        require_id("study_id", study_id)?;
        operations::add_study_link(&self.http, model_run_id, study_id).await
    }

    /// Starts removing a model run's provenance from the graph. Needs the admin role.
    pub fn delete_model_run(&self, model_run_id: impl Into<String>) -> DeleteModelRun {
        DeleteModelRun {
            client: self.clone(),
            model_run_id: model_run_id.into(),
            trial_mode: false,
            registry_item: false,
        }
    }

    /// Explores what `starting_id` was derived from (inputs, models, agents).
    ///
    /// `depth` limits how many relations away from the start the query goes. Without it
    /// the service uses its default, 2 for upstream and downstream and 4 for the dataset
    /// and agent queries. The service rejects depths above its maximum, 10 by default.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a blank `starting_id` or a depth of 0, [`Error::BadRequest`] for a depth above the
    /// service's maximum, [`Error::Server`] when `starting_id` is not a registry item, and
    /// [`Error::Decode`] when the graph is not in node-link form.
    pub async fn explore_upstream(
        &self,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        self.lineage(&operations::EXPLORE_UPSTREAM, starting_id, depth)
            .await
    }

    /// Explores what was derived from `starting_id` (outputs and their uses).
    ///
    /// # Errors
    ///
    /// As [`explore_upstream`](Self::explore_upstream).
    pub async fn explore_downstream(
        &self,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        self.lineage(&operations::EXPLORE_DOWNSTREAM, starting_id, depth)
            .await
    }

    /// Finds the datasets upstream of `starting_id`.
    ///
    /// # Errors
    ///
    /// As [`explore_upstream`](Self::explore_upstream).
    pub async fn contributing_datasets(
        &self,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        self.lineage(
            &operations::SPECIAL_CONTRIBUTING_DATASETS,
            starting_id,
            depth,
        )
        .await
    }

    /// Finds the datasets downstream of `starting_id` (the API calls them "effected").
    ///
    /// # Errors
    ///
    /// As [`explore_upstream`](Self::explore_upstream).
    pub async fn affected_datasets(
        &self,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        self.lineage(&operations::SPECIAL_EFFECTED_DATASETS, starting_id, depth)
            .await
    }

    /// Finds the people and organisations upstream of `starting_id`.
    ///
    /// # Errors
    ///
    /// As [`explore_upstream`](Self::explore_upstream).
    pub async fn contributing_agents(
        &self,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        self.lineage(&operations::SPECIAL_CONTRIBUTING_AGENTS, starting_id, depth)
            .await
    }

    /// Finds the people and organisations associated with what is downstream of
    /// `starting_id` (the API calls them "effected").
    ///
    /// # Errors
    ///
    /// As [`explore_upstream`](Self::explore_upstream).
    pub async fn affected_agents(
        &self,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        self.lineage(&operations::SPECIAL_EFFECTED_AGENTS, starting_id, depth)
            .await
    }

    async fn lineage(
        &self,
        operation: &Operation,
        starting_id: &str,
        depth: Option<u32>,
    ) -> Result<LineageGraph, Error> {
        require_id("starting_id", starting_id)?;
        if depth == Some(0) {
            return Err(Error::config(
                "depth",
                "0",
                "use a depth of 1 or more, or leave it unset for the service's default",
            ));
        }
        let response = operations::lineage(&self.http, operation, starting_id, depth).await?;
        let Some(graph) = response.graph else {
            return Ok(LineageGraph::default());
        };
        LineageGraph::from_node_link(&graph).map_err(|err| Error::Decode {
            service: operation.service,
            method: operation.method.clone(),
            path: operation.path.to_owned(),
            json_path: String::from("graph"),
            message: err.to_string(),
            snippet: String::new(),
        })
    }

    /// Downloads the CSV template for bulk model run registration under a workflow
    /// template.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `workflow_template_id` is blank, [`Error::BadRequest`] when
    /// the workflow template is unknown, [`Error::Decode`] when
    /// the file is not UTF-8, or any other request [`Error`].
    pub async fn csv_template(&self, workflow_template_id: &str) -> Result<String, Error> {
        require_id("workflow_template_id", workflow_template_id)?;
        let bytes = operations::generate_template_csv(&self.http, workflow_template_id).await?;
        utf8(&operations::GENERATE_TEMPLATE_CSV, &bytes).map_err(|error| *error)
    }

    /// Uploads a filled-in model run CSV and returns the model run records it describes.
    /// Nothing is registered; pass the records to [`register_batch`](Self::register_batch).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] naming the row (`model run #N`, counted from 1 after the
    /// header) or header that is invalid, or any other request [`Error`].
    pub async fn convert_model_runs_csv(
        &self,
        file_name: &str,
        csv: impl Into<Bytes>,
    ) -> Result<ConvertModelRunsResponse, Error> {
        operations::convert_model_runs_csv(&self.http, file_name, csv.into()).await
    }

    /// Reads a model run CSV from disk and converts it like
    /// [`convert_model_runs_csv`](Self::convert_model_runs_csv).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, or as `convert_model_runs_csv`.
    pub async fn convert_model_runs_csv_file(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<ConvertModelRunsResponse, Error> {
        let path = path.as_ref();
        let csv = tokio::fs::read(path).await.map_err(|source| Error::Io {
            action: "read",
            path: path.display().to_string(),
            source,
        })?;
        let file_name = path.file_name().map_or_else(
            || String::from("model_runs.csv"),
            |name| name.to_string_lossy().into_owned(),
        );
        self.convert_model_runs_csv(&file_name, csv).await
    }

    /// Rebuilds the CSV of a batch submitted with [`register_batch`](Self::register_batch),
    /// with each row's job id, status, model run id and error.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when the batch contains other kinds of job, or any other request
    /// [`Error`].
    pub async fn regenerate_from_batch_csv(&self, batch_id: &str) -> Result<String, Error> {
        require_id("batch_id", batch_id)?;
        let bytes = operations::regenerate_from_batch_csv(&self.http, batch_id).await?;
        utf8(&operations::REGENERATE_FROM_BATCH_CSV, &bytes).map_err(|error| *error)
    }

    /// Generates a provenance report (a Word document) for a model run or study, waits for
    /// the report job with the default [`PollPolicy`], and downloads the document to
    /// `path`. `depth` is the upstream depth, 1 to 3.
    ///
    /// The document is written to `path` with a `.part` suffix first and renamed once
    /// complete, so a failed download never leaves a truncated file under `path`.
    ///
    /// # Errors
    ///
    /// [`WaitError::Request`] for a rejected request, a blank id or bad depth
    /// ([`Error::Config`]) or a
    /// failed download or write, [`WaitError::Failed`] when the job fails,
    /// [`WaitError::TimedOut`] when it does not finish in time, and
    /// [`WaitError::InvalidResult`] when the job's result has no report URL.
    pub async fn generate_report(
        &self,
        id: &str,
        item_subtype: ItemSubType,
        depth: u32,
        path: impl AsRef<Path>,
    ) -> Result<ReportFile, WaitError> {
        require_id("id", id)?;
        report::generate(
            self,
            id,
            item_subtype,
            depth,
            path.as_ref(),
            PollPolicy::default(),
        )
        .await
    }

    /// As [`generate_report`](Self::generate_report), with another polling policy for the
    /// report job.
    ///
    /// # Errors
    ///
    /// As [`generate_report`](Self::generate_report).
    pub async fn generate_report_with(
        &self,
        id: &str,
        item_subtype: ItemSubType,
        depth: u32,
        path: impl AsRef<Path>,
        policy: PollPolicy,
    ) -> Result<ReportFile, WaitError> {
        require_id("id", id)?;
        report::generate(self, id, item_subtype, depth, path.as_ref(), policy).await
    }

    /// Lodges one completed model run item into the graph. Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other request [`Error`].
    pub async fn store_record(
        &self,
        record: &ItemModelRun,
        validate_record: bool,
    ) -> Result<StatusResponse, Error> {
        operations::store_record(&self.http, record, validate_record).await
    }

    /// Lodges several completed model run items into the graph. Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other request [`Error`].
    pub async fn store_records(
        &self,
        records: &[ItemModelRun],
        validate_record: bool,
    ) -> Result<StatusResponse, Error> {
        operations::store_records(&self.http, records, validate_record).await
    }

    /// Lodges every model run in the registry into the graph. Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other request [`Error`].
    pub async fn store_all_registry_records(
        &self,
        validate_record: bool,
    ) -> Result<StatusResponse, Error> {
        operations::store_all_registry_records(&self.http, validate_record).await
    }

    /// Deletes the whole provenance graph. Lineage queries return nothing until the graph
    /// is restored with [`store_all_registry_records`](Self::store_all_registry_records).
    /// Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other request [`Error`].
    pub async fn clear_graph(&self) -> Result<StatusResponse, Error> {
        operations::clear_graph(&self.http).await
    }

    /// Downloads the service's configuration as `.env` text. Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other request [`Error`].
    pub async fn config_file(&self, required_only: bool) -> Result<String, Error> {
        let bytes = operations::generate_config_file(&self.http, required_only).await?;
        utf8(&operations::GENERATE_CONFIG_FILE, &bytes).map_err(|error| *error)
    }

    /// Returns the service's greeting, a small JSON object.
    ///
    /// # Errors
    ///
    /// Any request [`Error`].
    pub async fn root(&self) -> Result<BTreeMap<String, String>, Error> {
        operations::root(&self.http).await
    }

    /// Asks the service to raise an error, to test its error monitoring. With monitoring
    /// off the service returns a message instead.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] when the test error is raised, [`Error::Unauthorized`] without the
    /// service's write role.
    pub async fn test_sentry_reporting(&self) -> Result<serde_json::Value, Error> {
        operations::test_sentry_reporting(&self.http).await
    }

    /// Checks that the caller is signed in.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the token is missing or invalid.
    pub async fn check_general_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_GENERAL_ACCESS).await
    }

    /// Checks that the caller has the registry read role the prov service uses.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role.
    pub async fn check_read_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_READ_ACCESS).await
    }

    /// Checks that the caller has the registry read and write roles.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the roles.
    pub async fn check_write_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_WRITE_ACCESS).await
    }

    /// Checks that the caller has the registry admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role.
    pub async fn check_admin_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_ADMIN_ACCESS).await
    }
}

/// Returns the session id, or the error for a response that reported success without one.
fn require_session_id(
    operation: &Operation,
    session_id: Option<String>,
) -> Result<String, Box<Error>> {
    session_id.filter(|id| !id.is_empty()).ok_or_else(|| {
        Box::new(Error::Decode {
            service: operation.service,
            method: operation.method.clone(),
            path: operation.path.to_owned(),
            json_path: String::from("session_id"),
            message: String::from("the service reported success but returned no job session id"),
            snippet: String::new(),
        })
    })
}

/// Rejects an empty or whitespace-only id before a request goes out; `argument` names the
/// parameter in the error.
fn require_id(argument: &str, id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::config(
            argument,
            id,
            "give the item's handle id, such as 10378.1/1690000",
        ));
    }
    Ok(())
}

/// Decodes a downloaded text file.
fn utf8(operation: &Operation, bytes: &Bytes) -> Result<String, Box<Error>> {
    String::from_utf8(bytes.to_vec()).map_err(|err| {
        Box::new(Error::Decode {
            service: operation.service,
            method: operation.method.clone(),
            path: operation.path.to_owned(),
            json_path: String::from("."),
            message: format!("the file is not UTF-8 text: {err}"),
            snippet: String::new(),
        })
    })
}

/// The result of a [`DeleteModelRun`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeleteOutcome {
    /// The graph changes, one JSON object per node or link action, as the service
    /// describes them (`action_type` such as `REMOVE_NODE` or `REMOVE_RECORD_ID_FROM_LINK`).
    pub diff: Vec<serde_json::Value>,
    /// Whether the changes were only computed (trial mode) and not applied.
    pub trial: bool,
    /// Whether the model run's registry item was deleted too.
    pub registry_item_deleted: bool,
}

/// A model run deletion, built by [`ProvClient::delete_model_run`]. Finish it with
/// [`send`](DeleteModelRun::send).
#[derive(Debug, Clone)]
#[must_use = "nothing is deleted until `send` is awaited"]
pub struct DeleteModelRun {
    client: ProvClient,
    model_run_id: String,
    trial_mode: bool,
    registry_item: bool,
}

impl DeleteModelRun {
    /// Only computes the graph changes without applying them.
    pub fn trial_mode(mut self, trial_mode: bool) -> Self {
        self.trial_mode = trial_mode;
        self
    }

    /// After the provenance is removed, deletes the model run's registry item as well.
    /// Needs the registry admin role; ignored in trial mode.
    pub fn including_registry_item(mut self, delete: bool) -> Self {
        self.registry_item = delete;
        self
    }

    /// Sends the deletion.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the model run id is blank, [`Error::Unauthorized`] without
    /// the admin role, [`Error::BadRequest`] when the model run is unknown, or any other request [`Error`]. When the registry deletion fails
    /// after the graph deletion succeeded, the graph changes stay applied.
    pub async fn send(self) -> Result<DeleteOutcome, Error> {
        require_id("model_run_id", &self.model_run_id)?;
        let request = PostDeleteGraphRequest {
            record_id: self.model_run_id.clone(),
            trial_mode: Some(self.trial_mode),
        };
        let response = operations::delete_model_run(self.client.http(), &request).await?;
        let delete_item = self.registry_item && !self.trial_mode;
        if delete_item {
            let _: serde_json::Value = self
                .client
                .http()
                .call(&REGISTRY_DELETE_MODEL_RUN)
                .query("id", &self.model_run_id)
                .send_json()
                .await?;
        }
        Ok(DeleteOutcome {
            diff: response.diff,
            trial: self.trial_mode,
            registry_item_deleted: delete_item,
        })
    }
}
