//! GGUF metadata: walks the key/value section (skipping large arrays and strings without
//! storing them) and returns the chat templates, which runtimes render with Jinja.
//! Tensor data is not read.

use std::io::Read;

use crate::source::{Source, SourceError};
use crate::FormatError;

/// The GGUF magic.
pub const GGUF_MAGIC: &[u8] = b"GGUF";

/// Longest chat template kept.
const MAX_TEMPLATE: usize = 1 << 20;
/// Most key/value pairs read.
const MAX_KV: u64 = 1 << 20;
/// Longest key accepted.
const MAX_KEY: u64 = 1 << 16;

/// What was read from the metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GgufInfo {
    /// Format version.
    pub version: u32,
    /// Declared tensor count.
    pub tensor_count: u64,
    /// Declared metadata count.
    pub kv_count: u64,
    /// Chat templates: `(key, offset of the value, text)`.
    pub chat_templates: Vec<(String, u64, String)>,
    /// Descriptive metadata: `general.*` keys and `*.context_length`, `*.block_count`,
    /// `*.embedding_length` with string or integer values (at most [`MAX_META`] entries,
    /// values clipped to [`MAX_META_VALUE`] bytes), in file order.
    pub metadata: Vec<(String, String)>,
}

/// Most descriptive metadata entries kept.
pub const MAX_META: usize = 64;
/// Longest descriptive metadata value kept, in bytes.
pub const MAX_META_VALUE: usize = 256;

fn descriptive(key: &str) -> bool {
    key.starts_with("general.")
        && !key.starts_with("general.source.")
        && !key.starts_with("general.base_model.")
        || key.ends_with(".context_length")
        || key.ends_with(".block_count")
        || key.ends_with(".embedding_length")
}

fn err(e: SourceError, off: u64) -> FormatError {
    match e {
        SourceError::Eof => FormatError::Truncated {
            what: "gguf metadata",
            offset: off,
        },
        SourceError::Io(e) => FormatError::Invalid {
            what: "gguf metadata",
            offset: off,
            reason: e.to_string(),
        },
    }
}

struct Reader<'s, 'a> {
    src: &'s mut Source<'a>,
    v1: bool,
}

impl Reader<'_, '_> {
    fn u32(&mut self) -> Result<u32, FormatError> {
        let o = self.src.offset();
        Ok(u32::from_le_bytes(self.src.array().map_err(|e| err(e, o))?))
    }

    fn u64(&mut self) -> Result<u64, FormatError> {
        if self.v1 {
            return self.u32().map(u64::from);
        }
        let o = self.src.offset();
        Ok(u64::from_le_bytes(self.src.array().map_err(|e| err(e, o))?))
    }

    fn string(&mut self, keep: usize) -> Result<(Vec<u8>, u64), FormatError> {
        let len = self.u64()?;
        let o = self.src.offset();
        let data = self.src.take(len, keep).map_err(|e| err(e, o))?;
        Ok((data, len))
    }

    fn skip(&mut self, n: u64) -> Result<(), FormatError> {
        let o = self.src.offset();
        self.src.take(n, 0).map_err(|e| err(e, o))?;
        Ok(())
    }

    /// Reads a string or integer value as text; `None` (nothing consumed) for other types.
    fn scalar(&mut self, ty: u32) -> Result<Option<String>, FormatError> {
        let o = self.src.offset();
        let v = match ty {
            0 => u64::from(u8::from_le_bytes(self.src.array().map_err(|e| err(e, o))?)).to_string(),
            1 => i8::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            2 => u16::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            3 => i16::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            4 => u32::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            5 => i32::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            10 => u64::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            11 => i64::from_le_bytes(self.src.array().map_err(|e| err(e, o))?).to_string(),
            8 => {
                let (data, _) = self.string(MAX_META_VALUE)?;
                String::from_utf8_lossy(&data).into_owned()
            }
            _ => return Ok(None),
        };
        Ok(Some(v))
    }

