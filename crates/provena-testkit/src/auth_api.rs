//! The auth API: access requests and their review, user groups and membership, and
//! user-to-person links, with the role checks of the real service (`sys-admin-read` to
//! view, `sys-admin-write` to change, `sys-admin-admin` to delete, export and import).

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Caller, MaybeCaller};
use crate::id_service::{self, AccessRoles};
use crate::respond::{ApiError, ApiResult, ValidJson, ValidQuery, failed_status, ok_status};
use crate::state::AppState;
use crate::users::roles;

/// The name of the double's groups table, which `restore_from_table` refuses as a source.
const GROUPS_TABLE: &str = "provena-user-groups";
/// How long an access request is kept, in seconds (the `expiry` time-to-live).
const REQUEST_TTL_SECONDS: i64 = 60 * 60 * 24 * 90;

/// An access request, in the field layout of the real service's table.
#[derive(Debug, Clone, Serialize)]
struct AccessRequest {
    username: String,
    request_id: i64,
    expiry: i64,
    email: String,
    created_timestamp: i64,
    updated_timestamp: i64,
    status: RequestStatus,
    ui_friendly_status: String,
    request_diff_contents: String,
    complete_contents: String,
    notes: String,
}

impl AccessRequest {
    fn append_note(&mut self, note: &str) {
        if !self.notes.is_empty() {
            self.notes.push_str(", ");
        }
        self.notes.push_str(note);
    }
}

/// The states of an access request. Administrators may move a request between any two
/// states, as the real service allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum RequestStatus {
    PendingApproval,
    ApprovedPendingAction,
    DeniedPendingDeletion,
    ActionedPendingDeletion,
}

impl RequestStatus {
    fn as_str(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "PENDING_APPROVAL",
            RequestStatus::ApprovedPendingAction => "APPROVED_PENDING_ACTION",
            RequestStatus::DeniedPendingDeletion => "DENIED_PENDING_DELETION",
            RequestStatus::ActionedPendingDeletion => "ACTIONED_PENDING_DELETION",
        }
    }

    /// Returns the explanation shown to the requester.
    fn explanation(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "request received, awaiting action",
            RequestStatus::ApprovedPendingAction => "request approved, action underway",
            RequestStatus::DeniedPendingDeletion => "request denied",
            RequestStatus::ActionedPendingDeletion => "request approved and completed",
        }
    }
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct GroupUser {
    username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
}

/// A group's metadata, as requests send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct GroupMetadata {
    id: String,
    display_name: String,
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_data_store_access: Option<Vec<String>>,
}

/// A group with its members, as the groups table stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Group {
    id: String,
    display_name: String,
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_data_store_access: Option<Vec<String>>,
    users: Vec<GroupUser>,
}

impl Group {
    fn metadata(&self) -> Value {
        json!(GroupMetadata {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            default_data_store_access: self.default_data_store_access.clone(),
        })
    }

    fn has_member(&self, username: &str) -> bool {
        self.users.iter().any(|user| user.username == username)
    }
}

/// Access requests, groups and user links.
#[derive(Debug, Default)]
pub(crate) struct AuthApiStore {
    links: HashMap<String, String>,
    requests: Vec<AccessRequest>,
    last_request_id: i64,
    groups: BTreeMap<String, Group>,
}

impl AuthApiStore {
    /// Returns the id of the Person registry item `username` is linked to.
    pub(crate) fn person_for(&self, username: &str) -> Option<String> {
        self.links.get(username).cloned()
    }

    /// Links `username` to the Person `person_id`, replacing any earlier link.
    pub(crate) fn link(&mut self, username: &str, person_id: &str) {
        self.links.insert(username.to_owned(), person_id.to_owned());
    }

    /// Removes the link of `username`, if any.
    fn unlink(&mut self, username: &str) {
        self.links.remove(username);
    }

    /// Returns the usernames linked to `person_id`, sorted.
    fn usernames_for(&self, person_id: &str) -> Vec<String> {
        let mut usernames: Vec<String> = self
            .links
            .iter()
            .filter(|(_, linked)| linked.as_str() == person_id)
            .map(|(username, _)| username.clone())
            .collect();
        usernames.sort();
        usernames
    }

    fn requests_of(&self, username: Option<&str>, pending_only: bool) -> Vec<AccessRequest> {
        self.requests
            .iter()
            .filter(|request| username.is_none_or(|name| request.username == name))
            .filter(|request| !pending_only || request.status == RequestStatus::PendingApproval)
            .cloned()
            .collect()
    }

