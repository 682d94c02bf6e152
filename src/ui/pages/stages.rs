//! The stage editor (managers and admins): rename, add, remove, reorder, and set each stage's
//! probability, outcome, required fields and aging limit. Saved as one list; a removed stage
//! that holds opportunities asks where they go.

use crate::api::pipeline::{pipeline_board, save_pipeline_stages};
use crate::domain::error::AppError;
use crate::domain::opportunity::{GATE_FIELDS, StageDef, StageKind};
use crate::domain::pipeline::{BoardQuery, ClosedWindow, PipelineUpdate, StageInput};
use crate::ui::components::form::Submit;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeMap;

/// A row of the editor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Row {
    /// Stable while editing (new rows get a made-up one), for keyed rendering.
    uid: u32,
    key: Option<String>,
    label: String,
    probability: String,
    kind: StageKind,
    required: Vec<String>,
    aging: String,
    count: i64,
}

fn rows_of(stages: &[StageDef], counts: &BTreeMap<String, i64>) -> Vec<Row> {
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| Row {
            uid: i as u32,
            key: Some(s.key.clone()),
            label: s.label.clone(),
            probability: s.probability.to_string(),
            kind: s.kind,
            required: s.required_fields.clone(),
            aging: s.aging_days.map(|d| d.to_string()).unwrap_or_default(),
            count: counts.get(&s.key).copied().unwrap_or(0),
        })
        .collect()
}

