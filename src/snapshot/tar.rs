//! Indexing a tar archive in place: where each member's bytes are, without copying them.
//!
//! Reads POSIX ustar headers with the two extensions real archives use for long names: GNU `L`/`K`
//! records (what procsift writes) and PAX `x` records (`path`, `linkpath`, `size`). Every size and offset is
//! checked against the bytes present. A damaged header (bad checksum, a size that is no number or runs past
//! the end) is reported with its offset, and the walk goes on at the next block that is a valid header —
//! as GNU tar does ("Skipping to next header"): one damaged header costs the members it started, not the
//! rest of the archive.

use std::borrow::Cow;

use crate::formats::cstr::c_string as cstr;

/// What a member is. Names and link targets borrow the archive's bytes (a PAX or GNU long name too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind<'a> {
    /// A regular file whose bytes are `offset..offset + len` of the archive.
    File {
        /// Offset of the first data byte in the archive.
        offset: usize,
        /// Length in bytes.
        len: usize,
    },
    /// A symbolic link and its target.
    Symlink(Cow<'a, [u8]>),
    /// A hard link and the member it names (never followed: it has no bytes of its own).
    HardLink(Cow<'a, [u8]>),
    /// A directory, device or other entry: listed, no bytes of its own.
    Other,
}

/// One member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path as stored (long names resolved).
    pub path: Cow<'a, [u8]>,
    /// What it is.
    pub kind: EntryKind<'a>,
    /// Offset of its header in the archive.
    pub header_offset: usize,
}

/// A header that could not be used, and how far the walk skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Offset of the header that could not be used.
    pub offset: usize,
    /// What is wrong with it.
    pub reason: String,
    /// Offset of the next valid header, where the walk went on; `None` when none follows (the rest of
    /// the archive is lost, or it was truncated here).
    pub resumed_at: Option<usize>,
}

const BLOCK: usize = 512;

/// Walks the archive; returns the members found and every place where it had to skip damage (in order).
/// The walk ends at the end-of-archive marker (a zero block) or the end of the bytes; ending without the
/// marker is damage too (a truncated archive).
pub fn index(bytes: &[u8]) -> (Vec<Entry<'_>>, Vec<Damage>) {
    let mut out = Vec::new();
    let mut damage = Vec::new();
    let mut pos = 0usize;
    loop {
        match walk(bytes, pos, &mut out) {
            Ok(()) => return (out, damage),
            Err((offset, reason)) => {
                let resumed_at = next_header(bytes, offset.saturating_add(BLOCK));
                damage.push(Damage {
                    offset,
                    reason,
                    resumed_at,
                });
                match resumed_at {
                    Some(p) => pos = p,
                    None => return (out, damage),
                }
            }
        }
    }
}

/// The offset of the first block at or after `from` (on the 512-byte grid) that is a header with a valid
/// checksum.
fn next_header(bytes: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while let Some(h) = bytes.get(pos..pos.checked_add(BLOCK)?) {
        if h.iter().any(|b| *b != 0) && checksum_ok(h) && octal_or_binary(&h[124..136]).is_some() {
            return Some(pos);
        }
        pos += BLOCK;
    }
    None
}

/// Walks from `pos` until the end-of-archive marker (`Ok`) or damage (`Err` with its offset and what is
/// wrong): a damaged header, or the end of the bytes before the marker.
fn walk<'a>(bytes: &'a [u8], mut pos: usize, out: &mut Vec<Entry<'a>>) -> Result<(), Broken> {
    while let Some((entry, next)) = next_entry(bytes, pos)? {
        out.push(entry);
        pos = next?;
    }
    Ok(())
}

/// The member whose first header (a GNU `L`/`K` or PAX `x` record before it, or its own) is at `pos`,
/// with its long names resolved and the checksum of every header checked. `None` when `pos` is not
/// the start of such a member (out of range, damaged, the end-of-archive marker, or its data runs
/// past the end): what a member index says is checked with it before the bytes it names are read.
pub fn entry_at(bytes: &[u8], pos: usize) -> Option<Entry<'_>> {
    match next_entry(bytes, pos) {
        Ok(Some((entry, Ok(_)))) => Some(entry),
        _ => None,
    }
}

/// Damage: where, and what is wrong.
type Broken = (usize, String);

