//! A fast English-like text generator for GB-scale benchmarks.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::detmath;
use crate::rng::{chacha, mix64, Alias};
use crate::{SourceError, TextSource};

const DOMAIN_SPELLING: u64 = 0xe461_0001;
const DOMAIN_PREFS: u64 = 0xe461_0002;
const DOMAIN_BLOCK: u64 = 0xe461_1000_0000_0000;

/// Ranks below this are sampled exactly; above it the Zipf law is sampled
/// piecewise-uniformly on intervals whose ends differ by a factor 1 + 1/128.
const EXACT_HEAD: usize = 8192;
const INTERVALS_PER_RATIO: u64 = 128;
/// Spellings of ranks 1..=CACHED are precomputed.
const CACHED: u64 = 16_384;
/// Most letters in a word.
pub(crate) const MAX_WORD_LEN: usize = 12;
/// How many words of each length 1..=11 get spelled (length 12 takes the rest).
const LENGTH_QUOTAS: [u64; 11] = [1, 8, 60, 400, 2_500, 12_000, 50_000, 200_000, 2_000_000, 50_000_000, 1_000_000_000];
const CONSONANTS: &[u8; 21] = b"bcdfghjklmnpqrstvwxyz";
const VOWELS: &[u8; 5] = b"aeiou";
const MIN_SENTENCE: usize = 5;
/// Bits of the decision word that choose a preference slot.
const PREF_BITS: u32 = 12;
/// Arena padding so every cached word can be copied as a fixed 16 bytes.
const PAD: usize = 16;
const MAX_SENTENCE: usize = 40;

/// Parameters of [`English`].  Every field influences the output bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnglishParams {
    /// Seed of spellings, preference lists and (for [`English::write`]) the stream.
    pub seed: u64,
    /// Zipf–Mandelbrot exponent s₁ of word ranks up to `tail_start_rank`.
    pub zipf_exponent: f64,
    /// Zipf–Mandelbrot offset q: P(r) ∝ (r + q)^(−s₁) (Mandelbrot's fit to
    /// English has q ≈ 2.7), which keeps the top words from dominating.
    pub zipf_offset: f64,
    /// Zipf exponent beyond `tail_start_rank` (steeper, as in real corpora:
    /// Heaps' law exponent ≈ 1 / tail_exponent for large texts).
    pub tail_exponent: f64,
    /// Rank where the tail exponent takes over.
    pub tail_start_rank: u64,
    /// Length of each word's successor preference list.
    pub preferences: usize,
    /// Probability that a word is drawn from the previous word's preference
    /// list rather than from the global Zipf law.
    pub preference_weight: f64,
    /// Probability of a comma after a non-final word.
    pub comma_prob: f64,
    /// Bytes per independently seeded block (output depends on it).
    pub block_bytes: u64,
}

impl Default for EnglishParams {
    fn default() -> Self {
        EnglishParams {
            seed: English::DEFAULT_SEED,
            zipf_exponent: 1.07,
            zipf_offset: 2.7,
            tail_exponent: 2.0,
            tail_start_rank: 30_000,
            preferences: 32,
            preference_weight: 0.5,
            comma_prob: 0.07,
            block_bytes: 4 << 20,
        }
    }
}

