//! What a container is created with: the user's [`CreateOptions`], checked and
//! turned into the engine's create body (limits, ports, volumes, labels,
//! hardening, the keep-alive main process).
//!
//! Everything here is pure: validation happens before any engine call, so bad
//! input never leaves a container behind.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, DeviceMapping, HostConfig, PortBinding};
use rand::Rng;

use crate::error::Result;
use crate::labels;
use crate::profile;
use crate::validate::{
    check_absolute, check_image_ref, check_name, check_no_nul, invalid, out_of_range, parse_env, parse_timeout,
};

/// Default per-command timeout, in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 30.0;
/// Default cap on the number of processes in a container: enough for builds,
/// small enough to stop a fork bomb.
pub const DEFAULT_PIDS_LIMIT: i64 = 1024;

/// The keep-alive main process. It must stop promptly on SIGTERM (a bare
/// `sleep infinity` ignores it as PID 1 and makes every stop wait 10 s on
/// Docker), and it must never exit by itself.
pub const KEEPALIVE_SCRIPT: &str = "trap 'exit 0' TERM INT HUP; while :; do sleep 3600 & wait $!; done";

/// The main process of an ephemeral container: the reaper. It lives as long as
/// its stdin is open. The creating process holds the only attached stdin
/// (`OpenStdin` + `StdinOnce`), so when that process ends, however it ends, the
/// kernel closes the socket, the engine closes stdin, this loop sees EOF, the
/// container stops and the engine removes it (`AutoRemove`). No helper image.
/// Only shell builtins: `read` from fd 3 because a background list's own stdin
/// is /dev/null; in the background so that `wait` lets the TERM trap run at once.
pub const REAPER_SCRIPT: &str = "exec 3<&0; trap 'exit 0' TERM INT HUP; while read -r _ <&3; do :; done & wait $!";

/// Options for a new container, as the user gave them (the TS `CreateOptions`).
/// Serialized into the [`labels::OPTIONS`] label (all but the socket, which is
/// where the label lives).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CreateOptions {
    pub image: Option<String>,
    pub name: Option<String>,
    /// Default exec timeout in seconds.
    #[serde(with = "number_or_infinity")]
    pub timeout: Option<f64>,
    /// `"256m"`, `"1g"`, `"512k"` or a byte count written as digits.
    pub mem_limit: Option<String>,
    /// 1–100 percent of one core.
    pub cpu_percent: Option<f64>,
    /// Default false (or the project's `default_persist`).
    pub persist: Option<bool>,
    /// host path → container path; a container path ending in `:ro` is read-only.
    pub volumes: Vec<(String, String)>,
    pub project: Option<String>,
    /// The project directory this container belongs to (set from the
    /// project found or given; see `crate::project`): recorded as a label so
    /// its instance directory is found again from anywhere.
    pub project_root: Option<String>,
    /// A built-in profile: its image and network default apply unless
    /// `image`/`network` are given. Neither `image` nor `profile` means
    /// [`profile::DEFAULT_PROFILE`].
    pub profile: Option<String>,
    pub devices: Vec<String>,
    /// host port → container port (`"80"` or `"80/udp"`); host port `"0"`
    /// lets the engine pick a free one.
    pub ports: Vec<(String, String)>,
    #[serde(skip)]
    pub socket_path: Option<String>,
    pub env: Vec<(String, String)>,
    pub workdir: Option<String>,
    /// `false` ⇒ no network at all; `None` ⇒ the profile's default (the
    /// engine's default network for an `image` given without a profile).
    pub network: Option<bool>,
    pub labels: Vec<(String, String)>,
    /// `"never"` (default), `"missing"` or `"always"`: whether to pull the
    /// image before creating, as `docker run --pull`.
    pub pull: Option<String>,
    /// Most processes at once; `None` ⇒ [`DEFAULT_PIDS_LIMIT`], infinite ⇒ no limit.
    #[serde(with = "number_or_infinity")]
    pub pids_limit: Option<f64>,
    /// Run an init as PID 1 (signals, zombie reaping). Default true.
    pub init: Option<bool>,
    /// Forbid gaining privileges (setuid, file capabilities). Default true.
    pub no_new_privileges: Option<bool>,
    /// A read-only root file system; [`WRITABLE_WHEN_READ_ONLY`] and `workdir`
    /// become tmpfs. Default false.
    pub read_only: Option<bool>,
    /// Extra tmpfs mounts: container path → mount options (`"size=64m"`, or `""`).
    pub tmpfs: Vec<(String, String)>,
    /// Capabilities to drop (`["ALL"]`); `None` ⇒ the profile's default.
    pub cap_drop: Option<Vec<String>>,
    /// Capabilities to add; the dangerous ones need `allow_dangerous`.
    pub cap_add: Vec<String>,
    /// Allow `cap_add` to grant capabilities that break the sandbox.
    pub allow_dangerous: bool,
}

