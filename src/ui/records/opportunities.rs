//! Opportunity pages: the list (by stage), the detail page with the stage path, the create form.

use super::common::{
    LoadError, Missing, RecordBody, creator, owner_field, record_id, reloader, saver,
};
use crate::api::sales::{
    create_opportunity, get_opportunity, list_opportunities, pipeline_stages, update_opportunity,
};
use crate::domain::error::AppError;
use crate::domain::opportunity::{
    LostReason, Opportunity, OpportunityPatch, StageDef, StageKind, gate_field_label,
};
use crate::domain::records::{Money, RecordKind, decimal_string};
use crate::ui::components::editing::{CreateForm, Modal};
use crate::ui::components::form::{Field, Input, Submit, choices};
use crate::ui::components::gate::StageGateForm;
use crate::ui::components::list::{Cell, ChipSource, Chips, RecordList, Row, col};
use crate::ui::components::panels::{RecordPanels, TasksPanel};
use crate::ui::components::shell::use_can;
use crate::ui::format::{date, days_between, submission_key};
use crate::ui::pages::imports::ExportLink;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Map;

fn opportunity_row(o: &Opportunity) -> Row {
    Row {
        href: RecordKind::Opportunity.path(o.id),
        cells: vec![
            Cell::Text(o.fields.name.clone()),
            Cell::Text(o.account_name.clone().unwrap_or_default()),
            Cell::Text(
                o.fields
                    .value
                    .map(|v| crate::ui::format::money(&Money::new(v, &o.fields.currency)))
                    .unwrap_or_default(),
            ),
            Cell::Badge(
                o.stage_label.clone().unwrap_or_else(|| o.stage.clone()),
                if o.closed_at.is_some() {
                    "muted"
                } else {
                    "info"
                },
            ),
            Cell::Muted(format!("{}%", o.probability)),
            Cell::Muted(o.fields.expected_close.map(date).unwrap_or_default()),
            Cell::Muted(o.owner_name.clone().unwrap_or_default()),
        ],
    }
}

/// The fields of the create form and the detail page; the value only for those who see money.
/// The row without its value, for those who do not see money (the Value column is left out).
fn opportunity_row_without_value(o: &Opportunity) -> Row {
    let mut row = opportunity_row(o);
    row.cells.remove(2);
    row
}

pub fn opportunity_fields(o: Option<&Opportunity>, stages: &[StageDef], money: bool) -> Vec<Field> {
    let f = o.map(|o| o.fields.clone()).unwrap_or_default();
    let value_shown = f
        .value
        .map(|v| crate::ui::format::money(&Money::new(v, &f.currency)))
        .unwrap_or_default();
    let mut fields = vec![
        Field::new("name", "Name", Input::Text)
            .required()
            .value(f.name),
        Field::new("account_id", "Account", Input::Pick(RecordKind::Account)).reference(
            f.account_id,
            o.and_then(|o| o.account_name.clone()),
            f.account_id.map(|a| RecordKind::Account.path(a)),
        ),
        Field::new(
            "primary_contact_id",
            "Primary contact",
            Input::Pick(RecordKind::Contact),
        )
        .reference(
            f.primary_contact_id,
            o.and_then(|o| o.primary_contact_name.clone()),
            f.primary_contact_id.map(|c| RecordKind::Contact.path(c)),
        ),
        Field::new("value", "Value", Input::Money)
            .value(f.value.map(decimal_string).unwrap_or_default())
            .shown(value_shown),
        Field::new("currency", "Currency", Input::Text)
            .required()
            .value(f.currency),
        Field::new("expected_close", "Expected close", Input::Date)
            .value(f.expected_close.map(|d| d.to_string()).unwrap_or_default())
            .shown(f.expected_close.map(date).unwrap_or_default()),
    ];
    if !money {
        fields.retain(|f| f.key != "value");
    }
    match o {
        None => {
            let options = stages
                .iter()
                .filter(|s| !s.is_closed())
                .map(|s| (s.key.clone(), s.label.clone()))
                .collect::<Vec<_>>();
            let first = options.first().map(|(k, _)| k.clone()).unwrap_or_default();
            fields.push(
                Field::new("stage", "Stage", Input::Choice(options))
                    .required()
                    .value(first),
            );
        }
        Some(o) => {
            fields.push(
                Field::new("probability", "Probability %", Input::Number)
                    .value(o.probability.to_string()),
            );
            fields.push(
                Field::new(
                    "lost_reason",
                    "Lost reason",
                    Input::Choice(choices(LostReason::options())),
                )
                .opt(f.lost_reason.map(|r| r.as_str())),
            );
            fields.push(owner_field(o.owner_id, o.owner_name.clone()));
        }
    }
    fields
}

