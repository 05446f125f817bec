//! Reading ARPA text: [`parse`] (and [`read`] over a reader) into a [`Vocab`] and a backoff-form
//! [`Model`], with blanks inserted for missing suffixes; [`backoff_model`] assembles the frozen model
//! from orders and ln values, for the binary reader too.

use std::io::BufRead;
use std::sync::Arc;

use shannon_counts::{key, Counts, Order, NONE};
use shannon_tokens::{Vocab, BOS, EOS, UNK};

use super::{Error, LOG10_MISSING_UNK, LOG10_ZERO};
use crate::{Form, Model, Summary};

fn log10_to_ln(x: f64) -> f64 {
    if x == LOG10_ZERO || x == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else {
        x * std::f64::consts::LN_10
    }
}

/// Reads an ARPA model from a reader (see [`parse`]).
pub fn read(mut input: impl BufRead) -> Result<(Vocab, Model), Error> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    parse(&bytes)
}

/// Lines of a byte buffer with their 1-based numbers, trailing whitespace (a `\r` included) removed.
struct Lines<'a> {
    rest: &'a [u8],
    no: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        if self.rest.is_empty() {
            return None;
        }
        let end = self.rest.iter().position(|&b| b == b'\n').unwrap_or(self.rest.len());
        let mut line = &self.rest[..end];
        self.rest = &self.rest[(end + 1).min(self.rest.len())..];
        while let [head @ .., b' ' | b'\t' | b'\r'] = line {
            line = head;
        }
        self.no += 1;
        Some((self.no, line))
    }
}

fn bad(line: usize, message: String) -> Error {
    Error::Malformed { line, message }
}

fn text(line: &[u8], no: usize) -> Result<&str, Error> {
    std::str::from_utf8(line).map_err(|e| bad(no, format!("invalid UTF-8 at byte {} of the line", e.valid_up_to())))
}

fn number(field: &str, no: usize, what: &str) -> Result<f64, Error> {
    match field.parse::<f64>() {
        Ok(v) if !v.is_nan() => Ok(v),
        _ => Err(bad(no, format!("{what} '{field}' is not a number"))),
    }
}

/// The model being read: lower orders are complete while a higher one is read.
struct Building {
    orders: Vec<Order>,
    log_prob: Vec<Vec<f64>>,
    log_backoff: Vec<Vec<f64>>,
}

impl Building {
    /// Id of the n-gram `words` (order `words.len()` ≥ 1, all orders complete), if present.
    fn find(&self, words: &[u32]) -> Option<u32> {
        let mut id = *words.last()?;
        for (k, &w) in words.iter().rev().enumerate().skip(1) {
            id = *self.orders[k].index.get(&key(id, w))?;
        }
        Some(id)
    }

    /// Id of the n-gram `words` (order ≥ 1), inserting it and its missing suffixes as blanks: each gets the
    /// probability backing off gives it, ln p(w | c) = ln bo(c) + ln p(w | c′), and backoff weight 1.
    ///
    /// `chain[j]` holds the id of the last j + 1 words; its first `known` entries are taken as they are (the
    /// previous line's, when it ended in the same words — files list n-grams grouped by suffix), the rest
    /// are filled in.
    fn find_or_blank(&mut self, words: &[u32], chain: &mut Vec<u32>, known: usize) -> u32 {
        let l = words.len();
        chain.truncate(known);
        if chain.is_empty() {
            chain.push(words[l - 1]);
        }
        let mut id = chain[chain.len() - 1];
        for len in chain.len() + 1..=l {
            let first = words[l - len];
            if let Some(&found) = self.orders[len - 1].index.get(&key(id, first)) {
                id = found;
                chain.push(id);
                continue;
            }
            // The context c of the blank: its first len − 1 words (the blank's history).
            let context = self.find(&words[l - len..l - 1]);
            let bo = context.map_or(0.0, |c| self.log_backoff[len - 2][c as usize]);
            let lp = self.log_prob[len - 2][id as usize] + bo;
            let o = &mut self.orders[len - 1];
            let blank = o.first.len() as u32;
            o.first.push(first);
            o.suffix.push(id);
            o.history.push(context.unwrap_or(NONE));
            o.count.push(0);
            o.index.insert(key(id, first), blank);
            self.log_prob[len - 1].push(lp);
            self.log_backoff[len - 1].push(0.0);
            id = blank;
            chain.push(id);
        }
        id
    }
}

