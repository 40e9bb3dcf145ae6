//! Finding the container engine, negotiating its API version, and keeping one
//! client per socket for the whole process.
//!
//! Discovery order (see `docs/design.md`): an explicit socket, then `POCKET_DOCK_SOCKET`,
//! `DOCKER_HOST` (unix only), the project's configured socket, Podman (rootless,
//! rootful), Docker, then the macOS Podman-machine and Docker Desktop sockets. A
//! candidate counts only if it answers a ping; the first that does wins.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::{RemoveContainerOptions, RestartContainerOptions, StopContainerOptions};
use bollard::{Docker, API_DEFAULT_VERSION};
use once_cell::sync::Lazy;

use crate::error::{Error, Op, Result};

/// How long a ping may take before a socket is counted as not answering.
/// Long enough for a loaded engine, short enough that a dead socket is reported
/// "within a second or two".
const PING_TIMEOUT: Duration = Duration::from_millis(1500);

/// Seconds a graceful stop (`shutdown()`, `reboot()`, `stopContainer()`)
/// lets the main process end before the engine kills it. The main process
/// exits on SIGTERM at once, so this only matters for user processes that
/// trap it.
pub const STOP_GRACE_SECS: i32 = 3;

/// How long [`Engine::remove_and_wait`] waits for an engine that is already
/// removing the container (an ephemeral one removes itself once stopped).
const REMOVAL_WAIT: Duration = Duration::from_secs(10);

/// Per-request timeout given to bollard. It bounds the time to the response
/// headers only (not long streams), so it can be generous.
const REQUEST_TIMEOUT_SECS: u64 = 300;

/// Which engine is behind a socket; they differ in small ways the core hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Docker,
    Podman,
}

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        }
    }
}

/// A connected engine: one bollard client, negotiated once, shared by every
/// container on this socket.
#[derive(Debug)]
pub struct Engine {
    docker: Docker,
    socket_path: String,
    kind: EngineKind,
    api_version: String,
    engine_version: String,
    /// The engine's CPU architecture as it names it (`amd64`, `arm64`).
    arch: String,
}

impl Engine {
    pub fn docker(&self) -> &Docker {
        &self.docker
    }
    pub fn socket_path(&self) -> &str {
        &self.socket_path
    }
    pub fn kind(&self) -> EngineKind {
        self.kind
    }
    /// The API version both sides speak, e.g. "1.41".
    pub fn api_version(&self) -> &str {
        &self.api_version
    }
    /// The engine's own version, e.g. "20.10.24" or "4.3.1".
    pub fn engine_version(&self) -> &str {
        &self.engine_version
    }
    /// The CPU architecture containers run on, e.g. "amd64" or "arm64".
    pub fn arch(&self) -> &str {
        &self.arch
    }

    /// Checks that the engine still answers.
    pub async fn ping(&self) -> Result<()> {
        ping(&self.docker, &self.socket_path).await
    }

