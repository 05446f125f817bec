//! Writing ARPA text: [`write()`] for an in-memory backoff-form model, and the pieces the streamed writer
//! (`crate::streamed`) shares with it — the header, sections formatted in parallel blocks and written in
//! order, a line, a number as lmplz prints it.

use std::io::{self, Write};

use rayon::prelude::*;
use shannon_counts::{Counts, NONE};
use shannon_tokens::{Vocab, BOS};

use super::{Error, LOG10_ZERO};
use crate::{Form, Model};

fn ln_to_log10(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        LOG10_ZERO
    } else {
        x * std::f64::consts::LOG10_E
    }
}

/// Writes a backoff-form model (mkn, kn, wb, or one read from a file) with its vocabulary. Values are
/// written as lmplz writes them: the shortest decimal that reads back to the same `f32` ([`push_number`]).
pub fn write(model: &Model, vocab: &Vocab, out: &mut (impl Write + Send)) -> Result<(), Error> {
    let Form::Backoff { log_prob, log_backoff } = &model.form else {
        return Err(Error::NotBackoff(model.smoothing().map_or("these".into(), |s| s.to_string())));
    };
    let counts = model.counts();
    let m = model.order();
    let lens: Vec<usize> = (1..=m).map(|n| counts.order(n).len()).collect();
    write_header(&lens, out)?;
    // Lines are formatted in parallel in blocks of ids and written in order; a block's lines reuse the text of
    // the suffix they share with the line before (ids are sorted by suffix, so most lines do).
    for n in 1..=m {
        write_section(n, lens[n - 1], out, |ids, buf| {
            let mut words = Suffixes::new(n);
            for id in ids {
                let text = words.text(counts, vocab, n, id as u32);
                let bo = (n < m).then(|| log_backoff[n - 1][id]);
                push_line(buf, n, id, log_prob[n - 1][id], &[text.as_bytes()], bo);
            }
            Ok::<(), Error>(())
        })?;
    }
    writeln!(out, "\n\\end\\")?;
    Ok(())
}

/// `\data\` and the `ngram N=COUNT` lines for orders with `lens[n - 1]` n-grams.
pub(crate) fn write_header(lens: &[usize], out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "\\data\\")?;
    for (k, len) in lens.iter().enumerate() {
        writeln!(out, "ngram {}={len}", k + 1)?;
    }
    Ok(())
}

/// Ids per block of lines formatted by one thread (small in tests, so that they cross blocks).
const BLOCK: usize = if cfg!(test) { 50 } else { 1 << 15 };

/// Writes the `\n-grams:` section of order `n` with `len` lines: `lines(ids, buf)` appends the lines of a
/// block of ids to `buf`. Blocks are formatted in parallel, a window of them at a time, while a writer thread
/// writes the finished ones in order (copying into the page cache is a fifth of the time of writing a file).
pub(crate) fn write_section<E: From<io::Error> + Send>(
    n: usize,
    len: usize,
    out: &mut (impl Write + Send),
    lines: impl Fn(std::ops::Range<usize>, &mut Vec<u8>) -> Result<(), E> + Sync,
) -> Result<(), E> {
    writeln!(out, "\n\\{n}-grams:")?;
    let blocks: Vec<usize> = (0..len).step_by(BLOCK).collect();
    let window = rayon::current_num_threads() * 4;
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(window);
        let writer = scope.spawn(move || -> io::Result<()> {
            for buf in receive {
                out.write_all(&buf)?;
            }
            Ok(())
        });
        let mut formatted = Ok(());
        'windows: for window in blocks.chunks(window) {
            let texts: Vec<Result<Vec<u8>, E>> = window
                .par_iter()
                .map(|&start| {
                    let mut buf = Vec::with_capacity(BLOCK * 48);
                    lines(start..(start + BLOCK).min(len), &mut buf)?;
                    Ok(buf)
                })
                .collect();
            for t in texts {
                match t {
                    Ok(buf) => {
                        if send.send(buf).is_err() {
                            // The writer failed; its error is reported below.
                            break 'windows;
                        }
                    }
                    Err(e) => {
                        formatted = Err(e);
                        break 'windows;
                    }
                }
            }
        }
        drop(send);
        let written = writer.join().expect("the writer thread does not panic");
        formatted?;
        Ok(written?)
    })
}

/// The vocabulary's strings laid out for writing lines: each word of up to 15 bytes inline in a 16-byte
/// slot (its length, then its bytes), so that a line's words cost one cache miss each rather than the
/// two or three of a lookup in the [`Vocab`] (offsets, then bytes) — the most expensive part of writing
/// a large model's lines, whose first words are scattered over the vocabulary. Longer words come from the
/// vocabulary.
pub(crate) struct Words<'a> {
    vocab: &'a Vocab,
    inline: Vec<[u8; 16]>,
}

