//! Moving images as a tar (`docker save` / `docker load` format), for
//! machines without a registry. Both directions stream with a few chunks in
//! flight, so a gigabyte image moves in megabytes of memory: the export is
//! read from the engine chunk by chunk (gzip'd on the way when asked), the
//! import is sent to it chunk by chunk (and, for Podman, which refuses gzip,
//! inflated on the way in pieces of at most [`OUT_CHUNK`]). An export to a
//! path is written to a temporary file beside it and renamed only once
//! complete, so a failed or aborted export leaves nothing behind.
//!
//! What the caller gives (references, paths) is judged by [`check_export`]
//! and [`check_import_path`] before the engine is reached; what the engine
//! answers is treated as untrusted: the export must start with a tar header,
//! the load answer is read line by line with each line bounded, and the image
//! names it reports must be image names.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes};
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::progress::{OnProgress, Progress};
use crate::engine::{Engine, EngineKind};
use crate::error::{Error, Op, Result};
use crate::validate::{check_image_ref, check_no_nul, invalid};

/// Chunks buffered between the engine and the consumer on each side.
const CHUNKS_IN_FLIGHT: usize = 8;
/// Bytes per chunk of an export, as written to the file or handed to JS, and
/// the largest piece an inflated import is sent in.
const OUT_CHUNK: usize = 256 * 1024;
/// Bytes read from a file per chunk of an import.
const READ_CHUNK: usize = 256 * 1024;
/// The longest line of the engine's load answer kept (the rest is dropped).
const MAX_ANSWER_LINE: usize = 64 * 1024;
/// The most image names a load answer may report.
const MAX_LOADED: usize = 1024;
/// The longest image name a load answer may report.
const MAX_NAME: usize = 512;
/// The size of a tar header block.
const TAR_BLOCK: usize = 512;

/// Judges an export's input before the engine is reached: `refs` (at least
/// one, each a valid reference) and, for an export to a path, `dest` (a new
/// or regular file in an existing directory).
pub fn check_export(refs: &[String], dest: Option<&str>) -> Result<()> {
    if refs.is_empty() {
        return Err(invalid("exportImages needs at least one image reference"));
    }
    for r in refs {
        check_image_ref(r, "an image to export")?;
    }
    if let Some(dest) = dest {
        check_dest(Path::new(dest))?;
    }
    Ok(())
}

/// `dest` may be written: not empty, naming a file whose directory exists,
/// and either absent or a regular file (a directory, a symlink, a device, a
/// FIFO or a socket there is refused: the export would replace it).
fn check_dest(dest: &Path) -> Result<()> {
    let shown = dest.display();
    if dest.as_os_str().is_empty() {
        return Err(invalid("the export destination must not be empty"));
    }
    check_no_nul(&dest.to_string_lossy(), "the export destination")?;
    match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => {
            return Err(invalid(format!(
                "the export destination {shown} is a directory; name a file"
            )))
        }
        Ok(m) if !m.file_type().is_file() => {
            return Err(invalid(format!(
                "the export destination {shown} exists and is not a regular file (a symlink, device, FIFO or socket), which the export would replace; name a new file or a regular one"
            )))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(invalid(format!("cannot write the export destination {shown}: {e}"))),
    }
    if dest.file_name().is_none() {
        return Err(invalid(format!("the export destination {shown} names no file")));
    }
    let dir = parent_dir(dest);
    if !std::fs::metadata(&dir).is_ok_and(|m| m.is_dir()) {
        return Err(invalid(format!(
            "cannot write the export destination {shown}: its directory {} does not exist",
            dir.display()
        )));
    }
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Judges an import's source path before the engine is reached: it exists
/// and is not a directory (a FIFO or a device is read as a stream).
pub fn check_import_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(invalid("the image archive path must not be empty"));
    }
    check_no_nul(path, "the image archive path")?;
    let meta = std::fs::metadata(path).map_err(|e| invalid(format!("cannot read the image archive {path}: {e}")))?;
    if meta.is_dir() {
        return Err(invalid(format!("the image archive {path} is a directory; name a file")));
    }
    Ok(())
}

/// Checks `refs` and that each image exists, before anything is written.
async fn check_refs(engine: &Engine, refs: &[String]) -> Result<()> {
    check_export(refs, None)?;
    for r in refs {
        if !super::local::exists(engine, r).await? {
            return Err(Error::ImageNotFound {
                image: r.clone(),
                detail: "nothing to export".into(),
            });
        }
    }
    Ok(())
}

