//! The profile and image functions: profiles (pure data), build, pull, list,
//! remove, and export/import to a path or through a byte stream
//! (`NativeByteSource` / `NativeImportSink`, which `lib/images.ts` ties to
//! Node streams). Each long call takes a `CancelToken` and an `onProgress`
//! callback; its result says how many events it sent, so the TS layer can
//! resolve only after the last one arrived (two callbacks from native code
//! reach JS in no guaranteed order).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Function, PromiseRaw};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use pocket_dock_core as core;
use pocket_dock_core::image::{self, Progress};
use pocket_dock_core::CancellationToken;
use tokio::sync::{mpsc, Mutex};

use crate::call::{block, promise, Result};
use crate::container::CancelToken;
use crate::error::js_error;
use crate::functions::engine;
use crate::options::pairs;

/// A built-in profile (the TS layer adds `dockerfileDir`).
#[napi(object)]
pub struct NativeProfile {
    pub name: String,
    pub image_tag: String,
    pub network_default: bool,
    pub description: String,
    pub size_estimate: String,
}

impl From<&core::profile::Profile> for NativeProfile {
    fn from(p: &core::profile::Profile) -> Self {
        NativeProfile {
            name: p.name.into(),
            image_tag: p.image_tag.into(),
            network_default: p.network_default,
            description: p.description.into(),
            size_estimate: p.size_estimate.into(),
        }
    }
}

/// Every built-in profile, the default first.
#[napi]
pub fn list_profiles() -> Vec<NativeProfile> {
    core::profile::PROFILES.iter().map(Into::into).collect()
}

/// The profile called `name`; an unknown one is a `RangeError` naming the known ones.
#[napi]
pub fn resolve_profile(env: &Env, name: String) -> Result<NativeProfile> {
    core::profile::find(&name).map(Into::into).ok_or_else(|| {
        js_error(
            env,
            core::Error::OutOfRange(format!(
                "unknown profile {name:?}: the profiles are {}",
                core::profile::known_names()
            )),
        )
    })
}

/// One progress event (`ProgressEvent` in TS, by `kind`).
#[napi(object)]
pub struct NativeProgress {
    /// `step`, `log`, `layer` or `bytes`.
    pub kind: String,
    pub step: Option<u32>,
    /// Steps of a build, bytes of a layer or an archive.
    pub total: Option<f64>,
    pub text: Option<String>,
    pub id: Option<String>,
    pub status: Option<String>,
    pub current: Option<f64>,
    pub done: Option<f64>,
}

impl From<Progress> for NativeProgress {
    fn from(p: Progress) -> Self {
        let mut n = NativeProgress {
            kind: String::new(),
            step: None,
            total: None,
            text: None,
            id: None,
            status: None,
            current: None,
            done: None,
        };
        match p {
            Progress::Step { step, total, text } => {
                n.kind = "step".into();
                n.step = Some(step);
                n.total = Some(total.into());
                n.text = Some(text);
            }
            Progress::Log { text } => {
                n.kind = "log".into();
                n.text = Some(text);
            }
            Progress::Layer {
                id,
                status,
                current,
                total,
            } => {
                n.kind = "layer".into();
                n.id = Some(id);
                n.status = Some(status);
                n.current = current.map(|c| c as f64);
                n.total = total.map(|t| t as f64);
            }
            Progress::Bytes { done, total } => {
                n.kind = "bytes".into();
                n.done = Some(done as f64);
                n.total = total.map(|t| t as f64);
            }
        }
        n
    }
}

/// What a long image call resolves with: its value, and how many progress
/// events it sent.
#[napi(object)]
pub struct NativeImageDone {
    /// The image id (build, pull).
    pub id: Option<String>,
    /// The tags loaded (import).
    pub tags: Option<Vec<String>>,
    pub events: u32,
}

type ProgressFn = ThreadsafeFunction<NativeProgress, (), NativeProgress, Status, false>;

/// Forwards the core's progress to a JS callback, counting the events.
struct Emitter {
    callback: Option<Arc<ProgressFn>>,
    sent: Arc<AtomicU32>,
}

