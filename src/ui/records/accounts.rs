//! Account and contact pages: lists, details with related records, create forms.

use super::common::{
    CreateModal, DuplicateLink, LoadError, Missing, NewRecordButton, RecordBody, can_edit,
    close_modal, creator, owner_field, record_id, reloader, saver,
};
use super::contacts::NewContactForm;
use crate::api::sales::{
    create_account, get_account, list_accounts, list_contacts, list_opportunities, update_account,
};
use crate::domain::account::{Account, AccountPatch};
use crate::domain::admin::ImpersonationRequest;
use crate::domain::contact::Contact;
use crate::domain::error::AppError;
use crate::domain::import::ImportKind;
use crate::domain::opportunity::Opportunity;
use crate::domain::records::{ListQuery, Money, Page, RecordKind};
use crate::ui::components::editing::{CreateForm, Modal};
use crate::ui::components::form::{Field, Input, Submit};
use crate::ui::components::impersonation::ViewAsButton;
use crate::ui::components::list::{Cell, RecordList, Row, col};
use crate::ui::components::panels::{RecordPanels, Refresh, TasksPanel};
use crate::ui::components::shell::use_can;
use crate::ui::format::submission_key;
use crate::ui::pages::imports::{ExportLink, ImportLink};
use crate::ui::pages::tickets::{RecordTickets, TicketsPanel};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::{Map, Value};
use uuid::Uuid;

// ---------- Accounts ----------

fn account_row(a: &Account) -> Row {
    Row {
        href: RecordKind::Account.path(a.id),
        cells: vec![
            Cell::Text(a.fields.name.clone()),
            Cell::Muted(a.fields.domain.clone().unwrap_or_default()),
            Cell::Text(a.fields.industry.clone().unwrap_or_default()),
            Cell::Text(a.fields.city.clone().unwrap_or_default()),
            Cell::Text(a.contact_count.to_string()),
            Cell::Muted(a.owner_name.clone().unwrap_or_default()),
        ],
    }
}

/// The account's fields; its revenue only for those who see money.
fn account_fields(a: Option<&Account>, money: bool) -> Vec<Field> {
    let f = a.map(|a| a.fields.clone()).unwrap_or_default();
    let mut fields = vec![
        Field::new("name", "Name", Input::Text)
            .required()
            .value(f.name),
        Field::new("domain", "Web domain", Input::Text).opt(f.domain),
        Field::new("industry", "Industry", Input::Text).opt(f.industry),
        Field::new("phone", "Phone", Input::Tel).opt(f.phone),
        Field::new("city", "City", Input::Text).opt(f.city),
        Field::new("annual_revenue", "Annual revenue", Input::Number)
            .opt(f.annual_revenue)
            .shown(
                f.annual_revenue
                    .map(|r| crate::ui::format::count(r.unsigned_abs()))
                    .unwrap_or_default(),
            ),
    ];
    if !money {
        fields.retain(|f| f.key != "annual_revenue");
    }
    if let Some(a) = a {
        fields.push(
            Field::new(
                "primary_contact_id",
                "Primary contact",
                Input::Pick(RecordKind::Contact),
            )
            .reference(
                f.primary_contact_id,
                a.primary_contact_name.clone(),
                f.primary_contact_id.map(|c| RecordKind::Contact.path(c)),
            ),
        );
        fields.push(owner_field(a.owner_id, a.owner_name.clone()));
    }
    fields
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    view! {
        <Title text="Accounts · CRM"/>
        <header class="page-head">
            <h1>"Accounts"</h1>
            <div class="head-actions">
                <ImportLink kind=ImportKind::Accounts/>
                <ExportLink kind="accounts"/>
                {can_edit().then(|| view! { <NewRecordButton label="New account"><NewAccountForm/></NewRecordButton> })}
            </div>
        </header>
        <RecordList
            noun="accounts"
            columns=vec![col("Name", Some("name")), col("Domain", Some("domain")), col("Industry", Some("industry")),
                         col("City", Some("city")), col("Contacts", None), col("Owner", None)]
            fetch=list_accounts
            to_row=account_row
            default_sort="name"
            when_empty=move || view! {
                {can_edit().then_some("Add one with “New account” above, or ")}
                <ImportLink kind=ImportKind::Accounts/>
            }
        />
    }
}

