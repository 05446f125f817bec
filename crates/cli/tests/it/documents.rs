//! Corpora as they come (issue 19): JSON Lines documents, plain or compressed, give the same models and
//! figures as the plain text holding the same texts; bad records give one-line errors naming file and line.

use std::path::{Path, PathBuf};

use crate::manners::{assert_valid, fails_in, genesis, shannon, validator};

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of genesis as JSON Lines: three lines a document (joined by `\n`; every other document ends with
/// its line end, the rest get one added as they are read), an id, and a nested copy of the text under
/// `meta.body` to read by a dotted path.
fn genesis_jsonl() -> (String, Vec<u8>) {
    let text = std::fs::read_to_string(genesis()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, group) in lines.chunks(3).enumerate() {
        let mut doc = group.join("\n");
        if i % 2 == 1 || group.last() == Some(&"") {
            doc.push('\n');
        }
        let record = serde_json::json!({"id": format!("doc-{i}"), "text": doc, "meta": {"body": doc}});
        out.push_str(&record.to_string());
        out.push('\n');
    }
    (text, out.into_bytes())
}

/// A report without what differs between a plain file and the documents holding its text: timings, and the
/// inputs' names, sizes and digests (a file of documents records those of the file as stored).
fn figures(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("timings");
    if let Some(models) = v.pointer_mut("/models").and_then(|m| m.as_array_mut()) {
        for m in models {
            m.as_object_mut().unwrap().remove("build_seconds");
        }
    }
    for inputs in ["/corpus/train_inputs", "/corpus/test_inputs", "/corpus/inputs", "/inputs"] {
        if let Some(a) = v.pointer_mut(inputs).and_then(|a| a.as_array_mut()) {
            a.clear();
        }
    }
    if let Some(c) = v.pointer_mut("/corpus").and_then(|c| c.as_object_mut()) {
        c.remove("name");
    }
    if let Some(m) = v.pointer_mut("/model").and_then(|m| m.as_object_mut()) {
        m.remove("path");
    }
    v
}

/// Documents as a Parquet file: columns `id`, `text` and a struct `meta` holding `body` (the same text), in
/// row groups of `group` rows; `None` texts are nulls.
pub(crate) fn parquet_file(texts: &[Option<String>], group: usize) -> Vec<u8> {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, StructArray};
    use std::sync::Arc;
    let ids: ArrayRef =
        Arc::new(StringArray::from((0..texts.len()).map(|i| Some(format!("doc-{i}"))).collect::<Vec<_>>()));
    let text: ArrayRef = Arc::new(StringArray::from(texts.to_vec()));
    let body = Arc::new(arrow_schema::Field::new("body", arrow_schema::DataType::Utf8, true));
    let meta: ArrayRef = Arc::new(StructArray::from(vec![(body, text.clone())]));
    let batch = RecordBatch::try_from_iter(vec![("id", ids), ("text", text), ("meta", meta)]).unwrap();
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_size(group).build();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

fn write_inputs(dir: &Path) -> Vec<PathBuf> {
    let (text, jsonl) = genesis_jsonl();
    let docs: Vec<Option<String>> = jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap()["text"].as_str().map(String::from))
        .collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("plain.txt", text.into_bytes()),
        ("docs.jsonl", jsonl.clone()),
        ("docs.jsonl.zst", zstd::stream::encode_all(&jsonl[..], 3).unwrap()),
        ("docs.jsonl.gz", {
            use std::io::Write as _;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&jsonl).unwrap();
            e.finish().unwrap()
        }),
        ("docs.parquet", parquet_file(&docs, 3)),
    ];
    files
        .into_iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect()
}

