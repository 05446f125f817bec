//! Hugging Face tokenizers (`--tokens tokenizer:PATH`): text cut into the tokens an LLM sees, by a
//! `tokenizer.json` read with the `tokenizers` crate.
//!
//! A [`TokenizerFile`] names a loaded file by its file name and the SHA-256 of its bytes. It is `Copy`, like
//! the rest of a [`crate::Tokenizer`], so that the configuration stays a plain value that reports, model files
//! and comparisons carry; the loaded tokenizer itself lives in a process-wide table keyed by the digest,
//! filled by [`TokenizerFile::load`] and never emptied (a run loads one or two files). Two files with the
//! same bytes are the same tokenizer whatever their names: equality is the digest's.
//!
//! Token strings are the tokenizer's own (`Ġthe` for a byte-level BPE); shannon interns them as it does
//! words, so a model's vocabulary holds the tokenizer's tokens that occur in its training text, with
//! shannon's ids (`<unk>`, `<s>`, `</s>` first, then order of first occurrence). Text is encoded one line
//! at a time (without special tokens), so tokens never cross a line end and do not depend on how a corpus
//! is cut into chunks for threads.
//!
//! The crate can panic on some malformed files while loading (and, for files that load, possibly while
//! encoding); both are caught here and become errors naming the file.

use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The longest file name recorded for a tokenizer (longer ones are cut, at a character boundary).
pub const MAX_NAME_BYTES: usize = 255;

/// A loaded `tokenizer.json`: its file name (as recorded) and the SHA-256 of its bytes.
#[derive(Clone, Copy)]
pub struct TokenizerFile {
    /// `tokenizer:NAME`, interned.
    label: &'static str,
    sha256: [u8; 32],
}

/// Why a tokenizer file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct LoadError {
    /// The file, as given.
    pub path: String,
    /// What is wrong, in one line.
    pub problem: String,
}

type Loaded = Arc<tokenizers::Tokenizer>;

fn table() -> &'static RwLock<HashMap<[u8; 32], Loaded>> {
    static TABLE: OnceLock<RwLock<HashMap<[u8; 32], Loaded>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// Names are interned as `tokenizer:NAME`: one leaked copy of each distinct name, so that [`TokenizerFile`]
/// stays `Copy`.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<std::collections::HashSet<&'static str>>> = OnceLock::new();
    let mut cut = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = format!("tokenizer:{}", &name[..cut]);
    let name = name.as_str();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(n);
    n
}

/// The message of a caught panic.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The first line of a message, for one-line errors.
fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

