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
//! Output outside a command's sentinels (of `send()` commands, still printing)
//! is nobody's: `read()` keeps its newest 1 MiB. The sentinels are looked for
//! as the bytes arrive, before either that buffer or the command's own output
//! is trimmed, so no amount of either costs a command its framing or its
//! `truncated` flag.
//!
//! A command past its timeout has its processes killed (all that carry the
//! session's marker but the shell itself); the shell then prints the end
//! sentinel and the session goes on. A command that cannot be interrupted
//! (a loop of shell builtins) closes the session: never a silent desync.

use std::collections::VecDeque;
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
use crate::exec::kill::kill_marked_except;
use crate::exec::marker::new_marker;
use crate::exec::output::decode_utf8;
use crate::exec::{ExecResult, DEFAULT_MAX_OUTPUT};
use crate::validate::parse_timeout;

/// After a timeout kill, how long the end sentinel may take before the
/// session is declared unrecoverable.
const RECOVER_WAIT: Duration = Duration::from_secs(2);
/// Most bytes `read()` keeps of output no `send_and_wait` claimed.
const LOOSE_CAP: usize = 1 << 20;

/// What the reader keeps of one command's output beyond the cap: the head
/// (the kept output) and a tail (where the end sentinel will be found); the
/// middle is dropped as it arrives.
const HEAD: usize = DEFAULT_MAX_OUTPUT + (64 << 10);
const TAIL: usize = 64 << 10;

/// The sentinels of the command a `send_and_wait` waits for.
struct Frame {
    start: Vec<u8>,
    /// stdout's end sentinel up to the exit code; the code and `\x1e` follow.
    end_out: Vec<u8>,
    /// stderr's end sentinel.
    end_err: Vec<u8>,
}

impl Frame {
    fn new(token: &str) -> Frame {
        Frame {
            start: format!("\x1eS{token}\x1e").into_bytes(),
            end_out: format!("\x1eE{token}:").into_bytes(),
            end_err: format!("\x1eE{token}\x1e").into_bytes(),
        }
    }
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The start sentinel has not arrived: output is still nobody's.
    #[default]
    Before,
    /// Between the sentinels: the command's own output.
    Inside,
    /// The end sentinel arrived: later output is nobody's again.
    Done,
}

/// One stream of the framed command. The sentinels are found here, as the
/// bytes arrive and before anything is trimmed, so neither the output nobody
/// claimed nor the cap of the command's own output can hide them.
#[derive(Default)]
struct Stream {
    phase: Phase,
    /// `Before`: the last few bytes, which may begin the start sentinel.
    /// Otherwise: the command's output (its head and tail past the cap).
    bytes: Vec<u8>,
    /// Bytes before this offset were already searched for the end sentinel.
    searched: usize,
    /// Output was dropped from the middle (the command printed past the cap).
    dropped: bool,
    /// The exit code the stdout end sentinel carried.
    code: Option<i64>,
}

impl Stream {
    /// Takes `data`; what lies outside the sentinels goes to `unclaimed`.
    /// `with_code`: `end` is followed by the exit code and `\x1e`.
    fn push(&mut self, data: &[u8], start: &[u8], end: &[u8], with_code: bool, unclaimed: &mut Unclaimed) {
        match self.phase {
            Phase::Before => {
                self.bytes.extend_from_slice(data);
                if let Some(at) = find(&self.bytes, start) {
                    unclaimed.push(&self.bytes[..at]);
                    let rest = self.bytes.split_off(at + start.len());
                    self.bytes.clear();
                    self.phase = Phase::Inside;
                    self.push_inside(&rest, end, with_code, unclaimed);
                } else {
                    let cut = self.bytes.len().saturating_sub(start.len() - 1);
                    unclaimed.push(&self.bytes[..cut]);
                    self.bytes.drain(..cut);
                }
            }
            Phase::Inside => self.push_inside(data, end, with_code, unclaimed),
            Phase::Done => unclaimed.push(data),
        }
    }

