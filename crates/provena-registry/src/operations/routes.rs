//! The operation constants of the ten item subtypes, and the traits that tie each subtype
//! marker of [`provena_models::kinds`] to them.
//!
//! Every subtype serves the same fifteen routes below its prefix (fetch, list, schema, locks,
//! access settings, ...). Only some serve create, seed, update, revert and version, directly
//! or through the service-account `proxy` routes. One macro declares each family, so the ten
//! subtype modules differ only in their prefix, operation-id suffix and extra routes.

use provena_http::Operation;
use provena_models::kinds;

/// The fifteen operations every item subtype serves.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SubtypeOperations {
    /// `GET {prefix}/fetch`.
    pub fetch: &'static Operation,
    /// `GET {prefix}/proxy/fetch` (hidden, service accounts only).
    pub proxy_fetch: &'static Operation,
    /// `POST {prefix}/list`.
    pub list: &'static Operation,
    /// `GET {prefix}/schema`.
    pub schema: &'static Operation,
    /// `GET {prefix}/ui_schema`.
    pub ui_schema: &'static Operation,
    /// `POST {prefix}/validate`.
    pub validate: &'static Operation,
    /// `GET {prefix}/auth/evaluate`.
    pub auth_evaluate: &'static Operation,
    /// `GET {prefix}/auth/configuration`.
    pub auth_configuration_get: &'static Operation,
    /// `PUT {prefix}/auth/configuration`.
    pub auth_configuration_put: &'static Operation,
    /// `GET {prefix}/auth/roles`.
    pub auth_roles: &'static Operation,
    /// `PUT {prefix}/locks/lock`.
    pub lock: &'static Operation,
    /// `PUT {prefix}/locks/unlock`.
    pub unlock: &'static Operation,
    /// `GET {prefix}/locks/history`.
    pub lock_history: &'static Operation,
    /// `GET {prefix}/locks/locked`.
    pub lock_status: &'static Operation,
    /// `DELETE {prefix}/delete` (hidden, admin only).
    pub delete: &'static Operation,
}

/// Ties an item subtype to the operations every subtype serves.
pub trait SubtypeRoutes: kinds::ItemKind {
    /// The subtype's common operations.
    const OPERATIONS: SubtypeOperations;
    /// Every operation of the subtype, the optional ones included.
    const ALL: &'static [&'static Operation];
}

/// A subtype whose owner creates items through `POST {prefix}/create`.
pub trait CreateRoute: kinds::Creatable + SubtypeRoutes {
    /// The create operation.
    const CREATE: &'static Operation;
}

/// A subtype that reserves ids through `POST {prefix}/seed`.
pub trait SeedRoute: kinds::Seedable + SubtypeRoutes {
    /// The seed operation.
    const SEED: &'static Operation;
}

/// A subtype whose items are replaced through `PUT {prefix}/update`.
pub trait UpdateRoute: kinds::Updatable + SubtypeRoutes {
    /// The update operation.
    const UPDATE: &'static Operation;
}

/// A subtype whose items are reverted to a history entry through `PUT {prefix}/revert`.
pub trait RevertRoute: kinds::Revertible + SubtypeRoutes {
    /// The revert operation.
    const REVERT: &'static Operation;
}

/// A subtype whose items get new versions through `POST {prefix}/version`.
pub trait VersionRoute: kinds::Versionable + SubtypeRoutes {
    /// The version operation.
    const VERSION: &'static Operation;
}

/// A subtype that a service account (the datastore's or the prov store's) creates on behalf
/// of users through `POST {prefix}/proxy/create`.
pub trait ProxyCreateRoute: kinds::Creatable + SubtypeRoutes {
    /// The proxy create operation.
    const PROXY_CREATE: &'static Operation;
}

/// A subtype that a service account seeds through `POST {prefix}/proxy/seed`.
pub trait ProxySeedRoute: kinds::Seedable + SubtypeRoutes {
    /// The proxy seed operation.
    const PROXY_SEED: &'static Operation;
}

/// A subtype that a service account updates through `PUT {prefix}/proxy/update`.
pub trait ProxyUpdateRoute: kinds::Updatable + SubtypeRoutes {
    /// The proxy update operation.
    const PROXY_UPDATE: &'static Operation;
}

