//! `/proc/<pid>/limits`: a fixed-width table, `Limit  Soft Limit  Hard Limit  Units`.

use super::num;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitRow {
    /// The limit's name as printed (`Max open files`).
    pub name: String,
    /// Soft limit; `None` for `unlimited`.
    pub soft: Option<u64>,
    /// Hard limit; `None` for `unlimited`.
    pub hard: Option<u64>,
    /// Units column, when present.
    pub unit: Option<String>,
}

/// Decodes the rows; the header and lines that do not parse are skipped. The name column is everything
/// before the first number or `unlimited` (names contain spaces; values do not).
pub fn parse(bytes: &[u8]) -> Vec<LimitRow> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::with_capacity(16);
    // One list of words for every line (not one allocated per line).
    let mut words: Vec<&str> = Vec::new();
    for line in text.lines().skip_while(|l| l.starts_with("Limit")) {
        words.clear();
        words.extend(line.split_whitespace());
        let Some(first_value) = words
            .iter()
            .position(|w| *w == "unlimited" || w.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let value = |w: Option<&&str>| -> Option<Option<u64>> {
            match *w? {
                "unlimited" => Some(None),
                v => num(v.as_bytes()).map(Some),
            }
        };
        let (Some(soft), Some(hard)) = (
            value(words.get(first_value)),
            value(words.get(first_value + 1)),
        ) else {
            continue;
        };
        out.push(LimitRow {
            name: words[..first_value].join(" "),
            soft,
            hard,
            unit: words.get(first_value + 2).map(|u| u.to_string()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_limits() {
        let raw =
            crate::testdata::corpus_bytes("linux/proc-snapshots/prometheus-procfs/26231/limits");
        let rows = parse(&raw);
        assert_eq!(rows.len(), 16);
        let files = rows.iter().find(|r| r.name == "Max open files").unwrap();
        assert_eq!(
            (files.soft, files.hard, files.unit.as_deref()),
            (Some(2048), Some(4096), Some("files"))
        );
        let stack = rows.iter().find(|r| r.name == "Max stack size").unwrap();
        assert_eq!((stack.soft, stack.hard), (Some(8388608), None));
        let nice = rows.iter().find(|r| r.name == "Max nice priority").unwrap();
        assert_eq!(nice.unit, None);
        assert_eq!(rows[8].soft, Some(18446744073708503040));
        assert!(parse(b"Limit x\nMax foo bar baz\n\xff\n").is_empty());
    }
}
