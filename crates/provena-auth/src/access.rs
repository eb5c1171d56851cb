//! Access requests: the caller's access report, requests for more access, and the
//! administrators' review of requests.

use provena_http::Error;
use provena_models::{
    AccessReport, AccessRequestStatusChange, ChangeStateStatus, DeleteAccessRequest,
    RequestAccessTableItem, RequestAddNote, RequestStatus, Status,
};

use crate::client::{AuthClient, ensure_success, non_empty};
use crate::operations;

impl AuthClient {
    /// Returns the caller's access report: every component's roles, each marked granted or
    /// not from the caller's token.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request, or [`Error::Unsuccessful`].
    pub async fn access_report(&self) -> Result<AccessReport, Error> {
        let response = operations::generate_access_report(&self.http).await?;
        ensure_success(&operations::GENERATE_ACCESS_REPORT, &response.status)?;
        Ok(response.report)
    }

    /// Requests the access described by `desired`, an access report with the wanted roles
    /// marked granted (start from [`access_report`](Self::access_report)). The request is
    /// stored as pending approval; with `send_email`, the service also emails its
    /// administrators.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when `desired` grants nothing new or the caller already has a
    /// pending request; any other [`Error`] from the request.
    pub async fn request_access_change(
        &self,
        desired: &AccessReport,
        send_email: bool,
    ) -> Result<Status, Error> {
        let response = operations::request_access_change(&self.http, desired, send_email).await?;
        ensure_success(&operations::REQUEST_ACCESS_CHANGE, &response.status)?;
        Ok(response.status)
    }

    /// Returns all of the caller's access requests.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request.
    pub async fn request_history(&self) -> Result<Vec<RequestAccessTableItem>, Error> {
        Ok(operations::get_requests(&self.http).await?.items)
    }

    /// Returns the caller's access requests still pending approval.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request.
    pub async fn pending_requests(&self) -> Result<Vec<RequestAccessTableItem>, Error> {
        Ok(operations::get_pending_requests(&self.http).await?.items)
    }

    /// Returns every user's access requests (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_all_requests(&self) -> Result<Vec<RequestAccessTableItem>, Error> {
        Ok(operations::get_all_requests(&self.http).await?.items)
    }

    /// Returns every user's access requests still pending approval (needs
    /// `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_all_pending_requests(&self) -> Result<Vec<RequestAccessTableItem>, Error> {
        Ok(operations::get_all_pending_requests(&self.http)
            .await?
            .items)
    }

    /// Returns the access requests of `username` (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `username` is empty; [`Error::Unauthorized`] without the role.
    pub async fn admin_user_requests(
        &self,
        username: &str,
    ) -> Result<Vec<RequestAccessTableItem>, Error> {
        non_empty("username", username)?;
        Ok(operations::get_all_requests_for_user(&self.http, username)
            .await?
            .items)
    }

    /// Returns the access requests of `username` still pending approval (needs
    /// `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `username` is empty; [`Error::Unauthorized`] without the role.
    pub async fn admin_user_pending_requests(
        &self,
        username: &str,
    ) -> Result<Vec<RequestAccessTableItem>, Error> {
        non_empty("username", username)?;
        Ok(
            operations::get_all_pending_requests_for_user(&self.http, username)
                .await?
                .items,
        )
    }

    /// Appends `note` to request `request_id` of `username` (needs `sys-admin-write`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such request; [`Error::Config`] when an
    /// argument is empty.
    pub async fn admin_add_note(
        &self,
        username: &str,
        request_id: i64,
        note: &str,
    ) -> Result<(), Error> {
        non_empty("username", username)?;
        non_empty("note", note)?;
        let request = RequestAddNote {
            note: note.to_owned(),
            request_id,
            username: username.to_owned(),
        };
        let status = operations::add_note(&self.http, &request).await?;
        ensure_success(&operations::ADD_NOTE, &status)
    }

    /// Starts moving request `request_id` of `username` to `desired` (needs
    /// `sys-admin-write`). Add a note or an email alert on the returned builder, then call
    /// [`ChangeRequestState::send`].
    pub fn admin_change_request_state(
        &self,
        username: &str,
        request_id: i64,
        desired: RequestStatus,
    ) -> ChangeRequestState {
        ChangeRequestState {
            client: self.clone(),
            username: username.to_owned(),
            request_id,
            desired,
            note: None,
            send_email_alert: false,
        }
    }

    /// Deletes request `request_id` of `username` (needs `sys-admin-admin`). The service
    /// reports success even when no such request exists.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `username` is empty; [`Error::Unauthorized`] without the role.
    pub async fn admin_delete_request(&self, username: &str, request_id: i64) -> Result<(), Error> {
        non_empty("username", username)?;
        let request = DeleteAccessRequest {
            request_id,
            username: username.to_owned(),
        };
        let status = operations::delete_request(&self.http, &request).await?;
        ensure_success(&operations::DELETE_REQUEST, &status)
    }
}

/// A change of an access request's state, built by
/// [`AuthClient::admin_change_request_state`].
#[derive(Debug, Clone)]
#[must_use = "a state change does nothing until it is sent"]
pub struct ChangeRequestState {
    client: AuthClient,
    username: String,
    request_id: i64,
    desired: RequestStatus,
    note: Option<String>,
    send_email_alert: bool,
}

impl ChangeRequestState {
    /// Appends `note` to the request along with the change.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Asks the service to email the requester about the change (off by default).
    pub fn send_email_alert(mut self, send: bool) -> Self {
        self.send_email_alert = send;
        self
    }

    /// Sends the change. The returned value reports whether the email alert went out; a
    /// request already in the desired state is left alone and reported as a success.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when there is no such request; [`Error::Config`] when the
    /// username is empty; [`Error::Unauthorized`] without `sys-admin-write`.
    pub async fn send(self) -> Result<ChangeStateStatus, Error> {
        non_empty("username", &self.username)?;
        let change = AccessRequestStatusChange {
            additional_note: self.note,
            desired_state: self.desired,
            request_id: self.request_id,
            username: self.username,
        };
        let outcome =
            operations::change_request_state(&self.client.http, &change, self.send_email_alert)
                .await?;
        ensure_success(&operations::CHANGE_REQUEST_STATE, &outcome.state_change)?;
        Ok(outcome)
    }
}
