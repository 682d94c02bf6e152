//! The sales record pages.

pub mod accounts;
pub mod common;
pub mod leads;
pub mod opportunities;
