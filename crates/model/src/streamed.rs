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
//! about 2 GB for that 400 MB corpus, against 11.8 GB in memory. Within a budget (`--memory`), an order
//! whose arrays exceed it keeps its ln p and backoff weights in scratch files (read back in id order, as
//! every pass reads them), counts continuations as it reads, and takes its histories a range at a time,
//! one pass over the order per range, each range's statistics within half the budget: the 1.9 GB of that
//! corpus's order 4 became 0.5 GB with `--memory 1G`. The words of each line are rebuilt from the stored keys (first word,
//! suffix id) with one reader per order, so they need no memory either.

use std::io::{self, Write};
use std::ops::Range;

use rayon::prelude::*;
use shannon_counts::store::{Column, Reader, Scratch, Store, Value};

use shannon_tokens::{Vocab, BOS, UNK};

use crate::arpa::{push_line, write_header, write_section, Error, Words};
use crate::{interpolation_weight, modified_discounts, single_discount, Discounts, Smoothing, Summary};

/// Values read per block.
const BLOCK: usize = if cfg!(test) { 100 } else { 1 << 16 };
/// Ids per task where a pass over an order runs in parallel, each task with its own readers.
const RANGE: usize = if cfg!(test) { 250 } else { 1 << 20 };

/// Estimates a model of order `store.max_order()` with `smoothing` (mkn, kn or wb) from the counts in
/// `store` and writes it as ARPA to `out`, its per-order arrays within `budget` bytes if one is given (see
/// [`estimate`]). `sentences` says whether `</s>` is a word. Returns what
/// [`Model::summary`](crate::Model::summary) would.
pub fn write_arpa(
    store: &Store,
    vocab: &Vocab,
    smoothing: Smoothing,
    sentences: bool,
    budget: Option<u64>,
    out: &mut (impl Write + Send),
) -> Result<Summary, Error> {
    let m = store.max_order();
    check_backoff(smoothing)?;
    let lens: Vec<usize> = (1..=m).map(|n| store.len(n)).collect();
    write_header(&lens, out)?;
    let words = Words::new(vocab);
    let summary = estimate(store, m, smoothing, sentences, budget, &mut Arpa { words: &words, out })?;
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
    /// Order `n`'s n-grams are estimated: their ln p, and below the top order their backoff weights (γ of
    /// the order above's histories). Called for n = 1, 2, … in turn.
    fn section(&mut self, store: &Store, n: usize, probs: Probs, backoffs: Option<Backoffs>) -> Result<(), Error>;
}

/// The ARPA file's sections.
struct Arpa<'a, W> {
    words: &'a Words<'a>,
    out: &'a mut W,
}

impl<W: Write + Send> Sink for Arpa<'_, W> {
    fn section(&mut self, store: &Store, n: usize, probs: Probs, backoffs: Option<Backoffs>) -> Result<(), Error> {
        section(store, self.words, n, probs, backoffs, self.out)
    }
}

