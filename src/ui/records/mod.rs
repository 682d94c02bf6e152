//! The sales record pages.

pub mod accounts;
pub mod common;
pub mod gate;
pub mod leads;
pub mod opportunities;
