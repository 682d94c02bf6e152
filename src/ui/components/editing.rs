//! Creating and editing records: the modal, the create form, and the inline editor that
//! shows someone else's change instead of overwriting it.

use super::form::{
    Field, FieldInputs, FormMessage, Input, Submit, all_values, changed, initial_values,
};
use crate::domain::error::AppError;
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A modal dialog (the browser's own `<dialog>`: focus stays inside, Escape closes it).
#[component]
pub fn Modal(
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let title_id = format!("dialog-{}", title.to_lowercase().replace(' ', "-"));
    let labelled_by = title_id.clone();
    Effect::new(move |_| {
        let Some(d) = dialog.get() else { return };
        if open.get() {
            if !d.open() {
                let _ = d.show_modal();
                // Its content renders on the next turn: then the first field takes focus
                // (the browser would give it to the close button in the header).
                #[cfg(feature = "hydrate")]
                let d = d.clone();
                #[cfg(feature = "hydrate")]
                set_timeout(
                    move || {
                        let first = d
                            .query_selector(
                                "input:not([type=hidden]):not([readonly]), select, textarea",
                            )
                            .ok()
                            .flatten()
                            .and_then(|e| {
                                wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                            });
                        if let Some(field) = first {
                            let _ = field.focus();
                        }
                    },
                    std::time::Duration::from_millis(0),
                );
            }
        } else if d.open() {
            d.close();
        }
    });
    view! {
        <dialog class="modal" node_ref=dialog aria-labelledby=labelled_by on:close=move |_| open.set(false)>
            <header class="modal-head">
                <h2 id=title_id>{title}</h2>
                <button type="button" class="button subtle" aria-label="Close" on:click=move |_| open.set(false)>"✕"</button>
            </header>
            <Show when=move || open.get()>{children()}</Show>
        </dialog>
    }
}

/// "Skip to content": moves focus to the page's main region (a plain `#main` link is taken
/// by the router as a navigation and leaves focus where it was).
#[component]
pub fn SkipLink() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main" on:click=move |ev: leptos::ev::MouseEvent| {
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
            #[cfg(feature = "hydrate")]
            let main = document()
                .get_element_by_id("main")
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
            #[cfg(feature = "hydrate")]
            if let Some(main) = main {
                ev.prevent_default();
                let _ = main.focus();
            }
        }>"Skip to content"</a>
    }
}

/// A create form: every field, one submit.
#[component]
pub fn CreateForm(
    fields: Vec<Field>,
    #[prop(into)] submit_label: String,
    #[prop(into)] prefix: String,
    state: RwSignal<Submit>,
    on_submit: Callback<Map<String, Value>>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
    /// Lets the page watch what is typed (e.g. to warn of duplicates as you go).
    #[prop(optional)]
    values: Option<RwSignal<BTreeMap<&'static str, String>>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let values = values.unwrap_or_else(|| RwSignal::new(BTreeMap::new()));
    values.set(initial_values(&fields));
    let all = StoredValue::new(fields.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if state.with_untracked(|s| *s == Submit::Busy) {
            return;
        }
        let body = all.with_value(|f| values.with_untracked(|v| all_values(f, v)));
        on_submit.run(body);
    };
    view! {
        <form class="record-form" on:submit=submit novalidate>
            <FormMessage state=state/>
            <div class="form-grid">
                <FieldInputs fields=fields values=values state=state prefix=prefix/>
            </div>
            {children.map(|c| c())}
            <div class="form-actions">
                {on_cancel.map(|c| view! { <button type="button" class="button" on:click=move |_| c.run(())>"Cancel"</button> })}
                <button type="submit" class="button primary" disabled=move || state.with(|s| *s == Submit::Busy)>
                    {submit_label}
                </button>
            </div>
        </form>
    }
}

