//! Entropy-based pruning (Stolcke 1998, "Entropy-based Pruning of Backoff Language Models").
//!
//! Every explicit n-gram (h, w) of order ≥ 2 is scored by the relative entropy its removal alone would add:
//!
//! D(h, w) = −p(h) { p(w|h) [ln p(w|h′) + ln α′(h) − ln p(w|h)] + [ln α′(h) − ln α(h)] Σ_{v∈BO(h)} p(v|h) },
//!
//! with α′(h) = [Σ_{v∈BO(h)} p(v|h) + p(w|h)] / [Σ_{v∈BO(h)} p(v|h′) + p(w|h′)], BO(h) the words that back
//! off from h, and p(h) the history's probability by the chain rule under the model itself (a history
//! starting with `<s>` is scored from the word after it, as SRILM does). Every n-gram with D below the
//! threshold θ is removed — all scored independently against the original model — and the backoff weights
//! are recomputed so that every distribution sums to 1 again. Kept n-grams keep their probabilities.
//!
//! One constraint keeps the model well-formed for query and ARPA: an n-gram is kept while a kept n-gram one
//! order up needs it as its history (its context must exist to carry a backoff weight) or as its suffix (the
//! lower-order estimate every query and KenLM's loader expect). Orders are processed top-down, so this only
//! keeps what is still needed. Unigrams are never pruned.

use std::sync::Arc;

use hashbrown::HashMap;
use shannon_counts::{key, Counts, Order, NONE};
use shannon_tokens::BOS;

use crate::{Form, Model};

/// A pruned model and what pruning did.
pub struct Pruned {
    /// The pruned model (backoff form).
    pub model: Model,
    /// N-grams removed per order.
    pub removed: Vec<u64>,
    /// Σ D(h, w) over the removed n-grams: Stolcke's estimate of KL(original ‖ pruned), in nats.
    pub predicted_kl_nats: f64,
}

/// p(h) for every context of orders 1..m−1 (index j − 1), by the chain rule under the model; histories
/// starting with `<s>` are scored from the word after it.
fn context_probs(model: &Model) -> Vec<Vec<f64>> {
    let counts = model.counts();
    let mut ctx_prob: Vec<Vec<f64>> = Vec::with_capacity(model.order());
    for j in 1..model.order() {
        let o = counts.order(j);
        let probs = (0..o.len() as u32)
            .map(|id| {
                let words = counts.words(j, id);
                if j == 1 {
                    return if words[0] == BOS { 1.0 } else { model.log_prob(&[], words[0]).exp() };
                }
                let prefix = ctx_prob[j - 2][o.history[id as usize] as usize];
                prefix * model.log_prob(&words[..j - 1], words[j - 1]).exp()
            })
            .collect();
        ctx_prob.push(probs);
    }
    ctx_prob
}

/// The relative entropy D(p ‖ p′) of a pruned model from its original, in nats, computed exactly under
/// the same history weights p(h) that the pruning scores use: histories are grouped by their longest
/// context c in the original model (mass p(c) minus the mass of c's left extensions that are contexts
/// themselves), and for each context
///
/// K(c) = Σ_{x∈F(c)} p(x|c) ln(p(x|c)/p′(x|c)) + α(c) [ln(α(c)/α′(c)) (1 − Σ_{x∈F(c)} p(x|c′)) + K(c′)
///        − Σ_{x∈F(c)} p(x|c′) ln(p(x|c′)/p′(x|c′))],
///
/// the exact Σ over the whole vocabulary, because every word outside F(c) backs off in both models.
/// Removing a single n-gram makes this equal to its score; with many removed it differs from the sum of
/// the scores only by their interactions.
pub fn divergence(original: &Model, pruned: &Model) -> f64 {
    let counts = original.counts();
    let m = original.order();
    let ctx_prob = context_probs(original);
    let k = context_kl(original, pruned);
    let mut total = 0.0;
    // Mass of histories whose longest context is c.
    for j in 1..m {
        let mut mass = ctx_prob[j - 1].clone();
        if j + 1 < m {
            let up = counts.order(j + 1);
            for (id, &p) in ctx_prob[j].iter().enumerate() {
                mass[up.suffix[id] as usize] -= p;
            }
        }
        total += mass.iter().zip(&k[j]).map(|(w, kk)| w * kk).sum::<f64>();
    }
    total
}