impl TokenizerFile {
    /// Reads and loads `path` (a Hugging Face `tokenizer.json`), recording its file name.
    pub fn load(path: &Path) -> Result<TokenizerFile, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError {
            path: path.display().to_string(),
            problem: format!("cannot read the tokenizer file: {e}"),
        })?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        TokenizerFile::from_bytes(&name, &bytes)
            .map_err(|problem| LoadError { path: path.display().to_string(), problem })
    }

    /// Loads a tokenizer from the bytes of a `tokenizer.json`; `Err` says what is wrong with them in one line.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<TokenizerFile, String> {
        let sha256: [u8; 32] = Sha256::digest(bytes).into();
        let file = TokenizerFile { label: intern(name), sha256 };
        if file.loaded().is_some() {
            return Ok(file);
        }
        let loaded = catch_unwind(AssertUnwindSafe(|| tokenizers::Tokenizer::from_bytes(bytes)))
            .map_err(|p| {
                format!(
                    "not a usable tokenizer.json (the tokenizers crate panicked: {})",
                    one_line(&panic_message(&*p))
                )
            })?
            .map_err(|e| format!("not a usable tokenizer.json: {}", one_line(&e.to_string())))?;
        table().write().unwrap_or_else(|p| p.into_inner()).insert(sha256, Arc::new(loaded));
        Ok(file)
    }

    /// A tokenizer as a model file or report records it, which may not be loaded in this process
    /// ([`TokenizerFile::is_loaded`]).
    pub fn recorded(name: &str, sha256: [u8; 32]) -> TokenizerFile {
        TokenizerFile { label: intern(name), sha256 }
    }

    /// The file name it was loaded from (or recorded with).
    pub fn name(&self) -> &'static str {
        &self.label["tokenizer:".len()..]
    }

    /// `tokenizer:NAME`: the token kind's name in reports' file names, tables and messages.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The SHA-256 of the file's bytes.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// The SHA-256 in lower-case hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `tokenizer:NAME (sha256 0123456789ab…)`: how messages name it.
    pub fn describe(&self) -> String {
        format!("{} (sha256 {}…)", self.label, &self.sha256_hex()[..12])
    }

    /// Whether its file was loaded in this process, so that text can be tokenized with it.
    pub fn is_loaded(&self) -> bool {
        self.loaded().is_some()
    }

    /// The number of tokens in its vocabulary (added tokens included), when it is loaded.
    pub fn vocab_size(&self) -> Option<usize> {
        self.loaded().map(|t| t.get_vocab_size(true))
    }

    fn loaded(&self) -> Option<Loaded> {
        table().read().unwrap_or_else(|p| p.into_inner()).get(&self.sha256).cloned()
    }

    /// Cuts `text` (a line, or a piece of a stream) into tokens: `emit(offset, token)` for each, with the
    /// token's byte offset in `text`, and an empty token for each stretch of text (not whitespace) that the
    /// tokenizer dropped, stopping at the first error `emit` returns. `Err(Problem)` when the
    /// file is not loaded or the tokenizer fails on the text.
    pub(crate) fn segment<E>(
        &self,
        text: &str,
        mut emit: impl FnMut(usize, &str) -> Result<(), E>,
    ) -> Result<Result<(), E>, String> {
        if text.is_empty() {
            return Ok(Ok(()));
        }
        let tok = self
            .loaded()
            .ok_or_else(|| format!("{} is not loaded: give its file with --tokens tokenizer:PATH", self.describe()))?;
        let encoding = catch_unwind(AssertUnwindSafe(|| tok.encode(text, false)))
            .map_err(|p| format!("{} panicked on the text: {}", self.describe(), one_line(&panic_message(&*p))))?
            .map_err(|e| format!("{} cannot encode the text: {}", self.describe(), one_line(&e.to_string())))?;
        // Text the tokenizer drops (a BPE without an unknown token skips characters outside its vocabulary)
        // would vanish unseen: each such stretch that is not whitespace is one unknown token, an empty
        // string, which the caller maps to `<unk>`.
        let dropped =
            |from: usize, to: usize| text.get(from..to).is_some_and(|gap| gap.chars().any(|c| !c.is_whitespace()));
        let mut covered = 0;
        for (token, &(start, end)) in encoding.get_tokens().iter().zip(encoding.get_offsets()) {
            let start = start.min(text.len());
            if start > covered && dropped(covered, start) {
                if let Err(e) = emit(covered, "") {
                    return Ok(Err(e));
                }
            }
            covered = covered.max(end.min(text.len()));
            if token.is_empty() {
                continue;
            }
            if let Err(e) = emit(start, token) {
                return Ok(Err(e));
            }
        }
        if dropped(covered, text.len()) {
            if let Err(e) = emit(covered, "") {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

impl PartialEq for TokenizerFile {
    /// The same bytes are the same tokenizer, whatever the file is called.
    fn eq(&self, other: &TokenizerFile) -> bool {
        self.sha256 == other.sha256
    }
}

impl Eq for TokenizerFile {}

impl std::hash::Hash for TokenizerFile {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.sha256.hash(state);
    }
}

impl fmt::Debug for TokenizerFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenizerFile({:?}, {})", self.name(), self.sha256_hex())
    }
}

/// How reports, ARPA comments and batch plans hold it: `{"file": NAME, "sha256": HEX}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    file: String,
    sha256: String,
}

impl Serialize for TokenizerFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Record { file: self.name().to_string(), sha256: self.sha256_hex() }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for TokenizerFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TokenizerFile, D::Error> {
        let r = Record::deserialize(d)?;
        let sha256 =
            parse_hex(&r.sha256).ok_or_else(|| serde::de::Error::custom("sha256 must be 64 hexadecimal digits"))?;
        if r.file.len() > MAX_NAME_BYTES {
            return Err(serde::de::Error::custom(format!("tokenizer file name longer than {MAX_NAME_BYTES} bytes")));
        }
        Ok(TokenizerFile::recorded(&r.file, sha256))
    }
}

