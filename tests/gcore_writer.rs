//! The core writer without ptrace: a fake process's memory and registers in, an ELF core out, read back by
//! procsift's decoders and by readelf / eu-readelf (independent witnesses of the layout).

mod common;

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use common::TempDir;
use procsift::formats::elfcore::Core;
use procsift::gcore::writer::{
    self, DumpFacts, FileMapping, Memory, Missing, ProcessState, Run, RunKind, Segment,
    ThreadState, Want, Writer, Writers,
};

const PAGE: u64 = 4096;

/// A process's memory: (start, bytes) regions, with pages that cannot be read and pages never touched.
struct FakeMemory {
    regions: Vec<(u64, Vec<u8>)>,
    unreadable: Vec<u64>,
    untouched: Vec<u64>,
    reads: usize,
}

impl FakeMemory {
    fn byte(&self, addr: u64) -> u8 {
        for (start, bytes) in &self.regions {
            if addr >= *start && addr < start + bytes.len() as u64 {
                return bytes[(addr - start) as usize];
            }
        }
        0
    }
}

impl Memory for FakeMemory {
    fn read(
        &mut self,
        segment: &Segment,
        addr: u64,
        buf: &mut [u8],
        runs: &mut Vec<Run>,
    ) -> procsift::Result<()> {
        self.reads += 1;
        runs.clear();
        for (i, chunk) in buf.chunks_mut(PAGE as usize).enumerate() {
            let page = addr + i as u64 * PAGE;
            let kind = if self.unreadable.contains(&page) {
                RunKind::Unreadable(5)
            } else if segment.absent_is_zero && self.untouched.contains(&page) {
                RunKind::Zero
            } else {
                for (j, b) in chunk.iter_mut().enumerate() {
                    *b = self.byte(page + j as u64);
                }
                RunKind::Data
            };
            match runs.last_mut() {
                Some(r) if r.kind == kind => r.len += chunk.len(),
                _ => runs.push(Run {
                    len: chunk.len(),
                    kind,
                }),
            }
        }
        Ok(())
    }
}

fn seg(start: u64, pages: u64, want: Want) -> Segment {
    Segment {
        start,
        end: start + pages * PAGE,
        flags: 6,
        want,
        absent_is_zero: false,
        untouched: false,
        mostly_present: false,
    }
}

/// x86_64 user_regs_struct with ip (slot 16) and sp (slot 19) set.
fn gregs(ip: u64, sp: u64) -> Vec<u8> {
    let mut r = vec![0u8; 27 * 8];
    r[16 * 8..17 * 8].copy_from_slice(&ip.to_le_bytes());
    r[19 * 8..20 * 8].copy_from_slice(&sp.to_le_bytes());
    r
}

fn thread(tid: i32, ip: u64, sp: u64) -> ThreadState {
    ThreadState {
        tid,
        signal: 0,
        sigpend: 0,
        sighold: 1 << 9,
        utime_us: 1_250_000,
        stime_us: 500_000,
        gregs: gregs(ip, sp),
        fpregs: Some(vec![0x11; 512]),
        extra: vec![(0x202, vec![0x22; 1088])],
    }
}

fn process() -> ProcessState {
    // AT_PAGESZ 4096, AT_NULL.
    let mut auxv = Vec::new();
    for (t, v) in [(6u64, 4096u64), (0, 0)] {
        auxv.extend_from_slice(&t.to_le_bytes());
        auxv.extend_from_slice(&v.to_le_bytes());
    }
    ProcessState {
        pid: 4242,
        ppid: 1,
        pgrp: 4242,
        sid: 4000,
        uid: 1000,
        gid: 100,
        state: b'S',
        nice: -5,
        flags: 0x40_0000,
        comm: b"fake-comm-longer-than-sixteen".to_vec(),
        args: b"/usr/bin/fake\0--flag\0value\0".to_vec(),
        cutime_us: 0,
        cstime_us: 0,
        siginfo: vec![0; 128],
        auxv,
        files: vec![FileMapping {
            start: 0x40000,
            end: 0x42000,
            offset: 0,
            path: b"/usr/lib/libfake.so (deleted)".to_vec(),
        }],
        page_size: PAGE,
    }
}

fn facts() -> DumpFacts {
    DumpFacts {
        filter: 0x33,
        all: false,
        was_stopped: false,
        stopped_ns: 12_345_678,
        time: (1_765_000_000, 5),
        max_size: 0,
    }
}

