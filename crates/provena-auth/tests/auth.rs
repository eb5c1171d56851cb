//! The auth API client against the embedded double, over HTTP on 127.0.0.1.

use std::collections::BTreeSet;

use provena_auth::operations::{self, ALL};
use provena_auth::{
    AccessReport, AuthClient, GroupUser, GroupsImportRequest, GroupsRestoreRequest, ImportMode,
    RequestStatus, UserGroupMetadata,
};
use provena_http::Error;
use provena_models::AccessRequestStatusChange;
use provena_testkit::{ProvenaDouble, users};
use serde_json::json;

const MISSING_ROLE: &str =
    "You are not authorised to access this resource as you don't have the correct role.";

struct Clients {
    admin: AuthClient,
    writer: AuthClient,
    reader: AuthClient,
}

fn clients(double: &ProvenaDouble) -> Clients {
    Clients {
        admin: AuthClient::new(double.client(users::ADMIN)),
        writer: AuthClient::new(double.client(users::WRITER)),
        reader: AuthClient::new(double.client(users::READER)),
    }
}

/// Stores a Person owned by `owner` in the double's registry.
fn insert_person(double: &ProvenaDouble, id: &str, owner: &str) {
    double.insert_registry_item(json!({
        "id": id,
        "item_subtype": "PERSON",
        "owner_username": owner,
        "display_name": format!("Person of {owner}"),
    }));
}

fn group(id: &str, display_name: &str) -> UserGroupMetadata {
    UserGroupMetadata {
        default_data_store_access: None,
        description: format!("The {display_name} group."),
        display_name: display_name.to_owned(),
        id: id.to_owned(),
    }
}

fn member(username: &str) -> GroupUser {
    GroupUser {
        email: Some(format!("{username}@example.org")),
        first_name: None,
        last_name: None,
        username: username.to_owned(),
    }
}

/// Marks `role` as wanted in a copy of `report`.
fn wanting(report: &AccessReport, role: &str) -> AccessReport {
    let mut desired = report.clone();
    for component in &mut desired.components {
        for entry in &mut component.component_roles {
            if entry.role_name == role {
                entry.access_granted = true;
            }
        }
    }
    desired
}

fn granted(report: &AccessReport, role: &str) -> Option<bool> {
    report
        .components
        .iter()
        .flat_map(|component| &component.component_roles)
        .find(|entry| entry.role_name == role)
        .map(|entry| entry.access_granted)
}

