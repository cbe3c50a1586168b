//! `--version`: the version and the release catalog's date.

use crate::Outcome;
use crate::config::Config;
use crate::table::Table;
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
        crate::catalog::date()
    )?;
    if config.verbose {
        for t in crate::table::ADVISORIES.iter().filter_map(|(id, _)| Table::advisory(id)) {
            writeln!(out, "table {}: {} ({} rows)", t.advisory, t.id, t.rows.len())?;
        }
        match crate::datastore::load(&config.data) {
            Ok(loaded) => {
                let p = &loaded.provenance;
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
            Err(err) => writeln!(out, "data: cannot be loaded: {err:#}")?,
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
