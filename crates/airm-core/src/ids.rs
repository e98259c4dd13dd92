//! Identifiers: a short type prefix plus a time-ordered random part (`sys_01j…`).
//!
//! The prefix makes ids self-describing in logs and URLs; the leading timestamp keeps
//! recently created objects together in indexes. Randomness comes from the caller so the
//! crate stays free of an RNG dependency.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Builds an id `"{prefix}_{26 chars}"` from a millisecond time and 80 random bits, in the
/// ULID layout (Crockford base32, lower case). Ids made later sort after earlier ones.
pub fn new_id(prefix: &str, millis: i64, random: u128) -> String {
    let value: u128 =
        ((millis.max(0) as u128 & 0xFFFF_FFFF_FFFF) << 80) | (random & ((1u128 << 80) - 1));
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    for i in (0..26).rev() {
        let idx = ((value >> (i * 5)) & 0x1f) as usize;
        out.push(ALPHABET[idx] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_have_prefix() {
        let a = new_id("sys", 1_000, u128::MAX);
        let b = new_id("sys", 1_001, 0);
        assert!(a < b);
        assert!(a.starts_with("sys_"));
        assert_eq!(a.len(), 4 + 26);
        assert_ne!(new_id("f", 5, 1), new_id("f", 5, 2));
    }
}