/// A record's fields, read-only until Edit; Save sends only what changed.
#[component]
pub fn EditableFields(
    fields: Signal<Vec<Field>>,
    can_edit: bool,
    state: RwSignal<Submit>,
    on_save: Callback<Map<String, Value>>,
    on_reload: Callback<()>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let values = RwSignal::new(BTreeMap::<&'static str, String>::new());
    let reloaded = RwSignal::new(false);
    let start = move |_| {
        values.set(initial_values(&fields.get_untracked()));
        state.set(Submit::Idle);
        reloaded.set(false);
        editing.set(true);
    };
    Effect::new(move |_| {
        if state.get() == Submit::Done {
            editing.set(false);
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let diff = fields.with_untracked(|f| values.with_untracked(|v| changed(f, v)));
        if diff.is_empty() {
            editing.set(false);
            return;
        }
        on_save.run(diff);
    };
    let reload = move |_| {
        reloaded.set(true);
        state.set(Submit::Idle);
        on_reload.run(());
    };
    view! {
        <Show
            when=move || editing.get()
            fallback=move || view! {
                <dl class="fields">
                    {move || fields.get().into_iter().map(|f| {
                        let shown = if f.shown.is_empty() { None } else { Some(f.shown.clone()) };
                        let value = match (shown, f.link()) {
                            (Some(s), Some(href)) => view! { <a href=href>{s}</a> }.into_any(),
                            (Some(s), None) => view! { <span>{s}</span> }.into_any(),
                            (None, _) => view! { <span class="muted">"—"</span> }.into_any(),
                        };
                        view! { <div class=if f.wide { "field-row wide" } else { "field-row" }><dt>{f.label}</dt><dd>{value}</dd></div> }
                    }).collect_view()}
                </dl>
                {can_edit.then(|| view! { <button type="button" class="button" on:click=start>"Edit"</button> })}
            }
        >
            <form class="record-form" on:submit=save novalidate>
                {move || state.with(|s| match s.error() {
                    Some(AppError::Conflict { current, .. }) => Some(view! {
                        <ConflictBanner current=current.clone() fields=fields.get_untracked() values=values.get_untracked()/>
                        <p><button type="button" class="button" on:click=reload>"Load their version"</button></p>
                    }.into_any()),
                    _ => None,
                })}
                <Show when=move || reloaded.get()>
                    <p class="notice" role="status">"Their version is loaded. Your edits are still in the form: Save to apply them over it, or Cancel to keep theirs."</p>
                </Show>
                <FormMessage state=state/>
                <div class="form-grid">
                    {move || {
                        // Rebuilt when the record reloads, keeping the values being edited.
                        let f = fields.get();
                        view! { <FieldInputs fields=f values=values state=state prefix="edit"/> }
                    }}
                </div>
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| { editing.set(false); state.set(Submit::Idle); }>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=move || state.with(|s| *s == Submit::Busy)>"Save"</button>
                </div>
            </form>
        </Show>
    }
}

/// What the other person saved, next to what you typed, for each field you changed.
#[component]
fn ConflictBanner(
    current: Option<Value>,
    fields: Vec<Field>,
    values: BTreeMap<&'static str, String>,
) -> impl IntoView {
    let current = current.unwrap_or(Value::Null);
    let rows: Vec<(String, String, String)> = fields
        .iter()
        .filter(|f| values.get(f.key).is_some_and(|v| v.trim() != f.raw.trim()))
        .map(|f| {
            let theirs = their_value(&current, f);
            let mine = values.get(f.key).cloned().unwrap_or_default();
            let mine = if matches!(f.input, Input::Pick(_) | Input::User) {
                "your choice".to_string()
            } else {
                mine
            };
            (f.label.to_string(), theirs, mine)
        })
        .collect();
    view! {
        <div class="conflict" role="alert">
            <strong>"Someone else saved this record while you were editing."</strong>
            <p>"Nothing was overwritten. Their version, next to yours:"</p>
            <table>
                <thead><tr><th>"Field"</th><th>"Theirs"</th><th>"Yours"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(label, theirs, mine)| view! {
                        <tr><td>{label}</td><td>{theirs}</td><td>{mine}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn their_value(current: &Value, f: &Field) -> String {
    // For a reference, the record carries the name beside the id (`account_id` → `account_name`).
    let key = match f.input {
        Input::Pick(_) | Input::User => f
            .key
            .strip_suffix("_id")
            .map(|k| format!("{k}_name"))
            .unwrap_or_default(),
        _ => f.key.to_string(),
    };
    match &current[key.as_str()] {
        Value::Null => "—".into(),
        Value::String(s) => match &f.input {
            Input::Choice(options) => options
                .iter()
                .find(|(v, _)| v == s)
                .map(|(_, l)| l.clone())
                .unwrap_or_else(|| s.clone()),
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}
