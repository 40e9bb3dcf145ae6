//! `NativeContainer`: a container handle; `lib/container.ts` wraps it as
//! `AsyncContainer` (and `lib/sync/container.ts` as `Container`). Also the
//! `CancelToken` that `run` takes and the `info()` result.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use pocket_dock_core as core;
use pocket_dock_core::CancellationToken;

use crate::call::{block, spawn, Result};
use crate::exec_stream::NativeExecStream;
use crate::options::{command, run_options, NativeExecResult, NativeRunOptions, NativeStdin};
use crate::process::NativeProcess;
use crate::session::NativeSession;

/// A cancellation handle the TS layer ties to an `AbortSignal`.
#[napi]
pub struct CancelToken(CancellationToken);

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken(CancellationToken::new())
    }

    #[napi]
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl CancelToken {
    /// The core token behind it, or a token that never fires.
    pub(crate) fn token(given: Option<&CancelToken>) -> CancellationToken {
        given.map(|c| c.0.clone()).unwrap_or_default()
    }
}

/// One process of `info().processes`.
#[napi(object)]
pub struct NativeProcessInfo {
    pub pid: i64,
    pub user: String,
    pub command: String,
}

/// `info()` as it crosses to JS; `lib/` adds the Date fields.
#[napi(object)]
pub struct NativeContainerInfo {
    pub id: String,
    pub name: String,
    pub status: String,
    pub image: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub uptime: f64,
    pub memory_usage: String,
    pub memory_usage_bytes: f64,
    pub memory_limit: String,
    pub memory_limit_bytes: f64,
    pub memory_percent: f64,
    pub cpu_percent: f64,
    pub pids: u32,
    pub network: bool,
    pub ip_address: Option<String>,
    pub ports: HashMap<String, u32>,
    pub processes: Vec<NativeProcessInfo>,
    /// `"subreaper"` or `"marker"`.
    pub kill_mode: String,
}

impl From<core::ContainerInfo> for NativeContainerInfo {
    fn from(i: core::ContainerInfo) -> Self {
        NativeContainerInfo {
            memory_usage: i.memory_usage(),
            memory_limit: i.memory_limit(),
            id: i.id,
            name: i.name,
            status: i.status,
            image: i.image,
            created_at: i.created_at,
            started_at: i.started_at,
            uptime: i.uptime_ms,
            memory_usage_bytes: i.memory_usage_bytes as f64,
            memory_limit_bytes: i.memory_limit_bytes as f64,
            memory_percent: i.memory_percent,
            cpu_percent: i.cpu_percent,
            pids: i.pids as u32,
            network: i.network,
            kill_mode: i.kill_mode.as_str().to_string(),
            ip_address: i.ip_address,
            ports: i.ports.into_iter().map(|(k, v)| (k, v as u32)).collect(),
            processes: i
                .processes
                .into_iter()
                .map(|p| NativeProcessInfo {
                    pid: p.pid,
                    user: p.user,
                    command: p.command,
                })
                .collect(),
        }
    }
}

/// A container handle.
#[napi]
pub struct NativeContainer {
    inner: Arc<core::Container>,
}

impl From<core::Container> for NativeContainer {
    fn from(c: core::Container) -> Self {
        NativeContainer { inner: Arc::new(c) }
    }
}

#[napi]
impl NativeContainer {
    #[napi(getter)]
    pub fn container_id(&self) -> String {
        self.inner.id().to_string()
    }
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
    #[napi(getter)]
    pub fn socket_path(&self) -> String {
        self.inner.engine().socket_path().to_string()
    }
    #[napi(getter)]
    pub fn engine_kind(&self) -> String {
        self.inner.engine().kind().as_str().to_string()
    }
    #[napi(getter)]
    pub fn persist(&self) -> bool {
        self.inner.persist()
    }
    #[napi(getter)]
    pub fn project(&self) -> Option<String> {
        self.inner.project().map(str::to_string)
    }
    /// The instance directory of a persistent project container.
    #[napi(getter)]
    pub fn data_path(&self) -> Option<String> {
        self.inner.data_path().map(|p| p.display().to_string())
    }

