//! Turns a pickle machine report into findings: each referenced or called callable judged
//! against the allow and deny lists (MF001, MF002), nested and embedded pickles (MF003,
//! recursively), extra streams and trailing data (MF004), and incomplete analysis (MF005).

use std::collections::HashSet;

use airm_core::Severity;
use airm_formats::pickle::{PickleReport, RefKind};

use crate::policy::{CallablePolicy, Class};
use crate::report::{ScanFinding, Verdict};
use crate::rules::{
    AnalysisIncomplete, PickleNestedLoader, PickleTrailingData, PickleUnknownGlobal,
    PickleUnsafeGlobal,
};

/// Most findings of one kind reported per stream (the rest are counted in the message).
const MAX_EACH: usize = 50;

/// Findings for one analysed pickle input. `member` names where it sits in a container;
/// `multi_stream_ok` exempts layouts with several streams by design.
pub(crate) fn pickle_findings(
    report: &PickleReport,
    member: Option<&str>,
    policy: &CallablePolicy,
    multi_stream_ok: bool,
    out: &mut Vec<ScanFinding>,
    archives: &mut Vec<(String, Vec<u8>)>,
) {
    let m = || member.map(str::to_string);
    let mut seen: HashSet<&str> = HashSet::new();
    let mut unknown = 0usize;
    let preview_of = |name: &str| {
        report
            .calls
            .iter()
            .find(|c| c.callee == name)
            .map(|c| c.arg_preview.clone())
    };
    for r in &report.refs {
        if !seen.insert(r.name.as_str()) {
            continue;
        }
        let indirect = r.kind == RefKind::Indirect;
        let called = preview_of(&r.name);
        let how = match (r.kind, &r.via) {
            (RefKind::Indirect, Some(via)) => format!(" via `{via}`"),
            (RefKind::Extension, _) => " through the copyreg extension registry".to_string(),
            (RefKind::StackGlobal, _) => " (STACK_GLOBAL)".to_string(),
            (RefKind::Inst, _) => " (INST)".to_string(),
            _ => String::new(),
        };
        let verb = if called.is_some() {
            "calls"
        } else if indirect {
            "reaches"
        } else {
            "imports"
        };
        let evidence = match called.flatten() {
            Some(p) => format!("{}({p:?})", r.name),
            None => r.name.clone(),
        };
        match policy.classify(&r.name, indirect) {
            Class::Dangerous(d, pat) => out.push(
                PickleUnsafeGlobal::finding(
                    format!(
                        "pickle {verb} `{}`{how}: {} (matches `{pat}`)",
                        r.name,
                        d.label()
                    ),
                    Some(evidence),
                )
                .at(r.offset)
                .in_member(m()),
            ),
            Class::Unknown => {
                unknown += 1;
                if unknown <= MAX_EACH {
                    out.push(
                        PickleUnknownGlobal::finding(
                            format!(
                                "pickle {verb} `{}`{how}, which is not on the allowlist",
                                r.name
                            ),
                            Some(evidence),
                        )
                        .at(r.offset)
                        .in_member(m()),
                    );
                }
            }
            Class::Allowed => {}
        }
    }
    for c in &report.calls {
        if !seen.insert(c.callee.as_str()) {
            continue;
        }
        let evidence = match &c.arg_preview {
            Some(p) => format!("{}({p:?})", c.callee),
            None => c.callee.clone(),
        };
        let how = c
            .via
            .as_deref()
            .map(|v| format!(" (through `{v}`)"))
            .unwrap_or_default();
        match policy.classify(&c.callee, true) {
            Class::Dangerous(d, pat) => out.push(
                PickleUnsafeGlobal::finding(
                    format!(
                        "pickle calls `{}`{how}: {} (matches `{pat}`)",
                        c.callee,
                        d.label()
                    ),
                    Some(evidence),
                )
                .at(c.offset)
                .in_member(m()),
            ),
            Class::Unknown => {
                unknown += 1;
                if unknown <= MAX_EACH {
                    out.push(
                        PickleUnknownGlobal::finding(
                            format!(
                                "pickle calls `{}`{how}, which is not on the allowlist",
                                c.callee
                            ),
                            Some(evidence),
                        )
                        .at(c.offset)
                        .in_member(m()),
                    );
                }
            }
            Class::Allowed => {}
        }
    }
    if unknown > MAX_EACH {
        out.push(
            PickleUnknownGlobal::finding(
                format!(
                    "pickle references {} further callables that are not on the allowlist",
                    unknown - MAX_EACH
                ),
                None,
            )
            .in_member(m()),
        );
    }
    for n in &report.nested {
        let nm = format!("{}::nested@{}", member.unwrap_or(""), n.offset);
        match &n.loader {
            Some(loader) => {
                // An allowed loader (e.g. `torch.storage._load_from_bytes`) is judged by
                // what it loads.
                if policy.classify(loader, false) != Class::Allowed {
                    out.push(
                        PickleNestedLoader::finding(
                            format!("pickle passes the bytes at byte {} to `{loader}`", n.offset),
                            Some(loader.clone()),
                        )
                        .at(n.offset)
                        .in_member(m()),
                    );
                }
                if let Some(r) = &n.report {
                    pickle_findings(r, Some(&nm), policy, false, out, archives);
                }
                if let Some(a) = &n.archive {
                    archives.push((nm.clone(), a.clone()));
                }
                if let Some(why) = &n.unanalysed {
                    out.push(
                        AnalysisIncomplete::finding(
                            format!("nested payload passed to `{loader}` was not analysed: {why}"),
                            None,
                        )
                        .at(n.offset)
                        .in_member(m()),
                    );
                }
            }
            None => {
                let Some(r) = &n.report else { continue };
                let mut inner = Vec::new();
                let mut ignored = Vec::new();
                pickle_findings(r, Some(&nm), policy, false, &mut inner, &mut ignored);
                let worst = inner
                    .iter()
                    .filter(|f| f.verdict == Verdict::Malicious)
                    .find_map(|f| f.evidence.clone());
                if let Some(ev) = worst {
                    out.push(
                        PickleNestedLoader::finding(
                            format!(
                                "bytes at byte {} hold a pickle that references `{ev}` (not loaded by this pickle)",
                                n.offset
                            ),
                            Some(ev),
                        )
                        .with(Severity::High, Verdict::Suspicious)
                        .at(n.offset)
                        .in_member(m()),
                    );
                }
            }
        }
    }
    if !multi_stream_ok {
        let complete = report.streams.iter().filter(|s| s.complete).count();
        if complete > 1 {
            let s = report.streams.get(1).map_or(0, |s| s.start);
            out.push(
                PickleTrailingData::finding(
                    format!("file holds {complete} pickle streams; the second starts at byte {s}"),
                    None,
                )
                .at(s)
                .in_member(m()),
            );
        }
        if let Some((off, len)) = report.trailing {
            out.push(
                PickleTrailingData::finding(
                    format!("{len} bytes at byte {off} after the pickle's STOP are not a complete pickle"),
                    None,
                )
                .at(off)
                .in_member(m()),
            );
        }
    }
    for i in report.incomplete.iter().take(5) {
        out.push(
            AnalysisIncomplete::finding(i.describe(), None)
                .at(i.offset())
                .in_member(m()),
        );
    }
}
