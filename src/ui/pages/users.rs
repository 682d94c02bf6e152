//! Admin: staff users. Create (with a one-time set-password link, mailed or handed over),
//! change role, deactivate or reactivate, end sessions, issue a password link, and view the
//! CRM as them.
//! The buttons follow the same rules the server enforces in the policy module.

use crate::api::admin::{
    create_staff_user, end_staff_sessions, password_reset_link, staff_users, update_staff_user,
};
use crate::domain::admin::{ImpersonationRequest, NewUserInput, UserLink, UserUpdate};
use crate::domain::error::AppError;
use crate::domain::user::{Area, Role};
use crate::ui::components::editing::Modal;
use crate::ui::components::form::field_problem;
use crate::ui::components::impersonation::ViewAsButton;
use crate::ui::components::shell::{use_can, use_me};
use crate::ui::format::datetime;
use crate::ui::pages::status::area_denied;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

#[component]
pub fn UsersPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    if use_me().is_none() {
        return ().into_any();
    }
    let refresh = RwSignal::new(0);
    let list = Resource::new(move || refresh.get(), |_| staff_users());
    let error = RwSignal::new(None::<String>);
    // Whose set-password link was just made, and where it went.
    let link = RwSignal::new(None::<(String, UserLink)>);
    let creating = RwSignal::new(false);

    let done = move |r: Result<(), AppError>| match r {
        Ok(()) => {
            error.set(None);
            refresh.update(|n| *n += 1);
        }
        Err(e) => error.set(Some(e.summary())),
    };
    let change = move |id: Uuid, update: UserUpdate| {
        leptos::task::spawn_local(async move {
            done(update_staff_user(id, update).await.map(|_| ()));
        });
    };
    // A role change or a deactivation is asked about first, saying what it does: one stray
    // click must not lock a colleague out.
    let pending = RwSignal::new(None::<(Uuid, UserUpdate, String)>);
    let confirm_open = RwSignal::new(false);
    let ask = move |id: Uuid, update: UserUpdate, question: String| {
        pending.set(Some((id, update, question)));
        confirm_open.set(true);
    };
    Effect::new(move |was_open: Option<bool>| {
        let open = confirm_open.get();
        // Closed without confirming: the role select goes back to what is saved.
        if was_open == Some(true) && !open && pending.get_untracked().is_some() {
            pending.set(None);
            refresh.update(|n| *n += 1);
        }
        open
    });

    view! {
        <Title text="Users · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/admin">"Admin"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head">
            <h1>"Users"</h1>
            <button type="button" class="button primary" on:click=move |_| creating.set(true)>"New user"</button>
        </header>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || link.get().map(|(who, made)| match (made.link, made.mailed_to) {
            (Some(url), _) => view! {
                <div class="panel notice-panel" role="status">
                    <label for="user-link">{format!("One-time link for {who} (valid 72 hours; this CRM sends no mail, so hand it to them):")}</label>
                    <input id="user-link" readonly value=url/>
                </div>
            }.into_any(),
            (None, Some(to)) => view! {
                <div class="panel notice-panel" role="status">
                    <p>{format!("A one-time link to choose a password (valid 72 hours) is on its way to {who} at {to}.")}</p>
                </div>
            }.into_any(),
            (None, None) => ().into_any(),
        })}
        <Modal open=confirm_open title="Please confirm">
            <p>{move || pending.with(|p| p.as_ref().map(|(_, _, q)| q.clone()).unwrap_or_default())}</p>
            <div class="form-actions">
                <button type="button" class="button primary" on:click=move |_| {
                    if let Some((id, update, _)) = pending.get_untracked() {
                        pending.set(None);
                        confirm_open.set(false);
                        change(id, update);
                    }
                }>"Confirm"</button>
                <button type="button" class="button" on:click=move |_| confirm_open.set(false)>"Cancel"</button>
            </div>
        </Modal>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(users) => view! {
                        <div class="table-wrap"><table class="records users">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                                <th scope="col">"Last sign-in"</th><th scope="col">"Sessions"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {users.into_iter().map(|u| {
                                    let may = u.may.clone();
                                    let id = u.id;
                                    let name = u.name.clone();
                                    let status = match (u.active, u.has_password) {
                                        (false, _) => view! { <span class="badge muted">"Deactivated"</span> }.into_any(),
                                        (true, false) => view! { <span class="badge info">"Invited"</span> }.into_any(),
                                        (true, true) => view! { <span class="badge ok">"Active"</span> }.into_any(),
                                    };
                                    let role_cell = if may.roles.is_empty() {
                                        view! { <span>{u.role.label()}</span> }.into_any()
                                    } else {
                                        let select_id = format!("role-{id}");
                                        let current = u.role;
                                        view! {
                                            <label class="sr-only" for=select_id.clone()>{format!("Role of {}", u.name)}</label>
                                            <select id=select_id on:change={
                                                let who = u.name.clone();
                                                move |ev| {
                                                    if let Ok(role) = event_target_value(&ev).parse::<Role>() {
                                                        ask(id, UserUpdate { role: Some(role), ..Default::default() },
                                                            format!("Make {who} {}? What they may see and do changes at their next request.", role.label()));
                                                    }
                                                }
                                            }>
                                                {may.roles.iter().map(|r| view! {
                                                    <option value=r.as_str() selected=*r == current>{r.label()}</option>
                                                }).collect_view()}
                                            </select>
                                        }.into_any()
                                    };
                                    let for_link = name.clone();
                                    let reset = move |_| {
                                        let who = for_link.clone();
                                        leptos::task::spawn_local(async move {
                                            match password_reset_link(id).await {
                                                Ok(l) => { link.set(Some((who, l))); error.set(None); }
                                                Err(e) => error.set(Some(e.summary())),
                                            }
                                        });
                                    };
                                    let end_sessions = move |_| {
                                        leptos::task::spawn_local(async move {
                                            done(end_staff_sessions(id).await.map(|_| ()));
                                        });
                                    };
                                    let active = u.active;
                                    view! {
                                        <tr class:inactive=!u.active>
                                            <td><strong>{u.name.clone()}</strong><br/><span class="muted">{u.email.clone()}</span></td>
                                            <td>{role_cell}</td>
                                            <td>{status}</td>
                                            <td>{u.last_login_at.map(|t| view! { <time>{datetime(t)}</time> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"Never"</span> }.into_any())}</td>
                                            <td>{u.open_sessions}</td>
                                            <td><div class="cell-actions">
                                                {may.access.then(|| view! {
                                                    <button type="button" class="button subtle" on:click={
                                                        let who = u.name.clone();
                                                        move |_| {
                                                            let update = UserUpdate { active: Some(!active), ..Default::default() };
                                                            if active {
                                                                ask(id, update, format!("Deactivate {who}? Their sessions end at once and their API tokens are revoked for good."));
                                                            } else {
                                                                change(id, update);
                                                            }
                                                        }
                                                    }>
                                                        {if active { "Deactivate" } else { "Reactivate" }}
                                                    </button>
                                                    {(active && u.open_sessions > 0).then(|| view! { <button type="button" class="button subtle" on:click=end_sessions>"End sessions"</button> })}
                                                    {active.then(|| view! { <button type="button" class="button subtle" on:click=reset>"Password link"</button> })}
                                                })}
                                                {may.view_as.then(|| view! {
                                                    <ViewAsButton target=ImpersonationRequest { user_id: Some(id), ..Default::default() } who=name.clone()/>
                                                })}
                                            </div></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <Modal open=creating title="New user">
            <NewUserForm on_created=Callback::new(move |(who, made): (String, UserLink)| {
                creating.set(false);
                link.set(Some((who, made)));
                refresh.update(|n| *n += 1);
            })/>
        </Modal>
    }
    .into_any()
}

#[component]
fn NewUserForm(on_created: Callback<(String, UserLink)>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("sales".to_string());
    let error = RwSignal::new(None::<AppError>);
    let roles: Vec<Role> = use_can().grant;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewUserInput {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role: role.get_untracked().parse().ok(),
        };
        let who = input.name.clone();
        leptos::task::spawn_local(async move {
            match create_staff_user(input).await {
                Ok(created) => on_created.run((who, created)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let problem = move |field: &'static str| field_problem(error, field);
    view! {
        <form class="stack" on:submit=submit novalidate>
            {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            <div class="field">
                <label for="new-user-name">"Name"</label>
                <input id="new-user-name" required bind:value=name/>
                {problem("name")}
            </div>
            <div class="field">
                <label for="new-user-email">"Email"</label>
                <input id="new-user-email" type="email" required bind:value=email/>
                {problem("email")}
            </div>
            <div class="field">
                <label for="new-user-role">"Role"</label>
                <select id="new-user-role" on:change=move |ev| role.set(event_target_value(&ev))>
                    {roles.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Sales>{r.label()}</option> }).collect_view()}
                </select>
                {problem("role")}
            </div>
            <p class="muted">"They choose their own password through a one-time link: mailed to them, or for you to hand over when this CRM sends no mail."</p>
            <div class="form-actions"><button type="submit" class="button primary">"Create user"</button></div>
        </form>
    }
}
