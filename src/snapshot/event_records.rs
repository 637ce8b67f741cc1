//! The `events/cn_proc.bin` member: procsift's own container of what the process-event listener
//! received during a capture (the datagrams exactly as `recv` returned them, overruns, and what was read
//! from `/proc` after each exec).
//!
//! It lives in the snapshot layer because it is part of the archive format, like the manifest: the
//! capture writes it and the analysis reads it, and both sit above this layer. The kernel's wire format
//! inside the datagrams is decoded by [`crate::formats::linux::cn_proc`]; nothing here looks inside them.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "PSCNPRC1"
//!      8        records, each:
//!               u32 payload length, u16 type, u16 flags (0), u64 CLOCK_MONOTONIC ns (all little-endian),
//!               then the payload
//! ```

use crate::formats::linux::ParseError;

/// The first 8 bytes of `events/cn_proc.bin`.
pub const RECORDS_MAGIC: &[u8; 8] = b"PSCNPRC1";
/// Size of a record header: `u32` payload length, `u16` type, `u16` flags (0), `u64` receive time.
pub const RECORD_HEADER_LEN: usize = 16;

/// Record type 1: one datagram exactly as `recv` returned it.
pub const RECORD_DATAGRAM: u16 = 1;
/// Record type 2: `recv` failed with ENOBUFS — the socket's buffer overflowed and the kernel dropped
/// events here (how many is unknown). No payload.
pub const RECORD_OVERRUN: u16 = 2;
/// Record type 3: what procsift read from `/proc/<pid>` right after an exec event: `i32` pid, then
/// `comm`, `cmdline`, `exe` each as `i32` errno (0 = read; the capturing host's numbering) + `u32` length
/// + bytes.
pub const RECORD_EXEC_DETAILS: u16 = 3;

/// One record of `events/cn_proc.bin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A datagram as received, with the CLOCK_MONOTONIC time (ns) `recv` returned it.
    Datagram {
        /// Receive time, CLOCK_MONOTONIC ns.
        received_ns: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// ENOBUFS: events were lost here.
    Overrun {
        /// When `recv` reported it, CLOCK_MONOTONIC ns.
        received_ns: u64,
    },
    /// `/proc/<pid>/comm`, `cmdline` and the `exe` link, read after an exec event of `pid`.
    ExecDetails {
        /// When they were read, CLOCK_MONOTONIC ns.
        received_ns: u64,
        /// The process.
        pid: i32,
        /// `comm` bytes, or the errno of the read.
        comm: Result<Vec<u8>, i32>,
        /// `cmdline` bytes, or the errno.
        cmdline: Result<Vec<u8>, i32>,
        /// The `exe` link's target, or the errno.
        exe: Result<Vec<u8>, i32>,
    },
}

/// A record and where it is in the member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// Byte offset of the record's header in the member.
    pub offset: usize,
    /// The record.
    pub record: Record,
}

impl Located {
    /// Byte offset of the record's payload in the member (for a datagram, where its bytes start).
    pub fn payload_offset(&self) -> usize {
        self.offset.saturating_add(RECORD_HEADER_LEN)
    }
}

/// Appends `record` to `out` in the container format (all header fields little-endian).
pub fn write_record(out: &mut Vec<u8>, record: &Record) {
    let (ty, ns, payload): (u16, u64, Vec<u8>) = match record {
        Record::Datagram { received_ns, bytes } => (RECORD_DATAGRAM, *received_ns, bytes.clone()),
        Record::Overrun { received_ns } => (RECORD_OVERRUN, *received_ns, Vec::new()),
        Record::ExecDetails {
            received_ns,
            pid,
            comm,
            cmdline,
            exe,
        } => {
            let mut p = pid.to_le_bytes().to_vec();
            for f in [comm, cmdline, exe] {
                match f {
                    Ok(b) => {
                        p.extend_from_slice(&0i32.to_le_bytes());
                        p.extend_from_slice(&(b.len() as u32).to_le_bytes());
                        p.extend_from_slice(b);
                    }
                    Err(e) => {
                        p.extend_from_slice(&e.to_le_bytes());
                        p.extend_from_slice(&0u32.to_le_bytes());
                    }
                }
            }
            (RECORD_EXEC_DETAILS, *received_ns, p)
        }
    };
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&ns.to_le_bytes());
    out.extend_from_slice(&payload);
}