    fn request_mut(&mut self, username: &str, request_id: i64) -> Option<&mut AccessRequest> {
        self.requests
            .iter_mut()
            .find(|request| request.username == username && request.request_id == request_id)
    }
}

const AUTH_ROLES: AccessRoles = AccessRoles {
    read: &[roles::SYS_ADMIN_READ],
    write: &[roles::SYS_ADMIN_READ, roles::SYS_ADMIN_WRITE],
    admin: &[
        roles::SYS_ADMIN_READ,
        roles::SYS_ADMIN_WRITE,
        roles::SYS_ADMIN_ADMIN,
    ],
};

/// Builds the auth API's routes.
pub(crate) fn router(state: AppState) -> Router {
    Router::<AppState>::new()
        .route("/", get(|| id_service::root("auth-api")))
        .route(
            "/admin/config",
            get(
                |caller: Caller, query: ValidQuery<id_service::ConfigQuery>| {
                    id_service::config_file(caller, query, AUTH_ROLES, "auth-api")
                },
            ),
        )
        .route(
            "/admin/sentry-debug",
            get(|caller: Caller| id_service::sentry_debug(caller, AUTH_ROLES)),
        )
        .route(
            "/check-access/general",
            get(|caller: Caller, headers: HeaderMap| {
                id_service::check_access(caller, headers, &[])
            }),
        )
        .route("/check-access/public", get(check_public_access))
        // Access requests.
        .route(
            "/access-control/user/generate-access-report",
            get(generate_access_report),
        )
        .route(
            "/access-control/user/request-change",
            post(request_access_change),
        )
        .route(
            "/access-control/user/request-history",
            get(user_request_history),
        )
        .route(
            "/access-control/user/pending-request-history",
            get(user_pending_requests),
        )
        .route(
            "/access-control/admin/all-request-history",
            get(all_request_history),
        )
        .route(
            "/access-control/admin/all-pending-request-history",
            get(all_pending_request_history),
        )
        .route(
            "/access-control/admin/user-request-history",
            get(admin_user_request_history),
        )
        .route(
            "/access-control/admin/user-pending-request-history",
            get(admin_user_pending_requests),
        )
        .route("/access-control/admin/add-note", post(add_note))
        .route(
            "/access-control/admin/change-request-state",
            post(change_request_state),
        )
        .route("/access-control/admin/delete-request", post(delete_request))
        // Groups.
        .route("/groups/user/list_groups", get(user_list_groups))
        .route("/groups/user/describe_group", get(user_describe_group))
        .route("/groups/user/list_members", get(user_list_members))
        .route(
            "/groups/user/list_user_membership",
            get(user_list_user_groups),
        )
        .route("/groups/user/check_membership", get(user_check_membership))
        .route("/groups/admin/list_groups", get(admin_list_groups))
        .route("/groups/admin/describe_group", get(admin_describe_group))
        .route("/groups/admin/list_members", get(admin_list_members))
        .route(
            "/groups/admin/list_user_membership",
            get(admin_list_user_groups),
        )
        .route(
            "/groups/admin/check_membership",
            get(admin_check_membership),
        )
        .route("/groups/admin/add_member", post(admin_add_member))
        .route("/groups/admin/remove_member", delete(admin_remove_member))
        .route("/groups/admin/remove_members", post(admin_remove_members))
        .route("/groups/admin/add_group", post(admin_add_group))
        .route("/groups/admin/update_group", put(admin_update_group))
        .route("/groups/admin/remove_group", delete(admin_remove_group))
        .route("/groups/admin/export", get(groups_export))
        .route("/groups/admin/import", post(groups_import))
        .route("/groups/admin/restore_from_table", post(groups_restore))
        // User-to-person links.
        .route("/link/user/lookup", get(user_link_lookup))
        .route("/link/user/assign", post(user_link_assign))
        .route("/link/user/validate", post(user_link_validate))
        .route("/link/admin/lookup", get(admin_link_lookup))
        .route("/link/admin/reverse_lookup", get(admin_link_reverse_lookup))
        .route("/link/admin/assign", post(admin_link_assign))
        .route("/link/admin/clear", delete(admin_link_clear))
        .with_state(state)
}

async fn check_public_access(MaybeCaller(_caller): MaybeCaller) -> Json<Value> {
    Json(json!({ "success": true, "details": "Public access is available." }))
}

// Access reports and requests.

/// One role of the authorisation model: component, role name, display name, level and
/// description.
struct ModelRole {
    component: &'static str,
    name: &'static str,
    display_name: &'static str,
    level: &'static str,
    description: &'static str,
    general: bool,
}

