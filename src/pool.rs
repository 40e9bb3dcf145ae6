//! `NativePool`: a warm pool of started containers (core `pool`).

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use pocket_dock_core as core;

use crate::call::{block, spawn, Result};
use crate::container::NativeContainer;
use crate::options::{create_options, NativeCreateOptions};

/// A warm pool; `acquire()` hands out its containers.
#[napi]
pub struct NativePool {
    inner: Arc<core::pool::Pool>,
}

/// Checks the options and starts filling a pool of `size` containers.
#[napi]
pub fn create_pool(env: &Env, size: u32, opts: Option<NativeCreateOptions>) -> Result<NativePool> {
    // Inside the runtime, where the pool's filler task is spawned.
    let pool: core::pool::Pool = block(env, async move { core::pool::Pool::new(size, create_options(opts)) })?;
    Ok(NativePool { inner: Arc::new(pool) })
}

#[napi]
impl NativePool {
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.inner.size()
    }
    #[napi(getter)]
    pub fn available(&self) -> u32 {
        self.inner.available()
    }

    /// A started container, at once when one is warm.
    #[napi(ts_return_type = "Promise<NativeContainer>")]
    pub fn acquire<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeContainer>> {
        spawn(env, &self.inner, |p| async move { p.acquire().await })
    }
    #[napi]
    pub fn acquire_sync(&self, env: &Env) -> Result<NativeContainer> {
        block(env, self.inner.acquire())
    }

    /// Stops refilling and shuts down the containers not handed out.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        spawn(env, &self.inner, |p| async move { p.close().await })
    }
    #[napi]
    pub fn close_sync(&self, env: &Env) -> Result<()> {
        block(env, self.inner.close())
    }
}
