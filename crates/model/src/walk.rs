//! The backoff walk of a model whose n-grams are found by (suffix, first word): the binary file
//! ([`crate::binary::Mapped`], hashed slots it can prefetch) and the in-memory [`crate::Model`] (ids of its
//! counts), behind the [`Slots`] trait (where an n-gram's key, probability and backoff weight live).

/// Where the n-grams of a hashed backoff model are, and what they hold.
pub(crate) trait Slots {
    /// The model order M.
    fn order(&self) -> usize;
    /// Ids below this are in the vocabulary.
    fn vocab_len(&self) -> usize;
    /// Whether `w` is in the support of the model's distributions.
    fn is_predictable(&self, w: u32) -> bool;
    /// The slot of the order-`n` n-gram whose last n − 1 words are at slot `suffix` of order n − 1 (the word
    /// id for n = 2) and whose first word is `first`.
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32>;
    /// ln p of the n-gram at slot `slot` of order `n` (the word id for n = 1).
    fn prob(&self, n: usize, slot: u32) -> f64;
    /// ln backoff of the n-gram at slot `slot` of order `n` < M (the word id for n = 1).
    fn backoff(&self, n: usize, slot: u32) -> f64;
    /// Asks for the cache line where [`Slots::find`]`(n, suffix, first)` will start, without waiting, and
    /// keeps what that computed (the key, and where its search starts) for [`Slots::find_probe`]: a windowed
    /// walk hashes each probe once. By default nothing is asked for.
    fn probe(&self, _n: usize, suffix: u32, first: u32) -> Probe {
        Probe { key: shannon_counts::key(suffix, first), at: usize::MAX }
    }
    /// [`Slots::find`] of the n-gram `probe` was made for, from where its search starts.
    fn find_probe(&self, n: usize, probe: Probe) -> Option<u32> {
        self.find(n, (probe.key >> 32) as u32, probe.key as u32)
    }
    /// Asks for the cache line of ln p of the n-gram at slot `slot` of order `n` ≥ 2, without waiting.
    fn prefetch_prob(&self, _n: usize, _slot: u32) {}
    /// Asks for the cache line of ln backoff of the n-gram at slot `slot` of order `n`, 2 ≤ n < M, without
    /// waiting.
    fn prefetch_backoff(&self, _n: usize, _slot: u32) {}
}

/// A probe asked for ahead ([`Slots::probe`]): the n-gram's key `(suffix << 32) | first`, and the slot its
/// search starts at where the implementation hashes (`usize::MAX` where it does not).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Probe {
    pub(crate) key: u64,
    pub(crate) at: usize,
}

/// Asks the processor to bring the cache line holding `values[0]` towards the core, without waiting: a
/// hint, with no effect on results (a no-op on targets other than x86-64).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn prefetch<T>(values: &[T]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 never faults and changes no architectural state, whatever the address; this one
    // points into `values` (or one past its end) anyway. SSE, which it needs, is in every x86-64 processor.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(values.as_ptr().cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
}

/// [`crate::LanguageModel::log_prob_matched`]: the longest stored n-gram ending in `word`, then the backoff
/// weights of every stored context at least as long as its context.
pub(crate) fn log_prob_matched<S: Slots + ?Sized>(s: &S, history: &[u32], word: u32) -> (f64, usize) {
    if !s.is_predictable(word) {
        return (f64::NEG_INFINITY, 0);
    }
    let h = &history[history.len().saturating_sub(s.order() - 1)..];
    let mut id = word;
    let mut matched = 1;
    while matched <= h.len() {
        match s.find(matched + 1, id, h[h.len() - matched]) {
            Some(slot) => {
                id = slot;
                matched += 1;
            }
            None => break,
        }
    }
    let mut lp = s.prob(matched, id);
    if matched <= h.len() {
        let mut ctx = h[h.len() - 1];
        if ctx as usize >= s.vocab_len() {
            return (lp, matched);
        }
        if matched == 1 {
            lp += s.backoff(1, ctx);
        }
        for j in 2..=h.len() {
            match s.find(j, ctx, h[h.len() - j]) {
                Some(slot) => ctx = slot,
                None => break,
            }
            if j >= matched {
                lp += s.backoff(j, ctx);
            }
        }
    }
    (lp, matched)
}

