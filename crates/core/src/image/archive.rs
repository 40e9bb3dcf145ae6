//! Moving images as a tar (`docker save` / `docker load` format), for
//! machines without a registry. Both directions stream with a few chunks in
//! flight, so a gigabyte image moves in megabytes of memory: the export is
//! read from the engine chunk by chunk (gzip'd on the way when asked), the
//! import is sent to it chunk by chunk. An export to a path is written to a
//! temporary file beside it and renamed only once complete, so a failed or
//! aborted export leaves nothing behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::progress::{OnProgress, Progress};
use crate::engine::{Engine, EngineKind};
use crate::error::{Error, Op, Result};
use crate::validate::{check_image_ref, invalid};

/// Chunks buffered between the engine and the consumer on each side.
const CHUNKS_IN_FLIGHT: usize = 8;
/// Bytes per chunk of an export, as written to the file or handed to JS.
const OUT_CHUNK: usize = 256 * 1024;
/// Bytes read from a file per chunk of an import.
const READ_CHUNK: usize = 256 * 1024;

/// Checks `refs` and that each image exists, before anything is written.
async fn check_refs(engine: &Engine, refs: &[String]) -> Result<()> {
    if refs.is_empty() {
        return Err(invalid("exportImages needs at least one image reference"));
    }
    for r in refs {
        check_image_ref(r, "an image to export")?;
        if !super::local::exists(engine, r).await? {
            return Err(Error::ImageNotFound {
                image: r.clone(),
                detail: "nothing to export".into(),
            });
        }
    }
    Ok(())
}