impl Emitter {
    fn new(callback: Option<ProgressFn>) -> Self {
        Emitter {
            callback: callback.map(Arc::new),
            sent: Arc::new(AtomicU32::new(0)),
        }
    }

    fn sink(&self) -> impl FnMut(Progress) + Send + 'static {
        let (callback, sent) = (self.callback.clone(), self.sent.clone());
        move |p| {
            if let Some(cb) = &callback {
                sent.fetch_add(1, Ordering::SeqCst);
                cb.call(p.into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
        }
    }

    /// Runs `fut` and resolves with its value and the number of events sent.
    async fn finish<T>(
        self,
        fut: impl Future<Output = core::Result<T>>,
        into: impl FnOnce(T) -> (Option<String>, Option<Vec<String>>),
    ) -> core::Result<NativeImageDone> {
        let (id, tags) = into(fut.await?);
        Ok(NativeImageDone {
            id,
            tags,
            events: self.sent.load(Ordering::SeqCst),
        })
    }
}

/// Blocks on a core future that reports progress, calling `callback` on this
/// (the JS) thread for each event as it comes: the future is polled here, and
/// events made on the runtime's threads cross through a channel.
fn block_with_progress<T, V: From<T>, Fut>(
    env: &Env,
    callback: Option<Function<NativeProgress, ()>>,
    make: impl FnOnce(Box<dyn FnMut(Progress) + Send>) -> Fut,
) -> Result<V>
where
    Fut: Future<Output = core::Result<T>>,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Progress>();
    let fut = make(Box::new(move |p| {
        let _ = tx.send(p);
    }));
    let outcome: std::result::Result<core::Result<T>, napi::Error> = napi::bindgen_prelude::block_on(async {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                biased;
                Some(p) = rx.recv() => {
                    if let Some(cb) = &callback {
                        cb.call(p.into())?;
                    }
                }
                r = &mut fut => {
                    while let Ok(p) = rx.try_recv() {
                        if let Some(cb) = &callback {
                            cb.call(p.into())?;
                        }
                    }
                    return Ok(r);
                }
            }
        }
    });
    outcome?.map(V::from).map_err(|e| js_error(env, e))
}

/// `buildImage` options as they cross from JS.
#[napi(object)]
pub struct NativeBuildOptions {
    pub context: String,
    pub dockerfile: Option<String>,
    pub tag: String,
    pub build_args: Option<HashMap<String, String>>,
    pub no_cache: Option<bool>,
    pub labels: Option<HashMap<String, String>>,
    pub socket_path: Option<String>,
}

fn build_spec(o: NativeBuildOptions) -> (core::image::BuildSpec, Option<String>) {
    let spec = core::image::BuildSpec {
        context: o.context,
        dockerfile: o.dockerfile,
        tag: o.tag,
        build_args: pairs(o.build_args),
        no_cache: o.no_cache.unwrap_or(false),
        labels: pairs(o.labels),
    };
    (spec, o.socket_path)
}

/// Builds an image; resolves with its id.
#[napi(ts_return_type = "Promise<NativeImageDone>")]
pub fn build_image<'env>(
    env: &'env Env,
    opts: NativeBuildOptions,
    cancel: Option<&CancelToken>,
    on_progress: Option<ThreadsafeFunction<NativeProgress, (), NativeProgress, Status, false>>,
) -> Result<PromiseRaw<'env, NativeImageDone>> {
    let (spec, socket) = build_spec(opts);
    let (token, emitter) = (CancelToken::token(cancel), Emitter::new(on_progress));
    let sink = emitter.sink();
    let fut = async move {
        // The input is judged before the engine is reached.
        let prepared = image::build::prepare(spec).await?;
        image::build::run(&*engine(socket).await?, prepared, token, sink).await
    };
    promise(env, emitter.finish(fut, |id| (Some(id), None)))
}
#[napi]
pub fn build_image_sync(
    env: &Env,
    opts: NativeBuildOptions,
    on_progress: Option<Function<NativeProgress, ()>>,
) -> Result<String> {
    let (spec, socket) = build_spec(opts);
    block_with_progress(env, on_progress, |sink| async move {
        let prepared = image::build::prepare(spec).await?;
        image::build::run(&*engine(socket).await?, prepared, CancellationToken::new(), sink).await
    })
}

