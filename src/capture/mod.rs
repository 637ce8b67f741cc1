//! Capture: read a live host's process records, byte for byte, into a snapshot.
