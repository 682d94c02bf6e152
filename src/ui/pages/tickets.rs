//! The support queue and the ticket page: SLA time left on every row, the conversation with
//! public replies and internal notes, and the customer's story beside it.

use crate::api::sales::staff_options;
use crate::api::support::{comment_ticket, create_ticket, get_ticket, list_tickets, update_ticket};
use crate::domain::error::AppError;
use crate::domain::records::RecordKind;
use crate::domain::ticket::{
    MailAttachment, NewComment, NewTicket, SlaState, SlaTarget, Ticket, TicketChannel,
    TicketDetail, TicketList, TicketPatch, TicketPriority, TicketQuery, TicketStatus,
    short_duration,
};
use crate::ui::components::editing::Modal;
use crate::ui::components::filters::{TextFilter, use_param_setter};
use crate::ui::components::picker::RecordPicker;
use crate::ui::components::shell::use_can;
use crate::ui::format::{datetime, relative};
use crate::ui::pages::imports::ExportLink;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

/// Whoever may update tickets works them (support and above); sales read those of their
/// accounts.
fn can_work() -> bool {
    use_can().may_update("ticket")
}

fn priority_badge(p: TicketPriority) -> &'static str {
    match p {
        TicketPriority::Urgent => "badge danger",
        TicketPriority::High => "badge warn",
        TicketPriority::Normal => "badge",
        TicketPriority::Low => "badge muted",
    }
}

fn status_badge(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New => "badge new",
        TicketStatus::Open => "badge info",
        TicketStatus::Pending => "badge muted",
        TicketStatus::Resolved | TicketStatus::Closed => "badge ok",
    }
}

/// "Reply due in 2 h 15 min", "Resolution overdue", "Met".
fn sla_text(t: &Ticket, now: DateTime<Utc>) -> (String, &'static str) {
    match t.sla(now) {
        SlaState::Met => ("Met".into(), "sla met"),
        SlaState::Breached(SlaTarget::FirstResponse) => {
            ("First reply overdue".into(), "sla breached")
        }
        SlaState::Breached(SlaTarget::Resolution) => ("Resolution overdue".into(), "sla breached"),
        SlaState::Due { target, left } => {
            let what = match target {
                SlaTarget::FirstResponse => "Reply",
                SlaTarget::Resolution => "Resolve",
            };
            let class = if left.num_minutes() < 60 {
                "sla soon"
            } else {
                "sla"
            };
            (format!("{what} in {}", short_duration(left)), class)
        }
    }
}

fn query_from(params: &leptos_router::params::ParamsMap) -> TicketQuery {
    TicketQuery {
        assigned: params.get("assigned"),
        priority: params.get("priority").and_then(|p| p.parse().ok()),
        status: params.get("status"),
        breached: params.get("breached").map(|b| b == "true"),
        q: params.get("q"),
        account_id: params.get("account_id").and_then(|v| v.parse().ok()),
        contact_id: params.get("contact_id").and_then(|v| v.parse().ok()),
        limit: Some(50),
        offset: params.get("offset").and_then(|o| o.parse().ok()),
        ..Default::default()
    }
}

