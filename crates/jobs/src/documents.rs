//! Scoring document by document: what `score --per-document`, `score --percentiles` and `filter` share.
//!
//! A document is a JSON Lines record's text, or a line of a plain text file (the line with its line end). Each
//! is tokenized on its own — split into sentences by the tokenizer's rule — and scored on its own, so a
//! document's figures never depend on its neighbours. Documents are read in line-aligned pieces of
//! [`PIECE_BYTES`]; a window of pieces (a few per thread) is scored in parallel and handed on in input order,
//! so memory is the model, the (decompressed) input and one window of results. With sentences as lines the
//! totals are those of scoring the whole text at once (every sentence starts at `<s>`); with one stream
//! (`--sentences none`) each document is its own stream.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shannon_corpus::documents::{self, Format, Record};
use shannon_corpus::Corpus;
use shannon_model::LanguageModel;
use shannon_report::Percentile;
use shannon_tokens::{Lookup, Sentences, TokenizeError, Tokenizer, BOS, EOS, UNK};

use crate::text::describe_format;
use crate::{DocumentOptions, Error, Progress, Result};

/// Bytes of input read as one piece of work.
pub const PIECE_BYTES: usize = 256 << 10;

/// Parquet rows scored as one piece of work.
pub const ROWS_PER_PIECE: usize = 512;

/// Pieces scored at once per worker thread: the window that bounds memory.
pub const PIECES_PER_THREAD: usize = 4;

/// One document's figures: one line of `score --per-document`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentScore {
    /// The id field's value; without one, the line number (with several input files, `path:line`).
    pub id: serde_json::Value,
    /// Predicted tokens: words and every sentence's `</s>`, as KenLM counts them for perplexity.
    pub tokens: u64,
    /// Of those, tokens not in the model's vocabulary.
    pub oov: u64,
    /// Σ log10 p over the predicted tokens; `null` when one had probability 0.
    pub log10_prob: Option<f64>,
    /// −Σ log2 p; `null` when infinite.
    pub bits: Option<f64>,
    /// 10^(−log10_prob / tokens), KenLM's perplexity; `null` when infinite or without tokens.
    pub perplexity: Option<f64>,
    /// Bits per Unicode character of the document's text (its line ends included, one added where a
    /// record's text lacks it, as the text is read for every other command); `null` when infinite.
    pub bits_per_char: Option<f64>,
}

/// Totals over every document scored.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    /// The summed score (the report's `score`).
    pub score: shannon_eval::Score,
    /// Sentences.
    pub sentences: u64,
    /// Tokens that are not markers.
    pub tokens: u64,
    /// Characters of the documents' texts.
    pub chars: u64,
    /// Bytes of the documents' texts.
    pub bytes: u64,
    /// Documents scored.
    pub documents: u64,
    /// Documents without a predicted token.
    pub empty: u64,
    /// Documents with a token of probability 0.
    pub infinite: u64,
    /// Bad records skipped.
    pub skipped: u64,
    /// Per source: documents, bytes of their texts, bad records skipped.
    pub sources: Vec<SourceCounts>,
}

/// What was read from one source.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SourceCounts {
    /// Documents scored.
    pub documents: u64,
    /// Bytes of their texts.
    pub text_bytes: u64,
    /// Bad records skipped.
    pub skipped: u64,
}

/// Where a document is: its source and the bytes of its record as stored (decompressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Index of the source in the corpus.
    pub source: usize,
    /// The record's line (or the plain line), its line end included.
    pub raw: Range<usize>,
}

/// Scores every document of `corpus` with a loaded model file, ARPA or binary (its vocabulary and model are
/// the file's either way): [`Scorer::run`] for `score --per-document` and `filter`.
#[allow(clippy::too_many_arguments)]
pub fn score_loaded(
    loaded: &crate::model_file::Loaded,
    options: &DocumentOptions,
    tokenizer: Tokenizer,
    lossy: bool,
    corpus: &Corpus,
    formats: &[Format],
    progress: &dyn Progress,
    each: &mut dyn FnMut(&Place, &DocumentScore) -> Result<()>,
) -> Result<Totals> {
    match loaded {
        crate::model_file::Loaded::Arpa { vocab, model, .. } => {
            Scorer { options, tokenizer, lossy, vocab, model }.run(corpus, formats, progress, each)
        }
        crate::model_file::Loaded::Binary(m) => {
            let vocab = &m.words().map_err(|e| Error::from(e).context(m.backing().path().display().to_string()))?;
            Scorer { options, tokenizer, lossy, vocab, model: m }.run(corpus, formats, progress, each)
        }
    }
}

