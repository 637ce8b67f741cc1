//! The member index: the last member of an archive procsift writes (`member-index.txt`, after
//! `manifest.json`), saying where every member's header and bytes are, so that a reader goes straight
//! to the members a report needs instead of walking every tar header, and which members the capture
//! could not read, so that it need not read the manifest's long member list.
//!
//! # Format (version 1)
//!
//! Text, one record a line, fields separated by one space; paths and error names are escaped (every
//! byte outside `!`..`~`, and `\` itself, as `\xNN`), so a field never holds a space or a newline:
//!
//! ```text
//! procsift member index 1
//! f <header> <data> <size> <path>     a regular file
//! l <header> <path>                   a symbolic link (its target is in its tar header)
//! e <error> <path>                    a member whose read failed (the manifest's `error`)
//! end <index header> <records>
//! ```
//!
//! `<header>` is the byte offset of the member's first tar header (its GNU long-name record when it
//! has one), `<data>` that of its first data byte, `<size>` its length. Records are sorted by path
//! (byte order), each path once. The `end` line is the last bytes of the member's data, so a reader
//! finds it from the end of the file: the last non-zero byte of the archive ends it. It names the
//! offset of the index's own header and the number of records.
//!
//! # Trust
//!
//! The index is evidence like every other byte. [`read`] checks every record against the file: each
//! offset and size within the bytes before the index, records in order and each path once, paths that
//! are clean and safe, links only where procsift stores links; and each member a read selects is found
//! at its header (checksum, name, kind, offset and size as the index says) before its bytes are used.
//! A read of a few processes ([`super::Selection::pids`]), and `info` of an archive whose manifest
//! records totals, parse only some records, found with [`lower_bound`] (the records are sorted): the
//! system members (every path outside the `proc/<digit>...` block), the processes read, every failed
//! record (found by their `e ` lines) and every record naming `/net/` with the `ns/net` links of the
//! processes that hold socket tables. Those records get every check above, and their order among
//! themselves; the number of lines must match the `end` line. The records skipped are not read, so a
//! lie among them is not seen, as a member the index leaves out is not; `verify` checks every record.
//! An index that fails any check is not used: the reader warns and walks the tar headers, as it does
//! for archives written before there was an index. An archive that had members appended after the
//! index (`tar -r`) has no index at its end, and is walked.

use std::borrow::Cow;

/// Name of the index member.
pub const INDEX_NAME: &str = "member-index.txt";

/// First line of an index.
const MAGIC: &str = "procsift member index 1";

/// What a record says a member is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// A regular file: first header, first data byte, size.
    File {
        /// Offset of the member's first header.
        header: usize,
        /// Offset of its first data byte.
        data: usize,
        /// Its size in bytes.
        size: usize,
    },
    /// A symbolic link: first header.
    Link {
        /// Offset of the member's first header.
        header: usize,
    },
    /// A member whose read failed, and the error.
    Failed(Cow<'a, str>),
}

impl Record<'_> {
    /// The record of a member as a read found it (a file's offsets are its data's; its header's are
    /// not known here, and given as its data's): for counting what a process holds ([`super::Listed`]).
    pub fn of(member: &super::Member) -> Record<'_> {
        match member {
            super::Member::File { offset, len } => Record::File {
                header: *offset,
                data: *offset,
                size: *len,
            },
            super::Member::Symlink(_) => Record::Link { header: 0 },
            super::Member::Failed(e) => Record::Failed(Cow::Borrowed(e)),
        }
    }
}

/// One record: a path and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry<'a> {
    /// The member's path in the archive.
    pub path: Cow<'a, str>,
    /// Where it is, or why it is not.
    pub record: Record<'a>,
}

