//! Backtraces of a core's threads: each thread's registers and the dumped stack, with the CFI of the
//! modules (`.eh_frame`, `.eh_frame_hdr`, `.debug_frame`) first, the frame-pointer chain next, and a
//! scan of the stack for return addresses (each validated by the call instruction before it) last;
//! then names for every frame from the symbol tables and DWARF.
//!
//! The layer takes what the core analysis decoded (the threads with their registers, the mappings with
//! their paths, and the core's memory through [`crate::formats::elfcore::Memory`]) and a
//! [`ModuleProvider`], the only way to module files; it fills `Thread.frames` and returns the modules
//! and warnings. It never reads a file itself (the file-system provider, [`FsModules`], is the one
//! place that does), and it never calls back into the analysis.
//!
//! Bounded on hostile input: [`MAX_FRAMES`] frames per thread, [`MAX_TOTAL_FRAMES`] per core, a
//! loop in the frame chain, a stack pointer outside every mapping or CFI that points outside the code
//! stops that thread's unwind with a warning; CFI and DWARF parsing is bounded in
//! [`cfi`] and [`symbols`].

pub mod arch;
pub mod cfi;
pub mod module;
pub mod provider;
pub mod symbols;

use std::collections::HashSet;

use gimli::{RunTimeEndian, UnwindContext};

use crate::abi::Endianness;
use crate::bytes::ByteString;
use crate::formats::elfcore::Memory;
use crate::model::{CoreModule, Frame, Mapping, Thread, Warning};
use arch::{Arch, NREGS};
use cfi::{Cfi, Failure, ReadMem};
use module::{Found2, Sections, Spec};
pub use provider::{
    ByBuildId, FileBytes, Found, FsModules, MemoryModules, ModuleFile, ModuleProvider,
    ModuleSearch, NoModules,
};

/// The most frames unwound per thread.
pub const MAX_FRAMES: usize = 512;
/// The most frames unwound for all threads of one core.
pub const MAX_TOTAL_FRAMES: usize = 1 << 18;
/// How many stack words a scan reads looking for a return address.
pub const SCAN_WORDS: u64 = 512;

/// What the unwinder needs from a core.
pub struct Input<'a> {
    /// The architecture's name as the core analysis gives it (`CoreInfo.arch`).
    pub arch: &'a str,
    /// ELF class 64.
    pub is_64: bool,
    /// The core's byte order.
    pub endian: Endianness,
    /// The dumped memory.
    pub memory: &'a Memory<'a>,
    /// Every mapping of the process, with paths.
    pub maps: &'a [Mapping],
    /// The auxiliary vector (type, value), for the executable's program headers and entry point.
    pub auxv: Vec<(u64, u64)>,
}

/// What unwinding found besides the frames.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The modules, with the file used for each.
    pub modules: Vec<CoreModule>,
    /// Problems: threads whose unwind stopped on bad data, modules not used, corrupt CFI or DWARF.
    pub warnings: Vec<Warning>,
    /// Where module files were looked for, in words.
    pub searched: String,
}

/// A module with its parsed file(s).
struct Loaded<'d> {
    spec: Spec,
    /// Runtime address minus link-time address.
    bias: u64,
    binary: Option<object::File<'d>>,
    debug: Option<object::File<'d>>,
    code: Option<&'d [u8]>,
}

