//! Detached mode: the command runs in the background; its output goes to a
//! ring buffer (the newest 1 MiB) and, in order, to an event queue that the JS
//! layer turns into `onStdout`/`onStderr`/`onExit` callbacks. The reader task
//! ends when the command ends or the container goes away.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch, Mutex};
use tokio_util::sync::CancellationToken;

use super::attach::start_plan;
use super::decode::{Data, Decoder};
use super::marker::Target;
use super::output::StreamKind;
use super::plan::{ExecPlan, ExecResult};
use super::plan::{StdinPipe, TtySize};
use super::pump::{pump, Sink, Stop};
use super::ring::{BufferSnapshot, RingBuffer, DEFAULT_CAPACITY};
use super::signal::parse_signal;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// Events that may wait for the JS side. Bounded, and output events beyond it
/// are dropped rather than waited for: a detached process must never stall
/// because JS is busy (with the sync API the JS thread may be blocked in
/// `wait()` on this very process), and the ring buffer keeps its newest 1 MiB
/// whatever the callbacks missed.
const EVENT_QUEUE: usize = 256;

/// After `kill()`, how long to wait for the process to end before returning
/// (a process may trap the signal and go on).
const KILL_WAIT: Duration = Duration::from_secs(1);

/// What a detached process reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessEvent {
    Output { kind: StreamKind, data: Data },
    Exit { exit_code: i64 },
}

/// How a detached command ended.
#[derive(Debug, Clone)]
struct Exit {
    /// The exit code; -1 if unknown or killed by its own timeout.
    code: i64,
    /// Killed by its own `timeout`, as a blocking `run` reports it.
    timed_out: bool,
    /// The command never started (its `user` or `workdir` does not exist):
    /// what `wait()` rejects with, as a blocking `run` would.
    setup: Option<Error>,
}

/// A command running in the background.
pub struct Process {
    id: String,
    engine: Arc<Engine>,
    container: String,
    target: Target,
    started_at: Instant,
    ring: Arc<StdMutex<RingBuffer>>,
    events: Mutex<mpsc::Receiver<ProcessEvent>>,
    /// Set once the command has ended.
    exit: watch::Receiver<Option<Exit>>,
    /// Cancelled when the process has ended or the container shut down.
    ended: CancellationToken,
    /// Its stdin, when started with `stdin: 'pipe'`.
    stdin: Option<Arc<StdinPipe>>,
    /// Whether it runs in a pseudo-terminal (so `resize` applies).
    tty: bool,
}

struct ProcessSink {
    ring: Arc<StdMutex<RingBuffer>>,
    events: mpsc::Sender<ProcessEvent>,
    stdout: Decoder,
    stderr: Decoder,
}

impl ProcessSink {
    async fn deliver(&mut self, kind: StreamKind, data: Data) {
        if data.is_empty() {
            return;
        }
        self.ring.lock().expect("ring poisoned").push(kind, data.clone());
        let _ = self.events.try_send(ProcessEvent::Output { kind, data });
    }
}

impl Sink for ProcessSink {
    async fn push(&mut self, kind: StreamKind, bytes: &[u8]) {
        let text = match kind {
            StreamKind::Stdout => self.stdout.decode(bytes),
            StreamKind::Stderr => self.stderr.decode(bytes),
        };
        self.deliver(kind, text).await;
    }
}

