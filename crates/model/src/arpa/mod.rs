//! ARPA text format, both ways: [`write()`] for backoff-form models and [`parse`] / [`read`] for any standard
//! file (KenLM's, SRILM's, shannon's). Values in ARPA files are log10; the model keeps ln.
//!
//! **In (read):** the bytes of an ARPA file (decompressing is the caller's job: `shannon-corpus` opens gzip,
//! xz, zstd and bzip2 files by their magic bytes). **Out:** a [`Vocab`] and a backoff-form [`Model`].
//! **In (write):** a backoff-form model and its vocabulary. **Out:** ARPA text.
//!
//! Layout: `\data\`, one `ngram N=COUNT` line per order, then per order an `\N-grams:` section of lines
//! `log10(p) TAB w1 … wN [TAB log10(backoff)]`, then `\end\`. Anything before `\data\` is ignored (SRILM
//! writes a blank line, some tools a comment). Fields are separated by tabs or spaces.
//!
//! Conventions, and where they differ between tools:
//! - `<s>` is never predicted. lmplz writes its probability as `0`, SRILM as `-99`; shannon writes `-99`
//!   (ARPA's "impossible": the model gives `<s>` probability 0, and 0 would claim p(`<s>`) = 1 and make the
//!   unigram distribution sum to 2). Readers, KenLM and SRILM included, ignore the value, and so does
//!   [`parse`]: scores do not depend on it. Its backoff weight is used like any other.
//! - Exactly `-99` is read as probability 0 (SRILM writes log 0 that way); any other value is taken as
//!   it is, so KenLM's `-100` for a missing `<unk>` stays 10^-100.
//! - A backoff weight may be omitted; it is then 0 (log10 of 1). shannon, like lmplz, writes every one
//!   below the highest order, zeros included, and none at the highest order.
//! - A file without `<unk>` gives unknown words log10 probability −100, as KenLM does.
//! - **Missing suffixes** (SRILM's pruned models drop `b c` while keeping `a b c`): [`parse`] inserts the
//!   missing lower-order n-gram as a *blank*, as KenLM's loader does — its probability is what backing
//!   off gives it (p(c | b) = bo(b) · p(c)), its backoff weight 1 — so every query, with or without the
//!   blank, gets the same probability, and every n-gram's suffix is in the model (which [`Model::log_prob`]
//!   and the binary format walk). Blanks are stored n-grams: the header [`write()`] prints counts them.
//! - A missing *context* (`a b c` without `a b`) is accepted: the context simply has no backoff weight,
//!   i.e. weight 1 (KenLM refuses such files; SRILM never writes them).
//!
//! The writer (`write.rs`: [`write()`] and the line-formatting pieces the streamed writer shares) and the
//! reader (`read.rs`: [`parse`], [`read`] and the blanks for missing suffixes) share only the constants
//! and the [`Error`] below.
//!
//! [`Vocab`]: shannon_tokens::Vocab
//! [`Model`]: crate::Model
//! [`Model::log_prob`]: crate::Model::log_prob

mod read;
mod write;

pub(crate) use read::backoff_model;
pub use read::{parse, read};
pub(crate) use write::{push_line, write_header, write_section, Words};
pub use write::{push_number, write};

use std::io;

/// What ARPA's "impossible" log10 probability is written as (`<s>`, and zero probabilities).
pub const LOG10_ZERO: f64 = -99.0;
/// log10 probability of unknown words in a file without `<unk>` (KenLM's `unknown_missing_logprob`).
pub const LOG10_MISSING_UNK: f64 = -100.0;

/// Errors reading or writing ARPA files. Read errors carry the 1-based line number.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// I/O failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The model has no exact backoff form.
    #[error("{0} models have no exact ARPA (backoff) form; use mkn, kn or wb")]
    NotBackoff(String),
    /// The file is not well-formed ARPA.
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What was found, and what was expected.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Model, Smoothing};
    use shannon_tokens::{Vocab, BOS, EOS, UNK};
    use std::sync::Arc;

    pub(super) fn genesis(order: usize, smoothing: Smoothing) -> (Vocab, Vec<u32>, Model) {
        let (vocab, ids) = crate::fixture::genesis(true);
        let counts = Arc::new(shannon_counts::count(&ids, vocab.len(), order));
        let model = Model::estimate(counts, order, smoothing, true).unwrap();
        (vocab, ids, model)
    }

    #[test]
    fn written_models_read_back_with_the_same_probabilities() {
        for smoothing in [Smoothing::Mkn, Smoothing::Kn, Smoothing::Wb] {
            let (vocab, ids, model) = genesis(3, smoothing);
            let mut buf = Vec::new();
            write(&model, &vocab, &mut buf).unwrap();
            let (vocab2, model2) = read(&buf[..]).unwrap();
            assert_eq!(model2.order(), 3);
            assert_eq!(model2.summary().ngrams, model.summary().ngrams);
            // Unigrams are written in id order, so reading gives back the same ids.
            assert!(vocab.strings().eq(vocab2.strings()));
            for i in 1..ids.len() {
                let h = &ids[i.saturating_sub(2)..i];
                for w in [ids[i], UNK, EOS, BOS, 5, 17] {
                    // ARPA values keep f32 precision, as lmplz's: a relative error of at most 2^-24 on each
                    // log10 value, a probability and up to two backoff weights here.
                    let (a, b) = (model.log_prob(h, w), model2.log_prob(h, w));
                    assert!(a == b || (a - b).abs() <= 3.0 * 6e-8 * a.abs().max(1.0), "{smoothing}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn the_start_marker_is_written_impossible_and_read_as_never_predicted() {
        let (vocab, _, model) = genesis(2, Smoothing::Mkn);
        let mut buf = Vec::new();
        write(&model, &vocab, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.lines().any(|l| l.starts_with("-99\t<s>\t")), "<s> is written as -99");
        // lmplz's `0 <s>` reads the same way.
        let lmplz = text.replace("-99\t<s>\t", "0\t<s>\t");
        let (_, m2) = parse(lmplz.as_bytes()).unwrap();
        assert_eq!(m2.log_prob(&[], BOS), f64::NEG_INFINITY);
        let (a, b) = (m2.log_prob(&[BOS], 3), model.log_prob(&[BOS], 3));
        assert!((a - b).abs() <= 2.0 * 6e-8 * a.abs(), "{a} vs {b}");
    }
}
