//! ARPA text format, both ways: [`write`] for backoff-form models and [`read`] for any standard file
//! (KenLM's, SRILM's, shannon's). Values in ARPA files are log10.
//!
//! Layout: `\data\`, one `ngram N=COUNT` line per order, then per order an `\N-grams:` section of lines
//! `log10(p) TAB w1 … wN [TAB log10(backoff)]`, then `\end\`.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use shannon_counts::{key, Counts, Order, NONE};
use shannon_tokens::{Vocab, BOS, EOS, UNK};

use crate::{Form, Model, Summary};

/// What ARPA's "impossible" log10 probability is written as (`<s>`, and zero probabilities).
pub const LOG10_ZERO: f64 = -99.0;

/// Errors reading or writing ARPA files. Read errors carry the 1-based line number.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// I/O failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The model has no exact backoff form.
    #[error("{0} models have no exact ARPA (backoff) form; use mkn, kn or wb")]
    NotBackoff(String),
    /// The file is not well-formed ARPA.
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        message: String,
    },
}

fn ln_to_log10(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        LOG10_ZERO
    } else {
        x * std::f64::consts::LOG10_E
    }
}

/// Writes a backoff-form model (mkn, kn, wb, or one read from ARPA) with its vocabulary.
pub fn write(model: &Model, vocab: &Vocab, out: &mut impl Write) -> Result<(), Error> {
    let Form::Backoff { log_prob, log_backoff } = &model.form else {
        return Err(Error::NotBackoff(model.smoothing().map_or("these".into(), |s| s.to_string())));
    };
    let counts = model.counts();
    let m = model.order();
    writeln!(out, "\\data\\")?;
    for n in 1..=m {
        writeln!(out, "ngram {n}={}", counts.order(n).len())?;
    }
    let mut words = String::new();
    for n in 1..=m {
        writeln!(out, "\n\\{n}-grams:")?;
        for id in 0..counts.order(n).len() as u32 {
            words.clear();
            for (k, w) in counts.words(n, id).into_iter().enumerate() {
                if k > 0 {
                    words.push(' ');
                }
                words.push_str(vocab.string(w));
            }
            let p = ln_to_log10(log_prob[n - 1][id as usize]);
            if n < m {
                let bo = ln_to_log10(log_backoff[n - 1][id as usize]);
                writeln!(out, "{p}\t{words}\t{bo}")?;
            } else {
                writeln!(out, "{p}\t{words}")?;
            }
        }
    }
    writeln!(out, "\n\\end\\")?;
    Ok(())
}

