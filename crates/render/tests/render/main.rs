//! Integration tests of `hookpit-render` through its public API: snapshots of the HTML of every
//! message type (the official document's examples) and the XSS corpus.

mod checker;
mod property;
mod snapshot;
mod support;
mod xss;
