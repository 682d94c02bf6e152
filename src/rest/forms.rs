//! `/forms/:slug`: the public kickoff forms. Plain HTML pages posted without JavaScript; the
//! answers are read by the shared definition and stored by the support server code.

use crate::domain::error::{AppError, FieldErrors};
use crate::domain::form::{
    FieldKind, FormDef, HONEYPOT, SUBMISSION_KEY, StandardField, UTM_FIELDS,
};
use crate::domain::links::escape_html as esc;
use crate::server::auth::secret;
use crate::server::principal::ClientInfo;
use crate::server::state::AppState;
use crate::server::support::forms::{self, Submitted};
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/forms/{slug}", get(show).post(submit))
}

async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match forms::public_form(&state, &slug).await {
        Ok(form) => {
            let mut values = BTreeMap::new();
            for utm in UTM_FIELDS {
                if let Some(v) = query.get(utm) {
                    values.insert(utm.to_string(), v.chars().take(200).collect());
                }
            }
            values.insert(SUBMISSION_KEY.to_string(), secret::generate("f_"));
            page(
                StatusCode::OK,
                &state,
                &form.input.title,
                &form_body(&form, &values, &FieldErrors::new()),
            )
        }
        Err(e) => error_page(&state, &e),
    }
}

async fn submit(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(slug): Path<String>,
    Form(posted): Form<BTreeMap<String, String>>,
) -> Response {
    let result = forms::submit(&state, &client, &slug, &posted).await;
    match result {
        Ok(Submitted::Invalid(errors)) => match forms::public_form(&state, &slug).await {
            Ok(form) => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &state,
                &form.input.title,
                &form_body(&form, &posted, &errors),
            ),
            Err(e) => error_page(&state, &e),
        },
        Ok(_) => page(
            StatusCode::OK,
            &state,
            "Thank you",
            "<p>Thank you — we have your details and will be in touch soon.</p>",
        ),
        Err(e) => error_page(&state, &e),
    }
}

fn error_page(state: &AppState, e: &AppError) -> Response {
    let (status, text) = match e {
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            "This form does not exist or is closed.".to_string(),
        ),
        AppError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many submissions from your address. Please try again in a few minutes."
                .to_string(),
        ),
        other => (
            StatusCode::from_u16(other.status()).unwrap_or(StatusCode::BAD_REQUEST),
            other.message(),
        ),
    };
    page(
        status,
        state,
        "Form",
        &format!("<p class=\"form-error\" role=\"alert\">{}</p>", esc(&text)),
    )
}

fn page(status: StatusCode, state: &AppState, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title} · {business}</title><link rel=\"stylesheet\" href=\"{css}\"/></head>\
         <body class=\"public-form\"><main class=\"auth-page\" id=\"main\"><section class=\"auth-card wide\">\
         <p class=\"brand-mark\">{business}</p><h1>{title}</h1>{body}</section></main></body></html>",
        title = esc(title),
        business = esc(&state.config.business_name),
        css = crate::server::assets::css_href(),
    );
    (status, Html(html)).into_response()
}

