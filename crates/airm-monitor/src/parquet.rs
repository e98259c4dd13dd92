//! Parquet input (cargo feature `parquet`): the readers of [`crate::reader`] and
//! [`crate::event`] for Parquet files, through the `parquet` crate's record API (no Arrow).
//!
//! Cells map to the same kinds as the text formats: integers, floats and decimals are
//! numbers (NaN and ±∞ are missing values; in an event's `score`, `prediction` or `label`
//! they are invalid, as the text `NaN` is in CSV), strings are classified like a CSV cell (`"1.5"` is a
//! number, `"NA"` missing), booleans are the categories `true`/`false`, dates, times and
//! timestamps are categories in ISO 8601 form (timestamps at millisecond precision), nulls
//! are missing. Nested columns (groups, lists, maps) are an error.
//!
//! Bounds: the footer's row count times the selected columns must not exceed
//! [`ReadOptions::max_values`] (checked before any page is read), the number of columns is
//! capped by [`ReadOptions::max_columns`], categories by `max_categories`. Compression
//! codecs built in: uncompressed, Snappy, gzip and LZ4 (raw and Hadoop); a file using
//! another codec (zstd, Brotli, LZO) is an error naming it. A corrupt or truncated file is an
//! error; a panic inside the `parquet` crate on a malformed file is caught and reported as a
//! corrupt file.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use airm_core::Timestamp;
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};
use parquet::record::{Field, Row};
use parquet::schema::types::Type;
use rayon::prelude::*;

use crate::error::{MonitorError, Result};
use crate::reader::ReadOptions;
use crate::table::{classify_str, Cell, Column, Table};

/// The four bytes at the start and at the end of every Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// One Parquet cell as the readers see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Missing,
    Number(f64),
    /// NaN or ±∞: missing in a table; in an event field where a number is required, an
    /// invalid value (as the text `NaN` in CSV).
    NonFinite(f64),
    /// Text, classified like a CSV cell by the table reader.
    Text(Cow<'a, str>),
    /// `true` / `false`.
    Bool(bool),
}

#[allow(clippy::cast_precision_loss)]
fn scalar<'a>(name: &str, f: &'a Field) -> std::result::Result<Scalar<'a>, String> {
    let finite = |x: f64| {
        if x.is_finite() {
            Scalar::Number(x)
        } else {
            Scalar::NonFinite(x)
        }
    };
    Ok(match f {
        Field::Null => Scalar::Missing,
        Field::Bool(b) => Scalar::Bool(*b),
        Field::Byte(x) => Scalar::Number(f64::from(*x)),
        Field::Short(x) => Scalar::Number(f64::from(*x)),
        Field::Int(x) => Scalar::Number(f64::from(*x)),
        Field::Long(x) => Scalar::Number(*x as f64),
        Field::UByte(x) => Scalar::Number(f64::from(*x)),
        Field::UShort(x) => Scalar::Number(f64::from(*x)),
        Field::UInt(x) => Scalar::Number(f64::from(*x)),
        Field::ULong(x) => Scalar::Number(*x as f64),
        Field::Float16(x) => finite(x.to_f64()),
        Field::Float(x) => finite(f64::from(*x)),
        Field::Double(x) => finite(*x),
        Field::Decimal(_) => Scalar::Text(Cow::Owned(f.to_string())),
        Field::Str(s) => Scalar::Text(Cow::Borrowed(s.as_str())),
        Field::Bytes(b) => match std::str::from_utf8(b.data()) {
            Ok(s) => Scalar::Text(Cow::Borrowed(s)),
            Err(_) => return Err(format!("column `{name}`: a binary value is not UTF-8")),
        },
        Field::Date(d) => Scalar::Text(Cow::Owned(date(i64::from(*d)))),
        Field::TimeMillis(ms) => Scalar::Text(Cow::Owned(time_of_day(i64::from(*ms)))),
        Field::TimeMicros(us) => Scalar::Text(Cow::Owned(time_of_day(us.div_euclid(1000)))),
        Field::TimestampMillis(ms) => Scalar::Text(Cow::Owned(Timestamp(*ms).to_string())),
        Field::TimestampMicros(us) => {
            Scalar::Text(Cow::Owned(Timestamp(us.div_euclid(1000)).to_string()))
        }
        Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) => {
            return Err(nested(name));
        }
    })
}

