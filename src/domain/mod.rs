//! Shared domain types and their validation: compiled for the browser and the server alike,
//! so a form shows the same errors the server enforces.

pub mod account;
pub mod activity;
pub mod admin;
pub mod amount;
pub mod checks;
pub mod contact;
pub mod error;
pub mod form;
pub mod import;
pub mod lead;
pub mod links;
pub mod listing;
pub mod mail;
pub mod money;
pub mod opportunity;
pub mod pipeline;
pub mod portal;
pub mod records;
pub mod regional;
pub mod team;
pub mod ticket;
pub mod user;
