//! Leads: list, read, create (with duplicate warnings), edit (with status rules).

use super::Actor;
use super::record::{self, Creatable, Listed};
use crate::domain::error::AppResult;
use crate::domain::lead::{
    CreatedLead, DuplicateWarning, Lead, LeadPatch, LeadStatus, NewLead, check_status_change,
};
use crate::domain::records::{ListQuery, RecordKind};
use crate::server::db::list::{Filter, ListSpec};
use crate::server::db::narrow::Leads;
use crate::server::db::{Conn, contacts, leads, records};
use crate::server::policy::{Action, Target, authorize};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::json;
use uuid::Uuid;

impl Listed for Lead {
    const LIST: &'static ListSpec = &leads::LIST;
    fn narrow(
        query: &ListQuery,
        sight: Option<Vec<Uuid>>,
        team: Option<Vec<Uuid>>,
    ) -> AppResult<Vec<Filter>> {
        let narrow = Leads {
            sight,
            team,
            status: record::chosen::<LeadStatus>(query.status.as_deref(), "status")?,
            owner: query.owner_id,
        };
        Ok(narrow.filters())
    }
}

/// Contacts and open leads that share this email: shown as warnings, not refused. One the
/// asker may not see is still reported (a duplicate is a duplicate), without its name.
pub async fn possible_duplicates(
    c: &mut Conn<'_>,
    staff: &Staff,
    email: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<Vec<DuplicateWarning>> {
    let mut warnings = found_duplicates(c, email, except).await?;
    for w in &mut warnings {
        let facts = records::facts(c, w.kind, w.id).await?.unwrap_or_default();
        if !crate::server::policy::sees(staff, w.kind, &facts) {
            w.title = String::new();
            w.message = format!(
                "A {} with this email already exists, outside the records you see: ask a manager before adding another.",
                w.kind.label().to_lowercase()
            );
        }
    }
    Ok(warnings)
}

async fn found_duplicates(
    c: &mut Conn<'_>,
    email: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<Vec<DuplicateWarning>> {
    let Some(email) = email else {
        return Ok(vec![]);
    };
    let mut warnings = Vec::new();
    if let Some(id) = contacts::id_by_email(c, email).await? {
        let title = contacts::get(c, id)
            .await?
            .map(|k| k.name())
            .unwrap_or_default();
        warnings.push(DuplicateWarning {
            kind: RecordKind::Contact,
            id,
            message: format!("A contact with {email} already exists: {title}."),
            title,
        });
    }
    for (id, name) in leads::open_with_email(c, email, except).await? {
        warnings.push(DuplicateWarning {
            kind: RecordKind::Lead,
            id,
            message: format!("An open lead with {email} already exists: {name}."),
            title: name,
        });
    }
    Ok(warnings)
}

/// Duplicate check for a form, before anything is saved.
pub async fn check_duplicates(
    state: &AppState,
    principal: &Principal,
    email: &str,
) -> AppResult<Vec<DuplicateWarning>> {
    let staff = authorize(principal, Action::Read, Target::kind(RecordKind::Lead))?;
    let email = email.trim().to_lowercase();
    if crate::domain::user::email_problem(&email).is_some() {
        return Ok(vec![]);
    }
    let mut h = state.db.handle().await?;
    possible_duplicates(&mut h.c(), staff, Some(&email), None).await
}

impl Creatable for Lead {
    type New = NewLead;
    type Advice = Vec<DuplicateWarning>;
    type Created = CreatedLead;
    fn prepare(_: &Staff, new: &mut NewLead) -> AppResult<()> {
        new.fields.normalize();
        new.validate()
    }
    fn owner_asked(new: &NewLead) -> Option<Uuid> {
        new.owner_id
    }
    fn advise<'a>(
        state: &'a AppState,
        staff: &'a Staff,
        new: &'a NewLead,
    ) -> BoxFuture<'a, AppResult<Vec<DuplicateWarning>>> {
        Box::pin(async move {
            let mut h = state.db.handle().await?;
            possible_duplicates(&mut h.c(), staff, new.fields.email.as_deref(), None).await
        })
    }
    fn insert<'a>(
        c: &'a mut Conn<'_>,
        w: &'a Actor<'_>,
        new: NewLead,
        owner_id: Uuid,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, AppResult<Lead>> {
        Box::pin(async move {
            let status = new.status.unwrap_or(LeadStatus::New);
            let lead = Lead::fresh(Uuid::now_v7(), owner_id, new.fields, status, now);
            let details =
                json!({ "fields": &lead.fields, "status": lead.status, "owner_id": lead.owner_id });
            record::add(c, w, &lead, details, now).await
        })
    }
    fn answer(lead: Lead, warnings: Vec<DuplicateWarning>) -> CreatedLead {
        CreatedLead { lead, warnings }
    }
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: LeadPatch,
) -> AppResult<Lead> {
    let mut edit = record::open::<Lead>(state, principal, client, id, patch.version).await?;
    let staff = edit.staff();
    let current = &edit.current;
    let mut next = current.clone();
    patch.apply(&mut next.fields);
    next.fields.validate()?;
    if let Some(reason) = &patch.disqualify_reason {
        next.disqualify_reason = reason
            .as_ref()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
    }
    if let Some(status) = patch.status {
        check_status_change(
            current.status,
            status,
            next.disqualify_reason.as_deref(),
            // Who may reopen is the policy's to say, as for a closed deal.
            crate::server::policy::allows(
                staff.user.role,
                staff.user.id,
                Action::Reopen,
                Target::owned(RecordKind::Lead, current.owner_id),
            ),
        )?;
        next.status = status;
    }
    if next.status != LeadStatus::Disqualified {
        next.disqualify_reason = None;
    }
    let saved = edit.save(next, patch.owner_id).await?;
    edit.commit(saved).await
}
