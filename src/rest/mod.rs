//! `/api/*` HTTP handlers for scripts and integrations, thin, calling the same server code
//! as the server functions.

pub mod admin;
pub mod auth;
pub mod constraints;
pub mod crm;
pub mod extract;
pub mod forms;
pub mod imports;
pub mod pipeline;
pub mod portal;
pub mod support;

use crate::server::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

/// Every `/api/*` route, each registered with its OpenAPI entry: the document is the list
/// of what the server answers (the authorization matrix test walks it).
fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(admin::router())
        .merge(crm::router())
        .merge(imports::router())
        .merge(support::router())
        .merge(portal::router())
}

/// The OpenAPI 3 document of the whole `/api/*` surface, built from the registered routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = all().split_for_parts();
    describe(api)
}

fn describe(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    api.info.title = "CRM API".into();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api.info.description = Some(
        "Sales records, tickets and the customer portal for integrations. Authenticate with `Authorization: Bearer <token>` \
         (from `crm token create`) or the session cookie. Errors have the shape \
         {\"error\":{\"code\",\"message\",\"fields\"}}."
            .into(),
    );
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    api
}

/// Paths anyone may call without signing in (no bearer token documented).
const PUBLIC: &[&str] = &[
    "/api/auth/login",
    "/api/auth/setup",
    "/api/auth/set-password",
    "/api/auth/accept-invite",
    "/api/auth/forgot-password",
];

/// The sort values each list accepts (`field` or `-field`), from the lists' own specs.
fn sorts_for(path: &str) -> Option<Vec<String>> {
    use crate::server::db;
    let spec = match path.trim_end_matches("/export.csv") {
        "/api/crm/leads" => &db::leads::LIST,
        "/api/crm/accounts" => &db::accounts::LIST,
        "/api/crm/contacts" => &db::contacts::LIST,
        "/api/crm/opportunities" => &db::opportunities::LIST,
        "/api/crm/activities" => &db::activities::ACTIVITIES,
        "/api/crm/tasks" => &db::activities::TASKS,
        _ => return None,
    };
    // Empty: the list's own order.
    Some(
        std::iter::once(String::new())
            .chain(
                spec.sorts
                    .iter()
                    .flat_map(|s| [s.field.to_string(), format!("-{}", s.field)]),
            )
            .collect(),
    )
}

/// The values a list's choice filter takes (an empty one means no filter), from the enums
/// the server parses them with.
fn choices_for(path: &str, param: &str) -> Option<Vec<String>> {
    use crate::domain::ticket::{TicketPriority, TicketQuery, TicketStatus};
    use crate::domain::{contact::ContactRole, lead::LeadStatus, opportunity::LostReason};
    let values = |extra: &[&str], options: Vec<(&'static str, &'static str)>| {
        let mut v: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        v.extend(options.into_iter().map(|(value, _)| value.to_string()));
        v
    };
    Some(match (path.trim_end_matches("/export.csv"), param) {
        ("/api/crm/leads", "status") => values(&["", "all"], LeadStatus::options()),
        ("/api/crm/contacts", "status") => values(&["", "all"], ContactRole::options()),
        ("/api/crm/opportunities", "lost_reason") => {
            values(&["", "unknown"], LostReason::options())
        }
        ("/api/crm/tickets", "status") => values(&["", "all"], TicketStatus::options()),
        ("/api/crm/tickets", "priority") => values(&[""], TicketPriority::options()),
        ("/api/crm/tickets", "assigned") => {
            let mut v = vec![String::new()];
            v.extend(TicketQuery::ASSIGNED.iter().map(|s| s.to_string()));
            v
        }
        _ => return None,
    })
}

