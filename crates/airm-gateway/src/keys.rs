//! Virtual keys: airm-issued secrets (`airm_gk_` + 256 random bits) that clients send as
//! `Authorization: Bearer …` or `x-api-key`. Only the SHA-256 is stored; [`KeyCache`]
//! resolves a presented key through the store and caches the result for a few seconds so
//! the hot path does not touch the database (revocation takes effect within the TTL).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use airm_core::Timestamp;
use airm_store::{DynStore, GatewayKey};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::GatewayError;

/// Prefix of every gateway key, so leaked keys are recognisable by secret scanners.
pub const KEY_PREFIX: &str = "airm_gk_";

/// Largest key accepted in a header.
const MAX_KEY_LEN: usize = 128;

/// Entries kept in the cache before it is cleared.
const MAX_CACHED: usize = 100_000;

/// Makes a new random key; returns `(key, sha256_hex)`. Show the key once, store the hash.
pub fn new_key() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = hash_key(&key);
    (key, hash)
}

/// SHA-256 of a key, lower-case hex (keys are 256-bit random: a fast hash is enough).
pub fn hash_key(key: &str) -> String {
    hex_lower(&Sha256::digest(key.as_bytes()))
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// The key presented in `Authorization: Bearer` or `x-api-key`, if well-formed.
pub fn presented_key(headers: &axum::http::HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        });
    let key = bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))?
        .trim();
    (key.starts_with(KEY_PREFIX) && key.len() <= MAX_KEY_LEN).then_some(key)
}

/// Resolves presented keys to stored keys with a short-lived cache.
pub struct KeyCache {
    store: DynStore,
    ttl: Duration,
    entries: RwLock<HashMap<String, (Option<GatewayKey>, Instant)>>,
}

impl KeyCache {
    /// A cache over `store` keeping answers (also negative ones) for `ttl`.
    pub fn new(store: DynStore, ttl: Duration) -> KeyCache {
        KeyCache {
            store,
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The usable key for `presented`, or `Unauthorized`.
    pub async fn resolve(&self, presented: &str) -> Result<GatewayKey, GatewayError> {
        let now = Instant::now();
        if let Ok(map) = self.entries.read() {
            if let Some((k, at)) = map.get(presented) {
                if now.duration_since(*at) < self.ttl {
                    return match k {
                        Some(k) if k.is_usable(Timestamp::now()) => Ok(k.clone()),
                        _ => Err(GatewayError::Unauthorized),
                    };
                }
            }
        }
        let found = self
            .store
            .gateway_key_by_hash(&hash_key(presented), Timestamp::now())
            .await
            .map_err(|e| GatewayError::Internal(format!("key lookup: {e}")))?;
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= MAX_CACHED {
                map.clear();
            }
            map.insert(presented.to_string(), (found.clone(), now));
        }
        found.ok_or(GatewayError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hashed() {
        let (k1, h1) = new_key();
        let (k2, _) = new_key();
        assert_ne!(k1, k2);
        assert!(k1.starts_with(KEY_PREFIX));
        assert_eq!(h1, hash_key(&k1));
        assert_eq!(h1.len(), 64);
        let mut h = axum::http::HeaderMap::new();
        h.insert("authorization", format!("Bearer {k1}").parse().unwrap());
        assert_eq!(presented_key(&h), Some(k1.as_str()));
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-api-key", k2.parse().unwrap());
        assert_eq!(presented_key(&h), Some(k2.as_str()));
        let mut h = axum::http::HeaderMap::new();
        h.insert("authorization", "Bearer sk-openai".parse().unwrap());
        assert_eq!(presented_key(&h), None);
    }
}
