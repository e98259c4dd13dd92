//! Content sniffing: the format of a file from its first bytes (and size), never from its
//! name. Archives are refined later from their member list.

use airm_formats::{hdf5, npy::NPY_MAGIC, pickle, safetensors::looks_like_safetensors, tensorflow};

use crate::report::Format;

/// How many leading bytes [`sniff`] wants.
pub const SNIFF_LEN: usize = 4096;

const LEGACY_TORCH: &[u8] = &[
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
];

/// The format of a file that starts with `head` and has `size` bytes.
pub fn sniff(head: &[u8], size: u64) -> Format {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Format::Zip;
    }
    if head.starts_with(NPY_MAGIC) {
        return Format::Numpy;
    }
    if head.starts_with(b"GGUF") {
        return Format::Gguf;
    }
    // HDF5 may follow a user block of 512, 1024, 2048, … bytes.
    if [0usize, 512, 1024, 2048].iter().any(|at| {
        head.get(*at..)
            .is_some_and(|h| h.starts_with(hdf5::SIGNATURE))
    }) {
        return Format::Hdf5;
    }
    if pickle::looks_like_pickle(head) {
        // Legacy PyTorch files open with a pickled magic number (any protocol, maybe framed).
        let start = head.get(..32).unwrap_or(head);
        let magic = LEGACY_TORCH.get(4..).unwrap_or(&[]);
        if memchr::memmem::find(start, magic).is_some() {
            return Format::PytorchLegacy;
        }
        return Format::Pickle;
    }
    if head.get(257..262) == Some(b"ustar") {
        return Format::Tar;
    }
    if compression(head).is_some() {
        return Format::Compressed;
    }
    if looks_like_safetensors(head, size) {
        return Format::Safetensors;
    }
    if tensorflow::graph_kind(head).is_some() {
        return Format::Tensorflow;
    }
    if looks_like_onnx(head) {
        return Format::Onnx;
    }
    if looks_like_text_pickle(head) {
        return Format::Pickle;
    }
    Format::Unknown
}

/// A compression format, as joblib's `compress=` writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// A zlib stream (joblib's default `compress=True`).
    Zlib,
    /// joblib before 0.10: `ZF`, the hexadecimal length padded to 19 bytes, then zlib.
    JoblibZfile,
    /// gzip (also `.tar.gz`).
    Gzip,
    /// bzip2.
    Bz2,
    /// LZMA "alone" (`.lzma`).
    Lzma,
    /// xz.
    Xz,
    /// LZ4 frame.
    Lz4,
}

impl Codec {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::JoblibZfile => "zlib (joblib ZF)",
            Codec::Gzip => "gzip",
            Codec::Bz2 => "bz2",
            Codec::Lzma => "lzma",
            Codec::Xz => "xz",
            Codec::Lz4 => "lz4",
        }
    }
}

/// The compression of a stream that starts with `head`, from its magic bytes.
pub fn compression(head: &[u8]) -> Option<Codec> {
    match head {
        // zlib: deflate with a 32 KiB window and a valid header check.
        [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..] => Some(Codec::Zlib),
        [b'Z', b'F', b'0', b'x', ..] => Some(Codec::JoblibZfile),
        [0x1f, 0x8b, 0x08, ..] => Some(Codec::Gzip),
        [b'B', b'Z', b'h', b'1'..=b'9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, ..] => Some(Codec::Bz2),
        // LZMA alone as Python writes it: default properties, unknown size.
        [0x5d, 0x00, 0x00, _, _, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ..] => {
            Some(Codec::Lzma)
        }
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Some(Codec::Xz),
        [0x04, 0x22, 0x4d, 0x18, ..] => Some(Codec::Lz4),
        _ => None,
    }
}

/// ONNX `ModelProto`: field 1 (`ir_version`, varint) first, then another known field.
fn looks_like_onnx(head: &[u8]) -> bool {
    matches!(head, [0x08, v, next, ..] if (1..=20).contains(v)
        && matches!(next, 0x12 | 0x1a | 0x22 | 0x28 | 0x32 | 0x3a | 0x42 | 0x52 | 0x72 | 0x7a))
}

/// Protocol 0/1 pickles have no header: run the machine on the first bytes and accept
/// them if it gets through several opcodes without finding damage.
fn looks_like_text_pickle(head: &[u8]) -> bool {
    let Some(&first) = head.first() else {
        return false;
    };
    if !b"(cl]}N)KJMIVSUXTFGdtpq".contains(&first) {
        return false;
    }
    let r = pickle::analyse_bytes(head, 0, &pickle::PickleOptions::default());
    let ops = r.streams.first().map_or(0, |s| s.opcodes);
    let damaged = r
        .incomplete
        .iter()
        .any(|i| !matches!(i, pickle::Incomplete::Truncated { .. }));
    // A first opcode whose line is longer than the sniffed head also counts.
    !damaged && (ops >= 3 || (ops >= 1 && head.len() >= SNIFF_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"PK\x03\x04rest", 100), Format::Zip);
        assert_eq!(sniff(b"\x80\x04\x95", 100), Format::Pickle);
        assert_eq!(sniff(LEGACY_TORCH, 100), Format::PytorchLegacy);
        let mut p4 = vec![0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0, 0x8a, 0x0a];
        p4.extend_from_slice(&LEGACY_TORCH[4..]);
        assert_eq!(sniff(&p4, 100), Format::PytorchLegacy);
        assert_eq!(sniff(b"cos\nsystem\n(S'id'\ntR.", 100), Format::Pickle);
        assert_eq!(sniff(b"GGUF\x03\x00", 100), Format::Gguf);
        assert_eq!(sniff(b"hello world", 100), Format::Unknown);
        assert_eq!(sniff(b"(this is text)", 100), Format::Unknown);
        assert_eq!(sniff(b"\x93NUMPY\x01\x00", 100), Format::Numpy);
        assert_eq!(sniff(b"\x78\x9c\x01\x02", 100), Format::Compressed);
        assert_eq!(
            compression(b"ZF0x1f               \x78\x9c"),
            Some(Codec::JoblibZfile)
        );
        assert_eq!(compression(b"\x1f\x8b\x08\x00"), Some(Codec::Gzip));
        assert_eq!(compression(b"BZh91AY&SY"), Some(Codec::Bz2));
        assert_eq!(compression(b"\xfd7zXZ\x00\x00"), Some(Codec::Xz));
        assert_eq!(compression(b"\x04\x22\x4d\x18"), Some(Codec::Lz4));
        let mut lzma = vec![0x5d, 0, 0, 0x80, 0];
        lzma.extend_from_slice(&[0xff; 8]);
        assert_eq!(compression(&lzma), Some(Codec::Lzma));
        assert_eq!(compression(b"x-ray"), None);
        assert_eq!(
            sniff(b"\x02\x00\x00\x00\x00\x00\x00\x00{}", 10),
            Format::Safetensors
        );
    }
}
