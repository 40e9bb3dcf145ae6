//! Byte streams to an engine, for every kind of [`Endpoint`]: a Unix socket,
//! a Windows named pipe, TCP (plain, to loopback or when allowed), TCP with
//! TLS (rustls, trusting only the given CA), and SSH (the system `ssh` client
//! running `docker system dial-stdio` on the far side, as the docker CLI does).
//!
//! Remote engines reach bollard as a custom transport: a pooled hyper client
//! over [`Dialer`], so idle connections are reused and exec/attach upgrades
//! work as on a socket. Connection failures are sorted into a [`Reason`] and a
//! sentence that says what to check (see `docs/remote.md`).
//!
//! Two choices measured on the TLS and SSH set-ups of `scripts/start-remote.sh`:
//! TLS session resumption is off (an OpenSSL front that checks client
//! certificates, like socat's, refuses resumed sessions), and spare SSH
//! connections are kept started, since every exec needs a connection of its own
//! (it is hijacked) and an SSH handshake costs hundreds of milliseconds.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::endpoint::{Endpoint, TlsFiles};

/// How long establishing one connection (TCP, TLS handshake, SSH start) may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(20);

/// SSH connections kept started ahead of need. Every exec takes a connection
/// out of the pool for good (its stream is hijacked), so each `run` costs one
/// fresh connection (one login, counted in sshd's log); two spares keep one
/// ready while the next is still logging in, for commands in quick succession.
const SSH_SPARES: usize = 2;

/// How long an idle pooled connection is kept (an SSH one is a login saved).
const POOL_IDLE: Duration = Duration::from_secs(60);

/// How much of an `ssh` client's stderr is kept to explain a failure.
const SSH_STDERR_CAP: usize = 4096;

/// Why a connection could not be made; `EngineConnectionError.reason` in JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// TLS failed: the engine's certificate, ours, or the files themselves.
    Tls,
    /// SSH authentication was refused.
    Auth,
    /// Nothing listens there (refused, no such socket).
    Refused,
    /// Something answers, but not the engine API over the expected protocol.
    Protocol,
    /// The host cannot be resolved or reached, or did not answer in time.
    Unreachable,
    /// The SSH connection was made, but `docker system dial-stdio` failed there.
    Remote,
    /// Anything else.
    Other,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Tls => "tls",
            Reason::Auth => "auth",
            Reason::Refused => "refused",
            Reason::Protocol => "protocol",
            Reason::Unreachable => "unreachable",
            Reason::Remote => "remote",
            Reason::Other => "other",
        }
    }
}

/// A classified connection failure.
#[derive(Debug, Clone)]
pub struct Failure {
    pub reason: Reason,
    pub detail: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}
impl std::error::Error for Failure {}

fn fail(reason: Reason, detail: impl Into<String>) -> Failure {
    Failure {
        reason,
        detail: detail.into(),
    }
}

trait Duplex: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Duplex for T {}

/// One connection to an engine, whatever carries it.
pub struct Conn {
    io: Box<dyn Duplex>,
    /// The `ssh` client's stderr, for SSH connections: explains a failure.
    ssh_stderr: Option<Arc<Mutex<String>>>,
}

impl AsyncRead for Conn {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}
impl AsyncWrite for Conn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// The stdin and stdout of an `ssh … docker system dial-stdio` child as one
/// stream; the child is killed when the stream is dropped.
struct SshStream {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
}

impl AsyncRead for SshStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}
impl AsyncWrite for SshStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

struct SshTarget {
    /// The `ssh` program and its arguments up to the destination.
    argv: Vec<String>,
    /// One child started ahead of need: see the module docs.
    spare: Mutex<Vec<(SshStream, Arc<Mutex<String>>)>>,
}

enum Target {
    #[cfg(unix)]
    Unix(String),
    #[cfg(windows)]
    Pipe(String),
    Tcp {
        host: String,
        port: u16,
        tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    },
    Ssh(Box<SshTarget>),
}

/// Makes connections to one endpoint.
pub struct Dialer {
    endpoint: Endpoint,
    target: Target,
    /// The connection that answered the connect's ping, idle and kept for
    /// the first request: over SSH that saves a whole login.
    ready: Mutex<Option<Conn>>,
    /// Whether a connection was ever made: the first one starts no spares,
    /// so a connect's single login does not compete with two more.
    dialed: std::sync::atomic::AtomicBool,
}