/// Provena's authorisation model: each component's read, write and admin roles.
const AUTHORISATION_MODEL: &[ModelRole] = &[
    ModelRole {
        component: "handle-service",
        name: roles::HANDLE_READ,
        display_name: "Handle service read",
        level: "READ",
        description: "View and list handles.",
        general: false,
    },
    ModelRole {
        component: "handle-service",
        name: roles::HANDLE_WRITE,
        display_name: "Handle service write",
        level: "WRITE",
        description: "Mint handles and change their values.",
        general: false,
    },
    ModelRole {
        component: "handle-service",
        name: roles::HANDLE_ADMIN,
        display_name: "Handle service admin",
        level: "ADMIN",
        description: "Every handle service function.",
        general: false,
    },
    ModelRole {
        component: "sys-admin",
        name: roles::SYS_ADMIN_READ,
        display_name: "System admin read",
        level: "READ",
        description: "View access requests, groups and user links.",
        general: false,
    },
    ModelRole {
        component: "sys-admin",
        name: roles::SYS_ADMIN_WRITE,
        display_name: "System admin write",
        level: "WRITE",
        description: "Review access requests and manage groups and user links.",
        general: false,
    },
    ModelRole {
        component: "sys-admin",
        name: roles::SYS_ADMIN_ADMIN,
        display_name: "System admin full",
        level: "ADMIN",
        description: "Delete access requests and groups, export and import groups.",
        general: false,
    },
    ModelRole {
        component: "entity-registry",
        name: roles::ENTITY_REGISTRY_READ,
        display_name: "Entity registry read",
        level: "READ",
        description: "View and list registry items.",
        general: true,
    },
    ModelRole {
        component: "entity-registry",
        name: roles::ENTITY_REGISTRY_WRITE,
        display_name: "Entity registry write",
        level: "WRITE",
        description: "Create and update registry items.",
        general: true,
    },
    ModelRole {
        component: "entity-registry",
        name: roles::ENTITY_REGISTRY_ADMIN,
        display_name: "Entity registry admin",
        level: "ADMIN",
        description: "Every action on every registry item.",
        general: false,
    },
    ModelRole {
        component: "job-service",
        name: roles::JOB_SERVICE_READ,
        display_name: "Job service read",
        level: "READ",
        description: "View every user's jobs.",
        general: false,
    },
    ModelRole {
        component: "job-service",
        name: roles::JOB_SERVICE_WRITE,
        display_name: "Job service write",
        level: "WRITE",
        description: "Lodge and change jobs.",
        general: false,
    },
    ModelRole {
        component: "job-service",
        name: roles::JOB_SERVICE_ADMIN,
        display_name: "Job service admin",
        level: "ADMIN",
        description: "Manage every job.",
        general: false,
    },
];

/// Builds the access report of a caller holding `held`: every component's roles, each
/// marked granted or not.
fn access_report(held: &[String]) -> Value {
    let mut components: Vec<(&str, Vec<Value>)> = Vec::new();
    for role in AUTHORISATION_MODEL {
        let intended = if role.general {
            json!(["GENERAL", "ADMINISTRATOR"])
        } else {
            json!(["ADMINISTRATOR"])
        };
        let entry = json!({
            "role_name": role.name,
            "role_display_name": role.display_name,
            "role_level": role.level,
            "description": role.description,
            "intended_users": intended,
            "access_granted": held.iter().any(|name| name == role.name),
        });
        match components
            .iter_mut()
            .find(|(name, _)| *name == role.component)
        {
            Some((_, entries)) => entries.push(entry),
            None => components.push((role.component, vec![entry])),
        }
    }
    let components: Vec<Value> = components
        .into_iter()
        .map(|(name, entries)| json!({ "component_name": name, "component_roles": entries }))
        .collect();
    json!({ "components": components })
}

#[derive(Debug, Deserialize)]
struct ReportBody {
    components: Vec<ReportComponent>,
}

#[derive(Debug, Deserialize)]
struct ReportComponent {
    component_name: ComponentName,
    component_roles: Vec<ReportRole>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
enum ComponentName {
    #[serde(rename = "handle-service")]
    HandleService,
    #[serde(rename = "sys-admin")]
    SysAdmin,
    #[serde(rename = "entity-registry")]
    EntityRegistry,
    #[serde(rename = "job-service")]
    JobService,
}

impl ComponentName {
    fn as_str(self) -> &'static str {
        match self {
            ComponentName::HandleService => "handle-service",
            ComponentName::SysAdmin => "sys-admin",
            ComponentName::EntityRegistry => "entity-registry",
            ComponentName::JobService => "job-service",
        }
    }
}

