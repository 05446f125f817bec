//! The stages joined the way the jobs join them, for tests that check one stage's numbers against a
//! reference: text → ids (`shannon_tokens::stream`) → counts → a model → a score.

use std::sync::Arc;

use shannon_corpus::{Corpus, Span};
use shannon_counts::Counts;
use shannon_eval::Score;
use shannon_model::{LanguageModel, Model, Smoothing};
use shannon_tokens::stream::{self, Stream};
use shannon_tokens::{Lookup, Sentences, Tokenizer, Vocab};

pub fn tokenize_train(corpus: &Corpus, spans: &[Span], tokenizer: &Tokenizer, lossy: bool) -> (Vocab, Stream) {
    stream::tokenize_train(corpus, spans, tokenizer, lossy, &stream::no_progress).unwrap()
}

pub fn tokenize_test(
    corpus: &Corpus,
    spans: &[Span],
    tokenizer: &Tokenizer,
    lossy: bool,
    vocab: &impl Lookup,
) -> Stream {
    stream::tokenize_test(corpus, spans, tokenizer, lossy, vocab, &stream::no_progress).unwrap()
}

pub fn count(stream: &Stream, vocab: &Vocab, order: usize) -> Arc<Counts> {
    Arc::new(shannon_counts::count(&stream.ids, vocab.len(), order))
}

pub fn estimate(counts: &Arc<Counts>, order: usize, smoothing: Smoothing, tokenizer: &Tokenizer) -> Model {
    Model::estimate(Arc::clone(counts), order, smoothing, tokenizer.sentences == Sentences::Lines).unwrap()
}

pub fn score<M: LanguageModel + ?Sized>(model: &M, test: &Stream, per_sentence: bool) -> Score {
    shannon_eval::score(model, &test.ids, per_sentence)
}
