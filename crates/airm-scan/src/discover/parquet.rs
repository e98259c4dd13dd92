//! Parquet footers, read by hand: the file ends with the `FileMetaData` structure in the
//! Thrift compact protocol, its length (4 bytes, little-endian) and the magic `PAR1`. The
//! reader takes the row count, the number of row groups, the writer (`created_by`) and the
//! schema's column names from it, and nothing else: no page, no value, no decompression.
//!
//! Bounded for untrusted input: the footer is read only up to [`MAX_FOOTER`] bytes, every
//! length is checked against the bytes left, nesting is limited to [`MAX_DEPTH`], and at
//! most [`MAX_SCHEMA`] schema elements are kept. A damaged footer is an error, never a panic.

use std::io::{Read, Seek, SeekFrom};

use super::table::{TableError, TableInfo};

/// Largest footer read (`FileMetaData` of very wide files or many row groups is larger; such
/// files are reported without columns).
pub const MAX_FOOTER: u64 = 16 * 1024 * 1024;
/// Deepest nesting of Thrift structures and containers followed.
pub const MAX_DEPTH: u32 = 64;
/// Most schema elements kept.
pub const MAX_SCHEMA: usize = 100_000;

const MAGIC: &[u8; 4] = b"PAR1";
/// Magic of Parquet files whose footer is encrypted.
const MAGIC_ENCRYPTED: &[u8; 4] = b"PARE";

/// Reads the footer of a Parquet file of `size` bytes.
pub fn read<R: Read + Seek>(r: &mut R, size: u64) -> Result<TableInfo, TableError> {
    if size < 12 {
        return Err(TableError::Damaged(
            "file too short for a Parquet footer".into(),
        ));
    }
    let mut tail = [0u8; 8];
    r.seek(SeekFrom::Start(size - 8))?;
    r.read_exact(&mut tail)?;
    let (len, magic) = tail.split_at(4);
    if magic == MAGIC_ENCRYPTED {
        return Err(TableError::Encrypted);
    }
    if magic != MAGIC {
        return Err(TableError::Damaged("no PAR1 magic at the end".into()));
    }
    let len = u64::from(u32::from_le_bytes(len.try_into().unwrap_or([0; 4])));
    if len > size - 12 {
        return Err(TableError::Damaged(format!(
            "footer length {len} exceeds the file"
        )));
    }
    if len > MAX_FOOTER {
        return Err(TableError::TooLarge(len));
    }
    r.seek(SeekFrom::Start(size - 8 - len))?;
    let mut footer = Vec::new();
    r.take(len).read_to_end(&mut footer)?;
    if footer.len() as u64 != len {
        return Err(TableError::Damaged("footer cut short".into()));
    }
    parse_footer(&footer)
}

/// Parses a Thrift-compact `FileMetaData` (the footer without length and magic).
pub fn parse_footer(b: &[u8]) -> Result<TableInfo, TableError> {
    let mut c = Compact { b, pos: 0 };
    let mut rows = None;
    let mut row_groups = None;
    let mut created_by = None;
    let mut schema: Vec<(String, u64)> = Vec::new();
    let mut last = 0i16;
    while let Some((id, typ)) = c.field_header(&mut last)? {
        match (id, typ) {
            (2, LIST) => {
                let (n, elem) = c.list_header()?;
                for _ in 0..n {
                    if elem != STRUCT {
                        c.skip(elem, true, 1)?;
                        continue;
                    }
                    let el = c.schema_element()?;
                    if schema.len() < MAX_SCHEMA {
                        schema.push(el);
                    }
                }
            }
            (3, I64) => rows = Some(u64::try_from(c.zigzag()?).unwrap_or(0)),
            (4, LIST) => {
                let (n, elem) = c.list_header()?;
                for _ in 0..n {
                    c.skip(elem, true, 1)?;
                }
                row_groups = Some(n);
            }
            (6, BINARY) => {
                created_by = Some(String::from_utf8_lossy(c.binary()?).into_owned());
            }
            (_, t) => c.skip(t, false, 0)?,
        }
    }
    if schema.is_empty() {
        return Err(TableError::Damaged("footer has no schema".into()));
    }
    let (columns, nested) = columns(&schema);
    Ok(TableInfo {
        rows,
        columns,
        nested,
        batches: row_groups,
        created_by,
    })
}

