//! Opportunities: list, read, create and edit, with the pipeline's stage rules and a history
//! row for every stage change.

use super::record::{self, Creatable, Listed};
use super::{Actor, require_exists};
use crate::domain::error::{AppError, AppResult};
use crate::domain::opportunity::{
    LostReason, NewOpportunity, Opportunity, OpportunityFields, OpportunityPatch, StageDef,
    check_probability, check_stage_move, is_reopening,
};
use crate::domain::pipeline::day_start;
use crate::domain::records::{Check, ListQuery, RecordKind};
use crate::server::db::list::{Filter, ListSpec};
use crate::server::db::narrow::{LostIs, Opportunities, StageIs};
use crate::server::db::{Conn, opportunities};
use crate::server::policy::{Action, Target, authorize, may_set_money};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::json;
use uuid::Uuid;

pub async fn stages(state: &AppState, principal: &Principal) -> AppResult<Vec<StageDef>> {
    authorize(
        principal,
        Action::Read,
        Target::kind(RecordKind::Opportunity),
    )?;
    let mut h = state.db.handle().await?;
    Ok(opportunities::stages(&mut h.c()).await?)
}

impl Listed for Opportunity {
    const LIST: &'static ListSpec = &opportunities::LIST;
    fn narrow(
        query: &ListQuery,
        sight: Option<Vec<Uuid>>,
        team: Option<Vec<Uuid>>,
    ) -> AppResult<Vec<Filter>> {
        let stage = query
            .stage
            .as_deref()
            .or(query.status.as_deref())
            .filter(|s| !s.is_empty() && *s != "all");
        let lost = match query.lost_reason.as_deref().filter(|r| !r.is_empty()) {
            Some("unknown") => Some(LostIs::Unrecorded),
            reason => record::chosen::<LostReason>(reason, "lost_reason")?.map(LostIs::Reason),
        };
        // Closed days are whole UTC days: from midnight, to before the next midnight.
        let narrow = Opportunities {
            sight,
            team,
            stage: stage.map(|s| match s {
                "open" => StageIs::Open,
                "closed_won" | "closed_lost" => {
                    StageIs::Outcome(s.trim_start_matches("closed_").to_string())
                }
                key => StageIs::Key(key.to_string()),
            }),
            owner: query.owner_id,
            account: query.account_id,
            closed_only: query
                .sort
                .as_deref()
                .is_some_and(|s| s.trim_start_matches('-') == "closed_at"),
            close_from: query.close_from,
            close_to: query.close_to,
            closed_from: query.closed_from.map(day_start),
            closed_before: query
                .closed_to
                .map(|to| day_start(to.succ_opt().unwrap_or(to))),
            lost,
        };
        Ok(narrow.filters())
    }
}

fn find_stage<'s>(stages: &'s [StageDef], key: &str) -> AppResult<&'s StageDef> {
    stages.iter().find(|s| s.key == key).ok_or_else(|| {
        let keys: Vec<&str> = stages.iter().map(|s| s.key.as_str()).collect();
        AppError::invalid(
            "stage",
            format!("Choose one of the pipeline's stages: {}.", keys.join(", ")),
        )
    })
}

async fn check_links(
    c: &mut Conn<'_>,
    f: &OpportunityFields,
    old: Option<&OpportunityFields>,
) -> AppResult<()> {
    if old.is_none_or(|o| o.account_id != f.account_id) {
        require_exists(c, RecordKind::Account, f.account_id, "account_id").await?;
    }
    if old.is_none_or(|o| o.primary_contact_id != f.primary_contact_id) {
        require_exists(
            c,
            RecordKind::Contact,
            f.primary_contact_id,
            "primary_contact_id",
        )
        .await?;
    }
    Ok(())
}

/// What a new opportunity needs besides its fields.
pub struct Placement<'a> {
    pub stage: &'a StageDef,
    pub probability: Option<i32>,
    pub owner_id: Uuid,
    pub lead_id: Option<Uuid>,
}

