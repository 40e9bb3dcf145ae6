//! Running commands in a container.
//!
//! - `plan`: [`RunOptions`] → [`ExecPlan`]: checks per-call options and builds
//!   the argv (`sh -c`, `python3 -c`, `node -e`), the environment (with the
//!   kill marker), the timeout and the output cap; and the [`ExecResult`].
//!   Pure, so bad input fails before any engine call.
//! - `pump`: the one read loop of every mode — output into a sink, deadline
//!   and cancellation enforced by killing the command inside the container.
//! - [`run`]: blocking mode, into a capped collector.
//! - [`stream`]: streaming mode, into a bounded channel (backpressure).
//! - [`process`]: detached mode, into a [`ring`] buffer and an event queue.
//! - `attach`: how every mode creates and starts an exec with its output attached.
//! - [`kill`]: killing a command and its children, through the runner
//!   ([`crate::runner`]) or by its marker; [`signal`]: the signal names and
//!   numbers `kill()` accepts.
//! - `marker`: the environment marker and runner id that find a command's
//!   processes, shared by the plan and the killer.
//! - [`output`], [`decode`]: the capped collector, UTF-8 decoding across
//!   frames, and [`Data`]: output as text or (`encoding: 'buffer'`) bytes.
//! - [`stdin`]: a stdin written to while the command runs, with backpressure.
//!
//! This file only declares and re-exports: the parts import each other, never
//! it, so no file of the module imports one that imports it back.

pub(crate) mod attach;
pub mod decode;
pub mod kill;
pub(crate) mod marker;
pub mod output;
mod plan;
pub mod process;
mod pump;
pub mod ring;
mod run;
mod setup;
pub mod signal;
pub mod stdin;
pub mod stream;

pub use decode::Data;
pub use plan::{tty_dimension, Command, ExecPlan, ExecResult, RunOptions, StdinPipe, TtySize, DEFAULT_MAX_OUTPUT};
pub use run::run;
