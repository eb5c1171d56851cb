//! The built-in users of the double and the realm roles their tokens carry.
//!
//! The role names are those of Provena's Keycloak realm. The registry, datastore and prov
//! services check the `entity-registry-*` roles, the jobs service `job-service-*`, the
//! id-service `handle-*`, and the auth API's administrative routes `sys-admin-*`.

/// The administrator: every read, write and admin role of every component.
pub const ADMIN: &str = "admin";
/// A writer: the read and write roles of the registry, jobs and handle components.
pub const WRITER: &str = "writer";
/// A reader: the read roles of the registry, jobs and handle components only.
pub const READER: &str = "reader";

/// Realm role names, as Provena's services check them.
pub mod roles {
    /// Read access to the registry, and through it to the datastore and prov services.
    pub const ENTITY_REGISTRY_READ: &str = "entity-registry-read";
    /// Write access to the registry, datastore and prov services.
    pub const ENTITY_REGISTRY_WRITE: &str = "entity-registry-write";
    /// Administrative access to the registry, datastore and prov services.
    pub const ENTITY_REGISTRY_ADMIN: &str = "entity-registry-admin";
    /// Read access to the jobs service.
    pub const JOB_SERVICE_READ: &str = "job-service-read";
    /// Write access to the jobs service.
    pub const JOB_SERVICE_WRITE: &str = "job-service-write";
    /// Administrative access to the jobs service.
    pub const JOB_SERVICE_ADMIN: &str = "job-service-admin";
    /// Read access to the handle (id) service.
    pub const HANDLE_READ: &str = "handle-read";
    /// Write access to the handle (id) service.
    pub const HANDLE_WRITE: &str = "handle-write";
    /// Administrative access to the handle (id) service.
    pub const HANDLE_ADMIN: &str = "handle-admin";
    /// Read access to system administration, such as the auth API's admin routes.
    pub const SYS_ADMIN_READ: &str = "sys-admin-read";
    /// Write access to system administration.
    pub const SYS_ADMIN_WRITE: &str = "sys-admin-write";
    /// Full system administration.
    pub const SYS_ADMIN_ADMIN: &str = "sys-admin-admin";
    /// The role Provena gives the datastore's service account when it calls the registry.
    pub const DATA_STORE_API: &str = "data-store-api";
    /// Keycloak's role that permits offline tokens.
    pub const OFFLINE_ACCESS: &str = "offline_access";
}

use roles::*;

const READ_ROLES: &[&str] = &[
    ENTITY_REGISTRY_READ,
    JOB_SERVICE_READ,
    HANDLE_READ,
    OFFLINE_ACCESS,
];

const WRITE_ROLES: &[&str] = &[
    ENTITY_REGISTRY_READ,
    ENTITY_REGISTRY_WRITE,
    JOB_SERVICE_READ,
    JOB_SERVICE_WRITE,
    HANDLE_READ,
    HANDLE_WRITE,
    OFFLINE_ACCESS,
];

const ADMIN_ROLES: &[&str] = &[
    ENTITY_REGISTRY_READ,
    ENTITY_REGISTRY_WRITE,
    ENTITY_REGISTRY_ADMIN,
    JOB_SERVICE_READ,
    JOB_SERVICE_WRITE,
    JOB_SERVICE_ADMIN,
    HANDLE_READ,
    HANDLE_WRITE,
    HANDLE_ADMIN,
    SYS_ADMIN_READ,
    SYS_ADMIN_WRITE,
    SYS_ADMIN_ADMIN,
    OFFLINE_ACCESS,
];

/// The roles of the confidential service-account client.
pub(crate) const SERVICE_ACCOUNT_ROLES: &[&str] = &[
    ENTITY_REGISTRY_READ,
    ENTITY_REGISTRY_WRITE,
    JOB_SERVICE_READ,
    JOB_SERVICE_WRITE,
    HANDLE_READ,
    HANDLE_WRITE,
    DATA_STORE_API,
];

/// A user the issuer can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuiltInUser {
    pub(crate) username: &'static str,
    pub(crate) email: &'static str,
    pub(crate) name: &'static str,
    /// The stable `sub` claim, as Keycloak gives each user a UUID.
    pub(crate) subject: &'static str,
    pub(crate) roles: &'static [&'static str],
}

pub(crate) const BUILT_IN: &[BuiltInUser] = &[
    BuiltInUser {
        username: ADMIN,
        email: "admin@example.org",
        name: "Ada Admin",
        subject: "6f1e2d3c-0a01-4b5c-9d7e-000000000001",
        roles: ADMIN_ROLES,
    },
    BuiltInUser {
        username: WRITER,
        email: "writer@example.org",
        name: "Wren Writer",
        subject: "6f1e2d3c-0a01-4b5c-9d7e-000000000002",
        roles: WRITE_ROLES,
    },
    BuiltInUser {
        username: READER,
        email: "reader@example.org",
        name: "Reid Reader",
        subject: "6f1e2d3c-0a01-4b5c-9d7e-000000000003",
        roles: READ_ROLES,
    },
];

/// Finds a built-in user by username.
pub(crate) fn find(username: &str) -> Option<&'static BuiltInUser> {
    BUILT_IN.iter().find(|user| user.username == username)
}
