//! The lists of program names and paths the rules share: shells, interpreters, network services, JIT
//! runtimes, kernel-thread names, writable and system directories.

/// Command shells.
pub const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "oksh", "csh", "tcsh", "fish",
    "ash", "rbash", "yash", "posh", "busybox",
];

/// Programs that read commands or relay a connection: shells, script interpreters and network
/// plumbing (`nc -e`, `socat EXEC:`).
pub const INTERPRETERS: &[&str] = &[
    "perl",
    "ruby",
    "php",
    "lua",
    "luajit",
    "tclsh",
    "wish",
    "expect",
    "node",
    "nodejs",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "nc",
    "ncat",
    "netcat",
    "nc.openbsd",
    "nc.traditional",
    "socat",
    "telnet",
    "openssl",
    "pwsh",
    "irb",
    "jrunscript",
    "jjs",
    "Rscript",
];

/// Name prefixes of interpreters with versioned names (`python3.11`, `perl5.36`, `php8.2`).
pub const INTERPRETER_PREFIXES: &[&str] =
    &["python", "perl", "ruby", "php", "lua", "tclsh", "pypy"];

/// Network services a web shell runs under: web, application and database servers.
pub const SERVICES: &[&str] = &[
    "nginx",
    "httpd",
    "apache",
    "apache2",
    "lighttpd",
    "caddy",
    "php-fpm",
    "php-cgi",
    "java",
    "tomcat",
    "catalina",
    "jboss",
    "wildfly",
    "weblogic",
    "node",
    "nodejs",
    "mysqld",
    "mariadbd",
    "postgres",
    "postmaster",
    "redis-server",
    "mongod",
    "memcached",
    "uwsgi",
    "gunicorn",
    "unicorn",
    "puma",
    "squid",
    "traefik",
    "openresty",
];

/// Name prefixes of services with versioned names (`php-fpm8.2`, `tomcat9`).
pub const SERVICE_PREFIXES: &[&str] = &["php-fpm", "php-cgi", "tomcat", "httpd"];

/// Programs that compile code at run time into anonymous executable memory, or map it executable from
/// a memfd: JIT runtimes, browsers, emulators and instrumentation.
pub const JIT_RUNTIMES: &[&str] = &[
    "java",
    "node",
    "nodejs",
    "deno",
    "bun",
    "dotnet",
    "mono",
    "mono-sgen",
    "pypy",
    "pypy3",
    "luajit",
    "beam.smp",
    "erl",
    "julia",
    "chrome",
    "chromium",
    "chromium-browser",
    "firefox",
    "firefox-esr",
    "Web Content",
    "WebExtensions",
    "Isolated Web Co",
    "Privileged Cont",
    "thunderbird",
    "electron",
    "code",
    "slack",
    "teams",
    "signal-desktop",
    "discord",
    "gjs",
    "gnome-shell",
    "gnome-software",
    "qemu",
    "valgrind",
    "rr",
    "php",
    "php-fpm",
    "ruby",
    "postgres",
    "wasmtime",
    "wasmer",
];

/// Name prefixes of JIT runtimes with versioned or per-architecture names.
pub const JIT_PREFIXES: &[&str] = &[
    "qemu-",
    "memcheck-",
    "php-fpm",
    "php8",
    "php7",
    "java",
    "pypy",
    "node",
    "chrome",
    "firefox",
    "Web Content",
    "ruby",
];

/// Programs that run other programs: a mismatch between comm, argv[0] and the executable is how they
/// work (script interpreters, the dynamic loader run directly, emulators, multi-call binaries).
pub const RUNTIMES: &[&str] = &[
    "bash",
    "sh",
    "dash",
    "zsh",
    "ksh",
    "busybox",
    "toybox",
    "java",
    "node",
    "nodejs",
    "deno",
    "bun",
    "perl",
    "ruby",
    "php",
    "lua",
    "luajit",
    "tclsh",
    "wish",
    "expect",
    "Rscript",
    "R",
    "osascript",
    "env",
    "dotnet",
    "mono",
    "pypy",
    "pypy3",
    "wine",
    "wine64",
    "wine-preloader",
    "wine64-preloader",
    "ld.so",
    "ld-linux.so.2",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "valgrind",
    "strace",
    "gdb",
    "rr",
    "uwsgi",
    "gunicorn",
    "beam.smp",
    "electron",
    "snap",
    "flatpak-spawn",
    "bwrap",
];

