//! Core reader: any bytes as an ELF core (`procsift::analyze::core::analyze`), then every report; then
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
        common::every_report(&s, data.len());
        common::every_report(&procsift::model::redact::redacted(s), data.len() + 1);
    }
    let mut parts = common::split(data, common::SEP);
    let core = parts.next().unwrap_or_default();
    let module = parts.next().unwrap_or_default();
    if let Ok(s) = procsift::analyze::core::analyze_with_stacks(core, "fuzz.core", &Every(module)) {
        common::every_report(&s, core.len());
    }
});
