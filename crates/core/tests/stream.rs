//! Streaming and detached modes against the real engine.

mod common;

use std::time::{Duration, Instant};

use pocket_dock_core::{CancellationToken, RunOptions};

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_stream_nobody_reads_ends_it_promptly() {
    let c = common::container().await;
    let cmd = "i=0; while [ $i -lt 4000 ]; do head -c 65536 /dev/zero; i=$((i+1)); done | tr '\\0' z";
    let s = c
        .stream(cmd, RunOptions::default(), CancellationToken::new())
        .await
        .unwrap();
    let first = s.next_batch(1 << 20).await.unwrap();
    assert!(!first.is_empty());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let started = Instant::now();
    s.cancel();
    let r = tokio::time::timeout(Duration::from_secs(10), s.result())
        .await
        .expect("result hung")
        .unwrap();
    assert!(r.cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}