impl Dialer {
    /// Prepares connecting to `endpoint`: reads the TLS files (a missing or
    /// unreadable one fails here, saying which), or builds the ssh command.
    pub fn new(endpoint: &Endpoint) -> Result<Dialer, Failure> {
        let target = match endpoint {
            #[cfg(unix)]
            Endpoint::Unix { path } => Target::Unix(path.clone()),
            #[cfg(not(unix))]
            Endpoint::Unix { path } => {
                return Err(fail(
                    Reason::Other,
                    format!("unix socket {path} cannot be used on this system"),
                ))
            }
            #[cfg(windows)]
            Endpoint::NamedPipe { path } => Target::Pipe(path.clone()),
            #[cfg(not(windows))]
            Endpoint::NamedPipe { path } => {
                return Err(fail(Reason::Other, format!("named pipe {path} exists only on Windows")))
            }
            Endpoint::Tcp { host, port, tls, .. } => Target::Tcp {
                host: host.clone(),
                port: *port,
                tls: match tls {
                    Some(files) => Some((Arc::new(tls_config(files)?), server_name(host)?)),
                    None => None,
                },
            },
            Endpoint::Ssh {
                user,
                host,
                port,
                socket,
            } => Target::Ssh(Box::new(SshTarget {
                argv: ssh_argv(user.as_deref(), host, *port, socket.as_deref()),
                spare: Mutex::new(Vec::new()),
            })),
        };
        Ok(Dialer {
            endpoint: endpoint.clone(),
            target,
            ready: Mutex::new(None),
            dialed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Opens one connection.
    pub async fn dial(&self) -> io::Result<Conn> {
        match tokio::time::timeout(DIAL_TIMEOUT, self.dial_inner()).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                fail(
                    Reason::Unreachable,
                    format!("no connection within {} s", DIAL_TIMEOUT.as_secs()),
                ),
            )),
        }
    }

    /// Keeps `conn`, idle after a complete exchange, for the next [`Dialer::dial`].
    pub fn give_back(&self, conn: Conn) {
        *self.ready.lock().expect("ready connection poisoned") = Some(conn);
    }

    async fn dial_inner(&self) -> io::Result<Conn> {
        if let Some(conn) = self.ready.lock().expect("ready connection poisoned").take() {
            return Ok(conn);
        }
        let first = !self.dialed.swap(true, std::sync::atomic::Ordering::Relaxed);
        let plain = |io: Box<dyn Duplex>| Conn { io, ssh_stderr: None };
        match &self.target {
            #[cfg(unix)]
            Target::Unix(path) => Ok(plain(Box::new(tokio::net::UnixStream::connect(path).await?))),
            #[cfg(windows)]
            Target::Pipe(path) => {
                let pipe = tokio::net::windows::named_pipe::ClientOptions::new().open(path)?;
                Ok(plain(Box::new(pipe)))
            }
            Target::Tcp { host, port, tls } => {
                let tcp = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                tcp.set_nodelay(true)?;
                match tls {
                    None => Ok(plain(Box::new(tcp))),
                    Some((config, name)) => {
                        let connector = tokio_rustls::TlsConnector::from(config.clone());
                        let stream = connector.connect(name.clone(), tcp).await?;
                        Ok(plain(Box::new(stream)))
                    }
                }
            }
            Target::Ssh(ssh) => {
                // Spares that died while waiting (the server dropped them)
                // are skipped; without a live one, a fresh child.
                let mut alive = None;
                loop {
                    let taken = ssh.spare.lock().expect("ssh spare poisoned").pop();
                    let Some((mut s, e)) = taken else { break };
                    if s.child.try_wait()?.is_none() {
                        alive = Some((s, e));
                        break;
                    }
                }
                let (stream, stderr) = match alive {
                    Some(s) => s,
                    None => spawn_ssh(&ssh.argv)?,
                };
                let missing = if first {
                    0
                } else {
                    SSH_SPARES.saturating_sub(ssh.spare.lock().expect("ssh spare poisoned").len())
                };
                for _ in 0..missing {
                    match spawn_ssh(&ssh.argv) {
                        Ok(next) => ssh.spare.lock().expect("ssh spare poisoned").insert(0, next),
                        Err(_) => break,
                    }
                }
                Ok(Conn {
                    io: Box::new(stream),
                    ssh_stderr: Some(stderr),
                })
            }
        }
    }

