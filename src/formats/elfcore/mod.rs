//! ELF core files: the header, the segments and the notes, decoded from bytes.
//!
//! goblin reads the ELF header and the program headers; everything inside a note is decoded by this
//! module's own zerocopy structures, one submodule per operating system:
//!
//! * [`linux`]: `NT_PRSTATUS`, `NT_PRPSINFO`, `NT_SIGINFO`, `NT_AUXV`, `NT_FILE` (`include/linux/elfcore.h`,
//!   `fs/binfmt_elf.c`), for every architecture in [`linux::Abi`];
//! * [`freebsd`]: `prstatus_t`, `prpsinfo_t`, `thrmisc_t` and the `NT_PROCSTAT_*` records (`sys/sys/procfs.h`,
//!   `sys/sys/user.h`, `sys/kern/imgact_elf.c`);
//! * [`netbsd`]: `struct netbsd_elfcore_procinfo` and the per-LWP `NetBSD-CORE@<lid>` register notes
//!   (`sys/sys/exec_elf.h`, `sys/kern/core_elf32.c`);
//! * [`procsift`]: the `PROCSIFT` note `procsift gcore` adds to the cores it writes;
//! * illumos and Solaris notes carry the /proc structures themselves and are decoded by
//!   [`crate::formats::solaris`].
//!
//! Nothing here panics on input: every size and offset is checked against the bytes present, and a
//! problem is a [`CoreWarning`] naming the note and the file offset, after which decoding goes on.

pub mod auxv;
pub mod freebsd;
pub mod linux;
pub mod memory;
pub mod netbsd;
pub mod notes;
pub mod nt;
pub mod procsift;
pub mod regs;

use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{self, ProgramHeader};

use crate::abi::Endianness;

pub use memory::Memory;
pub use notes::Note;

/// The operating system that wrote the core, from its note owners and `EI_OSABI`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Linux (`CORE`/`LINUX` notes, `NT_PRSTATUS` = `struct elf_prstatus`).
    Linux,
    /// FreeBSD (`FreeBSD` notes).
    FreeBsd,
    /// NetBSD (`NetBSD-CORE` notes).
    NetBsd,
    /// illumos or Solaris (`CORE` notes with `NT_PSINFO`, `NT_PSTATUS` or `NT_PLATFORM`).
    Illumos,
}

impl Flavor {
    /// The name used in `source.os` (`linux`, `freebsd`, `netbsd`, `solaris`).
    pub fn os_name(self) -> &'static str {
        match self {
            Flavor::Linux => "linux",
            Flavor::FreeBsd => "freebsd",
            Flavor::NetBsd => "netbsd",
            Flavor::Illumos => "solaris",
        }
    }
}

/// A problem inside a core that did not stop the analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreWarning {
    /// Where: `NT_PRSTATUS`, `PT_NOTE[1]`, `program headers`, ...
    pub what: String,
    /// File offset of the problem.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

impl CoreWarning {
    pub(crate) fn new(what: impl Into<String>, offset: u64, message: impl Into<String>) -> Self {
        CoreWarning {
            what: what.into(),
            offset,
            message: message.into(),
        }
    }
}

/// Why a file cannot be read as a core at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// Not an ELF file.
    #[error("not an ELF file")]
    NotElf,
    /// An ELF file whose header cannot be read.
    #[error("ELF header: {0}")]
    BadHeader(String),
    /// An ELF file that is not a core (`e_type` is not `ET_CORE`).
    #[error("{0}, not a core file (e_type is not ET_CORE)")]
    NotCore(String),
    /// A core cut short: its headers promise notes that are not in the file.
    #[error("a truncated ELF core: {0}")]
    Truncated(String),
    /// A core from an operating system procsift does not decode.
    #[error(
        "an ELF core from an unsupported system ({0}); procsift reads Linux, illumos/Solaris, FreeBSD and NetBSD cores"
    )]
    UnsupportedOs(String),
}

/// One `PT_LOAD` segment: a range of the process's memory and the part of it the core holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_memsz`: the size of the range in the process.
    pub memsz: u64,
    /// `p_offset`.
    pub offset: u64,
    /// `p_filesz` after bounding by the file: the bytes the core really holds (from the start of the range).
    pub filesz: u64,
    /// `p_filesz` as the header claims it.
    pub filesz_claimed: u64,
    /// `p_flags` (`PF_R` 4, `PF_W` 2, `PF_X` 1; illumos adds `PF_SUNW_FAILURE` 0x00100000, `PF_SUNW_KILLED`
    /// 0x00200000, `PF_SUNW_SIGINFO` 0x00400000 in the OS range).
    pub flags: u32,
}