/// Unwinds every thread in `threads` (setting `frames` and `unwind_stop`), with module files from
/// `provider`.
pub fn unwind(input: &Input<'_>, threads: &mut [Thread], provider: &dyn ModuleProvider) -> Outcome {
    let arch = Arch::from_name(input.arch);
    let mut outcome = Outcome {
        searched: provider.describe(),
        ..Outcome::default()
    };
    // Phase 1: the modules and their verified files (owned here, borrowed by everything below).
    let mut specs = module::specs(input.maps);
    let aux = module::ExeAux::from_pairs(input.auxv.iter().copied());
    let mut exe = provider.executable();
    let exe_index = exe.as_ref().and_then(|f| {
        let name = f.location.as_bytes().to_vec();
        module::exe_spec(&mut specs, &f.bytes, &aux, &name)
    });
    let found: Vec<Found2> = specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let given = if Some(i) == exe_index {
                exe.take()
            } else {
                None
            };
            // The executable (the module holding AT_PHDR) can be checked against the auxv when the
            // core dumped no header page.
            let holds_phdr = aux
                .phdr
                .is_some_and(|p| s.ranges.iter().any(|r| r.0 <= p && p < r.1));
            match given {
                Some(f) => module::find_with(
                    s,
                    input.memory,
                    input.is_64,
                    input.endian,
                    provider,
                    Some((f, aux)),
                ),
                None if holds_phdr => {
                    let mut f = module::find(s, input.memory, input.is_64, input.endian, provider);
                    if f.status == module::Status::Unverified {
                        // Retry with the auxv as the witness.
                        let spec = f.spec.clone();
                        if let Found::File(file) = provider.file(&spec.path) {
                            f = module::find_with(
                                spec,
                                input.memory,
                                input.is_64,
                                input.endian,
                                provider,
                                Some((file, aux)),
                            );
                        }
                    }
                    f
                }
                None => module::find(s, input.memory, input.is_64, input.endian, provider),
            }
        })
        .collect();
    let endian = match input.endian {
        Endianness::Little => RunTimeEndian::Little,
        Endianness::Big => RunTimeEndian::Big,
    };
    let word: u8 = if input.is_64 { 8 } else { 4 };
    // Phase 2: parse the files.
    let loaded: Vec<Loaded<'_>> = found
        .iter()
        .map(|f| {
            let binary = f
                .file
                .as_ref()
                .and_then(|m| object::File::parse(&m.bytes[..]).ok());
            let debug = f
                .debug
                .as_ref()
                .and_then(|m| object::File::parse(&m.bytes[..]).ok());
            Loaded {
                spec: f.spec.clone(),
                bias: 0,
                binary,
                debug,
                code: f.file.as_ref().map(|m| &m.bytes[..]),
            }
        })
        .collect();
    let mut problems: Vec<Vec<String>> = vec![Vec::new(); loaded.len()];
    let sections: Vec<Sections<'_>> = loaded
        .iter()
        .zip(problems.iter_mut())
        .map(|(l, p)| match (&l.binary, &l.debug) {
            (Some(b), _) => module::sections(b, p),
            (None, Some(d)) => module::sections(d, p),
            _ => Sections::default(),
        })
        .collect();
    let debug_frames: Vec<Option<std::borrow::Cow<'_, [u8]>>> = loaded
        .iter()
        .zip(problems.iter_mut())
        .map(|(l, p)| match (&l.debug, &l.binary) {
            (Some(d), Some(_)) => match module::section_data(d, ".debug_frame") {
                Some(Ok(df)) => Some(df),
                Some(Err(e)) => {
                    p.push(e);
                    None
                }
                None => None,
            },
            _ => None,
        })
        .collect();
    let loaded: Vec<Loaded<'_>> = loaded
        .into_iter()
        .zip(&sections)
        .map(|(mut l, s)| {
            l.bias = l.spec.base.wrapping_sub(s.link_base);
            l
        })
        .collect();
    let cfis: Vec<Option<Cfi<'_>>> = sections
        .iter()
        .zip(&debug_frames)
        .map(|(s, df)| {
            let c = Cfi::new(s, df.as_deref(), endian, word);
            (!c.is_empty()).then_some(c)
        })
        .collect();

    // Phase 3: unwind.
    let mut ranges: Vec<(u64, u64, usize)> = loaded
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.spec.ranges.iter().map(move |r| (r.0, r.1, i)))
        .collect();
    ranges.sort_unstable();
    let mut maps: Vec<&Mapping> = input.maps.iter().filter(|m| m.end > m.start).collect();
    maps.sort_by_key(|m| m.start);
    let walker = Walker {
        arch,
        word,
        big: input.endian == Endianness::Big,
        mem: CoreMem {
            mem: input.memory,
            endian: input.endian,
        },
        maps,
        ranges,
        loaded: &loaded,
        cfis: &cfis,
    };
    let mut ctx: Box<UnwindContext<usize>> = Box::new(UnwindContext::new());
    let mut raws: Vec<Vec<Raw>> = Vec::with_capacity(threads.len());
    let mut total = 0usize;
    for t in threads.iter_mut() {
        if total >= MAX_TOTAL_FRAMES {
            t.unwind_stop = Some(format!(
                "not unwound: the core's threads already have {MAX_TOTAL_FRAMES} frames"
            ));
            raws.push(Vec::new());
            continue;
        }
        let (frames, stop, warning) =
            walker.walk(t, &mut ctx, MAX_FRAMES.min(MAX_TOTAL_FRAMES - total));
        total += frames.len();
        if let Some(w) = warning {
            outcome.warnings.push(Warning {
                member: format!("thread {} stack", t.tid),
                offset: None,
                message: w,
            });
        }
        t.unwind_stop = stop;
        raws.push(frames);
    }
    for (l, c) in loaded.iter().zip(&cfis) {
        if let Some(c) = c {
            for p in c.problems.borrow().iter() {
                outcome.warnings.push(Warning {
                    member: format!("module {}", crate::bytes::escape(&l.spec.path)),
                    offset: None,
                    message: p.clone(),
                });
            }
        }
    }

    // Phase 4: names, one module at a time (its DWARF is inflated and parsed only while it is named).
    let mut frames_of: Vec<Vec<Frame>> = raws.iter().map(|r| Vec::with_capacity(r.len())).collect();
    let mut named: Vec<Vec<Option<Vec<Frame>>>> =
        raws.iter().map(|r| vec![None; r.len()]).collect();
    let mut counts = vec![0u64; loaded.len()];
    for (mi, l) in loaded.iter().enumerate() {
        let mut wanted: Vec<(usize, usize)> = Vec::new();
        for (ti, r) in raws.iter().enumerate() {
            for (fi, f) in r.iter().enumerate() {
                if f.module == Some(mi) {
                    wanted.push((ti, fi));
                }
            }
        }
        counts[mi] = wanted.len() as u64;
        if wanted.is_empty() {
            continue;
        }
        let files: Vec<&object::File<'_>> = l.debug.iter().chain(l.binary.iter()).collect();
        let syms = symbols::Symbols::new(&files);
        let dwarf_file = l.debug.as_ref().or(l.binary.as_ref());
        let dwarf = dwarf_file.and_then(|f| symbols::DwarfSections::load(f, &mut problems[mi]));
        let a2l = match dwarf.as_ref().map(|d| d.context(endian)) {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                problems[mi].push(format!("DWARF: {e}"));
                None
            }
            None => None,
        };
        for (ti, fi) in wanted {
            let raw = &raws[ti][fi];
            let lookup = if raw.exact {
                raw.pc
            } else {
                raw.pc.wrapping_sub(1)
            };
            let svma = lookup.wrapping_sub(l.bias);
            // A return address at the very start of a function (a signal trampoline, which its
            // caller "returns" into) has nothing before it: then the pc itself names it.
            let sym = syms.lookup(svma).or_else(|| {
                if raw.exact {
                    None
                } else {
                    syms.lookup(svma.wrapping_add(1))
                }
            });
            let source = a2l
                .as_ref()
                .map(|c| symbols::source_frames(c, svma))
                .unwrap_or_default();
            named[ti][fi] = Some(name_frame(raw, l, sym, &source));
        }
    }
    for (mi, p) in problems.iter().enumerate() {
        for msg in p {
            outcome.warnings.push(Warning {
                member: format!("module {}", crate::bytes::escape(&loaded[mi].spec.path)),
                offset: None,
                message: msg.clone(),
            });
        }
    }
    for (ti, r) in raws.iter().enumerate() {
        for (fi, raw) in r.iter().enumerate() {
            match named[ti][fi].take() {
                Some(v) => frames_of[ti].extend(v),
                None => frames_of[ti].push(Frame {
                    pc: raw.pc,
                    sp: raw.sp,
                    found_by: raw.found_by.into(),
                    ..Frame::default()
                }),
            }
        }
    }
    for (t, f) in threads.iter_mut().zip(frames_of) {
        if t.pc.is_some() {
            t.frames = Some(f);
        }
    }
    // Modules that hold frames but were not used: a file that differs or cannot be checked is a
    // warning of its own; the ones not found, one sentence.
    let mut missing = Vec::new();
    for (f, n) in found.iter().zip(&counts) {
        if *n == 0 || f.file.is_some() || f.debug.is_some() {
            continue;
        }
        if f.status == module::Status::Missing {
            missing.push(crate::bytes::escape(&f.spec.path));
            continue;
        }
        outcome.warnings.push(Warning {
            member: format!("module {}", crate::bytes::escape(&f.spec.path)),
            offset: None,
            message: format!(
                "{}: {}; its frames are module + offset",
                f.status.name(),
                f.note.as_deref().unwrap_or("")
            ),
        });
    }
    if !missing.is_empty() {
        // Short enough for one line of a terminal: which ones, and where they were looked for, are in
        // `core.modules` (and the `core` report's modules section).
        outcome.warnings.push(Warning {
            member: "modules".into(),
            offset: None,
            message: format!(
                "{} not found: their frames are module + offset (try --sysroot)",
                missing.len()
            ),
        });
    }
    outcome.modules = found
        .iter()
        .zip(&counts)
        .map(|(f, n)| CoreModule {
            frames: *n,
            ..module::describe(f)
        })
        .collect();
    outcome
}

