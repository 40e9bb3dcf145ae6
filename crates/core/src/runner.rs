//! The in-container runner (the static `pocket-dock-runner` binary built from
//! `crates/runner`): where its binary is on this machine, placing it into a
//! container, and how commands are wrapped to run through it.
//!
//! Every user command runs as `RUNNER exec --id <id> -- argv…`: the runner
//! is a child subreaper, so whatever the command leaves behind (a `setsid`,
//! a double fork, a cleared environment) stays in the runner's tree, and the
//! killer (`RUNNER kill <id> <signal>`) ends all of it. Where the binary
//! cannot be placed (no binary for this platform, a foreign architecture, a
//! read-only root file system the engine will not write to, any upload
//! error), the container falls back to the marker-and-process-group kill of
//! [`crate::exec::kill`], and [`KillMode`] says which one is in use.
//!
//! The binary is placed before a new container starts (the archive API works
//! on a created container on both engines) and again whenever a container is
//! resumed, so a container always holds the runner of the pocket-dock
//! version that drives it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bollard::query_parameters::UploadToContainerOptions;

use crate::engine::Engine;

/// Where the runner lives inside every container (a directory of its own, so
/// no image's files are touched).
pub const DIR_IN_CONTAINER: &str = "/.pocket-dock";
pub const PATH_IN_CONTAINER: &str = "/.pocket-dock/runner";

/// Environment variable that overrides where the binary is found on this
/// machine (tests; packagers). A path that does not exist turns the runner off.
pub const PATH_VAR: &str = "POCKET_DOCK_RUNNER";

/// How a container's commands are found and killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillMode {
    /// Through the runner: the command's whole process tree, whatever it does.
    Subreaper,
    /// The fallback: processes carrying the command's environment marker, and
    /// their process groups. A process that starts a new session and drops
    /// the environment escapes it.
    Marker,
}

impl KillMode {
    pub fn as_str(self) -> &'static str {
        match self {
            KillMode::Subreaper => "subreaper",
            KillMode::Marker => "marker",
        }
    }
}

/// Where the binding found the binary (next to the addon), set once at load.
static CONFIGURED: Mutex<Option<PathBuf>> = Mutex::new(None);
/// A path and what it held (`None`: nothing readable).
type Loaded = (PathBuf, Option<Arc<Vec<u8>>>);
/// The binary last read, by path: it is read once, not per container.
static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

/// Tells the core where the runner binary is (the binding does, at load).
pub fn set_binary_path(path: PathBuf) {
    *CONFIGURED.lock().unwrap() = Some(path);
}

/// The binary's path: [`PATH_VAR`] if set, else what the binding configured.
fn binary_path() -> Option<PathBuf> {
    match std::env::var_os(PATH_VAR) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => CONFIGURED.lock().unwrap().clone(),
    }
}

/// The binary's bytes, if there is one (read once per path).
fn binary() -> Option<Arc<Vec<u8>>> {
    let path = binary_path()?;
    let mut loaded = LOADED.lock().unwrap();
    if let Some((p, bytes)) = loaded.as_ref() {
        if *p == path {
            return bytes.clone();
        }
    }
    let bytes = std::fs::read(&path).ok().map(Arc::new);
    *loaded = Some((path, bytes.clone()));
    bytes
}

/// The CPU an ELF executable is for, as engines name architectures
/// (`amd64`, `arm64`); `None` if it is not an ELF file we know.
pub fn elf_arch(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" || bytes[5] != 1 {
        return None; // not ELF, or not little-endian
    }
    match u16::from_le_bytes([bytes[18], bytes[19]]) {
        0x3e => Some("amd64"),
        0xb7 => Some("arm64"),
        _ => None,
    }
}

