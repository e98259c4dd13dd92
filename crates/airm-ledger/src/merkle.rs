//! The RFC 6962 (Certificate Transparency) Merkle tree over the log's entries.
//!
//! Definitions (RFC 6962 §2.1, same in RFC 9162 §2.1.1): the hash of an empty tree is
//! `SHA-256("")`; a leaf hash is `SHA-256(0x00 || leaf)`; an interior node is
//! `SHA-256(0x01 || left || right)`; a list of n > 1 leaves is split at k, the largest power
//! of two smaller than n. In the ledger, leaf i is the 32-byte entry hash of the entry with
//! seq i ([`crate::LedgerEntry::leaf_hash`]), so the tree size equals the number of entries.
//!
//! [`CompactTree`] keeps only the roots of the perfect subtrees of the current size (at most
//! 64 hashes), which makes appending amortised O(1) and the root O(log n). Proofs are built
//! with the PATH and PROOF algorithms of RFC 6962 §2.1.1/§2.1.2 from a [`LeafSource`] (the
//! store supplies leaf hashes and may override [`LeafSource::subtree_hash`] with cached
//! nodes) and verified with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2. Nothing here
//! knows about events or files.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Digest, Error};

/// Proofs longer than this are refused (a tree of 2^64 leaves cannot exist).
const MAX_PROOF_LEN: usize = 64;

/// Largest tree size accepted from outside (seqs are `i64`), so appending cannot overflow.
pub const MAX_TREE_SIZE: u64 = i64::MAX as u64;

