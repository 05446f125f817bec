//! # Wire format: `shannon.kl/1`
//!
//! The divergence between two texts (or models) P and Q: `p` and `q` (inputs), `tokenizer`, `order`,
//! `smoothing`, then in bits: `kl_pq_bits` = KL(P‖Q), `kl_qp_bits` = KL(Q‖P), `js_bits` (Jensen–Shannon,
//! ≤ 1), `cross_entropy_pq_bits` = H(P,Q), `cross_entropy_qp_bits`, `entropy_p_bits`, `entropy_q_bits` —
//! so that KL(P‖Q) = H(P,Q) − H(P) can be read off — and `top_pq` / `top_qp`: the words contributing most
//! to each direction. At order n > 1 every figure is an expectation over histories of length n − 1 drawn
//! from the first distribution's text: E_{h∼P} KL(P(·|h) ‖ Q(·|h)), and JS over the mixture of both texts'
//! histories. An infinite divergence (mle, a word of P that Q never saw) is `null`, and `infinite_pq` /
//! `infinite_qp` say why and list the words.

use serde::{Deserialize, Serialize};
use shannon_tokens::Tokenizer;

use crate::{Input, Tool};

/// The schema tag of divergence reports.
pub const KL_SCHEMA: &str = "shannon.kl/1";

/// One word's share of a divergence (computed by `shannon_eval::divergence`).
pub use shannon_eval::divergence::Contribution;

/// Why a divergence is infinite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Infinite {
    /// In words.
    pub reason: String,
    /// Words with positive probability under the first distribution and zero under the second (up to 100,
    /// most probable first).
    pub words: Vec<String>,
    /// How many such words there are in all.
    pub count: u64,
}

/// A `shannon kl` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KlReport {
    /// Always [`KL_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: Tool,
    /// The first text or model.
    pub p: Vec<Input>,
    /// The second.
    pub q: Vec<Input>,
    /// How text became tokens.
    pub tokenizer: Tokenizer,
    /// History length + 1.
    pub order: usize,
    /// Smoothing of both sides.
    pub smoothing: String,
    /// Size of the union vocabulary the distributions are over.
    pub vocabulary: u64,
    /// KL(P‖Q), bits; `null` when infinite.
    pub kl_pq_bits: Option<f64>,
    /// KL(Q‖P), bits; `null` when infinite.
    pub kl_qp_bits: Option<f64>,
    /// Jensen–Shannon divergence, bits (≤ 1).
    pub js_bits: f64,
    /// H(P,Q); `null` when infinite.
    pub cross_entropy_pq_bits: Option<f64>,
    /// H(Q,P); `null` when infinite.
    pub cross_entropy_qp_bits: Option<f64>,
    /// H(P).
    pub entropy_p_bits: f64,
    /// H(Q).
    pub entropy_q_bits: f64,
    /// Words contributing most to KL(P‖Q).
    pub top_pq: Vec<Contribution>,
    /// Words contributing most to KL(Q‖P).
    pub top_qp: Vec<Contribution>,
    /// Why KL(P‖Q) is infinite, if it is.
    pub infinite_pq: Option<Infinite>,
    /// Why KL(Q‖P) is infinite, if it is.
    pub infinite_qp: Option<Infinite>,
    /// Distinct histories averaged over, from P's and from Q's text.
    pub histories: [u64; 2],
}
