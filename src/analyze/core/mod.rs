//! ELF cores → model: one process, its threads with their registers, its memory map, and the crash.
//!
//! The notes are decoded by [`crate::formats::elfcore`] (and [`crate::formats::solaris`] for illumos);
//! this module decides which source each value of the model comes from, records that choice in
//! `core.provenance` where there is more than one candidate, and recovers what the notes truncate: the
//! full argv and environment, read from the dumped stack ([`stack`]). One submodule per system that
//! writes cores: [`linux`], [`freebsd`], [`netbsd`], [`solaris`].

mod freebsd;
mod linux;
mod netbsd;
mod solaris;
mod stack;

use crate::abi::DataModel;
use crate::bytes::ByteString;
use crate::formats::elfcore::{
    self, Core, CoreError, CoreWarning, Flavor, Segment, auxv, nt, regs::Registers,
};
use crate::formats::signals::{self, Numbering};
use crate::model::{
    AuxEntry, CoreInfo, Host, InputKind, Mapping, Memory, NoteSummary, Process, Provenance,
    Register, SignalAction, Snapshot, Source, Thread, Warning,
};

/// What one system's conversion fills in.
pub(super) struct Out {
    /// The dumped process.
    pub(super) p: Process,
    /// Its mappings (the `PT_LOAD` segments to begin with).
    pub(super) maps: Vec<Mapping>,
    /// The core's own facts.
    pub(super) info: CoreInfo,
    /// What the core says about its host.
    pub(super) host: Host,
    /// Problems met.
    pub(super) warnings: Vec<CoreWarning>,
}

impl Out {
    /// Records where `field` came from.
    pub(super) fn prov(&mut self, field: &str, source: impl Into<String>) {
        self.info.provenance.push(Provenance {
            field: field.into(),
            source: source.into(),
        });
    }
}

/// Analyzes the core in `bytes`; `path` names it in the model and in messages. The threads are not
/// unwound (see [`analyze_with_stacks`]).
pub fn analyze(bytes: &[u8], path: &str) -> Result<Snapshot, CoreError> {
    let core = Core::parse(bytes)?;
    Ok(build(&core, path))
}

/// Analyzes the core as [`analyze`] does, and unwinds every thread ([`crate::unwind`]) with the module
/// files `modules` finds: each thread gets its `frames`, the core its `modules`, and problems are
/// warnings.
pub fn analyze_with_stacks(
    bytes: &[u8],
    path: &str,
    modules: &dyn crate::unwind::ModuleProvider,
) -> Result<Snapshot, CoreError> {
    let core = Core::parse(bytes)?;
    let mut snapshot = build(&core, path);
    let memory = core.memory();
    if let (Some(info), Some(p)) = (snapshot.core.as_mut(), snapshot.processes.first_mut()) {
        let maps = p.maps.clone().unwrap_or_default();
        let input = crate::unwind::Input {
            arch: &info.arch,
            is_64: core.is_64,
            endian: core.endian,
            memory: &memory,
            maps: &maps,
            auxv: info.auxv.iter().map(|a| (a.kind, a.value)).collect(),
        };
        let outcome =
            crate::unwind::unwind(&input, p.threads.as_deref_mut().unwrap_or(&mut []), modules);
        info.modules = outcome.modules;
        info.provenance.push(Provenance {
            field: "threads[].frames".into(),
            source: format!(
                "unwound from the registers and the dumped stack; module files {}",
                outcome.searched
            ),
        });
        snapshot.warnings.extend(outcome.warnings);
    }
    Ok(snapshot)
}

