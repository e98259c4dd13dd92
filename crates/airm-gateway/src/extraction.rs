//! Model-extraction detection per virtual key. Someone copying a model through its API
//! sends many systematic queries; four signals catch the usual campaigns:
//!
//! - `volume`: more than `max_requests` in the sliding window;
//! - `coverage`: unusually wide coverage of the input space — over the last `window_prompts`
//!   prompts, the share of distinct words (type/token ratio) is at least `coverage_ratio`
//!   (people reuse words; random or synthetic inputs sampled to cover the space do not);
//! - `near_duplicates`: at least `near_duplicate_share` of recent prompts are near-copies of an
//!   earlier one (word-set Jaccard ≥ 0.6 but not identical) — a template probed one slot at
//!   a time;
//! - `distance_distribution`: for embedding endpoints, in the spirit of PRADA (Juuti et al.,
//!   2019): the distances between successive queries' embeddings are roughly normally
//!   distributed for natural, independent queries; synthetic probing (seeds followed by
//!   small perturbations) gives a skewed, bimodal distribution. The Jarque–Bera test (skewness
//!   and kurtosis, χ² with 2 degrees of freedom) replaces PRADA's Shapiro–Wilk test; an alert
//!   fires when its p-value falls below `distance_p_value`.
//!
//! Each signal raises at most one alert per key per `cooldown_secs`; the configured action
//! then flags, throttles (`429`) or blocks (`403`) the key for `cooldown_secs`.
//!
//! Statistics live in this process's memory (bounded per key and in the number of keys), or,
//! when the rate-limit counters are in Redis, in the same Redis, so several gateway
//! instances serving one key see one campaign: per key a request counter (two fixed windows
//! weighted into a sliding one), the last `window_prompts` prompts as word-hash lists, their
//! word counts, the last embedding and the recent distances, the alert cool-downs and the
//! sanction — each updated by one Lua script (atomic on the Redis server) and expiring after
//! the window of idleness. The near-duplicate comparison runs in the gateway against the
//! window read just before the update.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

/// Words of a prompt kept for the statistics.
const MAX_WORDS: usize = 48;
/// Embedding dimensions kept (a fixed random projection).
const DIMS: usize = 32;
/// Keys tracked before idle ones are forgotten.
const MAX_KEYS: usize = 10_000;
/// Word-set Jaccard similarity from which two prompts are near-duplicates.
const NEAR: f64 = 0.6;

/// What to do when a signal fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ExtractionAction {
    /// Record the alert only.
    #[default]
    Flag,
    /// Refuse the key's requests with `429` for `cooldown_secs`.
    Throttle,
    /// Refuse the key's requests with `403` for `cooldown_secs`.
    Block,
}

/// `[gateway.extraction]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractionConfig {
    /// Turns detection on.
    pub enabled: bool,
    /// Sliding window for the volume signal, seconds.
    pub window_secs: u64,
    /// Requests per window above which `volume` fires.
    pub max_requests: usize,
    /// Prompts kept per key for the coverage and near-duplicate signals.
    pub window_prompts: usize,
    /// Type/token ratio from which `coverage` fires (needs a full window).
    pub coverage_ratio: f64,
    /// Share of near-duplicate prompts from which `near_duplicates` fires.
    pub near_duplicate_share: f64,
    /// Embedding queries needed before the distance test runs.
    pub min_distance_samples: usize,
    /// p-value below which `distance_distribution` fires.
    pub distance_p_value: f64,
    /// What an alert does to the key.
    pub action: ExtractionAction,
    /// Seconds an alert is not repeated, and a throttle or block lasts.
    pub cooldown_secs: u64,
}

impl Default for ExtractionConfig {
    fn default() -> Self {
        ExtractionConfig {
            enabled: true,
            window_secs: 3600,
            max_requests: 5000,
            window_prompts: 100,
            coverage_ratio: 0.8,
            near_duplicate_share: 0.6,
            min_distance_samples: 50,
            distance_p_value: 1e-4,
            action: ExtractionAction::Flag,
            cooldown_secs: 600,
        }
    }
}

