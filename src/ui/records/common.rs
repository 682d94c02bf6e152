//! What every record page shares: reading the id from the address, loading the record,
//! saving an edit as a typed patch, and creating from a modal.

use crate::domain::error::AppError;
use crate::ui::components::form::Submit;
use crate::ui::components::panels::Refresh;
use crate::ui::pages::placeholder::set_status;
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
