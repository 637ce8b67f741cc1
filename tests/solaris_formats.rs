//! Solaris/illumos procfs decoders (`procsift::formats::solaris`) against:
//! 1. an independent test-only encoder (tests/solaris_encoder) for i386, amd64, sparc and sparcv9 in both
//!    byte orders, with distinct values in every decoded field;
//! 2. the two real illumos cores of the corpus (new-style notes are the /proc structures byte for byte);
//! 3. the 2008 SPARC `ls -l /proc/<pid>` listing of layouts.md §1.8 (a 32-bit reader's file sizes);
//! 4. hostile input: every truncation, flipped bytes, lying `pr_nent`/`pr_entsize`/`pr_ngroups`.

mod common;
mod solaris_encoder;

use procsift::abi::{DataModel, Endianness};
use procsift::formats::solaris::{
    self as sol, DecodeErrorKind, Isa, Layout, Prlwpname, Prpriv, Prsecflags, Target, Utsname,
};
use solaris_encoder::{Enc, Gen, all};

// ---- 1. encoder round trips ---------------------------------------------------------------------

#[test]
fn psinfo_and_lwpsinfo_round_trip_on_every_target() {
    for enc in all() {
        let mut g = Gen::new(&enc, 1);
        let p = g.psinfo();
        let bytes = enc.psinfo(&p);
        assert_eq!(bytes.len(), if enc.lp64() { 416 } else { 336 });
        assert_eq!(
            sol::decode_psinfo(&bytes, enc.layout()).unwrap(),
            p,
            "{enc:?}"
        );
        assert_eq!(sol::model_from_psinfo_size(bytes.len()), Some(enc.model));
        assert_eq!(
            sol::detect_psinfo(&bytes, p.pid),
            Some(enc.layout()),
            "{enc:?}"
        );
        assert_eq!(sol::detect_psinfo(&bytes, p.pid + 1), None);

        let l = g.lwpsinfo();
        let bytes = enc.lwpsinfo(&l);
        assert_eq!(bytes.len(), if enc.lp64() { 128 } else { 104 });
        assert_eq!(
            sol::decode_lwpsinfo(&bytes, enc.layout()).unwrap(),
            l,
            "{enc:?}"
        );
    }
}

#[test]
fn lwpstatus_and_pstatus_round_trip_on_every_target() {
    for enc in all() {
        let mut g = Gen::new(&enc, 2);
        let l = g.lwpstatus(&enc);
        let bytes = enc.lwpstatus(&l);
        let got = sol::decode_lwpstatus(&bytes, enc.target()).unwrap();
        assert_eq!(got, l, "{enc:?}");
        assert_eq!(
            sol::target_from_lwpstatus_size(bytes.len()),
            Some((enc.isa, enc.model))
        );

        // Register names and the pc/sp/fp shortcuts point at the ABI's slots.
        let r = &got.regs;
        assert_eq!(r.names().len(), r.values.len());
        let (pc, sp, fp) = match (enc.isa, enc.model) {
            (Isa::X86, DataModel::Ilp32) => (14, 17, 6),
            (Isa::X86, DataModel::Lp64) => (17, 20, 10),
            (Isa::Sparc, _) => (33, 14, 30),
        };
        assert_eq!(r.pc(), Some(r.values[pc]));
        assert_eq!(r.sp(), Some(r.values[sp]));
        assert_eq!(r.fp(), Some(r.values[fp]));
        assert_eq!(r.named().count(), r.values.len());

        let p = g.pstatus(&enc);
        let bytes = enc.pstatus(&p);
        assert_eq!(
            sol::decode_pstatus(&bytes, enc.target()).unwrap(),
            p,
            "{enc:?}"
        );
        assert_eq!(
            sol::target_from_pstatus_size(bytes.len()),
            Some((enc.isa, enc.model))
        );

        // The other byte order does not silently give the same values.
        let other = Target::new(enc.isa, enc.model, flip(enc.endian));
        assert_ne!(sol::decode_pstatus(&bytes, other).unwrap().pid, p.pid);
    }
}

#[test]
fn prusage_and_header_arrays_round_trip_on_every_target() {
    for enc in all() {
        let mut g = Gen::new(&enc, 3);
        let u = g.prusage();
        let bytes = enc.prusage(&u);
        assert_eq!(bytes.len(), if enc.lp64() { 504 } else { 256 });
        assert_eq!(sol::decode_prusage(&bytes, enc.layout()).unwrap(), u);

        // lpsinfo: 3 entries at the kernel's span.
        let ls: Vec<_> = (0..3).map(|_| g.lwpsinfo()).collect();
        let span = enc.lspan("lwpsinfo_t");
        let raw: Vec<_> = ls.iter().map(|l| enc.lwpsinfo(l)).collect();
        let file = enc.with_header(3, span as i64, &raw);
        let hdr = sol::decode_prheader(&file, enc.layout()).unwrap();
        assert_eq!((hdr.nent, hdr.entsize), (3, span as i64));
        let got = sol::decode_lpsinfo(&file, enc.layout()).unwrap();
        assert_eq!(got.warning, None);
        assert_eq!(got.value, ls);

        // lstatus: 2 entries.
        let st: Vec<_> = (0..2).map(|_| g.lwpstatus(&enc)).collect();
        let span = enc.lspan("lwpstatus_t");
        let raw: Vec<_> = st.iter().map(|l| enc.lwpstatus(l)).collect();
        let file = enc.with_header(2, span as i64, &raw);
        let got = sol::decode_lstatus(&file, enc.target()).unwrap();
        assert_eq!(got.warning, None);
        assert_eq!(got.value, st);
        assert_eq!(
            sol::target_from_lstatus_entsize(span as i64),
            Some((enc.isa, enc.model))
        );

        // lusage: nlwp + 1 entries, the first being the aggregate.
        let us: Vec<_> = (0..4).map(|_| g.prusage()).collect();
        let span = enc.lspan("prusage_t");
        let raw: Vec<_> = us.iter().map(|u| enc.prusage(u)).collect();
        let file = enc.with_header(4, span as i64, &raw);
        let got = sol::decode_lusage(&file, enc.layout()).unwrap();
        assert_eq!(got.warning, None);
        assert_eq!(got.value, us);
    }
}