impl ExtractionConfig {
    /// Range checks.
    pub fn validate(&self) -> Result<(), GatewayError> {
        let bad = |f: &str, m: &str| {
            Err(GatewayError::Config {
                field: format!("extraction.{f}"),
                message: m.to_string(),
            })
        };
        if self.window_prompts < 10 || self.window_prompts > 10_000 {
            return bad("window_prompts", "must be within 10..=10000");
        }
        if !(0.0..=1.0).contains(&self.coverage_ratio)
            || !(0.0..=1.0).contains(&self.near_duplicate_share)
        {
            return bad("coverage_ratio", "ratios must be within 0..=1");
        }
        if !(0.0..1.0).contains(&self.distance_p_value) || self.min_distance_samples < 8 {
            return bad(
                "distance_p_value",
                "must be within 0..1, with min_distance_samples >= 8",
            );
        }
        Ok(())
    }
}

/// A signal that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// `volume`, `coverage`, `near_duplicates` or `distance_distribution`.
    pub signal: &'static str,
    /// The measured value that crossed the threshold.
    pub value: f64,
    /// The action taken.
    pub action: ExtractionAction,
}

/// Per-key statistics in memory.
#[derive(Default)]
struct KeyStats {
    times: VecDeque<Instant>,
    prompts: VecDeque<(Vec<u64>, bool)>,
    word_counts: HashMap<u64, u32>,
    total_words: usize,
    near_count: usize,
    last_embed: Option<[f64; DIMS]>,
    dists: VecDeque<f64>,
    last_alert: HashMap<&'static str, Instant>,
    sanction: Option<(ExtractionAction, Instant)>,
}

/// What the prompt statistics of a key look like after one more prompt.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PromptStats {
    /// Requests in the sliding window.
    volume: f64,
    /// Prompts in the window (0 when the prompt had no words).
    prompts: usize,
    /// Distinct words over the window.
    distinct: usize,
    /// Words over the window.
    total_words: usize,
    /// Near-duplicate prompts in the window.
    near: usize,
}

/// Redis side of the detector: one Lua script per update, atomic on the server.
struct RedisState {
    conn: redis::aio::MultiplexedConnection,
    prefix: String,
    prompt: redis::Script,
    embed: redis::Script,
    raise: redis::Script,
}

enum Backend {
    Memory(Mutex<HashMap<String, KeyStats>>),
    Redis(Box<RedisState>),
}

/// Per-key extraction statistics, in memory or in Redis.
pub struct Detector {
    cfg: ExtractionConfig,
    backend: Backend,
}

/// Records one prompt: the volume counter, the prompt window (evicting the oldest), the word
/// counts and the totals. KEYS: volume, prompts, words, totals. ARGV: window ms, window
/// prompts, ttl ms, near flag (0/1), the prompt's word hashes (16 hex digits each, sorted).
const PROMPT_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local win = tonumber(ARGV[1])
local wp = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local near = tonumber(ARGV[4])
local words = ARGV[5]
local v = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local ws = now - (now % win)
local start = tonumber(v[1])
local cur = tonumber(v[2]) or 0
local prev = tonumber(v[3]) or 0
if start == nil then
  start = ws; cur = 0; prev = 0
elseif ws ~= start then
  if ws - start == win then prev = cur else prev = 0 end
  cur = 0; start = ws
end
cur = cur + 1
redis.call('HSET', KEYS[1], 's', start, 'c', cur, 'p', prev)
redis.call('PEXPIRE', KEYS[1], 2 * win)
local volume = cur + prev * (1 - (now - start) / win)
if words == '' then
  return {tostring(volume), '0', '0', '0', '0'}
end
local function each(ws, f)
  for k = 0, #ws / 16 - 1 do f(string.sub(ws, k * 16 + 1, k * 16 + 16)) end