/// `pullImage` options as they cross from JS.
#[napi(object)]
pub struct NativePullOptions {
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls_verify: Option<bool>,
    pub socket_path: Option<String>,
}

fn pull_spec(o: Option<NativePullOptions>) -> (core::image::PullSpec, Option<String>) {
    let o = o.unwrap_or(NativePullOptions {
        username: None,
        password: None,
        tls_verify: None,
        socket_path: None,
    });
    // A password without a username is refused by the core's check.
    let auth = match (o.username, o.password) {
        (None, None) => None,
        (username, password) => Some(core::image::Auth {
            username: username.unwrap_or_default(),
            password: password.unwrap_or_default(),
        }),
    };
    (
        core::image::PullSpec {
            auth,
            tls_verify: o.tls_verify,
        },
        o.socket_path,
    )
}

/// Pulls an image; resolves with its id.
#[napi(ts_return_type = "Promise<NativeImageDone>")]
pub fn pull_image<'env>(
    env: &'env Env,
    reference: String,
    opts: Option<NativePullOptions>,
    cancel: Option<&CancelToken>,
    on_progress: Option<ThreadsafeFunction<NativeProgress, (), NativeProgress, Status, false>>,
) -> Result<PromiseRaw<'env, NativeImageDone>> {
    let (spec, socket) = pull_spec(opts);
    let (token, emitter) = (CancelToken::token(cancel), Emitter::new(on_progress));
    let sink = emitter.sink();
    let fut = async move {
        image::pull::check(&reference, &spec)?;
        image::pull::pull(&*engine(socket).await?, &reference, spec, token, sink).await
    };
    promise(env, emitter.finish(fut, |id| (Some(id), None)))
}
#[napi]
pub fn pull_image_sync(
    env: &Env,
    reference: String,
    opts: Option<NativePullOptions>,
    on_progress: Option<Function<NativeProgress, ()>>,
) -> Result<String> {
    let (spec, socket) = pull_spec(opts);
    block_with_progress(env, on_progress, |sink| async move {
        image::pull::check(&reference, &spec)?;
        image::pull::pull(
            &*engine(socket).await?,
            &reference,
            spec,
            CancellationToken::new(),
            sink,
        )
        .await
    })
}

/// One entry of `listImages()`.
#[napi(object)]
pub struct NativeImageInfo {
    pub id: String,
    pub tags: Vec<String>,
    pub size: f64,
    /// Milliseconds since the Unix epoch.
    pub created_at: f64,
    pub profile: Option<String>,
    pub labels: HashMap<String, String>,
}

impl From<core::image::ImageInfo> for NativeImageInfo {
    fn from(i: core::image::ImageInfo) -> Self {
        NativeImageInfo {
            id: i.id,
            tags: i.tags,
            size: i.size as f64,
            created_at: i.created as f64 * 1000.0,
            profile: i.profile,
            labels: i.labels,
        }
    }
}

async fn list(socket_path: Option<String>, all: bool) -> core::Result<Vec<NativeImageInfo>> {
    let images = image::list(&*engine(socket_path).await?, all).await?;
    Ok(images.into_iter().map(Into::into).collect())
}

/// pocket-dock's images (built, committed, profiles'); every image with `all`.
#[napi(ts_return_type = "Promise<NativeImageInfo[]>")]
pub fn list_images<'env>(
    env: &'env Env,
    socket_path: Option<String>,
    all: Option<bool>,
) -> Result<PromiseRaw<'env, Vec<NativeImageInfo>>> {
    promise(env, list(socket_path, all.unwrap_or(false)))
}
#[napi]
pub fn list_images_sync(env: &Env, socket_path: Option<String>, all: Option<bool>) -> Result<Vec<NativeImageInfo>> {
    block(env, list(socket_path, all.unwrap_or(false)))
}

