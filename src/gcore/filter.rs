//! Which mappings a core holds: the kernel's `coredump_filter` rules (`vma_dump_size()` in
//! `fs/coredump.c`; the bits in `include/linux/sched/coredump.h`, described in core(5)), decided from what
//! `/proc/PID/smaps` shows of each mapping. Pure: no system calls.
//!
//! The kernel decides from the VMA itself; /proc shows nearly all of it:
//! * `VM_DONTDUMP` (madvise `MADV_DONTDUMP`), `VM_IO` and `VM_PFNMAP` are the `dd`, `io` and `pf` letters of
//!   `VmFlags`; hugetlb is `ht`; `[vdso]`, `[vsyscall]` and `[uprobes]` are the mappings the kernel always
//!   dumps (`always_dump_vma()`; `[vvar]` is device memory, which cannot be read);
//! * "written to" (`vma->anon_vma`) is read as `Anonymous:` above 0 kB, as gdb's gcore does;
//! * an anonymous shared mapping is a shared one whose file has no name left (`i_nlink == 0`): it shows as
//!   `/dev/zero (deleted)`, `/SYSV... (deleted)`, `/memfd:... (deleted)` or any `... (deleted)`;
//! * DAX mappings are not visible in /proc: they are treated as the file mappings they are.
//!
//! Unlike the kernel, a mapping without any access (`---p`) is dumped only when it holds written pages
//! (`/proc/PID/mem` reads it); the kernel dumps such a mapping whenever it was once written to.

/// `coredump_filter` bit 0: anonymous private memory.
pub const ANON_PRIVATE: u32 = 1 << 0;
/// Bit 1: anonymous shared memory.
pub const ANON_SHARED: u32 = 1 << 1;
/// Bit 2: file-backed private memory.
pub const MAPPED_PRIVATE: u32 = 1 << 2;
/// Bit 3: file-backed shared memory.
pub const MAPPED_SHARED: u32 = 1 << 3;
/// Bit 4: the first page of each ELF file mapped at offset 0 (its headers, for build ids).
pub const ELF_HEADERS: u32 = 1 << 4;
/// Bit 5: private hugetlb memory.
pub const HUGETLB_PRIVATE: u32 = 1 << 5;
/// Bit 6: shared hugetlb memory.
pub const HUGETLB_SHARED: u32 = 1 << 6;
/// The kernel's default (`MMF_DUMP_FILTER_DEFAULT`): anonymous private and shared, ELF headers, private
/// hugetlb.
pub const DEFAULT: u32 = 0x33;
/// The bits the kernel defines (through DAX shared, bit 8).
pub const KNOWN: u32 = 0x1ff;

/// One mapping as `/proc/PID/smaps` shows it.
#[derive(Clone, Copy, Debug)]
pub struct Mapping<'a> {
    /// `rwxp` / `rwxs`.
    pub perms: &'a str,
    /// The file offset.
    pub offset: u64,
    /// The path or pseudo-path (`[heap]`); `None` for an anonymous mapping.
    pub path: Option<&'a [u8]>,
    /// `Anonymous:` in KiB, when smaps was read.
    pub anonymous_kib: Option<u64>,
    /// `VmFlags` letters.
    pub vm_flags: &'a [[u8; 2]],
}

