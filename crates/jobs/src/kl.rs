//! `shannon kl P Q`: how far apart two texts (or two models) are, both ways, as a `shannon.kl/1` report.
//!
//! For texts, both sides are tokenized into one union vocabulary, counted and smoothed with the same
//! method and order n; the figures are expectations over the first side's histories (see
//! `shannon_eval::divergence`, which computes them). For two models (ARPA or binary) only unigram
//! distributions are compared (a model alone has no history distribution): words one model does not know
//! share its `<unk>` probability equally, so both distributions are proper over the union vocabulary.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shannon_eval::divergence::{self, Direction, Side};
use shannon_model::{Model, Smoothing};
use shannon_report::kl::{Contribution, Infinite, KlReport, KL_SCHEMA};
use shannon_report::Input;
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{Sentences, TokenKind, Vocab, EOS};

use crate::progress::{stage, Progress, Unit};
use crate::text::{check_order, corpus_name, describe, inputs, name_part, open, stem, text_parts};
use crate::{ConfigError, DocumentOptions, Error, Result, TextConfig};

/// The words listed for each direction when no number is given.
pub const DEFAULT_TOP: usize = 20;
/// The order compared when none is given: unigram distributions.
pub const DEFAULT_ORDER: usize = 1;

/// A `kl` configuration: [`KlConfig::new`] gives the defaults, [`KlConfig::validate`] checks every
/// setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct KlConfig {
    /// The first side: files/directories of text, or one model file.
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
    /// How files of documents (JSON Lines) are read: format, text and id fields, bad records.
    pub documents: DocumentOptions,
}

impl KlConfig {
    /// The defaults for `p` and `q` read as `text`: unigrams, mkn, 20 words per direction.
    pub fn new(p: Vec<PathBuf>, q: Vec<PathBuf>, text: TextConfig) -> KlConfig {
        KlConfig {
            p,
            q,
            text,
            order: DEFAULT_ORDER,
            smoothing: Smoothing::Mkn,
            top: DEFAULT_TOP,
            documents: DocumentOptions::default(),
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_order("order", self.order)
    }

    /// The report's default file stem: `kl-<P>-<Q>`, followed by every setting that differs from the
    /// defaults (tokenizer, case, sentences, order, smoothing, words listed).
    pub fn report_stem(&self) -> String {
        let mut parts = text_parts(&self.text, TokenKind::Words, Sentences::Lines);
        if self.order != DEFAULT_ORDER {
            parts.push(format!("o{}", self.order));
        }
        if self.smoothing != Smoothing::Mkn {
            parts.push(name_part(&self.smoothing.to_string()));
        }
        if self.top != DEFAULT_TOP {
            parts.push(format!("top{}", self.top));
        }
        let name = format!("{}-{}", corpus_name(&self.p), corpus_name(&self.q));
        stem("kl", &name, &parts)
    }
}

/// Whether a path is a model file: shannon's binary format, or ARPA text (a `\data\` line near its start,
/// after decompression).
fn is_model(path: &Path) -> bool {
    let Ok(source) = shannon_corpus::Source::open(path) else { return false };
    let bytes = source.as_ref();
    shannon_model::binary::is_binary(bytes) || crate::model_file::looks_like_arpa(bytes)
}

fn file_input(path: &Path) -> Result<Input> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    Ok(Input {
        path: path.display().to_string(),
        bytes: bytes.len() as u64,
        sha256: shannon_corpus::sha256_hex(&bytes),
        documents: None,
    })
}

fn top(d: &Direction, support: &[u32], vocab: &Vocab, n: usize) -> Vec<Contribution> {
    d.top(n)
        .into_iter()
        .map(|c| Contribution { word: vocab.string(support[c.word]).to_string(), bits: c.bits, p: c.p, q: c.q })
        .collect()
}

