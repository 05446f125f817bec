//! Sorting one section of positions in memory: the buckets, the radix sort, and the walk that turns sorted
//! buckets into a [`Run`] of distinct n-grams with each position's id.
//!
//! How it works is in the crate doc ("How counting works"): buckets are ranges of suffix id, so they are
//! ranges of key and their sorted contents, concatenated, are globally sorted.

use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::HashMap;
use rayon::prelude::*;

use shannon_tokens::BOS;

use crate::count::{Edge, Level};
use crate::types::{Order, NONE};

/// Sorted distinct n-grams of one section, in key order: the columns of an [`Order`], with counts of type
/// `C` — u64 for an order counted in one section, u32 for a run that spills (a section's counts fit).
pub(crate) struct Run<C> {
    pub(crate) first: Vec<u32>,
    pub(crate) suffix: Vec<u32>,
    pub(crate) history: Vec<u32>,
    pub(crate) count: Vec<C>,
}

impl Run<u64> {
    pub(crate) fn into_order(self, n: usize) -> Order {
        Order {
            n,
            first: self.first,
            suffix: self.suffix,
            history: self.history,
            count: self.count,
            index: HashMap::new(),
        }
    }
}

impl Level<'_> {
    /// Sorts the n-grams ending at `range`: positions are scattered into buckets by suffix-id range (which
    /// are key ranges), each bucket is sorted on its own, and the distinct keys of the buckets in order
    /// form the run. Each position's rank in the run goes to `ids[i]` (`NONE` where no n-gram ends), once
    /// everything the section reads of `prev` has been read: `ids` may be `prev` itself. `edge` is where the
    /// section starts.
    ///
    /// No per-part vectors, no concatenation: a first pass sizes every (bucket, part) piece of the scatter
    /// arrays ([`groups`] of whole buckets), and each part writes its entries straight into its pieces. An
    /// entry is the n-gram's key within its bucket and its position — 8 bytes when that key fits 32 bits
    /// (as it does unless the vocabulary or the buckets are huge), 12 otherwise. Buckets are sorted in
    /// place, then walked into the run's columns, sized by their distinct counts; each scatter array is
    /// freed as soon as it is walked, or where ids are wanted, once they are written from it.
    pub(crate) fn sort_section<C: Tally>(&self, range: Range<usize>, ids: Option<&[AtomicU32]>, edge: Edge) -> Run<C> {
        // The first word of the n-gram ending at i is at i + 1 − n.
        let words = range.start.saturating_sub(self.n - 1)..range.end;
        let max_first = self.tokens[words].par_iter().copied().max().unwrap_or(0);
        let layout = Layout::new(range.len(), self.lower, max_first);
        if layout.shift + layout.first_bits <= 32 {
            self.sort_entries::<u64, C>(range, layout, ids, edge)
        } else {
            self.sort_entries::<[u32; 3], C>(range, layout, ids, edge)
        }
    }

    fn sort_entries<E: Entry, C: Tally>(
        &self,
        range: Range<usize>,
        layout: Layout,
        ids: Option<&[AtomicU32]>,
        edge: Edge,
    ) -> Run<C> {
        let Layout { shift, first_bits, buckets } = layout;
        let offset_mask = (1u64 << shift) - 1;
        let first_mask = (1u64 << first_bits) - 1;
        let positions = range.len();
        let parts = (positions / (1 << 16)).clamp(1, rayon::current_num_threads() * 4);
        let step = positions.div_ceil(parts).max(1);
        let parts: Vec<Range<usize>> = range.clone().step_by(step).map(|s| s..(s + step).min(range.end)).collect();
        // Sizes of every (part, bucket) piece.
        let sizes: Vec<Vec<u32>> = parts
            .par_iter()
            .map(|part| {
                let mut sizes = vec![0u32; buckets];
                for i in part.clone() {
                    if self.valid_at(i, edge) {
                        sizes[(self.prev(i) >> shift) as usize] += 1;
                    }
                }
                sizes
            })
            .collect();
        let totals: Vec<usize> = (0..buckets).map(|b| sizes.iter().map(|s| s[b] as usize).sum()).collect();
        // The scatter: bucket after bucket, each bucket's pieces in part order, held in a few allocations
        // (groups of whole buckets) that the walk below frees one by one as it fills the columns.
        let groups = groups(&totals, std::mem::size_of::<E>());
        let mut scatter: Vec<Vec<E>> = groups.iter().map(|g| vec![E::ZERO; totals[g.clone()].iter().sum()]).collect();
        let mut pieces: Vec<Vec<&mut [E]>> = parts.iter().map(|_| Vec::with_capacity(buckets)).collect();
        for (group, g) in scatter.iter_mut().zip(&groups) {
            let mut rest = &mut group[..];
            for b in g.clone() {
                for (p, sizes) in sizes.iter().enumerate() {
                    let (piece, tail) = rest.split_at_mut(sizes[b] as usize);
                    pieces[p].push(piece);
                    rest = tail;
                }
            }
        }
        drop(sizes);
        parts.into_par_iter().zip(pieces).for_each(|(part, mut pieces)| {
            for i in part {
                if self.valid_at(i, edge) {
                    let suffix = u64::from(self.prev(i));
                    let key = (suffix & offset_mask) << first_bits | u64::from(self.tokens[i + 1 - self.n]);
                    let piece = &mut pieces[(suffix >> shift) as usize];
                    let (slot, tail) = std::mem::take(piece).split_first_mut().expect("sized by the first pass");
                    // Exact: streams are checked against `MAX_POSITIONS` (< 2³²) before counting.
                    *slot = E::new(key, i as u32);
                    *piece = tail;
                }
            }
        });
        // Sort each bucket in place and count its distinct keys.
        let sorted: Vec<&mut [E]> =
            scatter.iter_mut().zip(&groups).flat_map(|(group, g)| split_mut(group, &totals[g.clone()])).collect();
        let distinct: Vec<usize> = sorted
            .into_par_iter()
            .map_init(Vec::new, |scratch, v| {
                E::sort(v, shift + first_bits, scratch);
                v.windows(2).filter(|w| w[0].key() != w[1].key()).count() + usize::from(!v.is_empty())
            })
            .collect();
        // Walk the sorted buckets into the run's columns (zeroed, so their pages are only made resident as
        // the walk writes them), one group at a time, freeing each group once walked.
        let total: usize = distinct.iter().sum();
        let mut run = Run {
            first: vec![0; total],
            suffix: vec![0; total],
            history: vec![0; total],
            count: vec![C::default(); total],
        };
        let mut base = 0u32;
        let bases: Vec<u32> = distinct
            .iter()
            .map(|&d| {
                let b = base;
                base += d as u32; // At most one id per position: below `MAX_POSITIONS`.
                b
            })
            .collect();
        let mut columns = split_mut(&mut run.first, &distinct)
            .into_iter()
            .zip(split_mut(&mut run.suffix, &distinct))
            .zip(split_mut(&mut run.history, &distinct))
            .zip(split_mut(&mut run.count, &distinct))
            .enumerate();
        // Without ids to write, each group is freed once walked; with them, the groups are kept until every
        // history has been read from `prev`, which the ids may overwrite.
        let mut kept = Vec::new();
        for (mut group, g) in scatter.into_iter().zip(&groups) {
            let work: Vec<_> = split_mut(&mut group, &totals[g.clone()])
                .into_iter()
                .zip(columns.by_ref().take(g.len()).map(|(b, (((f, s), h), c))| (b, f, s, h, c)))
                .collect();
            work.into_par_iter().for_each(|(v, (b, first, suffix, history, count))| {
                let low = (b as u64) << shift;
                let mut r = usize::MAX;
                let mut last = None;
                for &e in v.iter() {
                    let (k, pos) = (e.key(), e.pos());
                    if last != Some(k) {
                        r = r.wrapping_add(1);
                        last = Some(k);
                        first[r] = (k & first_mask) as u32;
                        suffix[r] = (low + (k >> first_bits)) as u32;
                        // Where the history is, for now: its loads are gathered below.
                        history[r] = pos;
                    }
                    count[r] += C::from(1);
                }
                // One random load per n-gram, each independent of the others, so the processor keeps many
                // in flight; inside the walk above they waited behind its branches.
                for h in history.iter_mut() {
                    *h = self.below(*h as usize, edge);
                }
            });
            if ids.is_some() {
                kept.push(group);
            }
        }
        if let Some(ids) = ids {
            self.write_ids(&range, ids, kept, &groups, &totals, &bases);
        }
        run
    }

    /// Writes each position's rank in the run (`bases[b]` plus its key's rank within sorted bucket `b`) to
    /// `ids`, and `NONE` where no n-gram of the order ends, for the positions of `range`.
    fn write_ids<E: Entry>(
        &self,
        range: &Range<usize>,
        ids: &[AtomicU32],
        groups_sorted: Vec<Vec<E>>,
        groups: &[Range<usize>],
        totals: &[usize],
        bases: &[u32],
    ) {
        // Where no n-gram ends, from the tokens alone (`prev` may be half overwritten): an n-gram ends at i
        // when i ≥ n − 1 and no `<s>` lies in the n − 1 positions ending at i.
        let n = self.n;
        let starts: Vec<usize> = range.clone().step_by(1 << 14).collect();
        starts.into_par_iter().for_each(|lo| {
            let hi = (lo + (1 << 14)).min(range.end);
            // The last `<s>` at or before i, found once for the piece (within the n − 2 positions before it:
            // an earlier one is outside every window) and then carried along.
            let mut last = (lo.saturating_sub(n.saturating_sub(2))..lo).rev().find(|&j| self.tokens[j] == BOS);
            for (i, (&token, id)) in self.tokens[lo..hi].iter().zip(&ids[lo..hi]).enumerate().map(|(k, p)| (lo + k, p))
            {
                if token == BOS {
                    last = Some(i);
                }
                if i + 1 < n || last.is_some_and(|j| j + n >= i + 2) {
                    id.store(NONE, Ordering::Relaxed);
                }
            }
        });
        for (mut group, g) in groups_sorted.into_iter().zip(groups) {
            let buckets = split_mut(&mut group, &totals[g.clone()]);
            buckets.into_par_iter().zip(&bases[g.clone()]).for_each(|(v, &base)| {
                let mut r = base.wrapping_sub(1);
                let mut last = None;
                for e in v.iter() {
                    let k = e.key();
                    if last != Some(k) {
                        r = r.wrapping_add(1);
                        last = Some(k);
                    }
                    ids[e.pos() as usize].store(r, Ordering::Relaxed);
                }
            });
        }
    }
}

