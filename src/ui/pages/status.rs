//! Pages that answer with an HTTP status instead of content: 403 for an area a role may not
//! open, 404 for an address that is not a page; and setting the status of the page rendered.

use crate::domain::user::Area;
use crate::ui::components::shell::use_me;
use leptos::prelude::*;
use leptos_meta::Title;

/// Sets the HTTP status of the page being rendered on the server.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(code) {
            options.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// The page for a signed-in person whose role does not open `area` (with a 403 status), or
/// nothing when it does. The server's policy refuses their data either way; this says so
/// plainly instead of showing an empty page.
pub fn area_denied(area: Area) -> Option<AnyView> {
    let allowed = use_me().is_some_and(|me| me.can.areas.contains(&area));
    if allowed {
        return None;
    }
    set_status(403);
    Some(
        view! {
            <Title text=format!("{} · CRM", area.label())/>
            <section class="empty-state">
                <h1>{area.label()}</h1>
                <p>"Your role does not give access to this page."</p>
            </section>
        }
        .into_any(),
    )
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · CRM"/>
        <main class="auth-page" id="main">
            <section class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"The address may be mistyped, or the record no longer exists."</p>
                <p><a href="/">"Go to the start page"</a></p>
            </section>
        </main>
    }
}
