//! Text from the evidence made safe to show: the one escape every table, text report, CSV cell and message
//! on stderr passes through (see [`visible`]).
//!
//! A process's argv, comm, paths and environment are chosen by whoever started it. Printed raw, a newline
//! forges a row, a carriage return overwrites one, an ESC or C1 sequence drives the terminal (colours,
//! cursor, window title), and a bidirectional override or an invisible format character makes text read
//! differently from what it is. [`visible`] turns each of those characters into a visible escape, in the
//! notation of [`crate::bytes::escape`] (`\xNN` for a byte, `\\` for a backslash in a byte string):
//!
//! | character | shown as |
//! |---|---|
//! | tab, newline, carriage return | `\t`, `\n`, `\r` |
//! | other C0 controls (U+0000–U+001F) and DEL (U+007F) | `\xNN`: `\x1b`, `\x07`, `\x7f` |
//! | C1 controls (U+0080–U+009F) | `\u{NN}`: `\u{9b}` |
//! | format characters (Unicode category Cf: bidirectional embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069, marks U+200E/U+200F/U+061C, zero-width characters U+200B–U+200D and U+2060–U+2064, U+FEFF, soft hyphen U+00AD, tag characters, ...) and the line and paragraph separators U+2028, U+2029 | `\u{NNNN}`: `\u{202e}` |
//!
//! `\xNN` is always one byte of the evidence (a C0 control or DEL is one byte in UTF-8; a byte that is not
//! UTF-8 at all was already `\xNN` in the byte string); `\u{...}` is one Unicode character, whatever its
//! UTF-8 length. JSON is not escaped this way: it keeps the exact bytes (JSON escapes control characters
//! itself).

use std::borrow::Cow;

/// `s` with every control, format and separator character replaced by its visible escape (see the module
/// documentation); borrowed unchanged when there is none, which is nearly always.
pub fn visible(s: &str) -> Cow<'_, str> {
    let Some(first) = s.char_indices().find(|(_, c)| needs_escape(*c)) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first.0]);
    for c in s[first.0..].chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    if !needs_escape(c) {
        out.push(c);
        return;
    }
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\0'..='\x1f' | '\x7f' => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// Whether `c` must not reach a terminal as it is.
pub fn needs_escape(c: char) -> bool {
    let n = u32::from(c);
    if n < 0x20 || (0x7f..=0x9f).contains(&n) {
        return true;
    }
    if n < 0xad {
        return false;
    }
    FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&n))
}

/// Unicode general category Cf (format characters, Unicode 15.1), and Zl/Zp (U+2028, U+2029).
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(visible("a\tb\nc\rd"), "a\\tb\\nc\\rd");
        assert_eq!(visible("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(visible("\0\x07\x7f"), "\\x00\\x07\\x7f");
        assert_eq!(visible("csi\u{9b}2J"), "csi\\u{9b}2J");
        assert_eq!(visible("\u{85}"), "\\u{85}");
    }

    #[test]
    fn reordering_and_invisible_characters_are_shown() {
        assert_eq!(visible("abc\u{202e}txt.exe"), "abc\\u{202e}txt.exe");
        for c in [
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{feff}',
            '\u{2028}',
            '\u{2029}',
            '\u{ad}',
            '\u{e0041}',
        ] {
            let s = c.to_string();
            assert_eq!(visible(&s), format!("\\u{{{:x}}}", u32::from(c)));
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in [
            "",
            "sleep 100",
            "/usr/bin/vim",
            "héllo wörld",
            "日本語",
            "a\\xffb",
            "\u{a0}",
        ] {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(visible(s), s);
        }
    }

    #[test]
    fn no_escaped_output_holds_a_character_that_needs_escaping() {
        let all: String = (0..0x3000u32)
            .chain(0xE0000..0xE0100)
            .filter_map(char::from_u32)
            .collect();
        assert!(!visible(&all).chars().any(needs_escape));
    }
}
