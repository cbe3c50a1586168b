//! The crate's import rules (issue 13), checked against the source itself:
//! every `src/**/*.rs` file is read, its `crate::` paths (and `main.rs`'s
//! `exchange_exposure::` paths) are collected per top-level module, and the
//! rules below are asserted on that graph. Unit-test code (`tests.rs` files
//! and `#[cfg(test)] mod tests { .. }` blocks) is left out: tests may reach
//! across modules for fixtures.
//!
//! The rules, each asserted by a test below (each was seen to fail once on
//! a planted import):
//!
//! - Data flows down: `cli` (clap only) is imported only by `config`, `lib`
//!   and `main`; `config` (the validated settings) only by `commands`, `lib`
//!   and `main`; nothing imports `commands`; `pipeline` never imports `cli`,
//!   `config` or `commands`.
//! - No import cycles at all, between any modules.
//! - Statuses are constructed only in `assess` (no other file calls
//!   `Verdict::without_build` or writes a `Verdict { .. }` literal), and
//!   `assess` is pure: it imports only `build`, `catalog`, `evidence` and
//!   `table`.
//! - `probe` gathers facts and decides nothing: it never imports `assess`
//!   or `table`.
//! - `report` never imports `cli`, `config`, `probe`, `pipeline` or
//!   `commands`: rows and runs reach it as plain values.
//! - `notify` (webhooks after a run) imports only `assess`, `report` and
//!   `sanitize`: the summary reaches it as plain values.
//! - `inventory`, `mail` and `sim` never import `probe` (nor anything above
//!   the pipeline).
//! - The passive readers, `import` and `hunt`, read files only: of the
//!   prober they use only its pure marker extractors (`probe::markers`),
//!   never its network code, and no socket or runtime of their own; they
//!   never import `assess`, `report`, `pipeline` or anything above it, and
//!   `hunt` of `import` only its line reader.
//! - The data store (`datastore`: where data lives, fetching it) and the
//!   data itself (`dataset`, `msdata`) never import `cli`, `config`,
//!   `commands`, `probe`, `pipeline` or `assess`: commands hand them plain
//!   settings, and judging is handed the data set they load.
//! - The bottom of the crate: `bounded`, `build`, `hash` and `sanitize` import
//!   nothing from it; `catalog` only `build`; `table` only `bounded`, `build`,
//!   `catalog` and `hash`; `target` only `sanitize`; `evidence` only `build`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Module name -> the crate modules (or `lib` for root items) it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/probe/http.rs` -> `probe`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_str().unwrap();
    first.trim_end_matches(".rs").to_string()
}

/// The file's code without `//` comments and without its
/// `#[cfg(test)] mod tests { .. }` block (skipped by brace depth).
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    let mut test_depth: Option<i32> = None;
    while let Some(line) = lines.next() {
        let line = line.split("//").next().unwrap();
        if let Some(depth) = &mut test_depth {
            *depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if *depth <= 0 {
                test_depth = None;
            }
            continue;
        }
        if line.trim() == "#[cfg(test)]" && lines.peek().is_some_and(|next| next.trim() == "mod tests {") {
            lines.next();
            test_depth = Some(1);
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The first path segment after each `prefix` in `code`; for a group
/// (`prefix{a, b::c}`), the first segment of each item.
fn imported(code: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        if at > 0 && code[..at].ends_with(|c: char| c == '$' || c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.insert(ident(&item));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|s| !s.is_empty() && s != "self");
    found
}

/// The import graph of `src/`, by top-level module.
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let module = module_of(&src, file);
        let code = code_of(&fs::read_to_string(file).unwrap());
        let mut names = imported(&code, "crate::");
        if module == "main" {
            names.extend(imported(&code, "exchange_exposure::"));
        }
        let targets = names.into_iter().map(|n| if modules.contains(&n) { n } else { "lib".to_string() });
        graph.entry(module.clone()).or_default().extend(targets.filter(|t| *t != module));
    }
    graph
}

fn imports(graph: &Graph, module: &str) -> BTreeSet<String> {
    graph.get(module).cloned().unwrap_or_else(|| panic!("no module {module} in src/"))
}

