//! Files in a container: write, read and list, through the engine's archive
//! (tar) API and argv-only execs — no user text is ever spliced into a shell.
//! [`transfer`] moves whole trees in and out, streamed. Every function
//! checks its container paths before it contacts the engine.

mod extract;
pub mod transfer;

use std::io::Read;
use std::sync::Arc;

use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use futures::StreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::exec::{self, ExecPlan};

/// Lists a directory: NUL-separated names, directories with a trailing `/`.
/// The path arrives as `$1`, never inside the script text.
const LIST_SCRIPT: &str = r#"cd -- "$1" || exit 2
for f in * .[!.]* ..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  if [ -d "$f" ] && [ ! -L "$f" ]; then printf '%s/\0' "$f"; else printf '%s\0' "$f"; fi
done"#;

/// Splits an absolute file path into its directory and file name.
fn split_path(path: &str) -> Result<(&str, &str)> {
    check_absolute(path)?;
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((dir, name)) if !name.is_empty() && name != "." && name != ".." => {
            Ok((if dir.is_empty() { "/" } else { dir }, name))
        }
        _ => Err(Error::InvalidArgument(format!("{path:?} does not name a file"))),
    }
}

/// Container paths must be absolute: a relative one has no meaning in a container.
pub(crate) fn check_absolute(path: &str) -> Result<()> {
    if path.starts_with('/') && !path.contains('\0') {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "container paths must be absolute (start with `/`), got {path:?}"
        )))
    }
}

/// Writes `data` to `path` (mode 0644), creating missing parent directories.
pub async fn write_file(engine: &Arc<Engine>, container: &str, path: &str, data: &[u8]) -> Result<()> {
    let (dir, name) = split_path(path)?;
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
        Err(Error::PathNotFound { .. }) => {
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
            return Err(Error::PathNotFound {
                container_id: container.to_string(),
                path: path.to_string(),
            })
        }
    };
    let rest = stream.map(|r| r.map_err(|e| std::io::Error::other(e.to_string())));
    let all = futures::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    Ok(SyncIoBridge::new(StreamReader::new(Box::pin(all))))
}

/// Reads the file at `path`.
pub async fn read_file(engine: &Arc<Engine>, container: &str, path: &str) -> Result<Vec<u8>> {
    check_absolute(path)?;
    let op = Op::Path { container, path };
    let mut stream = engine
        .docker()
        .download_from_container(container, Some(DownloadFromContainerOptions { path: path.to_string() }));
    let mut archive = Vec::new();
    while let Some(chunk) = stream.next().await {
        archive.extend_from_slice(&chunk.map_err(|e| Error::from_engine(e, op))?);
    }
    let mut entries = tar::Archive::new(archive.as_slice());
    let bad = |e: std::io::Error| Error::SocketCommunication {
        detail: format!("unreadable archive from the engine: {e}"),
    };
    let mut entry = match entries.entries().map_err(bad)?.next() {
        Some(entry) => entry.map_err(bad)?,
        None => {
            return Err(Error::PathNotFound {
                container_id: container.to_string(),
                path: path.to_string(),
            })
        }
    };
    match entry.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => {
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut data).map_err(bad)?;
            Ok(data)
        }
        tar::EntryType::Directory => Err(Error::InvalidArgument(format!("{path:?} is a directory, not a file"))),
        other => Err(Error::InvalidArgument(format!(
            "{path:?} is not a regular file ({other:?})"
        ))),
    }
}

/// Lists the entries of the directory `path`, sorted; directories end in `/`.
pub async fn list_files(engine: &Arc<Engine>, container: &str, path: &str) -> Result<Vec<String>> {
    check_absolute(path)?;
    let argv = ["/bin/sh", "-c", LIST_SCRIPT, "pocket-dock-ls", path]
        .map(String::from)
        .to_vec();
    let r = exec::run(engine, container, ExecPlan::internal(argv), CancellationToken::new()).await?;
    if r.exit_code == 2 {
        return Err(Error::PathNotFound {
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
