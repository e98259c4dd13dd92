//! BLAKE3 and SHA-256 of a file, computed while the scanner reads it: a `Read` adapter that
//! hashes every byte that passes through, so a file is read once.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// A reader that hashes what it reads.
pub struct HashingReader<R> {
    inner: R,
    blake3: blake3::Hasher,
    sha256: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            blake3: blake3::Hasher::new(),
            sha256: Sha256::new(),
            count: 0,
        }
    }

    /// Reads the rest of the input, then returns `(blake3 hex, sha256 hex, bytes read)`.
    pub fn finish(mut self) -> io::Result<(String, String, u64)> {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((
            self.blake3.finalize().to_hex().to_string(),
            hex::encode(self.sha256.finalize()),
            self.count,
        ))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = buf.get(..n).unwrap_or(&[]);
        self.blake3.update(data);
        self.sha256.update(data);
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let r = HashingReader::new(&b"abc"[..]);
        let (b, s, n) = r.finish().unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            s,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            b,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }
}
