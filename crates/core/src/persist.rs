//! Managed containers by name and by label: list, stop, destroy, prune, and
//! the startup sweep. Labels are the only state the engine keeps for
//! pocket-dock; only containers labelled `pocket-dock.managed=true` are ever
//! listed or touched, so other tools' containers are safe.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bollard::models::{ContainerInspectResponse, ContainerSummary, ContainerSummaryStateEnum};
use bollard::query_parameters::{ListContainersOptions, StopContainerOptions};
use once_cell::sync::Lazy;

use crate::container::remove_and_wait;
use crate::container::spec::labels;
use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::owner;

/// Seconds `stopContainer` lets the main process stop before it is killed.
const STOP_GRACE_SECS: i32 = 3;

/// One managed container, as `listContainers()` reports it (SPEC §2
/// `ContainerListItem`).
#[derive(Debug, Clone)]
pub struct ListItem {
    pub id: String,
    pub name: String,
    /// `running`, `exited`, `created`, …
    pub status: String,
    pub image: String,
    /// Seconds since the Unix epoch.
    pub created: i64,
    pub persist: bool,
    pub project: Option<String>,
}

/// The managed containers (running or not), of one project if given, oldest
/// first.
pub async fn list(engine: &Engine, project: Option<&str>) -> Result<Vec<ListItem>> {
    let mut items: Vec<ListItem> = list_managed(engine, project)
        .await?
        .into_iter()
        .map(|c| {
            let labels = c.labels.unwrap_or_default();
            ListItem {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                status: c.state.map(|s| s.to_string()).unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                created: c.created.unwrap_or(0),
                persist: labels.get(labels::PERSIST).map(String::as_str) == Some("true"),
                project: labels.get(labels::PROJECT).cloned(),
            }
        })
        .collect();
    items.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
    Ok(items)
}

/// Inspects the managed container `name` (or id). A missing container, and
/// one that pocket-dock did not create, are both `ContainerNotFound`.
pub async fn inspect_managed(engine: &Engine, name: &str) -> Result<ContainerInspectResponse> {
    let found = engine
        .docker()
        .inspect_container(name, None)
        .await
        .map_err(|e| Error::from_engine(e, Op::Lookup { container: name }))?;
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
    let id = found.id.unwrap_or_default();
    let opts = StopContainerOptions {
        t: Some(STOP_GRACE_SECS),
        ..Default::default()
    };
    match engine.docker().stop_container(&id, Some(opts)).await {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => Ok(()),
        Err(e) => match Error::from_engine(e, Op::Handle { container: &id }) {
            Error::ContainerGone { .. } => Ok(()),
            other => Err(other),
        },
    }
}

/// Removes the managed container `name`, running or not, persistent or not.
pub async fn destroy(engine: &Engine, name: &str) -> Result<()> {
    let found = inspect_managed(engine, name).await?;
    remove_and_wait(engine, &found.id.unwrap_or_default()).await
}

/// Removes the managed containers (of `project`, if given) that are stopped,
/// and the ephemeral ones whose owning process is gone. Returns how many.
pub async fn prune(engine: &Engine, project: Option<&str>) -> Result<usize> {
    let doomed: Vec<String> = list_managed(engine, project)
        .await?
        .into_iter()
        .filter(|c| is_stopped(c) || is_orphan(c))
        .filter_map(|c| c.id)
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
            let orphans: Vec<String> = found.into_iter().filter(is_orphan).filter_map(|c| c.id).collect();
            // Best effort: a failure here must not disturb the caller's work.
            let _ = remove_all(&engine, &orphans).await;
        }
    });
}

/// Stopped for good: exited or dead. A `created` container may be one that
/// another process is starting right now, so it is left alone.
fn is_stopped(c: &ContainerSummary) -> bool {
    matches!(
        c.state,
        Some(ContainerSummaryStateEnum::EXITED | ContainerSummaryStateEnum::DEAD)
    )
}

/// An ephemeral container whose owning process (on this host) has ended.
fn is_orphan(c: &ContainerSummary) -> bool {
    let Some(labels) = c.labels.as_ref() else {
        return false;
    };
    let get = |k: &str| labels.get(k).map(String::as_str).unwrap_or("");
    get(labels::PERSIST) != "true" && owner::is_gone(get(labels::OWNER_HOST), get(labels::OWNER_PID))
}

async fn remove_all(engine: &Engine, ids: &[String]) -> Result<usize> {
    for id in ids {
        remove_and_wait(engine, id).await?;
    }
    Ok(ids.len())
}

async fn list_managed(engine: &Engine, project: Option<&str>) -> Result<Vec<ContainerSummary>> {
    let mut wanted = vec![format!("{}=true", labels::MANAGED)];
    if let Some(p) = project {
        wanted.push(format!("{}={p}", labels::PROJECT));
    }
    engine
        .docker()
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("label".to_string(), wanted)])),
            ..Default::default()
        }))
        .await
        .map_err(|e| {
            Error::from_engine(
                e,
                Op::Engine {
                    socket_path: engine.socket_path(),
                },
            )
        })
}

/// Force-removes every managed container that also carries label `key`
/// (`key=value` when `value` is given). Returns how many were removed. For
/// test and benchmark cleanup.
pub async fn remove_labelled(engine: &Engine, key: &str, value: Option<&str>) -> Result<usize> {
    let wanted = match value {
        Some(v) => format!("{key}={v}"),
        None => key.to_string(),
    };
    let found = engine
        .docker()
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![format!("{}=true", labels::MANAGED), wanted],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(|e| {
            Error::from_engine(
                e,
                Op::Engine {
                    socket_path: engine.socket_path(),
                },
            )
        })?;
    let ids: Vec<String> = found.into_iter().filter_map(|c| c.id).collect();
    remove_all(engine, &ids).await
}
