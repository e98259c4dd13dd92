//! The discovery cache: what each file gave the detectors last time, kept so that a re-run
//! over an unchanged tree need not open and read the files again.
//!
//! A file's result is reused only when the file's identity and change times are exactly
//! those recorded: device, inode, file type and mode, size, modification time and *status
//! change* time (`ctime`, nanoseconds). Writing a file or changing it any other way sets its
//! `ctime` to the current time, and no unprivileged process can set it back, so a changed
//! file is always read again — the test Git's index uses to skip unchanged files. Timestamps
//! are taken from a coarse clock (a tick of a few milliseconds, a second on some
//! filesystems), so a file changed twice within one tick keeps its `ctime`; a result is
//! therefore kept only for files whose times were at least [`SETTLED`] old when the run
//! started (Git's "racily clean" entries). Everything else about a run that could change
//! what a file gives — airm's version and executable, the discovery options, the paths
//! given, the working directory — names the cache file, so a cache from another run setup
//! is never read.
//!
//! The cache file is airm's own (`$AIRM_CACHE_DIR`, else `$XDG_CACHE_HOME/airm`, else
//! `~/.cache/airm`, in `discover/`; the directory is created `0700`, files `0600`, written
//! to a temporary file and renamed). A file not owned by the user, writable by others,
//! larger than [`MAX_FILE`] or malformed in any way is ignored (and replaced): the parser
//! checks every length against what is left. It holds what discovery reports, so keys
//! appear in it masked as in every other output.
//!
//! Format (little-endian): magic `AIRMDC02`, the 32-byte run fingerprint, the directory and
//! record counts (`u64` each), then per directory its path length (`u32`) and bytes, its
//! record count (`u32`) and its records, sorted by name (strictly increasing, so a lookup is
//! a binary search): name length (`u16`) and bytes, the key (device `u64`, inode `u64`, mode
//! `u32`, size `u64`, mtime seconds `i64` and nanoseconds `u32`, ctime likewise), whether
//! the file was read (`u8`), bytes read (`u64`), and the length (`u32`) and JSON of what the
//! detectors reported (0 when nothing: most files).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Attachment, DiscoverOptions, DiscoveredAsset, DiscoveredFinding, Sink};

const MAGIC: &[u8; 8] = b"AIRMDC02";
/// A cache file larger than this is not read.
pub const MAX_FILE: u64 = 1 << 30;
/// Seconds a file's modification and change times must lie before the run's start for
/// its result to be kept (see the module docs).
pub const SETTLED: i64 = 2;
/// Bytes of a record besides its name and JSON.
const FIXED: usize = 2 + 8 + 8 + 4 + 8 + 12 + 12 + 1 + 8 + 4;

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKey {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

impl FileKey {
    #[cfg(target_os = "linux")]
    pub fn from_statx(s: &rustix::fs::Statx) -> Self {
        FileKey {
            dev: (u64::from(s.stx_dev_major) << 32) | u64::from(s.stx_dev_minor),
            ino: s.stx_ino,
            mode: u32::from(s.stx_mode),
            size: s.stx_size,
            mtime: (s.stx_mtime.tv_sec, s.stx_mtime.tv_nsec),
            ctime: (s.stx_ctime.tv_sec, s.stx_ctime.tv_nsec),
        }
    }

    /// Whether both times lie at least [`SETTLED`] seconds before `start` (seconds).
    fn settled(&self, start: i64) -> bool {
        self.mtime.0 < start - SETTLED && self.ctime.0 < start - SETTLED
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dev.to_le_bytes());
        out.extend_from_slice(&self.ino.to_le_bytes());
        out.extend_from_slice(&self.mode.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        for (s, n) in [self.mtime, self.ctime] {
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// A bounds-checked reader over the cache bytes.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.array()?))
    }
    fn key(&mut self) -> Option<FileKey> {
        Some(FileKey {
            dev: self.u64()?,
            ino: self.u64()?,
            mode: self.u32()?,
            size: self.u64()?,
            mtime: (self.i64()?, self.u32()?),
            ctime: (self.i64()?, self.u32()?),
        })
    }
}

/// One file's cached result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    pub key: FileKey,
    pub read: bool,
    pub bytes_read: u64,
    /// JSON of a [`Delta`]; empty when the detectors reported nothing.
    pub delta: &'a [u8],
    /// The record's bytes after its name, to copy into the next cache.
    pub body: &'a [u8],
}

/// Reads a record's body (everything after its name).
fn body<'a>(c: &mut Cursor<'a>) -> Option<Record<'a>> {
    let start = c.0;
    let key = c.key()?;
    let read = match c.u8()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let bytes_read = c.u64()?;
    let dlen = usize::try_from(c.u32()?).ok()?;
    let delta = c.take(dlen)?;
    let body = start.get(..start.len() - c.0.len())?;
    Some(Record {
        key,
        read,
        bytes_read,
        delta,
        body,
    })
}

