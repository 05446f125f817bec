//! What every job that reads text shares: the tokenizer configuration, where training and test text come
//! from, the smoothing methods a comparison can ask for, and the provenance of inputs for reports.

use std::path::{Path, PathBuf};

use shannon_corpus::documents::{Format, Options as DocumentOptions};
use shannon_corpus::Corpus;
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{Sentences, TokenKind, Tokenizer, Vocab};

use crate::progress::{self, Progress, Unit};
use crate::{ConfigError, Result};

/// A smoothing method as a comparison asks for it: a fixed method, or add-k with its pseudo-count tuned
/// on held-out data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// A method with all parameters given.
    Fixed(shannon_model::Smoothing),
    /// `add-k:auto`: additive smoothing with k chosen by `shannon_eval::tune`.
    AddKAuto,
}

impl Method {
    /// Parses `add-k:auto` or any name [`shannon_model::Smoothing::parse`] accepts; an unknown name's
    /// message lists every name a comparison takes, `add-k:auto` included.
    pub fn parse(s: &str) -> std::result::Result<Method, ConfigError> {
        if s == "add-k:auto" {
            return Ok(Method::AddKAuto);
        }
        shannon_model::Smoothing::parse(s).map(Method::Fixed).map_err(|e| match e {
            shannon_model::Error::UnknownSmoothing(name) => ConfigError::new(
                "smoothing",
                format!(
                    "'{name}' is not a smoothing method (expected one of: mle, add-k[:K], add-k:auto, wb, kn, mkn)"
                ),
            ),
            other => ConfigError::new("smoothing", format!("has a bad method: {other}")),
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Method::Fixed(s) => write!(f, "{s}"),
            Method::AddKAuto => write!(f, "add-k:auto"),
        }
    }
}

/// How text becomes tokens, and what to do with invalid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextConfig {
    /// The tokenizer, with what to do with literal `<s>`, `</s>` and `<unk>` (`skip_symbols`, recorded with
    /// the tokenizer in reports when set).
    pub tokenizer: Tokenizer,
    /// Replace invalid UTF-8 instead of stopping.
    pub lossy: bool,
}

/// Where training and test text come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// The built-in generated corpus, with the default holdout.
    Default,
    /// One corpus; the last `holdout` fraction of its lines is the test set.
    Holdout {
        /// Files and directories.
        corpus: Vec<PathBuf>,
        /// Fraction in (0, 1).
        holdout: f64,
    },
    /// Separate training and test files.
    Files {
        /// Training files and directories.
        train: Vec<PathBuf>,
        /// Test files and directories.
        test: Vec<PathBuf>,
    },
}

/// The fraction of lines held out for testing when none is given.
pub const DEFAULT_HOLDOUT: f64 = 0.1;

/// Checks a held-out fraction: strictly between 0 and 1.
pub fn check_holdout(holdout: f64) -> Result<(), ConfigError> {
    if holdout > 0.0 && holdout < 1.0 {
        Ok(())
    } else {
        Err(ConfigError::new("holdout", format!("must be a fraction strictly between 0 and 1, got {holdout}")))
    }
}

/// Checks a model order: 1 to the highest order counting supports.
pub fn check_order(setting: &'static str, order: usize) -> Result<(), ConfigError> {
    let max = shannon_counts::MAX_ORDER;
    if (1..=max).contains(&order) {
        Ok(())
    } else {
        Err(ConfigError::new(setting, format!("must be an integer from 1 to {max}, got {order}")))
    }
}

/// The provenance of a corpus for reports: each source's path, size and SHA-256 (of the file as stored, for
/// a file of documents, with how its documents were read).
pub fn inputs(corpus: &Corpus) -> Vec<shannon_report::Input> {
    corpus
        .sources()
        .iter()
        .map(|s| match s.documents() {
            None => shannon_report::Input {
                path: s.path().display().to_string(),
                bytes: s.as_ref().len() as u64,
                sha256: s.sha256(),
                documents: None,
            },
            Some(d) => shannon_report::Input {
                path: s.path().display().to_string(),
                bytes: d.stored_bytes,
                sha256: d.stored_sha256.clone(),
                documents: Some(shannon_report::DocumentsRead {
                    format: d.format.name().into(),
                    detected: d.detected,
                    text_field: d.text_field.clone(),
                    documents: d.records,
                    text_bytes: s.as_ref().len() as u64,
                    skipped_bad_records: d.skipped,
                }),
            },
        })
        .collect()
}

/// How documents are read, and whether invalid UTF-8 is replaced: what [`open`] needs besides the paths.
pub type DocumentsRead<'a> = (&'a DocumentOptions, bool);