#[tokio::test]
async fn every_operation_is_called() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let Clients {
        admin,
        writer,
        reader,
    } = clients(&double);
    let mut called = BTreeSet::new();

    // Service information and access checks.
    assert!(!writer.service_info().await.unwrap().is_empty());
    called.insert(operations::ROOT.id);
    let config = admin.config_file(true).await.unwrap();
    called.insert(operations::GENERATE_CONFIG_FILE.id);
    assert!(
        config.contains("SERVICE_NAME=auth-api"),
        "config was {config:?}"
    );
    let reported = admin
        .test_error_reporting()
        .await
        .unwrap()
        .unwrap_or_default();
    called.insert(operations::TEST_SENTRY_REPORTING.id);
    assert!(reported.contains_key("message"), "got {reported:?}");
    let general = writer.check_general_access().await.unwrap();
    called.insert(operations::CHECK_GENERAL_ACCESS.id);
    assert_eq!(general.username, users::WRITER);
    assert!(writer.check_public_access().await.unwrap().success);
    called.insert(operations::CHECK_PUBLIC_ACCESS.id);

    // Access requests: the writer requests sys-admin-read and the admin reviews the request.
    let report = writer.access_report().await.unwrap();
    called.insert(operations::GENERATE_ACCESS_REPORT.id);
    assert_eq!(granted(&report, "entity-registry-write"), Some(true));
    assert_eq!(granted(&report, "sys-admin-read"), Some(false));

    let unchanged = writer
        .request_access_change(&report, false)
        .await
        .unwrap_err();
    called.insert(operations::REQUEST_ACCESS_CHANGE.id);
    assert!(
        matches!(unchanged, Error::Unsuccessful(_)),
        "got {unchanged:?}"
    );
    let desired = wanting(&report, "sys-admin-read");
    let status = writer.request_access_change(&desired, false).await.unwrap();
    assert!(status.success);
    let again = writer
        .request_access_change(&desired, false)
        .await
        .unwrap_err();
    assert!(
        again
            .detail()
            .unwrap_or_default()
            .contains("unresolved requests"),
        "got {again:?}"
    );

    let pending = writer.pending_requests().await.unwrap();
    called.insert(operations::GET_PENDING_REQUESTS.id);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].status, RequestStatus::PendingApproval);
    assert!(pending[0].request_diff_contents.contains("sys-admin-read"));
    let request_id = pending[0].request_id;
    assert_eq!(writer.request_history().await.unwrap().len(), 1);
    called.insert(operations::GET_REQUESTS.id);

    assert_eq!(admin.admin_all_pending_requests().await.unwrap().len(), 1);
    called.insert(operations::GET_ALL_PENDING_REQUESTS.id);
    assert_eq!(admin.admin_all_requests().await.unwrap().len(), 1);
    called.insert(operations::GET_ALL_REQUESTS.id);
    assert_eq!(
        admin
            .admin_user_requests(users::WRITER)
            .await
            .unwrap()
            .len(),
        1
    );
    called.insert(operations::GET_ALL_REQUESTS_FOR_USER.id);
    assert!(
        admin
            .admin_user_pending_requests(users::READER)
            .await
            .unwrap()
            .is_empty()
    );
    called.insert(operations::GET_ALL_PENDING_REQUESTS_FOR_USER.id);

    admin
        .admin_add_note(users::WRITER, request_id, "checked with the team")
        .await
        .unwrap();
    called.insert(operations::ADD_NOTE.id);
    let changed = admin
        .admin_change_request_state(
            users::WRITER,
            request_id,
            RequestStatus::ApprovedPendingAction,
        )
        .note("approved")
        .send()
        .await
        .unwrap();
    called.insert(operations::CHANGE_REQUEST_STATE.id);
    assert!(changed.state_change.success);
    assert!(changed.email_alert.success);
    let history = writer.request_history().await.unwrap();
    assert_eq!(history[0].status, RequestStatus::ApprovedPendingAction);
    assert_eq!(
        history[0].ui_friendly_status,
        "request approved, action underway"
    );
    assert!(history[0].notes.contains("checked with the team"));
    assert!(history[0].notes.contains("approved"));
    assert!(writer.pending_requests().await.unwrap().is_empty());

    admin
        .admin_delete_request(users::WRITER, request_id)
        .await
        .unwrap();
    called.insert(operations::DELETE_REQUEST.id);
    assert!(writer.request_history().await.unwrap().is_empty());

    // Groups.
    admin
        .admin_add_group(&group("reef", "Reef team"))
        .await
        .unwrap();
    called.insert(operations::ADMIN_ADD_GROUP.id);
    admin
        .admin_update_group(&group("reef", "Reef scientists"))
        .await
        .unwrap();
    called.insert(operations::ADMIN_UPDATE_GROUP.id);
    admin
        .admin_add_member("reef", &member(users::WRITER))
        .await
        .unwrap();
    called.insert(operations::ADMIN_ADD_MEMBER.id);

    let groups = admin.admin_list_groups().await.unwrap();
    called.insert(operations::ADMIN_LIST_GROUPS.id);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].display_name, "Reef scientists");
    let described = admin.admin_describe_group("reef").await.unwrap();
    called.insert(operations::ADMIN_DESCRIBE_GROUP.id);
    assert_eq!(described, groups[0]);
    let members = admin.admin_list_members("reef").await.unwrap();
    called.insert(operations::ADMIN_LIST_MEMBERS.id);
    assert_eq!(members.users, vec![member(users::WRITER)]);
    let writer_groups = admin.admin_user_groups(users::WRITER).await.unwrap();
    called.insert(operations::ADMIN_LIST_USER_GROUPS.id);
    assert_eq!(writer_groups.len(), 1);
    assert!(admin.admin_is_member("reef", users::WRITER).await.unwrap());
    called.insert(operations::ADMIN_CHECK_MEMBERSHIP.id);
    assert!(!admin.admin_is_member("reef", users::READER).await.unwrap());

    assert_eq!(writer.list_groups().await.unwrap(), groups);
    called.insert(operations::USER_LIST_GROUPS.id);
    assert_eq!(writer.describe_group("reef").await.unwrap(), described);
    called.insert(operations::USER_DESCRIBE_GROUP.id);
    assert_eq!(writer.list_members("reef").await.unwrap(), members);
    called.insert(operations::USER_LIST_MEMBERS.id);
    assert_eq!(writer.my_groups().await.unwrap().len(), 1);
    called.insert(operations::USER_LIST_USER_GROUPS.id);
    assert!(writer.is_member("reef").await.unwrap());
    called.insert(operations::USER_CHECK_MEMBERSHIP.id);
    assert!(!reader.is_member("reef").await.unwrap());
    assert!(reader.my_groups().await.unwrap().is_empty());

    admin
        .admin_remove_member("reef", users::WRITER)
        .await
        .unwrap();
    called.insert(operations::ADMIN_REMOVE_MEMBER.id);
    assert!(!writer.is_member("reef").await.unwrap());
    admin
        .admin_add_member("reef", &member(users::WRITER))
        .await
        .unwrap();
    admin
        .admin_add_member("reef", &member(users::READER))
        .await
        .unwrap();
    admin
        .admin_remove_members("reef", [users::WRITER, users::READER])
        .await
        .unwrap();
    called.insert(operations::ADMIN_REMOVE_MEMBERS.id);
    assert!(
        admin
            .admin_list_members("reef")
            .await
            .unwrap()
            .users
            .is_empty()
    );

    // Export, then import the export plus one new group: trial first, then for real.
    let exported = admin.admin_export_groups().await.unwrap();
    called.insert(operations::GROUPS_EXPORT.id);
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["id"], "reef");
    let mut items = exported.clone();
    items.push(json!({
        "id": "kelp", "display_name": "Kelp", "description": "Kelp people.", "users": []
    }));
    let mut import = GroupsImportRequest {
        allow_entry_deletion: None,
        import_mode: ImportMode::AddOrOverwrite,
        items,
        parse_items: Some(true),
        trial_mode: Some(true),
    };
    let trial = admin.admin_import_groups(&import).await.unwrap();
    called.insert(operations::GROUPS_IMPORT.id);
    assert!(trial.trial_mode);
    let statistics = trial.statistics.unwrap();
    assert_eq!(statistics.new_entries, 1);
    assert_eq!(statistics.overwritten_entries, 1);
    assert_eq!(admin.admin_list_groups().await.unwrap().len(), 1);
    import.trial_mode = Some(false);
    let written = admin.admin_import_groups(&import).await.unwrap();
    assert!(!written.trial_mode);
    assert_eq!(admin.admin_list_groups().await.unwrap().len(), 2);

    let restore = GroupsRestoreRequest {
        allow_entry_deletion: None,
        import_mode: ImportMode::AddOnly,
        parse_items: None,
        trial_mode: None,
    };
    let error = admin
        .admin_restore_groups("provena-user-groups", &restore)
        .await
        .unwrap_err();
    called.insert(operations::GROUPS_RESTORE.id);
    assert!(matches!(error, Error::Unsuccessful(_)), "got {error:?}");
    let error = admin
        .admin_restore_groups("backup-table", &restore)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "got {error:?}");

    admin.admin_remove_group("kelp").await.unwrap();
    called.insert(operations::ADMIN_REMOVE_GROUP.id);
    assert_eq!(admin.admin_list_groups().await.unwrap().len(), 1);

    // User-to-person links.
    insert_person(&double, "10378.1/500", users::WRITER);
    insert_person(&double, "10378.1/501", users::READER);
    assert_eq!(writer.linked_person().await.unwrap(), None);
    called.insert(operations::USER_LINK_USER_LOOKUP.id);
    let validation = writer.validate_person_link("10378.1/500").await.unwrap();
    called.insert(operations::USER_LINK_USER_VALIDATE.id);
    assert!(validation.success, "validation said {}", validation.details);
    writer.link_person("10378.1/500").await.unwrap();
    called.insert(operations::USER_LINK_USER_ASSIGN.id);
    assert_eq!(
        writer.linked_person().await.unwrap().as_deref(),
        Some("10378.1/500")
    );
    assert_eq!(
        reader
            .linked_person_of(users::WRITER)
            .await
            .unwrap()
            .as_deref(),
        Some("10378.1/500")
    );
    let validation = writer.validate_person_link("10378.1/500").await.unwrap();
    assert!(!validation.success);
    assert!(validation.details.contains("already has a person ID"));

    assert_eq!(
        admin
            .admin_linked_person(users::WRITER)
            .await
            .unwrap()
            .as_deref(),
        Some("10378.1/500")
    );
    called.insert(operations::ADMIN_LINK_USER_LOOKUP.id);
    admin
        .admin_link_person(users::READER, "10378.1/501")
        .send()
        .await
        .unwrap();
    called.insert(operations::ADMIN_LINK_USER_ASSIGN.id);
    let taken = admin
        .admin_link_person(users::READER, "10378.1/500")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(taken, Error::BadRequest(_)), "got {taken:?}");
    admin
        .admin_link_person(users::READER, "10378.1/500")
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin.admin_linked_usernames("10378.1/500").await.unwrap(),
        vec![users::READER.to_owned(), users::WRITER.to_owned()]
    );
    called.insert(operations::USER_LINK_REVERSE_LOOKUP.id);
    admin.admin_clear_link(users::READER).await.unwrap();
    called.insert(operations::ADMIN_LINK_USER_CLEAR.id);
    assert_eq!(
        admin.admin_linked_person(users::READER).await.unwrap(),
        None
    );
    // Clearing again, with no link left, still succeeds.
    admin.admin_clear_link(users::READER).await.unwrap();

    let all: BTreeSet<&str> = ALL.iter().map(|operation| operation.id).collect();
    assert_eq!(called, all);
    assert_eq!(ALL.len(), all.len(), "ALL lists an operation twice");
}

