//! An open-source CRM: Leptos (SSR + hydration) on axum, sqlx over SQLite or PostgreSQL.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets browser tests wait for hydration instead of guessing with timeouts.
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__crm_hydrated".into(), &true.into());
    }
}
