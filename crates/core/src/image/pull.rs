//! Pulling an image through the engine, with per-layer progress.
//!
//! Docker pulls through `POST /images/create` and reports each layer's bytes;
//! it treats a registry on a loopback address as plain HTTP by itself, and any
//! other plain-HTTP registry only if its daemon lists it in
//! `insecure-registries`. Podman's compat endpoint cannot pull from a
//! plain-HTTP registry at all, so Podman pulls through its own endpoint
//! (`/libpod/images/pull`), which takes `tlsVerify` per request: off for a
//! loopback registry (as Docker does it), or when the caller says so. It
//! reports a status per blob, without byte counts. See `docs/engines.md`.
//!
//! A registry that takes the connection and never answers leaves Podman
//! waiting forever after `Trying to pull …`; Docker gives up by itself. So
//! Podman's pull has a deadline, [`SILENT_REGISTRY`] without a word after
//! that line. Once a blob is being copied there is no deadline (Podman says
//! nothing while it downloads a big layer).

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::CreateImageOptions;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::local::{encode, split_reference};
use super::progress::{OnProgress, Progress};
use crate::engine::{Engine, EngineKind};
use crate::error::{Error, Op, Result};
use crate::validate::{check_image_ref, invalid};

/// How long Podman's pull may wait for the registry's first answer.
pub const SILENT_REGISTRY: std::time::Duration = std::time::Duration::from_secs(30);

/// The longest line of a pull's stream kept, in bytes: a longer one is dropped.
const MAX_PULL_LINE: usize = 64 * 1024;

/// What to do without a reachable registry.
const OFFLINE_HINT: &str = ". Without a reachable registry, move images as a tar: `exportImages()` on a machine that has them, `importImages()` here (CLI: `pocket-dock export` / `pocket-dock import`)";

/// Registry credentials for one pull.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub username: String,
    pub password: String,
}

/// How to pull (the TS `pullImage` options).
#[derive(Debug, Clone, Default)]
pub struct PullSpec {
    pub auth: Option<Auth>,
    /// `None`: verify TLS unless the registry is on a loopback address.
    pub tls_verify: Option<bool>,
}

/// Judges a pull's input, before any engine is reached.
pub fn check(reference: &str, spec: &PullSpec) -> Result<()> {
    check_image_ref(reference, "the image reference")?;
    if let Some(auth) = &spec.auth {
        if auth.username.is_empty() {
            return Err(invalid(
                "`auth.username` must be a non-empty string: pass `auth: { username, password }`",
            ));
        }
    }
    Ok(())
}

/// Pulls `reference` (`name`, `name:tag`, `registry/name@sha256:…`) and
/// returns the image id (`sha256:…`).
pub async fn pull(
    engine: &Engine,
    reference: &str,
    spec: PullSpec,
    cancel: CancellationToken,
    mut progress: impl OnProgress,
) -> Result<String> {
    check(reference, &spec)?;
    let (repo, tag) = split_reference(reference);
    let full = format!("{repo}{}{tag}", if tag.starts_with("sha256:") { "@" } else { ":" });
    let pulled = async {
        match engine.kind() {
            EngineKind::Docker => pull_docker(engine, reference, &repo, &tag, &spec, &mut progress).await,
            EngineKind::Podman => pull_podman(engine, reference, &full, &spec, &mut progress).await,
        }
    };
    tokio::select! {
        r = pulled => r?,
        () = cancel.cancelled() => return Err(Error::Aborted { operation: format!("pulling {reference}") }),
    }
    super::local::image_id(engine, &full).await
}

async fn pull_docker(
    engine: &Engine,
    reference: &str,
    repo: &str,
    tag: &str,
    spec: &PullSpec,
    progress: &mut impl FnMut(Progress),
) -> Result<()> {
    let options = CreateImageOptions {
        from_image: Some(repo.to_string()),
        tag: Some(tag.to_string()),
        ..Default::default()
    };
    let credentials = spec.auth.as_ref().map(|a| DockerCredentials {
        username: Some(a.username.clone()),
        password: Some(a.password.clone()),
        serveraddress: Some(registry_of(repo).to_string()),
        ..Default::default()
    });
    let mut stream = engine.docker().create_image(Some(options), None, credentials);
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| pull_error(reference, e, spec))?;
        let (Some(id), Some(status)) = (info.id, info.status) else {
            continue;
        };
        let detail = info.progress_detail.unwrap_or_default();
        progress(Progress::Layer {
            id,
            status,
            current: detail.current.and_then(|n| u64::try_from(n).ok()),
            total: detail.total.and_then(|n| u64::try_from(n).ok()),
        });
    }
    Ok(())
}

