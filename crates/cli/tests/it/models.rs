//! Model files through the binary: `shannon build` in both formats, `shannon convert` both ways, and
//! `shannon score` on ARPA (plain, gzip, xz) and binary files — the same scores whichever way a model
//! travelled — and one-line errors that name the file and line for broken models.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shannon() -> Command {
    let mut c = Command::cargo_bin("shannon").unwrap();
    c.arg("--quiet");
    c
}

fn genesis() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/fixtures/genesis.txt")).to_path_buf()
}

fn build(dir: &Path, name: &str, format: &str) -> PathBuf {
    let out = dir.join(name);
    shannon()
        .args(["build", "--order", "3", "--tokens", "whitespace", "--format", format, "--output"])
        .arg(&out)
        .arg(genesis())
        .assert()
        .success();
    out
}

/// Per-sentence log10 probabilities of the fixture under `model`.
fn per_sentence(model: &Path) -> Vec<f64> {
    let out = shannon()
        .args(["score", "--tokens", "whitespace", "--per-sentence", "--model"])
        .arg(model)
        .arg(genesis())
        .assert()
        .success();
    let stdout = out.get_output().stdout.clone();
    String::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["log10_prob"].as_f64().unwrap())
        .collect()
}

fn close(a: &[f64], b: &[f64], tol: impl Fn(f64) -> f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol(*x), "{x} vs {y}");
    }
}

#[test]
fn every_format_and_conversion_scores_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let arpa = build(dir.path(), "m.arpa", "arpa");
    let bin = build(dir.path(), "m.bin", "binary");
    let converted = dir.path().join("converted.bin");
    shannon().arg("convert").arg(&arpa).arg(&converted).assert().success();
    let back = dir.path().join("back.arpa");
    shannon().args(["convert", "--format", "arpa"]).arg(&converted).arg(&back).assert().success();

    let reference = per_sentence(&arpa);
    assert!(reference.len() > 10);
    // An ARPA file converted to binary scores exactly like the ARPA file.
    assert_eq!(per_sentence(&converted), reference);
    // Built directly, the binary holds the estimated values, which ARPA rounds to `f32` as lmplz does: at most
    // 2^-24 relative on each log10 term of a sentence's sum, all of one sign.
    let sentences = |tol: f64| move |x: f64| tol * x.abs();
    close(&per_sentence(&bin), &reference, sentences(1.2e-7));
    close(&per_sentence(&back), &reference, sentences(1.2e-7));
    // The binary file starts with its magic and the summary report counts the same n-grams.
    assert!(std::fs::read(&bin).unwrap().starts_with(b"\x89SHNLM\r\n"));
    let report = |model: &Path| {
        let out = shannon().args(["score", "--tokens", "whitespace", "--model"]).arg(model).arg(genesis()).assert();
        let v: serde_json::Value = serde_json::from_slice(&out.success().get_output().stdout).unwrap();
        (v["model"]["ngrams"].clone(), v["score"]["perplexity"].as_f64().unwrap())
    };
    let (a, b) = (report(&arpa), report(&converted));
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
}

#[test]
fn compressed_arpa_files_are_read_by_their_magic() {
    let dir = tempfile::tempdir().unwrap();
    let arpa = build(dir.path(), "m.arpa", "arpa");
    let text = std::fs::read(&arpa).unwrap();
    // Names that say nothing: formats are recognised by their first bytes.
    let gz = dir.path().join("gz-model");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&text).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let xz = dir.path().join("xz-model");
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(&text).unwrap();
    std::fs::write(&xz, e.finish().unwrap()).unwrap();
    let reference = per_sentence(&arpa);
    assert_eq!(per_sentence(&gz), reference);
    assert_eq!(per_sentence(&xz), reference);
    // And a binary file converted from the compressed ARPA scores the same.
    let bin = dir.path().join("from-xz.bin");
    shannon().arg("convert").arg(&xz).arg(&bin).assert().success();
    assert_eq!(per_sentence(&bin), reference);
}

