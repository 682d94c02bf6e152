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
/// Whether a list query narrows the list (anything but its sort and page).
fn is_filtered(q: &ListQuery) -> bool {
    let unfiltered = ListQuery {
        sort: q.sort.clone(),
        limit: q.limit,
        cursor: q.cursor.clone(),
        ..Default::default()
    };
    *q != unfiltered
}

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
    /// What an empty list with no filter offers (e.g. "New lead" and "Import").
    #[prop(optional, into)]
    when_empty: Option<ViewFn>,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(ListQuery) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, AppError>> + Send + 'static,
{
    let params = use_query_map();
    let location = leptos_router::hooks::use_location();
    let when_empty = StoredValue::new(when_empty);
    let query = Memo::new(move |_| params.with(query_from));
    let page = Resource::new(move || query.get(), move |q| fetch(q));
    // Rows loaded with "Load more", and the cursor after the last of them.
    let more = RwSignal::new(Vec::<Row>::new());
    let more_cursor = RwSignal::new(None::<Option<String>>);
    let loading = RwSignal::new(false);
    // Back to a list finds the rows loaded before and the place it was scrolled to.
    let remembered = remember::restore(more, more_cursor);
    Effect::new(move |prev: Option<ListQuery>| {
        let q = query.get();
        if prev.is_some_and(|p| p != q) {
            more.set(vec![]);
            more_cursor.set(None);
        }
        q
    });
    remember::keep(more, more_cursor, page, remembered);

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
                            Ok(p) if p.items.is_empty() => {
                                // Honest about why: filters that match nothing, or nothing yet.
                                let message = if query.with_untracked(is_filtered) {
                                    view! {
                                        <p>{format!("No {noun} match these filters.")}</p>
                                        <a class="button" href=move || location.pathname.get()>"Clear the filters"</a>
                                    }.into_any()
                                } else {
                                    view! {
                                        <p>{format!("No {noun} yet.")}</p>
                                        <div class="empty-actions">{when_empty.with_value(|w| w.as_ref().map(|v| v.run()))}</div>
                                    }.into_any()
                                };
                                view! { <tbody><tr><td class="empty" colspan="99">{message}</td></tr></tbody> }.into_any()
                            }
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

/// What a list keeps while the person looks at a record, so Back restores it: the rows loaded
/// with "Load more" and the scroll position, per address, in this tab's memory (browser only).
mod remember {
    use super::Row;
    #[cfg(feature = "hydrate")]
    use leptos::prelude::*;
    use leptos::prelude::{Resource, RwSignal};

    #[cfg(feature = "hydrate")]
    #[derive(Clone)]
    struct Kept {
        more: Vec<Row>,
        cursor: Option<Option<String>>,
        scroll: f64,
    }

    #[cfg(feature = "hydrate")]
    thread_local! {
        static KEPT: std::cell::RefCell<std::collections::HashMap<String, Kept>> =
            Default::default();
    }

    #[cfg(feature = "hydrate")]
    fn address() -> String {
        let l = window().location();
        format!(
            "{}{}",
            l.pathname().unwrap_or_default(),
            l.search().unwrap_or_default()
        )
    }

    /// Puts back what was kept for this address; the scroll position to return to, if any.
    pub fn restore(
        more: RwSignal<Vec<Row>>,
        cursor: RwSignal<Option<Option<String>>>,
    ) -> Option<f64> {
        #[cfg(feature = "hydrate")]
        {
            let kept = KEPT.with(|k| k.borrow_mut().remove(&address()))?;
            more.set(kept.more);
            cursor.set(kept.cursor);
            Some(kept.scroll)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (more, cursor);
            None
        }
    }

    /// Follows the scroll position, scrolls back once the first page shows, and keeps it all
    /// when the list is left.
    pub fn keep<T: Clone + Send + Sync + 'static>(
        more: RwSignal<Vec<Row>>,
        cursor: RwSignal<Option<Option<String>>>,
        page: Resource<T>,
        scroll_to: Option<f64>,
    ) {
        #[cfg(feature = "hydrate")]
        {
            let here = StoredValue::new(address());
            let scroll = StoredValue::new(window().scroll_y().unwrap_or(0.0));
            let handle = window_event_listener(leptos::ev::scroll, move |_| {
                // Only while this list's address is showing: leaving it scrolls the next page.
                if address() == here.get_value() {
                    scroll.set_value(window().scroll_y().unwrap_or(0.0));
                }
            });
            let pending = StoredValue::new(scroll_to);
            Effect::new(move |_| {
                if page.with(Option::is_some)
                    && let Some(y) = pending.get_value()
                {
                    pending.set_value(None);
                    set_timeout(
                        move || window().scroll_to_with_x_and_y(0.0, y),
                        std::time::Duration::from_millis(0),
                    );
                }
            });
            // The address follows the filters (each change refetches the first page).
            Effect::new(move |_| {
                page.track();
                here.set_value(address());
            });
            on_cleanup(move || {
                handle.remove();
                let kept = Kept {
                    more: more.get_untracked(),
                    cursor: cursor.get_untracked(),
                    scroll: scroll.get_value(),
                };
                KEPT.with(|k| {
                    let mut k = k.borrow_mut();
                    if k.len() > 20 {
                        k.clear();
                    }
                    k.insert(here.get_value(), kept);
                });
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (more, cursor, page, scroll_to);
    }
}

fn row_view(row: Row) -> impl IntoView {
    let href = row.href.clone();
    view! {
        <tr>
            {row.cells.into_iter().enumerate().map(|(i, cell)| {
                let content = match cell {
                    // Long text is cut to fit the screen; the whole of it shows on hover.
                    Cell::Text(t) => { let full = t.clone(); view! { <span class="clip" title=full>{t}</span> }.into_any() }
                    Cell::Muted(t) => { let full = t.clone(); view! { <span class="muted clip" title=full>{t}</span> }.into_any() }
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

#[cfg(test)]
mod tests {
    use super::is_filtered;
    use crate::domain::records::ListQuery;

    #[test]
    fn only_filters_make_a_list_filtered() {
        assert!(!is_filtered(&ListQuery::default()));
        assert!(!is_filtered(&ListQuery {
            sort: Some("-name".into()),
            limit: Some(10),
            ..Default::default()
        }));
        assert!(is_filtered(&ListQuery {
            q: Some("fjord".into()),
            ..Default::default()
        }));
        assert!(is_filtered(&ListQuery {
            status: Some("new".into()),
            ..Default::default()
        }));
    }
}
