//! A second, independent witness for the NetBSD layouts: the libc crate's own definitions of
//! `struct kinfo_proc2`, `kinfo_lwp`, `kinfo_file` (`src/unix/bsd/netbsdlike/netbsd/mod.rs`),
//! `kinfo_pcb` (`src/new/netbsd/sys/socket.rs`) and `sockaddr_in`/`sockaddr_in6`/`sockaddr_un`, as
//! the locked libc version has them for its NetBSD targets.
//!
//! procsift's structures and the test-only encoder both come from the layout reference (layouts.md);
//! libc's were written independently, against NetBSD's headers. Compiled only for NetBSD (libc is a
//! NetBSD-only dependency), these constant assertions make `cargo clippy --target x86_64-unknown-netbsd`
//! (run by `.ci/run`) fail if any size, or the offset of any field both define, differs. libc's private
//! pads (`kinfo_lwp.l_pad1`/`l_pad2`, `kinfo_file._ki_padto64bits`) cannot be named here; the offsets
//! of their neighbours and the sizes pin them.

use std::mem::{offset_of, size_of};

use zerocopy::LittleEndian as Le;

use super::file::RawKinfoFile;
use super::lwp::RawKinfoLwp;
use super::pcb::RawKinfoPcb;
use super::proc2::RawKinfoProc2;
use crate::formats::sockaddr::{RawBsdSockaddrIn, RawBsdSockaddrIn6, RawBsdSockaddrUnHead};

/// Asserts at compile time that `$ours` and `$theirs` have the same size and that each named field has
/// the same offset in both.
macro_rules! same_layout {
    ($ours:ty, $theirs:ty, [$($f:ident),* $(,)?]) => {
        const _: () = {
            assert!(size_of::<$ours>() == size_of::<$theirs>());
            $(assert!(offset_of!($ours, $f) == offset_of!($theirs, $f));)*
        };
    };
}

same_layout!(
    RawKinfoProc2<Le>,
    libc::kinfo_proc2,
    [
        p_forw,
        p_back,
        p_paddr,
        p_addr,
        p_fd,
        p_cwdi,
        p_stats,
        p_limit,
        p_vmspace,
        p_sigacts,
        p_sess,
        p_tsess,
        p_ru,
        p_eflag,
        p_exitsig,
        p_flag,
        p_pid,
        p_ppid,
        p_sid,
        p__pgid,
        p_tpgid,
        p_uid,
        p_ruid,
        p_gid,
        p_rgid,
        p_groups,
        p_ngroups,
        p_jobc,
        p_tdev,
        p_estcpu,
        p_rtime_sec,
        p_rtime_usec,
        p_cpticks,
        p_pctcpu,
        p_swtime,
        p_slptime,
        p_schedflags,
        p_uticks,
        p_sticks,
        p_iticks,
        p_tracep,
        p_traceflag,
        p_holdcnt,
        p_siglist,
        p_sigmask,
        p_sigignore,
        p_sigcatch,
        p_stat,
        p_priority,
        p_usrpri,
        p_nice,
        p_xstat,
        p_acflag,
        p_comm,
        p_wmesg,
        p_wchan,
        p_login,
        p_vm_rssize,
        p_vm_tsize,
        p_vm_dsize,
        p_vm_ssize,
        p_uvalid,
        p_ustart_sec,
        p_ustart_usec,
        p_uutime_sec,
        p_uutime_usec,
        p_ustime_sec,
        p_ustime_usec,
        p_uru_maxrss,
        p_uru_ixrss,
        p_uru_idrss,
        p_uru_isrss,
        p_uru_minflt,
        p_uru_majflt,
        p_uru_nswap,
        p_uru_inblock,
        p_uru_oublock,
        p_uru_msgsnd,
        p_uru_msgrcv,
        p_uru_nsignals,
        p_uru_nvcsw,
        p_uru_nivcsw,
        p_uctime_sec,
        p_uctime_usec,
        p_cpuid,
        p_realflag,
        p_nlwps,
        p_nrlwps,
        p_realstat,
        p_svuid,
        p_svgid,
        p_ename,
        p_vm_vsize,
        p_vm_msize,
    ]
);

same_layout!(
    RawKinfoLwp<Le>,
    libc::kinfo_lwp,
    [
        l_forw,
        l_back,
        l_laddr,
        l_addr,
        l_lid,
        l_flag,
        l_swtime,
        l_slptime,
        l_schedflags,
        l_holdcnt,
        l_priority,
        l_usrpri,
        l_stat,
        l_wmesg,
        l_wchan,
        l_cpuid,
        l_rtime_sec,
        l_rtime_usec,
        l_cpticks,
        l_pctcpu,
        l_pid,
        l_name,
    ]
);

same_layout!(
    RawKinfoFile<Le>,
    libc::kinfo_file,
    [
        ki_fileaddr,
        ki_flag,
        ki_iflags,
        ki_ftype,
        ki_count,
        ki_msgcount,
        ki_usecount,
        ki_fucred,
        ki_fuid,
        ki_fgid,
        ki_fops,
        ki_foffset,
        ki_fdata,
        ki_vun,
        ki_vsize,
        ki_vtype,
        ki_vtag,
        ki_vdata,
        ki_pid,
        ki_fd,
        ki_ofileflags,
    ]
);

same_layout!(
    RawKinfoPcb<Le>,
    libc::kinfo_pcb,
    [
        ki_pcbaddr,
        ki_ppcbaddr,
        ki_sockaddr,
        ki_family,
        ki_type,
        ki_protocol,
        ki_pflags,
        ki_sostate,
        ki_prstate,
        ki_tstate,
        ki_tflags,
        ki_rcvq,
        ki_sndq,
        ki_s,
        ki_d,
        ki_inode,
        ki_vnode,
        ki_conn,
        ki_refs,
        ki_nextref,
    ]
);

same_layout!(
    RawBsdSockaddrIn,
    libc::sockaddr_in,
    [sin_len, sin_family, sin_port, sin_addr, sin_zero]
);

same_layout!(
    RawBsdSockaddrIn6<Le>,
    libc::sockaddr_in6,
    [
        sin6_len,
        sin6_family,
        sin6_port,
        sin6_flowinfo,
        sin6_addr,
        sin6_scope_id,
    ]
);

// sockaddr_un: only the head is ours (sun_path runs to sun_len); its fields sit where libc's do.
const _: () = {
    assert!(offset_of!(RawBsdSockaddrUnHead, sun_len) == offset_of!(libc::sockaddr_un, sun_len));
    assert!(
        offset_of!(RawBsdSockaddrUnHead, sun_family) == offset_of!(libc::sockaddr_un, sun_family)
    );
    assert!(size_of::<RawBsdSockaddrUnHead>() == offset_of!(libc::sockaddr_un, sun_path));
};

// The family numbers the decoders use.
const _: () = {
    assert!(libc::AF_LOCAL as u16 == crate::formats::sockaddr::AF_LOCAL);
    assert!(libc::AF_INET as u16 == crate::formats::sockaddr::AF_INET);
    assert!(libc::AF_INET6 as u16 == crate::formats::sockaddr::AF_INET6_NETBSD);
};
