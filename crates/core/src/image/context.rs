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
//! A Dockerfile inside an excluded directory is sent all the same, and names
//! are sent byte for byte (a name that is not UTF-8 stays as it is).
//!
//! The ignore file is opened without following a link and without blocking,
//! and refused unless the handle is a regular file (a FIFO would block the
//! reader forever). Each file is sent with the size its open handle reports:
//! bytes it gained after that are cut, and a file that shrank ends the stream
//! with an error naming it, so the tar is never corrupt.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

/// What the tar writer met on its way, for the build's error: the failure
/// that ended the stream, and the relative symlinks that point out of the
/// context through `..` (which Podman refuses without saying why).
#[derive(Debug, Default)]
pub struct Findings {
    pub failure: Option<String>,
    pub escaping_links: Vec<String>,
}

/// Opens `path` for reading without following a final symlink and without
/// blocking on a FIFO; the callers then look at what was opened.
#[cfg(unix)]
fn open_unfollowed(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
}

/// Windows has no FIFOs in the file system, and the walk's
/// `symlink_metadata` already told links apart: a plain open.
#[cfg(windows)]
fn open_unfollowed(path: &Path) -> io::Result<fs::File> {
    fs::File::open(path)
}

/// Whether opening failed because the path is a symlink (`O_NOFOLLOW`).
fn refused_as_link(e: &io::Error) -> bool {
    #[cfg(unix)]
    return e.raw_os_error() == Some(libc::ELOOP);
    #[cfg(not(unix))]
    return {
        let _ = e;
        false
    };
}

/// Opens the ignore file without following a link and without blocking, and
/// reads it only if the handle is a regular file. `None`: there is none.
fn read_ignore_file(path: &Path) -> Result<Option<String>> {
    let file = match open_unfollowed(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if refused_as_link(&e) => {
            return Err(invalid(format!(
                "{} is a symlink, not a regular file: make it a plain file",
                path.display()
            )))
        }
        Err(e) => return Err(invalid(format!("{} cannot be read: {e}", path.display()))),
    };
    let meta = file
        .metadata()
        .map_err(|e| invalid(format!("{} cannot be read: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(invalid(format!(
            "{} is not a regular file (a FIFO, device or directory): make it a plain file, or remove it",
            path.display()
        )));
    }
    let mut text = String::new();
    (&file)
        .read_to_string(&mut text)
        .map_err(|e| invalid(format!("{} cannot be read: {e}", path.display())))?;
    Ok(Some(text))
}

impl Context {
    /// [`Context::open`] on a blocking thread: the checks touch the file
    /// system, which must not hold up the runtime.
    pub async fn open_blocking(dir: String, dockerfile: Option<String>) -> Result<Context> {
        tokio::task::spawn_blocking(move || Context::open(&dir, dockerfile.as_deref()))
            .await
            .map_err(|e| invalid(format!("the build context {e}")))?
    }

