//! What a core file says beyond the process itself: the crash, the notes, and where each value came from.

use serde::{Deserialize, Serialize};

use crate::abi::Endianness;
use crate::bytes::ByteString;

/// Facts about the core file (`snapshot.core`, present only when the input is a core).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CoreInfo {
    /// The system that wrote the core: `linux`, `solaris`, `freebsd`, `netbsd`.
    pub os: String,
    /// The process's architecture and ABI (`x86_64`, `i386`, `mips-n32`, `sparc64`, ...).
    pub arch: String,
    /// 32 or 64 (`EI_CLASS`).
    pub elf_class: u8,
    /// `little` or `big` (`EI_DATA`).
    pub byte_order: Endianness,
    /// The signal that ended the process, if the core records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<CoreSignal>,
    /// The kernel's version as the core records it (FreeBSD `pr_osreldate`; illumos utsname).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The auxiliary vector.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auxv: Vec<AuxEntry>,
    /// Every note, in file order.
    pub notes: Vec<NoteSummary>,
    /// Present when the core may leave mappings out of its list, saying why (gdb's `gcore` writes no
    /// segment for what it does not dump; FreeBSD without `NT_PROCSTAT_VMMAP` lists only what it dumped):
    /// an address in no listed mapping is then "not in the core's mappings", not "not mapped".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mappings_omitted: Option<String>,
    /// Where the values of the process came from, for values with more than one possible source
    /// (`argv`, `pid`, `environment`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<Provenance>,
}

/// The signal that caused the dump.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CoreSignal {
    /// Signal number (`si_signo`, `pr_cursig`, `cpi_signo`).
    pub number: i32,
    /// Its name on the system that wrote the core (`SIGSEGV`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `si_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// `si_code` explained (`SEGV_MAPERR: address not mapped`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_name: Option<String>,
    /// `si_errno`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<i32>,
    /// The faulting address (`si_addr`), for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_address: Option<u64>,
    /// The process that sent the signal (`si_pid`), for signals sent by kill(2) and friends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_pid: Option<i32>,
    /// The sender's uid (`si_uid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_uid: Option<u32>,
    /// The thread that took the signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i32>,
    /// The note the signal was read from (`NT_SIGINFO`, `NT_PRSTATUS pr_cursig`, ...).
    pub source: String,
}

/// One auxiliary vector entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuxEntry {
    /// `AT_*` name on the system that wrote the core, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `a_type`.
    pub kind: u64,
    /// `a_val`.
    pub value: u64,
    /// The string the value points to, for `AT_EXECFN`, `AT_PLATFORM`, `AT_EXECPATH`, `AT_SUN_EXECNAME`,
    /// ..., when the core holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<ByteString>,
}

/// One note of the core.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteSummary {
    /// Owner name (`CORE`, `LINUX`, `FreeBSD`, `NetBSD-CORE@1`).
    pub owner: String,
    /// `n_type`.
    pub kind: u32,
    /// `NT_*` name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Descriptor size in bytes.
    pub size: u64,
    /// File offset of the note header.
    pub offset: u64,
}

/// Where one value of the model came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The model field (`argv`, `env`, `pid`, `threads[].name`, ...).
    pub field: String,
    /// Its source, in words (`stack memory at 0x7ffc8354c1a8, found through NT_AUXV`).
    pub source: String,
}
