//! Administration: managing staff users and their sign-ins, teams, the outbox, and reading the
//! audit log.
//! Who may do what is decided in [`crate::server::policy`]; these functions ask it first.

pub mod audit;
pub mod outbox;
pub mod teams;
pub mod users;