/// A count column's type: u64 in an [`Order`], u32 in a run that spills.
pub(crate) trait Tally: Copy + Default + Send + Sync + std::ops::AddAssign + From<u8> {}

impl<C: Copy + Default + Send + Sync + std::ops::AddAssign + From<u8>> Tally for C {}

/// How a section's positions are bucketed and keyed: bucket b holds the n-grams whose suffix id is in
/// `b << shift .. (b + 1) << shift`, and an n-gram's key within its bucket is
/// `(suffix − (b << shift)) << first_bits | first`, which sorts like its full key.
#[derive(Clone, Copy)]
struct Layout {
    shift: u32,
    first_bits: u32,
    buckets: usize,
}

impl Layout {
    /// Most buckets taken to make keys fit 32 bits.
    const MAX_BUCKETS: u64 = 1 << 16;
    /// Log2 of the positions a bucket aims at (few in tests, so that they sort and walk many buckets).
    const POSITIONS_LOG2: u32 = if cfg!(test) { 5 } else { 15 };

    /// About 32 Ki positions a bucket (a cache-resident sort), at most 16 Ki buckets — or more, up to
    /// [`Layout::MAX_BUCKETS`], if narrower buckets make keys fit 32 bits.
    fn new(positions: usize, lower: usize, max_first: u32) -> Layout {
        let lower = lower.max(1) as u64;
        let first_bits = u32::BITS - max_first.leading_zeros();
        let target = (positions >> Layout::POSITIONS_LOG2).next_power_of_two().clamp(1, 1 << 14) as u64;
        let width = lower.div_ceil(target);
        // The least shift with 1 << shift ≥ width.
        let shift = u64::BITS - (width - 1).leading_zeros();
        let narrow = shift.min(32 - first_bits);
        let shift = if lower.div_ceil(1 << narrow) <= Layout::MAX_BUCKETS { narrow } else { shift };
        Layout { shift, first_bits, buckets: lower.div_ceil(1 << shift) as usize }
    }
}

