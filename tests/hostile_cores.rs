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
    check_warnings(&s, bytes.len());
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

/// Where a core's warnings may point: a note (`NT_*`, `NetBSD-CORE...`, `PT_NOTE[i]`), the ELF structure,
/// or a value recovered from the dumped memory (`argv`, `env`, whose offset is an address).
fn names_a_place(member: &str) -> bool {
    member.starts_with("NT_")
        || member.starts_with("NetBSD-CORE")
        || member.starts_with("PT_NOTE[")
        || matches!(
            member,
            "PT_LOAD" | "ELF header" | "program headers" | "section header 0" | "argv" | "env"
        )
}

/// Every warning names a note (or the ELF structure) and carries a file offset inside the file; an
/// address-valued one (argv, env) is exempt from the bound.
fn check_warnings(s: &Snapshot, len: usize) {
    for w in &s.warnings {
        assert!(names_a_place(&w.member), "warning names no note: {w:?}");
        let offset = w
            .offset
            .unwrap_or_else(|| panic!("warning without an offset: {w:?}"));
        if w.member != "argv" && w.member != "env" {
            assert!(
                offset <= len as u64,
                "offset {offset} past the file's {len} bytes: {w:?}"
            );
        }
        assert!(!w.message.is_empty());
    }
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

    // NT_FILE count: a lie is reported. Page size: every file offset saturates (no overflow), and the
    // mappings keep their paths.
    let mut b = bytes.clone();
    saturate(&mut b, file, 8);
    let s = analyze(&b, "nt_file").unwrap();
    assert!(
        s.warnings
            .iter()
            .any(|w| w.member == "NT_FILE" && w.message.contains("does not fit")),
        "a lying NT_FILE count is reported: {:?}",
        s.warnings
    );
    let mut b = bytes.clone();
    saturate(&mut b, file + 8, 8);
    let s = analyze(&b, "nt_file").unwrap();
    let maps = s.processes[0].maps.as_ref().unwrap();
    assert!(
        maps.iter()
            .any(|m| m.path.is_some() && m.offset == u64::MAX),
        "file offsets in pages of 2^64-1 bytes saturate"
    );
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
    // An OpenBSD-marked core is refused, although its notes are named like Linux's.
    let mut openbsd = corpus("linux/elfutils-testfile71-x86_64.core");
    openbsd[7] = 12; // EI_OSABI = ELFOSABI_OPENBSD
    let err = procsift::formats::elfcore::Core::parse(&openbsd).unwrap_err();
    assert_eq!(
        err,
        procsift::formats::elfcore::CoreError::UnsupportedOs("OpenBSD".into())
    );
    let err = analyze(b"\x7fELF", "tiny").unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    // A core cut inside its program headers is truncated, not of an unsupported system.
    let cut = &corpus("linux/elfutils-testfile71-x86_64.core")[..100];
    let err = analyze(cut, "cut").unwrap_err().to_string();
    assert!(
        err.contains("truncated") && !err.contains("unsupported"),
        "{err}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procsift"))
        .arg("core")
        .arg(write_temp("cut.core", cut))
        .output()
        .unwrap();
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && msg.contains("truncated"), "{msg}");
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

fn write_temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("procsift-hostile-cores-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A stack segment that wraps past the top of the address space: the dumped-stack walk adds the
/// position of the auxv copy to the segment's address. Generated from a corpus core: the segment that
/// holds the auxv's strings moved to 2^64 - 16, and the auxv's string pointers (AT_PLATFORM, AT_RANDOM,
/// AT_EXECFN, after the part the walk searches for) moved into it. Runs in a debug build, where an
/// unchecked addition panics.
#[test]
fn segments_at_the_top_of_the_address_space() {
    let bytes = corpus("linux/elfutils-testfile71-x86_64.core");
    let c = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    let auxv = c.notes.iter().find(|n| n.n_type == 6).unwrap();
    let (auxv_at, auxv_len) = (auxv.desc_offset as usize, auxv.desc.len());
    let execfn = auxv
        .desc
        .chunks_exact(16)
        .find(|p| u64::from_le_bytes(p[..8].try_into().unwrap()) == 31)
        .map(|p| u64::from_le_bytes(p[8..].try_into().unwrap()))
        .unwrap();
    let stack = c
        .segments
        .iter()
        .position(|s| s.vaddr <= execfn && execfn < s.vaddr + s.memsz)
        .unwrap();
    drop(c);
    let phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(bytes[56..58].try_into().unwrap()) as usize;
    let mut b = bytes.clone();
    let top = u64::MAX - 16;
    let loads: Vec<usize> = (0..phnum)
        .map(|i| phoff + i * 56)
        .filter(|&ph| u32::from_le_bytes(bytes[ph..ph + 4].try_into().unwrap()) == 1)
        .collect();
    let ph = loads[stack];
    b[ph + 16..ph + 24].copy_from_slice(&top.to_le_bytes());
    for i in (4 * 16..auxv_len).step_by(16) {
        let t = u64::from_le_bytes(b[auxv_at + i..auxv_at + i + 8].try_into().unwrap());
        if matches!(t, 15 | 25 | 31) {
            b[auxv_at + i + 8..auxv_at + i + 16].copy_from_slice(&(top + 8).to_le_bytes());
        }
    }
    let s = analyze(&b, "top").unwrap();
    assert!(report::core(&s).is_ok());
    // And with a word size of 0 claimed by a hostile FreeBSD NT_PROCSTAT_AUXV structsize.
    let fb = corpus("freebsd/bsi-amd64-bsi-k.core");
    let c = procsift::formats::elfcore::Core::parse(&fb).unwrap();
    let auxv = c.notes.iter().find(|n| n.n_type == 16).unwrap().desc_offset as usize;
    drop(c);
    let mut b = fb.clone();
    b[auxv..auxv + 4].fill(0);
    let s = analyze(&b, "auxv0").unwrap();
    assert!(s.core.as_ref().unwrap().auxv.is_empty());
}