/// Estimates the model of order `top` (at most `store.max_order()`) with `smoothing` (mkn, kn or wb) from
/// the counts in `store`, handing each order to `sink` as soon as its values are known; returns what
/// [`Model::summary`](crate::Model::summary) would. The arithmetic is `Model::estimate`'s, in its order.
///
/// `budget` bounds the bytes of the per-order arrays ([`Order::arrays`]) and what goes with them (the
/// caller's vocabulary is not in it). An order whose arrays fit seven eighths of it is estimated in memory; one whose arrays do not keeps its ln p and backoff weights in scratch files beside
/// the store's columns and takes its histories a range at a time, each range within half the budget
/// ([`Order::ranged`]). The values are the same either way, bit for bit.
pub(crate) fn estimate(
    store: &Store,
    top: usize,
    smoothing: Smoothing,
    sentences: bool,
    budget: Option<u64>,
    sink: &mut impl Sink,
) -> Result<Summary, Error> {
    let m = top;
    let kneser_ney = check_backoff(smoothing)?;
    let v = store.len(1);
    let predictable = crate::predictable(v, sentences);
    let support = predictable.iter().filter(|&&p| p).count() as u64;
    let lens: Vec<usize> = (1..=m).map(|n| store.len(n)).collect();
    let mut summary =
        Summary { vocab: support, ngrams: lens.iter().map(|&l| l as u64).collect(), ..Summary::default() };

    // ln p of the order below, by id.
    let mut lower = Array::Memory(Vec::new());
    for n in 1..=m {
        let order = Order { n, top: m, histories: if n == 1 { 1 } else { lens[n - 2] }, len: lens[n - 1], kneser_ney };
        let per = order.ranged(budget);
        let values = Values::new(store, n, m, kneser_ney && n < m, per.is_some())?;
        let ctx = Context { store, values: &values, order: &order, smoothing, predictable: &predictable, support };
        let discounts = match per {
            None => ctx.in_memory(&lower, sink)?,
            Some(per) => {
                lower = lower.spill(store, n - 1)?;
                ctx.ranged(&lower, per, sink)?
            }
        };
        match discounts {
            Estimated::Lower(log_prob, d) => {
                lower = log_prob;
                // Order n's histories and counts are not read again (its keys are: they spell the lines above).
                store.done_with(n, Column::History)?;
                store.done_with(n, Column::Count)?;
                summary.discounts.extend(d);
            }
            Estimated::Top(d) => summary.discounts.extend(d),
        }
    }
    Ok(summary)
}

/// The sizes of one order's estimation.
struct Order {
    n: usize,
    /// The model's order.
    top: usize,
    /// N-grams of order n − 1 (one for unigrams: the empty history).
    histories: usize,
    /// N-grams of order n.
    len: usize,
    kneser_ney: bool,
}

/// Histories per range at the least, when the budget is too small for more.
const LEAST_RANGE: usize = if cfg!(test) { 3 } else { 1 << 20 };

impl Order {
    /// Bytes of the arrays that estimating the order in memory holds at once: a [`History`] per history,
    /// ln p of the order below (read by suffix), and below the top ln p of this order and, for Kneser–Ney,
    /// its continuation counts.
    fn arrays(&self) -> u64 {
        let below = if self.n == 1 { 0 } else { 8 * self.histories };
        let this = if self.n == self.top { 0 } else { self.len * if self.kneser_ney { 12 } else { 8 } };
        (16 * self.histories + below + this) as u64
    }

    /// Histories per range when the arrays do not fit `budget`: as many as fit half of it (the vocabulary,
    /// the words of the lines, the readers' blocks and the lines being written take the rest), at least
    /// [`LEAST_RANGE`].
    /// One range may hold them all: ln p then still go to scratch files rather than memory.
    fn ranged(&self, budget: Option<u64>) -> Option<usize> {
        let budget = budget?;
        // In memory, the arrays and an eighth of the budget for the rest.
        if self.arrays() <= budget / 8 * 7 {
            return None;
        }
        Some(((budget / 2 / 16) as usize).max(LEAST_RANGE))
    }
}

/// What estimating one order leaves: below the top, its ln p (the next order's `lower`), and the
/// discounts (Kneser–Ney).
enum Estimated {
    Lower(Array, Option<Discounts>),
    Top(Option<Discounts>),
}

/// What the passes over one order share.
struct Context<'a> {
    store: &'a Store,
    values: &'a Values,
    order: &'a Order,
    smoothing: Smoothing,
    predictable: &'a [bool],
    support: u64,
}

