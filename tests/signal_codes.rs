//! Signal codes named as the captured system names them: `si_code` values that say who sent a signal
//! (`SI_USER`, `SI_LWP`, `SI_NOINFO`, ...) differ between NetBSD, illumos, FreeBSD and Linux.

mod common;

/// The NetBSD core's procinfo note records `cpi_signo` 11 and `cpi_sigcode` 32767 (read here with Python
/// beside procsift: bytes 8..16 of the 160-byte `NetBSD-CORE` type-1 note): NetBSD's `SI_NOINFO`
/// (`sys/sys/siginfo.h`), which `core` must name rather than print as a bare number.
#[test]
fn netbsd_si_noinfo_is_named() {
    let core = common::corpus("netbsd/lldb-2lwp_t2_SIGSEGV.amd64.core");
    let j = common::run_json(&["core", core.to_str().unwrap(), "--format", "json"]);
    let s = &j["core"]["signal"];
    assert_eq!(
        (s["number"].as_i64(), s["code"].as_i64()),
        (Some(11), Some(32767)),
        "{s}"
    );
    assert!(
        s["code_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("SI_NOINFO")),
        "{s}"
    );
    let out = common::bin()
        .args(["core", core.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("32767 SI_NOINFO"), "{text}");
}
