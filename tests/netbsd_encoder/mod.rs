//! Test-only encoder of NetBSD sysctl answers (`kinfo_proc2`, `kinfo_lwp`, `kinfo_file`, `kinfo_pcb`
//! arrays and `KERN_PROC_ARGS` strings).
//!
//! It writes every field at the offset the C compiler gave it, read from a table generated from the
//! machine-checked layout files (`layouts.rs`, see `gen_layouts.py`), in either byte order, into
//! records of any element size (the tail past the structure is filled with a marker the decoder must
//! ignore). It never uses the decoder's types: the processes, LWPs, files and control blocks are
//! described by this module's own plain structures.
#![allow(dead_code)]

#[rustfmt::skip]
mod layouts;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Byte order of the encoded answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enc {
    pub big: bool,
}

/// Element sizes to encode the four arrays with.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub proc2: usize,
    pub lwp: usize,
    pub file: usize,
    pub pcb: usize,
}

impl Sizes {
    /// The sizes of layouts.md §2.2.
    pub const KNOWN: Sizes = Sizes {
        proc2: 680,
        lwp: 128,
        file: 120,
        pcb: 640,
    };
}

/// Byte filling the part of a record past the known structure (a newer kernel's fields).
pub const TAIL: u8 = 0xee;

/// One LWP.
#[derive(Clone, Debug, Default)]
pub struct Lwp {
    pub lid: i32,
    /// `LS*` state.
    pub stat: i8,
    /// `L_*` flags (`L_SINTR` 0x80).
    pub flag: i32,
    pub name: &'static str,
    pub wmesg: &'static str,
    pub cpuid: u64,
    pub priority: u8,
    pub pctcpu: u32,
}

/// One process and what hangs off it.
#[derive(Clone, Debug, Default)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub ruid: u32,
    pub euid: u32,
    pub svuid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub svgid: u32,
    pub groups: Vec<u32>,
    pub comm: &'static str,
    pub login: &'static str,
    pub wmesg: &'static str,
    pub stat: i8,
    pub flag: i32,
    pub eflag: i32,
    pub tdev: u32,
    /// `p_nice` as stored (nice + 20).
    pub nice: u8,
    pub priority: u8,
    pub pctcpu: u32,
    pub rssize: i32,
    pub msize: i64,
    pub uvalid: bool,
    pub start: (u32, u32),
    pub utime: (u32, u32),
    pub stime: (u32, u32),
    pub maxrss: u64,
    /// `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch`: bit n-1 for signal n (`ki_sigset_t`,
    /// four 32-bit words, word i holding signals 32 i + 1 ..= 32 i + 32).
    pub siglist: u128,
    pub sigmask: u128,
    pub sigignore: u128,
    pub sigcatch: u128,
    pub lwps: Vec<Lwp>,
    pub argv: Option<Vec<&'static str>>,
    pub env: Option<Vec<&'static str>>,
    pub path: Option<&'static str>,
}

/// One open descriptor (`KERN_FILE_BYPID`).
#[derive(Clone, Debug, Default)]
pub struct File {
    pub pid: u32,
    pub fd: i32,
    pub ftype: u32,
    pub vtype: u32,
    pub flag: u32,
    pub offset: u64,
    pub fdata: u64,
}

