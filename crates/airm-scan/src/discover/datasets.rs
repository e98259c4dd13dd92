//! Datasets: CSV, TSV and JSON Lines (columns from the header or the first record, rows
//! counted in the same read that hashes the file when it is small enough, values of the
//! first rows sampled for personal data: `AS005`), Parquet and Arrow (recognised by their
//! magic bytes), and TFRecord files. Image folders are counted during the walk and become
//! datasets at the end (see the discovery module).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::OnceLock;

use airm_core::AssetKind;
use regex::Regex;
use serde_json::Value;

use super::route::DataKind;
use super::{cards, DiscoverOptions, DiscoveredAsset, Sink};
use crate::hash::HashingReader;
use crate::rules::DatasetPersonalData;
use crate::scan::read_up_to;

/// Bytes of the head parsed for columns and sampled values.
const HEAD: usize = 64 * 1024;
/// Rows sampled for values.
const SAMPLE_ROWS: usize = 50;
/// Datasets up to this size are read whole (one read, hashed in memory).
const SMALL_FILE: u64 = 1 << 20;
/// Most columns kept.
const MAX_COLUMNS: usize = 200;

/// Column names (lower case, letters and digits only) that suggest personal data, with
/// the category reported.
const PII_NAMES: &[(&str, &str)] = &[
    ("email", "email"),
    ("emailaddress", "email"),
    ("mail", "email"),
    ("phone", "phone"),
    ("phonenumber", "phone"),
    ("mobile", "phone"),
    ("telephone", "phone"),
    ("ssn", "national-id"),
    ("socialsecuritynumber", "national-id"),
    ("nationalid", "national-id"),
    ("passport", "national-id"),
    ("passportnumber", "national-id"),
    ("taxid", "national-id"),
    ("driverslicense", "national-id"),
    ("dob", "date-of-birth"),
    ("dateofbirth", "date-of-birth"),
    ("birthdate", "date-of-birth"),
    ("birthday", "date-of-birth"),
    ("firstname", "name"),
    ("lastname", "name"),
    ("fullname", "name"),
    ("surname", "name"),
    ("givenname", "name"),
    ("address", "address"),
    ("streetaddress", "address"),
    ("street", "address"),
    ("zipcode", "address"),
    ("postcode", "address"),
    ("postalcode", "address"),
    ("creditcard", "financial"),
    ("cardnumber", "financial"),
    ("iban", "financial"),
    ("ipaddress", "online-id"),
    ("gender", "demographic"),
    ("ethnicity", "special-category"),
    ("religion", "special-category"),
    ("diagnosis", "special-category"),
];

struct ValuePatterns {
    email: Regex,
    ssn: Regex,
    phone: Regex,
}

fn value_patterns() -> Option<&'static ValuePatterns> {
    static P: OnceLock<Option<ValuePatterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(ValuePatterns {
            email: Regex::new(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$").ok()?,
            ssn: Regex::new(r"^\d{3}-\d{2}-\d{4}$").ok()?,
            phone: Regex::new(r"^\+?\d{1,3}?[\s.\-]?\(?\d{2,4}\)?[\s.\-]\d{3,4}[\s.\-]?\d{3,5}$")
                .ok()?,
        })
    })
    .as_ref()
}

/// The personal-data category a single value looks like, if any.
pub fn value_category(v: &str) -> Option<&'static str> {
    let p = value_patterns()?;
    let v = v.trim();
    if v.len() > 100 {
        return None;
    }
    if p.email.is_match(v) {
        Some("email")
    } else if p.ssn.is_match(v) {
        Some("national-id")
    } else if p.phone.is_match(v) && v.chars().filter(char::is_ascii_digit).count() >= 9 {
        Some("phone")
    } else {
        None
    }
}

fn name_category(col: &str) -> Option<&'static str> {
    let n: String = col
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    PII_NAMES.iter().find(|(k, _)| *k == n).map(|(_, c)| *c)
}