/// The model's frames for one unwound frame: the inlined functions DWARF names at its pc first, then
/// the function itself.
fn name_frame(
    raw: &Raw,
    l: &Loaded<'_>,
    sym: Option<(&[u8], u64)>,
    source: &[symbols::SourceFrame],
) -> Vec<Frame> {
    let module = Some(ByteString::from(l.spec.path.as_slice()));
    let module_offset = Some(raw.pc.wrapping_sub(l.spec.base));
    let function_offset = sym.map(|(_, start)| raw.pc.wrapping_sub(l.bias).wrapping_sub(start));
    let sym_name = sym.map(|(n, _)| ByteString::from(symbols::demangle(n)));
    let base = Frame {
        pc: raw.pc,
        sp: raw.sp,
        module,
        module_offset,
        found_by: raw.found_by.into(),
        ..Frame::default()
    };
    if source.is_empty() {
        return vec![Frame {
            function: sym_name,
            function_offset,
            ..base
        }];
    }
    let last = source.len() - 1;
    source
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let outer = i == last;
            Frame {
                function: s
                    .function
                    .clone()
                    .map(ByteString::from)
                    .or_else(|| if outer { sym_name.clone() } else { None }),
                function_offset: if outer { function_offset } else { None },
                file: s.file.clone().map(ByteString::from),
                line: s.line,
                inlined: !outer,
                ..base.clone()
            }
        })
        .collect()
}

