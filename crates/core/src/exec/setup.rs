//! Telling a command that never started from one that failed.
//!
//! When the engine cannot set a command up — its `user` is not in the
//! container's passwd file, its `workdir` does not exist — Docker and Podman
//! do not refuse the exec: the runtime's error comes back as the command's
//! output with exit code 126 or 127 (Docker on stdout, Podman on stderr;
//! Podman refuses a missing user at start instead, see `error.rs`). Left
//! alone, that reads like the user's command printing an error. The pump
//! keeps the first bytes of output, and a run whose whole output is one of
//! these runtime messages becomes the same `TypeError` on both engines.

use super::output::StreamKind;
use crate::error::Error;

/// Output longer than this cannot be a runtime setup message.
const HEAD: usize = 1024;

/// The first bytes of a command's output, both streams together.
#[derive(Debug, Default)]
pub(crate) struct Head {
    bytes: Vec<u8>,
    total: usize,
}

impl Head {
    pub(crate) fn push(&mut self, _kind: StreamKind, data: &[u8]) {
        self.total += data.len();
        if self.bytes.len() < HEAD {
            let room = HEAD - self.bytes.len();
            self.bytes.extend_from_slice(&data[..data.len().min(room)]);
        }
    }

    /// The error to report instead of the result, if the command exited
    /// with `exit_code` without ever starting.
    pub(crate) fn setup_failure(&self, exit_code: i64, user: Option<&str>, workdir: Option<&str>) -> Option<Error> {
        if !(exit_code == 126 || exit_code == 127) || self.total > HEAD {
            return None;
        }
        let text = String::from_utf8_lossy(&self.bytes);
        let text = text.trim();
        let runtime = text.contains("exec failed") || text.starts_with("Error: ") || text.starts_with("unable to");
        // Only an option the caller set can be the cause: a command of their
        // own printing the same words keeps its result.
        if let (Some(user), true) = (user, text.starts_with("unable to find user")) {
            Some(Error::InvalidArgument(format!(
                "`user` {user:?} does not exist in the container ({text}). Use a user from its /etc/passwd or a numeric uid[:gid]"
            )))
        } else if let (Some(workdir), true) = (workdir, runtime && text.contains("chdir to cwd")) {
            Some(Error::InvalidArgument(format!(
                "`workdir` {workdir:?} does not exist in the container: create it first (e.g. `mkdir -p`) or pick another"
            )))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        let mut h = Head::default();
        h.push(StreamKind::Stdout, text.as_bytes());
        h
    }

    #[test]
    fn runtime_messages_of_both_engines_become_type_errors() {
        let docker_user = head("unable to find user nosuch: no matching entries in passwd file\r\n");
        let e = docker_user.setup_failure(126, Some("nosuch"), None).unwrap();
        assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE");
        assert!(e.to_string().contains("\"nosuch\""));
        let docker_cwd = head("OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd (\"/nope\") set in config.json failed: no such file or directory: unknown\r\n");
        assert!(docker_cwd.setup_failure(126, None, Some("/nope")).is_some());
        let podman_cwd = head("Error: runc: exec failed: unable to start container process: chdir to cwd (\"/nope\") set in config.json failed: no such file or directory: OCI runtime attempted to invoke a command that was not found\nError: read unixpacket @->/proc/self/fd/14/attach: read: connection reset by peer\n");
        assert!(podman_cwd.setup_failure(127, None, Some("/nope")).is_some());
    }

    #[test]
    fn a_command_that_ran_keeps_its_result() {
        assert!(head("sh: nope: not found\n").setup_failure(127, None, None).is_none());
        assert!(head("unable to find user x")
            .setup_failure(0, Some("x"), None)
            .is_none());
        assert!(head("unable to find user x").setup_failure(126, None, None).is_none());
        let mut long = head("unable to find user x\n");
        long.push(StreamKind::Stderr, &[b'a'; HEAD]);
        assert!(long.setup_failure(126, Some("x"), None).is_none());
    }
}
