//! The SDK against real servers: a spawned in-process Hookpit for every message type, for
//! uploads and for the inbox API, and a tiny stub server for the retry behaviour Hookpit cannot
//! be made to show on demand (a 45009 followed by success, an HTTP 503).
//!
//! One test binary (zero-to-production style); each test gets its own port and data directory.

mod callback;
mod helpers;
mod inbox;
mod retry;
mod send;
mod upload;
