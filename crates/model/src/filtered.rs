//! A backoff model cut down to the n-grams that scoring one text asks for — the idea of KenLM's `filter` —
//! estimated straight from counts on disk, so that `compare` can score models of a corpus whose whole model
//! would not fit in memory.
//!
//! Scoring a text walks, at every position, the n-grams ending there and their contexts: all of them are
//! n-grams of the text itself (within a sentence, `<s>` included). [`Wanted`] finds which of the text's
//! n-grams the training counts hold, order by order, by merging the text's counts with the store's sorted
//! keys (both are in key order, so one forward read of each order suffices). [`estimate`] then runs the
//! streamed estimation ([`crate::streamed`]) and keeps only those n-grams' ln p and backoff weights. The
//! result answers every query of that text exactly as [`Model::estimate`](crate::Model::estimate)'s model
//! does: the same values (the same arithmetic, in the same order) walked by the same code
//! ([`crate::walk`]), so scores agree bit for bit (tests). Asked about any other text, it is wrong: it is
//! not a model file and is never written.

use std::io;

use rayon::prelude::*;
use shannon_counts::store::{Column, Store};
use shannon_counts::{key, Counts, NONE};

use crate::arpa::Error;
use crate::streamed::{self, Backoffs, Cursor, Probs, Sink};
use crate::{walk, LanguageModel, Smoothing, Summary};

/// The n-grams of one text (orders 1..=N) that a store of training counts holds, each under a compact id:
/// its rank among them in key order.
#[derive(Debug)]
pub struct Wanted {
    /// Per order (index n − 1), the store ids of the wanted n-grams, increasing; the compact id is the index.
    /// Order 1: every word of the vocabulary.
    store_ids: Vec<Vec<u32>>,
    /// Per order n ≥ 2 (index n − 1): key (compact id of the suffix, first word) → compact id.
    index: Vec<Table>,
}

/// Key → compact id by open addressing with linear probing, each slot the key and its id side by side (one
/// cache line a probe), at most 2/3 full. Not a `HashMap`, so that the walk can prefetch a probe's slot a turn
/// before it reads it ([`walk::Slots::probe`]), as the binary format's tables do: scoring a long text probes
/// tables far larger than the cache.
#[derive(Debug)]
struct Table {
    slots: Vec<Slot>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u64,
    id: u32,
}

/// No key: `key(NONE, NONE)`, which no n-gram has.
const EMPTY: u64 = u64::MAX;

impl Table {
    /// The table of `keys`, each under its index.
    fn new(keys: &[u64]) -> Table {
        let size = keys.len() + keys.len() / 2 + 1;
        let mut slots = vec![Slot { key: EMPTY, id: 0 }; size];
        for (id, &key) in keys.iter().enumerate() {
            let mut i = home(key, size);
            while slots[i].key != EMPTY {
                i = if i + 1 == size { 0 } else { i + 1 };
            }
            slots[i] = Slot { key, id: id as u32 };
        }
        Table { slots }
    }

    /// The id of `key`, searched from slot `i` (its home).
    #[inline]
    fn find_from(&self, key: u64, mut i: usize) -> Option<u32> {
        loop {
            let slot = self.slots[i];
            if slot.key == key {
                return Some(slot.id);
            }
            if slot.key == EMPTY {
                return None;
            }
            i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
        }
    }
}

/// Where the search for `key` starts in a table of `size` slots.
#[inline]
fn home(key: u64, size: usize) -> usize {
    crate::binary::fastrange(crate::binary::fmix64(key), size)
}

/// Store keys read per block while merging.
const BLOCK: usize = 1 << 16;

