//! `shannon`: measure how much information text carries.
//!
//! The binary is glue: it parses arguments into the jobs' configurations (`shannon_jobs`), shows progress
//! on stderr, prints tables, writes reports and maps errors to exit codes — 0 on success (and on a closed
//! output pipe), 2 on any error, with a one-line message naming the file or flag and the problem. It
//! computes no statistic of its own.

mod code;
mod index;
mod inputs;
mod output;
mod progress;
mod render;
mod tables;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use shannon_jobs::{batch, build, compare, entropy, generate, kl, prune, sample, score, text};
use shannon_jobs::{ConfigError, Inputs, Method, TextConfig};
use shannon_model::Smoothing;
use shannon_tokens::{Sentences, TokenKind};

use crate::progress::Terminal;

#[derive(Parser)]
#[command(name = "shannon", version, about = "Measure how much information text carries", long_about = None)]
struct Cli {
    /// Silence progress and informational messages on stderr.
    #[arg(long, short, global = true, help_heading = "Global options")]
    quiet: bool,
    /// Print per-stage timings on stderr.
    #[arg(long, short, global = true, help_heading = "Global options")]
    verbose: bool,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long, global = true, value_name = "N", help_heading = "Global options")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train models of every order 1..=N with one or more smoothing methods and compare them on held-out text.
    #[command(
        after_help = "Examples:\n  shannon compare                                  # the built-in default corpus\n  shannon compare book.txt --order 4 --smoothing mkn,wb,add-k:0.1\n  shannon compare --train train/ --test test.txt --tokens whitespace"
    )]
    Compare(CompareArgs),
    /// Train one model on a whole corpus and write it as an ARPA file (or in shannon's binary format).
    #[command(
        after_help = "Examples:\n  shannon build corpus.txt --order 5 --smoothing mkn --tokens whitespace --output model.arpa\n  shannon build corpus.txt --order 5 --tokens whitespace --format binary --output model.bin"
    )]
    Build(BuildArgs),
    /// Score text with a model: ARPA (KenLM's, SRILM's or shannon's; plain, gzip, xz, zstd or bzip2) or shannon's binary format.
    #[command(
        after_help = "Examples:\n  shannon score --model model.arpa --tokens whitespace test.txt\n  shannon score --model model.arpa.xz --tokens whitespace --per-sentence test.txt > sentences.jsonl\n  shannon score --model model.bin --tokens whitespace test.txt"
    )]
    Score(ScoreArgs),
    /// Keep the documents whose perplexity under a model passes a rule, written unchanged in input format and order.
    #[command(
        after_help = "Examples:\n  shannon filter --model wiki.bin --keep head --percentiles 30 docs.jsonl.zst --output kept.jsonl.zst\n  shannon filter --model model.arpa --max-perplexity 500 lines.txt --output kept.txt"
    )]
    Filter(FilterArgs),
    /// Convert a model file: ARPA (plain or compressed) or binary in, ARPA or binary out. ARPA to binary keeps probabilities exactly; ARPA out rounds them to `f32`, as lmplz writes.
    #[command(
        after_help = "Examples:\n  shannon convert lmplz.o5.arpa.xz model.bin                # loads at once from now on\n  shannon convert model.bin model.arpa --format arpa"
    )]
    Convert(ConvertArgs),
    /// Divergence between two texts (or two ARPA models): KL both ways, Jensen–Shannon, cross-entropies, and the words behind them.
    #[command(
        after_help = "Examples:\n  shannon kl alice29.txt asyoulik.txt --lowercase\n  shannon kl a.txt b.txt --order 2 --smoothing mle      # infinite where Q lacks a word of P\n  shannon kl p.arpa q.arpa"
    )]
    Kl(KlArgs),
    /// Prune an ARPA model by relative entropy (Stolcke 1998, as SRILM's ngram -prune) and write the result.
    #[command(after_help = "Example:\n  shannon prune --model model.arpa --threshold 1e-7 --output pruned.arpa")]
    Prune(PruneArgs),
    /// Run a plan of corpora × jobs (compare, entropy), resumably, with a summary table across corpora.
    #[command(
        after_help = "Example:\n  shannon batch corpora/batch-example.toml --jobs 2     # reports/<plan>/…, summary.json, summary.md"
    )]
    Batch(BatchArgs),
    /// Generate text from a model through a softmax temperature (0: greedy argmax, deterministic).
    #[command(
        after_help = "Examples:\n  shannon sample --model model.arpa --temperature 0.8 --seed 7 --count 5\n  shannon sample --model chars.arpa --temperature 0 --separator '' --max-tokens 200"
    )]
    Sample(SampleArgs),
    /// Write text from a seeded source whose entropy rate is known exactly.
    #[command(
        after_help = "Example:\n  shannon generate --tokens 2000000 > default.txt   # the default corpus, longer"
    )]
    Generate(GenerateArgs),
    /// Shannon-style entropy: block entropies F_0..F_N with every estimator, Zipf, the guessing game, the entropy rate.
    #[command(
        after_help = "Examples:\n  shannon entropy book1                               # 27 letters, F_0..F_10, guessing game N = 1..10\n  shannon entropy bible.txt --max-order 20 --guess-order 0\n  shannon entropy alice29.txt --tokens words --lowercase   # F_0..F_4 in bits per word and per letter\n  shannon entropy bible.txt --guess-max-order 100          # the guessing game to N = 100 with the ∞-gram"
    )]
    Entropy(EntropyArgs),
    /// Index a corpus's tokens in a suffix array: counts of n-grams of any length, the ∞-gram distribution.
    #[command(
        after_help = "Examples:\n  shannon index bible.txt --tokens letters --output bible.idx\n  shannon index bible.idx --count 'in the beginning'"
    )]
    Index(index::IndexArgs),
    /// Code a text with an adaptive model and an arithmetic coder, decode it back, and report its code length beside xz, bzip2 and zstd.
    #[command(
        after_help = "Examples:\n  shannon code book1                                   # bits per byte, beside xz -9e, bzip2 -9, zstd -22\n  shannon code alice29.txt --write alice29.code --entropy-report reports/entropy-alice29.json\n  shannon code --decode alice29.code --output alice29.txt"
    )]
    Code(code::CodeArgs),
    /// Render a report (compare, score, entropy, code) as one self-contained HTML page with SVG charts.
    #[command(
        after_help = "Examples:\n  shannon render reports/compare-default.json              # writes reports/compare-default.html\n  shannon render reports/entropy-book1.json --output book1.html"
    )]
    Render(RenderArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  shannon completions bash > ~/.local/share/bash-completion/completions/shannon\n  shannon completions zsh > ~/.zfunc/_shannon\n  shannon completions fish > ~/.config/fish/completions/shannon.fish"
    )]
    Completions(CompletionsArgs),
}

