//! The audit log as admins read it: filtered, newest first, one page at a time, with names
//! for the people and links to the records.

use crate::domain::admin::{AuditEntry, AuditFilter, AuditPage, field_changes};
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::RecordKind;
use crate::server::auth::Principal;
use crate::server::db::audit;
use crate::server::policy::{self, Action, Target};
use crate::server::state::AppState;
use uuid::Uuid;

pub const PAGE: i64 = 100;

fn link(target_type: Option<&str>, target_id: Option<&str>) -> Option<String> {
    let id: Uuid = target_id?.parse().ok()?;
    match target_type? {
        "user" => Some("/admin/users".into()),
        "sla_policy" => Some("/admin/sla".into()),
        "stage" => Some("/pipeline/stages".into()),
        kind => kind.parse::<RecordKind>().ok().map(|k| k.path(id)),
    }
}

pub async fn search(
    state: &AppState,
    principal: &Principal,
    filter: &AuditFilter,
) -> AppResult<AuditPage> {
    policy::authorize(
        principal,
        Action::Administer,
        Target::kind(RecordKind::Form),
    )?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(AppError::invalid("from", "The start is after the end."));
    }
    let mut h = state.db.handle().await?;
    let rows = audit::search(&mut h.c(), filter, PAGE + 1).await?;
    let more = rows.len() as i64 > PAGE;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| {
            let e = r.entry;
            let mut details = e.details.0;
            let changes = field_changes(&details);
            if let Some(map) = details.as_object_mut() {
                map.remove("changes");
                for c in &changes {
                    map.remove(&c.field);
                }
            }
            AuditEntry {
                seq: e.seq,
                at: e.at,
                actor: r
                    .actor_name
                    .or(e.actor_label)
                    .unwrap_or_else(|| "system".into()),
                actor_id: e.actor_id,
                subject_id: e.subject_id,
                subject: r.subject_name,
                target_link: link(e.target_type.as_deref(), e.target_id.as_deref()),
                target_type: e.target_type,
                target_id: e.target_id,
                ip: e.ip,
                changes,
                details: if details.as_object().is_some_and(|m| m.is_empty()) {
                    String::new()
                } else {
                    details.to_string()
                },
                action: e.action,
            }
        })
        .collect();
    let next_before = more.then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(AuditPage {
        entries,
        next_before,
    })
}
