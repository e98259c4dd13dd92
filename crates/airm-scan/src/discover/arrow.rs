//! Arrow IPC files (Feather v2, `.arrow`) and streams, read by hand: the file format ends
//! with a flatbuffer `Footer` (the schema and the places of the record batches), its length
//! (4 bytes) and the magic `ARROW1`; a stream is a sequence of messages, the first one the
//! schema. The reader takes the field names from the schema and the row count from the
//! `RecordBatch` headers (their `length`), and never reads the batches' bodies.
//!
//! Bounded for untrusted input: every offset is checked against the buffer, the footer is
//! read only up to [`MAX_FOOTER`] bytes and each message header up to [`MAX_MESSAGE`];
//! nesting is limited to [`MAX_DEPTH`], fields visited to [`MAX_FIELDS`] (flatbuffers may
//! share sub-objects, which could otherwise multiply the work) and batches read for the row
//! count to [`MAX_BATCHES`]. A damaged file is an error, never a panic.

use std::io::{Read, Seek, SeekFrom};

use super::table::{TableError, TableInfo};

/// Largest footer read.
pub const MAX_FOOTER: u64 = 16 * 1024 * 1024;
/// Largest message header (metadata) read.
pub const MAX_MESSAGE: u64 = 1024 * 1024;
/// Deepest nesting of fields followed.
pub const MAX_DEPTH: u32 = 64;
/// Most fields visited in a schema.
pub const MAX_FIELDS: usize = 10_000;
/// Most record batches whose headers are read for the row count (more: no row count).
pub const MAX_BATCHES: usize = 4096;
/// Most bytes of message headers read for the row count in all (more: no row count), so
/// batch places that all point at one large header cannot multiply the reading.
pub const MAX_HEADER_BYTES: u64 = 16 * 1024 * 1024;

const MAGIC: &[u8; 6] = b"ARROW1";
const CONTINUATION: u32 = 0xffff_ffff;
/// `MessageHeader` union tags.
const HEADER_SCHEMA: u8 = 1;
const HEADER_RECORD_BATCH: u8 = 3;

/// Reads the schema and row count of an Arrow IPC file or stream of `size` bytes.
pub fn read<R: Read + Seek>(r: &mut R, size: u64) -> Result<TableInfo, TableError> {
    let mut head = [0u8; 6];
    r.seek(SeekFrom::Start(0))?;
    if size < 8 {
        return Err(damaged("file too short"));
    }
    r.read_exact(&mut head)?;
    if &head == MAGIC {
        read_file(r, size)
    } else {
        read_stream(r, size)
    }
}

fn damaged(what: &str) -> TableError {
    TableError::Damaged(format!("Arrow IPC: {what}"))
}

fn read_exact_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> Result<Vec<u8>, TableError> {
    r.seek(SeekFrom::Start(at))?;
    let mut out = Vec::new();
    r.take(len).read_to_end(&mut out)?;
    if out.len() as u64 != len {
        return Err(damaged("cut short"));
    }
    Ok(out)
}

fn read_file<R: Read + Seek>(r: &mut R, size: u64) -> Result<TableInfo, TableError> {
    if size < 18 {
        return Err(damaged("file too short for a footer"));
    }
    let tail = read_exact_at(r, size - 10, 10)?;
    let (len, magic) = tail.split_at(4);
    if magic != MAGIC {
        return Err(damaged("no ARROW1 magic at the end"));
    }
    let len = u64::from(u32::from_le_bytes(len.try_into().unwrap_or([0; 4])));
    if len > size - 18 {
        return Err(damaged("footer length exceeds the file"));
    }
    if len > MAX_FOOTER {
        return Err(TableError::TooLarge(len));
    }
    let footer = read_exact_at(r, size - 10 - len, len)?;
    let (mut info, blocks, total) = parse_footer(&footer)?;
    info.batches = Some(total);
    let header_bytes: u64 = blocks.iter().map(|(_, m)| *m).fold(0, u64::saturating_add);
    if blocks.len() as u64 == total && header_bytes <= MAX_HEADER_BYTES {
        let mut rows = 0u64;
        for (offset, meta_len) in blocks {
            if meta_len > MAX_MESSAGE || offset.saturating_add(meta_len) > size {
                return Err(damaged("record batch outside the file"));
            }
            let meta = read_exact_at(r, offset, meta_len)?;
            let body = meta.get(prefix_len(&meta)?..).unwrap_or(&[]);
            let m = parse_message(body)?;
            if m.header_type == HEADER_RECORD_BATCH {
                rows = rows.saturating_add(m.rows.unwrap_or(0));
            }
        }
        info.rows = Some(rows);
    }
    Ok(info)
}

