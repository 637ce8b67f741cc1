//! The supervising side's bookkeeping: every member goes to the sink and into the manifest (size and
//! SHA-256 of what was stored, or the error), with counts for the summary and progress on stderr.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::engine::{Event, Handler};
use super::sink::Sink;
use crate::snapshot::manifest::{ManifestMember, MemberKind};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Receives the engine's events in order and records them.
pub struct Recorder<S: Sink> {
    /// Where member bytes go.
    pub sink: S,
    /// The manifest's member list, in archive order.
    pub members: Vec<ManifestMember>,
    /// Processes that vanished mid-capture.
    pub vanished: Vec<i32>,
    /// Members stored (files and links).
    pub stored: u64,
    /// Members whose read failed.
    pub failed: u64,
    /// Failures by error name.
    pub read_errors: BTreeMap<String, u64>,
    /// Process units finished.
    pub processes_done: u64,
    /// Copies of the members named in `keep` (host facts are parsed from them afterwards).
    pub kept: HashMap<String, Vec<u8>>,
    /// When set (by a signal handler), the next event fails the capture with `Interrupted`: the
    /// archive's temporary file is then removed and nothing appears at the output name.
    pub cancel: Option<&'static std::sync::atomic::AtomicBool>,
    /// The process totals, counted as members are stored when set (Linux captures: the manifest's
    /// `totals`).
    pub tally: Option<crate::snapshot::totals::Tally>,
    keep: &'static [&'static str],
    is_process: Box<dyn Fn(usize) -> bool>,
    progress: Progress,
}

impl<S: Sink> Recorder<S> {
    /// A recorder writing into `sink`. `keep` names members to keep a copy of; `is_process` tells process
    /// units from others; `progress` draws "captured N/total processes" on stderr.
    pub fn new(
        sink: S,
        keep: &'static [&'static str],
        is_process: Box<dyn Fn(usize) -> bool>,
        progress: bool,
        total: usize,
    ) -> Self {
        Recorder {
            sink,
            members: Vec::new(),
            vanished: Vec::new(),
            stored: 0,
            failed: 0,
            read_errors: BTreeMap::new(),
            processes_done: 0,
            kept: HashMap::new(),
            cancel: None,
            tally: None,
            keep,
            is_process,
            progress: Progress {
                enabled: progress,
                total,
                last: None,
                drawn: false,
            },
        }
    }

    /// Ends the progress line, if one was drawn.
    pub fn end_progress(&mut self) {
        self.progress.draw(self.processes_done, true);
    }
}

impl<S: Sink> Recorder<S> {
    /// Stores a regular file given as a slice (a core mapped from its temporary file), with its size and
    /// SHA-256 in the manifest.
    pub fn file(&mut self, path: &str, data: &[u8]) -> crate::Result<()> {
        self.sink.file(path, data)?;
        self.members.push(ManifestMember {
            kind: MemberKind::File,
            size: Some(data.len() as u64),
            sha256: Some(sha256_hex(data)),
            error: None,
            path: path.to_string(),
        });
        self.stored += 1;
        Ok(())
    }
}

use crate::snapshot::totals::Kind;

impl<S: Sink> Handler for Recorder<S> {
    fn event(&mut self, ev: Event) -> crate::Result<()> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(crate::Error::io(
                "capture",
                std::io::Error::new(
                    std::io::ErrorKind::Interrupted,
                    "interrupted by a signal; the unfinished archive was removed",
                ),
            ));
        }
        match ev {
            Event::File { path, data } => {
                self.file(&path, &data)?;
                if let Some(t) = &mut self.tally {
                    t.member(&path, Kind::File, Some(&data));
                }
                if self.keep.contains(&path.as_str()) {
                    self.kept.insert(path, data);
                }
            }
            Event::Link { path, target } => {
                self.sink.symlink(&path, &target)?;
                if let Some(t) = &mut self.tally {
                    t.member(&path, Kind::Link, None);
                }
                self.members.push(ManifestMember {
                    kind: MemberKind::Symlink,
                    size: Some(target.len() as u64),
                    sha256: Some(sha256_hex(&target)),
                    error: None,
                    path,
                });
                self.stored += 1;
            }
            Event::Failed { path, kind, error } => {
                self.sink.failed(&path, &error)?;
                if let Some(t) = &mut self.tally {
                    t.member(&path, Kind::Failed, None);
                }
                *self.read_errors.entry(error.to_string()).or_default() += 1;
                self.failed += 1;
                self.members.push(ManifestMember {
                    path,
                    kind,
                    size: None,
                    sha256: None,
                    error: Some(error.into_owned()),
                });
            }
            Event::Vanished(pid) => self.vanished.push(pid),
            Event::UnitDone(unit) => {
                if (self.is_process)(unit) {
                    self.processes_done += 1;
                    self.progress.draw(self.processes_done, false);
                }
            }
        }
        Ok(())
    }
}

/// The single updating progress line on stderr.
struct Progress {
    enabled: bool,
    total: usize,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// Redraws at most ten times a second; `last` draws the final count and ends the line.
    fn draw(&mut self, done: u64, last: bool) {
        if !self.enabled {
            return;
        }
        if !last
            && self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        if last && !self.drawn {
            return;
        }
        self.last = Some(Instant::now());
        self.drawn = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\rcaptured {done}/{} processes", self.total);
        if last {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        // `printf abc | sha256sum`
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