/// English-like text: Zipfian words with Heaps-law vocabulary growth, Markov
/// structure between words, and sentences with punctuation.
///
/// * **Ranks.**  Word ranks r = 1, 2, … follow a Zipf–Mandelbrot law
///   P(r) ∝ (r+q)^(−s₁) up to `tail_start_rank` K and a steeper Zipf tail
///   ∝ r^(−s₂) beyond (continuous at K; q = 2.7, s₁ = 1.07, s₂ = 2 by
///   default), over ~2.7·10¹² ranks, so new words keep appearing at GB scale
///   (Heaps' law, exponent → 1/s₂).  Ranks ≤ 8192 are sampled exactly;
///   beyond, the law is piecewise uniform on intervals of relative width 1/128.
/// * **Spelling.**  Rank r gets a pseudo-word of 1–12 letters alternating
///   consonants and vowels, computed on demand: ranks are assigned to lengths
///   by fixed quotas (common words are short), and within a length by a
///   seeded bijection (add / odd-multiply / xor-shift rounds on the next
///   power of two, restricted by cycle-walking), so distinct ranks give
///   distinct words.
/// * **Markov structure.**  With probability `preference_weight` the next
///   word comes from the previous word's preference list: `preferences`
///   successors (Zipf-drawn ranks derived by hashing (seed, previous rank,
///   slot)), weighted ∝ 1/slot^1.1 (quantised to multiples of 1/4096);
///   otherwise from the global law.  The sentence start uses the list of
///   the pseudo-rank 0.  A draw equal to the previous word is redrawn once
///   from the global law, so immediate repeats are rare.
/// * **Speed.**  Per word: two ChaCha8 draws, an alias-table lookup, a
///   fixed 16-byte copy of a cached spelling (ranks ≤ 16384) and no heap
///   allocation; ~170 MB/s per core measured on the project machine.
/// * **Sentences.**  Length L ∈ 5..=40 words with P(L) ∝ (L−4)·0.88^(L−4)
///   (mean ≈ 16); first letter capitalised; a comma after a non-final word
///   with probability `comma_prob`; ends with '.', '?' or '!' (90/6/4 %),
///   then `'\n'`.  One sentence per line.
/// * **Blocks.**  The stream is a concatenation of blocks of at least
///   `block_bytes` bytes (whole lines), block b drawn from its own ChaCha8
///   stream keyed by (seed, b); hence [`English::write`] and
///   [`English::write_parallel`] give identical bytes for any thread count.
///
/// The entropy rate is not computed.
#[derive(Clone, Debug)]
pub struct English {
    params: EnglishParams,
    ranks: RankSampler,
    spelling: Spelling,
    /// Preference slot for each 12-bit value (quantised 1/slot^1.1 law).
    pref_slots: Vec<u16>,
    pref_key: u64,
    sentence_len: Alias,
    pref_thresh: u32,
    comma_thresh: u32,
    arena: Vec<u8>,
    offsets: Vec<u32>,
}

impl English {
    /// Default seed.
    pub const DEFAULT_SEED: u64 = 0x454e_474c_4953_4800; // "ENGLISH\0"

    /// Default parameters with the given seed.
    pub fn new(seed: u64) -> English {
        English::with_params(EnglishParams { seed, ..EnglishParams::default() }).expect("default parameters are valid")
    }