#[test]
fn json_lines_plain_and_compressed_give_the_plain_texts_reports_and_models() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let mut compares = Vec::new();
    let mut models = Vec::new();
    let mut scores = Vec::new();
    let mut entropies = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let out = dir.path().join(format!("compare-{i}.json"));
        shannon()
            .args(["compare", "--order", "3", "--smoothing", "mkn,wb", s(path), "--output", s(&out)])
            .assert()
            .success();
        let r = json(&out);
        assert_valid(&validator("compare"), &r, "compare on documents");
        if i > 0 {
            let d = &r["corpus"]["train_inputs"][0]["documents"];
            let format = if path.extension().is_some_and(|e| e == "parquet") { "parquet" } else { "jsonl" };
            assert_eq!(d["format"], format, "{}", path.display());
            assert_eq!(d["detected"], true);
            assert_eq!(d["documents"].as_u64(), Some(genesis_jsonl().0.lines().count().div_ceil(3) as u64));
        } else {
            assert!(r["corpus"]["train_inputs"][0].get("documents").is_none(), "plain text says nothing new");
        }
        compares.push(figures(r));
        let model = dir.path().join(format!("model-{i}.arpa"));
        shannon()
            .args(["build", "--order", "3", "--tokens", "whitespace", s(path), "--output", s(&model)])
            .assert()
            .success();
        models.push(std::fs::read(&model).unwrap());
        let score = dir.path().join(format!("score-{i}.json"));
        shannon().args(["score", "--model", s(&model), s(path), "--output", s(&score)]).assert().success();
        assert_valid(&validator("score"), &json(&score), "score on documents");
        scores.push(figures(json(&score)));
        let entropy = dir.path().join(format!("entropy-{i}.json"));
        shannon()
            .args([
                "entropy",
                "--max-order",
                "3",
                "--guess-order",
                "2",
                "--groups",
                "5",
                s(path),
                "--output",
                s(&entropy),
            ])
            .assert()
            .success();
        assert_valid(&validator("entropy"), &json(&entropy), "entropy on documents");
        entropies.push(figures(json(&entropy)));
    }
    for i in 1..paths.len() {
        let name = paths[i].display();
        assert_eq!(compares[i], compares[0], "compare on {name}");
        assert!(models[i] == models[0], "build on {name}: model bytes differ");
        assert_eq!(scores[i], scores[0], "score on {name}");
        assert_eq!(entropies[i], entropies[0], "entropy on {name}");
    }
}

#[test]
fn nested_text_fields_and_the_given_format_are_read_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let out = dir.path().join("nested.json");
    let run = shannon()
        .args(["compare", "--order", "2", "--input-format", "jsonl", "--text-field", "meta.body", s(&paths[1])])
        .args(["--output", s(&out)])
        .assert()
        .success();
    let _ = run;
    let plain = dir.path().join("plain.json");
    shannon().args(["compare", "--order", "2", s(&paths[0]), "--output", s(&plain)]).assert().success();
    let r = json(&out);
    assert_eq!(r["corpus"]["train_inputs"][0]["documents"]["detected"], false);
    assert_eq!(r["corpus"]["train_inputs"][0]["documents"]["text_field"], "meta.body");
    assert_eq!(figures(r), figures(json(&plain)));
    // Said on stderr when not quiet.
    let out2 = dir.path().join("said.json");
    let o = assert_cmd::Command::new(crate::manners::bin())
        .args(["compare", "--order", "1", s(&paths[2]), "--output", s(&out2)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("read as JSON Lines (recognised by content"), "{stderr}");
    // Read as text when told: the JSON itself is then the text.
    let out3 = dir.path().join("as-text.json");
    shannon()
        .args(["compare", "--order", "1", "--input-format", "text", s(&paths[1]), "--output", s(&out3)])
        .assert()
        .success();
    assert!(json(&out3)["corpus"]["train_inputs"][0].get("documents").is_none());
}

