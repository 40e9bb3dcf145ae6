//! What an engine address means: parsing `host` strings (`unix://`, a plain
//! socket path, `tcp://`, `ssh://`, `npipe://`), the TLS material that goes
//! with a TCP host, and reading the environment the way the docker CLI does
//! (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `DOCKER_CONTEXT`
//! and the current context of `~/.docker/config.json`). Pure: no I/O but
//! reading those files; connecting is `transport`'s job. See `docs/remote.md`.
//!
//! A host string carries its TLS options as query parameters, so one string
//! names one engine end to end (the TS layer builds them from `tls: { ca,
//! cert, key }` and `allowInsecure`): `tcp://h:2376?tlsca=…&tlscert=…&tlskey=…`,
//! `tcp://127.0.0.1:2375?insecure=1`.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The TLS files of a TCP endpoint (PEM). Without `ca`, nothing is trusted:
/// pocket-dock never falls back to the system's web roots for an engine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// One engine address, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket on this machine.
    Unix { path: String },
    /// A Windows named pipe, e.g. `//./pipe/docker_engine`.
    NamedPipe { path: String },
    /// TCP, with TLS unless `tls` is `None` (then only loopback, or `insecure`).
    Tcp {
        host: String,
        port: u16,
        tls: Option<TlsFiles>,
        insecure: bool,
    },
    /// The system `ssh` client running `docker system dial-stdio` on the far side.
    Ssh {
        user: Option<String>,
        host: String,
        port: Option<u16>,
        /// The engine socket on the far side (`ssh://h/run/podman/podman.sock`);
        /// without it, the far side's docker CLI default.
        socket: Option<String>,
    },
}

impl Endpoint {
    /// Parses a host string. A string without a scheme is a Unix socket path.
    pub fn parse(s: &str) -> Result<Endpoint> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "host {s:?} is not valid: {why}. Use unix:///path/to.sock, tcp://host:2376, ssh://user@host[:port] or npipe:////./pipe/name"
            ))
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Ok(Endpoint::Unix { path: s.to_string() });
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        match scheme {
            "unix" => {
                if rest.is_empty() {
                    return Err(bad("no socket path"));
                }
                Ok(Endpoint::Unix { path: rest.to_string() })
            }
            "npipe" => {
                let path = rest.replace('\\', "/");
                if path.is_empty() {
                    return Err(bad("no pipe name"));
                }
                // `npipe:////./pipe/x` and `npipe://./pipe/x` both name `//./pipe/x`.
                let path = format!("//{}", path.trim_start_matches('/'));
                Ok(Endpoint::NamedPipe { path })
            }
            "tcp" | "https" | "http" => {
                let authority = rest.trim_end_matches('/');
                let (host, port) = split_host_port(authority).ok_or_else(|| bad("no host"))?;
                let port = match port {
                    Some(p) => p
                        .parse::<u16>()
                        .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
                    None if scheme == "http" => 2375,
                    None => 2376,
                };
                let mut tls = TlsFiles::default();
                let mut has_tls = scheme == "https";
                let mut insecure = false;
                for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = percent_decode(v).ok_or_else(|| bad("a query value is not valid percent-encoding"))?;
                    match k {
                        "tlsca" if v.is_empty() => {}
                        "tlsca" => tls.ca = Some(v.into()),
                        "tlscert" => tls.cert = Some(v.into()),
                        "tlskey" => tls.key = Some(v.into()),
                        "insecure" => insecure = v == "1" || v == "true",
                        other => return Err(bad(&format!("unknown option {other:?}"))),
                    }
                    has_tls |= k.starts_with("tls");
                }
                Ok(Endpoint::Tcp {
                    host: host.to_string(),
                    port,
                    tls: has_tls.then_some(tls),
                    insecure,
                })
            }
            "ssh" => {
                let (authority, socket) = match rest.find('/') {
                    Some(i) if rest.len() > i + 1 => (&rest[..i], Some(rest[i..].to_string())),
                    Some(i) => (&rest[..i], None),
                    None => (rest, None),
                };
                let (user, hostport) = match authority.rsplit_once('@') {
                    Some((u, h)) => (Some(u.to_string()), h),
                    None => (None, authority),
                };
                let (host, port) = split_host_port(hostport).ok_or_else(|| bad("no host"))?;
                let port = port
                    .map(|p| {
                        p.parse::<u16>()
                            .map_err(|_| bad("the port is not a number from 1 to 65535"))
                    })
                    .transpose()?;
                Ok(Endpoint::Ssh {
                    user,
                    host: host.to_string(),
                    port,
                    socket,
                })
            }
            other => Err(bad(&format!("unknown scheme {other:?}"))),
        }
    }

    /// Whether this is an address on this machine only (a socket, a pipe, or
    /// TCP to a loopback address).
    pub fn is_local(&self) -> bool {
        match self {
            Endpoint::Unix { .. } | Endpoint::NamedPipe { .. } => true,
            Endpoint::Tcp { host, .. } => is_loopback(host),
            Endpoint::Ssh { .. } => false,
        }
    }

    /// Refuses plain TCP to anything but loopback unless `insecure` was asked
    /// for: the engine API is root on its host.
    pub fn check(&self) -> Result<()> {
        if let Endpoint::Tcp {
            host,
            tls: None,
            insecure: false,
            ..
        } = self
        {
            if !is_loopback(host) {
                return Err(Error::InvalidArgument(format!(
                    "plain TCP to {host} would send the engine API (root on that host) unencrypted and unauthenticated. Use TLS (`tls: {{ ca, cert, key }}` or DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH) or ssh://, or pass `allowInsecure: true` if you really mean it"
                )));
            }
        }
        Ok(())
    }
}

