//! Core reader: any bytes as an ELF core, unwound (`procsift::analyze::core::analyze_with_stacks`, which
//! builds the model as `analyze` does and then unwinds every thread) with the bytes after the first
//! `\0@@\0` (or none) offered as every module file, debug file and `--exe`, so that CFI, symbol and
//! DWARF parsing see hostile modules; then one of `ps`, `info`, `show`, `threads --stack` and `core`
//! in one format, chosen by the input's length (every report in every format is the `reports`
//! target's).
#![no_main]

use libfuzzer_sys::fuzz_target;
use procsift::unwind::{ByBuildId, FileBytes, Found, ModuleFile, ModuleProvider};

#[path = "common.rs"]
mod common;

/// Every module is `self.0`.
struct Every<'a>(&'a [u8]);

impl Every<'_> {
    fn file(&self) -> Option<ModuleFile> {
        (!self.0.is_empty()).then(|| ModuleFile {
            bytes: FileBytes::Owned(self.0.to_vec()),
            location: "fuzz.module".into(),
        })
    }
}

impl ModuleProvider for Every<'_> {
    fn file(&self, _: &[u8]) -> Found {
        match Every::file(self) {
            Some(f) => Found::File(f),
            None => Found::Missing("no module".into()),
        }
    }
    fn by_build_id(&self, _: &[u8], kind: ByBuildId) -> Option<ModuleFile> {
        (kind == ByBuildId::Debug)
            .then(|| Every::file(self))
            .flatten()
    }
    fn describe(&self) -> String {
        "the fuzz input".into()
    }
    fn executable(&self) -> Option<ModuleFile> {
        Every::file(self)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = common::split(data, common::SEP);
    let core = parts.next().unwrap_or_default();
    let module = parts.next().unwrap_or_default();
    let Ok(s) = procsift::analyze::core::analyze_with_stacks(core, "fuzz.core", &Every(module))
    else {
        return;
    };
    let k = data.len();
    if k % 5 == 4 {
        // The core report: the one that shows most of what a core holds.
        if let Ok(r) = procsift::report::core(&s) {
            let format = common::FORMATS[(k / 5) % 4];
            let _ = procsift::report::render::render(&r, format, Some(80), &mut std::io::sink());
        }
    } else {
        common::light_report(&s, k % 5 + 4 * ((k / 5) % 4));
    }
});