/// The model of a parsed core.
fn build(core: &Core<'_>, path: &str) -> Snapshot {
    let info = CoreInfo {
        os: core.flavor.os_name().into(),
        arch: core.machine_name().into(),
        elf_class: if core.is_64 { 64 } else { 32 },
        byte_order: core.endian,
        notes: core.notes.iter().map(|n| note_summary(core, n)).collect(),
        signal: None,
        kernel: None,
        auxv: Vec::new(),
        provenance: Vec::new(),
        mappings_omitted: None,
        live: None,
        modules: Vec::new(),
    };
    let mut out = Out {
        p: Process {
            pid: Process::PID_UNKNOWN,
            ..Process::default()
        },
        maps: segments_as_maps(&core.segments),
        info,
        host: Host {
            machine: Some(core.machine_name().into()),
            byte_order: Some(core.endian),
            data_model: Some(DataModel::from_is_64(core.is_64)),
            ..Host::default()
        },
        warnings: core.warnings.clone(),
    };
    match core.flavor {
        Flavor::Linux => linux::process(core, &mut out),
        Flavor::FreeBsd => freebsd::process(core, &mut out),
        Flavor::NetBsd => netbsd::process(core, &mut out),
        Flavor::Illumos => solaris::process(core, &mut out),
    }
    let Out {
        mut p,
        mut maps,
        info,
        mut host,
        warnings,
    } = out;
    maps.sort_by_key(|m| (m.start, m.end));
    // The virtual size is every listed mapping, whether or not the core holds its bytes.
    p.memory
        .get_or_insert_with(Memory::default)
        .vsz_kib
        .get_or_insert(
            maps.iter()
                .map(|m| m.end.saturating_sub(m.start))
                .fold(0u64, u64::saturating_add)
                / 1024,
        );
    p.maps = Some(maps);
    if let Some(threads) = &p.threads {
        p.nlwp.get_or_insert(threads.len() as u32);
    }
    host.machine = Some(info.arch.clone());
    let mut snapshot = Snapshot {
        events: None,
        source: Source {
            kind: InputKind::Core,
            path: path.into(),
            os: Some(info.os.clone()),
        },
        host,
        capture: None,
        core: Some(info),
        processes: vec![p],
        warnings: warnings.into_iter().map(to_warning).collect(),
    };
    snapshot.sort();
    snapshot
}

fn to_warning(w: CoreWarning) -> Warning {
    Warning {
        member: w.what,
        offset: Some(w.offset),
        message: w.message,
    }
}

fn note_summary(core: &Core<'_>, n: &elfcore::Note<'_>) -> NoteSummary {
    NoteSummary {
        owner: n.owner(),
        kind: n.n_type,
        name: nt::name(core.flavor, core.machine, n.name, n.n_type).map(str::to_owned),
        size: n.desc.len() as u64,
        offset: n.offset,
    }
}

/// One mapping per `PT_LOAD`, with what the core holds of it.
fn segments_as_maps(segments: &[Segment]) -> Vec<Mapping> {
    segments
        .iter()
        .map(|s| Mapping {
            start: s.vaddr,
            end: s.vaddr.saturating_add(s.memsz),
            perms: s.perms(),
            dumped_bytes: Some(s.filesz),
            dump_note: if s.flags & elfcore::PF_SUNW_FAILURE != 0 {
                Some("PF_SUNW_FAILURE: the kernel could not dump this range".into())
            } else if s.flags & elfcore::PF_SUNW_KILLED != 0 {
                Some("PF_SUNW_KILLED: the process was killed while this range was dumped".into())
            } else if s.filesz < s.filesz_claimed {
                Some("truncated: the core ends before this range's contents".into())
            } else {
                None
            },
            ..Mapping::default()
        })
        .collect()
}

/// The most gaps between segments one file-mapping list may add (a bound on hostile input).
const MAX_ADDED_MAPPINGS: usize = 1 << 16;

