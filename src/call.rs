//! The two ways a binding method runs a core future: [`spawn`] hands JS a
//! promise, [`block`] (the `…Sync` twin) waits for it on the calling thread.
//! Both convert the result with `Into` and a core error with
//! [`crate::error::js_error`], so each method body is one line.
//!
//! Every future runs on napi's one shared tokio runtime (feature `tokio_rt`).

use std::future::Future;
use std::sync::Arc;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::Env;
use pocket_dock_core as core;

use crate::error::js_error;

pub(crate) type Result<T> = napi::Result<T>;

/// Clones the handle, spawns the future `call` makes of it, and settles the
/// promise on the JS thread: resolved with the result converted to `V`, or
/// rejected with the JS error of the core error.
pub(crate) fn spawn<'env, H, Fut, T, V>(
    env: &'env Env,
    handle: &Arc<H>,
    call: impl FnOnce(Arc<H>) -> Fut,
) -> Result<PromiseRaw<'env, V>>
where
    H: ?Sized,
    Fut: Future<Output = core::Result<T>> + Send + 'static,
    T: Into<V> + Send + 'static,
    V: ToNapiValue + 'static,
{
    promise(env, call(handle.clone()))
}

/// [`spawn`] for a future that needs no handle (the module functions).
pub(crate) fn promise<'env, Fut, T, V>(env: &'env Env, fut: Fut) -> Result<PromiseRaw<'env, V>>
where
    Fut: Future<Output = core::Result<T>> + Send + 'static,
    T: Into<V> + Send + 'static,
    V: ToNapiValue + 'static,
{
    // The core error crosses to the JS thread as a value, where the callback
    // can build a JS error object with its fields.
    env.spawn_future_with_callback(async move { Ok(fut.await) }, |env, result: core::Result<T>| {
        result.map(Into::into).map_err(|e| js_error(env, e))
    })
}

/// Runs a core future to completion on the shared runtime, blocking the
/// calling JS thread: the `…Sync` methods behind `pocket-dock/sync`. The future
/// is the very one the async twin runs (no second implementation); it never
/// waits on JS, so it cannot deadlock against the async API, and each worker
/// thread blocks only itself.
pub(crate) fn block<T: Into<V>, V>(env: &Env, fut: impl Future<Output = core::Result<T>>) -> Result<V> {
    napi::bindgen_prelude::block_on(fut)
        .map(Into::into)
        .map_err(|e| js_error(env, e))
}