#[derive(Debug, Deserialize)]
struct ReportRole {
    role_name: String,
    role_display_name: String,
    role_level: String,
    description: String,
    intended_users: Vec<String>,
    access_granted: bool,
}

/// Returns the roles of `desired` whose `access_granted` differs from the caller's, as an
/// access report holding only those roles.
fn report_changes(desired: &ReportBody, held: &[String]) -> Vec<Value> {
    let mut changed = Vec::new();
    for component in &desired.components {
        let roles: Vec<Value> = component
            .component_roles
            .iter()
            .filter(|role| role.access_granted != held.contains(&role.role_name))
            .map(|role| {
                json!({
                    "role_name": role.role_name,
                    "role_display_name": role.role_display_name,
                    "role_level": role.role_level,
                    "description": role.description,
                    "intended_users": role.intended_users,
                    "access_granted": role.access_granted,
                })
            })
            .collect();
        if !roles.is_empty() {
            changed.push(json!({
                "component_name": component.component_name.as_str(),
                "component_roles": roles,
            }));
        }
    }
    changed
}

async fn generate_access_report(caller: Caller) -> Json<Value> {
    Json(json!({
        "status": { "success": true, "details": "Generated access report successfully." },
        "report": access_report(&caller.roles),
    }))
}

#[derive(Debug, Deserialize)]
struct RequestChangeQuery {
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "the double sends no email; the flag is only validated"
    )]
    send_email: Option<bool>,
}

async fn request_access_change(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(_query): ValidQuery<RequestChangeQuery>,
    ValidJson(desired): ValidJson<ReportBody>,
) -> Json<Value> {
    let changes = report_changes(&desired, &caller.roles);
    if changes.is_empty() {
        return failed_status(
            "There were no differences between current access and desired access.",
        );
    }
    let now = state.now();
    let mut store = state.auth_api();
    // NOTE: the real service rejects a new request only while a pending one is younger
    // than a configured number of days. The double rejects it while any request is pending.
    if let Some(pending) = store.requests.iter().find(|request| {
        request.username == caller.username && request.status == RequestStatus::PendingApproval
    }) {
        return failed_status(format!(
            "Failed due to user having unresolved requests, info: request {} is still pending approval.",
            pending.request_id
        ));
    }
    store.last_request_id += 1;
    let request = AccessRequest {
        username: caller.username.clone(),
        request_id: store.last_request_id,
        expiry: now + REQUEST_TTL_SECONDS,
        email: caller.email.clone().unwrap_or_default(),
        created_timestamp: now,
        updated_timestamp: now,
        status: RequestStatus::PendingApproval,
        ui_friendly_status: RequestStatus::PendingApproval.explanation().to_owned(),
        request_diff_contents: json!({ "components": changes }).to_string(),
        complete_contents: access_report(&caller.roles).to_string(),
        notes: String::new(),
    };
    store.requests.push(request);
    ok_status("Successfully requested an update to access. No email sent due to not being PROD.")
}

fn request_list(items: &[AccessRequest]) -> Json<Value> {
    Json(json!({ "items": items }))
}

async fn user_request_history(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    request_list(&state.auth_api().requests_of(Some(&caller.username), false))
}

async fn user_pending_requests(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    request_list(&state.auth_api().requests_of(Some(&caller.username), true))
}

async fn all_request_history(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(request_list(&state.auth_api().requests_of(None, false)))
}

async fn all_pending_request_history(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(request_list(&state.auth_api().requests_of(None, true)))
}

#[derive(Debug, Deserialize)]
struct UsernameQuery {
    username: String,
}

async fn admin_user_request_history(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UsernameQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(request_list(
        &state.auth_api().requests_of(Some(&query.username), false),
    ))
}

async fn admin_user_pending_requests(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UsernameQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(request_list(
        &state.auth_api().requests_of(Some(&query.username), true),
    ))
}

#[derive(Debug, Deserialize)]
struct AddNoteBody {
    note: String,
    username: String,
    request_id: i64,
}

async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<AddNoteBody>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let now = state.now();
    let mut store = state.auth_api();
    let Some(request) = store.request_mut(&body.username, body.request_id) else {
        return Ok(Json(
            json!({ "success": false, "details": "Could not find item in table." }),
        ));
    };
    request.updated_timestamp = now;
    request.append_note(&body.note);
    Ok(Json(json!({ "success": true, "details": "Added note." })))
}

