//! The command line, parsed without a crate: four subcommands with a few
//! flags do not justify the size of an argument-parsing library in a binary
//! that is copied into every container.

use std::ffi::{OsStr, OsString};

use crate::signals;

pub const USAGE: &str = "\
usage: pocket-dock-runner exec [--id ID] [--kill-leftovers] [--tty-size COLSxROWS] -- COMMAND [ARG...]
       pocket-dock-runner kill ID SIGNAL
       pocket-dock-runner kill --all SIGNAL
       pocket-dock-runner version
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Exec(ExecArgs),
    Kill(KillArgs),
    Version,
    Help,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ExecArgs {
    /// The id the killer finds this runner by (it stays in our command line,
    /// which any user may read, unlike the environment).
    pub id: Option<String>,
    /// When the command exits, kill whatever it left running.
    pub kill_leftovers: bool,
    /// The size to give the terminal on stdin before the command starts
    /// (engines ignore the size an exec is created with).
    pub tty_size: Option<(u16, u16)>,
    pub argv: Vec<OsString>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct KillArgs {
    /// `None`: every command's tree (`--all`).
    pub id: Option<String>,
    pub signal: i32,
}

/// Ids are what pocket-dock generates: hex digits (so one can never be a
/// prefix trick or an option).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses the full argv (program name first).
pub fn parse(argv: &[OsString]) -> Result<Command, String> {
    let mut rest = argv.iter().skip(1);
    let sub = match rest.next() {
        None => return Err("no subcommand given".into()),
        Some(s) => s.to_str().ok_or("the subcommand is not UTF-8")?,
    };
    let rest: Vec<&OsString> = rest.collect();
    match sub {
        "exec" => parse_exec(&rest).map(Command::Exec),
        "kill" => parse_kill(&rest).map(Command::Kill),
        "version" | "--version" => Ok(Command::Version),
        "help" | "--help" | "-h" => Ok(Command::Help),
        other => Err(format!("unknown subcommand {other:?}")),
    }
}

fn parse_exec(args: &[&OsString]) -> Result<ExecArgs, String> {
    let mut id = None;
    let mut kill_leftovers = false;
    let mut tty_size = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_os_str();
        if a == "--" {
            i += 1;
            break;
        }
        match a.to_str() {
            Some("--id") => {
                let v = args.get(i + 1).and_then(|v| v.to_str()).ok_or("--id needs a value")?;
                if !valid_id(v) {
                    return Err(format!("--id {v:?} is not a hex id"));
                }
                id = Some(v.to_string());
                i += 2;
            }
            Some("--tty-size") => {
                let v = args
                    .get(i + 1)
                    .and_then(|v| v.to_str())
                    .ok_or("--tty-size needs a value")?;
                tty_size = Some(parse_size(v).ok_or_else(|| format!("--tty-size {v:?} is not COLSxROWS"))?);
                i += 2;
            }
            Some("--kill-leftovers") => {
                kill_leftovers = true;
                i += 1;
            }
            // The first word that is not an option starts the command.
            _ if !starts_with_dash(a) => break,
            _ => return Err(format!("unknown exec option {a:?}")),
        }
    }
    let argv: Vec<OsString> = args[i..].iter().map(|a| (*a).clone()).collect();
    if argv.is_empty() {
        return Err("exec needs a command".into());
    }
    Ok(ExecArgs {
        id,
        kill_leftovers,
        tty_size,
        argv,
    })
}

/// `COLSxROWS`, each 1–65535.
fn parse_size(v: &str) -> Option<(u16, u16)> {
    let (cols, rows) = v.split_once('x')?;
    let (cols, rows) = (cols.parse::<u16>().ok()?, rows.parse::<u16>().ok()?);
    (cols > 0 && rows > 0).then_some((cols, rows))
}

fn parse_kill(args: &[&OsString]) -> Result<KillArgs, String> {
    let text: Vec<&str> = args
        .iter()
        .map(|a| a.to_str().ok_or("kill arguments must be UTF-8"))
        .collect::<Result<_, _>>()?;
    let (id, signal) = match text.as_slice() {
        ["--all", signal] => (None, *signal),
        [id, signal] if valid_id(id) => (Some(id.to_string()), *signal),
        [id, _] => return Err(format!("{id:?} is not a hex id")),
        _ => return Err("kill needs an id (or --all) and a signal".into()),
    };
    let signal = signals::parse(signal).ok_or_else(|| format!("{signal:?} is not a signal name or number"))?;
    Ok(KillArgs { id, signal })
}

fn starts_with_dash(a: &OsStr) -> bool {
    a.as_encoded_bytes().first() == Some(&b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<OsString> {
        std::iter::once("pocket-dock-runner")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn exec_takes_its_options_then_the_command_verbatim() {
        let c = parse(&argv(&[
            "exec",
            "--id",
            "00ff",
            "--kill-leftovers",
            "--tty-size",
            "120x40",
            "--",
            "sh",
            "-c",
            "--id x",
        ]))
        .unwrap();
        assert_eq!(
            c,
            Command::Exec(ExecArgs {
                id: Some("00ff".into()),
                kill_leftovers: true,
                tty_size: Some((120, 40)),
                argv: ["sh", "-c", "--id x"].map(OsString::from).to_vec(),
            })
        );
        // Without `--`, the first non-option word starts the command.
        let c = parse(&argv(&["exec", "sleep", "--", "1"])).unwrap();
        let Command::Exec(e) = c else { panic!() };
        assert_eq!(e.argv, ["sleep", "--", "1"].map(OsString::from).to_vec());
        assert_eq!((e.id, e.kill_leftovers), (None, false));
        // A command after `--` may start with a dash.
        let Command::Exec(e) = parse(&argv(&["exec", "--", "-weird"])).unwrap() else {
            panic!()
        };
        assert_eq!(e.argv, vec![OsString::from("-weird")]);
    }

    #[test]
    fn exec_refuses_bad_input() {
        for bad in [
            &["exec"][..],
            &["exec", "--"],
            &["exec", "--id"],
            &["exec", "--id", "xyz", "--", "sh"],
            &["exec", "--nope", "--", "sh"],
            &["exec", "--tty-size", "80", "--", "sh"],
            &["exec", "--tty-size", "0x24", "--", "sh"],
            &[],
            &["frobnicate"],
        ] {
            assert!(parse(&argv(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kill_takes_an_id_or_all_and_a_signal() {
        assert_eq!(
            parse(&argv(&["kill", "abc123", "KILL"])).unwrap(),
            Command::Kill(KillArgs {
                id: Some("abc123".into()),
                signal: libc::SIGKILL
            })
        );
        assert_eq!(
            parse(&argv(&["kill", "--all", "15"])).unwrap(),
            Command::Kill(KillArgs {
                id: None,
                signal: libc::SIGTERM
            })
        );
        for bad in [
            &["kill", "abc", "BOGUS"][..],
            &["kill", "not-hex", "KILL"],
            &["kill", "abc"],
            &["kill", "abc", "KILL", "extra"],
        ] {
            assert!(parse(&argv(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn version_and_help() {
        assert_eq!(parse(&argv(&["version"])).unwrap(), Command::Version);
        assert_eq!(parse(&argv(&["--help"])).unwrap(), Command::Help);
    }
}
