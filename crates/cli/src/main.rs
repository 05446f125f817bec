//! `shannon`: measure how much information text carries.
//!
//! This file parses arguments, runs a command, prints, and exits: 0 on success (and on a closed output
//! pipe), 2 on any error, with a one-line message naming the file or flag and the problem.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use shannon::compare::{self, CompareConfig};
use shannon::progress::Progress;
use shannon::{build, parse_size, score, Inputs, Method, TextConfig};
use shannon_model::Smoothing;
use shannon_tokens::{Sentences, TokenKind};

#[derive(Parser)]
#[command(name = "shannon", version, about = "Measure how much information text carries", long_about = None)]
struct Cli {
    /// Silence progress and informational messages on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Print per-stage timings on stderr.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long, global = true, value_name = "N")]
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
    /// Score text with a model: ARPA (KenLM's, SRILM's or shannon's; plain, gzip or xz) or shannon's binary format.
    #[command(
        after_help = "Examples:\n  shannon score --model model.arpa --tokens whitespace test.txt\n  shannon score --model model.arpa.xz --tokens whitespace --per-sentence test.txt > sentences.jsonl\n  shannon score --model model.bin --tokens whitespace test.txt"
    )]
    Score(ScoreArgs),
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
        after_help = "Examples:\n  shannon sample --model model.arpa --temperature 0.8 --seed 7 --sentences 5\n  shannon sample --model chars.arpa --temperature 0 --separator '' --max-tokens 200"
    )]
    Sample(SampleArgs),
    /// Write text from a seeded source whose entropy rate is known exactly.
    #[command(
        after_help = "Example:\n  shannon generate --tokens 2000000 > default.txt   # the default corpus, longer"
    )]
    Generate(GenerateArgs),
    /// Shannon-style entropy: block entropies F_0..F_N with every estimator, Zipf, the guessing game, the entropy rate.
    #[command(
        after_help = "Examples:\n  shannon entropy book1                               # 27 letters, F_0..F_10, guessing game N = 1..10\n  shannon entropy bible.txt --max-order 20 --guess-order 0\n  shannon entropy alice29.txt --tokens words --lowercase   # F_0..F_4 in bits per word and per letter"
    )]
    Entropy(EntropyArgs),
    /// Render a report (compare, score, entropy) as one self-contained HTML page with SVG charts.
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
    /// How text becomes tokens: whitespace (KenLM's split), words (UAX#29), chars, bytes, letters (Shannon's 27), letters26.
    #[arg(long = "tokens", value_name = "KIND", default_value = "words", value_parser = parse_kind)]
    kind: TokenKind,
    /// Fold to lower case (words, whitespace, chars).
    #[arg(long)]
    lowercase: bool,
    /// What a sentence is: every line (wrapped in <s> … </s>), or none (one continuous stream).
    #[arg(long, value_enum, default_value = "lines")]
    sentences: SentenceArg,
    /// Replace invalid UTF-8 with U+FFFD (and count replacements) instead of stopping.
    #[arg(long)]
    lossy: bool,
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
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = parse_holdout)]
    holdout: f64,
    /// Highest model order; models of every order 1..=N are trained.
    #[arg(long, value_name = "N", default_value = "5", value_parser = parse_order)]
    order: usize,
    /// Smoothing methods, comma-separated: mle, add-k[:K], add-k:auto (K tuned on a development split of the training text), wb, kn, mkn.
    #[arg(long, value_name = "LIST", default_value = "mkn", value_delimiter = ',', value_parser = parse_method)]
    smoothing: Vec<Method>,
    /// Also prune every mkn/kn/wb model at these entropy thresholds (Stolcke 1998; comma-separated, as SRILM's -prune) and report size against perplexity.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_threshold)]
    prune: Vec<f64>,
    /// Also score every model through these softmax temperatures (comma-separated, each > 0) and report the best.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_temperature)]
    temperatures: Vec<f64>,
    #[command(flatten)]
    text: TextArgs,
    /// Name used in the report and its default path (default: the corpus's file name).
    #[arg(long)]
    name: Option<String>,
    /// Report path (default: reports/compare-<name>.json).
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
    #[arg(long, value_name = "N", default_value = "5", value_parser = parse_order)]
    order: usize,
    /// Smoothing method: mkn, kn or wb (the methods with an exact ARPA form).
    #[arg(long, value_name = "METHOD", default_value = "mkn", value_parser = parse_smoothing)]
    smoothing: Smoothing,
    #[command(flatten)]
    text: TextArgs,
    /// Where to write the model.
    #[arg(long, short, value_name = "PATH")]
    output: PathBuf,
    /// Model file format: arpa (text, for KenLM, SRILM and decoders) or binary (shannon's; memory-mapped, loads at once).
    #[arg(long, value_enum, default_value = "arpa")]
    format: build::Format,
    /// Memory for sorting n-grams while counting (e.g. 1G); past it, sorted runs spill to --temp-dir and are
    /// merged. The model is identical for any value. Default: no limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
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
    format: build::Format,
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
    /// Score through softmax temperature τ > 0: p(w|h)^(1/τ), normalized exactly over the vocabulary.
    #[arg(long, default_value = "1", value_parser = parse_temperature)]
    temperature: f64,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
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
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_order)]
    order: usize,
    /// Smoothing of both sides (texts only): mle, add-k[:K], wb, kn, mkn.
    #[arg(long, value_name = "METHOD", default_value = "mkn", value_parser = parse_smoothing)]
    smoothing: Smoothing,
    #[command(flatten)]
    text: TextArgs,
    /// Words listed for each direction.
    #[arg(long, default_value = "20")]
    top: usize,
    /// Report path (default: reports/kl-<P>-<Q>.json).
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct PruneArgs {
    /// The model (ARPA).
    #[arg(long, short, value_name = "FILE")]
    model: PathBuf,
    /// Remove every n-gram whose removal alone adds less than this relative entropy (nats).
    #[arg(long, value_name = "THETA", value_parser = parse_threshold)]
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
}