/// Whether `block` is a tar header: `ustar` magic (POSIX or GNU) and a
/// matching checksum.
fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < TAR_BLOCK || &block[257..262] != b"ustar" {
        return false;
    }
    let field = &block[148..156];
    let Some(digits) = std::str::from_utf8(field)
        .ok()
        .map(|d| d.trim_matches(|c| c == '\0' || c == ' '))
    else {
        return false;
    };
    let Ok(expected) = u32::from_str_radix(digits, 8) else {
        return false;
    };
    let sum: u32 = block[..TAR_BLOCK]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == expected
}

fn not_a_tar(label: &str) -> Error {
    Error::SocketCommunication {
        detail: format!("the engine's export of {label} is not a tar archive"),
    }
}

/// The export of `refs` as a stream of chunks (gzip'd when `gzip`), with
/// progress in bytes produced. Checks first: a missing image fails before the
/// first chunk, and an answer that does not start with a tar header fails
/// before any byte is handed on.
pub async fn export_stream(
    engine: &Engine,
    refs: Vec<String>,
    gzip: bool,
    cancel: CancellationToken,
    mut progress: impl OnProgress,
) -> Result<mpsc::Receiver<Result<Bytes>>> {
    check_refs(engine, &refs).await?;
    let names: Vec<&str> = refs.iter().map(String::as_str).collect();
    let mut body = engine.docker().export_images(&names).boxed();
    let label = refs.join(", ");
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let mut gz = gzip.then(|| flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
        let mut pending: Vec<u8> = Vec::with_capacity(OUT_CHUNK);
        // The answer's first block, until it is known to be a tar header.
        let mut head: Option<Vec<u8>> = Some(Vec::with_capacity(TAR_BLOCK));
        let mut done = 0u64;
        loop {
            let next = tokio::select! {
                n = body.next() => n,
                () = cancel.cancelled() => {
                    let _ = tx.send(Err(Error::Aborted { operation: format!("exporting {label}") })).await;
                    return;
                }
                () = tx.closed() => return,
            };
            let chunk = match next {
                None => break,
                Some(Ok(c)) => c,
                Some(Err(e)) => {
                    let _ = tx.send(Err(Error::from_engine(e, Op::Image { image: &label }))).await;
                    return;
                }
            };
            if let Some(h) = head.as_mut() {
                h.extend_from_slice(&chunk[..chunk.len().min(TAR_BLOCK - h.len())]);
                if h.len() == TAR_BLOCK {
                    if !is_tar_header(h) {
                        let _ = tx.send(Err(not_a_tar(&label))).await;
                        return;
                    }
                    head = None;
                }
            }
            // Engines answer in small frames (Podman's are a few KiB): they
            // are gathered into chunks of OUT_CHUNK, so the file (or JS) sees
            // few large writes.
            let out = match gz.as_mut() {
                Some(enc) => {
                    if let Err(e) = enc.write_all(&chunk) {
                        let _ = tx.send(Err(invalid(format!("gzip: {e}")))).await;
                        return;
                    }
                    if enc.get_ref().len() < OUT_CHUNK || head.is_some() {
                        continue;
                    }
                    Bytes::from(std::mem::take(enc.get_mut()))
                }
                None => {
                    pending.extend_from_slice(&chunk);
                    if pending.len() < OUT_CHUNK || head.is_some() {
                        continue;
                    }
                    Bytes::from(std::mem::replace(&mut pending, Vec::with_capacity(OUT_CHUNK)))
                }
            };
            done += out.len() as u64;
            if tx.send(Ok(out)).await.is_err() {
                return;
            }
            progress(Progress::Bytes { done, total: None });
        }
        if head.is_some() {
            let _ = tx.send(Err(not_a_tar(&label))).await;
            return;
        }
        if !pending.is_empty() {
            done += pending.len() as u64;
            if tx.send(Ok(Bytes::from(pending))).await.is_err() {
                return;
            }
            progress(Progress::Bytes { done, total: None });
        }
        if let Some(enc) = gz {
            match enc.finish() {
                Ok(rest) if !rest.is_empty() => {
                    done += rest.len() as u64;
                    if tx.send(Ok(Bytes::from(rest))).await.is_err() {
                        return;
                    }
                    progress(Progress::Bytes { done, total: None });
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(invalid(format!("gzip: {e}")))).await;
                }
            }
        }
    });
    Ok(rx)
}