#[derive(Debug, Deserialize)]
struct StateChangeBody {
    username: String,
    request_id: i64,
    desired_state: RequestStatus,
    #[serde(default)]
    additional_note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StateChangeQuery {
    #[serde(default)]
    send_email_alert: Option<bool>,
}

async fn change_request_state(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<StateChangeQuery>,
    ValidJson(body): ValidJson<StateChangeBody>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;

    let now = state.now();
    let mut store = state.auth_api();
    let Some(request) = store.request_mut(&body.username, body.request_id) else {
        let missing = json!({ "success": false, "details": "Could not find item in table." });
        return Ok(Json(
            json!({ "state_change": missing, "email_alert": missing }),
        ));
    };
    if request.status == body.desired_state {
        let same = json!({
            "success": true,
            "details": "Status was already matching - no update applied.",
        });
        return Ok(Json(json!({ "state_change": same, "email_alert": same })));
    }

    request.status = body.desired_state;
    request.ui_friendly_status = body.desired_state.explanation().to_owned();
    request.updated_timestamp = now;
    if let Some(note) = body
        .additional_note
        .as_deref()
        .filter(|note| !note.is_empty())
    {
        request.append_note(note);
    }

    let email_alert = if query.send_email_alert.unwrap_or(false) {
        // NOTE: the double sends no email, so a requested alert is reported as not sent.
        json!({ "success": false, "details": "The test double sends no email." })
    } else {
        json!({ "success": true, "details": "No email requested." })
    };
    Ok(Json(json!({
        "state_change": {
            "success": true,
            "details": format!("Updated status to {}.", body.desired_state.as_str()),
        },
        "email_alert": email_alert,
    })))
}

#[derive(Debug, Deserialize)]
struct DeleteRequestBody {
    username: String,
    request_id: i64,
}

async fn delete_request(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<DeleteRequestBody>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_admin()?;
    state.auth_api().requests.retain(|request| {
        !(request.username == body.username && request.request_id == body.request_id)
    });
    Ok(Json(json!({
        "success": true,
        "details": format!("Deleted record {}", body.request_id),
    })))
}

// Groups.

#[derive(Debug, Deserialize)]
struct IdQuery {
    id: String,
}

#[derive(Debug, Deserialize)]
struct GroupIdQuery {
    group_id: String,
}

#[derive(Debug, Deserialize)]
struct MembershipQuery {
    group_id: String,
    username: String,
}

fn no_group(id: &str) -> String {
    format!("No group with id {id} was found.")
}

fn list_groups_response(state: &AppState) -> Json<Value> {
    let groups: Vec<Value> = state
        .auth_api()
        .groups
        .values()
        .map(Group::metadata)
        .collect();
    Json(json!({
        "status": {
            "success": true,
            "details": format!("Retrieved {} groups successfully", groups.len()),
        },
        "groups": groups,
    }))
}

fn describe_group_response(state: &AppState, id: &str) -> Json<Value> {
    match state.auth_api().groups.get(id) {
        Some(group) => Json(json!({
            "status": { "success": true, "details": "Group metadata retrieved." },
            "group": group.metadata(),
        })),
        None => failed_status(no_group(id)),
    }
}

fn list_members_response(state: &AppState, id: &str) -> Json<Value> {
    match state.auth_api().groups.get(id) {
        Some(group) => Json(json!({
            "status": {
                "success": true,
                "details": format!("Group with {} users returned.", group.users.len()),
            },
            "group": group,
        })),
        None => failed_status(no_group(id)),
    }
}

fn user_groups_response(state: &AppState, username: &str) -> Json<Value> {
    let groups: Vec<Value> = state
        .auth_api()
        .groups
        .values()
        .filter(|group| group.has_member(username))
        .map(Group::metadata)
        .collect();
    Json(json!({
        "status": {
            "success": true,
            "details": format!("Member is part of {} groups as listed.", groups.len()),
        },
        "groups": groups,
    }))
}

fn membership_response(state: &AppState, group_id: &str, username: &str) -> Json<Value> {
    match state.auth_api().groups.get(group_id) {
        Some(group) => Json(json!({
            "status": { "success": true, "details": "Group was found and membership determined." },
            "is_member": group.has_member(username),
        })),
        None => failed_status(no_group(group_id)),
    }
}

async fn user_list_groups(State(state): State<AppState>, _caller: Caller) -> Json<Value> {
    list_groups_response(&state)
}

async fn user_describe_group(
    State(state): State<AppState>,
    _caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> Json<Value> {
    describe_group_response(&state, &query.id)
}

async fn user_list_members(
    State(state): State<AppState>,
    _caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> Json<Value> {
    list_members_response(&state, &query.id)
}

async fn user_list_user_groups(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    user_groups_response(&state, &caller.username)
}

async fn user_check_membership(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<GroupIdQuery>,
) -> Json<Value> {
    membership_response(&state, &query.group_id, &caller.username)
}

async fn admin_list_groups(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(list_groups_response(&state))
}

async fn admin_describe_group(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(describe_group_response(&state, &query.id))
}

async fn admin_list_members(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(list_members_response(&state, &query.id))
}

async fn admin_list_user_groups(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UsernameQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(user_groups_response(&state, &query.username))
}

async fn admin_check_membership(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<MembershipQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(membership_response(
        &state,
        &query.group_id,
        &query.username,
    ))
}

async fn admin_add_member(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<GroupIdQuery>,
    ValidJson(user): ValidJson<GroupUser>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let id = query.group_id;
    let mut store = state.auth_api();
    let group = store.groups.get_mut(&id).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Tried to add a user to group {id} but no such group was found."
        ))
    })?;
    if group.has_member(&user.username) {
        return Err(ApiError::bad_request(format!(
            "Tried to add a user to group {id} but the user was already a member of the group."
        )));
    }
    group.users.push(user);
    Ok(ok_status(format!("User added to group {id} successfully.")))
}

