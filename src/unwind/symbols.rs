//! Names for addresses: the ELF symbol tables (`.symtab`, `.dynsym`) with demangled Rust and C++
//! names, and file:line with inlined frames from DWARF (addr2line).

use std::borrow::Cow;
use std::collections::HashMap;

use gimli::{EndianSlice, RunTimeEndian};
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use super::module::section_data;

/// The most symbols kept per module.
pub const MAX_SYMBOLS: usize = 1 << 22;
/// The longest symbol name demangled (longer ones are shown raw).
pub const MAX_DEMANGLE: usize = 4096;
/// The deepest DIE tree addr2line is given (its inlined-function parser recurses once per level).
pub const MAX_DIE_DEPTH: isize = 512;

/// One function symbol.
#[derive(Clone, Copy, Debug)]
struct Sym<'d> {
    addr: u64,
    size: u64,
    name: &'d [u8],
    /// 0 global, 1 weak, 2 local: the preferred name among aliases is the lowest.
    rank: u8,
}

/// The function symbols of a module (and of its debug file), sorted by address.
pub struct Symbols<'d> {
    syms: Vec<Sym<'d>>,
}

impl<'d> Symbols<'d> {
    /// Function symbols of every file given (`.symtab` and `.dynsym`).
    pub fn new(files: &[&object::File<'d>]) -> Self {
        let mut syms = Vec::new();
        for f in files {
            // ppc64 ELFv1: a function symbol names its descriptor in .opd, whose first word is the
            // code address.
            let opd = f
                .section_by_name(".opd")
                .and_then(|o| Some((o.index(), o.address(), o.data().ok()?)));
            let big = !f.is_little_endian();
            for s in f.symbols().chain(f.dynamic_symbols()) {
                if syms.len() >= MAX_SYMBOLS {
                    break;
                }
                if s.kind() != SymbolKind::Text || !s.is_definition() || s.address() == 0 {
                    continue;
                }
                let Ok(name) = s.name_bytes() else { continue };
                if name.is_empty() {
                    continue;
                }
                let rank = if s.is_global() {
                    0
                } else if s.is_weak() {
                    1
                } else {
                    2
                };
                let mut addr = s.address();
                if let Some((idx, base, data)) = opd
                    && s.section_index() == Some(idx)
                {
                    let at = usize::try_from(addr.wrapping_sub(base)).unwrap_or(usize::MAX);
                    let Some(b) = at
                        .checked_add(8)
                        .and_then(|end| data.get(at..end))
                        .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    else {
                        continue;
                    };
                    addr = if big {
                        u64::from_be_bytes(b)
                    } else {
                        u64::from_le_bytes(b)
                    };
                }
                syms.push(Sym {
                    addr,
                    size: s.size(),
                    name,
                    rank,
                });
            }
        }
        syms.sort_by(|a, b| {
            a.addr
                .cmp(&b.addr)
                .then(a.rank.cmp(&b.rank))
                .then(a.name.len().cmp(&b.name.len()))
        });
        syms.dedup_by_key(|s| s.addr);
        Symbols { syms }
    }

    /// The function holding `svma`: (raw name, its start).
    pub fn lookup(&self, svma: u64) -> Option<(&'d [u8], u64)> {
        let i = self
            .syms
            .partition_point(|s| s.addr <= svma)
            .checked_sub(1)?;
        let s = self.syms[i];
        let inside = if s.size > 0 {
            svma - s.addr < s.size
        } else {
            // A symbol without a size holds up to the next one.
            self.syms.get(i + 1).is_none_or(|n| svma < n.addr)
        };
        inside.then_some((s.name, s.addr))
    }
}

/// A symbol name as people read it: Rust (legacy and v0) and C++ (Itanium) names demangled, others as
/// they are. Names that are not UTF-8 stay bytes.
pub fn demangle(raw: &[u8]) -> Vec<u8> {
    if raw.len() > MAX_DEMANGLE {
        return raw.to_vec();
    }
    let Ok(s) = std::str::from_utf8(raw) else {
        return raw.to_vec();
    };
    if let Ok(d) = rustc_demangle::try_demangle(s) {
        return format!("{d:#}").into_bytes();
    }
    if s.starts_with("_Z") {
        let parse = cpp_demangle::ParseOptions::default().recursion_limit(128);
        if let Ok(sym) = cpp_demangle::Symbol::new_with_options(s, &parse) {
            let opts = cpp_demangle::DemangleOptions::default()
                .no_return_type()
                .recursion_limit(128);
            if let Ok(d) = sym.demangle_with_options(&opts) {
                return d.into_bytes();
            }
        }
    }
    raw.to_vec()
}

/// One name for an address from DWARF: the function (inlined ones first) and its file and line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFrame {
    /// The function (demangled).
    pub function: Option<Vec<u8>>,
    /// The source file.
    pub file: Option<Vec<u8>>,
    /// The line.
    pub line: Option<u32>,
}

type Reader<'a> = EndianSlice<'a, RunTimeEndian>;

/// The DWARF sections of a module, inflated where compressed, kept while its lookups run.
pub struct DwarfSections<'d> {
    sections: HashMap<gimli::SectionId, Cow<'d, [u8]>>,
}

