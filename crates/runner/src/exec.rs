//! `exec`: run a command as the only child of a child subreaper.
//!
//! With `PR_SET_CHILD_SUBREAPER`, every process the command leaves behind
//! (through `setsid`, a double fork, `env -i`, anything) is re-parented to this
//! runner instead of the container's init, so the command's whole tree is
//! always "the runner's descendants" and the killer can find all of it.
//!
//! Signals are handled synchronously: all those the runner cares about are
//! blocked and taken with `sigwaitinfo`, so there are no handlers and no
//! async-signal-safety concerns. The child gets the original mask back before
//! `execvp`.

use std::collections::BTreeSet;
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use crate::args::ExecArgs;
use crate::procfs;
use crate::signals::FORWARDED;

/// Exit codes a shell gives for a command it cannot run.
const NOT_FOUND: i32 = 127;
const CANNOT_RUN: i32 = 126;

/// After killing leftovers, how long to wait for them to be reaped.
const REAP_WAIT: Duration = Duration::from_secs(2);

pub fn run(opts: ExecArgs) -> i32 {
    // Everything the child needs is prepared before the fork.
    let argv: Vec<CString> = match opts.argv.iter().map(|a| CString::new(a.as_bytes())).collect() {
        Ok(v) => v,
        Err(_) => return fail(CANNOT_RUN, &opts.argv[0], "an argument contains a NUL byte"),
    };
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let name = String::from_utf8_lossy(opts.argv[0].as_bytes()).into_owned();
    let not_found = format!("{name}: not found\n");

    // SAFETY: plain libc calls on locals; the process is single-threaded, so
    // the child may use anything prepared above until it execs.
    unsafe {
        if libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0 {
            // Not fatal: the command still runs, only orphans may escape.
            eprintln!(
                "pocket-dock-runner: cannot become a subreaper: {}",
                std::io::Error::last_os_error()
            );
        }
        let mut wanted: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut wanted);
        libc::sigaddset(&mut wanted, libc::SIGCHLD);
        for &s in FORWARDED {
            libc::sigaddset(&mut wanted, s);
        }
        let mut original: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_BLOCK, &wanted, &mut original);

        let child = libc::fork();
        if child < 0 {
            return fail(
                CANNOT_RUN,
                &OsString::from("fork"),
                &std::io::Error::last_os_error().to_string(),
            );
        }
        if child == 0 {
            libc::sigprocmask(libc::SIG_SETMASK, &original, std::ptr::null_mut());
            libc::execvp(argv_ptrs[0], argv_ptrs.as_ptr());
            let err = std::io::Error::last_os_error();
            let (code, msg) = match err.raw_os_error() {
                Some(libc::ENOENT) => (NOT_FOUND, not_found),
                Some(libc::EACCES) => (CANNOT_RUN, format!("{name}: Permission denied\n")),
                _ => (CANNOT_RUN, format!("{name}: {err}\n")),
            };
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(code);
        }
        supervise(child, &wanted, opts.kill_leftovers)
    }
}

/// Reaps, forwards signals, and returns the exit code once `child` has ended.
fn supervise(child: libc::pid_t, wanted: &libc::sigset_t, kill_leftovers: bool) -> i32 {
    loop {
        // SAFETY: `wanted` is a valid, blocked set.
        let sig = unsafe { libc::sigwaitinfo(wanted, std::ptr::null_mut()) };
        if sig < 0 {
            continue; // EINTR
        }
        if sig != libc::SIGCHLD {
            forward(sig);
            continue;
        }
        if let Some(status) = reap_all(child) {
            if kill_leftovers {
                end_leftovers();
            }
            return exit_code(status);
        }
    }
}

/// Reaps every child that has ended; `Some(status)` if `child` was one.
fn reap_all(child: libc::pid_t) -> Option<i32> {
    let mut ours = None;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            return ours;
        }
        if pid == child {
            ours = Some(status);
        }
    }
}

/// Passes `sig` on to every descendant (the runner's own tree: it is their
/// subreaper, so escaped orphans are in it too).
fn forward(sig: i32) {
    let me = std::process::id() as i32;
    let procs = procfs::scan();
    for pid in procfs::tree(&procs, &BTreeSet::from([me])) {
        if pid != me {
            procfs::signal(pid, sig);
        }
    }
}

/// Kills what the command left running, then reaps it.
fn end_leftovers() {
    let me = std::process::id() as i32;
    let spare = BTreeSet::from([me]);
    procfs::freeze_and_kill(
        |procs| procs.iter().filter(|p| p.ppid == me).map(|p| p.pid).collect(),
        &spare,
    );
    let deadline = Instant::now() + REAP_WAIT;
    while Instant::now() < deadline {
        let mut status = 0;
        // SAFETY: waitpid writes only `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        match pid {
            0 => std::thread::sleep(Duration::from_millis(1)),
            p if p > 0 => {}
            _ => return, // ECHILD: none left
        }
    }
}

/// The status a shell reports: the exit code, or 128 + the signal.
fn exit_code(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        CANNOT_RUN
    }
}

fn fail(code: i32, what: &OsString, msg: &str) -> i32 {
    eprintln!("{}: {msg}", what.to_string_lossy());
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_shell_exit_codes() {
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(libc::SIGKILL), 137);
        assert_eq!(exit_code(libc::SIGTERM), 143);
    }
}
