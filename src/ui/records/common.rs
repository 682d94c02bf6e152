//! What every record page shares: reading the id from the address, loading the record, its
//! body (details, activity, timeline, side panels), saving an edit as a typed patch, and
//! creating from a modal.

use crate::domain::error::AppError;
use crate::domain::records::{CustomAnswers, RecordKind};
use crate::ui::components::editing::{EditableFields, Modal};
use crate::ui::components::form::Submit;
use crate::ui::components::form::{Field, Input};
use crate::ui::components::panels::Refresh;
use crate::ui::components::panels::{LogActivity, RecordPanels, Timeline};
use crate::ui::pages::status::set_status;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::Future;
use uuid::Uuid;

/// The record id in the address, if it is one.
pub fn record_id() -> Option<Uuid> {
    use_params_map()
        .with_untracked(|p| p.get("id"))
        .and_then(|s| s.parse().ok())
}

/// Shown when the record does not exist (or may not be known about).
#[component]
pub fn Missing(noun: &'static str, back: &'static str) -> impl IntoView {
    set_status(404);
    view! {
        <section class="empty-state">
            <h1>{format!("This {noun} was not found")}</h1>
            <p>"It may have been removed, or the address is mistyped."</p>
            <p><a href=back>"Back to the list"</a></p>
        </section>
    }
}

/// Shown when loading the record failed for another reason (for instance, the role may not
/// see it).
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    set_status(error.status());
    view! { <section class="empty-state"><p class="form-error">{error.message()}</p></section> }
}

/// Turns a form's changed fields into the record's patch (with the version it was based on)
/// and sends it; the new record replaces the shown one.
pub fn saver<T, P, Fut>(
    record: RwSignal<T>,
    version: fn(&T) -> i64,
    update: impl Fn(P) -> Fut + Copy + Send + Sync + 'static,
    state: RwSignal<Submit>,
    refresh: Refresh,
) -> Callback<Map<String, Value>>
where
    T: Clone + Send + Sync + 'static,
    P: DeserializeOwned + 'static,
    Fut: Future<Output = Result<T, AppError>> + 'static,
{
    Callback::new(move |mut changes: Map<String, Value>| {
        changes.insert(
            "version".into(),
            Value::from(record.with_untracked(version)),
        );
        let patch = match serde_json::from_value::<P>(Value::Object(changes)) {
            Ok(p) => p,
            Err(e) => return state.set(Submit::Failed(AppError::invalid("form", e.to_string()))),
        };
        state.set(Submit::Busy);
        leptos::task::spawn_local(async move {
            match update(patch).await {
                Ok(saved) => {
                    record.set(saved);
                    state.set(Submit::Done);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => state.set(Submit::Failed(e)),
            }
        });
    })
}

/// Reloads the record from the server (after a conflict, to see the other person's change).
pub fn reloader<T, Fut>(
    record: RwSignal<T>,
    id: Uuid,
    get: impl Fn(Uuid) -> Fut + Copy + Send + Sync + 'static,
) -> Callback<()>
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + 'static,
{
    Callback::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = get(id).await {
                record.set(fresh);
            }
        });
    })
}

/// Sends a create form's values as the record's create input, with a key for this submission;
/// on success goes to the new record's page.
pub fn creator<I, O, Fut>(
    create: impl Fn(I, String) -> Fut + Copy + Send + Sync + 'static,
    href: fn(&O) -> String,
    state: RwSignal<Submit>,
    key: StoredValue<String>,
    extra: Map<String, Value>,
) -> Callback<Map<String, Value>>
where
    I: DeserializeOwned + 'static,
    O: 'static,
    Fut: Future<Output = Result<O, AppError>> + 'static,
{
    let navigate = leptos_router::hooks::use_navigate();
    Callback::new(move |mut values: Map<String, Value>| {
        for (k, v) in &extra {
            values.entry(k.clone()).or_insert(v.clone());
        }
        let input = match serde_json::from_value::<I>(Value::Object(values)) {
            Ok(i) => i,
            Err(e) => return state.set(Submit::Failed(AppError::invalid("form", e.to_string()))),
        };
        state.set(Submit::Busy);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match create(input, key.get_value()).await {
                Ok(created) => {
                    key.set_value(crate::ui::format::submission_key());
                    state.set(Submit::Done);
                    navigate(&href(&created), Default::default());
                }
                Err(e) => state.set(Submit::Failed(e)),
            }
        });
    })
}