/// Escapes a field: every byte outside `!`..`~`, and `\`, as `\xNN`.
fn escape(s: &str, out: &mut String) {
    use std::fmt::Write;
    for b in s.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'\\' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Undoes [`escape`]; `None` for a malformed escape or bytes that are not UTF-8.
fn unescape(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('\\') {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) != Some(&b'x') {
                return None;
            }
            let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Writes the index of `entries` (sorted here) as the member whose first header will be at
/// `index_header`; `None` when a path occurs twice (the archive is then left without an index: a
/// reader walks it, and sees which member of a name is read).
pub fn encode(mut entries: Vec<IndexEntry<'_>>, index_header: u64) -> Option<Vec<u8>> {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    if entries.windows(2).any(|w| w[0].path == w[1].path) {
        return None;
    }
    use std::fmt::Write;
    let mut out = String::with_capacity(entries.len() * 48 + 64);
    out.push_str(MAGIC);
    out.push('\n');
    for e in &entries {
        match &e.record {
            Record::File { header, data, size } => {
                let _ = write!(out, "f {header} {data} {size} ");
            }
            Record::Link { header } => {
                let _ = write!(out, "l {header} ");
            }
            Record::Failed(error) => {
                out.push_str("e ");
                escape(error, &mut out);
                out.push(' ');
            }
        }
        escape(&e.path, &mut out);
        out.push('\n');
    }
    let _ = writeln!(out, "end {index_header} {}", entries.len());
    Some(out.into_bytes())
}

/// Where the index is: its first header and its data (`data_start..data_end`), as the `end` line
/// at the end of the archive says. `Ok(None)` when the archive ends with no such line (no index:
/// written before there was one, or members were appended after it); `Err` says why an `end` line
/// cannot be believed.
pub fn locate(bytes: &[u8]) -> Result<Option<Located>, String> {
    // The last non-zero byte: the end of the index's data when there is one.
    let mut end = bytes.len();
    while end > 0 {
        let start = end.saturating_sub(512);
        match bytes[start..end].iter().rposition(|b| *b != 0) {
            Some(i) => {
                end = start + i + 1;
                break;
            }
            None => end = start,
        }
    }
    if end == 0 || bytes[end - 1] != b'\n' {
        return Ok(None);
    }
    let body = &bytes[..end - 1];
    let line_start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let Some(last) = std::str::from_utf8(&body[line_start..])
        .ok()
        .and_then(|l| l.strip_prefix("end "))
    else {
        return Ok(None);
    };
    let mut f = last.split(' ');
    let (Some(header), Some(count), None) = (
        f.next().and_then(|v| v.parse::<usize>().ok()),
        f.next().and_then(|v| v.parse::<usize>().ok()),
        f.next(),
    ) else {
        return Err(format!(
            "its last line is not `end <offset> <records>`: {}",
            crate::bytes::escape(last.as_bytes())
        ));
    };
    let Some(entry) = super::tar::entry_at(bytes, header) else {
        return Err(format!(
            "it says its header is at byte {header}, where no intact tar header is"
        ));
    };
    match entry.kind {
        super::tar::EntryKind::File { offset, len }
            if &entry.path[..] == INDEX_NAME.as_bytes() && offset.checked_add(len) == Some(end) =>
        {
            Ok(Some(Located {
                header,
                data: offset,
                end,
                count,
            }))
        }
        _ => Err(format!(
            "the member at byte {header}, where it says its header is, is not the index ending \
             at byte {end}"
        )),
    }
}

/// Where an index is (see [`locate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    /// Offset of the index member's first header.
    pub header: usize,
    /// Offset of its first data byte.
    pub data: usize,
    /// One past its last data byte.
    pub end: usize,
    /// Number of records, as its `end` line says.
    pub count: usize,
}

/// The records of the index at `at`: the byte range (in the archive) from the line after the magic
/// line to the start of the `end` line. Checks the magic line only.
pub fn records(bytes: &[u8], at: &Located) -> Result<(usize, usize), (usize, String)> {
    let Some(text) = bytes.get(at.data..at.end) else {
        return Err((0, "runs past the end of the archive".into()));
    };
    let first = match memchr::memchr(b'\n', text) {
        Some(n) if &text[..n] == MAGIC.as_bytes() => n + 1,
        _ => return Err((0, format!("does not start with `{MAGIC}`"))),
    };
    // `locate` found the `end` line as the last line.
    let body = text.get(..text.len().saturating_sub(1)).unwrap_or_default();
    let last = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
    if last < first {
        return Err((0, "holds no `end` line after its first line".into()));
    }
    // Each record is at least 5 bytes: a bound on what the count may claim.
    if at.count > text.len() / 5 {
        return Err((
            text.len(),
            format!("claims {} records in {} bytes", at.count, text.len()),
        ));
    }
    Ok((at.data + first, at.data + last))
}

