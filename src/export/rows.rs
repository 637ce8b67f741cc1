//! Typed columns and a row-at-a-time builder of Arrow record batches.
//!
//! A table is a static list of [`Column`]s (name, [`Type`], documentation); [`Rows`] holds one Arrow
//! builder per column and is filled one row at a time, one call per column in the list's order. A call
//! whose type does not match its column, or a row with too few or too many values, is never a panic: the
//! batch then fails to build ([`Rows::finish`]) with the column named.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::time::Timestamp;

/// The time zone of every timestamp column: instants in UTC (Parquet `isAdjustedToUTC = true`).
pub const UTC: &str = "UTC";

/// A column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// 32-bit signed integer (pids, fds, ports, signal numbers).
    Int32,
    /// 64-bit signed integer (sizes in bytes, counts, ids).
    Int64,
    /// 64-bit unsigned integer (addresses and inode numbers, which may use the top bit).
    UInt64,
    /// 64-bit float (seconds of CPU time, load averages).
    Float64,
    /// Boolean.
    Bool,
    /// UTF-8 text; bytes from the evidence that are not UTF-8 are kept in the byte-string escape
    /// (`\xNN`, and `\\` for a backslash).
    Utf8,
    /// An instant: microseconds since the epoch, UTC.
    Timestamp,
    /// A list of UTF-8 texts (argv, cgroup lines).
    ListUtf8,
    /// A list of 32-bit integers (nspid).
    ListInt32,
}

impl Type {
    /// The Arrow data type.
    pub fn arrow(self) -> DataType {
        match self {
            Type::Int32 => DataType::Int32,
            Type::Int64 => DataType::Int64,
            Type::UInt64 => DataType::UInt64,
            Type::Float64 => DataType::Float64,
            Type::Bool => DataType::Boolean,
            Type::Utf8 => DataType::Utf8,
            Type::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            Type::ListUtf8 => DataType::List(Arc::new(item(DataType::Utf8))),
            Type::ListInt32 => DataType::List(Arc::new(item(DataType::Int32))),
        }
    }

    /// The type as docs/schema.md names it (the DuckDB type a reader sees).
    pub fn sql(self) -> &'static str {
        match self {
            Type::Int32 => "INTEGER",
            Type::Int64 => "BIGINT",
            Type::UInt64 => "UBIGINT",
            Type::Float64 => "DOUBLE",
            Type::Bool => "BOOLEAN",
            Type::Utf8 => "VARCHAR",
            Type::Timestamp => "TIMESTAMP WITH TIME ZONE",
            Type::ListUtf8 => "VARCHAR[]",
            Type::ListInt32 => "INTEGER[]",
        }
    }
}

fn item(t: DataType) -> Field {
    Field::new("item", t, true)
}

/// One column of a table.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// What it holds, its unit and its source (docs/schema.md is generated from this).
    pub doc: &'static str,
}

/// `Column { name, ty, doc }` in one line.
pub const fn col(name: &'static str, ty: Type, doc: &'static str) -> Column {
    Column { name, ty, doc }
}

/// The Arrow schema of `columns`: every column nullable (unknown is null, never a made-up zero) except
/// `capture_id`.
pub fn schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(c.name, c.ty.arrow(), c.name != "capture_id"))
            .collect::<Vec<_>>(),
    ))
}

