pub mod auth;
pub mod metrics;
pub mod pipeline;
pub mod placeholder;
pub mod stages;
pub mod tasks;
