//! Counts: the third stage of shannon's data path.
//!
//! **In:** a token-id stream from `shannon-tokens` (with `<s>`/`</s>` markers when sentences are lines),
//! the vocabulary size and a maximum order N (any N up to [`MAX_ORDER`]); optionally [`Limits`] on the
//! memory counting may use and a directory to spill sorted runs to.
//! **Out:** [`Counts`]: for every order 1..=N the distinct n-grams with their counts, each n-gram stored as
//! a left extension of its suffix — `(id of w2..wn, w1)` — together with the id of its history
//! `w1..w(n-1)`. That one layout answers everything the estimators ask with array indexing:
//! the lower-order n-gram to interpolate with is the suffix, continuation counts (distinct left
//! extensions) are the number of n-grams sharing a suffix, and follower statistics group by history.
//!
//! N-grams never cross a sentence boundary and never end in `<s>`; they may start with it.
//!
//! Invariants: n-gram ids of order n ≥ 2 are the ranks of their keys in sorted order, so counts are
//! identical — bit for bit — for any number of threads and any memory limit. [`count_serial`] (one hash map,
//! then a sort) is the oracle the tests compare against.
//!
//! ## How counting works (see [`count_within`])
//! Order n is counted from the ids of order n − 1 at every position: the key of the n-gram ending at
//! position i is `(id of the (n−1)-gram ending at i) << 32 | w(i−n+1)`. Because suffix ids are ranks of
//! sorted keys, splitting positions into buckets by *ranges* of suffix id splits the key space into
//! ranges too: each bucket is sorted on its own (small, cache-resident sorts, in parallel) and the
//! buckets' distinct keys, concatenated in bucket order, are globally sorted — no merge. Walking a sorted
//! bucket gives counts, histories and each position's new id, the input of order n + 1.
//!
//! With a memory limit, positions are taken in sections that fit it; each section's sorted distinct
//! n-grams (a *run*) is written to a temporary file, and the runs are merged (external sort), which also
//! gives each section's local → global id map. Spill files live in a directory the caller owns and are
//! removed as soon as an order is merged, on success and on error.

pub mod store;

use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::HashMap;
use rayon::prelude::*;
use shannon_tokens::BOS;

/// Highest supported order. Spans are tracked in a byte per position.
pub const MAX_ORDER: usize = 255;
/// The id of "no n-gram" in position arrays and of the empty history.
pub const NONE: u32 = u32::MAX;

/// The n-grams of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order n.
    pub n: usize,
    /// First word w1 of each n-gram. For n = 1 the id is the word itself.
    pub first: Vec<u32>,
    /// Id (in order n − 1) of the suffix w2..wn; for n = 1, [`NONE`].
    pub suffix: Vec<u32>,
    /// Id (in order n − 1) of the history w1..w(n−1); for n = 1, 0 — the one empty history.
    pub history: Vec<u32>,
    /// Raw counts.
    pub count: Vec<u64>,
    /// Key `(suffix << 32) | first` → id, for n ≥ 2. Empty for n = 1, and for orders counted without an
    /// index ([`Limits::index`]), whose ids are in key order and are found by binary search.
    pub index: HashMap<u64, u32>,
}

/// Packs a left-extension key.
#[inline]
pub fn key(suffix: u32, first: u32) -> u64 {
    (u64::from(suffix) << 32) | u64::from(first)
}

impl Order {
    /// The unigrams of a vocabulary of `count.len()` ids: every id is its own unigram, with its count (0 for
    /// ids never counted), no suffix, and the empty history 0.
    pub fn unigrams(count: Vec<u64>) -> Order {
        let v = count.len();
        Order {
            n: 1,
            first: (0..v as u32).collect(),
            suffix: vec![NONE; v],
            history: vec![0; v],
            count,
            index: HashMap::new(),
        }
    }