/// A "New …" button with its modal form, for list pages.
#[component]
pub fn NewRecordButton(#[prop(into)] label: String, children: ChildrenFn) -> impl IntoView {
    let open = RwSignal::new(false);
    provide_context(CreateModal(open));
    view! {
        <button type="button" class="button primary" on:click=move |_| open.set(true)>{label.clone()}</button>
        <Modal open=open title=label>{children()}</Modal>
    }
}

/// The open state of the create modal a form lives in.
#[derive(Clone, Copy)]
pub struct CreateModal(pub RwSignal<bool>);

pub fn close_modal() -> Callback<()> {
    let open = use_context::<CreateModal>().map(|m| m.0);
    Callback::new(move |_| {
        if let Some(o) = open {
            o.set(false);
        }
    })
}

/// For a 409 on create: a link to the record that already exists.
#[component]
pub fn DuplicateLink(state: RwSignal<Submit>) -> impl IntoView {
    move || {
        state.with(|s| match s.error() {
            Some(AppError::Conflict { message, existing_id: Some(id), .. }) => {
                let href = use_context::<DuplicateKind>().map(|k| k.0).unwrap_or(RecordKind::Account);
                let path = id.parse().map(|id| href.path(id)).unwrap_or_default();
                Some(view! {
                    <p class="warning" role="alert">{message.clone()}" "<a href=path>"Open it"</a></p>
                })
            }
            _ => None,
        })
    }
}

/// Which kind of record a duplicate link on this form points to.
#[derive(Clone, Copy)]
pub struct DuplicateKind(pub RecordKind);

/// Answers beyond the standard fields (from a kickoff form), when there are any.
pub fn custom_answers(custom: &CustomAnswers) -> Option<AnyView> {
    (!custom.is_empty()).then(|| {
        view! {
            <section class="panel" aria-labelledby="answers-title">
                <h2 id="answers-title">"Form answers"</h2>
                <dl class="facts">
                    {custom.shown().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </section>
        }
        .into_any()
    })
}

/// The owner of a record, as its edit form shows it (a person picker, never empty).
pub fn owner_field(owner_id: Uuid, owner_name: Option<String>) -> Field {
    Field::new("owner_id", "Owner", Input::User)
        .required()
        .reference(Some(owner_id), owner_name, None)
}

/// What every record page shows: the details (read-only until Edit), anything the kind adds
/// under them (`extra`), the activity log and the timeline; beside them, the kind's own side
/// panels (the children).
#[component]
pub fn RecordBody(
    fields: Signal<Vec<Field>>,
    can_edit: bool,
    state: RwSignal<Submit>,
    on_save: Callback<Map<String, Value>>,
    on_reload: Callback<()>,
    panels: RecordPanels,
    #[prop(optional, into)] extra: Option<ViewFn>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="record-grid">
            <div class="record-main">
                <section class="panel" aria-labelledby="details-title">
                    <h2 id="details-title">"Details"</h2>
                    <EditableFields fields=fields can_edit=can_edit state=state on_save=on_save on_reload=on_reload/>
                </section>
                {extra.map(|f| f.run())}
                <LogActivity panels=panels/>
                <Timeline panels=panels/>
            </div>
            <aside class="record-side">{children()}</aside>
        </div>
    }
}

/// Accounts and contacts are edited by the same people (the policy's sales records).
pub fn can_edit() -> bool {
    crate::ui::components::shell::use_can().may_update("account")
}
