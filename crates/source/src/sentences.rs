//! The project's default corpus: a word-level Markov chain with sentences.

use std::io::{self, Write};

use rand::RngCore;

use crate::detmath;
use crate::rng::{below, cdf_of, chacha, sample_cdf, unit_f64, Alias};
use crate::{entropy_bits, ByteSink, SourceError, TextSource};

const DOMAIN_MODEL: u64 = 0x5e47_0001;
const DOMAIN_STREAM: u64 = 0x5e47_0002;

/// Exponent of the within-state successor weights ∝ 1/rank^1.1.
pub(crate) const SUCCESSOR_EXPONENT: f64 = 1.1;
/// Fewest successors (words) per state.
pub(crate) const MIN_SUCCESSORS: usize = 8;
/// Most successors (words) per state.
pub(crate) const MAX_SUCCESSORS: usize = 40;
/// End-of-sentence probability from a word state is uniform in this range.
pub(crate) const END_PROB_RANGE: (f64, f64) = (0.04, 0.09);
/// Largest vocabulary accepted.
pub(crate) const MAX_VOCAB: usize = 1_000_000;

/// A token of the [`Sentences`] stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Token {
    /// Word with this index (0 = most popular).
    Word(u32),
    /// End of sentence `</s>` (written as `'\n'`).
    End,
}

/// Word-level first-order Markov chain with sentence structure.
///
/// * Vocabulary: `vocab_size` distinct pseudo-words of 2–9 lowercase ASCII
///   letters (length and letters uniform), generated from `seed`.  Word `i`
///   has global popularity ∝ 1/(i+1) (Zipf).
/// * States: the start state `<s>` and one state per word (the previous
///   word).  Each state has 8–40 successor words (uniform count), drawn from
///   the global popularity without replacement, with weights ∝ 1/j^1.1 in
///   draw order j = 1, 2, …; so common words are common everywhere.
/// * From a word state, `</s>` has probability e ~ U(0.04, 0.09) (drawn per
///   state) and the successor words share 1 − e; from `<s>` it has
///   probability 0, so every line is non-empty.  `</s>` writes `'\n'` and
///   returns to `<s>`.
/// * Text: words joined by single spaces, one sentence per line.
///
/// Tokens are words and `</s>` (not `<s>`).  The exact rates are computed
/// from the expected number of visits per line `v(s)` (with `v(<s>) = 1`),
/// the solution of `v = δ_<s> + v Q` (Q = word-to-word part of the
/// transition matrix), found by fixed-point iteration, which contracts by a
/// factor ≤ 1 − 0.04 per step because every word state ends the sentence
/// with probability ≥ 0.04; it is run to a relative change below 1e-15.
/// The stationary distribution over predicting states is π(s) = v(s)/Σv.
#[derive(Clone, Debug)]
pub struct Sentences {
    vocab_size: usize,
    seed: u64,
    words: Vec<String>,
    /// Offsets into `succ`/`cdf` per state (state 0 = `<s>`, 1 + i = word i).
    offsets: Vec<usize>,
    /// Successor token ids; `vocab_size` stands for `</s>`.
    succ: Vec<u32>,
    probs: Vec<f64>,
    cdf: Vec<f64>,
    visits: Vec<f64>,
    entropy_per_line: f64,
    tokens_per_line: f64,
    bytes_per_line: f64,
}

impl Default for Sentences {
    fn default() -> Self {
        Sentences::new(Self::DEFAULT_VOCAB, Self::DEFAULT_SEED).expect("default parameters are valid")
    }
}

impl Sentences {
    /// Default vocabulary size.
    pub const DEFAULT_VOCAB: usize = 1000;
    /// Default model seed.
    pub const DEFAULT_SEED: u64 = 0x5348_414e_4e4f_4e00; // "SHANNON\0"

