//! `provena tour`: a whole Provena workflow against the embedded double.
//!
//! Every step goes through the public SDK over HTTP, exactly as against a real deployment;
//! only the deployment is the double on 127.0.0.1. The request bodies are built in or, with
//! `--payloads DIR`, read from a folder with one sub-folder per item subtype. Ids inside
//! those bodies (the organisation of a dataset, the templates of a workflow, the datasets
//! of a model run) are replaced with the ids the tour has just created.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;

use provena::Provena;
use provena::models::ItemSubType;
use provena::models::kinds::RegistryItem;
use provena_testkit::{DeviceApproval, ProvenaDouble, users};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::exit::{Failure, LOCAL};
use crate::output::{Output, print_line};

/// The number of steps, for the `[n/N]` counter.
const STEPS: usize = 16;

/// Runs the tour and prints each step.
pub async fn run(payloads_dir: Option<&Path>, out: Output) -> Result<(), Failure> {
    let payloads = Payloads::new(payloads_dir);
    payloads.check()?;
    let mut tour = Tour::new(out);
    let workspace = tempfile::tempdir()
        .map_err(|err| Failure::local(format!("failed to create a temporary folder: {err}")))?;

    let double = tour
        .step("start the embedded Provena double", async {
            let double = ProvenaDouble::builder()
                .device_flow(DeviceApproval::Auto(users::WRITER))
                .start()
                .await
                .map_err(|err| Failure::local(format!("failed to start the double: {err}")))?;
            let registry = double
                .endpoints()
                .url(provena::Service::Registry)
                .map(ToString::to_string);
            Ok((
                double,
                format!("registry at {}", registry.unwrap_or_default()),
            ))
        })
        .await?;

    let provena = Provena::builder()
        .endpoints(double.endpoints())
        .s3_endpoint(double.s3_endpoint().as_str())
        .client_id(double.oidc_client_id())
        .device_flow()
        .sign_in(move |sign_in| {
            sign_in
                .no_store()
                .prompt(move |prompt: &provena::oidc::DeviceCodePrompt| {
                    out.note(&format!(
                        "        device flow: the double approves the code shown at {}",
                        prompt.verification_uri
                    ));
                })
        })
        .build()?;

    tour.step("sign in with the device flow", async {
        let session = provena
            .session()
            .ok_or_else(|| Failure::local("the client has no sign-in session"))?;
        let claims = session.sign_in().await?;
        let username = claims
            .and_then(|claims| claims.username)
            .unwrap_or_default();
        expect(
            username == users::WRITER,
            format!("signed in as `{username}`, expected `{}`", users::WRITER),
        )?;
        Ok(((), format!("signed in as {username}")))
    })
    .await?;

    let registry = provena.registry();
    let organisation_id = tour
        .step("register an organisation", async {
            let info = payloads.typed(
                "organisation",
                "organisation_1.json",
                built_in::organisation(),
                |_| {},
            )?;
            let created = registry.organisations().create(&info).await?;
            let id = created.item.id().to_owned();
            Ok((id.clone(), format!("{id} {}", created.item.display_name())))
        })
        .await?;

    let person_id = tour
        .step("register a person", async {
            let info = payloads.typed("person", "person_1.json", built_in::person(), |_| {})?;
            let created = registry.people().create(&info).await?;
            let id = created.item.id().to_owned();
            Ok((id.clone(), format!("{id} {}", created.item.display_name())))
        })
        .await?;

    tour.step("link the signed-in user to the person", async {
        provena.auth().link_person(&person_id).await?;
        let linked = provena.auth().linked_person().await?;
        expect(
            linked.as_deref() == Some(person_id.as_str()),
            format!("the user is linked to {linked:?}, expected {person_id}"),
        )?;
        Ok(((), format!("{} -> {person_id}", users::WRITER)))
    })
    .await?;

    let model_id = tour
        .step("register a model", async {
            let info = payloads.typed("model", "model_1.json", built_in::model(), |_| {})?;
            let created = registry.models().create(&info).await?;
            let id = created.item.id().to_owned();
            Ok((id.clone(), format!("{id} {}", created.item.display_name())))
        })
        .await?;

    let mut required_annotations: Vec<String> = Vec::new();
    let mut input_deferred: Vec<String> = Vec::new();
    let mut output_deferred: Vec<String> = Vec::new();
    let (input_template_id, output_template_id, workflow_id) = tour
        .step(
            "register dataset templates and a workflow template",
            async {
                let input_info = payloads.typed(
                    "dataset_template",
                    "dataset_template_1.json",
                    built_in::dataset_template("Reef temperature inputs", "forcing/"),
                    |body| input_deferred = deferred_keys(body),
                )?;
                let output_info = payloads.typed(
                    "dataset_template",
                    "dataset_template_2.json",
                    built_in::dataset_template("Bleaching risk outputs", "results/"),
                    |body| output_deferred = deferred_keys(body),
                )?;
                let templates = registry.dataset_templates();
                let input = templates.create(&input_info).await?.item.id().to_owned();
                let output = templates.create(&output_info).await?.item.id().to_owned();
                let workflow_info = payloads.typed(
                    "model_run_workflow_template",
                    "model_run_workflow_template_1.json",
                    built_in::workflow_template(),
                    |body| {
                        set(body, &["software_id"], &model_id);
                        for entry in array(body, "input_templates") {
                            set(entry, &["template_id"], &input);
                        }
                        for entry in array(body, "output_templates") {
                            set(entry, &["template_id"], &output);
                        }
                        required_annotations = body
                            .pointer("/annotations/required")
                            .and_then(Value::as_array)
                            .map(|keys| {
                                keys.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default();
                    },
                )?;
                let workflow = registry.workflow_templates().create(&workflow_info).await?;
                let workflow_id = workflow.item.id().to_owned();
                let summary = format!("inputs {input}, outputs {output}, workflow {workflow_id}");
                Ok(((input, output, workflow_id), summary))
            },
        )
        .await?;

    let datastore = provena.datastore();
    let mut search_word = String::new();
    let (input_dataset_id, output_dataset_id) = tour
        .step("mint an input and an output dataset", async {
            let mut minted = Vec::new();
            let sources = [
                (
                    "collection_format_1.json",
                    built_in::dataset("Reef temperature observations 2024"),
                ),
                (
                    "collection_format_basic_1.json",
                    built_in::dataset("Bleaching risk forecast 2025"),
                ),
            ];
            for (file, fallback) in sources {
                let metadata: provena::models::CollectionFormat =
                    payloads.typed("dataset", file, fallback, |body| {
                        set(body, &["associations", "organisation_id"], &organisation_id);
                        set(body, &["dataset_info", "publisher_id"], &organisation_id);
                        if body.pointer("/associations/data_custodian_id").is_some() {
                            set(body, &["associations", "data_custodian_id"], &person_id);
                        }
                    })?;
                if search_word.is_empty() {
                    search_word = first_long_word(&metadata.dataset_info.name);
                }
                let response = datastore.mint(&metadata).await?;
                let handle = response.handle.ok_or_else(|| {
                    Failure::new(
                        crate::exit::SERVER,
                        "the data store minted a dataset without an id",
                    )
                })?;
                minted.push(handle);
            }
            let [input, output] = <[String; 2]>::try_from(minted)
                .map_err(|_| Failure::local("expected two minted datasets"))?;
            let summary = format!("input {input}, output {output}");
            Ok(((input, output), summary))
        })
        .await?;

    let upload_dir = workspace.path().join("upload");
    tour.step("upload files into both datasets", async {
        let files = write_sample_files(&upload_dir)?;
        let input = datastore
            .dataset(input_dataset_id.as_str())
            .upload_from(&upload_dir)
            .await
            .map_err(|error| transfer(&error))?;
        let output = datastore
            .dataset(output_dataset_id.as_str())
            .upload_from(&upload_dir)
            .await
            .map_err(|error| transfer(&error))?;
        expect(
            input.files.len() == files,
            format!(
                "uploaded {} files to the input, expected {files}",
                input.files.len()
            ),
        )?;
        Ok((
            (),
            format!(
                "{} files, {} bytes each way",
                output.files.len(),
                output.bytes
            ),
        ))
    })
    .await?;

    let model_run_id = tour
        .step("register a model run and wait for its job", async {
            let record: provena::models::ModelRunRecord = payloads.typed(
                "model_run",
                "model_run_record_1.json",
                built_in::model_run(),
                |body| {
                    set(body, &["workflow_template_id"], &workflow_id);
                    for entry in array(body, "inputs") {
                        set(entry, &["dataset_template_id"], &input_template_id);
                        set(entry, &["dataset_id"], &input_dataset_id);
                        fill_resources(entry, &input_deferred);
                    }
                    for entry in array(body, "outputs") {
                        set(entry, &["dataset_template_id"], &output_template_id);
                        set(entry, &["dataset_id"], &output_dataset_id);
                        fill_resources(entry, &output_deferred);
                    }
                    set(body, &["associations", "modeller_id"], &person_id);
                    for key in &required_annotations {
                        if body.pointer(&format!("/annotations/{key}")).is_none() {
                            set(body, &["annotations", key.as_str()], "provena tour");
                        }
                    }
                    if body
                        .pointer("/associations/requesting_organisation_id")
                        .is_some()
                    {
                        set(
                            body,
                            &["associations", "requesting_organisation_id"],
                            &organisation_id,
                        );
                    }
                },
            )?;
            let prov = provena.prov();
            let session_id = prov.register_model_run(&record).await?;
            let job = provena
                .jobs()
                .await_completion(&session_id)
                .await
                .map_err(wait_failure)?;
            let id = job
                .result
                .as_ref()
                .and_then(|result| result.get("record"))
                .and_then(|record| record.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    Failure::new(
                        crate::exit::SERVER,
                        "the registration job's result has no record id",
                    )
                })?;
            Ok((id.clone(), format!("model run {id} (job {session_id})")))
        })
        .await?;

    tour.step("explore lineage upstream of the output dataset", async {
        let graph = provena
            .prov()
            .explore_upstream(&output_dataset_id, Some(2))
            .await?;
        expect(
            graph.node(&model_run_id).is_some(),
            format!("model run {model_run_id} is not upstream of {output_dataset_id}"),
        )?;
        expect(
            graph.node(&input_dataset_id).is_some(),
            format!("input {input_dataset_id} is not upstream of {output_dataset_id}"),
        )?;
        Ok((
            (),
            format!("{} nodes, {} edges", graph.nodes.len(), graph.edges.len()),
        ))
    })
    .await?;

    tour.step("explore lineage downstream of the input dataset", async {
        let graph = provena
            .prov()
            .explore_downstream(&input_dataset_id, Some(2))
            .await?;
        expect(
            graph.node(&output_dataset_id).is_some(),
            format!("output {output_dataset_id} is not downstream of {input_dataset_id}"),
        )?;
        Ok((
            (),
            format!("{} nodes, {} edges", graph.nodes.len(), graph.edges.len()),
        ))
    })
    .await?;

    tour.step("search the registry", async {
        let loaded = provena
            .search()
            .search(search_word.clone())
            .record_limit(10)
            .send_and_load()
            .await?;
        let found = loaded.items.iter().any(|item| item.id == input_dataset_id);
        expect(
            found,
            format!("searching `{search_word}` did not find {input_dataset_id}"),
        )?;
        Ok(((), format!("`{search_word}`: {} items", loaded.items.len())))
    })
    .await?;

    let download_dir = workspace.path().join("download");
    tour.step("download the input dataset and compare the files", async {
        let summary = datastore
            .dataset(input_dataset_id.as_str())
            .download_to(&download_dir)
            .await
            .map_err(|error| transfer(&error))?;
        for file in sample_files() {
            let expected = std::fs::read(upload_dir.join(file.0))?;
            let actual = std::fs::read(download_dir.join(file.0)).map_err(|err| {
                Failure::local(format!("downloaded file {} is missing: {err}", file.0))
            })?;
            expect(
                expected == actual,
                format!("{} differs after the round trip", file.0),
            )?;
        }
        Ok((
            (),
            format!("{} files, {} bytes", summary.files.len(), summary.bytes),
        ))
    })
    .await?;

    tour.step("generate a provenance report through the jobs API", async {
        let path = workspace.path().join("report.docx");
        let report = provena
            .prov()
            .generate_report(&model_run_id, ItemSubType::ModelRun, 1, &path)
            .await
            .map_err(wait_failure)?;
        expect(report.size > 0, "the report is empty".to_owned())?;
        Ok((
            (),
            format!("{} bytes (job {})", report.size, report.session_id),
        ))
    })
    .await?;

    tour.step("stop the double", async {
        drop(double);
        Ok(((), String::from("stopped")))
    })
    .await?;

    tour.finish()
}

/// Counts and prints the steps.
struct Tour {
    out: Output,
    done: usize,
    started: Instant,
}

impl Tour {
    fn new(out: Output) -> Self {
        Self {
            out,
            done: 0,
            started: Instant::now(),
        }
    }

    /// Runs one step and prints its outcome with its duration.
    async fn step<T>(
        &mut self,
        name: &str,
        work: impl Future<Output = Result<(T, String), Failure>>,
    ) -> Result<T, Failure> {
        self.done += 1;
        let started = Instant::now();
        let result = work.await;
        let millis = started.elapsed().as_millis();
        match result {
            Ok((value, summary)) => {
                self.print(&format!(
                    "[{:>2}/{STEPS}] {name}: ok, {summary} ({millis} ms)",
                    self.done
                ));
                Ok(value)
            }
            Err(failure) => {
                self.print(&format!(
                    "[{:>2}/{STEPS}] {name}: FAILED ({millis} ms)",
                    self.done
                ));
                Err(failure)
            }
        }
    }

    fn print(&self, line: &str) {
        if self.out.is_json() {
            self.out.note(line);
        } else {
            print_line(line);
        }
    }

    fn finish(self) -> Result<(), Failure> {
        let seconds = self.started.elapsed().as_secs_f64();
        expect(
            self.done == STEPS,
            format!("the tour ran {} of {STEPS} steps", self.done),
        )?;
        self.out
            .emit(&json!({ "steps": self.done, "seconds": seconds }), || {
                format!("tour complete: {STEPS} steps in {seconds:.1} s")
            })
    }
}

/// Request bodies: built in, or read from a folder laid out by item subtype.
struct Payloads {
    dir: Option<PathBuf>,
}

/// The payload files the tour reads from a `--payloads` folder, by subtype folder.
const PAYLOAD_FILES: [(&str, &str); 8] = [
    ("organisation", "organisation_1.json"),
    ("person", "person_1.json"),
    ("model", "model_1.json"),
    ("dataset_template", "dataset_template_1.json"),
    ("dataset_template", "dataset_template_2.json"),
    (
        "model_run_workflow_template",
        "model_run_workflow_template_1.json",
    ),
    ("dataset", "collection_format_1.json"),
    ("dataset", "collection_format_basic_1.json"),
];

/// The model run record, checked apart because it is the last payload the tour reads.
const MODEL_RUN_FILE: (&str, &str) = ("model_run", "model_run_record_1.json");

impl Payloads {
    fn new(dir: Option<&Path>) -> Self {
        Self {
            dir: dir.map(Path::to_path_buf),
        }
    }

    /// Checks, before anything starts, that the payload folder has every file the tour
    /// reads and that each is JSON.
    fn check(&self) -> Result<(), Failure> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let layout_hint = "--payloads takes a folder with one sub-folder per item subtype, such as organisation/organisation_1.json";
        if !dir.is_dir() {
            return Err(Failure::usage(format!(
                "payload folder {} is not a folder",
                dir.display()
            ))
            .hint(layout_hint));
        }
        let mut problems = Vec::new();
        for (subtype, file) in PAYLOAD_FILES.iter().chain(std::iter::once(&MODEL_RUN_FILE)) {
            let path = dir.join(subtype).join(file);
            match std::fs::read_to_string(&path) {
                Err(err) => problems.push(format!("{}: {err}", path.display())),
                Ok(text) => {
                    if let Err(err) = serde_json::from_str::<Value>(&text) {
                        problems.push(format!("{}: not JSON ({err})", path.display()));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Failure::usage(format!(
                "the payload folder is incomplete: {}",
                problems.join("; ")
            ))
            .hint(layout_hint))
        }
    }

    /// Returns the body from `<dir>/<subtype>/<file>` (or `fallback` without a folder),
    /// after `patch` has put the tour's ids into it, as `T`.
    fn typed<T: DeserializeOwned>(
        &self,
        subtype: &str,
        file: &str,
        fallback: Value,
        patch: impl FnOnce(&mut Value),
    ) -> Result<T, Failure> {
        let (mut body, source) = match &self.dir {
            Some(dir) => {
                let path = dir.join(subtype).join(file);
                let text = std::fs::read_to_string(&path).map_err(|err| {
                    Failure::usage(format!("failed to read payload {}: {err}", path.display()))
                        .hint("--payloads takes a folder with one sub-folder per item subtype, such as organisation/organisation_1.json")
                })?;
                let body: Value = serde_json::from_str(&text).map_err(|err| {
                    Failure::usage(format!("payload {} is not JSON: {err}", path.display()))
                })?;
                (body, path.display().to_string())
            }
            None => (fallback, format!("built-in {subtype} payload")),
        };
        patch(&mut body);
        serde_path_to_error::deserialize(body).map_err(|err| {
            Failure::usage(format!(
                "{source} does not match the {subtype} request type at `{}`: {}",
                err.path(),
                err.inner()
            ))
        })
    }
}

/// Sets the string at `path` below `body`, creating objects on the way.
fn set(body: &mut Value, path: &[&str], value: &str) {
    let mut current = body;
    for key in path {
        if !current.is_object() {
            *current = Value::Object(serde_json::Map::new());
        }
        let Value::Object(map) = current else {
            return;
        };
        current = map.entry((*key).to_owned()).or_insert(Value::Null);
    }
    *current = Value::String(value.to_owned());
}

/// Returns the entries of the array `key` of `body`, or nothing.
fn array<'a>(body: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    body.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// Returns the keys of a dataset template's deferred resources, which every model run
/// that uses the template must map to a path.
fn deferred_keys(template: &Value) -> Vec<String> {
    template
        .get("deferred_resources")
        .and_then(Value::as_array)
        .map(|resources| {
            resources
                .iter()
                .filter_map(|resource| resource.get("key").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Maps each deferred resource key that a dataset entry of a model run lacks to a path.
fn fill_resources(entry: &mut Value, keys: &[String]) {
    for key in keys {
        if entry.pointer(&format!("/resources/{key}")).is_none() {
            set(
                entry,
                &["resources", key.as_str()],
                &format!("forcing/{key}.csv"),
            );
        }
    }
}

fn expect(condition: bool, message: String) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(Failure::new(LOCAL, message))
    }
}

fn first_long_word(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .find(|word| word.len() > 3)
        .unwrap_or(text)
        .to_lowercase()
}

fn transfer(error: &provena::datastore::files::TransferError) -> Failure {
    Failure::new(crate::exit::SERVER, provena::http::display_chain(error))
}

fn wait_failure(error: provena::jobs::WaitError) -> Failure {
    match error {
        provena::jobs::WaitError::Request(error) => error.into(),
        other => Failure::new(crate::exit::SERVER, provena::http::display_chain(&other)),
    }
}

/// Returns the sample files uploaded into the datasets, by relative path.
fn sample_files() -> [(&'static str, &'static str); 3] {
    [
        (
            "README.md",
            "# Reef temperature observations\n\nDaily sea surface temperature at three sites.\n",
        ),
        (
            "forcing/sst_daily.csv",
            "date,site,sst_c\n2024-01-01,heron,27.4\n2024-01-01,lizard,28.9\n2024-01-02,heron,27.6\n",
        ),
        (
            "forcing/sites.csv",
            "site,lat,lon\nheron,-23.44,151.91\nlizard,-14.67,145.46\n",
        ),
    ]
}

fn write_sample_files(dir: &Path) -> Result<usize, Failure> {
    let files = sample_files();
    for (relative, contents) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents)?;
    }
    Ok(files.len())
}

/// The built-in request bodies, written for the tour.
mod built_in {
    use serde_json::{Value, json};

    pub fn organisation() -> Value {
        json!({
            "display_name": "Reef Futures Institute",
            "name": "Reef Futures Institute",
            "ror": "https://example.org/ror/reef-futures"
        })
    }

    pub fn person() -> Value {
        json!({
            "display_name": "Morgan Reyes",
            "email": "morgan.reyes@example.org",
            "first_name": "Morgan",
            "last_name": "Reyes",
            "orcid": "https://example.org/orcid/0000-0002-1825-0097",
            "ethics_approved": true
        })
    }

    pub fn model() -> Value {
        json!({
            "display_name": "Coral bleaching risk model",
            "name": "Coral bleaching risk model",
            "description": "Estimates bleaching risk from accumulated heat stress.",
            "documentation_url": "https://example.org/models/bleaching-risk",
            "source_url": "https://example.org/models/bleaching-risk/source"
        })
    }

    pub fn dataset_template(name: &str, path: &str) -> Value {
        json!({
            "display_name": name,
            "description": format!("Files of the {name} dataset"),
            "defined_resources": [
                {"path": path, "description": "Daily series", "usage_type": "GENERAL_DATA"}
            ],
            "deferred_resources": []
        })
    }

    pub fn workflow_template() -> Value {
        json!({
            "display_name": "Bleaching risk workflow",
            "software_id": "",
            "input_templates": [{"template_id": "", "optional": false}],
            "output_templates": [{"template_id": ""}],
            "annotations": {"required": ["scenario"], "optional": ["notes"]}
        })
    }

    pub fn dataset(name: &str) -> Value {
        json!({
            "associations": {"organisation_id": ""},
            "approvals": {
                "ethics_registration": {"relevant": false, "obtained": false},
                "ethics_access": {"relevant": false, "obtained": false},
                "indigenous_knowledge": {"relevant": false, "obtained": false},
                "export_controls": {"relevant": false, "obtained": false}
            },
            "dataset_info": {
                "name": name,
                "description": format!("{name}, prepared for the bleaching risk workflow"),
                "access_info": {"reposited": true},
                "publisher_id": "",
                "created_date": {"relevant": true, "value": "2024-03-01"},
                "published_date": {"relevant": true, "value": "2024-03-02"},
                "license": "https://example.org/licenses/by/4.0/",
                "keywords": ["coral", "temperature"]
            }
        })
    }

    pub fn model_run() -> Value {
        json!({
            "workflow_template_id": "",
            "model_version": "2.1",
            "inputs": [{"dataset_template_id": "", "dataset_id": "", "dataset_type": "DATA_STORE", "resources": {}}],
            "outputs": [{"dataset_template_id": "", "dataset_id": "", "dataset_type": "DATA_STORE", "resources": {}}],
            "annotations": {"scenario": "SSP2-4.5"},
            "display_name": "Bleaching risk run, summer 2024",
            "description": "Risk forecast from the 2024 temperature observations",
            "associations": {"modeller_id": ""},
            "start_time": 1709251200,
            "end_time": 1709254800
        })
    }
}
