//! The house's layering, checked on the source: SQL is written only in `src/server/db`.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_sql_is_written_outside_the_database_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = root.join("src/server/db");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    // What running or shaping SQL looks like from Rust: a statement run, a list condition.
    let marks = [
        "sqlx::query",
        " Filter::new(",
        "(Filter::new(",
        "Filter(format!",
    ];
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&db)) {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            if marks.iter().any(|m| line.contains(m)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside src/server/db:\n{}",
        found.join("\n")
    );
}
