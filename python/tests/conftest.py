"""Fixtures of the shannon package's tests: small texts made here, and (when SHANNON_CORPORA names
../shared/corpora, as CI sets it) the bible split of /work/shared/reference/kenlm/README.md with models
built from it. Tests that need the corpora are skipped without the variable, as the Rust side #[ignore]s
them; CI sets it, so there they run."""

import lzma
import os
import pathlib
import random

import pytest

import shannon

REPO = pathlib.Path(__file__).resolve().parents[2]


def corpora():
    path = os.environ.get("SHANNON_CORPORA")
    if not path:
        pytest.skip("needs SHANNON_CORPORA (../shared/corpora)")
    return pathlib.Path(path)


def shannon_bin():
    """The command-line binary that `cargo test` built (or SHANNON_BIN), to compare reports with."""
    path = pathlib.Path(os.environ.get("SHANNON_BIN", REPO / "target" / "debug" / "shannon"))
    assert path.exists(), f"{path} is missing: run `cargo build -p shannon` first (or set SHANNON_BIN)"
    return path


@pytest.fixture(scope="session")
def bible(tmp_path_factory):
    """The bible split: train = the first floor(L * 9 / 10) lines, test = the rest (L = newlines)."""
    data = (corpora() / "canterbury" / "bible.txt").read_bytes()
    lines = data.count(b"\n")
    cut = 0
    for _ in range(lines * 9 // 10):
        cut = data.index(b"\n", cut) + 1
    d = tmp_path_factory.mktemp("bible")
    (d / "bible.train").write_bytes(data[:cut])
    (d / "bible.test").write_bytes(data[cut:])
    return d / "bible.train", d / "bible.test"


@pytest.fixture(scope="session")
def bible_arpa(bible, tmp_path_factory):
    """shannon's 5-gram modified Kneser-Ney ARPA model of the bible's training split, built through
    `shannon.build`."""
    out = tmp_path_factory.mktemp("models") / "bible.o5.arpa"
    shannon.build(str(bible[0]), output=str(out), order=5, smoothing="mkn", tokens="whitespace", quiet=True)
    return out


@pytest.fixture(scope="session")
def lmplz_arpa(tmp_path_factory):
    """KenLM's own lmplz 5-gram of the same split (reference/kenlm), compressed and plain (KenLM's Python
    module may lack xz support)."""
    xz = corpora().parent / "reference" / "kenlm" / "bible.o5.arpa.xz"
    plain = tmp_path_factory.mktemp("lmplz") / "bible.o5.arpa"
    plain.write_bytes(lzma.decompress(xz.read_bytes()))
    return xz, plain


def lines_of(path):
    """The test text's lines, as KenLM's clients read them (split on \\n, a trailing \\r dropped)."""
    data = pathlib.Path(path).read_bytes()
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    return [line.rstrip(b"\r").decode("utf-8") for line in lines]



@pytest.fixture(scope="session")
def small_text(tmp_path_factory):
    """A few thousand lines of seeded word salad over a Zipf-like vocabulary: enough for every job."""
    rng = random.Random(7)
    words = [f"w{i}" for i in range(300)] + ["the", "of", "and", "a", "to", "in"]
    weights = [1.0 / (i + 1) for i in range(len(words))]
    d = tmp_path_factory.mktemp("small")
    for name, seed in (("a.txt", 1), ("b.txt", 2)):
        rng.seed(seed)
        lines = [" ".join(rng.choices(words, weights, k=rng.randint(3, 15))) for _ in range(3000)]
        (d / name).write_text("\n".join(lines) + "\n")
    return d / "a.txt", d / "b.txt"