async fn remove(reference: String, force: bool, socket_path: Option<String>) -> core::Result<()> {
    image::check_remove(&reference)?;
    image::remove(&*engine(socket_path).await?, &reference, force).await
}

/// Removes an image by name or id.
#[napi(ts_return_type = "Promise<void>")]
pub fn remove_image<'env>(
    env: &'env Env,
    reference: String,
    force: Option<bool>,
    socket_path: Option<String>,
) -> Result<PromiseRaw<'env, ()>> {
    promise(env, remove(reference, force.unwrap_or(false), socket_path))
}
#[napi]
pub fn remove_image_sync(env: &Env, reference: String, force: Option<bool>, socket_path: Option<String>) -> Result<()> {
    block(env, remove(reference, force.unwrap_or(false), socket_path))
}

/// Whether an image is present (the test and demo scripts).
#[napi(namespace = "internal", ts_return_type = "Promise<boolean>")]
pub fn image_exists<'env>(
    env: &'env Env,
    image: String,
    socket_path: Option<String>,
) -> Result<PromiseRaw<'env, bool>> {
    promise(
        env,
        async move { image::exists(&*engine(socket_path).await?, &image).await },
    )
}

/// Exports images into the file `dest`.
#[napi(ts_return_type = "Promise<NativeImageDone>")]
pub fn export_images<'env>(
    env: &'env Env,
    refs: Vec<String>,
    dest: String,
    gzip: Option<bool>,
    socket_path: Option<String>,
    cancel: Option<&CancelToken>,
    on_progress: Option<ThreadsafeFunction<NativeProgress, (), NativeProgress, Status, false>>,
) -> Result<PromiseRaw<'env, NativeImageDone>> {
    let (token, emitter) = (CancelToken::token(cancel), Emitter::new(on_progress));
    let sink = emitter.sink();
    let fut = async move {
        image::archive::check_export(&refs, Some(&dest))?;
        let e = engine(socket_path).await?;
        image::archive::export_to_path(&e, refs, &dest, gzip.unwrap_or(false), token, sink).await
    };
    promise(env, emitter.finish(fut, |()| (None, None)))
}
#[napi]
pub fn export_images_sync(
    env: &Env,
    refs: Vec<String>,
    dest: String,
    gzip: Option<bool>,
    socket_path: Option<String>,
    on_progress: Option<Function<NativeProgress, ()>>,
) -> Result<()> {
    block_with_progress(env, on_progress, |sink| async move {
        image::archive::check_export(&refs, Some(&dest))?;
        let e = engine(socket_path).await?;
        image::archive::export_to_path(&e, refs, &dest, gzip.unwrap_or(false), CancellationToken::new(), sink).await
    })
}

/// An export read chunk by chunk (`next()` resolves `null` at the end).
#[napi]
pub struct NativeByteSource {
    chunks: Arc<Mutex<mpsc::Receiver<core::Result<bytes::Bytes>>>>,
}

#[napi]
impl NativeByteSource {
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<Buffer>>> {
        let chunks = self.chunks.clone();
        promise(env, async move {
            match chunks.lock().await.recv().await {
                Some(chunk) => chunk.map(|b| Some(Buffer::from(b.to_vec()))),
                None => Ok(None),
            }
        })
    }
}

/// Starts an export whose bytes JS reads (a Node `Writable` destination).
/// Checks the images first: a missing one rejects here.
#[napi(ts_return_type = "Promise<NativeByteSource>")]
pub fn export_images_stream<'env>(
    env: &'env Env,
    refs: Vec<String>,
    gzip: Option<bool>,
    socket_path: Option<String>,
    cancel: Option<&CancelToken>,
) -> Result<PromiseRaw<'env, NativeByteSource>> {
    let token = CancelToken::token(cancel);
    promise(env, async move {
        image::archive::check_export(&refs, None)?;
        let e = engine(socket_path).await?;
        let rx = image::archive::export_stream(&e, refs, gzip.unwrap_or(false), token, |_| {}).await?;
        Ok(NativeByteSource {
            chunks: Arc::new(Mutex::new(rx)),
        })
    })
}