/// The memory and the segments every test writes.
fn fixture() -> (FakeMemory, Vec<Segment>) {
    let mut heap = vec![0u8; 4 * PAGE as usize];
    heap[..16].copy_from_slice(b"HEAP-PAGE-ZERO!!");
    heap[2 * PAGE as usize..2 * PAGE as usize + 4].copy_from_slice(b"TWO!");
    let mut elf = vec![0u8; 2 * PAGE as usize];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[PAGE as usize] = 0x99;
    let mut text = vec![0u8; PAGE as usize];
    text[..4].copy_from_slice(b"TEXT");
    let mem = FakeMemory {
        regions: vec![
            (0x10000, heap),
            (0x20000, vec![0x5a; 2 * PAGE as usize]),
            (0x40000, elf),
            (0x50000, text),
            (0x60000, vec![0x77; 4 * PAGE as usize]),
        ],
        unreadable: vec![0x21000],
        untouched: vec![0x61000, 0x62000],
        reads: 0,
    };
    let mut anon = seg(0x60000, 4, Want::Whole);
    anon.absent_is_zero = true;
    let segments = vec![
        seg(0x10000, 4, Want::Whole),
        seg(0x20000, 2, Want::Whole),
        seg(0x30000, 1, Want::Nothing),
        seg(0x40000, 2, Want::ElfHeader),
        seg(0x50000, 1, Want::ElfHeader),
        anon,
        // All zero: holes only.
        seg(0x100000, 1024, Want::Whole),
    ];
    (mem, segments)
}

fn write_core(
    path: &std::path::Path,
    max_size: Option<u64>,
    order: &[usize],
) -> (writer::Written, FakeMemory) {
    write_core_holding(path, max_size, order, 0)
}

/// Like `write_core`, with `held_bytes` of memory to hold chunks in until `finish`.
fn write_core_holding(
    path: &std::path::Path,
    max_size: Option<u64>,
    order: &[usize],
    held_bytes: usize,
) -> (writer::Written, FakeMemory) {
    let (mut mem, segments) = fixture();
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .unwrap();
    let mut memory = vec![0xee; held_bytes];
    let mut w = Writer::new(&file, PAGE, max_size);
    w.hold_in(&mut memory[..]);
    for &i in order {
        w.segment(&segments[i], &mut mem).unwrap();
    }
    let threads = [
        thread(4242, 0x401000, 0x7ffd0000),
        thread(4243, 0x402000, 0x7ffc0000),
    ];
    let written = w
        .finish(writer::X86_64, &threads, &process(), &facts())
        .unwrap();
    (written, mem)
}

fn segments_of(bytes: &[u8]) -> Vec<(u64, u64, u64)> {
    let core = Core::parse(bytes).unwrap();
    assert!(core.warnings.is_empty(), "{:?}", core.warnings);
    core.segments
        .iter()
        .map(|s| (s.vaddr, s.memsz, s.filesz))
        .collect()
}

#[test]
fn segments_holes_and_missing_ranges() {
    let dir = TempDir::new("gcore-writer");
    let path = dir.path().join("core");
    let (written, _) = write_core(&path, None, &[0, 1, 2, 3, 4, 5, 6]);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(written.file_size, bytes.len() as u64);
    assert_eq!(
        segments_of(&bytes),
        vec![
            (0x10000, 0x4000, 0x4000),
            // The unreadable second page is its own segment with no bytes.
            (0x20000, 0x1000, 0x1000),
            (0x21000, 0x1000, 0),
            (0x30000, 0x1000, 0),
            // An ELF header: its first page only.
            (0x40000, 0x2000, 0x1000),
            // Not an ELF header: nothing.
            (0x50000, 0x1000, 0),
            (0x60000, 0x4000, 0x4000),
            (0x100000, 0x400000, 0x400000),
        ]
    );
    assert_eq!(written.segments, 8);
    assert_eq!(written.segments_with_data, 5);
    assert_eq!(
        written.missing,
        vec![writer::MissingRange {
            start: 0x21000,
            end: 0x22000,
            why: Missing::Unreadable(5)
        }]
    );
    let core = Core::parse(&bytes).unwrap();
    let mem = core.memory();
    assert_eq!(mem.read(0x10000, 16), Some(&b"HEAP-PAGE-ZERO!!"[..]));
    assert_eq!(mem.read(0x12000, 4), Some(&b"TWO!"[..]));
    assert_eq!(mem.read(0x11000, 4), Some(&[0u8; 4][..]));
    assert_eq!(mem.read(0x40000, 4), Some(&b"\x7fELF"[..]));
    assert_eq!(mem.read(0x60000, 2), Some(&[0x77u8, 0x77][..]));
    // Never-touched anonymous pages: zeros, not the fake's 0x77 (they were not read).
    assert_eq!(mem.read(0x61000, 2), Some(&[0u8, 0][..]));
    assert_eq!(mem.read(0x63000, 2), Some(&[0x77u8, 0x77][..]));
    // Data written: heap pages 0 and 2, the readable page at 0x20000, the ELF page, anon pages 0 and
    // 3. The zero pages are holes: 4 MiB of zeros take (almost) no disk.
    assert_eq!(written.data_bytes, 6 * PAGE);
    let blocks = std::fs::metadata(&path).unwrap().blocks() * 512;
    assert!(
        blocks < 1 << 20,
        "{blocks} bytes on disk for a {}-byte core",
        bytes.len()
    );
}