#[component]
fn NewAccountForm() -> impl IntoView {
    let state = RwSignal::new(Submit::Idle);
    let key = StoredValue::new(submission_key());
    let submit = creator(
        create_account,
        |a: &Account| RecordKind::Account.path(a.id),
        state,
        key,
        Map::new(),
    );
    view! {
        <CreateForm fields=account_fields(None, use_can().money) submit_label="Create account" prefix="new-account" state=state
            on_submit=submit on_cancel=close_modal()/>
        <DuplicateLink state=state/>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let Some(id) = record_id() else {
        return view! { <Missing noun="account" back="/accounts"/> }.into_any();
    };
    let account = Resource::new(move || id, get_account);
    let panels = RecordPanels::new(RecordKind::Account, id);
    let related = AccountRelated::new(id, panels.refresh);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(a) => view! { <AccountDetail account=a panels=panels related=related/> }.into_any(),
                    Err(AppError::NotFound) => view! { <Missing noun="account" back="/accounts"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// An account's contacts and opportunities, loaded beside it (made by the page, outside its
/// Suspense, like [`RecordPanels`]).
#[derive(Clone, Copy)]
struct AccountRelated {
    contacts: Resource<Result<Page<Contact>, AppError>>,
    opportunities: Resource<Result<Page<Opportunity>, AppError>>,
    tickets: RecordTickets,
}

impl AccountRelated {
    fn new(id: Uuid, refresh: Refresh) -> AccountRelated {
        let related = ListQuery {
            account_id: Some(id),
            limit: Some(50),
            ..Default::default()
        };
        let by_name = ListQuery {
            sort: Some("last_name".into()),
            ..related.clone()
        };
        AccountRelated {
            contacts: Resource::new(
                move || refresh.get(),
                move |_| list_contacts(by_name.clone()),
            ),
            opportunities: Resource::new(
                move || refresh.get(),
                move |_| list_opportunities(related.clone()),
            ),
            tickets: RecordTickets::new(Some(id), None),
        }
    }
}

#[component]
fn AccountDetail(account: Account, panels: RecordPanels, related: AccountRelated) -> impl IntoView {
    let id = account.id;
    let record = RwSignal::new(account);
    let refresh = panels.refresh;
    let state = RwSignal::new(Submit::Idle);
    let on_save = saver(
        record,
        |a: &Account| a.version,
        move |p: AccountPatch| update_account(id, p),
        state,
        refresh,
    );
    let on_reload = reloader(record, id, get_account);
    let money = use_can().money;
    let fields = Signal::derive(move || record.with(|a| account_fields(Some(a), money)));
    let AccountRelated {
        contacts,
        opportunities,
        tickets,
    } = related;
    let contact_open = RwSignal::new(false);
    view! {
        <Title text=move || format!("{} · Accounts · CRM", record.with(|a| a.fields.name.clone()))/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/accounts">"Accounts"</a><span aria-hidden="true">" / "</span></nav>
        <header class="record-head">
            <div>
                <h1>{move || record.with(|a| a.fields.name.clone())}</h1>
                <p class="muted">{move || record.with(|a| [a.fields.domain.clone(), a.fields.city.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · "))}</p>
            </div>
            {(use_can().administer && record.with_untracked(|a| a.fields.primary_contact_id.is_some())).then(|| view! {
                <ViewAsButton target=ImpersonationRequest { account_id: Some(record.with_untracked(|a| a.id)), ..Default::default() }
                    who="this company" label="View portal as company"/>
            })}
        </header>
        <RecordBody fields=fields can_edit=can_edit() state=state on_save=on_save on_reload=on_reload panels=panels>
            <section class="panel" aria-labelledby="contacts-title">
                <div class="panel-head">
                    <h2 id="contacts-title">"Contacts"</h2>
                    {can_edit().then(|| view! { <button type="button" class="button subtle" on:click=move |_| contact_open.set(true)>"+ Add"</button> })}
                </div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = contacts.await.map(|p| p.items).unwrap_or_default();
                        related_list(list.iter().map(|c| (RecordKind::Contact.path(c.id), c.name(), c.fields.title.clone().unwrap_or_default())).collect(), "No contacts yet.")
                    })}
                </Suspense>
            </section>
            <section class="panel" aria-labelledby="opps-title">
                <h2 id="opps-title">"Opportunities"</h2>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = opportunities.await.map(|p| p.items).unwrap_or_default();
                        related_list(list.iter().map(|o| {
                            let value = o.fields.value.map(|v| crate::ui::format::money(&Money::new(v, &o.fields.currency))).unwrap_or_default();
                            (RecordKind::Opportunity.path(o.id), o.fields.name.clone(), format!("{} {value}", o.stage_label.as_deref().unwrap_or(&o.stage)))
                        }).collect(), "No opportunities yet.")
                    })}
                </Suspense>
            </section>
            <TasksPanel panels=panels/>
            <TicketsPanel tickets=tickets/>
        </RecordBody>
        <Modal open=contact_open title="New contact at this account">
            {
                provide_context(CreateModal(contact_open));
                let mut extra = Map::new();
                extra.insert("account_id".into(), Value::String(id.to_string()));
                view! { <NewContactForm extra=extra/> }
            }
        </Modal>
    }
}

fn related_list(items: Vec<(String, String, String)>, empty: &'static str) -> AnyView {
    if items.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ul class="related">
            {items.into_iter().map(|(href, title, sub)| view! {
                <li><a href=href>{title}</a><small class="muted">{sub}</small></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