/// Exports `refs` into the file `dest`, which appears only once complete.
pub async fn export_to_path(
    engine: &Engine,
    refs: Vec<String>,
    dest: &str,
    gzip: bool,
    cancel: CancellationToken,
    progress: impl OnProgress,
) -> Result<()> {
    check_export(&refs, Some(dest))?;
    let mut chunks = export_stream(engine, refs, gzip, cancel, progress).await?;
    let (tmp, mut file) = open_partial(Path::new(dest)).await?;
    let written = async {
        while let Some(chunk) = chunks.recv().await {
            file.write_all(&chunk?)
                .await
                .map_err(|e| invalid(format!("cannot write {dest}: {e}")))?;
        }
        // Flushed, not fsync'd: like `docker save -o`, the archive is complete
        // for every reader once renamed; forcing it to disk would add the
        // disk's write-back to every export and guard only against a power loss.
        file.flush()
            .await
            .map_err(|e| invalid(format!("cannot write {dest}: {e}")))?;
        // Judged again: something may have appeared at `dest` meanwhile.
        check_dest(Path::new(dest))?;
        tokio::fs::rename(&tmp, dest)
            .await
            .map_err(|e| invalid(format!("cannot write {dest}: {e}")))
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written
}

/// Creates the temporary file an export to `dest` is written into, in the
/// same directory (so the final rename is atomic).
async fn open_partial(dest: &Path) -> Result<(PathBuf, tokio::fs::File)> {
    let shown = dest.display();
    let name = dest
        .file_name()
        .ok_or_else(|| invalid(format!("the export destination {shown} names no file")))?;
    let tmp = parent_dir(dest).join(format!(
        ".{}.partial-{:08x}",
        name.to_string_lossy(),
        rand::random::<u32>()
    ));
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .await
        .map_err(|e| invalid(format!("cannot write the export destination {shown}: {e}")))?;
    Ok((tmp, file))
}

/// Why an inflated import failed when the archive itself is at fault
/// (truncated or not gzip after all), as the inflater found it.
type BadArchive = Arc<Mutex<Option<String>>>;

/// Loads the images of a tar (plain or gzip'd) that arrives as `chunks`, and
/// returns the names loaded (an image saved without a tag is reported by its
/// id). `total` is the archive's size when known.
pub async fn import<S>(
    engine: &Engine,
    chunks: S,
    total: Option<u64>,
    source: &str,
    cancel: CancellationToken,
    mut progress: impl OnProgress,
) -> Result<Vec<String>>
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Progress>(64);
    let mut done = 0u64;
    let counted = chunks.map(move |c| {
        if let Ok(bytes) = &c {
            done += bytes.len() as u64;
            let _ = tx.try_send(Progress::Bytes { done, total });
        }
        c
    });
    // Docker's load reads a gzip'd archive; Podman's refuses it ("payload does
    // not match any of the supported image formats"), so for Podman it is
    // inflated on the way.
    let bad: BadArchive = Arc::default();
    let body: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>> = match engine.kind() {
        EngineKind::Podman => Box::pin(gunzip_if_gzip(counted, bad.clone())),
        EngineKind::Docker => Box::pin(counted),
    };
    let load = load(engine, body, source, &bad);
    tokio::pin!(load);
    let outcome = async {
        loop {
            tokio::select! {
                biased;
                Some(p) = rx.recv() => progress(p),
                r = &mut load => {
                    while let Ok(p) = rx.try_recv() {
                        progress(p);
                    }
                    return r;
                }
            }
        }
    };
    let loaded = tokio::select! {
        r = outcome => r?,
        () = cancel.cancelled() => return Err(Error::Aborted { operation: format!("importing {source}") }),
    };
    if loaded.is_empty() {
        return Err(invalid(format!(
            "{source} held no image the engine could load: is it an archive from exportImages() or `docker save`?"
        )));
    }
    Ok(loaded)
}