    /// Builds from explicit parameters.
    pub fn with_params(params: EnglishParams) -> Result<English, SourceError> {
        let p = &params;
        let bad = |m: &str| Err(SourceError::InvalidParameter(m.to_string()));
        if !(p.zipf_exponent > 0.0 && p.zipf_exponent < 10.0) {
            return bad("zipf_exponent must be in (0, 10)");
        }
        if !(p.zipf_offset >= 0.0 && p.zipf_offset < 1e6) {
            return bad("zipf_offset must be in [0, 1e6)");
        }
        if !(p.tail_exponent > 1.0 && p.tail_exponent < 10.0) {
            return bad("tail_exponent must be in (1, 10)");
        }
        if p.tail_start_rank == 0 {
            return bad("tail_start_rank must be positive");
        }
        if p.preferences == 0 || p.preferences > 4096 {
            return bad("preferences must be in 1..=4096");
        }
        if !(0.0..=1.0).contains(&p.preference_weight) {
            return bad("preference_weight must be in [0, 1]");
        }
        if !(0.0..1.0).contains(&p.comma_prob) {
            return bad("comma_prob must be in [0, 1)");
        }
        if p.block_bytes < 1024 {
            return bad("block_bytes must be at least 1024");
        }
        let spelling = Spelling::new(p.seed);
        let ranks = RankSampler::new(p, spelling.max_rank);
        let pref_w: Vec<f64> = (1..=p.preferences).map(|j| detmath::powf(j as f64, -1.1)).collect();
        let mut len_w = Vec::new();
        let mut g = 1.0;
        for l in MIN_SENTENCE..=MAX_SENTENCE {
            len_w.push((l - MIN_SENTENCE + 1) as f64 * g);
            g *= 0.88;
        }
        let thresh = |x: f64, bits: i32| (x * 2f64.powi(bits)).min(2f64.powi(bits) - 1.0) as u32;
        let mut arena = Vec::new();
        let mut offsets = vec![0u32];
        let mut buf = [0u8; MAX_WORD_LEN];
        for r in 1..=CACHED {
            let n = spelling.spell(r, &mut buf);
            arena.extend_from_slice(&buf[..n]);
            offsets.push(arena.len() as u32);
        }
        arena.extend_from_slice(&[0; PAD]);
        Ok(English {
            pref_slots: quantised_table(&pref_w, 1 << PREF_BITS),
            pref_key: mix64(p.seed ^ DOMAIN_PREFS),
            sentence_len: Alias::new(&len_w),
            pref_thresh: thresh(p.preference_weight, 32),
            comma_thresh: thresh(p.comma_prob, 20),
            ranks,
            spelling,
            arena,
            offsets,
            params,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &EnglishParams {
        &self.params
    }

    /// Number of ranks with a spelling (the rank space).
    pub fn max_rank(&self) -> u64 {
        self.spelling.max_rank
    }

    /// The spelling of word rank `rank` (1-based); `None` outside
    /// `1..=max_rank()`.
    pub fn word(&self, rank: u64) -> Option<String> {
        if rank == 0 || rank > self.spelling.max_rank {
            return None;
        }
        let mut buf = [0u8; MAX_WORD_LEN];
        let n = self.spelling.spell(rank, &mut buf);
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Writes the stream (stream seed = `params.seed`) up to and including the
    /// first line end at or after `n_bytes` bytes.
    pub fn write(&self, n_bytes: u64, mut w: impl Write) -> io::Result<()> {
        self.write_stream(self.params.seed, n_bytes, u64::MAX, &mut w)
    }

    /// Same bytes as [`English::write`], generating blocks on `threads`
    /// threads (at most 2 blocks per thread in memory).
    pub fn write_parallel(&self, n_bytes: u64, threads: usize, mut w: impl Write) -> io::Result<()> {
        let threads = threads.max(1);
        if threads == 1 {
            return self.write(n_bytes, w);
        }
        if n_bytes == 0 {
            return w.flush();
        }
        let seed = self.params.seed;
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let mut receivers = Vec::with_capacity(threads);
            for t in 0..threads {
                let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(1);
                receivers.push(rx);
                let stop = &stop;
                scope.spawn(move || {
                    let mut b = t as u64;
                    while !stop.load(Ordering::Relaxed) {
                        let mut buf = Vec::new();
                        let mut gen = self.block_gen(seed, b);
                        while (buf.len() as u64) < self.params.block_bytes {
                            gen.line(&mut buf, u64::MAX);
                        }
                        if tx.send(buf).is_err() {
                            break;
                        }
                        b += threads as u64;
                    }
                });
            }
            let result = (|| {
                let mut written = 0u64;
                for b in 0.. {
                    let buf = receivers[b % threads].recv().map_err(|_| io::Error::other("generator thread ended"))?;
                    let remaining = n_bytes - written;
                    if buf.len() as u64 >= remaining {
                        let from = (remaining - 1) as usize;
                        let cut = from + buf[from..].iter().position(|&c| c == b'\n').expect("lines end with newline");
                        w.write_all(&buf[..=cut])?;
                        break;
                    }
                    w.write_all(&buf)?;
                    written += buf.len() as u64;
                }
                w.flush()
            })();
            stop.store(true, Ordering::Relaxed);
            drop(receivers);
            result
        })
    }

    /// Writes words until `max_words` words or the first line end at or after
    /// `n_bytes` bytes, whichever comes first.  A line cut by `max_words`
    /// ends with `'\n'` right after its last word.
    fn write_stream(&self, seed: u64, n_bytes: u64, max_words: u64, w: &mut dyn Write) -> io::Result<()> {
        let mut buf = Vec::with_capacity(1 << 17);
        let mut written = 0u64;
        let mut words = 0u64;
        let mut b = 0u64;
        'blocks: while written < n_bytes && words < max_words {
            let mut gen = self.block_gen(seed, b);
            let limit = self.params.block_bytes.min(n_bytes - written);
            let mut in_block = 0u64;
            while in_block < limit {
                let before = buf.len();
                words += gen.line(&mut buf, max_words - words);
                in_block += (buf.len() - before) as u64;
                if buf.len() >= 1 << 16 {
                    w.write_all(&buf)?;
                    buf.clear();
                }
                if words >= max_words {
                    break 'blocks;
                }
            }
            written += in_block;
            b += 1;
        }
        w.write_all(&buf)?;
        w.flush()
    }

    fn block_gen(&self, seed: u64, block: u64) -> BlockGen<'_> {
        BlockGen { m: self, rng: chacha(seed, DOMAIN_BLOCK.wrapping_add(block)) }
    }