/// Imports the archive at `src`; resolves with the tags loaded.
#[napi(ts_return_type = "Promise<NativeImageDone>")]
pub fn import_images<'env>(
    env: &'env Env,
    src: String,
    socket_path: Option<String>,
    cancel: Option<&CancelToken>,
    on_progress: Option<ThreadsafeFunction<NativeProgress, (), NativeProgress, Status, false>>,
) -> Result<PromiseRaw<'env, NativeImageDone>> {
    let (token, emitter) = (CancelToken::token(cancel), Emitter::new(on_progress));
    let sink = emitter.sink();
    let fut = async move {
        image::archive::check_import_path(&src)?;
        let e = engine(socket_path).await?;
        image::archive::import_from_path(&e, &src, token, sink).await
    };
    promise(env, emitter.finish(fut, |tags| (None, Some(tags))))
}
#[napi]
pub fn import_images_sync(
    env: &Env,
    src: String,
    socket_path: Option<String>,
    on_progress: Option<Function<NativeProgress, ()>>,
) -> Result<Vec<String>> {
    block_with_progress(env, on_progress, |sink| async move {
        image::archive::check_import_path(&src)?;
        let e = engine(socket_path).await?;
        image::archive::import_from_path(&e, &src, CancellationToken::new(), sink).await
    })
}

/// An import JS writes chunk by chunk (a Node `Readable` source): `write`
/// waits while the engine is behind, `end` resolves with the tags loaded.
#[napi]
pub struct NativeImportSink {
    tx: Arc<Mutex<Option<mpsc::Sender<std::io::Result<bytes::Bytes>>>>>,
    result: Arc<Mutex<Option<ImportTask>>>,
}

/// The import running on the runtime; its result is the tags loaded.
type ImportTask = tokio::task::JoinHandle<core::Result<Vec<String>>>;

impl NativeImportSink {
    async fn outcome(
        result: &Mutex<Option<tokio::task::JoinHandle<core::Result<Vec<String>>>>>,
    ) -> core::Result<Vec<String>> {
        let Some(handle) = result.lock().await.take() else {
            return Err(core::Error::InvalidArgument("this import has already ended".into()));
        };
        handle.await.unwrap_or_else(|e| {
            Err(core::Error::SocketCommunication {
                detail: format!("the import stopped: {e}"),
            })
        })
    }
}

#[napi]
impl NativeImportSink {
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write<'env>(&self, env: &'env Env, chunk: Buffer) -> Result<PromiseRaw<'env, ()>> {
        let (tx, result) = (self.tx.clone(), self.result.clone());
        let bytes = bytes::Bytes::from(chunk.to_vec());
        promise(env, async move {
            let sender = tx.lock().await.clone();
            let Some(sender) = sender else {
                return Err(core::Error::InvalidArgument("this import has already ended".into()));
            };
            if sender.send(Ok(bytes)).await.is_err() {
                // The engine stopped reading: its answer says why.
                tx.lock().await.take();
                return NativeImportSink::outcome(&result).await.map(|_| ());
            }
            Ok(())
        })
    }

    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn end<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Vec<String>>> {
        let (tx, result) = (self.tx.clone(), self.result.clone());
        promise(env, async move {
            tx.lock().await.take();
            NativeImportSink::outcome(&result).await
        })
    }
}

/// Starts an import that JS feeds through `NativeImportSink.write`.
#[napi(ts_return_type = "Promise<NativeImportSink>")]
pub fn import_images_stream<'env>(
    env: &'env Env,
    socket_path: Option<String>,
    cancel: Option<&CancelToken>,
) -> Result<PromiseRaw<'env, NativeImportSink>> {
    let token = CancelToken::token(cancel);
    promise(env, async move {
        let e = engine(socket_path).await?;
        let (tx, rx) = mpsc::channel(8);
        let chunks = image::receiver_stream(rx);
        let handle =
            tokio::spawn(
                async move { image::archive::import(&e, chunks, None, "the import stream", token, |_| {}).await },
            );
        Ok(NativeImportSink {
            tx: Arc::new(Mutex::new(Some(tx))),
            result: Arc::new(Mutex::new(Some(handle))),
        })
    })
}
