//! A small buffered byte source over any `Read`, tracking the absolute offset of every byte.
//!
//! Parsers of untrusted streams read through it so that they never hold more than one buffer
//! of input: long payloads are skipped with only a bounded prefix kept, and lines are read
//! with a cap. It never allocates in proportion to lengths announced by the input.

use std::io::{self, Read};

const BUF: usize = 64 * 1024;

/// Why a read from a [`Source`] failed.
#[derive(Debug)]
pub(crate) enum SourceError {
    /// The input ended early.
    Eof,
    /// The underlying reader failed.
    Io(io::Error),
}

impl From<io::Error> for SourceError {
    fn from(e: io::Error) -> Self {
        SourceError::Io(e)
    }
}

/// A buffered reader with an absolute offset.
pub(crate) struct Source<'a> {
    inner: &'a mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
}

impl<'a> Source<'a> {
    pub(crate) fn new(inner: &'a mut dyn Read, start_offset: u64) -> Self {
        Source {
            inner,
            buf: vec![0; BUF],
            pos: 0,
            end: 0,
            base: start_offset,
        }
    }

    /// Absolute offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Refills the buffer when it is empty; `false` at end of input.
    fn fill(&mut self) -> Result<bool, SourceError> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end = n.min(self.buf.len());
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(SourceError::Io(e)),
            }
        }
    }

    /// The buffered bytes not consumed yet (empty when the buffer needs a refill).
    #[inline]
    pub(crate) fn window(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Consumes `n` bytes of [`Source::window`].
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// The next byte, or `None` at end of input.
    #[inline]
    pub(crate) fn next_byte(&mut self) -> Result<Option<u8>, SourceError> {
        if self.pos >= self.end && !self.fill()? {
            return Ok(None);
        }
        let b = self.buf.get(self.pos).copied();
        self.pos += 1;
        Ok(b)
    }

    /// Exactly `N` bytes.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], SourceError> {
        let mut out = [0u8; N];
        if let Some(s) = self.buf.get(self.pos..self.pos + N) {
            if self.pos + N <= self.end {
                out.copy_from_slice(s);
                self.pos += N;
                return Ok(out);
            }
        }
        for slot in out.iter_mut() {
            *slot = self.next_byte()?.ok_or(SourceError::Eof)?;
        }
        Ok(out)
    }

    /// Fills `out` exactly.
    pub(crate) fn fill_exact(&mut self, out: &mut [u8]) -> Result<(), SourceError> {
        let n = out.len();
        if self.pos + n <= self.end {
            if let Some(s) = self.buf.get(self.pos..self.pos + n) {
                out.copy_from_slice(s);
                self.pos += n;
                return Ok(());
            }
        }
        for slot in out.iter_mut() {
            *slot = self.next_byte()?.ok_or(SourceError::Eof)?;
        }
        Ok(())
    }

    /// Reads `len` bytes, keeping at most `keep` of them. Returns the kept prefix; fails with
    /// `Eof` if the input ends before `len` bytes.
    pub(crate) fn take(&mut self, len: u64, keep: usize) -> Result<Vec<u8>, SourceError> {
        let keep_n = usize::try_from(len).unwrap_or(usize::MAX).min(keep);
        let mut kept = Vec::with_capacity(keep_n.min(BUF));
        let mut left = len;
        while left > 0 {
            if !self.fill()? {
                return Err(SourceError::Eof);
            }
            let avail = self.end - self.pos;
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(avail);
            if kept.len() < keep_n {
                let k = (keep_n - kept.len()).min(n);
                if let Some(s) = self.buf.get(self.pos..self.pos + k) {
                    kept.extend_from_slice(s);
                }
            }
            self.pos += n;
            left -= n as u64;
        }
        Ok(kept)
    }

    /// Reads a line ending in `\n` (not included), keeping at most `keep` bytes of it.
    /// Returns the prefix and the full length of the line. Fails with `Eof` if no newline.
    pub(crate) fn line(&mut self, keep: usize) -> Result<(Vec<u8>, u64), SourceError> {
        let mut kept = Vec::new();
        let mut total = 0u64;
        loop {
            if !self.fill()? {
                return Err(SourceError::Eof);
            }
            let chunk = self.buf.get(self.pos..self.end).unwrap_or(&[]);
            let (n, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if kept.len() < keep {
                let k = (keep - kept.len()).min(n);
                kept.extend_from_slice(chunk.get(..k).unwrap_or(&[]));
            }
            total += n as u64;
            self.pos += n;
            if done {
                self.pos += 1;
                if kept.last() == Some(&b'\r') && kept.len() as u64 == total {
                    kept.pop();
                    total -= 1;
                }
                return Ok((kept, total));
            }
        }
    }

    /// Skips everything left; returns how many bytes that was (read errors end it).
    pub(crate) fn skip_to_end(&mut self) -> u64 {
        let mut n = 0u64;
        while let Ok(true) = self.fill() {
            n += (self.end - self.pos) as u64;
            self.pos = self.end;
        }
        n
    }

    /// A reader over the next `len` bytes of this source.
    pub(crate) fn limited(&mut self, len: u64) -> Limited<'_, 'a> {
        Limited {
            src: self,
            left: len,
        }
    }
}

/// The next `left` bytes of a [`Source`], as a `Read`.
pub(crate) struct Limited<'s, 'a> {
    src: &'s mut Source<'a>,
    left: u64,
}

impl Limited<'_, '_> {
    /// Bytes not yet read.
    pub(crate) fn left(&self) -> u64 {
        self.left
    }
}

impl Read for Limited<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || out.is_empty() {
            return Ok(0);
        }
        let more = self.src.fill().map_err(|e| match e {
            SourceError::Io(e) => e,
            SourceError::Eof => io::Error::from(io::ErrorKind::UnexpectedEof),
        })?;
        if !more {
            return Ok(0);
        }
        let avail = self.src.end - self.src.pos;
        let n = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(avail)
            .min(out.len());
        let s = self
            .src
            .buf
            .get(self.src.pos..self.src.pos + n)
            .unwrap_or(&[]);
        out.get_mut(..s.len()).unwrap_or(&mut []).copy_from_slice(s);
        self.src.pos += s.len();
        self.left -= s.len() as u64;
        Ok(s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_take_and_offsets() {
        let data = b"abc\r\nxyz\n0123456789".to_vec();
        let mut r: &[u8] = &data;
        let mut s = Source::new(&mut r, 100);
        assert_eq!(s.line(2).unwrap(), (b"ab".to_vec(), 4));
        assert_eq!(s.offset(), 105);
        assert_eq!(s.line(10).unwrap(), (b"xyz".to_vec(), 3));
        assert_eq!(s.take(5, 2).unwrap(), b"01".to_vec());
        assert_eq!(s.array::<2>().unwrap(), *b"56");
        assert!(matches!(s.take(10, 0), Err(SourceError::Eof)));
    }
}
