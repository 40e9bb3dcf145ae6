//! The one error type of pocket-dock, and the only place where engine (bollard)
//! failures are turned into named errors.
//!
//! Docker and Podman answer the same situation differently (a name conflict is a
//! 409 on Docker and a 500 "already in use" on Podman; a command in a stopped
//! container is a 409 on Docker and a 500 "container state improper" on Podman).
//! [`Error::from_engine`] folds those differences, using an [`Op`] that says what
//! the failed call was about, so callers never look at status codes.

use bollard::errors::Error as BollardError;

/// Every failure the core reports. Each variant has a stable [`Error::code`] that
/// the JS layer turns into the matching exported error class.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The socket exists (or was named) but nothing usable answers on it.
    #[error("cannot connect to the container engine at {socket_path}: {detail}. Is the engine running? Start it (e.g. `systemctl start docker` or `podman system service --time=0 unix://{socket_path}`) or pass another `socketPath`.")]
    SocketConnection { socket_path: String, detail: String },

    /// The engine answered, then the conversation broke (dropped connection,
    /// malformed answer, no answer in time).
    #[error("the container engine stopped answering properly: {detail}. Check that it is still running.")]
    SocketCommunication { detail: String },

    /// No candidate socket answered a ping.
    #[error("no container engine answered. Tried: {}. Start one — Podman: `podman system service --time=0 unix:///run/podman/podman.sock` (or `systemctl --user start podman.socket` rootless); Docker: `systemctl start docker` (or `dockerd &`) — or set POCKET_DOCK_SOCKET / pass `socketPath`.", tried.join("; "))]
    PodmanNotRunning { tried: Vec<String> },

    /// A container-level failure that has no more specific kind (e.g. a name
    /// already in use).
    #[error("container {container_id}: {detail}")]
    Container { container_id: String, detail: String },

    /// No container with this name or id exists.
    #[error("no container named {container_id}: {detail}. `listContainers()` shows the ones pocket-dock manages.")]
    ContainerNotFound { container_id: String, detail: String },

    /// The container exists but is stopped (or paused), so it cannot run commands.
    #[error(
        "container {container_id} is not running: {detail}. Resume it with `resumeContainer()` or create a new one."
    )]
    ContainerNotRunning { container_id: String, detail: String },

    /// The container this handle refers to was removed behind our back.
    #[error("container {container_id} is gone (removed outside this handle): {detail}")]
    ContainerGone { container_id: String, detail: String },

    /// A path inside the container does not exist.
    #[error("no such file or directory in container {container_id}: {path}")]
    FileNotFound { container_id: String, path: String },

    /// A file was expected at a path inside the container, and a directory is there.
    #[error("{path} in container {container_id} is a directory, not a file")]
    IsADirectory { container_id: String, path: String },

    /// A directory was expected at a path inside the container, and something else is there.
    #[error("{path} in container {container_id} is not a directory")]
    NotADirectory { container_id: String, path: String },

    /// The image is not present on the engine (or not in the registry asked).
    #[error(
        "image {image} is not present on the engine: {detail}. {}",
        missing_image_hint(image)
    )]
    ImageNotFound { image: String, detail: String },

    /// An image build failed: the engine's own error, and where.
    #[error("building image {image} failed{}: {detail}", step_text(*step, instruction))]
    ImageBuild {
        image: String,
        detail: String,
        /// The failing step, counted from 1, when the engine said which.
        step: Option<u32>,
        /// That step's instruction, e.g. `RUN make`.
        instruction: Option<String>,
        /// The last lines the build printed before it failed.
        log_tail: Vec<String>,
    },

    /// A pull could not be done: the registry is unreachable, refused the
    /// credentials, or answered with an error.
    #[error("pulling image {image} failed: {detail}. Without a reachable registry, move images as a tar: `exportImages()` on a machine that has them, `importImages()` here (CLI: `pocket-dock export` / `pocket-dock import`).")]
    ImagePull { image: String, detail: String },

    /// An `AbortSignal` stopped the operation (becomes the JS `AbortError`).
    #[error("the operation was aborted: {operation}")]
    Aborted { operation: String },

    /// A session was used after `close()`.
    #[error("the session is closed: {detail}")]
    SessionClosed { detail: String },

    /// A detached process's stdin was written to after `closeStdin()`, after
    /// the process ended, or without `stdin: 'pipe'`.
    #[error("the process's stdin is closed: {detail}")]
    StdinClosed { detail: String },

    /// A wait (`waitForPort`) ran out of time.
    #[error("timed out: {detail}")]
    Timeout { detail: String },

    /// A project-only operation was called outside a project.
    #[error("not inside a pocket-dock project: {detail}. Run `pocket-dock init` first.")]
    ProjectNotInitialized { detail: String },

    /// A malformed project or user config file: bad YAML, a wrong type, an
    /// unknown key or a bad value, with where it is.
    #[error("{file}{}: {}{detail}. Fix the file: the keys and their types are in pocket-dock's docs/projects.md.", line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default())]
    ProjectConfig {
        file: String,
        line: Option<u32>,
        key: Option<String>,
        detail: String,
    },

    /// A project file or directory that cannot be read or written.
    #[error("project files at {path}: {detail}")]
    Project { path: String, detail: String },

    /// Bad input of the wrong kind or shape (becomes a JS `TypeError`).
    #[error("{0}")]
    InvalidArgument(String),

    /// Bad input outside its allowed range (becomes a JS `RangeError`).
    #[error("{0}")]
    OutOfRange(String),
}

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What an engine call was about: decides how a 404, 409 or 500 reads.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    /// Talking to the engine itself (ping, version).
    Engine { socket_path: &'a str },
    /// Creating a container from `image`, named `name`.
    Create { image: &'a str, name: &'a str },
    /// Looking a container up by a name the user gave: a 404 means "not found".
    Lookup { container: &'a str },
    /// Acting on a container this handle created or resumed: a 404 means "gone".
    Handle { container: &'a str },
    /// Working with a path inside a container this handle owns: a 404 that is
    /// not about the container means the path is missing.
    Path { container: &'a str, path: &'a str },
    /// Working with an image by name.
    Image { image: &'a str },
}

impl Error {
    /// The stable code of this error, shared with the JS error classes.
    pub fn code(&self) -> &'static str {
        match self {
            Error::SocketConnection { .. } => "SOCKET_CONNECTION_ERROR",
            Error::SocketCommunication { .. } => "SOCKET_COMMUNICATION_ERROR",
            Error::PodmanNotRunning { .. } => "PODMAN_NOT_RUNNING",
            Error::Container { .. } => "CONTAINER_ERROR",
            Error::ContainerNotFound { .. } => "CONTAINER_NOT_FOUND",
            Error::ContainerNotRunning { .. } => "CONTAINER_NOT_RUNNING",
            Error::ContainerGone { .. } => "CONTAINER_GONE",
            Error::FileNotFound { .. } => "ENOENT",
            Error::IsADirectory { .. } => "EISDIR",
            Error::NotADirectory { .. } => "ENOTDIR",
            Error::ImageNotFound { .. } => "IMAGE_NOT_FOUND",
            Error::ImageBuild { .. } => "BUILD_FAILED",
            Error::ImagePull { .. } => "IMAGE_PULL_FAILED",
            Error::Aborted { .. } => "ABORT_ERR",
            Error::SessionClosed { .. } => "SESSION_CLOSED",
            Error::StdinClosed { .. } => "STDIN_CLOSED",
            Error::Timeout { .. } => "ETIMEDOUT",
            Error::ProjectNotInitialized { .. } => "PROJECT_NOT_INITIALIZED",
            Error::ProjectConfig { .. } => "PROJECT_CONFIG_ERROR",
            Error::Project { .. } => "PROJECT_ERROR",
            Error::InvalidArgument(_) => "ERR_INVALID_ARG_VALUE",
            Error::OutOfRange(_) => "ERR_OUT_OF_RANGE",
        }
    }

    /// Maps the outcome of a state change (start, stop) for `op`. Engines
    /// answer 304 Not Modified to starting a running container or stopping a
    /// stopped one: the state asked for holds, so that is success.
    pub fn from_state_change(result: std::result::Result<(), BollardError>, op: Op<'_>) -> Result<()> {
        match result {
            Ok(()) | Err(BollardError::DockerResponseServerError { status_code: 304, .. }) => Ok(()),
            Err(e) => Err(Error::from_engine(e, op)),
        }
    }

    /// Maps a failed engine call to a named error. The only place that reads
    /// engine status codes and messages.
    pub fn from_engine(err: BollardError, op: Op<'_>) -> Error {
        let (status, message) = match err {
            BollardError::DockerResponseServerError { status_code, message } => (status_code, message),
            BollardError::RequestTimeoutError => {
                return Error::SocketCommunication {
                    detail: "the engine did not answer in time".into(),
                }
            }
            BollardError::SocketNotFoundError(path) => {
                return Error::SocketConnection {
                    socket_path: path,
                    detail: "no such socket".into(),
                }
            }
            BollardError::HyperLegacyError { .. } | BollardError::IOError { .. } => {
                let detail = describe_chain(&err);
                return match op {
                    Op::Engine { socket_path } => Error::SocketConnection {
                        socket_path: socket_path.to_string(),
                        detail,
                    },
                    _ => Error::SocketCommunication { detail },
                };
            }
            other => {
                return Error::SocketCommunication {
                    detail: describe_chain(&other),
                }
            }
        };
        let message = engine_message(message);
        let lower = message.to_ascii_lowercase();
        if let Some(e) = bad_input(&lower, &message) {
            return e;
        }
        // Podman answers 500 for an exec whose container was removed:
        // "... does not exist in database: no such container".
        let no_such_container = lower.contains("no such container") || lower.contains("no container with");
        let not_running = lower.contains("is not running")
            || lower.contains("state improper")
            || lower.contains("is paused")
            || lower.contains("is restarting");
        match (op, status) {
            (Op::Create { image, .. }, 404) => Error::ImageNotFound {
                image: image.to_string(),
                detail: message,
            },
            (Op::Create { name, .. }, 409) | (Op::Create { name, .. }, 500)
                if lower.contains("already in use") || status == 409 =>
            {
                Error::Container {
                    container_id: name.to_string(),
                    detail: message,
                }
            }
            (Op::Path { container, path }, 404) => {
                if lower.contains("no such container") || lower.contains("no container with") {
                    Error::ContainerGone {
                        container_id: container.to_string(),
                        detail: message,
                    }
                } else {
                    Error::FileNotFound {
                        container_id: container.to_string(),
                        path: path.to_string(),
                    }
                }
            }
            (Op::Path { container, .. }, 409 | 500) if not_running => Error::ContainerNotRunning {
                container_id: container.to_string(),
                detail: message,
            },
            (Op::Image { image }, 404) => Error::ImageNotFound {
                image: image.to_string(),
                detail: message,
            },
            // Docker: 409 "conflict: unable to remove repository reference … is
            // being used by …"; Podman: 500 "… image is in use by a container".
            (Op::Image { image }, 409 | 500) if status == 409 || lower.contains("in use") => Error::InvalidArgument(format!(
                "image {image} is in use: {message}. Remove the containers that use it (or its other tags) first, or pass `force: true`"
            )),
            (Op::Lookup { container }, 404 | 500) if status == 404 || no_such_container => Error::ContainerNotFound {
                container_id: container.to_string(),
                detail: message,
            },
            (Op::Handle { container }, 404 | 500) if status == 404 || no_such_container => Error::ContainerGone {
                container_id: container.to_string(),
                detail: message,
            },
            (Op::Lookup { container } | Op::Handle { container }, 409 | 500) if not_running => {
                Error::ContainerNotRunning {
                    container_id: container.to_string(),
                    detail: message,
                }
            }
            (Op::Lookup { container } | Op::Handle { container }, _) if status < 500 => Error::Container {
                container_id: container.to_string(),
                detail: message,
            },
            (_, _) => Error::SocketCommunication {
                detail: format!("the engine answered {status}: {message}"),
            },
        }
    }
}

/// Engine answers (400 or 500, worded differently by each engine) that mean
/// the user's input was wrong, not that the engine failed: they become a
/// `TypeError` that says what to fix, never "the engine stopped answering".
/// Most such input is refused before any engine call (see `validate` and `container::spec`);
/// these are the cases only the engine can judge, or that slip past.
fn bad_input(lower: &str, message: &str) -> Option<Error> {
    let says = |parts: &[&str]| parts.iter().all(|p| lower.contains(p));
    let text = if says(&["unable to find user"]) {
        // Docker (exec start of a stopped-at-setup exec: 126 with this on
        // stdout, see exec::setup) and Podman (a 500 here) alike.
        format!("the `user` does not exist in the container: {message}. Use a user from its /etc/passwd or a numeric uid[:gid]")
    } else if says(&["device", "no such file"]) || says(&["stat /dev/"]) {
        // Docker at start: "error gathering device information while adding
        // custom device …"; Podman at create: "stat /dev/x: no such file …".
        format!("a device in `devices` does not exist on the engine's host: {message}")
    } else if says(&["invalid reference format"]) {
        format!("the image reference is not valid: {message}. Use lower-case `name`, `name:tag` or `registry/name:tag`")
    } else if says(&["invalid mode"]) || says(&["invalid option type"]) || says(&["invalid volume specification"]) {
        format!("a `volumes` entry is not valid: {message}. Use {{ \"/host/dir\": \"/container/dir\" }} or \"/container/dir:ro\"")
    } else {
        return None;
    };
    Some(Error::InvalidArgument(text))
}

/// The engine's own words: some answers reach us as the raw JSON body
/// (`{"message":"No such container: x"}`), which is no text for a person.
fn engine_message(body: String) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        message: String,
    }
    match serde_json::from_str::<Body>(&body) {
        Ok(b) => b.message,
        Err(_) => body,
    }
}