fn infinite(d: &Direction, support: &[u32], vocab: &Vocab, first: &str, second: &str) -> Option<Infinite> {
    let idx = d.infinite_words();
    if idx.is_empty() {
        return None;
    }
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
pub fn run(config: &KlConfig, progress: &dyn Progress) -> Result<KlReport> {
    config.validate()?;
    let models = (config.p.len() == 1 && is_model(&config.p[0]), config.q.len() == 1 && is_model(&config.q[0]));
    let (vocab, p, q, hp, hq, p_inputs, q_inputs, sentences, order, smoothing) = match models {
        (true, true) => {
            let load = |path: &Path| -> Result<(Vocab, Model)> { crate::model_file::load(path)?.into_model() };
            let ((pv, pm), (qv, qm)) = (load(&config.p[0])?, load(&config.q[0])?);
            let mut union = pv.clone();
            for s in qv.strings().skip(3) {
                union.intern(s);
            }
            let side = |v: &Vocab, m: Model| {
                let ids: Vec<Option<u32>> =
                    (0..union.len() as u32).map(|w| if w < 3 { Some(w) } else { v.lookup(union.string(w)) }).collect();
                Side::mapped(m, ids)
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
            let docs = (&config.documents, config.text.lossy);
            let (pc, qc) = (open(&config.p, docs, progress)?, open(&config.q, docs, progress)?);
            let (tokenized, _) = stage(progress, "tokenize", Some(pc.bytes() + qc.bytes()), Unit::Bytes, || {
                let advance = |n| progress.advance(n);
                let (mut vocab, ps) = stream::tokenize_train(&pc, &pc.whole(), tok, config.text.lossy, &advance)?;
                let qs = stream::tokenize_extend(&qc, &qc.whole(), tok, config.text.lossy, &mut vocab, &advance)?;
                Ok::<_, Error>((vocab, ps, qs))
            })?;
            let (vocab, ps, qs) = tokenized?;
            for (s, paths) in [(&ps, &config.p), (&qs, &config.q)] {
                if s.tokens == 0 {
                    return Err(Error::Input(format!(
                        "{}: empty corpus: no {} tokens",
                        describe(paths),
                        tok.kind.name()
                    )));
                }
            }
            let sentences = tok.sentences == Sentences::Lines;
            let side = |s: &Stream| -> Result<Side> {
                let counts =
                    Arc::new(shannon_counts::count_within(&s.ids, vocab.len(), config.order, &Default::default())?);
                let model = Model::estimate(counts, config.order, config.smoothing, sentences)?;
                Ok(Side::same_vocab(model, vocab.len()))
            };
            let (p, q) = (side(&ps)?, side(&qs)?);
            let (hp, hq) = (divergence::histories(&ps.ids, config.order), divergence::histories(&qs.ids, config.order));
            (vocab, p, q, hp, hq, inputs(&pc), inputs(&qc), sentences, config.order, config.smoothing.to_string())
        }
        _ => {
            return Err(Error::Input(format!(
                "kl compares two texts or two models, not one of each ({} vs {})",
                describe(&config.p),
                describe(&config.q)
            )))
        }
    };
    let predictable = shannon_model::predictable(vocab.len(), sentences);
    let support: Vec<u32> = (0..vocab.len() as u32).filter(|&w| predictable[w as usize]).collect();
    let ((pq, qp, js_bits), _) = stage(progress, "divergences", None, Unit::Steps, || {
        let pq = divergence::direction(&p, &q, &hp, &support);
        let qp = divergence::direction(&q, &p, &hq, &support);
        // JS over the mixture of both history distributions.
        let js = divergence::js(&p, &q, &divergence::mixture(&hp, &hq), &support);
        (pq, qp, js)
    })?;
    Ok(KlReport {
        schema: KL_SCHEMA.into(),
        tool: crate::tool(),
        p: p_inputs,
        q: q_inputs,
        tokenizer: config.text.tokenizer,
        order,
        smoothing,
        vocabulary: support.len() as u64,
        kl_pq_bits: pq.kl(),
        kl_qp_bits: qp.kl(),
        js_bits,
        cross_entropy_pq_bits: pq.cross_entropy(),
        cross_entropy_qp_bits: qp.cross_entropy(),
        entropy_p_bits: pq.entropy,
        entropy_q_bits: qp.entropy,
        top_pq: top(&pq, &support, &vocab, config.top),
        top_qp: top(&qp, &support, &vocab, config.top),
        infinite_pq: infinite(&pq, &support, &vocab, "P", "Q"),
        infinite_qp: infinite(&qp, &support, &vocab, "Q", "P"),
        histories: [hp.len() as u64, hq.len() as u64],
    })
}
