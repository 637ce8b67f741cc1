//! Converts raw snapshot members into the OS-neutral [`crate::model::Snapshot`].

pub mod linux;

use crate::model::Snapshot;
use crate::snapshot::RawSnapshot;

/// Builds the model from a raw snapshot, recording every decode problem as a warning.
pub fn analyze(raw: &RawSnapshot) -> Snapshot {
    linux::build(raw)
}
