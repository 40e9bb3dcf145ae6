//! Signal names and numbers as users give them to `kill()`, checked before
//! anything runs: a name the container's `kill` would not know must not turn
//! into a silent no-op that leaves the process running.

use crate::error::{Error, Result};

/// The standard signals by their Linux numbers (the same on x86-64 and
/// arm64, the architectures containers run on here). `IOT`, `POLL` and `CLD`
/// are the usual aliases.
const SIGNALS: &[(&str, u8)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// The highest signal number Linux has (`SIGRTMAX`).
const MAX_SIGNAL: u8 = 64;

/// Reads a signal as `kill()` takes it: a number 1–64, or a standard name
/// with or without `SIG`, in any case (`9`, `KILL`, `sigterm`). Anything else
/// is an `OutOfRange` error (a JS `RangeError`).
pub fn parse_signal(signal: &str) -> Result<u8> {
    let number = if !signal.is_empty() && signal.len() <= 2 && signal.bytes().all(|b| b.is_ascii_digit()) {
        signal.parse::<u8>().ok().filter(|n| (1..=MAX_SIGNAL).contains(n))
    } else {
        let upper = signal.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        SIGNALS.iter().find(|(n, _)| *n == name).map(|&(_, number)| number)
    };
    number.ok_or_else(|| {
        Error::OutOfRange(format!(
            "kill(signal): {signal:?} is not a signal: give a number from 1 to {MAX_SIGNAL} or a name such as \
             'TERM', 'KILL', 'SIGINT' or 'usr1'"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_or_without_sig_in_any_case_and_numbers() {
        for (given, number) in [
            ("KILL", 9),
            ("kill", 9),
            ("SIGKILL", 9),
            ("sigterm", 15),
            ("SigUsr1", 10),
            ("hup", 1),
            ("CHLD", 17),
            ("SIGSYS", 31),
            ("1", 1),
            ("15", 15),
            ("64", 64),
        ] {
            assert_eq!(parse_signal(given).unwrap(), number, "{given}");
        }
    }

    #[test]
    fn anything_else_is_out_of_range() {
        for bad in [
            "",
            "BOGUS",
            "SIGBOGUS",
            "SIG",
            "0",
            "00",
            "65",
            "99",
            "256",
            "-9",
            "+9",
            "9x",
            " 9",
            "KILL ",
            "SIG KILL",
            "SIGSIGKILL",
            "1.5",
            "NaN",
            "Infinity",
            "RTMIN",
            "K\0ILL",
        ] {
            assert!(matches!(parse_signal(bad), Err(Error::OutOfRange(_))), "{bad:?}");
        }
    }
}
