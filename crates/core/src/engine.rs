//! Finding the container engine, learning which it is, and keeping one client
//! per engine address for the whole process.
//!
//! Discovery order (see `docs/design.md` and `docs/remote.md`): an explicit
//! `host`/`socketPath`, then `POCKET_DOCK_SOCKET`, `DOCKER_HOST` (with
//! `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), `DOCKER_CONTEXT` or the current
//! Docker context, the project's configured socket, Podman (rootless, rootful),
//! Docker, then the macOS and Windows sockets and pipes. A candidate counts
//! only if it answers a ping; the first that does wins.
//!
//! Connecting costs one `/_ping`: its headers (`Api-Version`, `Server`,
//! `Libpod-Api-Version`) say which engine and API version answer. `/version`
//! (about half a second on Podman) is asked only once, lazily, when a remote
//! engine's architecture is needed; a local Linux socket's is this machine's.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::{RemoveContainerOptions, RestartContainerOptions, StopContainerOptions};
use bollard::{ClientVersion, Docker};
use once_cell::sync::Lazy;

use crate::endpoint::{self, Endpoint};
use crate::error::{Error, Op, Result};
use crate::transport::{self, Dialer};

/// How long a ping may take before a socket is counted as not answering.
/// Long enough for a loaded engine, short enough that a dead socket is reported
/// "within a second or two".
const PING_TIMEOUT: Duration = Duration::from_millis(1500);

/// The same for a remote engine, whose first ping includes a TCP, TLS or SSH
/// handshake (an SSH login alone can take a second on a loaded machine).
const REMOTE_PING_TIMEOUT: Duration = Duration::from_secs(15);

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

/// A connected engine: one bollard client, identified once, shared by every
/// container on this address.
#[derive(Debug)]
pub struct Engine {
    docker: Docker,
    /// The host string it was connected by (a socket path, or a URL).
    socket_path: String,
    /// Where discovery found it (`host`, `DOCKER_HOST`, `Docker context "x"`, …).
    source: String,
    dialer: Arc<Dialer>,
    /// A pooled client for the raw requests bollard cannot make or read,
    /// over the same dialer (a fresh connection each would be an SSH login each).
    raw: transport::RawClient,
    kind: EngineKind,
    api_version: String,
    engine_version: String,
    /// The engine's CPU architecture as it names it (`amd64`, `arm64`), asked
    /// for once, when first needed.
    arch: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dialer({})", self.endpoint())
    }
}

