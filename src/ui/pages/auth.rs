//! Sign-in, first-run setup and set-password pages. Each form is a plain HTML form that works
//! before the WASM has loaded; once hydrated, it checks fields in place with the same rules
//! as the server and submits without a page reload.

use crate::api::auth::{link_status, sends_mail};
use crate::domain::error::AppError;
use crate::domain::links::safe_next;
use crate::domain::user::{
    LinkPurpose, NewStaffUser, PASSWORD_MIN_CHARS, email_problem, password_problem,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The centred card the sign-in pages share.
#[component]
pub fn AuthCard(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page" id="main">
            <section class="auth-card" aria-labelledby="auth-title">
                <p class="brand-mark" aria-hidden="true">"CRM"</p>
                <h1 id="auth-title">{title}</h1>
                {children()}
            </section>
        </main>
    }
}

/// Sends a form with `fetch` once hydrated; on success goes to `next`. Without the WASM the
/// browser posts the form itself.
fn enhanced_submit(
    next: String,
    check: impl Fn() -> Option<AppError> + 'static,
    error: RwSignal<Option<AppError>>,
    pending: RwSignal<bool>,
) -> impl Fn(SubmitEvent) + 'static {
    move |ev: SubmitEvent| {
        if let Some(problem) = check() {
            ev.prevent_default();
            error.set(Some(problem));
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            ev.prevent_default();
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            pending.set(true);
            error.set(None);
            let next = next.clone();
            leptos::task::spawn_local(async move {
                match crate::ui::client::post_form(&form).await {
                    Ok(()) => crate::ui::client::go_to(&next),
                    Err(e) => {
                        error.set(Some(e));
                        pending.set(false);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&next, pending);
    }
}

fn input_value(node: NodeRef<leptos::html::Input>) -> String {
    node.get_untracked().map(|i| i.value()).unwrap_or_default()
}

/// The message of a form-level error (field errors show beside their fields).
fn form_message(error: RwSignal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = match &e {
                AppError::Validation { fields, .. } if fields.keys().all(|k| k != "token") => {
                    "Please correct the highlighted fields.".to_string()
                }
                AppError::Validation { .. } => e.field("token").unwrap_or_else(|| e.message()),
                other => other.message(),
            };
            view! { <p class="form-error" role="alert">{text}</p> }
        })
    }
}

fn field_error(error: RwSignal<Option<AppError>>, name: &'static str) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.field(name)).map(|m| {
            view! { <p class="field-error" id=format!("{name}-error")>{m}</p> }
        })
    }
}

