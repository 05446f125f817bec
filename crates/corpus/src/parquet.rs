//! Parquet documents: a file's rows, each with its text in a string column (a dotted path reaches into
//! struct columns) and optionally an id column, read through arrow-rs's `parquet` crate.
//!
//! A Parquet file is read whole into memory (as every input is once decompressed), then row group by row
//! group, reading only the text and id columns. A row whose text is null is a bad record named by row group
//! and row (from 1, within the group); a text column that does not hold strings, or a missing column, is an
//! error for the whole file.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::documents::{Options, Record};

/// The magic bytes at both ends of a Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Whether `bytes` are a Parquet file: `PAR1` at the start and at the end.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(MAGIC) && bytes.ends_with(MAGIC)
}

/// What cannot be read, and where: a row (row group and row within it, both from 1) or the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Row group, from 1; 0 for the file as a whole.
    pub row_group: usize,
    /// Row within its group, from 1; 0 for the file as a whole.
    pub row: u64,
    /// What is wrong.
    pub problem: String,
}

/// A Parquet file's documents.
#[derive(Debug)]
pub struct Rows {
    /// Every readable row's document, in file order; `line` is the row's number in the file (from 1) and
    /// `raw` is `row − 1 .. row`, the row's index.
    pub records: Vec<Record<'static>>,
    /// Rows skipped for a null text (`skip_bad_records`).
    pub skipped: u64,
    /// The first row skipped.
    pub first_bad: Option<BadRow>,
}

fn whole(problem: String) -> BadRow {
    BadRow { row_group: 0, row: 0, problem }
}

/// The column at a dotted path in a batch, through struct columns.
fn column(batch: &RecordBatch, path: &str) -> Option<ArrayRef> {
    if let Some(c) = batch.column_by_name(path) {
        return Some(c.clone());
    }
    let mut parts = path.split('.');
    let mut current = batch.column_by_name(parts.next()?)?.clone();
    for part in parts {
        let s: &StructArray = current.as_struct_opt()?;
        current = s.column_by_name(part)?.clone();
    }
    Some(current)
}

/// The string at row `i` of a string column; `None` for null. `Err` names the column's type when it does
/// not hold strings.
fn string_at(array: &dyn Array, i: usize) -> Result<Option<String>, String> {
    if array.is_null(i) {
        return Ok(None);
    }
    Ok(Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => array.as_string_view().value(i).to_string(),
        other => return Err(format!("{other}")),
    }))
}

/// An id as text: strings as they are, integers in decimal.
fn id_at(array: &dyn Array, i: usize) -> Result<Option<String>, String> {
    use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
    if array.is_null(i) {
        return Ok(None);
    }
    Ok(Some(match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(i).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(i).to_string(),
        _ => return string_at(array, i),
    }))
}

/// The leaf columns to read: those at or under each dotted path.
fn projection(builder: &ParquetRecordBatchReaderBuilder<bytes::Bytes>, paths: &[&str]) -> ProjectionMask {
    let schema = builder.parquet_schema();
    let leaves: Vec<usize> = (0..schema.num_columns())
        .filter(|&i| {
            let p = schema.column(i).path().string();
            paths.iter().any(|want| p == *want || p.starts_with(&format!("{want}.")))
        })
        .collect();
    ProjectionMask::leaves(schema, leaves)
}

/// Reads the documents of a Parquet file held in `bytes`.
pub fn read(bytes: &[u8], options: &Options) -> Result<Rows, BadRow> {
    let data = bytes::Bytes::copy_from_slice(bytes);
    let open = || {
        ParquetRecordBatchReaderBuilder::try_new(data.clone())
            .map_err(|e| whole(format!("not a readable Parquet file ({e})")))
    };
    let builder = open()?;
    let groups: Vec<i64> = builder.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    let fields: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut paths = vec![options.text_field.as_str()];
    if let Some(id) = &options.id_field {
        paths.push(id);
    }
    let mask = projection(&builder, &paths);
    let mut rows = Rows { records: Vec::new(), skipped: 0, first_bad: None };
    let mut row_number = 0u64;
    for (g, &n) in groups.iter().enumerate() {
        let reader = open()?
            .with_row_groups(vec![g])
            .with_projection(mask.clone())
            .with_batch_size(8192)
            .build()
            .map_err(|e| whole(format!("row group {}: {e}", g + 1)))?;
        let mut row_in_group = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| BadRow {
                row_group: g + 1,
                row: row_in_group + 1,
                problem: format!("cannot be read ({e})"),
            })?;
            let Some(text) = column(&batch, &options.text_field) else {
                return Err(whole(format!("no column \"{}\" (columns: {})", options.text_field, fields.join(", "))));
            };
            let ids = options.id_field.as_deref().and_then(|f| column(&batch, f));
            for i in 0..batch.num_rows() {
                row_in_group += 1;
                row_number += 1;
                let at = |problem: String| BadRow { row_group: g + 1, row: row_in_group, problem };
                let value = string_at(text.as_ref(), i)
                    .map_err(|t| whole(format!("column \"{}\" holds {t}, not strings", options.text_field)))?;
                let Some(value) = value else {
                    let bad = at(format!("column \"{}\" is null", options.text_field));
                    if !options.skip_bad_records {
                        return Err(bad);
                    }
                    rows.skipped += 1;
                    rows.first_bad.get_or_insert(bad);
                    continue;
                };
                let id = match &ids {
                    Some(a) => id_at(a.as_ref(), i).map_err(|t| {
                        whole(format!("id column \"{}\" holds {t}", options.id_field.as_deref().unwrap_or("")))
                    })?,
                    None => None,
                };
                let index = (row_number - 1) as usize;
                rows.records.push(Record { line: row_number, id, text: Cow::Owned(value), raw: index..index + 1 });
            }
        }
        debug_assert_eq!(row_in_group as i64, n);
    }
    Ok(rows)
}

/// A Parquet file's schema and its rows as record batches, each with its first row's index in the file.
pub type Batches = (Arc<arrow_schema::Schema>, Vec<(usize, RecordBatch)>);

/// Every row of a Parquet file held in `bytes`, all columns, as record batches with their first row's index
/// in the file: what `shannon filter` selects kept rows from.
pub fn batches(bytes: &[u8]) -> Result<Batches, String> {
    let data = bytes::Bytes::copy_from_slice(bytes);
    let builder = ParquetRecordBatchReaderBuilder::try_new(data).map_err(|e| e.to_string())?;
    let schema = builder.schema().clone();
    let reader = builder.with_batch_size(8192).build().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut first = 0;
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        let n = batch.num_rows();
        out.push((first, batch));
        first += n;
    }
    Ok((schema, out))
}
