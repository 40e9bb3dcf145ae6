//! The Node binding of pocket-dock. It only converts: JS option objects into
//! the core's types, core results into JS objects, and core errors into JS
//! errors with a `code` and fields. All behaviour lives in `crates/core`;
//! `docs/design.md` describes the layers.
//!
//! Map, one file per JS class:
//! - [`container`]: `NativeContainer` (and `CancelToken`, `info()`'s result).
//! - [`exec_stream`]: `NativeExecStream`, streamed output in batches.
//! - [`process`]: `NativeProcess`, a detached command and its events.
//! - [`session`]: `NativeSession`, a long-lived shell.
//! - [`functions`]: the module functions, and the `internal` namespace of
//!   test/bench hooks.
//! - [`images`]: profiles, and the image functions (build, pull, list,
//!   remove, export/import) with their progress callbacks and byte streams.
//! - [`project`]: `initProject`, `findProjectRoot`, `doctor`, and the
//!   journal's warnings and exit flush.
//! - [`options`]: the option objects JS passes in, and `NativeExecResult`.
//! - [`error`]: core errors as JS errors (`NativeErrorFields`).
//! - [`call`]: the one helper each method runs its core future through, async
//!   (a promise) or `…Sync` (blocking).
//! - [`runner`]: where the in-container runner binary is, found at load.

mod call;
pub mod container;
pub mod error;
pub mod exec_stream;
pub mod functions;
pub mod images;
pub mod options;
pub mod process;
pub mod project;
mod runner;
pub mod session;
