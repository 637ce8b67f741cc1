//! Hostile stacks and modules: x86_64 cores written by the test-only writer (offsets from the layout
//! reference: `elf_prstatus` 336 bytes, `pr_pid` at 32, `pr_reg` at 112 with rbp in slot 4, rip 16,
//! rsp 19; `NT_FILE` offsets in pages) whose frame chains loop, whose stack pointer is in no mapping,
//! whose chain is longer than the frame limit, and whose module's CFI points nowhere or is corrupt.
//! Each stops that thread's unwind with a warning, and nothing panics.

mod common;

use std::path::Path;
use std::process::Command;

use common::core_writer::{CoreWriter, PF_R, PF_W, PF_X};
use procsift::analyze::core::analyze_with_stacks;
use procsift::model::Snapshot;
use procsift::unwind::{MemoryModules, NoModules};

const EM_X86_64: u16 = 62;
const CODE: u64 = 0x40_0000;
const STACK: u64 = 0x7f00_0000;

/// A core of one x86_64 thread with `rip`, `rsp`, `rbp`, memory `loads` and `NT_FILE` `files`
/// (start, end, page offset, path).
fn core(
    rip: u64,
    rsp: u64,
    rbp: u64,
    loads: Vec<(u64, Vec<u8>, u32)>,
    files: &[(u64, u64, u64, &str)],
) -> Vec<u8> {
    let mut w = CoreWriter::new(true, false, EM_X86_64);
    let mut st = CoreWriter::zeroed(336);
    w.put(&mut st, 0, 4, 11);
    w.put(&mut st, 12, 2, 11);
    w.put(&mut st, 32, 4, 4242);
    w.put(&mut st, 112 + 4 * 8, 8, rbp);
    w.put(&mut st, 112 + 16 * 8, 8, rip);
    w.put(&mut st, 112 + 19 * 8, 8, rsp);
    w.note("CORE", 1, st);
    if !files.is_empty() {
        let mut f = CoreWriter::zeroed(16 + 24 * files.len());
        w.put(&mut f, 0, 8, files.len() as u64);
        w.put(&mut f, 8, 8, 4096);
        for (i, (s, e, off, _)) in files.iter().enumerate() {
            w.put(&mut f, 16 + 24 * i, 8, *s);
            w.put(&mut f, 24 + 24 * i, 8, *e);
            w.put(&mut f, 32 + 24 * i, 8, *off);
        }
        for (_, _, _, p) in files {
            f.extend_from_slice(p.as_bytes());
            f.push(0);
        }
        w.note("CORE", 0x4649_4c45, f);
    }
    for (vaddr, bytes, flags) in loads {
        let len = bytes.len() as u64;
        w.load(vaddr, bytes, len, flags);
    }
    w.build()
}

/// Code whose every 16-byte slot ends in a `call rel32` (E8 xx xx xx xx): any slot end is a believable
/// return address.
fn code() -> Vec<u8> {
    let mut c = vec![0x90u8; 4096];
    for slot in c.chunks_mut(16) {
        slot[11] = 0xe8;
    }
    c
}

/// A return address in `code()`: right after a call.
const RA: u64 = CODE + 0x10;

fn put64(buf: &mut [u8], at: u64, v: u64) {
    let i = (at - STACK) as usize;
    buf[i..i + 8].copy_from_slice(&v.to_le_bytes());
}

fn thread_frames(s: &Snapshot) -> usize {
    s.processes[0].threads.as_ref().unwrap()[0]
        .frames
        .as_ref()
        .unwrap()
        .len()
}

fn warned(s: &Snapshot, text: &str) -> bool {
    s.warnings
        .iter()
        .any(|w| w.member.contains("stack") && w.message.contains(text))
}

#[test]
fn stack_pointer_in_no_mapping() {
    let bytes = core(RA, 0x6666_0000, 0, vec![(CODE, code(), PF_R | PF_X)], &[]);
    let s = analyze_with_stacks(&bytes, "sp", &NoModules).unwrap();
    assert_eq!(thread_frames(&s), 1);
    assert!(warned(&s, "is in no mapping"), "{:?}", s.warnings);
    let t = &s.processes[0].threads.as_ref().unwrap()[0];
    assert!(t.unwind_stop.as_deref().unwrap().contains("no mapping"));
}

