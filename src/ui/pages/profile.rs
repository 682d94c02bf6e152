//! "Your account": the signed-in staff user's name, time zone and formats, password, open sessions (end any), API tokens
//! (create, shown once; revoke), and the record of admins who viewed the CRM as them.

use crate::api::admin::{
    change_my_password, create_my_token, end_my_other_sessions, end_my_session, my_account,
    revoke_my_token, update_my_profile,
};
use crate::domain::admin::{AccountOverview, PasswordChange, ProfileChange};
use crate::domain::error::AppError;
use crate::domain::regional::{Locale, RegionalOptions};
use crate::ui::format::datetime;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let refresh = RwSignal::new(0);
    let overview = Resource::new(move || refresh.get(), |_| my_account());
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let after = move |r: Result<String, AppError>| match r {
        Ok(text) => {
            error.set(None);
            notice.set(Some(text));
            refresh.update(|n| *n += 1);
        }
        Err(e) => {
            notice.set(None);
            error.set(Some(e.summary()));
        }
    };
    view! {
        <Title text="Your account · CRM"/>
        <header class="page-head"><h1>"Your account"</h1></header>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <Overview o=o after=Callback::new(after)/> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(o: AccountOverview, after: Callback<Result<String, AppError>>) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let fresh_token = RwSignal::new(None::<String>);
    let revoke_tokens = RwSignal::new(false);
    let change_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
            revoke_tokens: revoke_tokens.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let r = change_my_password(input).await;
            // After an error the fields keep what was typed, so one slip is fixed in place.
            if r.is_ok() {
                current.set(String::new());
                new.set(String::new());
                revoke_tokens.set(false);
            }
            after.run(r.map(|c| {
                let mut done = vec!["Password changed.".to_string()];
                if c.ended > 0 {
                    done.push(format!("{} other session(s) ended.", c.ended));
                }
                if c.tokens_revoked > 0 {
                    done.push(format!("{} API token(s) revoked.", c.tokens_revoked));
                }
                done.join(" ")
            }));
        });
    };
    let create_token = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = label.get_untracked();
        leptos::task::spawn_local(async move {
            let r = create_my_token(l).await;
            if let Ok(t) = &r {
                fresh_token.set(Some(t.token.clone()));
                label.set(String::new());
            }
            after.run(r.map(|_| "Token created. Copy it now: it is not shown again.".to_string()));
        });
    };
    let end_others = move |_| {
        leptos::task::spawn_local(async move {
            after.run(
                end_my_other_sessions()
                    .await
                    .map(|n| format!("{n} other session(s) ended.")),
            );
        });
    };
    let others = o.sessions.iter().filter(|s| !s.current).count();
    view! {
        <div class="account-grid">
            <Profile
                name=o.me.name.clone()
                time_zone=o.regional.time_zone.clone().unwrap_or_default()
                locale=o.regional.locale.clone().unwrap_or_default()
                options=o.options.clone()
            />
            <section class="panel" aria-labelledby="me-title">
                <h2 id="me-title">"Sign-in"</h2>
                <dl class="facts"><dt>"Email"</dt><dd>{o.me.email.clone()}</dd><dt>"Role"</dt><dd>{o.me.role.label()}</dd></dl>
                <form class="stack" on:submit=change_password novalidate>
                    <h3>"Change password"</h3>
                    <div class="field">
                        <label for="pw-current">"Current password"</label>
                        <input id="pw-current" type="password" autocomplete="current-password" bind:value=current/>
                    </div>
                    <div class="field">
                        <label for="pw-new">"New password (10 characters or more)"</label>
                        <input id="pw-new" type="password" autocomplete="new-password" bind:value=new/>
                    </div>
                    <div class="field checkbox">
                        <label><input type="checkbox" bind:checked=revoke_tokens/>
                            "Also revoke all my API tokens (scripts using them stop working)"</label>
                    </div>
                    <p class="muted small">"Your other sessions end when the password changes."</p>
                    <div class="form-actions"><button type="submit" class="button primary">"Change password"</button></div>
                </form>
            </section>

            <section class="panel" aria-labelledby="sessions-title">
                <h2 id="sessions-title">"Where you are signed in"</h2>
                <ul class="session-list">
                    {o.sessions.into_iter().map(|s| {
                        let id = s.id;
                        view! {
                            <li>
                                <div>
                                    <strong>{s.device.clone()}</strong>
                                    {s.current.then(|| view! { " " <span class="badge ok">"This session"</span> })}
                                    <br/>
                                    <span class="muted small">{format!("{} · since {} · last seen {}", s.ip.clone().unwrap_or_else(|| "unknown address".into()), datetime(s.started_at), datetime(s.last_seen_at))}</span>
                                </div>
                                {(!s.current).then(|| view! {
                                    <button type="button" class="button subtle" on:click=move |_| {
                                        leptos::task::spawn_local(async move {
                                            after.run(end_my_session(id).await.map(|_| "Session ended.".to_string()));
                                        });
                                    }>"End"</button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {(others > 0).then(|| view! { <button type="button" class="button" on:click=end_others>"End all other sessions"</button> })}
            </section>

            <section class="panel" aria-labelledby="tokens-title">
                <h2 id="tokens-title">"API tokens"</h2>
                <p class="muted small">"For scripts and integrations: send "<code>"Authorization: Bearer <token>"</code>". A token acts as you."</p>
                {move || fresh_token.get().map(|t| view! {
                    <div class="field">
                        <label for="fresh-token">"Your new token (copy it now)"</label>
                        <input id="fresh-token" readonly value=t/>
                    </div>
                })}
                {if o.tokens.is_empty() {
                    view! { <p class="muted">"No tokens."</p> }.into_any()
                } else {
                    view! {
                        <ul class="session-list">
                            {o.tokens.into_iter().map(|t| {
                                let id = t.id;
                                view! {
                                    <li>
                                        <div>
                                            <strong>{t.label.clone()}</strong><br/>
                                            <span class="muted small">{format!("created {} · {}", datetime(t.created_at), t.last_used_at.map(|u| format!("last used {}", datetime(u))).unwrap_or_else(|| "never used".into()))}</span>
                                        </div>
                                        <button type="button" class="button subtle" on:click=move |_| {
                                            leptos::task::spawn_local(async move {
                                                after.run(revoke_my_token(id).await.map(|_| "Token revoked.".to_string()));
                                            });
                                        }>"Revoke"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <form class="inline-form" on:submit=create_token novalidate>
                    <label for="token-label">"New token for"</label>
                    <input id="token-label" placeholder="e.g. nightly export script" bind:value=label/>
                    <button type="submit" class="button">"Create token"</button>
                </form>
            </section>

            <section class="panel" aria-labelledby="viewed-title">
                <h2 id="viewed-title">"Viewed as you"</h2>
                {if o.viewings.is_empty() {
                    view! { <p class="muted">"No admin has viewed the CRM as you."</p> }.into_any()
                } else {
                    view! {
                        <ul class="viewings">
                            {o.viewings.into_iter().map(|v| view! {
                                <li>
                                    <strong>{v.admin_name}</strong>
                                    {format!(" viewed the CRM as you on {}", datetime(v.started_at))}
                                    {v.ended_at.map(|e| format!(" (until {})", crate::ui::format::time(e)))}
                                    <br/><span class="muted">"Reason: "{v.reason}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}

/// One's own name, time zone and formats. Saving reloads the page, which the server then
/// renders in the new settings.
#[component]
fn Profile(
    name: String,
    time_zone: String,
    locale: String,
    options: RegionalOptions,
) -> impl IntoView {
    let name = RwSignal::new(name);
    let zone = RwSignal::new(time_zone);
    let locale = RwSignal::new(locale);
    let error = RwSignal::new(None::<AppError>);
    let saving = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ProfileChange {
            name: name.get_untracked(),
            time_zone: Some(zone.get_untracked()),
            locale: Some(locale.get_untracked()),
        };
        saving.set(true);
        leptos::task::spawn_local(async move {
            match update_my_profile(input).await {
                Ok(()) => reload(),
                Err(e) => {
                    saving.set(false);
                    error.set(Some(e));
                }
            }
        });
    };
    let default_zone = format!("Company default ({})", options.default_zone);
    let default_locale = format!(
        "Company default ({})",
        options
            .default_locale
            .label()
            .split(" · ")
            .next()
            .unwrap_or_default()
    );
    view! {
        <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile and formats"</h2>
            <form class="stack" on:submit=save novalidate>
                {move || error.get().filter(|e| e.field("name").is_none() && e.field("time_zone").is_none() && e.field("locale").is_none())
                    .map(|e| view! { <p class="form-error" role="alert">{e.summary()}</p> })}
                <div class="field">
                    <label for="profile-name">"Your name"</label>
                    <input id="profile-name" autocomplete="name" bind:value=name
                        aria-invalid=move || error.get().and_then(|e| e.field("name")).is_some().to_string()/>
                    {field_error(error, "name")}
                </div>
                <RegionalFields zone=zone locale=locale zones=options.zones.clone()
                    default_zone=default_zone default_zone_name=options.default_zone.clone()
                    default_locale=default_locale error=error/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// Reloads the page: times and formats are rendered by the server in the reader's settings.
pub fn reload() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().reload();
}

fn field_error(error: RwSignal<Option<AppError>>, f: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.field(f))
            .map(|m| view! { <p class="field-error" id=format!("{f}-error")>{m}</p> })
    }
}

/// The time zone and format choices, for staff and portal users alike. An empty value means
/// the default, named in the first option. Where the browser's zone differs from what
/// applies, one click takes it.
#[component]
pub fn RegionalFields(
    zone: RwSignal<String>,
    locale: RwSignal<String>,
    zones: Vec<String>,
    /// The first option's text: what applies when nothing is chosen.
    default_zone: String,
    /// The zone that applies when nothing is chosen (none: the browser's).
    #[prop(optional)]
    default_zone_name: Option<String>,
    default_locale: String,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let browser_zone = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let found =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        let zone_name = js_sys::Reflect::get(&found, &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string());
        browser_zone.set(zone_name);
    });
    let applies = move || {
        let z = zone.get();
        if z.is_empty() {
            default_zone_name.clone()
        } else {
            Some(z)
        }
    };
    view! {
        <div class="field">
            <label for="profile-zone">"Time zone"</label>
            <select id="profile-zone" prop:value=move || zone.get()
                on:change=move |ev| zone.set(event_target_value(&ev))>
                <option value="">{default_zone}</option>
                {zones.into_iter().map(|z| view! { <option value=z.clone()>{z.replace('_', " ")}</option> }).collect_view()}
            </select>
            {field_error(error, "time_zone")}
            {move || {
                let now_applies = applies();
                browser_zone.get().filter(|b| now_applies.as_ref().is_some_and(|a| a != b)).map(|b| {
                    let pick = b.clone();
                    view! {
                        <p class="muted small">
                            {format!("Your browser is set to {}. ", b.replace('_', " "))}
                            <button type="button" class="button subtle" on:click=move |_| zone.set(pick.clone())>"Use it"</button>
                        </p>
                    }
                })
            }}
        </div>
        <div class="field">
            <label for="profile-locale">"Dates and amounts"</label>
            <select id="profile-locale" prop:value=move || locale.get()
                on:change=move |ev| locale.set(event_target_value(&ev))>
                <option value="">{default_locale}</option>
                {Locale::ALL.into_iter().map(|l| view! { <option value=l.code()>{l.label()}</option> }).collect_view()}
            </select>
            {field_error(error, "locale")}
        </div>
    }
}