enum Builder {
    Int32(Int32Builder),
    Int64(Int64Builder),
    UInt64(UInt64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    Utf8(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    ListUtf8(ListBuilder<StringBuilder>),
    ListInt32(ListBuilder<Int32Builder>),
}

impl Builder {
    fn new(ty: Type) -> Builder {
        match ty {
            Type::Int32 => Builder::Int32(Int32Builder::new()),
            Type::Int64 => Builder::Int64(Int64Builder::new()),
            Type::UInt64 => Builder::UInt64(UInt64Builder::new()),
            Type::Float64 => Builder::Float64(Float64Builder::new()),
            Type::Bool => Builder::Bool(BooleanBuilder::new()),
            Type::Utf8 => Builder::Utf8(StringBuilder::new()),
            Type::Timestamp => {
                Builder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone(UTC))
            }
            Type::ListUtf8 => Builder::ListUtf8(
                ListBuilder::new(StringBuilder::new()).with_field(item(DataType::Utf8)),
            ),
            Type::ListInt32 => Builder::ListInt32(
                ListBuilder::new(Int32Builder::new()).with_field(item(DataType::Int32)),
            ),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::UInt64(b) => Arc::new(b.finish()),
            Builder::Float64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Utf8(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::ListUtf8(b) => Arc::new(b.finish()),
            Builder::ListInt32(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Builder::Int32(b) => b.len(),
            Builder::Int64(b) => b.len(),
            Builder::UInt64(b) => b.len(),
            Builder::Float64(b) => b.len(),
            Builder::Bool(b) => b.len(),
            Builder::Utf8(b) => b.len(),
            Builder::Timestamp(b) => b.len(),
            Builder::ListUtf8(b) => b.len(),
            Builder::ListInt32(b) => b.len(),
        }
    }
}

/// Microseconds since the epoch, `None` when out of the 64-bit range.
pub fn micros(t: Timestamp) -> Option<i64> {
    t.as_micros()
}

/// Rows of one table being built.
pub struct Rows {
    columns: &'static [Column],
    builders: Vec<Builder>,
    /// The column the next value goes to.
    at: usize,
    /// The first type mismatch (`column`, what was given).
    mismatch: Option<(usize, &'static str)>,
}

impl Rows {
    /// No rows yet, for a table of `columns`.
    pub fn new(columns: &'static [Column]) -> Rows {
        Rows {
            columns,
            builders: columns.iter().map(|c| Builder::new(c.ty)).collect(),
            at: 0,
            mismatch: None,
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.builders.first().map_or(0, Builder::len)
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn next(&mut self, given: &'static str) -> Option<&mut Builder> {
        let i = self.at;
        self.at += 1;
        let b = self.builders.get_mut(i);
        if b.is_none() && self.mismatch.is_none() {
            self.mismatch = Some((i, given));
        }
        b
    }

    fn wrong(&mut self, given: &'static str) {
        if self.mismatch.is_none() {
            self.mismatch = Some((self.at.saturating_sub(1), given));
        }
    }

    /// Next column: a 32-bit integer.
    pub fn i32(&mut self, v: Option<i32>) -> &mut Self {
        match self.next("Int32") {
            Some(Builder::Int32(b)) => b.append_option(v),
            _ => self.wrong("Int32"),
        }
        self
    }

    /// Next column: a 64-bit integer.
    pub fn i64(&mut self, v: Option<i64>) -> &mut Self {
        match self.next("Int64") {
            Some(Builder::Int64(b)) => b.append_option(v),
            _ => self.wrong("Int64"),
        }
        self
    }

    /// Next column: a 64-bit integer from an unsigned count (null when above `i64::MAX`, which no real
    /// size or count reaches).
    pub fn u_as_i64(&mut self, v: Option<u64>) -> &mut Self {
        self.i64(v.and_then(|v| i64::try_from(v).ok()))
    }

    /// Next column: a size in KiB, stored in bytes (null on overflow).
    pub fn kib_as_bytes(&mut self, v: Option<u64>) -> &mut Self {
        self.i64(
            v.and_then(|k| k.checked_mul(1024))
                .and_then(|b| i64::try_from(b).ok()),
        )
    }

    /// Next column: a 64-bit unsigned integer.
    pub fn u64(&mut self, v: Option<u64>) -> &mut Self {
        match self.next("UInt64") {
            Some(Builder::UInt64(b)) => b.append_option(v),
            _ => self.wrong("UInt64"),
        }
        self
    }

    /// Next column: a float (null when not finite).
    pub fn f64(&mut self, v: Option<f64>) -> &mut Self {
        match self.next("Float64") {
            Some(Builder::Float64(b)) => b.append_option(v.filter(|f| f.is_finite())),
            _ => self.wrong("Float64"),
        }
        self
    }

    /// Next column: a boolean.
    pub fn bool(&mut self, v: Option<bool>) -> &mut Self {
        match self.next("Bool") {
            Some(Builder::Bool(b)) => b.append_option(v),
            _ => self.wrong("Bool"),
        }
        self
    }

    /// Next column: text.
    pub fn str(&mut self, v: Option<&str>) -> &mut Self {
        match self.next("Utf8") {
            Some(Builder::Utf8(b)) => b.append_option(v),
            _ => self.wrong("Utf8"),
        }
        self
    }

    /// Next column: bytes from the evidence, as text in the byte-string escape.
    pub fn bytes(&mut self, v: Option<&crate::bytes::ByteString>) -> &mut Self {
        let s = v.map(|b| b.escaped());
        self.str(s.as_deref())
    }

    /// Next column: an instant.
    pub fn ts(&mut self, v: Option<Timestamp>) -> &mut Self {
        match self.next("Timestamp") {
            Some(Builder::Timestamp(b)) => b.append_option(v.and_then(micros)),
            _ => self.wrong("Timestamp"),
        }
        self
    }

    /// Next column: a list of texts (null when `None`, an empty list when empty).
    pub fn list_str<S: AsRef<str>>(&mut self, v: Option<&[S]>) -> &mut Self {
        match self.next("ListUtf8") {
            Some(Builder::ListUtf8(b)) => match v {
                Some(items) => {
                    for s in items {
                        b.values().append_value(s.as_ref());
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
            _ => self.wrong("ListUtf8"),
        }
        self
    }

    /// Next column: a list of byte strings, each in the byte-string escape.
    pub fn list_bytes(&mut self, v: Option<&[crate::bytes::ByteString]>) -> &mut Self {
        let escaped: Option<Vec<String>> = v.map(|v| v.iter().map(|b| b.escaped()).collect());
        self.list_str(escaped.as_deref())
    }

    /// Next column: a list of 32-bit integers.
    pub fn list_i32(&mut self, v: Option<&[i32]>) -> &mut Self {
        match self.next("ListInt32") {
            Some(Builder::ListInt32(b)) => match v {
                Some(items) => {
                    for n in items {
                        b.values().append_value(*n);
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
            _ => self.wrong("ListInt32"),
        }
        self
    }

    /// Ends the row: every column must have had its value.
    pub fn end(&mut self) {
        if self.at != self.columns.len() && self.mismatch.is_none() {
            self.mismatch = Some((self.at.min(self.columns.len()), "row of the wrong length"));
        }
        self.at = 0;
    }

    /// The record batch.
    pub fn finish(mut self) -> Result<RecordBatch, String> {
        if let Some((i, given)) = self.mismatch {
            let name = self
                .columns
                .get(i)
                .map_or("(past the last column)", |c| c.name);
            return Err(format!("column {i} ({name}): {given} does not fit"));
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        RecordBatch::try_new(schema(self.columns), arrays).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLS: &[Column] = &[
        col("capture_id", Type::Utf8, "id"),
        col("n", Type::Int32, "n"),
        col("argv", Type::ListUtf8, "argv"),
        col("t", Type::Timestamp, "t"),
    ];

    #[test]
    fn rows_become_a_batch_of_the_schema() {
        let mut r = Rows::new(COLS);
        r.str(Some("a"))
            .i32(Some(1))
            .list_str(Some(&["x", "y"]))
            .ts(Some(Timestamp {
                secs: 1,
                nanos: 2000,
            }));
        r.end();
        r.str(Some("a")).i32(None).list_str::<&str>(None).ts(None);
        r.end();
        let b = r.finish().unwrap();
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.schema().field(3).data_type(), &Type::Timestamp.arrow());
        assert!(!b.schema().field(0).is_nullable());
    }

    #[test]
    fn a_wrong_type_or_length_is_an_error_naming_the_column() {
        let mut r = Rows::new(COLS);
        r.str(Some("a")).i64(Some(1));
        r.end();
        let e = r.finish().unwrap_err();
        assert!(e.contains("column 1 (n)"), "{e}");
        let mut r = Rows::new(COLS);
        r.str(Some("a"));
        r.end();
        assert!(r.finish().unwrap_err().contains("wrong length"));
    }
}
