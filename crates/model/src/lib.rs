//! Models: the fourth stage of shannon's data path.
//!
//! **In:** [`Counts`] of orders 1..=N, a [`Smoothing`] method and a model order M ≤ N.
//! **Out:** a frozen [`Model`] that answers `p(w | h)` for any word and history, and nothing else:
//! estimation ([`Model::estimate`]) and query ([`Model::log_prob`]) are separate.
//!
//! Every method gives a proper distribution: for every history, Σ_w p(w | h) = 1 over the predictable
//! vocabulary (every id except `<s>`, and except `</s>` when there are no sentences). Tests check this to
//! 1e-9 on real text for every method and order.
//!
//! Model files: [`arpa`] (ARPA text, both ways, as KenLM and SRILM write and read it) and [`binary`]
//! (shannon's own format, memory-mapped and queried in place through [`LanguageModel`]). Beside them:
//! [`tempered`] (softmax temperature), [`prune`] (relative-entropy pruning) and [`sample`] (generating text).
//!
//! Two internal forms:
//! - **Backoff form** (mkn, kn, wb): each stored n-gram keeps its full interpolated probability and each
//!   context its backoff weight, so `p(w | h) = p(w | longest matching suffix) × Π backoff(longer contexts)`
//!   — the way ARPA files, KenLM and SRILM store interpolated models. For these methods the backoff weight
//!   of a context is exactly its interpolation weight γ(h).
//! - **Count form** (mle, add-k): the context used is the longest suffix of the history that was seen as a
//!   context in training; `p(w | h) = (c(h w) + k) / (c(h) + k·|V|)` there (k = 0 for mle).
//!
//! Formulas (all cited at the code that implements them):
//! - modified Kneser–Ney: Chen & Goodman 1998 (TR-10-98) eq. 17 interpolation with eq. 26 discounts,
//!   continuation counts for lower orders, unigrams interpolated with the uniform distribution, and KenLM's
//!   conventions (n-grams starting with `<s>` keep raw counts; `<unk>` has adjusted count 0; |V| counts
//!   `<unk>` but not `<s>`) — so it reproduces lmplz.
//! - Kneser–Ney: the same with one discount per order, D = n1 / (n1 + 2 n2) (Ney, Essen & Kneser 1994).
//! - Witten–Bell: Chen & Goodman 1998 eq. 15 (interpolated, raw counts at every order).
//! - add-k: Lidstone 1920 / Laplace (k = 1): the posterior mean under a symmetric Dirichlet(k) prior.
//! - mle: relative frequency; unseen events have probability 0.

pub mod arpa;
pub mod binary;
pub mod filtered;
pub mod prune;
pub mod sample;
pub mod streamed;
pub mod tempered;
mod walk;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shannon_counts::{count_of_counts, Counts, Followers, NONE};
use shannon_tokens::{BOS, EOS};

/// KenLM's `--discount_fallback` values (D1, D2, D3+), used when eq. 26 cannot be evaluated.
pub const FALLBACK_DISCOUNTS: [f64; 3] = [0.5, 1.0, 1.5];
/// The Kneser–Ney discount used when D = n1/(n1 + 2 n2) is not in (0, 1].
pub const FALLBACK_KN_DISCOUNT: f64 = 0.5;

/// A smoothing method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Smoothing {
    /// Maximum likelihood: relative frequency, no smoothing.
    Mle,
    /// Additive (Lidstone) smoothing with pseudo-count k; k = 1 is Laplace.
    AddK {
        /// The pseudo-count.
        k: f64,
    },
    /// Interpolated Witten–Bell.
    Wb,
    /// Interpolated Kneser–Ney, one discount per order.
    Kn,
    /// Interpolated modified Kneser–Ney, three discounts per order.
    Mkn,
}

/// Errors in model configuration.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// An unknown smoothing name.
    #[error("unknown smoothing method '{0}' (expected one of: mle, add-k[:K], wb, kn, mkn)")]
    UnknownSmoothing(String),
    /// add-k with a pseudo-count that is not a positive number.
    #[error("add-k needs a positive pseudo-count, got '{0}'")]
    BadK(String),
    /// A model order the counts cannot support.
    #[error("model order {order} needs counts of order {order}, but only orders up to {counted} were counted")]
    OrderTooHigh {
        /// The order asked for.
        order: usize,
        /// The highest order counted.
        counted: usize,
    },
}

impl Smoothing {
    /// Parses `mle`, `add-k` (k = 1), `add-k:K`, `wb`, `kn` or `mkn`.
    pub fn parse(s: &str) -> Result<Smoothing, Error> {
        match s {
            "mle" => Ok(Smoothing::Mle),
            "wb" => Ok(Smoothing::Wb),
            "kn" => Ok(Smoothing::Kn),
            "mkn" => Ok(Smoothing::Mkn),
            "add-k" | "laplace" => Ok(Smoothing::AddK { k: 1.0 }),
            _ => match s.strip_prefix("add-k:") {
                Some(k) => match k.parse::<f64>() {
                    Ok(v) if v > 0.0 && v.is_finite() => Ok(Smoothing::AddK { k: v }),
                    _ => Err(Error::BadK(k.to_string())),
                },
                None => Err(Error::UnknownSmoothing(s.to_string())),
            },
        }
    }
}

impl fmt::Display for Smoothing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Smoothing::Mle => write!(f, "mle"),
            Smoothing::AddK { k } => write!(f, "add-k:{k}"),
            Smoothing::Wb => write!(f, "wb"),
            Smoothing::Kn => write!(f, "kn"),
            Smoothing::Mkn => write!(f, "mkn"),
        }
    }
}

