//! BLAKE3 and SHA-256 of a file, computed while the scanner reads it: a `Read` adapter that
//! hashes every byte that passes through, so a file is read once. SHA-256 runs on a helper
//! thread fed through a bounded channel, BLAKE3 on the reading thread, so the two digests
//! cost about as much as the slower one.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// The SHA-256 thread: its input channel (a buffer and how many of its bytes to hash) and
/// its handle (which returns the digest).
type ShaWorker = (SyncSender<(Vec<u8>, usize)>, JoinHandle<Vec<u8>>);

/// Size of the buffers [`HashingReader::finish`] reads into.
const CHUNK: usize = 1 << 20;

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
        let (tx, rx) = sync_channel::<(Vec<u8>, usize)>(8);
        let (back_tx, back_rx) = sync_channel::<Vec<u8>>(16);
        let handle = std::thread::spawn(move || {
            let mut h = Sha256::new();
            for (chunk, n) in rx {
                h.update(chunk.get(..n).unwrap_or(&chunk));
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
        // Read straight into buffers that then go to the SHA-256 thread (no copy), and
        // come back to be reused.
        loop {
            let mut chunk = self.recycle.try_recv().unwrap_or_default();
            if chunk.len() < CHUNK {
                chunk.resize(CHUNK, 0);
            }
            let n = match self.inner.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n.min(chunk.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.blake3.update(chunk.get(..n).unwrap_or(&[]));
            self.count += n as u64;
            if let Some((tx, _)) = &self.sha256 {
                tx.send((chunk, n))
                    .map_err(|_| io::Error::other("SHA-256 thread stopped"))?;
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
            tx.send((chunk, n))
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

    #[test]
    fn reads_then_finish_hash_everything_once() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut r = HashingReader::new(&data[..]);
        let mut head = vec![0u8; 70_000];
        r.read_exact(&mut head).unwrap();
        let (b, s, n) = r.finish().unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(b, blake3::hash(&data).to_hex().to_string());
        assert_eq!(s, hex::encode(Sha256::digest(&data)));
    }
}