/// Bytes before the flatbuffer of an encapsulated message: the continuation marker (since
/// format 0.15) and the length.
fn prefix_len(meta: &[u8]) -> Result<usize, TableError> {
    let first = meta.get(..4).ok_or_else(|| damaged("message cut short"))?;
    Ok(if first == CONTINUATION.to_le_bytes() {
        8
    } else {
        4
    })
}

fn read_stream<R: Read + Seek>(r: &mut R, size: u64) -> Result<TableInfo, TableError> {
    let mut info: Option<TableInfo> = None;
    let mut pos = 0u64;
    let mut rows = 0u64;
    let mut batches = 0u64;
    let mut complete = false;
    let mut header_bytes = 0u64;
    for _ in 0..MAX_BATCHES.saturating_add(1) {
        if pos.saturating_add(4) > size {
            complete = true;
            break;
        }
        let word = read_exact_at(r, pos, 4)?;
        let mut len = u32::from_le_bytes(word.as_slice().try_into().unwrap_or([0; 4]));
        let mut start = pos + 4;
        if len == CONTINUATION {
            if start.saturating_add(4) > size {
                return Err(damaged("message cut short"));
            }
            let l = read_exact_at(r, start, 4)?;
            len = u32::from_le_bytes(l.as_slice().try_into().unwrap_or([0; 4]));
            start += 4;
        }
        if len == 0 {
            complete = true;
            break;
        }
        let len = u64::from(len);
        if len > MAX_MESSAGE {
            return Err(TableError::TooLarge(len));
        }
        if start.saturating_add(len) > size {
            return Err(damaged("message outside the file"));
        }
        header_bytes += len;
        if header_bytes > MAX_HEADER_BYTES {
            break;
        }
        let meta = read_exact_at(r, start, len)?;
        let m = parse_message(&meta)?;
        match (m.header_type, &info) {
            (HEADER_SCHEMA, None) => info = m.schema,
            (_, None) => return Err(damaged("stream does not start with a schema")),
            (HEADER_RECORD_BATCH, Some(_)) => {
                rows = rows.saturating_add(m.rows.unwrap_or(0));
                batches += 1;
            }
            _ => {}
        }
        pos = start
            .saturating_add(len)
            .saturating_add(m.body_len)
            .min(size);
    }
    let mut info = info.ok_or_else(|| damaged("no schema"))?;
    if complete {
        info.rows = Some(rows);
        info.batches = Some(batches);
    }
    Ok(info)
}

/// A flatbuffer in memory, read with every offset checked.
struct Fb<'a> {
    b: &'a [u8],
    budget: usize,
}

