//! Server functions for administration (users, impersonation, the audit log) and for a
//! user's own account page.

use crate::domain::admin::{
    AccountOverview, AuditFilter, AuditPage, ImpersonationRequest, ImpersonationStarted,
    NewApiToken, NewUserInput, PasswordChange, PasswordChanged, ProfileChange, StaffUser, UserLink,
    UserUpdate,
};
use crate::domain::error::AppError;
use crate::domain::mail::{Outbox, OutboxMail, TestMail};
use crate::domain::team::{Team, TeamInput, TeamMember, Visibility, VisibilityChange};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    super::ctx,
    crate::server::admin::{audit, outbox, teams, users},
    crate::server::auth::{impersonation, profile},
};

#[server(prefix = "/api/fn", input = Json)]
pub async fn staff_users() -> Result<Vec<StaffUser>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(users::list(&state, &principal).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn create_staff_user(input: NewUserInput) -> Result<UserLink, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(users::create(&state, &principal, &ctx::client(), input).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn update_staff_user(id: Uuid, change: UserUpdate) -> Result<StaffUser, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(users::update(&state, &principal, &ctx::client(), id, change).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn end_staff_sessions(id: Uuid) -> Result<u64, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(users::end_sessions(&state, &principal, &ctx::client(), id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn password_reset_link(id: Uuid) -> Result<UserLink, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(users::password_reset_link(&state, &principal, &ctx::client(), id).await)
}

/// Starts viewing as someone; the browser then loads `home` afresh as them.
#[server(prefix = "/api/fn/w", input = Json)]
pub async fn start_impersonation(
    input: ImpersonationRequest,
) -> Result<ImpersonationStarted, AppError> {
    let (state, principal) = ctx::request().await?;
    let result = async {
        let session = leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(|_| crate::server::error::internal("no session layer"))?;
        let subject = impersonation::Subject::of(&input)?;
        let s = impersonation::start(
            &state,
            &session,
            &principal,
            &ctx::client(),
            subject,
            &input.reason,
            &input.password,
        )
        .await?;
        Ok(ImpersonationStarted {
            impersonation_id: s.impersonation_id,
            ends_at: s.ends_at,
            home: s.home.into(),
            subject_name: s.subject_name,
        })
    }
    .await;
    ctx::answer(result)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn list_teams() -> Result<Vec<Team>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(teams::list(&state, &principal).await)
}

/// The teams by name, for any staff member's filters.
#[server(prefix = "/api/fn", input = Json)]
pub async fn team_options() -> Result<Vec<TeamMember>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(teams::options(&state, &principal).await)
}

/// Creates a team (no id) or replaces one.
#[server(prefix = "/api/fn/w", input = Json)]
pub async fn save_team(id: Option<Uuid>, input: TeamInput) -> Result<Team, AppError> {
    let (state, principal) = ctx::request().await?;
    let client = ctx::client();
    ctx::answer(match id {
        Some(id) => teams::update(&state, &principal, &client, id, input).await,
        None => teams::create(&state, &principal, &client, input).await,
    })
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn delete_team(id: Uuid) -> Result<(), AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(teams::delete(&state, &principal, &ctx::client(), id).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn record_visibility() -> Result<Visibility, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(teams::visibility(&state, &principal).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn save_record_visibility(change: VisibilityChange) -> Result<Visibility, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(teams::set_visibility(&state, &principal, &ctx::client(), change).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn outbox_mails(state: Option<String>) -> Result<Outbox, AppError> {
    let (app, principal) = ctx::request().await?;
    ctx::answer(outbox::list(&app, &principal, state.as_deref()).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn retry_mail(id: Uuid) -> Result<OutboxMail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(outbox::retry(&state, &principal, &ctx::client(), id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn send_test_mail(input: TestMail) -> Result<OutboxMail, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(outbox::send_test(&state, &principal, &ctx::client(), input).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn audit_entries(filter: AuditFilter) -> Result<AuditPage, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(audit::search(&state, &principal, &filter).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn my_account() -> Result<AccountOverview, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::overview(&state, &principal).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn change_my_password(input: PasswordChange) -> Result<PasswordChanged, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::change_password(&state, &principal, &ctx::client(), &input).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn update_my_profile(input: ProfileChange) -> Result<(), AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::update_profile(&state, &principal, &ctx::client(), &input).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn end_my_session(id: Uuid) -> Result<(), AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::end_session(&state, &principal, &ctx::client(), id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn end_my_other_sessions() -> Result<u64, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::end_other_sessions(&state, &principal, &ctx::client()).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn create_my_token(label: String) -> Result<NewApiToken, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::create_token(&state, &principal, &ctx::client(), &label).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn revoke_my_token(id: Uuid) -> Result<(), AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(profile::revoke_token(&state, &principal, &ctx::client(), id).await)
}
