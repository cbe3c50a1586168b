//! Where each option's value comes from: the command line, then
//! `EXCHANGE_EXPOSURE_<OPTION>` environment variables, then a TOML config
//! file (`--config FILE`, else `$XDG_CONFIG_HOME/exchange-exposure/config.toml`,
//! else `/etc/exchange-exposure/config.toml`), then clap's defaults. Every
//! long option of every command is a key, read from clap's own argument
//! list, so an option added to `cli` is a key and a variable by itself.
//! The layers are applied by giving clap the missing options as arguments
//! (`--key=value`) and parsing again: one parser, one set of checks.

use crate::cli::{Cli, Setting};
use anyhow::{Context, Result, bail};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The prefix of every option's environment variable.
pub const ENV_PREFIX: &str = "EXCHANGE_EXPOSURE_";

/// Long options that are not settings: they act, or choose the file itself.
const NOT_KEYS: [&str; 4] = ["help", "version", "generate", "config"];

/// The environment variable of a long option: `--fail-on` is `EXCHANGE_EXPOSURE_FAIL_ON`.
pub fn env_name(long: &str) -> String {
    format!("{ENV_PREFIX}{}", long.replace('-', "_").to_ascii_uppercase())
}

/// The config file to read: `--config` (or its variable) when given, else
/// the first of the XDG file (`$XDG_CONFIG_HOME`, or `$HOME/.config`) and the
/// system one that `exists`; `None` when there is none. Pure, for tests.
pub fn config_path(
    given: Option<PathBuf>,
    xdg_config_home: Option<PathBuf>,
    home: Option<PathBuf>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if given.is_some() {
        return given;
    }
    let xdg = xdg_config_home.filter(|p| p.is_absolute()).or_else(|| home.map(|h| h.join(".config")));
    let candidates = xdg.map(|d| d.join("exchange-exposure/config.toml")).into_iter();
    candidates.chain(std::iter::once(PathBuf::from("/etc/exchange-exposure/config.toml"))).find(|p| exists(p))
}

/// One option a command takes, as the layers see it.
struct Opt {
    id: String,
    long: String,
    takes_value: bool,
    repeats: bool,
    defaults: Vec<String>,
}

/// Every settable long option of `cmd` and its subcommands, each long name once.
fn options(cmd: &clap::Command, out: &mut Vec<Opt>) {
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if NOT_KEYS.contains(&long) || out.iter().any(|o| o.long == long) {
            continue;
        }
        out.push(Opt {
            id: arg.get_id().to_string(),
            long: long.to_string(),
            takes_value: arg.get_action().takes_values(),
            repeats: matches!(arg.get_action(), clap::ArgAction::Append),
            defaults: arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect(),
        });
    }
    for sub in cmd.get_subcommands() {
        options(sub, out);
    }
}

/// The options of the command being run: the top level's and each chosen
/// subcommand's, with that level's matches.
fn chosen<'a>(cmd: &'a clap::Command, matches: &'a ArgMatches) -> Vec<(&'a clap::Command, &'a ArgMatches)> {
    let mut chain = vec![(cmd, matches)];
    let (mut cmd, mut matches) = (cmd, matches);
    while let Some((name, sub_matches)) = matches.subcommand() {
        let Some(sub) = cmd.find_subcommand(name) else { break };
        chain.push((sub, sub_matches));
        (cmd, matches) = (sub, sub_matches);
    }
    chain
}

/// A value from the environment or the file, as the arguments clap is given.
fn arguments(long: &str, takes_value: bool, values: &[String]) -> Vec<OsString> {
    if takes_value {
        values.iter().map(|v| OsString::from(format!("--{long}={v}"))).collect()
    } else if values.first().is_some_and(|v| v == "true") {
        vec![OsString::from(format!("--{long}"))]
    } else {
        Vec::new()
    }
}