    /// The next rank after `prev`.  Bits 63..32 of `decision` choose between
    /// the preference list and the global law, bits 31..20 the preference
    /// slot; `global` is a fresh random word (always drawn, so the hot loop
    /// has no unpredictable branch here).
    #[inline]
    fn next_rank(&self, prev: u64, decision: u64, global: u64) -> u64 {
        let slot = self.pref_slots[((decision >> 20) & ((1 << PREF_BITS) - 1)) as usize] as u64;
        let h = mix64(mix64(prev ^ self.pref_key).wrapping_add(slot));
        let u = if ((decision >> 32) as u32) < self.pref_thresh { h } else { global };
        let rank = self.ranks.sample(u);
        if rank == prev {
            // One redraw from the global law makes immediate repeats rare.
            self.ranks.sample(mix64(u ^ 0x2545_f491_4f6c_dd1d))
        } else {
            rank
        }
    }
}

/// Maps `size` equally likely values to indices with frequencies proportional
/// to `weights` (largest-remainder rounding, every index at least once).
fn quantised_table(weights: &[f64], size: usize) -> Vec<u16> {
    let total: f64 = weights.iter().sum();
    let spare = size - weights.len();
    let exact: Vec<f64> = weights.iter().map(|w| w / total * spare as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| 1 + *x as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a].fract(), exact[b].fract());
        rb.partial_cmp(&ra).expect("finite").then(a.cmp(&b))
    });
    let mut left = size - counts.iter().sum::<usize>();
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts.iter().enumerate().flat_map(|(i, &c)| std::iter::repeat_n(i as u16, c)).collect()
}

struct BlockGen<'a> {
    m: &'a English,
    rng: ChaCha8Rng,
}

