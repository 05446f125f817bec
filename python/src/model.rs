//! `shannon.Model`: a model file queried as KenLM's `kenlm.Model` is — `score`, `full_scores`,
//! `perplexity`, `order`, `"word" in model` give the same values for the same file — and beyond it:
//! `score_batch` over many sentences on all cores with the GIL released, per-token log-probabilities as
//! numpy arrays, and the whole next-word distribution through a softmax temperature.
//!
//! Sentences are split as KenLM's Python module splits them (on ASCII whitespace, after encoding to
//! UTF-8); words not in the vocabulary are `<unk>`. With `bos`, the sentence starts from `<s>` (context
//! only); without it, from the empty context; with `eos`, `</s>` is predicted after the last word. Scores
//! are log10, summed in double precision (KenLM sums in single precision: they agree to about 1e-5 on a
//! sentence). One difference is known: a literal `<s>` inside a sentence restarts the context and is not
//! scored (shannon's streams mark sentence starts so), where KenLM scores it as a word.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use memmap2::MmapMut;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use rayon::prelude::*;
use shannon_corpus::Source;
use shannon_eval::{token_scores, TokenScore};
use shannon_jobs::model_file::{self, Loaded};
use shannon_model::binary::Mapped;
use shannon_model::LanguageModel;
use shannon_tokens::{Lookup, TokenKind, Tokenizer, Vocab, BOS, EOS, UNK};

use crate::errors::{self, to_py};
use crate::run::{interruptible, pool};

/// A language model file: ARPA (from shannon, KenLM or SRILM; plain, gzip, xz, zstd or bzip2) or
/// shannon's binary format, recognised by its first bytes. `shannon.Model(path)` answers as
/// `kenlm.Model(path)`.
#[pyclass(frozen, module = "shannon")]
pub struct Model {
    tables: Tables,
    path: PathBuf,
    /// Every word's id, in the tokenizer's table (`Mapped::words`): about half the time a word of the
    /// tables' own word table, whose hash the format fixes. An ARPA file's comes with it; a binary file's is
    /// built on the first lookup.
    words: OnceLock<Vocab>,
}

/// The model's hash tables: shannon's binary layout, memory-mapped from a binary file, or laid out in
/// memory from an ARPA file when it is read (probabilities kept exactly, as `shannon convert` keeps them).
/// They answer word lookups and every score (`shannon_model`'s walk, which overlaps the cache misses of
/// the words of a sentence).
enum Tables {
    File(Mapped<Source>),
    Memory(Mapped<MmapMut>),
}

/// ASCII whitespace, as Python's `bytes.split()` in KenLM's module: space, tab, LF, VT, FF, CR.
fn kenlm_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The words of a sentence as KenLM's module splits it: the runs between [`kenlm_space`] bytes. Scanned
/// byte by byte, not char by char (the spaces are ASCII, so every cut is a character boundary): `str::split`
/// with a char predicate decodes every character first.
struct Words<'a> {
    sentence: &'a str,
    at: usize,
}

fn words(sentence: &str) -> Words<'_> {
    Words { sentence, at: 0 }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.sentence.as_bytes();
        let start = self.at + b[self.at..].iter().position(|&c| !kenlm_space(c))?;
        let end = b[start..].iter().position(|&c| kenlm_space(c)).map_or(b.len(), |n| start + n);
        self.at = end;
        Some(&self.sentence[start..end])
    }
}

impl Model {
    fn lm(&self) -> &dyn LanguageModel {
        match &self.tables {
            Tables::File(m) => m,
            Tables::Memory(m) => m,
        }
    }

    fn tokenizer_record(&self) -> Option<Tokenizer> {
        match &self.tables {
            Tables::File(m) => m.tokenizer(),
            Tables::Memory(m) => m.tokenizer(),
        }
    }

    /// The word's id; the markers by their names, as KenLM's vocabulary has them (shannon's tokenizers
    /// never produce them from text, so the vocabulary does not look them up).
    fn id(&self, word: &str) -> Option<u32> {
        match word {
            "<s>" => return Some(BOS),
            "</s>" => return Some(EOS),
            _ => {}
        }
        let words = self.words.get_or_init(|| {
            let words = match &self.tables {
                Tables::File(m) => m.words(),
                Tables::Memory(m) => m.words(),
            };
            // A file whose words cannot make a vocabulary (one twice) answers from its own word table.
            words.unwrap_or_default()
        });
        match words.lookup(word) {
            Some(id) => Some(id),
            None if words.len() < self.vocab_len() => match &self.tables {
                Tables::File(m) => m.id(word),
                Tables::Memory(m) => m.id(word),
            },
            None => None,
        }
    }

