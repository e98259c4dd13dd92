//! Rate limits per virtual key: two token buckets (requests per minute, tokens per minute),
//! refilled continuously. A request is admitted while both buckets hold at least one unit;
//! it takes one request and its estimated prompt tokens, and the completion tokens are
//! charged when the upstream reports them (the token bucket may go negative, down to minus
//! one minute's budget, which then delays the next requests). Refusals carry the seconds
//! until the bucket refills (`429` with `Retry-After`).
//!
//! Counters live in memory for one instance ([`Counters::memory`]) or in Redis
//! ([`Counters::redis`]) when several gateway instances share keys: there one Lua script
//! refills, checks and takes atomically, using Redis's clock, so instances agree.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use airm_store::GatewayKey;

use crate::error::GatewayError;

/// Redis keys expire this long after their last use (a full bucket needs no state).
const TTL_MS: u64 = 120_000;

/// Prefix of the Redis keys unless set.
pub const DEFAULT_PREFIX: &str = "airm:gw";

/// Entries kept in memory before idle ones are dropped.
const MAX_KEYS: usize = 100_000;

const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local creq = tonumber(ARGV[3])
local ctok = tonumber(ARGV[4])
local check = ARGV[5] == '1'
local ttl = tonumber(ARGV[6])
local function level(key, cap)
  local v = redis.call('HMGET', key, 'l', 't')
  local l = tonumber(v[1])
  local at = tonumber(v[2])
  if l == nil or at == nil then return cap end
  return math.min(cap, l + math.max(0, now - at) * cap / 60000.0)
end
local rl = 0
local tl = 0
if rpm > 0 then rl = level(KEYS[1], rpm) end
if tpm > 0 then tl = level(KEYS[2], tpm) end
if check then
  if rpm > 0 and rl < 1 then return {1, math.ceil((1 - rl) * 60000.0 / rpm)} end
  if tpm > 0 and tl < 1 then return {2, math.ceil((1 - tl) * 60000.0 / tpm)} end
end
if rpm > 0 then
  redis.call('HSET', KEYS[1], 'l', tostring(rl - creq), 't', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if tpm > 0 then
  redis.call('HSET', KEYS[2], 'l', tostring(math.min(tpm, math.max(-tpm, tl - ctok))), 't', now)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {0, 0}
";

#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, cap: f64, now: Instant) {
        let secs = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + secs * cap / 60.0).min(cap);
        self.at = now;
    }
}

/// Where the counters live.
enum Backend {
    /// This process only.
    Memory(Mutex<HashMap<String, (Bucket, Bucket)>>),
    /// Shared by every instance using the same Redis.
    Redis {
        /// The multiplexed connection (cheap to clone).
        conn: redis::aio::MultiplexedConnection,
        /// The bucket script.
        script: redis::Script,
        /// Prefix of every Redis key (`airm:gw` unless set).
        prefix: String,
    },
}

/// Rate-limit counters, in memory or in Redis.
pub struct Counters(Backend);

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counters({})", self.backend())
    }
}

/// What a refusal says.
fn limited(what: u8, retry_ms: u64) -> GatewayError {
    GatewayError::RateLimited {
        what: if what == 1 { "requests" } else { "tokens" },
        retry_after_secs: retry_ms.div_ceil(1000).max(1),
    }
}

impl Counters {
    /// In-memory counters.
    pub fn memory() -> Counters {
        Counters(Backend::Memory(Mutex::new(HashMap::new())))
    }

    /// Counters in Redis at `url` (`redis://host:6379/0`) under keys `airm:gw:…`; connects
    /// now.
    pub async fn redis(url: &str) -> Result<Counters, GatewayError> {
        Self::redis_with_prefix(url, DEFAULT_PREFIX).await
    }

