//! The import wizard: upload → column mapping (guessed; adjust, ignore or keep as custom
//! data) → dry run → run with a live progress bar → every row's outcome. The import lives in
//! the database, so a reload (or another tab) shows exactly where it is. Also the buttons the
//! lists use to export what they show and to start an import.

use crate::api::imports::{
    cancel_import, check_import, import_status, recent_imports, run_import, undo_import,
};
use crate::domain::import::{
    CUSTOM, DedupMode, ImportCounts, ImportKind, ImportOptions, ImportStatus, ImportView,
    RowOutcome,
};
use crate::ui::components::shell::{use_can, use_me};
use crate::ui::format::datetime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use uuid::Uuid;

const UPLOAD_URL: &str = "/api/crm/imports";

/// Whether the signed-in person may import: whoever may create the records an import makes.
fn may_import() -> bool {
    let can = use_can();
    ImportKind::ALL
        .iter()
        .any(|k| can.may_create(k.record_kind().as_str()))
}

/// "Export CSV" for a list: the same filters the list shows, as a download. Hidden while
/// viewing as someone else (the server refuses it then).
#[component]
pub fn ExportLink(kind: &'static str) -> impl IntoView {
    let viewing_as = use_me().is_some_and(|m| m.impersonator.is_some());
    let location = use_location();
    let href = move || export_href(kind, &location.search.get());
    (!viewing_as).then(|| view! {
        <a class="button" href=href download="" title="Download what this list shows as a CSV file">"Export CSV"</a>
    })
}

/// The export address for a list at `search` (the router's query string, which comes without
/// its `?`, and may one day come with it).
fn export_href(kind: &str, search: &str) -> String {
    match search.trim_start_matches('?') {
        "" => format!("/api/crm/{kind}/export.csv"),
        query => format!("/api/crm/{kind}/export.csv?{query}"),
    }
}

/// "Import" for a list whose records can be imported.
#[component]
pub fn ImportLink(kind: ImportKind) -> impl IntoView {
    may_import().then(|| {
        view! {
            <a class="button" href=format!("/imports?kind={}", kind.as_str())>"Import"</a>
        }
    })
}

