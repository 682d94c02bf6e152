//! The HTML shell, the root component and the routes.

use crate::ui::components::shell::{
    AppShell, page_me_json, page_regional, page_regional_json, provide_page_me,
};
use crate::ui::pages::admin::{AdminPage, FormsPage, SlaPage};
use crate::ui::pages::audit::AuditPage;
use crate::ui::pages::auth::{
    AcceptInvitePage, ForgotPasswordPage, LoginPage, SetPasswordPage, SetupPage,
};
use crate::ui::pages::imports::{ImportPage, ImportsPage};
use crate::ui::pages::metrics::MetricsPage;
use crate::ui::pages::outbox::OutboxPage;
use crate::ui::pages::pipeline::PipelinePage;
use crate::ui::pages::portal::{PortalHome, PortalProfilePage, PortalShell, PortalTicketPage};
use crate::ui::pages::profile::ProfilePage;
use crate::ui::pages::stages::StagesPage;
use crate::ui::pages::status::NotFound;
use crate::ui::pages::tasks::TasksPage;
use crate::ui::pages::teams::TeamsPage;
use crate::ui::pages::tickets::{TicketPage, TicketsPage};
use crate::ui::pages::users::UsersPage;
use crate::ui::records::accounts::{AccountPage, AccountsPage};
use crate::ui::records::contacts::{ContactPage, ContactsPage};
use crate::ui::records::leads::{LeadPage, LeadsPage, NewLeadForm};
use crate::ui::records::opportunities::{OpportunitiesPage, OpportunityPage};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <meta name="crm-me" content=page_me_json()/>
                <meta name="crm-regional" content=page_regional_json()/>
                <BrowserZone/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" id="leptos" href=format!("/pkg/{}.css", options.output_name)/>
                {loads_wasm().then(|| view! {
                    <AutoReload options=options.clone()/>
                    <HydrationScripts options/>
                })}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Pages that are plain HTML forms, posted by the browser itself and answered by the server:
/// sent without the app's WASM, so a person signing in (or a customer accepting an invite)
/// downloads a few kilobytes, not the whole app.
pub const PLAIN_PAGES: [&str; 5] = [
    "/login",
    "/setup",
    "/set-password",
    "/portal/accept",
    "/forgot-password",
];

/// Whether this page load needs the app's WASM (server side; always in the browser).
fn loads_wasm() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .is_none_or(|p| !PLAIN_PAGES.contains(&p.uri.path()))
    }
    #[cfg(not(feature = "ssr"))]
    {
        true
    }
}

/// Tells the server the browser's time zone (a cookie), for people who have not chosen one
/// where the browser's applies (the portal). A few bytes, inline with this page's nonce, so it
/// works on pages that load no WASM.
const BROWSER_ZONE_SCRIPT: &str = "try{var z=encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone);if(z&&document.cookie.indexOf('crm_tz='+z)<0)document.cookie='crm_tz='+z+';path=/;max-age=31536000;samesite=lax'}catch(e){}";

#[component]
fn BrowserZone() -> impl IntoView {
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    view! {
        <script nonce=nonce inner_html=BROWSER_ZONE_SCRIPT></script>
    }
}

/// On the server: the page's Content-Security-Policy, allowing only the inline scripts that
/// carry this response's nonce.
fn send_page_csp() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(options)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy = crate::server::http::page_csp(&nonce.to_string());
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            options.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// What a page's title becomes. leptos_meta writes the server-rendered `<title>` into the
/// head as it is, unescaped, so record names (anyone can plant one through a public form)
/// are escaped here, once, for every page; in the browser the title is set as text.
fn title_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        crate::domain::links::escape_html(&text)
    }
    #[cfg(not(feature = "ssr"))]
    {
        text
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_page_me();
    crate::ui::format::provide_regional(page_regional());
    send_page_csp();
    view! {
        <Title text="CRM" formatter=title_text/>
        // A record's page names the record in its <title>: those routes render `Async`, so the
        // head is written after the record is read. Streaming (`InOrder`) sends the head with
        // the first chunk, and whether the title made it in depended on which finished first.
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::InOrder/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::InOrder/>
                <Route path=path!("/set-password") view=SetPasswordPage ssr=SsrMode::InOrder/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::InOrder/>
                <Route path=path!("/portal/accept") view=AcceptInvitePage ssr=SsrMode::InOrder/>
                <ParentRoute path=path!("/portal") view=PortalShell ssr=SsrMode::InOrder>
                    <Route path=path!("") view=PortalHome ssr=SsrMode::InOrder/>
                    <Route path=path!("tickets/:id") view=PortalTicketPage ssr=SsrMode::Async/>
                    <Route path=path!("profile") view=PortalProfilePage ssr=SsrMode::InOrder/>
                </ParentRoute>
                <ParentRoute path=path!("") view=|| view! { <AppShell new_lead_form=|| view! { <NewLeadForm/> }/> } ssr=SsrMode::InOrder>
                    <Route path=path!("pipeline") view=PipelinePage ssr=SsrMode::InOrder/>
                    <Route path=path!("pipeline/metrics") view=MetricsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("pipeline/stages") view=StagesPage ssr=SsrMode::InOrder/>
                    <Route path=path!("leads") view=LeadsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("leads/:id") view=LeadPage ssr=SsrMode::Async/>
                    <Route path=path!("opportunities") view=OpportunitiesPage ssr=SsrMode::InOrder/>
                    <Route path=path!("opportunities/:id") view=OpportunityPage ssr=SsrMode::Async/>
                    <Route path=path!("accounts") view=AccountsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("accounts/:id") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("contacts") view=ContactsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("contacts/:id") view=ContactPage ssr=SsrMode::Async/>
                    <Route path=path!("tasks") view=TasksPage ssr=SsrMode::InOrder/>
                    <Route path=path!("imports") view=ImportsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("imports/:id") view=ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets") view=TicketsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("tickets/:id") view=TicketPage ssr=SsrMode::Async/>
                    <Route path=path!("admin") view=AdminPage ssr=SsrMode::InOrder/>
                    <Route path=path!("admin/forms") view=FormsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("admin/sla") view=SlaPage ssr=SsrMode::InOrder/>
                    <Route path=path!("admin/users") view=UsersPage ssr=SsrMode::InOrder/>
                    <Route path=path!("admin/teams") view=TeamsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("admin/outbox") view=OutboxPage ssr=SsrMode::InOrder/>
                    <Route path=path!("admin/audit") view=AuditPage ssr=SsrMode::InOrder/>
                    <Route path=path!("account") view=ProfilePage ssr=SsrMode::InOrder/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
