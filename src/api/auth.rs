//! Who am I, and is this one-time link still good.

use crate::domain::error::AppError;
use crate::domain::user::{LinkPurpose, Me};
use leptos::prelude::*;

/// The signed-in person (and the admin behind them when impersonating).
#[server(prefix = "/api/fn", endpoint = "current_user", input = leptos::server_fn::codec::Json)]
pub async fn current_user() -> Result<Me, AppError> {
    use super::ctx;
    let (_, principal) = ctx::request().await?;
    ctx::answer(crate::server::policy::me(&principal).ok_or_else(AppError::unauthorized))
}

/// Whether a setup or set-password link can still be used, so its page can say so up front.
#[server(prefix = "/api/fn", endpoint = "link_status", input = leptos::server_fn::codec::Json)]
pub async fn link_status(token: String, purpose: LinkPurpose) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::auth::service;
    use crate::server::db::tokens::Purpose;
    let (state, _) = ctx::request().await?;
    let purpose = match purpose {
        LinkPurpose::Setup => Purpose::Setup,
        LinkPurpose::SetPassword => Purpose::SetPassword,
        LinkPurpose::PortalInvite => {
            return ctx::answer(crate::server::auth::portal::check_invite(&state, &token).await);
        }
    };
    ctx::answer(service::check_link(&state, &token, purpose).await)
}

/// Whether this CRM sends mail (the "forgot password" page says so when it does not).
#[server(prefix = "/api/fn", endpoint = "sends_mail", input = leptos::server_fn::codec::Json)]
pub async fn sends_mail() -> Result<bool, AppError> {
    use super::ctx;
    let (state, _) = ctx::request().await?;
    ctx::answer(Ok(state.sends_mail()))
}

/// The time zones and formats a signed-in person may choose from, and the defaults.
#[server(prefix = "/api/fn", endpoint = "regional_options", input = leptos::server_fn::codec::Json)]
pub async fn regional_options() -> Result<crate::domain::regional::RegionalOptions, AppError> {
    use super::ctx;
    let (state, principal) = ctx::request().await?;
    if matches!(principal, crate::server::principal::Principal::Anonymous) {
        return ctx::answer(Err(AppError::unauthorized()));
    }
    ctx::answer(Ok(crate::server::regional::options(&state.config)))
}
