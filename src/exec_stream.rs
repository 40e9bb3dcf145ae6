//! `NativeExecStream`: a command in streaming mode; `lib/exec-stream.ts` makes
//! it an async iterable (`lib/sync/exec-stream.ts` an iterable). Output crosses
//! in batches, as latin1 strings when it is ASCII (see [`Text`]).

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, FromNapiValue, PromiseRaw, ToNapiValue, TypeName};
use napi::{Env, Status};
use napi_derive::napi;
use pocket_dock_core as core;
use pocket_dock_core::exec::output::StreamKind;

use crate::call::{block, spawn, Result};
use crate::options::NativeExecResult;

/// `"stdout"` or `"stderr"`, as JS names the streams.
pub(crate) fn stream_name(kind: StreamKind) -> String {
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

impl TypeName for Text {
    fn type_name() -> &'static str {
        "string"
    }
    fn value_type() -> napi::ValueType {
        napi::ValueType::String
    }
}

impl ToNapiValue for Text {
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

impl napi::bindgen_prelude::ValidateNapiValue for Text {}

impl FromNapiValue for Text {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> Result<Self> {
        String::from_napi_value(env, value).map(Text)
    }
}

/// A piece of streamed output (`StreamChunk` in TS).
#[napi(object)]
pub struct NativeStreamChunk {
    /// `"stdout"` or `"stderr"`.
    pub stream: String,
    #[napi(ts_type = "string | Buffer")]
    pub data: Either<Text, Buffer>,
}

fn chunks(batch: Vec<core::exec::stream::StreamChunk>) -> Vec<NativeStreamChunk> {
    batch
        .into_iter()
        .map(|c| NativeStreamChunk {
            stream: stream_name(c.kind),
            data: match c.data {
                core::exec::Data::Text(t) => Either::A(Text(t)),
                core::exec::Data::Bytes(b) => Either::B(b.into()),
            },
        })
        .collect()
}

/// Most bytes one `next()` hands to JS: few crossings, bounded memory.
const BATCH_BYTES: usize = 1 << 20;

/// A command in streaming mode.
#[napi]
pub struct NativeExecStream {
    inner: Arc<core::exec::stream::ExecStream>,
}

impl From<core::exec::stream::ExecStream> for NativeExecStream {
    fn from(s: core::exec::stream::ExecStream) -> Self {
        NativeExecStream { inner: Arc::new(s) }
    }
}

#[napi]
impl NativeExecStream {
    /// The next output ready (waits for some), or null at the end.
    #[napi(ts_return_type = "Promise<NativeStreamChunk[] | null>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<Vec<NativeStreamChunk>>>> {
        spawn(env, &self.inner, |s| async move {
            Ok(s.next_batch(BATCH_BYTES).await.map(chunks))
        })
    }
    #[napi]
    pub fn next_sync(&self) -> Option<Vec<NativeStreamChunk>> {
        napi::bindgen_prelude::block_on(self.inner.next_batch(BATCH_BYTES)).map(chunks)
    }

    /// The outcome, once the command has ended.
    #[napi(ts_return_type = "Promise<NativeExecResult>")]
    pub fn result<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, NativeExecResult>> {
        spawn(env, &self.inner, |s| async move { s.result().await })
    }
    #[napi]
    pub fn result_sync(&self, env: &Env) -> Result<NativeExecResult> {
        block(env, self.inner.result())
    }

    /// Kills the command inside the container; the stream then ends.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }
}
