//! Test-only encoder of illumos/Solaris /proc structures.
//!
//! It writes every field at the offset the C compiler gave it, read from a table generated from the
//! machine-checked layout files (`layouts.rs`, see `gen_layouts.py`). It never uses the decoder's raw
//! structures, so a wrong decoder layout cannot agree with itself. Values come from the decoder's public
//! (model-independent) types so that a round trip can be compared with `assert_eq!`.
#![allow(dead_code)]

#[rustfmt::skip]
mod layouts;

use procsift::abi::{DataModel, Endianness};
use procsift::formats::solaris::{
    AuxvEntry, FdInfo, Isa, Layout, Lwpsinfo, Lwpstatus, Prcred, Prlwpname, Prmap, Prpriv,
    Prsecflags, Prusage, Prxmap, Psinfo, Pstatus, Registers, SigAction, Siginfo, Stack, Target,
    Timestruc, Utsname, WordSet,
};

/// What `/proc/<pid>/fdinfo/<fd>` says of one descriptor: the fixed `prfdinfo_t` fields and the
/// `pr_misc` items as (type, data) in the encoder's own terms.
#[derive(Clone, Debug, Default)]
pub struct FdinfoSpec {
    pub fd: i32,
    pub mode: u32,
    pub ino: u64,
    pub size: i64,
    pub offset: i64,
    pub uid: u32,
    pub gid: u32,
    pub major: u32,
    pub minor: u32,
    pub rmajor: u32,
    pub rminor: u32,
    pub fileflags: i32,
    pub fdflags: i32,
    pub locktype: i16,
    pub lockpid: i32,
    pub locksysid: i32,
    pub peerpid: i32,
    pub peername: Vec<u8>,
    pub misc: Vec<(u32, Vec<u8>)>,
}

/// `enum PR_MISC_TYPES` of `sys/procfs.h`.
pub const PR_PATHNAME: u32 = 0;
pub const PR_SOCKETNAME: u32 = 1;
pub const PR_PEERSOCKNAME: u32 = 2;
pub const PR_SOCKOPTS_BOOL_OPTS: u32 = 3;
pub const PR_SOCKOPT_SNDBUF: u32 = 5;
pub const PR_SOCKOPT_RCVBUF: u32 = 6;
pub const PR_SOCKOPT_TYPE: u32 = 9;
pub const PR_SOCKOPT_TCP_CONGESTION: u32 = 11;
pub const PR_SOCKFILTERS_PRIV: u32 = 14;

/// One of the four illumos targets, in one byte order.
#[derive(Clone, Copy, Debug)]
pub struct Enc {
    /// Target name as in the layout table: I386, Amd64, Sparc, Sparcv9.
    pub name: &'static str,
    pub isa: Isa,
    pub model: DataModel,
    pub endian: Endianness,
}

/// All four targets in both byte orders.
pub fn all() -> Vec<Enc> {
    let mut v = Vec::new();
    for (name, isa, model) in [
        ("I386", Isa::X86, DataModel::Ilp32),
        ("Amd64", Isa::X86, DataModel::Lp64),
        ("Sparc", Isa::Sparc, DataModel::Ilp32),
        ("Sparcv9", Isa::Sparc, DataModel::Lp64),
    ] {
        for endian in [Endianness::Little, Endianness::Big] {
            v.push(Enc {
                name,
                isa,
                model,
                endian,
            });
        }
    }
    v
}

impl Enc {
    pub fn new(name: &'static str, endian: Endianness) -> Enc {
        *all()
            .iter()
            .find(|e| e.name == name && e.endian == endian)
            .expect("target")
    }

    pub fn target(&self) -> Target {
        Target::new(self.isa, self.model, self.endian)
    }

    pub fn layout(&self) -> Layout {
        Layout::new(self.model, self.endian)
    }

    pub fn lp64(&self) -> bool {
        self.model == DataModel::Lp64
    }

    /// Bytes of a C `long`/pointer.
    pub fn word(&self) -> usize {
        if self.lp64() { 8 } else { 4 }
    }