fn importers(graph: &Graph, target: &str) -> BTreeSet<String> {
    graph.iter().filter(|(_, to)| to.contains(target)).map(|(m, _)| m.clone()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_graph_is_read_from_the_real_files() {
    let graph = graph();
    assert!(graph.len() >= 20, "{graph:?}");
    // Edges known to exist, so an empty parse cannot pass the rules below.
    assert!(imports(&graph, "config").contains("cli"), "{graph:?}");
    assert!(imports(&graph, "assess").contains("table"), "{graph:?}");
    assert!(imports(&graph, "commands").contains("lib"), "grouped `crate::{{..}}` imports are read: {graph:?}");
    assert!(imports(&graph, "main").contains("config"), "{graph:?}");
}

#[test]
fn assess_imports_only_the_pure_core() {
    let graph = graph();
    let extra: Vec<_> =
        imports(&graph, "assess").difference(&set(&["build", "catalog", "evidence", "table"])).cloned().collect();
    assert!(extra.is_empty(), "assess imports {extra:?}");
}

#[test]
fn probe_never_imports_assess_or_table() {
    let probe = imports(&graph(), "probe");
    assert!(!probe.contains("assess"), "probe imports assess");
    assert!(!probe.contains("table"), "probe imports table");
}

#[test]
fn target_sanitize_and_evidence_sit_low() {
    let graph = graph();
    assert_eq!(imports(&graph, "target"), set(&["sanitize"]));
    assert_eq!(imports(&graph, "sanitize"), BTreeSet::new());
    assert_eq!(imports(&graph, "evidence"), set(&["build"]));
}

#[test]
fn report_never_imports_the_layers_above_or_the_prober() {
    let graph = graph();
    let report = imports(&graph, "report");
    for forbidden in ["cli", "config", "probe", "pipeline", "commands"] {
        assert!(!report.contains(forbidden), "report imports {forbidden}");
    }
}

#[test]
fn notify_reads_only_the_summary() {
    let graph = graph();
    let extra: Vec<_> =
        imports(&graph, "notify").difference(&set(&["assess", "report", "sanitize"])).cloned().collect();
    assert!(extra.is_empty(), "notify imports {extra:?}");
}

#[test]
fn build_and_table_sit_at_the_bottom() {
    let graph = graph();
    assert_eq!(imports(&graph, "build"), BTreeSet::new());
    assert_eq!(imports(&graph, "catalog"), set(&["build"]));
    assert_eq!(imports(&graph, "hash"), BTreeSet::new());
    assert_eq!(imports(&graph, "table"), set(&["bounded", "build", "catalog", "hash"]));
    assert_eq!(imports(&graph, "bounded"), BTreeSet::new());
}

#[test]
fn the_data_store_and_the_data_sit_below_the_commands_and_beside_the_prober() {
    let graph = graph();
    for module in ["datastore", "dataset", "msdata"] {
        let found = imports(&graph, module);
        for forbidden in ["cli", "config", "commands", "probe", "pipeline", "assess"] {
            assert!(!found.contains(forbidden), "{module} imports {forbidden}");
        }
    }
}

#[test]
fn no_module_imports_commands() {
    assert_eq!(importers(&graph(), "commands"), BTreeSet::new());
}

#[test]
fn only_config_lib_and_main_import_cli() {
    let allowed = set(&["config", "lib", "main"]);
    let graph = graph();
    let extra: Vec<_> = importers(&graph, "cli").difference(&allowed).cloned().collect();
    assert!(extra.is_empty(), "new importers of cli: {extra:?}");
}

#[test]
fn only_commands_lib_and_main_import_config() {
    let allowed = set(&["commands", "lib", "main"]);
    let graph = graph();
    let extra: Vec<_> = importers(&graph, "config").difference(&allowed).cloned().collect();
    assert!(extra.is_empty(), "new importers of config: {extra:?}");
}

#[test]
fn pipeline_takes_typed_settings_not_the_command_line() {
    let graph = graph();
    let pipeline = imports(&graph, "pipeline");
    for forbidden in ["cli", "config", "commands"] {
        assert!(!pipeline.contains(forbidden), "pipeline imports {forbidden}");
    }
}

#[test]
fn inventory_mail_and_sim_stay_below_the_pipeline() {
    let graph = graph();
    for (module, forbidden) in [
        ("inventory", &["probe", "assess", "report", "config", "cli", "pipeline"][..]),
        ("mail", &["probe", "assess", "report", "config", "cli", "pipeline"][..]),
        ("sim", &["probe", "report", "config", "cli", "pipeline"][..]),
    ] {
        let found = imports(&graph, module);
        for f in forbidden {
            assert!(!found.contains(*f), "{module} imports {f}");
        }
    }
}

#[test]
fn verdicts_are_constructed_only_in_assess() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in &files {
        if module_of(&src, file) == "assess" || file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let code = code_of(&fs::read_to_string(file).unwrap());
        if code.contains("without_build(") || code.contains("Verdict {") {
            found.push(file.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    assert!(found.is_empty(), "verdicts constructed outside assess in {found:?}");
}

/// Every cycle in the graph, each as the path that closes it
/// (`a -> b -> a`), found by depth-first search from every module.
fn cycles(graph: &Graph) -> Vec<String> {
    fn walk(graph: &Graph, path: &mut Vec<String>, found: &mut BTreeSet<String>) {
        let here = path.last().unwrap().clone();
        for next in graph.get(&here).into_iter().flatten() {
            if let Some(at) = path.iter().position(|m| m == next) {
                // Name each cycle once, from its smallest module.
                let ring = &path[at..];
                let start = ring.iter().enumerate().min_by_key(|(_, m)| *m).map(|(i, _)| i).unwrap();
                let mut named: Vec<&str> = ring[start..].iter().chain(&ring[..start]).map(String::as_str).collect();
                named.push(named[0]);
                found.insert(named.join(" -> "));
            } else if graph.contains_key(next) {
                path.push(next.clone());
                walk(graph, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for module in graph.keys() {
        walk(graph, &mut vec![module.clone()], &mut found);
    }
    found.into_iter().collect()
}

#[test]
fn no_import_cycles() {
    let found = cycles(&graph());
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn cycles_are_found_when_there_are_some() {
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default().insert("a".into());
    graph.entry("c".into()).or_default().insert("d".into());
    graph.entry("d".into()).or_default().insert("lib".into());
    assert_eq!(cycles(&graph), vec!["a -> b -> c -> a".to_string()]);
}

/// The code of every file of a top-level module (tests left out).
fn module_code(module: &str) -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .iter()
        .filter(|f| module_of(&src, f) == module && f.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|f| (f.strip_prefix(&src).unwrap().display().to_string(), code_of(&fs::read_to_string(f).unwrap())))
        .collect()
}

#[test]
fn import_and_hunt_read_files_only() {
    let graph = graph();
    for module in ["import", "hunt"] {
        let found = imports(&graph, module);
        for forbidden in ["assess", "report", "pipeline", "config", "cli", "commands", "sim", "inventory"] {
            assert!(!found.contains(forbidden), "{module} imports {forbidden}");
        }
        let files = module_code(module);
        assert!(!files.is_empty(), "no files of {module}");
        for (file, code) in &files {
            // Of the prober, only the pure markers.
            for (at, _) in code.match_indices("crate::probe") {
                let rest = &code[at + "crate::probe".len()..];
                assert!(rest.starts_with("::markers"), "{file} reaches into the prober beyond its markers");
            }
            for network in
                ["tokio", "TcpStream", "UdpSocket", "std::net", "hyper::client", "hickory", "rustls", "openssl"]
            {
                assert!(!code.contains(network), "{file} uses {network}");
            }
        }
    }
    let hunt = module_code("hunt");
    for (file, code) in &hunt {
        for (at, _) in code.match_indices("crate::import") {
            assert!(
                code[at + "crate::import".len()..].starts_with("::lines"),
                "{file} uses import beyond its line reader"
            );
        }
    }
}
