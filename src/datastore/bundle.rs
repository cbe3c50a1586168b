//! One data set as one file: a first line naming the format, the manifest
//! (JSON, one line), then every part's bytes in the manifest's order. The
//! data dir keeps the data in use in this form, and `data export` writes it:
//! reading one back checks the format, the schema version (semver: this
//! binary's major only), the size and SHA-256 of every part and the data
//! set's id, so a damaged or tampered file is refused as a whole.

use crate::dataset::{Files, SCHEMA_VERSION};
use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

/// The first line of a bundle.
const MAGIC: &[u8] = b"exchange-exposure data bundle\n";

/// The most a bundle file may hold: the data set is a few MiB, so a larger
/// file is not one (and must not fill memory).
pub const MAX_BUNDLE: u64 = 256 << 20;

/// The most a manifest line may hold.
const MAX_MANIFEST: usize = 4 << 20;

/// The most parts a bundle may have.
const MAX_PARTS: usize = 1000;

/// What a bundle says about its data set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The data set's schema version (semver).
    pub schema: String,
    /// The data set's id: `data_id` of its parts.
    pub id: String,
    /// When this data set was made (RFC 3339).
    pub created: String,
    /// When it was last confirmed current against its sources (RFC 3339).
    pub confirmed: String,
    /// `update` (fetched by `data update`) or `built-in` (the compiled-in data, exported).
    pub origin: String,
    /// Where an update fetched from: `Microsoft`, or the mirror's base URL.
    pub from: String,
    /// When it came in by `data import`: the file and the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    /// Each source, with its URL and fetch times.
    pub sources: Vec<Source>,
    /// Each part: name, size, SHA-256.
    pub parts: Vec<Part>,
}

/// How a data set came in by `data import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// The file imported, as given.
    pub file: String,
    /// When (RFC 3339).
    pub at: String,
}

/// One source a data set was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `msrc-updates`, `msrc-cvrf 2021-Mar`, `build-list` or `learn-page`.
    pub name: String,
    /// Where it was fetched.
    pub url: String,
    /// When its content was last downloaded (RFC 3339).
    pub fetched: String,
    /// When it was last confirmed unchanged or downloaded (RFC 3339).
    pub checked: String,
}