#[test]
fn notes_read_back_by_procsift_and_readelf() {
    let dir = TempDir::new("gcore-writer");
    let path = dir.path().join("core");
    write_core(&path, None, &[0, 1, 2, 3, 4, 5, 6]);
    let bytes = std::fs::read(&path).unwrap();
    let snap = procsift::analyze::core::analyze(&bytes, "core").unwrap();
    let p = &snap.processes[0];
    assert_eq!(p.pid, 4242);
    assert_eq!((p.ppid, p.pgid, p.sid), (Some(1), Some(4242), Some(4000)));
    // pr_fname holds 15 bytes and a NUL.
    assert_eq!(p.comm.as_ref().unwrap().as_bytes(), b"fake-comm-longe");
    assert_eq!(
        p.psargs.as_ref().unwrap().as_bytes(),
        b"/usr/bin/fake --flag value "
    );
    assert_eq!(p.state.as_deref(), Some("S"));
    assert_eq!(p.nice, Some(-5));
    assert_eq!(p.cred.uid, Some(1000));
    let threads = p.threads.as_ref().unwrap();
    let pcsp: Vec<(i32, Option<u64>, Option<u64>)> =
        threads.iter().map(|t| (t.tid, t.pc, t.sp)).collect();
    assert_eq!(
        pcsp,
        vec![
            (4242, Some(0x401000), Some(0x7ffd0000)),
            (4243, Some(0x402000), Some(0x7ffc0000))
        ]
    );
    assert_eq!(threads[0].user_time, Some(1.25));
    assert_eq!(threads[0].sig_blocked.as_deref(), Some("0000000000000200"));
    let info = snap.core.as_ref().unwrap();
    // A siginfo of signal 0 is no signal.
    assert!(info.signal.is_none());
    let live = info.live.as_ref().unwrap();
    assert_eq!(live.tool, "procsift gcore");
    assert!((live.stopped_ms - 12.345678).abs() < 1e-9);
    assert_eq!(live.coredump_filter, 0x33);
    assert_eq!(live.threads, 2);
    assert_eq!(live.missing.len(), 1);
    assert_eq!(live.missing[0].errno.as_deref(), Some("EIO"));
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.member == "PROCSIFT note" && w.message.contains("0x21000-0x22000"))
    );
    let maps = p.maps.as_ref().unwrap();
    let lib = maps.iter().find(|m| m.start == 0x40000).unwrap();
    assert_eq!(
        lib.path.as_ref().unwrap().as_bytes(),
        b"/usr/lib/libfake.so (deleted)"
    );

    // readelf: every note, in the kernel's order, then procsift's.
    let out = Command::new("readelf")
        .arg("-nW")
        .arg(&path)
        .output()
        .expect("readelf (binutils)");
    let text = String::from_utf8_lossy(&out.stdout);
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let owner = w.next()?;
            matches!(owner, "CORE" | "LINUX" | "PROCSIFT").then(|| l.trim())
        })
        .map(|l| l.split_whitespace().nth(2).unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "NT_PRSTATUS",
            "NT_PRPSINFO",
            "NT_SIGINFO",
            "NT_AUXV",
            "NT_FILE",
            "NT_FPREGSET",
            "NT_X86_XSTATE",
            "NT_PRSTATUS",
            "NT_FPREGSET",
            "NT_X86_XSTATE",
            "Unknown",
        ],
        "{text}"
    );
    // eu-readelf decodes NT_FILE and NT_PRSTATUS itself.
    let out = Command::new("eu-readelf")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("eu-readelf (elfutils)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/usr/lib/libfake.so (deleted)"), "{text}");
    assert!(text.contains("00040000-00042000 00000000 8192"), "{text}");
    // pr_sighold bit 9: signal 10.
    assert!(text.contains("sighold: <10>"), "{text}");
    assert!(text.contains("pid: 4243"), "{text}");
    assert!(text.contains("fname: fake-comm-longe"), "{text}");
}

