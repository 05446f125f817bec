//! Estimating and writing a backoff-form model (mkn, kn, wb) straight from counts on disk, in bounded memory.
//!
//! [`Model::estimate`](crate::Model::estimate) holds every order's counts and probabilities in memory: about 36 bytes per n-gram,
//! 7 GB for the 200 million n-grams of an order-5 model of 400 MB of text. A build that only writes the
//! model never queries it, so [`write_arpa`] reads the orders from a [`Store`] instead and works one order
//! at a time, bottom-up, exactly as `Model::estimate` and [`arpa::write`](crate::arpa::write) do — the same arithmetic in the
//! same order, so the file is byte for byte the one `arpa::write` gives (a test checks it):
//!
//! 1. for order n, each n-gram's value — the raw count, or Kneser–Ney's continuation count, which is the
//!    number of (n+1)-grams sharing it as suffix, a run length in order n + 1's suffix column;
//! 2. one pass grouping values by history (an id of order n − 1): totals and followers with count 1, 2, 3+,
//!    giving each history's interpolation weight γ(h) — the backoff weight ARPA stores for that (n−1)-gram;
//! 3. one pass giving ln p for every n-gram from its own mass, γ of its history and ln p of its suffix
//!    (order n − 1's array, kept from the step before);
//! 4. order n − 1's section of the file, now that its backoff weights are known.
//!
//! Memory: for order n, 8 bytes per n-gram of orders n − 1 and n (ln p) and 16 per history (totals,
//! follower counts, then γ), plus 4 per n-gram of order n for continuation counts below the top order —
//! about 2 GB for that 400 MB corpus, against 11.8 GB in memory. The words of each line are rebuilt from the
//! stored keys (first word, suffix id) with one reader per order, so they need no memory either.

use std::io::{self, Write};
use std::ops::Range;

use rayon::prelude::*;
use shannon_counts::store::{Column, Reader, Store};

use shannon_tokens::{Vocab, BOS, EOS, UNK};

use crate::arpa::{push_line, write_header, write_section, Error, Words};
use crate::{interpolation_weight, modified_discounts, single_discount, Discounts, Smoothing, Summary};

/// Values read per block.
const BLOCK: usize = if cfg!(test) { 100 } else { 1 << 16 };
/// Ids per task where a pass over an order runs in parallel, each task with its own readers.
const RANGE: usize = if cfg!(test) { 250 } else { 1 << 20 };

/// Estimates a model of order `store.max_order()` with `smoothing` (mkn, kn or wb) from the counts in
/// `store` and writes it as ARPA to `out`. `sentences` says whether `</s>` is a word. Returns what
/// [`Model::summary`](crate::Model::summary) would.
pub fn write_arpa(
    store: &Store,
    vocab: &Vocab,
    smoothing: Smoothing,
    sentences: bool,
    out: &mut (impl Write + Send),
) -> Result<Summary, Error> {
    let m = store.max_order();
    check_backoff(smoothing)?;
    let lens: Vec<usize> = (1..=m).map(|n| store.len(n)).collect();
    write_header(&lens, out)?;
    let words = Words::new(vocab);
    let summary = estimate(store, m, smoothing, sentences, &mut Arpa { words: &words, out })?;
    writeln!(out, "\n\\end\\")?;
    Ok(summary)
}

/// Refuses the methods that are not in backoff form (their probabilities are computed from counts at query
/// time, so there is nothing to estimate ahead).
pub(crate) fn check_backoff(smoothing: Smoothing) -> Result<bool, Error> {
    match smoothing {
        Smoothing::Kn | Smoothing::Mkn => Ok(true),
        Smoothing::Wb => Ok(false),
        other => Err(Error::NotBackoff(other.to_string())),
    }
}

/// What an estimation hands on, one order at a time: ARPA lines ([`write_arpa`]), or the values one text
/// asks for ([`crate::filtered`]).
pub(crate) trait Sink {
    /// Order `n`'s n-grams are estimated: their ln p, and below the top order their statistics as histories
    /// ([`History`]), whose γ is the backoff weight. Called for n = 1, 2, … in turn.
    fn section(&mut self, store: &Store, n: usize, probs: Probs, stats: Option<&[History]>) -> Result<(), Error>;
}

/// The ARPA file's sections.
struct Arpa<'a, W> {
    words: &'a Words<'a>,
    out: &'a mut W,
}

impl<W: Write + Send> Sink for Arpa<'_, W> {
    fn section(&mut self, store: &Store, n: usize, probs: Probs, stats: Option<&[History]>) -> Result<(), Error> {
        section(store, self.words, n, probs, stats, self.out)
    }
}