impl<'a> Words<'a> {
    pub(crate) fn new(vocab: &'a Vocab) -> Words<'a> {
        let inline = vocab
            .strings()
            .map(|s| {
                let mut slot = [0u8; 16];
                if s.len() < 16 {
                    slot[0] = s.len() as u8;
                    slot[1..=s.len()].copy_from_slice(s.as_bytes());
                } else {
                    slot[0] = u8::MAX;
                }
                slot
            })
            .collect();
        Words { vocab, inline }
    }

    /// The bytes of word `id`.
    #[inline]
    pub(crate) fn get(&self, id: u32) -> &[u8] {
        self.in_slot(&self.inline[id as usize], id)
    }

    /// The slot of word `id` (a copy: gathering a batch of slots first lets their loads overlap).
    #[inline]
    pub(crate) fn slot(&self, id: u32) -> [u8; 16] {
        self.inline[id as usize]
    }

    /// The bytes of word `id` from its slot.
    #[inline]
    pub(crate) fn in_slot<'s>(&'s self, slot: &'s [u8; 16], id: u32) -> &'s [u8] {
        match slot[0] as usize {
            len if len < 16 => &slot[1..=len],
            _ => self.vocab.string(id).as_bytes(),
        }
    }
}

/// Appends one n-gram line: log10 p (from ln p; `<s>` as a unigram is written impossible), the words (given
/// in pieces, concatenated), and the log10 backoff weight (from ln) when there is one.
pub(crate) fn push_line(
    buf: &mut Vec<u8>,
    n: usize,
    id: usize,
    log_prob: f64,
    words: &[&[u8]],
    log_backoff: Option<f64>,
) {
    let p = if n == 1 && id == BOS as usize { LOG10_ZERO } else { ln_to_log10(log_prob) };
    push_number(buf, p);
    buf.push(b'\t');
    for piece in words {
        buf.extend_from_slice(piece);
    }
    if let Some(bo) = log_backoff {
        buf.push(b'\t');
        push_number(buf, ln_to_log10(bo));
    }
    buf.push(b'\n');
}

/// Appends `x` as lmplz writes ARPA values: the shortest decimal that reads back to the same `f32`, in plain
/// notation (no exponent) — what Rust's `{}` prints for an `f32` (up to the choice between two equally near
/// shortest decimals), produced by `zmij`'s several times faster shortest-digits search.
pub fn push_number(buf: &mut Vec<u8>, x: f64) {
    let x = x as f32;
    let mut b = zmij::Buffer::new();
    let s = b.format(x);
    if s.bytes().any(|c| c == b'e' || c == b'E') || !x.is_finite() {
        // Rare (|x| < 1e-5 or huge): the slow path spells it out in plain notation.
        buf.extend_from_slice(x.to_string().as_bytes());
    } else {
        buf.extend_from_slice(s.strip_suffix(".0").unwrap_or(s).as_bytes());
    }
}

/// The words of n-grams as text, `w1 w2 … wn`, keeping the last text built at each order: the text of
/// an n-gram is its first word and the text of its suffix, which is usually the one kept.
struct Suffixes {
    /// `kept[k]`: id and text of the last (k + 1)-gram rendered.
    kept: Vec<(u32, String)>,
}

impl Suffixes {
    fn new(n: usize) -> Suffixes {
        Suffixes { kept: vec![(NONE, String::new()); n] }
    }

    fn text(&mut self, counts: &Counts, vocab: &Vocab, n: usize, id: u32) -> &str {
        // Walk down until an order whose kept text is the suffix needed, then build back up.
        let mut ids = [NONE; 256];
        let mut k = n;
        ids[k - 1] = id;
        while k > 1 && self.kept[k - 1].0 != ids[k - 1] {
            ids[k - 2] = counts.order(k).suffix[ids[k - 1] as usize];
            k -= 1;
        }
        if self.kept[k - 1].0 != ids[k - 1] {
            // k = 1: a unigram is its word.
            let (w, text) = &mut self.kept[0];
            *w = ids[0];
            text.clear();
            text.push_str(vocab.string(ids[0]));
        }
        for j in k + 1..=n {
            let (lower, upper) = self.kept.split_at_mut(j - 1);
            let (slot, text) = &mut upper[0];
            *slot = ids[j - 1];
            text.clear();
            text.push_str(vocab.string(counts.order(j).first[ids[j - 1] as usize]));
            text.push(' ');
            text.push_str(&lower[j - 2].1);
        }
        &self.kept[n - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Smoothing;
    use proptest::prelude::*;

    #[test]
    fn numbers_are_written_as_rust_prints_an_f32() {
        let cases = [0.0, -0.0, -99.0, 1.0, -1.5, -0.3125, -1e-7, -1.234e-5, -4.2e-6, 12345678.0, -3.4e38, 1e-40];
        for x in cases {
            let mut buf = Vec::new();
            push_number(&mut buf, x);
            assert_eq!(String::from_utf8(buf).unwrap(), (x as f32).to_string());
        }
    }

    proptest! {
        #[test]
        fn any_f32_is_written_in_as_few_plain_digits_as_rust_prints_and_reads_back(bits in any::<u32>()) {
            let x = f32::from_bits(bits);
            prop_assume!(x.is_finite());
            let mut buf = Vec::new();
            push_number(&mut buf, f64::from(x));
            let text = String::from_utf8(buf).unwrap();
            // Where two shortest decimals are equally near (1864873.25 as 1864873.2 or .3), either is right.
            prop_assert_eq!(text.parse::<f32>().unwrap().to_bits(), x.to_bits());
            prop_assert_eq!(text.len(), x.to_string().len());
            prop_assert!(!text.contains('e'));
        }
    }

    #[test]
    fn count_form_models_are_refused() {
        let (vocab, _, model) = super::super::tests::genesis(2, Smoothing::AddK { k: 1.0 });
        let e = write(&model, &vocab, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("no exact ARPA"), "{e}");
    }
}
