//! `verify SNAPSHOT`: each member that does not match the manifest, by name, then the counts.

use super::{Block, Report};
use crate::snapshot::reader::VerifyReport;

/// The text of a verification: `MISMATCH: member`, `NOT IN MANIFEST: member`, `MISSING: member` lines
/// (member names are the archive's, escaped like every value), then one line of counts.
pub fn verify(v: &VerifyReport) -> Report {
    let mut blocks = Vec::new();
    for (what, list) in [
        ("MISMATCH: ", &v.mismatched),
        ("NOT IN MANIFEST: ", &v.unlisted),
        ("MISSING: ", &v.missing),
    ] {
        for member in list {
            blocks.push(Block::Wrapped {
                lead: what.into(),
                text: member.clone(),
            });
        }
    }
    blocks.push(Block::Wrapped {
        lead: String::new(),
        text: format!(
            "{} members intact, {} mismatched, {} not in the manifest, {} missing; {} were not readable at capture",
            v.intact,
            v.mismatched.len(),
            v.unlisted.len(),
            v.missing.len(),
            v.not_captured
        ),
    });
    Report {
        name: "verify",
        text: Some(blocks),
        ..Report::default()
    }
}
