//! Where module files come from. [`ModuleProvider`] is the unwinder's only way to the outside: the
//! file-system provider ([`FsModules`]) is the one place of the unwinder that opens files; tests and the
//! fuzzer hand modules over from memory ([`MemoryModules`]), and [`NoModules`] gives none.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Component, Path, PathBuf};

/// The bytes of one module file: mapped from disk, or owned.
pub enum FileBytes {
    /// A read-only memory map of the file.
    Mapped(memmap2::Mmap),
    /// Bytes held in memory.
    Owned(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Owned(v) => v,
        }
    }
}

/// A module file found by a provider.
pub struct ModuleFile {
    /// Its contents.
    pub bytes: FileBytes,
    /// Where it was found, for the report (a local path).
    pub location: String,
}

/// What a provider found for one request.
pub enum Found {
    /// A file.
    File(ModuleFile),
    /// Nothing there; the text says where it looked.
    Missing(String),
    /// Something there that cannot be read (permissions, not a regular file, too big).
    Unreadable(String),
}

/// A separate debug file or a binary, looked up by build-id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByBuildId {
    /// The debug file (`.build-id/ab/cdef....debug`).
    Debug,
    /// The binary itself (`.build-id/ab/cdef...`, as Fedora and debuginfod caches keep them).
    Binary,
}

/// Finds the files of the modules a core names.
pub trait ModuleProvider {
    /// The file the core names by `path` (an absolute path on the machine that wrote the core).
    fn file(&self, path: &[u8]) -> Found;
    /// A file found by the module's GNU build-id (raw bytes).
    fn by_build_id(&self, build_id: &[u8], kind: ByBuildId) -> Option<ModuleFile>;
    /// Where this provider looks, in words, for the sentence shown when modules are missing.
    fn describe(&self) -> String;
    /// The executable the user named (`--exe`), for the mapping that holds the program headers
    /// (`AT_PHDR`): the way to a program whose core names no files (no `NT_FILE`: older kernels,
    /// qemu-user), or to another copy of it.
    fn executable(&self) -> Option<ModuleFile> {
        None
    }
}

/// No modules at all: every frame is module + offset.
pub struct NoModules;

impl ModuleProvider for NoModules {
    fn file(&self, _: &[u8]) -> Found {
        Found::Missing("no module files were looked for".into())
    }
    fn by_build_id(&self, _: &[u8], _: ByBuildId) -> Option<ModuleFile> {
        None
    }
    fn describe(&self) -> String {
        "no module files were looked for".into()
    }
}

/// Modules held in memory, by the path the core names them with (tests, the fuzzer).
#[derive(Default)]
pub struct MemoryModules {
    /// Path as the core names it -> the file's bytes.
    pub files: HashMap<Vec<u8>, Vec<u8>>,
    /// The executable, as `--exe` gives it.
    pub exe: Option<Vec<u8>>,
    /// Lowercase hex build-id -> a debug file's bytes.
    pub debug: HashMap<String, Vec<u8>>,
}

