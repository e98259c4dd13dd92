//! Opening and reading the files the walk hands to detectors, with as few system calls as
//! the filesystem allows. Each file is opened relative to its directory (one directory
//! descriptor kept per walker thread), never following a symbolic link in its last
//! component, and read into one buffer reused across files.
//!
//! On Linux filesystems whose regular files are read through the page cache (ext2/3/4, XFS,
//! Btrfs, tmpfs, overlayfs), `read` returns fewer bytes than asked only at the end of the
//! file (or when the process is being killed), so a file that fits in the buffer costs one
//! `read` instead of two, the second returning 0. The filesystem is asked once per directory
//! (`fstatfs`), and the file is opened with `openat2(RESOLVE_NO_XDEV)` so that a file
//! mounted over its directory entry (a bind mount from another filesystem) cannot pass as
//! being on the directory's filesystem. Anywhere else (network and FUSE filesystems, procfs,
//! other systems, kernels without `openat2`) a short read proves nothing and reading goes
//! on until `read` returns 0, as before.
//!
//! This module decides how to read, never what: callers give the limits.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustix::fd::OwnedFd;

use super::cache::FileKey;
use rustix::fs::{Mode, OFlags};

/// A read buffer kept between files grows no larger than this; a larger one (a big file
/// was read) is dropped before the next file.
const KEEP: usize = 2 << 20;
/// The first size of the read buffer: most code files fit, so they are read in one call.
const FIRST: usize = 64 << 10;

/// Magic numbers (`statfs.f_type`) of the filesystems where a short read of a regular file
/// means its end: ext2/3/4, XFS, Btrfs, tmpfs, overlayfs. Overlayfs reads from its layers,
/// which are local filesystems in every container runtime.
#[cfg(target_os = "linux")]
const SHORT_READ_IS_END: &[u32] = &[0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994, 0x794C_7630];

/// A directory opened once for the files in it, so each file is opened relative to it
/// (`openat`: one path component for the kernel to resolve instead of the whole path, the
/// largest part of an `open` in deep trees). The walker hands a thread a directory's files
/// one after another, so one cached directory per thread is enough.
#[derive(Debug)]
struct OpenDir {
    path: PathBuf,
    /// `None` if the directory could not be opened: its files are opened by path.
    fd: Option<OwnedFd>,
    /// Whether the directory is on a filesystem in [`SHORT_READ_IS_END`].
    short_read_is_end: bool,
}

/// An opened file.
#[derive(Debug)]
pub(crate) struct Opened {
    pub file: File,
    /// Whether a short read of this file means its end (see the module docs).
    short_read_is_end: bool,
}

/// What `statx` must fill for a cache key.
#[cfg(target_os = "linux")]
const KEY_FIELDS: rustix::fs::StatxFlags = rustix::fs::StatxFlags::TYPE
    .union(rustix::fs::StatxFlags::MODE)
    .union(rustix::fs::StatxFlags::INO)
    .union(rustix::fs::StatxFlags::SIZE)
    .union(rustix::fs::StatxFlags::MTIME)
    .union(rustix::fs::StatxFlags::CTIME);

impl Opened {
    /// The cache key of the opened file.
    #[cfg(target_os = "linux")]
    pub fn key(&self) -> io::Result<FileKey> {
        use rustix::fs::AtFlags;
        let mask = KEY_FIELDS;
        let s = rustix::fs::statx(&self.file, "", AtFlags::EMPTY_PATH, mask)?;
        Ok(FileKey::from_statx(&s))
    }
}

/// The per-thread state of opening and reading: the cached directory and the buffer.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    dir: Option<OpenDir>,
    /// The read buffer. Always fully initialised (its length is its size); the bytes of
    /// the current file are `buf[..filled]`.
    buf: Vec<u8>,
    /// `openat2` is missing or filtered (old kernel, seccomp): files are opened with
    /// `openat` and read until `read` returns 0.
    no_openat2: bool,
}

