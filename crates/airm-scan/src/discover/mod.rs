//! AI asset discovery: one parallel walk of a tree (the `ignore` crate's `WalkParallel`,
//! honouring `.gitignore` unless told not to, never following symbolic links) that routes
//! each file by its name to the detector of one asset family — model files (by content),
//! model cards and provenance, datasets, notebooks, dependency manifests, AI usage and keys
//! in code, AI infrastructure as code — and returns what it found as
//! [`DiscoveredAsset`]s and [`DiscoveredFinding`]s (`AS` rules).
//!
//! Discovery states facts and never calls consumers: the caller stores, links and prints.
//! It reads little: files are chosen by name and only those a detector wants are opened
//! (`discover/read.rs`: one `read` for most files); model files are sniffed from their
//! first 4 KiB (and hashed), code and configuration go to the detectors only when a cheap
//! multi-pattern prefilter finds an AI-related word in them, and nothing is ever executed.
//! A file that cannot be read is a finding (`AS006`), and the walk goes on. Secrets are
//! masked where they are matched; the key itself never leaves the detector.

pub mod arrow;
mod cache;
mod cards;
mod code;
mod datasets;
mod deps;
mod iac;
mod models;
mod notebooks;
pub mod parquet;
mod read;
mod route;
mod secrets;
pub mod table;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Sender};

use airm_core::{Asset, AssetKind, ContentHash, Finding, Provenance, Timestamp};
use ignore::{ParallelVisitor, ParallelVisitorBuilder, WalkState};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::report::ScanFinding;
use crate::rules::FileNotInspected;
use crate::sniff::SNIFF_LEN;

pub use cache::{
    default_dir as default_cache_dir, replay_all as replay_cache_bytes, RunCache,
    SETTLED as CACHE_SETTLED_SECS,
};
pub use secrets::mask;

/// Directories never entered: version-control internals and installed third-party code
/// (whose AI usage is not the project's; its packages are read from manifests instead).
pub const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "site-packages",
    "__pycache__",
    ".ipynb_checkpoints",
];

/// Options of a discovery run (`[discover]` in `airm.toml`, plus command-line flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoverOptions {
    /// Ignore `.gitignore`, `.ignore` and git exclude files (`--no-ignore`).
    pub no_ignore: bool,
    /// Files larger than this are not inspected (no sniffing, no hashing; at most their
    /// first 4 KiB, 1 MiB for datasets, are read to learn the size): `AS006`.
    pub max_file_size: u64,
    /// Code, manifests, notebooks and configuration larger than this are not read: `AS006`.
    pub max_text_size: u64,
    /// Datasets up to this size have their rows counted (the count needs a full read).
    pub max_row_count_size: u64,
    /// Hash model files (SHA-256 and BLAKE3). `airm scan` turns it off and takes the
    /// digests from its own full read of each model.
    pub hash_models: bool,
    /// Hash datasets (needed for deduplication and the AI-BOM).
    pub hash_datasets: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Globs of paths to leave out (`--exclude`).
    pub exclude: Vec<String>,
    /// Reuse the results of files unchanged since the previous run over the same paths
    /// (the discovery cache; `--no-cache` turns it off). Only the CLI's runs use it; the
    /// library's [`discover`] never does, [`discover_cached`] always does.
    pub cache: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            no_ignore: false,
            max_file_size: 256 * 1024 * 1024 * 1024,
            max_text_size: 4 * 1024 * 1024,
            max_row_count_size: 64 * 1024 * 1024,
            hash_models: true,
            hash_datasets: true,
            threads: 0,
            exclude: Vec::new(),
            cache: true,
        }
    }
}

/// One AI asset found by discovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredAsset {
    /// Kind of asset.
    pub kind: AssetKind,
    /// Display name.
    pub name: String,
    /// A path (as walked), a hub id (`huggingface:org/name`), a purl, a service endpoint
    /// or `path:line` of a resource in a file.
    pub location: String,
    /// Format, e.g. `safetensors`, `csv`, `pypi`.
    pub format: Option<String>,
    /// Size in bytes, for files.
    pub size: Option<u64>,
    /// SHA-256, for hashed files.
    pub sha256: Option<String>,
    /// BLAKE3, for hashed files.
    pub blake3: Option<String>,
    /// Origin, revision and licence where known.
    pub provenance: Provenance,
    /// What the detector learnt (architecture, parameters, columns, purl, …).
    pub facts: BTreeMap<String, Value>,
}