impl Mapping<'_> {
    fn flag(&self, code: &[u8; 2]) -> bool {
        self.vm_flags.contains(code)
    }

    /// Backed by a file (a path starting with `/`, `(deleted)` or not).
    pub fn is_file(&self) -> bool {
        self.path.is_some_and(|p| p.starts_with(b"/"))
    }

    fn shared(&self) -> bool {
        self.perms.as_bytes().get(3) == Some(&b's') || self.flag(b"sh")
    }

    fn readable(&self) -> bool {
        self.perms.as_bytes().first() == Some(&b'r')
    }

    /// Holds pages written by the process; unknown (no smaps) counts as written when writable.
    fn written(&self) -> bool {
        match self.anonymous_kib {
            Some(k) => k > 0,
            None => self.perms.as_bytes().get(1) == Some(&b'w'),
        }
    }

    /// Private anonymous memory (no file, no special mapping like `[vdso]` whose pages the kernel
    /// supplies on a fault): pages never touched read as zero, so the dump may skip pages the page table
    /// says are neither present nor swapped (the kernel's `FOLL_DUMP` does the same).
    pub fn absent_is_zero(&self) -> bool {
        let anonymous = match self.path {
            None => true,
            Some(p) => {
                p == b"[heap]"
                    || p == b"[stack]"
                    || p.starts_with(b"[anon:")
                    || p.starts_with(b"[stack:")
            }
        };
        anonymous && !self.shared()
    }

    /// A shared mapping whose file has no name left: the kernel's "anonymous shared".
    fn anonymous_shared(&self) -> bool {
        match self.path {
            None => true,
            Some(p) => p.ends_with(b" (deleted)") || p == b"/dev/zero" || !p.starts_with(b"/"),
        }
    }
}

/// What the core holds of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// All of it.
    Whole,
    /// Its first page, if that holds an ELF header (`ELF_HEADERS`); nothing otherwise.
    ElfHeader,
    /// Nothing (its segment has no bytes in the file).
    Skip(Skip),
}

/// Why a mapping is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Device memory (`VM_IO`, `VM_PFNMAP`: `[vvar]`, mapped device registers): it cannot be read.
    Device,
    /// The process asked (`MADV_DONTDUMP`).
    DontDump,
    /// No access, and nothing ever written there (a guard region).
    NoAccess,
    /// The filter leaves this kind out.
    Filter,
}

/// Decides a mapping: by the `filter` bits, or every readable mapping with `all` (`--all`). Device memory
/// and `MADV_DONTDUMP` mappings are never dumped.
pub fn decide(m: &Mapping<'_>, filter: u32, all: bool) -> Decision {
    if m.flag(b"io") || m.flag(b"pf") {
        return Decision::Skip(Skip::Device);
    }
    if m.readable()
        && matches!(
            m.path,
            Some(b"[vdso]" | b"[vsyscall]" | b"[uprobes]" | b"[sigpage]" | b"[vectors]")
        )
    {
        return Decision::Whole;
    }
    if m.flag(b"dd") {
        return Decision::Skip(Skip::DontDump);
    }
    if !m.readable() && !m.written() {
        return Decision::Skip(Skip::NoAccess);
    }
    if all {
        return Decision::Whole;
    }
    let wants = |bit: u32| filter & bit != 0;
    let by = |bit: u32| {
        if wants(bit) {
            Decision::Whole
        } else {
            Decision::Skip(Skip::Filter)
        }
    };
    if m.flag(b"ht") {
        return by(if m.shared() {
            HUGETLB_SHARED
        } else {
            HUGETLB_PRIVATE
        });
    }
    if m.shared() {
        return by(if m.anonymous_shared() {
            ANON_SHARED
        } else {
            MAPPED_SHARED
        });
    }
    if !m.is_file() {
        return by(ANON_PRIVATE);
    }
    // A private file mapping: written copies are anonymous memory (the kernel's `anon_vma` test).
    if (m.written() && wants(ANON_PRIVATE)) || wants(MAPPED_PRIVATE) {
        return Decision::Whole;
    }
    if wants(ELF_HEADERS) && m.offset == 0 && m.readable() {
        return Decision::ElfHeader;
    }
    Decision::Skip(Skip::Filter)
}

