//! The pipeline board: a column per stage with its count and total, cards by expected close,
//! moved by dragging (mouse, pen or touch) or with Shift+←/→; a stage gate asks for the
//! fields a stage needs instead of refusing; the summary strip above it.

mod card;

use crate::api::pipeline::{move_opportunity, pipeline_board, pipeline_summary};
use crate::api::sales::list_opportunities;
use crate::domain::error::AppError;
use crate::domain::opportunity::{
    Opportunity, OpportunityPatch, StageDef, gate_field_label, is_reopening,
};
use crate::domain::pipeline::{
    Board, BoardQuery, ClosedWindow, CurrencyTotal, StatsQuery, Summary, days_since, is_aging,
};
use crate::domain::records::{DEFAULT_CURRENCY, ListQuery, Money, RecordKind};
use crate::ui::components::editing::Modal;
use crate::ui::components::filters::{OwnerFilter, TeamFilter, TextFilter, use_param_setter};
use crate::ui::components::form::Submit;
use crate::ui::components::gate::StageGateForm;
use crate::ui::components::shell::use_can;
use crate::ui::format::{compact_money, date};
use card::*;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

/// One column as the board holds it while cards move.
#[derive(Clone, Debug, PartialEq)]
struct Column {
    def: StageDef,
    count: i64,
    /// Blank for those who do not see money.
    total: Option<i64>,
    others: Vec<CurrencyTotal>,
    cards: Vec<Opportunity>,
    cursor: Option<String>,
    loading: bool,
}

fn columns_of(board: Board) -> Vec<Column> {
    board
        .stages
        .into_iter()
        .map(|c| Column {
            def: c.def,
            count: c.count,
            total: c.total_value,
            others: c.other_currencies,
            cards: c.opportunities,
            cursor: c.next_cursor,
            loading: false,
        })
        .collect()
}

/// The board request the address describes.
fn board_query(params: &leptos_router::params::ParamsMap) -> BoardQuery {
    BoardQuery {
        owner_id: params.get("owner_id").and_then(|s| s.parse().ok()),
        team_id: params.get("team_id").and_then(|s| s.parse().ok()),
        q: params.get("q").filter(|s| !s.trim().is_empty()),
        close_from: params.get("close_from").and_then(|s| s.parse().ok()),
        close_to: params.get("close_to").and_then(|s| s.parse().ok()),
        closed: params.get("closed").and_then(|s| s.parse().ok()),
        limit: None,
    }
}

/// Where a card sorts in its column: by expected close, undated last.
fn card_order(o: &Opportunity) -> (chrono::NaiveDate, Uuid) {
    (
        o.fields.expected_close.unwrap_or(chrono::NaiveDate::MAX),
        o.id,
    )
}

