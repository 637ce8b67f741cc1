//! Linux `ps` %CPU, %MEM and STAT against procps-ng's `ps -o pid,pcpu,pmem,stat` of the same processes,
//! spawned with known properties: a session leader with threads and nice +5 (`SNsl`), nice -5 (`S<`),
//! locked pages (`SL`), the foreground process group of a terminal (`Ss+`), one that burned CPU and
//! sleeps (%CPU > 0), one holding 256 MiB (%MEM > 0). procsift reads the live host and a capture of it
//! between two runs of `ps`: a sleeping process's %CPU only falls as its life grows, so each procsift
//! value lies between the two `ps` values, and its STAT and %MEM equal theirs. Needs root (nice -5,
//! mlockall), python3, `script` and `ps`.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, run_json};
use serde_json::Value;

struct Kids(Vec<Child>);

impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // The setsid/script children lead their own groups: kill the group, then the child.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", c.id())])
                .stderr(Stdio::null())
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs `args` at nice value `nice` (absolute: the test itself may run niced).
fn spawn_nice(nice: i32, args: &[&str]) -> Child {
    Command::new("python3")
        .args([
            "-c",
            "import os,sys\nos.setpriority(os.PRIO_PROCESS, 0, int(sys.argv[1]))\nos.execvp(sys.argv[2], sys.argv[2:])",
            &nice.to_string(),
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// `ps -o pid=,pcpu=,pmem=,stat=` of `pids`: pid → (pcpu, pmem, stat).
fn procps(pids: &[i32]) -> BTreeMap<i32, (f64, f64, String)> {
    let list = pids
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new("ps")
        .args(["-o", "pid=,pcpu=,pmem=,stat=", "-p", &list])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                (
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].to_string(),
                ),
            )
        })
        .collect()
}

/// procsift's JSON `ps` of `pids` from `input` (live when `None`): pid → the process object.
fn procsift(input: Option<&str>, pids: &[i32]) -> BTreeMap<i32, Value> {
    let list = pids
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut args = vec!["ps"];
    args.extend(input);
    args.extend(["--pid", &list, "--format", "json"]);
    run_json(&args)["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["pid"].as_i64().unwrap() as i32, p.clone()))
        .collect()
}

/// The process whose parent is `parent` and whose comm is `comm` (the program behind a wrapper).
fn child_of(parent: u32, comm: &str) -> Option<i32> {
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let name = &stat[stat.find('(').unwrap() + 1..close];
        let ppid: u32 = stat[close + 2..]
            .split(' ')
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        if ppid == parent && name == comm {
            return Some(pid);
        }
    }
    None
}

fn utime_stime(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest: Vec<&str> = stat[stat.rfind(')').unwrap_or(0) + 2..]
        .split(' ')
        .collect();
    rest.get(11)
        .and_then(|x| x.parse::<u64>().ok())
        .unwrap_or(0)
        + rest
            .get(12)
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0)
}

#[test]
fn pcpu_pmem_and_stat_agree_with_procps() {
    let sleeper = "import time; time.sleep(300)";
    let mut kids = Kids(Vec::new());
    // Session leader, three threads, nice +5: SNsl.
    kids.0.push(spawn_nice(5, &[
        "setsid",
        "python3",
        "-c",
        "import threading,time\n[threading.Thread(target=time.sleep,args=(300,)).start() for _ in range(2)]\ntime.sleep(300)",
    ]));
    // nice -5: S<.
    kids.0.push(spawn_nice(-5, &["python3", "-c", sleeper]));
    // Locked pages (mlockall(MCL_CURRENT | MCL_FUTURE)): SL.
    kids.0.push(spawn_nice(
        0,
        &[
            "python3",
            "-c",
            "import ctypes,time\nassert ctypes.CDLL(None).mlockall(3) == 0\ntime.sleep(300)",
        ],
    ));
    // Burns about 0.6 s of CPU, then sleeps.
    kids.0.push(spawn_nice(0, &[
        "python3",
        "-c",
        "import time\nt=time.process_time()\nwhile time.process_time()-t<0.6: pass\ntime.sleep(300)",
    ]));
    // 256 MiB resident.
    kids.0.push(spawn_nice(0, &[
        "python3",
        "-c",
        "import time\nb=bytearray(256<<20)\nfor i in range(0,len(b),4096): b[i]=1\ntime.sleep(300)",
    ]));
    // On a terminal, in its foreground process group: Ss+ (script's shell execs sleep).
    kids.0.push(spawn_nice(
        0,
        &["script", "-qc", "exec sleep 300", "/dev/null"],
    ));

    let mut pids: Vec<i32> = kids.0[..5].iter().map(|c| c.id() as i32).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let fg = loop {
        if let Some(p) = child_of(kids.0[5].id(), "sleep") {
            break p;
        }
        assert!(Instant::now() < deadline, "script's sleep did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    pids.push(fg);
    // Until the threads exist, the pages are locked and touched and the burner is done.
    loop {
        let st = procps(&pids);
        let ready = st.get(&pids[0]).is_some_and(|s| s.2.contains('l'))
            && st.get(&pids[2]).is_some_and(|s| s.2.contains('L'))
            && utime_stime(pids[3]) >= 55
            && st.get(&pids[3]).is_some_and(|s| s.2 == "S")
            && st.get(&pids[4]).is_some_and(|s| s.1 > 0.5);
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "children not ready: {st:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second of life at least, so that %CPU is not 0 for want of a whole second.
    std::thread::sleep(Duration::from_millis(1100));

    let dir = TempDir::new("ps-procps");
    let tar = dir.path().join("host.tar");
    let before = procps(&pids);
    let live = procsift(None, &pids);
    common::run_ok(&[
        "capture".as_ref(),
        "--no-events".as_ref(),
        "-o".as_ref(),
        tar.as_os_str(),
    ]);
    let captured = procsift(Some(tar.to_str().unwrap()), &pids);
    let after = procps(&pids);

    let expect_stat = ["SNsl", "S<", "SL", "S", "S", "Ss+"];
    for (i, pid) in pids.iter().enumerate() {
        let (b, a) = (&before[pid], &after[pid]);
        assert_eq!(b.2, expect_stat[i], "ps's own STAT of child {i}");
        assert_eq!(a.2, b.2, "STAT of {pid} changed between the ps runs");
        for (what, p) in [("live", &live[pid]), ("capture", &captured[pid])] {
            assert_eq!(
                p["stat"],
                b.2.as_str(),
                "{what} STAT of child {i} ({pid}): {p}"
            );
            let pcpu = p["pct_cpu"].as_f64().unwrap();
            assert!(
                a.0 <= pcpu && pcpu <= b.0,
                "{what} %CPU of child {i}: ps {} then {}, procsift {pcpu}",
                b.0,
                a.0
            );
            let pmem = p["pct_mem"].as_f64().unwrap();
            assert!(
                b.1.min(a.1) <= pmem && pmem <= b.1.max(a.1),
                "{what} %MEM of child {i}: ps {} then {}, procsift {pmem}",
                b.1,
                a.1
            );
        }
    }
    // The burner and the big one are not zeros that would pass by accident.
    assert!(before[&pids[3]].0 > 0.0, "{before:?}");
    assert!(before[&pids[4]].1 > 0.0, "{before:?}");
}
