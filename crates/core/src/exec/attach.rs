//! Starting an exec with its output (and optionally its stdin) attached: the
//! one way every mode (blocking run, the killer, and later streams and
//! detached processes) starts a command.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::Stream;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::task::JoinHandle;

use super::plan::ExecPlan;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// Buffer size of the attach stream's decoder: large enough that a command
/// printing fast is read in few frames.
const READ_CAPACITY: usize = 64 << 10;

/// The engine's stream of output frames.
pub type OutputStream = Pin<Box<dyn Stream<Item = std::result::Result<LogOutput, bollard::errors::Error>> + Send>>;

/// A started exec: its id, its output, and its stdin (a sink unless
/// `attach_stdin` was asked for).
pub struct Attached {
    pub id: String,
    pub output: OutputStream,
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    /// The task feeding stdin, if any; stopped when the exec is dropped.
    feeder: Option<JoinHandle<()>>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        if let Some(f) = self.feeder.take() {
            f.abort();
        }
    }
}

/// Starts the command of `plan` and, if it has stdin, feeds it concurrently
/// (a command may print a lot before it reads) and then closes it.
pub async fn start_plan(engine: &Engine, container: &str, plan: &ExecPlan) -> Result<Attached> {
    let config = CreateExecOptions {
        attach_stdin: Some(plan.stdin.is_some() || plan.stdin_pipe.is_some()),
        env: Some(plan.env.iter().map(String::as_str).collect()),
        cmd: Some(plan.argv.iter().map(String::as_str).collect()),
        user: plan.user.as_deref(),
        working_dir: plan.workdir.as_deref(),
        tty: Some(plan.tty.is_some()),
        ..Default::default()
    };
    let mut exec = start_attached(engine, container, config).await?;
    if let Some(size) = plan.tty {
        // The runner set the size before the command started (both engines
        // ignore a size given at create); without it, size it now.
        if plan.kill_mode == crate::runner::KillMode::Marker {
            let _ = resize(engine, &exec.id, size).await;
        }
    }
    if let Some(rx) = plan.stdin_pipe.as_ref().and_then(|p| p.take_reader()) {
        let input = std::mem::replace(&mut exec.input, Box::pin(tokio::io::sink()));
        exec.feeder = Some(tokio::spawn(super::stdin::feed(rx, input)));
    } else if let Some(bytes) = plan.stdin.clone() {
        let mut input = std::mem::replace(&mut exec.input, Box::pin(tokio::io::sink()));
        exec.feeder = Some(tokio::spawn(async move {
            let _ = input.write_all(&bytes).await;
            // Half-close so the command sees end-of-file on stdin.
            let _ = input.shutdown().await;
        }));
    }
    Ok(exec)
}

/// Creates and starts an exec in `container` with stdout and stderr attached.
pub async fn start_attached(engine: &Engine, container: &str, config: CreateExecOptions<&str>) -> Result<Attached> {
    let op = Op::Handle { container };
    let docker = engine.docker();
    let tty = config.tty.unwrap_or(false);
    let config = CreateExecOptions {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..config
    };
    let exec = docker
        .create_exec(container, config)
        .await
        .map_err(|e| Error::from_engine(e, op))?;
    let start = StartExecOptions {
        detach: false,
        tty,
        output_capacity: Some(READ_CAPACITY),
    };
    match docker.start_exec(&exec.id, Some(start)).await {
        Ok(StartExecResults::Attached { output, input }) => Ok(Attached {
            id: exec.id,
            output,
            input,
            feeder: None,
        }),
        Ok(StartExecResults::Detached) => Err(Error::SocketCommunication {
            detail: "the engine did not attach to the command".into(),
        }),
        Err(e) => Err(Error::from_engine(e, op)),
    }
}

/// Sets the size of an exec's pseudo-terminal.
pub async fn resize(engine: &Engine, exec_id: &str, size: super::plan::TtySize) -> Result<()> {
    let options = bollard::exec::ResizeExecOptions {
        width: size.cols,
        height: size.rows,
    };
    engine.docker().resize_exec(exec_id, options).await.map_err(|e| {
        Error::from_engine(
            e,
            Op::Engine {
                socket_path: engine.socket_path(),
            },
        )
    })
}
