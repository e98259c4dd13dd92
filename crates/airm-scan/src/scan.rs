//! Scanning one file: sniff the format from content, hash the file while reading it, and
//! dispatch to the format's analysis (recursing into archive members). Anything wrong
//! inside the file becomes a finding; only failing to read the file itself is an error.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use airm_core::Severity;
use airm_formats::pickle::{self, PickleOptions};
use airm_formats::{gguf, hdf5, keras, npy, onnx, safetensors, tensorflow};
use rayon::prelude::*;

use crate::config::ScanConfig;
use crate::error::ScanError;
use crate::hash::HashingReader;
use crate::policy::{CallablePolicy, Class};
use crate::report::{FileReport, Format, ScanFinding, Verdict};
use crate::rules::{
    AnalysisIncomplete, ArchiveDecompressionBomb, ArchivePathTraversal, KerasCustomObject,
    NumpyObjectArray, OnnxCustomOperator, OnnxExternalDataPath, SafetensorsInvalidHeader,
    TensorflowGraphUnsafeOp,
};
use crate::scanners::other::{
    chat_template_findings, find_lambda, lambda_finding, NeedleTee, TF_MARKS, TF_NEEDLES,
    UNSAFE_TF_OPS,
};
use crate::scanners::pickle::pickle_findings;
use crate::sniff::{compression, sniff, Codec, SNIFF_LEN};

/// Deepest archive-in-archive followed.
const MAX_ARCHIVE_DEPTH: u8 = 3;
/// Largest nested archive buffered in memory to be read (at the first level; a quarter of
/// it deeper), so buffers of all levels together stay small.
const MAX_NESTED_ARCHIVE: u64 = 32 * 1024 * 1024;
/// Largest Keras config read.
const MAX_CONFIG: u64 = 64 * 1024 * 1024;
/// How much of an HDF5 file is held in memory to read its root attributes.
const HDF5_HEAD: usize = 16 << 20;

/// Scans one file.
pub fn scan_file(path: &Path, cfg: &ScanConfig) -> Result<FileReport, ScanError> {
    let io_err = |source| ScanError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    let mut sc = Scanner::new(cfg);
    let mut hr = HashingReader::new(file);
    let head = read_head(&mut hr).map_err(io_err)?;
    let mut format = sniff(&head, size);
    let analysed;
    let hashes;
    if format == Format::Zip {
        hashes = hr.finish().map_err(io_err)?;
        let file = File::open(path).map_err(io_err)?;
        format = sc.zip(BufReader::with_capacity(1 << 16, file), None, 0);
        analysed = true;
    } else {
        {
            let mut chained = (&head[..]).chain(&mut hr);
            analysed = sc.stream(format, &mut chained, size, None, 0);
        }
        format = sc.refined.unwrap_or(format);
        hashes = hr.finish().map_err(io_err)?;
    }
    Ok(FileReport::build(
        path.display().to_string(),
        format,
        sc.findings,
        analysed,
        hashes,
    ))
}

/// Inputs from this size on are hashed on another thread while they are scanned.
const HASH_APART: usize = 1 << 20;

/// Scans a file held in memory (uploads, tests). Large inputs are hashed on a second thread
/// while they are scanned.
pub fn scan_bytes(name: &str, data: &[u8], cfg: &ScanConfig) -> FileReport {
    let size = data.len() as u64;
    let hash = || {
        HashingReader::new(data)
            .finish()
            .unwrap_or_else(|_| (String::new(), String::new(), size))
    };
    let scan = || {
        let mut sc = Scanner::new(cfg);
        let head = data.get(..SNIFF_LEN.min(data.len())).unwrap_or(&[]);
        let mut format = sniff(head, size);
        let analysed = if format == Format::Zip {
            format = sc.zip(Cursor::new(data), None, 0);
            true
        } else {
            let mut r = data;
            let analysed = sc.stream(format, &mut r, size, None, 0);
            format = sc.refined.unwrap_or(format);
            analysed
        };
        (format, sc.findings, analysed)
    };
    let ((format, findings, analysed), hashes) = if data.len() >= HASH_APART {
        std::thread::scope(|s| {
            let hashing = s.spawn(hash);
            let scanned = scan();
            let hashes = hashing
                .join()
                .unwrap_or_else(|_| (String::new(), String::new(), size));
            (scanned, hashes)
        })
    } else {
        (scan(), hash())
    };
    FileReport::build(name.to_string(), format, findings, analysed, hashes)
}

