//! Shared by the hostile-input tests: replacing one member of a snapshot, analyzing within a bound, and
//! checking that the warnings damage causes name the damaged member.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

use procsift::analyze::{self, Detail};
use procsift::model::{Snapshot, Source};
use procsift::report::{self, Format, PsOptions};
use procsift::snapshot::{Member, MemoryBuilder, RawSnapshot};

/// A copy of `raw` with the member `path` replaced by `bytes`.
pub fn with_member(raw: &RawSnapshot, path: &str, bytes: &[u8]) -> RawSnapshot {
    let mut b = MemoryBuilder::new();
    for (p, m) in raw.members() {
        match m {
            _ if p == path => b.file(p, bytes),
            Member::File { .. } => b.file(p, raw.file(p).unwrap()),
            Member::Symlink(t) => b.symlink(p, t),
            Member::Failed(e) => b.failed(p, e.clone()),
        }
    }
    b.build(None, Vec::new(), Source::default())
}

/// Analyzes and reports over `raw`; returns the model. How long that takes is the benchmark's to
/// measure, not a test's to assert: with `PROCSIFT_TIMES=FILE` each analysis appends `what<TAB>seconds` to
/// FILE (bench/run.sh reports the slowest against the 5 s the README promises).
pub fn analyze_bounded(raw: &RawSnapshot, what: &str) -> Snapshot {
    let t = Instant::now();
    let s = analyze::analyze_with(raw, Detail::FULL);
    let _ = report::ps(&s, &PsOptions::default());
    let _ = report::tree(&s, &Default::default());
    let _ = report::files(&s, None, &Default::default());
    let _ = report::threads(&s, None, &Default::default());
    for p in &s.processes {
        for r in [
            report::show(&s, p.pid),
            report::maps(&s, p.pid),
            report::signals(&s, p.pid),
        ]
        .into_iter()
        .flatten()
        {
            let mut out = Vec::new();
            let _ = report::render::render(&r, Format::Json, None, &mut out);
        }
    }
    if let Some(file) = std::env::var_os("PROCSIFT_TIMES") {
        let line = format!(
            "{}\t{:.6}\n",
            what.replace(['\t', '\n'], " "),
            t.elapsed().as_secs_f64()
        );
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
    s
}

/// Every warning not in `baseline` names a member within `scope` (the damaged member itself, or its
/// process's directory where one file's layout decides how the others are read), with an offset (if
/// any) no further than that member's length in `raw`, the damaged snapshot.
pub fn check_new_warnings(
    baseline: &BTreeSet<String>,
    s: &Snapshot,
    raw: &RawSnapshot,
    scope: &str,
) {
    for w in &s.warnings {
        if baseline.contains(&w.to_string()) {
            continue;
        }
        assert!(
            w.member == scope || (scope.ends_with('/') && w.member.starts_with(scope)),
            "warning outside {scope}: {w}"
        );
        if let Some(o) = w.offset {
            let len = raw.file(&w.member).map_or(0, <[u8]>::len);
            assert!(
                o as usize <= len,
                "offset past the member's {len} bytes: {w}"
            );
        }
    }
}

pub fn text_members(raw: &RawSnapshot) -> Vec<(String, Vec<u8>)> {
    raw.members()
        .filter(|(_, m)| matches!(m, Member::File { .. }))
        .map(|(p, _)| (p.to_string(), raw.file(p).unwrap().to_vec()))
        .collect()
}

/// A xorshift generator: seeded, so every run damages the same bytes.
pub struct Rng(pub u64);

impl Rng {
    /// The next pseudo-random number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
