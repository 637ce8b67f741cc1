//! `manifest.json`: the last member of a snapshot archive.
//!
//! It records who captured what, when and where, the host facts needed to decode the records offline, and
//! for every member its size and SHA-256 — or the error that kept it from being read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::abi::{DataModel, Endianness};
use crate::time::Timestamp;

/// Name of the manifest member.
pub const MANIFEST_NAME: &str = "manifest.json";

/// Version of the archive layout written by this build.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest of a snapshot archive (format version 1).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Archive format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Name of the tool that wrote the archive (`procsift`).
    pub tool: String,
    /// Version of that tool.
    pub tool_version: String,
    /// The host the records were read on.
    pub host: ManifestHost,
    /// The capture run.
    pub capture: ManifestCapture,
    /// Processes that vanished while they were being captured.
    #[serde(default)]
    pub vanished: Vec<i32>,
    /// The process events recorded during the capture, or why none were; absent in archives written
    /// before events were recorded, and in captures that did not ask for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<ManifestEvents>,
    /// The cores of live processes the capture was asked for (`capture --core`), each stored as the
    /// member [`core_member`] or with the reason it could not be taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cores: Vec<ManifestCore>,
    /// What the capture counted of the processes it stored (Linux captures; absent in archives written
    /// before, and in captures of other systems): written before `members`, so that `info` reads it
    /// without reading any process ([`parse_head`]); `verify` checks it against the members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<Totals>,
    /// One SHA-256 per process of a Linux capture (lower-case hex, by pid), over what this manifest
    /// records of each of its members below `proc/<pid>/` (see [`super::digests`]): equal digests in
    /// two captures mean the same members, so `diff` tells the unchanged processes from the two
    /// manifests without reading them (it trusts the digests as `info` trusts `totals`; `verify`
    /// checks them against the member list). Absent in archives written before, and in captures of
    /// other systems; written before `members`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_digests: Option<BTreeMap<i32, String>>,
    /// Every member that was attempted, in archive order (including ones whose read failed). Written
    /// last, so that a reader that has the member index (which lists the failed members too) stops
    /// reading the manifest before it ([`parse_head`]).
    pub members: Vec<ManifestMember>,
}

/// The manifest's `totals`: the processes, threads and open files of a Linux capture, counted at
/// capture from the members it stored by the rules `info` counts by ([`super::totals`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Processes: the `proc/<pid>` directories whose `stat` or `status` decodes.
    pub processes: u64,
    /// Threads of the processes whose threads are known; absent when no process's are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u64>,
    /// Open files (numeric `fd/<n>` links) of the processes whose descriptors were listed; absent when
    /// no process's were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_files: Option<u64>,
    /// The pids whose `stat` does not decode or names another pid, or whose `status` does not decode
    /// where it is read: the processes `info` reads besides those the events name, to warn about them
    /// as a read of every process does. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub irregular: Vec<i32>,
}

/// The member a core of process `pid` is stored as: `cores/<pid>.core`.
pub fn core_member(pid: i32) -> String {
    format!("cores/{pid}.core")
}

/// One core of a live process asked for by `capture --core` (written by `procsift gcore`'s code, ELF
/// `ET_CORE`; its size and SHA-256 are in the member list like every member's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestCore {
    /// The process.
    pub pid: i32,
    /// The member holding the core ([`core_member`]), when it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Why it was not taken (no such process, not permitted, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Threads dumped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    /// How long the process was stopped, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_ms: Option<f64>,
    /// What the dump said (ranges it could not read, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Member holding the process connector's messages as received (see [`super::event_records`] for its
/// container format).
pub const EVENTS_RAW_MEMBER: &str = "events/cn_proc.bin";
/// Member that earlier procsift 0.1 archives held beside the raw one: the same events decoded,
/// one JSON object per line. No longer written (an archive holds raw members only; `events --format
/// ndjson` derives the decoded form); ignored when read.
pub const EVENTS_DECODED_MEMBER: &str = "events/events.jsonl";