/// Where one record lies in the cache bytes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    name: (u32, u32),
    body: (u32, u32),
}

/// A parsed cache: records by directory and name, borrowing the file's bytes.
#[derive(Debug, Default)]
pub struct Parsed {
    bytes: Vec<u8>,
    /// Directory → its records in `slots` (first, count), sorted by name.
    dirs: HashMap<Box<[u8]>, (u32, u32)>,
    slots: Vec<Slot>,
}

/// Splits a path as walked into its directory and name, at the last `/`.
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memrchr(b'/', path) {
        Some(i) => (
            path.get(..i).unwrap_or_default(),
            path.get(i + 1..).unwrap_or_default(),
        ),
        None => (&[], path),
    }
}

impl Parsed {
    /// Parses cache bytes written for `fingerprint`; anything malformed, or written for
    /// another fingerprint, gives `None`.
    pub fn parse(bytes: Vec<u8>, fingerprint: &[u8; 32]) -> Option<Parsed> {
        if bytes.len() as u64 > MAX_FILE {
            return None;
        }
        let mut c = Cursor(&bytes);
        if c.take(8)? != MAGIC || c.take(32)? != fingerprint {
            return None;
        }
        let ndirs = c.u64()?;
        let nrecs = c.u64()?;
        // Every directory and record holds at least its fixed part: counts beyond that lie.
        if ndirs > (c.0.len() / 8) as u64 || nrecs > (c.0.len() / FIXED) as u64 {
            return None;
        }
        let mut dirs = HashMap::with_capacity(usize::try_from(ndirs).ok()?);
        let mut slots = Vec::with_capacity(usize::try_from(nrecs).ok()?);
        let at = |c: &Cursor<'_>| u32::try_from(bytes.len() - c.0.len()).ok();
        for _ in 0..ndirs {
            let len = usize::try_from(c.u32()?).ok()?;
            let dir = c.take(len)?;
            let n = c.u32()?;
            let first = u32::try_from(slots.len()).ok()?;
            let mut prev: Option<&[u8]> = None;
            for _ in 0..n {
                let len = usize::from(u16::from_le_bytes(c.array()?));
                let name_at = at(&c)?;
                let name = c.take(len)?;
                // Names strictly increase within a directory (binary search needs it).
                if prev.is_some_and(|p| p >= name) {
                    return None;
                }
                prev = Some(name);
                let body_at = at(&c)?;
                body(&mut c)?;
                let body_end = at(&c)?;
                slots.push(Slot {
                    name: (name_at, name_at + len as u32),
                    body: (body_at, body_end),
                });
            }
            if dirs.insert(Box::from(dir), (first, n)).is_some() {
                return None;
            }
        }
        if slots.len() as u64 != nrecs || !c.0.is_empty() {
            return None;
        }
        Some(Parsed { bytes, dirs, slots })
    }

