//! `data status|update|export|import|rollback`: the data judging uses —
//! show it, refresh it from Microsoft, carry it to a machine without
//! internet, return to the copy before. Also `judging_data`, which the
//! judging commands call once to get their data set, its provenance for the
//! report, and the staleness checks (`--max-data-age`, the 90-day warning).

use crate::Outcome;
use crate::config::{Config, Data};
use crate::datastore::{self, Loaded, Origin, bundle, update};
use crate::report::Format;
use anyhow::{Context, Result, bail};
use std::io::{self, Write};
use std::path::Path;

/// The data set a judging command (`scan`, `check`, `headers`, `demo`)
/// uses, loaded once; warns past 90 days and refuses (exit 2, before any
/// probing) past `--max-data-age`.
pub fn judging_data(config: &Config) -> Result<Loaded> {
    let loaded = Loaded { dataset: config.data.clone(), provenance: config.data_provenance.clone() };
    let now = jiff::Timestamp::now();
    datastore::check_age(&loaded.provenance, config.max_data_age, now)?;
    if let Some(warning) = datastore::age_warning(&loaded.provenance, now)
        && !config.quiet
    {
        eprintln!("exchange-exposure: {warning}");
    }
    Ok(loaded)
}

/// `data ...`.
pub fn data(config: &Config, command: Data) -> Result<Outcome> {
    match command {
        Data::Status => status(config),
        Data::Update(request) => update_data(config, &request),
        Data::Export(file) => export(config, &file),
        Data::Import(file) => import(config, &file),
        Data::Rollback => {
            let loaded = datastore::rollback(config.data_choice.dir()?)?;
            if !config.quiet {
                eprintln!("exchange-exposure: data rollback: now using {}", describe(&loaded));
            }
            Ok(Outcome::Clean)
        }
    }
}

/// One line naming a data set: id, origin, confirmation.
fn describe(loaded: &Loaded) -> String {
    let p = &loaded.provenance;
    format!(
        "data {} ({}, confirmed against Microsoft {})",
        &p.id()[..12.min(p.id().len())],
        p.origin_name(),
        p.confirmed().strftime("%Y-%m-%d")
    )
}

fn update_data(config: &Config, request: &update::Request) -> Result<Outcome> {
    match update::run(&config.data_choice, request) {
        Ok(update::Done::Updated(loaded)) => {
            if !config.quiet {
                eprintln!("exchange-exposure: data update: updated: now using {}", describe(&loaded));
            }
            Ok(Outcome::Clean)
        }
        Ok(update::Done::Current(loaded)) => {
            if !config.quiet {
                eprintln!("exchange-exposure: data update: already current: {}", describe(&loaded));
            }
            Ok(Outcome::Clean)
        }
        Err(err) => Err(err.context("data update failed; the data in use is unchanged")),
    }
}

fn export(config: &Config, file: &Path) -> Result<Outcome> {
    let loaded = datastore::load(&config.data_choice)?;
    let files = match &loaded.provenance.origin {
        Origin::Builtin => crate::dataset::DataSet::builtin_files(),
        Origin::Downloaded(path) => bundle::read_file(path)?.1,
    };
    let bytes = bundle::write(&loaded.provenance.manifest, &files)?;
    datastore::write_atomically(file, &bytes).with_context(|| format!("cannot write {}", file.display()))?;
    if !config.quiet {
        eprintln!("exchange-exposure: data export: wrote {} to {}", describe(&loaded), file.display());
    }
    Ok(Outcome::Clean)
}

fn import(config: &Config, file: &Path) -> Result<Outcome> {
    let refused = || format!("data import {}: refused; the data in use is unchanged", file.display());
    let (manifest, files) = bundle::read_file(file).with_context(refused)?;
    let new = crate::dataset::DataSet::from_files(&files).with_context(refused)?;
    let dir = config.data_choice.dir()?;
    let current = datastore::load(&datastore::Choice { dir: Some(dir.to_path_buf()), builtin: false })
        .unwrap_or_else(|_| datastore::builtin());
    crate::msdata::gate(&new, &current.dataset)
        .context("the validation gate refused the data")
        .with_context(refused)?;
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let manifest =
        bundle::Manifest { imported: Some(bundle::Imported { file: file.display().to_string(), at: now }), ..manifest };
    let same = matches!(current.provenance.origin, Origin::Downloaded(_)) && current.provenance.id() == manifest.id;
    datastore::install(dir, &manifest, &files, same)?;
    let loaded = datastore::load(&datastore::Choice { dir: Some(dir.to_path_buf()), builtin: false })?;
    if !config.quiet {
        eprintln!("exchange-exposure: data import: now using {}", describe(&loaded));
    }
    Ok(Outcome::Clean)
}

