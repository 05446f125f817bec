//! A query-optimised copy of a binary model's tables, for scoring many sentences fast.
//!
//! **In:** a [`Mapped`] binary model. **Out:** [`Probing`], which answers exactly as the file does, and
//! [`Probing::score_sentences`], log10 totals of many sentences at once.
//!
//! Why: the file's tables are laid out for writing once and mapping in place; this copy is laid out for
//! probing. Each order's n-grams are placed again (their slots renumbered, keys rewritten with the
//! suffixes' new slots) at a load factor of 1/2 instead of 2/3, in order of their home slots, so that a
//! probe stops early for absent n-grams as well as present ones; each slot holds its key, ln p and ln
//! backoff side by side (32 bytes, never straddling a cache line; 16 at order M, which has no backoff),
//! so the probe that finds an n-gram brings its values with it, as in KenLM's probing tables; the tables
//! live in memory advised to use huge pages (where the system has transparent huge pages in `madvise`
//! mode). The values are the file's `f64` ln values and the queries walk the same n-gram chains, so scores
//! are bit for bit those of [`Mapped`] (tested, property-tested). The cost is memory: two slots an
//! n-gram, 64 bytes below order M and 32 at M (the file has 36): 90 MB for the bible 5-gram's 1.7 M
//! n-grams, on top of the file's 61 MB.
//!
//! [`Probing::score_sentences`] also overlaps the cache misses of independent sentences: it walks a batch
//! of sentences in lockstep, first loading the key each sentence probes next, then resolving each probe,
//! so that the processor waits for many misses at once rather than one after another (safe code: plain
//! loads, no prefetch intrinsics).
//!
//! Measured (2-core machine shared with other builds, load average 6, bible 5-gram, 100,000 lines, Python
//! `score_batch` on one thread against KenLM's `score` loop in the same process): keys in an array of
//! their own with the values in another came to 0.89× the KenLM loop, these 32-byte slots to 1.15×.

use shannon_counts::key;
use shannon_tokens::{BOS, EOS};

use crate::binary::{fastrange, fmix64, Mapped, EMPTY_KEY};
use crate::LanguageModel;

/// A word's ln p and ln backoff.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct Unigram {
    prob: f64,
    backoff: f64,
}

/// Where a table's bytes live: an anonymous memory map advised to use huge pages where the system has
/// them (Linux transparent huge pages in `madvise` mode), so that random probes into tables of tens of
/// megabytes do not each miss the TLB as well as the cache, as KenLM allocates its tables; heap memory
/// where no map can be made.
#[derive(Debug)]
enum Store {
    Map(memmap2::MmapMut),
    Heap(Vec<u8>),
}

impl Store {
    fn zeroed(len: usize) -> Store {
        match memmap2::MmapMut::map_anon(len.max(1)) {
            Ok(map) => {
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::HugePage); // advice only: without it, small pages
                Store::Map(map)
            }
            Err(_) => Store::Heap(vec![0; len.max(1)]),
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Store::Map(m) => m,
            Store::Heap(v) => v,
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Store::Map(m) => m,
            Store::Heap(v) => v,
        }
    }
}

/// One order's slots, `stride` 64-bit words each: key, ln p bits, then (below order M) ln backoff bits and
/// padding, so that a slot never straddles a cache line (the store is page-aligned).
///
/// An entry's probe starts at its home slot `fastrange(fmix64(key), homes)` and runs forward (never
/// wrapping: the table has room past `homes` for the last cluster). Entries were placed in order of their
/// home slots, so within a run of occupied slots the home slots never decrease, and a probe stops at an
/// empty slot *or* at an entry whose home lies past its own: an absent n-gram costs about as few slots as
/// a present one.
#[derive(Debug)]
struct Table {
    store: Store,
    stride: usize,
    slots: usize,
    homes: usize,
}

#[inline]
fn word(store: &Store, at: usize) -> u64 {
    u64::from_ne_bytes(store.bytes()[8 * at..8 * at + 8].try_into().expect("8 bytes"))
}

impl Table {
    #[inline]
    fn key(&self, i: usize) -> u64 {
        word(&self.store, i * self.stride)
    }

    #[inline]
    fn prob(&self, i: usize) -> f64 {
        f64::from_bits(word(&self.store, i * self.stride + 1))
    }

    #[inline]
    fn backoff(&self, i: usize) -> f64 {
        f64::from_bits(word(&self.store, i * self.stride + 2))
    }
}

/// A binary model's tables laid out for queries (see the module doc).
#[derive(Debug)]
pub struct Probing {
    order: usize,
    vocab: usize,
    eos: bool,
    unigrams: Vec<Unigram>,
    /// Orders 2..M − 1 (index n − 2).
    middle: Vec<Table>,
    /// Order M, when M ≥ 2.
    last: Table,
}

