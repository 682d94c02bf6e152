//! `/api/auth/*`: the stable sign-in endpoints that scripts and the no-JavaScript login page
//! share. A plain browser form post gets a 303 on success and, on failure, the same form again
//! with the message (with the error status); everyone else gets JSON.

use crate::domain::error::{AppError, AppResult, ErrorBody};
use crate::domain::portal::PortalMe;
use crate::domain::user::{Me, NewStaffUser};
use crate::server::auth::service;
use crate::server::http::{accepts_html, safe_next, see_other};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use crate::ui::pages::auth::{
    AcceptInviteForm, ForgotForm, LoginForm, SetPasswordForm, SetupForm, standalone_page,
};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use leptos::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(setup))
        .routes(routes!(set_password))
        .routes(routes!(accept_invite))
        .routes(routes!(forgot_password))
}

/// A body given either form-encoded (browsers, curl -d) or as JSON (scripts).
pub struct FormOrJson<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for FormOrJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let bad = |status: StatusCode, text: String| match status {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            _ => AppError::invalid("request", text),
        };
        if is_json {
            super::extract::json_body(req, state, "request")
                .await
                .map(FormOrJson)
        } else {
            Form::<T>::from_request(req, state)
                .await
                .map(|Form(v)| FormOrJson(v))
                .map_err(|e| bad(e.status(), e.body_text()))
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Signs in staff and portal users alike (portal users land in the portal). Form-encoded or
/// JSON; a browser form gets a 303.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = Me), (status = 303), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    headers: HeaderMap,
    FormOrJson(input): FormOrJson<LoginInput>,
) -> Response {
    let html = accepts_html(&headers);
    let next = safe_next(input.next.as_deref());
    match service::login(&state, &session, &client, &input.email, &input.password).await {
        Ok(_) if html => see_other(&next),
        Ok(user) => match own(&state, user).await {
            Ok(me) => Json(me).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) if html => {
            let message = e.message();
            let page = standalone_page(
                "Sign in",
                move || view! { <LoginForm error=message email=input.email.clone() next=next/> },
            );
            with_status(page, &e)
        }
        Err(e) => e.into_response(),
    }
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204), (status = 303)))]
async fn logout(
    State(state): State<AppState>,
    session: Session,
    principal: Principal,
    client: ClientInfo,
    headers: HeaderMap,
) -> Response {
    match service::logout(&state, &session, &principal, &client).await {
        Ok(service::SignedOut::BackToAdmin) if accepts_html(&headers) => see_other("/admin/users"),
        Ok(service::SignedOut::Ended) if accepts_html(&headers) => see_other("/login?signed_out=1"),
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The signed-in person (staff or portal) and, when impersonating, the admin behind them.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(principal: Principal) -> AppResult<Json<Me>> {
    crate::server::policy::me(&principal)
        .map(Json)
        .ok_or_else(AppError::unauthorized)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SetupInput {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// First run: the holder of the setup link creates the first super admin.
#[utoipa::path(post, path = "/api/auth/setup", tag = "auth", request_body = SetupInput,
    responses((status = 200, body = Me), (status = 303), (status = 422, body = ErrorBody)))]
async fn setup(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    headers: HeaderMap,
    FormOrJson(input): FormOrJson<SetupInput>,
) -> Response {
    let new_user = NewStaffUser {
        email: input.email.clone(),
        name: input.name.clone(),
        password: Some(input.password.clone()).filter(|p| !p.is_empty()),
    };
    let result =
        match service::complete_setup(&state, &session, &client, &input.token, new_user).await {
            Ok(user) => own(&state, user).await,
            Err(e) => Err(e),
        };
    link_answer(
        result,
        accepts_html(&headers),
        "/",
        "Set up the CRM",
        move |e| {
            view! { <SetupForm token=input.token.clone() error=e name=input.name.clone() email=input.email.clone()/> }
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SetPasswordInput {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    /// Also revoke every API token of the user (set-password links only).
    #[serde(default, deserialize_with = "crate::domain::form::checkbox")]
    revoke_tokens: bool,
}

#[utoipa::path(post, path = "/api/auth/set-password", tag = "auth", request_body = SetPasswordInput,
    responses((status = 200, body = Me), (status = 303), (status = 422, body = ErrorBody)))]
async fn set_password(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    headers: HeaderMap,
    FormOrJson(input): FormOrJson<SetPasswordInput>,
) -> Response {
    let result = match service::set_password_with_link(
        &state,
        &session,
        &client,
        &input.token,
        &input.password,
        input.revoke_tokens,
    )
    .await
    {
        Ok(user) => own(&state, user).await,
        Err(e) => Err(e),
    };
    link_answer(
        result,
        accepts_html(&headers),
        "/",
        "Choose a password",
        move |e| {
            view! { <SetPasswordForm token=input.token.clone() error=e/> }
        },
    )
}

/// The answer to a password chosen through a one-time link: for a browser form a 303 to
/// `next`, or the same form again with the problem; for scripts the JSON or the error.
fn link_answer<T: serde::Serialize, V: IntoView + 'static>(
    result: AppResult<T>,
    html: bool,
    next: &str,
    title: &str,
    form: impl FnOnce(AppError) -> V,
) -> Response {
    match result {
        Ok(_) if html => see_other(next),
        Ok(answer) => Json(answer).into_response(),
        Err(e) if html => {
            let shown = e.clone();
            with_status(standalone_page(title, move || form(shown)), &e)
        }
        Err(e) => e.into_response(),
    }
}

/// A contact sets their portal password through the invite link and is signed in to the portal.
#[utoipa::path(post, path = "/api/auth/accept-invite", tag = "auth", request_body = SetPasswordInput,
    responses((status = 200, body = PortalMe), (status = 303), (status = 422, body = ErrorBody)))]
