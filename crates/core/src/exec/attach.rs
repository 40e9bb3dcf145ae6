//! Starting an exec with its output (and optionally its stdin) attached: the
//! one way every mode (blocking run, the killer, and later streams and
//! detached processes) starts a command.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::Stream;
use tokio::io::AsyncWrite;

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
}

/// Creates and starts an exec in `container` with stdout and stderr attached.
pub async fn start_attached(engine: &Engine, container: &str, config: CreateExecOptions<&str>) -> Result<Attached> {
    let op = Op::Handle { container };
    let docker = engine.docker();
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
        tty: false,
        output_capacity: Some(READ_CAPACITY),
    };
    match docker.start_exec(&exec.id, Some(start)).await {
        Ok(StartExecResults::Attached { output, input }) => Ok(Attached {
            id: exec.id,
            output,
            input,
        }),
        Ok(StartExecResults::Detached) => Err(Error::SocketCommunication {
            detail: "the engine did not attach to the command".into(),
        }),
        Err(e) => Err(Error::from_engine(e, op)),
    }
}