/// The directories a read-only container can still write to (as tmpfs):
/// scratch space and the sandbox user's home. Sticky and world-writable like
/// `/tmp`, so commands run as any user can use them.
pub const WRITABLE_WHEN_READ_ONLY: &[&str] = &["/tmp", "/home/sandbox"];

/// JSON has no Infinity, which means "no limit" for `timeout` and
/// `pidsLimit`: it is stored as the string `"Infinity"`.
mod number_or_infinity {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) if n.is_infinite() && *n > 0.0 => s.serialize_str("Infinity"),
            Some(n) => s.serialize_f64(*n),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Number(f64),
            Text(String),
        }
        match Option::<Stored>::deserialize(d)? {
            None => Ok(None),
            Some(Stored::Number(n)) => Ok(Some(n)),
            Some(Stored::Text(t)) if t == "Infinity" => Ok(Some(f64::INFINITY)),
            Some(Stored::Text(t)) => Err(D::Error::custom(format!(
                "expected a number or \"Infinity\", got {t:?}"
            ))),
        }
    }
}

/// When `createNewContainer` pulls its image first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    #[default]
    Never,
    Missing,
    Always,
}

/// [`CreateOptions`] after validation: everything the engine call needs.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    pub image: String,
    pub pull: PullPolicy,
    pub name: String,
    pub default_timeout: Option<std::time::Duration>,
    pub persist: bool,
    pub project: Option<String>,
    pub body: ContainerCreateBody,
    /// The options this spec was made from, for `reboot({ fresh: true })`.
    pub options: CreateOptions,
}