/// Scans several files in parallel (rayon); results are in input order.
pub fn scan_files(paths: &[PathBuf], cfg: &ScanConfig) -> Vec<Result<FileReport, ScanError>> {
    paths.par_iter().map(|p| scan_file(p, cfg)).collect()
}

fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    read_up_to(r, SNIFF_LEN)
}

/// Reads up to `len` bytes (fewer only at end of input).
pub(crate) fn read_up_to(r: &mut dyn Read, len: usize) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; len];
    let mut n = 0;
    while n < head.len() {
        match r.read(head.get_mut(n..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    Ok(head)
}

fn join(member: Option<&str>, name: &str) -> String {
    match member {
        Some(m) => format!("{m}!{name}"),
        None => name.to_string(),
    }
}

/// Whether an archive member name would escape the extraction directory.
pub(crate) fn escapes(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n.starts_with('/') || n.split('/').any(|seg| seg == "..") || n.as_bytes().get(1) == Some(&b':')
}

struct Scanner<'c> {
    /// The top-level format, when analysis found it to be other than sniffed.
    refined: Option<Format>,
    cfg: &'c ScanConfig,
    policy: CallablePolicy,
    opts: PickleOptions,
    findings: Vec<ScanFinding>,
}

impl<'c> Scanner<'c> {
    fn new(cfg: &'c ScanConfig) -> Self {
        Scanner {
            refined: None,
            cfg,
            policy: CallablePolicy::new(&cfg.allow, &cfg.deny),
            opts: cfg.pickle_options(),
            findings: Vec::new(),
        }
    }

    /// Reads the root attributes of an HDF5 file from its first [`HDF5_HEAD`] bytes and
    /// judges the Keras configs among them; when the structure cannot be read completely,
    /// says so and searches the whole stream for Lambda layers instead.
    fn hdf5(&mut self, r: &mut dyn Read, member: Option<&str>) {
        let head = match read_up_to(&mut *r, HDF5_HEAD) {
            Ok(h) => h,
            Err(e) => {
                self.incomplete(format!("read error: {e}"), None, member);
                return;
            }
        };
        let mut gaps: Vec<(String, Option<u64>)> = Vec::new();
        match hdf5::read_root_attributes(&head) {
            Ok(root) => {
                for name in ["model_config", "training_config"] {
                    let Some(a) = root.get(name) else { continue };
                    match &a.text {
                        Some(t) if !a.cut => {
                            self.keras_config(
                                t,
                                a.offset,
                                &format!("HDF5 attribute `{name}`"),
                                member,
                            );
                        }
                        Some(_) => gaps.push((
                            format!(
                                "HDF5 attribute `{name}` is longer than the {} bytes read",
                                hdf5::MAX_VALUE
                            ),
                            Some(a.offset),
                        )),
                        None => gaps.push((
                            format!("HDF5 attribute `{name}` is not stored as a string airm reads"),
                            Some(a.offset),
                        )),
                    }
                }
                if root.dense {
                    gaps.push((
                        "HDF5 root attributes in dense storage (a fractal heap) are not read"
                            .into(),
                        None,
                    ));
                }
            }
            Err(e) => gaps.push((
                format!(
                    "HDF5 structure could not be read from its first {} bytes: {e}",
                    head.len()
                ),
                Some(e.offset()),
            )),
        }
        if gaps.is_empty() {
            return;
        }
        for (msg, off) in gaps {
            self.incomplete(msg, off, member);
        }
        match find_lambda(&mut (&head[..]).chain(r)) {
            Ok(Some(off)) => {
                self.findings
                    .push(lambda_finding("HDF5 file (byte search)", off, member))
            }
            Ok(None) => {}
            Err(e) => self.incomplete(format!("read error: {e}"), None, member),
        }
    }

    /// Judges a Keras model config: Lambda layers (MF011) and references outside Keras
    /// (MF015, malicious when they name a dangerous callable). An unparsable config is
    /// MF005 and is searched for Lambda layers as bytes.
    fn keras_config(&mut self, json: &[u8], offset: u64, what: &str, member: Option<&str>) {
        const MAX_FINDINGS: usize = 20;
        let info = match keras::analyse_config(json) {
            Ok(info) => info,
            Err(e) => {
                self.incomplete(
                    format!("{what} could not be parsed: {e}"),
                    Some(offset + e.offset()),
                    member,
                );
                if let Ok(Some(off)) = find_lambda(&mut &json[..]) {
                    self.findings
                        .push(lambda_finding(what, offset + off, member));
                }
                return;
            }
        };
        for path in info.lambdas.iter().take(MAX_FINDINGS) {
            self.findings.push(lambda_finding(
                &format!("{what} (at `{path}`)"),
                offset,
                member,
            ));
        }
        let mut n = 0;
        for r in &info.outside {
            if n == MAX_FINDINGS {
                break;
            }
            let name = r.qualified_name();
            let finding = match self.policy.classify(&name, false) {
                Class::Allowed => continue,
                Class::Dangerous(danger, pattern) => {
                    let mut f = KerasCustomObject::finding(
                        format!(
                            "{what} refers to `{name}` at `{}`: loading the model resolves this {} callable (matches `{pattern}`)",
                            r.path,
                            danger.label()
                        ),
                        Some(name.clone()),
                    );
                    f.verdict = Verdict::Malicious;
                    f.severity = Severity::Critical;
                    f
                }
                Class::Unknown => KerasCustomObject::finding(
                    format!(
                        "{what} refers to `{name}` at `{}`, outside Keras: loading the model imports or looks it up",
                        r.path
                    ),
                    Some(name.clone()),
                ),
            };
            n += 1;
            self.findings
                .push(finding.at(offset).in_member(member.map(str::to_string)));
        }
    }

    /// Walks a TensorFlow graph and reports its unsafe operations (MF014), also those
    /// reached before damage.
    fn tensorflow(&mut self, r: &mut dyn Read, kind: tensorflow::GraphKind, member: Option<&str>) {
        let (info, res) = tensorflow::read_graph(r, kind);
        for node in info.nodes_with_ops(UNSAFE_TF_OPS) {
            let place = match &node.function {
                Some(f) => format!(" in function `{}`", crate::report::clip(f, 80)),
                None => String::new(),
            };
            self.findings.push(
                TensorflowGraphUnsafeOp::finding(
                    format!(
                        "TensorFlow graph node `{}`{place} runs the `{}` operation",
                        crate::report::clip(&node.name, 80),
                        node.op
                    ),
                    Some(node.op.clone()),
                )
                .at(node.offset)
                .in_member(member.map(str::to_string)),
            );
        }
        if let Err(e) = res {
            self.incomplete(
                format!("TensorFlow graph could not be read: {e}"),
                Some(e.offset()),
                member,
            );
        }
    }

    fn incomplete(&mut self, msg: String, offset: Option<u64>, member: Option<&str>) {
        let mut f = AnalysisIncomplete::finding(msg, None).in_member(member.map(str::to_string));
        f.offset = offset;
        self.findings.push(f);
    }

    fn pickle(
        &mut self,
        r: &mut dyn Read,
        start: u64,
        member: Option<&str>,
        legacy: bool,
        depth: u8,
    ) {
        let opts = PickleOptions {
            stop_after_streams: legacy.then_some(5),
            ..self.opts.clone()
        };
        let report = pickle::analyse(r, start, &opts);
        self.pickle_report(&report, member, legacy, depth);
    }

    fn pickle_report(
        &mut self,
        report: &pickle::PickleReport,
        member: Option<&str>,
        multi_stream_ok: bool,
        depth: u8,
    ) {
        let mut archives = Vec::new();
        pickle_findings(
            report,
            member,
            &self.policy,
            multi_stream_ok,
            &mut self.findings,
            &mut archives,
        );
        for (label, data) in archives {
            if depth >= MAX_ARCHIVE_DEPTH {
                self.incomplete(
                    "archive nested deeper than the analysis follows".into(),
                    None,
                    Some(&label),
                );
            } else {
                self.zip(Cursor::new(data), Some(&label), depth + 1);
            }
        }
    }

    /// Analyses a stream of a known format; `false` when the format is not analysed.
    fn stream(
        &mut self,
        format: Format,
        r: &mut dyn Read,
        size: u64,
        member: Option<&str>,
        depth: u8,
    ) -> bool {
        match format {
            Format::Pickle => self.pickle(r, 0, member, false, depth),
            Format::PytorchLegacy => self.pickle(r, 0, member, true, depth),
            Format::Numpy => match npy::read_npy_header(r) {
                Err(e) => self.incomplete(
                    format!("NumPy header could not be read: {e}"),
                    Some(e.offset()),
                    member,
                ),
                Ok(h) if h.object => {
                    self.findings.push(
                        NumpyObjectArray::finding(
                            "NumPy array has object dtype; its data is a pickle".to_string(),
                            Some(clip_dict(&h.dict)),
                        )
                        .at(h.data_offset)
                        .in_member(member.map(str::to_string)),
                    );
                    self.pickle(r, h.data_offset, member, false, depth);
                }
                Ok(_) => {}
            },
            Format::Safetensors => match safetensors::check_safetensors(r, size) {
                Err(e) => self.incomplete(
                    format!("safetensors header could not be read: {e}"),
                    Some(e.offset()),
                    member,
                ),
                Ok(c) => {
                    for p in c.problems.iter().take(10) {
                        self.findings.push(
                            SafetensorsInvalidHeader::finding(
                                format!("safetensors header: {p}"),
                                None,
                            )
                            .at(0)
                            .in_member(member.map(str::to_string)),
                        );
                    }
                }
            },
            Format::Gguf => match gguf::read_gguf(r) {
                Err(e) => self.incomplete(
                    format!("GGUF metadata could not be read: {e}"),
                    Some(e.offset()),
                    member,
                ),
                Ok(info) => {
                    for (k, off, t) in &info.chat_templates {
                        chat_template_findings(k, *off, t, member, &mut self.findings);
                    }
                }
            },
            Format::Hdf5 => self.hdf5(r, member),
            Format::Tar => self.tar(r, member, depth),
            Format::Compressed => return self.compressed(r, member, depth),
            Format::Zip | Format::PytorchZip | Format::NumpyZip | Format::Keras => {
                if depth >= MAX_ARCHIVE_DEPTH {
                    self.incomplete(
                        "archive nested deeper than the analysis follows".into(),
                        None,
                        member,
                    );
                } else if size > MAX_NESTED_ARCHIVE >> (2 * u64::from(depth.min(2))) {
                    self.incomplete(
                        format!(
                            "nested archive of {size} bytes is larger than the analysis buffers"
                        ),
                        None,
                        member,
                    );
                } else {
                    let mut buf = Vec::new();
                    match Read::take(&mut *r, MAX_NESTED_ARCHIVE).read_to_end(&mut buf) {
                        Ok(_) => {
                            self.zip(Cursor::new(buf), member, depth + 1);
                        }
                        Err(e) => self.incomplete(format!("read error: {e}"), None, member),
                    }
                }
            }
            Format::Tensorflow => {
                let first = match read_up_to(&mut *r, SNIFF_LEN) {
                    Ok(f) => f,
                    Err(e) => {
                        self.incomplete(format!("read error: {e}"), None, member);
                        return true;
                    }
                };
                let mut rest = (&first[..]).chain(r);
                match tensorflow::graph_kind(&first) {
                    Some(kind) => self.tensorflow(&mut rest, kind, member),
                    None => return self.stream(Format::Onnx, &mut rest, size, member, depth),
                }
            }
            Format::Onnx => {
                let res = {
                    let mut tee = NeedleTee::new(r, TF_NEEDLES);
                    onnx::read_onnx(&mut tee).map(|info| (info, tee.hits))
                };
                match res {
                    Err(e) => self.incomplete(
                        format!("ONNX model could not be read: {e}"),
                        Some(e.offset()),
                        member,
                    ),
                    Ok((info, hits)) if !info.has_graph => {
                        // Not ONNX: a TensorFlow graph (SavedModel) starts with the same bytes.
                        if hits.iter().take(TF_MARKS).all(Option::is_none) {
                            return false;
                        }
                        if member.is_none() {
                            self.refined = Some(Format::Tensorflow);
                        }
                        let mut pyfunc = false;
                        for (needle, hit) in TF_NEEDLES.iter().zip(&hits).skip(TF_MARKS) {
                            let Some(off) = hit else { continue };
                            let op = String::from_utf8_lossy(needle).into_owned();
                            // `PyFunc` is a prefix of the other PyFunc ops: report one.
                            if op.contains("PyFunc") {
                                if pyfunc {
                                    continue;
                                }
                                pyfunc = true;
                            }
                            self.findings.push(
                                TensorflowGraphUnsafeOp::finding(
                                    format!("TensorFlow graph contains the `{op}` operation"),
                                    Some(op),
                                )
                                .at(*off)
                                .in_member(member.map(str::to_string)),
                            );
                        }
                    }
                    Ok((info, _)) => {
                        for (d, op, off) in info.custom_ops.iter().take(20) {
                            self.findings.push(
                            OnnxCustomOperator::finding(
                                format!("ONNX node `{op}` uses the non-standard operator domain `{d}`"),
                                Some(format!("{d}::{op}")),
                            )
                            .at(*off)
                            .in_member(member.map(str::to_string)),
                        );
                        }
                        for (t, loc, off) in &info.external_data {
                            if escapes(loc) {
                                self.findings.push(
                                OnnxExternalDataPath::finding(
                                    format!("ONNX tensor `{t}` reads external data from `{loc}`, outside the model's directory"),
                                    Some(loc.clone()),
                                )
                                .at(*off)
                                .in_member(member.map(str::to_string)),
                            );
                            }
                        }
                    }
                }
            }
            Format::Unknown => return false,
        }
        true
    }

    /// Decompresses a zlib or gzip stream (joblib `compress=`, `.gz`) up to the member
    /// read cap and analyses its content; other codecs are reported as not analysed.
    /// `false` when the stream turns out not to be compressed data at all.
    fn compressed(&mut self, r: &mut dyn Read, member: Option<&str>, depth: u8) -> bool {
        let head = match read_up_to(r, 64) {
            Ok(h) => h,
            Err(e) => {
                self.incomplete(format!("read error: {e}"), None, member);
                return true;
            }
        };
        let Some(codec) = compression(&head) else {
            return false;
        };
        let skip = match codec {
            Codec::Zlib | Codec::Gzip => 0,
            // `ZF`, `0x`, hexadecimal digits padded with spaces (an `L` from Python 2).
            Codec::JoblibZfile => {
                let n = head
                    .iter()
                    .skip(4)
                    .take_while(|b| b.is_ascii_hexdigit() || matches!(b, b' ' | b'L'))
                    .count();
                4 + n
            }
            other => {
                self.incomplete(
                    format!(
                        "file is compressed with {}, which airm does not decompress; its content was not analysed",
                        other.as_str()
                    ),
                    Some(0),
                    member,
                );
                return true;
            }
        };
        if depth >= MAX_ARCHIVE_DEPTH {
            self.incomplete(
                "compressed stream nested deeper than the analysis follows".into(),
                None,
                member,
            );
            return true;
        }
        let rest = head.get(skip..).unwrap_or(&[]);
        let input = rest.chain(r);
        let cap = self.cfg.max_member_read;
        let mut dec: Box<dyn Read> = if codec == Codec::Gzip {
            Box::new(flate2::read::MultiGzDecoder::new(input).take(cap))
        } else {
            Box::new(flate2::read::ZlibDecoder::new(input).take(cap))
        };
        let inner_head = match read_up_to(&mut dec, SNIFF_LEN) {
            Ok(h) if !h.is_empty() => h,
            // Not decompressible from the start: not a compressed stream after all.
            _ => {
                if member.is_none() {
                    self.refined = Some(Format::Unknown);
                }
                return false;
            }
        };
        let sub = sniff(&inner_head, u64::MAX);
        if sub == Format::Unknown {
            return false;
        }
        let label = member.map(|m| format!("{m}!{}", codec.as_str()));
        let at = label.as_deref().or(member);
        let mut counted = Counted {
            inner: (&inner_head[..]).chain(&mut dec),
            n: 0,
        };
        let analysed = self.stream(sub, &mut counted, u64::MAX, at, depth + 1);
        if member.is_none() && analysed {
            self.refined = Some(self.refined.unwrap_or(sub));
        }
        if counted.n >= cap {
            self.incomplete(
                format!("decompressed content reaches the {cap}-byte read cap; the rest was not analysed"),
                None,
                member,
            );
        }
        analysed
    }

    /// Scans a zip archive; returns its refined format.
    fn zip<R: Read + Seek>(&mut self, r: R, member: Option<&str>, depth: u8) -> Format {
        let mut za = match zip::ZipArchive::new(r) {
            Ok(z) => z,
            Err(e) => {
                self.incomplete(format!("zip archive could not be read: {e}"), None, member);
                return Format::Zip;
            }
        };
        let n = za.len();
        let names: Vec<String> = (0..n)
            .map(|i| za.name_for_index(i).unwrap_or("").to_string())
            .collect();
        let format = if names
            .iter()
            .any(|x| x == "data.pkl" || x.ends_with("/data.pkl"))
        {
            Format::PytorchZip
        } else if names.iter().any(|x| x == "config.json")
            && names
                .iter()
                .any(|x| x == "metadata.json" || x.ends_with(".weights.h5"))
        {
            Format::Keras
        } else if !names.is_empty() && names.iter().all(|x| x.ends_with(".npy")) {
            Format::NumpyZip
        } else {
            Format::Zip
        };
        if n > self.cfg.max_members {
            self.findings.push(
                ArchiveDecompressionBomb::finding(
                    format!(
                        "archive has {n} members, more than the {} inspected",
                        self.cfg.max_members
                    ),
                    None,
                )
                .in_member(member.map(str::to_string)),
            );
            self.incomplete(
                format!(
                    "only the first {} archive members were inspected",
                    self.cfg.max_members
                ),
                None,
                member,
            );
        }
        for (i, name) in names.iter().enumerate().take(self.cfg.max_members) {
            let label = join(member, name);
            if escapes(name) {
                self.findings.push(
                    ArchivePathTraversal::finding(
                        format!("archive member `{name}` escapes the extraction directory"),
                        Some(name.to_string()),
                    )
                    .in_member(Some(label.clone())),
                );
            }
            let (size, csize, is_dir, is_link) = match za.by_index_raw(i) {
                Ok(f) => (f.size(), f.compressed_size(), f.is_dir(), f.is_symlink()),
                Err(e) => {
                    self.incomplete(
                        format!("archive member could not be read: {e}"),
                        None,
                        Some(&label),
                    );
                    continue;
                }
            };
            if is_dir {
                continue;
            }
            let ratio = size / csize.max(1);
            if size > self.cfg.max_member_size
                || (size > 16 * 1024 * 1024 && ratio > self.cfg.max_ratio)
            {
                self.findings.push(
                    ArchiveDecompressionBomb::finding(
                        format!(
                            "archive member declares {size} bytes from {csize} compressed (ratio {ratio})"
                        ),
                        Some(name.to_string()),
                    )
                    .in_member(Some(label.clone())),
                );
                continue;
            }
            // Raw tensor storages of PyTorch checkpoints are not parsed.
            if format == Format::PytorchZip
                && !name.ends_with(".pkl")
                && (name.starts_with("data/") || name.contains("/data/"))
            {
                continue;
            }
            let mut f = match za.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.incomplete(
                        format!("archive member could not be decompressed: {e}"),
                        None,
                        Some(&label),
                    );
                    continue;
                }
            };
            let mut limited = (&mut f).take(self.cfg.max_member_read);
            if is_link {
                let mut target = Vec::new();
                let _ = (&mut limited).take(4096).read_to_end(&mut target);
                let t = String::from_utf8_lossy(&target).into_owned();
                if escapes(&t) {
                    self.findings.push(
                        ArchivePathTraversal::finding(
                            format!(
                                "archive member `{name}` is a link to `{t}` outside the archive"
                            ),
                            Some(t),
                        )
                        .in_member(Some(label.clone())),
                    );
                }
                continue;
            }
            if format == Format::Keras && name == "config.json" {
                let mut cfgtext = Vec::new();
                match (&mut limited).take(MAX_CONFIG).read_to_end(&mut cfgtext) {
                    Ok(_) => self.keras_config(&cfgtext, 0, "Keras config.json", Some(&label)),
                    Err(e) => self.incomplete(format!("read error: {e}"), None, Some(&label)),
                }
                continue;
            }
            let head = match read_head(&mut limited) {
                Ok(h) => h,
                Err(e) => {
                    self.incomplete(format!("read error: {e}"), None, Some(&label));
                    continue;
                }
            };
            let sub = sniff(&head, size);
            if sub == Format::Unknown {
                continue;
            }
            let mut chained = (&head[..]).chain(&mut limited);
            self.stream(sub, &mut chained, size, Some(&label), depth);
        }
        format
    }

    /// Scans a tar archive as a stream.
    fn tar(&mut self, r: &mut dyn Read, member: Option<&str>, depth: u8) {
        let mut count = 0usize;
        let mut long_name: Option<String> = None;
        let mut offset = 0u64;
        loop {
            let mut h = [0u8; 512];
            if read_exact_or_eof(r, &mut h).unwrap_or(false) {
                offset += 512;
            } else {
                break;
            }
            if h.iter().all(|b| *b == 0) {
                break;
            }
            count += 1;
            if count > self.cfg.max_members {
                self.incomplete(
                    format!(
                        "only the first {} tar members were inspected",
                        self.cfg.max_members
                    ),
                    Some(offset),
                    member,
                );
                break;
            }
            let Some(size) = tar_size(h.get(124..136).unwrap_or(&[])) else {
                self.incomplete(
                    "tar header has an invalid size".into(),
                    Some(offset - 512),
                    member,
                );
                break;
            };
            let typeflag = h.get(156).copied().unwrap_or(0);
            let mut name = cstr(h.get(0..100).unwrap_or(&[]));
            if h.get(257..262) == Some(b"ustar") {
                let prefix = cstr(h.get(345..500).unwrap_or(&[]));
                if !prefix.is_empty() {
                    name = format!("{prefix}/{name}");
                }
            }
            if let Some(l) = long_name.take() {
                name = l;
            }
            let link = cstr(h.get(157..257).unwrap_or(&[]));
            let label = join(member, &name);
            let Some(padded) = size.div_ceil(512).checked_mul(512) else {
                self.incomplete(
                    "tar header has an invalid size".into(),
                    Some(offset - 512),
                    member,
                );
                break;
            };
            let mut body = Read::take(&mut *r, size);
            match typeflag {
                b'L' | b'x' => {
                    let mut data = Vec::new();
                    let _ = (&mut body).take(65536).read_to_end(&mut data);
                    let text = String::from_utf8_lossy(&data).into_owned();
                    long_name = if typeflag == b'L' {
                        Some(text.trim_end_matches('\0').to_string())
                    } else {
                        text.lines()
                            .find_map(|l| l.split_once(" path=").map(|(_, p)| p.to_string()))
                    };
                }
                b'1' | b'2' if escapes(&link) => {
                    self.findings.push(
                        ArchivePathTraversal::finding(
                            format!("tar member `{name}` links to `{link}` outside the archive"),
                            Some(link.clone()),
                        )
                        .in_member(Some(label.clone())),
                    );
                }
                b'0' | 0 | b'7' => {
                    if let Ok(head) = read_head(&mut body) {
                        let sub = sniff(&head, size);
                        let legacy_part = matches!(name.as_str(), "storages" | "tensors");
                        if legacy_part && sub == Format::Pickle {
                            let mut chained = (&head[..]).chain(&mut body);
                            let opts = PickleOptions {
                                stop_after_streams: Some(1),
                                ..self.opts.clone()
                            };
                            let rep = pickle::analyse(&mut chained, 0, &opts);
                            self.pickle_report(&rep, Some(&label), true, depth + 1);
                        } else if sub != Format::Unknown {
                            let mut chained = (&head[..]).chain(&mut body);
                            self.stream(sub, &mut chained, size, Some(&label), depth + 1);
                        }
                    }
                }
                _ => {}
            }
            if escapes(&name) {
                self.findings.push(
                    ArchivePathTraversal::finding(
                        format!("tar member `{name}` escapes the extraction directory"),
                        Some(name.to_string()),
                    )
                    .in_member(Some(label)),
                );
            }
            // Skip what is left of the body and the padding.
            let left = body.limit();
            let skip = left + (padded - size);
            match io::copy(&mut Read::take(&mut *r, skip), &mut io::sink()) {
                Ok(n) if n == skip => offset += padded,
                _ => {
                    self.incomplete("tar archive is truncated".into(), Some(offset), member);
                    break;
                }
            }
        }
    }
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

fn clip_dict(d: &str) -> String {
    crate::report::clip(d.trim(), 120)
}

fn read_exact_or_eof(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or(&mut [])) {
            Ok(0) => return Ok(false),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|x| *x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or(&[])).into_owned()
}

fn tar_size(b: &[u8]) -> Option<u64> {
    if b.first().is_some_and(|x| x & 0x80 != 0) {
        // GNU base-256.
        let mut v: u64 = 0;
        for (i, x) in b.iter().enumerate() {
            let x = if i == 0 { x & 0x7f } else { *x };
            v = v.checked_mul(256)?.checked_add(u64::from(x))?;
        }
        return Some(v);
    }
    let s = cstr(b);
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}