    /// Number of n-grams (for n = 1: the vocabulary size, including unseen ids).
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// Id of the n-gram that extends `suffix` (an id of order n − 1) to the left by `first`.
    #[inline]
    pub fn get(&self, suffix: u32, first: u32) -> Option<u32> {
        if self.n == 1 {
            Some(first).filter(|&w| (w as usize) < self.count.len())
        } else if !self.index.is_empty() || self.count.is_empty() {
            self.index.get(&key(suffix, first)).copied()
        } else {
            // Counted without an index: ids are ranks of sorted keys.
            let lo = self.suffix.partition_point(|&s| s < suffix);
            let hi = lo + self.suffix[lo..].partition_point(|&s| s == suffix);
            let at = self.first[lo..hi].binary_search(&first).ok()?;
            Some((lo + at) as u32)
        }
    }

    /// Number of n-grams with a nonzero count.
    pub fn seen(&self) -> usize {
        self.count.iter().filter(|&&c| c > 0).count()
    }
}

/// N-gram counts for orders 1..=N.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// `orders[n - 1]` holds the n-grams of order n.
    pub orders: Vec<Order>,
    /// Tokens counted as unigrams (every token but `<s>`).
    pub tokens: u64,
}

impl Counts {
    /// The maximum order N.
    pub fn max_order(&self) -> usize {
        self.orders.len()
    }

    /// The n-grams of order `n` (1-based).
    pub fn order(&self, n: usize) -> &Order {
        &self.orders[n - 1]
    }

    /// Number of ids in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.orders[0].len()
    }

    /// The words of n-gram `id` of order `n`, first to last.
    pub fn words(&self, n: usize, id: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(n);
        let (mut n, mut id) = (n, id);
        while n >= 1 {
            let o = self.order(n);
            out.push(o.first[id as usize]);
            id = o.suffix[id as usize];
            n -= 1;
        }
        out
    }

    /// The id of the n-gram `words` (of order `words.len()`), if it was seen.
    pub fn find(&self, words: &[u32]) -> Option<u32> {
        let mut id = NONE;
        for (k, &w) in words.iter().rev().enumerate() {
            id = self.order(k + 1).get(id, w)?;
        }
        Some(id)
    }

    /// Distinct left extensions of each n-gram of order `n` < N: how many n-grams of order n + 1 have
    /// it as their suffix — Kneser–Ney's continuation count N1+(• w).
    pub fn continuation(&self, n: usize) -> Vec<u64> {
        let mut out = vec![0u64; self.order(n).len()];
        for &s in &self.order(n + 1).suffix {
            out[s as usize] += 1;
        }
        out
    }
}

/// Count-of-counts: `result[k]` is the number of entries of `values` equal to k, for k < `len`
/// (`result[0]` counts zeros).
pub fn count_of_counts(values: &[u64], len: usize) -> Vec<u64> {
    let mut out = vec![0u64; len];
    for &v in values {
        if (v as usize) < len {
            out[v as usize] += 1;
        }
    }
    out
}

/// Per-history statistics of the n-grams of one order under some count (raw or adjusted).
#[derive(Debug, Clone, Default)]
pub struct Followers {
    /// Σ of the counts of the history's followers.
    pub total: Vec<u64>,
    /// Followers with count exactly 1, 2, and ≥ 3 (index 0, 1, 2).
    pub by_count: Vec<[u64; 3]>,
    /// Followers with a nonzero count, N1+(h •).
    pub distinct: Vec<u64>,
}

impl Followers {
    /// Groups `values` (one per n-gram of `order`) by history. `histories` is the number of ids of order
    /// n − 1 (1 for unigrams: the empty history).
    pub fn new(order: &Order, values: &[u64], histories: usize) -> Followers {
        let mut f =
            Followers { total: vec![0; histories], by_count: vec![[0; 3]; histories], distinct: vec![0; histories] };
        for (&h, &v) in order.history.iter().zip(values) {
            let h = h as usize;
            f.total[h] += v;
            if v > 0 {
                f.distinct[h] += 1;
                f.by_count[h][(v.min(3) - 1) as usize] += 1;
            }
        }
        f
    }
}

