//! The panels every record page has: its timeline, its tasks, and a quick "log activity" box.

use super::form::Submit;
use crate::api::sales::{create_task, log_activity, record_tasks, record_timeline, update_task};
use crate::domain::activity::{
    ActivityKind, NewActivity, NewTask, Task, TaskPatch, TimelineEntry, TimelineKind,
};
use crate::domain::error::AppError;
use crate::domain::records::RecordKind;
use crate::ui::format::{datetime, day, submission_key};
use leptos::prelude::*;
use uuid::Uuid;

/// Bumped after a write, so the panels that show it reload.
pub type Refresh = RwSignal<u32>;

/// What a record page loads beside the record itself: its timeline and its tasks. The page
/// creates this at its top, outside its Suspense: on the server a Suspense builds its children
/// more than once, and resources made there would get other hydration ids than in the browser.
#[derive(Clone, Copy)]
pub struct RecordPanels {
    pub kind: RecordKind,
    pub id: Uuid,
    pub refresh: Refresh,
    timeline: Resource<Result<Vec<TimelineEntry>, AppError>>,
    tasks: Resource<Result<Vec<Task>, AppError>>,
}

impl RecordPanels {
    pub fn new(kind: RecordKind, id: Uuid) -> RecordPanels {
        let refresh: Refresh = RwSignal::new(0);
        RecordPanels {
            kind,
            id,
            refresh,
            timeline: Resource::new(move || refresh.get(), move |_| record_timeline(kind, id)),
            tasks: Resource::new(move || refresh.get(), move |_| record_tasks(kind, id)),
        }
    }
}

