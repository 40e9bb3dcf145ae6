//! Blocking mode: run a command to the end and return its [`ExecResult`].

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::attach::start_plan;
use super::output::{OutputCollector, StreamKind};
use super::plan::{ExecPlan, ExecResult};
use super::pump::{pump, Sink, Stop};
use crate::engine::Engine;
use crate::error::Result;

impl Sink for OutputCollector {
    async fn push(&mut self, kind: StreamKind, bytes: &[u8]) {
        OutputCollector::push(self, kind, bytes);
    }
}

/// Runs `plan` in `container` to completion. A timeout or `cancel` kills the
/// command (and its children) inside the container and returns what it printed
/// so far.
pub async fn run(
    engine: &Arc<Engine>,
    container: &str,
    plan: ExecPlan,
    cancel: CancellationToken,
) -> Result<ExecResult> {
    let started_at = Instant::now();
    let deadline = plan.deadline(started_at);
    let mut exec = start_plan(engine, container, &plan).await?;
    let mut collected = OutputCollector::new(plan.max_output);
    let ended = pump(
        engine,
        container,
        &mut exec,
        &plan.target(),
        deadline,
        &cancel,
        &mut collected,
    )
    .await?;
    if let Some(e) = ended
        .head
        .setup_failure(ended.exit_code, plan.user.as_deref(), plan.workdir.as_deref())
    {
        return Err(e);
    }
    let truncated = collected.truncated();
    let (mut stdout, mut stderr, mut stdout_bytes, mut stderr_bytes) = Default::default();
    if plan.binary {
        let (out, err) = collected.finish_bytes();
        (stdout_bytes, stderr_bytes) = (Some(out), Some(err));
    } else {
        (stdout, stderr) = collected.finish();
    }
    Ok(ExecResult {
        exit_code: ended.exit_code,
        stdout,
        stderr,
        stdout_bytes,
        stderr_bytes,
        oom_killed: false,
        duration_ms: started_at.elapsed().as_secs_f64() * 1000.0,
        timed_out: ended.stop == Stop::TimedOut,
        truncated,
        cancelled: ended.stop == Stop::Cancelled,
    })
}