#[test]
fn bad_records_give_one_line_errors_with_file_and_line_or_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"text": "in the beginning god created the heaven and the earth"}"#;
    let good = format!("{good}\n{good}\n{good}");
    let cases = [
        ("not-json.jsonl", format!("{good}\n{good}\n{{\"text\": \"unterminated\n"), "line 7: not JSON"),
        ("no-field.jsonl", format!("{good}\n{{\"body\": \"x\"}}\n"), "line 4: no field \"text\""),
        (
            "number.jsonl",
            format!("{good}\n\n{{\"text\": 17}}\n"),
            "line 5: field \"text\" holds a number, not a string",
        ),
        ("array.jsonl", format!("{good}\n[\"text\"]\n"), "line 4: not a JSON object but an array"),
    ];
    for (name, content, problem) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let out = dir.path().join("r.json");
        let message = fails_in(
            dir.path(),
            &["compare", "--order", "1", "--input-format", "jsonl", s(&path), "--output", s(&out)],
            &[name, problem, "--skip-bad-records"],
        );
        assert!(message.contains(&format!("{}: {problem}", path.display())), "{message}");
        shannon()
            .args(["compare", "--order", "1", "--input-format", "jsonl", "--skip-bad-records", s(&path)])
            .args(["--output", s(&out)])
            .assert()
            .success();
        let r = json(&out);
        assert_eq!(r["corpus"]["train_inputs"][0]["documents"]["skipped_bad_records"], 1, "{name}");
        std::fs::remove_file(&out).unwrap();
        std::fs::remove_file(&path).unwrap();
    }
}

/// KenLM's Python module reading the same documents from JSON Lines: per document, Σ log10 p over its lines
/// (`full_scores`, summed in double precision), its predicted tokens (words + `</s>` per line), OOVs, and
/// the perplexity 10^(−Σ/n); for a one-line document also `Model.perplexity`.
const KENLM_DOCUMENTS: &str = r#"
import json, sys
try:
    import kenlm
except ImportError as e:
    sys.exit(f"the kenlm Python module is missing ({e}); install it with: pip install kenlm")
model = kenlm.Model(sys.argv[1])
for line in open(sys.argv[2], encoding="utf-8"):
    doc = json.loads(line)
    total, n, oov = 0.0, 0, 0
    lines = doc["text"].split("\n")
    if doc["text"].endswith("\n"):
        lines.pop()
    for sentence in lines:
        for prob, _, is_oov in model.full_scores(sentence, bos=True, eos=True):
            total += prob
            n += 1
            oov += int(is_oov)
    ppl = 10 ** (-total / n)
    single = model.perplexity(lines[0]) if len(lines) == 1 else ppl
    print(json.dumps({"id": doc["id"], "log10_prob": total, "tokens": n, "oov": oov, "perplexity": ppl, "single": single}))
"#;

#[test]
#[ignore = "needs SHANNON_CORPORA and the kenlm Python module"]
fn per_document_perplexities_match_kenlms_python_module() {
    use std::process::Command;
    let corpora = PathBuf::from(std::env::var("SHANNON_CORPORA").expect("set SHANNON_CORPORA to ../shared/corpora"));
    let corpus = shannon_corpus::Corpus::open(&[corpora.join("canterbury/bible.txt")]).unwrap();
    let (train, test) = corpus.split_holdout(0.1);
    let dir = tempfile::tempdir().unwrap();
    let train_path = dir.path().join("bible.train");
    std::fs::write(&train_path, train.iter().flat_map(|s| corpus.bytes_of(s).to_vec()).collect::<Vec<u8>>()).unwrap();
    let test_text = String::from_utf8(test.iter().flat_map(|s| corpus.bytes_of(s).to_vec()).collect()).unwrap();
    // Documents of one to four lines; KenLM's Python module splits on Python's whitespace, shannon's whitespace
    // tokens on KenLM's bytes: the same on this text (no NUL, vertical tab or form feed, no \r).
    assert!(!test_text.bytes().any(|b| matches!(b, 0 | 0x0b | 0x0c | b'\r')));
    let lines: Vec<&str> = test_text.lines().collect();
    let mut jsonl = String::new();
    let (mut i, mut k) = (0, 0);
    while i < lines.len() {
        let n = 1 + k % 4;
        let text = lines[i..(i + n).min(lines.len())].join("\n");
        jsonl.push_str(&serde_json::json!({"id": format!("bible-{k}"), "text": text}).to_string());
        jsonl.push('\n');
        (i, k) = (i + n, k + 1);
    }
    let docs = dir.path().join("bible.test.jsonl");
    std::fs::write(&docs, &jsonl).unwrap();
    let model = dir.path().join("bible.o5.arpa");
    shannon()
        .args(["build", "--order", "5", "--tokens", "whitespace", s(&train_path), "--output", s(&model)])
        .assert()
        .success();
    let ours = shannon()
        .args(["score", "--per-document", "--id-field", "id", "--model", s(&model), s(&docs)])
        .args(["--report", s(&dir.path().join("summary.json"))])
        .output()
        .unwrap();
    assert!(ours.status.success(), "{}", String::from_utf8_lossy(&ours.stderr));
    let ours: Vec<serde_json::Value> = ours
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let kenlm = Command::new("python3")
        .arg("-c")
        .arg(KENLM_DOCUMENTS)
        .arg(&model)
        .arg(&docs)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}): install Python 3 and `pip install kenlm`"));
    assert!(kenlm.status.success(), "the KenLM client failed: {}", String::from_utf8_lossy(&kenlm.stderr));
    let theirs: Vec<serde_json::Value> = kenlm
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(ours.len(), theirs.len(), "documents scored");
    assert_eq!(ours.len(), k);
    let mut worst = 0.0f64;
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o["id"], t["id"]);
        assert_eq!(o["tokens"], t["tokens"], "{}", o["id"]);
        assert_eq!(o["oov"], t["oov"], "{}", o["id"]);
        let (p, q, single) =
            (o["perplexity"].as_f64().unwrap(), t["perplexity"].as_f64().unwrap(), t["single"].as_f64().unwrap());
        let rel = ((p - q) / q).abs().max(((p - single) / single).abs());
        worst = worst.max(rel);
        assert!(rel <= 1e-4, "{}: shannon {p}, KenLM {q} (Model.perplexity {single})", o["id"]);
        let bits = o["bits"].as_f64().unwrap();
        assert!((bits + o["log10_prob"].as_f64().unwrap() / std::f64::consts::LOG10_2).abs() < 1e-9);
    }
    eprintln!(
        "{} documents: per-document perplexities agree with KenLM's Python module within {worst:.2e} (relative)",
        ours.len()
    );
}

