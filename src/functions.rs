//! The module functions: create or resume a container, and manage containers
//! by name (list, stop, destroy, prune), each with its `…Sync` twin for
//! `pocket-dock/sync`. The hooks only tests, benchmarks and scripts use live
//! in the `internal` namespace (`binding.internal.*`), off the public surface.

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use pocket_dock_core as core;

use crate::call::{block, promise, Result};
use crate::container::NativeContainer;
use crate::options::{create_options, NativeCreateOptions};

/// The engine at `socket_path`, or the one discovery finds.
pub(crate) async fn engine(socket_path: Option<String>) -> core::Result<Arc<core::Engine>> {
    core::engine::connect(&core::Discovery {
        explicit: socket_path,
        project_socket: None,
    })
    .await
}

/// Creates and starts a container.
#[napi(ts_return_type = "Promise<NativeContainer>")]
pub fn create_container<'env>(
    env: &'env Env,
    opts: Option<NativeCreateOptions>,
    cancel: Option<&crate::container::CancelToken>,
) -> Result<PromiseRaw<'env, NativeContainer>> {
    // The token stops the image pull (`signal` in TS).
    let token = crate::container::CancelToken::token(cancel);
    promise(env, core::Container::create_cancellable(create_options(opts), token))
}
#[napi]
pub fn create_container_sync(env: &Env, opts: Option<NativeCreateOptions>) -> Result<NativeContainer> {
    block(env, core::Container::create(create_options(opts)))
}

/// A handle on an existing managed container, started if stopped.
#[napi(ts_return_type = "Promise<NativeContainer>")]
pub fn resume_container<'env>(
    env: &'env Env,
    name: String,
    socket_path: Option<String>,
    timeout: Option<f64>,
) -> Result<PromiseRaw<'env, NativeContainer>> {
    promise(env, async move {
        core::Container::resume(&name, socket_path, timeout).await
    })
}
#[napi]
pub fn resume_container_sync(
    env: &Env,
    name: String,
    socket_path: Option<String>,
    timeout: Option<f64>,
) -> Result<NativeContainer> {
    block(env, core::Container::resume(&name, socket_path, timeout))
}

/// One entry of `listContainers()`.
#[napi(object)]
pub struct NativeContainerListItem {
    pub id: String,
    pub name: String,
    pub status: String,
    pub image: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: f64,
    pub persist: bool,
    pub project: Option<String>,
}

impl From<core::ContainerListItem> for NativeContainerListItem {
    fn from(i: core::ContainerListItem) -> Self {
        NativeContainerListItem {
            created_at: i.created_ms(),
            id: i.id,
            name: i.name,
            status: i.status,
            image: i.image,
            persist: i.persist,
            project: i.project,
        }
    }
}

async fn list(socket_path: Option<String>, project: Option<String>) -> core::Result<Vec<NativeContainerListItem>> {
    let items = core::persist::list(&*engine(socket_path).await?, project.as_deref()).await?;
    Ok(items.into_iter().map(Into::into).collect())
}

/// The managed containers (of `project`, if given).
#[napi(ts_return_type = "Promise<NativeContainerListItem[]>")]
pub fn list_containers<'env>(
    env: &'env Env,
    socket_path: Option<String>,
    project: Option<String>,
) -> Result<PromiseRaw<'env, Vec<NativeContainerListItem>>> {
    promise(env, list(socket_path, project))
}
#[napi]
pub fn list_containers_sync(
    env: &Env,
    socket_path: Option<String>,
    project: Option<String>,
) -> Result<Vec<NativeContainerListItem>> {
    block(env, list(socket_path, project))
}

async fn stop(name: String, socket_path: Option<String>) -> core::Result<()> {
    core::persist::stop(&*engine(socket_path).await?, &name).await
}

/// Stops a managed container by name.
#[napi(ts_return_type = "Promise<void>")]
pub fn stop_container<'env>(env: &'env Env, name: String, socket_path: Option<String>) -> Result<PromiseRaw<'env, ()>> {
    promise(env, stop(name, socket_path))
}
#[napi]
pub fn stop_container_sync(env: &Env, name: String, socket_path: Option<String>) -> Result<()> {
    block(env, stop(name, socket_path))
}

async fn destroy(name: String, socket_path: Option<String>) -> core::Result<()> {
    core::persist::destroy(&*engine(socket_path).await?, &name).await
}

/// Removes a managed container by name, persistent or not.
#[napi(ts_return_type = "Promise<void>")]
pub fn destroy_container<'env>(
    env: &'env Env,
    name: String,
    socket_path: Option<String>,
) -> Result<PromiseRaw<'env, ()>> {
    promise(env, destroy(name, socket_path))
}
#[napi]
pub fn destroy_container_sync(env: &Env, name: String, socket_path: Option<String>) -> Result<()> {
    block(env, destroy(name, socket_path))
}

async fn prune_all(socket_path: Option<String>, project: Option<String>) -> core::Result<u32> {
    let n = core::persist::prune(&*engine(socket_path).await?, project.as_deref()).await?;
    Ok(n as u32)
}

