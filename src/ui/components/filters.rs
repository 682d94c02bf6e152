//! Filters kept in the address (so reload and Back keep them): the owner and team selects and
//! the text box that lists and the board share, and the hook that rewrites one parameter.

use crate::api::admin::team_options;
use crate::api::sales::staff_options;
use crate::domain::links::urlencode;
use crate::ui::components::shell::use_me;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

/// Sets one query parameter (an empty value removes it), dropping any cursor, and replaces
/// the address without scrolling.
pub fn use_param_setter() -> Callback<(&'static str, String)> {
    let params = use_query_map();
    let navigate = use_navigate();
    let location = use_location();
    Callback::new(move |(name, value): (&'static str, String)| {
        let mut pairs: Vec<(String, String)> = params.with_untracked(|p| {
            p.clone()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .filter(|(k, _)| k != name && k != "cursor")
                .collect()
        });
        if !value.is_empty() {
            pairs.push((name.to_string(), value));
        }
        let q = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let path = location.pathname.get_untracked();
        let target = if q.is_empty() {
            path
        } else {
            format!("{path}?{q}")
        };
        navigate(
            &target,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    })
}

/// Everyone / mine / a person, as `owner_id`.
#[component]
pub fn OwnerFilter(set_param: Callback<(&'static str, String)>) -> impl IntoView {
    let params = use_query_map();
    let me = use_me().map(|m| m.user.id.to_string()).unwrap_or_default();
    let staff = Resource::new(|| (), |_| staff_options());
    let owner = move || params.with(|p| p.get("owner_id")).unwrap_or_default();
    view! {
        <label class="sr-only" for="owner-filter">"Owner"</label>
        <Suspense fallback=|| ()>
            {move || Suspend::new({
                let me = me.clone();
                async move {
                    let people = staff.await.unwrap_or_default();
                    view! {
                        <select id="owner-filter" class="owner-filter" prop:value=owner
                            on:change=move |ev| set_param.run(("owner_id", event_target_value(&ev)))>
                            <option value="">"Everyone"</option>
                            <option value=me.clone()>"Mine"</option>
                            {people.into_iter().filter(|p| p.id.to_string() != me).map(|p| view! {
                                <option value=p.id.to_string()>{p.name}</option>
                            }).collect_view()}
                        </select>
                    }
                }
            })}
        </Suspense>
    }
}

/// All teams / one team, as `team_id`: shown once there are teams.
#[component]
pub fn TeamFilter(set_param: Callback<(&'static str, String)>) -> impl IntoView {
    let params = use_query_map();
    let teams = Resource::new(|| (), |_| team_options());
    let team = move || params.with(|p| p.get("team_id")).unwrap_or_default();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let teams = teams.await.unwrap_or_default();
                (!teams.is_empty()).then(|| view! {
                    <label class="sr-only" for="team-filter">"Team"</label>
                    <select id="team-filter" class="owner-filter" prop:value=team
                        on:change=move |ev| set_param.run(("team_id", event_target_value(&ev)))>
                        <option value="">"All teams"</option>
                        {teams.into_iter().map(|t| view! {
                            <option value=t.id.to_string()>{t.name}</option>
                        }).collect_view()}
                    </select>
                })
            })}
        </Suspense>
    }
}

/// A text filter, written to `q` a moment after typing stops.
#[component]
pub fn TextFilter(
    set_param: Callback<(&'static str, String)>,
    placeholder: &'static str,
) -> impl IntoView {
    let params = use_query_map();
    let text = RwSignal::new(params.with_untracked(|p| p.get("q")).unwrap_or_default());
    let typing = StoredValue::new(0u32);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        text.set(value.clone());
        typing.update_value(|n| *n += 1);
        let mine = typing.get_value();
        set_timeout(
            move || {
                if typing.get_value() == mine {
                    set_param.run(("q", value));
                }
            },
            std::time::Duration::from_millis(250),
        );
    };
    view! {
        <label class="sr-only" for="list-filter">"Filter"</label>
        <input id="list-filter" class="list-filter" type="search" placeholder=placeholder
            prop:value=move || text.get() on:input=on_input/>
    }
}
