//! `shannon filter`: keep the documents whose perplexity under a model passes a rule — at most a given
//! perplexity, or the head, middle or tail of the corpus's own perplexity distribution cut at percentiles
//! (CCNet's quality filter) — and write them unchanged, in input format and order.
//!
//! Every document is scored first (in parallel windows, see [`crate::documents`]) keeping only its place and
//! perplexity, so that percentiles of the whole distribution are known; then the kept records' bytes as stored
//! (decompressed) are copied to the output, compressed as its name says, written atomically.

use std::path::PathBuf;

use shannon_corpus::documents::Format;
use shannon_corpus::Corpus;
use shannon_report::filter::{FilterCounts, FilterReport, Rule, FILTER_SCHEMA};

use crate::documents::{self, Place};
use crate::model_file;
use crate::output::Output;
use crate::progress::{stage, Progress, Unit};
use crate::text::{describe, TokenizerChoice};
use crate::{ConfigError, DocumentOptions, Error, Result};

/// Which part of the perplexity distribution to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Perplexity at most the first threshold: the documents most like the model's training text.
    Head,
    /// Above the first threshold and at most the second.
    Middle,
    /// Above the last threshold.
    Tail,
}

impl Keep {
    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Keep::Head => "head",
            Keep::Middle => "middle",
            Keep::Tail => "tail",
        }
    }
}

/// A `filter` configuration: [`FilterConfig::new`] gives the defaults, [`FilterConfig::validate`] checks
/// every setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterConfig {
    /// The model file.
    pub model: PathBuf,
    /// The documents: files and directories, all in one format.
    pub inputs: Vec<PathBuf>,
    /// Where the kept documents go (compressed as its extension says).
    pub output: PathBuf,
    /// The tokenizer settings given, resolved against the one the model records.
    pub tokens: TokenizerChoice,
    /// Replace invalid UTF-8 instead of stopping.
    pub lossy: bool,
    /// How files of documents are read.
    pub documents: DocumentOptions,
    /// Keep documents with perplexity at most this.
    pub max_perplexity: Option<f64>,
    /// Keep this part of the distribution cut at `percentiles`.
    pub keep: Option<Keep>,
    /// Percentiles (0 to 100, increasing) to cut the distribution at.
    pub percentiles: Vec<f64>,
}

impl FilterConfig {
    /// The defaults: the model's own tokenizer, documents recognised by content; a rule must still be set.
    pub fn new(model: PathBuf, inputs: Vec<PathBuf>, output: PathBuf, tokens: TokenizerChoice) -> FilterConfig {
        FilterConfig {
            model,
            inputs,
            output,
            tokens,
            lossy: false,
            documents: DocumentOptions::default(),
            max_perplexity: None,
            keep: None,
            percentiles: Vec::new(),
        }
    }

