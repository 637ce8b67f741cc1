//! The ELF core writer: what the OS side read (register sets as bytes, process facts, the mappings and a
//! [`Memory`] to read them through) in, a Linux `ET_CORE` file out. No system calls of its own beyond
//! positional writes to the file it is given, so it is tested with a fake [`Memory`].
//!
//! # File layout
//!
//! ```text
//! 0            Elf64_Ehdr
//! page         segment data, page-aligned, in the order the segments were given (stacks first)
//! ...          the PT_NOTE contents (after the data)
//! ...          the program headers: PT_NOTE, then one PT_LOAD per piece of mapping, by address
//! ...          section header 0, only when the headers do not fit e_phnum (PN_XNUM)
//! ```
//!
//! The notes and headers come last because only the memory read tells how many pieces each mapping has (a
//! range that cannot be read becomes its own `PT_LOAD` with no bytes in the file) and how long the process
//! was stopped; readers find both through `e_phoff` (gdb, readelf, eu-readelf and procsift do).
//!
//! Pages that read as zero are not written: they are holes of a sparse file, so a gigabyte of untouched
//! heap costs no disk. Private anonymous pages the page table says were never touched are not even read
//! ([`RunKind::Zero`]).

use std::fs::File;
use std::os::unix::fs::FileExt;

use zerocopy::IntoBytes;
use zerocopy::byteorder::{I16, I32, I64, U16, U32, U64};

use super::notes::*;

/// The machine a core is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// `e_machine`.
    pub e_machine: u16,
    /// Its name in messages.
    pub name: &'static str,
}

/// x86_64 (`EM_X86_64`).
pub const X86_64: Machine = Machine {
    e_machine: 62,
    name: "x86_64",
};
/// aarch64 (`EM_AARCH64`), with its `elf_prstatus` (`user_pt_regs`).
pub const AARCH64: Machine = Machine {
    e_machine: 183,
    name: "aarch64",
};

/// One thread as it was stopped.
#[derive(Clone, Debug, Default)]
pub struct ThreadState {
    /// The thread id (`pr_pid`).
    pub tid: i32,
    /// The signal it was stopped with, about to be delivered (`pr_cursig`); 0 when procsift's interrupt
    /// stopped it.
    pub signal: i32,
    /// Its own pending signals (`SigPnd` of `/proc/PID/task/TID/status`).
    pub sigpend: u64,
    /// Its blocked signals (`SigBlk`).
    pub sighold: u64,
    /// User time in microseconds (the whole process's for the main thread, as the kernel writes it).
    pub utime_us: u64,
    /// System time in microseconds.
    pub stime_us: u64,
    /// `PTRACE_GETREGSET` `NT_PRSTATUS`: the general registers, `pr_reg`.
    pub gregs: Vec<u8>,
    /// `NT_PRFPREG`, when it could be read.
    pub fpregs: Option<Vec<u8>>,
    /// The architecture's other register sets (`NT_X86_XSTATE`, ...), as (note type, bytes), in order.
    pub extra: Vec<(u32, Vec<u8>)>,
}

/// One file mapping for `NT_FILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMapping {
    /// Start address.
    pub start: u64,
    /// End address.
    pub end: u64,
    /// Offset in the file, in bytes.
    pub offset: u64,
    /// The file's path (` (deleted)` included, as the kernel writes it).
    pub path: Vec<u8>,
}

/// The process-wide facts of the notes.
#[derive(Clone, Debug, Default)]
pub struct ProcessState {
    /// `pr_pid`.
    pub pid: i32,
    /// `pr_ppid`.
    pub ppid: i32,
    /// `pr_pgrp`.
    pub pgrp: i32,
    /// `pr_sid`.
    pub sid: i32,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// The state letter before the dump (`S`, `R`, `T`, ...).
    pub state: u8,
    /// The nice value.
    pub nice: i8,
    /// The `PF_*` flags.
    pub flags: u64,
    /// The command name (`comm`).
    pub comm: Vec<u8>,
    /// The start of the argument area (`/proc/PID/cmdline`), NUL-separated.
    pub args: Vec<u8>,
    /// Children's user time, microseconds.
    pub cutime_us: u64,
    /// Children's system time, microseconds.
    pub cstime_us: u64,
    /// The `NT_SIGINFO` descriptor (128 bytes): the first thread's pending signal, or zeros.
    pub siginfo: Vec<u8>,
    /// `/proc/PID/auxv`.
    pub auxv: Vec<u8>,
    /// The file mappings.
    pub files: Vec<FileMapping>,
    /// The page size (`NT_FILE`'s unit).
    pub page_size: u64,
}

/// What to write of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// All of it.
    Whole,
    /// Its first page if that starts with an ELF header; nothing otherwise.
    ElfHeader,
    /// Nothing: a `PT_LOAD` with no bytes in the file.
    Nothing,
}

/// One mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Start address (page-aligned).
    pub start: u64,
    /// End address.
    pub end: u64,
    /// `PF_R | PF_W | PF_X`.
    pub flags: u32,
    /// What to write.
    pub want: Want,
    /// Pages never touched read as zero here (private anonymous memory): [`Memory`] may skip them.
    pub absent_is_zero: bool,
    /// Known to hold only such pages (nothing resident or swapped): all zero, not read at all.
    pub untouched: bool,
    /// Known to have (almost) every page resident or swapped (smaps' `Rss` and `Swap`): [`Memory`]
    /// need not ask the page table which pages to skip; it reads them all.
    pub mostly_present: bool,
}

/// What a stretch of a read holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// Bytes read into the buffer.
    Data,
    /// Known to be zero without reading (a page never touched): the buffer there is not filled.
    Zero,
    /// Could not be read; the errno.
    Unreadable(i32),
}

/// A stretch of a read, in buffer order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Bytes.
    pub len: usize,
    /// What they are.
    pub kind: RunKind,
}

/// Where the memory comes from: the stopped process, or a test's fake.
pub trait Memory {
    /// Reads `buf.len()` bytes at `addr` of `segment` into `buf`, describing them in `runs` (which it
    /// clears first; the runs cover the whole buffer). An error ends the dump (the process is gone).
    fn read(
        &mut self,
        segment: &Segment,
        addr: u64,
        buf: &mut [u8],
        runs: &mut Vec<Run>,
    ) -> crate::Result<()>;

    /// Called between reads: an error ends the dump (procsift was asked to stop).
    fn check(&mut self) -> crate::Result<()> {
        Ok(())
    }
}

/// Why a range is missing from the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// It could not be read (errno).
    Unreadable(i32),
    /// `--max-size` was reached.
    OverMaxSize,
}

/// A range of the process's memory the core lacks though the dump wanted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingRange {
    /// Start address.
    pub start: u64,
    /// End address.
    pub end: u64,
    /// Why.
    pub why: Missing,
}

/// One `PT_LOAD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
    flags: u32,
}

