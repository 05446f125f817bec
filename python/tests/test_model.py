"""shannon.Model against KenLM's Python module on the same files, and against values worked out by hand."""

import math
import pathlib

import numpy as np
import pytest

import shannon
from conftest import lines_of

# A bigram model in backoff form, values chosen for easy sums (log10):
#   p(a | <s>) = 10^-0.3, p(b | a) = 10^-0.5, p(</s> | b) = 10^-0.2
#   p(b) = 10^-0.6, backoff(b) = -0.1, backoff(<s>) = -0.25; <unk> = 10^-2.
TOY = """\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-2.0\t<unk>
-99\t<s>\t-0.25
-1.0\t</s>
-0.7\ta\t-0.15
-0.6\tb\t-0.1

\\2-grams:
-0.3\t<s> a
-0.5\ta b
-0.2\tb </s>

\\end\\
"""


@pytest.fixture()
def toy(tmp_path):
    path = tmp_path / "toy.arpa"
    path.write_text(TOY)
    return shannon.Model(str(path))


def test_scores_by_hand(toy):
    assert toy.order == 2
    # <s> a b </s>: -0.3 - 0.5 - 0.2
    assert toy.score("a b") == pytest.approx(-1.0)
    assert [(round(p, 6), n, oov) for p, n, oov in toy.full_scores("a b")] == [
        (-0.3, 2, False), (-0.5, 2, False), (-0.2, 2, False)]
    # <s> b: backoff(<s>) + p(b) = -0.25 - 0.6; b x: backoff(b) + p(<unk>) = -0.1 - 2.0; x </s>: p(</s>).
    scores = list(toy.full_scores("b x"))
    assert [n for _, n, _ in scores] == [1, 1, 1]
    assert [oov for _, _, oov in scores] == [False, True, False]
    assert toy.score("b x") == pytest.approx(-0.85 - 2.1 - 1.0)
    # No <s>: p(a) from the empty context; no </s>: two tokens.
    assert toy.score("a b", bos=False, eos=False) == pytest.approx(-0.7 - 0.5)
    assert len(list(toy.full_scores("a b", eos=False))) == 2
    # Perplexity counts </s>: 10^(1.0 / 3).
    assert toy.perplexity("a b") == pytest.approx(10 ** (1 / 3))
    # Whitespace as KenLM's module splits it.
    assert toy.score("  a\tb \r\n") == pytest.approx(-1.0)
    assert toy.score("") == pytest.approx(-0.25 - 1.0)


def test_vocabulary_membership(toy):
    assert "a" in toy and "</s>" in toy and "<s>" in toy
    assert "<unk>" not in toy and "x" not in toy
    assert toy.vocabulary()[:3] == ["<unk>", "<s>", "</s>"]
    assert sorted(toy.vocabulary()) == sorted(["<unk>", "<s>", "</s>", "a", "b"])
    assert toy.tokenizer is None  # KenLM-style file: no record


def test_arrays_and_distribution(toy):
    lp = toy.log_probs("a b")
    assert isinstance(lp, np.ndarray) and lp.dtype == np.float64
    assert lp == pytest.approx([-0.3, -0.5, -0.2])
    batch = toy.score_batch(["a b", "b x", "", "a"] * 50, threads=2)
    assert batch.shape == (200,)
    assert batch[:4] == pytest.approx([toy.score(s) for s in ["a b", "b x", "", "a"]])
    vocab = toy.vocabulary()
    d = toy.distribution("a")
    assert d.shape == (len(vocab),) and d.sum() == pytest.approx(1.0)
    assert d[vocab.index("<s>")] == 0.0
    # p(b | <s> a) as stored, up to the normalization over the vocabulary.
    raw = np.array([10 ** s for s in (toy.score(f"a {w}", eos=False) - toy.score("a", eos=False) for w in vocab)])
    raw[vocab.index("<s>")] = 0.0
    raw[vocab.index("</s>")] = 10 ** (toy.score("a") - toy.score("a", eos=False))
    assert d == pytest.approx(raw / raw.sum())
    # Temperature: p^(1/tau) normalized; 0 puts everything on the most probable word.
    t = toy.distribution("a", temperature=2.0)
    assert t == pytest.approx(np.sqrt(raw) / np.sqrt(raw).sum())
    greedy = toy.distribution("a", temperature=0.0)
    assert greedy.sum() == 1.0 and greedy[np.argmax(d)] == 1.0
    with pytest.raises(ValueError, match="--temperature"):
        toy.distribution("a", temperature=-1.0)


