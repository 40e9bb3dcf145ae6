//! The Node binding of pocket-dock. It only converts: JS option objects into the
//! core's types, core results into JS objects, and core errors into one
//! structured JS error (see [`to_js_error`]) that `lib/errors.ts` turns into the
//! exported error classes. All behaviour lives in `crates/core`.
//!
//! Every async call runs on napi's one shared tokio runtime (feature `tokio_rt`).

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, PromiseRaw};
use napi::{Env, Status};
use napi_derive::napi;
use pocket_dock_core as core;
use pocket_dock_core::exec::output::StreamKind;
use pocket_dock_core::exec::process::ProcessEvent;
use pocket_dock_core::CancellationToken;

/// Prefix of the message of every error the binding throws; `lib/errors.ts`
/// parses the JSON that follows.
const ERROR_PREFIX: &str = "POCKET_DOCK_ERROR:";

/// Turns a core error into a JS error carrying `{ code, message, ...fields }` as
/// JSON, so the TypeScript layer can build a real error class with fields.
fn to_js_error(e: core::Error) -> napi::Error {
    use core::Error as E;
    let mut fields = serde_json::json!({ "code": e.code(), "message": e.to_string() });
    let extra = match &e {
        E::SocketConnection { socket_path, detail } => {
            serde_json::json!({ "socketPath": socket_path, "detail": detail })
        }
        E::SocketCommunication { detail } => serde_json::json!({ "detail": detail }),
        E::PodmanNotRunning { tried } => serde_json::json!({ "tried": tried }),
        E::Container { container_id, detail }
        | E::ContainerNotFound { container_id, detail }
        | E::ContainerNotRunning { container_id, detail }
        | E::ContainerGone { container_id, detail } => {
            serde_json::json!({ "containerId": container_id, "detail": detail })
        }
        E::FileNotFound { container_id, path }
        | E::IsADirectory { container_id, path }
        | E::NotADirectory { container_id, path } => {
            serde_json::json!({ "containerId": container_id, "path": path })
        }
        E::ImageNotFound { image, detail } | E::ImageBuild { image, detail } => {
            serde_json::json!({ "image": image, "detail": detail })
        }
        E::SessionClosed { detail } | E::ProjectNotInitialized { detail } => {
            serde_json::json!({ "detail": detail })
        }
        E::InvalidArgument(_) | E::OutOfRange(_) => serde_json::json!({}),
    };
    if let (Some(f), serde_json::Value::Object(extra)) = (fields.as_object_mut(), extra) {
        f.extend(extra);
    }
    napi::Error::new(Status::GenericFailure, format!("{ERROR_PREFIX}{fields}"))
}

type Result<T> = std::result::Result<T, napi::Error>;

/// File name of the in-container runner, shipped next to the addon.
const RUNNER_FILE: &str = "pocket-dock-runner";

/// Tells the core, once, where the runner binary is: next to this addon's
/// `.node` file, wherever the package manager put it (found from the address
/// of our own code, so no JS loader has to pass it in).
fn locate_runner() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: dladdr only reads the address and fills `info`; the name it
        // returns is owned by the dynamic loader and copied at once.
        let found = unsafe { libc::dladdr(locate_runner as *const libc::c_void, &mut info) };
        if found == 0 || info.dli_fname.is_null() {
            return;
        }
        let addon = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
        let addon = PathBuf::from(std::ffi::OsStr::from_bytes(addon.to_bytes()));
        if let Some(dir) = addon.parent() {
            core::runner::set_binary_path(dir.join(RUNNER_FILE));
        }
    });
}

/// Runs a core future to completion on napi's shared tokio runtime, blocking
/// the calling JS thread: the `*Sync` methods behind `pocket-dock/sync`. The
/// future is the very one the async method runs (no second implementation);
/// it never waits on JS, so it cannot deadlock against the async API, and each
/// worker thread blocks only itself.
fn block<T>(fut: impl std::future::Future<Output = core::Result<T>>) -> Result<T> {
    napi::bindgen_prelude::block_on(fut).map_err(to_js_error)
}

fn pairs(map: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    map.map(|m| m.into_iter().collect()).unwrap_or_default()
}

/// A port as JS gives it: `80` or `"53/udp"`.
type Port = Either<f64, String>;