    /// Counters in Redis at `url` under keys `<prefix>:…` (instances sharing a budget use
    /// the same prefix); connects now.
    pub async fn redis_with_prefix(url: &str, prefix: &str) -> Result<Counters, GatewayError> {
        let client = redis::Client::open(url)
            .map_err(|e| GatewayError::Counters(format!("bad Redis URL: {e}")))?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| GatewayError::Counters(format!("cannot connect to Redis: {e}")))?;
        Ok(Counters(Backend::Redis {
            conn,
            script: redis::Script::new(SCRIPT),
            prefix: prefix.to_string(),
        }))
    }

    /// The Redis connection and key prefix, when the counters live in Redis (the extraction
    /// detector keeps its statistics next to them).
    pub(crate) fn shared_redis(&self) -> Option<(redis::aio::MultiplexedConnection, &str)> {
        match &self.0 {
            Backend::Memory(_) => None,
            Backend::Redis { conn, prefix, .. } => Some((conn.clone(), prefix.as_str())),
        }
    }

    /// Which backend is in use (`memory` or `redis`).
    pub fn backend(&self) -> &'static str {
        match self.0 {
            Backend::Memory(_) => "memory",
            Backend::Redis { .. } => "redis",
        }
    }

    /// Admits a request of `key` costing `tokens` (estimated), or says how long to wait.
    pub async fn admit(&self, key: &GatewayKey, tokens: u64) -> Result<(), GatewayError> {
        self.apply(key, 1, i64::try_from(tokens).unwrap_or(i64::MAX), true)
            .await
    }

    /// Corrects the token bucket of `key` by `tokens` once the real usage is known
    /// (negative = refund of an over-estimate); never refuses.
    pub async fn charge(&self, key: &GatewayKey, tokens: i64) -> Result<(), GatewayError> {
        if tokens == 0 {
            return Ok(());
        }
        self.apply(key, 0, tokens, false).await
    }

    async fn apply(
        &self,
        key: &GatewayKey,
        requests: u64,
        tokens: i64,
        check: bool,
    ) -> Result<(), GatewayError> {
        let rpm = key.requests_per_minute.unwrap_or(0);
        let tpm = key.tokens_per_minute.unwrap_or(0);
        if rpm == 0 && tpm == 0 {
            return Ok(());
        }
        match &self.0 {
            Backend::Memory(map) => {
                let now = Instant::now();
                let mut map = map
                    .lock()
                    .map_err(|_| GatewayError::Internal("rate-limit lock poisoned".into()))?;
                if map.len() >= MAX_KEYS && !map.contains_key(&key.id) {
                    map.clear();
                }
                let full = |cap: u32| Bucket {
                    level: f64::from(cap),
                    at: now,
                };
                let (r, t) = map
                    .entry(key.id.clone())
                    .or_insert_with(|| (full(rpm), full(tpm)));
                let (rc, tc) = (f64::from(rpm), f64::from(tpm));
                r.refill(rc, now);
                t.refill(tc, now);
                if check {
                    if rpm > 0 && r.level < 1.0 {
                        return Err(limited(1, ((1.0 - r.level) * 60_000.0 / rc).ceil() as u64));
                    }
                    if tpm > 0 && t.level < 1.0 {
                        return Err(limited(2, ((1.0 - t.level) * 60_000.0 / tc).ceil() as u64));
                    }
                }
                r.level -= requests as f64;
                t.level = (t.level - tokens as f64).clamp(-tc, tc);
                Ok(())
            }
            Backend::Redis {
                conn,
                script,
                prefix,
            } => {
                let mut conn = conn.clone();
                let (code, retry): (u8, u64) = script
                    .key(format!("{prefix}:rl:{}:r", key.id))
                    .key(format!("{prefix}:rl:{}:t", key.id))
                    .arg(rpm)
                    .arg(tpm)
                    .arg(requests)
                    .arg(tokens)
                    .arg(if check { "1" } else { "0" })
                    .arg(TTL_MS)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(|e| GatewayError::Counters(e.to_string()))?;
                if code == 0 {
                    Ok(())
                } else {
                    Err(limited(code, retry))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airm_core::Timestamp;

    fn key(rpm: Option<u32>, tpm: Option<u32>) -> GatewayKey {
        GatewayKey {
            id: format!("gwk_test_{}", rand::random::<u64>()),
            name: "t".into(),
            system_id: "sys".into(),
            models: vec![],
            policy: "default".into(),
            requests_per_minute: rpm,
            tokens_per_minute: tpm,
            created_at: Timestamp(0),
            expires_at: None,
            revoked_at: None,
        }
    }

    async fn exercise(c: &Counters) {
        let k = key(Some(3), None);
        for _ in 0..3 {
            c.admit(&k, 10).await.unwrap();
        }
        match c.admit(&k, 10).await {
            Err(GatewayError::RateLimited {
                what,
                retry_after_secs,
            }) => {
                assert_eq!(what, "requests");
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        let t = key(None, Some(100));
        c.admit(&t, 60).await.unwrap();
        c.charge(&t, 50).await.unwrap();
        assert!(matches!(
            c.admit(&t, 1).await,
            Err(GatewayError::RateLimited { what: "tokens", .. })
        ));
        c.admit(&key(None, None), 1_000_000).await.unwrap();
    }

    #[tokio::test]
    async fn memory_buckets_limit_requests_and_tokens() {
        exercise(&Counters::memory()).await;
    }

    #[tokio::test]
    async fn redis_buckets_limit_requests_and_tokens() {
        let Some(url) = crate::test_redis_url() else {
            return;
        };
        exercise(&Counters::redis(&url).await.unwrap()).await;
    }
}
