//! The frame around every staff page: navigation for what the role may open, who is signed
//! in, and sign-out.

use crate::api::auth::current_user;
use crate::domain::error::AppError;
use crate::domain::user::{Area, Me};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

#[component]
pub fn AppShell() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me) => view! { <Frame me=me/> }.into_any(),
                    Err(AppError::Unauthorized { .. }) => view! { <SignedOut/> }.into_any(),
                    Err(e) => view! { <main class="page"><p class="form-error">{e.message()}</p></main> }.into_any(),
                }
            })}
        </Suspense>
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
fn Frame(me: Me) -> impl IntoView {
    let role = me.user.role;
    provide_context(me.clone());
    let areas: Vec<Area> = Area::ALL.into_iter().filter(|a| a.open_to(role)).collect();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/pipeline" aria-label="CRM home">"CRM"</a>
            <nav class="mainnav" aria-label="Main">
                <ul>
                    {areas.into_iter().map(|a| view! {
                        <li><A href=a.path()>{a.label()}</A></li>
                    }).collect_view()}
                </ul>
            </nav>
            <div class="who">
                <span class="who-name">{me.user.name.clone()}</span>
                <span class="role-badge" title=me.user.name.clone()>{role.label()}</span>
                <form method="post" action="/api/auth/logout" class="inline">
                    <button type="submit" class="button subtle">"Sign out"</button>
                </form>
            </div>
        </header>
        <main class="page" id="main" tabindex="-1">
            <Outlet/>
        </main>
    }
}

/// The signed-in person, for pages inside the frame.
pub fn use_me() -> Option<Me> {
    use_context::<Me>()
}