    fn slice(&self, (s, e): (u32, u32)) -> &[u8] {
        self.bytes.get(s as usize..e as usize).unwrap_or_default()
    }

    /// The records of directory `dir`.
    fn dir(&self, dir: &[u8]) -> Option<(u32, u32)> {
        self.dirs.get(dir).copied()
    }

    /// The record named `name` among `range` (from [`Self::dir`]).
    fn find(&self, (first, n): (u32, u32), name: &[u8]) -> Option<Record<'_>> {
        let slots = self
            .slots
            .get(first as usize..(first as usize).checked_add(n as usize)?)?;
        let i = slots
            .binary_search_by(|s| self.slice(s.name).cmp(name))
            .ok()?;
        let mut c = Cursor(self.slice(slots.get(i)?.body));
        body(&mut c)
    }

    /// Records held.
    pub fn records(&self) -> usize {
        self.slots.len()
    }
}

/// Parses cache bytes whatever fingerprint they carry and replays every record into an
/// empty report; returns how many replayed. For fuzzing the parser and the replay.
#[doc(hidden)]
pub fn replay_all(bytes: &[u8]) -> usize {
    let Some(fp) = bytes.get(8..40).and_then(|f| <[u8; 32]>::try_from(f).ok()) else {
        return 0;
    };
    let Some(p) = Parsed::parse(bytes.to_vec(), &fp) else {
        return 0;
    };
    let mut sink = Sink::default();
    let mut n = 0;
    for s in &p.slots {
        if let Some(r) = body(&mut Cursor(p.slice(s.body))) {
            n += usize::from(ThreadCache::replay(&r, &mut sink));
        }
    }
    n
}

/// What the detectors reported for one file: a slice of a [`Sink`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Delta {
    pub assets: Vec<DiscoveredAsset>,
    pub findings: Vec<DiscoveredFinding>,
    pub attachments: Vec<CachedAttachment>,
}

/// An [`Attachment`] whose card asset is counted from the record's first asset.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CachedAttachment {
    pub dir: PathBuf,
    pub provenance: airm_core::Provenance,
    pub facts: std::collections::BTreeMap<String, serde_json::Value>,
    pub card_asset: Option<usize>,
}

/// Where a [`Sink`] stood before a file was visited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    assets: usize,
    findings: usize,
    attachments: usize,
    files_read: u64,
    bytes_read: u64,
}

impl Mark {
    pub fn of(sink: &Sink) -> Self {
        Mark {
            assets: sink.assets.len(),
            findings: sink.findings.len(),
            attachments: sink.attachments.len(),
            files_read: sink.stats.files_read,
            bytes_read: sink.stats.bytes_read,
        }
    }
}

/// A directory looked up and its records, if the previous run had any.
#[derive(Debug)]
struct Current {
    dir: Vec<u8>,
    range: Option<(u32, u32)>,
}

/// The cache as one walker thread sees it: the previous run's records and the records of
/// this run, appended as files are visited.
#[derive(Debug)]
pub(crate) struct ThreadCache {
    old: Arc<Parsed>,
    /// Seconds since the epoch when the run started (see [`SETTLED`]).
    start: i64,
    /// This run's records, each `[dir len u32][dir][name len u16][name][body len u32][body]`
    /// in visiting order (sorted and grouped when saved).
    pub out: Vec<u8>,
    pub records: u64,
    /// Files whose record was reused.
    pub hits: u64,
    /// The directory looked up last and its records (files come directory by directory).
    current: Option<Current>,
}

impl ThreadCache {
    pub fn new(old: Arc<Parsed>, start: i64) -> Self {
        ThreadCache {
            old,
            start,
            out: Vec::new(),
            records: 0,
            hits: 0,
            current: None,
        }
    }

    /// A fresh cache for another thread of the same run.
    pub fn sibling(&self) -> Self {
        ThreadCache::new(Arc::clone(&self.old), self.start)
    }