#[test]
fn per_document_scores_stream_in_order_and_sum_to_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let model = dir.path().join("m.arpa");
    shannon().args(["build", "--order", "3", s(&paths[0]), "--output", s(&model)]).assert().success();
    let whole = dir.path().join("whole.json");
    shannon().args(["score", "--model", s(&model), s(&paths[0]), "--output", s(&whole)]).assert().success();
    let whole = json(&whole);
    let mut lines_of = Vec::new();
    for path in &paths[..2] {
        let (out, report) = (dir.path().join("docs.out.jsonl"), dir.path().join("summary.json"));
        shannon()
            .args(["score", "--model", s(&model), "--per-document", "--percentiles", "0,50,100", s(path)])
            .args(["--output", s(&out), "--report", s(&report)])
            .assert()
            .success()
            .stdout("");
        let r = json(&report);
        assert_valid(&validator("score"), &r, "score --per-document");
        let docs: Vec<serde_json::Value> =
            std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(r["documents"]["documents"].as_u64(), Some(docs.len() as u64));
        // The documents' totals are the whole text's figures.
        for key in ["tokens", "oov", "sentences"] {
            assert_eq!(r["score"][key], whole["score"][key], "{key}");
        }
        let (a, b) = (r["score"]["perplexity"].as_f64().unwrap(), whole["score"]["perplexity"].as_f64().unwrap());
        assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
        assert_eq!(r["test"], whole["test"]);
        let tokens: u64 = docs.iter().map(|d| d["tokens"].as_u64().unwrap()).sum();
        assert_eq!(Some(tokens), whole["score"]["tokens"].as_u64());
        let ppl: Vec<f64> = docs.iter().map(|d| d["perplexity"].as_f64().unwrap()).collect();
        let min = ppl.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = ppl.iter().cloned().fold(0.0, f64::max);
        assert_eq!(r["documents"]["percentiles"][0]["perplexity"].as_f64(), Some(min));
        assert_eq!(r["documents"]["percentiles"][2]["perplexity"].as_f64(), Some(max));
        lines_of.push(docs);
    }
    // One document per line of plain text, in order, ids the line numbers.
    assert_eq!(lines_of[0].len(), 20);
    assert_eq!(lines_of[0][5]["id"], 6);
    // The same summary on standard output when --output is not given.
    let out = shannon()
        .args(["score", "--model", s(&model), "--per-document", s(&paths[0])])
        .args(["--report", s(&dir.path().join("r2.json"))])
        .output()
        .unwrap();
    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 20);
}

