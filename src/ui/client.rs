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
    let action = form.action();
    let data = FormData::new_with_form(form).map_err(|_| network("Could not read the form."))?;
    let params = UrlSearchParams::new_with_str_sequence_sequence(&data)
        .map_err(|_| network("Could not read the form."))?;
    let headers = web_sys::Headers::new().map_err(|_| network("Could not prepare the request."))?;
    let _ = headers.set("content-type", "application/x-www-form-urlencoded");
    let _ = headers.set("accept", "application/json");
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&String::from(params.to_string()).into());
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let window = web_sys::window().ok_or_else(|| network("No window."))?;
    let response = JsFuture::from(window.fetch_with_str_and_init(&action, &init))
        .await
        .map_err(|_| network("Could not reach the server. Check your connection and try again."))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| network("Unexpected answer."))?;
    if response.ok() {
        return Ok(());
    }
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
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
