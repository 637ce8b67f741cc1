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
//! column unpadded. Piped (no width), every cell is written whole, one row per line. On a terminal of
//! `width` columns, each line is cut at the width (the last column is cut, like `ps`); a text column (not
//! the last) far wider than the terminal is first narrowed to leave the last column room, its cells ending
//! in `…` where cut. One row stays one line, unless the table has wrapping columns ([`ColumnSpec::wrap`],
//! `diff`'s OLD, NEW and NOTE): when it does not fit, their values wrap instead of being cut, beside the
//! other columns while each wrapping column can have 30 columns, else each on its own line under its row
//! (see [`write_table`]).

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
    /// On a terminal too narrow for the table, the column's values wrap onto more lines instead of being
    /// cut (see [`write_table`]); whole values matter more here than one line per row.
    pub wrap: bool,
}

impl ColumnSpec {
    /// A column of `kind`; numbers are right-aligned.
    pub fn new(header: impl Into<String>, kind: Kind) -> Self {
        ColumnSpec {
            header: header.into(),
            kind,
            right: kind == Kind::Number,
            wrap: false,
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

    /// Wraps on a narrow terminal instead of being cut (see [`ColumnSpec::wrap`]).
    pub fn wrap(mut self) -> Self {
        self.spec.wrap = true;
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

/// Writes `table`: whole when `width` is `None` (piped), fitted to `width` columns on a terminal. A table
/// that does not fit and has wrapping columns is written by [`write_side_by_side`] when [`wrap_layout`]
/// finds them room beside the other columns, else by [`write_stacked`]; any other by [`fit`]'s widths.
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
            (0..ncol)
                .map(|i| match r.get(i).map(Cell::shown) {
                    None => Cow::Borrowed(""),
                    Some(Cow::Borrowed(s)) => visible(s),
                    Some(Cow::Owned(s)) => Cow::Owned(visible(&s).into_owned()),
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
    let specs: Vec<&ColumnSpec> = table.columns.iter().collect();
    let mut line = String::new();
    if let Some(w) = width {
        let total = natural.iter().sum::<usize>() + 2 * (ncol - 1);
        if total > w && table.columns.iter().any(|c| c.wrap) {
            return match wrap_layout(&table.columns, &natural, w) {
                Some(widths) => write_side_by_side(&specs, &header, &rows, &widths, w, out),
                None => write_stacked(&specs, &header, &rows, &natural, w, out),
            };
        }
    }
    let widths = match width {
        Some(w) => fit(&table.columns, &natural, w),
        None => natural.clone(),
    };
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<&str> = row.iter().map(|c| c.as_ref()).collect();
        push_line(&mut line, &cells, &specs, &widths);
        writeln!(out, "{}", end_line(&line, width))?;
    }
    Ok(())
}

/// Lays `cells` out in `line`: padded to `widths`, two spaces apart, numbers right-aligned, every cell but
/// the last ending in `…` where cut, the last unpadded.
fn push_line(line: &mut String, cells: &[&str], specs: &[&ColumnSpec], widths: &[usize]) {
    line.clear();
    let n = cells.len();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let last = i + 1 == n;
        let cell: Cow<'_, str> = if last {
            Cow::Borrowed(cell)
        } else {
            ellipsize(cell, widths[i])
        };
        let pad = widths[i].saturating_sub(width_of(&cell));
        let right = specs[i].right;
        if right {
            line.extend(std::iter::repeat_n(' ', pad));
        }
        line.push_str(&cell);
        if !right && !last {
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
}

/// `line` without trailing spaces, cut at `width` on a terminal.
fn end_line(line: &str, width: Option<usize>) -> &str {
    let text = line.trim_end();
    match width {
        Some(w) => cut(text, w).trim_end(),
        None => text,
    }
}

/// Below this many columns for a wrapping column whose values are wider, the wrapping columns of a table go
/// under their row instead of beside it: a command line in pieces of twenty columns takes more lines, and
/// is harder to read, than the same on lines of its own.
const MIN_WRAP: usize = 30;

/// Column widths for a table with wrapping columns that does not fit `width` columns, when its wrapping
/// columns can stay beside the others: the other text columns narrowed as [`fit`] narrows them (to a fifth
/// of the terminal, at least 20), and what is left shared by the wrapping columns, each given at most its
/// widest value and the narrower ones first. `None` when a wrapping column would get less than
/// [`MIN_WRAP`] columns (and less than its widest value): the table is then stacked.
fn wrap_layout(columns: &[ColumnSpec], natural: &[usize], width: usize) -> Option<Vec<usize>> {
    let n = natural.len();
    let gaps = 2 * n.saturating_sub(1);
    let floor = (width / 5).max(20);
    let mut widths = natural.to_vec();
    for (w, c) in widths.iter_mut().zip(columns) {
        if !c.wrap && c.kind == Kind::Text && !c.right {
            *w = (*w).min(floor);
        }
    }
    let wraps: Vec<usize> = (0..n).filter(|&i| columns[i].wrap).collect();
    let fixed: usize = (0..n)
        .filter(|&i| !columns[i].wrap)
        .map(|i| widths[i])
        .sum();
    let avail = width.saturating_sub(fixed + gaps);
    let used = |cap: usize| wraps.iter().map(|&i| natural[i].min(cap)).sum::<usize>();
    // The largest cap under which the wrapping columns fit what is left.
    let (mut lo, mut hi) = (0, natural.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if used(mid) <= avail {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let starved = wraps.iter().any(|&i| natural[i] > lo) && lo < MIN_WRAP;
    if starved && wraps.len() < n {
        return None;
    }
    for &i in &wraps {
        widths[i] = natural[i].min(lo).max(1);
    }
    Some(widths)
}

/// `s` in pieces at most `room` columns wide (see [`split_at_width`]), as a word wrap makes them: the spaces
/// where a line breaks end the line before (where they do not show) rather than start the next, so that
/// every piece starts at its column. One empty piece for an empty `s`.
fn pieces(s: &str, room: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let (head, tail) = split_at_width(rest, room.max(1));
        out.push(head);
        let tail = tail.trim_start_matches(' ');
        if tail.is_empty() {
            return out;
        }
        rest = tail;
    }
}

/// The table with its wrapping columns beside the others: a row whose wrapping values are wider than their
/// columns takes more lines, its values continued in their own columns and every other column blank. A row
/// is therefore told from the continuation of one by its other columns (in `diff`, KIND is never empty).
fn write_side_by_side(
    specs: &[&ColumnSpec],
    header: &[Cow<'_, str>],
    rows: &[Vec<Cow<'_, str>>],
    widths: &[usize],
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut line = String::new();
    let head: Vec<&str> = header.iter().map(|h| h.as_ref()).collect();
    push_line(&mut line, &head, specs, widths);
    writeln!(out, "{}", end_line(&line, Some(width)))?;
    for row in rows {
        let split: Vec<Vec<&str>> = row
            .iter()
            .zip(specs)
            .zip(widths)
            .map(|((cell, spec), &w)| match spec.wrap {
                true => pieces(cell, w),
                false => vec![cell.as_ref()],
            })
            .collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            let cells: Vec<&str> = split
                .iter()
                .map(|p| p.get(k).copied().unwrap_or(""))
                .collect();
            push_line(&mut line, &cells, specs, widths);
            writeln!(out, "{}", end_line(&line, Some(width)))?;
        }
    }
    Ok(())
}

/// The table with its wrapping columns under each row, for a terminal too narrow to hold them beside the
/// others: the row's line has the other columns (fitted as [`fit`] fits a table), then each non-empty
/// wrapping value has a line `HEADER  value`, indented to the column after the first number column (past
/// `diff`'s PID; by 4 when every row starts with a visible character, as `check`'s do), the value wrapped
/// under itself on lines marked `…` where the header was. Every line under a row thus starts with blanks
/// then a header or `…` at the indent, which a row's line never does: a value cannot make a line that looks
/// like a row.
fn write_stacked(
    specs: &[&ColumnSpec],
    header: &[Cow<'_, str>],
    rows: &[Vec<Cow<'_, str>>],
    natural: &[usize],
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let keep: Vec<usize> = (0..specs.len()).filter(|&i| !specs[i].wrap).collect();
    let wraps: Vec<usize> = (0..specs.len()).filter(|&i| specs[i].wrap).collect();
    let kept_specs: Vec<ColumnSpec> = keep.iter().map(|&i| specs[i].clone()).collect();
    let kept_refs: Vec<&ColumnSpec> = kept_specs.iter().collect();
    let kept_natural: Vec<usize> = keep.iter().map(|&i| natural[i]).collect();
    let widths = fit(&kept_specs, &kept_natural, width);
    // The indent: 4 when every row's line starts with a visible character (a left-aligned first column
    // no value of which is empty or starts with a space: `check`'s SEVERITY), since a line of blanks is
    // then never a row; else where the column after the first number column starts (past `diff`'s PID:
    // its `!` column is mostly blank), else 4; less when that would leave the values under `MIN_WRAP`
    // columns.
    let label_width = wraps
        .iter()
        .map(|&i| width_of(&header[i]))
        .max()
        .unwrap_or(0);
    let rows_start_visibly = keep.first().is_some_and(|&c| {
        !specs[c].right
            && rows.iter().all(|r| {
                r.get(c)
                    .and_then(|v| v.chars().next())
                    .is_some_and(|ch| !ch.is_whitespace())
            })
    });
    let mut indent = 4;
    let mut at = 0;
    for (j, spec) in kept_specs.iter().enumerate() {
        if rows_start_visibly {
            break;
        }
        if spec.right && j + 1 < kept_specs.len() {
            indent = at + widths[j] + 2;
            break;
        }
        at += widths[j] + 2;
    }
    indent = indent.min(width.saturating_sub(label_width + 2 + MIN_WRAP));
    let value_at = indent + label_width + 2;
    let room = width.saturating_sub(value_at).max(1);
    let pad = |s: &str| {
        let mut t = String::with_capacity(value_at + 8);
        t.extend(std::iter::repeat_n(' ', indent));
        t.push_str(s);
        t.extend(std::iter::repeat_n(
            ' ',
            value_at.saturating_sub(indent + width_of(s)),
        ));
        t
    };
    let mut line = String::new();
    let head: Vec<&str> = keep.iter().map(|&i| header[i].as_ref()).collect();
    push_line(&mut line, &head, &kept_refs, &widths);
    writeln!(out, "{}", end_line(&line, Some(width)))?;
    for row in rows {
        let cells: Vec<&str> = keep.iter().map(|&i| row[i].as_ref()).collect();
        push_line(&mut line, &cells, &kept_refs, &widths);
        writeln!(out, "{}", end_line(&line, Some(width)))?;
        for &i in &wraps {
            if row[i].is_empty() {
                continue;
            }
            for (k, piece) in pieces(&row[i], room).into_iter().enumerate() {
                let lead = pad(if k == 0 { &header[i] } else { "…" });
                line.clear();
                line.push_str(&lead);
                line.push_str(piece);
                writeln!(out, "{}", end_line(&line, Some(width)))?;
            }
        }
    }
    Ok(())
}

/// Splits `s` so that the head is at most `room` columns wide: after the last space of the head when that
/// space is in its second half, else after its last `/`, `,`, `:` or `;` there, else at the width (but
/// before an escape such as `\x1b` or `\u{202e}` that the width would cut in two). Always makes progress
/// (at least one character) unless `room` is zero and the lead already filled the line, in which case the
/// head is empty. Nothing is dropped: the head and the tail together are `s`.
pub(crate) fn split_at_width(s: &str, room: usize) -> (&str, &str) {
    let mut w = 0;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > room {
            end = i;
            break;
        }
        w += cw;
    }
    if end == s.len() {
        return (s, "");
    }
    if end == 0 {
        return match room {
            0 => ("", s),
            _ => s.split_at(s.chars().next().map_or(0, char::len_utf8)),
        };
    }
    if let Some(space) = s[..end].rfind(' ') {
        if space + 1 >= end / 2 && space > 0 {
            return s.split_at(space + 1);
        }
    }
    // A path or a list: after its last separator.
    if let Some(sep) = s[..end].rfind(['/', ',', ':', ';']) {
        if sep + 1 >= end / 2 && sep > 0 {
            return s.split_at(sep + 1);
        }
    }
    // Not inside an escape (`\x1b`, `\u{202e}`, `\n`): before its backslash.
    if let Some(b) = s[..end].rfind('\\') {
        if b > 0 && b + escape_len(&s[b..]) > end {
            return s.split_at(b);
        }
    }
    s.split_at(end)
}

/// The length in bytes of the escape at the start of `s` (which starts with a backslash), as
/// [`visible`] writes them: `\xNN`, `\u{...}`, else a backslash and one character.
fn escape_len(s: &str) -> usize {
    let rest = &s[1..];
    if rest.starts_with('x') {
        return s.len().min(4);
    }
    if rest.starts_with("u{") {
        return rest.find('}').map_or(s.len(), |close| close + 2);
    }
    1 + rest.chars().next().map_or(0, char::len_utf8)
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

    /// An id column, a kind every row fills, and two wrapping columns (as `diff`'s OLD and NEW).
    fn wrapping() -> Table {
        type Row = (i32, &'static str, String, String);
        let long = "/usr/lib/x86_64-linux-gnu/libcrypto.so.3 ".repeat(3);
        let rows: Vec<Row> = vec![
            (1, "exec", "a".into(), long.trim_end().into()),
            (22, "cwd", "/".into(), "/tmp/x\x1b[31m y".into()),
        ];
        let cols: Vec<Col<'_, Row>> = vec![
            Col::num("PID", |r: &Row| Cell::num(r.0)),
            Col::text("KIND", |r: &Row| Cell::text(r.1)),
            Col::text("OLD", |r: &Row| Cell::text(r.2.clone())).wrap(),
            Col::text("NEW", |r: &Row| Cell::text(r.3.clone())).wrap(),
        ];
        build(&cols, rows)
    }

    #[test]
    fn wrapping_columns_wrap_beside_the_row_or_go_under_it() {
        let t = wrapping();
        let new = t.texts()[0][3].clone();
        // Piped: one line per row, whole.
        let piped = text(&t, None);
        assert_eq!(piped.lines().count(), 3, "{piped}");
        assert!(piped.contains(&new), "{piped}");
        // Wide enough for the values beside the row: NEW continues in its own column, the others blank.
        let side = text(&t, Some(60));
        let lines: Vec<&str> = side.lines().collect();
        assert!(lines.iter().all(|l| width_of(l) <= 60), "{side}");
        let at = lines[0].find("NEW").unwrap();
        assert!(lines[1].starts_with("  1  exec"), "{side}");
        let continued: Vec<&str> = lines[2..]
            .iter()
            .take_while(|l| !l.contains("cwd"))
            .copied()
            .collect();
        assert!(!continued.is_empty(), "{side}");
        for l in &continued {
            assert!(
                l[..at].trim().is_empty(),
                "a continuation has only NEW: {side}"
            );
        }
        let joined: String = std::iter::once(&lines[1][at..])
            .chain(continued.iter().map(|l| &l[at..]))
            .collect();
        // Nothing is lost but the spaces where a line breaks.
        let bare = |s: &str| s.replace(' ', "");
        assert_eq!(bare(&joined), bare(&new), "{side}");
        // Too narrow: each value on its own line under the row, long ones continued on lines marked `…`.
        let stacked = text(&t, Some(40));
        let lines: Vec<&str> = stacked.lines().collect();
        assert!(lines.iter().all(|l| width_of(l) <= 40), "{stacked}");
        assert_eq!(lines[0], "PID  KIND");
        assert_eq!(lines[1], "  1  exec");
        assert_eq!(lines[2], "     OLD  a");
        assert!(lines[3].starts_with("     NEW  /usr/lib/"), "{stacked}");
        assert!(lines[4].starts_with("     …    "), "{stacked}");
        let joined: String = lines[3..]
            .iter()
            .take_while(|l| !l.starts_with(" 22"))
            .map(|l| &l[l.char_indices().nth(10).unwrap().0..])
            .collect();
        assert_eq!(bare(&joined), bare(&new), "{stacked}");
        // The escape is never cut in two.
        assert!(
            stacked.contains("\\x1b[31m") || stacked.contains("\\x1b"),
            "{stacked}"
        );
        assert!(
            stacked.ends_with("     NEW  /tmp/x\\x1b[31m y\n"),
            "{stacked}"
        );
        // Any width: no line wider, no panic.
        for w in 1..=120 {
            let out = text(&t, Some(w));
            assert!(out.lines().all(|l| width_of(l) <= w), "{w}: {out}");
        }
    }

    #[test]
    fn stacked_values_indent_by_four_when_every_row_starts_visibly() {
        let table = |first: &str| Table {
            columns: vec![
                ColumnSpec::new("SEVERITY", Kind::Text),
                ColumnSpec::new("RULE", Kind::Text),
                ColumnSpec::new("PID", Kind::Number),
                ColumnSpec::new("COMMAND", Kind::Text),
                ColumnSpec {
                    wrap: true,
                    ..ColumnSpec::new("SUMMARY", Kind::Text)
                },
            ],
            rows: vec![vec![
                Cell::text(first),
                Cell::text("exe-writable-dir"),
                Cell::num(7u32),
                Cell::text("sh"),
                Cell::text("runs /tmp/x, a directory anyone may write to, and more words to wrap"),
            ]],
        };
        let out = text(&table("low"), Some(60));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "low       exe-writable-dir    7  sh", "{out}");
        assert!(lines[2].starts_with("    SUMMARY  runs /tmp/x"), "{out}");
        assert!(lines[3].starts_with("    …        "), "{out}");
        // A row starting with a blank (a hostile value, or an empty cell): past the number column, as
        // before.
        let out = text(&table(" low"), Some(60));
        let third = out.lines().nth(2).unwrap();
        assert!(third.starts_with(&" ".repeat(21)), "{out}");
        assert!(third.trim_start().starts_with("SUMMARY"), "{out}");
    }

    #[test]
    fn wrapping_never_splits_an_escape() {
        assert_eq!(
            split_at_width("abcdef\\x1b[31m", 8),
            ("abcdef", "\\x1b[31m")
        );
        assert_eq!(
            split_at_width("abcdefgh\\u{202e}x", 12),
            ("abcdefgh", "\\u{202e}x")
        );
        assert_eq!(split_at_width("abcdef\\nx", 7), ("abcdef", "\\nx"));
        // An escape wider than the room is split rather than never written.
        assert_eq!(split_at_width("\\u{202e}", 4), ("\\u{2", "02e}"));
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