/// The discounts of one order, and whether they are the fallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discounts {
    /// The order.
    pub order: usize,
    /// D1, D2, D3+ (all equal for kn).
    pub d: [f64; 3],
    /// Count-of-counts n1..n4 of the (adjusted) counts they were estimated from.
    pub count_of_counts: [u64; 4],
    /// Why the fallback was used, if it was.
    pub fallback: Option<String>,
}

/// What an estimate produced besides probabilities: for reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of n-grams stored per order (order 1: the whole vocabulary, markers and `<unk>` included).
    pub ngrams: Vec<u64>,
    /// Discounts per order (kn, mkn).
    pub discounts: Vec<Discounts>,
    /// Size of the predictable vocabulary |V| (the support of every conditional distribution).
    pub vocab: u64,
}

#[derive(Debug, Clone)]
enum Form {
    /// ln p per n-gram and ln backoff per context, per order (index n − 1).
    Backoff { log_prob: Vec<Vec<f64>>, log_backoff: Vec<Vec<f64>> },
    /// Pseudo-count and, per order n (index n − 1), the total count of the followers of each history of
    /// order n − 1 — index 0 holds the single empty history.
    Counted { k: f64, totals: Vec<Vec<u64>> },
}

/// A frozen n-gram model.
#[derive(Debug, Clone)]
pub struct Model {
    order: usize,
    smoothing: Option<Smoothing>,
    counts: Arc<Counts>,
    predictable: Vec<bool>,
    vocab: u64,
    form: Form,
    summary: Summary,
    followers: std::sync::OnceLock<Vec<Csr>>,
}

/// For each context id of one order, the ids of the n-grams one order up that extend it (compressed
/// sparse rows).
#[derive(Debug, Clone, Default)]
struct Csr {
    offsets: Vec<u32>,
    ids: Vec<u32>,
}

impl Model {
    /// Estimates a model of `order` from `counts` with `smoothing`. `sentences` says whether `</s>` is a
    /// word (it is when sentences are lines).
    pub fn estimate(counts: Arc<Counts>, order: usize, smoothing: Smoothing, sentences: bool) -> Result<Model, Error> {
        if order == 0 || order > counts.max_order() {
            return Err(Error::OrderTooHigh { order, counted: counts.max_order() });
        }
        let v = counts.vocab_size();
        let predictable = predictable(v, sentences);
        let vocab = predictable.iter().filter(|&&p| p).count() as u64;
        let mut summary = Summary { vocab, ..Summary::default() };
        summary.ngrams = (1..=order).map(|n| counts.order(n).len() as u64).collect();
        let form = match smoothing {
            Smoothing::Mle => counted(&counts, order, 0.0),
            Smoothing::AddK { k } => counted(&counts, order, k),
            Smoothing::Wb => witten_bell(&counts, order, &predictable, vocab),
            Smoothing::Kn | Smoothing::Mkn => {
                let (form, discounts) = kneser_ney(&counts, order, &predictable, vocab, smoothing == Smoothing::Mkn);
                summary.discounts = discounts;
                form
            }
        };
        Ok(Model {
            order,
            smoothing: Some(smoothing),
            counts,
            predictable,
            vocab,
            form,
            summary,
            followers: Default::default(),
        })
    }

    /// The model order M.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The smoothing method; `None` for a model read from a file.
    pub fn smoothing(&self) -> Option<Smoothing> {
        self.smoothing
    }

    /// Counts, discounts and vocabulary size, for reports.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The counts (n-gram structure) the model was estimated from.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Whether `w` is in the support of the model's distributions.
    pub fn is_predictable(&self, w: u32) -> bool {
        self.predictable.get(w as usize).copied().unwrap_or(false)
    }

    /// Number of ids in the vocabulary (markers included).
    pub fn vocab_size(&self) -> usize {
        self.predictable.len()
    }

    /// Size of the support |V|.
    pub fn support(&self) -> u64 {
        self.vocab
    }

    /// The ids of the n-grams of order `n` whose history is `context` (an id of order n − 1; for n = 1 the
    /// empty history 0): the words seen after that context. For n = 1, every unigram with a nonzero count
    /// or an explicit probability.
    pub fn followers(&self, n: usize, context: u32) -> &[u32] {
        let index = self.followers.get_or_init(|| {
            (1..=self.order)
                .map(|n| {
                    let o = self.counts.order(n);
                    let contexts = if n == 1 { 1 } else { self.counts.order(n - 1).len() };
                    let keep = |id: usize| match (&self.form, n) {
                        (Form::Counted { .. }, _) => o.count[id] > 0,
                        (Form::Backoff { .. }, 1) => self.predictable[id],
                        _ => true,
                    };
                    let mut offsets = vec![0u32; contexts + 1];
                    for (id, &h) in o.history.iter().enumerate() {
                        if h != NONE && keep(id) {
                            offsets[h as usize + 1] += 1;
                        }
                    }
                    for i in 0..contexts {
                        offsets[i + 1] += offsets[i];
                    }
                    let mut fill = offsets.clone();
                    let mut ids = vec![0u32; offsets[contexts] as usize];
                    for (id, &h) in o.history.iter().enumerate() {
                        if h != NONE && keep(id) {
                            ids[fill[h as usize] as usize] = id as u32;
                            fill[h as usize] += 1;
                        }
                    }
                    Csr { offsets, ids }
                })
                .collect()
        });
        let csr = &index[n - 1];
        let c = context as usize;
        &csr.ids[csr.offsets[c] as usize..csr.offsets[c + 1] as usize]
    }

