pub mod auth;
pub mod placeholder;
pub mod tasks;