impl<'a> Fb<'a> {
    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N], TableError> {
        let end = at.checked_add(N).ok_or_else(|| damaged("offset"))?;
        self.b
            .get(at..end)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| damaged("offset outside the buffer"))
    }

    fn u16_at(&self, at: usize) -> Result<u16, TableError> {
        Ok(u16::from_le_bytes(self.bytes(at)?))
    }

    fn u32_at(&self, at: usize) -> Result<usize, TableError> {
        Ok(u32::from_le_bytes(self.bytes(at)?) as usize)
    }

    fn i64_at(&self, at: usize) -> Result<i64, TableError> {
        Ok(i64::from_le_bytes(self.bytes(at)?))
    }

    fn root(&self) -> Result<usize, TableError> {
        self.u32_at(0)
    }

    /// Where field `slot` of the table at `table` is stored, if present.
    fn field(&self, table: usize, slot: usize) -> Result<Option<usize>, TableError> {
        let soffset = i32::from_le_bytes(self.bytes(table)?);
        let vtable = i64::try_from(table)
            .ok()
            .and_then(|t| t.checked_sub(i64::from(soffset)))
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| damaged("vtable offset"))?;
        let vt_len = usize::from(self.u16_at(vtable)?);
        let at = 4 + 2 * slot;
        if at + 2 > vt_len {
            return Ok(None);
        }
        let off = usize::from(self.u16_at(vtable + at)?);
        Ok((off != 0).then(|| table.saturating_add(off)))
    }

    /// The object an offset field points to.
    fn deref(&self, table: usize, slot: usize) -> Result<Option<usize>, TableError> {
        match self.field(table, slot)? {
            Some(p) => Ok(Some(p.saturating_add(self.u32_at(p)?))),
            None => Ok(None),
        }
    }

    /// A vector field: its first element and length, checked against the buffer.
    fn vector(
        &self,
        table: usize,
        slot: usize,
        elem: usize,
    ) -> Result<Option<(usize, usize)>, TableError> {
        let Some(p) = self.deref(table, slot)? else {
            return Ok(None);
        };
        let n = self.u32_at(p)?;
        let start = p + 4;
        if n.saturating_mul(elem) > self.b.len().saturating_sub(start) {
            return Err(damaged("vector longer than the buffer"));
        }
        Ok(Some((start, n)))
    }

    fn string(&self, table: usize, slot: usize) -> Result<Option<String>, TableError> {
        let Some((start, n)) = self.vector(table, slot, 1)? else {
            return Ok(None);
        };
        let s = self.b.get(start..start + n).unwrap_or(&[]);
        Ok(Some(String::from_utf8_lossy(s).into_owned()))
    }

    /// The `i`-th table of a vector of tables.
    fn table_at(&self, start: usize, i: usize) -> Result<usize, TableError> {
        let e = start.saturating_add(i.saturating_mul(4));
        Ok(e.saturating_add(self.u32_at(e)?))
    }

    /// The names of a vector of `Field`s and, below them, their children's paths.
    fn fields(
        &mut self,
        (start, n): (usize, usize),
        prefix: &str,
        depth: u32,
        info: &mut TableInfo,
    ) -> Result<(), TableError> {
        if depth > MAX_DEPTH {
            return Err(damaged("fields nested too deeply"));
        }
        for i in 0..n {
            self.budget = self
                .budget
                .checked_sub(1)
                .ok_or_else(|| damaged("too many fields"))?;
            let f = self.table_at(start, i)?;
            let name = self.string(f, 0)?.unwrap_or_default();
            let path = if prefix.is_empty() {
                info.columns.push(name.clone());
                name
            } else {
                let p = format!("{prefix}.{name}");
                info.nested.push(p.clone());
                p
            };
            if let Some(children) = self.vector(f, 5, 4)? {
                self.fields(children, &path, depth + 1, info)?;
            }
        }
        Ok(())
    }

    /// The field names of the `Schema` table at `schema`.
    fn schema(&mut self, schema: usize) -> Result<TableInfo, TableError> {
        let mut info = TableInfo::default();
        if let Some(fields) = self.vector(schema, 1, 4)? {
            self.fields(fields, "", 0, &mut info)?;
        }
        Ok(info)
    }
}

/// Places of record batches: (offset, metadata length).
type Blocks = Vec<(u64, u64)>;

