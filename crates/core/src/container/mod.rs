//! A container handle: create (with the checked [`spec`]), run commands, shut
//! down. The handle is cheap to share (`Arc<Container>`); every method takes
//! `&self` so many commands can run on one container at once.

pub mod spec;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions, StopContainerOptions};
use tokio_util::sync::CancellationToken;

use crate::engine::{self, Discovery, Engine, EngineKind};
use crate::error::{Error, Op, Result};
use crate::exec::process::Process;
use crate::exec::stream::ExecStream;
use crate::exec::{self, ExecOptions, ExecResult};
use crate::files;
use crate::session::Session;
pub use spec::CreateOptions;

/// Seconds a graceful `shutdown()` lets the main process stop before the engine
/// kills it. The keep-alive process exits on SIGTERM at once, so this only
/// matters for user processes that trap it.
const STOP_GRACE_SECS: i32 = 3;

/// A live container that pocket-dock created or resumed.
#[derive(Debug)]
pub struct Container {
    engine: Arc<Engine>,
    id: String,
    name: String,
    image: String,
    persist: bool,
    project: Option<String>,
    default_timeout: Option<Duration>,
    /// Set once `shutdown()` has begun: later commands fail fast and clearly.
    shut_down: AtomicBool,
    /// Cancelled by `shutdown()`: ends the readers of streams and detached
    /// processes, so no background task outlives its container.
    stopped: CancellationToken,
}

