//! `info()`: a live picture of a container from the engine (inspect, two stats
//! samples, the process table), never cached.
//!
//! Docker and Podman differ in their stats payloads (Podman leaves memory
//! `stats` empty and has no cache figures; Docker's one-shot sample has no
//! previous CPU reading) and in `top` (Docker: host ps columns; Podman: the
//! container's own `ps`, one column per row). The parsers here fold both.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerInspectResponse, ContainerStatsResponse, ContainerTopResponse};
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// Time between the two stats samples that give `cpuPercent`. Both engines
/// answer a one-shot sample at once; CPU use is the difference over this gap.
const CPU_SAMPLE_GAP: Duration = Duration::from_millis(100);

/// One process in the container, as the engine's `top` reports it. `pid` is the
/// engine's view: a host pid on Docker, the container's own pid on Podman.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    pub pid: i64,
    pub user: String,
    pub command: String,
}

/// What `info()` reports (the TS `ContainerInfo`).
#[derive(Debug, Clone)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// `running`, `exited`, `created`, `paused`, …
    pub status: String,
    pub image: String,
    /// RFC 3339 timestamps as the engine gives them.
    pub created_at: String,
    pub started_at: Option<String>,
    /// Milliseconds since the container (re)started; 0 when not running.
    pub uptime_ms: f64,
    pub memory_usage_bytes: u64,
    /// The configured limit, or what the engine reports (the host's memory)
    /// when there is none.
    pub memory_limit_bytes: u64,
    pub memory_percent: f64,
    /// Percent of one core over the sampling gap (200 = two full cores).
    pub cpu_percent: f64,
    pub pids: u64,
    /// Whether the container has a network beyond loopback.
    pub network: bool,
    pub ip_address: Option<String>,
    /// Container port (`"80"`, `"53/udp"`) → published host port.
    pub ports: Vec<(String, u16)>,
    pub processes: Vec<ProcessInfo>,
    /// How commands are killed: through the runner (`subreaper`, whole
    /// process trees) or by the marker fallback. The handle knows; the
    /// engine does not, so [`info`] leaves the fallback and the handle fills it in.
    pub kill_mode: crate::runner::KillMode,
    /// The engine's address as a person reads it (`unix:///…`, `tcp://…`, `ssh://…`).
    pub engine: String,
    /// How discovery found that engine (`host`, `DOCKER_HOST`, `Docker context "x"`, `Podman rootful`, …).
    pub engine_source: String,
}

impl ContainerInfo {
    /// The memory in use as human text (`"12.3 MiB"`).
    pub fn memory_usage(&self) -> String {
        human_bytes(self.memory_usage_bytes)
    }

    /// The memory limit as human text (`"512.0 MiB"`).
    pub fn memory_limit(&self) -> String {
        human_bytes(self.memory_limit_bytes)
    }
}

/// Reads everything `info()` reports about container `id`.
pub async fn info(engine: &Engine, id: &str) -> Result<ContainerInfo> {
    let docker = engine.docker();
    let op = Op::Handle { container: id };
    let inspect = engine.inspect_container(id, op).await?;
    let state = inspect.state.clone().unwrap_or_default();
    let running = state.running == Some(true);
    let (first, top) = if running {
        tokio::join!(sample(engine, id), async {
            docker
                .top_processes(id, None::<bollard::query_parameters::TopOptions>)
                .await
        })
    } else {
        (Ok(None), Ok(ContainerTopResponse::default()))
    };
    let first = first?;
    let second = match first {
        Some(_) => {
            tokio::time::sleep(CPU_SAMPLE_GAP).await;
            sample(engine, id).await?
        }
        None => None,
    };
    // A container that stops between inspect and top has no processes.
    let processes = top.map(|t| parse_top(&t)).unwrap_or_default();
    let mut info = assemble(inspect, first.as_ref(), second.as_ref(), processes);
    info.engine = engine.host();
    info.engine_source = engine.source().to_string();
    Ok(info)
}

/// One one-shot stats sample; `None` if the container stopped meanwhile.
async fn sample(engine: &Engine, id: &str) -> Result<Option<ContainerStatsResponse>> {
    let opts = StatsOptions {
        stream: false,
        one_shot: true,
    };
    let mut stream = engine.docker().stats(id, Some(opts));
    match stream.next().await {
        Some(Ok(s)) => Ok(Some(s)),
        Some(Err(e)) => match Error::from_engine(e, Op::Handle { container: id }) {
            Error::ContainerNotRunning { .. } => Ok(None),
            other => Err(other),
        },
        None => Ok(None),
    }
}

