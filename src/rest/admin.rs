//! `/api/admin/*` (users, impersonation, the audit log) and `/api/account/*` (the signed-in
//! user's own password, sessions and API tokens), on the same server code as the pages.

use super::auth::FormOrJson;
use super::extract::{Body, Params, RecordId};
use crate::domain::admin::{
    AccountOverview, AuditFilter, AuditPage, ImpersonationRequest, ImpersonationStarted,
    NewApiToken, NewUserInput, PasswordChange, PasswordChanged, ProfileChange, StaffUser, UserLink,
    UserUpdate,
};
use crate::domain::error::{AppError, AppResult, ErrorBody};
use crate::domain::mail::{Outbox, OutboxFilter, OutboxMail, TestMail};
use crate::domain::team::{ReachChange, RoleReach, Team, TeamInput, Visibility, VisibilityChange};
use crate::server::admin::{audit, outbox, teams, users};
use crate::server::auth::impersonation::{self, Subject};
use crate::server::auth::profile;
use crate::server::http::{accepts_html, see_other};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(end_user_sessions))
        .routes(routes!(password_reset))
        .routes(routes!(start_impersonation, stop_impersonation))
        .routes(routes!(stop_impersonation_form))
        .routes(routes!(audit_log))
        .routes(routes!(list_teams, create_team))
        .routes(routes!(update_team, delete_team))
        .routes(routes!(get_visibility, set_visibility))
        .routes(routes!(list_outbox))
        .routes(routes!(retry_mail))
        .routes(routes!(send_test_mail))
        .routes(routes!(my_account))
        .routes(routes!(change_password))
        .routes(routes!(update_profile))
        .routes(routes!(end_my_session))
        .routes(routes!(end_my_other_sessions))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Teams {
    teams: Vec<Team>,
}