    /// Builds the model for `vocab_size` words (1..=1_000_000) from `seed`.
    pub fn new(vocab_size: usize, seed: u64) -> Result<Sentences, SourceError> {
        if vocab_size == 0 || vocab_size > MAX_VOCAB {
            return Err(SourceError::InvalidParameter(format!(
                "vocab_size must be in 1..={MAX_VOCAB}, got {vocab_size}"
            )));
        }
        let v = vocab_size;
        let mut rng = chacha(seed, DOMAIN_MODEL);

        let mut seen = std::collections::HashSet::with_capacity(v);
        let mut words = Vec::with_capacity(v);
        while words.len() < v {
            let len = 2 + below(&mut rng, 8) as usize;
            let w: String = (0..len).map(|_| (b'a' + below(&mut rng, 26) as u8) as char).collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }

        let popularity: Vec<f64> = (1..=v).map(|r| 1.0 / r as f64).collect();
        let popularity = Alias::new(&popularity);
        let rank_weights: Vec<f64> =
            (1..=MAX_SUCCESSORS).map(|j| detmath::powf(j as f64, -SUCCESSOR_EXPONENT)).collect();

        let mut offsets = vec![0usize];
        let mut succ = Vec::new();
        let mut probs = Vec::new();
        let mut chosen_mark = vec![false; v];
        for state in 0..=v {
            let m = (MIN_SUCCESSORS + below(&mut rng, (MAX_SUCCESSORS - MIN_SUCCESSORS + 1) as u64) as usize).min(v);
            let mut chosen: Vec<u32> = Vec::with_capacity(m);
            let mut attempts = 0;
            while chosen.len() < m && attempts < 100 * m {
                attempts += 1;
                let w = popularity.sample(rng.next_u64());
                if !chosen_mark[w] {
                    chosen_mark[w] = true;
                    chosen.push(w as u32);
                }
            }
            // Deterministic fallback (tiny vocabularies): least index not chosen.
            let mut next_free = 0;
            while chosen.len() < m {
                if !chosen_mark[next_free] {
                    chosen_mark[next_free] = true;
                    chosen.push(next_free as u32);
                }
                next_free += 1;
            }
            for &w in &chosen {
                chosen_mark[w as usize] = false;
            }
            let end = if state == 0 {
                0.0
            } else {
                END_PROB_RANGE.0 + (END_PROB_RANGE.1 - END_PROB_RANGE.0) * unit_f64(&mut rng)
            };
            let total: f64 = rank_weights[..m].iter().sum();
            for (j, &w) in chosen.iter().enumerate() {
                succ.push(w);
                probs.push((1.0 - end) * rank_weights[j] / total);
            }
            if state != 0 {
                succ.push(v as u32);
                probs.push(end);
            }
            offsets.push(succ.len());
        }
        let cdf = offsets.windows(2).flat_map(|o| cdf_of(&probs[o[0]..o[1]])).collect();

        let mut model = Sentences {
            vocab_size,
            seed,
            words,
            offsets,
            succ,
            probs,
            cdf,
            visits: Vec::new(),
            entropy_per_line: 0.0,
            tokens_per_line: 0.0,
            bytes_per_line: 0.0,
        };
        model.solve();
        Ok(model)
    }

    /// Expected visits per line, entropy per line, tokens and bytes per line.
    fn solve(&mut self) {
        let v = self.vocab_size;
        let n = v + 1;
        let mut visits = vec![0.0; n];
        visits[0] = 1.0;
        let mut next = vec![0.0; n];
        for _ in 0..1_000_000 {
            next.iter_mut().for_each(|x| *x = 0.0);
            next[0] = 1.0;
            for (s, &vs) in visits.iter().enumerate() {
                if vs == 0.0 {
                    continue;
                }
                let (a, b) = (self.offsets[s], self.offsets[s + 1]);
                for (&t, &p) in self.succ[a..b].iter().zip(&self.probs[a..b]) {
                    if (t as usize) < v {
                        next[t as usize + 1] += vs * p;
                    }
                }
            }
            let diff: f64 = next.iter().zip(&visits).map(|(a, b)| (a - b).abs()).sum();
            let total: f64 = next.iter().sum();
            std::mem::swap(&mut visits, &mut next);
            if diff <= 1e-15 * total {
                break;
            }
        }
        self.entropy_per_line =
            (0..n).map(|s| visits[s] * entropy_bits(&self.probs[self.offsets[s]..self.offsets[s + 1]])).sum();
        self.tokens_per_line = visits.iter().sum();
        self.bytes_per_line = (0..v).map(|i| visits[i + 1] * (self.words[i].len() + 1) as f64).sum();
        self.visits = visits;
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// Model seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The words, most popular first.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Successors of a state (`None` = `<s>`, `Some(i)` = word i) with their
    /// probabilities.
    pub fn transitions(&self, state: Option<u32>) -> impl Iterator<Item = (Token, f64)> + '_ {
        let s = state.map_or(0, |w| w as usize + 1);
        let (a, b) = (self.offsets[s], self.offsets[s + 1]);
        self.succ[a..b].iter().zip(&self.probs[a..b]).map(move |(&t, &p)| (self.token(t), p))
    }