    /// Inspects a container. Not bollard's `inspect_container`: Podman reports
    /// a container that stopped but is not cleaned up yet as `"stopped"`, a
    /// state bollard's enum cannot read; here it reads as `"exited"`.
    pub async fn inspect_container(&self, id: &str, op: Op<'_>) -> Result<bollard::models::ContainerInspectResponse> {
        let body = self.raw_get(&format!("/containers/{id}/json"), op).await?;
        let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| Error::SocketCommunication {
            detail: format!("unreadable container inspection: {e}"),
        })?;
        if let Some(status) = value.pointer_mut("/State/Status") {
            if status == "stopped" {
                *status = "exited".into();
            }
        }
        serde_json::from_value(value).map_err(|e| Error::SocketCommunication {
            detail: format!("unreadable container inspection: {e}"),
        })
    }

    /// Stops container `id`, gracefully ([`STOP_GRACE_SECS`]) or, with
    /// `force`, at once. A container already stopped, or already gone, counts
    /// as stopped.
    pub async fn stop(&self, id: &str, force: bool) -> Result<()> {
        let opts = StopContainerOptions {
            t: Some(if force { 0 } else { STOP_GRACE_SECS }),
            ..Default::default()
        };
        let stopped = self.docker.stop_container(id, Some(opts)).await;
        match Error::from_state_change(stopped, Op::Handle { container: id }) {
            Ok(()) | Err(Error::ContainerGone { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Restarts container `id` in place, giving its processes the same grace
    /// as a graceful stop.
    pub async fn restart(&self, id: &str) -> Result<()> {
        let opts = RestartContainerOptions {
            t: Some(STOP_GRACE_SECS),
            ..Default::default()
        };
        self.docker
            .restart_container(id, Some(opts))
            .await
            .map_err(|e| Error::from_engine(e, Op::Handle { container: id }))
    }

    /// Force-removes container `id` and returns once it is gone. An ephemeral
    /// container may already be removing itself (it was just stopped): then
    /// the engine refuses a second removal, and we wait for the first.
    pub async fn remove_and_wait(&self, id: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + REMOVAL_WAIT;
        loop {
            let opts = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            let err = match self.docker.remove_container(id, Some(opts)).await {
                Ok(()) => return Ok(()),
                Err(e) => Error::from_engine(e, Op::Handle { container: id }),
            };
            if let Error::ContainerGone { .. } = err {
                return Ok(());
            }
            match self.inspect_container(id, Op::Handle { container: id }).await {
                Err(Error::ContainerGone { .. }) => return Ok(()),
                Err(other) => return Err(other),
                Ok(_) if tokio::time::Instant::now() >= deadline => return Err(err),
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// GETs `path_and_query` on a connection of its own and returns the body,
    /// for the rare answer bollard's types cannot read (Podman's `stopped`
    /// state). A failure status is mapped for `op`.
    pub(crate) async fn raw_get(&self, path_and_query: &str, op: Op<'_>) -> Result<bytes::Bytes> {
        use http_body_util::BodyExt;
        let collect = async {
            let response = self.raw_request("GET", path_and_query, &[], op).await?;
            response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .map_err(|e| self.io_error(std::io::Error::other(e)))
        };
        tokio::time::timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS), collect)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
    }

    /// Sends a bodiless request on a connection of its own and returns the
    /// response once its headers arrive, its body left to stream (Podman's
    /// own pull endpoint, which bollard does not speak). A failure status is
    /// read whole and mapped for `op`.
    pub(crate) async fn raw_request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        op: Op<'_>,
    ) -> Result<hyper::Response<hyper::body::Incoming>> {
        use http_body_util::BodyExt;
        let io = |err: std::io::Error| self.io_error(err);
        let exchange = async {
            let stream = tokio::net::UnixStream::connect(&self.socket_path).await.map_err(io)?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| io(std::io::Error::other(e)))?;
            tokio::spawn(conn);
            let mut request = hyper::Request::builder()
                .method(method)
                .uri(path_and_query)
                .header(hyper::header::HOST, "pocket-dock");
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            let request = request
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .map_err(|e| io(std::io::Error::other(e)))?;
            sender
                .send_request(request)
                .await
                .map_err(|e| io(std::io::Error::other(e)))
        };
        let response = tokio::time::timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS), exchange)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| io(std::io::Error::other(e)))?
            .to_bytes();
        let err = bollard::errors::Error::DockerResponseServerError {
            status_code: status,
            message: String::from_utf8_lossy(&body).into_owned(),
        };
        Err(Error::from_engine(err, op))
    }

    fn io_error(&self, err: std::io::Error) -> Error {
        Error::from_engine(
            bollard::errors::Error::IOError { err },
            Op::Engine {
                socket_path: &self.socket_path,
            },
        )
    }

    fn timed_out(&self) -> Error {
        Error::from_engine(
            bollard::errors::Error::RequestTimeoutError,
            Op::Engine {
                socket_path: &self.socket_path,
            },
        )
    }
}

/// One client per socket path. A std mutex is enough: it is held only to look up
/// or insert, never across an await.
static ENGINES: Lazy<Mutex<HashMap<String, Arc<Engine>>>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// Where discovery looks, and why; also what the "nothing answered" error lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: String,
    pub source: &'static str,
}