/// How documents are tokenized and scored.
pub struct Scorer<'a, V: Lookup, M: LanguageModel + ?Sized> {
    /// How documents are read.
    pub options: &'a DocumentOptions,
    /// The tokenizer (the model's).
    pub tokenizer: Tokenizer,
    /// Replace invalid UTF-8.
    pub lossy: bool,
    /// The model's vocabulary.
    pub vocab: &'a V,
    /// The model.
    pub model: &'a M,
}

/// The format each source of `corpus` is read in, said through `progress` where it is not plain text.
pub fn formats(corpus: &Corpus, options: &DocumentOptions, progress: &dyn Progress) -> Vec<Format> {
    corpus
        .sources()
        .iter()
        .map(|s| {
            let f = documents::format_of(s.as_ref(), options);
            let how = if options.format.is_some() { "--input-format" } else { "recognised by content" };
            let what = match f {
                Format::Text => "one document per line".to_string(),
                Format::Jsonl => format!("text from field \"{}\"", options.text_field),
                Format::Parquet => format!("text from column \"{}\"", options.text_field),
            };
            progress.message(&format!("note: {}: read as {} ({how}), {what}", s.path().display(), describe_format(f)));
            f
        })
        .collect()
}

impl<V: Lookup, M: LanguageModel + ?Sized + Sync> Scorer<'_, V, M> {
    /// One document's ids (with its sentence markers) and sentences.
    fn tokenize_one(&self, text: &str, path: &Path, line: u64) -> Result<(Vec<u32>, u64)> {
        let mut ids = Vec::new();
        let sentences =
            self.tokenizer.tokenize(text, &mut |s| self.vocab.id(s).unwrap_or(UNK), &mut ids).map_err(|e| match e {
                TokenizeError::Literal(m) => Error::Input(format!(
                    "{}: line {line}: literal {} is not allowed in the text (it is the {}); pass --skip-symbols to \
                     treat <s>, </s> and <unk> as whitespace, as lmplz's --skip_symbols does",
                    path.display(),
                    m.marker.text(),
                    m.marker.role()
                )),
                TokenizeError::Tokenizer(problem) => {
                    Error::Input(format!("{}: line {line}: {problem}", path.display()))
                }
            })?;
        if self.tokenizer.sentences == Sentences::None {
            ids = shannon_tokens::join_streams(self.tokenizer.kind, self.vocab.id(" "), vec![ids]);
        }
        Ok((ids, sentences))
    }

    /// Scores the documents `texts` (with where each is: its line): each one's figures, sentences and
    /// tokens. Documents that start from `<s>` are walked as one stream, so that the cache misses of many
    /// overlap; the values are those of each document walked alone (the walk starts afresh at `<s>`), summed
    /// in the same order.
    fn score_some(&self, texts: &[(&str, u64)], path: &Path) -> Result<Vec<Figures>> {
        let mut ids = Vec::new();
        let mut cuts = vec![0];
        let mut sentences = Vec::with_capacity(texts.len());
        for &(text, line) in texts {
            let (one, n) = self.tokenize_one(text, path, line)?;
            ids.extend_from_slice(&one);
            cuts.push(ids.len());
            sentences.push(n);
        }
        let each_from_bos = cuts.windows(2).all(|w| w[0] == w[1] || ids[w[0]] == BOS);
        let mut log2 = Vec::with_capacity(ids.len());
        if each_from_bos {
            self.model.log_probs(&ids, &mut log2);
        } else {
            for w in cuts.windows(2) {
                self.model.log_probs(&ids[w[0]..w[1]], &mut log2);
            }
        }
        for lp in &mut log2 {
            *lp *= std::f64::consts::LOG2_E;
        }
        Ok(texts
            .iter()
            .zip(cuts.windows(2))
            .zip(sentences)
            .map(|((&(text, _), w), sentences)| {
                let chars = text.chars().count() as u64;
                let (doc, score, tokens) = figures(chars, &ids[w[0]..w[1]], &log2[w[0]..w[1]]);
                (doc, score, sentences, tokens, chars)
            })
            .collect())
    }
    /// Scores every document of `corpus` (each source read as `formats` says), in parallel windows, and hands
    /// each to `each` in input order with where it is. The first bad record in input order is an error naming
    /// file and line, unless skipped (then each source's count and first is said through `progress`).
    pub fn run(
        &self,
        corpus: &Corpus,
        formats: &[Format],
        progress: &dyn Progress,
        each: &mut dyn FnMut(&Place, &DocumentScore) -> Result<()>,
    ) -> Result<Totals> {
        let mut totals = Totals::default();
        let several = corpus.sources().len() > 1;
        let window = rayon::current_num_threads().max(1) * PIECES_PER_THREAD;
        for (index, source) in corpus.sources().iter().enumerate() {
            let bytes = source.as_ref();
            let path = source.path();
            let format = formats[index];
            let mut skipped = 0;
            let mut first_bad = None;
            let (documents_before, bytes_before) = (totals.documents, totals.bytes);
            let score_records = |records: &[Record]| -> Result<Vec<Scored>> {
                let texts: Vec<Cow<str>> = records.iter().map(|r| document_text(format, r)).collect();
                let lines: Vec<(&str, u64)> = texts.iter().zip(records).map(|(t, r)| (t.as_ref(), r.line)).collect();
                let scored = self.score_some(&lines, path)?;
                let mut out = Vec::with_capacity(records.len());
                for ((record, text), (mut doc, score, sentences, tokens, chars)) in
                    records.iter().zip(&texts).zip(scored)
                {
                    doc.id = id(record, path, several);
                    let place = Place { source: index, raw: record.raw.clone() };
                    let bytes = text.len() as u64;
                    out.push(Scored { place, doc, score, sentences, tokens, chars, bytes });
                }
                Ok(out)
            };
            // Line-aligned pieces of JSON Lines or text; for Parquet, runs of rows read beforehand.
            let rows = match format {
                Format::Parquet => {
                    let rows = shannon_corpus::parquet::read(bytes, self.options)
                        .map_err(|bad| shannon_corpus::bad_record(path, bad.into()))?;
                    skipped = rows.skipped;
                    first_bad = rows.first_bad.map(Into::into);
                    rows.records
                }
                _ => Vec::new(),
            };
            let units: Vec<(Range<usize>, u64)> = match format {
                Format::Parquet => (0..rows.len())
                    .step_by(ROWS_PER_PIECE)
                    .map(|s| (s..(s + ROWS_PER_PIECE).min(rows.len()), 0))
                    .collect(),
                _ => documents::pieces(bytes, PIECE_BYTES),
            };
            for group in units.chunks(window) {
                let results: Vec<Result<Piece>> = group
                    .par_iter()
                    .map(|(range, line)| {
                        if format == Format::Parquet {
                            return Ok((score_records(&rows[range.clone()])?, 0, None));
                        }
                        let batch = documents::read_span(format, bytes, range.clone(), *line, self.options, self.lossy)
                            .map_err(|bad| shannon_corpus::bad_record(path, bad))?;
                        let out = score_records(&batch.records)?;
                        progress.advance((range.end - range.start) as u64);
                        Ok((out, batch.skipped, batch.first_bad))
                    })
                    .collect();
                for result in results {
                    let (docs, bad, first) = result?;
                    skipped += bad;
                    if first_bad.is_none() {
                        first_bad = first;
                    }
                    for Scored { place, doc, score, sentences, tokens, chars, bytes: nbytes } in docs {
                        totals.score.add(&score);
                        totals.sentences += sentences;
                        totals.tokens += tokens;
                        totals.chars += chars;
                        totals.bytes += nbytes;
                        totals.documents += 1;
                        totals.empty += u64::from(score.tokens == 0);
                        totals.infinite += u64::from(score.zero_prob > 0);
                        each(&place, &doc)?;
                    }
                }
            }
            if let Some(bad) = first_bad {
                progress.message(&format!(
                    "warning: {}: skipped {skipped} bad records (--skip-bad-records); the first, {}: {}",
                    path.display(),
                    bad.place(),
                    bad.problem
                ));
            }
            totals.skipped += skipped;
            totals.sources.push(SourceCounts {
                documents: totals.documents - documents_before,
                text_bytes: totals.bytes - bytes_before,
                skipped,
            });
        }
        Ok(totals)
    }
}

