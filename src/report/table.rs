//! Tables: one column-spec mechanism for every report, and the one place tables are laid out.
//!
//! A report describes its table as columns ([`ColumnSpec`]: header, alignment, and the [`Kind`] of value
//! CSV writes) and rows of typed [`Cell`]s; list reports build both from one list of `Col`s (header,
//! kind and how to get the cell from a row) with `build`. A cell knows its table text (`-` when unknown,
//! `00:01:02` for CPU time, `10:04:05` for a start time) and its CSV value (empty when unknown, seconds,
//! RFC 3339). Every cell passes through [`visible`] when it is written, so no report can let a control
//! character from the evidence through.
//!
//! Layout: columns are padded to their widest cell, two spaces apart, numbers right-aligned, the last
//! column unpadded. Piped (no width), every cell is written whole. On a terminal of `width` columns, each
//! line is cut at the width (the last column is cut, like `ps`); a text column (not the last) far wider
//! than the terminal is first narrowed to leave the last column room, its cells ending in `…` where cut.
//! One row stays one line either way.

use std::borrow::Cow;
use std::io::Write;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::escape::visible;
use crate::time::Timestamp;

/// What a column holds, which decides how CSV writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text, written as shown (escaped); empty when unknown.
    Text,
    /// A number: CSV has the number (CPU times in seconds) or an empty cell, never `-`.
    Number,
    /// A moment: CSV has RFC 3339 (ISO 8601) UTC, or an empty cell.
    Time,
}

/// A column of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Header (also the CSV header).
    pub header: String,
    /// What the cells hold.
    pub kind: Kind,
    /// Right-aligned in tables (numbers).
    pub right: bool,
}

impl ColumnSpec {
    /// A column of `kind`; numbers are right-aligned.
    pub fn new(header: impl Into<String>, kind: Kind) -> Self {
        ColumnSpec {
            header: header.into(),
            kind,
            right: kind == Kind::Number,
        }
    }
}

/// One cell: what the table shows and what CSV writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Unknown or absent: `-` in tables, empty in CSV.
    Absent,
    /// Nothing to say (a total row's empty cells): empty in both.
    Blank,
    /// Shown in tables only, empty in CSV: a column's own mark for unknown (`?` for no terminal, like
    /// `ps`), or a stand-in for a value CSV cannot hold in its column's kind.
    Mark(String),
    /// Text, the same in both.
    Text(String),
    /// A number, already formatted, the same in both.
    Number(String),
    /// A duration in seconds: `[DD-]HH:MM:SS` in tables, seconds in CSV.
    Duration(f64),
    /// A moment: `shown` in tables, RFC 3339 in CSV.
    Time {
        /// The moment.
        at: Timestamp,
        /// Its table text (a short form).
        shown: String,
    },
}

/// Numbers a [`Cell::num`] accepts.
pub trait Num: std::fmt::Display {}
impl Num for i32 {}
impl Num for i64 {}
impl Num for u8 {}
impl Num for u16 {}
impl Num for u32 {}
impl Num for u64 {}
impl Num for usize {}
impl Num for f64 {}

impl Cell {
    /// A number.
    pub fn num(n: impl Num) -> Cell {
        Cell::Number(n.to_string())
    }

    /// A number, or [`Cell::Absent`].
    pub fn opt_num(n: Option<impl Num>) -> Cell {
        n.map_or(Cell::Absent, Cell::num)
    }

    /// Text.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// Text, or [`Cell::Absent`].
    pub fn opt_text(s: Option<impl Into<String>>) -> Cell {
        s.map_or(Cell::Absent, |s| Cell::Text(s.into()))
    }

    /// A moment shown as `shown`.
    pub fn time(at: Timestamp, shown: impl Into<String>) -> Cell {
        Cell::Time {
            at,
            shown: shown.into(),
        }
    }

    /// The table text (not yet escaped).
    pub fn shown(&self) -> Cow<'_, str> {
        match self {
            Cell::Absent => Cow::Borrowed("-"),
            Cell::Blank => Cow::Borrowed(""),
            Cell::Mark(m) => Cow::Borrowed(m.as_str()),
            Cell::Text(s) | Cell::Number(s) => Cow::Borrowed(s),
            Cell::Duration(secs) => Cow::Owned(super::cpu_time(*secs)),
            Cell::Time { shown, .. } => Cow::Borrowed(shown),
        }
    }

    /// The CSV value (not yet escaped or quoted).
    pub fn csv(&self) -> Cow<'_, str> {
        match self {
            Cell::Absent | Cell::Blank | Cell::Mark(_) => Cow::Borrowed(""),
            Cell::Text(s) | Cell::Number(s) => Cow::Borrowed(s),
            Cell::Duration(secs) => Cow::Owned(((secs * 1000.0).round() / 1000.0).to_string()),
            Cell::Time { at, .. } => Cow::Owned(at.rfc3339()),
        }
    }
}

