//! The sales records' server code: each module authorizes through the policy, runs one
//! transaction of repository calls, and writes the audit rows in that same transaction.

pub mod accounts;
pub mod activities;
pub mod contacts;
pub mod leads;
pub mod opportunities;
pub mod pipeline;
pub mod qualify;
pub mod record;
pub mod search;

use super::auth::secret;
use super::db::{self, Conn, Tx, audit, idempotency};
use super::principal::{ClientInfo, Staff};
use super::state::AppState;
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::RecordKind;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Who is acting and from where (the staff member, their address and browser): what every
/// audit row names, and what a change is made as.
#[derive(Clone, Debug)]
pub struct Actor<'a> {
    pub staff: &'a Staff,
    pub client: &'a ClientInfo,
}

impl Actor<'_> {
    pub fn user_id(&self) -> Uuid {
        self.staff.user.id
    }

    pub fn entry(
        &self,
        action: &str,
        kind: RecordKind,
        id: Uuid,
        details: Value,
    ) -> audit::NewEntry {
        audit::NewEntry {
            // While an admin views as this user, the admin acted and the user is the subject.
            actor_id: Some(self.staff.actor_id()),
            subject_id: self.staff.subject_id(),
            action: action.to_string(),
            target_type: Some(kind.as_str().to_string()),
            target_id: Some(id.to_string()),
            ip: Some(self.client.ip.clone()),
            user_agent: Some(self.client.user_agent.clone()),
            details,
            ..Default::default()
        }
    }

    pub async fn audit(
        &self,
        c: &mut Conn<'_>,
        action: &str,
        kind: RecordKind,
        id: Uuid,
        details: Value,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        audit::insert(c, &self.entry(action, kind, id, details), now).await?;
        Ok(())
    }
}

/// The fields that differ between two versions of a record: `{"field": {"old": …, "new": …}}`.
pub fn changes(old: &impl Serialize, new: &impl Serialize) -> Map<String, Value> {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Map::new();
    };
    let mut out = Map::new();
    for (field, new_value) in &new {
        if matches!(
            field.as_str(),
            "updated_at"
                | "version"
                | "owner_name"
                | "account_name"
                | "primary_contact_name"
                | "contact_count"
        ) {
            continue;
        }
        let old_value = old.get(field).cloned().unwrap_or(Value::Null);
        if &old_value != new_value {
            out.insert(field.clone(), json!({ "old": old_value, "new": new_value }));
        }
    }
    out
}

/// The action name for an update: status, stage and owner changes get their own, so they can
/// be found in the log.
pub fn update_action(kind: RecordKind, changes: &Map<String, Value>) -> String {
    let what = if changes.contains_key("stage") {
        "stage_changed"
    } else if changes.contains_key("status") {
        "status_changed"
    } else if changes.contains_key("owner_id") {
        "reassigned"
    } else {
        "updated"
    };
    format!("{}.{what}", kind.as_str())
}

/// The 409 for a stale write: the record as it is now, so the other person's change can be
/// shown instead of overwritten.
pub fn stale(current: &impl Serialize) -> AppError {
    AppError::Conflict {
        message: "Someone else changed this record since you opened it. Review their change and try again.".into(),
        existing_id: None,
        current: serde_json::to_value(current).ok(),
    }
}

/// An idempotency key with what it promises: the same user, the same request.
pub struct IdemKey {
    pub user_id: Uuid,
    pub key: String,
    pub request_hash: String,
}

impl IdemKey {
    /// `None` when the client sent no key. The hash covers the operation and the input.
    pub fn new(
        user_id: Uuid,
        key: Option<&str>,
        scope: &str,
        input: &impl Serialize,
    ) -> AppResult<Option<IdemKey>> {
        let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
            return Ok(None);
        };
        if key.len() > 200 {
            return Err(AppError::invalid(
                "idempotency_key",
                "Use a key of at most 200 characters.",
            ));
        }
        let body = serde_json::to_string(input).unwrap_or_default();
        let request_hash = secret::digest(&format!("{scope}\n{body}"));
        Ok(Some(IdemKey {
            user_id,
            key: key.to_string(),
            request_hash,
        }))
    }
}

