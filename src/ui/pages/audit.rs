//! Admin: the audit log. Filters live in the address (so a filtered view can be linked to):
//! actor, subject, record, action or action family, and a date range; newest first, 100 at a
//! time. Field changes read old → new; each entry links to its record.

use crate::api::admin::{audit_entries, staff_users};
use crate::domain::admin::{AuditEntry, AuditFilter, action_label};
use crate::domain::user::Area;
use crate::ui::format::datetime;
use crate::ui::pages::status::area_denied;
use chrono::{NaiveDate, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The action families the filter offers; any exact action can be typed too.
const FAMILIES: [(&str, &str); 9] = [
    ("", "All actions"),
    ("auth.", "Sign-ins and sign-outs"),
    ("user.", "User changes"),
    ("impersonation.", "Viewing as someone"),
    ("session.", "Sessions ended"),
    ("api_token.", "API tokens"),
    ("lead.", "Leads"),
    ("opportunity.", "Opportunities"),
    ("ticket.", "Tickets"),
];

/// The start of a day typed in the filter (or of a day `later` after it), where the admin is.
fn day_start(raw: &str, later: u64) -> Option<chrono::DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()? + chrono::Days::new(later);
    Some(crate::ui::format::regional().day_start(d))
}

#[component]
pub fn AuditPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    let query = use_query_map();
    let param = move |k: &str| query.with(|q| q.get(k)).filter(|v| !v.trim().is_empty());
    let filter = move || AuditFilter {
        actor: param("actor").and_then(|v| v.parse().ok()),
        subject: param("subject").and_then(|v| v.parse().ok()),
        target_type: param("target_type"),
        target_id: param("target_id"),
        action: param("action"),
        from: param("from").as_deref().and_then(|d| day_start(d, 0)),
        // Up to the end of that day: the start of the next.
        to: param("to").as_deref().and_then(|d| day_start(d, 1)),
        before: param("before").and_then(|v| v.parse().ok()),
    };
    let page = Resource::new(filter, audit_entries);
    let users = Resource::new(|| (), |_| staff_users());
    let value = move |k: &'static str| param(k).unwrap_or_default();
    let next_href = move |before: i64| {
        let mut pairs: Vec<(String, String)> = query.with(|q| {
            [
                "actor",
                "subject",
                "target_type",
                "target_id",
                "action",
                "from",
                "to",
            ]
            .iter()
            .filter_map(|k| q.get(k).map(|v| (k.to_string(), v)))
            .collect()
        });
        pairs.push(("before".into(), before.to_string()));
        let qs = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", urlencode(&v)))
            .collect::<Vec<_>>()
            .join("&");
        format!("/admin/audit?{qs}")
    };
    view! {
        <Title text="Audit log · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/admin">"Admin"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head"><h1>"Audit log"</h1></header>
        <p class="muted">"Every change and sign-in, in order. The log is a hash chain: "<code>"crm audit verify"</code>" proves no entry was changed, removed or slipped in."</p>
        <form method="get" action="/admin/audit" class="panel filters audit-filters">
            <div class="field">
                <label for="audit-action">"Action"</label>
                <select id="audit-action" name="action">
                    {FAMILIES.iter().map(|(v, l)| view! { <option value=*v selected=value("action") == *v>{*l}</option> }).collect_view()}
                    {move || { let a = value("action"); (!a.is_empty() && !FAMILIES.iter().any(|(v, _)| *v == a)).then(|| view! { <option value=a.clone() selected=true>{a.clone()}</option> }) }}
                </select>
            </div>
            <div class="field">
                <label for="audit-actor">"Who acted"</label>
                <select id="audit-actor" name="actor">
                    <option value="">"Anyone"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let chosen = value("actor");
                            users.await.unwrap_or_default().into_iter().map(|u| {
                                let id = u.id.to_string();
                                let selected = id == chosen;
                                view! { <option value=id selected=selected>{u.name}</option> }
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </div>
            <div class="field">
                <label for="audit-type">"Record type"</label>
                <input id="audit-type" name="target_type" placeholder="lead, contact, user…" value=value("target_type")/>
            </div>
            <div class="field">
                <label for="audit-id">"Record id"</label>
                <input id="audit-id" name="target_id" value=value("target_id")/>
            </div>
            <div class="field">
                <label for="audit-from">"From"</label>
                <input id="audit-from" name="from" type="date" value=value("from")/>
            </div>
            <div class="field">
                <label for="audit-to">"To"</label>
                <input id="audit-to" name="to" type="date" value=value("to")/>
            </div>
            {move || param("subject").map(|s| view! { <input type="hidden" name="subject" value=s/> })}
            <div class="form-actions">
                <button type="submit" class="button primary">"Filter"</button>
                <a class="button subtle" href="/admin/audit">"Clear"</a>
            </div>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.entries.is_empty() => view! { <p class="empty-state">"No entries match."</p> }.into_any(),
                    Ok(p) => view! {
                        <ol class="audit-list">
                            {p.entries.into_iter().map(|e| view! { <Entry e=e/> }).collect_view()}
                        </ol>
                        {p.next_before.map(|b| view! { <p><a class="button" href=next_href(b)>"Older entries"</a></p> })}
                    }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Entry(e: AuditEntry) -> impl IntoView {
    let actor = match e.actor_id {
        Some(id) => {
            view! { <a href=format!("/admin/audit?actor={id}")>{e.actor.clone()}</a> }.into_any()
        }
        None => view! { <span>{e.actor.clone()}</span> }.into_any(),
    };
    let subject = e.subject_id.map(|id| {
        let name = e
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| id.to_string());
        view! { " as " <a class="subject" href=format!("/admin/audit?subject={id}")>{name}</a> }
    });
    // The target by name; the full id is there to copy, on hover and in the history link.
    let target = e.target_type.clone().map(|t| {
        let kind = t.replace('_', " ");
        let id = e.target_id.clone().unwrap_or_default();
        let label = match e.target_name.clone() {
            Some(name) => format!("{kind} {name}"),
            None if id.is_empty() => kind,
            None => format!("{kind} {id}"),
        };
        let history = format!("/admin/audit?target_type={}&target_id={}", urlencode(&t), urlencode(&id));
        let name = match e.target_link.clone() {
            Some(href) => view! { <a href=href title=id.clone()>{label}</a> }.into_any(),
            None => view! { <span title=id.clone()>{label}</span> }.into_any(),
        };
        view! { {name}" "<a class="small muted" href=history aria-label="Its history in the log">"(history)"</a> }
    });
    view! {
        <li class="audit-entry" class:impersonated=e.subject_id.is_some()>
            <div class="audit-head">
                <strong class="action-label">{action_label(&e.action)}</strong>
                {target.map(|t| view! { <span>" · "{t}</span> })}
                <span class="muted">" by "{actor}{subject}</span>
                <code class="action small muted">{e.action.clone()}</code>
                <time class="muted">{datetime(e.at)}</time>
            </div>
            {(!e.changes.is_empty()).then(|| view! {
                <ul class="changes">
                    {e.changes.iter().map(|c| view! {
                        <li><span class="field-name">{c.field.replace('_', " ")}</span>": "<del>{c.old.clone()}</del>" → "<ins>{c.new.clone()}</ins></li>
                    }).collect_view()}
                </ul>
            })}
            {(!e.facts.is_empty()).then(|| view! {
                <dl class="facts">
                    {e.facts.iter().map(|f| view! { <div><dt>{f.name.clone()}</dt><dd>{f.value.clone()}</dd></div> }).collect_view()}
                </dl>
            })}
            {e.ip.clone().filter(|ip| !ip.is_empty()).map(|ip| view! { <p class="muted small">"from "{ip}</p> })}
        </li>
    }
}
