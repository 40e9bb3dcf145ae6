//! Projects: a `.pocket-dock/` directory beside a user's code, holding
//! `pocket-dock.yaml` ([`config`]) and, for each persistent container of the
//! project, `instances/<name>/` ([`instance`]: `instance.toml`,
//! `history.jsonl`, `logs/`). `docs/projects.md` is the user's guide.
//!
//! Only the file system is touched here; which containers exist is the
//! engine's (see `crate::doctor`).

pub mod config;
pub mod instance;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
pub use crate::validate::check_project_name;
pub use config::Settings;

/// The directory a project keeps its files in, under its root.
pub const DIR: &str = ".pocket-dock";
/// The project's config file, in [`DIR`].
pub const CONFIG_FILE: &str = "pocket-dock.yaml";
/// Where instance directories live, in [`DIR`].
pub const INSTANCES: &str = "instances";

/// `path` as an absolute, canonical directory, or a `TypeError` saying what it is.
fn existing_dir(path: &Path, what: &str) -> Result<PathBuf> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => path.canonicalize().map_err(|e| Error::Project {
            path: path.display().to_string(),
            detail: format!("cannot resolve it: {e}"),
        }),
        Ok(_) => Err(Error::InvalidArgument(format!(
            "{what}: {} is not a directory",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::InvalidArgument(format!(
            "{what}: {} does not exist",
            path.display()
        ))),
        Err(e) => Err(Error::Project {
            path: path.display().to_string(),
            detail: format!("cannot read it: {e}"),
        }),
    }
}

fn cwd() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::Project {
        path: ".".into(),
        detail: format!("the current directory cannot be read: {e}"),
    })
}

/// The nearest directory, from `start` (default: the current directory) up,
/// that holds `.pocket-dock/pocket-dock.yaml`; `None` if there is none.
pub fn find_root(start: Option<&Path>) -> Result<Option<PathBuf>> {
    let start = match start {
        Some(s) => existing_dir(s, "findProjectRoot(start)")?,
        None => cwd()?,
    };
    Ok(start
        .ancestors()
        .find(|d| d.join(DIR).join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf))
}

/// The commented config a new project starts with: every key, at its default.
fn template(project_name: &str) -> String {
    let name = serde_yaml_ng::to_string(project_name).expect("a string serializes");
    format!(
        "# pocket-dock project configuration (docs/projects.md in pocket-dock describes each key).
# Every key is shown at its default. A user-level file,
# $XDG_CONFIG_HOME/pocket-dock/config.yaml, takes the same keys; this file wins
# over it, and options passed to createNewContainer() win over both.

# The name containers of this project are labelled with.
project_name: {name}
# The profile of containers created without `profile` or `image`.
default_profile: minimal-python
# Whether containers are persistent unless `persist` is given.
default_persist: false
# Write the output of runs, sessions and detached processes to
# instances/<name>/logs/ (history.jsonl is always written).
auto_log: true
# A log file is rotated when it would grow past this size (B, KB, MB, GB).
max_log_size: 10MB
# At most this many log files per instance; the oldest go first.
max_logs_per_instance: {DEFAULT_MAX_LOGS_PER_INSTANCE}
# Log files older than this many days are removed.
retention_days: {DEFAULT_RETENTION_DAYS}
# The engine socket for this project's containers (after socketPath,
# POCKET_DOCK_SOCKET and DOCKER_HOST); it must answer: no other engine is tried.
# socket: /run/podman/podman.sock
# error, warn, info or debug.
log_level: info
",
        DEFAULT_MAX_LOGS_PER_INSTANCE = config::DEFAULT_MAX_LOGS_PER_INSTANCE,
        DEFAULT_RETENTION_DAYS = config::DEFAULT_RETENTION_DAYS,
    )
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> Error {
    let hint = match e.kind() {
        std::io::ErrorKind::PermissionDenied => " (check the directory's owner and permissions)",
        _ => "",
    };
    Error::Project {
        path: path.display().to_string(),
        detail: format!("cannot {what}: {e}{hint}"),
    }
}

/// Creates `.pocket-dock/pocket-dock.yaml` (every key at its default, with
/// comments) and `.pocket-dock/.gitignore` (keeping `instances/` out of git)
/// in `path` (default: the current directory), and returns the project root.
/// Idempotent: existing files are left as they are.
pub fn init(path: Option<&Path>, project_name: Option<&str>) -> Result<PathBuf> {
    if let Some(n) = project_name {
        check_project_name(n)?;
    }
    let root = match path {
        Some(p) => existing_dir(p, "initProject(path)")?,
        None => cwd()?,
    };
    let dir = root.join(DIR);
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, "create the project directory", e))?;
    let config = dir.join(CONFIG_FILE);
    if !config.exists() {
        let name = match project_name {
            Some(n) => n.to_string(),
            None => default_name(&root),
        };
        write_new(&config, &template(&name))?;
    }
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        write_new(
            &ignore,
            "# Written by pocket-dock: per-container history and logs stay out of git.\ninstances/\n",
        )?;
    }
    Ok(root)
}

/// Writes a new file whole (to a temporary name, then renamed), so a reader
/// never sees half of it.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_error(path, "write it", e)
        })
}

/// The name of a project whose config sets none: its directory's name,
/// with characters a project name may not hold replaced.
fn default_name(root: &Path) -> String {
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() || c == '\\' { '_' } else { c })
        .take(128)
        .collect();
    if name.trim().is_empty() {
        "project".into()
    } else {
        name
    }
}

/// An initialized project: its root and the configuration in force.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub settings: Settings,
}

impl Project {
    /// Opens the project at `root`; one without `pocket-dock.yaml` is
    /// `ProjectNotInitialized`, a malformed config a `ProjectConfigError`.
    pub fn open(root: &Path) -> Result<Project> {
        let root = existing_dir(root, "projectRoot")?;
        let file = root.join(DIR).join(CONFIG_FILE);
        if !file.is_file() {
            return Err(Error::ProjectNotInitialized {
                detail: format!("{} does not exist", file.display()),
            });
        }
        let settings = config::load(&file, &default_name(&root))?;
        Ok(Project { root, settings })
    }

    /// The project found from the current directory (walking up), if any.
    /// A current directory that no longer exists is in no project.
    pub fn from_cwd() -> Result<Option<Project>> {
        if std::env::current_dir().is_err() {
            return Ok(None);
        }
        find_root(None)?.map(|r| Project::open(&r)).transpose()
    }

    pub fn instances_dir(&self) -> PathBuf {
        self.root.join(DIR).join(INSTANCES)
    }

    /// The instance directory of container `name`.
    pub fn instance_dir(&self, name: &str) -> PathBuf {
        self.instances_dir().join(name)
    }
}

/// Removes the instance directory of container `name` in the project at
/// `root`, if there is one. For `destroyContainer` and the shutdown of an
/// ephemeral container; a directory that cannot be removed is reported.
pub fn remove_instance_dir(root: &Path, name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Ok(());
    }
    let dir = root.join(DIR).join(INSTANCES).join(name);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(&dir, "remove the instance directory", e)),
    }
}

// ---- The project in force, for the CLI's `status` and `logs` ----

/// The project at `root`, or (without one) the nearest from the current
/// directory up; none is `ProjectNotInitialized`.
pub fn open_or_find(root: Option<&Path>) -> Result<Project> {
    let root = match root {
        Some(r) => r.to_path_buf(),
        None => find_root(None)?.ok_or_else(|| Error::ProjectNotInitialized {
            detail: "no .pocket-dock/pocket-dock.yaml in the current directory or above it".into(),
        })?,
    };
    Project::open(&root)
}
