//! Signal numbers to names, per system (they differ above 6: SIGBUS is 7 on most Linux ports but 10 on
//! mips, sparc and the BSDs), and the `si_code` values of fault signals.
//!
//! Sources: Linux `arch/*/include/uapi/asm/signal.h` (generic, mips, sparc); FreeBSD and NetBSD
//! `sys/sys/signal.h`; illumos `usr/src/uts/common/sys/iso/signal_iso.h`; `siginfo.h` of each for codes.

/// Which numbering a core uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbering {
    /// Linux on x86, arm, aarch64, s390, ppc, riscv, m68k (asm-generic).
    LinuxGeneric,
    /// Linux on mips.
    LinuxMips,
    /// Linux on sparc.
    LinuxSparc,
    /// Linux on alpha (`arch/alpha/include/uapi/asm/signal.h`: the BSD numbers, 29 = SIGPWR/SIGINFO).
    LinuxAlpha,
    /// Linux on parisc (`arch/parisc/include/uapi/asm/signal.h`, as renumbered in 3.17).
    LinuxParisc,
    /// FreeBSD.
    FreeBsd,
    /// NetBSD.
    NetBsd,
    /// illumos and Solaris.
    Solaris,
}

const LINUX: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];
const LINUX_MIPS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE", "KILL", "BUS", "SEGV", "SYS",
    "PIPE", "ALRM", "TERM", "USR1", "USR2", "CHLD", "PWR", "WINCH", "URG", "IO", "STOP", "TSTP",
    "CONT", "TTIN", "TTOU", "VTALRM", "PROF", "XCPU", "XFSZ",
];
const LINUX_PARISC: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "STKFLT", "FPE", "KILL", "BUS", "SEGV", "XCPU",
    "PIPE", "ALRM", "TERM", "USR1", "USR2", "CHLD", "PWR", "VTALRM", "PROF", "IO", "WINCH", "STOP",
    "TSTP", "CONT", "TTIN", "TTOU", "URG", "XFSZ", "SYS",
];
const BSD: [&str; 32] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE", "KILL", "BUS", "SEGV", "SYS",
    "PIPE", "ALRM", "TERM", "URG", "STOP", "TSTP", "CONT", "CHLD", "TTIN", "TTOU", "IO", "XCPU",
    "XFSZ", "VTALRM", "PROF", "WINCH", "INFO", "USR1", "USR2", "",
];
const SOLARIS: [&str; 41] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE", "KILL", "BUS", "SEGV", "SYS",
    "PIPE", "ALRM", "TERM", "USR1", "USR2", "CHLD", "PWR", "WINCH", "URG", "POLL", "STOP", "TSTP",
    "CONT", "TTIN", "TTOU", "VTALRM", "PROF", "XCPU", "XFSZ", "WAITING", "LWP", "FREEZE", "THAW",
    "CANCEL", "LOST", "XRES", "JVM1", "JVM2", "INFO",
];

/// `SIGSEGV`-style name of signal `n`, if it has one.
pub fn name(numbering: Numbering, n: i32) -> Option<String> {
    let i = usize::try_from(n).ok()?.checked_sub(1)?;
    let base = match numbering {
        Numbering::LinuxGeneric => LINUX.get(i).copied(),
        Numbering::LinuxMips => LINUX_MIPS.get(i).copied(),
        // Linux sparc follows the BSD numbering except 29 (SIGLOST, then SIGPWR) and the lack of SIGINFO.
        Numbering::LinuxSparc | Numbering::LinuxAlpha => match n {
            29 => Some("PWR"),
            _ => BSD.get(i).copied(),
        },
        Numbering::LinuxParisc => LINUX_PARISC.get(i).copied(),
        Numbering::FreeBsd => match n {
            32 => Some("THR"),
            33 => Some("LIBRT"),
            _ => BSD.get(i).copied(),
        },
        Numbering::NetBsd => match n {
            32 => Some("PWR"),
            _ => BSD.get(i).copied(),
        },
        Numbering::Solaris => SOLARIS.get(i).copied(),
    };
    // The real-time range, named as illumos sig2str(3C) and psig name it: SIGRTMIN, SIGRTMIN+1, ...,
    // SIGRTMAX-1, SIGRTMAX (illumos _SIGRTMIN 42 ..= _SIGRTMAX 73, NetBSD SIGRTMIN 33 ..= SIGRTMAX 63;
    // sys/signal.h).
    let rt = match numbering {
        Numbering::Solaris => Some((42, 73)),
        Numbering::NetBsd => Some((33, 63)),
        _ => None,
    };
    if let Some((min, max)) = rt.filter(|(min, max)| (*min..=*max).contains(&n)) {
        return Some(match n {
            _ if n == min => "SIGRTMIN".to_string(),
            _ if n == max => "SIGRTMAX".to_string(),
            _ if n - min <= (max - min) / 2 => format!("SIGRTMIN+{}", n - min),
            _ => format!("SIGRTMAX-{}", max - n),
        });
    }
    match base {
        Some(b) if !b.is_empty() => Some(format!("SIG{b}")),
        _ if matches!(
            numbering,
            Numbering::LinuxGeneric
                | Numbering::LinuxMips
                | Numbering::LinuxSparc
                | Numbering::LinuxAlpha
                | Numbering::LinuxParisc
        ) && (32..=64).contains(&n) =>
        {
            Some(format!("SIGRT{}", n - 32))
        }
        _ => None,
    }
}

