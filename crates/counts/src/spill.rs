//! Counting past the memory limit: an external sort. Each section's [`Run`] is written to a spill file,
//! and the runs are merged k-way into the order (or straight into a [`crate::store::Store`]), which also
//! gives each section's local → global id map.
//!
//! Spill files live in the caller's temporary directory and are removed when dropped, on success and on
//! error alike.

use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::count::{Dest, Edge, Level, Limits};
use crate::error::Error;
use crate::sort::Run;
use crate::types::{key, Order, NONE};

impl Level<'_> {
    /// External sort: sections of `section` positions, each sorted into a run spilled to disk, then merged.
    /// Returns the order, or `None` when `dest` is a store and the runs were merged into it.
    pub(crate) fn count_sections(
        &self,
        section: usize,
        limits: &Limits,
        ids: Option<&[AtomicU32]>,
        dest: &mut Dest,
    ) -> Result<Option<Order>, Error> {
        let spill = |path: &Path| {
            let path = path.to_path_buf();
            move |source| limits.spill_error(self.n, path.clone(), source)
        };
        let ranges: Vec<Range<usize>> =
            (0..self.tokens.len()).step_by(section).map(|s| s..(s + section).min(self.tokens.len())).collect();
        // Each section's ids go over `prev` (when `ids` is `prev`) as soon as it is sorted, so the id each
        // section reads just before its start is taken now.
        let edges: Vec<Edge> = ranges
            .iter()
            .map(|r| Edge { start: r.start, before: if r.start == 0 { NONE } else { self.prev(r.start - 1) } })
            .collect();
        let mut runs = Vec::with_capacity(ranges.len());
        for (r, (range, &edge)) in ranges.iter().zip(&edges).enumerate() {
            let run = self.sort_section::<u32>(range.clone(), ids, edge);
            self.release(range);
            let path = limits.temp_dir.join(format!("order{}-run{r}.bin", self.n));
            let result = write_run(&path, &run).map_err(spill(&path));
            runs.push(SpillFile(path, limits.disk.clone()));
            result?;
            limits.disk.add((run.first.len() * RECORD) as u64);
            limits.disk.spilled_run();
        }
        let mut maps = Vec::new();
        for (r, _) in ranges.iter().enumerate() {
            maps.push(SpillFile(limits.temp_dir.join(format!("order{}-map{r}.bin", self.n)), limits.disk.clone()));
        }
        let maps_used = ids.map(|_| &maps[..]);
        let order = match dest {
            Dest::Memory(_) => Some(merge_runs(self.n, &runs, maps_used)),
            Dest::Store(store) => {
                let mut writer = store.writer(self.n).map_err(|(path, e)| limits.spill_error(self.n, path, e))?;
                merge_with(&runs, maps_used, |k, c, h| writer.push(k as u32, (k >> 32) as u32, h, c))
                    .map_err(|(path, source)| limits.spill_error(self.n, path, source))?;
                writer.finish().map_err(|(path, source)| limits.spill_error(self.n, path, source))?;
                None
            }
        };
        let order = order.transpose().map_err(|(path, source)| limits.spill_error(self.n, path, source))?;
        drop(runs);
        if let Some(ids) = ids {
            // Local ranks → global ids, one section at a time.
            for (range, map) in ranges.iter().zip(&maps) {
                let table = read_u32s(&map.0).map_err(spill(&map.0))?;
                ids[range.clone()].par_iter().with_min_len(1 << 14).for_each(|id| {
                    let local = id.load(Ordering::Relaxed);
                    if local != NONE {
                        id.store(table[local as usize], Ordering::Relaxed);
                    }
                });
                self.release(range);
            }
        }
        Ok(order)
    }
}

/// A spill file, removed when dropped (on success and on error alike), and its size taken off the tally.
struct SpillFile(PathBuf, crate::DiskUse);

impl Drop for SpillFile {
    fn drop(&mut self) {
        let size = std::fs::metadata(&self.0).map(|m| m.len());
        if std::fs::remove_file(&self.0).is_ok() {
            self.1.remove(size.unwrap_or(0));
        }
    }
}

/// Run records on disk: key `(suffix << 32) | first` (u64), count (u32), history (u32), little-endian.
const RECORD: usize = 16;

fn write_run(path: &Path, run: &Run<u32>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let columns = run.suffix.iter().zip(&run.first).zip(&run.count).zip(&run.history);
    for (((&s, &f), &c), &h) in columns {
        let mut rec = [0u8; RECORD];
        rec[..8].copy_from_slice(&key(s, f).to_le_bytes());
        rec[8..12].copy_from_slice(&c.to_le_bytes());
        rec[12..].copy_from_slice(&h.to_le_bytes());
        out.write_all(&rec)?;
    }
    out.flush()
}

fn read_u32s(path: &Path) -> io::Result<Vec<u32>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

/// A run read back in blocks.
struct RunReader {
    input: std::io::BufReader<std::fs::File>,
    buf: Vec<u8>,
    at: usize,
}