/// Estimates the model of order `top` (at most `store.max_order()`) with `smoothing` (mkn, kn or wb) from
/// the counts in `store`, handing each order to `sink` as soon as its values are known; returns what
/// [`Model::summary`](crate::Model::summary) would. The arithmetic is `Model::estimate`'s, in its order.
pub(crate) fn estimate(
    store: &Store,
    top: usize,
    smoothing: Smoothing,
    sentences: bool,
    sink: &mut impl Sink,
) -> Result<Summary, Error> {
    let m = top;
    let kneser_ney = check_backoff(smoothing)?;
    let v = store.len(1);
    let predictable: Vec<bool> = (0..v as u32).map(|w| w != BOS && (sentences || w != EOS)).collect();
    let support = predictable.iter().filter(|&&p| p).count() as u64;
    let lens: Vec<usize> = (1..=m).map(|n| store.len(n)).collect();
    let mut summary =
        Summary { vocab: support, ngrams: lens.iter().map(|&l| l as u64).collect(), ..Summary::default() };

    // ln p of the order below, indexed by id.
    let mut lower: Vec<f64> = Vec::new();
    for n in 1..=m {
        let histories = if n == 1 { 1 } else { lens[n - 2] };
        let values = Values::new(store, n, m, kneser_ney)?;
        // Pass 1: followers of each history under the values. One slot per history, so that the random
        // access by history id is one cache miss (`History`).
        // Histories are split into one range per thread and every thread reads each block, updating only
        // its own slots: no two threads write one slot, and integer sums come out the same for any split.
        let mut stats = vec![History::default(); histories];
        let per = histories.div_ceil(rayon::current_num_threads()).max(1);
        let mut cocs = vec![[0u64; 5]; histories.div_ceil(per)];
        values.blocks(store, 0..lens[n - 1], |_, _, vals, hist| {
            stats.par_chunks_mut(per).zip(&mut cocs).enumerate().for_each(|(c, (stats, coc))| {
                let lo = c * per;
                for (&v, &h) in vals.iter().zip(hist) {
                    let Some(s) = stats.get_mut((h as usize).wrapping_sub(lo)) else { continue };
                    s.follow(v);
                    if (v as usize) < coc.len() {
                        coc[v as usize] += 1;
                    }
                }
            });
        })?;
        let coc = cocs.iter().fold([0u64; 5], |mut a, c| {
            a.iter_mut().zip(c).for_each(|(a, c)| *a += c);
            a
        });
        let discounts = kneser_ney.then(|| {
            let nk = [coc[1], coc[2], coc[3], coc[4]];
            if smoothing == Smoothing::Mkn {
                modified_discounts(n, nk)
            } else {
                single_discount(n, nk)
            }
        });
        // γ(h), by the function `Model::estimate` calls.
        stats.par_iter_mut().for_each(|s| s.weigh(discounts.as_ref()));
        let step =
            Step { n, lower: &lower, stats: &stats, discounts: discounts.as_ref(), predictable: &predictable, support };
        if n >= 2 {
            // γ of order n's histories is the backoff weight of order n − 1.
            sink.section(store, n - 1, Probs::Stored(&lower), Some(&stats))?;
        }
        if n < m {
            // Pass 2: ln p of every n-gram, for the order above.
            // Ranges of ids in parallel, each with its own readers.
            let mut log_prob = vec![0f64; lens[n - 1]];
            log_prob
                .par_chunks_mut(RANGE)
                .enumerate()
                .try_for_each(|(r, log_prob)| step.log_probs_from(store, &values, r * RANGE, log_prob))?;
            lower = log_prob;
            // Order n's histories and counts are not read again (its keys are: they spell the lines above).
            store.done_with(n, Column::History)?;
            store.done_with(n, Column::Count)?;
        } else {
            // The top order's ln p are written as they are computed, never stored.
            sink.section(store, n, Probs::Computed(&step, &values), None)?;
        }
        if let Some(d) = discounts {
            summary.discounts.push(d);
        }
    }
    Ok(summary)
}

/// One history's statistics, in 16 bytes: one per history of the largest order is the estimation's largest
/// array. While its followers are read: the total of their values, and how many have value 1 (`n`), 2 (low
/// half of `more`) and 3 or more (high half). Then (`weigh`): the total, the distinct followers (`n`) and the
/// interpolation weight γ (`more`, as bits). Every figure fits 32 bits: no more than `MAX_POSITIONS` (< 2³²)
/// positions are counted, and neither a history's total nor its followers can exceed them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct History {
    total: u32,
    n: u32,
    more: u64,
}

