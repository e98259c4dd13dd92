//! Datasets: CSV, TSV and JSON Lines (columns from the header or the first record, rows
//! counted in the same read that hashes the file when it is small enough, values of the
//! first rows sampled for personal data: `AS005`), Parquet and Arrow IPC / Feather v2
//! (recognised by their magic bytes; rows, columns and nested fields from their metadata,
//! read by [`super::parquet`] and [`super::arrow`]; personal data judged by column names
//! only), and TFRecord files. Every dataset is hashed whole (SHA-256 and BLAKE3): the
//! inventory deduplicates by content and the AI-BOM lists hashes. Image folders are counted
//! during the walk and become datasets at the end (see the discovery module).

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;
use std::sync::OnceLock;

use airm_core::AssetKind;
use regex::Regex;
use serde_json::Value;

use super::route::DataKind;
use super::table::{TableError, TableInfo};
use super::{arrow, cards, parquet, DiscoverOptions, DiscoveredAsset, Sink};
use crate::hash::HashingReader;
use crate::rules::DatasetPersonalData;

/// Bytes of the head parsed for columns and sampled values.
const HEAD: usize = 64 * 1024;
/// Rows sampled for values.
const SAMPLE_ROWS: usize = 50;
/// Datasets up to this size are read whole (one read, hashed in memory).
pub const SMALL_FILE: u64 = 1 << 20;
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

/// The personal-data category a single value looks like, if any. Cheap byte checks run
/// first (an e-mail address has an `@`, a social security number 11 characters, a phone
/// number at least 9 digits), so most values never reach a regular expression.
pub fn value_category(v: &str) -> Option<&'static str> {
    let v = trim(v);
    if v.len() > 100 || v.is_empty() {
        return None;
    }
    let has_at = v.as_bytes().contains(&b'@');
    // Fewer than 9 bytes hold fewer than 9 digits.
    if !has_at && v.len() < 9 {
        return None;
    }
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if !has_at && v.len() != 11 && digits < 9 {
        return None;
    }
    let p = value_patterns()?;
    if has_at && p.email.is_match(v) {
        Some("email")
    } else if v.len() == 11 && p.ssn.is_match(v) {
        Some("national-id")
    } else if digits >= 9 && p.phone.is_match(v) {
        Some("phone")
    } else {
        None
    }
}

