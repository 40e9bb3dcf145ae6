//! The journal of a persistent project container: one JSON line per command
//! in `history.jsonl`, and (with `auto_log`) the commands' output in
//! `logs/`, rotated by size, count and age.
//!
//! Commands never wait for the disk: each container has a writer thread fed
//! by a bounded queue ([`QUEUE`] entries); a full queue hands the entry to a
//! helper thread rather than block. The writer issues one `write()` per
//! history line, so concurrent commands never interleave lines. A failing
//! write (a full disk, an unwritable directory) never fails the command: it
//! is reported once, as a warning the JS layer emits (`PocketDockLogWarning`),
//! until a write succeeds again. [`Journal::flush`] (at shutdown) and
//! [`flush_all`] (at process exit) wait until every queued line is written.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use once_cell::sync::Lazy;
use serde::{Deserialize, Serialize};

use crate::exec::ExecResult;
use crate::project::Settings;

/// Entries a journal's queue holds before a command hands its entry to a
/// helper thread.
pub const QUEUE: usize = 4096;
/// The log file being written, in `logs/`; rotated ones are `output-<time>-<n>.log`.
pub const CURRENT_LOG: &str = "current.log";
/// How long a flush waits for the writer (a hung file system must not hang a shutdown).
const FLUSH_WAIT: Duration = Duration::from_secs(10);

/// One line of `history.jsonl` (the TS `HistoryLine`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryLine {
    /// When the command started, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// `run`, `stream`, `detach` or `session`.
    pub kind: String,
    pub command: String,
    /// -1 when the command was killed (timeout, shutdown) or its code is unknown.
    pub exit_code: i64,
    pub duration_ms: f64,
    pub timed_out: bool,
    pub truncated: bool,
}

/// How the logs of one instance are kept.
#[derive(Debug, Clone, Copy)]
pub struct LogPolicy {
    /// Whether output is logged at all (`auto_log`).
    pub enabled: bool,
    /// A log file is rotated before it would grow past this many bytes.
    pub max_size: u64,
    /// At most this many log files (the current one included).
    pub max_files: u32,
    /// Rotated files older than this are removed.
    pub retention: Duration,
}

/// A finished command, as the journal records it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub kind: &'a str,
    pub command: &'a str,
    pub started: SystemTime,
    pub exit_code: i64,
    pub duration_ms: f64,
    pub timed_out: bool,
    pub truncated: bool,
    pub stdout: &'a str,
    pub stderr: &'a str,
}

impl<'a> Entry<'a> {
    /// The entry of command `command` of kind `kind` that started at `started`.
    pub fn of(kind: &'a str, command: &'a str, started: SystemTime, r: &'a ExecResult) -> Entry<'a> {
        Entry {
            kind,
            command,
            started,
            exit_code: r.exit_code,
            duration_ms: r.duration_ms,
            timed_out: r.timed_out,
            truncated: r.truncated,
            stdout: &r.stdout,
            stderr: &r.stderr,
        }
    }
}

impl LogPolicy {
    /// The policy a project's settings ask for.
    pub fn of(s: &Settings) -> LogPolicy {
        LogPolicy {
            enabled: s.auto_log,
            max_size: s.max_log_size,
            max_files: s.max_logs_per_instance,
            retention: Duration::from_secs(u64::from(s.retention_days) * 86_400),
        }
    }
}

enum Msg {
    History(Vec<u8>),
    Log(Vec<u8>),
    Flush(mpsc::Sender<()>),
}

/// The journal of one instance directory.
pub struct Journal {
    dir: PathBuf,
    policy: LogPolicy,
    tx: SyncSender<Msg>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("dir", &self.dir).finish()
    }
}

static JOURNALS: Lazy<Mutex<Vec<Weak<Journal>>>> = Lazy::new(Default::default);
static WARNINGS: Lazy<Mutex<Vec<String>>> = Lazy::new(Default::default);

