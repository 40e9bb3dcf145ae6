//! `kill`: signal the whole tree of one command (`kill ID SIG`) or of every
//! command (`kill --all SIG`). pocket-dock runs it as root in a second exec.
//!
//! A command's tree is its runner (found by the `--id` in its command line)
//! and the runner's descendants; processes that still carry the command's
//! marker variable (readable ones) count too, so a process that escaped a
//! runner killed some other way is not missed. "Every command" is every
//! process but the container's init (pid 1) and its main process with that
//! one's descendants: what exec started (parent 0, outside the namespace),
//! and also what init adopted after its runner went away. The main process
//! is init's oldest child (it started with the container; adopted orphans
//! started later).
//!
//! SIGKILL and SIGSTOP freeze the tree first (see
//! [`procfs::freeze_and_kill`]). A catchable signal goes to each runner, which
//! forwards it to its tree (so every process gets it once), and directly to
//! members no runner covers.

use std::collections::BTreeSet;

use crate::args::KillArgs;
use crate::procfs::{self, Proc};
use crate::signals;

/// The variable every pocket-dock command carries (`POCKET_DOCK_EXEC=<id>`).
const MARKER_VAR: &[u8] = b"POCKET_DOCK_EXEC=";

pub fn run(opts: &KillArgs) -> i32 {
    let me = std::process::id() as i32;
    let own_argv0 = procfs::cmdline(me).into_iter().next().unwrap_or_default();
    // The killer itself, and whatever started it, are never targets.
    let spare = ancestry(&procfs::scan(), me);
    let roots = |procs: &[Proc]| find_roots(procs, opts.id.as_deref(), &own_argv0, &spare);
    if opts.signal == libc::SIGKILL {
        procfs::freeze_and_kill(roots, &spare);
        return 0;
    }
    let procs = procfs::scan();
    let top = roots(&procs);
    let members = procfs::tree(&procs, &top);
    let runners: BTreeSet<i32> = top
        .iter()
        .copied()
        .filter(|&p| runner_id(&procfs::cmdline(p), &own_argv0).is_some())
        .collect();
    let covered: BTreeSet<i32> = procfs::tree(&procs, &runners).difference(&runners).copied().collect();
    for &pid in members.iter().filter(|p| !spare.contains(p)) {
        // Uncatchable signals are not forwarded: deliver them to everyone.
        if signals::uncatchable(opts.signal) || !covered.contains(&pid) {
            procfs::signal(pid, opts.signal);
        }
    }
    0
}

/// `pid` and its ancestors.
fn ancestry(procs: &[Proc], pid: i32) -> BTreeSet<i32> {
    let mut found = BTreeSet::new();
    let mut at = pid;
    while at > 0 && found.insert(at) {
        at = procs.iter().find(|p| p.pid == at).map_or(0, |p| p.ppid);
    }
    found
}

/// The tops of the trees to signal.
fn find_roots(procs: &[Proc], id: Option<&str>, own_argv0: &[u8], spare: &BTreeSet<i32>) -> BTreeSet<i32> {
    let mut roots = BTreeSet::new();
    let main = main_tree(procs);
    for p in procs.iter().filter(|p| !spare.contains(&p.pid)) {
        let hit = match id {
            None => p.pid != 1 && !main.contains(&p.pid),
            Some(id) => {
                runner_id(&procfs::cmdline(p.pid), own_argv0) == Some(id.as_bytes().to_vec())
                    || carries_marker(&procfs::environ(p.pid), id)
            }
        };
        if hit {
            roots.insert(p.pid);
        }
    }
    roots
}

/// The container's main process (init's oldest child, or init itself when
/// the container runs without one) and its descendants.
fn main_tree(procs: &[Proc]) -> BTreeSet<i32> {
    let oldest = procs
        .iter()
        .filter(|p| p.ppid == 1)
        .min_by_key(|p| (p.start, p.pid))
        .map(|p| p.pid);
    let mut main = procfs::tree(procs, &oldest.into_iter().collect());
    main.insert(1);
    main
}

/// The `--id` of a runner's `exec` command line, if `cmdline` is one (same
/// binary path as ours).
pub fn runner_id(cmdline: &[Vec<u8>], own_argv0: &[u8]) -> Option<Vec<u8>> {
    if cmdline.first().map(Vec::as_slice) != Some(own_argv0) || cmdline.get(1).map(Vec::as_slice) != Some(b"exec") {
        return None;
    }
    let opts = cmdline[2..].iter().take_while(|w| w.as_slice() != b"--");
    let mut opts = opts.skip_while(|w| w.as_slice() != b"--id");
    opts.next()?;
    opts.next().cloned()
}

/// Whether an environment holds exactly `POCKET_DOCK_EXEC=<id>`.
pub fn carries_marker(environ: &[Vec<u8>], id: &str) -> bool {
    environ
        .iter()
        .any(|e| e.strip_prefix(MARKER_VAR) == Some(id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<Vec<u8>> {
        ws.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn runners_are_known_by_path_and_id() {
        let me = b"/.pocket-dock/runner";
        let line = words(&["/.pocket-dock/runner", "exec", "--id", "ab12", "--", "sh", "-c", "x"]);
        assert_eq!(runner_id(&line, me), Some(b"ab12".to_vec()));
        let line = words(&[
            "/.pocket-dock/runner",
            "exec",
            "--kill-leftovers",
            "--id",
            "cd",
            "--",
            "sh",
        ]);
        assert_eq!(runner_id(&line, me), Some(b"cd".to_vec()));
        // An `--id` inside the command does not count, nor another binary.
        let line = words(&["/.pocket-dock/runner", "exec", "--", "sh", "--id", "ab12"]);
        assert_eq!(runner_id(&line, me), None);
        let line = words(&["/tmp/fake", "exec", "--id", "ab12", "--", "sh"]);
        assert_eq!(runner_id(&line, me), None);
        assert_eq!(runner_id(&[], me), None);
    }

    #[test]
    fn markers_match_whole_values_only() {
        let env = words(&["A=1", "POCKET_DOCK_EXEC=ab12"]);
        assert!(carries_marker(&env, "ab12"));
        assert!(!carries_marker(&env, "ab1"));
        assert!(!carries_marker(&words(&["POCKET_DOCK_EXEC=ab123"]), "ab12"));
    }

    #[test]
    fn every_command_is_all_but_init_and_its_oldest_child() {
        let p = |pid, ppid, start| Proc {
            pid,
            ppid,
            state: b'S',
            start,
        };
        // init 1; main 7 (started first) with its child 8; an exec 20 (parent
        // 0) with child 21; an orphan 30 adopted by init, started later.
        let procs = [
            p(1, 0, 1),
            p(7, 1, 2),
            p(8, 7, 3),
            p(20, 0, 50),
            p(21, 20, 51),
            p(30, 1, 60),
        ];
        assert_eq!(main_tree(&procs), BTreeSet::from([1, 7, 8]));
        let all = find_roots(&procs, None, b"/.pocket-dock/runner", &BTreeSet::new());
        assert_eq!(all, BTreeSet::from([20, 21, 30]));
    }

    #[test]
    fn ancestry_climbs_to_the_top() {
        let p = |pid, ppid| Proc {
            pid,
            ppid,
            state: b'S',
            start: 0,
        };
        let procs = [p(1, 0), p(5, 1), p(9, 5), p(10, 0)];
        assert_eq!(ancestry(&procs, 9), BTreeSet::from([1, 5, 9]));
        assert_eq!(ancestry(&procs, 10), BTreeSet::from([10]));
    }
}
