//! The fuzz targets: one function per reader of outside input, each taking arbitrary bytes. A target returns
//! normally for every input, valid or not; it panics only when the code under test panics or breaks one of
//! the invariants checked here (a written model that does not read back, a fast path that disagrees with its
//! definition, markup from a report reaching the page).

use std::path::PathBuf;
use std::sync::OnceLock;

use shannon_model::binary::{self, Mapped};
use shannon_model::{arpa, LanguageModel};
use shannon_tokens::{Lookup, Sentences, TokenKind, Tokenizer, BOS, EOS};
use unicode_segmentation::UnicodeSegmentation;

/// A fuzz target: any bytes in; a panic or an abort is a failure.
pub type Target = fn(&[u8]);

/// Every target, by the name the command line uses.
pub const TARGETS: [(&str, Target); 8] = [
    ("arpa", arpa_reader),
    ("binary", binary_loader),
    ("index", index_loader),
    ("tokens", tokenizers),
    ("decompress", decompress),
    ("plan", plan),
    ("render", render),
    ("code", code),
];

/// The target called `name`.
pub fn by_name(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}

/// Histories and words to query a model of `v` words with, taken from the input's bytes (so the fuzzer
/// steers them too): every id below `v`.
fn queries(data: &[u8], v: usize, order: usize) -> Vec<(Vec<u32>, u32)> {
    let v = v.max(1) as u32;
    let id = |b: u8| u32::from(b) % v;
    let mut out: Vec<(Vec<u32>, u32)> = (0..v.min(8)).map(|w| (vec![], w)).collect();
    for window in data.chunks(order.max(1)).take(32) {
        let (&w, h) = window.split_last().expect("chunks are not empty");
        out.push((h.iter().map(|&b| id(b)).collect(), id(w)));
        out.push(([BOS].into_iter().chain(h.iter().map(|&b| id(b))).collect(), EOS.min(v - 1)));
    }
    out
}

/// `shannon_model::arpa::parse`; what it accepts is queried, written as ARPA and read back, and written in
/// the binary format, whose scores must be the model's bit for bit.
pub fn arpa_reader(data: &[u8]) {
    let Ok((vocab, model)) = arpa::parse(data) else { return };
    let q = queries(data, model.vocab_size(), model.order());
    for (h, w) in &q {
        let _ = model.log_prob(h, *w);
    }
    let mut text = Vec::new();
    if arpa::write(&model, &vocab, &mut text).is_ok() {
        if let Err(e) = arpa::parse(&text) {
            panic!("a model read from ARPA does not read back once written: {e}");
        }
    }
    let mut bin = Vec::new();
    if binary::write(&model, &vocab, &mut bin).is_ok() {
        let mapped = Mapped::new(&bin[..]).unwrap_or_else(|e| panic!("a written binary model does not open: {e}"));
        for (h, w) in &q {
            let (a, b) = (model.log_prob(h, *w), mapped.log_prob(h, *w));
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{h:?} {w}: ARPA {a}, binary {b}");
        }
    }
}

/// `shannon_model::binary::Mapped::new`; what it opens is queried (words by id and by string, scores) and
/// thawed, and the thawed model queried.
pub fn binary_loader(data: &[u8]) {
    let Ok(mapped) = Mapped::new(data) else { return };
    let v = mapped.vocab_size();
    let _ = mapped.ngrams().iter().sum::<u64>();
    for id in (0..v.min(64) as u32).chain([v as u32, u32::MAX]) {
        if let Some(s) = mapped.string(id) {
            let _ = mapped.id(s);
        }
    }
    for s in ["<unk>", "<s>", "</s>", "", "a", "the"] {
        let _ = mapped.get(s);
    }
    // The words as scoring looks them up (a vocabulary built from the file's strings).
    if let Ok(words) = mapped.words() {
        for s in (0..v.min(64) as u32).filter_map(|id| mapped.string(id)) {
            let _ = words.lookup(s);
        }
    }
    let q = queries(data, v, mapped.order());
    for (h, w) in &q {
        let _ = mapped.log_prob(h, *w);
    }
    // And as `score` walks a stream: the queries' words one after another, each history's markers included.
    let stream: Vec<u32> = q.iter().flat_map(|(h, w)| h.iter().copied().chain([*w])).collect();
    mapped.stream_log_probs(&stream, &mut |_, _, _| {});
    if let Ok((_, model)) = mapped.thaw() {
        for (h, w) in &q {
            let _ = model.log_prob(h, *w);
        }
    }
}

