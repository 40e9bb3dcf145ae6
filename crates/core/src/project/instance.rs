//! A persistent project container's instance directory:
//! `.pocket-dock/instances/<name>/` with `instance.toml` (what the container
//! is, written with the `toml` crate), `history.jsonl` and `logs/` (written
//! by `crate::journal`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{io_error, write_new};
use crate::error::Result;

/// The file that describes the container, in its instance directory.
pub const INSTANCE_FILE: &str = "instance.toml";
/// One JSON line per command.
pub const HISTORY_FILE: &str = "history.jsonl";
/// The output of commands, rotated.
pub const LOGS_DIR: &str = "logs";

/// What `instance.toml` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub id: String,
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub project: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub persist: bool,
    pub limits: Limits,
    /// host port → container port, as created (`"0"`: a free host port).
    pub ports: BTreeMap<String, String>,
}

/// The resource limits the container was created with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<f64>,
}

/// Creates `dir` (and `dir/logs`); says whether it was new.
pub fn create(dir: &Path) -> Result<bool> {
    let existed = dir.is_dir();
    let logs = dir.join(LOGS_DIR);
    std::fs::create_dir_all(&logs).map_err(|e| io_error(dir, "create the instance directory", e))?;
    Ok(!existed)
}

/// Writes `instance.toml` in `dir`.
pub fn write_record(dir: &Path, record: &InstanceRecord) -> Result<()> {
    let text = toml::to_string(record).expect("an instance record serializes");
    let text = format!("# Written by pocket-dock when the container was created.\n{text}");
    write_new(&dir.join(INSTANCE_FILE), &text)
}

/// Reads `instance.toml` in `dir`, if it is there and readable.
pub fn read_record(dir: &Path) -> Option<InstanceRecord> {
    let text = std::fs::read_to_string(dir.join(INSTANCE_FILE)).ok()?;
    toml::from_str(&text).ok()
}

/// The history file of an instance directory.
pub fn history_path(dir: &Path) -> PathBuf {
    dir.join(HISTORY_FILE)
}
