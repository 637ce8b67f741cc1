//! Text reports (`tree`, `show`, `core`, `info`, the `diff` header, `verify`): blocks of lines, laid out
//! here and only here, each line passed through [`visible`] as it is written.
//!
//! Piped (no width), every line is written whole. On a terminal of `width` columns: a [`Block::Line`] (one
//! record of a list, like a tree's process) is cut at the width, so one record stays one line; a
//! [`Block::Wrapped`] or a field of [`Block::Fields`] wraps its value under itself, so nothing of it is
//! lost; a [`Block::Table`] is laid out as every table is (see [`super::table`]).

use std::io::Write;

use super::escape::visible;
use super::table::{Table, cut, split_at_width, width_of, write_table};

/// A piece of a text report.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// One line (a list's record): cut at a terminal's width.
    Line(String),
    /// `lead` then `text`; on a terminal the text wraps, its continuation lines indented under its start.
    Wrapped {
        /// The start of the first line (`OLD  `, `note: `).
        lead: String,
        /// The text that wraps.
        text: String,
    },
    /// A section of `(field, value)` pairs: `title:`, then one `  field  value` line per pair with the
    /// values aligned (and wrapped under themselves on a terminal); without a title, `field  value`.
    Fields {
        /// Section title.
        title: Option<String>,
        /// The fields.
        fields: Vec<(String, String)>,
    },
    /// A table.
    Table(Table),
}

/// Writes `blocks`: whole when `width` is `None`, fitted to `width` columns on a terminal.
pub(crate) fn write_blocks(
    blocks: &[Block],
    width: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for block in blocks {
        match block {
            Block::Line(line) => {
                let line = visible(line);
                let line = match width {
                    Some(w) => cut(&line, w),
                    None => &line,
                };
                writeln!(out, "{}", line.trim_end())?;
            }
            Block::Wrapped { lead, text } => {
                write_wrapped(&visible(lead), &visible(text), width, out)?;
            }
            Block::Fields { title, fields } => {
                let indent = match title {
                    Some(title) => {
                        let title = format!("{}:", visible(title));
                        writeln!(out, "{}", width.map_or(title.as_str(), |w| cut(&title, w)))?;
                        "  "
                    }
                    None => "",
                };
                let keys: Vec<String> = fields.iter().map(|(k, _)| visible(k).into()).collect();
                let mut key_width = keys.iter().map(|k| width_of(k)).max().unwrap_or(0);
                if let Some(w) = width {
                    key_width = key_width.min(w / 3);
                }
                for (key, (_, value)) in keys.iter().zip(fields) {
                    let key = cut(key, key_width);
                    let pad = key_width - width_of(key);
                    let lead = format!("{indent}{key}{}  ", " ".repeat(pad));
                    write_wrapped(&lead, &visible(value), width, out)?;
                }
            }
            Block::Table(t) => write_table(t, width, out)?,
        }
    }
    Ok(())
}

/// `lead` + `text` on one line when piped; on a terminal the text is broken into lines of the width left
/// after the lead (at a space where one is near the end), continuation lines indented by the lead's width.
/// With less than 20 columns left after the lead, continuation lines are indented by 4 only.
fn write_wrapped(
    lead: &str,
    text: &str,
    width: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if text.is_empty() {
        let lead = lead.trim_end();
        return writeln!(out, "{}", width.map_or(lead, |w| cut(lead, w)));
    }
    let Some(width) = width else {
        return writeln!(out, "{lead}{text}");
    };
    let lead_width = width_of(lead);
    let first = width.saturating_sub(lead_width);
    let indent = if first >= 20 {
        lead_width
    } else {
        4.min(width / 2)
    };
    let rest = width.saturating_sub(indent).max(1);
    let mut remaining = text;
    let mut line_no = 0;
    loop {
        let room = if line_no == 0 { first } else { rest };
        let (head, tail) = split_at_width(remaining, room);
        let prefix = if line_no == 0 {
            lead.to_string()
        } else {
            " ".repeat(indent)
        };
        let line = format!("{prefix}{head}");
        writeln!(out, "{}", cut(&line, width))?;
        remaining = tail;
        line_no += 1;
        if remaining.is_empty() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(blocks: &[Block], width: Option<usize>) -> String {
        let mut out = Vec::new();
        write_blocks(blocks, width, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_are_escaped_and_cut_on_a_terminal() {
        let b = [Block::Line(format!("1 sleep x\ny {}", "z".repeat(100)))];
        let piped = text(&b, None);
        assert_eq!(piped, format!("1 sleep x\\ny {}\n", "z".repeat(100)));
        let t = text(&b, Some(40));
        assert_eq!(t.lines().count(), 1);
        assert_eq!(width_of(t.trim_end()), 40);
    }

    #[test]
    fn fields_align_and_wrap_under_their_value() {
        let value = (0..30)
            .map(|i| format!("w{i:02}"))
            .collect::<Vec<_>>()
            .join(" ");
        let b = [Block::Fields {
            title: Some("arguments".into()),
            fields: vec![
                ("argv[0]".into(), "sleep".into()),
                ("argv[10]".into(), value.clone()),
            ],
        }];
        assert_eq!(
            text(&b, None),
            format!("arguments:\n  argv[0]   sleep\n  argv[10]  {value}\n")
        );
        let t = text(&b, Some(40));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.iter().all(|l| width_of(l) <= 40), "{t}");
        assert!(lines[2].starts_with("  argv[10]  w00 "), "{t}");
        assert!(lines[3].starts_with("            w"), "{t}");
        // Nothing is lost: the wrapped pieces join back into the value.
        let joined: String = lines[2..].iter().map(|l| l[12..].to_string()).collect();
        assert_eq!(joined.trim_end(), value);
    }

    #[test]
    fn narrow_and_zero_widths_make_progress() {
        let b = [Block::Wrapped {
            lead: "a very long lead that fills the line: ".into(),
            text: "x".repeat(50),
        }];
        for w in [1, 5, 10, 30] {
            let t = text(&b, Some(w));
            assert!(t.lines().all(|l| width_of(l) <= w), "{w}: {t}");
            assert_eq!(t.matches('x').count(), 50, "{w}: {t}");
        }
        assert_eq!(split_at_width("abc", 0), ("", "abc"));
        assert_eq!(
            split_at_width("/usr/local/sbin", 12),
            ("/usr/local/", "sbin")
        );
        assert_eq!(split_at_width("ab cd/efgh", 8), ("ab cd/", "efgh"));
        assert_eq!(split_at_width("日本", 1), ("日", "本"));
    }
}
