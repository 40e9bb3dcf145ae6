//! `NativeSession`: a long-lived shell; `lib/session.ts` wraps it as
//! `AsyncSession` (and `lib/sync/session.ts` as `Session`).

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use pocket_dock_core as core;

use crate::call::{block, spawn, Result};
use crate::options::NativeExecResult;

/// A shell session.
#[napi]
pub struct NativeSession {
    inner: Arc<core::session::Session>,
}

impl From<core::session::Session> for NativeSession {
    fn from(s: core::session::Session) -> Self {
        NativeSession { inner: Arc::new(s) }
    }
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

    /// Types `cmd` into the shell without waiting for it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send<'env>(&self, env: &'env Env, cmd: String) -> Result<PromiseRaw<'env, ()>> {
        spawn(env, &self.inner, |s| async move { s.send(&cmd).await })
    }
    #[napi]
    pub fn send_sync(&self, env: &Env, cmd: String) -> Result<()> {
        block(env, self.inner.send(&cmd))
    }

    /// Runs `cmd` in the shell; its own output and exit code.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn send_and_wait<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        timeout_secs: Option<f64>,
    ) -> Result<PromiseRaw<'env, NativeExecResult>> {
        spawn(env, &self.inner, |s| async move { s.run(&cmd, timeout_secs).await })
    }
    #[napi]
    pub fn send_and_wait_sync(&self, env: &Env, cmd: String, timeout_secs: Option<f64>) -> Result<NativeExecResult> {
        block(env, self.inner.run(&cmd, timeout_secs))
    }

    /// Ends the shell; later calls fail with `SESSION_CLOSED`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        spawn(env, &self.inner, |s| async move { s.close().await })
    }
    #[napi]
    pub fn close_sync(&self, env: &Env) -> Result<()> {
        block(env, self.inner.close())
    }
}
