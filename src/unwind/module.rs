//! The modules of a core: which mapped files make up each one, what the core itself holds of their ELF
//! headers (the first page, which Linux and gdb dump by default: `coredump_filter` bit 4), which local
//! file is used for each (only when its build-id, or with none its headers, match the dumped ones), and
//! the parts of a used file the unwinder reads: the CFI sections and the code bytes.

use object::Endian as _;
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Object, ObjectSection, ObjectSegment};

use super::provider::{ByBuildId, Found, ModuleFile, ModuleProvider, hex};
use crate::abi::Endianness;
use crate::bytes::ByteString;
use crate::formats::elfcore::Memory;
use crate::model::Mapping;

/// The most modules one core may name (a bound on hostile `NT_FILE` lists).
pub const MAX_MODULES: usize = 4096;

/// One mapped file of the process: every mapping of the same path.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The path as the core names it.
    pub path: Vec<u8>,
    /// (start, end, file offset) of each mapping, sorted.
    pub ranges: Vec<(u64, u64, u64)>,
    /// Where file offset 0 is mapped: the start of the mapping of offset 0, else the lowest mapping's
    /// start minus its offset.
    pub base: u64,
}

impl Spec {
    /// The lowest start and highest end of its mappings.
    pub fn extent(&self) -> (u64, u64) {
        let start = self.ranges.iter().map(|r| r.0).min().unwrap_or(0);
        let end = self.ranges.iter().map(|r| r.1).max().unwrap_or(0);
        (start, end)
    }

    /// The file offset of `addr`, if one of the module's mappings holds it.
    pub fn file_offset(&self, addr: u64) -> Option<u64> {
        self.ranges
            .iter()
            .find(|r| r.0 <= addr && addr < r.1)
            .and_then(|r| r.2.checked_add(addr - r.0))
    }
}

/// Groups the file-backed mappings by path. Mappings without a path, or with a pseudo-path (`[heap]`),
/// are not modules.
pub fn specs(maps: &[Mapping]) -> Vec<Spec> {
    let mut by_path: std::collections::BTreeMap<&[u8], Vec<(u64, u64, u64)>> =
        std::collections::BTreeMap::new();
    for m in maps {
        let Some(p) = &m.path else { continue };
        let p = p.as_bytes();
        if !p.starts_with(b"/") || m.end <= m.start {
            continue;
        }
        if by_path.len() >= MAX_MODULES && !by_path.contains_key(p) {
            continue;
        }
        by_path
            .entry(p)
            .or_default()
            .push((m.start, m.end, m.offset));
    }
    let mut out: Vec<Spec> = by_path
        .into_iter()
        .map(|(path, mut ranges)| {
            ranges.sort_unstable();
            ranges.dedup();
            let base = ranges
                .iter()
                .find(|r| r.2 == 0)
                .map(|r| r.0)
                .unwrap_or_else(|| ranges[0].0.wrapping_sub(ranges[0].2));
            Spec {
                path: path.to_vec(),
                ranges,
                base,
            }
        })
        .collect();
    out.sort_by_key(|s| s.base);
    out
}

/// What the core holds of a module's ELF header page.
#[derive(Clone, Debug, Default)]
pub struct Dumped {
    /// The GNU build-id from the dumped `PT_NOTE`, when the page holds it.
    pub build_id: Option<Vec<u8>>,
    /// The ELF header and program headers as dumped (for the comparison when there is no build-id).
    pub headers: Vec<u8>,
}

/// The ELF header page of the module at `base`, when the core dumped it.
pub fn dumped_header(
    mem: &Memory<'_>,
    base: u64,
    is_64: bool,
    endian: Endianness,
) -> Option<Dumped> {
    let page = mem.from(base)?;
    if !page.starts_with(b"\x7fELF") {
        return None;
    }
    if is_64 {
        header_of::<object::elf::FileHeader64<object::Endianness>>(page, endian)
    } else {
        header_of::<object::elf::FileHeader32<object::Endianness>>(page, endian)
    }
}

