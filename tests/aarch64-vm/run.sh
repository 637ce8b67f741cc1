#!/usr/bin/env bash
# procsift gcore on aarch64 Linux, for real: a full-system aarch64 virtual machine (qemu-system-aarch64, TCG
# emulation: no KVM needed) boots Debian's arm64 kernel with an initramfs holding busybox, a static aarch64
# procsift and the parked fixture (testdata/fixtures/parked.c: three threads parked in named functions, a
# global and a heap string). Inside, procsift gcore dumps the fixture, the fixture is shown to run on
# (its threads' states, its main thread's context switches), and the kernel writes its own core of a
# second instance (SIGABRT) to compare the register sets with. Both cores come back over the serial
# console (gzip, base64, between markers) and are checked here: gdb-multiarch (threads, backtraces
# through the named functions, the global, the heap string), readelf -n (the notes; each thread's register
# sets the same types and sizes as in the kernel's core), procsift core and threads (the same facts).
# qemu-user cannot be used: it cannot ptrace its guests.
#
# Usage: tests/aarch64-vm/run.sh [--fetch]
#   --fetch   only download the kernel and busybox packages into the cache, then exit.
# Environment:
#   PROCSIFT                   the host procsift that reads the cores (default: target/debug/procsift, built)
#   PROCSIFT_AARCH64_VM_CACHE  where the downloaded packages are kept (default /var/tmp/procsift-aarch64-vm)
#   PROCSIFT_AARCH64_VM_WORK   the work directory (default target/aarch64-vm/work; emptied first)
# Needs: qemu-system-aarch64 (qemu-system-arm), gdb-multiarch, aarch64-linux-gnu-gcc and -strip
# (gcc-aarch64-linux-gnu), cpio, gzip, readelf, python3, the Rust target aarch64-unknown-linux-musl, and the arm64
# architecture in dpkg (dpkg --add-architecture arm64; apt-get update) for apt-get download.
# Prints "aarch64-vm: PASS" and exits 0 when every check holds; otherwise says which failed and exits 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root_dir=$PWD

cache=${PROCSIFT_AARCH64_VM_CACHE:-/var/tmp/procsift-aarch64-vm}
work=${PROCSIFT_AARCH64_VM_WORK:-$root_dir/target/aarch64-vm/work}
t0=$(date +%s)
say() { echo "aarch64-vm: [$(($(date +%s) - t0))s] $*"; }
fail() {
  echo "aarch64-vm: FAIL: $*" >&2
  exit 1
}

# --- The kernel and busybox: Debian's arm64 packages, fetched once into the cache. ---
fetch() {
  mkdir -p "$cache"
  cd "$cache"
  if ! ls k/boot/vmlinuz-* >/dev/null 2>&1; then
    # The cloud kernel: the smallest Debian arm64 kernel; PL011 serial console, initramfs (gzip), ptrace,
    # process_vm_readv, /proc/PID/pagemap and io_uring are built in.
    local image
    image=$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null |
      sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-arm64\)\(:arm64\)\?$/\1/p' | head -n 1)
    [ -n "$image" ] || fail "no linux-image-cloud-arm64:arm64 in apt's lists: run 'dpkg --add-architecture arm64 && apt-get update'"
    rm -f linux-image-*.deb
    apt-get download "$image:arm64" >/dev/null 2>&1 || fail "apt-get download $image:arm64 failed"
    # Only the kernel is needed (its modules are not: nothing in the test loads one).
    rm -rf k k.tmp && mkdir k.tmp && dpkg-deb -x linux-image-*.deb k.tmp && mkdir k && mv k.tmp/boot k/
    rm -rf k.tmp
    rm -f linux-image-*.deb
  fi
  if [ ! -x bb/bin/busybox ]; then
    rm -f busybox-static*.deb
    apt-get download busybox-static:arm64 >/dev/null 2>&1 ||
      fail "apt-get download busybox-static:arm64 failed: run 'dpkg --add-architecture arm64 && apt-get update'"
    rm -rf bb && mkdir bb && dpkg-deb -x busybox-static*.deb bb
    rm -f busybox-static*.deb
  fi
  cd "$root_dir"
}
fetch
[ "${1:-}" = --fetch ] && {
  say "kernel and busybox in $cache"
  exit 0
}
kernel=$(ls "$cache"/k/boot/vmlinuz-* | head -n 1)
say "kernel $(basename "$kernel")"

for tool in qemu-system-aarch64 gdb-multiarch aarch64-linux-gnu-gcc aarch64-linux-gnu-strip cpio gzip readelf python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

