//! Divergences between two models, both ways: KL(P‖Q), KL(Q‖P), Jensen–Shannon, the cross-entropies and
//! entropies they are differences of, and the words behind them.
//!
//! **In:** two [`Side`]s — a frozen model each, and for every id of a union vocabulary the model's own id
//! (or none, for a word it does not know) — the histories to average over with their weights, and the
//! support (the union ids that can be predicted).
//! **Out:** [`Direction`] sums for each direction and the JS divergence, all in bits.
//!
//! At order n > 1 every figure is an expectation over the first side's histories:
//! KL(P‖Q) = E_{h∼P} KL(P(·|h) ‖ Q(·|h)), with H(P,Q) and H(P) averaged the same way, so that
//! KL = H(P,Q) − H(P) holds exactly (Cover & Thomas 2006, eq. 2.65 for the conditional form). JS is
//! averaged over the mixture of both texts' histories and is at most 1 bit.
//!
//! A word one model does not know shares that model's `<unk>` probability equally with its other unknown
//! words, so both distributions are proper over the union vocabulary.
//!
//! Per-history work is split into fixed blocks and summed in block order, so results are identical for
//! any thread count.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shannon_model::Model;
use shannon_tokens::{BOS, UNK};

/// One side of a comparison: a model and, for each union id, its own id (`None`: a word it does not know).
pub struct Side {
    model: Model,
    ids: Vec<Option<u32>>,
    /// Probability share of each unknown word: p(<unk>) / (unknown words + 1).
    unknown_share: f64,
}

impl Side {
    /// A model whose vocabulary is the union vocabulary itself (`vocab_size` ids).
    pub fn same_vocab(model: Model, vocab_size: usize) -> Side {
        Side { model, ids: (0..vocab_size as u32).map(Some).collect(), unknown_share: 1.0 }
    }

