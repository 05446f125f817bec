"""shannon: how much information text carries — n-gram models, cross-entropy, Shannon-style entropy.

The jobs (`compare`, `build`, `score`, `entropy`, `kl`) take the command line's flags as keyword arguments
(`-` becomes `_`) and return the reports the command line writes, as dicts of the JSON schemas' shape
(reports/schema/ in the repository). `Model` answers as KenLM's `kenlm.Model`.

Errors: FileNotFoundError (a missing file), ValueError (a setting out of range, said as its flag),
shannon.Error (anything else), KeyboardInterrupt (Ctrl-C stops a running job; no partial output is left).
"""

import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Path = Union[str, "os.PathLike[str]"]
_Paths = Union[_Path, Sequence[_Path]]

class Error(Exception):
    """A shannon job or model file failed: unreadable or malformed input, a corpus too small for the
    settings, a file that cannot be written. The message is the command line's."""

class Model:
    """A language model file: ARPA (from shannon, KenLM or SRILM; plain, gzip, xz, zstd or bzip2) or
    shannon's binary format. `shannon.Model(path)` answers as `kenlm.Model(path)`: sentences are split on
    ASCII whitespace, unknown words are `<unk>`, scores are log10."""

    def __init__(self, path: _Path) -> None: ...
    @property
    def order(self) -> int:
        """The model order (the longest n-gram)."""
    @property
    def path(self) -> str:
        """The file the model was read from."""
    @property
    def tokenizer(self) -> Optional[Dict[str, Any]]:
        """How the training text was tokenized, when the file records it (shannon's files do)."""
    def __contains__(self, word: str) -> bool:
        """Whether `word` is in the vocabulary (`<unk>` is not)."""
    def score(self, sentence: str, bos: bool = True, eos: bool = True) -> float:
        """log10 p of the sentence, as `kenlm.Model.score`."""
    def full_scores(self, sentence: str, bos: bool = True, eos: bool = True) -> Iterator[Tuple[float, int, bool]]:
        """(log10 p, n-gram length matched, out of vocabulary) per predicted token, as
        `kenlm.Model.full_scores`."""
    def perplexity(self, sentence: str) -> float:
        """10 ** (-score / (words + 1)), as `kenlm.Model.perplexity`."""
    def log_probs(self, sentence: str, bos: bool = True, eos: bool = True) -> npt.NDArray[np.float64]:
        """log10 p of each predicted token (the words, and `</s>` with `eos`)."""
    def score_batch(
        self, sentences: Iterable[str], bos: bool = True, eos: bool = True, threads: Optional[int] = None
    ) -> npt.NDArray[np.float64]:
        """`score` of every sentence, in parallel on `threads` workers (default: all cores), GIL released."""
    def vocabulary(self) -> List[str]:
        """The vocabulary in id order: the order of `distribution`'s entries."""
    def distribution(self, context: str, temperature: float = 1.0, bos: bool = True) -> npt.NDArray[np.float64]:
        """p(w | context) for every word of the vocabulary through softmax temperature τ ≥ 0
        (p^(1/τ), normalized; 0: all mass on the most probable word). Sums to 1."""

def compare(
    corpus: Optional[_Paths] = None,
    *,
    train: Optional[_Paths] = None,
    test: Optional[_Paths] = None,
    holdout: float = 0.1,
    order: int = 5,
    smoothing: Optional[Union[str, Sequence[str]]] = None,
    prune: Sequence[float] = (),
    temperatures: Sequence[float] = (),
    tokens: Optional[str] = None,
    lowercase: bool = False,
    sentences: Optional[str] = None,
    skip_symbols: bool = False,
    lossy: bool = False,
    name: Optional[str] = None,
    output: Optional[_Path] = None,
    threads: Optional[int] = None,
    progress: bool = False,
    quiet: bool = False,
) -> Dict[str, Any]:
    """Models of every order 1..=order with each smoothing (default "mkn"; "mkn,wb" or a list), compared on
    held-out text; the `shannon.compare/1` report. corpus=None: the built-in default corpus."""

def build(
    corpus: _Paths,
    *,
    output: _Path,
    order: int = 5,
    smoothing: str = "mkn",
    tokens: Optional[str] = None,
    lowercase: bool = False,
    sentences: Optional[str] = None,
    skip_symbols: bool = False,
    lossy: bool = False,
    format: str = "arpa",
    memory: Optional[Union[int, str]] = None,
    temp_dir: Optional[_Path] = None,
    threads: Optional[int] = None,
    progress: bool = False,
    quiet: bool = False,
) -> Dict[str, Any]:
    """One model of the whole corpus written to `output` (`format`: "arpa", "binary", or "binary-f32" with
    values rounded to f32 as KenLM's); its summary (`output`, `order`,
    `ngrams` per order, `discounts`, `vocab`)."""

def score(
    model: _Path,
    text: _Paths,
    *,
    tokens: Optional[str] = None,
    lowercase: bool = False,
    sentences: Optional[str] = None,
    skip_symbols: bool = False,
    lossy: bool = False,
    per_sentence: bool = False,
    force_tokens: bool = False,
    temperature: float = 1.0,
    output: Optional[_Path] = None,
    threads: Optional[int] = None,
    progress: bool = False,
    quiet: bool = False,
) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
    """The `shannon.score/1` report of the text under the model; with per_sentence=True, one dict per
    sentence (`sentence`, `log10_prob`, `tokens`, `oov`) instead."""

def entropy(
    corpus: _Paths,
    *,
    tokens: str = "letters",
    lowercase: bool = False,
    sentences: str = "none",
    skip_symbols: bool = False,
    lossy: bool = False,
    max_order: Optional[int] = None,
    groups: int = 20,
    min_coverage: float = 0.9,
    no_nsb_jackknife: bool = False,
    guess_order: Optional[int] = None,
    guess_limit: int = 50000,
    holdout: float = 0.1,
    memory: Optional[Union[int, str]] = None,
    temp_dir: Optional[_Path] = None,
    name: Optional[str] = None,
    output: Optional[_Path] = None,
    threads: Optional[int] = None,
    progress: bool = False,
    quiet: bool = False,
) -> Dict[str, Any]:
    """Block entropies F_0..F_N with every estimator, Zipf, the guessing game, the entropy rate; the
    `shannon.entropy/1` report. `memory` (bytes, or a size such as "1G") bounds the block counts' keys and
    the guessing game's counting and estimating, as `--memory` does; the figures are the same."""

def kl(
    p: _Path,
    q: _Path,
    *,
    order: int = 1,
    smoothing: str = "mkn",
    tokens: Optional[str] = None,
    lowercase: bool = False,
    sentences: Optional[str] = None,
    skip_symbols: bool = False,
    lossy: bool = False,
    top: int = 20,
    output: Optional[_Path] = None,
    threads: Optional[int] = None,
    progress: bool = False,
    quiet: bool = False,
) -> Dict[str, Any]:
    """KL both ways, Jensen–Shannon, cross-entropies and the words behind them; the `shannon.kl/1` report."""