# --- The guest's programs: procsift for aarch64 (static, musl, linked by rust-lld), the fixture. ---
# A target directory of its own: this may run inside `cargo test`, which holds the workspace's.
CARGO_TARGET_DIR=$root_dir/target/aarch64-vm \
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
  cargo build --quiet --target aarch64-unknown-linux-musl --bin procsift ||
  fail "cargo build --target aarch64-unknown-linux-musl (rustup target add aarch64-unknown-linux-musl)"
guest_procsift=$root_dir/target/aarch64-vm/aarch64-unknown-linux-musl/debug/procsift
if [ -z "${PROCSIFT:-}" ]; then
  cargo build --quiet --bin procsift || fail "cargo build (host procsift)"
  PROCSIFT=$root_dir/target/debug/procsift
fi
say "built procsift for aarch64"

rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/dev" "$work/root/tmp" "$work/root/sys"
rootfs=$work/root
cp "$cache/bb/bin/busybox" "$rootfs/bin/busybox"
aarch64-linux-gnu-strip -o "$rootfs/bin/procsift" "$guest_procsift"
aarch64-linux-gnu-gcc -static -g -O1 -pthread -o "$rootfs/bin/parked" testdata/fixtures/parked.c ||
  fail "aarch64-linux-gnu-gcc -static parked.c"

# A 32-bit arm program (AArch32 at EL0, which the emulated CPU has): pause(2) in a loop, made here (no
# arm compiler needed). gcore must refuse it, as it refuses i386 processes on x86_64.
python3 - "$rootfs/bin/arm32-pause" <<'PY'
import struct, sys
# mov r7, #29 (pause); svc #0; b (back to the mov)
code = struct.pack("<3I", 0xE3A0701D, 0xEF000000, 0xEAFFFFFC)
entry = 0x10000 + 52 + 32
size = 52 + 32 + len(code)
# Elf32_Ehdr: ET_EXEC, EM_ARM, EABI version 5 in e_flags (the kernel runs no other 32-bit arm binary).
ehdr = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
ehdr += struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, entry, 52, 0, 0x05000000, 52, 32, 1, 40, 0, 0)
# One PT_LOAD, read and execute, of the whole file at 0x10000.
phdr = struct.pack("<8I", 1, 0, 0x10000, 0x10000, size, size, 5, 0x1000)
with open(sys.argv[1], "wb") as f:
    f.write(ehdr + phdr + code)
PY
chmod +x "$rootfs/bin/arm32-pause"

