//! Moving trees between the host and a container, streamed both ways: a tar
//! is built or read on a blocking thread while bytes flow through a bounded
//! channel, so a 1 GiB file never sits in memory.
//!
//! `pull` treats the container as hostile: nothing is written outside `dest`.
//! Entries with `..` or absolute paths, entries that would pass through a
//! symlink, symlinks and hard links that point outside `dest`, and special
//! files are refused; the user gets an error naming them.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};
use tokio_util::sync::CancellationToken;

use super::{check_absolute, split_path};
use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::exec::{self, ExecPlan};

/// Chunks of tar in flight between the tar thread and the engine: 8 × 64 KiB.
const PIPE_CHUNKS: usize = 8;
const CHUNK: usize = 64 << 10;

/// A `Write` that hands 64 KiB chunks to an async receiver (blocking when it
/// is full: that is the backpressure of `push`).
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
            self.tx
                .blocking_send(Ok(chunk))
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "upload ended"))?;
        }
        Ok(())
    }
}

/// Copies the host file or directory `src` to `dest` in the container
/// (`dest` names the copy itself), keeping modes and symlinks.
pub async fn push(engine: &Arc<Engine>, container: &str, src: &Path, dest: &str) -> Result<()> {
    let (dir, name) = split_path(dest)?;
    let meta =
        fs::symlink_metadata(src).map_err(|e| Error::InvalidArgument(format!("cannot read {}: {e}", src.display())))?;
    let op = Op::Path { container, path: dir };
    let first = upload(engine, container, src, dir, name, meta.is_dir()).await;
    match first.map_err(|e| Error::from_engine(e, op)) {
        Err(Error::PathNotFound { .. }) => {
            // Docker refuses a missing directory (Podman creates it).
            let plan = ExecPlan::internal(vec!["mkdir".into(), "-p".into(), "--".into(), dir.into()]);
            exec::run(engine, container, plan, CancellationToken::new()).await?;
            let again = upload(engine, container, src, dir, name, meta.is_dir()).await;
            again.map_err(|e| Error::from_engine(e, op))
        }
        other => other,
    }
}

async fn upload(
    engine: &Arc<Engine>,
    container: &str,
    src: &Path,
    dir: &str,
    name: &str,
    is_dir: bool,
) -> std::result::Result<(), bollard::errors::Error> {
    let (tx, mut rx) = mpsc::channel(PIPE_CHUNKS);
    let (src, name) = (src.to_path_buf(), name.to_string());
    let builder = tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result = (|| {
            let mut tar = tar::Builder::new(&mut writer);
            tar.follow_symlinks(false);
            if is_dir {
                tar.append_dir_all(&name, &src)?;
            } else {
                tar.append_path_with_name(&src, &name)?;
            }
            tar.finish()
        })()
        .and_then(|_| writer.flush());
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let body = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let result = engine
        .docker()
        .upload_to_container(
            container,
            Some(UploadToContainerOptions {
                path: dir.to_string(),
                ..Default::default()
            }),
            bollard::body_try_stream(body),
        )
        .await;
    builder.abort();
    result
}

/// Copies the container file or directory `src` to the host path `dest`
/// (`dest` names the copy itself), refusing anything that would land outside it.
pub async fn pull(engine: &Arc<Engine>, container: &str, src: &str, dest: &Path) -> Result<()> {
    check_absolute(src)?;
    let op = Op::Path { container, path: src };
    let mut stream = Box::pin(
        engine
            .docker()
            .download_from_container(container, Some(DownloadFromContainerOptions { path: src.to_string() })),
    );
    // The first answer tells whether the path exists; read it before any host write.
    let first = match stream.next().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Err(Error::from_engine(e, op)),
        None => {
            return Err(Error::PathNotFound {
                container_id: container.to_string(),
                path: src.to_string(),
            })
        }
    };
    let rest = stream.map(|r| r.map_err(|e| io::Error::other(e.to_string())));
    let all = futures::stream::once(async move { Ok::<_, io::Error>(first) }).chain(rest);
    let reader = SyncIoBridge::new(StreamReader::new(Box::pin(all)));
    let dest = dest.to_path_buf();
    let refused = tokio::task::spawn_blocking(move || extract(reader, &dest))
        .await
        .map_err(|e| Error::SocketCommunication {
            detail: format!("extraction failed: {e}"),
        })?
        .map_err(|e| Error::SocketCommunication {
            detail: format!("cannot extract {src}: {e}"),
        })?;
    if refused.is_empty() {
        return Ok(());
    }
    Err(Error::Container {
        container_id: container.to_string(),
        detail: format!(
            "pull of {src} refused {} entr{} that would write outside the destination: {}",
            refused.len(),
            if refused.len() == 1 { "y" } else { "ies" },
            refused.join(", ")
        ),
    })
}

