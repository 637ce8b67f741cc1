//! Call-frame information (`.eh_frame`, found through `.eh_frame_hdr`'s sorted table or an index built
//! once, and `.debug_frame`) evaluated with gimli: the caller's registers from the callee's.
//!
//! Every lookup is bounded: the FDE index holds at most [`MAX_FDES`] entries, DWARF expressions run at
//! most [`MAX_EXPR_STEPS`] operations, and gimli's own parser checks every length against the section.

use std::cell::OnceCell;

use gimli::{
    BaseAddresses, CfaRule, DebugFrame, EhFrame, EhFrameHdr, EndianSlice, Expression,
    ParsedEhFrameHdr, Register, RegisterRule, RunTimeEndian, UnwindContext, UnwindSection,
};

use super::arch::NREGS;
use super::module::Sections;

type R<'d> = EndianSlice<'d, RunTimeEndian>;

/// The most FDEs indexed per section (a hostile or huge `.eh_frame` without a usable header table).
pub const MAX_FDES: usize = 1 << 20;
/// The most operations of one DWARF expression.
pub const MAX_EXPR_STEPS: u32 = 1000;

/// Reads the dumped memory of the process.
pub trait ReadMem {
    /// `size` bytes (1 to 8) at `addr` as an unsigned integer in the core's byte order.
    fn read(&self, addr: u64, size: u8) -> Option<u64>;
}

/// The CFI of one module.
pub struct Cfi<'d> {
    bases: BaseAddresses,
    eh_frame: Option<EhFrame<R<'d>>>,
    hdr: Option<ParsedEhFrameHdr<R<'d>>>,
    eh_index: OnceCell<Vec<(u64, u64, usize)>>,
    debug_frame: Option<DebugFrame<R<'d>>>,
    debug_index: OnceCell<Vec<(u64, u64, usize)>>,
    /// Problems met while indexing (a truncated or corrupt section), for the module's warnings.
    pub problems: std::cell::RefCell<Vec<String>>,
}

/// A caller's registers, as the CFI of the callee's pc gives them.
pub struct Unwound {
    /// The canonical frame address.
    pub cfa: u64,
    /// The registers of the caller (`None`: not recoverable).
    pub regs: [Option<u64>; NREGS],
    /// The return address column's value; `None` when the CFI marks it undefined (the outermost frame).
    pub ra: Option<u64>,
    /// The FDE is a signal trampoline's ('S' augmentation): the caller's pc is exact, not a return
    /// address.
    pub signal_frame: bool,
    /// Bit n set: the CFI has a rule for DWARF register n.
    pub ruled: u128,
}

/// Why CFI gave no caller.
pub enum Failure {
    /// The module has no CFI for this address.
    NoInfo,
    /// The CFI is there but corrupt (it cannot be parsed).
    Broken(String),
    /// The CFI is sound but needs what the core does not have (a register it does not record, memory
    /// it did not dump).
    Unusable(String),
}

impl<'d> Cfi<'d> {
    /// The CFI of a module's sections (`debug_frame` may come from its debug file).
    pub fn new(
        s: &'d Sections<'d>,
        debug_frame: Option<&'d [u8]>,
        endian: RunTimeEndian,
        address_size: u8,
    ) -> Self {
        let mut bases = BaseAddresses::default();
        if let Some((_, a)) = s.eh_frame_hdr {
            bases = bases.set_eh_frame_hdr(a);
        }
        if let Some((_, a)) = s.eh_frame {
            bases = bases.set_eh_frame(a);
        }
        if let Some(t) = s.text {
            bases = bases.set_text(t);
        }
        if let Some(g) = s.got {
            bases = bases.set_got(g);
        }
        let eh_frame = s.eh_frame.map(|(d, _)| {
            let mut f = EhFrame::new(d, endian);
            f.set_address_size(address_size);
            f
        });
        let problems = std::cell::RefCell::new(Vec::new());
        let hdr = s.eh_frame_hdr.and_then(|(d, _)| {
            match EhFrameHdr::new(d, endian).parse(&bases, address_size) {
                Ok(h) => Some(h),
                Err(e) => {
                    problems
                        .borrow_mut()
                        .push(format!(".eh_frame_hdr: {e}: .eh_frame is indexed instead"));
                    None
                }
            }
        });
        let debug_frame = debug_frame
            .or(s.debug_frame.as_deref())
            .filter(|d| !d.is_empty())
            .map(|d| {
                let mut f = DebugFrame::new(d, endian);
                f.set_address_size(address_size);
                f
            });
        Cfi {
            bases,
            eh_frame,
            hdr,
            eh_index: OnceCell::new(),
            debug_frame,
            debug_index: OnceCell::new(),
            problems,
        }
    }