/// POSTs `body` to the engine's load endpoint on a connection of its own and
/// reads the answer line by line (each bounded), returning the names loaded.
async fn load(
    engine: &Engine,
    body: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    source: &str,
    bad: &BadArchive,
) -> Result<Vec<String>> {
    use http_body_util::BodyExt;
    let socket_path = engine.socket_path();
    let connection_error =
        |e: std::io::Error| Error::from_engine(bollard::errors::Error::IOError { err: e }, Op::Engine { socket_path });
    let stream = engine.connection().await.map_err(connection_error)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(|e| connection_error(std::io::Error::other(e)))?;
    let body = http_body_util::StreamBody::new(body.map(|r| r.map(hyper::body::Frame::data)));
    let request = hyper::Request::builder()
        .method("POST")
        .uri("/images/load?quiet=0")
        .header(hyper::header::HOST, "pocket-dock")
        .header(hyper::header::CONTENT_TYPE, "application/x-tar")
        .body(body)
        .map_err(|e| connection_error(std::io::Error::other(e)))?;
    // A failure while sending is the archive's when the inflater said so.
    let broken = |what: &str, e: &dyn std::fmt::Display| match bad.lock().ok().and_then(|b| b.clone()) {
        Some(why) => not_an_archive(source, &why),
        None => Error::SocketCommunication {
            detail: format!("the load {what}: {e}"),
        },
    };
    let exchange = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| broken("request broke off", &e))?;
        let status = response.status().as_u16();
        let mut answer = response.into_body();
        if !(200..300).contains(&status) {
            let mut text = Vec::new();
            while let Some(frame) = answer.frame().await {
                let frame = frame.map_err(|e| broken("answer broke off", &e))?;
                if let Some(data) = frame.data_ref() {
                    let room = MAX_ANSWER_LINE.saturating_sub(text.len());
                    text.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            return Err(import_error(
                source,
                bollard::errors::Error::DockerResponseServerError {
                    status_code: status,
                    message: answer_message(String::from_utf8_lossy(&text).trim()),
                },
            ));
        }
        let mut lines = LineReader::default();
        let mut loaded = Vec::new();
        while let Some(frame) = answer.frame().await {
            let frame = frame.map_err(|e| broken("answer broke off", &e))?;
            let Some(data) = frame.data_ref() else { continue };
            for line in lines.push(data) {
                read_answer_line(&line, source, &mut loaded)?;
            }
        }
        if let Some(line) = lines.finish() {
            read_answer_line(&line, source, &mut loaded)?;
        }
        Ok(loaded)
    };
    // The connection is driven here, not spawned: dropping this future (an
    // abort) drops the request and its body with it.
    tokio::pin!(conn);
    tokio::pin!(exchange);
    let mut conn_done = false;
    loop {
        tokio::select! {
            r = &mut exchange => return r,
            _ = &mut conn, if !conn_done => conn_done = true,
        }
    }
}

/// Splits an answer into lines, keeping at most [`MAX_ANSWER_LINE`] bytes of
/// each (a hostile engine's endless line costs no memory).
#[derive(Default)]
struct LineReader {
    partial: Vec<u8>,
}

impl LineReader {
    fn push(&mut self, mut data: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        while let Some(i) = data.iter().position(|b| *b == b'\n') {
            self.keep(&data[..i]);
            lines.push(std::mem::take(&mut self.partial));
            data = &data[i + 1..];
        }
        self.keep(data);
        lines
    }

    fn keep(&mut self, data: &[u8]) {
        let room = MAX_ANSWER_LINE.saturating_sub(self.partial.len());
        self.partial.extend_from_slice(&data[..data.len().min(room)]);
    }

    fn finish(self) -> Option<Vec<u8>> {
        (!self.partial.is_empty()).then_some(self.partial)
    }
}

/// The message of an error answer: its JSON `message`, or the text itself.
fn answer_message(text: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        message: String,
    }
    serde_json::from_str::<Body>(text).map_or_else(|_| text.to_string(), |b| b.message)
}

/// One line of the load answer: `{"stream":"Loaded image: x:1\n"}`, or
/// `{"error":"…"}` when the archive could not be loaded.
fn read_answer_line(line: &[u8], source: &str, loaded: &mut Vec<String>) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Line {
        stream: Option<String>,
        error: Option<String>,
    }
    let Ok(parsed) = serde_json::from_slice::<Line>(line) else {
        return Ok(());
    };
    if let Some(error) = parsed.error.filter(|e| !e.is_empty()) {
        return Err(import_error(
            source,
            bollard::errors::Error::DockerStreamError { error },
        ));
    }
    for name in parsed.stream.as_deref().map(loaded_names).unwrap_or_default() {
        check_loaded_name(&name)?;
        if loaded.len() == MAX_LOADED {
            return Err(Error::SocketCommunication {
                detail: format!("the engine's load answer named more than {MAX_LOADED} images"),
            });
        }
        loaded.push(name);
    }
    Ok(())
}

