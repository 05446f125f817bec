//! The human tables printed on stdout. They format what a report holds and compute nothing: every
//! figure is a field of the report (the JSON file has them all, unrounded).

use std::fmt::Write as _;

use shannon_eval::entropy::Estimator;
use shannon_eval::extrapolation::FIT_FROM;
use shannon_eval::words::letter_like;
use shannon_report::entropy::{EntropyReport, GuessEntry};
use shannon_report::kl::KlReport;
use shannon_report::{CompareReport, Input, ScoreReport};
use shannon_tokens::{Sentences, TokenKind};

/// A figure, or `inf` where it is infinite (`None`).
fn or_inf(x: Option<f64>, width: usize, digits: usize) -> String {
    match x {
        Some(v) => format!("{v:>width$.digits$}"),
        None => format!("{:>width$}", "inf"),
    }
}

/// The human table printed on stdout.
pub fn compare(r: &CompareReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "corpus {}: {} training tokens, {} test tokens, vocabulary {}, tokens = {}",
        r.corpus.name,
        r.train.tokens,
        r.test.tokens,
        r.train.vocabulary.unwrap_or(0),
        r.tokenizer.kind.name()
    );
    if let Some(t) = &r.true_entropy_rate {
        let _ = writeln!(
            s,
            "true entropy rate of the source: {:.4} bits/token, {:.4} bits/char (exact)",
            t.bits_per_token, t.bits_per_char
        );
    }
    let _ = writeln!(
        s,
        "{:>5}  {:<10} {:>11} {:>10} {:>12} {:>12} {:>7} {:>10}",
        "order", "smoothing", "all n-grams", "bits/tok", "perplexity", "ppl-no-oov", "oov%", "bits/char"
    );
    for m in &r.models {
        let _ = writeln!(
            s,
            "{:>5}  {:<10} {:>11} {} {} {} {:>7.3} {}",
            m.order,
            m.smoothing,
            m.ngrams.iter().sum::<u64>(),
            or_inf(m.test.cross_entropy_bits, 10, 4),
            or_inf(m.test.perplexity, 12, 3),
            or_inf(m.test.perplexity_excluding_oov, 12, 3),
            100.0 * m.test.oov_rate,
            or_inf(m.test.bits_per_char, 10, 4),
        );
        if let Some(k) = m.tuned_k {
            let _ = writeln!(s, "{:>7}  (k = {k:.5}, chosen on a development split of the training text)", "");
        }
        if !m.temperatures.is_empty() {
            let cells: Vec<String> = m
                .temperatures
                .iter()
                .map(|p| format!("τ={}: {}", p.tau, p.cross_entropy_bits.map_or("inf".into(), |h| format!("{h:.4}"))))
                .collect();
            let best = m.best_temperature.map_or("none".into(), |t| t.to_string());
            let _ = writeln!(s, "{:>7}  bits/token by temperature: {} (best τ = {best})", "", cells.join(", "));
        }
        for p in &m.pruning {
            let _ = writeln!(
                s,
                "{:>7}  pruned at θ={:e}: {} n-grams, perplexity {}; KL(original‖pruned): Σ scores {:.3e}, exact {:.3e}, on training histories {:.3e} bits",
                "",
                p.threshold,
                p.ngrams.iter().sum::<u64>(),
                or_inf(p.perplexity, 0, 3),
                p.predicted_kl_bits,
                p.model_kl_bits,
                p.training_kl_bits,
            );
        }
        if m.test.zero_probability_tokens > 0 {
            let _ = writeln!(s, "{:>7}  ({} test tokens have probability 0)", "", m.test.zero_probability_tokens);
        }
    }
    match &r.best {
        Some(b) => {
            let _ = writeln!(
                s,
                "best: order {} {}, perplexity {:.3} ({:.4} bits/token)",
                b.order, b.smoothing, b.perplexity, b.cross_entropy_bits
            );
        }
        None => {
            let _ = writeln!(s, "best: none (every model gives some test token probability 0)");
        }
    }
    s
}

/// A figure, or `—` where there is none.
fn or_dash(x: Option<f64>, width: usize, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:>width$.digits$}"),
        _ => format!("{:>width$}", "—"),
    }
}