impl Endpoint {
    /// The host string that names this endpoint with everything needed to
    /// connect (TLS files as query parameters); [`Endpoint::parse`] reads it back.
    pub fn spec(&self) -> String {
        match self {
            Endpoint::Tcp { tls, insecure, .. } => {
                let mut query = Vec::new();
                if let Some(t) = tls {
                    for (k, v) in [("tlsca", &t.ca), ("tlscert", &t.cert), ("tlskey", &t.key)] {
                        if let Some(p) = v {
                            query.push(format!("{k}={}", percent_encode(&p.to_string_lossy())));
                        }
                    }
                    if query.is_empty() {
                        // TLS asked for, with no files: keep asking for it.
                        query.push("tlsca=".into());
                    }
                }
                if *insecure {
                    query.push("insecure=1".into());
                }
                if query.is_empty() {
                    self.to_string()
                } else {
                    format!("{self}?{}", query.join("&"))
                }
            }
            Endpoint::Unix { path } => path.clone(),
            other => other.to_string(),
        }
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The address as a person reads it: no TLS file paths.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix { path } => write!(f, "unix://{path}"),
            Endpoint::NamedPipe { path } => write!(f, "npipe://{path}"),
            Endpoint::Tcp { host, port, .. } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Endpoint::Tcp { host, port, .. } => write!(f, "tcp://{host}:{port}"),
            Endpoint::Ssh {
                user,
                host,
                port,
                socket,
            } => {
                write!(f, "ssh://")?;
                if let Some(u) = user {
                    write!(f, "{u}@")?;
                }
                write!(f, "{host}")?;
                if let Some(p) = port {
                    write!(f, ":{p}")?;
                }
                if let Some(s) = socket {
                    write!(f, "{s}")?;
                }
                Ok(())
            }
        }
    }
}

/// `host:port`, `[v6]:port`, or a bare host.
fn split_host_port(s: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':');
        return (!host.is_empty()).then_some((host, port));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (s, None),
    };
    (!host.is_empty()).then_some((host, port))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The part of the process environment discovery reads, gathered once so the
/// rules can be tested without touching the real environment.
#[derive(Debug, Default, Clone)]
pub struct Env {
    pub docker_host: Option<String>,
    pub docker_tls_verify: Option<String>,
    pub docker_cert_path: Option<String>,
    pub docker_context: Option<String>,
    /// `DOCKER_CONFIG`, else `$HOME/.docker`.
    pub docker_config_dir: Option<PathBuf>,
}

