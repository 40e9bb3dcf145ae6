//! A channel's receiving end as a stream: the body of a request whose bytes
//! another task produces (a build context, an import fed from JS).

use futures::Stream;
use tokio::sync::mpsc;

/// A stream over a channel's receiving end (a request body).
pub fn receiver_stream<T: Send + 'static>(mut rx: mpsc::Receiver<T>) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