/// One unwound frame before naming.
#[derive(Clone, Debug)]
struct Raw {
    pc: u64,
    sp: Option<u64>,
    found_by: &'static str,
    /// `pc` is where the thread was (the innermost frame, or the frame a signal interrupted), not a
    /// return address: names are looked up at `pc`, not `pc - 1`.
    exact: bool,
    module: Option<usize>,
}

struct CoreMem<'a> {
    mem: &'a Memory<'a>,
    endian: Endianness,
}

impl ReadMem for CoreMem<'_> {
    fn read(&self, addr: u64, size: u8) -> Option<u64> {
        if !(1..=8).contains(&size) {
            return None;
        }
        let b = self.mem.read(addr, usize::from(size))?;
        Some(self.endian.read_uint(b))
    }
}

struct Walker<'a, 'd> {
    arch: Arch,
    word: u8,
    big: bool,
    mem: CoreMem<'a>,
    maps: Vec<&'a Mapping>,
    /// (start, end, module index), sorted.
    ranges: Vec<(u64, u64, usize)>,
    loaded: &'a [Loaded<'d>],
    cfis: &'a [Option<Cfi<'d>>],
}

/// A caller found by one of the methods.
struct Candidate {
    pc: u64,
    regs: [Option<u64>; NREGS],
    found_by: &'static str,
    exact: bool,
}

enum Verdict {
    Good,
    /// A return address of 0: the outermost frame.
    End,
    Bad(String),
}

impl Walker<'_, '_> {
    fn mapping(&self, addr: u64) -> Option<&Mapping> {
        let i = self
            .maps
            .partition_point(|m| m.start <= addr)
            .checked_sub(1)?;
        // Mappings may overlap (a segment inside an NT_FILE range): look back a little.
        self.maps[..=i]
            .iter()
            .rev()
            .take(4)
            .find(|m| m.start <= addr && addr < m.end)
            .copied()
    }

    fn module(&self, addr: u64) -> Option<usize> {
        let i = self
            .ranges
            .partition_point(|r| r.0 <= addr)
            .checked_sub(1)?;
        let r = self.ranges[i];
        (addr < r.1).then_some(r.2)
    }