impl Engine {
    pub fn docker(&self) -> &Docker {
        &self.docker
    }
    /// The host string this engine was reached by: a socket path for a local
    /// socket, a URL (`tcp://…`, `ssh://…`) otherwise.
    pub fn socket_path(&self) -> &str {
        &self.socket_path
    }
    /// The engine's address as a person reads it (`unix:///var/run/docker.sock`,
    /// `tcp://host:2376`, `ssh://user@host`), without TLS file paths.
    pub fn host(&self) -> String {
        self.dialer.endpoint().to_string()
    }
    /// How discovery found this engine.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Whether the engine is on another machine (TCP to a non-loopback
    /// address, or SSH): host paths of `volumes` are then that machine's.
    pub fn is_remote(&self) -> bool {
        !self.dialer.endpoint().is_local()
    }
    pub fn kind(&self) -> EngineKind {
        self.kind
    }
    /// The API version the engine speaks, e.g. "1.41".
    pub fn api_version(&self) -> &str {
        &self.api_version
    }
    /// The engine's own version, e.g. "20.10.24" or "4.3.1".
    pub fn engine_version(&self) -> &str {
        &self.engine_version
    }
    /// The CPU architecture containers run on, e.g. "amd64" or "arm64"; empty
    /// if the engine would not say. Asks the engine's `/version` the first time.
    pub async fn arch(&self) -> String {
        self.arch
            .get_or_init(|| async {
                // A Unix socket on Linux is an engine on this very kernel:
                // its architecture is ours, and /version (about half a
                // second on Podman) need not be asked.
                if cfg!(target_os = "linux") && matches!(self.dialer.endpoint(), Endpoint::Unix { .. }) {
                    return match std::env::consts::ARCH {
                        "x86_64" => "amd64".to_string(),
                        "aarch64" => "arm64".to_string(),
                        other => other.to_string(),
                    };
                }
                let asked =
                    tokio::time::timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS), self.docker.version()).await;
                match asked {
                    Ok(Ok(v)) => v.arch.unwrap_or_default(),
                    _ => String::new(),
                }
            })
            .await
            .clone()
    }

    /// Checks that the engine still answers.
    pub async fn ping(&self) -> Result<()> {
        let limit = ping_timeout(self.dialer.endpoint());
        match tokio::time::timeout(limit, self.docker.ping()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(connection_error(
                &self.dialer,
                &self.socket_path,
                &self.source,
                &e,
                None,
            )),
            Err(_) => Err(no_answer(&self.dialer, &self.socket_path, &self.source, limit)),
        }
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

    /// GETs `path_and_query` and reads its JSON answer as `T` (into just the
    /// fields `T` names, so what bollard's types cannot read does not
    /// matter); `what` names the answer in the error.
    pub(crate) async fn raw_json<T: serde::de::DeserializeOwned>(&self, path_and_query: &str, what: &str) -> Result<T> {
        let op = Op::Engine {
            socket_path: &self.socket_path,
        };
        let body = self.raw_get(path_and_query, op).await?;
        serde_json::from_slice(&body).map_err(|e| Error::SocketCommunication {
            detail: format!("unreadable {what}: {e}"),
        })
    }

    /// A new connection of its own to the engine — Unix socket, named pipe,
    /// TLS or SSH alike — for an exchange whose request body streams (an
    /// image load).
    pub(crate) async fn connection(&self) -> std::io::Result<transport::Conn> {
        self.dialer.dial().await
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

    /// Sends a bodiless request (on a pooled connection) and returns the
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
            let mut request = hyper::Request::builder()
                .method(method)
                .uri(format!("http://pocket-dock{path_and_query}"))
                .header(hyper::header::HOST, "pocket-dock");
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            let request = request
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .map_err(|e| io(std::io::Error::other(e)))?;
            self.raw
                .request(request)
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

/// Percent-encodes everything but RFC 3986's unreserved characters (a query
/// value such as a JSON filter).
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One client per host string. A std mutex is enough: it is held only to look
/// up or insert, never across an await.
static ENGINES: Lazy<Mutex<HashMap<String, Arc<Engine>>>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// Where discovery looks, and why; also what the "nothing answered" error lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// A host string ([`Endpoint::spec`]): a socket path or a URL.
    pub path: String,
    pub source: String,
}

/// The inputs of discovery that do not come from the process environment.
#[derive(Debug, Default, Clone)]
pub struct Discovery {
    /// `host`/`socketPath` given by the caller: used alone, never falls through.
    pub explicit: Option<String>,
    /// The `socket` of the project config, if any.
    pub project_socket: Option<String>,
}

/// Connects to the engine chosen by [`Discovery`] and the environment.
pub async fn connect(discovery: &Discovery) -> Result<Arc<Engine>> {
    if let Some(host) = &discovery.explicit {
        let spec = strip_unix_scheme(host);
        return connect_host(&spec, "host").await;
    }
    let (candidates, tried) = configured(discovery, &endpoint::Env::from_process());
    connect_first(&candidates, tried).await
}

/// Every place discovery would try, in order, from `discovery` and `env`, and
/// the configured ones that cannot be used at all (an unparsable
/// `DOCKER_HOST`, an unreadable context), as lines for the error.
pub fn configured(discovery: &Discovery, env: &endpoint::Env) -> (Vec<Candidate>, Vec<String>) {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut tried = Vec::new();
    let docker_host = match env.docker_host() {
        Some(Ok(e)) => Some(e.spec()),
        Some(Err(e)) => {
            tried.push(format!("DOCKER_HOST ({e})"));
            None
        }
        None => None,
    };
    let context = match env.docker_context() {
        Some(Ok((name, e))) => Some((name, e.spec())),
        Some(Err(e)) => {
            tried.push(format!("Docker context ({e})"));
            None
        }
        None => None,
    };
    let list = candidates(
        var("POCKET_DOCK_SOCKET").as_deref(),
        docker_host.as_deref(),
        context.as_ref().map(|(n, h)| (n.as_str(), h.as_str())),
        discovery.project_socket.as_deref(),
        var("XDG_RUNTIME_DIR").as_deref(),
        var("HOME").as_deref(),
    );
    (list, tried)
}

/// The first candidate that answers, or `PodmanNotRunning` listing each one
/// tried and why it did not count.
async fn connect_first(candidates: &[Candidate], mut tried: Vec<String>) -> Result<Arc<Engine>> {
    for c in candidates {
        let shown = Endpoint::parse(&c.path)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| c.path.clone());
        // A project that names its engine means that engine: if it does not
        // answer, no other one is silently used instead.
        let named_by_project = c.source == PROJECT_CONFIG;
        if is_local_path(&c.path) && !Path::new(&c.path).exists() {
            if named_by_project {
                return Err(project_socket_error(&c.path, "no such file".into()));
            }
            tried.push(format!("{shown} ({}: no such file)", c.source));
            continue;
        }
        match connect_host(&c.path, &c.source).await {
            Ok(engine) => return Ok(engine),
            Err(e) if named_by_project => return Err(project_socket_error(&c.path, short_reason(&e))),
            Err(e) => tried.push(format!("{shown} ({}: {})", c.source, short_reason(&e))),
        }
    }
    Err(Error::PodmanNotRunning { tried })
}