/// `shannon_index::Index::open`; what it opens is queried (counts, ∞-gram distributions, the vocabulary,
/// the tokenizer record, block profiles), and every distribution must sum to its total.
pub fn index_loader(data: &[u8]) {
    let Ok(index) = shannon_index::Index::open(data) else { return };
    let _ = index.vocab();
    let _ = index.tokenizer();
    let v = index.vocab_size();
    for (h, w) in queries(data, v, 4) {
        let _ = index.count(&h);
        let d = index.infinigram(&h);
        assert_eq!(d.followers.iter().map(|f| f.1).sum::<u64>(), d.total, "{h:?}");
        let _ = index.count(&[w]);
    }
    if index.len() <= 4096 {
        let _ = index.block_profiles(4, |t| t == BOS || t == EOS);
    }
}

/// The token strings `tokenizer` gives for `text`, markers as `<s>`/`</s>`.
fn strings(tokenizer: Tokenizer, text: &str) -> (Vec<String>, u64) {
    let mut seen: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
    let mut ids = Vec::new();
    let lines = tokenizer
        .tokenize(
            text,
            &mut |s| {
                seen.push(s.to_string());
                (seen.len() - 1) as u32
            },
            &mut ids,
        )
        .expect("with skip_symbols no literal marker is refused");
    (ids.into_iter().map(|i| seen[i as usize].clone()).collect(), lines)
}

/// What `words` must give: every UAX#29 segment that is not all whitespace (the definition the tokenizer's
/// ASCII fast path reproduces; the same as the reference in `shannon-tokens`' tests).
fn reference_words(text: &str) -> Vec<&str> {
    text.split_word_bounds().filter(|t| !t.chars().all(char::is_whitespace)).collect()
}

/// What `whitespace` must give: runs of bytes other than KenLM's separators.
fn reference_whitespace(text: &str) -> Vec<&str> {
    text.split([' ', '\t', '\r', '\n', '\0']).filter(|t| !t.is_empty()).collect()
}