impl Context<'_> {
    /// Discounts from the count-of-counts of the order's values (Kneser–Ney).
    fn discounts(&self, coc: [u64; 5]) -> Option<Discounts> {
        let n = self.order.n;
        self.order.kneser_ney.then(|| {
            let nk = [coc[1], coc[2], coc[3], coc[4]];
            if self.smoothing == Smoothing::Mkn {
                modified_discounts(n, nk)
            } else {
                single_discount(n, nk)
            }
        })
    }

    fn step<'s>(&'s self, lower: &'s Array, stats: &'s [History], base: usize, d: Option<&'s Discounts>) -> Step<'s> {
        Step { n: self.order.n, lower, stats, base, discounts: d, predictable: self.predictable, support: self.support }
    }

    /// Every history's statistics in one array, ln p of the order in another.
    fn in_memory(&self, lower: &Array, sink: &mut impl Sink) -> Result<Estimated, Error> {
        let Order { n, top, histories, len, .. } = *self.order;
        // Pass 1: followers of each history under the values. One slot per history, so that the random
        // access by history id is one cache miss (`History`).
        let mut stats = vec![History::default(); histories];
        let coc = follow(self.store, self.values, len, &mut stats, 0, false)?;
        let discounts = self.discounts(coc);
        // γ(h), by the function `Model::estimate` calls.
        stats.par_iter_mut().for_each(|s| s.weigh(discounts.as_ref()));
        let step = self.step(lower, &stats, 0, discounts.as_ref());
        if n >= 2 {
            // γ of order n's histories is the backoff weight of order n − 1.
            sink.section(self.store, n - 1, Probs::Stored(lower), Some(Backoffs::Stats(&stats)))?;
        }
        if n < top {
            // Pass 2: ln p of every n-gram, for the order above.
            // Ranges of ids in parallel, each with its own readers.
            let mut log_prob = vec![0f64; len];
            log_prob
                .par_chunks_mut(RANGE)
                .enumerate()
                .try_for_each(|(r, log_prob)| step.log_probs_from(self.store, self.values, r * RANGE, log_prob))?;
            Ok(Estimated::Lower(Array::Memory(log_prob), discounts))
        } else {
            // The top order's ln p are written as they are computed, never stored.
            sink.section(self.store, n, Probs::Computed(&step, self.values), None)?;
            Ok(Estimated::Top(discounts))
        }
    }

    /// The histories `per` at a time: for each range, its followers (pass 1), its γ appended to the backoff
    /// weights' scratch file, and the ln p of the n-grams it is the history of (pass 2) into a part file of
    /// its own; then the parts merged into id order. The count-of-counts come from the first range's pass,
    /// which also counts the n-grams outside it, so that every range has the discounts.
    fn ranged(&self, lower: &Array, per: usize, sink: &mut impl Sink) -> Result<Estimated, Error> {
        let Order { n, top, histories, len, .. } = *self.order;
        let store = self.store;
        let mut gammas = store.scratch(&format!("order{}.gamma", n - 1))?;
        let mut parts = Vec::new();
        let mut discounts = None;
        for (r, base) in (0..histories).step_by(per).enumerate() {
            let mut stats = vec![History::default(); per.min(histories - base)];
            let coc = follow(store, self.values, len, &mut stats, base, r == 0)?;
            if r == 0 {
                discounts = self.discounts(coc);
            }
            stats.par_iter_mut().for_each(|s| s.weigh(discounts.as_ref()));
            let mut block = Vec::with_capacity(BLOCK);
            for chunk in stats.chunks(BLOCK) {
                block.clear();
                block.extend(chunk.iter().map(History::gamma));
                gammas.push(&block)?;
            }
            let step = self.step(lower, &stats, base, discounts.as_ref());
            let within = base..base + stats.len();
            let mut part = store.scratch(&format!("order{n}.part{r}"))?;
            // Ranges of ids in parallel, a few at a time, their kept ln p appended in id order.
            let group = RANGE * rayon::current_num_threads() * 2;
            for from in (0..len).step_by(group) {
                let starts: Vec<usize> = (from..(from + group).min(len)).step_by(RANGE).collect();
                let kept = starts
                    .par_iter()
                    .map(|&start| {
                        let mut kept = Vec::new();
                        step.log_probs_each(store, self.values, start..(start + RANGE).min(len), |hist, lp| {
                            let inside = hist.iter().zip(lp).filter(|&(&h, _)| within.contains(&(h as usize)));
                            kept.extend(inside.map(|(_, &p)| p));
                        })?;
                        Ok(kept)
                    })
                    .collect::<Result<Vec<Vec<f64>>, Error>>()?;
                kept.iter().try_for_each(|k| part.push(k))?;
            }
            parts.push(part.finish()?);
        }
        let log_prob = match <[Scratch; 1]>::try_from(parts) {
            Ok([whole]) => Array::File(whole),
            Err(parts) => merge(store, n, len, per, &parts)?,
        };
        let gammas = Array::File(gammas.finish()?);
        if n >= 2 {
            sink.section(store, n - 1, Probs::Stored(lower), Some(Backoffs::Stored(&gammas)))?;
        }
        if n < top {
            Ok(Estimated::Lower(log_prob, discounts))
        } else {
            sink.section(store, n, Probs::Stored(&log_prob), None)?;
            Ok(Estimated::Top(discounts))
        }
    }
}

