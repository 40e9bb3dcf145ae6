//! Moving trees between the host and a container, streamed both ways: a tar
//! is built or read on a blocking thread while bytes flow through a bounded
//! channel, so a 1 GiB file never sits in memory.
//!
//! `pull` treats the container as hostile: [`extract`] writes nothing
//! outside `dest` and names what it refused. `push` refuses special files
//! (FIFOs, devices, sockets) before it contacts the engine: reading one would
//! block or never end.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bollard::query_parameters::UploadToContainerOptions;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{download, extract, split_path, PATH};
use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::exec::{self, ExecPlan};
use crate::validate::check_absolute;

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
    let root = src.to_path_buf();
    tokio::task::spawn_blocking(move || refuse_special_files(&root))
        .await
        .map_err(|e| Error::InvalidArgument(format!("cannot read {}: {e}", src.display())))??;
    let op = Op::Path { container, path: dir };
    let first = upload(engine, container, src, dir, name, meta.is_dir()).await;
    match first.map_err(|e| Error::from_engine(e, op)) {
        Err(Error::FileNotFound { .. }) => {
            // Docker refuses a missing directory (Podman creates it).
            let plan = ExecPlan::internal(vec!["mkdir".into(), "-p".into(), "--".into(), dir.into()]);
            exec::run(engine, container, plan, CancellationToken::new()).await?;
            let again = upload(engine, container, src, dir, name, meta.is_dir()).await;
            again.map_err(|e| Error::from_engine(e, op))
        }
        other => other,
    }
}