fn nested(name: &str) -> String {
    format!("column `{name}` is nested (group, list or map): only flat columns are supported")
}

/// `YYYY-MM-DD` of a day number since 1970-01-01.
fn date(days: i64) -> String {
    let s = Timestamp(days.saturating_mul(86_400_000)).to_string();
    s.split('T').next().unwrap_or_default().to_string()
}

fn time_of_day(ms: i64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

impl Scalar<'_> {
    /// The text a CSV file would hold for this cell (empty when missing).
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Scalar::Missing => Cow::Borrowed(""),
            Scalar::Number(x) | Scalar::NonFinite(x) => Cow::Owned(x.to_string()),
            Scalar::Text(s) => Cow::Borrowed(s),
            Scalar::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }

    fn cell(&self) -> Cell<'_> {
        match self {
            Scalar::Missing | Scalar::NonFinite(_) => Cell::Missing,
            Scalar::Number(x) => Cell::Number(*x),
            Scalar::Text(s) => classify_str(s),
            Scalar::Bool(b) => Cell::Text(if *b { "true" } else { "false" }),
        }
    }
}

/// Whether `head` (the first bytes of a file) starts with the Parquet magic.
pub fn has_magic(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

fn file_err(path: &Path, message: impl Into<String>) -> MonitorError {
    MonitorError::File {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn corrupt(path: &Path, e: &parquet::errors::ParquetError) -> MonitorError {
    let msg = e.to_string();
    if msg.contains("codec") || msg.contains("not supported") || msg.contains("Disabled feature") {
        return file_err(
            path,
            format!(
                "Parquet: {msg} (supported codecs: uncompressed, Snappy, gzip, LZ4; \
                 rewrite the file with one of them)"
            ),
        );
    }
    file_err(path, format!("not a readable Parquet file: {msg}"))
}

/// Runs `f`, turning a panic inside the `parquet` crate into an error.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(file_err(
            path,
            "corrupt Parquet file (the decoder failed on malformed data)",
        )),
    }
}

/// Opens a Parquet file (already known or claimed to be one): checks both magics first so a
/// truncated file gets a clear message.
fn open<R: ChunkReader + 'static>(path: &Path, r: R) -> Result<SerializedFileReader<R>> {
    let len = r.len();
    if len < 12 {
        return Err(file_err(
            path,
            format!("truncated Parquet file ({len} bytes)"),
        ));
    }
    let head = r.get_bytes(0, 4).map_err(|e| corrupt(path, &e))?;
    let tail = r.get_bytes(len - 4, 4).map_err(|e| corrupt(path, &e))?;
    if head.as_ref() != MAGIC {
        return Err(file_err(
            path,
            "not a Parquet file (no PAR1 magic at the start)",
        ));
    }
    if tail.as_ref() != MAGIC {
        return Err(file_err(
            path,
            "truncated or corrupt Parquet file (no PAR1 magic at the end)",
        ));
    }
    SerializedFileReader::new(r).map_err(|e| corrupt(path, &e))
}

/// The top-level columns to read, after the checks on their number and kind.
fn selected(path: &Path, schema: &Type, opts: &ReadOptions) -> Result<Vec<Arc<Type>>> {
    let fields = schema.get_fields();
    if fields.len() > opts.max_columns {
        return Err(file_err(
            path,
            format!("{} columns (at most {})", fields.len(), opts.max_columns),
        ));
    }
    let mut out = Vec::new();
    for f in fields {
        if !opts.wanted(f.name()) {
            continue;
        }
        if !f.is_primitive() {
            return Err(file_err(
                path,
                format!("{}; select flat columns with --columns", nested(f.name())),
            ));
        }
        out.push(f.clone());
    }
    Ok(out)
}

/// The projection of the file's schema on `cols` (it must keep the root's name).
fn projection(
    root: &Type,
    cols: &[Arc<Type>],
) -> std::result::Result<Type, parquet::errors::ParquetError> {
    Type::group_type_builder(root.name())
        .with_fields(cols.to_vec())
        .build()
}