#[component]
pub fn StagesPage() -> impl IntoView {
    let may = crate::ui::components::shell::use_can().configure;
    if !may {
        crate::ui::pages::status::set_status(403);
        return view! {
            <section class="empty-state">
                <h1>"Pipeline stages"</h1>
                <p>"Only managers and admins change how the pipeline works."</p>
                <p><a href="/pipeline">"Back to the board"</a></p>
            </section>
        }
        .into_any();
    }
    // Every stage's definition and how many opportunities it holds, all time.
    let data = Resource::new(
        || (),
        |_| {
            pipeline_board(BoardQuery {
                closed: Some(ClosedWindow::All),
                limit: Some(1),
                ..Default::default()
            })
        },
    );
    view! {
        <Title text="Stages · Pipeline · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/pipeline">"Pipeline"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head"><h1>"Pipeline stages"</h1></header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(board) => {
                        let counts: BTreeMap<String, i64> = board.stages.iter().map(|c| (c.stage.clone(), c.count)).collect();
                        let stages: Vec<StageDef> = board.stages.into_iter().map(|c| c.def).collect();
                        view! { <StageEditor stages=stages counts=counts/> }.into_any()
                    }
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn StageEditor(stages: Vec<StageDef>, counts: BTreeMap<String, i64>) -> impl IntoView {
    let counts = StoredValue::new(counts);
    let original = StoredValue::new(stages.clone());
    let rows = RwSignal::new(rows_of(&stages, &counts.get_value()));
    let next_uid = StoredValue::new(stages.len() as u32);
    let moves = RwSignal::new(BTreeMap::<String, String>::new());
    let state = RwSignal::new(Submit::Idle);

    let edit = move |uid: u32, f: &dyn Fn(&mut Row)| {
        rows.update(|rs| {
            if let Some(r) = rs.iter_mut().find(|r| r.uid == uid) {
                f(r)
            }
        })
    };
    let shift = move |uid: u32, step: isize| {
        rows.update(|rs| {
            if let Some(i) = rs.iter().position(|r| r.uid == uid) {
                let j = i as isize + step;
                if j >= 0 && (j as usize) < rs.len() {
                    rs.swap(i, j as usize);
                }
            }
        })
    };
    let add = move |_| {
        let uid = next_uid.get_value();
        next_uid.set_value(uid + 1);
        rows.update(|rs| {
            // New stages go before the first closed one.
            let at = rs
                .iter()
                .position(|r| r.kind != StageKind::Open)
                .unwrap_or(rs.len());
            rs.insert(
                at,
                Row {
                    uid,
                    key: None,
                    label: String::new(),
                    probability: "50".into(),
                    kind: StageKind::Open,
                    required: vec![],
                    aging: String::new(),
                    count: 0,
                },
            )
        });
    };
    // Stages that were there and are gone, still holding opportunities.
    let removed = move || {
        let kept: Vec<Option<String>> = rows.with(|rs| rs.iter().map(|r| r.key.clone()).collect());
        original.with_value(|o| {
            o.iter()
                .filter(|s| !kept.contains(&Some(s.key.clone())))
                .filter_map(|s| {
                    let n = counts.with_value(|c| c.get(&s.key).copied().unwrap_or(0));
                    (n > 0).then(|| (s.clone(), n))
                })
                .collect::<Vec<_>>()
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let stages = rows.with_untracked(|rs| {
            rs.iter()
                .map(|r| StageInput {
                    key: r.key.clone(),
                    label: r.label.clone(),
                    probability: r.probability.trim().parse().unwrap_or(-1),
                    kind: r.kind,
                    required_fields: r.required.clone(),
                    aging_days: r.aging.trim().parse().ok(),
                })
                .collect()
        });
        let update = PipelineUpdate {
            stages,
            moves: moves.get_untracked(),
        };
        state.set(Submit::Busy);
        leptos::task::spawn_local(async move {
            match save_pipeline_stages(update).await {
                Ok(saved) => {
                    original.set_value(saved.clone());
                    let fresh = rows_of(&saved, &counts.get_value());
                    next_uid.set_value(fresh.len() as u32);
                    rows.set(fresh);
                    moves.set(BTreeMap::new());
                    state.set(Submit::Done);
                }
                Err(e) => state.set(Submit::Failed(e)),
            }
        });
    };
    let error_at = move |field: String| state.with(|s| s.error().and_then(|e| e.field(&field)));

    view! {
        <form class="stage-editor" on:submit=save novalidate>
            <p class="muted">"The board shows these stages left to right. Renaming or reordering keeps every opportunity and its history; a removed stage is retired and its opportunities move where you say."</p>
            {move || match state.get() {
                Submit::Done => Some(view! { <p class="notice" role="status">"Saved. The board uses the new stages now."</p> }.into_any()),
                Submit::Failed(e) => Some(view! { <p class="form-error" role="alert">{match &e {
                    AppError::Validation { message, fields } => fields.get("stages").and_then(|m| m.first().cloned()).unwrap_or_else(|| message.clone()),
                    other => other.message(),
                }}</p> }.into_any()),
                _ => None,
            }}
            <ol class="stage-rows">
                <For each={move || rows.get().into_iter().enumerate().collect::<Vec<(usize, Row)>>()} key={|(i, r): &(usize, Row)| (*i, r.clone())} let:item>
                    {
                        let (i, r) = item;
                        let uid = r.uid;
                        let id = format!("stage-{uid}");
                        view! {
                            <li class="stage-row">
                                <div class="field">
                                    <label for=format!("{id}-label")>"Name"</label>
                                    <input id=format!("{id}-label") type="text" value=r.label.clone() aria-invalid=move || error_at(format!("stages.{i}.label")).map(|_| "true")
                                        on:change=move |ev| { let v = event_target_value(&ev); edit(uid, &|r| r.label = v.clone()) }/>
                                    {move || error_at(format!("stages.{i}.label")).map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                                <div class="field narrow">
                                    <label for=format!("{id}-kind")>"Outcome"</label>
                                    <select id=format!("{id}-kind") on:change=move |ev| {
                                        let v = event_target_value(&ev).parse().unwrap_or(StageKind::Open);
                                        edit(uid, &|r| r.kind = v)
                                    }>
                                        {StageKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == r.kind>{k.label()}</option> }).collect_view()}
                                    </select>
                                    {move || error_at(format!("stages.{i}.kind")).map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                                <div class="field narrow">
                                    <label for=format!("{id}-probability")>"Probability %"</label>
                                    <input id=format!("{id}-probability") type="text" inputmode="numeric" value=r.probability.clone()
                                        on:change=move |ev| { let v = event_target_value(&ev); edit(uid, &|r| r.probability = v.clone()) }/>
                                    {move || error_at(format!("stages.{i}.probability")).map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                                <div class="field narrow">
                                    <label for=format!("{id}-aging")>"Aging limit (days)"</label>
                                    <input id=format!("{id}-aging") type="text" inputmode="numeric" value=r.aging.clone() placeholder="none"
                                        on:change=move |ev| { let v = event_target_value(&ev); edit(uid, &|r| r.aging = v.clone()) }/>
                                    {move || error_at(format!("stages.{i}.aging_days")).map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                                <fieldset class="requires">
                                    <legend>"Requires"</legend>
                                    {GATE_FIELDS.iter().map(|(field, label)| {
                                        let field = field.to_string();
                                        // What the outcome itself demands is always asked for.
                                        let built_in = match r.kind {
                                            StageKind::Won => matches!(field.as_str(), "value" | "account_id"),
                                            StageKind::Lost => field == "lost_reason",
                                            StageKind::Open => false,
                                        };
                                        let checked = built_in || r.required.contains(&field);
                                        let check_id = format!("{id}-req-{field}");
                                        let label_for = check_id.clone();
                                        view! {
                                            <label for=label_for class="check">
                                                <input id=check_id type="checkbox" checked=checked disabled=built_in on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    let f = field.clone();
                                                    edit(uid, &|r| { r.required.retain(|x| *x != f); if on { r.required.push(f.clone()); } })
                                                }/>
                                                {*label}
                                            </label>
                                        }
                                    }).collect_view()}
                                </fieldset>
                                <div class="row-actions">
                                    <span class="muted">{format!("{} opportunities", r.count)}</span>
                                    <button type="button" class="button subtle" aria-label=format!("Move {} up", r.label) on:click=move |_| shift(uid, -1)>"↑"</button>
                                    <button type="button" class="button subtle" aria-label=format!("Move {} down", r.label) on:click=move |_| shift(uid, 1)>"↓"</button>
                                    <button type="button" class="button subtle danger" aria-label=format!("Remove {}", r.label)
                                        on:click=move |_| rows.update(|rs| rs.retain(|x| x.uid != uid))>"Remove"</button>
                                </div>
                            </li>
                        }
                    }
                </For>
            </ol>
            <p><button type="button" class="button" on:click=add>"+ Add a stage"</button></p>
            {move || {
                let gone = removed();
                (!gone.is_empty()).then(|| view! {
                    <section class="panel moves" aria-label="Where removed stages' opportunities go">
                        <h2>"Removed stages"</h2>
                        {gone.into_iter().map(|(s, n)| {
                            let key = s.key.clone();
                            let select_id = format!("move-{}", s.key);
                            let targets: Vec<(String, String)> = rows.with_untracked(|rs| rs.iter()
                                .filter(|r| r.kind == s.kind)
                                .map(|r| (r.key.clone().unwrap_or_default(), r.label.clone()))
                                .filter(|(k, _)| !k.is_empty())
                                .collect());
                            let field = format!("moves.{}", s.key);
                            view! {
                                <div class="field">
                                    <label for=select_id.clone()>{format!("Move the {n} opportunities in {} to", s.label)}</label>
                                    <select id=select_id on:change=move |ev| { let v = event_target_value(&ev); let k = key.clone(); moves.update(|m| { m.insert(k, v); }) }>
                                        <option value="">"— choose a stage —"</option>
                                        {targets.into_iter().map(|(k, l)| view! { <option value=k>{l}</option> }).collect_view()}
                                    </select>
                                    {move || error_at(field.clone()).map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                            }
                        }).collect_view()}
                    </section>
                })
            }}
            <div class="form-actions">
                <a class="button" href="/pipeline">"Back to the board"</a>
                <button type="submit" class="button primary" disabled=move || state.with(|s| *s == Submit::Busy)>"Save stages"</button>
            </div>
        </form>
    }
}
