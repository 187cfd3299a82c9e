//! The server's integration tests (one binary): a real server on `127.0.0.1:0` per test, with a
//! temporary data directory and a manual clock, driven over HTTP.

#[path = "../support/mod.rs"]
mod support;

mod concurrency;
mod drain;
mod durability;
mod edges;
mod examples;
mod faults;
mod full_disk;
mod limits;
mod media;
mod ops;
mod proxy;
mod relay;
mod routing;
mod sdk;
mod send;
mod senders;
mod shared_faults;
mod shared_keys;
mod shared_limits;
mod shared_store;
mod single_chat;
mod timeouts;
mod write_path;