end
each(words, function(w) redis.call('HINCRBY', KEYS[3], w, 1) end)
local st = redis.call('HMGET', KEYS[4], 't', 'n')
local total = (tonumber(st[1]) or 0) + #words / 16
local nearc = (tonumber(st[2]) or 0) + near
local len = redis.call('RPUSH', KEYS[2], near .. words)
while len > wp do
  local old = redis.call('LPOP', KEYS[2])
  if not old then break end
  nearc = nearc - (tonumber(string.sub(old, 1, 1)) or 0)
  local ow = string.sub(old, 2)
  total = total - #ow / 16
  each(ow, function(w)
    if redis.call('HINCRBY', KEYS[3], w, -1) <= 0 then redis.call('HDEL', KEYS[3], w) end
  end)
  len = len - 1
end
redis.call('HSET', KEYS[4], 't', total, 'n', nearc)
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end
return {tostring(volume), tostring(len), tostring(redis.call('HLEN', KEYS[3])), tostring(total), tostring(nearc)}
";

/// Records one embedding: swaps the last embedding, appends the distance to it, keeps the
/// last `keep` distances and returns them. KEYS: last embedding, distances. ARGV: the
/// projected embedding (JSON array), keep, ttl ms.
const EMBED_SCRIPT: &str = r"
local ttl = tonumber(ARGV[3])
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
if old then
  local a = cjson.decode(old)
  local b = cjson.decode(ARGV[1])
  local s = 0
  for i = 1, math.min(#a, #b) do s = s + (a[i] - b[i]) ^ 2 end
  local d = math.sqrt(s)
  if d == d and d < math.huge then
    redis.call('RPUSH', KEYS[2], tostring(d))
    redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
  end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return redis.call('LRANGE', KEYS[2], 0, -1)
";

/// Raises a signal once per cool-down across instances and sets the sanction. KEYS:
/// cool-down marker, sanction. ARGV: cool-down ms, action (`flag` sets no sanction).
/// Returns 1 when this call raised the alert.
const RAISE_SCRIPT: &str = r"
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', tonumber(ARGV[1])) then return 0 end
if ARGV[2] ~= 'flag' then redis.call('SET', KEYS[2], ARGV[2], 'PX', tonumber(ARGV[1])) end
return 1
";

/// The distinct words of `text` (case-folded, at most [`MAX_WORDS`]) as sorted hashes
/// (FNV-1a, stable across builds so instances sharing Redis agree).
fn word_hashes(text: &str) -> Vec<u64> {
    let mut seen = HashSet::new();
    let mut v: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            let mut buf = [0u8; 4];
            for c in w.chars().flat_map(char::to_lowercase) {
                for b in c.encode_utf8(&mut buf).bytes() {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
            h
        })
        .filter(|h| seen.insert(*h))
        .take(MAX_WORDS)
        .collect();
    v.sort_unstable();
    v
}

/// `words` as the Redis form: 16 hex digits each, concatenated (sorted like the numbers).
fn encode_words(words: &[u64]) -> String {
    let mut s = String::with_capacity(words.len() * 16);
    for w in words {
        let _ = write!(s, "{w:016x}");
    }
    s
}

/// The inverse of [`encode_words`]; `None` for anything malformed.
fn decode_words(s: &str) -> Option<Vec<u64>> {
    if s.len() % 16 != 0 || s.len() > MAX_WORDS * 16 {
        return None;
    }
    (0..s.len() / 16)
        .map(|i| {
            s.get(i * 16..i * 16 + 16)
                .and_then(|h| u64::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// Jaccard similarity of two sorted, deduplicated hash lists (one merge pass).
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Whether `words` nearly repeats (without being identical to) one of `window`.
fn is_near<'a>(mut window: impl Iterator<Item = &'a Vec<u64>>, words: &[u64]) -> bool {
    window.any(|p| p.as_slice() != words && jaccard(p, words) >= NEAR)
}

/// A fixed pseudo-random ±1 projection of `v` to [`DIMS`] dimensions (distances are kept
/// approximately, Johnson–Lindenstrauss), normalised to unit length.
fn project(v: &[f64]) -> [f64; DIMS] {
    let mut out = [0.0; DIMS];
    for (i, x) in v.iter().enumerate() {
        for (d, o) in out.iter_mut().enumerate() {
            // A cheap deterministic hash of (i, d) for the sign.
            let mut z = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (d as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            z ^= z >> 31;
            z = z.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            *o += if z >> 63 == 1 { *x } else { -*x };
        }
    }
    let n = out.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n > 0.0 && n.is_finite() {
        for o in &mut out {
            *o /= n;
        }
    } else {
        out = [0.0; DIMS];
    }
    out
}

/// The Jarque–Bera p-value of `xs` (χ² with 2 degrees of freedom: `exp(-JB/2)`); 1 when
/// the sample is too small or has no spread.
pub fn jarque_bera_p(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if xs.len() < 8 {
        return 1.0;
    }
    let mean = xs.iter().sum::<f64>() / n;
    let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    if m2 <= f64::EPSILON || !m2.is_finite() {
        return 1.0;
    }
    let m3 = xs.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    let skew = m3 / m2.powf(1.5);
    let kurt = m4 / (m2 * m2);
    let jb = n / 6.0 * (skew * skew + (kurt - 3.0).powi(2) / 4.0);
    if jb.is_finite() {
        (-jb / 2.0).exp().clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn action_name(a: ExtractionAction) -> &'static str {
    match a {
        ExtractionAction::Flag => "flag",
        ExtractionAction::Throttle => "throttle",
        ExtractionAction::Block => "block",
    }
}

fn redis_err(e: &redis::RedisError) -> GatewayError {
    GatewayError::Counters(format!("extraction statistics: {e}"))
}

impl Detector {
    /// A detector keeping its statistics in this process's memory.
    pub fn new(cfg: ExtractionConfig) -> Detector {
        Detector {
            cfg,
            backend: Backend::Memory(Mutex::new(HashMap::new())),
        }
    }

    /// A detector keeping its statistics in Redis under `prefix` (shared by every instance
    /// using the same Redis and prefix).
    pub fn redis(
        cfg: ExtractionConfig,
        conn: redis::aio::MultiplexedConnection,
        prefix: &str,
    ) -> Detector {
        Detector {
            cfg,
            backend: Backend::Redis(Box::new(RedisState {
                conn,
                prefix: format!("{prefix}:ex"),
                prompt: redis::Script::new(PROMPT_SCRIPT),
                embed: redis::Script::new(EMBED_SCRIPT),
                raise: redis::Script::new(RAISE_SCRIPT),
            })),
        }
    }

    /// Where the statistics live (`memory` or `redis`).
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    fn with<T>(
        map: &Mutex<HashMap<String, KeyStats>>,
        key: &str,
        f: impl FnOnce(&mut KeyStats) -> T,
    ) -> Option<T> {
        let mut map = map.lock().ok()?;
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.clear();
        }
        Some(f(map.entry(key.to_string()).or_default()))
    }

    fn ttl_ms(&self) -> u64 {
        self.cfg
            .window_secs
            .max(self.cfg.cooldown_secs)
            .max(60)
            .saturating_mul(1000)
    }

    /// Refuses a key under a throttle or block. With Redis, a failure to read the sanction
    /// refuses the request (`503`, fail closed), like the rate limits.
    pub async fn check(&self, key: &str) -> Result<(), GatewayError> {
        if !self.cfg.enabled {
            return Ok(());
        }
        let sanction = match &self.backend {
            Backend::Memory(map) => {
                let now = Instant::now();
                Self::with(map, key, |s| match s.sanction {
                    Some((a, until)) if until > now => Some((a, until - now)),
                    _ => {
                        s.sanction = None;
                        None
                    }
                })
                .flatten()
            }
            Backend::Redis(r) => {
                let k = format!("{}:{key}:sanction", r.prefix);
                let mut conn = r.conn.clone();
                let (action, left): (Option<String>, i64) = redis::pipe()
                    .get(&k)
                    .pttl(&k)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| redis_err(&e))?;
                let left = Duration::from_millis(u64::try_from(left).unwrap_or(1000));
                match action.as_deref() {
                    Some("throttle") => Some((ExtractionAction::Throttle, left)),
                    Some("block") => Some((ExtractionAction::Block, left)),
                    _ => None,
                }
            }
        };
        match sanction {
            Some((ExtractionAction::Throttle, left)) => Err(GatewayError::RateLimited {
                what: "model-extraction throttle",
                retry_after_secs: left.as_secs().max(1),
            }),
            Some((ExtractionAction::Block, _)) => Err(GatewayError::KeyBlocked(
                "suspected model extraction".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The prompt signals that crossed their thresholds.
    fn prompt_signals(&self, s: &PromptStats) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        if s.volume > self.cfg.max_requests as f64 {
            out.push(("volume", s.volume.floor()));
        }
        if s.prompts >= self.cfg.window_prompts && s.total_words > 0 {
            let ttr = s.distinct as f64 / s.total_words as f64;
            if ttr >= self.cfg.coverage_ratio {
                out.push(("coverage", ttr));
            }
            let share = s.near as f64 / s.prompts as f64;
            if share >= self.cfg.near_duplicate_share {
                out.push(("near_duplicates", share));
            }
        }
        out
    }

    /// The distance signal, if it crossed its threshold.
    fn distance_signal(&self, dists: &[f64]) -> Option<(&'static str, f64)> {
        if dists.len() < self.cfg.min_distance_samples {
            return None;
        }
        let pv = jarque_bera_p(dists);
        (pv < self.cfg.distance_p_value).then_some(("distance_distribution", pv))
    }

    /// Memory: raises `signal` unless it was raised within the cool-down; sets the sanction.
    fn raise_local(&self, s: &mut KeyStats, signal: &'static str, value: f64) -> Option<Alert> {
        let now = Instant::now();
        let cooldown = Duration::from_secs(self.cfg.cooldown_secs);
        if s.last_alert
            .get(signal)
            .is_some_and(|t| now.duration_since(*t) < cooldown)
        {
            return None;
        }
        s.last_alert.insert(signal, now);
        if self.cfg.action != ExtractionAction::Flag {
            s.sanction = Some((self.cfg.action, now + cooldown));
        }
        Some(Alert {
            signal,
            value,
            action: self.cfg.action,
        })
    }

    /// Redis: the same, once across all instances.
    async fn raise_shared(
        &self,
        r: &RedisState,
        key: &str,
        fired: Vec<(&'static str, f64)>,
    ) -> Vec<Alert> {
        let mut out = Vec::new();
        for (signal, value) in fired {
            let mut conn = r.conn.clone();
            let raised: Result<i64, _> = r
                .raise
                .key(format!("{}:{key}:cd:{signal}", r.prefix))
                .key(format!("{}:{key}:sanction", r.prefix))
                .arg(self.cfg.cooldown_secs.max(1).saturating_mul(1000))
                .arg(action_name(self.cfg.action))
                .invoke_async(&mut conn)
                .await;
            match raised {
                Ok(1) => out.push(Alert {
                    signal,
                    value,
                    action: self.cfg.action,
                }),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "Cannot record an extraction alert in Redis"),
            }
        }
        out
    }

    /// Records one request with its prompt text (user turns); returns new alerts. A Redis
    /// failure is logged and counts nothing (the request was already admitted).
    pub async fn observe_prompt(&self, key: &str, text: &str) -> Vec<Alert> {
        if !self.cfg.enabled {
            return Vec::new();
        }
        let words = word_hashes(text);
        match &self.backend {
            Backend::Memory(map) => Self::with(map, key, |s| {
                let stats = self.observe_local(s, words);
                self.prompt_signals(&stats)
                    .into_iter()
                    .filter_map(|(sig, v)| self.raise_local(s, sig, v))
                    .collect()
            })
            .unwrap_or_default(),
            Backend::Redis(r) => match self.observe_shared(r, key, &words).await {
                Ok(stats) => {
                    let fired = self.prompt_signals(&stats);
                    if fired.is_empty() {
                        return Vec::new();
                    }
                    self.raise_shared(r, key, fired).await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Cannot update the extraction statistics");
                    Vec::new()
                }
            },
        }
    }

    fn observe_local(&self, s: &mut KeyStats, words: Vec<u64>) -> PromptStats {
        let now = Instant::now();
        let window = Duration::from_secs(self.cfg.window_secs);
        s.times.push_back(now);
        while s
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            s.times.pop_front();
        }
        // Cap memory: the volume signal only needs to know the window is over the limit.
        while s.times.len() > self.cfg.max_requests + 1 {
            s.times.pop_front();
        }
        let volume = s.times.len() as f64;
        if words.is_empty() {
            return PromptStats {
                volume,
                prompts: 0,
                distinct: 0,
                total_words: 0,
                near: 0,
            };
        }
        let near = is_near(s.prompts.iter().map(|(p, _)| p), &words);
        for w in &words {
            *s.word_counts.entry(*w).or_default() += 1;
        }
        s.total_words += words.len();
        s.near_count += usize::from(near);
        s.prompts.push_back((words, near));
        while s.prompts.len() > self.cfg.window_prompts {
            let Some((old, was_near)) = s.prompts.pop_front() else {
                break;
            };
            s.near_count -= usize::from(was_near);
            s.total_words -= old.len();
            for w in old {
                if let Some(c) = s.word_counts.get_mut(&w) {
                    *c -= 1;
                    if *c == 0 {
                        s.word_counts.remove(&w);
                    }
                }
            }
        }
        PromptStats {
            volume,
            prompts: s.prompts.len(),
            distinct: s.word_counts.len(),
            total_words: s.total_words,
            near: s.near_count,
        }
    }

    async fn observe_shared(
        &self,
        r: &RedisState,
        key: &str,
        words: &[u64],
    ) -> Result<PromptStats, GatewayError> {
        let p = |what: &str| format!("{}:{key}:{what}", r.prefix);
        let mut conn = r.conn.clone();
        let near = if words.is_empty() {
            false
        } else {
            // The window as it is now; the comparison runs here, not in Redis's single thread.
            let window: Vec<String> = redis::cmd("LRANGE")
                .arg(p("p"))
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .map_err(|e| redis_err(&e))?;
            let window: Vec<Vec<u64>> = window
                .iter()
                .filter_map(|e| e.get(1..).and_then(decode_words))
                .collect();
            is_near(window.iter(), words)
        };
        let v: Vec<f64> = r
            .prompt
            .key(p("v"))
            .key(p("p"))
            .key(p("w"))
            .key(p("t"))
            .arg(self.cfg.window_secs.max(1).saturating_mul(1000))
            .arg(self.cfg.window_prompts)
            .arg(self.ttl_ms())
            .arg(u8::from(near))
            .arg(encode_words(words))
            .invoke_async(&mut conn)
            .await
            .map_err(|e| redis_err(&e))?;
        let get = |i: usize| v.get(i).copied().unwrap_or(0.0).max(0.0);
        Ok(PromptStats {
            volume: get(0),
            prompts: get(1) as usize,
            distinct: get(2) as usize,
            total_words: get(3) as usize,
            near: get(4) as usize,
        })
    }

    /// Records the embedding of one query (from an embeddings response); returns new alerts.
    pub async fn observe_embedding(&self, key: &str, embedding: &[f64]) -> Vec<Alert> {
        if !self.cfg.enabled || embedding.is_empty() {
            return Vec::new();
        }
        let p = project(embedding);
        let keep = self.cfg.min_distance_samples * 4;
        match &self.backend {
            Backend::Memory(map) => Self::with(map, key, |s| {
                if let Some(prev) = &s.last_embed {
                    let d = prev
                        .iter()
                        .zip(&p)
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    if d.is_finite() {
                        s.dists.push_back(d);
                        if s.dists.len() > keep {
                            s.dists.pop_front();
                        }
                    }
                }
                s.last_embed = Some(p);
                let xs: Vec<f64> = s.dists.iter().copied().collect();
                self.distance_signal(&xs)
                    .and_then(|(sig, v)| self.raise_local(s, sig, v))
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default(),
            Backend::Redis(r) => {
                let mut conn = r.conn.clone();
                let json = serde_json::to_string(&p.to_vec()).unwrap_or_else(|_| "[]".into());
                let dists: Result<Vec<f64>, _> = r
                    .embed
                    .key(format!("{}:{key}:e", r.prefix))
                    .key(format!("{}:{key}:d", r.prefix))
                    .arg(json)
                    .arg(keep)
                    .arg(self.ttl_ms())
                    .invoke_async(&mut conn)
                    .await;
                match dists {
                    Ok(xs) => match self.distance_signal(&xs) {
                        Some(fired) => self.raise_shared(r, key, vec![fired]).await,
                        None => Vec::new(),
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "Cannot update the extraction statistics");
                        Vec::new()
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    const NORMAL: [&str; 24] = [
        "Where is my parcel?",
        "What is the capital of France?",
        "Summarise this paragraph about birds in two sentences.",
        "How do I change the delivery address on an order?",
        "Write a short poem about autumn in Paris.",
        "Which of your plans includes priority support?",
        "Explain how a heat pump works to a ten year old.",
        "My invoice shows the wrong VAT number, what should I do?",
        "Translate 'good morning' into Spanish and German.",
        "Give me three ideas for a team lunch.",
        "Is the store open on public holidays?",
        "What is the difference between a list and a tuple in Python?",
        "Can I return shoes after thirty days?",
        "Draft a polite reminder email about an unpaid bill.",
        "How long does shipping to Canada take?",
        "Recommend a book about the history of mathematics.",
        "Why is the sky blue?",
        "Convert 30 degrees Celsius to Fahrenheit.",
        "What documents do I need to open an account?",
        "Tell me a fun fact about octopuses.",
        "How can I improve my sleep?",
        "What does the error code E42 on my washing machine mean?",
        "Plan a three-day trip to Lisbon on a budget.",
        "Who wrote Pride and Prejudice?",
    ];

    /// A memory detector, and one in Redis under a fresh prefix when a test Redis is set.
    async fn detectors(cfg: ExtractionConfig) -> Vec<Detector> {
        let mut out = vec![Detector::new(cfg.clone())];
        if let Some(url) = crate::test_redis_url() {
            let conn = redis::Client::open(url)
                .unwrap()
                .get_multiplexed_async_connection()
                .await
                .unwrap();
            let prefix = format!("airm-test:{:016x}", rand::random::<u64>());
            out.push(Detector::redis(cfg, conn, &prefix));
        }
        out
    }

    fn cfg(action: ExtractionAction) -> ExtractionConfig {
        ExtractionConfig {
            window_prompts: 50,
            max_requests: 400,
            action,
            ..ExtractionConfig::default()
        }
    }

    #[test]
    fn word_sets_and_jaccard() {
        let a = word_hashes("The cat sat on the MAT");
        assert_eq!(a.len(), 5);
        assert_eq!(a, word_hashes("mat on sat cat the"));
        assert!((jaccard(&a, &a) - 1.0).abs() < 1e-12);
        assert_eq!(jaccard(&a, &word_hashes("dogs bark loudly")), 0.0);
        let b = word_hashes("the cat sat on the hat");
        assert!((jaccard(&a, &b) - 4.0 / 6.0).abs() < 1e-12);
    }

    #[tokio::test]
    async fn normal_chat_stays_quiet() {
        for d in detectors(cfg(ExtractionAction::Block)).await {
            for i in 0..300 {
                let a = d.observe_prompt("k", NORMAL[i % NORMAL.len()]).await;
                assert!(a.is_empty(), "{}: prompt {i}: {a:?}", d.backend());
            }
            assert!(d.check("k").await.is_ok());
        }
    }

    #[tokio::test]
    async fn template_probing_fires_near_duplicates_and_blocks() {
        for d in detectors(cfg(ExtractionAction::Block)).await {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            let words = [
                "great", "awful", "fine", "slow", "fast", "cheap", "broken", "lovely", "cold",
                "late",
            ];
            let mut alerts = Vec::new();
            for _ in 0..60 {
                let w: Vec<&str> = (0..3)
                    .map(|_| words[rng.gen_range(0..words.len())])
                    .collect();
                let p = format!("Classify the sentiment of this product review as positive or negative: the delivery was {} and the item {} and {}", w[0], w[1], w[2]);
                alerts.extend(d.observe_prompt("k", &p).await);
            }
            assert!(
                alerts.iter().any(|a| a.signal == "near_duplicates"),
                "{alerts:?}"
            );
            assert!(matches!(
                d.check("k").await,
                Err(GatewayError::KeyBlocked(_))
            ));
            assert!(d.check("other").await.is_ok());
        }
    }

    #[tokio::test]
    async fn random_inputs_fire_coverage_and_volume() {
        for d in detectors(cfg(ExtractionAction::Throttle)).await {
            let mut rng = rand::rngs::StdRng::seed_from_u64(9);
            let mut alerts = Vec::new();
            for _ in 0..450 {
                let p: Vec<String> = (0..12)
                    .map(|_| format!("w{}", rng.gen_range(0..1_000_000)))
                    .collect();
                alerts.extend(d.observe_prompt("k", &p.join(" ")).await);
            }
            assert!(alerts.iter().any(|a| a.signal == "coverage"), "{alerts:?}");
            assert!(alerts.iter().any(|a| a.signal == "volume"), "{alerts:?}");
            assert_eq!(
                alerts.iter().filter(|a| a.signal == "coverage").count(),
                1,
                "one alert per cooldown"
            );
            assert!(matches!(
                d.check("k").await,
                Err(GatewayError::RateLimited { .. })
            ));
        }
    }

    fn gaussian(rng: &mut rand::rngs::StdRng, dim: usize) -> Vec<f64> {
        (0..dim)
            .map(|_| {
                // Box–Muller.
                let (u1, u2): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen_range(0.0..1.0));
                (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
            })
            .collect()
    }

    #[tokio::test]
    async fn prada_style_distance_test_separates_probing_from_natural_queries() {
        for (natural, probing) in detectors(cfg(ExtractionAction::Flag))
            .await
            .into_iter()
            .zip(detectors(cfg(ExtractionAction::Flag)).await)
        {
            let mut rng = rand::rngs::StdRng::seed_from_u64(11);
            let mut alerts = Vec::new();
            for _ in 0..200 {
                alerts.extend(
                    natural
                        .observe_embedding("k", &gaussian(&mut rng, 256))
                        .await,
                );
            }
            assert!(alerts.is_empty(), "natural queries: {alerts:?}");
            // Probing: a few seeds, each followed by many tiny perturbations.
            let mut alerts = Vec::new();
            for _ in 0..10 {
                let seed = gaussian(&mut rng, 256);
                for _ in 0..20 {
                    let noise = gaussian(&mut rng, 256);
                    let q: Vec<f64> = seed.iter().zip(&noise).map(|(s, n)| s + 0.02 * n).collect();
                    alerts.extend(probing.observe_embedding("k", &q).await);
                }
            }
            assert!(
                alerts.iter().any(|a| a.signal == "distance_distribution"),
                "{}: {alerts:?}",
                probing.backend()
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn jarque_bera_is_a_probability(xs in proptest::collection::vec(-1e6f64..1e6, 0..200)) {
            let p = jarque_bera_p(&xs);
            proptest::prop_assert!((0.0..=1.0).contains(&p));
        }

        #[test]
        fn word_lists_survive_the_redis_form_and_any_stored_string_is_safe(
            text in "[a-zA-Z0-9 ]{0,400}",
            junk in "\\PC{0,900}",
        ) {
            let w = word_hashes(&text);
            proptest::prop_assert_eq!(decode_words(&encode_words(&w)), Some(w));
            if let Some(d) = decode_words(&junk) {
                proptest::prop_assert!(d.len() <= MAX_WORDS);
            }
        }

        #[test]
        fn any_embedding_is_accepted(v in proptest::collection::vec(proptest::num::f64::ANY, 0..64)) {
            let d = Detector::new(ExtractionConfig::default());
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let _ = d.observe_embedding("k", &v).await;
                let _ = d.observe_embedding("k", &v).await;
            });
        }
    }
}
