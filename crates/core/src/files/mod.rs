//! Files in a container: write, read and list, through the engine's archive
//! (tar) API and argv-only execs — no user text is ever spliced into a shell.
//! [`transfer`] moves whole trees in and out, streamed; `extract` writes
//! what `pull` receives without ever leaving the destination. Every function
//! checks its container paths before it contacts the engine.

mod extract;
pub mod transfer;

/// Host permissions for a Unix `mode` from an archive. Windows has no mode
/// bits: only "read-only" (no owner write bit) carries over there.
pub(crate) fn host_permissions(mode: u32) -> std::io::Result<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        // `Permissions` has no public constructor off Unix: take an existing
        // directory's and set the one flag there is.
        let mut perms = std::fs::metadata(std::env::temp_dir())?.permissions();
        perms.set_readonly(mode & 0o200 == 0);
        Ok(perms)
    }
}

use std::io::Read;
use std::sync::Arc;

use bollard::query_parameters::{ContainerArchiveInfoOptions, DownloadFromContainerOptions, UploadToContainerOptions};
use futures::StreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::exec::{self, ExecPlan};
use crate::validate::check_absolute;

/// Lists a directory: NUL-separated names, directories with a trailing `/`.
/// The path arrives as `$1`, never inside the script text.
/// Exit 2: nothing there; exit 3: not a directory.
const LIST_SCRIPT: &str = r#"[ -e "$1" ] || exit 2
[ -d "$1" ] || exit 3
cd -- "$1" || exit 1
for f in * .[!.]* ..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  if [ -d "$f" ] && [ ! -L "$f" ]; then printf '%s/\0' "$f"; else printf '%s\0' "$f"; fi
done"#;

/// How the container paths of this module are named in errors.
const PATH: &str = "the container path";

/// Splits an absolute file path into its directory and file name.
fn split_path(path: &str) -> Result<(&str, &str)> {
    check_absolute(path, PATH)?;
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((dir, name)) if !name.is_empty() && name != "." && name != ".." => {
            Ok((if dir.is_empty() { "/" } else { dir }, name))
        }
        _ => Err(Error::InvalidArgument(format!("{path:?} does not name a file"))),
    }
}

/// Writes `data` to `path` (mode 0644), creating missing parent directories.
/// A directory at `path` is refused: the engine would replace it, tree and all.
pub async fn write_file(engine: &Arc<Engine>, container: &str, path: &str, data: &[u8]) -> Result<()> {
    let (dir, name) = split_path(path)?;
    refuse_directory(engine, container, dir, name).await?;
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    header.set_entry_type(tar::EntryType::Regular);
    let mut builder = tar::Builder::new(Vec::with_capacity(data.len() + 2048));
    builder
        .append_data(&mut header, name, data)
        .and_then(|_| builder.finish())
        .map_err(|e| Error::InvalidArgument(format!("cannot pack {path:?}: {e}")))?;
    let archive = bytes::Bytes::from(builder.into_inner().unwrap_or_default());
    let upload = |archive: bytes::Bytes| {
        engine.docker().upload_to_container(
            container,
            Some(UploadToContainerOptions {
                path: dir.to_string(),
                ..Default::default()
            }),
            bollard::body_full(archive),
        )
    };
    let op = Op::Path { container, path: dir };
    match upload(archive.clone()).await.map_err(|e| Error::from_engine(e, op)) {
        // Docker refuses a missing directory (Podman creates it): create it, once.
        Err(Error::FileNotFound { .. }) => {
            let plan = ExecPlan::internal(vec!["mkdir".into(), "-p".into(), "--".into(), dir.into()]);
            let made = exec::run(engine, container, plan, CancellationToken::new()).await?;
            if made.exit_code != 0 {
                return Err(Error::Container {
                    container_id: container.to_string(),
                    detail: format!("cannot create {dir}: {}", made.stderr.trim()),
                });
            }
            upload(archive).await.map_err(|e| Error::from_engine(e, op))
        }
        other => other,
    }
}

/// Go's `os.ModeDir`, as the engines report it in a path's stat.
const GO_MODE_DIR: u32 = 1 << 31;

