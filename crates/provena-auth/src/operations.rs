//! One constant per operation of the auth API's document, and one function per operation
//! that sends the request and decodes the response.
//!
//! These are the low-level building blocks of [`AuthClient`](crate::AuthClient). They send
//! what they are given without checking arguments, and return the response body as is:
//! many auth API responses report failure as HTTP 200 with `status.success = false`, and
//! these functions leave that check to the caller.

use std::collections::BTreeMap;

use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::{
    AccessReport, AccessReportResponse, AccessRequestList, AccessRequestResponse,
    AccessRequestStatusChange, AddGroupResponse, AddMemberResponse, AdminLinkUserAssignRequest,
    AdminLinkUserLookupResponse, ChangeStateStatus, CheckMembershipResponse, DeleteAccessRequest,
    DescribeGroupResponse, GroupUser, GroupsExportResponse, GroupsImportRequest,
    GroupsImportResponse, GroupsRestoreRequest, ListGroupsResponse, ListMembersResponse,
    ListUserMembershipResponse, RemoveGroupResponse, RemoveMemberResponse, RemoveMembersRequest,
    RequestAddNote, Status, UpdateGroupResponse, UserGroupMetadata, UserLinkReverseLookupResponse,
    UserLinkUserAssignRequest, UserLinkUserLookupResponse, UserLinkUserValidateRequest,
    UserLinkUserValidateResponse,
};

use crate::AccessCheck;

const fn get(id: &'static str, path: &'static str) -> Operation {
    Operation::get(Service::Auth, id, path)
}

const fn post(id: &'static str, path: &'static str) -> Operation {
    Operation::post(Service::Auth, id, path)
}

/// `GET /`: the service's greeting.
pub const ROOT: Operation = get("root", "/");

/// `POST /access-control/admin/add-note`: appends a note to an access request.
pub const ADD_NOTE: Operation = post("add_note", "/access-control/admin/add-note");
/// `GET /access-control/admin/all-pending-request-history`: every user's pending requests.
pub const GET_ALL_PENDING_REQUESTS: Operation = get(
    "get_all_pending_requests",
    "/access-control/admin/all-pending-request-history",
);
/// `GET /access-control/admin/all-request-history`: every user's requests.
pub const GET_ALL_REQUESTS: Operation = get(
    "get_all_requests",
    "/access-control/admin/all-request-history",
);
/// `POST /access-control/admin/change-request-state`: moves a request to another state.
pub const CHANGE_REQUEST_STATE: Operation = post(
    "change_request_state",
    "/access-control/admin/change-request-state",
);
/// `POST /access-control/admin/delete-request`: deletes a request record.
pub const DELETE_REQUEST: Operation =
    post("delete_request", "/access-control/admin/delete-request");
/// `GET /access-control/admin/user-pending-request-history`: one user's pending requests.
pub const GET_ALL_PENDING_REQUESTS_FOR_USER: Operation = get(
    "get_all_pending_requests_for_user",
    "/access-control/admin/user-pending-request-history",
);
/// `GET /access-control/admin/user-request-history`: one user's requests.
pub const GET_ALL_REQUESTS_FOR_USER: Operation = get(
    "get_all_requests_for_user",
    "/access-control/admin/user-request-history",
);
/// `GET /access-control/user/generate-access-report`: the caller's roles per component.
pub const GENERATE_ACCESS_REPORT: Operation = get(
    "generate_access_report",
    "/access-control/user/generate-access-report",
);
/// `GET /access-control/user/pending-request-history`: the caller's pending requests.
pub const GET_PENDING_REQUESTS: Operation = get(
    "get_pending_requests",
    "/access-control/user/pending-request-history",
);
/// `POST /access-control/user/request-change`: requests the access in a desired report.
pub const REQUEST_ACCESS_CHANGE: Operation = post(
    "request_access_change",
    "/access-control/user/request-change",
);
/// `GET /access-control/user/request-history`: the caller's requests.
pub const GET_REQUESTS: Operation = get("get_requests", "/access-control/user/request-history");

