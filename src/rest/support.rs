//! `/api/crm/tickets*`, SLA policies, portal invites, and the admin's kickoff forms: the
//! support side for integrations, on the same server code as the pages.

use super::extract::{Body, Params, RecordId};
use crate::domain::error::{AppResult, ErrorBody};
use crate::domain::form::{FormDef, FormInput};
use crate::domain::portal::{PortalAccess, PortalInvite};
use crate::domain::ticket::{
    MailAttachment, NewComment, NewTicket, SlaPolicy, Ticket, TicketComment, TicketList,
    TicketPatch, TicketQuery,
};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use crate::server::support::{forms, portal, received, tickets};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The support queue: working tickets (new, open, pending) by the time their next SLA target
/// is due; filters narrow it. Sales people see the tickets of the accounts they own.
#[utoipa::path(get, path = "/api/crm/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = TicketList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<TicketQuery>,
) -> AppResult<Json<TicketList>> {
    Ok(Json(tickets::list(&state, &principal, &q).await?))
}

#[utoipa::path(post, path = "/api/crm/tickets", tag = "tickets", request_body = NewTicket,
    responses((status = 201, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<NewTicket>,
) -> AppResult<(StatusCode, Json<Ticket>)> {
    Ok((
        StatusCode::CREATED,
        Json(tickets::create(&state, &principal, &client, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/crm/tickets/{id}", tag = "tickets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<Ticket>> {
    Ok(Json(tickets::get(&state, &principal, id).await?))
}

/// Edits a ticket: subject, description, priority (new due times from when it opened),
/// status (allowed transitions only), assignee. `version` must be the one read.
#[utoipa::path(put, path = "/api/crm/tickets/{id}", tag = "tickets", params(("id" = uuid::Uuid, Path)), request_body = TicketPatch,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(patch): Body<TicketPatch>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(
        tickets::update(&state, &principal, &client, id, patch).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Comments {
    comments: Vec<TicketComment>,
}

/// Every comment of a ticket, internal notes included (staff only).
#[utoipa::path(get, path = "/api/crm/tickets/{id}/comments", tag = "tickets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Comments), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn comments(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<Comments>> {
    let detail = tickets::detail(&state, &principal, id).await?;
    Ok(Json(Comments {
        comments: detail.comments,
    }))
}

/// A public reply (`"public": true`, the customer sees it; the first one sets
/// `first_response_at`) or an internal note (the default; never shown in the portal).
#[utoipa::path(post, path = "/api/crm/tickets/{id}/comments", tag = "tickets", params(("id" = uuid::Uuid, Path)), request_body = NewComment,
    responses((status = 201, body = TicketComment), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn comment(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(input): Body<NewComment>,
) -> AppResult<(StatusCode, Json<TicketComment>)> {
    Ok((
        StatusCode::CREATED,
        Json(tickets::comment(&state, &principal, &client, id, input).await?),
    ))
}

/// The files that came with the ticket's mail (`stored: false`: larger than the CRM keeps as
/// a file; it is then only in the stored message).
#[utoipa::path(get, path = "/api/crm/tickets/{id}/attachments", tag = "tickets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<MailAttachment>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn attachments(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<Vec<MailAttachment>>> {
    Ok(Json(received::attachments(&state, &principal, id).await?))
}

/// A file's name as a download names it: no quotes, slashes or control characters in the
/// plain form, and the exact name (UTF-8, percent-encoded) for browsers that read RFC 6266.
fn disposition(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' | '/' | ';' => '_',
            c if c.is_control() || !c.is_ascii() => '_',
            c => c,
        })
        .collect();
    let exact: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}

/// A download: never shown inline, whatever the sender said the file was.
fn download_of(name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition(name)),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// One file of the ticket, as a download (`application/octet-stream`, whatever its type).
/// 409 when it was larger than the CRM keeps.
#[utoipa::path(get, path = "/api/crm/tickets/{id}/attachments/{attachment}", tag = "tickets",
    params(("id" = uuid::Uuid, Path), ("attachment" = uuid::Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn attachment(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, attachment)): Path<(String, String)>,
) -> AppResult<Response> {
    let (Ok(id), Ok(attachment)) = (id.parse(), attachment.parse()) else {
        return Err(crate::domain::error::AppError::NotFound);
    };
    let (file, bytes) = received::attachment(&state, &principal, id, attachment).await?;
    Ok(download_of(&file.name, "application/octet-stream", bytes))
}

/// A received message whole, as the mailbox had it (`message/rfc822`): for admins, readers of
/// its ticket, and readers of a record it was logged on.
#[utoipa::path(get, path = "/api/crm/mail/{id}", tag = "tickets", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, content_type = "message/rfc822", body = Vec<u8>), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn stored_message(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Response> {
    let stored = received::message(&state, &principal, id).await?;
    let name = format!("message-{}.eml", stored.id.simple());
    Ok(download_of(&name, "message/rfc822", stored.raw))
}

#[utoipa::path(get, path = "/api/crm/sla-policies", tag = "tickets",
    responses((status = 200, body = Vec<SlaPolicy>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn sla(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<SlaPolicy>>> {
    Ok(Json(tickets::sla_policies(&state, &principal).await?))
}

/// Sets the first-response and resolution targets per priority (admins).
#[utoipa::path(put, path = "/api/crm/sla-policies", tag = "tickets", request_body = Vec<SlaPolicy>,
    responses((status = 200, body = Vec<SlaPolicy>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn save_sla(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<Vec<SlaPolicy>>,
) -> AppResult<Json<Vec<SlaPolicy>>> {
    Ok(Json(
        tickets::save_sla_policies(&state, &principal, &client, input).await?,
    ))
}

/// Enables portal access for a prospect or client contact and returns a one-time invite link
/// (valid 72 hours; a newer invite retires older ones). 409 when the contact cannot use the
/// portal as it is: no email address, deactivated, or still a lead.
#[utoipa::path(post, path = "/api/crm/contacts/{id}/portal-invite", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 201, body = PortalInvite), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn invite(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<(StatusCode, Json<PortalInvite>)> {
    Ok((
        StatusCode::CREATED,
        Json(portal::invite(&state, &principal, &client, id).await?),
    ))
}

#[utoipa::path(get, path = "/api/crm/contacts/{id}/portal", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PortalAccess), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn access(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<PortalAccess>> {
    Ok(Json(portal::access(&state, &principal, id).await?))
}

/// Turns portal access off; the contact's portal sessions end at once.
#[utoipa::path(delete, path = "/api/crm/contacts/{id}/portal", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PortalAccess), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn disable(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<Json<PortalAccess>> {
    Ok(Json(
        portal::disable(&state, &principal, &client, id).await?,
    ))
}

#[utoipa::path(get, path = "/api/admin/forms", tag = "forms",
    responses((status = 200, body = Vec<FormDef>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_forms(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<FormDef>>> {
    Ok(Json(forms::list(&state, &principal).await?))
}

#[utoipa::path(post, path = "/api/admin/forms", tag = "forms", request_body = FormInput,
    responses((status = 201, body = FormDef), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_form(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<FormInput>,
) -> AppResult<(StatusCode, Json<FormDef>)> {
    Ok((
        StatusCode::CREATED,
        Json(forms::create(&state, &principal, &client, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/admin/forms/{id}", tag = "forms", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = FormDef), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn get_form(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<FormDef>> {
    Ok(Json(forms::get(&state, &principal, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct FormUpdate {
    version: i64,
    #[serde(flatten)]
    form: FormInput,
}

#[utoipa::path(put, path = "/api/admin/forms/{id}", tag = "forms", params(("id" = uuid::Uuid, Path)), request_body = FormUpdate,
    responses((status = 200, body = FormDef), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_form(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(input): Body<FormUpdate>,
) -> AppResult<Json<FormDef>> {
    Ok(Json(
        forms::update(&state, &principal, &client, id, input.version, input.form).await?,
    ))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(comments, comment))
        .routes(routes!(attachments))
        .routes(routes!(attachment))
        .routes(routes!(stored_message))
        .routes(routes!(sla, save_sla))
        .routes(routes!(invite))
        .routes(routes!(access, disable))
        .routes(routes!(list_forms, create_form))
        .routes(routes!(get_form, update_form))
}