/// Every team by name, with its manager and members. Admins only.
#[utoipa::path(get, path = "/api/admin/teams", tag = "admin",
    responses((status = 200, body = Teams), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_teams(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Teams>> {
    Ok(Json(Teams {
        teams: teams::list(&state, &principal).await?,
    }))
}

/// Creates a team (`name`, `manager_id`, `member_ids`: active staff users). A name is one team's
/// only, whatever its case (409).
#[utoipa::path(post, path = "/api/admin/teams", tag = "admin", request_body = TeamInput,
    responses((status = 201, body = Team), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<TeamInput>,
) -> AppResult<(StatusCode, Json<Team>)> {
    Ok((
        StatusCode::CREATED,
        Json(teams::create(&state, &principal, &client, input).await?),
    ))
}

/// Replaces a team's name, manager and members.
#[utoipa::path(put, path = "/api/admin/teams/{id}", tag = "admin", params(("id" = uuid::Uuid, Path)), request_body = TeamInput,
    responses((status = 200, body = Team), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_team(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(input): Body<TeamInput>,
) -> AppResult<Json<Team>> {
    Ok(Json(
        teams::update(&state, &principal, &client, id, input).await?,
    ))
}

/// Removes a team; its members' records stay theirs.
#[utoipa::path(delete, path = "/api/admin/teams/{id}", tag = "admin", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn delete_team(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<StatusCode> {
    teams::delete(&state, &principal, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Per role, whose records its users see and edit (`own`, `team` or `all`) and whether they see
/// money. Admins and super admins always see and edit everything and are not listed.
#[utoipa::path(get, path = "/api/admin/visibility", tag = "admin",
    responses((status = 200, body = std::collections::BTreeMap<String, RoleReach>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_visibility(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Visibility>> {
    Ok(Json(teams::visibility(&state, &principal).await?))
}

/// Sets what the roles named see and edit, and whether they see money (opportunity values,
/// account revenue and the figures summed from them): `{"sales": {"see": "team", "edit":
/// "own", "money": false}}`. The roles left out keep theirs, and so does a role's money when
/// `money` is left out. A role cannot edit beyond what it sees (422).
#[utoipa::path(put, path = "/api/admin/visibility", tag = "admin", request_body = std::collections::BTreeMap<String, ReachChange>,
    responses((status = 200, body = std::collections::BTreeMap<String, RoleReach>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn set_visibility(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(change): Body<VisibilityChange>,
) -> AppResult<Json<Visibility>> {
    Ok(Json(
        teams::set_visibility(&state, &principal, &client, change).await?,
    ))
}

/// The outbox, newest first (200 mails): every mail the CRM wrote and where it is — queued,
/// being sent, sent (with the server's reply) or failed (with its error). Never a mail's body.
/// Admins only.
#[utoipa::path(get, path = "/api/admin/outbox", tag = "admin", params(OutboxFilter),
    responses((status = 200, body = Outbox), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn list_outbox(
    State(state): State<AppState>,
    principal: Principal,
    Params(filter): Params<OutboxFilter>,
) -> AppResult<Json<Outbox>> {
    Ok(Json(
        outbox::list(&state, &principal, filter.state.as_deref()).await?,
    ))
}

/// Sends a failed mail again, now (409 when it has not failed).
#[utoipa::path(post, path = "/api/admin/outbox/{id}/retry", tag = "admin", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OutboxMail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retry_mail(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<Json<OutboxMail>> {
    Ok(Json(outbox::retry(&state, &principal, &client, id).await?))
}

/// Writes a test mail to `to`; its state on the outbox shows whether the mail server took it.
#[utoipa::path(post, path = "/api/admin/outbox/test", tag = "admin", request_body = TestMail,
    responses((status = 202, body = OutboxMail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn send_test_mail(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<TestMail>,
) -> AppResult<(StatusCode, Json<OutboxMail>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(outbox::send_test(&state, &principal, &client, input).await?),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Users {
    users: Vec<StaffUser>,
}

/// Every staff user: role, active, last sign-in, open sessions. Admins only.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = Users), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Users>> {
    Ok(Json(Users {
        users: users::list(&state, &principal).await?,
    }))
}

/// Creates a staff user; the answer carries their one-time set-password link. Only a super
/// admin creates admins and super admins.
#[utoipa::path(post, path = "/api/admin/users", tag = "admin", request_body = NewUserInput,
    responses((status = 201, body = UserLink), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<NewUserInput>,
) -> AppResult<(StatusCode, Json<UserLink>)> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&state, &principal, &client, input).await?),
    ))
}

/// Renames a user, changes their role or turns their access off or on (which ends their
/// sessions). The last active super admin cannot be demoted or deactivated (409).
#[utoipa::path(put, path = "/api/admin/users/{id}", tag = "admin", params(("id" = uuid::Uuid, Path)), request_body = UserUpdate,
    responses((status = 200, body = StaffUser), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(change): Body<UserUpdate>,
) -> AppResult<Json<StaffUser>> {
    Ok(Json(
        users::update(&state, &principal, &client, id, change).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Ended {
    ended: u64,
}

/// Ends every session of a user at once.
#[utoipa::path(delete, path = "/api/admin/users/{id}/sessions", tag = "admin", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Ended), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn end_user_sessions(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<Json<Ended>> {
    let ended = users::end_sessions(&state, &principal, &client, id).await?;
    Ok(Json(Ended { ended }))
}

/// A one-time link for the user to choose a new password (to hand over; the CRM sends no mail).
#[utoipa::path(post, path = "/api/admin/users/{id}/password-reset", tag = "admin", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = UserLink), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn password_reset(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<Json<UserLink>> {
    Ok(Json(
        users::password_reset_link(&state, &principal, &client, id).await?,
    ))
}

/// Starts viewing the CRM as a user, or the portal as a contact (or a company's primary
/// contact). Needs the admin's own password and a reason; ends after 30 minutes.
#[utoipa::path(post, path = "/api/admin/impersonation", tag = "admin", request_body = ImpersonationRequest,
    responses((status = 201, body = ImpersonationStarted), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn start_impersonation(
    State(state): State<AppState>,
    session: Session,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<ImpersonationRequest>,
) -> AppResult<(StatusCode, Json<ImpersonationStarted>)> {
    let subject = Subject::of(&input)?;
    let started = impersonation::start(
        &state,
        &session,
        &principal,
        &client,
        subject,
        &input.reason,
        &input.password,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ImpersonationStarted {
            impersonation_id: started.impersonation_id,
            ends_at: started.ends_at,
            home: started.home.into(),
            subject_name: started.subject_name,
        }),
    ))
}

async fn stop(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    client: &ClientInfo,
) -> AppResult<()> {
    if principal.impersonator().is_none() {
        return Err(match principal {
            Principal::Anonymous => AppError::unauthorized(),
            _ => AppError::conflict("You are not viewing as anyone."),
        });
    }
    impersonation::stop(state, session, principal, client, "stopped").await?;
    Ok(())
}

/// Stops viewing as someone; the admin is themselves again, under a new session id.
#[utoipa::path(delete, path = "/api/admin/impersonation", tag = "admin",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn stop_impersonation(
    State(state): State<AppState>,
    session: Session,
    principal: Principal,
    client: ClientInfo,
) -> AppResult<StatusCode> {
    stop(&state, &session, &principal, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The banner's Stop button (a plain form post): stops, then back to the users page.
#[utoipa::path(post, path = "/api/admin/impersonation/stop", tag = "admin",
    responses((status = 204), (status = 303), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn stop_impersonation_form(
    State(state): State<AppState>,
    session: Session,
    principal: Principal,
    client: ClientInfo,
    headers: HeaderMap,
) -> Response {
    let html = accepts_html(&headers);
    match stop(&state, &session, &principal, &client).await {
        Ok(()) if html => see_other("/admin/users"),
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        // Already over (it expired, say): the admin is themselves; show them where they are.
        Err(AppError::Conflict { .. }) if html => see_other("/admin/users"),
        Err(e) => e.into_response(),
    }
}

/// The audit log, newest first, 100 entries a page: filter by actor, subject (impersonated
/// user or contact), record, action (or an action prefix ending in `.`) and time range.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", params(AuditFilter),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    principal: Principal,
    Params(filter): Params<AuditFilter>,
) -> AppResult<Json<AuditPage>> {
    Ok(Json(audit::search(&state, &principal, &filter).await?))
}

/// The signed-in user's account: open sessions, API tokens, and when admins viewed as them.
#[utoipa::path(get, path = "/api/account", tag = "account",
    responses((status = 200, body = AccountOverview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn my_account(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<AccountOverview>> {
    Ok(Json(profile::overview(&state, &principal).await?))
}

/// Changes the signed-in user's password (the current one is required) and ends their other
/// sessions.
#[utoipa::path(post, path = "/api/account/password", tag = "account", request_body = PasswordChange,
    responses((status = 200, body = PasswordChanged), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    FormOrJson(input): FormOrJson<PasswordChange>,
) -> AppResult<Json<PasswordChanged>> {
    Ok(Json(
        profile::change_password(&state, &principal, &client, &input).await?,
    ))
}

/// Changes the signed-in user's own name, time zone (an IANA name) and locale (`en-US`,
/// `en-GB`, `de-DE`, `fr-FR`, `es-ES`, `pt-BR`); an empty or missing zone or locale follows
/// the installation's default.
#[utoipa::path(put, path = "/api/account/profile", tag = "account", request_body = ProfileChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn update_profile(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    FormOrJson(input): FormOrJson<ProfileChange>,
) -> AppResult<StatusCode> {
    profile::update_profile(&state, &principal, &client, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one of the signed-in user's own sessions.
#[utoipa::path(delete, path = "/api/account/sessions/{id}", tag = "account", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn end_my_session(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<StatusCode> {
    profile::end_session(&state, &principal, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the signed-in user but the one making this request.
#[utoipa::path(delete, path = "/api/account/sessions", tag = "account",
    responses((status = 200, body = Ended), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn end_my_other_sessions(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
) -> AppResult<Json<Ended>> {
    let ended = profile::end_other_sessions(&state, &principal, &client).await?;
    Ok(Json(Ended { ended }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TokenInput {
    label: String,
}

/// Creates an API token for the signed-in user. The token is in this answer only.
#[utoipa::path(post, path = "/api/account/tokens", tag = "account", request_body = TokenInput,
    responses((status = 201, body = NewApiToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<TokenInput>,
) -> AppResult<(StatusCode, Json<NewApiToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(profile::create_token(&state, &principal, &client, &input.label).await?),
    ))
}

/// Revokes one of the signed-in user's API tokens.
#[utoipa::path(delete, path = "/api/account/tokens/{id}", tag = "account", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<StatusCode> {
    profile::revoke_token(&state, &principal, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