/// `CreateOptions` as it crosses from JS (see `lib/types.ts` for the docs).
#[napi(object)]
pub struct NativeCreateOptions {
    pub image: Option<String>,
    pub name: Option<String>,
    pub timeout: Option<f64>,
    pub mem_limit: Option<Either<String, f64>>,
    pub cpu_percent: Option<f64>,
    pub persist: Option<bool>,
    pub volumes: Option<HashMap<String, String>>,
    pub project: Option<String>,
    pub profile: Option<String>,
    pub devices: Option<Vec<String>>,
    /// host → container, or a list of container ports to publish on free host ports.
    pub ports: Option<Either<Vec<Port>, HashMap<String, Port>>>,
    pub socket_path: Option<String>,
    pub env: Option<HashMap<String, String>>,
    pub workdir: Option<String>,
    pub network: Option<bool>,
    pub labels: Option<HashMap<String, String>>,
    pub pids_limit: Option<f64>,
    pub init: Option<bool>,
    pub no_new_privileges: Option<bool>,
    pub read_only: Option<bool>,
}

impl From<NativeCreateOptions> for core::CreateOptions {
    fn from(o: NativeCreateOptions) -> Self {
        let number = |n: f64| {
            if n.fract() == 0.0 && n.is_finite() {
                format!("{n:.0}")
            } else {
                n.to_string()
            }
        };
        core::CreateOptions {
            image: o.image,
            name: o.name,
            timeout: o.timeout,
            mem_limit: o.mem_limit.map(|m| match m {
                Either::A(text) => text,
                Either::B(bytes) => number(bytes),
            }),
            cpu_percent: o.cpu_percent,
            persist: o.persist.unwrap_or(false),
            volumes: pairs(o.volumes),
            project: o.project,
            profile: o.profile,
            devices: o.devices.unwrap_or_default(),
            ports: {
                let port = |p: Port| match p {
                    Either::A(n) => number(n),
                    Either::B(s) => s,
                };
                match o.ports {
                    // Host port 0: the engine picks a free one.
                    Some(Either::A(list)) => list.into_iter().map(|c| ("0".to_string(), port(c))).collect(),
                    Some(Either::B(map)) => map.into_iter().map(|(host, c)| (host, port(c))).collect(),
                    None => Vec::new(),
                }
            },
            socket_path: o.socket_path,
            env: pairs(o.env),
            workdir: o.workdir,
            network: o.network,
            labels: pairs(o.labels),
            pids_limit: o.pids_limit,
            init: o.init,
            no_new_privileges: o.no_new_privileges,
            read_only: o.read_only,
        }
    }
}

/// `RunOptions` as it crosses from JS; `stdin` arrives as a Buffer.
#[napi(object)]
pub struct NativeRunOptions {
    pub timeout: Option<f64>,
    pub max_output: Option<f64>,
    pub lang: Option<String>,
    pub env: Option<HashMap<String, String>>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub stdin: Option<Buffer>,
    pub stream: Option<bool>,
    pub detach: Option<bool>,
    pub kill_leftovers: Option<bool>,
}

impl From<NativeRunOptions> for core::RunOptions {
    fn from(o: NativeRunOptions) -> Self {
        core::RunOptions {
            timeout: o.timeout,
            max_output: o.max_output,
            lang: o.lang,
            env: pairs(o.env),
            workdir: o.workdir,
            user: o.user,
            stdin: o.stdin.map(|b| b.to_vec()),
            stream: o.stream.unwrap_or(false),
            detach: o.detach.unwrap_or(false),
            kill_leftovers: o.kill_leftovers.unwrap_or(false),
        }
    }
}

/// The outcome of a command; `lib/` wraps it in the `ExecResult` class.
#[napi(object)]
pub struct NativeExecResult {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: f64,
    pub timed_out: bool,
    pub truncated: bool,
    pub cancelled: bool,
}

impl From<core::ExecResult> for NativeExecResult {
    fn from(r: core::ExecResult) -> Self {
        NativeExecResult {
            exit_code: r.exit_code,
            stdout: r.stdout,
            stderr: r.stderr,
            duration_ms: r.duration_ms,
            timed_out: r.timed_out,
            truncated: r.truncated,
            cancelled: r.cancelled,
        }
    }
}

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

