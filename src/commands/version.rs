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
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