#[derive(Args)]
struct SampleArgs {
    /// The model (ARPA).
    #[arg(long, short, value_name = "FILE")]
    model: PathBuf,
    /// Softmax temperature τ ≥ 0: 0 is greedy argmax, 1 the model itself, larger flatter.
    #[arg(long, default_value = "1", value_parser = parse_sample_temperature)]
    temperature: f64,
    /// Seed of the sampler (the same seed gives the same text).
    #[arg(long, default_value = "0")]
    seed: u64,
    /// Sentences to generate.
    #[arg(long, default_value = "10")]
    sentences: u64,
    /// Most tokens per sentence (or in all, for models without sentence ends).
    #[arg(long, default_value = "100")]
    max_tokens: u64,
    /// What to put between tokens (use '' for character models).
    #[arg(long, default_value = " ")]
    separator: String,
}

#[derive(Args)]
struct EntropyArgs {
    /// Corpus files or directories; - is standard input.
    #[arg(value_name = "CORPUS", required_unless_present = "files_from")]
    corpus: Vec<PathBuf>,
    /// Read more CORPUS paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    /// Symbols: letters (Shannon's 27: a–z and space), letters26, chars, bytes, words (UAX#29), whitespace.
    #[arg(long = "tokens", value_name = "KIND", default_value = "letters", value_parser = parse_kind)]
    kind: TokenKind,
    /// Fold to lower case (words, whitespace, chars; letters are always folded).
    #[arg(long)]
    lowercase: bool,
    /// What a sentence is: none (the whole text is one stream) or lines (blocks stop at line ends).
    #[arg(long, value_enum, default_value = "none")]
    sentences: SentenceArg,
    /// Replace invalid UTF-8 with U+FFFD (and count replacements) instead of stopping.
    #[arg(long)]
    lossy: bool,
    /// Longest block length N (default: 10 for letters, letters26, chars and bytes; 4 for words and whitespace).
    #[arg(long, value_name = "N", value_parser = parse_order)]
    max_order: Option<usize>,
    /// Groups of the block jackknife behind the standard errors.
    #[arg(long, value_name = "G", default_value = "20", value_parser = shannon::entropy::parse_groups)]
    groups: usize,
    /// Flag a block length as unsupported when the coverage 1 − f1/N of its blocks is below this.
    #[arg(long, value_name = "C", default_value = "0.9", value_parser = shannon::entropy::parse_coverage)]
    min_coverage: f64,
    /// Skip NSB on the jackknife samples (faster; NSB's spread is then its posterior deviation only).
    #[arg(long)]
    no_nsb_jackknife: bool,
    /// Highest predictor order of the guessing game; 0 skips it (default: --max-order for letter-like units, 0 for words).
    #[arg(long, value_name = "N", value_parser = shannon::entropy::parse_guess_order)]
    guess_order: Option<usize>,
    /// Held-out symbols to guess at most (0: all); the cross-entropy uses the whole held-out part.
    #[arg(long, value_name = "N", default_value = "50000")]
    guess_limit: u64,
    /// Fraction of lines held out for the guessing game, in (0, 1).
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = parse_holdout)]
    holdout: f64,
    /// Name used in the report and its default path (default: the corpus's file name).
    #[arg(long)]
    name: Option<String>,
    /// Report path (default: reports/entropy-<name>.json).
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
    #[arg(long, value_name = "SIZE", conflicts_with = "count", value_parser = parse_size)]
    bytes: Option<u64>,
    /// Seed of the text stream.
    #[arg(long, default_value_t = shannon::default_corpus::SEED)]
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
    /// Write to this file instead of stdout.
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