    /// Adds another thread's records.
    pub fn merge(&mut self, other: ThreadCache) {
        if self.out.is_empty() {
            self.out = other.out;
        } else {
            self.out.extend_from_slice(&other.out);
        }
        self.records += other.records;
        self.hits += other.hits;
    }

    /// Replays `rec` (found by [`Self::lookup`]) into `sink`; false (and nothing changed)
    /// if its JSON does not parse.
    pub fn replay(rec: &Record<'_>, sink: &mut Sink) -> bool {
        if !rec.delta.is_empty() {
            let Ok(d) = serde_json::from_slice::<Delta>(rec.delta) else {
                return false;
            };
            let base = sink.assets.len();
            if d.attachments
                .iter()
                .any(|a| a.card_asset.is_some_and(|i| i >= d.assets.len()))
            {
                return false;
            }
            sink.assets.extend(d.assets);
            sink.findings.extend(d.findings);
            sink.attachments
                .extend(d.attachments.into_iter().map(|a| Attachment {
                    dir: a.dir,
                    provenance: a.provenance,
                    facts: a.facts,
                    card_asset: a.card_asset.map(|i| i + base),
                }));
        }
        sink.stats.files_read += u64::from(rec.read);
        sink.stats.bytes_read += rec.bytes_read;
        true
    }

    /// Reuses the previous result of `path` if there is one and `key` (asked only then)
    /// gives the key it was recorded with: replays it into `sink`, keeps it for the next
    /// run and returns true.
    pub fn reuse(
        &mut self,
        path: &[u8],
        key: impl FnOnce() -> Option<FileKey>,
        sink: &mut Sink,
    ) -> bool {
        let (dir, name) = split(path);
        let range = match &mut self.current {
            Some(c) if c.dir.as_slice() == dir => c.range,
            cur => {
                let range = self.old.dir(dir);
                match cur {
                    Some(c) => {
                        c.dir.clear();
                        c.dir.extend_from_slice(dir);
                        c.range = range;
                    }
                    None => {
                        *cur = Some(Current {
                            dir: dir.to_vec(),
                            range,
                        })
                    }
                }
                range
            }
        };
        let Some(rec) = range.and_then(|r| self.old.find(r, name)) else {
            return false;
        };
        if key() != Some(rec.key) || !Self::replay(&rec, sink) {
            return false;
        }
        push_record(&mut self.out, dir, name, rec.body);
        self.records += 1;
        self.hits += 1;
        true
    }

    /// Records what the detectors reported for `path` since `mark`, if its key is settled.
    pub fn record(&mut self, path: &[u8], key: &FileKey, mark: Mark, sink: &Sink) {
        if !key.settled(self.start) {
            return;
        }
        let (Some(assets), Some(findings), Some(attachments)) = (
            sink.assets.get(mark.assets..),
            sink.findings.get(mark.findings..),
            sink.attachments.get(mark.attachments..),
        ) else {
            return;
        };
        let delta = if assets.is_empty() && findings.is_empty() && attachments.is_empty() {
            Vec::new()
        } else {
            let d = Delta {
                assets: assets.to_vec(),
                findings: findings.to_vec(),
                attachments: attachments
                    .iter()
                    .map(|a| CachedAttachment {
                        dir: a.dir.clone(),
                        provenance: a.provenance.clone(),
                        facts: a.facts.clone(),
                        card_asset: a.card_asset.and_then(|i| i.checked_sub(mark.assets)),
                    })
                    .collect(),
            };
            // A card asset outside this file's assets cannot be replayed.
            if attachments
                .iter()
                .any(|a| a.card_asset.is_some_and(|i| i < mark.assets))
            {
                return;
            }
            match serde_json::to_vec(&d) {
                Ok(v) => v,
                // A path that is not UTF-8 in an attachment: not cached.
                Err(_) => return,
            }
        };
        let Ok(dlen) = u32::try_from(delta.len()) else {
            return;
        };
        let read = sink.stats.files_read - mark.files_read;
        let bytes = sink.stats.bytes_read - mark.bytes_read;
        let mut body = Vec::with_capacity(FIXED + delta.len());
        key.write(&mut body);
        body.push(u8::from(read > 0));
        body.extend_from_slice(&bytes.to_le_bytes());
        body.extend_from_slice(&dlen.to_le_bytes());
        body.extend_from_slice(&delta);
        let (dir, name) = split(path);
        if push_record(&mut self.out, dir, name, &body) {
            self.records += 1;
        }
    }
}

