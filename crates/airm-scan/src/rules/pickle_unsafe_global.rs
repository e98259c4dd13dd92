//! MF001 `pickle-unsafe-global`: a pickle imports or calls a callable on the dangerous list.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`PickleUnsafeGlobal::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A pickle imports or calls a callable on the dangerous list.
pub struct PickleUnsafeGlobal;

impl PickleUnsafeGlobal {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF001",
        name: "pickle-unsafe-global",
        summary: "A pickle imports or calls a callable on the dangerous list.",
        target: RuleTarget::ModelFile,
        severity: Severity::Critical,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0010"), Reference::Atlas("AML.T0011"), Reference::OwaspLlm("LLM03")],
        docs: RuleDocs {
            what: "A pickle stream (a raw pickle, or the pickle inside a PyTorch, joblib or NumPy file) that imports or calls a callable on the dangerous list: process execution (`os.system`, `subprocess.Popen`), code evaluation (`builtins.eval`, `exec`, `compile`, `runpy`), file-system writes and deletes (`shutil.rmtree`), network access (`socket`, `urllib`, `webbrowser`), import machinery (`__import__`, `importlib`), dynamic attribute access used to reach any of these (`getattr`, `operator.attrgetter`/`methodcaller`), and loaders of nested serialised code (`pickle.loads`, `torch.load`, `marshal.loads`). Callables reached indirectly — through `getattr`, `functools.partial`, `methodcaller`, the extension registry or memoised names — are resolved the way Python's unpickler would.",
            why: "Loading a pickle executes the callables it names. A model file that references one of these runs attacker-chosen code, commands or network requests on the machine that loads it (`torch.load`, `joblib.load`, `pickle.load`, `numpy.load(allow_pickle=True)`).",
            example: "`class E: def __reduce__(self): return (os.system, ('id',))` pickled into `model.pt`; loading it runs `id`.",
            remediation: "Do not load the file. Obtain the model from a trusted source, prefer formats without code execution (safetensors, ONNX, GGUF), and load PyTorch checkpoints with `torch.load(..., weights_only=True)`.",
            false_positives: "Research fixtures and security test suites contain such pickles on purpose. A legitimate pipeline that pickles a reference to a dangerous function (rare) is reported too; allow the name in `scan.allow` if it is genuinely intended.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Malicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