/// Limits on counting: how much working memory it may use, where it spills, and what it builds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of working memory for sorting n-grams (the token stream, the per-position id arrays and the
    /// resulting [`Counts`] come on top: see [`Limits::overhead`]). `None`: no limit, every order is
    /// sorted in one section in memory.
    pub memory: Option<u64>,
    /// Directory for sorted runs when the limit is reached. The caller owns it (and removes it on
    /// interruption); counting removes its own files from it as soon as an order is merged.
    pub temp_dir: PathBuf,
    /// Build each order's hash [`Order::index`] for fast queries. Without it, [`Order::get`] answers by
    /// binary search, which is enough for estimation and writing (they never query).
    pub index: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: None, temp_dir: std::env::temp_dir(), index: true }
    }
}

/// Working-set bytes per position of a section: the scattered `(key, position)` pair and its share of
/// the run of distinct n-grams (key, count, history).
const BYTES_PER_POSITION: u64 = 32;

impl Limits {
    /// Memory counting needs besides [`Limits::memory`], in bytes, for `positions` token positions: the
    /// stream itself and two per-position id arrays (4 bytes each), plus the counts it returns (20 bytes
    /// per n-gram, and about 32 more per n-gram of order ≥ 2 with the index).
    pub fn overhead(&self, positions: u64, ngrams: u64) -> u64 {
        12 * positions + ngrams * if self.index { 52 } else { 20 }
    }

    /// Positions per section under this limit (`usize::MAX` without one).
    fn section(&self) -> usize {
        match self.memory {
            None => usize::MAX,
            Some(m) => ((m / BYTES_PER_POSITION) as usize).max(64),
        }
    }
}