/// The schema of a `Footer` flatbuffer, the places of its first [`MAX_BATCHES`] record
/// batches, and their number.
fn parse_footer(b: &[u8]) -> Result<(TableInfo, Blocks, u64), TableError> {
    let mut fb = Fb {
        b,
        budget: MAX_FIELDS,
    };
    let root = fb.root()?;
    let schema = fb
        .deref(root, 1)?
        .ok_or_else(|| damaged("footer has no schema"))?;
    let info = fb.schema(schema)?;
    let mut blocks = Vec::new();
    let mut total = 0u64;
    // struct Block { offset: long; metaDataLength: int; (pad) bodyLength: long } — 24 bytes.
    if let Some((start, n)) = fb.vector(root, 3, 24)? {
        total = n as u64;
        for i in 0..n.min(MAX_BATCHES) {
            let at = start + 24 * i;
            let offset = fb.i64_at(at)?;
            let meta = i32::from_le_bytes(fb.bytes(at + 8)?);
            let (Ok(offset), Ok(meta)) = (u64::try_from(offset), u64::try_from(meta)) else {
                return Err(damaged("negative block offset or length"));
            };
            blocks.push((offset, meta));
        }
    }
    Ok((info, blocks, total))
}

/// What a message header says.
struct Message {
    header_type: u8,
    /// Rows of a record batch.
    rows: Option<u64>,
    /// The schema of a schema message.
    schema: Option<TableInfo>,
    /// Bytes of the body after the header.
    body_len: u64,
}

fn parse_message(b: &[u8]) -> Result<Message, TableError> {
    let mut fb = Fb {
        b,
        budget: MAX_FIELDS,
    };
    let root = fb.root()?;
    let header_type = match fb.field(root, 1)? {
        Some(p) => *fb.b.get(p).ok_or_else(|| damaged("message header"))?,
        None => 0,
    };
    let body_len = match fb.field(root, 3)? {
        Some(p) => u64::try_from(fb.i64_at(p)?).map_err(|_| damaged("negative body length"))?,
        None => 0,
    };
    let header = fb.deref(root, 2)?;
    let mut m = Message {
        header_type,
        rows: None,
        schema: None,
        body_len,
    };
    match (header_type, header) {
        (HEADER_SCHEMA, Some(h)) => m.schema = Some(fb.schema(h)?),
        (HEADER_RECORD_BATCH, Some(h)) => {
            let rows = match fb.field(h, 0)? {
                Some(p) => fb.i64_at(p)?,
                None => 0,
            };
            m.rows = Some(u64::try_from(rows).map_err(|_| damaged("negative row count"))?);
        }
        _ => {}
    }
    Ok(m)
}

/// Writers of tiny Arrow IPC files and streams for tests and fuzzing seeds: a schema of
/// 64-bit integer fields (struct fields with children where asked) and record batches
/// with the given row counts and empty bodies.
pub mod build {
    /// A field of a test schema: a name and its children.
    #[derive(Debug, Clone)]
    pub struct Field(pub String, pub Vec<Field>);

    /// A flatbuffer object to write.
    enum Node {
        /// Inline bytes of a scalar field.
        Scalar(Vec<u8>),
        Str(String),
        Table(Vec<Option<Node>>),
        Tables(Vec<Node>),
        /// A vector of structs: their bytes and count.
        Structs(Vec<u8>, u32),
    }