impl DiscoveredAsset {
    /// A new asset without content facts.
    pub fn new(kind: AssetKind, name: impl Into<String>, location: impl Into<String>) -> Self {
        DiscoveredAsset {
            kind,
            name: name.into(),
            location: location.into(),
            format: None,
            size: None,
            sha256: None,
            blake3: None,
            provenance: Provenance::default(),
            facts: BTreeMap::new(),
        }
    }

    /// Sets a fact.
    pub fn fact(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.facts.insert(key.to_string(), value.into());
        self
    }

    /// The store's form. File locations become absolute paths; other locations (hub ids,
    /// purls, endpoints) are kept.
    pub fn to_asset(&self, now: Timestamp, systems: Vec<String>) -> Asset {
        let mut hashes = Vec::new();
        if let Some(h) = &self.sha256 {
            hashes.push(ContentHash {
                alg: "sha256".into(),
                hex: h.clone(),
            });
        }
        if let Some(h) = &self.blake3 {
            hashes.push(ContentHash {
                alg: "blake3".into(),
                hex: h.clone(),
            });
        }
        Asset {
            id: String::new(),
            kind: self.kind,
            name: self.name.clone(),
            location: absolute_location(&self.location),
            hashes,
            format: self.format.clone(),
            size: self.size,
            provenance: self.provenance.clone(),
            systems,
            first_seen: now,
            last_seen: now,
        }
    }

    /// The file path this asset is at, if it is a file or a place in one.
    pub fn file_path(&self) -> Option<&str> {
        if self.location.contains("://")
            || self.location.starts_with("pkg:")
            || self.location.starts_with("huggingface:")
        {
            return None;
        }
        Some(split_line(&self.location).0)
    }
}

/// `path:123` → (`path`, Some(123)).
fn split_line(loc: &str) -> (&str, Option<u32>) {
    if let Some((p, l)) = loc.rsplit_once(':') {
        if let Ok(n) = l.parse::<u32>() {
            return (p, Some(n));
        }
    }
    (loc, None)
}

/// An absolute form of a file location (`path` or `path:line`); others unchanged.
pub fn absolute_location(loc: &str) -> String {
    if loc.contains("://") || loc.starts_with("pkg:") || loc.starts_with("huggingface:") {
        return loc.to_string();
    }
    let (p, line) = split_line(loc);
    let abs = std::fs::canonicalize(p)
        .map(|a| a.display().to_string())
        .unwrap_or_else(|_| p.to_string());
    match line {
        Some(l) => format!("{abs}:{l}"),
        None => abs,
    }
}

/// A finding of an `AS` rule at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredFinding {
    /// The file (as walked).
    pub path: String,
    /// 1-based line, for text.
    pub line: Option<u32>,
    /// The finding.
    #[serde(flatten)]
    pub finding: ScanFinding,
}

impl DiscoveredFinding {
    /// The stored form (absolute path), with the caller's time.
    pub fn into_finding(self, now: Timestamp) -> Finding {
        let path = absolute_location(&self.path);
        let mut f = self.finding;
        // Lines belong to the fingerprint, so two keys in one file stay two findings.
        if f.member.is_none() {
            f.member = self.line.map(|l| format!("line {l}"));
        }
        let mut out = f.into_finding(&path, String::new(), now);
        out.location.line = self.line;
        out
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiscoveryStats {
    /// Files seen by the walk.
    pub files: u64,
    /// Files opened and read (in part or whole).
    pub files_read: u64,
    /// Bytes read.
    pub bytes_read: u64,
}

/// Everything a run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Discovery {
    /// Assets, sorted by kind and location, deduplicated.
    pub assets: Vec<DiscoveredAsset>,
    /// Findings, sorted by path, line and rule.
    pub findings: Vec<DiscoveredFinding>,
    /// Counts.
    pub stats: DiscoveryStats,
}

impl Discovery {
    /// Merges assets that now share content (after a caller filled in digests).
    pub fn dedup(&mut self) {
        self.assets = dedup(std::mem::take(&mut self.assets));
    }
}

/// What detectors write to; one per walker thread, merged at the end.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub assets: Vec<DiscoveredAsset>,
    pub findings: Vec<DiscoveredFinding>,
    /// Images per directory.
    pub images: HashMap<PathBuf, ImageDir>,
    /// Facts and provenance to attach to models in a directory (model cards, configs).
    pub attachments: Vec<Attachment>,
    pub stats: DiscoveryStats,
    /// A scratch buffer for the text prefilter (lowered bytes), reused across files.
    pub lower: Vec<u8>,
    /// Opens and reads files (the cached directory and the read buffer).
    reader: read::Reader,
    /// The discovery cache, when the run has one.
    cache: Option<cache::ThreadCache>,
}