/// Top-level column names and the dotted paths of fields nested below them, from the
/// depth-first list of schema elements (`(name, number of children)`; the first is the
/// root).
fn columns(schema: &[(String, u64)]) -> (Vec<String>, Vec<String>) {
    let mut top = Vec::new();
    let mut nested = Vec::new();
    // A stack of (path prefix, children still to come).
    let Some(((_, root_children), rest)) = schema.split_first() else {
        return (top, nested);
    };
    let mut stack: Vec<(String, u64)> = vec![(String::new(), *root_children)];
    for (name, children) in rest {
        while stack.last().is_some_and(|(_, left)| *left == 0) {
            stack.pop();
        }
        let Some((prefix, left)) = stack.last_mut() else {
            break;
        };
        *left -= 1;
        let path = if prefix.is_empty() {
            top.push(name.clone());
            name.clone()
        } else {
            let p = format!("{prefix}.{name}");
            nested.push(p.clone());
            p
        };
        if *children > 0 && stack.len() < MAX_DEPTH as usize {
            stack.push((path, *children));
        }
    }
    (top, nested)
}

const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// A reader of the Thrift compact protocol over bytes in memory.
struct Compact<'a> {
    b: &'a [u8],
    pos: usize,
}

fn damaged(what: &str) -> TableError {
    TableError::Damaged(format!("Parquet footer: {what}"))
}

impl<'a> Compact<'a> {
    fn left(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, TableError> {
        let v = *self.b.get(self.pos).ok_or_else(|| damaged("cut short"))?;
        self.pos += 1;
        Ok(v)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], TableError> {
        let end = self.pos.checked_add(n).ok_or_else(|| damaged("length"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| damaged("cut short"))?;
        self.pos = end;
        Ok(s)
    }

    fn varint(&mut self) -> Result<u64, TableError> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(damaged("varint too long"))
    }

    fn zigzag(&mut self) -> Result<i64, TableError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn binary(&mut self) -> Result<&'a [u8], TableError> {
        let n = usize::try_from(self.varint()?).map_err(|_| damaged("length"))?;
        self.bytes(n)
    }

