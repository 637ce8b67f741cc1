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
    /// Present when the core was taken from a live process by `procsift gcore` (its `PROCSIFT` note):
    /// when, how long the process was stopped, and what the core lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveDump>,
    /// The mapped files (modules) the threads were unwound with, when they were unwound
    /// (`procsift core`, `threads --stack`): the build-id the core holds for each and which local file,
    /// if any, was used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<CoreModule>,
}

/// How a core of a live process was taken (`procsift gcore`'s `PROCSIFT` note).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveDump {
    /// What wrote it: `procsift gcore`.
    pub tool: String,
    /// When the process was stopped, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<crate::time::Timestamp>,
    /// How long the process was stopped, in milliseconds (first `PTRACE_INTERRUPT` to last detach).
    pub stopped_ms: f64,
    /// The `coredump_filter` bits that chose the mappings (`0x33` is the kernel's default).
    pub coredump_filter: u64,
    /// Every readable mapping was dumped (`--all`), whatever the filter.
    pub all: bool,
    /// The process was in a job-control stop (T) before, and was left so.
    pub was_stopped: bool,
    /// The threads dumped.
    pub threads: u32,
    /// `--max-size` in bytes, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// Ranges of memory the dump wanted but the core lacks (their segments hold no bytes: a reader
    /// shows zeros there that were not the process's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingMemory>,
}

/// A range of memory a live dump could not put in the core.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingMemory {
    /// First address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// `unreadable` (neither process_vm_readv nor /proc/PID/mem could read it) or `max_size` (left out
    /// by `--max-size`).
    pub reason: String,
    /// For an unreadable range, the errno of the failed read (`EIO`, `EFAULT`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<String>,
}

/// One mapped file of a core's process, as the unwinder found it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreModule {
    /// The path the core names it by (`NT_FILE`, FreeBSD `kve_path`).
    pub path: ByteString,
    /// Lowest start address of its mappings.
    pub start: u64,
    /// Highest end address of its mappings.
    pub end: u64,
    /// GNU build-id (hex) from the `NT_GNU_BUILD_ID` note of the ELF header page the core dumped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// Whether a local file was used and why: `used: build-id matches`, `used: headers match (no
    /// build-id)`, `used: debug file only`, `not found`, `not used: build-id mismatch`, `not used:
    /// nothing in the core to verify it against`, `not used: unreadable`.
    pub status: String,
    /// The local file found for it (used or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The separate debug file used (found by build-id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_file: Option<String>,
    /// Where it was looked for, or what differed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How many frames of the threads are in it.
    pub frames: u64,
}

/// One frame of a thread's call stack, innermost first (`threads[].frames[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The program counter: the thread's pc for the innermost frame, the return address for callers.
    pub pc: u64,
    /// The stack pointer in this frame, when known (inlined frames share their caller's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp: Option<u64>,
    /// The mapped file that holds `pc`, as the core names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<ByteString>,
    /// `pc` minus the address where the module's file offset 0 is mapped (what `coredumpctl` and
    /// `eu-stack` print as `module + offset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_offset: Option<u64>,
    /// The function (demangled), from DWARF or the symbol tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<ByteString>,
    /// `pc` minus the function symbol's address (not for inlined frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_offset: Option<u64>,
    /// Source file, from DWARF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<ByteString>,
    /// Source line, from DWARF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// True for a function inlined into the next frame (they share `pc` and `sp`).
    pub inlined: bool,
    /// How the frame was found: `context` (the thread's registers), `cfi` (`.eh_frame`/`.debug_frame`),
    /// `frame-pointer`, or `scan` (a return address found on the stack after a call instruction).
    pub found_by: String,
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