/// Home slots per n-gram: a load factor of 1/2 (the file has 2/3), which with the ordered placement keeps
/// a probe to about 1.5 slots, hit or miss (measured against 2/3 and 1/3 on the bible 5-gram: 1/3 was
/// hardly faster for half as much memory again).
const SPACE: usize = 2;

/// How many sentences [`Probing::score_sentences`] walks in lockstep: enough independent misses in
/// flight to fill the processor's miss buffers (10–16 on current x86 cores), few enough that a lane's
/// state stays in L1.
const LANES: usize = 16;

/// An n-gram of the file's table: its key with the suffix's new slot, its values, and its slot in the file.
type Placed = (u64, f64, f64, u32);

/// Places one order's n-grams (key, ln p, ln backoff, slot in the file) by home slot, `stride` words a
/// slot; returns the table and the new slot of each file slot (`NONE` for empty ones), of `file_slots`.
fn place(mut grams: Vec<Placed>, file_slots: usize, stride: usize) -> (Table, Vec<u32>) {
    let homes = SPACE * grams.len() + 1;
    let home = |k: u64| fastrange(fmix64(k), homes);
    grams.sort_by_key(|g| (home(g.0), g.3));
    let mut new_slot = vec![shannon_counts::NONE; file_slots];
    let mut at_of = Vec::with_capacity(grams.len());
    let mut next = 0;
    for g in &grams {
        let at = home(g.0).max(next);
        at_of.push(at);
        new_slot[g.3 as usize] = at as u32;
        next = at + 1;
    }
    let slots = next.max(homes);
    let mut store = Store::zeroed(8 * stride * slots);
    let put =
        |store: &mut Store, at: usize, w: u64| store.bytes_mut()[8 * at..8 * at + 8].copy_from_slice(&w.to_ne_bytes());
    for i in 0..slots {
        put(&mut store, i * stride, EMPTY_KEY);
    }
    for (g, &at) in grams.iter().zip(&at_of) {
        put(&mut store, at * stride, g.0);
        put(&mut store, at * stride + 1, g.1.to_bits());
        if stride > 2 {
            put(&mut store, at * stride + 2, g.2.to_bits());
        }
    }
    (Table { store, stride, slots, homes }, new_slot)
}

impl Probing {
    /// Lays out `mapped`'s tables (reads the whole file once: O(file size)). N-grams whose suffix is no
    /// n-gram of the file (only in a corrupt file: the file's own queries never reach them) are left out.
    pub fn new<B: AsRef<[u8]> + Sync>(mapped: &Mapped<B>) -> Probing {
        let order = mapped.order();
        let (unigrams, orders) = mapped.raw();
        let unigrams = unigrams.into_iter().map(|(prob, backoff)| Unigram { prob, backoff }).collect();
        let mut middle = Vec::with_capacity(order.saturating_sub(2));
        let mut last = Table { store: Store::Heap(Vec::new()), stride: 2, slots: 0, homes: 1 };
        // New slot of each file slot (word ids at order 1: unchanged).
        let mut slot_of: Vec<u32> = (0..mapped.vocab_size() as u32).collect();
        for (i, slots) in orders.into_iter().enumerate() {
            let n = i + 2;
            let file_slots = slots.len();
            let grams: Vec<Placed> = slots
                .into_iter()
                .enumerate()
                .filter(|(_, s)| s.0 != EMPTY_KEY)
                .filter_map(|(slot, (k, prob, backoff))| {
                    let suffix = *slot_of.get((k >> 32) as usize)?;
                    (suffix != shannon_counts::NONE).then(|| (key(suffix, k as u32), prob, backoff, slot as u32))
                })
                .collect();
            if n < order {
                let (t, s) = place(grams, file_slots, 4);
                middle.push(t);
                slot_of = s;
            } else {
                (last, _) = place(grams, file_slots, 2);
            }
        }
        Probing { order, vocab: mapped.vocab_size(), eos: mapped.predicts_eos(), unigrams, middle, last }
    }

    /// Whether `w` is in the support of the model's distributions.
    fn is_predictable(&self, w: u32) -> bool {
        (w as usize) < self.vocab && w != BOS && (w != EOS || self.eos)
    }

    /// The table of order `n` ≥ 2.
    #[inline]
    fn table(&self, n: usize) -> &Table {
        if n == self.order {
            &self.last
        } else {
            &self.middle[n - 2]
        }
    }

