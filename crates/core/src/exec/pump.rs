//! The one read loop every exec mode shares: move the engine's output frames
//! into a [`Sink`], enforce the deadline and cancellation (both kill the
//! command inside the container), then read the exit code.
//!
//! Blocking `run` sinks into a capped collector, streams into a bounded
//! channel (so a consumer that stops pulling stops the reading: backpressure),
//! detached processes into a ring buffer.

use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::attach::Attached;
use super::marker::Target;
use super::output::StreamKind;
use super::setup::Head;
use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::runner::KillMode;

/// After a kill, how long to keep reading for the output the command flushed on
/// its way out. The stream ends within ~100 ms of a group kill on both engines.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);

/// Where output goes. `push` may wait (that is the backpressure of streams).
pub(crate) trait Sink: Send {
    async fn push(&mut self, kind: StreamKind, bytes: &[u8]);
}

/// Why reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Finished,
    TimedOut,
    Cancelled,
}

/// How a pumped command ended.
#[derive(Debug)]
pub(crate) struct Ended {
    /// The exit code, or -1 when the command was killed by a timeout or cancel.
    pub exit_code: i64,
    pub stop: Stop,
    /// The first bytes of output: whether the command started at all.
    pub head: Head,
}

/// Pumps `exec`'s output into `sink` until it ends, the `deadline` passes or
/// `cancel` fires; in the last two cases the command (found by `target`) is
/// killed with its children and what it flushed while dying is still pumped.
/// With `target.kill_leftovers`, what a command that ended normally left running is
/// killed too (the runner does that itself; the marker fallback needs a killer).
pub(crate) async fn pump<S: Sink>(
    engine: &Arc<Engine>,
    container: &str,
    exec: &mut Attached,
    target: &Target,
    deadline: Option<tokio::time::Instant>,
    cancel: &CancellationToken,
    sink: &mut S,
) -> Result<Ended> {
    let op = Op::Handle { container };
    let timer = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timer);
    let mut head = Head::default();
    let mut stop = loop {
        let frame = tokio::select! {
            biased;
            _ = cancel.cancelled() => break Stop::Cancelled,
            _ = &mut timer => break Stop::TimedOut,
            frame = exec.output.next() => frame,
        };
        let (kind, bytes) = match frame {
            None => break Stop::Finished,
            Some(Err(e)) => return Err(Error::from_engine(e, op)),
            Some(Ok(frame)) => match split(frame) {
                Some(parts) => parts,
                None => continue,
            },
        };
        head.push(kind, &bytes);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break Stop::Cancelled,
            _ = &mut timer => break Stop::TimedOut,
            _ = sink.push(kind, &bytes) => {}
        }
    };

    let mut exit_code = -1;
    if stop == Stop::Finished {
        match wait_exit_code(engine, &exec.id, op, deadline).await? {
            // A command killed by a signal may have died with its container:
            // Docker still answers for the exec of a removed container (137).
            Some(code) if code >= 128 => {
                still_running(engine, container, op, code == 137).await?;
                exit_code = code
            }
            Some(code) => exit_code = code,
            None => stop = Stop::TimedOut,
        }
    }
    if stop != Stop::Finished {
        kill_and_drain(engine, container, exec, target, cancel, sink).await?;
    } else if target.kill_leftovers && target.mode == KillMode::Marker {
        target.signal(engine, container, "KILL").await?;
    }
    Ok(Ended { exit_code, stop, head })
}

/// Kills the marked command while still reading its output: Docker handles a
/// container's exec exits in order, and an exit waits for that exec's output
/// to be read, so a killer started while nobody reads would never finish.
/// What the command flushes while dying goes to `sink`, unless cancelled.
async fn kill_and_drain<S: Sink>(
    engine: &Arc<Engine>,
    container: &str,
    exec: &mut Attached,
    target: &Target,
    cancel: &CancellationToken,
    sink: &mut S,
) -> Result<()> {
    let killer = tokio::spawn({
        let (engine, container, target) = (engine.clone(), container.to_string(), target.clone());
        async move { target.signal(&engine, &container, "KILL").await }
    });
    tokio::pin!(killer);
    let mut killed = None;
    let mut grace_end: Option<tokio::time::Instant> = None;
    loop {
        let grace = async {
            match grace_end {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = &mut killer, if killed.is_none() => {
                killed = Some(r);
                grace_end = Some(tokio::time::Instant::now() + DRAIN_AFTER_KILL);
            }
            _ = grace => break,
            frame = exec.output.next() => match frame.and_then(|f| f.ok()).map(split) {
                Some(Some((kind, bytes))) if !cancel.is_cancelled() => {
                    let _ = tokio::time::timeout(DRAIN_AFTER_KILL, sink.push(kind, &bytes)).await;
                }
                Some(_) => {}
                None => break,
            },
        }
    }
    let killed = match killed {
        Some(r) => r,
        None => killer.await,
    };
    killed.map_err(|e| Error::SocketCommunication {
        detail: format!("the kill task failed: {e}"),
    })?
}

fn split(frame: LogOutput) -> Option<(StreamKind, bytes::Bytes)> {
    match frame {
        LogOutput::StdOut { message } | LogOutput::Console { message } => Some((StreamKind::Stdout, message)),
        LogOutput::StdErr { message } => Some((StreamKind::Stderr, message)),
        LogOutput::StdIn { .. } => None,
    }
}

/// After a command died of a signal: was it its container that died? Docker
/// still answers for the exec of a container being removed (137), and for a
/// moment still calls that container running, so a SIGKILL gets a short look
/// (at most [`KILLED_PATIENCE`]); other signals one inspect. Running: the
/// command's own death, `Ok`. Gone (now or within a second: removal takes a
/// moment): `ContainerGone`. Stopped and staying: `ContainerNotRunning`.
async fn still_running(engine: &Engine, container: &str, op: Op<'_>, sigkill: bool) -> Result<()> {
    let start = tokio::time::Instant::now();
    let patience = if sigkill { KILLED_PATIENCE } else { Duration::ZERO };
    loop {
        let state = engine.inspect_container(container, op).await?.state.unwrap_or_default();
        let removing = state.status.is_some_and(|s| s.to_string() == "removing");
        let elapsed = start.elapsed();
        if state.running == Some(true) && !removing {
            if elapsed >= patience {
                return Ok(());
            }
        } else if elapsed >= Duration::from_secs(1) {
            return Err(Error::ContainerNotRunning {
                container_id: container.to_string(),
                detail: "the container stopped while the command ran".into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// How long a command that died of SIGKILL waits to see whether its
/// container is dying too (the engine's state lags the kill by a few ms).
const KILLED_PATIENCE: Duration = Duration::from_millis(150);

/// Reads the exit code once the output has ended. The engine may still report
/// the exec as running for a moment (Podman even says `ExitCode: 0` then), so
/// ask again until it does not, or until the deadline (⇒ `None`).
async fn wait_exit_code(
    engine: &Engine,
    exec_id: &str,
    op: Op<'_>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Option<i64>> {
    let mut pause = Duration::from_millis(2);
    loop {
        let info = engine
            .docker()
            .inspect_exec(exec_id)
            .await
            .map_err(|e| Error::from_engine(e, op))?;
        if info.running != Some(true) {
            return Ok(Some(info.exit_code.unwrap_or(-1)));
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() + pause >= d) {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}
