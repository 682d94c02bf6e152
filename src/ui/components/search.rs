//! The search box in the header: leads, contacts, accounts and opportunities as you type;
//! `/` focuses it, arrows choose, Enter opens.

use super::editing::Modal;
use crate::api::sales::search_records;
use crate::domain::activity::SearchResult;
use crate::domain::user::{Capabilities, destinations};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

pub const SEARCH_INPUT_ID: &str = "global-search";

/// Searches records as the person types: after a short pause, only for the latest text, and
/// only from two characters; `found` gets the results, or `None` for text too short to search.
fn search_as_typed(
    q: String,
    generation: StoredValue<u64>,
    found: impl Fn(Option<Vec<SearchResult>>) + Copy + 'static,
) {
    generation.update_value(|g| *g += 1);
    let mine = generation.get_value();
    if q.trim().chars().count() < 2 {
        found(None);
        return;
    }
    set_timeout(
        move || {
            if generation.get_value() != mine {
                return;
            }
            leptos::task::spawn_local(async move {
                let results = search_records(q).await.unwrap_or_default();
                if generation.get_value() == mine {
                    found(Some(results));
                }
            });
        },
        std::time::Duration::from_millis(150),
    );
}

/// ↑ and ↓ move the choice among `n` options (wrapping around); true when Enter asks to open
/// the chosen one.
fn choose_with_keys(ev: &leptos::ev::KeyboardEvent, n: usize, active: RwSignal<usize>) -> bool {
    match ev.key().as_str() {
        "ArrowDown" if n > 0 => {
            ev.prevent_default();
            active.update(|a| *a = (*a + 1) % n);
            false
        }
        "ArrowUp" if n > 0 => {
            ev.prevent_default();
            active.update(|a| *a = (*a + n - 1) % n);
            false
        }
        "Enter" => {
            ev.prevent_default();
            true
        }
        _ => false,
    }
}

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
        search_as_typed(q, generation, move |found| match found {
            Some(found) => {
                results.set(found);
                active.set(0);
                searched.set(true);
            }
            None => {
                results.set(vec![]);
                searched.set(false);
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            results.set(vec![]);
            text.set(String::new());
            searched.set(false);
        } else if choose_with_keys(&ev, results.with(Vec::len), active)
            && let Some(r) = results.with(|r| r.get(active.get_untracked()).cloned())
        {
            open.run(r);
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

/// One thing the palette can open: a page or a record.
#[derive(Clone, Debug, PartialEq)]
struct Choice {
    kind: &'static str,
    title: String,
    subtitle: String,
    path: String,
}

/// Ctrl/⌘-K: type to jump to any page the role may open, or to any record by name.
#[component]
pub fn CommandPalette(open: RwSignal<bool>, can: Capabilities) -> impl IntoView {
    let pages = destinations(&can);
    view! {
        <Modal open=open title="Go to">
            <PaletteBody open=open pages=pages.clone()/>
        </Modal>
    }
}

#[component]
fn PaletteBody(open: RwSignal<bool>, pages: Vec<(&'static str, &'static str)>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let records = RwSignal::new(Vec::<SearchResult>::new());
    let active = RwSignal::new(0usize);
    let generation = StoredValue::new(0u64);
    let navigate = use_navigate();
    let pages = StoredValue::new(pages);
    let choices = Memo::new(move |_| {
        let q = text.get().trim().to_lowercase();
        let mut out: Vec<Choice> = pages
            .get_value()
            .into_iter()
            .filter(|(label, _)| q.is_empty() || label.to_lowercase().contains(&q))
            .map(|(label, path)| Choice {
                kind: "Page",
                title: label.to_string(),
                subtitle: String::new(),
                path: path.to_string(),
            })
            .collect();
        out.extend(records.get().into_iter().map(|r| Choice {
            kind: r.kind.label(),
            title: r.title,
            subtitle: r.subtitle,
            path: r.kind.path(r.id),
        }));
        out
    });
    let go = Callback::new(move |c: Choice| {
        open.set(false);
        navigate(&c.path, Default::default());
    });
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        text.set(q.clone());
        active.set(0);
        search_as_typed(q, generation, move |found| {
            records.set(found.unwrap_or_default())
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if choose_with_keys(&ev, choices.with(Vec::len), active)
            && let Some(c) = choices.with(|c| c.get(active.get_untracked()).cloned())
        {
            go.run(c);
        }
    };
    let option_id = |i: usize| format!("palette-option-{i}");
    view! {
        <div class="palette">
            <label class="sr-only" for="palette-input">"Page or record"</label>
            <input id="palette-input" type="text" role="combobox" autocomplete="off"
                placeholder="A page, or a lead, contact, account or deal by name"
                aria-controls="palette-results" aria-expanded="true"
                aria-activedescendant=move || (choices.with(|c| !c.is_empty())).then(|| option_id(active.get()))
                prop:value=move || text.get() on:input=on_input on:keydown=on_key/>
            <ul id="palette-results" class="palette-results" role="listbox" aria-label="Matches">
                {move || {
                    let list = choices.get();
                    if list.is_empty() {
                        return view! { <li class="muted" role="option" aria-selected="false" aria-disabled="true">"No matches"</li> }.into_any();
                    }
                    list.into_iter().enumerate().map(|(i, c)| {
                        let chosen = c.clone();
                        view! {
                            <li role="option" id=option_id(i) aria-selected=move || (active.get() == i).to_string()
                                on:mousedown=move |ev| { ev.prevent_default(); go.run(chosen.clone()); }>
                                <span class="result-kind">{c.kind}</span>
                                <span class="result-title">{c.title}</span>
                                <small class="muted">{c.subtitle}</small>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
            <p class="hint">"↑ ↓ to choose, Enter to open, Esc to close."</p>
        </div>
    }
}

/// `?`: the keyboard shortcuts, in a dialog.
#[component]
pub fn ShortcutsHelp(open: RwSignal<bool>) -> impl IntoView {
    const KEYS: [(&str, &str); 9] = [
        ("?", "Show these shortcuts"),
        ("Ctrl K  /  ⌘ K", "Go to a page or a record"),
        ("/", "Search"),
        ("N", "New lead"),
        ("Esc", "Close a dialog or the search results"),
        ("Tab", "On the board: the next column"),
        ("↑ ↓  ← →", "On the board: card to card"),
        (
            "Shift ← / Shift →",
            "On the board: move the card to the previous or next stage",
        ),
        ("Enter", "Open what is chosen"),
    ];
    view! {
        <Modal open=open title="Keyboard shortcuts">
            <dl class="shortcuts">
                {KEYS.iter().map(|(k, what)| view! { <div><dt><kbd>{*k}</kbd></dt><dd>{*what}</dd></div> }).collect_view()}
            </dl>
        </Modal>
    }
}