cat >"$rootfs/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
cd /tmp
ready() { # wait for the fixture's "ready" line in $1
  for _ in $(seq 1 600); do grep -q '^ready ' "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
states() { for t in /proc/$1/task/*; do cut -d' ' -f3 "$t/stat"; done | tr '\n' ' '; }
switches() { sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' /proc/$1/status; }

echo "==FACTS=="
echo "uname $(uname -r) $(uname -m)"
GAP_FILE=/tmp/gap PROCSIFT_ENV_MARKER=env-7d2 /bin/parked argv-marker-31 >/tmp/ready1 &
pid=$!
ready /tmp/ready1 || echo "fixture not ready"
echo "pid $pid"
echo "tids $(ls /proc/$pid/task | tr '\n' ' ')"
echo "fixture $(cat /tmp/ready1)"
/bin/procsift gcore $pid -o /tmp/gcore.core 2>/tmp/gcore.err
echo "gcore-exit $?"
sed 's/^/gcore-stderr /' /tmp/gcore.err
echo "tracer $(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$pid/status)"
echo "states-after $(states $pid)"
before=$(switches $pid)
sleep 1
after=$(switches $pid)
echo "switches $before $after"
echo "states-later $(states $pid)"

# A 32-bit arm process: refused, nothing written, left running.
/bin/arm32-pause &
pid3=$!
sleep 0.5
echo "arm32-state $(cut -d' ' -f3 /proc/$pid3/stat)"
/bin/procsift gcore $pid3 -o /tmp/arm32.core 2>/tmp/arm32.err
echo "arm32-gcore-exit $?"
sed 's/^/arm32-stderr /' /tmp/arm32.err
echo "arm32-files $(ls /tmp/ | grep -c arm32.core)"
echo "arm32-states-after $(states $pid3)"
kill $pid3

# The kernel's own core of a second instance (SIGABRT), for its register sets.
ulimit -c unlimited
echo 0 >/proc/sys/kernel/core_uses_pid
echo /tmp/kernel.core >/proc/sys/kernel/core_pattern
/bin/parked argv-marker-31 >/tmp/ready2 &
pid2=$!
ready /tmp/ready2 || echo "second fixture not ready"
# SIGABRT: a background job of a shell without job control ignores SIGQUIT and SIGINT.
kill -ABRT $pid2
wait $pid2
echo "kernel-core-status $?"
echo "==END FACTS=="
for f in gcore kernel; do
  if [ -f /tmp/$f.core ]; then
    echo "==BEGIN $f.core=="
    gzip -1 -c /tmp/$f.core | base64
    echo "==END $f.core=="
  fi
done
kill $pid
echo o >/proc/sysrq-trigger
poweroff -f
EOF
chmod +x "$rootfs/init"
(cd "$rootfs" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
say "initramfs $(du -h "$work/initrd.gz" | cut -f1)"

# --- Boot. `-cpu max`: SVE, SME and pointer authentication, so their register sets are dumped too. ---
console=$work/console.log
timeout 600 qemu-system-aarch64 -M virt -cpu max -smp 2 -m 1024 -display none -monitor none \
  -serial "file:$console" -no-reboot -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append 'console=ttyAMA0 rdinit=/init loglevel=1 panic=-1' </dev/null ||
  fail "qemu-system-aarch64 ended with status $? (console: $console)"
say "virtual machine done"

tr -d '\r' <"$console" >"$work/console.txt"
facts=$(sed -n '/^==FACTS==$/,/^==END FACTS==$/p' "$work/console.txt")
[ -n "$facts" ] || fail "no facts on the console (see $console)"
echo "$facts" | sed 's/^/  guest: /'
fact() { echo "$facts" | sed -n "s/^$1 //p" | head -n 1; }
for f in gcore kernel; do
  sed -n "/^==BEGIN $f.core==$/,/^==END $f.core==$/p" "$work/console.txt" | sed '1d;$d' |
    base64 -d | gunzip >"$work/$f.core" || fail "the $f core did not come back whole"
done

# --- In the guest: the dump succeeded, the process runs on. ---
pid=$(fact pid)
tids=$(fact tids)
heap=$(fact fixture | cut -d' ' -f2)
[ "$(fact gcore-exit)" = 0 ] || fail "procsift gcore failed in the guest: $(fact gcore-stderr)"
grep -q '^gcore-stderr .*3 threads' <<<"$facts" || fail "gcore did not say it dumped 3 threads"
grep -q '^gcore-stderr .*goes on as before' <<<"$facts" || fail "gcore did not say the process goes on"
[ "$(fact tracer)" = 0 ] || fail "the fixture is still traced after the dump"
for when in states-after states-later; do
  s=$(fact $when)
  [ "$(echo $s | wc -w)" = 3 ] || fail "$when: not 3 threads: $s"
  case " $s " in *" T "* | *" t "* | *" Z "*) fail "$when: a thread is stopped or gone: $s" ;; esac
done
read -r sw_before sw_after <<<"$(fact switches)"
[ "$sw_after" -gt "$sw_before" ] || fail "the fixture's main thread did not run after the dump ($sw_before, $sw_after)"
say "guest: gcore exit 0, threads $(fact states-later)after, the main thread ran ($sw_before -> $sw_after context switches)"

# A 32-bit arm process: one line, exit 2, no file, still running (sleeping in pause(2)).
[ "$(fact arm32-state)" = S ] || fail "the 32-bit arm program did not run: $(fact arm32-state)"
[ "$(fact arm32-gcore-exit)" = 2 ] || fail "gcore of a 32-bit arm process: exit $(fact arm32-gcore-exit), not 2"
grep -qF '(72 bytes of general registers: a 32-bit (arm) process?)' <<<"$facts" ||
  fail "gcore of a 32-bit arm process did not say why it refused"
[ "$(grep -c '^arm32-stderr' <<<"$facts")" = 1 ] || fail "gcore of a 32-bit arm process said more than one line"
[ "$(fact arm32-files)" = 0 ] || fail "gcore of a 32-bit arm process left a file"
[ "$(fact arm32-states-after)" = "S " ] || fail "the 32-bit arm process is not running after: $(fact arm32-states-after)"
say "guest: a 32-bit arm process refused ($(fact arm32-stderr)), no file, left running"

# --- gdb-multiarch reads the core: threads, backtraces, the global, the heap string. ---
core=$work/gcore.core
g=$(gdb-multiarch -batch -nx -ex 'info threads' -ex 'thread apply all bt' -ex 'print procsift_global' \
  -ex "x/s $heap" -ex 'info registers sp pc' "$rootfs/bin/parked" "$core" 2>&1)
echo "$g" >"$work/gdb.txt"
for tid in $tids; do
  grep -q "(LWP $tid)" <<<"$g" || fail "gdb: no LWP $tid (see $work/gdb.txt)"
done
for f in park_in_alpha park_in_beta park_in_main 'main ('; do
  grep -qF "$f" <<<"$g" || fail "gdb: no $f in the backtraces (see $work/gdb.txt)"
done
grep -qF '= "GLOBAL-MARKER-5f3a"' <<<"$g" || fail "gdb: the global is not GLOBAL-MARKER-5f3a (see $work/gdb.txt)"
grep -qF ':	"HEAP-MARKER-9c41"' <<<"$g" || fail "gdb: the heap string is not HEAP-MARKER-9c41 (see $work/gdb.txt)"
say "gdb-multiarch: $(grep -cE '^[* ] +[0-9]+ +Thread 0x[0-9a-f]+ \(LWP [0-9]+\)' <<<"$g") threads, park_in_alpha, park_in_beta, park_in_main, the global and the heap string"

# --- readelf: the notes, and each thread's register sets as the kernel writes them. ---
r=$(readelf -nW "$core")
echo "$r" >"$work/readelf-gcore.txt"
readelf -nW "$work/kernel.core" >"$work/readelf-kernel.txt"
grep -q 'Machine:.*AArch64' <(readelf -h "$core") || fail "readelf: the core's machine is not AArch64"
count() { grep -c "$1" <<<"$r" || true; }
[ "$(count NT_PRSTATUS)" = 3 ] || fail "readelf: not 3 NT_PRSTATUS notes"
[ "$(count NT_FPREGSET)" = 3 ] || fail "readelf: not 3 NT_FPREGSET notes"
for one in NT_PRPSINFO NT_SIGINFO NT_AUXV NT_FILE; do
  [ "$(count $one)" = 1 ] || fail "readelf: not one $one"
done
grep -q PROCSIFT <<<"$r" || fail "readelf: no PROCSIFT note"
# Per thread, from its NT_PRSTATUS to the next: the register sets' types and sizes (not NT_PRPSINFO,
# NT_SIGINFO, NT_AUXV and NT_FILE, which follow the first thread's NT_PRSTATUS, nor procsift's note).
# NT_ARM_SVE's size follows the thread's state, in gcore's cores as in the kernel's: the FPSIMD form
# (its 16-byte header and user_fpsimd_state: 0x220) for a thread whose SVE state the kernel dropped at
# a system call, the whole SVE form for one that used SVE since (glibc's string functions do on an SVE
# CPU; the fixture's main thread loops in user space). So that size is compared apart (below).
regsets() {
  awk '$1 ~ /^(CORE|LINUX)$/ {
         if ($3 == "NT_PRSTATUS") { if (t != "") print t; t = "" }
         if ($3 == "NT_ARM_SVE") t = t " " $3
         else if ($3 !~ /^NT_(PRPSINFO|SIGINFO|AUXV|FILE)$/) t = t " " $3 "/" $2
       }
       END { if (t != "") print t }' "$1" | sort -u
}
mine=$(regsets "$work/readelf-gcore.txt")
kernels=$(regsets "$work/readelf-kernel.txt")
[ "$(echo "$mine" | wc -l)" = 1 ] || fail "the threads' register sets differ: $mine"
[ "$mine" = "$kernels" ] || fail "register sets: gcore's$mine, the kernel's$kernels"
# Each NT_ARM_SVE is one of the two forms: 0x220, or one larger size (the whole SVE registers at this
# CPU's vector length), never the whole ptrace buffer (0x2240 and up: the header's size not applied).
sve=$(awk '$3 == "NT_ARM_SVE" { print $2 }' "$work/readelf-gcore.txt" "$work/readelf-kernel.txt" | sort -u)
for size in $sve; do
  [ $((size)) -lt $((0x2240)) ] || fail "NT_ARM_SVE of $size bytes: not cut to its header's size"
done
[ "$(grep -vcx 0x00000220 <<<"$sve")" -le 1 ] || fail "NT_ARM_SVE sizes: $(echo $sve)"
say "readelf: every thread's register sets as in the kernel's core:$mine; NT_ARM_SVE sizes $(echo $sve)"

# --- procsift on this host reads the same facts. ---
c=$("$PROCSIFT" core "$core" --format json)
grep -q "\"pid\": *$pid\b" <<<"$c" || fail "procsift core: not pid $pid"
grep -q '"tool": *"procsift gcore"' <<<"$c" || fail "procsift core: not taken by procsift gcore"
t=$("$PROCSIFT" threads "$core" --sysroot "$rootfs" --stack --format json)
echo "$t" >"$work/threads.json"
got=$(grep -o '"tid": *[0-9]*' <<<"$t" | grep -o '[0-9]*$' | sort -n | tr '\n' ' ')
want=$(echo $tids | tr ' ' '\n' | sort -n | tr '\n' ' ')
[ "$got" = "$want" ] || fail "procsift threads: tids $got, the guest's $want"
for f in park_in_alpha park_in_beta park_in_main '"main"'; do
  grep -qF "$f" <<<"$t" || fail "procsift threads --stack: no $f (see $work/threads.json)"
done
say "procsift core and threads --stack: pid $pid, tids $got, the three parked functions"
say "PASS"
echo "aarch64-vm: PASS"
