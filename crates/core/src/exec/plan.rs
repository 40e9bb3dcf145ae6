//! What a command is run with: the user's [`RunOptions`], checked and turned
//! into an [`ExecPlan`] (argv for `sh -c`, `python3 -c` or `node -e`, the
//! environment with the kill marker, the timeout, the output cap), and the
//! [`ExecResult`] every mode ends with. Pure, so bad input fails before any
//! engine call.

use std::sync::Arc;
use std::time::Duration;

use super::marker::{marker_id, new_marker, Target};
use crate::error::{Error, Result};
use crate::runner::KillMode;
use crate::validate::{check_absolute, check_no_nul, parse_env, parse_timeout};

pub use super::stdin::StdinPipe;

/// What to run: a shell command line, or an argv run as it is (no shell, so
/// nothing in it is quoted or interpreted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run by `sh -c` (or the interpreter `lang` names).
    Shell(String),
    /// Run directly; with a `lang`, its interpreter comes first.
    Argv(Vec<String>),
}

impl From<&str> for Command {
    fn from(s: &str) -> Self {
        Command::Shell(s.to_string())
    }
}

impl From<&String> for Command {
    fn from(s: &String) -> Self {
        Command::Shell(s.clone())
    }
}

impl From<String> for Command {
    fn from(s: String) -> Self {
        Command::Shell(s)
    }
}

impl From<Vec<String>> for Command {
    fn from(v: Vec<String>) -> Self {
        Command::Argv(v)
    }
}

impl Command {
    /// The command as one line of text, for a project's `history.jsonl`: a
    /// shell line as given, an argv with each argument quoted as `sh` reads it.
    pub fn text(&self) -> String {
        match self {
            Command::Shell(s) => s.clone(),
            Command::Argv(v) => v.iter().map(|a| sh_quote(a)).collect::<Vec<_>>().join(" "),
        }
    }
}

/// `arg` as `sh` reads it back: bare when nothing in it is special, else in single quotes.
fn sh_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The size of a pseudo-terminal, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtySize {
    pub cols: u16,
    pub rows: u16,
}

/// The size a `tty` run gets when `cols`/`rows` are not given (a classic terminal).
pub const DEFAULT_TTY_SIZE: TtySize = TtySize { cols: 80, rows: 24 };

/// Checks a terminal dimension (`what` is `cols` or `rows`): a whole number 1–65535.
pub fn tty_dimension(n: f64, what: &str) -> Result<u16> {
    if n.fract() == 0.0 && (1.0..=65535.0).contains(&n) {
        Ok(n as u16)
    } else {
        Err(Error::OutOfRange(format!(
            "`{what}` must be a whole number of characters from 1 to 65535, got {n}"
        )))
    }
}

/// Default cap on the output kept by one command (the default `maxOutput`):
/// 10 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 10 << 20;

/// Per-call options of `run` (the TS `RunOptions`), as the user gave them.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Seconds; `None` ⇒ the container's default.
    pub timeout: Option<f64>,
    /// Bytes of stdout+stderr kept; `None` ⇒ 10 MiB.
    pub max_output: Option<f64>,
    /// `sh` (default), `bash`, `python`, `node`.
    pub lang: Option<String>,
    pub env: Vec<(String, String)>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// Bytes fed to the command's stdin, then closed.
    pub stdin: Option<Vec<u8>>,
    /// A stdin written to while the command runs (a JS `Readable`, or
    /// `stdin: 'pipe'` of a detached process); not with `stdin`.
    pub stdin_pipe: Option<Arc<StdinPipe>>,
    /// `"utf8"` (default) or `"buffer"`: output as bytes, untouched.
    pub encoding: Option<String>,
    /// Run in a pseudo-terminal (stdout and stderr merged).
    pub tty: bool,
    /// The terminal's size (only with `tty`).
    pub cols: Option<f64>,
    pub rows: Option<f64>,
    pub stream: bool,
    pub detach: bool,
    /// When the command exits, kill what it left running in the background.
    pub kill_leftovers: bool,
}

/// A checked, ready-to-start command.
#[derive(Debug, Clone)]
pub struct ExecPlan {
    pub argv: Vec<String>,
    /// `KEY=value`, the kill marker included.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub stdin: Option<Vec<u8>>,
    /// Written to while the command runs.
    pub stdin_pipe: Option<Arc<StdinPipe>>,
    /// Output is kept as bytes (`encoding: 'buffer'`), not decoded.
    pub binary: bool,
    /// Run in a pseudo-terminal of this size.
    pub tty: Option<TtySize>,
    /// `None` ⇒ no limit.
    pub timeout: Option<Duration>,
    pub max_output: usize,
    /// `POCKET_DOCK_EXEC=<id>`: how the killer finds the processes.
    pub marker: String,
    /// Whether `argv` runs through the runner, and so how it is killed.
    pub kill_mode: KillMode,
    /// Kill what the command leaves running once it exits.
    pub kill_leftovers: bool,
}