    fn entry(&self, s: &str) -> (usize, &'static [(&'static str, usize, usize)]) {
        layouts::LAYOUTS
            .iter()
            .find(|(t, n, _, _)| *t == self.name && *n == s)
            .map(|(_, _, size, fields)| (*size, *fields))
            .unwrap_or_else(|| panic!("no layout for {} {s}", self.name))
    }

    /// `sizeof` of a structure.
    pub fn size(&self, s: &str) -> usize {
        self.entry(s).0
    }

    /// (offset, size) of a field.
    pub fn field(&self, s: &str, f: &str) -> (usize, usize) {
        self.entry(s)
            .1
            .iter()
            .find(|(n, _, _)| *n == f)
            .map(|(_, o, z)| (*o, *z))
            .unwrap_or_else(|| panic!("no field {s}.{f} for {}", self.name))
    }

    pub fn off(&self, s: &str, f: &str) -> usize {
        self.field(s, f).0
    }

    pub fn zeroed(&self, s: &str) -> Vec<u8> {
        vec![0; self.size(s)]
    }

    /// Writes the low `size` bytes of `v` at `off` in this target's byte order.
    pub fn put_n(&self, buf: &mut [u8], off: usize, size: usize, v: u64) {
        assert!(matches!(size, 1 | 2 | 4 | 8), "scalar size {size}");
        if size < 8 {
            let top = v >> (size * 8);
            let sign_ok = top == 0 || top == (u64::MAX >> (size * 8));
            assert!(sign_ok, "value {v:#x} does not fit {size} bytes");
        }
        for (i, b) in v.to_le_bytes().into_iter().take(size).enumerate() {
            let at = match self.endian {
                Endianness::Little => off + i,
                Endianness::Big => off + size - 1 - i,
            };
            buf[at] = b;
        }
    }

    /// Writes scalar field `s.f` (at `base + offset`) with its own size.
    pub fn put(&self, buf: &mut [u8], base: usize, s: &str, f: &str, v: u64) {
        let (o, z) = self.field(s, f);
        self.put_n(buf, base + o, z, v);
    }

    /// Writes element `i` of an array field whose elements are `elem` bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn put_elem(
        &self,
        buf: &mut [u8],
        base: usize,
        s: &str,
        f: &str,
        elem: usize,
        i: usize,
        v: u64,
    ) {
        let (o, z) = self.field(s, f);
        assert!((i + 1) * elem <= z, "{s}.{f}[{i}] out of range");
        self.put_n(buf, base + o + i * elem, elem, v);
    }

    /// Copies `bytes` into a `char[]` field (must leave room for a NUL).
    pub fn put_str(&self, buf: &mut [u8], base: usize, s: &str, f: &str, bytes: &[u8]) {
        let (o, z) = self.field(s, f);
        assert!(bytes.len() < z, "{s}.{f} too long");
        buf[base + o..base + o + bytes.len()].copy_from_slice(bytes);
    }

    pub fn put_ts(&self, buf: &mut [u8], base: usize, s: &str, f: &str, t: &Timestruc) {
        let at = base + self.off(s, f);
        self.put(buf, at, "timestruc_t", "tv_sec", t.sec as u64);
        self.put(buf, at, "timestruc_t", "tv_nsec", t.nsec as u64);
    }

    pub fn put_set(&self, buf: &mut [u8], base: usize, s: &str, f: &str, words: &[u32]) {
        for (i, w) in words.iter().enumerate() {
            self.put_elem(buf, base, s, f, 4, i, u64::from(*w));
        }
    }

    // ---- embedded structures -------------------------------------------------------------------

    pub fn put_lwpsinfo(&self, buf: &mut [u8], base: usize, l: &Lwpsinfo) {
        let s = "lwpsinfo_t";
        self.put(buf, base, s, "pr_flag", l.flag as u32 as u64);
        self.put(buf, base, s, "pr_lwpid", l.lwpid as u32 as u64);
        self.put(buf, base, s, "pr_addr", l.addr);
        self.put(buf, base, s, "pr_wchan", l.wchan);
        self.put(buf, base, s, "pr_stype", l.stype.into());
        self.put(buf, base, s, "pr_state", l.state.into());
        self.put(buf, base, s, "pr_sname", l.sname.into());
        self.put(buf, base, s, "pr_nice", (l.nice as u8).into());
        self.put(buf, base, s, "pr_syscall", l.syscall as u16 as u64);
        self.put(buf, base, s, "pr_oldpri", l.oldpri.into());
        self.put(buf, base, s, "pr_cpu", l.cpu.into());
        self.put(buf, base, s, "pr_pri", l.pri as u32 as u64);
        self.put(buf, base, s, "pr_pctcpu", l.pctcpu.into());
        self.put_ts(buf, base, s, "pr_start", &l.start);
        self.put_ts(buf, base, s, "pr_time", &l.time);
        self.put_str(buf, base, s, "pr_clname", &l.clname);
        self.put_str(buf, base, s, "pr_name", &l.name);
        self.put(buf, base, s, "pr_onpro", l.onpro as u32 as u64);
        self.put(buf, base, s, "pr_bindpro", l.bindpro as u32 as u64);
        self.put(buf, base, s, "pr_bindpset", l.bindpset as u32 as u64);
        self.put(buf, base, s, "pr_lgrp", l.lgrp as u32 as u64);
    }

    /// Writes `si_signo`, `si_code`, `si_errno`, `si_addr` (`__data.__fault.__addr`) and `si_uid`
    /// (`__data.__proc.__pdata.__kill.__uid`). `si_pid` overlaps `si_addr`: see [`Enc::si_pid_of`].
    pub fn put_siginfo(&self, buf: &mut [u8], base: usize, i: &Siginfo) {
        let s = "siginfo_t";
        self.put(buf, base, s, "si_signo", i.signo as u32 as u64);
        self.put(buf, base, s, "si_code", i.code as u32 as u64);
        self.put(buf, base, s, "si_errno", i.errno as u32 as u64);
        let data = base + self.off(s, "__data");
        self.put(buf, data, "si_fault_t", "__addr", i.addr);
        let pdata = data + self.off("si_proc_t", "__pdata");
        self.put(buf, pdata, "si_kill_t", "__uid", i.uid.into());
    }

    /// The `si_pid` a decoder must read when `si_addr` holds `addr` (both start the union).
    pub fn si_pid_of(&self, addr: u64) -> i32 {
        match (self.lp64(), self.endian) {
            (false, _) | (true, Endianness::Little) => addr as u32 as i32,
            (true, Endianness::Big) => (addr >> 32) as u32 as i32,
        }
    }

    pub fn put_sigaction(&self, buf: &mut [u8], base: usize, a: &SigAction) {
        let s = "sigaction_t";
        self.put(buf, base, s, "sa_flags", a.flags as u32 as u64);
        self.put(buf, base, s, "_funcptr", a.handler);
        self.put_set(buf, base, s, "sa_mask", &a.mask.0);
    }

    pub fn put_stack(&self, buf: &mut [u8], base: usize, st: &Stack) {
        self.put(buf, base, "stack_t", "ss_sp", st.sp);
        self.put(buf, base, "stack_t", "ss_size", st.size);
        self.put(buf, base, "stack_t", "ss_flags", st.flags as u32 as u64);
    }

    pub fn put_lwpstatus(&self, buf: &mut [u8], base: usize, l: &Lwpstatus) {
        let s = "lwpstatus_t";
        self.put(buf, base, s, "pr_flags", l.flags as u32 as u64);
        self.put(buf, base, s, "pr_lwpid", l.lwpid as u32 as u64);
        self.put(buf, base, s, "pr_why", l.why as u16 as u64);
        self.put(buf, base, s, "pr_what", l.what as u16 as u64);
        self.put(buf, base, s, "pr_cursig", l.cursig as u16 as u64);
        self.put_siginfo(buf, base + self.off(s, "pr_info"), &l.info);
        self.put_set(buf, base, s, "pr_lwppend", &l.lwppend.0);
        self.put_set(buf, base, s, "pr_lwphold", &l.lwphold.0);
        self.put_sigaction(buf, base + self.off(s, "pr_action"), &l.action);
        self.put_stack(buf, base + self.off(s, "pr_altstack"), &l.altstack);
        self.put(buf, base, s, "pr_oldcontext", l.oldcontext);
        self.put(buf, base, s, "pr_syscall", l.syscall as u16 as u64);
        self.put(buf, base, s, "pr_nsysarg", l.nsysarg as u16 as u64);
        self.put(buf, base, s, "pr_errno", l.errno as u32 as u64);
        for (i, a) in l.sysarg.iter().enumerate() {
            self.put_elem(buf, base, s, "pr_sysarg", self.word(), i, *a);
        }
        self.put(buf, base, s, "pr_rval1", l.rval1 as u64);
        self.put(buf, base, s, "pr_rval2", l.rval2 as u64);
        self.put_str(buf, base, s, "pr_clname", &l.clname);
        self.put_ts(buf, base, s, "pr_tstamp", &l.tstamp);
        self.put_ts(buf, base, s, "pr_utime", &l.utime);
        self.put_ts(buf, base, s, "pr_stime", &l.stime);
        self.put(buf, base, s, "pr_errpriv", l.errpriv as u32 as u64);
        self.put(buf, base, s, "pr_ustack", l.ustack);
        self.put(buf, base, s, "pr_instr", l.instr);
        let (_, regs_size) = self.field(s, "pr_reg");
        assert_eq!(
            regs_size,
            l.regs.values.len() * self.word(),
            "register count"
        );
        for (i, r) in l.regs.values.iter().enumerate() {
            self.put_elem(buf, base, s, "pr_reg", self.word(), i, *r);
        }
        // pr_fpreg is not decoded: fill it with a pattern that must not leak into anything.
        let (fo, fz) = self.field(s, "pr_fpreg");
        buf[base + fo..base + fo + fz].fill(0xa5);
    }

    // ---- whole structures ----------------------------------------------------------------------

    pub fn psinfo(&self, p: &Psinfo) -> Vec<u8> {
        let s = "psinfo_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_flag", p.flag as u32 as u64);
        self.put(&mut b, 0, s, "pr_nlwp", p.nlwp as u32 as u64);
        self.put(&mut b, 0, s, "pr_pid", p.pid as u32 as u64);
        self.put(&mut b, 0, s, "pr_ppid", p.ppid as u32 as u64);
        self.put(&mut b, 0, s, "pr_pgid", p.pgid as u32 as u64);
        self.put(&mut b, 0, s, "pr_sid", p.sid as u32 as u64);
        self.put(&mut b, 0, s, "pr_uid", p.uid.into());
        self.put(&mut b, 0, s, "pr_euid", p.euid.into());
        self.put(&mut b, 0, s, "pr_gid", p.gid.into());
        self.put(&mut b, 0, s, "pr_egid", p.egid.into());
        self.put(&mut b, 0, s, "pr_addr", p.addr);
        self.put(&mut b, 0, s, "pr_size", p.size_kb);
        self.put(&mut b, 0, s, "pr_rssize", p.rssize_kb);
        self.put(&mut b, 0, s, "pr_ttydev", p.ttydev);
        self.put(&mut b, 0, s, "pr_pctcpu", p.pctcpu.into());
        self.put(&mut b, 0, s, "pr_pctmem", p.pctmem.into());
        self.put_ts(&mut b, 0, s, "pr_start", &p.start);
        self.put_ts(&mut b, 0, s, "pr_time", &p.time);
        self.put_ts(&mut b, 0, s, "pr_ctime", &p.ctime);
        self.put_str(&mut b, 0, s, "pr_fname", &p.fname);
        self.put_str(&mut b, 0, s, "pr_psargs", &p.psargs);
        self.put(&mut b, 0, s, "pr_wstat", p.wstat as u32 as u64);
        self.put(&mut b, 0, s, "pr_argc", p.argc as u32 as u64);
        self.put(&mut b, 0, s, "pr_argv", p.argv);
        self.put(&mut b, 0, s, "pr_envp", p.envp);
        self.put(&mut b, 0, s, "pr_dmodel", p.dmodel.into());
        self.put(&mut b, 0, s, "pr_taskid", p.taskid as u32 as u64);
        self.put(&mut b, 0, s, "pr_projid", p.projid as u32 as u64);
        self.put(&mut b, 0, s, "pr_nzomb", p.nzomb as u32 as u64);
        self.put(&mut b, 0, s, "pr_poolid", p.poolid as u32 as u64);
        self.put(&mut b, 0, s, "pr_zoneid", p.zoneid as u32 as u64);
        self.put(&mut b, 0, s, "pr_contract", p.contract as u32 as u64);
        let lwp = self.off(s, "pr_lwp");
        self.put_lwpsinfo(&mut b, lwp, &p.lwp);
        b
    }

    pub fn lwpsinfo(&self, l: &Lwpsinfo) -> Vec<u8> {
        let mut b = self.zeroed("lwpsinfo_t");
        self.put_lwpsinfo(&mut b, 0, l);
        b
    }

    pub fn lwpstatus(&self, l: &Lwpstatus) -> Vec<u8> {
        let mut b = self.zeroed("lwpstatus_t");
        self.put_lwpstatus(&mut b, 0, l);
        b
    }

    pub fn pstatus(&self, p: &Pstatus) -> Vec<u8> {
        let s = "pstatus_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_flags", p.flags as u32 as u64);
        self.put(&mut b, 0, s, "pr_nlwp", p.nlwp as u32 as u64);
        self.put(&mut b, 0, s, "pr_pid", p.pid as u32 as u64);
        self.put(&mut b, 0, s, "pr_ppid", p.ppid as u32 as u64);
        self.put(&mut b, 0, s, "pr_pgid", p.pgid as u32 as u64);
        self.put(&mut b, 0, s, "pr_sid", p.sid as u32 as u64);
        self.put(&mut b, 0, s, "pr_aslwpid", p.aslwpid as u32 as u64);
        self.put(&mut b, 0, s, "pr_agentid", p.agentid as u32 as u64);
        self.put_set(&mut b, 0, s, "pr_sigpend", &p.sigpend.0);
        self.put(&mut b, 0, s, "pr_brkbase", p.brkbase);
        self.put(&mut b, 0, s, "pr_brksize", p.brksize);
        self.put(&mut b, 0, s, "pr_stkbase", p.stkbase);
        self.put(&mut b, 0, s, "pr_stksize", p.stksize);
        self.put_ts(&mut b, 0, s, "pr_utime", &p.utime);
        self.put_ts(&mut b, 0, s, "pr_stime", &p.stime);
        self.put_ts(&mut b, 0, s, "pr_cutime", &p.cutime);
        self.put_ts(&mut b, 0, s, "pr_cstime", &p.cstime);
        self.put_set(&mut b, 0, s, "pr_sigtrace", &p.sigtrace.0);
        self.put_set(&mut b, 0, s, "pr_flttrace", &p.flttrace.0);
        self.put_set(&mut b, 0, s, "pr_sysentry", &p.sysentry.0);
        self.put_set(&mut b, 0, s, "pr_sysexit", &p.sysexit.0);
        self.put(&mut b, 0, s, "pr_dmodel", p.dmodel.into());
        self.put(&mut b, 0, s, "pr_taskid", p.taskid as u32 as u64);
        self.put(&mut b, 0, s, "pr_projid", p.projid as u32 as u64);
        self.put(&mut b, 0, s, "pr_nzomb", p.nzomb as u32 as u64);
        self.put(&mut b, 0, s, "pr_zoneid", p.zoneid as u32 as u64);
        let lwp = self.off(s, "pr_lwp");
        self.put_lwpstatus(&mut b, lwp, &p.lwp);
        b
    }

    pub fn prusage(&self, u: &Prusage) -> Vec<u8> {
        let s = "prusage_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_lwpid", u.lwpid as u32 as u64);
        self.put(&mut b, 0, s, "pr_count", u.count as u32 as u64);
        for (f, t) in [
            ("pr_tstamp", &u.tstamp),
            ("pr_create", &u.create),
            ("pr_term", &u.term),
            ("pr_rtime", &u.rtime),
            ("pr_utime", &u.utime),
            ("pr_stime", &u.stime),
            ("pr_ttime", &u.ttime),
            ("pr_tftime", &u.tftime),
            ("pr_dftime", &u.dftime),
            ("pr_kftime", &u.kftime),
            ("pr_ltime", &u.ltime),
            ("pr_slptime", &u.slptime),
            ("pr_wtime", &u.wtime),
            ("pr_stoptime", &u.stoptime),
        ] {
            self.put_ts(&mut b, 0, s, f, t);
        }
        for (f, v) in [
            ("pr_minf", u.minf),
            ("pr_majf", u.majf),
            ("pr_nswap", u.nswap),
            ("pr_inblk", u.inblk),
            ("pr_oublk", u.oublk),
            ("pr_msnd", u.msnd),
            ("pr_mrcv", u.mrcv),
            ("pr_sigs", u.sigs),
            ("pr_vctx", u.vctx),
            ("pr_ictx", u.ictx),
            ("pr_sysc", u.sysc),
            ("pr_ioch", u.ioch),
        ] {
            self.put(&mut b, 0, s, f, v);
        }
        b
    }

    /// The kernel's entry span for `lpsinfo`/`lstatus`/`lusage` (prvnops.c `LSPAN`/`LSPAN32`).
    pub fn lspan(&self, s: &str) -> usize {
        let z = self.size(s);
        if self.lp64() {
            z.div_ceil(16) * 16 + 16
        } else {
            z.div_ceil(8) * 8 + 8
        }
    }

    /// A `prheader_t` with `nent`/`entsize` followed by `entries`, each padded to `entsize`.
    pub fn with_header(&self, nent: i64, entsize: i64, entries: &[Vec<u8>]) -> Vec<u8> {
        let mut b = self.zeroed("prheader_t");
        self.put(&mut b, 0, "prheader_t", "pr_nent", nent as u64);
        self.put(&mut b, 0, "prheader_t", "pr_entsize", entsize as u64);
        for e in entries {
            let mut e = e.clone();
            e.resize(entsize as usize, 0x5a);
            b.extend_from_slice(&e);
        }
        b
    }

    pub fn prmap(&self, m: &Prmap) -> Vec<u8> {
        let s = "prmap_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_vaddr", m.vaddr);
        self.put(&mut b, 0, s, "pr_size", m.size);
        self.put_str(&mut b, 0, s, "pr_mapname", &m.mapname);
        self.put(&mut b, 0, s, "pr_offset", m.offset as u64);
        self.put(&mut b, 0, s, "pr_mflags", m.mflags as u32 as u64);
        self.put(&mut b, 0, s, "pr_pagesize", m.pagesize as u32 as u64);
        self.put(&mut b, 0, s, "pr_shmid", m.shmid as u32 as u64);
        b
    }

    pub fn prxmap(&self, m: &Prxmap) -> Vec<u8> {
        let s = "prxmap_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_vaddr", m.vaddr);
        self.put(&mut b, 0, s, "pr_size", m.size);
        self.put_str(&mut b, 0, s, "pr_mapname", &m.mapname);
        self.put(&mut b, 0, s, "pr_offset", m.offset as u64);
        self.put(&mut b, 0, s, "pr_mflags", m.mflags as u32 as u64);
        self.put(&mut b, 0, s, "pr_pagesize", m.pagesize as u32 as u64);
        self.put(&mut b, 0, s, "pr_shmid", m.shmid as u32 as u64);
        self.put(&mut b, 0, s, "pr_dev", m.dev);
        self.put(&mut b, 0, s, "pr_ino", m.ino);
        self.put(&mut b, 0, s, "pr_rss", m.rss);
        self.put(&mut b, 0, s, "pr_anon", m.anon);
        self.put(&mut b, 0, s, "pr_locked", m.locked);
        self.put(&mut b, 0, s, "pr_hatpagesize", m.hatpagesize);
        b
    }

    /// A `prcred_t` holding `c.groups` (at least the one declared slot), `pr_ngroups` = `c.ngroups`.
    pub fn prcred(&self, c: &Prcred) -> Vec<u8> {
        let s = "prcred_t";
        let mut b = self.zeroed(s);
        for (f, v) in [
            ("pr_euid", c.euid),
            ("pr_ruid", c.ruid),
            ("pr_suid", c.suid),
            ("pr_egid", c.egid),
            ("pr_rgid", c.rgid),
            ("pr_sgid", c.sgid),
        ] {
            self.put(&mut b, 0, s, f, v.into());
        }
        self.put(&mut b, 0, s, "pr_ngroups", c.ngroups as u32 as u64);
        let g = self.off(s, "pr_groups");
        b.resize((g + 4 * c.groups.len()).max(b.len()), 0);
        for (i, v) in c.groups.iter().enumerate() {
            self.put_n(&mut b, g + 4 * i, 4, (*v).into());
        }
        b
    }

    pub fn prpriv(&self, p: &Prpriv) -> Vec<u8> {
        let s = "prpriv_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_nsets", p.nsets.into());
        self.put(&mut b, 0, s, "pr_setsize", p.setsize.into());
        self.put(&mut b, 0, s, "pr_infosize", p.infosize.into());
        let at = self.off(s, "pr_sets");
        let words: Vec<u32> = p.sets.iter().flatten().copied().collect();
        b.truncate(at);
        b.resize(at + 4 * words.len(), 0);
        for (i, w) in words.iter().enumerate() {
            self.put_n(&mut b, at + 4 * i, 4, (*w).into());
        }
        b.extend_from_slice(&p.info);
        b
    }

    /// `auxv_t` entries padded with `AT_NULL` to `total`; LP64 padding after `a_type` gets garbage.
    pub fn auxv(&self, entries: &[AuxvEntry], total: usize) -> Vec<u8> {
        let s = "auxv_t";
        let z = self.size(s);
        let mut b = vec![0; z * total];
        for (i, e) in entries.iter().enumerate() {
            let base = i * z;
            self.put(&mut b, base, s, "a_type", e.a_type as u32 as u64);
            self.put(&mut b, base, s, "a_un", e.value);
            if self.lp64() {
                // The 4 bytes between a_type (0..4) and a_un (8..16) are padding holding garbage.
                b[base + 4..base + 8].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
            }
        }
        b
    }

    pub fn sigact(&self, actions: &[SigAction]) -> Vec<u8> {
        let z = self.size("sigaction_t");
        let mut b = vec![0; z * actions.len()];
        for (i, a) in actions.iter().enumerate() {
            self.put_sigaction(&mut b, i * z, a);
        }
        b
    }

    pub fn fdinfo(&self, f: &FdInfo) -> Vec<u8> {
        let s = "prfdinfo_core_t";
        let mut b = self.zeroed(s);
        for (n, v) in [
            ("pr_fd", f.fd as u32 as u64),
            ("pr_mode", f.mode.into()),
            ("pr_uid", f.uid.into()),
            ("pr_gid", f.gid.into()),
            ("pr_major", f.major.into()),
            ("pr_minor", f.minor.into()),
            ("pr_rmajor", f.rmajor.into()),
            ("pr_rminor", f.rminor.into()),
            ("pr_ino", f.ino),
            ("pr_offset", f.offset as u64),
            ("pr_size", f.size as u64),
            ("pr_fileflags", f.fileflags as u32 as u64),
            ("pr_fdflags", f.fdflags as u32 as u64),
        ] {
            self.put(&mut b, 0, s, n, v);
        }
        self.put_str(&mut b, 0, s, "pr_path", &f.path);
        b
    }

    /// `/proc/<pid>/fdinfo/<fd>`: the fixed `prfdinfo_t` fields at the table's offsets, then from the
    /// table's `pr_misc` offset each item as a `pr_misc_header_t` (size = header + data rounded up to 4,
    /// type) and its data, then a zero-size terminator, as the kernel's `prgetfdinfo()` writes them.
    pub fn prfdinfo(&self, f: &FdinfoSpec) -> Vec<u8> {
        let s = "prfdinfo_t";
        let misc_at = self.off(s, "pr_misc");
        let mut b = self.zeroed(s);
        b.truncate(misc_at); // sizeof has tail padding on all but i386; the items start at pr_misc.
        for (n, v) in [
            ("pr_fd", f.fd as u32 as u64),
            ("pr_mode", f.mode.into()),
            ("pr_ino", f.ino),
            ("pr_size", f.size as u64),
            ("pr_offset", f.offset as u64),
            ("pr_uid", f.uid.into()),
            ("pr_gid", f.gid.into()),
            ("pr_major", f.major.into()),
            ("pr_minor", f.minor.into()),
            ("pr_rmajor", f.rmajor.into()),
            ("pr_rminor", f.rminor.into()),
            ("pr_fileflags", f.fileflags as u32 as u64),
            ("pr_fdflags", f.fdflags as u32 as u64),
            ("pr_locktype", f.locktype as u16 as u64),
            ("pr_lockpid", f.lockpid as u32 as u64),
            ("pr_locksysid", f.locksysid as u32 as u64),
            ("pr_peerpid", f.peerpid as u32 as u64),
        ] {
            self.put(&mut b, 0, s, n, v);
        }
        self.put_str(&mut b, 0, s, "pr_peername", &f.peername);
        let h = "pr_misc_header_t";
        for (kind, data) in &f.misc {
            let at = b.len();
            let rounded = data.len().div_ceil(4) * 4;
            b.resize(at + self.size(h) + rounded, 0);
            self.put(
                &mut b,
                at,
                h,
                "pr_misc_size",
                (self.size(h) + rounded) as u64,
            );
            self.put(&mut b, at, h, "pr_misc_type", u64::from(*kind));
            let d = at + self.size(h);
            b[d..d + data.len()].copy_from_slice(data);
        }
        b.resize(b.len() + self.size(h), 0);
        b
    }

    /// A Solaris `struct sockaddr_in` (`sin_family` in this target's order, port and address in network
    /// order, 8 bytes of `sin_zero`): 16 bytes.
    pub fn sockaddr_in(&self, addr: [u8; 4], port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 16];
        self.put_n(&mut b, 0, 2, 2); // AF_INET
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&addr);
        b
    }

    /// A Solaris `struct sockaddr_in6` (family 26, port, flowinfo, address, scope id, source id): 32 bytes.
    pub fn sockaddr_in6(&self, addr: [u8; 16], port: u16, scope_id: u32) -> Vec<u8> {
        let mut b = vec![0u8; 32];
        self.put_n(&mut b, 0, 2, 26); // AF_INET6
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[8..24].copy_from_slice(&addr);
        self.put_n(&mut b, 24, 4, u64::from(scope_id));
        b
    }

    /// A Solaris `struct sockaddr_un` as getsockname returns it: family 1 and the path, NUL-terminated
    /// (just the family for an unnamed socket).
    pub fn sockaddr_un(&self, path: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 2];
        self.put_n(&mut b, 0, 2, 1); // AF_UNIX
        if !path.is_empty() {
            b.extend_from_slice(path);
            b.push(0);
        }
        b
    }

    pub fn prsecflags(&self, f: &Prsecflags) -> Vec<u8> {
        let s = "prsecflags_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_version", f.version.into());
        b[self.off(s, "pr_pad")..][..4].copy_from_slice(b"junk");
        self.put(&mut b, 0, s, "pr_effective", f.effective);
        self.put(&mut b, 0, s, "pr_inherit", f.inherit);
        self.put(&mut b, 0, s, "pr_lower", f.lower);
        self.put(&mut b, 0, s, "pr_upper", f.upper);
        b
    }

    pub fn prlwpname(&self, n: &Prlwpname) -> Vec<u8> {
        let s = "prlwpname_t";
        let mut b = self.zeroed(s);
        self.put(&mut b, 0, s, "pr_lwpid", n.lwpid);
        self.put_str(&mut b, 0, s, "pr_lwpname", &n.name);
        b
    }

    pub fn utsname(&self, u: &Utsname) -> Vec<u8> {
        let s = "utsname_t";
        let mut b = self.zeroed(s);
        self.put_str(&mut b, 0, s, "sysname", &u.sysname);
        self.put_str(&mut b, 0, s, "nodename", &u.nodename);
        self.put_str(&mut b, 0, s, "release", &u.release);
        self.put_str(&mut b, 0, s, "version", &u.version);
        self.put_str(&mut b, 0, s, "machine", &u.machine);
        b
    }
}

