//! Extraction of the archive a container sends for `pull`. The container is
//! hostile: nothing outside the destination may be created, opened, changed
//! or followed, whatever is already in the destination (the user's own
//! symlinks, or those of an earlier pull) and whatever order the entries come in.
//!
//! The rules, after the hardened extraction of `docker cp` and Python's
//! `tarfile` `data` filter, and where they go further:
//! - Names: absolute names and names holding `..` are refused (both do).
//! - Resolution: every path is walked beneath the destination one component
//!   at a time through `cap-std` directory handles (openat-style; `cap-std`
//!   itself never resolves outside the handle it starts from), and no symlink
//!   is followed on the way: a directory entry replaces a symlink or file in
//!   its way (as `docker cp` replaces what is in the way), any other entry
//!   whose parent is not a real directory is refused. So every entry lands at
//!   its own name, and a symlink already in the destination is never followed.
//! - Files are always created anew (`O_CREAT | O_EXCL`, no following) after
//!   unlinking what was there, never opened for writing, so neither a symlink
//!   nor a hard link already in the destination can redirect a write.
//! - Symlinks: the data filter's "the target must resolve inside the
//!   destination", decided on the link text alone: relative, `..` only as
//!   leading components and no more of them than the link's depth below the
//!   destination. Resolving on disk instead (the data filter's `realpath`)
//!   depends on entry order: `chain -> d/l/../../x` resolves inside until a
//!   later `d/l -> ..` lands, then two levels above the destination. With
//!   `..` only in front, every link made here leads inside, whichever links
//!   exist and whenever they arrive.
//! - Hard links: only to a regular file already inside the destination,
//!   reached the same way (both refuse targets outside).
//! - Modes, as the data filter: setuid, setgid, sticky and group/other write
//!   are dropped, a file not executable by its owner loses every execute bit,
//!   and the owner keeps read and write (and search on directories) so a later
//!   pull can replace what this one wrote. Ownership is not restored.
//! - Special files (devices, FIFOs, sockets) are refused (both do).
//!
//! - `dest` itself, when it already is a directory (or a symlink to one, as
//!   the caller named it), is merged into and keeps its mode: it is the
//!   user's. Directories below it take the filtered mode of their entry.
//!
//! Refused entries are skipped and named (the first few, and a count); the
//! rest is extracted. Nothing is
//! checked before writing or staged in a temporary directory: a pull streams
//! (a 1 GiB tree is never held or downloaded twice), a staging directory
//! would not protect the merge into an existing destination, which is where a
//! link planted by an earlier pull waits, and with the rules above no entry,
//! in any order, can leave a way out behind.
//!
//! Runs of zeros in a regular file become holes (a seek instead of a write):
//! engines send sparse files as plain entries full of zeros, and a 1 GiB
//! sparse file should not take 1 GiB on the host.

use std::ffi::OsStr;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, Permissions};

/// Why an entry was not extracted: refused (named to the user), a failure
/// writing on the host, or an archive that cannot be read.
enum Skip {
    Refused(String),
    Io(io::Error),
    Archive(io::Error),
}

/// Why extraction stopped: the host refused a write (a bad `dest`, a full
/// disk), or the archive from the engine broke off or is malformed.
#[derive(Debug)]
pub(super) enum Failure {
    Host(io::Error),
    Archive(io::Error),
}

impl From<io::Error> for Skip {
    fn from(e: io::Error) -> Self {
        Skip::Io(e)
    }
}

/// How many refused names an error lists: a hostile tree can hold any number
/// of them, and the message (and what this process keeps) stays small.
pub(super) const REFUSED_SHOWN: usize = 20;

/// The longest refused name an error shows whole: a PAX name has no length limit.
const NAME_SHOWN: usize = 256;

/// `name`, cut at [`NAME_SHOWN`] bytes (on a character boundary) with an ellipsis.
fn shorten(mut name: String) -> String {
    if name.len() > NAME_SHOWN {
        let mut cut = NAME_SHOWN;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
        name.push('…');
    }
    name
}

/// What an extraction did: how many entries the archive held, and which it
/// refused (the first [`REFUSED_SHOWN`] names, and the full count).
#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub entries: usize,
    pub refused: Vec<String>,
    pub refused_count: usize,
}

