//! Linux capabilities of a container: `capDrop` / `capAdd`, checked before
//! the engine is called. Names are taken with or without `CAP_`, in any case;
//! an unknown name is a `RangeError`. Adding a capability that lets a process
//! leave or weaken the sandbox (mounting, loading kernel modules, tracing
//! other processes, raw devices, the host's clock, network configuration,
//! bypassing file read checks) needs `allowDangerous: true`.

use crate::error::Result;
use crate::validate::{invalid, out_of_range};

/// Every capability Linux defines (`capabilities(7)`), without `CAP_`.
const KNOWN: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "SYSLOG",
    "WAKE_ALARM",
];

/// Capabilities that break the sandbox when added: refused without
/// `allowDangerous: true`.
pub const DANGEROUS: &[&str] = &[
    "ALL",
    "BPF",
    "DAC_READ_SEARCH",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "NET_ADMIN",
    "PERFMON",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_TIME",
    "SYSLOG",
];

/// `name` as engines take it (`NET_RAW`), or a `RangeError`.
fn normalize(name: &str, what: &str) -> Result<String> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if bare == "ALL" || KNOWN.contains(&bare) {
        Ok(bare.to_string())
    } else {
        Err(out_of_range(format!(
            "{what}: {name:?} is not a Linux capability (e.g. \"NET_RAW\", \"CHOWN\", or \"ALL\"; see capabilities(7))"
        )))
    }
}

/// Checks `capDrop` and `capAdd`; returns them as the engine takes them.
pub fn check(drop: &[String], add: &[String], allow_dangerous: bool) -> Result<(Vec<String>, Vec<String>)> {
    let drop = drop
        .iter()
        .map(|c| normalize(c, "`capDrop`"))
        .collect::<Result<Vec<_>>>()?;
    let add = add
        .iter()
        .map(|c| normalize(c, "`capAdd`"))
        .collect::<Result<Vec<_>>>()?;
    if !allow_dangerous {
        if let Some(bad) = add.iter().find(|c| DANGEROUS.contains(&c.as_str())) {
            return Err(invalid(format!(
                "`capAdd` {bad:?} lets a process leave or weaken the sandbox; pass `allowDangerous: true` if you really mean it"
            )));
        }
    }
    Ok((drop, add))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names_are_normalized_and_checked() {
        let (drop, add) = check(&s(&["all", "cap_net_raw"]), &s(&["Chown"]), false).unwrap();
        assert_eq!(drop, ["ALL", "NET_RAW"]);
        assert_eq!(add, ["CHOWN"]);
        let e = check(&s(&["NET_NOPE"]), &[], false).unwrap_err();
        assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
    }

    #[test]
    fn dangerous_additions_need_allow_dangerous() {
        let e = check(&[], &s(&["SYS_ADMIN"]), false).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE");
        assert!(e.to_string().contains("allowDangerous"));
        assert!(check(&[], &s(&["SYS_ADMIN"]), true).is_ok());
        assert!(check(&s(&["SYS_ADMIN"]), &[], false).is_ok(), "dropping is always fine");
    }
}
