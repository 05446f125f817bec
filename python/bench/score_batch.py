#!/usr/bin/env python3
"""Benchmark: shannon.Model.score_batch on 1 and 2 threads against a kenlm.Model.score loop, on the same
model and the same 100,000 sentences, in one process.

Model: KenLM's lmplz 5-gram of the bible's training split (reference/kenlm/bible.o5.arpa.xz, decompressed
once for KenLM). Sentences: the bible's lines, cycled to 100,000. Both sides' totals are checked against
each other (within 1e-4 per sentence) before any time counts, so a fast wrong answer cannot win.
Writes reports/bench-python-<date>.json (or --output) with seconds, sentences per second and the ratios.

    python3 python/bench/score_batch.py --shared ../shared     # needs `import kenlm` and `import shannon`
"""

import argparse
import datetime
import json
import lzma
import os
import pathlib
import platform
import subprocess
import tempfile
import time

import numpy as np

import kenlm
import shannon

REPO = pathlib.Path(__file__).resolve().parents[2]


CPU = {}


def best_of(runs, f):
    """The fastest of `runs` timed calls (wall seconds), and the last result. The process's CPU seconds of
    that call go to CPU[f]: on a shared machine, 2 threads that got less than 2 cores show it there."""
    best, out = float("inf"), None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        out = f()
        took = time.perf_counter() - start
        if took < best:
            best, CPU[f] = took, time.process_time() - cpu
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"), help="the shared directory (corpora, reference)")
    ap.add_argument("--sentences", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each; the fastest counts")
    ap.add_argument("--output", help="report path (default: reports/bench-python-<date>.json)")
    args = ap.parse_args()
    shared = pathlib.Path(args.shared)

    lines = (shared / "corpora" / "canterbury" / "bible.txt").read_text().splitlines()
    sentences = [lines[i % len(lines)] for i in range(args.sentences)]
    tokens = sum(len(s.split()) + 1 for s in sentences)

    xz = shared / "reference" / "kenlm" / "bible.o5.arpa.xz"
    with tempfile.TemporaryDirectory() as tmp:
        plain = pathlib.Path(tmp) / "bible.o5.arpa"
        plain.write_bytes(lzma.decompress(xz.read_bytes()))
        theirs = kenlm.Model(str(plain))
        ours = shannon.Model(str(plain))

    # Correctness first: the same totals.
    reference = np.array([theirs.score(s) for s in sentences[:5000]])
    got = ours.score_batch(sentences[:5000])
    worst = float(np.abs(reference - got).max())
    assert worst <= 1e-4, f"shannon and kenlm disagree by {worst}"

    runs = {
        "kenlm": lambda: [theirs.score(s) for s in sentences],
        "loop": lambda: [ours.score(s) for s in sentences],
        "one": lambda: ours.score_batch(sentences, threads=1),
        "two": lambda: ours.score_batch(sentences, threads=2),
    }
    kenlm_s, k = best_of(args.runs, runs["kenlm"])
    loop_s, _ = best_of(args.runs, runs["loop"])
    one_s, one = best_of(args.runs, runs["one"])
    two_s, two = best_of(args.runs, runs["two"])
    assert np.array_equal(one, two)
    assert float(np.abs(np.array(k) - one).max()) <= 1e-4

    def figure(seconds, name):
        return {"seconds": round(seconds, 4), "cpu_seconds": round(CPU[runs[name]], 4),
                "sentences_per_second": round(len(sentences) / seconds), "tokens_per_second": round(tokens / seconds)}

    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    report = {
        "benchmark": "python score_batch vs kenlm.Model.score loop",
        "date": datetime.date.today().isoformat(),
        "commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()},
        "model": "reference/kenlm/bible.o5.arpa.xz (lmplz 5-gram, bible training split), read as plain ARPA",
        "sentences": len(sentences),
        "tokens": tokens,
        "corpus": "canterbury/bible.txt lines, cycled",
        "runs": args.runs,
        "largest_difference_log10": worst,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "kenlm_score_loop": figure(kenlm_s, "kenlm"),
        "shannon_score_loop": figure(loop_s, "loop"),
        "shannon_score_batch_1_thread": figure(one_s, "one"),
        "shannon_score_batch_2_threads": figure(two_s, "two"),
        "ratios": {
            "score_batch_1_thread_over_kenlm_loop": round(kenlm_s / one_s, 3),
            "score_batch_2_threads_over_kenlm_loop": round(kenlm_s / two_s, 3),
            "score_batch_2_threads_over_1_thread": round(one_s / two_s, 3),
            "shannon_score_loop_over_kenlm_loop": round(kenlm_s / loop_s, 3),
        },
        "shannon_version": shannon.__version__,
    }
    out = pathlib.Path(args.output or REPO / "reports" / f"bench-python-{report['date']}.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["ratios"], indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