/// A table: columns and rows of cells (one cell per column).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The columns.
    pub columns: Vec<ColumnSpec>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The headers.
    pub fn headers(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.header.as_str()).collect()
    }

    /// Each row's table text, unescaped (for tests and for callers that want the text).
    pub fn texts(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(|c| c.shown().into_owned()).collect())
            .collect()
    }
}

/// A column of a list report: its spec and how to get its cell from a row of type `T`.
pub(crate) struct Col<'a, T> {
    spec: ColumnSpec,
    cell: Box<dyn Fn(&T) -> Cell + 'a>,
}

impl<'a, T> Col<'a, T> {
    /// A text column.
    pub fn text(header: &str, cell: impl Fn(&T) -> Cell + 'a) -> Self {
        Self::of(header, Kind::Text, cell)
    }

    /// A number column (right-aligned).
    pub fn num(header: &str, cell: impl Fn(&T) -> Cell + 'a) -> Self {
        Self::of(header, Kind::Number, cell)
    }

    /// A time column.
    pub fn time(header: &str, cell: impl Fn(&T) -> Cell + 'a) -> Self {
        Self::of(header, Kind::Time, cell)
    }

    /// A column of `kind`.
    pub fn of(header: &str, kind: Kind, cell: impl Fn(&T) -> Cell + 'a) -> Self {
        Col {
            spec: ColumnSpec::new(header, kind),
            cell: Box::new(cell),
        }
    }

    /// Left-aligned whatever the kind (CPU times, like the rest of the row's times).
    pub fn left(mut self) -> Self {
        self.spec.right = false;
        self
    }
}

/// The table of `items`, one row each, in `cols`.
pub(crate) fn build<'a, T: 'a>(cols: &[Col<'a, T>], items: impl IntoIterator<Item = T>) -> Table {
    Table {
        columns: cols.iter().map(|c| c.spec.clone()).collect(),
        rows: items
            .into_iter()
            .map(|item| cols.iter().map(|c| (c.cell)(&item)).collect())
            .collect(),
    }
}

/// Display width of `s` (East Asian wide characters count two).
pub(crate) fn width_of(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The longest prefix of `s` at most `max` columns wide.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        w += UnicodeWidthChar::width(c).unwrap_or(0);
        if w > max {
            return &s[..i];
        }
    }
    s
}

/// `s` cut to `max` columns, ending in `…` when something was cut.
fn ellipsize(s: &str, max: usize) -> Cow<'_, str> {
    if width_of(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    Cow::Owned(format!("{}…", cut(s, max - 1)))
}

/// Writes `table`: whole when `width` is `None` (piped), fitted to `width` columns on a terminal.
pub(crate) fn write_table(
    table: &Table,
    width: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let ncol = table.columns.len();
    if ncol == 0 {
        return Ok(());
    }
    let header: Vec<Cow<'_, str>> = table
        .columns
        .iter()
        .map(|c| visible(&c.header).into_owned().into())
        .collect();
    let rows: Vec<Vec<Cow<'_, str>>> = table
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .take(ncol)
                .map(|c| match c.shown() {
                    Cow::Borrowed(s) => visible(s),
                    Cow::Owned(s) => Cow::Owned(visible(&s).into_owned()),
                })
                .collect()
        })
        .collect();
    let mut natural: Vec<usize> = header.iter().map(|h| width_of(h)).collect();
    for row in &rows {
        for (w, cell) in natural.iter_mut().zip(row) {
            *w = (*w).max(width_of(cell));
        }
    }
    let widths = match width {
        Some(w) => fit(&table.columns, &natural, w),
        None => natural.clone(),
    };
    let mut line = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let last = i + 1 == ncol;
            let cell: Cow<'_, str> = if last {
                Cow::Borrowed(cell)
            } else {
                ellipsize(cell, widths[i])
            };
            let pad = widths[i].saturating_sub(width_of(&cell));
            let right = table.columns[i].right;
            if right {
                line.extend(std::iter::repeat_n(' ', pad));
            }
            line.push_str(&cell);
            if !right && !last {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let text = line.trim_end();
        let text = match width {
            Some(w) => cut(text, w).trim_end(),
            None => text,
        };
        writeln!(out, "{text}")?;
    }
    Ok(())
}

/// Column widths for a terminal of `width` columns. When the natural widths do not fit, text columns (not
/// the last, not numbers or times) wider than a fifth of the terminal (at least 20) are narrowed, down to
/// that, so that the last column keeps at least a quarter of the line; what still does not fit is cut at
/// the line's end.
fn fit(columns: &[ColumnSpec], natural: &[usize], width: usize) -> Vec<usize> {
    let n = natural.len();
    let gaps = 2 * n.saturating_sub(1);
    let total: usize = natural.iter().sum::<usize>() + gaps;
    if total <= width || n < 2 {
        return natural.to_vec();
    }
    let floor = (width / 5).max(20);
    let last = n - 1;
    let keep_last = natural[last].min((width / 4).max(12));
    let budget = width.saturating_sub(keep_last + gaps);
    let shrinkable = |i: usize| {
        i != last && columns[i].kind == Kind::Text && !columns[i].right && natural[i] > floor
    };
    let fixed: usize = (0..last)
        .filter(|&i| !shrinkable(i))
        .map(|i| natural[i])
        .sum();
    let used = |cap: usize| -> usize {
        fixed
            + (0..last)
                .filter(|&i| shrinkable(i))
                .map(|i| natural[i].min(cap))
                .sum::<usize>()
    };
    let widest = natural.iter().copied().max().unwrap_or(0);
    if used(widest) <= budget {
        return natural.to_vec();
    }
    // The largest cap (at least `floor`) under which the columns before the last fit the budget.
    let (mut lo, mut hi) = (floor, widest);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if used(mid) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    (0..n)
        .map(|i| {
            if shrinkable(i) {
                natural[i].min(lo)
            } else {
                natural[i]
            }
        })
        .collect()
}