    /// The context chain of a history: `chain[j]` is the id (of order j) of the last j words of `history`
    /// (truncated to M − 1 words), for j = 1.. as long as those words were seen; `chain[0]` is the empty
    /// context 0.
    pub fn contexts(&self, history: &[u32]) -> Vec<u32> {
        let h = &history[history.len().saturating_sub(self.order - 1)..];
        let mut chain = vec![0];
        let mut ctx = NONE;
        for j in 1..=h.len() {
            match self.counts.order(j).get(ctx, h[h.len() - j]) {
                Some(id) => {
                    ctx = id;
                    chain.push(id);
                }
                None => break,
            }
        }
        chain
    }

    /// ln p of n-gram `id` of order `n` as stored (backoff form), or `None` for count-form models.
    pub fn stored_log_prob(&self, n: usize, id: u32) -> Option<f64> {
        match &self.form {
            Form::Backoff { log_prob, .. } => Some(log_prob[n - 1][id as usize]),
            Form::Counted { .. } => None,
        }
    }

    /// ln backoff weight of context `id` of order `n` (0 when it has no followers), or `None` for
    /// count-form models.
    pub fn stored_log_backoff(&self, n: usize, id: u32) -> Option<f64> {
        match &self.form {
            Form::Backoff { log_backoff, .. } => Some(log_backoff[n - 1][id as usize]),
            Form::Counted { .. } => None,
        }
    }

    /// For count-form models: the pseudo-count k and the total count of the followers of context `id` of
    /// order n − 1 (n = 1: the empty context).
    pub fn context_total(&self, n: usize, id: u32) -> Option<(f64, u64)> {
        match &self.form {
            Form::Counted { k, totals } => Some((*k, totals[n - 1][id as usize])),
            Form::Backoff { .. } => None,
        }
    }

    /// ln p(word | history), `history` oldest first; only its last M − 1 words are used. Ids outside the
    /// vocabulary must be mapped to `<unk>` by the caller. `-inf` when the probability is 0 (mle only,
    /// and `<s>`).
    pub fn log_prob(&self, history: &[u32], word: u32) -> f64 {
        self.log_prob_matched(history, word).0
    }

    /// ln p(w | history) for every w of `words`, into `out[k]` for `words[k]`: [`Model::log_prob`]'s values
    /// bit for bit, with the history's contexts looked up once for all the words instead of once a word —
    /// what the guessing game asks at every position (the whole alphabet after one history).
    ///
    /// Panics if `out` is shorter than `words`.
    pub fn log_probs_of(&self, history: &[u32], words: &[u32], out: &mut [f64]) {
        let Form::Backoff { log_prob, log_backoff } = &self.form else {
            for (o, &w) in out.iter_mut().zip(words) {
                *o = self.log_prob(history, w);
            }
            return;
        };
        let h = &history[history.len().saturating_sub(self.order - 1)..];
        // The stored contexts of the history, shortest first: `contexts[j − 1]` is the id of its last j words.
        let mut contexts = Vec::with_capacity(h.len());
        let mut ctx = NONE;
        for j in 1..=h.len() {
            match self.counts.order(j).get(ctx, h[h.len() - j]) {
                Some(id) => ctx = id,
                None => break,
            }
            contexts.push(ctx);
        }
        for (o, &word) in out[..words.len()].iter_mut().zip(words) {
            if !self.is_predictable(word) {
                *o = f64::NEG_INFINITY;
                continue;
            }
            let (id, matched) = self.longest_ngram(h, word, h.len() + 1);
            let mut lp = log_prob[matched - 1][id as usize];
            for j in matched..=contexts.len() {
                lp += log_backoff[j - 1][contexts[j - 1] as usize];
            }
            *o = lp;
        }
    }

    /// The id and length of the longest stored n-gram that ends in `word` and is preceded by the last words
    /// of `h`, at most `limit` words long.
    fn longest_ngram(&self, h: &[u32], word: u32, limit: usize) -> (u32, usize) {
        let (mut id, mut matched) = (word, 1);
        while matched < limit {
            match self.counts.order(matched + 1).get(id, h[h.len() - matched]) {
                Some(next) => {
                    id = next;
                    matched += 1;
                }
                None => break,
            }
        }
        (id, matched)
    }

    /// ln p(word | history) as [`Model::log_prob`], with the length of the longest stored n-gram ending in
    /// `word` that the history matches (KenLM's `ngram_length`: 1 for a word only known as a unigram, 0 when
    /// the probability is 0 because the word cannot be predicted).
    pub fn log_prob_matched(&self, history: &[u32], word: u32) -> (f64, usize) {
        if !self.is_predictable(word) {
            return (f64::NEG_INFINITY, 0);
        }
        let h = &history[history.len().saturating_sub(self.order - 1)..];
        let ngram = |limit: usize| self.longest_ngram(h, word, limit);
        match &self.form {
            Form::Backoff { log_prob, log_backoff } => {
                let (id, matched) = ngram(h.len() + 1);
                let mut lp = log_prob[matched - 1][id as usize];
                // Back off through every context longer than the matched n-gram's context.
                let mut ctx = NONE;
                for j in 1..=h.len() {
                    match self.counts.order(j).get(ctx, h[h.len() - j]) {
                        Some(id) => ctx = id,
                        None => break,
                    }
                    if j >= matched {
                        lp += log_backoff[j - 1][ctx as usize];
                    }
                }
                (lp, matched)
            }
            Form::Counted { k, totals } => {
                // The longest suffix of h seen as a context.
                let mut ctx = NONE;
                let mut best = (0usize, 0u32); // (context length, context id); length 0 = empty history.
                for j in 1..=h.len() {
                    match self.counts.order(j).get(ctx, h[h.len() - j]) {
                        Some(id) => ctx = id,
                        None => break,
                    }
                    if totals[j][ctx as usize] > 0 {
                        best = (j, ctx);
                    }
                }
                let (j, ctx) = best;
                let total = totals[j][ctx as usize] as f64;
                // c(h w): the (j+1)-gram, if it was seen.
                let (id, matched) = ngram(j + 1);
                let c = if matched == j + 1 { self.counts.order(j + 1).count[id as usize] as f64 } else { 0.0 };
                (((c + k) / (total + k * self.vocab as f64)).ln(), if c > 0.0 { matched } else { 0 })
            }
        }
    }
}