/// Fails with [`Error::IsADirectory`] if `dir/name` is a directory (a stat
/// through the archive API: no exec, so it works in images without a shell).
async fn refuse_directory(engine: &Arc<Engine>, container: &str, dir: &str, name: &str) -> Result<()> {
    let path = if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    };
    let stat = engine
        .docker()
        .get_container_archive_info(container, Some(ContainerArchiveInfoOptions { path: path.clone() }))
        .await;
    match stat.map_err(|e| Error::from_engine(e, Op::Path { container, path: &path })) {
        Ok(stat) if stat.file_mode & GO_MODE_DIR != 0 => Err(Error::IsADirectory {
            container_id: container.to_string(),
            path,
        }),
        Ok(_) | Err(Error::FileNotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The engine's archive of `path`, read as it arrives. The first answer is
/// awaited here, so a missing path or container is a typed error before any
/// byte is read.
pub(crate) async fn download(engine: &Arc<Engine>, container: &str, path: &str) -> Result<impl Read + Send + 'static> {
    let op = Op::Path { container, path };
    let mut stream = Box::pin(
        engine
            .docker()
            .download_from_container(container, Some(DownloadFromContainerOptions { path: path.to_string() })),
    );
    let first = match stream.next().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Err(Error::from_engine(e, op)),
        None => {
            return Err(Error::FileNotFound {
                container_id: container.to_string(),
                path: path.to_string(),
            })
        }
    };
    let rest = stream.map(|r| r.map_err(|e| std::io::Error::other(e.to_string())));
    let all = futures::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    Ok(SyncIoBridge::new(StreamReader::new(Box::pin(all))))
}

/// Reads the file at `path`. Only the archive's first header is looked at
/// before deciding: a directory (even `/`) is refused without reading what
/// it holds, and a file is read straight into one buffer of its size.
pub async fn read_file(engine: &Arc<Engine>, container: &str, path: &str) -> Result<Vec<u8>> {
    check_absolute(path, PATH)?;
    let reader = download(engine, container, path).await?;
    let (container, path) = (container.to_string(), path.to_string());
    tokio::task::spawn_blocking(move || read_first_entry(reader, &container, &path))
        .await
        .map_err(|e| Error::SocketCommunication {
            detail: format!("reading the archive failed: {e}"),
        })?
}

/// The content of the archive's first entry, if it is a regular file.
/// Dropping the reader on a refusal ends the download.
fn read_first_entry(reader: impl Read, container: &str, path: &str) -> Result<Vec<u8>> {
    let mut entries = tar::Archive::new(reader);
    let bad = |e: std::io::Error| Error::SocketCommunication {
        detail: format!("unreadable archive from the engine: {e}"),
    };
    let mut entry = match entries.entries().map_err(bad)?.next() {
        Some(entry) => entry.map_err(bad)?,
        None => {
            return Err(Error::FileNotFound {
                container_id: container.to_string(),
                path: path.to_string(),
            })
        }
    };
    match entry.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => {
            let size = entry.size();
            let mut data = Vec::new();
            usize::try_from(size)
                .ok()
                .and_then(|n| data.try_reserve_exact(n).ok())
                .ok_or_else(|| {
                    Error::OutOfRange(format!(
                        "{path:?} is {size} bytes, more than this process can hold in memory; use pull() to copy it to a file"
                    ))
                })?;
            // Exactly `size` bytes of capacity: read_to_end fills it and never regrows.
            entry.read_to_end(&mut data).map_err(bad)?;
            Ok(data)
        }
        tar::EntryType::Directory => Err(Error::IsADirectory {
            container_id: container.to_string(),
            path: path.to_string(),
        }),
        other => Err(Error::InvalidArgument(format!(
            "{path:?} is not a regular file ({other:?})"
        ))),
    }
}

/// Lists the entries of the directory `path`, sorted; directories end in `/`.
pub async fn list_files(engine: &Arc<Engine>, container: &str, path: &str) -> Result<Vec<String>> {
    check_absolute(path, PATH)?;
    let argv = ["/bin/sh", "-c", LIST_SCRIPT, "pocket-dock-ls", path]
        .map(String::from)
        .to_vec();
    let r = exec::run(engine, container, ExecPlan::internal(argv), CancellationToken::new()).await?;
    if r.exit_code == 2 {
        return Err(Error::FileNotFound {
            container_id: container.to_string(),
            path: path.to_string(),
        });
    }
    if r.exit_code == 3 {
        return Err(Error::NotADirectory {
            container_id: container.to_string(),
            path: path.to_string(),
        });
    }
    if r.exit_code != 0 || r.truncated {
        return Err(Error::Container {
            container_id: container.to_string(),
            detail: format!("cannot list {path}: {}", r.stderr.trim()),
        });
    }
    let mut names: Vec<String> = r
        .stdout
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_directory_and_name() {
        assert_eq!(split_path("/home/sandbox/app.py").unwrap(), ("/home/sandbox", "app.py"));
        assert_eq!(split_path("/top").unwrap(), ("/", "top"));
        for bad in ["relative.txt", "/", "/dir/..", ""] {
            assert_eq!(split_path(bad).unwrap_err().code(), "ERR_INVALID_ARG_VALUE", "{bad}");
        }
    }
}