#[component]
pub fn Timeline(panels: RecordPanels) -> impl IntoView {
    let entries = panels.timeline;
    view! {
        <section class="panel" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="timeline">
                                {list.into_iter().map(|e| {
                                    let class = match e.kind {
                                        TimelineKind::Activity => "tl activity",
                                        TimelineKind::StageChange => "tl stage",
                                        TimelineKind::Change => "tl change",
                                    };
                                    view! {
                                        <li class=class>
                                            <div class="tl-head">
                                                <strong>{e.title}</strong>
                                                <span class="muted">
                                                    {e.actor_name.map(|a| format!("{a} · ")).unwrap_or_default()}
                                                    <time datetime=e.at.to_rfc3339()>{datetime(e.at)}</time>
                                                </span>
                                                {e.source.map(|s| view! {
                                                    <span class="tl-source muted">"on "<a href=e.source_link.unwrap_or_default()>{s}</a></span>
                                                })}
                                            </div>
                                            {e.body.map(|b| view! { <p class="tl-body">{b}</p> })}
                                            {e.mail_link.map(|href| view! {
                                                <p class="tl-mail"><a href=href download="">"Download the message (.eml)"</a></p>
                                            })}
                                            {(!e.changes.is_empty()).then(|| view! {
                                                <ul class="changes">
                                                    {e.changes.into_iter().map(|c| view! {
                                                        <li>
                                                            <span class="change-field">{c.field}</span>": "
                                                            <span class="old">{c.old.unwrap_or_else(|| "—".into())}</span>
                                                            " → "
                                                            <span class="new">{c.new.unwrap_or_else(|| "—".into())}</span>
                                                        </li>
                                                    }).collect_view()}
                                                </ul>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A box to record a call, meeting, note or email on the spot.
#[component]
pub fn LogActivity(panels: RecordPanels) -> impl IntoView {
    let RecordPanels {
        kind, id, refresh, ..
    } = panels;
    let activity_kind = RwSignal::new(ActivityKind::Note);
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let state = RwSignal::new(Submit::Idle);
    let key = StoredValue::new(submission_key());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewActivity {
            kind: activity_kind.get_untracked(),
            subject: subject.get_untracked(),
            body: Some(body.get_untracked()),
            occurred_at: None,
            related_type: kind,
            related_id: id,
        };
        state.set(Submit::Busy);
        leptos::task::spawn_local(async move {
            match log_activity(input, key.get_value()).await {
                Ok(_) => {
                    subject.set(String::new());
                    body.set(String::new());
                    key.set_value(submission_key());
                    state.set(Submit::Done);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => state.set(Submit::Failed(e)),
            }
        });
    };
    let error = move || {
        state.with(|s| {
            s.error()
                .map(|e| e.field("subject").unwrap_or_else(|| e.message()))
        })
    };
    view! {
        <section class="panel" aria-labelledby="log-title">
            <h2 id="log-title">"Log activity"</h2>
            <form class="log-activity" on:submit=submit>
                <div class="kinds" role="radiogroup" aria-label="Kind of activity">
                    {ActivityKind::ALL.iter().map(|k| {
                        let k = *k;
                        view! {
                            <button type="button" class="chip" role="radio" aria-checked=move || (activity_kind.get() == k).to_string()
                                on:click=move |_| activity_kind.set(k)>{k.label()}</button>
                        }
                    }).collect_view()}
                </div>
                <label class="sr-only" for="activity-subject">"Subject"</label>
                <input id="activity-subject" type="text" placeholder="What happened?" prop:value=move || subject.get()
                    on:input=move |ev| subject.set(event_target_value(&ev))/>
                <label class="sr-only" for="activity-body">"Details"</label>
                <textarea id="activity-body" rows="3" placeholder="Details (optional)" prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                {move || error().map(|m| view! { <p class="field-error">{m}</p> })}
                <button type="submit" class="button primary" disabled=move || state.with(|s| *s == Submit::Busy)>"Log"</button>
            </form>
        </section>
    }
}

/// The record's tasks: tick to finish, add one with a due date.
#[component]
pub fn TasksPanel(panels: RecordPanels) -> impl IntoView {
    let RecordPanels {
        kind,
        id,
        refresh,
        tasks,
        ..
    } = panels;
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let key = StoredValue::new(submission_key());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let due_at = due_at_end_of_day(&due.get_untracked());
        let input = NewTask {
            title: title.get_untracked(),
            due_at,
            assignee_id: None,
            related_type: Some(kind),
            related_id: Some(id),
        };
        leptos::task::spawn_local(async move {
            match create_task(input, key.get_value()).await {
                Ok(_) => {
                    title.set(String::new());
                    due.set(String::new());
                    error.set(None);
                    key.set_value(submission_key());
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="tasks-title">
            <h2 id="tasks-title">"Tasks"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = tasks.await.unwrap_or_default();
                    if list.is_empty() {
                        view! { <p class="muted">"No tasks."</p> }.into_any()
                    } else {
                        view! { <ul class="task-list">{list.into_iter().map(|t| view! { <TaskItem task=t refresh=refresh/> }).collect_view()}</ul> }.into_any()
                    }
                })}
            </Suspense>
            <form class="add-task" on:submit=add>
                <label class="sr-only" for="task-title">"New task"</label>
                <input id="task-title" type="text" placeholder="Add a task…" prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev))/>
                <label class="sr-only" for="task-due">"Due"</label>
                <input id="task-due" type="date" prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev))/>
                <button type="submit" class="button">"Add"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="field-error">{e.field("title").unwrap_or_else(|| e.message())}</p> })}
        </section>
    }
}

/// A date from a date input, as the end of that day where the person is (a task due on the
/// 3rd is overdue when the 3rd is over for them, not in Greenwich).
pub fn due_at_end_of_day(date: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    Some(crate::ui::format::regional().day_end(d))
}

/// One task with a box to tick it done (or undone).
#[component]
pub fn TaskItem(
    task: Task,
    refresh: Refresh,
    #[prop(optional)] show_record: bool,
) -> impl IntoView {
    let now = chrono::Utc::now();
    let overdue = task.is_overdue(now);
    let done = task.done_at.is_some();
    let toggle = {
        let task = task.clone();
        move |_| {
            let patch = TaskPatch {
                version: task.version,
                done: Some(!done),
                ..Default::default()
            };
            let id = task.id;
            leptos::task::spawn_local(async move {
                let _ = update_task(id, patch).await;
                refresh.update(|n| *n += 1);
            });
        }
    };
    let record = (show_record && task.related_id.is_some()).then(|| {
        let href = task.related_type.zip(task.related_id).map(|(k, id)| k.path(id)).unwrap_or_default();
        view! { <a class="task-record" href=href>{task.related_title.clone().unwrap_or_default()}</a> }
    });
    let checkbox_id = format!("task-{}", task.id);
    view! {
        <li class=if overdue { "task overdue" } else if done { "task done" } else { "task" }>
            <input type="checkbox" id=checkbox_id.clone() prop:checked=done on:change=toggle/>
            <label for=checkbox_id>{task.title.clone()}</label>
            {record}
            <span class="task-due">
                {task.due_at.map(|d| if overdue { format!("Overdue · {}", day(d)) } else { day(d) })}
            </span>
        </li>
    }
}