/// Reads a Parquet file from disk into a table. Pages are read by position (`pread`), so
/// row groups decode in parallel without sharing a file offset, and every read is checked
/// against the file's length before any buffer is allocated.
#[cfg(unix)]
pub(crate) fn read_file(path: &Path, file: std::fs::File, opts: &ReadOptions) -> Result<Table> {
    let len = file
        .metadata()
        .map_err(|source| MonitorError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    read_table(
        path,
        PosFile {
            file: Arc::new(file),
            len,
        },
        opts,
    )
}

/// Reads a Parquet file from disk into a table (read into memory first).
#[cfg(not(unix))]
pub(crate) fn read_file(path: &Path, file: std::fs::File, opts: &ReadOptions) -> Result<Table> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut file = file;
    file.read_to_end(&mut bytes)
        .map_err(|source| MonitorError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    read_table(path, bytes::Bytes::from(bytes), opts)
}

#[cfg(unix)]
struct PosFile {
    file: Arc<std::fs::File>,
    len: u64,
}

#[cfg(unix)]
struct PosRead {
    file: Arc<std::fs::File>,
    pos: u64,
    end: u64,
}

#[cfg(unix)]
impl std::io::Read for PosRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let left = usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let n = buf.len().min(left);
        let k = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += k as u64;
        Ok(k)
    }
}

#[cfg(unix)]
impl parquet::file::reader::Length for PosFile {
    fn len(&self) -> u64 {
        self.len
    }
}

#[cfg(unix)]
impl ChunkReader for PosFile {
    type T = std::io::BufReader<PosRead>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        if start > self.len {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "offset {start} past the end of the file ({} bytes)",
                self.len
            )));
        }
        Ok(std::io::BufReader::new(PosRead {
            file: self.file.clone(),
            pos: start,
            end: self.len,
        }))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        use std::os::unix::fs::FileExt;
        if start.saturating_add(length as u64) > self.len {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} bytes at offset {start} past the end of the file ({} bytes)",
                self.len
            )));
        }
        let mut buf = vec![0u8; length];
        self.file.read_exact_at(&mut buf, start)?;
        Ok(buf.into())
    }
}

/// Reads a Parquet file into a table.
pub(crate) fn read_table<R: ChunkReader + 'static>(
    path: &Path,
    r: R,
    opts: &ReadOptions,
) -> Result<Table> {
    guarded(path, || read_table_inner(path, r, opts))
}

fn read_table_inner<R: ChunkReader + 'static>(
    path: &Path,
    r: R,
    opts: &ReadOptions,
) -> Result<Table> {
    let reader = open(path, r)?;
    let meta = reader.metadata();
    let cols = selected(path, meta.file_metadata().schema(), opts)?;
    let rows = u64::try_from(meta.file_metadata().num_rows()).unwrap_or(u64::MAX);
    let cells = rows.saturating_mul(cols.len() as u64);
    if cells > opts.max_values {
        return Err(file_err(
            path,
            format!(
                "{rows} rows × {} columns is more than {} values; select fewer columns, or \
                 profile the data in shards",
                cols.len(),
                opts.max_values
            ),
        ));
    }
    let proj = projection(meta.file_metadata().schema(), &cols).map_err(|e| corrupt(path, &e))?;
    let template: Vec<Column> = cols
        .iter()
        .map(|c| Column::new(c.name(), opts.forced(c.name())))
        .collect();
    let pushed = AtomicU64::new(0);
    let groups = reader.num_row_groups();
    // Row groups in parallel, joined in file order.
    let parts: Vec<Result<(u64, Vec<Column>)>> = (0..groups)
        .into_par_iter()
        .map(|g| {
            guarded(path, || {
                let rg = reader.get_row_group(g).map_err(|e| corrupt(path, &e))?;
                read_group(path, rg.as_ref(), &proj, &template, opts, &pushed)
            })
        })
        .collect();
    let mut columns = template.clone();
    let mut total = 0u64;
    for part in parts {
        let (n, part) = part?;
        total += n;
        for (acc, c) in columns.iter_mut().zip(part) {
            acc.merge(c, opts.max_categories);
        }
    }
    if total != rows {
        return Err(file_err(
            path,
            format!(
                "corrupt Parquet file: the footer says {rows} rows, the row groups hold {total}"
            ),
        ));
    }
    Ok(Table {
        columns,
        rows: total,
    })
}