async fn pull_podman(
    engine: &Engine,
    reference: &str,
    full: &str,
    spec: &PullSpec,
    progress: &mut impl FnMut(Progress),
) -> Result<()> {
    use http_body_util::BodyExt;
    let tls_verify = spec.tls_verify.unwrap_or(!is_loopback(registry_of(full)));
    let path = format!(
        "/v4.0.0/libpod/images/pull?reference={}&tlsVerify={tls_verify}&policy=always",
        encode(full)
    );
    let auth_header = spec.auth.as_ref().map(|a| {
        let json = serde_json::json!({
            "username": a.username,
            "password": a.password,
            "serveraddress": registry_of(full),
        });
        base64::engine::general_purpose::URL_SAFE.encode(json.to_string())
    });
    let headers: Vec<(&str, &str)> = auth_header.iter().map(|h| ("X-Registry-Auth", h.as_str())).collect();
    let response = engine
        .raw_request("POST", &path, &headers, Op::Image { image: reference })
        .await
        .map_err(|e| match e {
            Error::SocketCommunication { detail } => classify(reference, detail, spec),
            other => other,
        })?;
    let mut body = response.into_body();
    let mut lines = Lines::default();
    // Until the registry has said something, the pull has a deadline.
    let mut waiting = true;
    loop {
        let next = if waiting {
            match tokio::time::timeout(SILENT_REGISTRY, body.frame()).await {
                Ok(next) => next,
                Err(_) => {
                    return Err(classify(
                        reference,
                        format!(
                            "the registry {} did not answer within {} s: is it up, and is this its address?",
                            registry_of(full),
                            SILENT_REGISTRY.as_secs()
                        ),
                        spec,
                    ))
                }
            }
        } else {
            body.frame().await
        };
        let Some(frame) = next else { break };
        let frame = frame.map_err(|e| Error::SocketCommunication {
            detail: format!("the pull's answer broke off: {e}"),
        })?;
        let Some(data) = frame.data_ref() else { continue };
        for line in lines.push(data) {
            if let Some(event) = podman_line(&line).map_err(|detail| classify(reference, detail, spec))? {
                if !matches!(&event, Progress::Layer { status, .. } if status.starts_with("Trying to pull")) {
                    waiting = false;
                }
                progress(event);
            }
        }
    }
    let partial = lines.rest();
    match podman_line(&partial) {
        Ok(Some(event)) => progress(event),
        Ok(None) => {}
        Err(detail) => return Err(classify(reference, detail, spec)),
    }
    Ok(())
}

/// A byte stream cut into lines; a line longer than [`MAX_PULL_LINE`] is
/// dropped whole, so memory stays bounded whatever the engine sends.
#[derive(Debug, Default)]
struct Lines {
    partial: Vec<u8>,
    /// A line was too long and is dropped up to its newline.
    skipping: bool,
}

impl Lines {
    /// The complete lines `data` ends.
    fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        let mut done = Vec::new();
        self.partial.extend_from_slice(data);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            if !std::mem::take(&mut self.skipping) {
                done.push(line);
            }
        }
        if self.partial.len() > MAX_PULL_LINE {
            self.partial.clear();
            self.skipping = true;
        }
        done
    }

    /// What is left after the last newline (nothing if it was too long).
    fn rest(self) -> Vec<u8> {
        if self.skipping {
            Vec::new()
        } else {
            self.partial
        }
    }
}

/// One line of Podman's pull stream: `{"stream":"Copying blob sha256:…\n"}`,
/// `{"error":"…"}`, or the final `{"images":[…],"id":"…"}`.
fn podman_line(line: &[u8]) -> std::result::Result<Option<Progress>, String> {
    #[derive(serde::Deserialize)]
    struct Line {
        stream: Option<String>,
        error: Option<String>,
    }
    let Ok(parsed) = serde_json::from_slice::<Line>(line) else {
        return Ok(None);
    };
    if let Some(e) = parsed.error.filter(|e| !e.is_empty()) {
        return Err(e);
    }
    let Some(text) = parsed.stream else { return Ok(None) };
    let text = text.trim();
    // "Copying blob sha256:ab12…", "Copying config sha256:…", "Writing manifest to image destination".
    let (status, id) = match text.rsplit_once(' ') {
        Some((status, id))
            if id.starts_with("sha256:") || id.len() >= 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            let hex = id.trim_start_matches("sha256:");
            (status.to_string(), hex[..hex.len().min(12)].to_string())
        }
        _ => (text.to_string(), String::new()),
    };
    if status.is_empty() {
        return Ok(None);
    }
    Ok(Some(Progress::Layer {
        id,
        status,
        current: None,
        total: None,
    }))
}

fn pull_error(reference: &str, e: bollard::errors::Error, spec: &PullSpec) -> Error {
    match e {
        bollard::errors::Error::DockerStreamError { error } => classify(reference, error, spec),
        bollard::errors::Error::DockerResponseServerError { message, status_code } => {
            match Error::from_engine(
                bollard::errors::Error::DockerResponseServerError {
                    status_code,
                    message: message.clone(),
                },
                Op::Image { image: reference },
            ) {
                e @ Error::InvalidArgument(_) => e,
                _ => classify(reference, message, spec),
            }
        }
        other => Error::from_engine(other, Op::Image { image: reference }),
    }
}