/// Every tokenizer, with and without lower-casing, lines as sentences or not: `words` and `whitespace` must
/// equal their definitions (the ASCII and 8-bytes-at-a-time fast paths against the general path), lines as
/// sentences must be each line tokenized on its own between markers, `chars` and `bytes` must give one
/// token per character and byte, the letter alphabets only their letters.
pub fn tokenizers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = &*text;
    for kind in TokenKind::ALL {
        for lowercase in [false, true] {
            let fold =
                |s: &str| if lowercase { s.chars().flat_map(char::to_lowercase).collect() } else { s.to_string() };
            // Literal <s>, </s> and <unk> are skipped as whitespace (refusing them is tested in shannon-tokens).
            let stream = Tokenizer { kind, lowercase, sentences: Sentences::None, skip_symbols: true };
            let (got, _) = strings(stream, text);
            match kind {
                TokenKind::Words => {
                    let want: Vec<String> = reference_words(text).into_iter().map(fold).collect();
                    assert_eq!(got, want, "words (lowercase {lowercase}) differ from UAX#29 on {text:?}");
                }
                TokenKind::Whitespace => {
                    let special = |s: &String| matches!(s.as_str(), "<s>" | "</s>" | "<unk>");
                    let want: Vec<String> =
                        reference_whitespace(text).into_iter().map(fold).filter(|s| !special(s)).collect();
                    assert_eq!(got, want, "whitespace (lowercase {lowercase}) differs from splitting on {text:?}");
                }
                TokenKind::Chars => assert_eq!(got.len(), text.chars().count(), "chars of {text:?}"),
                TokenKind::Bytes => assert_eq!(got.len(), text.len(), "bytes of {text:?}"),
                TokenKind::Letters | TokenKind::Letters26 => {
                    let letters = text.bytes().filter(u8::is_ascii_alphabetic).count();
                    assert_eq!(got.iter().filter(|s| *s != " ").count(), letters, "letters of {text:?}");
                    assert!(got.iter().all(|s| s == " " || (s.len() == 1 && s.as_bytes()[0].is_ascii_lowercase())));
                }
                // Not among the built-in kinds: the input as a tokenizer file is `tokenizer_file`'s.
                TokenKind::Tokenizer(_) => {}
            }
            // Lines as sentences: each line's tokens between markers (the letter kinds trim each line, which
            // a stream does not, so they are compared by their letters only).
            let lines = Tokenizer { kind, lowercase, sentences: Sentences::Lines, skip_symbols: true };
            let (got, count) = strings(lines, text);
            let mut want = Vec::new();
            let mut want_count = 0;
            for line in text.split_inclusive('\n') {
                let line = line.strip_suffix('\n').unwrap_or(line);
                let line = line.strip_suffix('\r').unwrap_or(line);
                want.push("<s>".to_string());
                let (mut tokens, _) = strings(stream, line);
                if matches!(kind, TokenKind::Letters | TokenKind::Letters26) {
                    let keep = tokens.iter().position(|s| s != " ").unwrap_or(tokens.len());
                    tokens.drain(..keep);
                    while tokens.last().is_some_and(|s| s == " ") {
                        tokens.pop();
                    }
                }
                want.extend(tokens);
                want.push("</s>".to_string());
                want_count += 1;
            }
            assert_eq!(count, want_count, "{} lines of {text:?}", kind.name());
            assert_eq!(
                got,
                want,
                "{} (lowercase {lowercase}) by lines differs from line by line on {text:?}",
                kind.name()
            );
        }
    }
    tokenizer_file(data);
}

/// The input as a Hugging Face `tokenizer.json` (`--tokens tokenizer:PATH`): loading it, and tokenizing a
/// text with what loads, must give a tokenizer or an error, never a panic. The `tokenizers` crate does panic
/// on some malformed files; `shannon_tokens::hf` catches that at its boundary and returns an error, so the
/// panic hook (AFL's aborts) is silenced while the crate runs; a panic escaping the boundary still fails the
/// input.
fn tokenizer_file(data: &[u8]) {
    if !data.trim_ascii_start().starts_with(b"{") {
        return;
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let loaded = shannon_tokens::TokenizerFile::from_bytes("fuzz.json", data);
    let tokenized = loaded.as_ref().ok().map(|&file| {
        let tokenizer = Tokenizer {
            kind: TokenKind::Tokenizer(file),
            lowercase: false,
            sentences: Sentences::Lines,
            skip_symbols: true,
        };
        let mut ids = Vec::new();
        tokenizer.tokenize(
            "In the beginning God created\nthe heaven and the earth. <s> ǅ\n",
            &mut |s| s.len() as u32 + 3,
            &mut ids,
        )
    });
    std::panic::set_hook(hook);
    if let Some(Ok(_)) = tokenized {
        assert!(loaded.is_ok_and(|f| f.is_loaded()), "a tokenizer that tokenized is loaded");
    }
}

/// `shannon_corpus::Source::from_stored` (decompression by magic bytes: gzip, zstd, xz, bzip2), then the
/// corpus's line count, chunks and decoding of every chunk; and the bytes read as documents: JSON Lines
/// records (a dotted text field, an id field, bad records skipped or not) and Parquet rows.
pub fn decompress(data: &[u8]) {
    use shannon_corpus::documents::{self, Format, Options};
    let Ok(source) = shannon_corpus::Source::from_stored("fuzz", data.to_vec()) else { return };
    for options in [
        Options::default(),
        Options {
            text_field: "meta.body".into(),
            id_field: Some("id".into()),
            skip_bad_records: true,
            ..Options::default()
        },
    ] {
        let bytes = source.as_ref();
        let _ = documents::detect(bytes);
        let _ = documents::to_text(bytes, &options, true);
        let _ = documents::read_span(Format::Text, bytes, 0..bytes.len(), 1, &options, false);
        let _ = shannon_corpus::parquet::read(bytes, &options);
        let _ = shannon_corpus::parquet::batches(bytes);
    }
    let lines = source.lines();
    let corpus = shannon_corpus::Corpus::from_sources(vec![source]);
    let whole = corpus.whole();
    for target in [shannon_corpus::CHUNK_BYTES, 7] {
        for chunk in corpus.chunks_of(&whole, target) {
            let _ = corpus.text(&chunk, true);
            let _ = corpus.decode(&chunk, shannon_corpus::Decode { lossy: false, allow_nul: true });
        }
    }
    for holdout in [0.0, 0.1, 0.5, 1.0] {
        let (train, test) = corpus.split_holdout(holdout);
        let _ = (shannon_corpus::Corpus::span_bytes(&train), shannon_corpus::Corpus::span_bytes(&test), lines);
    }
}

/// A directory with a few small text files for plans to name, made once per process.
fn plan_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("shannon-fuzz-plan").tempdir().expect("a temporary directory");
        let path = dir.keep();
        std::fs::create_dir_all(path.join("sub")).expect("a directory");
        for (name, text) in [("a.txt", "one line\n"), ("b.txt", "two\nlines\n"), ("sub/c.txt", "c\n")] {
            std::fs::write(path.join(name), text).expect("a fixture file");
        }
        path
    })
}