/// The manifest's `events` section: whether the capture recorded process events, and how to read them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ManifestEvents {
    /// True when the capture listened to the process connector from before the scan until after it (plus
    /// `watch_secs`).
    pub recorded: bool,
    /// Where the events come from: `cn_proc` (Linux process connector, netlink).
    pub source: String,
    /// Why events were not recorded (`bind: EPERM: needs CAP_NET_ADMIN`, ...), or what ended the
    /// recording early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The raw member ([`EVENTS_RAW_MEMBER`]), when events were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The decoded member ([`EVENTS_DECODED_MEMBER`]) of archives written by earlier versions; absent
    /// since, and never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded_member: Option<String>,
    /// Process events received (acknowledgements not counted).
    #[serde(default)]
    pub count: u64,
    /// Times `recv` failed with ENOBUFS: the kernel dropped events there (how many is unknown).
    #[serde(default)]
    pub lost: u64,
    /// Seconds the capture went on listening after the scan (`--watch`).
    #[serde(default)]
    pub watch_secs: f64,
    /// When the subscription was acknowledged, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Timestamp>,
    /// When the capture stopped listening, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribed: Option<Timestamp>,
    /// The clocks read together at subscription: they place the events' CLOCK_MONOTONIC timestamps on the
    /// wall clock and on the boot clock of `/proc/<pid>/stat` start times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<EventClock>,
}

/// Three clocks read back to back.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventClock {
    /// CLOCK_MONOTONIC, nanoseconds (the clock of `proc_event.timestamp_ns`).
    pub monotonic_ns: u64,
    /// CLOCK_BOOTTIME, nanoseconds (the clock of process start times; it also counts suspended time).
    pub boottime_ns: u64,
    /// CLOCK_REALTIME, UTC.
    pub utc: Timestamp,
}

impl EventClock {
    /// The UTC time of CLOCK_MONOTONIC instant `ns`.
    pub fn utc_of(&self, ns: u64) -> Option<Timestamp> {
        let delta = ns as i128 - self.monotonic_ns as i128;
        let total = i128::from(self.utc.secs) * 1_000_000_000 + i128::from(self.utc.nanos) + delta;
        Some(Timestamp {
            secs: i64::try_from(total.div_euclid(1_000_000_000)).ok()?,
            nanos: u32::try_from(total.rem_euclid(1_000_000_000)).ok()?,
        })
    }

    /// Seconds since boot (CLOCK_BOOTTIME) of CLOCK_MONOTONIC instant `ns`.
    pub fn boot_secs_of(&self, ns: u64) -> f64 {
        (ns as f64 + self.boottime_ns as f64 - self.monotonic_ns as f64) / 1e9
    }
}

/// Host facts recorded at capture time.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ManifestHost {
    /// uname nodename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// uname sysname (`Linux`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysname: Option<String>,
    /// uname release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// uname version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// uname machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// os-release PRETTY_NAME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release: Option<String>,
    /// `little` or `big`: the byte order of binary records.
    pub byte_order: String,
    /// `ilp32` or `lp64`: the data model of the capturing binary (the layout of Solaris /proc files).
    pub data_model: String,
    /// sysconf(_SC_PAGESIZE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    /// sysconf(_SC_CLK_TCK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clk_tck: Option<u64>,
    /// Boot time, UTC (`btime` of /proc/stat on Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_time: Option<Timestamp>,
    /// /proc/sys/kernel/random/boot_id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Solaris and illumos: the zone the capture ran in, as zonename(1) prints it (`global`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zonename: Option<String>,
}

impl ManifestHost {
    /// [`ManifestHost::byte_order`] as an [`Endianness`]; `None` when it is neither `little` nor `big`
    /// (the manifest is kept as written, so a damaged one still reads).
    pub fn endianness(&self) -> Option<Endianness> {
        Endianness::from_name(&self.byte_order)
    }