/// How the dump went, for procsift's own note and the summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct DumpFacts {
    /// The `coredump_filter` bits applied.
    pub filter: u32,
    /// `--all`.
    pub all: bool,
    /// The process was in a job-control stop before the dump (and is left so).
    pub was_stopped: bool,
    /// How long the process was stopped, nanoseconds.
    pub stopped_ns: u64,
    /// When it was stopped (UTC seconds, nanoseconds).
    pub time: (i64, u32),
    /// `--max-size`, 0 for none.
    pub max_size: u64,
}

/// What [`Writer::finish`] wrote.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// The file's length.
    pub file_size: u64,
    /// Bytes of memory the segments hold (`p_filesz` summed), holes included.
    pub memory_bytes: u64,
    /// Of those, bytes actually written (the rest are holes: zero pages).
    pub data_bytes: u64,
    /// `PT_LOAD` headers.
    pub segments: usize,
    /// Of those, with bytes in the file.
    pub segments_with_data: usize,
    /// The ranges missing, in address order.
    pub missing: Vec<MissingRange>,
    /// For a pipelined dump ([`Writer::pipelined`]): each writing thread (`O_DIRECT` or `page cache`)
    /// and the chunks it wrote.
    pub chunks_per_writer: Vec<(&'static str, u64)>,
}

/// Bytes read per call to [`Memory::read`] when the chunks are held in memory ([`Writer::hold_in`]) or
/// written past the page cache (`O_DIRECT`, [`Writer::pipelined`] with a file): the disk takes large
/// writes best.
pub const CHUNK: usize = 8 << 20;

/// Bytes read per call to [`Memory::read`] when a pipelined dump writes through the page cache: small
/// enough that the writing thread starts early and few buffers are touched before the stop, large
/// enough that the checks between reads cost little.
pub const BUFFERED_CHUNK: usize = 1 << 20;

/// Most bytes given to the page cache in one write. The kernel allocates page-cache pages in folios as
/// large as the write (ext4 and XFS, Linux 6.x), and large folios come from the high orders of the
/// page allocator, where memory may have to be reclaimed, compacted or (in a virtual machine that gives
/// free memory back to its host) faulted in again from the host. On the benchmark host writes of 1 to
/// 8 MiB through the page cache ran at 80 to 800 MB/s, writes of 256 KiB mostly at 3 to 4 GB/s (a GiB
/// in 0.3 CPU-seconds) though they too stalled at times: `O_DIRECT` is preferred where it is taken.
pub const BUFFERED_WRITE: usize = 256 << 10;

/// Where segment data is written: the file, and the same file opened with `O_DIRECT` when the OS side
/// gave one ([`Writer::unbuffered`]).
struct Out<'f> {
    file: &'f File,
    unbuffered: Option<File>,
}