/// Reads an ARPA model. `<s>` is never predicted; `</s>` is predicted when present. A file without
/// `<unk>` gives OOVs log10 probability −100, as KenLM does.
pub fn read(input: impl BufRead) -> Result<(Vocab, Model), Error> {
    let mut lines = input.lines().enumerate().map(|(i, l)| (i + 1, l));
    let bad = |line: usize, message: String| Error::Malformed { line, message };
    // Header.
    let mut declared: Vec<usize> = Vec::new();
    let mut last = 0;
    loop {
        let Some((no, line)) = lines.next() else {
            return Err(bad(last + 1, "end of file before \\data\\".into()));
        };
        last = no;
        if line?.trim() == "\\data\\" {
            break;
        }
    }
    let mut section: Option<usize> = None;
    for (no, line) in lines.by_ref() {
        let line = line?;
        let line = line.trim();
        last = no;
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ngram ") {
            let (n, c) =
                rest.split_once('=').ok_or_else(|| bad(no, format!("expected 'ngram N=COUNT', found '{line}'")))?;
            let n: usize = n.trim().parse().map_err(|_| bad(no, format!("bad order in '{line}'")))?;
            let c: usize = c.trim().parse().map_err(|_| bad(no, format!("bad count in '{line}'")))?;
            if n != declared.len() + 1 {
                return Err(bad(no, format!("expected 'ngram {}=…', found '{line}'", declared.len() + 1)));
            }
            declared.push(c);
        } else if line == "\\1-grams:" {
            section = Some(1);
            break;
        } else {
            return Err(bad(no, format!("expected 'ngram N=COUNT' or '\\1-grams:', found '{line}'")));
        }
    }
    if declared.is_empty() || section.is_none() {
        return Err(bad(last + 1, "expected 'ngram 1=COUNT' and a '\\1-grams:' section".into()));
    }
    let m = declared.len();
    let mut vocab = Vocab::new();
    let mut orders: Vec<Order> = Vec::with_capacity(m);
    let mut log_prob: Vec<Vec<f64>> = Vec::with_capacity(m);
    let mut log_backoff: Vec<Vec<f64>> = Vec::with_capacity(m);
    let mut unigram_p: Vec<(u32, f64, f64)> = Vec::new();
    let mut n = 1;
    let mut ended = false;
    let mut current: Vec<(Vec<u32>, f64, f64)> = Vec::new();
    let parse_log = |s: &str, no: usize, what: &str| -> Result<f64, Error> {
        let v: f64 = s.trim().parse().map_err(|_| bad(no, format!("{what} '{s}' is not a number")))?;
        Ok(if v <= LOG10_ZERO { f64::NEG_INFINITY } else { v * std::f64::consts::LN_10 })
    };
    let mut finish_order = |n: usize,
                            current: &mut Vec<(Vec<u32>, f64, f64)>,
                            unigram_p: &mut Vec<(u32, f64, f64)>,
                            vocab: &Vocab,
                            orders: &mut Vec<Order>,
                            no: usize|
     -> Result<(), Error> {
        let count = if n == 1 { unigram_p.len() } else { current.len() };
        if count != declared[n - 1] {
            return Err(bad(
                no,
                format!("the header declares {} {n}-grams but the section has {count}", declared[n - 1]),
            ));
        }
        if n == 1 {
            let v = vocab.len();
            let mut p = vec![f64::NEG_INFINITY; v];
            let mut bo = vec![0.0; v];
            for &(w, lp, b) in unigram_p.iter() {
                p[w as usize] = lp;
                bo[w as usize] = b;
            }
            if vocab.lookup("<unk>").is_some() && !unigram_p.iter().any(|e| e.0 == UNK) {
                p[UNK as usize] = -100.0 * std::f64::consts::LN_10;
            }
            orders.push(Order {
                n: 1,
                first: (0..v as u32).collect(),
                suffix: vec![NONE; v],
                history: vec![0; v],
                count: vec![0; v],
                index: Default::default(),
            });
            log_prob.push(p);
            log_backoff.push(bo);
        } else {
            let mut o = Order {
                n,
                first: Vec::with_capacity(count),
                suffix: Vec::with_capacity(count),
                history: Vec::with_capacity(count),
                count: vec![0; count],
                index: Default::default(),
            };
            let counts_so_far = Counts { orders: std::mem::take(orders), tokens: 0 };
            let mut p = Vec::with_capacity(count);
            let mut bo = Vec::with_capacity(count);
            for (id, (words, lp, b)) in current.drain(..).enumerate() {
                let suffix = counts_so_far.find(&words[1..]).ok_or_else(|| {
                    bad(no, format!("{n}-gram {id}: its suffix of order {} is not in the model", n - 1))
                })?;
                o.history.push(counts_so_far.find(&words[..n - 1]).unwrap_or(NONE));
                o.first.push(words[0]);
                o.suffix.push(suffix);
                if o.index.insert(key(suffix, words[0]), id as u32).is_some() {
                    return Err(bad(no, format!("duplicate {n}-gram in section {n}")));
                }
                p.push(lp);
                bo.push(b);
            }
            *orders = counts_so_far.orders;
            orders.push(o);
            log_prob.push(p);
            log_backoff.push(bo);
        }
        Ok(())
    };
    for (no, line) in lines.by_ref() {
        let line = line?;
        let line = line.trim_end();
        last = no;
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('\\') {
            finish_order(n, &mut current, &mut unigram_p, &vocab, &mut orders, no)?;
            if line.trim() == "\\end\\" {
                if n != m {
                    return Err(bad(no, format!("\\end\\ after order {n}, but the header declares order {m}")));
                }
                ended = true;
                break;
            }
            let expect = format!("\\{}-grams:", n + 1);
            if line.trim() != expect || n == m {
                return Err(bad(
                    no,
                    format!("expected '{}', found '{line}'", if n == m { "\\end\\".into() } else { expect }),
                ));
            }
            n += 1;
            continue;
        }
        // Fields are separated by tabs (KenLM, SRILM) or spaces (some writers): probability, n words, and
        // an optional backoff weight.
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        let lp = parse_log(fields[0], no, "probability")?;
        let toks = &fields[1..];
        let b = if toks.len() == n + 1 && toks[n].parse::<f64>().is_ok() {
            if n == m {
                return Err(bad(no, format!("a backoff weight ('{}') on a {n}-gram of the highest order", toks[n])));
            }
            parse_log(toks[n], no, "backoff")?
        } else {
            0.0
        };
        let toks = if toks.len() == n + 1 && n < m { &toks[..n] } else { toks };
        if toks.len() != n {
            return Err(bad(
                no,
                format!("expected a {n}-gram in the \\{n}-grams: section, found {} words", toks.len()),
            ));
        }
        if n == 1 {
            let w = match toks[0] {
                "<s>" => BOS,
                "</s>" => EOS,
                other => vocab.intern(other),
            };
            unigram_p.push((w, lp, b));
        } else {
            let ids = toks
                .iter()
                .map(|t| match *t {
                    "<s>" => Ok(BOS),
                    "</s>" => Ok(EOS),
                    other => vocab.lookup(other).ok_or_else(|| bad(no, format!("word '{other}' is not a unigram"))),
                })
                .collect::<Result<Vec<u32>, Error>>()?;
            current.push((ids, lp, b));
        }
    }
    if !ended {
        return Err(bad(last + 1, "missing \\end\\".into()));
    }
    let has_eos = log_prob[0][EOS as usize] > f64::NEG_INFINITY;
    let v = vocab.len();
    let predictable: Vec<bool> = (0..v as u32).map(|w| w != BOS && (has_eos || w != EOS)).collect();
    log_prob[0][BOS as usize] = f64::NEG_INFINITY;
    let support = predictable.iter().filter(|&&p| p).count() as u64;
    let counts = Arc::new(Counts { orders, tokens: 0 });
    // The highest order's backoffs are never used.
    log_backoff[m - 1].iter_mut().for_each(|b| *b = 0.0);
    let summary = Summary { ngrams: declared.iter().map(|&c| c as u64).collect(), discounts: vec![], vocab: support };
    let model = Model {
        order: m,
        smoothing: None,
        counts,
        predictable,
        vocab: support,
        form: Form::Backoff { log_prob, log_backoff },
        summary,
        followers: Default::default(),
    };
    Ok((vocab, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Smoothing;

    fn genesis(order: usize, smoothing: Smoothing) -> (Vocab, Vec<u32>, Model) {
        let mut vocab = Vocab::new();
        let mut ids = Vec::new();
        for line in include_str!("../../../corpora/fixtures/genesis.txt").lines() {
            ids.push(BOS);
            ids.extend(line.split_whitespace().map(|w| vocab.intern(w)));
            ids.push(EOS);
        }
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
            // Unigrams are written in id order, so reading gives back the same ids.
            assert!(vocab.strings().eq(vocab2.strings()));
            for i in 1..ids.len() {
                let h = &ids[i.saturating_sub(2)..i];
                for w in [ids[i], UNK, EOS, 5, 17] {
                    let (a, b) = (model.log_prob(h, w), model2.log_prob(h, w));
                    assert!(a == b || (a - b).abs() < 1e-9, "{smoothing}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn count_form_models_are_refused() {
        let (vocab, _, model) = genesis(2, Smoothing::AddK { k: 1.0 });
        let e = write(&model, &vocab, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("no exact ARPA"), "{e}");
    }

    #[test]
    fn malformed_files_name_the_line() {
        let good = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n-1\t<s>\t-0.5\n-0.5\t</s>\n\n\\2-grams:\n-0.2\t<s> </s>\n\n\\end\\\n";
        assert!(read(good.as_bytes()).is_ok());
        let cases = [
            (good.replace("ngram 2=1", "ngram 2=2"), "line 13: the header declares 2 2-grams but the section has 1"),
            (good.replace("\\end\\\n", ""), "line 13: missing \\end\\"),
            (good.replace("-0.5\t</s>", "x\t</s>"), "line 8: probability 'x' is not a number"),
            (good.replace("-0.2\t<s> </s>", "-0.2\t<s> </s> </s>"), "line 11: expected a 2-gram"),
            (
                good.replace("-0.2\t<s> </s>", "-0.2\t<s> </s>\t-0.1"),
                "line 11: a backoff weight ('-0.1') on a 2-gram of the highest order",
            ),
        ];
        for (text, want) in cases {
            let e = read(text.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with(want), "got '{e}', want '{want}'");
        }
    }
}
