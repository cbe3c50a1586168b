//! `data update`: fetch Microsoft's sources (or a mirror's copies), turn
//! them into a data set (`msdata`), validate it, and install it. Every
//! request is conditional once a copy is cached (`DIR/cache/`): a month's
//! document is asked for only when the `updates` index lists it with a new
//! `CurrentReleaseDate` (or it is not cached yet), so a nightly run that finds
//! nothing new costs three small requests. The cache is written only when the
//! whole update succeeds; on any failure the data in use stays as it was.

use super::bundle::{self, Manifest, Source};
use super::fetch::{Answer, Client, Settings, Validators};
use super::{Choice, Loaded, Origin};
use crate::dataset::{DataSet, SCHEMA_VERSION};
use anyhow::{Context, Result, ensure};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most the `updates` index may hold.
const MAX_INDEX: u64 = 16 << 20;
/// The most one month's CVRF document may hold (the largest months are a
/// few tens of MiB as XML).
const MAX_MONTH: u64 = 96 << 20;
/// The most the build list or the Learn page may hold.
const MAX_PAGE: u64 = 16 << 20;
/// The most one cached month extract may hold.
const MAX_EXTRACT: u64 = 16 << 20;
/// The most months an index may list (MSRC lists about a dozen a year since 2016).
const MAX_MONTHS: usize = 2000;

/// Where the sources are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// `Microsoft`, or the mirror's base URL.
    pub from: String,
    /// MSRC's CVRF `updates` index.
    pub updates: String,
    /// A month's CVRF document, `{ID}` standing for the month (used when the index gives no `CvrfUrl`).
    pub month: String,
    /// `ExchangeBuildNumbers.csv`.
    pub build_list: String,
    /// The Learn page "Exchange Server build numbers and release dates".
    pub learn: String,
}

impl Sources {
    /// Microsoft's own addresses (used only when a user runs `data update`).
    pub fn microsoft() -> Sources {
        Sources {
            from: "Microsoft".into(),
            updates: "https://api.msrc.microsoft.com/cvrf/v3.0/updates".into(),
            month: "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/{ID}".into(),
            build_list:
                "https://raw.githubusercontent.com/microsoft/Get-ExchangeBuildNumber/master/ExchangeBuildNumbers.csv"
                    .into(),
            learn: "https://learn.microsoft.com/en-us/exchange/new-features/build-numbers-and-release-dates".into(),
        }
    }

    /// A mirror laid out as README says (`--mirror BASE`).
    pub fn mirror(base: &str) -> Sources {
        let base = base.trim_end_matches('/');
        Sources {
            from: base.to_string(),
            updates: format!("{base}/cvrf/v3.0/updates"),
            month: format!("{base}/cvrf/v3.0/cvrf/{{ID}}"),
            build_list: format!("{base}/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv"),
            learn: format!("{base}/exchange/new-features/build-numbers-and-release-dates"),
        }
    }
}

/// `data update`'s settings.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where to fetch from.
    pub sources: Sources,
    /// How.
    pub fetch: Settings,
    /// `--quiet`: no progress on stderr.
    pub quiet: bool,
}

/// How an update ended.
pub enum Done {
    /// New data is in use.
    Updated(Loaded),
    /// The sources hold nothing new: the data in use is confirmed current.
    Current(Loaded),
}

/// What the cache remembers of one fetched URL.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Cached {
    validators: Validators,
    fetched: String,
    checked: String,
}

/// What the cache remembers of one month.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Month {
    current_release_date: String,
    url: String,
    #[serde(flatten)]
    cached: Cached,
}

/// `DIR/cache/sources.json`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Cache {
    #[serde(default)]
    urls: BTreeMap<String, Cached>,
    #[serde(default)]
    months: BTreeMap<String, Month>,
}

/// Cache files to write when the update succeeds.
struct Pending {
    cache: Cache,
    files: Vec<(PathBuf, Vec<u8>)>,
}