/// Parses the index at `at` and checks every record against the archive's bytes: offsets and sizes
/// inside the bytes before the index, headers before data, paths in strictly increasing order (each
/// once). It does not look at the headers: [`check_member`] does, for each member a read uses. `Err`
/// names the byte offset in the index and what is wrong.
///
/// One pass over the bytes, with no allocation per record: paths and errors without escapes (all that
/// procsift writes) are borrowed from the archive. Each record is handed to `visit` once checked
/// (records before a bad one may have been visited: the caller uses nothing until `parse` returns
/// `Ok`); an `Err` from `visit` ends the parse with it. `Ok` holds the number of records.
pub fn parse<'a>(
    bytes: &'a [u8],
    at: &Located,
    visit: impl FnMut(IndexEntry<'a>) -> Result<(), (usize, String)>,
) -> Result<usize, (usize, String)> {
    let span = records(bytes, at)?;
    let n = parse_ranges(bytes, at, &[span], visit)?;
    if n != at.count {
        return Err((
            at.end - at.data,
            format!("holds {n} records, its `end` line says {}", at.count),
        ));
    }
    Ok(n)
}

/// Parses the records in `ranges` only (archive offsets, each whole lines inside [`records`], in
/// increasing order and disjoint), with every check [`parse`] makes of a record, and the order of the
/// records it reads among themselves; `visit` sees them in order. What lies between the ranges is not
/// read (see [`lower_bound`] for how ranges are found). `Ok` holds the number of records read.
pub fn parse_ranges<'a>(
    bytes: &'a [u8],
    at: &Located,
    ranges: &[(usize, usize)],
    mut visit: impl FnMut(IndexEntry<'a>) -> Result<(), (usize, String)>,
) -> Result<usize, (usize, String)> {
    let limit = at.header;
    let mut n = 0usize;
    let mut prev: Option<Cow<'a, str>> = None;
    for &(lo, hi) in ranges {
        let (Some(b), Some(rel)) = (bytes.get(lo..hi), lo.checked_sub(at.data)) else {
            return Err((0, "a range of records outside the index".into()));
        };
        let Ok(text) = std::str::from_utf8(b) else {
            return Err((rel, "is not UTF-8 text".into()));
        };
        let mut pos = 0;
        while pos < b.len() {
            let here = pos;
            let mut cur = Cursor {
                b,
                pos,
                spaced: false,
            };
            let bad = |why: &str| (rel + here, format!("record at byte {}: {why}", rel + here));
            let kind = cur.field();
            let record = match kind {
                b"end" => return Err((rel + here, "an `end` line before the last line".into())),
                b"f" => {
                    let (Some(header), Some(data), Some(size)) =
                        (cur.number(), cur.number(), cur.number())
                    else {
                        return Err(bad(
                            "a file record needs a header offset, data offset and size",
                        ));
                    };
                    let fits = data.checked_add(size).is_some_and(|end| end <= limit)
                        && header.checked_add(512).is_some_and(|h| h <= data)
                        && data % 512 == 0
                        && header % 512 == 0;
                    if !fits {
                        return Err(bad(&format!(
                            "header at {header}, {size} bytes at {data}: not inside the {limit} \
                             bytes before the index"
                        )));
                    }
                    Record::File { header, data, size }
                }
                b"l" => {
                    let Some(header) = cur.number() else {
                        return Err(bad("a link record needs a header offset"));
                    };
                    if header.checked_add(512).is_none_or(|h| h > limit) || header % 512 != 0 {
                        return Err(bad(&format!(
                            "header at {header}: not inside the {limit} bytes before the index"
                        )));
                    }
                    Record::Link { header }
                }
                b"e" => {
                    let Some(error) = cur.text(text) else {
                        return Err(bad("a failed record needs an error"));
                    };
                    Record::Failed(error)
                }
                _ => return Err(bad("unknown record kind")),
            };
            let Some(path) = cur.text(text) else {
                return Err(bad("no path, or a malformed escape in it"));
            };
            // The path ends its line.
            match b.get(cur.pos) {
                _ if cur.spaced => return Err(bad("more fields than its kind has")),
                Some(b'\n') => pos = cur.pos + 1,
                _ => pos = cur.pos,
            }
            if let Some(prev) = &prev
                && *prev >= path
            {
                return Err(bad(&format!(
                    "{path} is not after {prev}: records out of order, or a path twice"
                )));
            }
            prev = Some(path.clone());
            n += 1;
            visit(IndexEntry { path, record })?;
        }
    }
    Ok(n)
}

