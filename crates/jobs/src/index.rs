//! `shannon index`: a corpus's token ids and their suffix array, written as an index file
//! (`shannon_index`) that is memory-mapped for queries: counts of n-grams of any length and the ∞-gram
//! distribution.

use std::io::Write;
use std::path::{Path, PathBuf};

use shannon_corpus::Source;
use shannon_index::Index;

use crate::progress::{stage, Progress, Unit};
use crate::text::{describe, open, tokenize_whole};
use crate::{cleanup, ConfigError, Error, Result, TextConfig};

/// An `index` configuration: [`IndexConfig::new`] gives the defaults, [`IndexConfig::validate`] checks
/// every setting, and [`run`] runs only a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexConfig {
    /// Corpus files and directories (all of it is indexed).
    pub corpus: Vec<PathBuf>,
    /// Tokenizer and UTF-8 policy.
    pub text: TextConfig,
    /// Where the index goes.
    pub output: PathBuf,
    /// Memory the construction may use beyond the token stream, bytes (`None`: unlimited).
    pub memory: Option<u64>,
}

/// What was built.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSummary {
    /// Tokens indexed (markers included).
    pub tokens: u64,
    /// Vocabulary size.
    pub vocabulary: u64,
    /// Bytes of text read.
    pub text_bytes: u64,
    /// Size of the index file.
    pub file_bytes: u64,
    /// Bytes per stored id (1, 2 or 4).
    pub id_width: usize,
    /// Seconds tokenizing.
    pub tokenize_seconds: f64,
    /// Seconds building the suffix array.
    pub suffix_array_seconds: f64,
    /// Seconds writing the file.
    pub write_seconds: f64,
}

impl IndexSummary {
    /// File bytes per indexed token.
    pub fn bytes_per_token(&self) -> f64 {
        self.file_bytes as f64 / self.tokens.max(1) as f64
    }
}

impl IndexConfig {
    /// The defaults: unlimited memory.
    pub fn new(corpus: Vec<PathBuf>, text: TextConfig, output: PathBuf) -> IndexConfig {
        IndexConfig { corpus, text, output, memory: None }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.corpus.is_empty() {
            return Err(ConfigError::new("corpus", "names no file"));
        }
        if self.memory == Some(0) {
            return Err(ConfigError::new("memory", "must be more than 0 bytes"));
        }
        Ok(())
    }
}

/// Tokenizes the corpus, builds its suffix array within `memory` and writes the index atomically.
pub fn run(config: &IndexConfig, progress: &dyn Progress) -> Result<IndexSummary> {
    config.validate()?;
    let paths = describe(&config.corpus);
    // Files of documents (JSON Lines, Parquet) are indexed as their texts, recognised by content.
    let corpus = open(&config.corpus, (&shannon_corpus::documents::Options::default(), config.text.lossy), progress)?;
    let text_bytes = corpus.bytes();
    let (tokenized, tokenize_seconds) = tokenize_whole(&corpus, &config.text, progress);
    let (vocab, stream) = tokenized?;
    drop(corpus);
    if stream.tokens == 0 {
        return Err(Error::Input(format!("{paths}: empty corpus: no {} tokens", config.text.tokenizer.kind.name())));
    }
    let need = shannon_index::build_memory(stream.ids.len(), vocab.len());
    if let Some(limit) = config.memory {
        if need > limit {
            return Err(Error::Input(format!(
                "{paths}: indexing {} tokens needs about {} MiB beyond the token stream, more than --memory {} MiB \
                 allows; index fewer files or raise --memory",
                stream.ids.len(),
                need.div_ceil(1 << 20),
                limit / (1 << 20)
            )));
        }
    }
    progress.detail(&format!(
        "positions: {} (vocabulary {}, about {} MiB to build)",
        stream.ids.len(),
        vocab.len(),
        need >> 20
    ));
    let (sa, suffix_array_seconds) =
        stage(progress, "suffix array", None, Unit::Steps, || shannon_index::suffix_array(&stream.ids, vocab.len()))?;
    let sa = sa.map_err(|e| Error::from(e).context(format!("indexing {paths}")))?;
    let (written, write_seconds) = stage(progress, "write", None, Unit::Steps, || {
        write_atomically(&config.output, |out| {
            shannon_index::write(out, &stream.ids, &sa, &vocab, Some(&config.text.tokenizer))
        })
    })?;
    let file_bytes = written?;
    Ok(IndexSummary {
        tokens: stream.ids.len() as u64,
        vocabulary: vocab.len() as u64,
        text_bytes,
        file_bytes,
        id_width: shannon_index::id_width(vocab.len()),
        tokenize_seconds,
        suffix_array_seconds,
        write_seconds,
    })
}

