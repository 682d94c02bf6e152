pub mod editing;
pub mod form;
pub mod list;
pub mod panels;
pub mod picker;
pub mod search;
pub mod shell;