/// The warnings not yet handed to JS, taken.
pub fn take_warnings() -> Vec<String> {
    std::mem::take(&mut *WARNINGS.lock().unwrap())
}

/// Waits until every journal of this process has written what it was given.
pub fn flush_all() {
    let live: Vec<Arc<Journal>> = {
        let mut all = JOURNALS.lock().unwrap();
        all.retain(|w| w.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).collect()
    };
    for j in live {
        j.flush();
    }
}

/// RFC 3339 UTC with milliseconds.
pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

impl Journal {
    /// Starts the journal of instance directory `dir` (which exists) for
    /// container `name`.
    pub fn open(dir: &Path, name: &str, policy: LogPolicy) -> Arc<Journal> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let writer = Writer {
            name: name.to_string(),
            history_path: dir.join(crate::project::instance::HISTORY_FILE),
            history: None,
            history_failing: false,
            logs: Logs {
                dir: dir.join(crate::project::instance::LOGS_DIR),
                policy,
                file: None,
                size: 0,
                seq: 0,
                failing: false,
            },
        };
        std::thread::Builder::new()
            .name(format!("pocket-dock journal {name}"))
            .spawn(move || writer.run(rx))
            .expect("a journal thread starts");
        let journal = Arc::new(Journal {
            dir: dir.to_path_buf(),
            policy,
            tx,
        });
        JOURNALS.lock().unwrap().push(Arc::downgrade(&journal));
        journal
    }

    /// The instance directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records a finished command: its history line, and its output when
    /// logging is on. Never waits for the disk.
    pub fn record(&self, e: Entry<'_>) {
        let line = HistoryLine {
            time: timestamp(e.started),
            kind: e.kind.to_string(),
            command: e.command.to_string(),
            exit_code: e.exit_code,
            duration_ms: (e.duration_ms * 1000.0).round() / 1000.0,
            timed_out: e.timed_out,
            truncated: e.truncated,
        };
        let mut json = serde_json::to_vec(&line).expect("a history line serializes");
        json.push(b'\n');
        self.send(Msg::History(json));
        if self.policy.enabled {
            self.send(Msg::Log(log_text(&line, e.stdout, e.stderr, self.policy.max_size)));
        }
    }

    fn send(&self, msg: Msg) {
        match self.tx.try_send(msg) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(msg)) => {
                let tx = self.tx.clone();
                std::thread::spawn(move || {
                    let _ = tx.send(msg);
                });
            }
        }
    }

    /// Waits (blocking the thread, at most 10 s) until everything recorded so
    /// far is written.
    pub fn flush(&self) {
        let (ack, done) = mpsc::channel();
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(FLUSH_WAIT);
        }
    }
}

/// The log text of one command, at most `max` bytes.
fn log_text(line: &HistoryLine, stdout: &str, stderr: &str, max: u64) -> Vec<u8> {
    let status = if line.timed_out {
        "timed out".to_string()
    } else {
        format!("exit {}", line.exit_code)
    };
    let mut text = format!(
        "=== {} {} ({status}, {} ms): {}\n",
        line.time,
        line.kind,
        line.duration_ms.round(),
        line.command.replace('\n', "\n... ")
    );
    text.push_str(stdout);
    if !stdout.is_empty() && !stdout.ends_with('\n') {
        text.push('\n');
    }
    if !stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(stderr);
        if !stderr.ends_with('\n') {
            text.push('\n');
        }
    }
    let max = max as usize;
    if text.len() > max {
        const CUT: &str = "\n[... cut at max_log_size]\n";
        let mut end = max.saturating_sub(CUT.len());
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(CUT);
        text.truncate(max.max(CUT.len()));
    }
    text.into_bytes()
}

fn warn(message: String) {
    WARNINGS.lock().unwrap().push(message);
}

