//! `NativeProcess`: a detached command; `lib/process.ts` wraps it as
//! `AsyncProcess` (and `lib/sync/process.ts` as `Process`).

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use pocket_dock_core as core;
use pocket_dock_core::exec::process::ProcessEvent;

use crate::call::{block, spawn, Result};
use crate::exec_stream::stream_name;
use crate::options::{data, NativeExecResult};

/// What `read()`/`peek()` of a detached process return.
#[napi(object)]
pub struct NativeBufferSnapshot {
    pub stdout: Either<String, Buffer>,
    pub stderr: Either<String, Buffer>,
}

impl From<core::exec::ring::BufferSnapshot> for NativeBufferSnapshot {
    fn from(s: core::exec::ring::BufferSnapshot) -> Self {
        NativeBufferSnapshot {
            stdout: data(s.stdout),
            stderr: data(s.stderr),
        }
    }
}

/// An event of a detached process: output (`stdout`/`stderr` with `data`) or
/// `exit` with `exitCode`.
#[napi(object)]
pub struct NativeProcessEvent {
    pub kind: String,
    pub data: Option<Either<String, Buffer>>,
    pub exit_code: Option<i64>,
}

impl From<ProcessEvent> for NativeProcessEvent {
    fn from(e: ProcessEvent) -> Self {
        match e {
            ProcessEvent::Output { kind, data } => NativeProcessEvent {
                kind: stream_name(kind),
                data: Some(self::data(data)),
                exit_code: None,
            },
            ProcessEvent::Exit { exit_code } => NativeProcessEvent {
                kind: "exit".into(),
                data: None,
                exit_code: Some(exit_code),
            },
        }
    }
}

/// Most events one `nextEvents()` hands to JS.
const EVENT_BATCH: usize = 256;

/// A detached command.
#[napi]
pub struct NativeProcess {
    inner: Arc<core::exec::process::Process>,
}

impl From<core::exec::process::Process> for NativeProcess {
    fn from(p: core::exec::process::Process) -> Self {
        NativeProcess { inner: Arc::new(p) }
    }
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
        spawn(env, &self.inner, |p| async move { p.kill(&signal).await })
    }
    #[napi]
    pub fn kill_sync(&self, env: &Env, signal: String) -> Result<()> {
        block(env, self.inner.kill(&signal))
    }

    /// Waits for the end (at most `timeoutSecs`), with the buffered output.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn wait<'env>(&self, env: &'env Env, timeout_secs: Option<f64>) -> Result<PromiseRaw<'env, NativeExecResult>> {
        spawn(env, &self.inner, |p| async move { p.wait(timeout_secs).await })
    }
    #[napi]
    pub fn wait_sync(&self, env: &Env, timeout_secs: Option<f64>) -> Result<NativeExecResult> {
        block(env, self.inner.wait(timeout_secs))
    }

    /// Writes to the process's stdin (started with `stdin: 'pipe'`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write<'env>(&self, env: &'env Env, data: Buffer) -> Result<PromiseRaw<'env, ()>> {
        let data = data.to_vec();
        spawn(env, &self.inner, |p| async move { p.write(data).await })
    }
    #[napi]
    pub fn write_sync(&self, env: &Env, data: Buffer) -> Result<()> {
        block(env, self.inner.write(data.to_vec()))
    }

    /// Closes the process's stdin.
    #[napi]
    pub fn close_stdin(&self) {
        self.inner.close_stdin();
    }

    /// Resizes the process's pseudo-terminal.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn resize<'env>(&self, env: &'env Env, cols: f64, rows: f64) -> Result<PromiseRaw<'env, ()>> {
        spawn(env, &self.inner, |p| async move { p.resize(cols, rows).await })
    }
    #[napi]
    pub fn resize_sync(&self, env: &Env, cols: f64, rows: f64) -> Result<()> {
        block(env, self.inner.resize(cols, rows))
    }

    /// The next events in order, or null after the exit event.
    #[napi(ts_return_type = "Promise<NativeProcessEvent[] | null>")]
    pub fn next_events<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<Vec<NativeProcessEvent>>>> {
        spawn(env, &self.inner, |p| async move {
            Ok(p.next_events(EVENT_BATCH)
                .await
                .map(|events| events.into_iter().map(Into::into).collect()))
        })
    }
}