/// A name from the load answer (the engine's word, so untrusted) must be an
/// image reference or an image id.
fn check_loaded_name(name: &str) -> Result<()> {
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    let is_id = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if name.len() <= MAX_NAME && (is_id || check_image_ref(name, "a loaded image").is_ok()) {
        return Ok(());
    }
    let shown: String = name.chars().take(80).collect();
    Err(Error::SocketCommunication {
        detail: format!("the engine's load answer named {shown:?}, which is not an image name"),
    })
}

fn not_an_archive(source: &str, why: &str) -> Error {
    invalid(format!(
        "{source} is not a valid image archive (one from exportImages() or `docker save`, plain or gzip'd): {why}"
    ))
}

/// `chunks` as they are, or inflated when they start with gzip's magic bytes
/// (judged on the first two bytes however the chunks fall). Inflating runs on
/// a blocking thread between two bounded channels, in pieces of at most
/// [`OUT_CHUNK`], so an archive that inflates a thousandfold still moves in
/// a few megabytes. A truncated or corrupt gzip ends the stream with an
/// error, and `bad` says why.
fn gunzip_if_gzip<S>(chunks: S, bad: BadArchive) -> impl Stream<Item = std::io::Result<Bytes>> + Send
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
{
    let (out_tx, mut out_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    // Dropped with the returned stream: stops the forwarding task (and so the
    // inflater, whose input then ends).
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! {
            () = forward(chunks, out_tx, bad) => {}
            _ = stop_rx => {}
        }
    });
    futures::stream::poll_fn(move |cx| {
        let _alive = &stop_tx;
        out_rx.poll_recv(cx)
    })
}