/// `GET /admin/config`: the service's configuration as a text file (admin only).
pub const GENERATE_CONFIG_FILE: Operation = get("generate_config_file", "/admin/config");
/// `GET /admin/sentry-debug`: raises an error on purpose to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation = get("test_sentry_reporting", "/admin/sentry-debug");

/// `GET /check-access/general`: succeeds for any signed-in caller.
pub const CHECK_GENERAL_ACCESS: Operation = get("check_general_access", "/check-access/general");
/// `GET /check-access/public`: succeeds without a token.
pub const CHECK_PUBLIC_ACCESS: Operation = get("check_public_access", "/check-access/public");

/// `POST /groups/admin/add_group`: creates a group.
pub const ADMIN_ADD_GROUP: Operation = post("admin_add_group", "/groups/admin/add_group");
/// `POST /groups/admin/add_member`: adds a user to a group.
pub const ADMIN_ADD_MEMBER: Operation = post("admin_add_member", "/groups/admin/add_member");
/// `GET /groups/admin/check_membership`: whether a user belongs to a group.
pub const ADMIN_CHECK_MEMBERSHIP: Operation =
    get("admin_check_membership", "/groups/admin/check_membership");
/// `GET /groups/admin/describe_group`: one group's metadata.
pub const ADMIN_DESCRIBE_GROUP: Operation =
    get("admin_describe_group", "/groups/admin/describe_group");
/// `GET /groups/admin/export`: every group with its members, for backups.
pub const GROUPS_EXPORT: Operation = get("groups_export", "/groups/admin/export");
/// `POST /groups/admin/import`: loads exported groups.
pub const GROUPS_IMPORT: Operation = post("groups_import", "/groups/admin/import");
/// `GET /groups/admin/list_groups`: every group's metadata.
pub const ADMIN_LIST_GROUPS: Operation = get("admin_list_groups", "/groups/admin/list_groups");
/// `GET /groups/admin/list_members`: one group with its members.
pub const ADMIN_LIST_MEMBERS: Operation = get("admin_list_members", "/groups/admin/list_members");
/// `GET /groups/admin/list_user_membership`: the groups a user belongs to.
pub const ADMIN_LIST_USER_GROUPS: Operation = get(
    "admin_list_user_groups",
    "/groups/admin/list_user_membership",
);
/// `DELETE /groups/admin/remove_group`: deletes a group.
pub const ADMIN_REMOVE_GROUP: Operation = Operation::delete(
    Service::Auth,
    "admin_remove_group",
    "/groups/admin/remove_group",
);
/// `DELETE /groups/admin/remove_member`: removes a user from a group.
pub const ADMIN_REMOVE_MEMBER: Operation = Operation::delete(
    Service::Auth,
    "admin_remove_member",
    "/groups/admin/remove_member",
);
/// `POST /groups/admin/remove_members`: removes several users from a group, all or none.
pub const ADMIN_REMOVE_MEMBERS: Operation =
    post("admin_remove_members", "/groups/admin/remove_members");
/// `POST /groups/admin/restore_from_table`: loads groups from another groups table.
pub const GROUPS_RESTORE: Operation = post("groups_restore", "/groups/admin/restore_from_table");
/// `PUT /groups/admin/update_group`: replaces a group's metadata, keeping its members.
pub const ADMIN_UPDATE_GROUP: Operation = Operation::put(
    Service::Auth,
    "admin_update_group",
    "/groups/admin/update_group",
);

/// `GET /groups/user/check_membership`: whether the caller belongs to a group.
pub const USER_CHECK_MEMBERSHIP: Operation =
    get("user_check_membership", "/groups/user/check_membership");
/// `GET /groups/user/describe_group`: one group's metadata.
pub const USER_DESCRIBE_GROUP: Operation =
    get("user_describe_group", "/groups/user/describe_group");
