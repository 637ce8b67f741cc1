//! `procsift gcore` on aarch64 Linux, in a full-system virtual machine (qemu-system-aarch64 emulating the
//! CPU: qemu-user cannot ptrace its guests). tests/aarch64-vm/run.sh builds a static aarch64 procsift and
//! the parked fixture, boots Debian's arm64 kernel with them, dumps the fixture there, and checks the
//! core here with gdb-multiarch, readelf (each thread's register sets against the kernel's own core of the
//! fixture) and this procsift; in the guest, that the fixture ran on after the dump. This test runs the
//! script and holds it to its verdict; it is skipped, saying so, only where qemu-system-aarch64 is not
//! installed (.ci/run installs it, the rest the script needs, and the kernel).
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

#[test]
fn gcore_in_an_aarch64_virtual_machine() {
    let qemu = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| d.join("qemu-system-aarch64").is_file())
    });
    if !qemu {
        println!(
            "SKIPPED gcore_in_an_aarch64_virtual_machine: qemu-system-aarch64 is not installed \
             (apt-get install qemu-system-arm; .ci/run installs it)"
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("tests/aarch64-vm/run.sh"))
        .env("PROCSIFT", env!("CARGO_BIN_EXE_procsift"))
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "tests/aarch64-vm/run.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The script's checks, each said when it held.
    for said in [
        "guest: gcore exit 0",
        "gdb-multiarch: 3 threads, park_in_alpha, park_in_beta, park_in_main",
        "readelf: every thread's register sets as in the kernel's core: NT_PRSTATUS/0x00000188 \
         NT_FPREGSET/0x00000210",
        "procsift core and threads --stack",
    ] {
        assert!(stdout.contains(said), "no {said:?} in:\n{stdout}\n{stderr}");
    }
    assert!(
        stdout.lines().any(|l| l == "aarch64-vm: PASS"),
        "{stdout}\n{stderr}"
    );
}