/// Opens files and directories as one corpus, as a stage named "read": plain files are mapped at once, but
/// compressed ones are decompressed into memory here, which takes a while for large inputs, and files of
/// documents (JSON Lines) are read as their documents' texts. Says through `progress` which files were read
/// as documents and how many bad records were skipped.
pub fn open(paths: &[PathBuf], (documents, lossy): DocumentsRead, progress: &dyn Progress) -> Result<Corpus> {
    let (corpus, _) =
        progress::stage(progress, "read", None, Unit::Steps, || Corpus::open_documents(paths, documents, lossy))?;
    let corpus = corpus?;
    say_documents(&corpus, progress);
    Ok(corpus)
}

/// Says which sources were read as documents, how, and what was skipped.
pub(crate) fn say_documents(corpus: &Corpus, progress: &dyn Progress) {
    for s in corpus.sources() {
        let Some(d) = s.documents() else { continue };
        progress.message(&format!(
            "note: {}: read as {} ({}): {} documents, text from field \"{}\"",
            s.path().display(),
            describe_format(d.format),
            if d.detected { "recognised by content; --input-format text reads it as text" } else { "--input-format" },
            d.records,
            d.text_field
        ));
        if let Some(bad) = &d.first_bad {
            progress.message(&format!(
                "warning: {}: skipped {} bad records (--skip-bad-records); the first, {}: {}",
                s.path().display(),
                d.skipped,
                bad.place(),
                bad.problem
            ));
        }
    }
}

/// A document format in words.
pub fn describe_format(format: Format) -> &'static str {
    match format {
        Format::Text => "plain text",
        Format::Jsonl => "JSON Lines",
        Format::Parquet => "Parquet",
    }
}

/// A short name for a corpus: the file stem of its first path.
pub fn corpus_name(paths: &[PathBuf]) -> String {
    paths
        .first()
        .map(|p| if p.as_os_str() == "-" { Path::new("stdin") } else { p.as_path() })
        .and_then(|p| p.file_stem().or_else(|| p.file_name()))
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "corpus".into())
}

/// Describes paths for messages: `a.txt` or `a.txt, b.txt`.
pub fn describe(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Tokenizes training text (building its vocabulary), reporting bytes read to `progress`.
pub(crate) fn tokenize_train(
    corpus: &Corpus,
    spans: &[shannon_corpus::Span],
    text: &TextConfig,
    progress: &dyn Progress,
) -> Result<(Vocab, Stream)> {
    let tokenized = stream::tokenize_train(corpus, spans, &text.tokenizer, text.lossy, &|n| progress.advance(n));
    crate::memory::release_freed();
    Ok(tokenized?)
}

/// Tokenizes a whole corpus as training text in one stage named "tokenize".
pub(crate) fn tokenize_whole(
    corpus: &Corpus,
    text: &TextConfig,
    progress: &dyn Progress,
) -> (Result<(Vocab, Stream)>, f64) {
    let whole = corpus.whole();
    progress::stage(progress, "tokenize", Some(Corpus::span_bytes(&whole)), Unit::Bytes, || {
        tokenize_train(corpus, &whole, text, progress)
    })
    .map_or_else(|e| (Err(e), 0.0), |(r, s)| (r, s))
}

/// A setting as part of a file name: letters, digits, `.` and `-` kept, anything else `_`.
pub(crate) fn name_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// The parts of a report's file name that say how text became tokens, where that is not the default
/// `default_kind`, case kept, and sentences `default_sentences`.
pub(crate) fn text_parts(text: &TextConfig, default_kind: TokenKind, default_sentences: Sentences) -> Vec<String> {
    let mut parts = Vec::new();
    if text.tokenizer.kind != default_kind {
        parts.push(name_part(text.tokenizer.kind.name()));
    }
    if text.tokenizer.lowercase {
        parts.push("lower".into());
    }
    if text.tokenizer.skip_symbols {
        parts.push("skip-symbols".into());
    }
    if text.tokenizer.sentences != default_sentences {
        parts.push(match text.tokenizer.sentences {
            Sentences::Lines => "lines".into(),
            Sentences::None => "stream".into(),
        });
    }
    parts
}

/// `kind-name` followed by `parts`, joined by `-`: a report's default file stem.
pub(crate) fn stem(kind: &str, name: &str, parts: &[String]) -> String {
    std::iter::once(format!("{kind}-{}", name_part(name))).chain(parts.iter().cloned()).collect::<Vec<_>>().join("-")
}

/// Reads a finished report of type `T`; `None` if the file is missing or holds something else.
pub fn read_report<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The tokenizer of a job that reads text when none is given: UAX#29 words, case kept, lines as
/// sentences, literal `<s>`/`</s>` refused.
pub const DEFAULT_TOKENIZER: Tokenizer =
    Tokenizer { kind: TokenKind::Words, lowercase: false, sentences: Sentences::Lines, skip_symbols: false };

/// How a job that scores text with a model file chooses its tokenizer: the settings the user gave (`None`
/// where not given) against the tokenizer the model records. A model scored with another tokenizer than its
/// training text's gives a silently wrong figure, so a contradiction is an error unless forced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenizerChoice {
    /// `--tokens`.
    pub kind: Option<TokenKind>,
    /// `--lowercase`.
    pub lowercase: Option<bool>,
    /// `--sentences`.
    pub sentences: Option<Sentences>,
    /// `--skip-symbols`.
    pub skip_symbols: Option<bool>,
    /// Use the given settings even where they contradict the model's record (`--force-tokens`).
    pub force: bool,
}

