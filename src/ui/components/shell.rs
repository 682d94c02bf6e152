//! The frame around every staff page: navigation for what the role may open, who is signed
//! in, and sign-out.

use super::editing::Modal;
use super::impersonation::ImpersonationBanner;
#[cfg(feature = "hydrate")]
use super::search::SEARCH_INPUT_ID;
use super::search::{CommandPalette, GlobalSearch, ShortcutsHelp};
use crate::domain::user::{Area, Capabilities, Me};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

/// Whether the "new lead" dialog is open (`N` anywhere in the app opens it).
#[derive(Clone, Copy)]
pub struct NewLeadDialog(pub RwSignal<bool>);

pub fn use_new_lead() -> RwSignal<bool> {
    use_context::<NewLeadDialog>()
        .map(|d| d.0)
        .unwrap_or_else(|| RwSignal::new(false))
}

/// The dialogs the keyboard opens from anywhere in the app.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Dialogs {
    new_lead: RwSignal<bool>,
    palette: RwSignal<bool>,
    shortcuts: RwSignal<bool>,
}

/// Ctrl/⌘-K opens the palette (even while typing); `N` opens "new lead", `/` focuses search,
/// `?` lists the shortcuts, unless the person is typing somewhere.
fn keyboard_shortcuts(dialogs: Dialogs, may_create_leads: bool) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Dialogs {
            new_lead,
            palette,
            shortcuts,
        } = dialogs;
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if (ev.ctrl_key() || ev.meta_key())
                && !ev.alt_key()
                && ev.key().eq_ignore_ascii_case("k")
            {
                ev.prevent_default();
                shortcuts.set(false);
                palette.set(true);
                return;
            }
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() {
                return;
            }
            let document = document();
            let typing = document.active_element().is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el
                        .get_attribute("contenteditable")
                        .is_some_and(|v| v != "false")
            });
            let dialog_open = document
                .query_selector("dialog[open]")
                .ok()
                .flatten()
                .is_some();
            if typing || dialog_open {
                return;
            }
            match ev.key().as_str() {
                "n" | "N" if may_create_leads => {
                    ev.prevent_default();
                    new_lead.set(true);
                }
                "?" => {
                    ev.prevent_default();
                    shortcuts.set(true);
                }
                "/" => {
                    if let Some(input) = document
                        .get_element_by_id(SEARCH_INPUT_ID)
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        ev.prevent_default();
                        let _ = input.focus();
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (dialogs, may_create_leads);
}

/// The signed-in person of this page load, known before anything renders: on the server from
/// the request, in the browser from the `crm-me` meta tag the server wrote into the head. No
/// Suspense wraps the pages for it, so each page is built once on the server and its resources
/// get the same hydration ids there and in the browser.
pub fn page_me() -> Option<Me> {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<crate::server::principal::Principal>()
                .and_then(crate::server::policy::me)
        })
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .query_selector("meta[name=crm-me]")
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .and_then(|json| serde_json::from_str(&json).ok())
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

/// The reader's time zone and locale for this page load: on the server from the request, in
/// the browser from the `crm-regional` meta tag (read the same way as [`page_me`]).
pub fn page_regional() -> crate::domain::regional::Regional {
    #[cfg(feature = "ssr")]
    {
        let reader = use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::server::regional::Reader>()
                    .copied()
            })
            .unwrap_or_default();
        crate::server::regional::regional(reader, chrono::Utc::now())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .query_selector("meta[name=crm-regional]")
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Default::default()
    }
}

/// What the `crm-regional` meta tag carries (server side).
pub fn page_regional_json() -> String {
    serde_json::to_string(&page_regional()).unwrap_or_default()
}

/// What the `crm-me` meta tag carries (server side): the signed-in person as JSON.
pub fn page_me_json() -> String {
    page_me()
        .and_then(|me| serde_json::to_string(&me).ok())
        .unwrap_or_default()
}

#[derive(Clone)]
struct PageMe(Option<Me>);

/// Makes the signed-in person available to every page (called once, by the root).
pub fn provide_page_me() {
    provide_context(PageMe(page_me()));
}

/// The staff frame. `new_lead_form` is what the "new lead" dialog holds: the records layer
/// supplies it (see `app.rs`), so this component depends on no record kind.
#[component]
pub fn AppShell(#[prop(into)] new_lead_form: ViewFn) -> impl IntoView {
    match use_me() {
        Some(me) => view! { <Frame me=me new_lead_form=new_lead_form/> }.into_any(),
        None => view! { <SignedOut/> }.into_any(),
    }
}

#[component]
fn SignedOut() -> impl IntoView {
    view! {
        <main class="auth-page" id="main">
            <section class="auth-card">
                <h1>"Your session has ended"</h1>
                <p><a class="button primary" href="/login">"Sign in again"</a></p>
            </section>
        </main>
    }
}

#[component]
fn Frame(me: Me, new_lead_form: ViewFn) -> impl IntoView {
    let role = me.user.role;
    let areas: Vec<Area> = me.can.areas.clone();
    let new_lead = RwSignal::new(false);
    provide_context(NewLeadDialog(new_lead));
    let may_create_leads = me.can.may_create("lead");
    let palette = RwSignal::new(false);
    let shortcuts = RwSignal::new(false);
    keyboard_shortcuts(
        Dialogs {
            new_lead,
            palette,
            shortcuts,
        },
        may_create_leads,
    );
    let banner = me.clone();
    view! {
        <crate::ui::components::editing::SkipLink/>
        <ImpersonationBanner me=banner/>
        <header class="topbar">
            <a class="brand" href=role.home() aria-label="CRM home">"CRM"</a>
            <nav class="mainnav" aria-label="Main">
                <ul>
                    {areas.into_iter().map(|a| view! {
                        <li><A href=a.path()>{a.label()}</A></li>
                    }).collect_view()}
                </ul>
            </nav>
            <GlobalSearch/>
            <div class="who">
                <a class="who-name" href="/account" title="Your account">{me.user.name.clone()}</a>
                <a class="role-badge" href="/account" title=format!("{} · your account", me.user.name)>{role.label()}</a>
                <button type="button" class="button subtle shortcuts-button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)"
                    on:click=move |_| shortcuts.set(true)>"?"</button>
                <form method="post" action="/api/auth/logout" class="inline">
                    <button type="submit" class="button subtle">"Sign out"</button>
                </form>
            </div>
        </header>
        <main class="page" id="main" tabindex="-1">
            <Outlet/>
        </main>
        {may_create_leads.then(|| view! { <Modal open=new_lead title="New lead">{new_lead_form.run()}</Modal> })}
        <CommandPalette open=palette can=me.can.clone()/>
        <ShortcutsHelp open=shortcuts/>
    }
}

/// The signed-in person, for pages inside the frame.
pub fn use_me() -> Option<Me> {
    use_context::<PageMe>().and_then(|m| m.0)
}

/// What the signed-in person may do (nothing when signed out), as the server's policy said.
pub fn use_can() -> Capabilities {
    use_me().map(|m| m.can).unwrap_or_default()
}