/// Extracts the archive of one file or directory to `dest` (the copy itself).
pub(super) fn extract(reader: impl Read, dest: &Path) -> Result<Outcome, Failure> {
    let mut archive = tar::Archive::new(reader);
    let mut outcome = Outcome::default();
    let mut target = Target {
        dest,
        root: None,
        item_is_file: false,
    };
    for entry in archive.entries().map_err(Failure::Archive)? {
        let mut entry = entry.map_err(Failure::Archive)?;
        outcome.entries += 1;
        match target.place(&mut entry) {
            Ok(()) => {}
            Err(Skip::Refused(what)) => {
                outcome.refused_count += 1;
                if outcome.refused.len() < REFUSED_SHOWN {
                    outcome.refused.push(shorten(what));
                }
            }
            Err(Skip::Io(e)) => return Err(Failure::Host(e)),
            Err(Skip::Archive(e)) => return Err(Failure::Archive(e)),
        }
    }
    Ok(outcome)
}

/// The destination: a handle on it once it is a directory.
struct Target<'a> {
    dest: &'a Path,
    root: Option<Dir>,
    item_is_file: bool,
}

impl Target<'_> {
    fn place<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), Skip> {
        let raw = entry.path().map_err(Skip::Archive)?.into_owned();
        let shown = raw.display().to_string();
        // The archive's first component is the pulled item itself: it becomes `dest`.
        let Some(rel) = relative_inside(&raw) else {
            return Err(Skip::Refused(shown));
        };
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().unwrap_or(0o644);
        if rel.as_os_str().is_empty() {
            return self.place_item(entry, kind, mode, shown);
        }
        if self.item_is_file {
            return Err(Skip::Refused(shown));
        }
        let root = match self.root.take() {
            Some(root) => root,
            None => open_root(self.dest, 0o755)?,
        };
        let root = self.root.insert(root);
        let names: Vec<&OsStr> = rel.iter().collect();
        let (name, parents) = names.split_last().expect("a non-empty relative path");
        let parent = walk(root, parents, true)?.ok_or_else(|| Skip::Refused(shown.clone()))?;
        match kind {
            tar::EntryType::Directory => make_dir(&parent, name, mode),
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                write_file(&parent, name, entry, mode, &shown)
            }
            tar::EntryType::Symlink => {
                let link = link_name(entry)?;
                if !symlink_stays_inside(&rel, &link) {
                    return Err(Skip::Refused(format!("{shown} -> {}", link.display())));
                }
                clear_for_non_dir(&parent, name, &shown)?;
                parent.symlink(&link, name)?;
                Ok(())
            }
            tar::EntryType::Link => {
                let link = link_name(entry)?;
                let refuse = || Skip::Refused(format!("{shown} => {}", link.display()));
                let source = relative_inside(&link).filter(|s| !s.as_os_str().is_empty() && *s != rel);
                let source = source.ok_or_else(refuse)?;
                let src_names: Vec<&OsStr> = source.iter().collect();
                let (src_name, src_parents) = src_names.split_last().expect("a non-empty relative path");
                let src_dir = walk(root, src_parents, false)?.ok_or_else(refuse)?;
                if !kind_of(&src_dir, src_name)?.is_some_and(|t| t.is_file()) {
                    return Err(refuse());
                }
                clear_for_non_dir(&parent, name, &shown)?;
                src_dir.hard_link(src_name, &parent, name)?;
                Ok(())
            }
            _ => Err(Skip::Refused(shown)),
        }
    }

    /// The pulled item itself: a directory becomes the root of everything
    /// after it; a file is written as `dest`; anything else is refused.
    fn place_item<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        kind: tar::EntryType,
        mode: u32,
        shown: String,
    ) -> Result<(), Skip> {
        if self.root.is_some() || self.item_is_file {
            return Err(Skip::Refused(shown)); // the item comes once
        }
        match kind {
            tar::EntryType::Directory => {
                self.root = Some(open_root(self.dest, mode)?);
                Ok(())
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                // `dest` and its parents are the caller's own path: followed as given.
                let (Some(parent), Some(name)) = (self.dest.parent(), self.dest.file_name()) else {
                    return Err(Skip::Io(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{} does not name a file", self.dest.display()),
                    )));
                };
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                std::fs::create_dir_all(parent)?;
                let dir = Dir::open_ambient_dir(parent, ambient_authority())?;
                self.item_is_file = true;
                write_file(&dir, name, entry, mode, &shown)
            }
            _ => Err(Skip::Refused(shown)),
        }
    }
}

fn link_name<R: Read>(entry: &tar::Entry<'_, R>) -> Result<PathBuf, Skip> {
    let link = entry.link_name().map_err(Skip::Archive)?;
    Ok(link.map(|l| l.into_owned()).unwrap_or_default())
}