/// The path of the record line at `lo..hi` of `bytes` (its last field, unescaped), or why it has none.
fn line_path(bytes: &[u8], lo: usize, hi: usize) -> Result<Cow<'_, str>, (usize, String)> {
    let line = bytes.get(lo..hi).unwrap_or_default();
    let field = memchr::memrchr(b' ', line).map(|i| &line[i + 1..]);
    field
        .and_then(|f| std::str::from_utf8(f).ok())
        .and_then(unescape)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            (
                lo,
                format!("record at byte {lo}: no path, or a malformed escape in it"),
            )
        })
}

/// The end of the line that starts at `lo` (one past its newline), within `span`.
pub fn line_end(bytes: &[u8], lo: usize, span: (usize, usize)) -> usize {
    bytes
        .get(lo..span.1)
        .and_then(|b| memchr::memchr(b'\n', b))
        .map_or(span.1, |i| lo + i + 1)
}

/// The start of the line that holds byte `pos`, within `span`.
fn line_start(bytes: &[u8], pos: usize, span: (usize, usize)) -> usize {
    bytes
        .get(span.0..pos)
        .and_then(|b| memchr::memrchr(b'\n', b))
        .map_or(span.0, |i| span.0 + i + 1)
}

/// The first record line of `span` (as [`records`] gives it) whose path is not below `key` in byte
/// order, by binary search over the lines: records are sorted by path. Only the lines it probes (about
/// log2 of the number of records) are read; a probed line with no readable path is an `Err`, as in
/// [`parse`]. The order of the records it skips is not checked: a range read sees only what it parses.
pub fn lower_bound(
    bytes: &[u8],
    span: (usize, usize),
    key: &str,
) -> Result<usize, (usize, String)> {
    let (mut lo, mut hi) = span;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let s = line_start(bytes, mid, (lo, hi));
        let e = line_end(bytes, s, (lo, hi));
        let path = line_path(bytes, s, e.saturating_sub(1).max(s))?;
        if path.as_bytes() < key.as_bytes() {
            lo = e;
        } else {
            hi = s;
        }
    }
    Ok(lo)
}

/// A line start near the middle of `span` (as [`records`] gives it) where the record before it and the
/// record at it belong to different processes (`proc/<pid>/...`; any other path is its own) and are
/// in order: a parse split there sees every process whole on one side. `None` when no such place is
/// within 100,000 records of the middle, or a path there cannot be read.
pub fn split_between_processes(bytes: &[u8], span: (usize, usize)) -> Option<usize> {
    fn owner(path: &str) -> &str {
        match path.strip_prefix("proc/").and_then(|rest| rest.find('/')) {
            Some(i) => &path[.."proc/".len() + i],
            None => path,
        }
    }
    let mid = span.0 + (span.1 - span.0) / 2;
    let mut lo = line_end(bytes, line_start(bytes, mid, span), span);
    let before = lo.checked_sub(1)?;
    let mut prev = line_path(bytes, line_start(bytes, before, span), before).ok()?;
    for _ in 0..100_000 {
        if lo >= span.1 {
            return None;
        }
        let end = line_end(bytes, lo, span);
        let path = line_path(bytes, lo, end.saturating_sub(1).max(lo)).ok()?;
        if owner(&prev) != owner(&path) {
            return (prev.as_bytes() < path.as_bytes()).then_some(lo);
        }
        prev = path;
        lo = end;
    }
    None
}