/// The images of one directory. Sizes are only needed for directories that become
/// image-folder datasets, so an image is measured (one `stat`) only once its directory
/// has enough images to be one; until then its path waits in `pending`.
#[derive(Debug, Default)]
pub(crate) struct ImageDir {
    pub count: u64,
    pub bytes: u64,
    pub pending: Vec<PathBuf>,
}

impl ImageDir {
    /// Measures the waiting images.
    fn measure(&mut self) {
        for p in self.pending.drain(..) {
            self.bytes += std::fs::symlink_metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
    }
}

/// Whether a directory's path names a dataset split (`train`, `val`, `dataset`, …).
fn names_dataset(dir: &Path) -> bool {
    dir.components().any(|c| {
        let s = c.as_os_str().to_string_lossy();
        DATASET_DIR_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
    })
}

/// Facts from a model card or config that describe the model files beside it.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub dir: PathBuf,
    pub provenance: Provenance,
    pub facts: BTreeMap<String, Value>,
    /// Index into `Sink::assets` of the card's own asset, if it made one.
    pub card_asset: Option<usize>,
}

impl Sink {
    pub fn finding(&mut self, path: &str, line: Option<u32>, finding: ScanFinding) {
        self.findings.push(DiscoveredFinding {
            path: path.to_string(),
            line,
            finding,
        });
    }

    pub fn not_inspected(&mut self, path: &str, why: String) {
        self.finding(path, None, FileNotInspected::finding(why, None));
    }
}

/// Walks `paths` and returns what it found.
pub fn discover(paths: &[PathBuf], opts: &DiscoverOptions) -> Discovery {
    walk(paths, opts, Sink::default())
}

/// What the cache did in a run of [`discover_cached`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheUse {
    /// Files whose previous result was reused (not opened).
    pub reused: u64,
    /// Records the cache holds for the next run.
    pub records: u64,
    /// Why the cache file could not be written, if it could not.
    pub save_error: Option<String>,
}

/// [`discover`] with a discovery cache (see `discover/cache.rs`): files unchanged since the
/// run that wrote `cache` are not opened, their previous results are reused; the report is
/// the one [`discover`] gives. The cache is then rewritten for the next run.
pub fn discover_cached(
    paths: &[PathBuf],
    opts: &DiscoverOptions,
    cache: &RunCache,
) -> (Discovery, CacheUse) {
    let sink = Sink {
        cache: Some(cache::ThreadCache::new(
            std::sync::Arc::clone(&cache.old),
            cache.start,
        )),
        ..Sink::default()
    };
    let mut used = CacheUse::default();
    let d = walk_then(paths, opts, sink, |sink| {
        if let Some(t) = &sink.cache {
            used.reused = t.hits;
            used.records = t.records;
            used.save_error = cache.save(t).err().map(|e| e.to_string());
        }
    });
    (d, used)
}

fn walk(paths: &[PathBuf], opts: &DiscoverOptions, sink: Sink) -> Discovery {
    walk_then(paths, opts, sink, |_| {})
}

