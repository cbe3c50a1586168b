//! Maintainers' tool: regenerates the built-in data's derived files
//! (`data/msrc-cves.csv`, `data/catalog-sources.csv`) from the recorded
//! sources under `data/sources/`, with the same `msdata::derive` a data
//! update runs (docs/data.md, "Regenerating the built-in data").
//!
//! ```text
//! cargo run --example regenerate-data                         # data/sources -> data/
//! cargo run --example regenerate-data -- extract 2021-Mar cvrfDocument-2021-Mar.xml
//!                                                             # a CVRF month -> data/sources/cvrf/2021-Mar.csv
//! ```

use anyhow::{Context, Result, bail};
use exchange_exposure::msdata;
use std::collections::BTreeMap;
use std::path::Path;

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            let sources = root.join("data/sources");
            let mut extracts = BTreeMap::new();
            for entry in std::fs::read_dir(sources.join("cvrf")).context("data/sources/cvrf")? {
                let path = entry?.path();
                let Some(id) =
                    path.file_stem().and_then(|s| s.to_str()).filter(|_| path.extension().is_some_and(|e| e == "csv"))
                else {
                    continue;
                };
                extracts.insert(id.to_string(), std::fs::read(&path)?);
            }
            let csv = std::fs::read(sources.join("ExchangeBuildNumbers.csv"))?;
            let html = std::fs::read(sources.join("build-numbers-and-release-dates.html"))?;
            let files = msdata::derive(&extracts, &csv, &html)?;
            exchange_exposure::dataset::DataSet::from_files(&files)?;
            for name in msdata::DERIVED {
                std::fs::write(root.join("data").join(name), &files.0[name])?;
                println!("wrote data/{name} ({} months)", extracts.len());
            }
            Ok(())
        }
        [cmd, id, xml] if cmd == "extract" => {
            let bytes = std::fs::read(xml).with_context(|| format!("cannot read {xml}"))?;
            let extract = msdata::extract_month(id, &bytes)?;
            let lines = extract.iter().filter(|b| **b == b'\n').count();
            if lines <= 1 {
                println!("{id}: no Exchange product, nothing written");
                return Ok(());
            }
            let out = root.join("data/sources/cvrf").join(format!("{id}.csv"));
            std::fs::write(&out, extract)?;
            println!("wrote {} ({} rows)", out.display(), lines - 1);
            Ok(())
        }
        _ => bail!("usage: regenerate-data [extract MONTH-ID FILE.xml]"),
    }
}