/// Removes stopped managed containers and orphaned ephemeral ones; returns the count.
#[napi(ts_return_type = "Promise<number>")]
pub fn prune<'env>(
    env: &'env Env,
    socket_path: Option<String>,
    project: Option<String>,
) -> Result<PromiseRaw<'env, u32>> {
    promise(env, prune_all(socket_path, project))
}
#[napi]
pub fn prune_sync(env: &Env, socket_path: Option<String>, project: Option<String>) -> Result<u32> {
    block(env, prune_all(socket_path, project))
}

/// Which engine answers, and how.
#[napi(object, namespace = "internal")]
pub struct NativeEngineInfo {
    pub socket_path: String,
    /// The address as a person reads it, and how discovery found it.
    pub host: String,
    pub source: String,
    pub kind: String,
    pub api_version: String,
    pub version: String,
}

/// Discovers (or connects to) the engine and describes it (for the demo,
/// tests, preflight and benchmarks).
#[napi(namespace = "internal", ts_return_type = "Promise<NativeEngineInfo>")]
pub fn engine_info<'env>(env: &'env Env, socket_path: Option<String>) -> Result<PromiseRaw<'env, NativeEngineInfo>> {
    promise(env, async move {
        let e = engine(socket_path).await?;
        Ok(NativeEngineInfo {
            socket_path: e.socket_path().to_string(),
            host: e.host(),
            source: e.source().to_string(),
            kind: e.kind().as_str().to_string(),
            api_version: e.api_version().to_string(),
            version: e.engine_version().to_string(),
        })
    })
}

/// Force-removes the managed containers carrying label `key` (`key=value` when
/// `value` is given); returns the count. Cleans up after tests.
#[napi(namespace = "internal", ts_return_type = "Promise<number>")]
pub fn remove_labelled<'env>(
    env: &'env Env,
    key: String,
    value: Option<String>,
    socket_path: Option<String>,
) -> Result<PromiseRaw<'env, u32>> {
    promise(env, async move {
        let n = core::persist::remove_labelled(&*engine(socket_path).await?, &key, value.as_deref()).await?;
        Ok(n as u32)
    })
}

// ---- Remote engines: engines() and ping() ----

/// One configured engine and whether it answers (`engines()`, `ping()`); a
/// failure's fields and message travel beside it, for `lib/` to turn into
/// the pocket-dock error.
#[napi(object)]
pub struct NativeEngineStatus {
    pub host: String,
    pub source: String,
    pub ok: bool,
    pub kind: Option<String>,
    pub version: Option<String>,
    pub api_version: Option<String>,
    pub latency_ms: Option<f64>,
    pub error: Option<crate::error::NativeErrorFields>,
    pub error_message: Option<String>,
}

impl From<core::engine::Probe> for NativeEngineStatus {
    fn from(p: core::engine::Probe) -> Self {
        NativeEngineStatus {
            error: p.error.as_ref().map(crate::error::NativeErrorFields::from),
            error_message: p.error.as_ref().map(|e| e.to_string()),
            host: p.host,
            source: p.source,
            ok: p.ok,
            kind: p.kind.map(|k| k.as_str().to_string()),
            version: p.version,
            api_version: p.api_version,
            latency_ms: p.latency_ms,
        }
    }
}

struct Statuses(Vec<core::engine::Probe>);
impl From<Statuses> for Vec<NativeEngineStatus> {
    fn from(s: Statuses) -> Self {
        s.0.into_iter().map(Into::into).collect()
    }
}

/// Every configured engine (environment, Docker context, default sockets
/// that exist), probed at once.
#[napi(ts_return_type = "Promise<NativeEngineStatus[]>")]
pub fn engines(env: &Env) -> Result<PromiseRaw<'_, Vec<NativeEngineStatus>>> {
    promise(env, async move {
        Ok(Statuses(core::engine::engines(&core::Discovery::default()).await))
    })
}
#[napi]
pub fn engines_sync(env: &Env) -> Result<Vec<NativeEngineStatus>> {
    block(env, async move {
        Ok(Statuses(core::engine::engines(&core::Discovery::default()).await))
    })
}

async fn ping_one(host: Option<String>) -> core::Result<core::engine::Probe> {
    match host {
        Some(h) => Ok(core::engine::probe(&h, "host").await),
        None => {
            let e = engine(None).await?;
            Ok(core::engine::probe(e.socket_path(), e.source()).await)
        }
    }
}

/// One engine (`host`, or the one discovery finds), probed.
#[napi(ts_return_type = "Promise<NativeEngineStatus>")]
pub fn ping(env: &Env, host: Option<String>) -> Result<PromiseRaw<'_, NativeEngineStatus>> {
    promise(env, ping_one(host))
}
#[napi]
pub fn ping_sync(env: &Env, host: Option<String>) -> Result<NativeEngineStatus> {
    block(env, ping_one(host))
}