#[component]
pub fn OpportunitiesPage() -> impl IntoView {
    let stages = Resource::new(|| (), |_| pipeline_stages());
    let stage_chips = Resource::new(
        || (),
        |_| async {
            let stages = pipeline_stages().await.unwrap_or_default();
            let mut options = vec![
                (String::new(), "All".to_string()),
                ("open".to_string(), "Open".to_string()),
            ];
            options.extend(stages.into_iter().map(|s| (s.key, s.label)));
            options
        },
    );
    let can_create = use_can().may_create("opportunity");
    let money = use_can().money;
    let mut columns = vec![
        col("Name", Some("name")),
        col("Account", None),
        col("Value", Some("value")),
        col("Stage", Some("stage")),
        col("Probability", Some("probability")),
        col("Expected close", Some("expected_close")),
        col("Owner", None),
    ];
    let to_row: fn(&Opportunity) -> Row = if money {
        opportunity_row
    } else {
        columns.remove(2);
        opportunity_row_without_value
    };
    let open = RwSignal::new(false);
    view! {
        <Title text="Opportunities · CRM"/>
        <header class="page-head">
            <h1>"Opportunities"</h1>
            <div class="head-actions">
                <ExportLink kind="opportunities"/>
                {can_create.then(|| view! { <button type="button" class="button primary" on:click=move |_| open.set(true)>"New opportunity"</button> })}
            </div>
        </header>
        <RecordList
            noun="opportunities"
            columns=columns
            fetch=list_opportunities
            to_row=to_row
            chips=Chips { param: "stage", label: "Stage", options: ChipSource::Loaded(stage_chips) }
            default_sort="-created_at"
        />
        <Modal open=open title="New opportunity">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let stages = stages.await.unwrap_or_default();
                    view! { <NewOpportunityForm stages=stages open=open/> }
                })}
            </Suspense>
        </Modal>
    }
}

#[component]
fn NewOpportunityForm(stages: Vec<StageDef>, open: RwSignal<bool>) -> impl IntoView {
    let state = RwSignal::new(Submit::Idle);
    let key = StoredValue::new(submission_key());
    let submit = creator(
        create_opportunity,
        |o: &Opportunity| RecordKind::Opportunity.path(o.id),
        state,
        key,
        Map::new(),
    );
    view! {
        <CreateForm fields=opportunity_fields(None, &stages, use_can().money) submit_label="Create opportunity" prefix="new-opportunity"
            state=state on_submit=submit on_cancel=Callback::new(move |_| open.set(false))/>
    }
}

