//! `verify SNAPSHOT`: each member that does not match the manifest, by name, then the counts.

use super::{Block, Report};
use crate::snapshot::reader::VerifyReport;

/// The text of a verification, as [`VerifyReport`] writes it (one source for the wording):
/// `DAMAGED: header at byte N (reason); ...` for each damaged tar header, `MISMATCH: member`, `NOT IN
/// MANIFEST: member`, `MISSING: member` and `UNREACHABLE: member` (lost behind damage) lines, an `INDEX:
/// why` line when the member index disagrees with the tar headers, a `TOTALS: how` line when the
/// manifest's process totals disagree with the members, a `DIGESTS: how` line when its process
/// digests disagree with its member list (member
/// names are the archive's, escaped like every value), then one line of counts.
pub fn verify(v: &VerifyReport) -> Report {
    const LEADS: [&str; 8] = [
        "DAMAGED: ",
        "INDEX: ",
        "TOTALS: ",
        "DIGESTS: ",
        "MISMATCH: ",
        "NOT IN MANIFEST: ",
        "MISSING: ",
        "UNREACHABLE: ",
    ];
    let blocks = v
        .to_string()
        .lines()
        .map(|line| {
            let lead = LEADS.iter().find(|l| line.starts_with(**l)).copied();
            Block::Wrapped {
                lead: lead.unwrap_or_default().into(),
                text: line[lead.map_or(0, str::len)..].to_string(),
            }
        })
        .collect();
    Report {
        name: "verify",
        text: Some(blocks),
        ..Report::default()
    }
}
