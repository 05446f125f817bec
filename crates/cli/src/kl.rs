//! `shannon kl P Q`: how far apart two texts (or two models) are, both ways.
//!
//! For texts, both sides are tokenized into one union vocabulary, counted and smoothed with the same
//! method and order n. At n = 1 the figures compare the two (smoothed) unigram distributions; at n > 1 they
//! are expectations over the histories of the first side's text — KL(P‖Q) = E_{h∼P} KL(P(·|h) ‖ Q(·|h)) —
//! with H(P,Q) and H(P) averaged the same way, so KL = H(P,Q) − H(P) holds exactly. JS is averaged over the
//! mixture of both texts' histories and is at most 1 bit.
//!
//! For two models (ARPA or binary) only unigram distributions are compared (a model alone has no history distribution):
//! words one model does not know share its `<unk>` probability equally, so both distributions are proper
//! over the union vocabulary.
//!
//! Per-history work is split into fixed blocks and summed in block order, so results are identical for any
//! thread count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use shannon_model::{Model, Smoothing};
use shannon_report::kl::{Contribution, Infinite, KlReport, KL_SCHEMA};
use shannon_report::{Input, Tool};
use shannon_tokens::{Sentences, Vocab, BOS, EOS, UNK};

use crate::progress::Progress;
use crate::{describe, open, pipeline, TextConfig};

/// A validated `kl` configuration.
#[derive(Debug, Clone)]
pub struct KlConfig {
    /// The first side: files/directories of text, or one ARPA model.
    pub p: Vec<PathBuf>,
    /// The second side.
    pub q: Vec<PathBuf>,
    /// Tokenizer (texts only).
    pub text: TextConfig,
    /// History length + 1 (texts only; models: 1).
    pub order: usize,
    /// Smoothing of both sides (texts only).
    pub smoothing: Smoothing,
    /// Words listed per direction.
    pub top: usize,
}

/// One side: a model and, for each union id, its own id (`None`: a word it does not know).
struct Side {
    model: Model,
    ids: Vec<Option<u32>>,
    /// Probability share of each unknown word: p(<unk>) / (unknown words + 1).
    unknown_share: f64,
}

impl Side {
    /// The distribution over the union vocabulary's predictable ids after `history` (union ids).
    fn dist(&self, history: &[u32], support: &[u32], out: &mut Vec<f64>) {
        let h: Vec<u32> = history.iter().map(|&w| self.ids[w as usize].unwrap_or(UNK)).collect();
        out.clear();
        let unk = self.model.log_prob(&h, UNK).exp();
        for &w in support {
            out.push(match self.ids[w as usize] {
                Some(UNK) => unk * self.unknown_share,
                Some(id) => self.model.log_prob(&h, id).exp(),
                None => unk * self.unknown_share,
            });
        }
    }
}

/// Whether a path is a model file: shannon's binary format, or ARPA (its first non-empty line is `\data\`,
/// after decompression).
fn is_model(path: &Path) -> bool {
    let Ok(source) = shannon_corpus::Source::open(path) else { return false };
    let bytes = source.as_ref();
    shannon_model::binary::is_binary(bytes)
        || String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).trim_start().starts_with("\\data\\")
}

fn file_input(path: &Path) -> Result<Input> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Input {
        path: path.display().to_string(),
        bytes: bytes.len() as u64,
        sha256: shannon_corpus::sha256_hex(&bytes),
    })
}