impl BlockGen<'_> {
    /// Appends one sentence (cut after `max_words` words); returns its word count.
    #[inline]
    fn line(&mut self, out: &mut Vec<u8>, max_words: u64) -> u64 {
        let m = self.m;
        let full = (MIN_SENTENCE + m.sentence_len.sample(self.rng.next_u64())) as u64;
        let len = full.min(max_words);
        let mut prev = 0u64;
        let mut buf = [0u8; PAD];
        out.reserve(len as usize * (MAX_WORD_LEN + 2) + PAD + 2);
        for i in 0..len {
            let decision = self.rng.next_u64();
            let global = self.rng.next_u64();
            let rank = m.next_rank(prev, decision, global);
            let start = out.len();
            // Copy a fixed 16 bytes and cut back: no variable-length memcpy.
            let n = if rank <= CACHED {
                let (a, b) = (m.offsets[rank as usize - 1], m.offsets[rank as usize]);
                out.extend_from_slice(&m.arena[a as usize..a as usize + PAD]);
                (b - a) as usize
            } else {
                let n = m.spelling.spell(rank, &mut buf);
                out.extend_from_slice(&buf);
                n
            };
            out.truncate(start + n);
            if i == 0 {
                out[start] = out[start].to_ascii_uppercase();
            }
            if i + 1 < len {
                if ((decision as u32) & 0xf_ffff) < m.comma_thresh {
                    out.extend_from_slice(b", ");
                } else {
                    out.push(b' ');
                }
            } else if len == full {
                // Sentence end: low 20 bits of the decision word (no comma is
                // drawn for the last word).
                out.push(match (decision & 0xf_ffff) % 100 {
                    0..=89 => b'.',
                    90..=95 => b'?',
                    _ => b'!',
                });
            }
            prev = rank;
        }
        out.push(b'\n');
        len
    }
}

/// Two-regime Zipf law over ranks 1..=max_rank via one alias table.
#[derive(Clone, Debug)]
struct RankSampler {
    alias: Alias,
    /// (first rank, width) of each interval entry after the exact head.
    tail: Vec<(u64, u64)>,
    head: usize,
}

impl RankSampler {
    fn new(p: &EnglishParams, max_rank: u64) -> RankSampler {
        let (s1, s2, q) = (p.zipf_exponent, p.tail_exponent, p.zipf_offset);
        let k = p.tail_start_rank as f64;
        // Continuous at K: (K+q)^(−s₁) = scale·K^(−s₂).
        let scale = detmath::powf(k + q, -s1) / detmath::powf(k, -s2);
        let weight = |r: f64| {
            if r <= k {
                detmath::powf(r + q, -s1)
            } else {
                scale * detmath::powf(r, -s2)
            }
        };
        let head = EXACT_HEAD.min(max_rank as usize);
        let mut w: Vec<f64> = (1..=head).map(|r| weight(r as f64)).collect();
        let mut tail = Vec::new();
        let mut lo = head as u64 + 1;
        while lo <= max_rank {
            let hi = (lo + (lo / INTERVALS_PER_RATIO).max(1)).min(max_rank + 1);
            let width = hi - lo;
            let mid = lo as f64 + (width - 1) as f64 / 2.0;
            w.push(width as f64 * weight(mid));
            tail.push((lo, width));
            lo = hi;
        }
        RankSampler { alias: Alias::new(&w), tail, head }
    }

    /// A rank from 64 random bits `u` (for ranks beyond the exact head, the
    /// position inside the interval comes from a remix of `u`).
    #[inline]
    fn sample(&self, u: u64) -> u64 {
        let e = self.alias.sample(u);
        if e < self.head {
            e as u64 + 1
        } else {
            let (lo, width) = self.tail[e - self.head];
            lo + ((mix64(u ^ 0x5851_f42d_4c95_7f2d) as u128 * width as u128) >> 64) as u64
        }
    }
}

/// Rank → pseudo-word bijection.
#[derive(Clone, Debug)]
struct Spelling {
    classes: Vec<LengthClass>,
    max_rank: u64,
}

#[derive(Clone, Debug)]
struct LengthClass {
    /// First rank of this length.
    first: u64,
    /// Ranks of this length.
    quota: u64,
    /// All spellings of this length (consonant-first + vowel-first patterns).
    cap: u64,
    /// Consonant-first spellings of this length.
    cap_c: u64,
    /// log2 of the permutation domain (the next power of two ≥ cap).
    bits: u32,
    /// Round keys of the permutation: (added constant, odd multiplier).
    keys: [(u64, u64); 3],
}