    /// [`ManifestHost::data_model`] as a [`DataModel`]; `None` when it is neither `ilp32` nor `lp64`.
    pub fn model(&self) -> Option<DataModel> {
        DataModel::from_name(&self.data_model)
    }
}

/// The capture run: window, options and chain of custody.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ManifestCapture {
    /// UTC wall-clock time when the capture started (before the event subscription), read at the same
    /// moment as `started_boottime`.
    pub started: Option<Timestamp>,
    /// UTC wall-clock time when the capture finished (after the scan), read at the same moment as
    /// `finished_boottime`.
    pub finished: Option<Timestamp>,
    /// Seconds since boot (CLOCK_BOOTTIME) when the capture started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_boottime: Option<f64>,
    /// Seconds since boot (CLOCK_BOOTTIME) when the capture finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_boottime: Option<f64>,
    /// Whether environments were left out (`--no-environ`).
    #[serde(default)]
    pub no_environ: bool,
    /// What was read of each process: `full`, or `minimal` (`--profile minimal`: stat, status, cmdline,
    /// exe, fd links, the net namespace link and the socket tables; nothing else). Absent in archives
    /// written before it was recorded, which are all `full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Case identifier (`--case`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// Examiner (`--examiner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    /// Free-text note (`--note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The command line that ran the capture.
    #[serde(default)]
    pub command: Vec<String>,
    /// The capturing procsift process's own pid, as the captured records name it (Linux: the
    /// `/proc/self` link of the /proc it read; NetBSD and Solaris: getpid(2)); absent when it could not
    /// be told (a /proc of another pid namespace, a /proc tree that is not the host's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The capture plan that chose and named the members: `linux`, `solaris` or `netbsd` (the layout of
    /// the archive, whatever `host.sysname` says). Absent in archives written before it was recorded,
    /// which are all `linux`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// NetBSD: the element size each array sysctl was asked for (the `elem_size` of its MIB), by
    /// structure: `kinfo_proc2`, `kinfo_lwp`, `kinfo_file`, `kinfo_pcb`. The records of the
    /// `sysctl/...` members are that many bytes apart.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub elem_sizes: std::collections::BTreeMap<String, u64>,
}

/// Kind of an archive member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// A regular file: the bytes read until EOF.
    File,
    /// A symbolic link: the bytes readlink returned.
    Symlink,
    /// A directory the capture had to open or list (`proc/1234`, `proc/1234/fd`); it appears in the
    /// manifest only when that failed, with the error.
    Directory,
}

/// One member attempted by the capture.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestMember {
    /// Path inside the archive (`proc/1234/stat`).
    pub path: String,
    /// File or symbolic link.
    pub kind: MemberKind,
    /// Size in bytes of what was stored (absent when the read failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256 of the stored bytes (link target for links), lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why the member could not be read (`ENOENT`, `EACCES`, `ESRCH`, `timeout`, ...); nothing is stored then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The manifest as the analysis needs it: every field, but of the member list only the members whose read
/// failed (the intact members are in the archive itself). Parsing it skips the hash and size of every
/// intact member, which is most of a big manifest; [`Manifest`] parsed in full is for `verify`.
pub fn parse_light(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
    use std::borrow::Cow;

    #[derive(Deserialize)]
    struct LightMember<'a> {
        #[serde(borrow)]
        path: Cow<'a, str>,
        kind: MemberKind,
        #[serde(default, borrow)]
        error: Option<Cow<'a, str>>,
    }
    #[derive(Deserialize)]
    struct Light<'a> {
        format_version: u32,
        tool: String,
        tool_version: String,
        host: ManifestHost,
        capture: ManifestCapture,
        #[serde(borrow)]
        members: Vec<LightMember<'a>>,
        #[serde(default)]
        vanished: Vec<i32>,
        #[serde(default)]
        events: Option<ManifestEvents>,
        #[serde(default)]
        cores: Vec<ManifestCore>,
        #[serde(default)]
        totals: Option<Totals>,
        #[serde(default)]
        process_digests: Option<BTreeMap<i32, String>>,
    }
    let l: Light<'_> = serde_json::from_slice(bytes)?;
    Ok(Manifest {
        format_version: l.format_version,
        tool: l.tool,
        tool_version: l.tool_version,
        host: l.host,
        capture: l.capture,
        members: l
            .members
            .into_iter()
            .filter_map(|m| {
                Some(ManifestMember {
                    path: m.path.into_owned(),
                    kind: m.kind,
                    size: None,
                    sha256: None,
                    error: Some(m.error?.into_owned()),
                })
            })
            .collect(),
        vanished: l.vanished,
        events: l.events,
        cores: l.cores,
        totals: l.totals,
        process_digests: l.process_digests,
    })
}

