//! A real client: KenLM's own Python module (`pip install kenlm`, which compiles KenLM's C++) loads an ARPA
//! file written by `shannon build` and scores the bible test split sentence by sentence as
//! `shannon score --per-sentence` does.
//!
//! Needs `SHANNON_CORPORA` and the module; ignored by default. When `python3` or the module is missing the
//! test FAILS with what to install — it never passes by skipping.

use std::path::PathBuf;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use shannon_corpus::Corpus;

/// Prints, per line of the text (split on `\n` only, a trailing `\r` dropped, as shannon's tokenizer does):
/// the sum in double precision of `full_scores` (log10), the OOVs, and `score()` (KenLM's own sum, in single
/// precision).
const CLIENT: &str = r#"
import sys
try:
    import kenlm
except ImportError as e:
    sys.exit(f"the kenlm Python module is missing ({e}); install it with: pip install kenlm (builds KenLM's C++: needs g++; pip fetches cmake)")
model = kenlm.Model(sys.argv[1])
data = open(sys.argv[2], "rb").read()
lines = data.split(b"\n")
if data.endswith(b"\n"):
    lines.pop()
for line in lines:
    sentence = line.rstrip(b"\r").decode("utf-8")
    total, oov = 0.0, 0
    for prob, _, is_oov in model.full_scores(sentence, bos=True, eos=True):
        total += prob
        oov += int(is_oov)
    print(repr(total), oov, repr(model.score(sentence, bos=True, eos=True)))
"#;

#[test]
#[ignore = "needs SHANNON_CORPORA and the kenlm Python module"]
fn kenlm_python_module_scores_a_shannon_arpa_file_like_shannon() {
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA to ../shared/corpora"));
    let corpus = Corpus::open(&[corpora.join("canterbury/bible.txt")]).unwrap();
    let (train, test) = corpus.split_holdout(0.1);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, spans: &[shannon_corpus::Span]| {
        let path = dir.path().join(name);
        let bytes: Vec<u8> = spans.iter().flat_map(|s| corpus.bytes_of(s).to_vec()).collect();
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let (train, test) = (write("bible.train", &train), write("bible.test", &test));
    // KenLM's Python module splits on Python's whitespace, shannon's whitespace tokens on KenLM's bytes; the
    // two agree on text without NUL, vertical tab and form feed.
    let text = std::fs::read(&test).unwrap();
    assert!(!text.iter().any(|b| matches!(b, 0 | 0x0b | 0x0c)), "the test text would split differently");

    let model = dir.path().join("bible.o5.arpa");
    let shannon = || {
        let mut c = Command::cargo_bin("shannon").unwrap();
        c.arg("--quiet");
        c
    };
    let status = shannon()
        .args(["build", "--order", "5", "--smoothing", "mkn", "--tokens", "whitespace", "--output"])
        .arg(&model)
        .arg(&train)
        .status()
        .unwrap();
    assert!(status.success());
    let ours = shannon()
        .args(["score", "--tokens", "whitespace", "--per-sentence", "--model"])
        .arg(&model)
        .arg(&test)
        .output()
        .unwrap();
    assert!(ours.status.success(), "{}", String::from_utf8_lossy(&ours.stderr));
    let ours: Vec<serde_json::Value> = ours
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();

    let kenlm = match Command::new("python3").arg("-c").arg(CLIENT).arg(&model).arg(&test).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run python3 ({e}): install Python 3 and `pip install kenlm`"),
    };
    assert!(kenlm.status.success(), "the KenLM client failed: {}", String::from_utf8_lossy(&kenlm.stderr));
    let theirs: Vec<(f64, u64, f64)> = String::from_utf8(kenlm.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0].parse().unwrap(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    assert_eq!(theirs.len(), ours.len(), "sentences scored");
    let (mut worst, mut worst_score) = (0.0f64, 0.0f64);
    for (i, (s, &(total, oov, score))) in ours.iter().zip(&theirs).enumerate() {
        let log10 = s["log10_prob"].as_f64().unwrap();
        assert_eq!(s["oov"].as_u64().unwrap(), oov, "OOVs of sentence {}", i + 1);
        worst = worst.max((log10 - total).abs());
        worst_score = worst_score.max((log10 - score).abs());
        assert!((log10 - total).abs() <= 1e-4, "sentence {}: shannon {log10}, KenLM {total}", i + 1);
        assert!((log10 - score).abs() <= 1e-4, "sentence {}: shannon {log10}, KenLM score() {score}", i + 1);
    }
    eprintln!(
        "{} sentences: KenLM's Python module agrees with shannon score within {worst:.2e} (full_scores summed in \
         double precision) and {worst_score:.2e} (score(), summed in single precision)",
        ours.len()
    );
}