    fn skip_value(&mut self, ty: u32, depth: u8) -> Result<(), FormatError> {
        let o = self.src.offset();
        match ty {
            0 | 1 | 7 => self.skip(1),
            2 | 3 => self.skip(2),
            4..=6 => self.skip(4),
            10..=12 => self.skip(8),
            8 => self.string(0).map(|_| ()),
            9 if depth < 4 => {
                let ety = self.u32()?;
                let n = self.u64()?;
                let fixed = match ety {
                    0 | 1 | 7 => Some(1),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                match fixed {
                    Some(sz) => self.skip(n.saturating_mul(sz)),
                    None => {
                        for _ in 0..n {
                            self.skip_value(ety, depth + 1)?;
                        }
                        Ok(())
                    }
                }
            }
            _ => Err(FormatError::Invalid {
                what: "gguf metadata",
                offset: o,
                reason: format!("unknown value type {ty}"),
            }),
        }
    }
}

/// Reads GGUF metadata from the start of `r`.
pub fn read_gguf(r: &mut dyn Read) -> Result<GgufInfo, FormatError> {
    let mut src = Source::new(r, 0);
    let magic: [u8; 4] = src.array().map_err(|e| err(e, 0))?;
    if magic != *b"GGUF" {
        return Err(FormatError::Invalid {
            what: "gguf header",
            offset: 0,
            reason: "missing GGUF magic".into(),
        });
    }
    let mut rd = Reader {
        src: &mut src,
        v1: false,
    };
    let version = rd.u32()?;
    rd.v1 = version == 1;
    let mut info = GgufInfo {
        version,
        tensor_count: rd.u64()?,
        kv_count: rd.u64()?,
        ..Default::default()
    };
    for _ in 0..info.kv_count.min(MAX_KV) {
        let ko = rd.src.offset();
        let (key, klen) = rd.string(MAX_KEY as usize)?;
        if klen > MAX_KEY {
            return Err(FormatError::Invalid {
                what: "gguf metadata",
                offset: ko,
                reason: format!("key of {klen} bytes"),
            });
        }
        let key = String::from_utf8_lossy(&key).into_owned();
        let ty = rd.u32()?;
        if ty == 8 && key.starts_with("tokenizer.chat_template") {
            let vo = rd.src.offset() + 8;
            let (text, _) = rd.string(MAX_TEMPLATE)?;
            info.chat_templates
                .push((key, vo, String::from_utf8_lossy(&text).into_owned()));
        } else if descriptive(&key) && info.metadata.len() < MAX_META {
            match rd.scalar(ty)? {
                Some(v) => info.metadata.push((key, v)),
                None => rd.skip_value(ty, 0)?,
            }
        } else {
            rd.skip_value(ty, 0)?;
        }
    }
    Ok(info)
}

/// Writes a minimal GGUF v3 file with the given string metadata (for tests and fixtures).
pub fn write_gguf_strings(kvs: &[(&str, &str)]) -> Vec<u8> {
    let mut v = b"GGUF".to_vec();
    v.extend_from_slice(&3u32.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend_from_slice(&(kvs.len() as u64).to_le_bytes());
    for (k, val) in kvs {
        v.extend_from_slice(&(k.len() as u64).to_le_bytes());
        v.extend_from_slice(k.as_bytes());
        v.extend_from_slice(&8u32.to_le_bytes());
        v.extend_from_slice(&(val.len() as u64).to_le_bytes());
        v.extend_from_slice(val.as_bytes());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chat_template_and_skips_arrays() {
        let mut v = write_gguf_strings(&[("general.name", "x")]);
        // Patch kv_count to 3 and append an array of strings and the template.
        v[16..24].copy_from_slice(&3u64.to_le_bytes());
        let key = b"tokenizer.ggml.tokens";
        v.extend_from_slice(&(key.len() as u64).to_le_bytes());
        v.extend_from_slice(key);
        v.extend_from_slice(&9u32.to_le_bytes());
        v.extend_from_slice(&8u32.to_le_bytes());
        v.extend_from_slice(&2u64.to_le_bytes());
        for t in ["a", "bc"] {
            v.extend_from_slice(&(t.len() as u64).to_le_bytes());
            v.extend_from_slice(t.as_bytes());
        }
        let t = write_gguf_strings(&[("tokenizer.chat_template", "{{ messages }}")]);
        v.extend_from_slice(&t[24..]);
        let info = read_gguf(&mut &v[..]).unwrap();
        assert_eq!(info.chat_templates.len(), 1);
        assert_eq!(info.chat_templates[0].2, "{{ messages }}");
        assert!(read_gguf(&mut &v[..v.len() - 3]).is_err());
    }

    #[test]
    fn keeps_descriptive_metadata_only() {
        let v = write_gguf_strings(&[
            ("general.architecture", "llama"),
            ("general.name", "Tiny"),
            ("tokenizer.ggml.model", "gpt2"),
            ("llama.context_length", "4096"),
        ]);
        let info = read_gguf(&mut &v[..]).unwrap();
        assert_eq!(
            info.metadata,
            vec![
                ("general.architecture".to_string(), "llama".to_string()),
                ("general.name".to_string(), "Tiny".to_string()),
                ("llama.context_length".to_string(), "4096".to_string()),
            ]
        );
    }
}