    fn push_inside(&mut self, data: &[u8], end: &[u8], with_code: bool, unclaimed: &mut Unclaimed) {
        self.bytes.extend_from_slice(data);
        let from = self.searched.saturating_sub(end.len() - 1);
        if let Some(at) = find(&self.bytes[from..], end).map(|i| from + i) {
            let after = at + end.len();
            let mut close = after;
            if with_code {
                let Some(n) = self.bytes[after..].iter().position(|&c| c == 0x1e) else {
                    // The rest of the sentinel is on its way: look here again.
                    self.searched = at;
                    return;
                };
                let code = std::str::from_utf8(&self.bytes[after..after + n]).ok();
                self.code = Some(code.and_then(|c| c.parse().ok()).unwrap_or(-1));
                close = after + n + 1;
            }
            unclaimed.push(&self.bytes[close..]);
            self.bytes.truncate(at);
            self.phase = Phase::Done;
            return;
        }
        if self.bytes.len() > HEAD + 2 * TAIL {
            let cut_end = self.bytes.len() - TAIL;
            self.bytes.drain(HEAD..cut_end);
            self.dropped = true;
        }
        self.searched = self.bytes.len();
    }
}

/// Output no `send_and_wait` claimed (of `send()` commands), for `read()`:
/// the newest `LOOSE_CAP` bytes.
#[derive(Default)]
struct Unclaimed(VecDeque<u8>);

impl Unclaimed {
    fn push(&mut self, data: &[u8]) {
        let data = &data[data.len().saturating_sub(LOOSE_CAP)..];
        let over = (self.0.len() + data.len()).saturating_sub(LOOSE_CAP);
        self.0.drain(..over);
        self.0.extend(data);
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0).into()
    }
}

/// A framed command's result: exit code, stdout, stderr, and whether output
/// was dropped past the cap.
type Framed = (i64, Vec<u8>, Vec<u8>, bool);

#[derive(Default)]
struct Buffers {
    stdout: Stream,
    stderr: Stream,
    /// The command a `send_and_wait` waits for; without one, all output is
    /// nobody's.
    frame: Option<Frame>,
    unclaimed: Unclaimed,
    /// The shell's output ended (it exited or the container went away).
    ended: bool,
}

impl Buffers {
    /// Frames the output of the command whose sentinels carry `token`.
    fn expect(&mut self, token: &str) {
        self.stdout = Stream::default();
        self.stderr = Stream::default();
        self.frame = Some(Frame::new(token));
    }

    fn push(&mut self, stderr: bool, data: &[u8]) {
        let Some(f) = &self.frame else {
            self.unclaimed.push(data);
            return;
        };
        if stderr {
            self.stderr.push(data, &f.start, &f.end_err, false, &mut self.unclaimed);
        } else {
            self.stdout.push(data, &f.start, &f.end_out, true, &mut self.unclaimed);
        }
    }

    /// Once both end sentinels have arrived: the command's result; framing
    /// stops until the next `expect`.
    fn take(&mut self) -> Option<Framed> {
        if self.frame.is_none() || self.stdout.phase != Phase::Done || self.stderr.phase != Phase::Done {
            return None;
        }
        self.frame = None;
        let (out, err) = (std::mem::take(&mut self.stdout), std::mem::take(&mut self.stderr));
        Some((out.code.unwrap_or(-1), out.bytes, err.bytes, out.dropped || err.dropped))
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
    arrived: Arc<Notify>,
    /// One `send_and_wait` at a time: later calls queue here.
    turn: Mutex<()>,
    closed: CancellationToken,
    /// Where `sendAndWait` commands are recorded (a persistent project container's journal).
    journal: Option<Arc<crate::journal::Journal>>,
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

/// A framed command's exit code and output, cut to `cap` bytes in all.
fn capped((code, mut out, mut err, dropped): Framed, cap: usize) -> (i64, String, String, bool) {
    let truncated = dropped || out.len() + err.len() > cap;
    out.truncate(cap);
    err.truncate(cap - out.len());
    (code, decode_utf8(out), decode_utf8(err), truncated)
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
                    let (stderr, message) = match frame {
                        bollard::container::LogOutput::StdErr { message } => (true, message),
                        bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message } => (false, message),
                        bollard::container::LogOutput::StdIn { .. } => continue,
                    };
                    buffers.lock().expect("session buffers poisoned").push(stderr, &message);
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
            arrived,
            turn: Mutex::new(()),
            closed,
            journal: None,
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
    /// default output cap; recorded in the container's journal, if any.
    pub async fn run(&self, cmd: &str, timeout_secs: Option<f64>) -> Result<ExecResult> {
        let timeout = match timeout_secs {
            Some(t) => parse_timeout(t, "timeout")?,
            None => self.default_timeout,
        };
        let started = std::time::SystemTime::now();
        let result = self.send_and_wait(cmd, timeout, DEFAULT_MAX_OUTPUT).await?;
        if let Some(j) = &self.journal {
            j.record(crate::journal::Entry::of("session", cmd, started, &result));
        }
        Ok(result)
    }

    /// Records this session's commands in `journal`.
    pub fn journaled(mut self, journal: Option<Arc<crate::journal::Journal>>) -> Session {
        self.journal = journal;
        self
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
        self.buffers.lock().expect("session buffers poisoned").expect(&t);
        self.write(&line).await?;
        let mut timed_out = false;
        let mut deadline = timeout.map(|d| tokio::time::Instant::from_std(started + d));
        loop {
            let notified = self.arrived.notified();
            let framed = self.buffers.lock().expect("session buffers poisoned").take();
            if let Some(framed) = framed {
                let (exit_code, stdout, stderr, truncated) = capped(framed, max_output);
                return Ok(ExecResult {
                    exit_code: if timed_out { -1 } else { exit_code },
                    stdout,
                    stderr,
                    duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                    timed_out,
                    truncated,
                    cancelled: false,
                    ..Default::default()
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
                        ..Default::default()
                    });
                }
                timed_out = true;
                kill_marked_except(&self.engine, &self.container, &self.marker, &self.shell_pid).await?;
                deadline = Some(tokio::time::Instant::now() + RECOVER_WAIT);
            }
        }
    }

