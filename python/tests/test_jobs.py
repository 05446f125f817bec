"""The jobs from Python return the reports the command line writes (timings aside)."""

import json
import subprocess

import pytest

import shannon
from conftest import corpora, shannon_bin


def cli(*args):
    out = subprocess.run([str(shannon_bin()), "--quiet", *map(str, args)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def cli_report(tmp_path, *args):
    path = tmp_path / "cli.json"
    cli(*args, "--output", path)
    return json.loads(path.read_text())


def untimed(value):
    """A report without its machine-dependent figures: the timings block and every `*_seconds`."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k != "timings" and not k.endswith("_seconds")}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def same(ours, theirs):
    """Reports equal but for timings."""
    assert untimed(ours) == untimed(theirs)


def test_compare_equals_the_cli(small_text, tmp_path):
    a, _ = small_text
    ours = shannon.compare(str(a), order=3, smoothing=["mkn", "wb"], quiet=True)
    assert ours["schema"] == "shannon.compare/1"
    assert [m["order"] for m in ours["models"]] == [1, 1, 2, 2, 3, 3]
    same(ours, cli_report(tmp_path, "compare", a, "--order", 3, "--smoothing", "mkn,wb"))


def test_compare_train_and_test_equals_the_cli(small_text, tmp_path):
    a, b = small_text
    ours = shannon.compare(train=a, test=b, tokens="whitespace", order=2, smoothing="kn,add-k:0.5",
                           output=tmp_path / "ours.json", quiet=True)
    assert json.loads((tmp_path / "ours.json").read_text()) == ours
    same(ours, cli_report(tmp_path, "compare", "--train", a, "--test", b, "--tokens", "whitespace",
                          "--order", 2, "--smoothing", "kn,add-k:0.5"))


def test_compare_within_a_budget_equals_the_cli(small_text, tmp_path):
    a, _ = small_text
    ours = shannon.compare(str(a), order=3, memory="1M", temp_dir=tmp_path, quiet=True)
    assert ours["timings"]["memory"]["budget"] == "--memory"
    assert ours["timings"]["memory"]["budget_bytes"] == 1 << 20
    same(ours, cli_report(tmp_path, "compare", a, "--order", 3, "--memory", "1M"))
    with pytest.raises(ValueError, match="--memory"):
        shannon.compare(str(a), order=2, smoothing="add-k", memory=1 << 20, quiet=True)


def test_entropy_equals_the_cli(small_text, tmp_path):
    a, _ = small_text
    ours = shannon.entropy(a, max_order=4, guess_order=2, groups=5, quiet=True)
    assert ours["schema"] == "shannon.entropy/1"
    same(ours, cli_report(tmp_path, "entropy", a, "--max-order", 4, "--guess-order", 2, "--groups", 5))


def test_entropy_within_a_budget_equals_the_cli(small_text, tmp_path):
    a, _ = small_text
    ours = shannon.entropy(a, max_order=4, guess_order=3, groups=5, memory="1M", temp_dir=tmp_path, quiet=True)
    assert ours["timings"]["memory"]["budget"] == "--memory"
    assert ours["timings"]["memory"]["counts"] == "disk"
    same(ours, cli_report(tmp_path, "entropy", a, "--max-order", 4, "--guess-order", 3, "--groups", 5))
    assert list(tmp_path.glob(".shannon-spill-*")) == []


def test_kl_equals_the_cli(small_text, tmp_path):
    a, b = small_text
    ours = shannon.kl(a, b, order=2, top=5, quiet=True)
    assert ours["schema"] == "shannon.kl/1"
    same(ours, cli_report(tmp_path, "kl", a, b, "--order", 2, "--top", 5))


def test_build_and_score_equal_the_cli(small_text, tmp_path):
    a, b = small_text
    model = tmp_path / "m.arpa"
    summary = shannon.build(a, output=model, order=3, tokens="whitespace", quiet=True)
    assert summary["output"] == str(model) and summary["ngrams"][0] > 300
    cli("build", a, "--order", 3, "--tokens", "whitespace", "--output", tmp_path / "cli.arpa")
    assert model.read_bytes() == (tmp_path / "cli.arpa").read_bytes()
    ours = shannon.score(model, b, quiet=True)
    assert ours["schema"] == "shannon.score/1"
    theirs = json.loads(cli("score", "--model", model, "--json", b))
    same(ours, theirs)
    lines = shannon.score(model, b, per_sentence=True, quiet=True)
    assert lines == [json.loads(l) for l in cli("score", "--model", model, "--per-sentence", b).splitlines()]
    # The per-sentence totals are Model.score of each line.
    m = shannon.Model(model)
    text = b.read_text().splitlines()
    assert [l["log10_prob"] for l in lines[:50]] == pytest.approx([m.score(s) for s in text[:50]], abs=1e-9)


def test_compare_on_a_shared_corpus_equals_the_cli(tmp_path):
    alice = corpora() / "canterbury" / "alice29.txt"
    ours = shannon.compare(alice, order=3, smoothing="mkn,wb", quiet=True, threads=2)
    same(ours, cli_report(tmp_path, "compare", alice, "--order", 3, "--smoothing", "mkn,wb"))


def test_progress_is_off_unless_asked(small_text, capfd):
    shannon.kl(*small_text, quiet=True)
    assert capfd.readouterr().err == ""
    shannon.kl(*small_text, progress=True)
    assert "tokenize" in capfd.readouterr().err