/// An environment variable's value: one value (clap splits lists it
/// delimits); a flag's `1`/`true`/`yes` or `0`/`false`/`no`/empty.
fn env_values(name: &str, value: &str, takes_value: bool) -> Result<Vec<String>> {
    if takes_value {
        return Ok(vec![value.to_string()]);
    }
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(vec!["true".into()]),
        "0" | "false" | "no" | "off" | "" => Ok(vec!["false".into()]),
        other => bail!("{name}={other:?}: give true or false"),
    }
}

/// A config file's value as text values: a string, number or boolean is
/// one; an array is one per item.
fn file_values(key: &str, value: &toml::Value, path: &Path) -> Result<Vec<String>> {
    let one = |v: &toml::Value| -> Result<String> {
        Ok(match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "{}: key {key:?} has a {} value; give a string, number, boolean or a list of them",
                path.display(),
                other.type_str()
            ),
        })
    };
    match value {
        toml::Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// The config file's keys and values; every key must be a long option.
fn read_file(path: &Path, known: &[Opt]) -> Result<BTreeMap<String, toml::Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
    let table: toml::Table =
        text.parse().with_context(|| format!("config file {} is not valid TOML", path.display()))?;
    for key in table.keys() {
        if !known.iter().any(|o| &o.long == key) {
            bail!(
                "config file {}: unknown key {key:?} (the keys are the long options, e.g. fail-on, concurrency; see config show)",
                path.display()
            );
        }
    }
    Ok(table.into_iter().collect())
}

/// The command line with the environment's and the config file's values
/// under it, parsed; clap's own errors (usage, `--help`) are returned as
/// they are, for `main` to print and exit with.
pub fn parse(args: Vec<OsString>, env: &dyn Fn(&str) -> Option<String>) -> Result<Cli, Layered> {
    let cmd = Cli::command();
    // A required argument may come from the layers (`scan` with `target`s in
    // the file): then the first look is lenient, and the second pass checks.
    let first = match cmd.clone().try_get_matches_from(&args) {
        Err(e) if e.kind() == clap::error::ErrorKind::MissingRequiredArgument => {
            cmd.clone().ignore_errors(true).try_get_matches_from(&args).map_err(Layered::Clap)?
        }
        other => other.map_err(Layered::Clap)?,
    };
    let mut known = Vec::new();
    options(&cmd, &mut known);
    let given = first
        .get_one::<PathBuf>("config")
        .cloned()
        .or_else(|| env(&env_name("config")).filter(|v| !v.is_empty()).map(PathBuf::from));
    let path =
        config_path(given.clone(), env("XDG_CONFIG_HOME").map(PathBuf::from), env("HOME").map(PathBuf::from), |p| {
            p.is_file()
        });
    let file = match &path {
        Some(p) => read_file(p, &known).map_err(Layered::Other)?,
        None => BTreeMap::new(),
    };
    let chain = chosen(&cmd, &first);
    let on_line = |id: &str| {
        chain.iter().any(|(c, m)| {
            c.get_arguments().any(|a| a.get_id() == id)
                && m.try_get_raw(id).is_ok()
                && m.value_source(id) == Some(ValueSource::CommandLine)
        })
    };
    let in_chain = |id: &str| chain.iter().any(|(c, _)| c.get_arguments().any(|a| a.get_id() == id));
    let mut extra: Vec<OsString> = Vec::new();
    let mut settings = Vec::new();
    for opt in &known {
        let var = env_name(&opt.long);
        let (values, origin) = if on_line(&opt.id) {
            (Vec::new(), "command line".to_string())
        } else if let Some(value) = env(&var) {
            (env_values(&var, &value, opt.takes_value).map_err(Layered::Other)?, format!("environment ({var})"))
        } else if let (Some(value), Some(p)) = (file.get(&opt.long), &path) {
            (file_values(&opt.long, value, p).map_err(Layered::Other)?, format!("config file ({})", p.display()))
        } else {
            (Vec::new(), "default".to_string())
        };
        if in_chain(&opt.id) {
            extra.extend(arguments(&opt.long, opt.takes_value, &values));
        }
        settings.push((opt, values, origin));
    }
    // The added options go before a `--`, which would make them positional.
    let mut args = args;
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    args.splice(at..at, extra);
    let matches = cmd.clone().try_get_matches_from(&args).map_err(|e| {
        // A value the layers added: say where it came from.
        let flag = e.get(clap::error::ContextKind::InvalidArg).map(|v| v.to_string()).unwrap_or_default();
        let from = settings.iter().find(|(o, v, origin)| {
            !v.is_empty() && origin != "command line" && flag.starts_with(&format!("--{} ", o.long))
        });
        match from {
            Some((_, _, origin)) => Layered::Other(anyhow::anyhow!(
                "{} (set in the {origin})",
                e.to_string().lines().next().unwrap_or_default().trim_start_matches("error: ")
            )),
            None => Layered::Clap(e),
        }
    })?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(Layered::Clap)?;
    let chain = chosen(&cmd, &matches);
    cli.settings = settings
        .into_iter()
        .map(|(opt, values, origin)| {
            let used = chain.iter().find_map(|(c, m)| {
                c.get_arguments().any(|a| a.get_id() == opt.id.as_str()).then(|| m.get_raw(&opt.id)).flatten()
            });
            let value = match used {
                Some(raw) => raw.map(|v| v.to_string_lossy().into_owned()).collect(),
                None if !values.is_empty() => values,
                None => opt.defaults.clone(),
            };
            let value =
                if opt.takes_value { value } else { vec![value.first().map_or("false", |v| v.as_str()).into()] };
            Setting { key: opt.long.clone(), value, origin, flag: !opt.takes_value, list: opt.repeats }
        })
        .collect();
    cli.config_file = path.map(|p| p.display().to_string());
    Ok(cli)
}

