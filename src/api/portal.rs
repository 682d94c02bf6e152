//! Server functions of the customer portal (under `/api/fn/portal/`, which only portal users
//! may enter).

use crate::domain::admin::{PasswordChange, PasswordChanged};
use crate::domain::error::AppError;
use crate::domain::portal::{
    NewPortalTicket, PortalMe, PortalProfilePatch, PortalReply, PortalTicket, PortalTicketDetail,
    PortalTicketPatch,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::auth::portal as own, crate::server::support::portal};

#[server(prefix = "/api/fn/portal", input = Json)]
pub async fn get_portal_profile() -> Result<PortalMe, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(own::me(&state, &principal).await)
}

#[server(prefix = "/api/fn/portal/w", input = Json)]
pub async fn save_portal_profile(patch: PortalProfilePatch) -> Result<PortalMe, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(own::update_me(&state, &principal, &ctx::client(), patch).await)
}

#[server(prefix = "/api/fn/portal/w", input = Json)]
pub async fn change_portal_password(input: PasswordChange) -> Result<PasswordChanged, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(own::change_password(&state, &principal, &ctx::client(), &input).await)
}

#[server(prefix = "/api/fn/portal/w", input = Json)]
pub async fn end_other_portal_sessions() -> Result<u64, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(own::end_other_sessions(&state, &principal, &ctx::client()).await)
}

#[server(prefix = "/api/fn/portal", input = Json)]
pub async fn list_portal_tickets() -> Result<Vec<PortalTicket>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::tickets(&state, &principal).await)
}

#[server(prefix = "/api/fn/portal", input = Json)]
pub async fn get_portal_ticket(id: Uuid) -> Result<PortalTicketDetail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::ticket(&state, &principal, id).await)
}

#[server(prefix = "/api/fn/portal/w", input = Json)]
pub async fn open_portal_ticket(input: NewPortalTicket) -> Result<PortalTicketDetail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::open_ticket(&state, &principal, &ctx::client(), input).await)
}

#[server(prefix = "/api/fn/portal/w", input = Json)]
pub async fn reply_portal_ticket(
    id: Uuid,
    input: PortalReply,
) -> Result<PortalTicketDetail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::reply(&state, &principal, &ctx::client(), id, input).await)
}

#[server(prefix = "/api/fn/portal/w", input = Json)]
pub async fn resolve_portal_ticket(
    id: Uuid,
    patch: PortalTicketPatch,
) -> Result<PortalTicketDetail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::update_ticket(&state, &principal, &ctx::client(), id, patch).await)
}