#[tokio::test]
async fn non_admin_is_refused_on_admin_routes() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let Clients { writer, reader, .. } = clients(&double);

    let error = writer.admin_list_groups().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "got {error:?}");
    assert_eq!(error.detail(), Some(MISSING_ROLE));
    let error = writer
        .admin_add_group(&group("reef", "Reef"))
        .await
        .unwrap_err();
    assert_eq!(error.detail(), Some(MISSING_ROLE));
    let error = reader.admin_all_requests().await.unwrap_err();
    assert_eq!(error.detail(), Some(MISSING_ROLE));
    let error = reader.admin_clear_link(users::WRITER).await.unwrap_err();
    assert_eq!(error.detail(), Some(MISSING_ROLE));
    let error = reader.admin_export_groups().await.unwrap_err();
    assert_eq!(error.detail(), Some(MISSING_ROLE));
}

#[tokio::test]
async fn unknown_group_is_reported() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let Clients { admin, writer, .. } = clients(&double);

    let error = writer.describe_group("nowhere").await.unwrap_err();
    assert!(matches!(error, Error::Unsuccessful(_)), "got {error:?}");
    assert_eq!(error.detail(), Some("No group with id nowhere was found."));
    let error = admin
        .admin_is_member("nowhere", users::WRITER)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unsuccessful(_)), "got {error:?}");
    let error = admin
        .admin_add_member("nowhere", &member(users::WRITER))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "got {error:?}");
    assert!(error.detail().unwrap_or_default().contains("no such group"));
    let error = admin.admin_remove_group("nowhere").await.unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "got {error:?}");
}

