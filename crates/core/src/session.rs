//! A long-lived `/bin/sh` in the container, and the sentinel framing that
//! finds each command's own output and exit code in the shell's streams.
//!
//! `send_and_wait(cmd)` writes one line:
//!
//! ```sh
//! printf '\036S<t>\036'; printf '\036S<t>\036' >&2; command eval '<cmd>' </dev/null; printf '\036E<t>:%d\036' $?; printf '\036E<t>\036' >&2
//! ```
//!
//! `<t>` is fresh random hex per command, so output cannot forge a sentinel;
//! the command goes through `eval` of a single-quoted string, so any text —
//! several lines, quotes, here-documents — is one command, and `cd` or
//! `export` persist; its stdin is `/dev/null`, so a command that reads stdin
//! cannot swallow the protocol. Output without a trailing newline stays as
//! it is (the sentinel needs no line of its own).
//!
//! The shell only ever parses the line above, which is always well formed:
//! the user's text is parsed by `eval`. A non-interactive shell exits on an
//! error in a special built-in such as `eval` (a syntax error, `${x?}`, an
//! assignment to a read-only variable), so `eval` runs under `command`, which
//! takes those special properties away (POSIX; ash, dash and bash alike): the
//! error is the command's own exit status 2, with the shell's message on its
//! stderr, and the session goes on. What ends the shell on purpose still does
//! — `exit`, `return` outside a function, `exec` of a program, `set -e` and a
//! failure — and the session is then closed.
//!
//! A command past its timeout has its processes killed (all that carry the
//! session's marker but the shell itself); the shell then prints the end
//! sentinel and the session goes on. A command that cannot be interrupted
//! (a loop of shell builtins) closes the session: never a silent desync.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use bollard::exec::CreateExecOptions;
use futures::StreamExt;
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec::attach::start_attached;
use crate::exec::kill::{kill_marked_except, new_marker};
use crate::exec::output::decode_utf8;
use crate::exec::{ExecResult, DEFAULT_MAX_OUTPUT};

/// After a timeout kill, how long the end sentinel may take before the
/// session is declared unrecoverable.
const RECOVER_WAIT: Duration = Duration::from_secs(2);
/// Most bytes `read()` keeps of output no `send_and_wait` claimed.
const LOOSE_CAP: usize = 1 << 20;

/// What the reader keeps of one stream beyond the output cap: the head (where
/// the start sentinel and the kept output are) and a tail (where the end
/// sentinel will be); the middle is dropped as it arrives.
const HEAD: usize = DEFAULT_MAX_OUTPUT + (64 << 10);
const TAIL: usize = 64 << 10;

#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    /// Bytes before this offset were already searched for sentinels.
    searched: usize,
    /// Output was dropped from the middle (the command printed past the cap).
    dropped: bool,
}

impl Stream {
    fn push(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
        if self.bytes.len() > HEAD + 2 * TAIL {
            let end = self.bytes.len() - TAIL;
            self.bytes.drain(HEAD..end);
            self.searched = self.searched.min(HEAD);
            self.dropped = true;
        }
    }

    /// Finds `needle` from where the last search stopped.
    fn find(&mut self, needle: &[u8]) -> Option<usize> {
        let from = self.searched.saturating_sub(needle.len());
        match find(&self.bytes[from..], needle) {
            Some(at) => Some(from + at),
            None => {
                self.searched = self.bytes.len();
                None
            }
        }
    }

    /// Removes everything up to `end`, for the next command.
    fn consume(&mut self, end: usize) {
        self.bytes.drain(..end);
        self.searched = 0;
        self.dropped = false;
    }
}

#[derive(Default)]
struct Buffers {
    stdout: Stream,
    stderr: Stream,
    /// A `send_and_wait` is waiting for its sentinels: output goes to the
    /// streams above. Otherwise it is nobody's and goes to `unclaimed`.
    waiting: bool,
    /// Output of `send()` commands (newest `LOOSE_CAP` bytes), for `read()`.
    unclaimed: Vec<u8>,
    /// The shell's output ended (it exited or the container went away).
    ended: bool,
}

impl Buffers {
    fn keep_unclaimed(&mut self, data: &[u8]) {
        self.unclaimed.extend_from_slice(data);
        if self.unclaimed.len() > LOOSE_CAP {
            let cut = self.unclaimed.len() - LOOSE_CAP;
            self.unclaimed.drain(..cut);
        }
    }
}

/// An open shell session.
pub struct Session {
    id: String,
    engine: Arc<Engine>,
    container: String,
    marker: String,
    shell_pid: String,
    default_timeout: Option<Duration>,
    input: Mutex<std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>>,
    buffers: Arc<StdMutex<Buffers>>,
    /// Output nobody waited for, for `read()`.
    loose: StdMutex<String>,
    arrived: Arc<Notify>,
    /// One `send_and_wait` at a time: later calls queue here.
    turn: Mutex<()>,
    closed: CancellationToken,
}

