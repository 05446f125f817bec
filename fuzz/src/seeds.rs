//! The seed corpora in `fuzz/seeds/<target>/`: valid inputs written by shannon itself (models in both
//! formats, compressed text in every format, plans, reports), small enough to commit (a few KB each), for
//! the fuzzer to mutate. `shannon-fuzz seeds DIR` writes them again.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use shannon_model::{arpa, binary, Model, Smoothing};
use shannon_tokens::{Sentences, TokenKind, Tokenizer, Vocab};

/// A few lines of the Genesis fixture: enough for every order's discounts, small enough for small seeds.
const TEXT: &str = "In the beginning God created the heaven and the earth.
And the earth was without form, and void; and darkness was upon the face of the deep.
And the Spirit of God moved upon the face of the waters.
And God said, Let there be light: and there was light.
And God saw the light, that it was good: and God divided the light from the darkness.
And God called the light Day, and the darkness he called Night.
And the evening and the morning were the first day.
";

/// SRILM's style: no `<unk>`, `-99` for `<s>`, omitted backoffs, a pruned bigram whose trigram is kept.
const PRUNED: &str = "\\data\\\nngram 1=5\nngram 2=3\nngram 3=1\n\n\\1-grams:\n-99\t<s>\t-0.25\n-0.5\ta\t-0.5\n\
-0.75\tb\t-0.125\n-1\tc\n-1\t</s>\n\n\\2-grams:\n-0.25\t<s> a\t-0.0625\n-0.5\ta b\t-0.375\n-0.25\tb </s>\n\n\
\\3-grams:\n-0.125\ta b c\n\n\\end\\\n";

/// Text with a member of every class the tokenizers treat apart: ASCII word-break classes, whitespace of
/// every kind, combining marks, ZWJ, ideographs, Hebrew, Katakana, regional indicators, emoji, titlecase
/// and other case mappings, control characters, a BOM, CRLF line ends.
const UNICODE: &str = "a Z q_7 0.5 3,14 don't e.g. a:b \"quoted\" -dash (paren) $5 / @ !?\r\n\
\t\u{b}\u{c}\0\u{1f}\u{7f} é e\u{301} a\u{200d}b \u{3000}x\u{a0}y אב ア字 \u{1f1e6}\u{1f1e8}·😀\u{85}\u{200b}\u{ad}\n\
ǅungla ǈ ΣΑΣ İstanbul ß ﬁ Ⅻ \u{feff}BOM K\u{2028}line\u{2029}para\n\n<s> </s> <unk>\n";

fn model(order: usize, smoothing: Smoothing, text: &str) -> (Vocab, Model) {
    let tokenizer =
        Tokenizer { kind: TokenKind::Whitespace, lowercase: false, sentences: Sentences::Lines, skip_symbols: true };
    let mut vocab = Vocab::new();
    let mut ids = Vec::new();
    tokenizer.tokenize(text, &mut |s| vocab.intern(s), &mut ids).expect("skipped symbols are never refused");
    let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), order));
    let model = Model::estimate(counts, order, smoothing, true).expect("the seed text estimates");
    (vocab, model)
}

fn compress(format: &str, text: &[u8]) -> Vec<u8> {
    match format {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(text).expect("in memory");
            e.finish().expect("in memory")
        }
        "zst" => zstd::stream::encode_all(text, 3).expect("in memory"),
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(text).expect("in memory");
            e.finish().expect("in memory")
        }
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(text).expect("in memory");
            e.finish().expect("in memory")
        }
        _ => text.to_vec(),
    }
}