impl<'f> Out<'f> {
    /// Writes into `file`, and through `unbuffered` (`file` opened with `O_DIRECT`) when given.
    fn new(file: &'f File, unbuffered: Option<File>) -> Out<'f> {
        Out { file, unbuffered }
    }

    /// Writes `buf` at `offset`: past the page cache when it can (page-aligned memory, offset and
    /// length), else through it, in writes of at most [`BUFFERED_WRITE`] bytes.
    fn write_at(&self, buf: &[u8], offset: u64) -> crate::Result<()> {
        const ALIGN: usize = 4096;
        if let Some(u) = &self.unbuffered {
            if (buf.as_ptr() as usize) % ALIGN == 0
                && buf.len() % ALIGN == 0
                && offset % ALIGN as u64 == 0
            {
                match u.write_all_at(buf, offset) {
                    Ok(()) => return Ok(()),
                    // A file system that takes O_DIRECT at open but not these writes: the page cache.
                    Err(e) if e.raw_os_error() == Some(22) => {}
                    Err(e) => return Err(io(e)),
                }
            }
        }
        let mut at = offset;
        for piece in buf.chunks(BUFFERED_WRITE) {
            self.file.write_all_at(piece, at).map_err(io)?;
            // Past u64::MAX no write succeeds: the next one fails.
            at = at.saturating_add(piece.len() as u64);
        }
        Ok(())
    }
}

/// Writes one core into a file, data first (while the process is stopped), notes and headers last.
pub struct Writer<'f> {
    file: &'f File,
    out: Out<'f>,
    page: u64,
    /// Where the next segment's data goes.
    offset: u64,
    max_size: Option<u64>,
    pieces: Vec<Piece>,
    missing: Vec<MissingRange>,
    data_bytes: u64,
    buf: Vec<u8>,
    runs: Vec<Run>,
    /// Buffers to hold chunks in until [`Writer::finish`] ([`Writer::hold_in`]).
    pool: &'f mut [u8],
    pending: Vec<Pending<'f>>,
    /// Threads of their own that write chunks while the next ones are read ([`Writer::pipelined`]).
    pipeline: Option<Pipeline>,
    /// Bytes read per call to [`Memory::read`]: [`CHUNK`], [`BUFFERED_CHUNK`] for a pipeline that
    /// writes through the page cache alone, [`DUAL_CHUNK`] for two writing threads.
    chunk: usize,
    /// The chunks each writing thread wrote, once they ended ([`Written::chunks_per_writer`]).
    chunks_per_writer: Vec<(&'static str, u64)>,
    /// With [`Writers::Dual`]: the file is made as long as each segment's data before its chunks are
    /// read (an `O_DIRECT` write past the end of the file is waited for by the kernel, holding the
    /// file's lock: see `os::uring`). `extended` is the length it was given.
    extend_ahead: bool,
    extended: u64,
}

/// Buffers of [`CHUNK`] bytes in flight between the reading thread and the writing one when it writes
/// past the page cache: one being read, one being written, and room for either to run ahead.
pub const PIPELINE_BUFFERS: usize = 4;

/// Buffers of [`BUFFERED_CHUNK`] bytes in flight when the writing thread writes through the page cache.
pub const BUFFERED_PIPELINE_BUFFERS: usize = 8;

/// Bytes read per call to [`Memory::read`] when two threads write ([`Writers::Dual`]): as [`CHUNK`].
/// The reading side bounds such a dump on a host of two CPUs, and each chunk costs it a fixed amount on
/// top of its bytes: on the benchmark host a dump of 1 GiB took 0.44 to 0.57 s in chunks of 8 MiB, 0.56 s
/// in chunks of 16 MiB, 0.51 to 0.70 s in chunks of 4 MiB, 0.55 to 1.04 s in chunks of 2 MiB.
pub const DUAL_CHUNK: usize = CHUNK;

/// Buffers of [`DUAL_CHUNK`] bytes in flight with two writing threads (48 MiB): one being read, two at
/// the disk (the `O_DIRECT` thread keeps two chunks in flight), one being copied into the page cache,
/// and two for the reading side to run ahead.
pub const DUAL_PIPELINE_BUFFERS: usize = 6;

/// Which threads write a pipelined dump's chunks ([`Writer::pipelined`]).
#[derive(Debug)]
pub enum Writers {
    /// One thread, through the page cache (for a file system that refuses `O_DIRECT`).
    PageCache,
    /// One thread, through this handle of the file opened with `O_DIRECT`: past the page cache.
    Direct(File),
    /// Two threads taking chunks from the same queue, each as soon as it is free: one through the
    /// `direct` handle (`O_DIRECT`), the other through the page cache, by `buffered` (another handle of
    /// the same file, opened for writing), in writes of at most [`BUFFERED_WRITE`] bytes. The disk takes
    /// what it can, the page cache the rest; a stall of either costs no more than the other's speed.
    Dual {
        /// The file opened with `O_DIRECT`.
        direct: File,
        /// The file, for writes through the page cache.
        buffered: File,
    },
}

/// A chunk for the writing threads.
struct Job {
    buf: memmap2::MmapMut,
    len: usize,
    /// File offset of `buf[0]`.
    file_base: u64,
    runs: Vec<Run>,
}

/// What one writing thread did.
#[derive(Clone, Copy, Debug, Default)]
struct Wrote {
    /// Bytes written (zero pages excluded).
    bytes: u64,
    /// Chunks taken from the queue.
    chunks: u64,
}

/// The writing threads of a pipelined dump: chunks go to them through one queue (`jobs`; each thread
/// takes the next chunk when it is free), their buffers come back through `free`. They end when `jobs`
/// is closed, or when one of them fails to write (`failed`: the others stop too, and the reading side
/// stops reading), each returning what it wrote.
struct Pipeline {
    jobs: Option<std::sync::mpsc::SyncSender<Job>>,
    free: std::sync::mpsc::Receiver<memmap2::MmapMut>,
    /// Buffers not yet handed out.
    spare: Vec<memmap2::MmapMut>,
    /// The thread making the buffers beyond the first [`EARLY_BUFFERS`] (it sends them to `free`).
    maker: Option<std::thread::JoinHandle<()>>,
    /// (name, thread) of each writing thread.
    threads: Vec<(
        &'static str,
        std::thread::JoinHandle<std::io::Result<Wrote>>,
    )>,
    /// Set by a writing thread whose write failed (or that panicked).
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How long the reading side waited for a free buffer (for the trace: whether reading or writing
    /// bounds the dump).
    waited: std::time::Duration,
}

/// Sets the pipeline's `failed` flag when a writing thread unwinds.
struct FailOnPanic(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for FailOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// What a writing thread shares with the others and the reading side.
struct Shared {
    /// The chunks to write, for whichever thread is free.
    queue: std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<Job>>>,
    /// Set when a thread failed: the others stop.
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Where written buffers go back to the reading side.
    back: std::sync::mpsc::SyncSender<memmap2::MmapMut>,
    page: u64,
}

impl Shared {
    fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The next chunk, waiting for one (`None`: the queue is closed); with `wait` false, `Some(None)`
    /// when none is there now.
    fn next(&self, wait: bool) -> Option<Option<Job>> {
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if wait {
            return queue.recv().ok().map(Some);
        }
        match queue.try_recv() {
            Ok(job) => Some(Some(job)),
            Err(std::sync::mpsc::TryRecvError::Empty) => Some(None),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
        }
    }
}

/// A writing thread's loop: each chunk written through `out` (synchronously), its buffer given back.
fn write_chunks(out: &Out<'_>, shared: &Shared) -> std::io::Result<Wrote> {
    let mut wrote = Wrote::default();
    // Until the queue closes (the dump is read), or another thread failed.
    while let Some(Some(job)) = shared.next(true) {
        if shared.failed() {
            break;
        }
        wrote.chunks += 1;
        wrote.bytes += write_data(
            out,
            shared.page,
            &job.buf[..job.len],
            &job.runs,
            job.file_base,
        )
        .map_err(into_io)?;
        // The reading side may have stopped waiting (an error): nothing to give back to.
        let _ = shared.back.send(job.buf);
    }
    Ok(wrote)
}

/// The I/O error inside a writer's error (so that it is not named "core file" twice when passed on).
fn into_io(e: crate::Error) -> std::io::Error {
    match e {
        crate::Error::Io { source, .. } => source,
        other => std::io::Error::other(other),
    }
}

/// Chunks in flight at once on the asynchronous `O_DIRECT` thread.
#[cfg(target_os = "linux")]
const ASYNC_DEPTH: usize = 2;

/// The `O_DIRECT` thread's loop beside a page-cache thread: each chunk's writes submitted
/// asynchronously (`ring`: io_uring), up to [`ASYNC_DEPTH`] chunks in flight, each buffer given back when its
/// writes completed. Pieces `O_DIRECT` cannot take (not page-aligned) and writes the file system refuses
/// (`EINVAL`) go through the page cache (`own`).
#[cfg(target_os = "linux")]
fn write_chunks_async(
    ring: &mut crate::os::uring::DirectWrites,
    own: &File,
    shared: &Shared,
) -> std::io::Result<Wrote> {
    const ALIGN: usize = 4096;
    let buffered = Out::new(own, None);
    let give_back = |done: Vec<crate::os::uring::Done>| -> std::io::Result<()> {
        for d in done {
            for ((start, len, offset), e) in d.failed {
                if e.raw_os_error() != Some(libc::EINVAL)
                    && e.kind() != std::io::ErrorKind::WriteZero
                {
                    return Err(e);
                }
                // The file system took O_DIRECT at open but not this write, or wrote part of it (a
                // disk filling up): the page cache (which says why, if it cannot either).
                buffered
                    .write_at(&d.buf[start..start + len], offset)
                    .map_err(into_io)?;
            }
            let _ = shared.back.send(d.buf);
        }
        Ok(())
    };
    let mut wrote = Wrote::default();
    loop {
        give_back(ring.reap(false)?)?;
        if shared.failed() {
            break;
        }
        if ring.in_flight() >= ASYNC_DEPTH {
            give_back(ring.reap(true)?)?;
            continue;
        }
        // With writes in flight, do not sleep on the queue: their buffers are due back.
        let job = match shared.next(ring.in_flight() == 0) {
            None => break,
            Some(None) => {
                give_back(ring.reap(true)?)?;
                continue;
            }
            Some(Some(job)) => job,
        };
        if shared.failed() {
            break;
        }
        wrote.chunks += 1;
        let mut direct = Vec::new();
        for (s, e) in data_spans(shared.page, &job.buf[..job.len], &job.runs) {
            let offset = job.file_base + s as u64;
            wrote.bytes += (e - s) as u64;
            if s % ALIGN == 0 && (e - s) % ALIGN == 0 && offset % ALIGN as u64 == 0 {
                direct.push((s, e - s, offset));
            } else {
                buffered.write_at(&job.buf[s..e], offset).map_err(into_io)?;
            }
        }
        ring.submit(job.buf, direct)?;
    }
    while ring.in_flight() > 0 {
        give_back(ring.reap(true)?)?;
    }
    Ok(wrote)
}

/// Buffers made before [`Pipeline::start`] returns: one, so that the reading side always has a buffer
/// (were no other made, out of memory, it comes back after each write). The others are made on a thread
/// of their own meanwhile, and are ready long before the second chunk is read.
const EARLY_BUFFERS: usize = 1;

/// A page-aligned buffer of `len` bytes whose pages are all in memory (no page fault while the process
/// is stopped): populated at once (MAP_POPULATE: faster than a fault per page), then touched all the
/// same (the kernel may have declined to populate).
fn touched_buffer(len: usize) -> std::io::Result<memmap2::MmapMut> {
    let mut b = memmap2::MmapOptions::new().len(len).populate().map_anon()?;
    for p in b.iter_mut().step_by(4096) {
        *p = 1;
    }
    Ok(b)
}

impl Pipeline {
    /// Starts the writing threads `writers` names, each on a handle of its own of `file` (the page-cache
    /// one on a second handle of `file`, the `O_DIRECT` one on the handle given: its chunks go from the
    /// buffers to the disk), with `count` page-aligned buffers of `chunk` bytes whose pages are touched
    /// before the reading side gets them (no page fault while the process is stopped): the first
    /// [`EARLY_BUFFERS`] now, the others on a thread of their own.
    fn start(
        file: &File,
        writers: Writers,
        page: u64,
        chunk: usize,
        count: usize,
    ) -> std::io::Result<Pipeline> {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        // The first buffer now; the others on a thread of their own, handed to the reading side as
        // they are ready (through `free`, where written buffers come back). Making them is the most of
        // what the dump does before the process is stopped (6 buffers of 8 MiB: 17 ms on the benchmark
        // host), and the reading side needs the second only after the process was stopped and its
        // registers and mappings read: meanwhile they are made on the other CPU.
        let now = count.min(EARLY_BUFFERS);
        let mut spare = Vec::with_capacity(count);
        for _ in 0..now {
            spare.push(touched_buffer(chunk)?);
        }
        let (jobs, incoming) = std::sync::mpsc::sync_channel::<Job>(count);
        let (back, free) = std::sync::mpsc::sync_channel::<memmap2::MmapMut>(count);
        let maker = (count > now)
            .then(|| {
                let back = back.clone();
                std::thread::Builder::new()
                    .name("gcore-buffers".into())
                    .spawn(move || {
                        for _ in now..count {
                            // Out of memory: the dump goes on with the buffers it has.
                            let Ok(b) = touched_buffer(chunk) else { break };
                            if back.send(b).is_err() {
                                break;
                            }
                        }
                    })
            })
            .transpose()?;
        // One queue for every writing thread: whichever is free takes the next chunk (the receiver is
        // held under the lock only while a thread waits for a chunk).
        let incoming = Arc::new(Mutex::new(incoming));
        let failed = Arc::new(AtomicBool::new(false));
        // (name, the handle for writes through the page cache, the O_DIRECT one).
        let handles: Vec<(&'static str, File, Option<File>)> = match writers {
            Writers::PageCache => vec![("page cache", file.try_clone()?, None)],
            Writers::Direct(d) => vec![("O_DIRECT", file.try_clone()?, Some(d))],
            Writers::Dual { direct, buffered } => vec![
                ("O_DIRECT", file.try_clone()?, Some(direct)),
                ("page cache", buffered, None),
            ],
        };
        let dual = handles.len() > 1;
        let mut threads = Vec::with_capacity(handles.len());
        for (name, own, unbuffered) in handles {
            let shared = Shared {
                queue: Arc::clone(&incoming),
                failed: Arc::clone(&failed),
                back: back.clone(),
                page,
            };
            let thread = std::thread::Builder::new()
                .name("gcore-write".into())
                .spawn(move || {
                    let _guard = FailOnPanic(Arc::clone(&shared.failed));
                    let result = match unbuffered {
                        // Beside the page-cache thread: asynchronous writes, so that the two do not
                        // take turns on the file's lock (see `os::uring`), where the kernel has AIO.
                        #[cfg(target_os = "linux")]
                        Some(d) if dual => {
                            match d.try_clone().and_then(crate::os::uring::DirectWrites::new) {
                                Ok(mut ring) => {
                                    let r = write_chunks_async(&mut ring, &own, &shared);
                                    drop(ring);
                                    r
                                }
                                Err(_) => write_chunks(&Out::new(&own, Some(d)), &shared),
                            }
                        }
                        unbuffered => write_chunks(&Out::new(&own, unbuffered), &shared),
                    };
                    if result.is_err() {
                        shared.failed.store(true, Ordering::SeqCst);
                    }
                    result
                })?;
            threads.push((name, thread));
        }
        // Only Linux has the asynchronous writes that `dual` chooses.
        let _ = dual;
        // The threads hold the senders: when every thread has ended, the reading side's wait for a
        // buffer ends.
        drop(back);
        Ok(Pipeline {
            jobs: Some(jobs),
            free,
            spare,
            maker,
            threads,
            failed,
            waited: std::time::Duration::ZERO,
        })
    }

    /// True once a writing thread failed: the dump is to end (with [`Pipeline::finish`]'s error).
    fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Closes the queue and waits for the writing threads: the bytes they wrote and the chunks each
    /// took, or the first error.
    fn finish(&mut self) -> crate::Result<(u64, Vec<(&'static str, u64)>)> {
        self.jobs = None;
        if let Some(maker) = self.maker.take() {
            // It ends by itself after a few buffers; what it made is dropped with `free`.
            let _ = maker.join();
        }
        let mut total = 0u64;
        let mut error = None;
        let mut shares = Vec::new();
        let mut chunks = Vec::new();
        for (name, t) in std::mem::take(&mut self.threads) {
            match t.join() {
                Ok(Ok(w)) => {
                    total += w.bytes;
                    chunks.push((name, w.chunks));
                    shares.push(format!(
                        "{name}: {} chunks, {} MiB",
                        w.chunks,
                        w.bytes >> 20
                    ));
                }
                Ok(Err(e)) => {
                    error.get_or_insert(io(e));
                }
                Err(_) => {
                    error.get_or_insert(io(std::io::Error::other("a writing thread failed")));
                }
            }
        }
        if let Some(e) = error {
            return Err(e);
        }
        if !shares.is_empty() {
            super::trace(format_args!(
                "writing threads done: {}; the reading side waited {:.1} ms for buffers",
                shares.join("; "),
                self.waited.as_secs_f64() * 1000.0
            ));
        }
        Ok((total, chunks))
    }

    /// A free buffer: a spare one, else the next a writing thread gives back (`None`: a writing thread
    /// failed, or every one ended, on an error that [`Pipeline::finish`] returns).
    fn buffer(&mut self) -> Option<memmap2::MmapMut> {
        if self.failed() {
            return None;
        }
        let b = match self.spare.pop() {
            Some(b) => b,
            None => {
                let t = std::time::Instant::now();
                let b = self.free.recv().ok();
                self.waited += t.elapsed();
                b?
            }
        };
        (!self.failed()).then_some(b)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// A chunk read while the process was stopped, to be written after it was let go.
struct Pending<'f> {
    buf: &'f mut [u8],
    len: usize,
    /// File offset of `buf[0]`.
    file_base: u64,
    runs: Vec<Run>,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("offset", &self.offset)
            .field("pieces", &self.pieces.len())
            .finish()
    }
}

fn io(e: std::io::Error) -> crate::Error {
    crate::Error::io("core file", e)
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a).saturating_mul(a)
}

/// True when `page` holds only zero bytes. Read 64 bytes (a cache line) at a time, stopping at the first
/// that is not zero: a page of data costs its first non-zero line, not a second pass over all of it
/// (pages that start with zeros are common: a `malloc` block starts 16 bytes into its page).
fn is_zero(page: &[u8]) -> bool {
    let mut lines = page.chunks_exact(64);
    for line in &mut lines {
        let acc = line.chunks_exact(8).fold(0u64, |a, w| {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            a | u64::from_ne_bytes(b)
        });
        if acc != 0 {
            return false;
        }
    }
    lines.remainder().iter().all(|b| *b == 0)
}

/// Writes the `Data` runs of a chunk (`buf`, at file offset `file_base`), leaving zero pages as holes;
/// returns the bytes written.
fn write_data(
    file: &Out<'_>,
    page: u64,
    buf: &[u8],
    runs: &[Run],
    file_base: u64,
) -> crate::Result<u64> {
    let mut written = 0;
    for (s, e) in data_spans(page, buf, runs) {
        file.write_at(&buf[s..e], file_base + s as u64)?;
        written += (e - s) as u64;
    }
    Ok(written)
}

/// The stretches of a chunk to write: its `Data` runs less their zero pages, as (start, end) in `buf`.
fn data_spans(page: u64, buf: &[u8], runs: &[Run]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 0usize;
    for run in runs {
        let end = (at + run.len).min(buf.len());
        if run.kind == RunKind::Data {
            nonzero_spans(page, &buf[at..end], at, &mut spans);
        }
        at = end;
    }
    spans
}

/// Writes the pages of `buf` that are not all zero at `file_base` onwards; returns the bytes written.
fn write_nonzero(file: &Out<'_>, page: u64, buf: &[u8], file_base: u64) -> crate::Result<u64> {
    let mut spans = Vec::new();
    nonzero_spans(page, buf, 0, &mut spans);
    let mut written = 0u64;
    for (s, e) in spans {
        file.write_at(&buf[s..e], file_base + s as u64)?;
        written += (e - s) as u64;
    }
    Ok(written)
}

/// Appends to `spans` the runs of pages of `buf` that are not all zero, as (start, end) plus `base`.
fn nonzero_spans(page: u64, buf: &[u8], base: usize, spans: &mut Vec<(usize, usize)>) {
    let page = page as usize;
    let mut span: Option<usize> = None;
    let mut at = 0;
    while at < buf.len() {
        let end = (at + page).min(buf.len());
        let zero = is_zero(&buf[at..end]);
        match (zero, span) {
            (false, None) => span = Some(at),
            (true, Some(s)) => {
                spans.push((base + s, base + at));
                span = None;
            }
            _ => {}
        }
        at = end;
    }
    if let Some(s) = span {
        spans.push((base + s, base + buf.len()));
    }
}

/// Status of a range while a segment is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Held,
    Missing(Missing),
}

impl<'f> Writer<'f> {
    /// A writer into `file` (empty, opened for writing) for a process with pages of `page_size` bytes;
    /// `max_size` caps the offset the segment data may reach.
    pub fn new(file: &'f File, page_size: u64, max_size: Option<u64>) -> Self {
        let page = page_size.max(4096);
        Writer {
            file,
            page,
            offset: page,
            max_size,
            pieces: Vec::new(),
            missing: Vec::new(),
            data_bytes: 0,
            buf: Vec::new(),
            runs: Vec::new(),
            pool: &mut [],
            pending: Vec::new(),
            pipeline: None,
            chunk: CHUNK,
            chunks_per_writer: Vec::new(),
            extend_ahead: false,
            extended: 0,
            out: Out::new(file, None),
        }
    }