impl Segment {
    /// `r-x`-style permissions from `p_flags`.
    pub fn perms(&self) -> String {
        let f = self.flags;
        let mut s = String::with_capacity(3);
        s.push(if f & program_header::PF_R != 0 {
            'r'
        } else {
            '-'
        });
        s.push(if f & program_header::PF_W != 0 {
            'w'
        } else {
            '-'
        });
        s.push(if f & program_header::PF_X != 0 {
            'x'
        } else {
            '-'
        });
        s
    }
}

/// illumos: the segment's contents could not be dumped (`PF_SUNW_FAILURE`, `sys/elf.h`).
pub const PF_SUNW_FAILURE: u32 = 0x0010_0000;
/// illumos: the process was killed while this segment was dumped (`PF_SUNW_KILLED`).
pub const PF_SUNW_KILLED: u32 = 0x0020_0000;

/// A parsed core: header facts, segments and notes, all borrowing the file's bytes.
#[derive(Debug)]
pub struct Core<'a> {
    /// The whole file.
    pub bytes: &'a [u8],
    /// `EI_CLASS`: true for `ELFCLASS64`.
    pub is_64: bool,
    /// `EI_DATA`.
    pub endian: Endianness,
    /// `e_machine`.
    pub machine: u16,
    /// `e_flags` (the mips ABI lives here).
    pub flags: u32,
    /// `EI_OSABI`.
    pub osabi: u8,
    /// `PT_LOAD` segments in header order.
    pub segments: Vec<Segment>,
    /// Every note of every `PT_NOTE` segment, in file order.
    pub notes: Vec<Note<'a>>,
    /// The operating system that wrote the core.
    pub flavor: Flavor,
    /// Problems met while reading the structure of the file.
    pub warnings: Vec<CoreWarning>,
}

/// What the first bytes of a file say about it as an ELF file (`e_ident` and `e_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfType {
    /// No ELF magic.
    NotElf,
    /// The ELF magic, but too few bytes (or an unknown `EI_DATA`) to read `e_type`.
    Truncated,
    /// `e_type`, read in the byte order `EI_DATA` gives.
    Type(u16),
}

/// The one ELF type check: the magic, `EI_DATA` at 5 (1 little, 2 big) and `e_type` at 16.
pub fn elf_type(head: &[u8]) -> ElfType {
    if !head.starts_with(b"\x7fELF") {
        return ElfType::NotElf;
    }
    match (head.get(header::EI_DATA), head.get(16..18)) {
        (Some(&header::ELFDATA2LSB), Some(t)) => ElfType::Type(u16::from_le_bytes([t[0], t[1]])),
        (Some(&header::ELFDATA2MSB), Some(t)) => ElfType::Type(u16::from_be_bytes([t[0], t[1]])),
        _ => ElfType::Truncated,
    }
}

/// What an `e_type` is, in words (`a core`, `an executable`, ...).
pub fn elf_type_name(e_type: u16) -> String {
    match e_type {
        header::ET_NONE => "an ELF file of no type".into(),
        header::ET_REL => "an ELF relocatable object".into(),
        header::ET_EXEC => "an ELF executable".into(),
        header::ET_DYN => "an ELF shared object or PIE executable".into(),
        header::ET_CORE => "an ELF core".into(),
        t => format!("an ELF file of type {t}"),
    }
}

/// True when `bytes` start with the ELF magic and `e_type` is `ET_CORE` (either byte order).
pub fn is_core(bytes: &[u8]) -> bool {
    elf_type(bytes) == ElfType::Type(header::ET_CORE)
}

/// `PN_XNUM`: `e_phnum` is too small and the real count is in section header 0's `sh_info`.
const PN_XNUM: u16 = 0xffff;

