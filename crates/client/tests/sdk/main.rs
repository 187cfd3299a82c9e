//! The SDK against real servers: a spawned in-process Hookpit for every message type, for
//! uploads and for the inbox API, and tiny stub servers for what Hookpit cannot be made to show
//! on demand (a 45009 followed by success, an HTTP 503, a slow or stalled reader of uploads).
//!
//! One test binary (zero-to-production style); each test gets its own port and data directory.

// Built whenever the dev-dependency on this crate turns the feature on, i.e. in every test build.
#[cfg(feature = "blocking")]
mod blocking;
mod callback;
mod helpers;
mod inbox;
mod network;
mod retry;
mod send;
mod stub;
mod upload;