/// Adds, for each named range (`start`, `end`, file offset, path) that the segments do not cover, a
/// mapping the core holds no bytes of: a writer that leaves a mapping out of its segments (gdb's `gcore`
/// skips read-only file mappings) still names it in `NT_FILE`. Returns how many were added.
pub(super) fn add_unlisted(
    maps: &mut Vec<Mapping>,
    files: &[(u64, u64, u64, &[u8])],
    note: &str,
    warnings: &mut Vec<CoreWarning>,
) -> usize {
    // The union of the mappings already listed, as sorted disjoint ranges.
    let mut covered: Vec<(u64, u64)> = maps
        .iter()
        .filter(|m| m.end > m.start)
        .map(|m| (m.start, m.end))
        .collect();
    covered.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(covered.len());
    for (s, e) in covered {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut added = Vec::new();
    'files: for &(start, end, offset, path) in files {
        if end <= start {
            continue;
        }
        let mut cursor = start;
        let mut i = merged.partition_point(|r| r.1 <= start);
        while cursor < end {
            let gap_end = match merged.get(i) {
                Some(&(s, _)) if s < end => s,
                _ => end,
            };
            if gap_end > cursor {
                if added.len() >= MAX_ADDED_MAPPINGS {
                    warnings.push(CoreWarning::new(
                        note,
                        0,
                        format!(
                            "more than {MAX_ADDED_MAPPINGS} ranges without a segment: the rest are left out"
                        ),
                    ));
                    break 'files;
                }
                added.push(Mapping {
                    start: cursor,
                    end: gap_end,
                    perms: String::new(),
                    offset: offset.saturating_add(cursor - start),
                    path: Some(ByteString::from(path)),
                    dumped_bytes: Some(0),
                    dump_note: Some(format!(
                        "not dumped: {note} names this mapping, the core has no segment for it"
                    )),
                    ..Mapping::default()
                });
            }
            match merged.get(i) {
                Some(&(s, e)) if s < end => {
                    cursor = cursor.max(e);
                    i += 1;
                }
                _ => break,
            }
        }
    }
    let n = added.len();
    maps.extend(added);
    n
}

fn registers(r: &Registers) -> Vec<Register> {
    r.values
        .iter()
        .map(|(n, v)| Register {
            name: (*n).into(),
            value: *v,
        })
        .collect()
}

pub(super) fn thread_from_regs(tid: i32, signal: i32, r: &Registers) -> Thread {
    Thread {
        tid,
        signal: Some(signal),
        pc: r.pc,
        sp: r.sp,
        registers: Some(registers(r)),
        ..Thread::default()
    }
}

pub(super) fn aux_entries(
    flavor: Flavor,
    pairs: &[(u64, u64)],
    mem: &elfcore::Memory<'_>,
) -> Vec<AuxEntry> {
    // The types whose value points at a string, per system.
    let stringy = |t: u64| match flavor {
        Flavor::Linux => matches!(t, 15 | 24 | 31),
        Flavor::FreeBsd => t == 15,
        Flavor::Illumos | Flavor::NetBsd => matches!(t, 2006 | 2008 | 2014 | 2019),
    };
    pairs
        .iter()
        .map(|&(kind, value)| AuxEntry {
            name: auxv::name(flavor, kind).map(str::to_owned),
            kind,
            value,
            string: stringy(kind)
                .then(|| mem.cstr(value, 4096))
                .flatten()
                .map(ByteString::from),
        })
        .collect()
}

/// A signal set as a hex mask (bit n-1 = signal n), 16 digits like Linux's status file, more when a
/// 128-bit set has higher bits.
pub(super) fn hex_mask(v: u128) -> String {
    format!("{v:016x}")
}

/// The signal sets a core records for its process, bit n-1 = signal n; `None` where it records none.
#[derive(Default)]
pub(super) struct SignalSets {
    /// How many signals the sets describe (the width of the system's `sigset_t` in the core).
    pub(super) count: u32,
    /// Signals caught by a handler.
    pub(super) caught: Option<u128>,
    /// Signals ignored.
    pub(super) ignored: Option<u128>,
    /// Signals blocked (the signalled or main thread's mask).
    pub(super) blocked: Option<u128>,
    /// Signals pending.
    pub(super) pending: Option<u128>,
}

/// One [`SignalAction`] per signal the sets describe, as the `signals` report lists them: the action
/// when the core records dispositions (`caught`, `ignored` or `default`; empty when it does not), with
/// blocked and pending.
pub(super) fn signal_table(numbering: Numbering, sets: &SignalSets) -> Vec<SignalAction> {
    let bit = |set: Option<u128>, i: u32| set.map(|m| m >> i & 1 == 1);
    (0..sets.count.min(128))
        .map(|i| {
            let signal = i as i32 + 1;
            let action = match (bit(sets.caught, i), bit(sets.ignored, i)) {
                (Some(true), _) => "caught",
                (_, Some(true)) => "ignored",
                (Some(false), _) | (_, Some(false)) => "default",
                (None, None) => "",
            };
            SignalAction {
                signal,
                name: signals::name(numbering, signal),
                action: action.into(),
                blocked: bit(sets.blocked, i),
                pending: bit(sets.pending, i),
                ..SignalAction::default()
            }
        })
        .collect()
}