/// Refuses `src` if it is, or (a directory) holds, anything but regular
/// files, directories and symlinks: a FIFO would block the read forever and
/// `/dev/zero` never ends, and the engine would only see a stalled upload.
fn refuse_special_files(src: &Path) -> Result<()> {
    let unreadable = |path: &Path, e: io::Error| Error::InvalidArgument(format!("cannot read {}: {e}", path.display()));
    let mut pending = vec![src.to_path_buf()];
    while let Some(path) = pending.pop() {
        let kind = fs::symlink_metadata(&path)
            .map_err(|e| unreadable(&path, e))?
            .file_type();
        if kind.is_dir() {
            for entry in fs::read_dir(&path).map_err(|e| unreadable(&path, e))? {
                pending.push(entry.map_err(|e| unreadable(&path, e))?.path());
            }
        } else if !kind.is_file() && !kind.is_symlink() {
            let what = special_kind(&kind);
            return Err(Error::InvalidArgument(format!(
                "cannot push {}: {} is {what}; only regular files, directories and symlinks can be pushed",
                src.display(),
                path.display()
            )));
        }
    }
    Ok(())
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

/// A reader that notes whether its source ended cleanly (a read of 0 bytes)
/// rather than with an error: an archive cut short by a clean end is the
/// engine's own (a file changed as it read it), one cut by an error is a
/// broken connection.
struct EndWatch<R> {
    inner: R,
    ended: Arc<AtomicBool>,
}

impl<R: Read> Read for EndWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Copies the container file or directory `src` to the host path `dest`
/// (`dest` names the copy itself), refusing anything that would land outside it.
pub async fn pull(engine: &Arc<Engine>, container: &str, src: &str, dest: &Path) -> Result<()> {
    check_absolute(src, PATH)?;
    // The first answer tells whether the path exists: read before any host write.
    let ended = Arc::new(AtomicBool::new(false));
    let reader = EndWatch {
        inner: download(engine, container, src).await?,
        ended: ended.clone(),
    };
    let shown = dest.display().to_string();
    let dest = dest.to_path_buf();
    let outcome = tokio::task::spawn_blocking(move || extract::extract(reader, &dest))
        .await
        .map_err(|e| Error::SocketCommunication {
            detail: format!("extraction failed: {e}"),
        })?
        .map_err(|e| extract_failure(e, container, src, &shown, ended.load(Ordering::Relaxed)))?;
    // Podman answers 200 with an empty archive for what it cannot archive
    // (/proc/1, /sys/kernel) where Docker answers 404: the same error on both.
    if outcome.entries == 0 {
        return Err(Error::FileNotFound {
            container_id: container.to_string(),
            path: src.to_string(),
        });
    }
    if outcome.refused_count == 0 {
        return Ok(());
    }
    Err(Error::Container {
        container_id: container.to_string(),
        detail: refused_detail(src, &outcome),
    })
}

/// The error of a failed extraction: `ended` tells whether the engine's
/// stream ended cleanly before the archive did.
fn extract_failure(e: extract::Failure, container: &str, src: &str, shown: &str, ended: bool) -> Error {
    match e {
        // A host path that cannot be written is the caller's to fix, not the engine's.
        extract::Failure::Host(e) => Error::InvalidArgument(format!("cannot write the pull of {src} to {shown}: {e}")),
        // Both engines write a file's header with the size they saw, and when
        // the file then holds fewer bytes (or more) they stop the archive
        // there and end the answer normally.
        extract::Failure::Archive(_) if ended => Error::Container {
            container_id: container.to_string(),
            detail: format!(
                "a file changed while the engine read it for the pull of {src}, and the archive ended short; retry, or pull it while nothing writes to it"
            ),
        },
        extract::Failure::Archive(e) => Error::SocketCommunication {
            detail: format!("the archive of {src} broke off: {e}"),
        },
    }
}

/// The message naming what a pull refused: the first names and how many more.
fn refused_detail(src: &str, outcome: &extract::Outcome) -> String {
    let count = outcome.refused_count;
    let more = count.saturating_sub(outcome.refused.len());
    format!(
        "pull of {src} refused {count} entr{} that could lead outside the destination or are not plain files, directories or links: {}{}",
        if count == 1 { "y" } else { "ies" },
        outcome.refused.join(", "),
        if more > 0 { format!(", and {more} more") } else { String::new() }
    )
}

/// What a file that is neither a regular file, a directory nor a symlink is,
/// in words for the refusal (Windows has no such kinds to tell apart).
fn special_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        } else if kind.is_char_device() {
            return "a character device";
        } else if kind.is_block_device() {
            return "a block device";
        } else if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = kind;
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar of one directory and a file whose header says 4096 bytes, cut
    /// after 100 of them: what the engines send when a file shrinks.
    fn cut_archive() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        b.append_data(&mut h, "r", io::empty()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(4096);
        b.append_data(&mut h, "r/f", &[7u8; 4096][..]).unwrap();
        let mut tar = b.into_inner().unwrap();
        tar.truncate(3 * 512 + 100);
        tar
    }

    /// Gives `data`, then fails as a dropped connection does.
    struct Broken(io::Cursor<Vec<u8>>);
    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("connection reset")),
                n => Ok(n),
            }
        }
    }

    fn pull_of(reader: impl Read) -> Error {
        let dir = std::env::temp_dir().join(format!("pd-cut-{}-{}", std::process::id(), rand::random::<u32>()));
        let ended = Arc::new(AtomicBool::new(false));
        let watched = EndWatch {
            inner: reader,
            ended: ended.clone(),
        };
        let failure = extract::extract(watched, &dir).unwrap_err();
        let _ = fs::remove_dir_all(&dir);
        extract_failure(failure, "c", "/r", "dest", ended.load(Ordering::Relaxed))
    }

    #[test]
    fn an_archive_ended_short_is_a_changed_file_and_a_broken_stream_an_engine_failure() {
        let short = pull_of(io::Cursor::new(cut_archive()));
        assert_eq!(short.code(), "CONTAINER_ERROR", "{short}");
        assert!(short.to_string().contains("changed while"), "{short}");
        let broken = pull_of(Broken(io::Cursor::new(cut_archive())));
        assert_eq!(broken.code(), "SOCKET_COMMUNICATION_ERROR", "{broken}");
    }

    #[test]
    fn the_refused_list_states_the_full_count() {
        let outcome = extract::Outcome {
            entries: 2001,
            refused: (0..extract::REFUSED_SHOWN).map(|i| format!("p{i}")).collect(),
            refused_count: 2000,
        };
        let detail = refused_detail("/tmp/fifos", &outcome);
        assert!(detail.contains("refused 2000 entries"), "{detail}");
        assert!(detail.ends_with("p19, and 1980 more"), "{detail}");
    }
}
