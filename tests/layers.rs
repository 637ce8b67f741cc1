//! The layers point one way (README, "Layout"): a module reaches only down. Checked on the source text
//! of every file under `src/`: each `crate::<module>` path outside comments must name a module the
//! layer may use. Neutral modules (`abi`, `bytes`, `time`, `error`, and the test-only `testdata`) are
//! usable by all.

use std::path::{Path, PathBuf};

const NEUTRAL: &[&str] = &["abi", "bytes", "time", "error", "testdata"];

/// Each layer (a directory under `src/`) and the layers it may use besides itself and the neutral ones.
const RULES: &[(&str, &[&str])] = &[
    ("formats", &[]),
    ("model", &[]),
    ("os", &[]),
    ("snapshot", &["formats", "model", "os"]),
    // gcore: a live process -> an ELF core (ptrace, process_vm_readv), an OS shim below capture.
    ("gcore", &["formats", "os"]),
    ("capture", &["gcore", "snapshot", "formats", "model", "os"]),
    ("input", &["capture", "snapshot", "formats", "model", "os"]),
    ("unwind", &["formats", "model", "os"]),
    (
        "analyze",
        &["input", "unwind", "snapshot", "formats", "model", "os"],
    ),
    ("diff", &["model"]),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The `crate::<name>` references of a source text, outside `//` comments.
fn references(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() && tail.starts_with('{') {
                // `use crate::{a, b::c}`: every name in the braces.
                let inner = tail[1..].split('}').next().unwrap_or("");
                for part in inner.split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push((n + 1, name));
                    }
                }
            } else if !name.is_empty() {
                out.push((n + 1, name));
            }
            rest = &tail[1.min(tail.len())..];
        }
    }
    out
}

#[test]
fn layers_import_only_downwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for (layer, allowed) in RULES {
        let mut all = Vec::new();
        files(&src.join(layer), &mut all);
        assert!(!all.is_empty(), "no files in src/{layer}");
        for f in all {
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, name) in references(&text) {
                let ok = name == *layer
                    || NEUTRAL.contains(&name.as_str())
                    || allowed.contains(&name.as_str())
                    // Re-exports at the crate root.
                    || name == "Result"
                    || name == "Error";
                if !ok {
                    violations.push(format!(
                        "{}:{line}: src/{layer} uses crate::{name}",
                        f.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The checker itself finds what it must (a rule that cannot fail is no rule).
#[test]
fn the_checker_sees_every_form_of_reference() {
    let refs = references(
        "use crate::report::x;\nuse crate::{model::A, analyze};\n// crate::diff in a comment\nlet a = crate::os::f(); // crate::cli\n",
    );
    let names: Vec<&str> = refs.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["report", "model", "analyze", "os"]);
}