async fn forward<S>(chunks: S, out: mpsc::Sender<std::io::Result<Bytes>>, bad: BadArchive)
where
    S: Stream<Item = std::io::Result<Bytes>> + Send,
{
    tokio::pin!(chunks);
    let mut head: Vec<Bytes> = Vec::new();
    let mut failed = None;
    while head.iter().map(Bytes::len).sum::<usize>() < 2 {
        match chunks.next().await {
            Some(Ok(c)) if c.is_empty() => {}
            Some(Ok(c)) => head.push(c),
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let magic: Vec<u8> = head.iter().flat_map(|c| c.iter().copied()).take(2).collect();
    if magic != [0x1f, 0x8b] {
        let rest = chunks.map(Some).chain(futures::stream::once(async { None }));
        let all = futures::stream::iter(head.into_iter().map(Ok))
            .chain(futures::stream::iter(failed.map(Err)))
            .map(Some)
            .chain(rest);
        tokio::pin!(all);
        while let Some(Some(c)) = all.next().await {
            let stop = c.is_err();
            if out.send(c).await.is_err() || stop {
                return;
            }
        }
        return;
    }
    let (in_tx, in_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || inflate(in_rx, &out, &bad));
    for c in head {
        if in_tx.send(Ok(c)).await.is_err() {
            return;
        }
    }
    while let Some(c) = chunks.next().await {
        let stop = c.is_err();
        if in_tx.send(c).await.is_err() || stop {
            return;
        }
    }
}

/// Inflates what arrives on `input` into `out`, in pieces of at most
/// [`OUT_CHUNK`]. Runs on a blocking thread.
fn inflate(
    input: mpsc::Receiver<std::io::Result<Bytes>>,
    out: &mpsc::Sender<std::io::Result<Bytes>>,
    bad: &BadArchive,
) {
    let mut decoder = flate2::read::MultiGzDecoder::new(ChannelReader {
        input,
        current: Bytes::new(),
        failed: false,
    });
    loop {
        let mut piece = vec![0u8; OUT_CHUNK];
        let mut filled = 0;
        let end = loop {
            if filled == piece.len() {
                break Ok(false);
            }
            match decoder.read(&mut piece[filled..]) {
                Ok(0) => break Ok(true),
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        if filled > 0 {
            piece.truncate(filled);
            if out.blocking_send(Ok(Bytes::from(piece))).is_err() {
                return;
            }
        }
        match end {
            Ok(false) => {}
            Ok(true) => return,
            Err(e) => {
                if !decoder.get_ref().failed {
                    let why = match e.kind() {
                        std::io::ErrorKind::UnexpectedEof => "the gzip data ends early (a truncated file?)".to_string(),
                        _ => format!("its gzip data is corrupt ({e})"),
                    };
                    if let Ok(mut b) = bad.lock() {
                        *b = Some(why);
                    }
                }
                let _ = out.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// The chunks of a channel as a blocking `Read` (the inflater's input).
struct ChannelReader {
    input: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
    /// The input itself failed (not the gzip data).
    failed: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.input.blocking_recv() {
                Some(Ok(c)) => self.current = c,
                Some(Err(e)) => {
                    self.failed = true;
                    return Err(e);
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Imports the archive at `path`. A FIFO (or device) is read as a stream;
/// opening one waits for a writer, and an abort ends that wait.
pub async fn import_from_path(
    engine: &Engine,
    path: &str,
    cancel: CancellationToken,
    progress: impl OnProgress,
) -> Result<Vec<String>> {
    check_import_path(path)?;
    let cannot = |e: std::io::Error| invalid(format!("cannot read the image archive {path}: {e}"));
    let owned = path.to_string();
    let opening = tokio::task::spawn_blocking(move || std::fs::File::open(owned));
    let file = tokio::select! {
        r = opening => r.map_err(|e| cannot(std::io::Error::other(e)))?.map_err(cannot)?,
        () = cancel.cancelled() => {
            release_fifo(path);
            return Err(Error::Aborted { operation: format!("importing {path}") });
        }
    };
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return Err(invalid(format!("the image archive {path} is a directory; name a file")));
    }
    let total = meta.is_file().then_some(meta.len());
    let chunks = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), READ_CHUNK);
    import(engine, chunks, total, path, cancel, progress).await
}

/// Ends the wait of an open of the FIFO `path` that found no writer yet, by
/// opening (and closing) it for writing: the abandoned open then returns,
/// and its file is dropped.
#[cfg(unix)]
fn release_fifo(path: &str) {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path);
    }
}

/// Windows has no FIFOs in the file system: nothing waits.
#[cfg(not(unix))]
fn release_fifo(_path: &str) {}

/// The names in a load answer: Docker's `Loaded image: x:1` or `Loaded image
/// ID: sha256:…`, Podman's `Loaded image: localhost/x:1` or
/// `Loaded image(s): a,b`.
fn loaded_names(line: &str) -> Vec<String> {
    let line = line.trim();
    let Some(rest) = line
        .strip_prefix("Loaded image ID: ")
        .or_else(|| line.strip_prefix("Loaded image(s): "))
        .or_else(|| line.strip_prefix("Loaded image: "))
    else {
        return Vec::new();
    };
    rest.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

fn import_error(source: &str, e: bollard::errors::Error) -> Error {
    let detail = match e {
        bollard::errors::Error::DockerStreamError { error } => error,
        bollard::errors::Error::DockerResponseServerError { status_code, message }
            if status_code < 500 || !message.is_empty() =>
        {
            message
        }
        other => return Error::from_engine(other, Op::Image { image: source }),
    };
    let detail: String = detail.trim().chars().take(2000).collect();
    not_an_archive(source, &detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    async fn through(chunks: Vec<Vec<u8>>) -> (Vec<std::io::Result<Bytes>>, Option<String>) {
        let bad = BadArchive::default();
        let input = futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
        let out = gunzip_if_gzip(input, bad.clone()).collect().await;
        let why = bad.lock().unwrap().clone();
        (out, why)
    }

    #[tokio::test]
    async fn a_gzip_archive_is_inflated_and_a_plain_one_passes_as_is() {
        let plain = vec![7u8; 300_000];
        for input in [gzip(&plain), plain.clone()] {
            let (out, bad) = through(input.chunks(1000).map(<[u8]>::to_vec).collect()).await;
            let out: Vec<Bytes> = out.into_iter().map(|r| r.unwrap()).collect();
            assert_eq!(out.concat(), plain);
            assert!(bad.is_none());
        }
    }

    #[tokio::test]
    async fn gzip_is_recognised_however_the_first_bytes_fall() {
        let plain = b"not gzip at all".to_vec();
        let gz = gzip(&plain);
        let splits = [
            vec![vec![], gz[..1].to_vec(), vec![], gz[1..].to_vec()],
            vec![gz[..1].to_vec(), gz[1..2].to_vec(), gz[2..].to_vec()],
        ];
        for chunks in splits {
            let (out, _) = through(chunks).await;
            let out: Vec<Bytes> = out.into_iter().map(|r| r.unwrap()).collect();
            assert_eq!(out.concat(), plain);
        }
        let (out, _) = through(vec![vec![0x1f], vec![]]).await;
        assert_eq!(out.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>().concat(), [0x1f]);
    }

    #[tokio::test]
    async fn inflating_a_thousandfold_archive_comes_in_bounded_pieces() {
        let plain = vec![0u8; 64 * 1024 * 1024];
        let gz = gzip(&plain);
        drop(plain);
        let (out, _) = through(vec![gz]).await;
        let mut total = 0;
        for piece in out {
            let piece = piece.unwrap();
            assert!(piece.len() <= OUT_CHUNK, "a piece of {}", piece.len());
            total += piece.len();
        }
        assert_eq!(total, 64 * 1024 * 1024);
    }

    #[tokio::test]
    async fn a_truncated_gzip_ends_in_an_error_that_blames_the_archive() {
        let gz = gzip(&vec![3u8; 100_000]);
        let (out, bad) = through(vec![gz[..gz.len() / 2].to_vec()]).await;
        assert!(out.last().unwrap().is_err());
        assert!(bad.unwrap().contains("ends early"));
    }

    #[test]
    fn only_a_tar_header_passes_as_an_export_answer() {
        let mut header = tar::Header::new_ustar();
        header.set_path("manifest.json").unwrap();
        header.set_size(3);
        header.set_cksum();
        assert!(is_tar_header(header.as_bytes()));
        let mut gnu = tar::Header::new_gnu();
        gnu.set_path("blobs").unwrap();
        gnu.set_cksum();
        assert!(is_tar_header(gnu.as_bytes()));
        let mut broken = header.as_bytes().to_vec();
        broken[0] ^= 1;
        assert!(!is_tar_header(&broken));
        assert!(!is_tar_header(&[0u8; 512]));
        assert!(!is_tar_header(b"{\"message\":\"no\"}"));
    }

    #[test]
    fn answer_lines_are_bounded() {
        let mut r = LineReader::default();
        let long = vec![b'x'; MAX_ANSWER_LINE * 3];
        assert!(r.push(&long).is_empty());
        assert!(r.push(&long).is_empty());
        let lines = r.push(b"\n{\"stream\":\"ok\"}\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_ANSWER_LINE);
        assert_eq!(lines[1], b"{\"stream\":\"ok\"}");
        assert!(r.finish().is_none());
    }

    #[test]
    fn load_answers_name_the_images_loaded() {
        assert_eq!(loaded_names("Loaded image: x:1\n"), ["x:1"]);
        assert_eq!(loaded_names("Loaded image ID: sha256:ab\n"), ["sha256:ab"]);
        assert_eq!(
            loaded_names("Loaded image(s): localhost/x:1,localhost/y:2"),
            ["localhost/x:1", "localhost/y:2"]
        );
        assert!(loaded_names("Loading layer 12 MB").is_empty());
    }

    #[test]
    fn names_in_a_load_answer_must_be_image_names() {
        let id = format!("sha256:{}", "ab".repeat(32));
        for good in ["x:1", "localhost/x:1", "registry.local:5000/a/b:v2", id.as_str()] {
            assert!(check_loaded_name(good).is_ok(), "{good}");
        }
        let huge = "a".repeat(MAX_NAME + 1);
        for bad in ["../../etc", "Has Space", "Upper/x:1", "x@sha256:zz", "", huge.as_str()] {
            assert!(check_loaded_name(bad).is_err(), "{bad}");
        }
        let mut loaded = Vec::new();
        let line = format!(
            "{{\"stream\":\"Loaded image(s): {}\"}}",
            vec!["x:1"; MAX_LOADED + 1].join(",")
        );
        assert!(read_answer_line(line.as_bytes(), "a.tar", &mut loaded).is_err());
    }

    #[test]
    fn destinations_that_are_not_regular_files_are_refused() {
        let refs = vec!["x:1".to_string()];
        assert!(check_export(&refs, Some("/dev/null")).is_err());
        assert!(check_export(&refs, Some("/tmp")).is_err());
        assert!(check_export(&refs, Some("")).is_err());
        assert!(check_export(&refs, Some("/no/such/dir/a.tar")).is_err());
        assert!(check_export(&[], Some("/tmp/a.tar")).is_err());
        assert!(check_export(&refs, Some("/tmp/pocket-dock-unit-new.tar")).is_ok());
    }
}