/// Extracts the archive of one file or directory to `dest`; returns the names
/// of the entries it refused.
fn extract(reader: impl Read, dest: &Path) -> io::Result<Vec<String>> {
    let mut archive = tar::Archive::new(reader);
    let mut refused = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path()?.into_owned();
        let shown = raw.display().to_string();
        // The archive's first component is the pulled item itself: it becomes `dest`.
        let Some(rel) = relative_inside(&raw) else {
            refused.push(shown);
            continue;
        };
        // (`join("")` would add a trailing slash: a pulled file is `dest` itself.)
        let target = if rel.as_os_str().is_empty() {
            dest.to_path_buf()
        } else {
            dest.join(&rel)
        };
        if passes_through_symlink(dest, &rel) {
            refused.push(shown);
            continue;
        }
        let mode = entry.header().mode().unwrap_or(0o644) & 0o777;
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                fs::create_dir_all(&target)?;
                set_mode(&target, mode)?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)?;
                }
                remove_existing(&target)?;
                let mut out = fs::File::create(&target)?;
                io::copy(&mut entry, &mut out)?;
                set_mode(&target, mode)?;
            }
            tar::EntryType::Symlink => {
                let link = entry.link_name()?.map(|l| l.into_owned()).unwrap_or_default();
                if link.as_os_str().is_empty() || !symlink_stays_inside(&rel, &link) {
                    refused.push(format!("{shown} -> {}", link.display()));
                    continue;
                }
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)?;
                }
                remove_existing(&target)?;
                std::os::unix::fs::symlink(&link, &target)?;
            }
            tar::EntryType::Link => {
                let link = entry.link_name()?.map(|l| l.into_owned()).unwrap_or_default();
                match relative_inside(&link) {
                    Some(source) if !passes_through_symlink(dest, &source) && dest.join(&source).is_file() => {
                        remove_existing(&target)?;
                        fs::hard_link(dest.join(&source), &target)?;
                    }
                    _ => refused.push(format!("{shown} => {}", link.display())),
                }
            }
            _ => refused.push(shown),
        }
    }
    Ok(refused)
}

/// The entry's path without its first component, if it has only normal
/// components (no `..`, no root).
fn relative_inside(path: &Path) -> Option<PathBuf> {
    let mut parts = path.components().filter(|c| !matches!(c, Component::CurDir));
    match parts.next()? {
        Component::Normal(_) => {}
        _ => return None,
    }
    let mut rel = PathBuf::new();
    for c in parts {
        match c {
            Component::Normal(p) => rel.push(p),
            _ => return None,
        }
    }
    Some(rel)
}

/// Whether a symlink at `rel` pointing to `link` resolves inside the root.
fn symlink_stays_inside(rel: &Path, link: &Path) -> bool {
    if link.is_absolute() {
        return false;
    }
    let mut depth = rel.components().count() as i64 - 1; // the link's own directory
    if depth < 0 {
        return false; // the pulled item itself: its directory is outside `dest`
    }
    for c in link.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// Whether any existing ancestor of `dest/rel` (below `dest`) is a symlink.
fn passes_through_symlink(dest: &Path, rel: &Path) -> bool {
    let parts: Vec<_> = rel.components().collect();
    let mut at = dest.to_path_buf();
    for c in &parts[..parts.len().saturating_sub(1)] {
        at.push(c);
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return true;
        }
    }
    false
}

fn remove_existing(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_stay_below_the_pulled_item() {
        assert_eq!(relative_inside(Path::new("out/a/b")), Some(PathBuf::from("a/b")));
        assert_eq!(relative_inside(Path::new("out")), Some(PathBuf::new()));
        assert_eq!(relative_inside(Path::new("out/../etc/passwd")), None);
        assert_eq!(relative_inside(Path::new("/etc/passwd")), None);
    }

    #[test]
    fn symlinks_may_point_inside_only() {
        assert!(symlink_stays_inside(Path::new("a/link"), Path::new("../b")));
        assert!(symlink_stays_inside(Path::new("link"), Path::new("b/c")));
        assert!(!symlink_stays_inside(Path::new("link"), Path::new("../x")));
        assert!(!symlink_stays_inside(Path::new("a/link"), Path::new("../../x")));
        assert!(!symlink_stays_inside(Path::new("link"), Path::new("/etc/passwd")));
        assert!(!symlink_stays_inside(Path::new(""), Path::new("sibling")));
    }
}
