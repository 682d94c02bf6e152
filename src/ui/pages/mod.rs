pub mod auth;
pub mod placeholder;