/// The inputs of discovery that do not come from the process environment.
#[derive(Debug, Default, Clone)]
pub struct Discovery {
    /// `socketPath` given by the caller: used alone, never falls through.
    pub explicit: Option<String>,
    /// The `socket` of the project config, if any.
    pub project_socket: Option<String>,
}

/// Connects to the engine chosen by [`Discovery`] and the environment.
pub async fn connect(discovery: &Discovery) -> Result<Arc<Engine>> {
    if let Some(path) = &discovery.explicit {
        let path = strip_unix_scheme(path);
        return connect_socket(&path).await;
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let candidates = candidates(
        env("POCKET_DOCK_SOCKET").as_deref(),
        env("DOCKER_HOST").as_deref(),
        discovery.project_socket.as_deref(),
        env("XDG_RUNTIME_DIR").as_deref(),
        env("HOME").as_deref(),
    );
    let mut tried = Vec::new();
    if let Some(host) = env("DOCKER_HOST").filter(|h| !h.starts_with("unix://")) {
        tried.push(format!("DOCKER_HOST={host} (not a unix socket, skipped)"));
    }
    connect_first(&candidates, tried).await
}

/// The first candidate that answers, or `PodmanNotRunning` listing each one
/// tried and why it did not count.
async fn connect_first(candidates: &[Candidate], mut tried: Vec<String>) -> Result<Arc<Engine>> {
    for c in candidates {
        // A project that names its engine means that engine: if it does not
        // answer, no other one is silently used instead.
        let named_by_project = c.source == PROJECT_CONFIG;
        if !Path::new(&c.path).exists() {
            if named_by_project {
                return Err(project_socket_error(&c.path, "no such file".into()));
            }
            tried.push(format!("{} ({}: no such file)", c.path, c.source));
            continue;
        }
        match connect_socket(&c.path).await {
            Ok(engine) => return Ok(engine),
            Err(e) if named_by_project => return Err(project_socket_error(&c.path, short_reason(&e))),
            Err(e) => tried.push(format!("{} ({}: {})", c.path, c.source, short_reason(&e))),
        }
    }
    Err(Error::PodmanNotRunning { tried })
}

/// The source of the candidate a project config's `socket` names.
const PROJECT_CONFIG: &str = "project config";

fn project_socket_error(path: &str, reason: String) -> Error {
    Error::SocketConnection {
        socket_path: path.to_string(),
        detail: format!(
            "{reason} (it is the `socket` of the project config, .pocket-dock/pocket-dock.yaml: fix it there, or remove it to let discovery choose)"
        ),
    }
}

/// The ordered candidate sockets, from the given environment values.
pub fn candidates(
    pocket_dock_socket: Option<&str>,
    docker_host: Option<&str>,
    project_socket: Option<&str>,
    xdg_runtime_dir: Option<&str>,
    home: Option<&str>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut push = |path: String, source: &'static str| {
        if !out.iter().any(|c: &Candidate| c.path == path) {
            out.push(Candidate { path, source });
        }
    };
    if let Some(p) = pocket_dock_socket {
        push(strip_unix_scheme(p), "POCKET_DOCK_SOCKET");
    }
    if let Some(h) = docker_host.filter(|h| h.starts_with("unix://")) {
        push(strip_unix_scheme(h), "DOCKER_HOST");
    }
    if let Some(p) = project_socket {
        push(strip_unix_scheme(p), PROJECT_CONFIG);
    }
    if let Some(dir) = xdg_runtime_dir {
        push(format!("{dir}/podman/podman.sock"), "Podman rootless");
    }
    push("/run/podman/podman.sock".into(), "Podman rootful");
    push("/var/run/docker.sock".into(), "Docker");
    if let Some(dir) = xdg_runtime_dir {
        push(format!("{dir}/docker.sock"), "Docker rootless");
    }
    if let Some(home) = home {
        push(
            format!("{home}/.local/share/containers/podman/machine/podman.sock"),
            "Podman machine",
        );
        push(
            format!("{home}/.local/share/containers/podman/machine/podman-machine-default/podman.sock"),
            "Podman machine",
        );
        push(format!("{home}/.docker/run/docker.sock"), "Docker Desktop");
        push(format!("{home}/.docker/desktop/docker.sock"), "Docker Desktop");
    }
    out
}