#[component]
pub fn LoginForm(
    #[prop(optional)] error: Option<String>,
    #[prop(into)] email: String,
    #[prop(into)] next: String,
) -> impl IntoView {
    let error = RwSignal::new(error.map(|message| AppError::Unauthorized { message }));
    let pending = RwSignal::new(false);
    let email_input = NodeRef::<leptos::html::Input>::new();
    let password_input = NodeRef::<leptos::html::Input>::new();
    let check = move || {
        if let Some(p) = email_problem(&input_value(email_input)) {
            return Some(AppError::invalid("email", p));
        }
        if input_value(password_input).is_empty() {
            return Some(AppError::invalid("password", "Enter your password."));
        }
        None
    };
    let next = safe_next(Some(&next));
    let on_submit = enhanced_submit(next.clone(), check, error, pending);
    view! {
        <form class="stack" method="post" action="/api/auth/login" on:submit=on_submit novalidate>
            <input type="hidden" name="next" value=next.clone()/>
            {form_message(error)}
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    value=email node_ref=email_input/>
                {field_error(error, "email")}
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password"
                    required node_ref=password_input/>
                {field_error(error, "password")}
            </div>
            <button type="submit" class="button primary" disabled=move || pending.get()>
                {move || if pending.get() { "Signing in…" } else { "Sign in" }}
            </button>
        </form>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let (email, next, notice) = query.with_untracked(|q| {
        let notice = if q.get("signed_out").is_some() {
            Some("You have signed out.")
        } else if q.get("next").is_some() {
            Some("Sign in to continue.")
        } else {
            None
        };
        (
            q.get("email").unwrap_or_default(),
            q.get("next").unwrap_or_default(),
            notice,
        )
    });
    view! {
        <Title text="Sign in · CRM"/>
        <AuthCard title="Sign in">
            {notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <LoginForm email=email next=next/>
            <p class="auth-aside"><a href="/forgot-password">"Forgot your password?"</a></p>
        </AuthCard>
    }
}

/// Asks for a link to choose a new password.
#[component]
pub fn ForgotForm(
    #[prop(into, optional)] email: String,
    #[prop(optional)] error: Option<AppError>,
) -> impl IntoView {
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let email_input = NodeRef::<leptos::html::Input>::new();
    let check =
        move || email_problem(&input_value(email_input)).map(|p| AppError::invalid("email", p));
    let on_submit = enhanced_submit("/forgot-password?sent=1".into(), check, error, pending);
    view! {
        <form class="stack" method="post" action="/api/auth/forgot-password" on:submit=on_submit novalidate>
            {form_message(error)}
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    value=email node_ref=email_input aria-describedby="email-hint"/>
                <p class="hint" id="email-hint">"The address you sign in with, as staff or in the customer portal."</p>
                {field_error(error, "email")}
            </div>
            <button type="submit" class="button primary" disabled=move || pending.get()>
                {move || if pending.get() { "Sending…" } else { "Send me a link" }}
            </button>
        </form>
    }
}

/// "Forgot password": the form, or (after it was sent) what happens next. Without a mail
/// server the page says so instead of pretending to send.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let sent = use_query_map().with_untracked(|q| q.get("sent").is_some());
    let mail = Resource::new(|| (), |_| sends_mail());
    view! {
        <Title text="Forgot your password? · CRM"/>
        <AuthCard title="Forgot your password?">
            <Suspense fallback=|| view! { <p class="muted">"…"</p> }>
                {move || Suspend::new(async move {
                    match (mail.await.unwrap_or(false), sent) {
                        (false, _) => view! {
                            <p class="notice" role="status">"This CRM has no mail server set up, so no link can be mailed. Ask an administrator for a password link (staff), or your contact at the company for a new invite (customers)."</p>
                        }.into_any(),
                        (true, true) => view! {
                            <p class="notice" role="status">{crate::domain::user::FORGOT_ANSWER}</p>
                            <p class="muted">"Nothing in your mailbox? Check the spam folder, or ask again in a few minutes."</p>
                        }.into_any(),
                        (true, false) => view! {
                            <p class="muted">"We will mail you a link to choose a new password."</p>
                            <ForgotForm/>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <p class="auth-aside"><a href="/login">"Back to sign in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn SetupForm(
    #[prop(into)] token: String,
    #[prop(optional)] error: Option<AppError>,
    #[prop(into, optional)] name: String,
    #[prop(into, optional)] email: String,
) -> impl IntoView {
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let name_input = NodeRef::<leptos::html::Input>::new();
    let email_input = NodeRef::<leptos::html::Input>::new();
    let password_input = NodeRef::<leptos::html::Input>::new();
    let check = move || {
        NewStaffUser {
            email: input_value(email_input),
            name: input_value(name_input),
            password: Some(input_value(password_input)),
        }
        .validate()
        .err()
    };
    let on_submit = enhanced_submit("/".into(), check, error, pending);
    view! {
        <form class="stack" method="post" action="/api/auth/setup" on:submit=on_submit novalidate>
            <input type="hidden" name="token" value=token/>
            {form_message(error)}
            <div class="field">
                <label for="name">"Your name"</label>
                <input id="name" name="name" type="text" autocomplete="name" required value=name node_ref=name_input/>
                {field_error(error, "name")}
            </div>
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required value=email
                    node_ref=email_input/>
                {field_error(error, "email")}
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" required
                    minlength=PASSWORD_MIN_CHARS node_ref=password_input aria-describedby="password-hint"/>
                <p class="hint" id="password-hint">{format!("At least {PASSWORD_MIN_CHARS} characters.")}</p>
                {field_error(error, "password")}
            </div>
            <button type="submit" class="button primary" disabled=move || pending.get()>
                {move || if pending.get() { "Creating…" } else { "Create super admin" }}
            </button>
        </form>
    }
}

/// Shows `form` when the link in `?token=` still works, and why not otherwise.
fn link_gate<F, V>(purpose: LinkPurpose, form: F) -> impl IntoView
where
    F: Fn(String) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let token = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
    let status = Resource::new(move || token.clone(), move |t| link_status(t, purpose));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Checking the link…"</p> }>
            {move || {
                let form = form.clone();
                Suspend::new(async move {
                    let token = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
                    match status.await {
                        Ok(()) => form(token).into_any(),
                        Err(e) => {
                            let message = e.field("token").unwrap_or_else(|| e.message());
                            view! {
                                <p class="form-error" role="alert">{message}</p>
                                <p class="muted">{match purpose {
                                    LinkPurpose::Setup => "Restart the server to print a new setup link, or sign in if setup is done.",
                                    LinkPurpose::SetPassword => "Ask an administrator for a new link.",
                                    LinkPurpose::PortalInvite => "Ask your contact at the company for a new invite.",
                                }}</p>
                                <p><a href="/login">"Go to sign in"</a></p>
                            }
                            .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    view! {
        <Title text="Set up · CRM"/>
        <AuthCard title="Set up your CRM">
            <p class="muted">"Create the first account. It will be the super admin, who can add everyone else."</p>
            {link_gate(LinkPurpose::Setup, |token| view! { <SetupForm token=token/> })}
        </AuthCard>
    }
}

/// A password chosen through a one-time link: a new staff user's, or a contact's portal invite.
fn password_link_form(
    action: &'static str,
    next: &'static str,
    button: &'static str,
    token: String,
    error: Option<AppError>,
    offer_token_revocation: bool,
) -> impl IntoView {
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let password_input = NodeRef::<leptos::html::Input>::new();
    let check = move || {
        password_problem(&input_value(password_input)).map(|p| AppError::invalid("password", p))
    };
    let on_submit = enhanced_submit(next.into(), check, error, pending);
    view! {
        <form class="stack" method="post" action=action on:submit=on_submit novalidate>
            <input type="hidden" name="token" value=token/>
            {form_message(error)}
            <div class="field">
                <label for="password">"New password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" required
                    minlength=PASSWORD_MIN_CHARS node_ref=password_input aria-describedby="password-hint"/>
                <p class="hint" id="password-hint">{format!("At least {PASSWORD_MIN_CHARS} characters.")}</p>
                {field_error(error, "password")}
            </div>
            {offer_token_revocation.then(|| view! {
                <div class="field checkbox">
                    <label><input type="checkbox" name="revoke_tokens" value="on"/>
                        "Also revoke all my API tokens (scripts using them stop working)"</label>
                </div>
            })}
            <button type="submit" class="button primary" disabled=move || pending.get()>
                {move || if pending.get() { "Saving…" } else { button }}
            </button>
        </form>
    }
}

#[component]
pub fn SetPasswordForm(
    #[prop(into)] token: String,
    #[prop(optional)] error: Option<AppError>,
) -> impl IntoView {
    password_link_form(
        "/api/auth/set-password",
        "/",
        "Set password and sign in",
        token,
        error,
        true,
    )
}

#[component]
pub fn AcceptInviteForm(
    #[prop(into)] token: String,
    #[prop(optional)] error: Option<AppError>,
) -> impl IntoView {
    password_link_form(
        "/api/auth/accept-invite",
        "/portal",
        "Set password and open the portal",
        token,
        error,
        false,
    )
}

/// Where a contact invited to the portal chooses their password.
#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    view! {
        <Title text="Welcome · Portal"/>
        <AuthCard title="Welcome to the portal">
            <p class="muted">"Choose a password. You will use it with your email address to sign in."</p>
            {link_gate(LinkPurpose::PortalInvite, |token| view! { <AcceptInviteForm token=token/> })}
        </AuthCard>
    }
}

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    view! {
        <Title text="Choose a password · CRM"/>
        <AuthCard title="Choose a password">
            {link_gate(LinkPurpose::SetPassword, |token| view! { <SetPasswordForm token=token/> })}
        </AuthCard>
    }
}

/// A complete, non-hydrated page around one of the forms above: what a browser without
/// JavaScript sees when its form post failed, with the error status.
#[cfg(feature = "ssr")]
pub fn standalone_page<V: IntoView + 'static>(
    title: &str,
    form: impl FnOnce() -> V,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let owner = Owner::new();
    let title_owned = title.to_string();
    let body = owner.with(move || {
        let inner = form().into_any();
        view! { <AuthCard title=title_owned>{inner}</AuthCard> }.to_html()
    });
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{} · CRM</title><link rel=\"stylesheet\" href=\"{}\"/></head>\
         <body>{body}</body></html>",
        crate::domain::links::escape_html(title),
        crate::server::assets::css_href()
    );
    axum::response::Html(page).into_response()
}