/// `SHA-256(0x00 || data)`: the Merkle leaf hash of `data`.
pub fn leaf_hash(data: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Digest(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`: an interior node.
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Digest(h.finalize().into())
}

/// The root of the empty tree, `SHA-256("")` = `e3b0c442…b855`.
pub fn empty_root() -> Digest {
    Digest::sha256(b"")
}

/// The largest power of two strictly smaller than `n` (`n` ≥ 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Anything that can supply the leaf hashes of a tree: a slice in memory, or the store.
pub trait LeafSource {
    /// The leaf hash (already `SHA-256(0x00 || leaf)`) at `index`.
    fn leaf_hash(&self, index: u64) -> Result<Digest, Error>;

    /// MTH of the leaves `[start, end)` (`start < end`). The default reads every leaf;
    /// a store with cached subtree roots may answer faster. Must equal the definition.
    fn subtree_hash(&self, start: u64, end: u64) -> Result<Digest, Error> {
        if start >= end {
            return Err(Error::Proof(format!("empty subtree [{start}, {end})")));
        }
        let mut tree = CompactTree::new();
        for i in start..end {
            tree.push_leaf_hash(self.leaf_hash(i)?);
        }
        Ok(tree.root())
    }
}

impl LeafSource for [Digest] {
    fn leaf_hash(&self, index: u64) -> Result<Digest, Error> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.get(i))
            .copied()
            .ok_or_else(|| Error::Source(format!("no leaf {index} (have {})", self.len())))
    }
}

impl LeafSource for Vec<Digest> {
    fn leaf_hash(&self, index: u64) -> Result<Digest, Error> {
        self.as_slice().leaf_hash(index)
    }
}

/// An append-only Merkle tree that keeps only the roots of its perfect subtrees (the
/// "frontier"), largest first. Enough to append and to compute the root, not to build proofs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactTree {
    size: u64,
    frontier: Vec<Digest>,
}

impl CompactTree {
    /// The empty tree.
    pub fn new() -> Self {
        CompactTree::default()
    }

    /// Rebuilds a tree of `size` leaves from its frontier: the MTH of each perfect subtree in
    /// the binary decomposition of `size`, largest (leftmost) first — one hash per set bit.
    pub fn from_frontier(size: u64, frontier: Vec<Digest>) -> Result<Self, Error> {
        if size > MAX_TREE_SIZE {
            return Err(Error::Proof(format!("tree size {size} is too large")));
        }
        if frontier.len() != size.count_ones() as usize {
            return Err(Error::Proof(format!(
                "a frontier of a tree of size {size} has {} hashes, got {}",
                size.count_ones(),
                frontier.len()
            )));
        }
        Ok(CompactTree { size, frontier })
    }

    /// The frontier of the first `size` leaves of `source` (see [`CompactTree::from_frontier`]).
    pub fn from_source(source: &(impl LeafSource + ?Sized), size: u64) -> Result<Self, Error> {
        let mut frontier = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for bit in (0..64).rev() {
            let width = 1u64 << bit;
            if size & width != 0 {
                frontier.push(source.subtree_hash(start, start + width)?);
                start += width;
            }
        }
        CompactTree::from_frontier(size, frontier)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest first.
    pub fn frontier(&self) -> &[Digest] {
        &self.frontier
    }

    /// Appends a leaf given its leaf hash. (A tree cannot outgrow [`MAX_TREE_SIZE`] + 1
    /// leaves in practice; the size saturates rather than wrap.)
    pub fn push_leaf_hash(&mut self, leaf: Digest) {
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            match self.frontier.pop() {
                Some(left) => h = node_hash(&left, &h),
                None => break,
            }
            s >>= 1;
        }
        self.frontier.push(h);
        self.size = self.size.saturating_add(1);
    }

    /// The tree head: MTH of all leaves so far.
    pub fn root(&self) -> Digest {
        let mut iter = self.frontier.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// MTH of a list of leaf hashes, following the recursive definition (O(n) hashes).
pub fn root_of(leaves: &[Digest]) -> Digest {
    let mut t = CompactTree::new();
    for l in leaves {
        t.push_leaf_hash(*l);
    }
    t.root()
}

/// Proof that leaf `leaf_index` is in the tree of `tree_size` leaves (RFC 6962 PATH).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The leaf (= entry seq).
    pub leaf_index: u64,
    /// The tree size the proof is against.
    pub tree_size: u64,
    /// Sibling hashes, leaf side first.
    pub hashes: Vec<Digest>,
}

/// Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves
/// (RFC 6962 PROOF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub old_size: u64,
    /// The newer tree size.
    pub new_size: u64,
    /// Proof hashes, in RFC 6962 order.
    pub hashes: Vec<Digest>,
}

/// Builds the inclusion proof of `leaf_index` in the first `tree_size` leaves of `source`.
pub fn inclusion_proof(
    source: &(impl LeafSource + ?Sized),
    leaf_index: u64,
    tree_size: u64,
) -> Result<InclusionProof, Error> {
    if leaf_index >= tree_size {
        return Err(Error::Proof(format!(
            "leaf {leaf_index} is not in a tree of size {tree_size}"
        )));
    }
    let mut hashes = Vec::new();
    path(source, leaf_index, 0, tree_size, &mut hashes)?;
    Ok(InclusionProof {
        leaf_index,
        tree_size,
        hashes,
    })
}

// PATH(m, D[start:end]); appends siblings leaf side first.
fn path(
    src: &(impl LeafSource + ?Sized),
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Digest>,
) -> Result<(), Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(src, m, start, start + k, out)?;
        out.push(src.subtree_hash(start + k, end)?);
    } else {
        path(src, m - k, start + k, end, out)?;
        out.push(src.subtree_hash(start, start + k)?);
    }
    Ok(())
}

/// Builds the consistency proof between the first `old_size` and `new_size` leaves.
/// `old_size == 0` and `old_size == new_size` give an empty proof.
pub fn consistency_proof(
    source: &(impl LeafSource + ?Sized),
    old_size: u64,
    new_size: u64,
) -> Result<ConsistencyProof, Error> {
    if old_size > new_size {
        return Err(Error::Proof(format!(
            "old size {old_size} is larger than new size {new_size}"
        )));
    }
    let mut hashes = Vec::new();
    if old_size > 0 && old_size < new_size {
        subproof(source, old_size, 0, new_size, true, &mut hashes)?;
    }
    Ok(ConsistencyProof {
        old_size,
        new_size,
        hashes,
    })
}

// SUBPROOF(m, D[start:end], b)
fn subproof(
    src: &(impl LeafSource + ?Sized),
    m: u64,
    start: u64,
    end: u64,
    b: bool,
    out: &mut Vec<Digest>,
) -> Result<(), Error> {
    let n = end - start;
    if m == n {
        if !b {
            out.push(src.subtree_hash(start, end)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(src, m, start, start + k, b, out)?;
        out.push(src.subtree_hash(start + k, end)?);
    } else {
        subproof(src, m - k, start + k, end, false, out)?;
        out.push(src.subtree_hash(start, start + k)?);
    }
    Ok(())
}

/// Verifies an inclusion proof of the leaf whose leaf hash is `leaf` against `root`
/// (RFC 9162 §2.1.3.2). Returns a reason on failure.
pub fn verify_inclusion(
    proof: &InclusionProof,
    leaf: &Digest,
    root: &Digest,
) -> Result<(), String> {
    if proof.leaf_index >= proof.tree_size {
        return Err("leaf index is not below the tree size".into());
    }
    if proof.hashes.len() > MAX_PROOF_LEN {
        return Err("proof too long".into());
    }
    let mut fn_ = proof.leaf_index;
    let mut sn = proof.tree_size - 1;
    let mut r = *leaf;
    for p in &proof.hashes {
        if sn == 0 {
            return Err("proof has too many hashes".into());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err("proof has too few hashes".into());
    }
    if r != *root {
        return Err("computed root does not match".into());
    }
    Ok(())
}

/// Verifies that `old_root` (tree of `proof.old_size`) is a prefix of `new_root` (tree of
/// `proof.new_size`) (RFC 9162 §2.1.4.2; sizes 0 and equal sizes need an empty proof).
pub fn verify_consistency(
    proof: &ConsistencyProof,
    old_root: &Digest,
    new_root: &Digest,
) -> Result<(), String> {
    let (first, second) = (proof.old_size, proof.new_size);
    if first > second {
        return Err("old size is larger than new size".into());
    }
    if proof.hashes.len() > MAX_PROOF_LEN {
        return Err("proof too long".into());
    }
    if first == second {
        if !proof.hashes.is_empty() {
            return Err("proof between equal sizes must be empty".into());
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err("roots of equal sizes differ".into())
        };
    }
    if first == 0 {
        if !proof.hashes.is_empty() {
            return Err("proof from the empty tree must be empty".into());
        }
        return if *old_root == empty_root() {
            Ok(())
        } else {
            Err("old root is not the empty root".into())
        };
    }
    let mut path: Vec<Digest> = Vec::with_capacity(proof.hashes.len() + 1);
    if first.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(&proof.hashes);
    let Some((c0, rest)) = path.split_first() else {
        return Err("proof is empty".into());
    };
    let mut fn_ = first - 1;
    let mut sn = second - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = *c0;
    let mut sr = *c0;
    for c in rest {
        if sn == 0 {
            return Err("proof has too many hashes".into());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err("proof has too few hashes".into());
    }
    if fr != *old_root {
        return Err("old root does not match".into());
    }
    if sr != *new_root {
        return Err("new root does not match".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Digest> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // RFC 6962 leaf hash of the empty leaf: SHA-256(0x00).
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn frontier_round_trip() {
        let l = leaves(77);
        let t = CompactTree::from_source(&l, 77).unwrap();
        assert_eq!(t.root(), root_of(&l));
        let mut u = CompactTree::from_frontier(77, t.frontier().to_vec()).unwrap();
        u.push_leaf_hash(leaf_hash(b"x"));
        let mut l2 = l.clone();
        l2.push(leaf_hash(b"x"));
        assert_eq!(u.root(), root_of(&l2));
        assert!(CompactTree::from_frontier(77, vec![]).is_err());
    }

    #[test]
    fn proofs_round_trip_and_reject_tampering() {
        let l = leaves(37);
        for size in 1..=37u64 {
            let root = root_of(&l[..size as usize]);
            for i in 0..size {
                let mut p = inclusion_proof(&l, i, size).unwrap();
                verify_inclusion(&p, &l[i as usize], &root).unwrap();
                if let Some(h) = p.hashes.first_mut() {
                    h.0[0] ^= 1;
                    assert!(verify_inclusion(&p, &l[i as usize], &root).is_err());
                }
            }
            for old in 0..=size {
                let old_root = root_of(&l[..old as usize]);
                let p = consistency_proof(&l, old, size).unwrap();
                verify_consistency(&p, &old_root, &root).unwrap();
                if old > 0 && old < size {
                    let mut bad = p.clone();
                    bad.hashes.pop();
                    assert!(verify_consistency(&bad, &old_root, &root).is_err());
                    let mut bad = p.clone();
                    bad.old_size -= 1;
                    assert!(verify_consistency(&bad, &old_root, &root).is_err());
                }
            }
        }
        assert!(inclusion_proof(&l, 5, 5).is_err());
        assert!(consistency_proof(&l, 6, 5).is_err());
    }
}
