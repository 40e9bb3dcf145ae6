//! The project configuration: `.pocket-dock/pocket-dock.yaml`, over the
//! user's `$XDG_CONFIG_HOME/pocket-dock/config.yaml` (same keys), under the
//! caller's explicit options. Parsed with serde_yaml_ng; serde_path_to_error
//! names the key of a mistake, the YAML parser its line. Every mistake (bad
//! YAML, a wrong type, an unknown key, a bad size) is a
//! [`Error::ProjectConfig`] naming the file, the line and the key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};
use crate::profile;

/// Defaults of the keys a config leaves out.
pub const DEFAULT_MAX_LOG_SIZE: u64 = 10 * 1024 * 1024;
pub const DEFAULT_MAX_LOGS_PER_INSTANCE: u32 = 100;
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// One config file as written: every key optional, no other key allowed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub project_name: Option<String>,
    pub default_profile: Option<String>,
    pub default_persist: Option<bool>,
    pub auto_log: Option<bool>,
    #[serde(default, deserialize_with = "size")]
    pub max_log_size: Option<u64>,
    pub max_logs_per_instance: Option<u32>,
    pub retention_days: Option<u32>,
    pub socket: Option<String>,
    pub log_level: Option<LogLevel>,
}

/// How much pocket-dock reports about a project's own bookkeeping.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
}

/// The configuration in force: the user's file, then the project's, with
/// defaults for what neither sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub project_name: String,
    pub default_profile: Option<String>,
    pub default_persist: bool,
    pub auto_log: bool,
    pub max_log_size: u64,
    pub max_logs_per_instance: u32,
    pub retention_days: u32,
    pub socket: Option<String>,
    pub log_level: LogLevel,
}

impl ConfigFile {
    /// `over` wins key by key.
    fn merged(self, over: ConfigFile) -> ConfigFile {
        ConfigFile {
            project_name: over.project_name.or(self.project_name),
            default_profile: over.default_profile.or(self.default_profile),
            default_persist: over.default_persist.or(self.default_persist),
            auto_log: over.auto_log.or(self.auto_log),
            max_log_size: over.max_log_size.or(self.max_log_size),
            max_logs_per_instance: over.max_logs_per_instance.or(self.max_logs_per_instance),
            retention_days: over.retention_days.or(self.retention_days),
            socket: over.socket.or(self.socket),
            log_level: over.log_level.or(self.log_level),
        }
    }

    fn settings(self, fallback_name: &str) -> Settings {
        Settings {
            project_name: self.project_name.unwrap_or_else(|| fallback_name.to_string()),
            default_profile: self.default_profile,
            default_persist: self.default_persist.unwrap_or(false),
            auto_log: self.auto_log.unwrap_or(true),
            max_log_size: self.max_log_size.unwrap_or(DEFAULT_MAX_LOG_SIZE),
            max_logs_per_instance: self.max_logs_per_instance.unwrap_or(DEFAULT_MAX_LOGS_PER_INSTANCE),
            retention_days: self.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS),
            socket: self.socket,
            log_level: self.log_level.unwrap_or_default(),
        }
    }
}

/// Parses the text of config file `file`. An empty file (or only comments)
/// sets nothing.
pub fn parse(text: &str, file: &Path) -> Result<ConfigFile> {
    let fail = |line: Option<usize>, key: Option<String>, detail: String| Error::ProjectConfig {
        file: file.display().to_string(),
        line: line.map(|l| l as u32),
        key,
        detail,
    };
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        Ok(serde_yaml_ng::Value::Null) => return Ok(ConfigFile::default()),
        Ok(serde_yaml_ng::Value::Mapping(_)) => {}
        Ok(_) => {
            return Err(fail(
                Some(1),
                None,
                "expected a mapping of keys to values (`project_name: my-app`)".into(),
            ))
        }
        Err(e) => {
            let line = e.location().map(|l| l.line());
            return Err(fail(
                line,
                None,
                format!("not valid YAML: {}", strip_location(&e.to_string())),
            ));
        }
    }
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let parsed: ConfigFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_location(&inner.to_string());
        // An unknown key is reported at the mapping; the message names it.
        let key = match unknown_key(&message) {
            Some(k) => Some(k),
            None if path != "." && !path.is_empty() => Some(path),
            None => None,
        };
        // Every key is top-level: its own line is where the mistake is (the
        // parser's position may already be past a bad value).
        let line = key
            .as_deref()
            .and_then(|k| line_of_key(text, k))
            .or_else(|| inner.location().map(|l| l.line()));
        fail(line, key, message)
    })?;
    if let Some(p) = &parsed.default_profile {
        if profile::find(p).is_none() {
            let line = line_of_key(text, "default_profile");
            return Err(fail(
                line,
                Some("default_profile".into()),
                format!("unknown profile {p:?}: the profiles are {}", profile::known_names()),
            ));
        }
    }
    if let Some(name) = &parsed.project_name {
        if let Err(Error::InvalidArgument(m) | Error::OutOfRange(m)) = crate::validate::check_project_name(name) {
            return Err(fail(line_of_key(text, "project_name"), Some("project_name".into()), m));
        }
    }
    for (key, value) in [
        ("max_logs_per_instance", parsed.max_logs_per_instance),
        ("retention_days", parsed.retention_days),
    ] {
        if value == Some(0) {
            return Err(fail(
                line_of_key(text, key),
                Some(key.into()),
                "must be at least 1".into(),
            ));
        }
    }
    Ok(parsed)
}

/// The 1-based line where top-level `key:` is written.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// serde_yaml_ng appends " at line L column C": the error says the line itself.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The key of serde's "unknown field `x`, expected …".
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

/// Reads and parses `file`; a missing file sets nothing.
pub fn read(file: &Path) -> Result<ConfigFile> {
    match std::fs::read_to_string(file) {
        Ok(text) => parse(&text, file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(Error::Project {
            path: file.display().to_string(),
            detail: format!("cannot read it: {e}"),
        }),
    }
}

/// The user-level config file: `$XDG_CONFIG_HOME/pocket-dock/config.yaml`,
/// or `~/.config/pocket-dock/config.yaml`.
pub fn user_config_path() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("XDG_CONFIG_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".config")))
        .map(|d| d.join("pocket-dock").join("config.yaml"))
}

/// The settings of the project whose config file is `project_file`: the
/// user's config, then the project's. `fallback_name` names a project whose
/// file sets no `project_name`.
pub fn load(project_file: &Path, fallback_name: &str) -> Result<Settings> {
    let user = match user_config_path() {
        Some(p) => read(&p)?,
        None => ConfigFile::default(),
    };
    let project = read(project_file)?;
    Ok(user.merged(project).settings(fallback_name))
}

/// A size: a byte count, or a number with a unit (`512KB`, `10MB`, `1GiB`,
/// `100k`); every unit counts in powers of 1024.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    let bytes = number * factor as f64;
    (bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

fn size<'de, D: Deserializer<'de>>(de: D) -> std::result::Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    let expected = "expected a size like 10MB (a number with B, KB, MB or GB)";
    match Option::<Raw>::deserialize(de).map_err(|_| serde::de::Error::custom(expected))? {
        None => Ok(None),
        Some(Raw::Bytes(0)) => Err(serde::de::Error::custom(expected)),
        Some(Raw::Bytes(n)) => Ok(Some(n)),
        Some(Raw::Text(t)) => parse_size(&t)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{expected}, not {t:?}"))),
    }
}
