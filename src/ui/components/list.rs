//! A record list: filters kept in the address (so reload and Back keep them), server-side
//! sorting, and "Load more" by cursor, 50 rows at a time.

use super::filters::{OwnerFilter, TextFilter, use_param_setter};
use crate::domain::error::AppError;
use crate::domain::records::{ListQuery, Page};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// A column: its heading, and the API sort field when it can be sorted.
#[derive(Clone, Debug)]
pub struct Column {
    pub label: &'static str,
    pub sort: Option<&'static str>,
}

pub fn col(label: &'static str, sort: Option<&'static str>) -> Column {
    Column { label, sort }
}

/// What one cell shows.
#[derive(Clone, Debug)]
pub enum Cell {
    Text(String),
    Muted(String),
    Badge(String, &'static str),
}

/// A row: where it leads, and its cells (the first is the record's name).
#[derive(Clone, Debug)]
pub struct Row {
    pub href: String,
    pub cells: Vec<Cell>,
}

/// `(value, label)` pairs of a chip bar, the first meaning "all".
pub type ChipOptions = Vec<(String, String)>;

/// The filter chips of a list (e.g. lead status). Their options are fixed, or loaded (e.g. the
/// configured pipeline stages) by a resource the page creates, so the list never has to sit
/// inside the page's own Suspense (resources created there would not hydrate).
#[derive(Clone)]
pub struct Chips {
    pub param: &'static str,
    pub label: &'static str,
    pub options: ChipSource,
}

#[derive(Clone)]
pub enum ChipSource {
    Fixed(ChipOptions),
    Loaded(Resource<ChipOptions>),
}

/// The list request the address describes.
fn query_from(params: &leptos_router::params::ParamsMap) -> ListQuery {
    ListQuery {
        status: params.get("status").filter(|s| !s.is_empty()),
        stage: params.get("stage").filter(|s| !s.is_empty()),
        owner_id: params.get("owner_id").and_then(|s| s.parse().ok()),
        account_id: params.get("account_id").and_then(|s| s.parse().ok()),
        q: params.get("q").filter(|s| !s.trim().is_empty()),
        sort: params.get("sort").filter(|s| !s.is_empty()),
        close_from: params.get("close_from").and_then(|s| s.parse().ok()),
        close_to: params.get("close_to").and_then(|s| s.parse().ok()),
        closed_from: params.get("closed_from").and_then(|s| s.parse().ok()),
        closed_to: params.get("closed_to").and_then(|s| s.parse().ok()),
        lost_reason: params.get("lost_reason").filter(|s| !s.is_empty()),
        ..Default::default()
    }
}

#[component]
pub fn RecordList<T, F, Fut>(
    /// What the rows are, for the empty state ("No leads match…").
    noun: &'static str,
    columns: Vec<Column>,
    fetch: F,
    to_row: fn(&T) -> Row,
    #[prop(optional)] chips: Option<Chips>,
    /// The sort used when the address names none (e.g. `-created_at`).
    default_sort: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(ListQuery) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, AppError>> + Send + 'static,
{
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from));
    let page = Resource::new(move || query.get(), move |q| fetch(q));
    // Rows loaded with "Load more", and the cursor after the last of them.
    let more = RwSignal::new(Vec::<Row>::new());
    let more_cursor = RwSignal::new(None::<Option<String>>);
    let loading = RwSignal::new(false);
    Effect::new(move |_| {
        query.track();
        more.set(vec![]);
        more_cursor.set(None);
    });

    let set_param = use_param_setter();