/// A socket path (or `unix://` URL) rather than a remote URL or a pipe.
fn is_local_path(spec: &str) -> bool {
    !spec.contains("://") || spec.starts_with("unix://")
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

/// The ordered candidates, from the given environment values.
pub fn candidates(
    pocket_dock_socket: Option<&str>,
    docker_host: Option<&str>,
    docker_context: Option<(&str, &str)>,
    project_socket: Option<&str>,
    xdg_runtime_dir: Option<&str>,
    home: Option<&str>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut push = |path: String, source: String| {
        if !out.iter().any(|c: &Candidate| c.path == path) {
            out.push(Candidate { path, source });
        }
    };
    if let Some(p) = pocket_dock_socket {
        push(strip_unix_scheme(p), "POCKET_DOCK_SOCKET".into());
    }
    if let Some(h) = docker_host {
        push(strip_unix_scheme(h), "DOCKER_HOST".into());
    }
    if let Some((name, h)) = docker_context {
        push(strip_unix_scheme(h), format!("Docker context {name:?}"));
    }
    if let Some(p) = project_socket {
        push(strip_unix_scheme(p), PROJECT_CONFIG.into());
    }
    #[cfg(windows)]
    {
        let _ = (xdg_runtime_dir, home);
        push("npipe:////./pipe/docker_engine".into(), "Docker Desktop".into());
        push(
            "npipe:////./pipe/podman-machine-default".into(),
            "Podman machine".into(),
        );
    }
    #[cfg(not(windows))]
    {
        if let Some(dir) = xdg_runtime_dir {
            push(format!("{dir}/podman/podman.sock"), "Podman rootless".into());
        }
        push("/run/podman/podman.sock".into(), "Podman rootful".into());
        push("/var/run/docker.sock".into(), "Docker".into());
        if let Some(dir) = xdg_runtime_dir {
            push(format!("{dir}/docker.sock"), "Docker rootless".into());
        }
        if let Some(home) = home {
            push(
                format!("{home}/.local/share/containers/podman/machine/podman.sock"),
                "Podman machine".into(),
            );
            push(
                format!("{home}/.local/share/containers/podman/machine/podman-machine-default/podman.sock"),
                "Podman machine".into(),
            );
            push(format!("{home}/.docker/run/docker.sock"), "Docker Desktop".into());
            push(format!("{home}/.docker/desktop/docker.sock"), "Docker Desktop".into());
        }
    }
    out
}

fn strip_unix_scheme(p: &str) -> String {
    p.strip_prefix("unix://").unwrap_or(p).to_string()
}

fn short_reason(e: &Error) -> String {
    match e {
        Error::SocketConnection { detail, .. } => detail.clone(),
        Error::EngineConnection { reason, detail, .. } => format!("{reason}: {detail}"),
        other => other.to_string(),
    }
}

fn ping_timeout(e: &Endpoint) -> Duration {
    match e {
        Endpoint::Unix { .. } | Endpoint::NamedPipe { .. } => PING_TIMEOUT,
        _ => REMOTE_PING_TIMEOUT,
    }
}

/// What one `/_ping` says about the engine behind it.
struct PingHeaders {
    kind: EngineKind,
    api_version: String,
    engine_version: String,
}

/// Connects to one host string: reuses the cached client if it still
/// answers, otherwise pings once on a fresh connection and makes a client.
async fn connect_host(spec: &str, source: &str) -> Result<Arc<Engine>> {
    let cached = ENGINES.lock().expect("engine cache poisoned").get(spec).cloned();
    if let Some(engine) = cached {
        engine.ping().await?;
        return Ok(engine);
    }
    let endpoint = Endpoint::parse(spec)?;
    endpoint.check()?;
    let dialer = Arc::new(Dialer::new(&endpoint).map_err(|f| Error::EngineConnection {
        host: endpoint.to_string(),
        found_by: source.to_string(),
        reason: f.reason.as_str().to_string(),
        detail: f.detail,
    })?);
    let limit = ping_timeout(&endpoint);
    let headers = match tokio::time::timeout(limit, ping_headers(&dialer)).await {
        Ok(Ok(h)) => h,
        Ok(Err((e, ssh_stderr))) => return Err(connection_error(&dialer, spec, source, &*e, ssh_stderr)),
        Err(_) => return Err(no_answer(&dialer, spec, source, limit)),
    };
    let version = client_version(&headers.api_version);
    let op = Op::Engine { socket_path: spec };
    let docker = match &endpoint {
        #[cfg(unix)]
        Endpoint::Unix { path } => Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, &version),
        #[cfg(windows)]
        Endpoint::NamedPipe { path } => Docker::connect_with_named_pipe(path, REQUEST_TIMEOUT_SECS, &version),
        _ => transport::bollard_client(dialer.clone(), REQUEST_TIMEOUT_SECS, &version),
    }
    .map_err(|e| Error::from_engine(e, op))?;
    let engine = Arc::new(Engine {
        socket_path: spec.to_string(),
        source: source.to_string(),
        raw: transport::raw_client(dialer.clone()),
        dialer,
        kind: headers.kind,
        api_version: headers.api_version,
        engine_version: headers.engine_version,
        arch: tokio::sync::OnceCell::new(),
        docker,
    });
    let mut engines = ENGINES.lock().expect("engine cache poisoned");
    Ok(engines.entry(spec.to_string()).or_insert(engine).clone())
}

