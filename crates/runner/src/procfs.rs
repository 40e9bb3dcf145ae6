//! The process table as `/proc` shows it, the trees in it, and the
//! freeze-then-kill of a tree.
//!
//! Only world-readable files are needed for the trees (`/proc/N/stat`,
//! `/proc/N/cmdline`): the killer runs as root without `CAP_SYS_PTRACE`, so
//! it cannot read the environment of a command run as another user.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// One process: its parent and its state letter (`R`, `S`, `T`, `Z`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub state: u8,
    /// When it started, in clock ticks since boot (field 22): tells the
    /// container's main process from orphans that init adopted later.
    pub start: u64,
}

/// Parses `/proc/N/stat`. The command name (field 2) is in parentheses and
/// may itself hold spaces and parentheses, so fields are counted from the
/// last `)`.
pub fn parse_stat(text: &str) -> Option<Proc> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let mut rest = text.get(close + 1..)?.split_ascii_whitespace();
    let state = *rest.next()?.as_bytes().first()?;
    let ppid = rest.next()?.parse().ok()?;
    // Fields 5–21 lie between the parent pid and the start time.
    let start = rest.nth(17)?.parse().ok()?;
    Some(Proc {
        pid,
        ppid,
        state,
        start,
    })
}

/// Every process visible now. Processes that vanish while being read are
/// skipped.
pub fn scan() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let name = e.ok()?.file_name();
        let pid: i32 = name.to_str()?.parse().ok()?;
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(&text)
    })
    .collect()
}

/// `/proc/N/cmdline` split at its NULs (empty for kernel threads and zombies).
pub fn cmdline(pid: i32) -> Vec<Vec<u8>> {
    split_nul(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default())
}

/// `/proc/N/environ` split at its NULs; empty when it may not be read.
pub fn environ(pid: i32) -> Vec<Vec<u8>> {
    split_nul(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
}

pub fn split_nul(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// `roots` and all their descendants in `procs` (by parent links).
pub fn tree(procs: &[Proc], roots: &BTreeSet<i32>) -> BTreeSet<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut found = BTreeSet::new();
    let mut todo: Vec<i32> = roots.iter().copied().collect();
    while let Some(pid) = todo.pop() {
        if found.insert(pid) {
            todo.extend(children.get(&pid).into_iter().flatten());
        }
    }
    found
}

/// How many rounds of "find new members, stop them" before giving up: each
/// round stops every process that existed in the previous one, so a fork loop
/// gains at most one generation per round; the pids limit caps the rest.
const MAX_ROUNDS: usize = 200;
/// How long one round waits for the processes it stopped to be stopped.
const STOP_WAIT: Duration = Duration::from_millis(200);

/// Sends SIGKILL to `roots()` and all their descendants so that none escapes:
/// every member is first frozen with SIGSTOP, round after round, until a
/// round finds no new one and all are seen stopped (a stopped process cannot
/// fork, and a child forked before the stop is in `/proc` by then). Then all
/// are killed, descendants before roots. `roots` is called each round
/// because new roots may appear (a runner started meanwhile).
pub fn freeze_and_kill(mut roots: impl FnMut(&[Proc]) -> BTreeSet<i32>, spare: &BTreeSet<i32>) -> usize {
    let mut stopped = BTreeSet::new();
    let mut top = BTreeSet::new();
    for _ in 0..MAX_ROUNDS {
        let procs = scan();
        let r: BTreeSet<i32> = roots(&procs).difference(spare).copied().collect();
        let members = tree(&procs, &r);
        let new: Vec<i32> = members
            .difference(&stopped)
            .filter(|p| !spare.contains(p))
            .copied()
            .collect();
        top.extend(r);
        if new.is_empty() {
            break;
        }
        for &pid in &new {
            signal(pid, libc::SIGSTOP);
            stopped.insert(pid);
        }
        wait_stopped(&new);
    }
    for &pid in stopped.iter().filter(|p| !top.contains(p)) {
        signal(pid, libc::SIGKILL);
    }
    for &pid in stopped.iter().filter(|p| top.contains(p)) {
        signal(pid, libc::SIGKILL);
    }
    stopped.len()
}

/// Waits (briefly) until each of `pids` is stopped, dead or gone.
fn wait_stopped(pids: &[i32]) {
    let deadline = Instant::now() + STOP_WAIT;
    for &pid in pids {
        while Instant::now() < deadline {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|t| parse_stat(&t))
                .map(|p| p.state);
            match state {
                None | Some(b'T' | b't' | b'Z' | b'X' | b'x') => break,
                Some(_) => std::thread::sleep(Duration::from_micros(200)),
            }
        }
    }
}

/// `kill(2)`, ignoring processes that are already gone.
pub fn signal(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: kill has no memory effects.
        unsafe { libc::kill(pid, sig) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_awkward_names_parse() {
        // A real line: the start time is field 22.
        let line = "42 (sleep) S 7 42 7 0 -1 4194304 80 0 0 0 0 0 0 0 20 0 1 0 12345 1024 100";
        let parsed = parse_stat(line).unwrap();
        assert_eq!(
            (parsed.pid, parsed.ppid, parsed.state, parsed.start),
            (42, 7, b'S', 12345)
        );
        // A name with spaces and parentheses: fields count from the last `)`.
        let line = "9 (a) b) (c) T 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0";
        let parsed = parse_stat(line).unwrap();
        assert_eq!((parsed.pid, parsed.ppid, parsed.state, parsed.start), (9, 1, b'T', 777));
        // Too short to hold a start time.
        assert_eq!(parse_stat("9 (a) T 1 9 9 0"), None);
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("5 (x)"), None);
    }

    #[test]
    fn trees_follow_parent_links_only_downwards() {
        let p = |pid, ppid| Proc {
            pid,
            ppid,
            state: b'S',
            start: 0,
        };
        // 1 ─ 2 ─ 3 ─ 5, 2 ─ 4; 6 elsewhere; 7 is 0's.
        let procs = [p(1, 0), p(2, 1), p(3, 2), p(4, 2), p(5, 3), p(6, 1), p(7, 0)];
        let roots = BTreeSet::from([3]);
        assert_eq!(tree(&procs, &roots), BTreeSet::from([3, 5]));
        let roots = BTreeSet::from([2, 7]);
        assert_eq!(tree(&procs, &roots), BTreeSet::from([2, 3, 4, 5, 7]));
        // A root that is gone is still named (it may be a zombie being reaped).
        assert_eq!(tree(&procs, &BTreeSet::from([99])), BTreeSet::from([99]));
    }

    #[test]
    fn nul_separated_files_split() {
        assert_eq!(split_nul(b"a\0bc\0\0"), vec![b"a".to_vec(), b"bc".to_vec()]);
        assert!(split_nul(b"").is_empty());
    }
}