/// Why the command line could not be read.
#[derive(Debug)]
pub enum Layered {
    /// clap's own (usage errors, `--help`, `--version` output): printed by clap.
    Clap(clap::Error),
    /// A config file or an environment value that cannot be used.
    Other(anyhow::Error),
}

/// `config show`: every setting as a TOML line (a valid config file), with
/// where its value came from.
pub fn show(settings: &[Setting], file: Option<&str>, out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(out, "# config file: {}", file.unwrap_or("none found"))?;
    for s in settings {
        let value = if s.flag {
            s.value.first().map_or("false".to_string(), |v| v.clone())
        } else if s.value.is_empty() {
            writeln!(out, "# {} is not set  # {}", s.key, s.origin)?;
            continue;
        } else if s.value.len() == 1 && !s.list {
            typed(&s.value[0]).to_string()
        } else {
            toml::Value::Array(s.value.iter().map(|v| typed(v)).collect()).to_string()
        };
        writeln!(out, "{} = {value}  # {}", s.key, s.origin)?;
    }
    Ok(())
}

/// A value as TOML: a number when it reads as one, else a string.
fn typed(value: &str) -> toml::Value {
    if let Ok(n) = value.parse::<i64>() {
        toml::Value::Integer(n)
    } else if let Ok(f) = value.parse::<f64>().map_err(|_| ()).and_then(|f| if f.is_finite() { Ok(f) } else { Err(()) })
    {
        toml::Value::Float(f)
    } else {
        toml::Value::String(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        std::iter::once("exchange-exposure").chain(list.iter().copied()).map(OsString::from).collect()
    }

    #[test]
    fn the_file_is_the_flag_s_else_xdg_s_else_the_system_s() {
        let (xdg, home) = (Some(PathBuf::from("/x")), Some(PathBuf::from("/h")));
        let all = |_: &Path| true;
        let given = Some(PathBuf::from("mine.toml"));
        assert_eq!(config_path(given.clone(), xdg.clone(), home.clone(), all), given);
        assert_eq!(config_path(None, xdg.clone(), home.clone(), all), Some("/x/exchange-exposure/config.toml".into()));
        assert_eq!(config_path(None, None, home.clone(), all), Some("/h/.config/exchange-exposure/config.toml".into()));
        let only_etc = |p: &Path| p.starts_with("/etc");
        assert_eq!(config_path(None, xdg, home, only_etc), Some("/etc/exchange-exposure/config.toml".into()));
        assert_eq!(config_path(None, None, None, |_| false), None);
    }

    #[test]
    fn every_long_option_is_a_key_and_has_a_variable() {
        let mut known = Vec::new();
        options(&Cli::command(), &mut known);
        let keys: Vec<&str> = known.iter().map(|o| o.long.as_str()).collect();
        for key in ["format", "fail-on", "quiet", "concurrency", "timeout", "notify", "host-column", "hosts", "output"]
        {
            assert!(keys.contains(&key), "{key}: {keys:?}");
        }
        assert!(!keys.contains(&"config") && !keys.contains(&"help"));
        assert_eq!(env_name("fail-on-change"), "EXCHANGE_EXPOSURE_FAIL_ON_CHANGE");
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "concurrency = 7\ntimeout = 3.5\nfail-on = [\"vulnerable\", \"ambiguous\"]\nquiet = true\n",
        )
        .unwrap();
        let f = file.to_str().unwrap().to_string();
        let env = |name: &str| (name == "EXCHANGE_EXPOSURE_TIMEOUT").then(|| "4".to_string());
        let cli = parse(args(&["--config", &f, "scan", "inv.csv", "--concurrency", "9"]), &env).unwrap();
        let Some(crate::cli::Command::Scan(scan)) = &cli.command else { panic!() };
        assert_eq!(scan.probe.concurrency, 9);
        assert_eq!(scan.probe.timeout, 4.0);
        assert_eq!(cli.common.fail_on, ["vulnerable", "ambiguous"]);
        assert!(cli.common.quiet);
        let origin = |key: &str| cli.settings.iter().find(|s| s.key == key).unwrap().origin.clone();
        assert_eq!(origin("concurrency"), "command line");
        assert_eq!(origin("timeout"), "environment (EXCHANGE_EXPOSURE_TIMEOUT)");
        assert!(origin("fail-on").starts_with("config file ("), "{}", origin("fail-on"));
        assert_eq!(origin("stats-every"), "default");
        // An environment flag set to false wins over the file's true.
        let env = |name: &str| (name == "EXCHANGE_EXPOSURE_QUIET").then(|| "0".to_string());
        let cli = parse(args(&["--config", &f, "table"]), &env).unwrap();
        assert!(!cli.common.quiet);
        // A bad value from a layer names where it came from.
        let env = |name: &str| (name == "EXCHANGE_EXPOSURE_CONCURRENCY").then(|| "many".to_string());
        let Err(Layered::Other(err)) = parse(args(&["--config", &f, "scan", "inv.csv"]), &env) else { panic!() };
        assert!(err.to_string().contains("EXCHANGE_EXPOSURE_CONCURRENCY"), "{err}");
        // `config show`'s lines are a config file again.
        let cli = parse(args(&["--config", &f, "config", "show"]), &|_| None).unwrap();
        let mut shown = Vec::new();
        show(&cli.settings, cli.config_file.as_deref(), &mut shown).unwrap();
        let shown = String::from_utf8(shown).unwrap();
        assert!(shown.contains(&format!("concurrency = 7  # config file ({f})")), "{shown}");
        assert!(shown.contains("stats-every = 30  # default"), "{shown}");
        let again = dir.path().join("again.toml");
        std::fs::write(&again, &shown).unwrap();
        let cli = parse(args(&["--config", again.to_str().unwrap(), "scan", "inv.csv"]), &|_| None).unwrap();
        let Some(crate::cli::Command::Scan(scan)) = &cli.command else { panic!() };
        assert_eq!((scan.probe.concurrency, scan.probe.timeout), (7, 3.5));
    }

    #[test]
    fn an_unknown_key_names_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "concurency = 7\n").unwrap();
        let f = file.to_str().unwrap().to_string();
        let Err(Layered::Other(err)) = parse(args(&["--config", &f, "table"]), &|_| None) else { panic!() };
        let err = err.to_string();
        assert!(err.contains("\"concurency\"") && err.contains(&f), "{err}");
    }
}