/// Writes `table` as CSV (RFC 4180): a header row, then one row per table row; CSV values per the
/// column's [`Kind`], control characters escaped (see [`visible`]), cells with `,` or `"` quoted.
pub(crate) fn write_csv(table: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let mut line = String::new();
    let headers = table
        .columns
        .iter()
        .map(|c| Cow::Borrowed(c.header.as_str()));
    push_csv_row(&mut line, headers);
    writeln!(out, "{line}")?;
    for row in &table.rows {
        line.clear();
        push_csv_row(&mut line, row.iter().map(Cell::csv));
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn push_csv_row<'a>(line: &mut String, cells: impl Iterator<Item = Cow<'a, str>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        let cell = visible(&cell);
        if cell.contains([',', '"']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let rows: Vec<(i32, &str, Option<u64>, &str)> = vec![
            (1, "root", Some(10), "/sbin/init"),
            (4242, "alice", None, "python3 -c x\n\x1b[31mRED"),
        ];
        type Row<'a> = (i32, &'a str, Option<u64>, &'a str);
        let cols: Vec<Col<'_, Row>> = vec![
            Col::num("PID", |r: &Row| Cell::num(r.0)),
            Col::text("USER", |r: &Row| Cell::text(r.1)),
            Col::num("RSS", |r: &Row| Cell::opt_num(r.2)),
            Col::text("ARGS", |r: &Row| Cell::text(r.3)),
        ];
        build(&cols, rows)
    }

    fn text(t: &Table, width: Option<usize>) -> String {
        let mut out = Vec::new();
        write_table(t, width, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn piped_tables_are_aligned_whole_and_escaped() {
        assert_eq!(
            text(&sample(), None),
            " PID  USER   RSS  ARGS\n   1  root    10  /sbin/init\n4242  alice    -  python3 -c x\\n\\x1b[31mRED\n"
        );
    }

    #[test]
    fn terminal_lines_are_cut_at_the_width() {
        let t = text(&sample(), Some(30));
        for l in t.lines() {
            assert!(width_of(l) <= 30, "{l}");
        }
        assert!(t.contains("4242  alice    -  python3 -c x\n"), "{t}");
        assert_eq!(t.lines().count(), 3);
    }

    #[test]
    fn a_wide_middle_column_is_narrowed_for_the_last() {
        let rows = [("a".repeat(200), "tail")];
        type Row<'a> = (String, &'a str);
        let cols: Vec<Col<'_, Row>> = vec![
            Col::text("OLD", |r: &Row| Cell::text(r.0.clone())),
            Col::text("NOTE", |r: &Row| Cell::text(r.1)),
        ];
        let t = text(&build(&cols, rows), Some(80));
        let line = t.lines().nth(1).unwrap();
        assert!(line.ends_with("…  tail"), "{line}");
        assert!(width_of(line) <= 80);
        // Numbers and narrow columns keep their width; wide characters count double.
        assert_eq!(
            fit(&[ColumnSpec::new("A", Kind::Number)], &[100], 80),
            [100]
        );
        assert_eq!(width_of("日本"), 4);
        assert_eq!(cut("日本語", 5), "日本");
    }

    #[test]
    fn csv_has_numbers_times_and_quoted_escaped_text() {
        let at = Timestamp {
            secs: 1_795_350_000,
            nanos: 0,
        };
        let t = Table {
            columns: vec![
                ColumnSpec::new("PID", Kind::Number),
                ColumnSpec::new("START", Kind::Time),
                ColumnSpec::new("TIME", Kind::Number),
                ColumnSpec::new("ARGS", Kind::Text),
            ],
            rows: vec![
                vec![
                    Cell::num(7),
                    Cell::time(at, "10:20:00"),
                    Cell::Duration(62.5),
                    Cell::text("say \"hi\", then\r\nleave"),
                ],
                vec![
                    Cell::Absent,
                    Cell::Absent,
                    Cell::Absent,
                    Cell::Mark("?".into()),
                ],
            ],
        };
        let mut out = Vec::new();
        write_csv(&t, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "PID,START,TIME,ARGS\n7,{},62.5,\"say \"\"hi\"\", then\\r\\nleave\"\n,,,\n",
                at.rfc3339()
            )
        );
        assert_eq!(Cell::Duration(62.5).shown(), "00:01:02");
    }
}