impl Container {
    /// Creates and starts a container. Options are checked before the engine is
    /// contacted; if the container is created but fails to start, it is removed.
    pub async fn create(opts: CreateOptions) -> Result<Container> {
        let discovery = Discovery {
            explicit: opts.socket_path.clone(),
            project_socket: None,
        };
        let spec = opts.into_spec()?;
        let engine = engine::connect(&discovery).await?;
        let docker = engine.docker();
        let created = docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(spec.name.clone()),
                    ..Default::default()
                }),
                spec.body,
            )
            .await
            .map_err(|e| {
                Error::from_engine(
                    e,
                    Op::Create {
                        image: &spec.image,
                        name: &spec.name,
                    },
                )
            })?;
        if let Err(e) = docker.start_container(&created.id, None).await {
            let _ = docker
                .remove_container(
                    &created.id,
                    Some(RemoveContainerOptions {
                        force: true,
                        ..Default::default()
                    }),
                )
                .await;
            return Err(match Error::from_engine(e, Op::Handle { container: &created.id }) {
                Error::SocketCommunication { detail } | Error::Container { detail, .. } => {
                    // Podman runs the init (set for signal handling and zombie
                    // reaping) from the catatonit package, which may be missing.
                    let hint = if engine.kind() == EngineKind::Podman && detail.contains("init") {
                        " (Podman needs an init binary for containers: install `catatonit`)"
                    } else {
                        ""
                    };
                    Error::Container {
                        container_id: created.id.clone(),
                        detail: format!("failed to start: {detail}{hint}"),
                    }
                }
                other => other,
            });
        }
        Ok(Container {
            engine,
            id: created.id,
            name: spec.name,
            image: spec.image,
            persist: spec.persist,
            project: spec.project,
            default_timeout: spec.default_timeout,
            shut_down: AtomicBool::new(false),
            stopped: CancellationToken::new(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn image(&self) -> &str {
        &self.image
    }
    pub fn persist(&self) -> bool {
        self.persist
    }
    pub fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
    /// The default per-command timeout (`None` = no limit).
    pub fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    /// Runs `cmd` to completion (blocking mode). `cancel` kills it early.
    pub async fn run(&self, cmd: &str, opts: ExecOptions, cancel: CancellationToken) -> Result<ExecResult> {
        let plan = opts.plan(cmd, self.default_timeout)?;
        self.check_open()?;
        exec::run(&self.engine, &self.id, plan, cancel)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Starts `cmd` in streaming mode; `cancel` (or [`ExecStream::cancel`])
    /// kills it. The container's default timeout applies.
    pub async fn stream(&self, cmd: &str, opts: ExecOptions, cancel: CancellationToken) -> Result<ExecStream> {
        let plan = opts.plan(cmd, self.default_timeout)?;
        self.check_open()?;
        let cancel = cancel.child_token();
        // Shutting the container down ends the stream too.
        let stopped = self.stopped.clone();
        let token = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = stopped.cancelled() => token.cancel(),
                _ = token.cancelled() => {}
            }
        });
        exec::stream::start(self.engine.clone(), self.id.clone(), plan, cancel)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Starts `cmd` detached. Only an explicit per-call timeout applies: a
    /// background process (a server, say) runs until it ends or is killed.
    pub async fn spawn(&self, cmd: &str, opts: ExecOptions) -> Result<Process> {
        let plan = opts.plan(cmd, None)?;
        self.check_open()?;
        exec::process::spawn(self.engine.clone(), self.id.clone(), plan, self.stopped.clone())
            .await
            .map_err(|e| self.explain(e))
    }

    /// Opens a long-lived shell session; it closes with the container.
    pub async fn session(&self) -> Result<Session> {
        self.check_open()?;
        Session::open(
            self.engine.clone(),
            self.id.clone(),
            self.default_timeout,
            self.stopped.clone(),
        )
        .await
        .map_err(|e| self.explain(e))
    }

    /// Writes `data` to the absolute `path`, creating missing parent directories.
    pub async fn write_file(&self, path: &str, data: &[u8]) -> Result<()> {
        self.check_open()?;
        files::write_file(&self.engine, &self.id, path, data)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Reads the file at the absolute `path`.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        self.check_open()?;
        files::read_file(&self.engine, &self.id, path)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Lists the directory at the absolute `path`; directories end in `/`.
    pub async fn list_files(&self, path: &str) -> Result<Vec<String>> {
        self.check_open()?;
        files::list_files(&self.engine, &self.id, path)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Copies the host file or directory `src` to the absolute `dest`, keeping
    /// modes and symlinks.
    pub async fn push(&self, src: &std::path::Path, dest: &str) -> Result<()> {
        self.check_open()?;
        files::transfer::push(&self.engine, &self.id, src, dest)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Copies the file or directory at the absolute `src` to the host path
    /// `dest`; nothing is written outside `dest`.
    pub async fn pull(&self, src: &str, dest: &std::path::Path) -> Result<()> {
        self.check_open()?;
        files::transfer::pull(&self.engine, &self.id, src, dest)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Stops the container; removes it unless it is persistent. `force` kills
    /// instead of asking the main process to stop. Safe to call twice, and a
    /// container already removed by someone else counts as shut down.
    pub async fn shutdown(&self, force: bool) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        self.stopped.cancel();
        let docker = self.engine.docker();
        let op = Op::Handle { container: &self.id };
        let tolerate_gone = |r: std::result::Result<(), BollardError>| match r {
            Ok(()) => Ok(()),
            // 304: already stopped.
            Err(BollardError::DockerResponseServerError { status_code: 304, .. }) => Ok(()),
            Err(e) => match Error::from_engine(e, op) {
                Error::ContainerGone { .. } => Ok(()),
                other => Err(other),
            },
        };
        let grace = if force { 0 } else { STOP_GRACE_SECS };
        let stop = StopContainerOptions {
            t: Some(grace),
            ..Default::default()
        };
        if self.persist || !force {
            tolerate_gone(docker.stop_container(&self.id, Some(stop)).await)?;
        }
        if self.persist {
            return Ok(());
        }
        let remove = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        tolerate_gone(docker.remove_container(&self.id, Some(remove)).await)
    }

    fn check_open(&self) -> Result<()> {
        if self.shut_down.load(Ordering::SeqCst) {
            return Err(Error::ContainerNotRunning {
                container_id: self.id.clone(),
                detail: "this container was shut down".into(),
            });
        }
        Ok(())
    }

    /// An error that arrives after our own `shutdown()` is about the shutdown,
    /// not about someone removing the container behind our back.
    fn explain(&self, e: Error) -> Error {
        match e {
            Error::ContainerGone { .. } | Error::ContainerNotRunning { .. }
                if self.shut_down.load(Ordering::SeqCst) =>
            {
                Error::ContainerNotRunning {
                    container_id: self.id.clone(),
                    detail: "this container was shut down while the command ran".into(),
                }
            }
            other => other,
        }
    }
}
