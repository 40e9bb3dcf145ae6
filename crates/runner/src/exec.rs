//! `exec`: run a command as the only child of a child subreaper.
//!
//! Two processes, both showing the runner's command line (so the killer finds
//! both by `--id`):
//! - the **runner** the engine started: it exits with the command's status
//!   as soon as the command ends, which is when the engine reports the exec
//!   as done;
//! - its child, the **keeper**: with `PR_SET_CHILD_SUBREAPER` it is the
//!   command's parent, and every process the command leaves behind (through
//!   `setsid`, a double fork, `env -i`, anything) is re-parented to it instead
//!   of the container's init. It reports the command's status to the runner
//!   through a pipe and stays, with no output of its own, as long as anything
//!   of the command's tree lives: a later kill (`reboot()`, a timeout while a
//!   leftover still holds the output) still finds the whole tree under it.
//!
//! Both make themselves non-dumpable, so a command running as the same user
//! cannot read or write their memory (`/proc/N/mem`) to disguise them.
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
    // the children may use anything prepared above until they exec.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        // Blocked in the runner too: a signal for the command reaches it
        // through the keeper, never ends the runner before the status.
        let mut wanted: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut wanted);
        libc::sigaddset(&mut wanted, libc::SIGCHLD);
        for &s in FORWARDED {
            libc::sigaddset(&mut wanted, s);
        }
        let mut original: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_BLOCK, &wanted, &mut original);
        // Close-on-exec: the command never holds the status pipe.
        let mut pipe = [0; 2];
        if libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return fail(
                CANNOT_RUN,
                &OsString::from("pipe"),
                &std::io::Error::last_os_error().to_string(),
            );
        }
        let keeper = libc::fork();
        if keeper < 0 {
            return fail(
                CANNOT_RUN,
                &OsString::from("fork"),
                &std::io::Error::last_os_error().to_string(),
            );
        }
        if keeper > 0 {
            libc::close(pipe[1]);
            return await_status(pipe[0]);
        }
        libc::close(pipe[0]);
        let report = pipe[1];
        if libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0 {
            // Not fatal: the command still runs, only orphans may escape.
            eprintln!(
                "pocket-dock-runner: cannot become a subreaper: {}",
                std::io::Error::last_os_error()
            );
        }
        let child = libc::fork();
        if child < 0 {
            send_status(report, CANNOT_RUN << 8);
            return fail(
                CANNOT_RUN,
                &OsString::from("fork"),
                &std::io::Error::last_os_error().to_string(),
            );
        }
        if child == 0 {
            libc::sigprocmask(libc::SIG_SETMASK, &original, std::ptr::null_mut());
            if let Some((cols, rows)) = opts.tty_size {
                // The terminal is the command's stdin (an exec with a tty).
                // Engines start it at 0x0; a size already set came from a
                // resize() that raced ahead of us, and is newer.
                let mut now: libc::winsize = std::mem::zeroed();
                let unset = libc::ioctl(0, libc::TIOCGWINSZ, &mut now) == 0 && now.ws_col == 0 && now.ws_row == 0;
                if unset {
                    let size = libc::winsize {
                        ws_col: cols,
                        ws_row: rows,
                        ws_xpixel: 0,
                        ws_ypixel: 0,
                    };
                    libc::ioctl(0, libc::TIOCSWINSZ, &size);
                }
            }
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
        // The keeper writes nothing: only the command (and what it leaves)
        // may hold the exec's output open.
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            libc::close(null);
        }
        supervise(child, &wanted, opts.kill_leftovers, report);
        0
    }
}

/// The runner: waits for the keeper's report and exits with the command's
/// status. A keeper that died without one (killed with its tree) counts as
/// killed.
fn await_status(pipe: libc::c_int) -> i32 {
    let mut buf = [0u8; 4];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: reads into the rest of `buf`.
        let n = unsafe { libc::read(pipe, buf[got..].as_mut_ptr().cast(), buf.len() - got) };
        match n {
            n if n > 0 => got += n as usize,
            n if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return 128 + libc::SIGKILL,
        }
    }
    exit_code(i32::from_ne_bytes(buf))
}

fn send_status(pipe: libc::c_int, status: i32) {
    let bytes = status.to_ne_bytes();
    // SAFETY: writes `bytes` (4 bytes: atomic on a pipe), then closes.
    unsafe {
        libc::write(pipe, bytes.as_ptr().cast(), bytes.len());
        libc::close(pipe);
    }
}

/// The keeper's loop: reaps, forwards signals, reports the command's status
/// once it has ended, and returns when no process of its tree is left.
fn supervise(child: libc::pid_t, wanted: &libc::sigset_t, kill_leftovers: bool, report: libc::c_int) {
    let mut report = Some(report);
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
        let (ours, none_left) = reap_all(child);
        if let Some(status) = ours {
            // With `kill_leftovers` the command counts as done once its
            // leftovers are gone too.
            if kill_leftovers {
                end_leftovers();
            }
            if let Some(fd) = report.take() {
                send_status(fd, status);
            }
            if kill_leftovers {
                return;
            }
        }
        if report.is_none() && none_left {
            return;
        }
    }
}

/// Reaps every child that has ended: `child`'s status if it was one, and
/// whether no child at all is left.
fn reap_all(child: libc::pid_t) -> (Option<i32>, bool) {
    let mut ours = None;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid == 0 {
            return (ours, false);
        }
        if pid < 0 {
            return (ours, true);
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