/// `GET /groups/user/list_groups`: every group's metadata.
pub const USER_LIST_GROUPS: Operation = get("user_list_groups", "/groups/user/list_groups");
/// `GET /groups/user/list_members`: one group with its members.
pub const USER_LIST_MEMBERS: Operation = get("user_list_members", "/groups/user/list_members");
/// `GET /groups/user/list_user_membership`: the groups the caller belongs to.
pub const USER_LIST_USER_GROUPS: Operation =
    get("user_list_user_groups", "/groups/user/list_user_membership");

/// `POST /link/admin/assign`: links any user to a Person.
pub const ADMIN_LINK_USER_ASSIGN: Operation = post("admin_link_user_assign", "/link/admin/assign");
/// `DELETE /link/admin/clear`: removes a user's link.
pub const ADMIN_LINK_USER_CLEAR: Operation =
    Operation::delete(Service::Auth, "admin_link_user_clear", "/link/admin/clear");
/// `GET /link/admin/lookup`: the Person a user is linked to.
pub const ADMIN_LINK_USER_LOOKUP: Operation = get("admin_link_user_lookup", "/link/admin/lookup");
/// `GET /link/admin/reverse_lookup`: the users linked to a Person.
pub const USER_LINK_REVERSE_LOOKUP: Operation =
    get("user_link_reverse_lookup", "/link/admin/reverse_lookup");
/// `POST /link/user/assign`: links the caller to a Person they own.
pub const USER_LINK_USER_ASSIGN: Operation = post("user_link_user_assign", "/link/user/assign");
/// `GET /link/user/lookup`: the Person the caller (or a named user) is linked to.
pub const USER_LINK_USER_LOOKUP: Operation = get("user_link_user_lookup", "/link/user/lookup");
/// `POST /link/user/validate`: checks whether the caller could link to a Person.
pub const USER_LINK_USER_VALIDATE: Operation = Operation::post_safe(
    Service::Auth,
    "user_link_user_validate",
    "/link/user/validate",
);

/// Every operation of the auth API's document.
pub const ALL: &[&Operation] = &[
    &ROOT,
    &ADD_NOTE,
    &GET_ALL_PENDING_REQUESTS,
    &GET_ALL_REQUESTS,
    &CHANGE_REQUEST_STATE,
    &DELETE_REQUEST,
    &GET_ALL_PENDING_REQUESTS_FOR_USER,
    &GET_ALL_REQUESTS_FOR_USER,
    &GENERATE_ACCESS_REPORT,
    &GET_PENDING_REQUESTS,
    &REQUEST_ACCESS_CHANGE,
    &GET_REQUESTS,
    &GENERATE_CONFIG_FILE,
    &TEST_SENTRY_REPORTING,
    &CHECK_GENERAL_ACCESS,
    &CHECK_PUBLIC_ACCESS,
    &ADMIN_ADD_GROUP,
    &ADMIN_ADD_MEMBER,
    &ADMIN_CHECK_MEMBERSHIP,
    &ADMIN_DESCRIBE_GROUP,
    &GROUPS_EXPORT,
    &GROUPS_IMPORT,
    &ADMIN_LIST_GROUPS,
    &ADMIN_LIST_MEMBERS,
    &ADMIN_LIST_USER_GROUPS,
    &ADMIN_REMOVE_GROUP,
    &ADMIN_REMOVE_MEMBER,
    &ADMIN_REMOVE_MEMBERS,
    &GROUPS_RESTORE,
    &ADMIN_UPDATE_GROUP,
    &USER_CHECK_MEMBERSHIP,
    &USER_DESCRIBE_GROUP,
    &USER_LIST_GROUPS,
    &USER_LIST_MEMBERS,
    &USER_LIST_USER_GROUPS,
    &ADMIN_LINK_USER_ASSIGN,
    &ADMIN_LINK_USER_CLEAR,
    &ADMIN_LINK_USER_LOOKUP,
    &USER_LINK_REVERSE_LOOKUP,
    &USER_LINK_USER_ASSIGN,
    &USER_LINK_USER_LOOKUP,
    &USER_LINK_USER_VALIDATE,
];

// Service information and access checks.