    /// Sorts a failure of connecting or of the first exchange into a
    /// [`Reason`] and a sentence naming what to check. `ssh_stderr` is what the
    /// `ssh` client printed, if this was an SSH connection.
    pub fn explain(&self, err: &(dyn std::error::Error + 'static), ssh_stderr: Option<&str>) -> Failure {
        if let Some(text) = ssh_stderr.map(str::trim).filter(|t| !t.is_empty()) {
            return explain_ssh(text);
        }
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut io_kind = None;
        let mut parse = false;
        while let Some(e) = cur {
            if let Some(f) = e.downcast_ref::<Failure>() {
                return f.clone();
            }
            if let Some(t) = e.downcast_ref::<rustls::Error>() {
                return self.explain_tls(t);
            }
            if let Some(h) = e.downcast_ref::<hyper::Error>() {
                parse |= h.is_parse() || h.is_parse_status();
            }
            if let Some(io) = e.downcast_ref::<io::Error>() {
                io_kind = io_kind.or(Some(io.kind()));
                if let Some(inner) = io.get_ref() {
                    cur = Some(inner);
                    continue;
                }
            }
            cur = e.source();
        }
        let text = describe(err);
        let tls = matches!(self.target, Target::Tcp { tls: Some(_), .. });
        if parse {
            return fail(
                Reason::Protocol,
                format!(
                    "{} answers, but not with HTTP ({text}): is this the engine's API port{}",
                    self.endpoint,
                    if tls {
                        ""
                    } else {
                        ", and does it expect TLS (`tls: { ca, cert, key }`)?"
                    }
                ),
            );
        }
        match io_kind {
            Some(io::ErrorKind::ConnectionRefused) => fail(
                Reason::Refused,
                format!(
                    "connection refused ({text}): is the engine (or its TLS/SSH front) listening at {}?",
                    self.endpoint
                ),
            ),
            Some(io::ErrorKind::NotFound) if matches!(self.endpoint, Endpoint::Unix { .. } | Endpoint::NamedPipe { .. }) => {
                fail(Reason::Refused, format!("no such socket ({text})"))
            }
            Some(io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::InvalidData) if tls => {
                fail(
                    Reason::Protocol,
                    format!("the TLS handshake with {} broke off ({text}): does that port speak TLS?", self.endpoint),
                )
            }
            Some(io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset)
                if matches!(self.endpoint, Endpoint::Tcp { .. }) =>
            {
                fail(
                    Reason::Protocol,
                    format!(
                        "{} hung up on a plain HTTP request ({text}): a TLS port? Give `tls: {{ ca, cert, key }}` (or DOCKER_TLS_VERIFY=1)",
                        self.endpoint
                    ),
                )
            }
            Some(io::ErrorKind::TimedOut) => fail(Reason::Unreachable, format!("{} did not answer in time ({text})", self.endpoint)),
            _ if text.contains("failed to lookup") || text.contains("Name or service not known") => fail(
                Reason::Unreachable,
                format!("the host name cannot be resolved ({text})"),
            ),
            _ => fail(Reason::Other, text),
        }
    }

    fn explain_tls(&self, err: &rustls::Error) -> Failure {
        let (ca, cert) = match &self.endpoint {
            Endpoint::Tcp { tls: Some(t), .. } => (path_text(&t.ca), path_text(&t.cert)),
            _ => (String::new(), String::new()),
        };
        let host = match &self.endpoint {
            Endpoint::Tcp { host, .. } => host.as_str(),
            _ => "",
        };
        use rustls::{AlertDescription as A, CertificateError as C, Error as E};
        let detail = match err {
            E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => format!(
                "the engine's certificate is not signed by the CA in {ca} ({err}): use the CA that signed the engine's certificate"
            ),
            E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => format!(
                "the engine's certificate is not valid for the name {host:?} ({err}): connect by a name or address the certificate lists (its subjectAltName), or reissue it"
            ),
            E::InvalidCertificate(C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. }) => {
                format!("the engine's certificate is outside its validity period ({err}): renew it, and check this machine's clock")
            }
            E::InvalidCertificate(_) => format!("the engine's certificate was refused ({err}), checked against the CA in {ca}"),
            E::AlertReceived(A::CertificateRequired | A::HandshakeFailure | A::BadCertificate | A::UnknownCA | A::AccessDenied)
            | E::AlertReceived(A::CertificateUnknown) => format!(
                "the engine refused our client certificate ({err}): it wants a client certificate signed by its CA — check `tls.cert`/`tls.key` (now {cert})"
            ),
            E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
                return fail(
                    Reason::Protocol,
                    format!("{} does not speak TLS ({err}): is this the engine's TLS port?", self.endpoint),
                )
            }
            other => format!("TLS failed ({other})"),
        };
        fail(Reason::Tls, detail)
    }
}

