//! Lead pages: the list, the detail page with its actions (contacted, qualify, disqualify),
//! and the "new lead" form opened from anywhere with `N`.

use super::common::{
    LoadError, Missing, RecordBody, creator, custom_answers, owner_field, record_id, reloader,
    saver,
};
use crate::api::sales::{
    create_lead, get_lead, lead_duplicates, list_leads, qualify_lead, update_lead,
};
use crate::domain::error::AppError;
use crate::domain::import::ImportKind;
use crate::domain::lead::{Lead, LeadPatch, LeadSource, LeadStatus, QualifyInput, QualifyResult};
use crate::domain::records::{RecordKind, parse_decimal};
use crate::ui::components::editing::{CreateForm, Modal};
use crate::ui::components::form::{Field, Input, Submit, choices};
use crate::ui::components::list::{Cell, ChipSource, Chips, RecordList, Row, col};
use crate::ui::components::panels::{RecordPanels, Refresh, TasksPanel};
use crate::ui::components::shell::{use_can, use_new_lead};
use crate::ui::format::{day, submission_key};
use crate::ui::pages::imports::{ExportLink, ImportLink};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeMap;

pub fn status_badge(s: LeadStatus) -> &'static str {
    match s {
        LeadStatus::New => "info",
        LeadStatus::Contacted => "warn",
        LeadStatus::Qualified => "ok",
        LeadStatus::Disqualified => "muted",
    }
}

fn lead_row(l: &Lead) -> Row {
    Row {
        href: RecordKind::Lead.path(l.id),
        cells: vec![
            Cell::Text(l.fields.name.clone()),
            Cell::Text(l.fields.company.clone().unwrap_or_default()),
            Cell::Muted(l.fields.email.clone().unwrap_or_default()),
            Cell::Badge(l.status.label().into(), status_badge(l.status)),
            Cell::Muted(l.fields.source.label().into()),
            Cell::Muted(l.owner_name.clone().unwrap_or_default()),
            Cell::Muted(day(l.created_at)),
        ],
    }
}

#[component]
pub fn LeadsPage() -> impl IntoView {
    let new_lead = use_new_lead();
    let mut options = vec![(String::new(), "All".to_string())];
    options.extend(
        LeadStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.label().to_string())),
    );
    view! {
        <Title text="Leads · CRM"/>
        <header class="page-head">
            <h1>"Leads"</h1>
            <div class="head-actions">
                <ImportLink kind=ImportKind::Leads/>
                <ExportLink kind="leads"/>
                <button type="button" class="button primary" on:click=move |_| new_lead.set(true)>
                    "New lead" <kbd>"N"</kbd>
                </button>
            </div>
        </header>
        <RecordList
            noun="leads"
            columns=vec![
                col("Name", Some("name")), col("Company", Some("company")), col("Email", Some("email")),
                col("Status", Some("status")), col("Source", None), col("Owner", None), col("Created", Some("created_at")),
            ]
            fetch=list_leads
            to_row=lead_row
            chips=Chips { param: "status", label: "Status", options: ChipSource::Fixed(options) }
            default_sort="-created_at"
            when_empty=move || view! {
                <button type="button" class="button primary" on:click=move |_| new_lead.set(true)>"New lead"</button>
                <ImportLink kind=ImportKind::Leads/>
            }
        />
    }
}

fn lead_fields(l: Option<&Lead>) -> Vec<Field> {
    let f = l.map(|l| l.fields.clone()).unwrap_or_default();
    let mut fields = vec![
        Field::new("name", "Name", Input::Text)
            .required()
            .value(f.name),
        Field::new("company", "Company", Input::Text).opt(f.company),
        Field::new("email", "Email", Input::Email).opt(f.email),
        Field::new("phone", "Phone", Input::Tel).opt(f.phone),
        Field::new(
            "source",
            "Source",
            Input::Choice(choices(LeadSource::options())),
        )
        .required()
        .value(f.source.as_str()),
    ];
    if let Some(l) = l {
        fields.push(owner_field(l.owner_id, l.owner_name.clone()));
        fields.push(Field::new("utm_source", "UTM source", Input::Text).opt(f.utm_source));
        fields.push(Field::new("utm_medium", "UTM medium", Input::Text).opt(f.utm_medium));
        fields.push(Field::new("utm_campaign", "UTM campaign", Input::Text).opt(f.utm_campaign));
    }
    fields
}