/// Positions walked together by [`stream_log_probs`]: enough probes in flight to cover a miss to memory
/// (`walk-bench` on the bible 5-gram, one thread, three alternating pairs of runs: 48 took 90.6, 81.6 and
/// 86.0 ns a token against 16's 99.7, 87.7 and 99.8).
const WINDOW: usize = 48;

/// [`crate::LanguageModel::stream_log_probs`] with one probe per order and word: the n-grams found ending at
/// a word are the next word's contexts, so their backoff weights are read from the slots found one word
/// earlier instead of being looked up again (KenLM's state). Equal to [`log_prob_matched`] at every position.
///
/// The probes of a word depend on one another (each n-gram's key holds its suffix's slot) but not on other
/// words', so the words are walked [`WINDOW`] at a time, round robin, one probe per word per turn, each
/// probe's first cache line prefetched a turn ahead: the processor waits for many cache misses at once
/// instead of one after another. Then the window's words are scored in order, as [`stream_serial`] scores
/// them, with the same values in the same order (tested bit for bit). Scoring reads values whose cache lines
/// were only just asked for (the last walks' ln p, every backoff weight), so the next window's first probes
/// are sent out between the asking and the reading.
pub(crate) fn stream_log_probs<S: Slots + ?Sized>(s: &S, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
    if tokens.is_empty() {
        return;
    }
    // Slots of the n-grams ending at the previous token, shortest first (`chain[0]` its word id).
    let mut chain: Vec<u32> = Vec::with_capacity(s.order() + 1);
    // A second window only for a stream longer than one (`score` calls this once per sentence).
    let mut this = Box::new(Window::new(s.order()));
    let mut next = Box::new(Window::new(if tokens.len() > WINDOW { s.order() } else { 0 }));
    this.begin(s, tokens, 0);
    this.walk(s, tokens);
    loop {
        this.prefetch_backoffs(s, &chain);
        let more = this.end < tokens.len();
        if more {
            next.begin(s, tokens, this.end);
        }
        this.score(s, tokens, &mut chain, out);
        if !more {
            return;
        }
        next.walk(s, tokens);
        std::mem::swap(&mut this, &mut next);
    }
}

/// The walks of [`WINDOW`] consecutive positions `start..end` of a stream, for [`stream_log_probs`].
struct Window {
    start: usize,
    end: usize,
    /// Per position `k`: the slots found so far (the word id first), `found[k]` of them from `k · stride`
    /// (one allocation for the window, not one per position).
    slots: Vec<u32>,
    found: [usize; WINDOW],
    /// The most slots a walk finds: the order.
    stride: usize,
    /// Per position: its history's length (0 where it is not walked).
    history: [usize; WINDOW],
    /// Per position: whether its walk goes on.
    walking: [bool; WINDOW],
    /// Per position: its next probe, asked for a turn ahead.
    probes: [Probe; WINDOW],
    /// Positions whose walk goes on.
    active: usize,
}

impl Window {
    /// A window for walks of a model of order `order` (0: one that is never walked).
    fn new(order: usize) -> Window {
        Window {
            start: 0,
            end: 0,
            slots: vec![0; WINDOW * order],
            found: [0; WINDOW],
            stride: order,
            history: [0; WINDOW],
            walking: [false; WINDOW],
            probes: [Probe::default(); WINDOW],
            active: 0,
        }
    }

    /// The slots found for position `k` of the window.
    #[inline]
    fn walk_of(&self, k: usize) -> &[u32] {
        &self.slots[k * self.stride..k * self.stride + self.found[k]]
    }