    /// Whether `addr` may be code: in an executable mapping, or in one whose permissions the core does
    /// not record (gdb's gcore lists library text from NT_FILE only).
    fn is_code(&self, addr: u64) -> bool {
        self.mapping(addr)
            .is_some_and(|m| m.perms.contains('x') || (m.perms.is_empty() && m.path.is_some()))
    }

    /// The `n` code bytes before `addr`: from the core when it dumped them, else from the module's
    /// verified file.
    fn code_before(&self, addr: u64, n: u64) -> Option<&[u8]> {
        let from = addr.checked_sub(n)?;
        if let Some(b) = self.mem.mem.read(from, n as usize) {
            return Some(b);
        }
        let l = &self.loaded[self.module(from)?];
        let off = usize::try_from(l.spec.file_offset(from)?).ok()?;
        l.code?.get(off..off.checked_add(n as usize)?)
    }

    /// A return address as an address (aarch64 pointer authentication bits stripped; arm thumb bit
    /// cleared).
    fn strip(&self, v: u64) -> u64 {
        match self.arch {
            Arch::Aarch64 if !self.is_code(v) => v & 0x0000_ffff_ffff_ffff,
            Arch::Arm => v & !1,
            _ => v,
        }
    }

    /// Whether a saved frame pointer points back into the same stack at or below the current one (a
    /// loop); a value elsewhere is just the end of a chain (a register used for something else).
    fn loops(&self, fp: u64, saved: u64) -> bool {
        saved <= fp
            && self
                .mapping(fp)
                .is_some_and(|m| m.start <= saved && saved < m.end)
    }

    /// A module's path for messages.
    fn module_name(&self, i: usize) -> String {
        crate::bytes::escape(&self.loaded[i].spec.path)
    }

    fn word_at(&self, addr: u64) -> Option<u64> {
        self.mem.read(addr, self.word)
    }