    /// The key at slot `i` of order `n` ≥ 2.
    #[inline]
    fn key_at(&self, n: usize, i: usize) -> u64 {
        self.table(n).key(i)
    }

    /// ln p of the n-gram at slot `i` of order `n` (the word id for n = 1).
    #[inline]
    fn prob(&self, n: usize, i: u32) -> f64 {
        match n {
            1 => self.unigrams[i as usize].prob,
            n => self.table(n).prob(i as usize),
        }
    }

    /// ln backoff of the n-gram at slot `i` of order `n` < M (the word id for n = 1).
    #[inline]
    fn backoff(&self, n: usize, i: u32) -> f64 {
        match n {
            1 => self.unigrams[i as usize].backoff,
            n => self.middle[n - 2].backoff(i as usize),
        }
    }

    /// Where the probe for `k` in order `n` starts.
    #[inline]
    fn home(&self, n: usize, k: u64) -> usize {
        fastrange(fmix64(k), self.table(n).homes)
    }

    /// Continues the probe for `k` (home slot `home`) in order `n` from slot `i`, whose key is `got`: the
    /// slot of `k`, if stored (see [`Table`]).
    #[inline]
    fn probe_from(&self, n: usize, k: u64, home: usize, mut i: usize, mut got: u64) -> Option<u32> {
        let t = self.table(n);
        let homes = t.homes;
        loop {
            if got == k {
                return Some(i as u32);
            }
            if got == EMPTY_KEY || fastrange(fmix64(got), homes) > home {
                return None;
            }
            i += 1;
            if i == t.slots {
                return None;
            }
            got = t.key(i);
        }
    }

    /// Slot of the n-gram of order `n` ≥ 2 that extends `suffix` (an id of order n − 1) by `first`.
    #[inline]
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32> {
        let k = key(suffix, first);
        let i = self.home(n, k);
        self.probe_from(n, k, i, i, self.key_at(n, i))
    }

    /// log10 p of each sentence (ids, `<s>` first when the sentence starts from it), summed in token order
    /// from −0.0 exactly as `Iterator::sum` over [`LanguageModel::stream_log_probs`]'s values × log10 e.
    /// The sentences are walked [`LANES`] at a time in lockstep (see the module doc).
    pub fn score_sentences<'a>(&self, sentences: impl IntoIterator<Item = &'a [u32]>, out: &mut Vec<f64>) {
        let mut sentences = sentences.into_iter();
        let first = out.len();
        let mut lanes: Vec<Lane<'a>> = Vec::with_capacity(LANES);
        // Fill the lanes.
        while lanes.len() < LANES {
            let Some(s) = sentences.next() else { break };
            out.push(0.0);
            let mut lane = Lane::new(s, out.len() - 1 - first, self.order);
            lane.advance(self);
            lanes.push(lane);
        }
        let mut loaded = [0u64; LANES];
        while !lanes.is_empty() {
            // Issue every lane's load before resolving any: independent misses overlap.
            for (lane, got) in lanes.iter().zip(loaded.iter_mut()) {
                if let Some((n, _, i)) = lane.probe {
                    *got = self.key_at(n, i);
                }
            }
            let mut j = 0;
            while j < lanes.len() {
                let lane = &mut lanes[j];
                if let Some((n, k, i)) = lane.probe {
                    let found = self.probe_from(n, k, i, i, loaded[j]);
                    lane.resolve(self, found);
                }
                if lane.probe.is_none() {
                    // The sentence is done: its total out, the next sentence in.
                    out[first + lane.index] = lane.total;
                    match sentences.next() {
                        Some(s) => {
                            out.push(0.0);
                            *lane = Lane::new(s, out.len() - 1 - first, self.order);
                            lane.advance(self);
                            // Keep `loaded` in step: this lane's load is issued next round.
                        }
                        None => {
                            lanes.swap_remove(j);
                            loaded.swap(j, lanes.len());
                            continue;
                        }
                    }
                    if lanes[j].probe.is_none() {
                        // A sentence with nothing to probe: finish it now, then look at this lane again.
                        continue;
                    }
                }
                j += 1;
            }
        }
    }
}

/// One sentence being scored in lockstep: the state [`LanguageModel::stream_log_probs`] keeps, with the
/// probe it waits on.
struct Lane<'a> {
    tokens: &'a [u32],
    index: usize,
    /// The token being scored.
    i: usize,
    /// Its history (as `shannon_tokens::history` cuts it), as a range of `tokens`.
    history: usize,
    /// Slots of the n-grams ending at the previous token, shortest first.
    chain: Vec<u32>,
    /// Slots of the n-grams ending at this token found so far.
    next: Vec<u32>,
    /// The probe waited on: (order, key, slot whose key is to be loaded); `None` when the sentence is done.
    probe: Option<(usize, u64, usize)>,
    total: f64,
}

