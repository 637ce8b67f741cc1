//! Host facts for the manifest: what the capturing host says about itself, and clocks.

use crate::abi::{DataModel, Endianness};
use crate::formats::linux::system::kernel_stat;
use crate::formats::release;
use crate::snapshot::manifest::ManifestHost;
use crate::time::Timestamp;

/// uname(2), page size, clock ticks, byte order and data model of the capturing binary, plus the facts
/// taken from captured members: `btime` from `/proc/stat`, `/proc/sys/kernel/random/boot_id`, and
/// `PRETTY_NAME` from os-release.
pub fn facts(
    proc_stat: Option<&[u8]>,
    boot_id: Option<&[u8]>,
    os_release: Option<&[u8]>,
) -> ManifestHost {
    let u = rustix::system::uname();
    let text = |c: &std::ffi::CStr| Some(String::from_utf8_lossy(c.to_bytes()).into_owned());
    ManifestHost {
        hostname: text(u.nodename()),
        sysname: text(u.sysname()),
        release: text(u.release()),
        version: text(u.version()),
        machine: text(u.machine()),
        os_release: os_release.and_then(release::pretty_name),
        byte_order: Endianness::NATIVE.name().into(),
        data_model: DataModel::NATIVE.name().into(),
        page_size: Some(rustix::param::page_size() as u64),
        clk_tck: Some(rustix::param::clock_ticks_per_second()),
        boot_time: proc_stat
            .and_then(|s| kernel_stat(s).btime)
            .map(|secs| Timestamp { secs, nanos: 0 }),
        boot_id: boot_id
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        zonename: None,
    }
}

/// The host name as uname(2) reports it (nodename).
pub fn hostname() -> String {
    String::from_utf8_lossy(rustix::system::uname().nodename().to_bytes()).into_owned()
}

/// One moment on two clocks: UTC and seconds since boot (CLOCK_BOOTTIME), read back to back, so that
/// spans measured on either agree.
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    /// UTC wall-clock time.
    pub utc: Timestamp,
    /// Seconds since boot; `None` where the clock does not exist.
    pub boottime: Option<f64>,
}

impl Moment {
    /// Now, on both clocks: the UTC clock read between two reads of the boot clock, whose midpoint is
    /// kept. A thread preempted between the reads (a busy machine) would pair moments milliseconds
    /// apart, so the reads are repeated (a few times at most) until the boot clock moved less than a
    /// millisecond around the UTC read, and the tightest pair is kept.
    pub fn now() -> Moment {
        let mut best: Option<(f64, Moment)> = None;
        for _ in 0..8 {
            let before = boottime_secs();
            let utc = Timestamp::now();
            let after = boottime_secs();
            let (Some(b), Some(a)) = (before, after) else {
                return Moment {
                    utc,
                    boottime: None,
                };
            };
            let spread = a - b;
            let m = Moment {
                utc,
                boottime: Some(b + spread / 2.0),
            };
            if best.as_ref().is_none_or(|(s, _)| spread < *s) {
                best = Some((spread, m));
            }
            if spread < 1e-3 {
                break;
            }
        }
        match best {
            Some((_, m)) => m,
            None => Moment {
                utc: Timestamp::now(),
                boottime: boottime_secs(),
            },
        }
    }
}

/// Seconds since boot, including suspend (CLOCK_BOOTTIME); `None` where the clock does not exist.
pub fn boottime_secs() -> Option<f64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        Some(t.tv_sec as f64 + t.tv_nsec as f64 / 1e9)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}