fn quote(cmd: &str) -> String {
    format!("'{}'", cmd.replace('\'', "'\\''"))
}

fn token() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Session {
    /// Starts `/bin/sh` in `container`; `stop` (the container's shutdown
    /// token) closes the session with the container.
    pub async fn open(
        engine: Arc<Engine>,
        container: String,
        default_timeout: Option<Duration>,
        stop: CancellationToken,
    ) -> Result<Session> {
        let marker = new_marker();
        let config = CreateExecOptions {
            attach_stdin: Some(true),
            env: Some(vec![marker.as_str()]),
            cmd: Some(vec!["/bin/sh"]),
            ..Default::default()
        };
        let mut exec = start_attached(&engine, &container, config).await?;
        let id = exec.id.clone();
        let mut output = std::mem::replace(&mut exec.output, Box::pin(futures::stream::empty()));
        let input = std::mem::replace(&mut exec.input, Box::pin(tokio::io::sink()));
        let buffers = Arc::new(StdMutex::new(Buffers::default()));
        let arrived = Arc::new(Notify::new());
        let closed = stop.child_token();
        {
            let (buffers, arrived, closed) = (buffers.clone(), arrived.clone(), closed.clone());
            tokio::spawn(async move {
                loop {
                    let frame = tokio::select! {
                        _ = closed.cancelled() => break,
                        f = output.next() => f,
                    };
                    let Some(Ok(frame)) = frame else { break };
                    let mut b = buffers.lock().expect("session buffers poisoned");
                    match frame {
                        bollard::container::LogOutput::StdErr { message } if b.waiting => b.stderr.push(&message),
                        bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message }
                            if b.waiting =>
                        {
                            b.stdout.push(&message)
                        }
                        bollard::container::LogOutput::StdErr { message }
                        | bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message } => b.keep_unclaimed(&message),
                        _ => {}
                    }
                    drop(b);
                    arrived.notify_waiters();
                }
                buffers.lock().expect("session buffers poisoned").ended = true;
                closed.cancel();
                arrived.notify_waiters();
            });
        }
        let mut session = Session {
            id,
            engine,
            container,
            marker,
            shell_pid: String::new(),
            default_timeout,
            input: Mutex::new(input),
            buffers,
            loose: StdMutex::new(String::new()),
            arrived,
            turn: Mutex::new(()),
            closed,
        };
        let pid = session
            .send_and_wait("echo $$", Some(Duration::from_secs(30)), 1024)
            .await?;
        session.shell_pid = pid.stdout.trim().to_string();
        Ok(session)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            return Err(Error::SessionClosed {
                detail: "the session was closed (or its container shut down)".into(),
            });
        }
        Ok(())
    }

    async fn write(&self, line: &str) -> Result<()> {
        let mut input = self.input.lock().await;
        input
            .write_all(line.as_bytes())
            .await
            .and(input.flush().await)
            .map_err(|e| Error::SessionClosed {
                detail: format!("the shell stopped reading: {e}"),
            })
    }

    /// Sends a command without waiting; its output is kept for `read()`.
    pub async fn send(&self, cmd: &str) -> Result<()> {
        self.check_open()?;
        let _turn = self.turn.lock().await;
        self.write(&format!("command eval {} </dev/null\n", quote(cmd))).await
    }

    /// Runs `cmd` with a timeout in seconds (default: the container's) and the
    /// default output cap.
    pub async fn run(&self, cmd: &str, timeout_secs: Option<f64>) -> Result<ExecResult> {
        let timeout = match timeout_secs {
            Some(t) => crate::container::spec::parse_timeout(t, "timeout")?,
            None => self.default_timeout,
        };
        self.send_and_wait(cmd, timeout, DEFAULT_MAX_OUTPUT).await
    }

    /// Runs `cmd` in the shell and returns its own output and exit code.
    pub async fn send_and_wait(&self, cmd: &str, timeout: Option<Duration>, max_output: usize) -> Result<ExecResult> {
        self.check_open()?;
        let _turn = self.turn.lock().await;
        self.check_open()?;
        let t = token();
        let line = format!(
            "printf '\\036S{t}\\036'; printf '\\036S{t}\\036' >&2; command eval {} </dev/null; printf '\\036E{t}:%d\\036' $?; printf '\\036E{t}\\036' >&2\n",
            quote(cmd)
        );
        let started = Instant::now();
        self.buffers.lock().expect("session buffers poisoned").waiting = true;
        self.write(&line).await?;
        let start = format!("\x1eS{t}\x1e").into_bytes();
        let end_out = format!("\x1eE{t}:").into_bytes();
        let end_err = format!("\x1eE{t}\x1e").into_bytes();
        let mut timed_out = false;
        let mut deadline = timeout.map(|d| tokio::time::Instant::from_std(started + d));
        loop {
            let notified = self.arrived.notified();
            if let Some(r) = self.take_result(&start, &end_out, &end_err, max_output) {
                let (exit_code, stdout, stderr, truncated) = r;
                return Ok(ExecResult {
                    exit_code: if timed_out { -1 } else { exit_code },
                    stdout,
                    stderr,
                    duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                    timed_out,
                    truncated,
                    cancelled: false,
                });
            }
            if self.buffers.lock().expect("session buffers poisoned").ended {
                return Err(Error::SessionClosed {
                    detail: "the shell ended (a command ran `exit`, or the container went away)".into(),
                });
            }
            let wait = async {
                match deadline {
                    Some(d) => tokio::time::timeout_at(d, notified).await.is_ok(),
                    None => {
                        notified.await;
                        true
                    }
                }
            };
            if !wait.await {
                if timed_out {
                    // Killed, yet no end sentinel: the shell itself is stuck.
                    self.close().await?;
                    return Ok(ExecResult {
                        exit_code: -1,
                        stdout: String::new(),
                        stderr: String::new(),
                        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                        timed_out: true,
                        truncated: false,
                        cancelled: false,
                    });
                }
                timed_out = true;
                kill_marked_except(&self.engine, &self.container, &self.marker, &self.shell_pid).await?;
                deadline = Some(tokio::time::Instant::now() + RECOVER_WAIT);
            }
        }
    }

    /// If both end sentinels of the command have arrived: its exit code and
    /// output. Output before its start sentinel goes to the `read()` buffer.
    fn take_result(
        &self,
        start: &[u8],
        end_out: &[u8],
        end_err: &[u8],
        cap: usize,
    ) -> Option<(i64, String, String, bool)> {
        let mut b = self.buffers.lock().expect("session buffers poisoned");
        let out_end = b.stdout.find(end_out)?;
        let code_len = b.stdout.bytes[out_end + end_out.len()..]
            .iter()
            .position(|&c| c == 0x1e)?;
        let code_end = out_end + end_out.len() + code_len;
        let err_end = b.stderr.find(end_err)?;
        let code: i64 = std::str::from_utf8(&b.stdout.bytes[out_end + end_out.len()..code_end])
            .ok()?
            .parse()
            .ok()?;
        let out_start = find(&b.stdout.bytes[..out_end], start)?;
        let err_start = find(&b.stderr.bytes[..err_end], start)?;
        let mut loose = decode_utf8(b.stdout.bytes[..out_start].to_vec());
        loose.push_str(&decode_utf8(b.stderr.bytes[..err_start].to_vec()));
        let mut out = b.stdout.bytes[out_start + start.len()..out_end].to_vec();
        let mut err = b.stderr.bytes[err_start + start.len()..err_end].to_vec();
        let dropped = b.stdout.dropped || b.stderr.dropped;
        b.stdout.consume(code_end + 1);
        b.stderr.consume(err_end + end_err.len());
        // Whatever followed the sentinels (a `send()` command still printing)
        // is nobody's, like all output until the next `send_and_wait`.
        b.waiting = false;
        let rest = [std::mem::take(&mut b.stdout.bytes), std::mem::take(&mut b.stderr.bytes)].concat();
        b.stdout.consume(0);
        b.stderr.consume(0);
        b.keep_unclaimed(&rest);
        drop(b);
        self.keep_loose(&loose);
        let truncated = dropped || out.len() + err.len() > cap;
        if out.len() + err.len() > cap {
            out.truncate(cap);
            err.truncate(cap - out.len());
        }
        Some((code, decode_utf8(out), decode_utf8(err), truncated))
    }

    fn keep_loose(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut loose = self.loose.lock().expect("session buffer poisoned");
        loose.push_str(text);
        if loose.len() > LOOSE_CAP {
            let mut cut = loose.len() - LOOSE_CAP;
            while !loose.is_char_boundary(cut) {
                cut += 1;
            }
            loose.drain(..cut);
        }
    }

    /// Drains the output no `send_and_wait` claimed (from `send`).
    pub fn read(&self) -> String {
        let unclaimed = std::mem::take(&mut self.buffers.lock().expect("session buffers poisoned").unclaimed);
        self.keep_loose(&decode_utf8(unclaimed));
        std::mem::take(&mut *self.loose.lock().expect("session buffer poisoned"))
    }

    /// Ends the shell; later calls fail with `SessionClosed`.
    pub async fn close(&self) -> Result<()> {
        if self.closed.is_cancelled() {
            return Ok(());
        }
        self.closed.cancel();
        let _ = self.input.lock().await.shutdown().await;
        match crate::exec::kill::kill_marked(&self.engine, &self.container, &self.marker, "KILL").await {
            Ok(()) | Err(Error::ContainerGone { .. } | Error::ContainerNotRunning { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