/// A scattered occurrence of an n-gram: its key within its bucket and its position.
trait Entry: Copy + Send + Sync {
    const ZERO: Self;
    fn new(key: u64, pos: u32) -> Self;
    fn key(self) -> u64;
    fn pos(self) -> u32;
    /// Sorts by key (ties in any order: they are the same n-gram), keys being below `1 << key_bits`;
    /// `scratch` is a buffer to reuse between calls.
    fn sort(v: &mut [Self], key_bits: u32, scratch: &mut Vec<Self>);
}

/// A key of at most 32 bits above the position: 8 bytes, sorted as plain integers.
impl Entry for u64 {
    const ZERO: Self = 0;
    #[inline]
    fn new(key: u64, pos: u32) -> Self {
        key << 32 | u64::from(pos)
    }
    #[inline]
    fn key(self) -> u64 {
        self >> 32
    }
    #[inline]
    fn pos(self) -> u32 {
        self as u32
    }
    /// LSD radix sort on the key (`crate::radix`).
    fn sort(v: &mut [Self], key_bits: u32, scratch: &mut Vec<Self>) {
        crate::radix::sort_bits(v, 32..32 + key_bits, scratch);
    }
}

/// Any key: its high and low halves, then the position — 12 bytes.
impl Entry for [u32; 3] {
    const ZERO: Self = [0; 3];
    #[inline]
    fn new(key: u64, pos: u32) -> Self {
        [(key >> 32) as u32, key as u32, pos]
    }
    #[inline]
    fn key(self) -> u64 {
        u64::from(self[0]) << 32 | u64::from(self[1])
    }
    #[inline]
    fn pos(self) -> u32 {
        self[2]
    }
    fn sort(v: &mut [Self], _: u32, _: &mut Vec<Self>) {
        v.sort_unstable_by_key(|e| e.key());
    }
}