/// The cache of one run: its file, fingerprint and previous records.
#[derive(Debug)]
pub struct RunCache {
    file: PathBuf,
    fingerprint: [u8; 32],
    pub(crate) old: Arc<Parsed>,
    pub(crate) start: i64,
}

impl RunCache {
    /// Opens the cache of a run over `paths` with `opts` in `dir` (created if missing).
    /// `None` when the run cannot be fingerprinted (no path to airm's executable).
    pub fn open(dir: &Path, paths: &[PathBuf], opts: &DiscoverOptions) -> Option<RunCache> {
        let fingerprint = fingerprint(paths, opts)?;
        let file = dir.join(format!("{}.bin", hex::encode(&fingerprint[..16])));
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())?;
        let old = load(&file)
            .and_then(|b| Parsed::parse(b, &fingerprint))
            .unwrap_or_default();
        Some(RunCache {
            file,
            fingerprint,
            old: Arc::new(old),
            start,
        })
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Records held from the previous run.
    pub fn previous_records(&self) -> usize {
        self.old.records()
    }

    /// Writes this run's records unless they are exactly the previous run's.
    pub(crate) fn save(&self, t: &ThreadCache) -> io::Result<()> {
        if t.hits == t.records && t.records == self.old.records() as u64 {
            // Still in use: keep it from being pruned (see [`prune`]) without rewriting it.
            let now = std::time::SystemTime::now();
            let stale = std::fs::symlink_metadata(&self.file)
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|a| a > UNUSED_FOR / 30));
            if stale {
                std::fs::File::open(&self.file)?.set_modified(now)?;
            }
            return Ok(());
        }
        let dir = self.file.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let bytes = encode(&self.fingerprint, &t.out);
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            self.file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let _ = std::fs::remove_file(&tmp);
        let res = o.open(&tmp).and_then(|mut f| {
            f.write_all(&bytes)?;
            std::fs::rename(&tmp, &self.file)
        });
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        prune(dir);
        res
    }
}

/// Appends a record as a thread keeps it; false (nothing appended) when a part is too
/// long for the format.
fn push_record(out: &mut Vec<u8>, dir: &[u8], name: &[u8], body: &[u8]) -> bool {
    let (Ok(dl), Ok(nl), Ok(bl)) = (
        u32::try_from(dir.len()),
        u16::try_from(name.len()),
        u32::try_from(body.len()),
    ) else {
        return false;
    };
    out.extend_from_slice(&dl.to_le_bytes());
    out.extend_from_slice(dir);
    out.extend_from_slice(&nl.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&bl.to_le_bytes());
    out.extend_from_slice(body);
    true
}