/// Distinct histories (union ids, at most order − 1 tokens, not reaching before `<s>`) with their
/// relative frequency, sorted.
fn histories(tokens: &[u32], order: usize) -> Vec<(Vec<u32>, f64)> {
    let mut counts: HashMap<&[u32], u64> = HashMap::new();
    let mut total = 0u64;
    for i in 0..tokens.len() {
        if tokens[i] != BOS {
            *counts.entry(shannon_eval::history(tokens, i, order - 1)).or_insert(0) += 1;
            total += 1;
        }
    }
    let mut out: Vec<(Vec<u32>, f64)> =
        counts.into_iter().map(|(h, c)| (h.to_vec(), c as f64 / total as f64)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Sums over histories for one direction A → B.
#[derive(Default, Clone)]
struct Direction {
    cross: f64,
    entropy: f64,
    /// Per support index: Σ π p log2(p/q), Σ π p, Σ π q.
    contrib: Vec<f64>,
    p_mass: Vec<f64>,
    q_mass: Vec<f64>,
    /// Per support index: mass of p where q = 0.
    infinite: Vec<f64>,
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
}

const BLOCK: usize = 64;

fn direction(a: &Side, b: &Side, hist: &[(Vec<u32>, f64)], support: &[u32]) -> Direction {
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

fn js(a: &Side, b: &Side, hist: &[(Vec<u32>, f64)], support: &[u32]) -> f64 {
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

fn top(d: &Direction, support: &[u32], vocab: &Vocab, n: usize) -> Vec<Contribution> {
    let mut idx: Vec<usize> = (0..support.len()).filter(|&i| d.contrib[i] != 0.0).collect();
    idx.sort_by(|&x, &y| d.contrib[y].total_cmp(&d.contrib[x]).then(x.cmp(&y)));
    idx.into_iter()
        .take(n)
        .map(|i| Contribution {
            word: vocab.string(support[i]).to_string(),
            bits: d.contrib[i],
            p: d.p_mass[i],
            q: d.q_mass[i],
        })
        .collect()
}

fn infinite(d: &Direction, support: &[u32], vocab: &Vocab, first: &str, second: &str) -> Option<Infinite> {
    let mut idx: Vec<usize> = (0..support.len()).filter(|&i| d.infinite[i] > 0.0).collect();
    if idx.is_empty() {
        return None;
    }
    idx.sort_by(|&x, &y| d.infinite[y].total_cmp(&d.infinite[x]).then(x.cmp(&y)));
    Some(Infinite {
        reason: format!(
            "{} words have positive probability under {first} and probability 0 under {second} (unsmoothed mle), so KL({first}‖{second}) is infinite",
            idx.len()
        ),
        count: idx.len() as u64,
        words: idx.iter().take(100).map(|&i| vocab.string(support[i]).to_string()).collect(),
    })
}

/// Runs `kl`.
pub fn run(config: &KlConfig, progress: &Progress) -> Result<KlReport> {
    let models = (config.p.len() == 1 && is_model(&config.p[0]), config.q.len() == 1 && is_model(&config.q[0]));
    let (vocab, p, q, hp, hq, p_inputs, q_inputs, sentences, order, smoothing) = match models {
        (true, true) => {
            let load = |path: &Path| -> Result<(Vocab, Model)> { crate::score::load(path)?.into_model() };
            let ((pv, pm), (qv, qm)) = (load(&config.p[0])?, load(&config.q[0])?);
            let mut union = pv.clone();
            for s in qv.strings().skip(3) {
                union.intern(s);
            }
            let side = |v: &Vocab, m: Model| {
                let ids: Vec<Option<u32>> =
                    (0..union.len() as u32).map(|w| if w < 3 { Some(w) } else { v.lookup(union.string(w)) }).collect();
                let unknown = ids.iter().filter(|i| i.is_none()).count();
                Side { model: m, ids, unknown_share: 1.0 / (unknown + 1) as f64 }
            };
            let sentences = pm.is_predictable(EOS) || qm.is_predictable(EOS);
            let (p, q) = (side(&pv, pm), side(&qv, qm));
            let one = vec![(Vec::new(), 1.0)];
            (
                union,
                p,
                q,
                one.clone(),
                one,
                vec![file_input(&config.p[0])?],
                vec![file_input(&config.q[0])?],
                sentences,
                1,
                "as stored".to_string(),
            )
        }
        (false, false) => {
            let tok = &config.text.tokenizer;
            let (pc, qc) = (open(&config.p)?, open(&config.q)?);
            let hidden = progress.bytes(pc.bytes() + qc.bytes(), "tokenize");
            let (mut vocab, ps) = pipeline::tokenize_train(&pc, &pc.whole(), tok, config.text.lossy, &hidden)?;
            let qs = pipeline::tokenize_extend(&qc, &qc.whole(), tok, config.text.lossy, &mut vocab, &hidden)?;
            hidden.finish_and_clear();
            for (s, paths) in [(&ps, &config.p), (&qs, &config.q)] {
                if s.tokens == 0 {
                    bail!("{}: empty corpus: no {} tokens", describe(paths), tok.kind.name());
                }
            }
            let sentences = tok.sentences == Sentences::Lines;
            let side = |s: &pipeline::Stream| -> Result<Side> {
                let counts = pipeline::count(s, &vocab, config.order);
                let model = Model::estimate(counts, config.order, config.smoothing, sentences)?;
                Ok(Side { model, ids: (0..vocab.len() as u32).map(Some).collect(), unknown_share: 1.0 })
            };
            let (p, q) = (side(&ps)?, side(&qs)?);
            let (hp, hq) = (histories(&ps.ids, config.order), histories(&qs.ids, config.order));
            (
                vocab,
                p,
                q,
                hp,
                hq,
                crate::inputs(&pc),
                crate::inputs(&qc),
                sentences,
                config.order,
                config.smoothing.to_string(),
            )
        }
        _ => bail!(
            "kl compares two texts or two ARPA models, not one of each ({} vs {})",
            describe(&config.p),
            describe(&config.q)
        ),
    };
    let support: Vec<u32> = (0..vocab.len() as u32).filter(|&w| w != BOS && (sentences || w != EOS)).collect();
    let spinner = progress.spinner("divergences");
    let pq = direction(&p, &q, &hp, &support);
    let qp = direction(&q, &p, &hq, &support);
    // JS over the mixture of both history distributions.
    let mut mix: HashMap<Vec<u32>, f64> = HashMap::new();
    for (h, w) in hp.iter().chain(&hq) {
        *mix.entry(h.clone()).or_insert(0.0) += 0.5 * w;
    }
    let mut mix: Vec<(Vec<u32>, f64)> = mix.into_iter().collect();
    mix.sort_by(|a, b| a.0.cmp(&b.0));
    let js_bits = js(&p, &q, &mix, &support);
    spinner.finish_and_clear();
    let finite = |d: &Direction, x: f64| d.infinite.iter().all(|&m| m == 0.0).then_some(x);
    Ok(KlReport {
        schema: KL_SCHEMA.into(),
        tool: Tool { name: "shannon".into(), version: env!("CARGO_PKG_VERSION").into() },
        p: p_inputs,
        q: q_inputs,
        tokenizer: config.text.tokenizer,
        order,
        smoothing,
        vocabulary: support.len() as u64,
        kl_pq_bits: finite(&pq, pq.contrib.iter().sum::<f64>().max(0.0)),
        kl_qp_bits: finite(&qp, qp.contrib.iter().sum::<f64>().max(0.0)),
        js_bits,
        cross_entropy_pq_bits: finite(&pq, pq.cross),
        cross_entropy_qp_bits: finite(&qp, qp.cross),
        entropy_p_bits: pq.entropy,
        entropy_q_bits: qp.entropy,
        top_pq: top(&pq, &support, &vocab, config.top),
        top_qp: top(&qp, &support, &vocab, config.top),
        infinite_pq: infinite(&pq, &support, &vocab, "P", "Q"),
        infinite_qp: infinite(&qp, &support, &vocab, "Q", "P"),
        histories: [hp.len() as u64, hq.len() as u64],
    })
}

/// The human summary printed on stdout.
pub fn summary(r: &KlReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let f = |x: Option<f64>| x.map_or("inf".to_string(), |v| format!("{v:.4}"));
    let names = |i: &[Input]| i.iter().map(|x| x.path.clone()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(s, "P = {}\nQ = {}", names(&r.p), names(&r.q));
    let _ = writeln!(s, "order {}, smoothing {}, union vocabulary {}", r.order, r.smoothing, r.vocabulary);
    let _ = writeln!(
        s,
        "KL(P‖Q) = {} bits = H(P,Q) {} − H(P) {:.4}",
        f(r.kl_pq_bits),
        f(r.cross_entropy_pq_bits),
        r.entropy_p_bits
    );
    let _ = writeln!(
        s,
        "KL(Q‖P) = {} bits = H(Q,P) {} − H(Q) {:.4}",
        f(r.kl_qp_bits),
        f(r.cross_entropy_qp_bits),
        r.entropy_q_bits
    );
    let _ = writeln!(s, "JS(P,Q) = {:.4} bits", r.js_bits);
    for (title, list, inf) in [("KL(P‖Q)", &r.top_pq, &r.infinite_pq), ("KL(Q‖P)", &r.top_qp, &r.infinite_qp)] {
        let _ = writeln!(s, "largest contributions to {title}:");
        for c in list {
            let _ = writeln!(s, "  {:<20} {:>9.5} bits  (p {:.5}, q {:.5})", c.word, c.bits, c.p, c.q);
        }
        if let Some(i) = inf {
            let _ = writeln!(
                s,
                "  infinite: {}; e.g. {}",
                i.reason,
                i.words.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    s
}
