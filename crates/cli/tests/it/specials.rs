//! Special words as lmplz treats them (issue 16): a literal `<s>` or `</s>` in text tokenized by whitespace
//! is an error naming the file, line and byte, for every command that reads text; `--skip-symbols` reads
//! `<s>`, `</s>` and `<unk>` as whitespace, as lmplz's `--skip_symbols` does, and the model then matches
//! lmplz's (`../shared/reference/kenlm/specials/`, needs `SHANNON_CORPORA`).

use std::path::Path;

use shannon_corpus::Source;

use crate::arpa::{assert_same_as_lmplz, reference};
use crate::manners::{assert_valid, fails_in, genesis, shannon, validator};

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// The fixture with `extra` inserted before its third line: `(text, byte offset of extra)`.
fn genesis_with(extra: &str) -> (String, usize) {
    let text = std::fs::read_to_string(genesis()).unwrap();
    let third = text.match_indices('\n').nth(1).unwrap().0 + 1;
    (format!("{}{extra}{}", &text[..third], &text[third..]), third)
}

#[test]
fn literal_markers_are_refused_naming_file_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (text, at) = genesis_with("And <s> then\n");
    std::fs::write(d.join("start.txt"), &text).unwrap();
    let start = format!("start.txt: line 3, byte {}: literal <s> is not allowed in the text", at + 4);
    let end = "end.txt: line 2, byte 14: literal </s> is not allowed in the text (it is the sentence-end marker)";
    std::fs::write(d.join("end.txt"), "a b c\nthe cat </s> sat\n<s>\n").unwrap();
    let hint = "pass --skip-symbols to treat <s>, </s> and <unk> as whitespace, as lmplz's --skip_symbols does";
    let ws = ["--tokens", "whitespace"];
    let g = genesis();
    let model = d.join("clean.arpa");
    shannon().args(["build", "--order", "2", s(&g), "-o", s(&model)]).args(ws).assert().success();
    let runs: Vec<Vec<&str>> = vec![
        vec!["build", "--order", "2", "-o", "m.arpa", "end.txt"],
        vec!["build", "--order", "2", "-o", "m.arpa", "--format", "binary", "end.txt"],
        vec!["compare", "--order", "2", "-o", "r.json", "start.txt"],
        vec!["compare", "--order", "2", "-o", "r.json", "--train", s(&g), "--test", "end.txt"],
        vec!["score", "--model", s(&model), "end.txt"],
        vec!["entropy", "--max-order", "2", "-o", "r.json", "end.txt"],
        vec!["kl", "--order", "2", "-o", "r.json", s(&g), "end.txt"],
    ];
    for args in runs {
        let message = fails_in(d, &[&args[..], &ws].concat(), &[hint]);
        let wanted = if args.contains(&"start.txt") { start.as_str() } else { end };
        assert!(message.contains(wanted), "{args:?}: {message}");
    }
    // The example, on standard input: the first marker in corpus order; nothing written.
    let out = shannon()
        .current_dir(d)
        .args(["build", "--order", "2", "--tokens", "whitespace", "-o", "m.arpa", "-"])
        .write_stdin("the cat <s> sat\non the </s> mat\n")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "shannon: error: <stdin>: line 1, byte 8: literal <s> is not allowed in the text (it is the \
             sentence-start marker); {hint}"
        )
    );
    assert!(!d.join("m.arpa").exists());
}

#[test]
fn skip_symbols_reads_the_three_as_whitespace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let build = |text: &str, extra: &[&str]| {
        let model = d.join("m.arpa");
        let out = shannon()
            .args(["build", "--order", "3", "--tokens", "whitespace", "-o", s(&model), "-"])
            .args(extra)
            .write_stdin(text)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(&model).unwrap()
    };
    // The model of a text with the three words is the model of the text without them.
    let with = "the cat <s> sat\non the </s> mat\n<unk> <s>\nthe </s>cat <unk>\n";
    let without = "the cat sat\non the mat\n\nthe </s>cat\n";
    let model = build(with, &["--skip-symbols"]);
    // The same model, apart from the line that records how each text was tokenized.
    let body = |m: &str| m.lines().filter(|l| !l.starts_with("# shannon-tokenizer")).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&model), body(&build(without, &[])));
    assert!(model.starts_with("# shannon-tokenizer") && model.contains("\"skip_symbols\":true"));
    let unigrams = |m: &str, w: &str| m.lines().filter(|l| l.split('\t').nth(1) == Some(w)).count();
    assert_eq!((unigrams(&model, "<s>"), unigrams(&model, "</s>"), unigrams(&model, "<unk>")), (1, 1, 1));
    // Without the flag a literal <unk> is the unknown word, as before.
    assert_eq!(unigrams(&build("a <unk> b\n<unk>\n", &[]), "<unk>"), 1);

    // Reports record the setting with the tokenizer only when it is set, and still match their schema.
    let (text, _) = genesis_with("And <s> then </s> <unk>\n");
    std::fs::write(d.join("g.txt"), &text).unwrap();
    let compare = validator("compare");
    let g = genesis();
    for (flag, recorded) in [(&["--skip-symbols"][..], Some(true)), (&[][..], None)] {
        let input = if flag.is_empty() { s(&g) } else { "g.txt" };
        shannon()
            .current_dir(d)
            .args(["compare", "--order", "2", "--tokens", "whitespace", "-o", "r.json", input])
            .args(flag)
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
        assert_eq!(report["tokenizer"].get("skip_symbols").and_then(|v| v.as_bool()), recorded);
        assert_valid(&compare, &report, "compare report");
    }
    // A batch plan says it with `skip_symbols` on a compare job.
    std::fs::write(
        d.join("plan.toml"),
        "name = \"p\"\n[[corpus]]\nname = \"g\"\npaths = [\"g.txt\"]\n\
         [[job]]\nkind = \"compare\"\norder = 2\ntokens = \"whitespace\"\nskip_symbols = true\n",
    )
    .unwrap();
    shannon().current_dir(d).args(["batch", "plan.toml", "--reports", "reports"]).assert().success();
    let report = std::fs::read(d.join("reports/p/g/compare-whitespace.json")).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(report["tokenizer"]["skip_symbols"], serde_json::json!(true));
}

#[test]
#[ignore = "needs SHANNON_CORPORA"]
fn skip_symbols_model_matches_lmplz_ngram_for_ngram() {
    let dir = tempfile::tempdir().unwrap();
    let train = reference("specials/specials.train");
    let ours = dir.path().join("o3.arpa");
    let args = ["build", "--order", "3", "--tokens", "whitespace", "--skip-symbols", "-o", s(&ours), s(&train)];
    shannon().args(args).assert().success();
    // lmplz refuses the text without --skip_symbols, and so does shannon.
    let refused = dir.path().join("refused.arpa");
    let out = shannon()
        .args(["build", "--order", "3", "--tokens", "whitespace", "-o", s(&refused), s(&train)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!refused.exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("literal <s> is not allowed"));
    let lmplz = Source::open(&reference("specials/specials.o3.skip_symbols.arpa.xz")).unwrap();
    let parity = assert_same_as_lmplz("specials o3", &std::fs::read(&ours).unwrap(), lmplz.as_ref(), 3);
    eprintln!("specials o3 --skip-symbols: {parity}");
}