impl RunReader {
    fn open(path: &Path) -> io::Result<RunReader> {
        Ok(RunReader {
            input: std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?),
            buf: Vec::new(),
            at: 0,
        })
    }

    fn next(&mut self) -> io::Result<Option<(u64, u32, u32)>> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            (&mut self.input).take(RECORD as u64 * 4096).read_to_end(&mut self.buf)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            if !self.buf.chunks_exact(RECORD).remainder().is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated run"));
            }
        }
        let r = &self.buf[self.at..self.at + RECORD];
        self.at += RECORD;
        let k = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
        let c = u32::from_le_bytes(r[8..12].try_into().expect("4 bytes"));
        let h = u32::from_le_bytes(r[12..].try_into().expect("4 bytes"));
        Ok(Some((k, c, h)))
    }
}

/// K-way merge of sorted runs into one order; with `maps`, writes each run's local → global id map.
fn merge_runs(n: usize, runs: &[SpillFile], maps: Option<&[SpillFile]>) -> Result<Order, (PathBuf, io::Error)> {
    // At most every record is distinct: reserving that much touches (and makes resident) only the pages
    // used, and shrinking gives the rest back, so the columns are never copied while they grow.
    let mut records = 0;
    for r in runs {
        records += std::fs::metadata(&r.0).map_err(|e| (r.0.clone(), e))?.len() as usize / RECORD;
    }
    let mut order = Order {
        n,
        first: Vec::with_capacity(records),
        suffix: Vec::with_capacity(records),
        history: Vec::with_capacity(records),
        count: Vec::with_capacity(records),
        index: HashMap::new(),
    };
    merge_with(runs, maps, |k, c, h| {
        order.first.push(k as u32);
        order.suffix.push((k >> 32) as u32);
        order.count.push(c);
        order.history.push(h);
        Ok(())
    })?;
    order.first.shrink_to_fit();
    order.suffix.shrink_to_fit();
    order.history.shrink_to_fit();
    order.count.shrink_to_fit();
    Ok(order)
}

/// K-way merge of sorted runs: calls `emit(key, count, history)` for every distinct key in order, its
/// counts summed over the runs; with `maps`, writes each run's local → global id map.
fn merge_with(
    runs: &[SpillFile],
    maps: Option<&[SpillFile]>,
    mut emit: impl FnMut(u64, u64, u32) -> Result<(), (PathBuf, io::Error)>,
) -> Result<(), (PathBuf, io::Error)> {
    let at = |p: &Path| {
        let p = p.to_path_buf();
        move |e| (p.clone(), e)
    };
    let mut readers = Vec::with_capacity(runs.len());
    for r in runs {
        readers.push(RunReader::open(&r.0).map_err(at(&r.0))?);
    }
    let mut sinks = Vec::new();
    for m in maps.unwrap_or(&[]) {
        sinks.push(BufWriter::with_capacity(1 << 16, std::fs::File::create(&m.0).map_err(at(&m.0))?));
    }
    let mut heap = std::collections::BinaryHeap::new();
    let mut current = vec![(0u32, 0u32); runs.len()];
    for (r, reader) in readers.iter_mut().enumerate() {
        if let Some((k, c, h)) = reader.next().map_err(at(&runs[r].0))? {
            current[r] = (c, h);
            heap.push(std::cmp::Reverse((k, r)));
        }
    }
    // The key being summed: (key, count, history), emitted when the next key differs.
    let mut pending: Option<(u64, u64, u32)> = None;
    let mut id: u32 = 0;
    while let Some(std::cmp::Reverse((k, r))) = heap.pop() {
        let (c, h) = current[r];
        match &mut pending {
            Some((key, count, _)) if *key == k => *count += u64::from(c),
            _ => {
                if let Some((key, count, history)) = pending.take() {
                    emit(key, count, history)?;
                    id += 1;
                }
                pending = Some((k, u64::from(c), h));
            }
        }
        if let Some(sink) = sinks.get_mut(r) {
            sink.write_all(&id.to_le_bytes()).map_err(at(&maps.expect("sinks")[r].0))?;
        }
        if let Some((k, c, h)) = readers[r].next().map_err(at(&runs[r].0))? {
            current[r] = (c, h);
            heap.push(std::cmp::Reverse((k, r)));
        }
    }
    if let Some((key, count, history)) = pending {
        emit(key, count, history)?;
    }
    for (r, mut sink) in sinks.into_iter().enumerate() {
        let map = &maps.expect("sinks")[r];
        sink.flush().map_err(at(&map.0))?;
        map.1.add(std::fs::metadata(&map.0).map_err(at(&map.0))?.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{count_within, Limits};

    #[test]
    fn spill_errors_name_the_file() {
        let t: Vec<u32> = (0..1000u32).map(|i| 3 + i % 7).collect();
        let limits = Limits {
            memory: Some(1),
            temp_dir: "/nonexistent/shannon-spill".into(),
            index: true,
            ..Default::default()
        };
        let err = count_within(&t, 10, 3, &limits).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/shannon-spill/order2-run0.bin"), "{err}");
        assert!(err.contains("--temp-dir"), "{err}");
    }
}