#[component]
pub fn TicketsPage() -> impl IntoView {
    let params = use_query_map();
    let set_param = use_param_setter();
    let refresh = RwSignal::new(0);
    let tickets = Resource::new(
        move || (params.with(query_from), refresh.get()),
        |(q, _)| list_tickets(q),
    );
    let new_open = RwSignal::new(false);
    let chip = move |param: &'static str, value: &'static str, label: &'static str| {
        let pressed = move || params.with(|p| p.get(param).unwrap_or_default() == value);
        view! {
            <button type="button" class="chip" aria-pressed=move || pressed().to_string()
                on:click=move |_| set_param.run((param, if pressed() { String::new() } else { value.to_string() }))>
                {label}
            </button>
        }
    };
    view! {
        <Title text="Tickets · CRM"/>
        <header class="page-head">
            <h1>"Support queue"</h1>
            <div class="head-actions">
                <ExportLink kind="tickets"/>
                {can_work().then(|| view! {
                    <button type="button" class="button primary" on:click=move |_| new_open.set(true)>"New ticket"</button>
                })}
            </div>
        </header>
        <div class="list-tools">
            <div class="chips" role="group" aria-label="Assigned">
                {chip("assigned", "mine", "Mine")}
                {chip("assigned", "unassigned", "Unassigned")}
            </div>
            <div class="chips" role="group" aria-label="Priority">
                {TicketPriority::ALL.iter().rev().map(|p| chip("priority", p.as_str(), p.label())).collect_view()}
            </div>
            <div class="chips" role="group" aria-label="Status">
                {chip("status", "pending", "Pending")}
                {chip("status", "resolved", "Resolved")}
                {chip("status", "all", "All")}
                {chip("breached", "true", "Breached")}
            </div>
            <TextFilter set_param=set_param placeholder="Subject or #number"/>
        </div>
        <div class="table-wrap">
            <table class="records tickets">
                <thead><tr>
                    <th scope="col">"#"</th><th scope="col">"Subject"</th><th scope="col">"Customer"</th>
                    <th scope="col">"Priority"</th><th scope="col">"Status"</th><th scope="col">"Assignee"</th>
                    <th scope="col">"SLA"</th>
                </tr></thead>
                <Suspense fallback=|| view! { <tbody><tr><td colspan="7" class="muted">"Loading…"</td></tr></tbody> }>
                    {move || Suspend::new(async move {
                        match tickets.await {
                            Ok(list) if list.items.is_empty() => view! {
                                <tbody><tr><td class="empty" colspan="7">"No tickets match these filters."</td></tr></tbody>
                            }.into_any(),
                            Ok(list) => {
                                let now = list.now;
                                let shown = list.items.len();
                                let total = list.total;
                                view! {
                                    <tbody>
                                        {list.items.into_iter().map(|t| {
                                            let (sla, sla_class) = sla_text(&t, now);
                                            let customer = [t.contact_name.clone().filter(|n| !n.is_empty()), t.account_name.clone()]
                                                .into_iter().flatten().collect::<Vec<_>>().join(" · ");
                                            view! {
                                                <tr>
                                                    <td class="muted">{t.number}</td>
                                                    <td><a href=format!("/tickets/{}", t.id)>{t.subject.clone()}</a>{t.triage.then(|| view! { " "<span class="badge warn">"Triage"</span> })}</td>
                                                    <td>{customer}</td>
                                                    <td><span class=priority_badge(t.priority)>{t.priority.label()}</span></td>
                                                    <td><span class=status_badge(t.status)>{t.status.label()}</span></td>
                                                    <td>{t.assignee_name.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td><span class=sla_class>{sla}</span></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                        <tr><td colspan="7" class="muted">{format!("Showing {shown} of {total}")}</td></tr>
                                    </tbody>
                                }.into_any()
                            }
                            Err(e) => view! { <tbody><tr><td colspan="7" class="form-error">{e.message()}</td></tr></tbody> }.into_any(),
                        }
                    })}
                </Suspense>
            </table>
        </div>
        <Modal open=new_open title="New ticket">
            <NewTicketForm on_done=Callback::new(move |_| { new_open.set(false); refresh.update(|n| *n += 1); })/>
        </Modal>
    }
}

#[component]
fn NewTicketForm(on_done: Callback<()>) -> impl IntoView {
    let subject = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let priority = RwSignal::new("normal".to_string());
    // How the customer reached us: asked every time, never assumed.
    let channel = RwSignal::new(String::new());
    let picked = RwSignal::new(std::collections::BTreeMap::<&'static str, String>::new());
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(how) = channel.get_untracked().parse::<TicketChannel>() else {
            let mut fields = crate::domain::error::FieldErrors::new();
            fields.insert(
                "channel".into(),
                vec!["Say how the customer reached you.".into()],
            );
            error.set(Some(AppError::validation(fields)));
            return;
        };
        let input = NewTicket {
            channel: Some(how),
            subject: subject.get_untracked(),
            description: description.get_untracked(),
            contact_id: picked.with_untracked(|v| v.get("contact_id").and_then(|c| c.parse().ok())),
            priority: priority.get_untracked().parse().unwrap_or_default(),
            ..Default::default()
        };
        pending.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match create_ticket(input).await {
                Ok(t) => {
                    on_done.run(());
                    navigate(&format!("/tickets/{}", t.id), Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    let field_error = move |f: &'static str| {
        move || {
            error.with(|e| {
                e.as_ref()
                    .and_then(|e| e.field(f))
                    .map(|m| view! { <p class="field-error">{m}</p> })
            })
        }
    };
    view! {
        <form class="stack" on:submit=submit novalidate>
            {move || error.with(|e| e.as_ref().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> }))}
            <div class="field">
                <label for="t-subject">"Subject"</label>
                <input id="t-subject" required bind:value=subject/>
                {field_error("subject")}
            </div>
            <div class="field">
                <label for="t-contact">"Contact"</label>
                <RecordPicker id="t-contact" kind=RecordKind::Contact value=picked key="contact_id" initial=""/>
                {field_error("contact_id")}
            </div>
            <div class="field">
                <label for="t-priority">"Priority"</label>
                <select id="t-priority" on:change=move |ev| priority.set(event_target_value(&ev))>
                    {TicketPriority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=*p == TicketPriority::Normal>{p.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="t-channel">"Came in by"</label>
                <select id="t-channel" required aria-describedby="t-channel-error" on:change=move |ev| channel.set(event_target_value(&ev))>
                    <option value="" disabled=true selected=true>"Choose…"</option>
                    {[TicketChannel::Phone, TicketChannel::Email, TicketChannel::Web].iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                </select>
                <div id="t-channel-error">{field_error("channel")}</div>
            </div>
            <div class="field">
                <label for="t-description">"Description"</label>
                <textarea id="t-description" rows="5" bind:value=description></textarea>
                {field_error("description")}
            </div>
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || pending.get()>"Create ticket"</button>
            </div>
        </form>
    }
}

#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").and_then(|v| v.parse::<Uuid>().ok()));
    let Some(id) = id else {
        return view! { <p class="empty-state">"No such ticket." <a href="/tickets">"Back to the queue"</a></p> }.into_any();
    };
    let refresh = RwSignal::new(0);
    let detail = Resource::new(move || (id, refresh.get()), |(id, _)| get_ticket(id));
    let staff = Resource::new(|| (), |_| staff_options());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <TicketView detail=d refresh=refresh staff=staff/> }.into_any(),
                    Err(AppError::NotFound) => view! { <p class="empty-state">"No such ticket." <a href="/tickets">"Back to the queue"</a></p> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

type Loaded<T> = Resource<Result<T, AppError>>;

/// A size as people read it: "812 bytes", "14 KB", "12.4 MB".
fn file_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KB", (b + 1023) / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The files that came with the ticket's mail: each a download, or (when larger than the
/// CRM keeps as a file) a note that it is in the stored message, with that message.
#[component]
fn Attachments(ticket: Uuid, files: Vec<MailAttachment>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="ticket-files">
            <h2 id="ticket-files">"Attachments"</h2>
            <ul class="files">
                {files.into_iter().map(|f| {
                    let size = file_size(f.size);
                    if f.stored {
                        let href = format!("/api/crm/tickets/{ticket}/attachments/{}", f.id);
                        view! {
                            <li><a href=href download="">{f.name}</a>" "<span class="muted">{size}</span></li>
                        }.into_any()
                    } else {
                        let href = format!("/api/crm/mail/{}", f.mail_id);
                        view! {
                            <li>
                                <span>{f.name}</span>" "<span class="muted">{size}</span>
                                <span class="hint">" · too large to keep as a file; it is in "<a href=href download="">"the stored message"</a></span>
                            </li>
                        }.into_any()
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn TicketView(
    detail: TicketDetail,
    refresh: RwSignal<u32>,
    staff: Loaded<Vec<crate::domain::user::UserOption>>,
) -> impl IntoView {
    let ticket_roles = use_can().ticket_roles;
    let t = detail.ticket.clone();
    let now = detail.now;
    let opportunities = detail.opportunities.clone();
    let recent = detail.recent.clone();
    let id = t.id;
    let version = t.version;
    let error = RwSignal::new(None::<AppError>);
    let work = can_work();
    let save = move |patch: TicketPatch| {
        leptos::task::spawn_local(async move {
            match update_ticket(id, patch).await {
                Ok(_) => {
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let status_options: Vec<TicketStatus> = std::iter::once(t.status)
        .chain(t.status.next().iter().copied())
        .collect();
    let (sla, sla_class) = sla_text(&t, now);
    let reply_body = RwSignal::new(String::new());
    // An internal note unless the agent chooses otherwise, every time: a reply the customer
    // sees is the deliberate act, never what a second message inherits from the first.
    let public = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewComment {
            body: reply_body.get_untracked(),
            public: public.get_untracked(),
        };
        sending.set(true);
        leptos::task::spawn_local(async move {
            match comment_ticket(id, input).await {
                Ok(_) => {
                    reply_body.set(String::new());
                    public.set(false);
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            sending.set(false);
        });
    };
    let closed = t.status == TicketStatus::Closed;
    view! {
        <Title text=format!("#{} {} · Tickets · CRM", t.number, t.subject)/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/tickets">"Tickets"</a><span aria-hidden="true">" / "</span></nav>
        <header class="record-head">
            <div>
                <h1>{format!("#{} {}", t.number, t.subject)}</h1>
                <p class="muted">{format!("Opened {} via {}", datetime(t.created_at), t.channel.label().to_lowercase())}</p>
            </div>
            <div class="record-badges">
                {t.triage.then(|| view! { <span class="badge warn" title="From someone the CRM did not know: check the contact and account, then assign it">"Needs triage"</span> })}
                <span class=status_badge(t.status)>{t.status.label()}</span>
            </div>
        </header>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.field("status").or_else(|| e.field("body")).unwrap_or_else(|| e.message())}</p> })}
        <div class="record-grid">
            <div class="record-main">
                <section class="panel" aria-labelledby="ticket-fields">
                    <h2 id="ticket-fields">"Ticket"</h2>
                    <div class="form-grid">
                        <div class="field">
                            <label for="ticket-status">"Status"</label>
                            <select id="ticket-status" disabled=!work || closed on:change=move |ev| {
                                let status = event_target_value(&ev).parse().ok();
                                save(TicketPatch { version, status, ..Default::default() });
                            }>
                                {status_options.into_iter().map(|s| view! { <option value=s.as_str() selected=s == t.status>{s.label()}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="ticket-priority">"Priority"</label>
                            <select id="ticket-priority" disabled=!work || closed on:change=move |ev| {
                                let priority = event_target_value(&ev).parse().ok();
                                save(TicketPatch { version, priority, ..Default::default() });
                            }>
                                {TicketPriority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=*p == t.priority>{p.label()}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="ticket-assignee">"Assignee"</label>
                            <Suspense fallback=|| view! { <p class="muted">"…"</p> }>
                                {move || {
                                let ticket_roles = ticket_roles.clone();
                                Suspend::new(async move {
                                    let people = staff.await.unwrap_or_default();
                                    let current = t.assignee_id;
                                    view! {
                                        <select id="ticket-assignee" disabled=!work || closed on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            save(TicketPatch { version, assignee_id: Some(v.parse().ok()), ..Default::default() });
                                        }>
                                            <option value="" selected=current.is_none()>"Unassigned"</option>
                                            {people.into_iter().filter(|u| ticket_roles.contains(&u.role)).map(|u| view! {
                                                <option value=u.id.to_string() selected=Some(u.id) == current>{u.name}</option>
                                            }).collect_view()}
                                        </select>
                                    }
                                })}}
                            </Suspense>
                        </div>
                        <div class="field">
                            <span class="figure-label">"SLA"</span>
                            <p><span class=sla_class>{sla}</span></p>
                            <p class="hint">{format!("Reply by {} · resolve by {}", datetime(t.first_response_due_at), datetime(t.resolution_due_at))}</p>
                        </div>
                    </div>
                    {(!t.description.is_empty()).then(|| view! { <p class="ticket-description">{t.description.clone()}</p> })}
                </section>
                {(!detail.attachments.is_empty()).then(|| view! { <Attachments ticket=id files=detail.attachments.clone()/> })}
                <section class="panel" aria-labelledby="conversation">
                    <h2 id="conversation">"Conversation"</h2>
                    <ol class="thread">
                        {detail.comments.into_iter().map(|c| {
                            let class = match (c.public, c.author_contact_id.is_some()) {
                                (false, _) => "comment note",
                                (true, true) => "comment customer",
                                (true, false) => "comment reply",
                            };
                            let label = match (c.public, c.author_contact_id.is_some()) {
                                (false, _) => "Internal note",
                                (true, true) => "Customer",
                                (true, false) => "Public reply",
                            };
                            view! {
                                <li class=class>
                                    <p class="comment-head"><strong>{c.author_name.clone().unwrap_or_default()}</strong>" · "{label}" · "<span class="muted">{relative(c.created_at, now)}</span></p>
                                    <p class="comment-body">{c.body}</p>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                    {(work && !closed).then(|| view! {
                        <form class="stack reply-form" class:public=move || public.get() on:submit=send>
                            <fieldset class="reply-kind">
                                <legend class="sr-only">"Who sees this"</legend>
                                <label class="check">
                                    <input type="radio" name="reply-kind" value="note"
                                        prop:checked=move || !public.get() on:change=move |_| public.set(false)/>
                                    " Internal note"
                                </label>
                                <label class="check">
                                    <input type="radio" name="reply-kind" value="reply"
                                        prop:checked=move || public.get() on:change=move |_| public.set(true)/>
                                    " Reply to the customer"
                                </label>
                            </fieldset>
                            <label for="reply-body" class="sr-only">"Message"</label>
                            <textarea id="reply-body" rows="4" bind:value=reply_body
                                placeholder=move || if public.get() { "Write to the customer…" } else { "A note for the team; the customer never sees it…" }></textarea>
                            <div class="form-actions">
                                <p class="muted reply-warning">{move || if public.get() { "The customer will see this reply." } else { "Only staff see internal notes." }}</p>
                                <button type="submit" class="button" class:primary=move || !public.get() class:public-reply=move || public.get() disabled=move || sending.get()>
                                    {move || if public.get() { "Send reply to customer" } else { "Add internal note" }}
                                </button>
                            </div>
                        </form>
                    })}
                </section>
            </div>
            <aside class="record-side">
                <section class="panel" aria-labelledby="customer">
                    <h2 id="customer">"Customer"</h2>
                    <dl class="facts">
                        <dt>"Account"</dt>
                        <dd>{match (t.account_id, t.account_name.clone()) {
                            (Some(a), Some(n)) => view! { <a href=format!("/accounts/{a}")>{n}</a> }.into_any(),
                            _ => view! { <span class="muted">"—"</span> }.into_any(),
                        }}</dd>
                        <dt>"Contact"</dt>
                        <dd>{match (t.contact_id, t.contact_name.clone()) {
                            (Some(c), Some(n)) => view! { <a href=format!("/contacts/{c}")>{n}</a> }.into_any(),
                            _ => view! { <span class="muted">"—"</span> }.into_any(),
                        }}</dd>
                    </dl>
                </section>
                <section class="panel" aria-labelledby="open-deals">
                    <h2 id="open-deals">"Open opportunities"</h2>
                    {if opportunities.is_empty() {
                        view! { <p class="muted">"None."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain">{opportunities.into_iter().map(|o| view! {
                                <li><a href=format!("/opportunities/{}", o.id)>{o.fields.name.clone()}</a>" "<span class="muted">{o.stage_label.clone().unwrap_or_else(|| o.stage.clone())}</span></li>
                            }).collect_view()}</ul>
                        }.into_any()
                    }}
                </section>
                <section class="panel" aria-labelledby="recent">
                    <h2 id="recent">"Recent activity"</h2>
                    {if recent.is_empty() {
                        view! { <p class="muted">"Nothing yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain">{recent.into_iter().map(|e| view! {
                                <li>{e.title}" "<span class="muted">{relative(e.at, now)}</span></li>
                            }).collect_view()}</ul>
                        }.into_any()
                    }}
                </section>
            </aside>
        </div>
    }
}

/// The tickets of a contact or an account, in queue order, made by the record page outside its
/// Suspense (like the record's other panels). Whoever may not read tickets gets an empty list
/// and no panel.
#[derive(Clone, Copy)]
pub struct RecordTickets {
    list: Resource<Result<TicketList, AppError>>,
    all: StoredValue<String>,
}

impl RecordTickets {
    pub fn new(account_id: Option<Uuid>, contact_id: Option<Uuid>) -> RecordTickets {
        let query = TicketQuery {
            status: Some("all".into()),
            account_id,
            contact_id,
            limit: Some(10),
            ..Default::default()
        };
        let all = match (contact_id, account_id) {
            (Some(c), _) => format!("/tickets?status=all&contact_id={c}"),
            (None, Some(a)) => format!("/tickets?status=all&account_id={a}"),
            (None, None) => "/tickets".into(),
        };
        RecordTickets {
            list: Resource::new(|| (), move |_| list_tickets(query.clone())),
            all: StoredValue::new(all),
        }
    }
}

/// A record's tickets in its side column: number, subject, status; a link to all of them.
#[component]
pub fn TicketsPanel(tickets: RecordTickets) -> impl IntoView {
    let list = tickets.list;
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(found) = list.await else { return ().into_any() };
                let total = found.total;
                view! {
                    <section class="panel" aria-labelledby="tickets-title">
                        <h2 id="tickets-title">"Tickets"</h2>
                        {if found.items.is_empty() {
                            view! { <p class="muted">"No tickets."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="related">
                                    {found.items.into_iter().map(|t| view! {
                                        <li>
                                            <a href=RecordKind::Ticket.path(t.id)>{t.label()}</a>
                                            <span class=status_badge(t.status)>{t.status.label()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {(total > 10).then(|| view! { <p><a href=tickets.all.get_value()>{format!("All {total} tickets")}</a></p> })}
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
