//! Contacts: the people at accounts (and prospects on their own), with their portal access.

use super::common::{
    DuplicateKind, DuplicateLink, LoadError, Missing, NewRecordButton, RecordBody, can_edit,
    close_modal, creator, custom_answers, owner_field, record_id, reloader, saver,
};
use crate::api::sales::{create_contact, get_contact, list_contacts, update_contact};
use crate::api::support::{disable_portal, get_portal_access, invite_to_portal};
use crate::domain::admin::ImpersonationRequest;
use crate::domain::contact::{Contact, ContactPatch, ContactRole};
use crate::domain::error::AppError;
use crate::domain::import::ImportKind;
use crate::domain::portal::{PortalAccess, PortalInvite};
use crate::domain::records::RecordKind;
use crate::ui::components::editing::CreateForm;
use crate::ui::components::form::{Field, Input, Submit, choices};
use crate::ui::components::impersonation::ViewAsButton;
use crate::ui::components::list::{Cell, ChipSource, Chips, RecordList, Row, col};
use crate::ui::components::panels::{RecordPanels, TasksPanel};
use crate::ui::components::shell::use_can;
use crate::ui::format::{day, submission_key};
use crate::ui::pages::imports::{ExportLink, ImportLink};
use crate::ui::pages::tickets::{RecordTickets, TicketsPanel};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Accounts and contacts are edited by the same people (the policy's sales records).
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
        fields.push(owner_field(c.owner_id, c.owner_name.clone()));
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
pub(super) fn NewContactForm(extra: Map<String, Value>) -> impl IntoView {
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
        <RecordBody fields=fields can_edit=can_edit() state=state on_save=on_save on_reload=on_reload panels=panels
            extra=move || record.with(|c| custom_answers(&c.custom))>
            <PortalPanel contact_id=id portal=portal refresh=portal_refresh/>
            <TasksPanel panels=panels/>
            <TicketsPanel tickets=tickets/>
        </RecordBody>
    }
}

/// Portal access of a contact: invite (the link is mailed, or without a mail server shown to
/// copy and hand over), or turn off.
#[component]
fn PortalPanel(
    contact_id: Uuid,
    portal: Resource<Result<PortalAccess, AppError>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let link = RwSignal::new(None::<PortalInvite>);
    let error = RwSignal::new(None::<AppError>);
    let invite = move |_| {
        leptos::task::spawn_local(async move {
            match invite_to_portal(contact_id).await {
                Ok(i) => {
                    link.set(Some(i));
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
            {move || link.get().map(|i| match (i.invite_url, i.mailed_to) {
                (Some(url), _) => view! {
                    <div class="field">
                        <label for="invite-link">"Invite link (one use, valid 72 hours; this CRM sends no mail, so hand it over)"</label>
                        <input id="invite-link" readonly value=url/>
                    </div>
                }.into_any(),
                (None, Some(to)) => view! {
                    <p class="notice" role="status">{format!(
                        "{} mailed to {to} (one use, valid 72 hours).",
                        if i.reset { "A link to choose a new portal password was" } else { "The invitation was" }
                    )}</p>
                }.into_any(),
                (None, None) => ().into_any(),
            })}
        </section>
    }
}
