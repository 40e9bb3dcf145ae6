//! Managed containers by name and by label: list, stop, destroy, prune, and
//! the startup sweep. Labels are the only state the engine keeps for
//! pocket-dock; only containers labelled `pocket-dock.managed=true` are ever
//! listed or touched, so other tools' containers are safe.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bollard::models::ContainerInspectResponse;
use once_cell::sync::Lazy;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::labels;
use crate::owner;

/// One managed container, as `listContainers()` reports it (the TS
/// `ContainerListItem`).
#[derive(Debug, Clone)]
pub struct ContainerListItem {
    pub id: String,
    pub name: String,
    /// `running`, `exited`, `created`, …
    pub status: String,
    pub image: String,
    /// Seconds since the Unix epoch.
    pub created: i64,
    pub persist: bool,
    pub project: Option<String>,
    /// The project directory it was created in (its instance directory is there).
    pub project_root: Option<String>,
}

impl ContainerListItem {
    /// When it was created, in milliseconds since the Unix epoch (what a JS
    /// `Date` takes).
    pub fn created_ms(&self) -> f64 {
        self.created as f64 * 1000.0
    }
}

/// The managed containers (running or not), of one project if given, oldest
/// first.
pub async fn list(engine: &Engine, project: Option<&str>) -> Result<Vec<ContainerListItem>> {
    let mut items: Vec<ContainerListItem> = list_managed(engine, project)
        .await?
        .into_iter()
        .map(|c| ContainerListItem {
            persist: c.label(labels::PERSIST) == "true",
            project: c.labels.get(labels::PROJECT).cloned(),
            project_root: c.labels.get(labels::PROJECT_ROOT).cloned(),
            status: if c.is_stopped() { "exited".into() } else { c.state },
            id: c.id,
            name: c
                .names
                .into_iter()
                .next()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: c.image,
            created: c.created,
        })
        .collect();
    items.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
    Ok(items)
}

/// Inspects the managed container `name` (or id). A missing container, and
/// one that pocket-dock did not create, are both `ContainerNotFound`.
pub async fn inspect_managed(engine: &Engine, name: &str) -> Result<ContainerInspectResponse> {
    let found = engine.inspect_container(name, Op::Lookup { container: name }).await?;
    let managed = found
        .config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(labels::MANAGED))
        .map(String::as_str)
        == Some("true");
    if !managed {
        return Err(Error::ContainerNotFound {
            container_id: name.to_string(),
            detail: "a container of that name exists, but pocket-dock did not create it, so it leaves it alone".into(),
        });
    }
    Ok(found)
}

/// Stops the managed container `name` (an ephemeral one is then removed by the
/// engine). Stopping a stopped container is not an error.
pub async fn stop(engine: &Engine, name: &str) -> Result<()> {
    let found = inspect_managed(engine, name).await?;
    engine.stop(&found.id.unwrap_or_default(), false).await
}

/// Removes the managed container `name`, running or not, persistent or not,
/// and its project instance directory.
pub async fn destroy(engine: &Engine, name: &str) -> Result<()> {
    let found = inspect_managed(engine, name).await?;
    engine.remove_and_wait(&found.id.unwrap_or_default()).await?;
    let tags = found.config.and_then(|c| c.labels).unwrap_or_default();
    if let Some(root) = tags.get(labels::PROJECT_ROOT) {
        let name = found.name.unwrap_or_default();
        crate::project::remove_instance_dir(std::path::Path::new(root), name.trim_start_matches('/'))?;
    }
    Ok(())
}

/// Removes the managed containers (of `project`, if given) that are stopped,
/// and the ephemeral ones whose owning process is gone. Returns how many.
pub async fn prune(engine: &Engine, project: Option<&str>) -> Result<usize> {
    let doomed: Vec<String> = list_managed(engine, project)
        .await?
        .into_iter()
        .filter(|c| c.is_stopped() || c.is_orphan())
        .map(|c| c.id)
        .collect();
    remove_all(engine, &doomed).await
}

/// Once per engine and process, in the background: removes ephemeral
/// containers whose owner is gone. The reaper normally gets there first; this
/// catches what it could not (e.g. the engine restarted while the owner died).
pub fn sweep_once(engine: &Arc<Engine>) {
    static SWEPT: Lazy<Mutex<HashSet<String>>> = Lazy::new(Default::default);
    if !SWEPT.lock().unwrap().insert(engine.socket_path().to_string()) {
        return;
    }
    let engine = engine.clone();
    tokio::spawn(async move {
        if let Ok(found) = list_managed(&engine, None).await {
            let orphans: Vec<String> = found.into_iter().filter(Summary::is_orphan).map(|c| c.id).collect();
            // Best effort: a failure here must not disturb the caller's work.
            let _ = remove_all(&engine, &orphans).await;
        }
    });
}

/// A managed container as the engine's list reports it. Our own type, not
/// bollard's: Podman reports a container that stopped but is not cleaned up
/// yet as `"stopped"`, which bollard's state enum cannot read, and one such
/// container would fail the whole list.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Summary {
    id: String,
    names: Vec<String>,
    image: String,
    created: i64,
    state: String,
    labels: HashMap<String, String>,
}

impl Summary {
    fn label(&self, key: &str) -> &str {
        self.labels.get(key).map(String::as_str).unwrap_or("")
    }

    /// Stopped for good: exited or dead (or Podman's `stopped`). A `created`
    /// container may be one that another process is starting right now, so it
    /// is left alone.
    fn is_stopped(&self) -> bool {
        matches!(self.state.as_str(), "exited" | "dead" | "stopped")
    }

    /// An ephemeral container whose owning process (on this host) has ended.
    fn is_orphan(&self) -> bool {
        self.label(labels::PERSIST) != "true"
            && owner::is_gone(self.label(labels::OWNER_HOST), self.label(labels::OWNER_PID))
    }
}

async fn remove_all(engine: &Engine, ids: &[String]) -> Result<usize> {
    for id in ids {
        engine.remove_and_wait(id).await?;
    }
    Ok(ids.len())
}

/// The managed containers, of `project` if given.
async fn list_managed(engine: &Engine, project: Option<&str>) -> Result<Vec<Summary>> {
    let project = project.map(|p| format!("{}={p}", labels::PROJECT));
    list_labelled(engine, project.as_deref()).await
}

/// The managed containers that also match the label filter `extra`
/// (`key` or `key=value`).
async fn list_labelled(engine: &Engine, extra: Option<&str>) -> Result<Vec<Summary>> {
    let mut wanted = vec![format!("{}=true", labels::MANAGED)];
    wanted.extend(extra.map(str::to_string));
    let filters = serde_json::json!({ "label": wanted }).to_string();
    let path = format!(
        "/containers/json?all=1&filters={}",
        crate::engine::percent_encode(&filters)
    );
    engine.raw_json(&path, "container list").await
}

/// Force-removes every managed container that also carries label `key`
/// (`key=value` when `value` is given). Returns how many were removed. For
/// test and benchmark cleanup.
pub async fn remove_labelled(engine: &Engine, key: &str, value: Option<&str>) -> Result<usize> {
    let wanted = match value {
        Some(v) => format!("{key}={v}"),
        None => key.to_string(),
    };
    let ids: Vec<String> = list_labelled(engine, Some(&wanted))
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    remove_all(engine, &ids).await
}