/// The new-lead form (in the modal `N` opens), warning of duplicates while the email is typed.
#[component]
pub fn NewLeadForm() -> impl IntoView {
    let open = use_new_lead();
    let state = RwSignal::new(Submit::Idle);
    let key = StoredValue::new(submission_key());
    let values = RwSignal::new(BTreeMap::<&'static str, String>::new());
    let warnings = RwSignal::new(Vec::new());
    let checked = StoredValue::new(String::new());
    Effect::new(move |_| {
        let email = values.with(|v| v.get("email").cloned().unwrap_or_default());
        if email == checked.get_value() {
            return;
        }
        checked.set_value(email.clone());
        leptos::task::spawn_local(async move {
            let found = lead_duplicates(email.clone()).await.unwrap_or_default();
            if checked.get_value() == email {
                warnings.set(found);
            }
        });
    });
    let submit = creator(
        create_lead,
        |c: &crate::domain::lead::CreatedLead| RecordKind::Lead.path(c.lead.id),
        state,
        key,
        Default::default(),
    );
    let on_submit = Callback::new(move |v| {
        submit.run(v);
    });
    Effect::new(move |_| {
        if state.get() == Submit::Done {
            open.set(false);
        }
    });
    view! {
        <CreateForm fields=lead_fields(None) submit_label="Create lead" prefix="new-lead" state=state on_submit=on_submit
            on_cancel=Callback::new(move |_| open.set(false)) values=values>
            {move || {
                let list = warnings.get();
                (!list.is_empty()).then(|| view! {
                    <div class="warning" role="status">
                        <strong>"Possible duplicate"</strong>
                        <ul>{list.into_iter().map(|w| view! {
                            <li>{w.message}" "<a href=w.kind.path(w.id)>"Open it"</a></li>
                        }).collect_view()}</ul>
                    </div>
                })
            }}
        </CreateForm>
    }
}

#[component]
pub fn LeadPage() -> impl IntoView {
    let Some(id) = record_id() else {
        return view! { <Missing noun="lead" back="/leads"/> }.into_any();
    };
    let lead = Resource::new(move || id, get_lead);
    let panels = RecordPanels::new(RecordKind::Lead, id);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match lead.await {
                    Ok(l) => view! { <LeadDetail lead=l panels=panels/> }.into_any(),
                    Err(AppError::NotFound) => view! { <Missing noun="lead" back="/leads"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn LeadDetail(lead: Lead, panels: RecordPanels) -> impl IntoView {
    let id = lead.id;
    let record = RwSignal::new(lead);
    let refresh = panels.refresh;
    let state = RwSignal::new(Submit::Idle);
    let update = move |patch: LeadPatch| update_lead(id, patch);
    let on_save = saver(record, |l: &Lead| l.version, update, state, refresh);
    let on_reload = reloader(record, id, get_lead);
    let fields = Signal::derive(move || record.with(|l| lead_fields(Some(l))));
    let can = use_can();
    let can_edit = can.may_update("lead");
    let may_reopen = can.reopen;
    let qualify_open = RwSignal::new(false);
    let disqualify_open = RwSignal::new(false);
    let result = RwSignal::new(None::<QualifyResult>);
    let action_error = RwSignal::new(None::<AppError>);

    let set_status = move |status: LeadStatus, reason: Option<String>| {
        let patch = LeadPatch {
            version: record.with_untracked(|l| l.version),
            status: Some(status),
            disqualify_reason: reason.map(Some),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match update_lead(id, patch).await {
                Ok(l) => {
                    record.set(l);
                    action_error.set(None);
                    disqualify_open.set(false);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => action_error.set(Some(e)),
            }
        });
    };

    view! {
        <Title text=move || format!("{} · Leads · CRM", record.with(|l| l.fields.name.clone()))/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/leads">"Leads"</a><span aria-hidden="true">" / "</span></nav>
        <header class="record-head">
            <div>
                <h1>{move || record.with(|l| l.fields.name.clone())}</h1>
                <p class="muted">{move || record.with(|l| l.fields.company.clone().unwrap_or_default())}</p>
            </div>
            <span class=move || record.with(|l| format!("badge {}", status_badge(l.status)))>
                {move || record.with(|l| l.status.label())}
            </span>
            <div class="actions">
                {move || {
                    let status = record.with(|l| l.status);
                    can_edit.then(|| view! {
                        {(status == LeadStatus::New).then(|| view! {
                            <button type="button" class="button" on:click=move |_| set_status(LeadStatus::Contacted, None)>"Mark contacted"</button>
                        })}
                        {status.is_open().then(|| view! {
                            <button type="button" class="button primary" on:click=move |_| qualify_open.set(true)>"Qualify"</button>
                            <button type="button" class="button" on:click=move |_| disqualify_open.set(true)>"Disqualify"</button>
                        })}
                        {(status == LeadStatus::Disqualified && may_reopen).then(|| view! {
                            <button type="button" class="button" on:click=move |_| set_status(LeadStatus::New, None)>"Reopen"</button>
                        })}
                    })
                }}
            </div>
        </header>
        {move || action_error.get().map(|e| view! { <p class="form-error" role="alert">{e.field("status").unwrap_or_else(|| e.message())}</p> })}
        {move || record.with(|l| l.disqualify_reason.clone()).map(|r| view! { <p class="notice muted">"Disqualified: "{r}</p> })}
        {move || converted_panel(record.get(), result.get())}
        <RecordBody fields=fields can_edit=can_edit state=state on_save=on_save on_reload=on_reload panels=panels
            extra=move || record.with(|l| custom_answers(&l.custom))>
            <TasksPanel panels=panels/>
        </RecordBody>
        <Modal open=qualify_open title="Qualify lead">
            <QualifyForm id=id record=record result=result open=qualify_open refresh=refresh/>
        </Modal>
        <Modal open=disqualify_open title="Disqualify lead">
            <DisqualifyForm on_done=Callback::new(move |reason: String| set_status(LeadStatus::Disqualified, Some(reason))) error=action_error/>
        </Modal>
    }
}

/// What a qualified lead became, with links.
fn converted_panel(lead: Lead, result: Option<QualifyResult>) -> Option<impl IntoView> {
    let (account, contact, opportunity) = (
        lead.converted_account_id?,
        lead.converted_contact_id?,
        lead.converted_opportunity_id?,
    );
    let note = |created: Option<bool>| match created {
        Some(true) => " (new)",
        Some(false) => " (existing)",
        None => "",
    };
    let account_note = note(result.as_ref().map(|r| r.account_created));
    let contact_note = note(result.as_ref().map(|r| r.contact_created));
    Some(view! {
        <section class="converted" aria-label="Qualified into">
            <strong>"Qualified into:"</strong>
            <a href=RecordKind::Opportunity.path(opportunity)>"Opportunity"</a>
            <a href=RecordKind::Account.path(account)>{format!("Account{account_note}")}</a>
            <a href=RecordKind::Contact.path(contact)>{format!("Contact{contact_note}")}</a>
        </section>
    })
}

#[component]
fn QualifyForm(
    id: uuid::Uuid,
    record: RwSignal<Lead>,
    result: RwSignal<Option<QualifyResult>>,
    open: RwSignal<bool>,
    refresh: Refresh,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let close = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    // Those who do not see money are not asked for the deal's value.
    let money = crate::ui::components::shell::use_can().money;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let amount = value.get_untracked();
        let amount = if amount.trim().is_empty() {
            None
        } else {
            match parse_decimal(&amount) {
                Ok(v) => Some(v),
                Err(m) => return error.set(Some(AppError::invalid("value", m))),
            }
        };
        let input = QualifyInput {
            opportunity_name: Some(name.get_untracked()).filter(|n| !n.trim().is_empty()),
            value: amount,
            expected_close: chrono::NaiveDate::parse_from_str(&close.get_untracked(), "%Y-%m-%d")
                .ok(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match qualify_lead(id, input).await {
                Ok(r) => {
                    record.set(r.lead.clone());
                    result.set(Some(r));
                    open.set(false);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let placeholder = record.with_untracked(|l| {
        crate::domain::opportunity::opportunity_name_for(
            l.fields.company.as_deref(),
            &l.fields.name,
        )
    });
    view! {
        <form class="record-form" on:submit=submit>
            <p class="muted">"Finds or creates the account (by email domain or company name) and the contact (by email), and opens an opportunity in Qualified."</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.field("value").unwrap_or_else(|| e.message())}</p> })}
            <div class="form-grid">
                <div class="field wide">
                    <label for="qualify-name">"Opportunity name"</label>
                    <input id="qualify-name" type="text" placeholder=placeholder prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                {money.then(|| view! {
                <div class="field">
                    <label for="qualify-value">"Value"</label>
                    <input id="qualify-value" type="text" inputmode="decimal" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                </div>
                })}
                <div class="field">
                    <label for="qualify-close">"Expected close"</label>
                    <input id="qualify-close" type="date" prop:value=move || close.get() on:input=move |ev| close.set(event_target_value(&ev))/>
                </div>
            </div>
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="button primary" disabled=move || busy.get()>"Qualify"</button>
            </div>
        </form>
    }
}

#[component]
fn DisqualifyForm(on_done: Callback<String>, error: RwSignal<Option<AppError>>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    view! {
        <form class="record-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); on_done.run(reason.get_untracked()); }>
            <div class="field">
                <label for="disqualify-reason">"Why is this lead disqualified?"</label>
                <input id="disqualify-reason" type="text" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                {move || error.get().and_then(|e| e.field("disqualify_reason")).map(|m| view! { <p class="field-error">{m}</p> })}
            </div>
            <div class="form-actions"><button type="submit" class="button primary">"Disqualify"</button></div>
        </form>
    }
}