/// Parses an ARPA model. `<s>` is never predicted; `</s>` is predicted when its probability is not zero.
/// Malformed files give [`Error::Malformed`] with the line number and what was expected there.
pub fn parse(bytes: &[u8]) -> Result<(Vocab, Model), Error> {
    let mut lines = Lines { rest: bytes, no: 0 };
    // Header: skip to \data\, then `ngram N=COUNT` lines up to \1-grams:.
    loop {
        let Some((_, line)) = lines.next() else {
            return Err(bad(lines.no + 1, "end of file before \\data\\".into()));
        };
        if line.trim_ascii() == b"\\data\\" {
            break;
        }
    }
    let mut declared: Vec<(usize, usize)> = Vec::new(); // (count, line)
    loop {
        let Some((no, line)) = lines.next() else {
            return Err(bad(
                lines.no + 1,
                "end of file in the header: expected 'ngram N=COUNT' or '\\1-grams:'".into(),
            ));
        };
        let line = text(line, no)?.trim();
        if line.is_empty() {
            continue;
        }
        if line == "\\1-grams:" {
            if declared.is_empty() {
                return Err(bad(no, "'\\1-grams:' before any 'ngram N=COUNT' line".into()));
            }
            break;
        }
        let Some((n, c)) = line.strip_prefix("ngram ").and_then(|r| r.split_once('=')) else {
            return Err(bad(no, format!("expected 'ngram N=COUNT' or '\\1-grams:', found '{line}'")));
        };
        let n: usize = n.trim().parse().map_err(|_| bad(no, format!("bad order in '{line}'")))?;
        let c: usize = c.trim().parse().map_err(|_| bad(no, format!("bad count in '{line}'")))?;
        if n != declared.len() + 1 {
            return Err(bad(no, format!("expected 'ngram {}=COUNT', found '{line}'", declared.len() + 1)));
        }
        if n > shannon_counts::MAX_ORDER {
            return Err(bad(no, format!("order {n} is above the highest supported, {}", shannon_counts::MAX_ORDER)));
        }
        declared.push((c, no));
    }
    let m = declared.len();
    // What to reserve for a section: its declared count, but never more than the file can hold (a line is
    // at least 4 bytes, `0 w\n`), so a header's count is checked by reading, never trusted to allocate.
    let reserve = |n: usize| declared[n - 1].0.min(bytes.len() / 4);
    let mut vocab = Vocab::new();
    let mut unigrams: Vec<(u32, f64, f64)> = Vec::with_capacity(reserve(1));
    let mut b = Building { orders: Vec::with_capacity(m), log_prob: Vec::new(), log_backoff: Vec::new() };
    let mut n = 1;
    let mut seen = 0usize; // n-grams read in section n
    let mut ids: Vec<u32> = Vec::with_capacity(m);
    // Unigrams seen, by id.
    let mut have: Vec<bool> = Vec::new();
    // The previous n-gram line of this section (its word strings and ids) and its suffix chain.
    let mut words: Vec<&str> = Vec::with_capacity(m);
    let (mut prev_words, mut prev_ids, mut chain): (Vec<&str>, Vec<u32>, Vec<u32>) = Default::default();
    let mut ended = false;
    for (no, raw) in lines.by_ref() {
        if raw.is_empty() {
            continue;
        }
        let line = text(raw, no)?;
        if line.starts_with('\\') {
            let line = line.trim();
            let (count, header) = declared[n - 1];
            if seen != count {
                return Err(bad(
                    no,
                    format!(
                        "the \\{n}-grams: section has {seen} n-grams, but the header (line {header}) declares {count}"
                    ),
                ));
            }
            if line == "\\end\\" {
                if n != m {
                    return Err(bad(no, format!("'\\end\\' after order {n}, but the header declares order {m}")));
                }
                ended = true;
                break;
            }
            let expect = if n == m { "\\end\\".to_string() } else { format!("\\{}-grams:", n + 1) };
            if line != expect {
                return Err(bad(no, format!("expected '{expect}', found '{line}'")));
            }
            if n == 1 {
                finish_unigrams(&mut b, &vocab, &unigrams);
            }
            n += 1;
            seen = 0;
            let c = reserve(n);
            b.orders.push(Order {
                n,
                first: Vec::with_capacity(c),
                suffix: Vec::with_capacity(c),
                history: Vec::with_capacity(c),
                count: Vec::with_capacity(c),
                index: hashbrown::HashMap::with_capacity(c),
            });
            b.log_prob.push(Vec::with_capacity(c));
            b.log_backoff.push(Vec::with_capacity(c));
            continue;
        }
        seen += 1;
        if seen > declared[n - 1].0 {
            return Err(bad(
                no,
                format!(
                    "more {n}-grams than the {} the header (line {}) declares",
                    declared[n - 1].0,
                    declared[n - 1].1
                ),
            ));
        }
        // Probability, n words, and an optional backoff weight.
        let mut fields = line.split([' ', '\t']).filter(|f| !f.is_empty());
        let lp = log10_to_ln(number(fields.next().unwrap_or(""), no, "probability")?);
        ids.clear();
        let mut backoff = None;
        for f in fields {
            if ids.len() == n {
                if backoff.is_some() {
                    return Err(bad(no, format!("expected a {n}-gram in the \\{n}-grams: section, found more words")));
                }
                backoff = Some(f);
                continue;
            }
            let k = ids.len();
            let id = match f {
                "<s>" => BOS,
                "</s>" => EOS,
                w if n == 1 => vocab.intern(w),
                // The same word as the previous line's in this place: no lookup.
                w if prev_words.len() == n && prev_words[k] == w => prev_ids[k],
                w => vocab.lookup(w).ok_or_else(|| {
                    bad(no, format!("word '{w}' is not in the \\1-grams: section (which must list the vocabulary)"))
                })?,
            };
            if n > 1 {
                words.push(f);
            }
            ids.push(id);
        }
        if ids.len() != n {
            return Err(bad(no, format!("expected a {n}-gram in the \\{n}-grams: section, found {} words", ids.len())));
        }
        let bo = match backoff {
            None => 0.0,
            // A last field that is not a number is one word too many.
            Some(f) if f.parse::<f64>().is_err() => {
                return Err(bad(no, format!("expected a {n}-gram in the \\{n}-grams: section, found {} words", n + 1)));
            }
            Some(f) if n == m => {
                return Err(bad(no, format!("a backoff weight ('{f}') on a {n}-gram of the highest order")));
            }
            Some(f) => log10_to_ln(number(f, no, "backoff weight")?),
        };
        if n == 1 {
            let w = ids[0] as usize;
            if have.len() <= w {
                have.resize(w + 1, false);
            }
            if std::mem::replace(&mut have[w], true) {
                return Err(bad(no, format!("duplicate unigram '{}'", vocab.string(ids[0]))));
            }
            unigrams.push((ids[0], lp, bo));
            continue;
        }
        // The suffix's chain is the previous line's as far as their last words agree.
        let known = if prev_ids.len() == n {
            ids[1..].iter().rev().zip(prev_ids[1..].iter().rev()).take_while(|(a, b)| a == b).count()
        } else {
            0
        };
        let suffix = b.find_or_blank(&ids[1..], &mut chain, known);
        // The history w1…w(n−1) extends the suffix's history w2…w(n−1) by w1 (every stored n-gram of a
        // lower order has its suffix, so if w1…w(n−1) is stored, w2…w(n−1) is too).
        let history = if n == 2 {
            ids[0]
        } else {
            let lower = &b.orders[n - 2];
            match lower.history[suffix as usize] {
                NONE => NONE,
                h => lower.index.get(&key(h, ids[0])).copied().unwrap_or(NONE),
            }
        };
        let o = &mut b.orders[n - 1];
        let id = o.first.len() as u32;
        if o.index.insert(key(suffix, ids[0]), id).is_some() {
            let words: Vec<&str> = ids.iter().map(|&w| vocab.string(w)).collect();
            return Err(bad(no, format!("duplicate {n}-gram '{}'", words.join(" "))));
        }
        o.first.push(ids[0]);
        o.suffix.push(suffix);
        o.history.push(history);
        o.count.push(0);
        b.log_prob[n - 1].push(lp);
        b.log_backoff[n - 1].push(bo);
        std::mem::swap(&mut prev_ids, &mut ids);
        std::mem::swap(&mut prev_words, &mut words);
        words.clear();
    }
    if !ended {
        return Err(bad(lines.no + 1, "missing \\end\\ (the file ends early)".into()));
    }
    if m == 1 {
        finish_unigrams(&mut b, &vocab, &unigrams);
    }
    Ok((vocab, backoff_model(b.orders, b.log_prob, b.log_backoff, None)))
}

