//! Server functions for the import wizard. The upload itself goes to `POST /api/crm/imports`
//! (a multipart body streamed to disk); everything after it is here.

use crate::domain::error::AppError;
use crate::domain::import::{ImportOptions, ImportView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::import};

#[server(prefix = "/api/fn", input = Json)]
pub async fn recent_imports() -> Result<Vec<ImportView>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(import::recent(&state, &principal).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn import_status(id: Uuid) -> Result<ImportView, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(import::view(&state, &principal, id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn save_import_options(id: Uuid, options: ImportOptions) -> Result<ImportView, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(import::set_options(&state, &principal, id, options).await)
}

/// Saves the choices and starts the dry run.
#[server(prefix = "/api/fn/w", input = Json)]
pub async fn check_import(id: Uuid, options: ImportOptions) -> Result<ImportView, AppError> {
    let (state, principal) = ctx::request().await?;
    let result = async {
        import::set_options(&state, &principal, id, options).await?;
        import::dry_run(&state, &principal, id).await
    }
    .await;
    ctx::answer(result)
}

/// Saves the choices (unless the dry run already fixed them) and starts the run.
#[server(prefix = "/api/fn/w", input = Json)]
pub async fn run_import(id: Uuid, options: ImportOptions) -> Result<ImportView, AppError> {
    let (state, principal) = ctx::request().await?;
    let result = async {
        import::set_options(&state, &principal, id, options).await?;
        import::start(&state, &principal, &ctx::client(), id).await
    }
    .await;
    ctx::answer(result)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn cancel_import(id: Uuid) -> Result<ImportView, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(import::cancel(&state, &principal, id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn undo_import(id: Uuid) -> Result<i64, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(import::undo(&state, &principal, &ctx::client(), id).await)
}
