//! A tiny pickle opcode writer, for building test fixtures and fuzz seeds from harmless
//! parts in Rust (no Python needed). It writes opcodes; it does not serialise objects.

/// Builds pickle bytes opcode by opcode.
#[derive(Debug, Clone, Default)]
pub struct PickleWriter {
    buf: Vec<u8>,
}

impl PickleWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer that starts with `PROTO n`.
    pub fn proto(n: u8) -> Self {
        PickleWriter { buf: vec![0x80, n] }
    }

    /// The bytes written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Finishes with `STOP` and returns the bytes.
    pub fn stop(mut self) -> Vec<u8> {
        self.buf.push(b'.');
        self.buf
    }

    /// Returns the bytes without adding `STOP`.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// Raw bytes.
    pub fn raw(mut self, b: &[u8]) -> Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// One opcode byte.
    pub fn op(mut self, op: u8) -> Self {
        self.buf.push(op);
        self
    }

    /// `GLOBAL module\nname\n`.
    pub fn global(mut self, module: &str, name: &str) -> Self {
        self.buf.push(b'c');
        self.buf
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        self
    }

    /// `INST module\nname\n`.
    pub fn inst(mut self, module: &str, name: &str) -> Self {
        self.buf.push(b'i');
        self.buf
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        self
    }

    /// A str: `SHORT_BINUNICODE` or `BINUNICODE`.
    pub fn str(mut self, s: &str) -> Self {
        if s.len() < 256 {
            self.buf.push(0x8c);
            self.buf.push(s.len() as u8);
        } else {
            self.buf.push(b'X');
            self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// A protocol 0 `UNICODE` line.
    pub fn unicode_line(mut self, s: &str) -> Self {
        self.buf.push(b'V');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'\n');
        self
    }

    /// A protocol 0 `STRING` line (quoted).
    pub fn string_line(mut self, s: &str) -> Self {
        self.buf.push(b'S');
        self.buf.extend_from_slice(format!("'{s}'\n").as_bytes());
        self
    }

    /// Bytes: `SHORT_BINBYTES` or `BINBYTES`.
    pub fn bytes_val(mut self, b: &[u8]) -> Self {
        if b.len() < 256 {
            self.buf.push(b'C');
            self.buf.push(b.len() as u8);
        } else {
            self.buf.push(b'B');
            self.buf.extend_from_slice(&(b.len() as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(b);
        self
    }

    /// An int: `BININT1`, `BININT2` or `BININT`.
    pub fn int(mut self, v: i32) -> Self {
        if (0..256).contains(&v) {
            self.buf.push(b'K');
            self.buf.push(v as u8);
        } else if (0..65536).contains(&v) {
            self.buf.push(b'M');
            self.buf.extend_from_slice(&(v as u16).to_le_bytes());
        } else {
            self.buf.push(b'J');
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self
    }

    /// `MARK`.
    pub fn mark(self) -> Self {
        self.op(b'(')
    }

    /// `TUPLE` (from mark).
    pub fn tuple(self) -> Self {
        self.op(b't')
    }

    /// `TUPLE1`/`TUPLE2`/`TUPLE3`.
    pub fn tuple_n(self, n: u8) -> Self {
        self.op(0x84 + n.clamp(1, 3))
    }

    /// `EMPTY_TUPLE`.
    pub fn empty_tuple(self) -> Self {
        self.op(b')')
    }

    /// `REDUCE`.
    pub fn reduce(self) -> Self {
        self.op(b'R')
    }

    /// `BUILD`.
    pub fn build(self) -> Self {
        self.op(b'b')
    }

    /// `NEWOBJ`.
    pub fn newobj(self) -> Self {
        self.op(0x81)
    }

    /// `STACK_GLOBAL`.
    pub fn stack_global(self) -> Self {
        self.op(0x93)
    }

    /// `MEMOIZE`.
    pub fn memoize(self) -> Self {
        self.op(0x94)
    }

    /// `BINPUT i`.
    pub fn put(mut self, i: u8) -> Self {
        self.buf.extend_from_slice(&[b'q', i]);
        self
    }

    /// `BINGET i`.
    pub fn get(mut self, i: u8) -> Self {
        self.buf.extend_from_slice(&[b'h', i]);
        self
    }

    /// `EXT1 code`.
    pub fn ext1(mut self, code: u8) -> Self {
        self.buf.extend_from_slice(&[0x82, code]);
        self
    }

    /// `NONE`.
    pub fn none(self) -> Self {
        self.op(b'N')
    }

    /// `EMPTY_DICT`.
    pub fn empty_dict(self) -> Self {
        self.op(b'}')
    }

    /// `SETITEM`.
    pub fn setitem(self) -> Self {
        self.op(b's')
    }

    /// `POP`.
    pub fn pop(self) -> Self {
        self.op(b'0')
    }

    /// `BINPERSID`.
    pub fn binpersid(self) -> Self {
        self.op(b'Q')
    }

    /// `f(*args)` where `f` is `module.name` and args are strings: GLOBAL, MARK, strs,
    /// TUPLE, REDUCE.
    pub fn call_global(self, module: &str, name: &str, args: &[&str]) -> Self {
        let mut w = self.global(module, name).mark();
        for a in args {
            w = w.str(a);
        }
        w.tuple().reduce()
    }
}
