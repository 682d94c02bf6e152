//! Server functions for the support queue, ticket pages, portal access on contacts, SLA
//! settings and kickoff forms (staff side).

use crate::domain::error::AppError;
use crate::domain::form::{FormDef, FormInput};
use crate::domain::portal::{PortalAccess, PortalInvite};
use crate::domain::ticket::{
    NewComment, NewTicket, SlaPolicy, Ticket, TicketComment, TicketDetail, TicketList, TicketPatch,
    TicketQuery,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    super::ctx,
    crate::server::support::{forms, portal, tickets},
};

#[server(prefix = "/api/fn", input = Json)]
pub async fn list_tickets(query: TicketQuery) -> Result<TicketList, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::list(&state, &principal, &query).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn get_ticket(id: Uuid) -> Result<TicketDetail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::detail(&state, &principal, id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn create_ticket(input: NewTicket) -> Result<Ticket, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::create(&state, &principal, &ctx::client(), input).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn update_ticket(id: Uuid, patch: TicketPatch) -> Result<Ticket, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::update(&state, &principal, &ctx::client(), id, patch).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn comment_ticket(id: Uuid, input: NewComment) -> Result<TicketComment, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::comment(&state, &principal, &ctx::client(), id, input).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn sla_policies() -> Result<Vec<SlaPolicy>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::sla_policies(&state, &principal).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn save_sla_policies(policies: Vec<SlaPolicy>) -> Result<Vec<SlaPolicy>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(tickets::save_sla_policies(&state, &principal, &ctx::client(), policies).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn get_portal_access(contact_id: Uuid) -> Result<PortalAccess, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::access(&state, &principal, contact_id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn invite_to_portal(contact_id: Uuid) -> Result<PortalInvite, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::invite(&state, &principal, &ctx::client(), contact_id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn disable_portal(contact_id: Uuid) -> Result<PortalAccess, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(portal::disable(&state, &principal, &ctx::client(), contact_id).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn list_forms() -> Result<Vec<FormDef>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(forms::list(&state, &principal).await)
}

/// Creates a form (`id` empty) or saves one (`id` and the `version` read).
#[server(prefix = "/api/fn/w", input = Json)]
pub async fn save_form(
    id: Option<Uuid>,
    version: i64,
    input: FormInput,
) -> Result<FormDef, AppError> {
    let (state, principal) = ctx::request().await?;
    let client = ctx::client();
    ctx::answer(match id {
        None => forms::create(&state, &principal, &client, input).await,
        Some(id) => forms::update(&state, &principal, &client, id, version, input).await,
    })
}