/// The start of every record line of `span` that holds `needle`, in order (each line once).
pub fn lines_with(bytes: &[u8], span: (usize, usize), needle: &[u8]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let Some(b) = bytes.get(span.0..span.1) else {
        return out;
    };
    for i in memchr::memmem::find_iter(b, needle) {
        let s = line_start(bytes, span.0 + i, span);
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

/// The number of record lines in `span` (its newlines).
pub fn line_count(bytes: &[u8], span: (usize, usize)) -> usize {
    bytes
        .get(span.0..span.1)
        .map_or(0, |b| memchr::memchr_iter(b'\n', b).count())
}

/// Reads the fields of one index line: each ends at a space (consumed) or at the line's end (left).
struct Cursor<'b> {
    b: &'b [u8],
    pos: usize,
    /// The last field ended at a space (another field follows on the line).
    spaced: bool,
}

impl<'b> Cursor<'b> {
    /// The next field's bytes (empty at the end of the line).
    fn field(&mut self) -> &'b [u8] {
        let start = self.pos;
        let mut i = start;
        while let Some(&c) = self.b.get(i) {
            if c == b' ' || c == b'\n' {
                break;
            }
            i += 1;
        }
        self.pos = i;
        self.spaced = self.b.get(i) == Some(&b' ');
        if self.spaced {
            self.pos += 1;
        }
        &self.b[start..i]
    }

    /// The next field as a decimal number (digits only, no overflow).
    fn number(&mut self) -> Option<usize> {
        let f = self.field();
        if f.is_empty() {
            return None;
        }
        f.iter().try_fold(0usize, |n, c| {
            let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
            n.checked_mul(10)?.checked_add(usize::from(d))
        })
    }

    /// The next field, unescaped (`text` is the bytes as a `str`); `None` when it is empty or
    /// malformed.
    fn text<'a>(&mut self, text: &'a str) -> Option<Cow<'a, str>>
    where
        'b: 'a,
    {
        let start = self.pos;
        let f = self.field();
        if f.is_empty() {
            return None;
        }
        // Fields end at ASCII bytes: the slice is on character boundaries.
        unescape(text.get(start..start + f.len())?)
    }
}

/// The member an index record names, read at its header in `bytes`, which hold the archive from byte
/// `base` on: `Some` when the tar header there (with its long-name record) is intact and says the same
/// path, kind, offset and size. A file's offset is the archive's; a link comes with its target.
pub fn check_member(bytes: &[u8], base: usize, e: &IndexEntry<'_>) -> Option<super::Member> {
    let header = match e.record {
        Record::File { header, .. } | Record::Link { header } => header,
        Record::Failed(_) => return None,
    };
    let found = super::tar::entry_at(bytes, header.checked_sub(base)?)?;
    if &found.path[..] != e.path.as_bytes() {
        return None;
    }
    match (&e.record, found.kind) {
        (Record::File { data, size, .. }, super::tar::EntryKind::File { offset, len })
            if offset.checked_add(base) == Some(*data) && len == *size =>
        {
            Some(super::Member::File { offset: *data, len })
        }
        (Record::Link { .. }, super::tar::EntryKind::Symlink(target)) => {
            Some(super::Member::Symlink(target.into_owned()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for s in ["proc/1/stat", "a b\\c\nd", "é", ""] {
            let mut e = String::new();
            escape(s, &mut e);
            assert!(!e.contains(' ') && !e.contains('\n'), "{e}");
            assert_eq!(unescape(&e).unwrap(), s);
        }
        assert_eq!(unescape("\\x4"), None);
        assert_eq!(unescape("\\y41"), None);
        assert_eq!(unescape("\\xff"), None);
    }

    #[test]
    fn duplicate_paths_get_no_index() {
        let e = |p: &'static str| IndexEntry {
            path: p.into(),
            record: Record::Failed("ENOENT".into()),
        };
        assert!(encode(vec![e("a"), e("b")], 0).is_some());
        assert!(encode(vec![e("a"), e("b"), e("a")], 0).is_none());
    }
}