/// The human table printed on stdout: rows F_0..F_N, columns estimators, like Shannon's Table.
pub fn entropy(r: &EntropyReport) -> String {
    let mut s = String::new();
    let unit = if letter_like(r.tokenizer.kind) { "symbol" } else { "word" };
    let stream = match r.tokenizer.sentences {
        Sentences::None => "the whole text as one stream",
        Sentences::Lines => "blocks within lines",
    };
    let _ = writeln!(
        s,
        "{}: {} {} tokens ({}), |A| = {}, {}",
        r.corpus.name,
        r.text.tokens,
        r.tokenizer.kind.name(),
        stream,
        r.alphabet.size,
        r.alphabet.rule
    );
    if let Some(t) = &r.true_entropy_rate {
        let _ = writeln!(
            s,
            "true entropy rate of the source: {:.4} bits/{unit}, {:.4} bits/char (exact; {})",
            t.bits_per_token, t.bits_per_char, t.source
        );
    }
    let _ = writeln!(
        s,
        "F_N = H_N − H_(N−1), bits per {unit}; ±: {}; * unsupported (coverage < {})",
        if r.settings.nsb_jackknife {
            format!("block-jackknife standard error of NSB ({} groups)", r.settings.jackknife_groups)
        } else {
            "NSB's posterior standard deviation (--no-nsb-jackknife; it ignores the dependence of overlapping blocks)"
                .to_string()
        },
        r.settings.min_coverage
    );
    let shannon_col = r.orders.iter().any(|o| o.shannon_1951.is_some());
    let _ = write!(s, "{:>6}", "");
    for e in Estimator::ALL {
        let _ = write!(s, " {:>9}", e.label());
    }
    let _ = write!(s, " {:>8} {:>10} {:>8}", "±", "distinct", "coverage");
    if shannon_col {
        let _ = write!(s, " {:>8}", "Shannon");
    }
    let _ = writeln!(s);
    for o in &r.orders {
        let mark = if o.supported { ' ' } else { '*' };
        let _ = write!(s, "{:>5}{mark}", format!("F_{}", o.n));
        for e in Estimator::ALL {
            let _ = write!(s, " {}", or_dash(o.f.get(e), 9, 4));
        }
        let se = if o.n == 0 { None } else { o.f_se.nsb.or(o.nsb.and_then(|n| n.posterior_std_bits)) };
        let _ = write!(s, " {} {:>10} {:>8.4}", or_dash(se, 8, 4), o.distinct, o.coverage);
        if shannon_col {
            let _ = write!(s, " {}", or_dash(o.shannon_1951, 8, 2));
        }
        let _ = writeln!(s);
    }
    let sh = &r.shannon_1951;
    let _ = writeln!(
        s,
        "Shannon 1951: 27 letters F_0..F_3 {} {} {} {}, F_word {}; 26 letters {} {} {} {}, F_word {}",
        sh.f_27_letters[0],
        sh.f_27_letters[1],
        sh.f_27_letters[2],
        sh.f_27_letters[3],
        sh.f_27_letters[4],
        sh.f_26_letters[0],
        sh.f_26_letters[1],
        sh.f_26_letters[2],
        sh.f_26_letters[3],
        sh.f_26_letters[4]
    );
    if let Some(b) = &r.bits_per_letter {
        let l = b.mean_word_length;
        let _ = writeln!(
            s,
            "bits per letter (mean word length L = {l:.3} characters; Shannon divided by 4.5 and 5.5: F_word = {} and {}):",
            sh.f_26_letters[4], sh.f_27_letters[4]
        );
        let _ =
            writeln!(s, "{:>6} {:>10} {:>10} {:>10} {:>10}", "", "plug-in/L", "NSB/L", "plug-in/(L+1)", "NSB/(L+1)");
        for o in &r.orders {
            if let Some(p) = &o.f_per_letter {
                let _ = writeln!(
                    s,
                    "{:>6} {:>10.4} {} {:>13.4} {}",
                    format!("F_{}", o.n),
                    p.without_space.plugin,
                    or_dash(p.without_space.nsb, 10, 4),
                    p.with_space.plugin,
                    or_dash(p.with_space.nsb, 10, 4)
                );
            }
        }
    }

    let z = &r.zipf;
    let m = &z.shannon_model;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Zipf: Shannon's p_n = 0.1/n, n ≤ {}: {:.3} bits/word (mass {:.4}; renormalized {:.3}; cut at mass 1, rank {}: {:.3}).",
        m.critical_rank, z.shannon_model_bits_per_word, m.mass, m.renormalized_bits_per_word, m.unit_mass_rank, m.unit_mass_bits_per_word
    );
    let _ = writeln!(
        s,
        "  He printed {:.2} bits/word (2.62 bits/letter): that does not follow from the model as stated.",
        z.published_bits_per_word
    );
    let _ = writeln!(
        s,
        "  this text: {} words, {} types, {:.3} characters/word ({})",
        z.tokens, z.types, z.mean_word_length, z.words
    );
    match &z.fit {
        Some(f) => {
            let _ = writeln!(
                s,
                "  Zipf–Mandelbrot fit p(r) ∝ (r {} {:.3})^(−{:.4}) over {} ranks: {:.3} bits/word",
                if f.q < 0.0 { '−' } else { '+' },
                f.q.abs(),
                f.s,
                f.ranks,
                f.entropy_bits
            );
        }
        None => {
            let _ = writeln!(s, "  Zipf–Mandelbrot fit: none ({})", z.fit_error.as_deref().unwrap_or("?"));
        }
    }
    let e = &z.empirical;
    let _ = writeln!(
        s,
        "  empirical word entropy: plug-in {:.3}, Miller–Madow {:.3}, Chao–Shen {:.3}, Grassberger {:.3}, NSB {}, jackknife {:.3} bits/word (coverage {:.4})",
        e.plugin,
        e.miller_madow,
        e.chao_shen,
        e.grassberger,
        or_dash(e.nsb, 0, 3),
        e.jackknife,
        z.empirical_coverage
    );

    let mkn: Vec<&GuessEntry> = r.guessing.iter().filter(|g| g.predictor.is_none()).collect();
    if !mkn.is_empty() {
        let g0 = mkn[0];
        let _ = writeln!(s);
        let split = if r.corpus.train_lines == 0 {
            format!("the first {} of the symbols (the text has too few lines to split)", 1.0 - r.corpus.holdout)
        } else {
            format!("the first {} of {} lines", r.corpus.train_lines, r.corpus.lines)
        };
        let _ = writeln!(
            s,
            "Guessing game: order-N modified Kneser–Ney predictor trained on {split}; {} held-out symbols guessed, cross-entropy over {}",
            g0.symbols, g0.cross_entropy_symbols
        );
        let _ = writeln!(
            s,
            "{:>5} {:>8} {:>8} {:>10}   {:>14} {:>8}",
            "N", "upper", "lower", "cross-ent", "Shannon upper", "lower"
        );
        for g in &mkn {
            let _ = writeln!(
                s,
                "{:>5} {:>8.3} {:>8.3} {}   {} {}",
                g.n,
                g.upper,
                g.lower,
                or_dash(g.cross_entropy_bits, 10, 3),
                or_dash(g.shannon_upper, 14, 2),
                or_dash(g.shannon_lower, 8, 2)
            );
        }
        if r.tokenizer.kind == TokenKind::Letters {
            for p in sh.guessing.iter().filter(|p| p.n > mkn.len()) {
                let _ = writeln!(s, "{:>5} {:>8} {:>8} {:>10}   {:>14.2} {:>8.2}", p.n, "", "", "", p.upper, p.lower);
            }
        }
    }
    infinigram_table(&mut s, r);

    let _ = writeln!(s);
    let _ = writeln!(s, "Entropy rate, F_N = h + A·N^(−α) fitted over the supported N ≥ {FIT_FROM}:");
    let mut failed: Vec<&str> = Vec::new();
    for f in &r.extrapolation.f {
        match &f.power_law {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "  {:<13} h = {:.3} bits/{unit} (A = {:.3}, α = {:.3}, rms {:.4}, N = {:?})",
                    f.estimator, p.h, p.a, p.alpha, p.rms, f.orders
                );
            }
            None => failed.push(&f.estimator),
        }
    }
    if let Some(first) = r.extrapolation.f.iter().find(|f| f.power_law.is_none()) {
        let _ = writeln!(s, "  no fit for {}: {}", failed.join(", "), first.error.as_deref().unwrap_or("?"));
    }
    if let Some(c) = &r.extrapolation.cross_entropy {
        if let Some(p) = &c.power_law {
            let _ = writeln!(
                s,
                "  cross-entropy h + A·N^(−α): h = {:.3} (A = {:.3}, α = {:.3}, rms {:.4}, N = {:?})",
                p.h, p.a, p.alpha, p.rms, c.orders
            );
        }
        if let Some(p) = &c.stretched_exponential {
            let _ = writeln!(
                s,
                "  cross-entropy exp(A·N^(β−1) + h′): h = {:.3} (A = {:.3}, β = {:.3}, rms {:.4})",
                p.h, p.a, p.beta, p.rms
            );
        }
        for e in &c.errors {
            let _ = writeln!(s, "  cross-entropy: no fit: {e}");
        }
    }
    s
}

