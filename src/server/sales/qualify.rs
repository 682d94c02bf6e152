//! Qualifying a lead: in one transaction, find or create the account and the contact, open an
//! opportunity linked to both, and mark the lead qualified. A second call answers the same.

use super::{Actor, opportunities as opportunity_service};
use crate::domain::account::AccountFields;
use crate::domain::contact::{ContactFields, ContactRole};
use crate::domain::error::{AppError, AppResult};
use crate::domain::lead::{LeadStatus, QualifyInput, QualifyResult, split_name};
use crate::domain::opportunity::{OpportunityFields, check_stage_move, opportunity_name_for};
use crate::domain::records::{Check, RecordKind, email_domain, is_free_mail_domain};
use crate::server::db::{Conn, accounts, audit, contacts, leads, opportunities};
use crate::server::policy::{Action, Target, authorize};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// The stage a qualified lead's opportunity starts in.
pub const QUALIFIED_STAGE: &str = "qualified";

pub async fn qualify(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    input: QualifyInput,
) -> AppResult<QualifyResult> {
    let staff = authorize(principal, Action::Qualify, Target::kind(RecordKind::Lead))?;
    let w = Actor { staff, client };
    crate::server::policy::may_set_money(staff, input.value.is_some())?;
    let mut check = Check::new();
    check.when(
        input.value.is_some_and(|v| v < 0),
        "value",
        "The value cannot be negative.",
    );
    check.length("opportunity_name", input.opportunity_name.as_deref(), 200);
    check.finish()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let lead = leads::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(
        principal,
        Action::Qualify,
        Target::owned(RecordKind::Lead, lead.owner_id),
    )?;

    if lead.status == LeadStatus::Qualified {
        return earlier_result(&mut tx.c(), lead.id).await;
    }
    if !lead.status.is_open() {
        return Err(AppError::invalid(
            "status",
            "Only a new or contacted lead can be qualified.",
        ));
    }

    let (account_id, account_created) = find_or_create_account(&mut tx.c(), &w, &lead, now).await?;
    let (contact_id, contact_created) =
        find_or_create_contact(&mut tx.c(), &w, &lead, account_id, now).await?;

    let stages = opportunities::stages(&mut tx.c()).await?;
    let stage = stages
        .iter()
        .find(|s| s.key == QUALIFIED_STAGE)
        .or_else(|| stages.iter().find(|s| !s.is_closed()))
        .ok_or_else(|| AppError::invalid("stage", "The pipeline has no open stage to start in."))?;
    let fields = OpportunityFields {
        name: input
            .opportunity_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                opportunity_name_for(lead.fields.company.as_deref(), &lead.fields.name)
            }),
        account_id: Some(account_id),
        primary_contact_id: Some(contact_id),
        value: input.value,
        expected_close: input.expected_close,
        ..Default::default()
    };
    check_stage_move(stage, stage, &fields, staff.user.role)?;
    let placement = opportunity_service::Placement {
        stage,
        probability: None,
        owner_id: lead.owner_id,
        lead_id: Some(lead.id),
    };
    let opportunity = opportunity_service::insert(&mut tx.c(), &w, fields, placement, now).await?;

    let mut qualified = lead.clone();
    qualified.status = LeadStatus::Qualified;
    qualified.converted_account_id = Some(account_id);
    qualified.converted_contact_id = Some(contact_id);
    qualified.converted_opportunity_id = Some(opportunity.id);
    qualified.updated_at = now;
    if !leads::update(&mut tx.c(), &qualified, lead.version).await? {
        return Err(AppError::conflict(
            "The lead changed while it was being qualified. Try again.",
        ));
    }
    let details = json!({
        "changes": { "status": { "old": lead.status, "new": LeadStatus::Qualified } },
        "account_id": account_id, "contact_id": contact_id, "opportunity_id": opportunity.id,
        "account_created": account_created, "contact_created": contact_created,
    });
    w.audit(
        &mut tx.c(),
        "lead.qualified",
        RecordKind::Lead,
        lead.id,
        details,
        now,
    )
    .await?;
    let lead = leads::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(QualifyResult {
        lead,
        account_id,
        contact_id,
        opportunity_id: opportunity.id,
        account_created,
        contact_created,
    })
}

/// The answer of the first qualification, rebuilt from the lead and its audit entry.
async fn earlier_result(c: &mut Conn<'_>, lead_id: Uuid) -> AppResult<QualifyResult> {
    let lead = leads::get(c, lead_id).await?.ok_or(AppError::NotFound)?;
    let (Some(account_id), Some(contact_id), Some(opportunity_id)) = (
        lead.converted_account_id,
        lead.converted_contact_id,
        lead.converted_opportunity_id,
    ) else {
        return Err(AppError::invalid(
            "status",
            "This lead is marked qualified but has no opportunity.",
        ));
    };
    let entry = audit::for_target(c, "lead", &lead_id.to_string(), 50)
        .await?
        .into_iter()
        .find(|(e, _)| e.action == "lead.qualified");
    let flag = |name: &str| {
        entry
            .as_ref()
            .and_then(|(e, _)| e.details.0[name].as_bool())
            .unwrap_or(false)
    };
    Ok(QualifyResult {
        account_created: flag("account_created"),
        contact_created: flag("contact_created"),
        lead,
        account_id,
        contact_id,
        opportunity_id,
    })
}

/// The lead's company: by the domain of a work email, else by exact company name; created
/// when neither finds one.
async fn find_or_create_account(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    lead: &crate::domain::lead::Lead,
    now: DateTime<Utc>,
) -> AppResult<(Uuid, bool)> {
    let domain = lead
        .fields
        .email
        .as_deref()
        .and_then(email_domain)
        .filter(|d| !is_free_mail_domain(d));
    if let Some(d) = &domain {
        if let Some(id) = accounts::id_by_domain(c, d).await? {
            return Ok((id, false));
        }
    }
    if let Some(company) = lead.fields.company.as_deref() {
        if let Some(id) = accounts::id_by_name(c, company).await? {
            return Ok((id, false));
        }
    }
    let name = lead
        .fields
        .company
        .clone()
        .or_else(|| domain.clone())
        .unwrap_or_else(|| lead.fields.name.clone());
    let mut fields = AccountFields {
        name,
        domain,
        phone: None,
        ..Default::default()
    };
    fields.normalize();
    let account = super::accounts::insert(c, w, fields, lead.owner_id, now).await?;
    Ok((account.id, true))
}

/// The lead's person: by email, else created as a prospect at the account.
async fn find_or_create_contact(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    lead: &crate::domain::lead::Lead,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(Uuid, bool)> {
    if let Some(email) = lead.fields.email.as_deref() {
        if let Some(id) = contacts::id_by_email(c, email).await? {
            return Ok((id, false));
        }
    }
    let (first_name, last_name) = split_name(&lead.fields.name);
    let mut fields = ContactFields {
        first_name,
        last_name,
        email: lead.fields.email.clone(),
        phone: lead.fields.phone.clone(),
        account_id: Some(account_id),
        role: ContactRole::Prospect,
        ..Default::default()
    };
    fields.normalize();
    let contact = super::contacts::insert(c, w, fields, lead.owner_id, now).await?;
    Ok((contact.id, true))
}