/// The outcome of a finished command (the TS `ExecResult`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecResult {
    /// The command's exit code; -1 when it was timed out or cancelled.
    pub exit_code: i64,
    /// The output as text; empty with `encoding: 'buffer'` (see `stdout_bytes`).
    pub stdout: String,
    pub stderr: String,
    /// The output byte for byte, with `encoding: 'buffer'` only.
    pub stdout_bytes: Option<Vec<u8>>,
    pub stderr_bytes: Option<Vec<u8>>,
    /// The kernel's OOM killer killed a process of the container while the
    /// command ran (the memory limit was reached).
    pub oom_killed: bool,
    pub duration_ms: f64,
    pub timed_out: bool,
    pub truncated: bool,
    /// Cancelled by the caller (an AbortSignal): the command was killed.
    pub cancelled: bool,
}

impl ExecResult {
    /// Exit code 0, not timed out and not cancelled. The TS `ok` reads
    /// `exitCode === 0 && !timedOut`; both agree on every result, because a
    /// cancelled command's exit code is -1 (and a `run()` cancelled by an
    /// AbortSignal never reaches users as a resolved value: it rejects with
    /// an `AbortError`).
    pub fn ok(&self) -> bool {
        self.exit_code == 0 && !self.timed_out && !self.cancelled
    }
}

impl ExecPlan {
    /// A plan for pocket-dock's own helper commands (argv as given, no shell
    /// around it, 30 s timeout, 16 MiB of output).
    pub(crate) fn internal(argv: Vec<String>) -> ExecPlan {
        let marker = new_marker();
        ExecPlan {
            argv,
            env: vec![marker.clone()],
            workdir: None,
            user: None,
            stdin: None,
            stdin_pipe: None,
            binary: false,
            tty: None,
            timeout: Some(Duration::from_secs(30)),
            max_output: 16 << 20,
            marker,
            kill_mode: KillMode::Marker,
            kill_leftovers: false,
        }
    }

    /// Runs the command through the runner when the container has one
    /// (`mode` is the container's): its argv is wrapped, and it is killed
    /// by its process tree. With [`KillMode::Marker`], unchanged.
    pub(crate) fn through(mut self, mode: KillMode) -> ExecPlan {
        if mode == KillMode::Subreaper {
            let id = marker_id(&self.marker).to_string();
            self.argv = crate::runner::wrap(
                std::mem::take(&mut self.argv),
                &id,
                self.kill_leftovers,
                self.tty.map(|t| (t.cols, t.rows)),
            );
            self.kill_mode = mode;
        }
        self
    }

    /// What the killer needs to find this command.
    pub(crate) fn target(&self) -> Target {
        Target {
            marker: self.marker.clone(),
            mode: self.kill_mode,
            kill_leftovers: self.kill_leftovers,
        }
    }

    /// When a command started at `started` must be killed, if ever.
    pub fn deadline(&self, started: std::time::Instant) -> Option<tokio::time::Instant> {
        self.timeout.map(|t| tokio::time::Instant::from_std(started + t))
    }
}