fn header_of<H: FileHeader<Endian = object::Endianness>>(
    page: &[u8],
    endian: Endianness,
) -> Option<Dumped> {
    let h = H::parse(page).ok()?;
    let e = h.endian().ok()?;
    if e.is_little_endian() != (endian == Endianness::Little) {
        return None;
    }
    let phoff = usize::try_from(h.e_phoff(e).into()).ok()?;
    let phlen = usize::from(h.e_phnum(e)).checked_mul(usize::from(h.e_phentsize(e)))?;
    let end = phoff.checked_add(phlen)?.max(std::mem::size_of::<H>());
    let headers = page.get(..end)?.to_vec();
    let mut build_id = None;
    if let Ok(phdrs) = h.program_headers(e, page) {
        'ph: for ph in phdrs {
            // A note outside the dumped bytes reads as an error: no build-id, not a failure.
            if let Ok(Some(mut notes)) = ph.notes(e, page) {
                while let Ok(Some(n)) = notes.next() {
                    if n.name() == b"GNU" && n.n_type(e) == object::elf::NT_GNU_BUILD_ID {
                        build_id = Some(n.desc().to_vec());
                        break 'ph;
                    }
                }
            }
        }
    }
    Some(Dumped { build_id, headers })
}

/// Whether a module's file is used, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Its build-id matches the core's.
    BuildIdMatch,
    /// No build-id in the core's page; the file's ELF and program headers are the dumped ones.
    HeadersMatch,
    /// No file was found.
    Missing,
    /// A file was found whose build-id differs from the core's: not used.
    Mismatch,
    /// A file was found, but the core holds nothing to check it against: not used.
    Unverified,
    /// A file was found but could not be read or parsed.
    Unreadable,
    /// Only a debug file was found (by build-id): symbols and lines, no code bytes.
    DebugOnly,
}

impl Status {
    /// The word used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Status::BuildIdMatch => "used: build-id matches",
            Status::HeadersMatch => "used: headers match (no build-id)",
            Status::Missing => "not found",
            Status::Mismatch => "not used: build-id mismatch",
            Status::Unverified => "not used: nothing in the core to verify it against",
            Status::Unreadable => "not used: unreadable",
            Status::DebugOnly => "used: debug file only",
        }
    }
}

/// A module with the files found for it.
pub struct Found2 {
    /// The mappings.
    pub spec: Spec,
    /// What the core dumped of its header page.
    pub dumped: Option<Dumped>,
    /// The verified binary.
    pub file: Option<ModuleFile>,
    /// The verified separate debug file.
    pub debug: Option<ModuleFile>,
    /// Verdict.
    pub status: Status,
    /// Details for the report (where it looked, what differed).
    pub note: Option<String>,
    /// Where the binary was found, even when it is not used.
    pub location: Option<String>,
}

fn file_build_id(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let obj = object::File::parse(bytes).map_err(|e| format!("not a readable ELF file: {e}"))?;
    Ok(obj.build_id().ok().flatten().map(<[u8]>::to_vec))
}

/// What the auxiliary vector says about the executable's ELF header: `AT_PHDR`, `AT_PHENT`, `AT_PHNUM`,
/// `AT_ENTRY` (the same numbers on Linux, FreeBSD, NetBSD and illumos).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExeAux {
    /// `AT_PHDR`: where the program headers are mapped.
    pub phdr: Option<u64>,
    /// `AT_PHENT`.
    pub phent: Option<u64>,
    /// `AT_PHNUM`.
    pub phnum: Option<u64>,
    /// `AT_ENTRY`.
    pub entry: Option<u64>,
}

impl ExeAux {
    /// From the auxv pairs.
    pub fn from_pairs(pairs: impl Iterator<Item = (u64, u64)>) -> Self {
        let mut a = ExeAux::default();
        for (k, v) in pairs {
            match k {
                3 => a.phdr = Some(v),
                4 => a.phent = Some(v),
                5 => a.phnum = Some(v),
                9 => a.entry = Some(v),
                _ => {}
            }
        }
        a
    }

