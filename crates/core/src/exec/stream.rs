//! Streaming mode: output is delivered chunk by chunk as it arrives, through a
//! bounded channel. When the consumer stops pulling, the channel fills, the
//! reader stops reading the engine's socket, and the command blocks on its
//! next write: memory stays flat however much it prints.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, watch, Mutex};
use tokio_util::sync::CancellationToken;

use super::attach::start_plan;
use super::decode::{Data, Decoder};
use super::output::StreamKind;
use super::plan::{ExecPlan, ExecResult};
use super::pump::{pump, Sink, Stop};
use crate::engine::Engine;
use crate::error::Result;

/// Chunks that may wait for the consumer. Frames are at most 64 KiB (the
/// attach decoder's capacity), so at most ~1 MiB waits per stream.
const CHANNEL_CHUNKS: usize = 16;

/// A chunk at least this big means the command is printing in bulk.
const BULK_FRAME: usize = 16 << 10;
/// How long a batch of bulk output may wait to fill up.
const BULK_LINGER: std::time::Duration = std::time::Duration::from_millis(2);

/// A piece of output, decoded (never split inside a character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamChunk {
    pub kind: StreamKind,
    pub data: Data,
}

/// A running command whose output is read chunk by chunk.
pub struct ExecStream {
    rx: Mutex<mpsc::Receiver<StreamChunk>>,
    cancel: CancellationToken,
    result: watch::Receiver<Option<Result<ExecResult>>>,
}

/// Decodes each stream and sends its text on the channel, waiting for room.
struct ChannelSink {
    tx: mpsc::Sender<StreamChunk>,
    stdout: Decoder,
    stderr: Decoder,
}

impl ChannelSink {
    async fn send(&mut self, kind: StreamKind, data: Data) {
        if !data.is_empty() {
            // A closed channel means the consumer is gone: nothing to do.
            let _ = self.tx.send(StreamChunk { kind, data }).await;
        }
    }
}

impl Sink for ChannelSink {
    async fn push(&mut self, kind: StreamKind, bytes: &[u8]) {
        let text = match kind {
            StreamKind::Stdout => self.stdout.decode(bytes),
            StreamKind::Stderr => self.stderr.decode(bytes),
        };
        self.send(kind, text).await;
    }
}

/// Starts `plan` and a reader task feeding the stream. Errors starting the
/// command are returned here; later ones by [`ExecStream::result`].
pub async fn start(
    engine: Arc<Engine>,
    container: String,
    plan: ExecPlan,
    cancel: CancellationToken,
) -> Result<ExecStream> {
    let started_at = Instant::now();
    let deadline = plan.deadline(started_at);
    let mut exec = start_plan(&engine, &container, &plan).await?;
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let (result_tx, result_rx) = watch::channel(None);
    let token = cancel.clone();
    tokio::spawn(async move {
        let mut sink = ChannelSink {
            tx,
            stdout: Decoder::new(plan.binary),
            stderr: Decoder::new(plan.binary),
        };
        let ended = pump(
            &engine,
            &container,
            &mut exec,
            &plan.target(),
            deadline,
            &token,
            &mut sink,
        )
        .await;
        let tail = sink.stdout.finish();
        sink.send(StreamKind::Stdout, tail).await;
        let tail = sink.stderr.finish();
        sink.send(StreamKind::Stderr, tail).await;
        let result = ended.and_then(|ended| {
            let setup = ended
                .head
                .setup_failure(ended.exit_code, plan.user.as_deref(), plan.workdir.as_deref());
            setup.map_or(Ok(()), Err)?;
            Ok(ExecResult {
                exit_code: ended.exit_code,
                duration_ms: started_at.elapsed().as_secs_f64() * 1000.0,
                timed_out: ended.stop == Stop::TimedOut,
                truncated: false,
                cancelled: ended.stop == Stop::Cancelled,
                // Empty, of the kind the caller asked for.
                stdout_bytes: plan.binary.then(Vec::new),
                stderr_bytes: plan.binary.then(Vec::new),
                ..Default::default()
            })
        });
        // The result is set before the channel closes, so a consumer that
        // sees the end can read it at once.
        let _ = result_tx.send(Some(result));
        drop(sink);
        // Done: release whatever waits on this token (nothing is left to kill).
        token.cancel();
    });
    Ok(ExecStream {
        rx: Mutex::new(rx),
        cancel,
        result: result_rx,
    })
}

impl ExecStream {
    /// Waits for output and returns what is ready, adjacent pieces of the same
    /// stream joined, up to about `max_bytes`; `None` once the command ended
    /// and everything was read.
    pub async fn next_batch(&self, max_bytes: usize) -> Option<Vec<StreamChunk>> {
        let mut rx = self.rx.lock().await;
        let first = rx.recv().await?;
        let mut size = first.data.len();
        // Bulk output (a full frame) is worth a short wait for more: each
        // batch is one crossing into JS, and crossings dominate the client's
        // CPU when a command prints fast. Small (interactive) output goes at once.
        let linger = (size >= BULK_FRAME).then(|| tokio::time::Instant::now() + BULK_LINGER);
        let mut batch = vec![first];
        while size < max_bytes {
            let chunk = match rx.try_recv() {
                Ok(chunk) => chunk,
                Err(_) => match linger {
                    Some(until) => match tokio::time::timeout_at(until, rx.recv()).await {
                        Ok(Some(chunk)) => chunk,
                        _ => break,
                    },
                    None => break,
                },
            };
            size += chunk.data.len();
            match batch.last_mut() {
                Some(last) if last.kind == chunk.kind => last.data.append(&chunk.data),
                _ => batch.push(chunk),
            }
        }
        Some(batch)
    }

    /// Kills the command (inside the container) and ends the stream.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The outcome, once the command has ended. The output went through the
    /// stream, so `stdout`/`stderr` are empty here.
    pub async fn result(&self) -> Result<ExecResult> {
        self.ended().await
    }

    /// [`ExecStream::result`] as a future that holds no borrow of the stream
    /// (for a task that records the command once it ends).
    pub fn ended(&self) -> impl std::future::Future<Output = Result<ExecResult>> + Send + 'static {
        let rx = self.result.clone();
        async move { Self::wait_result(rx).await }
    }

    async fn wait_result(mut rx: watch::Receiver<Option<Result<ExecResult>>>) -> Result<ExecResult> {
        let done = rx.wait_for(Option::is_some).await;
        match done {
            Ok(r) => r.clone().expect("checked by wait_for"),
            Err(_) => Err(crate::Error::SocketCommunication {
                detail: "the stream's reader stopped without a result".into(),
            }),
        }
    }
}