/// Errors counting with a memory limit: only spilling to disk can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing or reading a spill file failed.
    #[error("spilling n-grams of order {order} to {path}: {source} (is --temp-dir writable and large enough?)")]
    Spill {
        /// The order being counted.
        order: usize,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Counts n-grams of orders 1..=`max_order` in parallel on the current rayon pool, in memory.
///
/// `vocab_size` bounds the token ids. Panics if `max_order` is 0 or above [`MAX_ORDER`].
pub fn count(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    count_within(tokens, vocab_size, max_order, &Limits::default()).expect("no limit, no spill, no I/O")
}

/// Counts like [`count`], within `limits`: past the memory limit, sorted runs spill to
/// `limits.temp_dir` and are merged. The result is identical for any limit and thread count.
pub fn count_within(tokens: &[u32], vocab_size: usize, max_order: usize, limits: &Limits) -> Result<Counts, Error> {
    let mut orders = Vec::with_capacity(max_order);
    let tokens = count_each(tokens, vocab_size, max_order, limits, |o| {
        orders.push(o);
        Ok::<(), Error>(())
    })?;
    Ok(Counts { orders, tokens })
}

/// Counts like [`count_within`], but hands each order to `sink` as soon as it is counted (1, 2, …,
/// `max_order`) and keeps none of them, so that a caller that stores them elsewhere ([`store::Store`])
/// holds one order at a time. Returns the number of tokens counted as unigrams.
pub fn count_each<E: From<Error>>(
    tokens: &[u32],
    vocab_size: usize,
    max_order: usize,
    limits: &Limits,
    mut sink: impl FnMut(Order) -> Result<(), E>,
) -> Result<u64, E> {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    let unigram_counts = tokens
        .par_chunks(1 << 20)
        .map(|ts| {
            let mut c = vec![0u64; vocab_size];
            ts.iter().filter(|&&t| t != BOS).for_each(|&t| c[t as usize] += 1);
            c
        })
        .reduce(
            || vec![0; vocab_size],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let tokens_counted = unigram_counts.iter().sum();
    sink(Order::unigrams(unigram_counts))?;
    // prev[i]: id of the (n−1)-gram ending at position i, or NONE.
    let mut prev: Vec<u32> = tokens.to_vec();
    let mut lower = vocab_size;
    for n in 2..=max_order {
        let last = n == max_order;
        let level = Level { tokens, prev: &prev, n, lower };
        let (order, next) = level.count(limits, !last)?;
        lower = order.len();
        sink(order)?;
        if let Some(next) = next {
            prev = next;
        }
    }
    Ok(tokens_counted)
}

/// One order being counted from the ids of the order below.
struct Level<'a> {
    tokens: &'a [u32],
    prev: &'a [u32],
    n: usize,
    /// Number of ids of order n − 1 (the range of suffix ids).
    lower: usize,
}

/// Sorted distinct n-grams of one section: keys, counts and histories.
#[derive(Default)]
struct Run {
    keys: Vec<u64>,
    counts: Vec<u32>,
    history: Vec<u32>,
}

impl Level<'_> {
    /// Whether an n-gram ends at position `i` (it ends in neither `<s>` nor crosses one).
    #[inline]
    fn valid(&self, i: usize) -> bool {
        i + 1 >= self.n && self.tokens[i] != BOS && self.prev[i] != NONE && self.prev[i - 1] != NONE
    }

    #[inline]
    fn key(&self, i: usize) -> u64 {
        key(self.prev[i], self.tokens[i + 1 - self.n])
    }

    fn count(&self, limits: &Limits, want_ids: bool) -> Result<(Order, Option<Vec<u32>>), Error> {
        let len = self.tokens.len();
        let next: Vec<AtomicU32> =
            if want_ids { (0..len).into_par_iter().map(|_| AtomicU32::new(NONE)).collect() } else { Vec::new() };
        let ids = if want_ids { Some(&next[..]) } else { None };
        let section = limits.section();
        let order = if len <= section {
            // One section: bucket order is key order, local ranks are the ids.
            let run = self.sort_section(0..len, ids);
            order_of(self.n, run.keys, run.counts.into_iter().map(u64::from).collect(), run.history)
        } else {
            self.count_sections(section, limits, ids)?
        };
        let order = with_index(order, limits.index);
        let next = want_ids.then(|| next.into_iter().map(AtomicU32::into_inner).collect());
        Ok((order, next))
    }

    /// External sort: sections of `section` positions, each sorted into a run spilled to disk, then merged.
    fn count_sections(&self, section: usize, limits: &Limits, ids: Option<&[AtomicU32]>) -> Result<Order, Error> {
        let spill = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Spill { order: self.n, path: path.clone(), source }
        };
        let ranges: Vec<Range<usize>> =
            (0..self.tokens.len()).step_by(section).map(|s| s..(s + section).min(self.tokens.len())).collect();
        let mut runs = Vec::with_capacity(ranges.len());
        for (r, range) in ranges.iter().enumerate() {
            let run = self.sort_section(range.clone(), ids);
            let path = limits.temp_dir.join(format!("order{}-run{r}.bin", self.n));
            let result = write_run(&path, &run).map_err(spill(&path));
            runs.push(SpillFile(path));
            result?;
        }
        let mut maps = Vec::new();
        for (r, _) in ranges.iter().enumerate() {
            maps.push(SpillFile(limits.temp_dir.join(format!("order{}-map{r}.bin", self.n))));
        }
        let order = merge_runs(self.n, &runs, ids.map(|_| &maps[..])).map_err(|(path, source)| Error::Spill {
            order: self.n,
            path,
            source,
        })?;
        drop(runs);
        if let Some(ids) = ids {
            // Local ranks → global ids, one section at a time.
            for (range, map) in ranges.iter().zip(&maps) {
                let table = read_u32s(&map.0).map_err(spill(&map.0))?;
                ids[range.clone()].par_iter().with_min_len(1 << 14).for_each(|id| {
                    let local = id.load(Ordering::Relaxed);
                    if local != NONE {
                        id.store(table[local as usize], Ordering::Relaxed);
                    }
                });
            }
        }
        Ok(order)
    }

    /// Sorts the n-grams ending at `range`: positions are scattered into buckets by suffix-id range (which
    /// are key ranges), each bucket is sorted on its own, and the distinct keys of the buckets in order
    /// form the run. Each position's rank in the run goes to `ids[i]`.
    fn sort_section(&self, range: Range<usize>, ids: Option<&[AtomicU32]>) -> Run {
        let positions = range.len();
        let buckets = (positions >> 15).next_power_of_two().clamp(1, 1 << 14).min(self.lower.max(1));
        let lower = self.lower.max(1) as u64;
        let bucket = |suffix: u32| (u64::from(suffix) * buckets as u64 / lower) as usize;
        // Scatter: each part of the range into its own bucket vectors, sized by a first counting pass.
        let parts = (positions / (1 << 16)).clamp(1, rayon::current_num_threads() * 4);
        let step = positions.div_ceil(parts).max(1);
        let scattered: Vec<Vec<Vec<(u64, u32)>>> = (range.start..range.end)
            .step_by(step)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|s| {
                let part = s..(s + step).min(range.end);
                let mut sizes = vec![0usize; buckets];
                for i in part.clone() {
                    if self.valid(i) {
                        sizes[bucket(self.prev[i])] += 1;
                    }
                }
                let mut out: Vec<Vec<(u64, u32)>> = sizes.into_iter().map(Vec::with_capacity).collect();
                for i in part {
                    if self.valid(i) {
                        out[bucket(self.prev[i])].push((self.key(i), i as u32));
                    }
                }
                out
            })
            .collect();
        let mut by_bucket: Vec<Vec<Vec<(u64, u32)>>> = (0..buckets).map(|_| Vec::with_capacity(parts)).collect();
        for part in scattered {
            for (b, v) in part.into_iter().enumerate() {
                by_bucket[b].push(v);
            }
        }
        // Sort each bucket and count its distinct keys.
        let sorted: Vec<(Vec<(u64, u32)>, usize)> = by_bucket
            .into_par_iter()
            .map(|mut pieces| {
                let mut v = if pieces.len() == 1 {
                    pieces.pop().unwrap_or_default()
                } else {
                    let mut v = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
                    for p in pieces {
                        v.extend_from_slice(&p);
                    }
                    v
                };
                v.sort_unstable_by_key(|e| e.0);
                let distinct = v.windows(2).filter(|w| w[0].0 != w[1].0).count() + usize::from(!v.is_empty());
                (v, distinct)
            })
            .collect();
        let total: usize = sorted.iter().map(|s| s.1).sum();
        let mut run = Run { keys: vec![0; total], counts: vec![0; total], history: vec![0; total] };
        let sizes: Vec<usize> = sorted.iter().map(|s| s.1).collect();
        let mut base = 0u32;
        let bases: Vec<u32> = sizes
            .iter()
            .map(|&s| {
                let b = base;
                base += s as u32;
                b
            })
            .collect();
        let keys = split_mut(&mut run.keys, &sizes);
        let counts = split_mut(&mut run.counts, &sizes);
        let history = split_mut(&mut run.history, &sizes);
        sorted.into_par_iter().zip(keys).zip(counts).zip(history).zip(bases).for_each(
            |(((((v, _), keys), counts), history), base)| {
                let mut r = usize::MAX;
                let mut last = None;
                for (k, pos) in v {
                    if last != Some(k) {
                        r = r.wrapping_add(1);
                        last = Some(k);
                        keys[r] = k;
                        history[r] = self.prev[pos as usize - 1];
                    }
                    counts[r] += 1;
                    if let Some(ids) = ids {
                        ids[pos as usize].store(base + r as u32, Ordering::Relaxed);
                    }
                }
            },
        );
        run
    }
}

