//! Browser-only helpers for progressively enhanced forms: the same form posts natively
//! without JavaScript; with it, it is sent with `fetch` and errors show in place.

use crate::domain::error::{AppError, ErrorBody};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{FormData, HtmlFormElement, RequestInit, UrlSearchParams};

fn network(message: &str) -> AppError {
    AppError::Network {
        message: message.into(),
    }
}

/// Posts a form's fields, form-encoded, asking for JSON. Ok on 2xx; otherwise the server's
/// error (or a network error).
pub async fn post_form(form: &HtmlFormElement) -> Result<(), AppError> {
    let data = FormData::new_with_form(form).map_err(|_| network("Could not read the form."))?;
    let params = UrlSearchParams::new_with_str_sequence_sequence(&data)
        .map_err(|_| network("Could not read the form."))?;
    let init = RequestInit::new();
    init.set_body(&String::from(params.to_string()).into());
    send(
        &form.action(),
        init,
        Some("application/x-www-form-urlencoded"),
    )
    .await
    .map(|_| ())
}

/// Posts a form with its files as multipart/form-data to `url` (the browser streams the
/// file); returns the answer's text. The URL is passed in: a form with a field named `action`
/// hides its own `action` property.
pub async fn upload_form(url: &str, form: &HtmlFormElement) -> Result<String, AppError> {
    let data = FormData::new_with_form(form).map_err(|_| network("Could not read the form."))?;
    let init = RequestInit::new();
    init.set_body(&data.into());
    send(url, init, None).await
}

async fn send(
    url: &str,
    init: RequestInit,
    content_type: Option<&str>,
) -> Result<String, AppError> {
    let headers = web_sys::Headers::new().map_err(|_| network("Could not prepare the request."))?;
    if let Some(t) = content_type {
        let _ = headers.set("content-type", t);
    }
    let _ = headers.set("accept", "application/json");
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let window = web_sys::window().ok_or_else(|| network("No window."))?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| network("Could not reach the server. Check your connection and try again."))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| network("Unexpected answer."))?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        return Ok(text);
    }
    Err(serde_json::from_str::<ErrorBody>(&text)
        .map(AppError::from)
        .unwrap_or_else(|_| network(&format!("The server answered {}.", response.status()))))
}

/// Full page navigation (the next page is rendered by the server with the new session).
pub fn go_to(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(path);
    }
}

/// Asks the browser's own yes/no question; false when it cannot be asked.
pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}