/// Starts `plan` in the background. `stop` (the container's shutdown token)
/// ends the reader when the container goes away.
pub async fn spawn(engine: Arc<Engine>, container: String, plan: ExecPlan, stop: CancellationToken) -> Result<Process> {
    let started_at = Instant::now();
    let deadline = plan.deadline(started_at);
    let mut exec = start_plan(&engine, &container, &plan).await?;
    let ring = Arc::new(StdMutex::new(RingBuffer::with_encoding(DEFAULT_CAPACITY, plan.binary)));
    let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
    let (exit_tx, exit_rx) = watch::channel(None);
    let ended = CancellationToken::new();
    let process = Process {
        id: exec.id.clone(),
        engine: engine.clone(),
        container: container.clone(),
        target: plan.target(),
        started_at,
        ring: ring.clone(),
        events: Mutex::new(events_rx),
        exit: exit_rx,
        ended: ended.clone(),
        stdin: plan.stdin_pipe.clone(),
        tty: plan.tty.is_some(),
    };
    tokio::spawn(async move {
        let mut sink = ProcessSink {
            ring,
            events: events_tx,
            stdout: Decoder::new(plan.binary),
            stderr: Decoder::new(plan.binary),
        };
        // Detached processes are stopped by kill(), not by a cancel token.
        let never = CancellationToken::new();
        let target = plan.target();
        let outcome = tokio::select! {
            r = pump(&engine, &container, &mut exec, &target, deadline, &never, &mut sink) => r,
            _ = stop.cancelled() => Err(Error::ContainerNotRunning { container_id: container.clone(), detail: "shut down".into() }),
        };
        let tail = sink.stdout.finish();
        sink.deliver(StreamKind::Stdout, tail).await;
        let tail = sink.stderr.finish();
        sink.deliver(StreamKind::Stderr, tail).await;
        let exit = match outcome {
            Ok(e) if e.stop == Stop::Finished => Exit {
                code: e.exit_code,
                timed_out: false,
                setup: e
                    .head
                    .setup_failure(e.exit_code, plan.user.as_deref(), plan.workdir.as_deref()),
            },
            Ok(e) => Exit {
                code: -1,
                timed_out: e.stop == Stop::TimedOut,
                setup: None,
            },
            Err(_) => Exit {
                code: -1,
                timed_out: false,
                setup: None,
            },
        };
        let exit_code = exit.code;
        let _ = exit_tx.send(Some(exit));
        ended.cancel();
        let _ = sink.events.send(ProcessEvent::Exit { exit_code }).await;
    });
    Ok(process)
}