/// A document's figures, totals, sentences, tokens and characters.
type Figures = (DocumentScore, shannon_eval::Score, u64, u64, u64);

/// One document's figures from its characters, ids and their log2 p (its totals summed in position order),
/// and its tokens.
fn figures(chars: u64, ids: &[u32], log2: &[f64]) -> (DocumentScore, shannon_eval::Score, u64) {
    let mut running = shannon_eval::Running::new(false);
    running.add(ids, log2);
    let score = running.finish();
    let finite = score.zero_prob == 0;
    let doc = DocumentScore {
        id: serde_json::Value::Null,
        tokens: score.tokens,
        oov: score.oov,
        log10_prob: finite.then_some(score.log2_sum * std::f64::consts::LOG10_2),
        bits: finite.then_some(-score.log2_sum),
        perplexity: score.perplexity(),
        bits_per_char: score.bits_per(chars),
    };
    let tokens = ids.iter().filter(|&&t| t != BOS && t != EOS).count() as u64;
    (doc, score, tokens)
}

/// One document scored, with what the totals need.
struct Scored {
    place: Place,
    doc: DocumentScore,
    score: shannon_eval::Score,
    sentences: u64,
    tokens: u64,
    chars: u64,
    bytes: u64,
}

/// A piece's documents, bad records skipped in it, and the first of those.
type Piece = (Vec<Scored>, u64, Option<documents::BadRecord>);