/// The name of a fault `si_code` (the same values on every system here), with what it means.
pub fn fault_code(signal_name: &str, code: i32) -> Option<&'static str> {
    Some(match (signal_name, code) {
        ("SIGSEGV", 1) => "SEGV_MAPERR: address not mapped",
        ("SIGSEGV", 2) => "SEGV_ACCERR: invalid permissions for mapped object",
        ("SIGBUS", 1) => "BUS_ADRALN: invalid address alignment",
        ("SIGBUS", 2) => "BUS_ADRERR: nonexistent physical address",
        ("SIGBUS", 3) => "BUS_OBJERR: object-specific hardware error",
        ("SIGILL", 1) => "ILL_ILLOPC: illegal opcode",
        ("SIGILL", 2) => "ILL_ILLOPN: illegal operand",
        ("SIGILL", 3) => "ILL_ILLADR: illegal addressing mode",
        ("SIGILL", 4) => "ILL_ILLTRP: illegal trap",
        ("SIGILL", 5) => "ILL_PRVOPC: privileged opcode",
        ("SIGILL", 6) => "ILL_PRVREG: privileged register",
        ("SIGILL", 7) => "ILL_COPROC: coprocessor error",
        ("SIGILL", 8) => "ILL_BADSTK: internal stack error",
        ("SIGFPE", 1) => "FPE_INTDIV: integer divide by zero",
        ("SIGFPE", 2) => "FPE_INTOVF: integer overflow",
        ("SIGFPE", 3) => "FPE_FLTDIV: floating-point divide by zero",
        ("SIGFPE", 4) => "FPE_FLTOVF: floating-point overflow",
        ("SIGFPE", 5) => "FPE_FLTUND: floating-point underflow",
        ("SIGFPE", 6) => "FPE_FLTRES: floating-point inexact result",
        ("SIGFPE", 7) => "FPE_FLTINV: invalid floating-point operation",
        ("SIGFPE", 8) => "FPE_FLTSUB: subscript out of range",
        ("SIGTRAP", 1) => "TRAP_BRKPT: process breakpoint",
        ("SIGTRAP", 2) => "TRAP_TRACE: process trace trap",
        _ => return None,
    })
}

/// `si_code` values that say who sent a signal, or that there is no more to say, on each system: Linux
/// `include/uapi/asm-generic/siginfo.h`; FreeBSD and NetBSD `sys/sys/signal.h` / `siginfo.h`; illumos
/// `usr/src/uts/common/sys/siginfo.h`.
pub fn sender_code(numbering: Numbering, code: i32) -> Option<&'static str> {
    match numbering {
        Numbering::FreeBsd => Some(match code {
            0 => "SI_NOINFO: no signal-specific information",
            0x10001 => "SI_USER: sent by kill(2) or raise(3)",
            0x10002 => "SI_QUEUE: sent by sigqueue(2)",
            0x10003 => "SI_TIMER: POSIX timer expired",
            0x10004 => "SI_ASYNCIO: AIO completed",
            0x10005 => "SI_MESGQ: message queue state changed",
            0x10006 => "SI_KERNEL: sent by the kernel",
            0x10007 => "SI_LWP: sent by thr_kill(2)",
            _ => return None,
        }),
        Numbering::NetBsd => Some(match code {
            0 => "SI_USER: sent by kill(2) or raise(3)",
            -1 => "SI_QUEUE: sent by sigqueue(2)",
            -2 => "SI_TIMER: POSIX timer expired",
            -3 => "SI_ASYNCIO: AIO completed",
            -4 => "SI_MESGQ: message queue state changed",
            -5 => "SI_LWP: sent by _lwp_kill(2)",
            32767 => "SI_NOINFO: no signal-specific information",
            _ => return None,
        }),
        Numbering::Solaris => Some(match code {
            0 => "SI_USER: sent by kill(2) or raise(3)",
            -1 => "SI_LWP: sent by _lwp_kill(2)",
            -2 => "SI_QUEUE: sent by sigqueue(3C)",
            -3 => "SI_TIMER: POSIX timer expired",
            -4 => "SI_ASYNCIO: AIO completed",
            -5 => "SI_MESGQ: message queue state changed",
            2049 => "SI_RCTL: resource control exceeded",
            2050 => "SI_DTRACE: sent by DTrace",
            32767 => "SI_NOINFO: no signal-specific information",
            _ => return None,
        }),
        _ => linux_sender_code(code),
    }
}

