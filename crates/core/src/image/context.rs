//! A build context: a host directory, checked, filtered by its
//! `.dockerignore`, and streamed to the engine as a tar that is never whole
//! in memory.
//!
//! `.dockerignore` follows the docker CLI's rules: one pattern per line, `#`
//! comments, patterns relative to the context root (a leading `/` is dropped,
//! paths are cleaned), `*` and `?` never cross a `/`, `**` spans any number of
//! directories, `!` re-includes, the last matching pattern wins, and a path is
//! excluded when it or any of its parent directories matches. The Dockerfile
//! and the `.dockerignore` itself are always sent (the engine needs them). As
//! the docker CLI does, a `<dockerfile>.dockerignore` next to the Dockerfile
//! takes precedence over the root `.dockerignore`, files are sent as owned by
//! root, sockets are skipped, and symlinks are sent as links (never followed).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use globset::{GlobBuilder, GlobMatcher};
use tokio::sync::mpsc;

use crate::error::Result;
use crate::validate::invalid;

/// Bytes per chunk sent to the engine, and chunks in flight: the context
/// streams with at most ~256 KiB buffered, whatever its size.
const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

/// The parsed `.dockerignore`.
#[derive(Debug, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

#[derive(Debug)]
struct Pattern {
    text: String,
    matcher: GlobMatcher,
    /// A `!` pattern: matching paths are sent after all.
    include: bool,
}

impl Ignore {
    /// Parses `.dockerignore` text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Ignore> {
        let mut patterns = Vec::new();
        for (n, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            let include = p.starts_with('!');
            if include {
                p = p[1..].trim();
            }
            if p.is_empty() {
                continue;
            }
            let cleaned = clean(p);
            // Go's character classes negate with `^`; globset's with `!`.
            let glob = cleaned.replace("[^", "[!");
            let matcher = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| invalid(format!("{file} line {}: bad pattern {p:?}: {e}", n + 1)))?
                .compile_matcher();
            patterns.push(Pattern {
                text: cleaned,
                matcher,
                include,
            });
        }
        Ok(Ignore { patterns })
    }

    /// Whether `rel` (relative to the context root, `/`-separated) is left out.
    pub fn excludes(&self, rel: &str) -> bool {
        let mut excluded = false;
        for p in &self.patterns {
            if p.matches_or_parent_matches(rel) {
                excluded = !p.include;
            }
        }
        excluded
    }

    /// Whether some `!` pattern could re-include a path inside excluded
    /// directory `dir`: only then is an excluded directory walked at all.
    fn may_reinclude_under(&self, dir: &str) -> bool {
        self.patterns.iter().any(|p| {
            p.include && (p.text.starts_with(&format!("{dir}/")) || p.text.contains("**") || !p.text.contains('/'))
        })
    }
}

impl Pattern {
    fn matches_or_parent_matches(&self, rel: &str) -> bool {
        if self.matcher.is_match(rel) {
            return true;
        }
        rel.match_indices('/').any(|(i, _)| self.matcher.is_match(&rel[..i]))
    }
}

/// Lexically cleans a pattern as Go's `filepath.Clean` does, without a
/// leading `/`: `./a//b/../c/` → `a/c`.
fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// A checked build context: where it is, which Dockerfile (relative to it, as
/// the engine wants it), and what to leave out.
#[derive(Debug)]
pub struct Context {
    root: PathBuf,
    dockerfile: String,
    ignore: Ignore,
}

impl Context {
    /// Checks `dir` and `dockerfile` (default `Dockerfile`, relative to `dir`
    /// or absolute inside it) before anything is sent, and reads the ignore
    /// file. Every failure is bad input: a `TypeError` naming the path.
    pub fn open(dir: &str, dockerfile: Option<&str>) -> Result<Context> {
        let meta = fs::metadata(dir).map_err(|e| invalid(format!("the build context {dir:?} cannot be read: {e}")))?;
        if !meta.is_dir() {
            return Err(invalid(format!("the build context {dir:?} is not a directory")));
        }
        let root = fs::canonicalize(dir).map_err(|e| invalid(format!("the build context {dir:?}: {e}")))?;
        let given = dockerfile.unwrap_or("Dockerfile");
        crate::validate::check_no_nul(given, "`dockerfile`")?;
        let candidate = if Path::new(given).is_absolute() {
            PathBuf::from(given)
        } else {
            root.join(given)
        };
        let file = fs::canonicalize(&candidate)
            .map_err(|e| invalid(format!("the Dockerfile {} cannot be read: {e}", candidate.display())))?;
        let rel = file.strip_prefix(&root).map_err(|_| {
            invalid(format!(
                "the Dockerfile {} is outside the build context {}; move it inside, or pick a context that contains it",
                file.display(),
                root.display()
            ))
        })?;
        if !file.is_file() {
            return Err(invalid(format!("the Dockerfile {} is not a file", file.display())));
        }
        let dockerfile = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        // `<dockerfile>.dockerignore` beside the Dockerfile wins over the root one.
        let specific = PathBuf::from(format!("{}.dockerignore", file.display()));
        let ignore_file = if specific.is_file() {
            specific
        } else {
            root.join(".dockerignore")
        };
        let ignore = match fs::read_to_string(&ignore_file) {
            Ok(text) => Ignore::parse(&text, &ignore_file.display().to_string())?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ignore::default(),
            Err(e) => return Err(invalid(format!("{} cannot be read: {e}", ignore_file.display()))),
        };
        Ok(Context {
            root,
            dockerfile,
            ignore,
        })
    }