/// A container handle; `lib/container.ts` wraps it as `AsyncContainer`.
#[napi]
pub struct NativeContainer {
    inner: Arc<core::Container>,
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

    /// Runs a command to completion; `cancel` kills it early.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        opts: Option<NativeRunOptions>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, NativeExecResult>> {
        let inner = self.inner.clone();
        let opts: core::RunOptions = opts.map(Into::into).unwrap_or_default();
        let token = cancel.map(|c| c.0.clone()).unwrap_or_default();
        env.spawn_future(async move { inner.run(&cmd, opts, token).await.map(Into::into).map_err(to_js_error) })
    }

    /// Starts a command in streaming mode (`NativeExecStream.cancel` kills it).
    #[napi(ts_return_type = "Promise<NativeExecStream>")]
    pub fn stream<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        opts: Option<NativeRunOptions>,
    ) -> Result<PromiseRaw<'env, NativeExecStream>> {
        let inner = self.inner.clone();
        let opts: core::RunOptions = opts.map(Into::into).unwrap_or_default();
        env.spawn_future(async move {
            let stream = inner
                .stream(&cmd, opts, CancellationToken::new())
                .await
                .map_err(to_js_error)?;
            Ok(NativeExecStream {
                inner: Arc::new(stream),
            })
        })
    }

    /// Starts a command detached.
    #[napi(ts_return_type = "Promise<NativeProcess>")]
    pub fn spawn<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        opts: Option<NativeRunOptions>,
    ) -> Result<PromiseRaw<'env, NativeProcess>> {
        let inner = self.inner.clone();
        let opts: core::RunOptions = opts.map(Into::into).unwrap_or_default();
        env.spawn_future(async move {
            let process = inner.spawn(&cmd, opts).await.map_err(to_js_error)?;
            Ok(NativeProcess {
                inner: Arc::new(process),
            })
        })
    }

    /// Opens a shell session.
    #[napi(ts_return_type = "Promise<NativeSession>")]
    pub fn session<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeSession>> {
        let inner = self.inner.clone();
        env.spawn_future(async move {
            let session = inner.session().await.map_err(to_js_error)?;
            Ok(NativeSession {
                inner: Arc::new(session),
            })
        })
    }

    /// Writes a file (parents created).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_file<'env>(&self, env: &'env Env, path: String, data: Buffer) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let data = data.to_vec();
        env.spawn_future(async move { inner.write_file(&path, &data).await.map_err(to_js_error) })
    }

    /// Reads a file.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn read_file<'env>(&self, env: &'env Env, path: String) -> Result<PromiseRaw<'env, Buffer>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.read_file(&path).await.map(Buffer::from).map_err(to_js_error) })
    }

    /// Lists a directory; directories end in `/`.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn list_files<'env>(&self, env: &'env Env, path: String) -> Result<PromiseRaw<'env, Vec<String>>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.list_files(&path).await.map_err(to_js_error) })
    }

    /// Copies a host file or directory into the container.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn push<'env>(&self, env: &'env Env, src: String, dest: String) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.push(&PathBuf::from(src), &dest).await.map_err(to_js_error) })
    }

    /// Copies a container file or directory to the host.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn pull<'env>(&self, env: &'env Env, src: String, dest: String) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.pull(&src, &PathBuf::from(dest)).await.map_err(to_js_error) })
    }

    /// A live picture of the container.
    #[napi(ts_return_type = "Promise<NativeContainerInfo>")]
    pub fn info<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeContainerInfo>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.info().await.map(Into::into).map_err(to_js_error) })
    }

    /// Restarts in place, or recreates from the image with `fresh`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn reboot<'env>(&self, env: &'env Env, fresh: bool) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.reboot(fresh).await.map_err(to_js_error) })
    }

    /// Commits the container as an image; resolves with the image id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn snapshot<'env>(&self, env: &'env Env, image_name: String) -> Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.snapshot(&image_name).await.map_err(to_js_error) })
    }

    // The same operations, blocking (for `pocket-dock/sync`).

    #[napi]
    pub fn run_sync(&self, cmd: String, opts: Option<NativeRunOptions>) -> Result<NativeExecResult> {
        let opts: core::RunOptions = opts.map(Into::into).unwrap_or_default();
        block(self.inner.run(&cmd, opts, CancellationToken::new())).map(Into::into)
    }
    #[napi]
    pub fn stream_sync(&self, cmd: String, opts: Option<NativeRunOptions>) -> Result<NativeExecStream> {
        let opts: core::RunOptions = opts.map(Into::into).unwrap_or_default();
        let stream = block(self.inner.stream(&cmd, opts, CancellationToken::new()))?;
        Ok(NativeExecStream {
            inner: Arc::new(stream),
        })
    }
    #[napi]
    pub fn spawn_sync(&self, cmd: String, opts: Option<NativeRunOptions>) -> Result<NativeProcess> {
        let opts: core::RunOptions = opts.map(Into::into).unwrap_or_default();
        let process = block(self.inner.spawn(&cmd, opts))?;
        Ok(NativeProcess {
            inner: Arc::new(process),
        })
    }
    #[napi]
    pub fn session_sync(&self) -> Result<NativeSession> {
        let session = block(self.inner.session())?;
        Ok(NativeSession {
            inner: Arc::new(session),
        })
    }
    #[napi]
    pub fn write_file_sync(&self, path: String, data: Buffer) -> Result<()> {
        block(self.inner.write_file(&path, &data))
    }
    #[napi]
    pub fn read_file_sync(&self, path: String) -> Result<Buffer> {
        block(self.inner.read_file(&path)).map(Into::into)
    }
    #[napi]
    pub fn list_files_sync(&self, path: String) -> Result<Vec<String>> {
        block(self.inner.list_files(&path))
    }
    #[napi]
    pub fn push_sync(&self, src: String, dest: String) -> Result<()> {
        block(self.inner.push(&PathBuf::from(src), &dest))
    }
    #[napi]
    pub fn pull_sync(&self, src: String, dest: String) -> Result<()> {
        block(self.inner.pull(&src, &PathBuf::from(dest)))
    }
    #[napi]
    pub fn info_sync(&self) -> Result<NativeContainerInfo> {
        block(self.inner.info()).map(Into::into)
    }
    #[napi]
    pub fn reboot_sync(&self, fresh: bool) -> Result<()> {
        block(self.inner.reboot(fresh))
    }
    #[napi]
    pub fn snapshot_sync(&self, image_name: String) -> Result<String> {
        block(self.inner.snapshot(&image_name))
    }
    #[napi]
    pub fn shutdown_sync(&self, force: Option<bool>) -> Result<()> {
        block(self.inner.shutdown(force.unwrap_or(false)))
    }

    /// Stops and removes the container (stop only when persistent).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env, force: Option<bool>) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.shutdown(force.unwrap_or(false)).await.map_err(to_js_error) })
    }
}

