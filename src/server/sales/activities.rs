//! Activities, tasks, and a record's timeline.

use super::{Actor, IdemKey, changes, commit_create, replay, require_active_staff, stale};
use crate::domain::activity::{
    Activity, FieldChange, NewActivity, NewTask, Task, TaskPatch, TimelineEntry, TimelineKind,
    linkable,
};
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::{ListQuery, Page, RecordKind};
use crate::server::db::{
    Conn, activities, audit, leads, list, narrow, opportunities, records, users,
};
use crate::server::policy::{Action, Target, authorize, authorize_record, sight, ticket_scope};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

/// The record kinds whose activities this staff member may see.
fn readable_kinds(staff: &Staff) -> Vec<RecordKind> {
    [
        RecordKind::Lead,
        RecordKind::Account,
        RecordKind::Contact,
        RecordKind::Opportunity,
        RecordKind::Ticket,
    ]
    .into_iter()
    .filter(|k| {
        crate::server::policy::allows(
            staff.user.role,
            staff.user.id,
            Action::Read,
            Target::activity_on(*k),
        )
    })
    .collect()
}

pub async fn list_activities(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> AppResult<Page<Activity>> {
    let staff = principal.require_staff()?;
    let kinds = readable_kinds(staff);
    if kinds.is_empty() {
        return Err(AppError::forbidden("Your role cannot see activities."));
    }
    let mut h = state.db.handle().await?;
    if let Some(kind) = query.related_type {
        authorize(principal, Action::Read, Target::activity_on(kind))?;
        if let Some(id) = query.related_id {
            authorize_record(&mut h.c(), principal, Action::Read, kind, id).await?;
        }
    }
    let narrow = narrow::Activities {
        readable: kinds,
        kind: query.related_type,
        record: query.related_id,
        sight: sight(staff).map(<[Uuid]>::to_vec),
        tickets: ticket_scope(staff),
        owner: query.owner_id,
    };
    list::page(&mut h.c(), &activities::ACTIVITIES, query, narrow.filters()).await
}

/// Authorizes reaching the record `kind`/`id` to attach something to it (a note, a task): a
/// record that does not exist, or one the asker may not see, is the same invalid reference.
async fn require_related(
    c: &mut Conn<'_>,
    principal: &Principal,
    kind: RecordKind,
    id: Option<Uuid>,
) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    match authorize_record(c, principal, Action::Read, kind, id).await {
        Err(AppError::NotFound) => Err(AppError::invalid(
            "related_id",
            format!("No such {}.", kind.label().to_lowercase()),
        )),
        other => other.map(|_| ()),
    }
}

/// Whether the asker may see a task: their own, or one whose record they may see.
async fn task_visible(c: &mut Conn<'_>, principal: &Principal, task: &Task) -> AppResult<bool> {
    if principal.user_id() == Some(task.assignee_id) {
        return Ok(true);
    }
    let (Some(kind), Some(id)) = (task.related_type, task.related_id) else {
        return Ok(true);
    };
    match authorize_record(c, principal, Action::Read, kind, id).await {
        Ok(_) => Ok(true),
        // The record it was about is gone: the task stands on its own.
        Err(AppError::NotFound) => Ok(records::facts(c, kind, id).await?.is_none()),
        Err(e) => Err(e),
    }
}