fn error_response(description: &str) -> serde_json::Value {
    serde_json::json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// What the handlers' annotations leave out but the server does for every operation, added
/// in one place so the document says what is enforced: 401/403 wherever one must sign in
/// (and no bearer token where one need not), 422 for any input, 404 for any record path, and
/// the sort values each list accepts.
fn refine(doc: &mut serde_json::Value) {
    pin_formats(doc);
    constraints::apply(doc);
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "delete" | "patch") {
                continue;
            }
            let public = PUBLIC.contains(&path.as_str());
            if public {
                op["security"] = serde_json::json!([]);
            }
            let has_input = op
                .get("parameters")
                .and_then(|p| p.as_array())
                .is_some_and(|p| !p.is_empty())
                || op.get("requestBody").is_some();
            // A filter naming a related record (`related_id`, `account_id`…) is 404 when the
            // asker may not see that record.
            let names_a_record = op
                .get("parameters")
                .and_then(|p| p.as_array())
                .is_some_and(|p| {
                    p.iter().any(|p| {
                        p["name"]
                            .as_str()
                            .is_some_and(|n| n == "related_id" || n == "related_type")
                    })
                });
            if let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
                for p in params.iter_mut() {
                    if p["name"] == "sort"
                        && let Some(sorts) = sorts_for(path)
                    {
                        p["schema"] = serde_json::json!({"type": "string", "enum": sorts});
                    }
                    if let Some(name) = p["name"].as_str()
                        && let Some(values) = choices_for(path, name)
                    {
                        p["schema"] = serde_json::json!({"type": "string", "enum": values});
                    }
                    // Page sizes and offsets: what the server takes, whatever the Rust type
                    // (a 32-bit unsigned number; a page is capped, not refused).
                    if p["name"] == "limit" {
                        p["schema"] = serde_json::json!({"type": "integer", "minimum": 0, "maximum": u32::MAX});
                        p["description"] = serde_json::json!(format!(
                            "Rows per page: {} when left out, at most {} (a larger limit gives {1})",
                            crate::domain::records::DEFAULT_PAGE,
                            crate::domain::records::MAX_PAGE
                        ));
                    }
                    // The queue's filter form sends empty fields for "any".
                    if path.starts_with("/api/crm/tickets")
                        && matches!(p["name"].as_str(), Some("account_id" | "contact_id"))
                        && let Some(pattern) = p["schema"]["pattern"].as_str()
                    {
                        let pattern = format!("^$|{pattern}");
                        // Empty is not a uuid: the pattern says all, the format would refuse it.
                        if let Some(schema) = p["schema"].as_object_mut() {
                            schema.remove("format");
                            schema.insert("pattern".into(), serde_json::json!(pattern));
                        }
                    }
                    if p["name"] == "offset" {
                        p["schema"] = serde_json::json!({"type": "integer", "minimum": 0, "maximum": u32::MAX});
                    }
                    if p["name"] == "cursor" {
                        p["description"] = serde_json::json!(
                            "The `next_cursor` of the previous page, as given (any other value answers 422)"
                        );
                    }
                }
            }
            let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
                continue;
            };
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_string())
                    .or_insert_with(|| error_response(description));
            };
            if !public {
                add("401", "Not signed in, or the token is not valid");
                add("403", "Signed in, but not allowed to do this");
            }
            if has_input {
                add("422", "The input is not valid; `fields` says why");
            }
            if path.contains('{') || names_a_record {
                add("404", "No such record, or none the asker may see");
            }
        }
    }
}

/// Gives every `uuid`, `date` and `date-time` string the pattern the server parses, so a
/// generator that does not know the format does not take any string (an empty one) as valid.
fn pin_formats(v: &mut serde_json::Value) {
    const UUID: &str =
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    const DATE: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
    const DATE_TIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";
    match v {
        serde_json::Value::Object(map) => {
            let pattern = match map.get("format").and_then(|f| f.as_str()) {
                Some("uuid") => Some(UUID),
                Some("date") => Some(DATE),
                Some("date-time") => Some(DATE_TIME),
                _ => None,
            };
            if let Some(p) = pattern
                && !map.contains_key("pattern")
            {
                map.insert("pattern".into(), serde_json::Value::String(p.into()));
            }
            for child in map.values_mut() {
                pin_formats(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(pin_formats),
        _ => {}
    }
}

/// The document as served at `/api/openapi.json`.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(openapi()).unwrap_or_default();
    refine(&mut doc);
    doc
}

pub fn router() -> Router<AppState> {
    let (routes, _) = all().split_for_parts();
    let document = Arc::new(document());
    Router::new().merge(routes).merge(forms::router()).route(
        "/api/openapi.json",
        get(move || async move { Json(document.as_ref().clone()) }),
    )
}