/// The human summary printed on stdout.
pub fn kl(r: &KlReport) -> String {
    let mut s = String::new();
    let f = |x: Option<f64>| x.map_or("inf".to_string(), |v| format!("{v:.4}"));
    let names = |i: &[Input]| i.iter().map(|x| x.path.clone()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(s, "P = {}\nQ = {}", names(&r.p), names(&r.q));
    let _ = writeln!(s, "order {}, smoothing {}, union vocabulary {}", r.order, r.smoothing, r.vocabulary);
    // An infinite divergence says why on its own line, not only in the list below.
    let why = |inf: &Option<shannon_report::kl::Infinite>, first: &str, second: &str| match inf {
        Some(i) => format!(
            " ({} words have probability 0 under {second} and not under {first}: unsmoothed {}; e.g. {})",
            i.count,
            r.smoothing,
            i.words.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        ),
        None => String::new(),
    };
    let _ = writeln!(
        s,
        "KL(P‖Q) = {} bits = H(P,Q) {} − H(P) {:.4}{}",
        f(r.kl_pq_bits),
        f(r.cross_entropy_pq_bits),
        r.entropy_p_bits,
        why(&r.infinite_pq, "P", "Q")
    );
    let _ = writeln!(
        s,
        "KL(Q‖P) = {} bits = H(Q,P) {} − H(Q) {:.4}{}",
        f(r.kl_qp_bits),
        f(r.cross_entropy_qp_bits),
        r.entropy_q_bits,
        why(&r.infinite_qp, "Q", "P")
    );
    let _ = writeln!(s, "JS(P,Q) = {:.4} bits", r.js_bits);
    for (title, list, inf) in [("KL(P‖Q)", &r.top_pq, &r.infinite_pq), ("KL(Q‖P)", &r.top_qp, &r.infinite_qp)] {
        let _ = writeln!(s, "largest contributions to {title}:");
        for c in list {
            let _ = writeln!(s, "  {:<20} {:>9.5} bits  (p {:.5}, q {:.5})", c.word, c.bits, c.p, c.q);
        }
        if let Some(i) = inf {
            let _ = writeln!(
                s,
                "  infinite: {}; e.g. {}",
                i.reason,
                i.words.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    s
}

/// The human summary of a score report.
pub fn score(r: &ScoreReport) -> String {
    let mut s = String::new();
    let t = &r.score;
    let ngrams: Vec<String> = r.model.ngrams.iter().map(u64::to_string).collect();
    let _ = writeln!(s, "model {}: order {}, n-grams per order {}", r.model.path, r.model.order, ngrams.join(" / "));
    let names: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    let _ = writeln!(
        s,
        "text {}: {} tokens in {} sentences, tokens = {}{}",
        names.join(", "),
        r.test.tokens,
        r.test.sentences,
        r.tokenizer.kind.name(),
        if r.temperature == 1.0 { String::new() } else { format!(", temperature τ = {}", r.temperature) }
    );
    let _ = writeln!(
        s,
        "{:>10} {:>12} {:>12} {:>7} {:>10} {:>10}",
        "bits/tok", "perplexity", "ppl-no-oov", "oov%", "bits/char", "bits/byte"
    );
    let _ = writeln!(
        s,
        "{} {} {} {:>7.3} {} {}",
        or_inf(t.cross_entropy_bits, 10, 4),
        or_inf(t.perplexity, 12, 3),
        or_inf(t.perplexity_excluding_oov, 12, 3),
        100.0 * t.oov_rate,
        or_inf(t.bits_per_char, 10, 4),
        or_inf(t.bits_per_byte, 10, 4)
    );
    let _ = writeln!(
        s,
        "({} predicted tokens, </s> included and <s> not, as KenLM's query counts them; {} of them OOV)",
        t.tokens, t.oov
    );
    if let Some(why) = &t.infinite {
        let _ = writeln!(s, "{why}");
    }
    if let Some(d) = &r.documents {
        let cuts: Vec<String> = d
            .percentiles
            .iter()
            .map(|p| format!("p{} {}", p.percentile, p.perplexity.map_or("inf".into(), |x| format!("{x:.3}"))))
            .collect();
        let _ = writeln!(
            s,
            "{} documents ({} without tokens, {} of infinite perplexity, {} bad records skipped){}",
            d.documents,
            d.empty,
            d.infinite,
            d.skipped_bad_records,
            if cuts.is_empty() { String::new() } else { format!("; per-document perplexity {}", cuts.join(", ")) }
        );
    }
    s
}

/// The guessing game by the ∞-gram and its interpolation with mkn, beside Shannon's Table I: every N up to
/// 15, then every tenth and the last (the report holds every N).
fn infinigram_table(s: &mut String, r: &EntropyReport) {
    let by = |name: &str| -> Vec<&GuessEntry> {
        r.guessing.iter().filter(|g| g.predictor.as_deref() == Some(name)).collect()
    };
    let (pure, mixed) = (by("infinigram"), by("infinigram+mkn"));
    let Some(g0) = pure.first() else { return };
    let last = pure.len();
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Guessing game to N = {last}: the ∞-gram of a suffix-array index of the training part, and mkn extended by \
         its longer contexts; {} held-out symbols guessed",
        g0.symbols
    );
    let _ = writeln!(
        s,
        "{:>5} {:>8} {:>8} {:>8}   {:>8} {:>8} {:>10}   {:>14} {:>8}",
        "N", "context", "∞ upper", "lower", "+mkn up", "lower", "cross-ent", "Shannon upper", "lower"
    );
    for (i, g) in pure.iter().enumerate() {
        let n = g.n;
        if !(n <= 15 || n % 10 == 0 || n == last) {
            continue;
        }
        let m = mixed.get(i);
        let _ = writeln!(
            s,
            "{:>5} {:>8.2} {:>8.3} {:>8.3}   {} {} {}   {} {}",
            n,
            g.mean_context.unwrap_or(0.0),
            g.upper,
            g.lower,
            or_dash(m.map(|m| m.upper), 8, 3),
            or_dash(m.map(|m| m.lower), 8, 3),
            or_dash(m.and_then(|m| m.cross_entropy_bits), 10, 3),
            or_dash(g.shannon_upper, 14, 2),
            or_dash(g.shannon_lower, 8, 2)
        );
    }
}

/// The `code` report: the code length, then the compressors, the published figures and the entropy rates
/// beside it, all in bits per symbol.
pub fn code(r: &shannon_report::code::CodeReport) -> String {
    let mut s = String::new();
    let names = r.inputs.iter().map(|x| x.path.clone()).collect::<Vec<_>>().join(", ");
    let unit = match r.tokens.as_str() {
        "bytes" => "bits/byte",
        "letters" => "bits/letter",
        _ => "bits/char",
    };
    let _ = writeln!(
        s,
        "{names}: {} bytes, {} {} coded with model {}",
        r.text.bytes, r.text.symbols, r.tokens, r.model.name
    );
    let _ = writeln!(
        s,
        "  {:<44} {:>10} bytes  {:>7.4} {unit}  (round trip checked; ideal {:.4}; +{} bytes of header not counted)",
        format!("shannon code --model {}", r.model.name),
        r.code_bytes,
        r.bits_per_char,
        r.ideal_bits / r.text.symbols as f64,
        r.header_bytes
    );
    for c in &r.compressors {
        let _ = writeln!(
            s,
            "  {:<44} {:>10} bytes  {:>7.4} {unit}",
            format!("{} {} (same run)", c.name, c.setting),
            c.bytes,
            c.bits_per_char
        );
    }
    for p in &r.published {
        let bytes = p.bytes.map_or("—".to_string(), |b| format!("{b} bytes"));
        let _ = writeln!(
            s,
            "  {:<44} {:>16}  {:>7.4} {unit}  [{}]",
            format!("{} (published)", p.compressor),
            bytes,
            p.bits_per_char,
            p.source
        );
    }
    for e in &r.entropy_rates {
        let note = if e.same_text { "" } else { "  (other text or symbols)" };
        let _ =
            writeln!(s, "  entropy rate: {:<48} {:>7.4} bits/symbol ({}){note}", e.what, e.bits_per_symbol, e.tokens);
    }
    let mb = r.text.coded_bytes as f64 / 1e6;
    let _ = writeln!(
        s,
        "  coding {:.2} s ({:.2} MB/s), decoding {:.2} s, model memory {} MiB",
        r.timings.encode_seconds,
        mb / r.timings.encode_seconds.max(1e-9),
        r.timings.decode_seconds,
        r.model.memory_bytes >> 20
    );
    s
}