impl Wanted {
    /// The n-grams of `text` — counted with the store's vocabulary, to an order at most the store's — that
    /// `store` holds.
    pub fn new(store: &Store, text: &Counts) -> io::Result<Wanted> {
        let v = store.len(1);
        assert_eq!(text.vocab_size(), v, "the text is counted with the store's vocabulary");
        assert!(text.max_order() <= store.max_order(), "the text's orders are in the store");
        let mut store_ids = vec![(0..v as u32).collect::<Vec<u32>>()];
        let mut index = vec![Table::new(&[])];
        // Text id of the order below → compact id (or NONE); order 1: the word itself.
        let mut compact_below: Vec<u32> = (0..v as u32).collect();
        for n in 2..=text.max_order() {
            let order = text.order(n);
            let below = &store_ids[n - 2];
            let mut ids = Vec::new();
            let mut keys = Vec::new();
            let mut compact = vec![NONE; order.len()];
            let mut reader = store.reader::<(u32, u32)>(n, Column::Ngrams, 0)?;
            // The store's keys of ids `at..at + block.len()`.
            let (mut block, mut at) = (Vec::new(), 0usize);
            let mut i = 0;
            // Ids of order n are ranks of keys (suffix id, first word), in the text's counts and in the store,
            // and the compact ids of the order below keep the store's order: so the wanted keys come in
            // increasing store order, and the store is read once, forward.
            'text: for (t, (&first, &suffix)) in order.first.iter().zip(&order.suffix).enumerate() {
                let c = compact_below[suffix as usize];
                if c == NONE {
                    continue;
                }
                let want = key(below[c as usize], first);
                loop {
                    if i == block.len() {
                        at += block.len();
                        i = 0;
                        block.clear();
                        match reader.block(BLOCK)? {
                            Some(b) => block.extend_from_slice(b),
                            None => break 'text,
                        }
                    }
                    let (f, s) = block[i];
                    let have = key(s, f);
                    if have >= want {
                        if have == want {
                            compact[t] = ids.len() as u32;
                            keys.push(key(c, first));
                            ids.push((at + i) as u32);
                        }
                        break;
                    }
                    i += 1;
                }
            }
            store_ids.push(ids);
            index.push(Table::new(&keys));
            compact_below = compact;
        }
        Ok(Wanted { store_ids, index })
    }

    /// The highest order.
    pub fn max_order(&self) -> usize {
        self.store_ids.len()
    }

    /// Number of wanted n-grams per order.
    pub fn ngrams(&self) -> Vec<usize> {
        self.store_ids.iter().map(Vec::len).collect()
    }

    /// Bytes of memory the tables hold (for budgets: they are held while every model is estimated), and as
    /// much again for the values each [`Filtered`] model keeps of them.
    pub fn heap_bytes(&self) -> usize {
        let ids: usize = self.store_ids.iter().map(|v| v.capacity() * 4).sum();
        let index: usize = self.index.iter().map(|t| t.slots.capacity() * std::mem::size_of::<Slot>()).sum();
        let values: usize = self.store_ids.iter().map(|v| v.len() * 16).sum();
        ids + index + values
    }
}

/// A backoff model's values for the [`Wanted`] n-grams of one text: scores that text as the whole model
/// would, bit for bit.
#[derive(Debug)]
pub struct Filtered<'w> {
    wanted: &'w Wanted,
    order: usize,
    /// Per order (index n − 1), ln p by compact id.
    log_prob: Vec<Vec<f64>>,
    /// Per order below the top (index n − 1), ln backoff by compact id.
    log_backoff: Vec<Vec<f64>>,
    predictable: Vec<bool>,
    summary: Summary,
}

/// Estimates the model of order `order` (at most the store's and the wanted n-grams') with `smoothing` (mkn,
/// kn or wb) from `store`, keeping the values of the `wanted` n-grams. `sentences` says whether `</s>` is a
/// word, as for [`Model::estimate`](crate::Model::estimate). `budget` bounds the bytes of the per-order arrays
/// of the estimation, as for [`streamed::write_arpa`].
pub fn estimate<'w>(
    store: &Store,
    wanted: &'w Wanted,
    order: usize,
    smoothing: Smoothing,
    sentences: bool,
    budget: Option<u64>,
) -> Result<Filtered<'w>, Error> {
    assert!(order >= 1 && order <= wanted.max_order(), "order {order} of {} wanted", wanted.max_order());
    let mut keep = Keep { wanted, log_prob: Vec::new(), log_backoff: Vec::new() };
    let summary = streamed::estimate(store, order, smoothing, sentences, budget, &mut keep)?;
    let v = store.len(1);
    Ok(Filtered {
        wanted,
        order,
        log_prob: keep.log_prob,
        log_backoff: keep.log_backoff,
        predictable: crate::predictable(v, sentences),
        summary,
    })
}

/// The sink that keeps the wanted n-grams' values.
struct Keep<'w> {
    wanted: &'w Wanted,
    log_prob: Vec<Vec<f64>>,
    log_backoff: Vec<Vec<f64>>,
}