async fn accept_invite(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    headers: HeaderMap,
    FormOrJson(input): FormOrJson<SetPasswordInput>,
) -> Response {
    let result = crate::server::auth::portal::accept_invite(
        &state,
        &session,
        &client,
        &input.token,
        &input.password,
    )
    .await;
    link_answer(
        result,
        accepts_html(&headers),
        "/portal",
        "Welcome",
        move |e| {
            view! { <AcceptInviteForm token=input.token.clone() error=e/> }
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ForgotInput {
    #[serde(default)]
    email: String,
}

/// The answer to "forgot password": the same whatever the address.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ForgotAnswer {
    message: String,
}

/// Asks for a link to choose a new password (staff and portal users alike). The answer is the
/// same whether or not an account uses the address; the link, valid for 1 hour and once, goes
/// only to the address. A browser form gets a 303 to the page that says so.
#[utoipa::path(post, path = "/api/auth/forgot-password", tag = "auth", request_body = ForgotInput,
    responses((status = 202, body = ForgotAnswer), (status = 303), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn forgot_password(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    FormOrJson(input): FormOrJson<ForgotInput>,
) -> Response {
    let html = accepts_html(&headers);
    match crate::server::auth::forgot::request(&state, &client, &input.email).await {
        Ok(()) if html => see_other("/forgot-password?sent=1"),
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(ForgotAnswer {
                message: crate::server::auth::forgot::ANSWER.into(),
            }),
        )
            .into_response(),
        Err(e) if html => {
            let shown = e.clone();
            let email = input.email.clone();
            let page = standalone_page("Forgot your password?", move || {
                view! { <ForgotForm email=email error=shown/> }
            });
            with_status(page, &e)
        }
        Err(e) => e.into_response(),
    }
}

fn with_status(page: Response, e: &AppError) -> Response {
    let mut page = page;
    *page.status_mut() = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if let AppError::RateLimited { retry_after_secs } = e {
        if let Ok(v) = retry_after_secs.to_string().parse() {
            page.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    page
}

/// The answer for someone just signed in as themselves, with what the policy lets them do.
async fn own(state: &AppState, user: crate::domain::user::CurrentUser) -> Result<Me, AppError> {
    let money = if user.role.is_staff() {
        let mut h = state.db.handle().await?;
        crate::server::policy::reach(&mut h.c(), user.id, user.role)
            .await?
            .money
    } else {
        false
    };
    let can = crate::server::policy::capabilities(user.role, user.id, money);
    Ok(Me::own(user, can))
}