#[tokio::test]
async fn remove_members_is_all_or_nothing() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let Clients { admin, .. } = clients(&double);
    admin.admin_add_group(&group("reef", "Reef")).await.unwrap();
    admin
        .admin_add_member("reef", &member(users::WRITER))
        .await
        .unwrap();

    let error = admin
        .admin_remove_members("reef", [users::WRITER, users::READER])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "got {error:?}");
    assert!(error.detail().unwrap_or_default().contains(users::READER));
    assert!(admin.admin_is_member("reef", users::WRITER).await.unwrap());
}

#[tokio::test]
async fn linking_unowned_person_is_refused() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let Clients { writer, .. } = clients(&double);
    insert_person(&double, "10378.1/700", users::READER);

    let error = writer.link_person("10378.1/700").await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "got {error:?}");
    assert!(error.detail().unwrap_or_default().contains("do not own"));
    let missing = writer.link_person("10378.1/404").await.unwrap_err();
    assert!(matches!(missing, Error::BadRequest(_)), "got {missing:?}");
    let validation = writer.validate_person_link("10378.1/700").await.unwrap();
    assert!(!validation.success);
    assert_eq!(writer.linked_person().await.unwrap(), None);
}

#[tokio::test]
async fn invalid_body_is_validation_error() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let http = double.client(users::ADMIN);
    let change = AccessRequestStatusChange {
        additional_note: None,
        desired_state: RequestStatus::Unknown("MAYBE".to_owned()),
        request_id: 1,
        username: users::WRITER.to_owned(),
    };
    let error = operations::change_request_state(&http, &change, false)
        .await
        .unwrap_err();
    let Error::Validation { fields, .. } = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(fields[0].location, "body.desired_state");
}

#[tokio::test]
async fn empty_arguments_fail_before_sending() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let Clients { admin, writer, .. } = clients(&double);
    let error = writer.link_person("").await.unwrap_err();
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "person_id"),
        "got {error:?}"
    );
    let error = admin.admin_remove_member("reef", " ").await.unwrap_err();
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "username"),
        "got {error:?}"
    );
}
