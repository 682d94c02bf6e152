//! Areas whose pages arrive with later issues, and the not-found page.

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

/// An area that is part of the product's plan but not built yet: says so plainly.
#[component]
pub fn ComingArea(area: Area, #[prop(into)] what: String) -> impl IntoView {
    let allowed = use_me().is_some_and(|me| area.open_to(me.user.role));
    if !allowed {
        set_status(403);
        return view! {
            <Title text=format!("{} · CRM", area.label())/>
            <section class="empty-state">
                <h1>{area.label()}</h1>
                <p>"Your role does not give access to this page."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <Title text=format!("{} · CRM", area.label())/>
        <section class="empty-state">
            <h1>{area.label()}</h1>
            <p>{what}</p>
        </section>
    }
    .into_any()
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
