//! Minimal HDF5 reading: the attributes of the root group, which is where legacy Keras
//! (`model.save("m.h5")`) keeps its `model_config` and `training_config` JSON.
//!
//! What is read, from a byte slice (the caller holds the first part of the file):
//! the superblock (versions 0–3, any offset and length size up to 8 bytes, a user block
//! before it), the root group's object header (version 1, or version 2 `OHDR` with its
//! `OCHK` continuation chunks), its attribute messages (versions 1–3) with fixed-length
//! or variable-length string values (the latter from a global heap collection), and
//! whether attributes are kept in dense storage (a fractal heap, not read here).
//! Checksums are not verified. Every address is bounds-checked, continuation chains are
//! capped and cycles refused; an address beyond the slice is an error, not a guess.

use crate::FormatError;

/// The HDF5 signature.
pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";
const MAX_MESSAGES: usize = 10_000;
const MAX_CHUNKS: usize = 256;
const MAX_ATTRIBUTES: usize = 256;
/// Longest attribute value kept (bytes); longer values are cut and marked.
pub const MAX_VALUE: usize = 16 << 20;
const UNDEFINED: u64 = u64::MAX;

/// One attribute of the root group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Its name (lossy UTF-8).
    pub name: String,
    /// Offset of the attribute message in the file.
    pub offset: u64,
    /// The value, for string attributes (fixed- or variable-length, first element).
    pub text: Option<Vec<u8>>,
    /// Whether `text` was cut at [`MAX_VALUE`].
    pub cut: bool,
}

/// The root group's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RootAttributes {
    /// Superblock version.
    pub superblock_version: u8,
    /// Attributes stored in the object header (compact storage), at most 256.
    pub attributes: Vec<Attribute>,
    /// Whether some attributes are in dense storage (a fractal heap), which is not read.
    pub dense: bool,
}

impl RootAttributes {
    /// The attribute called `name`.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

fn invalid(offset: u64, reason: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        what: "hdf5 file",
        offset,
        reason: reason.into(),
    }
}

struct File<'d> {
    data: &'d [u8],
    base: u64,
    offsets: usize,
    lengths: usize,
}

impl<'d> File<'d> {
    fn bytes(&self, at: u64, len: usize) -> Result<&'d [u8], FormatError> {
        let start = usize::try_from(at).map_err(|_| invalid(at, "address out of range"))?;
        start
            .checked_add(len)
            .and_then(|end| self.data.get(start..end))
            .ok_or_else(|| {
                if start >= self.data.len() {
                    FormatError::Truncated {
                        what: "hdf5 file",
                        offset: at,
                    }
                } else {
                    invalid(at, format!("{len} bytes run past the data read"))
                }
            })
    }

    fn uint(&self, at: u64, size: usize) -> Result<u64, FormatError> {
        let b = self.bytes(at, size)?;
        Ok(le(b))
    }

    fn u8(&self, at: u64) -> Result<u8, FormatError> {
        Ok(self.bytes(at, 1)?.first().copied().unwrap_or(0))
    }

    /// An address field: relative to the base address; `None` when undefined.
    fn address(&self, at: u64) -> Result<Option<u64>, FormatError> {
        let raw = self.uint(at, self.offsets)?;
        let undefined = if self.offsets == 8 {
            UNDEFINED
        } else {
            (1u64 << (8 * self.offsets)) - 1
        };
        if raw == undefined {
            return Ok(None);
        }
        self.base
            .checked_add(raw)
            .map(Some)
            .ok_or_else(|| invalid(at, "address overflows"))
    }
}

fn le(b: &[u8]) -> u64 {
    b.iter()
        .take(8)
        .enumerate()
        .fold(0u64, |v, (i, x)| v | (u64::from(*x) << (8 * i)))
}

fn size_field(at: u64, v: u8) -> Result<usize, FormatError> {
    match v {
        2 | 4 | 8 => Ok(usize::from(v)),
        _ => Err(invalid(
            at,
            format!("unsupported address or length size {v}"),
        )),
    }
}

fn add(at: u64, n: usize) -> Result<u64, FormatError> {
    at.checked_add(n as u64)
        .ok_or_else(|| invalid(at, "offset overflows"))
}