/// Splits `v` into consecutive mutable pieces of the given sizes.
fn split_mut<'a, T>(mut v: &'a mut [T], sizes: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let (head, tail) = v.split_at_mut(s);
        out.push(head);
        v = tail;
    }
    out
}

fn order_of(n: usize, keys: Vec<u64>, count: Vec<u64>, history: Vec<u32>) -> Order {
    Order {
        n,
        first: keys.par_iter().map(|&k| k as u32).collect(),
        suffix: keys.par_iter().map(|&k| (k >> 32) as u32).collect(),
        history,
        count,
        index: HashMap::new(),
    }
}

fn with_index(mut order: Order, index: bool) -> Order {
    if index {
        let mut map = HashMap::with_capacity(order.len());
        for (id, (&s, &f)) in order.suffix.iter().zip(&order.first).enumerate() {
            map.insert(key(s, f), id as u32);
        }
        order.index = map;
    }
    order
}

/// A spill file, removed when dropped (on success and on error alike).
struct SpillFile(PathBuf);

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Run records on disk: key (u64), count (u32), history (u32), little-endian.
const RECORD: usize = 16;

fn write_run(path: &Path, run: &Run) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for ((&k, &c), &h) in run.keys.iter().zip(&run.counts).zip(&run.history) {
        let mut rec = [0u8; RECORD];
        rec[..8].copy_from_slice(&k.to_le_bytes());
        rec[8..12].copy_from_slice(&c.to_le_bytes());
        rec[12..].copy_from_slice(&h.to_le_bytes());
        out.write_all(&rec)?;
    }
    out.flush()
}