fn stream_name(kind: StreamKind) -> String {
    match kind {
        StreamKind::Stdout => "stdout".into(),
        StreamKind::Stderr => "stderr".into(),
    }
}

/// Output text on its way to JS. Nearly all output is ASCII; for it the
/// string is made with `napi_create_string_latin1`, which V8 copies as is,
/// instead of decoding UTF-8 byte by byte (measured: the bulk of the client
/// CPU of a stream beyond dockerode's).
pub struct Text(String);

impl napi::bindgen_prelude::TypeName for Text {
    fn type_name() -> &'static str {
        "string"
    }
    fn value_type() -> napi::ValueType {
        napi::ValueType::String
    }
}

impl napi::bindgen_prelude::ToNapiValue for Text {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        if !val.0.is_ascii() {
            return String::to_napi_value(env, val.0);
        }
        let mut out = std::ptr::null_mut();
        let status = napi::sys::napi_create_string_latin1(env, val.0.as_ptr().cast(), val.0.len() as isize, &mut out);
        if status != napi::sys::Status::napi_ok {
            return Err(napi::Error::new(Status::GenericFailure, "cannot create a JS string"));
        }
        Ok(out)
    }
}

impl napi::bindgen_prelude::FromNapiValue for Text {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> Result<Self> {
        String::from_napi_value(env, value).map(Text)
    }
}

/// A piece of streamed output.
#[napi(object)]
pub struct NativeChunk {
    /// `"stdout"` or `"stderr"`.
    pub stream: String,
    #[napi(ts_type = "string")]
    pub data: Text,
}

/// Most bytes one `next()` hands to JS: few crossings, bounded memory.
const BATCH_BYTES: usize = 1 << 20;

