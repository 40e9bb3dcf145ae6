//! Telling an OOM-killed command from one killed by a plain `kill -9`: both
//! exit with 137. The kernel counts the OOM killer's kills in the
//! container's memory cgroup (`oom_kill` in `memory.events` on cgroup v2,
//! in `memory.oom_control` on v1); a command that died of SIGKILL while
//! that count went up was killed for memory. The count is read only then,
//! so ordinary commands cost nothing.

use std::sync::Mutex;

use crate::engine::Engine;
use crate::exec::{self, ExecPlan};

/// The exit code of a command killed by SIGKILL (128 + 9).
pub const SIGKILLED: i64 = 137;

/// Reads the cgroup's OOM-kill count (v2, then v1), as a number on stdout.
const READ_COUNT: &str = "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null";

/// The OOM-kill count last seen in one container.
#[derive(Debug)]
pub struct OomWatch {
    /// `None` until known (a resumed container: its past kills are not ours).
    seen: Mutex<Option<u64>>,
}

impl OomWatch {
    /// For a container that was just (re)started: its cgroup is new, the count 0.
    pub fn fresh() -> Self {
        OomWatch {
            seen: Mutex::new(Some(0)),
        }
    }

    /// For a resumed container: the count is read at the first SIGKILL.
    pub fn unknown() -> Self {
        OomWatch { seen: Mutex::new(None) }
    }

    /// The cgroup was recreated (a reboot): the count starts again at 0.
    pub fn reset(&self) {
        *self.seen.lock().unwrap() = Some(0);
    }

    /// Whether the OOM killer killed anything in `container` since the last
    /// look, and remembers the count. False when it cannot be read.
    pub async fn killed_since_last(&self, engine: &std::sync::Arc<Engine>, container: &str) -> bool {
        let plan = ExecPlan::internal(vec!["/bin/sh".into(), "-c".into(), READ_COUNT.into()]);
        let never = tokio_util::sync::CancellationToken::new();
        let Ok(result) = exec::run(engine, container, plan, never).await else {
            return false;
        };
        let Some(count) = parse_count(&result.stdout) else {
            return false;
        };
        let mut seen = self.seen.lock().unwrap();
        let before = seen.replace(count);
        before.is_some_and(|b| count > b)
    }
}

/// The `oom_kill N` line of `memory.events` or `memory.oom_control`.
fn parse_count(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_read_from_either_cgroup_version() {
        let v2 = "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(parse_count(v2), Some(1));
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n";
        assert_eq!(parse_count(v1), Some(4));
        assert_eq!(parse_count(""), None);
    }
}
