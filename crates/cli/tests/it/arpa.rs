//! ARPA files against lmplz's (`../shared/reference/kenlm/CORPUS.oN.arpa.xz`), both ways:
//! - shannon's mkn models, built from the same training text and written as ARPA, have the same n-grams as
//!   lmplz's files, with log10 probabilities and backoff weights within 1e-4;
//! - lmplz's files, read by shannon (xz-compressed, as they are), score the test split as KenLM's query did
//!   (`CORPUS.oN.summary`, `CORPUS.oN.sentences`), and so do the same models converted to the binary format.
//!
//! Needs `SHANNON_CORPORA`; ignored by default.

use std::collections::HashMap;
use std::path::PathBuf;

use shannon_tokens::stream::Stream;

use crate::pipeline;
use shannon_corpus::{Corpus, Source};
use shannon_jobs::model_file::Loaded;
use shannon_model::binary::Mapped;
use shannon_model::{arpa, binary, Smoothing};
use shannon_tokens::{Sentences, TokenKind, Tokenizer, Vocab};

pub(crate) fn corpora() -> PathBuf {
    PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA to ../shared/corpora"))
}

pub(crate) fn reference(file: &str) -> PathBuf {
    corpora().join("../reference/kenlm").join(file)
}

const TOKENIZER: Tokenizer =
    Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };

/// The exact split lmplz was trained and queried on (`split_holdout(0.1)`), tokenized like lmplz.
fn split(file: &str) -> (Vocab, Stream, Corpus, Vec<shannon_corpus::Span>) {
    let corpus = Corpus::open(&[corpora().join(file)]).unwrap();
    let (train, test) = corpus.split_holdout(0.1);
    let (vocab, train) = pipeline::tokenize_train(&corpus, &train, &TOKENIZER, false);
    (vocab, train, corpus, test)
}

/// An independent reading of an ARPA file: per order, words → (log10 p, log10 backoff if written).
type Entries<'a> = Vec<HashMap<&'a [u8], (f64, Option<f64>)>>;

fn entries(text: &[u8]) -> Entries<'_> {
    let mut out: Entries = Vec::new();
    let mut in_sections = false;
    for line in text.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"\\") {
            if let Some(n) = rest.strip_suffix(b"-grams:") {
                let n: usize = std::str::from_utf8(n).unwrap().parse().unwrap();
                assert_eq!(n, out.len() + 1);
                out.push(HashMap::new());
                in_sections = true;
            }
            continue;
        }
        if !in_sections || line.is_empty() {
            continue;
        }
        let mut fields = line.split(|&b| b == b'\t');
        let num = |f: &[u8]| std::str::from_utf8(f).unwrap().parse::<f64>().unwrap();
        let p = num(fields.next().unwrap());
        let words = fields.next().unwrap();
        let bo = fields.next().map(num);
        assert!(out.last_mut().unwrap().insert(words, (p, bo)).is_none(), "duplicate n-gram");
    }
    out
}

fn same_ngrams_as_lmplz(name: &str, file: &str) {
    let (vocab, train, _, _) = split(file);
    let counts = pipeline::count(&train, &vocab, 5);
    for order in 2..=5 {
        let model = pipeline::estimate(&counts, order, Smoothing::Mkn, &TOKENIZER);
        let mut ours = Vec::new();
        arpa::write(&model, &vocab, &mut ours).unwrap();
        let lmplz = Source::open(&reference(&format!("{name}.o{order}.arpa.xz"))).unwrap();
        let parity = assert_same_as_lmplz(&format!("{name} o{order}"), &ours, lmplz.as_ref(), order);
        eprintln!("{name} o{order}: {parity}");
    }
}

/// How close an ARPA file came to lmplz's: n-grams compared, and the largest differences.
pub(crate) struct Parity {
    /// N-grams of all orders.
    pub ngrams: usize,
    /// Largest |Δ log10 p| (`<s>`'s unigram aside).
    pub worst_p: f64,
    /// Largest |Δ log10 backoff|.
    pub worst_bo: f64,
}

impl std::fmt::Display for Parity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} n-grams, the same set as lmplz; largest |Δ log10 p| {:.2e}, |Δ log10 bo| {:.2e}",
            self.ngrams, self.worst_p, self.worst_bo
        )
    }
}

