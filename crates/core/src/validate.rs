//! The pure checks of user input that more than one module needs: timeouts,
//! environment variables, absolute paths, NUL bytes, image references and
//! container names. Each runs before any engine call, so bad input fails with
//! a `TypeError`/`RangeError`-style [`Error`] and never leaves anything behind.

use std::time::Duration;

use crate::error::{Error, Result};

/// Bad input of the wrong kind or shape (a JS `TypeError`).
pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

/// Bad input outside its range (a JS `RangeError`).
pub(crate) fn out_of_range(msg: impl Into<String>) -> Error {
    Error::OutOfRange(msg.into())
}

/// The longest finite timeout, in seconds: one year. A deadline is "now" plus
/// the timeout, and values near `Duration`'s or `Instant`'s limits overflow
/// (`1e19` does), so longer finite values are refused rather than clamped:
/// `Infinity` is the one way to say "no limit".
pub const MAX_TIMEOUT_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// A timeout in seconds: positive, at most [`MAX_TIMEOUT_SECS`]; `Infinity`
/// means no limit (`None`).
pub fn parse_timeout(secs: f64, what: &str) -> Result<Option<Duration>> {
    if secs.is_nan() || secs <= 0.0 {
        return Err(out_of_range(format!(
            "`{what}` must be a positive number of seconds (or Infinity for no limit), got {secs}"
        )));
    }
    if secs.is_infinite() {
        return Ok(None);
    }
    if secs > MAX_TIMEOUT_SECS {
        return Err(out_of_range(format!(
            "`{what}` of {secs} s is longer than a deadline can hold (at most {MAX_TIMEOUT_SECS} s, one year): use Infinity for no limit"
        )));
    }
    Ok(Some(Duration::from_secs_f64(secs)))
}

/// Refuses a NUL byte in text that ends up in the engine's JSON or a C
/// string (paths, users, labels): engines answer it with an unrelated 500.
pub fn check_no_nul(value: &str, what: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(invalid(format!("{what} {value:?} contains a NUL byte")));
    }
    Ok(())
}

/// An absolute path without NUL bytes: a relative path has no meaning in a
/// container (nor in a bind mount). `what` names it in the message.
pub fn check_absolute(path: &str, what: &str) -> Result<()> {
    check_no_nul(path, what)?;
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} must be an absolute path (start with `/`), got {path:?}"
        )))
    }
}

/// `KEY=value` strings; keys must be non-empty and free of `=` and NUL.
pub fn parse_env(env: &[(String, String)]) -> Result<Vec<String>> {
    env.iter()
        .map(|(k, v)| {
            if k.is_empty() || k.contains('=') || k.contains('\0') {
                return Err(invalid(format!("`env` key {k:?} is not a valid variable name")));
            }
            if v.contains('\0') {
                return Err(invalid(format!(
                    "`env` value of {k:?} contains a NUL byte, which an environment variable cannot hold"
                )));
            }
            Ok(format!("{k}={v}"))
        })
        .collect()
}

/// The engine's rule for container names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn check_name(n: &str) -> Result<()> {
    let mut chars = n.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_rest = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok_first && ok_rest && n.len() >= 2 {
        Ok(())
    } else {
        Err(invalid(format!(
            "`name` {n:?} is not a valid container name: use letters, digits, `_`, `.` and `-`, starting with a letter or digit (at least 2 characters)"
        )))
    }
}

/// An image reference as the distribution spec defines it
/// (`[registry/]name[:tag][@digest]`), checked before any engine call: an
/// engine answers a bad one with a 400 or 500 that reads like a failure of the
/// engine. The grammar comes from `oci-spec`; it treats a first component
/// with upper case as a registry host, which engines reject unless it holds a
/// `.` or `:` or is `localhost`, so that rule is added here.
pub fn check_image_ref(image: &str, what: &str) -> Result<()> {
    let bad = |why: &str| {
        invalid(format!(
            "{what} {image:?} is not a valid image reference ({why}): use lower-case `name`, `name:tag` or `registry/name:tag`"
        ))
    };
    check_no_nul(image, what)?;
    let reference = oci_spec::distribution::Reference::try_from(image).map_err(|e| bad(&e.to_string()))?;
    let first = image.split('/').next().unwrap_or_default();
    let registry_given = image.contains('/') && (first.contains(['.', ':']) || first == "localhost");
    let path = if registry_given {
        &image[first.len() + 1..]
    } else {
        image
    };
    let name = path.split(['@', ':']).next().unwrap_or_default();
    if name.chars().any(|c| c.is_ascii_uppercase()) || reference.repository().is_empty() {
        return Err(bad("repository name must be lowercase"));
    }
    Ok(())
}