impl CreateOptions {
    /// Checks every option and builds the engine's create body.
    pub fn into_spec(self) -> Result<ContainerSpec> {
        let profile = match &self.profile {
            Some(p) => Some(profile::find(p).ok_or_else(|| {
                out_of_range(format!(
                    "unknown profile {p:?}: the profiles are {}",
                    profile::known_names()
                ))
            })?),
            None => None,
        };
        let image = match &self.image {
            Some(i) if i.trim().is_empty() => return Err(invalid("`image` must not be empty")),
            Some(i) => {
                check_image_ref(i, "`image`")?;
                i.clone()
            }
            None => profile
                .or_else(|| profile::find(profile::DEFAULT_PROFILE))
                .map(|p| p.image_tag.to_string())
                .expect("the default profile exists"),
        };
        // A profile's network default applies to its own image and to an
        // explicit image run under that profile; a bare `image` keeps the
        // engine's default.
        let network = self.network.or_else(|| match (profile, &self.image) {
            (Some(p), _) => Some(p.network_default),
            (None, None) => profile::find(profile::DEFAULT_PROFILE).map(|p| p.network_default),
            (None, Some(_)) => None,
        });
        // The same for the capabilities a profile drops by default.
        let profile_for_caps = match (profile, &self.image) {
            (Some(p), _) => Some(p),
            (None, None) => profile::find(profile::DEFAULT_PROFILE),
            (None, Some(_)) => None,
        };
        let pull = match self.pull.as_deref() {
            None | Some("never") => PullPolicy::Never,
            Some("missing") => PullPolicy::Missing,
            Some("always") => PullPolicy::Always,
            Some(other) => {
                return Err(out_of_range(format!(
                    "`pull` must be \"never\", \"missing\" or \"always\", not {other:?}"
                )))
            }
        };
        let name = match &self.name {
            Some(n) => {
                check_name(n)?;
                n.clone()
            }
            None => random_name(),
        };
        let timeout_secs = self.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
        let default_timeout = parse_timeout(timeout_secs, "timeout")?;
        let memory = self.mem_limit.as_deref().map(parse_mem_limit).transpose()?;
        let nano_cpus = self.cpu_percent.map(parse_cpu_percent).transpose()?;
        let (exposed_ports, port_bindings) = parse_ports(&self.ports)?;
        let binds = parse_volumes(&self.volumes)?;
        let devices = parse_devices(&self.devices)?;
        let env = parse_env(&self.env)?;
        if let Some(w) = &self.workdir {
            check_absolute(w, "`workdir`")?;
        }
        let persist = self.persist.unwrap_or(false);
        for (value, what) in [(&self.project, "`project`"), (&self.profile, "`profile`")] {
            if let Some(v) = value {
                check_no_nul(v, what)?;
            }
        }
        if let Some(p) = &self.project {
            crate::project::check_project_name(p)?;
        }
        let pids_limit = parse_pids_limit(self.pids_limit)?;
        let default_drop = profile_for_caps.map(|p| p.cap_drop).unwrap_or_default();
        let cap_drop_given: Vec<String> = match &self.cap_drop {
            Some(d) => d.clone(),
            None => default_drop.iter().map(|c| c.to_string()).collect(),
        };
        let (cap_drop, cap_add) = super::caps::check(&cap_drop_given, &self.cap_add, self.allow_dangerous)?;
        let mut extra_tmpfs = Vec::with_capacity(self.tmpfs.len());
        for (path, opts) in &self.tmpfs {
            check_absolute(path, "`tmpfs` path")?;
            if opts.contains('\0') || opts.contains(char::is_whitespace) {
                return Err(invalid(format!(
                    "`tmpfs` options for {path:?} must be mount options like \"size=64m,mode=1777\", got {opts:?}"
                )));
            }
            extra_tmpfs.push((path.clone(), opts.clone()));
        }

        let mut label_map: HashMap<String, String> = HashMap::new();
        for (k, v) in &self.labels {
            check_no_nul(k, "label key")?;
            check_no_nul(v, &format!("label {k:?} value"))?;
            if k.starts_with(labels::RESERVED_PREFIX) {
                return Err(invalid(format!(
                    "label {k:?} uses the reserved `pocket-dock.` prefix; choose another key"
                )));
            }
            label_map.insert(k.clone(), v.clone());
        }
        label_map.insert(labels::MANAGED.into(), "true".into());
        label_map.insert(labels::PERSIST.into(), persist.to_string());
        label_map.insert(labels::TIMEOUT.into(), timeout_secs.to_string());
        label_map.insert(labels::VERSION.into(), env!("CARGO_PKG_VERSION").into());
        label_map.insert(labels::OWNER_PID.into(), std::process::id().to_string());
        label_map.insert(labels::OWNER_HOST.into(), crate::owner::host_name());
        label_map.insert(
            labels::OPTIONS.into(),
            serde_json::to_string(&self).expect("options serialize"),
        );
        if let Some(p) = &self.project {
            label_map.insert(labels::PROJECT.into(), p.clone());
        }
        if let Some(p) = &self.profile {
            label_map.insert(labels::PROFILE.into(), p.clone());
        }
        if let Some(r) = &self.project_root {
            label_map.insert(labels::PROJECT_ROOT.into(), r.clone());
        }

        let ephemeral = !persist;
        let read_only = self.read_only.unwrap_or(false);
        let tmpfs: HashMap<String, String> = if read_only {
            WRITABLE_WHEN_READ_ONLY
                .iter()
                .map(|d| d.to_string())
                .chain(self.workdir.clone())
                .map(|d| (d, "mode=1777".to_string()))
                .collect()
        } else {
            HashMap::new()
        };
        let mut tmpfs = tmpfs;
        tmpfs.extend(extra_tmpfs);
        let host_config = HostConfig {
            memory,
            // No swap beyond the memory limit: the limit is what the sandbox gets.
            memory_swap: memory,
            nano_cpus,
            pids_limit: Some(pids_limit),
            security_opt: self
                .no_new_privileges
                .unwrap_or(true)
                .then(|| vec!["no-new-privileges".into()]),
            // Never privileged: no option turns this on.
            privileged: Some(false),
            // An init as PID 1 reaps the orphans that killed commands leave and
            // forwards signals, so stop is immediate.
            init: Some(self.init.unwrap_or(true)),
            // The engine removes an ephemeral container once its reaper ends.
            auto_remove: ephemeral.then_some(true),
            binds: (!binds.is_empty()).then_some(binds),
            port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
            devices: (!devices.is_empty()).then_some(devices),
            network_mode: (network == Some(false)).then(|| "none".to_string()),
            readonly_rootfs: read_only.then_some(true),
            tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
            cap_drop: (!cap_drop.is_empty()).then_some(cap_drop),
            cap_add: (!cap_add.is_empty()).then_some(cap_add),
            ..Default::default()
        };
        let main = if ephemeral { REAPER_SCRIPT } else { KEEPALIVE_SCRIPT };
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), main.into()]),
            cmd: Some(vec![]),
            open_stdin: ephemeral.then_some(true),
            stdin_once: ephemeral.then_some(true),
            attach_stdin: ephemeral.then_some(true),
            env: (!env.is_empty()).then_some(env),
            working_dir: self.workdir.clone(),
            labels: Some(label_map),
            exposed_ports: (!exposed_ports.is_empty()).then_some(exposed_ports),
            network_disabled: (network == Some(false)).then_some(true),
            host_config: Some(host_config),
            ..Default::default()
        };
        Ok(ContainerSpec {
            image,
            pull,
            name,
            default_timeout,
            persist,
            project: self.project.clone(),
            body,
            options: self,
        })
    }
}