    fn vocab_len(&self) -> usize {
        match &self.tables {
            Tables::File(m) => m.vocab_size(),
            Tables::Memory(m) => m.vocab_size(),
        }
    }

    fn word(&self, id: u32) -> String {
        match &self.tables {
            Tables::File(m) => m.string(id).unwrap_or("").to_string(),
            Tables::Memory(m) => m.string(id).unwrap_or("").to_string(),
        }
    }

    /// The sentence's ids: `<s>` when `bos`, its words (`<unk>` when unknown), `</s>` when `eos`.
    fn ids(&self, sentence: &str, bos: bool, eos: bool) -> Vec<u32> {
        let mut ids = Vec::with_capacity(sentence.len() / 4 + 2);
        self.push_ids(sentence, bos, eos, &mut ids);
        ids
    }

    /// [`Model::ids`], appended to `ids`.
    fn push_ids(&self, sentence: &str, bos: bool, eos: bool, ids: &mut Vec<u32>) {
        if bos {
            ids.push(BOS);
        }
        ids.extend(words(sentence).map(|w| self.id(w).unwrap_or(UNK)));
        if eos {
            ids.push(EOS);
        }
    }

    fn tokens(&self, sentence: &str, bos: bool, eos: bool) -> Vec<TokenScore> {
        token_scores(self.lm(), &self.ids(sentence, bos, eos))
    }

    fn total(&self, sentence: &str, bos: bool, eos: bool) -> f64 {
        log10_total(self.lm(), &self.ids(sentence, bos, eos))
    }
}

/// Σ log10 p over the predicted positions of `ids`, in position order: `score`'s and `score_batch`'s total.
fn log10_total(lm: &dyn LanguageModel, ids: &[u32]) -> f64 {
    let mut total = -0.0;
    lm.stream_log_probs(ids, &mut |_, ln, _| total += ln * std::f64::consts::LOG10_E);
    total
}

