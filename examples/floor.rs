//! The floor for `procsift capture`: read exactly the members a capture archived, the cheapest way —
//! `open`, `read` until EOF, `close` per file and one `readlink` per link — and throw the bytes away.
//!
//! Usage: `floor SNAPSHOT.tar` (the member list comes from the archive's manifest). Used by
//! `bench/run.sh`; not a test.

use std::io::Read;
use std::path::Path;

use procsift::snapshot::manifest::MemberKind;
use procsift::snapshot::reader::{OpenOptions, open_path};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: floor SNAPSHOT.tar");
        std::process::exit(2);
    };
    let raw = open_path(Path::new(&path), &OpenOptions::default()).expect("open snapshot");
    let manifest = raw.full_manifest().expect("snapshot has a manifest");
    let mut buf = vec![0u8; 64 * 1024];
    let (mut files, mut links, mut bytes) = (0u64, 0u64, 0u64);
    for m in manifest.members.iter().filter(|m| m.error.is_none()) {
        let host_path = format!("/{}", m.path);
        match m.kind {
            MemberKind::File => {
                let Ok(mut f) = std::fs::File::open(&host_path) else {
                    continue;
                };
                while let Ok(n) = f.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    bytes += n as u64;
                }
                files += 1;
            }
            MemberKind::Symlink => {
                if std::fs::read_link(&host_path).is_ok() {
                    links += 1;
                }
            }
            // Directory listings: capture lists fd/, ns/ and task/ to know the members above.
            MemberKind::Directory => {}
        }
    }
    eprintln!("floor: {files} files, {links} links, {bytes} bytes");
}