/// `entropy --block-counts`.
#[derive(Clone, Copy, ValueEnum)]
enum BlockCountsArg {
    Sort,
    Hash,
    SuffixArray,
}

#[derive(Args)]
struct RenderArgs {
    /// The report (JSON written by shannon; - reads standard input).
    #[arg(value_name = "REPORT")]
    report: PathBuf,
    /// The HTML page to write (default: REPORT with the extension .html; - writes to standard output).
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args)]
struct TextArgs {
    /// How text becomes tokens: whitespace (KenLM's split), words (UAX#29), chars, bytes, letters (Shannon's 27), letters26, or tokenizer:PATH (a Hugging Face tokenizer.json) [default: words; score: the model's own].
    #[arg(long = "tokens", value_name = "KIND", value_parser = parse_kind)]
    kind: Option<TokenKind>,
    /// Fold to lower case (words, whitespace, chars).
    #[arg(long)]
    lowercase: bool,
    /// What a sentence is: every line (wrapped in <s> … </s>), or none (one continuous stream) [default: lines; score: the model's own].
    #[arg(long, value_enum)]
    sentences: Option<SentenceArg>,
    /// Treat <s>, </s> and <unk> in the text as whitespace, as lmplz's --skip_symbols (whitespace tokens;
    /// without it a literal <s> or </s> is an error, and <unk> is the unknown word).
    #[arg(long)]
    skip_symbols: bool,
    /// Replace invalid UTF-8 with U+FFFD (and count replacements) instead of stopping.
    #[arg(long)]
    lossy: bool,
    #[command(flatten)]
    documents: DocumentArgs,
}

