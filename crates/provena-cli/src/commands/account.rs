//! `login`, `logout` and `whoami`.

use std::path::Path;

use serde_json::json;

use crate::cli::Global;
use crate::client;
use crate::exit::Failure;
use crate::output::Output;

/// The variables that choose a sign-in method over the stored sign-in.
const METHOD_VARIABLES: [&str; 4] = [
    "PROVENA_TOKEN",
    "PROVENA_OFFLINE_TOKEN",
    "PROVENA_OFFLINE_TOKEN_FILE",
    "PROVENA_CLIENT_SECRET",
];

/// Signs in with the device flow (or checks an offline token) and shows who signed in.
pub async fn login(
    global: &Global,
    offline_token_file: Option<&Path>,
    out: Output,
) -> Result<(), Failure> {
    let provena = match offline_token_file {
        Some(path) => client::with_offline_token_file(global, path)?,
        None => {
            client::check_token_store()?;
            client::for_login(global)?
        }
    };
    let session = provena
        .session()
        .ok_or_else(|| Failure::usage("this sign-in method has no session to start"))?;
    let claims = session
        .sign_in()
        .await
        .map_err(|error| Failure::from(error).locate(provena.endpoints()))?;
    let username = claims.as_ref().and_then(|claims| claims.username.clone());
    out.emit(
        &json!({ "signed_in": true, "username": username }),
        || match &username {
            Some(name) => format!("Signed in as {name}."),
            None => String::from("Signed in."),
        },
    )?;
    match offline_token_file {
        Some(path) => out.note(&format!(
            "The offline token works. It was not copied anywhere: set PROVENA_OFFLINE_TOKEN_FILE={} for later commands.",
            path.display()
        )),
        None => {
            if let Some(variable) = method_variable() {
                out.note(&format!(
                    "{variable} is set, so later commands sign in with it instead; unset it to use this sign-in."
                ));
            }
        }
    }
    Ok(())
}

/// Forgets the sign-in stored by `provena login`.
pub async fn logout(global: &Global, out: Output) -> Result<(), Failure> {
    // The stored entry belongs to the device flow, whatever the environment chooses.
    let provena = client::for_login(global)?;
    if let Some(session) = provena.session() {
        session.sign_out().await?;
    }
    out.emit(&json!({ "signed_out": true }), || {
        String::from("Signed out: the stored sign-in is removed.")
    })?;
    if let Some(variable) = method_variable() {
        out.note(&format!(
            "{variable} is still set and signs in later commands; unset it too."
        ));
    }
    Ok(())
}

/// Shows the signed-in user's name, email and roles.
pub async fn whoami(global: &Global, out: Output) -> Result<(), Failure> {
    let provena = client::build(global)?;
    identify(&provena, out)
        .await
        .map_err(|failure| failure.locate(provena.endpoints()))
}

async fn identify(provena: &provena::Provena, out: Output) -> Result<(), Failure> {
    let claims = match provena.session() {
        Some(session) => {
            provena::TokenProvider::access_token(session).await?;
            session.claims()
        }
        None => None,
    };
    let (username, email, roles) = match claims {
        Some(claims) => (claims.username, claims.email, claims.roles),
        // A fixed token, or tokens loaded from the store without their claims: ask a
        // service whom the token belongs to, which also checks it.
        None => {
            let user = provena.auth().check_general_access().await?;
            (Some(user.username), user.email, user.roles)
        }
    };
    let summary = json!({ "username": username, "email": email, "roles": roles });
    out.emit(&summary, || {
        let mut text = format!("username: {}", username.as_deref().unwrap_or("-"));
        if let Some(email) = &email {
            text.push_str(&format!("\nemail: {email}"));
        }
        if !roles.is_empty() {
            text.push_str(&format!("\nroles: {}", roles.join(", ")));
        }
        text
    })
}

/// Returns the first variable that chooses a sign-in method, when one is set.
fn method_variable() -> Option<&'static str> {
    METHOD_VARIABLES
        .into_iter()
        .find(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}