/// Sends [`ROOT`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn root(http: &HttpClient) -> Result<BTreeMap<String, String>, Error> {
    http.call(&ROOT).send_json_unchecked().await
}

/// Sends [`GENERATE_CONFIG_FILE`] and returns the file's text.
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn generate_config_file(http: &HttpClient, required_only: bool) -> Result<String, Error> {
    http.call(&GENERATE_CONFIG_FILE)
        .query("required_only", required_only)
        .send()
        .await?
        .error_for_status()?
        .text()
}

/// Sends [`TEST_SENTRY_REPORTING`].
///
/// # Errors
///
/// Any [`Error`]. A deployment with monitoring on returns HTTP 500 on purpose.
pub async fn test_sentry_reporting(
    http: &HttpClient,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    http.call(&TEST_SENTRY_REPORTING)
        .send_json_unchecked()
        .await
}

/// Sends [`CHECK_GENERAL_ACCESS`].
///
/// # Errors
///
/// [`Error::Unauthorized`] when the token is missing or invalid.
pub async fn check_general_access(http: &HttpClient) -> Result<AccessCheck, Error> {
    http.call(&CHECK_GENERAL_ACCESS).send_json_unchecked().await
}

/// Sends [`CHECK_PUBLIC_ACCESS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn check_public_access(http: &HttpClient) -> Result<Status, Error> {
    http.call(&CHECK_PUBLIC_ACCESS).send_json_unchecked().await
}

// Access requests.

/// Sends [`GENERATE_ACCESS_REPORT`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn generate_access_report(http: &HttpClient) -> Result<AccessReportResponse, Error> {
    http.call(&GENERATE_ACCESS_REPORT)
        .send_json_unchecked()
        .await
}

/// Sends [`REQUEST_ACCESS_CHANGE`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn request_access_change(
    http: &HttpClient,
    desired: &AccessReport,
    send_email: bool,
) -> Result<AccessRequestResponse, Error> {
    http.call(&REQUEST_ACCESS_CHANGE)
        .query("send_email", send_email)
        .json(desired)
        .send_json_unchecked()
        .await
}

/// Sends [`GET_REQUESTS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get_requests(http: &HttpClient) -> Result<AccessRequestList, Error> {
    http.call(&GET_REQUESTS).send_json_unchecked().await
}

/// Sends [`GET_PENDING_REQUESTS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get_pending_requests(http: &HttpClient) -> Result<AccessRequestList, Error> {
    http.call(&GET_PENDING_REQUESTS).send_json_unchecked().await
}

/// Sends [`GET_ALL_REQUESTS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get_all_requests(http: &HttpClient) -> Result<AccessRequestList, Error> {
    http.call(&GET_ALL_REQUESTS).send_json_unchecked().await
}

/// Sends [`GET_ALL_PENDING_REQUESTS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get_all_pending_requests(http: &HttpClient) -> Result<AccessRequestList, Error> {
    http.call(&GET_ALL_PENDING_REQUESTS)
        .send_json_unchecked()
        .await
}

/// Sends [`GET_ALL_REQUESTS_FOR_USER`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get_all_requests_for_user(
    http: &HttpClient,
    username: &str,
) -> Result<AccessRequestList, Error> {
    http.call(&GET_ALL_REQUESTS_FOR_USER)
        .query("username", username)
        .send_json_unchecked()
        .await
}

/// Sends [`GET_ALL_PENDING_REQUESTS_FOR_USER`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get_all_pending_requests_for_user(
    http: &HttpClient,
    username: &str,
) -> Result<AccessRequestList, Error> {
    http.call(&GET_ALL_PENDING_REQUESTS_FOR_USER)
        .query("username", username)
        .send_json_unchecked()
        .await
}

/// Sends [`ADD_NOTE`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn add_note(http: &HttpClient, request: &RequestAddNote) -> Result<Status, Error> {
    http.call(&ADD_NOTE)
        .json(request)
        .send_json_unchecked()
        .await
}