#[test]
fn max_size_keeps_what_was_written_first() {
    let dir = TempDir::new("gcore-writer");
    let path = dir.path().join("core");
    // Segment 5 (anon, 4 pages) first, as gcore puts the stacks first; then the rest by address. The
    // cap: the data area starts after the ELF header's page, so 6 pages of file hold 5 of memory.
    let (written, _) = write_core(&path, Some(6 * PAGE), &[5, 0, 1, 2, 3, 4, 6]);
    let bytes = std::fs::read(&path).unwrap();
    let segs = segments_of(&bytes);
    assert!(segs.contains(&(0x60000, 0x4000, 0x4000)), "{segs:x?}");
    // One heap page fits; the rest of the heap and everything after is left out.
    assert!(segs.contains(&(0x10000, 0x1000, 0x1000)), "{segs:x?}");
    assert!(segs.contains(&(0x11000, 0x3000, 0)), "{segs:x?}");
    assert!(segs.contains(&(0x100000, 0x400000, 0)), "{segs:x?}");
    let over: Vec<(u64, u64)> = written
        .missing
        .iter()
        .filter(|m| m.why == Missing::OverMaxSize)
        .map(|m| (m.start, m.end))
        .collect();
    assert_eq!(
        over,
        vec![
            (0x11000, 0x14000),
            (0x20000, 0x22000),
            (0x40000, 0x41000),
            (0x50000, 0x51000),
            (0x100000, 0x500000)
        ]
    );
    let snap = procsift::analyze::core::analyze(&bytes, "core").unwrap();
    let live = snap.core.unwrap().live.unwrap();
    assert_eq!(
        live.missing
            .iter()
            .filter(|m| m.reason == "max_size")
            .count(),
        5
    );
}

#[test]
fn more_segments_than_e_phnum_holds() {
    // 70,000 mappings (vm.max_map_count allows 65,530, and unreadable ranges add more): PN_XNUM with
    // the count in section header 0, as the kernel writes it.
    let dir = TempDir::new("gcore-writer");
    let path = dir.path().join("core");
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    let mut mem = FakeMemory {
        regions: Vec::new(),
        unreadable: Vec::new(),
        untouched: Vec::new(),
        reads: 0,
    };
    let mut w = Writer::new(&file, PAGE, None);
    for i in 0..70_000u64 {
        w.segment(&seg(0x1000_0000 + i * 2 * PAGE, 1, Want::Nothing), &mut mem)
            .unwrap();
    }
    let written = w
        .finish(writer::X86_64, &[thread(4242, 1, 2)], &process(), &facts())
        .unwrap();
    assert_eq!(written.segments, 70_000);
    assert_eq!(mem.reads, 0);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[56], bytes[57]]), 0xffff);
    assert_eq!(segments_of(&bytes).len(), 70_000);
    let out = Command::new("readelf")
        .arg("-lW")
        .arg(&path)
        .output()
        .expect("readelf");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("There are 70001 program headers"),
        "{}",
        &text[..text.len().min(600)]
    );
}

#[test]
fn held_and_direct_writes_give_the_same_core() {
    // With buffers for some chunks and not others: the chunks held until finish land where the direct
    // ones would, holes included (the buffers' stale bytes never reach the file).
    let dir = TempDir::new("gcore-writer");
    let direct = dir.path().join("direct");
    let held = dir.path().join("held");
    let all = [0, 1, 2, 3, 4, 5, 6];
    let (a, _) = write_core(&direct, None, &all);
    // Room for the first segments, not for the 4 MiB one.
    let (b, _) = write_core_holding(&held, None, &all, 8 * PAGE as usize);
    assert_eq!(a.data_bytes, b.data_bytes);
    assert_eq!(
        std::fs::read(&direct).unwrap(),
        std::fs::read(&held).unwrap()
    );
}

#[test]
fn held_pages_written_past_the_page_cache_give_the_same_core() {
    // Held chunks in page-aligned memory (as gcore's), written through an O_DIRECT descriptor after the
    // fact: the same file as chunks written at once through the page cache.
    use std::os::unix::fs::OpenOptionsExt;
    let dir = TempDir::new("gcore-writer");
    let plain = dir.path().join("plain");
    let unbuffered = dir.path().join("unbuffered");
    let all = [0, 1, 2, 3, 4, 5, 6];
    let (a, _) = write_core(&plain, None, &all);

    let (mut mem, segments) = fixture();
    let mut held = memmap2::MmapMut::map_anon(3 * writer::CHUNK).unwrap();
    held.fill(0xee);
    let file = procsift::os::create_private(&unbuffered).unwrap();
    let direct = File::options()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(&unbuffered)
        .unwrap();
    let mut w = Writer::new(&file, PAGE, None);
    w.hold_in(&mut held[..]);
    w.unbuffered(direct);
    for &i in &all {
        w.segment(&segments[i], &mut mem).unwrap();
    }
    let threads = [
        thread(4242, 0x401000, 0x7ffd0000),
        thread(4243, 0x402000, 0x7ffc0000),
    ];
    let b = w
        .finish(writer::X86_64, &threads, &process(), &facts())
        .unwrap();
    assert_eq!(a.data_bytes, b.data_bytes);
    assert_eq!(a.missing, b.missing);
    assert_eq!(
        std::fs::read(&plain).unwrap(),
        std::fs::read(&unbuffered).unwrap()
    );
    let blocks = std::fs::metadata(&unbuffered).unwrap().blocks() * 512;
    assert!(blocks < 1 << 20, "{blocks} bytes on disk");
}