/// Walks `paths` into `sink`, hands the merged sink to `then`, and finalises it.
fn walk_then(
    paths: &[PathBuf],
    opts: &DiscoverOptions,
    mut sink: Sink,
    then: impl FnOnce(&Sink),
) -> Discovery {
    let mut roots = Vec::new();
    for p in paths {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_file() => visit_file(p, Some(m.len()), opts, &mut sink),
            Ok(_) => roots.push(p.clone()),
            Err(e) => sink.not_inspected(&p.display().to_string(), format!("cannot read: {e}")),
        }
    }
    if let Some((first, rest)) = roots.split_first() {
        let mut b = ignore::WalkBuilder::new(first);
        for r in rest {
            b.add(r);
        }
        let honour = !opts.no_ignore;
        b.hidden(false)
            .follow_links(false)
            .git_ignore(honour)
            .git_global(honour)
            .git_exclude(honour)
            .ignore(honour)
            .parents(honour)
            .require_git(false)
            .threads(opts.threads)
            .filter_entry(|e| {
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
            });
        let mut globs_ok = true;
        if !opts.exclude.is_empty() {
            let mut ov = ignore::overrides::OverrideBuilder::new(first);
            for g in &opts.exclude {
                if let Err(e) = ov.add(&format!("!{g}")) {
                    sink.not_inspected(g, format!("invalid exclude glob: {e}"));
                    globs_ok = false;
                }
            }
            match ov.build() {
                Ok(o) if globs_ok => {
                    b.overrides(o);
                }
                Ok(_) => {}
                Err(e) => sink.not_inspected(first.to_string_lossy().as_ref(), e.to_string()),
            }
        }
        let (tx, rx) = channel::<Sink>();
        let mut builder = VisitorBuilder {
            tx,
            opts,
            cache: sink.cache.as_ref(),
        };
        b.build_parallel().visit(&mut builder);
        drop(builder);
        for part in rx {
            sink.merge(part);
        }
    }
    then(&sink);
    finalize(sink)
}

/// Runs the text detectors for a file called `name` on `data` held in memory (code,
/// manifests, notebooks, cards, configuration): for fuzzing and for callers that already
/// hold the bytes. Model and dataset files need [`discover`].
pub fn inspect_text(name: &str, data: &[u8]) -> Discovery {
    let mut sink = Sink::default();
    if let route::Route::Text(kind) = route::route(name) {
        if text::worth_reading(kind, data, &mut sink.lower) {
            text::visit(Path::new(name), name, name, data, kind, &mut sink);
        }
    }
    finalize(sink)
}

struct VisitorBuilder<'o> {
    tx: Sender<Sink>,
    opts: &'o DiscoverOptions,
    cache: Option<&'o cache::ThreadCache>,
}

impl<'s> ParallelVisitorBuilder<'s> for VisitorBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            tx: self.tx.clone(),
            opts: self.opts,
            sink: Sink {
                cache: self.cache.map(cache::ThreadCache::sibling),
                ..Sink::default()
            },
        })
    }
}

struct Visitor<'o> {
    tx: Sender<Sink>,
    opts: &'o DiscoverOptions,
    sink: Sink,
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(e) => {
                if e.file_type().is_some_and(|t| t.is_file()) {
                    visit_file(e.path(), None, self.opts, &mut self.sink);
                }
            }
            Err(err) => {
                let path = error_path(&err).unwrap_or_default();
                self.sink.not_inspected(&path, walk_error_text(&err));
            }
        }
        WalkState::Continue
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let _ = self.tx.send(std::mem::take(&mut self.sink));
    }
}

fn error_path(e: &ignore::Error) -> Option<String> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.display().to_string()),
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

fn walk_error_text(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_text(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic-link loop back to {}", ancestor.display())
        }
        other => format!("cannot read: {other}"),
    }
}

impl Sink {
    fn merge(&mut self, other: Sink) {
        let base = self.assets.len();
        self.assets.extend(other.assets);
        self.findings.extend(other.findings);
        for (d, img) in other.images {
            let e = self.images.entry(d).or_default();
            e.count += img.count;
            e.bytes += img.bytes;
            e.pending.extend(img.pending);
        }
        self.attachments
            .extend(other.attachments.into_iter().map(|mut a| {
                a.card_asset = a.card_asset.map(|i| i + base);
                a
            }));
        self.stats.files += other.stats.files;
        self.stats.files_read += other.stats.files_read;
        self.stats.bytes_read += other.stats.bytes_read;
        match (&mut self.cache, other.cache) {
            (Some(c), Some(o)) => c.merge(o),
            (c @ None, o) => *c = o,
            (Some(_), None) => {}
        }
    }
}

