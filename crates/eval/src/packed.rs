//! Block counts by sorting packed keys: the count profiles of the n-blocks of every order n = 1..=N at
//! once, for alphabets small enough that N symbols and a jackknife group fit in 64 bits (Shannon's 27
//! letters to N = 11, bytes to N = 6). [`crate::entropy::block_entropies`] takes this path whenever it can.
//!
//! Each start position becomes one key: the N symbols from there as digits of w bits (1..=K, and 0 from
//! the first `<s>`/`</s>` or the end of the text on, so the key also says how long a block starts there),
//! then the position's jackknife group in the low bits. Sorted, keys that share their first n digits are
//! adjacent for every n at once, so one pass over them reads off every n-block of every order — the runs
//! of equal n-digit prefixes — and, from each run's per-group counts, the profiles of the sample with each
//! group deleted. No per-order pass over the text, no block ids, no hashing: the sort is the cost.
//!
//! The keys are scattered into buckets by their top 12 bits (their first digits); each bucket is sorted
//! on its own (cache-sized radix sorts) and runs of consecutive buckets are walked as tasks in parallel.
//! A run of equal prefixes may cross buckets and tasks, so a task hands the runs it starts and ends with
//! to a sequential stitch, which joins those with equal prefixes. Counts are integers and every sum is
//! exact, so the profiles are the same for any thread count and the same as the hashed counter's (tests).
//!
//! With a key budget, the buckets are taken in ranges of at most that many keys (a bucket is never
//! split), each range one pass over the text: memory is the budget rather than 8 bytes a position.

use hashbrown::HashMap;
use rayon::prelude::*;
use shannon_counts::radix;
use shannon_info::estimate::CountProfile;
use shannon_tokens::{BOS, EOS};

/// Start positions per unit of key generation.
const CHUNK: usize = if cfg!(test) { 1 << 8 } else { 1 << 20 };
/// Most bits of a bucket number (4096 buckets).
const BUCKET_BITS: u32 = if cfg!(test) { 4 } else { 12 };
/// Counts below this are tallied in arrays, larger ones in maps.
const DENSE: usize = 128;
/// Most tasks the sorted buckets of one range are walked in.
const TASKS: usize = 64;

/// How keys are packed, and the tables that read them.
struct Layout {
    /// Longest block N.
    n: usize,
    /// Bits a digit.
    w: u32,
    /// Bits of the group, below the digits.
    group_bits: u32,
    /// w × N.
    block_bits: u32,
    /// Bits of a bucket number: the top of the block.
    bucket_bits: u32,
    /// Token id → digit; 0 for the markers.
    digit: Vec<u16>,
    /// `mask[r]` keeps the first r digits of a block.
    mask: Vec<u64>,
    /// `shared[lz]`: leading digits two blocks share when their XOR has `lz` leading zeros.
    shared: Vec<u8>,
    /// `depth[tz]`: digits before the first 0 digit of a block with `tz` trailing zero bits.
    depth: Vec<u8>,
}