    /// Chunks of memory are read into `memory` (best page-aligned and already touched, so that no page
    /// fault happens while the process is stopped), each taking the whole pages it needs, and held until
    /// [`Writer::finish`] instead of being written at once: the process is stopped only while its memory
    /// is read, not while the disk takes it. When it is full, later chunks are written as they are read.
    pub fn hold_in(&mut self, memory: &'f mut [u8]) {
        self.pool = memory;
    }

    /// `file` is the output file opened again with `O_DIRECT`: whole pages of segment data are written
    /// through it, past the page cache (no page-cache pages to allocate, no writeback to wait for).
    pub fn unbuffered(&mut self, file: File) {
        self.out.unbuffered = Some(file);
    }

    /// Chunks are written by threads of their own while the next ones are read: reading the process
    /// and writing the file overlap. `writers` says which: past the page cache (`O_DIRECT`, chunks of
    /// [`CHUNK`] bytes), through it ([`BUFFERED_CHUNK`]), or both at once ([`DUAL_CHUNK`]). Started
    /// now (their buffers touched now, before the process is stopped).
    pub fn pipelined(&mut self, writers: Writers) -> crate::Result<()> {
        let (chunk, count) = match writers {
            Writers::PageCache => (BUFFERED_CHUNK, BUFFERED_PIPELINE_BUFFERS),
            Writers::Direct(_) => (CHUNK, PIPELINE_BUFFERS),
            Writers::Dual { .. } => (DUAL_CHUNK, DUAL_PIPELINE_BUFFERS),
        };
        self.extend_ahead = matches!(writers, Writers::Dual { .. });
        self.pipeline =
            Some(Pipeline::start(self.file, writers, self.page, chunk, count).map_err(io)?);
        self.chunk = chunk;
        Ok(())
    }