/// Parses `123`, `10K`, `400M`, `2G` (powers of 1024).
fn parse_kind(s: &str) -> Result<TokenKind, String> {
    TokenKind::from_name(s).ok_or_else(|| {
        let names: Vec<_> = TokenKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown tokenizer '{s}' (expected one of: {})", names.join(", "))
    })
}

fn parse_smoothing(s: &str) -> Result<Smoothing, String> {
    Smoothing::parse(s).map_err(|e| e.to_string())
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::parse(s).map_err(|e| e.to_string())
}

fn parse_temperature(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t.is_finite() => Ok(t),
        _ => Err(format!("a temperature must be a positive number, got '{s}'")),
    }
}

fn parse_sample_temperature(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t >= 0.0 && t.is_finite() => Ok(t),
        _ => Err(format!("the temperature must be a number ≥ 0, got '{s}'")),
    }
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t >= 0.0 && t.is_finite() => Ok(t),
        _ => Err(format!("a pruning threshold must be a number ≥ 0, got '{s}'")),
    }
}

fn parse_holdout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => Err(format!("holdout must be a fraction strictly between 0 and 1, got '{s}'")),
    }
}

fn parse_order(s: &str) -> Result<usize, String> {
    let max = shannon_counts::MAX_ORDER;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("order must be an integer from 1 to {max}, got '{s}'")),
    }
}

impl TextArgs {
    fn config(&self) -> TextConfig {
        TextConfig {
            tokenizer: shannon_tokens::Tokenizer {
                kind: self.kind,
                lowercase: self.lowercase,
                sentences: match self.sentences {
                    SentenceArg::Lines => Sentences::Lines,
                    SentenceArg::None => Sentences::None,
                },
            },
            lossy: self.lossy,
        }
    }
}

