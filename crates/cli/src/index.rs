//! `shannon index`: builds a suffix-array index of a corpus, or asks one for the count of an n-gram and
//! the ∞-gram distribution after it.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use shannon_jobs::{build, index};

use crate::progress::Terminal;
use crate::{checked, inputs, output, Outcome, TextArgs};

#[derive(Args)]
pub(crate) struct IndexArgs {
    /// Files or directories to index, all of it (letters as one stream unless --sentences lines; other tokens
    /// within lines); - is standard input. With --count: one index file.
    #[arg(value_name = "CORPUS", required_unless_present = "files_from")]
    corpus: Vec<PathBuf>,
    /// Read more CORPUS paths from this file, one per line (- reads the list from standard input).
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    #[command(flatten)]
    text: TextArgs,
    /// Where to write the index.
    #[arg(long, short, value_name = "PATH", required_unless_present = "count")]
    output: Option<PathBuf>,
    /// Memory the suffix-array construction may use beyond the token stream (e.g. 2G); an index that needs
    /// more is refused before it is built. Default: no limit.
    #[arg(long, value_name = "SIZE", value_parser = build::parse_size)]
    memory: Option<u64>,
    /// Instead of building: the n-gram TEXT to count in the index file CORPUS (tokenized as the index's text
    /// was, by the tokenizer the file records), with the ∞-gram distribution of the token after it. An index
    /// of a tokenizer file's tokens needs that file again: --tokens tokenizer:PATH.
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with_all = ["output", "memory", "files_from", "lowercase", "sentences", "skip_symbols", "lossy"]
    )]
    count: Option<String>,
}

pub(crate) fn run(mut a: IndexArgs, progress: &Terminal) -> Result<Outcome> {
    if let Some(text) = &a.count {
        let [path] = &a.corpus[..] else { bail!("--count takes one index file, got {} paths", a.corpus.len()) };
        let ix = index::load(path)?;
        // --tokens only names the tokenizer file an index records (loading it); it cannot change how the
        // index's text was tokenized.
        if let Some(kind) = a.text.kind {
            let recorded = ix.tokenizer().ok().flatten().map(|t| t.kind);
            if recorded != Some(kind) {
                bail!(
                    "--tokens {} contradicts {}, whose text was indexed as {}",
                    kind.label(),
                    path.display(),
                    recorded.map_or("an unrecorded tokenizer".into(), |k| k.label())
                );
            }
        }
        let q = index::query(&ix, text)?;
        let mut out = format!("{}\t{}\n", q.tokens.join(" "), q.count);
        out.push_str(&format!(
            "next (after the last {} token(s), seen {} times followed by a token):\n",
            q.next.context, q.next.total
        ));
        for (s, c) in q.next_strings.iter().take(20) {
            out.push_str(&format!("  {s:?}\t{c}\t{:.6}\n", *c as f64 / q.next.total.max(1) as f64));
        }
        crate::print(out.as_bytes())?;
        return Ok(Outcome::Done);
    }
    inputs::stdin_at_most_once(&[&a.corpus], a.files_from.as_deref())?;
    a.corpus = inputs::with_list(a.corpus, a.files_from.as_deref())?;
    let Some(out) = a.output else { bail!("--output is required to build an index") };
    let mut text = a.text.config();
    // Letters are one continuous text, as `entropy` reads them, unless --sentences says otherwise.
    if a.text.sentences.is_none() && shannon_eval::words::letter_like(text.tokenizer.kind) {
        text.tokenizer.sentences = shannon_tokens::Sentences::None;
    }
    let tokenizer = text.tokenizer;
    let mut config = index::IndexConfig::new(a.corpus, text, out);
    config.memory = a.memory;
    checked(config.validate())?;
    output::check(&config.output)?;
    let s = index::run(&config, progress)?;
    let mb = s.text_bytes as f64 / 1e6;
    progress.info(&format!(
        "wrote {} ({} tokens of {}{}, vocabulary {}, {} bytes: {:.2} bytes/token; suffix array {:.2} s, {:.1} MB/s of text)",
        config.output.display(),
        s.tokens,
        tokenizer.kind.name(),
        if tokenizer.sentences == shannon_tokens::Sentences::Lines { " within lines" } else { " as one stream" },
        s.vocabulary,
        s.file_bytes,
        s.bytes_per_token(),
        s.suffix_array_seconds,
        mb / (s.tokenize_seconds + s.suffix_array_seconds + s.write_seconds).max(1e-9)
    ));
    Ok(Outcome::Done)
}
