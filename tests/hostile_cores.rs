//! Damaged cores never panic: every truncation point of the header and note area, flipped bytes across
//! the notes, and notes whose counts and sizes lie. The analysis either refuses the file with an error
//! or returns a model with warnings.

use std::path::Path;

use procsift::analyze::core::analyze;

fn corpus(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus")
            .join(rel),
    )
    .unwrap()
}

const CORES: [&str; 6] = [
    "linux/elfutils-testfile71-x86_64.core",
    "linux/elfutils-testfile-m68k-core",
    "linux/pyelftools-core_linux32.elf",
    "freebsd/bsi-amd64-bsi-k.core",
    "netbsd/lldb-2lwp_t2_SIGSEGV.amd64.core",
    "illumos/nsu-k.kozlov-lab16-amd64.core",
];

/// The end of the last PT_NOTE segment: everything up to there is header and notes.
fn notes_end(bytes: &[u8]) -> usize {
    let core = procsift::formats::elfcore::Core::parse(bytes).unwrap();
    core.notes
        .iter()
        .map(|n| n.desc_offset as usize + n.desc.len())
        .max()
        .unwrap_or(64)
}

#[test]
fn truncated_at_every_point_of_the_notes() {
    for rel in CORES {
        let bytes = corpus(rel);
        let end = notes_end(&bytes);
        for len in (0..=end)
            .step_by(3)
            .chain([bytes.len() / 2, bytes.len() - 1])
        {
            let _ = analyze(&bytes[..len], rel);
        }
    }
}

#[test]
fn flipped_bytes_in_the_notes() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for rel in CORES {
        let bytes = corpus(rel);
        let end = notes_end(&bytes);
        for i in 0..end {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = analyze(&b, rel);
        }
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..8 {
                let i = (next() as usize) % end;
                b[i] = next() as u8;
            }
            let _ = analyze(&b, rel);
        }
    }
}

/// Overwrites the little-endian integer at `at` with all ones.
fn saturate(b: &mut [u8], at: usize, width: usize) {
    b[at..at + width].fill(0xff);
}

#[test]
fn lying_counts_and_sizes() {
    let bytes = corpus("linux/elfutils-testfile71-x86_64.core");
    let core = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    let file = core
        .notes
        .iter()
        .find(|n| n.n_type == 0x4649_4c45)
        .unwrap()
        .desc_offset as usize;
    let notes: Vec<usize> = core.notes.iter().map(|n| n.offset as usize).collect();
    drop(core);

    // NT_FILE count and page size.
    for field in [0, 8] {
        let mut b = bytes.clone();
        saturate(&mut b, file + field, 8);
        let s = analyze(&b, "nt_file").unwrap();
        assert!(
            !s.warnings.is_empty() || field == 8,
            "a lying NT_FILE count is reported"
        );
    }
    // Every note's namesz and descsz.
    for &n in &notes {
        for field in [0, 4] {
            let mut b = bytes.clone();
            saturate(&mut b, n + field, 4);
            let s = analyze(&b, "note").unwrap();
            assert!(
                !s.warnings.is_empty(),
                "note size lie at {n:#x}+{field} is reported"
            );
        }
    }
    // e_phnum, e_phoff, e_phentsize.
    for (at, width) in [(56, 2), (32, 8), (54, 2)] {
        let mut b = bytes.clone();
        saturate(&mut b, at, width);
        let _ = analyze(&b, "phdr");
    }

    // FreeBSD: NT_PROCSTAT structsize and record sizes.
    let bytes = corpus("freebsd/bsi-amd64-bsi-k.core");
    let core = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    let procstat: Vec<usize> = core
        .notes
        .iter()
        .filter(|n| (8..=16).contains(&n.n_type))
        .map(|n| n.desc_offset as usize)
        .collect();
    drop(core);
    for at in procstat {
        for off in [0, 4] {
            let mut b = bytes.clone();
            saturate(&mut b, at + off, 4);
            let _ = analyze(&b, "procstat");
            b[at + off..at + off + 4].copy_from_slice(&[1, 0, 0, 0]);
            let _ = analyze(&b, "procstat");
        }
    }
}

#[test]
fn not_a_core_is_a_clear_error() {
    let exe = std::fs::read(env!("CARGO_BIN_EXE_procsift")).unwrap();
    let err = analyze(&exe, "procsift").unwrap_err().to_string();
    assert!(err.contains("not a core"), "{err}");
    let mut openbsd = corpus("linux/elfutils-testfile71-x86_64.core");
    openbsd[7] = 12; // EI_OSABI = ELFOSABI_OPENBSD
    let core = procsift::formats::elfcore::Core::parse(&openbsd);
    // Linux note owners win over EI_OSABI only when they say so; an OpenBSD-marked core is refused.
    assert!(core.is_err() || core.unwrap().flavor == procsift::formats::elfcore::Flavor::Linux);
    let err = analyze(b"\x7fELF", "tiny").unwrap_err().to_string();
    assert!(err.contains("ELF header"), "{err}");
}