/// Bytes of scatter entries an allocation of [`groups`] holds at least: with glibc, allocations this large
/// are mapped on their own, so freeing one gives its memory back to the system at once.
/// (Tiny in tests, so that they walk many groups.)
const GROUP_BYTES: usize = if cfg!(test) { 256 } else { 32 << 20 };

/// Splits buckets of `totals` entries of `entry` bytes into consecutive ranges of at least [`GROUP_BYTES`]
/// and about a 32nd of all the entries (the last range aside).
fn groups(totals: &[usize], entry: usize) -> Vec<Range<usize>> {
    let target = (totals.iter().sum::<usize>() * entry / 32).max(GROUP_BYTES);
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (b, &t) in totals.iter().enumerate() {
        bytes += t * entry;
        if bytes >= target {
            out.push(start..b + 1);
            (start, bytes) = (b + 1, 0);
        }
    }
    if start < totals.len() {
        out.push(start..totals.len());
    }
    out
}

/// Splits `v` into consecutive mutable pieces of the given sizes.
fn split_mut<'a, T>(mut v: &'a mut [T], sizes: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let (head, tail) = v.split_at_mut(s);
        out.push(head);
        v = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count_serial;
    use crate::types::NONE;
    use shannon_tokens::BOS;

    #[test]
    fn radix_sort_orders_entries_by_key() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut scratch = Vec::new();
        // 2 and 3 digit passes, a constant top digit (skipped), and a bucket below the radix threshold.
        // (entries, key bits, random low bits, constant high bits)
        let cases =
            [(5000, 24, 24, 0), (5000, 30, 30, 0), (3000, 32, 32, 0), (4000, 30, 20, 7 << 20), (100, 20, 20, 0)];
        for (len, key_bits, low, top) in cases {
            let v: Vec<u64> = (0..len as u32)
                .map(|pos| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    u64::new((x >> 32) & ((1 << low) - 1) | top, pos)
                })
                .collect();
            let mut sorted = v.clone();
            <u64 as Entry>::sort(&mut sorted, key_bits, &mut scratch);
            assert!(sorted.windows(2).all(|w| w[0].key() <= w[1].key()), "{len} {key_bits}");
            let (mut a, mut b) = (v, sorted);
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "a permutation");
        }
    }

    #[test]
    fn wide_entries_count_like_packed_ones() {
        assert!(
            {
                let l = Layout::new(1 << 20, 1 << 24, u32::MAX);
                l.shift + l.first_bits > 32
            },
            "huge ids take 12-byte entries"
        );
        let t: Vec<u32> = (0..200_000u32).map(|i| if i % 37 == 0 { BOS } else { 3 + (i * 7 + i / 5) % 1013 }).collect();
        let atomic = |v: &[u32]| v.iter().map(|&x| AtomicU32::new(x)).collect::<Vec<_>>();
        let (mut prev, mut lower) = (atomic(&t), 1016);
        for n in 2..=4 {
            let level = Level { tokens: &t, prev: &prev, n, lower, pages: None };
            let layout = Layout::new(t.len(), lower, 1015);
            let ids = || (0..t.len()).map(|_| AtomicU32::new(NONE)).collect::<Vec<_>>();
            let (packed_ids, wide_ids) = (ids(), ids());
            let packed =
                level.sort_entries::<u64, u64>(0..t.len(), layout, Some(&packed_ids), Edge::NONE).into_order(n);
            let wide =
                level.sort_entries::<[u32; 3], u64>(0..t.len(), layout, Some(&wide_ids), Edge::NONE).into_order(n);
            assert_eq!(packed, wide, "order {n}");
            let unwrap = |v: Vec<AtomicU32>| v.into_iter().map(AtomicU32::into_inner).collect::<Vec<_>>();
            let next = unwrap(packed_ids);
            assert_eq!(next, unwrap(wide_ids));
            assert_eq!(
                packed,
                count_serial(&t, 1016, n).orders.pop().map(|o| Order { index: HashMap::new(), ..o }).unwrap()
            );
            (prev, lower) = (atomic(&next), packed.len());
        }
    }
}
