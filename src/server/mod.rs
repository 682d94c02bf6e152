//! Server-only code: the one place sqlx, argon2 and sessions appear.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod export;
pub mod http;
pub mod import;
pub mod mail;
pub mod policy;
pub mod principal;
pub mod regional;
pub mod router;
pub mod sales;
pub mod session_store;
pub mod state;
pub mod support;
