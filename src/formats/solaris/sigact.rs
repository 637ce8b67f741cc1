//! `/proc/<pid>/sigact`: an array of `struct sigaction` (`sys/signal.h`, 32 bytes in both models), one per
//! signal from 1 to `NSIG - 1` (entry *i* is signal *i + 1*).

use super::error::{Lenient, array};
use super::types::{Model, RawSigaction, SigAction};

/// Decodes every whole entry; a trailing partial entry gives a warning.
pub(crate) fn sigact<M: Model>(bytes: &[u8]) -> Lenient<Vec<SigAction>> {
    array::<RawSigaction<M>, _>(
        bytes,
        size_of::<RawSigaction<M>>(),
        "sigaction",
        SigAction::from,
    )
}
