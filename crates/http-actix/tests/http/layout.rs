//! The crate's layout rules, checked on its sources: only the composition root names an infra
//! crate, no two top-level modules of any workspace crate import each other, however
//! indirectly, nor do two modules of any one folder, and every write of the SQL adapter takes
//! its write gate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The source without its `#[cfg(test)]` tail (unit tests may reach anywhere).
fn production_part(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source");
    text.split("#[cfg(test)]").next().unwrap_or_default().to_owned()
}

#[test]
fn only_the_composition_root_names_an_infra_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let offenders: Vec<_> = sources(&src)
        .into_iter()
        .filter(|p| !p.starts_with(src.join("app").join("compose")))
        .filter(|p| {
            let text = production_part(p);
            text.contains("infra_")
        })
        .collect();
    assert!(offenders.is_empty(), "infra crates named outside app/compose/: {offenders:?}");
}

/// The top-level module a source file belongs to (`""` for the crate root).
fn top_module(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("inside src");
    let first = relative.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => String::new(),
        Some(name) => name.to_owned(),
        None => first,
    }
}

/// Every `crate::name` the text mentions.
fn mentioned_modules(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| !text[..*at].ends_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | ':')))
        .map(|(at, _)| text[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|name| !name.is_empty())
        .collect()
}

fn cycle_in(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].iter().cloned().chain([node.to_owned()]).collect());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ["domain", "infra-crypto", "infra-diesel", "infra-mail", "infra-redis", "http-actix"] {
        let src = crates.join(name).join("src");
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in sources(&src) {
            let from = top_module(&src, &file);
            if from.is_empty() {
                continue;
            }
            let uses: Vec<String> = mentioned_modules(&production_part(&file)).into_iter().filter(|to| *to != from).collect();
            graph.entry(from).or_default().extend(uses);
        }
        assert_eq!(cycle_in(&graph), None, "{name} has an import circle");
    }
}

/// The modules of one folder (`name.rs` files but `mod.rs`, and sub-folders), by name.
fn sibling_modules(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if path.is_dir() {
            modules.insert(name, sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") && !matches!(name.as_str(), "mod" | "lib" | "main") {
            modules.insert(name, vec![path]);
        }
    }
    modules
}

/// Which of `siblings` the text of a module in folder `folder` (its `crate::` path) mentions:
/// through `crate::folder::name` or `super::name`.
fn mentioned_siblings(text: &str, folder: &str, siblings: &BTreeMap<String, Vec<PathBuf>>) -> BTreeSet<String> {
    siblings
        .keys()
        .filter(|name| {
            let absolute = if folder.is_empty() { format!("crate::{name}::") } else { format!("crate::{folder}::{name}::") };
            text.contains(&absolute) || text.contains(&format!("super::{name}::")) || text.contains(&format!("super::{name}}}"))
        })
        .cloned()
        .collect()
}

#[test]
fn no_two_files_of_one_folder_import_each_other() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ["domain", "infra-crypto", "infra-diesel", "infra-mail", "infra-redis", "http-actix"] {
        let src = crates.join(name).join("src");
        let mut folders = vec![src.clone()];
        while let Some(dir) = folders.pop() {
            let siblings = sibling_modules(&dir);
            let folder = dir
                .strip_prefix(&src)
                .expect("inside src")
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("::");
            let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (module, files) in &siblings {
                let text: String = files.iter().map(|f| production_part(f)).collect();
                let uses = mentioned_siblings(&text, &folder, &siblings).into_iter().filter(|to| to != module).collect::<BTreeSet<_>>();
                graph.insert(module.clone(), uses);
            }
            assert_eq!(cycle_in(&graph), None, "{name}/src/{folder}: two of its modules import each other");
            folders.extend(std::fs::read_dir(&dir).expect("folder").filter_map(|e| Some(e.ok()?.path())).filter(|p| p.is_dir()));
        }
    }
}

#[test]
fn the_folder_check_finds_two_files_that_import_each_other() {
    // infra-diesel's repo/links.rs and repo/users.rs did, before `repo/account.rs`.
    let siblings = BTreeMap::from([("links".to_owned(), vec![]), ("users".to_owned(), vec![]), ("audit".to_owned(), vec![])]);
    let links = mentioned_siblings("use crate::repo::users::lock_user; use crate::repo::audit::record_events;", "repo", &siblings);
    let users = mentioned_siblings("use super::links::forget_links;", "repo", &siblings);
    assert_eq!(links, BTreeSet::from(["users".to_owned(), "audit".to_owned()]));
    let graph = BTreeMap::from([("links".to_owned(), links), ("users".to_owned(), users)]);
    assert_eq!(cycle_in(&graph), Some(vec!["links".into(), "users".into(), "links".into()]));
}

#[test]
fn the_circle_check_finds_a_circle() {
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(cycle_in(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(mentioned_modules("use crate::state::AppState; x::crate::no; $crate::dto"), BTreeSet::from(["state".to_owned()]));
}

/// The text of every call `name(…)` in `text`, its parentheses balanced.
fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.match_indices(name)
        .map(|(at, _)| {
            let body = &text[at + name.len()..];
            let mut depth = 1;
            let end = body
                .char_indices()
                .find_map(|(i, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    (depth == 0).then_some(i)
                })
                .unwrap_or(body.len());
            &body[..end]
        })
        .collect()
}

#[test]
fn every_write_of_the_sql_adapter_takes_the_write_gate() {
    // `run` and `conn` are for reads; a write through them would skip the SQLite write gate
    // and wait in SQLite's busy handler again (infra-diesel's `write_gate`).
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra-diesel/src/repo");
    let writes = ["insert_into", "diesel::update", "diesel::delete", "write_transaction", "record_events", "queue_mail", "sql_query"];
    let mut offenders = Vec::new();
    for file in sources(&repo) {
        let text = production_part(&file);
        for call in calls(&text, "self.run(") {
            if let Some(write) = writes.iter().find(|w| call.contains(*w)) {
                offenders.push(format!("{}: {write} in a read: {}", file.display(), call.chars().take(80).collect::<String>()));
            }
        }
        if text.contains("self.conn()") {
            offenders.push(format!("{}: a bare connection (reads use `run`, writes `write_conn` or `run_write`)", file.display()));
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn the_gate_check_sees_a_write_in_a_read() {
    let text = "let n = self.run(|c| diesel::delete(t::table.find(id)).execute(c))?; self.run(|c| t::table.load(c))";
    let found: Vec<_> = calls(text, "self.run(");
    assert_eq!(found.len(), 2);
    assert!(found[0].contains("diesel::delete") && !found[1].contains("diesel::delete"));
}