    /// Runs a command to completion; `cancel` kills it early.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        cmd: Either<String, Vec<String>>,
        opts: Option<NativeRunOptions>,
        cancel: Option<&CancelToken>,
        stdin: Option<&NativeStdin>,
    ) -> Result<PromiseRaw<'env, NativeExecResult>> {
        let (opts, token) = (run_options(opts, stdin), CancelToken::token(cancel));
        let cmd = command(cmd);
        spawn(env, &self.inner, |c| async move { c.run(cmd, opts, token).await })
    }
    #[napi]
    pub fn run_sync(
        &self,
        env: &Env,
        cmd: Either<String, Vec<String>>,
        opts: Option<NativeRunOptions>,
    ) -> Result<NativeExecResult> {
        block(
            env,
            self.inner
                .run(command(cmd), run_options(opts, None), CancellationToken::new()),
        )
    }

    /// Starts a command in streaming mode (`NativeExecStream.cancel` kills it).
    #[napi(ts_return_type = "Promise<NativeExecStream>")]
    pub fn stream<'env>(
        &self,
        env: &'env Env,
        cmd: Either<String, Vec<String>>,
        opts: Option<NativeRunOptions>,
        stdin: Option<&NativeStdin>,
    ) -> Result<PromiseRaw<'env, NativeExecStream>> {
        let (cmd, opts) = (command(cmd), run_options(opts, stdin));
        spawn(env, &self.inner, |c| async move {
            c.stream(cmd, opts, CancellationToken::new()).await
        })
    }
    #[napi]
    pub fn stream_sync(
        &self,
        env: &Env,
        cmd: Either<String, Vec<String>>,
        opts: Option<NativeRunOptions>,
    ) -> Result<NativeExecStream> {
        block(
            env,
            self.inner
                .stream(command(cmd), run_options(opts, None), CancellationToken::new()),
        )
    }

    /// Starts a command detached.
    #[napi(ts_return_type = "Promise<NativeProcess>")]
    pub fn spawn<'env>(
        &self,
        env: &'env Env,
        cmd: Either<String, Vec<String>>,
        opts: Option<NativeRunOptions>,
        stdin: Option<&NativeStdin>,
    ) -> Result<PromiseRaw<'env, NativeProcess>> {
        let (cmd, opts) = (command(cmd), run_options(opts, stdin));
        spawn(env, &self.inner, |c| async move { c.spawn(cmd, opts).await })
    }
    #[napi]
    pub fn spawn_sync(
        &self,
        env: &Env,
        cmd: Either<String, Vec<String>>,
        opts: Option<NativeRunOptions>,
        stdin: Option<&NativeStdin>,
    ) -> Result<NativeProcess> {
        block(env, self.inner.spawn(command(cmd), run_options(opts, stdin)))
    }

    /// Waits until something listens on `port` inside the container.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn wait_for_port<'env>(
        &self,
        env: &'env Env,
        port: f64,
        timeout: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let token = CancelToken::token(cancel);
        spawn(env, &self.inner, |c| async move {
            c.wait_for_port(port, timeout, token).await
        })
    }
    #[napi]
    pub fn wait_for_port_sync(&self, env: &Env, port: f64, timeout: Option<f64>) -> Result<()> {
        block(env, self.inner.wait_for_port(port, timeout, CancellationToken::new()))
    }

    /// Opens a shell session.
    #[napi(ts_return_type = "Promise<NativeSession>")]
    pub fn session<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeSession>> {
        spawn(env, &self.inner, |c| async move { c.session().await })
    }
    #[napi]
    pub fn session_sync(&self, env: &Env) -> Result<NativeSession> {
        block(env, self.inner.session())
    }

    /// Writes a file (parents created).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_file<'env>(&self, env: &'env Env, path: String, data: Buffer) -> Result<PromiseRaw<'env, ()>> {
        let data = data.to_vec();
        spawn(env, &self.inner, |c| async move { c.write_file(&path, &data).await })
    }
    #[napi]
    pub fn write_file_sync(&self, env: &Env, path: String, data: Buffer) -> Result<()> {
        block(env, self.inner.write_file(&path, &data))
    }

    /// Reads a file.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn read_file<'env>(&self, env: &'env Env, path: String) -> Result<PromiseRaw<'env, Buffer>> {
        spawn(env, &self.inner, |c| async move { c.read_file(&path).await })
    }
    #[napi]
    pub fn read_file_sync(&self, env: &Env, path: String) -> Result<Buffer> {
        block(env, self.inner.read_file(&path))
    }

    /// Lists a directory; directories end in `/`.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn list_files<'env>(&self, env: &'env Env, path: String) -> Result<PromiseRaw<'env, Vec<String>>> {
        spawn(env, &self.inner, |c| async move { c.list_files(&path).await })
    }
    #[napi]
    pub fn list_files_sync(&self, env: &Env, path: String) -> Result<Vec<String>> {
        block(env, self.inner.list_files(&path))
    }

    /// Copies a host file or directory into the container.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn push<'env>(&self, env: &'env Env, src: String, dest: String) -> Result<PromiseRaw<'env, ()>> {
        spawn(
            env,
            &self.inner,
            |c| async move { c.push(&PathBuf::from(src), &dest).await },
        )
    }
    #[napi]
    pub fn push_sync(&self, env: &Env, src: String, dest: String) -> Result<()> {
        block(env, self.inner.push(&PathBuf::from(src), &dest))
    }

    /// Copies a container file or directory to the host.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn pull<'env>(&self, env: &'env Env, src: String, dest: String) -> Result<PromiseRaw<'env, ()>> {
        spawn(
            env,
            &self.inner,
            |c| async move { c.pull(&src, &PathBuf::from(dest)).await },
        )
    }
    #[napi]
    pub fn pull_sync(&self, env: &Env, src: String, dest: String) -> Result<()> {
        block(env, self.inner.pull(&src, &PathBuf::from(dest)))
    }

    /// A live picture of the container.
    #[napi(ts_return_type = "Promise<NativeContainerInfo>")]
    pub fn info<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeContainerInfo>> {
        spawn(env, &self.inner, |c| async move { c.info().await })
    }
    #[napi]
    pub fn info_sync(&self, env: &Env) -> Result<NativeContainerInfo> {
        block(env, self.inner.info())
    }

    /// Restarts in place, or recreates from the image with `fresh`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn reboot<'env>(&self, env: &'env Env, fresh: bool) -> Result<PromiseRaw<'env, ()>> {
        spawn(env, &self.inner, |c| async move { c.reboot(fresh).await })
    }
    #[napi]
    pub fn reboot_sync(&self, env: &Env, fresh: bool) -> Result<()> {
        block(env, self.inner.reboot(fresh))
    }

    /// Commits the container as an image; resolves with the image id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn snapshot<'env>(&self, env: &'env Env, image_name: String) -> Result<PromiseRaw<'env, String>> {
        spawn(env, &self.inner, |c| async move { c.snapshot(&image_name).await })
    }
    #[napi]
    pub fn snapshot_sync(&self, env: &Env, image_name: String) -> Result<String> {
        block(env, self.inner.snapshot(&image_name))
    }

    /// Stops and removes the container (stop only when persistent).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env, force: Option<bool>) -> Result<PromiseRaw<'env, ()>> {
        spawn(
            env,
            &self.inner,
            |c| async move { c.shutdown(force.unwrap_or(false)).await },
        )
    }
    #[napi]
    pub fn shutdown_sync(&self, env: &Env, force: Option<bool>) -> Result<()> {
        block(env, self.inner.shutdown(force.unwrap_or(false)))
    }
}