/// Runs `shannon score` on a broken model and returns its one-line error.
fn score_error(model: &Path) -> String {
    let out = shannon()
        .args(["score", "--tokens", "whitespace", "--model"])
        .arg(model)
        .arg(genesis())
        .assert()
        .failure()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn broken_model_files_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>\t-0.5\n-0.5\t</s>\n\n\\2-grams:\n-0.2\t<s> </s>\n\n\\end\\\n";
    let cases = [
        (
            "count.arpa",
            good.replace("ngram 2=1", "ngram 2=2"),
            "line 13: the \\2-grams: section has 1 n-grams, but the header (line 3) declares 2",
        ),
        ("end.arpa", good.replace("\\end\\\n", ""), "line 13: missing \\end\\"),
        ("prob.arpa", good.replace("-0.5\t</s>", "x\t</s>"), "line 8: probability 'x' is not a number"),
        (
            "order.arpa",
            good.replace("<s> </s>", "<s> </s> </s>"),
            "line 11: expected a 2-gram in the \\2-grams: section",
        ),
        (
            "backoff.arpa",
            good.replace("<s> </s>", "<s> </s>\t-0.1"),
            "line 11: a backoff weight ('-0.1') on a 2-gram of the highest order",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let e = score_error(&path);
        assert!(e.contains(&format!("{name}: {want}")), "got '{e}', want '{want}'");
    }
    // The same inside a compressed file: the line is the decompressed text's.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(good.replace("-0.5\t</s>", "x\t</s>").as_bytes()).unwrap();
    let path = dir.path().join("prob.arpa.gz");
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let e = score_error(&path);
    assert!(e.contains("prob.arpa.gz (decompressed gzip): line 8: probability 'x' is not a number"), "{e}");
    // Binary files: a newer version, and a truncated copy.
    let bin = build(dir.path(), "m.bin", "binary");
    let mut bytes = std::fs::read(&bin).unwrap();
    let truncated = dir.path().join("truncated.bin");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(score_error(&truncated).contains("truncated.bin: truncated: the header says the file has"));
    bytes[8] = 9;
    let newer = dir.path().join("newer.bin");
    std::fs::write(&newer, &bytes).unwrap();
    assert!(score_error(&newer)
        .contains("newer.bin: binary model format version 9, but this shannon reads versions 1 and 2"));
    assert!(score_error(&dir.path().join("absent.arpa")).contains("cannot open model"));
}

#[test]
fn models_without_a_backoff_form_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.bin");
    let assert = shannon()
        .args(["build", "--smoothing", "add-k", "--format", "binary", "--output"])
        .arg(&out)
        .arg(genesis())
        .assert()
        .failure()
        .code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("no exact ARPA (backoff) form"));
    assert!(!out.exists());
}

/// Per-sentence log10 probabilities of `text` under `model`, as the model's tokenizer reads it.
fn per_sentence_of(model: &Path, text: &Path) -> Vec<f64> {
    let out = shannon().args(["score", "--per-sentence", "--model"]).arg(model).arg(text).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["log10_prob"].as_f64().unwrap())
        .collect()
}

/// A character model's space (and tab) tokens cannot be ARPA fields: they are written as `<U+0020>` under a
/// `# shannon-escapes` line and read back as themselves, so the ARPA file scores as the binary one — where
/// the space once vanished from its unigram line and the file could not be read back. Both ways of writing
/// ARPA (the streamed `build` and `convert` from binary) escape; the binary file stores the space as is.
#[test]
fn a_character_models_space_survives_arpa() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("t.txt");
    std::fs::write(&text, "the cat sat\tthere\nand the dog sat on the mat\n").unwrap();
    let build = |name: &str, format: &str| {
        let out = dir.path().join(name);
        shannon()
            .args(["build", "--order", "3", "--tokens", "chars", "--format", format, "--output"])
            .arg(&out)
            .arg(&text)
            .assert()
            .success();
        out
    };
    let arpa = build("c.arpa", "arpa");
    let bin = build("c.bin", "binary");
    let converted = dir.path().join("converted.arpa");
    shannon().args(["convert", "--format", "arpa"]).arg(&bin).arg(&converted).assert().success();
    for file in [&arpa, &converted] {
        let written = std::fs::read_to_string(file).unwrap();
        assert!(written.contains("# shannon-escapes <U+XXXX>\n\\data\\"), "{written}");
        assert!(written.contains("\t<U+0020>\t") && written.contains("\t<U+0009>\t"), "{written}");
    }
    let want = per_sentence_of(&bin, &text);
    assert_eq!(want.len(), 2);
    close(&per_sentence_of(&arpa, &text), &want, |x| 1e-6 * x.abs());
    close(&per_sentence_of(&converted, &text), &want, |x| 1e-6 * x.abs());
}

/// A file that says its tokens are escaped but holds a broken escape is refused with the file named.
#[test]
fn a_broken_escape_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bad.arpa");
    std::fs::write(
        &model,
        "# shannon-escapes <U+XXXX>\n\\data\\\nngram 1=4\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>\n-1\t</s>\n-1\t<U+ZZ>\n\n\
         \\end\\\n",
    )
    .unwrap();
    let text = dir.path().join("t.txt");
    std::fs::write(&text, "a b\n").unwrap();
    let out = shannon().args(["score", "--model"]).arg(&model).arg(&text).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("bad.arpa") && err.contains("malformed <U+XXXX> escape"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