/// Linux `si_code` values that say who sent a signal (`include/uapi/asm-generic/siginfo.h`).
pub fn linux_sender_code(code: i32) -> Option<&'static str> {
    Some(match code {
        0 => "SI_USER: sent by kill(2) or raise(3)",
        0x80 => "SI_KERNEL: sent by the kernel",
        -1 => "SI_QUEUE: sent by sigqueue(3)",
        -2 => "SI_TIMER: POSIX timer expired",
        -3 => "SI_MESGQ: message queue state changed",
        -4 => "SI_ASYNCIO: AIO completed",
        -5 => "SI_SIGIO: queued SIGIO",
        -6 => "SI_TKILL: sent by tkill(2) or tgkill(2)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_codes_per_system() {
        assert!(
            sender_code(Numbering::NetBsd, 32767)
                .unwrap()
                .starts_with("SI_NOINFO")
        );
        assert!(
            sender_code(Numbering::Solaris, 32767)
                .unwrap()
                .starts_with("SI_NOINFO")
        );
        assert!(
            sender_code(Numbering::FreeBsd, 0x10001)
                .unwrap()
                .starts_with("SI_USER")
        );
        assert!(
            sender_code(Numbering::LinuxGeneric, 0x80)
                .unwrap()
                .starts_with("SI_KERNEL")
        );
        assert_eq!(name(Numbering::LinuxParisc, 10).as_deref(), Some("SIGBUS"));
        assert_eq!(name(Numbering::LinuxParisc, 16).as_deref(), Some("SIGUSR1"));
        assert_eq!(name(Numbering::LinuxAlpha, 10).as_deref(), Some("SIGBUS"));
        assert_eq!(name(Numbering::LinuxAlpha, 30).as_deref(), Some("SIGUSR1"));
    }

    #[test]
    fn numbering_differs_where_it_should() {
        assert_eq!(name(Numbering::LinuxGeneric, 7).as_deref(), Some("SIGBUS"));
        assert_eq!(name(Numbering::LinuxMips, 10).as_deref(), Some("SIGBUS"));
        assert_eq!(name(Numbering::FreeBsd, 10).as_deref(), Some("SIGBUS"));
        assert_eq!(name(Numbering::Solaris, 16).as_deref(), Some("SIGUSR1"));
        assert_eq!(name(Numbering::LinuxGeneric, 34).as_deref(), Some("SIGRT2"));
        assert_eq!(name(Numbering::NetBsd, 0), None);
        assert_eq!(name(Numbering::Solaris, 99), None);
        assert_eq!(name(Numbering::Solaris, 41).as_deref(), Some("SIGINFO"));
        assert_eq!(name(Numbering::Solaris, 42).as_deref(), Some("SIGRTMIN"));
        assert_eq!(name(Numbering::Solaris, 57).as_deref(), Some("SIGRTMIN+15"));
        assert_eq!(name(Numbering::Solaris, 58).as_deref(), Some("SIGRTMAX-15"));
        assert_eq!(name(Numbering::Solaris, 73).as_deref(), Some("SIGRTMAX"));
        assert_eq!(name(Numbering::NetBsd, 32).as_deref(), Some("SIGPWR"));
        assert_eq!(name(Numbering::NetBsd, 34).as_deref(), Some("SIGRTMIN+1"));
        assert_eq!(name(Numbering::NetBsd, 63).as_deref(), Some("SIGRTMAX"));
        assert_eq!(name(Numbering::NetBsd, 64), None);
        assert_eq!(
            fault_code("SIGSEGV", 1),
            Some("SEGV_MAPERR: address not mapped")
        );
    }

    #[test]
    fn sender_codes_follow_each_system() {
        let noinfo = Some("SI_NOINFO: no signal-specific information");
        assert_eq!(sender_code(Numbering::NetBsd, 32767), noinfo);
        assert_eq!(sender_code(Numbering::Solaris, 32767), noinfo);
        assert_eq!(sender_code(Numbering::FreeBsd, 0), noinfo);
        assert_eq!(sender_code(Numbering::LinuxGeneric, 32767), None);
        // -1 is SI_QUEUE on NetBSD and Linux, SI_LWP on illumos.
        assert!(
            sender_code(Numbering::NetBsd, -1)
                .unwrap()
                .starts_with("SI_QUEUE")
        );
        assert!(
            sender_code(Numbering::Solaris, -1)
                .unwrap()
                .starts_with("SI_LWP")
        );
        assert!(
            sender_code(Numbering::LinuxMips, -1)
                .unwrap()
                .starts_with("SI_QUEUE")
        );
        assert_eq!(sender_code(Numbering::NetBsd, 1), None);
    }
}