/// A command in streaming mode; `lib/exec-stream.ts` makes it an async iterable.
#[napi]
pub struct NativeExecStream {
    inner: Arc<core::exec::stream::ExecStream>,
}

#[napi]
impl NativeExecStream {
    /// The next output ready (waits for some), or null at the end.
    #[napi(ts_return_type = "Promise<NativeChunk[] | null>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<Vec<NativeChunk>>>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { Ok(inner.next_batch(BATCH_BYTES).await.map(chunks)) })
    }

    #[napi]
    pub fn next_sync(&self) -> Option<Vec<NativeChunk>> {
        napi::bindgen_prelude::block_on(self.inner.next_batch(BATCH_BYTES)).map(chunks)
    }
    #[napi]
    pub fn result_sync(&self) -> Result<NativeExecResult> {
        block(self.inner.result()).map(Into::into)
    }

    /// Kills the command inside the container; the stream then ends.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// The outcome, once the command has ended.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn result<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeExecResult>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.result().await.map(Into::into).map_err(to_js_error) })
    }
}

fn chunks(batch: Vec<core::exec::stream::StreamChunk>) -> Vec<NativeChunk> {
    batch
        .into_iter()
        .map(|c| NativeChunk {
            stream: stream_name(c.kind),
            data: Text(c.data),
        })
        .collect()
}

/// What `read()`/`peek()` of a detached process return.
#[napi(object)]
pub struct NativeBufferSnapshot {
    pub stdout: String,
    pub stderr: String,
}

impl From<core::exec::ring::BufferSnapshot> for NativeBufferSnapshot {
    fn from(s: core::exec::ring::BufferSnapshot) -> Self {
        NativeBufferSnapshot {
            stdout: s.stdout,
            stderr: s.stderr,
        }
    }
}

/// An event of a detached process: output (`stdout`/`stderr` with `data`) or
/// `exit` with `exitCode`.
#[napi(object)]
pub struct NativeProcessEvent {
    pub kind: String,
    pub data: Option<String>,
    pub exit_code: Option<i64>,
}

/// A detached command; `lib/process.ts` wraps it as `AsyncProcess`.
#[napi]
pub struct NativeProcess {
    inner: Arc<core::exec::process::Process>,
}

#[napi]
impl NativeProcess {
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }
    #[napi(getter)]
    pub fn buffer_size(&self) -> f64 {
        self.inner.buffer_size() as f64
    }
    #[napi(getter)]
    pub fn buffer_overflow(&self) -> bool {
        self.inner.buffer_overflow()
    }
    #[napi]
    pub fn is_running(&self) -> bool {
        self.inner.is_running()
    }
    #[napi]
    pub fn read(&self) -> NativeBufferSnapshot {
        self.inner.read().into()
    }
    #[napi]
    pub fn peek(&self) -> NativeBufferSnapshot {
        self.inner.peek().into()
    }

    /// Signals the process tree inside the container (a number or a name).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn kill<'env>(&self, env: &'env Env, signal: String) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.kill(&signal).await.map_err(to_js_error) })
    }

    /// Waits for the end (at most `timeoutSecs`), with the buffered output.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn wait<'env>(&self, env: &'env Env, timeout_secs: Option<f64>) -> Result<PromiseRaw<'env, NativeExecResult>> {
        let inner = self.inner.clone();
        let timeout = wait_timeout(timeout_secs)?;
        env.spawn_future(async move { inner.wait(timeout).await.map(Into::into).map_err(to_js_error) })
    }
    #[napi]
    pub fn kill_sync(&self, signal: String) -> Result<()> {
        block(self.inner.kill(&signal))
    }
    #[napi]
    pub fn wait_sync(&self, timeout_secs: Option<f64>) -> Result<NativeExecResult> {
        let timeout = wait_timeout(timeout_secs)?;
        block(self.inner.wait(timeout)).map(Into::into)
    }

    /// The next events in order, or null after the exit event.
    #[napi(ts_return_type = "Promise<NativeProcessEvent[] | null>")]
    pub fn next_events<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<Vec<NativeProcessEvent>>>> {
        let inner = self.inner.clone();
        env.spawn_future(async move {
            Ok(inner.next_events(256).await.map(|events| {
                events
                    .into_iter()
                    .map(|e| match e {
                        ProcessEvent::Output { kind, data } => NativeProcessEvent {
                            kind: stream_name(kind),
                            data: Some(data),
                            exit_code: None,
                        },
                        ProcessEvent::Exit { exit_code } => NativeProcessEvent {
                            kind: "exit".into(),
                            data: None,
                            exit_code: Some(exit_code),
                        },
                    })
                    .collect()
            }))
        })
    }
}