/// Every seed: (target, file name, bytes).
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let short: String = TEXT.lines().take(3).map(|l| format!("{l}\n")).collect();
    for (order, smoothing, text) in [
        (1, Smoothing::Mkn, &short),
        (2, Smoothing::Mkn, &short),
        (3, Smoothing::Kn, &short),
        (4, Smoothing::Wb, &short),
    ] {
        let (vocab, m) = model(order, smoothing, text);
        let mut a = Vec::new();
        arpa::write(&m, &vocab, &mut a).expect("in memory");
        out.push(("arpa", format!("{smoothing}-{order}.arpa"), a));
        let mut b = Vec::new();
        binary::write(&m, &vocab, &mut b).expect("in memory");
        out.push(("binary", format!("{smoothing}-{order}.bin"), b));
        // The f32 layout (version 2) too.
        let mut b = Vec::new();
        binary::write_with(&m, &vocab, None, binary::Precision::F32, &mut b).expect("in memory");
        out.push(("binary", format!("{smoothing}-{order}-f32.bin"), b));
    }
    out.push(("arpa", "srilm-pruned.arpa".into(), PRUNED.as_bytes().to_vec()));
    for kind in [TokenKind::Letters, TokenKind::Words] {
        let tokenizer = Tokenizer { kind, lowercase: true, sentences: Sentences::None, skip_symbols: false };
        let mut vocab = Vocab::new();
        let mut ids = Vec::new();
        tokenizer.tokenize(&short, &mut |s| vocab.intern(s), &mut ids).expect("no markers in the text");
        let mut b = Vec::new();
        shannon_index::build(&mut b, &ids, &vocab, Some(&tokenizer)).expect("in memory");
        out.push(("index", format!("{}.idx", kind.name()), b));
    }
    for (name, text) in [("genesis", TEXT), ("unicode", UNICODE)] {
        out.push(("tokens", format!("{name}.txt"), text.as_bytes().to_vec()));
    }
    out.push(("tokens", "ascii.txt".into(), (1u8..128).collect()));
    out.push(("tokens", "tokenizer.json".into(), TOKENIZER_JSON.as_bytes().to_vec()));
    for format in ["gz", "zst", "xz", "bz2", "txt"] {
        out.push(("decompress", format!("genesis.{format}"), compress(format, TEXT.as_bytes())));
    }
    let mut two = compress("gz", b"first member\n");
    two.extend(compress("gz", b"second member\n"));
    out.push(("decompress", "members.gz".into(), two));
    out.push(("decompress", "latin1.zst".into(), compress("zst", b"caf\xe9\r\nna\xefve\0\n")));
    let docs =
        b"{\"id\": 1, \"text\": \"in the beginning\", \"meta\": {\"body\": \"god created\"}}\n\n[1]\n{\"text\": 7}\n";
    out.push(("decompress", "docs.jsonl".into(), docs.to_vec()));
    for (name, text, kind) in [
        ("genesis-cm.code", TEXT.as_bytes(), shannon_coding::ModelKind::Cm),
        ("short-order2.code", short.as_bytes(), shannon_coding::ModelKind::Order(2)),
        ("empty-cm.code", &b""[..], shannon_coding::ModelKind::Cm),
    ] {
        out.push(("code", name.into(), shannon_coding::encode(text, kind, &mut |_| {}).file));
    }
    out.push(("plan", "example.toml".into(), PLAN.as_bytes().to_vec()));
    out.push((
        "plan",
        "minimal.toml".into(),
        b"name = \"m\"\n[[corpus]]\nname = \"a\"\npaths = [\"a.txt\"]\n[[job]]\nkind = \"entropy\"\n".to_vec(),
    ));
    out
}

/// A plan naming the fixture files `plan_dir` makes, with every kind of setting.
const PLAN: &str = "name = \"fuzz\"

[[corpus]]
glob = \"*.txt\"

[[corpus]]
name = \"both\"
paths = [\"a.txt\", \"sub\"]
holdout = 0.2

[[corpus]]
name = \"split\"
paths = [\"a.txt\"]
test = [\"b.txt\"]

[[job]]
kind = \"compare\"
tokens = [\"words\", \"chars\"]
order = 3
smoothing = [\"mkn\", \"wb\", \"add-k:0.5\"]
lowercase = true
sentences = \"none\"

[[job]]
kind = \"entropy\"
tokens = \"letters\"
max_order = 6
";

/// Writes every seed above under `dir/<target>/`. The render target's seeds are not made here: they are
/// reports from `crates/cli/tests/golden/` (the entropy report with its long lists cut to a few entries).
pub fn write(dir: &Path) -> std::io::Result<()> {
    for (target, name, bytes) in all() {
        std::fs::create_dir_all(dir.join(target))?;
        std::fs::write(dir.join(target).join(name), bytes)?;
    }
    Ok(())
}

/// A minimal byte-level BPE `tokenizer.json` (three tokens, one merge), for the `tokens` target's tokenizer-file
/// path (`--tokens tokenizer:PATH`).
const TOKENIZER_JSON: &str = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},"post_processor":null,"decoder":null,"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}"#;
