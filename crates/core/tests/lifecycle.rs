//! Container lifecycle against the real engine: names, labels, prompt
//! shutdown, and the errors of bad input, missing images and dead sockets.

mod common;

use std::time::{Duration, Instant};

use pocket_dock_core::{CancellationToken, Container, CreateOptions, RunOptions};

#[tokio::test(flavor = "multi_thread")]
async fn graceful_shutdown_is_prompt_and_removes_the_container() {
    let engine = common::engine().await;
    let c = common::container().await;
    let name = c.name().to_string();
    assert!(name.starts_with("pd-"));
    // The yardstick: a forced shutdown (no grace) of a twin, on the same
    // engine under the same load. A graceful one that waited out the stop
    // grace would take that much longer; one whose main process ends on
    // SIGTERM at once takes about as long.
    let twin = common::container().await;
    let forced_at = Instant::now();
    twin.shutdown(true).await.unwrap();
    let forced = forced_at.elapsed();
    let started = Instant::now();
    c.shutdown(false).await.unwrap();
    let graceful = started.elapsed();
    let grace = Duration::from_secs(pocket_dock_core::engine::STOP_GRACE_SECS as u64);
    assert!(
        graceful < forced + grace * 2 / 3,
        "graceful shutdown took {graceful:?}, a forced one {forced:?}: it waited for the {grace:?} grace"
    );
    let gone = engine.docker().inspect_container(&name, None).await;
    assert!(gone.is_err(), "container {name} still exists");
    // A second shutdown is harmless; a command afterwards is refused clearly.
    c.shutdown(false).await.unwrap();
    let e = c
        .run("true", RunOptions::default(), CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "CONTAINER_NOT_RUNNING");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_images_and_taken_names_are_typed_errors() {
    common::engine().await;
    let missing = Container::create(CreateOptions {
        image: Some("pocket-dock-test/no-such-image:1".into()),
        ..common::options()
    });
    assert_eq!(missing.await.unwrap_err().code(), "IMAGE_NOT_FOUND");
    let c = common::container().await;
    let twin = Container::create(CreateOptions {
        name: Some(c.name().into()),
        ..common::options()
    })
    .await;
    assert_eq!(twin.unwrap_err().code(), "CONTAINER_ERROR");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_removed_behind_our_back_is_gone() {
    let engine = common::engine().await;
    let c = common::container().await;
    engine
        .docker()
        .remove_container(
            &c.id(),
            Some(bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    let e = c
        .run("true", RunOptions::default(), CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "CONTAINER_GONE", "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_socket_fails_fast() {
    let dir = common::tempdir();
    let path = dir.join("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap()); // a socket file nobody listens on
    let started = Instant::now();
    let e = Container::create(CreateOptions {
        socket_path: Some(path.display().to_string()),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(e.code(), "SOCKET_CONNECTION_ERROR", "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
    std::fs::remove_dir_all(dir).unwrap();
}