fn path_text(p: &Option<std::path::PathBuf>) -> String {
    p.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "none".into())
}

/// Every message of an error chain, joined.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn explain_ssh(stderr: &str) -> Failure {
    let lower = stderr.to_ascii_lowercase();
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(stderr)
        .trim();
    let (reason, hint) = if lower.contains("permission denied") || lower.contains("too many authentication failures") {
        (
            Reason::Auth,
            "SSH authentication was refused: check the user, and that your key is loaded (ssh-agent) or named in ~/.ssh/config, and listed in the host's authorized_keys",
        )
    } else if lower.contains("host key verification failed") || lower.contains("remote host identification has changed")
    {
        (
            Reason::Auth,
            "the host's SSH key is not known or changed: connect once with `ssh` to check and accept it",
        )
    } else if lower.contains("connection refused") {
        (
            Reason::Refused,
            "nothing accepts SSH there: check the host and port, and that sshd runs",
        )
    } else if lower.contains("could not resolve") || lower.contains("no route") || lower.contains("timed out") {
        (
            Reason::Unreachable,
            "the SSH host cannot be reached: check its name and the network",
        )
    } else if lower.contains("dial-stdio")
        || lower.contains("not found")
        || lower.contains("cannot connect to the docker daemon")
    {
        (
            Reason::Remote,
            "SSH works, but `docker system dial-stdio` failed on the host: it needs the docker CLI on the host's PATH and an engine it can reach",
        )
    } else {
        (Reason::Other, "the ssh client failed")
    };
    fail(reason, format!("{hint} (ssh said: {last})"))
}

/// The `ssh` command line: `POCKET_DOCK_SSH_COMMAND` (e.g. `ssh -F ./ssh_config`)
/// or plain `ssh`, never prompting, then the destination and the far-side command.
fn ssh_argv(user: Option<&str>, host: &str, port: Option<u16>, socket: Option<&str>) -> Vec<String> {
    let base = std::env::var("POCKET_DOCK_SSH_COMMAND")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let mut argv: Vec<String> = base
        .as_deref()
        .unwrap_or("ssh")
        .split_whitespace()
        .map(String::from)
        .collect();
    argv.extend(["-o", "BatchMode=yes", "-T"].map(String::from));
    if let Some(u) = user {
        argv.extend(["-l".to_string(), u.to_string()]);
    }
    if let Some(p) = port {
        argv.extend(["-p".to_string(), p.to_string()]);
    }
    argv.extend(["--".to_string(), host.to_string(), "docker".to_string()]);
    if let Some(s) = socket {
        argv.extend(["-H".to_string(), format!("unix://{s}")]);
    }
    argv.extend(["system".to_string(), "dial-stdio".to_string()]);
    argv
}

