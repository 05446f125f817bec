//! `add-k:auto`: the additive pseudo-count chosen by maximizing the likelihood of a development split of
//! the training text — MAP smoothing with the prior's strength set by held-out data, never by the test set.
//!
//! The development split is the last 10% of the training sentences (of the tokens, without sentences);
//! counts come from the rest. The search is over log10 k: a grid from 10^-4 to 10^1 in half-decade steps,
//! then golden-section refinement around the best grid point. The held-out cross-entropy of add-k is
//! smooth and, in practice, unimodal in log k; every point tried is reported as the tuning curve.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shannon_counts::Counts;
use shannon_model::{Model, Smoothing};
use shannon_tokens::BOS;

/// One point of add-k's pseudo-count search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningPoint {
    /// The pseudo-count.
    pub k: f64,
    /// Cross-entropy on the development split, bits per token.
    pub dev_cross_entropy_bits: f64,
}

/// A training stream cut into a counting part and a development part.
pub struct DevSplit {
    /// Counts of the first 90% of the training text, up to the comparison's highest order.
    pub counts: Arc<Counts>,
    /// The last 10% (token ids with markers).
    pub dev: Vec<u32>,
}

impl DevSplit {
    /// Cuts `train` (ids with markers) at 90% of its sentences, or of its tokens when it has none.
    pub fn new(train: &[u32], vocab_size: usize, order: usize) -> DevSplit {
        let starts: Vec<usize> = train.iter().enumerate().filter(|(_, &t)| t == BOS).map(|(i, _)| i).collect();
        let cut = if starts.len() >= 2 {
            starts[(starts.len() as f64 * 0.9).floor() as usize]
        } else {
            (train.len() as f64 * 0.9).floor() as usize
        };
        let counts = Arc::new(shannon_counts::count(&train[..cut], vocab_size, order));
        DevSplit { counts, dev: train[cut..].to_vec() }
    }

    fn cross_entropy(&self, order: usize, k: f64, sentences: bool) -> f64 {
        // `new` counted every order up to the comparison's highest, and add-k takes any k > 0.
        let model = Model::estimate(Arc::clone(&self.counts), order, Smoothing::AddK { k }, sentences)
            .expect("order within counts");
        crate::score(&model, &self.dev, false).cross_entropy_bits().unwrap_or(f64::INFINITY)
    }

    /// The best pseudo-count for a model of `order`, and every point tried (ascending in k).
    pub fn tune(&self, order: usize, sentences: bool) -> (f64, Vec<TuningPoint>) {
        let mut points: Vec<TuningPoint> = Vec::new();
        let eval = |log_k: f64, points: &mut Vec<TuningPoint>| {
            let k = 10f64.powf(log_k);
            let h = self.cross_entropy(order, k, sentences);
            points.push(TuningPoint { k, dev_cross_entropy_bits: h });
            h
        };
        let grid: Vec<f64> = (0..=10).map(|i| -4.0 + 0.5 * i as f64).collect();
        let values: Vec<f64> = grid.iter().map(|&x| eval(x, &mut points)).collect();
        let best = (0..grid.len()).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap();
        // Golden-section search on [best − ½, best + ½] decades; every point tried is on the curve.
        shannon_info::optimize::golden_section_min(
            |x| eval(x, &mut points),
            grid[best] - 0.5,
            grid[best] + 0.5,
            0.0,
            14,
        );
        points.sort_by(|x, y| x.k.total_cmp(&y.k));
        let best = points.iter().min_by(|x, y| x.dev_cross_entropy_bits.total_cmp(&y.dev_cross_entropy_bits)).unwrap();
        (best.k, points)
    }
}
