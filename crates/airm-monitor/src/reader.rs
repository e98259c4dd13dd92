//! Readers of CSV and JSON Lines files (and Parquet with the cargo feature `parquet`, see
//! [`crate::parquet`]) into per-column [`Table`]s for drift tests.
//!
//! Files are read in blocks of whole lines; the lines of a block are parsed in parallel
//! (rayon) and the parts merged in order, so memory stays at one block plus the columns.
//! A CSV file without quote characters takes the fast splitter; from the first block with a
//! quote on, the `csv` crate parses the rest (quoted fields may hold delimiters and line
//! breaks). Every input is bounded: line length, number of columns, distinct categories per
//! column and total values; bad input (ragged rows, non-UTF-8, nested JSON, over-long
//! lines) is an error naming the file and line, never a panic.

use std::cell::Cell as StdCell;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rayon::prelude::*;

use crate::error::{MonitorError, Result};
use crate::table::{classify, classify_str, short_number, Cell, Column, Kind, Table, Values};

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma- (or other single byte-) separated values with a header line.
    Csv { delimiter: u8 },
    /// One JSON object per line; keys are columns.
    JsonLines,
    /// Apache Parquet (read only when built with the cargo feature `parquet`).
    Parquet,
}

impl FileFormat {
    /// From the file name: `.jsonl`, `.ndjson`, `.json` → JSON Lines, `.tsv` → tab-separated,
    /// `.parquet`, `.pq` → Parquet, anything else CSV. [`read_table`] looks at the content
    /// first: a file starting with the Parquet magic `PAR1` is Parquet whatever its name.
    pub fn from_path(path: &Path) -> FileFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => FileFormat::JsonLines,
            "tsv" | "tab" => FileFormat::Csv { delimiter: b'\t' },
            "parquet" | "pq" => FileFormat::Parquet,
            _ => FileFormat::Csv { delimiter: b',' },
        }
    }
}

/// Limits and column choices for reading.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Read only these columns (all when `None`).
    pub columns: Option<Vec<String>>,
    /// Columns forced numeric (text in them is an error) …
    pub numeric: Vec<String>,
    /// … or categorical (numbers become category names).
    pub categorical: Vec<String>,
    pub format: Option<FileFormat>,
    pub max_line_bytes: usize,
    pub max_columns: usize,
    pub max_categories: usize,
    /// Non-missing values kept in memory over all columns of one file.
    pub max_values: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            columns: None,
            numeric: Vec::new(),
            categorical: Vec::new(),
            format: None,
            max_line_bytes: 1 << 20,
            max_columns: 10_000,
            max_categories: 100_000,
            max_values: 200_000_000,
        }
    }
}

impl ReadOptions {
    pub(crate) fn wanted(&self, name: &str) -> bool {
        self.columns
            .as_ref()
            .is_none_or(|c| c.iter().any(|x| x == name))
    }

    pub(crate) fn forced(&self, name: &str) -> Option<Kind> {
        if self.numeric.iter().any(|x| x == name) {
            Some(Kind::Numeric)
        } else if self.categorical.iter().any(|x| x == name) {
            Some(Kind::Categorical)
        } else {
            None
        }
    }
}

/// Bytes read per block. Each file holds two block buffers and one block's parts at a time;
/// 4 MiB instead of 16 MiB touches ~90 MB less fresh memory on the drift benchmark (95,000
/// -> 73,000 page faults) for +0.2 % instructions.
const BLOCK_BYTES: usize = 4 << 20;

/// Reads a file. Without a format in `opts`, a file that starts with the Parquet magic is
/// Parquet, otherwise the name decides ([`FileFormat::from_path`]).
pub fn read_table(path: &Path, opts: &ReadOptions) -> Result<Table> {
    let io = |source| MonitorError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let format = match opts.format {
        Some(f) => f,
        None => {
            use std::io::Seek;
            let mut head = Vec::with_capacity(4);
            (&mut file).take(4).read_to_end(&mut head).map_err(io)?;
            file.rewind().map_err(io)?;
            if head == b"PAR1" {
                FileFormat::Parquet
            } else {
                FileFormat::from_path(path)
            }
        }
    };
    if format == FileFormat::Parquet {
        return read_parquet_file(path, file, opts);
    }
    let size = file.metadata().ok().map(|m| m.len());
    read_sized(path, file, format, opts, size)
}