    /// Whether the module has any CFI.
    pub fn is_empty(&self) -> bool {
        self.eh_frame.is_none() && self.debug_frame.is_none()
    }

    /// The caller of the frame whose pc is `svma` (a link-time address), from `regs` (indexed by DWARF
    /// number). `mem` reads the process's memory; `link` says the return address lives in a register
    /// (so a return-address column without a rule keeps that register's value).
    pub fn unwind(
        &self,
        ctx: &mut UnwindContext<usize>,
        svma: u64,
        regs: &[Option<u64>; NREGS],
        mem: &dyn ReadMem,
        word: u8,
        link: bool,
    ) -> Result<Unwound, Failure> {
        let mut broken = None;
        if let Some(eh) = &self.eh_frame {
            let fde = match self.hdr.as_ref().and_then(|h| h.table()) {
                Some(table) => {
                    match table.fde_for_address(eh, &self.bases, svma, EhFrame::cie_from_offset) {
                        Ok(f) => Some(f),
                        Err(gimli::Error::NoUnwindInfoForAddress) => None,
                        Err(e) => {
                            broken = Some(format!(".eh_frame_hdr/.eh_frame: {e}"));
                            None
                        }
                    }
                }
                None => {
                    let index = self.eh_index.get_or_init(|| self.index(eh, ".eh_frame"));
                    lookup(index, svma).and_then(|off| {
                        eh.fde_from_offset(&self.bases, off.into(), EhFrame::cie_from_offset)
                            .ok()
                    })
                }
            };
            if let Some(fde) = fde {
                return self.evaluate(eh, &fde, ctx, svma, regs, mem, word, link);
            }
        }
        if let Some(df) = &self.debug_frame {
            let index = self
                .debug_index
                .get_or_init(|| self.index(df, ".debug_frame"));
            if let Some(off) = lookup(index, svma)
                && let Ok(fde) =
                    df.fde_from_offset(&self.bases, off.into(), DebugFrame::cie_from_offset)
            {
                return self.evaluate(df, &fde, ctx, svma, regs, mem, word, link);
            }
        }
        Err(broken.map_or(Failure::NoInfo, Failure::Broken))
    }

