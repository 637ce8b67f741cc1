//! Opening an input as a [`super::RawSnapshot`].
