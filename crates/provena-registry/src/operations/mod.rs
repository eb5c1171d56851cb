//! Every operation of the registry API as an [`Operation`] constant, and one function per
//! operation that builds the request and decodes the response.
//!
//! The ten item subtypes each have a module ([`model`], [`dataset`], ...) whose constants
//! share names (`FETCH`, `LIST`, `CREATE`, ...). The functions of the [`item`] module are
//! generic over the subtype marker of [`provena_models::kinds`] and find the subtype's
//! operation through the route traits ([`SubtypeRoutes`], [`CreateRoute`], ...), so a
//! subtype without a route has no function for it. [`ALL`] lists every operation, hidden
//! ones included.
//!
//! These functions return the service's response types as they are. Most check Provena's
//! `status.success` flag and turn `false` into [`Error::Unsuccessful`]; the ones whose
//! callers need to read an unsuccessful response (fetch, list, validate) say so.

mod general;
pub mod item;
mod routes;

pub use general::*;
pub use routes::{
    CreateRoute, ProxyCreateRoute, ProxyRevertRoute, ProxySeedRoute, ProxyUpdateRoute,
    ProxyVersionRoute, RevertRoute, SeedRoute, SubtypeOperations, SubtypeRoutes, UpdateRoute,
    VersionRoute, create_activity, dataset, dataset_template, model, model_run,
    model_run_workflow_template, organisation, person, study, version_activity,
};

use provena_http::{Error, Operation};

/// The operations outside the item subtype families: admin, check-access, general and the
/// service root.
pub const GENERAL: &[&Operation] = &[
    &ROOT,
    &GENERATE_CONFIG_FILE,
    &ADMIN_EXPORT,
    &ADMIN_IMPORT,
    &ADMIN_RESTORE_PROV_GRAPH,
    &ADMIN_RESTORE,
    &TEST_SENTRY_REPORTING,
    &CHECK_ADMIN_ACCESS,
    &CHECK_GENERAL_ACCESS,
    &CHECK_READ_ACCESS,
    &CHECK_WRITE_ACCESS,
    &VERSION,
    &GENERAL_DELETE,
    &GENERAL_FETCH,
    &GENERAL_LIST,
    &GENERAL_PROXY_FETCH,
];

const GROUPS: [&[&Operation]; 11] = [
    GENERAL,
    organisation::ALL,
    person::ALL,
    model::ALL,
    model_run_workflow_template::ALL,
    dataset_template::ALL,
    dataset::ALL,
    model_run::ALL,
    study::ALL,
    create_activity::ALL,
    version_activity::ALL,
];

const fn total_len(groups: &[&[&Operation]]) -> usize {
    let mut total = 0;
    let mut index = 0;
    while index < groups.len() {
        total += groups[index].len();
        index += 1;
    }
    total
}

const fn flatten<const N: usize>(groups: &[&[&'static Operation]]) -> [&'static Operation; N] {
    let mut out: [&'static Operation; N] = [groups[0][0]; N];
    let mut next = 0;
    let mut group = 0;
    while group < groups.len() {
        let mut index = 0;
        while index < groups[group].len() {
            out[next] = groups[group][index];
            next += 1;
            index += 1;
        }
        group += 1;
    }
    out
}

const ALL_COUNT: usize = total_len(&GROUPS);

/// Every operation of the registry API document, hidden ones included: the general ones
/// first, then each subtype's.
pub const ALL: &[&Operation] = &flatten::<ALL_COUNT>(&GROUPS);

/// Builds the error for a 2xx response whose `status.success` is `false`, for functions that
/// decode such responses themselves.
pub(crate) fn unsuccessful(operation: &Operation, detail: impl Into<String>) -> Error {
    Error::Unsuccessful(Box::new(provena_http::ApiError {
        service: operation.service,
        method: operation.method.clone(),
        path: operation.path.to_owned(),
        status: provena_http::http::StatusCode::OK,
        detail: detail.into(),
        body: bytes::Bytes::new(),
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn all_has_every_operation_once() {
        assert_eq!(ALL.len(), 203);
        let ids: HashSet<&str> = ALL.iter().map(|operation| operation.id).collect();
        assert_eq!(ids.len(), ALL.len(), "operation ids repeat in ALL");
        let routes: HashSet<(String, &str)> = ALL
            .iter()
            .map(|operation| (operation.method.to_string(), operation.path))
            .collect();
        assert_eq!(routes.len(), ALL.len(), "method and path repeat in ALL");
    }

    #[test]
    fn subtype_ids_follow_the_document() {
        assert_eq!(model::LOCK_HISTORY.id, "lock_historyentity_model");
        assert_eq!(
            model::LOCK_HISTORY.path,
            "/registry/entity/model/locks/history"
        );
        assert_eq!(
            model_run_workflow_template::CREATE.id,
            "create_entity_model_run_workflow_template"
        );
        assert_eq!(
            model_run_workflow_template::CREATE.path,
            "/registry/entity/model_run_workflow/create"
        );
        assert_eq!(dataset::LIST_RELEASING.id, "list_releasing_datasets");
        assert_eq!(
            dataset::PROXY_VERSION.path,
            "/registry/entity/dataset/proxy/version"
        );
        assert_eq!(create_activity::ALL.len(), 15);
        assert_eq!(dataset::ALL.len(), 21);
        assert_eq!(model::ALL.len(), 20);
        let list = model::LIST;
        let create = model::CREATE;
        assert!(list.idempotent, "listing only reads, so it may be retried");
        assert!(!create.idempotent, "a retried create could make two items");
    }
}