impl Reader {
    /// Opens a file the walker found: relative to its directory (kept open), never
    /// following a symbolic link in its last component (the walk does not follow links;
    /// this keeps a link swapped in since from being followed either).
    pub fn open(&mut self, path: &Path) -> io::Result<Opened> {
        let by_path = |path: &Path| {
            File::open(path).map(|file| Opened {
                file,
                short_read_is_end: false,
            })
        };
        let Some((
            OpenDir {
                fd: Some(fd),
                short_read_is_end,
                ..
            },
            name,
        )) = Self::dir_of(&mut self.dir, path)
        else {
            return by_path(path);
        };
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        #[cfg(target_os = "linux")]
        if *short_read_is_end && !self.no_openat2 {
            use rustix::fs::ResolveFlags;
            use rustix::io::Errno;
            match rustix::fs::openat2(fd, name, flags, Mode::empty(), ResolveFlags::NO_XDEV) {
                Ok(f) => {
                    return Ok(Opened {
                        file: File::from(f),
                        short_read_is_end: true,
                    })
                }
                // A mount point: opened below, and read to the end.
                Err(Errno::XDEV) => {}
                Err(Errno::NOSYS) => self.no_openat2 = true,
                // Whatever else `openat2` refused, `openat` decides (its error is the one
                // reported); if it succeeds, `openat2` is unusable here (a seccomp filter,
                // an old kernel) and is not tried again.
                Err(_) => {
                    let f = rustix::fs::openat(fd, name, flags, Mode::empty())?;
                    self.no_openat2 = true;
                    return Ok(Opened {
                        file: File::from(f),
                        short_read_is_end: false,
                    });
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = short_read_is_end;
        let f = rustix::fs::openat(fd, name, flags, Mode::empty())?;
        Ok(Opened {
            file: File::from(f),
            short_read_is_end: false,
        })
    }

    /// The directory of `path`, opened (and kept) for the files in it, and the name in it;
    /// `None` for a path with no directory part.
    fn dir_of<'a, 'p>(
        slot: &'a mut Option<OpenDir>,
        path: &'p Path,
    ) -> Option<(&'a OpenDir, &'p std::ffi::OsStr)> {
        let (Some(dir), Some(name)) = split_path(path) else {
            return None;
        };
        if dir.as_os_str().is_empty() {
            return None;
        }
        if slot.as_ref().is_none_or(|d| d.path != dir) {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(dir, flags, Mode::empty()).ok();
            let short_read_is_end = fd.as_ref().is_some_and(short_read_is_end);
            *slot = Some(OpenDir {
                path: dir.to_path_buf(),
                fd,
                short_read_is_end,
            });
        }
        Some((slot.as_ref()?, name))
    }

    /// The cache key of the file at `path` (not following a symbolic link), found
    /// relative to its directory like [`Self::open`].
    #[cfg(target_os = "linux")]
    pub fn key(&mut self, path: &Path) -> io::Result<FileKey> {
        use rustix::fs::AtFlags;
        let mask = KEY_FIELDS;
        let s = match Self::dir_of(&mut self.dir, path) {
            Some((OpenDir { fd: Some(fd), .. }, name)) => {
                rustix::fs::statx(fd, name, AtFlags::SYMLINK_NOFOLLOW, mask)?
            }
            _ => rustix::fs::statx(rustix::fs::CWD, path, AtFlags::SYMLINK_NOFOLLOW, mask)?,
        };
        Ok(FileKey::from_statx(&s))
    }

    /// Reads up to `limit` bytes of `f` from where it stands and returns them with the
    /// file's size: the bytes read when the file ended before the limit, otherwise `known`
    /// or the file's metadata. The file is left just past the bytes returned.
    pub fn read_head(
        &mut self,
        f: &Opened,
        limit: u64,
        known: Option<u64>,
    ) -> io::Result<(&[u8], u64)> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if self.buf.len() > KEEP {
            self.buf = Vec::new();
        }
        let mut filled = 0usize;
        let ended = loop {
            if filled >= limit {
                break false;
            }
            if filled >= self.buf.len() {
                // At least `FIRST` (the reads, not the buffer, are bounded by `limit`).
                let grown = self
                    .buf
                    .len()
                    .saturating_mul(2)
                    .max(FIRST)
                    .min(limit.max(FIRST));
                self.buf.resize(grown, 0);
            }
            let end = self.buf.len().min(limit);
            let Some(room) = self.buf.get_mut(filled..end) else {
                break true;
            };
            let n = match (&f.file).read(room) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break true;
            }
            filled += n;
            if f.short_read_is_end && filled < end {
                break true;
            }
        };
        let data = self.buf.get(..filled).unwrap_or(&[]);
        let size = if ended {
            filled as u64
        } else {
            match known {
                Some(s) => s,
                None => f.file.metadata()?.len(),
            }
        };
        Ok((data, size))
    }
}

/// `(path.parent(), path.file_name())`, without parsing components for the shape the walker
/// makes (`dir/name`, one separator, neither part `.` or `..`-ended in a way `Path`
/// normalises); any other shape goes to `Path`'s own methods. This runs for every file.
pub(crate) fn split_path(path: &Path) -> (Option<&Path>, Option<&std::ffi::OsStr>) {
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let b = path.as_os_str().as_bytes();
        if let Some(i) = memchr::memrchr(b'/', b) {
            let (dir, name) = (b.get(..i).unwrap_or(&[]), b.get(i + 1..).unwrap_or(&[]));
            let plain_name = !name.is_empty() && name != b"." && name != b"..";
            let plain_dir = !dir.is_empty() && !dir.ends_with(b"/") && !dir.ends_with(b"/.");
            if plain_name && plain_dir {
                return (
                    Some(Path::new(OsStr::from_bytes(dir))),
                    Some(OsStr::from_bytes(name)),
                );
            }
        }
    }
    (path.parent(), path.file_name())
}