/// Takes `card` out of column `from` and puts `placed` (its new state) into its stage's
/// column, keeping counts and totals right.
fn relocate(columns: &mut [Column], from: &str, card: Uuid, placed: &Opportunity) {
    let counted = |o: &Opportunity| {
        if o.fields.currency == DEFAULT_CURRENCY {
            o.fields.value.unwrap_or(0)
        } else {
            0
        }
    };
    if let Some(col) = columns.iter_mut().find(|c| c.def.key == from)
        && let Some(i) = col.cards.iter().position(|o| o.id == card)
    {
        let old = col.cards.remove(i);
        col.count -= 1;
        col.total = col.total.map(|t| t - counted(&old));
    }
    if let Some(col) = columns.iter_mut().find(|c| c.def.key == placed.stage) {
        // Open columns by expected close; closed ones with the latest close first.
        let at = if col.def.is_closed() {
            0
        } else {
            col.cards
                .iter()
                .position(|o| card_order(o) > card_order(placed))
                .unwrap_or(col.cards.len())
        };
        col.cards.insert(at, placed.clone());
        col.count += 1;
        col.total = col.total.map(|t| t + counted(placed));
    }
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(board_query));
    let board = Resource::new(move || query.get(), pipeline_board);
    let refresh = RwSignal::new(0u32);
    let summary = Resource::new(
        move || (refresh.get(), query.with(|q| (q.owner_id, q.team_id))),
        |(_, (owner_id, team_id))| {
            pipeline_summary(StatsQuery {
                owner_id,
                team_id,
                ..Default::default()
            })
        },
    );
    let set_param = use_param_setter();
    let may_configure = use_can().configure;
    let param = move |name: &'static str| params.with(|p| p.get(name)).unwrap_or_default();
    view! {
        <Title text="Pipeline · CRM"/>
        <header class="page-head">
            <h1>"Pipeline"</h1>
            <nav class="page-links" aria-label="Pipeline views">
                <a href="/pipeline/metrics">"Metrics"</a>
                {may_configure.then(|| view! { <a href="/pipeline/stages">"Edit stages"</a> })}
            </nav>
        </header>
        <Suspense fallback=|| view! { <div class="summary-strip loading-strip" aria-hidden="true"></div> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => view! { <SummaryStrip summary=s/> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <div class="list-tools board-tools">
            <OwnerFilter set_param=set_param/>
            <TeamFilter set_param=set_param/>
            <TextFilter set_param=set_param placeholder="Filter by name…"/>
            <label class="inline-field">"Closing from"
                <input type="date" prop:value=move || param("close_from")
                    on:change=move |ev| set_param.run(("close_from", event_target_value(&ev)))/>
            </label>
            <label class="inline-field">"to"
                <input type="date" prop:value=move || param("close_to")
                    on:change=move |ev| set_param.run(("close_to", event_target_value(&ev)))/>
            </label>
            <label class="inline-field">"Won and lost"
                <select prop:value=move || param("closed") on:change=move |ev| set_param.run(("closed", event_target_value(&ev)))>
                    {ClosedWindow::ALL.iter().map(|w| {
                        let value = if *w == ClosedWindow::Month { "" } else { w.as_str() };
                        view! { <option value=value>{w.label()}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>
        <p class="hint board-hint">"Drag a card to another stage. With the keyboard: Tab goes column to column, the arrow keys card to card, Shift+→ or Shift+← moves the card."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the board…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! { <BoardColumns board=b query=query.get_untracked() refresh=refresh/> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SummaryStrip(summary: Summary) -> impl IntoView {
    // Compact figures ($11.97M) with the exact amount a hover or focus away.
    let money = |minor: Option<i64>| {
        minor.map(|minor| {
            let exact = crate::ui::format::money(&Money::new(minor, &summary.currency));
            let short = compact_money(minor, &summary.currency);
            view! { <span title=exact.clone()>{short}</span><span class="figure-exact">{exact}</span> }
        })
    };
    // Those who do not see money get the counts without the amounts.
    let shown = summary.total_pipeline_value.is_some();
    let since = summary.since.date_naive().format("%Y-%m-%d").to_string();
    let month = crate::domain::pipeline::month_start(chrono::Utc::now())
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let percent = format!("{:.1}%", summary.conversion_rate * 100.0);
    view! {
        <section class="summary-strip" aria-label="Pipeline summary">
            <a class="figure" href="/opportunities?stage=open">
                <span class="figure-label">{if shown { "Total pipeline value" } else { "Open opportunities" }}</span>
                <strong class="figure-value" data-figure="total_pipeline_value">{if shown { money(summary.total_pipeline_value).into_any() } else { summary.open_count.to_string().into_any() }}</strong>
                <span class="figure-note">{if shown { format!("{} open opportunities", summary.open_count) } else { "in the pipeline".to_string() }}</span>
            </a>
            <a class="figure" href=format!("/leads?sort=-created_at")>
                <span class="figure-label">"Conversion rate"</span>
                <strong class="figure-value" data-figure="conversion_rate">{percent}</strong>
                <span class="figure-note">{format!("{} of {} leads won · {}", summary.leads_won, summary.leads_in_period, summary.period.label().to_lowercase())}</span>
            </a>
            {shown.then(|| view! {
            <a class="figure" href=format!("/opportunities?stage=closed_won&closed_from={since}")>
                <span class="figure-label">"Average deal size"</span>
                <strong class="figure-value" data-figure="avg_deal_size">{money(summary.avg_deal_size)}</strong>
                <span class="figure-note">{format!("{} won · {}", summary.won_in_period, summary.period.label().to_lowercase())}</span>
            </a>
            })}
            <a class="figure" href=format!("/opportunities?stage=closed_won&closed_from={month}")>
                <span class="figure-label">"Won this month"</span>
                <strong class="figure-value" data-figure="won_this_month">{if shown { money(summary.won_this_month).into_any() } else { summary.won_this_month_count.to_string().into_any() }}</strong>
                <span class="figure-note">{if shown { format!("{} deals", summary.won_this_month_count) } else { "deals".to_string() }}</span>
            </a>
        </section>
    }
}

/// A card being dragged: which, from where, and how far the pointer has gone.
#[derive(Clone, Debug, PartialEq)]
struct Drag {
    id: Uuid,
    from: String,
    start: (i32, i32),
    offset: (i32, i32),
    active: bool,
}

/// A move waiting for the fields its stage's gate needs.
#[derive(Clone, Debug, PartialEq)]
struct Gate {
    card: Opportunity,
    to: StageDef,
    missing: Vec<String>,
}

#[derive(Clone, Copy)]
struct BoardState {
    columns: RwSignal<Vec<Column>>,
    drag: RwSignal<Option<Drag>>,
    hover: RwSignal<Option<String>>,
    gate: RwSignal<Option<Gate>>,
    announce: RwSignal<String>,
    problem: RwSignal<Option<String>>,
    refresh: RwSignal<u32>,
    may_reopen: bool,
    /// Whether this person sees values (else cards and totals leave them out).
    money: bool,
}

impl BoardState {
    fn card(&self, id: Uuid) -> Option<Opportunity> {
        self.columns.with_untracked(|cols| {
            cols.iter()
                .flat_map(|c| c.cards.iter())
                .find(|o| o.id == id)
                .cloned()
        })
    }

    fn stage(&self, key: &str) -> Option<StageDef> {
        self.columns.with_untracked(|cols| {
            cols.iter()
                .find(|c| c.def.key == key)
                .map(|c| c.def.clone())
        })
    }

    /// The stage `step` columns to the right (or left) of `from`.
    fn neighbour(&self, from: &str, step: isize) -> Option<String> {
        self.columns.with_untracked(|cols| {
            let i = cols.iter().position(|c| c.def.key == from)? as isize + step;
            cols.get(usize::try_from(i).ok()?)
                .map(|c| c.def.key.clone())
        })
    }

    /// Tries to move a card: refused at once when the role may not reopen, a gate form when
    /// the stage needs fields the card lacks, otherwise moved on screen and then saved.
    fn attempt(&self, id: Uuid, to_key: &str) {
        let (Some(card), Some(to)) = (self.card(id), self.stage(to_key)) else {
            return;
        };
        if card.stage == to.key {
            return;
        }
        let Some(from) = self.stage(&card.stage) else {
            return;
        };
        let may_reopen = self.may_reopen;
        if is_reopening(&from, &to) && !may_reopen {
            let message = "Only a manager or admin can reopen a closed opportunity.".to_string();
            self.announce
                .set(format!("{} was not moved. {message}", card.fields.name));
            self.problem.set(Some(message));
            return;
        }
        let missing = to.missing_in_sight(&card.fields, self.money);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|f| gate_field_label(f)).collect();
            self.announce.set(format!(
                "{} needs {} to enter {}.",
                card.fields.name,
                names.join(" and "),
                to.label
            ));
            self.gate.set(Some(Gate { card, to, missing }));
            return;
        }
        let patch = OpportunityPatch {
            version: card.version,
            stage: Some(to.key.clone()),
            ..Default::default()
        };
        self.save(card, to, patch, None);
    }

    /// Shows the move at once, then saves it; puts the card back with the reason if refused.
    fn save(
        &self,
        card: Opportunity,
        to: StageDef,
        patch: OpportunityPatch,
        form: Option<RwSignal<Submit>>,
    ) {
        let before = self.columns.get_untracked();
        let mut placed = card.clone();
        placed.stage = to.key.clone();
        self.columns
            .update(|cols| relocate(cols, &card.stage, card.id, &placed));
        self.problem.set(None);
        let state = *self;
        if let Some(f) = form {
            f.set(Submit::Busy);
        }
        leptos::task::spawn_local(async move {
            match move_opportunity(card.id, patch).await {
                Ok(saved) => {
                    state
                        .columns
                        .update(|cols| relocate(cols, &saved.stage, saved.id, &saved));
                    state
                        .announce
                        .set(format!("Moved {} to {}.", saved.fields.name, to.label));
                    state.refresh.update(|n| *n += 1);
                    state.gate.set(None);
                    if let Some(f) = form {
                        f.set(Submit::Done);
                    }
                    focus_card(saved.id);
                }
                Err(e) => {
                    state.columns.set(before);
                    let reason = refusal(&e);
                    state
                        .announce
                        .set(format!("{} was not moved. {reason}", card.fields.name));
                    match form {
                        Some(f) if matches!(e, AppError::Validation { .. }) => {
                            f.set(Submit::Failed(e))
                        }
                        _ => {
                            state.gate.set(None);
                            state.problem.set(Some(reason));
                        }
                    }
                }
            }
        });
    }
}

/// Why the server refused, in one sentence.
fn refusal(e: &AppError) -> String {
    match e {
        AppError::Validation { message, fields } => {
            let details: Vec<String> = fields.values().flatten().cloned().collect();
            if details.is_empty() {
                message.clone()
            } else {
                details.join(" ")
            }
        }
        AppError::Conflict { .. } => {
            "Someone else changed it meanwhile: reload the board to see their change.".into()
        }
        other => other.message(),
    }
}

/// Puts keyboard focus back on a card after it moved (its element was rebuilt).
fn focus_card(id: Uuid) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        set_timeout(
            move || {
                if let Some(link) = document()
                    .query_selector(&format!("[data-card='{id}'] .card-title"))
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = link.focus();
                }
            },
            std::time::Duration::from_millis(0),
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[component]
fn BoardColumns(board: Board, query: BoardQuery, refresh: RwSignal<u32>) -> impl IntoView {
    let state = BoardState {
        columns: RwSignal::new(columns_of(board)),
        drag: RwSignal::new(None),
        hover: RwSignal::new(None),
        gate: RwSignal::new(None),
        announce: RwSignal::new(String::new()),
        problem: RwSignal::new(None),
        refresh,
        may_reopen: use_can().reopen,
        money: use_can().money,
    };
    let query = StoredValue::new(query);
    let keys = move || {
        state
            .columns
            .with(|cols| cols.iter().map(|c| c.def.key.clone()).collect::<Vec<_>>())
    };
    let gate_open = RwSignal::new(false);
    // The dialog and the pending gate follow each other (Escape closes both); each is set only
    // when it differs, so the two effects settle instead of waking each other forever.
    Effect::new(move |_| {
        let want = state.gate.with(Option::is_some);
        if gate_open.get_untracked() != want {
            gate_open.set(want);
        }
    });
    Effect::new(move |_| {
        if !gate_open.get() && state.gate.with_untracked(Option::is_some) {
            state.gate.set(None);
        }
    });
    view! {
        <p class="sr-only" aria-live="polite" role="status" id="board-announcer">{move || state.announce.get()}</p>
        {move || state.problem.get().map(|p| view! {
            <div class="form-error board-problem" role="alert">
                {p}
                <button type="button" class="button subtle" on:click=move |_| state.problem.set(None)>"Dismiss"</button>
            </div>
        })}
        <div class="board" class:dragging=move || state.drag.with(|d| d.as_ref().is_some_and(|d| d.active))>
            <For each=keys key=|k| k.clone() let:key>
                <BoardColumn stage=key state=state query=query/>
            </For>
        </div>
        <Modal open=gate_open title="Complete the move">
            {move || state.gate.get().map(|g| view! { <GateForm gate=g state=state/> })}
        </Modal>
    }
}

#[component]
fn BoardColumn(stage: String, state: BoardState, query: StoredValue<BoardQuery>) -> impl IntoView {
    let key = StoredValue::new(stage);
    let column = move || {
        state
            .columns
            .with(|cols| cols.iter().find(|c| c.def.key == key.get_value()).cloned())
    };
    let load_more = move || {
        let Some(col) = column() else { return };
        let Some(cursor) = col.cursor.clone().filter(|_| !col.loading) else {
            return;
        };
        let q = query.get_value();
        let today = crate::ui::format::today();
        let list = ListQuery {
            stage: Some(col.def.key.clone()),
            owner_id: q.owner_id,
            team_id: q.team_id,
            q: q.q.clone(),
            close_from: q.close_from,
            close_to: q.close_to,
            closed_from: col
                .def
                .is_closed()
                .then(|| q.closed_window().since(today))
                .flatten(),
            sort: Some(
                if col.def.is_closed() {
                    "-closed_at"
                } else {
                    "expected_close"
                }
                .into(),
            ),
            cursor: Some(cursor),
            ..Default::default()
        };
        let set = move |f: &dyn Fn(&mut Column)| {
            state.columns.update(|cols| {
                if let Some(c) = cols.iter_mut().find(|c| c.def.key == key.get_value()) {
                    f(c)
                }
            })
        };
        set(&|c| c.loading = true);
        leptos::task::spawn_local(async move {
            match list_opportunities(list).await {
                Ok(page) => set(&|c| {
                    let known: Vec<Uuid> = c.cards.iter().map(|o| o.id).collect();
                    c.cards.extend(
                        page.items
                            .iter()
                            .filter(|o| !known.contains(&o.id))
                            .cloned(),
                    );
                    c.cursor = page.next_cursor.clone();
                    c.loading = false;
                }),
                Err(_) => set(&|c| c.loading = false),
            }
        });
    };
    let on_scroll = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                && el.scroll_top() + el.client_height() >= el.scroll_height() - 120
            {
                load_more();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let title_id = move || format!("column-{}", key.get_value());
    view! {
        <section class="column" data-stage=key.get_value() aria-labelledby=title_id
            class:drop-target=move || state.hover.get().is_some_and(|h| h == key.get_value())
                && state.drag.with(|d| d.as_ref().is_some_and(|d| d.active && d.from != key.get_value()))>
            {move || column().map(|c| {
                let closed = c.def.is_closed();
                view! {
                    <header class="column-head" class:closed=closed>
                        <h2 id=title_id()>{c.def.label.clone()}</h2>
                        <span class="column-count" title="Opportunities">{c.count}</span>
                        {c.total.map(|total| view! {
                        <span class="column-total" title=crate::ui::format::money(&Money::new(total, DEFAULT_CURRENCY))>
                            {compact_money(total, DEFAULT_CURRENCY)}
                            {c.others.iter().map(|o| view! { <small class="muted">{format!(" + {}", compact_money(o.value, &o.currency))}</small> }).collect_view()}
                        </span>
                        })}
                    </header>
                }
            })}
            <ol class="cards" on:scroll=on_scroll tabindex="0" on:keydown=move |ev| move_focus(ev)
                aria-label=move || column().map(|c| format!("{}: {} opportunities", c.def.label, c.count)).unwrap_or_default()>
                <For
                    each=move || column().map(|c| c.cards).unwrap_or_default()
                    key=|o| (o.id, o.version, o.stage.clone())
                    let:card
                >
                    <Card card=card state=state/>
                </For>
                {move || column().filter(|c| c.count == 0).map(|_| view! { <li class="column-empty muted">"No opportunities"</li> })}
            </ol>
            {move || column().filter(|c| c.cursor.is_some()).map(|c| view! {
                <button type="button" class="button subtle load-column" disabled=c.loading on:click=move |_| load_more()>
                    {if c.loading { "Loading…" } else { "Load more" }}
                </button>
            })}
        </section>
    }
}