/// Store ids per piece of work when the top order's ln p are computed: each piece reads and values this
/// many n-grams, however few of them are wanted.
const WINDOW: usize = if cfg!(test) { 50 } else { 1 << 20 };

impl Sink for Keep<'_> {
    fn section(&mut self, store: &Store, n: usize, probs: Probs, backoffs: Option<Backoffs>) -> Result<(), Error> {
        let ids = &self.wanted.store_ids[n - 1];
        // The wanted ids increase: one cursor reads what they ask for.
        let pick = |mut all: Cursor, map: fn(f64) -> f64| -> Result<Vec<f64>, Error> {
            ids.iter().map(|&s| all.get(s as usize).map(map)).collect()
        };
        let log_prob = match probs {
            Probs::Stored(all) => pick(all.cursor(), |p| p)?,
            Probs::Computed(step, values) => {
                // Windows of store ids that hold wanted n-grams, each computed whole, then picked.
                let mut pieces: Vec<&[u32]> = Vec::new();
                let mut rest = &ids[..];
                while let Some(&first) = rest.first() {
                    let end = (first as usize / WINDOW + 1) * WINDOW;
                    let take = rest.partition_point(|&s| (s as usize) < end);
                    pieces.push(&rest[..take]);
                    rest = &rest[take..];
                }
                let len = store.len(n);
                let picked: Vec<Vec<f64>> = pieces
                    .par_iter()
                    .map(|piece| {
                        let from = piece[0] as usize / WINDOW * WINDOW;
                        let mut all = vec![0f64; WINDOW.min(len - from)];
                        step.log_probs_from(store, values, from, &mut all)?;
                        Ok(piece.iter().map(|&s| all[s as usize - from]).collect())
                    })
                    .collect::<Result<_, Error>>()?;
                picked.concat()
            }
        };
        self.log_prob.push(log_prob);
        if let Some(backoffs) = backoffs {
            self.log_backoff.push(pick(backoffs.cursor(), f64::ln)?);
        }
        Ok(())
    }
}

impl Filtered<'_> {
    /// N-grams per order, discounts and vocabulary: the whole model's, as
    /// [`Model::summary`](crate::Model::summary) gives them.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Whether `w` can be predicted (not `<s>`, nor `</s>` unless sentences end with it), as
    /// [`Model::is_predictable`](crate::Model::is_predictable) says.
    pub fn is_predictable(&self, w: u32) -> bool {
        walk::Slots::is_predictable(self, w)
    }
}

impl walk::Slots for Filtered<'_> {
    fn order(&self) -> usize {
        self.order
    }

    fn vocab_len(&self) -> usize {
        self.predictable.len()
    }

    fn is_predictable(&self, w: u32) -> bool {
        self.predictable.get(w as usize).copied().unwrap_or(false)
    }

    #[inline]
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32> {
        let table = &self.wanted.index[n - 1];
        let k = key(suffix, first);
        table.find_from(k, home(k, table.slots.len()))
    }

    #[inline]
    fn probe(&self, n: usize, suffix: u32, first: u32) -> walk::Probe {
        let table = &self.wanted.index[n - 1];
        let k = key(suffix, first);
        let at = home(k, table.slots.len());
        walk::prefetch(&table.slots[at..]);
        walk::Probe { key: k, at }
    }

    #[inline]
    fn find_probe(&self, n: usize, probe: walk::Probe) -> Option<u32> {
        self.wanted.index[n - 1].find_from(probe.key, probe.at)
    }

    #[inline]
    fn prefetch_prob(&self, n: usize, slot: u32) {
        walk::prefetch(&self.log_prob[n - 1][slot as usize..]);
    }

    #[inline]
    fn prefetch_backoff(&self, n: usize, slot: u32) {
        if let Some(backoffs) = self.log_backoff.get(n - 1) {
            walk::prefetch(&backoffs[slot as usize..]);
        }
    }

    #[inline]
    fn prob(&self, n: usize, slot: u32) -> f64 {
        self.log_prob[n - 1][slot as usize]
    }

    #[inline]
    fn backoff(&self, n: usize, slot: u32) -> f64 {
        self.log_backoff[n - 1][slot as usize]
    }
}