/// `pd-` and 8 random hex digits.
pub fn random_name() -> String {
    format!("pd-{:08x}", rand::rng().random::<u32>())
}

/// Container ports to publish on free host ports: host port `"0"` lets the
/// engine pick one (the form `CreateOptions.ports` takes for a plain list).
pub fn on_free_host_ports(container_ports: impl IntoIterator<Item = String>) -> Vec<(String, String)> {
    container_ports.into_iter().map(|c| ("0".to_string(), c)).collect()
}

/// Parses `"256m"`, `"1g"`, `"512k"`, `"1.5g"`, `"100b"` or plain digits (bytes).
pub fn parse_mem_limit(text: &str) -> Result<i64> {
    let bad = || {
        invalid(format!(
            "`memLimit` {text:?} is not a size: use a number of bytes or a number with a unit, like \"512k\", \"256m\" or \"1g\""
        ))
    };
    let t = text.trim().to_ascii_lowercase();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let mult: i64 = match unit {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let value: f64 = num.parse().map_err(|_| bad())?;
    let bytes = (value * mult as f64).round();
    // Docker refuses limits under 6 MiB; say so before the engine does.
    const MIN: f64 = (6 << 20) as f64;
    if !(MIN..=(i64::MAX as f64)).contains(&bytes) {
        return Err(out_of_range(format!("`memLimit` {text:?} must be at least 6m")));
    }
    Ok(bytes as i64)
}

/// A positive whole number of processes, or infinity for no limit (the
/// engine's -1).
pub fn parse_pids_limit(limit: Option<f64>) -> Result<i64> {
    match limit {
        None => Ok(DEFAULT_PIDS_LIMIT),
        Some(n) if n == f64::INFINITY => Ok(-1),
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n < i64::MAX as f64 => Ok(n as i64),
        Some(n) => Err(out_of_range(format!(
            "`pidsLimit` must be a whole number of processes ≥ 1 (or Infinity for no limit), got {n}"
        ))),
    }
}

/// 1–100 percent of one core, as the engine's nano-CPUs.
pub fn parse_cpu_percent(pct: f64) -> Result<i64> {
    if !(1.0..=100.0).contains(&pct) {
        return Err(out_of_range(format!(
            "`cpuPercent` must be between 1 and 100 (percent of one core), got {pct}"
        )));
    }
    Ok((pct * 10_000_000.0).round() as i64)
}

/// A port number in 1–65535; `0` too where `any` (a host port the engine picks).
fn parse_port(text: &str, what: &str, any: bool) -> Result<u16> {
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| invalid(format!("{what} {text:?} is not a port number")))?;
    let low = if any { 0 } else { 1 };
    if !(low..=65535).contains(&n) {
        return Err(out_of_range(format!("{what} {n} is outside {low}–65535")));
    }
    Ok(n as u16)
}

