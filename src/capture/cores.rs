//! `capture --core PID,...`: a core of each process (the `gcore` module's dump), stored as
//! `cores/<pid>.core` with its size and SHA-256 in the manifest like every member, and the dump's facts
//! (or why it failed) in the manifest's `cores` section.
//!
//! Each core is written to a temporary file beside the archive (holes and all), mapped, appended to the
//! archive and removed. The cores are taken before the /proc scan: memory changes fastest.

use std::path::{Path, PathBuf};

use super::record::Recorder;
use super::sink::Sink;
use crate::gcore;
use crate::snapshot::manifest::{ManifestCore, MemberKind, core_member};

/// Removes the temporary core however the dump ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Dumps each of `pids` into `dir` and stores it through `recorder`. A process that cannot be dumped is
/// a failed member with its reason; only an interruption (SIGINT, ...) or a write error ends the capture.
pub fn dump<S: Sink>(
    pids: &[i32],
    dir: &Path,
    recorder: &mut Recorder<S>,
) -> crate::Result<Vec<ManifestCore>> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for &pid in pids {
        if seen.contains(&pid) {
            continue;
        }
        seen.push(pid);
        let member = core_member(pid);
        let path = dir.join(format!(".procsift-core-{}-{pid}.tmp", std::process::id()));
        let file = gcore::create_private(&path)?;
        let scratch = Scratch(path.clone());
        match gcore::gcore_to_file(pid, &file, &gcore::Options::default()) {
            Ok(summary) => {
                let map = crate::os::map_file(&file).map_err(|e| crate::Error::io(&path, e))?;
                recorder.file(&member, &map)?;
                out.push(ManifestCore {
                    pid,
                    member: Some(member),
                    error: None,
                    threads: u32::try_from(summary.threads).ok(),
                    stopped_ms: Some(summary.stopped.as_secs_f64() * 1000.0),
                    warnings: summary.warnings,
                });
            }
            Err(e @ (crate::Error::Interrupted(_) | crate::Error::Io { .. })) => return Err(e),
            Err(e) => {
                use super::engine::Handler;
                recorder.event(super::engine::Event::Failed {
                    path: member,
                    kind: MemberKind::File,
                    error: error_name(&e).into(),
                })?;
                out.push(ManifestCore {
                    pid,
                    error: Some(e.to_string()),
                    ..ManifestCore::default()
                });
            }
        }
        drop(file);
        drop(scratch);
    }
    Ok(out)
}

/// The short reason a failed member carries (`ESRCH`, `EPERM`, ...), as for files.
fn error_name(e: &crate::Error) -> String {
    match e {
        crate::Error::NotFound(_) => "ESRCH".into(),
        crate::Error::Process { reason, .. } => reason.clone(),
        crate::Error::Usage(_) => "ENOSYS".into(),
        _ => "EIO".into(),
    }
}