    /// Stationary distribution over predicting states: index 0 is `<s>`,
    /// index 1 + i is word i.
    pub fn stationary(&self) -> Vec<f64> {
        self.visits.iter().map(|v| v / self.tokens_per_line).collect()
    }

    /// Exact entropy rate in bits per token (words and `</s>`).
    pub fn entropy_rate_bits_per_token(&self) -> f64 {
        self.entropy_per_line / self.tokens_per_line
    }

    /// Exact entropy rate in bits per byte of text (letters, spaces, newlines).
    pub fn bits_per_char(&self) -> f64 {
        self.entropy_per_line / self.bytes_per_line
    }

    /// Exact entropy of one line (sentence) in bits.
    pub fn entropy_per_line_bits(&self) -> f64 {
        self.entropy_per_line
    }

    /// Expected tokens per line: words + 1 for `</s>`.
    pub fn mean_tokens_per_line(&self) -> f64 {
        self.tokens_per_line
    }

    /// Expected words per line.
    pub fn mean_words_per_line(&self) -> f64 {
        self.tokens_per_line - 1.0
    }

    /// Expected bytes per line, including spaces and the newline.
    pub fn mean_bytes_per_line(&self) -> f64 {
        self.bytes_per_line
    }

    /// Expected bytes per token (each word carries its following space or newline).
    pub fn mean_chars_per_token(&self) -> f64 {
        self.bytes_per_line / self.tokens_per_line
    }

    /// The token stream for stream seed `seed`, starting at `<s>`.
    pub fn tokens(&self, seed: u64) -> SentenceTokens<'_> {
        SentenceTokens { model: self, rng: chacha(seed, DOMAIN_STREAM), state: 0 }
    }

    /// Writes `n_lines` complete sentences.
    pub fn write_lines(&self, n_lines: u64, seed: u64, w: &mut dyn Write) -> io::Result<()> {
        let mut sink = ByteSink::new(w);
        let mut lines = 0;
        let mut first = true;
        let mut it = self.tokens(seed);
        while lines < n_lines {
            self.emit(it.next_token(), &mut first, &mut sink)?;
            if first {
                lines += 1;
            }
        }
        sink.finish()
    }

    fn emit(&self, t: Token, first: &mut bool, sink: &mut ByteSink<'_>) -> io::Result<()> {
        match t {
            Token::Word(i) => {
                if !*first {
                    sink.put(b" ")?;
                }
                *first = false;
                sink.put(self.words[i as usize].as_bytes())
            }
            Token::End => {
                *first = true;
                sink.put(b"\n")
            }
        }
    }

    fn token(&self, id: u32) -> Token {
        if id as usize == self.vocab_size {
            Token::End
        } else {
            Token::Word(id)
        }
    }
}

/// Iterator over the tokens of a [`Sentences`] stream.
pub struct SentenceTokens<'a> {
    model: &'a Sentences,
    rng: rand_chacha::ChaCha8Rng,
    state: usize,
}

impl SentenceTokens<'_> {
    #[inline]
    fn next_token(&mut self) -> Token {
        let m = self.model;
        let (a, b) = (m.offsets[self.state], m.offsets[self.state + 1]);
        let id = m.succ[a + sample_cdf(&m.cdf[a..b], unit_f64(&mut self.rng))];
        if id as usize == m.vocab_size {
            self.state = 0;
            Token::End
        } else {
            self.state = id as usize + 1;
            Token::Word(id)
        }
    }
}

impl Iterator for SentenceTokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        Some(self.next_token())
    }
}

impl TextSource for Sentences {
    /// Writes the first `n` tokens (words and `</s>` = `'\n'`); if `n` stops
    /// inside a sentence the output ends without a newline.
    fn write_tokens(&self, n: u64, seed: u64, w: &mut dyn Write) -> io::Result<()> {
        let mut sink = ByteSink::new(w);
        let mut first = true;
        let mut it = self.tokens(seed);
        for _ in 0..n {
            self.emit(it.next_token(), &mut first, &mut sink)?;
        }
        sink.finish()
    }

    fn entropy_rate_bits_per_token(&self) -> Option<f64> {
        Some(Sentences::entropy_rate_bits_per_token(self))
    }

