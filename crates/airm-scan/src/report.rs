//! What a scan of one file returns: its detected format, a verdict, the findings and the
//! file's hashes. Findings here are light ([`ScanFinding`]); the caller turns them into
//! stored [`airm_core::Finding`]s with [`ScanFinding::into_finding`].

use airm_core::{Finding, FindingStatus, Location, RuleMeta, Severity, Timestamp};
use serde::{Deserialize, Serialize};

/// The overall judgement of a file. Ordered: `Clean < Unknown < Suspicious < Malicious`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Analysed completely; nothing found.
    Clean,
    /// Not analysed completely (unknown format, truncated, cap reached).
    Unknown,
    /// Something not known to be safe.
    Suspicious,
    /// Something known to be dangerous.
    Malicious,
}

impl Verdict {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Unknown => "unknown",
            Verdict::Suspicious => "suspicious",
            Verdict::Malicious => "malicious",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file format recognised from content (magic bytes), never from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A raw pickle stream (also joblib and `pickle.dump` files).
    Pickle,
    /// A PyTorch zip checkpoint (`archive/data.pkl`).
    PytorchZip,
    /// A legacy (pre-1.6) PyTorch file: several pickles followed by raw storages.
    PytorchLegacy,
    /// A NumPy `.npy` array.
    Numpy,
    /// A NumPy `.npz` archive.
    NumpyZip,
    /// A Keras v3 `.keras` archive.
    Keras,
    /// An HDF5 file (legacy Keras).
    Hdf5,
    /// A safetensors file.
    Safetensors,
    /// A GGUF file.
    Gguf,
    /// An ONNX model (protobuf; recognised heuristically).
    Onnx,
    /// A TensorFlow graph (SavedModel `saved_model.pb`, frozen GraphDef).
    Tensorflow,
    /// A zip archive of some other kind.
    Zip,
    /// A tar archive (including legacy PyTorch tar files).
    Tar,
    /// A compressed stream (zlib, gzip, joblib's `ZF` framing; bz2, LZMA, xz and LZ4 are
    /// recognised but not decompressed). A decompressed file is reported with the format
    /// of its content.
    Compressed,
    /// Not recognised.
    Unknown,
}

impl Format {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pickle => "pickle",
            Format::PytorchZip => "pytorch-zip",
            Format::PytorchLegacy => "pytorch-legacy",
            Format::Numpy => "numpy",
            Format::NumpyZip => "numpy-zip",
            Format::Keras => "keras",
            Format::Hdf5 => "hdf5",
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
            Format::Onnx => "onnx",
            Format::Tensorflow => "tensorflow",
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Compressed => "compressed",
            Format::Unknown => "unknown",
        }
    }
}

/// A finding of a model-file rule, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanFinding {
    /// Rule id, e.g. `MF001` (read back only for a rule of this crate).
    pub rule_id: &'static str,
    /// Severity (the rule's default).
    pub severity: Severity,
    /// The verdict this finding implies.
    pub verdict: Verdict,
    /// Byte offset in the file or member, if known.
    pub offset: Option<u64>,
    /// Member inside a container (`archive/data.pkl`, `nested@123`), if any.
    pub member: Option<String>,
    /// What is there, one sentence.
    pub message: String,
    /// Short evidence (the resolved callable, an argument preview).
    pub evidence: Option<String>,
}

/// A [`ScanFinding`] as read back (the discovery cache): its rule id must be one of this
/// crate's rules, which gives the `&'static str` the finding carries.
#[derive(Deserialize)]
struct ScanFindingText {
    rule_id: String,
    severity: Severity,
    verdict: Verdict,
    offset: Option<u64>,
    member: Option<String>,
    message: String,
    evidence: Option<String>,
}

impl<'de> Deserialize<'de> for ScanFinding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = ScanFindingText::deserialize(d)?;
        let rule_id = crate::rules::rules()
            .into_iter()
            .map(|r| r.id)
            .find(|r| *r == t.rule_id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule id {}", t.rule_id)))?;
        Ok(ScanFinding {
            rule_id,
            severity: t.severity,
            verdict: t.verdict,
            offset: t.offset,
            member: t.member,
            message: t.message,
            evidence: t.evidence,
        })
    }
}

impl ScanFinding {
    /// A finding of `rule` with no location yet.
    pub fn new(
        rule: &RuleMeta,
        verdict: Verdict,
        message: String,
        evidence: Option<String>,
    ) -> Self {
        ScanFinding {
            rule_id: rule.id,
            severity: rule.severity,
            verdict,
            offset: None,
            member: None,
            message,
            evidence: evidence.map(|e| clip(&e, 200)),
        }
    }

    /// Sets the byte offset.
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sets the container member.
    pub fn in_member(mut self, member: Option<String>) -> Self {
        self.member = member;
        self
    }

    /// Overrides severity and verdict.
    pub fn with(mut self, severity: Severity, verdict: Verdict) -> Self {
        self.severity = severity;
        self.verdict = verdict;
        self
    }

    /// A stable fingerprint of rule, path, member and evidence.
    pub fn fingerprint(&self, path: &str) -> String {
        let mut h = blake3::Hasher::new();
        for part in [
            self.rule_id,
            path,
            self.member.as_deref().unwrap_or(""),
            self.evidence.as_deref().unwrap_or(&self.message),
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        h.finalize().to_hex()[..32].to_string()
    }

    /// The stored form, with the caller's id and time.
    pub fn into_finding(self, path: &str, id: String, now: Timestamp) -> Finding {
        let fingerprint = self.fingerprint(path);
        Finding {
            id,
            rule_id: self.rule_id.to_string(),
            severity: self.severity,
            asset_id: None,
            location: Location {
                path: path.to_string(),
                offset: self.offset,
                line: None,
                column: None,
                member: self.member,
            },
            message: self.message,
            evidence: self.evidence,
            status: FindingStatus::Open,
            first_seen: now,
            last_seen: now,
            fingerprint,
        }
    }
}

/// The result of scanning one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The path as given.
    pub path: String,
    /// Detected format.
    pub format: Format,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Findings, most severe first.
    pub findings: Vec<ScanFinding>,
    /// BLAKE3 of the file, lower-case hex.
    pub blake3: String,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl FileReport {
    /// Builds a report: sorts findings and derives the verdict. `analysed` says whether
    /// the format was analysed at all (an unanalysed file is never clean).
    pub(crate) fn build(
        path: String,
        format: Format,
        mut findings: Vec<ScanFinding>,
        analysed: bool,
        hashes: (String, String, u64),
    ) -> Self {
        findings.sort_by(|a, b| {
            b.verdict
                .cmp(&a.verdict)
                .then(b.severity.cmp(&a.severity))
                .then(a.member.cmp(&b.member))
                .then(a.offset.cmp(&b.offset))
        });
        findings.dedup();
        let floor = if analysed {
            Verdict::Clean
        } else {
            Verdict::Unknown
        };
        let verdict = findings.iter().map(|f| f.verdict).fold(floor, Verdict::max);
        FileReport {
            path,
            format,
            verdict,
            findings,
            blake3: hashes.0,
            sha256: hashes.1,
            size: hashes.2,
        }
    }
}

/// Cuts a string to at most `max` characters, marking the cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