fn decompressed(path: &Path) -> Vec<u8> {
    shannon_corpus::Source::open(path).unwrap().as_ref().to_vec()
}

#[test]
fn filter_keeps_documents_unchanged_in_order_by_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let model = dir.path().join("m.arpa");
    shannon().args(["build", "--order", "2", s(&paths[0]), "--output", s(&model)]).assert().success();
    // The perplexity of every document, to check the cut against.
    let scores = shannon()
        .args(["score", "--model", s(&model), "--per-document", "--id-field", "id", s(&paths[2])])
        .args(["--report", s(&dir.path().join("scores.json"))])
        .output()
        .unwrap();
    let ppl: Vec<f64> = String::from_utf8(scores.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["perplexity"].as_f64().unwrap())
        .collect();
    let records: Vec<Vec<u8>> = decompressed(&paths[1]).split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    assert_eq!(ppl.len(), records.len());
    for (keep, percentiles) in [("head", "50"), ("middle", "25,75"), ("tail", "50")] {
        let out = dir.path().join(format!("kept-{keep}.jsonl.gz"));
        let report = dir.path().join(format!("filter-{keep}.json"));
        shannon()
            .args(["filter", "--model", s(&model), "--keep", keep, "--percentiles", percentiles, s(&paths[2])])
            .args(["--output", s(&out), "--report", s(&report)])
            .assert()
            .success()
            .stdout("");
        let r = json(&report);
        assert_valid(&validator("filter"), &r, "filter report");
        let cuts: Vec<f64> =
            r["rule"]["thresholds"].as_array().unwrap().iter().map(|t| t["perplexity"].as_f64().unwrap()).collect();
        let want: Vec<u8> = records
            .iter()
            .zip(&ppl)
            .filter(|(_, &p)| match keep {
                "head" => p <= cuts[0],
                "middle" => p > cuts[0] && p <= cuts[1],
                _ => p > cuts[0],
            })
            .flat_map(|(r, _)| r.clone())
            .collect();
        assert!(!want.is_empty());
        assert_eq!(shannon_corpus::Source::open(&out).unwrap().compression(), shannon_corpus::Compression::Gzip);
        assert_eq!(decompressed(&out), want, "--keep {keep}: the kept records as stored, in order");
        let kept = r["documents"]["kept"].as_u64().unwrap();
        assert_eq!(kept as usize, want.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count());
        assert_eq!(r["documents"]["read"].as_u64(), Some(records.len() as u64));
        assert_eq!(kept + r["documents"]["dropped_perplexity"].as_u64().unwrap(), records.len() as u64);
    }
    // Plain text: one document a line, kept by a fixed maximum.
    let max = ppl.iter().cloned().fold(0.0, f64::max);
    let out = dir.path().join("all.txt");
    shannon()
        .args(["filter", "--model", s(&model), "--max-perplexity", &format!("{}", max * 10.0), s(&paths[0])])
        .args(["--output", s(&out), "--report", s(&dir.path().join("f.json"))])
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&paths[0]).unwrap());
    // Mistakes: one line, nothing written.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("d.jsonl"), "{\"text\": \"in the beginning\"}\n{\"text\": null}\n").unwrap();
    fails_in(
        &bad,
        &[
            "filter",
            "--model",
            s(&model),
            "--max-perplexity",
            "10",
            "d.jsonl",
            "--output",
            "o.jsonl",
            "--report",
            "r.json",
        ],
        &["d.jsonl: line 2: field \"text\" holds null, not a string"],
    );
    fails_in(
        &bad,
        &["filter", "--model", s(&model), "d.jsonl", "--output", "o.jsonl"],
        &["--keep or --max-perplexity"],
    );
    fails_in(
        &bad,
        &["filter", "--model", s(&model), "--keep", "middle", "--percentiles", "30", "d.jsonl", "--output", "o.jsonl"],
        &["--percentiles must be two values"],
    );
}