    /// Starts the walks of the positions from `start`: each word with a history asks for its bigram.
    fn begin<S: Slots + ?Sized>(&mut self, s: &S, tokens: &[u32], start: usize) {
        let context = s.order() - 1;
        let vocab = s.vocab_len();
        self.start = start;
        self.end = (start + WINDOW).min(tokens.len());
        self.active = 0;
        // The history's length, carried from position to position: one more than the previous one's, or 1
        // after `<s>`, at most the context (found afresh at the window's first position).
        let mut history = shannon_tokens::history(tokens, start, context).len();
        for (k, p) in (self.start..self.end).enumerate() {
            if p > start {
                let run = if tokens[p - 1] == shannon_tokens::BOS { 1 } else { history + 1 };
                history = run.min(context);
            }
            let w = tokens[p];
            self.found[k] = 0;
            self.walking[k] = false;
            self.history[k] = 0;
            if w == shannon_tokens::BOS || w as usize >= vocab {
                continue;
            }
            self.slots[k * self.stride] = w;
            self.found[k] = 1;
            self.history[k] = history;
            if history >= 1 {
                self.probes[k] = s.probe(2, w, tokens[p - 1]);
                self.walking[k] = true;
                self.active += 1;
            }
        }
    }

    /// Walks every position to its longest stored n-gram, round robin, and asks for its ln p.
    fn walk<S: Slots + ?Sized>(&mut self, s: &S, tokens: &[u32]) {
        while self.active > 0 {
            for (k, p) in (self.start..self.end).enumerate() {
                if !self.walking[k] {
                    continue;
                }
                let n = self.found[k];
                if let Some(slot) = s.find_probe(n + 1, self.probes[k]) {
                    self.slots[k * self.stride + n] = slot;
                    self.found[k] = n + 1;
                    if n < self.history[k] {
                        self.probes[k] = s.probe(n + 2, slot, tokens[p - n - 1]);
                        continue;
                    }
                }
                self.walking[k] = false;
                self.active -= 1;
                let matched = self.found[k];
                if matched >= 2 {
                    s.prefetch_prob(matched, self.slots[k * self.stride + matched - 1]);
                }
            }
        }
    }

    /// Asks for the backoff weights the window's words will read: those of the previous word's n-grams at
    /// least as long as the word's own (`chain`: the n-grams ending just before the window).
    fn prefetch_backoffs<S: Slots + ?Sized>(&self, s: &S, chain: &[u32]) {
        for k in 0..self.end - self.start {
            let before: &[u32] = if k == 0 { chain } else { self.walk_of(k - 1) };
            for j in self.found[k].max(2)..=before.len().min(self.history[k]) {
                s.prefetch_backoff(j, before[j - 1]);
            }
        }
    }

    /// Scores the window's words in order, from the walks and the previous word's slots (`chain`, left
    /// holding the last word's).
    fn score<S: Slots + ?Sized>(
        &self,
        s: &S,
        tokens: &[u32],
        chain: &mut Vec<u32>,
        out: &mut dyn FnMut(usize, f64, usize),
    ) {
        let context = s.order() - 1;
        let vocab = s.vocab_len();
        for (k, p) in (self.start..self.end).enumerate() {
            let w = tokens[p];
            if w == shannon_tokens::BOS {
                chain.clear();
                chain.push(shannon_tokens::BOS);
                continue;
            }
            if w as usize >= vocab || chain.first().is_some_and(|&c| c as usize >= vocab) {
                let (lp, matched) = log_prob_matched(s, shannon_tokens::history(tokens, p, context), w);
                out(p, lp, matched);
                chain.clear();
                continue;
            }
            let next = self.walk_of(k);
            let matched = next.len();
            if s.is_predictable(w) {
                let mut lp = s.prob(matched, next[matched - 1]);
                for j in matched..=chain.len().min(self.history[k]) {
                    lp += s.backoff(j, chain[j - 1]);
                }
                out(p, lp, matched);
            } else {
                out(p, f64::NEG_INFINITY, 0);
            }
            chain.clear();
            chain.extend_from_slice(next);
        }
    }
}