/// Opens `dest` (the caller's own path, followed as given, symlinks too) as
/// the root that every other entry stays beneath. An existing directory is
/// the user's: merged into, its mode and owner left alone. Only a `dest`
/// created here takes the (filtered) mode of the pulled directory.
fn open_root(dest: &Path, mode: u32) -> io::Result<Dir> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::create_dir(dest) {
        Ok(()) => std::fs::set_permissions(dest, super::host_permissions(dir_mode(mode))?)?,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dest.is_dir() => {}
        Err(e) => return Err(e),
    }
    Dir::open_ambient_dir(dest, ambient_authority())
}

/// Opens the directory `names` below `root` without following any symlink,
/// creating missing directories when `create`. `None` when a component is a
/// symlink or not a directory (or missing, when not creating).
fn walk(root: &Dir, names: &[&OsStr], create: bool) -> io::Result<Option<Dir>> {
    let mut dir = root.try_clone()?;
    for name in names {
        dir = match dir.open_dir_nofollow(name) {
            Ok(next) => next,
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                dir.create_dir(name)?;
                dir.open_dir_nofollow(name)?
            }
            Err(e) => {
                return match kind_of(&dir, name)? {
                    Some(t) if t.is_dir() => Err(e),
                    _ => Ok(None),
                }
            }
        };
    }
    Ok(Some(dir))
}

/// What is at `name` in `dir`, not following a symlink; `None` if nothing.
fn kind_of(dir: &Dir, name: &OsStr) -> io::Result<Option<cap_std::fs::FileType>> {
    match dir.symlink_metadata(name) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A directory at `name`: kept if one is there, else it replaces what is
/// (a symlink is unlinked, never followed).
fn make_dir(parent: &Dir, name: &OsStr, mode: u32) -> Result<(), Skip> {
    match kind_of(parent, name)? {
        Some(t) if t.is_dir() => {}
        Some(_) => {
            parent.remove_file(name)?;
            parent.create_dir(name)?;
        }
        None => parent.create_dir(name)?,
    }
    parent.set_permissions(name, Permissions::from_std(super::host_permissions(dir_mode(mode))?))?;
    Ok(())
}

/// Unlinks a file or symlink at `name` so a new one can be created there; a
/// directory in the way is refused rather than deleted with its tree.
fn clear_for_non_dir(parent: &Dir, name: &OsStr, shown: &str) -> Result<(), Skip> {
    match kind_of(parent, name)? {
        Some(t) if t.is_dir() => Err(Skip::Refused(format!("{shown} (a directory is in its place)"))),
        Some(_) => Ok(parent.remove_file(name)?),
        None => Ok(()),
    }
}

/// Writes a regular file anew at `name` (never through what was there).
fn write_file(parent: &Dir, name: &OsStr, data: &mut impl Read, mode: u32, shown: &str) -> Result<(), Skip> {
    clear_for_non_dir(parent, name, shown)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).follow(FollowSymlinks::No);
    let mut out = parent.open_with(name, &options)?.into_std();
    copy_sparse(data, &mut out)?;
    out.set_permissions(super::host_permissions(file_mode(mode))?)?;
    Ok(())
}

/// Copy granularity, and the unit of hole detection: zero runs shorter than
/// this are written, which keeps the check cheap and the file exact.
const BLOCK: usize = 64 << 10;
static ZEROS: [u8; BLOCK] = [0; BLOCK];

/// Copies `data` into the empty file `out`, seeking over whole blocks of
/// zeros so the file system leaves holes there.
fn copy_sparse(data: &mut impl Read, out: &mut std::fs::File) -> Result<(), Skip> {
    let mut buf = vec![0u8; BLOCK];
    let mut len: u64 = 0;
    loop {
        // Fill the block so blocks stay aligned with file offsets.
        let mut n = 0;
        while n < BLOCK {
            match data.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Skip::Archive(e)),
            }
        }
        if n == 0 {
            break;
        }
        // Slice equality is a memcmp: fast even in a debug build.
        if buf[..n] == ZEROS[..n] {
            out.seek(SeekFrom::Current(n as i64))?;
        } else {
            out.write_all(&buf[..n])?;
        }
        len += n as u64;
        if n < BLOCK {
            break;
        }
    }
    // A file that ends in a hole gets its length here.
    Ok(out.set_len(len)?)
}

/// A file's mode on the host, as the data filter sets it.
fn file_mode(mode: u32) -> u32 {
    let mut m = mode & 0o755;
    if m & 0o100 == 0 {
        m &= !0o111;
    }
    m | 0o600
}

/// A directory's mode on the host: no special or group/other write bits, and
/// the owner can always list, enter and write it.
fn dir_mode(mode: u32) -> u32 {
    (mode & 0o755) | 0o700
}

