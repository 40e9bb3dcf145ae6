//! pocket_dock_core: local container sandboxes on Docker or Podman, with no napi
//! in sight (the Node binding in the repository root only converts types).
//!
//! Map of the components, in dependency order: each module uses only those
//! above it (`scripts/check-module-cycles.mjs` checks that no two modules
//! import each other, directly or through others).
//! - [`profile`]: the built-in profiles (pure data: name, image, network default).
//! - [`error`]: the one [`Error`] enum with stable codes; the only place engine
//!   answers (status codes, Docker's and Podman's wordings, 304 Not Modified)
//!   become named errors.
//! - [`engine`]: finds the engine socket (in the order `docs/design.md`
//!   gives), negotiates the API version, keeps one client per socket for the
//!   whole process; stops, restarts and removes containers.
//! - [`labels`]: the labels that are the only state the engine keeps for us.
//! - [`validate`]: the pure input checks shared by several modules (timeouts,
//!   env, absolute paths, NUL bytes, image references, container names).
//! - [`project`]: `.pocket-dock/`: init, finding the root, the YAML config
//!   (user then project), instance directories with `instance.toml`.
//! - [`journal`]: a persistent project container's `history.jsonl` and
//!   rotated logs, written by a thread per container, never in a command's way.
//! - [`owner`]: which process owns an ephemeral container, and whether it is gone.
//! - [`runner`]: the static helper placed into each container that every
//!   command runs under (a subreaper), so killing a command kills its whole
//!   process tree; the marker kill is the fallback where it cannot be placed.
//! - [`exec`]: running commands — blocking, streaming and detached modes, the
//!   output cap, UTF-8 decoding, and killing a timed-out or cancelled command
//!   inside the container.
//! - [`files`]: writing, reading and listing files in a container, and moving
//!   trees in and out (`push`/`pull`).
//! - [`session`]: a long-lived shell with sentinel framing per command.
//! - [`image`]: building (context streamed, `.dockerignore` honoured), pulling,
//!   listing and removing images, and moving them as tar archives.
//! - [`persist`]: managed containers by name and label: list, stop, destroy,
//!   prune, and the startup sweep of orphans.
//! - [`doctor`]: a project's instance directories against its containers.
//! - [`container`]: the create spec (limits, ports, volumes, hardening,
//!   keep-alive main process), the reaper that ties an ephemeral container to
//!   its process, `info()`, and the [`Container`] handle's lifecycle (create,
//!   resume, reboot, snapshot, shutdown), which drives all of the above.
//!
//! Every call is async and runtime-agnostic beyond tokio: the binding drives it
//! on napi's one shared tokio runtime.

pub mod container;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod exec;
pub mod files;
pub mod image;
pub mod journal;
pub mod labels;
pub mod owner;
pub mod persist;
pub mod profile;
pub mod project;
pub mod runner;
pub mod session;
pub mod validate;

pub use container::{Container, ContainerInfo, CreateOptions};
pub use engine::{Discovery, Engine, EngineKind};
pub use error::{Error, Result};
pub use exec::{ExecResult, RunOptions};
pub use persist::ContainerListItem;
pub use tokio_util::sync::CancellationToken;