/// How files of documents are read.
#[derive(Args)]
struct DocumentArgs {
    /// How input files hold their text: text, jsonl (JSON Lines: one object a line, the text in a field) or
    /// parquet (one row a document, the text in a column) [default: recognised by content, after any
    /// decompression; said on stderr and in the report].
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormatArg>,
    /// The field (JSON Lines) or column (Parquet) that holds each document's text; dots reach into nested
    /// objects and struct columns (meta.body).
    #[arg(long, value_name = "NAME", default_value = shannon_corpus::documents::DEFAULT_TEXT_FIELD)]
    text_field: String,
    /// The field of each record that holds its id (for per-document output; default: the line number).
    #[arg(long, value_name = "NAME")]
    id_field: Option<String>,
    /// Skip records that are not JSON objects or lack a string text field (Parquet: rows whose text is null),
    /// counting them in the report, instead of stopping at the first with its file and line.
    #[arg(long)]
    skip_bad_records: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum InputFormatArg {
    Text,
    Jsonl,
    Parquet,
}

impl DocumentArgs {
    fn options(&self) -> shannon_jobs::DocumentOptions {
        use shannon_corpus::documents::Format;
        shannon_jobs::DocumentOptions {
            format: self.input_format.map(|f| match f {
                InputFormatArg::Text => Format::Text,
                InputFormatArg::Jsonl => Format::Jsonl,
                InputFormatArg::Parquet => Format::Parquet,
            }),
            text_field: self.text_field.clone(),
            id_field: self.id_field.clone(),
            skip_bad_records: self.skip_bad_records,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum SentenceArg {
    Lines,
    None,
}

#[derive(Args)]
struct CompareArgs {
    /// Corpus files or directories; the last --holdout fraction of lines is the test set. None: the built-in default corpus.
    #[arg(value_name = "CORPUS")]
    corpus: Vec<PathBuf>,
    /// Read more CORPUS paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST", conflicts_with = "train")]
    files_from: Option<PathBuf>,
    /// Training files or directories (instead of CORPUS with --holdout).
    #[arg(long, value_name = "PATH", conflicts_with = "corpus")]
    train: Vec<PathBuf>,
    /// Test files or directories.
    #[arg(long, value_name = "PATH")]
    test: Vec<PathBuf>,
    /// Fraction of lines held out for testing, in (0, 1): training gets the first floor(L × (1 − f)) lines.
    #[arg(long, value_name = "F", default_value_t = text::DEFAULT_HOLDOUT)]
    holdout: f64,
    /// Highest model order; models of every order 1..=N are trained.
    #[arg(long, value_name = "N", default_value_t = compare::DEFAULT_ORDER)]
    order: usize,
    /// Smoothing methods, comma-separated: mle, add-k[:K], add-k:auto (K tuned on a development split of the training text), wb, kn, mkn.
    #[arg(long, value_name = "LIST", default_value = "mkn", value_delimiter = ',', value_parser = parse_method)]
    smoothing: Vec<Method>,
    /// Also prune every mkn/kn/wb model at these entropy thresholds (Stolcke 1998; comma-separated, as SRILM's -prune) and report size against perplexity.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    prune: Vec<f64>,
    /// Also score every model through these softmax temperatures (comma-separated, each > 0) and report the best.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    temperatures: Vec<f64>,
    /// Memory for counting and estimating (e.g. 1G): counting sorts n-grams within what the token positions
    /// (8 bytes each) leave of it, and each order's estimation arrays keep within it. The training counts are
    /// kept on disk and each model is estimated from there, keeping only the n-grams the test text asks for:
    /// the same figures, for corpora whose models do not fit in memory. Default: half of the memory available.
    /// add-k, mle, --temperatures and --prune need every count in memory and take no budget.
    #[arg(long, value_name = "SIZE", value_parser = build::parse_size)]
    memory: Option<u64>,
    /// Where the counts and sorted runs go (default: the system's temporary directory); removed when done or
    /// interrupted.
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
    #[command(flatten)]
    text: TextArgs,
    /// Name used in the report and its default path (default: the corpus's file name).
    #[arg(long)]
    name: Option<String>,
    /// Report path (default: reports/compare-<name>[-<settings that differ from the defaults>].json, e.g. compare-book1-o3-wb.json).
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct BuildArgs {
    /// Training files or directories (all of it is used); - is standard input.
    #[arg(value_name = "CORPUS", required_unless_present = "files_from")]
    corpus: Vec<PathBuf>,
    /// Read more CORPUS paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    /// Model order.
    #[arg(long, value_name = "N", default_value_t = build::DEFAULT_ORDER)]
    order: usize,
    /// Smoothing method: mkn, kn or wb (the methods with an exact ARPA form).
    #[arg(long, value_name = "METHOD", default_value = "mkn", value_parser = parse_smoothing)]
    smoothing: Smoothing,
    #[command(flatten)]
    text: TextArgs,
    /// Where to write the model.
    #[arg(long, short, value_name = "PATH")]
    output: PathBuf,
    /// Model file format: arpa (text, for KenLM, SRILM and decoders), binary (shannon's; memory-mapped, loads at
    /// once) or binary-f32 (values rounded to f32 as KenLM's: about two thirds of the file).
    #[arg(long, value_enum, default_value = "arpa")]
    format: FormatArg,
    /// Memory for counting and estimating (e.g. 1G): counting sorts n-grams within what the token positions
    /// (8 bytes each) leave of it, spilling sorted runs to --temp-dir past it, and an ARPA model's estimation
    /// keeps each order's arrays within it (the binary formats still hold the model in memory). The model is
    /// identical for any value. Default: half of the memory available.
    #[arg(long, value_name = "SIZE", value_parser = build::parse_size)]
    memory: Option<u64>,
    /// Where to spill sorted runs (default: the system's temporary directory); removed when done or interrupted.
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
}

#[derive(Args)]
struct ConvertArgs {
    /// The model to read: ARPA (plain, gzip, xz, zstd, bzip2) or binary, recognised by its first bytes.
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// The file to write.
    #[arg(value_name = "OUT")]
    output: PathBuf,
    /// Format of OUT.
    #[arg(long, value_enum, default_value = "binary")]
    format: FormatArg,
}

#[derive(Args)]
struct ScoreArgs {
    /// The model: ARPA (plain, gzip, xz, zstd, bzip2) or shannon's binary format, recognised by its first bytes.
    #[arg(long, short, value_name = "FILE")]
    model: PathBuf,
    /// Text to score: files or directories; - is standard input.
    #[arg(value_name = "TEXT", required_unless_present = "files_from")]
    text_paths: Vec<PathBuf>,
    /// Read more TEXT paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    #[command(flatten)]
    text: TextArgs,
    /// Write one JSON line per sentence (log10 probability, tokens, OOVs) instead of the summary.
    #[arg(long)]
    per_sentence: bool,
    /// Write one JSON line per document, in input order (id, tokens, oov, log10_prob, bits, perplexity,
    /// bits_per_char): a JSON Lines record's text, or a line of plain text. The summary report goes to
    /// --report.
    #[arg(long, conflicts_with_all = ["per_sentence", "json"])]
    per_document: bool,
    /// Add the per-document perplexities at these percentiles (comma-separated, 0 to 100) to the report.
    #[arg(long, value_name = "LIST", value_delimiter = ',', conflicts_with = "per_sentence")]
    percentiles: Vec<f64>,
    /// With --per-document: where the summary report goes (default: reports/score-<model>-<text>.json).
    #[arg(long, value_name = "PATH", requires = "per_document")]
    report: Option<PathBuf>,
    /// Tokenize with the settings given even where they contradict the tokenizer the model records (by default
    /// that is an error: scores with another tokenizer than the training text's are wrong).
    #[arg(long)]
    force_tokens: bool,
    /// Print the report as JSON on standard output even on a terminal (where a table is printed instead and
    /// the report goes to reports/score-<model>-<text>.json). Piped, standard output gets the JSON anyway.
    #[arg(long, conflicts_with_all = ["per_sentence", "output"])]
    json: bool,
    /// Score through softmax temperature τ > 0: p(w|h)^(1/τ), normalized exactly over the vocabulary.
    #[arg(long, default_value = "1")]
    temperature: f64,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct FilterArgs {
    /// The model: ARPA (plain or compressed) or shannon's binary format.
    #[arg(long, short, value_name = "FILE")]
    model: PathBuf,
    /// Documents: JSON Lines files (plain or compressed) or plain text (one document per line), all in one format.
    #[arg(value_name = "INPUT", required_unless_present = "files_from")]
    inputs: Vec<PathBuf>,
    /// Read more INPUT paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    /// Where the kept documents go, compressed if the name ends in .gz, .zst, .xz or .bz2.
    #[arg(long, short, value_name = "PATH")]
    output: PathBuf,
    /// Keep documents with perplexity at most X.
    #[arg(long, value_name = "X", conflicts_with = "keep")]
    max_perplexity: Option<f64>,
    /// Keep the head (lowest perplexities), middle or tail of the distribution cut at --percentiles.
    #[arg(long, value_enum, requires = "percentiles")]
    keep: Option<KeepArg>,
    /// Percentiles to cut at, comma-separated and increasing (e.g. 30,70): head keeps up to the first,
    /// middle between the two, tail above the last.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    percentiles: Vec<f64>,
    #[command(flatten)]
    text: TextArgs,
    /// Tokenize with the settings given even where they contradict the tokenizer the model records.
    #[arg(long)]
    force_tokens: bool,
    /// Where the report goes (default: reports/filter-<input>.json).
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeepArg {
    Head,
    Middle,
    Tail,
}

#[derive(Args)]
struct KlArgs {
    /// The first text (file or directory) or ARPA model.
    #[arg(value_name = "P")]
    p: PathBuf,
    /// The second.
    #[arg(value_name = "Q")]
    q: PathBuf,
    /// Order n: compare conditional distributions after histories of n − 1 tokens (texts only).
    #[arg(long, value_name = "N", default_value_t = kl::DEFAULT_ORDER)]
    order: usize,
    /// Smoothing of both sides (texts only): mle, add-k[:K], wb, kn, mkn.
    #[arg(long, value_name = "METHOD", default_value = "mkn", value_parser = parse_smoothing)]
    smoothing: Smoothing,
    #[command(flatten)]
    text: TextArgs,
    /// Words listed for each direction.
    #[arg(long, default_value_t = kl::DEFAULT_TOP)]
    top: usize,
    /// Report path (default: reports/kl-<P>-<Q>[-<settings that differ from the defaults>].json).
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct PruneArgs {
    /// The model: ARPA (plain or compressed) or shannon's binary format; the pruned model is written as ARPA.
    #[arg(long, short, value_name = "FILE")]
    model: PathBuf,
    /// Remove every n-gram whose removal alone adds less than this relative entropy (nats).
    #[arg(long, value_name = "THETA")]
    threshold: f64,
    /// Where to write the pruned model (ARPA).
    #[arg(long, short, value_name = "PATH")]
    output: PathBuf,
}

#[derive(Args)]
struct BatchArgs {
    /// The plan (TOML).
    #[arg(value_name = "PLAN")]
    plan: PathBuf,
    /// Jobs to run at once (each gets an equal share of --threads).
    #[arg(long, value_name = "N", default_value = "1")]
    jobs: usize,
    /// Directory that holds reports/<plan>/.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,
    /// Memory for counting and estimating, shared by the jobs that run at once (e.g. 2G); compare jobs keep
    /// their counts on disk within their share (see compare --memory). Default: half of the memory available.
    #[arg(long, value_name = "SIZE", value_parser = build::parse_size)]
    memory: Option<u64>,
    /// Where compare jobs keep their counts (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
}

#[derive(Args)]
struct SampleArgs {
    /// The model: ARPA (plain or compressed) or shannon's binary format.
    #[arg(long, short, value_name = "FILE")]
    model: PathBuf,
    /// Softmax temperature τ ≥ 0: 0 is greedy argmax, 1 the model itself, larger flatter.
    #[arg(long, default_value_t = sample::DEFAULT.temperature)]
    temperature: f64,
    /// Seed of the sampler (the same seed gives the same text).
    #[arg(long, default_value_t = sample::DEFAULT.seed)]
    seed: u64,
    /// How many sentences (lines) to write.
    #[arg(long, short = 'n', value_name = "N", default_value_t = sample::DEFAULT.sentences)]
    count: u64,
    /// Most tokens per sentence (or in all, for models without sentence ends).
    #[arg(long, default_value_t = sample::DEFAULT.max_tokens)]
    max_tokens: u64,
    /// What to put between tokens [default: nothing for models of chars, bytes or letters, as the model
    /// records; a space otherwise].
    #[arg(long)]
    separator: Option<String>,
}

#[derive(Args)]
struct EntropyArgs {
    /// Corpus files or directories; - is standard input.
    #[arg(value_name = "CORPUS", required_unless_present = "files_from")]
    corpus: Vec<PathBuf>,
    /// Read more CORPUS paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    /// Symbols: letters (Shannon's 27: a–z and space), letters26, chars, bytes, words (UAX#29), whitespace, or tokenizer:PATH (a Hugging Face tokenizer.json).
    #[arg(long = "tokens", value_name = "KIND", default_value = "letters", value_parser = parse_kind)]
    kind: TokenKind,
    /// Fold to lower case (words, whitespace, chars; letters are always folded).
    #[arg(long)]
    lowercase: bool,
    /// What a sentence is: none (the whole text is one stream) or lines (blocks stop at line ends).
    #[arg(long, value_enum, default_value = "none")]
    sentences: SentenceArg,
    /// Treat <s>, </s> and <unk> in the text as whitespace, as lmplz's --skip_symbols (whitespace tokens;
    /// without it a literal <s> or </s> is an error, and <unk> is the unknown word).
    #[arg(long)]
    skip_symbols: bool,
    /// Replace invalid UTF-8 with U+FFFD (and count replacements) instead of stopping.
    #[arg(long)]
    lossy: bool,
    #[command(flatten)]
    documents: DocumentArgs,
    /// Longest block length N (default: 10 for letters, letters26, chars and bytes; 4 for words and whitespace).
    #[arg(long, value_name = "N")]
    max_order: Option<usize>,
    /// Groups of the block jackknife behind the standard errors.
    #[arg(long, value_name = "G", default_value_t = shannon_eval::entropy::DEFAULT_GROUPS)]
    groups: usize,
    /// Flag a block length as unsupported when the coverage 1 − f1/N of its blocks is below this.
    #[arg(long, value_name = "C", default_value_t = shannon_eval::entropy::DEFAULT_MIN_COVERAGE)]
    min_coverage: f64,
    /// Skip NSB on the jackknife samples (faster; NSB's spread is then its posterior deviation only).
    #[arg(long)]
    no_nsb_jackknife: bool,
    /// Highest predictor order of the guessing game; 0 skips it (default: --max-order for letter-like units, 0 for words).
    #[arg(long, value_name = "N")]
    guess_order: Option<usize>,
    /// Held-out symbols to guess at most (0: all); the cross-entropy uses the whole held-out part.
    #[arg(long, value_name = "N", default_value_t = entropy::DEFAULT_GUESS_LIMIT)]
    guess_limit: u64,
    /// Also play the guessing game to order N (100 and beyond) with the ∞-gram predictor of a suffix-array
    /// index of the training part, and with mkn extended by the index's longer contexts. Default: not played.
    #[arg(long, value_name = "N", default_value_t = 0)]
    guess_max_order: usize,
    /// How block counts are made: sort (every position's N symbols packed in a 64-bit key, sorted once; hash
    /// where they do not fit), hash (one pass over the text per order) or suffix-array (its runs of
    /// suffixes; faster for long blocks). The estimates are the same.
    #[arg(long, value_enum, default_value = "sort")]
    block_counts: BlockCountsArg,
    /// Fraction of lines held out for the guessing game, in (0, 1).
    #[arg(long, value_name = "F", default_value_t = text::DEFAULT_HOLDOUT)]
    holdout: f64,
    /// Memory for the block counts and the guessing game (e.g. 1G): the block counts sort their keys (8 bytes
    /// a position) within what the tokens leave of it, in ranges when they do not fit; the guessing game
    /// counts its training part to disk within it and estimates each predictor from there, keeping only the
    /// n-grams the game and the held-out text ask for. The same figures for any value. Default: half of the
    /// memory available.
    #[arg(long, value_name = "SIZE", value_parser = build::parse_size)]
    memory: Option<u64>,
    /// Where the guessing game's counts and sorted runs go (default: the system's temporary directory);
    /// removed when done or interrupted.
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
    /// Name used in the report and its default path (default: the corpus's file name).
    #[arg(long)]
    name: Option<String>,
    /// Report path (default: reports/entropy-<name>[-<settings that differ from the defaults>].json, e.g. entropy-book1-words.json).
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct GenerateArgs {
    /// The source: sentences (the default corpus's word Markov chain), uniform (i.i.d.), markov (random order-k chain over an alphabet), english (English-like text for benchmarks; rate not exact).
    #[arg(long, value_enum, default_value = "sentences")]
    source: SourceArg,
    /// How much to write: lines for sentences, symbols for uniform and markov, words for english.
    #[arg(long, short = 'n', value_name = "N")]
    count: Option<u64>,
    /// Bytes to write (english only; instead of --count).
    #[arg(long, value_name = "SIZE", conflicts_with = "count", value_parser = build::parse_size)]
    bytes: Option<u64>,
    /// Seed of the text stream.
    #[arg(long, default_value_t = shannon_jobs::default_corpus::SEED)]
    seed: u64,
    /// Seed of the source's tables (markov transition tables, sentences vocabulary, english words).
    #[arg(long, value_name = "SEED")]
    model_seed: Option<u64>,
    /// Alphabet of uniform and markov sources.
    #[arg(long, default_value = "abcdefghijklmnopqrstuvwxyz ")]
    alphabet: String,
    /// Context length of a markov source.
    #[arg(long, default_value = "1")]
    order: usize,
    /// Dirichlet concentration of a markov source's rows (small: peaked, predictable text).
    #[arg(long, default_value = "0.5")]
    concentration: f64,
    /// Vocabulary of the sentences source.
    #[arg(long, default_value = "1000")]
    vocab: usize,
    /// Worker threads for english (output is identical for any value).
    #[arg(long, value_name = "N", default_value = "1")]
    jobs: usize,
    /// Write to this file instead of stdout, and the source's exact rate beside it (PATH.source.json), where
    /// `shannon entropy PATH` shows it next to its estimates.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceArg {
    Sentences,
    Uniform,
    Markov,
    English,
}

/// How a model file is written.
#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// ARPA text: what KenLM, SRILM and most decoders read.
    Arpa,
    /// shannon's binary format: memory-mapped and queried in place, so it loads at once.
    Binary,
    /// The binary format with ln p and ln backoff rounded to f32, as KenLM stores them: about two thirds of
    /// the file, scores within a relative 1e-7 or so.
    BinaryF32,
}

impl From<FormatArg> for build::Format {
    fn from(f: FormatArg) -> build::Format {
        match f {
            FormatArg::Arpa => build::Format::Arpa,
            FormatArg::Binary => build::Format::Binary,
            FormatArg::BinaryF32 => build::Format::BinaryF32,
        }
    }
}

/// A built-in token kind, or `tokenizer:PATH`: a Hugging Face `tokenizer.json`, loaded here (a file that
/// cannot be read or loaded is a one-line error naming it).
fn parse_kind(s: &str) -> Result<TokenKind, String> {
    if let Some(path) = s.strip_prefix("tokenizer:") {
        if path.is_empty() {
            return Err("tokenizer: needs the path of a tokenizer.json file (tokenizer:PATH)".into());
        }
        return shannon_tokens::TokenizerFile::load(std::path::Path::new(path))
            .map(TokenKind::Tokenizer)
            .map_err(|e| e.to_string());
    }
    TokenKind::from_name(s).ok_or_else(|| {
        let names: Vec<_> = TokenKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown tokenizer '{s}' (expected one of: {}, tokenizer:PATH)", names.join(", "))
    })
}

fn parse_smoothing(s: &str) -> Result<Smoothing, String> {
    Smoothing::parse(s).map_err(|e| e.to_string())
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::parse(s).map_err(|e| e.problem)
}

impl From<SentenceArg> for Sentences {
    fn from(s: SentenceArg) -> Sentences {
        match s {
            SentenceArg::Lines => Sentences::Lines,
            SentenceArg::None => Sentences::None,
        }
    }
}

impl TextArgs {
    /// The settings given, to be resolved against a model's record (`score`).
    fn choice(&self, force: bool) -> text::TokenizerChoice {
        text::TokenizerChoice {
            kind: self.kind,
            lowercase: self.lowercase.then_some(true),
            sentences: self.sentences.map(Into::into),
            skip_symbols: self.skip_symbols.then_some(true),
            force,
        }
    }

    fn config(&self) -> TextConfig {
        let default = text::DEFAULT_TOKENIZER;
        TextConfig {
            tokenizer: shannon_tokens::Tokenizer {
                kind: self.kind.unwrap_or(default.kind),
                lowercase: self.lowercase,
                sentences: self.sentences.map_or(default.sentences, Into::into),
                skip_symbols: self.skip_symbols,
            },
            lossy: self.lossy,
        }
    }
}

fn main() -> ExitCode {
    // Ctrl-C, SIGTERM and SIGHUP skip destructors: remove spill directories and half-written outputs, then
    // exit as the shell expects of an interrupted program.
    let _ = ctrlc::set_handler(|| {
        shannon_jobs::cleanup::remove_all();
        std::process::exit(130);
    });
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayVersion
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // One line, like every other error: clap's first line without its "error: " prefix, and its
            // suggestion ("a similar argument exists: '--order'") where it has one.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            let tips: Vec<&str> =
                text.lines().filter_map(|l| l.trim().strip_prefix("tip: ")).filter(|t| t.contains("similar")).collect();
            match tips.is_empty() {
                true => eprintln!("shannon: error: {first} (see --help)"),
                false => eprintln!("shannon: error: {first}; {} (see --help)", tips.join("; ")),
            }
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(2),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // A setting a job refused is said as the flag that set it.
            match e.downcast_ref::<shannon_jobs::Error>() {
                Some(shannon_jobs::Error::Config(c)) => eprintln!("shannon: error: {}", c.as_flag()),
                _ => eprintln!("shannon: error: {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

/// How a run ended without an error of its own: everything done, or a batch with failed jobs (already
/// reported in its table).
enum Outcome {
    Done,
    SomeFailed,
}

/// A configuration checked as the command line gives it: `--order must be …`.
fn checked(result: Result<(), ConfigError>) -> Result<()> {
    result.map_err(|e| anyhow::anyhow!(e.as_flag()))
}

/// Writes `text` to standard output.
fn print(text: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text)?;
    out.flush()?;
    Ok(())
}

fn run(cli: Cli) -> Result<Outcome> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = cli.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let progress = Terminal::new(!cli.quiet, cli.verbose);
    pool.install(|| match cli.command {
        Command::Compare(a) => run_compare(a, &progress),
        Command::Build(a) => run_build(a, &progress),
        Command::Convert(a) => {
            output::check(&a.output)?;
            let config = build::ConvertConfig { input: a.input, output: a.output, format: a.format.into() };
            let (order, ngrams) = build::convert(&config, &progress)?;
            progress.info(&format!(
                "wrote {} ({} n-grams of orders 1..={order})",
                config.output.display(),
                ngrams.iter().sum::<u64>()
            ));
            Ok(Outcome::Done)
        }
        Command::Score(a) => run_score(a, &progress),
        Command::Filter(a) => run_filter(a, &progress),
        Command::Kl(a) => {
            let mut config = kl::KlConfig::new(vec![a.p], vec![a.q], a.text.config());
            (config.order, config.smoothing, config.top) = (a.order, a.smoothing, a.top);
            config.documents = a.text.documents.options();
            checked(config.validate())?;
            let output = output::report_path(a.output.as_deref(), &config.report_stem())?;
            output::check(&output)?;
            let report = kl::run(&config, &progress)?;
            shannon_report::write_atomic(&output, &shannon_report::to_json(&report))?;
            print(tables::kl(&report).as_bytes())?;
            progress.info(&format!("report written to {}", output.display()));
            Ok(Outcome::Done)
        }
        Command::Prune(a) => {
            let config = prune::PruneConfig { model: a.model, threshold: a.threshold, output: a.output };
            checked(config.validate())?;
            output::check(&config.output)?;
            let pruned = prune::run(&config, &progress)?;
            progress.info(&format!(
                "removed {:?} n-grams per order; {} left; predicted KL(original‖pruned) = {:.3e} bits; wrote {}",
                pruned.removed,
                pruned.left,
                pruned.predicted_kl_bits,
                config.output.display()
            ));
            Ok(Outcome::Done)
        }
        Command::Batch(a) => {
            let config = batch::BatchConfig {
                plan: a.plan,
                jobs: a.jobs,
                threads: rayon::current_num_threads(),
                reports: a.reports,
                memory: build::CountMemory { memory: a.memory, temp_dir: a.temp_dir, why: None },
            };
            checked(config.validate())?;
            let summary = batch::run(&config, &progress)?;
            print(batch::markdown(&summary).as_bytes())?;
            if summary.failed > 0 {
                eprintln!(
                    "shannon: error: {} of {} jobs failed (see the table above and summary.json)",
                    summary.failed,
                    summary.jobs.len()
                );
                return Ok(Outcome::SomeFailed);
            }
            Ok(Outcome::Done)
        }
        Command::Sample(a) => {
            let job = sample::SampleJob {
                model: a.model,
                sample: sample::SampleConfig {
                    temperature: a.temperature,
                    seed: a.seed,
                    sentences: a.count,
                    max_tokens: a.max_tokens,
                },
                separator: a.separator,
            };
            checked(job.validate())?;
            print(sample::run(&job, &progress)?.as_bytes())?;
            Ok(Outcome::Done)
        }
        Command::Generate(a) => run_generate(a, &progress),
        Command::Entropy(a) => run_entropy(a, &progress),
        Command::Index(a) => index::run(a, &progress),
        Command::Code(a) => code::run(a, &progress),
        Command::Render(a) => {
            let to = render::destination(&a.report, a.output.as_deref())?;
            render::run(&a.report, &to)?;
            if let render::Destination::File(path) = &to {
                progress.info(&format!("page written to {}", path.display()));
            }
            Ok(Outcome::Done)
        }
        Command::Completions(a) => {
            // Into memory first: clap_complete panics on a failed write, and `| head` must exit quietly.
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut <Cli as clap::CommandFactory>::command(), "shannon", &mut script);
            print(&script)?;
            Ok(Outcome::Done)
        }
    })
}

fn run_compare(mut a: CompareArgs, progress: &Terminal) -> Result<Outcome> {
    inputs::stdin_at_most_once(&[&a.corpus, &a.train, &a.test], a.files_from.as_deref())?;
    a.corpus = inputs::with_list(a.corpus, a.files_from.as_deref())?;
    let sources = if !a.train.is_empty() {
        if a.test.is_empty() {
            bail!("--train needs --test (or give the corpus as CORPUS and use --holdout)");
        }
        Inputs::Files { train: a.train, test: a.test }
    } else if !a.corpus.is_empty() {
        if a.test.is_empty() {
            Inputs::Holdout { corpus: a.corpus, holdout: a.holdout }
        } else {
            Inputs::Files { train: a.corpus, test: a.test }
        }
    } else {
        if !a.test.is_empty() {
            bail!("--test needs a training corpus (CORPUS or --train)");
        }
        Inputs::Default
    };
    let mut config = compare::CompareConfig::new(sources, a.text.config());
    config.order = a.order;
    config.smoothing = a.smoothing;
    config.temperatures = a.temperatures;
    config.prune = a.prune;
    config.name = a.name;
    config.documents = a.text.documents.options();
    config.memory = build::CountMemory { memory: a.memory, temp_dir: a.temp_dir, why: None };
    // `--holdout` is checked even where it is not used, so that a bad value never passes silently.
    checked(text::check_holdout(a.holdout))?;
    checked(config.validate())?;
    let output = output::report_path(a.output.as_deref(), &config.report_stem())?;
    output::check(&output)?;
    let report = compare::run(&config, progress)?;
    let before = text::read_report(&output).map(|r| compare::settings(&r));
    output::say_if_replacing(&output, before, &compare::settings(&report), progress);
    shannon_report::write_atomic(&output, &shannon_report::to_json(&report))?;
    print(tables::compare(&report).as_bytes())?;
    progress.info(&format!("report written to {}", output.display()));
    Ok(Outcome::Done)
}

fn run_build(mut a: BuildArgs, progress: &Terminal) -> Result<Outcome> {
    inputs::stdin_at_most_once(&[&a.corpus], a.files_from.as_deref())?;
    a.corpus = inputs::with_list(a.corpus, a.files_from.as_deref())?;
    let mut config = build::BuildConfig::new(a.corpus, a.text.config(), a.output);
    config.order = a.order;
    config.smoothing = a.smoothing;
    config.format = a.format.into();
    config.memory = build::CountMemory { memory: a.memory, temp_dir: a.temp_dir, why: None };
    config.documents = a.text.documents.options();
    checked(config.validate())?;
    output::check(&config.output)?;
    let summary = build::run(&config, progress)?;
    progress.info(&format!(
        "wrote {} ({} n-grams of orders 1..={})",
        config.output.display(),
        summary.ngrams.iter().sum::<u64>(),
        config.order
    ));
    Ok(Outcome::Done)
}

fn run_score(mut a: ScoreArgs, progress: &Terminal) -> Result<Outcome> {
    inputs::stdin_at_most_once(&[&a.text_paths], a.files_from.as_deref())?;
    a.text_paths = inputs::with_list(a.text_paths, a.files_from.as_deref())?;
    let mut config = score::ScoreConfig::new(a.model, a.text_paths, a.text.choice(a.force_tokens));
    config.lossy = a.text.lossy;
    config.per_sentence = a.per_sentence;
    config.temperature = a.temperature;
    config.documents = a.text.documents.options();
    config.per_document = a.per_document;
    config.percentiles = a.percentiles;
    checked(config.validate())?;
    if config.per_document {
        return run_score_documents(&config, a.output, a.report, progress);
    }
    // Per-sentence lines, and the report when it is asked for as JSON or piped, go where they always went:
    // --output or standard output. On a terminal a person reads a table, and the report goes to a file.
    let table = !config.per_sentence && !a.json && (a.output.is_some() || std::io::stdout().is_terminal());
    let report_file = match (&a.output, table) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => Some(output::report_path(None, &score_stem(&config))?),
        (None, false) => None,
    };
    if let Some(path) = &report_file {
        output::check(path)?;
    }
    let scored = score::run(&config, progress)?;
    let bytes = if config.per_sentence {
        score::sentences_jsonl(&scored.sentences)
    } else {
        shannon_report::to_json(&scored.report)
    };
    match &report_file {
        Some(path) => shannon_report::write_atomic(path, &bytes)?,
        None => print(&bytes)?,
    }
    if table {
        print(tables::score(&scored.report).as_bytes())?;
        if let Some(path) = &report_file {
            progress.info(&format!("report written to {}", path.display()));
        }
    }
    Ok(Outcome::Done)
}

/// `score --per-document`: the lines to --output (written atomically) or standard output as each window of
/// documents is scored; the summary report to --report or its default path.
fn run_score_documents(
    config: &score::ScoreConfig,
    output: Option<PathBuf>,
    report: Option<PathBuf>,
    progress: &Terminal,
) -> Result<Outcome> {
    let report_file = output::report_path(report.as_deref(), &score_stem(config))?;
    output::check(&report_file)?;
    if let Some(path) = &output {
        output::check(path)?;
    }
    let mut file = output.as_deref().map(shannon_jobs::output::Output::create).transpose()?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let scored = score::run_documents(config, progress, &mut |d| {
        let line = score::document_line(d);
        match file.as_mut() {
            Some(f) => f.write_all(&line),
            None => stdout.write_all(&line).map_err(|e| shannon_jobs::Error::io("cannot write standard output", e)),
        }
    })?;
    match file {
        Some(f) => f.finish()?,
        None => stdout.flush()?,
    }
    shannon_report::write_atomic(&report_file, &shannon_report::to_json(&scored.report))?;
    if let Some(d) = &scored.report.documents {
        let cuts: Vec<String> = d
            .percentiles
            .iter()
            .map(|p| format!("p{}: {}", p.percentile, p.perplexity.map_or("inf".into(), |x| format!("{x:.2}"))))
            .collect();
        progress.info(&format!(
            "scored {} documents{}{}; report written to {}",
            d.documents,
            if d.skipped_bad_records > 0 {
                format!(" ({} bad records skipped)", d.skipped_bad_records)
            } else {
                String::new()
            },
            if cuts.is_empty() { String::new() } else { format!("; perplexity {}", cuts.join(", ")) },
            report_file.display()
        ));
    }
    Ok(Outcome::Done)
}

fn run_filter(mut a: FilterArgs, progress: &Terminal) -> Result<Outcome> {
    inputs::stdin_at_most_once(&[&a.inputs], a.files_from.as_deref())?;
    a.inputs = inputs::with_list(a.inputs, a.files_from.as_deref())?;
    let mut config =
        shannon_jobs::filter::FilterConfig::new(a.model, a.inputs, a.output, a.text.choice(a.force_tokens));
    config.lossy = a.text.lossy;
    config.documents = a.text.documents.options();
    config.max_perplexity = a.max_perplexity;
    config.keep = a.keep.map(|k| match k {
        KeepArg::Head => shannon_jobs::filter::Keep::Head,
        KeepArg::Middle => shannon_jobs::filter::Keep::Middle,
        KeepArg::Tail => shannon_jobs::filter::Keep::Tail,
    });
    config.percentiles = a.percentiles;
    checked(config.validate())?;
    if config.inputs.iter().any(|p| p == &config.output) {
        bail!("--output {} is also an input; write the kept documents elsewhere", config.output.display());
    }
    output::check(&config.output)?;
    let stem = format!("filter-{}", text::corpus_name(&config.inputs));
    let report_file = output::report_path(a.report.as_deref(), &stem)?;
    output::check(&report_file)?;
    let report = shannon_jobs::filter::run(&config, progress)?;
    shannon_report::write_atomic(&report_file, &shannon_report::to_json(&report))?;
    let d = report.documents;
    let cuts: Vec<String> = report
        .rule
        .thresholds
        .iter()
        .map(|p| format!("p{} = {}", p.percentile, p.perplexity.map_or("inf".into(), |x| format!("{x:.2}"))))
        .collect();
    progress.info(&format!(
        "kept {} of {} documents ({} dropped for perplexity{}, {} without tokens, {} bad records skipped){}; wrote {}; report {}",
        d.kept,
        d.read,
        d.dropped_perplexity,
        report.rule.max_perplexity.map_or(String::new(), |x| format!(" above {x}")),
        d.dropped_empty,
        d.skipped_bad_records,
        if cuts.is_empty() { String::new() } else { format!("; {}", cuts.join(", ")) },
        report.output,
        report_file.display()
    ));
    Ok(Outcome::Done)
}

/// The default stem of a score report: `score-<model>-<text>`.
fn score_stem(config: &score::ScoreConfig) -> String {
    format!(
        "score-{}-{}",
        text::corpus_name(std::slice::from_ref(&config.model)),
        text::corpus_name(&config.text_paths)
    )
}

fn run_entropy(mut a: EntropyArgs, progress: &Terminal) -> Result<Outcome> {
    inputs::stdin_at_most_once(&[&a.corpus], a.files_from.as_deref())?;
    a.corpus = inputs::with_list(a.corpus, a.files_from.as_deref())?;
    let tokenizer = shannon_tokens::Tokenizer {
        kind: a.kind,
        lowercase: a.lowercase,
        sentences: a.sentences.into(),
        skip_symbols: a.skip_symbols,
    };
    let mut config = entropy::EntropyConfig::new(a.corpus, TextConfig { tokenizer, lossy: a.lossy })
        .with_orders(a.max_order, a.guess_order);
    config.groups = a.groups;
    config.min_coverage = a.min_coverage;
    config.nsb_jackknife = !a.no_nsb_jackknife;
    config.guess_limit = a.guess_limit;
    config.guess_max_order = a.guess_max_order;
    config.block_counter = match a.block_counts {
        BlockCountsArg::Sort => shannon_eval::entropy::BlockCounter::Sort,
        BlockCountsArg::Hash => shannon_eval::entropy::BlockCounter::Hash,
        BlockCountsArg::SuffixArray => shannon_eval::entropy::BlockCounter::SuffixArray,
    };
    config.holdout = a.holdout;
    config.name = a.name;
    config.true_rate = entropy::true_rate_beside(&config.corpus);
    config.documents = a.documents.options();
    config.memory = build::CountMemory { memory: a.memory, temp_dir: a.temp_dir, why: None };
    checked(config.validate())?;
    let output = output::report_path(a.output.as_deref(), &config.report_stem())?;
    output::check(&output)?;
    let report = entropy::run(&config, progress)?;
    let before = text::read_report(&output).map(|r| entropy::settings(&r));
    output::say_if_replacing(&output, before, &entropy::settings(&report), progress);
    shannon_report::write_atomic(&output, &shannon_report::to_json(&report))?;
    print(tables::entropy(&report).as_bytes())?;
    for w in &report.warnings {
        progress.info(&format!("warning: {w}"));
    }
    progress.info(&format!("report written to {}", output.display()));
    Ok(Outcome::Done)
}

fn run_generate(a: GenerateArgs, progress: &Terminal) -> Result<Outcome> {
    if let Some(path) = &a.output {
        output::check(path)?;
    }
    let config = generate::GenerateConfig {
        source: match a.source {
            SourceArg::Sentences => generate::SourceKind::Sentences,
            SourceArg::Uniform => generate::SourceKind::Uniform,
            SourceArg::Markov => generate::SourceKind::Markov,
            SourceArg::English => generate::SourceKind::English,
        },
        count: a.count,
        bytes: a.bytes,
        seed: a.seed,
        model_seed: a.model_seed,
        alphabet: a.alphabet,
        order: a.order,
        concentration: a.concentration,
        vocab: a.vocab,
        jobs: a.jobs,
    };
    let (text, rate) = generate::run(&config)?;
    match &a.output {
        Some(path) => {
            shannon_report::write_atomic(path, &text)?;
            // The exact rate beside the text, where `shannon entropy` finds it.
            if let Some(r) = &rate {
                let record = generate::record_path(path);
                shannon_report::write_atomic(&record, &shannon_report::to_json(&generate::record(&config, r)))?;
            }
        }
        None => print(&text)?,
    }
    if let Some(r) = rate {
        progress.info(&format!("exact entropy rate: {:.6} bits/{}, {:.6} bits/byte", r.per_unit, r.unit, r.per_byte));
    }
    Ok(Outcome::Done)
}
