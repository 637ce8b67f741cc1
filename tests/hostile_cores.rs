//! Damaged cores never panic: every truncation point of the header and note area, flipped bytes across
//! the notes, and notes whose counts and sizes lie. The analysis either refuses the file with an error
//! or returns a model with warnings.

mod common;

use procsift::analyze::core;
use procsift::model::Snapshot;
use procsift::report::{self, Format};

/// Analyzes `bytes` as a core and, when that gives a model, builds the core and maps reports (where
/// addresses are located in mappings) and, for one input in 16, every report a core is read with,
/// rendered: damage must not panic the reports either.
fn analyze(bytes: &[u8], name: &str) -> Result<Snapshot, procsift::formats::elfcore::CoreError> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let s = core::analyze(bytes, name)?;
    let first = s.processes.first().map(|p| p.pid);
    let _ = report::core(&s);
    let _ = first.map(|pid| report::maps(&s, pid));
    if N.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 16 == 0 {
        let reports = [
            report::core(&s).ok(),
            first.and_then(|pid| report::maps(&s, pid).ok()),
            first.and_then(|pid| report::show(&s, pid).ok()),
            report::threads(&s, None, &Default::default()).ok(),
            report::files(&s, None, &Default::default()).ok(),
        ];
        let mut out = Vec::new();
        for r in reports.iter().flatten() {
            for f in [Format::Table, Format::Json] {
                out.clear();
                let _ = report::render::render(r, f, None, &mut out);
            }
        }
    }
    Ok(s)
}

fn corpus(rel: &str) -> Vec<u8> {
    common::corpus_bytes(rel)
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

/// Found by the `core` fuzz target: an NT_FILE page offset near 2^64 overflowed `offset + (pc - start)`
/// in the core report's "pc (path+offset)". Generated here from a corpus core: every entry's page
/// offset set to all ones (so `file_ofs * page_size` saturates), then every report.
#[test]
fn nt_file_offsets_near_2_64_in_the_core_report() {
    let mut bytes = corpus("linux/elfutils-testfile71-x86_64.core");
    let c = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    let file = c.notes.iter().find(|n| n.n_type == 0x4649_4c45).unwrap();
    let (at, len) = (file.desc_offset as usize, file.desc.len());
    drop(c);
    let count = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    assert!(count > 0 && at + 16 + count * 24 <= at + len);
    for i in 0..count {
        let pgoff = at + 16 + i * 24 + 16;
        bytes[pgoff..pgoff + 8].fill(0xff);
    }
    let s = analyze(&bytes, "nt_file_offsets").unwrap();
    let r = report::core(&s).unwrap();
    let mut out = Vec::new();
    report::render::render(&r, Format::Table, None, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("overflows"), "{text}");
}

/// Found by reading the code around the fuzz crash above: the core report counted partly dumped mappings
/// with `end - start`, which underflows for a mapping whose end lies before its start (a FreeBSD VMMAP entry, an NT_FILE
/// entry). Generated from the FreeBSD corpus core: every VMMAP entry's `kve_end` set to 0.
#[test]
fn mappings_that_end_before_they_start() {
    let bytes = corpus("freebsd/bsi-amd64-bsi-k.core");
    let c = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    // NT_PROCSTAT_VMMAP (10): an int structsize, then kinfo_vmentry records (kve_structsize at 0,
    // kve_start at 8, kve_end at 16).
    let vmmap = c.notes.iter().find(|n| n.n_type == 10).unwrap();
    let (at, len) = (vmmap.desc_offset as usize, vmmap.desc.len());
    drop(c);
    let mut b = bytes.clone();
    let mut off = at + 4;
    while off + 24 <= at + len {
        let size = i32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        b[off + 16..off + 24].fill(0);
        if size <= 0 {
            break;
        }
        off += size as usize;
    }
    let s = analyze(&b, "vmmap").unwrap();
    assert!(report::core(&s).is_ok());
}