fn number(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn status_badge(s: ImportStatus) -> impl IntoView {
    let class = match s {
        ImportStatus::Done => "badge ok",
        ImportStatus::Failed => "badge danger",
        ImportStatus::Cancelled | ImportStatus::Cancelling => "badge muted",
        _ => "badge info",
    };
    view! { <span class=class>{s.label()}</span> }
}

#[component]
pub fn ImportsPage() -> impl IntoView {
    let query = use_query_map();
    let kind = query
        .with_untracked(|q| q.get("kind"))
        .and_then(|k| k.parse::<ImportKind>().ok())
        .unwrap_or(ImportKind::Contacts);
    let recent = Resource::new(|| (), |_| recent_imports());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                match crate::ui::client::upload_form(UPLOAD_URL, &form).await {
                    Ok(text) => match serde_json::from_str::<ImportView>(&text) {
                        Ok(v) => crate::ui::client::go_to(&format!("/imports/{}", v.id)),
                        Err(_) => error.set(Some("Unexpected answer from the server.".into())),
                    },
                    Err(e) => error.set(Some(e.summary())),
                }
                busy.set(false);
            });
        }
    };
    view! {
        <Title text="Import · CRM"/>
        <header class="page-head"><h1>"Import from CSV"</h1></header>
        {if may_import() { view! {
            <form class="panel import-upload" method="post" action=UPLOAD_URL enctype="multipart/form-data" on:submit=upload>
                <input type="hidden" name="action" value="upload"/>
                <div class="field">
                    <label for="import-kind">"The file holds"</label>
                    <select id="import-kind" name="kind">
                        {ImportKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == kind>{k.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field wide">
                    <label for="import-file">"CSV file"</label>
                    <input id="import-file" type="file" name="file" accept=".csv,.txt,text/csv" required/>
                    <p class="hint">"Exports from Salesforce, HubSpot, Zoho, Pipedrive, Google Contacts, Outlook, LinkedIn and Mailchimp are read as they are: any encoding, commas, semicolons or tabs. Up to 1 GB."</p>
                </div>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Uploading…" } else { "Upload and map columns" }}
                </button>
            </form>
        }.into_any() } else {
            view! { <p class="muted">"Your role does not import records."</p> }.into_any()
        }}
        <h2>"Recent imports"</h2>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match recent.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No imports yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="records">
                            <thead><tr><th scope="col">"File"</th><th scope="col">"Of"</th><th scope="col">"Status"</th>
                                <th scope="col">"Rows"</th><th scope="col">"Created"</th><th scope="col">"Started"</th></tr></thead>
                            <tbody>{list.into_iter().map(|i| view! {
                                <tr>
                                    <td><a href=format!("/imports/{}", i.id)>{i.file_name.clone()}</a></td>
                                    <td>{i.kind.label()}</td>
                                    <td>{status_badge(i.status)}</td>
                                    <td>{i.total_rows.map(number).unwrap_or_default()}</td>
                                    <td>{number(i.counts.created)}</td>
                                    <td>{datetime(i.created_at)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.summary()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let Some(id) = params
        .with_untracked(|p| p.get("id"))
        .and_then(|s| s.parse::<Uuid>().ok())
    else {
        return view! { <p class="muted">"No such import."</p> }.into_any();
    };
    let tick = RwSignal::new(0u32);
    let import = Resource::new(move || tick.get(), move |_| import_status(id));
    // While a job works on it, ask again every ~0.7 s (the state is in the database, so a
    // reload picks up exactly here).
    let working = Memo::new(move |_| {
        import
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|v| v.status.is_working())
    });
    Effect::new(move |_| {
        if working.get() {
            if let Ok(handle) = set_interval_with_handle(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_millis(700),
            ) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    let refresh = Callback::new(move |_: ()| tick.update(|t| *t += 1));
    view! {
        <Title text="Import · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/imports">"Imports"</a><span aria-hidden="true">" / "</span></nav>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match import.await {
                    Ok(v) => view! { <ImportSteps view=v refresh/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.summary()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn ImportSteps(view: ImportView, refresh: Callback<()>) -> impl IntoView {
    let v = view;
    let head = view! {
        <header class="page-head">
            <h1>{format!("Import {}", v.file_name)}</h1>
            {status_badge(v.status)}
        </header>
        <p class="muted">{format!("{} · {} encoding, {} separated · {} KB", v.kind.label(), v.encoding, v.delimiter, (v.file_bytes + 1023) / 1024)}</p>
    };
    let body = match v.status {
        ImportStatus::Uploaded | ImportStatus::Analysed => {
            view! { <MappingStep v=v.clone() refresh/> }.into_any()
        }
        s if s.is_working() => view! { <ProgressStep v=v.clone() refresh/> }.into_any(),
        _ => view! { <ResultStep v=v.clone() refresh/> }.into_any(),
    };
    view! { {head} {body} }
}

fn counts_list(c: &ImportCounts, planned: bool) -> impl IntoView + use<> {
    let (created, updated) = if planned {
        ("to create", "to update")
    } else {
        ("created", "updated")
    };
    view! {
        <dl class="import-counts">
            <div><dt>{created}</dt><dd data-count="created">{number(c.created)}</dd></div>
            <div><dt>{updated}</dt><dd data-count="updated">{number(c.updated)}</dd></div>
            <div><dt>"already in the CRM"</dt><dd data-count="skipped">{number(c.skipped_duplicate)}</dd></div>
            <div><dt>"duplicates in the file"</dt><dd data-count="duplicates">{number(c.duplicate_in_file)}</dd></div>
            <div><dt>"invalid"</dt><dd data-count="invalid">{number(c.invalid)}</dd></div>
            <div class="total"><dt>"rows"</dt><dd data-count="rows">{number(c.rows())}</dd></div>
        </dl>
    }
}

fn examples_table(rows: &[RowOutcome]) -> impl IntoView + use<> {
    (!rows.is_empty()).then(|| view! {
        <div class="table-wrap"><table class="records import-examples">
            <thead><tr><th scope="col">"Row"</th><th scope="col">"Outcome"</th><th scope="col">"Why"</th></tr></thead>
            <tbody>{rows.iter().map(|r| {
                let outcome = r.outcome.split(':').next().unwrap_or_default().replace('_', " ");
                view! { <tr><td>{r.row}</td><td>{outcome}</td><td>{r.message.clone().unwrap_or_default()}</td></tr> }
            }).collect_view()}</tbody>
        </table></div>
    })
}

#[component]
fn MappingStep(v: ImportView, refresh: Callback<()>) -> impl IntoView {
    let kind = v.kind;
    let id = v.id;
    let mapping = RwSignal::new(v.mapping.clone());
    let dedup = RwSignal::new(v.dedup);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let options = move || ImportOptions {
        mapping: mapping.get_untracked(),
        dedup: dedup.get_untracked(),
    };
    let go = move |dry: bool| {
        busy.set(true);
        error.set(None);
        let o = options();
        leptos::task::spawn_local(async move {
            let r = if dry {
                check_import(id, o).await
            } else {
                run_import(id, o).await
            };
            busy.set(false);
            match r {
                Ok(_) => refresh.run(()),
                Err(e) => error.set(Some(e.summary())),
            }
        });
    };
    let samples: Vec<Vec<String>> = v.sample.clone();
    let rows = v.mapping.iter().enumerate().map(|(i, m)| {
        let header = m.header.clone();
        let examples: Vec<String> = samples.iter().filter_map(|r| r.get(i)).filter(|c| !c.trim().is_empty()).take(3).cloned().collect();
        let select_id = format!("map-{i}");
        let current = m.field.clone().unwrap_or_default();
        let set = move |ev| {
            let value = event_target_value(&ev);
            mapping.update(|m| {
                if let Some(col) = m.get_mut(i) {
                    col.field = (!value.is_empty()).then_some(value);
                }
            });
        };
        view! {
            <tr>
                <th scope="row"><label for=select_id.clone()>{header}</label></th>
                <td class="muted sample">{examples.join(" · ")}</td>
                <td>
                    <select id=select_id on:change=set>
                        <option value="" selected=current.is_empty()>"Ignore this column"</option>
                        {kind.fields().iter().map(|f| view! { <option value=f.key selected=current == f.key>{f.label}</option> }).collect_view()}
                        {kind.keeps_custom().then(|| view! { <option value=CUSTOM selected=current == CUSTOM>"Keep as custom data"</option> })}
                    </select>
                </td>
            </tr>
        }
    }).collect_view();
    let dry_run = v.dry_run.clone();
    let examples = v.examples.clone();
    view! {
        <section class="panel">
            <h2>"1. Columns"</h2>
            <p class="muted">{format!("Each column of the file fills a field of the {} (guessed from its name). Rows are matched on the {}.", kind.record_word(), kind.match_rule())}</p>
            <div class="table-wrap"><table class="records import-mapping">
                <thead><tr><th scope="col">"Column in the file"</th><th scope="col" class="sample">"First values"</th><th scope="col">"Fills"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
            <fieldset class="dedup">
                <legend>{format!("2. When a row matches a {} already in the CRM", kind.record_word())}</legend>
                {DedupMode::ALL.iter().map(|d| {
                    let d = *d;
                    view! {
                        <label class="radio">
                            <input type="radio" name="dedup" value=d.as_str() checked=move || dedup.get() == d on:change=move |_| dedup.set(d)/>
                            {d.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        </section>
        {dry_run.map(|c| view! {
            <section class="panel" aria-labelledby="dry-run-head">
                <h2 id="dry-run-head">"3. Dry run: what would happen"</h2>
                {counts_list(&c, true)}
                {examples_table(&examples)}
            </section>
        })}
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <div class="actions">
            <button type="button" class="button" disabled=move || busy.get() on:click=move |_| go(true)>"Dry run"</button>
            <button type="button" class="button primary" disabled=move || busy.get() on:click=move |_| go(false)>"Import"</button>
        </div>
    }
}

#[component]
fn ProgressStep(v: ImportView, refresh: Callback<()>) -> impl IntoView {
    let id = v.id;
    let error = RwSignal::new(None::<String>);
    let cancel = move |_| {
        leptos::task::spawn_local(async move {
            match cancel_import(id).await {
                Ok(_) => refresh.run(()),
                Err(e) => error.set(Some(e.summary())),
            }
        });
    };
    let what = if v.status == ImportStatus::Analysing {
        "Checking"
    } else {
        "Importing"
    };
    let total = v.total_rows;
    let label = match total {
        _ if v.waiting => format!(
            "Waiting: {} starts when your earlier import (or the server's others) finish.",
            what.to_lowercase()
        ),
        Some(t) => format!("{what}: {} of {} rows", number(v.rows_done), number(t)),
        None => format!("{what}: {} rows (counting the file…)", number(v.rows_done)),
    };
    let rate = v
        .rate
        .map(|r| format!("{} rows a second", number(r.round() as i64)));
    view! {
        <section class="panel import-progress">
            <label for="import-bar">{label}</label>
            <progress id="import-bar" max=total.unwrap_or(0).max(1) value=v.rows_done></progress>
            <p class="muted">{format!("{}%", v.percent())}{rate.map(|r| format!(" · {r}"))}</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {(v.status != ImportStatus::Cancelling).then(|| view! {
                <button type="button" class="button" on:click=cancel>"Cancel"</button>
            })}
        </section>
    }
}

#[component]
fn ResultStep(v: ImportView, refresh: Callback<()>) -> impl IntoView {
    let id = v.id;
    let may_undo = use_me().is_some_and(|m| m.can.administer && m.impersonator.is_none());
    let message = RwSignal::new(None::<String>);
    let to_delete = v.counts.created - v.undone;
    let word = v.kind.record_word();
    let what = match v.kind {
        ImportKind::Contacts => format!(
            "{} contacts this import created, and the accounts it made for them",
            number(to_delete)
        ),
        _ => format!("{} {word}s this import created", number(to_delete)),
    };
    let question = format!(
        "Delete the {what}? Records that others have since linked to, or that have activities or tasks, are kept."
    );
    let undo = move |_| {
        #[cfg(feature = "hydrate")]
        if !crate::ui::client::confirm(&question) {
            return;
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &question;
        leptos::task::spawn_local(async move {
            match undo_import(id).await {
                Ok(n) => {
                    message.set(Some(format!("Deleted {} {word}s.", number(n))));
                    refresh.run(());
                }
                Err(e) => message.set(Some(e.summary())),
            }
        });
    };
    let finished = v.finished_at.map(datetime).unwrap_or_default();
    let headline = match v.status {
        ImportStatus::Done => {
            format!("Finished {finished}: every row of the file is accounted for.")
        }
        ImportStatus::Cancelled => format!(
            "Cancelled {finished}: the rows below were committed before it stopped and are kept."
        ),
        _ => v
            .error
            .clone()
            .unwrap_or_else(|| "The import stopped.".into()),
    };
    let undo_offer = (may_undo && to_delete > 0).then(|| {
        view! {
            <button type="button" class="button danger" on:click=undo>
                {format!("Undo: delete the {what}")}
            </button>
        }
    });
    view! {
        <section class="panel import-result">
            <h2>"Result"</h2>
            <p>{headline}</p>
            <progress max=v.total_rows.unwrap_or(v.rows_done).max(1) value=v.rows_done aria-label="Rows done"></progress>
            {counts_list(&v.counts, false)}
            {(v.undone > 0).then(|| view! { <p class="muted">{format!("{} created records were deleted again (undo).", number(v.undone))}</p> })}
            <p><a class="button primary" href=format!("/api/crm/imports/{id}/rows.csv") download="">"Download every row's outcome (CSV)"</a></p>
            {examples_table(&v.examples)}
            {undo_offer}
            {move || message.get().map(|m| view! { <p role="status">{m}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_grouped() {
        assert_eq!(super::number(1_234_567), "1,234,567");
        assert_eq!(super::number(999), "999");
        assert_eq!(super::number(-1000), "-1,000");
    }

    #[test]
    fn an_export_link_keeps_the_lists_filters_as_its_query() {
        use super::export_href;
        assert_eq!(
            export_href("contacts", "q=Fjord&status=new"),
            "/api/crm/contacts/export.csv?q=Fjord&status=new"
        );
        assert_eq!(
            export_href("leads", "?q=a"),
            "/api/crm/leads/export.csv?q=a"
        );
        assert_eq!(export_href("tickets", ""), "/api/crm/tickets/export.csv");
    }
}
