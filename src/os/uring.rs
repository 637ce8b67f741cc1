//! Asynchronous writes through io_uring(7) for the `O_DIRECT` writes of `gcore` (the `io-uring` crate:
//! the rings and their system calls): a write is submitted and the thread goes on while the disk takes
//! it. On ext4 a synchronous `O_DIRECT` write into a hole holds the file's inode lock until the disk has
//! it, and a buffered write to the same file waits for that lock; submitted asynchronously, the lock is
//! held only while the write is submitted (for writes within the file's length: one that extends the
//! file is waited for all the same), so the page cache and the disk take writes at once.
//!
//! Not Linux AIO (io_submit(2)), though it does the same: destroying an AIO context, and the exit of a
//! process that has one, waits for RCU grace periods, 30 to 40 ms on the benchmark host, which was a
//! tenth of a dump's time; a ring is torn down by the kernel after its descriptor is closed.
//!
//! Pushing a write is `unsafe` (the kernel reads the buffer later): the buffers being written are owned
//! by [`DirectWrites`] until their writes completed, and its `Drop` waits for every write in flight
//! before it frees them.

use std::fs::File;
use std::os::fd::AsRawFd;

use io_uring::{IoUring, opcode, types};

/// Entries of the submission queue, and most writes in flight at once (more wait for some to end): a
/// chunk of 8 MiB has at most 1024 runs of non-zero pages, most have one.
const MAX_WRITES: usize = 256;

/// One buffer being written: its writes (start in the buffer, length, file offset).
struct Batch {
    id: u64,
    buf: memmap2::MmapMut,
    spans: Vec<(usize, usize, u64)>,
    pending: usize,
    failed: Vec<((usize, usize, u64), std::io::Error)>,
}

/// A buffer whose writes all ended, given back by [`DirectWrites::reap`], with the writes that failed
/// (span, error; for a short write, the part not written and `ErrorKind::WriteZero`); the buffer is
/// unchanged, so a failed write can be made again another way.
pub struct Done {
    /// The buffer.
    pub buf: memmap2::MmapMut,
    /// Writes that failed: (start in the buffer, length, file offset) and why.
    pub failed: Vec<((usize, usize, u64), std::io::Error)>,
}

/// Asynchronous writes through one `O_DIRECT` file descriptor, each from a buffer owned here until
/// every write from it has completed.
pub struct DirectWrites {
    ring: IoUring,
    file: File,
    batches: Vec<Batch>,
    next_id: u64,
    writes: usize,
}

impl DirectWrites {
    /// A ring for writes through `file` (opened with `O_DIRECT`). Fails where the kernel has no
    /// io_uring (`ENOSYS`) or it is disabled (`kernel.io_uring_disabled`: `EPERM`).
    pub fn new(file: File) -> std::io::Result<DirectWrites> {
        Ok(DirectWrites {
            ring: IoUring::new(MAX_WRITES as u32)?,
            file,
            batches: Vec::new(),
            next_id: 0,
            writes: 0,
        })
    }

    /// Buffers with writes in flight.
    pub fn in_flight(&self) -> usize {
        self.batches.len()
    }

