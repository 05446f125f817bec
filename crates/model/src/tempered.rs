//! Softmax temperature on a frozen model: p_τ(w | h) = p(w | h)^(1/τ) / Z_τ(h), with the partition
//! function Z_τ(h) = Σ_w p(w | h)^(1/τ) computed exactly over the predictable vocabulary — not
//! approximated — and cached per context.
//!
//! The sum is not taken word by word (|V| terms per history). For a backoff-form model, with F(h) the words
//! stored after context h, h′ its suffix and β = 1/τ:
//!
//! Z(h) = Σ_{x∈F(h)} p(x | h)^β + bo(h)^β · (Z(h′) − Σ_{x∈F(h)} p(x | h′)^β),
//!
//! because every word outside F(h) has p(w | h) = bo(h) p(w | h′). The recursion ends at the unigrams,
//! Z(ε) = Σ_w p(w)^β. For a count-form model (mle, add-k), p(w | h) = (c(h w) + k) / (c(h) + k|V|) at the
//! longest seen context, so Z(h) = [Σ_{x∈F(h)} (c(h x) + k)^β + (|V| − |F(h)|) k^β] / (c(h) + k|V|)^β.
//! Each context costs O(|F(h)|) once.

use std::collections::HashMap;

use crate::Model;

/// A model seen through a temperature.
pub struct Tempered<'m> {
    model: &'m Model,
    beta: f64,
    /// ln Z per (context order, context id).
    cache: HashMap<(usize, u32), f64>,
}