    /// Waits for the chunks given to the writing threads ([`Writer::pipelined`]) to be written.
    pub fn drain(&mut self) -> crate::Result<()> {
        if let Some(mut p) = self.pipeline.take() {
            let (bytes, chunks) = p.finish()?;
            self.data_bytes += bytes;
            self.chunks_per_writer = chunks;
        }
        Ok(())
    }

    /// Reads and writes one mapping.
    pub fn segment(&mut self, seg: &Segment, mem: &mut dyn Memory) -> crate::Result<()> {
        let len = seg.end.saturating_sub(seg.start);
        let want = match seg.want {
            Want::Whole => len,
            Want::ElfHeader => self.page.min(len),
            Want::Nothing => 0,
        };
        let base = self.offset;
        if want == 0 {
            self.pieces.push(Piece {
                vaddr: seg.start,
                memsz: len,
                offset: base,
                filesz: 0,
                flags: seg.flags,
            });
            return Ok(());
        }
        // What fits under --max-size, in whole pages.
        let allowed = match self.max_size {
            Some(max) => {
                let room = max.saturating_sub(base);
                (room - room % self.page).min(want)
            }
            None => want,
        };
        if seg.want == Want::ElfHeader {
            if self.buf.len() < self.page as usize {
                self.buf.resize(self.page as usize, 0);
            }
            return self.elf_header(seg, len, want, allowed, mem);
        }
        let mut ranges: Vec<(u64, u64, Status)> = Vec::new();
        let note = |ranges: &mut Vec<(u64, u64, Status)>, a: u64, b: u64, s: Status| {
            if a >= b {
                return;
            }
            match ranges.last_mut() {
                Some(last) if last.1 == a && last.2 == s => last.1 = b,
                _ => ranges.push((a, b, s)),
            }
        };
        let zeros = seg.untouched && seg.absent_is_zero;
        if self.extend_ahead && !zeros && base + allowed > self.extended {
            // The file grows only here, on the reading side, so no write of a writing thread is cut.
            self.file.set_len(base + allowed).map_err(io)?;
            self.extended = base + allowed;
        }
        let mut done = 0u64;
        while done < allowed {
            mem.check()?;
            let chunk = self.chunk;
            let n = usize::try_from((allowed - done).min(chunk as u64)).unwrap_or(chunk);
            let addr = seg.start + done;
            if seg.untouched && seg.absent_is_zero {
                // Zeros: holes, whatever the size (a reservation of terabytes costs nothing).
                note(&mut ranges, addr, seg.start + allowed, Status::Held);
                break;
            }
            let runs = self.read_chunk(seg, addr, n, base + done, mem)?;
            let mut at = 0usize;
            for run in &runs {
                let end = (at + run.len).min(n);
                let (a, b) = (addr + at as u64, addr + end as u64);
                let status = match run.kind {
                    RunKind::Data | RunKind::Zero => Status::Held,
                    RunKind::Unreadable(e) => Status::Missing(Missing::Unreadable(e)),
                };
                note(&mut ranges, a, b, status);
                at = end;
            }
            if at < n {
                // A reader that described less than asked: the rest was not read.
                note(
                    &mut ranges,
                    addr + at as u64,
                    addr + n as u64,
                    Status::Missing(Missing::Unreadable(5)),
                );
            }
            self.runs = runs;
            done += n as u64;
        }
        note(
            &mut ranges,
            seg.start + allowed,
            seg.start + want,
            Status::Missing(Missing::OverMaxSize),
        );
        let count = ranges.len();
        for (i, (a, b, s)) in ranges.into_iter().enumerate() {
            // The last piece spans to the mapping's end (a mapping is whole pages; `want` is all of it).
            let memsz = if i + 1 == count { seg.end - a } else { b - a };
            let filesz = if s == Status::Held { b - a } else { 0 };
            self.pieces.push(Piece {
                vaddr: a,
                memsz,
                offset: base + (a - seg.start),
                filesz,
                flags: seg.flags,
            });
            if let Status::Missing(why) = s {
                self.missing.push(MissingRange {
                    start: a,
                    end: b,
                    why,
                });
            }
        }
        self.offset = align_up(base + allowed, self.page);
        Ok(())
    }