/// Sends [`CHANGE_REQUEST_STATE`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn change_request_state(
    http: &HttpClient,
    change: &AccessRequestStatusChange,
    send_email_alert: bool,
) -> Result<ChangeStateStatus, Error> {
    http.call(&CHANGE_REQUEST_STATE)
        .query("send_email_alert", send_email_alert)
        .json(change)
        .send_json_unchecked()
        .await
}

/// Sends [`DELETE_REQUEST`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn delete_request(
    http: &HttpClient,
    request: &DeleteAccessRequest,
) -> Result<Status, Error> {
    http.call(&DELETE_REQUEST)
        .json(request)
        .send_json_unchecked()
        .await
}

// Groups, as any signed-in user.

/// Sends [`USER_LIST_GROUPS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_list_groups(http: &HttpClient) -> Result<ListGroupsResponse, Error> {
    http.call(&USER_LIST_GROUPS).send_json_unchecked().await
}

/// Sends [`USER_DESCRIBE_GROUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_describe_group(
    http: &HttpClient,
    id: &str,
) -> Result<DescribeGroupResponse, Error> {
    http.call(&USER_DESCRIBE_GROUP)
        .query("id", id)
        .send_json_unchecked()
        .await
}

/// Sends [`USER_LIST_MEMBERS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_list_members(http: &HttpClient, id: &str) -> Result<ListMembersResponse, Error> {
    http.call(&USER_LIST_MEMBERS)
        .query("id", id)
        .send_json_unchecked()
        .await
}

/// Sends [`USER_LIST_USER_GROUPS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_list_user_groups(http: &HttpClient) -> Result<ListUserMembershipResponse, Error> {
    http.call(&USER_LIST_USER_GROUPS)
        .send_json_unchecked()
        .await
}

/// Sends [`USER_CHECK_MEMBERSHIP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_check_membership(
    http: &HttpClient,
    group_id: &str,
) -> Result<CheckMembershipResponse, Error> {
    http.call(&USER_CHECK_MEMBERSHIP)
        .query("group_id", group_id)
        .send_json_unchecked()
        .await
}

// Groups, as an administrator.

/// Sends [`ADMIN_LIST_GROUPS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_list_groups(http: &HttpClient) -> Result<ListGroupsResponse, Error> {
    http.call(&ADMIN_LIST_GROUPS).send_json_unchecked().await
}

