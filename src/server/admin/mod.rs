//! Administration: managing staff users and their sign-ins, and reading the audit log.
//! Who may do what is decided in [`crate::server::policy`]; these functions ask it first.

pub mod audit;
pub mod teams;
pub mod users;