    /// The first page of a file mapping, kept only when it holds an ELF header (`ELF_HEADERS`).
    fn elf_header(
        &mut self,
        seg: &Segment,
        len: u64,
        want: u64,
        allowed: u64,
        mem: &mut dyn Memory,
    ) -> crate::Result<()> {
        let base = self.offset;
        let mut piece = Piece {
            vaddr: seg.start,
            memsz: len,
            offset: base,
            filesz: 0,
            flags: seg.flags,
        };
        if allowed < want {
            self.missing.push(MissingRange {
                start: seg.start,
                end: seg.start + want,
                why: Missing::OverMaxSize,
            });
            self.pieces.push(piece);
            return Ok(());
        }
        mem.check()?;
        let n = want as usize;
        let mut runs = std::mem::take(&mut self.runs);
        let result = mem.read(seg, seg.start, &mut self.buf[..n], &mut runs);
        let read_whole = matches!(runs.as_slice(), [Run { len, kind: RunKind::Data }] if *len >= n);
        self.runs = runs;
        result?;
        // Anything but an ELF header leaves the mapping to its file, as the kernel does.
        if read_whole && self.buf.starts_with(b"\x7fELF") {
            self.data_bytes += write_nonzero(&self.out, self.page, &self.buf[..n], base)?;
            piece.filesz = want;
            self.offset = align_up(base + want, self.page);
        }
        self.pieces.push(piece);
        Ok(())
    }

    /// Reads `n` bytes at `addr` into a held buffer when one is free (written by [`Writer::finish`],
    /// after the process was let go), else into the working buffer, written at once. `file_base` is the
    /// file offset of the first byte. Returns the runs.
    fn read_chunk(
        &mut self,
        seg: &Segment,
        addr: u64,
        n: usize,
        file_base: u64,
        mem: &mut dyn Memory,
    ) -> crate::Result<Vec<Run>> {
        let mut runs = std::mem::take(&mut self.runs);
        // Whole pages of the held memory, so that every piece stays page-aligned.
        let take = n.div_ceil(self.page as usize) * self.page as usize;
        if self.pool.len() >= take {
            let (held, rest) = std::mem::take(&mut self.pool).split_at_mut(take);
            self.pool = rest;
            mem.read(seg, addr, &mut held[..n], &mut runs)?;
            self.pending.push(Pending {
                buf: held,
                len: n,
                file_base,
                runs: runs.clone(),
            });
            return Ok(runs);
        }
        if let Some(p) = self.pipeline.as_mut() {
            let Some(mut buf) = p.buffer().filter(|b| b.len() >= n) else {
                // A writing thread ended on an error: that error.
                self.drain()?;
                return Err(io(std::io::Error::other("the writing threads ended")));
            };
            mem.read(seg, addr, &mut buf[..n], &mut runs)?;
            let job = Job {
                buf,
                len: n,
                file_base,
                runs: runs.clone(),
            };
            if p.jobs.as_ref().is_none_or(|j| j.send(job).is_err()) {
                self.drain()?;
                return Err(io(std::io::Error::other("the writing threads ended")));
            }
            return Ok(runs);
        }
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        mem.read(seg, addr, &mut self.buf[..n], &mut runs)?;
        self.data_bytes += write_data(&self.out, self.page, &self.buf[..n], &runs, file_base)?;
        Ok(runs)
    }