/// Parses `/proc/PID/coredump_filter` (hexadecimal, as the kernel prints it) or a `--filter` value
/// (`0x33`, `33`: hexadecimal like the file).
pub fn parse(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u32::from_str_radix(t, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapping with `VmFlags` given as in smaps (`"rd ex"`).
    fn m(
        perms: &'static str,
        path: Option<&'static [u8]>,
        anon: u64,
        flags: &str,
    ) -> Mapping<'static> {
        let flags: Vec<[u8; 2]> = flags
            .split_whitespace()
            .map(|f| <[u8; 2]>::try_from(f.as_bytes()).unwrap())
            .collect();
        Mapping {
            perms,
            offset: 0,
            path,
            anonymous_kib: Some(anon),
            vm_flags: Box::leak(flags.into_boxed_slice()),
        }
    }

    #[test]
    fn default_filter_is_the_kernels() {
        let text = m("r-xp", Some(b"/usr/lib/libc.so.6"), 0, "rd ex");
        assert_eq!(decide(&text, DEFAULT, false), Decision::ElfHeader);
        let text_mid = Mapping {
            offset: 0x28000,
            ..text
        };
        assert_eq!(
            decide(&text_mid, DEFAULT, false),
            Decision::Skip(Skip::Filter)
        );
        // --all takes the text too.
        assert_eq!(decide(&text_mid, DEFAULT, true), Decision::Whole);
        // .data after relocation: a written private file mapping.
        let data = m("rw-p", Some(b"/usr/lib/libc.so.6"), 8, "rd wr");
        assert_eq!(decide(&data, DEFAULT, false), Decision::Whole);
        // Without anonymous private memory, only its header page (if it is one) is left.
        assert_eq!(decide(&data, 0x32, false), Decision::ElfHeader);
        assert_eq!(decide(&data, 0x22, false), Decision::Skip(Skip::Filter));
        let heap = m("rw-p", Some(b"[heap]"), 4, "");
        assert_eq!(decide(&heap, DEFAULT, false), Decision::Whole);
        assert!(heap.absent_is_zero());
        assert_eq!(decide(&heap, 0x32, false), Decision::Skip(Skip::Filter));
        let anon = m("rw-p", None, 0, "");
        assert_eq!(decide(&anon, DEFAULT, false), Decision::Whole);
    }

    #[test]
    fn shared_hugetlb_and_never() {
        let shm = m("rw-s", Some(b"/SYSV00000000 (deleted)"), 0, "sh");
        assert_eq!(decide(&shm, DEFAULT, false), Decision::Whole);
        assert!(!shm.absent_is_zero());
        let file = m("rw-s", Some(b"/var/db/x"), 0, "sh");
        assert_eq!(decide(&file, DEFAULT, false), Decision::Skip(Skip::Filter));
        assert_eq!(
            decide(&file, DEFAULT | MAPPED_SHARED, false),
            Decision::Whole
        );
        let huge = m("rw-p", Some(b"/anon_hugepage (deleted)"), 0, "ht");
        assert_eq!(decide(&huge, DEFAULT, false), Decision::Whole);
        assert_eq!(decide(&huge, 0x13, false), Decision::Skip(Skip::Filter));
        let vvar = m("r--p", Some(b"[vvar]"), 0, "io pf");
        assert_eq!(decide(&vvar, DEFAULT, true), Decision::Skip(Skip::Device));
        let dd = m("rw-p", None, 4, "dd");
        assert_eq!(decide(&dd, DEFAULT, true), Decision::Skip(Skip::DontDump));
        let guard = m("---p", None, 0, "");
        assert_eq!(
            decide(&guard, DEFAULT, true),
            Decision::Skip(Skip::NoAccess)
        );
        let hidden = m("---p", None, 4, "");
        assert_eq!(decide(&hidden, DEFAULT, false), Decision::Whole);
        let vdso = m("r-xp", Some(b"[vdso]"), 0, "");
        assert_eq!(decide(&vdso, 0, false), Decision::Whole);
        // Its pages come from the kernel on a fault: absent is not zero.
        assert!(!vdso.absent_is_zero());
        // vsyscall=xonly: execute-only, nothing to read.
        let vsyscall = m("--xp", Some(b"[vsyscall]"), 0, "");
        assert_eq!(
            decide(&vsyscall, DEFAULT, true),
            Decision::Skip(Skip::NoAccess)
        );
    }

    #[test]
    fn filter_text() {
        assert_eq!(parse("00000033\n"), Some(0x33));
        assert_eq!(parse("0x1ff"), Some(0x1ff));
        assert_eq!(parse("zz"), None);
    }
}
