//! User-to-person links: which registry Person a user account stands for. Creating
//! versioned registry items needs one.

use provena_http::Error;
use provena_models::{
    AdminLinkUserAssignRequest, Status, UserLinkUserAssignRequest, UserLinkUserValidateRequest,
};

use crate::client::{AuthClient, non_empty};
use crate::operations;

impl AuthClient {
    /// Returns the id of the Person the caller is linked to, or `None` when there is no
    /// link.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request.
    pub async fn linked_person(&self) -> Result<Option<String>, Error> {
        let response = operations::user_link_user_lookup(&self.http, None).await?;
        Ok(response.person_id.filter(|_| response.success))
    }

    /// Returns the id of the Person `username` is linked to, or `None` when there is no
    /// link. Any signed-in user may look up any username.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `username` is empty, or any [`Error`] from the request.
    pub async fn linked_person_of(&self, username: &str) -> Result<Option<String>, Error> {
        non_empty("username", username)?;
        let response = operations::user_link_user_lookup(&self.http, Some(username)).await?;
        Ok(response.person_id.filter(|_| response.success))
    }

    /// Links the caller to Person `person_id`, which the caller must own. A link, once
    /// made, can only be changed by an administrator.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when the caller is already linked or the Person cannot be
    /// found; [`Error::Unauthorized`] when the caller does not own the Person.
    pub async fn link_person(&self, person_id: &str) -> Result<(), Error> {
        non_empty("person_id", person_id)?;
        let request = UserLinkUserAssignRequest {
            person_id: person_id.to_owned(),
        };
        operations::user_link_user_assign(&self.http, &request).await
    }

    /// Checks whether [`link_person`](Self::link_person) would succeed, without changing
    /// anything. The returned status explains why not when `success` is `false`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `person_id` is empty, or any [`Error`] from the request.
    pub async fn validate_person_link(&self, person_id: &str) -> Result<Status, Error> {
        non_empty("person_id", person_id)?;
        let request = UserLinkUserValidateRequest {
            person_id: person_id.to_owned(),
        };
        Ok(operations::user_link_user_validate(&self.http, &request)
            .await?
            .status)
    }

    /// Returns the id of the Person `username` is linked to, or `None` (needs
    /// `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_linked_person(&self, username: &str) -> Result<Option<String>, Error> {
        non_empty("username", username)?;
        let response = operations::admin_link_user_lookup(&self.http, username).await?;
        Ok(response.person_id.filter(|_| response.success))
    }

    /// Returns the usernames linked to Person `person_id` (needs `sys-admin-read`).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other [`Error`].
    pub async fn admin_linked_usernames(&self, person_id: &str) -> Result<Vec<String>, Error> {
        non_empty("person_id", person_id)?;
        Ok(operations::user_link_reverse_lookup(&self.http, person_id)
            .await?
            .usernames)
    }

    /// Starts linking `username` to Person `person_id` as an administrator (needs
    /// `sys-admin-write`). Choose overwriting and Person checks on the returned builder,
    /// then call [`AdminLink::send`].
    pub fn admin_link_person(&self, username: &str, person_id: &str) -> AdminLink {
        AdminLink {
            client: self.clone(),
            username: username.to_owned(),
            person_id: person_id.to_owned(),
            force: false,
            validate_item: true,
        }
    }

    /// Removes the link of `username` (needs `sys-admin-write`). Clearing a username
    /// without a link succeeds.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `username` is empty; [`Error::Unauthorized`] without the role.
    pub async fn admin_clear_link(&self, username: &str) -> Result<(), Error> {
        non_empty("username", username)?;
        operations::admin_link_user_clear(&self.http, username).await
    }
}

/// An administrator's link of a user to a Person, built by
/// [`AuthClient::admin_link_person`].
#[derive(Debug, Clone)]
#[must_use = "a link does nothing until it is sent"]
pub struct AdminLink {
    client: AuthClient,
    username: String,
    person_id: String,
    force: bool,
    validate_item: bool,
}

impl AdminLink {
    /// Replaces an existing link instead of failing (off by default).
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Checks that the Person exists in the registry before linking (on by default).
    pub fn validate_item(mut self, validate: bool) -> Self {
        self.validate_item = validate;
        self
    }

    /// Sends the link.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when the user is already linked and `force` is off, or the
    /// Person cannot be found; [`Error::Config`] when an argument is empty.
    pub async fn send(self) -> Result<(), Error> {
        non_empty("username", &self.username)?;
        non_empty("person_id", &self.person_id)?;
        let request = AdminLinkUserAssignRequest {
            force: Some(self.force),
            person_id: self.person_id,
            username: self.username,
            validate_item: Some(self.validate_item),
        };
        operations::admin_link_user_assign(&self.client.http, &request).await
    }
}