/// Runs `data update` into the data dir of `choice`.
pub fn run(choice: &Choice, request: &Request) -> Result<Done> {
    let dir = choice.dir()?.to_path_buf();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(update(&dir, request))
}

fn progress(request: &Request, line: std::fmt::Arguments) {
    if !request.quiet {
        eprintln!("exchange-exposure: data update: {line}");
    }
}

async fn update(dir: &Path, request: &Request) -> Result<Done> {
    let client = Client::new(&request.fetch)?;
    let cache_dir = dir.join("cache");
    let cache: Cache = std::fs::read(cache_dir.join("sources.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut pending = Pending { cache: Cache::default(), files: Vec::new() };
    let s = &request.sources;
    progress(request, format_args!("fetching from {}", crate::sanitize::printable(&s.from)));

    let (index, index_source) = simple(
        &client,
        &cache,
        &mut pending,
        &cache_dir,
        ("msrc-updates", &s.updates, "application/json", MAX_INDEX, "updates.json"),
        &now,
    )
    .await?;
    let months = crate::msdata::month_index(&index).with_context(|| format!("source msrc-updates ({})", s.updates))?;
    ensure!(
        months.len() <= MAX_MONTHS,
        "source msrc-updates ({}): {} months listed, more than {MAX_MONTHS}",
        s.updates,
        months.len()
    );
    let mut sources = vec![index_source];
    let mut extracts = BTreeMap::new();
    let mut fetched = 0;
    for m in &months {
        let id = &m.id;
        ensure!(
            !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "source msrc-updates ({}): a month id {:?} is not a month name",
            s.updates,
            crate::sanitize::printable(id)
        );
        let url = if m.cvrf_url.is_empty() { s.month.replace("{ID}", id) } else { m.cvrf_url.clone() };
        let name = format!("msrc-cvrf {id}");
        let file = cache_dir.join("months").join(format!("{id}.extract"));
        let known = cache.months.get(id).filter(|_| file.exists());
        let cached_extract = || bundle::read_capped(&file, MAX_EXTRACT);
        let (extract, record) = match known {
            Some(k) if k.current_release_date == m.current_release_date && k.url == url => {
                (cached_extract()?, Month { cached: Cached { checked: now.clone(), ..k.cached.clone() }, ..k.clone() })
            }
            _ => {
                let what = || format!("source {name} ({})", crate::sanitize::printable(&url));
                let answer = client
                    .get(&url, "application/xml", known.map(|k| &k.cached.validators), MAX_MONTH)
                    .await
                    .with_context(what)?;
                let (extract, cached) = match answer {
                    Answer::Unchanged => (
                        cached_extract()?,
                        Cached { checked: now.clone(), ..known.expect("asked with validators").cached.clone() },
                    ),
                    Answer::Body(body, validators) => {
                        fetched += 1;
                        let extract = crate::msdata::extract_month(id, &body).with_context(what)?;
                        pending.files.push((file.clone(), extract.clone()));
                        (extract, Cached { validators, fetched: now.clone(), checked: now.clone() })
                    }
                };
                progress(request, format_args!("month {id}: {}", if known.is_some() { "revised" } else { "new" }));
                (extract, Month { current_release_date: m.current_release_date.clone(), url: url.clone(), cached })
            }
        };
        sources.push(Source {
            name,
            url,
            fetched: record.cached.fetched.clone(),
            checked: record.cached.checked.clone(),
        });
        extracts.insert(id.clone(), extract);
        pending.cache.months.insert(id.clone(), record);
    }
    progress(request, format_args!("{} months listed, {fetched} documents fetched", months.len()));
    let (build_list, build_source) = simple(
        &client,
        &cache,
        &mut pending,
        &cache_dir,
        ("build-list", &s.build_list, "text/csv, text/plain", MAX_PAGE, "ExchangeBuildNumbers.csv"),
        &now,
    )
    .await?;
    let (learn, learn_source) = simple(
        &client,
        &cache,
        &mut pending,
        &cache_dir,
        ("learn-page", &s.learn, "text/html", MAX_PAGE, "learn.html"),
        &now,
    )
    .await?;
    sources.extend([build_source, learn_source]);

    let files = crate::msdata::derive(&extracts, &build_list, &learn).context("the sources do not make a data set")?;
    let new = DataSet::from_files(&files).context("the data made from the sources does not validate")?;
    let current = super::load(&Choice { dir: Some(dir.to_path_buf()), builtin: false }).unwrap_or_else(|err| {
        progress(
            request,
            format_args!("the data in use cannot be read ({err:#}); checking the new data against the built-in data"),
        );
        super::builtin()
    });
    crate::msdata::gate(&new, &current.dataset).context("the validation gate refused the new data")?;
    let id = bundle::data_id(&files);
    let same = matches!(current.provenance.origin, Origin::Downloaded(_)) && current.provenance.id() == id;
    let manifest = Manifest {
        schema: SCHEMA_VERSION.into(),
        id: id.clone(),
        created: if same { current.provenance.manifest.created.clone() } else { now.clone() },
        confirmed: now.clone(),
        origin: "update".into(),
        from: s.from.clone(),
        imported: None,
        sources,
        parts: Vec::new(),
    };
    let path = super::install(dir, &manifest, &files, same)?;
    save_cache(&cache_dir, &pending)?;
    let manifest = bundle::read_file(&path)?.0;
    let loaded = Loaded {
        dataset: std::sync::Arc::new(new),
        provenance: super::DataProvenance { origin: Origin::Downloaded(path), manifest },
    };
    Ok(if same { Done::Current(loaded) } else { Done::Updated(loaded) })
}

/// Fetches one of the single-document sources conditionally; returns its
/// body (the cached one when unchanged) and its provenance.
async fn simple(
    client: &Client,
    cache: &Cache,
    pending: &mut Pending,
    cache_dir: &Path,
    (name, url, accept, cap, file): (&str, &str, &str, u64, &str),
    now: &str,
) -> Result<(Vec<u8>, Source)> {
    let what = || format!("source {name} ({})", crate::sanitize::printable(url));
    let path = cache_dir.join(file);
    let known = cache.urls.get(url).filter(|_| path.exists());
    let answer = client.get(url, accept, known.map(|k| &k.validators), cap).await.with_context(what)?;
    let (body, cached) = match answer {
        Answer::Unchanged => {
            let known = known.expect("asked with validators");
            (bundle::read_capped(&path, cap).with_context(what)?, Cached { checked: now.into(), ..known.clone() })
        }
        Answer::Body(body, validators) => {
            ensure!(!body.is_empty(), "{}: the body is empty", what());
            pending.files.push((path, body.clone()));
            (body, Cached { validators, fetched: now.into(), checked: now.into() })
        }
    };
    let source =
        Source { name: name.into(), url: url.into(), fetched: cached.fetched.clone(), checked: cached.checked.clone() };
    pending.cache.urls.insert(url.to_string(), cached);
    Ok((body, source))
}

/// Writes the cache: bodies and extracts first, then the index of them.
fn save_cache(cache_dir: &Path, pending: &Pending) -> Result<()> {
    for (path, bytes) in &pending.files {
        super::write_atomically(path, bytes)?;
    }
    let json = serde_json::to_vec_pretty(&pending.cache)?;
    super::write_atomically(&cache_dir.join("sources.json"), &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_lays_the_sources_out_under_its_base() {
        let m = Sources::mirror("https://mirror.corp.example/ms/");
        assert_eq!(m.updates, "https://mirror.corp.example/ms/cvrf/v3.0/updates");
        assert_eq!(m.month.replace("{ID}", "2021-Mar"), "https://mirror.corp.example/ms/cvrf/v3.0/cvrf/2021-Mar");
        assert_eq!(m.build_list, "https://mirror.corp.example/ms/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv");
        assert_eq!(m.learn, "https://mirror.corp.example/ms/exchange/new-features/build-numbers-and-release-dates");
        assert!(Sources::microsoft().updates.starts_with("https://api.msrc.microsoft.com/"));
    }
}