/// Name prefixes of runtimes with versioned names.
pub const RUNTIME_PREFIXES: &[&str] = &[
    "python",
    "perl",
    "ruby",
    "php",
    "lua",
    "qemu-",
    "ld-linux",
    "ld-musl",
    "memcheck-",
    "java",
];

/// Names of the Linux kernel's own threads (comm), by prefix: a user process named so is dressing up.
pub const KERNEL_THREAD_PREFIXES: &[&str] = &[
    "kworker/",
    "ksoftirqd/",
    "kthreadd",
    "migration/",
    "rcu_",
    "rcuc/",
    "rcuo",
    "kswapd",
    "watchdog/",
    "watchdogd",
    "jbd2/",
    "kauditd",
    "khungtaskd",
    "kcompactd",
    "ksmd",
    "khugepaged",
    "kdevtmpfs",
    "oom_reaper",
    "cpuhp/",
    "irq/",
    "kblockd",
    "kintegrityd",
    "kthrotld",
    "scsi_eh_",
    "kstrp",
    "xfsaild/",
    "kdamond",
    "pool_workqueue",
    "idle_inject/",
    "card0-crtc",
    "kpsmoused",
    "ipv6_addrconf",
    "kaluad",
    "md/",
    "zswap",
    "writeback",
    "netns",
    "ecryptfs-kthrea",
    "nfsd",
    "lockd",
    "rpciod",
    "kdmflush",
    "dmcrypt_write",
    "ext4-rsv-conver",
    "btrfs-",
];

/// Programs that hold credentials: tracing one of them reads passwords and keys.
pub const CREDENTIAL_HANDLERS: &[&str] = &[
    "sshd",
    "ssh",
    "sudo",
    "su",
    "login",
    "passwd",
    "gpg-agent",
    "ssh-agent",
    "unix_chkpwd",
    "polkit-agent-he",
    "polkit-agent-helper-1",
    "gnome-keyring-d",
    "gnome-keyring-daemon",
    "kwalletd5",
    "kwalletd6",
    "keepassxc",
    "1password",
    "vault",
    "bitwarden",
    "pinentry",
];

/// Debuggers and tracers.
pub const DEBUGGERS: &[&str] = &[
    "gdb",
    "strace",
    "ltrace",
    "lldb",
    "lldb-server",
    "rr",
    "valgrind",
    "gdbserver",
    "perf",
    "bpftrace",
    "frida-server",
    "dlv",
    "procsift",
];

/// Directories any user may write to: a program run from one was put there by someone who may not be
/// trusted with the system's binaries.
pub const WRITABLE_DIRS: &[&str] = &["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/", "/run/shm/"];

/// Directories of the system's packaged programs and libraries (a file deleted there while it runs is
/// most often a package upgrade).
pub const SYSTEM_DIRS: &[&str] = &[
    "/usr/",
    "/bin/",
    "/sbin/",
    "/lib/",
    "/lib32/",
    "/lib64/",
    "/libx32/",
    "/opt/",
    "/snap/",
    "/nix/store/",
    "/gnu/store/",
];

/// Programs that execute from a sealed memfd to protect their own binary (runc's fix for
/// CVE-2019-5736 names it `runc_cloned:/proc/self/exe`), by the memfd's name prefix.
pub const SELF_CLONING_MEMFDS: &[&str] = &["runc_cloned:", "runc:"];

/// memfd names of JIT code caches mapped executable (the .NET and V8 double mappings).
pub const JIT_MEMFDS: &[&str] = &["doublemapper", "jit", "v8", "dotnet", "mono", "wasm"];