/// `shannon_jobs::batch::check`: a plan (TOML) read, every corpus resolved and every job's configuration
/// made and validated, nothing run. Plans that could make a glob walk outside the fixture directory (`**`,
/// `..`, absolute paths) are skipped: they would test the file system, not the parser.
pub fn plan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if ["**", "..", "\"/", "'/", "\\"].iter().any(|p| text.contains(p)) {
        return;
    }
    let dir = plan_dir();
    let path = dir.join("plan.toml");
    std::fs::write(&path, text).expect("the plan file is written");
    let mut config = shannon_jobs::batch::BatchConfig::new(path);
    config.reports = dir.join("reports");
    let _ = shannon_jobs::batch::check(&config);
}

/// `shannon_render::render_html` on any bytes; a page must never contain markup from the report (the
/// renderer writes no scripts, so a `<script` on the page came from a report's text).
pub fn render(data: &[u8]) {
    if let Ok(page) = shannon_render::render_html(data, "fuzz.json") {
        assert!(!page.contains("<script"), "report text reached the page as markup");
        assert!(page.starts_with("<!DOCTYPE html>"), "not a page");
    }
}

/// The longest text a `code` input may claim: decoding takes time in proportion to it (about 5 µs a byte),
/// and a slow decode of a long text is not a failure.
const CODE_MAX_CLAIM: u64 = 1 << 16;

/// `shannon_coding::decode` of a `.code` file: any bytes give the text or an error, never a panic; what
/// decodes has the length its header claims.
pub fn code(data: &[u8]) {
    if let Some(len) = data.get(9..17) {
        if u64::from_le_bytes(len.try_into().expect("8 bytes")) > CODE_MAX_CLAIM {
            return;
        }
    }
    if let Ok(d) = shannon_coding::decode(data, &mut |_| {}) {
        assert_eq!(d.data.len() as u64, u64::from_le_bytes(data[9..17].try_into().expect("8 bytes")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_accepts_nothing_and_its_seeds() {
        for (name, target) in TARGETS {
            target(b"");
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(name);
            for entry in std::fs::read_dir(&dir).unwrap() {
                target(&std::fs::read(entry.unwrap().path()).unwrap());
            }
        }
    }

    #[test]
    fn queries_stay_below_the_vocabulary() {
        for (h, w) in queries(b"\xff\x00\x10abc", 5, 3) {
            assert!(w < 5 && h.iter().all(|&x| x < 5));
        }
    }
}
