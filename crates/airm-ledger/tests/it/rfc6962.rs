//! An independent, naive implementation of the RFC 6962 §2.1 definitions (MTH, PATH, PROOF)
//! written straight from the text with `sha2`, compared with the crate's incremental tree,
//! proof builders and verifiers; and an independent recomputation of a ledger's root.

use airm_ledger::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, verify_consistency,
    verify_inclusion, CompactTree, ConsistencyProof, InclusionProof,
};
use airm_ledger::Digest;
use sha2::{Digest as _, Sha256};

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) by the recursive definition.
fn mth(d: &[Vec<u8>]) -> [u8; 32] {
    match d.len() {
        0 => sha(&[]),
        1 => sha(&[&[0u8], &d[0]]),
        n => {
            let k = k_of(n);
            sha(&[&[1u8], &mth(&d[..k]), &mth(&d[k..])])
        }
    }
}

/// PATH(m, D[n]).
fn path(m: usize, d: &[Vec<u8>]) -> Vec<[u8; 32]> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<[u8; 32]> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn data(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
}

fn leaf_hashes(d: &[Vec<u8>]) -> Vec<Digest> {
    d.iter().map(|x| leaf_hash(x)).collect()
}

#[test]
fn empty_tree_known_answer() {
    assert_eq!(
        empty_root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(CompactTree::new().root(), empty_root());
}

#[test]
fn incremental_root_matches_definition_for_0_to_300() {
    let d = data(300);
    let mut tree = CompactTree::new();
    assert_eq!(tree.root().0, mth(&d[..0]));
    for n in 1..=300 {
        tree.push_leaf_hash(leaf_hash(&d[n - 1]));
        assert_eq!(tree.root().0, mth(&d[..n]), "n = {n}");
    }
}

#[test]
fn proofs_match_definition_and_verify() {
    let d = data(40);
    let leaves = leaf_hashes(&d);
    for n in 1..=40usize {
        let root = Digest(mth(&d[..n]));
        for m in 0..n {
            let p = inclusion_proof(&leaves, m as u64, n as u64).unwrap();
            let expected: Vec<Digest> = path(m, &d[..n]).into_iter().map(Digest).collect();
            assert_eq!(p.hashes, expected, "PATH({m}, {n})");
            verify_inclusion(&p, &leaves[m], &root).unwrap();
            // Wrong leaf, wrong index and wrong size must all fail.
            let other = leaf_hash(b"other");
            assert!(verify_inclusion(&p, &other, &root).is_err());
            if n > 1 {
                let wrong = InclusionProof {
                    leaf_index: (m as u64 + 1) % n as u64,
                    ..p.clone()
                };
                assert!(verify_inclusion(&wrong, &leaves[m], &root).is_err());
            }
            // (A wrong tree size can still reproduce the same root, e.g. (0, 3) and (0, 4):
            // the root is trusted only together with its size, from a signed checkpoint.)
            let beyond = InclusionProof {
                leaf_index: n as u64,
                ..p.clone()
            };
            assert!(verify_inclusion(&beyond, &leaves[m], &root).is_err());
        }
        for old in 1..=n {
            let old_root = Digest(mth(&d[..old]));
            let p = consistency_proof(&leaves, old as u64, n as u64).unwrap();
            let expected: Vec<Digest> = if old == n {
                vec![]
            } else {
                subproof(old, &d[..n], true)
                    .into_iter()
                    .map(Digest)
                    .collect()
            };
            assert_eq!(p.hashes, expected, "PROOF({old}, {n})");
            verify_consistency(&p, &old_root, &root).unwrap();
            if old < n {
                let fake_old = Digest(mth(&data(old + 1)[1..]));
                assert!(verify_consistency(&p, &fake_old, &root).is_err());
                for i in 0..p.hashes.len() {
                    let mut bad = p.clone();
                    bad.hashes[i].0[5] ^= 0x40;
                    assert!(verify_consistency(&bad, &old_root, &root).is_err());
                }
                let swapped = ConsistencyProof {
                    old_size: n as u64,
                    new_size: old as u64,
                    hashes: p.hashes.clone(),
                };
                assert!(verify_consistency(&swapped, &root, &old_root).is_err());
            }
        }
    }
}

#[test]
fn ledger_root_recomputed_independently() {
    // Entry hash = SHA-256("airm-ledger/v1/entry\0" || prev || canonical), leaf = entry hash,
    // all recomputed here without the crate's chain or tree code.
    let events: Vec<_> = (0..57).map(crate::common::simple_event).collect();
    let log = crate::common::build_log(events, &[]);
    let mut prev = [0u8; 32];
    let mut leaf_data = Vec::new();
    for e in &log.entries {
        let canonical = airm_ledger::canonical::encode_event(&e.event).unwrap();
        let h = sha(&[b"airm-ledger/v1/entry\0", &prev, &canonical]);
        assert_eq!(h, e.entry_hash.0);
        assert_eq!(e.prev_hash.0, prev);
        leaf_data.push(h.to_vec());
        prev = h;
    }
    let cp = log.checkpoints.last().unwrap();
    assert_eq!(cp.tree_size, 57);
    assert_eq!(cp.root_hash.0, mth(&leaf_data));
}