/// Reads the member starting at `pos`: `Ok(Some((entry, next)))` with the offset of the header after
/// it (or the damage there: the archive ends inside the member's padding), `Ok(None)` at the
/// end-of-archive marker, `Err` at damage (its offset and what is wrong).
#[allow(clippy::type_complexity)]
fn next_entry(
    bytes: &[u8],
    mut pos: usize,
) -> Result<Option<(Entry<'_>, Result<usize, Broken>)>, Broken> {
    let mut long_name: Option<Cow<'_, [u8]>> = None;
    let mut long_link: Option<Cow<'_, [u8]>> = None;
    let mut pax_size: Option<usize> = None;
    loop {
        let Some(h) = pos.checked_add(BLOCK).and_then(|end| bytes.get(pos..end)) else {
            return Err(if pos == bytes.len() {
                (
                    pos,
                    "the archive ends here without its end-of-archive marker (two zero blocks): \
                     truncated"
                        .into(),
                )
            } else {
                (pos, "the archive ends inside a header (truncated)".into())
            });
        };
        if h.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        if !checksum_ok(h) {
            return Err((
                pos,
                "header checksum does not match (damaged or not a tar header)".into(),
            ));
        }
        let Some(size) = octal_or_binary(&h[124..136]) else {
            return Err((pos, "header size field is not a number".into()));
        };
        let size = pax_size.take().unwrap_or(size);
        let data = pos + BLOCK;
        let Some(end) = data.checked_add(size).filter(|e| *e <= bytes.len()) else {
            let name = long_name.clone().unwrap_or_else(|| header_name(h));
            return Err((
                pos,
                format!(
                    "member {} of {size} bytes runs past the end of the archive ({} bytes; \
                     truncated, or a lying size field)",
                    String::from_utf8_lossy(&name),
                    bytes.len()
                ),
            ));
        };
        let content = &bytes[data..end];
        let typeflag = h[156];
        // Data is padded to whole blocks.
        let padded = size.div_ceil(BLOCK) * BLOCK;
        let next = match data.checked_add(padded) {
            Some(p) if p <= bytes.len() => Ok(p),
            _ => Err((
                end,
                "the archive ends inside a member's padding: truncated".to_string(),
            )),
        };
        match typeflag {
            b'L' => long_name = Some(Cow::Borrowed(cstr(content))),
            b'K' => long_link = Some(Cow::Borrowed(cstr(content))),
            b'x' => {
                for (k, v) in pax_records(content) {
                    match k {
                        b"path" => long_name = Some(Cow::Borrowed(v)),
                        b"linkpath" => long_link = Some(Cow::Borrowed(v)),
                        b"size" => {
                            pax_size = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok())
                        }
                        _ => {}
                    }
                }
            }
            b'g' => {}
            _ => {
                let path = long_name.take().unwrap_or_else(|| header_name(h));
                let link = long_link
                    .take()
                    .unwrap_or_else(|| Cow::Borrowed(cstr(&h[157..257])));
                let kind = match typeflag {
                    b'0' | 0 | b'7' => EntryKind::File {
                        offset: data,
                        len: size,
                    },
                    b'2' => EntryKind::Symlink(link),
                    b'1' => EntryKind::HardLink(link),
                    _ => EntryKind::Other,
                };
                let entry = Entry {
                    path,
                    kind,
                    header_offset: pos,
                };
                return Ok(Some((entry, next)));
            }
        }
        pos = next?;
    }
}

/// ustar name: `prefix/name` when the ustar prefix field is used (not in GNU headers, which put other
/// data there).
fn header_name(h: &[u8]) -> Cow<'_, [u8]> {
    let name = cstr(&h[0..100]);
    let ustar = &h[257..263] == b"ustar\0";
    let prefix = cstr(&h[345..500]);
    if ustar && !prefix.is_empty() {
        let mut p = prefix.to_vec();
        p.push(b'/');
        p.extend_from_slice(name);
        Cow::Owned(p)
    } else {
        Cow::Borrowed(name)
    }
}

/// A numeric header field: octal ASCII (spaces and NULs around it), or GNU base-256 when the top bit of the
/// first byte is set.
fn octal_or_binary(f: &[u8]) -> Option<usize> {
    if f.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(f[0] & 0x7f);
        for b in &f[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(*b))?;
        }
        return usize::try_from(v).ok();
    }
    let digits = cstr(f);
    // What every tar writes: octal digits, perhaps between spaces; read without the checks below
    // (every header of an archive is read this way, twice).
    if let Some(v) = plain_octal(digits) {
        return Some(v);
    }
    let s = std::str::from_utf8(digits).ok()?.trim();
    if s.is_empty() {
        return Some(0);
    }
    usize::from_str_radix(s, 8).ok()
}