fn wait_timeout(secs: Option<f64>) -> Result<Option<std::time::Duration>> {
    let parsed = secs.map(|t| core::validate::parse_timeout(t, "timeout")).transpose();
    Ok(parsed.map_err(to_js_error)?.flatten())
}

/// A shell session; `lib/session.ts` wraps it as `AsyncSession`.
#[napi]
pub struct NativeSession {
    inner: Arc<core::session::Session>,
}

#[napi]
impl NativeSession {
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }
    /// Output no `sendAndWait` claimed, drained.
    #[napi]
    pub fn read(&self) -> String {
        self.inner.read()
    }
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send<'env>(&self, env: &'env Env, cmd: String) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.send(&cmd).await.map_err(to_js_error) })
    }
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn send_and_wait<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        timeout_secs: Option<f64>,
    ) -> Result<PromiseRaw<'env, NativeExecResult>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.run(&cmd, timeout_secs).await.map(Into::into).map_err(to_js_error) })
    }
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        env.spawn_future(async move { inner.close().await.map_err(to_js_error) })
    }
    #[napi]
    pub fn send_sync(&self, cmd: String) -> Result<()> {
        block(self.inner.send(&cmd))
    }
    #[napi]
    pub fn send_and_wait_sync(&self, cmd: String, timeout_secs: Option<f64>) -> Result<NativeExecResult> {
        block(self.inner.run(&cmd, timeout_secs)).map(Into::into)
    }
    #[napi]
    pub fn close_sync(&self) -> Result<()> {
        block(self.inner.close())
    }
}

/// Creates and starts a container.
#[napi]
pub async fn create_container(opts: Option<NativeCreateOptions>) -> Result<NativeContainer> {
    locate_runner();
    let opts: core::CreateOptions = opts.map(Into::into).unwrap_or_default();
    let container = core::Container::create(opts).await.map_err(to_js_error)?;
    Ok(NativeContainer {
        inner: Arc::new(container),
    })
}

/// A handle on an existing managed container, started if stopped.
#[napi]
pub async fn resume_container(
    name: String,
    socket_path: Option<String>,
    timeout: Option<f64>,
) -> Result<NativeContainer> {
    locate_runner();
    let container = core::Container::resume(&name, socket_path, timeout)
        .await
        .map_err(to_js_error)?;
    Ok(NativeContainer {
        inner: Arc::new(container),
    })
}

/// One process of `info().processes`.
#[napi(object)]
pub struct NativeProcessInfo {
    pub pid: i64,
    pub user: String,
    pub command: String,
}