/// Checks that `ours` (an ARPA file of `order`) has exactly lmplz's n-grams (`theirs`), with log10
/// probabilities and backoff weights within 1e-4; `label` names the pair in failures.
pub(crate) fn assert_same_as_lmplz(label: &str, ours: &[u8], theirs: &[u8], order: usize) -> Parity {
    let (ours, theirs) = (entries(ours), entries(theirs));
    assert_eq!(ours.len(), order);
    assert_eq!(theirs.len(), order);
    let mut parity = Parity { ngrams: 0, worst_p: 0.0, worst_bo: 0.0 };
    for n in 1..=order {
        let (a, b) = (&ours[n - 1], &theirs[n - 1]);
        assert_eq!(a.len(), b.len(), "{label}: {n}-grams: shannon has {}, lmplz {}", a.len(), b.len());
        parity.ngrams += a.len();
        for (words, &(p, bo)) in a {
            let shown = || String::from_utf8_lossy(words).into_owned();
            let Some(&(lp, lbo)) = b.get(words) else {
                panic!("{label}: {n}-gram '{}' is not in lmplz's file", shown());
            };
            if n == 1 && *words == b"<s>" {
                // The one documented difference: lmplz writes <s> as 0, shannon as -99 ("impossible");
                // readers ignore it (it is never predicted).
                assert_eq!((p, lp), (-99.0, 0.0));
            } else {
                parity.worst_p = parity.worst_p.max((p - lp).abs());
                assert!((p - lp).abs() <= 1e-4, "{label}: p('{}') = {p}, lmplz {lp}", shown());
            }
            // Backoffs: written for every n-gram below the top order by both (an omitted one is 0).
            assert_eq!(bo.is_some(), n < order, "{label}: backoff of '{}'", shown());
            let (bo, lbo) = (bo.unwrap_or(0.0), lbo.unwrap_or(0.0));
            parity.worst_bo = parity.worst_bo.max((bo - lbo).abs());
            assert!((bo - lbo).abs() <= 1e-4, "{label}: bo('{}') = {bo}, lmplz {lbo}", shown());
        }
    }
    parity
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn mkn_arpa_matches_lmplz_ngram_for_ngram_on_bible() {
    same_ngrams_as_lmplz("bible", "canterbury/bible.txt");
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn mkn_arpa_matches_lmplz_ngram_for_ngram_on_book1() {
    same_ngrams_as_lmplz("book1", "calgary/book1");
}

/// query's `-v summary` figures.
fn summary(text: &str) -> HashMap<String, f64> {
    text.lines().filter_map(|l| l.split_once(":\t")).map(|(k, v)| (k.to_string(), v.trim().parse().unwrap())).collect()
}

fn lmplz_files_score_as_query(name: &str, file: &str) {
    let (_, _, corpus, test_spans) = split(file);
    for order in 2..=5 {
        let path = reference(&format!("{name}.o{order}.arpa.xz"));
        let Loaded::Arpa { vocab, model, .. } = shannon_jobs::model_file::load(&path).unwrap() else {
            panic!("{} read as binary", path.display());
        };
        let test = pipeline::tokenize_test(&corpus, &test_spans, &TOKENIZER, false, &vocab);
        let score = pipeline::score(&model, &test, true);
        // The summary: OOVs and tokens exactly; perplexities to 1e-6 relative (query sums each sentence in
        // single precision).
        let want = summary(&std::fs::read_to_string(reference(&format!("{name}.o{order}.summary"))).unwrap());
        assert_eq!(score.oov as f64, want["OOVs"]);
        assert_eq!(score.tokens as f64, want["Tokens"]);
        let ppl = score.perplexity().unwrap();
        let ppl_ex = score.perplexity_excluding_oov().unwrap();
        let (rel, rel_ex) = (
            (ppl / want["Perplexity including OOVs"] - 1.0).abs(),
            (ppl_ex / want["Perplexity excluding OOVs"] - 1.0).abs(),
        );
        assert!(rel < 1e-6, "{name} o{order}: perplexity {ppl} vs query {}", want["Perplexity including OOVs"]);
        assert!(rel_ex < 1e-6, "{name} o{order}: excluding OOVs {ppl_ex} vs {}", want["Perplexity excluding OOVs"]);
        // Every sentence: OOVs exactly, log10 totals to 1e-4 (query prints 8 significant digits of a
        // single-precision sum).
        let sentences = std::fs::read_to_string(reference(&format!("{name}.o{order}.sentences"))).unwrap();
        let totals: Vec<(f64, u64)> = sentences
            .lines()
            .filter_map(|l| l.strip_prefix("Total: "))
            .map(|l| {
                let (t, oov) = l.split_once(" OOV: ").unwrap();
                (t.parse().unwrap(), oov.trim().parse().unwrap())
            })
            .collect();
        assert_eq!(totals.len(), score.per_sentence.len());
        let mut worst = 0.0f64;
        for (i, (&(t, oov), ours)) in totals.iter().zip(&score.per_sentence).enumerate() {
            assert_eq!(oov, ours.oov, "{name} o{order}: OOVs of sentence {}", i + 1);
            worst = worst.max((t - ours.log10_prob).abs());
        }
        assert!(worst <= 1e-4, "{name} o{order}: a sentence total differs from query's by {worst}");
        // The same model in the binary format scores exactly like the ARPA file it came from.
        let mut bytes = Vec::new();
        binary::write(&model, &vocab, &mut bytes).unwrap();
        let mapped = Mapped::new(bytes).unwrap();
        let from_binary = pipeline::score(&mapped, &test, true);
        assert_eq!(from_binary.log2_sum.to_bits(), score.log2_sum.to_bits());
        assert!(from_binary.per_sentence == score.per_sentence);
        eprintln!(
            "{name} o{order}: read from lmplz's .arpa.xz: perplexity {ppl:.10} (query {}; rel. diff {rel:.1e}), excl. OOVs rel. diff {rel_ex:.1e}; \
             sentence totals within {worst:.2e} of query; binary scores identical",
            want["Perplexity including OOVs"]
        );
    }
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn lmplz_arpa_files_score_like_query_on_bible() {
    lmplz_files_score_as_query("bible", "canterbury/bible.txt");
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn lmplz_arpa_files_score_like_query_on_book1() {
    lmplz_files_score_as_query("book1", "calgary/book1");
}