#[cfg(feature = "parquet")]
fn read_parquet_file(path: &Path, file: std::fs::File, opts: &ReadOptions) -> Result<Table> {
    let t = crate::parquet::read_file(path, file, opts)?;
    check_wanted(path, &t, opts)?;
    Ok(t)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet_file(path: &Path, _file: std::fs::File, _opts: &ReadOptions) -> Result<Table> {
    Err(parquet_disabled(path))
}

/// The error for Parquet input in a build without the `parquet` feature.
pub fn parquet_disabled(path: &Path) -> MonitorError {
    MonitorError::File {
        path: path.to_path_buf(),
        message: "a Parquet file: this airm was built without Parquet support (rebuild with \
                  `cargo build --features parquet`, or convert the file to CSV)"
            .into(),
    }
}

/// Most bytes of Parquet read through [`read_from`] (files go through [`read_table`], which
/// reads only the pages it needs).
const MAX_PARQUET_STREAM: u64 = 4 << 30;

fn check_wanted(path: &Path, table: &Table, opts: &ReadOptions) -> Result<()> {
    if let Some(want) = &opts.columns {
        for w in want {
            if table.column(w).is_none() {
                return Err(MonitorError::File {
                    path: path.to_path_buf(),
                    message: format!("no column `{w}`"),
                });
            }
        }
    }
    Ok(())
}

/// Reads two files at the same time (each read is parallel inside too; reading both keeps
/// the cores busy while one file's next block is read or its parts are joined).
pub fn read_pair(a: &Path, b: &Path, opts: &ReadOptions) -> (Result<Table>, Result<Table>) {
    rayon::join(|| read_table(a, opts), || read_table(b, opts))
}

/// Reads from any reader (`path` names the input in errors).
pub fn read_from<R: Read>(
    path: &Path,
    reader: R,
    format: FileFormat,
    opts: &ReadOptions,
) -> Result<Table> {
    read_sized(path, reader, format, opts, None)
}

/// [`read_from`] with the input's size in bytes when known (a file's), from which the CSV
/// reader sizes its numeric columns after the first block.
fn read_sized<R: Read>(
    path: &Path,
    reader: R,
    format: FileFormat,
    opts: &ReadOptions,
    size_hint: Option<u64>,
) -> Result<Table> {
    if format == FileFormat::Parquet {
        let mut bytes = Vec::new();
        reader
            .take(MAX_PARQUET_STREAM)
            .read_to_end(&mut bytes)
            .map_err(|source| MonitorError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        #[cfg(feature = "parquet")]
        {
            let t = crate::parquet::read_table(path, bytes::Bytes::from(bytes), opts)?;
            check_wanted(path, &t, opts)?;
            return Ok(t);
        }
        #[cfg(not(feature = "parquet"))]
        return Err(parquet_disabled(path));
    }
    let blocks = Blocks {
        r: reader,
        carry: Vec::new(),
        spare: Vec::new(),
        eof: false,
        next_line: 1,
        path: path.to_path_buf(),
        max_line: opts.max_line_bytes,
        size_hint,
    };
    let mut table = match format {
        FileFormat::Csv { delimiter } => read_csv(blocks, delimiter, opts)?,
        FileFormat::JsonLines => read_jsonl(blocks, opts)?,
        FileFormat::Parquet => return Err(parquet_disabled(path)),
    };
    for c in &mut table.columns {
        // JSON Lines rows may lack a key: those cells are missing.
        let absent = table.rows.saturating_sub(c.seen);
        c.missing += absent;
        c.seen += absent;
        if let Values::Numeric(v) = &mut c.values {
            // Appending parts doubles capacity; give the slack back before the next file.
            v.shrink_to_fit();
        }
    }
    check_wanted(path, &table, opts)?;
    Ok(table)
}

struct Blocks<R> {
    r: R,
    carry: Vec<u8>,
    /// A parsed block's buffer given back ([`Blocks::recycle`]) to read the next one into:
    /// fresh 16 MiB buffers cost page faults and zeroing by the kernel every block.
    spare: Vec<u8>,
    eof: bool,
    next_line: u64,
    path: PathBuf,
    max_line: usize,
    /// The input's size in bytes, when known.
    size_hint: Option<u64>,
}

impl<R: Read> Blocks<R> {
    fn io(&self, source: std::io::Error) -> MonitorError {
        MonitorError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// The next run of whole lines and the number of its first line. The caller counts the
    /// block's lines while it parses them and reports them with [`Blocks::advance`] before
    /// asking for the next block (so the block is not scanned once more just for that).
    fn next_block(&mut self) -> Result<Option<(u64, Vec<u8>)>> {
        loop {
            if self.eof {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                let block = std::mem::take(&mut self.carry);
                return Ok(Some((self.next_line, block)));
            }
            // `read_to_end` grows the buffer as data arrives (small inputs stay small) and
            // stops at the block size or at the end of the input.
            let k = (&mut self.r)
                .take(BLOCK_BYTES as u64)
                .read_to_end(&mut self.carry)
                .map_err(|e| self.io(e))?;
            if k < BLOCK_BYTES {
                self.eof = true;
            }
            if self.eof {
                continue;
            }
            match memchr::memrchr(b'\n', &self.carry) {
                Some(p) => {
                    let mut rest = std::mem::take(&mut self.spare);
                    rest.clear();
                    rest.extend_from_slice(self.carry.get(p + 1..).unwrap_or_default());
                    self.carry.truncate(p + 1);
                    let block = std::mem::replace(&mut self.carry, rest);
                    if self.carry.len() > self.max_line {
                        let lines = memchr::memchr_iter(b'\n', &block).count() as u64;
                        return Err(self.too_long(self.next_line + lines));
                    }
                    return Ok(Some((self.next_line, block)));
                }
                None if self.carry.len() > self.max_line => {
                    return Err(self.too_long(self.next_line));
                }
                None => {}
            }
        }
    }

    /// Counts the lines of the block last returned (its line breaks).
    fn advance(&mut self, lines: u64) {
        self.next_line += lines;
    }

    /// Gives a parsed block's buffer back for the next read.
    fn recycle(&mut self, block: Vec<u8>) {
        self.spare = block;
    }

    fn too_long(&self, line: u64) -> MonitorError {
        MonitorError::Input {
            path: self.path.clone(),
            line,
            message: format!("line longer than {} bytes", self.max_line),
        }
    }
}

/// One parsed part of a block.
struct Part {
    columns: Vec<Column>,
    rows: u64,
    /// Line breaks in the part (its lines, when it ends with one).
    lines: u64,
    /// (line offset within the part, message)
    error: Option<(u64, String)>,
}

/// Splits a block into about `parts` runs of whole lines.
fn split_lines(block: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(parts);
    let target = (block.len() / parts.max(1)).max(1 << 16);
    let mut start = 0usize;
    while start < block.len() {
        let mut end = (start + target).min(block.len());
        if end < block.len() {
            end = match memchr::memchr(b'\n', &block[end..]) {
                Some(p) => end + p + 1,
                None => block.len(),
            };
        }
        out.push(&block[start..end]);
        start = end;
    }
    out
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn input_err(path: &Path, line: u64, message: String) -> MonitorError {
    MonitorError::Input {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// Merges parts in order into `acc`; returns the first error with its absolute line.
fn merge_parts(
    path: &Path,
    acc: &mut Vec<Column>,
    rows: &mut u64,
    parts: Vec<(u64, Part)>,
    first_line: u64,
    max_categories: usize,
) -> Result<()> {
    for (offset, part) in parts {
        if let Some((l, msg)) = part.error {
            return Err(input_err(path, first_line + offset + l, msg));
        }
        *rows += part.rows;
        for col in part.columns {
            match acc.iter_mut().find(|c| c.name == col.name) {
                Some(c) => c.merge(col, max_categories),
                None => acc.push(col),
            }
        }
    }
    Ok(())
}

fn too_many_values(path: &Path, opts: &ReadOptions) -> MonitorError {
    MonitorError::File {
        path: path.to_path_buf(),
        message: format!(
            "more than {} numeric values; select fewer columns, or profile the data in shards \
             (`airm monitor profile`) and compare profiles",
            opts.max_values
        ),
    }
}

fn check_values(path: &Path, cols: &[Column], opts: &ReadOptions) -> Result<()> {
    if numeric_values(cols) > opts.max_values {
        return Err(too_many_values(path, opts));
    }
    Ok(())
}

fn parse_header(line: &[u8], delimiter: u8) -> std::result::Result<Vec<String>, String> {
    let line = strip_cr(line);
    let fields: Vec<Vec<u8>> = if line.contains(&b'"') {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .from_reader(line);
        let mut rec = csv::ByteRecord::new();
        match r.read_byte_record(&mut rec) {
            Ok(true) => rec.iter().map(<[u8]>::to_vec).collect(),
            Ok(false) => Vec::new(),
            Err(e) => return Err(format!("bad header: {e}")),
        }
    } else {
        line.split(|&b| b == delimiter)
            .map(<[u8]>::to_vec)
            .collect()
    };
    let mut names = Vec::with_capacity(fields.len());
    for (i, f) in fields.into_iter().enumerate() {
        let s = String::from_utf8(f).map_err(|_| "the header is not valid UTF-8".to_string())?;
        let s = s.trim().to_string();
        let s = if s.is_empty() {
            format!("column_{}", i + 1)
        } else {
            s
        };
        if names.contains(&s) {
            return Err(format!("duplicate column name `{s}` in the header"));
        }
        names.push(s);
    }
    Ok(names)
}

fn read_csv<R: Read>(mut blocks: Blocks<R>, delimiter: u8, opts: &ReadOptions) -> Result<Table> {
    let path = blocks.path.clone();
    let Some((first_line, mut block)) = blocks.next_block()? else {
        return Err(MonitorError::File {
            path,
            message: "empty file (a header line is required)".into(),
        });
    };
    let header_end = memchr::memchr(b'\n', &block).map_or(block.len(), |p| p + 1);
    let header = parse_header(&block[..header_end], delimiter)
        .map_err(|m| input_err(&path, first_line, m))?;
    if header.len() > opts.max_columns {
        return Err(input_err(
            &path,
            first_line,
            format!("{} columns (at most {})", header.len(), opts.max_columns),
        ));
    }
    let ncols = header.len();
    // Field index -> slot in `template`.
    let mut slots: Vec<Option<usize>> = Vec::with_capacity(ncols);
    let mut template: Vec<Column> = Vec::new();
    for name in &header {
        if opts.wanted(name) {
            slots.push(Some(template.len()));
            template.push(Column::new(name.clone(), opts.forced(name)));
        } else {
            slots.push(None);
        }
    }
    block.drain(..header_end);
    blocks.advance(1);
    let mut bytes_seen = header_end as u64;
    let mut line0 = first_line + 1;
    // The columns read so far; each block's parts are appended in order, and their emptied
    // buffers parse later blocks (fresh part buffers every block cost page faults, and
    // keeping every part until the end held the data twice).
    let mut acc: Vec<Column> = template.clone();
    let mut pool: Vec<Vec<Column>> = Vec::new();
    let mut rows = 0u64;
    let mut values = 0u64;
    let threads = rayon::current_num_threads();
    loop {
        if memchr::memchr(b'"', &block).is_some() {
            // Quoted fields: parse the rest of the input with the csv crate.
            let rest = std::io::Cursor::new(block)
                .chain(std::io::Cursor::new(std::mem::take(&mut blocks.carry)))
                .chain(blocks.r);
            read_csv_quoted(
                &path, rest, delimiter, opts, ncols, &slots, &mut acc, &mut rows, line0,
            )?;
            return Ok(Table { columns: acc, rows });
        }
        let chunks: Vec<(&[u8], Vec<Column>)> = split_lines(&block, threads * 4)
            .into_iter()
            .map(|chunk| (chunk, pool.pop().unwrap_or_else(|| template.clone())))
            .collect();
        let block_parts: Vec<Part> = chunks
            .into_par_iter()
            .map(|(chunk, cols)| parse_csv_chunk(chunk, delimiter, ncols, &slots, cols, opts))
            .collect();
        let mut parts = Vec::with_capacity(block_parts.len());
        // Line offset of each part within the block: the parts before it parsed all their
        // lines (the first part with an error ends the read).
        let mut offset = 0u64;
        for part in block_parts {
            if let Some((l, msg)) = part.error {
                return Err(input_err(&path, line0 + offset + l, msg));
            }
            offset += part.lines;
            rows += part.rows;
            values += numeric_values(&part.columns);
            parts.push(part.columns);
        }
        if values > opts.max_values {
            return Err(too_many_values(&path, opts));
        }
        let first_block = bytes_seen == header_end as u64;
        bytes_seen += block.len() as u64;
        if first_block {
            reserve_rows(&mut acc, rows, bytes_seen, blocks.size_hint, opts);
        }
        append_parts(&mut acc, &mut parts, &template, opts.max_categories);
        pool.extend(parts);
        blocks.recycle(block);
        blocks.advance(offset);
        match blocks.next_block()? {
            Some((l, b)) => {
                line0 = l;
                block = b;
            }
            None => break,
        }
    }
    Ok(Table { columns: acc, rows })
}

/// Sizes the (still empty) numeric columns for the rows the whole input will have, as
/// estimated from the first block (`rows` in `bytes_seen` of `size` bytes) plus 1/16, so
/// that appending the later blocks does not grow and copy them. Nothing is reserved
/// without a size, beyond the value limit, or when the allocation fails.
fn reserve_rows(
    acc: &mut [Column],
    rows: u64,
    bytes_seen: u64,
    size: Option<u64>,
    opts: &ReadOptions,
) {
    let Some(size) = size.filter(|&s| s > bytes_seen && bytes_seen > 0) else {
        return;
    };
    let est = u128::from(rows) * u128::from(size) / u128::from(bytes_seen);
    let est = est + est / 16;
    let numeric = acc
        .iter()
        .filter(|c| matches!(c.values, Values::Numeric(_)))
        .count() as u128;
    if est * numeric > u128::from(opts.max_values) {
        return;
    }
    let Ok(est) = usize::try_from(est) else {
        return;
    };
    for c in acc {
        if let Values::Numeric(v) = &mut c.values {
            let _ = v.try_reserve_exact(est.saturating_sub(v.len()));
        }
    }
}

fn numeric_values(cols: &[Column]) -> u64 {
    cols.iter()
        .map(|c| match &c.values {
            Values::Numeric(v) => v.len() as u64,
            _ => 0,
        })
        .sum()
}

/// Appends the parts of one block to the columns read so far, in order; the columns in
/// parallel. Each part is left empty (its numeric buffer cleared, not freed) for the next
/// block.
fn append_parts(
    acc: &mut [Column],
    parts: &mut [Vec<Column>],
    template: &[Column],
    max_categories: usize,
) {
    let mut by_column: Vec<Vec<&mut Column>> = acc
        .iter()
        .map(|_| Vec::with_capacity(parts.len()))
        .collect();
    for part in parts.iter_mut() {
        for (dst, col) in by_column.iter_mut().zip(part.iter_mut()) {
            dst.push(col);
        }
    }
    acc.par_iter_mut()
        .zip(by_column.into_par_iter())
        .zip(template.par_iter())
        .for_each(|((a, pieces), t)| {
            for p in pieces {
                append_part(a, p, t, max_categories);
            }
        });
}

/// [`Column::merge`] of `part` into `acc` that keeps a numeric part's buffer (emptied) and
/// leaves any other part as `template`.
fn append_part(acc: &mut Column, part: &mut Column, template: &Column, max_categories: usize) {
    if let (Values::Numeric(a), Values::Numeric(b)) = (&mut acc.values, &mut part.values) {
        a.extend_from_slice(b);
        b.clear();
        acc.missing += std::mem::take(&mut part.missing);
        acc.seen += std::mem::take(&mut part.seen);
    } else {
        let p = std::mem::replace(part, template.clone());
        acc.merge(p, max_categories);
    }
}

/// Text cells seen more than once in a chunk are counted here, by their raw bytes, and
/// added to the column's categories when the chunk is done: one cheap hash per repeat
/// instead of UTF-8 checks, trimming and a category-map lookup.
type Repeats<'a> = std::collections::HashMap<&'a [u8], u64, foldhash::fast::RandomState>;

/// Repeats of fields shorter than eight bytes (most category names), keyed by
/// [`short_field`]'s `u64` (cheaper to find, hash and compare than a byte slice): a small
/// open-addressed table in front of a hash map, so that a column's usual few categories
/// are found with a multiply, a load and a compare. Key 0 (the empty field, which is never
/// text) marks a free slot.
struct ShortRepeats {
    /// (key, repeats)
    slots: Vec<(u64, u64)>,
    /// Keys whose probe sequence in `slots` is full.
    more: std::collections::HashMap<u64, u64, foldhash::fast::RandomState>,
    len: usize,
}

/// Slots of [`ShortRepeats`] (a power of two) and the slots probed per key.
const SHORT_SLOTS: usize = 64;
const SHORT_PROBES: usize = 4;

impl ShortRepeats {
    fn new() -> Self {
        ShortRepeats {
            slots: vec![(0, 0); SHORT_SLOTS],
            more: std::collections::HashMap::default(),
            len: 0,
        }
    }

    /// The first slot probed for `key` (Fibonacci hashing: the top bits of a product).
    #[inline(always)]
    fn home(key: u64) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let h = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize;
        h
    }

    #[inline(always)]
    fn get_mut(&mut self, key: u64) -> Option<&mut u64> {
        let home = Self::home(key);
        let mut probe = 0;
        while probe < SHORT_PROBES {
            let at = (home + probe) & (SHORT_SLOTS - 1);
            match self.slots.get(at) {
                // A free slot ends the probe (key 0 itself is never held).
                Some(&(0, _)) => return None,
                Some(&(k, _)) if k == key => return self.slots.get_mut(at).map(|s| &mut s.1),
                _ => probe += 1,
            }
        }
        self.more.get_mut(&key)
    }

    /// Adds a key not held yet, with no repeats.
    fn insert(&mut self, key: u64) {
        self.len += 1;
        let home = Self::home(key);
        for probe in 0..SHORT_PROBES {
            let at = (home + probe) & (SHORT_SLOTS - 1);
            if let Some(slot) = self.slots.get_mut(at).filter(|s| s.0 == 0) {
                *slot = (key, 0);
                return;
            }
        }
        self.more.insert(key, 0);
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Empties the table, returning its (key, repeats).
    fn drain(&mut self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.len = 0;
        self.slots
            .iter_mut()
            .filter(|s| s.0 != 0)
            .map(std::mem::take)
            .chain(self.more.drain())
    }
}

/// The field at `chunk[at..]` (`field` is the same field up to the line's end) when it is
/// shorter than eight bytes and the eight bytes at its start are in the chunk: its length
/// and a key holding its bytes and length. The delimiter is found in one eight-byte word:
/// the lowest zero byte of `word ^ delimiter…` is exact (borrows only disturb bytes above
/// it).
#[inline]
fn short_field(chunk: &[u8], at: usize, field: &[u8], delimiter: u8) -> Option<(usize, u64)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let w = u64::from_le_bytes(chunk.get(at..at + 8)?.try_into().ok()?);
    let x = w ^ (u64::from(delimiter) * ONES);
    let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
    let k = ((zero.trailing_zeros() / 8) as usize).min(field.len());
    (k < 8).then(|| (k, (w & ((1u64 << (8 * k)) - 1)) | ((k as u64) << 56)))
}

fn flush_short_repeats(col: &mut Column, repeats: &mut ShortRepeats, max_categories: usize) {
    for (key, n) in repeats.drain() {
        if n == 0 {
            continue;
        }
        let bytes = key.to_le_bytes();
        let raw = bytes.get(..(key >> 56) as usize).unwrap_or_default();
        // Each key was classified as text (valid UTF-8) when it was first seen.
        if let Ok(Cell::Text(s)) = classify(raw) {
            col.add_text(s, n, max_categories);
        }
    }
}

/// Most distinct raw cells remembered per column and chunk.
const MAX_REPEATS: usize = 1 << 16;

fn flush_repeats(col: &mut Column, repeats: &mut Repeats<'_>, max_categories: usize) {
    for (raw, n) in repeats.drain() {
        if n == 0 {
            continue;
        }
        // Each key was classified as text (valid UTF-8) when it was first seen.
        if let Ok(Cell::Text(s)) = classify(raw) {
            col.add_text(s, n, max_categories);
        }
    }
}

fn parse_csv_chunk(
    chunk: &[u8],
    delimiter: u8,
    ncols: usize,
    slots: &[Option<usize>],
    mut cols: Vec<Column>,
    opts: &ReadOptions,
) -> Part {
    // At most this many rows: a row has a delimiter or line break after each field.
    // Reserved, not touched (pages never written cost nothing), and no line count is needed.
    // A buffer too small is replaced, not grown: it is empty, and growing would copy its
    // old capacity. Rounded up to a power of two (at most twice the bound, so a wide file's
    // small chunks reserve little) so that the next blocks' chunks, of about the same size,
    // fit.
    let max_rows = (chunk.len() / ncols.max(1) + 1).next_power_of_two();
    for c in &mut cols {
        if let Values::Numeric(v) = &mut c.values {
            if v.capacity() < max_rows {
                *v = Vec::with_capacity(max_rows);
            }
        }
    }
    let mut repeats: Vec<Repeats<'_>> = cols.iter().map(|_| Repeats::default()).collect();
    let mut short_repeats: Vec<ShortRepeats> = cols.iter().map(|_| ShortRepeats::new()).collect();
    let max_repeats = opts.max_categories.min(MAX_REPEATS);
    // Each field's column slot as one word (`usize::MAX` for a column not read): cheaper
    // to look up per cell than an `Option`.
    let slot_of: Vec<usize> = slots.iter().map(|s| s.unwrap_or(usize::MAX)).collect();
    let mut rows = 0u64;
    let mut line_start = 0usize;
    let mut i = 0u64;
    while line_start < chunk.len() {
        let rest = chunk.get(line_start..).unwrap_or_default();
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = strip_cr(rest.get(..len).unwrap_or_default());
        let start = line_start;
        line_start += len + 1;
        let line_no = i;
        i += 1;
        if is_blank(line) {
            continue;
        }
        let err = |m: String| Part {
            columns: Vec::new(),
            rows: 0,
            lines: 0,
            error: Some((line_no, m)),
        };
        if line.len() > opts.max_line_bytes {
            return err(format!("line longer than {} bytes", opts.max_line_bytes));
        }
        let mut n = 0usize;
        let mut pos = 0usize;
        loop {
            // `usize::MAX` (no column) finds no column below.
            let s = slot_of.get(n).copied().unwrap_or(usize::MAX);
            // The hot path: a short plain number in a column that is still numeric, ending
            // at the delimiter or the line's end. The parser may look ahead past the line
            // (into the rest of the chunk) to read eight bytes at a time; a number never
            // spans a line break. Anything else (other number forms included) takes the
            // general path below, which classifies the cell as `str::parse` would.
            let fast = match cols.get_mut(s) {
                Some(c) => match &mut c.values {
                    Values::Numeric(v) => {
                        match short_number(chunk.get(start + pos..).unwrap_or_default()) {
                            Some((x, k))
                                if pos + k == line.len()
                                    || line.get(pos + k) == Some(&delimiter) =>
                            {
                                v.push(x);
                                c.seen += 1;
                                Some(k)
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                },
                None => None,
            };
            let field = line.get(pos..).unwrap_or_default();
            let end = match fast {
                Some(k) => k,
                _ => {
                    let slot = slots.get(n).copied().flatten();
                    let short =
                        slot.and_then(|_| short_field(chunk, start + pos, field, delimiter));
                    let k = match short {
                        Some((k, _)) => k,
                        None => memchr::memchr(delimiter, field).unwrap_or(field.len()),
                    };
                    if let (Some(s), Some(raw)) = (slot, field.get(..k)) {
                        if let (Some(c), Some(rep), Some(srep)) = (
                            cols.get_mut(s),
                            repeats.get_mut(s),
                            short_repeats.get_mut(s),
                        ) {
                            let seen_before = match short {
                                Some((_, key)) => srep.get_mut(key),
                                None => rep.get_mut(raw),
                            };
                            if let Some(count) = seen_before {
                                *count += 1;
                                c.seen += 1;
                            } else {
                                let cell = match classify(raw) {
                                    Ok(c) => c,
                                    Err(m) => return err(m),
                                };
                                if let Err(m) = c.push(cell, opts.max_categories) {
                                    return err(m);
                                }
                                if matches!(cell, Cell::Text(_))
                                    && matches!(c.values, Values::Categorical(_))
                                {
                                    if let Some((_, key)) = short {
                                        if srep.len() >= max_repeats {
                                            flush_short_repeats(c, srep, opts.max_categories);
                                        }
                                        srep.insert(key);
                                    } else {
                                        if rep.len() >= max_repeats {
                                            flush_repeats(c, rep, opts.max_categories);
                                        }
                                        rep.insert(raw, 0);
                                    }
                                }
                            }
                        }
                    }
                    k
                }
            };
            n += 1;
            pos += end + 1;
            if pos > line.len() {
                break;
            }
        }
        if n != ncols {
            return err(format!("{n} fields, but the header has {ncols}"));
        }
        rows += 1;
    }
    for ((c, rep), srep) in cols.iter_mut().zip(&mut repeats).zip(&mut short_repeats) {
        flush_repeats(c, rep, opts.max_categories);
        flush_short_repeats(c, srep, opts.max_categories);
    }
    Part {
        columns: cols,
        rows,
        lines: i,
        error: None,
    }
}

/// Counts bytes read and fails once a single record grows past the limit, so a quoted field
/// that never closes cannot exhaust memory.
struct Bounded<R> {
    r: R,
    read: Rc<StdCell<u64>>,
    record_start: Rc<StdCell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read.get().saturating_sub(self.record_start.get()) > self.limit {
            return Err(std::io::Error::other(format!(
                "a record longer than {} bytes (unclosed quote?)",
                self.limit
            )));
        }
        let k = self.r.read(buf)?;
        self.read.set(self.read.get() + k as u64);
        Ok(k)
    }
}

#[allow(clippy::too_many_arguments)]
fn read_csv_quoted<R: Read>(
    path: &Path,
    r: R,
    delimiter: u8,
    opts: &ReadOptions,
    ncols: usize,
    slots: &[Option<usize>],
    acc: &mut [Column],
    rows: &mut u64,
    line0: u64,
) -> Result<()> {
    let read = Rc::new(StdCell::new(0u64));
    let record_start = Rc::new(StdCell::new(0u64));
    let limit = (opts.max_line_bytes as u64).saturating_mul(4).max(1 << 16);
    let bounded = Bounded {
        r,
        read: read.clone(),
        record_start: record_start.clone(),
        limit,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(bounded);
    let mut rec = csv::ByteRecord::new();
    let mut part: Vec<Column> = acc
        .iter()
        .map(|c| Column::new(c.name.clone(), c.forced))
        .collect();
    loop {
        let pos_line = rdr.position().line();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = match e.position() {
                    Some(p) => p.line(),
                    None => pos_line,
                };
                let msg = match e.kind() {
                    csv::ErrorKind::Io(io) => io.to_string(),
                    _ => e.to_string(),
                };
                return Err(input_err(path, line0 + line.saturating_sub(1), msg));
            }
        }
        let line = line0
            + rec
                .position()
                .map_or(pos_line, csv::Position::line)
                .saturating_sub(1);
        record_start.set(rdr.position().byte());
        if rec.len() == 1 && rec.get(0).is_some_and(is_blank) {
            continue;
        }
        if rec.len() != ncols {
            return Err(input_err(
                path,
                line,
                format!("{} fields, but the header has {ncols}", rec.len()),
            ));
        }
        for (i, field) in rec.iter().enumerate() {
            if let Some(Some(slot)) = slots.get(i) {
                let cell = classify(field).map_err(|m| input_err(path, line, m))?;
                if let Some(c) = part.get_mut(*slot) {
                    c.push(cell, opts.max_categories)
                        .map_err(|m| input_err(path, line, m))?;
                }
            }
        }
        *rows += 1;
        if *rows % 1_000_000 == 0 {
            check_values(path, &part, opts)?;
        }
    }
    for (a, p) in acc.iter_mut().zip(part) {
        a.merge(p, opts.max_categories);
    }
    check_values(path, acc, opts)
}

fn read_jsonl<R: Read>(mut blocks: Blocks<R>, opts: &ReadOptions) -> Result<Table> {
    let path = blocks.path.clone();
    let mut acc: Vec<Column> = Vec::new();
    let mut rows = 0u64;
    let threads = rayon::current_num_threads();
    while let Some((line0, block)) = blocks.next_block()? {
        let mut lines = 0u64;
        let chunks: Vec<(u64, &[u8])> = split_lines(&block, threads * 4)
            .into_iter()
            .map(|chunk| {
                let offset = lines;
                lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
                (offset, chunk)
            })
            .collect();
        blocks.advance(lines);
        let parts: Vec<(u64, Part)> = chunks
            .into_par_iter()
            .map(|(off, chunk)| (off, parse_jsonl_chunk(chunk, opts)))
            .collect();
        merge_parts(
            &path,
            &mut acc,
            &mut rows,
            parts,
            line0,
            opts.max_categories,
        )?;
        if acc.len() > opts.max_columns {
            return Err(MonitorError::File {
                path,
                message: format!("more than {} distinct keys", opts.max_columns),
            });
        }
        check_values(&path, &acc, opts)?;
    }
    Ok(Table { columns: acc, rows })
}

fn parse_jsonl_chunk(chunk: &[u8], opts: &ReadOptions) -> Part {
    let mut cols: Vec<Column> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows = 0u64;
    for (i, line) in chunk.split(|&b| b == b'\n').enumerate() {
        let line = strip_cr(line);
        if is_blank(line) {
            continue;
        }
        let err = |m: String| Part {
            columns: Vec::new(),
            rows: 0,
            lines: 0,
            error: Some((i as u64, m)),
        };
        if line.len() > opts.max_line_bytes {
            return err(format!("line longer than {} bytes", opts.max_line_bytes));
        }
        let obj: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(line) {
            Ok(o) => o,
            Err(e) => return err(format!("not a JSON object: {e}")),
        };
        // Cells seen before this row, for keys first met in this row.
        let before = rows;
        for (k, v) in &obj {
            if !opts.wanted(k) {
                continue;
            }
            let slot = match index.get(k) {
                Some(&s) => s,
                None => {
                    if cols.len() >= opts.max_columns {
                        return err(format!("more than {} distinct keys", opts.max_columns));
                    }
                    let mut c = Column::new(k.clone(), opts.forced(k));
                    c.missing = before;
                    c.seen = before;
                    index.insert(k.clone(), cols.len());
                    cols.push(c);
                    cols.len() - 1
                }
            };
            let text;
            let cell = match v {
                serde_json::Value::Null => Cell::Missing,
                serde_json::Value::Bool(b) => Cell::Text(if *b { "true" } else { "false" }),
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(x) if x.is_finite() => Cell::Number(x),
                    _ => Cell::Missing,
                },
                serde_json::Value::String(s) => {
                    text = s.as_str();
                    classify_str(text)
                }
                _ => {
                    return err(format!(
                        "key `{k}`: nested arrays and objects are not supported"
                    ))
                }
            };
            if let Some(c) = cols.get_mut(slot) {
                if let Err(m) = c.push(cell, opts.max_categories) {
                    return err(m);
                }
            }
        }
        rows += 1;
        for c in &mut cols {
            // Keys absent from this row.
            if c.seen < rows {
                c.missing += rows - c.seen;
                c.seen = rows;
            }
        }
    }
    Part {
        columns: cols,
        rows,
        lines: memchr::memchr_iter(b'\n', chunk).count() as u64,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], format: FileFormat) -> Result<Table> {
        read_from(Path::new("t"), text, format, &ReadOptions::default())
    }

    const CSV: FileFormat = FileFormat::Csv { delimiter: b',' };

    #[test]
    fn reads_csv_with_missing_and_types() {
        let t = read(b"a,b\n1,x\n2,\nNaN,y\r\n\n3,1\n", CSV).expect("read");
        assert_eq!(t.rows, 4);
        let a = t.column("a").expect("a");
        assert_eq!(a.values, Values::Numeric(vec![1.0, 2.0, 3.0]));
        assert_eq!(a.missing, 1);
        let b = t.column("b").expect("b");
        assert_eq!(b.kind(), Kind::Categorical);
        assert_eq!(b.missing, 1);
        assert_eq!(b.count(), 3);
    }

    #[test]
    fn quoted_csv_takes_the_csv_crate() {
        let t = read(b"a,b\n1,\"x,\ny\"\n2,z\n", CSV).expect("read");
        assert_eq!(t.rows, 2);
        let b = t.column("b").expect("b");
        let Values::Categorical(m) = &b.values else {
            panic!("categorical")
        };
        assert_eq!(m.get("x,\ny"), Some(&1));
    }

    #[test]
    fn bad_input_names_the_line() {
        let e = read(b"a,b\n1,2\n3\n", CSV).expect_err("ragged");
        assert_eq!(e.to_string(), "t:3: 1 fields, but the header has 2");
        let e = read(b"a\n1\n\xff\xfe\n", CSV).expect_err("utf8");
        assert_eq!(e.to_string(), "t:3: a cell is not valid UTF-8");
        // An unclosed quote swallows the rest of the file, up to the record limit.
        let mut text = b"a,b\n1,\"2\n".to_vec();
        text.extend(b"3,4\n".repeat(30_000));
        let opts = ReadOptions {
            max_line_bytes: 1000,
            ..ReadOptions::default()
        };
        let e = read_from(Path::new("t"), &text[..], CSV, &opts).err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.starts_with("t:2: a record longer than 65536 bytes"),
            "{e}"
        );
        let e = read(b"{\"a\": 1}\n{\"a\": [1]}\n", FileFormat::JsonLines).expect_err("nested");
        assert!(e.to_string().starts_with("t:2: key `a`"), "{e}");
        let e = read(b"", CSV).expect_err("empty");
        assert!(e.to_string().contains("header"));
    }

    #[test]
    fn parquet_is_detected_by_content() {
        let dir = std::env::temp_dir().join(format!("airm-reader-pq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("data.csv");
        std::fs::write(&p, b"PAR1\x00\x01").expect("write");
        let e = read_table(&p, &ReadOptions::default())
            .expect_err("parquet")
            .to_string();
        let _ = std::fs::remove_dir_all(&dir);
        if cfg!(feature = "parquet") {
            assert!(e.ends_with("truncated Parquet file (6 bytes)"), "{e}");
        } else {
            assert!(e.contains("built without Parquet support"), "{e}");
        }
        assert_eq!(
            FileFormat::from_path(Path::new("a.PARQUET")),
            FileFormat::Parquet
        );
    }

    #[test]
    fn long_lines_are_rejected() {
        let opts = ReadOptions {
            max_line_bytes: 10,
            ..ReadOptions::default()
        };
        let e = read_from(Path::new("t"), &b"a\n1\n12345678901234\n"[..], CSV, &opts)
            .expect_err("long");
        assert_eq!(e.to_string(), "t:3: line longer than 10 bytes");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), seed in proptest::collection::vec(proptest::sample::select(&b"a,b\n1\"x\r{}:[]-.5e9NA\xff "[..]), 0..300)) {
            let opts = ReadOptions {
                max_line_bytes: 64,
                max_columns: 8,
                max_categories: 16,
                max_values: 1000,
                ..ReadOptions::default()
            };
            for bytes in [&data, &seed] {
                for format in [CSV, FileFormat::Csv { delimiter: b'\t' }, FileFormat::JsonLines] {
                    if let Ok(t) = read_from(Path::new("t"), &bytes[..], format, &opts) {
                        for c in &t.columns {
                            proptest::prop_assert_eq!(c.seen, t.rows);
                            proptest::prop_assert_eq!(c.count() + c.missing, t.rows);
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// The fast splitter (number fast path, repeat counts of text cells) and the `csv`
        /// crate path (every cell through `classify` and `Column::push`) read the same table.
        #[test]
        fn fast_path_equals_the_csv_crate_path(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![
                        "1", "-2.5", "0.00123015", "1e-7", "1.50", "12345678901234567890",
                        "x", "y", " x ", "NA", "", "nan", "inf", "1e400", ".5", "7.",
                    ]),
                    3,
                ),
                1..60,
            ),
            cap in 2usize..8,
        ) {
            let mut plain = String::from("a,b,c\n");
            let mut quoted = plain.clone();
            for (i, r) in rows.iter().enumerate() {
                plain.push_str(&r.join(","));
                plain.push('\n');
                // The same data with the first cell quoted: the csv crate reads every row.
                if i == 0 {
                    quoted.push_str(&format!("\"{}\",{}", r[0], r[1..].join(",")));
                } else {
                    quoted.push_str(&r.join(","));
                }
                quoted.push('\n');
            }
            let opts = ReadOptions {
                max_categories: cap,
                ..ReadOptions::default()
            };
            let fast = read_from(Path::new("t"), plain.as_bytes(), CSV, &opts);
            let slow = read_from(Path::new("t"), quoted.as_bytes(), CSV, &opts);
            match (fast, slow) {
                (Ok(f), Ok(s)) => proptest::prop_assert_eq!(f, s),
                (f, s) => proptest::prop_assert_eq!(f.err().map(|e| e.to_string()), s.err().map(|e| e.to_string())),
            }
        }
    }

    #[test]
    fn blocks_append_in_order_and_a_column_turns_categorical_in_a_later_block() {
        // More than one block: 170,000 rows of ~110 bytes. Column `b` meets text only in
        // the second block; `c` (long filler) is not read.
        let filler = "f".repeat(100);
        let rows = 170_000u32;
        let mut plain = String::from("a,b,c\n");
        for i in 0..rows {
            let b = if i == 160_000 {
                "text".to_string()
            } else {
                format!("{}.5", i % 7)
            };
            plain.push_str(&format!("{i},{b},{filler}\n"));
        }
        assert!(plain.len() > BLOCK_BYTES);
        // The same data through the csv crate (a quote in the first block).
        let quoted = plain.replacen("0,0.5,", "\"0\",0.5,", 1);
        let opts = ReadOptions {
            columns: Some(vec!["a".into(), "b".into()]),
            ..ReadOptions::default()
        };
        let fast = read_from(Path::new("t"), plain.as_bytes(), CSV, &opts).expect("fast");
        let slow = read_from(Path::new("t"), quoted.as_bytes(), CSV, &opts).expect("slow");
        assert_eq!(fast, slow);
        // From a file, whose size sizes the numeric columns after the first block.
        let dir = std::env::temp_dir().join(format!("airm-reader-blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("data.csv");
        std::fs::write(&p, &plain).expect("write");
        let from_file = read_table(&p, &opts);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(from_file.expect("file"), fast);
        let a = fast.column("a").expect("a");
        let want: Vec<f64> = (0..rows).map(f64::from).collect();
        assert_eq!(a.values, Values::Numeric(want));
        let b = fast.column("b").expect("b");
        let Values::Categorical(m) = &b.values else {
            panic!("categorical")
        };
        assert_eq!((m.get("text"), m.get("3.5")), (Some(&1), Some(&24_286)));
        assert_eq!((fast.rows, b.seen, b.count()), (170_000, 170_000, 170_000));
    }

    #[test]
    fn errors_in_later_chunks_and_blocks_name_their_line() {
        // ~150,000 rows of ~120 bytes: more than one block, each block in several chunks.
        // Line numbers come from the parts' own line counts (the block is not counted).
        let filler = "f".repeat(110);
        let mut rows: Vec<String> = (0..150_000).map(|i| format!("{i},{filler}")).collect();
        for bad in [3usize, 40_000, 149_000] {
            let saved = std::mem::replace(&mut rows[bad], "7".into());
            let mut text = String::from("a,b\n");
            for r in &rows {
                text.push_str(r);
                text.push('\n');
            }
            assert!(text.len() > BLOCK_BYTES);
            let e = read(text.as_bytes(), CSV).expect_err("ragged");
            // Line 1 is the header.
            assert_eq!(
                e.to_string(),
                format!("t:{}: 1 fields, but the header has 2", bad + 2)
            );
            rows[bad] = saved;
        }
        // An over-long line right after a block boundary names its own line.
        let opts = ReadOptions {
            max_line_bytes: 1000,
            ..ReadOptions::default()
        };
        let mut text = String::from("a,b\n");
        let mut n = 1u64;
        while text.len() < BLOCK_BYTES - 500 {
            text.push_str(&format!("1,{filler}\n"));
            n += 1;
        }
        text.push_str(&format!("1,{}\n", "g".repeat(5000)));
        let e = read_from(Path::new("t"), text.as_bytes(), CSV, &opts).expect_err("long");
        assert_eq!(
            e.to_string(),
            format!("t:{}: line longer than 1000 bytes", n + 1)
        );
    }

    #[test]
    fn short_fields_end_at_the_delimiter_or_the_line() {
        let key = |b: &[u8]| {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(w) | ((b.len() as u64) << 56)
        };
        let chunk = b"c16,x,,abcdefgh,ab\nzzzzzzzzz";
        assert_eq!(
            short_field(chunk, 0, &chunk[..18], b','),
            Some((3, key(b"c16")))
        );
        assert_eq!(
            short_field(chunk, 4, &chunk[4..18], b','),
            Some((1, key(b"x")))
        );
        assert_eq!(
            short_field(chunk, 6, &chunk[6..18], b','),
            Some((0, key(b"")))
        );
        // Eight bytes or more: not short.
        assert_eq!(short_field(chunk, 7, &chunk[7..18], b','), None);
        // The last field of a line ends at the line's end, whatever follows.
        assert_eq!(
            short_field(chunk, 16, &chunk[16..18], b','),
            Some((2, key(b"ab")))
        );
        // Fewer than eight bytes left in the chunk: not short.
        assert_eq!(short_field(b"ab,c", 0, b"ab,c", b','), None);
        assert_ne!(key(b"a"), key(b"a\0"));
    }

    #[test]
    fn short_repeats_hold_keys_past_their_slots() {
        // 300 keys: more than the slots, so probe sequences fill and keys go to the map.
        let keys: Vec<u64> = (1..=300u64).map(|k| k | (2 << 56)).collect();
        let mut r = ShortRepeats::new();
        assert!(r.get_mut(0).is_none());
        for &k in &keys {
            assert!(r.get_mut(k).is_none());
            r.insert(k);
        }
        assert!(!r.more.is_empty());
        for (n, &k) in keys.iter().enumerate() {
            for _ in 0..n % 3 {
                *r.get_mut(k).expect("held") += 1;
            }
        }
        assert!(r.get_mut(0).is_none());
        assert_eq!(r.len(), 300);
        let mut got: Vec<(u64, u64)> = r.drain().collect();
        got.sort_unstable();
        let want: Vec<(u64, u64)> = keys
            .iter()
            .enumerate()
            .map(|(n, &k)| (k, (n % 3) as u64))
            .collect();
        assert_eq!(got, want);
        assert_eq!(r.len(), 0);
        assert!(r.get_mut(keys[0]).is_none());
    }

    #[test]
    fn repeated_text_is_counted_and_numbers_join_as_categories() {
        let t = read(b"a,b\nx,1\ny,2\nx,3\n1.50,4\n x,5\n", CSV).expect("read");
        let a = t.column("a").expect("a");
        let Values::Categorical(m) = &a.values else {
            panic!("categorical")
        };
        assert_eq!(
            (m.get("x"), m.get("y"), m.get("1.5")),
            (Some(&3), Some(&1), Some(&1))
        );
        assert_eq!((a.seen, a.missing, a.count()), (5, 0, 5));
        let opts = ReadOptions {
            numeric: vec!["a".into()],
            ..ReadOptions::default()
        };
        let e = read_from(Path::new("t"), &b"a\n1\nx\nx\n"[..], CSV, &opts).expect_err("text");
        assert!(
            e.to_string().starts_with("t:3: column `a` is numeric"),
            "{e}"
        );
    }

    #[test]
    fn jsonl_keys_absent_are_missing() {
        let t = read(
            b"{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2}\n{\"b\": null, \"c\": true}\n",
            FileFormat::JsonLines,
        )
        .expect("read");
        assert_eq!(t.rows, 3);
        assert_eq!(t.column("a").expect("a").missing, 1);
        assert_eq!(t.column("b").expect("b").missing, 2);
        let c = t.column("c").expect("c");
        assert_eq!((c.missing, c.count()), (2, 1));
    }
}