/// What scoring needs from a model: its order and ln p(w | h). Implemented by [`Model`] (estimated, or read
/// from ARPA) and by [`binary::Mapped`] (queried in place from a model file's bytes), so held-out scoring
/// is one function for both.
pub trait LanguageModel: Sync {
    /// The model order M.
    fn order(&self) -> usize;
    /// ln p(word | history), `history` oldest first (only its last M − 1 words count); `-inf` for
    /// probability 0. Ids outside the vocabulary must be mapped to `<unk>` by the caller.
    fn log_prob(&self, history: &[u32], word: u32) -> f64;

    /// ln p of every position of `tokens` appended to `out` (0 at `<s>`), each given its history within its
    /// sentence ([`shannon_tokens::history`]): what scoring a stream needs. Models that can carry state from
    /// one position to the next (the binary format, through [`LanguageModel::stream_log_probs`]) probe less;
    /// the values are the same.
    fn log_probs(&self, tokens: &[u32], out: &mut Vec<f64>) {
        let start = out.len();
        out.resize(start + tokens.len(), 0.0);
        self.stream_log_probs(tokens, &mut |i, lp, _| out[start + i] = lp);
    }

    /// ln p(word | history) with the length of the longest stored n-gram ending in `word` that the history
    /// matches (KenLM's `ngram_length`; 0 where the word cannot be predicted). The default says 0: for
    /// models that store no n-grams.
    fn log_prob_matched(&self, history: &[u32], word: u32) -> (f64, usize) {
        (self.log_prob(history, word), 0)
    }
    /// [`LanguageModel::log_prob_matched`] of every token of a short stream but `<s>`, in order, each after
    /// its history as `shannon_tokens::history` cuts it (at most M − 1 tokens, not before the sentence's
    /// `<s>`): `out(position, ln p, matched length)`. A model may carry state from one token to the next
    /// (the n-grams found ending at a word are the next word's contexts), as KenLM does.
    fn stream_log_probs(&self, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
        stream_each(self, tokens, out)
    }

    /// ln p(w | `history`) of each w of `words`, into `out` (as long): the same values as
    /// [`LanguageModel::log_prob`], which a model may find faster together (the guessing game asks every
    /// symbol of the alphabet after each history).
    fn log_probs_of(&self, history: &[u32], words: &[u32], out: &mut [f64]) {
        for (o, &w) in out.iter_mut().zip(words) {
            *o = self.log_prob(history, w);
        }
    }
}

impl LanguageModel for Model {
    fn order(&self) -> usize {
        self.order
    }

    fn log_prob(&self, history: &[u32], word: u32) -> f64 {
        Model::log_prob(self, history, word)
    }

    fn log_prob_matched(&self, history: &[u32], word: u32) -> (f64, usize) {
        Model::log_prob_matched(self, history, word)
    }

    fn log_probs_of(&self, history: &[u32], words: &[u32], out: &mut [f64]) {
        Model::log_probs_of(self, history, words, out)
    }

    /// A backoff-form model walks the stream as the binary format does ([`walk::stream_log_probs`]): the
    /// n-grams found ending at one word are the next word's contexts, so each word costs one lookup per
    /// order instead of two, many words at a time (no prefetch hints: the lookups are hash-map probes). Same
    /// values, bit for bit (tests).
    fn stream_log_probs(&self, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
        match &self.form {
            Form::Backoff { log_prob, log_backoff } => {
                walk::stream_log_probs(&BackoffSlots { model: self, log_prob, log_backoff }, tokens, out)
            }
            Form::Counted { .. } => stream_each(self, tokens, out),
        }
    }
}

/// A backoff-form [`Model`]'s n-grams as [`walk::Slots`]: an n-gram's id is its slot.
struct BackoffSlots<'a> {
    model: &'a Model,
    log_prob: &'a [Vec<f64>],
    log_backoff: &'a [Vec<f64>],
}

