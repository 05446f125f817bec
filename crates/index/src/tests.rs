use super::*;
use proptest::prelude::*;
use shannon_tokens::{Sentences, TokenKind};

/// A vocabulary of `extra` words after the markers: "w3", "w4", ….
fn vocab(extra: usize) -> Vocab {
    let mut v = Vocab::new();
    for i in 0..extra {
        v.intern(&format!("w{}", i + 3));
    }
    v
}

fn index(ids: &[u32], v: &Vocab) -> Index<Vec<u8>> {
    build_in_memory(ids, v, None).unwrap()
}

#[test]
fn counts_and_distribution_by_hand() {
    // "a b a b a c" with a = 3, b = 4, c = 5. Suffixes sorted: a b a b a c (0), a b a c (2), a c (4),
    // b a b a c (1), b a c (3), c (5).
    let (a, b, c) = (3, 4, 5);
    let text = [a, b, a, b, a, c];
    let ix = index(&text, &vocab(3));
    let sa: Vec<usize> = (0..6).map(|r| ix.position(r)).collect();
    assert_eq!(sa, vec![0, 2, 4, 1, 3, 5]);
    assert_eq!(ix.count(&[a]), 3);
    assert_eq!(ix.count(&[a, b]), 2);
    assert_eq!(ix.count(&[a, b, a]), 2);
    assert_eq!(ix.count(&[a, b, a, b, a, c]), 1);
    assert_eq!(ix.count(&[c, a]), 0);
    assert_eq!(ix.count(&[]), 6);
    // After "b a": "b a b" once, "b a c" once → ½, ½.
    let d = ix.infinigram(&[c, b, a]);
    assert_eq!((d.context, d.total), (2, 2));
    assert_eq!(d.followers, vec![(b, 1), (c, 1)]);
    // After "c": c is the last token, never followed; the longest suffix followed by a token is empty,
    // the unigram distribution a 3/6, b 2/6, c 1/6.
    let d = ix.infinigram(&[a, c]);
    assert_eq!((d.context, d.total), (0, 6));
    assert_eq!(d.followers, vec![(a, 3), (b, 2), (c, 1)]);
    assert!((d.prob(a) - 0.5).abs() < 1e-15);
    // "a c" occurs once but only at the end: its follower count is 0, so "c" alone is used — also at the end.
    // After "b a c" nothing: fall back to the empty context.
    assert_eq!(ix.infinigram(&[b, a, c]).context, 0);
    // Discounted after "b a" (b 1×, c 1×) with D1 = 0.5: each keeps ½ − ¼, γ = ½, so over a uniform `below`
    // of ⅓: b → ¼ + ⅙, a → ⅙; the three sum to 1.
    let d = ix.infinigram(&[b, a]);
    let ds = [0.5, 1.0, 1.5];
    let g = d.backoff_weight(&ds);
    assert!((g - 0.5).abs() < 1e-15);
    let p: Vec<f64> = [a, b, c].iter().map(|&w| d.discounted(w, 1.0 / 3.0, &ds, g)).collect();
    assert!((p[1] - (0.25 + 1.0 / 6.0)).abs() < 1e-15 && (p[0] - 1.0 / 6.0).abs() < 1e-15);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
}

#[test]
fn file_round_trips_and_records_the_tokenizer() {
    let t = Tokenizer { kind: TokenKind::Letters, lowercase: true, sentences: Sentences::None, skip_symbols: false };
    let v = vocab(300); // 2-byte ids
    let ids: Vec<u32> = (0..1000u32).map(|i| 3 + (i * 7919) % 300).collect();
    let ix = build_in_memory(&ids, &v, Some(&t)).unwrap();
    assert_eq!(ix.id_width(), 2);
    assert_eq!(ix.tokenizer().unwrap(), Some(t));
    let back = ix.vocab().unwrap();
    assert_eq!(back.len(), v.len());
    assert!(back.strings().eq(v.strings()));
    assert_eq!((0..ids.len()).map(|p| ix.token(p)).collect::<Vec<_>>(), ids);
    assert_eq!(ix.file_bytes() % 8, 0);
}

#[test]
fn corrupt_files_are_refused_without_panicking() {
    let v = vocab(3);
    let mut bytes = Vec::new();
    build(&mut bytes, &[3, 4, 3, 5, 3, 4], &v, None).unwrap();
    assert!(Index::open(&bytes[..bytes.len() - 8]).is_err());
    assert!(Index::open(&b"not an index"[..]).is_err());
    let mut wrong = bytes.clone();
    wrong[8] = 2;
    assert!(matches!(Index::open(&wrong[..]), Err(Error::Format(m)) if m.contains("version 2")));
    // Every single-byte corruption opens as an error or as an index whose queries stay in bounds.
    for i in 0..bytes.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= x;
            if let Ok(ix) = Index::open(&b[..]) {
                let _ = ix.infinigram(&[3, 4, 3]);
                let _ = ix.count(&[4, 3]);
                let _ = ix.vocab();
            }
        }
    }
    // Ids outside the vocabulary are refused at build time.
    assert!(matches!(suffix_array(&[3, 9], 6), Err(Error::IdOutOfRange { id: 9, position: 1, .. })));
}

