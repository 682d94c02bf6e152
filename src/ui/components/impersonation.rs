//! Viewing as someone else: the banner every page shows while an admin does (it cannot be
//! dismissed), and the dialog that starts a viewing.

use super::editing::Modal;
use crate::api::admin::start_impersonation;
use crate::domain::admin::ImpersonationRequest;
use crate::domain::error::AppError;
use crate::domain::user::Me;
use crate::ui::components::form::field_problem;
use leptos::prelude::*;

/// Shown on every staff and portal page while an admin views as someone: who, as whom, when
/// it ends (and, once the page runs, the minutes left), and Stop.
#[component]
pub fn ImpersonationBanner(me: Me) -> impl IntoView {
    let Some(admin) = me.impersonator.clone() else {
        return ().into_any();
    };
    let ends_at = me.impersonation_ends_at;
    let left = RwSignal::new(None::<i64>);
    // After hydration (an effect), so the server's markup and the browser's first render agree.
    #[cfg(feature = "hydrate")]
    if let Some(ends_at) = ends_at {
        Effect::new(move |_| {
            let tick = move || {
                let secs = (ends_at - chrono::Utc::now()).num_seconds();
                if secs <= 0 {
                    // The server ends the viewing on the next request; load it as the admin.
                    let _ = window().location().reload();
                }
                left.set(Some((secs + 59) / 60));
            };
            tick();
            if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(15)) {
                on_cleanup(move || handle.clear());
            }
        });
    }
    let until = ends_at.map(crate::ui::format::time);
    view! {
        <div class="imp-banner" role="region" aria-label="Viewing as someone else">
            <p>
                <strong>{format!("Viewing as {} ({})", me.user.name, me.user.role.label().to_lowercase())}</strong>
                {format!(" — you are {}.", admin.name)}
                {until.map(|u| format!(" Ends at {u}"))}
                {move || left.get().map(|m| format!(" · {m} min left"))}
            </p>
            <form method="post" action="/api/admin/impersonation/stop" class="inline">
                <button type="submit" class="button">"Stop viewing"</button>
            </form>
        </div>
    }
    .into_any()
}

/// A button that opens the "view as" dialog for one user, contact or company.
#[component]
pub fn ViewAsButton(
    /// The ids of whom to view as (exactly one set); reason and password are asked for.
    target: ImpersonationRequest,
    /// Whom, in words, for the button and the dialog.
    #[prop(into)]
    who: String,
    #[prop(into, optional)] label: Option<String>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let title = format!("View as {who}");
    let target = StoredValue::new(target);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = ImpersonationRequest {
            reason: reason.get_untracked(),
            password: password.get_untracked(),
            ..target.get_value()
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match start_impersonation(request).await {
                Ok(started) => {
                    #[cfg(feature = "hydrate")]
                    let _ = window().location().assign(&started.home);
                    #[cfg(not(feature = "hydrate"))]
                    let _ = started;
                }
                Err(e) => {
                    busy.set(false);
                    password.set(String::new());
                    error.set(Some(e));
                }
            }
        });
    };
    let problem = move |field: &'static str| field_problem(error, field);
    let general = move || {
        error
            .get()
            .filter(|e| e.field("reason").is_none() && e.field("password").is_none())
            .map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })
    };
    view! {
        <button type="button" class="button subtle" on:click=move |_| { error.set(None); open.set(true) }>
            {label.unwrap_or_else(|| "View as".into())}
        </button>
        <Modal open=open title=title>
            <form class="stack" on:submit=submit novalidate>
                <p class="muted">"You will see exactly what they see for up to 30 minutes. Their security settings, exports and user management stay closed. The viewing, its reason and everything you change are on the record."</p>
                {general}
                <div class="field">
                    <label for="view-as-reason">"Reason"</label>
                    <textarea id="view-as-reason" rows="2" required bind:value=reason placeholder="e.g. Ticket #1042: their board shows no deals"></textarea>
                    {problem("reason")}
                </div>
                <div class="field">
                    <label for="view-as-password">"Your password"</label>
                    <input id="view-as-password" type="password" autocomplete="current-password" required bind:value=password/>
                    {problem("password")}
                </div>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || busy.get()>"Start viewing"</button>
                </div>
            </form>
        </Modal>
    }
}