/// A subtype that a service account reverts through `PUT {prefix}/proxy/revert`.
pub trait ProxyRevertRoute: kinds::Revertible + SubtypeRoutes {
    /// The proxy revert operation.
    const PROXY_REVERT: &'static Operation;
}

/// A subtype that a service account versions through `POST {prefix}/proxy/version`.
pub trait ProxyVersionRoute: kinds::Versionable + SubtypeRoutes {
    /// The proxy version operation.
    const PROXY_VERSION: &'static Operation;
}

/// Declares one subtype module: the fifteen common operations, the listed extra ones, the
/// module's `ALL`, and the route trait impls for the subtype marker.
macro_rules! subtype {
    (
        $(#[$doc:meta])*
        $module:ident, $kind:ty, $suffix:literal, $prefix:literal, [$($extra:ident),*]
    ) => {
        $(#[$doc])*
        pub mod $module {
            use provena_http::{Operation, Service};
            use provena_models::kinds;

            /// Fetches one item by id.
            pub const FETCH: Operation = Operation::get(
                Service::Registry, concat!("fetch_", $suffix), concat!($prefix, "/fetch"));
            /// Fetches one item on behalf of a user (hidden, service accounts only).
            pub const PROXY_FETCH: Operation = Operation::get(
                Service::Registry, concat!("proxy_fetch_", $suffix), concat!($prefix, "/proxy/fetch"));
            /// Lists one page of items.
            pub const LIST: Operation = Operation::post_safe(
                Service::Registry, concat!("list_", $suffix), concat!($prefix, "/list"));
            /// Returns the JSON schema of the domain info.
            pub const SCHEMA: Operation = Operation::get(
                Service::Registry, concat!("schema_", $suffix), concat!($prefix, "/schema"));
            /// Returns the form layout (UI schema) of the domain info.
            pub const UI_SCHEMA: Operation = Operation::get(
                Service::Registry, concat!("ui_schema_", $suffix), concat!($prefix, "/ui_schema"));
            /// Validates a domain info without storing it.
            pub const VALIDATE: Operation = Operation::post_safe(
                Service::Registry, concat!("validate_", $suffix), concat!($prefix, "/validate"));
            /// Returns the caller's roles on one item.
            pub const AUTH_EVALUATE: Operation = Operation::get(
                Service::Registry, concat!("auth_evaluate_", $suffix), concat!($prefix, "/auth/evaluate"));
            /// Returns one item's access settings.
            pub const AUTH_CONFIGURATION_GET: Operation = Operation::get(
                Service::Registry,
                concat!("auth_configuration_get_", $suffix),
                concat!($prefix, "/auth/configuration"));
            /// Replaces one item's access settings.
            pub const AUTH_CONFIGURATION_PUT: Operation = Operation::put(
                Service::Registry,
                concat!("auth_configuration_put_", $suffix),
                concat!($prefix, "/auth/configuration"));
            /// Describes the roles an item's access settings may grant.
            pub const AUTH_ROLES: Operation = Operation::get(
                Service::Registry, concat!("auth_roles_", $suffix), concat!($prefix, "/auth/roles"));
            /// Locks an item against edits.
            pub const LOCK: Operation = Operation::put(
                Service::Registry, concat!("lock_lock", $suffix), concat!($prefix, "/locks/lock"));
            /// Unlocks an item.
            pub const UNLOCK: Operation = Operation::put(
                Service::Registry, concat!("lock_unlock", $suffix), concat!($prefix, "/locks/unlock"));
            /// Returns an item's lock and unlock events.
            pub const LOCK_HISTORY: Operation = Operation::get(
                Service::Registry, concat!("lock_history", $suffix), concat!($prefix, "/locks/history"));
            /// Reports whether an item is locked.
            pub const LOCK_STATUS: Operation = Operation::get(
                Service::Registry, concat!("lock_locked", $suffix), concat!($prefix, "/locks/locked"));
            /// Deletes an item (hidden, admin only).
            pub const DELETE: Operation = Operation::delete(
                Service::Registry, concat!("delete_", $suffix), concat!($prefix, "/delete"));

            $( subtype!(@extra $extra, $kind, $suffix, $prefix); )*

            /// Every operation of this subtype.
            pub const ALL: &[&Operation] = &[
                &FETCH, &PROXY_FETCH, &LIST, &SCHEMA, &UI_SCHEMA, &VALIDATE, &AUTH_EVALUATE,
                &AUTH_CONFIGURATION_GET, &AUTH_CONFIGURATION_PUT, &AUTH_ROLES, &LOCK, &UNLOCK,
                &LOCK_HISTORY, &LOCK_STATUS, &DELETE, $(&$extra),*
            ];

            impl super::SubtypeRoutes for $kind {
                const OPERATIONS: super::SubtypeOperations = super::SubtypeOperations {
                    fetch: &FETCH,
                    proxy_fetch: &PROXY_FETCH,
                    list: &LIST,
                    schema: &SCHEMA,
                    ui_schema: &UI_SCHEMA,
                    validate: &VALIDATE,
                    auth_evaluate: &AUTH_EVALUATE,
                    auth_configuration_get: &AUTH_CONFIGURATION_GET,
                    auth_configuration_put: &AUTH_CONFIGURATION_PUT,
                    auth_roles: &AUTH_ROLES,
                    lock: &LOCK,
                    unlock: &UNLOCK,
                    lock_history: &LOCK_HISTORY,
                    lock_status: &LOCK_STATUS,
                    delete: &DELETE,
                };
                const ALL: &'static [&'static Operation] = ALL;
            }
        }
    };

    (@extra CREATE, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Creates an item owned by the caller.
        pub const CREATE: Operation = Operation::post(
            Service::Registry, concat!("create_", $suffix), concat!($prefix, "/create"));
        impl super::CreateRoute for $kind {
            const CREATE: &'static Operation = &CREATE;
        }
    };
    (@extra SEED, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Reserves an id for an item whose domain info comes later.
        pub const SEED: Operation = Operation::post(
            Service::Registry, concat!("seed_", $suffix), concat!($prefix, "/seed"));
        impl super::SeedRoute for $kind {
            const SEED: &'static Operation = &SEED;
        }
    };
    (@extra UPDATE, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Replaces an item's domain info, recording a history entry with the reason.
        pub const UPDATE: Operation = Operation::put(
            Service::Registry, concat!("update_", $suffix), concat!($prefix, "/update"));
        impl super::UpdateRoute for $kind {
            const UPDATE: &'static Operation = &UPDATE;
        }
    };
    (@extra REVERT, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Restores an item's domain info from a history entry.
        pub const REVERT: Operation = Operation::put(
            Service::Registry, concat!("revert_", $suffix), concat!($prefix, "/revert"));
        impl super::RevertRoute for $kind {
            const REVERT: &'static Operation = &REVERT;
        }
    };
    (@extra VERSION, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Creates a new version of an item under a new id.
        pub const VERSION: Operation = Operation::post(
            Service::Registry, concat!("version_", $suffix), concat!($prefix, "/version"));
        impl super::VersionRoute for $kind {
            const VERSION: &'static Operation = &VERSION;
        }
    };
    (@extra PROXY_CREATE, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Creates an item on behalf of a user (hidden, service accounts only).
        pub const PROXY_CREATE: Operation = Operation::post(
            Service::Registry, concat!("proxy_create_", $suffix), concat!($prefix, "/proxy/create"));
        impl super::ProxyCreateRoute for $kind {
            const PROXY_CREATE: &'static Operation = &PROXY_CREATE;
        }
    };
    (@extra PROXY_SEED, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Seeds an item on behalf of a user (hidden, service accounts only).
        pub const PROXY_SEED: Operation = Operation::post(
            Service::Registry, concat!("proxy_seed_", $suffix), concat!($prefix, "/proxy/seed"));
        impl super::ProxySeedRoute for $kind {
            const PROXY_SEED: &'static Operation = &PROXY_SEED;
        }
    };
    (@extra PROXY_UPDATE, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Updates an item on behalf of a user (hidden, service accounts only).
        pub const PROXY_UPDATE: Operation = Operation::put(
            Service::Registry, concat!("proxy_update_", $suffix), concat!($prefix, "/proxy/update"));
        impl super::ProxyUpdateRoute for $kind {
            const PROXY_UPDATE: &'static Operation = &PROXY_UPDATE;
        }
    };
    (@extra PROXY_REVERT, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Reverts an item on behalf of a user (hidden, service accounts only).
        pub const PROXY_REVERT: Operation = Operation::put(
            Service::Registry, concat!("proxy_revert_", $suffix), concat!($prefix, "/proxy/revert"));
        impl super::ProxyRevertRoute for $kind {
            const PROXY_REVERT: &'static Operation = &PROXY_REVERT;
        }
    };
    (@extra LIST_RELEASING, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Lists the datasets whose release the caller reviews.
        pub const LIST_RELEASING: Operation = Operation::post_safe(
            Service::Registry, "list_releasing_datasets", concat!($prefix, "/user/releases"));
    };
    (@extra PROXY_VERSION, $kind:ty, $suffix:literal, $prefix:literal) => {
        /// Versions an item on behalf of a user (hidden, service accounts only).
        pub const PROXY_VERSION: Operation = Operation::post(
            Service::Registry, concat!("proxy_version_", $suffix), concat!($prefix, "/proxy/version"));
        impl super::ProxyVersionRoute for $kind {
            const PROXY_VERSION: &'static Operation = &PROXY_VERSION;
        }
    };
}

subtype!(
    /// Organisations (agents): `/registry/agent/organisation`.
    organisation, kinds::Organisation, "agent_organisation", "/registry/agent/organisation",
    [CREATE, SEED, UPDATE, REVERT]
);
subtype!(
    /// People (agents): `/registry/agent/person`.
    person, kinds::Person, "agent_person", "/registry/agent/person",
    [CREATE, SEED, UPDATE, REVERT]
);
subtype!(
    /// Models (entities): `/registry/entity/model`.
    model, kinds::Model, "entity_model", "/registry/entity/model",
    [CREATE, SEED, UPDATE, REVERT, VERSION]
);
subtype!(
    /// Model run workflow templates (entities): `/registry/entity/model_run_workflow`.
    model_run_workflow_template, kinds::ModelRunWorkflowTemplate,
    "entity_model_run_workflow_template", "/registry/entity/model_run_workflow",
    [CREATE, SEED, UPDATE, REVERT, VERSION]
);
subtype!(
    /// Dataset templates (entities): `/registry/entity/dataset_template`.
    dataset_template, kinds::DatasetTemplate, "entity_dataset_template",
    "/registry/entity/dataset_template",
    [CREATE, SEED, UPDATE, REVERT, VERSION]
);
subtype!(
    /// Datasets (entities): `/registry/entity/dataset`. Users create and update datasets
    /// through the datastore, which calls the proxy routes.
    dataset, kinds::Dataset, "entity_dataset", "/registry/entity/dataset",
    [PROXY_CREATE, PROXY_SEED, PROXY_UPDATE, PROXY_REVERT, PROXY_VERSION, LIST_RELEASING]
);
subtype!(
    /// Model runs (activities): `/registry/activity/model_run`. Users register model runs
    /// through the prov store, which calls the proxy routes.
    model_run, kinds::ModelRun, "activity_model_run", "/registry/activity/model_run",
    [PROXY_CREATE, PROXY_SEED, PROXY_UPDATE, PROXY_REVERT]
);
subtype!(
    /// Studies (activities): `/registry/activity/study`.
    study, kinds::Study, "activity_study", "/registry/activity/study",
    [CREATE, SEED, UPDATE, REVERT]
);
subtype!(
    /// Create activities, recorded by the registry when an item is created:
    /// `/registry/activity/create`.
    create_activity, kinds::CreateActivity, "activity_create", "/registry/activity/create",
    []
);
subtype!(
    /// Version activities, recorded by the registry when an item is versioned:
    /// `/registry/activity/version`.
    version_activity, kinds::VersionActivity, "activity_version", "/registry/activity/version",
    []
);
