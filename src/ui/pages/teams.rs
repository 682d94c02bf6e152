//! Teams and who sees which records: the admin page. What each role sees and edits, and the
//! teams (name, manager, members) that "their teams' records" means.

use crate::api::admin::{
    delete_team, list_teams, record_visibility, save_record_visibility, save_team,
};
use crate::api::sales::staff_options;
use crate::domain::error::AppError;
use crate::domain::team::{Reach, ReachChange, Team, TeamInput, Visibility, VisibilityChange};
use crate::domain::user::{Area, UserOption};
use crate::ui::components::form::field_problem;
use crate::ui::pages::admin::problems;
use crate::ui::pages::status::area_denied;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

#[component]
pub fn TeamsPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    let refresh = RwSignal::new(0u32);
    let teams = Resource::new(move || refresh.get(), |_| list_teams());
    let staff = Resource::new(|| (), |_| staff_options());
    let visibility = Resource::new(|| (), |_| record_visibility());
    // The team being edited: `Some(None)` a new one.
    let editing = RwSignal::new(None::<Option<Team>>);
    let saved = Callback::new(move |_: ()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <Title text="Teams and visibility · Admin · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/admin">"Admin"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head"><h1>"Teams and visibility"</h1></header>
        <section class="stack" aria-labelledby="visibility-heading">
            <h2 id="visibility-heading">"Who sees which records"</h2>
            <p class="muted">"For leads, accounts, contacts, opportunities, activities, tasks and tickets, on every page, list, search, board, figure, export and the API. Admins always see and edit everything. A change applies from each person's next request."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match visibility.await {
                        Ok(v) => view! { <VisibilityForm current=v/> }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="stack" aria-labelledby="teams-heading">
            <div class="panel-head">
                <h2 id="teams-heading">"Teams"</h2>
                <button type="button" class="button" on:click=move |_| editing.set(Some(None))>"New team"</button>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (list, people) = (teams.await, staff.await);
                    match (list, people) {
                        (Ok(list), Ok(people)) => view! {
                            {move || editing.get().map(|team| view! {
                                <TeamEditor team=team people=people.clone() on_saved=saved on_cancel=Callback::new(move |_| editing.set(None))/>
                            })}
                            <TeamList teams=list editing=editing on_deleted=saved/>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn TeamList(
    teams: Vec<Team>,
    editing: RwSignal<Option<Option<Team>>>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    if teams.is_empty() {
        return view! { <p class="muted">"No teams yet. Until there are, “their teams' records” means a person's own."</p> }.into_any();
    }
    // The team whose deletion is being confirmed.
    let confirming = RwSignal::new(None::<Uuid>);
    let error = RwSignal::new(None::<AppError>);
    view! {
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
        <ul class="team-list">
            {teams.into_iter().map(|t| {
                let id = t.id;
                let name = t.name.clone();
                let members = if t.members.is_empty() {
                    "No members yet".to_string()
                } else {
                    t.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                };
                let manager = t.manager_name.clone().map_or_else(|| "No manager".to_string(), |m| format!("Manager: {m}"));
                let edit_team = t.clone();
                let remove = move |_| {
                    leptos::task::spawn_local(async move {
                        match delete_team(id).await {
                            Ok(()) => { error.set(None); on_deleted.run(()); }
                            Err(e) => error.set(Some(e)),
                        }
                    });
                };
                view! {
                    <li class="team-card" aria-label=name.clone()>
                        <h3>{t.name.clone()}</h3>
                        <p class="team-people"><span>{manager}</span><br/><span>{members}</span></p>
                        <div class="row-actions">
                            <button type="button" class="button small" aria-label=format!("Edit {name}")
                                on:click=move |_| editing.set(Some(Some(edit_team.clone())))>"Edit"</button>
                            {
                                let name = name.clone();
                                move || if confirming.get() == Some(id) {
                                    view! {
                                        <span class="row-actions" role="group" aria-label=format!("Delete {name}?")>
                                            <button type="button" class="button small danger" on:click=remove>{format!("Delete {name}")}</button>
                                            <button type="button" class="button small" on:click=move |_| confirming.set(None)>"Keep"</button>
                                        </span>
                                    }.into_any()
                                } else {
                                    view! {
                                        <button type="button" class="button small" aria-label=format!("Delete {name}")
                                            on:click=move |_| confirming.set(Some(id))>"Delete"</button>
                                    }.into_any()
                                }
                            }
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn TeamEditor(
    team: Option<Team>,
    people: Vec<UserOption>,
    on_saved: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let id = team.as_ref().map(|t| t.id);
    let name = RwSignal::new(team.as_ref().map(|t| t.name.clone()).unwrap_or_default());
    let manager = RwSignal::new(
        team.as_ref()
            .and_then(|t| t.manager_id)
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let members = RwSignal::new(
        team.as_ref()
            .map(|t| t.member_ids.clone())
            .unwrap_or_default(),
    );
    // Opening the editor takes the keyboard to its first field.
    let name_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = name_input.get() {
            let _ = input.focus();
        }
    });
    let error = RwSignal::new(None::<AppError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TeamInput {
            name: name.get_untracked(),
            manager_id: manager.get_untracked().parse().ok(),
            member_ids: members.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match save_team(id, input).await {
                Ok(_) => on_saved.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let problem = move |field: &'static str| field_problem(error, field);
    let heading = match &team {
        Some(t) => format!("Edit {}", t.name),
        None => "New team".to_string(),
    };
    let managers = people.clone();
    view! {
        <form class="panel stack" on:submit=submit novalidate aria-labelledby="team-editor-heading">
            <h3 id="team-editor-heading">{heading}</h3>
            {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            <div class="field">
                <label for="team-name">"Name"</label>
                <input id="team-name" node_ref=name_input required maxlength="80" bind:value=name/>
                {problem("name")}
            </div>
            <div class="field">
                <label for="team-manager">"Manager"</label>
                <select id="team-manager" on:change=move |ev| manager.set(event_target_value(&ev))>
                    <option value="" selected=move || manager.get().is_empty()>"No manager"</option>
                    {managers.into_iter().map(|p| {
                        let value = p.id.to_string();
                        let chosen = value.clone();
                        view! { <option value=value selected=move || manager.get() == chosen>{format!("{} ({})", p.name, p.role.label())}</option> }
                    }).collect_view()}
                </select>
                {problem("manager_id")}
            </div>
            <fieldset class="field">
                <legend>"Members"</legend>
                {people.into_iter().map(|p| {
                    let pid = p.id;
                    let box_id = format!("team-member-{pid}");
                    view! {
                        <label class="choice">
                            <input type="checkbox" id=box_id
                                prop:checked=move || members.with(|m| m.contains(&pid))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    members.update(|m| {
                                        m.retain(|x| *x != pid);
                                        if on { m.push(pid); }
                                    });
                                }/>
                            {format!("{} ({})", p.name, p.role.label())}
                        </label>
                    }
                }).collect_view()}
                {problem("member_ids")}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="button primary">"Save team"</button>
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn VisibilityForm(current: Visibility) -> impl IntoView {
    type Row = (
        crate::domain::user::Role,
        RwSignal<Reach>,
        RwSignal<Reach>,
        RwSignal<bool>,
    );
    let rows: Vec<Row> = current
        .into_iter()
        .map(|(role, r)| {
            (
                role,
                RwSignal::new(r.see),
                RwSignal::new(r.edit),
                RwSignal::new(r.money),
            )
        })
        .collect();
    let error = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let for_save = rows.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change: VisibilityChange = for_save
            .iter()
            .map(|(role, see, edit, money)| {
                (
                    *role,
                    ReachChange {
                        see: see.get_untracked(),
                        edit: edit.get_untracked(),
                        money: Some(money.get_untracked()),
                    },
                )
            })
            .collect();
        leptos::task::spawn_local(async move {
            match save_record_visibility(change).await {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => {
                    saved.set(false);
                    error.set(Some(e));
                }
            }
        });
    };
    // Each select is named by its role's legend and its own label ("Sales Sees").
    let choose = |id: String, legend: String, shown: &'static str, value: RwSignal<Reach>| {
        let label_id = format!("{id}-label");
        let named_by = format!("{legend} {label_id}");
        view! {
            <div class="field">
            <label id=label_id for=id.clone()>{shown}</label>
            <select id=id aria-labelledby=named_by on:change=move |ev| {
                if let Ok(r) = event_target_value(&ev).parse::<Reach>() {
                    value.set(r);
                    saved.set(false);
                }
            }>
                {Reach::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=move || value.get() == r>{r.label()}</option>
                }).collect_view()}
            </select>
            </div>
        }
    };
    view! {
        <form class="panel stack" on:submit=save novalidate>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{problems(&e)}</p> })}
            {move || saved.get().then(|| view! { <p class="notice" role="status">"Saved. Each person sees the change at their next request."</p> })}
            <div class="visibility-roles">
                {rows.into_iter().map(|(role, see, edit, money)| view! {
                    <fieldset class="visibility-role">
                        <legend id=format!("role-{}", role.as_str())>{role.label()}</legend>
                        {choose(format!("see-{}", role.as_str()), format!("role-{}", role.as_str()), "Sees", see)}
                        {choose(format!("edit-{}", role.as_str()), format!("role-{}", role.as_str()), "Edits", edit)}
                        <div class="field checkbox">
                            <label><input type="checkbox" name=format!("money-{}", role.as_str()) prop:checked=move || money.get()
                                on:change=move |ev| { money.set(event_target_checked(&ev)); saved.set(false); }/>
                                "Sees values and revenue"</label>
                        </div>
                    </fieldset>
                }).collect_view()}
            </div>
            <p class="muted">"A role edits at most what it sees, and only the kinds of record it may change at all: support edits tickets, not deals. A role that does not see values gets opportunity values, account revenue, totals and money metrics left out, and cannot set them."</p>
            <div class="form-actions"><button type="submit" class="button primary">"Save visibility"</button></div>
        </form>
    }
}
