//! Account and contact pages: lists, details with related records, create forms.

use super::common::{LoadError, Missing, creator, record_id, reloader, saver};
use crate::api::sales::{
    create_account, create_contact, get_account, get_contact, list_accounts, list_contacts,
    list_opportunities, update_account, update_contact,
};
use crate::api::support::{disable_portal, get_portal_access, invite_to_portal};
use crate::domain::account::{Account, AccountPatch};
use crate::domain::admin::ImpersonationRequest;
use crate::domain::contact::{Contact, ContactPatch, ContactRole};
use crate::domain::error::AppError;
use crate::domain::import::ImportKind;
use crate::domain::opportunity::Opportunity;
use crate::domain::portal::PortalAccess;
use crate::domain::records::{CustomAnswers, ListQuery, Money, Page, RecordKind};
use crate::ui::components::editing::{CreateForm, EditableFields, Modal};
use crate::ui::components::form::{Field, Input, Submit, choices};
use crate::ui::components::impersonation::ViewAsButton;
use crate::ui::components::list::{Cell, ChipSource, Chips, RecordList, Row, col};
use crate::ui::components::panels::{LogActivity, RecordPanels, Refresh, TasksPanel, Timeline};
use crate::ui::components::shell::use_can;
use crate::ui::format::{day, submission_key};
use crate::ui::pages::imports::{ExportLink, ImportLink};
use crate::ui::pages::tickets::{RecordTickets, TicketsPanel};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Accounts and contacts are edited by the same people (the policy's sales records).
fn can_edit() -> bool {
    use_can().may_update("account")
}

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
        fields.push(
            Field::new("owner_id", "Owner", Input::User)
                .required()
                .reference(Some(a.owner_id), a.owner_name.clone(), None),
        );
    }
    fields
}

/// A "New …" button with its modal form, for list pages.
#[component]
fn NewRecordButton(#[prop(into)] label: String, children: ChildrenFn) -> impl IntoView {
    let open = RwSignal::new(false);
    provide_context(CreateModal(open));
    view! {
        <button type="button" class="button primary" on:click=move |_| open.set(true)>{label.clone()}</button>
        <Modal open=open title=label>{children()}</Modal>
    }
}

/// The open state of the create modal a form lives in.
#[derive(Clone, Copy)]
pub struct CreateModal(pub RwSignal<bool>);

fn close_modal() -> Callback<()> {
    let open = use_context::<CreateModal>().map(|m| m.0);
    Callback::new(move |_| {
        if let Some(o) = open {
            o.set(false);
        }
    })
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

/// For a 409 on create: a link to the record that already exists.
#[component]
fn DuplicateLink(state: RwSignal<Submit>) -> impl IntoView {
    move || {
        state.with(|s| match s.error() {
            Some(AppError::Conflict { message, existing_id: Some(id), .. }) => {
                let href = use_context::<DuplicateKind>().map(|k| k.0).unwrap_or(RecordKind::Account);
                let path = id.parse().map(|id| href.path(id)).unwrap_or_default();
                Some(view! {
                    <p class="warning" role="alert">{message.clone()}" "<a href=path>"Open it"</a></p>
                })
            }
            _ => None,
        })
    }
}

/// Which kind of record a duplicate link on this form points to.
#[derive(Clone, Copy)]
struct DuplicateKind(RecordKind);

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
        <div class="record-grid">
            <div class="record-main">
                <section class="panel" aria-labelledby="details-title">
                    <h2 id="details-title">"Details"</h2>
                    <EditableFields fields=fields can_edit=can_edit() state=state on_save=on_save on_reload=on_reload/>
                </section>
                <LogActivity panels=panels/>
                <Timeline panels=panels/>
            </div>
            <aside class="record-side">
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
            </aside>
        </div>
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

// ---------- Contacts ----------

fn role_badge(r: ContactRole) -> &'static str {
    match r {
        ContactRole::Lead => "muted",
        ContactRole::Prospect => "info",
        ContactRole::Client => "ok",
    }
}

fn contact_row(c: &Contact) -> Row {
    Row {
        href: RecordKind::Contact.path(c.id),
        cells: vec![
            Cell::Text(c.name()),
            Cell::Text(c.account_name.clone().unwrap_or_default()),
            Cell::Text(c.fields.title.clone().unwrap_or_default()),
            Cell::Muted(c.fields.email.clone().unwrap_or_default()),
            Cell::Muted(c.fields.phone.clone().unwrap_or_default()),
            Cell::Badge(c.fields.role.label().into(), role_badge(c.fields.role)),
            Cell::Muted(day(c.created_at)),
        ],
    }
}

