//! Choosing another record (by searching) or a staff member (from a list).

use crate::api::sales::{search_records, staff_options};
use crate::domain::activity::SearchResult;
use crate::domain::records::RecordKind;
use leptos::prelude::*;
use std::collections::BTreeMap;

type Values = RwSignal<BTreeMap<&'static str, String>>;

/// A search box that sets `values[key]` to the id of the record chosen.
#[component]
pub fn RecordPicker(
    #[prop(into)] id: String,
    kind: RecordKind,
    value: Values,
    key: &'static str,
    #[prop(into)] initial: String,
) -> impl IntoView {
    let text = RwSignal::new(initial);
    let results = RwSignal::new(Vec::<SearchResult>::new());
    let active = RwSignal::new(0usize);
    let generation = StoredValue::new(0u64);
    let list_id = format!("{id}-options");

    let choose = move |r: SearchResult| {
        value.update(|v| {
            v.insert(key, r.id.to_string());
        });
        text.set(r.title);
        results.set(vec![]);
    };
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        text.set(q.clone());
        if q.trim().is_empty() {
            value.update(|v| {
                v.insert(key, String::new());
            });
            results.set(vec![]);
            return;
        }
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            // Only the answer to the latest keystroke is shown.
            if let Ok(found) = search_records(q).await {
                if generation.get_value() == mine {
                    results.set(found.into_iter().filter(|r| r.kind == kind).collect());
                    active.set(0);
                }
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = results.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + n - 1) % n);
            }
            "Enter" if n > 0 => {
                ev.prevent_default();
                if let Some(r) = results.with(|r| r.get(active.get_untracked()).cloned()) {
                    choose(r);
                }
            }
            "Escape" if n > 0 => {
                ev.stop_propagation();
                results.set(vec![]);
            }
            _ => {}
        }
    };
    let placeholder = format!("Search {}s…", kind.as_str());
    view! {
        <div class="picker">
            <input id=id type="text" role="combobox" autocomplete="off" placeholder=placeholder
                aria-controls=list_id.clone() aria-expanded=move || (!results.with(Vec::is_empty)).to_string()
                prop:value=move || text.get() on:input=on_input on:keydown=on_key/>
            <Show when=move || !results.with(Vec::is_empty)>
                <ul class="picker-options" role="listbox" id=list_id.clone()>
                    {move || results.get().into_iter().enumerate().map(|(i, r)| {
                        let shown = r.clone();
                        view! {
                            <li role="option" aria-selected=move || (active.get() == i).to_string()
                                on:mousedown=move |ev| { ev.prevent_default(); choose(shown.clone()); }>
                                <span>{r.title.clone()}</span>
                                <small class="muted">{r.subtitle.clone()}</small>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </div>
    }
}

/// A select of active staff that sets `values[key]` to the chosen person's id.
#[component]
pub fn UserSelect(
    #[prop(into)] id: String,
    value: Values,
    key: &'static str,
    required: bool,
) -> impl IntoView {
    let staff = Resource::new(|| (), |_| staff_options());
    let current = move || value.with(|v| v.get(key).cloned().unwrap_or_default());
    view! {
        <Suspense fallback=|| view! { <select disabled><option>"Loading…"</option></select> }>
            {move || Suspend::new({
                let id = id.clone();
                async move {
                    let people = staff.await.unwrap_or_default();
                    view! {
                        <select id=id prop:value=current on:change=move |ev| value.update(|v| {
                            v.insert(key, event_target_value(&ev));
                        })>
                            {(!required).then(|| view! { <option value="">"—"</option> })}
                            {people.into_iter().map(|p| view! {
                                <option value=p.id.to_string()>{format!("{} ({})", p.name, p.role.label())}</option>
                            }).collect_view()}
                        </select>
                    }
                }
            })}
        </Suspense>
    }
}