impl Process {
    /// The engine's id of this exec.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn is_running(&self) -> bool {
        self.exit.borrow().is_none()
    }

    /// The exit code, once ended.
    pub fn exit_code(&self) -> Option<i64> {
        self.exit.borrow().as_ref().map(|e| e.code)
    }

    /// Sends `signal` to the process and its children inside the container,
    /// then waits (briefly) for it to end. A process spawned a moment ago may
    /// not exist yet in the container (the engine starts it asynchronously),
    /// so the signal is sent again while it keeps running, up to [`KILL_WAIT`].
    /// An unknown signal is an error before anything is sent.
    pub async fn kill(&self, signal: &str) -> Result<()> {
        let signal = parse_signal(signal)?.to_string();
        let deadline = tokio::time::Instant::now() + KILL_WAIT;
        while self.is_running() {
            self.target.signal(&self.engine, &self.container, &signal).await?;
            let wait_until = (tokio::time::Instant::now() + KILL_WAIT / 4).min(deadline);
            let ended = tokio::time::timeout_at(wait_until, self.ended.cancelled())
                .await
                .is_ok();
            if ended || tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        Ok(())
    }

    /// Waits for the process to end (at most `timeout`) and returns its result;
    /// the output is what the ring buffer holds (not consumed). If it is still
    /// running at the timeout: `timed_out`, exit code -1, and it keeps running.
    /// A command its own `timeout` killed reports `timed_out` and -1 too, as
    /// in the other modes. `timeout_secs` is in seconds (`Infinity`: no
    /// limit), checked like every other timeout.
    pub async fn wait(&self, timeout_secs: Option<f64>) -> Result<ExecResult> {
        let timeout = timeout_secs
            .map(|t| crate::validate::parse_timeout(t, "timeout"))
            .transpose()?
            .flatten();
        let finished = match timeout {
            Some(t) => tokio::time::timeout(t, self.ended.cancelled()).await.is_ok(),
            None => {
                self.ended.cancelled().await;
                true
            }
        };
        let exit = if finished { self.exit.borrow().clone() } else { None };
        if let Some(e) = exit.as_ref().and_then(|e| e.setup.clone()) {
            return Err(e);
        }
        let ring = self.ring.lock().expect("ring poisoned");
        let snap = ring.peek();
        let (mut stdout, mut stderr, mut stdout_bytes, mut stderr_bytes) = Default::default();
        match (snap.stdout, snap.stderr) {
            (Data::Bytes(out), Data::Bytes(err)) => (stdout_bytes, stderr_bytes) = (Some(out), Some(err)),
            (out, err) => (stdout, stderr) = (out.to_text().into_owned(), err.to_text().into_owned()),
        }
        Ok(ExecResult {
            exit_code: exit.as_ref().map_or(-1, |e| e.code),
            stdout,
            stderr,
            stdout_bytes,
            stderr_bytes,
            oom_killed: false,
            duration_ms: self.started_at.elapsed().as_secs_f64() * 1000.0,
            timed_out: exit.as_ref().is_none_or(|e| e.timed_out),
            truncated: ring.overflowed(),
            cancelled: false,
        })
    }

    /// A future that resolves when the process has ended, with its result
    /// and the output the buffer holds then (for a task that records the
    /// command; it holds no borrow of the process).
    pub fn finished(&self) -> impl std::future::Future<Output = ExecResult> + Send + 'static {
        let (ended, exit, ring, started_at) = (
            self.ended.clone(),
            self.exit.clone(),
            self.ring.clone(),
            self.started_at,
        );
        async move {
            ended.cancelled().await;
            let exit = exit.borrow().clone();
            let ring = ring.lock().expect("ring poisoned");
            let snap = ring.peek();
            ExecResult {
                exit_code: exit.as_ref().map_or(-1, |e| e.code),
                stdout: snap.stdout.to_text().into_owned(),
                stderr: snap.stderr.to_text().into_owned(),
                stdout_bytes: None,
                stderr_bytes: None,
                oom_killed: false,
                duration_ms: started_at.elapsed().as_secs_f64() * 1000.0,
                timed_out: exit.as_ref().is_some_and(|e| e.timed_out),
                truncated: ring.overflowed(),
                cancelled: false,
            }
        }
    }

    /// Writes `data` to the process's stdin (started with `stdin: 'pipe'`),
    /// waiting while the process does not read. After `close_stdin`, or once
    /// the process ended: `StdinClosed`.
    pub async fn write(&self, data: Vec<u8>) -> Result<()> {
        match &self.stdin {
            Some(pipe) if self.is_running() => pipe.write(data).await,
            Some(_) => Err(Error::StdinClosed {
                detail: "the process has ended".into(),
            }),
            None => Err(Error::StdinClosed {
                detail: "the process was not started with `stdin: 'pipe'`: pass it to run() to write later".into(),
            }),
        }
    }

    /// Closes the process's stdin: it reads end-of-file once what was
    /// written is delivered. Safe to call more than once.
    pub fn close_stdin(&self) {
        if let Some(pipe) = &self.stdin {
            pipe.close();
        }
    }

    /// Sets the size of the process's pseudo-terminal (started with `tty`).
    /// `cols`/`rows` are checked like `run()`'s.
    pub async fn resize(&self, cols: f64, rows: f64) -> Result<()> {
        let size = TtySize {
            cols: super::plan::tty_dimension(cols, "cols")?,
            rows: super::plan::tty_dimension(rows, "rows")?,
        };
        if !self.tty {
            return Err(Error::InvalidArgument(
                "resize() needs a pseudo-terminal: start the process with `tty: true`".into(),
            ));
        }
        if !self.is_running() {
            return Ok(());
        }
        super::attach::resize(&self.engine, &self.id, size).await
    }

    /// The buffered output, consumed.
    pub fn read(&self) -> BufferSnapshot {
        self.ring.lock().expect("ring poisoned").read()
    }

    /// The buffered output, left in place.
    pub fn peek(&self) -> BufferSnapshot {
        self.ring.lock().expect("ring poisoned").peek()
    }

    /// Bytes the buffer holds now.
    pub fn buffer_size(&self) -> usize {
        self.ring.lock().expect("ring poisoned").size()
    }

    /// Whether old output was evicted.
    pub fn buffer_overflow(&self) -> bool {
        self.ring.lock().expect("ring poisoned").overflowed()
    }

    /// The next events, in order, up to `max`; `None` after the exit event.
    pub async fn next_events(&self, max: usize) -> Option<Vec<ProcessEvent>> {
        let mut rx = self.events.lock().await;
        let first = rx.recv().await?;
        let mut batch = vec![first];
        while batch.len() < max {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        Some(batch)
    }
}
