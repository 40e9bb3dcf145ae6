//! A container handle: create (with the checked [`spec`]), resume, run
//! commands, inspect ([`info`]), reboot, snapshot, shut down. The handle is
//! cheap to share (`Arc<Container>`); every method takes `&self` so many
//! commands can run on one container at once.
//!
//! Ephemeral containers carry a [`reaper`]: they end with the process that
//! holds them. Persistent ones (`persist: true`) are never reaped.

pub mod caps;
pub mod info;
pub mod listen;
pub mod oom;
pub mod reaper;
pub mod spec;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::models::ContainerConfig;
use bollard::query_parameters::{CommitContainerOptions, CreateContainerOptions};
use tokio_util::sync::CancellationToken;

use crate::engine::{self, Discovery, Engine, EngineKind};
use crate::error::{Error, Op, Result};
use crate::exec::process::Process;
use crate::exec::stream::ExecStream;
use crate::exec::{self, ExecResult, RunOptions};
use crate::files;
use crate::image;
use crate::journal::{Entry, Journal, LogPolicy};
use crate::labels;
use crate::persist;
use crate::project::{self, instance, Project};
use crate::runner::{self, KillMode};
use crate::session::Session;
use crate::validate;
pub use info::ContainerInfo;
use oom::OomWatch;
use reaper::Reaper;
pub use spec::CreateOptions;
use spec::{ContainerSpec, PullPolicy};

/// A live container that pocket-dock created or resumed.
#[derive(Debug)]
pub struct Container {
    engine: Arc<Engine>,
    name: String,
    image: String,
    persist: bool,
    project: Option<String>,
    default_timeout: Option<Duration>,
    /// What it was created with (from its label when resumed): what
    /// `reboot({ fresh: true })` recreates. `None` if the label is missing.
    options: Option<CreateOptions>,
    /// What changes when the container is rebooted.
    live: Mutex<Live>,
    /// Serializes reboot and shutdown, which replace [`Live`].
    lifecycle: tokio::sync::Mutex<()>,
    /// Set once `shutdown()` has begun: later commands fail fast and clearly.
    shut_down: AtomicBool,
    /// A persistent project container's history and logs (its instance
    /// directory, see `docs/projects.md`).
    journal: Option<Arc<Journal>>,
    /// The OOM killer's count, to tell an OOM-killed command (`oomKilled`).
    oom: OomWatch,
}

/// The engine-side identity of the container, replaced by a fresh reboot.
#[derive(Debug)]
struct Live {
    id: String,
    /// Cancelled by `shutdown()` and `reboot()`: ends the readers of streams,
    /// detached processes and sessions, so no background task outlives the
    /// processes it reads.
    stopped: CancellationToken,
    /// This process's hold on an ephemeral container (none for persistent ones,
    /// nor for an ephemeral one resumed while its creator still holds it).
    reaper: Option<Reaper>,
    /// Whether commands run through the runner (it was placed) or fall back
    /// to the marker kill.
    kill_mode: KillMode,
}

impl Container {
    /// Creates and starts a container. Options are checked before the engine is
    /// contacted; if the container is created but fails to start, it is removed.
    pub async fn create(mut opts: CreateOptions) -> Result<Container> {
        let project = apply_project(&mut opts)?;
        let discovery = Discovery {
            explicit: opts.socket_path.clone(),
            project_socket: project.as_ref().and_then(|p| p.settings.socket.clone()),
        };
        let spec = opts.into_spec()?;
        // The instance directory comes first: an unwritable project fails
        // before anything exists on the engine.
        let instance = match &project {
            Some(p) if spec.persist => {
                let dir = p.instance_dir(&spec.name);
                let new = instance::create(&dir)?;
                Some((p, dir, new))
            }
            _ => None,
        };
        let created = Self::create_on_engine(spec, &discovery).await;
        let mut container = match created {
            Ok(c) => c,
            Err(e) => {
                if let Some((_, dir, true)) = &instance {
                    let _ = std::fs::remove_dir_all(dir);
                }
                return Err(e);
            }
        };
        if let Some((p, dir, _)) = instance {
            container.journal = Some(container.open_journal(p, &dir)?);
        }
        Ok(container)
    }

