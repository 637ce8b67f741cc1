//! The OS-neutral capture engine: a reading worker thread supervised by the writing thread.
//!
//! A [`Plan`] (one per OS) says what to read, as a list of *units* (the system files, then one unit per
//! process), each a numbered sequence of *steps* (one member, or one directory listing that expands into
//! members). A worker thread runs the plan and hands the members it read to the supervising thread in
//! batches of [`BATCH`] members (the last unit's members whatever their number) over a bounded
//! channel, so the threads wake each other once every few processes rather than once per member or per
//! process; the supervisor gives them to its [`Handler`] in order.
//!
//! # Never hang
//!
//! Some reads block: a process in uninterruptible sleep holding its `mmap` lock blocks readers of its
//! `cmdline`, `environ` and `maps`, a hung network filesystem blocks `readlink` of a cwd on it. Before each
//! step the worker publishes its position (unit, step, member path, start time) under a mutex; if the
//! supervisor sees one step in progress for longer than the read timeout, it marks that worker abandoned,
//! takes the members it finished but had not sent yet (they wait in the same mutex-guarded state),
//! records the stuck member as failed with error `timeout`, and starts a fresh worker at the next step.
//! The stuck thread is never joined: if its call ever returns, it sees that it was abandoned and exits
//! without sending anything, so each member is recorded exactly once.

use std::borrow::Cow;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::io::Errno;

use super::sys::{self, FileReader};
use crate::snapshot::manifest::MemberKind;

/// Capacity of the worker → supervisor channel, in batches: bounds memory when writing is slower than
/// reading.
const CHANNEL_DEPTH: usize = 8;

/// Most members in one batch.
pub const BATCH: usize = 256;

/// Where a (possibly restarted) worker starts within a unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    /// First step to run; earlier steps were done by a previous worker.
    pub step: u32,
    /// The previous worker timed out in this unit (the plan may skip reads likely to block the same way).
    pub after_timeout: bool,
}

/// What to read: implemented once per operating system.
pub trait Plan: Send + Sync + 'static {
    /// Number of units of work.
    fn units(&self) -> usize;
    /// True when the unit is one process (for progress and counts).
    fn is_process(&self, unit: usize) -> bool;
    /// Runs `unit` from `from.step` on, reading through `w`. Steps before `from.step` must be skipped (a
    /// previous worker did them); steps are numbered in the order they run.
    fn run(&self, unit: usize, from: Resume, w: &mut Worker) -> Result<(), Abandoned>;
    /// The largest regular file read from a copied tree, when the plan reads one (a directory input that
    /// is not a live procfs): files are then checked before they are opened, see [`sys`]. `None` (the
    /// default) for a live /proc.
    fn copied(&self) -> Option<u64> {
        None
    }
}

/// The worker was abandoned by the supervisor: stop at once and send nothing more.
#[derive(Debug)]
pub struct Abandoned;

/// What a worker sends to the supervisor.
#[derive(Debug)]
pub enum Event {
    /// A regular file read until EOF.
    File {
        /// Archive path.
        path: String,
        /// Its bytes.
        data: Vec<u8>,
    },
    /// A symbolic link.
    Link {
        /// Archive path.
        path: String,
        /// What readlink returned.
        target: Vec<u8>,
    },
    /// A member (or directory listing) that could not be read.
    Failed {
        /// Archive path.
        path: String,
        /// What was being read.
        kind: MemberKind,
        /// The error name (`ENOENT`, `EACCES`, `timeout`, ...).
        error: Cow<'static, str>,
    },
    /// A process whose directory disappeared between the listing and its reading.
    Vanished(i32),
    /// A unit was finished.
    UnitDone(usize),
}

#[derive(Debug)]
struct Position {
    unit: usize,
    step: u32,
    path: String,
    kind: MemberKind,
    started: Instant,
}

#[derive(Debug, Default)]
struct Control {
    abandoned: bool,
    /// The step in progress; `None` between steps.
    current: Option<Position>,
    /// Finished events not yet sent.
    pending: Vec<Event>,
}

/// The reading side: runs a plan's steps, publishing its position before each one.
#[derive(Debug)]
pub struct Worker {
    tx: SyncSender<Vec<Event>>,
    control: Arc<Mutex<Control>>,
    reader: FileReader,
    unit: usize,
    /// `Some(largest file)` when reading a copied tree.
    copied: Option<u64>,
}

/// What one file step read.
enum Read {
    Data(Vec<u8>),
    Link(Vec<u8>),
    NotRegular,
}

