//! The customer portal: a simple frame with the business's name, the customer's tickets, a
//! ticket's public conversation, and their profile. Built for a phone first.

use crate::api::portal::{
    change_portal_password, end_other_portal_sessions, get_portal_profile, get_portal_ticket,
    list_portal_tickets, open_portal_ticket, reply_portal_ticket, resolve_portal_ticket,
    save_portal_profile,
};
use crate::domain::admin::PasswordChange;
use crate::domain::error::AppError;
use crate::domain::portal::{
    NewPortalTicket, PortalProfilePatch, PortalReply, PortalTicketDetail, PortalTicketPatch,
};
use crate::domain::ticket::TicketStatus;
use crate::ui::components::impersonation::ImpersonationBanner;
use crate::ui::components::shell::use_me;
use crate::ui::format::datetime;
use crate::ui::pages::profile::RegionalFields;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

fn status_class(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New | TicketStatus::Open => "badge info",
        TicketStatus::Pending => "badge muted",
        TicketStatus::Resolved | TicketStatus::Closed => "badge ok",
    }
}

/// What customers read as the status.
fn status_label(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New => "Received",
        TicketStatus::Open => "In progress",
        TicketStatus::Pending => "Waiting for you",
        TicketStatus::Resolved => "Resolved",
        TicketStatus::Closed => "Closed",
    }
}

fn error_line(error: RwSignal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = match &e {
                AppError::Validation { fields, .. } => fields
                    .values()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.message(),
            };
            view! { <p class="form-error" role="alert">{text}</p> }
        })
    }
}

/// Which portal menu item a path belongs to.
fn portal_section(path: &str) -> &'static str {
    if path.starts_with("/portal/profile") {
        "profile"
    } else {
        "tickets"
    }
}

#[component]
pub fn PortalShell() -> impl IntoView {
    let me = use_me();
    let location = leptos_router::hooks::use_location();
    let profile = Resource::new(|| (), |_| get_portal_profile());
    let name = me.as_ref().map(|m| m.user.name.clone()).unwrap_or_default();
    view! {
        <crate::ui::components::editing::SkipLink/>
        {me.map(|me| view! { <ImpersonationBanner me=me/> })}
        <header class="portal-top">
            <a class="portal-brand" href="/portal">
                <Suspense fallback=|| "Support">
                    {move || Suspend::new(async move {
                        profile.await.map(|p| p.business_name).unwrap_or_else(|_| "Support".into())
                    })}
                </Suspense>
            </a>
            <nav aria-label="Portal">
                // One item is current: the tickets (list and each ticket), or the profile.
                // (The router's link would also mark "My tickets" on every page under /portal.)
                <a href="/portal" aria-current=move || portal_section(&location.pathname.get()).eq("tickets").then_some("page")>"My tickets"</a>
                <a href="/portal/profile" aria-current=move || portal_section(&location.pathname.get()).eq("profile").then_some("page")>"Profile"</a>
            </nav>
            <form method="post" action="/api/auth/logout" class="inline">
                <span class="who-name">{name}</span>
                <button type="submit" class="button subtle">"Sign out"</button>
            </form>
        </header>
        <main class="portal-page" id="main" tabindex="-1">
            <Outlet/>
        </main>
    }
}