/// Reads the root group's attributes from the first part of an HDF5 file.
pub fn read_root_attributes(data: &[u8]) -> Result<RootAttributes, FormatError> {
    // The superblock is at 0 or, after a user block, at 512, 1024, 2048, …
    let mut at = 0u64;
    while data
        .get(at as usize..)
        .is_some_and(|d| !d.starts_with(SIGNATURE))
    {
        at = if at == 0 { 512 } else { at * 2 };
        if at as usize >= data.len() {
            return Err(invalid(0, "no HDF5 signature"));
        }
    }
    let probe = File {
        data,
        base: 0,
        offsets: 8,
        lengths: 8,
    };
    let version = probe.u8(at + 8)?;
    let (offsets, lengths, root_field) = match version {
        0 | 1 => {
            let o = size_field(at + 13, probe.u8(at + 13)?)?;
            let l = size_field(at + 14, probe.u8(at + 14)?)?;
            let fixed = if version == 0 { 24 } else { 28 };
            // base, free space, end of file, driver info; then the root symbol table
            // entry: link name offset, object header address.
            (o, l, at + fixed + 5 * o as u64)
        }
        2 | 3 => {
            let o = size_field(at + 9, probe.u8(at + 9)?)?;
            let l = size_field(at + 10, probe.u8(at + 10)?)?;
            // base, superblock extension, end of file, root object header.
            (o, l, at + 12 + 3 * o as u64)
        }
        v => {
            return Err(invalid(
                at + 8,
                format!("unsupported superblock version {v}"),
            ))
        }
    };
    let base_field = if version < 2 {
        at + 24 + u64::from(version) * 4
    } else {
        at + 12
    };
    let file = File {
        data,
        base: 0,
        offsets,
        lengths,
    };
    // Addresses are relative to the superblock (libhdf5 replaces a stored base address
    // that differs from where the superblock is, e.g. after a user block).
    file.uint(base_field, offsets)?;
    let file = File { base: at, ..file };
    let root = file
        .address(root_field)?
        .ok_or_else(|| invalid(root_field, "the root group has no object header"))?;
    let mut out = RootAttributes {
        superblock_version: version,
        ..RootAttributes::default()
    };
    read_object_header(&file, root, &mut out)?;
    Ok(out)
}

/// One message of an object header: type, data offset, data length.
type Message = (u16, u64, usize);