impl<'a> Core<'a> {
    /// Parses the header, the program headers and every note. Fails only when the file is not an ELF core
    /// of a supported system; damage inside is reported in [`Core::warnings`].
    pub fn parse(bytes: &'a [u8]) -> Result<Core<'a>, CoreError> {
        match elf_type(bytes) {
            ElfType::NotElf => return Err(CoreError::NotElf),
            ElfType::Type(header::ET_CORE) => {}
            ElfType::Type(t) => return Err(CoreError::NotCore(elf_type_name(t))),
            ElfType::Truncated => {
                return Err(CoreError::Truncated(format!(
                    "{} bytes: too few for the ELF header",
                    bytes.len()
                )));
            }
        }
        let header = goblin::elf::Elf::parse_header(bytes)
            .map_err(|e| CoreError::BadHeader(e.to_string()))?;
        let endian = match header.e_ident[header::EI_DATA] {
            header::ELFDATA2MSB => Endianness::Big,
            _ => Endianness::Little,
        };
        let is_64 = header.e_ident[header::EI_CLASS] == header::ELFCLASS64;
        let mut warnings = Vec::new();
        let phdrs = program_headers(bytes, &header, &mut warnings);

        let mut segments = Vec::new();
        let mut notes = Vec::new();
        let mut note_index = 0;
        let entsize = u64::from(header.e_phentsize);
        for (i, ph) in phdrs.iter().enumerate() {
            let ph_at = header
                .e_phoff
                .saturating_add((i as u64).saturating_mul(entsize));
            match ph.p_type {
                program_header::PT_LOAD => segments.push(segment(bytes, ph, ph_at, &mut warnings)),
                program_header::PT_NOTE => {
                    let what = format!("PT_NOTE[{note_index}]");
                    note_index += 1;
                    let Some(data) = file_range(bytes, ph.p_offset, ph.p_filesz) else {
                        warnings.push(CoreWarning::new(
                            what.clone(),
                            ph_at,
                            format!(
                                "segment of {} bytes at byte {} lies beyond the end of the file ({} bytes): the core is truncated",
                                ph.p_filesz,
                                ph.p_offset,
                                bytes.len()
                            ),
                        ));
                        // Read what is there: a truncated core keeps its first notes.
                        if let Some(partial) = bytes.get(ph.p_offset as usize..) {
                            notes::walk(
                                partial,
                                ph.p_offset,
                                ph.p_align,
                                endian,
                                &what,
                                &mut notes,
                                &mut warnings,
                            );
                        }
                        continue;
                    };
                    notes::walk(
                        data,
                        ph.p_offset,
                        ph.p_align,
                        endian,
                        &what,
                        &mut notes,
                        &mut warnings,
                    );
                }
                _ => {}
            }
        }
        if notes.is_empty()
            && let Some(w) = warnings.iter().find(|w| w.message.contains("truncated"))
        {
            // No note survived and the headers say why: the file was cut, not written by an unknown system.
            return Err(CoreError::Truncated(format!(
                "{} bytes; {} at byte {}: {}",
                bytes.len(),
                w.what,
                w.offset,
                w.message
            )));
        }
        let flavor = detect_flavor(header.e_ident[header::EI_OSABI], &notes)?;
        Ok(Core {
            bytes,
            is_64,
            endian,
            machine: header.e_machine,
            flags: header.e_flags,
            osabi: header.e_ident[header::EI_OSABI],
            segments,
            notes,
            flavor,
            warnings,
        })
    }

    /// The process memory the core holds, for reading strings and pointers.
    pub fn memory(&self) -> Memory<'a> {
        Memory::new(self.bytes, &self.segments)
    }

    /// Notes with this owner name (without the NUL) and type, in file order.
    pub fn notes_of<'s>(
        &'s self,
        name: &'s [u8],
        n_type: u32,
    ) -> impl Iterator<Item = &'s Note<'a>> + 's {
        self.notes
            .iter()
            .filter(move |n| n.name == name && n.n_type == n_type)
    }

    /// The first note with this owner name and type.
    pub fn note(&self, name: &[u8], n_type: u32) -> Option<&Note<'a>> {
        self.notes
            .iter()
            .find(|n| n.name == name && n.n_type == n_type)
    }

    /// `e_machine` as a name (`x86_64`, `aarch64`, ...).
    pub fn machine_name(&self) -> &'static str {
        machine_name(self.machine, self.is_64)
    }
}

/// A name for `e_machine`.
pub fn machine_name(machine: u16, is_64: bool) -> &'static str {
    use goblin::elf::header::*;
    match machine {
        EM_X86_64 if is_64 => "x86_64",
        EM_X86_64 => "x32",
        EM_386 => "i386",
        EM_AARCH64 => "aarch64",
        EM_ARM => "arm",
        EM_S390 if is_64 => "s390x",
        EM_S390 => "s390",
        EM_PPC64 => "ppc64",
        EM_PPC => "ppc",
        EM_RISCV if is_64 => "riscv64",
        EM_RISCV => "riscv32",
        EM_MIPS if is_64 => "mips64",
        EM_MIPS => "mips",
        EM_68K => "m68k",
        EM_SPARCV9 => "sparcv9",
        EM_SPARC | EM_SPARC32PLUS => "sparc",
        EM_SH => "sh",
        15 => "hppa",
        258 => "loongarch",
        0x9026 => "alpha",
        _ => "unknown",
    }
}