fn main() -> ExitCode {
    // Ctrl-C, SIGTERM and SIGHUP skip destructors: remove spill directories and half-written outputs, then
    // exit as the shell expects of an interrupted program.
    let _ = ctrlc::set_handler(|| {
        shannon::cleanup::remove_all();
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
            // One line, like every other error: clap's first line without its "error: " prefix.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("shannon: error: {} (see --help)", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("shannon: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = cli.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let progress = Progress::new(!cli.quiet, cli.verbose);
    pool.install(|| match cli.command {
        Command::Compare(mut a) => {
            shannon::inputs::stdin_at_most_once(&[&a.corpus, &a.train, &a.test], a.files_from.as_deref())?;
            a.corpus = shannon::inputs::with_list(a.corpus, a.files_from.as_deref())?;
            let inputs = if !a.train.is_empty() {
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
            let config = CompareConfig {
                inputs,
                text: a.text.config(),
                order: a.order,
                smoothing: a.smoothing,
                temperatures: a.temperatures,
                prune: a.prune,
                name: a.name,
                output: a.output,
                threads: rayon::current_num_threads(),
            };
            let (report, path) = compare::run(&config, &progress)?;
            let mut out = std::io::stdout().lock();
            out.write_all(compare::table(&report).as_bytes())?;
            out.flush()?;
            progress.info(&format!("report written to {}", path.display()));
            Ok(())
        }
        Command::Build(mut a) => {
            shannon::inputs::stdin_at_most_once(&[&a.corpus], a.files_from.as_deref())?;
            a.corpus = shannon::inputs::with_list(a.corpus, a.files_from.as_deref())?;
            let smoothing = a.smoothing;
            let memory = build::CountMemory { memory: a.memory, temp_dir: a.temp_dir };
            build::run(&a.corpus, &a.text.config(), a.order, smoothing, a.format, &a.output, &memory, &progress)
        }
        Command::Convert(a) => build::convert(&a.input, &a.output, a.format, &progress),
        Command::Score(mut a) => {
            shannon::inputs::stdin_at_most_once(&[&a.text_paths], a.files_from.as_deref())?;
            a.text_paths = shannon::inputs::with_list(a.text_paths, a.files_from.as_deref())?;
            if let Some(path) = &a.output {
                shannon::check_output(path)?;
            }
            let out = score::run(&a.model, &a.text_paths, &a.text.config(), a.per_sentence, a.temperature, &progress)?;
            match a.output {
                Some(path) => shannon_report::write_atomic(&path, &out)?,
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&out)?;
                    stdout.flush()?;
                }
            }
            Ok(())
        }
        Command::Kl(a) => {
            let stem = |p: &PathBuf| shannon::corpus_name(std::slice::from_ref(p));
            let output = shannon::report_path(a.output.as_deref(), &format!("kl-{}-{}", stem(&a.p), stem(&a.q)))?;
            shannon::check_output(&output)?;
            let config = shannon::kl::KlConfig {
                p: vec![a.p],
                q: vec![a.q],
                text: a.text.config(),
                order: a.order,
                smoothing: a.smoothing,
                top: a.top,
            };
            let report = shannon::kl::run(&config, &progress)?;
            shannon_report::write_atomic(&output, &shannon_report::to_json(&report))?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(shannon::kl::summary(&report).as_bytes())?;
            stdout.flush()?;
            progress.info(&format!("report written to {}", output.display()));
            Ok(())
        }
        Command::Prune(a) => {
            shannon::check_output(&a.output)?;
            let (vocab, model) = score::load(&a.model)?.into_model()?;
            let pruned = shannon_model::prune::prune(&model, a.threshold).context("model has no backoff form")?;
            let mut buf = Vec::new();
            shannon_model::arpa::write(&pruned.model, &vocab, &mut buf)?;
            shannon_report::write_atomic(&a.output, &buf)?;
            progress.info(&format!(
                "removed {:?} n-grams per order; {} left; predicted KL(original‖pruned) = {:.3e} bits; wrote {}",
                pruned.removed,
                pruned.model.summary().ngrams.iter().sum::<u64>(),
                pruned.predicted_kl_nats / std::f64::consts::LN_2,
                a.output.display()
            ));
            Ok(())
        }
        Command::Batch(a) => {
            let config = shannon::batch::BatchConfig {
                plan: a.plan,
                jobs: a.jobs.max(1),
                threads: rayon::current_num_threads(),
                reports: a.reports,
            };
            let summary = shannon::batch::run(&config, &progress)?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(shannon::batch::table(&summary).as_bytes())?;
            stdout.flush()?;
            if summary.failed > 0 {
                bail!(
                    "{} of {} jobs failed (see the table above and summary.json)",
                    summary.failed,
                    summary.jobs.len()
                );
            }
            Ok(())
        }
        Command::Sample(a) => {
            let (vocab, model) = score::load(&a.model)?.into_model()?;
            let config = shannon::sample::SampleConfig {
                temperature: a.temperature,
                seed: a.seed,
                sentences: a.sentences,
                max_tokens: a.max_tokens,
            };
            let text = shannon::sample::sample(&model, &vocab, &config, &a.separator);
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
        Command::Generate(a) => generate(a, &progress),
        Command::Entropy(mut a) => {
            shannon::inputs::stdin_at_most_once(&[&a.corpus], a.files_from.as_deref())?;
            a.corpus = shannon::inputs::with_list(a.corpus, a.files_from.as_deref())?;
            let max_order = a.max_order.unwrap_or_else(|| shannon::entropy::default_max_order(a.kind));
            let config = shannon::entropy::EntropyConfig {
                corpus: a.corpus,
                text: TextConfig {
                    tokenizer: shannon_tokens::Tokenizer {
                        kind: a.kind,
                        lowercase: a.lowercase,
                        sentences: match a.sentences {
                            SentenceArg::Lines => Sentences::Lines,
                            SentenceArg::None => Sentences::None,
                        },
                    },
                    lossy: a.lossy,
                },
                max_order,
                groups: a.groups,
                min_coverage: a.min_coverage,
                nsb_jackknife: !a.no_nsb_jackknife,
                guess_order: a.guess_order.unwrap_or_else(|| shannon::entropy::default_guess_order(a.kind, max_order)),
                guess_limit: a.guess_limit,
                holdout: a.holdout,
                name: a.name,
                output: a.output,
                threads: rayon::current_num_threads(),
            };
            let (report, path) = shannon::entropy::run(&config, &progress)?;
            let mut out = std::io::stdout().lock();
            out.write_all(shannon::entropy::table(&report).as_bytes())?;
            out.flush()?;
            for w in &report.warnings {
                progress.info(&format!("warning: {w}"));
            }
            progress.info(&format!("report written to {}", path.display()));
            Ok(())
        }
        Command::Render(a) => {
            let to = shannon::render::destination(&a.report, a.output.as_deref())?;
            shannon::render::run(&a.report, &to)?;
            if let shannon::render::Destination::File(path) = &to {
                progress.info(&format!("page written to {}", path.display()));
            }
            Ok(())
        }
        Command::Completions(a) => {
            // Into memory first: clap_complete panics on a failed write, and `| head` must exit quietly.
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut <Cli as clap::CommandFactory>::command(), "shannon", &mut script);
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&script)?;
            stdout.flush()?;
            Ok(())
        }
    })
}