    /// Submits a write of each span of `buf` (start in the buffer, length, file offset: each within the
    /// buffer, and as `O_DIRECT` wants them aligned), and keeps `buf` until they completed. A span that
    /// cannot be submitted is given back by [`DirectWrites::reap`] as failed, like a write that fails.
    pub fn submit(
        &mut self,
        buf: memmap2::MmapMut,
        spans: Vec<(usize, usize, u64)>,
    ) -> std::io::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        // The buffer is held before any write from it is pushed (its memory does not move with it).
        self.batches.push(Batch {
            id,
            buf,
            spans,
            pending: 0,
            failed: Vec::new(),
        });
        let at = self.batches.len() - 1;
        let mut i = 0;
        while i < self.batches[at].spans.len() {
            let (start, len, offset) = self.batches[at].spans[i];
            let b = &self.batches[at];
            let end = start.checked_add(len);
            if end.is_none_or(|e| e > b.buf.len())
                || u32::try_from(len).is_err()
                || i64::try_from(offset).is_err()
                || i > 0xffff
            {
                let span = b.spans[i];
                self.batches[at].failed.push((
                    span,
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "write outside buffer"),
                ));
                i += 1;
                continue;
            }
            if self.writes >= MAX_WRITES {
                // Room for one more: wait for a write to end.
                self.wait_events(1)?;
                continue;
            }
            let entry = opcode::Write::new(
                types::Fd(self.file.as_raw_fd()),
                b.buf[start..].as_ptr(),
                len as u32,
            )
            .offset(offset)
            .build()
            .user_data((id << 16) | i as u64);
            // SAFETY: the entry points to `len` bytes at `start` of a buffer owned by `self.batches`
            // until this write's completion is reaped (Drop waits for every write), and the file
            // descriptor is `self.file`'s, open as long as `self`.
            let pushed = unsafe { self.ring.submission().push(&entry) };
            if pushed.is_err() {
                // The submission queue is full: hand it to the kernel, then push again.
                self.submit_queued()?;
                continue;
            }
            self.batches[at].pending += 1;
            self.writes += 1;
            i += 1;
        }
        self.submit_queued()
    }

    /// Hands the queued writes to the kernel.
    fn submit_queued(&mut self) -> std::io::Result<()> {
        loop {
            match self.ring.submit() {
                Ok(_) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && self.writes > 0 => {
                    // The completion queue is full: take completions first.
                    self.take_completions();
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits for at least `min` writes to end (fewer if fewer are in flight) and records each.
    fn wait_events(&mut self, min: usize) -> std::io::Result<()> {
        let min = min.min(self.writes);
        if min > 0 {
            loop {
                match self.ring.submit_and_wait(min) {
                    Ok(_) => break,
                    Err(e) if e.raw_os_error() == Some(libc::EINTR) => {
                        // Completions may have come meanwhile.
                        if self.ring.completion().len() >= min {
                            break;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        self.take_completions();
        Ok(())
    }

    /// Records the completions the kernel posted.
    fn take_completions(&mut self) {
        let events: Vec<(u64, i32)> = self
            .ring
            .completion()
            .map(|c| (c.user_data(), c.result()))
            .collect();
        for (data, res) in events {
            let id = data >> 16;
            let i = (data & 0xffff) as usize;
            let Some(b) = self.batches.iter_mut().find(|b| b.id == id) else {
                continue;
            };
            self.writes = self.writes.saturating_sub(1);
            b.pending = b.pending.saturating_sub(1);
            let Some(&span) = b.spans.get(i) else {
                continue;
            };
            if res < 0 {
                b.failed
                    .push((span, std::io::Error::from_raw_os_error(-res)));
            } else if (res as usize) < span.1 {
                // A short write (a disk filling up): what is left of it, for the caller to write
                // another way (and to get the error, if there is one).
                let n = res as usize;
                b.failed.push((
                    (span.0 + n, span.1 - n, span.2 + n as u64),
                    std::io::Error::new(
                        std::io::ErrorKind::WriteZero,
                        format!("short write: {res} of {} bytes", span.1),
                    ),
                ));
            }
        }
    }

    /// The buffers whose writes all ended, after waiting for one to end when `wait` (and writes are in
    /// flight).
    pub fn reap(&mut self, wait: bool) -> std::io::Result<Vec<Done>> {
        let ready = |b: &Batch| b.pending == 0;
        self.take_completions();
        while wait && self.writes > 0 && !self.batches.iter().any(ready) {
            self.wait_events(1)?;
        }
        let mut done = Vec::new();
        let mut i = 0;
        while i < self.batches.len() {
            if ready(&self.batches[i]) {
                let b = self.batches.remove(i);
                done.push(Done {
                    buf: b.buf,
                    failed: b.failed,
                });
            } else {
                i += 1;
            }
        }
        Ok(done)
    }
}

impl Drop for DirectWrites {
    fn drop(&mut self) {
        // Every write must end before its buffer is freed.
        while self.writes > 0 {
            if self.wait_events(self.writes).is_err() {
                break;
            }
        }
    }
}