struct Writer {
    name: String,
    history_path: PathBuf,
    history: Option<File>,
    history_failing: bool,
    logs: Logs,
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) {
        self.logs.prune();
        for msg in rx {
            match msg {
                Msg::History(line) => self.write_history(&line),
                Msg::Log(text) => {
                    let outcome = self.logs.write(&text);
                    report(&mut self.logs.failing, outcome, || {
                        format!(
                            "the output log of container {} in {}",
                            self.name,
                            self.logs.dir.display()
                        )
                    });
                }
                Msg::Flush(ack) => {
                    let _ = ack.send(());
                }
            }
        }
    }

    fn write_history(&mut self, line: &[u8]) {
        let outcome = (|| {
            if self.history.is_none() {
                self.history = Some(OpenOptions::new().create(true).append(true).open(&self.history_path)?);
            }
            // One write() per line: O_APPEND keeps lines whole, even with
            // other writers on the same file.
            let file = self.history.as_mut().expect("opened above");
            let written = file.write(line)?;
            if written < line.len() {
                // A short write (the disk filled up mid-line): finish the
                // line, so the next one starts on its own.
                file.write_all(&line[written..])?;
            }
            Ok(())
        })();
        if outcome.is_err() {
            self.history = None;
        }
        report(&mut self.history_failing, outcome, || {
            format!(
                "the history of container {} ({})",
                self.name,
                self.history_path.display()
            )
        });
    }
}

/// Turns a write's outcome into at most one warning per failure: the first
/// failure warns; later ones are silent until a write succeeds again.
fn report(failing: &mut bool, outcome: std::io::Result<()>, what: impl FnOnce() -> String) {
    match outcome {
        Ok(()) => *failing = false,
        Err(e) => {
            if !*failing {
                warn(format!(
                    "pocket-dock could not write {}: {e}. Commands go on running; what they print is not logged until writing works again (free disk space or fix the directory's permissions).",
                    what()
                ));
            }
            *failing = true;
        }
    }
}

struct Logs {
    dir: PathBuf,
    policy: LogPolicy,
    file: Option<File>,
    size: u64,
    seq: u32,
    failing: bool,
}

impl Logs {
    fn write(&mut self, text: &[u8]) -> std::io::Result<()> {
        if self.file.is_none() {
            std::fs::create_dir_all(&self.dir)?;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(CURRENT_LOG))?;
            self.size = file.metadata()?.len();
            self.file = Some(file);
        }
        if self.size > 0 && self.size + text.len() as u64 > self.policy.max_size {
            self.rotate()?;
        }
        let outcome = self.file.as_mut().expect("opened above").write_all(text);
        if outcome.is_err() {
            self.file = None;
        }
        outcome?;
        self.size += text.len() as u64;
        Ok(())
    }

    /// Renames the current file out of the way and starts a new one.
    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        self.seq = self.seq.wrapping_add(1);
        let stamp = timestamp(SystemTime::now()).replace(':', "-");
        let rotated = self.dir.join(format!("output-{stamp}-{:04}.log", self.seq % 10_000));
        std::fs::rename(self.dir.join(CURRENT_LOG), rotated)?;
        self.prune();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(CURRENT_LOG))?;
        self.size = 0;
        self.file = Some(file);
        Ok(())
    }

    /// Removes rotated files past the retention, then the oldest beyond the
    /// count (the current file counts as one).
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut rotated: Vec<(String, PathBuf, Option<SystemTime>)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let modified = e.metadata().ok().and_then(|m| m.modified().ok());
                (name.starts_with("output-") && name.ends_with(".log")).then(|| (name, e.path(), modified))
            })
            .collect();
        rotated.sort();
        let now = SystemTime::now();
        rotated.retain(|(_, path, modified)| {
            let expired = modified
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age > self.policy.retention);
            if expired {
                let _ = std::fs::remove_file(path);
            }
            !expired
        });
        let keep = (self.policy.max_files as usize).saturating_sub(1);
        let excess = rotated.len().saturating_sub(keep);
        for (_, path, _) in rotated.iter().take(excess) {
            let _ = std::fs::remove_file(path);
        }
    }
}