fn generate(a: GenerateArgs, progress: &Progress) -> Result<()> {
    use shannon_source::{English, Iid, Markov, Sentences, TextSource};
    if let Some(path) = &a.output {
        shannon::check_output(path)?;
    }
    let mut text = Vec::new();
    let rate: Option<(f64, f64, &str)> = match a.source {
        SourceArg::Sentences => {
            let s = Sentences::new(a.vocab, a.model_seed.unwrap_or(Sentences::DEFAULT_SEED))?;
            s.write_lines(a.count.unwrap_or(shannon::default_corpus::LINES), a.seed, &mut text)?;
            Some((s.entropy_rate_bits_per_token(), s.entropy_rate_bits_per_byte().unwrap_or(f64::NAN), "token"))
        }
        SourceArg::Uniform => {
            let s = Iid::uniform(&a.alphabet)?;
            s.write_tokens(a.count.unwrap_or(1_000_000), a.seed, &mut text)?;
            Some((s.entropy_rate_bits(), s.entropy_rate_bits() / s.mean_bytes_per_symbol(), "symbol"))
        }
        SourceArg::Markov => {
            let s = Markov::random(&a.alphabet, a.order, a.model_seed.unwrap_or(1), a.concentration)?;
            s.write_tokens(a.count.unwrap_or(1_000_000), a.seed, &mut text)?;
            Some((s.entropy_rate_bits(), s.entropy_rate_bits() / s.mean_bytes_per_symbol(), "symbol"))
        }
        SourceArg::English => {
            let e = English::new(a.model_seed.unwrap_or(English::DEFAULT_SEED));
            match (a.bytes, a.count) {
                (Some(bytes), _) => e.write_parallel(bytes, a.jobs.max(1), &mut text)?,
                (None, n) => e.write_tokens(n.unwrap_or(1_000_000), a.seed, &mut text)?,
            }
            None
        }
    };
    match &a.output {
        Some(path) => shannon_report::write_atomic(path, &text)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&text)?;
            stdout.flush()?;
        }
    }
    if let Some((per_unit, per_byte, unit)) = rate {
        progress.info(&format!("exact entropy rate: {per_unit:.6} bits/{unit}, {per_byte:.6} bits/byte"));
    }
    Ok(())
}
