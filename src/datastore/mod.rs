//! Where the data judging uses lives, and how it changes: the compiled-in
//! data set, or the one `data update` / `data import` put in the data dir
//! (`DIR/current.bundle`, the one before it kept as `DIR/previous.bundle`
//! for `data rollback`; `DIR/cache/` holds the sources' validators and month
//! extracts). `load` is the one place a command gets its data set and its
//! provenance (id, origin, when it was confirmed against Microsoft).
//! Replacing the data is atomic: a reader sees the old bundle or the new one,
//! never a half-written one or none.

pub mod bundle;
pub mod fetch;
pub mod update;

use crate::dataset::{DataSet, Files, SCHEMA_VERSION};
use anyhow::{Context, Result, bail};
use bundle::{Manifest, Source};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the data comes from, as the command line chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The data dir (`--data-dir`, `EXCHANGE_EXPOSURE_DATA_DIR`, the XDG
    /// default); `None` when no home directory is known either.
    pub dir: Option<PathBuf>,
    /// `--data builtin`: the compiled-in data, whatever the data dir holds.
    pub builtin: bool,
}

impl Choice {
    /// The data dir, or an error saying how to name one.
    pub fn dir(&self) -> Result<&Path> {
        self.dir.as_deref().context("no data dir: give --data-dir DIR or set EXCHANGE_EXPOSURE_DATA_DIR (neither XDG_DATA_HOME nor HOME is set)")
    }
}

/// The default data dir: `$XDG_DATA_HOME/exchange-exposure`, else
/// `$HOME/.local/share/exchange-exposure` (an empty variable counts as unset,
/// and XDG_DATA_HOME must be absolute, as the XDG spec says).
pub fn default_dir(xdg_data_home: Option<&std::ffi::OsStr>, home: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let xdg = xdg_data_home.map(PathBuf::from).filter(|p| p.is_absolute());
    let base = xdg.or_else(|| home.filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("exchange-exposure"))
}

/// Where a data set came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into this binary.
    Builtin,
    /// Put in the data dir by `data update` or `data import`: the bundle's path.
    Downloaded(PathBuf),
}

/// What a report records about the data it judged with, and `data status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProvenance {
    /// Built-in or downloaded (where).
    pub origin: Origin,
    /// The bundle's manifest (the built-in data's is made up from what this binary knows).
    pub manifest: Manifest,
}

impl DataProvenance {
    /// The data set's id (SHA-256).
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// When the data was last confirmed against Microsoft.
    pub fn confirmed(&self) -> jiff::Timestamp {
        self.manifest.confirmed.parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// `built-in` or `update`: what the data was made from (an imported
    /// export of the built-in data stays `built-in`).
    pub fn origin_name(&self) -> &'static str {
        match self.origin {
            Origin::Downloaded(_) if self.manifest.origin != "built-in" => "update",
            _ => "built-in",
        }
    }

    /// Whole days since the data was confirmed, as of `now`.
    pub fn age_days(&self, now: jiff::Timestamp) -> i64 {
        (now.as_second() - self.confirmed().as_second()).max(0) / 86_400
    }

    /// The plain values a report records.
    pub fn stamp(&self) -> crate::report::provenance::DataStamp {
        crate::report::provenance::DataStamp {
            id: self.id().to_string(),
            origin: self.origin_name().to_string(),
            confirmed: self.confirmed().strftime("%Y-%m-%d").to_string(),
        }
    }
}

/// A loaded data set and what it is.
pub struct Loaded {
    /// The data set, parsed and validated.
    pub dataset: Arc<DataSet>,
    /// Its id, origin and sources.
    pub provenance: DataProvenance,
}

/// Days after which every run warns that the data is old.
pub const WARN_AFTER_DAYS: i64 = 90;

/// The compiled-in data and its provenance. Its confirmation date is that of
/// the newest release it holds: the recorded sources it was built from were
/// captured no earlier.
pub fn builtin() -> Loaded {
    let dataset = DataSet::builtin();
    let files = DataSet::builtin_files();
    let day = dataset.newest_release().map(|(_, _, date)| date).unwrap_or_default();
    let confirmed = format!("{day}T00:00:00Z");
    let confirmed =
        if confirmed.parse::<jiff::Timestamp>().is_ok() { confirmed } else { "1970-01-01T00:00:00Z".into() };
    let manifest = Manifest {
        schema: SCHEMA_VERSION.into(),
        id: bundle::data_id(&files),
        created: confirmed.clone(),
        confirmed,
        origin: "built-in".into(),
        from: "recorded copies compiled into this binary".into(),
        imported: None,
        sources: Vec::new(),
        parts: bundle::parts(&files),
    };
    Loaded { dataset, provenance: DataProvenance { origin: Origin::Builtin, manifest } }
}