    fn patch(out: &mut [u8], at: usize, target: usize) {
        let v = (target - at) as u32;
        out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Writes objects front to back: every offset points forward, as flatbuffers require.
    fn write(out: &mut Vec<u8>, node: &Node) -> usize {
        match node {
            Node::Scalar(b) => {
                let at = out.len();
                out.extend_from_slice(b);
                at
            }
            Node::Str(s) => {
                let at = out.len();
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
                out.push(0);
                at
            }
            Node::Structs(bytes, n) => {
                let at = out.len();
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(bytes);
                at
            }
            Node::Tables(items) => {
                let at = out.len();
                out.extend_from_slice(&(items.len() as u32).to_le_bytes());
                out.resize(out.len() + 4 * items.len(), 0);
                for (i, t) in items.iter().enumerate() {
                    let pos = write(out, t);
                    patch(out, at + 4 + 4 * i, pos);
                }
                at
            }
            Node::Table(fields) => {
                let vtable = out.len();
                let mut offsets = Vec::new();
                let mut size = 4usize;
                for f in fields {
                    match f {
                        None => offsets.push(0u16),
                        Some(Node::Scalar(b)) => {
                            offsets.push(size as u16);
                            size += b.len();
                        }
                        Some(_) => {
                            offsets.push(size as u16);
                            size += 4;
                        }
                    }
                }
                out.extend_from_slice(&((4 + 2 * offsets.len()) as u16).to_le_bytes());
                out.extend_from_slice(&(size as u16).to_le_bytes());
                for o in &offsets {
                    out.extend_from_slice(&o.to_le_bytes());
                }
                let table = out.len();
                out.extend_from_slice(&((table - vtable) as i32).to_le_bytes());
                let mut refs = Vec::new();
                for f in fields.iter().flatten() {
                    match f {
                        Node::Scalar(b) => out.extend_from_slice(b),
                        other => {
                            refs.push((out.len(), other));
                            out.extend_from_slice(&[0; 4]);
                        }
                    }
                }
                for (at, child) in refs {
                    let pos = write(out, child);
                    patch(out, at, pos);
                }
                table
            }
        }
    }

    fn buffer(root: &Node) -> Vec<u8> {
        let mut out = vec![0u8; 4];
        let pos = write(&mut out, root);
        patch(&mut out, 0, pos);
        while out.len() % 8 != 0 {
            out.push(0);
        }
        out
    }

    fn field(f: &Field) -> Node {
        // Field: name, nullable, type_type (2 = Int), type (Int { bitWidth: 64, is_signed }),
        // dictionary, children.
        let int = Node::Table(vec![
            Some(Node::Scalar(64i32.to_le_bytes().to_vec())),
            Some(Node::Scalar(vec![1])),
        ]);
        Node::Table(vec![
            Some(Node::Str(f.0.clone())),
            Some(Node::Scalar(vec![1])),
            Some(Node::Scalar(vec![if f.1.is_empty() { 2 } else { 13 }])),
            Some(if f.1.is_empty() {
                int
            } else {
                Node::Table(vec![])
            }),
            None,
            Some(Node::Tables(f.1.iter().map(field).collect())),
        ])
    }

    fn schema(fields: &[Field]) -> Node {
        Node::Table(vec![
            None,
            Some(Node::Tables(fields.iter().map(field).collect())),
        ])
    }

    fn message(header_type: u8, header: Node, body_len: i64) -> Vec<u8> {
        buffer(&Node::Table(vec![
            Some(Node::Scalar(4i16.to_le_bytes().to_vec())),
            Some(Node::Scalar(vec![header_type])),
            Some(header),
            Some(Node::Scalar(body_len.to_le_bytes().to_vec())),
        ]))
    }

    fn batch(rows: i64) -> Node {
        Node::Table(vec![
            Some(Node::Scalar(rows.to_le_bytes().to_vec())),
            Some(Node::Structs(Vec::new(), 0)),
            Some(Node::Structs(Vec::new(), 0)),
        ])
    }

    /// Appends an encapsulated message with a body of `body` zero bytes; returns its offset
    /// and metadata length (prefix included).
    fn encapsulate(out: &mut Vec<u8>, meta: &[u8], body: usize) -> (u64, u64) {
        let at = out.len() as u64;
        out.extend_from_slice(&super::CONTINUATION.to_le_bytes());
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(meta);
        let meta_len = out.len() as u64 - at;
        out.resize(out.len() + body, 0);
        (at, meta_len)
    }

    /// An IPC stream: the schema, one record batch per entry of `batches` (its rows), the
    /// end-of-stream marker.
    pub fn stream(fields: &[Field], batches: &[i64]) -> Vec<u8> {
        let mut out = Vec::new();
        encapsulate(&mut out, &message(1, schema(fields), 0), 0);
        for &rows in batches {
            encapsulate(&mut out, &message(3, batch(rows), 8), 8);
        }
        out.extend_from_slice(&super::CONTINUATION.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out
    }

    /// An IPC file (Feather v2): magic, the stream, the footer, its length, the magic.
    pub fn file(fields: &[Field], batches: &[i64]) -> Vec<u8> {
        let mut out = b"ARROW1\0\0".to_vec();
        encapsulate(&mut out, &message(1, schema(fields), 0), 0);
        let mut blocks = Vec::new();
        for &rows in batches {
            let (at, meta) = encapsulate(&mut out, &message(3, batch(rows), 8), 8);
            blocks.extend_from_slice(&(at as i64).to_le_bytes());
            blocks.extend_from_slice(&(meta as i32).to_le_bytes());
            blocks.extend_from_slice(&[0; 4]);
            blocks.extend_from_slice(&8i64.to_le_bytes());
        }
        out.extend_from_slice(&super::CONTINUATION.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let footer = buffer(&Node::Table(vec![
            Some(Node::Scalar(4i16.to_le_bytes().to_vec())),
            Some(schema(fields)),
            Some(Node::Structs(Vec::new(), 0)),
            Some(Node::Structs(blocks, batches.len() as u32)),
        ]));
        out.extend_from_slice(&footer);
        out.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        out.extend_from_slice(super::MAGIC);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::{file, stream, Field};
    use super::*;

    fn f(n: &str) -> Field {
        Field(n.to_string(), Vec::new())
    }

    fn fields() -> Vec<Field> {
        vec![
            f("id"),
            f("email"),
            Field("customer".into(), vec![f("phone"), f("dob")]),
        ]
    }

    #[test]
    fn reads_files_and_streams() {
        for data in [
            file(&fields(), &[10, 20, 5]),
            stream(&fields(), &[10, 20, 5]),
        ] {
            let info = read(&mut std::io::Cursor::new(&data), data.len() as u64).unwrap();
            assert_eq!(info.columns, vec!["id", "email", "customer"]);
            assert_eq!(info.nested, vec!["customer.phone", "customer.dob"]);
            assert_eq!(info.rows, Some(35));
            assert_eq!(info.batches, Some(3));
        }
    }

    #[test]
    fn damage_is_an_error_never_a_panic() {
        for data in [file(&fields(), &[3]), stream(&fields(), &[3])] {
            for cut in 0..data.len() {
                let _ = read(&mut std::io::Cursor::new(&data[..cut]), cut as u64);
            }
            for i in 0..data.len() {
                let mut d = data.clone();
                d[i] ^= 0xff;
                let _ = read(&mut std::io::Cursor::new(&d), d.len() as u64);
            }
        }
        assert!(read(&mut std::io::Cursor::new(b"ARROW1\0\0"), 8).is_err());
        // Many batch places pointing at one large header: no row count rather than reading
        // it again and again (20 places × 1 MiB > MAX_HEADER_BYTES).
        let data = file(&fields(), &[3; 20]);
        let n = data.len();
        let footer_len = u32::from_le_bytes(data[n - 10..n - 6].try_into().unwrap()) as usize;
        let mut footer = data[n - 10 - footer_len..n - 10].to_vec();
        let fb = Fb {
            b: &footer,
            budget: MAX_FIELDS,
        };
        let (start, count) = fb.vector(fb.root().unwrap(), 3, 24).unwrap().unwrap();
        assert_eq!(count, 20);
        for i in 0..count {
            let at = start + 24 * i;
            footer[at..at + 8].copy_from_slice(&8i64.to_le_bytes());
            footer[at + 8..at + 12].copy_from_slice(&(MAX_MESSAGE as i32).to_le_bytes());
        }
        let mut padded = data[..n - 10 - footer_len].to_vec();
        padded.resize(padded.len() + MAX_MESSAGE as usize, 0);
        padded.extend_from_slice(&footer);
        padded.extend_from_slice(&data[n - 10..]);
        let info = read(&mut std::io::Cursor::new(&padded), padded.len() as u64).unwrap();
        assert_eq!(info.columns, vec!["id", "email", "customer"]);
        assert_eq!((info.rows, info.batches), (None, Some(20)));
        assert!(parse_message(&[0xff; 3]).is_err());
    }
}