impl walk::Slots for BackoffSlots<'_> {
    fn order(&self) -> usize {
        self.model.order
    }

    fn vocab_len(&self) -> usize {
        self.log_prob[0].len()
    }

    fn is_predictable(&self, w: u32) -> bool {
        self.model.is_predictable(w)
    }

    #[inline]
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32> {
        self.model.counts.order(n).get(suffix, first)
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

/// [`LanguageModel::stream_log_probs`] one position at a time, each from scratch: for models that carry no
/// state from one word to the next.
fn stream_each<M: LanguageModel + ?Sized>(model: &M, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
    let context = model.order() - 1;
    for (i, &w) in tokens.iter().enumerate() {
        if w != BOS {
            let (lp, matched) = model.log_prob_matched(shannon_tokens::history(tokens, i, context), w);
            out(i, lp, matched);
        }
    }
}

/// Count form for mle and add-k: follower totals per history at every order.
fn counted(counts: &Counts, order: usize, k: f64) -> Form {
    let totals = (1..=order)
        .map(|n| {
            let histories = if n == 1 { 1 } else { counts.order(n - 1).len() };
            Followers::new(counts.order(n), &counts.order(n).count, histories).total
        })
        .collect();
    Form::Counted { k, totals }
}

/// Interpolated Witten–Bell (Chen & Goodman 1998 eq. 15):
/// p(w | h) = [c(h w) + N1+(h •) p(w | h′)] / [c(h) + N1+(h •)], ending in the uniform distribution.
fn witten_bell(counts: &Counts, order: usize, predictable: &[bool], vocab: u64) -> Form {
    interpolate(counts, order, predictable, vocab, |n| {
        let o = counts.order(n);
        let histories = if n == 1 { 1 } else { counts.order(n - 1).len() };
        let f = Followers::new(o, &o.count, histories);
        let scale = (0..histories)
            .map(|h| {
                let denom = (f.total[h] + f.distinct[h]) as f64;
                if denom == 0.0 {
                    0.0
                } else {
                    1.0 / denom
                }
            })
            .collect::<Vec<_>>();
        // Undiscounted mass c(h w) / denominator for each n-gram.
        let own = o.count.iter().zip(&o.history).map(|(&c, &h)| c as f64 * scale[h as usize]).collect();
        let gamma = (0..histories).map(|h| interpolation_weight(None, f.total[h], f.by_count[h])).collect();
        (own, gamma)
    })
}

/// Interpolated (modified) Kneser–Ney, as lmplz estimates it (Chen & Goodman 1998 eqs. 17 and 26;
/// Heafield et al. 2013).
fn kneser_ney(
    counts: &Counts,
    order: usize,
    predictable: &[bool],
    vocab: u64,
    modified: bool,
) -> (Form, Vec<Discounts>) {
    let mut discounts = Vec::new();
    let form = interpolate(counts, order, predictable, vocab, |n| {
        let o = counts.order(n);
        let adjusted = adjusted_counts(counts, n, order);
        let coc = count_of_counts(&adjusted, 5);
        let nk = [coc[1], coc[2], coc[3], coc[4]];
        let d = if modified { modified_discounts(n, nk) } else { single_discount(n, nk) };
        let histories = if n == 1 { 1 } else { counts.order(n - 1).len() };
        let f = Followers::new(o, &adjusted, histories);
        let own = adjusted
            .iter()
            .zip(&o.history)
            .map(|(&a, &h)| {
                let total = f.total[h as usize];
                if a == 0 || total == 0 {
                    0.0
                } else {
                    (a as f64 - d.d[(a.min(3) - 1) as usize]).max(0.0) / total as f64
                }
            })
            .collect();
        let gamma = (0..histories).map(|h| interpolation_weight(Some(&d), f.total[h], f.by_count[h])).collect();
        discounts.push(d);
        (own, gamma)
    });
    (form, discounts)
}

/// Which of the ids below `vocab_size` a model predicts: every word but `<s>` (context only), and `</s>`
/// only where sentences end with it (`sentences`). The support of every conditional distribution.
pub fn predictable(vocab_size: usize, sentences: bool) -> Vec<bool> {
    (0..vocab_size as u32).map(|w| w != BOS && (sentences || w != EOS)).collect()
}

/// Kneser–Ney's adjusted counts for order `n` of a model of order `top`: raw counts at the top order and
/// for n-grams that start with `<s>` (nothing can precede them); otherwise the continuation count
/// N1+(• w…), the number of distinct left extensions. `<unk>` and `<s>` as unigrams get 0.
pub fn adjusted_counts(counts: &Counts, n: usize, top: usize) -> Vec<u64> {
    let o = counts.order(n);
    if n == top {
        return o.count.clone();
    }
    let mut a = counts.continuation(n);
    for (i, &first) in o.first.iter().enumerate() {
        if first == BOS {
            a[i] = o.count[i];
        }
    }
    if n == 1 {
        a[shannon_tokens::UNK as usize] = 0;
    }
    a
}

/// Chen & Goodman eq. 26: Y = n1/(n1 + 2 n2), D_j = j − (j + 1) Y n_{j+1} / n_j. Falls back to
/// [`FALLBACK_DISCOUNTS`] when some n_j is 0 or a discount leaves [0, j] — where lmplz throws
/// `BadDiscountException` unless given `--discount_fallback`.
pub fn modified_discounts(order: usize, nk: [u64; 4]) -> Discounts {
    let [n1, n2, n3, n4] = nk.map(|x| x as f64);
    let mut d = Discounts { order, d: FALLBACK_DISCOUNTS, count_of_counts: nk, fallback: None };
    if let Some(j) = nk.iter().position(|&x| x == 0) {
        // Say what the counts were rather than guess why: on real text this happens with small alphabets
        // (characters, letters), where few types are left to have each adjusted count.
        d.fallback = Some(format!(
            "no n-grams of order {order} with adjusted count {} (counts of counts n1..n4 = {}, {}, {}, {}), so \
             Chen & Goodman's discounts are undefined; used lmplz's fallback D = 0.5, 1, 1.5",
            j + 1,
            nk[0],
            nk[1],
            nk[2],
            nk[3]
        ));
        return d;
    }
    let y = n1 / (n1 + 2.0 * n2);
    let computed = [1.0 - 2.0 * y * n2 / n1, 2.0 - 3.0 * y * n3 / n2, 3.0 - 4.0 * y * n4 / n3];
    if let Some(j) = (0..3).find(|&j| !(computed[j] >= 0.0 && computed[j] <= (j + 1) as f64)) {
        d.fallback = Some(format!(
            "discount D{} = {:.4} of order {order} is out of range [0, {}]; used D = 0.5, 1, 1.5",
            j + 1,
            computed[j],
            j + 1
        ));
        return d;
    }
    d.d = computed;
    d
}

/// Ney, Essen & Kneser 1994: D = n1 / (n1 + 2 n2), falling back to [`FALLBACK_KN_DISCOUNT`] outside (0, 1].
pub fn single_discount(order: usize, nk: [u64; 4]) -> Discounts {
    let (n1, n2) = (nk[0] as f64, nk[1] as f64);
    let y = n1 / (n1 + 2.0 * n2);
    if y > 0.0 && y <= 1.0 {
        Discounts { order, d: [y; 3], count_of_counts: nk, fallback: None }
    } else {
        Discounts {
            order,
            d: [FALLBACK_KN_DISCOUNT; 3],
            count_of_counts: nk,
            fallback: Some(format!(
                "Kneser-Ney discount of order {order} is undefined (n1 = {}, n2 = {}); used D = 0.5",
                nk[0], nk[1]
            )),
        }
    }
}

/// The interpolation weight γ(h) of a history h: the probability mass that h's own estimates leave to the
/// lower order, in p(w | h) = own(h w) + γ(h) · p(w | h′). It is also h's backoff weight in the backoff
/// form (an ARPA file's backoff column): a word never seen after h has own(h w) = 0, so
/// p(w | h) = γ(h) · p(w | h′) exactly.
///
/// From h's followers under the values the method counts with — `total` = Σ_w c(h w) and `by_count` =
/// [N1(h •), N2(h •), N3+(h •)], the followers seen once, twice, three times or more:
/// - Kneser–Ney (`discounts` given; adjusted counts): γ(h) = (D1 N1(h •) + D2 N2(h •) + D3+ N3+(h •)) /
///   Σ_w c(h w), the mass the discounts took — the γ of Chen & Goodman 1998's eq. 17 interpolation (one
///   D for all three with kn);
/// - Witten–Bell (`None`; raw counts): γ(h) = N1+(h •) / (Σ_w c(h w) + N1+(h •)), the weight of
///   p(w | h′) in Chen & Goodman 1998 eq. 15, with N1+(h •) = N1 + N2 + N3+;
/// - a history with no followers has γ(h) = 1 (Witten–Bell: when N1+(h •) is also 0): it passes
///   everything to p(w | h′).
///
/// [`Model::estimate`] and the streamed writer ([`streamed::write_arpa`]) both call this, so the two write
/// the same bytes.
pub(crate) fn interpolation_weight(discounts: Option<&Discounts>, total: u64, by_count: [u64; 3]) -> f64 {
    let [n1, n2, n3] = by_count;
    match discounts {
        Some(_) if total == 0 => 1.0,
        Some(d) => (d.d[0] * n1 as f64 + d.d[1] * n2 as f64 + d.d[2] * n3 as f64) / total as f64,
        None => {
            let denom = (total + n1 + n2 + n3) as f64;
            if denom == 0.0 {
                1.0
            } else {
                (n1 + n2 + n3) as f64 / denom
            }
        }
    }
}

/// Builds the backoff form of an interpolated model bottom-up. For each order n, `level(n)` returns each
/// n-gram's own (discounted) mass and each history's interpolation weight γ(h); then
/// p(w | h) = own(h w) + γ(h) · p(w | h′), with p(w | ε′) = 1/|V| (uniform over the predictable vocabulary).
fn interpolate(
    counts: &Counts,
    order: usize,
    predictable: &[bool],
    vocab: u64,
    mut level: impl FnMut(usize) -> (Vec<f64>, Vec<f64>),
) -> Form {
    let mut log_prob: Vec<Vec<f64>> = Vec::with_capacity(order);
    let mut log_backoff: Vec<Vec<f64>> = Vec::with_capacity(order);
    for n in 1..=order {
        let o = counts.order(n);
        let (own, gamma) = level(n);
        let probs: Vec<f64> = (0..o.len())
            .map(|i| {
                let lower = if n == 1 {
                    if predictable[i] {
                        1.0 / vocab as f64
                    } else {
                        0.0
                    }
                } else {
                    log_prob[n - 2][o.suffix[i] as usize].exp()
                };
                let p = own[i] + gamma[o.history[i] as usize] * lower;
                if n == 1 && !predictable[i] {
                    0.0
                } else {
                    p
                }
            })
            .map(f64::ln)
            .collect();
        log_prob.push(probs);
        if n >= 2 {
            // γ of the histories of order n is the backoff weight of those (n − 1)-grams.
            log_backoff.push(gamma.iter().map(|g| g.ln()).collect());
        }
    }
    // Contexts of the highest order are never backed off from.
    log_backoff.push(vec![0.0; counts.order(order).len()]);
    // A context with no followers has γ = 1 (ln 0 = 0): p(w | h) = p(w | h′).
    Form::Backoff { log_prob, log_backoff }
}

/// The test fixture shared by this crate's tests.
#[cfg(test)]
pub(crate) mod fixture {
    use shannon_tokens::{Vocab, BOS, EOS};

    /// Whitespace-tokenized lines, each wrapped in markers when `sentences`.
    pub fn stream_of(text: &str, sentences: bool) -> (Vocab, Vec<u32>) {
        let mut vocab = Vocab::new();
        let mut ids = Vec::new();
        for line in text.lines() {
            if sentences {
                ids.push(BOS);
            }
            ids.extend(line.split_whitespace().map(|w| vocab.intern(w)));
            if sentences {
                ids.push(EOS);
            }
        }
        (vocab, ids)
    }

    /// Lines wrapped in markers.
    pub fn stream(text: &str) -> (Vocab, Vec<u32>) {
        stream_of(text, true)
    }

    /// The KJV Genesis fixture (`corpora/fixtures/genesis.txt`).
    pub fn genesis(sentences: bool) -> (Vocab, Vec<u32>) {
        stream_of(include_str!("../../../corpora/fixtures/genesis.txt"), sentences)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shannon_tokens::{Vocab, UNK};

    use crate::fixture::stream;

    /// The toy corpus of every hand-worked case below: "a b" and "a a", so a = 3, b = 4, and the
    /// predictable vocabulary is {<unk>, </s>, a, b}: |V| = 4. Unigram counts a 3, b 1, </s> 2 (N = 6);
    /// bigrams <s> a 2, a b 1, a a 1, a </s> 1, b </s> 1.
    fn toy(smoothing: Smoothing) -> Model {
        let (vocab, ids) = stream("a b\na a\n");
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), 2));
        Model::estimate(counts, 2, smoothing, true).unwrap()
    }

    fn p(m: &Model, history: &[u32], w: u32) -> f64 {
        m.log_prob(history, w).exp()
    }

    const A: u32 = 3;
    const B: u32 = 4;

    fn close(x: f64, y: f64) {
        assert!((x - y).abs() < 1e-12, "{x} != {y}");
    }

    #[test]
    fn mle_by_hand() {
        let m = toy(Smoothing::Mle);
        close(p(&m, &[BOS], A), 1.0); // c(<s> a) / c(<s> •) = 2/2
        close(p(&m, &[A], B), 1.0 / 3.0); // a is followed by b, a, </s> once each
        assert_eq!(p(&m, &[B], A), 0.0, "seen context, unseen word: probability 0");
        close(p(&m, &[UNK], A), 0.5); // unseen context: the unigram c(a)/N = 3/6
        assert_eq!(p(&m, &[], UNK), 0.0);
        assert_eq!(p(&m, &[A], BOS), 0.0, "<s> is never predicted");
    }

    #[test]
    fn add_k_by_hand() {
        let m = toy(Smoothing::AddK { k: 1.0 });
        close(p(&m, &[A], B), 2.0 / 7.0); // (1 + 1) / (3 + 4)
        close(p(&m, &[BOS], A), 3.0 / 6.0); // (2 + 1) / (2 + 4)
        close(p(&m, &[BOS], UNK), 1.0 / 6.0);
        close(p(&m, &[], A), 4.0 / 10.0); // (3 + 1) / (6 + 4)
        let half = toy(Smoothing::AddK { k: 0.5 });
        close(p(&half, &[A], B), 1.5 / 5.0); // (1 + 0.5) / (3 + 2)
    }

    #[test]
    fn witten_bell_by_hand() {
        let m = toy(Smoothing::Wb);
        // Unigrams: (c(w) + N1+(•)/|V|) / (N + N1+(•)) with N1+(•) = 3 types seen, N = 6.
        close(p(&m, &[], A), 3.75 / 9.0);
        close(p(&m, &[], UNK), 0.75 / 9.0);
        // After a: c(a •) = 3, N1+(a •) = 3: (1 + 3 · p1(b)) / 6.
        close(p(&m, &[A], B), (1.0 + 3.0 * 1.75 / 9.0) / 6.0);
        close(p(&m, &[BOS], A), (2.0 + 3.75 / 9.0) / 3.0);
    }

    #[test]
    fn kneser_ney_by_hand() {
        let m = toy(Smoothing::Kn);
        // Bigram count-of-counts n1 = 4, n2 = 1: D = 4/6. Unigram continuation counts a 2 (<s> a, a a),
        // b 1, </s> 2 (a </s>, b </s>): n1 = 1, n2 = 2, D = 1/5; total 5; γ(ε) = 0.2 · 3 / 5 = 0.12.
        let d = &m.summary().discounts;
        close(d[0].d[0], 0.2);
        close(d[1].d[0], 2.0 / 3.0);
        close(p(&m, &[], A), 1.8 / 5.0 + 0.12 / 4.0); // 0.39
        close(p(&m, &[], B), 0.8 / 5.0 + 0.12 / 4.0); // 0.19
        close(p(&m, &[], UNK), 0.03);
        // After a: three followers of count 1, γ(a) = (2/3 · 3) / 3.
        close(p(&m, &[A], B), (1.0 - 2.0 / 3.0) / 3.0 + 2.0 / 3.0 * 0.19);
        close(p(&m, &[BOS], A), (2.0 - 2.0 / 3.0) / 2.0 + 1.0 / 3.0 * 0.39);
        // After b only </s> was seen: a backs off with γ(b) = (2/3) / 1.
        close(p(&m, &[B], A), 2.0 / 3.0 * 0.39);
    }

    #[test]
    fn modified_kneser_ney_falls_back_on_toy_data_by_hand() {
        let m = toy(Smoothing::Mkn);
        // No counts of 3 at either order: eq. 26 cannot be evaluated, so D = 0.5, 1, 1.5 (lmplz's
        // --discount_fallback) — and the summary says so.
        for d in &m.summary().discounts {
            assert_eq!(d.d, FALLBACK_DISCOUNTS);
            assert!(d.fallback.as_deref().unwrap().contains("adjusted count 3"));
        }
        // Unigrams: own mass a (2 − 1)/5, b (1 − 0.5)/5, </s> (2 − 1)/5; γ(ε) = (0.5 + 2)/5 = 0.5.
        close(p(&m, &[], A), 0.2 + 0.5 / 4.0);
        close(p(&m, &[], B), 0.1 + 0.5 / 4.0);
        close(p(&m, &[A], B), 0.5 / 3.0 + 0.5 * 0.225);
        close(p(&m, &[BOS], A), 0.5 + 0.5 * 0.325);
    }

    #[test]
    fn interpolation_weight_by_hand() {
        // A history followed by four distinct words, seen 1, 1, 2 and 6 times: Σ_w c(h w) = 10,
        // N1 = 2, N2 = 1, N3+ = 1, N1+ = 4.
        let d = Discounts { order: 2, d: [0.5, 1.0, 1.5], count_of_counts: [0; 4], fallback: None };
        // Kneser–Ney: (0.5 · 2 + 1 · 1 + 1.5 · 1) / 10 = 3.5 / 10.
        close(interpolation_weight(Some(&d), 10, [2, 1, 1]), 0.35);
        // Witten–Bell: N1+ / (Σ c + N1+) = 4 / 14.
        close(interpolation_weight(None, 10, [2, 1, 1]), 4.0 / 14.0);
        // No followers: everything goes to the lower order.
        assert_eq!(interpolation_weight(Some(&d), 0, [0; 3]), 1.0);
        assert_eq!(interpolation_weight(None, 0, [0; 3]), 1.0);
        // And it is the backoff weight the model stores. Toy corpus, history a: followers b, a, </s> once
        // each. kn: D = 2/3 (see kneser_ney_by_hand), γ(a) = (2/3 · 3) / 3; wb: γ(a) = 3 / (3 + 3).
        for (smoothing, want) in [(Smoothing::Kn, 2.0 / 3.0), (Smoothing::Wb, 0.5)] {
            close(toy(smoothing).stored_log_backoff(1, A).unwrap().exp(), want);
        }
    }

    #[test]
    fn eq_26_discounts_by_hand() {
        // n1..n4 = 4, 3, 2, 1: Y = 4/10; D1 = 1 − 2·0.4·3/4, D2 = 2 − 3·0.4·2/3, D3+ = 3 − 4·0.4·1/2.
        let d = modified_discounts(2, [4, 3, 2, 1]);
        assert!(d.fallback.is_none());
        close(d.d[0], 0.4);
        close(d.d[1], 1.2);
        close(d.d[2], 2.2);
        // D3+ = 3 − 4·Y·n4/n3 < 0 when n4 is large: out of range, fallback.
        assert!(modified_discounts(2, [10, 1, 1, 100]).fallback.unwrap().contains("out of range"));
        assert!(single_discount(1, [0, 5, 1, 1]).fallback.is_some());
    }

    #[test]
    fn parse_names() {
        assert_eq!(Smoothing::parse("add-k:0.25"), Ok(Smoothing::AddK { k: 0.25 }));
        assert_eq!(Smoothing::parse("add-k"), Ok(Smoothing::AddK { k: 1.0 }));
        assert!(matches!(Smoothing::parse("add-k:0"), Err(Error::BadK(_))));
        assert!(matches!(Smoothing::parse("katz"), Err(Error::UnknownSmoothing(_))));
        for s in ["mle", "add-k:0.5", "wb", "kn", "mkn"] {
            assert_eq!(Smoothing::parse(s).unwrap().to_string(), s);
        }
    }

    const METHODS: [Smoothing; 5] =
        [Smoothing::Mle, Smoothing::AddK { k: 0.1 }, Smoothing::Wb, Smoothing::Kn, Smoothing::Mkn];

    fn genesis() -> (Vocab, Vec<u32>, Arc<Counts>) {
        let (vocab, ids) = crate::fixture::genesis(true);
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), 5));
        (vocab, ids, counts)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every conditional distribution sums to 1 over the predictable vocabulary, for every method and
        /// order, for histories taken from the text (seen contexts) and mixed with random ids (unseen ones).
        #[test]
        fn every_distribution_sums_to_one(pos in 0usize..10_000, noise in proptest::collection::vec(0u32..200, 0..4)) {
            let (vocab, ids, counts) = genesis();
            let i = pos % ids.len();
            let mut history: Vec<u32> = ids[i.saturating_sub(4)..i].to_vec();
            for (k, &r) in noise.iter().enumerate() {
                if r < vocab.len() as u32 && k < history.len() { history[k] = r; }
            }
            for order in 1..=5 {
                for smoothing in METHODS {
                    let m = Model::estimate(Arc::clone(&counts), order, smoothing, true).unwrap();
                    let total: f64 = (0..vocab.len() as u32).map(|w| m.log_prob(&history, w).exp()).sum();
                    prop_assert!((total - 1.0).abs() < 1e-9, "{smoothing} order {order} history {history:?}: sum {total}");
                }
            }
        }
    }

    #[test]
    fn streams_without_sentences_exclude_the_end_marker() {
        let (vocab, ids, _) = genesis();
        let flat: Vec<u32> = ids.into_iter().filter(|&t| t != BOS && t != EOS).collect();
        let counts = Arc::new(shannon_counts::count(&flat, vocab.len(), 3));
        for smoothing in METHODS {
            let m = Model::estimate(Arc::clone(&counts), 3, smoothing, false).unwrap();
            assert_eq!(m.log_prob(&[], EOS), f64::NEG_INFINITY);
            let total: f64 = (0..vocab.len() as u32).map(|w| m.log_prob(&flat[10..12], w).exp()).sum();
            assert!((total - 1.0).abs() < 1e-9, "{smoothing}: {total}");
        }
    }
}