    /// Checks `dir` and `dockerfile` (default `Dockerfile`, relative to `dir`
    /// or absolute inside it) before anything is sent, and reads the ignore
    /// file. Every failure is bad input: a `TypeError` naming the path.
    /// Blocking: call it from [`Context::open_blocking`] in async code.
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
        let ignore_file = if fs::symlink_metadata(&specific).is_ok() {
            specific
        } else {
            root.join(".dockerignore")
        };
        let ignore = match read_ignore_file(&ignore_file)? {
            Some(text) => Ignore::parse(&text, &ignore_file.display().to_string())?,
            None => Ignore::default(),
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
    /// its chunks as they are made, and what the writer meets on its way. A
    /// file that cannot be read (or shrank) ends the stream with an error
    /// naming it, recorded in the findings before the stream sees it.
    pub fn stream(self) -> (mpsc::Receiver<io::Result<Bytes>>, Arc<Mutex<Findings>>) {
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let findings = Arc::new(Mutex::new(Findings::default()));
        let found = findings.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = ChunkWriter {
                tx: tx.clone(),
                buf: Vec::with_capacity(CHUNK),
            };
            let written = self.write_tar(&mut writer, &found).and_then(|()| writer.flush());
            if let Err(e) = written {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    found.lock().unwrap_or_else(|p| p.into_inner()).failure = Some(e.to_string());
                }
                let _ = tx.blocking_send(Err(e));
            }
        });
        (rx, findings)
    }

    fn write_tar(&self, out: &mut ChunkWriter, found: &Mutex<Findings>) -> io::Result<()> {
        let mut builder = tar::Builder::new(out);
        self.append_dir(&mut builder, &self.root, "", Path::new(""), found)?;
        builder.finish()
    }

    /// Whether `dir_rel` holds the Dockerfile, which is sent even when an
    /// excluded directory holds it.
    fn holds_dockerfile(&self, dir_rel: &str) -> bool {
        self.dockerfile.starts_with(&format!("{dir_rel}/"))
    }

    /// `rel` is the path as text (lossy, for matching); `raw` the same path
    /// byte for byte, as it goes into the tar.
    fn append_dir(
        &self,
        b: &mut tar::Builder<&mut ChunkWriter>,
        dir: &Path,
        rel: &str,
        raw: &Path,
        found: &Mutex<Findings>,
    ) -> io::Result<()> {
        let mut entries = fs::read_dir(dir)
            .map_err(|e| named(dir, e))?
            .collect::<io::Result<Vec<_>>>()
            .map_err(|e| named(dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let file_name = entry.file_name();
            let name = file_name.to_string_lossy();
            let child_rel = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let child_raw = raw.join(&file_name);
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).map_err(|e| named(&path, e))?;
            let always = child_rel == self.dockerfile || child_rel == ".dockerignore";
            let excluded = !always && self.ignore.excludes(&child_rel);
            if meta.is_dir() {
                if !excluded {
                    append_entry(b, &path, &child_raw, &meta)?;
                }
                if !excluded || self.ignore.may_reinclude_under(&child_rel) || self.holds_dockerfile(&child_rel) {
                    self.append_dir(b, &path, &child_rel, &child_raw, found)?;
                }
            } else if !excluded {
                if meta.file_type().is_symlink() {
                    if let Ok(target) = fs::read_link(&path) {
                        if escapes(&child_raw, &target) {
                            found
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .escaping_links
                                .push(format!("{child_rel} -> {}", target.display()));
                        }
                    }
                }
                append_entry(b, &path, &child_raw, &meta)?;
            }
        }
        Ok(())
    }
}

/// Whether a relative symlink at `link` (relative to the context root) points
/// above the root through `..`, read lexically as the engine reads it.
fn escapes(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth = link.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// A file's bytes, exactly `left` of them: more are cut, fewer are an error
/// naming the file (the tar header already promised that many).
struct Exact<'a> {
    file: fs::File,
    left: u64,
    size: u64,
    path: &'a Path,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} shrank while it was sent ({} of {} bytes): leave it alone during the build, or list it in .dockerignore",
                    self.path.display(),
                    self.size - self.left,
                    self.size
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// One entry, owned by root as the docker CLI sends it, with its mode and
/// mtime; a symlink as a link, a socket not at all. `rel` goes into the tar
/// byte for byte.
fn append_entry(
    b: &mut tar::Builder<&mut ChunkWriter>,
    path: &Path,
    rel: &Path,
    meta: &fs::Metadata,
) -> io::Result<()> {
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
        // Without blocking (a file swapped for a FIFO since the walk saw it),
        // and sized by the handle, which is what is read.
        let file = open_unfollowed(path).map_err(|e| named(path, e))?;
        let now = file.metadata().map_err(|e| named(path, e))?;
        if !now.is_file() {
            return Err(io::Error::other(format!(
                "{} changed into a special file while the context was sent",
                path.display()
            )));
        }
        header.set_size(now.len());
        let data = Exact {
            file,
            left: now.len(),
            size: now.len(),
            path,
        };
        b.append_data(&mut header, rel, data).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                e
            } else {
                named(path, e)
            }
        })
    } else {
        // Directories, FIFOs and devices: the header says it all.
        header.set_size(0);
        let rel = if kind.is_dir() {
            let mut name = rel.as_os_str().to_owned();
            name.push("/");
            PathBuf::from(name)
        } else {
            rel.to_path_buf()
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
    fn links_that_climb_out_of_the_root_are_recognised() {
        assert!(escapes(Path::new("sub/out"), Path::new("../../etc/passwd")));
        assert!(escapes(Path::new("top"), Path::new("../x")));
        assert!(!escapes(Path::new("sub/in"), Path::new("../x")));
        assert!(!escapes(Path::new("abs"), Path::new("/etc/passwd")));
        assert!(escapes(Path::new("a/b"), Path::new("c/../../../x")));
    }

    #[test]
    fn a_bad_pattern_names_the_file_and_line() {
        let err = Ignore::parse("ok\n[z-a\n", "/ctx/.dockerignore")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/ctx/.dockerignore line 2"), "{err}");
    }
}
