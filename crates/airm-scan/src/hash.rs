//! BLAKE3 and SHA-256 of a file, computed while the scanner reads it: a `Read` adapter that
//! hashes every byte that passes through, so a file is read once. SHA-256 runs on a helper
//! thread fed through a bounded channel, BLAKE3 on the reading thread, so the two digests
//! cost about as much as the slower one.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// The SHA-256 thread: its input channel and its handle (which returns the digest).
type ShaWorker = (SyncSender<Vec<u8>>, JoinHandle<Vec<u8>>);

/// A reader that hashes what it reads.
pub struct HashingReader<R> {
    inner: R,
    blake3: blake3::Hasher,
    sha256: Option<ShaWorker>,
    /// Buffers handed back by the SHA-256 thread, reused to avoid allocating per read.
    recycle: Receiver<Vec<u8>>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        let (tx, rx) = sync_channel::<Vec<u8>>(8);
        let (back_tx, back_rx) = sync_channel::<Vec<u8>>(16);
        let handle = std::thread::spawn(move || {
            let mut h = Sha256::new();
            for chunk in rx {
                h.update(&chunk);
                let _ = back_tx.try_send(chunk);
            }
            h.finalize().to_vec()
        });
        HashingReader {
            inner,
            blake3: blake3::Hasher::new(),
            sha256: Some((tx, handle)),
            recycle: back_rx,
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
        let sha = match self.sha256.take() {
            Some((tx, handle)) => {
                drop(tx);
                handle
                    .join()
                    .map_err(|_| io::Error::other("SHA-256 thread failed"))?
            }
            None => return Err(io::Error::other("SHA-256 thread missing")),
        };
        Ok((
            self.blake3.finalize().to_hex().to_string(),
            hex::encode(sha),
            self.count,
        ))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = buf.get(..n).unwrap_or(&[]);
        self.blake3.update(data);
        if let Some((tx, _)) = &self.sha256 {
            let mut chunk = self.recycle.try_recv().unwrap_or_default();
            chunk.clear();
            chunk.extend_from_slice(data);
            tx.send(chunk)
                .map_err(|_| io::Error::other("SHA-256 thread stopped"))?;
        }
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