/// `data status`: what is in use, as text (default), CSV (field,value) or one JSON object.
fn status(config: &Config) -> Result<Outcome> {
    let loaded = datastore::load(&config.data_choice)?;
    let p = &loaded.provenance;
    let m = &p.manifest;
    let now = jiff::Timestamp::now();
    let (in_use, path) = match &p.origin {
        Origin::Builtin => ("built-in".to_string(), String::new()),
        Origin::Downloaded(path) => ("downloaded".to_string(), path.display().to_string()),
    };
    let release = loaded.dataset.newest_release();
    let cve = loaded.dataset.newest_cve();
    let previous = config.data_choice.dir.as_deref().map(datastore::previous).filter(|p| p.exists());
    let previous_id = previous.as_deref().and_then(|p| bundle::read_file(p).ok()).map(|(m, _)| m.id);
    let mut fields: Vec<(&str, String)> = vec![
        ("in_use", in_use),
        ("path", path),
        ("data_dir", config.data_choice.dir.as_deref().map(|d| d.display().to_string()).unwrap_or_default()),
        ("id", m.id.clone()),
        ("schema", m.schema.clone()),
        ("created", m.created.clone()),
        ("confirmed", m.confirmed.clone()),
        ("age_days", p.age_days(now).to_string()),
        ("from", m.from.clone()),
        ("imported_from", m.imported.as_ref().map(|i| format!("{} at {}", i.file, i.at)).unwrap_or_default()),
        ("newest_release", release.map(|(name, build, date)| format!("{name} {build} ({date})")).unwrap_or_default()),
        ("newest_cve", cve.map(|(id, date)| format!("{id} ({date})")).unwrap_or_default()),
        ("previous_id", previous_id.unwrap_or_default()),
    ];
    for f in &mut fields {
        f.1 = crate::sanitize::printable(&f.1);
    }
    let clean = |s: &str| crate::sanitize::printable(s);
    let mut out = io::stdout().lock();
    match config.format.unwrap_or(Format::Table) {
        Format::Table => {
            for (name, value) in &fields {
                if !value.is_empty() {
                    writeln!(out, "{:<15} {value}", format!("{name}:"))?;
                }
            }
            let sources = datastore::sources(&loaded);
            if sources.is_empty() {
                writeln!(out, "sources:        the recorded copies compiled in (see README, \"Where data lives\")")?;
            } else {
                writeln!(out, "sources:")?;
                let rows: Vec<[String; 4]> = sources
                    .iter()
                    .map(|s| [clean(&s.name), clean(&s.url), clean(&s.fetched), clean(&s.checked)])
                    .collect();
                crate::report::write_aligned(&mut out, &["source", "url", "fetched", "checked"], &rows)?;
            }
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(&mut out);
            csv.write_record(["field", "value"])?;
            for (name, value) in &fields {
                csv.write_record([name, value.as_str()].map(crate::sanitize::neutralise_formula))?;
            }
            for s in datastore::sources(&loaded) {
                let name = clean(&s.name);
                for (what, value) in [("url", &s.url), ("fetched", &s.fetched), ("checked", &s.checked)] {
                    let row = [format!("source {name} {what}"), clean(value)];
                    csv.write_record(row.iter().map(|c| crate::sanitize::neutralise_formula(c)))?;
                }
            }
            csv.flush()?;
        }
        Format::Jsonl => {
            let mut obj: serde_json::Map<String, serde_json::Value> =
                fields.iter().map(|(k, v)| (k.to_string(), v.clone().into())).collect();
            obj.insert("age_days".into(), p.age_days(now).into());
            let sources: Vec<serde_json::Value> = datastore::sources(&loaded)
                .iter()
                .map(|s| serde_json::json!({"name": clean(&s.name), "url": clean(&s.url), "fetched": s.fetched, "checked": s.checked}))
                .collect();
            obj.insert("sources".into(), sources.into());
            serde_json::to_writer(&mut out, &obj)?;
            writeln!(out)?;
        }
        other => bail!("data status has no {} form; use --format table, csv or jsonl", other.name()),
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