/// What a registry's refusal means for the user: the image is not there, the
/// credentials are wrong, or the registry cannot be reached.
fn classify(reference: &str, detail: String, spec: &PullSpec) -> Error {
    let lower = detail.to_ascii_lowercase();
    let image = reference.to_string();
    if lower.contains("manifest unknown")
        || lower.contains("not found: manifest")
        || lower.contains("manifest for") && lower.contains("not found")
        || lower.contains("name unknown")
    {
        return Error::ImageNotFound { image, detail };
    }
    let hint = if lower.contains("unauthorized")
        || lower.contains("authentication required")
        || lower.contains("no basic auth credentials")
        || lower.contains("denied")
    {
        if spec.auth.is_some() {
            " (the registry refused these credentials)"
        } else {
            " (the registry wants credentials: pass `auth: { username, password }`)"
        }
    } else if lower.contains("http response to https client") {
        " (the registry speaks plain HTTP: pass `tlsVerify: false`; Docker also needs it in the daemon's `insecure-registries`)"
    } else if unreachable(&lower) {
        OFFLINE_HINT
    } else {
        ""
    };
    Error::ImagePull {
        image,
        detail: format!("{detail}{hint}"),
    }
}

/// Whether an engine's pull error says the registry could not be reached.
fn unreachable(lower: &str) -> bool {
    [
        "connection refused",
        "no such host",
        "network is unreachable",
        "no route to host",
        "i/o timeout",
        "timeout",
        "timed out",
        "did not answer",
        "connection reset",
        "eof",
        "dial tcp",
        "server misbehaving",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

/// The registry host of a repository, as the engines read it: the first
/// component when it looks like a host (`127.0.0.1:5000/x`, `localhost/x`,
/// `ghcr.io/x`), else Docker Hub.
fn registry_of(repo: &str) -> &str {
    match repo.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// Whether a registry host (with or without a port) is on a loopback address.
pub(crate) fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_without_a_tag_means_latest_and_a_port_is_no_tag() {
        assert_eq!(split_reference("busybox"), ("busybox".into(), "latest".into()));
        assert_eq!(
            split_reference("127.0.0.1:5000/x/y"),
            ("127.0.0.1:5000/x/y".into(), "latest".into())
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/x/y:1"),
            ("127.0.0.1:5000/x/y".into(), "1".into())
        );
        assert_eq!(split_reference("a@sha256:ab"), ("a".into(), "sha256:ab".into()));
    }

    #[test]
    fn loopback_registries_are_recognised() {
        for host in [
            "127.0.0.1:5000",
            "localhost:5000",
            "localhost",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["registry.example:5000", "10.0.0.1:5000", "docker.io"] {
            assert!(!is_loopback(host), "{host}");
        }
        assert_eq!(registry_of("127.0.0.1:5000/x/y"), "127.0.0.1:5000");
        assert_eq!(registry_of("library/busybox"), "docker.io");
    }

    #[test]
    fn podman_stream_lines_become_layer_events_or_errors() {
        let blob = podman_line(br#"{"stream":"Copying blob sha256:0123456789abcdef0123\n"}"#).unwrap();
        assert_eq!(
            blob,
            Some(Progress::Layer {
                id: "0123456789ab".into(),
                status: "Copying blob".into(),
                current: None,
                total: None
            })
        );
        assert!(podman_line(br#"{"error":"initializing source: connection refused"}"#).is_err());
        assert_eq!(podman_line(br#"{"images":["x"],"id":"abc"}"#).unwrap(), None);
    }

    #[test]
    fn pull_stream_lines_are_bounded() {
        let mut lines = Lines::default();
        assert_eq!(lines.push(b"a\nb"), vec![b"a\n".to_vec()]);
        assert!(lines.push(&vec![b'x'; MAX_PULL_LINE + 10]).is_empty());
        assert!(lines.partial.is_empty(), "the long line is not kept");
        assert_eq!(lines.push(b"xx\nc\nd"), vec![b"c\n".to_vec()]);
        assert_eq!(lines.rest(), b"d".to_vec());
    }

    #[test]
    fn registry_refusals_are_classified() {
        let spec = PullSpec::default();
        assert_eq!(
            classify("x", "manifest unknown: manifest unknown".into(), &spec).code(),
            "IMAGE_NOT_FOUND"
        );
        let auth = classify("x", "unauthorized: authentication required".into(), &spec);
        assert_eq!(auth.code(), "IMAGE_PULL_FAILED");
        assert!(auth.to_string().contains("pass `auth"), "{auth}");
        let down = classify(
            "x",
            "dial tcp 127.0.0.1:5999: connect: connection refused".into(),
            &spec,
        );
        assert!(down.to_string().contains("importImages"), "{down}");
        let docker_auth = classify("x", "Head \"…\": no basic auth credentials".into(), &spec);
        assert!(docker_auth.to_string().contains("pass `auth"), "{docker_auth}");
        assert!(!auth.to_string().contains("importImages"), "{auth}");
    }
}