#[derive(Debug, Deserialize)]
struct RemoveMemberQuery {
    username: String,
    group_id: String,
}

async fn admin_remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<RemoveMemberQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let id = query.group_id;
    let mut store = state.auth_api();
    let group = store.groups.get_mut(&id).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Tried to remove a user from group {id} but no such group was found."
        ))
    })?;
    if !group.has_member(&query.username) {
        return Err(ApiError::bad_request(format!(
            "Tried to remove specified user from group with id {id} but the user was not found in the group."
        )));
    }
    group.users.retain(|user| user.username != query.username);
    Ok(ok_status(format!(
        "User {} removed from group {id} successfully.",
        query.username
    )))
}

#[derive(Debug, Deserialize)]
struct RemoveMembersBody {
    group_id: String,
    member_usernames: Vec<String>,
}

async fn admin_remove_members(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<RemoveMembersBody>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let id = body.group_id;
    let mut store = state.auth_api();
    let group = store.groups.get_mut(&id).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Tried to remove a user from group {id} but no such group was found."
        ))
    })?;
    // All or nothing: check every username before removing any.
    if let Some(stranger) = body
        .member_usernames
        .iter()
        .find(|username| !group.has_member(username))
    {
        return Err(ApiError::bad_request(format!(
            "Tried to remove specified user with username {stranger} from group with id {id} but the user was not found in the group. No users removed!"
        )));
    }
    group
        .users
        .retain(|user| !body.member_usernames.contains(&user.username));
    Ok(ok_status(format!(
        "{} users were removed from group {id} successfully.",
        body.member_usernames.len()
    )))
}

async fn admin_add_group(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(metadata): ValidJson<GroupMetadata>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let mut store = state.auth_api();
    if store.groups.contains_key(&metadata.id) {
        return Err(ApiError::bad_request(format!(
            "Tried to write a new group (id={}) but there is an existing group! Update instead or remove first.",
            metadata.id
        )));
    }
    let id = metadata.id.clone();
    store.groups.insert(
        id.clone(),
        Group {
            id: metadata.id,
            display_name: metadata.display_name,
            description: metadata.description,
            default_data_store_access: metadata.default_data_store_access,
            users: Vec::new(),
        },
    );
    Ok(ok_status(format!(
        "Successfully created group with id: {id}."
    )))
}

async fn admin_update_group(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(metadata): ValidJson<GroupMetadata>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let mut store = state.auth_api();
    let group = store.groups.get_mut(&metadata.id).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Tried to update group with ID: {} but it does not exist!",
            metadata.id
        ))
    })?;
    group.display_name = metadata.display_name;
    group.description = metadata.description;
    group.default_data_store_access = metadata.default_data_store_access;
    Ok(ok_status(format!(
        "Successfully updated metadata for group with id: {}.",
        metadata.id
    )))
}

async fn admin_remove_group(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_admin()?;
    if state.auth_api().groups.remove(&query.id).is_none() {
        return Err(ApiError::bad_request(format!(
            "Tried to delete group with ID: {} but it does not exist!",
            query.id
        )));
    }
    Ok(ok_status(format!(
        "Successfully removed group with id: {}.",
        query.id
    )))
}