/// `info()` as it crosses to JS; `lib/container.ts` adds the Date fields.
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
        use core::container::info::human_bytes;
        NativeContainerInfo {
            memory_usage: human_bytes(i.memory_usage_bytes),
            memory_limit: human_bytes(i.memory_limit_bytes),
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

/// One entry of `listContainers()`.
#[napi(object)]
pub struct NativeListItem {
    pub id: String,
    pub name: String,
    pub status: String,
    pub image: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: f64,
    pub persist: bool,
    pub project: Option<String>,
}

/// The managed containers (of `project`, if given).
#[napi]
pub async fn list_containers(socket_path: Option<String>, project: Option<String>) -> Result<Vec<NativeListItem>> {
    let e = engine(socket_path).await?;
    let items = core::persist::list(&e, project.as_deref()).await.map_err(to_js_error)?;
    Ok(items
        .into_iter()
        .map(|i| NativeListItem {
            id: i.id,
            name: i.name,
            status: i.status,
            image: i.image,
            created_at: i.created as f64 * 1000.0,
            persist: i.persist,
            project: i.project,
        })
        .collect())
}

/// Stops a managed container by name.
#[napi]
pub async fn stop_container(name: String, socket_path: Option<String>) -> Result<()> {
    let e = engine(socket_path).await?;
    core::persist::stop(&e, &name).await.map_err(to_js_error)
}

/// Removes a managed container by name, persistent or not.
#[napi]
pub async fn destroy_container(name: String, socket_path: Option<String>) -> Result<()> {
    let e = engine(socket_path).await?;
    core::persist::destroy(&e, &name).await.map_err(to_js_error)
}

/// Removes stopped managed containers and orphaned ephemeral ones; returns the count.
#[napi]
pub async fn prune(socket_path: Option<String>, project: Option<String>) -> Result<u32> {
    let e = engine(socket_path).await?;
    let n = core::persist::prune(&e, project.as_deref())
        .await
        .map_err(to_js_error)?;
    Ok(n as u32)
}

// The module functions, blocking (for `pocket-dock/sync`): the same async
// functions as above, run to completion on the shared runtime.

#[napi]
pub fn create_container_sync(opts: Option<NativeCreateOptions>) -> Result<NativeContainer> {
    napi::bindgen_prelude::block_on(create_container(opts))
}
#[napi]
pub fn resume_container_sync(
    name: String,
    socket_path: Option<String>,
    timeout: Option<f64>,
) -> Result<NativeContainer> {
    napi::bindgen_prelude::block_on(resume_container(name, socket_path, timeout))
}
#[napi]
pub fn list_containers_sync(socket_path: Option<String>, project: Option<String>) -> Result<Vec<NativeListItem>> {
    napi::bindgen_prelude::block_on(list_containers(socket_path, project))
}
#[napi]
pub fn stop_container_sync(name: String, socket_path: Option<String>) -> Result<()> {
    napi::bindgen_prelude::block_on(stop_container(name, socket_path))
}
#[napi]
pub fn destroy_container_sync(name: String, socket_path: Option<String>) -> Result<()> {
    napi::bindgen_prelude::block_on(destroy_container(name, socket_path))
}
#[napi]
pub fn prune_sync(socket_path: Option<String>, project: Option<String>) -> Result<u32> {
    napi::bindgen_prelude::block_on(prune(socket_path, project))
}

/// Which engine answers, and how (for the demo, tests and benchmarks).
#[napi(object)]
pub struct NativeEngineInfo {
    pub socket_path: String,
    pub kind: String,
    pub api_version: String,
    pub version: String,
}

async fn engine(socket_path: Option<String>) -> Result<Arc<core::Engine>> {
    core::engine::connect(&core::Discovery {
        explicit: socket_path,
        project_socket: None,
    })
    .await
    .map_err(to_js_error)
}

/// Discovers (or connects to) the engine and describes it.
#[napi]
pub async fn engine_info(socket_path: Option<String>) -> Result<NativeEngineInfo> {
    let e = engine(socket_path).await?;
    Ok(NativeEngineInfo {
        socket_path: e.socket_path().to_string(),
        kind: e.kind().as_str().to_string(),
        api_version: e.api_version().to_string(),
        version: e.engine_version().to_string(),
    })
}

/// Builds the Dockerfile in `dir` into `tag`, offline; returns the image id.
#[napi]
pub async fn build_image(dir: String, tag: String, socket_path: Option<String>) -> Result<String> {
    let e = engine(socket_path).await?;
    core::image::build_from_dir(&e, &PathBuf::from(dir), &tag, |_| {})
        .await
        .map_err(to_js_error)
}

/// Whether an image is present on the engine.
#[napi]
pub async fn image_exists(image: String, socket_path: Option<String>) -> Result<bool> {
    let e = engine(socket_path).await?;
    core::image::exists(&e, &image).await.map_err(to_js_error)
}

/// Removes an image.
#[napi]
pub async fn remove_image(image: String, socket_path: Option<String>) -> Result<()> {
    let e = engine(socket_path).await?;
    core::image::remove(&e, &image).await.map_err(to_js_error)
}

/// Force-removes the managed containers carrying label `key` (`key=value` when
/// `value` is given); returns the count. Used to clean up after tests.
#[napi]
pub async fn remove_labelled(key: String, value: Option<String>, socket_path: Option<String>) -> Result<u32> {
    let e = engine(socket_path).await?;
    let n = core::persist::remove_labelled(&e, &key, value.as_deref())
        .await
        .map_err(to_js_error)?;
    Ok(n as u32)
}
