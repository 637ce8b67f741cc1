//! Host facts and the provenance of a snapshot.

use serde::{Deserialize, Serialize};

use crate::abi::{DataModel, Endianness};
use crate::time::Timestamp;

/// What kind of input a snapshot was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// The live host's /proc, read now.
    #[default]
    Live,
    /// A procsift snapshot archive (tar, possibly compressed).
    Archive,
    /// A directory shaped like /proc, or an extracted snapshot.
    Directory,
    /// An ELF core file.
    Core,
}

/// Where a snapshot came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Source {
    /// The kind of input.
    pub kind: InputKind,
    /// The path given on the command line (`/proc` for the live host).
    pub path: String,
    /// The operating system the records were written by (`linux`, `solaris`, `netbsd`, `freebsd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// Facts about the host, needed to interpret its records offline.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Host {
    /// Host name (uname nodename).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Kernel name (uname sysname: `Linux`, `SunOS`, `NetBSD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysname: Option<String>,
    /// Kernel release (uname release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Kernel version string (uname version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Hardware name (uname machine: `x86_64`, `aarch64`, `sun4v`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// Distribution name from os-release PRETTY_NAME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release: Option<String>,
    /// Byte order of the records: `little` or `big`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_order: Option<Endianness>,
    /// Data model of the records: `ilp32` or `lp64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_model: Option<DataModel>,
    /// Page size in bytes (sysconf(_SC_PAGESIZE)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    /// Clock ticks per second (sysconf(_SC_CLK_TCK)), the unit of /proc/<pid>/stat times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clk_tck: Option<u64>,
    /// Boot time, UTC (Linux: `btime` in /proc/stat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_time: Option<Timestamp>,
    /// Boot id (Linux: /proc/sys/kernel/random/boot_id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Seconds since boot when the records were read (Linux: first field of /proc/uptime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_secs: Option<f64>,
    /// Load averages over 1, 5 and 15 minutes (/proc/loadavg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loadavg: Option<[f64; 3]>,
    /// Total memory in KiB (/proc/meminfo MemTotal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_total_kib: Option<u64>,
    /// Available memory in KiB (/proc/meminfo MemAvailable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_available_kib: Option<u64>,
    /// Number of CPUs (`cpuN` lines of /proc/stat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncpu: Option<u32>,
}

/// Clock ticks per second a real host may have: Linux USER_HZ is 100 (1024 on alpha), Solaris 100 or 1000
/// (`hires_tick`); more than this is no clock.
pub const MAX_CLK_TCK: u64 = 1_000_000;
/// Page sizes a real host may have (a power of two in this range: 4 KiB to 64 KiB in practice).
pub const PAGE_SIZES: std::ops::RangeInclusive<u64> = 256..=(1 << 30);
/// Boot times a real host may have: from the epoch to the last second of year 9999.
pub const BOOT_SECS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799;

impl Host {
    /// Removes the host facts no real host has (zero or huge clock ticks, a page size that is no power of
    /// two or out of [`PAGE_SIZES`], a boot time outside [`BOOT_SECS`], a negative or non-finite uptime),
    /// so that no computation is made with them: each becomes unknown, with a warning naming `member`
    /// (the manifest, or the file the fact was read from).
    pub fn drop_impossible(&mut self, member: &str) -> Vec<super::Warning> {
        let mut out = Vec::new();
        let mut warn = |what: &str, value: String| {
            out.push(super::Warning::member(
                member,
                format!("{what} {value} is impossible; treated as unknown"),
            ));
        };
        if let Some(t) = self.clk_tck.filter(|t| !(1..=MAX_CLK_TCK).contains(t)) {
            warn("clock ticks per second", t.to_string());
            self.clk_tck = None;
        }
        if let Some(p) = self
            .page_size
            .filter(|p| !p.is_power_of_two() || !PAGE_SIZES.contains(p))
        {
            warn("page size", p.to_string());
            self.page_size = None;
        }
        if let Some(t) = self.boot_time.filter(|t| !BOOT_SECS.contains(&t.secs)) {
            warn("boot time", format!("{} s since the epoch", t.secs));
            self.boot_time = None;
        }
        if let Some(u) = self.uptime_secs.filter(|u| !(u.is_finite() && *u >= 0.0)) {
            warn("uptime", u.to_string());
            self.uptime_secs = None;
        }
        out
    }
}

/// The capture run that produced a snapshot archive (from its manifest).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaptureInfo {
    /// procsift version that captured.
    pub tool_version: String,
    /// Archive format version.
    pub format_version: u32,
    /// UTC time the capture started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// UTC time the capture finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
    /// Case identifier (chain of custody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// Who captured (chain of custody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    /// Free-text note (chain of custody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What was read of each process: `full` or `minimal` (`capture --profile`; the manifest's
    /// `capture.profile`); absent for archives that do not record it (all full).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Number of members in the archive.
    pub members: u64,
    /// Members whose read failed, by error name (`ENOENT`, `EACCES`, `timeout`, ...).
    pub read_errors: std::collections::BTreeMap<String, u64>,
    /// Processes that vanished while they were being captured.
    pub vanished: Vec<i32>,
    /// The pid of the procsift process that captured, as the captured records name it (manifest
    /// `capture.pid`); absent when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
}