/// Libraries that are commonly preloaded on purpose (by coreutils' `stdbuf`, `fakeroot`,
/// `eatmydata`, allocators, sanitizers, VirtualGL, game overlays, `faketime`), by file-name prefix.
pub const BENIGN_PRELOADS: &[&str] = &[
    "libstdbuf",
    "libfakeroot",
    "libeatmydata",
    "libjemalloc",
    "libtcmalloc",
    "libmimalloc",
    "libfaketime",
    "libgtk3-nocsd",
    "libasan",
    "liblsan",
    "libtsan",
    "libubsan",
    "libvglfaker",
    "libdlfaker",
    "libgamemodeauto",
    "libMangoHud",
    "libmangohud",
    "gameoverlayrenderer",
    "libtrash",
    "libsnoopy",
    "libkeepalive",
    "libnss_wrapper",
    "libuid_wrapper",
    "libsocket_wrapper",
    "libproxychains",
    "libnvidia",
    "libmemusage",
    "libpcprofile",
    "libSegFault",
    "libhugetlbfs",
    "libvma",
    "libxcb-dri",
    "libautohbw",
];

/// True when `name` is in `list` or starts with one of `prefixes`.
pub fn listed(name: &[u8], list: &[&str], prefixes: &[&str]) -> bool {
    list.iter().any(|n| n.as_bytes() == name)
        || prefixes.iter().any(|p| name.starts_with(p.as_bytes()))
}

/// True for a shell.
pub fn is_shell(name: &[u8]) -> bool {
    listed(name, SHELLS, &[])
}

/// True for a shell, interpreter or network relay.
pub fn is_interpreter(name: &[u8]) -> bool {
    listed(name, SHELLS, &[]) || listed(name, INTERPRETERS, INTERPRETER_PREFIXES)
}

/// True for a network service.
pub fn is_service(name: &[u8]) -> bool {
    listed(name, SERVICES, SERVICE_PREFIXES)
}

/// True for a JIT runtime.
pub fn is_jit(name: &[u8]) -> bool {
    listed(name, JIT_RUNTIMES, JIT_PREFIXES)
}

/// True when `path` is under one of `dirs`.
pub fn under(path: &[u8], dirs: &[&'static str]) -> Option<&'static str> {
    dirs.iter()
        .find(|d| path.starts_with(d.as_bytes()))
        .copied()
}

/// The first hidden (dot) directory of `path`, not counting the file's own name.
pub fn hidden_dir(path: &[u8]) -> Option<&[u8]> {
    let dir = match path.iter().rposition(|b| *b == b'/') {
        Some(i) => &path[..i],
        None => return None,
    };
    dir.split(|b| *b == b'/')
        .find(|c| c.len() > 1 && c.starts_with(b".") && *c != b"..")
}

/// True for a path inside a home directory (`/home/<user>/...`, `/root/...`).
pub fn in_home(path: &[u8]) -> bool {
    path.starts_with(b"/root/")
        || path
            .strip_prefix(b"/home/")
            .is_some_and(|rest| rest.contains(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_places() {
        assert!(is_shell(b"bash") && !is_shell(b"bash5"));
        assert!(
            is_interpreter(b"python3.11") && is_interpreter(b"nc") && !is_interpreter(b"sleep")
        );
        assert!(is_service(b"php-fpm8.2") && is_service(b"nginx") && !is_service(b"sshd"));
        assert_eq!(hidden_dir(b"/root/.cargo/bin/cargo"), Some(&b".cargo"[..]));
        assert_eq!(hidden_dir(b"/tmp/x/.hidden"), None);
        assert_eq!(hidden_dir(b"/usr/lib/.x/y"), Some(&b".x"[..]));
        assert!(in_home(b"/home/a/.local/bin/x") && !in_home(b"/home/a") && !in_home(b"/usr/x"));
        assert_eq!(under(b"/dev/shm/x", WRITABLE_DIRS), Some("/dev/shm/"));
        assert_eq!(under(b"/tmpx/y", WRITABLE_DIRS), None);
    }
}
