//! The rules, one [`Rule`] item each: metadata here, logic in the modules by subject.

mod env;
mod exe;
mod host;
mod memory;
pub(crate) mod names;
mod privilege;
mod shells;

use super::view::{InputClass, Proc};
use super::{
    Rule,
    Scope::{Host, Process},
    Severity,
};
use InputClass::{FreebsdCore, LinuxCore, Netbsd, NetbsdCore, Solaris, SolarisCore};

/// Why a process's `what` (the model field `field`) is missing: the capture's recorded error when the
/// model has it, else that the input does not hold it.
pub(crate) fn unread(p: Proc<'_>, field: &str, what: &str) -> String {
    match p.unread_reason(field) {
        Some(reason) => format!("{what}: could not be read ({reason})"),
        None => format!("{what}: not in the input"),
    }
}

const NO_DELETED_MARK: &str = "its executable and mapping paths carry no mark of a deleted file";
const NO_HOST: &str = "a core holds one process and no host records";
const NO_PARENT: &str = "a core holds one process: its parent is not in it";

/// Every rule.
pub(super) static ALL: &[Rule] = &[
    Rule {
        id: "exe-deleted",
        severity: Severity::High,
        attack: "T1070.004",
        looks_at: "the executable's path (Linux: the exe link, or the core's NT_FILE entry) ending in \" (deleted)\": the program's file was removed after it started",
        benign: "a package upgrade replaces a running program's file: under /usr, /bin, /sbin, /lib, /opt it is low; a developer rebuilding a running program (medium)",
        unsupported: &[
            (
                Solaris,
                "path/a.out of a deleted file does not resolve, and carries no mark",
            ),
            (SolarisCore, NO_DELETED_MARK),
            (
                Netbsd,
                "kern.proc_args PATHNAME carries no mark of a deleted file",
            ),
            (NetbsdCore, NO_DELETED_MARK),
            (FreebsdCore, NO_DELETED_MARK),
        ],
        scope: Process,
        run: exe::exe_deleted,
    },
    Rule {
        id: "exe-memfd",
        severity: Severity::High,
        attack: "T1620",
        looks_at: "the executable's path starting with /memfd: — a program run from an anonymous in-memory file (memfd_create + fexecve), never on disk",
        benign: "runc re-executes itself from a sealed memfd (runc_cloned:..., low); other sandboxes that do the same: add them to an allowlist",
        unsupported: &[
            (Solaris, "memfd_create(2) is a Linux call"),
            (SolarisCore, "memfd_create(2) is a Linux call"),
            (Netbsd, "memfd_create(2) is a Linux call"),
            (NetbsdCore, "memfd_create(2) is a Linux call"),
            (FreebsdCore, "FreeBSD cores do not name a memfd executable"),
        ],
        scope: Process,
        run: exe::exe_memfd,
    },
    Rule {
        id: "exe-writable-dir",
        severity: Severity::Medium,
        attack: "T1036.005",
        looks_at: "the executable's path under /tmp, /var/tmp, /dev/shm, /run/user, or in a hidden (dot) directory",
        benign: "per-user tool installs in hidden directories of a home directory (~/.cargo/bin, ~/.local/bin, ~/.pyenv, ~/.vscode-server): low; test and build programs run from /tmp",
        unsupported: &[],
        scope: Process,
        run: exe::exe_writable_dir,
    },
    Rule {
        id: "anon-exec-memory",
        severity: Severity::High,
        attack: "T1055",
        looks_at: "mappings that are executable and anonymous (no file: rwx is high, r-x medium; an executable [heap] or [stack]), other than the kernel's [vdso], [vsyscall], [vectors], [sigpage], [uprobes] (Volatility's malfind)",
        benign: "JIT runtimes (Java, Node.js, browsers, .NET, PyPy, LuaJIT, QEMU, Valgrind, PHP's opcache JIT, PostgreSQL's JIT): low; programs run with READ_IMPLIES_EXEC (their own data is executable too): low; an executable stack or heap of a 32-bit program or on Solaris: low; PCRE's JIT (grep -P, nginx with pcre_jit) and programs built with an executable stack: medium. A core that names none of its mapped files is not checked",
        unsupported: &[
            (
                Netbsd,
                "the NetBSD capture does not read process memory maps",
            ),
            (
                NetbsdCore,
                "a NetBSD core's program headers do not tell anonymous memory from mapped files",
            ),
        ],
        scope: Process,
        run: memory::anon_exec_memory,
    },
    Rule {
        id: "deleted-library",
        severity: Severity::High,
        attack: "T1055",
        looks_at: "executable mappings of deleted files other than the executable (an injected or replaced library; memfd code)",
        benign: "a package upgrade replaces libraries under running programs (system paths: low); JIT code caches in a memfd (.NET's doublemapper, low)",
        unsupported: &[
            (Solaris, NO_DELETED_MARK),
            (SolarisCore, NO_DELETED_MARK),
            (
                Netbsd,
                "the NetBSD capture does not read process memory maps",
            ),
            (NetbsdCore, NO_DELETED_MARK),
            (FreebsdCore, NO_DELETED_MARK),
        ],
        scope: Process,
        run: memory::deleted_library,
    },
    Rule {
        id: "library-writable-dir",
        severity: Severity::Medium,
        attack: "T1574",
        looks_at: "executable mappings of files under /tmp, /var/tmp, /dev/shm, /run/user or a hidden directory, other than the executable (Volatility's elfs, from the maps)",
        benign: "Java libraries (netty, JNA, snappy, sqlite-jdbc) unpack native code to /tmp (low); PyInstaller programs (/tmp/_MEI*, low); libffi's temporary-file closures (low); hidden directories of a home directory (low)",
        unsupported: &[
            (
                Netbsd,
                "the NetBSD capture does not read process memory maps",
            ),
            (NetbsdCore, "a NetBSD core names no mapped files"),
        ],
        scope: Process,
        run: memory::library_writable_dir,
    },
    Rule {
        id: "ld-preload",
        severity: Severity::High,
        attack: "T1574.006",
        looks_at: "LD_PRELOAD or LD_AUDIT (Solaris: also their _32/_64 forms) in a process's environment, reported once for the process that set it; a non-empty /etc/ld.so.preload (host-wide)",
        benign: "stdbuf, fakeroot, eatmydata, faketime, allocators (jemalloc, tcmalloc, mimalloc), sanitizers, VirtualGL, game overlays, snoopy: low; libraries in writable or hidden directories: high",
        unsupported: &[(
            Solaris,
            "the Solaris capture does not read process environments (they are in process memory)",
        )],
        scope: Host,
        run: env::ld_preload,
    },
    Rule {
        id: "kernel-thread-masquerade",
        severity: Severity::High,
        attack: "T1036.005",
        looks_at: "a process whose argv[0] is [name] like a kernel thread's (kworker/0:2, kthreadd, ...) or whose comm is a Linux kernel thread's name, but which is a user process: no kernel-thread flag, an executable or mappings, a parent other than kthreadd, or a core of it",
        benign: "none known; programs that title themselves [name: ...] (Celery workers) have blanks in the brackets and are not matched",
        unsupported: &[],
        scope: Process,
        run: exe::kernel_thread_masquerade,
    },
    Rule {
        id: "name-mismatch",
        severity: Severity::Low,
        attack: "T1036",
        looks_at: "comm, argv[0] and the executable's file name all disagree (Volatility's process_spoofing, NetBSD ps's tamper mark); names cut at the kernel's command-name length agree",
        benign: "interpreters, the dynamic loader, emulators and multi-call binaries (explained, not reported); programs that retitle themselves (sshd, postgres, nginx, php-fpm keep one name in common and are not reported)",
        unsupported: &[],
        scope: Process,
        run: exe::name_mismatch,
    },
    Rule {
        id: "traced",
        severity: Severity::High,
        attack: "T1055.008",
        looks_at: "a process being traced (Linux status TracerPid, naming the tracer; Solaris PR_PTRACE; NetBSD P_TRACED); high when it handles credentials (sshd, sudo, ssh-agent, ...)",
        benign: "a debugging session (gdb, strace, ltrace, rr: the tracer is named)",
        unsupported: &[
            (LinuxCore, "a Linux core's notes do not record a tracer"),
            (
                NetbsdCore,
                "a NetBSD core's procinfo does not record tracing",
            ),
            (
                FreebsdCore,
                "procsift does not read P_TRACED from the core's kinfo_proc yet",
            ),
        ],
        scope: Host,
        run: privilege::traced,
    },
    Rule {
        id: "shell-socket",
        severity: Severity::High,
        attack: "T1059.004",
        looks_at: "a shell or interpreter (sh, bash, dash, zsh, ksh, python, perl, ruby, php, nc, socat, ...) whose stdin, stdout or stderr is a TCP/UDP socket, or whose stdin and stdout are a socket pair with a relay (socat, nc) that holds one, or a pipe or FIFO to such a relay (a reverse or bind shell)",
        benign: "services started by inetd or systemd socket activation with StandardInput=socket (medium for interpreters that are not shells); unix sockets on stdout and stderr (the systemd journal) are not reported",
        unsupported: &[
            (LinuxCore, "a Linux core records no open descriptors"),
            (NetbsdCore, "a NetBSD core records no open descriptors"),
        ],
        scope: Host,
        run: shells::shell_socket,
    },
    Rule {
        id: "service-spawned-shell",
        severity: Severity::High,
        attack: "T1505.003",
        looks_at: "a shell whose parent is a network service (nginx, httpd, apache2, php-fpm, java, node, tomcat, mysqld, postgres, redis-server, ...): interactive is high, sh -c medium",
        benign: "PHP's mail() runs sendmail through sh -c, PostgreSQL's archive_command, npm scripts under node (low); Jenkins builds under java, CGI scripts (medium)",
        unsupported: &[
            (LinuxCore, NO_PARENT),
            (SolarisCore, NO_PARENT),
            (NetbsdCore, NO_PARENT),
            (FreebsdCore, NO_PARENT),
        ],
        scope: Host,
        run: shells::service_spawned_shell,
    },
    Rule {
        id: "setuid-shell",
        severity: Severity::High,
        attack: "T1548.001",
        looks_at: "a shell whose effective user id differs from its real one (a set-user-id copy of a shell run with -p; high when it is root)",
        benign: "none common: sudo and su set the real id too",
        unsupported: &[(
            LinuxCore,
            "a Linux core's NT_PRPSINFO records the real user id only",
        )],
        scope: Process,
        run: shells::setuid_shell,
    },
    Rule {
        id: "history-off",
        severity: Severity::Medium,
        attack: "T1562.003",
        looks_at: "HISTFILE=/dev/null or empty, HISTSIZE=0, HISTFILESIZE=0 or SAVEHIST=0 in an environment, reported once for the process that set it (an interactive shell, or a program that inherited it from one)",
        benign: "container images and scripts that set these for non-interactive shells (low)",
        unsupported: &[(
            Solaris,
            "the Solaris capture does not read process environments (they are in process memory)",
        )],
        scope: Host,
        run: env::history_off,
    },
    Rule {
        id: "orphan-socket",
        severity: Severity::Medium,
        attack: "T1014",
        looks_at: "a listening or established TCP, or bound UDP, socket (inode not 0) in a network namespace's table that no process's descriptors name",
        benign: "the kernel's own services (NFS, ksmbd, iSCSI, WireGuard, VXLAN: low by port); a process that exited while the capture ran (low when the capture saw processes vanish or exit)",
        unsupported: &[
            (LinuxCore, NO_HOST),
            (
                Solaris,
                "the Solaris capture reads no host-wide socket table",
            ),
            (SolarisCore, NO_HOST),
            (
                Netbsd,
                "procsift does not yet join NetBSD's pcblist sockets to kern.file2's descriptors",
            ),
            (NetbsdCore, NO_HOST),
            (FreebsdCore, NO_HOST),
        ],
        scope: Host,
        run: host::orphan_socket,
    },
    Rule {
        id: "proc-overmount",
        severity: Severity::High,
        attack: "T1564",
        looks_at: "a mount on /proc/<pid> (or below) in any mount namespace's table: it hides that process from ps, top and lsof (UAC's hidden-process check)",
        benign: "none known",
        unsupported: &[
            (LinuxCore, NO_HOST),
            (
                Solaris,
                "Solaris hides no process this way, and the capture reads no mount table",
            ),
            (SolarisCore, NO_HOST),
            (
                Netbsd,
                "NetBSD's process list comes from sysctl, which a mount cannot hide",
            ),
            (NetbsdCore, NO_HOST),
            (FreebsdCore, NO_HOST),
        ],
        scope: Host,
        run: host::proc_overmount,
    },
    Rule {
        id: "full-capabilities-nonroot",
        severity: Severity::High,
        attack: "T1548",
        looks_at: "a process none of whose user ids is 0 with every capability of the kernel (its CapEff covers the widest bounding set) in the initial user namespace",
        benign: "processes in a non-initial user namespace (rootless containers: low, their capabilities count only there)",
        unsupported: &[
            (LinuxCore, "a Linux core records no capability sets"),
            (
                Solaris,
                "procsift does not decode Solaris privilege sets (priv) yet",
            ),
            (
                SolarisCore,
                "procsift does not decode Solaris privilege sets yet",
            ),
            (Netbsd, "NetBSD has no capability sets"),
            (NetbsdCore, "NetBSD has no capability sets"),
            (FreebsdCore, "FreeBSD cores record no privilege sets"),
        ],
        scope: Host,
        run: privilege::full_capabilities_nonroot,
    },
    Rule {
        id: "hidden-process",
        severity: Severity::High,
        attack: "T1014",
        looks_at: "a pid that other records prove exists but the process listing lacks: a listed process's parent, a pid or thread that answered capture --probe-pids' lookup and started before the capture, a process the capture's events show alive throughout (Volatility's psscan/pidhashtable cross-view, UAC's hidden-process check)",
        benign: "a parent hidden by /proc's hidepid from a capture that was not root's (low); a /proc tree copied by hand, without a capture manifest, that holds only some processes (low); lost process events (low)",
        unsupported: &[
            (LinuxCore, NO_HOST),
            (SolarisCore, NO_HOST),
            (NetbsdCore, NO_HOST),
            (FreebsdCore, NO_HOST),
        ],
        scope: Host,
        run: host::hidden_process,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_metadata_complete() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for r in ALL {
            assert!(r.attack.starts_with('T'), "{}", r.id);
            assert!(!r.looks_at.is_empty() && !r.benign.is_empty(), "{}", r.id);
        }
    }
}
