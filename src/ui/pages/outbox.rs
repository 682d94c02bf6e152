//! Admin: the outbox. Every mail the CRM wrote and where it is — queued, being sent, sent
//! (with the mail server's reply) or failed (with its error) — a retry for a failed one, and
//! a test mail to check the mail server. Bodies are never shown (they may hold one-time links).

use crate::api::admin::{outbox_mails, retry_mail, send_test_mail};
use crate::domain::error::AppError;
use crate::domain::mail::{OutboxMail, STATES, TestMail};
use crate::domain::user::Area;
use crate::ui::components::form::field_problem;
use crate::ui::format::datetime;
use crate::ui::pages::status::area_denied;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn state_badge(state: &str) -> AnyView {
    let (class, label) = match state {
        "sent" => ("badge ok", "Sent"),
        "failed" => ("badge danger", "Failed"),
        "sending" => ("badge info", "Sending"),
        _ => ("badge warn", "Queued"),
    };
    view! { <span class=class>{label}</span> }.into_any()
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    let query = use_query_map();
    let only = move || {
        query
            .with(|q| q.get("state"))
            .filter(|s| !s.trim().is_empty())
    };
    let refresh = RwSignal::new(0u32);
    let outbox = Resource::new(move || (only(), refresh.get()), |(s, _)| outbox_mails(s));
    let reload = Callback::new(move |_: ()| refresh.update(|n| *n += 1));
    view! {
        <Title text="Outbox · Admin · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/admin">"Admin"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head"><h1>"Outbox"</h1></header>
        <p class="muted">"Every mail the CRM sends is written here in the same step as the change that causes it, then delivered; a mail the server refuses for now is tried again later."</p>
        // The form stays outside the list's Suspense: a refresh after sending must not reset it.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match outbox.await {
                    Ok(o) if o.sending => view! { <p class="muted">"Mail goes out through "<code>{o.server.unwrap_or_default()}</code>"."</p> }.into_any(),
                    Ok(_) => view! { <p class="notice warn">"No mail is sent: this server has no mail server ("<code>"CRM_SMTP_URL"</code>"). Mail waits here and goes out once one is set."</p> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
        <TestMailForm on_sent=reload/>
        <StateFilter/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match outbox.await {
                    Ok(o) if o.mails.is_empty() => view! { <p class="empty-state">"No mail here."</p> }.into_any(),
                    Ok(o) => view! { <MailTable mails=o.mails on_retried=reload/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn StateFilter() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || query.with(|q| q.get("state")).unwrap_or_default();
    view! {
        <form method="get" action="/admin/outbox" class="outbox-filter">
            <div class="field">
                <label for="outbox-state">"Show"</label>
                <select id="outbox-state" name="state">
                    <option value="" selected=move || chosen().is_empty()>"All mail"</option>
                    {STATES.iter().map(|s| view! { <option value=*s selected=move || chosen() == *s>{*s}</option> }).collect_view()}
                </select>
            </div>
            <div class="form-actions"><button type="submit" class="button">"Show"</button></div>
        </form>
    }
}

#[component]
fn MailTable(mails: Vec<OutboxMail>, on_retried: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    view! {
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
        <div class="table-wrap" tabindex="0" role="region" aria-label="Mails in the outbox"><table class="records outbox">
            <thead><tr>
                <th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"State"</th>
                <th scope="col">"Written"</th><th scope="col">"Delivery"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
            </tr></thead>
            <tbody>{mails.into_iter().map(|m| {
                let id = m.id;
                let delivery = match (m.state.as_str(), m.sent_at) {
                    ("sent", Some(at)) => format!("{} · {}", datetime(at), m.server_reply.clone().unwrap_or_default()),
                    ("failed", _) => m.last_error.clone().unwrap_or_default(),
                    _ => match &m.last_error {
                        Some(e) => format!("Next try {} · {e}", datetime(m.next_attempt_at)),
                        None => String::new(),
                    },
                };
                let retry = (m.state == "failed").then(|| {
                    let label = format!("Send the mail to {} again", m.to_address);
                    view! {
                        <button type="button" class="button small" aria-label=label on:click=move |_| {
                            leptos::task::spawn_local(async move {
                                match retry_mail(id).await {
                                    Ok(_) => { error.set(None); on_retried.run(()); }
                                    Err(e) => error.set(Some(e)),
                                }
                            });
                        }>"Send again"</button>
                    }
                });
                view! {
                    <tr>
                        <td>{m.to_address.clone()}<br/><span class="muted small">{m.purpose.replace('_', " ")}</span></td>
                        <td>{m.subject.clone()}</td>
                        <td>{state_badge(&m.state)}{(m.attempts > 1).then(|| view! { <span class="muted small">" "{m.attempts}" tries"</span> })}</td>
                        <td>{datetime(m.created_at)}</td>
                        <td class="small">{delivery}</td>
                        <td>{retry}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
}

#[component]
fn TestMailForm(on_sent: Callback<()>) -> impl IntoView {
    let to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TestMail {
            to: to.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match send_test_mail(input).await {
                Ok(m) => {
                    error.set(None);
                    done.set(Some(format!(
                        "A test mail to {} is in the outbox.",
                        m.to_address
                    )));
                    to.set(String::new());
                    on_sent.run(());
                }
                Err(e) => {
                    done.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    let problem = field_problem(error, "to");
    view! {
        <form class="panel test-mail" on:submit=submit novalidate aria-labelledby="test-mail-heading">
            <h2 id="test-mail-heading">"Send a test mail"</h2>
            <div class="field">
                <label for="test-mail-to">"To"</label>
                <input id="test-mail-to" type="email" autocomplete="email" prop:value=move || to.get()
                    on:input=move |ev| to.set(event_target_value(&ev))
                    aria-invalid=move || error.get().and_then(|e| e.field("to")).is_some().to_string()/>
                {problem}
            </div>
            <div class="form-actions"><button type="submit" class="button primary">"Send test mail"</button></div>
            {move || done.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        </form>
    }
}