/// Writes through a temporary file beside `output`, renamed over it only when complete; returns the
/// file's size.
fn write_atomically(
    output: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> Result<(), shannon_index::Error>,
) -> Result<u64> {
    let tmp = shannon_report::temp_beside(output)
        .map_err(|e| Error::io(format!("creating a temporary file beside {}", output.display()), e))?;
    let _registered = cleanup::register(tmp.path());
    let io = |e| Error::io(output.display().to_string(), e);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file());
    write(&mut out).map_err(|e| match e {
        shannon_index::Error::Io(e) => io(e),
        e => Error::from(e),
    })?;
    out.flush().map_err(io)?;
    drop(out);
    tmp.as_file().sync_all().map_err(io)?;
    let bytes = tmp.as_file().metadata().map_err(io)?.len();
    tmp.persist(output).map_err(|e| io(e.error))?;
    Ok(bytes)
}

/// Opens an index file (memory-mapped; a compressed copy is decompressed into memory).
pub fn load(path: &Path) -> Result<Index<Source>> {
    let source = Source::open(path).map_err(|e| Error::from(e).context("cannot open index"))?;
    let index = Index::open(source).map_err(|e| Error::from(e).context(path.display().to_string()))?;
    Ok(index)
}

/// What an index says of one n-gram.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The n-gram's tokens, as the index's tokenizer cut the query text.
    pub tokens: Vec<String>,
    /// Its occurrences in the indexed text (0 when a token is not in the index's vocabulary).
    pub count: u64,
    /// The ∞-gram distribution of the token after it, followers as strings, most frequent first.
    pub next: shannon_index::Distribution,
    /// The followers' strings, in the order of `next.followers` sorted by count (most frequent first).
    pub next_strings: Vec<(String, u64)>,
}

/// Counts the n-gram `text` (tokenized as the index's text was, without sentence markers) and gives the
/// ∞-gram distribution of what follows it.
pub fn query<B: AsRef<[u8]>>(index: &Index<B>, text: &str) -> Result<Query> {
    let vocab = index.vocab()?;
    let mut tokenizer = index.tokenizer()?.unwrap_or(shannon_tokens::Tokenizer {
        kind: shannon_tokens::TokenKind::Words,
        lowercase: false,
        sentences: shannon_tokens::Sentences::None,
        skip_symbols: false,
    });
    tokenizer.sentences = shannon_tokens::Sentences::None;
    let mut strings = Vec::new();
    let mut ids = Vec::new();
    tokenizer
        .tokenize(
            text,
            &mut |s| {
                strings.push(s.to_string());
                vocab.lookup(s).unwrap_or(u32::MAX)
            },
            &mut ids,
        )
        .map_err(|e| match e {
            shannon_tokens::TokenizeError::Literal(_) => {
                Error::Input(format!("the query {text:?} holds a literal <s> or </s>, which the index cannot hold"))
            }
            shannon_tokens::TokenizeError::Tokenizer(problem) => Error::Input(format!("the query {text:?}: {problem}")),
        })?;
    let count = if ids.contains(&u32::MAX) { 0 } else { index.count(&ids) };
    let known: Vec<u32> = ids.iter().rev().take_while(|&&i| i != u32::MAX).copied().collect::<Vec<_>>();
    let context: Vec<u32> = known.into_iter().rev().collect();
    let next = index.infinigram(&context);
    let mut next_strings: Vec<(String, u64)> =
        next.followers.iter().map(|&(w, c)| (vocab.string(w).to_string(), c)).collect();
    next_strings.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Query { tokens: strings, count, next, next_strings })
}