#[test]
fn frame_pointer_loops_are_stopped() {
    // rbp points at itself.
    let mut stack = vec![0u8; 4096];
    let fp = STACK + 0x100;
    put64(&mut stack, fp, fp);
    put64(&mut stack, fp + 8, RA);
    let bytes = core(
        RA + 0x20,
        STACK,
        fp,
        vec![(CODE, code(), PF_R | PF_X), (STACK, stack, PF_R | PF_W)],
        &[],
    );
    let s = analyze_with_stacks(&bytes, "loop1", &NoModules).unwrap();
    assert_eq!(thread_frames(&s), 1);
    assert!(
        warned(&s, "a loop in the frame-pointer chain"),
        "{:?}",
        s.warnings
    );

    // Two frames pointing at each other.
    let mut stack = vec![0u8; 4096];
    let (a, b) = (STACK + 0x100, STACK + 0x200);
    put64(&mut stack, a, b);
    put64(&mut stack, a + 8, RA);
    put64(&mut stack, b, a);
    put64(&mut stack, b + 8, RA + 0x10);
    let bytes = core(
        RA + 0x20,
        STACK,
        a,
        vec![
            (CODE, code(), PF_R | PF_W | PF_X),
            (STACK, stack, PF_R | PF_W),
        ],
        &[],
    );
    let s = analyze_with_stacks(&bytes, "loop2", &NoModules).unwrap();
    assert_eq!(thread_frames(&s), 2);
    assert!(
        warned(&s, "a loop in the frame-pointer chain"),
        "{:?}",
        s.warnings
    );
}

#[test]
fn frame_limit_bounds_a_thread() {
    // 1,000 frames of 16 bytes, each saved frame pointer above the last, each return address valid.
    let mut stack = vec![0u8; 1001 * 16 + 4096];
    for i in 0..1000u64 {
        let fp = STACK + 16 * (i + 1);
        put64(&mut stack, fp, fp + 16);
        put64(&mut stack, fp + 8, CODE + 0x10 + 16 * (i % 200));
    }
    let bytes = core(
        RA,
        STACK,
        STACK + 16,
        vec![(CODE, code(), PF_R | PF_X), (STACK, stack, PF_R | PF_W)],
        &[],
    );
    let s = analyze_with_stacks(&bytes, "deep", &NoModules).unwrap();
    assert_eq!(thread_frames(&s), procsift::unwind::MAX_FRAMES);
    assert!(warned(&s, "frame limit"), "{:?}", s.warnings);
    let frames = s.processes[0].threads.as_ref().unwrap()[0]
        .frames
        .clone()
        .unwrap();
    assert!(frames[1..].iter().all(|f| f.found_by == "frame-pointer"));
}