/// The manifest without its member list: every field before `members` (which procsift writes last,
/// since the member index came), read without reading the list; `members` is left empty. For
/// archives with a member index, which lists the failed members itself. A manifest whose fields do
/// not come in that order loses the fields after its list (they are read by [`parse_light`]).
/// `process_digests` is skipped (left `None`): [`parse_head_digests`] reads it too.
pub fn parse_head(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
    parse_head_with(bytes, false)
}

/// [`parse_head`] with the `process_digests` read (what `diff` needs before it reads the processes).
pub fn parse_head_digests(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
    parse_head_with(bytes, true)
}

fn parse_head_with(bytes: &[u8], digests: bool) -> Result<Manifest, serde_json::Error> {
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    /// What has been read so far; kept when the read stops at `members`.
    #[derive(Default)]
    struct Head {
        format_version: Option<u32>,
        tool: Option<String>,
        tool_version: Option<String>,
        host: Option<ManifestHost>,
        capture: Option<ManifestCapture>,
        vanished: Vec<i32>,
        events: Option<ManifestEvents>,
        cores: Vec<ManifestCore>,
        totals: Option<Totals>,
        process_digests: Option<BTreeMap<i32, String>>,
        digests: bool,
        stopped: bool,
    }
    struct Seed<'h>(&'h mut Head);
    /// The message of the error that stops the read at `members` (never shown).
    const STOP: &str = "procsift: stop at the member list";
    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a manifest object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let h = self.0;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "format_version" => h.format_version = Some(map.next_value()?),
                    "tool" => h.tool = Some(map.next_value()?),
                    "tool_version" => h.tool_version = Some(map.next_value()?),
                    "host" => h.host = Some(map.next_value()?),
                    "capture" => h.capture = Some(map.next_value()?),
                    "vanished" => h.vanished = map.next_value()?,
                    "events" => h.events = map.next_value()?,
                    "cores" => h.cores = map.next_value()?,
                    "totals" => h.totals = map.next_value()?,
                    "process_digests" if h.digests => h.process_digests = map.next_value()?,
                    "members" => {
                        h.stopped = true;
                        return Err(de::Error::custom(STOP));
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut head = Head {
        digests,
        ..Head::default()
    };
    let mut d = serde_json::Deserializer::from_slice(bytes);
    match Seed(&mut head).deserialize(&mut d) {
        Ok(()) => d.end()?,
        Err(_) if head.stopped => {}
        Err(e) => return Err(e),
    }
    let missing = |f: &'static str| <serde_json::Error as de::Error>::missing_field(f);
    Ok(Manifest {
        format_version: head
            .format_version
            .ok_or_else(|| missing("format_version"))?,
        tool: head.tool.ok_or_else(|| missing("tool"))?,
        tool_version: head.tool_version.ok_or_else(|| missing("tool_version"))?,
        host: head.host.ok_or_else(|| missing("host"))?,
        capture: head.capture.ok_or_else(|| missing("capture"))?,
        vanished: head.vanished,
        events: head.events,
        cores: head.cores,
        totals: head.totals,
        process_digests: head.process_digests,
        members: Vec::new(),
    })
}
