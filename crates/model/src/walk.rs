//! The backoff walk of a model stored as hashed n-gram slots, written once for both layouts that hold
//! one: the binary file ([`crate::binary::Mapped`]) and its query-ordered copy ([`crate::probing::Probing`]).
//! They differ only in where a slot's key, probability and backoff weight live, so the walk is generic over
//! [`Slots`] and both give the same bits.

/// Where the n-grams of a hashed backoff model are, and what they hold.
pub(crate) trait Slots {
    /// The model order M.
    fn order(&self) -> usize;
    /// Ids below this are in the vocabulary.
    fn vocab_len(&self) -> usize;
    /// Whether `w` is in the support of the model's distributions.
    fn is_predictable(&self, w: u32) -> bool;
    /// The slot of the order-`n` n-gram whose last n − 1 words are at slot `suffix` of order n − 1 (the word
    /// id for n = 2) and whose first word is `first`.
    fn find(&self, n: usize, suffix: u32, first: u32) -> Option<u32>;
    /// ln p of the n-gram at slot `slot` of order `n` (the word id for n = 1).
    fn prob(&self, n: usize, slot: u32) -> f64;
    /// ln backoff of the n-gram at slot `slot` of order `n` < M (the word id for n = 1).
    fn backoff(&self, n: usize, slot: u32) -> f64;
}

/// [`crate::LanguageModel::log_prob_matched`]: the longest stored n-gram ending in `word`, then the backoff
/// weights of every stored context at least as long as its context.
pub(crate) fn log_prob_matched<S: Slots + ?Sized>(s: &S, history: &[u32], word: u32) -> (f64, usize) {
    if !s.is_predictable(word) {
        return (f64::NEG_INFINITY, 0);
    }
    let h = &history[history.len().saturating_sub(s.order() - 1)..];
    let mut id = word;
    let mut matched = 1;
    while matched <= h.len() {
        match s.find(matched + 1, id, h[h.len() - matched]) {
            Some(slot) => {
                id = slot;
                matched += 1;
            }
            None => break,
        }
    }
    let mut lp = s.prob(matched, id);
    if matched <= h.len() {
        let mut ctx = h[h.len() - 1];
        if ctx as usize >= s.vocab_len() {
            return (lp, matched);
        }
        if matched == 1 {
            lp += s.backoff(1, ctx);
        }
        for j in 2..=h.len() {
            match s.find(j, ctx, h[h.len() - j]) {
                Some(slot) => ctx = slot,
                None => break,
            }
            if j >= matched {
                lp += s.backoff(j, ctx);
            }
        }
    }
    (lp, matched)
}

/// [`crate::LanguageModel::stream_log_probs`] with one probe per order and word: the n-grams found ending at
/// a word are the next word's contexts, so their backoff weights are read from the slots found one word
/// earlier instead of being looked up again (KenLM's state). Equal to [`log_prob_matched`] at every position.
pub(crate) fn stream_log_probs<S: Slots + ?Sized>(s: &S, tokens: &[u32], out: &mut dyn FnMut(usize, f64, usize)) {
    let context = s.order() - 1;
    // Slots of the n-grams ending at the previous token, shortest first (`chain[0]` its word id).
    let mut chain: Vec<u32> = Vec::with_capacity(s.order() + 1);
    let mut next: Vec<u32> = Vec::with_capacity(s.order() + 1);
    for (i, &w) in tokens.iter().enumerate() {
        if w == shannon_tokens::BOS {
            chain.clear();
            chain.push(shannon_tokens::BOS);
            continue;
        }
        let h = shannon_tokens::history(tokens, i, context);
        if w as usize >= s.vocab_len() || chain.first().is_some_and(|&c| c as usize >= s.vocab_len()) {
            let (lp, matched) = log_prob_matched(s, h, w);
            out(i, lp, matched);
            chain.clear();
            continue;
        }
        // The longest stored n-gram ending in `w`, keeping every slot on the way.
        next.clear();
        next.push(w);
        while next.len() <= h.len() {
            let n = next.len();
            match s.find(n + 1, next[n - 1], h[h.len() - n]) {
                Some(slot) => next.push(slot),
                None => break,
            }
        }
        let matched = next.len();
        if s.is_predictable(w) {
            // Only the longest n-gram's probability is read: each read is a cache miss on a large model.
            let mut lp = s.prob(matched, next[matched - 1]);
            for j in matched..=chain.len().min(h.len()) {
                lp += s.backoff(j, chain[j - 1]);
            }
            out(i, lp, matched);
        } else {
            out(i, f64::NEG_INFINITY, 0);
        }
        std::mem::swap(&mut chain, &mut next);
    }
}