type PingFailure = (Box<dyn std::error::Error + Send + Sync>, Option<String>);

/// `GET /_ping` on a connection of its own; the headers say which engine.
async fn ping_headers(dialer: &Dialer) -> std::result::Result<PingHeaders, PingFailure> {
    let conn = dialer.dial().await.map_err(|e| (Box::new(e) as _, None))?;
    let stderr = conn.ssh_stderr();
    let exchange = async {
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(conn)).await?;
        // Driven without shutdown, so the connection comes back once the
        // exchange is over, for the first real request.
        let driver = tokio::spawn(connection.without_shutdown());
        let request = hyper::Request::builder()
            .method("GET")
            .uri("/_ping")
            .header(hyper::header::HOST, "pocket-dock")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .expect("a static request is valid");
        let response = sender.send_request(request).await?;
        Ok::<_, hyper::Error>((response, sender, driver))
    };
    let (response, sender, driver) = match exchange.await {
        Ok(r) => r,
        Err(e) => {
            let text = transport::ssh_stderr_of(&stderr).await;
            return Err((Box::new(e), text));
        }
    };
    let header = |k: &str| {
        response
            .headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let status = response.status();
    let Some(api_version) = header("api-version") else {
        let text = format!("it answered HTTP {status} without an Api-Version header: not a Docker or Podman API");
        return Err((
            Box::new(transport::Failure {
                reason: transport::Reason::Protocol,
                detail: text,
            }),
            None,
        ));
    };
    let server = header("server").unwrap_or_default();
    let libpod = header("libpod-api-version");
    // "Docker/20.10.24+dfsg1 (linux)", "Libpod/4.3.1 (linux)".
    let from_server = server
        .split_once('/')
        .map(|(_, v)| v.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_default();
    // The body is "OK"; once read and the sender gone, the connection is
    // idle and clean, and the dialer keeps it.
    {
        use http_body_util::BodyExt;
        if response.into_body().collect().await.is_ok() {
            drop(sender);
            // Bounded: a connection that does not wind down is just not kept.
            if let Ok(Ok(Ok(parts))) = tokio::time::timeout(Duration::from_secs(2), driver).await {
                if parts.read_buf.is_empty() {
                    dialer.give_back(parts.io.into_inner());
                }
            }
        }
    }
    Ok(PingHeaders {
        kind: if libpod.is_some() || server.starts_with("Libpod") {
            EngineKind::Podman
        } else {
            EngineKind::Docker
        },
        api_version,
        engine_version: libpod.unwrap_or(from_server),
    })
}

fn client_version(api: &str) -> ClientVersion {
    let mut parts = api.split('.').map(|p| p.parse::<usize>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major_version), Some(minor_version)) => ClientVersion {
            major_version,
            minor_version,
        },
        _ => *bollard::API_DEFAULT_VERSION,
    }
}

