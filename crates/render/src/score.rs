//! The page of a `shannon.score/1` report: one model on one text, its figures in a table (nothing to plot).

use shannon_report::ScoreReport;

use crate::html::{markup, Html};
use crate::page::{count, inputs, num, tokenizer, Page};

pub(crate) fn page(r: &ScoreReport) -> Page {
    let subtitle = markup!(
        "An order-{} model on held-out text, tokens = <code>{}</code>.",
        r.model.order,
        r.tokenizer.kind.name()
    );
    let mut page = Page::new(format!("shannon score · {}", r.model.path), subtitle, &r.schema, &r.tool.version);
    page.facts(&facts(r));
    page
}

/// The model, the text and every figure.
fn facts(r: &ScoreReport) -> Vec<(&'static str, Html)> {
    let s = &r.score;
    let ngrams: Vec<String> = r.model.ngrams.iter().map(|&n| count(n)).collect();
    let mut facts = vec![
        (
            "model",
            markup!("<code>{}</code>, order {}, n-grams per order {}", r.model.path, r.model.order, ngrams.join(" / ")),
        ),
        ("text", inputs(&r.inputs)),
        ("tokenizer", tokenizer(&r.tokenizer)),
        (
            "test text",
            markup!(
                "{} tokens of text (<code>&lt;s&gt;</code> and <code>&lt;/s&gt;</code> not counted), {} sentences, {} bytes",
                count(r.test.tokens),
                count(r.test.sentences),
                count(r.test.bytes)
            ),
        ),
        (
            "predicted tokens",
            markup!(
                "<strong>{}</strong>: every token the model predicts, <code>&lt;/s&gt;</code> included and \
                 <code>&lt;s&gt;</code> (context only) not — the denominator of cross-entropy, perplexity and \
                 the OOV rate",
                count(s.tokens)
            ),
        ),
        ("cross-entropy", markup!("<strong>{}</strong> bits/token", num(s.cross_entropy_bits, 4))),
        (
            "perplexity",
            markup!(
                "<strong>{}</strong> (excluding OOVs: {})",
                num(s.perplexity, 3),
                num(s.perplexity_excluding_oov, 3)
            ),
        ),
        (
            "OOV",
            markup!(
                "{} of {} predicted tokens ({:.3} %) are out of the model's vocabulary (scored as <code>&lt;unk&gt;</code>)",
                count(s.oov),
                count(s.tokens),
                100.0 * s.oov_rate
            ),
        ),
        ("bits per character", markup!("{}", num(s.bits_per_char, 4))),
        ("bits per byte", markup!("{}", num(s.bits_per_byte, 4))),
    ];
    if let Some(why) = &s.infinite {
        facts.push(("infinite", markup!("{}", why)));
    }
    facts
}
