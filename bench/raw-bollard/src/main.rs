//! The benchmark's baseline: the least an HTTP-over-Unix-socket client can do
//! for each measured operation, written directly on bollard (no validation,
//! no output decoding, no kill support, no reaper). pocket-dock is measured
//! against it to see what its own layers cost.
//!
//! It serves the benchmark (its client: bench/lib/raw-bollard.mjs) over
//! stdin/stdout, one JSON request per line, one JSON answer per line, timing
//! each operation itself so the pipe between the processes is not counted:
//!
//! ```text
//! {"op":"exec","container":"<id>"}                → {"ms":…}
//! {"op":"lifecycle","image":"<image>"}           → {"ms":…}
//! {"op":"concurrency","image":"<image>","n":10}  → {"ms":…}
//! {"op":"stream","container":"<id>","bytes":N}   → {"seconds":…,"bytes":…,"cpuSeconds":…,"peakRssMiB":…,"idleRssMiB":…}
//! ```

use std::time::Instant;

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::RemoveContainerOptions;
use bollard::{Docker, API_DEFAULT_VERSION};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

type Error = Box<dyn std::error::Error + Send + Sync>;

const KEEPALIVE: &str = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let socket = std::env::args().nth(1).ok_or("usage: raw-bollard <socket>")?;
    let docker = Docker::connect_with_unix(&socket, 300, API_DEFAULT_VERSION)?
        .negotiate_version()
        .await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let req: Value = serde_json::from_str(&line)?;
        let answer = match serve(&docker, &req).await {
            Ok(v) => v,
            Err(e) => json!({ "error": e.to_string() }),
        };
        println!("{answer}");
    }
    Ok(())
}

async fn serve(docker: &Docker, req: &Value) -> Result<Value, Error> {
    let text = |k: &str| req[k].as_str().ok_or_else(|| format!("missing {k}"));
    let started = Instant::now();
    let ms = || started.elapsed().as_secs_f64() * 1000.0;
    match text("op")? {
        "exec" => {
            let out = exec(docker, text("container")?, "echo hi").await?;
            if out != 3 {
                return Err("echo hi printed something else".into());
            }
            Ok(json!({ "ms": ms() }))
        }
        "lifecycle" => {
            lifecycle(docker, text("image")?, "echo hi").await?;
            Ok(json!({ "ms": ms() }))
        }
        "concurrency" => {
            let image = text("image")?;
            let n = req["n"].as_u64().unwrap_or(10);
            let all = (0..n).map(|_| lifecycle(docker, image, "sleep 2 && echo done"));
            for r in futures::future::join_all(all).await {
                r?;
            }
            Ok(json!({ "ms": ms() }))
        }
        "stream" => {
            let total = req["bytes"].as_u64().ok_or("missing bytes")?;
            let idle = usage();
            let t = Instant::now();
            let cmd = format!("head -c {total} /dev/zero | tr '\\0' a");
            let bytes = exec(docker, text("container")?, &cmd).await?;
            let seconds = t.elapsed().as_secs_f64();
            let end = usage();
            Ok(json!({
                "seconds": seconds,
                "bytes": bytes,
                "cpuSeconds": end.cpu_seconds - idle.cpu_seconds,
                "idleRssMiB": idle.max_rss_mib,
                "peakRssMiB": end.max_rss_mib,
            }))
        }
        other => Err(format!("unknown op {other}").into()),
    }
}

/// create → start (attached) → read to the end → inspect; returns the bytes of
/// output (stdout and stderr).
async fn exec(docker: &Docker, container: &str, cmd: &str) -> Result<u64, Error> {
    let created = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(vec!["/bin/sh", "-c", cmd]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await?;
    let mut bytes = 0u64;
    if let StartExecResults::Attached { mut output, .. } = docker.start_exec(&created.id, None).await? {
        while let Some(frame) = output.next().await {
            bytes += frame?.into_bytes().len() as u64;
        }
    }
    let inspected = docker.inspect_exec(&created.id).await?;
    if inspected.exit_code != Some(0) {
        return Err(format!("exit code {:?}", inspected.exit_code).into());
    }
    Ok(bytes)
}

/// create → start → one command → remove (force).
async fn lifecycle(docker: &Docker, image: &str, cmd: &str) -> Result<(), Error> {
    let body = ContainerCreateBody {
        image: Some(image.into()),
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), KEEPALIVE.into()]),
        host_config: Some(HostConfig {
            init: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = docker
        .create_container(None::<bollard::query_parameters::CreateContainerOptions>, body)
        .await?
        .id;
    let outcome = async {
        docker.start_container(&id, None).await?;
        exec(docker, &id, cmd).await
    }
    .await;
    let opts = RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    docker.remove_container(&id, Some(opts)).await?;
    outcome.map(|_| ())
}

struct Usage {
    cpu_seconds: f64,
    max_rss_mib: f64,
}

/// This process's CPU time (user + system) and peak RSS so far.
fn usage() -> Usage {
    // SAFETY: getrusage fills the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        cpu_seconds: secs(ru.ru_utime) + secs(ru.ru_stime),
        // Linux reports kilobytes.
        max_rss_mib: ru.ru_maxrss as f64 / 1024.0,
    }
}