/// One part of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The file name (flat, as data/ names it).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// SHA-256, hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The data set's id: SHA-256 over every file in name order (its name, a
/// NUL, its length as 8 bytes little-endian, its bytes). The same files give
/// the same id wherever and whenever they were fetched.
pub fn data_id(files: &Files) -> String {
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    for (name, bytes) in &files.0 {
        digest.update(name.as_bytes());
        digest.update(&[0]);
        digest.update(&(bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
    }
    hex(digest.finish().as_ref())
}

/// The parts of `files`, for a manifest.
pub fn parts(files: &Files) -> Vec<Part> {
    files
        .0
        .iter()
        .map(|(name, bytes)| Part { name: name.clone(), size: bytes.len() as u64, sha256: sha256(bytes) })
        .collect()
}

/// The bundle of `files` under `manifest` (whose parts and id are set from the files).
pub fn write(manifest: &Manifest, files: &Files) -> Result<Vec<u8>> {
    let manifest = Manifest { parts: parts(files), id: data_id(files), ..manifest.clone() };
    let mut out = MAGIC.to_vec();
    serde_json::to_writer(&mut out, &manifest)?;
    out.push(b'\n');
    for bytes in files.0.values() {
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Whether this binary reads data of schema `version`: the same major only.
pub fn check_schema(version: &str) -> Result<()> {
    let theirs = semver::Version::parse(version)
        .with_context(|| format!("the data's schema version {version:?} is not semver"))?;
    let ours = semver::Version::parse(SCHEMA_VERSION).expect("SCHEMA_VERSION is semver");
    if theirs.major > ours.major {
        bail!(
            "the data's schema is {theirs}, newer than this binary reads ({}.x): update exchange-exposure to read this data",
            ours.major
        );
    }
    ensure!(
        theirs.major == ours.major,
        "the data's schema is {theirs}, older than this binary reads ({}.x): run `exchange-exposure data update` for new data",
        ours.major
    );
    Ok(())
}

/// Reads a bundle: its manifest and files, every check passed.
pub fn read(bytes: &[u8]) -> Result<(Manifest, Files)> {
    let rest = bytes.strip_prefix(MAGIC).context("not an exchange-exposure data bundle (the first line is wrong)")?;
    let end = rest
        .iter()
        .take(MAX_MANIFEST + 1)
        .position(|b| *b == b'\n')
        .context("the manifest line is missing or too long")?;
    let manifest: Manifest = serde_json::from_slice(&rest[..end]).context("the manifest is not valid")?;
    check_schema(&manifest.schema)?;
    ensure!(
        manifest.parts.len() <= MAX_PARTS,
        "the manifest lists {} parts (at most {MAX_PARTS})",
        manifest.parts.len()
    );
    let mut body = &rest[end + 1..];
    let mut files = Files::default();
    for part in &manifest.parts {
        let name = &part.name;
        ensure!(
            !name.is_empty()
                && name.len() <= 100
                && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !name.starts_with('.'),
            "the manifest names a part {:?}: not a plain file name",
            crate::sanitize::printable(name)
        );
        ensure!(
            part.size <= body.len() as u64,
            "part {name}: the file ends before its {} bytes (truncated)",
            part.size
        );
        let (bytes, after) = body.split_at(part.size as usize);
        ensure!(
            sha256(bytes) == part.sha256,
            "part {name}: its SHA-256 does not match the manifest (damaged or altered)"
        );
        ensure!(files.0.insert(name.clone(), bytes.to_vec()).is_none(), "part {name} is listed twice");
        body = after;
    }
    ensure!(body.is_empty(), "{} bytes follow the last part (not what the manifest lists)", body.len());
    ensure!(data_id(&files) == manifest.id, "the data set's id does not match its parts (damaged or altered)");
    Ok((manifest, files))
}

/// Reads a bundle file, at most `MAX_BUNDLE` bytes of it.
pub fn read_file(path: &std::path::Path) -> Result<(Manifest, Files)> {
    let bytes = read_capped(path, MAX_BUNDLE)?;
    read(&bytes).with_context(|| format!("{}", path.display()))
}

/// A file's bytes, refused past `cap` (checked as it is read, so a FIFO or a
/// growing file cannot fill memory).
pub fn read_capped(path: &std::path::Path, cap: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    ensure!(bytes.len() as u64 <= cap, "{} is larger than {} MiB: not a data bundle", path.display(), cap >> 20);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Manifest, Files) {
        let files =
            Files([("a.csv".to_string(), b"x,y\n1,2\n".to_vec()), ("b.csv".to_string(), b"z\n".to_vec())].into());
        let manifest = Manifest {
            schema: SCHEMA_VERSION.into(),
            id: String::new(),
            created: "2026-12-01T00:00:00Z".into(),
            confirmed: "2026-12-01T00:00:00Z".into(),
            origin: "update".into(),
            from: "Microsoft".into(),
            imported: None,
            sources: Vec::new(),
            parts: Vec::new(),
        };
        (manifest, files)
    }

    #[test]
    fn a_bundle_reads_back_as_written() {
        let (manifest, files) = sample();
        let bytes = write(&manifest, &files).unwrap();
        let (back, back_files) = read(&bytes).unwrap();
        assert_eq!(back_files, files);
        assert_eq!(back.id, data_id(&files));
        assert_eq!(back.parts.len(), 2);
        assert_eq!(back.parts[1].sha256, sha256(b"z\n"));
    }

    #[test]
    fn a_changed_byte_a_cut_or_an_added_byte_is_refused() {
        let (manifest, files) = sample();
        let bytes = write(&manifest, &files).unwrap();
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(format!("{:#}", read(&flipped).unwrap_err()).contains("SHA-256 does not match"));
        assert!(format!("{:#}", read(&bytes[..bytes.len() - 1]).unwrap_err()).contains("truncated"));
        let mut longer = bytes.clone();
        longer.push(b'\n');
        assert!(read(&longer).is_err());
        assert!(read(b"PK\x03\x04 not a bundle").is_err());
    }

    #[test]
    fn schemas_of_another_major_are_refused_with_the_reason() {
        check_schema("1.7.3").unwrap();
        let newer = format!("{:#}", check_schema("2.0.0").unwrap_err());
        assert!(newer.contains("update exchange-exposure to read this data"), "{newer}");
        assert!(check_schema("0.9.0").is_err());
        assert!(check_schema("one").is_err());
    }

    #[test]
    fn the_id_depends_on_names_and_bytes_not_on_how_they_split() {
        let one = Files([("ab".to_string(), b"c".to_vec())].into());
        let two = Files([("a".to_string(), b"bc".to_vec())].into());
        assert_ne!(data_id(&one), data_id(&two));
        assert_eq!(data_id(&one), data_id(&one.clone()));
    }
}