impl Layout {
    /// The layout for `tokens`, or `None` when a key would not fit 64 bits (or there is nothing to count).
    fn new(tokens: &[u32], n: usize, groups: usize) -> Option<Layout> {
        let max_id = tokens.par_iter().copied().max()? as usize;
        let mut present = vec![false; max_id + 1];
        for &t in tokens {
            present[t as usize] = true;
        }
        let symbols = present.iter().enumerate().filter(|&(id, &p)| p && !is_marker(id as u32)).count();
        if symbols == 0 || n == 0 || groups < 2 {
            return None;
        }
        let w = u64::BITS - (symbols as u64).leading_zeros();
        let group_bits = u64::BITS - ((groups - 1) as u64).leading_zeros();
        let block_bits = u32::try_from(n).ok()?.checked_mul(w)?;
        if w > 16 || block_bits + group_bits > 64 {
            return None;
        }
        let mut digit = vec![0u16; max_id + 1];
        let mut next = 0u16;
        for (id, d) in digit.iter_mut().enumerate() {
            if present[id] && !is_marker(id as u32) {
                next += 1;
                *d = next;
            }
        }
        let ones = if block_bits == 64 { u64::MAX } else { (1u64 << block_bits) - 1 };
        let mask =
            (0..=n as u32).map(|r| if r == n as u32 { ones } else { ones & !((1u64 << (w * (n as u32 - r))) - 1) });
        let top = 64 - block_bits;
        let shared = (0..=64u32).map(|lz| if lz >= 64 { n as u8 } else { (lz.saturating_sub(top) / w) as u8 });
        let depth = (0..64u32).map(|tz| (n as u32).saturating_sub(tz / w) as u8);
        Some(Layout {
            n,
            w,
            group_bits,
            block_bits,
            bucket_bits: block_bits.min(BUCKET_BITS),
            digit,
            mask: mask.collect(),
            shared: shared.collect(),
            depth: depth.collect(),
        })
    }

    #[inline]
    fn bucket(&self, key: u64) -> usize {
        (key >> (self.group_bits + self.block_bits - self.bucket_bits)) as usize
    }

    /// Calls `emit` with the key of every position in `lo..hi` where a block starts, in text order.
    /// `starts[j]` is the first position of group j (`starts[G]` = the text's length).
    fn keys(&self, tokens: &[u32], lo: usize, hi: usize, starts: &[usize], mut emit: impl FnMut(u64)) {
        let (n, len) = (self.n, tokens.len());
        let d = |i: usize| if i < len { u64::from(self.digit[tokens[i] as usize]) } else { 0 };
        // run[i − lo]: digits before the first 0 from i, at most N. From past the chunk's last block on,
        // where an unknown continuation counts as N: it changes no run that starts inside the chunk.
        let end = (hi + n).min(len);
        let mut run = vec![0u8; hi - lo];
        let mut r = if end == len { 0 } else { n };
        for i in (lo..end).rev() {
            r = if d(i) == 0 { 0 } else { (r + 1).min(n) };
            if i < hi {
                run[i - lo] = r as u8;
            }
        }
        let ones = self.mask[n];
        let mut block = (lo..lo + n).fold(0u64, |b, i| (b << self.w) | d(i));
        let mut group = starts.partition_point(|&s| s <= lo) - 1;
        for i in lo..hi {
            while starts[group + 1] <= i {
                group += 1;
            }
            let r = run[i - lo] as usize;
            if r > 0 {
                emit(((block & self.mask[r]) << self.group_bits) | group as u64);
            }
            block = ((block << self.w) & ones) | d(i + n);
        }
    }
}

fn is_marker(id: u32) -> bool {
    id == BOS || id == EOS
}

/// Closed runs, as signed histograms of their counts: for every level, the whole sample's (`+1` a run),
/// and per group the change deleting that group makes (the changes are negative as often as not). Counts
/// below [`DENSE`] are tallied in one flat array, `[(level × (G + 1) + column) × DENSE + count]` with
/// column 0 the whole sample and 1 + g group g; larger ones in a map.
struct Tally {
    groups: usize,
    levels: usize,
    dense: Vec<i64>,
    sparse: HashMap<(u32, u64), i64>,
    /// Runs of one block, per column (`[level × (G + 1) + column]`), kept apart because they are most
    /// runs: +1 at count 1 in column 0 and −1 in their group's.
    singles: Vec<i64>,
}

impl Tally {
    fn new(levels: usize, groups: usize) -> Tally {
        let columns = levels * (groups + 1);
        Tally { groups, levels, dense: vec![0; columns * DENSE], sparse: HashMap::new(), singles: vec![0; columns] }
    }

    #[inline(always)]
    fn add(&mut self, column: usize, count: u64, by: i64) {
        if (count as usize) < DENSE {
            self.dense[column * DENSE + count as usize] += by;
        } else {
            *self.sparse.entry((column as u32, count)).or_insert(0) += by;
        }
    }