#[pymethods]
impl Model {
    /// Opens a model file (the GIL is released while a large ARPA file is read; Ctrl-C stops waiting).
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
        let cancel = AtomicBool::new(false);
        let tables = interruptible(py, &cancel, || tables(&path))?.map_err(to_py)?;
        let (tables, vocab) = tables;
        let model = Model { tables, path, words: vocab.map(OnceLock::from).unwrap_or_default() };
        if let Some(t) = model.tokenizer_record() {
            if t.kind != TokenKind::Whitespace || t.lowercase || t.skip_symbols {
                let warning = format!(
                    "{} was trained on text tokenized as {}; Model splits sentences on whitespace as KenLM does, \
                     so tokenize them the same way first",
                    model.path.display(),
                    shannon_jobs::text::describe_tokenizer(&t)
                );
                py.import("warnings")?.call_method1("warn", (warning,))?;
            }
        }
        Ok(model)
    }

    /// The model order (the longest n-gram), as `kenlm.Model.order`.
    #[getter]
    fn order(&self) -> usize {
        self.lm().order()
    }

    /// The file the model was read from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// How the training text was tokenized, when the file records it (every file shannon writes does), as
    /// a dict; None for KenLM's and SRILM's files.
    #[getter]
    fn tokenizer<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.tokenizer_record().map(|t| tokenizer_dict(py, &t)).transpose()
    }

    /// Whether `word` is in the vocabulary (`<unk>` is not), as `word in kenlm_model`.
    fn __contains__(&self, word: &str) -> bool {
        self.id(word).is_some_and(|id| id != UNK)
    }

    fn __repr__(&self) -> String {
        format!("shannon.Model({:?}, order={})", self.path.display().to_string(), self.order())
    }

    /// log10 p of the sentence: the sum over its words (and `</s>` with `eos`) after `<s>` (with `bos`) or
    /// the empty context; as `kenlm.Model.score`.
    #[pyo3(signature = (sentence, bos=true, eos=true))]
    fn score(&self, sentence: &str, bos: bool, eos: bool) -> f64 {
        self.total(sentence, bos, eos)
    }

    /// Per predicted token: (log10 p, length of the n-gram matched, whether the word is out of the
    /// vocabulary); as `kenlm.Model.full_scores`.
    #[pyo3(signature = (sentence, bos=true, eos=true))]
    fn full_scores<'py>(&self, py: Python<'py>, sentence: &str, bos: bool, eos: bool) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::empty(py);
        for t in self.tokens(sentence, bos, eos) {
            list.append((t.log10_prob, t.ngram_length, t.oov))?;
        }
        list.try_iter().map(Bound::into_any)
    }

    /// 10^(−score / (words + 1)): the sentence's perplexity with `</s>` counted, as
    /// `kenlm.Model.perplexity`.
    fn perplexity(&self, sentence: &str) -> f64 {
        // Split once: the ids are `<s>`, the words and `</s>`; all but `<s>` are predicted.
        let ids = self.ids(sentence, true, true);
        10f64.powf(-log10_total(self.lm(), &ids) / (ids.len() - 1) as f64)
    }

    /// log10 p of each predicted token (the words, and `</s>` with `eos`), as a numpy array.
    #[pyo3(signature = (sentence, bos=true, eos=true))]
    fn log_probs<'py>(&self, py: Python<'py>, sentence: &str, bos: bool, eos: bool) -> Bound<'py, PyArray1<f64>> {
        let v: Vec<f64> = self.tokens(sentence, bos, eos).iter().map(|t| t.log10_prob).collect();
        PyArray1::from_vec(py, v)
    }

    /// `score` of every sentence, as a numpy array: in parallel on `threads` workers (default: all cores)
    /// with the GIL released. Ctrl-C stops it and raises KeyboardInterrupt.
    #[pyo3(signature = (sentences, bos=true, eos=true, threads=None))]
    fn score_batch<'py>(
        &self,
        py: Python<'py>,
        sentences: &Bound<'py, PyAny>,
        bos: bool,
        eos: bool,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        // The sentences' UTF-8 text, one buffer (no allocation per sentence), and where each ends.
        let mut text = String::new();
        let mut ends = Vec::new();
        let mut add = |s: Bound<'py, PyAny>| -> PyResult<()> {
            text.push_str(&s.cast_into::<PyString>()?.to_cow()?);
            ends.push(text.len());
            Ok(())
        };
        if let Ok(list) = sentences.cast::<PyList>() {
            for s in list.iter() {
                add(s)?;
            }
        } else {
            for s in sentences.try_iter()? {
                add(s?)?;
            }
        }
        let pool = pool(threads)?;
        let cancel = AtomicBool::new(false);
        let scores = interruptible(py, &cancel, || {
            // Chunks of sentences: all of them tokenized, then all scored. Not each chunk tokenized then
            // scored: the two touch different tables (the vocabulary's, a few hundred KiB, and the model's,
            // tens of MiB), and a walk between every two chunks' lookups evicted the vocabulary from the
            // core's cache (on the bible 5-gram, 35 ns a word looked up against 17 in one go).
            let chunks: Vec<(usize, usize)> =
                (0..ends.len()).step_by(CHUNK).map(|a| (a, (a + CHUNK).min(ends.len()))).collect();
            let tokenize = |&(a, b): &(usize, usize)| -> Tokenized {
                let mut ids = Vec::new();
                let mut cuts = Vec::with_capacity(b - a + 1);
                cuts.push(0);
                if cancel.load(Ordering::Relaxed) {
                    return Tokenized { ids, cuts };
                }
                for k in a..b {
                    let start = if k == 0 { 0 } else { ends[k - 1] };
                    self.push_ids(&text[start..ends[k]], bos, eos, &mut ids);
                    cuts.push(ids.len());
                }
                Tokenized { ids, cuts }
            };
            let score = |(&(a, b), Tokenized { ids, cuts }): (&(usize, usize), &Tokenized)| -> Vec<f64> {
                if cancel.load(Ordering::Relaxed) {
                    return vec![f64::NAN; b - a];
                }
                let lm = self.lm();
                if !bos {
                    // Each sentence from the empty context: walked alone.
                    return cuts.windows(2).map(|w| log10_total(lm, &ids[w[0]..w[1]])).collect();
                }
                // Every sentence starts from `<s>`, where the walk starts afresh: the chunk is walked as one
                // stream (the cache misses of its sentences overlap), each value added to its sentence's
                // total in position order, as `log10_total` adds them.
                let mut totals = vec![-0.0; b - a];
                let mut k = 0;
                lm.stream_log_probs(ids, &mut |i, ln, _| {
                    while i >= cuts[k + 1] {
                        k += 1;
                    }
                    totals[k] += ln * std::f64::consts::LOG10_E;
                });
                totals
            };
            let workers = match &pool {
                Some(p) => p.current_num_threads(),
                None => rayon::current_num_threads(),
            };
            if workers <= 1 {
                // One worker: no rayon at all.
                let tokenized: Vec<Tokenized> = chunks.iter().map(tokenize).collect();
                return chunks.iter().zip(&tokenized).flat_map(score).collect::<Vec<f64>>();
            }
            let work = || {
                let tokenized: Vec<Tokenized> = chunks.par_iter().map(tokenize).collect();
                chunks.par_iter().zip(&tokenized).map(score).flatten_iter().collect::<Vec<f64>>()
            };
            match &pool {
                Some(p) => p.install(work),
                None => work(),
            }
        })?;
        Ok(PyArray1::from_vec(py, scores))
    }

    /// The vocabulary in id order: the order of `distribution`'s entries.
    fn vocabulary(&self) -> Vec<String> {
        (0..self.vocab_len() as u32).map(|id| self.word(id)).collect()
    }

    /// p(w | context) for every word w of the vocabulary (in `vocabulary()` order), through softmax
    /// temperature τ: p^(1/τ) normalized over the vocabulary (1: the model itself; 0: all mass on the most
    /// probable word; larger: flatter). `context` is words split as in `score`, after `<s>` when `bos`.
    /// `<s>` gets 0. Sums to 1.
    #[pyo3(signature = (context, temperature=1.0, bos=true))]
    fn distribution<'py>(
        &self,
        py: Python<'py>,
        context: &str,
        temperature: f64,
        bos: bool,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        if temperature.is_nan() || temperature < 0.0 {
            return Err(errors::value("temperature", format!("must be at least 0, got {temperature}")));
        }
        let history = self.ids(context, bos, false);
        let lm = self.lm();
        let n = self.vocab_len() as u32;
        let p = py.detach(|| {
            let ln: Vec<f64> = (0..n).into_par_iter().with_min_len(1024).map(|w| lm.log_prob(&history, w)).collect();
            shannon_info::dist::softmax_temperature(&ln, temperature)
        });
        let array = PyArray1::from_vec(py, p);
        array.readwrite();
        Ok(array)
    }
}

