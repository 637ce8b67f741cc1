//! Linux /proc text records (proc(5)).
