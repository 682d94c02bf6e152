//! `/api/crm/*`: the sales records for integrations. Same rules, same authorization and the
//! same server code as the pages; every route is registered together with its OpenAPI entry,
//! so the published document cannot drift from the handlers.

use super::extract::{Body, IdempotencyKey, Params, RecordId};
use crate::domain::account::{Account, AccountPatch, NewAccount};
use crate::domain::activity::{Activity, NewActivity, NewTask, SearchResult, Task, TaskPatch};
use crate::domain::contact::{Contact, ContactPatch, NewContact};
use crate::domain::error::{AppResult, ErrorBody};
use crate::domain::lead::{CreatedLead, Lead, LeadPatch, NewLead, QualifyInput, QualifyResult};
use crate::domain::opportunity::{NewOpportunity, Opportunity, OpportunityPatch};
use crate::domain::records::{ListQuery, Page};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::sales;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// List, create, read and edit for one kind of record.
macro_rules! record_api {
    ($module:ident, $tag:literal, $list_path:literal, $item_path:literal, $service:path,
     $Record:ty, $New:ty, $Created:ty, $Patch:ty) => {
        pub mod $module {
            use super::*;
            use $service as service;

            #[utoipa::path(get, path = $list_path, tag = $tag, params(ListQuery),
                responses((status = 200, body = Page<$Record>), (status = 401, body = ErrorBody),
                          (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
            pub async fn list(State(state): State<AppState>, principal: Principal, Params(q): Params<ListQuery>) -> AppResult<Json<Page<$Record>>> {
                Ok(Json(sales::record::list::<$Record>(&state, &principal, &q).await?))
            }

            #[utoipa::path(post, path = $list_path, tag = $tag, request_body = $New,
                params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key returns the first response and creates nothing")),
                responses((status = 201, body = $Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                          (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
            pub async fn create(
                State(state): State<AppState>,
                principal: Principal,
                client: ClientInfo,
                IdempotencyKey(key): IdempotencyKey,
                Body(input): Body<$New>,
            ) -> AppResult<(StatusCode, Json<$Created>)> {
                let created = sales::record::create::<$Record>(&state, &principal, &client, input, key.as_deref()).await?;
                Ok((StatusCode::CREATED, Json(created)))
            }

            #[utoipa::path(get, path = $item_path, tag = $tag, params(("id" = uuid::Uuid, Path)),
                responses((status = 200, body = $Record), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
            pub async fn get(State(state): State<AppState>, principal: Principal, RecordId(id): RecordId) -> AppResult<Json<$Record>> {
                Ok(Json(sales::record::read::<$Record>(&state, &principal, id).await?))
            }

            #[utoipa::path(put, path = $item_path, tag = $tag, params(("id" = uuid::Uuid, Path)), request_body = $Patch,
                responses((status = 200, body = $Record), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                          (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Stale version: the body carries the current record"),
                          (status = 422, body = ErrorBody)))]
            pub async fn update(
                State(state): State<AppState>,
                principal: Principal,
                client: ClientInfo,
                RecordId(id): RecordId,
                Body(patch): Body<$Patch>,
            ) -> AppResult<Json<$Record>> {
                Ok(Json(service::update(&state, &principal, &client, id, patch).await?))
            }
        }
    };
}

record_api!(
    leads,
    "leads",
    "/api/crm/leads",
    "/api/crm/leads/{id}",
    sales::leads,
    Lead,
    NewLead,
    CreatedLead,
    LeadPatch
);
record_api!(
    accounts,
    "accounts",
    "/api/crm/accounts",
    "/api/crm/accounts/{id}",
    sales::accounts,
    Account,
    NewAccount,
    Account,
    AccountPatch
);
record_api!(
    contacts,
    "contacts",
    "/api/crm/contacts",
    "/api/crm/contacts/{id}",
    sales::contacts,
    Contact,
    NewContact,
    Contact,
    ContactPatch
);
record_api!(
    opportunities,
    "opportunities",
    "/api/crm/opportunities",
    "/api/crm/opportunities/{id}",
    sales::opportunities,
    Opportunity,
    NewOpportunity,
    Opportunity,
    OpportunityPatch
);

/// Qualify a lead: find or create its account and contact, open an opportunity. Calling it
/// again returns the same result and creates nothing.
#[utoipa::path(post, path = "/api/crm/leads/{id}/qualify", tag = "leads", params(("id" = uuid::Uuid, Path)),
    request_body(content = Option<QualifyInput>, description = "Optional details for the opportunity"),
    responses((status = 200, body = QualifyResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn qualify(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    body: axum::body::Bytes,
) -> AppResult<Json<QualifyResult>> {
    // The body is optional: an empty one qualifies with defaults.
    let blank = body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null";
    let input: QualifyInput = if blank {
        QualifyInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| crate::domain::error::AppError::invalid("body", e.to_string()))?
    };
    Ok(Json(
        sales::qualify::qualify(&state, &principal, &client, id, input).await?,
    ))
}

#[utoipa::path(get, path = "/api/crm/activities", tag = "activities", params(ListQuery),
    responses((status = 200, body = Page<Activity>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_activities(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<ListQuery>,
) -> AppResult<Json<Page<Activity>>> {
    Ok(Json(
        sales::activities::list_activities(&state, &principal, &q).await?,
    ))
}

#[utoipa::path(post, path = "/api/crm/activities", tag = "activities", request_body = NewActivity,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Activity), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_activity(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    IdempotencyKey(key): IdempotencyKey,
    Body(input): Body<NewActivity>,
) -> AppResult<(StatusCode, Json<Activity>)> {
    let created =
        sales::activities::create_activity(&state, &principal, &client, input, key.as_deref())
            .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/crm/tasks", tag = "tasks", params(ListQuery),
    responses((status = 200, body = Page<Task>), (status = 401, body = ErrorBody)))]
async fn list_tasks(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<ListQuery>,
) -> AppResult<Json<Page<Task>>> {
    Ok(Json(
        sales::activities::list_tasks(&state, &principal, &q).await?,
    ))
}

#[utoipa::path(post, path = "/api/crm/tasks", tag = "tasks", request_body = NewTask,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Task), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_task(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    IdempotencyKey(key): IdempotencyKey,
    Body(input): Body<NewTask>,
) -> AppResult<(StatusCode, Json<Task>)> {
    let created =
        sales::activities::create_task(&state, &principal, &client, input, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(put, path = "/api/crm/tasks/{id}", tag = "tasks", params(("id" = uuid::Uuid, Path)), request_body = TaskPatch,
    responses((status = 200, body = Task), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_task(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(patch): Body<TaskPatch>,
) -> AppResult<Json<Task>> {
    Ok(Json(
        sales::activities::update_task(&state, &principal, &client, id, patch).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// Words or word beginnings of names, emails and companies.
    #[serde(default)]
    q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct SearchAnswer {
    results: Vec<SearchResult>,
}

#[utoipa::path(get, path = "/api/crm/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchAnswer), (status = 401, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    principal: Principal,
    Params(p): Params<SearchParams>,
) -> AppResult<Json<SearchAnswer>> {
    Ok(Json(SearchAnswer {
        results: sales::search::search(&state, &principal, &p.q).await?,
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(leads::list, leads::create))
        .routes(routes!(leads::get, leads::update))
        .routes(routes!(qualify))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::get, accounts::update))
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::get, contacts::update))
        .routes(routes!(opportunities::list, opportunities::create))
        .routes(routes!(opportunities::get, opportunities::update))
        .routes(routes!(list_activities, create_activity))
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(update_task))
        .routes(routes!(search))
        .merge(super::pipeline::router())
}