impl LanguageModel for Filtered<'_> {
    fn order(&self) -> usize {
        self.order
    }

    fn log_prob(&self, history: &[u32], word: u32) -> f64 {
        walk::log_prob_matched(self, history, word).0
    }

    fn log_prob_matched(&self, history: &[u32], word: u32) -> (f64, usize) {
        walk::log_prob_matched(self, history, word)
    }

    fn stream_log_probs(&self, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
        walk::stream_log_probs(self, tokens, out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use shannon_tokens::{BOS, EOS};

    use super::*;
    use crate::{fixture, Model};

    fn stored(tokens: &[u32], vocab: usize, order: usize, dir: &std::path::Path) -> Store {
        let mut store = Store::new(dir);
        shannon_counts::count_to_store(tokens, vocab, order, &Default::default(), &mut store).unwrap();
        store
    }

    /// Scores `text` with every order's model both ways; they must agree bit for bit, position by position.
    fn check(vocab: usize, train: &[u32], text: &[u32], max_order: usize, sentences: bool) {
        let dir = tempfile::tempdir().unwrap();
        let store = stored(train, vocab, max_order, dir.path());
        let counts = Arc::new(shannon_counts::count(train, vocab, max_order));
        let wanted = Wanted::new(&store, &shannon_counts::count(text, vocab, max_order)).unwrap();
        for order in 1..=max_order {
            for smoothing in [Smoothing::Mkn, Smoothing::Kn, Smoothing::Wb] {
                let whole = Model::estimate(counts.clone(), order, smoothing, sentences).unwrap();
                let mut want = Vec::new();
                whole.stream_log_probs(text, &mut |i, lp, n| want.push((i, lp.to_bits(), n)));
                // Unbounded, and histories taken in ranges of the least size (3).
                for budget in [None, Some(1)] {
                    let cut = estimate(&store, &wanted, order, smoothing, sentences, budget).unwrap();
                    assert_eq!(cut.summary(), whole.summary(), "{smoothing} order {order}");
                    let mut got = Vec::new();
                    cut.stream_log_probs(text, &mut |i, lp, n| got.push((i, lp.to_bits(), n)));
                    assert_eq!(got, want, "{smoothing} order {order} sentences {sentences} budget {budget:?}");
                }
            }
        }
    }

    #[test]
    fn held_out_lines_score_as_with_the_whole_model() {
        for sentences in [true, false] {
            let (vocab, tokens) = fixture::genesis(sentences);
            // The last sixth as the text: its n-grams are partly in the training part, partly not.
            let cut = tokens.len() * 5 / 6;
            let cut = cut + tokens[cut..].iter().position(|&t| t == BOS).unwrap_or(0);
            check(vocab.len(), &tokens[..cut], &tokens[cut..], 5, sentences);
            // A text that is the training text itself: every n-gram wanted.
            check(vocab.len(), &tokens[..cut], &tokens[..cut], 3, sentences);
        }
    }

    #[test]
    fn wanted_ngrams_are_the_texts_that_training_holds() {
        // Words 3.. ; sentences <s> a b c </s> and <s> a b d </s>.
        let (a, b, c, d) = (3, 4, 5, 6);
        let train = [BOS, a, b, c, EOS, BOS, b, c, EOS];
        let text = [BOS, a, b, d, EOS, BOS, b, c, EOS];
        let dir = tempfile::tempdir().unwrap();
        let store = stored(&train, 7, 3, dir.path());
        let wanted = Wanted::new(&store, &shannon_counts::count(&text, 7, 3)).unwrap();
        // Order 2 of the text: <s> a, a b, b d, d </s>, <s> b, b c, c </s>; training holds all but b d, d </s>.
        // Order 3: <s> a b, a b d, b d </s>, <s> b c, b c </s>; training holds <s> a b, <s> b c, b c </s>.
        assert_eq!(wanted.ngrams(), vec![7, 5, 3]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_texts_score_as_with_the_whole_model(
            train in proptest::collection::vec(0u32..7, 1..300),
            text in proptest::collection::vec(0u32..7, 1..120),
            order in 1usize..5,
            sentences in any::<bool>(),
        ) {
            // Ids 0..7 with 1 as <s> and 2 as </s>: every sentence starts with <s>.
            let shape = |raw: &[u32]| -> Vec<u32> {
                let mut out = vec![BOS];
                for &t in raw {
                    match t {
                        BOS => {
                            out.push(EOS);
                            out.push(BOS);
                        }
                        EOS => {}
                        w => out.push(w),
                    }
                }
                out.push(EOS);
                out
            };
            check(7, &shape(&train), &shape(&text), order, sentences);
        }
    }
}
