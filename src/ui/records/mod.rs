//! The sales record pages.

pub mod accounts;
pub mod common;
pub mod contacts;
pub mod leads;
pub mod opportunities;