#[test]
fn pipelined_writes_give_the_same_core() {
    // Chunks handed to the writing thread (gcore's default), through the page cache and through an
    // O_DIRECT descriptor: the same file as chunks written at once, holes included, and the data bytes
    // the writing thread counted.
    use std::os::unix::fs::OpenOptionsExt;
    let dir = TempDir::new("gcore-writer");
    let plain = dir.path().join("plain");
    let all = [0, 1, 2, 3, 4, 5, 6];
    let (a, _) = write_core(&plain, None, &all);
    for direct in [false, true] {
        let path = dir.path().join(format!("pipelined-{direct}"));
        let (mut mem, segments) = fixture();
        let file = procsift::os::create_private(&path).unwrap();
        let unbuffered = direct.then(|| {
            File::options()
                .write(true)
                .custom_flags(libc::O_DIRECT)
                .open(&path)
                .unwrap()
        });
        let mut w = Writer::new(&file, PAGE, None);
        w.pipelined(unbuffered.map_or(Writers::PageCache, Writers::Direct))
            .unwrap();
        for &i in &all {
            w.segment(&segments[i], &mut mem).unwrap();
        }
        let threads = [
            thread(4242, 0x401000, 0x7ffd0000),
            thread(4243, 0x402000, 0x7ffc0000),
        ];
        let b = w
            .finish(writer::X86_64, &threads, &process(), &facts())
            .unwrap();
        assert_eq!(a.data_bytes, b.data_bytes, "O_DIRECT {direct}");
        assert_eq!(a.missing, b.missing);
        assert!(
            std::fs::read(&plain).unwrap() == std::fs::read(&path).unwrap(),
            "O_DIRECT {direct}: the files differ"
        );
        let blocks = std::fs::metadata(&path).unwrap().blocks() * 512;
        assert!(blocks < 1 << 20, "{blocks} bytes on disk");
    }
}

#[test]
fn page_cache_pipeline_reuses_its_buffers_and_keeps_every_page_in_place() {
    // gcore's default: chunks of BUFFERED_CHUNK bytes through the page cache, more of them than the
    // writing thread has buffers, each written in pieces of BUFFERED_WRITE. Every page lands at the
    // offset its address gives, zero pages stay holes, and the writing thread counts what it wrote.
    let pages = (writer::BUFFERED_CHUNK * (writer::BUFFERED_PIPELINE_BUFFERS + 4)) as u64 / PAGE;
    let zero_pages = [3u64, 300, pages - 1];
    let mut bytes = vec![0u8; (pages * PAGE) as usize];
    for (k, page) in bytes.chunks_mut(PAGE as usize).enumerate() {
        if !zero_pages.contains(&(k as u64)) {
            page[..8].copy_from_slice(&(k as u64 + 1).to_le_bytes());
            page[PAGE as usize - 1] = 0xa5;
        }
    }
    let start = 0x7000_0000u64;
    let mut mem = FakeMemory {
        regions: vec![(start, bytes)],
        unreadable: Vec::new(),
        untouched: Vec::new(),
        reads: 0,
    };
    let dir = TempDir::new("gcore-writer");
    let path = dir.path().join("core");
    let file = procsift::os::create_private(&path).unwrap();
    let mut w = Writer::new(&file, PAGE, None);
    w.pipelined(Writers::PageCache).unwrap();
    w.segment(&seg(start, pages, Want::Whole), &mut mem)
        .unwrap();
    let written = w
        .finish(writer::X86_64, &[thread(4242, 1, 2)], &process(), &facts())
        .unwrap();
    assert_eq!(
        mem.reads as u64,
        pages * PAGE / writer::BUFFERED_CHUNK as u64
    );
    assert_eq!(written.data_bytes, (pages - zero_pages.len() as u64) * PAGE);
    let file_bytes = std::fs::read(&path).unwrap();
    let core = Core::parse(&file_bytes).unwrap();
    let s = core.segments.iter().find(|s| s.vaddr == start).unwrap();
    assert_eq!(s.filesz, pages * PAGE);
    for k in 0..pages {
        let at = (s.offset + k * PAGE) as usize;
        let page = &file_bytes[at..at + PAGE as usize];
        if zero_pages.contains(&k) {
            assert!(page.iter().all(|b| *b == 0), "page {k}");
        } else {
            assert_eq!(page[..8], (k + 1).to_le_bytes(), "page {k}");
            assert_eq!(page[PAGE as usize - 1], 0xa5, "page {k}");
        }
    }
    // The zero pages are holes (on file systems with 4 KiB blocks and holes: tmpfs, ext4, XFS).
    let blocks = std::fs::metadata(&path).unwrap().blocks() * 512;
    assert!(
        blocks <= (pages - zero_pages.len() as u64 + 4) * PAGE,
        "{blocks} bytes on disk"
    );
}