impl Env {
    /// Reads the real environment.
    pub fn from_process() -> Env {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let home = var("HOME").or_else(|| var("USERPROFILE"));
        Env {
            docker_host: var("DOCKER_HOST"),
            docker_tls_verify: var("DOCKER_TLS_VERIFY"),
            docker_cert_path: var("DOCKER_CERT_PATH"),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config_dir: var("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| home.map(|h| Path::new(&h).join(".docker"))),
        }
    }

    /// `DOCKER_HOST` with the TLS the docker CLI would use for it: with
    /// `DOCKER_TLS_VERIFY` set (to anything but empty or `0`), the `ca.pem`,
    /// `cert.pem` and `key.pem` of `DOCKER_CERT_PATH` (default `~/.docker`).
    pub fn docker_host(&self) -> Option<Result<Endpoint>> {
        let host = self.docker_host.as_deref()?;
        Some(Endpoint::parse(host).map(|e| self.with_env_tls(e)))
    }

    fn with_env_tls(&self, e: Endpoint) -> Endpoint {
        let verify = self.docker_tls_verify.as_deref().is_some_and(|v| v != "0");
        match e {
            Endpoint::Tcp {
                host, port, insecure, ..
            } if verify => {
                let dir = self
                    .docker_cert_path
                    .as_ref()
                    .map(PathBuf::from)
                    .or_else(|| self.docker_config_dir.clone())
                    .unwrap_or_default();
                Endpoint::Tcp {
                    host,
                    port,
                    insecure,
                    tls: Some(TlsFiles {
                        ca: Some(dir.join("ca.pem")),
                        cert: Some(dir.join("cert.pem")),
                        key: Some(dir.join("key.pem")),
                    }),
                }
            }
            other => other,
        }
    }

    /// The Docker context to use: `DOCKER_CONTEXT`, else `currentContext` of
    /// `config.json`; `default` means none (the CLI's own default endpoint).
    /// Returns the context's name and endpoint; a named context that cannot be
    /// read is an error that says which file.
    pub fn docker_context(&self) -> Option<Result<(String, Endpoint)>> {
        let dir = self.docker_config_dir.as_ref()?;
        let name = match &self.docker_context {
            Some(n) => n.clone(),
            None => {
                let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
                let value: serde_json::Value = serde_json::from_str(&text).ok()?;
                value.get("currentContext")?.as_str()?.to_string()
            }
        };
        if name.is_empty() || name == "default" {
            return None;
        }
        Some(read_context(dir, &name).map(|e| (name, e)))
    }
}

/// Reads context `name` under the docker config dir `dir`: its endpoint from
/// `contexts/meta/<sha256(name)>/meta.json`, its TLS files from
/// `contexts/tls/<sha256(name)>/docker/`.
pub fn read_context(dir: &Path, name: &str) -> Result<Endpoint> {
    let id = hex(&Sha256::digest(name.as_bytes()));
    let meta_path = dir.join("contexts").join("meta").join(&id).join("meta.json");
    let unreadable = |why: String| {
        Error::InvalidArgument(format!(
            "Docker context {name:?} cannot be used: {why} ({}). Check `docker context ls`, or unset DOCKER_CONTEXT",
            meta_path.display()
        ))
    };
    let text = std::fs::read_to_string(&meta_path).map_err(|e| unreadable(e.to_string()))?;
    let meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    let docker = meta
        .pointer("/Endpoints/docker")
        .ok_or_else(|| unreadable("it has no docker endpoint".into()))?;
    let host = docker
        .get("Host")
        .and_then(|h| h.as_str())
        .ok_or_else(|| unreadable("its docker endpoint has no Host".into()))?;
    let skip_verify = docker.get("SkipTLSVerify").and_then(|v| v.as_bool()).unwrap_or(false);
    let endpoint = Endpoint::parse(host)?;
    let tls_dir = dir.join("contexts").join("tls").join(&id).join("docker");
    Ok(match endpoint {
        Endpoint::Tcp { host, port, .. } if tls_dir.is_dir() => {
            let file = |f: &str| Some(tls_dir.join(f)).filter(|p| p.exists());
            Endpoint::Tcp {
                host,
                port,
                insecure: skip_verify,
                tls: Some(TlsFiles {
                    ca: file("ca.pem"),
                    cert: file("cert.pem"),
                    key: file("key.pem"),
                }),
            }
        }
        other => other,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        assert_eq!(
            Endpoint::parse("/var/run/docker.sock").unwrap(),
            Endpoint::Unix {
                path: "/var/run/docker.sock".into()
            }
        );
        assert_eq!(
            Endpoint::parse("unix:///run/podman/podman.sock").unwrap(),
            Endpoint::Unix {
                path: "/run/podman/podman.sock".into()
            }
        );
        assert_eq!(
            Endpoint::parse("npipe:////./pipe/docker_engine").unwrap(),
            Endpoint::NamedPipe {
                path: "//./pipe/docker_engine".into()
            }
        );
        assert_eq!(
            Endpoint::parse("tcp://10.0.0.5:2376?tlsca=%2Fc%20a.pem&tlscert=/c.pem&tlskey=/k.pem").unwrap(),
            Endpoint::Tcp {
                host: "10.0.0.5".into(),
                port: 2376,
                insecure: false,
                tls: Some(TlsFiles {
                    ca: Some("/c a.pem".into()),
                    cert: Some("/c.pem".into()),
                    key: Some("/k.pem".into()),
                }),
            }
        );
        assert_eq!(
            Endpoint::parse("ssh://root@127.0.0.1:2222").unwrap(),
            Endpoint::Ssh {
                user: Some("root".into()),
                host: "127.0.0.1".into(),
                port: Some(2222),
                socket: None,
            }
        );
        assert_eq!(
            Endpoint::parse("ssh://h/run/podman/podman.sock").unwrap().to_string(),
            "ssh://h/run/podman/podman.sock"
        );
        assert_eq!(Endpoint::parse("ssh://box").unwrap().to_string(), "ssh://box");
        assert_eq!(
            Endpoint::parse("tcp://[::1]:2375").unwrap().to_string(),
            "tcp://[::1]:2375"
        );
        for bad in ["", "ftp://x", "tcp://:1", "tcp://h:99999", "tcp://h:1?what=1"] {
            assert!(matches!(Endpoint::parse(bad), Err(Error::InvalidArgument(_))), "{bad}");
        }
    }

    #[test]
    fn spec_round_trips() {
        for s in [
            "/var/run/docker.sock",
            "tcp://h:2376?tlsca=/a%20b/ca.pem&tlscert=/c.pem&tlskey=/k.pem",
            "tcp://10.0.0.1:2375?insecure=1",
            "ssh://u@h:22",
        ] {
            let e = Endpoint::parse(s).unwrap();
            assert_eq!(Endpoint::parse(&e.spec()).unwrap(), e, "{s}");
        }
    }

    #[test]
    fn plain_tcp_only_to_loopback_unless_insecure() {
        assert!(Endpoint::parse("tcp://127.0.0.1:2375").unwrap().check().is_ok());
        assert!(Endpoint::parse("tcp://localhost:2375").unwrap().check().is_ok());
        let err = Endpoint::parse("tcp://10.1.2.3:2375").unwrap().check().unwrap_err();
        assert!(err.to_string().contains("allowInsecure"), "{err}");
        assert!(Endpoint::parse("tcp://10.1.2.3:2375?insecure=1")
            .unwrap()
            .check()
            .is_ok());
        assert!(Endpoint::parse("tcp://10.1.2.3:2376?tlsca=/a").unwrap().check().is_ok());
    }

    #[test]
    fn docker_tls_verify_takes_the_cert_path_files() {
        let env = Env {
            docker_host: Some("tcp://h:2376".into()),
            docker_tls_verify: Some("1".into()),
            docker_cert_path: Some("/certs".into()),
            ..Default::default()
        };
        let Endpoint::Tcp { tls: Some(tls), .. } = env.docker_host().unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(tls.ca, Some("/certs/ca.pem".into()));
        assert_eq!(tls.key, Some("/certs/key.pem".into()));
        let plain = Env {
            docker_host: Some("tcp://h:2376".into()),
            docker_tls_verify: Some("0".into()),
            ..Default::default()
        };
        assert!(matches!(
            plain.docker_host().unwrap().unwrap(),
            Endpoint::Tcp { tls: None, .. }
        ));
    }

    #[test]
    fn reads_the_current_docker_context() {
        let dir = std::env::temp_dir().join(format!("pd-ctx-test-{}", std::process::id()));
        let id = hex(&Sha256::digest(b"remote"));
        let meta = dir.join("contexts/meta").join(&id);
        let tls = dir.join("contexts/tls").join(&id).join("docker");
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2376","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();
        std::fs::write(dir.join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        let env = Env {
            docker_config_dir: Some(dir.clone()),
            ..Default::default()
        };
        let (name, e) = env.docker_context().unwrap().unwrap();
        assert_eq!(name, "remote");
        let Endpoint::Tcp { tls: Some(files), .. } = e else {
            panic!()
        };
        assert_eq!(files.ca, Some(tls.join("ca.pem")));
        assert_eq!(files.cert, None);
        let named = Env {
            docker_context: Some("missing".into()),
            docker_config_dir: Some(dir.clone()),
            ..Default::default()
        };
        let err = named.docker_context().unwrap().unwrap_err();
        assert!(err.to_string().contains("\"missing\""), "{err}");
        let default = Env {
            docker_context: Some("default".into()),
            docker_config_dir: Some(dir.clone()),
            ..Default::default()
        };
        assert!(default.docker_context().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
