//! The owning end of an ephemeral container's reaper (see
//! [`super::spec::REAPER_SCRIPT`]): an attached stdin that this process holds
//! open for as long as the container should live.
//!
//! Why not a helper container (testcontainers' Ryuk)? It has to be pulled, and
//! pocket-dock works offline. Here the kernel does the reaping: when this process
//! ends for any reason, SIGKILL included, its sockets close, the engine closes
//! the container's stdin (`StdinOnce`), the main process exits and the engine
//! removes the container (`AutoRemove`). Measured: gone within ~4 s on Docker and
//! ~2 s on Podman.

use bollard::container::AttachContainerResults;
use bollard::query_parameters::AttachContainerOptions;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// Holds a container's stdin open. [`Reaper::release`] lets go of it, which
/// ends the container; dropping the handle does not (cleanup is explicit), so a
/// handle the garbage collector took keeps its container until the process ends.
#[derive(Debug)]
pub struct Reaper {
    release: CancellationToken,
}

impl Reaper {
    /// Attaches to the stdin of container `id` (created with `OpenStdin` +
    /// `StdinOnce`; it may be created or already running).
    pub async fn arm(engine: &Engine, id: &str) -> Result<Reaper> {
        let opts = AttachContainerOptions {
            stdin: true,
            stream: true,
            ..Default::default()
        };
        let AttachContainerResults { mut output, input } = engine
            .docker()
            .attach_container(id, Some(opts))
            .await
            .map_err(|e| Error::from_engine(e, Op::Handle { container: id }))?;
        let release = CancellationToken::new();
        let token = release.clone();
        tokio::spawn(async move {
            // The output ends when the container stops; until then, or until the
            // handle releases it, keep the connection (and so stdin) open.
            tokio::select! {
                _ = token.cancelled() => {}
                _ = async { while output.next().await.is_some() {} } => {}
            }
            drop(input);
        });
        Ok(Reaper { release })
    }

    /// Closes the container's stdin: the container stops and is removed.
    pub fn release(&self) {
        self.release.cancel();
    }
}
