//! illumos/Solaris cores → model (the new-style notes carry the /proc structures themselves).

use crate::formats::elfcore::{Core, CoreWarning};
use crate::model::{CoreInfo, Mapping, Process};

/// Fills `p` from the illumos notes of `core`.
pub(super) fn process(
    _core: &Core<'_>,
    _p: &mut Process,
    _maps: &mut [Mapping],
    _info: &mut CoreInfo,
    warnings: &mut Vec<CoreWarning>,
) {
    warnings.push(CoreWarning::new(
        "NT_PSINFO",
        0,
        "illumos notes are not decoded yet",
    ));
}