    /// Writes the chunks held in memory. Past the page cache (`O_DIRECT`, [`Writer::unbuffered`]), a
    /// second thread writes through it beside the first, each taking the next chunk when it is free, as
    /// the pipeline's two writing threads do ([`Writers::Dual`]): the disk takes what it can, the page
    /// cache the rest.
    fn flush(&mut self) -> crate::Result<()> {
        self.drain()?;
        let pending = std::mem::take(&mut self.pending);
        if self.out.unbuffered.is_none() || pending.len() < 2 {
            for p in pending {
                self.data_bytes +=
                    write_data(&self.out, self.page, &p.buf[..p.len], &p.runs, p.file_base)?;
            }
            return Ok(());
        }
        let queue = std::sync::Mutex::new(pending.into_iter());
        let failed = std::sync::atomic::AtomicBool::new(false);
        let buffered = Out::new(self.file, None);
        let page = self.page;
        let write_queue = |out: &Out<'_>| -> crate::Result<u64> {
            let mut bytes = 0;
            while !failed.load(std::sync::atomic::Ordering::SeqCst) {
                let next = queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .next();
                let Some(p) = next else { break };
                match write_data(out, page, &p.buf[..p.len], &p.runs, p.file_base) {
                    Ok(n) => bytes += n,
                    Err(e) => {
                        // The other thread stops at its next chunk.
                        failed.store(true, std::sync::atomic::Ordering::SeqCst);
                        return Err(e);
                    }
                }
            }
            Ok(bytes)
        };
        let out = &self.out;
        let (direct, cached) = std::thread::scope(|s| {
            let cached = std::thread::Builder::new()
                .name("gcore-write".into())
                .spawn_scoped(s, || write_queue(&buffered));
            let direct = write_queue(out);
            let cached = match cached {
                Ok(t) => t
                    .join()
                    .unwrap_or_else(|_| Err(io(std::io::Error::other("a writing thread failed")))),
                // No second thread: the first wrote every chunk.
                Err(_) => Ok(0),
            };
            (direct, cached)
        });
        self.data_bytes += direct? + cached?;
        Ok(())
    }

    /// Writes the notes and the headers after the data. `threads` start with the thread that is to be
    /// the core's first (the main thread).
    pub fn finish(
        mut self,
        machine: Machine,
        threads: &[ThreadState],
        process: &ProcessState,
        facts: &DumpFacts,
    ) -> crate::Result<Written> {
        self.flush()?;
        self.missing.sort_by_key(|m| m.start);
        let notes = build_notes(machine, threads, process, facts, &self.missing);
        let notes_off = align_up(self.offset, 8);
        self.file.write_all_at(&notes, notes_off).map_err(io)?;
        let phoff = align_up(notes_off + notes.len() as u64, 8);
        self.pieces.sort_by_key(|p| p.vaddr);
        let count = 1 + self.pieces.len();
        let mut headers = Vec::with_capacity(count * size_of::<Elf64Phdr>());
        let note_ph = Elf64Phdr {
            p_type: U32::new(PT_NOTE),
            p_flags: U32::new(0),
            p_offset: U64::new(notes_off),
            p_vaddr: U64::new(0),
            p_paddr: U64::new(0),
            p_filesz: U64::new(notes.len() as u64),
            p_memsz: U64::new(0),
            p_align: U64::new(4),
        };
        headers.extend_from_slice(note_ph.as_bytes());
        for p in &self.pieces {
            let ph = Elf64Phdr {
                p_type: U32::new(PT_LOAD),
                p_flags: U32::new(p.flags),
                p_offset: U64::new(p.offset),
                p_vaddr: U64::new(p.vaddr),
                p_paddr: U64::new(0),
                p_filesz: U64::new(p.filesz),
                p_memsz: U64::new(p.memsz),
                p_align: U64::new(self.page),
            };
            headers.extend_from_slice(ph.as_bytes());
        }
        self.file.write_all_at(&headers, phoff).map_err(io)?;
        let mut end = phoff + headers.len() as u64;
        let xnum = count >= usize::from(PN_XNUM);
        let mut shoff = 0;
        if xnum {
            // fill_extnum_info(): the real count in section header 0.
            shoff = end;
            let sh = Elf64Shdr {
                sh_size: U64::new(1),
                sh_info: U32::new(u32::try_from(count).unwrap_or(u32::MAX)),
                ..Elf64Shdr::default()
            };
            self.file.write_all_at(sh.as_bytes(), shoff).map_err(io)?;
            end += size_of::<Elf64Shdr>() as u64;
        }
        let mut ident = [0u8; 16];
        ident[..4].copy_from_slice(b"\x7fELF");
        ident[4] = 2; // ELFCLASS64
        ident[5] = 1; // ELFDATA2LSB
        ident[6] = 1; // EV_CURRENT
        let eh = Elf64Ehdr {
            e_ident: ident,
            e_type: U16::new(ET_CORE),
            e_machine: U16::new(machine.e_machine),
            e_version: U32::new(1),
            e_entry: U64::new(0),
            e_phoff: U64::new(phoff),
            e_shoff: U64::new(shoff),
            e_flags: U32::new(0),
            e_ehsize: U16::new(size_of::<Elf64Ehdr>() as u16),
            e_phentsize: U16::new(size_of::<Elf64Phdr>() as u16),
            e_phnum: U16::new(if xnum { PN_XNUM } else { count as u16 }),
            e_shentsize: U16::new(if xnum {
                size_of::<Elf64Shdr>() as u16
            } else {
                0
            }),
            e_shnum: U16::new(u16::from(xnum)),
            e_shstrndx: U16::new(0),
        };
        self.file.write_all_at(eh.as_bytes(), 0).map_err(io)?;
        self.file.set_len(end).map_err(io)?;
        Ok(Written {
            file_size: end,
            memory_bytes: self.pieces.iter().map(|p| p.filesz).sum(),
            data_bytes: self.data_bytes,
            segments: self.pieces.len(),
            segments_with_data: self.pieces.iter().filter(|p| p.filesz > 0).count(),
            missing: self.missing,
            chunks_per_writer: self.chunks_per_writer,
        })
    }
}

/// `pr_sname`'s index in "RSDTZW" (`fill_psinfo()`), 0 for letters outside it.
fn state_index(letter: u8) -> u8 {
    b"RSDTZW"
        .iter()
        .position(|c| *c == letter)
        .map_or(0, |i| i as u8)
}

fn prstatus(machine: Machine, t: &ThreadState, p: &ProcessState) -> Vec<u8> {
    let common = ElfPrstatusCommon {
        pr_info: ElfSiginfo {
            si_signo: I32::new(t.signal),
            si_code: I32::new(0),
            si_errno: I32::new(0),
        },
        pr_cursig: I16::new(i16::try_from(t.signal).unwrap_or(0)),
        _pad0: [0; 2],
        pr_sigpend: U64::new(t.sigpend),
        pr_sighold: U64::new(t.sighold),
        pr_pid: I32::new(t.tid),
        pr_ppid: I32::new(p.ppid),
        pr_pgrp: I32::new(p.pgrp),
        pr_sid: I32::new(p.sid),
        pr_utime: Timeval::from_micros(t.utime_us),
        pr_stime: Timeval::from_micros(t.stime_us),
        // fill_prstatus(): the children's times are the process's, in every thread's note.
        pr_cutime: Timeval::from_micros(p.cutime_us),
        pr_cstime: Timeval::from_micros(p.cstime_us),
    };
    let fpvalid = I32::new(i32::from(t.fpregs.is_some()));
    fn regs<const N: usize>(bytes: &[u8]) -> [U64<zerocopy::byteorder::LE>; N] {
        let mut out = [U64::new(0); N];
        for (slot, w) in out.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            *slot = U64::new(u64::from_le_bytes(b));
        }
        out
    }
    if machine == AARCH64 {
        ElfPrstatusAarch64 {
            common,
            pr_reg: regs::<34>(&t.gregs),
            pr_fpvalid: fpvalid,
            _pad1: [0; 4],
        }
        .as_bytes()
        .to_vec()
    } else {
        ElfPrstatusX86_64 {
            common,
            pr_reg: regs::<27>(&t.gregs),
            pr_fpvalid: fpvalid,
            _pad1: [0; 4],
        }
        .as_bytes()
        .to_vec()
    }
}

