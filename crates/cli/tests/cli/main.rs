//! The built `hookpit` binary, run as a user would: against a Hookpit spawned in this process,
//! with stdout, stderr and the exit code snapshotted together (volatile parts redacted).
//!
//! One test binary; each test gets its own server, port and data directory.

mod helpers;
mod inbox;
mod instances;
mod lint;
mod network;
mod offline;
mod readme;
mod readyz;
mod send;
mod serve;