fn read_object_header(
    file: &File<'_>,
    at: u64,
    out: &mut RootAttributes,
) -> Result<(), FormatError> {
    let mut messages: Vec<Message> = Vec::new();
    let mut chunks: Vec<(u64, u64)> = Vec::new();
    let v2 = file.bytes(at, 4)? == b"OHDR";
    let mut pending: Vec<(u64, u64, bool)> = Vec::new();
    if v2 {
        let version = file.u8(at + 4)?;
        if version != 2 {
            return Err(invalid(
                at + 4,
                format!("unsupported object header version {version}"),
            ));
        }
        let flags = file.u8(at + 5)?;
        let mut p = at + 6;
        if flags & 0x20 != 0 {
            p += 16;
        }
        if flags & 0x10 != 0 {
            p += 4;
        }
        let width = 1usize << (flags & 3);
        let size = file.uint(p, width)?;
        p = add(p, width)?;
        pending.push((p, size, false));
        parse_chunks(file, &mut pending, &mut chunks, &mut messages, true, flags)?;
    } else {
        let version = file.u8(at)?;
        if version != 1 {
            return Err(invalid(
                at,
                format!("unsupported object header version {version}"),
            ));
        }
        let size = u64::from(u32::try_from(file.uint(at + 8, 4)?).unwrap_or(u32::MAX));
        pending.push((at + 16, size, false));
        parse_chunks(file, &mut pending, &mut chunks, &mut messages, false, 0)?;
    }
    for (kind, data, len) in messages {
        match kind {
            0x000C if out.attributes.len() < MAX_ATTRIBUTES => {
                out.attributes.push(read_attribute(file, data, len)?);
            }
            0x0015 => {
                // Attribute info: version, flags, [max creation index], fractal heap address.
                let flags = file.u8(data + 1)?;
                let heap = data + 2 + if flags & 1 != 0 { 2 } else { 0 };
                if file.address(heap)?.is_some() {
                    out.dense = true;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses message chunks, following continuation messages (type 0x10).
fn parse_chunks(
    file: &File<'_>,
    pending: &mut Vec<(u64, u64, bool)>,
    seen: &mut Vec<(u64, u64)>,
    messages: &mut Vec<Message>,
    v2: bool,
    flags: u8,
) -> Result<(), FormatError> {
    while let Some((start, size, signed)) = pending.pop() {
        if seen.len() >= MAX_CHUNKS {
            return Err(invalid(start, "too many object header continuation chunks"));
        }
        if seen.iter().any(|(s, _)| *s == start) {
            return Err(invalid(start, "object header continuation loops"));
        }
        seen.push((start, size));
        let mut p = start;
        let mut end = add(
            start,
            usize::try_from(size).map_err(|_| invalid(start, "chunk too large"))?,
        )?;
        if signed {
            // An OCHK chunk: signature, messages, checksum (the length covers all three).
            if file.bytes(start, 4)? != b"OCHK" {
                return Err(invalid(
                    start,
                    "continuation chunk without its OCHK signature",
                ));
            }
            p += 4;
            end = end.saturating_sub(4);
        }
        // Make sure the whole chunk is inside the data.
        file.bytes(
            start,
            usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX),
        )?;
        let header = if v2 {
            4 + usize::from(flags & 0x04 != 0) * 2
        } else {
            8
        };
        while p + header as u64 <= end {
            if messages.len() >= MAX_MESSAGES {
                return Err(invalid(p, "too many object header messages"));
            }
            let (kind, len) = if v2 {
                (u16::from(file.u8(p)?), file.uint(p + 1, 2)? as usize)
            } else {
                (file.uint(p, 2)? as u16, file.uint(p + 2, 2)? as usize)
            };
            let data = add(p, header)?;
            let next = add(data, len)?;
            if next > end {
                return Err(invalid(p, "message runs past its chunk"));
            }
            if kind == 0x0010 {
                let to = file
                    .address(data)?
                    .ok_or_else(|| invalid(data, "continuation to an undefined address"))?;
                let length = file.uint(add(data, file.offsets)?, file.lengths)?;
                pending.push((to, length, v2));
            } else {
                messages.push((kind, data, len));
            }
            p = next;
        }
    }
    Ok(())
}

fn read_attribute(file: &File<'_>, at: u64, len: usize) -> Result<Attribute, FormatError> {
    let msg = file.bytes(at, len)?;
    let version = msg.first().copied().unwrap_or(0);
    let flags = msg.get(1).copied().unwrap_or(0);
    let name_size = le(msg.get(2..4).unwrap_or(&[])) as usize;
    let type_size = le(msg.get(4..6).unwrap_or(&[])) as usize;
    let space_size = le(msg.get(6..8).unwrap_or(&[])) as usize;
    let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    let name_at = match version {
        1 | 2 => 8,
        3 => 9,
        v => {
            return Err(invalid(
                at,
                format!("unsupported attribute message version {v}"),
            ))
        }
    };
    let cut = |from: usize, n: usize| {
        msg.get(from..from.saturating_add(n))
            .ok_or_else(|| invalid(at, "attribute message fields run past the message"))
    };
    let name_bytes = cut(name_at, name_size)?;
    let name_end = name_bytes
        .iter()
        .position(|b| *b == 0)
        .unwrap_or(name_bytes.len());
    let name = String::from_utf8_lossy(name_bytes.get(..name_end).unwrap_or(&[])).into_owned();
    let type_at = name_at + pad(name_size);
    let space_at = type_at + pad(type_size);
    let data_at = space_at + pad(space_size);
    let mut attr = Attribute {
        name,
        offset: at,
        text: None,
        cut: false,
    };
    if flags & 0x03 != 0 {
        // A shared datatype or dataspace: not read.
        return Ok(attr);
    }
    let dtype = cut(type_at, type_size)?;
    let space = cut(space_at, space_size)?;
    let elements =
        dataspace_elements(space, file.lengths).ok_or_else(|| invalid(at, "bad dataspace"))?;
    if elements == 0 {
        return Ok(attr);
    }
    let class = dtype.first().copied().unwrap_or(0) & 0x0f;
    let elem_size = le(dtype.get(4..8).unwrap_or(&[])) as usize;
    let value: Option<&[u8]> = match class {
        3 => Some(cut(data_at, elem_size.min(msg.len()))?),
        // Variable-length: bit field type 1 is a string; the element is a length, then a
        // global heap ID (collection address, object index).
        9 if dtype.get(1).copied().unwrap_or(0) & 0x0f == 1 => {
            let id_at = add(at, data_at + 4)?;
            match file.address(id_at)? {
                None => None,
                Some(collection) => {
                    let index = file.uint(add(id_at, file.offsets)?, 4)?;
                    Some(global_heap_object(file, collection, index)?)
                }
            }
        }
        _ => None,
    };
    if let Some(v) = value {
        let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
        let v = v.get(..end).unwrap_or(&[]);
        attr.cut = v.len() > MAX_VALUE;
        attr.text = Some(v.get(..MAX_VALUE.min(v.len())).unwrap_or(&[]).to_vec());
    }
    Ok(attr)
}

/// Number of elements of a dataspace message, `None` when malformed.
fn dataspace_elements(space: &[u8], lengths: usize) -> Option<u64> {
    let version = *space.first()?;
    let rank = usize::from(*space.get(1)?);
    let dims_at = match version {
        1 => 8,
        2 => match space.get(3)? {
            0 => return Some(1),
            2 => return Some(0),
            _ => 4,
        },
        _ => return None,
    };
    if rank == 0 {
        return Some(1);
    }
    let mut n = 1u64;
    for i in 0..rank {
        let d = le(space.get(dims_at + i * lengths..dims_at + (i + 1) * lengths)?);
        n = n.checked_mul(d)?;
    }
    Some(n)
}

/// The data of object `index` in the global heap collection at `at`.
fn global_heap_object<'d>(file: &File<'d>, at: u64, index: u64) -> Result<&'d [u8], FormatError> {
    if file.bytes(at, 4)? != b"GCOL" {
        return Err(invalid(
            at,
            "global heap collection without its GCOL signature",
        ));
    }
    let size = file.uint(at + 8, file.lengths)?;
    let end = at.saturating_add(size);
    let mut p = add(at, 8 + file.lengths)?;
    for _ in 0..MAX_MESSAGES {
        if p + 8 + file.lengths as u64 > end {
            break;
        }
        let i = file.uint(p, 2)?;
        let len = file.uint(p + 8, file.lengths)?;
        let data = add(p, 8 + file.lengths)?;
        if i == 0 {
            break; // free space: the rest of the collection
        }
        let len_us = usize::try_from(len).map_err(|_| invalid(p, "heap object too large"))?;
        if i == index {
            let data_bytes = file.bytes(data, len_us)?;
            // `file.bytes` borrows from the data slice, which lives for 'd.
            return Ok(data_bytes);
        }
        p = add(data, len_us.div_ceil(8) * 8)?;
    }
    Err(invalid(at, format!("global heap object {index} not found")))
}

/// Builders of small HDF5 files for tests and fixtures.
pub mod build {
    /// A file with superblock version 0 and a version 1 root object header holding one
    /// fixed-length string attribute per `(name, value)`; with `split`, the attributes
    /// after the first live in a continuation chunk.
    pub fn v0_with_string_attributes(attrs: &[(&str, &[u8])], split: bool) -> Vec<u8> {
        let msgs: Vec<Vec<u8>> = attrs
            .iter()
            .map(|(n, v)| message_v1(0x000C, &attribute_v1(n, v)))
            .collect();
        let mut f = super::SIGNATURE.to_vec();
        f.extend_from_slice(&[0, 0, 0, 0, 0, 8, 8, 0]); // versions, offsets 8, lengths 8
        f.extend_from_slice(&4u16.to_le_bytes());
        f.extend_from_slice(&16u16.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&0u64.to_le_bytes()); // base address
        f.extend_from_slice(&u64::MAX.to_le_bytes()); // free space
        let eof_at = f.len();
        f.extend_from_slice(&0u64.to_le_bytes()); // end of file, patched below
        f.extend_from_slice(&u64::MAX.to_le_bytes()); // driver info
        f.extend_from_slice(&0u64.to_le_bytes()); // root: link name offset
        let root = 96u64;
        f.extend_from_slice(&root.to_le_bytes()); // root: object header address
        f.extend_from_slice(&[0u8; 24]); // cache type, reserved, scratch pad
        f.resize(root as usize, 0);
        let (first, rest): (Vec<Vec<u8>>, Vec<Vec<u8>>) = if split && msgs.len() > 1 {
            (msgs[..1].to_vec(), msgs[1..].to_vec())
        } else {
            (msgs.clone(), Vec::new())
        };
        let mut body: Vec<u8> = first.concat();
        let cont_at = body.len();
        if !rest.is_empty() {
            body.extend(message_v1(0x0010, &[0u8; 16]));
        }
        let count = (first.len() + usize::from(!rest.is_empty())) as u16;
        f.push(1);
        f.push(0);
        f.extend_from_slice(&count.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&(body.len() as u32).to_le_bytes());
        f.extend_from_slice(&[0u8; 4]);
        let body_at = f.len();
        f.extend_from_slice(&body);
        if !rest.is_empty() {
            let chunk: Vec<u8> = rest.concat();
            let chunk_at = f.len() as u64 + 64;
            f.resize(chunk_at as usize, 0);
            f.extend_from_slice(&chunk);
            let patch = body_at + cont_at + 8;
            f[patch..patch + 8].copy_from_slice(&chunk_at.to_le_bytes());
            f[patch + 8..patch + 16].copy_from_slice(&(chunk.len() as u64).to_le_bytes());
        }
        let eof = f.len() as u64;
        f[eof_at..eof_at + 8].copy_from_slice(&eof.to_le_bytes());
        f
    }

    fn pad8(mut v: Vec<u8>) -> Vec<u8> {
        v.resize(v.len().div_ceil(8) * 8, 0);
        v
    }

    fn message_v1(kind: u16, data: &[u8]) -> Vec<u8> {
        let data = pad8(data.to_vec());
        let mut m = kind.to_le_bytes().to_vec();
        m.extend_from_slice(&(data.len() as u16).to_le_bytes());
        m.extend_from_slice(&[0u8; 4]);
        m.extend(data);
        m
    }

    fn attribute_v1(name: &str, value: &[u8]) -> Vec<u8> {
        let mut name_z = name.as_bytes().to_vec();
        name_z.push(0);
        // Fixed-length string datatype, null-terminated, ASCII: class 3, version 1.
        let mut dtype = vec![0x13, 0, 0, 0];
        dtype.extend_from_slice(&(value.len() as u32).to_le_bytes());
        // Scalar dataspace, version 1.
        let space = vec![1, 0, 0, 0, 0, 0, 0, 0];
        let mut a = vec![1, 0];
        a.extend_from_slice(&(name_z.len() as u16).to_le_bytes());
        a.extend_from_slice(&(dtype.len() as u16).to_le_bytes());
        a.extend_from_slice(&(space.len() as u16).to_le_bytes());
        a.extend(pad8(name_z));
        a.extend(pad8(dtype));
        a.extend(pad8(space));
        a.extend_from_slice(value);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fixed_length_string_attributes_across_a_continuation() {
        let cfg = br#"{"class_name": "Sequential"}"#;
        for split in [false, true] {
            let f = build::v0_with_string_attributes(
                &[("keras_version", b"2.15.0"), ("model_config", cfg)],
                split,
            );
            let mut with_user_block = vec![0u8; 512];
            with_user_block.extend_from_slice(&f);
            let r = read_root_attributes(&f).unwrap();
            assert_eq!(r.superblock_version, 0);
            assert!(!r.dense);
            assert_eq!(
                r.get("keras_version").unwrap().text.as_deref(),
                Some(&b"2.15.0"[..])
            );
            assert_eq!(
                r.get("model_config").unwrap().text.as_deref(),
                Some(&cfg[..])
            );
            assert_eq!(
                read_root_attributes(&with_user_block).unwrap().attributes,
                r.attributes
                    .iter()
                    .map(|a| Attribute {
                        offset: a.offset + 512,
                        ..a.clone()
                    })
                    .collect::<Vec<_>>()
            );
            // Cut anywhere: an error, never a panic.
            for n in 0..f.len() {
                let _ = read_root_attributes(&f[..n]);
            }
        }
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(read_root_attributes(b"\x89HDF\r\n\x1a\n\x07").is_err());
        assert!(read_root_attributes(b"not hdf5").is_err());
        assert!(read_root_attributes(&[0u8; 5000]).is_err());
    }
}