def compare_with_kenlm(ours, kenlm_model, sentences):
    worst = 0.0
    for s in sentences:
        a, b = ours.score(s), kenlm_model.score(s)
        assert abs(a - b) <= 1e-4, (s, a, b)
        worst = max(worst, abs(a - b))
        full_a, full_b = list(ours.full_scores(s)), list(kenlm_model.full_scores(s))
        assert len(full_a) == len(full_b)
        for (pa, na, oa), (pb, nb, ob) in zip(full_a, full_b):
            assert abs(pa - pb) <= 1e-4 and na == nb and oa == ob, (s, full_a, full_b)
        pa, pb = ours.perplexity(s), kenlm_model.perplexity(s)
        assert abs(math.log10(pa) - math.log10(pb)) <= 1e-4, (s, pa, pb)
    for s in sentences[:200]:
        for bos, eos in ((False, True), (True, False), (False, False)):
            a, b = ours.score(s, bos=bos, eos=eos), kenlm_model.score(s, bos=bos, eos=eos)
            assert abs(a - b) <= 1e-4, (s, bos, eos, a, b)
    return worst


def test_equals_kenlm_on_shannons_bible_5gram(bible, bible_arpa):
    import kenlm  # CI installs it; a missing module fails here, loudly
    ours, theirs = shannon.Model(str(bible_arpa)), kenlm.Model(str(bible_arpa))
    assert ours.order == theirs.order == 5
    sentences = lines_of(bible[1])
    worst = compare_with_kenlm(ours, theirs, sentences)
    words = {w for s in sentences[:500] for w in s.split()} | {"<s>", "</s>", "<unk>", "zzzz", "LORD"}
    assert all((w in ours) == (w in theirs) for w in words)
    # score_batch is score, on 1 and 2 threads.
    one = ours.score_batch(sentences, threads=1)
    assert np.array_equal(one, ours.score_batch(sentences, threads=2))
    assert np.array_equal(one, np.array([ours.score(s) for s in sentences]))
    # A chunk of sentences from <s> is walked as one stream, from the empty context one by one: both are score.
    for bos, eos in [(True, False), (False, True), (False, False)]:
        some = sentences[:3000]
        got = ours.score_batch(some, bos=bos, eos=eos, threads=2)
        assert np.array_equal(got, np.array([ours.score(s, bos=bos, eos=eos) for s in some])), (bos, eos)
    # Words split as KenLM's module splits them: on ASCII whitespace only (bytes.split()), any run of it, at
    # either end too; a no-break space or an ideographic space is part of a word.
    spaces = ["\t", "\x0b", "\x0c", "\r", "\n", "  ", " \t\x0b ", "\u00a0", "\u3000", " \u00e9 "]
    odd = [" " + spaces[i % len(spaces)].join(s.split()) + spaces[(i + 3) % len(spaces)]
           for i, s in enumerate(sentences[:200])] + ["", " ", "\t\x0c", "\u00a0", "LORD\x0bGod\x0c"]
    compare_with_kenlm(ours, theirs, odd)
    assert np.array_equal(ours.score_batch(odd), np.array([ours.score(s) for s in odd]))
    for s in odd:
        assert abs(ours.perplexity(s) - theirs.perplexity(s)) <= 1e-4 * theirs.perplexity(s), repr(s)
    print(f"{len(sentences)} sentences: shannon.Model agrees with kenlm.Model within {worst:.2e}")


def test_equals_kenlm_and_query_on_lmplz_bible_5gram(bible, lmplz_arpa):
    import kenlm
    xz, plain = lmplz_arpa
    ours, theirs = shannon.Model(str(xz)), kenlm.Model(str(plain))
    sentences = lines_of(bible[1])
    compare_with_kenlm(ours, theirs, sentences)
    # And KenLM's `query -v sentence` totals, stored in reference/kenlm.
    totals = [float(l.split()[1]) for l in (xz.parent / "bible.o5.sentences").read_text().splitlines()
              if l.startswith("Total:")]
    assert len(totals) == len(sentences)
    assert np.abs(ours.score_batch(sentences) - np.array(totals)).max() <= 1e-4


def test_binary_model_scores_as_its_arpa(small_text, tmp_path):
    arpa, binary = tmp_path / "m.arpa", tmp_path / "m.bin"
    for path, fmt in ((arpa, "arpa"), (binary, "binary")):
        shannon.build(str(small_text[0]), output=str(path), order=3, tokens="whitespace", format=fmt, quiet=True)
    a, b = shannon.Model(arpa), shannon.Model(binary)
    assert a.tokenizer == b.tokenizer and a.tokenizer["kind"] == "whitespace"
    sentences = lines_of(small_text[1])[:300]
    assert np.abs(a.score_batch(sentences) - b.score_batch(sentences)).max() <= 1e-6
    assert a.vocabulary() == b.vocabulary()
    # ARPA rounds probabilities to f32 (as lmplz writes), the binary file keeps them exactly.
    assert np.allclose(a.distribution("the w1"), b.distribution("the w1"), rtol=1e-5, atol=0)
    assert [n for _, n, _ in a.full_scores(sentences[0])] == [n for _, n, _ in b.full_scores(sentences[0])]


def test_a_model_of_other_tokens_warns(small_text, tmp_path):
    path = tmp_path / "words.arpa"
    shannon.build(str(small_text[0]), output=str(path), order=2, tokens="words", lowercase=True, quiet=True)
    with pytest.warns(UserWarning, match="words"):
        shannon.Model(path)