/// The form's fields, filled with `values`, each error under its field.
fn form_body(form: &FormDef, values: &BTreeMap<String, String>, errors: &FieldErrors) -> String {
    let f = &form.input;
    let value = |k: &str| esc(values.get(k).map(String::as_str).unwrap_or(""));
    let error = |k: &str| {
        errors
            .get(k)
            .map(|m| {
                format!(
                    "<p class=\"field-error\" id=\"{k}-error\">{}</p>",
                    esc(&m.join(" "))
                )
            })
            .unwrap_or_default()
    };
    let invalid = |k: &str| {
        if errors.contains_key(k) {
            format!(" aria-invalid=\"true\" aria-describedby=\"{k}-error\"")
        } else {
            String::new()
        }
    };
    let mut out = String::new();
    if !f.intro.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p>", esc(&f.intro)));
    }
    if !errors.is_empty() {
        out.push_str(
            "<p class=\"form-error\" role=\"alert\">Please correct the highlighted fields.</p>",
        );
    }
    out.push_str(&format!(
        "<form class=\"stack\" method=\"post\" action=\"/forms/{}\">",
        esc(&f.slug)
    ));
    for s in &f.standard_fields {
        let (k, kind, auto) = match s {
            StandardField::Name => ("name", "text", "name"),
            StandardField::Email => ("email", "email", "email"),
            StandardField::Company => ("company", "text", "organization"),
            StandardField::Phone => ("phone", "tel", "tel"),
        };
        let required = matches!(s, StandardField::Name)
            || (matches!(s, StandardField::Email)
                && f.creates == crate::domain::form::FormCreates::Contact);
        out.push_str(&format!(
            "<div class=\"field\"><label for=\"{k}\">{label}{star}</label><input id=\"{k}\" name=\"{k}\" type=\"{kind}\" autocomplete=\"{auto}\" value=\"{v}\"{req}{inv}/>{err}</div>",
            label = s.label(),
            star = if required { " *" } else { "" },
            v = value(k),
            req = if required { " required" } else { "" },
            inv = invalid(k),
            err = error(k),
        ));
    }
    for c in &f.custom_fields {
        let k = esc(&c.key);
        let label = format!("{}{}", esc(&c.label), if c.required { " *" } else { "" });
        let req = if c.required { " required" } else { "" };
        let input = match c.kind {
            FieldKind::Text => format!(
                "<input id=\"{k}\" name=\"{k}\" type=\"text\" value=\"{}\"{req}{}/>",
                value(&c.key),
                invalid(&c.key)
            ),
            FieldKind::Number => format!(
                "<input id=\"{k}\" name=\"{k}\" type=\"text\" inputmode=\"decimal\" value=\"{}\"{req}{}/>",
                value(&c.key),
                invalid(&c.key)
            ),
            FieldKind::Choice => {
                let chosen = values.get(&c.key).cloned().unwrap_or_default();
                let options: String = c
                    .choices
                    .iter()
                    .map(|o| {
                        format!(
                            "<option value=\"{0}\"{1}>{0}</option>",
                            esc(o),
                            if *o == chosen { " selected" } else { "" }
                        )
                    })
                    .collect();
                format!(
                    "<select id=\"{k}\" name=\"{k}\"{req}{}><option value=\"\">Choose…</option>{options}</select>",
                    invalid(&c.key)
                )
            }
            FieldKind::Checkbox => {
                let on = values
                    .get(&c.key)
                    .is_some_and(|v| !v.is_empty() && v != "false");
                out.push_str(&format!(
                    "<div class=\"field checkbox\"><label><input name=\"{k}\" type=\"checkbox\" value=\"yes\"{}{req}/> {label}</label>{}</div>",
                    if on { " checked" } else { "" },
                    error(&c.key)
                ));
                continue;
            }
        };
        out.push_str(&format!(
            "<div class=\"field\"><label for=\"{k}\">{label}</label>{input}{}</div>",
            error(&c.key)
        ));
    }
    for utm in UTM_FIELDS {
        if values.contains_key(utm) {
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"{utm}\" value=\"{}\"/>",
                value(utm)
            ));
        }
    }
    out.push_str(&format!(
        "<input type=\"hidden\" name=\"{SUBMISSION_KEY}\" value=\"{}\"/>",
        value(SUBMISSION_KEY)
    ));
    // The honeypot: hidden from people (and screen readers) by the stylesheet, filled by bots.
    out.push_str(&format!(
        "<div class=\"honeypot\" aria-hidden=\"true\"><label for=\"{HONEYPOT}\">Leave this empty</label><input id=\"{HONEYPOT}\" name=\"{HONEYPOT}\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"/></div>"
    ));
    out.push_str("<button type=\"submit\" class=\"button primary\">Send</button></form>");
    out
}
