//! `/proc/<pid>/mountinfo` (proc(5)): one mount per line,
//! `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`:
//! mount id, parent id, `major:minor`, root, mount point, mount options, optional fields ended by `-`,
//! filesystem type, source, super options. The kernel writes space, tab, newline and backslash in paths
//! as octal escapes (`\040`); they are decoded here.

use super::{ParseError, num};

/// One mountinfo line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountLine {
    /// Field 1, `mount ID`.
    pub mount_id: u32,
    /// Field 2, `parent ID`.
    pub parent_id: u32,
    /// Field 3, `major:minor`.
    pub dev: String,
    /// Field 4, `root`, decoded.
    pub root: Vec<u8>,
    /// Field 5, `mount point`, decoded.
    pub mount_point: Vec<u8>,
    /// Field 6, per-mount options.
    pub options: String,
    /// Field 7..: optional fields (`shared:1`, `master:2`), up to the `-` separator.
    pub optional: Vec<String>,
    /// The filesystem type (`ext4`, `proc`, `fuse.sshfs`), decoded.
    pub fs_type: Vec<u8>,
    /// The mount source, decoded.
    pub source: Vec<u8>,
    /// Per-superblock options.
    pub super_options: String,
}

/// Decodes every line; a malformed line is an error at its offset and is skipped, the others are kept.
pub fn parse(bytes: &[u8]) -> (Vec<MountLine>, Vec<ParseError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (off, line) in super::lines(bytes) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(m) => out.push(m),
            None => errors.push(ParseError::new(off, "malformed mountinfo line")),
        }
    }
    (out, errors)
}

fn parse_line(line: &[u8]) -> Option<MountLine> {
    let mut fields = line
        .split(|b| *b == b' ')
        .filter(|f| !f.is_empty())
        .peekable();
    let text = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
    let mount_id = num(fields.next()?)?;
    let parent_id = num(fields.next()?)?;
    let dev = fields.next()?;
    if !dev.contains(&b':') {
        return None;
    }
    let root = unescape(fields.next()?);
    let mount_point = unescape(fields.next()?);
    let options = text(fields.next()?);
    let mut optional = Vec::new();
    loop {
        let f = fields.next()?;
        if f == b"-" {
            break;
        }
        optional.push(text(f));
    }
    let fs_type = unescape(fields.next()?);
    let source = unescape(fields.next()?);
    let super_options = fields.next().map(text).unwrap_or_default();
    Some(MountLine {
        mount_id,
        parent_id,
        dev: text(dev),
        root,
        mount_point,
        options,
        optional,
        fs_type,
        source,
        super_options,
    })
}

/// Decodes the kernel's `\ooo` octal escapes (`seq_file`'s `mangle_path` escapes space, tab, newline
/// and backslash); any other byte, and a backslash not followed by three octal digits, is kept as it is.
pub fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\'
            && let Some(d) = field.get(i + 1..i + 4)
            && d.iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let v =
                u32::from(d[0] - b'0') * 64 + u32::from(d[1] - b'0') * 8 + u32::from(d[2] - b'0');
            if let Ok(b) = u8::try_from(v) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(field[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc5_example_line() {
        // The example of proc(5).
        let (m, e) = parse(
            b"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n",
        );
        assert!(e.is_empty());
        let m = &m[0];
        assert_eq!((m.mount_id, m.parent_id, m.dev.as_str()), (36, 35, "98:0"));
        assert_eq!(
            (&m.root[..], &m.mount_point[..]),
            (&b"/mnt1"[..], &b"/mnt2"[..])
        );
        assert_eq!(m.options, "rw,noatime");
        assert_eq!(m.optional, ["master:1"]);
        assert_eq!(
            (&m.fs_type[..], &m.source[..]),
            (&b"ext3"[..], &b"/dev/root"[..])
        );
        assert_eq!(m.super_options, "rw,errors=continue");
    }

    #[test]
    fn escapes_no_optional_fields_and_bad_lines() {
        let text = b"25 1 0:22 / /proc rw,nosuid - proc proc rw,hidepid=invisible\n\
            x y\n\
            90 25 0:5 /tmp/a\\040b /proc/1234 rw shared:5 master:7 - tmpfs tmp\\134fs rw\n";
        let (m, e) = parse(text);
        assert_eq!(m.len(), 2);
        assert_eq!(e, [ParseError::new(61, "malformed mountinfo line")]);
        assert!(m[0].optional.is_empty());
        assert_eq!(m[0].super_options, "rw,hidepid=invisible");
        assert_eq!(m[1].root, b"/tmp/a b");
        assert_eq!(m[1].mount_point, b"/proc/1234");
        assert_eq!(m[1].source, b"tmp\\fs");
        assert_eq!(m[1].optional.len(), 2);
        // A line cut before the separator is malformed, not a mount.
        assert!(parse(b"1 2 0:1 / / rw shared:1").0.is_empty());
        assert_eq!(unescape(b"\\777\\12"), b"\\777\\12");
    }
}