    /// A run of `count` blocks at `level` (0-based) with `in_group(g)` of them in group g.
    #[inline]
    fn close(&mut self, level: usize, count: u64, in_group: impl Iterator<Item = (usize, u64)>) {
        let base = level * (self.groups + 1);
        self.add(base, count, 1);
        for (g, c) in in_group {
            self.add(base + 1 + g, count, -1);
            if count > c {
                self.add(base + 1 + g, count - c, 1);
            }
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.dense.iter_mut().zip(&other.dense).for_each(|(a, b)| *a += b);
        self.singles.iter_mut().zip(&other.singles).for_each(|(a, b)| *a += b);
        for (&k, &m) in &other.sparse {
            *self.sparse.entry(k).or_insert(0) += m;
        }
    }

    /// The (count, multiplicity) pairs of one column.
    fn column(&self, column: usize) -> Vec<(u64, i64)> {
        let dense = &self.dense[column * DENSE..(column + 1) * DENSE];
        let singles = if column.is_multiple_of(self.groups + 1) { self.singles[column] } else { -self.singles[column] };
        let mut out: Vec<(u64, i64)> = dense
            .iter()
            .enumerate()
            .map(|(c, &m)| (c as u64, if c == 1 { m + singles } else { m }))
            .filter(|&(_, m)| m != 0)
            .collect();
        out.extend(
            self.sparse.iter().filter(|&(&(col, _), &m)| col as usize == column && m != 0).map(|(&(_, c), &m)| (c, m)),
        );
        out
    }

    /// `[level][0]`: the whole sample's profile; `[level][1 + g]`: without group g.
    fn profiles(&self) -> Vec<Vec<CountProfile>> {
        let g = self.groups;
        (0..self.levels)
            .map(|level| {
                let full = self.column(level * (g + 1));
                let profile = |change: Vec<(u64, i64)>| {
                    let mut m: HashMap<u64, i64> = full.iter().copied().collect();
                    for (c, d) in change {
                        *m.entry(c).or_insert(0) += d;
                    }
                    CountProfile::from_pairs(m.into_iter().map(|(c, m)| {
                        debug_assert!(m >= 0, "a negative multiplicity");
                        (c, m.max(0) as u64)
                    }))
                };
                let mut row = vec![profile(Vec::new())];
                row.par_extend((0..g).into_par_iter().map(|j| profile(self.column(level * (g + 1) + 1 + j))));
                row
            })
            .collect()
    }
}

/// A run that may continue in a neighbouring task: its prefix, count and per-group counts.
#[derive(Clone)]
struct Open {
    prefix: u64,
    count: u64,
    groups: Vec<u64>,
}

impl Open {
    fn close_into(self, tally: &mut Tally, level: usize) {
        let groups = self.groups.iter().enumerate().filter(|&(_, &c)| c > 0).map(|(g, &c)| (g, c));
        tally.close(level, self.count, groups);
    }
}

/// What a task hands the stitch: its closed runs, and per level the run it began with (if closed inside
/// the task) and the run still open at its end (with whether it is also the run it began with).
struct TaskOut {
    tally: Tally,
    heads: Vec<Option<Open>>,
    tails: Vec<Option<(Open, bool)>>,
    empty: bool,
}

/// The walk of one task's sorted keys. Levels are 0-based here (level l holds (l + 1)-blocks); per
/// level, flat arrays: the open run's count, its count in each group (`[l × G + g]`), the groups it has
/// touched (`touched[l × G + k]` for k < `touched_len[l]`), and whether it began at the task's first key.
struct Walk<'a> {
    lay: &'a Layout,
    groups: usize,
    count: Vec<u64>,
    in_group: Vec<u64>,
    touched: Vec<u32>,
    touched_len: Vec<usize>,
    head: Vec<bool>,
    /// Levels 0..open are open.
    open: usize,
    /// The block of the last key walked.
    prev: u64,
    out: TaskOut,
}