/// Reads every record of an `events/cn_proc.bin` member, each with its byte offset. Records of an
/// unknown type are skipped; a missing magic or a record running past the end is an error with its byte
/// offset (the records before it are returned).
pub fn read_records(bytes: &[u8]) -> (Vec<Located>, Option<ParseError>) {
    let mut out = Vec::new();
    if bytes.get(..8) != Some(RECORDS_MAGIC.as_slice()) {
        return (out, Some(ParseError::new(0, "no PSCNPRC1 magic")));
    }
    let mut off = 8;
    let le32 = |b: &[u8], at: usize| {
        b.get(at..at.checked_add(4)?)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    while off < bytes.len() {
        let Some(h) = bytes.get(off..off + RECORD_HEADER_LEN) else {
            return (out, Some(ParseError::new(off, "truncated record header")));
        };
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let ty = u16::from_le_bytes([h[4], h[5]]);
        let mut ns = [0u8; 8];
        ns.copy_from_slice(&h[8..16]);
        let received_ns = u64::from_le_bytes(ns);
        let start = off + RECORD_HEADER_LEN;
        let Some(p) = start.checked_add(len).and_then(|end| bytes.get(start..end)) else {
            return (
                out,
                Some(ParseError::new(
                    off,
                    format!(
                        "record of {len} bytes runs past the end ({} bytes left)",
                        bytes.len() - start
                    ),
                )),
            );
        };
        let record = match ty {
            RECORD_DATAGRAM => Some(Record::Datagram {
                received_ns,
                bytes: p.to_vec(),
            }),
            RECORD_OVERRUN => Some(Record::Overrun { received_ns }),
            RECORD_EXEC_DETAILS => {
                let pid = le32(p, 0).map(|v| v as i32);
                let mut at = 4usize;
                let mut fields: Vec<Result<Vec<u8>, i32>> = Vec::new();
                for _ in 0..3 {
                    let (Some(err), Some(n)) = (le32(p, at), le32(p, at + 4)) else {
                        break;
                    };
                    let n = n as usize;
                    let Some(b) = (at + 8).checked_add(n).and_then(|end| p.get(at + 8..end)) else {
                        break;
                    };
                    fields.push(if err == 0 {
                        Ok(b.to_vec())
                    } else {
                        Err(err as i32)
                    });
                    at += 8 + n;
                }
                match (pid, <[_; 3]>::try_from(fields)) {
                    (Some(pid), Ok([comm, cmdline, exe])) => Some(Record::ExecDetails {
                        received_ns,
                        pid,
                        comm,
                        cmdline,
                        exe,
                    }),
                    _ => {
                        return (
                            out,
                            Some(ParseError::new(
                                start + at.min(len),
                                "malformed exec-details record",
                            )),
                        );
                    }
                }
            }
            _ => None,
        };
        if let Some(record) = record {
            out.push(Located {
                offset: off,
                record,
            });
        }
        off = start + len;
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_round_trip_with_offsets() {
        let recs = vec![
            Record::Datagram {
                received_ns: 5,
                bytes: vec![1, 2, 3, 4, 5],
            },
            Record::Overrun { received_ns: 6 },
            Record::ExecDetails {
                received_ns: 7,
                pid: 200,
                comm: Ok(b"payload\n".to_vec()),
                cmdline: Ok(b"/tmp/payload\0-x\0".to_vec()),
                exe: Err(2),
            },
        ];
        let mut b = RECORDS_MAGIC.to_vec();
        for r in &recs {
            write_record(&mut b, r);
        }
        let (back, err) = read_records(&b);
        assert_eq!(err, None);
        assert_eq!(
            back.iter().map(|l| l.record.clone()).collect::<Vec<_>>(),
            recs
        );
        // Offsets: the magic, then 16 + 5 bytes of the datagram, then 16 of the overrun.
        assert_eq!(
            back.iter().map(|l| l.offset).collect::<Vec<_>>(),
            vec![8, 29, 45]
        );
        assert_eq!(back[0].payload_offset(), 24);
        let (back, err) = read_records(&b[..b.len() - 3]);
        assert_eq!(back.len(), 2);
        assert_eq!(err.unwrap().offset, 45);
        assert!(read_records(b"nope").1.is_some());
    }
}