    /// The next field's id and type, `None` at the end of a structure.
    fn field_header(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, TableError> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let delta = i16::from(b >> 4);
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| damaged("field id"))?
        } else {
            last.saturating_add(delta)
        };
        *last = id;
        Ok(Some((id, b & 0x0f)))
    }

    /// A list's (or set's) size and element type. Every element takes at least one byte,
    /// so a size beyond the bytes left is damage.
    fn list_header(&mut self) -> Result<(u64, u8), TableError> {
        let b = self.byte()?;
        let mut n = u64::from(b >> 4);
        if n == 15 {
            n = self.varint()?;
        }
        if n > self.left() as u64 {
            return Err(damaged("list longer than the footer"));
        }
        Ok((n, b & 0x0f))
    }

    /// Skips a value of type `typ` (`in_list`: booleans take a byte there).
    fn skip(&mut self, typ: u8, in_list: bool, depth: u32) -> Result<(), TableError> {
        if depth > MAX_DEPTH {
            return Err(damaged("nested too deeply"));
        }
        match typ {
            BOOL_TRUE | BOOL_FALSE if !in_list => {}
            BOOL_TRUE | BOOL_FALSE | BYTE => {
                self.byte()?;
            }
            I16 | I32 | I64 => {
                self.varint()?;
            }
            DOUBLE => {
                self.bytes(8)?;
            }
            BINARY => {
                self.binary()?;
            }
            LIST | SET => {
                let (n, elem) = self.list_header()?;
                for _ in 0..n {
                    self.skip(elem, true, depth + 1)?;
                }
            }
            MAP => {
                let n = self.varint()?;
                if n > 0 {
                    if n.saturating_mul(2) > self.left() as u64 {
                        return Err(damaged("map longer than the footer"));
                    }
                    let kv = self.byte()?;
                    for _ in 0..n {
                        self.skip(kv >> 4, true, depth + 1)?;
                        self.skip(kv & 0x0f, true, depth + 1)?;
                    }
                }
            }
            STRUCT => {
                let mut last = 0i16;
                while let Some((_, t)) = self.field_header(&mut last)? {
                    self.skip(t, false, depth + 1)?;
                }
            }
            _ => return Err(damaged("unknown type")),
        }
        Ok(())
    }

    /// A `SchemaElement`: its name (field 4) and number of children (field 5).
    fn schema_element(&mut self) -> Result<(String, u64), TableError> {
        let mut name = String::new();
        let mut children = 0u64;
        let mut last = 0i16;
        while let Some((id, typ)) = self.field_header(&mut last)? {
            match (id, typ) {
                (4, BINARY) => name = String::from_utf8_lossy(self.binary()?).into_owned(),
                (5, I32) => children = u64::try_from(self.zigzag()?).unwrap_or(0),
                (_, t) => self.skip(t, false, 1)?,
            }
        }
        Ok((name, children))
    }
}

/// Writers of tiny Parquet footers for tests and fuzzing seeds (Thrift compact encoding
/// of the few fields the reader looks at; no pages).
pub mod build {
    /// A column of a test file: a name, or a group with children.
    #[derive(Debug, Clone)]
    pub enum Column {
        /// A leaf column (type INT64).
        Leaf(String),
        /// A group with children.
        Group(String, Vec<Column>),
    }

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn zigzag(v: i64, out: &mut Vec<u8>) {
        varint(((v << 1) ^ (v >> 63)) as u64, out);
    }

    fn field(delta: u8, typ: u8, out: &mut Vec<u8>) {
        out.push(delta << 4 | typ);
    }

    fn string(s: &str, out: &mut Vec<u8>) {
        varint(s.len() as u64, out);
        out.extend_from_slice(s.as_bytes());
    }

    fn element(name: &str, children: Option<usize>, out: &mut Vec<u8>) {
        if children.is_none() {
            field(1, super::I32, out); // 1: type = INT64
            zigzag(2, out);
            field(2, super::I32, out); // 3: repetition = OPTIONAL
            zigzag(1, out);
            field(1, super::BINARY, out); // 4: name
        } else {
            field(4, super::BINARY, out); // 4: name
        }
        string(name, out);
        if let Some(n) = children {
            field(1, super::I32, out); // 5: num_children
            zigzag(n as i64, out);
        }
        out.push(0);
    }

    fn flatten(cols: &[Column], out: &mut Vec<(String, Option<usize>)>) {
        for c in cols {
            match c {
                Column::Leaf(n) => out.push((n.clone(), None)),
                Column::Group(n, kids) => {
                    out.push((n.clone(), Some(kids.len())));
                    flatten(kids, out);
                }
            }
        }
    }

