//! User groups: listing and membership for any signed-in user, and group management,
//! export, import and restore for administrators.

use provena_http::Error;
use provena_models::{
    GroupUser, GroupsImportRequest, GroupsImportResponse, GroupsRestoreRequest,
    RemoveMembersRequest, UserGroup, UserGroupMetadata,
};

use crate::client::{AuthClient, ensure_success, non_empty};
use crate::operations;

impl AuthClient {
    /// Returns every group's metadata.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request, or [`Error::Unsuccessful`].
    pub async fn list_groups(&self) -> Result<Vec<UserGroupMetadata>, Error> {
        let response = operations::user_list_groups(&self.http).await?;
        ensure_success(&operations::USER_LIST_GROUPS, &response.status)?;
        Ok(response.groups.unwrap_or_default())
    }

    /// Returns the metadata of group `id`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such group.
    pub async fn describe_group(&self, id: &str) -> Result<UserGroupMetadata, Error> {
        non_empty("id", id)?;
        let response = operations::user_describe_group(&self.http, id).await?;
        ensure_success(&operations::USER_DESCRIBE_GROUP, &response.status)?;
        response
            .group
            .ok_or_else(|| missing_field(&operations::USER_DESCRIBE_GROUP, "group"))
    }

    /// Returns group `id` with its members.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such group.
    pub async fn list_members(&self, id: &str) -> Result<UserGroup, Error> {
        non_empty("id", id)?;
        let response = operations::user_list_members(&self.http, id).await?;
        ensure_success(&operations::USER_LIST_MEMBERS, &response.status)?;
        response
            .group
            .ok_or_else(|| missing_field(&operations::USER_LIST_MEMBERS, "group"))
    }

    /// Returns the metadata of the groups the caller belongs to.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request, or [`Error::Unsuccessful`].
    pub async fn my_groups(&self) -> Result<Vec<UserGroupMetadata>, Error> {
        let response = operations::user_list_user_groups(&self.http).await?;
        ensure_success(&operations::USER_LIST_USER_GROUPS, &response.status)?;
        Ok(response.groups.unwrap_or_default())
    }

    /// Reports whether the caller belongs to group `group_id`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such group.
    pub async fn is_member(&self, group_id: &str) -> Result<bool, Error> {
        non_empty("group_id", group_id)?;
        let response = operations::user_check_membership(&self.http, group_id).await?;
        ensure_success(&operations::USER_CHECK_MEMBERSHIP, &response.status)?;
        Ok(response.is_member.unwrap_or(false))
    }