/// The value of `field` when it is octal digits between ASCII spaces (at least one digit, no
/// overflow); `None` for anything else, which [`octal_or_binary`] reads the general way.
fn plain_octal(field: &[u8]) -> Option<usize> {
    let start = field.iter().position(|b| *b != b' ')?;
    let end = field.iter().rposition(|b| *b != b' ')? + 1;
    let mut v: usize = 0;
    for &b in &field[start..end] {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(usize::from(b - b'0'))?;
    }
    Some(v)
}

/// The sum of `bytes`, in lanes the compiler turns into vector additions (a header is summed for its
/// checksum: 512 additions one by one otherwise).
fn byte_sum(bytes: &[u8]) -> usize {
    // 255 * 256 fits in a u16 lane: sum 256 bytes a lane at most before widening.
    let mut total = 0usize;
    for part in bytes.chunks(32 * 256) {
        let mut lanes = [0u16; 32];
        let mut blocks = part.chunks_exact(32);
        for block in &mut blocks {
            for (lane, b) in lanes.iter_mut().zip(block) {
                *lane += u16::from(*b);
            }
        }
        total += lanes.iter().map(|l| usize::from(*l)).sum::<usize>();
        total += blocks
            .remainder()
            .iter()
            .map(|b| usize::from(*b))
            .sum::<usize>();
    }
    total
}

/// The header checksum: the sum of all header bytes with the checksum field read as spaces (unsigned,
/// or signed as some old tars computed it).
fn checksum_ok(h: &[u8]) -> bool {
    let Some(stored) = octal_or_binary(&h[148..156]) else {
        return false;
    };
    // Sum everything, then count the checksum field as eight spaces instead of what it holds.
    let field = &h[148..156];
    let unsigned =
        byte_sum(h) - field.iter().map(|b| usize::from(*b)).sum::<usize>() + 8 * usize::from(b' ');
    if stored == unsigned {
        return true;
    }
    let signed = h.iter().map(|b| isize::from(*b as i8)).sum::<isize>()
        - field.iter().map(|b| isize::from(*b as i8)).sum::<isize>()
        + 8 * isize::from(b' ' as i8);
    isize::try_from(stored).is_ok_and(|s| s == signed)
}