/// The typed error for a failed connection: `SocketConnection` for a local
/// socket (as before remote engines existed), `EngineConnection` with a
/// reason for a remote one.
fn connection_error(
    dialer: &Dialer,
    spec: &str,
    source: &str,
    err: &(dyn std::error::Error + 'static),
    ssh_stderr: Option<String>,
) -> Error {
    let f = dialer.explain(err, ssh_stderr.as_deref());
    match dialer.endpoint() {
        Endpoint::Unix { .. } => Error::SocketConnection {
            socket_path: spec.to_string(),
            detail: f.detail,
        },
        e => Error::EngineConnection {
            host: e.to_string(),
            found_by: source.to_string(),
            reason: f.reason.as_str().to_string(),
            detail: f.detail,
        },
    }
}

fn no_answer(dialer: &Dialer, spec: &str, source: &str, limit: Duration) -> Error {
    let detail = format!("no answer to a ping within {} ms", limit.as_millis());
    match dialer.endpoint() {
        Endpoint::Unix { .. } => Error::SocketConnection {
            socket_path: spec.to_string(),
            detail,
        },
        e => Error::EngineConnection {
            host: e.to_string(),
            found_by: source.to_string(),
            reason: transport::Reason::Unreachable.as_str().into(),
            detail,
        },
    }
}

/// One configured engine and whether it answers: what `engines()` and
/// `ping()` report.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The address as a person reads it.
    pub host: String,
    /// How it is configured (`host`, `DOCKER_HOST`, `Podman rootful`, …).
    pub source: String,
    pub ok: bool,
    pub kind: Option<EngineKind>,
    pub version: Option<String>,
    pub api_version: Option<String>,
    /// The round trip of one `/_ping`, once connected.
    pub latency_ms: Option<f64>,
    pub error: Option<Error>,
}

