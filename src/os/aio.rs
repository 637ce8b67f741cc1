//! Linux native asynchronous I/O (io_setup(2), io_submit(2), io_getevents(2), io_destroy(2)) for the
//! `O_DIRECT` writes of `gcore`: a write is submitted and the call returns, the disk takes it while the
//! thread goes on. On ext4 a synchronous `O_DIRECT` write into a hole holds the file's inode lock until
//! the disk has it, and a buffered write to the same file waits for that lock; submitted asynchronously,
//! the lock is held only while the write is submitted (for writes within the file's length: one that
//! extends the file is waited for all the same), so the page cache and the disk take writes at once.
//!
//! rustix and the `libc` crate wrap none of these calls (libc gives their numbers): each `unsafe` block
//! is one system call whose pointers point into live Rust values of the stated length. The buffers being
//! written are owned by [`DirectWrites`] until their writes completed, and its `Drop` waits for every
//! write in flight before it frees them.

use std::fs::File;
use std::os::fd::AsRawFd;

/// `IOCB_CMD_PWRITE` (`include/uapi/linux/aio_abi.h`).
const IOCB_CMD_PWRITE: u16 = 1;

/// `struct iocb` (`include/uapi/linux/aio_abi.h`), little-endian layout (`aio_key` before
/// `aio_rw_flags`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Iocb {
    aio_data: u64,
    aio_key: u32,
    aio_rw_flags: i32,
    aio_lio_opcode: u16,
    aio_reqprio: i16,
    aio_fildes: u32,
    aio_buf: u64,
    aio_nbytes: u64,
    aio_offset: i64,
    aio_reserved2: u64,
    aio_flags: u32,
    aio_resfd: u32,
}

/// `struct io_event`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct IoEvent {
    data: u64,
    obj: u64,
    res: i64,
    res2: i64,
}

const _: () = assert!(size_of::<Iocb>() == 64 && size_of::<IoEvent>() == 32);

/// Most writes in flight at once (`io_setup`'s `nr_events`): a chunk of 4 MiB has at most 512 runs of
/// non-zero pages.
const MAX_WRITES: usize = 1024;

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
    ctx: libc::c_ulong,
    file: File,
    batches: Vec<Batch>,
    next_id: u64,
    writes: usize,
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