/// Memory over many chunks of every pipelined size: a 44 MiB and 3-page mapping whose pages hold their
/// own index (except zero pages, and unreadable pages, one of them across a chunk boundary), then a
/// private anonymous mapping with pages never touched; and the small fixture's segments before them.
fn big_fixture() -> (FakeMemory, Vec<Segment>) {
    let (mut mem, mut segments) = fixture();
    let start = 0x7000_0000u64;
    let pages = (44u64 << 20) / PAGE + 3;
    let mut bytes = vec![0u8; (pages * PAGE) as usize];
    let zero_pages = [5u64, 1023, 1024, 4000, pages - 1];
    for (k, page) in bytes.chunks_mut(PAGE as usize).enumerate() {
        if !zero_pages.contains(&(k as u64)) {
            page[..8].copy_from_slice(&(k as u64 + 1).to_le_bytes());
            page[PAGE as usize - 1] = 0xa5;
        }
    }
    mem.regions.push((start, bytes));
    // Chunk boundaries (1, 2, 4 and 8 MiB) fall at pages 256, 512, 1024 and 2048 of the mapping.
    for k in [7u64, 1023, 1024, 2047, 5000, 5001] {
        if !zero_pages.contains(&k) {
            mem.unreadable.push(start + k * PAGE);
        }
    }
    segments.push(seg(start, pages, Want::Whole));
    let anon_start = 0x9000_0000u64;
    let anon_pages = (9u64 << 20) / PAGE;
    mem.regions
        .push((anon_start, vec![0x3c; (anon_pages * PAGE) as usize]));
    mem.untouched.extend(
        (0..anon_pages)
            .filter(|k| k % 3 == 0)
            .map(|k| anon_start + k * PAGE),
    );
    let mut anon = seg(anon_start, anon_pages, Want::Whole);
    anon.absent_is_zero = true;
    segments.push(anon);
    (mem, segments)
}

/// How [`write_big`] writes: at once on the reading thread, or pipelined.
enum How {
    AtOnce,
    PageCache,
    Direct,
    Dual,
}

/// `path` opened again with `O_DIRECT`, writable or (to make its writes fail) read-only.
fn direct_handle(path: &std::path::Path, writable: bool) -> File {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .read(!writable)
        .write(writable)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .unwrap()
}

/// Writes [`big_fixture`] into `path` as `how` says; every segment, then `finish`.
fn write_big(path: &std::path::Path, how: How) -> writer::Written {
    let (mut mem, segments) = big_fixture();
    let file = procsift::os::create_private(path).unwrap();
    let mut w = Writer::new(&file, PAGE, None);
    match how {
        How::AtOnce => {}
        How::PageCache => w.pipelined(Writers::PageCache).unwrap(),
        How::Direct => w
            .pipelined(Writers::Direct(direct_handle(path, true)))
            .unwrap(),
        How::Dual => w
            .pipelined(Writers::Dual {
                direct: direct_handle(path, true),
                buffered: file.try_clone().unwrap(),
            })
            .unwrap(),
    }
    for s in &segments {
        w.segment(s, &mut mem).unwrap();
    }
    let threads = [thread(4242, 0x401000, 0x7ffd0000)];
    w.finish(writer::X86_64, &threads, &process(), &facts())
        .unwrap()
}

