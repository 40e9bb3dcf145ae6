//! Who owns an ephemeral container: this process, named by host and pid in the
//! container's labels. The startup sweep uses it to find containers whose owner
//! is gone (the reaper normally removes them first; the sweep catches the rest,
//! e.g. an engine restarted while the owner was dying).

use once_cell::sync::Lazy;

/// This machine's host name (as `uname -n` gives it), read once.
#[cfg(unix)]
pub fn host_name() -> String {
    static NAME: Lazy<String> = Lazy::new(|| {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
        // when the name fits, and we stop at the first NUL or the end.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return String::new();
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    });
    NAME.clone()
}

/// This machine's name (`COMPUTERNAME`), read once.
#[cfg(not(unix))]
pub fn host_name() -> String {
    static NAME: Lazy<String> = Lazy::new(|| std::env::var("COMPUTERNAME").unwrap_or_default());
    NAME.clone()
}

/// Whether a process with this pid exists on this host. A process we may not
/// signal (EPERM) still exists.
#[cfg(unix)]
pub fn is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Off Unix there is no signal 0 to ask with: every owner counts as alive, so
/// the startup sweep never removes a container there (the reaper, which
/// needs no pid, still ends ephemeral containers with their process).
#[cfg(not(unix))]
pub fn is_alive(_pid: u32) -> bool {
    true
}

/// Whether the labelled owner (`host`, `pid`) is a process on this host that
/// no longer exists. An owner on another host is never judged gone.
pub fn is_gone(host: &str, pid: &str) -> bool {
    match pid.parse::<u32>() {
        Ok(pid) => host == host_name() && pid != std::process::id() && !is_alive(pid),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_owns_its_containers() {
        assert!(is_alive(std::process::id()));
        assert!(!is_gone(&host_name(), &std::process::id().to_string()));
        assert!(!host_name().is_empty());
    }

    #[test]
    fn a_dead_pid_on_this_host_is_gone_but_not_on_another_host() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(is_gone(&host_name(), &pid.to_string()));
        assert!(!is_gone("some-other-host", &pid.to_string()));
        assert!(!is_gone(&host_name(), "not-a-pid"));
    }
}
