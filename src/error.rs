//! Errors that end an operation, and warnings that do not.
//!
//! A fatal [`Error`] is printed as one line on stderr and turns into a non-zero exit. Damage that leaves
//! most of the input readable is a [`crate::model::Warning`] instead, carried in the model and shown in
//! every output format.

use std::path::PathBuf;

/// A fatal error: the operation could not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system call on a named path failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory the call was about.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not something procsift can read (neither a snapshot, a /proc tree, nor a core).
    #[error("{path}: {reason}")]
    Unrecognized {
        /// The input that was given.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The input was recognized but is damaged beyond use; names the member and the byte offset.
    #[error("{member}: at byte {offset}: {reason}")]
    Corrupt {
        /// The archive member, note or file the problem is in.
        member: String,
        /// Byte offset of the problem within that member (or the archive).
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The user asked for something the input does not have (an unknown pid, say).
    #[error("{0}")]
    NotFound(String),
    /// A bad command-line value.
    #[error("{0}")]
    Usage(String),
    /// A live process could not be dumped (`gcore`): it is gone, a kernel thread, already traced, or not
    /// ours to trace.
    #[error("{message}")]
    Process {
        /// An errno-style name for it (`ESRCH`, `EPERM`, `EBUSY`, `ETIMEDOUT`, ...), as a capture records a
        /// member it could not read.
        reason: String,
        /// What happened, in a sentence.
        message: String,
    },
    /// A termination signal (its number) arrived while procsift held a process stopped: the process was
    /// let go and nothing was written.
    #[error("interrupted by {}: the process was let go and no core was written", signal_name(*.0))]
    Interrupted(i32),
}

/// The name of a termination signal procsift catches (Linux numbers), else `signal N`.
fn signal_name(signal: i32) -> String {
    match signal {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        3 => "SIGQUIT".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result type of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