impl<'d> DwarfSections<'d> {
    /// The DWARF sections of `obj`, or `None` when it has no `.debug_info`.
    pub fn load(obj: &object::File<'d>, problems: &mut Vec<String>) -> Option<Self> {
        obj.section_by_name(".debug_info")?;
        let mut sections = HashMap::new();
        for id in [
            gimli::SectionId::DebugAbbrev,
            gimli::SectionId::DebugAddr,
            gimli::SectionId::DebugAranges,
            gimli::SectionId::DebugInfo,
            gimli::SectionId::DebugLine,
            gimli::SectionId::DebugLineStr,
            gimli::SectionId::DebugRanges,
            gimli::SectionId::DebugRngLists,
            gimli::SectionId::DebugStr,
            gimli::SectionId::DebugStrOffsets,
        ] {
            match section_data(obj, id.name()) {
                Some(Ok(d)) => {
                    sections.insert(id, d);
                }
                Some(Err(e)) => {
                    problems.push(e);
                    if id == gimli::SectionId::DebugInfo {
                        return None;
                    }
                }
                None => {}
            }
        }
        Some(DwarfSections { sections })
    }

    /// The addr2line context over these sections; `None` (with the reason) when the DWARF is unusable.
    pub fn context(&self, endian: RunTimeEndian) -> Result<addr2line::Context<Reader<'_>>, String> {
        let dwarf = gimli::Dwarf::load(|id| -> Result<Reader<'_>, gimli::Error> {
            Ok(EndianSlice::new(
                self.sections.get(&id).map_or(&[][..], |c| &c[..]),
                endian,
            ))
        })
        .map_err(|e| e.to_string())?;
        check_depth(&dwarf)?;
        addr2line::Context::from_dwarf(dwarf).map_err(|e| e.to_string())
    }
}

/// Refuses DWARF whose DIE tree is deeper than [`MAX_DIE_DEPTH`]: addr2line's parser of inlined
/// functions recurses once per level, and a hostile file could nest deep enough to exhaust the stack.
fn check_depth(dwarf: &gimli::Dwarf<Reader<'_>>) -> Result<(), String> {
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(|e| e.to_string())? {
        let Ok(abbrevs) = dwarf.abbreviations(&header) else {
            continue;
        };
        let Ok(mut entries) = header.entries_raw(&abbrevs, None) else {
            continue;
        };
        while !entries.is_empty() {
            if entries.next_depth() > MAX_DIE_DEPTH {
                return Err(format!(
                    "DWARF entries nested deeper than {MAX_DIE_DEPTH} levels: not used"
                ));
            }
            match entries.read_abbreviation() {
                Ok(Some(a)) => {
                    if entries.skip_attributes(a.attributes()).is_err() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }
    Ok(())
}

/// The DWARF frames at `svma`, innermost (inlined) first; empty when DWARF does not cover it.
pub fn source_frames(ctx: &addr2line::Context<Reader<'_>>, svma: u64) -> Vec<SourceFrame> {
    let mut out = Vec::new();
    let Ok(mut frames) = ctx.find_frames(svma).skip_all_loads() else {
        return out;
    };
    while let Ok(Some(f)) = frames.next() {
        if out.len() >= 64 {
            break;
        }
        let function = f
            .function
            .as_ref()
            .and_then(|n| n.demangle().ok())
            .map(|n| n.into_owned().into_bytes());
        let (file, line) = f.location.map_or((None, None), |l| {
            (l.file.map(|s| s.as_bytes().to_vec()), l.line)
        });
        out.push(SourceFrame {
            function,
            file,
            line,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_rust_and_cpp() {
        assert_eq!(
            demangle(b"_ZN4core9panicking5panic17h0123456789abcdefE"),
            b"core::panicking::panic"
        );
        assert_eq!(demangle(b"_ZN3foo3barEi"), b"foo::bar(int)");
        assert_eq!(demangle(b"main"), b"main");
        assert_eq!(demangle(b"\xff\xfe"), b"\xff\xfe");
        // Deep nesting is refused by the recursion limit, not a stack overflow.
        let mut deep = b"_Z".to_vec();
        deep.extend(std::iter::repeat_n(b'P', 3000));
        deep.push(b'i');
        assert_eq!(demangle(&deep), deep);
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::*;

    #[test]
    fn the_closest_symbol_within_its_size() {
        let s = Symbols {
            syms: vec![
                Sym {
                    addr: 0x100,
                    size: 0x10,
                    name: b"a",
                    rank: 0,
                },
                Sym {
                    addr: 0x200,
                    size: 0,
                    name: b"b",
                    rank: 0,
                },
                Sym {
                    addr: 0x300,
                    size: 0x20,
                    name: b"c",
                    rank: 0,
                },
            ],
        };
        assert_eq!(s.lookup(0x100), Some((&b"a"[..], 0x100)));
        assert_eq!(s.lookup(0x10f), Some((&b"a"[..], 0x100)));
        assert_eq!(s.lookup(0x110), None, "past a's size");
        assert_eq!(
            s.lookup(0x2ff),
            Some((&b"b"[..], 0x200)),
            "no size: up to the next"
        );
        assert_eq!(s.lookup(0xff), None);
        assert_eq!(s.lookup(0x320), None);
    }
}
