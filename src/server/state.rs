//! What every request can reach: the database, the settings, the clock.

use super::config::Config;
use super::db::Db;
use axum::extract::FromRef;
use chrono::{DateTime, Duration, Utc};
use leptos::config::LeptosOptions;
use std::sync::{Arc, Mutex};

/// Shared by every request; cloning it (axum does, per request and per layer) copies one
/// pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Where background work (imports, and later mail and automations) runs: the runtime the
    /// state was made on, never the writer thread a request that starts the work is on.
    pub background: tokio::runtime::Handle,
}

impl Shared {
    /// Starts background work on the [`Shared::background`] runtime.
    pub fn spawn_background<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.background.spawn(work)
    }
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// The server's idea of now. Tests use a fixed clock they can move forward, so timeouts,
/// expiry and SLAs are tested without sleeping.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    /// Now, truncated to microseconds (what PostgreSQL stores), so a value read back
    /// compares equal to the value written on both backends.
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.0 {
            None => Utc::now(),
            Some(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
        };
        truncate_micros(now)
    }

    /// Moves a fixed clock forward; does nothing on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(at) = &self.0 {
            let mut at = at.lock().unwrap_or_else(|p| p.into_inner());
            *at += by;
        }
    }
}

pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    let micros = t.nanosecond() / 1_000;
    t.trunc_subsecs(0) + Duration::microseconds(i64::from(micros))
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
