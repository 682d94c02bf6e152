//! Pages and components.

#[cfg(feature = "hydrate")]
pub mod client;
pub mod components;
pub mod format;
pub mod pages;
pub mod records;