impl RunOptions {
    /// Checks the options and builds the plan for `cmd`.
    pub fn plan(self, cmd: impl Into<Command>, default_timeout: Option<Duration>) -> Result<ExecPlan> {
        if self.stream && self.detach {
            return Err(Error::InvalidArgument(
                "`stream` and `detach` cannot be used together: pick one mode".into(),
            ));
        }
        let interpreter: &[&str] = match self.lang.as_deref().unwrap_or("sh") {
            "sh" => &["/bin/sh", "-c"],
            "bash" => &["bash", "-c"],
            "python" | "python3" => &["python3", "-c"],
            "node" | "javascript" | "js" => &["node", "-e"],
            other => {
                return Err(Error::InvalidArgument(format!(
                    "`lang` {other:?} is not supported: use \"sh\", \"bash\", \"python\" or \"node\""
                )))
            }
        };
        let argv: Vec<String> = match cmd.into() {
            Command::Shell(cmd) => {
                if cmd.contains('\0') {
                    return Err(Error::InvalidArgument("the command contains a NUL byte".into()));
                }
                interpreter.iter().map(|s| s.to_string()).chain([cmd]).collect()
            }
            Command::Argv(argv) => {
                if argv.is_empty() {
                    return Err(Error::InvalidArgument(
                        "the command's argv is empty: give at least the program to run".into(),
                    ));
                }
                if argv.iter().any(|a| a.contains('\0')) {
                    return Err(Error::InvalidArgument(
                        "an argument of the command contains a NUL byte".into(),
                    ));
                }
                if argv[0].is_empty() {
                    return Err(Error::InvalidArgument(
                        "the command's program (argv[0]) is empty".into(),
                    ));
                }
                match self.lang.as_deref() {
                    // An argv with a `lang` is a script file and its arguments:
                    // `python3 script.py arg…`, with no `-c` and no shell.
                    Some(_) => [interpreter[0].to_string()].into_iter().chain(argv).collect(),
                    None => argv,
                }
            }
        };
        let binary = match self.encoding.as_deref() {
            None | Some("utf8") | Some("utf-8") => false,
            Some("buffer") => true,
            Some(other) => {
                return Err(Error::OutOfRange(format!(
                    "`encoding` {other:?} is not supported: use \"utf8\" (text, the default) or \"buffer\" (bytes)"
                )))
            }
        };
        if !self.tty && (self.cols.is_some() || self.rows.is_some()) {
            return Err(Error::InvalidArgument(
                "`cols` and `rows` size a pseudo-terminal: give them with `tty: true`".into(),
            ));
        }
        let tty = if self.tty {
            Some(TtySize {
                cols: self
                    .cols
                    .map(|n| tty_dimension(n, "cols"))
                    .transpose()?
                    .unwrap_or(DEFAULT_TTY_SIZE.cols),
                rows: self
                    .rows
                    .map(|n| tty_dimension(n, "rows"))
                    .transpose()?
                    .unwrap_or(DEFAULT_TTY_SIZE.rows),
            })
        } else {
            None
        };
        if self.stdin.is_some() && self.stdin_pipe.is_some() {
            return Err(Error::InvalidArgument(
                "give `stdin` once: bytes or a stream, not both".into(),
            ));
        }
        let timeout = match self.timeout {
            Some(secs) => parse_timeout(secs, "timeout")?,
            None => default_timeout,
        };
        let max_output = match self.max_output {
            None => DEFAULT_MAX_OUTPUT,
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => n as usize,
            Some(n) if n == f64::INFINITY => usize::MAX,
            Some(n) => {
                return Err(Error::OutOfRange(format!(
                    "`maxOutput` must be a whole number of bytes ≥ 0, got {n}"
                )))
            }
        };
        if let Some(u) = &self.user {
            check_no_nul(u, "`user`")?;
        }
        if let Some(w) = &self.workdir {
            check_absolute(w, "`workdir`")?;
        }
        let marker = new_marker();
        let mut env = parse_env(&self.env)?;
        env.push(marker.clone());
        Ok(ExecPlan {
            argv,
            env,
            workdir: self.workdir,
            user: self.user.filter(|u| !u.is_empty()),
            stdin: self.stdin,
            stdin_pipe: self.stdin_pipe,
            binary,
            tty,
            timeout,
            max_output,
            marker,
            kill_mode: KillMode::Marker,
            kill_leftovers: self.kill_leftovers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_map_to_their_interpreters() {
        let plan = |lang: &str| {
            RunOptions {
                lang: Some(lang.into()),
                ..Default::default()
            }
            .plan("x", None)
            .unwrap()
            .argv
        };
        assert_eq!(plan("sh"), ["/bin/sh", "-c", "x"]);
        assert_eq!(plan("python"), ["python3", "-c", "x"]);
        assert_eq!(plan("node"), ["node", "-e", "x"]);
        let bad = RunOptions {
            lang: Some("cobol".into()),
            ..Default::default()
        }
        .plan("x", None);
        assert_eq!(bad.unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
    }

    #[test]
    fn plans_run_through_the_runner_only_where_there_is_one() {
        let plan = RunOptions {
            kill_leftovers: true,
            ..Default::default()
        }
        .plan("x", None)
        .unwrap();
        let id = marker_id(&plan.marker).to_string();
        let marked = plan.clone().through(KillMode::Marker);
        assert_eq!(marked.argv, ["/bin/sh", "-c", "x"]);
        let wrapped = plan.through(KillMode::Subreaper);
        assert_eq!(wrapped.kill_mode, KillMode::Subreaper);
        assert_eq!(
            wrapped.argv,
            [
                crate::runner::PATH_IN_CONTAINER,
                "exec",
                "--id",
                &id,
                "--kill-leftovers",
                "--",
                "/bin/sh",
                "-c",
                "x"
            ]
        );
        assert!(wrapped.env.contains(&wrapped.marker));
    }

    #[test]
    fn stream_with_detach_is_refused() {
        let e = RunOptions {
            stream: true,
            detach: true,
            ..Default::default()
        }
        .plan("x", None)
        .unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE");
    }

    #[test]
    fn timeouts_and_caps_are_checked() {
        let default = Some(Duration::from_secs(30));
        let p = RunOptions::default().plan("x", default).unwrap();
        assert_eq!((p.timeout, p.max_output), (default, DEFAULT_MAX_OUTPUT));
        assert!(p.env.iter().any(|e| e.starts_with("POCKET_DOCK_EXEC=")));
        let p = RunOptions {
            timeout: Some(f64::INFINITY),
            ..Default::default()
        }
        .plan("x", default)
        .unwrap();
        assert_eq!(p.timeout, None);
        for bad in [
            RunOptions {
                timeout: Some(-1.0),
                ..Default::default()
            },
            // Beyond what a deadline holds (this one used to panic).
            RunOptions {
                timeout: Some(1e19),
                ..Default::default()
            },
            RunOptions {
                max_output: Some(1.5),
                ..Default::default()
            },
        ] {
            assert_eq!(bad.plan("x", default).unwrap_err().code(), "ERR_OUT_OF_RANGE");
        }
    }
}