type PortMap = HashMap<String, Option<Vec<PortBinding>>>;

/// `{ "8080": "80" }` or `{ "5353": "53/udp" }` → exposed ports and bindings.
fn parse_ports(ports: &[(String, String)]) -> Result<(Vec<String>, PortMap)> {
    let mut exposed = Vec::new();
    let mut bindings: PortMap = HashMap::new();
    for (host, container) in ports {
        let host_port = parse_port(host, "host port", true)?;
        let (cport, proto) = match container.split_once('/') {
            Some((p, proto)) => (p, proto.to_ascii_lowercase()),
            None => (container.as_str(), "tcp".to_string()),
        };
        if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            return Err(invalid(format!(
                "container port {container:?}: protocol must be tcp, udp or sctp"
            )));
        }
        let key = format!("{}/{proto}", parse_port(cport, "container port", false)?);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(vec![]))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: None,
                // An empty host port asks the engine for a free one.
                host_port: Some(if host_port == 0 {
                    String::new()
                } else {
                    host_port.to_string()
                }),
            });
    }
    Ok((exposed, bindings))
}

/// host → container (`"/data"` or `"/data:ro"`) → engine bind strings.
fn parse_volumes(volumes: &[(String, String)]) -> Result<Vec<String>> {
    volumes
        .iter()
        .map(|(host, container)| {
            let (cpath, mode) = match container.rsplit_once(':') {
                Some((p, m)) if m == "ro" || m == "rw" => (p, Some(m)),
                _ => (container.as_str(), None),
            };
            check_absolute(host, "`volumes` host path")?;
            check_absolute(cpath, "`volumes` container path")?;
            // The engine's bind syntax is `host:container[:mode]`: a colon
            // inside either path would be read as a separator.
            for (path, what) in [(host.as_str(), "host"), (cpath, "container")] {
                if path.contains(':') {
                    return Err(invalid(format!(
                        "`volumes` {what} path {path:?} contains a `:`, which the engine's bind syntax cannot express; rename or link the directory"
                    )));
                }
            }
            Ok(match mode {
                Some(m) => format!("{host}:{cpath}:{m}"),
                None => format!("{host}:{cpath}"),
            })
        })
        .collect()
}