pub async fn create_activity(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut input: NewActivity,
    key: Option<&str>,
) -> AppResult<Activity> {
    input.normalize();
    input.validate()?;
    let staff = authorize(
        principal,
        Action::Create,
        Target::activity_on(input.related_type),
    )?;
    let w = Actor { staff, client };
    let key = IdemKey::new(staff.user.id, key, "activity.create", &input)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(done) = replay::<Activity>(&mut tx.c(), key.as_ref()).await? {
        return Ok(done);
    }
    require_related(
        &mut tx.c(),
        principal,
        input.related_type,
        Some(input.related_id),
    )
    .await?;
    let id = Uuid::now_v7();
    let activity = Activity {
        id,
        owner_id: staff.user.id,
        owner_name: None,
        kind: input.kind,
        subject: input.subject,
        body: input.body,
        occurred_at: input.occurred_at.unwrap_or(now),
        related_type: input.related_type,
        related_id: input.related_id,
        created_at: now,
        updated_at: now,
        version: 1,
        mail_id: None,
    };
    activities::insert_activity(&mut tx.c(), &activity).await?;
    let details = json!({ "kind": activity.kind, "subject": &activity.subject, "related_type": activity.related_type, "related_id": activity.related_id });
    w.audit(
        &mut tx.c(),
        "activity.created",
        RecordKind::Activity,
        id,
        details,
        now,
    )
    .await?;
    let saved = activities::get_activity(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    commit_create(state, tx, key.as_ref(), saved, now).await
}

pub async fn list_tasks(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> AppResult<Page<Task>> {
    let staff = principal.require_staff()?;
    // Whoever may not read every task sees the ones they do.
    let everyone = crate::server::policy::allows(
        staff.user.role,
        staff.user.id,
        Action::Read,
        Target::task(None, None),
    );
    let assignee = if everyone {
        query.assignee_id
    } else {
        Some(staff.user.id)
    };
    let mut h = state.db.handle().await?;
    let record = match (query.related_type, query.related_id) {
        (Some(kind), Some(id)) => {
            authorize_record(&mut h.c(), principal, Action::Read, kind, id).await?;
            Some((kind, id))
        }
        _ => None,
    };
    // Tasks about tickets the asker may not see are listed only to whoever does them. As for
    // notes: a record's tasks come with the record; otherwise those of people within sight
    // (set or done by them).
    let narrow = narrow::Tasks {
        assignee,
        asker: staff.user.id,
        tickets: ticket_scope(staff),
        record,
        sight: sight(staff).map(<[Uuid]>::to_vec),
        open: query.open,
    };
    list::page(&mut h.c(), &activities::TASKS, query, narrow.filters()).await
}

pub async fn create_task(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: NewTask,
    key: Option<&str>,
) -> AppResult<Task> {
    input.validate()?;
    let me = principal.require_staff()?.user.id;
    let staff = authorize(
        principal,
        Action::Create,
        Target::task(Some(input.assignee_id.unwrap_or(me)), input.related_type),
    )?;
    let w = Actor { staff, client };
    let key = IdemKey::new(staff.user.id, key, "task.create", &input)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(done) = replay::<Task>(&mut tx.c(), key.as_ref()).await? {
        return Ok(done);
    }
    let assignee_id = input.assignee_id.unwrap_or(staff.user.id);
    require_active_staff(&mut tx.c(), assignee_id, "assignee_id").await?;
    if let Some(kind) = input.related_type {
        authorize(principal, Action::Read, Target::kind(kind))?;
        require_related(&mut tx.c(), principal, kind, input.related_id).await?;
    }
    let id = Uuid::now_v7();
    let task = Task {
        id,
        owner_id: staff.user.id,
        title: input.title.trim().to_string(),
        due_at: input.due_at,
        assignee_id,
        assignee_name: None,
        done_at: None,
        related_type: input.related_type,
        related_id: input.related_id,
        related_title: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    activities::insert_task(&mut tx.c(), &task).await?;
    let details = json!({ "title": &task.title, "assignee_id": assignee_id, "due_at": task.due_at, "related_type": task.related_type, "related_id": task.related_id });
    w.audit(
        &mut tx.c(),
        "task.created",
        RecordKind::Task,
        id,
        details,
        now,
    )
    .await?;
    let saved = activities::get_task(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    commit_create(state, tx, key.as_ref(), saved, now).await
}

pub async fn update_task(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: TaskPatch,
) -> AppResult<Task> {
    principal.require_staff()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let current = activities::get_task(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !task_visible(&mut tx.c(), principal, &current).await? {
        return Err(AppError::NotFound);
    }
    let staff = authorize(
        principal,
        Action::Update,
        Target::task(Some(current.assignee_id), current.related_type),
    )?;
    // Seen through its record or its people; changed only within the role's edit reach.
    crate::server::policy::edit_within(
        staff,
        Target {
            owner_id: Some(current.owner_id),
            particular: true,
            ..Target::task(Some(current.assignee_id), current.related_type)
        },
    )?;
    let w = Actor { staff, client };
    if patch.version != current.version {
        return Err(stale(&current));
    }
    let mut next = current.clone();
    if let Some(title) = &patch.title {
        if title.trim().is_empty() {
            return Err(AppError::invalid("title", "Say what needs doing."));
        }
        next.title = title.trim().to_string();
    }
    if let Some(due) = patch.due_at {
        next.due_at = due;
    }
    if let Some(assignee) = patch.assignee_id.filter(|a| *a != current.assignee_id) {
        authorize(
            principal,
            Action::Reassign,
            Target {
                owner_id: Some(current.owner_id),
                ..Target::task(Some(current.assignee_id), current.related_type)
            },
        )?;
        require_active_staff(&mut tx.c(), assignee, "assignee_id").await?;
        next.assignee_id = assignee;
    }
    match patch.done {
        Some(true) if current.done_at.is_none() => next.done_at = Some(now),
        Some(false) => next.done_at = None,
        _ => {}
    }
    next.updated_at = now;
    let diff = changes(&current, &next);
    if diff.is_empty() {
        return Ok(current);
    }
    if !activities::update_task(&mut tx.c(), &next, current.version).await? {
        return Err(stale(
            &activities::get_task(&mut tx.c(), id)
                .await?
                .ok_or(AppError::NotFound)?,
        ));
    }
    let action = match patch.done {
        Some(true) => "task.completed",
        Some(false) => "task.reopened",
        None => "task.updated",
    };
    w.audit(
        &mut tx.c(),
        action,
        RecordKind::Task,
        id,
        json!({ "changes": diff }),
        now,
    )
    .await?;
    let saved = activities::get_task(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

/// A person's task list: what is open (overdue first), then what they finished this week.
pub async fn my_tasks(
    state: &AppState,
    principal: &Principal,
) -> AppResult<(Vec<Task>, Vec<Task>)> {
    let staff = principal.require_staff()?;
    let now = state.now();
    let mut h = state.db.handle().await?;
    let open = activities::open_tasks_of(&mut h.c(), staff.user.id, 500).await?;
    let done =
        activities::done_tasks_of(&mut h.c(), staff.user.id, now - Duration::days(7)).await?;
    Ok((open, done))
}

/// Open and recent tasks about one record.
pub async fn tasks_for(
    state: &AppState,
    principal: &Principal,
    kind: RecordKind,
    id: Uuid,
) -> AppResult<Vec<Task>> {
    let mut h = state.db.handle().await?;
    let c = &mut h.c();
    authorize_record(c, principal, Action::Read, kind, id).await?;
    let mut tasks = activities::open_tasks_for(c, kind, id).await?;
    // The open tasks of the lead this became are still to do: they show here too.
    for (lead_id, _) in leads::converted_into(c, kind, id).await? {
        match authorize_record(c, principal, Action::Read, RecordKind::Lead, lead_id).await {
            Ok(_) => tasks.extend(activities::open_tasks_for(c, RecordKind::Lead, lead_id).await?),
            Err(AppError::NotFound | AppError::Forbidden { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    tasks.sort_by_key(|t| (t.done_at.is_some(), t.due_at.is_none(), t.due_at));
    Ok(tasks)
}

/// A record's history, newest first: activities, stage changes, and audited field changes.
pub async fn timeline(
    state: &AppState,
    principal: &Principal,
    kind: RecordKind,
    id: Uuid,
) -> AppResult<Vec<TimelineEntry>> {
    if !linkable(kind) {
        return Err(AppError::NotFound);
    }
    let mut h = state.db.handle().await?;
    let c = &mut h.c();
    authorize_record(c, principal, Action::Read, kind, id).await?;
    let mut entries = history(c, kind, id).await?;
    // One customer story: what happened while this was still a lead (its calls, notes and
    // changes) stays on the account, contact and opportunity it became, for whoever may read
    // that lead too.
    for (lead_id, name) in leads::converted_into(c, kind, id).await? {
        match authorize_record(c, principal, Action::Read, RecordKind::Lead, lead_id).await {
            Ok(_) => {}
            Err(AppError::NotFound | AppError::Forbidden { .. }) => continue,
            Err(e) => return Err(e),
        }
        for mut e in history(c, RecordKind::Lead, lead_id).await? {
            e.source = Some(format!("lead {name}"));
            e.source_link = Some(RecordKind::Lead.path(lead_id));
            entries.push(e);
        }
    }
    entries.sort_by(|a, b| b.at.cmp(&a.at));
    entries.truncate(150);
    Ok(match principal {
        Principal::Staff(staff) => crate::server::policy::shown(staff, entries),
        _ => entries,
    })
}

/// One record's own history: its activities, its stage moves, and its audited changes.
async fn history(c: &mut Conn<'_>, kind: RecordKind, id: Uuid) -> AppResult<Vec<TimelineEntry>> {
    let logged = activities::for_record(c, kind, id, 100).await?;
    let ids: Vec<String> = logged.iter().map(|a| a.id.to_string()).collect();
    let mut viewed_as =
        audit::created_while_viewing_as(c, RecordKind::Activity.as_str(), "activity.created", &ids)
            .await?;
    let mut entries: Vec<TimelineEntry> = logged
        .into_iter()
        .map(|a| TimelineEntry {
            at: a.occurred_at,
            kind: TimelineKind::Activity,
            actor_name: viewed_as.remove(&a.id.to_string()).or(a.owner_name),
            title: format!("{}: {}", a.kind.label(), a.subject),
            body: a.body,
            changes: vec![],
            source: None,
            source_link: None,
            mail_link: a.mail_id.map(|m| format!("/api/crm/mail/{m}")),
        })
        .collect();

    let audited = audit::for_target(c, kind.as_str(), &id.to_string(), 100).await?;
    if kind == RecordKind::Opportunity {
        let stages = opportunities::stages(c).await?;
        let label = |key: &str| {
            stages
                .iter()
                .find(|s| s.key == key)
                .map_or(key.to_string(), |s| s.label.clone())
        };
        for change in opportunities::stage_history(c, id).await? {
            // A move made while an admin viewed as the owner is the admin's: its audit entry
            // (same transaction, same moment) names both.
            let viewed = audited
                .iter()
                .find(|(e, _)| {
                    let same = match &change.from_stage {
                        Some(_) => {
                            e.details.0["changes"]["stage"]["new"].as_str()
                                == Some(change.to_stage.as_str())
                        }
                        None => e.action.ends_with(".created"),
                    };
                    same && e.subject_id.is_some() && (e.at - change.at).num_seconds().abs() <= 1
                })
                .and_then(|(_, who)| who.clone());
            let actor = match (viewed, change.by_user_id) {
                (Some(who), _) => Some(who),
                (None, Some(u)) => users::by_id(c, u).await?.map(|u| u.name),
                (None, None) => None,
            };
            let title = match &change.from_stage {
                Some(from) => format!("Stage: {} → {}", label(from), label(&change.to_stage)),
                None => format!("Created in {}", label(&change.to_stage)),
            };
            entries.push(TimelineEntry {
                at: change.at,
                kind: TimelineKind::StageChange,
                actor_name: actor,
                title,
                body: None,
                changes: vec![],
                source: None,
                source_link: None,
                mail_link: None,
            });
        }
    }

    for (entry, actor_name) in audited {
        // Stage moves are already shown from the stage history.
        if entry.action.ends_with(".stage_changed")
            && kind == RecordKind::Opportunity
            && only_stage_fields(&entry.details.0)
        {
            continue;
        }
        let changes = field_changes(&entry.details.0);
        entries.push(TimelineEntry {
            at: entry.at,
            kind: TimelineKind::Change,
            actor_name: actor_name.or(entry.actor_label),
            title: describe(&entry.action),
            body: None,
            changes,
            source: None,
            source_link: None,
            mail_link: None,
        });
    }
    Ok(entries)
}

fn only_stage_fields(details: &Value) -> bool {
    details["changes"].as_object().is_some_and(|c| {
        c.keys().all(|k| {
            matches!(
                k.as_str(),
                "stage" | "probability" | "stage_entered_at" | "closed_at"
            )
        })
    })
}

fn describe(action: &str) -> String {
    let (kind, what) = action.split_once('.').unwrap_or(("record", action));
    let kind = kind.replace('_', " ");
    match what {
        "created" => format!("Created this {kind}"),
        "updated" => "Edited".to_string(),
        "status_changed" => "Status changed".to_string(),
        "stage_changed" => "Stage changed".to_string(),
        "reassigned" => "Reassigned".to_string(),
        "qualified" => "Qualified: account, contact and opportunity created or linked".to_string(),
        "deleted" => format!("Deleted this {kind}"),
        other => other.replace('_', " "),
    }
}

fn display_value(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "yes".into() } else { "no".into() }),
        other => Some(other.to_string()),
    }
}

fn field_changes(details: &Value) -> Vec<FieldChange> {
    let Some(map) = details["changes"].as_object() else {
        return vec![];
    };
    map.iter()
        .filter(|(field, _)| {
            !matches!(
                field.as_str(),
                "stage_entered_at" | "closed_at" | "updated_at"
            )
        })
        .map(|(field, change)| FieldChange {
            field: field.replace('_', " "),
            old: display_value(&change["old"]),
            new: display_value(&change["new"]),
        })
        .collect()
}