    /// (start, end, FDE offset) of every FDE, sorted, at most [`MAX_FDES`].
    fn index<S: UnwindSection<R<'d>>>(&self, section: &S, name: &str) -> Vec<(u64, u64, usize)> {
        let mut out = Vec::new();
        let mut entries = section.entries(&self.bases);
        loop {
            match entries.next() {
                Ok(Some(gimli::CieOrFde::Fde(partial))) => {
                    if out.len() >= MAX_FDES {
                        self.problems.borrow_mut().push(format!(
                            "{name}: more than {MAX_FDES} FDEs: the rest are not indexed"
                        ));
                        break;
                    }
                    if let Ok(fde) = partial.parse(S::cie_from_offset) {
                        let start = fde.initial_address();
                        let end = start.saturating_add(fde.len());
                        out.push((start, end, fde.offset()));
                    }
                }
                Ok(Some(gimli::CieOrFde::Cie(_))) => {}
                Ok(None) => break,
                Err(e) => {
                    self.problems
                        .borrow_mut()
                        .push(format!("{name}: {e}: the entries after it are not used"));
                    break;
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn evaluate<S: UnwindSection<R<'d>>>(
        &self,
        section: &S,
        fde: &gimli::FrameDescriptionEntry<R<'d>>,
        ctx: &mut UnwindContext<usize>,
        svma: u64,
        regs: &[Option<u64>; NREGS],
        mem: &dyn ReadMem,
        word: u8,
        link: bool,
    ) -> Result<Unwound, Failure> {
        let row = fde
            .unwind_info_for_address(section, &self.bases, ctx, svma)
            .map_err(|e| Failure::Broken(format!("CFI of {svma:#x}: {e}")))?;
        let encoding = fde.cie().encoding();
        let reg = |r: Register| regs.get(usize::from(r.0)).copied().flatten();
        let cfa = match row.cfa() {
            CfaRule::RegisterAndOffset { register, offset } => reg(*register)
                .ok_or_else(|| {
                    Failure::Unusable(format!(
                        "the CFA is register {} + {offset}, and that register is unknown",
                        register.0
                    ))
                })?
                .wrapping_add_signed(*offset),
            CfaRule::Expression(e) => {
                let expr = e
                    .get(section)
                    .map_err(|e| Failure::Broken(format!("CFA expression: {e}")))?;
                eval(expr, encoding, None, regs, mem, word).ok_or_else(|| {
                    Failure::Unusable("the CFA expression cannot be evaluated".into())
                })?
            }
        };
        let ra_reg = fde.cie().return_address_register();
        // Registers without a rule keep their value (callee-saved by convention); the return address
        // column is decided below.
        let mut out = *regs;
        let mut ra = None;
        let mut ra_has_rule = false;
        let mut ruled = 0u128;
        for (r, rule) in row.registers() {
            if r.0 < 128 {
                ruled |= 1 << r.0;
            }
            let value = match rule {
                RegisterRule::Undefined | RegisterRule::Architectural => None,
                RegisterRule::SameValue => reg(*r),
                RegisterRule::Offset(n) => mem.read(cfa.wrapping_add_signed(*n), word),
                RegisterRule::ValOffset(n) => Some(cfa.wrapping_add_signed(*n)),
                RegisterRule::Register(other) => reg(*other),
                RegisterRule::Expression(e) => e
                    .get(section)
                    .ok()
                    .and_then(|x| eval(x, encoding, Some(cfa), regs, mem, word))
                    .and_then(|addr| mem.read(addr, word)),
                RegisterRule::ValExpression(e) => e
                    .get(section)
                    .ok()
                    .and_then(|x| eval(x, encoding, Some(cfa), regs, mem, word)),
                RegisterRule::Constant(c) => Some(*c),
                _ => None,
            };
            if *r == ra_reg {
                ra_has_rule = true;
                ra = value;
            }
            if let Some(slot) = out.get_mut(usize::from(r.0)) {
                *slot = value;
            }
        }
        if !ra_has_rule {
            // No rule: on link-register machines the return address is still in the register (a leaf
            // that saved nothing); where the call pushes it (x86) there is no caller.
            ra = if link { reg(ra_reg) } else { None };
        }
        Ok(Unwound {
            cfa,
            regs: out,
            ra,
            signal_frame: fde.is_signal_trampoline(),
            ruled,
        })
    }
}

/// The FDE offset for `addr` in a sorted index.
fn lookup(index: &[(u64, u64, usize)], addr: u64) -> Option<usize> {
    let i = index.partition_point(|e| e.0 <= addr).checked_sub(1)?;
    let (start, end, off) = index[i];
    (start <= addr && addr < end).then_some(off)
}

/// Evaluates a CFI DWARF expression (with the CFA pushed first for register rules); `None` when it
/// needs something a core does not have or runs too long.
fn eval(
    expr: Expression<R<'_>>,
    encoding: gimli::Encoding,
    initial: Option<u64>,
    regs: &[Option<u64>; NREGS],
    mem: &dyn ReadMem,
    word: u8,
) -> Option<u64> {
    use gimli::EvaluationResult as E;
    let mut e = expr.evaluation(encoding);
    if let Some(v) = initial {
        e.set_initial_value(v);
    }
    e.set_max_iterations(MAX_EXPR_STEPS);
    let mut r = e.evaluate().ok()?;
    for _ in 0..MAX_EXPR_STEPS {
        r = match r {
            E::Complete => break,
            E::RequiresMemory { address, size, .. } => {
                let v = mem.read(address, size.min(word))?;
                e.resume_with_memory(gimli::Value::Generic(v)).ok()?
            }
            E::RequiresRegister { register, .. } => {
                let v = regs.get(usize::from(register.0)).copied().flatten()?;
                e.resume_with_register(gimli::Value::Generic(v)).ok()?
            }
            _ => return None,
        };
    }
    if !matches!(r, E::Complete) {
        return None;
    }
    let pieces = e.result();
    match pieces.first()?.location {
        gimli::Location::Address { address } => Some(address),
        gimli::Location::Value { value } => value.to_u64(u64::MAX).ok(),
        _ => None,
    }
}