/// A chunk of `score_batch`'s sentences as ids, and where each sentence's ids end (after a leading 0);
/// left empty when the batch was cancelled before its turn (and then not scored: cancelling is for good).
struct Tokenized {
    ids: Vec<u32>,
    cuts: Vec<usize>,
}

/// Sentences per unit of work in `score_batch`: large enough that a chunk's bookkeeping is noise,
/// small enough that 2 workers share the work evenly and Ctrl-C is seen soon.
const CHUNK: usize = 2048;

/// Opens a model file: a binary one mapped as it is, an ARPA one read and laid out in memory.
fn tables(path: &std::path::Path) -> shannon_jobs::Result<(Tables, Option<Vocab>)> {
    match model_file::load(path)? {
        Loaded::Binary(m) => Ok((Tables::File(m), None)),
        Loaded::Arpa { vocab, model, tokenizer } => {
            let mut bytes = Vec::new();
            let laid_out = shannon_model::binary::write_tokenized(&model, &vocab, tokenizer.as_ref(), &mut bytes)
                .and_then(|()| Mapped::new(in_huge_pages(&bytes)?));
            let tables = laid_out.map_err(|e| shannon_jobs::Error::from(e).context(path.display().to_string()))?;
            // The tables hold the vocabulary's words under its ids: it finds them.
            Ok((Tables::Memory(tables), Some(vocab)))
        }
    }
}

/// `bytes` in anonymous memory that Linux may back with 2 MiB pages (`MADV_HUGEPAGE`, a hint): scoring
/// probes the tables at random, and with 4 KiB pages most probes also miss the TLB (on the bible 5-gram the
/// walk took 98 ns a token in huge pages against 112 ns).
fn in_huge_pages(bytes: &[u8]) -> std::io::Result<MmapMut> {
    let mut memory = MmapMut::map_anon(bytes.len().max(1))?;
    #[cfg(target_os = "linux")]
    let _ = memory.advise(memmap2::Advice::HugePage);
    memory[..bytes.len()].copy_from_slice(bytes);
    Ok(memory)
}

/// A tokenizer as a dict, as reports record it.
fn tokenizer_dict<'py>(py: Python<'py>, t: &Tokenizer) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(t).unwrap_or_default();
    py.import("json")?.call_method1("loads", (json,))
}