/// The data set in use: the compiled-in one (`--data builtin`, or nothing
/// downloaded yet), or the data dir's current bundle, checked and parsed. A
/// damaged bundle is an error (naming the way out), never silently replaced
/// by older data.
pub fn load(choice: &Choice) -> Result<Loaded> {
    let Some(dir) = choice.dir.as_deref().filter(|_| !choice.builtin) else { return Ok(builtin()) };
    let path = current(dir);
    if !path.exists() {
        return Ok(builtin());
    }
    load_bundle(&path).with_context(|| {
        format!(
            "the data in {} cannot be used (`exchange-exposure data rollback` returns to the previous copy, `data update` fetches anew, --data builtin uses the compiled-in data)",
            path.display()
        )
    })
}

/// A bundle file, checked and parsed.
fn load_bundle(path: &Path) -> Result<Loaded> {
    let (manifest, files) = bundle::read_file(path)?;
    let dataset = Arc::new(DataSet::from_files(&files)?);
    Ok(Loaded { dataset, provenance: DataProvenance { origin: Origin::Downloaded(path.to_path_buf()), manifest } })
}

/// The data dir's current bundle.
pub fn current(dir: &Path) -> PathBuf {
    dir.join("current.bundle")
}

/// The data dir's previous bundle (for `data rollback`).
pub fn previous(dir: &Path) -> PathBuf {
    dir.join("previous.bundle")
}

/// Writes `bytes` to `path` atomically (a temporary file in the same
/// directory, synced, then renamed over it).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().context("no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Makes `files` (described by `manifest`) the data in use: the current
/// bundle, if any, becomes the previous one (a hard link first, so a current
/// bundle exists at every moment), then the new bundle replaces the current
/// one in one rename. `keep_previous`: leave the previous bundle as it is
/// (the data did not change, only its confirmation).
pub fn install(dir: &Path, manifest: &Manifest, files: &Files, keep_previous: bool) -> Result<PathBuf> {
    let bytes = bundle::write(manifest, files)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    let (cur, prev) = (current(dir), previous(dir));
    if !keep_previous && cur.exists() {
        link_over(&cur, &prev)?;
    }
    write_atomically(&cur, &bytes)?;
    Ok(cur)
}