/// Inserts and audits an opportunity with its first stage-history row (inside the caller's
/// transaction). The stage's gate must already have been checked.
pub async fn insert(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    fields: OpportunityFields,
    at: Placement<'_>,
    now: DateTime<Utc>,
) -> AppResult<Opportunity> {
    check_links(c, &fields, None).await?;
    let id = Uuid::now_v7();
    let opportunity = Opportunity {
        id,
        owner_id: at.owner_id,
        owner_name: None,
        fields,
        stage: at.stage.key.clone(),
        stage_label: Some(at.stage.label.clone()),
        probability: at.probability.unwrap_or(at.stage.probability),
        account_name: None,
        primary_contact_name: None,
        stage_entered_at: now,
        closed_at: at.stage.is_closed().then_some(now),
        lead_id: at.lead_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let details = json!({ "fields": &opportunity.fields, "stage": &opportunity.stage, "owner_id": at.owner_id });
    let added = record::add(c, w, &opportunity, details, now).await?;
    opportunities::record_stage_change(c, id, None, &added.stage, now, Some(w.user_id())).await?;
    Ok(added)
}

impl Creatable for Opportunity {
    type New = NewOpportunity;
    type Advice = ();
    type Created = Opportunity;
    fn prepare(staff: &Staff, new: &mut NewOpportunity) -> AppResult<()> {
        may_set_money(staff, new.fields.value.is_some())?;
        new.fields.normalize();
        let mut check = Check::new();
        new.fields.check(&mut check);
        check_probability(new.probability, &mut check);
        check.finish()
    }
    fn owner_asked(new: &NewOpportunity) -> Option<Uuid> {
        new.owner_id
    }
    /// Placed in the stage asked for (else the first open one), through that stage's gate.
    fn insert<'a>(
        c: &'a mut Conn<'_>,
        w: &'a Actor<'_>,
        new: NewOpportunity,
        owner_id: Uuid,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, AppResult<Opportunity>> {
        Box::pin(async move {
            let stages = opportunities::stages(c).await?;
            let first_open = stages
                .iter()
                .find(|s| !s.is_closed())
                .map(|s| s.key.clone())
                .unwrap_or_default();
            let stage = find_stage(&stages, new.stage.as_deref().unwrap_or(&first_open))?;
            if !stage.missing(&new.fields).is_empty() {
                // The same message a move into this stage would give.
                check_stage_move(stage, stage, &new.fields, w.staff.user.role)?;
            }
            let placement = Placement {
                stage,
                probability: new.probability,
                owner_id,
                lead_id: None,
            };
            insert(c, w, new.fields, placement, now).await
        })
    }
    fn answer(row: Opportunity, _: ()) -> Opportunity {
        row
    }
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: OpportunityPatch,
) -> AppResult<Opportunity> {
    let mut edit = record::open::<Opportunity>(state, principal, client, id, patch.version).await?;
    let staff = edit.staff();
    let now = edit.now;
    let current = edit.current.clone();
    may_set_money(staff, patch.value.is_some())?;
    let mut next = current.clone();
    patch.apply(&mut next.fields);
    let mut check = Check::new();
    next.fields.check(&mut check);
    check_probability(patch.probability, &mut check);
    check.finish()?;
    check_links(&mut edit.tx.c(), &next.fields, Some(&current.fields)).await?;

    let stages = opportunities::stages(&mut edit.tx.c()).await?;
    let target_key = patch.stage.clone().unwrap_or_else(|| current.stage.clone());
    let target = find_stage(&stages, &target_key)?;
    let from = stages
        .iter()
        .find(|s| s.key == current.stage)
        .unwrap_or(target);
    let moving = target.key != current.stage;
    if is_reopening(from, target) {
        authorize(
            principal,
            Action::Reopen,
            Target::kind(RecordKind::Opportunity),
        )?;
    }
    // The gate applies to moves, and to edits that would leave a closed deal incomplete.
    if moving || target.is_closed() {
        check_stage_move(from, target, &next.fields, staff.user.role)?;
    }
    if moving {
        next.stage = target.key.clone();
        next.stage_entered_at = now;
        next.probability = patch.probability.unwrap_or(target.probability);
        // Between two stages of the same outcome the deal stays closed when it was.
        next.closed_at = match (from.is_closed(), target.is_closed()) {
            (true, true) if from.kind == target.kind => current.closed_at,
            (_, true) => Some(now),
            (_, false) => None,
        };
        if !target.is_closed() {
            next.fields.lost_reason = None;
        }
    } else if let Some(p) = patch.probability {
        next.probability = p;
    }
    let saved = edit.save(next, patch.owner_id).await?;
    if moving {
        opportunities::record_stage_change(
            &mut edit.tx.c(),
            id,
            Some(&current.stage),
            &saved.stage,
            now,
            Some(staff.user.id),
        )
        .await?;
    }
    edit.commit(saved).await
}
