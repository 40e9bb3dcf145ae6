//! The typed progress events of the long image operations, as `onProgress`
//! receives them (see the TS `ProgressEvent`).

/// One progress event.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A build reached step `step` of `total`; `text` is its instruction.
    Step { step: u32, total: u32, text: String },
    /// A line a build printed.
    Log { text: String },
    /// A pull's progress on one layer: `current`/`total` bytes where the
    /// engine reports them (Docker does; Podman reports only the status).
    Layer {
        id: String,
        status: String,
        current: Option<u64>,
        total: Option<u64>,
    },
    /// Bytes of an image archive moved so far, of `total` when known.
    Bytes { done: u64, total: Option<u64> },
}

/// How an operation reports progress: called on the runtime's threads, in order.
pub trait OnProgress: FnMut(Progress) + Send + 'static {}
impl<F: FnMut(Progress) + Send + 'static> OnProgress for F {}