#[test]
fn maps_cred_auxv_sigact_round_trip_on_every_target() {
    for enc in all() {
        let mut g = Gen::new(&enc, 4);
        let maps: Vec<_> = (0..5).map(|_| g.prmap()).collect();
        let file: Vec<u8> = maps.iter().flat_map(|m| enc.prmap(m)).collect();
        assert_eq!(file.len(), 5 * if enc.lp64() { 104 } else { 96 });
        let got = sol::decode_map(&file, enc.layout());
        assert_eq!((got.value, got.warning), (maps, None));

        let xmaps: Vec<_> = (0..5).map(|_| g.prxmap()).collect();
        let file: Vec<u8> = xmaps.iter().flat_map(|m| enc.prxmap(m)).collect();
        assert_eq!(file.len(), 5 * if enc.lp64() { 216 } else { 152 });
        let got = sol::decode_xmap(&file, enc.layout());
        assert_eq!((got.value, got.warning), (xmaps, None));

        for ngroups in [0, 1, 3, 16] {
            let c = g.prcred(ngroups);
            let bytes = enc.prcred(&c);
            assert_eq!(bytes.len(), 32 + 4 * ngroups.saturating_sub(1));
            let got = sol::decode_prcred(&bytes, enc.endian).unwrap();
            assert_eq!(
                (got.value, got.warning),
                (c, None),
                "{enc:?} ngroups {ngroups}"
            );
        }

        let aux = g.auxv(10);
        let bytes = enc.auxv(&aux, 19);
        let got = sol::decode_auxv(&bytes, enc.layout());
        assert_eq!((got.value, got.warning), (aux, None), "{enc:?}");

        let acts: Vec<_> = (0..73).map(|_| g.sigaction()).collect();
        let bytes = enc.sigact(&acts);
        assert_eq!(bytes.len(), 73 * 32);
        let got = sol::decode_sigact(&bytes, enc.layout());
        assert_eq!((got.value, got.warning), (acts, None));
    }
}

#[test]
fn fixed_layout_records_round_trip_on_every_target() {
    for enc in all() {
        let mut g = Gen::new(&enc, 5);
        let f = g.fdinfo();
        let bytes = enc.fdinfo(&f);
        assert_eq!(bytes.len(), 1088);
        assert_eq!(sol::decode_fdinfo(&bytes, enc.endian).unwrap(), f);

        let s = Prsecflags {
            version: 1,
            effective: g.u64(),
            inherit: g.u64(),
            lower: g.u64(),
            upper: g.u64(),
        };
        assert_eq!(
            sol::decode_prsecflags(&enc.prsecflags(&s), enc.endian).unwrap(),
            s
        );

        let n = Prlwpname {
            lwpid: g.u64(),
            name: b"worker-7".to_vec(),
        };
        assert_eq!(
            sol::decode_lwpname(&enc.prlwpname(&n), enc.endian).unwrap(),
            n
        );

        let u = Utsname {
            sysname: b"SunOS".to_vec(),
            nodename: b"node".to_vec(),
            release: b"5.10".to_vec(),
            version: b"Generic_147147-26".to_vec(),
            machine: b"sun4v".to_vec(),
        };
        assert_eq!(sol::decode_utsname(&enc.utsname(&u)).unwrap(), u);

        let p = Prpriv {
            nsets: 4,
            setsize: 3,
            infosize: 12,
            sets: (0..4).map(|_| vec![g.u32(), g.u32(), g.u32()]).collect(),
            info: vec![0, 0, 0, 1, 0, 0, 0, 12, 0, 0, 0, 0],
        };
        let got = sol::decode_prpriv(&enc.prpriv(&p), enc.endian).unwrap();
        assert_eq!((got.value, got.warning), (p, None));
    }
}

#[test]
fn pctcpu_is_a_binary_fraction() {
    assert_eq!(sol::pct_to_percent(0x8000), 100.0);
    assert_eq!(sol::pct_to_percent(0x4000), 50.0);
    assert_eq!(sol::pct_to_percent(0), 0.0);
}

#[test]
fn detect_psinfo_palindromic_pid_uses_nlwp() {
    // pid 0x01000001 reads the same in both orders; pr_nlwp 1 (LE) vs 0x01000000 (BE) settles it.
    let enc = Enc::new("Sparc", Endianness::Big);
    let mut g = Gen::new(&enc, 6);
    let mut p = g.psinfo();
    p.pid = 0x0100_0001;
    p.nlwp = 1;
    let bytes = enc.psinfo(&p);
    assert_eq!(
        sol::detect_psinfo(&bytes, p.pid),
        Some(Layout::new(DataModel::Ilp32, Endianness::Big))
    );
    assert_eq!(sol::detect_psinfo(&bytes[..335], p.pid), None);
}