    /// Returns every group's metadata (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_list_groups(&self) -> Result<Vec<UserGroupMetadata>, Error> {
        let response = operations::admin_list_groups(&self.http).await?;
        ensure_success(&operations::ADMIN_LIST_GROUPS, &response.status)?;
        Ok(response.groups.unwrap_or_default())
    }

    /// Returns the metadata of group `id` (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such group; [`Error::Unauthorized`] without
    /// the role.
    pub async fn admin_describe_group(&self, id: &str) -> Result<UserGroupMetadata, Error> {
        non_empty("id", id)?;
        let response = operations::admin_describe_group(&self.http, id).await?;
        ensure_success(&operations::ADMIN_DESCRIBE_GROUP, &response.status)?;
        response
            .group
            .ok_or_else(|| missing_field(&operations::ADMIN_DESCRIBE_GROUP, "group"))
    }

    /// Returns group `id` with its members (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such group; [`Error::Unauthorized`] without
    /// the role.
    pub async fn admin_list_members(&self, id: &str) -> Result<UserGroup, Error> {
        non_empty("id", id)?;
        let response = operations::admin_list_members(&self.http, id).await?;
        ensure_success(&operations::ADMIN_LIST_MEMBERS, &response.status)?;
        response
            .group
            .ok_or_else(|| missing_field(&operations::ADMIN_LIST_MEMBERS, "group"))
    }

    /// Returns the metadata of the groups `username` belongs to (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_user_groups(&self, username: &str) -> Result<Vec<UserGroupMetadata>, Error> {
        non_empty("username", username)?;
        let response = operations::admin_list_user_groups(&self.http, username).await?;
        ensure_success(&operations::ADMIN_LIST_USER_GROUPS, &response.status)?;
        Ok(response.groups.unwrap_or_default())
    }

    /// Reports whether `username` belongs to group `group_id` (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such group; [`Error::Unauthorized`] without
    /// the role.
    pub async fn admin_is_member(&self, group_id: &str, username: &str) -> Result<bool, Error> {
        non_empty("group_id", group_id)?;
        non_empty("username", username)?;
        let response = operations::admin_check_membership(&self.http, group_id, username).await?;
        ensure_success(&operations::ADMIN_CHECK_MEMBERSHIP, &response.status)?;
        Ok(response.is_member.unwrap_or(false))
    }

    /// Adds `user` to group `group_id` (needs `sys-admin-write`).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when there is no such group or the user is already a member.
    pub async fn admin_add_member(&self, group_id: &str, user: &GroupUser) -> Result<(), Error> {
        non_empty("group_id", group_id)?;
        non_empty("username", &user.username)?;
        let response = operations::admin_add_member(&self.http, group_id, user).await?;
        ensure_success(&operations::ADMIN_ADD_MEMBER, &response.status)
    }

    /// Removes `username` from group `group_id` (needs `sys-admin-write`).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when there is no such group or the user is not a member.
    pub async fn admin_remove_member(&self, group_id: &str, username: &str) -> Result<(), Error> {
        non_empty("group_id", group_id)?;
        non_empty("username", username)?;
        let response = operations::admin_remove_member(&self.http, group_id, username).await?;
        ensure_success(&operations::ADMIN_REMOVE_MEMBER, &response.status)
    }

    /// Removes every user in `usernames` from group `group_id`, or none of them when any is
    /// not a member (needs `sys-admin-write`).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] naming the first username that is not a member, or when there
    /// is no such group.
    pub async fn admin_remove_members<I, S>(
        &self,
        group_id: &str,
        usernames: I,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        non_empty("group_id", group_id)?;
        let request = RemoveMembersRequest {
            group_id: group_id.to_owned(),
            member_usernames: usernames.into_iter().map(Into::into).collect(),
        };
        let response = operations::admin_remove_members(&self.http, &request).await?;
        ensure_success(&operations::ADMIN_REMOVE_MEMBERS, &response.status)
    }

    /// Creates a group with no members (needs `sys-admin-write`).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when a group with that id exists; [`Error::Config`] when the id
    /// is empty.
    pub async fn admin_add_group(&self, group: &UserGroupMetadata) -> Result<(), Error> {
        non_empty("id", &group.id)?;
        let response = operations::admin_add_group(&self.http, group).await?;
        ensure_success(&operations::ADMIN_ADD_GROUP, &response.status)
    }

    /// Replaces the metadata of the group with `group.id`, keeping its members (needs
    /// `sys-admin-write`).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when there is no such group.
    pub async fn admin_update_group(&self, group: &UserGroupMetadata) -> Result<(), Error> {
        non_empty("id", &group.id)?;
        let response = operations::admin_update_group(&self.http, group).await?;
        ensure_success(&operations::ADMIN_UPDATE_GROUP, &response.status)
    }

    /// Deletes group `id` (needs `sys-admin-admin`).
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when there is no such group.
    pub async fn admin_remove_group(&self, id: &str) -> Result<(), Error> {
        non_empty("id", id)?;
        let response = operations::admin_remove_group(&self.http, id).await?;
        ensure_success(&operations::ADMIN_REMOVE_GROUP, &response.status)
    }

    /// Exports every group with its members as raw table entries, for
    /// [`admin_import_groups`](Self::admin_import_groups) (needs `sys-admin-admin`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_export_groups(&self) -> Result<Vec<serde_json::Value>, Error> {
        let response = operations::groups_export(&self.http).await?;
        ensure_success(&operations::GROUPS_EXPORT, &response.status)?;
        Ok(response.items.unwrap_or_default())
    }

    /// Imports exported groups as `request` directs (needs `sys-admin-admin`). With
    /// `trial_mode` set the service only reports what would change.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when an entry is invalid or the mode forbids a change; the
    /// detail names the problem.
    pub async fn admin_import_groups(
        &self,
        request: &GroupsImportRequest,
    ) -> Result<GroupsImportResponse, Error> {
        let response = operations::groups_import(&self.http, request).await?;
        ensure_success(&operations::GROUPS_IMPORT, &response.status)?;
        Ok(response)
    }

    /// Loads groups from the groups table `table_name` as `request` directs (needs
    /// `sys-admin-admin`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when the table cannot be read or the mode forbids a change.
    pub async fn admin_restore_groups(
        &self,
        table_name: &str,
        request: &GroupsRestoreRequest,
    ) -> Result<GroupsImportResponse, Error> {
        non_empty("table_name", table_name)?;
        let response = operations::groups_restore(&self.http, table_name, request).await?;
        ensure_success(&operations::GROUPS_RESTORE, &response.status)?;
        Ok(response)
    }
}

/// Builds the error for a successful response that lacks a field it should carry.
fn missing_field(operation: &provena_http::Operation, field: &str) -> Error {
    Error::Decode {
        service: operation.service,
        method: operation.method.clone(),
        path: operation.path.to_owned(),
        json_path: field.to_owned(),
        message: String::from("missing from a successful response"),
        snippet: String::new(),
    }
}
