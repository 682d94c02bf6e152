//! `/api/crm/imports` (CSV imports as background jobs) and `/api/crm/*/export.csv` (the
//! lists as CSV, streamed).

use super::extract::{Body, Params, RecordId};
use crate::domain::error::{AppError, AppResult, ErrorBody};
use crate::domain::import::{DedupMode, ImportKind, ImportOptions, ImportView};
use crate::domain::records::ListQuery;
use crate::domain::ticket::TicketQuery;
use crate::server::export::{self, ExportKind, Filters};
use crate::server::import::{self, NewImport, Upload};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use axum::Json;
use axum::body::Body as HttpBody;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The path uploads arrive on (exempt from the small-body limit and the request timeout:
/// the importer streams it to disk with its own limit).
pub const UPLOAD_PATH: &str = "/api/crm/imports";

fn bad_form(e: impl std::fmt::Display) -> AppError {
    AppError::invalid("file", format!("The upload could not be read: {e}"))
}

/// Upload a CSV file (multipart/form-data): `file`, `kind` (`leads`, `contacts`, `accounts`),
/// optional `dedup` (`skip`, `fill`, `overwrite`), optional `mapping` (JSON
/// `[{"header":…,"field":…}]`, one per column; guessed from the headers when left out), and
/// `action`: `run` (default: import straight away), `dry_run`, or `upload` (stop after reading
/// the file, for the wizard). Fields before `file` apply to it.
#[utoipa::path(post, path = "/api/crm/imports", tag = "imports",
    request_body(content_type = "multipart/form-data", description = "file, kind, dedup, mapping, action"),
    responses((status = 201, body = ImportView, description = "The import, with its `id`"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<ImportView>)> {
    principal.require_staff()?;
    let mut form = form.map_err(|_| {
        AppError::invalid(
            "file",
            "Send the file as multipart/form-data with a `file` field.",
        )
    })?;
    let mut input = NewImport::default();
    let mut action = String::from("run");
    let mut stored = None;
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if let Some(kind) = input.kind {
                import::may_import(&principal, kind)?;
            }
            input.file_name = field.file_name().unwrap_or("upload.csv").to_string();
            let mut upload = Upload::begin(&state).await?;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => upload.write(&chunk).await?,
                    Ok(None) => break,
                    Err(e) => {
                        upload.discard().await;
                        return Err(bad_form(e));
                    }
                }
            }
            stored = Some(upload.finish().await?);
            continue;
        }
        let text = field.text().await.map_err(bad_form)?;
        match name.as_str() {
            "kind" => {
                input.kind = Some(
                    text.trim()
                        .parse::<ImportKind>()
                        .map_err(|e| AppError::invalid("kind", e))?,
                )
            }
            "dedup" => {
                input.dedup = text
                    .trim()
                    .parse::<DedupMode>()
                    .map_err(|e| AppError::invalid("dedup", e))?
            }
            "mapping" if !text.trim().is_empty() => {
                input.mapping = Some(
                    serde_json::from_str(&text)
                        .map_err(|e| AppError::invalid("mapping", e.to_string()))?,
                )
            }
            "action" => action = text.trim().to_string(),
            _ => {}
        }
    }
    let Some((id, path, bytes, utf8)) = stored else {
        return Err(AppError::invalid(
            "file",
            "Attach the CSV file as the `file` field.",
        ));
    };
    if !matches!(action.as_str(), "run" | "dry_run" | "upload") {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(AppError::invalid("action", "Use run, dry_run or upload."));
    }
    let created =
        match import::create(&state, &principal, id, &path, bytes, Some(utf8), input).await {
            Ok(v) => v,
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(e);
            }
        };
    let view = match action.as_str() {
        "run" => import::start(&state, &principal, &client, created.id).await?,
        "dry_run" => import::dry_run(&state, &principal, created.id).await?,
        _ => created,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/crm/imports", tag = "imports",
    responses((status = 200, body = Vec<ImportView>), (status = 401, body = ErrorBody)))]
async fn recent(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<ImportView>>> {
    Ok(Json(import::recent(&state, &principal).await?))
}

/// Status, counts and progress.
#[utoipa::path(get, path = "/api/crm/imports/{id}", tag = "imports", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ImportView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<ImportView>> {
    Ok(Json(import::view(&state, &principal, id).await?))
}