    fn walk(
        &self,
        t: &Thread,
        ctx: &mut UnwindContext<usize>,
        limit: usize,
    ) -> (Vec<Raw>, Option<String>, Option<String>) {
        let mut frames = Vec::new();
        let Some(pc) = t.pc else {
            return (frames, Some("no program counter in the core".into()), None);
        };
        let spn = usize::from(self.arch.sp());
        let mut regs = [None; NREGS];
        for r in t.registers.iter().flatten() {
            if let Some(n) = self.arch.dwarf_number(&r.name) {
                regs[usize::from(n)] = Some(r.value);
            }
        }
        if let Some(sp) = t.sp {
            regs[spn] = Some(sp);
        }
        frames.push(Raw {
            pc,
            sp: t.sp,
            found_by: "context",
            exact: true,
            module: self.module(pc),
        });
        let Some(sp) = t.sp else {
            return (frames, Some("no stack pointer in the core".into()), None);
        };
        if self.arch == Arch::Other {
            return (
                frames,
                Some(
                    "this architecture is not unwound: procsift unwinds x86_64, i386, aarch64, arm, riscv64, ppc, ppc64, s390x, mips and loongarch64"
                        .into(),
                ),
                None,
            );
        }
        if self.mapping(sp).is_none() {
            let w = format!(
                "the stack pointer {sp:#x} is in no mapping: only the innermost frame is shown"
            );
            return (frames, Some(w.clone()), Some(w));
        }
        let mut seen: HashSet<(u64, u64)> = HashSet::new();
        seen.insert((pc, sp));
        let mut cur_pc = pc;
        let mut exact = true;
        loop {
            if frames.len() >= limit {
                let w = format!("stopped at the frame limit ({limit} frames)");
                return (frames, Some(w.clone()), Some(w));
            }
            let Some(cur_sp) = regs[spn] else {
                return (frames, Some("the stack pointer is unknown".into()), None);
            };
            let lookup = if exact {
                cur_pc
            } else {
                cur_pc.wrapping_sub(1)
            };
            let mut trouble: Option<String> = None;
            let mut next: Option<Candidate> = None;
            let mut end: Option<String> = None;
            // 1. CFI.
            if self.arch.has_cfi()
                && let Some(mi) = self.module(lookup)
                && let Some(cfi) = &self.cfis[mi]
            {
                let l = &self.loaded[mi];
                match cfi.unwind(
                    ctx,
                    lookup.wrapping_sub(l.bias),
                    &regs,
                    &self.mem,
                    self.word,
                    self.arch.link_register().is_some(),
                ) {
                    Ok(u) => match u.ra {
                        None => {
                            end = Some(format!(
                                "the outermost frame: the CFI at {cur_pc:#x} marks no return address"
                            ))
                        }
                        Some(ra) => {
                            let mut r = u.regs;
                            if u.ruled >> spn & 1 == 0 || r[spn].is_none() {
                                r[spn] = Some(u.cfa.wrapping_sub(self.arch.cfa_bias()));
                            }
                            let c = Candidate {
                                pc: self.strip(ra),
                                regs: r,
                                found_by: "cfi",
                                exact: u.signal_frame,
                            };
                            match self.check(cur_sp, &c, frames.len(), &seen) {
                                Verdict::Good => next = Some(c),
                                Verdict::End => {
                                    end =
                                        Some("the outermost frame: its return address is 0".into())
                                }
                                Verdict::Bad(why) => {
                                    // CFI that points nowhere is not second-guessed by a scan.
                                    let w = format!("stopped: the CFI at {cur_pc:#x} gives {why}");
                                    return (frames, Some(w.clone()), Some(w));
                                }
                            }
                        }
                    },
                    Err(Failure::NoInfo) => {}
                    // Corrupt CFI is not second-guessed either.
                    Err(Failure::Broken(e)) => {
                        let w = format!("stopped: corrupt CFI in {}: {e}", self.module_name(mi));
                        return (frames, Some(w.clone()), Some(w));
                    }
                    // CFI that needs what the core lacks (a register it does not record): the other
                    // methods may still find the caller.
                    Err(Failure::Unusable(e)) => trouble = Some(e),
                }
            }
            if let Some(e) = end {
                return (frames, Some(e), None);
            }
            // 2. The frame-pointer chain.
            let chain = if next.is_none() {
                self.frame_pointer(&regs)
            } else {
                Err(None)
            };
            if let Err(Some(why)) = &chain {
                let w = format!("stopped: {why}");
                return (frames, Some(w.clone()), Some(w));
            }
            if let Ok(c) = chain {
                match self.check(cur_sp, &c, frames.len(), &seen) {
                    Verdict::Good => next = Some(c),
                    Verdict::End if trouble.is_none() => {
                        return (
                            frames,
                            Some("the outermost frame: the frame-pointer chain ends".into()),
                            None,
                        );
                    }
                    _ => {}
                }
            }
            // 3. A scan of the stack.
            if next.is_none() {
                next = self.scan(&regs, cur_pc, frames.len(), &seen);
            }
            let Some(c) = next else {
                let stop = match &trouble {
                    Some(t) => format!("stopped: {t}"),
                    None => format!(
                        "no caller found for {cur_pc:#x} (no CFI for it, no frame-pointer chain, no return address on the scanned stack)"
                    ),
                };
                return (frames, Some(stop), trouble);
            };
            let new_sp = c.regs[spn].unwrap_or(0);
            seen.insert((c.pc, new_sp));
            frames.push(Raw {
                pc: c.pc,
                sp: Some(new_sp),
                found_by: c.found_by,
                exact: c.exact,
                module: self.module(if c.exact { c.pc } else { c.pc.wrapping_sub(1) }),
            });
            cur_pc = c.pc;
            exact = c.exact;
            regs = c.regs;
        }
    }

    /// Whether a caller is believable: its stack pointer above the callee's and in a mapping, its pc
    /// in code, and the pair not seen before (a loop).
    fn check(
        &self,
        old_sp: u64,
        c: &Candidate,
        depth: usize,
        seen: &HashSet<(u64, u64)>,
    ) -> Verdict {
        if c.pc == 0 {
            return Verdict::End;
        }
        let Some(sp) = c.regs[usize::from(self.arch.sp())] else {
            return Verdict::Bad("no stack pointer".into());
        };
        let leaf = depth == 1 && self.arch.link_register().is_some();
        if sp < old_sp || (sp == old_sp && !leaf && !c.exact) {
            return Verdict::Bad(format!(
                "a stack pointer {sp:#x} below the callee's {old_sp:#x}"
            ));
        }
        if self.mapping(sp).is_none() {
            return Verdict::Bad(format!("a stack pointer {sp:#x} in no mapping"));
        }
        if !self.is_code(c.pc) {
            return Verdict::Bad(format!("a return address {:#x} outside the code", c.pc));
        }
        if seen.contains(&(c.pc, sp)) {
            return Verdict::Bad(format!(
                "a loop in the frame chain (pc {:#x}, sp {sp:#x} again)",
                c.pc
            ));
        }
        Verdict::Good
    }