/// Whether the directory `fd` is on a filesystem in [`SHORT_READ_IS_END`].
#[cfg(target_os = "linux")]
fn short_read_is_end(fd: &OwnedFd) -> bool {
    // `f_type` is a C `long` (or `u32`) holding a 32-bit magic number.
    rustix::fs::fstatfs(fd).is_ok_and(|s| SHORT_READ_IS_END.contains(&(s.f_type as u32)))
}

#[cfg(not(target_os = "linux"))]
fn short_read_is_end(_: &OwnedFd) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Seek;

    /// Files of sizes around the buffer's steps read back whole, with their sizes, with
    /// and without the short-read shortcut, and the file is left just past what was read.
    #[test]
    fn reads_heads_and_sizes() {
        let dir = tempfile::tempdir().unwrap();
        for len in [
            0usize,
            1,
            4095,
            4096,
            4097,
            FIRST - 1,
            FIRST,
            FIRST + 1,
            3 * FIRST,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let path = dir.path().join(format!("f{len}"));
            std::fs::write(&path, &data).unwrap();
            let mut r = Reader::default();
            for limit in [1u64, 4096, FIRST as u64, 1 << 20] {
                for shortcut in [false, true] {
                    let mut f = r.open(&path).unwrap();
                    f.short_read_is_end &= shortcut;
                    let (head, size) = r.read_head(&f, limit, None).unwrap();
                    let want = len.min(limit as usize);
                    assert_eq!(head, &data[..want], "len {len} limit {limit}");
                    assert_eq!(size, len as u64, "len {len} limit {limit}");
                    assert_eq!(f.file.stream_position().unwrap(), want as u64);
                }
            }
        }
    }

    /// Errors are `openat`'s: a missing file is not found, a symbolic link is not followed,
    /// and neither turns `openat2` off.
    #[cfg(unix)]
    #[test]
    fn open_errors_are_reported_and_links_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.py");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l.py");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut r = Reader::default();
        let e = r.open(&dir.path().join("missing.py")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(r.open(&link).is_err());
        assert!(!r.no_openat2);
        assert!(r.open(&target).is_ok());
    }

    proptest::proptest! {
        /// The fast split is `Path::parent` and `Path::file_name`.
        #[test]
        fn split_path_is_parent_and_file_name(
            root in proptest::bool::ANY,
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b.py", ".", "..", "", "é", ".x"]),
                0..5,
            ),
        ) {
            let text = format!("{}{}", if root { "/" } else { "" }, parts.join("/"));
            let path = Path::new(&text);
            // Compared as bytes: `Path` equality ignores `.` components and doubled `/`.
            let (dir, name) = split_path(path);
            proptest::prop_assert_eq!(dir.map(Path::as_os_str), path.parent().map(Path::as_os_str));
            proptest::prop_assert_eq!(name, path.file_name());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn short_reads_end_files_only_on_page_cache_filesystems() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, b"import os\n").unwrap();
        let mut r = Reader::default();
        let f = r.open(&path).unwrap();
        let kind = rustix::fs::statfs(dir.path()).unwrap().f_type as u32;
        assert_eq!(f.short_read_is_end, SHORT_READ_IS_END.contains(&kind));
        // procfs files report size 0 and are read in pieces: never trusted.
        let f = r.open(Path::new("/proc/self/status")).unwrap();
        assert!(!f.short_read_is_end);
        let (head, size) = r.read_head(&f, 1 << 20, None).unwrap();
        assert!(head.starts_with(b"Name:"));
        assert_eq!(size, head.len() as u64);
    }
}