    /// Checks every setting: exactly one rule; a positive maximum; percentiles increasing, as many as the
    /// part kept needs (head and tail one or more, middle two).
    pub fn validate(&self) -> Result<(), ConfigError> {
        match (self.max_perplexity, self.keep) {
            (Some(_), Some(_)) => return Err(ConfigError::new("max_perplexity", "and --keep are two rules; give one")),
            (None, None) => {
                return Err(ConfigError::new(
                    "keep",
                    "or --max-perplexity must be given: the rule that keeps documents",
                ))
            }
            (Some(x), None) => {
                if x.is_nan() || x <= 0.0 {
                    return Err(ConfigError::new("max_perplexity", format!("must be a perplexity above 0, got {x}")));
                }
                if !self.percentiles.is_empty() {
                    return Err(ConfigError::new("percentiles", "go with --keep, not with --max-perplexity"));
                }
            }
            (None, Some(keep)) => {
                documents::check_percentiles("percentiles", &self.percentiles)?;
                if self.percentiles.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(ConfigError::new("percentiles", "must increase (e.g. 30,70)"));
                }
                let ok = match keep {
                    Keep::Middle => self.percentiles.len() == 2,
                    Keep::Head | Keep::Tail => (1..=2).contains(&self.percentiles.len()),
                };
                if !ok {
                    return Err(ConfigError::new(
                        "percentiles",
                        format!(
                            "must be {} for --keep {} (got {})",
                            if keep == Keep::Middle { "two values" } else { "one or two values" },
                            keep.name(),
                            self.percentiles.len()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether a document of perplexity `p` is kept, with thresholds `t` (`None`: infinite).
fn kept(config: &FilterConfig, t: &[Option<f64>], p: f64) -> bool {
    let at = |i: usize| t[i].unwrap_or(f64::INFINITY);
    match (config.max_perplexity, config.keep) {
        (Some(x), _) => p <= x,
        (None, Some(Keep::Head)) => p <= at(0),
        (None, Some(Keep::Middle)) => p > at(0) && p <= at(1),
        (None, Some(Keep::Tail)) => p > at(t.len() - 1),
        (None, None) => false,
    }
}

/// Scores every document, writes the kept ones, and returns the report.
pub fn run(config: &FilterConfig, progress: &dyn Progress) -> Result<FilterReport> {
    config.validate()?;
    let (loaded, _) = stage(progress, "load model", None, Unit::Steps, || model_file::load(&config.model))?;
    let loaded = loaded?;
    let (tokenizer, notice) = config.tokens.resolve(loaded.tokenizer(), &config.model)?;
    if let Some(n) = &notice {
        progress.message(&format!("note: {n}"));
    }
    let (corpus, _) = stage(progress, "read", None, Unit::Steps, || Corpus::open(&config.inputs))?;
    let corpus = corpus?;
    let formats = documents::formats(&corpus, &config.documents, progress);
    let format = formats.first().copied().unwrap_or(Format::Text);
    if let Some(i) = formats.iter().position(|&f| f != format) {
        return Err(Error::Input(format!(
            "{} is {} but {} is {}: filter writes one output in one format; filter them separately",
            corpus.sources()[i].path().display(),
            crate::text::describe_format(formats[i]),
            corpus.sources()[0].path().display(),
            crate::text::describe_format(format)
        )));
    }
    let mut scored: Vec<(Place, Option<f64>)> = Vec::new();
    let mut each = |place: &Place, d: &documents::DocumentScore| {
        let p = (d.tokens > 0).then(|| d.perplexity.unwrap_or(f64::INFINITY));
        scored.push((place.clone(), p));
        Ok(())
    };
    let (totals, _) = stage(progress, "score", Some(corpus.bytes()), Unit::Bytes, || {
        documents::score_loaded(
            &loaded,
            &config.documents,
            tokenizer,
            config.lossy,
            &corpus,
            &formats,
            progress,
            &mut each,
        )
    })?;
    let totals = totals?;
    if totals.documents == 0 {
        return Err(Error::Input(format!("{}: no documents to filter", describe(&config.inputs))));
    }
    let mut values: Vec<f64> = scored.iter().filter_map(|(_, p)| *p).collect();
    let thresholds = documents::percentiles(&mut values, &config.percentiles);
    drop(values);
    let cuts: Vec<Option<f64>> = thresholds.iter().map(|t| t.perplexity).collect();
    let mut counts = FilterCounts {
        read: totals.documents,
        kept: 0,
        dropped_perplexity: 0,
        dropped_empty: 0,
        skipped_bad_records: totals.skipped,
    };
    let (written, _) = stage(progress, "write", Some(scored.len() as u64), Unit::Steps, || {
        let mut keep: Vec<Vec<bool>> = vec![Vec::new(); corpus.sources().len()];
        let mut out = (format != Format::Parquet).then(|| Output::create(&config.output)).transpose()?;
        for (place, p) in &scored {
            let Some(p) = *p else {
                counts.dropped_empty += 1;
                continue;
            };
            if !kept(config, &cuts, p) {
                counts.dropped_perplexity += 1;
                continue;
            }
            counts.kept += 1;
            let Some(out) = out.as_mut() else {
                // Parquet: the kept rows, by index, selected below.
                let rows = &mut keep[place.source];
                rows.resize(rows.len().max(place.raw.end), false);
                rows[place.raw.start] = true;
                continue;
            };
            let raw = &corpus.sources()[place.source].as_ref()[place.raw.clone()];
            out.write_all(raw)?;
            if raw.last() != Some(&b'\n') {
                // An unterminated last line, followed by more: end it, so records stay one a line.
                out.write_all(b"\n")?;
            }
        }
        match out {
            Some(out) => out.finish(),
            None => write_parquet(&corpus, &keep, &config.output),
        }
    })?;
    written?;
    Ok(FilterReport {
        schema: FILTER_SCHEMA.into(),
        tool: crate::tool(),
        model: loaded.file(&config.model),
        inputs: documents::inputs(&corpus, &formats, &config.documents, &totals),
        tokenizer,
        format: format.name().into(),
        rule: Rule {
            max_perplexity: config.max_perplexity,
            keep: config.keep.map(|k| k.name().into()),
            percentiles: config.percentiles.clone(),
            thresholds,
        },
        output: config.output.display().to_string(),
        documents: counts,
    })
}

/// Writes the kept rows of every Parquet source (`keep[source][row]`) to `output`, with the sources'
/// schema (they must share one) and every column as it was, snappy-compressed.
fn write_parquet(corpus: &Corpus, keep: &[Vec<bool>], output: &std::path::Path) -> Result<()> {
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    let props = WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build();
    let mut writer: Option<ArrowWriter<Output>> = None;
    let mut first_schema = None;
    for (source, rows) in corpus.sources().iter().zip(keep) {
        let path = source.path();
        let bad =
            |problem: String| Error::from(shannon_corpus::Error::BadParquet { path: path.to_path_buf(), problem });
        let (schema, batches) = shannon_corpus::parquet::batches(source.as_ref()).map_err(bad)?;
        match &first_schema {
            None => first_schema = Some(schema.clone()),
            Some(s) if *s != schema => {
                return Err(bad("has other columns than the first input; filter them separately".into()))
            }
            Some(_) => {}
        }
        if writer.is_none() {
            let out = Output::create(output)?;
            writer = Some(
                ArrowWriter::try_new(out, schema.clone(), Some(props.clone()))
                    .map_err(|e| bad(format!("cannot start writing {} ({e})", output.display())))?,
            );
        }
        let w = writer.as_mut().expect("started above");
        for (first, batch) in batches {
            let n = batch.num_rows();
            let mask: arrow_array::BooleanArray =
                (first..first + n).map(|i| Some(rows.get(i).copied().unwrap_or(false))).collect();
            let kept = arrow_select::filter::filter_record_batch(&batch, &mask).map_err(|e| bad(e.to_string()))?;
            if kept.num_rows() > 0 {
                w.write(&kept).map_err(|e| bad(format!("writing {}: {e}", output.display())))?;
            }
        }
    }
    match writer {
        Some(w) => w.into_inner().map_err(|e| Error::Input(format!("writing {}: {e}", output.display())))?.finish(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FilterConfig {
        FilterConfig::new("m".into(), vec!["d".into()], "o".into(), TokenizerChoice::default())
    }

    #[test]
    fn rules_are_checked_and_cut_where_they_say() {
        let mut c = config();
        assert!(c.validate().is_err(), "a rule is needed");
        c.max_perplexity = Some(100.0);
        assert!(c.validate().is_ok());
        assert!(kept(&c, &[], 100.0) && !kept(&c, &[], 100.5) && !kept(&c, &[], f64::INFINITY));
        c.keep = Some(Keep::Head);
        assert!(c.validate().is_err(), "two rules");
        c.max_perplexity = None;
        assert!(c.validate().is_err(), "head needs a percentile");
        c.percentiles = vec![30.0, 70.0];
        assert!(c.validate().is_ok());
        let t = [Some(10.0), Some(20.0)];
        assert!(kept(&c, &t, 10.0) && !kept(&c, &t, 10.1));
        c.keep = Some(Keep::Middle);
        assert!(!kept(&c, &t, 10.0) && kept(&c, &t, 15.0) && kept(&c, &t, 20.0) && !kept(&c, &t, 21.0));
        c.keep = Some(Keep::Tail);
        assert!(!kept(&c, &t, 20.0) && kept(&c, &t, 20.5) && kept(&c, &t, f64::INFINITY));
        c.percentiles = vec![70.0, 30.0];
        assert!(c.validate().is_err(), "percentiles must increase");
        c.keep = Some(Keep::Middle);
        c.percentiles = vec![50.0];
        assert!(c.validate().is_err(), "middle needs two");
    }
}