/// PAX records `"<len> <key>=<value>\n"`.
fn pax_records(mut b: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let Some(sp) = b.iter().position(|c| *c == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&b[..sp])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= sp + 1 || len > b.len() {
            break;
        }
        let rec = &b[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|c| *c == b'=') {
            out.push((&rec[..eq], &rec[eq + 1..]));
        }
        b = &b[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general reading of a numeric field, as it was before the fast path.
    fn general(f: &[u8]) -> Option<usize> {
        let s = std::str::from_utf8(cstr(f)).ok()?.trim();
        if s.is_empty() {
            return Some(0);
        }
        usize::from_str_radix(s, 8).ok()
    }

    #[test]
    fn numeric_fields_read_as_the_general_way_does() {
        let fields: [&[u8]; 14] = [
            b"00000001750\0",
            b"0000644\0",
            b"      17 \0",
            b"17",
            b"\0\0\0\0",
            b"        ",
            b"0000008\0",
            b"+17\0",
            b"\t17\n\0",
            b"1 7\0",
            b"77777777777777777777777",
            b"7777777777777777777777\0",
            b"-1\0",
            b"0o17",
        ];
        for f in fields {
            assert_eq!(
                octal_or_binary(f),
                general(f),
                "{:?}",
                f.escape_ascii().to_string()
            );
        }
        assert_eq!(octal_or_binary(b"00000001750\0"), Some(0o1750));
        assert_eq!(octal_or_binary(b"+17\0"), Some(0o17));
        assert_eq!(octal_or_binary(b"1 7\0"), None);
    }

    #[test]
    fn byte_sums_are_sums() {
        for len in [0usize, 1, 31, 32, 33, 512, 8191, 8192, 8193, 20000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 255) as u8).collect();
            let naive: usize = bytes.iter().map(|b| usize::from(*b)).sum();
            assert_eq!(byte_sum(&bytes), naive, "{len} bytes");
            assert_eq!(byte_sum(&vec![255u8; len]), 255 * len);
        }
    }

    /// A ustar header written by hand (not by the tar crate the capture uses), so the two cannot agree on
    /// a shared mistake.
    fn header(name: &[u8], size: usize, typeflag: u8, link: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name);
        h[100..107].copy_from_slice(b"0000444");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: usize = h.iter().map(|b| usize::from(*b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn member(name: &[u8], data: &[u8], typeflag: u8, link: &[u8]) -> Vec<u8> {
        let mut v = header(name, data.len(), typeflag, link);
        v.extend_from_slice(data);
        v.resize(v.len().div_ceil(BLOCK) * BLOCK, 0);
        v
    }

    #[test]
    fn files_links_and_long_names() {
        let long = vec![b'd'; 150];
        let mut t = member(b"proc/1/stat", b"1 (init) S", b'0', b"");
        t.extend(member(
            b"././@LongLink",
            &[&long[..], b"\0"].concat(),
            b'L',
            b"",
        ));
        t.extend(member(b"trunc", b"x", b'0', b""));
        t.extend(member(b"proc/1/exe", b"", b'2', b"/sbin/init"));
        t.extend(member(
            b"pax",
            b"30 path=proc/1/pax-named-file\n",
            b'x',
            b"",
        ));
        t.extend(member(b"short", b"yz", b'0', b""));
        t.extend(vec![0; 1024]);
        let (e, damage) = index(&t);
        assert!(damage.is_empty(), "{damage:?}");
        assert_eq!(e.len(), 4);
        assert_eq!(&e[0].path[..], b"proc/1/stat");
        assert_eq!(
            e[0].kind,
            EntryKind::File {
                offset: 512,
                len: 10
            }
        );
        assert_eq!(e[1].path, long);
        assert_eq!(e[2].kind, EntryKind::Symlink(b"/sbin/init".to_vec().into()));
        assert_eq!(&e[3].path[..], b"proc/1/pax-named-file");
    }

    #[test]
    fn damage_is_located_and_the_walk_goes_on() {
        let mut t = member(b"a", b"hello", b'0', b"");
        t.extend(member(b"b", b"world", b'0', b""));
        t.extend(member(b"c", b"again", b'0', b""));
        t.extend(vec![0; 1024]);
        let mut bad = t.clone();
        bad[512 + 512 + 3] ^= 0x40; // second header's name
        let (e, d) = index(&bad);
        assert_eq!(
            e.iter().map(|e| &e.path[..]).collect::<Vec<_>>(),
            vec![&b"a"[..], b"c"]
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].offset, 1024);
        assert_eq!(d[0].resumed_at, Some(2048));
        // Truncated inside the second member: the first is kept, nothing follows.
        let (e, d) = index(&t[..1030]);
        assert_eq!(e.len(), 1);
        assert!(d[0].reason.contains("truncated"));
        assert_eq!(d[0].resumed_at, None);
        // Cut at a member boundary: every member is whole, the missing end marker says truncated.
        let (e, d) = index(&t[..2048]);
        assert_eq!(e.len(), 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].offset, 2048);
        assert!(d[0].reason.contains("end-of-archive marker"), "{d:?}");
        // Cut inside the last member's padding.
        let (e, d) = index(&t[..2048 + 512 + 7]);
        assert_eq!(e.len(), 3);
        assert_eq!(d[0].offset, 2048 + 512 + 5);
        // A lying size: the member is lost, the walk resumes at the next header.
        let mut lie = t.clone();
        lie[124..135].copy_from_slice(b"77777777777");
        let sum: usize = lie[..512]
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    usize::from(*b)
                }
            })
            .sum();
        lie[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let (e, d) = index(&lie);
        assert_eq!(e.len(), 2);
        assert!(d[0].reason.contains("runs past the end"));
        assert_eq!(d[0].resumed_at, Some(1024));
    }

    #[test]
    fn numbers() {
        assert_eq!(octal_or_binary(b"00000000012\0"), Some(10));
        assert_eq!(octal_or_binary(b"     12 \0"), Some(10));
        assert_eq!(
            octal_or_binary(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Some(256)
        );
        assert_eq!(octal_or_binary(b"9"), None);
        assert_eq!(octal_or_binary(&[0xff; 12]), None);
    }
}