/// E_{h∼text} KL(p(·|h) ‖ p′(·|h)) in nats per predicted token: the divergence of a pruned model from its
/// original over the histories of a text (the training text: "on the training distribution"), each
/// conditional compared exactly over the whole vocabulary.
pub fn divergence_on(original: &Model, pruned: &Model, tokens: &[u32]) -> f64 {
    let k = context_kl(original, pruned);
    let (mut total, mut n) = (0.0, 0u64);
    for i in 0..tokens.len() {
        if tokens[i] == BOS {
            continue;
        }
        let chain = original.contexts(shannon_tokens::history(tokens, i, original.order() - 1));
        let j = chain.len() - 1;
        total += k[j][chain[j] as usize];
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        total / n as f64
    }
}

/// K(c) = KL(p(·|c) ‖ p′(·|c)) in nats for every context of orders 0..m−1 (see [`divergence`]).
fn context_kl(original: &Model, pruned: &Model) -> Vec<Vec<f64>> {
    let counts = original.counts();
    let m = original.order();
    // Order 0: the empty context, unchanged unigrams.
    let mut k: Vec<Vec<f64>> = vec![vec![0.0]];
    for j in 1..m {
        let o = counts.order(j);
        let mut kj = vec![0.0; o.len()];
        for ctx in 0..o.len() as u32 {
            let followers = original.followers(j + 1, ctx);
            if followers.is_empty() {
                // No word is stored after c: it backs off entirely, in both models.
                kj[ctx as usize] = if j == 1 { 0.0 } else { k[j - 1][o.suffix[ctx as usize] as usize] };
                continue;
            }
            let words = counts.words(j, ctx);
            let lower = &words[1..];
            let (mut own, mut lower_mass, mut lower_own) = (0.0, 0.0, 0.0);
            for &id in followers {
                let x = *counts.words(j + 1, id).last().unwrap();
                let (p, q) = (original.log_prob(&words, x), pruned.log_prob(&words, x));
                own += p.exp() * (p - q);
                let (pl, ql) = (original.log_prob(lower, x), pruned.log_prob(lower, x));
                lower_mass += pl.exp();
                lower_own += pl.exp() * (pl - ql);
            }
            let ln_alpha = original.stored_log_backoff(j, ctx).unwrap();
            let ln_alpha_new = pruned.counts().find(&words).map_or(0.0, |c| pruned.stored_log_backoff(j, c).unwrap());
            let k_lower = if j == 1 { 0.0 } else { k[j - 1][o.suffix[ctx as usize] as usize] };
            kj[ctx as usize] =
                own + ln_alpha.exp() * ((ln_alpha - ln_alpha_new) * (1.0 - lower_mass) + k_lower - lower_own);
        }
        k.push(kj);
    }
    k
}

