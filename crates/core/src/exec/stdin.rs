//! A stdin written to while the command runs: a JS `Readable` or
//! `AsyncIterable` fed chunk by chunk, or the `write()`/`closeStdin()` of a
//! detached process started with `stdin: 'pipe'`.
//!
//! The channel to the attach connection holds only [`CHUNKS`] chunks, so a
//! writer waits while the command does not read: a 1 GiB stdin never sits in
//! memory, and a REPL sees each line as soon as it is written.

use std::sync::Mutex as StdMutex;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// Chunks that may wait for the command to read them. Small on purpose: a
/// Node stream hands over 16–64 KiB at a time, so this bounds stdin in
/// flight to a few hundred KiB.
pub const CHUNKS: usize = 4;

/// The writing end (held by the JS side) and, until the command starts, the
/// reading end.
#[derive(Debug)]
pub struct StdinPipe {
    tx: StdMutex<Option<mpsc::Sender<Vec<u8>>>>,
    rx: StdMutex<Option<mpsc::Receiver<Vec<u8>>>>,
}

impl Default for StdinPipe {
    fn default() -> Self {
        Self::new()
    }
}

impl StdinPipe {
    pub fn new() -> Self {
        let (tx, rx) = mpsc::channel(CHUNKS);
        StdinPipe {
            tx: StdMutex::new(Some(tx)),
            rx: StdMutex::new(Some(rx)),
        }
    }

    /// Sends `data` to the command, waiting while the channel is full (the
    /// command is not reading). Fails once the pipe was closed or the
    /// command has ended.
    pub async fn write(&self, data: Vec<u8>) -> Result<()> {
        let tx = self.tx.lock().unwrap().clone();
        let Some(tx) = tx else {
            return Err(Error::StdinClosed {
                detail: "closeStdin() was called; start a new process to send more input".into(),
            });
        };
        if data.is_empty() {
            return Ok(());
        }
        tx.send(data).await.map_err(|_| Error::StdinClosed {
            detail: "the process has ended and reads no more input".into(),
        })
    }

    /// Ends the input: once what was written is delivered, the command reads
    /// end-of-file. Safe to call more than once.
    pub fn close(&self) {
        self.tx.lock().unwrap().take();
    }

    /// Gives up the reading end if no command took it (it failed to start):
    /// a writer waiting for room then fails instead of waiting forever.
    pub fn abandon(&self) {
        self.rx.lock().unwrap().take();
    }

    /// The reading end, taken once by the command that starts with it.
    pub(crate) fn take_reader(&self) -> Option<mpsc::Receiver<Vec<u8>>> {
        self.rx.lock().unwrap().take()
    }
}

/// Copies what is written to `rx` into `input` until the writer closes it
/// (or the command stops reading), then half-closes `input` so the command
/// sees end-of-file.
pub(crate) async fn feed(mut rx: mpsc::Receiver<Vec<u8>>, mut input: std::pin::Pin<Box<dyn AsyncWrite + Send>>) {
    while let Some(chunk) = rx.recv().await {
        if input.write_all(&chunk).await.is_err() {
            return;
        }
        // Interactive input (a REPL's line) must not wait in a buffer.
        if input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
}
