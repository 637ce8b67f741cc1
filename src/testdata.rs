//! Where the tests find the corpus of real files (cores and /proc text published by other projects,
//! never committed here; `testdata/corpus.tsv` lists them with their sources and hashes). The unit tests
//! use this module through `crate::testdata`, the integration tests through `tests/common` (which
//! includes this file), so there is one rule for both:
//!
//! 1. `$PROCSIFT_CORPUS`, when set;
//! 2. else `../shared/corpus` beside the checkout, when it exists;
//! 3. else `testdata/corpus`, where `testdata/fetch-corpus` puts the files it downloads.
//!
//! A file that is in none of them fails the test with the command that fetches it: a test never passes
//! because its input is missing.

use std::path::{Path, PathBuf};

/// The directory the corpus is read from (see the module documentation).
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROCSIFT_CORPUS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/corpus");
    if shared.is_dir() {
        return shared;
    }
    root.join("testdata/corpus")
}

/// The corpus file (or directory) `rel` (`linux/elfutils-testfile71-x86_64.core`); panics, naming the
/// command that fetches it, when it is not there.
pub fn corpus(rel: &str) -> PathBuf {
    let dir = corpus_dir();
    let path = dir.join(rel);
    if !path.exists() {
        panic!(
            "corpus file {rel} is missing from {}: fetch the corpus with `testdata/fetch-corpus` \
             (or set PROCSIFT_CORPUS to a directory that holds it)",
            dir.display()
        );
    }
    path
}

/// The bytes of the corpus file `rel` (see [`corpus`]).
pub fn corpus_bytes(rel: &str) -> Vec<u8> {
    let path = corpus(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