fn assemble(
    inspect: ContainerInspectResponse,
    first: Option<&ContainerStatsResponse>,
    second: Option<&ContainerStatsResponse>,
    processes: Vec<ProcessInfo>,
) -> ContainerInfo {
    let state = inspect.state.unwrap_or_default();
    let running = state.running == Some(true);
    let status = state.status.map(|s| s.to_string()).unwrap_or_default();
    let host = inspect.host_config.unwrap_or_default();
    let config = inspect.config.unwrap_or_default();
    let latest = second.or(first);

    let memory = latest.and_then(|s| s.memory_stats.as_ref());
    let memory_usage_bytes = memory.map(memory_in_use).unwrap_or(0);
    let configured = host.memory.filter(|&m| m > 0).map(|m| m as u64);
    let memory_limit_bytes = configured.or_else(|| memory.and_then(|m| m.limit)).unwrap_or(0);
    let memory_percent = if memory_limit_bytes > 0 {
        memory_usage_bytes as f64 * 100.0 / memory_limit_bytes as f64
    } else {
        0.0
    };
    let cpu_percent = match (first, second) {
        (Some(a), Some(b)) => cpu_percent(a, b),
        _ => 0.0,
    };
    let pids = latest
        .and_then(|s| s.pids_stats.as_ref())
        .and_then(|p| p.current)
        .unwrap_or(processes.len() as u64);

    let started_at = state.started_at.filter(|s| running && !s.starts_with("0001-"));
    // Both ends of the uptime come from the engine's clock (a VM's clock may
    // differ from ours).
    let now = latest
        .and_then(|s| s.read.as_deref())
        .and_then(parse_rfc3339_nanos)
        .or_else(|| {
            let since_epoch = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?;
            Some(since_epoch.as_nanos() as i128)
        });
    let uptime_ms = match (started_at.as_deref().and_then(parse_rfc3339_nanos), now) {
        (Some(start), Some(now)) if now > start => (now - start) as f64 / 1e6,
        _ => 0.0,
    };

    let network_mode = host.network_mode.unwrap_or_default();
    let settings = inspect.network_settings.unwrap_or_default();
    let ip_address = settings
        .networks
        .as_ref()
        .into_iter()
        .flat_map(|n| n.values())
        .filter_map(|n| n.ip_address.clone())
        .find(|ip| !ip.is_empty());
    let ports = settings.ports.map(|p| published_ports(&p)).unwrap_or_default();

    ContainerInfo {
        id: inspect.id.unwrap_or_default(),
        name: inspect.name.unwrap_or_default().trim_start_matches('/').to_string(),
        status,
        image: config.image.unwrap_or_default(),
        created_at: inspect.created.unwrap_or_default(),
        started_at,
        uptime_ms,
        memory_usage_bytes,
        memory_limit_bytes,
        memory_percent,
        cpu_percent,
        pids: if running { pids } else { 0 },
        network: network_mode != "none",
        ip_address,
        ports,
        processes,
        kill_mode: crate::runner::KillMode::Marker,
        engine: String::new(),
        engine_source: String::new(),
    }
}

/// Memory in use as `docker stats` counts it: usage minus the inactive page
/// cache (cgroup v1 `total_inactive_file`, v2 `inactive_file`), which the kernel
/// reclaims first.
fn memory_in_use(m: &bollard::models::ContainerMemoryStats) -> u64 {
    let usage = m.usage.unwrap_or(0);
    let cache = m
        .stats
        .as_ref()
        .and_then(|s| s.get("total_inactive_file").or_else(|| s.get("inactive_file")).copied())
        .unwrap_or(0);
    if cache < usage {
        usage - cache
    } else {
        usage
    }
}

/// CPU use between two samples, in percent of one core.
fn cpu_percent(a: &ContainerStatsResponse, b: &ContainerStatsResponse) -> f64 {
    let total = |s: &ContainerStatsResponse| {
        s.cpu_stats
            .as_ref()
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
    };
    let read = |s: &ContainerStatsResponse| s.read.as_deref().and_then(parse_rfc3339_nanos);
    match (total(a), total(b), read(a), read(b)) {
        (Some(ua), Some(ub), Some(ta), Some(tb)) if tb > ta && ub >= ua => (ub - ua) as f64 * 100.0 / (tb - ta) as f64,
        _ => 0.0,
    }
}

/// `{"80/tcp": [{HostPort: "8080"}]}` → `[("80", 8080)]`; other protocols keep
/// their suffix (`"53/udp"`), as in `CreateOptions.ports`.
fn published_ports(ports: &HashMap<String, Option<Vec<bollard::models::PortBinding>>>) -> Vec<(String, u16)> {
    let mut out: Vec<(String, u16)> = ports
        .iter()
        .filter_map(|(key, bindings)| {
            let host = bindings
                .as_ref()?
                .iter()
                .find_map(|b| b.host_port.as_deref()?.parse::<u16>().ok())?;
            let key = key.strip_suffix("/tcp").unwrap_or(key).to_string();
            Some((key, host))
        })
        .collect();
    out.sort();
    out
}