fn read_u32s(path: &Path) -> io::Result<Vec<u32>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

/// A run read back in blocks.
struct RunReader {
    input: std::io::BufReader<std::fs::File>,
    buf: Vec<u8>,
    at: usize,
}

impl RunReader {
    fn open(path: &Path) -> io::Result<RunReader> {
        Ok(RunReader {
            input: std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?),
            buf: Vec::new(),
            at: 0,
        })
    }

    fn next(&mut self) -> io::Result<Option<(u64, u32, u32)>> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            (&mut self.input).take(RECORD as u64 * 4096).read_to_end(&mut self.buf)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            if !self.buf.chunks_exact(RECORD).remainder().is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated run"));
            }
        }
        let r = &self.buf[self.at..self.at + RECORD];
        self.at += RECORD;
        let k = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
        let c = u32::from_le_bytes(r[8..12].try_into().expect("4 bytes"));
        let h = u32::from_le_bytes(r[12..].try_into().expect("4 bytes"));
        Ok(Some((k, c, h)))
    }
}

/// K-way merge of sorted runs into one order; with `maps`, writes each run's local → global id map.
fn merge_runs(n: usize, runs: &[SpillFile], maps: Option<&[SpillFile]>) -> Result<Order, (PathBuf, io::Error)> {
    let at = |p: &Path| {
        let p = p.to_path_buf();
        move |e| (p.clone(), e)
    };
    let mut readers = Vec::with_capacity(runs.len());
    for r in runs {
        readers.push(RunReader::open(&r.0).map_err(at(&r.0))?);
    }
    let mut sinks = Vec::new();
    for m in maps.unwrap_or(&[]) {
        sinks.push(BufWriter::with_capacity(1 << 16, std::fs::File::create(&m.0).map_err(at(&m.0))?));
    }
    let mut heap = std::collections::BinaryHeap::new();
    let mut current = vec![(0u32, 0u32); runs.len()];
    for (r, reader) in readers.iter_mut().enumerate() {
        if let Some((k, c, h)) = reader.next().map_err(at(&runs[r].0))? {
            current[r] = (c, h);
            heap.push(std::cmp::Reverse((k, r)));
        }
    }
    let (mut keys, mut count, mut history) = (Vec::new(), Vec::new(), Vec::<u32>::new());
    while let Some(std::cmp::Reverse((k, r))) = heap.pop() {
        let (c, h) = current[r];
        if keys.last() != Some(&k) {
            keys.push(k);
            count.push(0u64);
            history.push(h);
        }
        *count.last_mut().expect("pushed") += u64::from(c);
        if let Some(sink) = sinks.get_mut(r) {
            let id = (keys.len() - 1) as u32;
            sink.write_all(&id.to_le_bytes()).map_err(at(&maps.expect("sinks")[r].0))?;
        }
        if let Some((k, c, h)) = readers[r].next().map_err(at(&runs[r].0))? {
            current[r] = (c, h);
            heap.push(std::cmp::Reverse((k, r)));
        }
    }
    for (r, mut sink) in sinks.into_iter().enumerate() {
        sink.flush().map_err(at(&maps.expect("sinks")[r].0))?;
    }
    Ok(order_of(n, keys, count, history))
}