/// Builds order 1 from the unigram section: every vocabulary id, `<unk>` at −100 when the file lacks it.
fn finish_unigrams(b: &mut Building, vocab: &Vocab, unigrams: &[(u32, f64, f64)]) {
    let v = vocab.len();
    let mut p = vec![f64::NEG_INFINITY; v];
    let mut bo = vec![0.0; v];
    for &(w, lp, b) in unigrams {
        p[w as usize] = lp;
        bo[w as usize] = b;
    }
    if !unigrams.iter().any(|e| e.0 == UNK) {
        p[UNK as usize] = LOG10_MISSING_UNK * std::f64::consts::LN_10;
    }
    b.orders.push(Order::unigrams(vec![0; v]));
    b.log_prob.push(p);
    b.log_backoff.push(bo);
}

/// A backoff-form model from its n-gram structure and ln values (from a file: no counts, no smoothing
/// method). `<s>` is never predicted; `</s>` is predicted iff `eos` says so, or (`None`) iff its unigram
/// probability is not zero.
pub(crate) fn backoff_model(
    orders: Vec<Order>,
    mut log_prob: Vec<Vec<f64>>,
    mut log_backoff: Vec<Vec<f64>>,
    eos: Option<bool>,
) -> Model {
    let m = orders.len();
    let has_eos = eos.unwrap_or(log_prob[0][EOS as usize] > f64::NEG_INFINITY);
    let v = orders[0].len();
    let predictable: Vec<bool> = (0..v as u32).map(|w| w != BOS && (has_eos || w != EOS)).collect();
    log_prob[0][BOS as usize] = f64::NEG_INFINITY;
    let support = predictable.iter().filter(|&&p| p).count() as u64;
    // The highest order's backoffs are never used.
    log_backoff[m - 1].iter_mut().for_each(|b| *b = 0.0);
    let counts = Arc::new(Counts { orders, tokens: 0 });
    let summary =
        Summary { ngrams: (1..=m).map(|n| counts.order(n).len() as u64).collect(), discounts: vec![], vocab: support };
    Model {
        order: m,
        smoothing: None,
        counts,
        predictable,
        vocab: support,
        form: Form::Backoff { log_prob, log_backoff },
        summary,
        followers: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arpa::write;

    /// A 3-gram model worked by hand, in SRILM's style: no `<unk>`, `-99` for `<s>`, backoffs omitted
    /// where they are 0, and the bigram `b c` pruned while `a b c` is kept.
    const PRUNED: &str = "
\\data\\
ngram 1=4
ngram 2=3
ngram 3=1

\\1-grams:
-99\t<s>\t-0.25
-0.5\ta\t-0.5
-0.75\tb\t-0.125
-1\tc
-1\t</s>

\\2-grams:
-0.25\t<s> a\t-0.0625
-0.5\ta b\t-0.375
-0.25\tb </s>

\\3-grams:
-0.125\ta b c

\\end\\
";

    #[test]
    fn pruned_suffixes_become_blanks_that_change_no_probability() {
        let text = PRUNED.replace("ngram 1=4", "ngram 1=5");
        let (vocab, m) = parse(text.as_bytes()).unwrap();
        let [a, b, c] = ["a", "b", "c"].map(|w| vocab.lookup(w).unwrap());
        let l10 = |x: f64| x * std::f64::consts::LOG10_E;
        let close = |x: f64, y: f64| assert!((x - y).abs() < 1e-12, "{x} != {y}");
        // The kept trigram is found through its blank suffix `b c`.
        close(l10(m.log_prob(&[a, b], c)), -0.125);
        // The blank holds p(c | b) = bo(b) p(c): -0.125 + -1.
        close(l10(m.log_prob(&[b], c)), -1.125);
        assert_eq!(m.summary().ngrams, vec![6, 4, 1], "one blank bigram (and <unk>) added");
        // Another history ending in b backs off through bo(x b) (absent: 1) to the blank.
        close(l10(m.log_prob(&[c, b], c)), -1.125);
        // After `a b`, an unseen word backs off with bo(a b) and bo(b).
        close(l10(m.log_prob(&[a, b], EOS)), -0.375 + -0.25);
        close(l10(m.log_prob(&[a, b], a)), -0.375 + -0.125 + -0.5);
        // No <unk> in the file: unknown words get log10 p = -100, as in KenLM.
        close(l10(m.log_prob(&[a], UNK)), -100.0 - 0.5);
        // Omitted backoffs are 0: `c` has none, so p(a | c) = p(a).
        close(l10(m.log_prob(&[c], a)), -0.5);
        // Histories are the first n − 1 words, blanks included.
        let counts = m.counts();
        for n in 2..=3 {
            for id in 0..counts.order(n).len() as u32 {
                let words = counts.words(n, id);
                assert_eq!(counts.find(&words[..n - 1]).unwrap_or(NONE), counts.order(n).history[id as usize]);
            }
        }
        // Written out, the blank is an ordinary n-gram and the model reads back the same.
        let mut out = Vec::new();
        write(&m, &vocab, &mut out).unwrap();
        let (_, m2) = parse(&out).unwrap();
        for h in [&[a, b][..], &[b], &[c, b], &[BOS, a]] {
            for w in [a, b, c, EOS, UNK] {
                let (x, y) = (m.log_prob(h, w), m2.log_prob(h, w));
                assert!(x == y || (x - y).abs() < 1e-12, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn deeper_missing_suffixes_chain_blanks() {
        // A 4-gram whose 3-gram and 2-gram suffixes are both missing.
        let text = "\\data\\\nngram 1=4\nngram 2=2\nngram 3=1\nngram 4=1\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>\t-0.1\n-0.5\tx\t-0.2\n-0.6\t</s>\t-0.3\n\n\\2-grams:\n-0.4\t<s> x\t-0.05\n-0.7\tx x\t-0.15\n\n\\3-grams:\n-0.3\t<s> x x\t-0.01\n\n\\4-grams:\n-0.2\t<s> x x </s>\n\n\\end\\\n";
        let (vocab, m) = parse(text.as_bytes()).unwrap();
        let x = vocab.lookup("x").unwrap();
        let l10 = |v: f64| v * std::f64::consts::LOG10_E;
        // Blanks `x </s>` = bo(x) + p(</s>) and `x x </s>` = bo(x x) + p(</s> | x).
        assert!((l10(m.log_prob(&[x], EOS)) - (-0.2 - 0.6)).abs() < 1e-12);
        assert!((l10(m.log_prob(&[x, x], EOS)) - (-0.15 - 0.2 - 0.6)).abs() < 1e-12);
        assert!((l10(m.log_prob(&[BOS, x, x], EOS)) - -0.2).abs() < 1e-12);
        assert_eq!(m.summary().ngrams, vec![4, 3, 2, 1]);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let good = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n-1\t<s>\t-0.5\n-0.5\t</s>\n\n\\2-grams:\n-0.2\t<s> </s>\n\n\\end\\\n";
        assert!(parse(good.as_bytes()).is_ok());
        let cases = [
            // Counts that disagree with the header: fewer n-grams than declared, and more.
            (
                good.replace("ngram 2=1", "ngram 2=2"),
                "line 13: the \\2-grams: section has 1 n-grams, but the header (line 3) declares 2",
            ),
            (good.replace("ngram 1=3", "ngram 1=2"), "line 8: more 1-grams than the 2 the header (line 2) declares"),
            // A missing \end\, and a file cut short.
            (good.replace("\\end\\\n", ""), "line 13: missing \\end\\"),
            (good[..good.find("\\2-grams:").unwrap()].to_string(), "line 10: missing \\end\\"),
            (good.replace("\\end\\", "\\3-grams:"), "line 13: expected '\\end\\', found '\\3-grams:'"),
            // Numbers that are not numbers.
            (good.replace("-0.5\t</s>", "x\t</s>"), "line 8: probability 'x' is not a number"),
            (good.replace("<s>\t-0.5", "<s>\tnan"), "line 7: backoff weight 'nan' is not a number"),
            // N-grams of the wrong order.
            (good.replace("-0.2\t<s> </s>", "-0.2\t<s> </s> </s>"), "line 11: expected a 2-gram"),
            (
                good.replace("-0.2\t<s> </s>", "-0.2\t</s>"),
                "line 11: expected a 2-gram in the \\2-grams: section, found 1 words",
            ),
            (good.replace("-1\t<unk>", "-1\t<unk> <s> -1"), "line 6: expected a 1-gram"),
            // A backoff on a highest-order n-gram.
            (
                good.replace("-0.2\t<s> </s>", "-0.2\t<s> </s>\t-0.1"),
                "line 11: a backoff weight ('-0.1') on a 2-gram of the highest order",
            ),
            // Words missing from the vocabulary, duplicates, and a broken header.
            (good.replace("<s> </s>", "<s> a"), "line 11: word 'a' is not in the \\1-grams: section"),
            (good.replace("-0.5\t</s>", "-0.5\t<unk>"), "line 8: duplicate unigram '<unk>'"),
            (good.replace("ngram 2=1", "ngram 3=1"), "line 3: expected 'ngram 2=COUNT', found 'ngram 3=1'"),
            (good.replace("ngram 2=1", "ngram 2=x"), "line 3: bad count in 'ngram 2=x'"),
            ("no header here\n".to_string(), "line 2: end of file before \\data\\"),
        ];
        for (text, want) in cases {
            let e = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with(want), "got '{e}', want '{want}'");
        }
    }

    /// Seen in use, then by fuzzing (`shannon-fuzz arpa`): the reader reserved what the header declared, so
    /// `ngram 1=1000000000000000000` panicked (capacity overflow) and `ngram 1=10000000000` aborted (a failed
    /// allocation). A count the file cannot hold is now found wrong by reading, like any other.
    #[test]
    fn huge_declared_counts_are_errors_not_allocations() {
        let good = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n-1\t<s>\t-0.5\n-0.5\t</s>\n\n\\2-grams:\n-0.2\t<s> </s>\n\n\\end\\\n";
        for huge in ["1000000000000000000", "10000000000", &usize::MAX.to_string()] {
            for (from, to) in [("ngram 1=3", format!("ngram 1={huge}")), ("ngram 2=1", format!("ngram 2={huge}"))] {
                let e = parse(good.replace(from, &to).as_bytes()).unwrap_err().to_string();
                assert!(e.contains(&format!("declares {huge}")), "{e}");
            }
        }
    }

    #[test]
    fn crlf_and_spaces_are_accepted() {
        let text = "\\data\\\r\nngram 1=3\r\n\r\n\\1-grams:\r\n-1 <unk>\r\n-99 <s>\r\n-0.5 </s>\r\n\r\n\\end\\\r\n";
        let (_, m) = parse(text.as_bytes()).unwrap();
        assert!((m.log_prob(&[BOS], EOS) - -0.5 * std::f64::consts::LN_10).abs() < 1e-12);
    }
}
