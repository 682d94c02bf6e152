//! Server functions for the pipeline board, its stage editor and its metrics.

use crate::domain::error::AppError;
use crate::domain::opportunity::{Opportunity, OpportunityPatch, StageDef};
use crate::domain::pipeline::{
    Board, BoardQuery, Coverage, MonthlyWon, PipelineUpdate, StageDuration, StatsQuery, Summary,
    TargetInput, WinLoss,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::sales::pipeline};

#[server(prefix = "/api/fn", input = Json)]
pub async fn pipeline_board(query: BoardQuery) -> Result<Board, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(pipeline::board(&state, &principal, &query).await)
}

/// Moves a card: the stage and whatever fields its gate asked for, in one request.
#[server(prefix = "/api/fn/w", input = Json)]
pub async fn move_opportunity(id: Uuid, patch: OpportunityPatch) -> Result<Opportunity, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(pipeline::move_stage(&state, &principal, &ctx::client(), id, patch).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn pipeline_summary(query: StatsQuery) -> Result<Summary, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(pipeline::summary(&state, &principal, &query).await)
}

/// Everything the metrics page draws, in one round trip (each figure is its own query).
#[server(prefix = "/api/fn", input = Json)]
pub async fn pipeline_metrics(query: StatsQuery) -> Result<Metrics, AppError> {
    let (state, principal) = ctx::request().await?;
    let result = async {
        Ok(Metrics {
            stages: crate::server::sales::opportunities::stages(&state, &principal).await?,
            board: pipeline::board(
                &state,
                &principal,
                &BoardQuery {
                    owner_id: query.owner_id,
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .await?,
            win_loss: pipeline::win_loss(&state, &principal, &query).await?,
            durations: pipeline::stage_durations(&state, &principal, &query).await?,
            monthly: pipeline::monthly_won(&state, &principal, &query).await?,
            coverage: pipeline::coverage(&state, &principal, &query).await?,
        })
    };
    ctx::answer(result.await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn save_pipeline_stages(update: PipelineUpdate) -> Result<Vec<StageDef>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(pipeline::save_stages(&state, &principal, &ctx::client(), update).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn set_pipeline_target(input: TargetInput) -> Result<(), AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(pipeline::set_target(&state, &principal, &ctx::client(), input).await)
}

/// The metrics page's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    pub stages: Vec<StageDef>,
    /// Counts and values per stage (cards are not needed here).
    pub board: Board,
    pub win_loss: WinLoss,
    pub durations: Vec<StageDuration>,
    pub monthly: Vec<MonthlyWon>,
    pub coverage: Vec<Coverage>,
}
