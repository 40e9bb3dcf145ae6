//! `doctor()`: compares a project's instance directories with the engine's
//! containers of that project, both ways.

use std::collections::BTreeSet;
use std::path::Path;

use crate::engine::{self, Discovery};
use crate::error::{Error, Result};
use crate::persist;
use crate::project::{self, Project};

/// What `doctor()` found (the TS `DoctorReport`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorReport {
    /// Persistent containers of the project with no instance directory.
    pub orphaned_containers: Vec<String>,
    /// Instance directories (their names) with no container.
    pub stale_instance_dirs: Vec<String>,
    /// Containers that have their instance directory.
    pub healthy: u32,
}

/// Checks the project at `project_root` (default: found from the current
/// directory; none is `ProjectNotInitialized`) against the engine at
/// `socket_path` (default: discovery, with the project's `socket`).
pub async fn doctor(project_root: Option<&Path>, socket_path: Option<String>) -> Result<DoctorReport> {
    let root = match project_root {
        Some(r) => r.to_path_buf(),
        None => project::find_root(None)?.ok_or_else(|| Error::ProjectNotInitialized {
            detail: "no .pocket-dock/pocket-dock.yaml in the current directory or above it".into(),
        })?,
    };
    let project = Project::open(&root)?;
    let engine = engine::connect(&Discovery {
        explicit: socket_path,
        project_socket: project.settings.socket.clone(),
    })
    .await?;
    let root_text = project.root.display().to_string();
    let containers: BTreeSet<String> = persist::list(&engine, Some(&project.settings.project_name))
        .await?
        .into_iter()
        .filter(|c| c.persist && c.project_root.as_deref().is_none_or(|r| r == root_text))
        .map(|c| c.name)
        .collect();
    let dirs: BTreeSet<String> = match std::fs::read_dir(project.instances_dir()) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
        Err(e) => {
            return Err(Error::Project {
                path: project.instances_dir().display().to_string(),
                detail: format!("cannot list the instance directories: {e}"),
            })
        }
    };
    Ok(DoctorReport {
        orphaned_containers: containers.difference(&dirs).cloned().collect(),
        stale_instance_dirs: dirs.difference(&containers).cloned().collect(),
        healthy: containers.intersection(&dirs).count() as u32,
    })
}