impl DirectWrites {
    /// An AIO context for writes through `file` (opened with `O_DIRECT`). Fails where the kernel has no
    /// AIO (`ENOSYS`) or its limit of contexts is reached (`EAGAIN`, `fs.aio-max-nr`).
    pub fn new(file: File) -> std::io::Result<DirectWrites> {
        let mut ctx: libc::c_ulong = 0;
        // SAFETY: io_setup writes the context id into `ctx`, a live c_ulong.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_setup,
                MAX_WRITES as libc::c_long,
                &mut ctx as *mut libc::c_ulong,
            )
        };
        if r != 0 {
            return Err(last_error());
        }
        Ok(DirectWrites {
            ctx,
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
    /// buffer, and as `O_DIRECT` wants them aligned), and keeps `buf` until they completed. A write the
    /// kernel refuses at once is given back by [`DirectWrites::reap`] as failed, like one that fails
    /// later.
    pub fn submit(
        &mut self,
        buf: memmap2::MmapMut,
        spans: Vec<(usize, usize, u64)>,
    ) -> std::io::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let mut batch = Batch {
            id,
            buf,
            spans,
            pending: 0,
            failed: Vec::new(),
        };
        let mut i = 0;
        while i < batch.spans.len() {
            let (start, len, offset) = batch.spans[i];
            let end = start.checked_add(len);
            if end.is_none_or(|e| e > batch.buf.len()) || i64::try_from(offset).is_err() {
                batch.failed.push((
                    batch.spans[i],
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "write outside buffer"),
                ));
                i += 1;
                continue;
            }
            if self.writes >= MAX_WRITES {
                // Room for one more: wait for a write to end (its buffer given back by the next reap).
                self.wait_events(1)?;
                continue;
            }
            let mut cb = Iocb {
                aio_data: (id << 16) | (i as u64 & 0xffff),
                aio_lio_opcode: IOCB_CMD_PWRITE,
                aio_fildes: self.file.as_raw_fd() as u32,
                aio_buf: batch.buf[start..].as_ptr() as u64,
                aio_nbytes: len as u64,
                aio_offset: offset as i64,
                ..Iocb::default()
            };
            let mut list = [&mut cb as *mut Iocb];
            // SAFETY: one iocb, live for the call (the kernel copies it); the bytes it points to,
            // `len` bytes at `start` of `batch.buf`, stay alive and unchanged until its event is reaped:
            // the buffer is owned by `self.batches` until then, and Drop waits for every write.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_io_submit,
                    self.ctx,
                    1 as libc::c_long,
                    list.as_mut_ptr(),
                )
            };
            if r == 1 {
                batch.pending += 1;
                self.writes += 1;
                i += 1;
                continue;
            }
            let e = last_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => {}
                Some(libc::EAGAIN) if self.writes > 0 => self.wait_events(1)?,
                _ => {
                    batch.failed.push((batch.spans[i], e));
                    i += 1;
                }
            }
        }
        self.batches.push(batch);
        Ok(())
    }

    /// Waits for at least `min` write to end (fewer if fewer are in flight) and records each.
    fn wait_events(&mut self, min: usize) -> std::io::Result<()> {
        let min = min.min(self.writes);
        let mut events = [IoEvent::default(); 64];
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            let timeout: *const libc::timespec = if min == 0 { &zero } else { std::ptr::null() };
            // SAFETY: `events` is a live array of 64 io_events; `timeout` null or a live timespec.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_io_getevents,
                    self.ctx,
                    min as libc::c_long,
                    events.len() as libc::c_long,
                    events.as_mut_ptr(),
                    timeout,
                )
            };
            if r < 0 {
                let e = last_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(e);
            }
            for ev in &events[..r as usize] {
                let id = ev.data >> 16;
                let i = (ev.data & 0xffff) as usize;
                let Some(b) = self.batches.iter_mut().find(|b| b.id == id) else {
                    continue;
                };
                self.writes = self.writes.saturating_sub(1);
                b.pending = b.pending.saturating_sub(1);
                let Some(&span) = b.spans.get(i) else {
                    continue;
                };
                if ev.res < 0 {
                    let errno = i32::try_from(-ev.res).unwrap_or(libc::EIO);
                    b.failed
                        .push((span, std::io::Error::from_raw_os_error(errno)));
                } else if (ev.res as u64) < span.1 as u64 {
                    // A short write (a disk filling up): what is left of it, for the caller to write
                    // another way (and to get the error, if there is one).
                    let n = ev.res as usize;
                    b.failed.push((
                        (span.0 + n, span.1 - n, span.2 + n as u64),
                        std::io::Error::new(
                            std::io::ErrorKind::WriteZero,
                            format!("short write: {} of {} bytes", ev.res, span.1),
                        ),
                    ));
                }
            }
            return Ok(());
        }
    }

    /// The buffers whose writes all ended, after waiting for one to end when `wait` (and writes are in
    /// flight).
    pub fn reap(&mut self, wait: bool) -> std::io::Result<Vec<Done>> {
        let ready = |b: &Batch| b.pending == 0;
        if !self.batches.iter().any(ready) {
            self.wait_events(if wait { 1 } else { 0 })?;
            while wait && self.writes > 0 && !self.batches.iter().any(ready) {
                self.wait_events(1)?;
            }
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
        // SAFETY: the context is ours; io_destroy waits for (or cancels) any write still in flight
        // before it returns, so the buffers freed after it are no longer read.
        unsafe {
            libc::syscall(libc::SYS_io_destroy, self.ctx);
        }
    }
}