fn spawn_ssh(argv: &[String]) -> io::Result<(SshStream, Arc<Mutex<String>>)> {
    let mut child = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                fail(
                    Reason::Other,
                    format!(
                        "cannot start the ssh client `{}` ({e}): install OpenSSH's client",
                        argv[0]
                    ),
                ),
            )
        })?;
    let stderr_text = Arc::new(Mutex::new(String::new()));
    if let Some(mut err) = child.stderr.take() {
        let sink = stderr_text.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().expect("ssh stderr poisoned");
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
                if s.len() > SSH_STDERR_CAP {
                    let cut = s.len() - SSH_STDERR_CAP;
                    let cut = (cut..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(s.len());
                    s.drain(..cut);
                }
            }
        });
    }
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    Ok((SshStream { child, stdin, stdout }, stderr_text))
}

fn server_name(host: &str) -> Result<ServerName<'static>, Failure> {
    ServerName::try_from(host.to_string()).map_err(|e| {
        fail(
            Reason::Tls,
            format!("{host:?} cannot be checked against a certificate: {e}"),
        )
    })
}

/// A rustls client config that trusts only the CA of `files` and presents
/// its client certificate, if any.
fn tls_config(files: &TlsFiles) -> Result<rustls::ClientConfig, Failure> {
    let Some(ca) = &files.ca else {
        return Err(fail(
            Reason::Tls,
            "no CA certificate to check the engine with: give `tls.ca` (or ca.pem in DOCKER_CERT_PATH)",
        ));
    };
    let read_err = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        fail(Reason::Tls, format!("cannot read the {what} {}: {e}", path.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(ca)
        .map_err(|e| read_err("CA certificate", ca, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_err("CA certificate", ca, &e))?;
    if cas.is_empty() {
        return Err(read_err("CA certificate", ca, &"no PEM certificate in it"));
    }
    for c in cas {
        roots.add(c).map_err(|e| read_err("CA certificate", ca, &e))?;
    }
    // ring rather than aws-lc-rs: it builds without cmake. Its provider lacks
    // only the post-quantum key exchange, which engines do not offer anyway.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(Reason::Tls, e.to_string()))?
        .with_root_certificates(roots);
    let mut config = match (&files.cert, &files.key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| read_err("client certificate", cert, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| read_err("client certificate", cert, &e))?;
            let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err("client key", key, &e))?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                fail(
                    Reason::Tls,
                    format!("the client certificate and key do not fit together: {e}"),
                )
            })?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(fail(
                Reason::Tls,
                "a client certificate needs both `tls.cert` and `tls.key`",
            ))
        }
    };
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

/// Adapts a [`Dialer`] to hyper's legacy client, which pools idle connections.
#[derive(Clone)]
pub struct Connector(Arc<Dialer>);

impl tower_service::Service<hyper::Uri> for Connector {
    type Response = TokioIo<Conn>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<Conn>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let dialer = self.0.clone();
        Box::pin(async move { dialer.dial().await.map(TokioIo::new) })
    }
}

/// A pooled hyper client over `dialer`, for bodiless raw requests.
pub type RawClient = hyper_util::client::legacy::Client<Connector, http_body_util::Empty<bytes::Bytes>>;

/// A [`RawClient`] over `dialer`.
pub fn raw_client(dialer: Arc<Dialer>) -> RawClient {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE)
        .build(Connector(dialer))
}

/// A bollard client whose requests go through `dialer`.
pub fn bollard_client(
    dialer: Arc<Dialer>,
    timeout_secs: u64,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE)
        .build(Connector(dialer));
    let client = Arc::new(client);
    Docker::connect_with_custom_transport(
        move |req: BollardRequest| {
            let client = client.clone();
            async move { client.request(req).await.map_err(bollard::errors::Error::from) }
        },
        Some("http://pocket-dock"),
        timeout_secs,
        version,
    )
}

/// What a failed exchange on `conn` means, waiting briefly for an `ssh`
/// client to finish printing why it exited.
pub async fn ssh_stderr_of(handle: &Option<Arc<Mutex<String>>>) -> Option<String> {
    let handle = handle.as_ref()?;
    for _ in 0..30 {
        let text = handle.lock().expect("ssh stderr poisoned").clone();
        if !text.trim().is_empty() {
            // Let the last lines arrive.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Some(handle.lock().expect("ssh stderr poisoned").clone());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

impl Conn {
    /// The `ssh` client's stderr, for an SSH connection.
    pub fn ssh_stderr(&self) -> Option<Arc<Mutex<String>>> {
        self.ssh_stderr.clone()
    }
}