fn contact_fields(c: Option<&Contact>) -> Vec<Field> {
    let f = c.map(|c| c.fields.clone()).unwrap_or_default();
    let mut fields = vec![
        Field::new("first_name", "First name", Input::Text).opt(f.first_name),
        Field::new("last_name", "Last name", Input::Text).opt(f.last_name),
        Field::new("email", "Email", Input::Email).opt(f.email),
        Field::new("phone", "Phone", Input::Tel).opt(f.phone),
        Field::new("title", "Title", Input::Text).opt(f.title),
        Field::new("account_id", "Account", Input::Pick(RecordKind::Account)).reference(
            f.account_id,
            c.and_then(|c| c.account_name.clone()),
            f.account_id.map(|a| RecordKind::Account.path(a)),
        ),
        Field::new(
            "role",
            "Relationship",
            Input::Choice(choices(ContactRole::options())),
        )
        .required()
        .value(f.role.as_str()),
    ];
    if let Some(c) = c {
        fields.push(Field::new("active", "Active", Input::Check).value(f.active.to_string()));
        fields
            .push(Field::new("is_test", "Test contact", Input::Check).value(f.is_test.to_string()));
        fields.push(
            Field::new("owner_id", "Owner", Input::User)
                .required()
                .reference(Some(c.owner_id), c.owner_name.clone(), None),
        );
    }
    fields
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let mut options = vec![(String::new(), "All".to_string())];
    options.extend(
        ContactRole::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), format!("{}s", s.label()))),
    );
    view! {
        <Title text="Contacts · CRM"/>
        <header class="page-head">
            <h1>"Contacts"</h1>
            <div class="head-actions">
                <ImportLink kind=ImportKind::Contacts/>
                <ExportLink kind="contacts"/>
                {can_edit().then(|| view! { <NewRecordButton label="New contact"><NewContactForm extra=Map::new()/></NewRecordButton> })}
            </div>
        </header>
        <RecordList
            noun="contacts"
            columns=vec![col("Name", Some("last_name")), col("Account", None), col("Title", None), col("Email", Some("email")),
                         col("Phone", None), col("Relationship", Some("role")), col("Created", Some("created_at"))]
            fetch=list_contacts
            to_row=contact_row
            chips=Chips { param: "status", label: "Relationship", options: ChipSource::Fixed(options) }
            default_sort="-created_at"
            when_empty=move || view! {
                {can_edit().then_some("Add one with “New contact” above, or ")}
                <ImportLink kind=ImportKind::Contacts/>
            }
        />
    }
}