    /// Writes `instance.toml` and starts the journal of instance directory `dir`.
    fn open_journal(&self, p: &Project, dir: &std::path::Path) -> Result<Arc<Journal>> {
        let options = self.options.clone().unwrap_or_default();
        let record = instance::InstanceRecord {
            id: self.id(),
            name: self.name.clone(),
            image: self.image.clone(),
            profile: options.profile.clone(),
            project: p.settings.project_name.clone(),
            created_at: crate::journal::timestamp(std::time::SystemTime::now()),
            persist: self.persist,
            limits: instance::Limits {
                mem_limit: options.mem_limit.clone(),
                cpu_percent: options.cpu_percent,
                pids_limit: options.pids_limit,
            },
            ports: options.ports.iter().cloned().collect(),
        };
        instance::write_record(dir, &record)?;
        Ok(Journal::open(dir, &self.name, LogPolicy::of(&p.settings)))
    }

    async fn create_on_engine(spec: ContainerSpec, discovery: &Discovery) -> Result<Container> {
        let engine = engine::connect(discovery).await?;
        persist::sweep_once(&engine);
        let pull = match spec.pull {
            PullPolicy::Never => false,
            PullPolicy::Missing => !image::exists(&engine, &spec.image).await?,
            PullPolicy::Always => true,
        };
        if pull {
            let never = CancellationToken::new();
            image::pull::pull(&engine, &spec.image, Default::default(), never, |_| {}).await?;
        }
        let (id, reaper, kill_mode) = start_new(&engine, &spec).await?;
        Ok(Container {
            engine,
            name: spec.name,
            image: spec.image,
            persist: spec.persist,
            project: spec.project,
            default_timeout: spec.default_timeout,
            options: Some(spec.options),
            live: Mutex::new(Live {
                id,
                stopped: CancellationToken::new(),
                reaper,
                kill_mode,
            }),
            lifecycle: tokio::sync::Mutex::new(()),
            shut_down: AtomicBool::new(false),
            journal: None,
            oom: OomWatch::fresh(),
        })
    }

    /// A handle on the managed container `name`, started if it was stopped, with
    /// the configuration it was created with. `timeout` (seconds) replaces its
    /// default command timeout. Containers pocket-dock did not create are
    /// reported as not found.
    pub async fn resume(name: &str, socket_path: Option<String>, timeout: Option<f64>) -> Result<Container> {
        let timeout = timeout.map(|t| validate::parse_timeout(t, "timeout")).transpose()?;
        let engine = engine::connect(&Discovery {
            explicit: socket_path,
            project_socket: None,
        })
        .await?;
        let found = persist::inspect_managed(&engine, name).await?;
        let id = found.id.clone().unwrap_or_default();
        let config = found.config.clone().unwrap_or_default();
        let label_map = config.labels.clone().unwrap_or_default();
        let label = |k: &str| label_map.get(k).map(String::as_str);
        let persist = label(labels::PERSIST) == Some("true");
        let default_timeout = match timeout {
            Some(t) => t,
            None => validate::parse_timeout(
                label(labels::TIMEOUT)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(spec::DEFAULT_TIMEOUT_SECS),
                "timeout",
            )?,
        };
        let options = label(labels::OPTIONS).and_then(|o| serde_json::from_str::<CreateOptions>(o).ok());
        let running = found.state.as_ref().and_then(|s| s.running) == Some(true);
        // Placed again every time: the container may hold an older runner, or
        // none (made by an older pocket-dock). Before a start, so nothing runs
        // without it; the upload replaces the file, never writes into it.
        let kill_mode = runner::place(&engine, &id).await;
        let mut reaper = None;
        if !running {
            let started = engine.docker().start_container(&id, None).await;
            Error::from_state_change(started, Op::Lookup { container: name })?;
            // We started it, so we own it; a running ephemeral container stays
            // tied to the process that holds it.
            if !persist {
                reaper = Some(Reaper::arm(&engine, &id).await?);
            }
        }
        let project_root = label(labels::PROJECT_ROOT).map(str::to_string);
        let mut container = Container {
            engine,
            name: found.name.unwrap_or_default().trim_start_matches('/').to_string(),
            image: config.image.unwrap_or_default(),
            persist,
            project: label(labels::PROJECT).map(str::to_string),
            default_timeout,
            options,
            live: Mutex::new(Live {
                id,
                stopped: CancellationToken::new(),
                reaper,
                kill_mode,
            }),
            lifecycle: tokio::sync::Mutex::new(()),
            shut_down: AtomicBool::new(false),
            journal: None,
            oom: OomWatch::unknown(),
        };
        // A persistent project container goes on writing to its instance
        // directory (made again if it was removed). A project that is gone or
        // broken does not stop the container from resuming.
        if let (true, Some(root)) = (persist, project_root) {
            if let Ok(p) = Project::open(std::path::Path::new(&root)) {
                let dir = p.instance_dir(&container.name);
                if instance::create(&dir).is_ok() {
                    container.journal = match instance::read_record(&dir) {
                        Some(_) => Some(Journal::open(&dir, &container.name, LogPolicy::of(&p.settings))),
                        None => container.open_journal(&p, &dir).ok(),
                    };
                }
            }
        }
        Ok(container)
    }