/// Reads the engine's process table. Docker gives one column per title
/// (`UID PID PPID C STIME TTY TIME CMD`); Podman runs the container's `ps` and
/// gives one string per row under one title (`PID USER COMMAND`).
fn parse_top(top: &ContainerTopResponse) -> Vec<ProcessInfo> {
    let titles = top.titles.clone().unwrap_or_default();
    let rows = top.processes.clone().unwrap_or_default();
    let (titles, split): (Vec<String>, bool) = if titles.len() == 1 {
        (titles[0].split_whitespace().map(str::to_string).collect(), true)
    } else {
        (titles, false)
    };
    let find = |names: &[&str]| {
        titles
            .iter()
            .position(|t| names.contains(&t.to_ascii_uppercase().as_str()))
    };
    let (Some(pid), Some(cmd)) = (find(&["PID"]), find(&["CMD", "COMMAND", "ARGS"])) else {
        return Vec::new();
    };
    let user = find(&["USER", "UID"]);
    rows.iter()
        .filter_map(|row| {
            let cells: Vec<String> = if split {
                split_columns(&row.join(" "), titles.len())
            } else {
                row.clone()
            };
            Some(ProcessInfo {
                pid: cells.get(pid)?.trim().parse().ok()?,
                user: user.and_then(|u| cells.get(u)).cloned().unwrap_or_default(),
                command: cells.get(cmd)?.clone(),
            })
        })
        .collect()
}

/// Splits a `ps` line into `n` columns; the last one keeps its spaces.
fn split_columns(line: &str, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut rest = line.trim_start();
    while out.len() + 1 < n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    out.push(rest.trim_end().to_string());
    out
}

/// Nanoseconds since the Unix epoch of an RFC 3339 timestamp
/// (`2026-11-27T12:29:06.973430034Z`, or with a `+hh:mm` offset).
pub fn parse_rfc3339_nanos(s: &str) -> Option<i128> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (clock, offset_secs) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (c, off) = time.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        (
            c,
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60),
        )
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':');
    let (h, mi, sec): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    let nanos: i64 = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(9).collect();
        digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32)
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    Some(secs as i128 * 1_000_000_000 + nanos as i128)
}

/// `1536` → `"1.5 KiB"`: the human text beside each raw byte count.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_both_engines_parse() {
        let a = parse_rfc3339_nanos("2026-11-27T12:29:06.973430034Z").unwrap();
        let b = parse_rfc3339_nanos("2026-11-27T12:29:07.198725929Z").unwrap();
        assert_eq!(b - a, 225_295_895);
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:01Z"), Some(1_000_000_000));
        assert_eq!(
            parse_rfc3339_nanos("2026-11-27T13:29:06.5+01:00"),
            parse_rfc3339_nanos("2026-11-27T12:29:06.500Z")
        );
        assert_eq!(parse_rfc3339_nanos("yesterday"), None);
    }

    #[test]
    fn top_of_docker_and_podman_reads_the_same() {
        let docker = ContainerTopResponse {
            titles: Some(
                ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
                    .map(String::from)
                    .to_vec(),
            ),
            processes: Some(vec![[
                "root",
                "18016",
                "17995",
                "0",
                "12:29",
                "?",
                "00:00:00",
                "sleep 1000",
            ]
            .map(String::from)
            .to_vec()]),
        };
        let podman = ContainerTopResponse {
            titles: Some(vec!["PID   USER     COMMAND".into()]),
            processes: Some(vec![vec!["    1 root     sleep 1000".into()]]),
        };
        let d = parse_top(&docker);
        let p = parse_top(&podman);
        assert_eq!(d[0].command, "sleep 1000");
        assert_eq!((d[0].pid, d[0].user.as_str()), (18016, "root"));
        assert_eq!(
            p[0],
            ProcessInfo {
                pid: 1,
                user: "root".into(),
                command: "sleep 1000".into()
            }
        );
    }

    #[test]
    fn ports_are_keyed_by_container_port() {
        let binding = |p: &str| {
            Some(vec![bollard::models::PortBinding {
                host_ip: Some("0.0.0.0".into()),
                host_port: Some(p.into()),
            }])
        };
        let ports = HashMap::from([
            ("80/tcp".to_string(), binding("18080")),
            ("53/udp".to_string(), binding("5353")),
            ("443/tcp".to_string(), None),
        ]);
        assert_eq!(
            published_ports(&ports),
            vec![("53/udp".to_string(), 5353), ("80".to_string(), 18080)]
        );
    }

    #[test]
    fn memory_in_use_leaves_out_the_reclaimable_cache() {
        let m = bollard::models::ContainerMemoryStats {
            usage: Some(10_000),
            stats: Some(HashMap::from([("total_inactive_file".to_string(), 4_000)])),
            ..Default::default()
        };
        assert_eq!(memory_in_use(&m), 6_000);
        let podman = bollard::models::ContainerMemoryStats {
            usage: Some(524_288),
            limit: Some(64 << 20),
            ..Default::default()
        };
        assert_eq!(memory_in_use(&podman), 524_288);
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(64 << 20), "64.0 MiB");
        assert_eq!(human_bytes(12), "12 B");
    }
}