/// A seeded bijection on `0..2^bits`: rounds of add, odd multiply and
/// xor-shift, each invertible modulo 2^bits.
#[inline]
fn permute_bits(mut x: u64, bits: u32, keys: &[(u64, u64); 3]) -> u64 {
    let mask = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let shift = bits.div_ceil(2).max(1);
    for &(add, mul) in keys {
        x = x.wrapping_add(add).wrapping_mul(mul) & mask;
        x ^= x >> shift;
    }
    x
}

impl Spelling {
    fn new(seed: u64) -> Spelling {
        let mut rng = chacha(seed, DOMAIN_SPELLING);
        let mut classes = Vec::new();
        let mut first = 1u64;
        for len in 1..=MAX_WORD_LEN as u32 {
            let (hi, lo) = (len.div_ceil(2), len / 2);
            let cap_c = 21u64.pow(hi) * 5u64.pow(lo);
            let cap = cap_c + 5u64.pow(hi) * 21u64.pow(lo);
            let quota = LENGTH_QUOTAS.get(len as usize - 1).copied().unwrap_or(cap);
            debug_assert!(quota <= cap);
            let bits = 64 - (cap - 1).leading_zeros();
            let mut keys = [(0, 0); 3];
            for key in keys.iter_mut() {
                *key = (rng.next_u64(), rng.next_u64() | 1);
            }
            classes.push(LengthClass { first, quota, cap, cap_c, bits, keys });
            first += quota;
        }
        Spelling { classes, max_rank: first - 1 }
    }

    /// Writes the word of `rank` into `out`, returns its length.
    #[inline]
    fn spell(&self, rank: u64, out: &mut [u8]) -> usize {
        let mut l = 0;
        while l + 1 < self.classes.len() && rank >= self.classes[l].first + self.classes[l].quota {
            l += 1;
        }
        let c = &self.classes[l];
        let idx = rank - c.first;
        // Cycle-walking turns the power-of-two bijection into one on 0..cap
        // (cap > 2^(bits−1), so under two steps on average).
        let mut x = permute_bits(idx, c.bits, &c.keys);
        while x >= c.cap {
            x = permute_bits(x, c.bits, &c.keys);
        }
        let consonant_first = x < c.cap_c;
        if !consonant_first {
            x -= c.cap_c;
        }
        let len = l + 1;
        for (pos, slot) in out[..len].iter_mut().enumerate() {
            if (pos % 2 == 0) == consonant_first {
                *slot = CONSONANTS[(x % 21) as usize];
                x /= 21;
            } else {
                *slot = VOWELS[(x % 5) as usize];
                x /= 5;
            }
        }
        len
    }
}

impl TextSource for English {
    /// Writes the first `n` words of the stream with stream seed `seed`
    /// (a sentence cut short ends with `'\n'` right after its last word).
    fn write_tokens(&self, n: u64, seed: u64, w: &mut dyn Write) -> io::Result<()> {
        if n == 0 {
            return w.flush();
        }
        self.write_stream(seed, u64::MAX, n, w)
    }

    fn entropy_rate_bits_per_token(&self) -> Option<f64> {
        None
    }

    fn entropy_rate_bits_per_byte(&self) -> Option<f64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn small_blocks() -> English {
        English::with_params(EnglishParams { block_bytes: 4096, ..EnglishParams::default() }).unwrap()
    }