fn strip_unix_scheme(p: &str) -> String {
    p.strip_prefix("unix://").unwrap_or(p).to_string()
}

fn short_reason(e: &Error) -> String {
    match e {
        Error::SocketConnection { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

/// Connects to one socket: reuses the cached client if it still answers,
/// otherwise makes, pings and negotiates a new one.
async fn connect_socket(path: &str) -> Result<Arc<Engine>> {
    let cached = ENGINES.lock().expect("engine cache poisoned").get(path).cloned();
    if let Some(engine) = cached {
        engine.ping().await?;
        return Ok(engine);
    }
    let op = Op::Engine { socket_path: path };
    let docker = Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        .map_err(|e| Error::from_engine(e, op))?;
    ping(&docker, path).await?;
    // bollard sends unversioned paths, so each engine answers at its own level;
    // negotiating still records the version for requests that need it.
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| Error::from_engine(e, op))?;
    let version = docker.version().await.map_err(|e| Error::from_engine(e, op))?;
    let is_podman = version
        .components
        .iter()
        .flatten()
        .any(|c| c.name.to_ascii_lowercase().contains("podman"));
    let engine = Arc::new(Engine {
        socket_path: path.to_string(),
        kind: if is_podman {
            EngineKind::Podman
        } else {
            EngineKind::Docker
        },
        api_version: version.api_version.unwrap_or_default(),
        engine_version: version.version.unwrap_or_default(),
        arch: version.arch.unwrap_or_default(),
        docker,
    });
    let mut engines = ENGINES.lock().expect("engine cache poisoned");
    Ok(engines.entry(path.to_string()).or_insert(engine).clone())
}

async fn ping(docker: &Docker, path: &str) -> Result<()> {
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(match Error::from_engine(e, Op::Engine { socket_path: path }) {
            Error::SocketCommunication { detail } => Error::SocketConnection {
                socket_path: path.to_string(),
                detail,
            },
            other => other,
        }),
        Err(_) => Err(Error::SocketConnection {
            socket_path: path.to_string(),
            detail: format!("no answer to a ping within {} ms", PING_TIMEOUT.as_millis()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.path.as_str()).collect()
    }

    #[test]
    fn discovery_order_follows_the_spec() {
        let c = candidates(
            Some("/a.sock"),
            Some("unix:///b.sock"),
            Some("/c.sock"),
            Some("/run/user/1000"),
            Some("/home/u"),
        );
        assert_eq!(
            &paths(&c)[..6],
            &[
                "/a.sock",
                "/b.sock",
                "/c.sock",
                "/run/user/1000/podman/podman.sock",
                "/run/podman/podman.sock",
                "/var/run/docker.sock"
            ]
        );
        assert!(paths(&c).contains(&"/home/u/.docker/run/docker.sock"));
    }

    #[tokio::test]
    async fn nothing_answering_lists_every_place_tried() {
        let dir = std::env::temp_dir().join(format!("pd-engine-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dead = dir.join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
        let list = [
            Candidate {
                path: "/nonexistent/podman.sock".into(),
                source: "Podman rootful",
            },
            Candidate {
                path: dead.display().to_string(),
                source: "Docker",
            },
        ];
        let err = connect_first(&list, vec![]).await.unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        let Error::PodmanNotRunning { tried } = &err else {
            panic!("{err}")
        };
        assert_eq!(tried.len(), 2);
        assert!(
            tried[0].contains("no such file") && tried[1].contains("dead.sock"),
            "{tried:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("podman system service") && msg.contains("POCKET_DOCK_SOCKET"),
            "{msg}"
        );
    }

    #[test]
    fn tcp_docker_host_is_skipped_and_duplicates_collapse() {
        let c = candidates(
            Some("unix:///var/run/docker.sock"),
            Some("tcp://1.2.3.4:2375"),
            None,
            None,
            None,
        );
        assert_eq!(paths(&c), vec!["/var/run/docker.sock", "/run/podman/podman.sock"]);
    }
}
