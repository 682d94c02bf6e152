//! Shared domain types and their validation: compiled for the browser and the server alike,
//! so a form shows the same errors the server enforces.

pub mod error;
pub mod links;
pub mod user;