impl History {
    /// Adds a follower of value `v`.
    #[inline]
    fn follow(&mut self, v: u64) {
        self.total += v as u32;
        match v {
            0 => {}
            1 => self.n += 1,
            2 => self.more += 1,
            _ => self.more += 1 << 32,
        }
    }

    /// From follower counts to the total, distinct followers and γ, by the function `Model::estimate` calls.
    fn weigh(&mut self, discounts: Option<&Discounts>) {
        let t = u64::from(self.total);
        let [n1, n2, n3] = [u64::from(self.n), self.more & u64::from(u32::MAX), self.more >> 32];
        let gamma = interpolation_weight(discounts, t, [n1, n2, n3]);
        *self = History { total: self.total, n: (n1 + n2 + n3) as u32, more: gamma.to_bits() };
    }

    /// The interpolation weight γ: the backoff weight of the history's n-gram.
    #[inline]
    pub(crate) fn gamma(&self) -> f64 {
        f64::from_bits(self.more)
    }
}

/// N-grams per batch whose random loads are gathered before they are used.
const STEP: usize = 256;

/// What gives one order's ln p: the order below's ln p and this order's statistics by history.
pub(crate) struct Step<'a> {
    n: usize,
    lower: &'a [f64],
    /// By history: total, distinct followers and γ.
    stats: &'a [History],
    discounts: Option<&'a Discounts>,
    predictable: &'a [bool],
    support: u64,
}

impl Step<'_> {
    /// The n-gram's own (discounted) mass, as `Model::estimate` computes it.
    #[inline]
    fn own(&self, v: u64, s: &History) -> f64 {
        let t = u64::from(s.total);
        match self.discounts {
            Some(d) => {
                if v == 0 || t == 0 {
                    0.0
                } else {
                    (v as f64 - d.d[(v.min(3) - 1) as usize]).max(0.0) / t as f64
                }
            }
            None => {
                let denom = (t + u64::from(s.n)) as f64;
                v as f64 * if denom == 0.0 { 0.0 } else { 1.0 / denom }
            }
        }
    }

    /// ln p of the n-grams `from..from + out.len()`, read from `store` and valued by `values`, into `out`.
    pub(crate) fn log_probs_from(
        &self,
        store: &Store,
        values: &Values,
        from: usize,
        out: &mut [f64],
    ) -> Result<(), Error> {
        values.blocks(store, from..from + out.len(), |start, keys, vals, hist| {
            let out = &mut out[start - from..start - from + keys.len()];
            for (c, out) in out.chunks_mut(STEP).enumerate() {
                let at = c * STEP;
                let r = at..at + out.len();
                self.log_probs(start + at, &keys[r.clone()], &vals[r.clone()], &hist[r], out);
            }
        })
    }

    /// ln p of the n-grams `start..start + out.len()` (at most [`STEP`]), given their keys, values and
    /// histories.
    fn log_probs(&self, start: usize, keys: &[(u32, u32)], vals: &[u64], hist: &[u32], out: &mut [f64]) {
        // Gather the histories' slots first: independent loads the processor overlaps, where one loop doing
        // a cache miss, exp and ln per n-gram would wait for each miss in turn.
        let mut slots = [History::default(); STEP];
        for (slot, &h) in slots.iter_mut().zip(hist) {
            *slot = self.stats[h as usize];
        }
        let n = self.n;
        for (k, out) in out.iter_mut().enumerate() {
            let i = start + k;
            let below = if n == 1 {
                if self.predictable[i] {
                    1.0 / self.support as f64
                } else {
                    0.0
                }
            } else {
                self.lower[keys[k].1 as usize].exp()
            };
            let s = &slots[k];
            let p = self.own(vals[k], s) + s.gamma() * below;
            *out = if n == 1 && !self.predictable[i] { 0.0 } else { p }.ln();
        }
    }
}

