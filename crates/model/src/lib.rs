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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    smoothing: Smoothing,
    counts: Arc<Counts>,
    predictable: Vec<bool>,
    vocab: u64,
    form: Form,
    summary: Summary,
}

impl Model {
    /// Estimates a model of `order` from `counts` with `smoothing`. `sentences` says whether `</s>` is a
    /// word (it is when sentences are lines).
    pub fn estimate(counts: Arc<Counts>, order: usize, smoothing: Smoothing, sentences: bool) -> Result<Model, Error> {
        if order == 0 || order > counts.max_order() {
            return Err(Error::OrderTooHigh { order, counted: counts.max_order() });
        }
        let v = counts.vocab_size();
        let predictable: Vec<bool> = (0..v as u32).map(|w| w != BOS && (sentences || w != EOS)).collect();
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
        Ok(Model { order, smoothing, counts, predictable, vocab, form, summary })
    }

    /// The model order M.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The smoothing method.
    pub fn smoothing(&self) -> Smoothing {
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

    /// ln p(word | history), `history` oldest first; only its last M − 1 words are used. Ids outside the
    /// vocabulary must be mapped to `<unk>` by the caller. `-inf` when the probability is 0 (mle only,
    /// and `<s>`).
    pub fn log_prob(&self, history: &[u32], word: u32) -> f64 {
        if !self.is_predictable(word) {
            return f64::NEG_INFINITY;
        }
        let h = &history[history.len().saturating_sub(self.order - 1)..];
        // ngram[j]: id of the (j+1)-gram ending in `word` (word preceded by the last j history words).
        let mut ngram = [NONE; 256];
        ngram[0] = word;
        let mut matched = 1;
        while matched <= h.len() {
            match self.counts.order(matched + 1).get(ngram[matched - 1], h[h.len() - matched]) {
                Some(id) => {
                    ngram[matched] = id;
                    matched += 1;
                }
                None => break,
            }
        }
        match &self.form {
            Form::Backoff { log_prob, log_backoff } => {
                let mut lp = log_prob[matched - 1][ngram[matched - 1] as usize];
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
                lp
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
                let c = if j < matched { self.counts.order(j + 1).count[ngram[j] as usize] as f64 } else { 0.0 };
                ((c + k) / (total + k * self.vocab as f64)).ln()
            }
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
        let weights = (0..histories)
            .map(|h| {
                let denom = (f.total[h] + f.distinct[h]) as f64;
                if denom == 0.0 {
                    (0.0, 1.0)
                } else {
                    (1.0 / denom, f.distinct[h] as f64 / denom)
                }
            })
            .collect::<Vec<_>>();
        // Undiscounted mass c(h w) / denominator for each n-gram.
        let own = o.count.iter().zip(&o.history).map(|(&c, &h)| c as f64 * weights[h as usize].0).collect();
        let gamma = weights.iter().map(|w| w.1).collect();
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
        let gamma = (0..histories)
            .map(|h| {
                let total = f.total[h];
                if total == 0 {
                    1.0
                } else {
                    let [n1, n2, n3] = f.by_count[h];
                    (d.d[0] * n1 as f64 + d.d[1] * n2 as f64 + d.d[2] * n3 as f64) / total as f64
                }
            })
            .collect();
        discounts.push(d);
        (own, gamma)
    });
    (form, discounts)
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
        d.fallback = Some(format!(
            "no n-grams of order {order} with adjusted count {} (corpus too small or artificial?); used D = 0.5, 1, 1.5",
            j + 1
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