/// Pass 1 over the `len` n-grams of an order: the followers of histories `base..base + stats.len()` under
/// the values, into `stats`. Returns the count-of-counts (values 0..=4) of the n-grams of those histories,
/// or of every n-gram if `all`.
///
/// Histories are split into one range per thread and every thread reads each block, updating only its own
/// slots: no two threads write one slot, and integer sums come out the same for any split.
fn follow(
    store: &Store,
    values: &Values,
    len: usize,
    stats: &mut [History],
    base: usize,
    all: bool,
) -> Result<[u64; 5], Error> {
    let within = base..base + stats.len();
    let per = stats.len().div_ceil(rayon::current_num_threads()).max(1);
    let mut cocs = vec![[0u64; 5]; stats.len().div_ceil(per)];
    values.blocks(store, 0..len, |_, _, vals, hist| {
        stats.par_chunks_mut(per).zip(&mut cocs).enumerate().for_each(|(c, (stats, coc))| {
            let lo = base + c * per;
            for (&v, &h) in vals.iter().zip(hist) {
                match stats.get_mut((h as usize).wrapping_sub(lo)) {
                    Some(s) => s.follow(v),
                    // The first thread counts the n-grams of histories outside the range.
                    None if all && c == 0 && !within.contains(&(h as usize)) => {}
                    None => continue,
                }
                if (v as usize) < coc.len() {
                    coc[v as usize] += 1;
                }
            }
        });
        Ok(())
    })?;
    Ok(cocs.iter().fold([0u64; 5], |mut a, c| {
        a.iter_mut().zip(c).for_each(|(a, c)| *a += c);
        a
    }))
}

/// The ln p of order `n`'s `len` n-grams in id order, from the part files of the history ranges (`per`
/// histories each) that [`Context::ranged`] wrote: each n-gram's value is the next one of its history's part.
fn merge(store: &Store, n: usize, len: usize, per: usize, parts: &[Scratch]) -> Result<Array, Error> {
    let mut hist = store.reader::<u32>(n, Column::History, 0)?;
    let mut next: Vec<(Window<f64>, usize)> = parts.iter().map(|_| (Window::new(), 0)).collect();
    let mut out = store.scratch(&format!("order{n}.logp"))?;
    let mut buf = Vec::with_capacity(BLOCK);
    let mut done = 0;
    while let Some(block) = hist.block(BLOCK)? {
        buf.clear();
        for &h in block {
            let r = h as usize / per;
            let (window, at) = &mut next[r];
            buf.push(window.get(*at, |from| parts[r].reader(from))?);
            *at += 1;
        }
        out.push(&buf)?;
        done += block.len();
    }
    if done != len {
        return Err(truncated(hist.path()));
    }
    Ok(Array::File(out.finish()?))
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

/// Per-id values of one order (ln p, or γ) that one pass computes and later ones read in id order: in
/// memory, or in a scratch file beside the store's columns when the budget cannot hold them.
pub(crate) enum Array {
    Memory(Vec<f64>),
    File(Scratch),
}

impl Array {
    /// A reader of the values by increasing id.
    pub(crate) fn cursor(&self) -> Cursor<'_> {
        match self {
            Array::Memory(v) => Cursor::Slice(v),
            Array::File(s) => Cursor::File(s, Window::new()),
        }
    }

    /// The same values in a scratch file (of order `n`'s ln p), freeing the memory.
    fn spill(self, store: &Store, n: usize) -> Result<Array, Error> {
        match self {
            Array::Memory(v) if !v.is_empty() => {
                let mut file = store.scratch(&format!("order{n}.logp"))?;
                v.chunks(BLOCK).try_for_each(|c| file.push(c))?;
                Ok(Array::File(file.finish()?))
            }
            other => Ok(other),
        }
    }
}

