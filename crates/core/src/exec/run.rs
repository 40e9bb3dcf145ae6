//! Blocking mode: run a command to the end and return its [`ExecResult`].

use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::CreateExecOptions;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::attach::{start_attached, Attached};
use super::kill::kill_marked;
use super::output::{OutputCollector, StreamKind};
use super::{ExecPlan, ExecResult};
use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// After a kill, how long to keep reading for the output the command flushed on
/// its way out. The stream ends within ~100 ms of a group kill on both engines.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);

/// Why the read loop stopped.
enum Stop {
    Finished,
    TimedOut,
    Cancelled,
}

/// Runs `plan` in `container` to completion. A timeout or `cancel` kills the
/// command (and its children) inside the container and returns what it printed
/// so far.
pub async fn run(engine: &Engine, container: &str, plan: ExecPlan, cancel: CancellationToken) -> Result<ExecResult> {
    let op = Op::Handle { container };
    let started_at = Instant::now();
    let config = CreateExecOptions {
        attach_stdin: Some(plan.stdin.is_some()),
        env: Some(plan.env.iter().map(String::as_str).collect()),
        cmd: Some(plan.argv.iter().map(String::as_str).collect()),
        user: plan.user.as_deref(),
        working_dir: plan.workdir.as_deref(),
        ..Default::default()
    };
    let Attached {
        id: exec_id,
        mut output,
        mut input,
    } = start_attached(engine, container, config).await?;

    // Feed stdin concurrently: a command may print a lot before it reads.
    let feeder = plan.stdin.map(|bytes| {
        tokio::spawn(async move {
            let _ = input.write_all(&bytes).await;
            // Half-close so the command sees end-of-file on stdin.
            let _ = input.shutdown().await;
        })
    });

    let deadline = plan.timeout.map(|t| tokio::time::Instant::from_std(started_at + t));
    let mut collected = OutputCollector::new(plan.max_output);
    let mut stop = Stop::Finished;
    loop {
        let timed_out = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => { stop = Stop::Cancelled; break; }
            _ = timed_out => { stop = Stop::TimedOut; break; }
            frame = output.next() => match frame {
                Some(Ok(frame)) => collect(&mut collected, frame),
                Some(Err(e)) => return Err(Error::from_engine(e, op)),
                None => break,
            },
        }
    }

    let exit_code = match stop {
        Stop::Finished => match wait_exit_code(engine, &exec_id, op, deadline).await? {
            Some(code) => code,
            None => {
                stop = Stop::TimedOut;
                -1
            }
        },
        Stop::TimedOut | Stop::Cancelled => -1,
    };
    if !matches!(stop, Stop::Finished) {
        kill_marked(engine, container, &plan.marker, "KILL").await?;
        // Keep what the command flushed while dying, but never wait long.
        let drain = async {
            while let Some(Ok(frame)) = output.next().await {
                collect(&mut collected, frame);
            }
        };
        let _ = tokio::time::timeout(DRAIN_AFTER_KILL, drain).await;
    }
    if let Some(f) = feeder {
        f.abort();
    }
    let truncated = collected.truncated();
    let (stdout, stderr) = collected.finish();
    Ok(ExecResult {
        exit_code,
        stdout,
        stderr,
        duration_ms: started_at.elapsed().as_secs_f64() * 1000.0,
        timed_out: matches!(stop, Stop::TimedOut),
        truncated,
        cancelled: matches!(stop, Stop::Cancelled),
    })
}

fn collect(collected: &mut OutputCollector, frame: LogOutput) {
    match frame {
        LogOutput::StdOut { message } | LogOutput::Console { message } => collected.push(StreamKind::Stdout, &message),
        LogOutput::StdErr { message } => collected.push(StreamKind::Stderr, &message),
        LogOutput::StdIn { .. } => {}
    }
}

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
