"""Bad input raises the named exceptions with the command line's one-line messages."""

import os
import signal
import threading
import time

import pytest

import shannon


def test_the_base_exception():
    assert issubclass(shannon.Error, Exception)
    assert not issubclass(shannon.Error, (ValueError, OSError))


def test_missing_files(tmp_path, small_text):
    missing = tmp_path / "nope.arpa"
    with pytest.raises(FileNotFoundError, match="nope.arpa"):
        shannon.Model(missing)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        shannon.compare(tmp_path / "nope.txt", quiet=True)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        shannon.build(tmp_path / "nope.txt", output=tmp_path / "m.arpa", quiet=True)
    assert not (tmp_path / "m.arpa").exists()
    with pytest.raises(FileNotFoundError, match="nope.arpa"):
        shannon.score(missing, small_text[1], quiet=True)


def test_settings_out_of_range_are_value_errors(small_text, tmp_path):
    a, b = small_text
    with pytest.raises(ValueError, match="^--order must be"):
        shannon.compare(a, order=0, quiet=True)
    with pytest.raises(ValueError, match="^--tokens .*expected one of"):
        shannon.compare(a, tokens="sentencepiece", quiet=True)
    with pytest.raises(ValueError, match="^--smoothing .*not a smoothing method"):
        shannon.compare(a, smoothing=["mkn", "magic"], quiet=True)
    with pytest.raises(ValueError, match="^--holdout"):
        shannon.compare(a, holdout=1.5, quiet=True)
    with pytest.raises(ValueError, match="^--test"):
        shannon.compare(test=b, quiet=True)
    with pytest.raises(ValueError, match="^--format"):
        shannon.build(a, output=tmp_path / "m", format="kenlm", quiet=True)
    with pytest.raises(ValueError, match="^--threads"):
        shannon.kl(a, b, threads=0)
    with pytest.raises(ValueError, match="^--temperature"):
        shannon.score(tmp_path / "m", b, temperature=0.0)


def test_bad_files_are_shannon_errors(tmp_path):
    text = tmp_path / "book.txt"
    text.write_text("It was the best of times.\n")
    with pytest.raises(shannon.Error, match="not a model file"):
        shannon.Model(text)
    broken = tmp_path / "broken.arpa"
    broken.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\ta\n")
    with pytest.raises(shannon.Error, match="broken.arpa"):
        shannon.Model(broken)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(shannon.Error):
        shannon.compare(empty, quiet=True)


def test_ctrl_c_stops_a_long_job_and_leaves_no_file(tmp_path):
    """SIGINT while `build` runs with the GIL released: KeyboardInterrupt within a moment, no model file
    and nothing else left beside it."""
    import random
    rng = random.Random(3)
    words = [f"w{i}" for i in range(20000)]
    corpus = tmp_path / "big.txt"
    corpus.write_text("\n".join(" ".join(rng.choices(words, k=12)) for _ in range(300_000)) + "\n")
    out = tmp_path / "out" / "model.arpa"
    out.parent.mkdir()
    # Python's own Ctrl-C handler, even where the test runner inherited SIGINT ignored (a background job).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            shannon.build(corpus, output=out, order=5, tokens="whitespace", quiet=True)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    took = time.monotonic() - start
    print(f"KeyboardInterrupt {took - 0.5:.2f} s after SIGINT")
    assert list(out.parent.iterdir()) == []
    assert took < 30, f"stopped only after {took:.1f} s"