/// Result of one step: `Err(Abandoned)` means stop, the inner result is the read's own outcome.
pub type Step<T> = Result<Result<T, Errno>, Abandoned>;

impl Worker {
    fn lock(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn begin(&self, step: u32, path: String, kind: MemberKind) -> Result<(), Abandoned> {
        let mut c = self.lock();
        if c.abandoned {
            return Err(Abandoned);
        }
        c.current = Some(Position {
            unit: self.unit,
            step,
            path,
            kind,
            started: Instant::now(),
        });
        Ok(())
    }

    /// Ends the current step; `make` turns its path and kind into the event to send, if any.
    fn end(&self, make: impl FnOnce(String, MemberKind) -> Option<Event>) -> Result<(), Abandoned> {
        let mut c = self.lock();
        if c.abandoned {
            return Err(Abandoned);
        }
        let Some(pos) = c.current.take() else {
            return Ok(());
        };
        if let Some(ev) = make(pos.path, pos.kind) {
            c.pending.push(ev);
        }
        let full = c.pending.len() >= BATCH;
        drop(c);
        if full { self.flush() } else { Ok(()) }
    }

    /// Queues an event that is not a member read (vanished process, a member skipped).
    pub fn note(&self, ev: Event) -> Result<(), Abandoned> {
        let mut c = self.lock();
        if c.abandoned {
            return Err(Abandoned);
        }
        c.pending.push(ev);
        Ok(())
    }

    /// Number of queued events not sent yet.
    fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Sends the queued events. Called between steps only, so the supervisor never abandons a worker
    /// while it sends (it abandons only a worker inside a step): nothing sent can be lost or doubled.
    fn flush(&self) -> Result<(), Abandoned> {
        let batch = {
            let mut c = self.lock();
            if c.abandoned {
                return Err(Abandoned);
            }
            std::mem::take(&mut c.pending)
        };
        if batch.is_empty() {
            return Ok(());
        }
        self.tx.send(batch).map_err(|_| Abandoned)
    }

    /// Reads regular file `name` under `dir` until EOF and records it as member `path`; a failure is
    /// recorded as a failed member and returned.
    pub fn file(&mut self, step: u32, path: String, dir: BorrowedFd<'_>, name: &str) -> Step<()> {
        self.file_first(step, path, &[(dir, name)])
    }

    /// Like [`Worker::file`], and also returns the bytes read (for a plan that decides what to read next
    /// from them, as the Linux plan does with `status`'s thread count).
    pub fn file_bytes(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Step<Vec<u8>> {
        Ok(self
            .read_file(step, path, &[(dir, name)], false, true)?
            .map(Option::unwrap_or_default))
    }

    /// Like [`Worker::file`], trying each `(dir, name)` candidate in turn and storing the first one that
    /// can be read as member `path` (`etc/os-release`, else `usr/lib/os-release`). Only the last
    /// candidate's error is recorded if none can.
    pub fn file_first(
        &mut self,
        step: u32,
        path: String,
        candidates: &[(BorrowedFd<'_>, &str)],
    ) -> Step<()> {
        Ok(self
            .read_file(step, path, candidates, false, false)?
            .map(drop))
    }

    /// Like [`Worker::file`], except that a file that does not exist (`ENOENT`) is no member at all, not
    /// a failed one: for files only some systems have (`etc/project`, `etc/os-release` on Solaris).
    pub fn file_if_present(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Step<()> {
        Ok(self
            .read_file(step, path, &[(dir, name)], true, false)?
            .map(drop))
    }

    fn read_file(
        &mut self,
        step: u32,
        path: String,
        candidates: &[(BorrowedFd<'_>, &str)],
        absent_is_nothing: bool,
        keep: bool,
    ) -> Step<Option<Vec<u8>>> {
        self.begin(step, path, MemberKind::File)?;
        let mut ev = Err(Errno::NOENT);
        for (dir, name) in candidates {
            ev = match self.copied {
                None => self.reader.read(*dir, name).map(|b| Read::Data(b.to_vec())),
                Some(max) => self
                    .reader
                    .read_untrusted(*dir, name, max)
                    .map(|found| match found {
                        sys::Found::File(b) => Read::Data(b.to_vec()),
                        sys::Found::Link(t) => Read::Link(t),
                        sys::Found::NotRegular => Read::NotRegular,
                    }),
            };
            if ev.is_ok() {
                break;
            }
        }
        // A copy of the bytes only for the caller that asked for them.
        let out = match &ev {
            Ok(Read::Data(data)) => Ok(keep.then(|| data.clone())),
            Ok(_) => Ok(None),
            Err(e) => Err(*e),
        };
        self.end(|path, kind| {
            Some(match ev {
                Ok(Read::Data(data)) => Event::File { path, data },
                Ok(Read::Link(target)) => Event::Link { path, target },
                Ok(Read::NotRegular) => Event::Failed {
                    path,
                    kind,
                    error: Cow::Borrowed(sys::NOT_REGULAR),
                },
                Err(Errno::NOENT) if absent_is_nothing => return None,
                Err(e) => Event::Failed {
                    path,
                    kind,
                    error: sys::errno_name(e),
                },
            })
        })?;
        Ok(out)
    }

    /// In a copied tree, a directory that could not be opened because it is a symbolic link: its target
    /// (recorded as a link member instead of a failure).
    fn link_instead(&self, dir: BorrowedFd<'_>, name: &str, e: Errno) -> Option<Vec<u8>> {
        if self.copied.is_some() && (e == Errno::LOOP || e == Errno::NOTDIR) {
            sys::read_link(dir, name).ok()
        } else {
            None
        }
    }

    /// Records as member `path` the bytes `read` returns, or its error as a failed member: for members
    /// that are no file, such as a NetBSD sysctl answer. The call is one step, under the read timeout
    /// like a file read.
    pub fn produce(
        &mut self,
        step: u32,
        path: String,
        read: impl FnOnce() -> Result<Vec<u8>, Errno>,
    ) -> Step<()> {
        self.begin(step, path, MemberKind::File)?;
        let ev = read();
        let out = ev.as_ref().map(|_| ()).map_err(|e| *e);
        self.end(|path, kind| {
            Some(match ev {
                Ok(data) => Event::File { path, data },
                Err(e) => Event::Failed {
                    path,
                    kind,
                    error: sys::errno_name(e),
                },
            })
        })?;
        Ok(out)
    }

    /// Reads symbolic link `name` under `dir` and records it as member `path`; returns the target.
    pub fn link(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Step<Vec<u8>> {
        self.read_link(step, path, dir, name, false)
    }

    /// Like [`Worker::link`], except that a link that does not exist (`ENOENT`) is no member at all: for
    /// entries only some kernels have (`ns/time` before Linux 5.6).
    pub fn link_if_present(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Step<Vec<u8>> {
        self.read_link(step, path, dir, name, true)
    }

    fn read_link(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
        absent_is_nothing: bool,
    ) -> Step<Vec<u8>> {
        self.begin(step, path, MemberKind::Symlink)?;
        let res = sys::read_link(dir, name);
        let out = res.clone();
        self.end(|path, kind| match res {
            Ok(target) => Some(Event::Link { path, target }),
            Err(Errno::NOENT) if absent_is_nothing => None,
            Err(e) => Some(Event::Failed {
                path,
                kind,
                error: sys::errno_name(e),
            }),
        })?;
        Ok(out)
    }

    /// Lists directory `name` under `dir` (archive path `path`); a failure is recorded as a failed
    /// directory member and returned.
    pub fn list(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Step<Vec<String>> {
        self.begin(step, path, MemberKind::Directory)?;
        let res = sys::list_dir(dir, name);
        let err = res.as_ref().err().copied();
        let link = err.and_then(|e| self.link_instead(dir, name, e));
        self.end(|path, kind| match (err, link) {
            (_, Some(target)) => Some(Event::Link { path, target }),
            (Some(e), None) => Some(Event::Failed {
                path,
                kind,
                error: sys::errno_name(e),
            }),
            (None, None) => None,
        })?;
        Ok(res)
    }

    /// Opens directory `name` under `dir` for reading members relative to it (archive path `path`).
    /// A failure is recorded as a failed directory member only when `record_failure` is set.
    pub fn open_dir(
        &mut self,
        step: u32,
        path: String,
        dir: BorrowedFd<'_>,
        name: &str,
        record_failure: bool,
    ) -> Step<OwnedFd> {
        self.begin(step, path, MemberKind::Directory)?;
        let res = sys::open_dir(dir, name, true);
        let err = res.as_ref().err().copied();
        let link = err.and_then(|e| self.link_instead(dir, name, e));
        self.end(|path, kind| match (err, link) {
            (_, Some(target)) => Some(Event::Link { path, target }),
            (Some(e), None) if record_failure => Some(Event::Failed {
                path,
                kind,
                error: sys::errno_name(e),
            }),
            _ => None,
        })?;
        Ok(res)
    }

    /// Records member `path` as failed with `error` without reading it.
    pub fn skip(
        &mut self,
        path: String,
        kind: MemberKind,
        error: &'static str,
    ) -> Result<(), Abandoned> {
        self.note(Event::Failed {
            path,
            kind,
            error: Cow::Borrowed(error),
        })
    }
}

/// What the supervisor does with each event; [`run`] returns after the last unit.
pub trait Handler {
    /// Handles one event, in plan order.
    fn event(&mut self, ev: Event) -> crate::Result<()>;
}

type Spawned = (Arc<Mutex<Control>>, Receiver<Vec<Event>>);

fn spawn<P: Plan>(plan: Arc<P>, unit: usize, from: Resume) -> crate::Result<Spawned> {
    let (tx, rx) = sync_channel(CHANNEL_DEPTH);
    let control = Arc::new(Mutex::new(Control::default()));
    let mut worker = Worker {
        tx,
        control: Arc::clone(&control),
        reader: FileReader::default(),
        unit,
        copied: plan.copied(),
    };
    // The handle is dropped on purpose: a worker stuck in a blocking read is abandoned, never joined.
    std::thread::Builder::new()
        .name("procsift-capture".into())
        .spawn(move || {
            let mut from = from;
            for u in unit..plan.units() {
                worker.unit = u;
                if plan.run(u, from, &mut worker).is_err() {
                    return;
                }
                // Units are batched too: a process's few members seldom fill a batch, and waking the
                // supervisor once per process costs two context switches each (most of a live `ps`'s
                // time on a busy machine). The last unit is always sent.
                if worker.note(Event::UnitDone(u)).is_err() {
                    return;
                }
                let last = u + 1 >= plan.units();
                if (last || worker.pending() >= BATCH) && worker.flush().is_err() {
                    return;
                }
                from = Resume::default();
            }
        })
        .map_err(|e| crate::Error::io("capture worker thread", e))?;
    Ok((control, rx))
}

/// Runs `plan` to the end, handing every event to `handler`. A step making no progress for `timeout`
/// (at least 10 ms) is recorded as failed `timeout` and the plan continues with the next step on a new
/// worker.
pub fn run<P: Plan, H: Handler>(
    plan: Arc<P>,
    timeout: Duration,
    handler: &mut H,
) -> crate::Result<()> {
    // A zero timeout would abandon every worker at its first step.
    let timeout = timeout.max(MIN_TIMEOUT);
    let units = plan.units();
    if units == 0 {
        return Ok(());
    }
    let (mut control, mut rx) = spawn(Arc::clone(&plan), 0, Resume::default())?;
    let mut wait = timeout;
    loop {
        match rx.recv_timeout(wait) {
            Ok(batch) => {
                wait = timeout;
                let mut last = false;
                for ev in batch {
                    last = matches!(ev, Event::UnitDone(u) if u + 1 >= units);
                    handler.event(ev)?;
                }
                if last {
                    return Ok(());
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(crate::Error::io(
                    "capture worker",
                    std::io::Error::other("the reading thread stopped unexpectedly"),
                ));
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut c = control.lock().unwrap_or_else(|p| p.into_inner());
                let elapsed = c.current.as_ref().map(|p| p.started.elapsed());
                match elapsed {
                    // Between steps (CPU work, or blocked sending): not a stuck read.
                    None => {
                        wait = timeout;
                        continue;
                    }
                    Some(e) if e < timeout => {
                        wait = timeout - e;
                        continue;
                    }
                    Some(_) => {}
                }
                c.abandoned = true;
                let stuck = c.current.take();
                let pending = std::mem::take(&mut c.pending);
                drop(c);
                // Members the worker finished before it got stuck: sent batches first, then the queue.
                while let Ok(batch) = rx.try_recv() {
                    for ev in batch {
                        handler.event(ev)?;
                    }
                }
                for ev in pending {
                    handler.event(ev)?;
                }
                let Some(stuck) = stuck else { continue };
                handler.event(Event::Failed {
                    path: stuck.path,
                    kind: stuck.kind,
                    error: Cow::Borrowed(TIMEOUT),
                })?;
                (control, rx) = spawn(
                    Arc::clone(&plan),
                    stuck.unit,
                    Resume {
                        step: stuck.step + 1,
                        after_timeout: true,
                    },
                )?;
                wait = timeout;
            }
        }
    }
}

/// Shortest read timeout honoured.
const MIN_TIMEOUT: Duration = Duration::from_millis(10);

/// Error name recorded for a member whose read made no progress within the read timeout.
pub const TIMEOUT: &str = "timeout";

/// Error name recorded for a member not attempted because an earlier read of the same process timed out.
pub const SKIPPED: &str = "skipped";
