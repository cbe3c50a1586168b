//! The crate's import rules (issue 13), checked against the source itself:
//! every `src/**/*.rs` file is read, its `crate::` paths (and `main.rs`'s
//! `exchange_exposure::` paths) are collected per top-level module, and the
//! rules below are asserted on that graph. Unit-test code (`tests.rs` files
//! and `#[cfg(test)] mod tests { .. }` blocks) is left out: tests may reach
//! across modules for fixtures.
//!
//! Rules that hold today, asserted here:
//!
//! - Verdicts are constructed only in `assess` (`src/assess.rs`,
//!   `src/assess/`): no other file calls `Verdict::without_build` or writes a
//!   `Verdict { .. }` literal.
//! - `assess` (every status decision) imports only `build` and `table`: never
//!   `probe`, `report`, `cli`, `config` or anything doing I/O.
//! - `probe` never imports `table`: the prober gathers facts, `assess` judges.
//! - `report` never imports `probe`, `pipeline` or `commands`.
//! - `build` imports nothing from the crate; `table` imports only `build`.
//! - No module imports `commands` (only `lib` declares and calls it).
//! - `cli` is imported only by `config`, `lib` and `main`, and by `report`
//!   until it no longer names `cli::Format`: the list may only shrink.
//! - `config` is imported only by `commands`, `lib` and `main`, and by
//!   `report` until it no longer reads `Config`: the list may only shrink.
//! - `pipeline` takes typed settings: it never imports `cli`, `config` or
//!   `commands`.
//! - `inventory` and `mail` never import `assess`, `report`, `config`, `cli`
//!   or `pipeline`; `sim` never imports `report`, `config`, `cli` or
//!   `pipeline`.
//!
//! Rules from issue 13 that do NOT hold yet (not asserted; add each here
//! when it does):
//!
//! - "`report` never imports `cli` or `config`": `report/mod.rs` imports
//!   `cli::Format` and `config`, `report/outputs.rs` imports `cli`,
//!   `report/provenance.rs` imports `config`.
//! - "`probe` never imports `assess`": `probe` builds `assess::Evidence` and
//!   hands `assess::HostFacts` over (the facts type lives in `assess`).
//! - "`inventory`, `mail` and `sim` never import `probe`": they use
//!   `probe::http::Endpoint`, the text cleaner in `probe::markers`, and the
//!   prober's TLS provider.
//! - "only `config`, `lib` and `main` import `cli`": `report` does too
//!   (`report/mod.rs` and `report/outputs.rs` name `cli::Format`).
//! - "no import cycles": `config` <-> `report`, `accept` <-> `report` and
//!   `inventory` <-> `targets` import each other.

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
    assert!(imports(&graph, "main").contains("cli"), "{graph:?}");
}

#[test]
fn assess_imports_only_the_pure_core() {
    let graph = graph();
    let extra: Vec<_> = imports(&graph, "assess").difference(&set(&["build", "table"])).cloned().collect();
    assert!(extra.is_empty(), "assess imports {extra:?}");
}

#[test]
fn probe_never_imports_table() {
    assert!(!imports(&graph(), "probe").contains("table"));
}

#[test]
fn report_never_imports_probe_pipeline_or_commands() {
    let graph = graph();
    let report = imports(&graph, "report");
    for forbidden in ["probe", "pipeline", "commands"] {
        assert!(!report.contains(forbidden), "report imports {forbidden}");
    }
}

#[test]
fn build_and_table_sit_at_the_bottom() {
    let graph = graph();
    assert_eq!(imports(&graph, "build"), BTreeSet::new());
    assert_eq!(imports(&graph, "table"), set(&["build"]));
}

#[test]
fn no_module_imports_commands() {
    assert_eq!(importers(&graph(), "commands"), BTreeSet::new());
}

#[test]
fn cli_importers_only_shrink() {
    // `report` leaves this list when the output format moves into it.
    let allowed = set(&["config", "lib", "main", "report"]);
    let graph = graph();
    let extra: Vec<_> = importers(&graph, "cli").difference(&allowed).cloned().collect();
    assert!(extra.is_empty(), "new importers of cli: {extra:?}");
}

#[test]
fn config_importers_only_shrink() {
    // `report` leaves this list when `Row::judged` and `Run::now` no longer read `Config`.
    let allowed = set(&["commands", "lib", "main", "report"]);
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
        ("inventory", &["assess", "report", "config", "cli", "pipeline"][..]),
        ("mail", &["assess", "report", "config", "cli", "pipeline"][..]),
        ("sim", &["report", "config", "cli", "pipeline"][..]),
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
