//! `--version`: the version and the release catalog's date.

use crate::Outcome;
use crate::config::Config;
use anyhow::Result;
use std::io::{self, Write};

/// `--version`: the version and the release catalog's date; with `-v`,
/// also each advisory's table id.
pub fn version(config: &Config) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "exchange-exposure {} (release catalog: newest release {})",
        env!("CARGO_PKG_VERSION"),
        config.data.catalog_date()
    )?;
    if config.verbose {
        for t in &config.data.tables {
            writeln!(out, "table {}: {} ({} rows)", t.advisory, t.id, t.rows.len())?;
        }
        let p = &config.data_provenance;
        let place = match &p.origin {
            crate::datastore::Origin::Builtin => String::new(),
            crate::datastore::Origin::Downloaded(path) => format!(", {}", path.display()),
        };
        writeln!(
            out,
            "data {} ({}{place}; schema {}; confirmed against Microsoft {})",
            p.id(),
            p.origin_name(),
            p.manifest.schema,
            p.confirmed().strftime("%Y-%m-%d")
        )?;
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
