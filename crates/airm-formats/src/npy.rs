//! NumPy `.npy` headers: version, dtype description, shape, and whether the data is a
//! pickle (object dtype). The header is capped; the data is not read here.

use std::io::Read;

use crate::FormatError;

/// The `.npy` magic.
pub const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Largest header accepted (NumPy itself refuses headers above 10 000 bytes by default).
const MAX_HEADER: u32 = 1 << 20;

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Format version `(major, minor)`.
    pub version: (u8, u8),
    /// The header dictionary text.
    pub dict: String,
    /// Whether the dtype is (or contains) `object`: the data is then a pickle.
    pub object: bool,
    /// Bytes taken by magic, version, length and header: where the data starts.
    pub data_offset: u64,
}

/// Reads a `.npy` header from the start of `r`; the reader is left at the data.
pub fn read_npy_header(r: &mut dyn Read) -> Result<NpyHeader, FormatError> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|_| FormatError::Truncated {
            what: "npy header",
            offset: 0,
        })?;
    if &magic[..6] != NPY_MAGIC {
        return Err(FormatError::Invalid {
            what: "npy header",
            offset: 0,
            reason: "missing \\x93NUMPY magic".into(),
        });
    }
    let version = (magic[6], magic[7]);
    let (len, pre) = match version.0 {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(|_| FormatError::Truncated {
                what: "npy header",
                offset: 8,
            })?;
            (u32::from(u16::from_le_bytes(b)), 10u64)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|_| FormatError::Truncated {
                what: "npy header",
                offset: 8,
            })?;
            (u32::from_le_bytes(b), 12u64)
        }
        v => {
            return Err(FormatError::Invalid {
                what: "npy header",
                offset: 6,
                reason: format!("unsupported version {v}"),
            })
        }
    };
    if len > MAX_HEADER {
        return Err(FormatError::Invalid {
            what: "npy header",
            offset: 8,
            reason: format!("header length {len} exceeds {MAX_HEADER}"),
        });
    }
    let mut h = vec![0u8; len as usize];
    r.read_exact(&mut h).map_err(|_| FormatError::Truncated {
        what: "npy header",
        offset: pre,
    })?;
    let dict = String::from_utf8_lossy(&h).into_owned();
    let object = descr_is_object(&dict);
    Ok(NpyHeader {
        version,
        dict,
        object,
        data_offset: pre + u64::from(len),
    })
}

/// Whether the header's `descr` is, or contains, the object type code `O`.
fn descr_is_object(dict: &str) -> bool {
    let Some(i) = dict.find("descr") else {
        return false;
    };
    let rest = dict.get(i + 5..).unwrap_or("");
    // The descr value ends at the next key; structured dtypes are lists of tuples.
    let end = rest
        .find("'fortran_order'")
        .or_else(|| rest.find("'shape'"))
        .unwrap_or(rest.len());
    let descr = rest.get(..end).unwrap_or(rest);
    ["'|O'", "'O'", "'<O'", "'>O'", "'=O'", "\"|O\"", "\"O\""]
        .iter()
        .any(|p| descr.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(dict: &str) -> Vec<u8> {
        let mut v = NPY_MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        v.extend_from_slice(dict.as_bytes());
        v
    }

    #[test]
    fn detects_object_dtype() {
        let b = npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }");
        let h = read_npy_header(&mut &b[..]).unwrap();
        assert!(h.object);
        assert_eq!(h.data_offset, b.len() as u64);
        let b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }");
        assert!(!read_npy_header(&mut &b[..]).unwrap().object);
        let b =
            npy("{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (2,), }");
        assert!(read_npy_header(&mut &b[..]).unwrap().object);
        assert!(read_npy_header(&mut &b"\x93NUMPY\x09\x00"[..]).is_err());
        assert!(read_npy_header(&mut &b"\x93NUM"[..]).is_err());
    }
}
