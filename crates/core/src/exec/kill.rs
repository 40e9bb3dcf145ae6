//! Killing a command inside its container, with all its children.
//!
//! Engines have no exec-kill API, dropping the attach stream does not stop the
//! process, and the pid that exec-inspect reports is the host's, not the
//! container's. So every exec pocket-dock starts carries an environment marker
//! (`POCKET_DOCK_EXEC=<id>`), and killing it means starting a second exec (as
//! root, so it can read every process's environment) that signals each process
//! carrying the marker *and its process group*: every exec is its own group
//! leader on both engines, so children that dropped the variable die too.

use bollard::exec::CreateExecOptions;
use futures::StreamExt;
use rand::Rng;

use super::attach::start_attached;
use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// The environment variable that marks an exec's processes.
pub const MARKER_VAR: &str = "POCKET_DOCK_EXEC";

/// Signals every marked process and its group. `$1` is the marker, `$2` the
/// signal. All marked processes are found first and their groups signalled
/// together, so a shell does not see its children die and exit normally
/// before its own signal arrives. `kill -SIG -PGID` has no `--`: busybox's
/// `kill` refuses it ("invalid number '--'"). Uses only POSIX sh, `tr`, `grep` and `kill`, so it works in busybox,
/// Alpine and Debian images alike. (`environ` is NUL-separated and busybox's
/// `grep` stops at the first NUL, hence the `tr`.) `$1` is matched as a whole
/// line with a basic regex: markers are `[A-Z_]+=[0-9a-f]+`, so a marker
/// matches only itself, and [`ANY_MARKER`] matches every exec's.
const KILL_SCRIPT: &str = r#"m="$1"; s="$2"; spare="$3"; pids=""
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$$" ] || [ "$p" = "$spare" ] && continue
  if tr '\0' '\n' <"$d/environ" 2>/dev/null | grep -qx "$m"; then pids="$pids $p"; fi
done
if [ -z "$spare" ]; then for p in $pids; do kill -"$s" "-$p" 2>/dev/null; done; fi
for p in $pids; do kill -"$s" "$p" 2>/dev/null; done
exit 0"#;

/// Matches the marker of every exec pocket-dock started.
const ANY_MARKER: &str = "POCKET_DOCK_EXEC=[0-9a-f]*";

/// A fresh marker value: `POCKET_DOCK_EXEC=<16 hex>`.
pub fn new_marker() -> String {
    format!("{MARKER_VAR}={:016x}", rand::rng().random::<u64>())
}

/// Sends `signal` (a name like `KILL`/`TERM` or a number) to every process of
/// the exec marked `marker`, and to their process groups. Returns once the
/// killer exec has finished.
pub async fn kill_marked(engine: &Engine, container: &str, marker: &str, signal: &str) -> Result<()> {
    run_killer(engine, container, marker, signal, "").await
}

/// SIGKILLs every process that any pocket-dock exec started (with their
/// groups): everything in the container but its main process.
pub async fn kill_every_exec(engine: &Engine, container: &str) -> Result<()> {
    run_killer(engine, container, ANY_MARKER, "KILL", "").await
}

/// SIGKILLs every process marked `marker` except `spare` (a session's shell),
/// without touching process groups (the shell shares its group with them).
pub async fn kill_marked_except(engine: &Engine, container: &str, marker: &str, spare: &str) -> Result<()> {
    run_killer(engine, container, marker, "KILL", spare).await
}

async fn run_killer(engine: &Engine, container: &str, marker: &str, signal: &str, spare: &str) -> Result<()> {
    if !signal.chars().all(|c| c.is_ascii_alphanumeric()) || signal.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "signal {signal:?} is not a signal name or number"
        )));
    }
    let config = CreateExecOptions {
        user: Some("0"),
        cmd: Some(vec![
            "/bin/sh",
            "-c",
            KILL_SCRIPT,
            "pocket-dock-kill",
            marker,
            signal,
            spare,
        ]),
        ..Default::default()
    };
    let mut killer = start_attached(engine, container, config).await?;
    // The killer prints nothing; reading to the end waits for it to finish.
    while let Some(frame) = killer.output.next().await {
        frame.map_err(|e| Error::from_engine(e, Op::Handle { container }))?;
    }
    Ok(())
}