async fn groups_export(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_admin()?;
    let items: Vec<Value> = state
        .auth_api()
        .groups
        .values()
        .map(|group| json!(group))
        .collect();
    Ok(Json(json!({
        "status": {
            "success": true,
            "details": format!("Successfully exported {} items.", items.len()),
        },
        "items": items,
    })))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ImportMode {
    AddOnly,
    AddOrOverwrite,
    OverwriteOnly,
    SyncAddOrOverwrite,
    SyncDeletionAllowed,
}

#[derive(Debug, Deserialize)]
struct ImportSettings {
    import_mode: ImportMode,
    #[serde(default = "default_true")]
    parse_items: bool,
    #[serde(default)]
    allow_entry_deletion: bool,
    #[serde(default = "default_true")]
    trial_mode: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct ImportBody {
    #[serde(flatten)]
    settings: ImportSettings,
    items: Vec<serde_json::Map<String, Value>>,
}

async fn groups_import(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<ImportBody>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_admin()?;
    Ok(Json(import_groups(&state, &body.settings, body.items)))
}

#[derive(Debug, Deserialize)]
struct TableQuery {
    table_name: String,
}

async fn groups_restore(
    caller: Caller,
    ValidQuery(query): ValidQuery<TableQuery>,
    ValidJson(settings): ValidJson<ImportSettings>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_admin()?;
    if query.table_name == GROUPS_TABLE {
        return Ok(Json(json!({
            "status": {
                "success": false,
                "details": format!(
                    "You supplied {} as the table_name which is equal to the current active groups table name. This behaviour is not supported.",
                    query.table_name
                ),
            },
            "trial_mode": settings.trial_mode,
        })));
    }
    // NOTE: the double has no tables besides its active groups table, so a restore from
    // any other table fails the way the real service fails on a table it cannot read.
    Err(ApiError::internal(format!(
        "Failed to read from table {}: requested resource not found.",
        query.table_name
    )))
}

/// Applies an import to the groups table, or only computes it in trial mode, and returns
/// the service's response.
fn import_groups(
    state: &AppState,
    settings: &ImportSettings,
    items: Vec<serde_json::Map<String, Value>>,
) -> Value {
    let failed = |details: String, failures: Vec<Value>| {
        json!({
            "status": { "success": false, "details": details },
            "trial_mode": settings.trial_mode,
            "failure_list": failures,
        })
    };

    // Parse every item first; an item that is not a group fails the whole import.
    let mut incoming: BTreeMap<String, Group> = BTreeMap::new();
    let mut failures = Vec::new();
    for item in items {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        match serde_json::from_value::<Group>(Value::Object(item.clone())) {
            Ok(group) => {
                incoming.insert(group.id.clone(), group);
            }
            Err(error) if settings.parse_items => {
                failures.push(json!([id, { "error": error.to_string(), "item": item }]));
            }
            Err(_) => failures.push(json!([id, item])),
        }
    }
    if !failures.is_empty() {
        return failed(
            format!("{} items could not be parsed as groups.", failures.len()),
            failures,
        );
    }

    let mut store = state.auth_api();
    let old_size = store.groups.len();
    let existing: Vec<String> = store.groups.keys().cloned().collect();
    let new_ids: Vec<&String> = incoming
        .keys()
        .filter(|id| !store.groups.contains_key(*id))
        .collect();
    let overwritten: Vec<&String> = incoming
        .keys()
        .filter(|id| store.groups.contains_key(*id))
        .collect();
    let absent: Vec<&String> = existing
        .iter()
        .filter(|id| !incoming.contains_key(*id))
        .collect();

    let rejection = match settings.import_mode {
        ImportMode::AddOnly if !overwritten.is_empty() => Some(format!(
            "Import mode ADD_ONLY but {} items already exist.",
            overwritten.len()
        )),
        ImportMode::OverwriteOnly if !new_ids.is_empty() => Some(format!(
            "Import mode OVERWRITE_ONLY but {} items do not exist.",
            new_ids.len()
        )),
        ImportMode::SyncAddOrOverwrite if !absent.is_empty() => Some(format!(
            "Import mode SYNC_ADD_OR_OVERWRITE but {} existing items are missing from the import.",
            absent.len()
        )),
        ImportMode::SyncDeletionAllowed if !absent.is_empty() && !settings.allow_entry_deletion => {
            Some(format!(
                "Import would delete {} items but allow_entry_deletion is false.",
                absent.len()
            ))
        }
        _ => None,
    };
    if let Some(details) = rejection {
        return failed(details, Vec::new());
    }

    let deleting = settings.import_mode == ImportMode::SyncDeletionAllowed;
    let deleted_entries = if deleting { absent.len() } else { 0 };
    let statistics = json!({
        "old_size": old_size,
        "new_size": old_size + new_ids.len() - deleted_entries,
        "deleted_entries": deleted_entries,
        "overwritten_entries": overwritten.len(),
        "new_entries": new_ids.len(),
    });
    if !settings.trial_mode {
        if deleting {
            store.groups.retain(|id, _| incoming.contains_key(id));
        }
        store.groups.extend(incoming);
    }
    json!({
        "status": {
            "success": true,
            "details": if settings.trial_mode {
                "Trial mode: no changes were written."
            } else {
                "Import completed and changes were written."
            },
        },
        "trial_mode": settings.trial_mode,
        "statistics": statistics,
        "failure_list": [],
    })
}

// User-to-person links.

#[derive(Debug, Deserialize)]
struct OptionalUsernameQuery {
    #[serde(default)]
    username: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PersonQuery {
    person_id: String,
}

#[derive(Debug, Deserialize)]
struct PersonBody {
    person_id: String,
}

#[derive(Debug, Deserialize)]
struct AdminAssignBody {
    username: String,
    person_id: String,
    #[serde(default)]
    force: bool,
    #[serde(default = "default_true")]
    validate_item: bool,
}

fn lookup_response(person: Option<String>) -> Json<Value> {
    match person {
        Some(person_id) => Json(json!({ "person_id": person_id, "success": true })),
        None => Json(json!({ "success": false })),
    }
}

/// Checks that `person_id` is a Person in the registry and, with `owner`, that `owner`
/// owns it. Returns the failure's status code and detail.
fn check_person(state: &AppState, person_id: &str, owner: Option<&str>) -> Result<(), ApiError> {
    let (subtype, owner_username) = {
        let registry = state.registry();
        let item = registry.get(person_id).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Could not find the Person with id {person_id} in the registry."
            ))
        })?;
        (
            item.get("item_subtype")
                .and_then(Value::as_str)
                .map(str::to_owned),
            item.get("owner_username")
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
    };
    if subtype.as_deref() != Some("PERSON") {
        return Err(ApiError::bad_request(format!(
            "The item with id {person_id} is not a Person."
        )));
    }
    if let Some(owner) = owner
        && owner_username.as_deref() != Some(owner)
    {
        return Err(ApiError::unauthorized(format!(
            "You are not authorised to assign your identity to a Person in the Registry which you do not own. Username: {owner}. Person ID: {person_id}."
        )));
    }
    Ok(())
}