/// Prunes a backoff-form model at threshold `theta` (nats of relative entropy per n-gram). `None` for
/// count-form models (mle, add-k), which have no backoff weights to recompute.
pub fn prune(model: &Model, theta: f64) -> Option<Pruned> {
    let Form::Backoff { log_prob, log_backoff } = &model.form else { return None };
    let counts = model.counts();
    let m = model.order();

    let ctx_prob = context_probs(model);

    // Score every n-gram of orders 2..=m.
    let mut score: Vec<Vec<f64>> = vec![Vec::new()];
    for n in 2..=m {
        let o = counts.order(n);
        let mut d = vec![f64::INFINITY; o.len()];
        for ctx in 0..counts.order(n - 1).len() as u32 {
            let followers = model.followers(n, ctx);
            if followers.is_empty() {
                continue;
            }
            let p_h = ctx_prob[n - 2][ctx as usize];
            let (mut seen, mut seen_lower) = (0.0, 0.0);
            for &id in followers {
                seen += log_prob[n - 1][id as usize].exp();
                seen_lower += log_prob[n - 2][o.suffix[id as usize] as usize].exp();
            }
            let (bo_mass, bo_lower) = (1.0 - seen, 1.0 - seen_lower);
            let ln_alpha = log_backoff[n - 2][ctx as usize];
            for &id in followers {
                let p = log_prob[n - 1][id as usize].exp();
                let p_lower = log_prob[n - 2][o.suffix[id as usize] as usize].exp();
                let ln_alpha_new = ((bo_mass + p) / (bo_lower + p_lower)).ln();
                d[id as usize] =
                    -p_h * (p * (p_lower.ln() + ln_alpha_new - p.ln()) + (ln_alpha_new - ln_alpha) * bo_mass);
            }
        }
        score.push(d);
    }

    // Decide top-down what stays.
    let mut keep: Vec<Vec<bool>> = (1..=m).map(|n| vec![true; counts.order(n).len()]).collect();
    let mut predicted = 0.0;
    let mut removed = vec![0u64; m];
    for n in (2..=m).rev() {
        let o = counts.order(n);
        let mut needed = vec![false; o.len()];
        if n < m {
            let up = counts.order(n + 1);
            for (id, &k) in keep[n].iter().enumerate() {
                if k {
                    needed[up.history[id] as usize] = true;
                    needed[up.suffix[id] as usize] = true;
                }
            }
        }
        for id in 0..o.len() {
            if score[n - 1][id] < theta && !needed[id] {
                keep[n - 1][id] = false;
                removed[n - 1] += 1;
                predicted += score[n - 1][id];
            }
        }
    }

    // Renumber the kept n-grams (in their original, sorted order) and rebuild the structure.
    let mut orders: Vec<Order> = vec![counts.order(1).clone()];
    let mut new_prob = vec![log_prob[0].clone()];
    let mut new_id: Vec<Vec<u32>> = vec![(0..counts.order(1).len() as u32).collect()];
    for n in 2..=m {
        let o = counts.order(n);
        let mut map = vec![NONE; o.len()];
        let mut next = Order {
            n,
            first: Vec::new(),
            suffix: Vec::new(),
            history: Vec::new(),
            count: Vec::new(),
            index: HashMap::new(),
        };
        let mut probs = Vec::new();
        for id in 0..o.len() {
            if !keep[n - 1][id] {
                continue;
            }
            let nid = next.first.len() as u32;
            map[id] = nid;
            let suffix = new_id[n - 2][o.suffix[id] as usize];
            let history = new_id[n - 2][o.history[id] as usize];
            next.first.push(o.first[id]);
            next.suffix.push(suffix);
            next.history.push(history);
            next.count.push(o.count[id]);
            next.index.insert(key(suffix, o.first[id]), nid);
            probs.push(log_prob[n - 1][id]);
        }
        new_id.push(map);
        orders.push(next);
        new_prob.push(probs);
    }
    let counts = Arc::new(Counts { orders, tokens: counts.tokens });
    let log_backoff: Vec<Vec<f64>> = (1..=m).map(|n| vec![0.0; counts.order(n).len()]).collect();
    let mut pruned = Model {
        order: m,
        smoothing: model.smoothing,
        counts,
        predictable: model.predictable.clone(),
        vocab: model.vocab,
        form: Form::Backoff { log_prob: new_prob, log_backoff },
        summary: model.summary.clone(),
        followers: Default::default(),
    };
    pruned.summary.ngrams = (1..=m).map(|n| pruned.counts.order(n).len() as u64).collect();

    // Backoff weights, bottom-up: α′(h) = (1 − Σ_{F′(h)} p(x|h)) / (1 − Σ_{F′(h)} p′(x|h′)), where p′(x|h′)
    // is the pruned model's own lower-order probability (final once lower orders are done).
    for j in 1..m {
        let weights: Vec<f64> = (0..pruned.counts.order(j).len() as u32)
            .map(|ctx| {
                let followers = pruned.followers(j + 1, ctx);
                if followers.is_empty() {
                    return 0.0;
                }
                let words = pruned.counts.words(j, ctx);
                let Form::Backoff { log_prob, .. } = &pruned.form else { unreachable!() };
                let (mut seen, mut seen_lower) = (0.0, 0.0);
                for &id in followers {
                    seen += log_prob[j][id as usize].exp();
                    let w = pruned.counts.words(j + 1, id);
                    seen_lower += pruned.log_prob(&words[1..], *w.last().unwrap()).exp();
                }
                ((1.0 - seen).max(0.0) / (1.0 - seen_lower).max(f64::MIN_POSITIVE)).ln()
            })
            .collect();
        if let Form::Backoff { log_backoff, .. } = &mut pruned.form {
            log_backoff[j - 1] = weights;
        }
    }
    Some(Pruned { model: pruned, removed, predicted_kl_nats: predicted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Smoothing;
    use shannon_tokens::Vocab;

    fn genesis(order: usize) -> (Vocab, Vec<u32>, Model) {
        let (vocab, ids) = crate::fixture::genesis(true);
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), order));
        (vocab, ids.clone(), Model::estimate(counts, order, Smoothing::Mkn, true).unwrap())
    }

    #[test]
    fn threshold_zero_keeps_everything_and_the_same_probabilities() {
        let (vocab, ids, model) = genesis(3);
        let p = prune(&model, f64::NEG_INFINITY).unwrap();
        assert_eq!(p.removed, vec![0, 0, 0]);
        for i in 1..ids.len() {
            let h = &ids[i.saturating_sub(2)..i];
            for w in 0..vocab.len() as u32 {
                let (a, b) = (model.log_prob(h, w), p.model.log_prob(h, w));
                assert!(a == b || (a - b).abs() < 1e-9, "{a} {b}");
            }
        }
    }

    #[test]
    fn divergences_equal_brute_force_sums_over_the_vocabulary() {
        let (vocab, ids, model) = genesis(3);
        let p = prune(&model, 2e-3).unwrap();
        assert!(p.removed.iter().sum::<u64>() > 10);
        // E_{h∼text} KL by brute force over every word.
        let (mut total, mut n) = (0.0, 0);
        for i in 0..ids.len() {
            if ids[i] == BOS {
                continue;
            }
            let h = shannon_tokens::history(&ids, i, 2);
            for w in 0..vocab.len() as u32 {
                let (a, b) = (model.log_prob(h, w), p.model.log_prob(h, w));
                if a > f64::NEG_INFINITY {
                    total += a.exp() * (a - b);
                }
            }
            n += 1;
        }
        let brute = total / n as f64;
        let fast = divergence_on(&model, &p.model, &ids);
        assert!((brute - fast).abs() < 1e-12, "{brute} vs {fast}");
        // The model-weighted divergence is of the same size as the sum of the scores.
        let exact = divergence(&model, &p.model);
        assert!(exact > 0.0 && p.predicted_kl_nats > 0.0);
        assert!((exact / p.predicted_kl_nats - 1.0).abs() < 0.5, "{exact} vs {}", p.predicted_kl_nats);
    }

    #[test]
    fn pruned_models_are_normalized_and_smaller_as_theta_grows() {
        let (vocab, ids, model) = genesis(3);
        let mut last = u64::MAX;
        for theta in [1e-5, 1e-4, 1e-3, 100.0] {
            let p = prune(&model, theta).unwrap();
            let size: u64 = p.model.summary().ngrams.iter().sum();
            assert!(size <= last);
            last = size;
            assert!(p.predicted_kl_nats >= 0.0);
            for i in (1..ids.len()).step_by(7) {
                let h = &ids[i.saturating_sub(2)..i];
                let total: f64 = (0..vocab.len() as u32).map(|w| p.model.log_prob(h, w).exp()).sum();
                assert!((total - 1.0).abs() < 1e-9, "theta {theta}: {total}");
            }
        }
        // At θ = 100 nats nothing of orders 2 and 3 survives (n-grams after <s>, whose history has
        // probability 1, score above 1 nat).
        assert_eq!(last, model.summary().ngrams[0]);
    }

    #[test]
    fn the_score_of_one_ngram_is_the_divergence_its_removal_causes() {
        // Remove exactly one n-gram by hand (the lowest-scoring trigram) and measure the exact relative
        // entropy D(p‖p′) = Σ_h p(h) Σ_w p(w|h) ln(p(w|h)/p′(w|h)) over its context: it must equal the score.
        let (vocab, _, model) = genesis(3);
        // Bisect θ (geometrically) until exactly one n-gram is removed.
        let (mut lo, mut hi) = (1e-40f64, 10.0f64);
        let mut one = None;
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            let p = prune(&model, mid).unwrap();
            let removed: u64 = p.removed.iter().sum();
            if removed == 0 {
                lo = mid;
            } else if removed == 1 {
                one = Some(p);
                break;
            } else {
                hi = mid;
            }
        }
        let p = one.expect("a threshold that removes exactly one n-gram");
        let n = if p.removed[2] == 1 { 3 } else { 2 };
        // The removed n-gram's context: the one whose follower count dropped.
        let counts = model.counts();
        let mut exact = 0.0;
        for ctx in 0..counts.order(n - 1).len() as u32 {
            let before = model.followers(n, ctx).len();
            let words = counts.words(n - 1, ctx);
            let after = p.model.counts().find(&words).map_or(0, |c| p.model.followers(n, c).len());
            if before != after {
                let p_h: f64 = if words[0] == BOS {
                    (1..words.len()).map(|k| model.log_prob(&words[..k], words[k]).exp()).product()
                } else {
                    model.log_prob(&[], words[0]).exp()
                        * (1..words.len()).map(|k| model.log_prob(&words[..k], words[k]).exp()).product::<f64>()
                };
                let kl: f64 = (0..vocab.len() as u32)
                    .map(|w| {
                        let (a, b) = (model.log_prob(&words, w), p.model.log_prob(&words, w));
                        if a == f64::NEG_INFINITY {
                            0.0
                        } else {
                            a.exp() * (a - b)
                        }
                    })
                    .sum();
                exact += p_h * kl;
            }
        }
        assert!((exact - p.predicted_kl_nats).abs() < 1e-12, "exact {exact} vs score {}", p.predicted_kl_nats);
    }
}