/// `repo` or `repo:tag` (a `:` after the last `/`; a registry port is not a
/// tag) → its parts: the name an image is committed or tagged under.
pub fn split_image_name(name: &str) -> Result<(&str, Option<&str>)> {
    let bad = || {
        invalid(format!(
            "{name:?} is not an image name: use `name` or `name:tag`, e.g. \"my-snapshot:v1\""
        ))
    };
    check_image_ref(name, "the snapshot name")?;
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_ascii_uppercase()) || name.contains('@') {
        return Err(bad());
    }
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
        None => (name, None),
    };
    if repo.is_empty() || repo.ends_with('/') || tag == Some("") {
        return Err(bad());
    }
    Ok((repo, tag))
}

/// A project name is a label value and a word in messages: not empty, at most
/// 128 characters, no `/`, `\` or control characters (newlines included).
pub fn check_project_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidArgument("a project name must not be empty".into()));
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || *c == '/' || *c == '\\') {
        return Err(Error::InvalidArgument(format!(
            "a project name must not contain {c:?}: got {name:?}"
        )));
    }
    if name.chars().count() > 128 {
        return Err(Error::OutOfRange(format!(
            "a project name must be at most 128 characters, got {}",
            name.chars().count()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        for good in [
            "busybox",
            "pocket-dock/minimal-python",
            "pocket-dock-test/busybox:latest",
            "127.0.0.1:5000/x/y:1",
            "localhost/a_b.c-d:v1.2",
            "Registry.Example:5000/lower/case:TAG",
            "busybox@sha256:0123456789012345678901234567890123456789012345678901234567890123",
        ] {
            assert!(check_image_ref(good, "`image`").is_ok(), "{good}");
        }
        for bad in [
            "bad image",
            "Upper/x",
            "UPPER",
            "x:",
            "a//b",
            "x\0y",
            "-x",
            "x:tag with space",
        ] {
            let e = check_image_ref(bad, "`image`").unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE", "{bad}");
        }
    }

    #[test]
    fn timeouts_beyond_a_year_are_out_of_range_not_a_panic() {
        assert_eq!(parse_timeout(f64::INFINITY, "t").unwrap(), None);
        assert!(parse_timeout(MAX_TIMEOUT_SECS, "t").unwrap().is_some());
        for bad in [MAX_TIMEOUT_SECS * 1.01, 1e19, 1e20, f64::MAX] {
            assert_eq!(parse_timeout(bad, "t").unwrap_err().code(), "ERR_OUT_OF_RANGE", "{bad}");
        }
    }

    #[test]
    fn paths_must_be_absolute_and_free_of_nul() {
        assert!(check_absolute("/a/b", "`workdir`").is_ok());
        for bad in ["a/b", "", "/a\0b"] {
            let e = check_absolute(bad, "`workdir`").unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE", "{bad:?}");
            assert!(e.to_string().starts_with("`workdir`"), "{e}");
        }
    }

    #[test]
    fn image_names_split_into_repo_and_tag() {
        assert_eq!(split_image_name("snap").unwrap(), ("snap", None));
        assert_eq!(split_image_name("snap:v1").unwrap(), ("snap", Some("v1")));
        assert_eq!(
            split_image_name("localhost:5000/team/snap").unwrap(),
            ("localhost:5000/team/snap", None)
        );
        assert_eq!(
            split_image_name("localhost:5000/snap:v2").unwrap(),
            ("localhost:5000/snap", Some("v2"))
        );
        for bad in ["", "snap:", "Snap", "a b", "x@sha256:00"] {
            assert_eq!(
                split_image_name(bad).unwrap_err().code(),
                "ERR_INVALID_ARG_VALUE",
                "{bad}"
            );
        }
    }
}