fn flip(e: Endianness) -> Endianness {
    match e {
        Endianness::Little => Endianness::Big,
        Endianness::Big => Endianness::Little,
    }
}

// ---- 2. the real illumos cores ------------------------------------------------------------------

/// One ELF note: type, name (NUL-trimmed) and payload.
struct Note<'a> {
    ntype: u32,
    name: &'a [u8],
    desc: &'a [u8],
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn le64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}

/// The notes of every PT_NOTE segment of a little-endian ELF core (4-byte note alignment).
fn core_notes(core: &[u8]) -> Vec<Note<'_>> {
    assert_eq!(&core[..4], b"\x7fELF");
    assert_eq!(core[5], 1, "little-endian");
    let is64 = core[4] == 2;
    let (phoff, phentsize, phnum) = if is64 {
        (
            le64(core, 0x20) as usize,
            le16(core, 0x36) as usize,
            le16(core, 0x38) as usize,
        )
    } else {
        (
            le32(core, 0x1c) as usize,
            le16(core, 0x2a) as usize,
            le16(core, 0x2c) as usize,
        )
    };
    let mut notes = Vec::new();
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let (ptype, off, size) = if is64 {
            (
                le32(core, ph),
                le64(core, ph + 8) as usize,
                le64(core, ph + 32) as usize,
            )
        } else {
            (
                le32(core, ph),
                le32(core, ph + 4) as usize,
                le32(core, ph + 16) as usize,
            )
        };
        if ptype != 4 {
            continue;
        }
        let seg = &core[off..off + size];
        let mut p = 0;
        while p + 12 <= seg.len() {
            let (namesz, descsz, ntype) = (
                le32(seg, p) as usize,
                le32(seg, p + 4) as usize,
                le32(seg, p + 8),
            );
            let name_at = p + 12;
            let desc_at = name_at + namesz.next_multiple_of(4);
            let name = sol::c_string(&seg[name_at..name_at + namesz]);
            let desc = &seg[desc_at..desc_at + descsz];
            notes.push(Note { ntype, name, desc });
            p = desc_at + descsz.next_multiple_of(4);
        }
    }
    notes
}

fn read_core(name: &str) -> Vec<u8> {
    common::corpus_bytes(&format!("illumos/{name}"))
}

const NT_PSTATUS: u32 = 10;
const NT_PSINFO: u32 = 13;
const NT_PRCRED: u32 = 14;
const NT_UTSNAME: u32 = 15;
const NT_LWPSTATUS: u32 = 16;
const NT_LWPSINFO: u32 = 17;
const NT_PRPRIV: u32 = 18;
const NT_ZONENAME: u32 = 21;
const NT_FDINFO: u32 = 22;
const NT_SECFLAGS: u32 = 24;
const NT_LWPNAME: u32 = 25;
const NT_AUXV: u32 = 6;