/// [`stream_log_probs`] one word after another: the reference it is tested and benchmarked against.
pub(crate) fn stream_serial<S: Slots + ?Sized>(s: &S, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
    let context = s.order() - 1;
    // Slots of the n-grams ending at the previous token, shortest first (`chain[0]` its word id).
    let mut chain: Vec<u32> = Vec::with_capacity(s.order() + 1);
    let mut next: Vec<u32> = Vec::with_capacity(s.order() + 1);
    for (i, &w) in tokens.iter().enumerate() {
        if w == shannon_tokens::BOS {
            chain.clear();
            chain.push(shannon_tokens::BOS);
            continue;
        }
        let h = shannon_tokens::history(tokens, i, context);
        if w as usize >= s.vocab_len() || chain.first().is_some_and(|&c| c as usize >= s.vocab_len()) {
            let (lp, matched) = log_prob_matched(s, h, w);
            out(i, lp, matched);
            chain.clear();
            continue;
        }
        // The longest stored n-gram ending in `w`, keeping every slot on the way.
        next.clear();
        next.push(w);
        while next.len() <= h.len() {
            let n = next.len();
            match s.find(n + 1, next[n - 1], h[h.len() - n]) {
                Some(slot) => next.push(slot),
                None => break,
            }
        }
        let matched = next.len();
        if s.is_predictable(w) {
            // Only the longest n-gram's probability is read: each read is a cache miss on a large model.
            let mut lp = s.prob(matched, next[matched - 1]);
            for j in matched..=chain.len().min(h.len()) {
                lp += s.backoff(j, chain[j - 1]);
            }
            out(i, lp, matched);
        } else {
            out(i, f64::NEG_INFINITY, 0);
        }
        std::mem::swap(&mut chain, &mut next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::Mapped;
    use crate::{LanguageModel, Model, Smoothing};
    use proptest::prelude::*;
    use shannon_tokens::{Vocab, BOS, EOS, UNK};
    use std::sync::Arc;

    fn model(vocab: &Vocab, ids: &[u32], order: usize, smoothing: Smoothing, eos: bool) -> (Model, Mapped<Vec<u8>>) {
        let counts = Arc::new(shannon_counts::count(ids, vocab.len(), order));
        let model = Model::estimate(counts, order, smoothing, eos).unwrap();
        let mut bytes = Vec::new();
        crate::binary::write(&model, vocab, &mut bytes).unwrap();
        (model, Mapped::new(bytes).unwrap())
    }

    /// The windowed walk gives the serial walk's values bit for bit, and `log_prob_matched`'s at every
    /// position (the in-memory model's too, where it is bit-exact: its own walk).
    fn check(model: &Model, m: &Mapped<Vec<u8>>, tokens: &[u32]) {
        let mut windowed = Vec::new();
        m.stream_log_probs(tokens, &mut |i, lp, n| windowed.push((i, lp.to_bits(), n)));
        let mut serial = Vec::new();
        stream_serial(m, tokens, &mut |i, lp, n| serial.push((i, lp.to_bits(), n)));
        assert_eq!(windowed, serial);
        let context = LanguageModel::order(m) - 1;
        let want: Vec<usize> = (0..tokens.len()).filter(|&i| tokens[i] != BOS).collect();
        assert_eq!(windowed.iter().map(|w| w.0).collect::<Vec<_>>(), want);
        for &(i, lp, n) in &windowed {
            let h = shannon_tokens::history(tokens, i, context);
            assert_eq!(m.log_prob_matched(h, tokens[i]), (f64::from_bits(lp), n), "position {i}");
            let theirs = model.log_prob(h, tokens[i]);
            let ours = f64::from_bits(lp);
            assert!(ours == theirs || (ours - theirs).abs() <= 1e-9 * theirs.abs(), "{ours} vs {theirs} at {i}");
        }
        // The in-memory model walks its own n-grams the same way: its values are its `log_prob_matched`'s,
        // bit for bit.
        let mut walked = Vec::new();
        model.stream_log_probs(tokens, &mut |i, lp, n| walked.push((i, lp.to_bits(), n)));
        let each: Vec<(usize, u64, usize)> = want
            .iter()
            .map(|&i| {
                let (lp, n) = model.log_prob_matched(shannon_tokens::history(tokens, i, context), tokens[i]);
                (i, lp.to_bits(), n)
            })
            .collect();
        assert_eq!(walked, each);
        // And every word after one history at once (the guessing game's question), bit for bit.
        let words: Vec<u32> = (0..model.vocab_size() as u32 + 2).collect();
        let mut all = vec![0.0; words.len()];
        for i in (0..tokens.len()).step_by(7) {
            let h = shannon_tokens::history(tokens, i, context);
            model.log_probs_of(h, &words, &mut all);
            for (&w, lp) in words.iter().zip(&all) {
                assert_eq!(lp.to_bits(), model.log_prob(h, w).to_bits(), "word {w} after position {i}");
            }
        }
    }

    #[test]
    fn the_windowed_walk_equals_the_serial_one_on_genesis() {
        for order in 1..=5 {
            for smoothing in [Smoothing::Mkn, Smoothing::Wb] {
                for eos in [true, false] {
                    let (vocab, ids) = crate::fixture::genesis(eos);
                    let (model, m) = model(&vocab, &ids, order, smoothing, eos);
                    let mut tokens: Vec<u32> = ids[..ids.len().min(3000)].to_vec();
                    for (k, at) in [(UNK, 10), (EOS, 20), (BOS, 30), (u32::MAX, 40), (UNK, 41), (BOS, 42), (EOS, 43)] {
                        if at < tokens.len() {
                            tokens[at] = k;
                        }
                    }
                    check(&model, &m, &tokens);
                    check(&model, &m, &tokens[1..]);
                    check(&model, &m, &tokens[..7]);
                }
            }
        }
    }

    /// On an `f32` file too the windowed walk equals the serial one bit for bit (both read the same rounded
    /// values).
    #[test]
    fn the_windowed_walk_equals_the_serial_one_on_an_f32_file() {
        let (vocab, ids) = crate::fixture::genesis(true);
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), 5));
        let model = Model::estimate(counts, 5, Smoothing::Mkn, true).unwrap();
        let mut bytes = Vec::new();
        crate::binary::write_with(&model, &vocab, None, crate::binary::Precision::F32, &mut bytes).unwrap();
        let m = Mapped::new(bytes).unwrap();
        let mut windowed = Vec::new();
        m.stream_log_probs(&ids, &mut |i, lp, n| windowed.push((i, lp.to_bits(), n)));
        let mut serial = Vec::new();
        stream_serial(&m, &ids, &mut |i, lp, n| serial.push((i, lp.to_bits(), n)));
        assert_eq!(windowed, serial);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// On random models (random text over a small vocabulary, orders 1–6) and random streams with
        /// unknown words, markers and ids out of range, of any length across windows, the windowed walk
        /// equals the serial one bit for bit.
        #[test]
        fn the_windowed_walk_equals_the_serial_one_on_random_models(
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
            let (model, m) = model(&vocab, &ids, order, Smoothing::Mkn, eos);
            // Queries: 0..10 words, then <unk>, <s>, </s>, an id out of range, and more words.
            let tokens: Vec<u32> = queries.iter().map(|&q| match q {
                0..=9 => words[q as usize],
                10 => UNK,
                11 | 12 => BOS,
                13 => EOS,
                14 => 1_000,
                _ => words[(q as usize * 7) % 10],
            }).collect();
            check(&model, &m, &tokens);
        }
    }
}