/// The archive that places the runner: its directory and the binary, both
/// 0755 and owned by root, so any user can run it and none can replace it.
fn archive(binary: &[u8]) -> std::io::Result<Vec<u8>> {
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut builder = tar::Builder::new(Vec::with_capacity(binary.len() + 4096));
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_uid(0);
    dir.set_gid(0);
    dir.set_mtime(mtime);
    dir.set_size(0);
    builder.append_data(&mut dir, &DIR_IN_CONTAINER[1..], std::io::empty())?;
    let mut file = tar::Header::new_gnu();
    file.set_entry_type(tar::EntryType::Regular);
    file.set_mode(0o755);
    file.set_uid(0);
    file.set_gid(0);
    file.set_mtime(mtime);
    file.set_size(binary.len() as u64);
    builder.append_data(&mut file, &PATH_IN_CONTAINER[1..], binary)?;
    builder.into_inner()
}

/// Places the runner into container `id` (created or running) and says which
/// kill mode its commands get. Never fails: anything in the way means the
/// marker fallback.
pub async fn place(engine: &Engine, id: &str) -> KillMode {
    let Some(binary) = binary() else {
        return KillMode::Marker;
    };
    if elf_arch(&binary) != Some(engine.arch()) {
        return KillMode::Marker;
    }
    let Ok(archive) = archive(&binary) else {
        return KillMode::Marker;
    };
    let upload = engine
        .docker()
        .upload_to_container(
            id,
            Some(UploadToContainerOptions {
                path: "/".into(),
                ..Default::default()
            }),
            bollard::body_full(archive.into()),
        )
        .await;
    match upload {
        Ok(()) => KillMode::Subreaper,
        // Docker refuses to write into a read-only root file system.
        Err(_) => KillMode::Marker,
    }
}

/// `argv` run through the runner, found by `id`; with `kill_leftovers`, what
/// the command leaves running is killed when it exits.
pub fn wrap(argv: Vec<String>, id: &str, kill_leftovers: bool, tty: Option<(u16, u16)>) -> Vec<String> {
    let mut wrapped = vec![
        PATH_IN_CONTAINER.to_string(),
        "exec".into(),
        "--id".into(),
        id.to_string(),
    ];
    if kill_leftovers {
        wrapped.push("--kill-leftovers".into());
    }
    if let Some((cols, rows)) = tty {
        // Both engines ignore the size an exec is created with: the runner
        // sets it on the terminal before the command starts.
        wrapped.push("--tty-size".into());
        wrapped.push(format!("{cols}x{rows}"));
    }
    wrapped.push("--".into());
    wrapped.extend(argv);
    wrapped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_wrapped_with_their_id() {
        let argv = vec!["/bin/sh".to_string(), "-c".into(), "--id x".into()];
        assert_eq!(
            wrap(argv.clone(), "ab", false, None),
            [PATH_IN_CONTAINER, "exec", "--id", "ab", "--", "/bin/sh", "-c", "--id x"]
        );
        assert_eq!(
            wrap(argv, "ab", true, None),
            [
                PATH_IN_CONTAINER,
                "exec",
                "--id",
                "ab",
                "--kill-leftovers",
                "--",
                "/bin/sh",
                "-c",
                "--id x"
            ]
        );
    }

    #[test]
    fn elf_headers_name_their_architecture() {
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[5] = 1;
        elf[18] = 0x3e;
        assert_eq!(elf_arch(&elf), Some("amd64"));
        elf[18] = 0xb7;
        assert_eq!(elf_arch(&elf), Some("arm64"));
        elf[18] = 0x28; // 32-bit ARM
        assert_eq!(elf_arch(&elf), None);
        assert_eq!(elf_arch(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn the_archive_holds_the_directory_and_an_executable() {
        let tar_bytes = archive(b"binary").unwrap();
        let mut a = tar::Archive::new(&tar_bytes[..]);
        let entries: Vec<(String, u32, u64)> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mode().unwrap(),
                    h.size().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                (".pocket-dock".to_string(), 0o755, 0),
                (".pocket-dock/runner".to_string(), 0o755, 6)
            ]
        );
    }
}