/// Where a section's ln p come from.
pub(crate) enum Probs<'a> {
    /// An array by id.
    Stored(&'a [f64]),
    /// Computed as the lines are written (the top order, whose ln p nothing else needs).
    Computed(&'a Step<'a>, &'a Values),
}

/// [`Probs`] for one block of lines, with the readers computed ln p need.
enum Source<'a> {
    Stored(&'a [f64]),
    Computed(&'a Step<'a>, &'a Values, Box<(Reader<u32>, Reader<u64>)>),
}

/// Writes the section of order `n` with its ln p and, below the top order, the statistics of its n-grams as
/// histories ([`History`]), whose γ is the backoff weight.
fn section(
    store: &Store,
    words: &Words,
    n: usize,
    probs: Probs,
    stats: Option<&[History]>,
    out: &mut (impl Write + Send),
) -> Result<(), Error> {
    write_section(n, store.len(n), out, |ids: Range<usize>, buf| {
        let backoff = |id: usize| stats.map(|s| s[id].gamma().ln());
        let mut keys = store.reader::<(u32, u32)>(n, Column::Ngrams, ids.start)?;
        // For computed ln p: readers of the histories and counts of the same ids.
        let mut source = match probs {
            Probs::Stored(stored) => Source::Stored(stored),
            Probs::Computed(step, values) => Source::Computed(
                step,
                values,
                Box::new((
                    store.reader::<u32>(n, Column::History, ids.start)?,
                    store.reader::<u64>(n, Column::Count, ids.start)?,
                )),
            ),
        };
        // Each line is its first word and the text of its suffix (order n − 1, nearly always the line
        // before's). First words are scattered over the vocabulary: a batch's are gathered first, loads the
        // processor overlaps, instead of one cache miss per line in turn.
        let mut suffixes = Texts::new(store, words, n.max(2) - 1);
        let mut log_prob = [0f64; STEP];
        let mut vals = Vec::with_capacity(STEP);
        let mut id = ids.start;
        while id < ids.end {
            let batch = keys.take((ids.end - id).min(STEP))?;
            if batch.is_empty() {
                return Err(truncated(keys.path()));
            }
            let lp = &mut log_prob[..batch.len()];
            match &mut source {
                Source::Stored(stored) => lp.copy_from_slice(&stored[id..id + batch.len()]),
                Source::Computed(step, values, readers) => {
                    let (hist, count) = &mut **readers;
                    let hist = hist.take(batch.len())?;
                    let count = count.take(batch.len())?;
                    if hist.len() != batch.len() || count.len() != batch.len() {
                        return Err(truncated(keys.path()));
                    }
                    values.fill(id, batch, count, &mut vals);
                    step.log_probs(id, batch, &vals, hist, lp);
                }
            }
            if n == 1 {
                for (k, &lp) in lp.iter().enumerate() {
                    push_line(buf, n, id + k, lp, &[words.get((id + k) as u32)], backoff(id + k));
                }
            } else {
                let mut slots = [[0u8; 16]; STEP];
                for (slot, &(first, _)) in slots.iter_mut().zip(batch) {
                    *slot = words.slot(first);
                }
                for (k, &(first, suffix)) in batch.iter().enumerate() {
                    let lower = suffixes.text(n - 1, suffix as usize)?;
                    let parts = [words.in_slot(&slots[k], first), b" ", lower];
                    push_line(buf, n, id + k, lp[k], &parts, backoff(id + k));
                }
            }
            id += batch.len();
        }
        Ok::<(), Error>(())
    })
}

/// How each n-gram of one order is valued: raw counts, or Kneser–Ney's adjusted counts.
pub(crate) struct Values {
    n: usize,
    /// Continuation counts N1+(• w…) of order n, when they are the values (Kneser–Ney below the top order).
    continuation: Option<Vec<u32>>,
}

impl Values {
    fn new(store: &Store, n: usize, m: usize, kneser_ney: bool) -> Result<Values, Error> {
        let continuation = if kneser_ney && n < m {
            // Order n + 1 is sorted by suffix: the continuation count of an n-gram is the length of its run.
            // Ranges of n-grams in parallel, each reading from the first (n+1)-gram whose suffix is in it.
            let mut c = vec![0u32; store.len(n)];
            c.par_chunks_mut(RANGE).enumerate().try_for_each(|(r, c)| {
                let (lo, hi) = ((r * RANGE) as u32, (r * RANGE + c.len()) as u32);
                let mut keys = store.reader::<(u32, u32)>(n + 1, Column::Ngrams, 0)?;
                seek_suffix(&mut keys, store.len(n + 1), lo)?;
                while let Some(block) = keys.block(BLOCK)? {
                    for &(_, s) in block {
                        if s >= hi {
                            return Ok(());
                        }
                        c[(s - lo) as usize] += 1;
                    }
                }
                Ok::<(), Error>(())
            })?;
            Some(c)
        } else {
            None
        };
        Ok(Values { n, continuation })
    }

    /// Kneser–Ney's adjusted count ([`crate::adjusted_counts`]), or the raw count.
    #[inline]
    fn value(&self, id: usize, first: u32, count: u64) -> u64 {
        match &self.continuation {
            None => count,
            Some(_) if first == BOS => count,
            Some(_) if self.n == 1 && id == UNK as usize => 0,
            Some(c) => u64::from(c[id]),
        }
    }

    /// The values of the n-grams `start..` with these keys and raw counts, into `out`.
    fn fill(&self, start: usize, keys: &[(u32, u32)], counts: &[u64], out: &mut Vec<u64>) {
        out.clear();
        out.extend(keys.iter().zip(counts).enumerate().map(|(j, (&(first, _), &c))| self.value(start + j, first, c)));
    }

    /// Calls `f(start, keys, values, histories)` for consecutive blocks of the n-grams `ids` of the order.
    fn blocks(
        &self,
        store: &Store,
        ids: Range<usize>,
        mut f: impl FnMut(usize, &[(u32, u32)], &[u64], &[u32]),
    ) -> Result<(), Error> {
        let n = self.n;
        let mut keys = store.reader::<(u32, u32)>(n, Column::Ngrams, ids.start)?;
        let mut hist = store.reader::<u32>(n, Column::History, ids.start)?;
        let mut count = store.reader::<u64>(n, Column::Count, ids.start)?;
        let mut vals = Vec::with_capacity(BLOCK);
        let mut start = ids.start;
        while start < ids.end {
            let k = keys.take(BLOCK.min(ids.end - start))?;
            if k.is_empty() {
                return Err(truncated(keys.path()));
            }
            let h = hist.take(k.len())?;
            let c = count.take(k.len())?;
            if h.len() != k.len() || c.len() != k.len() {
                return Err(truncated(hist.path()));
            }
            self.fill(start, k, c, &mut vals);
            f(start, k, &vals, h);
            start += k.len();
        }
        Ok(())
    }
}

/// Moves `keys` (of an order with `len` n-grams, sorted by suffix) to the first n-gram whose suffix is at
/// least `suffix`, by binary search.
fn seek_suffix(keys: &mut Reader<(u32, u32)>, len: usize, suffix: u32) -> Result<(), Error> {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if keys.get(mid)?.1 < suffix {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(keys.seek(lo)?)
}

fn truncated(path: &std::path::Path) -> Error {
    Error::Io(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{}: truncated", path.display())))
}

/// The text `w1 w2 … wn` of n-grams taken in increasing id order, rebuilt from the stored keys: the text
/// of an n-gram is its first word and the text of its suffix. Ids of order n are sorted by suffix, so the
/// suffixes asked for at each order increase too and one forward reader per order serves them; the text
/// last built at each order is kept, and most lines share their suffix with the line before.
struct Texts<'a> {
    store: &'a Store,
    words: &'a Words<'a>,
    /// `levels[k]` serves order k + 2.
    levels: Vec<Level>,
    unigram_id: usize,
    /// The texts kept, right-aligned and nested: order k's is `text[at[k]..]`, its first word and a space
    /// written just before order k − 1's, so that rebuilding an order copies one word, not the whole line.
    text: Vec<u8>,
    /// `at[k]`: where order k's text starts; `at[0]` is the end.
    at: Vec<usize>,
    /// Scratch for [`Texts::text`]: ids and first words of the n-grams walked down.
    ids: Vec<usize>,
    firsts: Vec<u32>,
}

struct Level {
    reader: Option<Reader<(u32, u32)>>,
    /// Keys of ids `start..start + keys.len()`.
    keys: Vec<(u32, u32)>,
    start: usize,
    /// The id whose text is kept (`usize::MAX`: none yet).
    id: usize,
}

/// Keys read per block by a text reader; a jump further than this seeks instead of reading through.
const TEXT_BLOCK: usize = if cfg!(test) { 7 } else { 1 << 12 };

impl<'a> Texts<'a> {
    fn new(store: &'a Store, words: &'a Words<'a>, n: usize) -> Texts<'a> {
        let levels = (2..=n).map(|_| Level { reader: None, keys: Vec::new(), start: 0, id: usize::MAX }).collect();
        // Tests start small so that growing is exercised.
        let text = vec![0; if cfg!(test) { 3 } else { 32 * n }];
        Texts {
            store,
            words,
            levels,
            unigram_id: usize::MAX,
            at: vec![text.len(); n + 1],
            text,
            ids: vec![0; n + 1],
            firsts: vec![0; n + 1],
        }
    }

    /// The key (first word, suffix id) of n-gram `id` of order `k` ≥ 2.
    fn key(&mut self, k: usize, id: usize) -> Result<(u32, u32), Error> {
        let level = &mut self.levels[k - 2];
        if id < level.start || id >= level.start + level.keys.len() {
            let reader = match &mut level.reader {
                Some(r) => r,
                None => level.reader.insert(self.store.reader(k, Column::Ngrams, id)?),
            };
            if id < reader.position() || id > reader.position() + TEXT_BLOCK {
                reader.seek(id)?;
            }
            loop {
                level.start = reader.position();
                level.keys.clear();
                level.keys.extend_from_slice(reader.take(TEXT_BLOCK)?);
                if level.keys.is_empty() {
                    return Err(truncated(reader.path()));
                }
                if id < level.start + level.keys.len() {
                    break;
                }
            }
        }
        Ok(level.keys[id - level.start])
    }

    /// The text of n-gram `id` of order `n`.
    fn text(&mut self, n: usize, id: usize) -> Result<&[u8], Error> {
        // Walk down until an order whose kept text is the suffix needed, then build back up.
        let (mut ids, mut firsts) = (std::mem::take(&mut self.ids), std::mem::take(&mut self.firsts));
        ids[n] = id;
        let mut k = n;
        while k >= 2 && self.levels[k - 2].id != ids[k] {
            let (first, suffix) = self.key(k, ids[k])?;
            firsts[k] = first;
            ids[k - 1] = suffix as usize;
            k -= 1;
        }
        let words = self.words;
        if k == 1 && self.unigram_id != ids[1] {
            self.unigram_id = ids[1];
            self.place(1, words.get(ids[1] as u32), false);
        }
        for j in k + 1..=n {
            self.levels[j - 2].id = ids[j];
            self.place(j, words.get(firsts[j]), true);
        }
        (self.ids, self.firsts) = (ids, firsts);
        Ok(&self.text[self.at[n]..])
    }

    /// Writes `word` (and a space after it) just before order k − 1's text, as order k's.
    fn place(&mut self, k: usize, word: &[u8], space: bool) {
        let need = word.len() + usize::from(space);
        if self.at[k - 1] < need {
            // Grow at the front: the kept texts move to the end of a larger buffer.
            let grown = self.text.len() * 2 + need;
            let delta = grown - self.text.len();
            let mut text = vec![0; grown];
            text[delta..].copy_from_slice(&self.text);
            self.text = text;
            self.at.iter_mut().for_each(|a| *a += delta);
        }
        let at = self.at[k - 1] - need;
        self.text[at..at + word.len()].copy_from_slice(word);
        if space {
            self.text[at + word.len()] = b' ';
        }
        self.at[k] = at;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::arpa;
    use crate::fixture;
    use crate::Model;

    fn stored(tokens: &[u32], vocab: &Vocab, order: usize, dir: &std::path::Path) -> Store {
        let mut store = Store::new(dir);
        shannon_counts::count_to_store(tokens, vocab.len(), order, &Default::default(), &mut store).unwrap();
        store
    }

    #[test]
    fn streamed_files_equal_the_in_memory_model_written() {
        for sentences in [true, false] {
            let (vocab, tokens) = fixture::genesis(sentences);
            for order in 1..=5 {
                let dir = tempfile::tempdir().unwrap();
                let store = stored(&tokens, &vocab, order, dir.path());
                let counts = Arc::new(shannon_counts::count(&tokens, vocab.len(), order));
                for smoothing in [Smoothing::Mkn, Smoothing::Kn, Smoothing::Wb] {
                    let model = Model::estimate(counts.clone(), order, smoothing, sentences).unwrap();
                    let mut expected = Vec::new();
                    arpa::write(&model, &vocab, &mut expected).unwrap();
                    let mut got = Vec::new();
                    let summary = write_arpa(&store, &vocab, smoothing, sentences, &mut got).unwrap();
                    assert!(got == expected, "{smoothing} order {order} sentences {sentences}: files differ");
                    assert_eq!(&summary, model.summary());
                }
            }
        }
    }

    #[test]
    fn count_form_methods_are_refused() {
        let (vocab, tokens) = fixture::genesis(true);
        let dir = tempfile::tempdir().unwrap();
        let store = stored(&tokens, &vocab, 2, dir.path());
        let err = write_arpa(&store, &vocab, Smoothing::AddK { k: 1.0 }, true, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::NotBackoff(_)));
    }
}