    /// Drains the output no `send_and_wait` claimed (from `send`).
    pub fn read(&self) -> String {
        decode_utf8(self.buffers.lock().expect("session buffers poisoned").unclaimed.take())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the shell prints for a command that outputs `out` and exits 3.
    fn framed(token: &str, out: &[u8]) -> Vec<u8> {
        let f = Frame::new(token);
        [&f.start[..], out, &f.end_out, b"3\x1e"].concat()
    }

    fn feed(b: &mut Buffers, stderr: bool, data: &[u8], chunk: usize) {
        for part in data.chunks(chunk) {
            b.push(stderr, part);
        }
    }

    fn finish_stderr(b: &mut Buffers, token: &str) {
        let f = Frame::new(token);
        feed(b, true, &[&f.start[..], &f.end_err].concat(), 1);
    }

    #[test]
    fn output_nobody_claimed_never_costs_the_framing() {
        let mut b = Buffers::default();
        b.push(false, b"before any frame\n");
        b.expect("00aa");
        // 30 MB of a `send()` command, then the framed command's 1 MiB.
        feed(&mut b, false, &vec![b'a'; 30_000_000], 32 << 10);
        feed(&mut b, false, &framed("00aa", &vec![b'b'; 1 << 20]), 32 << 10);
        finish_stderr(&mut b, "00aa");
        let (code, out, err, dropped) = b.take().expect("both end sentinels arrived");
        assert_eq!((code, out.len(), err.len(), dropped), (3, 1 << 20, 0, false));
        assert!(out.iter().all(|&c| c == b'b'));
        let unread = b.unclaimed.take();
        assert_eq!(unread.len(), LOOSE_CAP);
        assert!(unread.iter().all(|&c| c == b'a'));
    }

    #[test]
    fn sentinels_split_across_frames_are_found() {
        let mut b = Buffers::default();
        b.expect("01bb");
        feed(
            &mut b,
            false,
            &[&b"xx"[..], &framed("01bb", b"hello"), b"after"].concat(),
            1,
        );
        finish_stderr(&mut b, "01bb");
        assert_eq!(b.take(), Some((3, b"hello".to_vec(), vec![], false)));
        assert_eq!(b.unclaimed.take(), b"xxafter");
        // Unframed again: everything is nobody's.
        b.push(false, b"later");
        assert_eq!(b.take(), None);
        assert_eq!(b.unclaimed.take(), b"later");
    }

    #[test]
    fn output_past_the_cap_keeps_head_and_end() {
        let mut b = Buffers::default();
        b.expect("02cc");
        let big = vec![b'c'; HEAD + 4 * TAIL];
        feed(&mut b, false, &framed("02cc", &big), 64 << 10);
        finish_stderr(&mut b, "02cc");
        let (code, out, _, dropped) = b.take().unwrap();
        assert_eq!((code, dropped), (3, true));
        assert!(out.len() >= HEAD && out.len() <= HEAD + 3 * TAIL);
        let (_, out, _, truncated) = capped((code, out, vec![], dropped), DEFAULT_MAX_OUTPUT);
        assert_eq!((out.len(), truncated), (DEFAULT_MAX_OUTPUT, true));
    }
}