/// The bytes `[offset, offset + len)` of the file, if all of them are there.
pub(crate) fn file_range(bytes: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

fn program_headers(
    bytes: &[u8],
    header: &Header,
    warnings: &mut Vec<CoreWarning>,
) -> Vec<ProgramHeader> {
    let Ok(ctx) = header
        .container()
        .and_then(|c| Ok(goblin::container::Ctx::new(c, header.endianness()?)))
    else {
        warnings.push(CoreWarning::new(
            "ELF header",
            0,
            "unknown class or byte order",
        ));
        return Vec::new();
    };
    let mut count = usize::from(header.e_phnum);
    if header.e_phnum == PN_XNUM {
        // The real count is sh_info of section header 0 (gABI "Extended Program Header Numbering").
        match goblin::elf::SectionHeader::parse(bytes, header.e_shoff as usize, 1, ctx) {
            Ok(sh) if !sh.is_empty() => count = sh[0].sh_info as usize,
            _ => warnings.push(CoreWarning::new(
                "section header 0",
                header.e_shoff,
                "e_phnum is PN_XNUM but section header 0 cannot be read",
            )),
        }
    }
    let Ok(offset) = usize::try_from(header.e_phoff) else {
        warnings.push(CoreWarning::new(
            "program headers",
            header.e_phoff,
            "e_phoff beyond the address space",
        ));
        return Vec::new();
    };
    let size = usize::from(header.e_phentsize).max(1);
    let room = bytes.len().saturating_sub(offset) / size;
    if count > room {
        warnings.push(CoreWarning::new(
            "program headers",
            header.e_phoff,
            format!("{count} program headers claimed, room for {room}: the core is truncated"),
        ));
        count = room;
    }
    match ProgramHeader::parse(bytes, offset, count, ctx) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(CoreWarning::new(
                "program headers",
                header.e_phoff,
                e.to_string(),
            ));
            Vec::new()
        }
    }
}

/// One `PT_LOAD`; `ph_at` is the file offset of its program header (where warnings point).
fn segment(
    bytes: &[u8],
    ph: &ProgramHeader,
    ph_at: u64,
    warnings: &mut Vec<CoreWarning>,
) -> Segment {
    let available = (bytes.len() as u64).saturating_sub(ph.p_offset);
    let filesz = ph.p_filesz.min(available);
    if filesz < ph.p_filesz {
        warnings.push(CoreWarning::new(
            "PT_LOAD",
            ph_at,
            format!(
                "segment at {:#x} claims {} bytes of the file from byte {}, {} are there: the core is truncated",
                ph.p_vaddr, ph.p_filesz, ph.p_offset, filesz
            ),
        ));
    }
    Segment {
        vaddr: ph.p_vaddr,
        memsz: ph.p_memsz,
        offset: ph.p_offset,
        filesz,
        filesz_claimed: ph.p_filesz,
        flags: ph.p_flags,
    }
}

/// illumos/Solaris note types that only they write under the name `CORE` (`sys/elf.h`): `NT_PSTATUS` 10,
/// `NT_PSINFO` 13, `NT_PLATFORM` 5 (Linux never writes 5 under `CORE`).
const SOLARIS_ONLY_TYPES: [u32; 3] = [5, 10, 13];

fn detect_flavor(osabi: u8, notes: &[Note<'_>]) -> Result<Flavor, CoreError> {
    let owner = |name: &[u8]| notes.iter().any(|n| n.name == name);
    if owner(b"FreeBSD") || osabi == header::ELFOSABI_FREEBSD {
        return Ok(Flavor::FreeBsd);
    }
    if notes
        .iter()
        .any(|n| n.name == b"NetBSD-CORE" || n.name.starts_with(b"NetBSD-CORE@"))
        || osabi == header::ELFOSABI_NETBSD
    {
        return Ok(Flavor::NetBsd);
    }
    if owner(b"OpenBSD") || osabi == header::ELFOSABI_OPENBSD {
        return Err(CoreError::UnsupportedOs("OpenBSD".into()));
    }
    if notes
        .iter()
        .any(|n| n.name == b"CORE" && SOLARIS_ONLY_TYPES.contains(&n.n_type))
        || osabi == header::ELFOSABI_SOLARIS
    {
        return Ok(Flavor::Illumos);
    }
    if owner(b"CORE") || owner(b"LINUX") || osabi == header::ELFOSABI_LINUX {
        return Ok(Flavor::Linux);
    }
    let names: Vec<String> = notes
        .iter()
        .map(|n| crate::bytes::escape(n.name))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Err(CoreError::UnsupportedOs(if names.is_empty() {
        format!("EI_OSABI {osabi}, no notes")
    } else {
        format!("EI_OSABI {osabi}, note owners {}", names.join(", "))
    }))
}