    /// Whether `bytes` is the program the auxv describes when its file offset 0 is mapped at
    /// `base`: the same number and size of program headers, at the same place, and the same entry
    /// point. `None` when the auxv does not say.
    fn matches(&self, bytes: &[u8], base: u64) -> Option<bool> {
        let (phdr, phent, phnum, entry) = (self.phdr?, self.phent?, self.phnum?, self.entry?);
        let obj = object::File::parse(bytes).ok()?;
        let h = elf_facts(bytes)?;
        let link_base = obj
            .segments()
            .filter_map(|s| s.address().checked_sub(s.file_range().0))
            .min()?;
        let bias = base.wrapping_sub(link_base);
        // An ET_EXEC program runs where it was linked.
        let placed = obj.kind() != object::ObjectKind::Executable || bias == 0;
        Some(
            placed
                && h.phnum == phnum
                && h.phentsize == phent
                && base.wrapping_add(h.phoff) == phdr
                && obj.entry().wrapping_add(bias) == entry,
        )
    }
}

/// `e_phoff`, `e_phentsize`, `e_phnum` of an ELF file.
struct ElfFacts {
    phoff: u64,
    phentsize: u64,
    phnum: u64,
}

fn elf_facts(bytes: &[u8]) -> Option<ElfFacts> {
    fn of<H: FileHeader<Endian = object::Endianness>>(b: &[u8]) -> Option<ElfFacts> {
        let h = H::parse(b).ok()?;
        let e = h.endian().ok()?;
        Some(ElfFacts {
            phoff: h.e_phoff(e).into(),
            phentsize: u64::from(h.e_phentsize(e)),
            phnum: u64::from(h.e_phnum(e)),
        })
    }
    match bytes.get(4)? {
        2 => of::<object::elf::FileHeader64<object::Endianness>>(bytes),
        _ => of::<object::elf::FileHeader32<object::Endianness>>(bytes),
    }
}

/// The executable's module when the user named the file (`--exe`): the module whose mappings hold
/// `AT_PHDR`, or, when the core names no file there, one made from the file's own `PT_LOAD`s placed
/// where `AT_PHDR` says. Returns the index in `specs`.
pub fn exe_spec(specs: &mut Vec<Spec>, bytes: &[u8], aux: &ExeAux, exe: &[u8]) -> Option<usize> {
    let phdr = aux.phdr?;
    if let Some(i) = specs
        .iter()
        .position(|s| s.ranges.iter().any(|r| r.0 <= phdr && phdr < r.1))
    {
        return Some(i);
    }
    let facts = elf_facts(bytes)?;
    let obj = object::File::parse(bytes).ok()?;
    let base = phdr.checked_sub(facts.phoff)?;
    let link_base = obj
        .segments()
        .filter_map(|s| s.address().checked_sub(s.file_range().0))
        .min()?;
    let bias = base.wrapping_sub(link_base);
    let page = 4096u64;
    let ranges: Vec<(u64, u64, u64)> = obj
        .segments()
        .take(64)
        .filter_map(|s| {
            let start = s.address().wrapping_add(bias) & !(page - 1);
            let end = s.address().wrapping_add(bias).checked_add(s.size())?;
            let end = end.checked_add(page - 1)? & !(page - 1);
            Some((start, end, s.file_range().0 & !(page - 1)))
        })
        .collect();
    if ranges.is_empty() {
        return None;
    }
    specs.push(Spec {
        path: exe.to_vec(),
        ranges,
        base,
    });
    Some(specs.len() - 1)
}

/// Looks up and verifies the files of one module.
pub fn find(
    spec: Spec,
    mem: &Memory<'_>,
    is_64: bool,
    endian: Endianness,
    provider: &dyn ModuleProvider,
) -> Found2 {
    find_with(spec, mem, is_64, endian, provider, None)
}

