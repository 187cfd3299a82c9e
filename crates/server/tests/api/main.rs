//! Integration tests of the admin and inbox API (`/api/v1`) and the embedded inbox: a real
//! server on `127.0.0.1:0` per test (the shared harness in `tests/support`), driven over HTTP.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod callback_delivery;
mod callbacks;
mod crud;
mod guard;
mod interop;
mod live;
mod messages;
mod openapi;
mod search;
