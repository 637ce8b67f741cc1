//! Core reader: any bytes as an ELF core (`procsift::analyze::core::analyze`), then `ps`, `info`,
//! `show`, `threads --stack` and `core` (every report in every format is the `reports` target's); then
//! the same core unwound (`analyze_with_stacks`), with the bytes after the first `\0@@\0` (or none)
//! offered as every module file and as `--exe`, so CFI, symbol and DWARF parsing see hostile modules.
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
        (kind == ByBuildId::Debug).then(|| Every::file(self)).flatten()
    }
    fn describe(&self) -> String {
        "the fuzz input".into()
    }
    fn executable(&self) -> Option<ModuleFile> {
        Every::file(self)
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = procsift::analyze::core::analyze(data, "fuzz.core") {
        common::light_reports(&s, data.len());
        // The core report is the one that shows most of what a core holds.
        if let Ok(r) = procsift::report::core(&s) {
            let _ = procsift::report::render::render(
                &r,
                procsift::report::Format::Table,
                Some(80),
                &mut std::io::sink(),
            );
        }
    }
    let mut parts = common::split(data, common::SEP);
    let core = parts.next().unwrap_or_default();
    let module = parts.next().unwrap_or_default();
    if let Ok(s) = procsift::analyze::core::analyze_with_stacks(core, "fuzz.core", &Every(module)) {
        common::light_reports(&s, core.len());
    }
});