fn one<'a>(notes: &'a [Note<'a>], ntype: u32) -> &'a [u8] {
    let all: Vec<_> = notes.iter().filter(|n| n.ntype == ntype).collect();
    assert_eq!(all.len(), 1, "one note of type {ntype}");
    all[0].desc
}

/// The new-style auxv note (the second NT_AUXV; both copies are equal).
fn auxv_note<'a>(notes: &'a [Note<'a>]) -> &'a [u8] {
    notes.iter().rfind(|n| n.ntype == NT_AUXV).unwrap().desc
}

fn check_utsname_and_zone(notes: &[Note<'_>]) {
    let u = sol::decode_utsname(one(notes, NT_UTSNAME)).unwrap();
    assert_eq!(u.sysname, b"SunOS");
    assert_eq!(u.nodename, b"fit-main");
    assert_eq!(u.release, b"5.11");
    assert_eq!(u.version, b"illumos-b97b1727bc");
    assert_eq!(u.machine, b"i86pc");
    assert_eq!(sol::c_string(one(notes, NT_ZONENAME)), b"fit-main");
}

#[test]
fn illumos_amd64_core() {
    let core = read_core("nsu-k.kozlov-lab16-amd64.core");
    let notes = core_notes(&core);
    assert!(notes.iter().all(|n| n.name == b"CORE"));
    let le = Endianness::Little;

    let raw = one(&notes, NT_PSINFO);
    assert_eq!(raw.len(), 416);
    let layout = sol::detect_psinfo(raw, 11341).unwrap();
    assert_eq!(layout, Layout::new(DataModel::Lp64, le));
    let p = sol::decode_psinfo(raw, layout).unwrap();
    assert_eq!((p.pid, p.ppid, p.pgid, p.sid), (11341, 10998, 11341, 10998));
    assert_eq!((p.uid, p.euid, p.gid, p.egid), (4887, 4887, 4899, 4899));
    assert_eq!((p.nlwp, p.nzomb), (1, 0));
    assert_eq!(p.fname, b"a.out");
    assert_eq!(p.psargs, b"./a.out");
    assert_eq!(p.data_model(), Some(DataModel::Lp64));
    assert_eq!(p.lwp.lwpid, 1);
    assert_eq!(p.lwp.clname, b"TS");

    let raw = one(&notes, NT_PSTATUS);
    let (isa, model) = sol::target_from_pstatus_size(raw.len()).unwrap();
    assert_eq!((isa, model), (Isa::X86, DataModel::Lp64));
    let target = Target::new(isa, model, le);
    let s = sol::decode_pstatus(raw, target).unwrap();
    assert_eq!(
        (s.pid, s.ppid, s.pgid, s.sid, s.nlwp),
        (11341, 10998, 11341, 10998, 1)
    );
    assert_eq!(s.data_model(), Some(DataModel::Lp64));
    assert_eq!(s.zoneid, p.zoneid);
    assert_eq!(s.brkbase, 0x133e000);
    assert_eq!(s.stkbase, 0xffff_fd7f_ffde_f000);
    assert_eq!(s.stksize, 0x11000);
    assert_eq!(s.lwp.cursig, 11, "SIGSEGV");

    let raw = one(&notes, NT_LWPSTATUS);
    assert_eq!(raw.len(), 1296);
    let l = sol::decode_lwpstatus(raw, target).unwrap();
    assert_eq!(l, s.lwp, "pstatus.pr_lwp is the representative lwpstatus");
    assert_eq!(l.lwpid, 1);
    assert_eq!(l.cursig, 11);
    assert_eq!(
        (l.info.signo, l.info.code),
        (11, 2),
        "SIGSEGV / SEGV_ACCERR"
    );
    assert_eq!(l.info.addr, 0x4016b3);
    assert_eq!(l.clname, b"TS");
    assert_eq!(l.regs.pc(), Some(0x4015af));
    assert_eq!(l.regs.get("rip"), Some(0x4015af));
    assert_eq!(l.regs.sp(), Some(0xffff_fd7f_ffdf_1350));
    assert!(l.regs.fp().unwrap() > l.regs.sp().unwrap());

    let raw = one(&notes, NT_LWPSINFO);
    assert_eq!(raw.len(), 128);
    assert_eq!(sol::decode_lwpsinfo(raw, layout).unwrap(), p.lwp);

    let cred = sol::decode_prcred(one(&notes, NT_PRCRED), le).unwrap();
    assert_eq!(cred.warning, None);
    let c = cred.value;
    assert_eq!((c.euid, c.ruid, c.suid), (4887, 4887, 4887));
    assert_eq!((c.egid, c.rgid, c.sgid), (4899, 4899, 4899));
    assert_eq!((c.ngroups, c.groups), (1, vec![4899]));

    check_utsname_and_zone(&notes);

    let fds: Vec<_> = notes
        .iter()
        .filter(|n| n.ntype == NT_FDINFO)
        .map(|n| sol::decode_fdinfo(n.desc, le).unwrap())
        .collect();
    assert_eq!(fds.len(), 4);
    for (i, f) in fds.iter().enumerate() {
        assert_eq!(f.fd, i as i32);
    }
    for f in &fds[..3] {
        assert_eq!(f.path, b"/dev/pts/28");
        assert_eq!(f.uid, 4887);
        assert_eq!(f.mode & 0o170000, 0o020000, "character device");
    }
    assert_eq!(fds[3].path, b"/dev/tty");

    let sf = sol::decode_prsecflags(one(&notes, NT_SECFLAGS), le).unwrap();
    assert_eq!(sf.version, 1);
    let name = sol::decode_lwpname(one(&notes, NT_LWPNAME), le).unwrap();
    assert_eq!((name.lwpid, name.name.as_slice()), (1, &b""[..]));
    let priv_ = sol::decode_prpriv(one(&notes, NT_PRPRIV), le).unwrap();
    assert_eq!(priv_.warning, None);
    assert_eq!((priv_.value.nsets, priv_.value.setsize), (4, 3));
    assert_eq!(priv_.value.sets.len(), 4);

    // LP64 auxv: garbage in the padding after a_type must not matter.
    let aux = sol::decode_auxv(auxv_note(&notes), layout);
    assert_eq!(aux.warning, None);
    let ty: Vec<i32> = aux.value.iter().map(|e| e.a_type).collect();
    assert_eq!(
        ty,
        [
            2008, 2014, 3, 4, 5, 9, 2016, 7, 8, 6, 2017, 2009, 2023, 2026, 2027, 2028
        ]
    );
    let get = |t: i32| aux.value.iter().find(|e| e.a_type == t).unwrap().value;
    assert_eq!((get(4), get(5), get(6), get(9)), (56, 6, 4096, 0x4012f0));
    assert_eq!(aux.value[1].type_name(), Some("AT_SUN_EXECNAME"));
}

#[test]
fn illumos_i386_core() {
    let core = read_core("nsu-a.chepenkov-lab20-i386.core");
    let notes = core_notes(&core);
    let le = Endianness::Little;

    let raw = one(&notes, NT_PSINFO);
    assert_eq!(raw.len(), 0x150);
    let layout = sol::detect_psinfo(raw, 26100).unwrap();
    assert_eq!(layout, Layout::new(DataModel::Ilp32, le));
    let p = sol::decode_psinfo(raw, layout).unwrap();
    assert_eq!((p.pid, p.ppid, p.pgid, p.sid), (26100, 25503, 26100, 25503));
    assert_eq!((p.uid, p.euid, p.gid, p.egid), (4981, 4981, 4996, 4996));
    assert_eq!(p.fname, b"a.out");
    assert_eq!(p.psargs, b"./a.out");
    assert_eq!(p.nlwp, 1);
    assert_eq!(p.data_model(), Some(DataModel::Ilp32));

    let raw = one(&notes, NT_PSTATUS);
    let (isa, model) = sol::target_from_pstatus_size(raw.len()).unwrap();
    assert_eq!((isa, model), (Isa::X86, DataModel::Ilp32));
    let target = Target::new(isa, model, le);
    let s = sol::decode_pstatus(raw, target).unwrap();
    assert_eq!(
        (s.pid, s.ppid, s.pgid, s.sid, s.nlwp),
        (26100, 25503, 26100, 25503, 1)
    );
    assert_eq!(
        (s.brkbase, s.stkbase, s.stksize),
        (0x8822000, 0x803f000, 0x9000)
    );

    let raw = one(&notes, NT_LWPSINFO);
    assert_eq!(raw.len(), 0x68);
    assert_eq!(sol::decode_lwpsinfo(raw, layout).unwrap(), p.lwp);

    let raw = one(&notes, NT_LWPSTATUS);
    assert_eq!(raw.len(), 0x320);
    let l = sol::decode_lwpstatus(raw, target).unwrap();
    assert_eq!(l, s.lwp);
    assert_eq!(
        (l.lwpid, l.cursig, l.info.signo, l.info.code),
        (1, 11, 11, 1)
    );
    assert_eq!(l.info.addr, 0, "SEGV_MAPERR at NULL");
    assert_eq!(l.regs.values.len(), 19);
    assert_eq!(l.regs.pc(), Some(0x8050d31));
    assert_eq!(l.regs.sp(), Some(0x8046cac));
    assert_eq!(l.regs.fp(), Some(0x80470f8));

    let cred = sol::decode_prcred(one(&notes, NT_PRCRED), le)
        .unwrap()
        .value;
    assert_eq!(
        (cred.euid, cred.egid, cred.groups),
        (4981, 4996, vec![4996])
    );

    check_utsname_and_zone(&notes);

    let fds: Vec<_> = notes
        .iter()
        .filter(|n| n.ntype == NT_FDINFO)
        .map(|n| sol::decode_fdinfo(n.desc, le).unwrap())
        .collect();
    assert_eq!(fds.len(), 4);
    assert_eq!(fds[3].fd, 3);
    assert!(fds[3].path.ends_with(b"lab20"), "{:?}", fds[3].path);
    assert_eq!(fds[3].mode & 0o170000, 0o040000, "a directory");

    let aux = sol::decode_auxv(auxv_note(&notes), layout);
    assert_eq!(aux.warning, None);
    assert_eq!(aux.value.len(), 16);
    assert_eq!(aux.value[0].type_name(), Some("AT_SUN_PLATFORM"));
}

// ---- 3. the 2008 SPARC listing ------------------------------------------------------------------

#[test]
fn sparc_2008_listing_sizes() {
    // `ls -l /proc/<pid>` by a 32-bit reader on SPARC Solaris 10: psinfo 336, status 1232, lpsinfo 344,
    // lstatus 2720, lusage 1064, usage 256, cred 36, map 3744, xmap 5928, sigact 1472, auxv 152.
    let enc = Enc::new("Sparc", Endianness::Big);
    let mut g = Gen::new(&enc, 7);

    let p = g.psinfo();
    let psinfo = enc.psinfo(&p);
    assert_eq!(psinfo.len(), 336);
    assert_eq!(
        sol::model_from_psinfo_size(psinfo.len()),
        Some(DataModel::Ilp32)
    );
    let layout = sol::detect_psinfo(&psinfo, p.pid).unwrap();
    assert_eq!(layout, Layout::new(DataModel::Ilp32, Endianness::Big));

    let status = enc.pstatus(&g.pstatus(&enc));
    assert_eq!(status.len(), 1232);
    let (isa, model) = sol::target_from_pstatus_size(status.len()).unwrap();
    assert_eq!((isa, model), (Isa::Sparc, DataModel::Ilp32));
    let target = Target::new(isa, model, layout.endian);
    sol::decode_pstatus(&status, target).unwrap();

    let lwps: Vec<_> = (0..3).map(|_| enc.lwpsinfo(&g.lwpsinfo())).collect();
    let lpsinfo = enc.with_header(3, 112, &lwps);
    assert_eq!(lpsinfo.len(), 344);
    let got = sol::decode_lpsinfo(&lpsinfo, layout).unwrap();
    assert_eq!((got.value.len(), got.warning), (3, None));

    let lwps: Vec<_> = (0..3).map(|_| enc.lwpstatus(&g.lwpstatus(&enc))).collect();
    let lstatus = enc.with_header(3, 904, &lwps);
    assert_eq!(lstatus.len(), 2720);
    assert_eq!(
        sol::target_from_lstatus_entsize(904),
        Some((Isa::Sparc, DataModel::Ilp32))
    );
    let got = sol::decode_lstatus(&lstatus, target).unwrap();
    assert_eq!((got.value.len(), got.warning), (3, None));

    let usages: Vec<_> = (0..4).map(|_| enc.prusage(&g.prusage())).collect();
    let lusage = enc.with_header(4, 264, &usages);
    assert_eq!(lusage.len(), 1064);
    let got = sol::decode_lusage(&lusage, layout).unwrap();
    assert_eq!(
        (got.value.len(), got.warning),
        (4, None),
        "3 LWPs + aggregate"
    );

    let usage = enc.prusage(&g.prusage());
    assert_eq!(usage.len(), 256);
    sol::decode_prusage(&usage, layout).unwrap();

    let cred = enc.prcred(&g.prcred(2));
    assert_eq!(cred.len(), 36);
    let got = sol::decode_prcred(&cred, layout.endian).unwrap();
    assert_eq!((got.value.groups.len(), got.warning), (2, None));

    let map: Vec<u8> = (0..39).flat_map(|_| enc.prmap(&g.prmap())).collect();
    assert_eq!(map.len(), 3744);
    let got = sol::decode_map(&map, layout);
    assert_eq!((got.value.len(), got.warning), (39, None));

    let xmap: Vec<u8> = (0..39).flat_map(|_| enc.prxmap(&g.prxmap())).collect();
    assert_eq!(xmap.len(), 5928);
    let got = sol::decode_xmap(&xmap, layout);
    assert_eq!((got.value.len(), got.warning), (39, None));

    let acts: Vec<_> = (0..46).map(|_| g.sigaction()).collect();
    let sigact = enc.sigact(&acts);
    assert_eq!(sigact.len(), 1472);
    let got = sol::decode_sigact(&sigact, layout);
    assert_eq!((got.value.len(), got.warning), (46, None), "NSIG 47");

    let auxv = enc.auxv(&g.auxv(15), 19);
    assert_eq!(auxv.len(), 152);
    let got = sol::decode_auxv(&auxv, layout);
    assert_eq!(
        (got.value.len(), got.warning),
        (15, None),
        "19 slots, AT_NULL padded"
    );
}

// ---- 4. hostile input ---------------------------------------------------------------------------

/// Every proper prefix of a fixed-size structure is an error naming the structure at offset 0, with
/// the bytes needed and present.
fn every_truncation<T: std::fmt::Debug>(
    bytes: &[u8],
    structure: &str,
    decode: impl Fn(&[u8]) -> Result<T, sol::DecodeError>,
) {
    for n in 0..bytes.len() {
        let e = decode(&bytes[..n]).expect_err(structure);
        assert_eq!(e.structure, structure);
        assert_eq!(e.offset, 0);
        assert_eq!(
            e.kind,
            DecodeErrorKind::Truncated {
                need: bytes.len(),
                have: n
            }
        );
        assert!(e.to_string().contains(structure));
    }
    decode(bytes).unwrap();
}

#[test]
fn every_truncation_of_every_fixed_structure() {
    for enc in all() {
        let mut g = Gen::new(&enc, 8);
        let (l, t) = (enc.layout(), enc.target());
        every_truncation(&enc.psinfo(&g.psinfo()), "psinfo_t", |b| {
            sol::decode_psinfo(b, l)
        });
        every_truncation(&enc.lwpsinfo(&g.lwpsinfo()), "lwpsinfo_t", |b| {
            sol::decode_lwpsinfo(b, l)
        });
        every_truncation(&enc.pstatus(&g.pstatus(&enc)), "pstatus_t", |b| {
            sol::decode_pstatus(b, t)
        });
        every_truncation(&enc.lwpstatus(&g.lwpstatus(&enc)), "lwpstatus_t", |b| {
            sol::decode_lwpstatus(b, t)
        });
        every_truncation(&enc.prusage(&g.prusage()), "prusage_t", |b| {
            sol::decode_prusage(b, l)
        });
        every_truncation(&enc.zeroed("prheader_t"), "prheader_t", |b| {
            sol::decode_prheader(b, l)
        });
        every_truncation(&enc.fdinfo(&g.fdinfo()), "prfdinfo_core_t", |b| {
            sol::decode_fdinfo(b, enc.endian)
        });
        every_truncation(&enc.zeroed("prsecflags_t"), "prsecflags_t", |b| {
            sol::decode_prsecflags(b, enc.endian)
        });
        every_truncation(&enc.zeroed("prlwpname_t"), "prlwpname_t", |b| {
            sol::decode_lwpname(b, enc.endian)
        });
        every_truncation(&enc.zeroed("utsname_t"), "utsname", sol::decode_utsname);
        every_truncation(&enc.prcred(&g.prcred(0)), "prcred_t", |b| {
            sol::decode_prcred(b, enc.endian)
        });
        every_truncation(&enc.zeroed("prpriv_t"), "prpriv_t", |b| {
            sol::decode_prpriv(b, enc.endian)
        });
    }
}

#[test]
fn every_truncation_of_every_array() {
    for enc in all() {
        let mut g = Gen::new(&enc, 9);
        let (l, t) = (enc.layout(), enc.target());

        // Header arrays: a truncated header is an error; a cut entry gives a prefix and a warning.
        let entries: Vec<_> = (0..3).map(|_| enc.lwpstatus(&g.lwpstatus(&enc))).collect();
        let span = enc.lspan("lwpstatus_t");
        let file = enc.with_header(3, span as i64, &entries);
        let hdr = enc.size("prheader_t");
        for n in 0..file.len() {
            match sol::decode_lstatus(&file[..n], t) {
                Err(e) => {
                    assert!(n < hdr, "only a short header is an error ({n}): {e}");
                    assert_eq!((e.structure, e.offset), ("lstatus", 0));
                }
                Ok(got) => {
                    let whole = (n - hdr).saturating_sub(enc.size("lwpstatus_t")) / span
                        + usize::from(n - hdr >= enc.size("lwpstatus_t"));
                    let whole = whole.min(3);
                    assert_eq!(got.value.len(), whole, "{enc:?} {n}");
                    if whole < 3 {
                        let w = got.warning.expect("warning");
                        assert_eq!(w.structure, "lstatus");
                        assert_eq!(w.offset, hdr + whole * span);
                        assert!(matches!(
                            w.kind,
                            DecodeErrorKind::CountTooLarge { field: "pr_nent", count: 3, fit } if fit == whole
                        ));
                    } else {
                        assert_eq!(got.warning, None);
                    }
                }
            }
        }

        // Headerless arrays: whole entries, then a warning for the cut one.
        let file: Vec<u8> = (0..3).flat_map(|_| enc.prxmap(&g.prxmap())).collect();
        let size = enc.size("prxmap_t");
        for n in 0..file.len() {
            let got = sol::decode_xmap(&file[..n], l);
            assert_eq!(got.value.len(), n / size);
            match got.warning {
                None => assert_eq!(n % size, 0),
                Some(w) => {
                    assert_eq!((w.structure, w.offset), ("prxmap_t", n / size * size));
                    assert_eq!(
                        w.kind,
                        DecodeErrorKind::Trailing {
                            extra: n % size,
                            entry: size
                        }
                    );
                }
            }
        }
        for n in 0..enc.size("auxv_t") * 4 {
            let bytes = enc.auxv(&g.auxv(4), 4);
            let got = sol::decode_auxv(&bytes[..n], l);
            assert_eq!(got.value.len(), n / enc.size("auxv_t"));
        }
        let acts = enc.sigact(&[g.sigaction(), g.sigaction()]);
        for n in 0..acts.len() {
            assert_eq!(sol::decode_sigact(&acts[..n], l).value.len(), n / 32);
            assert_eq!(
                sol::decode_map(&acts[..n], l).value.len(),
                n / enc.size("prmap_t")
            );
        }

        // prcred: the group list is bounded by the bytes present.
        let cred = enc.prcred(&g.prcred(5));
        for n in 32..cred.len() {
            let got = sol::decode_prcred(&cred[..n], enc.endian).unwrap();
            assert_eq!(got.value.groups.len(), (n - 28) / 4);
            let w = got.warning.unwrap();
            assert_eq!(
                (w.structure, w.offset),
                ("prcred_t", 28 + 4 * ((n - 28) / 4))
            );
        }
    }
}

#[test]
fn lying_headers() {
    for enc in all() {
        let mut g = Gen::new(&enc, 10);
        let (l, t) = (enc.layout(), enc.target());
        let w = enc.word();
        let entry = enc.lwpsinfo(&g.lwpsinfo());
        let span = enc.lspan("lwpsinfo_t") as i64;
        let size = enc.size("lwpsinfo_t") as i64;
        let max = if enc.lp64() {
            i64::MAX
        } else {
            i32::MAX.into()
        };
        let min = if enc.lp64() {
            i64::MIN
        } else {
            i32::MIN.into()
        };

        // Huge pr_nent: the two entries present plus a warning.
        for nent in [3, 1000, max] {
            let file = enc.with_header(nent, span, &[entry.clone(), entry.clone()]);
            let got = sol::decode_lpsinfo(&file, l).unwrap();
            assert_eq!(got.value.len(), 2);
            let warn = got.warning.unwrap();
            assert_eq!(
                (warn.structure, warn.offset),
                ("lpsinfo", 2 * w + 2 * span as usize)
            );
            assert!(warn.to_string().contains("pr_nent"));
        }
        // Zero entries: empty, whatever pr_entsize says.
        for entsize in [0, -1, span, max] {
            let file = enc.with_header(0, 0, &[]);
            let mut file = file.clone();
            enc.put(&mut file, 0, "prheader_t", "pr_entsize", entsize as u64);
            let got = sol::decode_lpsinfo(&file, l).unwrap();
            assert_eq!((got.value.len(), got.warning), (0, None));
        }
        // Negative pr_nent.
        for nent in [-1, min] {
            let file = enc.with_header(nent, span, std::slice::from_ref(&entry));
            let e = sol::decode_lpsinfo(&file, l).unwrap_err();
            assert_eq!((e.structure, e.offset), ("lpsinfo", 0));
            assert!(matches!(
                e.kind,
                DecodeErrorKind::Negative {
                    field: "pr_nent",
                    ..
                }
            ));
        }
        // pr_entsize zero, negative or smaller than the entry: an error at pr_entsize.
        for entsize in [0, -1, min, 1, size - 1] {
            let mut file = enc.with_header(1, span, std::slice::from_ref(&entry));
            enc.put(&mut file, 0, "prheader_t", "pr_entsize", entsize as u64);
            let e = sol::decode_lpsinfo(&file, l).unwrap_err();
            assert_eq!((e.structure, e.offset), ("lpsinfo", w));
            assert_eq!(
                e.kind,
                DecodeErrorKind::EntsizeTooSmall {
                    entsize,
                    entry: size as usize
                }
            );
        }
        // pr_entsize exactly the structure size works; a huge one leaves room for the first entry only.
        let file = enc.with_header(2, size, &[entry.clone(), entry.clone()]);
        let got = sol::decode_lpsinfo(&file, l).unwrap();
        assert_eq!((got.value.len(), got.warning), (2, None));
        let mut file = enc.with_header(2, span, &[entry.clone(), entry.clone()]);
        enc.put(&mut file, 0, "prheader_t", "pr_entsize", max as u64);
        let got = sol::decode_lpsinfo(&file, l).unwrap();
        assert_eq!(got.value.len(), 1);
        assert!(got.warning.is_some());

        // lstatus and lusage go through the same walker.
        let file = enc.with_header(
            max,
            enc.lspan("prusage_t") as i64,
            &[enc.prusage(&g.prusage())],
        );
        let got = sol::decode_lusage(&file, l).unwrap();
        assert_eq!(got.value.len(), 1);
        assert_eq!(got.warning.unwrap().structure, "lusage");
        let e = sol::decode_lstatus(&enc.with_header(1, 8, &[vec![0; 8]]), t).unwrap_err();
        assert_eq!((e.structure, e.offset), ("lstatus", w));

        // prcred: lying and negative pr_ngroups.
        let mut c = g.prcred(2);
        c.ngroups = i32::MAX;
        let got = sol::decode_prcred(&enc.prcred(&c), enc.endian).unwrap();
        assert_eq!(got.value.groups.len(), 2);
        assert!(matches!(
            got.warning.unwrap().kind,
            DecodeErrorKind::CountTooLarge {
                field: "pr_ngroups",
                fit: 2,
                ..
            }
        ));
        c.ngroups = -5;
        let got = sol::decode_prcred(&enc.prcred(&c), enc.endian).unwrap();
        assert!(got.value.groups.is_empty());
        assert_eq!(got.warning.unwrap().offset, 24);

        // prpriv: huge set counts are bounded by the bytes.
        let mut p = enc.zeroed("prpriv_t");
        enc.put(&mut p, 0, "prpriv_t", "pr_nsets", u32::MAX.into());
        enc.put(&mut p, 0, "prpriv_t", "pr_setsize", u32::MAX.into());
        enc.put(&mut p, 0, "prpriv_t", "pr_infosize", u32::MAX.into());
        let got = sol::decode_prpriv(&p, enc.endian).unwrap();
        assert!(got.value.sets.is_empty());
        assert!(got.warning.is_some());
    }
}

/// A cheap deterministic byte stream (xorshift) for the mutation test.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn flipped_bytes_never_panic() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for enc in all() {
        let mut g = Gen::new(&enc, 11);
        let (l, t) = (enc.layout(), enc.target());
        let lst = enc.with_header(
            2,
            enc.lspan("lwpstatus_t") as i64,
            &[
                enc.lwpstatus(&g.lwpstatus(&enc)),
                enc.lwpstatus(&g.lwpstatus(&enc)),
            ],
        );
        let lps = enc.with_header(
            2,
            enc.lspan("lwpsinfo_t") as i64,
            &[enc.lwpsinfo(&g.lwpsinfo()), enc.lwpsinfo(&g.lwpsinfo())],
        );
        let lus = enc.with_header(
            1,
            enc.lspan("prusage_t") as i64,
            &[enc.prusage(&g.prusage())],
        );
        let inputs = [
            enc.psinfo(&g.psinfo()),
            enc.pstatus(&g.pstatus(&enc)),
            lst,
            lps,
            lus,
            enc.prcred(&g.prcred(3)),
            enc.prpriv(&Prpriv {
                nsets: 2,
                setsize: 1,
                infosize: 4,
                sets: vec![vec![1], vec![2]],
                info: vec![1, 2, 3, 4],
            }),
            enc.auxv(&g.auxv(6), 8),
            enc.fdinfo(&g.fdinfo()),
        ];
        for input in &inputs {
            for _ in 0..200 {
                let mut b = input.clone();
                for _ in 0..(xorshift(&mut rng) % 8 + 1) {
                    let i = (xorshift(&mut rng) % b.len() as u64) as usize;
                    b[i] ^= (xorshift(&mut rng) % 255 + 1) as u8;
                }
                // The header fields get extreme values half of the time.
                if xorshift(&mut rng) % 2 == 0 {
                    let v = [0, u64::MAX, 1 << 31, 1 << 63, 7][(xorshift(&mut rng) % 5) as usize];
                    let f = ["pr_nent", "pr_entsize"][(xorshift(&mut rng) % 2) as usize];
                    enc.put_n(&mut b, enc.off("prheader_t", f), 4, v & 0xffff_ffff);
                }
                let cut = (xorshift(&mut rng) % (b.len() as u64 + 1)) as usize;
                for b in [&b[..], &b[..cut]] {
                    let _ = sol::decode_psinfo(b, l);
                    let _ = sol::decode_lwpsinfo(b, l);
                    let _ = sol::decode_pstatus(b, t);
                    let _ = sol::decode_lwpstatus(b, t);
                    let _ = sol::decode_prusage(b, l);
                    let _ = sol::decode_lpsinfo(b, l);
                    let _ = sol::decode_lstatus(b, t);
                    let _ = sol::decode_lusage(b, l);
                    let _ = sol::decode_map(b, l);
                    let _ = sol::decode_xmap(b, l);
                    let _ = sol::decode_auxv(b, l);
                    let _ = sol::decode_sigact(b, l);
                    let _ = sol::decode_prcred(b, enc.endian);
                    let _ = sol::decode_prpriv(b, enc.endian);
                    let _ = sol::decode_prsecflags(b, enc.endian);
                    let _ = sol::decode_fdinfo(b, enc.endian);
                    let _ = sol::decode_lwpname(b, enc.endian);
                    let _ = sol::decode_utsname(b);
                    let _ = sol::detect_psinfo(b, 1);
                    let _ = sol::model_from_psinfo_size(b.len());
                }
            }
        }
    }
}