/// [`find`], with the file already chosen (`--exe`) and the auxv to check an executable against when
/// the core dumped no header page.
pub fn find_with(
    spec: Spec,
    mem: &Memory<'_>,
    is_64: bool,
    endian: Endianness,
    provider: &dyn ModuleProvider,
    exe: Option<(ModuleFile, ExeAux)>,
) -> Found2 {
    let dumped = dumped_header(mem, spec.base, is_64, endian);
    let core_id = dumped.as_ref().and_then(|d| d.build_id.clone());
    let mut out = Found2 {
        spec,
        dumped,
        file: None,
        debug: None,
        status: Status::Missing,
        note: None,
        location: None,
    };
    // The debug file is found by the core's build-id, and checked to carry the same.
    if let Some(id) = &core_id {
        out.debug = provider
            .by_build_id(id, ByBuildId::Debug)
            .filter(|f| file_build_id(&f.bytes).ok().flatten().as_ref() == Some(id));
    }
    let (mut found, aux) = match exe {
        Some((f, aux)) => (Found::File(f), Some(aux)),
        None => (provider.file(&out.spec.path), None),
    };
    if let (Found::Missing(_), Some(id)) = (&found, &core_id)
        && let Some(f) = provider.by_build_id(id, ByBuildId::Binary)
    {
        found = Found::File(f);
    }
    match found {
        Found::Missing(why) => {
            out.status = if out.debug.is_some() {
                Status::DebugOnly
            } else {
                Status::Missing
            };
            out.note = Some(why);
        }
        Found::Unreadable(why) => {
            out.status = if out.debug.is_some() {
                Status::DebugOnly
            } else {
                Status::Unreadable
            };
            out.note = Some(why);
        }
        Found::File(f) => {
            out.location = Some(f.location.clone());
            match (file_build_id(&f.bytes), &core_id, &out.dumped) {
                (Err(e), _, _) => {
                    out.status = Status::Unreadable;
                    out.note = Some(format!("{}: {e}", f.location));
                }
                (Ok(Some(theirs)), Some(ours), _) if &theirs == ours => {
                    out.status = Status::BuildIdMatch;
                    out.file = Some(f);
                }
                (Ok(theirs), Some(ours), _) => {
                    out.status = Status::Mismatch;
                    out.note = Some(format!(
                        "{} has build-id {}, the core's is {}: it is another build of this file",
                        f.location,
                        theirs.map_or("none".into(), |t| hex(&t)),
                        hex(ours)
                    ));
                }
                (Ok(_), None, Some(d)) if !d.headers.is_empty() => {
                    let same = f.bytes.get(..d.headers.len()) == Some(&d.headers[..])
                        && out.spec.ranges.iter().all(|r| r.2 < f.bytes.len() as u64);
                    if same {
                        out.status = Status::HeadersMatch;
                        out.file = Some(f);
                    } else {
                        out.status = Status::Mismatch;
                        out.note = Some(format!(
                            "{}: its ELF and program headers or its size differ from what the core dumped",
                            f.location
                        ));
                    }
                }
                (Ok(_), None, _)
                    if aux.and_then(|a| a.matches(&f.bytes, out.spec.base)) == Some(true) =>
                {
                    out.status = Status::HeadersMatch;
                    out.note = Some(
                        "the core holds no ELF header page: checked against the auxv's AT_PHDR, AT_PHENT, AT_PHNUM and AT_ENTRY".into(),
                    );
                    out.file = Some(f);
                }
                (Ok(_), None, _) if aux.is_some() => {
                    out.status = Status::Mismatch;
                    out.note = Some(format!(
                        "{}: its program headers or entry point differ from the core's auxv (AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY)",
                        f.location
                    ));
                }
                (Ok(_), None, _) => {
                    out.status = Status::Unverified;
                    out.note = Some(format!(
                        "{}: the core holds no ELF header page of this module, so the file cannot be checked",
                        f.location
                    ));
                }
            }
        }
    }
    if out.status == Status::DebugOnly
        && let Some(d) = &out.debug
    {
        out.location = Some(d.location.clone());
    }
    out
}

/// The CFI sections of a module and where they are linked.
#[derive(Default)]
pub struct Sections<'d> {
    /// `.eh_frame` (data, link-time address).
    pub eh_frame: Option<(&'d [u8], u64)>,
    /// `.eh_frame_hdr`.
    pub eh_frame_hdr: Option<(&'d [u8], u64)>,
    /// `.debug_frame` (uncompressed).
    pub debug_frame: Option<std::borrow::Cow<'d, [u8]>>,
    /// `.text` address.
    pub text: Option<u64>,
    /// `.got` address.
    pub got: Option<u64>,
    /// The lowest `PT_LOAD`'s `p_vaddr - p_offset`: runtime address = link-time address - this + base.
    pub link_base: u64,
}

/// The largest uncompressed section procsift inflates (`.debug_frame`, DWARF).
pub const MAX_INFLATED: u64 = 256 << 20;

/// A section's bytes, inflated when compressed (within [`MAX_INFLATED`]).
pub fn section_data<'d>(
    obj: &object::File<'d>,
    name: &str,
) -> Option<Result<std::borrow::Cow<'d, [u8]>, String>> {
    let s = obj.section_by_name(name)?;
    let c = match s.compressed_data() {
        Ok(c) => c,
        Err(e) => return Some(Err(format!("{name}: {e}"))),
    };
    if c.uncompressed_size > MAX_INFLATED {
        return Some(Err(format!(
            "{name}: {} bytes uncompressed, more than the {MAX_INFLATED} procsift inflates",
            c.uncompressed_size
        )));
    }
    Some(c.decompress().map_err(|e| format!("{name}: {e}")))
}

