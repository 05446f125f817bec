//! The serial oracle, [`count_serial`]: one hash map over all positions, then a sort. It shares nothing
//! with the parallel sort but the level's notion of which n-gram ends where, so the tests that compare
//! the two check the algorithm, not a copy of it.

use std::sync::atomic::AtomicU32;

use hashbrown::HashMap;
use rayon::prelude::*;
use shannon_tokens::BOS;

use crate::count::{with_index, Level};
use crate::types::{Counts, Order, MAX_ORDER, NONE};

/// The serial oracle: one hash map over all positions, then a sort — a different algorithm from
/// [`crate::count`], which the tests compare it against.
pub fn count_serial(tokens: &[u32], vocab_size: usize, max_order: usize) -> Counts {
    assert!((1..=MAX_ORDER).contains(&max_order), "order {max_order} out of range");
    crate::count::check_positions(tokens.len(), crate::MAX_POSITIONS).unwrap_or_else(|e| panic!("{e}"));
    let mut unigram = vec![0u64; vocab_size];
    tokens.iter().filter(|&&t| t != BOS).for_each(|&t| unigram[t as usize] += 1);
    let tokens_counted = unigram.iter().sum();
    let mut orders = vec![Order::unigrams(unigram)];
    let mut prev: Vec<AtomicU32> = tokens.iter().map(|&t| AtomicU32::new(t)).collect();
    for n in 2..=max_order {
        let level = Level { tokens, prev: &prev, n, lower: orders[n - 2].len(), pages: None };
        let mut map: HashMap<u64, (u64, u32)> = HashMap::new();
        for i in 0..tokens.len() {
            if level.valid(i) {
                map.entry(level.key(i)).or_insert((0, level.prev(i - 1))).0 += 1;
            }
        }
        let mut entries: Vec<(u64, u64, u32)> = map.into_iter().map(|(k, (c, h))| (k, c, h)).collect();
        entries.sort_unstable_by_key(|e| e.0);
        let order = with_index(
            order_of(
                n,
                entries.iter().map(|e| e.0).collect(),
                entries.iter().map(|e| e.1).collect(),
                entries.iter().map(|e| e.2).collect(),
            ),
            true,
        );
        prev = (0..tokens.len())
            .map(|i| AtomicU32::new(if level.valid(i) { order.index[&level.key(i)] } else { NONE }))
            .collect();
        orders.push(order);
    }
    Counts { orders, tokens: tokens_counted }
}

fn order_of(n: usize, keys: Vec<u64>, count: Vec<u64>, history: Vec<u32>) -> Order {
    Order {
        n,
        first: keys.par_iter().map(|&k| k as u32).collect(),
        suffix: keys.par_iter().map(|&k| (k >> 32) as u32).collect(),
        history,
        count,
        index: HashMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{count, count_within, Limits};
    use proptest::prelude::*;
    use shannon_tokens::EOS;
    use std::collections::BTreeMap;

    /// Tokens since the last `<s>`, inclusive.
    fn spans(tokens: &[u32]) -> Vec<usize> {
        let mut s = 0;
        tokens
            .iter()
            .map(|&t| {
                s = if t == BOS { 1 } else { s + 1 };
                s
            })
            .collect()
    }

    /// Brute force: every n-gram as a word vector.
    fn naive(tokens: &[u32], max_order: usize) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        let span = spans(tokens);
        for i in 0..tokens.len() {
            for n in 1..=max_order {
                if tokens[i] != BOS && span[i] >= n {
                    *out.entry(tokens[i + 1 - n..=i].to_vec()).or_insert(0) += 1;
                }
            }
        }
        out
    }

    fn as_map(c: &Counts) -> BTreeMap<Vec<u32>, u64> {
        let mut out = BTreeMap::new();
        for n in 1..=c.max_order() {
            for id in 0..c.order(n).len() as u32 {
                let count = c.order(n).count[id as usize];
                if count > 0 {
                    out.insert(c.words(n, id), count);
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn parallel_equals_serial_equals_naive(
            words in proptest::collection::vec(0u32..8, 0..400),
            breaks in proptest::collection::vec(any::<bool>(), 400),
            order in 1usize..6,
        ) {
            // Build sentences from the words, breaking where `breaks` says so.
            let mut t = vec![BOS];
            for (i, w) in words.iter().enumerate() {
                t.push(w + 3);
                if breaks[i] && i % 3 == 0 { t.push(EOS); t.push(BOS); }
            }
            t.push(EOS);
            let serial = count_serial(&t, 11, order);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            let parallel = pool.install(|| count(&t, 11, order));
            prop_assert_eq!(&serial, &parallel);
            prop_assert_eq!(as_map(&serial), naive(&t, order));
            // A memory limit of a few positions per section: every order spills runs and merges them.
            let dir = tempfile::tempdir().unwrap();
            let limits = Limits { memory: Some(1), temp_dir: dir.path().to_path_buf(), index: true, ..Default::default() };
            let spilled = pool.install(|| count_within(&t, 11, order, &limits)).unwrap();
            prop_assert_eq!(&serial, &spilled);
            prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "spill files removed");
        }
    }

    #[test]
    fn sentence_starts_just_before_a_piece_of_positions_count_as_serially() {
        // `<s>` every 37 positions over several of `write_ids`'s pieces of 2^14 positions: the one at 81,918
        // lies in the windows of the first positions of the piece at 81,920, which must find it there.
        let t: Vec<u32> =
            (0..(5 * (1u32 << 14) + 5)).map(|i| if i % 37 == 0 { BOS } else { 3 + (i * 7 + i / 5) % 13 }).collect();
        for order in [3, 4, 6] {
            assert_eq!(count(&t, 16, order), count_serial(&t, 16, order), "order {order}");
        }
    }

    #[test]
    fn blocks_smaller_than_input_merge_correctly() {
        // Many buckets and parts in a stream without markers.
        let t: Vec<u32> = (0..(3 * (1u32 << 16) + 17)).map(|i| 3 + (i * 7 + i / 5) % 13).collect();
        let serial = count_serial(&t, 16, 4);
        let parallel = count(&t, 16, 4);
        assert_eq!(serial, parallel);
        assert_eq!(as_map(&serial), naive(&t, 4));
    }
}