impl<'a> Lane<'a> {
    fn new(tokens: &'a [u32], index: usize, order: usize) -> Lane<'a> {
        Lane {
            tokens,
            index,
            i: 0,
            history: 0,
            chain: Vec::with_capacity(order + 1),
            next: Vec::with_capacity(order + 1),
            probe: None,
            total: -0.0,
        }
    }

    /// From the token at `i` on: scores every token that needs no probe, and stops at the first probe
    /// needed (`probe` set) or at the end (`probe` `None`).
    fn advance(&mut self, m: &Probing) {
        let context = m.order - 1;
        while self.i < self.tokens.len() {
            let (i, w) = (self.i, self.tokens[self.i]);
            if w == BOS {
                self.chain.clear();
                self.chain.push(BOS);
                self.i += 1;
                continue;
            }
            let h = shannon_tokens::history(self.tokens, i, context);
            if w as usize >= m.vocab || self.chain.iter().take(1).any(|&c| c as usize >= m.vocab) {
                let (lp, _) = m.log_prob_matched(h, w);
                self.total += lp * std::f64::consts::LOG10_E;
                self.chain.clear();
                self.i += 1;
                continue;
            }
            self.history = h.len();
            self.next.clear();
            self.next.push(w);
            if self.want(m) {
                return;
            }
            self.finish(m);
        }
        self.probe = None;
    }

    /// Sets the probe for the next longer n-gram ending at the current token, if its history is long
    /// enough; whether it did.
    #[inline]
    fn want(&mut self, m: &Probing) -> bool {
        let n = self.next.len();
        if n > self.history {
            return false;
        }
        let k = key(self.next[n - 1], self.tokens[self.i - n]);
        self.probe = Some((n + 1, k, m.home(n + 1, k)));
        true
    }

    /// Takes the outcome of the probe waited on, then goes on to the next probe.
    fn resolve(&mut self, m: &Probing, found: Option<u32>) {
        if let Some(slot) = found {
            self.next.push(slot);
            if self.want(m) {
                return;
            }
        }
        self.finish(m);
        self.advance(m);
    }

    /// Scores the current token from the n-grams found, as `stream_log_probs` does, and moves past it.
    fn finish(&mut self, m: &Probing) {
        let w = self.tokens[self.i];
        let matched = self.next.len();
        let mut lp = m.prob(matched, self.next[matched - 1]);
        if !m.is_predictable(w) {
            lp = f64::NEG_INFINITY;
        } else {
            for j in matched..=self.chain.len().min(self.history) {
                lp += m.backoff(j, self.chain[j - 1]);
            }
        }
        self.total += lp * std::f64::consts::LOG10_E;
        std::mem::swap(&mut self.chain, &mut self.next);
        self.i += 1;
    }
}

impl LanguageModel for Probing {
    fn order(&self) -> usize {
        self.order
    }

    fn log_prob(&self, history: &[u32], word: u32) -> f64 {
        self.log_prob_matched(history, word).0
    }

    /// As [`Mapped`]'s.
    fn log_prob_matched(&self, history: &[u32], word: u32) -> (f64, usize) {
        crate::walk::log_prob_matched(self, history, word)
    }

    /// As [`Mapped`]'s: one probe per order and word, the previous word's slots as contexts.
    fn stream_log_probs(&self, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
        crate::walk::stream_log_probs(self, tokens, out)
    }
}

impl crate::walk::Slots for Probing {
    fn order(&self) -> usize {
        self.order
    }

    fn vocab_len(&self) -> usize {
        self.vocab
    }

    fn is_predictable(&self, w: u32) -> bool {
        Probing::is_predictable(self, w)
    }

    #[inline]
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32> {
        Probing::find(self, n, suffix, first)
    }

    #[inline]
    fn prob(&self, n: usize, slot: u32) -> f64 {
        Probing::prob(self, n, slot)
    }