/// The first answer to this key, if there was one (422 if the key came with another request).
pub async fn replay<T: DeserializeOwned>(
    c: &mut Conn<'_>,
    key: Option<&IdemKey>,
) -> AppResult<Option<T>> {
    let Some(k) = key else { return Ok(None) };
    let Some(stored) = idempotency::find(c, k.user_id, &k.key).await? else {
        return Ok(None);
    };
    if stored.request_hash != k.request_hash {
        return Err(AppError::Validation {
            message: "This Idempotency-Key was already used for a different request.".into(),
            fields: [(
                "idempotency_key".to_string(),
                vec!["Already used for a different request.".to_string()],
            )]
            .into(),
        });
    }
    serde_json::from_str(&stored.response)
        .map(Some)
        .map_err(super::error::internal)
}

/// Commits a create, remembering its answer under the key. If another request with the same
/// key won a race, this one's work is rolled back and the winner's answer returned.
pub async fn commit_create<T: Serialize + DeserializeOwned>(
    state: &AppState,
    mut tx: Tx,
    key: Option<&IdemKey>,
    result: T,
    now: DateTime<Utc>,
) -> AppResult<T> {
    if let Some(k) = key {
        let body = serde_json::to_string(&result).map_err(super::error::internal)?;
        if let Err(e) = idempotency::store(
            &mut tx.c(),
            k.user_id,
            &k.key,
            &k.request_hash,
            201,
            &body,
            now,
        )
        .await
        {
            if db::idempotency::KEY_TAKEN.violated_by(&e) {
                drop(tx);
                let mut h = state.db.handle().await?;
                return replay(&mut h.c(), Some(k))
                    .await?
                    .ok_or_else(|| super::error::internal("idempotency race without a winner"));
            }
            return Err(e.into());
        }
    }
    tx.commit().await?;
    Ok(result)
}

/// 422 naming `field` when the record it points to does not exist.
pub async fn require_exists(
    c: &mut Conn<'_>,
    kind: RecordKind,
    id: Option<Uuid>,
    field: &str,
) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    if !db::records::exists(c, kind, id).await? {
        return Err(AppError::invalid(
            field,
            format!("No such {}.", kind.label().to_lowercase()),
        ));
    }
    Ok(())
}

/// The owner a new record gets: the creator, or (for managers and admins) whoever they name,
/// who must be an active staff member.
pub async fn owner_for_new(
    c: &mut Conn<'_>,
    staff: &Staff,
    requested: Option<Uuid>,
) -> AppResult<Uuid> {
    let Some(owner) = requested.filter(|o| *o != staff.user.id) else {
        return Ok(staff.user.id);
    };
    crate::server::policy::create_for_others(staff)?;
    require_active_staff(c, owner, "owner_id").await?;
    Ok(owner)
}

/// The people of the team a list is narrowed to (`team_id`), if one is chosen: its members and
/// its manager. What the asker sees is narrowed separately, by the policy.
pub async fn team_people(state: &AppState, team: Option<Uuid>) -> AppResult<Option<Vec<Uuid>>> {
    let Some(team) = team else { return Ok(None) };
    let mut h = state.db.handle().await?;
    Ok(Some(db::teams::people(&mut h.c(), team).await?))
}

pub async fn require_active_staff(c: &mut Conn<'_>, user_id: Uuid, field: &str) -> AppResult<()> {
    match db::users::by_id(c, user_id).await? {
        Some(u) if u.active => Ok(()),
        _ => Err(AppError::invalid(field, "Choose an active user.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_list_only_what_differs() {
        let old = json!({"name": "Ada", "company": "Acme", "version": 1, "status": "new"});
        let new = json!({"name": "Ada", "company": null, "version": 2, "status": "contacted"});
        let c = changes(&old, &new);
        assert_eq!(c.len(), 2);
        assert_eq!(c["company"], json!({"old": "Acme", "new": null}));
        assert_eq!(update_action(RecordKind::Lead, &c), "lead.status_changed");
    }
}