impl ModuleProvider for MemoryModules {
    fn file(&self, path: &[u8]) -> Found {
        match self.files.get(path) {
            Some(b) => Found::File(ModuleFile {
                bytes: FileBytes::Owned(b.clone()),
                location: format!("memory:{}", crate::bytes::escape(path)),
            }),
            None => Found::Missing("not in the given modules".into()),
        }
    }
    fn by_build_id(&self, build_id: &[u8], kind: ByBuildId) -> Option<ModuleFile> {
        if kind != ByBuildId::Debug {
            return None;
        }
        let b = self.debug.get(&hex(build_id))?;
        Some(ModuleFile {
            bytes: FileBytes::Owned(b.clone()),
            location: format!("memory:{}.debug", hex(build_id)),
        })
    }
    fn describe(&self) -> String {
        "the modules given in memory".into()
    }
    fn executable(&self) -> Option<ModuleFile> {
        Some(ModuleFile {
            bytes: FileBytes::Owned(self.exe.clone()?),
            location: "memory:exe".into(),
        })
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where to look for module files on this machine.
#[derive(Clone, Debug, Default)]
pub struct ModuleSearch {
    /// `--sysroot DIR`: the core's paths are looked up under DIR instead of `/` (also its
    /// `usr/lib/debug`).
    pub sysroot: Option<PathBuf>,
    /// `--debug-dir DIR` (repeatable): directories with a gdb `.build-id/ab/cdef….debug` tree or a
    /// debuginfod cache (`<build-id>/debuginfo`, `<build-id>/executable`), searched before the
    /// default `/usr/lib/debug`.
    pub debug_dirs: Vec<PathBuf>,
    /// `--exe FILE`: the program the core's process ran.
    pub exe: Option<PathBuf>,
}

/// The largest module file that is opened (a bound on what a hostile path can make procsift map).
pub const MAX_MODULE_FILE: u64 = 4 << 30;

/// Module files from the local file system, as [`ModuleSearch`] says.
pub struct FsModules {
    search: ModuleSearch,
}

impl FsModules {
    /// A provider that looks where `search` says.
    pub fn new(search: ModuleSearch) -> Self {
        FsModules { search }
    }

    fn debug_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = self.search.debug_dirs.clone();
        dirs.push(match &self.search.sysroot {
            Some(root) => root.join("usr/lib/debug"),
            None => PathBuf::from("/usr/lib/debug"),
        });
        dirs
    }
}

/// Opens `path` for reading without blocking (a FIFO named by a hostile core must not hang the
/// analysis), and maps it when it is a regular file of a sane size.
fn open_regular(path: &Path) -> Found {
    use rustix::fs::{Mode, OFlags};
    let fd = match rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) | Err(rustix::io::Errno::NOTDIR) => {
            return Found::Missing(format!("{} does not exist", path.display()));
        }
        Err(e) => return Found::Unreadable(format!("{}: {e}", path.display())),
    };
    let file = std::fs::File::from(fd);
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Found::Unreadable(format!("{}: {e}", path.display())),
    };
    if !meta.is_file() {
        return Found::Unreadable(format!("{} is not a regular file", path.display()));
    }
    if meta.len() == 0 || meta.len() > MAX_MODULE_FILE {
        return Found::Unreadable(format!(
            "{} has {} bytes (a module is read when it has 1 to {MAX_MODULE_FILE})",
            path.display(),
            meta.len()
        ));
    }
    match crate::os::map_file(&file) {
        Ok(map) => Found::File(ModuleFile {
            bytes: FileBytes::Mapped(map),
            location: path.display().to_string(),
        }),
        Err(e) => Found::Unreadable(format!("{}: {e}", path.display())),
    }
}

/// `path` (absolute, as the core names it) under `root`; `None` when it would leave `root` (`..`).
fn under(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut out = root.to_path_buf();
    for c in path.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

impl ModuleProvider for FsModules {
    fn file(&self, path: &[u8]) -> Found {
        use std::os::unix::ffi::OsStrExt;
        // The kernel marks a mapped file deleted since it was mapped: look for it under its name.
        let path = path.strip_suffix(b" (deleted)").unwrap_or(path);
        if path.contains(&0) || !path.starts_with(b"/") {
            return Found::Missing("not an absolute path".into());
        }
        let p = Path::new(std::ffi::OsStr::from_bytes(path));
        match &self.search.sysroot {
            Some(root) => match under(root, p) {
                Some(full) => open_regular(&full),
                None => Found::Missing(format!(
                    "{} leaves the sysroot (..): not looked up",
                    p.display()
                )),
            },
            None => open_regular(p),
        }
    }

    fn by_build_id(&self, build_id: &[u8], kind: ByBuildId) -> Option<ModuleFile> {
        if build_id.len() < 2 {
            return None;
        }
        let h = hex(build_id);
        let (dir, rest) = h.split_at(2);
        for d in self.debug_dirs() {
            let candidates = match kind {
                ByBuildId::Debug => [
                    d.join(".build-id").join(dir).join(format!("{rest}.debug")),
                    d.join(&h).join("debuginfo"),
                ],
                ByBuildId::Binary => [
                    d.join(".build-id").join(dir).join(rest),
                    d.join(&h).join("executable"),
                ],
            };
            for c in candidates {
                if let Found::File(f) = open_regular(&c) {
                    return Some(f);
                }
            }
        }
        None
    }

    fn executable(&self) -> Option<ModuleFile> {
        match open_regular(self.search.exe.as_ref()?) {
            Found::File(f) => Some(f),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        let dirs: Vec<String> = self
            .debug_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        match &self.search.sysroot {
            Some(r) => format!(
                "looked for under the sysroot {} and by build-id in {}",
                r.display(),
                dirs.join(", ")
            ),
            None => format!(
                "looked for at the paths the core names on this machine and by build-id in {}",
                dirs.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_sysroot() {
        let root = Path::new("/sysroot");
        assert_eq!(
            under(root, Path::new("/usr/lib/libc.so.6")),
            Some(PathBuf::from("/sysroot/usr/lib/libc.so.6"))
        );
        assert_eq!(under(root, Path::new("/usr/../../etc/passwd")), None);
    }

    #[test]
    fn fifos_and_directories_are_not_opened() {
        let dir = std::env::temp_dir().join(format!("procsift-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        assert!(matches!(open_regular(&fifo), Found::Unreadable(_)));
        assert!(matches!(open_regular(&dir), Found::Unreadable(_)));
        assert!(matches!(open_regular(&dir.join("none")), Found::Missing(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