    #[inline]
    fn backoff(&self, n: usize, slot: u32) -> f64 {
        Probing::backoff(self, n, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Model, Smoothing};
    use proptest::prelude::*;
    use shannon_tokens::{Vocab, UNK};
    use std::sync::Arc;

    fn mapped(vocab: &Vocab, ids: &[u32], order: usize, smoothing: Smoothing, sentences: bool) -> Mapped<Vec<u8>> {
        let counts = Arc::new(shannon_counts::count(ids, vocab.len(), order));
        let model = Model::estimate(counts, order, smoothing, sentences).unwrap();
        let mut bytes = Vec::new();
        crate::binary::write(&model, vocab, &mut bytes).unwrap();
        Mapped::new(bytes).unwrap()
    }

    /// Every value `stream_log_probs` gives, as bits.
    fn stream(m: &dyn LanguageModel, tokens: &[u32]) -> Vec<(usize, u64, usize)> {
        let mut got = Vec::new();
        m.stream_log_probs(tokens, &mut |i, lp, n| got.push((i, lp.to_bits(), n)));
        got
    }

    /// The reference total: the binary file's stream, × log10 e, summed as `Iterator::sum`.
    fn total(m: &Mapped<Vec<u8>>, tokens: &[u32]) -> f64 {
        let mut v = Vec::new();
        m.stream_log_probs(tokens, &mut |_, lp, _| v.push(lp * std::f64::consts::LOG10_E));
        v.into_iter().sum()
    }

    /// Splits a stream into sentences at each `<s>` (kept), as callers pass them.
    fn sentences(tokens: &[u32]) -> Vec<&[u32]> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..tokens.len() {
            if tokens[i] == BOS {
                out.push(&tokens[start..i]);
                start = i;
            }
        }
        out.push(&tokens[start..]);
        out
    }

    fn check(m: &Mapped<Vec<u8>>, p: &Probing, tokens: &[u32]) {
        assert_eq!(stream(p, tokens), stream(m, tokens));
        for (i, &w) in tokens.iter().enumerate().take(200) {
            let h = shannon_tokens::history(tokens, i, m.order() - 1);
            assert_eq!(p.log_prob_matched(h, w).0.to_bits(), m.log_prob_matched(h, w).0.to_bits());
            assert_eq!(p.log_prob_matched(h, w).1, m.log_prob_matched(h, w).1);
        }
        let parts = sentences(tokens);
        // Also sentences without <s>, and empty ones.
        let mut batch: Vec<&[u32]> = parts.clone();
        batch.extend(parts.iter().map(|s| &s[1.min(s.len())..]));
        batch.push(&[]);
        batch.insert(3.min(batch.len()), &[]);
        let mut got = vec![7.0];
        p.score_sentences(batch.iter().copied(), &mut got);
        assert_eq!(got[0], 7.0);
        let want: Vec<u64> = batch.iter().map(|s| total(m, s).to_bits()).collect();
        assert_eq!(got[1..].iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want);
    }

    #[test]
    fn probing_tables_score_bit_for_bit_as_the_file_on_genesis() {
        for order in 1..=5 {
            for smoothing in [Smoothing::Mkn, Smoothing::Wb] {
                for eos in [true, false] {
                    let (vocab, ids) = crate::fixture::genesis(eos);
                    let m = mapped(&vocab, &ids, order, smoothing, eos);
                    let p = Probing::new(&m);
                    let mut tokens: Vec<u32> = ids[..ids.len().min(4000)].to_vec();
                    for (k, at) in [(UNK, 10), (EOS, 20), (BOS, 30), (u32::MAX, 40), (UNK, 41), (BOS, 42), (EOS, 43)] {
                        if at < tokens.len() {
                            tokens[at] = k;
                        }
                    }
                    check(&m, &p, &tokens);
                    check(&m, &p, &tokens[1..]);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// On random models (random text over a small vocabulary, orders 1–6) and random sentences with
        /// unknown words, markers and ids out of range, the probing tables equal the file bit for bit.
        #[test]
        fn probing_tables_equal_the_file_on_random_models(
            order in 1usize..=6,
            eos in any::<bool>(),
            text in proptest::collection::vec(0u32..12, 20..400),
            queries in proptest::collection::vec(0u32..20, 0..300),
        ) {
            let mut vocab = Vocab::new();
            let words: Vec<u32> = (0..10).map(|i| vocab.intern(&format!("w{i}"))).collect();
            // 10 and 11 become sentence breaks in the training text.
            let mut ids = vec![BOS];
            for &t in &text {
                if t >= 10 {
                    if eos { ids.push(EOS); }
                    ids.push(BOS);
                } else {
                    ids.push(words[t as usize]);
                }
            }
            if eos { ids.push(EOS); }
            let m = mapped(&vocab, &ids, order, Smoothing::Mkn, eos);
            let p = Probing::new(&m);
            // Queries: 0..10 words, then <unk>, <s>, </s>, an id out of range, and more words.
            let tokens: Vec<u32> = queries.iter().map(|&q| match q {
                0..=9 => words[q as usize],
                10 => UNK,
                11 | 12 => BOS,
                13 => EOS,
                14 => 1_000,
                _ => words[(q as usize * 7) % 10],
            }).collect();
            check(&m, &p, &tokens);
        }
    }
}