/// The serial oracle: one hash map over all positions, then a sort — a different algorithm from
/// [`count`], which the tests compare it against.
pub fn count_serial(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    let mut unigram = vec![0u64; vocab_size];
    tokens.iter().filter(|&&t| t != BOS).for_each(|&t| unigram[t as usize] += 1);
    let tokens_counted = unigram.iter().sum();
    let mut orders = vec![Order::unigrams(unigram)];
    let mut prev: Vec<u32> = tokens.to_vec();
    for n in 2..=max_order {
        let level = Level { tokens, prev: &prev, n, lower: orders[n - 2].len() };
        let mut map: HashMap<u64, (u64, u32)> = HashMap::new();
        for i in 0..tokens.len() {
            if level.valid(i) {
                map.entry(level.key(i)).or_insert((0, prev[i - 1])).0 += 1;
            }
        }
        let mut entries: Vec<(u64, u64, u32)> = map.into_iter().map(|(k, (c, h))| (k, c, h)).collect();
        entries.sort_unstable_by_key(|e| e.0);
        let order = with_index(
            order_of(
                n,
                entries.iter().map(|e| e.0).collect(),
                entries.iter().map(|e| e.1).collect(),
                entries.iter().map(|e| e.2).collect(),
            ),
            true,
        );
        prev = (0..tokens.len()).map(|i| if level.valid(i) { order.index[&level.key(i)] } else { NONE }).collect();
        orders.push(order);
    }
    Counts { orders, tokens: tokens_counted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shannon_tokens::EOS;
    use std::collections::BTreeMap;

    /// Tokens since the last `<s>`, inclusive.
    fn spans(tokens: &[u32]) -> Vec<usize> {
        let mut s = 0;
        tokens
            .iter()
            .map(|&t| {
                s = if t == BOS { 1 } else { s + 1 };
                s
            })
            .collect()
    }

    /// Brute force: every n-gram as a word vector.
    fn naive(tokens: &[u32], max_order: usize) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        let span = spans(tokens);
        for i in 0..tokens.len() {
            for n in 1..=max_order {
                if tokens[i] != BOS && span[i] >= n {
                    *out.entry(tokens[i + 1 - n..=i].to_vec()).or_insert(0) += 1;
                }
            }
        }
        out
    }

    fn as_map(c: &Counts) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        for n in 1..=c.max_order() {
            for id in 0..c.order(n).len() as u32 {
                let count = c.order(n).count[id as usize];
                if count > 0 {
                    out.insert(c.words(n, id), count);
                }
            }
        }
        out
    }

    #[test]
    fn toy_counts_by_hand() {
        // <s> a b </s> <s> a a </s>: ids a=3, b=4.
        let t = [BOS, 3, 4, EOS, BOS, 3, 3, EOS];
        let c = count(&t, 5, 3);
        assert_eq!(c.order(1).count, vec![0, 0, 2, 3, 1]);
        assert_eq!(c.tokens, 6);
        assert_eq!(c.find(&[BOS, 3]).map(|id| c.order(2).count[id as usize]), Some(2));
        assert_eq!(c.find(&[3, 3, EOS]).map(|id| c.order(3).count[id as usize]), Some(1));
        assert_eq!(c.find(&[EOS, BOS]), None, "n-grams never end in <s>");
        assert_eq!(c.find(&[4, EOS, BOS]), None);
        // Continuation of unigram a: left extensions "<s> a" and "a a" → 2.
        assert_eq!(c.continuation(1)[3], 2);
        // History of "a a </s>" is "a a".
        let id = c.find(&[3, 3, EOS]).unwrap();
        assert_eq!(c.words(2, c.order(3).history[id as usize]), vec![3, 3]);
    }

    #[test]
    fn orders_longer_than_any_sentence_are_empty() {
        let t = [BOS, 3, EOS];
        let c = count(&t, 4, 5);
        assert_eq!(c.order(3).len(), 1, "<s> a </s>");
        assert_eq!(c.order(4).len(), 0);
        assert_eq!(c.order(5).len(), 0);
    }

    proptest! {
        #[test]
        fn parallel_equals_serial_equals_naive(
            words in proptest::collection::vec(0u32..8, 0..400),
            breaks in proptest::collection::vec(any::<bool>(), 400),
            order in 1usize..6,
        ) {
            // Build sentences from the words, breaking where `breaks` says so.
            let mut t = vec![BOS];
            for (i, w) in words.iter().enumerate() {
                t.push(w + 3);
                if breaks[i] && i % 3 == 0 { t.push(EOS); t.push(BOS); }
            }
            t.push(EOS);
            let serial = count_serial(&t, 11, order);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            let parallel = pool.install(|| count(&t, 11, order));
            prop_assert_eq!(&serial, &parallel);
            prop_assert_eq!(as_map(&serial), naive(&t, order));
            // A memory limit of a few positions per section: every order spills runs and merges them.
            let dir = tempfile::tempdir().unwrap();
            let limits = Limits { memory: Some(1), temp_dir: dir.path().to_path_buf(), index: true };
            let spilled = pool.install(|| count_within(&t, 11, order, &limits)).unwrap();
            prop_assert_eq!(&serial, &spilled);
            prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "spill files removed");
        }
    }

    #[test]
    fn blocks_smaller_than_input_merge_correctly() {
        // Many buckets and parts in a stream without markers.
        let t: Vec<u32> = (0..(3 * (1u32 << 16) + 17)).map(|i| 3 + (i * 7 + i / 5) % 13).collect();
        let serial = count_serial(&t, 16, 4);
        let parallel = count(&t, 16, 4);
        assert_eq!(serial, parallel);
        assert_eq!(as_map(&serial), naive(&t, 4));
    }

    #[test]
    fn orders_without_an_index_answer_queries_by_binary_search() {
        let t: Vec<u32> = [BOS, 3, 4, 5, EOS, BOS, 4, 5, 3, EOS, BOS, 3, 3, EOS].to_vec();
        let with = count(&t, 6, 3);
        let limits = Limits { index: false, ..Limits::default() };
        let without = count_within(&t, 6, 3, &limits).unwrap();
        assert!(without.order(2).index.is_empty());
        for n in 1..=3 {
            let o = with.order(n);
            assert_eq!((&o.first, &o.suffix, &o.history, &o.count), {
                let p = without.order(n);
                (&p.first, &p.suffix, &p.history, &p.count)
            });
            for s in 0..=o.len() as u32 {
                for w in 0..7 {
                    let s = if n == 1 { NONE } else { s };
                    assert_eq!(o.get(s, w), without.order(n).get(s, w), "order {n} suffix {s} word {w}");
                }
            }
        }
    }

    #[test]
    fn spill_errors_name_the_file() {
        let t: Vec<u32> = (0..1000u32).map(|i| 3 + i % 7).collect();
        let limits = Limits { memory: Some(1), temp_dir: "/nonexistent/shannon-spill".into(), index: true };
        let err = count_within(&t, 10, 3, &limits).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/shannon-spill/order2-run0.bin"), "{err}");
        assert!(err.contains("--temp-dir"), "{err}");
    }
}