/// Makes `to` a second name of `from`'s file, replacing `to` in one rename.
fn link_over(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("link-tmp");
    let _ = std::fs::remove_file(&tmp);
    std::fs::hard_link(from, &tmp)
        .or_else(|_| std::fs::copy(from, &tmp).map(|_| ()))
        .with_context(|| format!("cannot keep {} as {}", from.display(), to.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("cannot replace {}", to.display()))?;
    Ok(())
}

/// `data rollback`: the previous bundle becomes the current one and the
/// current one the previous (so a second rollback undoes the first). The
/// previous bundle is checked before anything moves.
pub fn rollback(dir: &Path) -> Result<Loaded> {
    let (cur, prev) = (current(dir), previous(dir));
    if !prev.exists() {
        bail!("no previous data in {} to return to", dir.display());
    }
    let back = load_bundle(&prev).with_context(|| format!("the previous data {} cannot be used", prev.display()))?;
    let swap = dir.join("rollback.tmp");
    let _ = std::fs::remove_file(&swap);
    if cur.exists() {
        std::fs::hard_link(&cur, &swap)
            .or_else(|_| std::fs::copy(&cur, &swap).map(|_| ()))
            .context("cannot keep the current data")?;
    }
    std::fs::rename(&prev, &cur).with_context(|| format!("cannot replace {}", cur.display()))?;
    if swap.exists() {
        std::fs::rename(&swap, &prev).with_context(|| format!("cannot keep {}", prev.display()))?;
    }
    Ok(Loaded { provenance: DataProvenance { origin: Origin::Downloaded(cur), ..back.provenance }, ..back })
}

/// A bundle's provenance sources, for `data status`.
pub fn sources(loaded: &Loaded) -> &[Source] {
    &loaded.provenance.manifest.sources
}

/// The warning every run prints when the data is older than
/// `WARN_AFTER_DAYS`, or `None`.
pub fn age_warning(provenance: &DataProvenance, now: jiff::Timestamp) -> Option<String> {
    let days = provenance.age_days(now);
    (days > WARN_AFTER_DAYS).then(|| {
        format!(
            "warning: the data in use ({}) was last confirmed against Microsoft {days} days ago ({}); run `exchange-exposure data update`",
            provenance.origin_name(),
            provenance.confirmed().strftime("%Y-%m-%d")
        )
    })
}

/// `--max-data-age DAYS`: an error when the data was confirmed longer ago.
pub fn check_age(provenance: &DataProvenance, max_days: Option<u32>, now: jiff::Timestamp) -> Result<()> {
    let days = provenance.age_days(now);
    match max_days {
        Some(max) if days > i64::from(max) => bail!(
            "--max-data-age {max}: the data in use ({}, id {}) was last confirmed against Microsoft {days} days ago ({}); run `exchange-exposure data update` (or import newer data) first",
            provenance.origin_name(),
            &provenance.id()[..12.min(provenance.id().len())],
            provenance.confirmed().strftime("%Y-%m-%d")
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_default_dir_follows_xdg_then_home() {
        let some = |s: &'static str| Some(OsStr::new(s));
        assert_eq!(default_dir(some("/x/data"), some("/home/u")), Some(PathBuf::from("/x/data/exchange-exposure")));
        assert_eq!(default_dir(None, some("/home/u")), Some(PathBuf::from("/home/u/.local/share/exchange-exposure")));
        // Empty or relative XDG_DATA_HOME is ignored, as the spec says.
        assert_eq!(default_dir(some(""), some("/h")), Some(PathBuf::from("/h/.local/share/exchange-exposure")));
        assert_eq!(default_dir(some("rel"), some("/h")), Some(PathBuf::from("/h/.local/share/exchange-exposure")));
        assert_eq!(default_dir(None, None), None);
    }

    #[test]
    fn install_keeps_the_previous_copy_and_rollback_swaps_them() {
        let dir = tempfile::tempdir().unwrap();
        let choice = Choice { dir: Some(dir.path().to_path_buf()), builtin: false };
        assert_eq!(load(&choice).unwrap().provenance.origin, Origin::Builtin);
        let base = builtin().provenance.manifest;
        let one = DataSet::builtin_files();
        let mut two = one.clone();
        two.0.insert("extra.csv".into(), b"a\n".to_vec());
        install(dir.path(), &Manifest { origin: "update".into(), ..base.clone() }, &one, false).unwrap();
        install(dir.path(), &Manifest { origin: "update".into(), ..base.clone() }, &two, false).unwrap();
        let loaded = load(&choice).unwrap();
        assert_eq!(loaded.provenance.id(), bundle::data_id(&two));
        assert!(matches!(loaded.provenance.origin, Origin::Downloaded(_)));
        assert_eq!(rollback(dir.path()).unwrap().provenance.id(), bundle::data_id(&one));
        assert_eq!(load(&choice).unwrap().provenance.id(), bundle::data_id(&one));
        assert_eq!(rollback(dir.path()).unwrap().provenance.id(), bundle::data_id(&two));
        // --data builtin ignores the data dir.
        let forced = Choice { builtin: true, ..choice };
        assert_eq!(load(&forced).unwrap().provenance.origin, Origin::Builtin);
    }

    #[test]
    fn a_damaged_current_bundle_is_an_error_not_older_data() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(current(dir.path()), b"exchange-exposure data bundle\n{}").unwrap();
        let choice = Choice { dir: Some(dir.path().to_path_buf()), builtin: false };
        let err = format!("{:#}", load(&choice).err().unwrap());
        assert!(err.contains("data rollback"), "{err}");
    }

    #[test]
    fn age_is_counted_in_whole_days_and_checked_against_the_limit() {
        let mut p = builtin().provenance;
        p.manifest.confirmed = "2026-01-01T00:00:00Z".into();
        let now: jiff::Timestamp = "2026-04-11T12:00:00Z".parse().unwrap();
        assert_eq!(p.age_days(now), 100);
        assert!(age_warning(&p, now).unwrap().contains("100 days ago"));
        check_age(&p, Some(100), now).unwrap();
        let err = check_age(&p, Some(99), now).unwrap_err().to_string();
        assert!(err.contains("--max-data-age 99"), "{err}");
        check_age(&p, None, now).unwrap();
        p.manifest.confirmed = "2026-03-01T00:00:00Z".into();
        assert_eq!(age_warning(&p, now), None);
    }
}