#[component]
pub fn PortalHome() -> impl IntoView {
    let refresh = RwSignal::new(0);
    let tickets = Resource::new(move || refresh.get(), |_| list_portal_tickets());
    let subject = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewPortalTicket {
            subject: subject.get_untracked(),
            description: description.get_untracked(),
            priority: None,
        };
        pending.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match open_portal_ticket(input).await {
                Ok(t) => navigate(
                    &format!("/portal/tickets/{}", t.ticket.id),
                    Default::default(),
                ),
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    view! {
        <Title text="My tickets · Portal"/>
        <h1>"My tickets"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tickets.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">"No tickets yet. Tell us what you need below."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="portal-tickets">
                            {list.into_iter().map(|t| view! {
                                <li>
                                    <a href=format!("/portal/tickets/{}", t.id)>
                                        <span class="portal-ticket-subject">{format!("#{} {}", t.number, t.subject)}</span>
                                        <span class=status_class(t.status)>{status_label(t.status)}</span>
                                    </a>
                                    <p class="muted">{format!("Opened {}{}", datetime(t.created_at), t.opened_by.filter(|n| !n.is_empty()).map(|n| format!(" by {n}")).unwrap_or_default())}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <section class="panel" aria-labelledby="new-ticket">
            <h2 id="new-ticket">"Open a ticket"</h2>
            <form class="stack" on:submit=open novalidate>
                {error_line(error)}
                <div class="field">
                    <label for="p-subject">"Subject"</label>
                    <input id="p-subject" required bind:value=subject/>
                </div>
                <div class="field">
                    <label for="p-description">"What happened?"</label>
                    <textarea id="p-description" rows="5" bind:value=description></textarea>
                </div>
                <button type="submit" class="button primary" disabled=move || pending.get()>"Send"</button>
            </form>
        </section>
    }
}

#[component]
pub fn PortalTicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").and_then(|v| v.parse::<Uuid>().ok()));
    let Some(id) = id else {
        return view! { <p class="empty-state">"No such ticket." <a href="/portal">"Back"</a></p> }
            .into_any();
    };
    let refresh = RwSignal::new(0);
    let ticket = Resource::new(move || refresh.get(), move |_| get_portal_ticket(id));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match ticket.await {
                    Ok(d) => view! { <PortalTicketView detail=d refresh=refresh/> }.into_any(),
                    Err(AppError::NotFound) => view! { <p class="empty-state">"No such ticket." <a href="/portal">"Back to my tickets"</a></p> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn PortalTicketView(detail: PortalTicketDetail, refresh: RwSignal<u32>) -> impl IntoView {
    let t = detail.ticket;
    let id = t.id;
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let reply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PortalReply {
            body: body.get_untracked(),
        };
        pending.set(true);
        leptos::task::spawn_local(async move {
            match reply_portal_ticket(id, input).await {
                Ok(_) => {
                    body.set(String::new());
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    let resolve = move |_| {
        leptos::task::spawn_local(async move {
            match resolve_portal_ticket(
                id,
                PortalTicketPatch {
                    status: Some(TicketStatus::Resolved),
                },
            )
            .await
            {
                Ok(_) => refresh.update(|n| *n += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let open = !t.status.is_done();
    let closed = t.status == TicketStatus::Closed;
    view! {
        <Title text=format!("#{} {} · Portal", t.number, t.subject)/>
        <p><a href="/portal">"← My tickets"</a></p>
        <header class="portal-ticket-head">
            <h1>{format!("#{} {}", t.number, t.subject)}</h1>
            <span class=status_class(t.status)>{status_label(t.status)}</span>
        </header>
        {(!t.description.is_empty()).then(|| view! { <p class="ticket-description">{t.description.clone()}</p> })}
        <ol class="thread">
            {detail.comments.into_iter().map(|c| view! {
                <li class=if c.from_support { "comment reply" } else { "comment customer" }>
                    <p class="comment-head"><strong>{if c.from_support { format!("{} (support)", c.author_name.clone().unwrap_or_default()) } else { c.author_name.clone().unwrap_or_else(|| "You".into()) }}</strong>" · "<span class="muted">{datetime(c.created_at)}</span></p>
                    <p class="comment-body">{c.body}</p>
                </li>
            }).collect_view()}
        </ol>
        {error_line(error)}
        {(!closed).then(|| view! {
            <form class="stack reply-form" on:submit=reply novalidate>
                <label for="portal-reply">"Reply"</label>
                <textarea id="portal-reply" rows="4" bind:value=body></textarea>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || pending.get()>"Send reply"</button>
                    {open.then(|| view! { <button type="button" class="button" on:click=resolve>"Mark resolved"</button> })}
                </div>
            </form>
        })}
    }
}

#[component]
pub fn PortalProfilePage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_portal_profile());
    let options = Resource::new(|| (), |_| crate::api::auth::regional_options());
    view! {
        <Title text="Profile · Portal"/>
        <h1>"Your profile"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let zones = options.await.map(|o| o.zones).unwrap_or_default();
                match profile.await {
                    Ok(p) => {
                        let zone = RwSignal::new(p.time_zone.clone().unwrap_or_default());
                        let locale = RwSignal::new(p.locale.clone().unwrap_or_default());
                        let was = (p.time_zone.clone(), p.locale.clone());
                        let first = RwSignal::new(p.first_name.clone().unwrap_or_default());
                        let last = RwSignal::new(p.last_name.clone().unwrap_or_default());
                        let phone = RwSignal::new(p.phone.clone().unwrap_or_default());
                        let title = RwSignal::new(p.title.clone().unwrap_or_default());
                        let error = RwSignal::new(None::<AppError>);
                        let saved = RwSignal::new(false);
                        let save = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            let some = |s: RwSignal<String>| Some(s.get_untracked());
                            let patch = PortalProfilePatch {
                                first_name: some(first), last_name: some(last), phone: some(phone), title: some(title),
                                time_zone: some(zone), locale: some(locale),
                            };
                            let was = was.clone();
                            leptos::task::spawn_local(async move {
                                match save_portal_profile(patch).await {
                                    // New formats show once the page is rendered in them.
                                    Ok(me) if (me.time_zone.clone(), me.locale.clone()) != was => crate::ui::pages::profile::reload(),
                                    Ok(_) => { error.set(None); saved.set(true); }
                                    Err(e) => { saved.set(false); error.set(Some(e)); }
                                }
                            });
                        };
                        view! {
                            <form class="stack panel" on:submit=save novalidate>
                                {error_line(error)}
                                {move || saved.get().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                                <p class="muted">{format!("{} · {}", p.email, p.account_name.clone().unwrap_or_default())}</p>
                                <div class="field"><label for="pf-first">"First name"</label><input id="pf-first" bind:value=first/></div>
                                <div class="field"><label for="pf-last">"Last name"</label><input id="pf-last" bind:value=last/></div>
                                <div class="field"><label for="pf-phone">"Phone"</label><input id="pf-phone" type="tel" bind:value=phone/></div>
                                <div class="field"><label for="pf-title">"Job title"</label><input id="pf-title" bind:value=title/></div>
                                <RegionalFields zone=zone locale=locale zones=zones.clone()
                                    default_zone="As my browser is set".to_string()
                                    default_locale="As my browser is set".to_string() error=error/>
                                <button type="submit" class="button primary">"Save"</button>
                            </form>
                            <PortalSecurity/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The customer's own password and sign-ins.
#[component]
fn PortalSecurity() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
            revoke_tokens: false,
        };
        leptos::task::spawn_local(async move {
            match change_portal_password(input).await {
                Ok(c) => {
                    current.set(String::new());
                    new.set(String::new());
                    error.set(None);
                    notice.set(Some(match c.ended {
                        0 => "Password changed.".to_string(),
                        n => {
                            format!("Password changed; you were signed out on {n} other device(s).")
                        }
                    }));
                }
                Err(e) => {
                    notice.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    let sign_out_elsewhere = move |_| {
        leptos::task::spawn_local(async move {
            match end_other_portal_sessions().await {
                Ok(n) => {
                    error.set(None);
                    notice.set(Some(format!("Signed out on {n} other device(s).")));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let field_error = move |name: &'static str| {
        move || {
            error.get().and_then(|e| e.field(name)).map(|m| {
                view! { <p class="field-error" id=format!("pp-{name}-error")>{m}</p> }
            })
        }
    };
    view! {
        <section class="stack panel" aria-labelledby="pp-security">
            <h2 id="pp-security">"Password and sign-ins"</h2>
            {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| {
                view! { <p class="form-error" role="alert">{e.message()}</p> }
            })}
            {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <form class="stack" on:submit=change novalidate>
                <div class="field">
                    <label for="pp-current">"Current password"</label>
                    <input id="pp-current" type="password" autocomplete="current-password" bind:value=current/>
                    {field_error("current_password")}
                </div>
                <div class="field">
                    <label for="pp-new">"New password (10 characters or more)"</label>
                    <input id="pp-new" type="password" autocomplete="new-password" bind:value=new/>
                    {field_error("new_password")}
                </div>
                <p class="muted small">"You stay signed in here; other devices are signed out."</p>
                <button type="submit" class="button primary">"Change password"</button>
            </form>
            <button type="button" class="button" on:click=sign_out_elsewhere>"Sign out on other devices"</button>
        </section>
    }
}
