//! Killing a command inside its container, with all its children.
//!
//! Engines have no exec-kill API, dropping the attach stream does not stop the
//! process, and the pid that exec-inspect reports is the host's, not the
//! container's. So killing a command means starting a second exec, as root,
//! that finds the command's processes inside the container. Two ways, by the
//! container's [`KillMode`]:
//!
//! - **Subreaper** (the default where the runner could be placed, see
//!   [`crate::runner`]): the command runs under the runner, every process it
//!   leaves behind stays in the runner's tree, and `runner kill <id> <signal>`
//!   signals the whole tree (freezing it first for SIGKILL).
//! - **Marker** (the fallback): every exec carries an environment marker
//!   (`POCKET_DOCK_EXEC=<id>`), and a shell script signals each process
//!   carrying it *and its process group*: every exec is its own group leader
//!   on both engines, so children that dropped the variable die too — but not
//!   one that also started a new session.

use bollard::exec::CreateExecOptions;
use futures::StreamExt;

use super::attach::start_attached;
use super::marker::{marker_id, Target};
use crate::engine::Engine;
use crate::error::{Error, Op, Result};
pub use crate::runner::KillMode;
use crate::runner::PATH_IN_CONTAINER as RUNNER;

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

/// Killing is the one thing a [`Target`] is for; it is defined with the
/// markers so that a plan can name its target without depending on the killer.
impl Target {
    /// Sends `signal` (a name like `KILL`/`TERM` or a number) to the whole
    /// command. Returns once the killer exec has finished.
    pub async fn signal(&self, engine: &Engine, container: &str, signal: &str) -> Result<()> {
        match self.mode {
            KillMode::Marker => kill_marked(engine, container, &self.marker, signal).await,
            KillMode::Subreaper => {
                check_signal(signal)?;
                let id = marker_id(&self.marker);
                run_exec(engine, container, vec![RUNNER, "kill", id, signal]).await
            }
        }
    }
}

/// Sends `signal` (a name like `KILL`/`TERM` or a number) to every process of
/// the exec marked `marker`, and to their process groups. Returns once the
/// killer exec has finished.
pub async fn kill_marked(engine: &Engine, container: &str, marker: &str, signal: &str) -> Result<()> {
    run_killer(engine, container, marker, signal, "").await
}

/// SIGKILLs every process that any pocket-dock exec started (with their
/// groups, or with their whole trees through the runner): everything in the
/// container but its main process.
pub async fn kill_every_exec(engine: &Engine, container: &str, mode: KillMode) -> Result<()> {
    match mode {
        KillMode::Marker => run_killer(engine, container, ANY_MARKER, "KILL", "").await,
        KillMode::Subreaper => run_exec(engine, container, vec![RUNNER, "kill", "--all", "KILL"]).await,
    }
}

/// SIGKILLs every process marked `marker` except `spare` (a session's shell),
/// without touching process groups (the shell shares its group with them).
pub async fn kill_marked_except(engine: &Engine, container: &str, marker: &str, spare: &str) -> Result<()> {
    run_killer(engine, container, marker, "KILL", spare).await
}

fn check_signal(signal: &str) -> Result<()> {
    if !signal.chars().all(|c| c.is_ascii_alphanumeric()) || signal.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "signal {signal:?} is not a signal name or number"
        )));
    }
    Ok(())
}

async fn run_killer(engine: &Engine, container: &str, marker: &str, signal: &str, spare: &str) -> Result<()> {
    check_signal(signal)?;
    let cmd = vec!["/bin/sh", "-c", KILL_SCRIPT, "pocket-dock-kill", marker, signal, spare];
    run_exec(engine, container, cmd).await
}

/// Runs a killer as root (so it may signal every user's processes) and waits
/// for it to finish.
async fn run_exec(engine: &Engine, container: &str, cmd: Vec<&str>) -> Result<()> {
    let config = CreateExecOptions {
        user: Some("0"),
        cmd: Some(cmd),
        ..Default::default()
    };
    let mut killer = start_attached(engine, container, config).await?;
    // The killer prints nothing; reading to the end waits for it to finish.
    while let Some(frame) = killer.output.next().await {
        frame.map_err(|e| Error::from_engine(e, Op::Handle { container }))?;
    }
    Ok(())
}
