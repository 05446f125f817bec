//! How much memory counting may use (`--memory`) and where its sorted runs and on-disk counts go
//! (`--temp-dir`): shared by the jobs that count (`build`, `compare`, `entropy`'s guessing game).

use std::path::{Path, PathBuf};

use shannon_counts::paged::Paged;
use shannon_counts::store::Store;
use shannon_counts::{DiskUse, Limits};
use shannon_model::filtered::Wanted;
use shannon_report::MemoryUse;
use shannon_tokens::Vocab;

use crate::progress::Progress;
use crate::{cleanup, Error, Result};

/// How much memory counting may use (`--memory`) and where it spills sorted runs past it (`--temp-dir`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountMemory {
    /// Bytes for counting (the token positions' arrays and sorting: [`sorting`]) and for estimating from
    /// counts on disk; `None`: the default ([`default_budget`]).
    pub memory: Option<u64>,
    /// Parent of the spill directory; `None`: the system's temporary directory.
    pub temp_dir: Option<PathBuf>,
    /// Where a given `memory` came from when it was not `--memory` itself (a batch job's share).
    pub why: Option<String>,
}

impl CountMemory {
    /// Where spill directories go: `--temp-dir`, or the system's temporary directory.
    pub(crate) fn parent(&self) -> PathBuf {
        self.temp_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// A fresh private spill directory, removed when dropped and, through [`cleanup`], on Ctrl-C.
    pub(crate) fn spill_dir(&self) -> Result<SpillDir> {
        let parent = self.parent();
        let dir = tempfile::Builder::new()
            .prefix(".shannon-spill-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(format!("creating a spill directory in {} (--temp-dir)", parent.display()), e))?;
        let registered = cleanup::register(dir.path());
        Ok(SpillDir { _registered: registered, dir })
    }
}

impl CountMemory {
    /// The sorting budget — `--memory`, or else [`default_budget`] — and where it came from.
    pub fn budget(&self) -> (u64, String) {
        match self.memory {
            Some(bytes) => (bytes, self.why.clone().unwrap_or_else(|| "--memory".into())),
            None => {
                let (bytes, why) = default_budget();
                (bytes, format!("the default, {why}; --memory sets it"))
            }
        }
    }
}

/// A spill directory: unregistered from interruption cleanup, then removed, when dropped.
pub(crate) struct SpillDir {
    _registered: cleanup::Registered,
    dir: tempfile::TempDir,
}

impl SpillDir {
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The fraction of the available memory a job's sorting takes when `--memory` is not given: a half, because
/// the token stream and the estimation arrays come on top of it (lmplz's `-S` defaults to 80% of physical
/// memory for its sorting alone and is killed on machines where other processes hold memory; GNU sort
/// starts smaller and grows).
const DEFAULT_SHARE: u64 = 2;

/// The budget when the available memory cannot be read.
const FALLBACK: u64 = 1 << 30;

/// The least budget chosen: below it, every order would spill in small runs.
const LEAST: u64 = 64 << 20;

/// The sorting budget a job takes when `--memory` is not given, and the words that say why: half of the
/// memory available now (`MemAvailable`, and within a cgroup v2 limit the room left under it), or 1 GiB
/// where neither can be read.
pub fn default_budget() -> (u64, String) {
    match available() {
        Some(bytes) => ((bytes / DEFAULT_SHARE).max(LEAST), format!("half of the {} of memory available", size(bytes))),
        None => (FALLBACK, "1 GiB: the memory available could not be read".into()),
    }
}

pub use shannon_counts::disk::size;

/// Bytes each token position holds while counting, beside the sorting memory: the token stream (4) and the
/// id of each position's n-gram (4: each order's written over the order below's).
const POSITION_BYTES: u64 = 8;

/// Counting's sorting memory within a job's `budget` for `positions` token positions held in memory (none
/// where they are kept in files, [`page_positions`]) and a vocabulary of `vocab` bytes: what the token stream
/// and its ids ([`POSITION_BYTES`] a position) and the vocabulary, all held while counting, leave of the
/// budget, so that counting's peak stays within it — and at least [`LEAST`] (or the whole budget, if smaller),
/// in which case the second value says that what is held takes (nearly) all of the budget and the peak will
/// exceed it.
pub fn sorting(budget: u64, positions: usize, vocab: u64) -> (u64, Option<String>) {
    let arrays = POSITION_BYTES * positions as u64;
    let (bytes, enough) = beside(budget, arrays + vocab);
    if enough {
        return (bytes, None);
    }
    let held = if positions == 0 {
        format!("the vocabulary takes {} while counting", size(vocab))
    } else {
        format!(
            "the token stream and its ids take {} while counting ({positions} positions, {POSITION_BYTES} bytes \
             each)",
            size(arrays)
        )
    };
    let note = format!(
        "{held}, {} the budget of {}; n-grams are sorted within {} beside them, so counting's peak exceeds the \
         budget",
        if arrays + vocab > budget { "more than" } else { "nearly all of" },
        size(budget),
        size(bytes)
    );
    (bytes, Some(note))
}

/// What `held` bytes leave of `budget` for working memory, and whether that is at least [`LEAST`]; where not,
/// [`LEAST`] (never more than the budget itself: a tiny budget, as tests use, works in tiny pieces, as asked).
pub(crate) fn beside(budget: u64, held: u64) -> (u64, bool) {
    let left = budget.saturating_sub(held);
    let least = LEAST.min(budget);
    (left.max(least), left >= least)
}

/// Hands memory the allocator holds free back to the system. glibc keeps what a thread frees in that thread's
/// arena, and tokenizing frees on the worker threads each chunk's vocabulary and ids once merged: without
/// this, some 300 MB of the 400 MB text's stay resident through counting, a third of a 1 GiB budget.
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas; no live allocation is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Whether counting keeps the token stream and its per-position ids in files rather than in memory
/// ([`shannon_counts::count_paged_to_store`]): where they would take more than a quarter of `budget`
/// ([`POSITION_BYTES`] a position), so that sorting keeps most of the budget and the stream's length does
/// not count against it (a text of letters has some five positions a word). Said on stderr when so.
pub(crate) fn page_positions(budget: u64, positions: usize, progress: &dyn Progress) -> bool {
    let arrays = POSITION_BYTES * positions as u64;
    let paged = in_files(arrays, budget);
    if paged {
        progress.message(&format!(
            "note: the token stream and its ids ({} for {positions} positions, more than a quarter of the budget \
             of {}) are kept in files beside the counts and read a section at a time",
            size(arrays),
            size(budget)
        ));
    }
    paged
}

/// A training token stream to count: ids in memory, or a file tallied in its [`DiskUse`] (tokenized
/// straight into it, so that it was never held whole).
pub(crate) enum Train {
    Ids(Vec<u32>),
    File(Paged, DiskUse),
}

impl Train {
    fn len(&self) -> usize {
        match self {
            Train::Ids(ids) => ids.len(),
            Train::File(file, _) => file.len(),
        }
    }
}

/// Whether per-position arrays of `bytes` are read from files a part at a time rather than held in memory:
/// where they would take more than a quarter of `budget`.
pub(crate) fn in_files(bytes: u64, budget: u64) -> bool {
    bytes > budget / 4
}

/// Counts `train` (orders 1..=`order`) into `store` within `limits`, from memory or, when `paged`, from a
/// file (in `limits.temp_dir`, where `train` is ids, written there and then freed) read a section at a time.
/// Returns the tokens counted.
pub(crate) fn count_store(
    train: Train,
    paged: bool,
    vocab: usize,
    order: usize,
    limits: &Limits,
    store: &mut Store,
) -> Result<u64> {
    let file = match train {
        Train::Ids(ids) if !paged => return Ok(shannon_counts::count_to_store(&ids, vocab, order, limits, store)?),
        Train::File(file, _) if !paged => {
            return Ok(shannon_counts::count_to_store(file.values(), vocab, order, limits, store)?)
        }
        Train::Ids(ids) => {
            let path = limits.temp_dir.join("positions-tokens.bin");
            let file = Paged::write(&path, &ids, &limits.disk).map_err(|e| {
                let bytes = size(4 * ids.len() as u64);
                Error::io(format!("writing the token stream ({bytes}) to {} (--temp-dir)", path.display()), e)
            })?;
            drop(ids);
            release_freed();
            file
        }
        Train::File(file, _) => file,
    };
    Ok(shannon_counts::count_paged_to_store(&file, vocab, order, limits, store)?)
}

/// [`sorting`], said through `progress`: a note where the arrays leave too little, the share with `-v`.
pub(crate) fn sort_within(budget: u64, positions: usize, vocab: &Vocab, progress: &dyn Progress) -> u64 {
    let (bytes, over) = sorting(budget, positions, vocab.heap_bytes() as u64);
    if let Some(over) = over {
        progress.message(&format!("note: {over}"));
    }
    progress.detail(&format!("counting sorts within {} of the budget of {}", size(bytes), size(budget)));
    bytes
}

/// Training counts kept on disk, and the n-grams of one text that they hold: what `compare --memory` and the
/// guessing game estimate their models from ([`shannon_model::filtered`]), keeping only what scoring that
/// text asks for. The spill directory that holds the store is removed when this is dropped.
pub(crate) struct OnDisk {
    pub(crate) store: Store,
    pub(crate) wanted: Wanted,
    pub(crate) disk: DiskUse,
    /// Whether the training stream and its ids were kept in files while counting ([`page_positions`]).
    paged: bool,
    _spill: SpillDir,
}

impl OnDisk {
    /// Counts `train` (orders 1..=`order`) into a store on disk within `budget` bytes, less what the token
    /// positions held in memory while counting take ([`sort_within`]: `text`'s, and `train`'s unless they
    /// are kept in files, [`page_positions`]), and finds which of `text`'s n-grams the store holds.
    pub(crate) fn count(
        memory: &CountMemory,
        budget: u64,
        train: Train,
        text: &[u32],
        vocab: &Vocab,
        order: usize,
        progress: &dyn Progress,
    ) -> Result<OnDisk> {
        let spill = memory.spill_dir()?;
        let paged = page_positions(budget, train.len() + text.len(), progress);
        let held = if paged { text.len() } else { train.len() + text.len() };
        let sorting = sort_within(budget, held, vocab, progress);
        // One tally for every temporary file, the training stream's own included.
        let disk = match &train {
            Train::File(_, disk) => disk.clone(),
            Train::Ids(_) => DiskUse::new(),
        };
        let limits = Limits { memory: Some(sorting), temp_dir: spill.path().to_path_buf(), index: false, disk };
        let dir = spill.path().join("counts");
        std::fs::create_dir(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let mut store = Store::new(&dir);
        store.tally_in(&limits.disk);
        count_store(train, paged, vocab.len(), order, &limits, &mut store)?;
        let counted = shannon_counts::count_within(text, vocab.len(), order, &limits)?;
        let wanted = Wanted::new(&store, &counted)
            .map_err(|e| Error::io(format!("reading the counts in {}", dir.display()), e))?;
        progress.detail(&format!(
            "the scored text's {} positions were counted in memory; the tables of its n-grams that training holds \
             take {} while every model is estimated",
            text.len(),
            size(wanted.heap_bytes() as u64)
        ));
        Ok(OnDisk { store, wanted, disk: limits.disk, paged, _spill: spill })
    }

    /// The bytes each model's estimation may take: what the vocabulary, the wanted n-grams and the `text`
    /// tokens to be scored (4 bytes each), all held while estimating, leave of `budget`.
    pub(crate) fn estimation_budget(&self, budget: u64, vocab: &Vocab, text: usize) -> u64 {
        let held = vocab.heap_bytes() + self.wanted.heap_bytes() + 4 * text;
        budget.saturating_sub(held as u64)
    }

    /// What keeping within `budget` (from `why`) cost, for a report's timings; said with `-v` too.
    pub(crate) fn memory_use(&self, budget: u64, why: &str, progress: &dyn Progress) -> MemoryUse {
        let kept: Vec<u64> = self.wanted.ngrams().iter().map(|&n| n as u64).collect();
        progress.detail(&format!(
            "each model keeps the n-grams of the text it scores that training holds: {} per order",
            kept.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
        progress.detail(&disk_note(&self.disk));
        MemoryUse {
            budget_bytes: budget,
            budget: why.to_string(),
            counts: "disk".into(),
            kept_ngrams: kept,
            spilled_runs: self.disk.spilled_runs(),
            temp_disk_peak_bytes: self.disk.peak_bytes(),
            positions: if self.paged { "disk" } else { "memory" }.into(),
        }
    }
}

/// What counting's temporary files came to (for `-v`): their peak, and whether sorting spilled runs.
pub fn disk_note(disk: &shannon_counts::DiskUse) -> String {
    let peak = size(disk.peak_bytes());
    match disk.spilled_runs() {
        0 => format!("temporary disk: {peak} at the peak; every order was sorted within the budget"),
        runs => format!("temporary disk: {peak} at the peak; {runs} sorted runs spilled (the budget was full)"),
    }
}

/// Bytes of memory available to this process now: Linux's `MemAvailable`, less where the process's cgroup
/// (v2) has a lower limit left.
fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = |line: &str| line.split_whitespace().nth(1)?.parse::<u64>().ok();
    let mut bytes = meminfo.lines().find(|l| l.starts_with("MemAvailable:")).and_then(kib)? * 1024;
    if let Some(room) = cgroup_room() {
        bytes = bytes.min(room);
    }
    Some(bytes)
}

/// The room left under this process's cgroup v2 memory limit, if it has one.
fn cgroup_room() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok()?.trim().parse::<u64>().ok();
    // "max" (no limit) does not parse.
    let max = read("memory.max")?;
    Some(max.saturating_sub(read("memory.current").unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_takes_what_the_positions_leave_of_the_budget() {
        assert_eq!(sorting(1 << 30, 1_000_000, 1000), ((1 << 30) - 8_001_000, None));
        let (bytes, note) = sorting(1 << 30, 150_000_000, 0);
        assert_eq!(bytes, LEAST);
        let note = note.expect("the arrays exceed the budget");
        assert!(note.contains("1.1 GiB") && note.contains("more than the budget of 1.0 GiB"), "{note}");
        // A budget below the least is taken as it is.
        assert_eq!(sorting(4096, 1000, 0).0, 4096);
    }

    #[test]
    fn the_default_budget_is_at_least_the_least_and_says_why() {
        let (bytes, why) = default_budget();
        assert!(bytes >= LEAST, "{bytes}");
        assert!(why.contains("memory available"), "{why}");
    }
}