#[component]
fn NewContactForm(extra: Map<String, Value>) -> impl IntoView {
    let state = RwSignal::new(Submit::Idle);
    let key = StoredValue::new(submission_key());
    provide_context(DuplicateKind(RecordKind::Contact));
    let fixed_account = extra.contains_key("account_id");
    let fields: Vec<Field> = contact_fields(None)
        .into_iter()
        .filter(|f| !(fixed_account && f.key == "account_id"))
        .collect();
    let submit = creator(
        create_contact,
        |c: &Contact| RecordKind::Contact.path(c.id),
        state,
        key,
        extra,
    );
    view! {
        <CreateForm fields=fields submit_label="Create contact" prefix="new-contact" state=state on_submit=submit on_cancel=close_modal()/>
        <DuplicateLink state=state/>
    }
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let Some(id) = record_id() else {
        return view! { <Missing noun="contact" back="/contacts"/> }.into_any();
    };
    let contact = Resource::new(move || id, get_contact);
    let panels = RecordPanels::new(RecordKind::Contact, id);
    let tickets = RecordTickets::new(None, Some(id));
    let portal_refresh = RwSignal::new(0);
    let portal = Resource::new(
        move || (id, portal_refresh.get()),
        |(id, _)| get_portal_access(id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contact.await {
                    Ok(c) => view! { <ContactDetail contact=c panels=panels portal=portal portal_refresh=portal_refresh tickets=tickets/> }.into_any(),
                    Err(AppError::NotFound) => view! { <Missing noun="contact" back="/contacts"/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn ContactDetail(
    contact: Contact,
    panels: RecordPanels,
    portal: Resource<Result<PortalAccess, AppError>>,
    portal_refresh: RwSignal<u32>,
    tickets: RecordTickets,
) -> impl IntoView {
    let id: Uuid = contact.id;
    let record = RwSignal::new(contact);
    let refresh = panels.refresh;
    let state = RwSignal::new(Submit::Idle);
    let on_save = saver(
        record,
        |c: &Contact| c.version,
        move |p: ContactPatch| update_contact(id, p),
        state,
        refresh,
    );
    let on_reload = reloader(record, id, get_contact);
    let fields = Signal::derive(move || record.with(|c| contact_fields(Some(c))));
    view! {
        <Title text=move || format!("{} · Contacts · CRM", record.with(Contact::name))/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/contacts">"Contacts"</a><span aria-hidden="true">" / "</span></nav>
        <header class="record-head">
            <div>
                <h1>{move || record.with(Contact::name)}</h1>
                <p class="muted">{move || record.with(|c| [c.fields.title.clone(), c.account_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" at "))}</p>
            </div>
            <span class=move || record.with(|c| format!("badge {}", role_badge(c.fields.role)))>{move || record.with(|c| c.fields.role.label())}</span>
        </header>
        <div class="record-grid">
            <div class="record-main">
                <section class="panel" aria-labelledby="details-title">
                    <h2 id="details-title">"Details"</h2>
                    <EditableFields fields=fields can_edit=can_edit() state=state on_save=on_save on_reload=on_reload/>
                </section>
                {move || record.with(|c| custom_answers(&c.custom))}
                <LogActivity panels=panels/>
                <Timeline panels=panels/>
            </div>
            <aside class="record-side">
                <PortalPanel contact_id=id portal=portal refresh=portal_refresh/>
                <TasksPanel panels=panels/>
                <TicketsPanel tickets=tickets/>
            </aside>
        </div>
    }
}

/// Answers beyond the standard fields (from a kickoff form), when there are any.
pub fn custom_answers(custom: &CustomAnswers) -> Option<AnyView> {
    (!custom.is_empty()).then(|| {
        view! {
            <section class="panel" aria-labelledby="answers-title">
                <h2 id="answers-title">"Form answers"</h2>
                <dl class="facts">
                    {custom.shown().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </section>
        }
        .into_any()
    })
}

/// Portal access of a contact: invite (the link is shown to copy and hand over), or turn off.
#[component]
fn PortalPanel(
    contact_id: Uuid,
    portal: Resource<Result<PortalAccess, AppError>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let invite = move |_| {
        leptos::task::spawn_local(async move {
            match invite_to_portal(contact_id).await {
                Ok(i) => {
                    link.set(Some(i.invite_url));
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let disable = move |_| {
        leptos::task::spawn_local(async move {
            match disable_portal(contact_id).await {
                Ok(_) => {
                    link.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let admin = use_can().administer;
    view! {
        <section class="panel portal-access" aria-labelledby="portal-title">
            <h2 id="portal-title">"Portal access"</h2>
            <Suspense fallback=|| view! { <p class="muted">"…"</p> }>
                {move || Suspend::new(async move {
                    match portal.await {
                        Ok(a) => { let viewable = admin && a.enabled && a.blocked_because.is_none(); view! {
                            <p>{match (a.enabled, a.has_password) {
                                (false, _) => "Off".to_string(),
                                (true, false) => "Invited; the invite has not been accepted yet.".to_string(),
                                (true, true) => match a.last_login_at {
                                    Some(t) => format!("On · last signed in {}", day(t)),
                                    None => "On · never signed in".to_string(),
                                },
                            }}</p>
                            {a.blocked_because.filter(|_| a.enabled && a.has_password).map(|b| view! { <p class="warning">{b}</p> })}
                            {(!a.may_manage).then(|| view! { <p class="muted small">{crate::domain::portal::WHO_MAY_INVITE}</p> })}
                            {a.may_manage.then(|| view! {
                                <div class="row-actions">
                                    <button type="button" class="button" on:click=invite>{if a.enabled { "New invite link" } else { "Invite to portal" }}</button>
                                    {a.enabled.then(|| view! { <button type="button" class="button subtle" on:click=disable>"Turn off"</button> })}
                                    {viewable.then(|| view! {
                                        <ViewAsButton target=ImpersonationRequest { contact_id: Some(contact_id), ..Default::default() }
                                            who="this contact" label="View portal as them"/>
                                    })}
                                </div>
                            })}
                        }.into_any() },
                        Err(e) => view! { <p class="muted">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            {move || link.get().map(|url| view! {
                <div class="field">
                    <label for="invite-link">"Invite link (one use, valid 72 hours)"</label>
                    <input id="invite-link" readonly value=url/>
                </div>
            })}
        </section>
    }
}