    /// The Thrift-compact `FileMetaData` of a file with these columns and rows.
    pub fn footer(columns: &[Column], rows: i64, row_groups: usize) -> Vec<u8> {
        let mut els = vec![("schema".to_string(), Some(columns.len()))];
        flatten(columns, &mut els);
        let mut out = Vec::new();
        field(1, super::I32, &mut out); // 1: version
        zigzag(2, &mut out);
        field(1, super::LIST, &mut out); // 2: schema
        if els.len() < 15 {
            out.push((els.len() as u8) << 4 | super::STRUCT);
        } else {
            out.push(0xf0 | super::STRUCT);
            varint(els.len() as u64, &mut out);
        }
        for (n, kids) in &els {
            element(n, *kids, &mut out);
        }
        field(1, super::I64, &mut out); // 3: num_rows
        zigzag(rows, &mut out);
        field(1, super::LIST, &mut out); // 4: row_groups
        out.push((row_groups.min(14) as u8) << 4 | super::STRUCT);
        for _ in 0..row_groups.min(14) {
            // RowGroup: 1: columns (empty list), 2: total_byte_size, 3: num_rows.
            field(1, super::LIST, &mut out);
            out.push(super::STRUCT);
            field(1, super::I64, &mut out);
            zigzag(0, &mut out);
            field(1, super::I64, &mut out);
            zigzag(rows, &mut out);
            out.push(0);
        }
        field(2, super::BINARY, &mut out); // 6: created_by
        string("airm test writer", &mut out);
        out.push(0);
        out
    }

    /// A whole file: magic, no data pages, the footer, its length and the magic.
    pub fn file(columns: &[Column], rows: i64, row_groups: usize) -> Vec<u8> {
        let f = footer(columns, rows, row_groups);
        let mut out = super::MAGIC.to_vec();
        out.extend_from_slice(&f);
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(super::MAGIC);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::{file, Column};
    use super::*;

    fn leaf(n: &str) -> Column {
        Column::Leaf(n.to_string())
    }

    #[test]
    fn reads_rows_and_columns() {
        let cols = vec![
            leaf("id"),
            leaf("email"),
            Column::Group(
                "customer".into(),
                vec![
                    leaf("phone"),
                    Column::Group("home".into(), vec![leaf("zip")]),
                ],
            ),
            leaf("score"),
        ];
        let data = file(&cols, 1234, 3);
        let info = read(&mut std::io::Cursor::new(&data), data.len() as u64).unwrap();
        assert_eq!(info.rows, Some(1234));
        assert_eq!(info.batches, Some(3));
        assert_eq!(info.columns, vec!["id", "email", "customer", "score"]);
        assert_eq!(
            info.nested,
            vec!["customer.phone", "customer.home", "customer.home.zip"]
        );
        assert_eq!(info.created_by.as_deref(), Some("airm test writer"));
    }

    #[test]
    fn many_columns_use_the_long_list_header() {
        let cols: Vec<Column> = (0..40).map(|i| leaf(&format!("c{i}"))).collect();
        let data = file(&cols, 7, 1);
        let info = read(&mut std::io::Cursor::new(&data), data.len() as u64).unwrap();
        assert_eq!(info.columns.len(), 40);
        assert_eq!(info.columns.last().map(String::as_str), Some("c39"));
    }

    #[test]
    fn damage_is_an_error() {
        let data = file(&[leaf("a")], 1, 1);
        let n = data.len() as u64;
        // Every truncation of the footer, and a few byte flips, fail or parse; none panics.
        for cut in 0..data.len() {
            let _ = parse_footer(&data[4..cut.max(4)]);
        }
        let mut bad = data.clone();
        let len_at = data.len() - 8;
        bad[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            read(&mut std::io::Cursor::new(&bad), n),
            Err(TableError::Damaged(_))
        ));
        let mut enc = data.clone();
        enc[len_at + 4..].copy_from_slice(b"PARE");
        assert!(matches!(
            read(&mut std::io::Cursor::new(&enc), n),
            Err(TableError::Encrypted)
        ));
        assert!(read(&mut std::io::Cursor::new(b"PAR1PAR1"), 8).is_err());
        // A list claiming more elements than bytes left.
        assert!(parse_footer(&[0x19, 0xfc, 0xff, 0xff, 0x0f]).is_err());
        // Deep nesting of lists is cut off.
        let mut deep = vec![0x19];
        deep.extend(std::iter::repeat_n(0x19, 200));
        assert!(parse_footer(&deep).is_err());
    }
}
