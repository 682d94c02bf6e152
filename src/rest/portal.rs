//! `/api/portal/*`: what a signed-in prospect or client may do, scoped by their session.

use super::extract::{Body, RecordId};
use crate::domain::admin::{PasswordChange, PasswordChanged};
use crate::domain::error::{AppResult, ErrorBody};
use crate::domain::portal::{
    NewPortalTicket, PortalMe, PortalProfilePatch, PortalReply, PortalTicket, PortalTicketDetail,
    PortalTicketPatch,
};
use crate::server::auth::portal as own;
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use crate::server::support::portal;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, utoipa::ToSchema)]
struct Tickets {
    tickets: Vec<PortalTicket>,
}

/// A prospect's own tickets; a client's every ticket of their account.
#[utoipa::path(get, path = "/api/portal/tickets", tag = "portal",
    responses((status = 200, body = Tickets), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Tickets>> {
    Ok(Json(Tickets {
        tickets: portal::tickets(&state, &principal).await?,
    }))
}

#[utoipa::path(post, path = "/api/portal/tickets", tag = "portal", request_body = NewPortalTicket,
    responses((status = 201, body = PortalTicketDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<NewPortalTicket>,
) -> AppResult<(StatusCode, Json<PortalTicketDetail>)> {
    Ok((
        StatusCode::CREATED,
        Json(portal::open_ticket(&state, &principal, &client, input).await?),
    ))
}

/// A ticket with its public replies (internal notes never appear here).
#[utoipa::path(get, path = "/api/portal/tickets/{id}", tag = "portal", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PortalTicketDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<PortalTicketDetail>> {
    Ok(Json(portal::ticket(&state, &principal, id).await?))
}

/// Marks the ticket resolved (`{"status":"resolved"}`), the one change a customer makes.
#[utoipa::path(put, path = "/api/portal/tickets/{id}", tag = "portal", params(("id" = uuid::Uuid, Path)), request_body = PortalTicketPatch,
    responses((status = 200, body = PortalTicketDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(patch): Body<PortalTicketPatch>,
) -> AppResult<Json<PortalTicketDetail>> {
    Ok(Json(
        portal::update_ticket(&state, &principal, &client, id, patch).await?,
    ))
}

#[utoipa::path(post, path = "/api/portal/tickets/{id}/comments", tag = "portal", params(("id" = uuid::Uuid, Path)), request_body = PortalReply,
    responses((status = 201, body = PortalTicketDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn reply(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(input): Body<PortalReply>,
) -> AppResult<(StatusCode, Json<PortalTicketDetail>)> {
    Ok((
        StatusCode::CREATED,
        Json(portal::reply(&state, &principal, &client, id, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/portal/me", tag = "portal",
    responses((status = 200, body = PortalMe), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn me(State(state): State<AppState>, principal: Principal) -> AppResult<Json<PortalMe>> {
    Ok(Json(own::me(&state, &principal).await?))
}

/// Changes the signed-in contact's own name, phone and title.
#[utoipa::path(put, path = "/api/portal/me", tag = "portal", request_body = PortalProfilePatch,
    responses((status = 200, body = PortalMe), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(patch): Body<PortalProfilePatch>,
) -> AppResult<Json<PortalMe>> {
    Ok(Json(
        own::update_me(&state, &principal, &client, patch).await?,
    ))
}

/// Changes the portal user's own password (the current one is required) and ends their other
/// portal sessions.
#[utoipa::path(post, path = "/api/portal/me/password", tag = "portal", request_body = PasswordChange,
    responses((status = 200, body = PasswordChanged), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<PasswordChange>,
) -> AppResult<Json<PasswordChanged>> {
    Ok(Json(
        own::change_password(&state, &principal, &client, &input).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Ended {
    ended: u64,
}

/// Ends every portal session of the signed-in customer but this one.
#[utoipa::path(delete, path = "/api/portal/me/sessions", tag = "portal",
    responses((status = 200, body = Ended), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn end_other_sessions(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
) -> AppResult<Json<Ended>> {
    Ok(Json(Ended {
        ended: own::end_other_sessions(&state, &principal, &client).await?,
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(reply))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(end_other_sessions))
}
