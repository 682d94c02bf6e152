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

/// The modules directly under `dir` that `file` (a file inside `dir`) names with a path:
/// `crate::<prefix>::x`, or from deeper inside, `super::x` with as many `super`s as lead up to
/// `dir` (a brace group on one line names each of its items).
fn names_of(dir: &Path, prefix: &str, file: &Path, text: &str) -> Vec<String> {
    let rel = file.strip_prefix(dir).expect("inside");
    // How far below `dir` the file's module is: `a.rs` and `a/mod.rs` one, `a/b.rs` two.
    let own_mod = rel.file_name().is_some_and(|n| n == "mod.rs");
    let levels = rel.components().count() - usize::from(own_mod);
    let starts = [format!("crate::{prefix}::"), "super::".repeat(levels)];
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        for start in &starts {
            let mut from = 0;
            while let Some(at) = line[from..].find(start.as_str()).map(|i| i + from) {
                from = at + start.len();
                // Part of a longer path (`x::super::`, one more `super`): not this one.
                if line[..at].ends_with("::") {
                    continue;
                }
                let after = &line[from..];
                match after.strip_prefix('{') {
                    Some(group) => {
                        let group = group.split('}').next().unwrap_or_default();
                        found.extend(group.split(',').map(ident));
                    }
                    None => found.push(ident(after)),
                }
            }
        }
    }
    found.retain(|n| !n.is_empty());
    found
}

/// The dependency graph among the modules directly under `src/<prefix>` (a module is a file
/// or a folder there), as paths in the source name them.
fn module_graph(
    prefix: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("src").join(prefix.replace("::", "/"));
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let module_of = |f: &Path| -> String {
        let first = f
            .strip_prefix(&dir)
            .expect("inside")
            .components()
            .next()
            .expect("a part");
        first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string()
    };
    let modules: std::collections::BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "mod")
        .collect();
    let mut graph = std::collections::BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        if from == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read");
        let entry: &mut std::collections::BTreeSet<String> = graph.entry(from.clone()).or_default();
        for name in names_of(&dir, prefix, file, &text) {
            if name != from && modules.contains(&name) {
                entry.insert(name);
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn a_cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == at) {
            let mut cycle = path[i..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in graph.get(at).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_server_modules_depend_on_each_other_without_a_cycle() {
    let graph = module_graph("server");
    assert!(
        graph.contains_key("policy") && graph["sales"].contains("policy"),
        "the graph is read: {graph:?}"
    );
    assert_eq!(a_cycle(&graph), None, "server modules in a cycle");
}

#[test]
fn the_ui_layers_depend_on_each_other_without_a_cycle() {
    // components (building blocks) ← records and pages ← the frame: never back up.
    let graph = module_graph("ui");
    assert!(
        graph["records"].contains("components"),
        "the graph is read: {graph:?}"
    );
    assert_eq!(a_cycle(&graph), None, "ui modules in a cycle");
    for inner in ["components", "records", "pages"] {
        let graph = module_graph(&format!("ui::{inner}"));
        assert_eq!(a_cycle(&graph), None, "ui::{inner} modules in a cycle");
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut graph = std::collections::BTreeMap::new();
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    graph.insert("a".to_string(), set(&["b"]));
    graph.insert("b".to_string(), set(&["c"]));
    graph.insert("c".to_string(), set(&["a"]));
    assert_eq!(
        a_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    graph.insert("c".to_string(), set(&[]));
    assert_eq!(a_cycle(&graph), None);
}