async fn user_link_lookup(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<OptionalUsernameQuery>,
) -> Json<Value> {
    let username = query.username.unwrap_or(caller.username);
    lookup_response(state.auth_api().person_for(&username))
}

async fn user_link_assign(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<PersonBody>,
) -> ApiResult<Json<Value>> {
    let existing = state.auth_api().person_for(&caller.username);
    if let Some(existing) = existing {
        return Err(ApiError::bad_request(format!(
            "The username {} already has a person ID assigned, ID {existing}. You cannot deassign a Person ID without contacting an admin.",
            caller.username
        )));
    }
    check_person(&state, &body.person_id, Some(&caller.username))?;
    state.auth_api().link(&caller.username, &body.person_id);
    Ok(Json(json!({})))
}

async fn user_link_validate(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<PersonBody>,
) -> Json<Value> {
    let existing = state.auth_api().person_for(&caller.username);
    if let Some(existing) = existing {
        return failed_status(format!(
            "The username {} already has a person ID assigned, ID {existing}. You cannot deassign a Person ID without contacting an admin.",
            caller.username
        ));
    }
    match check_person(&state, &body.person_id, Some(&caller.username)) {
        Ok(()) => ok_status(
            "This person ID could be linked to the specified username. Validation successful.",
        ),
        Err(error) => failed_status(error.detail().as_str().unwrap_or_default()),
    }
}

async fn admin_link_lookup(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UsernameQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    Ok(lookup_response(
        state.auth_api().person_for(&query.username),
    ))
}

async fn admin_link_reverse_lookup(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<PersonQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_read()?;
    let usernames = state.auth_api().usernames_for(&query.person_id);
    Ok(Json(json!({ "usernames": usernames })))
}

async fn admin_link_assign(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<AdminAssignBody>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    let existing = state.auth_api().person_for(&body.username);
    if let Some(existing) = existing
        && !body.force
    {
        return Err(ApiError::bad_request(format!(
            "The username {} already has a person ID assigned, ID {existing}. Use the force parameter to reassign.",
            body.username
        )));
    }
    if body.validate_item {
        check_person(&state, &body.person_id, None)?;
    }
    state.auth_api().link(&body.username, &body.person_id);
    Ok(Json(json!({})))
}

async fn admin_link_clear(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UsernameQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_sys_admin_write()?;
    // Like the real service, clearing a username without a link succeeds.
    state.auth_api().unlink(&query.username);
    Ok(Json(json!({})))
}