impl<'m> Tempered<'m> {
    /// `tau` must be positive and finite (τ = 0 is argmax, which gives every other word probability 0).
    pub fn new(model: &'m Model, tau: f64) -> Tempered<'m> {
        assert!(tau > 0.0 && tau.is_finite(), "temperature must be positive and finite");
        Tempered { model, beta: 1.0 / tau, cache: HashMap::new() }
    }

    /// ln p_τ(word | history). Exactly `model.log_prob` at τ = 1.
    pub fn log_prob(&mut self, history: &[u32], word: u32) -> f64 {
        let lp = self.model.log_prob(history, word);
        if self.beta == 1.0 || lp == f64::NEG_INFINITY {
            return lp;
        }
        self.beta * lp - self.log_partition(history)
    }

    /// ln Z_τ(h) for a history.
    pub fn log_partition(&mut self, history: &[u32]) -> f64 {
        let chain = self.model.contexts(history);
        if self.model.context_total(1, 0).is_some() {
            // Count form: the longest context seen with followers decides.
            let j =
                (0..chain.len()).rev().find(|&j| self.model.context_total(j + 1, chain[j]).is_some_and(|t| t.1 > 0));
            let j = j.unwrap_or(0);
            return self.counted_log_z(j, chain[j]);
        }
        // Backoff form: fill the chain from the bottom.
        let mut z = self.unigram_log_z();
        for (j, &ctx) in chain.iter().enumerate().skip(1) {
            z = self.backoff_log_z(j, ctx, z);
        }
        z
    }

    fn unigram_log_z(&mut self) -> f64 {
        if let Some(&z) = self.cache.get(&(0, 0)) {
            return z;
        }
        let sum: f64 =
            self.model.followers(1, 0).iter().map(|&w| self.pow(self.model.stored_log_prob(1, w).unwrap())).sum();
        let z = sum.ln();
        self.cache.insert((0, 0), z);
        z
    }

    /// ln Z of context `ctx` of order `j` ≥ 1, given ln Z of its suffix context.
    fn backoff_log_z(&mut self, j: usize, ctx: u32, lower_log_z: f64) -> f64 {
        if let Some(&z) = self.cache.get(&(j, ctx)) {
            return z;
        }
        let m = self.model;
        let followers = m.followers(j + 1, ctx);
        let z = if followers.is_empty() {
            lower_log_z
        } else {
            let order = m.counts().order(j + 1);
            let (mut own, mut lower) = (0.0, 0.0);
            for &id in followers {
                own += self.pow(m.stored_log_prob(j + 1, id).unwrap());
                lower += self.pow(m.stored_log_prob(j, order.suffix[id as usize]).unwrap());
            }
            let rest = (lower_log_z.exp() - lower).max(0.0);
            let bo = self.pow(m.stored_log_backoff(j, ctx).unwrap());
            (own + bo * rest).ln()
        };
        self.cache.insert((j, ctx), z);
        z
    }

    /// ln Z of the count-form context `ctx` of order `j` (0: the empty context).
    fn counted_log_z(&mut self, j: usize, ctx: u32) -> f64 {
        if let Some(&z) = self.cache.get(&(j, ctx)) {
            return z;
        }
        let m = self.model;
        let (k, total) = m.context_total(j + 1, ctx).unwrap();
        let order = m.counts().order(j + 1);
        let followers = m.followers(j + 1, ctx);
        let seen: f64 = followers.iter().map(|&id| (order.count[id as usize] as f64 + k).powf(self.beta)).sum();
        let unseen = (m.support() - followers.len() as u64) as f64 * if k > 0.0 { k.powf(self.beta) } else { 0.0 };
        let z = (seen + unseen).ln() - self.beta * (total as f64 + k * m.support() as f64).ln();
        self.cache.insert((j, ctx), z);
        z
    }

    fn pow(&self, ln_p: f64) -> f64 {
        (self.beta * ln_p).exp()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use shannon_tokens::Vocab;

    use super::*;
    use crate::Smoothing;

    fn genesis(order: usize) -> (Vocab, Vec<u32>, Arc<shannon_counts::Counts>) {
        let (vocab, ids) = crate::fixture::genesis(true);
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), order));
        (vocab, ids, counts)
    }

    const METHODS: [Smoothing; 5] =
        [Smoothing::Mle, Smoothing::AddK { k: 0.3 }, Smoothing::Wb, Smoothing::Kn, Smoothing::Mkn];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Σ_w p_τ(w | h) = 1 for random τ and histories, every method; at τ = 1 scores are untempered.
        #[test]
        fn tempered_distributions_sum_to_one(pos in 0usize..10_000, tau in 0.2f64..4.0, junk in 0u32..300) {
            let (vocab, ids, counts) = genesis(4);
            let i = pos % ids.len();
            let mut history = ids[i.saturating_sub(3)..i].to_vec();
            if junk < vocab.len() as u32 && !history.is_empty() { history[0] = junk; }
            for order in [1, 2, 4] {
                for smoothing in METHODS {
                    let m = Model::estimate(Arc::clone(&counts), order, smoothing, true).unwrap();
                    let mut t = Tempered::new(&m, tau);
                    let total: f64 = (0..vocab.len() as u32).map(|w| t.log_prob(&history, w).exp()).sum();
                    prop_assert!((total - 1.0).abs() < 1e-9, "{smoothing} order {order} tau {tau}: {total}");
                    let mut one = Tempered::new(&m, 1.0);
                    for w in 0..vocab.len() as u32 {
                        prop_assert_eq!(one.log_prob(&history, w).to_bits(), m.log_prob(&history, w).to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn low_temperature_sharpens_and_high_flattens() {
        let (vocab, ids, counts) = genesis(3);
        let m = Model::estimate(counts, 3, Smoothing::Mkn, true).unwrap();
        let h = &ids[1..3];
        let entropy = |tau: f64| {
            let mut t = Tempered::new(&m, tau);
            -(0..vocab.len() as u32)
                .map(|w| t.log_prob(h, w))
                .filter(|lp| lp.is_finite())
                .map(|lp| lp.exp() * lp)
                .sum::<f64>()
        };
        let (cold, warm, hot) = (entropy(0.5), entropy(1.0), entropy(3.0));
        assert!(cold < warm && warm < hot, "{cold} {warm} {hot}");
        assert!(hot < (m.support() as f64).ln());
    }
}