/// What the user can do about a missing image: build a profile's, or pull,
/// build or load any other.
fn missing_image_hint(image: &str) -> String {
    match crate::profile::by_image(image) {
        Some(p) => format!(
            "It is the `{0}` profile's image: build it with `await buildProfile('{0}')` or `npx pocket-dock build {0}`",
            p.name
        ),
        None => format!(
            "Pull it (`await pullImage('{image}')`, or `createNewContainer({{ pull: 'missing' }})`), build it (`buildImage()`), or load it from a tar (`importImages()`)"
        ),
    }
}

/// " at step 3 (RUN make)" for a build error that knows its step.
fn step_text(step: Option<u32>, instruction: &Option<String>) -> String {
    match (step, instruction) {
        (Some(n), Some(i)) => format!(" at step {n} ({i})"),
        (Some(n), None) => format!(" at step {n}"),
        _ => String::new(),
    }
}

/// Joins an error with its sources: hyper's top-level messages alone
/// ("client error (Connect)") do not tell the user what went wrong.
fn describe_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_body_becomes_its_message() {
        let e = Error::from_engine(
            server(404, "{\"message\":\"No such container: x\"}\n"),
            Op::Lookup { container: "x" },
        );
        assert_eq!(e.code(), "CONTAINER_NOT_FOUND");
        assert!(!e.to_string().contains('{'), "{e}");
        assert!(e.to_string().contains("No such container: x"), "{e}");
    }

    fn server(status_code: u16, message: &str) -> BollardError {
        BollardError::DockerResponseServerError {
            status_code,
            message: message.into(),
        }
    }

    #[test]
    fn docker_and_podman_name_conflicts_are_the_same_error() {
        let op = Op::Create {
            image: "img",
            name: "pd-1",
        };
        let docker = Error::from_engine(
            server(409, "Conflict. The container name \"/pd-1\" is already in use"),
            op,
        );
        let podman = Error::from_engine(server(500, "pd-1: name is already in use"), op);
        assert_eq!(docker.code(), "CONTAINER_ERROR");
        assert_eq!(podman.code(), "CONTAINER_ERROR");
    }

    #[test]
    fn stopped_container_reads_the_same_on_both_engines() {
        let op = Op::Handle { container: "c" };
        let docker = Error::from_engine(server(409, "Container abc is not running"), op);
        let podman = Error::from_engine(
            server(
                500,
                "can only create exec sessions on running containers: container state improper",
            ),
            op,
        );
        assert_eq!(docker.code(), "CONTAINER_NOT_RUNNING");
        assert_eq!(podman.code(), "CONTAINER_NOT_RUNNING");
    }

    #[test]
    fn a_404_means_not_found_for_lookups_and_gone_for_handles() {
        let lookup = Error::from_engine(server(404, "No such container: x"), Op::Lookup { container: "x" });
        let handle = Error::from_engine(server(404, "No such container: x"), Op::Handle { container: "x" });
        let image = Error::from_engine(
            server(404, "No such image: nope:latest"),
            Op::Create {
                image: "nope",
                name: "n",
            },
        );
        let podman_exec = Error::from_engine(
            server(
                500,
                "retrieving exec session e from container c: container c does not exist in database: no such container",
            ),
            Op::Handle { container: "c" },
        );
        assert_eq!(lookup.code(), "CONTAINER_NOT_FOUND");
        assert_eq!(handle.code(), "CONTAINER_GONE");
        assert_eq!(podman_exec.code(), "CONTAINER_GONE");
        assert_eq!(image.code(), "IMAGE_NOT_FOUND");
    }

    #[test]
    fn a_404_on_a_path_is_a_missing_path_unless_the_container_is_gone() {
        let op = Op::Path {
            container: "c",
            path: "/tmp/x",
        };
        let missing = Error::from_engine(server(404, "Could not find the file /tmp/x in container c"), op);
        let gone = Error::from_engine(server(404, "No such container: c"), op);
        let podman_gone = Error::from_engine(server(404, "no container with name or ID \"c\" found"), op);
        assert_eq!(missing.code(), "ENOENT");
        assert_eq!(gone.code(), "CONTAINER_GONE");
        assert_eq!(podman_gone.code(), "CONTAINER_GONE");
    }

    #[test]
    fn input_only_the_engine_can_judge_is_a_type_error_on_both_engines() {
        let op = Op::Handle { container: "c" };
        for (status, message) in [
            (500, "unable to find user nosuch: no matching entries in passwd file"),
            (
                500,
                "error gathering device information while adding custom device \"/dev/nope\": no such file or directory",
            ),
            (500, "container create: stat /dev/nope: no such file or directory"),
            (400, "invalid reference format: repository name must be lowercase"),
            (
                500,
                "normalizing image: normalizing name for compat API: invalid reference format",
            ),
            (500, "invalid mode: /x"),
            (500, "fill out specgen: invalid option type \"/x\""),
        ] {
            let e = Error::from_engine(server(status, message), op);
            assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE", "{message}");
            assert!(!e.to_string().contains("stopped answering"), "{message}");
        }
    }

    #[test]
    fn not_modified_means_the_state_change_already_holds() {
        let op = Op::Handle { container: "c" };
        assert!(Error::from_state_change(Err(server(304, "")), op).is_ok());
        let gone = Error::from_state_change(Err(server(404, "No such container: c")), op).unwrap_err();
        assert_eq!(gone.code(), "CONTAINER_GONE");
    }

    #[test]
    fn engine_failures_without_context_are_communication_errors() {
        let e = Error::from_engine(server(500, "boom"), Op::Handle { container: "c" });
        assert_eq!(e.code(), "SOCKET_COMMUNICATION_ERROR");
        assert!(e.to_string().contains("boom"));
    }
}