    /// A model with its own vocabulary: `ids[w]` is its id for union id `w`, `None` where it lacks the
    /// word. Its `<unk>` probability is shared equally by `<unk>` and every word it lacks.
    pub fn mapped(model: Model, ids: Vec<Option<u32>>) -> Side {
        let unknown = ids.iter().filter(|i| i.is_none()).count();
        Side { model, ids, unknown_share: 1.0 / (unknown + 1) as f64 }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The distribution over the union vocabulary's predictable ids after `history` (union ids).
    fn dist(&self, history: &[u32], support: &[u32], out: &mut Vec<f64>) {
        let h: Vec<u32> = history.iter().map(|&w| self.ids[w as usize].unwrap_or(UNK)).collect();
        out.clear();
        let unk = self.model.log_prob(&h, UNK).exp();
        for &w in support {
            out.push(match self.ids[w as usize] {
                Some(UNK) | None => unk * self.unknown_share,
                Some(id) => self.model.log_prob(&h, id).exp(),
            });
        }
    }
}

/// A history (union ids) with its weight; weights of one distribution sum to 1.
pub type Weighted = (Vec<u32>, f64);

/// Distinct histories (at most order − 1 tokens, not reaching before `<s>`) of the positions of a text,
/// with their relative frequency, sorted.
pub fn histories(tokens: &[u32], order: usize) -> Vec<Weighted> {
    let mut counts: HashMap<&[u32], u64> = HashMap::new();
    let mut total = 0u64;
    for i in 0..tokens.len() {
        if tokens[i] != BOS {
            *counts.entry(crate::history(tokens, i, order - 1)).or_insert(0) += 1;
            total += 1;
        }
    }
    let mut out: Vec<Weighted> = counts.into_iter().map(|(h, c)| (h.to_vec(), c as f64 / total as f64)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The equal mixture of two history distributions, sorted.
pub fn mixture(a: &[Weighted], b: &[Weighted]) -> Vec<Weighted> {
    let mut mix: HashMap<Vec<u32>, f64> = HashMap::new();
    for (h, w) in a.iter().chain(b) {
        *mix.entry(h.clone()).or_insert(0.0) += 0.5 * w;
    }
    let mut mix: Vec<Weighted> = mix.into_iter().collect();
    mix.sort_by(|a, b| a.0.cmp(&b.0));
    mix
}

/// Sums over histories for one direction A → B, bits.
#[derive(Debug, Default, Clone)]
pub struct Direction {
    /// H(A,B) = −Σ π p log2 q over the words where q > 0.
    pub cross: f64,
    /// H(A) = −Σ π p log2 p.
    pub entropy: f64,
    /// Per support index: Σ π p log2(p/q) where q > 0.
    pub contrib: Vec<f64>,
    /// Per support index: Σ π p.
    pub p_mass: Vec<f64>,
    /// Per support index: Σ π q.
    pub q_mass: Vec<f64>,
    /// Per support index: the mass of p where q = 0.
    pub infinite: Vec<f64>,
}

impl Direction {
    fn new(n: usize) -> Direction {
        Direction {
            cross: 0.0,
            entropy: 0.0,
            contrib: vec![0.0; n],
            p_mass: vec![0.0; n],
            q_mass: vec![0.0; n],
            infinite: vec![0.0; n],
        }
    }

    fn add(mut self, o: Direction) -> Direction {
        self.cross += o.cross;
        self.entropy += o.entropy;
        for (v, w) in [
            (&mut self.contrib, &o.contrib),
            (&mut self.p_mass, &o.p_mass),
            (&mut self.q_mass, &o.q_mass),
            (&mut self.infinite, &o.infinite),
        ] {
            v.iter_mut().zip(w).for_each(|(x, y)| *x += y);
        }
        self
    }

    /// Whether B gives every word A can produce a positive probability.
    pub fn is_finite(&self) -> bool {
        self.infinite.iter().all(|&m| m == 0.0)
    }

    /// KL(A‖B) in bits, `None` when infinite. Rounding can leave a sum of tiny terms a hair below 0; a
    /// divergence is never negative (Gibbs' inequality), so it is clamped at 0.
    pub fn kl(&self) -> Option<f64> {
        self.is_finite().then(|| self.contrib.iter().sum::<f64>().max(0.0))
    }

    /// H(A,B) in bits, `None` when infinite.
    pub fn cross_entropy(&self) -> Option<f64> {
        self.is_finite().then_some(self.cross)
    }

    /// The `n` support indices with the largest positive or negative nonzero terms, largest first (ties by
    /// index), with their terms and masses.
    pub fn top(&self, n: usize) -> Vec<Contribution<usize>> {
        let mut idx: Vec<usize> = (0..self.contrib.len()).filter(|&i| self.contrib[i] != 0.0).collect();
        idx.sort_by(|&x, &y| self.contrib[y].total_cmp(&self.contrib[x]).then(x.cmp(&y)));
        idx.into_iter()
            .take(n)
            .map(|i| Contribution { word: i, bits: self.contrib[i], p: self.p_mass[i], q: self.q_mass[i] })
            .collect()
    }

    /// The support indices where A has mass and B none, most mass first (ties by index).
    pub fn infinite_words(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.infinite.len()).filter(|&i| self.infinite[i] > 0.0).collect();
        idx.sort_by(|&x, &y| self.infinite[y].total_cmp(&self.infinite[x]).then(x.cmp(&y)));
        idx
    }
}

/// One word's share of a divergence; `W` is the word (a support index here, its text in reports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution<W = String> {
    /// The word.
    pub word: W,
    /// Its term Σ_h π(h) p(w|h) log2(p(w|h)/q(w|h)), bits.
    pub bits: f64,
    /// Its probability under the first distribution (averaged over histories).
    pub p: f64,
    /// Its probability under the second.
    pub q: f64,
}

const BLOCK: usize = 64;

/// The sums of direction A → B over the weighted histories `hist`.
pub fn direction(a: &Side, b: &Side, hist: &[Weighted], support: &[u32]) -> Direction {
    let blocks: Vec<Direction> = hist
        .par_chunks(BLOCK)
        .map(|chunk| {
            let mut d = Direction::new(support.len());
            let (mut p, mut q) = (Vec::new(), Vec::new());
            for (h, weight) in chunk {
                a.dist(h, support, &mut p);
                b.dist(h, support, &mut q);
                for i in 0..support.len() {
                    if p[i] > 0.0 {
                        let wp = weight * p[i];
                        d.entropy -= wp * p[i].log2();
                        if q[i] > 0.0 {
                            d.cross -= wp * q[i].log2();
                            d.contrib[i] += wp * (p[i] / q[i]).log2();
                        } else {
                            d.infinite[i] += wp;
                        }
                    }
                    d.p_mass[i] += weight * p[i];
                    d.q_mass[i] += weight * q[i];
                }
            }
            d
        })
        .collect();
    blocks.into_iter().fold(Direction::new(support.len()), Direction::add)
}

/// Σ_h π(h) JS(A(·|h), B(·|h)) in bits over the weighted histories `hist`.
pub fn js(a: &Side, b: &Side, hist: &[Weighted], support: &[u32]) -> f64 {
    let blocks: Vec<f64> = hist
        .par_chunks(BLOCK)
        .map(|chunk| {
            let (mut p, mut q) = (Vec::new(), Vec::new());
            chunk
                .iter()
                .map(|(h, weight)| {
                    a.dist(h, support, &mut p);
                    b.dist(h, support, &mut q);
                    weight * shannon_info::dist::js(&p, &q)
                })
                .sum()
        })
        .collect();
    blocks.iter().sum()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use shannon_model::Smoothing;

    use super::*;

    fn model(tokens: &[u32], vocab: usize) -> Model {
        let counts = Arc::new(shannon_counts::count(tokens, vocab, 1));
        Model::estimate(counts, 1, Smoothing::Mle, false).unwrap()
    }

    /// Unigram mle over ids 3, 4: P = (3/4, 1/4), Q = (1/4, 3/4).
    /// KL(P‖Q) = 3/4 log2 3 + 1/4 log2 (1/3) = 1/2 log2 3; H(P) = H(Q) = 0.811278 bits.
    #[test]
    fn kl_of_two_unigram_distributions_by_hand() {
        let (p, q) = (model(&[3, 3, 3, 4], 5), model(&[3, 4, 4, 4], 5));
        let (p, q) = (Side::same_vocab(p, 5), Side::same_vocab(q, 5));
        let support = [3, 4];
        let one = vec![(Vec::new(), 1.0)];
        let pq = direction(&p, &q, &one, &support);
        let half_log3 = 0.5 * 3f64.log2();
        assert!((pq.kl().unwrap() - half_log3).abs() < 1e-12);
        let h = -(0.75 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        assert!((pq.entropy - h).abs() < 1e-12);
        assert!((pq.cross_entropy().unwrap() - pq.entropy - pq.kl().unwrap()).abs() < 1e-12);
        assert_eq!(pq.top(1)[0].word, 0);
        // JS of (3/4, 1/4) and (1/4, 3/4): H(1/2, 1/2) − H(3/4, 1/4) = 1 − 0.811278.
        assert!((js(&p, &q, &one, &support) - (1.0 - h)).abs() < 1e-12);
    }

    #[test]
    fn a_word_q_never_saw_makes_kl_infinite() {
        let (p, q) = (Side::same_vocab(model(&[3, 4], 5), 5), Side::same_vocab(model(&[3, 3], 5), 5));
        let d = direction(&p, &q, &[(Vec::new(), 1.0)], &[3, 4]);
        assert_eq!(d.kl(), None);
        assert_eq!(d.infinite_words(), vec![1]);
    }
}