/// The `text` column of a Parquet file, in row order.
fn parquet_texts(path: &Path) -> Vec<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let text = batch.column_by_name("text").unwrap().as_string::<i32>();
        out.extend((0..text.len()).map(|i| text.value(i).to_string()));
    }
    out
}

#[test]
fn parquet_documents_are_scored_filtered_and_named_by_row_group_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let parquet = paths.iter().find(|p| p.extension().is_some_and(|e| e == "parquet")).unwrap();
    let model = dir.path().join("m.arpa");
    shannon().args(["build", "--order", "2", s(&paths[0]), "--output", s(&model)]).assert().success();
    // Per-document scores: the same as from JSON Lines, ids from the id column.
    let score = |path: &Path| {
        let out = shannon()
            .args(["score", "--model", s(&model), "--per-document", "--id-field", "id", s(path)])
            .args(["--report", s(&dir.path().join("r.json"))])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(score(parquet), score(&paths[1]));
    // A nested column by its dotted path.
    let (a, b) = (dir.path().join("nested.json"), dir.path().join("plain.json"));
    shannon()
        .args(["compare", "--order", "2", "--text-field", "meta.body", s(parquet), "--output", s(&a)])
        .assert()
        .success();
    shannon().args(["compare", "--order", "2", s(&paths[0]), "--output", s(&b)]).assert().success();
    assert_eq!(figures(json(&a)), figures(json(&b)));
    // Filtering keeps rows, every column, in order, as Parquet.
    let out = dir.path().join("kept.parquet");
    let report = dir.path().join("f.json");
    shannon()
        .args(["filter", "--model", s(&model), "--keep", "head", "--percentiles", "50", s(parquet)])
        .args(["--output", s(&out), "--report", s(&report)])
        .assert()
        .success();
    let r = json(&report);
    assert_valid(&validator("filter"), &r, "filter report on Parquet");
    assert_eq!(r["format"], "parquet");
    let cut = r["rule"]["thresholds"][0]["perplexity"].as_f64().unwrap();
    let texts = parquet_texts(parquet);
    let ppl: Vec<f64> = score(parquet)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["perplexity"].as_f64().unwrap())
        .collect();
    let want: Vec<String> = texts.iter().zip(&ppl).filter(|(_, &p)| p <= cut).map(|(t, _)| t.clone()).collect();
    assert_eq!(parquet_texts(&out), want);
    assert_eq!(r["documents"]["kept"].as_u64(), Some(want.len() as u64));
    // A null text: its row group and row, or skipped and counted.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    let rows = vec![Some("in the beginning".to_string()), Some("god created".into()), Some("the heaven".into()), None];
    std::fs::write(bad.join("n.parquet"), parquet_file(&rows, 2)).unwrap();
    fails_in(
        &bad,
        &["compare", "--order", "1", "n.parquet", "--holdout", "0.3", "--output", "o.json"],
        &["n.parquet: row group 2, row 2: column \"text\" is null"],
    );
    fails_in(
        &bad,
        &["compare", "--order", "1", "--text-field", "body", "n.parquet", "--output", "o.json"],
        &["no column \"body\" (columns: id, text, meta)"],
    );
    shannon()
        .args(["compare", "--order", "1", "--skip-bad-records", "n.parquet", "--holdout", "0.3", "--output", "o.json"])
        .current_dir(&bad)
        .assert()
        .success();
    assert_eq!(json(&bad.join("o.json"))["corpus"]["train_inputs"][0]["documents"]["skipped_bad_records"], 1);
    // A damaged file (its magic intact at both ends): one line, no panic.
    let mut damaged = parquet_file(&rows, 2);
    let n = damaged.len();
    for b in &mut damaged[8..n / 2] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    std::fs::write(bad.join("damaged.parquet"), &damaged).unwrap();
    fails_in(&bad, &["compare", "--order", "1", "damaged.parquet", "--output", "d.json"], &["damaged.parquet: "]);
    let mut cut = parquet_file(&rows, 2);
    let tail = cut.len() - 20;
    cut.drain(tail - 30..tail);
    std::fs::write(bad.join("cut.parquet"), &cut).unwrap();
    fails_in(&bad, &["compare", "--order", "1", "cut.parquet", "--output", "d.json"], &["cut.parquet"]);
}