#[component]
pub fn OpportunityPage() -> impl IntoView {
    let Some(id) = record_id() else {
        return view! { <Missing noun="opportunity" back="/opportunities"/> }.into_any();
    };
    let data = Resource::new(
        move || id,
        |id| async move { Ok::<_, AppError>((get_opportunity(id).await?, pipeline_stages().await?)) },
    );
    let panels = RecordPanels::new(RecordKind::Opportunity, id);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((o, stages)) => view! { <OpportunityDetail opportunity=o stages=stages panels=panels/> }.into_any(),
                    Err(AppError::NotFound) => view! { <Missing noun="opportunity" back="/opportunities"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn OpportunityDetail(
    opportunity: Opportunity,
    stages: Vec<StageDef>,
    panels: RecordPanels,
) -> impl IntoView {
    let id = opportunity.id;
    let record = RwSignal::new(opportunity);
    let refresh = panels.refresh;
    let state = RwSignal::new(Submit::Idle);
    let stages = StoredValue::new(stages);
    let on_save = saver(
        record,
        |o: &Opportunity| o.version,
        move |p: OpportunityPatch| update_opportunity(id, p),
        state,
        refresh,
    );
    let on_reload = reloader(record, id, get_opportunity);
    let money_shown = use_can().money;
    let fields = Signal::derive(move || {
        record.with(|o| stages.with_value(|s| opportunity_fields(Some(o), s, money_shown)))
    });
    let can_edit = use_can().may_update("opportunity");
    let money = use_can().money;
    let stage_error = RwSignal::new(None::<AppError>);
    // The stage a click asked for whose gate needs fields first: the board's gate form opens.
    let gate = RwSignal::new(None::<(StageDef, Vec<String>)>);
    let gate_open = RwSignal::new(false);
    let gate_state = RwSignal::new(Submit::Idle);
    Effect::new(move |_| {
        if !gate_open.get() {
            gate.set(None);
        }
    });

    let stages_for_gate = stages;
    let save_move = move |patch: OpportunityPatch, form: Option<RwSignal<Submit>>| {
        let stage_wanted = patch.stage.clone().unwrap_or_default();
        if let Some(f) = form {
            f.set(Submit::Busy);
        }
        leptos::task::spawn_local(async move {
            match update_opportunity(id, patch).await {
                Ok(o) => {
                    record.set(o);
                    stage_error.set(None);
                    gate_open.set(false);
                    if let Some(f) = form {
                        f.set(Submit::Done);
                    }
                    refresh.update(|n| *n += 1);
                }
                Err(e) => match (
                    form,
                    gate_request(&e, &stages_for_gate.get_value(), &stage_wanted),
                ) {
                    (Some(f), _) => f.set(Submit::Failed(e)),
                    // The server knows of a gate field this page did not (it changed meanwhile):
                    // ask for it the same way.
                    (None, Some(request)) => {
                        gate_state.set(Submit::Idle);
                        gate.set(Some(request));
                        gate_open.set(true);
                    }
                    (None, None) => stage_error.set(Some(e)),
                },
            }
        });
    };
    let move_to = move |to: StageDef| {
        let missing = record.with_untracked(|o| to.missing_in_sight(&o.fields, money));
        if missing.is_empty() {
            let patch = OpportunityPatch {
                version: record.with_untracked(|o| o.version),
                stage: Some(to.key.clone()),
                ..Default::default()
            };
            save_move(patch, None);
        } else {
            gate_state.set(Submit::Idle);
            gate.set(Some((to, missing)));
            gate_open.set(true);
        }
    };
    let stage_label = move |key: &str| {
        stages.with_value(|s| {
            s.iter()
                .find(|x| x.key == key)
                .map_or(key.to_string(), |x| x.label.clone())
        })
    };

    view! {
        <Title text=move || format!("{} · Opportunities · CRM", record.with(|o| o.fields.name.clone()))/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/opportunities">"Opportunities"</a><span aria-hidden="true">" / "</span></nav>
        <header class="record-head">
            <div>
                <h1>{move || record.with(|o| o.fields.name.clone())}</h1>
                <p class="muted">
                    {money.then(|| view! {
                        {move || record.with(|o| o.fields.value.map(|v| crate::ui::format::money(&Money::new(v, &o.fields.currency))).unwrap_or_else(|| "No value yet".into()))}
                        " · "
                    })}
                    {move || record.with(|o| o.account_name.clone().unwrap_or_else(|| "No account".into()))}
                    " · "{move || record.with(|o| format!("{} days in {}", days_between(o.stage_entered_at, chrono::Utc::now()), stage_label(&o.stage)))}
                </p>
            </div>
        </header>
        <ol class="stage-path" aria-label="Stage">
            {move || stages.with_value(|all| all.iter().map(|s| {
                let key = s.key.clone();
                let current = record.with(|o| o.stage == key);
                let kind = s.kind;
                let class = match (current, kind) {
                    (true, StageKind::Won) => "stage current won",
                    (true, StageKind::Lost) => "stage current lost",
                    (true, _) => "stage current",
                    _ => "stage",
                };
                let label = s.label.clone();
                let def = s.clone();
                view! {
                    <li class=class>
                        <button type="button" disabled=!can_edit || current aria-current=current.then_some("step")
                            on:click=move |_| move_to(def.clone())>
                            {label}
                        </button>
                    </li>
                }
            }).collect_view())}
        </ol>
        {move || stage_error.get().map(|e| {
            let detail = match &e {
                AppError::Validation { fields, message } => format!(
                    "{message} Missing: {}.",
                    fields.keys().map(|f| gate_field_label(f).to_string()).collect::<Vec<_>>().join(", ")
                ),
                other => other.message(),
            };
            view! { <p class="form-error" role="alert">{detail}</p> }
        })}
        <RecordBody fields=fields can_edit=can_edit state=state on_save=on_save on_reload=on_reload panels=panels>
            <TasksPanel panels=panels/>
        </RecordBody>
        <Modal open=gate_open title="Complete the move">
            {move || gate.get().map(|(to, missing)| {
                let name = record.with_untracked(|o| o.fields.name.clone());
                let version = record.with_untracked(|o| o.version);
                view! {
                    <StageGateForm name=name to=to missing=missing version=version state=gate_state
                        on_patch=Callback::new(move |p| save_move(p, Some(gate_state)))
                        on_cancel=Callback::new(move |_| gate_open.set(false))/>
                }
            })}
        </Modal>
    }
}

/// The gate to open when the server refused a stage move for missing gate fields.
fn gate_request(
    e: &AppError,
    stages: &[StageDef],
    wanted: &str,
) -> Option<(StageDef, Vec<String>)> {
    let AppError::Validation { fields, .. } = e else {
        return None;
    };
    let missing: Vec<String> = fields
        .keys()
        .filter(|f| {
            crate::domain::opportunity::GATE_FIELDS
                .iter()
                .any(|(g, _)| g == f)
        })
        .cloned()
        .collect();
    let to = stages.iter().find(|s| s.key == wanted)?;
    (!missing.is_empty()).then(|| (to.clone(), missing))
}
