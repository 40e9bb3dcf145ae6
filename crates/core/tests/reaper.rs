//! The reaper and the lifecycle around it, against the real engine: an
//! ephemeral container ends when its holder lets go, survives reboots with a
//! new hold (the prune rules are tested through the API in
//! `__test__/lifecycle.test.ts`).

mod common;

use std::time::Duration;

use pocket_dock_core::{persist, CancellationToken, Container, CreateOptions, RunOptions};

async fn exists(name: &str) -> bool {
    let engine = common::engine().await;
    engine.docker().inspect_container(name, None).await.is_ok()
}

async fn echo(c: &Container, text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    c.run(&format!("echo {text}"), RunOptions::default(), CancellationToken::new())
        .await
        .unwrap()
        .stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ephemeral_container_survives_in_place_reboots_and_still_ends_with_its_holder() {
    // No guard: this test drops the handle itself. The container is
    // ephemeral, so the reaper ends it with the test process if it fails.
    common::engine().await;
    let c = Container::create(common::options()).await.unwrap();
    c.write_file("/tmp/kept", b"yes").await.unwrap();
    let count_sleepers = "ps -o args | grep -c '^sleep 777'";
    for round in 0..3 {
        let _server = c.spawn("sleep 777", RunOptions::default()).await.unwrap();
        // A detached command is started, not necessarily running yet.
        let wait = "until ps -o args | grep -q '^sleep 777'; do sleep 0.05; done; echo running";
        assert_eq!(echo(&c, format!("$({wait})")).await, "running\n");
        c.reboot(false).await.unwrap();
        assert_eq!(echo(&c, "up").await, "up\n", "round {round}");
        assert_eq!(
            echo(&c, &format!("$({count_sleepers})")).await,
            "0\n",
            "round {round}: processes survived"
        );
        assert_eq!(c.read_file("/tmp/kept").await.unwrap(), b"yes");
    }
    let name = c.name().to_string();
    // Dropping the handle does not end the container: cleanup is explicit.
    drop(c);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(exists(&name).await, "a dropped handle must not reap");
    let engine = common::engine().await;
    persist::destroy(&engine, &name).await.unwrap();
    assert!(!exists(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_reboot_recreates_with_the_same_name_and_limits() {
    let c = common::Guard(
        Container::create(CreateOptions {
            mem_limit: Some("64m".into()),
            ..common::options()
        })
        .await
        .unwrap(),
    );
    let old_id = c.id();
    c.write_file("/tmp/lost", b"x").await.unwrap();
    c.reboot(true).await.unwrap();
    assert_ne!(c.id(), old_id);
    assert!(!exists(&old_id).await);
    let info = c.info().await.unwrap();
    assert_eq!(info.name, c.name());
    assert_eq!(info.memory_limit_bytes, 64 << 20);
    assert_eq!(c.read_file("/tmp/lost").await.unwrap_err().code(), "ENOENT");
    // The new container has its own reaper: a shutdown removes it.
    let name = c.name().to_string();
    c.shutdown(false).await.unwrap();
    assert!(!exists(&name).await);
}