fn read_group(
    path: &Path,
    rg: &dyn RowGroupReader,
    proj: &Type,
    template: &[Column],
    opts: &ReadOptions,
    pushed: &AtomicU64,
) -> Result<(u64, Vec<Column>)> {
    let mut cols = template.to_vec();
    let mut rows = 0u64;
    let iter = rg
        .get_row_iter(Some(proj.clone()))
        .map_err(|e| corrupt(path, &e))?;
    for row in iter {
        let row = row.map_err(|e| corrupt(path, &e))?;
        rows += 1;
        push_row(&row, &mut cols, opts).map_err(|m| file_err(path, format!("row {rows}: {m}")))?;
        // The footer check bounds a well-formed file; this bounds one that lies.
        if pushed.fetch_add(cols.len() as u64, Ordering::Relaxed) > opts.max_values {
            return Err(file_err(
                path,
                format!("more than {} values", opts.max_values),
            ));
        }
    }
    Ok((rows, cols))
}

fn push_row(row: &Row, cols: &mut [Column], opts: &ReadOptions) -> std::result::Result<(), String> {
    for ((name, field), col) in row.get_column_iter().zip(cols.iter_mut()) {
        let s = scalar(name, field)?;
        col.push(s.cell(), opts.max_categories)?;
    }
    Ok(())
}

/// Reads the rows of a Parquet file as (column names, rows of cells) for event ingestion,
/// at most `max_rows` rows (more is an error) and `max_columns` columns.
pub(crate) fn read_rows<R: ChunkReader + 'static>(
    path: &Path,
    r: R,
    max_rows: usize,
    max_columns: usize,
    mut each: impl FnMut(&[String], &[Scalar<'_>]) -> Result<()>,
) -> Result<()> {
    guarded(path, || {
        let reader = open(path, r)?;
        let opts = ReadOptions {
            max_columns,
            ..ReadOptions::default()
        };
        let cols = selected(path, reader.metadata().file_metadata().schema(), &opts)?;
        let names: Vec<String> = cols.iter().map(|c| c.name().to_string()).collect();
        let rows = reader.metadata().file_metadata().num_rows();
        if usize::try_from(rows).map_or(true, |n| n > max_rows) {
            return Err(MonitorError::TooMany { max: max_rows });
        }
        let proj = projection(reader.metadata().file_metadata().schema(), &cols)
            .map_err(|e| corrupt(path, &e))?;
        let mut n = 0usize;
        for row in reader
            .get_row_iter(Some(proj))
            .map_err(|e| corrupt(path, &e))?
        {
            let row = row.map_err(|e| corrupt(path, &e))?;
            n += 1;
            if n > max_rows {
                return Err(MonitorError::TooMany { max: max_rows });
            }
            let cells = row
                .get_column_iter()
                .map(|(name, field)| scalar(name, field))
                .collect::<std::result::Result<Vec<_>, String>>()
                .map_err(|m| file_err(path, format!("row {n}: {m}")))?;
            each(&names, &cells)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_codecs_name_the_supported_ones() {
        let e =
            parquet::errors::ParquetError::General("Disabled feature at compile time: zstd".into());
        let m = corrupt(Path::new("t"), &e).to_string();
        assert_eq!(
            m,
            "t: Parquet: Parquet error: Disabled feature at compile time: zstd (supported \
             codecs: uncompressed, Snappy, gzip, LZ4; rewrite the file with one of them)"
        );
    }

    #[test]
    fn dates_and_times_are_iso_8601() {
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(time_of_day(3_723_004), "01:02:03.004");
        let f = Field::TimestampMicros(1_700_000_000_123_456);
        assert_eq!(
            scalar("t", &f),
            Ok(Scalar::Text(Cow::Borrowed("2023-11-14T22:13:20.123Z")))
        );
        assert_eq!(
            scalar("x", &Field::Double(f64::INFINITY)).map(|s| s.text().into_owned()),
            Ok("inf".to_string())
        );
    }
}