/// Reads per-id values by increasing id; a jump back costs a seek.
pub(crate) enum Cursor<'a> {
    Slice(&'a [f64]),
    /// γ of each history.
    Gammas(&'a [History]),
    File(&'a Scratch, Window<f64>),
}

impl Cursor<'_> {
    /// The value of `id`.
    #[inline]
    pub(crate) fn get(&mut self, id: usize) -> Result<f64, Error> {
        match self {
            Cursor::Slice(v) => Ok(v[id]),
            Cursor::Gammas(s) => Ok(s[id].gamma()),
            Cursor::File(scratch, window) => window.get(id, |from| scratch.reader(from)),
        }
    }
}

/// A window on one column read forward in blocks: a value by id, from the block held or by reading on; a
/// jump back, or further ahead than a block, seeks. The reader is opened (by `open`, at the id first asked
/// for) only when a value is.
pub(crate) struct Window<T> {
    reader: Option<Reader<T>>,
    /// Values of ids `start..start + values.len()`.
    values: Vec<T>,
    start: usize,
}

/// Values read per block by a [`Window`]; a jump further than this seeks instead of reading through.
const WINDOW_BLOCK: usize = if cfg!(test) { 7 } else { 1 << 12 };

impl<T: Value> Window<T> {
    fn new() -> Window<T> {
        Window { reader: None, values: Vec::new(), start: 0 }
    }

    #[inline]
    fn get(&mut self, id: usize, open: impl FnOnce(usize) -> io::Result<Reader<T>>) -> Result<T, Error> {
        if id < self.start || id >= self.start + self.values.len() {
            self.fill(id, open)?;
        }
        Ok(self.values[id - self.start])
    }

    #[cold]
    fn fill(&mut self, id: usize, open: impl FnOnce(usize) -> io::Result<Reader<T>>) -> Result<(), Error> {
        let reader = match &mut self.reader {
            Some(r) => r,
            None => self.reader.insert(open(id)?),
        };
        if id < reader.position() || id > reader.position() + WINDOW_BLOCK {
            reader.seek(id)?;
        }
        loop {
            self.start = reader.position();
            self.values.clear();
            self.values.extend_from_slice(reader.take(WINDOW_BLOCK)?);
            if self.values.is_empty() {
                return Err(truncated(reader.path()));
            }
            if id < self.start + self.values.len() {
                return Ok(());
            }
        }
    }
}

/// N-grams per batch whose random loads are gathered before they are used.
const STEP: usize = 256;

/// What gives one order's ln p: the order below's ln p and this order's statistics by history.
pub(crate) struct Step<'a> {
    n: usize,
    lower: &'a Array,
    /// By history, for histories `base..base + stats.len()`: total, distinct followers and γ.
    stats: &'a [History],
    base: usize,
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
        let mut at = 0;
        self.log_probs_each(store, values, from..from + out.len(), |_, lp| {
            out[at..at + lp.len()].copy_from_slice(lp);
            at += lp.len();
        })
    }

    /// Calls `f(histories, ln p)` for consecutive batches of the n-grams `ids`, read from `store` and valued
    /// by `values`. N-grams whose history is outside the step's have no ln p (NaN is passed).
    fn log_probs_each(
        &self,
        store: &Store,
        values: &Values,
        ids: Range<usize>,
        mut f: impl FnMut(&[u32], &[f64]),
    ) -> Result<(), Error> {
        let mut lower = self.lower.cursor();
        let mut lp = [0f64; STEP];
        values.blocks(store, ids, |start, keys, vals, hist| {
            for at in (0..keys.len()).step_by(STEP) {
                let r = at..(at + STEP).min(keys.len());
                let out = &mut lp[..r.len()];
                self.log_probs(&mut lower, start + at, &keys[r.clone()], &vals[r.clone()], &hist[r.clone()], out)?;
                f(&hist[r], out);
            }
            Ok(())
        })
    }

    /// ln p of the n-grams `start..start + out.len()` (at most [`STEP`]), given their keys, values and
    /// histories, and `lower` on the ln p of the order below.
    fn log_probs(
        &self,
        lower: &mut Cursor,
        start: usize,
        keys: &[(u32, u32)],
        vals: &[u64],
        hist: &[u32],
        out: &mut [f64],
    ) -> Result<(), Error> {
        // Gather the histories' slots first: independent loads the processor overlaps, where one loop doing
        // a cache miss, exp and ln per n-gram would wait for each miss in turn.
        let mut slots = [None; STEP];
        for (slot, &h) in slots.iter_mut().zip(hist) {
            *slot = self.stats.get((h as usize).wrapping_sub(self.base)).copied();
        }
        let n = self.n;
        for (k, out) in out.iter_mut().enumerate() {
            let Some(s) = &slots[k] else {
                *out = f64::NAN;
                continue;
            };
            let i = start + k;
            let below = if n == 1 {
                if self.predictable[i] {
                    1.0 / self.support as f64
                } else {
                    0.0
                }
            } else {
                lower.get(keys[k].1 as usize)?.exp()
            };
            let p = self.own(vals[k], s) + s.gamma() * below;
            *out = if n == 1 && !self.predictable[i] { 0.0 } else { p }.ln();
        }
        Ok(())
    }
}