    /// The caller by the frame-pointer convention of the architecture: `Err(None)` when there is no
    /// chain to follow, `Err(Some(why))` when the chain loops (a saved frame pointer that does not lie
    /// above the current one).
    fn frame_pointer(&self, regs: &[Option<u64>; NREGS]) -> Result<Candidate, Option<String>> {
        let w = u64::from(self.word);
        let spn = usize::from(self.arch.sp());
        let sp = regs[spn].ok_or(None)?;
        let mut r = *regs;
        let looped = |fp: u64, saved: u64| {
            Some(format!(
                "a loop in the frame-pointer chain: the frame pointer {fp:#x} was saved as {saved:#x}, not above it"
            ))
        };
        let (pc, new_sp) = match self.arch {
            Arch::X86_64 | Arch::I386 | Arch::Aarch64 => {
                let fpn = usize::from(self.arch.fp().ok_or(None)?);
                let fp = regs[fpn].ok_or(None)?;
                if fp < sp || fp % w != 0 {
                    return Err(None);
                }
                let saved = self.word_at(fp).ok_or(None)?;
                let ra = self.word_at(fp.checked_add(w).ok_or(None)?).ok_or(None)?;
                if self.loops(fp, saved) && self.is_code(self.strip(ra)) {
                    return Err(looped(fp, saved));
                }
                r[fpn] = Some(saved);
                (ra, fp.checked_add(2 * w).ok_or(None)?)
            }
            Arch::Riscv64 | Arch::Loongarch64 => {
                let fpn = usize::from(self.arch.fp().ok_or(None)?);
                let fp = regs[fpn].ok_or(None)?;
                if fp <= sp || fp % w != 0 {
                    return Err(None);
                }
                let ra = self.word_at(fp.checked_sub(w).ok_or(None)?).ok_or(None)?;
                let saved = self
                    .word_at(fp.checked_sub(2 * w).ok_or(None)?)
                    .ok_or(None)?;
                if self.loops(fp, saved) && self.is_code(ra) {
                    return Err(looped(fp, saved));
                }
                r[fpn] = Some(saved);
                (ra, fp)
            }
            Arch::Ppc | Arch::Ppc64 => {
                // The back chain: the word at sp is the caller's sp; the caller's frame keeps the link
                // register save slot (ELF ABI: 16 bytes in on ppc64, 4 on ppc).
                let back = self.word_at(sp).ok_or(None)?;
                if back <= sp {
                    return Err(None);
                }
                let lr_slot = if self.word == 8 { 16 } else { 4 };
                let ra = self
                    .word_at(back.checked_add(lr_slot).ok_or(None)?)
                    .ok_or(None)?;
                (ra, back)
            }
            _ => return Err(None),
        };
        r[spn] = Some(new_sp);
        Ok(Candidate {
            pc: self.strip(pc),
            regs: r,
            found_by: "frame-pointer",
            exact: false,
        })
    }

    /// The first word above the stack pointer that is an address in code right after a call
    /// instruction.
    fn scan(
        &self,
        regs: &[Option<u64>; NREGS],
        cur_pc: u64,
        depth: usize,
        seen: &HashSet<(u64, u64)>,
    ) -> Option<Candidate> {
        let w = u64::from(self.word);
        let spn = usize::from(self.arch.sp());
        let sp = regs[spn]?;
        for i in 0..SCAN_WORDS {
            let at = sp.checked_add(i * w)?;
            let Some(v) = self.word_at(at) else { break };
            let v = self.strip(v);
            if v == 0 || v == cur_pc || !self.is_code(v) {
                continue;
            }
            let Some(code) = self.code_before(v, arch::Arch::CALL_WINDOW as u64) else {
                continue;
            };
            if self.arch.call_before(code, self.big) != Some(true) {
                continue;
            }
            let mut r = *regs;
            r[spn] = Some(at.checked_add(w)?);
            let c = Candidate {
                pc: v,
                regs: r,
                found_by: "scan",
                exact: false,
            };
            if matches!(self.check(sp, &c, depth, seen), Verdict::Good) {
                return Some(c);
            }
        }
        None
    }
}
