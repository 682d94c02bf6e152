//! The audit log as admins read it: filtered, newest first, one page at a time, with names
//! for the people and links to the records.

use crate::domain::admin::{AuditEntry, AuditFilter, AuditPage, audit_facts, field_changes};
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::RecordKind;
use crate::server::db::audit;
use crate::server::policy::{self, Action, Target};
use crate::server::principal::Principal;
use crate::server::state::AppState;
use std::collections::HashMap;
use uuid::Uuid;

pub const PAGE: i64 = 100;

fn link(target_type: Option<&str>, target_id: Option<&str>) -> Option<String> {
    match target_type? {
        "sla_policy" => return Some("/admin/sla".into()),
        "stage" | "pipeline" => return Some("/pipeline/stages".into()),
        "form" => return Some("/admin/forms".into()),
        _ => {}
    }
    let id: Uuid = target_id?.parse().ok()?;
    match target_type? {
        "user" => Some("/admin/users".into()),
        "import" => Some(format!("/imports/{id}")),
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
    // Name each target once per page (a page of sign-ins names the same few users).
    let mut names: HashMap<(String, String), Option<String>> = HashMap::new();
    for r in rows.iter().take(PAGE as usize) {
        if let (Some(t), Some(id)) = (&r.entry.target_type, &r.entry.target_id) {
            let key = (t.clone(), id.clone());
            if !names.contains_key(&key) {
                let name = audit::target_name(&mut h.c(), t, id).await?;
                names.insert(key, name);
            }
        }
    }
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
                target_name: e
                    .target_type
                    .clone()
                    .zip(e.target_id.clone())
                    .and_then(|k| names.get(&k).cloned().flatten()),
                target_type: e.target_type,
                target_id: e.target_id,
                ip: e.ip,
                changes,
                facts: audit_facts(&details),
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
