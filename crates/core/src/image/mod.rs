//! Images: building, pulling, listing, removing, and moving them as tar
//! archives for machines without a registry.
//!
//! - [`context`]: a build context checked, filtered by `.dockerignore` and
//!   streamed as a tar.
//! - [`build`]: the build API, its output as step/log events, failures with
//!   their step and log tail.
//! - [`pull`]: pulls through each engine's own path, with per-layer progress.
//! - [`archive`]: export to a file or a stream, import from either.
//! - [`progress`]: the typed events all of them report.
//! - `local`: the images on the engine (exists, id, list, remove); `channel`:
//!   a channel as a request body.
//!
//! This file only declares and re-exports: the parts import each other, never it.
//!
//! Every long operation takes a [`CancellationToken`] (the JS `AbortSignal`)
//! and returns `Error::Aborted` when it fires, after dropping its request.

pub mod archive;
pub mod build;
mod channel;
pub mod context;
mod local;
pub mod progress;
pub mod pull;

pub use build::BuildSpec;
pub use channel::receiver_stream;
pub use local::{check_remove, exists, image_id, list, normalize_id, remove, ImageInfo};
pub use progress::Progress;
pub use pull::{Auth, PullSpec};
pub use tokio_util::sync::CancellationToken;
