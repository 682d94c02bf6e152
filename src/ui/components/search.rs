//! The search box in the header: leads, contacts, accounts and opportunities as you type;
//! `/` focuses it, arrows choose, Enter opens.

use crate::api::sales::search_records;
use crate::domain::activity::SearchResult;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

pub const SEARCH_INPUT_ID: &str = "global-search";

#[component]
pub fn GlobalSearch() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<SearchResult>::new());
    let active = RwSignal::new(0usize);
    let searched = RwSignal::new(false);
    let generation = StoredValue::new(0u64);
    let navigate = use_navigate();

    let open = Callback::new(move |r: SearchResult| {
        let path = r.kind.path(r.id);
        results.set(vec![]);
        text.set(String::new());
        searched.set(false);
        navigate(&path, Default::default());
    });
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        text.set(q.clone());
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if q.trim().chars().count() < 2 {
            results.set(vec![]);
            searched.set(false);
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = search_records(q).await.unwrap_or_default();
                    if generation.get_value() == mine {
                        results.set(found);
                        active.set(0);
                        searched.set(true);
                    }
                });
            },
            std::time::Duration::from_millis(150),
        );
    };
    let on_key = {
        move |ev: leptos::ev::KeyboardEvent| {
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
                "Enter" => {
                    ev.prevent_default();
                    if let Some(r) = results.with(|r| r.get(active.get_untracked()).cloned()) {
                        open.run(r);
                    }
                }
                "Escape" => {
                    results.set(vec![]);
                    text.set(String::new());
                    searched.set(false);
                }
                _ => {}
            }
        }
    };
    view! {
        <div class="global-search" role="search">
            <label class="sr-only" for=SEARCH_INPUT_ID>"Search"</label>
            <input id=SEARCH_INPUT_ID type="search" role="combobox" autocomplete="off" placeholder="Search  /"
                aria-controls="search-results" aria-expanded=move || (!results.with(Vec::is_empty)).to_string()
                prop:value=move || text.get() on:input=on_input on:keydown=on_key
                on:blur=move |_| set_timeout(move || { results.set(vec![]); searched.set(false); }, std::time::Duration::from_millis(200))/>
            <Show when=move || searched.get()>
                <ul id="search-results" class="search-results" role="listbox">
                    {move || {
                        let list = results.get();
                        if list.is_empty() {
                            return view! { <li class="muted">"No matches"</li> }.into_any();
                        }
                        list.into_iter().enumerate().map(|(i, r)| {
                            let chosen = r.clone();
                            view! {
                                <li role="option" aria-selected=move || (active.get() == i).to_string()
                                    on:mousedown=move |ev| { ev.prevent_default(); open.run(chosen.clone()); }>
                                    <span class="result-kind">{r.kind.label()}</span>
                                    <span class="result-title">{r.title.clone()}</span>
                                    <small class="muted">{r.subtitle.clone()}</small>
                                </li>
                            }
                        }).collect_view().into_any()
                    }}
                </ul>
            </Show>
        </div>
    }
}