impl<'a> Walk<'a> {
    fn new(lay: &'a Layout, groups: usize) -> Walk<'a> {
        let n = lay.n;
        Walk {
            lay,
            groups,
            count: vec![0; n],
            in_group: vec![0; n * groups],
            touched: vec![0; n * groups],
            touched_len: vec![0; n],
            head: vec![false; n],
            open: 0,
            prev: 0,
            out: TaskOut { tally: Tally::new(n, groups), heads: vec![None; n], tails: vec![None; n], empty: true },
        }
    }

    /// Walks a task's sorted keys.
    ///
    /// A key whose neighbours share fewer than n digits with it is a block seen once at order n — most
    /// blocks of the long orders. So a key enters the runs only up to the levels it shares with a
    /// neighbour, and its levels above are tallied as singletons in one step (a difference array over the
    /// levels); only runs of two or more keys are opened and closed. The task's first and last keys enter
    /// at every level, since their runs may continue in the neighbouring tasks.
    fn run(mut self, keys: &[u64]) -> TaskOut {
        let lay = self.lay;
        let (n, g) = (lay.n, self.groups);
        let mask = (1u64 << lay.group_bits) - 1;
        // Blocks are ≠ 0: a key is only made where a block starts.
        let depth = |block: u64| lay.depth[block.trailing_zeros() as usize] as usize;
        let shared = |a: u64, b: u64| lay.shared[(a ^ b).leading_zeros() as usize] as usize;
        // Singletons by level: `diff[column × (N + 1) + level]`, column 0 the whole sample, 1 + g group g.
        let mut diff = vec![0i64; (g + 1) * (n + 1)];
        let Some(&first) = keys.first() else { return self.out };
        self.out.empty = false;
        let mut block = first >> lay.group_bits;
        let mut d = depth(block);
        self.head[..d].iter_mut().for_each(|h| *h = true);
        let mut before = d; // levels shared with the previous key (the first: all, it may continue a run)
        for i in 0..keys.len() {
            let group = (keys[i] & mask) as usize;
            let (after, next) = match keys.get(i + 1) {
                Some(&k) => {
                    let next = k >> lay.group_bits;
                    let nd = depth(next);
                    (shared(block, next).min(d).min(nd), Some((next, nd)))
                }
                None => (d, None),
            };
            let m = before.max(after);
            if m < d {
                diff[m] += 1;
                diff[d] -= 1;
                diff[(1 + group) * (n + 1) + m] += 1;
                diff[(1 + group) * (n + 1) + d] -= 1;
            }
            for level in (before.min(self.open)..self.open).rev() {
                self.close(level, false);
            }
            self.open = m;
            if m > 0 {
                self.count[m - 1] += 1;
                self.touch(m - 1, group, 1);
            }
            self.prev = block;
            if let Some((next, nd)) = next {
                (block, d, before) = (next, nd, after);
            }
        }
        for level in (0..self.open).rev() {
            self.close(level, true);
        }
        for column in 0..=g {
            let mut run = 0i64;
            for level in 0..n {
                run += diff[column * (n + 1) + level];
                self.out.tally.singles[level * (g + 1) + column] += run;
            }
        }
        self.out
    }

    /// Adds `c` to the open run at level `l` in `group`.
    #[inline]
    fn touch(&mut self, l: usize, group: usize, c: u64) {
        let g = self.groups;
        let slot = &mut self.in_group[l * g + group];
        if *slot == 0 {
            self.touched[l * g + self.touched_len[l]] = group as u32;
            self.touched_len[l] += 1;
        }
        *slot += c;
    }

    /// Closes the open run at level `l` into the tally, the task's heads or (`tail`) its tails, and adds
    /// its counts to the run one level up.
    fn close(&mut self, l: usize, tail: bool) {
        let g = self.groups;
        let count = std::mem::take(&mut self.count[l]);
        let head = std::mem::take(&mut self.head[l]);
        let len = std::mem::take(&mut self.touched_len[l]);
        if head || tail {
            let prefix = self.prev >> (self.lay.w * (self.lay.n - 1 - l) as u32);
            let mut groups = vec![0u64; g];
            for &t in &self.touched[l * g..l * g + len] {
                groups[t as usize] = self.in_group[l * g + t as usize];
            }
            let open = Open { prefix, count, groups };
            if tail {
                self.out.tails[l] = Some((open, head));
            } else {
                self.out.heads[l] = Some(open);
            }
        } else if count == 1 {
            // A block seen once (most blocks of the long orders): deleting its group takes it out.
            let t = self.touched[l * g] as usize;
            self.out.tally.singles[l * (g + 1)] += 1;
            self.out.tally.singles[l * (g + 1) + 1 + t] += 1;
        } else {
            let (touched, in_group) = (&self.touched[l * g..l * g + len], &self.in_group[l * g..(l + 1) * g]);
            self.out.tally.close(l, count, touched.iter().map(|&t| (t as usize, in_group[t as usize])));
        }
        for k in 0..len {
            let t = self.touched[l * g + k] as usize;
            let c = std::mem::take(&mut self.in_group[l * g + t]);
            if l > 0 {
                self.touch(l - 1, t, c);
            }
        }
        if l > 0 {
            self.count[l - 1] += count;
        }
    }
}

/// Joins the tasks' boundary runs, in key order.
struct Stitch {
    tally: Tally,
    /// Per level, the run still open after the tasks so far.
    open: Vec<Option<Open>>,
}

impl Stitch {
    fn new(n: usize, groups: usize) -> Stitch {
        Stitch { tally: Tally::new(n, groups), open: vec![None; n] }
    }

