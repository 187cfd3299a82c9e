//! Integration tests of `hookpit-render` through its public API: snapshots of the HTML of every
//! message type (the official document's examples), the XSS corpus, and the remote pictures that
//! must wait for the reader.

mod checker;
mod property;
mod remote;
mod snapshot;
mod support;
mod xss;