/// The CFI sections of `obj` (a binary, or a debug file for `.debug_frame`).
pub fn sections<'d>(obj: &object::File<'d>, warnings: &mut Vec<String>) -> Sections<'d> {
    let raw = |name: &str| {
        obj.section_by_name(name)
            .and_then(|s| Some((s.data().ok()?, s.address())))
            .filter(|(d, _)| !d.is_empty())
    };
    let debug_frame = match section_data(obj, ".debug_frame") {
        Some(Ok(d)) if !d.is_empty() => Some(d),
        Some(Err(e)) => {
            warnings.push(e);
            None
        }
        _ => None,
    };
    let link_base = obj
        .segments()
        .filter_map(|s| {
            let (off, _) = s.file_range();
            s.address().checked_sub(off)
        })
        .min()
        .unwrap_or(0);
    Sections {
        eh_frame: raw(".eh_frame"),
        eh_frame_hdr: raw(".eh_frame_hdr"),
        debug_frame,
        text: obj.section_by_name(".text").map(|s| s.address()),
        got: obj.section_by_name(".got").map(|s| s.address()),
        link_base,
    }
}

/// The report's view of a module.
pub fn describe(f: &Found2) -> crate::model::CoreModule {
    let (start, end) = f.spec.extent();
    crate::model::CoreModule {
        path: ByteString::from(f.spec.path.as_slice()),
        start,
        end,
        build_id: f
            .dumped
            .as_ref()
            .and_then(|d| d.build_id.as_ref())
            .map(|b| hex(b)),
        status: f.status.name().into(),
        file: f.file.as_ref().map(|m| m.location.clone()).or_else(|| {
            if f.status == Status::DebugOnly {
                None
            } else {
                f.location.clone()
            }
        }),
        debug_file: f.debug.as_ref().map(|m| m.location.clone()),
        note: f.note.clone(),
        frames: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(start: u64, end: u64, offset: u64, path: Option<&str>) -> Mapping {
        Mapping {
            start,
            end,
            offset,
            path: path.map(ByteString::from),
            ..Mapping::default()
        }
    }

    #[test]
    fn modules_are_files_grouped_by_path() {
        let maps = [
            map(0x2000, 0x3000, 0x1000, Some("/lib/a.so")),
            map(0x1000, 0x2000, 0, Some("/lib/a.so")),
            map(0x5000, 0x6000, 0x3000, Some("/bin/b")),
            map(0x7000, 0x8000, 0, Some("[heap]")),
            map(0x9000, 0xa000, 0, None),
            map(0xb000, 0xa000, 0, Some("/lib/backwards")),
        ];
        let s = specs(&maps);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].path, b"/lib/a.so");
        assert_eq!(s[0].base, 0x1000, "the mapping of offset 0");
        assert_eq!(s[0].file_offset(0x2010), Some(0x1010));
        assert_eq!(s[0].extent(), (0x1000, 0x3000));
        // No mapping of offset 0: the base is where offset 0 would be.
        assert_eq!(s[1].base, 0x2000);
        assert_eq!(s[1].file_offset(0x4000), None);
    }

    #[test]
    fn the_auxv_is_read_by_type() {
        let a = ExeAux::from_pairs(
            [(3, 0x400040), (4, 56), (5, 9), (9, 0x401000), (6, 4096)].into_iter(),
        );
        assert_eq!(
            (a.phdr, a.phent, a.phnum, a.entry),
            (Some(0x400040), Some(56), Some(9), Some(0x401000))
        );
        // Bytes that are not an ELF file match nothing.
        assert_eq!(a.matches(b"not an elf file", 0x400000), None);
    }
}