#[test]
fn empty_stream_builds_an_empty_index() {
    let ix = index(&[], &vocab(1));
    assert!(ix.is_empty());
    assert_eq!(ix.count(&[3]), 0);
    let d = ix.infinigram(&[3]);
    assert_eq!((d.context, d.total), (0, 0));
}

/// Random streams over a few ids (so that long n-grams repeat), sometimes with sentence markers.
fn stream() -> impl Strategy<Value = (Vec<u32>, usize)> {
    (1usize..6, 0usize..300, any::<bool>()).prop_flat_map(|(k, len, markers)| {
        let ids = proptest::collection::vec(0u32..k as u32, len).prop_map(move |raw| {
            if !markers {
                return raw.iter().map(|&r| r + 3).collect::<Vec<u32>>();
            }
            // Sentences of random length: <s> w… </s>.
            let mut out = Vec::new();
            for (i, &r) in raw.iter().enumerate() {
                if i % 7 == 0 {
                    if i > 0 {
                        out.push(2);
                    }
                    out.push(1);
                }
                out.push(r + 3);
            }
            if !raw.is_empty() {
                out.push(2);
            }
            out
        });
        (ids, Just(k + 3))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Block profiles from the suffix array equal the n-gram counter's counts of n-grams without markers.
    #[test]
    fn block_profiles_equal_the_ngram_counter((ids, v) in stream()) {
        let ix = index(&ids, &vocab(v - 3));
        let profiles = ix.block_profiles(12, |t| t == 1 || t == 2);
        let counts = shannon_counts::count_serial(&ids, v, 12);
        for p in &profiles {
            let order = counts.order(p.n);
            let mut expected: std::collections::BTreeMap<u64, u64> = Default::default();
            for id in 0..order.len() as u32 {
                let c = order.count[id as usize];
                if c > 0 && counts.words(p.n, id).iter().all(|&w| w > 2) {
                    *expected.entry(c).or_default() += 1;
                }
            }
            prop_assert_eq!(&p.count_of_counts, &expected.into_iter().collect::<Vec<_>>(), "order {}", p.n);
        }
        // The LCP array by definition.
        let lcp = ix.lcp();
        for (r, &l) in lcp.iter().enumerate().skip(1) {
            let (a, b) = (ix.position(r - 1), ix.position(r));
            let common = ids[a..].iter().zip(&ids[b..]).take_while(|(x, y)| x == y).count();
            prop_assert_eq!(l as usize, common);
        }
    }

    /// Every n-gram the n-gram counter finds, N ≤ 10, has the same count in the index; without markers the
    /// counts of each order add up to the positions the index has for it.
    #[test]
    fn counts_equal_the_ngram_counter((ids, v) in stream()) {
        let ix = index(&ids, &vocab(v - 3));
        let counts = shannon_counts::count_serial(&ids, v, 10);
        let markers = ids.contains(&1);
        for n in 1..=10 {
            let order = counts.order(n);
            let mut total = 0;
            for id in 0..order.len() as u32 {
                let c = order.count[id as usize];
                let words = counts.words(n, id);
                if n == 1 && words[0] == 1 {
                    continue; // `<s>` is not counted as a unigram
                }
                prop_assert_eq!(ix.count(&words), c, "n-gram {:?}", words);
                total += c;
            }
            if !markers {
                prop_assert_eq!(total, ids.len().saturating_sub(n - 1) as u64);
            }
        }
    }

    /// Every ∞-gram distribution sums to 1, uses a suffix that occurs followed by a token, and no longer
    /// suffix of the context does.
    #[test]
    fn distributions_sum_to_one((ids, v) in stream(), cut in 0usize..300, len in 0usize..12) {
        prop_assume!(!ids.is_empty());
        let ix = index(&ids, &vocab(v - 3));
        let end = cut % (ids.len() + 1);
        let context = &ids[end.saturating_sub(len)..end];
        let d = ix.infinigram(context);
        let sum: f64 = (0..v as u32).map(|w| d.prob(w)).sum();
        prop_assert!((sum - 1.0).abs() < 1e-9);
        let h = &context[context.len() - d.context..];
        let followed: u64 = (0..v as u32).map(|w| ix.count(&[h, &[w][..]].concat())).sum();
        prop_assert_eq!(followed, d.total);
        if d.context < context.len() {
            let longer = &context[context.len() - d.context - 1..];
            let any: u64 = (0..v as u32).map(|w| ix.count(&[longer, &[w][..]].concat())).sum();
            prop_assert_eq!(any, 0);
        }
        // Suffix array order: every row is not after the next.
        for r in 1..ix.len() {
            let p = ix.position(r);
            let suffix: Vec<u32> = ids[p..].to_vec();
            prop_assert_ne!(ix.compare(r - 1, &suffix), Ordering::Greater);
        }
    }
}