#[test]
fn two_writing_threads_write_the_same_core_as_one() {
    // gcore's default: chunks taken from one queue by an O_DIRECT thread and a page-cache thread. The
    // file is byte for byte the one written at once, and the one each single thread writes, with the
    // same holes (zero pages and never-touched pages) and the same unreadable ranges; both threads
    // wrote chunks.
    let dir = TempDir::new("gcore-writer");
    let at_once = dir.path().join("at-once");
    let a = write_big(&at_once, How::AtOnce);
    assert!(a.chunks_per_writer.is_empty());
    let expected = std::fs::read(&at_once).unwrap();
    // The big mapping's pages less its 5 zero pages and 4 unreadable ones, the anonymous mapping's touched
    // pages, and the small fixture's 6 pages.
    let pages = (44u64 << 20) / PAGE + 3;
    let anon_pages = (9u64 << 20) / PAGE;
    assert_eq!(
        a.data_bytes,
        (pages - 5 - 4 + anon_pages - anon_pages.div_ceil(3) + 6) * PAGE
    );
    assert_eq!(
        a.missing
            .iter()
            .filter(|m| m.start >= 0x7000_0000)
            .map(|m| ((m.start - 0x7000_0000) / PAGE, (m.end - m.start) / PAGE))
            .collect::<Vec<_>>(),
        vec![(7, 1), (2047, 1), (5000, 2)]
    );
    for (name, how) in [
        ("dual", How::Dual),
        ("direct", How::Direct),
        ("page cache", How::PageCache),
    ] {
        let path = dir.path().join(name);
        let b = write_big(&path, how);
        assert_eq!(a.data_bytes, b.data_bytes, "{name}");
        assert_eq!(a.missing, b.missing, "{name}");
        assert_eq!(a.segments, b.segments, "{name}");
        assert!(
            std::fs::read(&path).unwrap() == expected,
            "{name}: the file differs from the one written at once"
        );
        // Holes stay holes: the disk holds the data pages and little more.
        let blocks = std::fs::metadata(&path).unwrap().blocks() * 512;
        assert!(
            blocks <= a.data_bytes + (1 << 20),
            "{name}: {blocks} bytes on disk"
        );
        let chunks: Vec<&str> = b.chunks_per_writer.iter().map(|c| c.0).collect();
        match name {
            "dual" => {
                assert_eq!(chunks, ["O_DIRECT", "page cache"]);
                assert!(
                    b.chunks_per_writer.iter().all(|c| c.1 > 0),
                    "a thread wrote nothing: {:?}",
                    b.chunks_per_writer
                );
            }
            "direct" => assert_eq!(chunks, ["O_DIRECT"]),
            _ => assert_eq!(chunks, ["page cache"]),
        }
    }
    // Page by page in the file: each at the offset its address gives.
    let core = Core::parse(&expected).unwrap();
    let m = core.memory();
    for k in [0u64, 6, 1022, 1025, 2046, 2048, 4999, 5002, pages - 2] {
        assert_eq!(
            m.read(0x7000_0000 + k * PAGE, 8),
            Some(&(k + 1).to_le_bytes()[..]),
            "page {k}"
        );
    }
    assert_eq!(m.read(0x7000_0000 + 1024 * PAGE, 8), Some(&[0u8; 8][..]));
    assert_eq!(m.read(0x9000_0000 + 3 * PAGE, 2), Some(&[0u8; 2][..]));
    assert_eq!(m.read(0x9000_0000 + 4 * PAGE, 2), Some(&[0x3c; 2][..]));
}

#[test]
fn a_failing_writing_thread_ends_the_dump() {
    // One of the two threads cannot write (its descriptor is read-only: EBADF), the other can: the
    // dump ends with that error soon after (not after reading everything), and every thread ends (the
    // test would hang otherwise).
    let dir = TempDir::new("gcore-writer");
    // Far more chunks than buffers: the reading side would read them all if nothing stopped it.
    let chunks = 24u64;
    let start = 0x7000_0000u64;
    let big = seg(
        start,
        chunks * writer::DUAL_CHUNK as u64 / PAGE,
        Want::Whole,
    );
    for failing in ["O_DIRECT", "page cache"] {
        let path = dir.path().join(failing.replace(' ', "-"));
        let file = procsift::os::create_private(&path).unwrap();
        let mut mem = FakeMemory {
            regions: vec![(start, vec![0x11; chunks as usize * writer::DUAL_CHUNK])],
            unreadable: Vec::new(),
            untouched: Vec::new(),
            reads: 0,
        };
        let mut w = Writer::new(&file, PAGE, None);
        let buffered = if failing == "page cache" {
            File::open(&path).unwrap()
        } else {
            file.try_clone().unwrap()
        };
        w.pipelined(Writers::Dual {
            direct: direct_handle(&path, failing != "O_DIRECT"),
            buffered,
        })
        .unwrap();
        let result = w.segment(&big, &mut mem).and_then(|()| {
            w.finish(writer::X86_64, &[thread(4242, 1, 2)], &process(), &facts())
                .map(|_| ())
        });
        let err = result.expect_err(failing).to_string();
        assert!(err.contains("os error 9"), "{failing}: {err}");
        assert!(
            (mem.reads as u64) < chunks / 2,
            "{failing}: {} of {chunks} chunks read after the failure",
            mem.reads
        );
    }
}