/// 64 hex digits as 32 bytes.
pub fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let b = hex.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Trains a small byte-level BPE on `text` with the tokenizers crate's own trainer and returns the bytes of
    /// its `tokenizer.json`.
    pub(crate) fn train_bpe(text: &str, vocab_size: usize) -> Vec<u8> {
        use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
        use tokenizers::models::TrainerWrapper;
        use tokenizers::pre_tokenizers::byte_level::ByteLevel;
        let dir = tempfile_dir();
        let input = dir.join("train.txt");
        std::fs::write(&input, text).unwrap();
        let mut tokenizer = tokenizers::Tokenizer::new(BPE::default());
        tokenizer.with_pre_tokenizer(Some(ByteLevel::default()));
        let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
            .vocab_size(vocab_size)
            .min_frequency(0)
            .show_progress(false)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .build()
            .into();
        tokenizer.train_from_files(&mut trainer, vec![input.display().to_string()]).unwrap();
        let out = dir.join("tokenizer.json");
        tokenizer.save(&out, false).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        bytes
    }

    fn tempfile_dir() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shannon-tokens-bpe-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const TEXT: &str = "the cat sat on the mat\nthe dog sat on the log\nthe cat and the dog\n";

    #[test]
    fn a_trained_bpe_loads_and_segments() {
        let bytes = train_bpe(TEXT, 300);
        let file = TokenizerFile::from_bytes("bpe.json", &bytes).unwrap();
        assert!(file.is_loaded());
        assert_eq!(file.name(), "bpe.json");
        let mut toks = Vec::new();
        file.segment::<()>("the cat sat", |at, t| {
            toks.push((at, t.to_string()));
            Ok(())
        })
        .unwrap()
        .unwrap();
        // Byte-level tokens: a leading space is `Ġ` (and ByteLevel's default adds one before the text); the
        // pieces cover the text in order.
        let joined: String = toks.iter().map(|(_, t)| t.replace('Ġ', " ")).collect();
        assert_eq!(joined, " the cat sat");
        assert_eq!(toks[0].0, 0);
        assert!(toks.windows(2).all(|w| w[0].0 < w[1].0));
        // Frequent words became single tokens.
        assert!(toks.iter().any(|(_, t)| t == "Ġcat"), "{toks:?}");
    }

    #[test]
    fn same_bytes_same_tokenizer_whatever_the_name() {
        let bytes = train_bpe(TEXT, 280);
        let a = TokenizerFile::from_bytes("a.json", &bytes).unwrap();
        let b = TokenizerFile::from_bytes("b.json", &bytes).unwrap();
        assert_eq!(a, b);
        let other = TokenizerFile::from_bytes("c.json", &train_bpe(TEXT, 270)).unwrap();
        assert_ne!(a, other);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("{{\"file\":\"a.json\",\"sha256\":\"{}\"}}", a.sha256_hex()));
        let back: TokenizerFile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.name(), "a.json");
    }

    #[test]
    fn bad_files_are_one_line_errors() {
        for bytes in [
            &b""[..],
            b"{",
            b"[]",
            b"{\"model\": 3}",
            b"\xff\xfe",
            b"{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\"}}",
        ] {
            let e = TokenizerFile::from_bytes("bad.json", bytes).unwrap_err();
            assert!(!e.contains('\n') && e.contains("tokenizer.json"), "{e}");
        }
        let e = TokenizerFile::load(Path::new("/nonexistent/tok.json")).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/tok.json: cannot read"), "{e}");
    }

    #[test]
    fn a_tokenizer_kind_tokenizes_lines_between_markers_and_streams_alike() {
        use crate::{Sentences, TokenKind, Tokenizer, Vocab, BOS, EOS};
        let file = TokenizerFile::from_bytes("bpe.json", &train_bpe(TEXT, 300)).unwrap();
        let kind = TokenKind::Tokenizer(file);
        assert_eq!(kind.name(), "tokenizer:bpe.json");
        let run = |sentences, lowercase, text: &str| {
            let t = Tokenizer { kind, lowercase, sentences, skip_symbols: false };
            let mut vocab = Vocab::new();
            let mut ids = Vec::new();
            let r = t.tokenize(text, &mut |s| vocab.intern(s), &mut ids);
            (r, ids.iter().map(|&i| vocab.string(i).to_string()).collect::<Vec<_>>(), ids)
        };
        let (lines, strings, ids) = run(Sentences::Lines, false, "the cat\nthe dog\n");
        assert_eq!(lines, Ok(2));
        assert_eq!(ids.iter().filter(|&&i| i == BOS).count(), 2);
        assert_eq!(ids.iter().filter(|&&i| i == EOS).count(), 2);
        assert!(strings.contains(&"Ġcat".to_string()), "{strings:?}");
        // A stream is encoded line by line too: the same tokens whatever the chunking.
        let (_, whole, _) = run(Sentences::None, false, "the cat\nthe dog\n");
        let (_, first, _) = run(Sentences::None, false, "the cat\n");
        let (_, second, _) = run(Sentences::None, false, "the dog\n");
        assert_eq!(whole, [first, second].concat());
        // Lower-casing folds the text before it is encoded.
        assert_eq!(run(Sentences::Lines, true, "THE CAT\n").1, run(Sentences::Lines, false, "the cat\n").1);
    }

    #[test]
    fn text_the_tokenizer_drops_is_an_unknown_token() {
        // A BPE without an unknown token knows only a, b and ab: everything else would vanish.
        let json = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}"#;
        let file = TokenizerFile::from_bytes("ab.json", json.as_bytes()).unwrap();
        let mut toks = Vec::new();
        file.segment::<()>("ab xyz ba  q", |at, t| {
            toks.push((at, t.to_string()));
            Ok(())
        })
        .unwrap()
        .unwrap();
        let strings: Vec<&str> = toks.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(strings, ["ab", "", "b", "a", ""], "{toks:?}");
        let t = crate::Tokenizer {
            kind: crate::TokenKind::Tokenizer(file),
            lowercase: false,
            sentences: crate::Sentences::Lines,
            skip_symbols: false,
        };
        let local = crate::LocalTokens::new(&t, "ab xyz\n").unwrap();
        assert_eq!(local.ids[2], crate::UNK, "{:?}", local.ids);
    }

    #[test]
    fn a_recorded_tokenizer_that_is_not_loaded_is_an_error_not_a_panic() {
        let file = TokenizerFile::recorded("gone.json", [7; 32]);
        assert!(!file.is_loaded());
        let e = file.segment::<()>("text", |_, _| Ok(())).unwrap_err();
        assert!(e.contains("not loaded") && e.contains("gone.json"), "{e}");
        assert!(serde_json::from_str::<TokenizerFile>("{\"file\":\"x\",\"sha256\":\"12\"}").is_err());
    }
}
