//! The files of one collected server: a folder walked (symlinks are not
//! followed) or a ZIP read entry by entry in memory, never extracted, with
//! bounds a hostile archive cannot pass: entries whose names climb out
//! (`..`, absolute paths) are skipped, and caps hold the number of entries,
//! each entry's size, its compression ratio, and the archive's total.
//! Every file reaches the caller as a relative path with `\` separators
//! (`\Logging\HttpProxy\Owa\x.log`, as Windows names it) and a reader.

use crate::sanitize::clean_long;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Bounds on what a ZIP (or folder) may hold.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Entries (or files) read at most.
    pub entries: usize,
    /// The largest entry read, uncompressed.
    pub entry_bytes: u64,
    /// The most an entry may expand (uncompressed / compressed).
    pub ratio: u64,
    /// The most read from one archive in all.
    pub total_bytes: u64,
    /// The deepest folder walked.
    pub depth: usize,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps { entries: 200_000, entry_bytes: 16 << 30, ratio: 1_000, total_bytes: 256 << 30, depth: 64 }
    }
}

/// What a file handler is given: the relative path and its content.
pub type Visit<'a> = dyn FnMut(&str, &mut dyn BufRead) -> io::Result<()> + 'a;

/// Calls `visit` for every file of `input` (a folder or a `.zip`); what
/// was skipped, and why, goes to `notes`. An error means the input itself
/// could not be read.
pub fn each_file(input: &Path, caps: Caps, visit: &mut Visit, notes: &mut Vec<String>) -> io::Result<()> {
    if input.is_dir() {
        let mut count = 0;
        walk(input, input, 0, caps, &mut count, visit, notes)
    } else {
        zip_entries(input, caps, visit, notes)
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for part in rel.components() {
        out.push('\\');
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}

fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    caps: Caps,
    count: &mut usize,
    visit: &mut Visit,
    notes: &mut Vec<String>,
) -> io::Result<()> {
    if depth > caps.depth {
        notes.push(format!("{} skipped: deeper than {} folders", clean_long(&relative(root, dir)), caps.depth));
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            walk(root, &path, depth + 1, caps, count, visit, notes)?;
        } else if meta.is_file() {
            *count += 1;
            if *count > caps.entries {
                notes.push(format!("stopped after {} files", caps.entries));
                return Ok(());
            }
            let rel = relative(root, &path);
            match std::fs::File::open(&path) {
                Ok(file) => {
                    let mut reader = BufReader::with_capacity(256 * 1024, file.take(caps.entry_bytes));
                    if let Err(err) = visit(&rel, &mut reader) {
                        notes.push(format!("{} could not be read: {err}", clean_long(&rel)));
                    }
                }
                Err(err) => notes.push(format!("{} could not be opened: {err}", clean_long(&rel))),
            }
        } else {
            // A symlink, FIFO or device: never followed or read.
            notes.push(format!("{} skipped: not a regular file", clean_long(&relative(root, &path))));
        }
    }
    Ok(())
}

fn zip_entries(input: &Path, caps: Caps, visit: &mut Visit, notes: &mut Vec<String>) -> io::Result<()> {
    let file = std::fs::File::open(input)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(io::Error::other)?;
    if archive.len() > caps.entries {
        notes.push(format!("the archive has {} entries; only the first {} are read", archive.len(), caps.entries));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len().min(caps.entries) {
        let mut entry = match archive.by_index(index) {
            Ok(entry) => entry,
            Err(err) => {
                notes.push(format!("entry {index} could not be read: {}", clean_long(&err.to_string())));
                continue;
            }
        };
        let raw_name = clean_long(&entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("#{index}")));
        if entry.is_dir() {
            continue;
        }
        let Some(name) = entry.enclosed_name() else {
            notes.push(format!("entry {raw_name} skipped: its name leaves the archive (path traversal)"));
            continue;
        };
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > caps.entry_bytes {
            notes.push(format!("entry {raw_name} skipped: {size} bytes, over the {} GiB cap", caps.entry_bytes >> 30));
            continue;
        }
        if size > 1 << 20 && size / packed.max(1) > caps.ratio {
            notes.push(format!("entry {raw_name} skipped: expands {}x, a zip bomb's ratio", size / packed.max(1)));
            continue;
        }
        if total + size > caps.total_bytes {
            notes.push(format!(
                "stopped at entry {raw_name}: the archive's total is over {} GiB",
                caps.total_bytes >> 30
            ));
            break;
        }
        let mut rel = String::new();
        for part in name.components() {
            rel.push('\\');
            rel.push_str(&part.as_os_str().to_string_lossy());
        }
        // Never more than the declared size, whatever the stream expands to.
        let mut counted = Counted { inner: (&mut entry).take(size), read: 0 };
        let outcome = {
            let mut reader = BufReader::with_capacity(256 * 1024, &mut counted);
            visit(&rel, &mut reader)
        };
        total += counted.read;
        if let Err(err) = outcome {
            notes.push(format!("entry {raw_name} could not be read: {}", clean_long(&err.to_string())));
        }
    }
    Ok(())
}

struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}