/// `s.trim()`, without decoding characters when both ends are ASCII and not white space
/// (most cells).
fn trim(s: &str) -> &str {
    let solid = |c: &u8| c.is_ascii() && !matches!(c, b'\t'..=b'\r' | b' ');
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if solid(f) && solid(l) => s,
        _ => s.trim(),
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

/// What the sampled values of one column looked like.
#[derive(Debug, Default, Clone)]
struct Tally {
    /// Non-empty values.
    values: usize,
    /// Categories in the order first seen, with counts.
    cats: Vec<(&'static str, usize)>,
}

impl Tally {
    fn add(&mut self, v: &str) {
        if v.is_empty() {
            return;
        }
        self.values += 1;
        if let Some(cat) = value_category(v) {
            match self.cats.iter_mut().find(|(c, _)| *c == cat) {
                Some(e) => e.1 += 1,
                None => self.cats.push((cat, 1)),
            }
        }
    }
}

/// Tallies the cells of one delimited line into `tallies` (one per column). A line
/// without quotes is split in place; one with quotes goes through [`split_row`]. Cells
/// past [`MAX_COLUMNS`] are empty, as [`split_row`] makes them.
fn tally_row(line: &str, delim: char, tallies: &mut [Tally]) {
    if memchr::memchr(b'"', line.as_bytes()).is_some() {
        for (t, v) in tallies.iter_mut().zip(split_row(line, delim)) {
            t.add(&v);
        }
        return;
    }
    let mut tallies = tallies.iter_mut().take(MAX_COLUMNS);
    let Some(d) = u8::try_from(delim).ok().filter(u8::is_ascii) else {
        for (t, v) in tallies.zip(line.split(delim)) {
            t.add(trim(v));
        }
        return;
    };
    // Cells split at the (ASCII) delimiter byte, without a search call per cell.
    let mut start = 0usize;
    for (i, b) in line.bytes().enumerate() {
        if b == d {
            let Some(t) = tallies.next() else { return };
            t.add(trim(line.get(start..i).unwrap_or("")));
            start = i + 1;
        }
    }
    if let Some(t) = tallies.next() {
        t.add(trim(line.get(start..).unwrap_or("")));
    }
}

/// Columns of a table head, and the tallies of the values of its first rows.
fn table_head(head: &str, kind: DataKind) -> (Vec<String>, Vec<Tally>) {
    let mut lines = head.lines().filter(|l| !trim(l).is_empty());
    match kind {
        DataKind::Csv | DataKind::Tsv => {
            let delim = if kind == DataKind::Tsv { '\t' } else { ',' };
            let cols = lines
                .next()
                .map(|l| split_row(l, delim))
                .unwrap_or_default();
            // Columns named like personal data need no values.
            let mut tallies = vec![Tally::default(); cols.len()];
            let by_name: Vec<bool> = cols.iter().map(|c| name_category(c).is_some()).collect();
            for l in lines.take(SAMPLE_ROWS) {
                tally_row(l, delim, &mut tallies);
            }
            for (t, named) in tallies.iter_mut().zip(by_name) {
                if named {
                    *t = Tally::default();
                }
            }
            (cols, tallies)
        }
        DataKind::Jsonl => {
            let mut cols: Vec<String> = Vec::new();
            let mut tallies: Vec<Tally> = Vec::new();
            for l in lines.take(SAMPLE_ROWS) {
                let Ok(Value::Object(m)) = serde_json::from_str::<Value>(l) else {
                    continue;
                };
                if cols.is_empty() {
                    cols = m.keys().take(MAX_COLUMNS).cloned().collect();
                    tallies = vec![Tally::default(); cols.len()];
                }
                for (c, t) in cols.iter().zip(tallies.iter_mut()) {
                    match m.get(c) {
                        Some(Value::String(s)) => t.add(s),
                        Some(v) => t.add(&v.to_string()),
                        None => {}
                    }
                }
            }
            (cols, tallies)
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// Columns that look like personal data: `(column, category, by name / by values)`.
/// `tallies` holds the sampled values' categories per column (empty: names only).
fn personal_columns(
    cols: &[String],
    tallies: &[Tally],
) -> Vec<(String, &'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        if let Some(cat) = name_category(c) {
            out.push((c.clone(), cat, "name"));
            continue;
        }
        let Some(t) = tallies.get(i) else { continue };
        if t.values < 3 {
            continue;
        }
        if let Some((cat, n)) = t.cats.iter().copied().max_by_key(|(_, n)| *n) {
            if n * 2 >= t.values {
                out.push((c.clone(), cat, "values"));
            }
        }
    }
    out
}

/// Records a dataset file of `size` bytes whose first bytes (`head`: the whole file up to
/// [`SMALL_FILE`]) the caller has read. Small files are hashed and their rows counted in
/// memory; larger ones stream on from where the head ended through the hashing reader.
/// Parquet and Arrow files have their metadata read (footer, schema, batch headers).
#[allow(clippy::too_many_arguments)]
pub fn visit(
    path: &Path,
    shown: &str,
    file: File,
    head: &[u8],
    size: u64,
    kind: DataKind,
    opts: &DiscoverOptions,
    sink: &mut Sink,
) -> io::Result<()> {
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
    let whole = head.len() as u64 >= size;
    let text_table = matches!(kind, DataKind::Csv | DataKind::Tsv | DataKind::Jsonl);
    let count_rows = text_table && size <= opts.max_row_count_size;
    let mut lines = memchr::memchr_iter(b'\n', head).count() as u64;
    let mut last = head.last().copied();
    let mut hashes = None;
    if whole {
        if opts.hash_datasets {
            hashes = Some(super::hash_bytes(head));
        }
    } else if opts.hash_datasets || count_rows {
        // The head, then the rest of the file from where the head's read stopped.
        let mut r = HashingReader::new(io::Cursor::new(head).chain(&file));
        let mut buf = vec![0u8; 1 << 16];
        let mut seen = 0u64;
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => {
                    let chunk = buf.get(..k).unwrap_or(&[]);
                    // The head's lines are counted already.
                    let fresh_from =
                        usize::try_from((head.len() as u64).saturating_sub(seen).min(k as u64))
                            .unwrap_or(k);
                    seen += k as u64;
                    let fresh = chunk.get(fresh_from..).unwrap_or(&[]);
                    if count_rows {
                        lines += memchr::memchr_iter(b'\n', fresh).count() as u64;
                    }
                    last = chunk.last().copied().or(last);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let (b3, sha, read) = r.finish()?;
        sink.stats.bytes_read += read.saturating_sub(head.len() as u64);
        if opts.hash_datasets {
            hashes = Some((b3, sha));
        }
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
    let mut pii = Vec::new();
    if text_table {
        let sample = head.get(..HEAD.min(head.len())).unwrap_or(head);
        let text = super::text_of(sample);
        // A cut last line is not parsed.
        let usable = if (sample.len() as u64) < size {
            text.rfind('\n').and_then(|i| text.get(..i)).unwrap_or("")
        } else {
            &text
        };
        let (cols, tallies) = table_head(usable, kind);
        if count_rows && size > 0 {
            let records = lines + u64::from(last != Some(b'\n'));
            let header = u64::from(kind != DataKind::Jsonl && !cols.is_empty());
            a.facts
                .insert("rows".into(), Value::from(records.saturating_sub(header)));
        }
        set_columns(&mut a, &cols);
        pii = personal_columns(&cols, &tallies);
    } else if matches!(kind, DataKind::Parquet | DataKind::Arrow) {
        let info = if whole {
            read_table(kind, &mut io::Cursor::new(head), size)
        } else {
            read_table(kind, &mut &file, size)
        };
        match info {
            Ok(info) => pii = table_facts(&mut a, &info),
            Err(TableError::Io(e)) => return Err(e),
            Err(e) => sink.not_inspected(shown, format!("{format} contents not read: {e}")),
        }
    }
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
    sink.assets.push(a);
    Ok(())
}

fn read_table<R: Read + Seek>(
    kind: DataKind,
    r: &mut R,
    size: u64,
) -> Result<TableInfo, TableError> {
    match kind {
        DataKind::Parquet => parquet::read(r, size),
        _ => arrow::read(r, size),
    }
}

fn set_columns(a: &mut DiscoveredAsset, cols: &[String]) {
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
}

/// Records what a columnar file's metadata tells, and returns the columns (top-level or
/// nested) named like personal data. Values are not sampled: they are encoded and often
/// compressed, and reading them is not cheap.
fn table_facts(
    a: &mut DiscoveredAsset,
    info: &TableInfo,
) -> Vec<(String, &'static str, &'static str)> {
    if let Some(r) = info.rows {
        a.facts.insert("rows".into(), Value::from(r));
    }
    set_columns(
        a,
        info.columns
            .get(..MAX_COLUMNS.min(info.columns.len()))
            .unwrap_or(&[]),
    );
    if info.columns.len() > MAX_COLUMNS {
        a.facts
            .insert("column_count".into(), Value::from(info.columns.len()));
    }
    if let Some(b) = info.batches {
        let key = if a.format.as_deref() == Some("parquet") {
            "row_groups"
        } else {
            "record_batches"
        };
        a.facts.insert(key.into(), Value::from(b));
    }
    if let Some(w) = &info.created_by {
        a.facts.insert(
            "created_by".into(),
            Value::String(crate::report::clip(w, 120)),
        );
    }
    // A nested field is judged by its own name (`customer.email` by `email`).
    let mut out = Vec::new();
    for c in info.columns.iter().chain(&info.nested) {
        if out.len() >= MAX_COLUMNS {
            break;
        }
        let own = c.rsplit('.').next().unwrap_or(c);
        if let Some(cat) = name_category(own) {
            out.push((c.clone(), cat, "name"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The categories of values as the regular expressions alone decide them.
    fn by_regex_alone(v: &str) -> Option<&'static str> {
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

    proptest! {
        /// The cheap checks before the regular expressions change no answer.
        #[test]
        fn cheap_checks_agree_with_the_regexes(v in prop_oneof![
            "[a-z0-9.+]{1,8}@[a-z0-9.]{1,8}\\.[a-z]{2,3}",
            "[0-9]{3}-[0-9]{2}-[0-9]{4}",
            "\\+?[0-9 ().-]{7,18}",
            " ?[ -~]{0,20} ?",
        ]) {
            prop_assert_eq!(value_category(&v), by_regex_alone(&v));
        }

        /// The fast trim is `str::trim`.
        #[test]
        fn trim_is_str_trim(v in "[ \t\n\x0b\x0c\r\u{85}\u{a0}\u{2003}\u{3000}a-z0-9é@.]{0,12}") {
            prop_assert_eq!(trim(&v), v.trim());
        }

        /// Tallies of lines split in place equal those of the quoting splitter.
        #[test]
        fn in_place_split_tallies_like_split_row(
            cells in proptest::collection::vec("[ a-z0-9@.+\u{a0}é-]{0,14}", 1..8),
            delim in prop_oneof![Just(','), Just('\t')],
            columns in 0usize..10,
        ) {
            let line = cells.join(&delim.to_string());
            let mut fast = vec![Tally::default(); columns];
            tally_row(&line, delim, &mut fast);
            let mut slow = vec![Tally::default(); columns];
            for (t, v) in slow.iter_mut().zip(split_row(&line, delim)) {
                t.add(&v);
            }
            let key = |t: &[Tally]| t.iter().map(|x| (x.values, x.cats.clone())).collect::<Vec<_>>();
            prop_assert_eq!(key(&fast), key(&slow));
        }
    }

    #[test]
    fn personal_data_by_name_and_values() {
        let head = "id,contact,score,Date of Birth\n1,ann@corp.io,0.5,1990-01-01\n2,bob@corp.io,0.7,1991-02-02\n3,cy@corp.io,0.1,1992-03-03\n";
        let (cols, tallies) = table_head(head, DataKind::Csv);
        assert_eq!(cols, vec!["id", "contact", "score", "Date of Birth"]);
        let p = personal_columns(&cols, &tallies);
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
