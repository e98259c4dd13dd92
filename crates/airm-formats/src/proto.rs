//! Streaming protobuf primitives shared by the ONNX and TensorFlow walkers: varints,
//! length-delimited payloads kept up to a bound or skipped, and errors that name the
//! format and the offset.

use crate::source::{Source, SourceError};
use crate::FormatError;

/// A protobuf reader over a [`Source`], for the format named `what`.
pub(crate) struct Proto<'s, 'a> {
    pub(crate) src: &'s mut Source<'a>,
    what: &'static str,
}

impl<'s, 'a> Proto<'s, 'a> {
    pub(crate) fn new(src: &'s mut Source<'a>, what: &'static str) -> Self {
        Proto { src, what }
    }

    pub(crate) fn offset(&self) -> u64 {
        self.src.offset()
    }

    pub(crate) fn err(&self, e: SourceError, offset: u64) -> FormatError {
        match e {
            SourceError::Eof => FormatError::Truncated {
                what: self.what,
                offset,
            },
            SourceError::Io(e) => FormatError::Invalid {
                what: self.what,
                offset,
                reason: e.to_string(),
            },
        }
    }

    pub(crate) fn invalid(&self, offset: u64, reason: &str) -> FormatError {
        FormatError::Invalid {
            what: self.what,
            offset,
            reason: reason.into(),
        }
    }

    /// The next byte, or `None` at the end of the input.
    pub(crate) fn next_byte(&mut self) -> Result<Option<u8>, FormatError> {
        let off = self.src.offset();
        self.src.next_byte().map_err(|e| self.err(e, off))
    }

    /// A varint (at most 10 bytes).
    pub(crate) fn varint(&mut self) -> Result<u64, FormatError> {
        let off = self.src.offset();
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.src.next_byte().map_err(|e| self.err(e, off))?.ok_or(
                FormatError::Truncated {
                    what: self.what,
                    offset: off,
                },
            )?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.invalid(off, "varint longer than 10 bytes"))
    }

    /// A field key at the top level, or `None` at a clean end of input.
    pub(crate) fn top_key(&mut self) -> Result<Option<u64>, FormatError> {
        match self.next_byte()? {
            None => Ok(None),
            Some(b) if b & 0x80 == 0 => Ok(Some(u64::from(b))),
            Some(b) => {
                let rest = self.varint()?;
                Ok(Some(u64::from(b & 0x7f) | (rest << 7)))
            }
        }
    }

    /// The next field key of a message ending at `end` (`None`: the top level, which ends
    /// with the input) and the key's offset; `None` at the end of the message.
    pub(crate) fn next_key(&mut self, end: Option<u64>) -> Result<Option<(u64, u64)>, FormatError> {
        let off = self.offset();
        match end {
            Some(e) if off > e => Err(self.invalid(off, "field runs past the end of its message")),
            Some(e) if off == e => Ok(None),
            Some(_) => Ok(Some((self.varint()?, off))),
            None => Ok(self.top_key()?.map(|k| (k, off))),
        }
    }

    /// `len` bytes as text (lossy UTF-8), of which at most `keep` are kept.
    pub(crate) fn string(&mut self, len: u64, keep: usize) -> Result<String, FormatError> {
        let off = self.src.offset();
        let data = self.src.take(len, keep).map_err(|e| self.err(e, off))?;
        Ok(String::from_utf8_lossy(&data).into_owned())
    }

    /// Skips `len` bytes.
    pub(crate) fn skip(&mut self, len: u64) -> Result<(), FormatError> {
        let off = self.src.offset();
        self.src.take(len, 0).map_err(|e| self.err(e, off))?;
        Ok(())
    }

    /// The end offset of a length-delimited payload of `len` bytes starting here.
    pub(crate) fn end_of(&self, len: u64, key_offset: u64) -> Result<u64, FormatError> {
        self.src
            .offset()
            .checked_add(len)
            .ok_or_else(|| self.invalid(key_offset, "length overflows"))
    }

    /// Skips the value of a field with wire type `wire` that is not length-delimited
    /// (0, 1 or 5); other wire types (groups) are invalid.
    pub(crate) fn skip_scalar(&mut self, wire: u64, key_offset: u64) -> Result<(), FormatError> {
        match wire {
            0 => self.varint().map(drop),
            1 => self.skip(8),
            5 => self.skip(4),
            _ => Err(self.invalid(key_offset, "unsupported protobuf wire type")),
        }
    }
}

/// Protobuf writing helpers for tests and fixtures.
pub mod build {
    /// A length-delimited field.
    pub fn field_bytes(field: u32, data: &[u8]) -> Vec<u8> {
        let mut v = varint(u64::from(field) << 3 | 2);
        v.extend(varint(data.len() as u64));
        v.extend_from_slice(data);
        v
    }

    /// A varint field.
    pub fn field_varint(field: u32, value: u64) -> Vec<u8> {
        let mut v = varint(u64::from(field) << 3);
        v.extend(varint(value));
        v
    }

    /// A varint.
    pub fn varint(mut x: u64) -> Vec<u8> {
        let mut v = Vec::new();
        loop {
            let b = (x & 0x7f) as u8;
            x >>= 7;
            if x == 0 {
                v.push(b);
                return v;
            }
            v.push(b | 0x80);
        }
    }
}