/// The cache file for `fingerprint` holding the records of `out` (as [`push_record`]
/// wrote them): grouped by directory, sorted by name, the first of a repeated path kept.
fn encode(fingerprint: &[u8; 32], out: &[u8]) -> Vec<u8> {
    let mut recs: Vec<(&[u8], &[u8], &[u8])> = Vec::new();
    let mut c = Cursor(out);
    while !c.0.is_empty() {
        let (Some(dir), Some(name), Some(body)) =
            (part(&mut c, true), part(&mut c, false), part(&mut c, true))
        else {
            break;
        };
        recs.push((dir, name, body));
    }
    // Stable: of a path walked twice (overlapping roots), the first record stays first.
    recs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    recs.dedup_by(|b, a| (a.0, a.1) == (b.0, b.1));
    let mut bytes = Vec::with_capacity(56 + out.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(fingerprint);
    let ndirs = recs
        .iter()
        .enumerate()
        .filter(|(i, r)| *i == 0 || recs.get(i - 1).is_some_and(|p| p.0 != r.0))
        .count() as u64;
    bytes.extend_from_slice(&ndirs.to_le_bytes());
    bytes.extend_from_slice(&(recs.len() as u64).to_le_bytes());
    for group in recs.chunk_by(|a, b| a.0 == b.0) {
        let dir = group.first().map(|r| r.0).unwrap_or_default();
        bytes.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        bytes.extend_from_slice(dir);
        bytes.extend_from_slice(&(group.len() as u32).to_le_bytes());
        for (_, name, body) in group {
            bytes.extend_from_slice(&(name.len() as u16).to_le_bytes());
            bytes.extend_from_slice(name);
            bytes.extend_from_slice(body);
        }
    }
    bytes
}

/// A length-prefixed part of a record kept by a thread.
fn part<'a>(c: &mut Cursor<'a>, wide: bool) -> Option<&'a [u8]> {
    let len = if wide {
        usize::try_from(c.u32()?).ok()?
    } else {
        usize::from(u16::from_le_bytes(c.array()?))
    };
    c.take(len)
}

/// Cache files not written for this long are removed when another is written.
const UNUSED_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Removes the cache files of `dir` unused for [`UNUSED_FOR`] (runs over paths no longer
/// scanned), and temporary files left by killed runs.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let ours = name.ends_with(".bin") || (name.starts_with('.') && name.ends_with(".tmp"));
        let old = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > UNUSED_FOR);
        if ours && old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Reads a cache file if it is a regular file owned by the user, not writable by others
/// and not larger than [`MAX_FILE`].
fn load(file: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags_nofollow()
        .open(file)
        .ok()?;
    let m = f.metadata().ok()?;
    if !m.is_file() || m.len() > MAX_FILE || !private(&m) {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(m.len()).ok()?);
    f.take(MAX_FILE).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

trait NoFollow {
    fn custom_flags_nofollow(&mut self) -> &mut Self;
}

impl NoFollow for std::fs::OpenOptions {
    #[cfg(unix)]
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            self,
            rustix::fs::OFlags::NOFOLLOW.bits() as i32,
        )
    }
    #[cfg(not(unix))]
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        self
    }
}

#[cfg(unix)]
fn private(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.uid() == rustix::process::geteuid().as_raw() && m.mode() & 0o022 == 0
}

#[cfg(not(unix))]
fn private(_: &std::fs::Metadata) -> bool {
    true
}

/// Everything besides the files themselves that decides what discovery reports: the cache
/// format, airm's version and executable (a rebuilt binary may detect differently), the
/// options, the working directory and the paths as given (reported paths are built from
/// them).
fn fingerprint(paths: &[PathBuf], opts: &DiscoverOptions) -> Option<[u8; 32]> {
    let mut h = blake3::Hasher::new();
    h.update(MAGIC);
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let exe = std::env::current_exe().ok()?;
    let m = std::fs::metadata(&exe).ok()?;
    h.update(exe.as_os_str().as_encoded_bytes());
    h.update(&m.len().to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        for v in [m.dev(), m.ino()] {
            h.update(&v.to_le_bytes());
        }
        for v in [m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()] {
            h.update(&v.to_le_bytes());
        }
    }
    // Threads change how fast, not what.
    let opts = DiscoverOptions {
        threads: 0,
        ..opts.clone()
    };
    h.update(&serde_json::to_vec(&opts).ok()?);
    let cwd = std::env::current_dir().ok()?;
    h.update(cwd.as_os_str().as_encoded_bytes());
    h.update(&[0]);
    for p in paths {
        h.update(&(p.as_os_str().len() as u64).to_le_bytes());
        h.update(p.as_os_str().as_encoded_bytes());
    }
    Some(*h.finalize().as_bytes())
}

