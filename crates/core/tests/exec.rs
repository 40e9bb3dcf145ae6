//! Blocking exec against the real engine: output, exit codes, timeouts that
//! kill inside the container, the output cap, stdin, concurrency.

mod common;

use std::time::{Duration, Instant};

use pocket_dock_core::{CancellationToken, RunOptions};

async fn sh(c: &pocket_dock_core::Container, cmd: &str) -> pocket_dock_core::ExecResult {
    c.run(cmd, RunOptions::default(), CancellationToken::new())
        .await
        .unwrap()
}

/// Whether a process whose command line is exactly `args` runs in `c`.
async fn runs(c: &pocket_dock_core::Container, args: &str) -> bool {
    sh(c, "ps -o args").await.stdout.lines().any(|l| l.trim() == args)
}

#[tokio::test(flavor = "multi_thread")]
async fn output_exit_code_and_streams_are_separated() {
    let c = common::container().await;
    let r = sh(&c, "echo out; echo err >&2; exit 3").await;
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.exit_code),
        ("out\n", "err\n", 3)
    );
    assert!(!r.ok() && !r.timed_out && !r.truncated);
    let r = sh(&c, "printf 'h\\303\\251llo \\342\\202\\254'").await;
    assert_eq!(r.stdout, "héllo €");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_command_is_killed_with_its_children() {
    let c = common::container().await;
    let started = Instant::now();
    let opts = RunOptions {
        timeout: Some(1.0),
        ..Default::default()
    };
    let r = c
        .run(
            "echo started; sleep 30 & sleep 31; wait",
            opts,
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(r.timed_out && !r.ok());
    assert_eq!(r.stdout, "started\n");
    assert!(
        !runs(&c, "sleep 30").await && !runs(&c, "sleep 31").await,
        "the command survived its timeout"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_in_a_new_session_without_the_environment_dies_with_its_command() {
    let c = common::container().await;
    if !std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../pocket-dock-runner")).exists() {
        eprintln!("skipped: no runner built (npm run build)");
        c.shutdown(true).await.unwrap();
        return;
    }
    assert_eq!(c.kill_mode(), pocket_dock_core::runner::KillMode::Subreaper);
    let opts = RunOptions {
        timeout: Some(1.0),
        ..Default::default()
    };
    let started = Instant::now();
    let r = c
        .run(
            "setsid env -i /bin/sleep 203 & echo start; sleep 100",
            opts,
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(r.timed_out);
    assert_eq!(r.stdout, "start\n");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(!runs(&c, "/bin/sleep 203").await, "the escaped child survived");
    c.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_kills_the_command() {
    let c = common::container().await;
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        t.cancel();
    });
    let r = c
        .run("echo started; sleep 30", RunOptions::default(), token)
        .await
        .unwrap();
    assert!(r.cancelled && !r.timed_out && r.stdout == "started\n");
    assert!(!runs(&c, "sleep 30").await, "the command survived cancellation");
}

#[tokio::test(flavor = "multi_thread")]
async fn output_past_the_cap_is_dropped_without_hanging() {
    let c = common::container().await;
    let opts = RunOptions {
        max_output: Some(1024.0),
        ..Default::default()
    };
    let r = c
        .run(
            "head -c 5000000 /dev/zero | tr '\\0' a; echo done >&2",
            opts,
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(r.truncated && r.exit_code == 0);
    assert_eq!(r.stdout.len() + r.stderr.len(), 1024);
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_env_workdir_and_user_reach_the_command() {
    let c = common::container().await;
    let opts = RunOptions {
        stdin: Some(b"line one\nline two\n".to_vec()),
        env: vec![("GREETING".into(), "hi there".into())],
        workdir: Some("/tmp".into()),
        user: Some("1000".into()),
        ..Default::default()
    };
    let r = c
        .run("wc -l; echo \"$GREETING\"; pwd; id -u", opts, CancellationToken::new())
        .await
        .unwrap();
    let lines: Vec<&str> = r.stdout.lines().map(str::trim).collect();
    assert_eq!(lines, ["2", "hi there", "/tmp", "1000"], "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn many_commands_at_once_each_get_their_own_output() {
    let c = std::sync::Arc::new(common::container().await);
    let runs = (0..20).map(|i| {
        let c = c.clone();
        tokio::spawn(async move { (i, sh(&c, &format!("echo {i}; echo e{i} >&2")).await) })
    });
    for run in futures::future::join_all(runs).await {
        let (i, r) = run.unwrap();
        assert_eq!((r.stdout, r.stderr), (format!("{i}\n"), format!("e{i}\n")));
    }
}