/// The entry's path without its first component, if it has only normal
/// components (no `..`, no root).
fn relative_inside(path: &Path) -> Option<PathBuf> {
    let mut parts = path.components().filter(|c| !matches!(c, Component::CurDir));
    match parts.next()? {
        Component::Normal(_) => {}
        _ => return None,
    }
    let mut rel = PathBuf::new();
    for c in parts {
        match c {
            Component::Normal(p) => rel.push(p),
            _ => return None,
        }
    }
    Some(rel)
}

/// Whether a symlink at `rel` (below the root) pointing to `link` leads
/// inside the root whatever the other links are: relative, `..` only in
/// front (a `..` after a name would climb from wherever that name, maybe a
/// link, leads), and no more of them than the link's depth.
fn symlink_stays_inside(rel: &Path, link: &Path) -> bool {
    let Some(depth) = rel.components().count().checked_sub(1) else {
        return false; // the pulled item itself: its directory is outside `dest`
    };
    if link.as_os_str().is_empty() {
        return false;
    }
    let (mut ups, mut named) = (0, false);
    for c in link.components() {
        match c {
            Component::ParentDir if !named => ups += 1,
            Component::Normal(_) => named = true,
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    ups <= depth
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn entries_must_stay_below_the_pulled_item() {
        assert_eq!(relative_inside(Path::new("out/a/b")), Some(PathBuf::from("a/b")));
        assert_eq!(relative_inside(Path::new("out")), Some(PathBuf::new()));
        assert_eq!(relative_inside(Path::new("out/../etc/passwd")), None);
        assert_eq!(relative_inside(Path::new("/etc/passwd")), None);
    }

    #[test]
    fn symlinks_may_point_inside_only_whatever_other_links_exist() {
        assert!(symlink_stays_inside(Path::new("a/link"), Path::new("../b")));
        assert!(symlink_stays_inside(Path::new("link"), Path::new("b/c")));
        assert!(symlink_stays_inside(Path::new("d/l"), Path::new("..")));
        assert!(symlink_stays_inside(Path::new("link"), Path::new("./b")));
        assert!(!symlink_stays_inside(Path::new("link"), Path::new("../x")));
        assert!(!symlink_stays_inside(Path::new("a/link"), Path::new("../../x")));
        assert!(!symlink_stays_inside(Path::new("link"), Path::new("/etc/passwd")));
        assert!(!symlink_stays_inside(Path::new(""), Path::new("sibling")));
        assert!(!symlink_stays_inside(Path::new("link"), Path::new("")));
        // Lexically inside, but `l` may itself be a link to `..`.
        assert!(!symlink_stays_inside(Path::new("chain"), Path::new("d/l/../../victim")));
        assert!(!symlink_stays_inside(Path::new("a/b/link"), Path::new("../x/../y")));
    }

    /// A fresh directory holding `dest` (not yet created) and `outside`.
    struct Scratch(PathBuf);
    impl Scratch {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "pd-extract-{tag}-{}-{}",
                std::process::id(),
                rand::random::<u32>()
            ));
            std::fs::create_dir_all(dir.join("outside")).unwrap();
            Scratch(dir)
        }
        fn dest(&self) -> PathBuf {
            self.0.join("dest")
        }
        fn outside(&self) -> PathBuf {
            self.0.join("outside")
        }
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    enum E<'a> {
        Dir(&'a str),
        File(&'a str, &'a [u8]),
        Sym(&'a str, &'a str),
        Hard(&'a str, &'a str),
    }

    /// A tar of `entries` in this order, as a hostile engine could send it.
    fn tar_of(entries: &[E<'_>]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o755);
            match *e {
                E::Dir(p) => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    b.append_data(&mut h, p, io::empty()).unwrap();
                }
                E::File(p, data) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    b.append_data(&mut h, p, data).unwrap();
                }
                E::Sym(p, to) | E::Hard(p, to) => {
                    let kind = if matches!(e, E::Sym(..)) {
                        tar::EntryType::Symlink
                    } else {
                        tar::EntryType::Link
                    };
                    h.set_entry_type(kind);
                    h.set_size(0);
                    b.append_link(&mut h, p, to).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn hostile_orders_and_planted_links_never_reach_outside() {
        let s = Scratch::new("hostile");
        let dest = s.dest();
        std::fs::create_dir_all(&dest).unwrap();
        // The user's own link out, and an entry under it with no directory entry first.
        std::os::unix::fs::symlink(s.outside(), dest.join("planted")).unwrap();
        let archive = tar_of(&[
            E::Dir("src"),
            E::File("src/planted/x", b"no"),
            // A link made here, then entries through it.
            E::Sym("src/ln", "d"),
            E::Dir("src/d"),
            E::File("src/ln/through", b"no"),
            // The chain in the other order: the inner link first.
            E::Sym("src/d/l", ".."),
            E::Sym("src/chain", "d/l/../../outside"),
            // Hard links to outside, to a symlink, to nothing.
            E::Hard("src/h1", "src/../outside/x"),
            E::Hard("src/h2", "src/planted"),
            E::Hard("src/h3", "src/missing"),
            E::File("src/ok", b"ok"),
            E::Hard("src/ok2", "src/ok"),
        ]);
        let refused = extract(archive.as_slice(), &dest).unwrap().refused;
        assert_eq!(std::fs::read_dir(s.outside()).unwrap().count(), 0, "nothing outside");
        for name in [
            "src/planted/x",
            "src/ln/through",
            "src/chain",
            "src/h1",
            "src/h2",
            "src/h3",
        ] {
            assert!(
                refused.iter().any(|r| r.starts_with(name)),
                "{name} refused: {refused:?}"
            );
        }
        assert_eq!(refused.len(), 6, "{refused:?}");
        assert_eq!(std::fs::read(dest.join("ok2")).unwrap(), b"ok");
        assert_eq!(std::fs::read_link(dest.join("d/l")).unwrap(), Path::new(".."));
        assert!(std::fs::symlink_metadata(dest.join("chain")).is_err());
    }

    #[test]
    fn a_file_replaces_a_planted_link_and_never_writes_through_it() {
        let s = Scratch::new("replace");
        let dest = s.dest();
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::write(s.outside().join("target"), b"mine").unwrap();
        std::os::unix::fs::symlink(s.outside().join("target"), dest.join("f")).unwrap();
        std::fs::hard_link(s.outside().join("target"), dest.join("g")).unwrap();
        let archive = tar_of(&[E::Dir("src"), E::File("src/f", b"theirs"), E::File("src/g", b"theirs")]);
        assert_eq!(extract(archive.as_slice(), &dest).unwrap().refused_count, 0);
        assert_eq!(std::fs::read(s.outside().join("target")).unwrap(), b"mine");
        assert_eq!(std::fs::read(dest.join("f")).unwrap(), b"theirs");
        assert_eq!(std::fs::read(dest.join("g")).unwrap(), b"theirs");
    }

    #[test]
    fn refused_names_are_capped_in_number_and_length_with_the_full_count() {
        let s = Scratch::new("many");
        let long = "é".repeat(300);
        let names: Vec<String> = (0..500).map(|i| format!("src/{long}{i}")).collect();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        b.append_data(&mut h, "src", io::empty()).unwrap();
        for name in &names {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Fifo);
            h.set_size(0);
            b.append_data(&mut h, name, io::empty()).unwrap();
        }
        let archive = b.into_inner().unwrap();
        let outcome = extract(archive.as_slice(), &s.dest()).unwrap();
        assert_eq!(outcome.entries, 501);
        assert_eq!(outcome.refused_count, 500);
        assert_eq!(outcome.refused.len(), REFUSED_SHOWN);
        assert!(outcome
            .refused
            .iter()
            .all(|n| n.len() <= NAME_SHOWN + '…'.len_utf8() && n.ends_with('…')));
    }

    #[test]
    fn an_existing_dest_keeps_its_mode_and_a_new_one_takes_the_filtered_mode() {
        let s = Scratch::new("mode");
        let archive = tar_of(&[E::Dir("src"), E::Dir("src/sub"), E::File("src/x", b"x")]);
        let dest = s.dest();
        std::fs::create_dir(&dest).unwrap();
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = s.0.join("link");
        std::os::unix::fs::symlink("dest", &link).unwrap();
        for to in [&dest, &link] {
            assert_eq!(extract(archive.as_slice(), to).unwrap().refused_count, 0);
            assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777, 0o700);
            assert_eq!(
                std::fs::metadata(dest.join("sub")).unwrap().permissions().mode() & 0o7777,
                0o755
            );
        }
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let fresh = s.0.join("fresh");
        extract(archive.as_slice(), &fresh).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o7777, 0o755);
    }

    #[test]
    fn modes_lose_special_and_group_other_write_bits() {
        assert_eq!(file_mode(0o4777), 0o755);
        assert_eq!(file_mode(0o2664), 0o644);
        assert_eq!(file_mode(0o444), 0o644);
        assert_eq!(file_mode(0o611), 0o600);
        assert_eq!(file_mode(0o600), 0o600);
        assert_eq!(dir_mode(0o1777), 0o755);
        assert_eq!(dir_mode(0o555), 0o755);
        assert_eq!(dir_mode(0o700), 0o700);
    }
}