#[test]
fn untouched_reservation_is_neither_read_nor_stored() {
    // A terabyte of private anonymous memory with nothing resident or swapped (a reservation, as
    // allocators and runtimes make): zeros, not read, holes in the file.
    let dir = TempDir::new("gcore-writer");
    let path = dir.path().join("core");
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    let (mut mem, segments) = fixture();
    let mut w = Writer::new(&file, PAGE, None);
    w.segment(&segments[0], &mut mem).unwrap();
    let reads = mem.reads;
    let reservation = Segment {
        start: 0x1000_0000_0000,
        end: 0x1100_0000_0000,
        flags: 6,
        want: Want::Whole,
        absent_is_zero: true,
        untouched: true,
        mostly_present: false,
    };
    w.segment(&reservation, &mut mem).unwrap();
    assert_eq!(mem.reads, reads);
    let written = w
        .finish(writer::X86_64, &[thread(4242, 1, 2)], &process(), &facts())
        .unwrap();
    assert!(written.file_size > 1 << 40);
    let meta = std::fs::metadata(&path).unwrap();
    assert!(
        meta.blocks() * 512 < 1 << 20,
        "{} bytes on disk",
        meta.blocks() * 512
    );
    let map = procsift::os::map_file(&File::open(&path).unwrap()).unwrap();
    assert_eq!(
        segments_of(&map),
        vec![
            (0x10000, 0x4000, 0x4000),
            (0x1000_0000_0000, 1 << 40, 1 << 40)
        ]
    );
    let core = Core::parse(&map).unwrap();
    assert_eq!(core.memory().read(0x1000_8000_0000, 8), Some(&[0u8; 8][..]));
}

/// aarch64 `user_pt_regs`: x0..x30 (here 0x1000 + n), sp (slot 31), pc (32), pstate (33).
fn aarch64_gregs(pc: u64, sp: u64) -> Vec<u8> {
    (0..34u64)
        .flat_map(|i| {
            let v = match i {
                31 => sp,
                32 => pc,
                33 => 0x6000_0000,
                _ => 0x1000 + i,
            };
            v.to_le_bytes()
        })
        .collect()
}

/// gcore runs on x86_64 only, but the writer's aarch64 `elf_prstatus` (392 bytes) is held to
/// eu-readelf's decoding of it, as the kernel's aarch64 cores are.
#[test]
fn aarch64_notes_read_back_by_procsift_and_eu_readelf() {
    let dir = TempDir::new("gcore-writer-aarch64");
    let path = dir.path().join("core");
    let (mut mem, segments) = fixture();
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    let mut w = Writer::new(&file, PAGE, None);
    for s in &segments {
        w.segment(s, &mut mem).unwrap();
    }
    let mut t = thread(4242, 0, 0);
    t.gregs = aarch64_gregs(0x400abc, 0xffff_f000_1000);
    // user_fpsimd_state: v0..v31, fpsr, fpcr, two reserved words.
    t.fpregs = Some(vec![0x33; 528]);
    t.extra = Vec::new();
    w.finish(writer::AARCH64, &[t], &process(), &facts())
        .unwrap();
    drop(file);

    let bytes = std::fs::read(&path).unwrap();
    let snap = procsift::analyze::core::analyze(&bytes, "core").unwrap();
    assert_eq!(snap.core.as_ref().unwrap().arch, "aarch64");
    let th = &snap.processes[0].threads.as_ref().unwrap()[0];
    assert_eq!(
        (th.tid, th.pc, th.sp),
        (4242, Some(0x400abc), Some(0xffff_f000_1000))
    );
    let regs = th.registers.as_ref().unwrap();
    let x5 = regs.iter().find(|r| r.name == "x5").unwrap();
    assert_eq!(x5.value, 0x1005);

    let out = Command::new("eu-readelf")
        .args(["-h", "-n"])
        .arg(&path)
        .output()
        .expect("eu-readelf (elfutils)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AARCH64"), "{text}");
    assert!(text.contains("392  PRSTATUS"), "{text}");
    assert!(text.contains("528  FPREGSET"), "{text}");
    assert!(
        text.contains("pc: 0x0000000000400abc, pstate: 0x0000000060000000, fpvalid: 1"),
        "{text}"
    );
    assert!(text.contains("sp:    0x0000fffff0001000"), "{text}");
    // x5 = 0x1005
    assert!(text.contains("x5:                  4101"), "{text}");
    assert!(
        text.contains("pid: 4242, ppid: 1, pgrp: 4242, sid: 4000"),
        "{text}"
    );
}