/// Splits one delimited line, honouring double quotes (no embedded newlines).
fn split_row(line: &str, delim: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delim && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
        if out.len() >= MAX_COLUMNS {
            break;
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// Columns and sampled rows of a table head.
fn table_head(head: &str, kind: DataKind) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = head.lines().filter(|l| !l.trim().is_empty());
    match kind {
        DataKind::Csv | DataKind::Tsv => {
            let delim = if kind == DataKind::Tsv { '\t' } else { ',' };
            let cols = lines
                .next()
                .map(|l| split_row(l, delim))
                .unwrap_or_default();
            let rows = lines
                .take(SAMPLE_ROWS)
                .map(|l| split_row(l, delim))
                .collect();
            (cols, rows)
        }
        DataKind::Jsonl => {
            let mut cols: Vec<String> = Vec::new();
            let mut rows = Vec::new();
            for l in lines.take(SAMPLE_ROWS) {
                let Ok(Value::Object(m)) = serde_json::from_str::<Value>(l) else {
                    continue;
                };
                if cols.is_empty() {
                    cols = m.keys().take(MAX_COLUMNS).cloned().collect();
                }
                rows.push(
                    cols.iter()
                        .map(|c| match m.get(c) {
                            Some(Value::String(s)) => s.clone(),
                            Some(v) => v.to_string(),
                            None => String::new(),
                        })
                        .collect(),
                );
            }
            (cols, rows)
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// Columns that look like personal data: `(column, category, by name / by values)`.
fn personal_columns(
    cols: &[String],
    rows: &[Vec<String>],
) -> Vec<(String, &'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        if let Some(cat) = name_category(c) {
            out.push((c.clone(), cat, "name"));
            continue;
        }
        let values: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(i).map(String::as_str))
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() < 3 {
            continue;
        }
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        for v in &values {
            if let Some(cat) = value_category(v) {
                match counts.iter_mut().find(|(c, _)| *c == cat) {
                    Some(e) => e.1 += 1,
                    None => counts.push((cat, 1)),
                }
            }
        }
        if let Some((cat, n)) = counts.into_iter().max_by_key(|(_, n)| *n) {
            if n * 2 >= values.len() {
                out.push((c.clone(), cat, "values"));
            }
        }
    }
    out
}

/// Reads (and hashes) a dataset file and records it.
pub fn visit(
    path: &Path,
    shown: &str,
    file: File,
    size: u64,
    kind: DataKind,
    opts: &DiscoverOptions,
    sink: &mut Sink,
) -> io::Result<()> {
    // Small files are read whole and hashed in memory; larger ones stream through the
    // hashing reader (which hashes on a helper thread).
    let mut whole = None;
    let mut streaming = None;
    let head = if size <= SMALL_FILE {
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(SMALL_FILE).read_to_end(&mut data)?;
        let h = data.get(..HEAD.min(data.len())).unwrap_or(&[]).to_vec();
        whole = Some(data);
        h
    } else {
        let mut r = HashingReader::new(file);
        let h = read_up_to(&mut r, HEAD)?;
        streaming = Some(r);
        h
    };
    let n = head.len();
    let format = match kind {
        DataKind::Csv => "csv",
        DataKind::Tsv => "tsv",
        DataKind::Jsonl => "jsonl",
        DataKind::Parquet => {
            if !head.starts_with(b"PAR1") {
                return Ok(());
            }
            "parquet"
        }
        DataKind::Arrow => {
            if !(head.starts_with(b"ARROW1") || head.starts_with(&[0xff, 0xff, 0xff, 0xff])) {
                return Ok(());
            }
            "arrow"
        }
        DataKind::TfRecord => "tfrecord",
    };
    let text_table = matches!(kind, DataKind::Csv | DataKind::Tsv | DataKind::Jsonl);
    let count_rows = text_table && size <= opts.max_row_count_size;
    let mut lines = memchr::memchr_iter(b'\n', &head).count() as u64;
    let mut last = head.last().copied();
    let mut hashes = None;
    if let Some(data) = &whole {
        lines = memchr::memchr_iter(b'\n', data).count() as u64;
        last = data.last().copied();
        sink.stats.bytes_read += data.len() as u64;
        if opts.hash_datasets {
            let (b3, sha) = super::hash_bytes(data);
            hashes = Some((b3, sha));
        }
    } else if let Some(mut r) = streaming.filter(|_| opts.hash_datasets || count_rows) {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => {
                    let chunk = buf.get(..k).unwrap_or(&[]);
                    if count_rows {
                        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
                    }
                    last = chunk.last().copied().or(last);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let (b3, sha, read) = r.finish()?;
        sink.stats.bytes_read += read;
        if opts.hash_datasets {
            hashes = Some((b3, sha));
        }
    } else {
        sink.stats.bytes_read += n as u64;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.to_string());
    let mut a = DiscoveredAsset::new(AssetKind::Dataset, name, shown);
    a.format = Some(format.into());
    a.size = Some(size);
    if let Some((b3, sha)) = hashes {
        a.blake3 = Some(b3);
        a.sha256 = Some(sha);
    }
    a.provenance = cards::hub_provenance(path).unwrap_or_default();
    if text_table {
        let text = String::from_utf8_lossy(&head);
        // A cut last line is not parsed.
        let usable = if (n as u64) < size {
            text.rfind('\n').and_then(|i| text.get(..i)).unwrap_or("")
        } else {
            &text
        };
        let (cols, rows) = table_head(usable, kind);
        if count_rows && size > 0 {
            let records = lines + u64::from(last != Some(b'\n'));
            let header = u64::from(kind != DataKind::Jsonl && !cols.is_empty());
            a.facts
                .insert("rows".into(), Value::from(records.saturating_sub(header)));
        }
        if !cols.is_empty() {
            a.facts.insert(
                "columns".into(),
                Value::Array(
                    cols.iter()
                        .map(|c| Value::String(crate::report::clip(c, 80)))
                        .collect(),
                ),
            );
        }
        let pii = personal_columns(&cols, &rows);
        if !pii.is_empty() {
            a.facts.insert(
                "personal_data".into(),
                Value::Array(
                    pii.iter()
                        .map(|(c, cat, by)| serde_json::json!({"column": crate::report::clip(c, 80), "category": cat, "by": by}))
                        .collect(),
                ),
            );
            let list: Vec<String> = pii
                .iter()
                .map(|(c, cat, by)| format!("{} ({cat}, by {by})", crate::report::clip(c, 40)))
                .collect();
            sink.finding(
                shown,
                None,
                DatasetPersonalData::finding(
                    format!(
                        "dataset has {} column(s) that look like personal data",
                        pii.len()
                    ),
                    Some(list.join(", ")),
                ),
            );
        }
    }
    sink.assets.push(a);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_by_name_and_values() {
        let head = "id,contact,score,Date of Birth\n1,ann@corp.io,0.5,1990-01-01\n2,bob@corp.io,0.7,1991-02-02\n3,cy@corp.io,0.1,1992-03-03\n";
        let (cols, rows) = table_head(head, DataKind::Csv);
        assert_eq!(cols, vec!["id", "contact", "score", "Date of Birth"]);
        let p = personal_columns(&cols, &rows);
        assert_eq!(
            p,
            vec![
                ("contact".to_string(), "email", "values"),
                ("Date of Birth".to_string(), "date-of-birth", "name")
            ]
        );
        assert_eq!(value_category("555-12-3456"), Some("national-id"));
        assert_eq!(value_category("+1 415 555 0123"), Some("phone"));
        assert_eq!(value_category("12345678"), None);
        assert_eq!(
            split_row("a,\"b,c\",\"d\"\"e\"", ','),
            vec!["a", "b,c", "d\"e"]
        );
    }
}
