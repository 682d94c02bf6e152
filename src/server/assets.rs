//! The browser files' names. A release build (`scripts/build.sh`) names them by a hash of
//! their content (`crm.<hash>.js`, `crm.<hash>_bg.wasm`, `crm.<hash>.css`) and writes that
//! stem to `pkg/assets`; such files never change under their name, so browsers keep them a
//! year. Without the file (a `cargo leptos` build) the names are plain `crm.*`, revalidated.

use std::path::Path;
use std::sync::OnceLock;

static STEM: OnceLock<String> = OnceLock::new();

/// The stem of the browser files' names, read once from `<site root>/pkg/assets`.
pub fn stem(site_root: &Path) -> &'static str {
    STEM.get_or_init(|| {
        std::fs::read_to_string(site_root.join("pkg").join("assets"))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| {
                s.starts_with("crm.")
                    && s.len() <= 64
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            })
            .unwrap_or_else(|| "crm".to_string())
    })
}

/// Whether the files carry a content hash (and may be cached for good).
pub fn hashed() -> bool {
    STEM.get().is_some_and(|s| s != "crm")
}

/// The stylesheet's address.
pub fn css_href() -> String {
    format!("/pkg/{}.css", STEM.get().map_or("crm", String::as_str))
}
