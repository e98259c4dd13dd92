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
//! then flags, throttles (`429`) or blocks (`403`) the key for `cooldown_secs`. Statistics live
//! in this process's memory, bounded per key and in the number of keys.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
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

/// Per-key extraction statistics.
pub struct Detector {
    cfg: ExtractionConfig,
    keys: Mutex<HashMap<String, KeyStats>>,
}

/// The distinct words of `text` (case-folded, at most [`MAX_WORDS`]) as sorted hashes.
fn word_hashes(text: &str) -> Vec<u64> {
    let mut seen = HashSet::new();
    let mut v: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for c in w.chars().flat_map(char::to_lowercase) {
                c.hash(&mut h);
            }
            h.finish()
        })
        .filter(|h| seen.insert(*h))
        .take(MAX_WORDS)
        .collect();
    v.sort_unstable();
    v
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

impl Detector {
    /// A detector with `cfg`.
    pub fn new(cfg: ExtractionConfig) -> Detector {
        Detector {
            cfg,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, key: &str, f: impl FnOnce(&mut KeyStats) -> T) -> Option<T> {
        let mut map = self.keys.lock().ok()?;
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.clear();
        }
        Some(f(map.entry(key.to_string()).or_default()))
    }

    /// Refuses a key under a throttle or block.
    pub fn check(&self, key: &str) -> Result<(), GatewayError> {
        if !self.cfg.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let sanction = self
            .with(key, |s| match s.sanction {
                Some((a, until)) if until > now => Some((a, until - now)),
                _ => {
                    s.sanction = None;
                    None
                }
            })
            .flatten();
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

    fn raise(&self, s: &mut KeyStats, signal: &'static str, value: f64, out: &mut Vec<Alert>) {
        let now = Instant::now();
        let cooldown = Duration::from_secs(self.cfg.cooldown_secs);
        if s.last_alert
            .get(signal)
            .is_some_and(|t| now.duration_since(*t) < cooldown)
        {
            return;
        }
        s.last_alert.insert(signal, now);
        if self.cfg.action != ExtractionAction::Flag {
            s.sanction = Some((self.cfg.action, now + cooldown));
        }
        out.push(Alert {
            signal,
            value,
            action: self.cfg.action,
        });
    }

    /// Records one request with its prompt text (user turns); returns new alerts.
    pub fn observe_prompt(&self, key: &str, text: &str) -> Vec<Alert> {
        if !self.cfg.enabled {
            return Vec::new();
        }
        let words = word_hashes(text);
        let now = Instant::now();
        let window = Duration::from_secs(self.cfg.window_secs);
        self.with(key, |s| {
            let mut out = Vec::new();
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
            if s.times.len() > self.cfg.max_requests {
                self.raise(s, "volume", s.times.len() as f64, &mut out);
            }
            if words.is_empty() {
                return out;
            }
            let near = s
                .prompts
                .iter()
                .any(|(p, _)| *p != words && jaccard(p, &words) >= NEAR);
            for w in &words {
                *s.word_counts.entry(*w).or_default() += 1;
            }
            s.total_words += words.len();
            s.near_count += usize::from(near);
            s.prompts.push_back((words, near));
            if s.prompts.len() > self.cfg.window_prompts {
                if let Some((old, was_near)) = s.prompts.pop_front() {
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
            }
            if s.prompts.len() >= self.cfg.window_prompts && s.total_words > 0 {
                let ttr = s.word_counts.len() as f64 / s.total_words as f64;
                if ttr >= self.cfg.coverage_ratio {
                    self.raise(s, "coverage", ttr, &mut out);
                }
                let share = s.near_count as f64 / s.prompts.len() as f64;
                if share >= self.cfg.near_duplicate_share {
                    self.raise(s, "near_duplicates", share, &mut out);
                }
            }
            out
        })
        .unwrap_or_default()
    }

    /// Records the embedding of one query (from an embeddings response); returns new alerts.
    pub fn observe_embedding(&self, key: &str, embedding: &[f64]) -> Vec<Alert> {
        if !self.cfg.enabled || embedding.is_empty() {
            return Vec::new();
        }
        let p = project(embedding);
        let keep = self.cfg.min_distance_samples * 4;
        self.with(key, |s| {
            let mut out = Vec::new();
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
            if s.dists.len() >= self.cfg.min_distance_samples {
                let xs: Vec<f64> = s.dists.iter().copied().collect();
                let pv = jarque_bera_p(&xs);
                if pv < self.cfg.distance_p_value {
                    self.raise(s, "distance_distribution", pv, &mut out);
                }
            }
            out
        })
        .unwrap_or_default()
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

    #[test]
    fn normal_chat_stays_quiet() {
        let d = Detector::new(cfg(ExtractionAction::Block));
        for i in 0..300 {
            let a = d.observe_prompt("k", NORMAL[i % NORMAL.len()]);
            assert!(a.is_empty(), "prompt {i}: {a:?}");
        }
        assert!(d.check("k").is_ok());
    }

    #[test]
    fn template_probing_fires_near_duplicates_and_blocks() {
        let d = Detector::new(cfg(ExtractionAction::Block));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let words = [
            "great", "awful", "fine", "slow", "fast", "cheap", "broken", "lovely", "cold", "late",
        ];
        let mut alerts = Vec::new();
        for _ in 0..60 {
            let w: Vec<&str> = (0..3)
                .map(|_| words[rng.gen_range(0..words.len())])
                .collect();
            let p = format!("Classify the sentiment of this product review as positive or negative: the delivery was {} and the item {} and {}", w[0], w[1], w[2]);
            alerts.extend(d.observe_prompt("k", &p));
        }
        assert!(
            alerts.iter().any(|a| a.signal == "near_duplicates"),
            "{alerts:?}"
        );
        assert!(matches!(d.check("k"), Err(GatewayError::KeyBlocked(_))));
        assert!(d.check("other").is_ok());
    }

    #[test]
    fn random_inputs_fire_coverage_and_volume() {
        let d = Detector::new(cfg(ExtractionAction::Throttle));
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let mut alerts = Vec::new();
        for _ in 0..450 {
            let p: Vec<String> = (0..12)
                .map(|_| format!("w{}", rng.gen_range(0..1_000_000)))
                .collect();
            alerts.extend(d.observe_prompt("k", &p.join(" ")));
        }
        assert!(alerts.iter().any(|a| a.signal == "coverage"), "{alerts:?}");
        assert!(alerts.iter().any(|a| a.signal == "volume"), "{alerts:?}");
        assert_eq!(
            alerts.iter().filter(|a| a.signal == "coverage").count(),
            1,
            "one alert per cooldown"
        );
        assert!(matches!(
            d.check("k"),
            Err(GatewayError::RateLimited { .. })
        ));
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

    #[test]
    fn prada_style_distance_test_separates_probing_from_natural_queries() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let natural = Detector::new(cfg(ExtractionAction::Flag));
        let mut alerts = Vec::new();
        for _ in 0..200 {
            alerts.extend(natural.observe_embedding("k", &gaussian(&mut rng, 256)));
        }
        assert!(alerts.is_empty(), "natural queries: {alerts:?}");
        // Probing: a few seeds, each followed by many tiny perturbations.
        let probing = Detector::new(cfg(ExtractionAction::Flag));
        let mut alerts = Vec::new();
        for _ in 0..10 {
            let seed = gaussian(&mut rng, 256);
            for _ in 0..20 {
                let noise = gaussian(&mut rng, 256);
                let q: Vec<f64> = seed.iter().zip(&noise).map(|(s, n)| s + 0.02 * n).collect();
                alerts.extend(probing.observe_embedding("k", &q));
            }
        }
        assert!(
            alerts.iter().any(|a| a.signal == "distance_distribution"),
            "{alerts:?}"
        );
    }

    proptest::proptest! {
        #[test]
        fn jarque_bera_is_a_probability(xs in proptest::collection::vec(-1e6f64..1e6, 0..200)) {
            let p = jarque_bera_p(&xs);
            proptest::prop_assert!((0.0..=1.0).contains(&p));
        }

        #[test]
        fn any_embedding_is_accepted(v in proptest::collection::vec(proptest::num::f64::ANY, 0..64)) {
            let d = Detector::new(ExtractionConfig::default());
            let _ = d.observe_embedding("k", &v);
            let _ = d.observe_embedding("k", &v);
        }
    }
}