/// The default cache directory: `$AIRM_CACHE_DIR`, else `$XDG_CACHE_HOME/airm`, else
/// `$HOME/.cache/airm`, with `discover` appended; `None` if none is set.
pub fn default_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = nonempty("AIRM_CACHE_DIR")
        .or_else(|| nonempty("XDG_CACHE_HOME").map(|p| p.join("airm")))
        .or_else(|| nonempty("HOME").map(|p| p.join(".cache").join("airm")))?;
    Some(base.join("discover"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> FileKey {
        FileKey {
            dev: 1,
            ino: n,
            mode: 0o100644,
            size: n * 10,
            mtime: (1_000, 5),
            ctime: (1_000, 7),
        }
    }

    fn bytes_of(t: &ThreadCache, fp: &[u8; 32]) -> Vec<u8> {
        encode(fp, &t.out)
    }

    #[test]
    fn records_round_trip_and_keys_must_match() {
        let fp = [7u8; 32];
        let mut t = ThreadCache::new(Arc::default(), 10_000);
        let mut sink = Sink::default();
        for n in 0..3u64 {
            let mark = Mark::of(&sink);
            sink.stats.files_read += 1;
            sink.stats.bytes_read += n * 10;
            if n == 1 {
                sink.finding(
                    "a/1.py",
                    Some(3),
                    crate::rules::FileNotInspected::finding("x".into(), None),
                );
            }
            t.record(format!("a/{n}.py").as_bytes(), &key(n), mark, &sink);
        }
        let p = Parsed::parse(bytes_of(&t, &fp), &fp).unwrap();
        assert_eq!(p.records(), 3);
        let mut t2 = ThreadCache::new(Arc::new(p), 10_000);
        let mut replayed = Sink::default();
        assert!(!t2.reuse(b"a/1.py", || Some(key(2)), &mut replayed));
        assert!(!t2.reuse(b"a/9.py", || Some(key(9)), &mut replayed));
        assert!(t2.reuse(b"a/1.py", || Some(key(1)), &mut replayed));
        assert_eq!(replayed.findings, sink.findings);
        assert_eq!(replayed.stats.bytes_read, 10);
        assert_eq!((t2.hits, t2.records), (1, 1));
        // Another fingerprint, a truncated file or a byte more: nothing.
        let b = bytes_of(&t, &fp);
        assert!(Parsed::parse(b.clone(), &[8u8; 32]).is_none());
        for cut in 0..b.len() {
            assert!(Parsed::parse(b[..cut].to_vec(), &fp).is_none(), "cut {cut}");
        }
        let mut more = b.clone();
        more.push(0);
        assert!(Parsed::parse(more, &fp).is_none());
    }

    #[test]
    fn prune_removes_only_old_cache_files() {
        let dir = tempfile::tempdir().unwrap();
        let long_ago = std::time::SystemTime::now() - UNUSED_FOR * 2;
        for name in ["old.bin", "fresh.bin", ".old.bin.1.tmp", "old.txt"] {
            let f = std::fs::File::create(dir.path().join(name)).unwrap();
            if name != "fresh.bin" {
                f.set_modified(long_ago).unwrap();
            }
        }
        prune(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["fresh.bin", "old.txt"]);
    }

    #[test]
    fn unsettled_files_are_not_recorded() {
        let mut t = ThreadCache::new(Arc::default(), 1_001);
        let sink = Sink::default();
        t.record(b"x", &key(1), Mark::of(&sink), &sink);
        assert_eq!(t.records, 0);
        let mut t = ThreadCache::new(Arc::default(), 1_000 + SETTLED + 1);
        t.record(b"x", &key(1), Mark::of(&sink), &sink);
        assert_eq!(t.records, 1);
    }
}
