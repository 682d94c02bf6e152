//! Leads: list, read, create (with duplicate warnings), edit (with status rules).

use super::{Actor, IdemKey, commit_create, edit, owner_for_new, replay};
use crate::domain::error::{AppError, AppResult};
use crate::domain::lead::{
    CreatedLead, DuplicateWarning, Lead, LeadPatch, LeadStatus, NewLead, check_status_change,
};
use crate::domain::records::{ListQuery, Page, RecordKind};
use crate::server::db::list;
use crate::server::db::narrow::Leads;
use crate::server::db::{Conn, contacts, leads, records};
use crate::server::policy::{Action, Target, authorize, sight};
use crate::server::principal::{Principal, Staff};
use crate::server::state::AppState;
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> AppResult<Page<Lead>> {
    let staff = authorize(principal, Action::Read, Target::kind(RecordKind::Lead))?;
    let status = match query
        .status
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "all")
    {
        Some(status) => Some(
            status
                .parse::<LeadStatus>()
                .map_err(|e: String| AppError::invalid("status", e))?,
        ),
        None => None,
    };
    let filters = Leads {
        sight: sight(staff).map(<[Uuid]>::to_vec),
        team: super::team_people(state, query.team_id).await?,
        status,
        owner: query.owner_id,
    }
    .filters();
    list::page_now(&state.db, &leads::LIST, query, filters).await
}

pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<Lead> {
    edit::read(state, principal, id).await
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

pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &crate::server::principal::ClientInfo,
    mut input: NewLead,
    key: Option<&str>,
) -> AppResult<CreatedLead> {
    let staff = authorize(principal, Action::Create, Target::kind(RecordKind::Lead))?;
    let w = Actor { staff, client };
    input.fields.normalize();
    input.validate()?;
    let key = IdemKey::new(staff.user.id, key, "lead.create", &input)?;
    let now = state.now();
    // The duplicate warnings are advice, read before the write begins so they do not lengthen
    // the one-writer-at-a-time section.
    let warnings = {
        let mut h = state.db.handle().await?;
        possible_duplicates(&mut h.c(), staff, input.fields.email.as_deref(), None).await?
    };
    let mut tx = state.db.begin().await?;
    if let Some(done) = replay::<CreatedLead>(&mut tx.c(), key.as_ref()).await? {
        return Ok(done);
    }
    let owner_id = owner_for_new(&mut tx.c(), staff, input.owner_id).await?;
    let id = Uuid::now_v7();
    let lead = Lead {
        id,
        owner_id,
        owner_name: None,
        status: input.status.unwrap_or(LeadStatus::New),
        disqualify_reason: None,
        fields: input.fields,
        converted_account_id: None,
        converted_contact_id: None,
        converted_opportunity_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
        custom: Default::default(),
    };
    let details =
        json!({ "fields": &lead.fields, "status": lead.status, "owner_id": lead.owner_id });
    let lead = edit::add(&mut tx.c(), &w, &lead, details, now).await?;
    commit_create(state, tx, key.as_ref(), CreatedLead { lead, warnings }, now).await
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &crate::server::principal::ClientInfo,
    id: Uuid,
    patch: LeadPatch,
) -> AppResult<Lead> {
    let staff = authorize(principal, Action::Update, Target::kind(RecordKind::Lead))?;
    let w = Actor { staff, client };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let edit: edit::Edit<Lead> =
        edit::open(&mut tx.c(), principal, staff, id, patch.version, now).await?;
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
    let saved = edit.save(&mut tx.c(), &w, next, patch.owner_id).await?;
    tx.commit().await?;
    Ok(saved)
}