    fn distinct_words(text: &[u8]) -> usize {
        let s = std::str::from_utf8(text).unwrap();
        s.split([' ', '\n'])
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_end_matches([',', '.', '?', '!']).to_ascii_lowercase())
            .collect::<HashSet<_>>()
            .len()
    }

    #[test]
    fn spellings_are_distinct() {
        let e = English::new(3);
        let mut seen = HashSet::new();
        let mut ranks: Vec<u64> = (1..=60_000).collect();
        for c in &e.spelling.classes {
            for d in 0..3 {
                ranks.push(c.first + d);
                ranks.push((c.first + c.quota).saturating_sub(1 + d));
            }
        }
        let mut x = 1u64;
        for _ in 0..50_000 {
            x = mix64(x);
            ranks.push(1 + x % e.max_rank());
        }
        ranks.sort_unstable();
        ranks.dedup();
        ranks.retain(|&r| r >= 1);
        assert!(e.word(0).is_none() && e.word(e.max_rank() + 1).is_none());
        for &r in &ranks {
            let w = e.word(r).unwrap();
            assert!((1..=MAX_WORD_LEN).contains(&w.len()), "{r}: {w}");
            assert!(w.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(seen.insert(w), "duplicate spelling at rank {r}");
        }
        assert!(e.max_rank() > 1 << 40);
    }

    #[test]
    fn format_and_stop_rule() {
        let e = English::new(1);
        let mut out = Vec::new();
        e.write(200_000, &mut out).unwrap();
        assert!(out.len() >= 200_000);
        assert_eq!(*out.last().unwrap(), b'\n');
        let body = &out[..out.len() - 1];
        let last_nl = body.iter().rposition(|&c| c == b'\n').unwrap();
        assert!(last_nl + 1 < 200_000, "stopped at the first line end at or after n");
        let text = String::from_utf8(out).unwrap();
        let mut total_words = 0;
        for line in text.lines() {
            assert!(line.as_bytes()[0].is_ascii_uppercase(), "{line}");
            assert!(line.ends_with(['.', '?', '!']), "{line}");
            assert!(!line.contains("  "));
            let n = line.split(' ').count();
            assert!((MIN_SENTENCE..=MAX_SENTENCE).contains(&n), "{n}");
            total_words += n;
        }
        let mean = total_words as f64 / text.lines().count() as f64;
        assert!((12.0..20.0).contains(&mean), "{mean}");
        let mut empty = Vec::new();
        e.write(0, &mut empty).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn deterministic_and_thread_independent() {
        let e = small_blocks();
        let n = 300_000;
        let mut seq = Vec::new();
        e.write(n, &mut seq).unwrap();
        let mut again = Vec::new();
        small_blocks().write(n, &mut again).unwrap();
        assert_eq!(seq, again);
        for t in [1, 2, 3, 5] {
            let mut par = Vec::new();
            e.write_parallel(n, t, &mut par).unwrap();
            assert_eq!(par, seq, "threads = {t}");
        }
        // Prefix property: a shorter request is a prefix of a longer one.
        let mut short = Vec::new();
        e.write(100_000, &mut short).unwrap();
        assert!(seq.starts_with(&short));
        let other =
            English::with_params(EnglishParams { seed: 2, block_bytes: 4096, ..EnglishParams::default() }).unwrap();
        let mut diff = Vec::new();
        other.write(n, &mut diff).unwrap();
        assert_ne!(diff[..1000], seq[..1000]);
    }

    #[test]
    fn write_tokens_counts_words() {
        let e = small_blocks();
        let mut out = Vec::new();
        e.write_tokens(12_345, 9, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.split_whitespace().count(), 12_345);
        assert!(text.ends_with('\n'));
        let mut longer = Vec::new();
        e.write_tokens(20_000, 9, &mut longer).unwrap();
        let cut = text.trim_end_matches('\n');
        assert!(String::from_utf8(longer).unwrap().starts_with(cut));
    }

    #[test]
    fn heaps_law_growth() {
        let e = English::new(English::DEFAULT_SEED);
        let mut out = Vec::new();
        e.write(10_000_000, &mut out).unwrap();
        let small = distinct_words(&out[..1_000_000]);
        let large = distinct_words(&out);
        let ratio = large as f64 / small as f64;
        eprintln!("distinct words: 1 MB {small}, 10 MB {large}, ratio {ratio:.3}");
        assert!((2.0..=8.0).contains(&ratio), "{ratio}");
    }
}
