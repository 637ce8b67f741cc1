//! Recovering what the notes truncate from the dumped stack: the full argv and environment.
//!
//! Linux: the kernel's `create_elf_tables()` lays out argc, argv[], NULL, envp[], NULL, auxv[] at the
//! top of the stack, and `NT_AUXV` is a copy of that auxv: find it, and walk back. illumos: psinfo's
//! `pr_argv`/`pr_envp` point at the vectors. Every address computed from the core is checked arithmetic:
//! a hostile core may put a segment at the top of the address space.

use super::Out;
use crate::bytes::ByteString;
use crate::formats::elfcore::{self, Core, CoreWarning, auxv, linux, nt};

/// The longest argument or environment string read from a core's memory.
const MAX_STRING: usize = 128 * 1024;
/// The most argv or environment entries walked on a dumped stack.
const MAX_VECTOR: usize = 1 << 16;

/// `AT_PLATFORM`, `AT_RANDOM`, `AT_EXECFN`: their strings live on the same stack as the vectors.
const STACK_ANCHORS: [u64; 3] = [15, 25, 31];

/// Finds the copy of the auxv on the dumped stack and walks back over envp and argv to the strings.
pub(super) fn recover_linux_vectors(
    core: &Core<'_>,
    abi: linux::Abi,
    mem: &elfcore::Memory<'_>,
    out: &mut Out,
) {
    let Some(note) = core.note(nt::OWNER_CORE, nt::NT_AUXV) else {
        return;
    };
    let long = abi.long_size();
    let is_64 = long == 8;
    // Enough of the auxv to be unique; the whole vector if it is short.
    let needle = &note.desc[..note.desc.len().min(8 * long)];
    if needle.len() < 2 * long {
        return;
    }
    let pairs = auxv::pairs(note.desc, long, false, core.endian);
    let anchor = pairs
        .iter()
        .find(|(t, _)| STACK_ANCHORS.contains(t))
        .map(|(_, v)| *v);
    let Some(seg) = anchor.and_then(|a| {
        core.segments
            .iter()
            .find(|s| s.vaddr <= a && a < s.vaddr.saturating_add(s.filesz))
    }) else {
        return;
    };
    let Some(stack) = mem.from(seg.vaddr) else {
        return;
    };
    let Some(pos) = (0..stack.len().saturating_sub(needle.len()))
        .step_by(long)
        .find(|&i| &stack[i..i + needle.len()] == needle)
    else {
        out.warnings.push(CoreWarning::new(
            "NT_AUXV",
            note.desc_offset,
            "its copy was not found on the dumped stack: argv and environment are limited to pr_psargs",
        ));
        return;
    };
    let Some(auxv_addr) = seg.vaddr.checked_add(pos as u64) else {
        return;
    };
    let word = |addr: u64| mem.word(addr, is_64, core.endian);
    let step = long as u64;
    let Some(mut at) = auxv_addr.checked_sub(step) else {
        return;
    };
    if word(at) != Some(0) {
        return;
    }
    let mut envp = Vec::new();
    loop {
        let Some(prev) = at.checked_sub(step) else {
            return;
        };
        at = prev;
        match word(at) {
            Some(0) => break,
            Some(ptr) if envp.len() < MAX_VECTOR => envp.push(ptr),
            _ => return,
        }
    }
    let mut argv = Vec::new();
    loop {
        let Some(prev) = at.checked_sub(step) else {
            return;
        };
        at = prev;
        match word(at) {
            Some(n) if n == argv.len() as u64 && n > 0 => break,
            Some(ptr) if argv.len() < MAX_VECTOR && ptr != 0 => argv.push(ptr),
            _ => return,
        }
    }
    argv.reverse();
    envp.reverse();
    let strings = |ptrs: &[u64]| -> Option<Vec<ByteString>> {
        ptrs.iter()
            .map(|&a| mem.cstr(a, MAX_STRING).map(ByteString::from))
            .collect()
    };
    match strings(&argv) {
        Some(a) => {
            out.p.argv = Some(a);
            out.prov(
                "argv",
                format!(
                    "stack memory: argc at {at:#x}, found through the copy of NT_AUXV at {auxv_addr:#x}"
                ),
            );
        }
        None => out.warnings.push(CoreWarning::new(
            "argv",
            at,
            "an argv string points outside the dumped memory",
        )),
    }
    match strings(&envp) {
        Some(e) => {
            out.p.env = Some(e);
            out.prov("env", "stack memory: the envp[] array before the auxv copy");
        }
        None => out.warnings.push(CoreWarning::new(
            "env",
            at,
            "an environment string points outside the dumped memory",
        )),
    }
}

/// illumos: reads the NULL-terminated pointer vector at `addr` (at most `limit` entries) and its strings.
pub(super) fn read_vector(
    core: &Core<'_>,
    mem: &elfcore::Memory<'_>,
    addr: u64,
    limit: Option<usize>,
) -> Option<Vec<ByteString>> {
    let step: u64 = if core.is_64 { 8 } else { 4 };
    let mut out = Vec::new();
    for i in 0..limit.unwrap_or(MAX_VECTOR).min(MAX_VECTOR) {
        let at = addr.checked_add((i as u64).checked_mul(step)?)?;
        let ptr = mem.word(at, core.is_64, core.endian)?;
        if ptr == 0 {
            break;
        }
        out.push(ByteString::from(mem.cstr(ptr, MAX_STRING)?));
    }
    Some(out)
}