/// Connects to `spec` and times one ping.
pub async fn probe(spec: &str, source: &str) -> Probe {
    let shown = Endpoint::parse(spec)
        .map(|e| e.to_string())
        .unwrap_or_else(|_| spec.to_string());
    let mut p = Probe {
        host: shown,
        source: source.to_string(),
        ok: false,
        kind: None,
        version: None,
        api_version: None,
        latency_ms: None,
        error: None,
    };
    match connect_host(&strip_unix_scheme(spec), source).await {
        Ok(engine) => {
            let start = std::time::Instant::now();
            match engine.ping().await {
                Ok(()) => {
                    p.ok = true;
                    p.latency_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
                    p.kind = Some(engine.kind());
                    p.version = Some(engine.engine_version().to_string());
                    p.api_version = Some(engine.api_version().to_string());
                }
                Err(e) => p.error = Some(e),
            }
        }
        Err(e) => p.error = Some(e),
    }
    p
}

/// Every configured engine (the environment's, the project's and the
/// default sockets that exist), each probed; all at once.
pub async fn engines(discovery: &Discovery) -> Vec<Probe> {
    let (list, _) = configured(discovery, &endpoint::Env::from_process());
    let list: Vec<Candidate> = list
        .into_iter()
        .filter(|c| !is_local_path(&c.path) || Path::new(&c.path).exists())
        .collect();
    futures::future::join_all(list.iter().map(|c| probe(&c.path, &c.source))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.path.as_str()).collect()
    }

    #[cfg(not(windows))]
    #[test]
    fn discovery_order_follows_the_spec() {
        let c = candidates(
            Some("/a.sock"),
            Some("unix:///b.sock"),
            Some(("ctx", "tcp://h:2376?tlsca=/ca.pem")),
            Some("/c.sock"),
            Some("/run/user/1000"),
            Some("/home/u"),
        );
        assert_eq!(
            &paths(&c)[..7],
            &[
                "/a.sock",
                "/b.sock",
                "tcp://h:2376?tlsca=/ca.pem",
                "/c.sock",
                "/run/user/1000/podman/podman.sock",
                "/run/podman/podman.sock",
                "/var/run/docker.sock"
            ]
        );
        assert!(paths(&c).contains(&"/home/u/.docker/run/docker.sock"));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn nothing_answering_lists_every_place_tried() {
        let dir = std::env::temp_dir().join(format!("pd-engine-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dead = dir.join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
        let list = [
            Candidate {
                path: "/nonexistent/podman.sock".into(),
                source: "Podman rootful".into(),
            },
            Candidate {
                path: dead.display().to_string(),
                source: "Docker".into(),
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

    #[cfg(not(windows))]
    #[test]
    fn remote_docker_host_is_a_candidate_and_duplicates_collapse() {
        let c = candidates(
            Some("unix:///var/run/docker.sock"),
            Some("tcp://1.2.3.4:2376?tlsca=/ca.pem"),
            None,
            None,
            None,
            None,
        );
        assert_eq!(
            paths(&c),
            vec![
                "/var/run/docker.sock",
                "tcp://1.2.3.4:2376?tlsca=/ca.pem",
                "/run/podman/podman.sock"
            ]
        );
        assert_eq!(c[1].source, "DOCKER_HOST");
    }

    #[tokio::test]
    async fn refused_tcp_is_a_typed_engine_connection_error() {
        // A port nobody listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = connect_host(&format!("tcp://127.0.0.1:{port}"), "host")
            .await
            .unwrap_err();
        let Error::EngineConnection { reason, host, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(reason, "refused");
        assert_eq!(host, &format!("tcp://127.0.0.1:{port}"));
    }

    #[tokio::test]
    async fn plain_tcp_to_another_host_is_refused_before_connecting() {
        let err = connect_host("tcp://192.0.2.1:2375", "host").await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
}
