//! Integration tests of `hookpit-render` through its public API: snapshots of the HTML of every
//! message type (the official document's examples), the XSS corpus, the remote pictures that
//! must wait for the reader, and the XSS corpus written out as fuzz seeds (`fuzz/seeds.sh`).

mod checker;
mod property;
mod remote;
mod seeds;
mod snapshot;
mod support;
mod xss;