/// Where a section's ln p come from.
pub(crate) enum Probs<'a> {
    /// Values by id.
    Stored(&'a Array),
    /// Computed as the lines are written (the top order, whose ln p nothing else needs).
    Computed(&'a Step<'a>, &'a Values),
}

/// Where a section's backoff weights come from: γ of the order above's histories.
pub(crate) enum Backoffs<'a> {
    Stats(&'a [History]),
    Stored(&'a Array),
}

impl Backoffs<'_> {
    /// A reader of γ by increasing id.
    pub(crate) fn cursor(&self) -> Cursor<'_> {
        match self {
            Backoffs::Stats(s) => Cursor::Gammas(s),
            Backoffs::Stored(a) => a.cursor(),
        }
    }
}

/// [`Probs`] for one block of lines, with the readers computed ln p need.
enum Source<'a> {
    Stored(Cursor<'a>),
    Computed(&'a Step<'a>, &'a Values, Box<(Reader<u32>, Reader<u64>, Cursor<'a>)>),
}

/// Writes the section of order `n` with its ln p and, below the top order, the backoff weights of its
/// n-grams (γ of the order above's histories).
fn section(
    store: &Store,
    words: &Words,
    n: usize,
    probs: Probs,
    backoffs: Option<Backoffs>,
    out: &mut (impl Write + Send),
) -> Result<(), Error> {
    write_section(n, store.len(n), out, |ids: Range<usize>, buf| {
        let mut backoff = backoffs.as_ref().map(Backoffs::cursor);
        let mut keys = store.reader::<(u32, u32)>(n, Column::Ngrams, ids.start)?;
        // For computed ln p: readers of the histories and counts of the same ids.
        let mut source = match &probs {
            Probs::Stored(stored) => Source::Stored(stored.cursor()),
            Probs::Computed(step, values) => Source::Computed(
                step,
                values,
                Box::new((
                    store.reader::<u32>(n, Column::History, ids.start)?,
                    store.reader::<u64>(n, Column::Count, ids.start)?,
                    step.lower.cursor(),
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
                Source::Stored(stored) => {
                    for (k, lp) in lp.iter_mut().enumerate() {
                        *lp = stored.get(id + k)?;
                    }
                }
                Source::Computed(step, values, readers) => {
                    let (hist, count, lower) = &mut **readers;
                    let hist = hist.take(batch.len())?;
                    let count = count.take(batch.len())?;
                    if hist.len() != batch.len() || count.len() != batch.len() {
                        return Err(truncated(keys.path()));
                    }
                    values.fill(id, batch, count, None, &mut vals);
                    step.log_probs(lower, id, batch, &vals, hist, lp)?;
                }
            }
            let mut backoff = |id: usize| backoff.as_mut().map(|b| b.get(id).map(f64::ln)).transpose();
            if n == 1 {
                for (k, &lp) in lp.iter().enumerate() {
                    push_line(buf, n, id + k, lp, &[words.get((id + k) as u32)], backoff(id + k)?);
                }
            } else {
                let mut slots = [[0u8; 16]; STEP];
                for (slot, &(first, _)) in slots.iter_mut().zip(batch) {
                    *slot = words.slot(first);
                }
                for (k, &(first, suffix)) in batch.iter().enumerate() {
                    let lower = suffixes.text(n - 1, suffix as usize)?;
                    let parts = [words.in_slot(&slots[k], first), b" ", lower];
                    push_line(buf, n, id + k, lp[k], &parts, backoff(id + k)?);
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
    continuation: Continuation,
}

/// Where Kneser–Ney's continuation counts N1+(• w…) of an order come from, when they are its values (below
/// the top order).
enum Continuation {
    /// Raw counts are the values.
    None,
    /// Counted once, by id.
    Memory(Vec<u32>),
    /// Counted again by each pass, as it reads ([`Runs`]): no array.
    Streamed,
}

impl Values {
    /// The values of order `n` of a model of order `m`: continuation counts if `continuation`, counted in
    /// memory unless `streamed`.
    fn new(store: &Store, n: usize, m: usize, continuation: bool, streamed: bool) -> Result<Values, Error> {
        let continuation = if !continuation {
            Continuation::None
        } else if streamed {
            Continuation::Streamed
        } else {
            // Order n + 1 is sorted by suffix: the continuation count of an n-gram is the length of its run.
            // Ranges of n-grams in parallel, each reading from the first (n+1)-gram whose suffix is in it.
            let mut c = vec![0u32; store.len(n)];
            c.par_chunks_mut(RANGE).enumerate().try_for_each(|(r, c)| {
                let from = r * RANGE;
                Runs::new(store, n, from)?.fill(from..from + c.len(), c)
            })?;
            Continuation::Memory(c)
        };
        debug_assert!(n < m || matches!(continuation, Continuation::None), "the top order has raw counts");
        Ok(Values { n, continuation })
    }

    /// Kneser–Ney's adjusted count ([`crate::adjusted_counts`]) given the continuation count, or the raw
    /// count.
    #[inline]
    fn value(&self, id: usize, first: u32, count: u64, continuation: Option<u32>) -> u64 {
        match continuation {
            None => count,
            Some(_) if first == BOS => count,
            Some(_) if self.n == 1 && id == UNK as usize => 0,
            Some(c) => u64::from(c),
        }
    }

    /// The values of the n-grams `start..` with these keys, raw counts and (where they are the values)
    /// continuation counts, into `out`.
    fn fill(&self, start: usize, keys: &[(u32, u32)], counts: &[u64], cont: Option<&[u32]>, out: &mut Vec<u64>) {
        out.clear();
        let cont = |j: usize| cont.map(|c| c[j]);
        out.extend(
            keys.iter().zip(counts).enumerate().map(|(j, (&(first, _), &c))| self.value(start + j, first, c, cont(j))),
        );
    }

    /// Calls `f(start, keys, values, histories)` for consecutive blocks of the n-grams `ids` of the order.
    fn blocks(
        &self,
        store: &Store,
        ids: Range<usize>,
        mut f: impl FnMut(usize, &[(u32, u32)], &[u64], &[u32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let n = self.n;
        let mut keys = store.reader::<(u32, u32)>(n, Column::Ngrams, ids.start)?;
        let mut hist = store.reader::<u32>(n, Column::History, ids.start)?;
        let mut count = store.reader::<u64>(n, Column::Count, ids.start)?;
        let mut runs = match self.continuation {
            Continuation::Streamed => Some(Runs::new(store, n, ids.start)?),
            _ => None,
        };
        let mut cont = Vec::new();
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
            let cont = match (&self.continuation, &mut runs) {
                (Continuation::Memory(all), _) => Some(&all[start..start + k.len()]),
                (_, Some(runs)) => {
                    cont.clear();
                    cont.resize(k.len(), 0);
                    runs.fill(start..start + k.len(), &mut cont)?;
                    Some(&cont[..])
                }
                _ => None,
            };
            self.fill(start, k, c, cont, &mut vals);
            f(start, k, &vals, h)?;
            start += k.len();
        }
        Ok(())
    }
}

/// Continuation counts of consecutive n-grams of order n: the lengths of the runs of order n + 1's suffix
/// column (sorted by suffix), read forward.
struct Runs {
    keys: Reader<(u32, u32)>,
    /// Suffixes read and not yet counted: `suffixes[at..]`.
    suffixes: Vec<u32>,
    at: usize,
}

impl Runs {
    /// Runs from the first (n+1)-gram whose suffix is at least `from`.
    fn new(store: &Store, n: usize, from: usize) -> Result<Runs, Error> {
        let mut keys = store.reader::<(u32, u32)>(n + 1, Column::Ngrams, 0)?;
        seek_suffix(&mut keys, store.len(n + 1), from as u32)?;
        Ok(Runs { keys, suffixes: Vec::new(), at: 0 })
    }

    /// Adds the continuation counts of the n-grams `ids` (the next ones) to `out`.
    fn fill(&mut self, ids: Range<usize>, out: &mut [u32]) -> Result<(), Error> {
        loop {
            if self.at == self.suffixes.len() {
                self.suffixes.clear();
                self.at = 0;
                match self.keys.block(BLOCK)? {
                    Some(block) => self.suffixes.extend(block.iter().map(|&(_, s)| s)),
                    None => return Ok(()),
                }
            }
            let s = self.suffixes[self.at] as usize;
            if s >= ids.end {
                return Ok(());
            }
            out[s - ids.start] += 1;
            self.at += 1;
        }
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
    keys: Window<(u32, u32)>,
    /// The id whose text is kept (`usize::MAX`: none yet).
    id: usize,
}

impl<'a> Texts<'a> {
    fn new(store: &'a Store, words: &'a Words<'a>, n: usize) -> Texts<'a> {
        let levels = (2..=n).map(|_| Level { keys: Window::new(), id: usize::MAX }).collect();
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
        let store = self.store;
        self.levels[k - 2].keys.get(id, |from| store.reader(k, Column::Ngrams, from))
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
                    // Unbounded; ranges of the least size (3 histories); and a budget some orders fit.
                    for budget in [None, Some(1), Some(12_000)] {
                        let mut got = Vec::new();
                        let summary = write_arpa(&store, &vocab, smoothing, sentences, budget, &mut got).unwrap();
                        assert!(
                            got == expected,
                            "{smoothing} order {order} sentences {sentences} budget {budget:?}: files differ"
                        );
                        assert_eq!(&summary, model.summary());
                    }
                }
            }
        }
    }

    #[test]
    fn count_form_methods_are_refused() {
        let (vocab, tokens) = fixture::genesis(true);
        let dir = tempfile::tempdir().unwrap();
        let store = stored(&tokens, &vocab, 2, dir.path());
        let err = write_arpa(&store, &vocab, Smoothing::AddK { k: 1.0 }, true, None, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::NotBackoff(_)));
    }
}