    /// The Dockerfile's path inside the context, as the build API takes it.
    pub fn dockerfile(&self) -> &str {
        &self.dockerfile
    }

    /// Starts writing the context as a tar on a blocking thread and returns
    /// its chunks as they are made. A file that cannot be read ends the
    /// stream with an error naming it.
    pub fn stream(self) -> mpsc::Receiver<io::Result<Bytes>> {
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        tokio::task::spawn_blocking(move || {
            let mut writer = ChunkWriter {
                tx: tx.clone(),
                buf: Vec::with_capacity(CHUNK),
            };
            let written = self.write_tar(&mut writer).and_then(|()| writer.flush());
            if let Err(e) = written {
                let _ = tx.blocking_send(Err(e));
            }
        });
        rx
    }

    fn write_tar(&self, out: &mut ChunkWriter) -> io::Result<()> {
        let mut builder = tar::Builder::new(out);
        self.append_dir(&mut builder, &self.root, "")?;
        builder.finish()
    }

    fn append_dir(&self, b: &mut tar::Builder<&mut ChunkWriter>, dir: &Path, rel: &str) -> io::Result<()> {
        let mut entries = fs::read_dir(dir)
            .map_err(|e| named(dir, e))?
            .collect::<io::Result<Vec<_>>>()
            .map_err(|e| named(dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let child_rel = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).map_err(|e| named(&path, e))?;
            let always = child_rel == self.dockerfile || child_rel == ".dockerignore";
            let excluded = !always && self.ignore.excludes(&child_rel);
            if meta.is_dir() {
                if !excluded {
                    append_entry(b, &path, &child_rel, &meta)?;
                }
                if !excluded || self.ignore.may_reinclude_under(&child_rel) {
                    self.append_dir(b, &path, &child_rel)?;
                }
            } else if !excluded {
                append_entry(b, &path, &child_rel, &meta)?;
            }
        }
        Ok(())
    }
}

/// One entry, owned by root as the docker CLI sends it, with its mode and
/// mtime; a symlink as a link, a socket not at all.
fn append_entry(b: &mut tar::Builder<&mut ChunkWriter>, path: &Path, rel: &str, meta: &fs::Metadata) -> io::Result<()> {
    let kind = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_socket() {
            return Ok(());
        }
    }
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
    header.set_uid(0);
    header.set_gid(0);
    header.set_username("").and_then(|()| header.set_groupname(""))?;
    if kind.is_symlink() {
        let target = fs::read_link(path).map_err(|e| named(path, e))?;
        header.set_size(0);
        b.append_link(&mut header, rel, target).map_err(|e| named(path, e))
    } else if kind.is_file() {
        let file = fs::File::open(path).map_err(|e| named(path, e))?;
        b.append_data(&mut header, rel, file).map_err(|e| named(path, e))
    } else {
        // Directories, FIFOs and devices: the header says it all.
        header.set_size(0);
        let rel = if kind.is_dir() {
            format!("{rel}/")
        } else {
            rel.to_string()
        };
        b.append_data(&mut header, rel, io::empty()).map_err(|e| named(path, e))
    }
}

fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// A `Write` that cuts the tar into chunks for the request body, blocking the
/// writing thread while the engine is behind (backpressure).
struct ChunkWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.flush()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the build was stopped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> Ignore {
        Ignore::parse(text, ".dockerignore").unwrap()
    }

    #[test]
    fn patterns_are_anchored_at_the_root_and_cover_what_is_below() {
        let i = ignore("node_modules\n/build/\n*.log\n");
        assert!(i.excludes("node_modules"));
        assert!(i.excludes("node_modules/a/b.js"));
        assert!(
            !i.excludes("src/node_modules"),
            "anchored at the root, unlike .gitignore"
        );
        assert!(i.excludes("build/out.o"));
        assert!(i.excludes("x.log"));
        assert!(!i.excludes("logs/x.log"), "`*` does not cross `/`");
    }

    #[test]
    fn double_star_spans_directories_and_the_last_match_wins() {
        let i = ignore("**/*.tmp\n*.md\n!README.md\n# a comment\n\n");
        assert!(i.excludes("a/b/c.tmp"));
        assert!(i.excludes("c.tmp"));
        assert!(i.excludes("NOTES.md"));
        assert!(!i.excludes("README.md"));
    }

    #[test]
    fn an_exception_re_includes_inside_an_excluded_directory() {
        let i = ignore("docs\n!docs/keep.txt\n");
        assert!(i.excludes("docs/other.txt"));
        assert!(!i.excludes("docs/keep.txt"));
        assert!(i.may_reinclude_under("docs"));
        assert!(!ignore("docs\n").may_reinclude_under("docs"));
    }

    #[test]
    fn patterns_are_cleaned_like_paths() {
        assert_eq!(clean("./a//b/../c/"), "a/c");
        assert_eq!(clean("/x"), "x");
        let i = ignore("  ./secret/  \n[^a]*.bin\n");
        assert!(i.excludes("secret/key"));
        assert!(i.excludes("b1.bin"));
        assert!(!i.excludes("a1.bin"));
    }

    #[test]
    fn a_bad_pattern_names_the_file_and_line() {
        let err = Ignore::parse("ok\n[z-a\n", "/ctx/.dockerignore")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/ctx/.dockerignore line 2"), "{err}");
    }
}