/// Most bytes read to learn a dataset's size and contents before deciding how to go on:
/// smaller datasets (most) are read whole with no `stat`.
const DATASET_FIRST_READ: u64 = datasets::SMALL_FILE;

/// Counts an image of `path` in its directory (see [`ImageDir`]).
fn visit_image(path: &Path, size: Option<u64>, sink: &mut Sink) {
    let Some(dir) = read::split_path(path).0 else {
        return;
    };
    let e = match sink.images.get_mut(dir) {
        Some(e) => e,
        None => sink.images.entry(dir.to_path_buf()).or_default(),
    };
    e.count += 1;
    let needed = if e.count >= IMAGE_FOLDER_MIN && names_dataset(dir) {
        IMAGE_FOLDER_MIN
    } else {
        IMAGE_FOLDER_ANYWHERE
    };
    match size {
        Some(s) => e.bytes += s,
        None => e.pending.push(path.to_path_buf()),
    }
    if e.count >= needed {
        e.measure();
    }
}

/// Routes one file to its detector. Names decide; the file is opened only for a detector,
/// read once into the reader's reused buffer (`read.rs`), and its displayed path is built
/// only when something is reported.
fn visit_file(path: &Path, size: Option<u64>, opts: &DiscoverOptions, sink: &mut Sink) {
    sink.stats.files += 1;
    let name = read::split_path(path)
        .1
        .map(|n| match n.to_str() {
            Some(n) => std::borrow::Cow::Borrowed(n),
            None => n.to_string_lossy(),
        })
        .unwrap_or_default();
    let r = route::route(&name);
    let shown = || path.to_string_lossy().into_owned();
    match r {
        route::Route::Skip => return,
        route::Route::Image => return visit_image(path, size, sink),
        _ => {}
    }
    // The reader lends its buffer to the detectors, which also write to the sink.
    let mut reader = std::mem::take(&mut sink.reader);
    // An unchanged file with a previous result is not opened (`cache.rs`).
    #[cfg(target_os = "linux")]
    if let Some(mut c) = sink.cache.take() {
        let bytes = path.as_os_str().as_encoded_bytes();
        let reused = c.reuse(bytes, || reader.key(path).ok(), sink);
        sink.cache = Some(c);
        if reused {
            sink.reader = reader;
            return;
        }
    }
    let opened = match reader.open(path) {
        Ok(f) => f,
        Err(e) => {
            sink.not_inspected(&shown(), format!("cannot open: {e}"));
            sink.reader = reader;
            return;
        }
    };
    #[cfg(target_os = "linux")]
    let recording = sink
        .cache
        .as_ref()
        .and_then(|_| opened.key().ok())
        .map(|k| (k, cache::Mark::of(sink)));
    let cacheable = inspect((path, &name, r, size), opened, &mut reader, opts, sink);
    #[cfg(target_os = "linux")]
    if let (true, Some((key, mark)), Some(mut c)) = (cacheable, recording, sink.cache.take()) {
        c.record(path.as_os_str().as_encoded_bytes(), &key, mark, sink);
        sink.cache = Some(c);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cacheable;
    sink.reader = reader;
}

/// Reads an opened file and runs its detector; false when reading failed (a result that
/// must not be cached).
fn inspect(
    (path, name, r, size): (&Path, &str, route::Route, Option<u64>),
    opened: read::Opened,
    reader: &mut read::Reader,
    opts: &DiscoverOptions,
    sink: &mut Sink,
) -> bool {
    let shown = || path.to_string_lossy().into_owned();
    let mut ok = true;
    // Text files are read without a stat: up to one byte past the limit tells the size.
    if let route::Route::Text(kind) = r {
        sink.stats.files_read += 1;
        match reader.read_head(&opened, opts.max_text_size.saturating_add(1), None) {
            Err(e) => {
                sink.not_inspected(&shown(), format!("read error: {e}"));
                ok = false;
            }
            Ok((_, n)) if n > opts.max_text_size => sink.not_inspected(
                &shown(),
                format!(
                    "text file is larger than discover.max_text_size ({} bytes); not read",
                    opts.max_text_size
                ),
            ),
            Ok((data, n)) => {
                sink.stats.bytes_read += n;
                if text::worth_reading(kind, data, &mut sink.lower) {
                    text::visit(path, &shown(), name, data, kind, sink);
                }
            }
        }
    } else {
        // Models and datasets: the first bytes first (never more than one byte past
        // `max_file_size`); files that end within them need no stat.
        let first = match r {
            route::Route::Dataset(_) => DATASET_FIRST_READ,
            _ => SNIFF_LEN as u64,
        };
        let limit = first.min(opts.max_file_size.saturating_add(1));
        match reader.read_head(&opened, limit, size) {
            Err(e) => {
                sink.not_inspected(&shown(), format!("read error: {e}"));
                ok = false;
            }
            Ok((_, size)) if size > opts.max_file_size => sink.not_inspected(
                &shown(),
                format!(
                    "file of {size} bytes is larger than discover.max_file_size ({} bytes); not read",
                    opts.max_file_size
                ),
            ),
            Ok((data, size)) => {
                sink.stats.files_read += 1;
                sink.stats.bytes_read += data.len() as u64;
                let file = opened.file;
                let res = match r {
                    route::Route::Dataset(kind) => {
                        datasets::visit(path, &shown(), file, data, size, kind, opts, sink)
                    }
                    _ => models::visit(path, file, data, size, opts, sink),
                };
                if let Err(e) = res {
                    sink.not_inspected(&shown(), format!("read error: {e}"));
                    ok = false;
                }
            }
        }
    }
    ok
}

/// Least images in one directory that make an image-folder dataset when the directory's
/// path names a dataset split (`train`, `val`, `dataset`, …).
const IMAGE_FOLDER_MIN: u64 = 20;
/// Least images that make an image-folder dataset anywhere.
const IMAGE_FOLDER_ANYWHERE: u64 = 500;
const DATASET_DIR_WORDS: &[&str] = &[
    "train",
    "training",
    "test",
    "testing",
    "val",
    "valid",
    "validation",
    "dataset",
    "datasets",
    "data",
    "samples",
    "labels",
];

fn finalize(mut sink: Sink) -> Discovery {
    // Image folders.
    let mut dirs: Vec<_> = sink.images.drain().collect();
    dirs.sort_by(|a, b| a.0.cmp(&b.0));
    for (dir, mut img) in dirs {
        let count = img.count;
        if count >= IMAGE_FOLDER_ANYWHERE || (count >= IMAGE_FOLDER_MIN && names_dataset(&dir)) {
            // Images of a directory seen by several walker threads may still wait.
            img.measure();
            let bytes = img.bytes;
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| dir.display().to_string());
            let mut a = DiscoveredAsset::new(AssetKind::Dataset, name, dir.display().to_string())
                .fact("images", count);
            a.format = Some("image-folder".into());
            a.size = Some(bytes);
            a.provenance = cards::hub_provenance(&dir).unwrap_or_default();
            sink.assets.push(a);
        }
    }
    // Cards and configs describe the models beside them.
    let mut dir_has_model: HashMap<PathBuf, bool> = HashMap::new();
    for a in &sink.assets {
        if a.kind == AssetKind::Model && a.format.as_deref() != Some("model-card") {
            if let Some(p) = a.file_path() {
                if let Some(d) = Path::new(p).parent() {
                    dir_has_model.insert(d.to_path_buf(), true);
                }
            }
        }
    }
    let mut drop_cards = Vec::new();
    for att in &sink.attachments {
        for a in sink.assets.iter_mut() {
            if a.kind != AssetKind::Model || a.format.as_deref() == Some("model-card") {
                continue;
            }
            let Some(p) = a.file_path() else { continue };
            if Path::new(p).parent() != Some(att.dir.as_path()) {
                continue;
            }
            merge_provenance(&mut a.provenance, &att.provenance);
            for (k, v) in &att.facts {
                a.facts.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if let Some(i) = att.card_asset {
            if dir_has_model.contains_key(&att.dir) {
                drop_cards.push(i);
            }
        }
    }
    drop_cards.sort_unstable();
    drop_cards.dedup();
    for i in drop_cards.into_iter().rev() {
        if i < sink.assets.len() {
            sink.assets.remove(i);
        }
    }
    let assets = dedup(sink.assets);
    let mut findings = sink.findings;
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.finding.rule_id, &a.finding.message).cmp(&(
            &b.path,
            b.line,
            b.finding.rule_id,
            &b.finding.message,
        ))
    });
    findings.dedup();
    Discovery {
        assets,
        findings,
        stats: sink.stats,
    }
}