/// Distinct test values that fit a target's field widths: every call returns a new value, with all bytes
/// different so that a byte-order or offset mistake cannot go unnoticed.
pub struct Gen {
    n: u64,
    lp64: bool,
}

impl Gen {
    pub fn new(enc: &Enc, seed: u64) -> Gen {
        Gen {
            n: seed * 1000,
            lp64: enc.lp64(),
        }
    }

    fn next(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    pub fn u8(&mut self) -> u8 {
        (self.next() % 200 + 33) as u8
    }

    pub fn i16(&mut self) -> i16 {
        (0x0100 + self.next() % 0x7000) as i16
    }

    pub fn u16(&mut self) -> u16 {
        (0x0100 + self.next() % 0x7000) as u16
    }

    /// A positive 32-bit value with four distinct bytes.
    pub fn i32(&mut self) -> i32 {
        let n = self.next();
        (0x0102_0304u32.wrapping_add((n as u32).wrapping_mul(0x0001_0307)) & 0x7fff_ffff) as i32
    }

    pub fn u32(&mut self) -> u32 {
        self.i32() as u32 | 0x8000_0000
    }

    /// A `ulong_t`/pointer: above 4 GiB under LP64, any 32-bit value under ILP32.
    pub fn word(&mut self) -> u64 {
        let lo = u64::from(self.u32());
        if self.lp64 {
            (0x0a0b_0c0d_u64 + self.next()) << 32 | lo
        } else {
            lo
        }
    }

    /// A signed `long`: negative, beyond 32 bits under LP64.
    pub fn long(&mut self) -> i64 {
        let v = i64::from(self.i32());
        if self.lp64 { -(v << 8) } else { -v }
    }

    pub fn u64(&mut self) -> u64 {
        (0x1122_3344_u64 + self.next()) << 32 | u64::from(self.u32())
    }

    pub fn ts(&mut self) -> Timestruc {
        let sec = i64::from(self.i32());
        let sec = if self.lp64 { sec << 4 } else { sec };
        Timestruc {
            sec,
            nsec: i64::from(self.i32() % 1_000_000_000),
        }
    }

    pub fn name(&mut self, prefix: &str, max: usize) -> Vec<u8> {
        let mut s = format!("{prefix}{}", self.next()).into_bytes();
        s.truncate(max - 1);
        s
    }

    pub fn set<const N: usize>(&mut self) -> [u32; N] {
        std::array::from_fn(|_| self.u32())
    }

    // ---- whole values --------------------------------------------------------------------------

    pub fn lwpsinfo(&mut self) -> Lwpsinfo {
        Lwpsinfo {
            flag: self.i32(),
            lwpid: self.i32(),
            addr: self.word(),
            wchan: self.word(),
            stype: self.u8(),
            state: self.u8(),
            sname: self.u8(),
            nice: -(self.u8() as i8 & 0x3f),
            syscall: self.i16(),
            oldpri: self.u8(),
            cpu: self.u8(),
            pri: self.i32(),
            pctcpu: self.u16(),
            start: self.ts(),
            time: self.ts(),
            clname: self.name("C", 8),
            name: self.name("lwp-", 16),
            onpro: self.i32(),
            bindpro: self.i32(),
            bindpset: self.i32(),
            lgrp: self.i32(),
        }
    }

    pub fn psinfo(&mut self) -> Psinfo {
        Psinfo {
            flag: self.i32(),
            nlwp: self.i32(),
            pid: self.i32(),
            ppid: self.i32(),
            pgid: self.i32(),
            sid: self.i32(),
            uid: self.u32(),
            euid: self.u32(),
            gid: self.u32(),
            egid: self.u32(),
            addr: self.word(),
            size_kb: self.word(),
            rssize_kb: self.word(),
            ttydev: self.word(),
            pctcpu: self.u16(),
            pctmem: self.u16(),
            start: self.ts(),
            time: self.ts(),
            ctime: self.ts(),
            fname: self.name("fname", 16),
            psargs: self.name("/usr/bin/prog --arg=", 80),
            wstat: self.i32(),
            argc: self.i32(),
            argv: self.word(),
            envp: self.word(),
            dmodel: self.u8(),
            taskid: self.i32(),
            projid: self.i32(),
            nzomb: self.i32(),
            poolid: self.i32(),
            zoneid: self.i32(),
            contract: self.i32(),
            lwp: self.lwpsinfo(),
        }
    }

    pub fn lwpstatus(&mut self, enc: &Enc) -> Lwpstatus {
        let nregs = enc.field("lwpstatus_t", "pr_reg").1 / enc.word();
        let addr = self.word();
        Lwpstatus {
            flags: self.i32(),
            lwpid: self.i32(),
            why: self.i16(),
            what: self.i16(),
            cursig: self.i16(),
            info: Siginfo {
                signo: self.i32(),
                code: -self.i32(),
                errno: self.i32(),
                addr,
                pid: enc.si_pid_of(addr),
                uid: self.u32(),
            },
            lwppend: WordSet(self.set()),
            lwphold: WordSet(self.set()),
            action: SigAction {
                flags: self.i32(),
                handler: self.word(),
                mask: WordSet(self.set()),
            },
            altstack: Stack {
                sp: self.word(),
                size: self.word(),
                flags: self.i32(),
            },
            oldcontext: self.word(),
            syscall: self.i16(),
            nsysarg: self.i16(),
            errno: self.i32(),
            sysarg: std::array::from_fn(|_| self.word()),
            rval1: self.long(),
            rval2: self.long(),
            clname: self.name("RT", 8),
            tstamp: self.ts(),
            utime: self.ts(),
            stime: self.ts(),
            errpriv: self.i32(),
            ustack: self.word(),
            instr: self.word(),
            regs: Registers {
                isa: enc.isa,
                model: enc.model,
                values: (0..nregs).map(|_| self.word()).collect(),
            },
        }
    }

    pub fn pstatus(&mut self, enc: &Enc) -> Pstatus {
        Pstatus {
            flags: self.i32(),
            nlwp: self.i32(),
            pid: self.i32(),
            ppid: self.i32(),
            pgid: self.i32(),
            sid: self.i32(),
            aslwpid: self.i32(),
            agentid: self.i32(),
            sigpend: WordSet(self.set()),
            brkbase: self.word(),
            brksize: self.word(),
            stkbase: self.word(),
            stksize: self.word(),
            utime: self.ts(),
            stime: self.ts(),
            cutime: self.ts(),
            cstime: self.ts(),
            sigtrace: WordSet(self.set()),
            flttrace: WordSet(self.set()),
            sysentry: WordSet(self.set()),
            sysexit: WordSet(self.set()),
            dmodel: self.u8(),
            taskid: self.i32(),
            projid: self.i32(),
            nzomb: self.i32(),
            zoneid: self.i32(),
            lwp: self.lwpstatus(enc),
        }
    }

    pub fn prusage(&mut self) -> Prusage {
        Prusage {
            lwpid: self.i32(),
            count: self.i32(),
            tstamp: self.ts(),
            create: self.ts(),
            term: self.ts(),
            rtime: self.ts(),
            utime: self.ts(),
            stime: self.ts(),
            ttime: self.ts(),
            tftime: self.ts(),
            dftime: self.ts(),
            kftime: self.ts(),
            ltime: self.ts(),
            slptime: self.ts(),
            wtime: self.ts(),
            stoptime: self.ts(),
            minf: self.word(),
            majf: self.word(),
            nswap: self.word(),
            inblk: self.word(),
            oublk: self.word(),
            msnd: self.word(),
            mrcv: self.word(),
            sigs: self.word(),
            vctx: self.word(),
            ictx: self.word(),
            sysc: self.word(),
            ioch: self.word(),
        }
    }

    pub fn prmap(&mut self) -> Prmap {
        Prmap {
            vaddr: self.word(),
            size: self.word(),
            mapname: self.name("a.out.so.", 64),
            offset: -(self.u64() as i64 & 0x7fff_ffff_ffff),
            mflags: self.i32(),
            pagesize: self.i32(),
            shmid: -self.i32(),
        }
    }

    pub fn prxmap(&mut self) -> Prxmap {
        Prxmap {
            vaddr: self.word(),
            size: self.word(),
            mapname: self.name("ufs.", 64),
            offset: self.u64() as i64 & 0x7fff_ffff_ffff,
            mflags: self.i32(),
            pagesize: self.i32(),
            shmid: self.i32(),
            dev: self.word(),
            ino: self.u64(),
            rss: self.word(),
            anon: self.word(),
            locked: self.word(),
            hatpagesize: self.u64(),
        }
    }

    pub fn prcred(&mut self, ngroups: usize) -> Prcred {
        Prcred {
            euid: self.u32(),
            ruid: self.u32(),
            suid: self.u32(),
            egid: self.u32(),
            rgid: self.u32(),
            sgid: self.u32(),
            ngroups: ngroups as i32,
            groups: (0..ngroups).map(|_| self.u32()).collect(),
        }
    }

    pub fn auxv(&mut self, n: usize) -> Vec<AuxvEntry> {
        (0..n)
            .map(|i| AuxvEntry {
                a_type: if i % 2 == 0 {
                    2000 + i as i32
                } else {
                    i as i32
                },
                value: self.word(),
            })
            .collect()
    }

    pub fn sigaction(&mut self) -> SigAction {
        SigAction {
            flags: self.i32(),
            handler: self.word(),
            mask: WordSet(self.set()),
        }
    }

    pub fn fdinfo(&mut self) -> FdInfo {
        FdInfo {
            fd: self.i32(),
            mode: self.u32(),
            uid: self.u32(),
            gid: self.u32(),
            major: self.u32(),
            minor: self.u32(),
            rmajor: self.u32(),
            rminor: self.u32(),
            ino: self.u64(),
            offset: self.u64() as i64 >> 1,
            size: -(self.u64() as i64 >> 1),
            fileflags: self.i32(),
            fdflags: self.i32(),
            path: self.name("/export/home/user/file-", 1024),
        }
    }
}
