//! `waitForPort`: whether something listens on a TCP port *inside* the
//! container. Asked from inside because the engine's port proxy on the host
//! accepts connections before anything listens in the container, so a
//! connect from outside proves nothing. The kernel's socket tables
//! (`/proc/net/tcp` and `tcp6`, as the container's network namespace sees
//! them) list every listening socket; they are read every
//! [`POLL_INTERVAL`] until the port shows up.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec::{self, ExecPlan};

/// Pause between two looks (each look is one short exec).
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// When no `timeout` is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks a port number: a whole number 1–65535.
pub fn check_port(port: f64) -> Result<u16> {
    if port.fract() == 0.0 && (1.0..=65535.0).contains(&port) {
        Ok(port as u16)
    } else {
        Err(Error::OutOfRange(format!(
            "`port` must be a whole number from 1 to 65535, got {port}"
        )))
    }
}

/// Waits until a socket listens on TCP `port` in `container`, at most
/// `timeout` (`None`: no limit); `cancel` stops waiting (`Aborted`).
pub async fn wait_for_port(
    engine: &Arc<Engine>,
    container: &str,
    port: u16,
    timeout: Option<Duration>,
    cancel: &CancellationToken,
) -> Result<()> {
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    loop {
        let plan = ExecPlan::internal(vec!["cat".into(), "/proc/net/tcp".into(), "/proc/net/tcp6".into()]);
        let look = exec::run(engine, container, plan, cancel.clone());
        let result = tokio::select! {
            r = look => r?,
            _ = cancel.cancelled() => return Err(aborted(port)),
        };
        if listening(&result.stdout, port) {
            return Ok(());
        }
        let next = tokio::time::Instant::now() + POLL_INTERVAL;
        if deadline.is_some_and(|d| next >= d) {
            return Err(Error::Timeout {
                detail: format!(
                    "nothing listened on port {port} inside the container within {:.1} s. Check that the server started (its output, `process.isRunning()`) and listens on that port",
                    timeout.unwrap_or_default().as_secs_f64()
                ),
            });
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = cancel.cancelled() => return Err(aborted(port)),
        }
    }
}

fn aborted(port: u16) -> Error {
    Error::Aborted {
        operation: format!("waitForPort({port})"),
    }
}

/// Whether the socket tables list a listening socket on `port`. Each line:
/// `sl local_address rem_address st …`, the address as `HEXIP:HEXPORT`, state
/// `0A` for LISTEN.
fn listening(tables: &str, port: u16) -> bool {
    tables.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let (Some(_), Some(local), Some(_), Some(state)) = (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        state == "0A"
            && local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                == Some(port)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_sockets_are_found_by_port_and_state() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1\n   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2\n";
        assert!(listening(tcp, 8080));
        assert!(!listening(tcp, 80), "an established connection is not a listener");
        let tcp6 = "   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0\n";
        assert!(listening(tcp6, 3000));
        assert!(check_port(0.0).is_err() && check_port(70000.0).is_err() && check_port(80.5).is_err());
    }
}