fn merge_provenance(into: &mut Provenance, from: &Provenance) {
    if into.source.is_none() {
        into.source.clone_from(&from.source);
    }
    if into.revision.is_none() {
        into.revision.clone_from(&from.revision);
    }
    if into.license.is_none() {
        into.license.clone_from(&from.license);
    }
}

/// Most places listed in a merged asset's `used_in` / `also_at` facts.
const MAX_PLACES: usize = 50;

/// Adds places to the sorted list `key` of `into`, keeping the first [`MAX_PLACES`] in
/// sorted order: the list is then the same whatever order the walker threads found the
/// places in.
fn push_places(into: &mut BTreeMap<String, Value>, key: &str, extra: Vec<Value>) {
    // Places are strings: compared as they are, without serialising each.
    fn order(a: &Value, b: &Value) -> std::cmp::Ordering {
        match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => a.to_string().cmp(&b.to_string()),
        }
    }
    let list = into
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = list {
        if !items.is_sorted_by(|a, b| order(a, b).is_le()) {
            items.sort_by(order);
        }
        for v in extra {
            if let Err(at) = items.binary_search_by(|x| order(x, &v)) {
                if at < MAX_PLACES {
                    items.insert(at, v);
                    items.truncate(MAX_PLACES);
                }
            }
        }
    }
}

