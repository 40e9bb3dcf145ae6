//! Shared set-up of the integration tests: the engine (POCKET_DOCK_SOCKET or
//! discovery) and the offline busybox test image, built once per engine.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use pocket_dock_core::{engine, image, Container, CreateOptions, Discovery, Engine};
use tokio::sync::OnceCell;

pub const TEST_IMAGE: &str = "pocket-dock-test/busybox:latest";

static READY: OnceCell<Arc<Engine>> = OnceCell::const_new();

/// The engine under test, with the test image present. Containers get the
/// runner built by `npm run build` (at the repository root) when there is one,
/// as the binding would give them; without it they use the marker kill.
pub async fn engine() -> Arc<Engine> {
    READY
        .get_or_init(|| async {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
            pocket_dock_core::runner::set_binary_path(root.join("pocket-dock-runner"));
            let engine = engine::connect(&Discovery::default())
                .await
                .expect("no engine answers: run scripts/start-engines.sh");
            if !image::exists(&engine, TEST_IMAGE).await.unwrap() {
                let dir = tempdir();
                let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-image-context.sh");
                let status = std::process::Command::new("bash")
                    .arg(script)
                    .arg(&dir)
                    .status()
                    .unwrap();
                assert!(status.success(), "test-image-context.sh failed");
                let spec = image::BuildSpec {
                    context: dir.display().to_string(),
                    tag: TEST_IMAGE.into(),
                    ..Default::default()
                };
                image::build::build(&engine, spec, image::CancellationToken::new(), |_| {})
                    .await
                    .unwrap();
                let _ = std::fs::remove_dir_all(&dir);
            }
            engine
        })
        .await
        .clone()
}

pub fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pd-core-test-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

pub fn options() -> CreateOptions {
    CreateOptions {
        image: Some(TEST_IMAGE.into()),
        socket_path: std::env::var("POCKET_DOCK_SOCKET").ok(),
        labels: vec![("pocket-dock-test".into(), "core".into())],
        ..Default::default()
    }
}

/// A container of the test image, removed when the guard is dropped — also
/// when an assertion fails first and the test unwinds.
pub async fn container() -> Guard {
    engine().await;
    Guard(Container::create(options()).await.expect("create test container"))
}

/// Removes its container when dropped. Derefs to the [`Container`], so tests
/// use it as one; an explicit `shutdown` in a test is harmless before it.
pub struct Guard(pub Container);

impl std::ops::Deref for Guard {
    type Target = Container;
    fn deref(&self) -> &Container {
        &self.0
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Drop cannot await and may run on the test's only runtime thread:
        // a thread of its own, with its own runtime and connection, removes
        // the container.
        let name = self.0.name().to_string();
        let removal = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(engine) = engine::connect(&Discovery::default()).await {
                    // Already gone (the test shut it down) is fine.
                    let _ = pocket_dock_core::persist::destroy(&engine, &name).await;
                }
            });
        });
        let _ = removal.join();
    }
}