fn prpsinfo(p: &ProcessState) -> Vec<u8> {
    let mut fname = [0u8; 16];
    let n = p.comm.len().min(15);
    fname[..n].copy_from_slice(&p.comm[..n]);
    // fill_psinfo(): up to ELF_PRARGSZ - 1 bytes of the argument area, NULs made spaces.
    let mut psargs = [0u8; 80];
    let n = p.args.len().min(79);
    for (d, s) in psargs.iter_mut().zip(&p.args[..n]) {
        *d = if *s == 0 { b' ' } else { *s };
    }
    let index = state_index(p.state);
    ElfPrpsinfo {
        pr_state: index,
        pr_sname: p.state,
        pr_zomb: u8::from(p.state == b'Z'),
        pr_nice: p.nice,
        _pad0: [0; 4],
        pr_flag: U64::new(p.flags),
        pr_uid: U32::new(p.uid),
        pr_gid: U32::new(p.gid),
        pr_pid: I32::new(p.pid),
        pr_ppid: I32::new(p.ppid),
        pr_pgrp: I32::new(p.pgrp),
        pr_sid: I32::new(p.sid),
        pr_fname: fname,
        pr_psargs: psargs,
    }
    .as_bytes()
    .to_vec()
}

fn file_note(p: &ProcessState) -> Vec<u8> {
    let page = p.page_size.max(1);
    let mut out = NtFileHead {
        count: U64::new(p.files.len() as u64),
        page_size: U64::new(page),
    }
    .as_bytes()
    .to_vec();
    for f in &p.files {
        let e = NtFileEntry {
            start: U64::new(f.start),
            end: U64::new(f.end),
            file_ofs: U64::new(f.offset / page),
        };
        out.extend_from_slice(e.as_bytes());
    }
    for f in &p.files {
        // A NUL inside a name would shift every later one: cut the name there.
        let name = f.path.split(|b| *b == 0).next().unwrap_or(&[]);
        out.extend_from_slice(name);
        out.push(0);
    }
    out
}

fn procsift_note(facts: &DumpFacts, nthreads: usize, missing: &[MissingRange]) -> Vec<u8> {
    let mut flags = 0;
    if facts.all {
        flags |= GCORE_ALL;
    }
    if missing.iter().any(|m| m.why == Missing::OverMaxSize) {
        flags |= GCORE_CAPPED;
    }
    if facts.was_stopped {
        flags |= GCORE_WAS_STOPPED;
    }
    let mut out = ProcsiftGcore {
        version: U32::new(1),
        range_size: U32::new(size_of::<ProcsiftRange>() as u32),
        nranges: U32::new(u32::try_from(missing.len()).unwrap_or(u32::MAX)),
        flags: U32::new(flags),
        filter: U64::new(u64::from(facts.filter)),
        stopped_ns: U64::new(facts.stopped_ns),
        time_sec: I64::new(facts.time.0),
        time_nsec: U32::new(facts.time.1),
        nthreads: U32::new(u32::try_from(nthreads).unwrap_or(u32::MAX)),
        max_size: U64::new(facts.max_size),
    }
    .as_bytes()
    .to_vec();
    for m in missing {
        let (reason, errno) = match m.why {
            Missing::Unreadable(e) => (RANGE_UNREADABLE, e),
            Missing::OverMaxSize => (RANGE_OVER_MAX_SIZE, 0),
        };
        out.extend_from_slice(
            ProcsiftRange {
                start: U64::new(m.start),
                end: U64::new(m.end),
                reason: U32::new(reason),
                errno: I32::new(errno),
            }
            .as_bytes(),
        );
    }
    out
}

/// The notes in the kernel's order (`write_note_info()`): the first thread's `NT_PRSTATUS`, then
/// `NT_PRPSINFO`, `NT_SIGINFO`, `NT_AUXV`, `NT_FILE`, then that thread's other register sets; then each
/// other thread's `NT_PRSTATUS` and register sets; procsift's note last.
fn build_notes(
    machine: Machine,
    threads: &[ThreadState],
    p: &ProcessState,
    facts: &DumpFacts,
    missing: &[MissingRange],
) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, t) in threads.iter().enumerate() {
        push_note(&mut out, OWNER_CORE, NT_PRSTATUS, &prstatus(machine, t, p));
        if i == 0 {
            push_note(&mut out, OWNER_CORE, NT_PRPSINFO, &prpsinfo(p));
            let mut si = p.siginfo.clone();
            si.resize(128, 0);
            push_note(&mut out, OWNER_CORE, NT_SIGINFO, &si);
            push_note(&mut out, OWNER_CORE, NT_AUXV, &p.auxv);
            push_note(&mut out, OWNER_CORE, NT_FILE, &file_note(p));
        }
        if let Some(fp) = &t.fpregs {
            push_note(&mut out, OWNER_CORE, NT_PRFPREG, fp);
        }
        for (nt, bytes) in &t.extra {
            push_note(&mut out, OWNER_LINUX, *nt, bytes);
        }
    }
    push_note(
        &mut out,
        OWNER_PROCSIFT,
        NT_PROCSIFT_GCORE,
        &procsift_note(facts, threads.len(), missing),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::is_zero;

    #[test]
    fn zero_pages_are_found_wherever_their_one_byte_is() {
        assert!(is_zero(&[0u8; 4096]));
        assert!(is_zero(&[0u8; 100]));
        assert!(is_zero(&[]));
        // One non-zero byte in the first line, the last byte of a line, the next line, the last line,
        // and in a tail shorter than a line.
        for (len, at) in [
            (4096, 0),
            (4096, 63),
            (4096, 64),
            (4096, 4095),
            (100, 99),
            (100, 64),
        ] {
            let mut page = vec![0u8; len];
            page[at] = 0x80;
            assert!(!is_zero(&page), "{len} bytes, non-zero at {at}");
        }
    }
}
