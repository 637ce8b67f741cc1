//! sysctl(3) and sysctlnametomib(3) through the libc crate, for the NetBSD capture plan. Compiled only
//! for NetBSD.
//!
//! Deliberately thin: one call each, no retry or sizing logic (that is the OS-neutral `fetch` of the
//! capture's NetBSD plan, tested on Linux against a fake). This file is compiled and linted for
//! `x86_64-unknown-netbsd` on every CI run, but has never run on NetBSD; its calls follow the libc
//! crate's NetBSD signatures (`src/unix/bsd/netbsdlike/netbsd/mod.rs`: `sysctl(name: *const c_int,
//! namelen: c_uint, oldp: *mut c_void, oldlenp: *mut size_t, newp: *const c_void, newlen: size_t)`,
//! `sysctlnametomib(sname: *const c_char, name: *mut c_int, namelenp: *mut size_t)`).

use std::ffi::CString;

use rustix::io::Errno;

use super::Sysctl;

/// `CTL_MAXNAME` (`sys/sysctl.h`): the longest MIB.
const CTL_MAXNAME: usize = 12;

/// The system's sysctl(3).
#[derive(Debug, Clone, Copy, Default)]
pub struct LibcSysctl;

fn last_errno() -> Errno {
    Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

impl Sysctl for LibcSysctl {
    fn read(&self, mib: &[i32], buf: Option<&mut [u8]>) -> Result<usize, Errno> {
        let namelen = libc::c_uint::try_from(mib.len()).map_err(|_| Errno::INVAL)?;
        let (oldp, mut oldlen): (*mut libc::c_void, libc::size_t) = match buf {
            Some(b) => (b.as_mut_ptr().cast(), b.len()),
            None => (std::ptr::null_mut(), 0),
        };
        // SAFETY: `mib` holds `namelen` ints; `oldp` is null (a size query) or points to `oldlen`
        // writable bytes borrowed for the call; no new value is set (`newp` null, `newlen` 0).
        let r = unsafe {
            libc::sysctl(
                mib.as_ptr(),
                namelen,
                oldp,
                &mut oldlen,
                std::ptr::null(),
                0,
            )
        };
        if r == 0 {
            Ok(oldlen)
        } else {
            Err(last_errno())
        }
    }

    fn name_to_mib(&self, name: &str) -> Result<Vec<i32>, Errno> {
        let name = CString::new(name).map_err(|_| Errno::INVAL)?;
        let mut mib = [0 as libc::c_int; CTL_MAXNAME];
        let mut len: libc::size_t = mib.len();
        // SAFETY: `name` is NUL-terminated; `mib` has room for `len` ints, and the call writes at most
        // that many and stores the count in `len`.
        let r = unsafe { libc::sysctlnametomib(name.as_ptr(), mib.as_mut_ptr(), &mut len) };
        if r == 0 {
            Ok(mib[..len.min(CTL_MAXNAME)].to_vec())
        } else {
            Err(last_errno())
        }
    }
}