/// The export of `refs` as a stream of chunks (gzip'd when `gzip`), with
/// progress in bytes produced. Checks first: a missing image fails before the
/// first chunk.
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
            // Engines answer in small frames (Podman's are a few KiB): they
            // are gathered into chunks of OUT_CHUNK, so the file (or JS) sees
            // few large writes.
            let out = match gz.as_mut() {
                Some(enc) => {
                    if let Err(e) = enc.write_all(&chunk) {
                        let _ = tx.send(Err(invalid(format!("gzip: {e}")))).await;
                        return;
                    }
                    if enc.get_ref().len() < OUT_CHUNK {
                        continue;
                    }
                    Bytes::from(std::mem::take(enc.get_mut()))
                }
                None => {
                    pending.extend_from_slice(&chunk);
                    if pending.len() < OUT_CHUNK {
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
    let (tmp, mut file) = open_partial(Path::new(dest)).await?;
    let written = async {
        let mut chunks = export_stream(engine, refs, gzip, cancel, progress).await?;
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
/// same directory (so the final rename is atomic). Fails, as bad input, when
/// `dest` is a directory or its directory cannot be written.
async fn open_partial(dest: &Path) -> Result<(PathBuf, tokio::fs::File)> {
    let shown = dest.display();
    if dest.as_os_str().is_empty() {
        return Err(invalid("the export destination must not be empty"));
    }
    if tokio::fs::metadata(dest).await.is_ok_and(|m| m.is_dir()) {
        return Err(invalid(format!(
            "the export destination {shown} is a directory; name a file"
        )));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| invalid(format!("the export destination {shown} names no file")))?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
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

/// Loads the images of a tar (plain or gzip'd: the engines detect it) that
/// arrives as `chunks`, and returns the tags loaded (an image saved without a
/// tag is reported by its id). `total` is the archive's size when known.
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
    // unpacked on the way.
    let counted: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>> = match engine.kind() {
        EngineKind::Podman => Box::pin(gunzip_if_gzip(counted)),
        EngineKind::Docker => Box::pin(counted),
    };
    let options = bollard::query_parameters::ImportImageOptions {
        quiet: false,
        ..Default::default()
    };
    let mut answer = engine.docker().import_image_stream(options, counted, None);
    let mut loaded = Vec::new();
    let outcome = async {
        loop {
            tokio::select! {
                biased;
                Some(p) = rx.recv() => progress(p),
                item = answer.next() => match item {
                    None => break,
                    Some(Ok(info)) => loaded.extend(info.stream.as_deref().map(loaded_names).unwrap_or_default()),
                    Some(Err(e)) => return Err(import_error(source, e)),
                },
            }
        }
        while let Ok(p) = rx.try_recv() {
            progress(p);
        }
        Ok(())
    };
    tokio::select! {
        r = outcome => r?,
        () = cancel.cancelled() => return Err(Error::Aborted { operation: format!("importing {source}") }),
    }
    if loaded.is_empty() {
        return Err(invalid(format!(
            "{source} held no image the engine could load: is it an archive from exportImages() or `docker save`?"
        )));
    }
    Ok(loaded)
}

/// Bytes fed to the gzip decoder at a time: what one slice can inflate to
/// stays bounded (gzip inflates at most ~1000:1).
const INFLATE_SLICE: usize = 4 * 1024;

/// `chunks` as they are, or inflated when they start with gzip's magic bytes.
fn gunzip_if_gzip<S>(chunks: S) -> impl Stream<Item = std::io::Result<Bytes>> + Send
where
    S: Stream<Item = std::io::Result<Bytes>> + Send,
{
    // None: not decided yet (no byte seen); Some(None): plain; Some(Some(d)): gzip.
    let mut decoder: Option<Option<flate2::write::GzDecoder<Vec<u8>>>> = None;
    let end = futures::stream::once(async { None });
    chunks.map(Some).chain(end).flat_map(move |item| {
        let out: Vec<std::io::Result<Bytes>> = match item {
            Some(Ok(chunk)) => {
                let d = decoder.get_or_insert_with(|| {
                    chunk
                        .starts_with(&[0x1f, 0x8b])
                        .then(|| flate2::write::GzDecoder::new(Vec::new()))
                });
                match d {
                    None => vec![Ok(chunk)],
                    Some(d) => chunk
                        .chunks(INFLATE_SLICE)
                        .map(|slice| {
                            d.write_all(slice)?;
                            Ok(Bytes::from(std::mem::take(d.get_mut())))
                        })
                        .filter(|r| !matches!(r, Ok(b) if b.is_empty()))
                        .collect(),
                }
            }
            Some(Err(e)) => vec![Err(e)],
            None => match decoder.take().flatten() {
                Some(d) => vec![d.finish().map(Bytes::from)],
                None => Vec::new(),
            },
        };
        futures::stream::iter(out)
    })
}

/// Imports the archive at `path`.
pub async fn import_from_path(
    engine: &Engine,
    path: &str,
    cancel: CancellationToken,
    progress: impl OnProgress,
) -> Result<Vec<String>> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| invalid(format!("cannot read the image archive {path}: {e}")))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| invalid(format!("cannot read the image archive {path}: {e}")))?;
    if meta.is_dir() {
        return Err(invalid(format!("the image archive {path} is a directory; name a file")));
    }
    let chunks = tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK);
    import(engine, chunks, Some(meta.len()), path, cancel, progress).await
}

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
    invalid(format!(
        "{source} is not an image archive the engine can load (one from exportImages() or `docker save`): {}",
        detail.trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_gzip_archive_is_inflated_and_a_plain_one_passes_as_is() {
        let plain = vec![7u8; 300_000];
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&plain).unwrap();
        let gz = enc.finish().unwrap();
        for input in [gz.clone(), plain.clone()] {
            let chunks: Vec<std::io::Result<Bytes>> =
                input.chunks(1000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let out: Vec<Bytes> = gunzip_if_gzip(futures::stream::iter(chunks))
                .map(|r| r.unwrap())
                .collect()
                .await;
            assert!(out.iter().all(|b| b.len() <= 1000 * 1100), "bounded chunks");
            assert_eq!(out.concat(), plain);
        }
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
}
