//! `pocket-dock-runner`: the small static helper pocket-dock places into each
//! container it creates. Every user command runs through it, so no process a
//! command starts can outlive the command's kill, whatever it does (a new
//! session, a double fork, a cleared environment).
//!
//! Subcommands (the interface is versioned by [`PROTOCOL`]; pocket-dock
//! places the binary matching its own version into every container it
//! creates or resumes, so both ends always speak the same one):
//! - `exec [--id ID] [--kill-leftovers] -- ARGV…` ([`exec`]): become a child
//!   subreaper, run ARGV as the only child, forward signals to the whole
//!   descendant tree, reap everything, exit with the child's status.
//! - `kill ID SIGNAL` / `kill --all SIGNAL` ([`kill`]): signal the tree of the
//!   runner started with `--id ID` (or of every command), freezing it first
//!   for SIGKILL so a fork loop cannot outrun it.
//! - `version`: prints the version and protocol.
//!
//! Pure parts (arguments, signal names, `/proc` parsing, tree walks) live in
//! [`args`], [`signals`] and [`procfs`] and are unit-tested; the rest is a
//! thin layer over `libc`.
//!
//! `no_main`: Rust's start-up code sets SIGPIPE to ignored, and an ignored
//! disposition survives `execve` into the user's command (`yes | head` would
//! then see EPIPE errors instead of dying quietly). Without it, every signal
//! disposition the engine gave us passes to the command unchanged.

// The test harness brings its own `main`.
#![cfg_attr(not(test), no_main)]

mod args;
mod exec;
mod kill;
mod procfs;
mod signals;

use args::Command;

/// The version of the command-line interface between pocket-dock and this
/// binary. Bumped when a subcommand changes incompatibly.
pub const PROTOCOL: u32 = 1;

/// Exit code for a usage error (as shells use for bad options).
const USAGE_EXIT: i32 = 2;

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    entry()
}

/// Runs the subcommand and returns the exit code.
#[cfg_attr(test, allow(dead_code))]
fn entry() -> i32 {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match args::parse(&argv) {
        Ok(Command::Exec(opts)) => exec::run(opts),
        Ok(Command::Kill(opts)) => kill::run(&opts),
        Ok(Command::Version) => {
            println!("pocket-dock-runner {} protocol {PROTOCOL}", env!("CARGO_PKG_VERSION"));
            0
        }
        Ok(Command::Help) => {
            print!("{}", args::USAGE);
            0
        }
        Err(msg) => {
            eprint!("pocket-dock-runner: {msg}\n{}", args::USAGE);
            USAGE_EXIT
        }
    }
}