/// A record's text as a document: a plain line as it stands; a record's text with a line end added where it
/// lacks one (as it is read for every other command).
fn document_text<'a>(format: Format, record: &'a Record<'_>) -> Cow<'a, str> {
    match format {
        Format::Jsonl | Format::Parquet if !record.text.ends_with('\n') => Cow::Owned(format!("{}\n", record.text)),
        _ => Cow::Borrowed(record.text.as_ref()),
    }
}

/// A document's id: the id field's value (a string, or a number when it reads as one), else its line number
/// (`path:line` with several inputs).
fn id(record: &Record, path: &Path, several: bool) -> serde_json::Value {
    match &record.id {
        Some(id) => serde_json::Value::String(id.clone()),
        None if several => serde_json::Value::String(format!("{}:{}", path.display(), record.line)),
        None => serde_json::Value::from(record.line),
    }
}

/// The provenance of a corpus read document by document: as [`crate::text::inputs`], with how each file of
/// documents was read.
pub fn inputs(
    corpus: &Corpus,
    formats: &[Format],
    options: &DocumentOptions,
    totals: &Totals,
) -> Vec<shannon_report::Input> {
    let mut out = crate::text::inputs(corpus);
    for ((input, format), counts) in out.iter_mut().zip(formats).zip(&totals.sources) {
        if *format != Format::Text {
            input.documents = Some(shannon_report::DocumentsRead {
                format: format.name().into(),
                detected: options.format.is_none(),
                text_field: options.text_field.clone(),
                documents: counts.documents,
                text_bytes: counts.text_bytes,
                skipped_bad_records: counts.skipped,
            });
        }
    }
    out
}

/// Checks percentiles: each from 0 to 100.
pub fn check_percentiles(setting: &'static str, ps: &[f64]) -> Result<(), crate::ConfigError> {
    match ps.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        Some(p) => Err(crate::ConfigError::new(setting, format!("must be percentiles from 0 to 100, got {p}"))),
        None => Ok(()),
    }
}

/// The value at each percentile of `values` (perplexities; +∞ for infinite ones): linear interpolation
/// between the nearest ranks of the sorted values, as numpy's default — rank h = (n − 1)·p/100, value
/// x⌊h⌋ + (h − ⌊h⌋)(x⌈h⌉ − x⌊h⌋). `None` where that touches an infinite value, or without values.
pub fn percentiles(values: &mut [f64], ps: &[f64]) -> Vec<Percentile> {
    values.sort_unstable_by(f64::total_cmp);
    ps.iter()
        .map(|&p| {
            let perplexity = (!values.is_empty())
                .then(|| {
                    let h = (values.len() - 1) as f64 * p / 100.0;
                    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
                    let (a, b) = (values[lo], values[hi]);
                    if lo == hi {
                        a
                    } else {
                        a + (h - lo as f64) * (b - a)
                    }
                })
                .filter(|v| v.is_finite());
            Percentile { percentile: p, perplexity }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks_as_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [0, 30, 50, 70, 100]) = [1, 2.2, 3, 3.8, 10]
        let mut v = vec![4.0, 1.0, 10.0, 3.0, 2.0];
        let got: Vec<Option<f64>> =
            percentiles(&mut v, &[0.0, 30.0, 50.0, 70.0, 100.0]).iter().map(|p| p.perplexity).collect();
        let want = [1.0, 2.2, 3.0, 3.8, 10.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g.unwrap() - w).abs() < 1e-12, "{got:?}");
        }
        let mut v = vec![1.0, f64::INFINITY];
        let got: Vec<Option<f64>> = percentiles(&mut v, &[0.0, 50.0, 100.0]).iter().map(|p| p.perplexity).collect();
        assert_eq!(got, [Some(1.0), None, None]);
        assert_eq!(percentiles(&mut [], &[50.0])[0].perplexity, None);
        assert!(check_percentiles("percentiles", &[0.0, 100.0]).is_ok());
        assert!(check_percentiles("percentiles", &[101.0]).is_err());
    }
}