    fn entropy_rate_bits_per_byte(&self) -> Option<f64> {
        Some(self.bits_per_char())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn default_model_rates() {
        let m = Sentences::default();
        let bpt = m.entropy_rate_bits_per_token();
        let bpc = m.bits_per_char();
        eprintln!(
            "default Sentences: {bpt:.12} bits/token, {bpc:.12} bits/char, {:.6} tokens/line, {:.6} bytes/token",
            m.mean_tokens_per_line(),
            m.mean_chars_per_token()
        );
        let words = m.mean_words_per_line();
        assert!((12.0..=20.0).contains(&words), "{words} words per line");
        assert!(bpt > 1.0 && bpt < 1000f64.log2());
        assert!((bpc - bpt / m.mean_chars_per_token()).abs() < 1e-12);
        let pi = m.stationary();
        assert!((pi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((pi[0] - 1.0 / m.mean_tokens_per_line()).abs() < 1e-15);
    }

    #[test]
    fn empirical_per_token_entropy_matches() {
        let m = Sentences::default();
        let n = 1_000_000;
        let mut pairs: HashMap<(u32, Token), u64> = HashMap::new();
        let mut states: HashMap<u32, u64> = HashMap::new();
        let mut state = u32::MAX; // <s>
        for t in m.tokens(11).take(n) {
            *pairs.entry((state, t)).or_default() += 1;
            *states.entry(state).or_default() += 1;
            state = match t {
                Token::Word(i) => i,
                Token::End => u32::MAX,
            };
        }
        let plug = |c: Vec<u64>| {
            let p: Vec<f64> = c.iter().map(|&x| x as f64 / n as f64).collect();
            entropy_bits(&p)
        };
        let (n_pairs, n_states) = (pairs.len(), states.len());
        let h = plug(pairs.into_values().collect()) - plug(states.into_values().collect());
        let exact = m.entropy_rate_bits_per_token();
        // Miller–Madow: the plug-in underestimates by ≈ (cells − rows)/(2N ln 2).
        let mm = h + (n_pairs - n_states) as f64 / (2.0 * n as f64 * std::f64::consts::LN_2);
        eprintln!("plug-in {h}, Miller-Madow {mm}, exact {exact}");
        assert!((h - exact).abs() / exact < 0.005, "plug-in {h} vs exact {exact}");
        assert!((mm - exact).abs() / exact < 0.002, "Miller-Madow {mm} vs exact {exact}");
    }

    #[test]
    fn empirical_bytes_per_token_matches() {
        let m = Sentences::default();
        let mut out = Vec::new();
        m.write_lines(50_000, 5, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let words = text.split_whitespace().count();
        let tokens = words + text.lines().count();
        let bpt = text.len() as f64 / tokens as f64;
        assert!((bpt - m.mean_chars_per_token()).abs() / bpt < 0.01);
    }

    #[test]
    fn determinism() {
        let m = Sentences::default();
        let m2 = Sentences::new(1000, Sentences::DEFAULT_SEED).unwrap();
        let m3 = Sentences::new(1000, 1).unwrap();
        let run = |m: &Sentences, s| {
            let mut o = Vec::new();
            m.write_tokens(20_000, s, &mut o).unwrap();
            o
        };
        assert_eq!(run(&m, 1), run(&m2, 1));
        assert_ne!(run(&m, 1), run(&m, 2));
        assert_ne!(run(&m, 1), run(&m3, 1));
        assert_eq!(m.entropy_rate_bits_per_token(), m2.entropy_rate_bits_per_token());
    }

    #[test]
    fn rejects_bad_vocab() {
        assert!(Sentences::new(0, 0).is_err());
        assert!(Sentences::new(MAX_VOCAB + 1, 0).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn text_format_is_a_bijection(vocab in 1usize..300, seed: u64, stream: u64) {
            let m = Sentences::new(vocab, seed).unwrap();
            let mut out = Vec::new();
            m.write_lines(50, stream, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            prop_assert!(text.ends_with('\n'));
            let index: HashMap<&str, u32> =
                m.words().iter().enumerate().map(|(i, w)| (w.as_str(), i as u32)).collect();
            prop_assert_eq!(index.len(), vocab);
            let mut parsed = Vec::new();
            for line in text.lines() {
                prop_assert!(!line.is_empty());
                for w in line.split(' ') {
                    prop_assert!(w.len() >= 2 && w.len() <= 9);
                    prop_assert!(w.bytes().all(|b| b.is_ascii_lowercase()));
                    parsed.push(Token::Word(index[w]));
                }
                parsed.push(Token::End);
            }
            let direct: Vec<Token> = m.tokens(stream).take(parsed.len()).collect();
            prop_assert_eq!(parsed, direct);
            let pi = m.stationary();
            prop_assert!((pi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