/// Sends [`ADMIN_DESCRIBE_GROUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_describe_group(
    http: &HttpClient,
    id: &str,
) -> Result<DescribeGroupResponse, Error> {
    http.call(&ADMIN_DESCRIBE_GROUP)
        .query("id", id)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_LIST_MEMBERS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_list_members(http: &HttpClient, id: &str) -> Result<ListMembersResponse, Error> {
    http.call(&ADMIN_LIST_MEMBERS)
        .query("id", id)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_LIST_USER_GROUPS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_list_user_groups(
    http: &HttpClient,
    username: &str,
) -> Result<ListUserMembershipResponse, Error> {
    http.call(&ADMIN_LIST_USER_GROUPS)
        .query("username", username)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_CHECK_MEMBERSHIP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_check_membership(
    http: &HttpClient,
    group_id: &str,
    username: &str,
) -> Result<CheckMembershipResponse, Error> {
    http.call(&ADMIN_CHECK_MEMBERSHIP)
        .query("group_id", group_id)
        .query("username", username)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_ADD_MEMBER`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_add_member(
    http: &HttpClient,
    group_id: &str,
    user: &GroupUser,
) -> Result<AddMemberResponse, Error> {
    http.call(&ADMIN_ADD_MEMBER)
        .query("group_id", group_id)
        .json(user)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_REMOVE_MEMBER`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_remove_member(
    http: &HttpClient,
    group_id: &str,
    username: &str,
) -> Result<RemoveMemberResponse, Error> {
    http.call(&ADMIN_REMOVE_MEMBER)
        .query("username", username)
        .query("group_id", group_id)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_REMOVE_MEMBERS`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_remove_members(
    http: &HttpClient,
    request: &RemoveMembersRequest,
) -> Result<RemoveMemberResponse, Error> {
    http.call(&ADMIN_REMOVE_MEMBERS)
        .json(request)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_ADD_GROUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_add_group(
    http: &HttpClient,
    group: &UserGroupMetadata,
) -> Result<AddGroupResponse, Error> {
    http.call(&ADMIN_ADD_GROUP)
        .json(group)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_UPDATE_GROUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_update_group(
    http: &HttpClient,
    group: &UserGroupMetadata,
) -> Result<UpdateGroupResponse, Error> {
    http.call(&ADMIN_UPDATE_GROUP)
        .json(group)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_REMOVE_GROUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_remove_group(http: &HttpClient, id: &str) -> Result<RemoveGroupResponse, Error> {
    http.call(&ADMIN_REMOVE_GROUP)
        .query("id", id)
        .send_json_unchecked()
        .await
}

/// Sends [`GROUPS_EXPORT`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn groups_export(http: &HttpClient) -> Result<GroupsExportResponse, Error> {
    http.call(&GROUPS_EXPORT).send_json_unchecked().await
}

/// Sends [`GROUPS_IMPORT`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn groups_import(
    http: &HttpClient,
    request: &GroupsImportRequest,
) -> Result<GroupsImportResponse, Error> {
    http.call(&GROUPS_IMPORT)
        .json(request)
        .send_json_unchecked()
        .await
}

/// Sends [`GROUPS_RESTORE`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn groups_restore(
    http: &HttpClient,
    table_name: &str,
    request: &GroupsRestoreRequest,
) -> Result<GroupsImportResponse, Error> {
    http.call(&GROUPS_RESTORE)
        .query("table_name", table_name)
        .json(request)
        .send_json_unchecked()
        .await
}

// User-to-person links.

/// Sends [`USER_LINK_USER_LOOKUP`]; without `username` the service looks up the caller.
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_link_user_lookup(
    http: &HttpClient,
    username: Option<&str>,
) -> Result<UserLinkUserLookupResponse, Error> {
    http.call(&USER_LINK_USER_LOOKUP)
        .query_opt("username", username)
        .send_json_unchecked()
        .await
}

/// Sends [`USER_LINK_USER_ASSIGN`]. The response body is an empty object.
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_link_user_assign(
    http: &HttpClient,
    request: &UserLinkUserAssignRequest,
) -> Result<(), Error> {
    http.call(&USER_LINK_USER_ASSIGN)
        .json(request)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Sends [`USER_LINK_USER_VALIDATE`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_link_user_validate(
    http: &HttpClient,
    request: &UserLinkUserValidateRequest,
) -> Result<UserLinkUserValidateResponse, Error> {
    http.call(&USER_LINK_USER_VALIDATE)
        .json(request)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_LINK_USER_LOOKUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_link_user_lookup(
    http: &HttpClient,
    username: &str,
) -> Result<AdminLinkUserLookupResponse, Error> {
    http.call(&ADMIN_LINK_USER_LOOKUP)
        .query("username", username)
        .send_json_unchecked()
        .await
}

/// Sends [`USER_LINK_REVERSE_LOOKUP`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn user_link_reverse_lookup(
    http: &HttpClient,
    person_id: &str,
) -> Result<UserLinkReverseLookupResponse, Error> {
    http.call(&USER_LINK_REVERSE_LOOKUP)
        .query("person_id", person_id)
        .send_json_unchecked()
        .await
}

/// Sends [`ADMIN_LINK_USER_ASSIGN`]. The response body is an empty object.
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_link_user_assign(
    http: &HttpClient,
    request: &AdminLinkUserAssignRequest,
) -> Result<(), Error> {
    http.call(&ADMIN_LINK_USER_ASSIGN)
        .json(request)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Sends [`ADMIN_LINK_USER_CLEAR`]. The response body is an empty object.
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn admin_link_user_clear(http: &HttpClient, username: &str) -> Result<(), Error> {
    http.call(&ADMIN_LINK_USER_CLEAR)
        .query("username", username)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