/// A tokenizer in words: `whitespace tokens, lowercased, lines as sentences`.
pub fn describe_tokenizer(t: &Tokenizer) -> String {
    format!(
        "{} tokens{}{}{}",
        t.kind.label(),
        if t.lowercase { ", lowercased" } else { "" },
        match t.sentences {
            Sentences::Lines => ", lines as sentences",
            Sentences::None => ", one stream",
        },
        if t.skip_symbols { ", <s> </s> <unk> skipped" } else { "" }
    )
}

impl TokenizerChoice {
    /// Every setting given: `tokenizer` exactly.
    pub fn given(tokenizer: Tokenizer) -> TokenizerChoice {
        TokenizerChoice {
            kind: Some(tokenizer.kind),
            lowercase: Some(tokenizer.lowercase),
            sentences: Some(tokenizer.sentences),
            skip_symbols: Some(tokenizer.skip_symbols),
            force: false,
        }
    }

    /// The tokenizer to use with a model that records `recorded` (`None`: a file from KenLM, SRILM or an
    /// older shannon), and a notice when the choice is one the user should hear of: a model without a
    /// record, or a record overridden by force.
    pub fn resolve(
        &self,
        recorded: Option<Tokenizer>,
        model: &Path,
    ) -> Result<(Tokenizer, Option<String>), ConfigError> {
        let Some(r) = recorded else {
            let t = Tokenizer {
                kind: self.kind.unwrap_or(DEFAULT_TOKENIZER.kind),
                lowercase: self.lowercase.unwrap_or(DEFAULT_TOKENIZER.lowercase),
                sentences: self.sentences.unwrap_or(DEFAULT_TOKENIZER.sentences),
                skip_symbols: self.skip_symbols.unwrap_or(DEFAULT_TOKENIZER.skip_symbols),
            };
            let notice = format!(
                "{} does not record how its training text was tokenized (not written by shannon); scoring with {}",
                model.display(),
                describe_tokenizer(&t)
            );
            return Ok((t, Some(notice)));
        };
        let t = Tokenizer {
            kind: self.kind.unwrap_or(r.kind),
            lowercase: self.lowercase.unwrap_or(r.lowercase),
            sentences: self.sentences.unwrap_or(r.sentences),
            skip_symbols: self.skip_symbols.unwrap_or(r.skip_symbols),
        };
        if let TokenKind::Tokenizer(file) = t.kind {
            if !file.is_loaded() {
                return Err(ConfigError::new(
                    "tokens",
                    format!(
                        "{} was trained on {} tokens; give that file with --tokens tokenizer:PATH (the model \
                         records its name and SHA-256, not its contents)",
                        model.display(),
                        file.describe()
                    ),
                ));
            }
        }
        if t == r {
            return Ok((t, None));
        }
        let (setting, value) = if t.kind != r.kind {
            ("tokens", t.kind.label())
        } else if t.lowercase != r.lowercase {
            ("lowercase", String::new())
        } else if t.sentences != r.sentences {
            ("sentences", format!("{:?}", t.sentences).to_lowercase())
        } else {
            ("skip_symbols", String::new())
        };
        if !self.force {
            let value = if value.is_empty() { value } else { format!("{value} ") };
            return Err(ConfigError::new(
                setting,
                format!(
                    "{value}contradicts {}, whose training text was tokenized as {}; leave it out to use the \
                     model's tokenizer, or add --force-tokens",
                    model.display(),
                    describe_tokenizer(&r)
                ),
            ));
        }
        let notice = format!(
            "scoring with {} although {} was trained on {} (--force-tokens)",
            describe_tokenizer(&t),
            model.display(),
            describe_tokenizer(&r)
        );
        Ok((t, Some(notice)))
    }
}