    let load_more = move |_| {
        let cursor = match more_cursor.get_untracked() {
            Some(c) => c,
            None => page.with_untracked(|p| {
                p.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|p| p.next_cursor.clone())
            }),
        };
        let Some(cursor) = cursor else { return };
        loading.set(true);
        let q = ListQuery {
            cursor: Some(cursor),
            ..query.get_untracked()
        };
        leptos::task::spawn_local(async move {
            if let Ok(next) = fetch(q).await {
                more.update(|rows| rows.extend(next.items.iter().map(to_row)));
                more_cursor.set(Some(next.next_cursor));
            }
            loading.set(false);
        });
    };

    let sort = move || {
        params
            .with(|p| p.get("sort"))
            .unwrap_or_else(|| default_sort.to_string())
    };
    let headers = columns
        .iter()
        .map(|c| {
            let label = c.label;
            match c.sort {
                Some(field) => {
                    let state = move || {
                        let s = sort();
                        if s == field {
                            "ascending"
                        } else if s.strip_prefix('-') == Some(field) {
                            "descending"
                        } else {
                            "none"
                        }
                    };
                    let click = move |_| {
                        let next = if sort() == field {
                            format!("-{field}")
                        } else {
                            field.to_string()
                        };
                        set_param.run(("sort", next));
                    };
                    view! {
                        <th aria-sort=state>
                            <button type="button" class="sort" on:click=click>
                                {label}
                                <span aria-hidden="true" class="sort-mark">{move || match state() {
                                    "ascending" => "▲",
                                    "descending" => "▼",
                                    _ => "",
                                }}</span>
                            </button>
                        </th>
                    }
                    .into_any()
                }
                None => view! { <th>{label}</th> }.into_any(),
            }
        })
        .collect_view();

    let chip_bar = chips.map(|chips| {
        let param = chips.param;
        let label = chips.label;
        let source = chips.options;
        let current = move || params.with(|p| p.get(param)).unwrap_or_default();
        view! {
            <Suspense fallback=|| ()>
                {move || Suspend::new({
                    let source = source.clone();
                    async move {
                        let options = match source {
                            ChipSource::Fixed(options) => options,
                            ChipSource::Loaded(resource) => resource.await,
                        };
                        view! {
                            <div class="chips" role="group" aria-label=label>
                                {options.into_iter().map(|(value, label)| {
                                    let v = value.clone();
                                    let pressed = move || (current() == v).to_string();
                                    view! {
                                        <button type="button" class="chip" aria-pressed=pressed
                                            on:click=move |_| set_param.run((param, value.clone()))>{label}</button>
                                    }
                                }).collect_view()}
                            </div>
                        }
                    }
                })}
            </Suspense>
        }
    });

    view! {
        <div class="list-tools">
            {chip_bar}
            <OwnerFilter set_param=set_param/>
            <TextFilter set_param=set_param placeholder="Filter by name, email, company…"/>
        </div>
        <div class="table-wrap">
            <table class="records">
                <thead><tr>{headers}</tr></thead>
                <Suspense fallback=move || view! { <tbody><tr><td class="muted">"Loading…"</td></tr></tbody> }>
                    {move || Suspend::new(async move {
                        match page.await {
                            Ok(p) if p.items.is_empty() => view! {
                                <tbody><tr><td class="empty" colspan="99">{format!("No {noun} match these filters.")}</td></tr></tbody>
                            }.into_any(),
                            Ok(p) => {
                                let first: Vec<Row> = p.items.iter().map(to_row).collect();
                                let first_has_more = p.next_cursor.is_some();
                                // "Load more" lives in the same Suspense as the rows: the first
                                // page's cursor exists on the server only once the page has
                                // loaded, so reading it anywhere else would render differently
                                // there and in the browser, and hydration would fail.
                                let has_more = move || match more_cursor.get() {
                                    Some(c) => c.is_some(),
                                    None => first_has_more,
                                };
                                view! {
                                    <tbody>
                                        {first.into_iter().map(row_view).collect_view()}
                                        {move || more.get().into_iter().map(row_view).collect_view()}
                                    </tbody>
                                    <tfoot hidden=move || !has_more()>
                                        <tr><td colspan="99" class="load-more">
                                            <button type="button" class="button" on:click=load_more disabled=move || loading.get()>
                                                {move || if loading.get() { "Loading…" } else { "Load more" }}
                                            </button>
                                        </td></tr>
                                    </tfoot>
                                }.into_any()
                            }
                            Err(e) => view! {
                                <tbody><tr><td class="form-error" colspan="99">{e.message()}</td></tr></tbody>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </table>
        </div>
    }
}

fn row_view(row: Row) -> impl IntoView {
    let href = row.href.clone();
    view! {
        <tr>
            {row.cells.into_iter().enumerate().map(|(i, cell)| {
                let content = match cell {
                    Cell::Text(t) => view! { <span>{t}</span> }.into_any(),
                    Cell::Muted(t) => view! { <span class="muted">{t}</span> }.into_any(),
                    Cell::Badge(t, class) => view! { <span class=format!("badge {class}")>{t}</span> }.into_any(),
                };
                if i == 0 {
                    view! { <td><a href=href.clone()>{content}</a></td> }.into_any()
                } else {
                    view! { <td>{content}</td> }.into_any()
                }
            }).collect_view()}
        </tr>
    }
}
