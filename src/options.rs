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
    pub tmpfs: Option<HashMap<String, String>>,
    pub cap_drop: Option<Vec<String>>,
    pub cap_add: Option<Vec<String>>,
    pub allow_dangerous: Option<bool>,
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
            tmpfs: pairs(o.tmpfs),
            cap_drop: o.cap_drop,
            cap_add: o.cap_add.unwrap_or_default(),
            allow_dangerous: o.allow_dangerous.unwrap_or(false),
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
    pub encoding: Option<String>,
    pub tty: Option<bool>,
    pub cols: Option<f64>,
    pub rows: Option<f64>,
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
            encoding: o.encoding,
            tty: o.tty.unwrap_or(false),
            cols: o.cols,
            rows: o.rows,
            stdin_pipe: None,
        }
    }
}

/// The core's run options from what JS passed (defaults when omitted), with
/// the stdin JS writes to while the command runs, if any.
pub(crate) fn run_options(o: Option<NativeRunOptions>, stdin: Option<&NativeStdin>) -> core::RunOptions {
    let mut opts: core::RunOptions = o.map(Into::into).unwrap_or_default();
    opts.stdin_pipe = stdin.map(|s| s.0.clone());
    opts
}

/// A command as JS gives it: a shell command line or an argv.
pub(crate) fn command(cmd: Either<String, Vec<String>>) -> core::exec::Command {
    match cmd {
        Either::A(line) => core::exec::Command::Shell(line),
        Either::B(argv) => core::exec::Command::Argv(argv),
    }
}

/// A stdin that JS writes to while a command runs (a `Readable` it pumps,
/// or a detached process's `write()`); see `core::exec::stdin`.
#[napi]
pub struct NativeStdin(pub(crate) std::sync::Arc<core::exec::StdinPipe>);

#[napi]
impl NativeStdin {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeStdin(std::sync::Arc::new(core::exec::StdinPipe::new()))
    }

    /// Sends a chunk; resolves once it is taken (backpressure).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write<'env>(
        &self,
        env: &'env napi::Env,
        data: Buffer,
    ) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'env, ()>> {
        let data = data.to_vec();
        crate::call::spawn(env, &self.0, |p| async move { p.write(data).await })
    }

    /// Ends the input (end-of-file once what was written is delivered).
    #[napi]
    pub fn close(&self) {
        self.0.close();
    }
}

/// Output as it crosses to JS: text, or a Buffer with `encoding: 'buffer'`.
pub(crate) fn data(d: core::exec::Data) -> Either<String, Buffer> {
    match d {
        core::exec::Data::Text(t) => Either::A(t),
        core::exec::Data::Bytes(b) => Either::B(b.into()),
    }
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
    /// The output, byte for byte, with `encoding: 'buffer'`.
    pub stdout_bytes: Option<Buffer>,
    pub stderr_bytes: Option<Buffer>,
    pub oom_killed: bool,
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
            stdout_bytes: r.stdout_bytes.map(Into::into),
            stderr_bytes: r.stderr_bytes.map(Into::into),
            oom_killed: r.oom_killed,
        }
    }
}
