//! The markers that find a command's processes: every exec carries
//! `POCKET_DOCK_EXEC=<id>` in its environment, and the runner is started with
//! the same `<id>`. Pure data, shared by the plan that sets a marker and the
//! killer ([`super::kill`]) that looks for it.

use rand::Rng;

use crate::runner::KillMode;

/// The environment variable that marks an exec's processes.
pub const MARKER_VAR: &str = "POCKET_DOCK_EXEC";

/// A fresh marker value: `POCKET_DOCK_EXEC=<16 hex>`.
pub fn new_marker() -> String {
    format!("{MARKER_VAR}={:016x}", rand::rng().random::<u64>())
}

/// The id part of a marker (`POCKET_DOCK_EXEC=<id>` → `<id>`): what the
/// runner is started with and found by.
pub fn marker_id(marker: &str) -> &str {
    marker.split_once('=').map_or(marker, |(_, id)| id)
}

/// What finds one command's processes: its marker, and how its container kills.
#[derive(Debug, Clone)]
pub struct Target {
    /// `POCKET_DOCK_EXEC=<id>`.
    pub marker: String,
    pub mode: KillMode,
    /// Kill what the command leaves running once it exits normally.
    pub kill_leftovers: bool,
}