    /// The instance directory of a persistent project container.
    pub fn data_path(&self) -> Option<&std::path::Path> {
        self.journal.as_deref().map(Journal::dir)
    }

    /// Records a finished command in the journal, if there is one.
    fn record(&self, kind: &str, cmd: &str, started: std::time::SystemTime, r: &ExecResult) {
        if let Some(j) = &self.journal {
            j.record(Entry::of(kind, cmd, started, r));
        }
    }

    /// The engine's container id (it changes with `reboot({ fresh: true })`).
    pub fn id(&self) -> String {
        self.live.lock().unwrap().id.clone()
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

    /// The current id and the token that ends this incarnation's readers.
    fn current(&self) -> (String, CancellationToken) {
        let live = self.live.lock().unwrap();
        (live.id.clone(), live.stopped.clone())
    }

    /// How this container's commands are run and killed: through the
    /// runner, or by the marker fallback.
    pub fn kill_mode(&self) -> KillMode {
        self.live.lock().unwrap().kill_mode
    }

    /// Runs `cmd` to completion (blocking mode). `cancel` kills it early.
    pub async fn run(
        &self,
        cmd: impl Into<exec::Command>,
        opts: RunOptions,
        cancel: CancellationToken,
    ) -> Result<ExecResult> {
        let cmd: exec::Command = cmd.into();
        let text = cmd.text();
        let started = std::time::SystemTime::now();
        let pipe = opts.stdin_pipe.clone();
        let run = async {
            let plan = opts.plan(cmd, self.default_timeout)?.through(self.kill_mode());
            self.check_open()?;
            let (id, _) = self.current();
            exec::run(&self.engine, &id, plan, cancel)
                .await
                .map_err(|e| self.explain(e))
        };
        let outcome = run.await;
        // Whatever happened, nothing reads this stdin any more.
        if let Some(p) = pipe {
            p.abandon();
        }
        let mut result = outcome?;
        let (id, _) = self.current();
        if result.exit_code == oom::SIGKILLED {
            result.oom_killed = self.oom.killed_since_last(&self.engine, &id).await;
        }
        self.record("run", &text, started, &result);
        Ok(result)
    }

    /// Starts `cmd` in streaming mode; `cancel` (or [`ExecStream::cancel`])
    /// kills it. The container's default timeout applies.
    pub async fn stream(
        &self,
        cmd: impl Into<exec::Command>,
        opts: RunOptions,
        cancel: CancellationToken,
    ) -> Result<ExecStream> {
        let cmd: exec::Command = cmd.into();
        let text = cmd.text();
        let plan = opts.plan(cmd, self.default_timeout)?.through(self.kill_mode());
        self.check_open()?;
        let (id, stopped) = self.current();
        let cancel = cancel.child_token();
        // Shutting the container down (or rebooting it) ends the stream too.
        let token = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = stopped.cancelled() => token.cancel(),
                _ = token.cancelled() => {}
            }
        });
        let started = std::time::SystemTime::now();
        let stream = exec::stream::start(self.engine.clone(), id, plan, cancel)
            .await
            .map_err(|e| self.explain(e))?;
        if let Some(j) = self.journal.clone() {
            let (ended, cmd) = (stream.ended(), text);
            tokio::spawn(async move {
                if let Ok(r) = ended.await {
                    j.record(Entry::of("stream", &cmd, started, &r));
                }
            });
        }
        Ok(stream)
    }

    /// Starts `cmd` detached. Only an explicit per-call timeout applies: a
    /// background process (a server, say) runs until it ends or is killed.
    pub async fn spawn(&self, cmd: impl Into<exec::Command>, opts: RunOptions) -> Result<Process> {
        let cmd: exec::Command = cmd.into();
        let text = cmd.text();
        let plan = opts.plan(cmd, None)?.through(self.kill_mode());
        self.check_open()?;
        let (id, stopped) = self.current();
        let started = std::time::SystemTime::now();
        let process = exec::process::spawn(self.engine.clone(), id, plan, stopped)
            .await
            .map_err(|e| self.explain(e))?;
        if let Some(j) = self.journal.clone() {
            let (finished, cmd) = (process.finished(), text);
            tokio::spawn(async move {
                let r = finished.await;
                j.record(Entry::of("detach", &cmd, started, &r));
            });
        }
        Ok(process)
    }

    /// Waits until something listens on TCP `port` inside the container (see
    /// [`listen`]), at most `timeout` seconds (default 30, `Infinity`: no
    /// limit): `Timeout` then; `cancel` stops waiting (`Aborted`).
    pub async fn wait_for_port(&self, port: f64, timeout: Option<f64>, cancel: CancellationToken) -> Result<()> {
        let port = listen::check_port(port)?;
        let timeout = match timeout {
            Some(t) => validate::parse_timeout(t, "timeout")?,
            None => Some(listen::DEFAULT_TIMEOUT),
        };
        self.check_open()?;
        let (id, _) = self.current();
        listen::wait_for_port(&self.engine, &id, port, timeout, &cancel)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Opens a long-lived shell session; it closes with the container.
    pub async fn session(&self) -> Result<Session> {
        self.check_open()?;
        let (id, stopped) = self.current();
        Session::open(self.engine.clone(), id, self.default_timeout, stopped)
            .await
            .map(|s| s.journaled(self.journal.clone()))
            .map_err(|e| self.explain(e))
    }

    /// Writes `data` to the absolute `path`, creating missing parent directories.
    pub async fn write_file(&self, path: &str, data: &[u8]) -> Result<()> {
        self.check_open()?;
        files::write_file(&self.engine, &self.id(), path, data)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Reads the file at the absolute `path`.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        self.check_open()?;
        files::read_file(&self.engine, &self.id(), path)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Lists the directory at the absolute `path`; directories end in `/`.
    pub async fn list_files(&self, path: &str) -> Result<Vec<String>> {
        self.check_open()?;
        files::list_files(&self.engine, &self.id(), path)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Copies the host file or directory `src` to the absolute `dest`, keeping
    /// modes and symlinks.
    pub async fn push(&self, src: &std::path::Path, dest: &str) -> Result<()> {
        self.check_open()?;
        files::transfer::push(&self.engine, &self.id(), src, dest)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Copies the file or directory at the absolute `src` to the host path
    /// `dest`; nothing is written outside `dest`.
    pub async fn pull(&self, src: &str, dest: &std::path::Path) -> Result<()> {
        self.check_open()?;
        files::transfer::pull(&self.engine, &self.id(), src, dest)
            .await
            .map_err(|e| self.explain(e))
    }

    /// A live picture of the container, read from the engine now.
    pub async fn info(&self) -> Result<ContainerInfo> {
        let mut info = info::info(&self.engine, &self.id())
            .await
            .map_err(|e| self.explain(e))?;
        info.kill_mode = self.kill_mode();
        Ok(info)
    }

    /// Restarts the container in place (files kept, processes, sessions and
    /// streams ended) or, with `fresh`, recreates it from its image with the
    /// same name and configuration (files gone).
    pub async fn reboot(&self, fresh: bool) -> Result<()> {
        let _one_at_a_time = self.lifecycle.lock().await;
        self.check_open()?;
        let spec = if fresh { Some(self.fresh_spec()?) } else { None };
        let (old_id, old_stopped) = self.current();
        let old_mode = self.kill_mode();
        old_stopped.cancel();
        let (id, reaper, kill_mode) = match spec {
            Some(spec) => {
                self.engine.remove_and_wait(&old_id).await?;
                self.release_reaper();
                start_new(&self.engine, &spec).await?
            }
            // An ephemeral container is rebooted by ending every process but
            // its main one (the reaper, which keeps holding it). A restart
            // would end the reaper's hold and race it: Podman's restart of an
            // auto-removed container sometimes removes it, and Docker's
            // sometimes leaves it stopped.
            None if !self.persist => {
                exec::kill::kill_every_exec(&self.engine, &old_id, old_mode)
                    .await
                    .map_err(|e| self.explain(e))?;
                let reaper = self.live.lock().unwrap().reaper.take();
                (old_id, reaper, old_mode)
            }
            None => {
                self.engine.restart(&old_id).await.map_err(|e| self.explain(e))?;
                (old_id, None, old_mode)
            }
        };
        self.oom.reset();
        *self.live.lock().unwrap() = Live {
            id,
            stopped: CancellationToken::new(),
            reaper,
            kill_mode,
        };
        Ok(())
    }

    /// The spec a fresh reboot recreates: the options this container was made
    /// with, under the same name.
    fn fresh_spec(&self) -> Result<ContainerSpec> {
        let mut options = self.options.clone().ok_or_else(|| Error::Container {
            container_id: self.name.clone(),
            detail: format!(
                "cannot recreate it: it carries no `{}` label (it was made by an older pocket-dock); destroy it and create a new one",
                labels::OPTIONS
            ),
        })?;
        options.name = Some(self.name.clone());
        options.into_spec()
    }

    fn release_reaper(&self) {
        if let Some(r) = self.live.lock().unwrap().reaper.take() {
            r.release();
        }
    }

    /// Commits the container's filesystem as image `image_name` (`repo` or
    /// `repo:tag`) and returns the image id (`sha256:…`). The image is not
    /// marked as managed: containers run from it by other tools are not
    /// pocket-dock's.
    pub async fn snapshot(&self, image_name: &str) -> Result<String> {
        let (repo, tag) = validate::split_image_name(image_name)?;
        self.check_open()?;
        let id = self.id();
        let opts = CommitContainerOptions {
            container: Some(id.clone()),
            repo: Some(repo.to_string()),
            tag: tag.map(str::to_string),
            pause: true,
            changes: Some(format!("LABEL {}=false {}=snapshot", labels::MANAGED, labels::IMAGE)),
            ..Default::default()
        };
        let committed = self
            .engine
            .docker()
            .commit_container(opts, ContainerConfig::default())
            .await
            .map_err(|e| self.explain(Error::from_engine(e, Op::Handle { container: &id })))?;
        Ok(image::normalize_id(committed.id))
    }

    /// Stops the container; removes it unless it is persistent. `force` kills
    /// instead of asking the main process to stop. Safe to call twice, and a
    /// container already removed by someone else counts as shut down.
    pub async fn shutdown(&self, force: bool) -> Result<()> {
        let _one_at_a_time = self.lifecycle.lock().await;
        self.shut_down.store(true, Ordering::SeqCst);
        let (id, stopped) = self.current();
        stopped.cancel();
        if self.persist || !force {
            self.engine.stop(&id, force).await?;
        }
        if self.persist {
            // Everything the commands printed is on disk before this returns.
            if let Some(j) = self.journal.clone() {
                let _ = tokio::task::spawn_blocking(move || j.flush()).await;
            }
            return Ok(());
        }
        self.engine.remove_and_wait(&id).await?;
        self.release_reaper();
        if let Some(root) = self.options.as_ref().and_then(|o| o.project_root.as_deref()) {
            project::remove_instance_dir(std::path::Path::new(root), &self.name)?;
        }
        Ok(())
    }

    fn check_open(&self) -> Result<()> {
        if self.shut_down.load(Ordering::SeqCst) {
            return Err(Error::ContainerNotRunning {
                container_id: self.id(),
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
                    container_id: self.id(),
                    detail: "this container was shut down while the command ran".into(),
                }
            }
            other => other,
        }
    }
}

/// Applies the project's configuration to `opts`: the project at
/// `opts.project_root`, or the one found from the current directory (unless
/// `opts.project` names another). The project's `default_profile` (when
/// neither `profile` nor `image` is given) and `default_persist` (when
/// `persist` is not) apply; `project` becomes its name.
fn apply_project(opts: &mut CreateOptions) -> Result<Option<Project>> {
    let project = match &opts.project_root {
        Some(root) => {
            let p = Project::open(std::path::Path::new(root))?;
            if let Some(name) = opts.project.as_ref().filter(|n| **n != p.settings.project_name) {
                return Err(Error::InvalidArgument(format!(
                    "`project` is {name:?}, but the project at {} is named {:?}: leave `project` out, or pass the root of project {name:?}",
                    p.root.display(),
                    p.settings.project_name
                )));
            }
            p
        }
        None => match Project::from_cwd()? {
            Some(p) if opts.project.as_ref().is_none_or(|n| *n == p.settings.project_name) => p,
            _ => return Ok(None),
        },
    };
    opts.project = Some(project.settings.project_name.clone());
    opts.project_root = Some(project.root.display().to_string());
    opts.persist = opts.persist.or(Some(project.settings.default_persist));
    if opts.profile.is_none() && opts.image.is_none() {
        opts.profile = project.settings.default_profile.clone();
    }
    Ok(Some(project))
}

/// Creates and starts a container from a checked spec, with the runner placed
/// before it starts (Docker) or while it starts (Podman); an ephemeral one gets its reaper, attached while it
/// starts (connections at once, so neither costs an extra round trip).
/// On any failure nothing is left behind.
async fn start_new(engine: &Arc<Engine>, spec: &ContainerSpec) -> Result<(String, Option<Reaper>, KillMode)> {
    let docker = engine.docker();
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(spec.name.clone()),
                ..Default::default()
            }),
            spec.body.clone(),
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
    let id = created.id;
    // An upload costs ~100 ms on both engines whatever its size (the engine
    // mounts the root file system for it). Podman does it while the container
    // starts, so it is hidden there; Docker serializes it with the start (it
    // took longer that way), so there it goes first. A read-only root takes
    // it only before the start (Podman; Docker never), so it goes first too:
    // the outcome must not depend on timing. Either way no command can run
    // before this function returns.
    let read_only = spec.options.read_only == Some(true);
    let placed_first = match engine.kind() {
        EngineKind::Podman if !read_only => None,
        _ => Some(runner::place(engine, &id).await),
    };
    let place = async {
        match placed_first {
            Some(mode) => mode,
            // An upload that lands mid-start may be refused: once started,
            // it is not. Refused again means it cannot be placed.
            None => match runner::place(engine, &id).await {
                KillMode::Marker => runner::place(engine, &id).await,
                placed => placed,
            },
        }
    };
    let start = async {
        docker
            .start_container(&id, None)
            .await
            .map_err(|e| start_failed(engine, &id, e))
    };
    let (started, reaper, kill_mode) = if spec.persist {
        let (started, kill_mode) = tokio::join!(start, place);
        (started, None, kill_mode)
    } else {
        let (started, reaper, kill_mode) = tokio::join!(start, Reaper::arm(engine, &id), place);
        let reaper = match reaper {
            // Podman refuses an attach that lands mid-start ("container state
            // improper"); once started, attaching works.
            Err(Error::ContainerNotRunning { .. }) if started.is_ok() => Reaper::arm(engine, &id).await,
            other => other,
        };
        (started, Some(reaper), kill_mode)
    };
    let outcome = started.and_then(|()| reaper.transpose());
    match outcome {
        Ok(reaper) => Ok((id, reaper, kill_mode)),
        Err(e) => {
            let _ = engine.remove_and_wait(&id).await;
            Err(e)
        }
    }
}

/// Explains a failed start; Podman's most common cause is a missing init.
fn start_failed(engine: &Engine, id: &str, e: BollardError) -> Error {
    match Error::from_engine(e, Op::Handle { container: id }) {
        Error::SocketCommunication { detail } | Error::Container { detail, .. } => {
            // Podman runs the init (set for signal handling and zombie
            // reaping) from the catatonit package, which may be missing.
            let hint = if engine.kind() == EngineKind::Podman && detail.contains("init") {
                " (Podman needs an init binary for containers: install `catatonit`, or pass `init: false`)"
            } else {
                ""
            };
            Error::Container {
                container_id: id.to_string(),
                detail: format!("failed to start: {detail}{hint}"),
            }
        }
        other => other,
    }
}