/// A socket address.
#[derive(Clone, Debug, Default)]
pub enum Addr {
    #[default]
    None,
    In(Ipv4Addr, u16),
    In6(Ipv6Addr, u16, u32),
    Un(&'static str),
}

/// One protocol control block of one pcblist member.
#[derive(Clone, Debug, Default)]
pub struct Pcb {
    /// The member it belongs to (`sysctl/net.inet.tcp.pcblist`, ...).
    pub list: &'static str,
    pub sockaddr: u64,
    pub family: u32,
    pub sock_type: u32,
    pub protocol: u32,
    pub tstate: i32,
    pub local: Addr,
    pub remote: Addr,
    pub conn: u64,
}

impl Enc {
    fn entry(&self, s: &str) -> (usize, &'static [(&'static str, usize, usize)]) {
        layouts::LAYOUTS
            .iter()
            .find(|(n, _, _)| *n == s)
            .map(|(_, size, fields)| (*size, *fields))
            .unwrap_or_else(|| panic!("no layout for {s}"))
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
            .unwrap_or_else(|| panic!("no field {s}.{f}"))
    }

    /// Writes the low `size` bytes of `v` at `off` in this byte order.
    pub fn put_n(&self, buf: &mut [u8], off: usize, size: usize, v: u64) {
        assert!(matches!(size, 1 | 2 | 4 | 8), "scalar size {size}");
        for (i, b) in v.to_le_bytes().into_iter().take(size).enumerate() {
            let at = if self.big {
                off + size - 1 - i
            } else {
                off + i
            };
            buf[at] = b;
        }
    }

    /// Writes scalar field `s.f` with its own size.
    pub fn put(&self, buf: &mut [u8], s: &str, f: &str, v: u64) {
        let (o, z) = self.field(s, f);
        self.put_n(buf, o, z, v);
    }

    /// Writes element `i` (of `elem` bytes) of an array field.
    pub fn put_elem(&self, buf: &mut [u8], s: &str, f: &str, elem: usize, i: usize, v: u64) {
        let (o, z) = self.field(s, f);
        assert!((i + 1) * elem <= z, "{s}.{f}[{i}] out of range");
        self.put_n(buf, o + i * elem, elem, v);
    }

    /// Copies `bytes` into a `char[]` field, leaving room for a NUL.
    pub fn put_str(&self, buf: &mut [u8], s: &str, f: &str, bytes: &[u8]) {
        let (o, z) = self.field(s, f);
        assert!(bytes.len() < z, "{s}.{f} too long");
        buf[o..o + bytes.len()].copy_from_slice(bytes);
    }

    /// A zeroed record of `elem` bytes for structure `s`, its tail past `sizeof` filled with [`TAIL`].
    fn record(&self, s: &str, elem: usize) -> Vec<u8> {
        let size = self.size(s);
        assert!(elem >= size);
        let mut v = vec![0u8; elem];
        v[size..].fill(TAIL);
        v
    }

    pub fn proc2(&self, p: &Proc, elem: usize) -> Vec<u8> {
        const S: &str = "kinfo_proc2";
        let mut b = self.record(S, elem);
        let u = |v: i32| v as u32 as u64;
        self.put(&mut b, S, "p_paddr", 0xffff_8000_0000_0000 | p.pid as u64);
        self.put(&mut b, S, "p_eflag", u(p.eflag));
        self.put(&mut b, S, "p_flag", u(p.flag));
        self.put(&mut b, S, "p_pid", u(p.pid));
        self.put(&mut b, S, "p_ppid", u(p.ppid));
        self.put(&mut b, S, "p_sid", u(p.sid));
        self.put(&mut b, S, "p__pgid", u(p.pgid));
        self.put(&mut b, S, "p_uid", u64::from(p.euid));
        self.put(&mut b, S, "p_ruid", u64::from(p.ruid));
        self.put(&mut b, S, "p_gid", u64::from(p.egid));
        self.put(&mut b, S, "p_rgid", u64::from(p.rgid));
        for (i, g) in p.groups.iter().enumerate() {
            self.put_elem(&mut b, S, "p_groups", 4, i, u64::from(*g));
        }
        self.put(&mut b, S, "p_ngroups", p.groups.len() as u64);
        self.put(&mut b, S, "p_tdev", u64::from(p.tdev));
        self.put(&mut b, S, "p_pctcpu", u64::from(p.pctcpu));
        for (f, set) in [
            ("p_siglist", p.siglist),
            ("p_sigmask", p.sigmask),
            ("p_sigignore", p.sigignore),
            ("p_sigcatch", p.sigcatch),
        ] {
            for i in 0..4 {
                self.put_elem(&mut b, S, f, 4, i, ((set >> (32 * i)) & 0xffff_ffff) as u64);
            }
        }
        self.put(&mut b, S, "p_stat", p.stat as u8 as u64);
        self.put(&mut b, S, "p_priority", u64::from(p.priority));
        self.put(&mut b, S, "p_nice", u64::from(p.nice));
        self.put_str(&mut b, S, "p_comm", p.comm.as_bytes());
        self.put_str(&mut b, S, "p_wmesg", p.wmesg.as_bytes());
        self.put_str(&mut b, S, "p_login", p.login.as_bytes());
        self.put(&mut b, S, "p_vm_rssize", u(p.rssize));
        self.put(&mut b, S, "p_vm_msize", p.msize as u64);
        self.put(&mut b, S, "p_vm_vsize", (p.msize + 16) as u64);
        self.put(&mut b, S, "p_uvalid", u64::from(p.uvalid));
        self.put(&mut b, S, "p_ustart_sec", u64::from(p.start.0));
        self.put(&mut b, S, "p_ustart_usec", u64::from(p.start.1));
        self.put(&mut b, S, "p_uutime_sec", u64::from(p.utime.0));
        self.put(&mut b, S, "p_uutime_usec", u64::from(p.utime.1));
        self.put(&mut b, S, "p_ustime_sec", u64::from(p.stime.0));
        self.put(&mut b, S, "p_ustime_usec", u64::from(p.stime.1));
        self.put(&mut b, S, "p_uru_maxrss", p.maxrss);
        self.put(&mut b, S, "p_cpuid", u64::MAX);
        self.put(&mut b, S, "p_nlwps", p.lwps.len() as u64);
        self.put(&mut b, S, "p_realstat", if p.stat == 5 { 5 } else { 2 });
        self.put(&mut b, S, "p_svuid", u64::from(p.svuid));
        self.put(&mut b, S, "p_svgid", u64::from(p.svgid));
        self.put_str(&mut b, S, "p_ename", b"netbsd");
        b
    }

    pub fn lwp(&self, pid: i32, l: &Lwp, elem: usize) -> Vec<u8> {
        const S: &str = "kinfo_lwp";
        let mut b = self.record(S, elem);
        self.put(&mut b, S, "l_laddr", 0xffff_9000_0000_0000 | l.lid as u64);
        self.put(&mut b, S, "l_lid", l.lid as u32 as u64);
        self.put(&mut b, S, "l_flag", l.flag as u32 as u64);
        self.put(&mut b, S, "l_priority", u64::from(l.priority));
        self.put(&mut b, S, "l_stat", l.stat as u8 as u64);
        self.put_str(&mut b, S, "l_wmesg", l.wmesg.as_bytes());
        self.put(&mut b, S, "l_cpuid", l.cpuid);
        self.put(&mut b, S, "l_pctcpu", u64::from(l.pctcpu));
        self.put(&mut b, S, "l_pid", pid as u32 as u64);
        self.put_str(&mut b, S, "l_name", l.name.as_bytes());
        b
    }

    pub fn file(&self, f: &File, elem: usize) -> Vec<u8> {
        const S: &str = "kinfo_file";
        let mut b = self.record(S, elem);
        self.put(&mut b, S, "ki_fileaddr", 0xffff_a000_0000_0000 | f.fdata);
        self.put(&mut b, S, "ki_flag", u64::from(f.flag));
        self.put(&mut b, S, "ki_ftype", u64::from(f.ftype));
        self.put(&mut b, S, "ki_count", 1);
        self.put(&mut b, S, "ki_foffset", f.offset);
        self.put(&mut b, S, "ki_fdata", f.fdata);
        self.put(&mut b, S, "ki_vtype", u64::from(f.vtype));
        self.put(&mut b, S, "ki_pid", u64::from(f.pid));
        self.put(&mut b, S, "ki_fd", f.fd as u32 as u64);
        b
    }

    /// A `struct sockaddr_*` in the 264 bytes of `ki_s`/`ki_d` (netinet/in.h, netinet6/in6.h,
    /// sys/un.h): `sa_len` and `sa_family` from the `nb_sockaddr_t` layout, then the family's fields.
    fn sockaddr(&self, a: &Addr) -> Vec<u8> {
        let mut v = vec![0u8; 264];
        let (len_off, _) = self.field("nb_sockaddr", "sa_len");
        let (fam_off, _) = self.field("nb_sockaddr", "sa_family");
        match a {
            Addr::None => {}
            Addr::In(ip, port) => {
                v[len_off] = 16;
                v[fam_off] = 2;
                v[2..4].copy_from_slice(&port.to_be_bytes());
                v[4..8].copy_from_slice(&ip.octets());
            }
            Addr::In6(ip, port, scope) => {
                v[len_off] = 28;
                v[fam_off] = 24;
                v[2..4].copy_from_slice(&port.to_be_bytes());
                v[8..24].copy_from_slice(&ip.octets());
                self.put_n(&mut v, 24, 4, u64::from(*scope));
            }
            Addr::Un(path) => {
                v[len_off] = (2 + path.len()) as u8;
                v[fam_off] = 1;
                v[2..2 + path.len()].copy_from_slice(path.as_bytes());
            }
        }
        v
    }

    pub fn pcb(&self, p: &Pcb, elem: usize) -> Vec<u8> {
        const S: &str = "kinfo_pcb";
        let mut b = self.record(S, elem);
        self.put(&mut b, S, "ki_pcbaddr", p.sockaddr + 0x100);
        self.put(&mut b, S, "ki_sockaddr", p.sockaddr);
        self.put(&mut b, S, "ki_family", u64::from(p.family));
        self.put(&mut b, S, "ki_type", u64::from(p.sock_type));
        self.put(&mut b, S, "ki_protocol", u64::from(p.protocol));
        self.put(&mut b, S, "ki_tstate", p.tstate as u32 as u64);
        self.put(&mut b, S, "ki_conn", p.conn);
        let (so, sz) = self.field(S, "ki_s");
        b[so..so + sz].copy_from_slice(&self.sockaddr(&p.local));
        let (d, dz) = self.field(S, "ki_d");
        b[d..d + dz].copy_from_slice(&self.sockaddr(&p.remote));
        b
    }

    /// `hw.pagesize`: one `int`.
    pub fn int(&self, v: i32) -> Vec<u8> {
        let mut b = vec![0u8; 4];
        self.put_n(&mut b, 0, 4, v as u32 as u64);
        b
    }
}