/// Adjust the mapping and the dedup mode (before the run).
#[utoipa::path(put, path = "/api/crm/imports/{id}", tag = "imports", params(("id" = uuid::Uuid, Path)), request_body = ImportOptions,
    responses((status = 200, body = ImportView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn options(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
    Body(o): Body<ImportOptions>,
) -> AppResult<Json<ImportView>> {
    Ok(Json(import::set_options(&state, &principal, id, o).await?))
}

#[utoipa::path(post, path = "/api/crm/imports/{id}/dry-run", tag = "imports", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ImportView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dry_run(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<ImportView>> {
    Ok(Json(import::dry_run(&state, &principal, id).await?))
}

#[utoipa::path(post, path = "/api/crm/imports/{id}/start", tag = "imports", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ImportView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<Json<ImportView>> {
    Ok(Json(import::start(&state, &principal, &client, id).await?))
}

#[utoipa::path(post, path = "/api/crm/imports/{id}/cancel", tag = "imports", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ImportView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Json<ImportView>> {
    Ok(Json(import::cancel(&state, &principal, id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Undone {
    deleted: i64,
}

/// Delete the records this import created (admins; records others now point at are kept).
#[utoipa::path(post, path = "/api/crm/imports/{id}/undo", tag = "imports", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Undone), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn undo(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RecordId(id): RecordId,
) -> AppResult<Json<Undone>> {
    Ok(Json(Undone {
        deleted: import::undo(&state, &principal, &client, id).await?,
    }))
}

/// Marks a CSV file as UTF-8 for spreadsheets: without it Excel reads the bytes in the
/// machine's legacy code page and garbles every accented name. Our own importer removes it.
const UTF8_BOM: &str = "\u{feff}";

fn csv_response(name: &str, body: BoxStream<'static, Result<String, std::io::Error>>) -> Response {
    let body = futures::stream::once(async { Ok(UTF8_BOM.to_string()) }).chain(body);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(['"', '\\', '\r', '\n'], "_")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        HttpBody::from_stream(body.map(|r| r.map(axum::body::Bytes::from))),
    )
        .into_response()
}

/// Every data row of the file with its outcome: row, outcome (`created`, `updated`,
/// `skipped_duplicate`, `invalid: reason`), record_id, message.
#[utoipa::path(get, path = "/api/crm/imports/{id}/rows.csv", tag = "imports", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn rows_csv(
    State(state): State<AppState>,
    principal: Principal,
    RecordId(id): RecordId,
) -> AppResult<Response> {
    let (name, body) = import::outcome_rows(&state, &principal, id).await?;
    Ok(csv_response(&name, body))
}

macro_rules! export_route {
    ($name:ident, $path:literal, $kind:expr, $Query:ty, $wrap:path) => {
        /// The list as CSV, with the list's own filters; formulas neutralised; audited.
        #[utoipa::path(get, path = $path, tag = "exports", params($Query),
            responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody),
                      (status = 403, body = ErrorBody, description = "Not allowed, or refused while viewing as someone else")))]
        async fn $name(State(state): State<AppState>, principal: Principal, client: ClientInfo, Params(q): Params<$Query>) -> AppResult<Response> {
            let (name, body) = export::export(&state, &principal, &client, $kind, $wrap(q)).await?;
            Ok(csv_response(&name, body))
        }
    };
}

export_route!(
    export_leads,
    "/api/crm/leads/export.csv",
    ExportKind::Leads,
    ListQuery,
    Filters::Records
);
export_route!(
    export_contacts,
    "/api/crm/contacts/export.csv",
    ExportKind::Contacts,
    ListQuery,
    Filters::Records
);
export_route!(
    export_accounts,
    "/api/crm/accounts/export.csv",
    ExportKind::Accounts,
    ListQuery,
    Filters::Records
);
export_route!(
    export_opportunities,
    "/api/crm/opportunities/export.csv",
    ExportKind::Opportunities,
    ListQuery,
    Filters::Records
);
export_route!(
    export_tickets,
    "/api/crm/tickets/export.csv",
    ExportKind::Tickets,
    TicketQuery,
    Filters::Tickets
);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, recent))
        .routes(routes!(get, options))
        .routes(routes!(dry_run))
        .routes(routes!(start))
        .routes(routes!(cancel))
        .routes(routes!(undo))
        .routes(routes!(rows_csv))
        .routes(routes!(export_leads))
        .routes(routes!(export_contacts))
        .routes(routes!(export_accounts))
        .routes(routes!(export_opportunities))
        .routes(routes!(export_tickets))
}