/// Merges assets with the same content (SHA-256) or, without content, the same kind and
/// location; drops unversioned libraries when a versioned one of the same package exists.
fn dedup(assets: Vec<DiscoveredAsset>) -> Vec<DiscoveredAsset> {
    // By kind, then path and line (numerically), then name, then the order found (a
    // stable sort). The keys are split once, and the small keys sorted, not the assets.
    let mut keys: Vec<(AssetKind, &str, Option<u32>, &str, usize)> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (path, line) = split_line(&a.location);
            (a.kind, path, line, a.name.as_str(), i)
        })
        .collect();
    keys.sort_unstable();
    let order: Vec<usize> = keys.into_iter().map(|k| k.4).collect();
    let mut out: Vec<DiscoveredAsset> = Vec::with_capacity(order.len());
    let mut slots: Vec<Option<DiscoveredAsset>> = assets.into_iter().map(Some).collect();
    let assets = order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take));
    let mut by_key: HashMap<(AssetKind, String), usize> = HashMap::new();
    for a in assets {
        let key = match &a.sha256 {
            Some(h) => (a.kind, format!("sha256:{h}")),
            None => (a.kind, a.location.clone()),
        };
        if let Some(&i) = by_key.get(&key) {
            if let Some(kept) = out.get_mut(i) {
                merge_provenance(&mut kept.provenance, &a.provenance);
                let mut a = a;
                if kept.sha256.is_some() && kept.location != a.location {
                    push_places(
                        &mut kept.facts,
                        "also_at",
                        vec![Value::String(a.location.clone())],
                    );
                }
                for (k, v) in std::mem::take(&mut a.facts) {
                    match (kept.facts.get(&k), v) {
                        (Some(Value::Array(_)), Value::Array(items)) => {
                            push_places(&mut kept.facts, &k, items)
                        }
                        (None, v) => {
                            kept.facts.insert(k, v);
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        by_key.insert(key, out.len());
        out.push(a);
    }
    // Unversioned library references yield to versioned ones of the same package.
    let versioned: std::collections::HashSet<String> = out
        .iter()
        .filter(|a| a.kind == AssetKind::Library && a.location.contains('@'))
        .map(|a| unversioned_purl(&a.location).to_string())
        .collect();
    let mut moved: HashMap<String, Vec<Value>> = HashMap::new();
    out.retain(|a| {
        let drop = a.kind == AssetKind::Library
            && !a.location.contains('@')
            && versioned.contains(&a.location);
        if drop {
            if let Some(Value::Array(u)) = a.facts.get("used_in") {
                moved
                    .entry(a.location.clone())
                    .or_default()
                    .extend(u.iter().cloned());
            }
        }
        !drop
    });
    for a in out.iter_mut() {
        if a.kind == AssetKind::Library && a.location.contains('@') {
            if let Some(u) = moved.get(unversioned_purl(&a.location)) {
                push_places(&mut a.facts, "used_in", u.clone());
            }
        }
    }
    out
}

fn unversioned_purl(p: &str) -> &str {
    // A purl's version follows the last `@` after the name (`pkg:npm/%40scope/x@1.0`).
    match p.rfind('@') {
        Some(i) if i > 4 => p.get(..i).unwrap_or(p),
        _ => p,
    }
}

/// BLAKE3 and SHA-256 (hex) of bytes in memory.
pub(crate) fn hash_bytes(data: &[u8]) -> (String, String) {
    use sha2::Digest;
    (
        blake3::hash(data).to_hex().to_string(),
        hex::encode(sha2::Sha256::digest(data)),
    )
}

/// `data` as text, invalid UTF-8 replaced (as `String::from_utf8_lossy`), checked with the
/// standard library's fast validation first: most files are valid UTF-8.
pub(crate) fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(data) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(data),
    }
}

/// 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &[u8], offset: usize) -> u32 {
    let upto = text.get(..offset.min(text.len())).unwrap_or(&[]);
    u32::try_from(memchr::memchr_iter(b'\n', upto).count() + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_locations() {
        assert_eq!(line_of(b"a\nb\nc", 0), 1);
        assert_eq!(line_of(b"a\nb\nc", 4), 3);
        assert_eq!(split_line("src/app.py:12"), ("src/app.py", Some(12)));
        assert_eq!(split_line("C:thing"), ("C:thing", None));
        assert_eq!(unversioned_purl("pkg:npm/%40a/b@1.2"), "pkg:npm/%40a/b");
        assert_eq!(unversioned_purl("pkg:pypi/torch"), "pkg:pypi/torch");
    }

    /// The places kept when there are more than [`MAX_PLACES`] do not depend on the order
    /// the places were found in (walker threads find them in any order).
    #[test]
    fn capped_places_do_not_depend_on_order() {
        let places: Vec<Value> = (0..120)
            .map(|i| Value::from(format!("m{i:03}.py")))
            .collect();
        let mut forward = BTreeMap::new();
        for p in &places {
            push_places(&mut forward, "used_in", vec![p.clone(), p.clone()]);
        }
        let mut backward = BTreeMap::new();
        push_places(
            &mut backward,
            "used_in",
            places.iter().rev().cloned().collect(),
        );
        assert_eq!(forward, backward);
        let expected: Vec<Value> = places.iter().take(MAX_PLACES).cloned().collect();
        assert_eq!(forward["used_in"], Value::Array(expected));
    }

    #[test]
    fn dedups_by_hash_and_location() {
        let mut a = DiscoveredAsset::new(AssetKind::Model, "a.bin", "x/a.bin");
        a.sha256 = Some("00".into());
        let mut b = a.clone();
        b.location = "y/a.bin".into();
        let c = DiscoveredAsset::new(AssetKind::Library, "torch", "pkg:pypi/torch")
            .fact("used_in", vec![Value::from("m.py")]);
        let d = DiscoveredAsset::new(AssetKind::Library, "torch", "pkg:pypi/torch@2.1.0");
        let out = dedup(vec![a, b, c, d]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].facts["also_at"], serde_json::json!(["y/a.bin"]));
        assert_eq!(out[1].location, "pkg:pypi/torch@2.1.0");
        assert_eq!(out[1].facts["used_in"], serde_json::json!(["m.py"]));
    }
}