/// NUL-terminated strings back to back, as `KERN_PROC_ARGV`/`KERN_PROC_ENV` return them.
pub fn strings(v: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in v {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
    out
}

/// Everything a dump holds.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub procs: Vec<Proc>,
    pub files: Vec<File>,
    pub pcbs: Vec<Pcb>,
    pub page_size: Option<i32>,
    pub passwd: Option<&'static str>,
}

/// The six pcblist members.
pub const PCBLISTS: [&str; 6] = [
    "sysctl/net.inet.tcp.pcblist",
    "sysctl/net.inet6.tcp6.pcblist",
    "sysctl/net.inet.udp.pcblist",
    "sysctl/net.inet6.udp6.pcblist",
    "sysctl/net.local.stream.pcblist",
    "sysctl/net.local.dgram.pcblist",
];

impl World {
    /// Every member of the dump: (archive path, bytes).
    pub fn members(&self, enc: Enc, sizes: Sizes) -> Vec<(String, Vec<u8>)> {
        let mut m = Vec::new();
        m.push((
            "sysctl/kern.proc2".to_string(),
            self.procs
                .iter()
                .flat_map(|p| enc.proc2(p, sizes.proc2))
                .collect(),
        ));
        for p in &self.procs {
            if !p.lwps.is_empty() {
                m.push((
                    format!("sysctl/kern.lwp/{}", p.pid),
                    p.lwps
                        .iter()
                        .flat_map(|l| enc.lwp(p.pid, l, sizes.lwp))
                        .collect(),
                ));
            }
            let args = format!("sysctl/kern.proc_args/{}", p.pid);
            if let Some(a) = &p.argv {
                m.push((format!("{args}/argv"), strings(a)));
            }
            if let Some(e) = &p.env {
                m.push((format!("{args}/env"), strings(e)));
            }
            if let Some(path) = p.path {
                m.push((format!("{args}/pathname"), strings(&[path])));
            }
        }
        m.push((
            "sysctl/kern.file2".into(),
            self.files
                .iter()
                .flat_map(|f| enc.file(f, sizes.file))
                .collect(),
        ));
        for list in PCBLISTS {
            m.push((
                list.into(),
                self.pcbs
                    .iter()
                    .filter(|p| p.list == list)
                    .flat_map(|p| enc.pcb(p, sizes.pcb))
                    .collect(),
            ));
        }
        if let Some(ps) = self.page_size {
            m.push(("sysctl/hw.pagesize".into(), enc.int(ps)));
        }
        if let Some(pw) = self.passwd {
            m.push(("etc/passwd".into(), pw.as_bytes().to_vec()));
        }
        m
    }

    /// Writes the members under `root`.
    pub fn write(&self, root: &Path, enc: Enc, sizes: Sizes) {
        for (path, bytes) in self.members(enc, sizes) {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    }
}