    /// `run` continues the open run at `level` if their prefixes agree; otherwise the open one is closed.
    fn join(&mut self, level: usize, run: Open) {
        match self.open[level].take() {
            Some(mut open) if open.prefix == run.prefix => {
                open.count += run.count;
                open.groups.iter_mut().zip(&run.groups).for_each(|(a, b)| *a += b);
                self.open[level] = Some(open);
            }
            other => {
                if let Some(o) = other {
                    o.close_into(&mut self.tally, level);
                }
                self.open[level] = Some(run);
            }
        }
    }

    fn close(&mut self, level: usize) {
        if let Some(o) = self.open[level].take() {
            o.close_into(&mut self.tally, level);
        }
    }

    fn take(&mut self, task: TaskOut) {
        if task.empty {
            return;
        }
        self.tally.merge(&task.tally);
        for (level, (head, tail)) in task.heads.into_iter().zip(task.tails).enumerate() {
            match (head, tail) {
                (Some(head), tail) => {
                    // The task's first run ended inside it.
                    self.join(level, head);
                    self.close(level);
                    if let Some((tail, _)) = tail {
                        self.open[level] = Some(tail);
                    }
                }
                (None, Some((tail, true))) => self.join(level, tail),
                (None, tail) => {
                    // The task began below this level (a shorter block): any open run ended before it.
                    self.close(level);
                    self.open[level] = tail.map(|(t, _)| t);
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Vec<CountProfile>> {
        for level in 0..self.open.len() {
            self.close(level);
        }
        self.tally.profiles()
    }
}

/// Consecutive ranges of `sizes` summing to at most `limit` each (a single larger item alone).
fn ranges(sizes: &[usize], limit: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut sum) = (0, 0);
    for (i, &s) in sizes.iter().enumerate() {
        if sum + s > limit && i > start {
            out.push(start..i);
            (start, sum) = (i, 0);
        }
        sum += s;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// The count profiles of the n-blocks of `tokens` for n = 1..=`max_order` — `[n − 1][0]` the whole
/// sample's, `[n − 1][1 + g]` the sample's without jackknife group g, the groups being the start positions
/// `starts[g]..starts[g + 1]` — or `None` when the keys would not fit 64 bits. At most `budget` keys
/// (8 bytes each) are held at once.
pub(crate) fn profiles(
    tokens: &[u32],
    max_order: usize,
    starts: &[usize],
    budget: usize,
    release: &(dyn Fn(std::ops::Range<usize>) + Sync),
) -> Option<Vec<Vec<CountProfile>>> {
    let groups = starts.len() - 1;
    let lay = Layout::new(tokens, max_order, groups)?;
    let len = tokens.len();
    let chunks: Vec<(usize, usize)> = (0..len).step_by(CHUNK).map(|lo| (lo, (lo + CHUNK).min(len))).collect();
    let buckets = 1usize << lay.bucket_bits;
    // Keys per bucket, per chunk: where each chunk writes.
    let sizes: Vec<Vec<u32>> = chunks
        .par_iter()
        .map(|&(lo, hi)| {
            let mut h = vec![0u32; buckets];
            lay.keys(tokens, lo, hi, starts, |k| h[lay.bucket(k)] += 1);
            release(lo..hi);
            h
        })
        .collect();
    let totals: Vec<usize> = (0..buckets).map(|b| sizes.iter().map(|h| h[b] as usize).sum()).collect();
    let mut stitch = Stitch::new(max_order, groups);
    for range in ranges(&totals, budget.max(1)) {
        // Zeroed by the allocator (fresh pages, first touched by the parallel scatter), not by a single-
        // threaded fill: on 419 M keys the fill took longer than the scatter (page faults are dear on this
        // project's virtual machines; transparent huge pages, tried, were slower still to fault in).
        let mut keys = vec![0u64; totals[range.clone()].iter().sum()];
        // Scatter: the range's buckets one after another, each in chunk order.
        let mut pieces: Vec<Vec<&mut [u64]>> = (0..chunks.len()).map(|_| Vec::with_capacity(range.len())).collect();
        let mut bucket_sizes: Vec<usize> = Vec::with_capacity(range.len());
        let mut rest = &mut keys[..];
        for b in range.clone() {
            bucket_sizes.push(totals[b]);
            for (c, h) in sizes.iter().enumerate() {
                let (piece, tail) = rest.split_at_mut(h[b] as usize);
                pieces[c].push(piece);
                rest = tail;
            }
        }
        chunks.par_iter().zip(pieces).for_each(|(&(lo, hi), mut mine)| {
            let mut at = vec![0usize; range.len()];
            lay.keys(tokens, lo, hi, starts, |k| {
                let b = lay.bucket(k);
                if range.contains(&b) {
                    let j = b - range.start;
                    mine[j][at[j]] = k;
                    at[j] += 1;
                }
            });
            release(lo..hi);
        });
        // Walk: tasks of consecutive buckets, about equal in keys.
        let per_task = keys.len().div_ceil(TASKS).max(1);
        let tasks = ranges(&bucket_sizes, per_task);
        let mut slices: Vec<&mut [u64]> = Vec::with_capacity(tasks.len());
        let mut rest = &mut keys[..];
        for t in &tasks {
            let (s, tail) = rest.split_at_mut(bucket_sizes[t.clone()].iter().sum());
            slices.push(s);
            rest = tail;
        }
        let sort_bits = lay.group_bits..lay.group_bits + lay.block_bits - lay.bucket_bits;
        let outs: Vec<TaskOut> = tasks
            .par_iter()
            .zip(slices)
            .map(|(t, slice)| {
                let mut scratch = Vec::new();
                let mut rest = &mut *slice;
                for &size in &bucket_sizes[t.clone()] {
                    let (bucket, tail) = rest.split_at_mut(size);
                    rest = tail;
                    radix::sort_bits(bucket, sort_bits.clone(), &mut scratch);
                }
                Walk::new(&lay, groups).run(slice)
            })
            .collect();
        for out in outs {
            stitch.take(out);
        }
    }
    Some(stitch.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The hashed counter's profiles, whole and with each group deleted (`crate::entropy`).
    fn hashed(tokens: &[u32], n: usize, starts: &[usize]) -> Vec<Vec<CountProfile>> {
        crate::entropy::hashed_profiles(tokens, n, starts)
    }

    fn starts(len: usize, g: usize) -> Vec<usize> {
        (0..=g).map(|j| j * len / g).collect()
    }

    #[test]
    fn hand_worked_profiles() {
        // a b a b ␣ a (ids 3, 4, 5): 2-blocks ab ×2, ba, b␣, ␣a; groups {0,1,2} and {3,4,5}.
        let t = [3, 4, 3, 4, 5, 3];
        let p = profiles(&t, 3, &starts(6, 2), usize::MAX, &|_| {}).unwrap();
        assert_eq!(p[0][0].pairs(), &[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(p[1][0].pairs(), &[(1, 3), (2, 1)]);
        assert_eq!(p[2][0].pairs(), &[(1, 4)]);
        // Without group 0 (starts 0, 1, 2): 2-blocks b␣ (start 3), ␣a (start 4); start 5 has no 2-block.
        assert_eq!(p[1][1].pairs(), &[(1, 2)]);
        // Without group 1: ab ×1 (start 0, the one at 2 is in group 0 too: ab ×2), ba.
        assert_eq!(p[1][2].pairs(), &[(1, 1), (2, 1)]);
    }

    #[test]
    fn layout_refuses_keys_past_64_bits() {
        let letters: Vec<u32> = (0..1000u32).map(|i| 3 + i % 27).collect();
        assert!(Layout::new(&letters, 11, 20).is_some(), "5 × 11 + 5 bits");
        assert!(Layout::new(&letters, 12, 20).is_none(), "5 × 12 + 5 bits");
        let bytes: Vec<u32> = (0..1000u32).map(|i| 3 + i % 256).collect();
        assert!(Layout::new(&bytes, 6, 20).is_some());
        assert!(Layout::new(&bytes, 7, 20).is_none());
        assert!(Layout::new(&[BOS, EOS], 3, 20).is_none(), "no symbols");
    }

    #[test]
    fn budgets_and_tasks_do_not_change_the_profiles() {
        let mut t: Vec<u32> = Vec::new();
        for i in 0..20_000u32 {
            if i % 61 == 0 {
                t.extend([EOS, BOS]);
            }
            t.push(3 + (i * 7 + i / 5 + (i * i) % 13) % 9);
        }
        let s = starts(t.len(), 7);
        let oracle = hashed(&t, 8, &s);
        for budget in [usize::MAX, 5000, 700, 1] {
            // Every position is handed back once per pass over the text (the sizes, then one per range of keys).
            let released = std::sync::atomic::AtomicUsize::new(0);
            let count = |r: std::ops::Range<usize>| {
                released.fetch_add(r.len(), std::sync::atomic::Ordering::Relaxed);
            };
            assert_eq!(profiles(&t, 8, &s, budget, &count).unwrap(), oracle, "budget {budget}");
            let released = released.into_inner();
            assert_eq!(released % t.len(), 0, "budget {budget}: whole passes");
            let passes = released / t.len();
            assert!(passes == 2 || (budget < usize::MAX && passes > 2), "budget {budget}: {passes} passes");
        }
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(one.install(|| profiles(&t, 8, &s, 3000, &|_| {})).unwrap(), oracle);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn same_profiles_as_the_hashed_counter(
            text in proptest::collection::vec(0u32..8, 0..600),
            n in 1usize..7,
            g in 2usize..9,
            budget in 1usize..400,
        ) {
            // 0 and 1 become the markers; symbols 3..=8.
            let t: Vec<u32> = text.iter().map(|&x| match x { 0 => BOS, 1 => EOS, x => x + 1 }).collect();
            let s = starts(t.len(), g);
            match profiles(&t, n, &s, budget, &|_| {}) {
                Some(p) => prop_assert_eq!(p, hashed(&t, n, &s)),
                None => prop_assert!(t.iter().all(|&x| is_marker(x))),
            }
        }
    }
}