/// `"/dev/ttyUSB0"` or `"/dev/x:/dev/y"` → device mappings (rwm).
fn parse_devices(devices: &[String]) -> Result<Vec<DeviceMapping>> {
    devices
        .iter()
        .map(|d| {
            let (host, container) = d.split_once(':').unwrap_or((d, d));
            check_absolute(host, "`devices`")?;
            check_absolute(container, "`devices`")?;
            Ok(DeviceMapping {
                path_on_host: Some(host.into()),
                path_in_container: Some(container.into()),
                cgroup_permissions: Some("rwm".into()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_and_bind_colons_are_refused_before_the_engine() {
        let with = |f: fn(&mut CreateOptions)| {
            let mut o = CreateOptions::default();
            f(&mut o);
            o.into_spec().map(|_| ()).unwrap_err().to_string()
        };
        assert!(with(|o| o.workdir = Some("/a\0b".into())).contains("NUL"));
        assert!(with(|o| o.project = Some("p\0".into())).contains("NUL"));
        assert!(with(|o| o.labels = vec![("k".into(), "v\0".into())]).contains("NUL"));
        assert!(with(|o| o.env = vec![("A".into(), "x\0y".into())]).contains("NUL"));
        assert!(with(|o| o.volumes = vec![("/tmp/a:b".into(), "/x".into())]).contains("`:`"));
        assert!(with(|o| o.devices = vec!["/dev/a\0".into()]).contains("NUL"));
    }

    #[test]
    fn mem_limits_parse_like_the_docker_cli() {
        assert_eq!(parse_mem_limit("256m").unwrap(), 256 << 20);
        assert_eq!(parse_mem_limit("1g").unwrap(), 1 << 30);
        assert_eq!(parse_mem_limit("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_mem_limit("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_mem_limit("8192k").unwrap(), 8 << 20);
        assert_eq!(parse_mem_limit("67108864").unwrap(), 64 << 20);
        assert_eq!(parse_mem_limit("lots").unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
        assert_eq!(parse_mem_limit("").unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
        assert_eq!(parse_mem_limit("-5m").unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
        assert_eq!(parse_mem_limit("1k").unwrap_err().code(), "ERR_OUT_OF_RANGE");
    }

    #[test]
    fn pids_limits_default_and_can_be_lifted() {
        assert_eq!(parse_pids_limit(None).unwrap(), DEFAULT_PIDS_LIMIT);
        assert_eq!(parse_pids_limit(Some(64.0)).unwrap(), 64);
        assert_eq!(parse_pids_limit(Some(f64::INFINITY)).unwrap(), -1);
        for bad in [0.0, -1.0, 1.5, f64::NAN] {
            assert_eq!(parse_pids_limit(Some(bad)).unwrap_err().code(), "ERR_OUT_OF_RANGE");
        }
    }

    #[test]
    fn ephemeral_containers_get_the_reaper_and_persistent_ones_the_keepalive() {
        let ephemeral = CreateOptions::default().into_spec().unwrap();
        let hc = ephemeral.body.host_config.as_ref().unwrap();
        assert_eq!(hc.auto_remove, Some(true));
        assert_eq!(ephemeral.body.open_stdin, Some(true));
        assert_eq!(ephemeral.body.stdin_once, Some(true));
        assert_eq!(ephemeral.body.entrypoint.as_ref().unwrap()[2], REAPER_SCRIPT);
        let persistent = CreateOptions {
            persist: Some(true),
            ..Default::default()
        }
        .into_spec()
        .unwrap();
        assert_eq!(persistent.body.host_config.as_ref().unwrap().auto_remove, None);
        assert_eq!(persistent.body.open_stdin, None);
        assert_eq!(persistent.body.entrypoint.as_ref().unwrap()[2], KEEPALIVE_SCRIPT);
    }

    #[test]
    fn options_round_trip_through_their_label() {
        let opts = CreateOptions {
            image: Some("img".into()),
            mem_limit: Some("64m".into()),
            ports: vec![("0".into(), "80".into())],
            socket_path: Some("/run/x.sock".into()),
            pids_limit: Some(f64::INFINITY),
            timeout: Some(f64::INFINITY),
            ..Default::default()
        };
        let spec = opts.clone().into_spec().unwrap();
        let label = &spec.body.labels.as_ref().unwrap()[labels::OPTIONS];
        let back: CreateOptions = serde_json::from_str(label).unwrap();
        assert_eq!(
            back,
            CreateOptions {
                socket_path: None,
                ..opts
            }
        );
    }

    #[test]
    fn defaults_can_be_turned_off_explicitly() {
        let spec = CreateOptions {
            init: Some(false),
            no_new_privileges: Some(false),
            pids_limit: Some(10.0),
            ports: vec![("0".into(), "80".into())],
            ..Default::default()
        }
        .into_spec()
        .unwrap();
        let hc = spec.body.host_config.as_ref().unwrap();
        assert_eq!(hc.init, Some(false));
        assert_eq!(hc.security_opt, None);
        assert_eq!(hc.pids_limit, Some(10));
        assert_eq!(hc.privileged, Some(false));
        assert_eq!(
            hc.port_bindings.as_ref().unwrap()["80/tcp"].as_ref().unwrap()[0]
                .host_port
                .as_deref(),
            Some("")
        );
    }

    #[test]
    fn read_only_roots_keep_scratch_space_writable() {
        let spec = CreateOptions {
            read_only: Some(true),
            workdir: Some("/work".into()),
            ..Default::default()
        }
        .into_spec()
        .unwrap();
        let hc = spec.body.host_config.as_ref().unwrap();
        assert_eq!(hc.readonly_rootfs, Some(true));
        let mut dirs: Vec<&String> = hc.tmpfs.as_ref().unwrap().keys().collect();
        dirs.sort();
        assert_eq!(dirs, ["/home/sandbox", "/tmp", "/work"]);
        let plain = CreateOptions::default().into_spec().unwrap();
        let hc = plain.body.host_config.as_ref().unwrap();
        assert_eq!((hc.readonly_rootfs, hc.tmpfs.as_ref()), (None, None));
    }

    #[test]
    fn cpu_percent_is_a_share_of_one_core() {
        assert_eq!(parse_cpu_percent(50.0).unwrap(), 500_000_000);
        assert_eq!(parse_cpu_percent(100.0).unwrap(), 1_000_000_000);
        assert!(parse_cpu_percent(0.5).is_err());
        assert!(parse_cpu_percent(101.0).is_err());
        assert!(parse_cpu_percent(f64::NAN).is_err());
    }

    #[test]
    fn ports_are_checked_and_bound() {
        let (exposed, bindings) =
            parse_ports(&[("8080".into(), "80".into()), ("5353".into(), "53/udp".into())]).unwrap();
        assert!(exposed.contains(&"80/tcp".to_string()) && exposed.contains(&"53/udp".to_string()));
        let b = bindings["80/tcp"].as_ref().unwrap();
        assert_eq!(b[0].host_port.as_deref(), Some("8080"));
        assert_eq!(
            parse_ports(&[("70000".into(), "80".into())]).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        assert_eq!(
            parse_ports(&[("80".into(), "0".into())]).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        assert_eq!(
            parse_ports(&[("http".into(), "80".into())]).unwrap_err().code(),
            "ERR_INVALID_ARG_VALUE"
        );
    }

    #[test]
    fn spec_carries_labels_hardening_and_keepalive() {
        let spec = CreateOptions {
            image: Some("img".into()),
            persist: Some(true),
            project: Some("proj".into()),
            network: Some(false),
            labels: vec![("team".into(), "a".into())],
            ..Default::default()
        }
        .into_spec()
        .unwrap();
        assert!(spec.name.starts_with("pd-") && spec.name.len() == 11);
        let labels = spec.body.labels.as_ref().unwrap();
        assert_eq!(labels[labels::MANAGED], "true");
        assert_eq!(labels[labels::PERSIST], "true");
        assert_eq!(labels[labels::PROJECT], "proj");
        assert_eq!(labels["team"], "a");
        let hc = spec.body.host_config.as_ref().unwrap();
        assert_eq!(hc.network_mode.as_deref(), Some("none"));
        assert_eq!(hc.security_opt.as_deref(), Some(&["no-new-privileges".to_string()][..]));
        assert_eq!(hc.pids_limit, Some(DEFAULT_PIDS_LIMIT));
        assert_eq!(spec.default_timeout, Some(std::time::Duration::from_secs(30)));
    }

    #[test]
    fn reserved_labels_and_bad_names_are_refused() {
        let reserved = CreateOptions {
            labels: vec![("pocket-dock.managed".into(), "false".into())],
            ..Default::default()
        };
        assert!(reserved.into_spec().is_err());
        let bad_name = CreateOptions {
            name: Some("-bad name".into()),
            ..Default::default()
        };
        assert_eq!(bad_name.into_spec().unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
        let timeout = CreateOptions {
            timeout: Some(0.0),
            ..Default::default()
        };
        assert_eq!(timeout.into_spec().unwrap_err().code(), "ERR_OUT_OF_RANGE");
    }
}
