//! The plain objects that cross the boundary: the option objects JS passes in
//! (converted into the core's types) and the results every kind of command
//! returns. Outputs that only one class returns sit in that class's file.
//! `lib/types.ts` documents each field.

use std::collections::HashMap;

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use pocket_dock_core as core;

pub(crate) fn pairs(map: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    map.map(|m| m.into_iter().collect()).unwrap_or_default()
}

/// A port as JS gives it: `80` or `"53/udp"`.
type Port = Either<f64, String>;

/// A JS number as the core's text: `512` stays `"512"`, not `"512.0"`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.is_finite() {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

fn port(p: Port) -> String {
    match p {
        Either::A(n) => number(n),
        Either::B(s) => s,
    }
}

/// `CreateOptions` as it crosses from JS.
#[napi(object)]
pub struct NativeCreateOptions {
    pub image: Option<String>,
    pub name: Option<String>,
    pub timeout: Option<f64>,
    pub mem_limit: Option<Either<String, f64>>,
    pub cpu_percent: Option<f64>,
    pub persist: Option<bool>,
    pub volumes: Option<HashMap<String, String>>,
    pub project: Option<String>,
    /// The project directory whose config applies (default: found from the cwd).
    pub project_root: Option<String>,
    pub profile: Option<String>,
    pub devices: Option<Vec<String>>,
    /// host → container, or a list of container ports to publish on free host ports.
    pub ports: Option<Either<Vec<Port>, HashMap<String, Port>>>,
    pub socket_path: Option<String>,
    pub env: Option<HashMap<String, String>>,
    pub workdir: Option<String>,
    pub network: Option<bool>,
    pub labels: Option<HashMap<String, String>>,
    pub pids_limit: Option<f64>,
    pub init: Option<bool>,
    pub no_new_privileges: Option<bool>,
    pub read_only: Option<bool>,
    pub pull: Option<String>,
}

impl From<NativeCreateOptions> for core::CreateOptions {
    fn from(o: NativeCreateOptions) -> Self {
        core::CreateOptions {
            image: o.image,
            name: o.name,
            timeout: o.timeout,
            mem_limit: o.mem_limit.map(|m| match m {
                Either::A(text) => text,
                Either::B(bytes) => number(bytes),
            }),
            cpu_percent: o.cpu_percent,
            persist: o.persist,
            project_root: o.project_root,
            volumes: pairs(o.volumes),
            project: o.project,
            profile: o.profile,
            devices: o.devices.unwrap_or_default(),
            ports: match o.ports {
                Some(Either::A(list)) => core::container::spec::on_free_host_ports(list.into_iter().map(port)),
                Some(Either::B(map)) => map.into_iter().map(|(host, c)| (host, port(c))).collect(),
                None => Vec::new(),
            },
            socket_path: o.socket_path,
            env: pairs(o.env),
            workdir: o.workdir,
            network: o.network,
            labels: pairs(o.labels),
            pids_limit: o.pids_limit,
            init: o.init,
            no_new_privileges: o.no_new_privileges,
            read_only: o.read_only,
            pull: o.pull,
        }
    }
}

/// The core's create options from what JS passed (defaults when omitted).
pub(crate) fn create_options(o: Option<NativeCreateOptions>) -> core::CreateOptions {
    o.map(Into::into).unwrap_or_default()
}

/// `RunOptions` as it crosses from JS; `stdin` arrives as a Buffer.
#[napi(object)]
pub struct NativeRunOptions {
    pub timeout: Option<f64>,
    pub max_output: Option<f64>,
    pub lang: Option<String>,
    pub env: Option<HashMap<String, String>>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub stdin: Option<Buffer>,
    pub stream: Option<bool>,
    pub detach: Option<bool>,
    pub kill_leftovers: Option<bool>,
}

impl From<NativeRunOptions> for core::RunOptions {
    fn from(o: NativeRunOptions) -> Self {
        core::RunOptions {
            timeout: o.timeout,
            max_output: o.max_output,
            lang: o.lang,
            env: pairs(o.env),
            workdir: o.workdir,
            user: o.user,
            stdin: o.stdin.map(|b| b.to_vec()),
            stream: o.stream.unwrap_or(false),
            detach: o.detach.unwrap_or(false),
            kill_leftovers: o.kill_leftovers.unwrap_or(false),
        }
    }
}

/// The core's run options from what JS passed (defaults when omitted).
pub(crate) fn run_options(o: Option<NativeRunOptions>) -> core::RunOptions {
    o.map(Into::into).unwrap_or_default()
}

/// The outcome of a command; `lib/` wraps it in the `ExecResult` class.
#[napi(object)]
pub struct NativeExecResult {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: f64,
    pub timed_out: bool,
    pub truncated: bool,
    pub cancelled: bool,
}

impl From<core::ExecResult> for NativeExecResult {
    fn from(r: core::ExecResult) -> Self {
        NativeExecResult {
            exit_code: r.exit_code,
            stdout: r.stdout,
            stderr: r.stderr,
            duration_ms: r.duration_ms,
            timed_out: r.timed_out,
            truncated: r.truncated,
            cancelled: r.cancelled,
        }
    }
}
