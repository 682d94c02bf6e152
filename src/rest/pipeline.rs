//! `/api/crm/pipeline`, `/count`, `/stats/*` and stage moves: the board and its figures for
//! integrations, on the same server code as the pages.

use super::extract::{Body, Params, RecordId};
use crate::domain::error::{AppResult, ErrorBody};
use crate::domain::opportunity::{Opportunity, OpportunityPatch, StageDef};
use crate::domain::pipeline::{
    Board, BoardQuery, Coverage, MonthlyWon, PipelineUpdate, StageCount, StageDuration, StatsQuery,
    Summary, TargetInput, WinLoss,
};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::sales::{opportunities, pipeline};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The board: stages in order, each with `stage`, `count`, `total_value` and its first page of
/// opportunities by expected close.
#[utoipa::path(get, path = "/api/crm/pipeline", tag = "pipeline", params(BoardQuery),
    responses((status = 200, body = Board), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn board(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<BoardQuery>,
) -> AppResult<Json<Board>> {
    Ok(Json(pipeline::board(&state, &principal, &q).await?))
}

/// Opportunity counts by stage.
#[utoipa::path(get, path = "/api/crm/count", tag = "pipeline",
    responses((status = 200, body = Vec<StageCount>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn count(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<StageCount>>> {
    Ok(Json(pipeline::counts(&state, &principal).await?))
}

/// Moves an opportunity to a stage, with the fields that stage's gate needs, in one request:
/// 200 with the opportunity, 422 naming the missing fields, 409 when `version` is stale.
#[utoipa::path(post, path = "/api/crm/opportunity/{id}/stage", tag = "pipeline", params(("id" = uuid::Uuid, Path)),
    request_body = OpportunityPatch,
    responses((status = 200, body = Opportunity), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_stage(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
    Body(patch): Body<OpportunityPatch>,
) -> AppResult<Json<Opportunity>> {
    Ok(Json(
        pipeline::move_stage(&state, &principal, &client, id, patch).await?,
    ))
}

/// The stage configuration, in board order.
#[utoipa::path(get, path = "/api/crm/pipeline/stages", tag = "pipeline",
    responses((status = 200, body = Vec<StageDef>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn stages(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<StageDef>>> {
    Ok(Json(opportunities::stages(&state, &principal).await?))
}

/// Replaces the stage configuration (managers and admins). Stages without `key` are new;
/// removed stages holding opportunities need a `moves` entry naming where they go.
#[utoipa::path(put, path = "/api/crm/pipeline/stages", tag = "pipeline", request_body = PipelineUpdate,
    responses((status = 200, body = Vec<StageDef>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn save_stages(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(update): Body<PipelineUpdate>,
) -> AppResult<Json<Vec<StageDef>>> {
    Ok(Json(
        pipeline::save_stages(&state, &principal, &client, update).await?,
    ))
}

/// Total pipeline value, conversion rate, average deal size, won this month.
#[utoipa::path(get, path = "/api/crm/stats/summary", tag = "pipeline", params(StatsQuery),
    responses((status = 200, body = Summary), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<StatsQuery>,
) -> AppResult<Json<Summary>> {
    Ok(Json(pipeline::summary(&state, &principal, &q).await?))
}

/// Won deals, and lost ones by reason, in the period.
#[utoipa::path(get, path = "/api/crm/stats/win_loss", tag = "pipeline", params(StatsQuery),
    responses((status = 200, body = WinLoss), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn win_loss(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<StatsQuery>,
) -> AppResult<Json<WinLoss>> {
    Ok(Json(pipeline::win_loss(&state, &principal, &q).await?))
}

/// Average days in each stage, over the stays that ended in the period.
#[utoipa::path(get, path = "/api/crm/stats/stage_duration", tag = "pipeline", params(StatsQuery),
    responses((status = 200, body = Vec<StageDuration>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn stage_duration(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<StatsQuery>,
) -> AppResult<Json<Vec<StageDuration>>> {
    Ok(Json(
        pipeline::stage_durations(&state, &principal, &q).await?,
    ))
}

/// Won value per month, the last twelve months.
#[utoipa::path(get, path = "/api/crm/stats/monthly_won", tag = "pipeline", params(StatsQuery),
    responses((status = 200, body = Vec<MonthlyWon>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn monthly_won(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<StatsQuery>,
) -> AppResult<Json<Vec<MonthlyWon>>> {
    Ok(Json(pipeline::monthly_won(&state, &principal, &q).await?))
}

/// Open value expected to close this month and the next two, against their targets.
#[utoipa::path(get, path = "/api/crm/stats/coverage", tag = "pipeline", params(StatsQuery),
    responses((status = 200, body = Vec<Coverage>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn coverage(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<StatsQuery>,
) -> AppResult<Json<Vec<Coverage>>> {
    Ok(Json(pipeline::coverage(&state, &principal, &q).await?))
}

/// Sets a month's revenue target (managers and admins); `null` clears it.
#[utoipa::path(put, path = "/api/crm/stats/targets", tag = "pipeline", request_body = TargetInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_target(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Body(input): Body<TargetInput>,
) -> AppResult<StatusCode> {
    pipeline::set_target(&state, &principal, &client, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(board))
        .routes(routes!(count))
        .routes(routes!(move_stage))
        .routes(routes!(stages, save_stages))
        .routes(routes!(summary))
        .routes(routes!(win_loss))
        .routes(routes!(stage_duration))
        .routes(routes!(monthly_won))
        .routes(routes!(coverage))
        .routes(routes!(set_target))
}