/// A small program compiled now (x86_64 CFI in .eh_frame with .eh_frame_hdr); (bytes, address of
/// `leaf`, (file offset, size) of .eh_frame and of .eh_frame_hdr) as readelf reads them.
fn module(dir: &Path) -> (Vec<u8>, u64, (usize, usize), (usize, usize)) {
    let src = dir.join("m.c");
    std::fs::write(
        &src,
        "__attribute__((noipa)) int leaf(int x) { return x + 1; }\nint main(void) { return leaf(1); }\n",
    )
    .unwrap();
    let exe = dir.join("m");
    let out = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("gcc");
    assert!(out.status.success());
    let syms = String::from_utf8(
        Command::new("readelf")
            .args(["-sW"])
            .arg(&exe)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let leaf = syms
        .lines()
        .find(|l| l.split_whitespace().last() == Some("leaf"))
        .and_then(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .unwrap();
    let secs = String::from_utf8(
        Command::new("readelf")
            .args(["-SW"])
            .arg(&exe)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let section = |name: &str| {
        let l = secs
            .lines()
            .find(|l| l.split_whitespace().any(|f| f == name))
            .unwrap();
        let f: Vec<&str> = l.split(']').nth(1).unwrap().split_whitespace().collect();
        (
            usize::from_str_radix(f[3], 16).unwrap(),
            usize::from_str_radix(f[4], 16).unwrap(),
        )
    };
    (
        std::fs::read(&exe).unwrap(),
        leaf,
        section(".eh_frame"),
        section(".eh_frame_hdr"),
    )
}

/// A core of the module's `leaf` at its first instruction (the return address at rsp), with the module
/// mapped at `base` (its header page dumped, so the build-id matches) and `ra` on the stack.
fn leaf_core(m: &[u8], leaf: u64, ra: u64) -> Vec<u8> {
    let base = 0x5555_0000_0000u64;
    let size = (m.len() as u64 + 4095) & !4095;
    let mut stack = vec![0u8; 4096];
    put64(&mut stack, STACK + 0x800, ra);
    core(
        base + leaf,
        STACK + 0x800,
        0,
        vec![
            (base, m[..4096].to_vec(), PF_R),
            (STACK, stack, PF_R | PF_W),
        ],
        &[(base, base + size, 0, "/m/prog")],
    )
}

fn provider(m: Vec<u8>) -> MemoryModules {
    let mut p = MemoryModules::default();
    p.files.insert(b"/m/prog".to_vec(), m);
    p
}

#[test]
fn cfi_that_points_nowhere_stops_the_thread() {
    let dir = common::TempDir::new("hostile-cfi");
    let (m, leaf, _, _) = module(dir.path());
    // The return address CFI finds at the CFA is in no mapping.
    let bytes = leaf_core(&m, leaf, 0x4141_4141_4141);
    let s = analyze_with_stacks(&bytes, "nowhere", &provider(m.clone())).unwrap();
    let frames = s.processes[0].threads.as_ref().unwrap()[0]
        .frames
        .clone()
        .unwrap();
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0].function.as_ref().unwrap().as_bytes(), b"leaf");
    assert!(warned(&s, "outside the code"), "{:?}", s.warnings);
    let used = &s.core.as_ref().unwrap().modules[0];
    assert_eq!(used.status, "used: build-id matches");
}

#[test]
fn corrupt_and_huge_eh_frame_stop_the_thread() {
    let dir = common::TempDir::new("hostile-ehframe");
    let (m, leaf, (eh_off, eh_len), (hdr_off, hdr_len)) = module(dir.path());
    let base = 0x5555_0000_0000u64;
    // A valid return address: main's call of leaf is in the module, but any slot will do: the
    // unwind must stop at the corrupt CFI before it gets there.
    let ra = base + leaf + 1;

    // Every byte of .eh_frame replaced.
    let mut corrupt = m.clone();
    corrupt[eh_off..eh_off + eh_len].fill(0xff);
    let bytes = leaf_core(&corrupt, leaf, ra);
    let s = analyze_with_stacks(&bytes, "corrupt", &provider(corrupt)).unwrap();
    assert_eq!(thread_frames(&s), 1);
    assert!(warned(&s, "corrupt CFI"), "{:?}", s.warnings);

    // .eh_frame_hdr claiming 2^31 FDEs in its table (fde_count is the 4-byte word at offset 8 when
    // its encoding is udata4, as GNU ld writes it).
    let mut huge = m.clone();
    assert_eq!(huge[hdr_off + 2], 0x03, "fde_count_enc udata4");
    huge[hdr_off + 8..hdr_off + 12].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    assert!(hdr_len > 12);
    let bytes = leaf_core(&huge, leaf, ra);
    let s = analyze_with_stacks(&bytes, "huge", &provider(huge)).unwrap();
    assert!(thread_frames(&s) >= 1);
    assert!(
        s.warnings.iter().any(|w| w.message.contains("CFI")),
        "{:?}",
        s.warnings
    );

    // An .eh_frame whose first length field says 2^32 - 1 (the 64-bit escape) with a huge length.
    let mut long = m.clone();
    long[eh_off..eh_off + 4].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
    long[eh_off + 4..eh_off + 12].copy_from_slice(&u64::MAX.to_le_bytes());
    // Without a header table, so that the whole section is indexed.
    long[hdr_off..hdr_off + hdr_len].fill(0);
    let bytes = leaf_core(&long, leaf, ra);
    let s = analyze_with_stacks(&bytes, "long", &provider(long)).unwrap();
    assert!(thread_frames(&s) >= 1);
    assert!(
        s.warnings.iter().any(|w| w.member.contains("/m/prog")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn a_different_build_is_not_used() {
    let dir = common::TempDir::new("hostile-mismatch");
    let (m, leaf, _, _) = module(dir.path());
    let bytes = leaf_core(&m, leaf, 0x4141_4141);
    // The file on "disk" is another build: one byte of its build-id note changed.
    let mut other = m.clone();
    // The NT_GNU_BUILD_ID note: namesz 4, descsz 20, type 3, "GNU\0", then the id.
    let header: &[u8] = b"\x04\0\0\0\x14\0\0\0\x03\0\0\0GNU\0";
    let id_at = m
        .windows(header.len())
        .position(|w| w == header)
        .expect("a build-id note")
        + header.len();
    other[id_at] ^= 0xff;
    let s = analyze_with_stacks(&bytes, "mismatch", &provider(other)).unwrap();
    let t = &s.processes[0].threads.as_ref().unwrap()[0];
    let f = &t.frames.as_ref().unwrap()[0];
    assert!(
        f.function.is_none(),
        "never a name from another build: {f:?}"
    );
    assert_eq!(f.module.as_ref().unwrap().as_bytes(), b"/m/prog");
    let module = &s.core.as_ref().unwrap().modules[0];
    assert_eq!(module.status, "not used: build-id mismatch");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.member == "module /m/prog" && w.message.contains("build-id")),
        "{:?}",
        s.warnings
    );
}
