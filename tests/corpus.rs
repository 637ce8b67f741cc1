//! The corpus the tests read is the one `testdata/corpus.tsv` lists: every listed file is there with the
//! listed size and SHA-256 (a missing one fails with the command that fetches it), and the list names a
//! source, a commit and a licence for each.

mod common;

use sha2::{Digest, Sha256};

#[test]
fn every_listed_file_is_present_and_intact() {
    let list = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus.tsv"),
    )
    .unwrap();
    let mut lines = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut n = 0;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        let rel = f[col("file")];
        for c in ["repository", "commit", "path", "licence"] {
            assert!(!f[col(c)].is_empty(), "{rel}: no {c}");
        }
        assert_eq!(f[col("commit")].len(), 40, "{rel}: a full commit id");
        let bytes = common::corpus_bytes(rel);
        assert_eq!(bytes.len().to_string(), f[col("size")], "{rel}: size");
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hash, f[col("sha256")], "{rel}: SHA-256");
        n += 1;
    }
    assert!(n >= 70, "{n} files listed");
}
